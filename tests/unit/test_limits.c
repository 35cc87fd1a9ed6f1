/*
 * Limits: calendar windows and their reset times (a table, month ends,
 * ISO weeks, leap years), counting and the refusal texts, pending
 * recipients, the per-address cap and AUTH throttle, and counters written
 * back to a database and read again by a new process's limits.  Then the
 * policy's answers on a real database: unknown address, domain off,
 * locks, AUTH with its throttle, and the message log with attribution.
 */
#define _GNU_SOURCE		/* strptime */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
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

#include "conf.h"
#include "db.h"
#include "limit.h"
#include "msglog.h"
#include "passwd.h"
#include "policy.h"

/* Times are written as UTC text in the tables, for whoever reads them. */
static time_t
utc(const char *s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	if (strptime(s, "%Y-%m-%d %H:%M:%S", &tm) == NULL)
		fail_msg("bad time %s", s);
	return timegm(&tm);
}

static const struct {
	enum limits_window	 w;
	const char		*now, *start, *end;
} windows[] = {
	{ LIM_MINUTE, "2024-03-10 13:59:59", "2024-03-10 13:59:00", "2024-03-10 14:00:00" },
	{ LIM_MINUTE, "2024-03-10 14:00:00", "2024-03-10 14:00:00", "2024-03-10 14:01:00" },
	{ LIM_HOUR, "2024-03-10 13:07:30", "2024-03-10 13:00:00", "2024-03-10 14:00:00" },
	{ LIM_HOUR, "2023-12-31 23:59:59", "2023-12-31 23:00:00", "2024-01-01 00:00:00" },
	{ LIM_DAY, "2024-02-28 12:00:00", "2024-02-28 00:00:00", "2024-02-29 00:00:00" },
	{ LIM_DAY, "2024-02-29 23:59:59", "2024-02-29 00:00:00", "2024-03-01 00:00:00" },
	{ LIM_RCPT_DAY, "2023-02-28 10:00:00", "2023-02-28 00:00:00", "2023-03-01 00:00:00" },
	/* ISO weeks start on Monday; 2024-03-10 is a Sunday. */
	{ LIM_WEEK, "2024-03-10 23:59:59", "2024-03-04 00:00:00", "2024-03-11 00:00:00" },
	{ LIM_WEEK, "2024-03-11 00:00:00", "2024-03-11 00:00:00", "2024-03-18 00:00:00" },
	{ LIM_WEEK, "2021-01-01 08:00:00", "2020-12-28 00:00:00", "2021-01-04 00:00:00" },
	{ LIM_WEEK, "1970-01-01 00:00:00", "1969-12-29 00:00:00", "1970-01-05 00:00:00" },
	{ LIM_MONTH, "2024-02-15 10:00:00", "2024-02-01 00:00:00", "2024-03-01 00:00:00" },
	{ LIM_MONTH, "2023-02-28 23:59:59", "2023-02-01 00:00:00", "2023-03-01 00:00:00" },
	{ LIM_MONTH, "2024-12-31 23:59:59", "2024-12-01 00:00:00", "2025-01-01 00:00:00" },
	{ LIM_MONTH, "2024-04-30 12:00:00", "2024-04-01 00:00:00", "2024-05-01 00:00:00" },
	{ LIM_MONTH, "2000-02-29 12:00:00", "2000-02-01 00:00:00", "2000-03-01 00:00:00" },
};

static void
test_window_table(void **state)
{
	time_t	start, end;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof windows / sizeof windows[0]; i++) {
		limits_window_bounds(windows[i].w, utc(windows[i].now), &start,
		    &end);
		if (start != utc(windows[i].start) || end != utc(windows[i].end))
			fail_msg("%s window of %s: got [%lld, %lld), wanted "
			    "[%s, %s)", limits_window_name(windows[i].w),
			    windows[i].now, (long long)start, (long long)end,
			    windows[i].start, windows[i].end);
	}
}

static void
test_time_text(void **state)
{
	char	buf[64];

	(void)state;
	limits_time_text(LIM_HOUR, utc("2024-03-10 14:00:00"), buf, sizeof buf);
	assert_string_equal(buf, "14:00 UTC");
	limits_time_text(LIM_WEEK, utc("2024-03-11 00:00:00"), buf, sizeof buf);
	assert_string_equal(buf, "2024-03-11 00:00 UTC");
	limits_time_text(LIM_MONTH, utc("2025-01-01 00:00:00"), buf, sizeof buf);
	assert_string_equal(buf, "2025-01-01 00:00 UTC");
}

/* A database with one IP user "host1" of example.com. */
struct fixture {
	char		 dir[64], path[128];
	struct db	*db;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	json_t		*ips = json_pack("[s]", "192.0.2.0/24");
	char		*cause = NULL;

	snprintf(f->dir, sizeof f->dir, "/tmp/test_limits.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/of.db", f->dir);
	if ((f->db = db_open(f->path, 1, &cause)) == NULL ||
	    db_domain_add(f->db, "example.com", NULL, &cause) == -1 ||
	    db_user_add_ip(f->db, "host1", "example.com", ips, &cause) == -1) {
		print_error("setup: %s\n", cause);
		return -1;
	}
	json_decref(ips);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[160];

	db_close(f->db);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
test_connect_limit(void **state)
{
	struct fixture	*f = *state;
	struct limits	*l = limits_new();
	struct verdict	 v;
	int64_t		 lim[LIM_NWINDOWS] = { 3, 0, 0, 0, 0, 0 };
	time_t		 t = utc("2024-03-10 13:59:10");
	char		*cause = NULL;
	int		 i;

	for (i = 0; i < 3; i++)
		assert_int_equal(limits_connect(l, f->db, "host1", 1, lim, t,
		    &v, &cause), 0);
	memset(&v, 0, sizeof v);
	assert_int_equal(limits_connect(l, f->db, "host1", 1, lim, t, &v,
	    &cause), 1);
	assert_int_equal(v.code, 421);
	assert_string_equal(v.text, "4.7.0 per-minute connection limit (3) "
	    "reached for user host1; try again after 14:00 UTC");
	/* The refused one did not count; the next minute starts over. */
	assert_int_equal(limits_connect(l, f->db, "host1", 1, lim, t + 50,
	    &v, &cause), 0);
	limits_free(l);
}

/* Of two limits reached, the refusal names the one that frees up last. */
static void
test_connect_latest_window(void **state)
{
	struct fixture	*f = *state;
	struct limits	*l = limits_new();
	struct verdict	 v;
	int64_t		 lim[LIM_NWINDOWS] = { 2, 2, 0, 0, 0, 0 };
	time_t		 t = utc("2024-03-10 13:20:00");
	char		*cause = NULL;

	assert_int_equal(limits_connect(l, f->db, "host1", 1, lim, t, &v,
	    &cause), 0);
	assert_int_equal(limits_connect(l, f->db, "host1", 1, lim, t, &v,
	    &cause), 0);
	assert_int_equal(limits_connect(l, f->db, "host1", 1, lim, t, &v,
	    &cause), 1);
	assert_string_equal(v.text, "4.7.0 hourly connection limit (2) "
	    "reached for user host1; try again after 14:00 UTC");
	limits_free(l);
}

static void
test_rcpt_pending(void **state)
{
	struct fixture	*f = *state;
	struct limits	*l = limits_new();
	struct verdict	 v;
	time_t		 t = utc("2024-03-10 10:00:00");
	char		*cause = NULL;
	int		 a, b;

	/* Two transactions at once may not overshoot a limit of 3. */
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 3, &a, t, &v,
	    &cause), 0);
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 3, &a, t, &v,
	    &cause), 0);
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 3, &b, t, &v,
	    &cause), 0);
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 3, &b, t, &v,
	    &cause), 1);
	assert_int_equal(v.code, 452);
	assert_string_equal(v.text, "4.5.3 daily recipient limit (3) reached "
	    "for user host1; try again after 00:00 UTC");
	/* a is refused by the next hop: its two go back. */
	assert_int_equal(limits_settle(l, f->db, "host1", 1, &a, 0, t,
	    &cause), 0);
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 3, &b, t, &v,
	    &cause), 0);
	/* b relays its two: they count, and one place is left. */
	assert_int_equal(limits_settle(l, f->db, "host1", 1, &b, 2, t,
	    &cause), 0);
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 3, &a, t, &v,
	    &cause), 0);
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 3, &a, t, &v,
	    &cause), 1);
	/* A new day, a new count; no limit, no refusal. */
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 3, &b, t + 86400,
	    &v, &cause), 0);
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 0, &b, t, &v,
	    &cause), 0);
	limits_free(l);
}

/* Counters written back are what a new process starts from. */
static void
test_flush_reload(void **state)
{
	struct fixture		*f = *state;
	struct limits		*l = limits_new(), *l2;
	struct limits_status	 st;
	struct verdict		 v;
	int64_t			 lim[LIM_NWINDOWS] = { 0 }, start, count;
	time_t			 now = time(NULL);
	char			*cause = NULL;
	int			 i, tok;

	for (i = 0; i < 4; i++)
		assert_int_equal(limits_connect(l, f->db, "host1", 1, lim, now,
		    &v, &cause), 0);
	assert_int_equal(limits_rcpt(l, f->db, "host1", 1, 0, &tok, now, &v,
	    &cause), 0);
	assert_int_equal(limits_settle(l, f->db, "host1", 1, &tok, 1, now,
	    &cause), 0);
	assert_int_equal(db_counter_get(f->db, "host1", "day", &start, &count,
	    &cause), 1);
	assert_int_equal(limits_flush(l, f->db, &cause), 0);
	assert_int_equal(db_counter_get(f->db, "host1", "day", &start, &count,
	    &cause), 0);
	assert_int_equal(count, 4);
	limits_free(l);

	l2 = limits_new();
	assert_int_equal(limits_status(l2, f->db, "host1", now, &st, &cause),
	    0);
	assert_int_equal(st.count[LIM_HOUR], 4);
	assert_int_equal(st.count[LIM_RCPT_DAY], 1);
	lim[LIM_DAY] = 5;
	assert_int_equal(limits_connect(l2, f->db, "host1", 1, lim, now, &v,
	    &cause), 0);
	assert_int_equal(limits_connect(l2, f->db, "host1", 1, lim, now, &v,
	    &cause), 1);
	assert_non_null(strstr(v.text, "daily connection limit (5)"));
	/* Reset: zeros in memory at once, in the database after a flush. */
	limits_reset(l2, "host1");
	assert_int_equal(limits_status(l2, f->db, "host1", now, &st, &cause),
	    0);
	assert_int_equal(st.count[LIM_DAY], 0);
	assert_int_equal(limits_flush(l2, f->db, &cause), 0);
	assert_int_equal(db_counter_get(f->db, "host1", "day", &start, &count,
	    &cause), 0);
	assert_int_equal(count, 0);
	limits_free(l2);
}

/* A window that has passed shows (and counts) from zero. */
static void
test_stale_window(void **state)
{
	struct fixture		*f = *state;
	struct limits		*l = limits_new();
	struct limits_status	 st;
	time_t			 now = time(NULL);
	char			*cause = NULL;

	assert_int_equal(db_counter_put(f->db, "host1", "minute", now - 3600,
	    7, &cause), 0);
	assert_int_equal(db_counter_put(f->db, "host1", "month", now - 3600,
	    7, &cause), 0);
	assert_int_equal(limits_status(l, f->db, "host1", now, &st, &cause),
	    0);
	assert_int_equal(st.count[LIM_MINUTE], 0);
	limits_free(l);
}

static void
test_ip_cap(void **state)
{
	struct limits	*l = limits_new();
	uint8_t		 a[16] = { 0 }, b[16] = { 0 };

	(void)state;
	a[15] = 1;
	b[15] = 2;
	assert_int_equal(limits_ip_enter(l, a, 2), 0);
	assert_int_equal(limits_ip_enter(l, a, 2), 0);
	assert_int_equal(limits_ip_enter(l, a, 2), 1);
	assert_int_equal(limits_ip_enter(l, b, 2), 0);
	limits_ip_leave(l, a);
	assert_int_equal(limits_ip_enter(l, a, 2), 0);
	limits_free(l);
}

static void
test_auth_throttle(void **state)
{
	struct limits	*l = limits_new();
	uint8_t		 a[16] = { 0 }, b[16] = { 0 };
	time_t		 t = 1000000;

	(void)state;
	a[15] = 1;
	b[15] = 2;
	assert_int_equal(limits_auth_wait(l, a, 3, 300, t), 0);
	assert_int_equal(limits_auth_fail(l, a, 3, 300, t), 0);
	assert_int_equal(limits_auth_fail(l, a, 3, 300, t + 10), 0);
	assert_int_equal(limits_auth_wait(l, a, 3, 300, t + 10), 0);
	assert_int_equal(limits_auth_fail(l, a, 3, 300, t + 20), 1);
	assert_int_equal(limits_auth_wait(l, a, 3, 300, t + 100), 200);
	assert_int_equal(limits_auth_wait(l, b, 3, 300, t + 100), 0);
	assert_int_equal(limits_auth_wait(l, a, 3, 300, t + 300), 0);
	limits_free(l);
}

static void
test_addr(void **state)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	uint8_t			a[16];
	char			text[64];

	(void)state;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0xc0000207);
	assert_int_equal(limits_addr((struct sockaddr *)&sin, a, text,
	    sizeof text), 0);
	assert_string_equal(text, "192.0.2.7");
	assert_int_equal(a[10], 0xff);
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6.sin6_addr);
	assert_int_equal(limits_addr((struct sockaddr *)&sin6, a, text,
	    sizeof text), 0);
	assert_string_equal(text, "192.0.2.7");
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	assert_int_equal(limits_addr((struct sockaddr *)&sin6, a, text,
	    sizeof text), 0);
	assert_string_equal(text, "2001:db8::1");
}

static struct sockaddr *
addr4(struct sockaddr_in *sin, const char *ip)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	return (struct sockaddr *)sin;
}

static struct policy *
policy_fixture(struct fixture *f, struct config **conf)
{
	struct policy	*p;
	char		 file[160], *cause = NULL;
	FILE		*fp;

	snprintf(file, sizeof file, "%s/of.conf", f->dir);
	assert_non_null(fp = fopen(file, "w"));
	fprintf(fp, "[paths]\nstate_dir = %s\nrun_dir = %s\n"
	    "database = %s\n[smtp]\nauth_fail_limit = 3\n"
	    "auth_fail_window = 60\nmax_connections_per_ip = 2\n", f->dir,
	    f->dir, f->path);
	fclose(fp);
	if ((*conf = conf_load(file, NULL, &cause)) == NULL)
		fail_msg("conf_load: %s", cause);
	if ((p = policy_open(*conf, &cause)) == NULL)
		fail_msg("policy_open: %s", cause);
	return p;
}

static void
test_policy_connect(void **state)
{
	struct fixture		*f = *state;
	struct config		*conf;
	struct policy		*p = policy_fixture(f, &conf);
	struct sockaddr_in	 sin;
	struct sender		 s, s2;
	struct verdict		 v;
	json_t			*set;
	char			*cause = NULL;

	policy_connect(p, addr4(&sin, "198.51.100.1"), ROLE_RELAY, &s, &v);
	assert_int_equal(v.code, 550);
	assert_non_null(strstr(v.text, "5.7.1 no outgoing user for address "
	    "198.51.100.1"));
	policy_connect(p, addr4(&sin, "192.0.2.9"), ROLE_RELAY, &s, &v);
	assert_int_equal(v.code, 550);
	assert_non_null(strstr(v.text, "5.7.1 the outgoing filter of "
	    "example.com is off"));
	/* Kept open to hear it at MAIL, it held a slot: given back. */
	policy_disconnect(p, addr4(&sin, "192.0.2.9"));
	assert_int_equal(db_domain_set_active(f->db, "example.com", 1, &cause),
	    0);
	policy_connect(p, addr4(&sin, "192.0.2.9"), ROLE_RELAY, &s, &v);
	assert_int_equal(v.code, 0);
	assert_int_equal(s.kind, SENDER_IP);
	assert_string_equal(s.user, "host1");
	/* The per-address cap is 2: the one above holds a slot. */
	policy_connect(p, addr4(&sin, "192.0.2.9"), ROLE_RELAY, &s2, &v);
	assert_int_equal(v.code, 0);
	policy_connect(p, addr4(&sin, "192.0.2.9"), ROLE_RELAY, &s2, &v);
	assert_int_equal(v.code, 421);
	assert_non_null(strstr(v.text, "4.7.0 too many connections from "
	    "192.0.2.9"));
	policy_disconnect(p, addr4(&sin, "192.0.2.9"));
	policy_disconnect(p, addr4(&sin, "192.0.2.9"));
	/* A lock: 451 by default, 550 with lock.reply=reject. */
	assert_int_equal(db_user_lock(f->db, "host1", "spam run", 0, "test",
	    &cause), 0);
	policy_mail(p, &s, "a@example.com", &v);
	assert_int_equal(v.code, 451);
	assert_string_equal(v.text, "4.7.1 user host1 is locked (spam run) "
	    "until an administrator unlocks it");
	set = json_pack("{s:s}", "lock.reply", "reject");
	assert_int_equal(db_user_set(f->db, "host1", set, &cause), 0);
	json_decref(set);
	policy_connect(p, addr4(&sin, "192.0.2.9"), ROLE_RELAY, &s, &v);
	assert_int_equal(v.code, 550);
	assert_non_null(strstr(v.text, "5.7.1 user host1 is locked"));
	policy_close(p);
	conf_unref(conf);
}

static void
test_policy_auth(void **state)
{
	struct fixture		*f = *state;
	struct config		*conf;
	struct policy		*p = policy_fixture(f, &conf);
	struct sockaddr_in	 sin;
	struct sender		 s;
	struct verdict		 v;
	char			 hash[PASSWD_HASH_MAX], *cause = NULL;
	int			 i;

	assert_int_equal(passwd_hash("right password", hash), 0);
	assert_int_equal(db_user_add_smtp(f->db, "alice@example.com",
	    "example.com", hash, &cause), 0);
	assert_int_equal(db_domain_set_active(f->db, "example.com", 1, &cause),
	    0);
	policy_auth(p, addr4(&sin, "203.0.113.5"), "alice@example.com",
	    "right password", &s, &v);
	assert_int_equal(v.code, 0);
	assert_int_equal(s.kind, SENDER_SMTP);
	/* Again, from the cache. */
	policy_auth(p, addr4(&sin, "203.0.113.5"), "alice@example.com",
	    "right password", &s, &v);
	assert_int_equal(v.code, 0);
	/* An IP user has no password; an unknown name fails the same way. */
	policy_auth(p, addr4(&sin, "203.0.113.5"), "host1", "x", &s, &v);
	assert_int_equal(v.code, 535);
	assert_int_equal(s.kind, SENDER_NONE);
	for (i = 0; i < 2; i++) {
		policy_auth(p, addr4(&sin, "203.0.113.5"), "alice@example.com",
		    "wrong", &s, &v);
		assert_int_equal(v.code, 535);
	}
	policy_auth(p, addr4(&sin, "203.0.113.5"), "alice@example.com",
	    "right password", &s, &v);
	assert_int_equal(v.code, 454);
	assert_non_null(strstr(v.text, "4.7.0 too many authentication "
	    "failures from 203.0.113.5; try again in"));
	/* Another address is not affected. */
	policy_auth(p, addr4(&sin, "203.0.113.6"), "alice@example.com",
	    "right password", &s, &v);
	assert_int_equal(v.code, 0);
	policy_close(p);
	conf_unref(conf);
}

static void
test_policy_record(void **state)
{
	struct fixture		*f = *state;
	struct config		*conf;
	struct policy		*p = policy_fixture(f, &conf);
	struct sockaddr_in	 sin;
	struct sender		 s;
	struct verdict		 v;
	struct db_logq		 q;
	struct txn_record	 r;
	const char		*rcpts[] = { "x@example.org", "y@example.org" };
	json_t			*set, *out;
	char			*cause = NULL;

	set = json_pack("{s:s,s:s}", "attribute-sending-domain", "on",
	    "recipients.day", "2");
	assert_int_equal(db_user_set(f->db, "host1", set, &cause), 0);
	json_decref(set);
	assert_int_equal(db_domain_add(f->db, "example.net", NULL, &cause), 0);
	assert_int_equal(db_domain_set_active(f->db, "example.com", 1, &cause),
	    0);
	policy_connect(p, addr4(&sin, "192.0.2.9"), ROLE_RELAY, &s, &v);
	assert_int_equal(v.code, 0);
	assert_int_equal(s.attribute, 1);
	policy_rcpt(p, &s, rcpts[0], &v);
	assert_int_equal(v.code, 0);
	policy_rcpt(p, &s, rcpts[1], &v);
	assert_int_equal(v.code, 0);
	policy_rcpt(p, &s, "z@example.org", &v);
	assert_int_equal(v.code, 452);
	memset(&r, 0, sizeof r);
	r.sender = &s;
	r.queue_id = "Q1TEST";
	r.client = (struct sockaddr *)&sin;
	r.mail_from = "someone@example.net";
	r.rcpts = rcpts;
	r.nrcpts = 2;
	r.size = 123;
	r.status = "relayed";
	r.reason = "250 2.0.0 Ok";
	policy_record(p, &r);
	/* The two relayed count now, not as pending: still no room. */
	policy_rcpt(p, &s, "z@example.org", &v);
	assert_int_equal(v.code, 452);
	memset(&q, 0, sizeof q);
	q.domain = "example.net";
	assert_int_equal(db_log_search(f->db, NULL, &q, NULL, 10, &out,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(out, "items"), 0), "queue_id")), "Q1TEST");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(out, "items"), 0), "client_ip")), "192.0.2.9");
	json_decref(out);
	policy_disconnect(p, (struct sockaddr *)&sin);
	policy_close(p);
	conf_unref(conf);
}

/*
 * The quick functions answer from what the blocking ones read, count the
 * same limits, and forget it all on policy_changed(); queued log rows are
 * written by the time policy_close() returns.
 */
static void
test_policy_quick(void **state)
{
	struct fixture		*f = *state;
	struct config		*conf;
	struct policy		*p = policy_fixture(f, &conf);
	struct sockaddr_in	 sin, other;
	struct sender		 s, s2, none;
	struct verdict		 v;
	struct db_logq		 q;
	struct db_lock_state	 ls;
	struct txn_record	 r;
	const char		*rcpts[] = { "x@example.org" };
	json_t			*set, *out, *item;
	char			*cause = NULL;

	set = json_pack("{s:s}", "recipients.day", "1");
	assert_int_equal(db_user_set(f->db, "host1", set, &cause), 0);
	json_decref(set);
	assert_int_equal(db_domain_set_active(f->db, "example.com", 1, &cause),
	    0);
	/* Nothing read yet: the database must say. */
	assert_int_equal(policy_connect_quick(p, addr4(&sin, "192.0.2.9"),
	    ROLE_RELAY, &s, &v), 0);
	policy_connect(p, addr4(&sin, "192.0.2.9"), ROLE_RELAY, &s, &v);
	assert_int_equal(v.code, 0);
	assert_int_equal(policy_connect_quick(p, addr4(&sin, "192.0.2.9"),
	    ROLE_RELAY, &s2, &v), 1);
	assert_int_equal(v.code, 0);
	assert_string_equal(s2.user, "host1");
	assert_int_equal(s2.user_id, s.user_id);
	/* The cap of 2 per address holds for both ways. */
	assert_int_equal(policy_connect_quick(p, addr4(&sin, "192.0.2.9"),
	    ROLE_RELAY, &s2, &v), 1);
	assert_int_equal(v.code, 421);
	policy_disconnect(p, addr4(&sin, "192.0.2.9"));
	/* An address without IP user, once read, is refused quickly too. */
	policy_connect(p, addr4(&other, "198.51.100.1"), ROLE_RELAY, &s2, &v);
	assert_int_equal(v.code, 550);
	assert_int_equal(policy_connect_quick(p, addr4(&other, "198.51.100.1"),
	    ROLE_RELAY, &s2, &v), 1);
	assert_int_equal(v.code, 550);
	/* No AUTH on a submission listener: 530 at MAIL, no database. */
	memset(&none, 0, sizeof none);
	assert_int_equal(policy_mail_quick(p, &none, "a@example.com", &v), 1);
	assert_int_equal(v.code, 530);
	assert_int_equal(policy_mail_quick(p, &s, "a@example.com", &v), 1);
	assert_int_equal(v.code, 0);
	/* recipients.day=1: the second recipient waits, pending or not. */
	assert_int_equal(policy_rcpt_quick(p, &s, rcpts[0], &v), 1);
	assert_int_equal(v.code, 0);
	assert_int_equal(policy_rcpt_quick(p, &s, "y@example.org", &v), 1);
	assert_int_equal(v.code, 452);
	memset(&r, 0, sizeof r);
	r.sender = &s;
	r.queue_id = "Q2QUICK";
	r.client = (struct sockaddr *)&sin;
	r.mail_from = "a@example.com";
	r.rcpts = rcpts;
	r.nrcpts = 1;
	r.npending = 1;
	r.status = "relayed";
	r.reason = "250 2.0.0 Ok";
	policy_record_queue(p, &r);
	assert_int_equal(policy_rcpt_quick(p, &s, "y@example.org", &v), 1);
	assert_int_equal(v.code, 452);
	/* An identity's messages are counted by the same thread. */
	assert_int_equal(db_identity_state(f->db, s.user_id, "a@example.com",
	    &ls, &cause), 0);
	policy_identity_count(p, ls.id, 0);
	policy_identity_count(p, ls.id, 1);
	/* A lock behind the policy's back counts once it is told. */
	assert_int_equal(db_user_lock(f->db, "host1", "spam run", 0, "test",
	    &cause), 0);
	policy_changed(p);
	assert_int_equal(policy_mail_quick(p, &s, "a@example.com", &v), 0);
	policy_mail(p, &s, "a@example.com", &v);
	assert_int_equal(v.code, 451);
	assert_int_equal(policy_mail_quick(p, &s, "a@example.com", &v), 1);
	assert_int_equal(v.code, 451);
	assert_int_equal(policy_connect_quick(p, addr4(&sin, "192.0.2.9"),
	    ROLE_RELAY, &s2, &v), 0);
	policy_disconnect(p, addr4(&sin, "192.0.2.9"));
	policy_close(p);
	conf_unref(conf);
	memset(&q, 0, sizeof q);
	q.queue_id = "Q2QUICK";
	assert_int_equal(db_log_search(f->db, NULL, &q, NULL, 10, &out,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	json_decref(out);
	assert_int_equal(db_identity_list(f->db, NULL, "host1", NULL, 0, NULL,
	    10, &out, &cause), 0);
	item = json_array_get(json_object_get(out, "items"), 0);
	assert_int_equal(json_integer_value(json_object_get(item, "messages")),
	    2);
	assert_int_equal(json_integer_value(json_object_get(item, "spam")), 1);
	json_decref(out);
}

/* Rows past the retention go, newer ones and those holding a file stay. */
static void
test_purge(void **state)
{
	struct fixture		*f = *state;
	pthread_mutex_t		 mtx = PTHREAD_MUTEX_INITIALIZER;
	struct db_logrec	 r;
	const char		*rcpts[] = { "a@example.org", NULL };
	int64_t			 id, n, now = time(NULL);
	char			*cause = NULL;
	int			 i;

	memset(&r, 0, sizeof r);
	r.user = "host1";
	r.kind = "ip";
	r.domain = "example.com";
	r.status = "relayed";
	r.rcpts = rcpts;
	for (i = 0; i < 1203; i++) {
		r.time = now - 40 * 86400 + i;
		assert_int_equal(db_log_add(f->db, &r, &id, &cause), 0);
	}
	assert_int_equal(db_quarantine_add(f->db, id, "/nonexistent", 1,
	    "", NULL, 0, NULL, &cause), 0);
	r.time = now - 86400;
	assert_int_equal(db_log_add(f->db, &r, &id, &cause), 0);
	assert_int_equal(msglog_purge(f->db, &mtx, 32, &n, &cause), 0);
	assert_int_equal(n, 1202);
	assert_int_equal(msglog_purge(f->db, &mtx, 32, &n, &cause), 0);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_table),
		cmocka_unit_test(test_time_text),
		cmocka_unit_test_setup_teardown(test_connect_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connect_latest_window,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcpt_pending, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flush_reload, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_window, setup,
		    teardown),
		cmocka_unit_test(test_ip_cap),
		cmocka_unit_test(test_auth_throttle),
		cmocka_unit_test(test_addr),
		cmocka_unit_test_setup_teardown(test_policy_connect, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_policy_auth, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_policy_quick, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_policy_record, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
