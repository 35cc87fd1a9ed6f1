/*
 * DKIM keys and signatures.  Keys are made with OpenSSL (RSA) and
 * libsodium (Ed25519) and kept as the PEM text libopendkim takes, sealed
 * with crypto_secretbox under the key of [dkim] key_file before they reach
 * the database.  For each message the key is opened and handed to
 * libopendkim, which signs relaxed/relaxed over the usual header set with
 * From signed once more than it occurs (so no From can be added later).
 */
#define _GNU_SOURCE		/* asprintf, mkostemp */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <opendkim/dkim.h>

#include "conf.h"
#include "db.h"
#include "dkim.h"
#include "ipc.h"

#define DKIM_KEYLEN	crypto_secretbox_KEYBYTES
#define DKIM_SEAL_TAG	"sb1:"		/* nonce || secretbox, base64 */
#define DKIM_RSA_BITS	2048
#define DKIM_TXT_CHUNK	255		/* bytes in one DNS character-string */
#define DKIM_HDR_NAME	"DKIM-Signature: "

/* ---- the key file ---------------------------------------------------- */

/* The key last read, and from where: read once, used by every thread. */
static pthread_mutex_t	 dkim_kf_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * In guarded memory (sodium_malloc): locked, left out of core dumps and
 * wiped when freed.  Made on first use, kept for the process's life.
 */
static unsigned char	*dkim_kf_key;
static char		 dkim_kf_path[PATH_MAX];

/* 0 with the key, 1 when the file does not exist, -1 with cause. */
static int
dkim_keyfile_read(const char *path, unsigned char *key, char **cause)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 1;
		return ipc_cause(cause, "[dkim] key_file %s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ipc_cause(cause, "[dkim] key_file %s is not a regular "
		    "file", path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return ipc_cause(cause, "[dkim] key_file %s may be read by "
		    "others (mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	}
	if (st.st_size != DKIM_KEYLEN) {
		close(fd);
		return ipc_cause(cause, "[dkim] key_file %s is not a DKIM key "
		    "file: %lld bytes, not %d", path, (long long)st.st_size,
		    DKIM_KEYLEN);
	}
	while (got < DKIM_KEYLEN && (n = read(fd, key + got,
	    DKIM_KEYLEN - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != DKIM_KEYLEN) {
		sodium_memzero(key, DKIM_KEYLEN);
		return ipc_cause(cause, "[dkim] key_file %s: cannot read it",
		    path);
	}
	return 0;
}

/* fsync the directory holding path, so a new name in it survives a crash. */
static void
dkim_sync_dir(const char *path)
{
	char	 buf[PATH_MAX];
	int	 fd;

	snprintf(buf, sizeof buf, "%s", path);
	if ((fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		fsync(fd);
		close(fd);
	}
}

/*
 * A new random key file, mode 0600: written under a temporary name and
 * linked in place, so a reader never sees half of it and of two makers
 * one wins and the other reads its key.
 */
static int
dkim_keyfile_make(const char *path, unsigned char *key, char **cause)
{
	char	 tmp[PATH_MAX];
	size_t	 done = 0;
	ssize_t	 n;
	int	 fd, saved;

	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
		return ipc_cause(cause, "[dkim] key_file %s: path too long",
		    path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return ipc_cause(cause, "[dkim] key_file %s: cannot create it: "
		    "%s", path, strerror(errno));
	randombytes_buf(key, DKIM_KEYLEN);
	while (done < DKIM_KEYLEN && (n = write(fd, key + done,
	    DKIM_KEYLEN - done)) > 0)
		done += (size_t)n;
	if (done != DKIM_KEYLEN || fchmod(fd, 0600) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		sodium_memzero(key, DKIM_KEYLEN);
		return ipc_cause(cause, "[dkim] key_file %s: cannot write it: "
		    "%s", path, strerror(saved));
	}
	close(fd);
	if (link(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		sodium_memzero(key, DKIM_KEYLEN);
		if (saved == EEXIST)
			return dkim_keyfile_read(path, key, cause) == 0 ? 0 :
			    -1;
		return ipc_cause(cause, "[dkim] key_file %s: cannot create it: "
		    "%s", path, strerror(saved));
	}
	unlink(tmp);
	dkim_sync_dir(path);
	return 0;
}

/* The sealing key into key; with create, a missing key file is made. */
static int
dkim_keyfile_get(const struct config *conf, int create, unsigned char *key,
    char **cause)
{
	const char	*path = conf_str(conf, CONF_dkim_key_file);
	int		 rc = 0;

	if (strlen(path) >= sizeof dkim_kf_path)
		return ipc_cause(cause, "[dkim] key_file %s: path too long",
		    path);
	pthread_mutex_lock(&dkim_kf_lock);
	if (dkim_kf_key == NULL && (sodium_init() == -1 ||
	    (dkim_kf_key = sodium_malloc(DKIM_KEYLEN)) == NULL)) {
		pthread_mutex_unlock(&dkim_kf_lock);
		return ipc_cause(cause, "out of memory for the DKIM key");
	}
	if (strcmp(dkim_kf_path, path) != 0) {
		dkim_kf_path[0] = '\0';
		rc = dkim_keyfile_read(path, dkim_kf_key, cause);
		if (rc == 1 && create)
			rc = dkim_keyfile_make(path, dkim_kf_key, cause);
		else if (rc == 1)
			rc = ipc_cause(cause, "[dkim] key_file %s is missing: "
			    "the DKIM keys in the database cannot be opened "
			    "without it", path);
		if (rc == 0)
			snprintf(dkim_kf_path, sizeof dkim_kf_path, "%s", path);
		else
			sodium_memzero(dkim_kf_key, DKIM_KEYLEN);
	}
	if (rc == 0)
		memcpy(key, dkim_kf_key, DKIM_KEYLEN);
	pthread_mutex_unlock(&dkim_kf_lock);
	return rc;
}

int
dkim_keyfile_check(const struct config *conf, char **cause)
{
	unsigned char	key[DKIM_KEYLEN];
	int		rc;

	rc = dkim_keyfile_read(conf_str(conf, CONF_dkim_key_file), key,
	    cause);
	sodium_memzero(key, sizeof key);
	return rc == -1 ? -1 : 0;
}

/* ---- sealing --------------------------------------------------------- */

/* free() for a secret: wiped first. */
static void
dkim_free_secret(char *s)
{
	if (s != NULL) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

static char *
dkim_seal(const unsigned char *key, const char *pem, char **cause)
{
	size_t		 plen = strlen(pem), blen, b64len;
	unsigned char	*box;
	char		*out;

	blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plen;
	b64len = sodium_base64_ENCODED_LEN(blen,
	    sodium_base64_VARIANT_ORIGINAL);
	if ((box = malloc(blen)) == NULL ||
	    (out = malloc(strlen(DKIM_SEAL_TAG) + b64len)) == NULL) {
		free(box);
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES,
	    (const unsigned char *)pem, plen, box, key);
	memcpy(out, DKIM_SEAL_TAG, strlen(DKIM_SEAL_TAG));
	sodium_bin2base64(out + strlen(DKIM_SEAL_TAG), b64len, box, blen,
	    sodium_base64_VARIANT_ORIGINAL);
	free(box);
	return out;
}

/* The PEM text of a sealed key (the caller's, to dkim_free_secret). */
static char *
dkim_unseal(const unsigned char *key, const char *sealed, char **cause)
{
	const char	*b64;
	unsigned char	*box;
	size_t		 blen, plen, len;
	char		*pem;

	if (strncmp(sealed, DKIM_SEAL_TAG, strlen(DKIM_SEAL_TAG)) != 0)
		goto bad;
	b64 = sealed + strlen(DKIM_SEAL_TAG);
	len = strlen(b64);
	if ((box = malloc(len / 4 * 3 + 1)) == NULL) {
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	if (sodium_base642bin(box, len / 4 * 3 + 1, b64, len, NULL, &blen,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
		free(box);
		goto bad;
	}
	plen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	if ((pem = malloc(plen + 1)) == NULL) {
		free(box);
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	if (crypto_secretbox_open_easy((unsigned char *)pem,
	    box + crypto_secretbox_NONCEBYTES,
	    blen - crypto_secretbox_NONCEBYTES, box, key) != 0) {
		free(box);
		free(pem);
		ipc_cause(cause, "the stored DKIM key does not open with the "
		    "key of [dkim] key_file (was that file replaced?)");
		return NULL;
	}
	free(box);
	pem[plen] = '\0';
	if (strlen(pem) != plen) {
		dkim_free_secret(pem);
		goto bad;
	}
	return pem;
bad:
	ipc_cause(cause, "the stored DKIM key is not a sealed key");
	return NULL;
}

/* ---- keys ------------------------------------------------------------ */

/* OpenSSL's last error as a sentence, into buf (thread-safe). */
static const char *
dkim_ssl_error(char *buf, size_t len)
{
	unsigned long	e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "unknown OpenSSL error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static EVP_PKEY *
dkim_rsa_new(char **cause)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pk = NULL;
	char		 err[256];

	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, DKIM_RSA_BITS) <= 0 ||
	    EVP_PKEY_keygen(ctx, &pk) <= 0) {
		ipc_cause(cause, "cannot make an RSA key: %s",
		    dkim_ssl_error(err, sizeof err));
		pk = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* An Ed25519 key from libsodium, as an OpenSSL key to write as PKCS#8. */
static EVP_PKEY *
dkim_ed25519_new(char **cause)
{
	unsigned char	 pub[crypto_sign_PUBLICKEYBYTES];
	unsigned char	 sk[crypto_sign_SECRETKEYBYTES];
	unsigned char	 seed[crypto_sign_SEEDBYTES], raw[32];
	size_t		 rawlen = sizeof raw;
	EVP_PKEY	*pk;
	char		 err[256];

	crypto_sign_keypair(pub, sk);
	crypto_sign_ed25519_sk_to_seed(seed, sk);
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    sizeof seed);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(seed, sizeof seed);
	if (pk == NULL) {
		ipc_cause(cause, "cannot make an Ed25519 key: %s",
		    dkim_ssl_error(err, sizeof err));
		return NULL;
	}
	/* Both libraries must agree on the public half. */
	if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1 ||
	    rawlen != sizeof pub || memcmp(raw, pub, sizeof pub) != 0) {
		EVP_PKEY_free(pk);
		ipc_cause(cause, "cannot make an Ed25519 key: OpenSSL and "
		    "libsodium disagree on its public key");
		return NULL;
	}
	return pk;
}

/* The private key as PEM (PKCS#8) text, kept in memory wiped on free. */
static char *
dkim_pem(EVP_PKEY *pk, char **cause)
{
	BIO	*bio;
	char	*data, *pem = NULL, err[256];
	long	 len;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0)
		ipc_cause(cause, "cannot write the key: %s",
		    dkim_ssl_error(err, sizeof err));
	else if ((pem = strndup(data, (size_t)len)) == NULL)
		ipc_cause(cause, "out of memory");
	BIO_free(bio);
	return pem;
}

int
dkim_keygen(const struct config *conf, const char *algo, int create,
    const char **algorithm, char **sealed, char **cause)
{
	unsigned char	 key[DKIM_KEYLEN];
	EVP_PKEY	*pk;
	char		*pem;
	int		 ed;

	*sealed = NULL;
	if (algo == NULL || strcmp(algo, "rsa-2048") == 0)
		ed = 0;
	else if (strcmp(algo, "ed25519") == 0)
		ed = 1;
	else
		return ipc_cause(cause, "\"%.100s\" is not a DKIM key "
		    "algorithm: rsa-2048 or ed25519", algo);
	if (dkim_keyfile_get(conf, create, key, cause) == -1)
		return -1;
	pk = ed ? dkim_ed25519_new(cause) : dkim_rsa_new(cause);
	pem = pk != NULL ? dkim_pem(pk, cause) : NULL;
	EVP_PKEY_free(pk);
	if (pem != NULL)
		*sealed = dkim_seal(key, pem, cause);
	dkim_free_secret(pem);
	sodium_memzero(key, sizeof key);
	*algorithm = ed ? "ed25519-sha256" : "rsa-sha256";
	return *sealed != NULL ? 0 : -1;
}

/* The p= value: SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519. */
static char *
dkim_public_b64(EVP_PKEY *pk, int ed, char **cause)
{
	unsigned char	*der = NULL, raw[32];
	size_t		 len = sizeof raw, b64len;
	char		*out, err[256];
	int		 n;

	if (ed) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &len) != 1) {
			ipc_cause(cause, "cannot read the public key: %s",
			    dkim_ssl_error(err, sizeof err));
			return NULL;
		}
	} else {
		if ((n = i2d_PUBKEY(pk, &der)) <= 0) {
			ipc_cause(cause, "cannot write the public key: %s",
			    dkim_ssl_error(err, sizeof err));
			return NULL;
		}
		len = (size_t)n;
	}
	b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	if ((out = malloc(b64len)) == NULL)
		ipc_cause(cause, "out of memory");
	else
		sodium_bin2base64(out, b64len, ed ? raw : der, len,
		    sodium_base64_VARIANT_ORIGINAL);
	OPENSSL_free(der);
	return out;
}

char *
dkim_txt(const struct config *conf, const char *algorithm, const char *sealed,
    char **cause)
{
	unsigned char	 key[DKIM_KEYLEN];
	EVP_PKEY	*pk = NULL;
	BIO		*bio = NULL;
	char		*pem, *p = NULL, *txt = NULL, err[256];
	int		 ed = algorithm != NULL &&
			    strcmp(algorithm, "ed25519-sha256") == 0;

	if (dkim_keyfile_get(conf, 0, key, cause) == -1)
		return NULL;
	pem = dkim_unseal(key, sealed, cause);
	sodium_memzero(key, sizeof key);
	if (pem == NULL)
		return NULL;
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL)
		ipc_cause(cause, "the stored DKIM key does not read: %s",
		    dkim_ssl_error(err, sizeof err));
	else if (EVP_PKEY_base_id(pk) != (ed ? EVP_PKEY_ED25519 :
	    EVP_PKEY_RSA))
		ipc_cause(cause, "the stored DKIM key is not of its algorithm "
		    "%s", algorithm != NULL ? algorithm : "(none)");
	else if ((p = dkim_public_b64(pk, ed, cause)) != NULL &&
	    asprintf(&txt, "v=DKIM1; k=%s; p=%s", ed ? "ed25519" : "rsa",
	    p) == -1) {
		txt = NULL;
		ipc_cause(cause, "out of memory");
	}
	free(p);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	dkim_free_secret(pem);
	return txt;
}

char *
dkim_zone_line(const char *name, const char *txt)
{
	size_t	 len = strlen(txt), i, o;
	char	*out;

	/* At worst every byte escaped, and 3 bytes between strings. */
	if ((out = malloc(strlen(name) + 16 + 2 * len + 3 * (len /
	    DKIM_TXT_CHUNK))) == NULL)
		return NULL;
	o = (size_t)sprintf(out, "%s IN TXT \"", name);
	for (i = 0; i < len; i++) {
		if (i > 0 && i % DKIM_TXT_CHUNK == 0) {
			memcpy(out + o, "\" \"", 3);
			o += 3;
		}
		if (txt[i] == '"' || txt[i] == '\\')
			out[o++] = '\\';
		out[o++] = txt[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

/* ---- signing --------------------------------------------------------- */

/*
 * One library handle for the process: libopendkim documents a DKIM_LIB as
 * usable by several threads at once; its options are set here, before
 * any thread signs, and never changed.
 */
static pthread_once_t	 dkim_lib_once = PTHREAD_ONCE_INIT;
static DKIM_LIB		*dkim_lib;

/*
 * libopendkim 2.11's dkim_free() releases the key it loaded only for RSA:
 * an Ed25519 signing handle leaves its EVP_PKEY and signature buffer
 * behind (about 1.2 KiB a message).  To release them, the two blocks
 * dkim_privkey_load() allocates through our allocator (its struct
 * dkim_crypto, then the signature buffer) are caught, the struct is
 * checked against libopendkim's layout (dkim-types.h, OpenSSL build)
 * mirrored here, and only when every field is as expected are the two
 * freed and their fields set to NULL (so a dkim_free() that frees them
 * itself finds nothing).  Any other layout is left alone.
 */
struct dkim_crypto_mirror {
	u_char		 crypto_pad;
	int		 crypto_keysize;
	size_t		 crypto_inlen;
	size_t		 crypto_outlen;
	EVP_PKEY	*crypto_pkey;
	void		*crypto_key;
	BIO		*crypto_keydata;
	u_char		*crypto_in;
	u_char		*crypto_out;
};

struct dkim_capture {
	void	*blk[2];
	size_t	 size[2];
	size_t	 n;
};

/* Set while this thread runs dkim_privkey_load() for an Ed25519 key. */
static __thread struct dkim_capture	*dkim_capturing;

static void *
dkim_mem_alloc(void *closure, size_t n)
{
	struct dkim_capture	*c = dkim_capturing;
	void			*p;

	(void)closure;
	if ((p = malloc(n)) != NULL && c != NULL && c->n < 2) {
		c->blk[c->n] = p;
		c->size[c->n++] = n;
	}
	return p;
}

/* libopendkim copies the PEM it is given: every block it frees is wiped. */
static void
dkim_mem_free(void *closure, void *p)
{
	(void)closure;
	if (p != NULL) {
		sodium_memzero(p, malloc_usable_size(p));
		free(p);
	}
}

/*
 * Load an Ed25519 key into d: *crypto is its struct when the layout is the
 * one mirrored, else NULL.  A struct of a key that did not load is freed
 * at once: nothing else would.
 */
static DKIM_STAT
dkim_ed25519_load(DKIM *d, struct dkim_crypto_mirror **crypto)
{
	struct dkim_capture		 c = { .n = 0 };
	struct dkim_crypto_mirror	*m;
	DKIM_STAT			 st;

	*crypto = NULL;
	dkim_capturing = &c;
	st = dkim_privkey_load(d);
	dkim_capturing = NULL;
	if (c.n == 0 || c.size[0] != sizeof *m)
		return st;
	m = c.blk[0];
	if (st != DKIM_STAT_OK) {
		if (c.n == 1 && m->crypto_pkey == NULL && m->crypto_out == NULL)
			dkim_mem_free(NULL, m);
		return st;
	}
	if (c.n == 2 && m->crypto_out == c.blk[1] &&
	    m->crypto_outlen == c.size[1] && m->crypto_outlen == 64 &&
	    m->crypto_keysize == 512 && m->crypto_key == NULL &&
	    m->crypto_in == NULL && m->crypto_pkey != NULL &&
	    EVP_PKEY_get_base_id(m->crypto_pkey) == EVP_PKEY_ED25519)
		*crypto = m;
	return st;
}

/*
 * Did dkim_eom() attach the loaded key to the signature (so dkim_free()
 * frees the struct)?  It marks the signature KEYLOADED when it does.
 */
static int
dkim_key_attached(DKIM *d)
{
	DKIM_SIGINFO	**sigs;
	int		  n = 0;

	if (dkim_getsiglist(d, &sigs, &n) != DKIM_STAT_OK || n < 1)
		return 0;
	return (dkim_sig_getflags(sigs[0]) & DKIM_SIGFLAG_KEYLOADED) != 0;
}

/*
 * Free what dkim_free() leaves of an Ed25519 signing handle: the key and
 * the signature buffer; and when dkim_eom() stopped before taking the key
 * (a message it refused), the key's BIO and struct as well.  After a
 * signature, dkim_eom() has freed the BIO itself.
 */
static void
dkim_ed25519_release(DKIM *d, struct dkim_crypto_mirror *m, int signed_ok)
{
	if (m == NULL)
		return;
	EVP_PKEY_free(m->crypto_pkey);
	m->crypto_pkey = NULL;
	dkim_mem_free(NULL, m->crypto_out);
	m->crypto_out = NULL;
	m->crypto_outlen = 0;
	if (!dkim_key_attached(d)) {
		BIO_free(m->crypto_keydata);
		dkim_mem_free(NULL, m);
	} else if (signed_ok)
		m->crypto_keydata = NULL;
}

static void
dkim_lib_init(void)
{
	static const char	*oversign[] = { "from", NULL };
	DKIM_LIB		*lib;

	if ((lib = dkim_init(dkim_mem_alloc, dkim_mem_free)) == NULL)
		return;
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
	    dkim_should_signhdrs, sizeof(u_char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	    oversign, sizeof(u_char **)) != DKIM_STAT_OK) {
		dkim_close(lib);
		return;
	}
	dkim_lib = lib;
}

/* libopendkim's account of a failure. */
static const char *
dkim_lib_error(DKIM *d, DKIM_STAT st)
{
	const char	*e = d != NULL ? dkim_geterror(d) : NULL;

	if (e != NULL && *e != '\0')
		return e;
	e = dkim_getresultstr(st);
	return e != NULL ? e : "unknown error";
}

/* Feed the message to d and take its signature field. */
static DKIM_STAT
dkim_run(DKIM *d, const char *msg, size_t len, u_char **hdr, size_t *hlen)
{
	DKIM_STAT	st;

	if ((st = dkim_chunk(d, (u_char *)msg, len)) != DKIM_STAT_OK ||
	    (st = dkim_chunk(d, NULL, 0)) != DKIM_STAT_OK ||
	    (st = dkim_eom(d, NULL)) != DKIM_STAT_OK)
		return st;
	return dkim_getsighdr_d(d, strlen(DKIM_HDR_NAME), hdr, hlen);
}

/* One signature; appends its header field to *out. */
static int
dkim_sign_one(const char *pem, const char *algorithm, const char *domain,
    const char *selector, const char *msg, size_t len, char **out,
    size_t *outlen, char **cause)
{
	struct dkim_crypto_mirror	*ed = NULL;
	DKIM				*d;
	DKIM_STAT			 st;
	dkim_alg_t			 alg;
	u_char				*hdr;
	size_t				 hlen;
	char				*grown;
	int				 rc = -1;

	if (strcmp(algorithm, "rsa-sha256") == 0)
		alg = DKIM_SIGN_RSASHA256;
	else if (strcmp(algorithm, "ed25519-sha256") == 0)
		alg = DKIM_SIGN_ED25519SHA256;
	else
		return ipc_cause(cause, "the DKIM key of %s selector %s has an "
		    "unknown algorithm %.40s", domain, selector, algorithm);
	d = dkim_sign(dkim_lib, (const u_char *)"outfilterd", NULL,
	    (dkim_sigkey_t)pem, (const u_char *)selector,
	    (const u_char *)domain, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
	    alg, -1, &st);
	if (d == NULL)
		return ipc_cause(cause, "cannot sign for %s selector %s: %s",
		    domain, selector, dkim_lib_error(NULL, st));
	if (alg == DKIM_SIGN_ED25519SHA256)
		st = dkim_ed25519_load(d, &ed);
	else
		st = DKIM_STAT_OK;
	if (st == DKIM_STAT_OK)
		st = dkim_run(d, msg, len, &hdr, &hlen);
	if (st != DKIM_STAT_OK)
		ipc_cause(cause, "cannot sign for %s selector %s: %s", domain,
		    selector, dkim_lib_error(d, st));
	else if ((grown = realloc(*out, *outlen + strlen(DKIM_HDR_NAME) +
	    hlen + 3)) == NULL)
		ipc_cause(cause, "out of memory");
	else {
		*out = grown;
		*outlen += (size_t)sprintf(grown + *outlen, "%s%.*s\r\n",
		    DKIM_HDR_NAME, (int)hlen, hdr);
		rc = 0;
	}
	dkim_ed25519_release(d, ed, st == DKIM_STAT_OK);
	dkim_free(d);
	return rc;
}

/*
 * The selectors of a dkim.selector value, in their stored form: n of them,
 * duplicates dropped; -1 with cause.
 */
static int
dkim_selectors(const char *value, char **sel, size_t *n, char **cause)
{
	char	*copy, *word, *last, *norm, *why = NULL;
	size_t	 i;

	*n = 0;
	if ((copy = strdup(value)) == NULL)
		return ipc_cause(cause, "out of memory");
	for (word = strtok_r(copy, ", \t", &last); word != NULL;
	    word = strtok_r(NULL, ", \t", &last)) {
		if ((norm = db_selector_normalize(word, &why)) == NULL)
			goto fail;
		for (i = 0; i < *n && strcmp(sel[i], norm) != 0; i++)
			;
		if (i < *n) {
			free(norm);
			continue;
		}
		if (*n == DKIM_MAX_SELECTORS) {
			free(norm);
			if (asprintf(&why, "at most %d selectors",
			    DKIM_MAX_SELECTORS) == -1)
				why = NULL;
			goto fail;
		}
		sel[(*n)++] = norm;
	}
	free(copy);
	return 0;
fail:
	ipc_cause(cause, "dkim.selector \"%.200s\": %s", value,
	    why != NULL ? why : "out of memory");
	free(why);
	free(copy);
	while (*n > 0)
		free(sel[--(*n)]);
	return -1;
}

/*
 * The keys of the selectors: alg[i] and sealed[i] set, or left NULL with
 * sel[i] added to *missing ("a, b").
 */
static int
dkim_lookup(struct db *db, const char *domain, char **sel, size_t n,
    char **alg, char **sealed, char **missing, char **cause)
{
	char	*more;
	size_t	 i;
	int	 rc;

	*missing = NULL;
	for (i = 0; i < n; i++) {
		rc = db_dkim_get(db, domain, sel[i], &alg[i], &sealed[i],
		    cause);
		if (rc == -1)
			return -1;
		if (rc == 0)
			continue;
		if (asprintf(&more, "%s%s%s", *missing != NULL ? *missing :
		    "", *missing != NULL ? ", " : "", sel[i]) == -1)
			return ipc_cause(cause, "out of memory");
		free(*missing);
		*missing = more;
	}
	return 0;
}

/* Open one sealed key and sign with it. */
static int
dkim_sign_sealed(const unsigned char *key, const char *sealed,
    const char *alg, const char *dom, const char *sel, const char *msg,
    size_t len, char **out, size_t *outlen, char **cause)
{
	char	*pem, *why = NULL;
	int	 rc;

	if ((pem = dkim_unseal(key, sealed, &why)) == NULL) {
		ipc_cause(cause, "the DKIM key of %s selector %s: %s", dom,
		    sel, why != NULL ? why : "out of memory");
		free(why);
		return -1;
	}
	rc = dkim_sign_one(pem, alg, dom, sel, msg, len, out, outlen, cause);
	dkim_free_secret(pem);
	return rc;
}

int
dkim_sign_message(struct db *db, const struct config *conf,
    const char *domain, const char *selectors, const char *msg, size_t len,
    char **headers, size_t *hlen, char **cause)
{
	unsigned char	 key[DKIM_KEYLEN];
	char		*sel[DKIM_MAX_SELECTORS];
	char		*alg[DKIM_MAX_SELECTORS] = { 0 };
	char		*sealed[DKIM_MAX_SELECTORS] = { 0 };
	char		*dom = NULL, *missing = NULL, *out = NULL;
	size_t		 n = 0, i, found = 0, outlen = 0;
	int		 rc = -1;

	*headers = NULL;
	*hlen = 0;
	*cause = NULL;
	if (selectors == NULL || selectors[strspn(selectors, ", \t")] == '\0') {
		ipc_cause(cause, "no DKIM selector is set");
		return 1;
	}
	if (msg == NULL || len == 0)
		return ipc_cause(cause, "cannot DKIM-sign an empty message");
	if (dkim_selectors(selectors, sel, &n, cause) == -1)
		return -1;
	if ((dom = db_domain_normalize(domain, cause)) == NULL ||
	    dkim_lookup(db, dom, sel, n, alg, sealed, &missing, cause) == -1)
		goto out;
	for (i = 0; i < n; i++)
		found += sealed[i] != NULL;
	if (found == 0) {
		ipc_cause(cause, "%s has no DKIM key for selector%s %s", dom,
		    n > 1 ? "s" : "", missing);
		rc = 1;
		goto out;
	}
	pthread_once(&dkim_lib_once, dkim_lib_init);
	if (dkim_lib == NULL) {
		ipc_cause(cause, "libopendkim cannot be set up");
		goto out;
	}
	if (dkim_keyfile_get(conf, 0, key, cause) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (sealed[i] != NULL && dkim_sign_sealed(key, sealed[i],
		    alg[i], dom, sel[i], msg, len, &out, &outlen, cause) == -1)
			break;
	}
	sodium_memzero(key, sizeof key);
	if (i < n)
		goto out;
	rc = 0;
	*headers = out;
	*hlen = outlen;
	out = NULL;
	if (missing != NULL)
		ipc_cause(cause, "%s has no DKIM key for selector %s: signed "
		    "without it", dom, missing);
out:
	free(out);
	for (i = 0; i < n; i++) {
		free(sel[i]);
		free(alg[i]);
		free(sealed[i]);
	}
	free(missing);
	free(dom);
	return rc;
}
