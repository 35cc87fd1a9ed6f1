/*
 * Abuse control below the SMTP session: the identify methods over real
 * message headers, and the lock rules on a real database with the clock
 * driven by the test (spam hits in and out of the window, an automatic
 * lock and its expiry, the maximum of automatic unlocks, an admin's
 * unlock resetting the count).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "identity.h"

static const char msg[] =
    "Received: from web1 (web1 [192.0.2.7])\r\n"
    "\tby mx.example.com; Fri, 27 Nov 2026 10:00:00 +0000\r\n"
    "Received: from client (Authenticated sender: shop@example.com)\r\n"
    "\tby web1\r\n"
    "X-PHP-Originating-Script: 1001:mailer.php(12) : eval()'d code\r\n"
    "X-AuthUser: Alice@Example.com\r\n"
    "From: <alice@example.com>\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "X-AuthUser: body@example.com\r\n";

static int
find(enum identify_method m, const char *const *heads, size_t n,
    int fallback, const char *authname, struct identity_out *out,
    char *reply)
{
	struct identity_in	in;

	memset(&in, 0, sizeof in);
	in.method = m;
	in.headers = heads;
	in.nheaders = n;
	in.fallback = fallback;
	in.mail_from = "Bounce@Example.COM";
	in.authname = authname;
	in.msg = msg;
	in.len = sizeof msg - 1;
	return identity_find(&in, out, reply, 512);
}

static void
test_envelope_and_auth(void **state)
{
	struct identity_out	o;
	char			reply[512];

	(void)state;
	assert_int_equal(find(IDENTIFY_ENVELOPE, NULL, 0, 0, NULL, &o, reply),
	    0);
	assert_string_equal(o.identity, "bounce@example.com");
	assert_int_equal(find(IDENTIFY_AUTH, NULL, 0, 0, "Shop@Example.com",
	    &o, reply), 0);
	assert_string_equal(o.identity, "shop@example.com");
	/* No AUTH: refused unless falling back to the envelope. */
	assert_int_equal(find(IDENTIFY_AUTH, NULL, 0, 0, NULL, &o, reply), -1);
	assert_non_null(strstr(reply, "550 5.7.1"));
	assert_non_null(strstr(reply, "AUTH"));
	assert_int_equal(find(IDENTIFY_AUTH, NULL, 0, 1, NULL, &o, reply), 0);
	assert_string_equal(o.identity, "bounce@example.com");
	assert_int_equal(find(IDENTIFY_NONE, NULL, 0, 0, NULL, &o, reply), 0);
	assert_string_equal(o.identity, "");
}

static void
test_headers(void **state)
{
	const char *const	 plain[] = { "X-Missing", "X-AuthUser" };
	const char *const	 script[] = {
		"X-PHP-Originating-Script:^(.*?)\\(" };
	const char *const	 received[] = {
		"Received:\\(Authenticated sender: ([^)]+)\\)" };
	const char *const	 whole[] = { "Subject:h.l+o" };
	struct identity_out	 o;
	char			 reply[512];

	(void)state;
	/* The first entry present wins; the value as written. */
	assert_int_equal(find(IDENTIFY_HEADER, plain, 2, 0, NULL, &o, reply),
	    0);
	assert_string_equal(o.identity, "Alice@Example.com");
	assert_int_equal(o.from_header, 1);
	assert_memory_equal(msg + o.field_off, "X-AuthUser: Alice",
	    strlen("X-AuthUser: Alice"));
	assert_int_equal(msg[o.field_off + o.field_len - 1], '\n');
	assert_int_equal(find(IDENTIFY_HEADER, script, 1, 0, NULL, &o, reply),
	    0);
	assert_string_equal(o.identity, "1001:mailer.php");
	/* A later occurrence of a header, over a folded line. */
	assert_int_equal(find(IDENTIFY_HEADER, received, 1, 0, NULL, &o,
	    reply), 0);
	assert_string_equal(o.identity, "shop@example.com");
	assert_memory_equal(msg + o.field_off, "Received: from client", 21);
	/* Without a group, the whole match. */
	assert_int_equal(find(IDENTIFY_HEADER, whole, 1, 0, NULL, &o, reply),
	    0);
	assert_string_equal(o.identity, "hello");
}

static void
test_headers_missing(void **state)
{
	const char *const	 heads[] = { "X-Sender-Id", "X-Other" };
	struct identity_out	 o;
	char			 reply[512];

	(void)state;
	/* The body's look-alike line is no header. */
	assert_int_equal(find(IDENTIFY_HEADER, heads, 2, 0, NULL, &o, reply),
	    -1);
	assert_non_null(strstr(reply, "550 5.7.1"));
	assert_non_null(strstr(reply, "X-Sender-Id"));
	assert_int_equal(find(IDENTIFY_HEADER, heads, 2, 1, NULL, &o, reply),
	    0);
	assert_string_equal(o.identity, "bounce@example.com");
	assert_int_equal(o.from_header, 0);
}

/*
 * Lock rules on a database, with the test's clock.
 */

static int64_t	fake_now = 1800000000;

static int64_t
clock_fake(void)
{
	return fake_now;
}

struct fixture {
	char		 dir[64], path[128];
	struct db	*db;
	int64_t		 uid;
};

static int
setup(void **state)
{
	struct fixture		*f = calloc(1, sizeof *f);
	json_t			*ips = json_pack("[s]", "192.0.2.0/24");
	struct db_sender	 ds;
	char			*cause = NULL;

	db_clock_set(clock_fake);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_abuse.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/of.db", f->dir);
	if ((f->db = db_open(f->path, 1, &cause)) == NULL ||
	    db_domain_add(f->db, "example.com", NULL, &cause) == -1 ||
	    db_user_add_ip(f->db, "host1", "example.com", ips, &cause) == -1 ||
	    db_sender_get(f->db, "host1", &ds, &cause) != 0) {
		print_error("setup: %s\n", cause);
		return -1;
	}
	f->uid = ds.id;
	db_sender_free(&ds);
	json_decref(ips);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[160];

	db_clock_set(NULL);
	db_close(f->db);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
test_spam_window(void **state)
{
	struct fixture	*f = *state;
	struct db_lock_state ls;
	int64_t		 un, in;
	char		*cause = NULL;
	int		 i;

	assert_int_equal(db_identity_state(f->db, f->uid, "a@example.com",
	    &ls, &cause), 0);
	assert_true(ls.id > 0);
	assert_int_equal(ls.locked, 0);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(db_spam_hit(f->db, f->uid, ls.id, 600, &un,
		    &in, &cause), 0);
		assert_int_equal(un, i);
		assert_int_equal(in, i);
		fake_now += 60;
	}
	/* One not of the identity counts for the user only. */
	assert_int_equal(db_spam_hit(f->db, f->uid, 0, 600, &un, &in, &cause),
	    0);
	assert_int_equal(un, 4);
	assert_int_equal(in, 0);
	/* Ten minutes on, the first hit is out of the window. */
	fake_now += 600 - 3 * 60 + 1;
	assert_int_equal(db_spam_hit(f->db, f->uid, ls.id, 600, &un, &in,
	    &cause), 0);
	assert_int_equal(un, 4);
	assert_int_equal(in, 3);
	/* Purged hits no longer count. */
	assert_int_equal(db_spam_hits_purge(f->db, fake_now, &cause), 0);
	assert_int_equal(db_spam_hit(f->db, f->uid, ls.id, 600, &un, &in,
	    &cause), 0);
	assert_int_equal(un, 2);
}

static int	expired_seen;

static void
on_expired(void *arg, const char *user, const char *identity)
{
	(void)arg;
	assert_string_equal(user, "host1");
	assert_null(identity);
	expired_seen++;
}

static void
test_lock_cycle(void **state)
{
	struct fixture		*f = *state;
	struct db_lock_state	 ls;
	struct db_sender	 ds;
	int64_t			 n;
	char			*cause = NULL;
	int			 round;

	/* Two automatic unlocks are allowed, then an admin must act. */
	for (round = 0; round < 2; round++) {
		assert_int_equal(db_lock_auto(f->db, f->uid, 0, "6 spam", 60, 2,
		    &ls, &cause), 0);
		assert_int_equal(ls.lock_until, fake_now + 3600);
		/* A second lock while one is in force changes nothing. */
		assert_int_equal(db_lock_auto(f->db, f->uid, 0, "again", 60, 2,
		    &ls, &cause), 1);
		assert_string_equal(ls.lock_reason, "6 spam");
		assert_int_equal(db_sender_get(f->db, "host1", &ds, &cause), 0);
		assert_int_equal(ds.locked, 1);
		db_sender_free(&ds);
		/* Not yet run out. */
		fake_now += 3599;
		assert_int_equal(db_lock_expire(f->db, on_expired, NULL, &n,
		    &cause), 0);
		assert_int_equal(n, 0);
		fake_now += 1;
		expired_seen = 0;
		assert_int_equal(db_lock_expire(f->db, on_expired, NULL, &n,
		    &cause), 0);
		assert_int_equal(n, 1);
		assert_int_equal(expired_seen, 1);
		assert_int_equal(db_user_lock_state(f->db, f->uid, &ls, &cause),
		    0);
		assert_int_equal(ls.locked, 0);
		assert_int_equal(ls.auto_unlocks, round + 1);
	}
	/* The maximum is used up: this lock has no end. */
	assert_int_equal(db_lock_auto(f->db, f->uid, 0, "6 spam", 60, 2, &ls,
	    &cause), 0);
	assert_int_equal(ls.lock_until, 0);
	fake_now += 86400 * 30;
	assert_int_equal(db_lock_expire(f->db, NULL, NULL, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(db_user_lock_state(f->db, f->uid, &ls, &cause), 0);
	assert_int_equal(ls.locked, 1);
	/* The count alone can be reset too. */
	assert_int_equal(db_user_reset_unlocks(f->db, "host1", &cause), 0);
	assert_int_equal(db_user_lock_state(f->db, f->uid, &ls, &cause), 0);
	assert_int_equal(ls.auto_unlocks, 0);
	assert_int_equal(ls.locked, 1);
	/* An admin's unlock resets the count. */
	assert_int_equal(db_user_unlock(f->db, "host1", "admin", &cause), 0);
	assert_int_equal(db_user_lock_state(f->db, f->uid, &ls, &cause), 0);
	assert_int_equal(ls.locked, 0);
	assert_int_equal(ls.auto_unlocks, 0);
	/* An admin's lock with a duration runs out uncounted. */
	assert_int_equal(db_user_lock(f->db, "host1", "complaint", 10, "admin",
	    &cause), 0);
	fake_now += 600;
	assert_int_equal(db_lock_expire(f->db, NULL, NULL, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(db_user_lock_state(f->db, f->uid, &ls, &cause), 0);
	assert_int_equal(ls.locked, 0);
	assert_int_equal(ls.auto_unlocks, 0);
}

static void
test_identity_lock(void **state)
{
	struct fixture		*f = *state;
	struct db_lock_state	 a, b, ls;
	struct db_sender	 ds;
	int64_t			 n;
	char			*cause = NULL;

	assert_int_equal(db_identity_state(f->db, f->uid, "a@example.com", &a,
	    &cause), 0);
	assert_int_equal(db_identity_state(f->db, f->uid, "b@example.com", &b,
	    &cause), 0);
	assert_int_equal(db_lock_auto(f->db, f->uid, a.id, "spam", 10, 3, &ls,
	    &cause), 0);
	/* Only that identity: the user and the other identity are free. */
	assert_int_equal(db_identity_state(f->db, f->uid, "a@example.com", &a,
	    &cause), 0);
	assert_int_equal(a.locked, 1);
	assert_int_equal(db_identity_state(f->db, f->uid, "b@example.com", &b,
	    &cause), 0);
	assert_int_equal(b.locked, 0);
	assert_int_equal(db_sender_get(f->db, "host1", &ds, &cause), 0);
	assert_int_equal(ds.locked, 0);
	db_sender_free(&ds);
	/* Counting messages. */
	assert_int_equal(db_identity_count(f->db, b.id, 0, &cause), 0);
	assert_int_equal(db_identity_count(f->db, b.id, 1, &cause), 0);
	fake_now += 600;
	assert_int_equal(db_lock_expire(f->db, NULL, NULL, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(db_identity_state(f->db, f->uid, "a@example.com", &a,
	    &cause), 0);
	assert_int_equal(a.locked, 0);
	assert_int_equal(a.auto_unlocks, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_and_auth),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_headers_missing),
		cmocka_unit_test_setup_teardown(test_spam_window, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lock_cycle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_identity_lock, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
