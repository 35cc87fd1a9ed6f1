/*
 * Newly registered domains: times and feed lines as the import reads
 * them, the registrable domain (PSL), the age boundary, the import's
 * counts and line numbers, and nrd_check on envelope senders and From
 * headers (GMime's parser) with a clock the test drives.  RDAP goes
 * through the integration test's stub server.
 */
#define _GNU_SOURCE		/* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf.h"
#include "db.h"
#include "nrd.h"

#define DAY	86400

static char		 tmpdir[] = "/tmp/test_nrd.XXXXXX";
static struct config	*conf;
static struct db	*db;
static int64_t		 clock_now = 1767225600;	/* 2026-01-01 */

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

static void
test_time_parse(void **state)
{
	static const struct {
		const char	*in;
		int		 ok;
		int64_t		 want;
	} t[] = {
		{ "1700000000", 1, 1700000000 },
		{ "0", 1, 0 },
		{ "2024-05-01", 1, 1714521600 },
		{ "2024-05-01T10:00", 1, 1714557600 },
		{ "2024-05-01T10:00:30Z", 1, 1714557630 },
		{ "2024-05-01 10:00:30", 1, 1714557630 },
		{ "2024-05-01T10:00:30.123456Z", 1, 1714557630 },
		{ "2024-05-01T12:00:30+02:00", 1, 1714557630 },
		{ "2024-05-01T05:00:30-0500", 1, 1714557630 },
		{ "2024-05-01T11:00:30+01", 1, 1714557630 },
		{ "", 0, 0 },
		{ "2024-13-01", 0, 0 },
		{ "2024-05-32", 0, 0 },
		{ "2024-05-01T25:00", 0, 0 },
		{ "2024-05-01T10", 0, 0 },
		{ "2024-05-01T10:00Zjunk", 0, 0 },
		{ "2024-05-01T10:00:00+25:00", 0, 0 },
		{ "yesterday", 0, 0 },
		{ "1e9", 0, 0 },
		{ "-5", 0, 0 },
		{ "1234567890123", 0, 0 },
	};
	size_t	i;
	int64_t	got;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		got = -1;
		if ((nrd_time_parse(t[i].in, &got) == 0) != t[i].ok)
			fail_msg("\"%s\": wanted %s", t[i].in, t[i].ok ?
			    "a time" : "a refusal");
		if (t[i].ok && got != t[i].want)
			fail_msg("\"%s\": wanted %lld, got %lld", t[i].in,
			    (long long)t[i].want, (long long)got);
	}
}

static void
test_registrable(void **state)
{
	static const struct {
		const char	*in, *want, *why;
	} t[] = {
		{ "sub.example.co.uk", "example.co.uk", NULL },
		{ "a.b.sub.example.co.uk", "example.co.uk", NULL },
		{ "example.co.uk", "example.co.uk", NULL },
		{ "WWW.Example.COM", "example.com", NULL },
		{ "mail.example.com.", NULL, "not a domain" },
		{ "b\xc3\xbc" "cher.de", "xn--bcher-kva.de", NULL },
		{ "shop.xn--bcher-kva.de", "xn--bcher-kva.de", NULL },
		{ "x.example.com.au", "example.com.au", NULL },
		{ "co.uk", NULL, "public suffix" },
		{ "com", NULL, "not a domain" },
		{ "localhost", NULL, "not a domain" },
		{ "bad_name.com", NULL, "not a domain" },
		{ "", NULL, "not a domain" },
	};
	size_t	 i;
	char	*got, why[256];

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		why[0] = '\0';
		got = nrd_registrable(t[i].in, why, sizeof why);
		if (t[i].want == NULL) {
			if (got != NULL)
				fail_msg("\"%s\": wanted a refusal, got %s",
				    t[i].in, got);
			if (strstr(why, t[i].why) == NULL)
				fail_msg("\"%s\": wanted \"%s\" in: %s",
				    t[i].in, t[i].why, why);
			continue;
		}
		if (got == NULL || strcmp(got, t[i].want) != 0)
			fail_msg("\"%s\": wanted %s, got %s (%s)", t[i].in,
			    t[i].want, got != NULL ? got : "NULL", why);
		free(got);
	}
}

static void
test_line_parse(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*domain;
		int64_t		 registered;
		const char	*why;
	} t[] = {
		{ "fresh.com", 1, "fresh.com", 0, NULL },
		{ "  www.Fresh.com\t", 1, "fresh.com", 0, NULL },
		{ "sub.example.co.uk,2024-05-01", 1, "example.co.uk",
		    1714521600, NULL },
		{ "dated.org , 1700000000", 1, "dated.org", 1700000000, NULL },
		{ "dated.org,2024-05-01T10:00:00Z", 1, "dated.org", 1714557600,
		    NULL },
		{ "", 0, NULL, 0, NULL },
		{ "   ", 0, NULL, 0, NULL },
		{ "# a comment, with a comma", 0, NULL, 0, NULL },
		{ "two words.com", -1, NULL, 0, "want DOMAIN" },
		{ "x.com,", -1, NULL, 0, "want DOMAIN" },
		{ "x.com,2024-05-01,registrar", -1, NULL, 0, "want DOMAIN" },
		{ "x.com,someday", -1, NULL, 0, "is not a time" },
		{ "x.com,2099-01-01", -1, NULL, 0, "in the future" },
		{ "co.uk", -1, NULL, 0, "public suffix" },
		{ "domain", -1, NULL, 0, "not a domain" },
		{ "<html>", -1, NULL, 0, "not a domain" },
	};
	size_t	 i;
	char	*domain, why[256];
	int64_t	 reg;
	int	 rc;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		why[0] = '\0';
		rc = nrd_line_parse(t[i].in, &domain, &reg, why, sizeof why);
		if (rc != t[i].rc)
			fail_msg("\"%s\": wanted %d, got %d (%s)", t[i].in,
			    t[i].rc, rc, why);
		if (rc == 1) {
			assert_string_equal(domain, t[i].domain);
			assert_int_equal(reg, t[i].registered);
		} else
			assert_null(domain);
		if (rc == -1 && strstr(why, t[i].why) == NULL)
			fail_msg("\"%s\": wanted \"%s\" in: %s", t[i].in,
			    t[i].why, why);
		free(domain);
	}
}

static void
test_age_boundary(void **state)
{
	int64_t	now = clock_now, max = 24 * 3600;

	assert_true(nrd_is_new(now, now, max));
	assert_true(nrd_is_new(now - max + 1, now, max));
	assert_false(nrd_is_new(now - max, now, max));
	assert_false(nrd_is_new(now - max - 1, now, max));
	/* A clock ahead of ours: as new as can be. */
	assert_true(nrd_is_new(now + 3600, now, max));
}

static void
test_url_check(void **state)
{
	static const struct {
		const char	*url;
		int		 ok;
	} t[] = {
		{ "http://127.0.0.1:8080", 1 },
		{ "http://rdap.example/rdap/", 1 },
		{ "https://rdap.verisign.com/com/v1", 1 },
		{ "http://[::1]:8080/x", 1 },
		{ "ftp://rdap.example", 0 },
		{ "rdap.example", 0 },
		{ "http://", 0 },
		{ "http://host:0", 0 },
		{ "http://host:99999", 0 },
		{ "http://host:80x/", 0 },
		{ "http://ho st/", 0 },
		{ "http://host/?q=1", 0 },
		{ "http://user@host/", 0 },
	};
	size_t	i;
	char	why[256];

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if ((nrd_url_check(t[i].url, why, sizeof why) == 0) !=
		    t[i].ok)
			fail_msg("\"%s\": wanted %s", t[i].url, t[i].ok ?
			    "it taken" : "a refusal");
	}
}

static json_t *
import(const char *text, const char *source, int64_t first)
{
	json_t	*r;
	char	*cause = NULL;

	if (nrd_import(db, conf, text, source, first, &r, &cause) != 0)
		fail_msg("nrd_import: %s", cause);
	return r;
}

static json_int_t
count(json_t *r, const char *key)
{
	return json_integer_value(json_object_get(r, key));
}

static void
test_import(void **state)
{
	json_t		*r, *bad;
	int64_t		 reg;
	char		 source[64], *cause = NULL;

	r = import("# feed of the day\r\nfresh.com\r\nold.net,2020-01-01\r\n"
	    "\r\nnot a line\r\nwww.fresh2.com\nco.uk\nlast.org", "daily.txt",
	    100);
	assert_string_equal(json_string_value(json_object_get(r, "source")),
	    "daily.txt");
	assert_int_equal(count(r, "lines"), 8);
	assert_int_equal(count(r, "imported"), 4);
	assert_int_equal(count(r, "kept"), 0);
	assert_int_equal(count(r, "skipped"), 2);
	assert_int_equal(count(r, "bad"), 2);
	bad = json_object_get(r, "bad_lines");
	assert_int_equal(json_array_size(bad), 2);
	assert_int_equal(count(json_array_get(bad, 0), "line"), 104);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    bad, 0), "text")), "not a line");
	assert_int_equal(count(json_array_get(bad, 1), "line"), 106);
	json_decref(r);
	assert_int_equal(db_nrd_get(db, "fresh2.com", &reg, source,
	    sizeof source, &cause), 0);
	assert_int_equal(reg, clock_now);
	assert_string_equal(source, "daily.txt");
	assert_int_equal(db_nrd_get(db, "old.net", &reg, NULL, 0, &cause), 0);
	assert_int_equal(reg, 1577836800);

	/* A day later the same plain line keeps its date; a dated one moves. */
	clock_now += DAY;
	r = import("fresh.com\nold.net,2021-01-01\n", NULL, 1);
	assert_int_equal(count(r, "imported"), 1);
	assert_int_equal(count(r, "kept"), 1);
	assert_string_equal(json_string_value(json_object_get(r, "source")),
	    "import");
	json_decref(r);
	assert_int_equal(db_nrd_get(db, "fresh.com", &reg, NULL, 0, &cause), 0);
	assert_int_equal(reg, clock_now - DAY);
	assert_int_equal(db_nrd_get(db, "old.net", &reg, NULL, 0, &cause), 0);
	assert_int_equal(reg, 1609459200);
	clock_now -= DAY;

	/* Many bad lines: all counted, NRD_BAD_SHOWN listed. */
	r = import("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\np\nq\nr\ns\n"
	    "t\nu\nv\nw\n", "bad", 1);
	assert_int_equal(count(r, "bad"), 23);
	assert_int_equal(json_array_size(json_object_get(r, "bad_lines")),
	    NRD_BAD_SHOWN);
	json_decref(r);
	assert_int_equal(nrd_import(db, conf, "x.com", "bad\nname", 1, &r,
	    &cause), -1);
	assert_non_null(strstr(cause, "control character"));
	free(cause);
}

/* nrd_check's verdict: blocked or not, on which domain. */
static void
check(const char *sender, const char *from, int blocked, const char *domain,
    const char *words)
{
	struct nrd_verdict	 v;
	char			*cause = NULL;

	if (nrd_check(db, conf, sender, from, &v, &cause) != 0)
		fail_msg("nrd_check: %s", cause);
	if (v.blocked != blocked || strcmp(v.domain, domain) != 0 ||
	    strstr(v.reason, words) == NULL)
		fail_msg("sender %s, From %s: wanted %s %s (\"%s\"), got %s "
		    "%s: %s", sender ? sender : "NULL", from ? from : "NULL",
		    blocked ? "blocked" : "passed", domain, words,
		    v.blocked ? "blocked" : "passed", v.domain, v.reason);
}

static void
test_check(void **state)
{
	json_t	*r;

	r = import("fresh.com\nold.net,2020-01-01\nnew.example.co.uk\n",
	    "feed", 1);
	json_decref(r);
	check("a@fresh.com", NULL, 1, "fresh.com", "less than 24 hours ago");
	check("a@mail.FRESH.com", NULL, 1, "fresh.com", "sender domain");
	check("a@old.net", NULL, 0, "old.net", "more than 24 hours ago");
	check("a@unlisted.org", NULL, 0, "unlisted.org", "not listed");
	check("bounce@x.new.example.co.uk", NULL, 1, "example.co.uk",
	    "imported feed");
	check(NULL, NULL, 0, "", "no sender domain");
	check("", "\"Fresh Sender\" <boss@fresh.com>", 1, "fresh.com",
	    "From domain");
	check("a@old.net", "=?utf-8?q?Caf=C3=A9?= <x@fresh.com>", 1,
	    "fresh.com", "From domain fresh.com");
	check("a@old.net", "friends: one@old.net, two@fresh.com;", 1,
	    "fresh.com", "From domain");
	check("a@old.net", "x@old.net,\r\n y@unlisted.org", 0, "old.net",
	    "not listed");
	check("a@old.net", "not an address at all", 0, "old.net",
	    "more than");
	check("a@old.net", "<@>, <a@>, <@b>, \"\" <>", 0, "old.net",
	    "more than");
	check("a@co.uk", NULL, 0, "", "no sender domain");

	/* The boundary, by the clock: listed at clock_now. */
	clock_now += 24 * 3600 - 1;
	check("a@fresh.com", NULL, 1, "fresh.com", "less than");
	clock_now += 1;
	check("a@fresh.com", NULL, 0, "fresh.com", "more than 24 hours");
	clock_now -= 24 * 3600;
}

static void
test_max_age(void **state)
{
	struct config	*c = conf;
	json_t		*r;

	conf = load_conf("[nrd]\nmax_age_hours = 48\n");
	r = import("twodays.com\n", "feed", 1);
	json_decref(r);
	clock_now += 47 * 3600;
	check("a@twodays.com", NULL, 1, "twodays.com", "less than 48 hours");
	clock_now += 3600;
	check("a@twodays.com", NULL, 0, "twodays.com", "more than 48 hours");
	clock_now -= 48 * 3600;
	conf_unref(conf);
	conf = c;
}

static int
setup(void **state)
{
	char	path[300], *cause = NULL;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/outfilter.db", tmpdir);
	if ((db = db_open(path, 1, &cause)) == NULL) {
		fprintf(stderr, "setup: %s\n", cause);
		return -1;
	}
	conf = load_conf(NULL);
	nrd_clock_set(fake_clock);
	db_clock_set(fake_clock);
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
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_registrable),
		cmocka_unit_test(test_line_parse),
		cmocka_unit_test(test_age_boundary),
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_max_age),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
