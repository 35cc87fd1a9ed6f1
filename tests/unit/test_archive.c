/*
 * The archive: a stored message reads back byte for byte (8-bit, empty,
 * 5 MiB, parts of it); the file on disk shows neither the text nor zstd's
 * magic; an altered, cut or moved file fails to open with a sentence
 * saying so; the key file is made 0600 and refused when others may read
 * it; search is scoped like the log search; the purge removes files and
 * rows past the retention.
 */
#define _GNU_SOURCE		/* asprintf, memmem */
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "mailarchive.h"
#include "conf.h"
#include "db.h"

static char		 tmpdir[] = "/tmp/test_archive.XXXXXX";
static char		 dbpath[256];
static struct config	*conf;
static struct db	*db;
static int64_t		 clock_now;

static int64_t
fake_clock(void)
{
	return clock_now;
}

static struct config *
load_conf(const char *extra)
{
	char		 path[300];
	FILE		*f;
	struct config	*c;
	char		*cause = NULL;

	snprintf(path, sizeof path, "%s/outfilterd.conf", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "[paths]\nstate_dir = %s\nrun_dir = %s\n%s", tmpdir,
	    tmpdir, extra != NULL ? extra : "");
	fclose(f);
	if ((c = conf_load(path, NULL, &cause)) == NULL)
		fail_msg("conf_load: %s", cause);
	return c;
}

/* A log row of a user of domain; its id. */
static int64_t
log_row(const char *domain, const char *sender)
{
	struct db_logrec	 r;
	const char		*rcpts[] = { "rcpt@example.net", NULL };
	char			*cause = NULL;
	int64_t			 id;

	memset(&r, 0, sizeof r);
	r.user = "u1";
	r.kind = "ip";
	r.domain = domain;
	r.sender = sender;
	r.rcpts = rcpts;
	r.subject = "archived";
	r.status = "relayed";
	if (db_log_add(db, &r, &id, &cause) != 0)
		fail_msg("db_log_add: %s", cause);
	return id;
}

/* The newest archive row: its id, and its path and log row's id. */
static int64_t
newest_row(char *path, size_t len, int64_t *log_id)
{
	struct db_logq	 q;
	json_t		*out, *row;
	char		*cause = NULL;
	int64_t		 id;

	memset(&q, 0, sizeof q);
	if (db_archive_search(db, NULL, &q, NULL, 1, &out, &cause) != 0)
		fail_msg("db_archive_search: %s", cause);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	id = json_integer_value(json_object_get(json_array_get(
	    json_object_get(out, "items"), 0), "id"));
	json_decref(out);
	if (path != NULL) {
		if (db_archive_get(db, NULL, id, &row, &cause) != 0)
			fail_msg("db_archive_get: %s", cause);
		snprintf(path, len, "%s", json_string_value(json_object_get(row,
		    "path")));
		if (log_id != NULL)
			*log_id = json_integer_value(json_object_get(row,
			    "log_id"));
		json_decref(row);
	}
	return id;
}

static int64_t
newest(char *path, size_t len)
{
	return newest_row(path, len, NULL);
}

/* Store msg and read it back: the same bytes. */
static int64_t
round_trip(const char *msg, size_t len, char *path, size_t plen)
{
	char	*cause = NULL, *back;
	size_t	 blen;
	int64_t	 id;

	if (archive_store(db, conf, log_row("example.com", "a@example.com"),
	    msg, len, &cause) != 0)
		fail_msg("archive_store: %s", cause);
	id = newest(path, plen);
	if (archive_read(db, conf, id, &back, &blen, &cause) != 0)
		fail_msg("archive_read: %s", cause);
	assert_int_equal(blen, len);
	assert_memory_equal(back, msg, len);
	free(back);
	return id;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	assert_non_null(f = fopen(path, "rb"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	assert_non_null(buf = malloc(n + 1));
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
spit(const char *path, const char *buf, size_t len)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void
test_round_trip(void **state)
{
	static const char	msg[] = "From: a@example.com\r\nTo: b@example.net"
	    "\r\nSubject: caf\xc3\xa9\r\n\r\nPLAINTEXT-MARKER caf\xe9 8-bit \x80"
	    "\xff\x01 bytes\r\n.leading dot\r\n";
	char			path[512], *disk;
	size_t			len;
	struct stat		sb;

	round_trip(msg, sizeof msg - 1, path, sizeof path);
	disk = slurp(path, &len);
	assert_null(memmem(disk, len, "PLAINTEXT-MARKER", 16));
	assert_null(memmem(disk, len, "Subject", 7));
	assert_true(len >= 4);
	assert_false(memcmp(disk, "\x28\xb5\x2f\xfd", 4) == 0);
	assert_false(memcmp(disk, "From:", 5) == 0);
	free(disk);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	round_trip("", 0, NULL, 0);
}

static void
test_key_file(void **state)
{
	char		 path[300], *cause = NULL;
	struct stat	 sb;

	snprintf(path, sizeof path, "%s/archive.key", tmpdir);
	assert_string_equal(conf_str(conf, CONF_archive_key_file), path);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 32);
	snprintf(path, sizeof path, "%s/archive", tmpdir);
	assert_string_equal(conf_str(conf, CONF_archive_dir), path);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	(void)cause;
}

/* A key file others may read is refused, naming it. */
static void
test_key_file_mode(void **state)
{
	struct config	*c;
	char		 path[300], extra[400], *cause = NULL;

	snprintf(path, sizeof path, "%s/loose.key", tmpdir);
	spit(path, "0123456789abcdef0123456789abcdef", 32);
	chmod(path, 0644);
	snprintf(extra, sizeof extra, "[archive]\nkey_file = %s\n", path);
	c = load_conf(extra);
	assert_int_equal(archive_store(db, c, log_row("example.com", "x@"
	    "example.com"), "x", 1, &cause), -1);
	assert_non_null(strstr(cause, "may be read by others"));
	assert_non_null(strstr(cause, "loose.key"));
	free(cause);
	conf_unref(c);
}

static void
test_large(void **state)
{
	size_t	 len = 5 * 1024 * 1024 + 17, i, plen, got;
	char	*msg, path[512], *part, *cause = NULL;
	uint64_t total;
	int64_t	 log_id;
	uint32_t x = 2463534242u;

	assert_non_null(msg = malloc(len));
	/* Text that compresses, with noise that does not. */
	for (i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		msg[i] = i % 1000 < 700 ? "abcdefgh\r\n"[i % 10] : (char)x;
	}
	round_trip(msg, len, path, sizeof path);
	newest_row(path, sizeof path, &log_id);
	/* A part across two records. */
	if (archive_read_file(conf, path, log_id, 1024 * 1024 - 10, 100,
	    &part, &plen, &total, &cause) != 0)
		fail_msg("archive_read_file: %s", cause);
	assert_int_equal(plen, 100);
	assert_int_equal(total, len);
	assert_memory_equal(part, msg + 1024 * 1024 - 10, 100);
	free(part);
	/* From the end on: nothing, and the size. */
	if (archive_read_file(conf, path, log_id, len, 100, &part, &got,
	    &total, &cause) != 0)
		fail_msg("archive_read_file: %s", cause);
	assert_int_equal(got, 0);
	free(part);
	free(msg);
}

static void
expect_refused(int64_t id, const char *words)
{
	char	*cause = NULL, *back = NULL;
	size_t	 blen;

	assert_int_equal(archive_read(db, conf, id, &back, &blen, &cause), -1);
	assert_null(back);
	if (strstr(cause, words) == NULL)
		fail_msg("wanted \"%s\" in: %s", words, cause);
	free(cause);
}

static void
test_tampered(void **state)
{
	char	 path[512], *disk;
	size_t	 len;
	int64_t	 id;

	id = round_trip("Subject: x\r\n\r\nbody\r\n", 20, path, sizeof path);
	disk = slurp(path, &len);
	disk[len - 5] ^= 0x01;
	spit(path, disk, len);
	expect_refused(id, "fails authentication");
	disk[len - 5] ^= 0x01;
	spit(path, disk, len - 3);
	expect_refused(id, "cut short");
	spit(path, disk, len);
	spit(path, "not an archive at all", 21);
	expect_refused(id, "is not an archived message");
	free(disk);
}

/* A file moved under another row does not open. */
static void
test_moved(void **state)
{
	char	 a[512], b[512], *disk;
	size_t	 len;
	int64_t	 ia;

	ia = round_trip("Subject: a\r\n\r\na\r\n", 17, a, sizeof a);
	round_trip("Subject: b\r\n\r\nb\r\n", 17, b, sizeof b);
	disk = slurp(b, &len);
	spit(a, disk, len);
	free(disk);
	expect_refused(ia, "fails authentication");
}

static void
test_scope(void **state)
{
	struct db_logq	 q;
	json_t		*out;
	char		*scope[] = { "other.org", NULL }, *cause = NULL;
	int64_t		 id;

	if (archive_store(db, conf, log_row("other.org", "o@other.org"),
	    "Subject: o\r\n\r\no\r\n", 17, &cause) != 0)
		fail_msg("archive_store: %s", cause);
	id = newest(NULL, 0);
	memset(&q, 0, sizeof q);
	assert_int_equal(db_archive_search(db, scope, &q, NULL, 0, &out,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	json_decref(out);
	q.sender = "o@other.org";
	assert_int_equal(db_archive_search(db, NULL, &q, NULL, 0, &out,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	json_decref(out);
	scope[0] = "example.com";
	assert_int_equal(db_archive_get(db, scope, id, &out, &cause), -1);
	assert_int_equal(db_errkind(db), DB_ENOTFOUND);
	free(cause);
	cause = NULL;
	assert_int_equal(archive_store(db, conf, 999999, "x", 1, &cause), -1);
	assert_non_null(strstr(cause, "log row 999999 not found"));
	free(cause);
}

static void
test_purge(void **state)
{
	char		 path[512], *cause = NULL;
	int64_t		 removed, id;
	struct stat	 sb;

	clock_now = (int64_t)time(NULL) - 400 * 86400;
	db_clock_set(fake_clock);
	round_trip("Subject: old\r\n\r\nold\r\n", 21, path, sizeof path);
	db_clock_set(NULL);
	id = round_trip("Subject: new\r\n\r\nnew\r\n", 21, NULL, 0);
	if (archive_purge(db, conf, &removed, &cause) != 0)
		fail_msg("archive_purge: %s", cause);
	assert_int_equal(removed, 1);
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(newest(NULL, 0), id);
}

static int
setup(void **state)
{
	char	*cause = NULL;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/outfilter.db", tmpdir);
	if ((db = db_open(dbpath, 1, &cause)) == NULL) {
		fprintf(stderr, "setup: %s\n", cause);
		return -1;
	}
	conf = load_conf(NULL);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;

	db_close(db);
	conf_unref(conf);
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
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_key_file_mode),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_moved),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_purge),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
