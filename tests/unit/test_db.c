/*
 * The database's rules, each both ways: the allowed case passes, the
 * refused one is refused with the right kind of error, names what is at
 * fault (the owner of an overlapping range, the setting, ...) and leaves
 * nothing changed.  Then migrations, pagination, the log search and the
 * handlers' scoping of a domain admin.
 */
#include <sys/stat.h>

#include <fcntl.h>
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

#include "ipc.h"
#include "db.h"
#include "cmd.h"

/* A ready argon2id hash: the rules do not need a real password check. */
#define HASH	"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct db	*db;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	char		*cause = NULL;

	snprintf(f->dir, sizeof f->dir, "/tmp/test_db.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/of.db", f->dir);
	if ((f->db = db_open(f->path, 1, &cause)) == NULL) {
		print_error("db_open: %s\n", cause);
		return -1;
	}
	*state = f;
	return 0;
}

static void
fixture_rm(struct fixture *f)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char	p[160];
	size_t	i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	db_close(f->db);
	fixture_rm(f);
	free(f);
	return 0;
}

/* rc is a refusal of this kind whose sentence holds needle. */
#define refused(db, rc, kind, field, needle, cause) \
	refused_at(db, rc, kind, field, needle, &(cause), __LINE__)
static void
refused_at(struct db *db, int rc, enum db_errkind kind, const char *field,
    const char *needle, char **causep, int line)
{
	char	*cause = *causep;

	*causep = NULL;
	if (rc != -1)
		fail_msg("line %d: accepted, wanted a refusal holding \"%s\"",
		    line, needle);
	if (cause == NULL)
		fail_msg("refused without a cause");
	if (db_errkind(db) != kind)
		fail_msg("line %d: kind %d, wanted %d: %s", line,
		    db_errkind(db), kind, cause);
	if (field != NULL && strcmp(db_errfield(db), field) != 0)
		fail_msg("field \"%s\", wanted \"%s\": %s", db_errfield(db),
		    field, cause);
	if (strstr(cause, needle) == NULL)
		fail_msg("line %d: \"%s\" does not name \"%s\"", line, cause,
		    needle);
	free(cause);
}

/*
 * The cause is read through its address: it is set by the call that is
 * the other argument, which C may evaluate after a plain value.
 */
#define accepted(rc, cause) accepted_at(rc, &(cause), __LINE__)
static void
accepted_at(int rc, char **cause, int line)
{
	if (rc != 0)
		fail_msg("line %d: refused: %s", line,
		    *cause != NULL ? *cause : "?");
}

static json_t *
strings(const char *s, ...)
{
	json_t	*a = json_array();
	va_list	 ap;

	va_start(ap, s);
	for (; s != NULL; s = va_arg(ap, const char *))
		json_array_append_new(a, json_string(s));
	va_end(ap);
	return a;
}

static int
add_ip(struct db *db, const char *name, const char *domain, const char *ip,
    char **cause)
{
	json_t	*a = strings(ip, NULL);
	int	 rc = db_user_add_ip(db, name, domain, a, cause);

	json_decref(a);
	return rc;
}

static int64_t
stat_of(struct db *db, const char *key, const char *sub)
{
	json_t	*o, *v;
	char	*cause = NULL;
	int64_t	 n;

	accepted(db_status(db, &o, &cause), cause);
	v = json_object_get(o, key);
	if (sub != NULL)
		v = json_object_get(v, sub);
	n = json_integer_value(v);
	json_decref(o);
	return n;
}

static int64_t
user_count(struct db *db)
{
	return stat_of(db, "users", "total");
}

static int
user_exists(struct db *db, const char *name)
{
	char	*d = NULL, *cause = NULL;
	int	 rc = db_user_domain(db, name, &d, &cause);

	free(d);
	free(cause);
	return rc == 0;
}

static void
two_domains(struct db *db)
{
	char	*cause = NULL;

	accepted(db_domain_add(db, "example.com", NULL, &cause), cause);
	accepted(db_domain_add(db, "example.net", NULL, &cause), cause);
}

static void
test_migrations(void **state)
{
	struct fixture	*f = *state;
	char		*cause = NULL;
	unsigned char	 v[4] = { 0, 0, 0, 99 };
	int		 fd;

	assert_int_equal(db_schema_version(f->db), db_schema_latest());
	assert_true(db_schema_latest() >= 1);
	accepted(db_domain_add(f->db, "example.com", NULL, &cause), cause);
	db_close(f->db);
	f->db = db_open(f->path, 0, &cause);
	assert_non_null(f->db);
	assert_int_equal(db_schema_version(f->db), db_schema_latest());
	assert_int_equal(stat_of(f->db, "domains", NULL), 1);
	db_close(f->db);

	/* A schema newer than this program is refused, not touched. */
	fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, v, 4, 60), 4);
	close(fd);
	f->db = db_open(f->path, 0, &cause);
	assert_null(f->db);
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	cause = NULL;
	fixture_rm(f);
	assert_null(db_open(f->path, 0, &cause));
	free(cause);
	cause = NULL;
	mkdir(f->dir, 0700);
	f->db = db_open(f->path, 1, &cause);
	assert_non_null(f->db);
}

static void
test_domains(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	json_t		*o;
	char		*cause = NULL;

	accepted(db_domain_add(db, "Other.EXAMPLE", "postmaster@other.example",
	    &cause), cause);
	accepted(db_domain_show(db, "other.example", &o, &cause), cause);
	assert_string_equal(json_string_value(json_object_get(o, "domain")),
	    "other.example");
	assert_true(json_is_false(json_object_get(o, "active")));
	json_decref(o);
	accepted(db_domain_add(db, "bücher.example", NULL, &cause), cause);
	accepted(db_domain_show(db, "xn--bcher-kva.example", &o, &cause),
	    cause);
	json_decref(o);
	refused(db, db_domain_add(db, "other.example", NULL, &cause),
	    DB_ECONFLICT, "domain", "other.example", cause);
	refused(db, db_domain_add(db, "exa mple", NULL, &cause), DB_EINVAL,
	    "domain", "exa mple", cause);
	refused(db, db_domain_add(db, "-bad.example", NULL, &cause), DB_EINVAL,
	    "domain", "-bad.example", cause);
	refused(db, db_domain_add(db, "localhost", NULL, &cause), DB_EINVAL,
	    "domain", "localhost", cause);
	refused(db, db_domain_add(db, "c.example", "not an address", &cause),
	    DB_EINVAL, "admin_contact", "not an address", cause);
	assert_int_equal(stat_of(db, "domains", NULL), 2);
	refused(db, db_domain_show(db, "nosuch.example", &o, &cause),
	    DB_ENOTFOUND, "domain", "nosuch.example", cause);
	accepted(db_domain_set_active(db, "other.example", 1, &cause), cause);
	assert_int_equal(stat_of(db, "active_domains", NULL), 1);
	accepted(db_domain_list(db, NULL, 1, NULL, 0, &o, &cause), cause);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
	json_decref(o);
	accepted(db_domain_del(db, "other.example", &cause), cause);
	assert_int_equal(stat_of(db, "domains", NULL), 1);
	assert_int_equal(stat_of(db, "active_domains", NULL), 0);
}

/* One address, one owner: each step in order against what came before. */
static const struct {
	const char	*user, *domain, *ip;
	enum db_errkind	 kind;		/* 0: accepted */
	const char	*needle;
} ip_cases[] = {
	{ "smarthost1", "example.com", "192.0.2.128/25", 0, NULL },
	{ "smarthost2", "example.net", "192.0.2.0/24", DB_ECONFLICT,
	    "192.0.2.128/25 of user smarthost1 (example.com)" },
	{ "smarthost2", "example.net", "192.0.2.200", DB_ECONFLICT,
	    "smarthost1" },
	{ "smarthost2", "example.net", "::ffff:192.0.2.130", DB_ECONFLICT,
	    "smarthost1" },
	{ "smarthost2", "example.net", "192.0.2.0/25", 0, NULL },
	{ "v6host", "example.com", "2001:db8:1::/48", 0, NULL },
	{ "v6other", "example.net", "2001:db8::/32", DB_ECONFLICT,
	    "2001:db8:1::/48 of user v6host (example.com)" },
	{ "v6other", "example.net", "2001:db8:1:2::1", DB_ECONFLICT, "v6host" },
	{ "v6other", "example.net", "2001:db8:2::/48", 0, NULL },
	{ "all", "example.net", "0.0.0.0/0", DB_ECONFLICT, "smarthost" },
	{ "badhost", "example.com", "192.0.2.300/24", DB_EINVAL,
	    "192.0.2.300" },
	{ "badhost", "example.com", "198.51.100.1/24", DB_EINVAL,
	    "198.51.100.0/24" },
	{ "h3", "nosuch.example", "198.51.100.1", DB_ENOTFOUND,
	    "nosuch.example" },
	{ "bad name", "example.com", "198.51.100.1", DB_EINVAL, "bad name" },
};

static void
test_ip_one_owner(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	char		*cause = NULL;
	size_t		 i;
	int64_t		 before;
	int		 rc, existed;

	two_domains(db);
	for (i = 0; i < sizeof ip_cases / sizeof ip_cases[0]; i++) {
		before = user_count(db);
		existed = user_exists(db, ip_cases[i].user);
		rc = add_ip(db, ip_cases[i].user, ip_cases[i].domain,
		    ip_cases[i].ip, &cause);
		if (ip_cases[i].kind == 0) {
			accepted(rc, cause);
			assert_int_equal(user_count(db), before + 1);
			continue;
		}
		refused(db, rc, ip_cases[i].kind, NULL, ip_cases[i].needle,
		    cause);
		cause = NULL;
		assert_int_equal(user_count(db), before);
		assert_int_equal(user_exists(db, ip_cases[i].user), existed);
	}
}

static void
test_ip_ranges_atomic(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	json_t		*a, *o;
	uint8_t		 addr[16] = { [10] = 0xff, [11] = 0xff, 198, 51, 100, 7 };
	char		*cause = NULL, *u = NULL, *d = NULL;

	two_domains(db);
	accepted(add_ip(db, "owner", "example.com", "203.0.113.0/24", &cause),
	    cause);
	/* The second range overlaps: the first must not stay taken. */
	a = strings("198.51.100.0/24", "203.0.113.9", NULL);
	refused(db, db_user_add_ip(db, "multi", "example.net", a, &cause),
	    DB_ECONFLICT, "ip", "owner", cause);
	json_decref(a);
	assert_false(user_exists(db, "multi"));
	assert_int_equal(db_ip_owner(db, addr, &u, &d, &cause), 1);
	accepted(db_user_ip_add(db, "owner", "198.51.100.0/24", &cause), cause);
	assert_int_equal(db_ip_owner(db, addr, &u, &d, &cause), 0);
	assert_string_equal(u, "owner");
	assert_string_equal(d, "example.com");
	free(u);
	free(d);
	accepted(db_user_show(db, "owner", &o, &cause), cause);
	assert_int_equal(json_array_size(json_object_get(o, "ips")), 2);
	json_decref(o);
	refused(db, db_user_ip_del(db, "owner", "192.0.2.0/24", &cause),
	    DB_ENOTFOUND, "ip", "192.0.2.0/24", cause);
	accepted(db_user_ip_del(db, "owner", "198.51.100.0/24", &cause), cause);
	refused(db, db_user_ip_del(db, "owner", "203.0.113.0/24", &cause),
	    DB_ECONFLICT, "ip", "last range", cause);
	/* A deleted user's range is free again. */
	accepted(db_user_del(db, "owner", &cause), cause);
	accepted(add_ip(db, "next", "example.net", "203.0.113.128/25", &cause),
	    cause);
}

static void
test_authdomain(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	json_t		*o;
	char		*cause = NULL;

	two_domains(db);
	accepted(db_user_add_domain(db, "Example.COM", HASH, &cause), cause);
	accepted(db_user_show(db, "example.com", &o, &cause), cause);
	assert_string_equal(json_string_value(json_object_get(o, "kind")),
	    "domain");
	assert_string_equal(json_string_value(json_object_get(o, "domain")),
	    "example.com");
	json_decref(o);
	refused(db, db_user_add_domain(db, "example.com", HASH, &cause),
	    DB_ECONFLICT, "name", "example.com", cause);
	refused(db, db_user_add_domain(db, "nosuch.example", HASH, &cause),
	    DB_ENOTFOUND, "name", "nosuch.example", cause);
	assert_int_equal(stat_of(db, "users", "domain"), 1);
	accepted(db_user_add_domain(db, "example.net", HASH, &cause), cause);
	assert_int_equal(stat_of(db, "users", "domain"), 2);
}

static const struct {
	const char	*name, *domain;
	enum db_errkind	 kind;
	const char	*needle;
} smtp_cases[] = {
	{ "alice@example.com", "example.com", 0, NULL },
	{ "carol@mail.example.com", "example.com", 0, NULL },
	{ "dave@EXAMPLE.com", "example.com", 0, NULL },
	{ "alice@example.com", "example.com", DB_ECONFLICT,
	    "alice@example.com" },
	{ "alice", "example.com", DB_EINVAL, "e-mail" },
	{ "a..b@example.com", "example.com", DB_EINVAL, "a..b@example.com" },
	{ "@example.com", "example.com", DB_EINVAL, "e-mail" },
	{ "bob@example.net", "example.com", DB_EINVAL, "of example.com" },
	{ "bob@notexample.com", "example.com", DB_EINVAL, "of example.com" },
	{ "bob@example.com", "nosuch.example", DB_ENOTFOUND, "nosuch.example" },
};

static void
test_smtp_names(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	char		*cause = NULL;
	size_t		 i;
	int64_t		 before;
	int		 rc;

	two_domains(db);
	for (i = 0; i < sizeof smtp_cases / sizeof smtp_cases[0]; i++) {
		before = user_count(db);
		rc = db_user_add_smtp(db, smtp_cases[i].name,
		    smtp_cases[i].domain, HASH, &cause);
		if (smtp_cases[i].kind == 0) {
			accepted(rc, cause);
			assert_int_equal(user_count(db), before + 1);
		} else {
			refused(db, rc, smtp_cases[i].kind, NULL,
			    smtp_cases[i].needle, cause);
			cause = NULL;
			assert_int_equal(user_count(db), before);
		}
	}
	assert_true(user_exists(db, "dave@example.com"));
	/* Names are unique across the kinds and domains. */
	refused(db, add_ip(db, "alice@example.com", "example.net", "192.0.2.1",
	    &cause), DB_ECONFLICT, "name", "alice@example.com", cause);
	assert_string_equal(db_errowner(db), "example.com");
	assert_null(strstr(db_errpublic(db), "(example.com)"));
}

static void
test_ip_user_no_password(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	char		*cause = NULL, *hash = NULL, *dom = NULL;

	two_domains(db);
	accepted(add_ip(db, "relay", "example.com", "192.0.2.1", &cause), cause);
	accepted(db_user_add_smtp(db, "a@example.com", "example.com", HASH,
	    &cause), cause);
	refused(db, db_user_passwd(db, "relay", HASH, &cause), DB_EINVAL,
	    "name", "no password", cause);
	assert_int_equal(db_user_auth(db, "relay", &hash, &dom, &cause), 1);
	accepted(db_user_passwd(db, "a@example.com", "$argon2id$other", &cause),
	    cause);
	assert_int_equal(db_user_auth(db, "a@example.com", &hash, &dom, &cause),
	    0);
	assert_string_equal(hash, "$argon2id$other");
	assert_string_equal(dom, "example.com");
	free(hash);
	free(dom);
	refused(db, db_user_ip_add(db, "a@example.com", "192.0.2.2", &cause),
	    DB_EINVAL, "name", "not an IP user", cause);
}

static const char *
setting(struct db *db, const char *user, const char *key, json_t **keep)
{
	json_t		*o, *v;
	char		*cause = NULL;
	static char	 buf[256];

	accepted(db_user_show(db, user, &o, &cause), cause);
	v = json_object_get(json_object_get(o, "settings"), key);
	if (json_is_integer(v))
		snprintf(buf, sizeof buf, "%lld",
		    (long long)json_integer_value(v));
	else if (json_is_string(v))
		snprintf(buf, sizeof buf, "%s", json_string_value(v));
	else
		snprintf(buf, sizeof buf, "?");
	if (keep != NULL)
		*keep = o;
	else
		json_decref(o);
	return buf;
}

static int
set1(struct db *db, const char *user, const char *k, const char *v,
    char **cause)
{
	json_t	*o = json_pack("{s:s}", k, v);
	int	 rc = db_user_set(db, user, o, cause);

	json_decref(o);
	return rc;
}

static const struct {
	const char	*key, *value;
	const char	*stored;	/* NULL: refused, naming the key */
} setting_cases[] = {
	{ "limit.hour", "100", "100" },
	{ "limit.day", "0", "0" },
	{ "limit.minute", "007", "7" },
	{ "limit.hour", "-1", NULL },
	{ "limit.day", "lots", NULL },
	{ "limit.week", "1.5", NULL },
	{ "recipients.day", "500", "500" },
	{ "spam.reaction", "quarantine", "quarantine" },
	{ "spam.reaction", "explode", NULL },
	{ "archive", "yes", "on" },
	{ "lock.threshold", "0", NULL },
	{ "no.such.setting", "1", NULL },
};

/* A template of subject and body, in English, without HTML. */
static int
tmpl_add(struct db *db, const char *name, const char *subject,
    const char *body, char **cause)
{
	struct db_template	t = { name, NULL, subject, body, NULL };

	return db_template_add(db, &t, cause);
}

static void
test_settings(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	json_t		*o, *set, *kv;
	const char	*key;
	char		*cause = NULL;
	size_t		 i = 0;

	two_domains(db);
	accepted(db_user_add_smtp(db, "alice@example.com", "example.com", HASH,
	    &cause), cause);
	for (i = 0; i < sizeof setting_cases / sizeof setting_cases[0]; i++) {
		if (setting_cases[i].stored != NULL) {
			accepted(set1(db, "alice@example.com",
			    setting_cases[i].key, setting_cases[i].value,
			    &cause), cause);
			assert_string_equal(setting(db, "alice@example.com",
			    setting_cases[i].key, NULL),
			    setting_cases[i].stored);
		} else
			refused(db, set1(db, "alice@example.com",
			    setting_cases[i].key, setting_cases[i].value,
			    &cause), DB_EINVAL, setting_cases[i].key,
			    setting_cases[i].key, cause);
		cause = NULL;
	}
	/* One bad setting refuses the whole command. */
	kv = json_pack("{s:s,s:s}", "limit.hour", "7", "limit.minute", "-5");
	refused(db, db_user_set(db, "alice@example.com", kv, &cause),
	    DB_EINVAL, "limit.minute", "limit.minute", cause);
	json_decref(kv);
	assert_string_equal(setting(db, "alice@example.com", "limit.hour",
	    NULL), "100");
	/* Every setting is shown, in usersettings.def's order, defaults too. */
	setting(db, "alice@example.com", "limit.hour", &o);
	set = json_object_get(o, "settings");
	assert_int_equal(json_object_size(set), ipc_nusets);
	i = 0;
	json_object_foreach(set, key, kv)
		assert_string_equal(key, ipc_usets[i++].key);
	assert_int_equal(json_integer_value(json_object_get(set,
	    "lock.threshold")), 5);
	json_decref(o);
	/* lock.template names an existing template. */
	refused(db, set1(db, "alice@example.com", "lock.template", "nosuch",
	    &cause), DB_ENOTFOUND, "lock.template", "nosuch", cause);
	accepted(tmpl_add(db, "spam-lock", "Locked", "Dear user", &cause),
	    cause);
	accepted(set1(db, "alice@example.com", "lock.template", "spam-lock",
	    &cause), cause);
	refused(db, db_template_del(db, "spam-lock", &cause), DB_ECONFLICT,
	    "name", "alice@example.com", cause);
	accepted(set1(db, "alice@example.com", "lock.template", "", &cause),
	    cause);
	accepted(db_template_del(db, "spam-lock", &cause), cause);
	/* contact is an address, kept in its normal form, or empty. */
	refused(db, set1(db, "alice@example.com", "contact", "not an address",
	    &cause), DB_EINVAL, "contact", "not an address", cause);
	accepted(set1(db, "alice@example.com", "contact", "Owner@EXAMPLE.com",
	    &cause), cause);
	accepted(db_user_show(db, "alice@example.com", &o, &cause), cause);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    o, "settings"), "contact")), "Owner@example.com");
	json_decref(o);
	accepted(set1(db, "alice@example.com", "contact", "", &cause), cause);
}

static void
test_templates(void **state)
{
	struct db		*db = ((struct fixture *)*state)->db;
	const char		*evil = "x'; DROP TABLE users;--";
	struct db_template	 t;
	json_t			*o;
	char			*cause = NULL;

	accepted(tmpl_add(db, evil, "%s%n \"q\"", "body\n", &cause), cause);
	accepted(db_template_show(db, evil, &o, &cause), cause);
	assert_string_equal(json_string_value(json_object_get(o, "subject")),
	    "%s%n \"q\"");
	assert_string_equal(json_string_value(json_object_get(o, "language")),
	    "en");
	assert_true(json_is_null(json_object_get(o, "html")));
	json_decref(o);
	refused(db, tmpl_add(db, evil, "x", "y", &cause), DB_ECONFLICT,
	    "name", "DROP", cause);
	refused(db, tmpl_add(db, "t2", "two\nlines", "y", &cause),
	    DB_EINVAL, "subject", "one line", cause);
	memset(&t, 0, sizeof t);
	t.name = evil;
	t.subject = "New";
	accepted(db_template_set(db, &t, &cause), cause);
	accepted(db_template_show(db, evil, &o, &cause), cause);
	assert_string_equal(json_string_value(json_object_get(o, "subject")),
	    "New");
	assert_string_equal(json_string_value(json_object_get(o, "body")),
	    "body\n");
	json_decref(o);
	/* Language and HTML body: set, kept, removed with "". */
	t.subject = NULL;
	t.language = "pt-BR";
	t.html = "<p>hi</p>";
	accepted(db_template_set(db, &t, &cause), cause);
	accepted(db_template_show(db, evil, &o, &cause), cause);
	assert_string_equal(json_string_value(json_object_get(o, "language")),
	    "pt-BR");
	assert_string_equal(json_string_value(json_object_get(o, "html")),
	    "<p>hi</p>");
	json_decref(o);
	t.language = NULL;
	t.html = "";
	accepted(db_template_set(db, &t, &cause), cause);
	accepted(db_template_show(db, evil, &o, &cause), cause);
	assert_true(json_is_null(json_object_get(o, "html")));
	assert_string_equal(json_string_value(json_object_get(o, "language")),
	    "pt-BR");
	json_decref(o);
	t.html = NULL;
	t.language = "english please";
	refused(db, db_template_set(db, &t, &cause), DB_EINVAL, "language",
	    "english please", cause);
	t.language = NULL;
	refused(db, db_template_set(db, &t, &cause), DB_EINVAL, "subject",
	    "give a new", cause);
	refused(db, db_template_show(db, "nosuch", &o, &cause), DB_ENOTFOUND,
	    "name", "nosuch", cause);
	/* The template notices fall back to stays. */
	accepted(tmpl_add(db, "default", "Locked", "b", &cause), cause);
	refused(db, db_template_del(db, "default", &cause), DB_ECONFLICT,
	    "name", "template set", cause);
}

/* Walk a list page by page; returns the names seen, in order. */
static json_t *
walk_users(struct db *db, char *const *scope, int limit, int *pages)
{
	json_t		*seen = json_array(), *o, *it;
	const char	*next;
	char		*after = NULL, *cause = NULL;
	size_t		 i;

	*pages = 0;
	do {
		accepted(db_user_list(db, scope, NULL, NULL, 0, NULL, after,
		    limit, &o, &cause), cause);
		(*pages)++;
		assert_true(json_array_size(json_object_get(o, "items")) <=
		    (size_t)limit);
		json_array_foreach(json_object_get(o, "items"), i, it)
			json_array_append(seen, json_object_get(it, "name"));
		free(after);
		next = json_string_value(json_object_get(o, "next"));
		after = next != NULL ? strdup(next) : NULL;
		json_decref(o);
	} while (after != NULL);
	return seen;
}

static void
test_pagination(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	char		*const scope[] = { "example.net", NULL };
	json_t		*seen, *o;
	char		 name[32], ip[32], *cause = NULL;
	int		 i, pages;

	two_domains(db);
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof name, "page%d", 7 - i);
		snprintf(ip, sizeof ip, "203.0.113.%d", i + 1);
		accepted(add_ip(db, name, i < 5 ? "example.net" : "example.com",
		    ip, &cause), cause);
	}
	seen = walk_users(db, NULL, 3, &pages);
	assert_int_equal(pages, 3);
	assert_int_equal(json_array_size(seen), 7);
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof name, "page%d", i + 1);
		assert_string_equal(json_string_value(json_array_get(seen, i)),
		    name);
	}
	json_decref(seen);
	seen = walk_users(db, scope, 2, &pages);
	assert_int_equal(json_array_size(seen), 5);
	json_decref(seen);
	accepted(db_user_list(db, NULL, "example.com", "ip", 0, NULL, NULL, 50,
	    &o, &cause), cause);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 2);
	json_decref(o);
	refused(db, db_user_list(db, NULL, NULL, "pigeon", 0, NULL, NULL, 50,
	    &o, &cause), DB_EINVAL, "kind", "pigeon", cause);
}

static void
test_locks(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	json_t		*o;
	char		*cause = NULL;

	two_domains(db);
	accepted(db_user_add_smtp(db, "a@example.com", "example.com", HASH,
	    &cause), cause);
	accepted(db_user_lock(db, "a@example.com", "manual test", 10, "root",
	    &cause), cause);
	refused(db, db_user_lock(db, "a@example.com", NULL, 0, "root", &cause),
	    DB_ECONFLICT, "name", "already locked", cause);
	assert_int_equal(stat_of(db, "locked_users", NULL), 1);
	accepted(db_user_list(db, NULL, NULL, NULL, 1, NULL, NULL, 50, &o,
	    &cause), cause);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
	json_decref(o);
	accepted(db_user_show(db, "a@example.com", &o, &cause), cause);
	assert_string_equal(json_string_value(json_object_get(o,
	    "lock_reason")), "manual test");
	json_decref(o);
	accepted(db_user_unlock(db, "a@example.com", "root", &cause), cause);
	assert_int_equal(stat_of(db, "locked_users", NULL), 0);

	/* Identities: seen first, then locked; unknown ones are named. */
	refused(db, db_identity_lock(db, "a@example.com", "www-data", NULL, 0,
	    "root", &cause), DB_ENOTFOUND, "identity", "www-data", cause);
	refused(db, db_identity_lock(db, "nobody", "www-data", NULL, 0,
	    "root", &cause), DB_ENOTFOUND, "user", "nobody", cause);
	accepted(db_identity_seen(db, "a@example.com", "www-data", 1, &cause),
	    cause);
	accepted(db_identity_seen(db, "a@example.com", "www-data", 0, &cause),
	    cause);
	accepted(db_identity_lock(db, "a@example.com", "www-data", "spam", 0,
	    NULL, &cause), cause);
	assert_int_equal(stat_of(db, "locked_identities", NULL), 1);
	accepted(db_identity_list(db, NULL, NULL, NULL, 1, NULL, 50, &o,
	    &cause), cause);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(o, "items"), 0), "messages")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(o, "items"), 0), "spam")), 1);
	json_decref(o);
	accepted(db_identity_unlock(db, "a@example.com", "www-data", "root",
	    &cause), cause);
	accepted(db_identity_reset(db, "a@example.com", "www-data", &cause),
	    cause);
	accepted(db_identity_list(db, NULL, "a@example.com", NULL, 0, NULL, 50,
	    &o, &cause), cause);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(o, "items"), 0), "messages")), 0);
	json_decref(o);
	assert_int_equal(stat_of(db, "locked_identities", NULL), 0);
}

static void
test_admins(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	json_t		*doms, *o;
	char		*cause = NULL, *hash = NULL, *dump;
	int		 super = -1;
	int64_t		 n;

	two_domains(db);
	accepted(db_admin_add(db, "admin", HASH, 1, NULL, &cause), cause);
	doms = strings("example.com", NULL);
	accepted(db_admin_add(db, "ada", HASH, 0, doms, &cause), cause);
	json_decref(doms);
	doms = strings("example.com", "nosuch.example", NULL);
	refused(db, db_admin_add(db, "adx", HASH, 0, doms, &cause),
	    DB_ENOTFOUND, "domains", "nosuch.example", cause);
	json_decref(doms);
	refused(db, db_admin_add(db, "ady", HASH, 0, NULL, &cause), DB_EINVAL,
	    "domains", "at least one", cause);
	refused(db, db_admin_add(db, "ada", HASH, 1, NULL, &cause),
	    DB_ECONFLICT, "name", "ada", cause);
	accepted(db_admin_count(db, &n, &cause), cause);
	assert_int_equal(n, 2);
	assert_int_equal(db_admin_get(db, "ada", &hash, &super, &doms, &cause),
	    0);
	assert_int_equal(super, 0);
	assert_string_equal(json_string_value(json_array_get(doms, 0)),
	    "example.com");
	free(hash);
	json_decref(doms);
	assert_int_equal(db_admin_get(db, "adx", &hash, &super, &doms, &cause),
	    1);
	accepted(db_admin_list(db, NULL, 50, &o, &cause), cause);
	dump = json_dumps(o, 0);
	assert_null(strstr(dump, "argon2"));
	assert_non_null(strstr(dump, "ada"));
	free(dump);
	json_decref(o);
	accepted(db_admin_passwd(db, "ada", "$argon2id$new", &cause), cause);
	accepted(db_admin_del(db, "ada", &cause), cause);
	assert_int_equal(db_admin_get(db, "ada", &hash, &super, &doms, &cause),
	    1);
}

static const struct {
	const char	*in;
	int64_t		 t;	/* -1: refused */
} time_cases[] = {
	{ "2026-01-01", 1767225600 },
	{ "2026-01-02T12:00", 1767355200 },
	{ "2026-01-02T12:00:30", 1767355230 },
	{ "1767225600", 1767225600 },
	{ "0", 0 },
	{ "yesterday-ish", -1 },
	{ "2026-13-01", -1 },
	{ "2026-01-01T25:00", -1 },
	{ "2026-01-01 12:00", -1 },
	{ "2026-1-1", -1 },
	{ "", -1 },
	{ "-5", -1 },
};

static void
test_time_parse(void **state)
{
	int64_t	t;
	size_t	i;

	for (i = 0; i < sizeof time_cases / sizeof time_cases[0]; i++) {
		if (time_cases[i].t == -1) {
			if (db_time_parse(time_cases[i].in, &t) != -1)
				fail_msg("%s accepted", time_cases[i].in);
		} else {
			if (db_time_parse(time_cases[i].in, &t) != 0)
				fail_msg("%s refused", time_cases[i].in);
			assert_int_equal(t, time_cases[i].t);
		}
	}
}

static void
log_row(struct db *db, int64_t t, const char *user, const char *domain,
    const char *sdomain, const char *sender, const char *rcpt,
    const char *status)
{
	const char		*rcpts[] = { rcpt, "copy@example.org", NULL };
	struct db_logrec	 r = {
		.time = t, .queue_id = "Q1", .user = user, .kind = "smtp",
		.domain = domain, .sending_domain = sdomain,
		.client_ip = "192.0.2.1", .sender = sender, .rcpts = rcpts,
		.subject = "hi", .size = 100, .status = status,
	};
	char			*cause = NULL;
	int64_t			 id;

	accepted(db_log_add(db, &r, &id, &cause), cause);
	assert_true(id > 0);
}

static size_t
search(struct db *db, char *const *scope, struct db_logq *q, json_t **keep)
{
	json_t	*o;
	char	*cause = NULL;
	size_t	 n;

	accepted(db_log_search(db, scope, q, NULL, 50, &o, &cause), cause);
	n = json_array_size(json_object_get(o, "items"));
	if (keep != NULL)
		*keep = o;
	else
		json_decref(o);
	return n;
}

static void
test_log(void **state)
{
	struct db	*db = ((struct fixture *)*state)->db;
	char		*const scope[] = { "b.example", NULL };
	struct db_logq	 q;
	json_t		*o;
	char		*cause = NULL;
	int64_t		 now = (int64_t)time(NULL);

	log_row(db, 1767225600, "relay", "a.example", "b.example",
	    "x@b.example", "r1@example.org", "relayed");
	log_row(db, 1767312000, "u@a.example", "a.example", NULL,
	    "u@a.example", "r2@example.org", "refused");
	log_row(db, now - 60, "u@a.example", "a.example", NULL,
	    "u@a.example", "r1@example.org", "relayed");
	memset(&q, 0, sizeof q);
	assert_int_equal(search(db, NULL, &q, &o), 3);
	/* Newest first. */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(o, "items"), 0), "id")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(o, "items"), 0), "recipients")),
	    "copy@example.org, r1@example.org");
	json_decref(o);
	q.sender = "u@a.example";
	assert_int_equal(search(db, NULL, &q, NULL), 2);
	q.status = "refused";
	assert_int_equal(search(db, NULL, &q, NULL), 1);
	memset(&q, 0, sizeof q);
	q.recipient = "r1@example.org";
	assert_int_equal(search(db, NULL, &q, NULL), 2);
	memset(&q, 0, sizeof q);
	q.domain = "B.example";
	assert_int_equal(search(db, NULL, &q, NULL), 1);
	memset(&q, 0, sizeof q);
	q.since = "2026-01-01";
	q.until = "2026-01-02T12:00";
	assert_int_equal(search(db, NULL, &q, NULL), 2);
	q.until = "2026-01-01T23:59:59";
	assert_int_equal(search(db, NULL, &q, NULL), 1);
	/* A domain admin of b.example sees the row attributed to it only. */
	memset(&q, 0, sizeof q);
	assert_int_equal(search(db, scope, &q, NULL), 1);
	q.domain = "a.example";
	assert_int_equal(search(db, scope, &q, NULL), 1);
	q.sender = "u@a.example";
	assert_int_equal(search(db, scope, &q, NULL), 0);
	memset(&q, 0, sizeof q);
	q.since = "yesterday-ish";
	refused(db, db_log_search(db, NULL, &q, NULL, 50, &o, &cause),
	    DB_EINVAL, "since", "yesterday-ish", cause);
	memset(&q, 0, sizeof q);
	q.status = "no such status";
	refused(db, db_log_search(db, NULL, &q, NULL, 50, &o, &cause),
	    DB_EINVAL, "status", "no such status", cause);
	memset(&q, 0, sizeof q);
	refused(db, db_log_search(db, NULL, &q, "abc", 50, &o, &cause),
	    DB_EINVAL, "after", "abc", cause);
	assert_int_equal(stat_of(db, "log_24h", NULL), 1);
	/* Pages by id: two rows, then the last. */
	accepted(db_log_search(db, NULL, &q, NULL, 2, &o, &cause), cause);
	assert_string_equal(json_string_value(json_object_get(o, "next")), "2");
	json_decref(o);
	accepted(db_log_search(db, NULL, &q, "2", 2, &o, &cause), cause);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
	assert_true(json_is_null(json_object_get(o, "next")));
	json_decref(o);
	accepted(db_quarantine_add(db, 2, "/q/2", 100, "a@example.com", NULL,
	    0, NULL, &cause), cause);
	refused(db, db_archive_add(db, 99, "/a/99", 1, &cause), DB_ENOTFOUND,
	    "log_id", "99", cause);
}

/* The handlers, as a domain admin of a.example calls them. */
struct handler_env {
	struct actor	 actor;
	struct cmd_ctx	 ctx;
	char		*doms[2];
};

static void
handler_env(struct handler_env *e, struct db *db, int super)
{
	memset(e, 0, sizeof *e);
	snprintf(e->actor.name, sizeof e->actor.name, super ? "root" : "ada");
	e->actor.super = super;
	e->doms[0] = "a.example";
	e->actor.domains = super ? NULL : e->doms;
	e->ctx.db = db;
	e->ctx.actor = &e->actor;
}

/* Run a handler in a transaction as the dispatcher does. */
static int
call(struct handler_env *e, cmd_handler *fn, const char *json,
    struct ipc_error *err, json_t **result)
{
	json_t	*args = json_loads(json, 0, NULL), *r = NULL;
	char	*cause = NULL;
	int	 rc;

	assert_non_null(args);
	accepted(db_begin(e->ctx.db, &cause), cause);
	memset(err, 0, sizeof *err);
	if ((rc = fn(&e->ctx, args, &r, err)) == 0)
		accepted(db_commit(e->ctx.db, &cause), cause);
	else
		db_rollback(e->ctx.db);
	json_decref(args);
	if (result != NULL)
		*result = r;
	else
		json_decref(r);
	return rc;
}

static void
handler_refused(int rc, struct ipc_error *err, enum ipc_errcode code,
    const char *needle)
{
	if (rc != -1)
		fail_msg("accepted, wanted %s", ipc_errcode_name(code));
	if (err->code != code || strstr(err->message, needle) == NULL)
		fail_msg("%s \"%s\", wanted %s naming %s",
		    ipc_errcode_name(err->code), err->message,
		    ipc_errcode_name(code), needle);
}

static void
test_handlers_scope(void **state)
{
	struct db		*db = ((struct fixture *)*state)->db;
	struct handler_env	 root, ada;
	struct ipc_error	 err;
	json_t			*r;

	handler_env(&root, db, 1);
	handler_env(&ada, db, 0);
	assert_int_equal(call(&root, cmd_domain_add, "{\"domain\":\"a.example\"}",
	    &err, NULL), 0);
	assert_int_equal(call(&root, cmd_domain_add, "{\"domain\":\"b.example\"}",
	    &err, NULL), 0);
	assert_int_equal(call(&root, cmd_user_add_ip, "{\"name\":\"bhost\","
	    "\"domain\":\"b.example\",\"ip\":[\"198.51.100.0/24\"]}", &err,
	    NULL), 0);
	assert_int_equal(call(&ada, cmd_domain_list, "{}", &err, &r), 0);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
	json_decref(r);
	handler_refused(call(&ada, cmd_user_show, "{\"name\":\"bhost\"}", &err,
	    NULL), &err, IPC_E_NOT_FOUND, "bhost");
	handler_refused(call(&ada, cmd_user_lock, "{\"name\":\"bhost\"}", &err,
	    NULL), &err, IPC_E_NOT_FOUND, "not found");
	handler_refused(call(&ada, cmd_domain_show,
	    "{\"domain\":\"b.example\"}", &err, NULL), &err, IPC_E_NOT_FOUND,
	    "not found");
	handler_refused(call(&ada, cmd_user_add_ip, "{\"name\":\"evil\","
	    "\"domain\":\"b.example\",\"ip\":[\"203.0.113.9\"]}", &err, NULL),
	    &err, IPC_E_NOT_FOUND, "b.example");
	/* An overlap with another domain's range: refused, owner unnamed. */
	handler_refused(call(&ada, cmd_user_add_ip, "{\"name\":\"ahost\","
	    "\"domain\":\"a.example\",\"ip\":[\"198.51.100.5\"]}", &err, NULL),
	    &err, IPC_E_CONFLICT, "in use");
	assert_null(strstr(err.message, "bhost"));
	assert_null(strstr(err.message, "b.example"));
	assert_false(user_exists(db, "ahost"));
	/* The super-admin is told who owns it. */
	handler_refused(call(&root, cmd_user_add_ip, "{\"name\":\"ahost\","
	    "\"domain\":\"a.example\",\"ip\":[\"198.51.100.5\"]}", &err, NULL),
	    &err, IPC_E_CONFLICT, "bhost (b.example)");
	assert_int_equal(call(&ada, cmd_log_search,
	    "{\"domain\":\"b.example\"}", &err, &r), 0);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
	json_decref(r);
	handler_refused(call(&ada, cmd_admin_passwd, "{\"name\":\"admin\","
	    "\"password\":\"long enough\"}", &err, NULL), &err, IPC_E_DENIED,
	    "own password");
	handler_refused(call(&root, cmd_user_passwd, "{\"name\":\"bhost\","
	    "\"password\":\"long enough\"}", &err, NULL), &err, IPC_E_INVALID,
	    "no password");
	handler_refused(call(&root, cmd_user_add_smtp, "{\"name\":\"b@b.example\","
	    "\"domain\":\"b.example\",\"password\":\"short\"}", &err, NULL),
	    &err, IPC_E_INVALID, "too short");
	assert_string_equal(err.field, "password");
	handler_refused(call(&root, cmd_user_set, "{\"name\":\"bhost\","
	    "\"settings\":{\"no.such.setting\":\"1\"}}", &err, NULL), &err,
	    IPC_E_INVALID, "no.such.setting");
	assert_string_equal(err.field, "no.such.setting");
	handler_refused(call(&root, cmd_user_list, "{\"limit\":1001}", &err,
	    NULL), &err, IPC_E_INVALID, "1000");
	assert_int_equal(call(&root, cmd_status, "{}", &err, &r), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r,
	    "users"), "ip")), 1);
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_one_owner, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ip_ranges_atomic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_authdomain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smtp_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_user_no_password, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pagination, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admins, setup, teardown),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test_setup_teardown(test_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handlers_scope, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
