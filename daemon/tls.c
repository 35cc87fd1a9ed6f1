/*
 * TLS: the server's SSL_CTX and its certificate.  When [smtp] tls_cert
 * and tls_key are empty, STATE_DIR/tls/cert.pem and key.pem are used,
 * made on first start: an RSA-2048 key (every client speaks it) and a
 * self-signed certificate for the host name, valid ten years.  Mail
 * clients rarely verify a submission server's certificate against a CA,
 * and a hosting provider replaces it with its own by setting the two
 * paths.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "tls.h"

#define TLS_DAYS	3650

/* The last OpenSSL error as text, for a cause. */
static const char *
tls_error(void)
{
	static char	buf[256];
	unsigned long	e = ERR_get_error();

	if (e == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

int
tls_check_key(const char *path, char **cause)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return ipc_cause(cause, "%s: %s", path, strerror(errno));
	if (st.st_mode & S_IROTH)
		return ipc_cause(cause, "%s: the TLS key is readable by every "
		    "user (mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	return 0;
}

/* Write a PEM file through a temporary name, then rename it in place. */
static int
tls_write(const char *path, mode_t mode, EVP_PKEY *key, X509 *crt,
    char **cause)
{
	char	 tmp[PATH_MAX];
	FILE	*f;
	int	 fd, ok;

	snprintf(tmp, sizeof tmp, "%s.new", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) ==
	    -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		return ipc_cause(cause, "%s: %s", tmp, strerror(errno));
	}
	ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
	    NULL) : PEM_write_X509(f, crt);
	if (fflush(f) != 0 || fsync(fileno(f)) == -1)
		ok = 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) == -1) {
		unlink(tmp);
		return ipc_cause(cause, "%s: cannot write it", path);
	}
	return 0;
}

static int
tls_name_add(X509_NAME *name, const char *field, const char *value)
{
	return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
	    (const unsigned char *)value, -1, -1, 0);
}

/* The subject (= issuer) and subjectAltName for hostname. */
static int
tls_cert_names(X509 *crt, const char *hostname)
{
	X509_NAME		*name = X509_get_subject_name(crt);
	X509_EXTENSION		*ext;
	X509V3_CTX		 ctx;
	char			 san[300];
	int			 ok;

	if (!tls_name_add(name, "O", "outfilter") ||
	    !tls_name_add(name, "CN", hostname) ||
	    !X509_set_issuer_name(crt, name))
		return 0;
	snprintf(san, sizeof san, "DNS:%s", hostname);
	X509V3_set_ctx(&ctx, crt, crt, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    san)) == NULL)
		return 0;
	ok = X509_add_ext(crt, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A random positive serial number. */
static int
tls_serial(X509 *crt)
{
	unsigned char	 serial[16];
	BIGNUM		*bn;
	int		 ok;

	if (RAND_bytes(serial, sizeof serial) != 1)
		return 0;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL)
		return 0;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(crt)) != NULL;
	BN_free(bn);
	return ok;
}

/* A self-signed certificate for key. */
static X509 *
tls_cert_make(EVP_PKEY *key, const char *hostname)
{
	X509	*crt;

	if ((crt = X509_new()) == NULL)
		return NULL;
	if (!X509_set_version(crt, 2) || !tls_serial(crt) ||
	    X509_gmtime_adj(X509_getm_notBefore(crt), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(crt),
	    (long)TLS_DAYS * 86400) == NULL ||
	    !X509_set_pubkey(crt, key) || !tls_cert_names(crt, hostname) ||
	    X509_sign(crt, key, EVP_sha256()) == 0)
		goto fail;
	return crt;
fail:
	X509_free(crt);
	return NULL;
}

/* Make the self-signed pair in dir (key first, mode 0600). */
static int
tls_selfsigned(const char *cert, const char *keyfile, const char *hostname,
    char **cause)
{
	EVP_PKEY	*key;
	X509		*crt = NULL;
	int		 rc = -1;

	if ((key = EVP_RSA_gen(2048)) == NULL ||
	    (crt = tls_cert_make(key, hostname)) == NULL)
		ipc_cause(cause, "cannot make a self-signed certificate: %s",
		    tls_error());
	else if (tls_write(keyfile, 0600, key, NULL, cause) == 0 &&
	    tls_write(cert, 0644, NULL, crt, cause) == 0) {
		log_notice("tls: made a self-signed certificate for %s in %s",
		    hostname, cert);
		rc = 0;
	}
	X509_free(crt);
	EVP_PKEY_free(key);
	return rc;
}

/* The certificate and key paths: configured, or the self-signed pair. */
static int
tls_paths(const struct config *conf, const char *hostname, char *cert,
    char *key, size_t len, char **cause)
{
	const char	*c = conf_str(conf, CONF_smtp_tls_cert);
	const char	*k = conf_str(conf, CONF_smtp_tls_key);
	char		 dir[PATH_MAX - 16];

	if (*c != '\0' || *k != '\0') {
		if (*c == '\0' || *k == '\0')
			return ipc_cause(cause, "[smtp] tls_cert and tls_key go "
			    "together");
		snprintf(cert, len, "%s", c);
		snprintf(key, len, "%s", k);
		return 0;
	}
	snprintf(dir, sizeof dir, "%s/tls", conf_str(conf, CONF_paths_state_dir));
	if (daemon_mkdirs(dir, 0700, cause) == -1)
		return -1;
	snprintf(cert, len, "%s/cert.pem", dir);
	snprintf(key, len, "%s/key.pem", dir);
	if (access(key, F_OK) == 0 && access(cert, F_OK) == 0)
		return 0;
	return tls_selfsigned(cert, key, hostname, cause);
}

SSL_CTX *
tls_server_new(const struct config *conf, const char *hostname, char **cause)
{
	SSL_CTX	*ctx;
	char	 cert[PATH_MAX], key[PATH_MAX];

	if (tls_paths(conf, hostname, cert, key, sizeof cert, cause) == -1 ||
	    tls_check_key(key, cause) == -1)
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		ipc_cause(cause, "tls: %s", tls_error());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Idle TLS sessions keep no read/write buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"outfilter",
	    9);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ipc_cause(cause, "tls: %s / %s: %s", cert, key, tls_error());
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

void
tls_server_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

void
tls_describe(SSL *ssl, char *buf, size_t len)
{
	const SSL_CIPHER	*c = SSL_get_current_cipher(ssl);
	int			 alg = 0, bits;

	if (c == NULL) {
		snprintf(buf, len, "%s", SSL_get_version(ssl));
		return;
	}
	bits = SSL_CIPHER_get_bits(c, &alg);
	snprintf(buf, len, "%s with cipher %s (%d/%d bits)", SSL_get_version(ssl),
	    SSL_CIPHER_get_name(c), bits, alg);
}
