/*
 * DKIM: the key file (made 0600, refused when others may read it), keys
 * made, sealed and published, and signatures checked by libopendkim's own
 * verifier (its key lookup answered from the records dkim_txt publishes)
 * on 8-bit, long-line, multipart and dot-leading messages, for RSA,
 * Ed25519 and both at once; then the refusals, and signing from several
 * threads with a database handle each.
 */
#define _GNU_SOURCE		/* asprintf */
#include <sys/stat.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <opendkim/dkim.h>

#include "conf.h"
#include "db.h"
#include "dkim.h"

#define DOMAIN	"example.com"

static char		 tmpdir[] = "/tmp/test_dkim.XXXXXX";
static char		 dbpath[256], keypath[256];
static struct config	*conf;
static struct db	*db;

/* The published records, as a DNS stub answers them. */
static struct {
	char	 name[128];
	char	*txt;
} dns[8];
static size_t	ndns;

static struct config *
load_conf(const char *keyfile)
{
	char		 path[256];
	FILE		*f;
	struct config	*c;
	char		*cause = NULL;

	snprintf(path, sizeof path, "%s/outfilterd.conf", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "[paths]\nstate_dir = %s\nrun_dir = %s\n", tmpdir, tmpdir);
	if (keyfile != NULL)
		fprintf(f, "[dkim]\nkey_file = %s\n", keyfile);
	fclose(f);
	c = conf_load(path, NULL, &cause);
	if (c == NULL)
		fail_msg("conf_load: %s", cause);
	return c;
}

/* Make a key, store it and publish its record in the stub. */
static void
make_key(const char *selector, const char *algo)
{
	const char	*algorithm;
	char		*sealed = NULL, *cause = NULL, *txt;

	if (dkim_keygen(conf, algo, 1, &algorithm, &sealed, &cause) != 0)
		fail_msg("keygen %s: %s", algo, cause);
	assert_null(strstr(sealed, "PRIVATE KEY"));
	assert_int_equal(strncmp(sealed, "sb1:", 4), 0);
	if (db_dkim_add(db, DOMAIN, selector, algorithm, sealed, &cause) != 0)
		fail_msg("db_dkim_add: %s", cause);
	if ((txt = dkim_txt(conf, algorithm, sealed, &cause)) == NULL)
		fail_msg("dkim_txt: %s", cause);
	assert_true(ndns < sizeof dns / sizeof dns[0]);
	snprintf(dns[ndns].name, sizeof dns[ndns].name, "%s._domainkey.%s",
	    selector, DOMAIN);
	dns[ndns++].txt = txt;
	free(sealed);
}

static int
setup(void **state)
{
	char	*cause = NULL;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/outfilter.db", tmpdir);
	snprintf(keypath, sizeof keypath, "%s/dkim.key", tmpdir);
	conf = load_conf(NULL);
	if ((db = db_open(dbpath, 1, &cause)) == NULL ||
	    db_domain_add(db, DOMAIN, NULL, &cause) != 0 ||
	    db_domain_add(db, "other.example", NULL, &cause) != 0) {
		fprintf(stderr, "setup: %s\n", cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];
	size_t	i;

	(void)state;
	for (i = 0; i < ndns; i++)
		free(dns[i].txt);
	db_close(db);
	conf_unref(conf);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the verifier ---------------------------------------------------- */

static DKIM_CBSTAT
stub_lookup(DKIM *d, DKIM_SIGINFO *sig, u_char *buf, size_t len)
{
	char	name[256];
	size_t	i;

	(void)d;
	snprintf(name, sizeof name, "%s._domainkey.%s",
	    dkim_sig_getselector(sig), dkim_sig_getdomain(sig));
	for (i = 0; i < ndns; i++) {
		if (strcmp(dns[i].name, name) == 0) {
			snprintf((char *)buf, len, "%s", dns[i].txt);
			return DKIM_CBSTAT_CONTINUE;
		}
	}
	return DKIM_CBSTAT_NOTFOUND;
}

/* Does the h= tag of a signature name From twice (over-signed)? */
static int
from_twice(DKIM_SIGINFO *sig)
{
	const char	*h, *p;

	h = (const char *)dkim_sig_gettagvalue(sig, 0, (u_char *)"h");
	if (h == NULL || (p = strcasestr(h, "from")) == NULL)
		return 0;
	return strcasestr(p + 4, "from") != NULL;
}

/*
 * Verify a signed message with libopendkim: how many signatures pass,
 * -1 when one fails or does not sign From twice.  No cmocka asserts:
 * threads call it.
 */
static int
verify(const char *msg, size_t len)
{
	DKIM_LIB	 *lib;
	DKIM		 *d;
	DKIM_SIGINFO	**sigs;
	DKIM_STAT	  st;
	int		  nsigs = 0, i, good = 0;

	if ((lib = dkim_init(NULL, NULL)) == NULL ||
	    dkim_set_key_lookup(lib, stub_lookup) != DKIM_STAT_OK ||
	    (d = dkim_verify(lib, (const u_char *)"test", NULL, &st)) == NULL)
		return -1;
	st = dkim_chunk(d, (u_char *)msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(d, NULL, 0);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(d, NULL);
	if (st != DKIM_STAT_OK) {
		print_message("verify: %s (%s)\n", dkim_getresultstr(st),
		    dkim_geterror(d));
		good = -1;
	}
	if (good == 0 && dkim_getsiglist(d, &sigs, &nsigs) == DKIM_STAT_OK) {
		for (i = 0; i < nsigs; i++) {
			if (!DKIM_SIG_CHECK(sigs[i]) || !from_twice(sigs[i])) {
				print_message("signature %d: %s\n", i,
				    dkim_sig_geterrorstr(
				    dkim_sig_geterror(sigs[i])));
				good = -1;
				break;
			}
			good++;
		}
	}
	dkim_free(d);
	dkim_close(lib);
	return good;
}

/* ---- tests ----------------------------------------------------------- */

static void
test_keyfile(void **state)
{
	struct stat	 st;
	const char	*alg;
	char		*sealed = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(dkim_keyfile_check(conf, &cause), 0);
	assert_int_equal(dkim_keygen(conf, "rsa-2048", 0, &alg, &sealed,
	    &cause), -1);
	assert_non_null(strstr(cause, "missing"));
	free(cause);
	cause = NULL;
	assert_int_equal(dkim_keygen(conf, "dsa", 1, &alg, &sealed, &cause),
	    -1);
	assert_non_null(strstr(cause, "rsa-2048 or ed25519"));
	free(cause);
	cause = NULL;

	make_key("rsa1", "rsa-2048");
	make_key("ed1", "ed25519");
	make_key("Mixed-Case.sel", NULL);
	assert_int_equal(stat(keypath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(dkim_keyfile_check(conf, &cause), 0);

	chmod(keypath, 0640);
	assert_int_equal(dkim_keyfile_check(conf, &cause), -1);
	assert_non_null(strstr(cause, "chmod 600"));
	free(cause);
	cause = NULL;
	chmod(keypath, 0600);
}

static void
test_records(void **state)
{
	json_t	*page;
	char	*alg, *key, *cause = NULL, *line;
	size_t	 i, n;

	(void)state;
	assert_true(ndns >= 2);
	assert_int_equal(strncmp(dns[0].txt, "v=DKIM1; k=rsa; p=MII", 21), 0);
	assert_int_equal(strncmp(dns[1].txt, "v=DKIM1; k=ed25519; p=", 22), 0);
	/* Ed25519: the raw 32-byte key, 44 characters of base64. */
	assert_int_equal(strlen(dns[1].txt + 22), 44);

	/* The zone line: strings of at most 255 bytes, joined the text. */
	assert_non_null(line = dkim_zone_line("rsa1._domainkey.example.com.",
	    dns[0].txt));
	assert_int_equal(strncmp(line, "rsa1._domainkey.example.com. IN TXT "
	    "\"v=DKIM1; k=rsa; p=", 54), 0);
	for (i = 0, n = 0; line[i] != '\0'; i++)
		n += line[i] == '"';
	assert_int_equal(n, 2 * ((strlen(dns[0].txt) + 254) / 255));
	free(line);
	assert_non_null(line = dkim_zone_line("x.", "a\"b\\c"));
	assert_string_equal(line, "x. IN TXT \"a\\\"b\\\\c\"");
	free(line);

	/* Stored under lower-case names; one key per selector. */
	assert_int_equal(db_dkim_get(db, "EXAMPLE.com", "mixed-case.SEL", &alg,
	    &key, &cause), 0);
	assert_string_equal(alg, "rsa-sha256");
	free(alg);
	free(key);
	assert_int_equal(db_dkim_get(db, DOMAIN, "none", &alg, &key, &cause),
	    1);
	assert_int_equal(db_dkim_add(db, DOMAIN, "rsa1", "rsa-sha256", "sb1:x",
	    &cause), -1);
	assert_int_equal(db_errkind(db), DB_ECONFLICT);
	free(cause);
	cause = NULL;
	assert_int_equal(db_dkim_add(db, DOMAIN, "bad_selector", "rsa-sha256",
	    "sb1:x", &cause), -1);
	assert_int_equal(db_errkind(db), DB_EINVAL);
	assert_string_equal(db_errfield(db), "selector");
	free(cause);
	cause = NULL;
	assert_int_equal(db_dkim_add(db, "nosuch.example", "s", "rsa-sha256",
	    "sb1:x", &cause), -1);
	assert_int_equal(db_errkind(db), DB_ENOTFOUND);
	free(cause);
	cause = NULL;

	/* Listed per domain and within a scope. */
	assert_int_equal(db_dkim_list(db, NULL, DOMAIN, NULL, 50, &page,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(page, "items")), 3);
	json_decref(page);
	{
		char *const	scope[] = { "other.example", NULL };

		assert_int_equal(db_dkim_list(db, scope, NULL, NULL, 50, &page,
		    &cause), 0);
		assert_int_equal(json_array_size(json_object_get(page,
		    "items")), 0);
		json_decref(page);
	}
}

static const struct {
	const char	*what;
	const char	*msg;
} messages[] = {
	{ "plain",
	  "From: Alice <alice@example.com>\r\n"
	  "To: bob@example.org\r\n"
	  "Subject: hello\r\n"
	  "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
	  "Message-ID: <1@example.com>\r\n"
	  "\r\n"
	  "Hello Bob.\r\n" },
	{ "8-bit",
	  "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.com>\r\n"
	  "To: \xc3\xa9mile@example.org\r\n"
	  "Subject: Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln\r\n"
	  "MIME-Version: 1.0\r\n"
	  "Content-Type: text/plain; charset=iso-8859-1\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n"
	  "\r\n"
	  "Sch\xf6ne Gr\xfc\xdf" "e, \xe4\xf6\xfc \xc4\xd6\xdc.\r\n"
	  "\xff\xfe\x80 bytes that are no charset at all\r\n" },
	{ "multipart",
	  "From: alice@example.com\r\n"
	  "To: bob@example.org\r\n"
	  "Subject: files\r\n"
	  "MIME-Version: 1.0\r\n"
	  "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	  "\r\n"
	  "preamble\r\n"
	  "--b1\r\n"
	  "Content-Type: text/plain\r\n"
	  "\r\n"
	  "the text  with   spaces \t \r\n"
	  "--b1\r\n"
	  "Content-Type: application/octet-stream\r\n"
	  "Content-Transfer-Encoding: base64\r\n"
	  "Content-Disposition: attachment; filename=\"a.bin\"\r\n"
	  "\r\n"
	  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n"
	  "--b1--\r\n"
	  "epilogue\r\n"
	  "\r\n"
	  "\r\n" },
	{ "dot-leading",
	  "From: alice@example.com\r\n"
	  "To: bob@example.org\r\n"
	  "Subject: dots\r\n"
	  "\r\n"
	  ".\r\n"
	  "..\r\n"
	  ".leading dot\r\n"
	  "...three\r\n"
	  "last line\r\n" },
	{ "folded headers, empty body",
	  "From: alice@example.com\r\n"
	  "To: bob@example.org,\r\n"
	  "\tcarol@example.org\r\n"
	  "Subject:   spaced    out  \r\n"
	  "\r\n" },
};

/* A message with a body line of n bytes and a long folded header. */
static char *
long_message(size_t n)
{
	char	*m, *p;
	size_t	 i;

	assert_non_null(m = malloc(n + 4096));
	p = m + sprintf(m, "From: alice@example.com\r\nTo: bob@example.org\r\n"
	    "Subject: long");
	for (i = 0; i < 40; i++)
		p += sprintf(p, "\r\n word%zu word%zu word%zu", i, i, i);
	p += sprintf(p, "\r\n\r\nshort line\r\n");
	memset(p, 'x', n);
	p += n;
	p += sprintf(p, "\r\nend\r\n");
	return m;
}

/* Sign msg with selectors; verify it; return the signatures counted. */
static int
sign_and_verify(const char *selectors, const char *msg, size_t len,
    int tamper)
{
	char	*hdrs = NULL, *cause = NULL, *all, *p;
	size_t	 hlen = 0, i;
	int	 rc, n = 0;

	rc = dkim_sign_message(db, conf, DOMAIN, selectors, msg, len, &hdrs,
	    &hlen, &cause);
	if (rc != 0)
		fail_msg("sign %s: %d %s", selectors, rc, cause);
	assert_null(cause);
	assert_int_equal(strlen(hdrs), hlen);
	for (p = hdrs; (p = strstr(p, "DKIM-Signature: ")) != NULL; p++)
		n++;
	assert_int_equal(strncmp(hdrs, "DKIM-Signature: v=1; ", 21), 0);
	assert_non_null(strstr(hdrs, "c=relaxed/relaxed"));
	assert_non_null(strstr(hdrs, "d=" DOMAIN ";"));
	/* Only CRLF line ends, and the fields end with one. */
	for (i = 0; i < hlen; i++) {
		if (hdrs[i] == '\n')
			assert_int_equal(hdrs[i - 1], '\r');
		if (hdrs[i] == '\r')
			assert_int_equal(hdrs[i + 1], '\n');
	}
	assert_int_equal(memcmp(hdrs + hlen - 2, "\r\n", 2), 0);

	assert_non_null(all = malloc(hlen + len + 1));
	memcpy(all, hdrs, hlen);
	memcpy(all + hlen, msg, len);
	if (tamper)
		all[hlen + len - 3] ^= 1;
	rc = verify(all, hlen + len);
	free(all);
	free(hdrs);
	if (tamper)
		return rc;
	assert_int_equal(rc, n);
	return n;
}

static void
test_sign_verify(void **state)
{
	static const struct {
		const char	*sel;
		int		 n;
	} keys[] = {
		{ "rsa1", 1 }, { "ed1", 1 }, { "rsa1,ed1", 2 },
		{ "ed1 rsa1", 2 }, { "ed1, ed1", 1 },
	};
	size_t	i, k;
	char	*m;

	(void)state;
	for (i = 0; i < sizeof messages / sizeof messages[0]; i++) {
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			print_message("%s with %s\n", messages[i].what,
			    keys[k].sel);
			assert_int_equal(sign_and_verify(keys[k].sel,
			    messages[i].msg, strlen(messages[i].msg), 0),
			    keys[k].n);
		}
	}
	m = long_message(5000);
	assert_int_equal(sign_and_verify("rsa1,ed1", m, strlen(m), 0), 2);
	free(m);
	m = long_message(1024 * 1024);
	assert_int_equal(sign_and_verify("rsa1,ed1", m, strlen(m), 0), 2);
	/* A changed byte fails, for both algorithms. */
	assert_int_equal(sign_and_verify("rsa1", m, strlen(m), 1), -1);
	assert_int_equal(sign_and_verify("ed1", m, strlen(m), 1), -1);
	free(m);
}

static void
test_sign_refusals(void **state)
{
	static const char	 nuls[] = "From: a@example.com\r\nX: \0\0\0"
	    "\r\n\r\n\0\r\n\r\n";
	const char		*msg = messages[0].msg, *m;
	char			*hdrs, *cause;
	size_t			 hlen;

	(void)state;
	/* No key: 1, the message goes out unsigned, the cause says why. */
	cause = NULL;
	assert_int_equal(dkim_sign_message(db, conf, DOMAIN, "nokey", msg,
	    strlen(msg), &hdrs, &hlen, &cause), 1);
	assert_null(hdrs);
	assert_string_equal(cause, "example.com has no DKIM key for selector "
	    "nokey");
	free(cause);
	assert_int_equal(dkim_sign_message(db, conf, "other.example", "rsa1",
	    msg, strlen(msg), &hdrs, &hlen, &cause), 1);
	free(cause);
	assert_int_equal(dkim_sign_message(db, conf, DOMAIN, "", msg,
	    strlen(msg), &hdrs, &hlen, &cause), 1);
	assert_non_null(strstr(cause, "no DKIM selector"));
	free(cause);
	assert_int_equal(dkim_sign_message(db, conf, DOMAIN, "nokey,other",
	    msg, strlen(msg), &hdrs, &hlen, &cause), 1);
	assert_non_null(strstr(cause, "selectors nokey, other"));
	free(cause);

	/* One of two: signed, and the cause names the one without a key. */
	assert_int_equal(dkim_sign_message(db, conf, DOMAIN, "rsa1,nokey",
	    msg, strlen(msg), &hdrs, &hlen, &cause), 0);
	assert_non_null(hdrs);
	assert_non_null(strstr(cause, "nokey"));
	free(cause);
	free(hdrs);

	/* Errors. */
	assert_int_equal(dkim_sign_message(db, conf, DOMAIN, "a,b,c", msg,
	    strlen(msg), &hdrs, &hlen, &cause), -1);
	assert_non_null(strstr(cause, "at most 2"));
	free(cause);
	assert_int_equal(dkim_sign_message(db, conf, DOMAIN, "bad_sel!", msg,
	    strlen(msg), &hdrs, &hlen, &cause), -1);
	assert_non_null(strstr(cause, "dkim.selector"));
	free(cause);
	assert_int_equal(dkim_sign_message(db, conf, "not a domain", "rsa1",
	    msg, strlen(msg), &hdrs, &hlen, &cause), -1);
	free(cause);
	assert_int_equal(dkim_sign_message(db, conf, DOMAIN, "rsa1", msg, 0,
	    &hdrs, &hlen, &cause), -1);
	free(cause);
	m = "To: bob@example.org\r\nSubject: no sender\r\n\r\nbody\r\n";
	assert_int_equal(dkim_sign_message(db, conf, DOMAIN, "rsa1", m,
	    strlen(m), &hdrs, &hlen, &cause), -1);
	assert_non_null(strstr(cause, "rsa1"));
	free(cause);
	/* Hostile bytes: signed or refused, never a crash. */
	if (dkim_sign_message(db, conf, DOMAIN, "ed1", nuls, sizeof nuls - 1,
	    &hdrs, &hlen, &cause) == 0)
		free(hdrs);
	free(cause);
	m = "no header at all";
	if (dkim_sign_message(db, conf, DOMAIN, "ed1", m, strlen(m), &hdrs,
	    &hlen, &cause) == 0)
		free(hdrs);
	free(cause);
}

/* A key sealed under one key file does not open under another. */
static void
test_other_keyfile(void **state)
{
	struct config	*other;
	char		 path[300];
	char		*alg, *sealed, *cause = NULL, *hdrs;
	const char	*msg = messages[0].msg;
	size_t		 hlen;

	(void)state;
	snprintf(path, sizeof path, "%s/other.key", tmpdir);
	other = load_conf(path);
	assert_int_equal(db_dkim_get(db, DOMAIN, "ed1", &alg, &sealed, &cause),
	    0);
	assert_null(dkim_txt(other, alg, sealed, &cause));
	assert_non_null(strstr(cause, "missing"));
	free(cause);
	cause = NULL;
	assert_int_equal(dkim_sign_message(db, other, DOMAIN, "ed1", msg,
	    strlen(msg), &hdrs, &hlen, &cause), -1);
	assert_non_null(strstr(cause, "missing"));
	free(cause);
	cause = NULL;
	/* Make that other file, then the stored key does not open with it. */
	{
		const char	*a;
		char		*s;

		assert_int_equal(dkim_keygen(other, "ed25519", 1, &a, &s,
		    &cause), 0);
		free(s);
	}
	assert_null(dkim_txt(other, alg, sealed, &cause));
	assert_non_null(strstr(cause, "does not open"));
	free(cause);
	cause = NULL;
	assert_int_equal(dkim_sign_message(db, other, DOMAIN, "ed1", msg,
	    strlen(msg), &hdrs, &hlen, &cause), -1);
	assert_non_null(strstr(cause, "ed1"));
	free(cause);
	/* A damaged stored key is refused, not a crash. */
	assert_null(dkim_txt(conf, alg, "sb1:AAAA", &cause));
	free(cause);
	assert_null(dkim_txt(conf, alg, "-----BEGIN PRIVATE KEY-----", &cause));
	free(cause);
	assert_null(dkim_txt(conf, "rsa-sha256", sealed, &cause));
	assert_non_null(strstr(cause, "algorithm"));
	free(cause);
	free(alg);
	free(sealed);
	conf_unref(other);
}

#define THREADS		6
#define PER_THREAD	15

static void *
signer(void *arg)
{
	struct db	*h;
	char		*cause = NULL, *hdrs, *all;
	const char	*msg = messages[(uintptr_t)arg % 4].msg;
	size_t		 hlen, len = strlen(msg);
	int		 i;
	intptr_t	 bad = 0;

	if ((h = db_open(dbpath, 0, &cause)) == NULL)
		return (void *)1;
	for (i = 0; i < PER_THREAD && bad == 0; i++) {
		if (dkim_sign_message(h, conf, DOMAIN, "rsa1,ed1", msg, len,
		    &hdrs, &hlen, &cause) != 0) {
			bad = 1;
			break;
		}
		all = malloc(hlen + len);
		memcpy(all, hdrs, hlen);
		memcpy(all + hlen, msg, len);
		if (verify(all, hlen + len) != 2)
			bad = 1;
		free(all);
		free(hdrs);
	}
	free(cause);
	db_close(h);
	return (void *)bad;
}

static void
test_threads(void **state)
{
	pthread_t	t[THREADS];
	void		*rc;
	uintptr_t	 i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, signer,
		    (void *)i), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_null(rc);
	}
}

static void
test_del(void **state)
{
	char	*cause = NULL, *hdrs;
	size_t	 hlen;

	(void)state;
	assert_int_equal(db_dkim_del(db, DOMAIN, "MIXED-case.sel", &cause), 0);
	assert_int_equal(db_dkim_del(db, DOMAIN, "mixed-case.sel", &cause), -1);
	assert_int_equal(db_errkind(db), DB_ENOTFOUND);
	free(cause);
	cause = NULL;
	assert_int_equal(dkim_sign_message(db, conf, DOMAIN, "mixed-case.sel",
	    messages[0].msg, strlen(messages[0].msg), &hdrs, &hlen, &cause), 1);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_sign_refusals),
		cmocka_unit_test(test_other_keyfile),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_del),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
