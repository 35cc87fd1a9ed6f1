/*
 * outfilterd.conf: the parser against tables of files and the messages
 * they must give, the defaults, and the ZAP peer address parser.
 */
#define _GNU_SOURCE		/* asprintf */
#include <sys/socket.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "control.h"

/* The keys a quick-start config names; nothing else is needed. */
#define MINIMAL \
	"[paths]\n"					/* 1 */ \
	"state_dir = /srv/of/lib\n"			/* 2 */ \
	"run_dir = run\n"				/* 3 */ \
	"\n"						/* 4 */ \
	"[control]\n"					/* 5 */ \
	"endpoint = ipc://run/control\n"		/* 6 */ \
	"\n"						/* 7 */ \
	"[smtp]\n"					/* 8 */ \
	"relay_listen = 127.0.0.1:2525\n"		/* 9 */ \
	"submission_listen = 127.0.0.1:2587\n"		/* 10 */ \
	"submissions_listen =\n"			/* 11 */ \
	"\n"						/* 12 */ \
	"[relay]\n"					/* 13 */ \
	"next_hop = maildir:outbox\n"			/* 14 */

#define BASE	"/base"

static char	tmpdir[] = "/tmp/test_config.XXXXXX";

/* Write text to a new file in tmpdir; the path is the caller's. */
static char *
write_conf(const char *text)
{
	static int	 n;
	char		*path;
	FILE		*f;

	assert_int_not_equal(asprintf(&path, "%s/c%d.conf", tmpdir, n++), -1);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

static struct config *
load_text(const char *text, char **path, char **cause)
{
	*path = write_conf(text);
	*cause = NULL;
	return conf_load(*path, BASE, cause);
}

static void
test_minimal(void **state)
{
	struct config	*c;
	char		*path, *cause;

	c = load_text(MINIMAL, &path, &cause);
	if (c == NULL)
		fail_msg("minimal config refused: %s", cause);
	assert_string_equal(conf_str(c, CONF_paths_state_dir), "/srv/of/lib");
	assert_string_equal(conf_str(c, CONF_paths_run_dir), BASE "/run");
	assert_string_equal(conf_str(c, CONF_control_endpoint),
	    "ipc://" BASE "/run/control");
	assert_string_equal(conf_ipc_path(c), BASE "/run/control");
	assert_string_equal(conf_str(c, CONF_relay_next_hop),
	    "maildir:" BASE "/outbox");
	assert_string_equal(conf_str(c, CONF_smtp_submissions_listen), "");
	assert_string_equal(c->file, path);
	conf_unref(c);
	free(path);
}

/* Everything the file leaves out has its default, derived ones too. */
static void
test_defaults(void **state)
{
	struct config		 *c;
	const struct conf_listen *l;
	char			 *path, *cause;
	size_t			  n;

	assert_non_null(c = load_text(MINIMAL, &path, &cause));
	assert_string_equal(conf_str(c, CONF_paths_database),
	    "/srv/of/lib/outfilter.db");
	assert_string_equal(conf_str(c, CONF_daemon_pid_file),
	    BASE "/run/outfilterd.pid");
	assert_int_equal(conf_int(c, CONF_control_max_frame), IPC_MAX_FRAME);
	assert_int_equal(conf_int(c, CONF_control_credential_cache), 300);
	assert_true(conf_has_uid(c, CONF_control_super_uids, 0));
	assert_false(conf_has_uid(c, CONF_control_super_uids, 1000));
	assert_int_equal(conf_int(c, CONF_daemon_log_level), LOG_INFO);
	assert_int_equal(conf_int(c, CONF_daemon_syslog_facility), LOG_MAIL);
	assert_string_equal(conf_str(c, CONF_daemon_user), "");
	assert_true(strlen(conf_str(c, CONF_smtp_hostname)) > 0);
	l = conf_listen(c, CONF_smtp_relay_listen, &n);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&l[0].ss)->sin_port), 2525);
	conf_listen(c, CONF_smtp_submissions_listen, &n);
	assert_int_equal(n, 0);
	conf_unref(c);
	free(path);
}

/* No file at all: the quick-start values, under the base directory. */
static void
test_embedded(void **state)
{
	struct config	*c;
	char		*cause = NULL;

	assert_non_null(c = conf_load(NULL, "/srv/x", &cause));
	assert_null(c->file);
	assert_string_equal(conf_str(c, CONF_paths_state_dir), "/srv/x/var/lib");
	assert_string_equal(conf_str(c, CONF_paths_database),
	    "/srv/x/var/lib/outfilter.db");
	assert_string_equal(conf_str(c, CONF_control_endpoint),
	    "ipc:///srv/x/var/run/control");
	assert_string_equal(conf_str(c, CONF_smtp_relay_listen), "127.0.0.1:2525");
	assert_string_equal(conf_str(c, CONF_smtp_submission_listen),
	    "127.0.0.1:2587");
	assert_string_equal(conf_str(c, CONF_relay_next_hop),
	    "maildir:/srv/x/var/outbox");
	conf_unref(c);
}

/* Values accepted, with what they become. */
static const struct {
	const char	*text;		/* a whole file: the rest is default */
	enum conf_id	 id;
	const char	*want;		/* canonical text */
	long long	 num;		/* -1: not checked */
} good[] = {
	{ "[control]\ncredential_cache = 5m\n", CONF_control_credential_cache, "300", 300 },
	{ "[control]\ncredential_cache = 2h\n", CONF_control_credential_cache, "7200", 7200 },
	{ "[control]\ncredential_cache = 0\n", CONF_control_credential_cache, "0", 0 },
	{ "[control]\nmax_frame = 65536\n", CONF_control_max_frame, "65536", 65536 },
	{ "[control]\nsuper_uids = 0, 1000,root\n", CONF_control_super_uids, "0,1000,0", -1 },
	{ "[daemon]\nlog_level = debug\n", CONF_daemon_log_level, "debug", LOG_DEBUG },
	{ "[daemon]\nsyslog_facility = local3\n", CONF_daemon_syslog_facility, "local3", LOG_LOCAL3 },
	{ "[daemon]\npid_file = /run/x.pid\n", CONF_daemon_pid_file, "/run/x.pid", -1 },
	{ "[daemon]\nuser = root\n", CONF_daemon_user, "root", -1 },
	{ "[paths]\ndatabase = ./db/of.db\n", CONF_paths_database, BASE "/db/of.db", -1 },
	{ "[smtp]\nhostname = relay.example.net\n", CONF_smtp_hostname, "relay.example.net", -1 },
	{ "[relay]\nnext_hop = smtp://[2001:db8::1]:25\n", CONF_relay_next_hop, "smtp://[2001:db8::1]:25", -1 },
	{ "[relay]\nnext_hop = smtp://127.0.0.1:2525\n", CONF_relay_next_hop, "smtp://127.0.0.1:2525", -1 },
	{ "[relay]\nnext_hop = smtp://mx-out.example.net:25\n", CONF_relay_next_hop, "smtp://mx-out.example.net:25", -1 },
	{ "[relay]\nnext_hop = smtp://mx.example.net\n", CONF_relay_next_hop, "smtp://mx.example.net", -1 },
	{ "[relay]\nnext_hop = smtp://[::1]:2525?starttls=no&max_idle=4\n", CONF_relay_next_hop, "smtp://[::1]:2525?starttls=no&max_idle=4", -1 },
};

static void
test_good_values(void **state)
{
	struct config	*c;
	char		*path, *cause;
	size_t		 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if ((c = load_text(good[i].text, &path, &cause)) == NULL)
			fail_msg("case %zu refused: %s", i, cause);
		assert_string_equal(conf_str(c, good[i].id), good[i].want);
		if (good[i].num != -1)
			assert_int_equal(conf_int(c, good[i].id), good[i].num);
		conf_unref(c);
		free(path);
	}
}

/* Files refused, the line and key the message must name, and a word of why. */
static const struct {
	const char	*text;
	int		 line;
	const char	*key;
	const char	*why;
} bad[] = {
	{ "[smtp]\nno_such_key = 1\n", 2, "no_such_key", "unknown key" },
	{ "[nosection]\nx = 1\n", 2, "x", "[nosection]" },
	{ "x = 1\n", 1, "x", "section" },
	{ "[relay]\nnext_hop = maildir:a\nnext_hop = maildir:b\n", 3, "next_hop", "line 2" },
	{ "[control]\nmax_frame = lots\n", 2, "max_frame", "lots" },
	{ "[control]\nmax_frame = 12\n", 2, "max_frame", "out of range" },
	{ "[control]\nmax_frame = 99999999999\n", 2, "max_frame", "out of range" },
	{ "[control]\nmax_frame = 12k\n", 2, "max_frame", "12k" },
	{ "[control]\ncredential_cache = 5x\n", 2, "credential_cache", "duration" },
	{ "[control]\ncredential_cache = -1\n", 2, "credential_cache", "duration" },
	{ "[control]\ncredential_cache = 2d\n", 2, "credential_cache", "out of range" },
	{ "[control]\nsuper_uids = 0,nosuchuser-xyz\n", 2, "super_uids", "nosuchuser-xyz" },
	{ "[control]\nendpoint = tcp://127.0.0.1:5555\n", 2, "endpoint", "CURVE" },
	{ "[control]\nendpoint = /run/x\n", 2, "endpoint", "ipc://" },
	{ "\n\n[smtp]\nrelay_listen = 127.0.0.1:99999\n", 4, "relay_listen", "65535" },
	{ "[smtp]\nrelay_listen = 127.0.0.1\n", 2, "relay_listen", "address:port" },
	{ "[smtp]\nrelay_listen = ::1:25\n", 2, "relay_listen", "brackets" },
	{ "[smtp]\nrelay_listen = 127.0.0.1:25,300.1.1.1:25\n", 2, "relay_listen", "300.1.1.1" },
	{ "[smtp]\nsubmission_listen = [::1]:\n", 2, "submission_listen", "port" },
	{ "[smtp]\nsubmission_listen = [::1:587\n", 2, "submission_listen", "address:port" },
	{ "[smtp]\nsubmission_listen = localhost:587\n", 2, "submission_listen", "not an IP address" },
	{ "[relay]\nnext_hop = mbox:/var/mail\n", 2, "next_hop", "maildir:PATH" },
	{ "[relay]\nnext_hop = smtp:mx.example.net:25\n", 2, "next_hop", "smtp://HOST:PORT" },
	{ "[relay]\nnext_hop = smtp://\n", 2, "next_hop", "no host" },
	{ "[relay]\nnext_hop = smtp://:25\n", 2, "next_hop", "no host" },
	{ "[relay]\nnext_hop = smtp://mx.example.net:0\n", 2, "next_hop", "from 1 to 65535" },
	{ "[relay]\nnext_hop = smtp://mx.example.net:99999\n", 2, "next_hop", "from 1 to 65535" },
	{ "[relay]\nnext_hop = smtp://mx.example.net:smtp\n", 2, "next_hop", "port" },
	{ "[relay]\nnext_hop = smtp://mx.example.net:25/x\n", 2, "next_hop", "no path" },
	{ "[relay]\nnext_hop = smtp://2001:db8::1:25\n", 2, "next_hop", "smtp://[::1]:25" },
	{ "[relay]\nnext_hop = smtp://[2001:db8::1\n", 2, "next_hop", "smtp://[ADDRESS]:PORT" },
	{ "[relay]\nnext_hop = smtp://[2001:db8::1]25\n", 2, "next_hop", "smtp://[ADDRESS]:PORT" },
	{ "[relay]\nnext_hop = smtp://[mx.example]:25\n", 2, "next_hop", "not an IPv6 address" },
	{ "[relay]\nnext_hop = smtp://mx@example.net:25\n", 2, "next_hop", "host name" },
	{ "[daemon]\nlog_level = chatty\n", 2, "log_level", "chatty" },
	{ "[daemon]\nsyslog_facility = kern2\n", 2, "syslog_facility", "facility" },
	{ "[daemon]\nuser = nosuchuser-xyz\n", 2, "user", "no such user" },
	{ "[relay]\nnext_hop = maildir:x\n  more\n", 3, "next_hop", "one line" },
};

static void
test_bad_values(void **state)
{
	struct config	*c;
	char		*path, *cause, *want;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		c = load_text(bad[i].text, &path, &cause);
		if (c != NULL)
			fail_msg("case %zu (%s) accepted", i, bad[i].key);
		assert_non_null(cause);
		assert_int_not_equal(asprintf(&want, "%s:%d: %s: ", path,
		    bad[i].line, bad[i].key), -1);
		if (strncmp(cause, want, strlen(want)) != 0 ||
		    strstr(cause, bad[i].why) == NULL)
			fail_msg("case %zu: wanted \"%s...%s\", got \"%s\"", i,
			    want, bad[i].why, cause);
		free(want);
		free(cause);
		free(path);
	}
}

/* Errors inih finds itself still name the file and line. */
static void
test_syntax(void **state)
{
	static const struct { const char *text; int line; } cases[] = {
		{ "[paths]\nstate_dir /x\n", 2 },
		{ "[paths\nstate_dir = /x\n", 1 },
		{ "[smtp]\nhostname = h\n[paths]\nrun_dir = /r\njunk\n", 5 },
	};
	char	*path, *cause, *want;
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_null(load_text(cases[i].text, &path, &cause));
		assert_int_not_equal(asprintf(&want, "%s:%d: ", path,
		    cases[i].line), -1);
		if (strncmp(cause, want, strlen(want)) != 0)
			fail_msg("case %zu: wanted \"%s...\", got \"%s\"", i,
			    want, cause);
		free(want);
		free(cause);
		free(path);
	}
}

static void
test_long_line(void **state)
{
	char	 text[600], *path, *cause;

	snprintf(text, sizeof text, "[smtp]\nhostname = %0400d\n", 1);
	assert_null(load_text(text, &path, &cause));
	assert_non_null(strstr(cause, ":2: "));
	assert_non_null(strstr(cause, "longer than"));
	free(cause);
	free(path);
}

static void
test_missing_file(void **state)
{
	char	*cause = NULL;

	assert_null(conf_load("/nonexistent/of.conf", BASE, &cause));
	assert_non_null(strstr(cause, "/nonexistent/of.conf"));
	free(cause);
}

static void
test_listen_list(void **state)
{
	struct conf_listen	*l;
	char			 why[256];
	size_t			 n;

	assert_int_equal(conf_parse_listen("[::1]:2525, 127.0.0.1:25,[::]:0",
	    &l, &n, why, sizeof why), 0);
	assert_int_equal(n, 3);
	assert_int_equal(l[0].ss.ss_family, AF_INET6);
	assert_string_equal(l[0].text, "[::1]:2525");
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&l[0].ss)->sin6_port), 2525);
	assert_int_equal(l[1].ss.ss_family, AF_INET);
	assert_string_equal(l[2].text, "[::]:0");
	free(l);
	assert_int_equal(conf_parse_listen("", &l, &n, why, sizeof why), 0);
	assert_int_equal(n, 0);
	assert_int_equal(conf_parse_listen("1.2.3.4:-1", &l, &n, why,
	    sizeof why), -1);
}

static int	changed_calls;

/*
 * Called for state_dir and for each path derived from it that takes a
 * restart (the database, the quarantine directory, ...).
 */
static void
changed(const struct conf_setting *s, const char *was, const char *now)
{
	if (strcmp(s->key, "state_dir") == 0) {
		assert_string_equal(was, "/srv/of/lib");
		assert_string_equal(now, "/elsewhere");
	} else {
		assert_int_equal(strncmp(was, "/srv/of/lib/", 12), 0);
		assert_int_equal(strncmp(now, "/elsewhere/", 11), 0);
		assert_string_equal(was + 12, now + 11);
	}
	changed_calls++;
}

/* MINIMAL with its state_dir line replaced, and extra lines after it. */
static char *
minimal_with(const char *state_dir, const char *extra)
{
	const char	*at = strstr(MINIMAL, "state_dir = "), *eol;
	char		*text;

	eol = strchr(at, '\n');
	assert_int_not_equal(asprintf(&text, "%.*sstate_dir = %s%s%s",
	    (int)(at - MINIMAL), MINIMAL, state_dir, eol, extra), -1);
	return text;
}

/* A reload keeps the settings that take a restart, and says so. */
static void
test_keep_restart(void **state)
{
	struct config	*a, *b;
	char		*p1, *p2, *cause, *text;

	assert_non_null(a = load_text(MINIMAL, &p1, &cause));
	text = minimal_with("/elsewhere", "[daemon]\nlog_level = debug\n");
	if ((b = load_text(text, &p2, &cause)) == NULL)
		fail_msg("%s", cause);
	assert_string_equal(conf_str(b, CONF_paths_state_dir), "/elsewhere");
	conf_keep_restart(b, a, changed);
	assert_true(changed_calls >= 3);
	assert_string_equal(conf_str(b, CONF_paths_state_dir), "/srv/of/lib");
	/* A derived path stays as it was derived at start. */
	assert_string_equal(conf_str(b, CONF_paths_database),
	    "/srv/of/lib/outfilter.db");
	assert_string_equal(conf_str(b, CONF_quarantine_dir),
	    "/srv/of/lib/quarantine");
	assert_int_equal(conf_int(b, CONF_daemon_log_level), LOG_DEBUG);
	conf_unref(a);
	conf_unref(b);
	free(text);
	free(p1);
	free(p2);
}

static const struct {
	const char	*addr;
	int		 rc;
	unsigned	 uid, gid;
	long		 pid;
} addrs[] = {
	{ "localhost:0:0:123", 0, 0, 0, 123 },
	{ "localhost:1000:100:42", 0, 1000, 100, 42 },
	{ ":65534:65534:1", 0, 65534, 65534, 1 },
	{ "garbage", -1, 0, 0, 0 },
	{ "", -1, 0, 0, 0 },
	{ "localhost:0:0", -1, 0, 0, 0 },
	{ "localhost:0:0:", -1, 0, 0, 0 },
	{ "localhost:a:0:1", -1, 0, 0, 0 },
	{ "localhost:-1:0:1", -1, 0, 0, 0 },
	{ "localhost:0:0:1x", -1, 0, 0, 0 },
	{ "localhost:99999999999:0:1", -1, 0, 0, 0 },
	{ "192.0.2.1", -1, 0, 0, 0 },
};

static void
test_zap_address(void **state)
{
	uid_t	uid;
	gid_t	gid;
	pid_t	pid;
	size_t	i;

	for (i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		if (zap_parse_address(addrs[i].addr, &uid, &gid, &pid) !=
		    addrs[i].rc)
			fail_msg("\"%s\": wanted %d", addrs[i].addr, addrs[i].rc);
		if (addrs[i].rc == 0) {
			assert_int_equal(uid, addrs[i].uid);
			assert_int_equal(gid, addrs[i].gid);
			assert_int_equal(pid, addrs[i].pid);
		}
	}
}

static int
setup(void **state)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	*cmd;

	if (asprintf(&cmd, "rm -rf '%s'", tmpdir) != -1) {
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
		free(cmd);
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_listen_list),
		cmocka_unit_test(test_keep_restart),
		cmocka_unit_test(test_zap_address),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
