/*
 * Known tools: the SHA-256 list's import (fields, categories, line
 * numbers, counts), the scanner's lookup of each file in it (a part, an
 * archive entry), and clamd's INSTREAM framing and answers against a
 * stand-in clamd on a unix socket.
 */
#define _GNU_SOURCE		/* asprintf */
#include <sys/socket.h>
#include <sys/un.h>

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

#include <sodium.h>

#include "clamd.h"
#include "content.h"
#include "content_hashes.h"
#include "db.h"

static char		 tmpdir[] = "/tmp/test_content_hashes.XXXXXX";
static struct db	*db;

static const unsigned char	 tool[] = "MZ-not-really-a-tool-but-listed";

static void
tool_hex(char hex[65])
{
	unsigned char	sum[32];

	crypto_hash_sha256(sum, tool, sizeof tool - 1);
	sodium_bin2hex(hex, 65, sum, sizeof sum);
}

static json_t *
import(const char *text, int64_t first)
{
	json_t	*r = NULL;
	char	*cause = NULL;

	if (content_hashes_import(db, text, first, &r, &cause) == -1)
		fail_msg("import: %s", cause);
	return r;
}

static json_int_t
jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void
test_import(void **state)
{
	json_t	*r, *bad;
	char	 hex[65], *text, upper[65];
	size_t	 i;

	(void)state;
	tool_hex(hex);
	for (i = 0; i < 64; i++)
		upper[i] = hex[i] >= 'a' ? hex[i] - 32 : hex[i];
	upper[64] = '\0';
	assert_int_not_equal(asprintf(&text,
	    "# list\r\n"
	    "%s , Tool 1 ,network-tools\r\n"
	    "\n"
	    "%064d\n"
	    "%064d,a,b,c\n"
	    "abc,short\n"
	    "%064d,x,nope\n"
	    "%064d,caf\xc3\xa9\n"
	    "%064d,%0200d\n"
	    "%064d,P2P client,P2P", upper, 1, 2, 3, 4, 5, 0, 6), -1);
	r = import(text, 10);
	free(text);
	assert_int_equal(jint(r, "lines"), 10);
	assert_int_equal(jint(r, "imported"), 3);
	assert_int_equal(jint(r, "skipped"), 2);
	assert_int_equal(jint(r, "bad"), 5);
	bad = json_object_get(r, "bad_lines");
	assert_int_equal(json_array_size(bad), 5);
	assert_int_equal(jint(json_array_get(bad, 0), "line"), 14);
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_array_get(bad, 0), "error")), "more than 3 fields"));
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_array_get(bad, 1), "error")), "sha256"));
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_array_get(bad, 2), "error")), "category"));
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_array_get(bad, 3), "error")), "printable"));
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_array_get(bad, 4), "error")), "longer"));
	json_decref(r);

	/* Again: replaced, not doubled; empty text is no failure. */
	json_decref(import("", 1));
	assert_int_not_equal(asprintf(&text, "%s,Tool 1,network-tools\n",
	    hex), -1);
	json_decref(import(text, 1));
	free(text);
	assert_int_equal(content_hashes_count(db, &r, &(char *){ NULL }), 0);
	assert_int_equal(jint(r, "total"), 3);
	assert_int_equal(jint(json_object_get(r, "categories"),
	    "network-tools"), 1);
	assert_int_equal(jint(json_object_get(r, "categories"), "p2p"), 1);
	assert_int_equal(jint(json_object_get(r, "categories"), "other"), 1);
	assert_int_equal(jint(json_object_get(r, "categories"),
	    "spying-tools"), 0);
	json_decref(r);
}

/* A message with one base64 attachment. */
static char *
message(const unsigned char *p, size_t len, const char *name)
{
	char	*b64, *msg;
	size_t	 n = sodium_base64_encoded_len(len,
		    sodium_base64_VARIANT_ORIGINAL);

	assert_non_null(b64 = malloc(n));
	sodium_bin2base64(b64, n, p, len, sodium_base64_VARIANT_ORIGINAL);
	assert_int_not_equal(asprintf(&msg, "From: a@example.com\r\n"
	    "Subject: t\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	    "--b\r\nContent-Type: application/octet-stream; name=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n",
	    name, b64), -1);
	free(b64);
	return msg;
}

/* A zip holding p as NAME, stored. */
static unsigned char *
zip(const unsigned char *p, size_t len, const char *name, size_t *zlen)
{
	unsigned char	*z, *q;
	size_t		 nl = strlen(name), off;
	uint32_t	 crc = 0xffffffff;
	size_t		 i;
	int		 b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = crc >> 1 ^ (0xedb88320 & -(crc & 1));
	}
	crc = ~crc;
	*zlen = 30 + nl + len + 46 + nl + 22;
	assert_non_null(z = calloc(1, *zlen));
#define LE2(q, v) do { (q)[0] = (v) & 0xff; (q)[1] = ((v) >> 8) & 0xff; } while (0)
#define LE4(q, v) do { LE2(q, v); LE2((q) + 2, (v) >> 16); } while (0)
	q = z;
	memcpy(q, "PK\3\4", 4);
	LE2(q + 4, 10);
	LE4(q + 14, crc);
	LE4(q + 18, len);
	LE4(q + 22, len);
	LE2(q + 26, nl);
	memcpy(q + 30, name, nl);
	memcpy(q + 30 + nl, p, len);
	off = 30 + nl + len;
	q = z + off;
	memcpy(q, "PK\1\2", 4);
	LE2(q + 4, 20);
	LE2(q + 6, 10);
	LE4(q + 16, crc);
	LE4(q + 20, len);
	LE4(q + 24, len);
	LE2(q + 28, nl);
	memcpy(q + 46, name, nl);
	q += 46 + nl;
	memcpy(q, "PK\5\6", 4);
	LE2(q + 8, 1);
	LE2(q + 10, 1);
	LE4(q + 12, 46 + nl);
	LE4(q + 16, off);
	return z;
}

static void
scan(const char *msg, struct content_verdict *v, int lookup)
{
	struct content_opts	 o;
	char			*cause = NULL;

	content_opts_default(&o);
	if (lookup) {
		o.blob = content_hashes_blob;
		o.blob_arg = db;
	}
	if (content_scan(msg, strlen(msg), &o, v, &cause) == -1)
		fail_msg("scan: %s", cause);
}

static void
test_scan(void **state)
{
	struct content_verdict	 v;
	unsigned char		*z;
	size_t			 zl;
	char			*msg, hex[65], *text;

	(void)state;
	tool_hex(hex);
	assert_int_not_equal(asprintf(&text, "%s,Tool 1,network-tools\n",
	    hex), -1);
	json_decref(import(text, 1));
	free(text);

	msg = message(tool, sizeof tool - 1, "notes.txt");
	scan(msg, &v, 1);
	assert_true(v.blocked);
	assert_string_equal(v.class, CONTENT_DANGEROUS);
	assert_string_equal(v.reason, "notes.txt is Tool 1, a known network "
	    "tool (network-tools, sha256 list)");
	scan(msg, &v, 0);
	assert_false(v.blocked);
	free(msg);

	z = zip(tool, sizeof tool - 1, "bin/t.dat", &zl);
	msg = message(z, zl, "a.zip");
	free(z);
	scan(msg, &v, 1);
	assert_true(v.blocked);
	assert_string_equal(v.part, "a.zip/bin/t.dat");
	assert_non_null(strstr(v.reason, "network-tools"));
	free(msg);

	msg = message((const unsigned char *)"other bytes", 11, "x.dat");
	scan(msg, &v, 1);
	assert_false(v.blocked);
	free(msg);
}

/* A stand-in clamd: reads one INSTREAM, answers with what it was told. */
struct fake {
	int		 fd;
	const char	*answer;	/* NULL: the framing's verdict */
	size_t		 got;
	int		 framing_ok;
};

static int
readn(int fd, void *buf, size_t n)
{
	unsigned char	*p = buf;
	ssize_t		 r;

	while (n > 0) {
		if ((r = read(fd, p, n)) <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void *
fake_main(void *arg)
{
	struct fake	*f = arg;
	unsigned char	 hdr[4], buf[70000];
	char		 cmd[10];
	uint32_t	 n;
	int		 c;

	if ((c = accept(f->fd, NULL, NULL)) == -1)
		return NULL;
	f->framing_ok = readn(c, cmd, sizeof cmd) == 0 &&
	    memcmp(cmd, "zINSTREAM", 10) == 0;
	while (f->framing_ok) {
		if (readn(c, hdr, 4) == -1) {
			f->framing_ok = 0;
			break;
		}
		n = (uint32_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 |
		    hdr[3];
		if (n == 0)
			break;
		if (n > sizeof buf || readn(c, buf, n) == -1) {
			f->framing_ok = 0;
			break;
		}
		f->got += n;
	}
	if (f->answer != NULL)
		(void)!write(c, f->answer, strlen(f->answer) + 1);
	close(c);
	return NULL;
}

static int
fake_scan(const char *answer, size_t len, char *name, size_t nl,
    char **cause, struct fake *f)
{
	struct sockaddr_un	 sun;
	pthread_t		 t;
	char			*spec, *msg;
	int			 r;

	memset(f, 0, sizeof *f);
	f->answer = answer;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/clamd.sock", tmpdir);
	unlink(sun.sun_path);
	assert_int_not_equal(f->fd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(f->fd, 1), 0);
	assert_int_equal(pthread_create(&t, NULL, fake_main, f), 0);
	assert_non_null(msg = malloc(len));
	memset(msg, 'x', len);
	assert_int_not_equal(asprintf(&spec, "unix:%s", sun.sun_path), -1);
	r = clamd_scan(spec, 2000, msg, len, name, nl, cause);
	pthread_join(t, NULL);
	close(f->fd);
	free(spec);
	free(msg);
	return r;
}

static void
test_clamd(void **state)
{
	struct fake	 f;
	char		 name[64], *cause = NULL;

	(void)state;
	assert_int_equal(fake_scan("stream: OK", 200000, name, sizeof name,
	    &cause, &f), 0);
	assert_true(f.framing_ok);
	assert_int_equal(f.got, 200000);
	assert_int_equal(fake_scan("stream: Win.Tool.Nmap FOUND", 10, name,
	    sizeof name, &cause, &f), 1);
	assert_string_equal(name, "Win.Tool.Nmap");
	assert_int_equal(fake_scan("INSTREAM size limit exceeded. ERROR", 10,
	    name, sizeof name, &cause, &f), -1);
	assert_non_null(strstr(cause, "size limit exceeded"));
	free(cause);
	cause = NULL;
	assert_int_equal(fake_scan(NULL, 10, name, sizeof name, &cause, &f),
	    -1);
	assert_non_null(strstr(cause, "without an answer"));
	free(cause);

	assert_int_equal(clamd_scan("tcp:127.0.0.1", 1000, "x", 1, name,
	    sizeof name, &cause), -1);
	assert_non_null(strstr(cause, "tcp:HOST:PORT"));
	free(cause);
	assert_int_equal(clamd_scan("unix:relative", 1000, "x", 1, name,
	    sizeof name, &cause), -1);
	assert_non_null(strstr(cause, "unix:/PATH"));
	free(cause);
	assert_int_equal(clamd_scan("unix:/nonexistent/clamd.sock", 1000, "x",
	    1, name, sizeof name, &cause), -1);
	assert_non_null(strstr(cause, "connect"));
	free(cause);
}

static int
setup(void **state)
{
	char	path[300], *cause = NULL;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/outfilter.db", tmpdir);
	if ((db = db_open(path, 1, &cause)) == NULL) {
		fprintf(stderr, "setup: %s\n", cause);
		return -1;
	}
	content_init();
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;

	(void)state;
	db_close(db);
	if (asprintf(&cmd, "rm -rf %s", tmpdir) != -1) {
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
		free(cmd);
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_clamd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
