/*
 * Outgoing users of the three kinds, their address ranges, settings and
 * locks.  The rules kept here:
 *  - an address belongs to at most one user (ranges never overlap, IPv4
 *    stored IPv4-mapped so both spellings are one address);
 *  - an SMTP AUTH user's name is an e-mail address whose domain part is
 *    the user's domain or a subdomain of it: a login then says which
 *    customer it belongs to, and nobody makes logins in another's name;
 *  - the authenticating domain is named as its domain, one per domain;
 *  - IP users have no password;
 *  - user names are unique across all kinds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "cidr.h"
#include "ipc.h"

#define USER_NAME_MAX	128

static void
user_field(struct db *db, const char *field)
{
	snprintf(db->errfield, sizeof db->errfield, "%s", field);
}

int
db_user_id(struct db *db, const char *name, int64_t *id, char **kind,
    char **cause)
{
	static const char	 sql[] = "SELECT id, kind FROM users"
	    " WHERE name = :name";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*id = sqlite3_column_int64(st, 0);
		if (kind != NULL)
			*kind = db_strdup_col(st, 1);
	}
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "name",
		    "user %s not found", name);
	return rc == 1 ? 0 : -1;
}

int
db_user_domain(struct db *db, const char *name, char **domain, char **cause)
{
	static const char	 sql[] = "SELECT d.name FROM users u JOIN"
	    " domains d ON d.id = u.domain_id WHERE u.name = :name";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*domain = db_strdup_col(st, 0);
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "name",
		    "user %s not found", name);
	return rc == 1 ? 0 : -1;
}

/* Refuse a name some user has already; it may be of another domain. */
static int
user_name_free(struct db *db, const char *name, char **cause)
{
	char	*domain = NULL;

	if (db_user_domain(db, name, &domain, cause) == -1) {
		if (db_errkind(db) != DB_ENOTFOUND)
			return -1;
		free(*cause);
		*cause = NULL;
		return 0;
	}
	db_fail(db, cause, DB_ECONFLICT, "name", "user %s already exists "
	    "(%s)", name, domain);
	db_fail_owner(db, domain, "the name %s is already taken", name);
	free(domain);
	return -1;
}

/* Names of IP users are labels: printable, no blanks. */
static int
user_name_check(struct db *db, const char *name, char **cause)
{
	const unsigned char	*p;

	if (name == NULL || *name == '\0' || strlen(name) > USER_NAME_MAX)
		goto bad;
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f)
			goto bad;
	}
	return 0;
bad:
	return db_fail(db, cause, DB_EINVAL, "name", "\"%.200s\" is not a "
	    "valid user name (1 to %d characters, no blanks)",
	    name != NULL ? name : "", USER_NAME_MAX);
}

static int
user_insert(struct db *db, const char *name, const char *kind,
    int64_t domain_id, const char *hash, int64_t *id, char **cause)
{
	static const char	 sql[] = "INSERT INTO users (name, kind,"
	    " domain_id, password, created) VALUES (:name, :kind, :domain,"
	    " :hash, :now)";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	db_bind_text(st, ":kind", kind);
	db_bind_int(st, ":domain", domain_id);
	db_bind_text(st, ":hash", hash);
	db_bind_int(st, ":now", db_now());
	if (db_step_done(db, st, cause) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

/*
 * Refuse a range overlapping a stored one.  Stored ranges are disjoint,
 * so only the one starting last at or before c's end can overlap it.
 */
static int
user_ip_free(struct db *db, const struct cidr *c, char **cause)
{
	static const char	 sql[] = "SELECT ui.cidr, u.name, d.name"
	    " FROM user_ips ui JOIN users u ON u.id = ui.user_id"
	    " JOIN domains d ON d.id = u.domain_id"
	    " WHERE ui.lo <= :hi AND ui.hi >= :lo"
	    " AND ui.lo = (SELECT max(lo) FROM user_ips WHERE lo <= :hi)";
	sqlite3_stmt		*st;
	char			 text[CIDR_TEXT_MAX];
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_blob(st, ":lo", c->lo, 16);
	db_bind_blob(st, ":hi", c->hi, 16);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		cidr_format(c, text, sizeof text);
		db_fail(db, cause, DB_ECONFLICT, "ip", "%s overlaps %s of "
		    "user %s (%s)", text, sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
		db_fail_owner(db, (const char *)sqlite3_column_text(st, 2),
		    "%s overlaps a range in use by another domain", text);
	}
	sqlite3_reset(st);
	return rc == 0 ? 0 : -1;
}

static int
user_ip_insert(struct db *db, int64_t user_id, const char *text,
    char **cause)
{
	static const char	 sql[] = "INSERT INTO user_ips (user_id, cidr,"
	    " lo, hi) VALUES (:user, :cidr, :lo, :hi)";
	sqlite3_stmt		*st;
	struct cidr		 c;
	char			 err[256], norm[CIDR_TEXT_MAX];

	if (cidr_parse(text, &c, err, sizeof err) == -1)
		return db_fail(db, cause, DB_EINVAL, "ip", "%s", err);
	if (user_ip_free(db, &c, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	cidr_format(&c, norm, sizeof norm);
	db_bind_int(st, ":user", user_id);
	db_bind_text(st, ":cidr", norm);
	db_bind_blob(st, ":lo", c.lo, 16);
	db_bind_blob(st, ":hi", c.hi, 16);
	return db_step_done(db, st, cause);
}

static int
user_add_ip_ranges(struct db *db, int64_t id, json_t *cidrs, char **cause)
{
	json_t	*v;
	size_t	 i;

	if (!json_is_array(cidrs) || json_array_size(cidrs) == 0)
		return db_fail(db, cause, DB_EINVAL, "ip",
		    "an IP user needs at least one address or range");
	json_array_foreach(cidrs, i, v) {
		if (!json_is_string(v))
			return db_fail(db, cause, DB_EINVAL, "ip",
			    "addresses must be given as text");
		if (user_ip_insert(db, id, json_string_value(v), cause) == -1)
			return -1;
	}
	return 0;
}

int
db_user_add_ip(struct db *db, const char *name, const char *domain,
    json_t *cidrs, char **cause)
{
	int64_t	did, id;
	int	rc = -1;

	if (user_name_check(db, name, cause) == -1 ||
	    db_domain_id(db, domain, &did, cause) == -1 ||
	    user_name_free(db, name, cause) == -1 ||
	    db_sp_begin(db, cause) == -1)
		return -1;
	if (user_insert(db, name, "ip", did, NULL, &id, cause) == 0)
		rc = user_add_ip_ranges(db, id, cidrs, cause);
	return db_sp_end(db, rc, cause);
}

/* dom is the domain part of an SMTP login: the user's domain or below it. */
static int
user_smtp_domain_ok(const char *dom, const char *domain)
{
	size_t	n = strlen(dom), m = strlen(domain);

	if (strcmp(dom, domain) == 0)
		return 1;
	return n > m && dom[n - m - 1] == '.' && strcmp(dom + n - m,
	    domain) == 0;
}

static int
user_hash_check(struct db *db, const char *hash, char **cause)
{
	if (hash == NULL || *hash == '\0')
		return db_fail(db, cause, DB_EINVAL, "password",
		    "a password is needed");
	return 0;
}

int
db_user_add_smtp(struct db *db, const char *name, const char *domain,
    const char *hash, char **cause)
{
	char	*login, *part = NULL, *dom = NULL;
	int64_t	 did, id;
	int	 rc = -1;

	if ((login = db_email_normalize(name, &part, cause)) == NULL)
		return db_fail(db, NULL, DB_EINVAL, "name", "%s", "");
	if ((dom = db_domain_normalize(domain, cause)) == NULL) {
		db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
		goto out;
	}
	if (db_domain_id(db, dom, &did, cause) == -1 ||
	    user_hash_check(db, hash, cause) == -1)
		goto out;
	if (!user_smtp_domain_ok(part, dom)) {
		db_fail(db, cause, DB_EINVAL, "name", "the SMTP login %s must "
		    "be an e-mail address of %s or of a subdomain", login, dom);
		goto out;
	}
	if (user_name_free(db, login, cause) == 0)
		rc = user_insert(db, login, "smtp", did, hash, &id, cause);
out:
	free(login);
	free(part);
	free(dom);
	return rc;
}

static int
user_authdomain_free(struct db *db, int64_t did, const char *dom,
    char **cause)
{
	static const char	 sql[] = "SELECT 1 FROM users WHERE"
	    " domain_id = :d AND kind = 'domain'";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":d", did);
	rc = db_step_row(db, st, cause);
	sqlite3_reset(st);
	if (rc == 1)
		return db_fail(db, cause, DB_ECONFLICT, "name",
		    "%s already has its authenticating domain", dom);
	return rc;
}

int
db_user_add_domain(struct db *db, const char *domain, const char *hash,
    char **cause)
{
	char	*dom;
	int64_t	 did, id;
	int	 rc = -1;

	if ((dom = db_domain_normalize(domain, cause)) == NULL)
		return db_fail(db, NULL, DB_EINVAL, "name", "%s", "");
	if (db_domain_id(db, dom, &did, cause) == -1) {
		user_field(db, "name");
		goto out;
	}
	if (user_hash_check(db, hash, cause) == 0 &&
	    user_authdomain_free(db, did, dom, cause) == 0 &&
	    user_name_free(db, dom, cause) == 0)
		rc = user_insert(db, dom, "domain", did, hash, &id, cause);
out:
	free(dom);
	return rc;
}

#define USER_COLUMNS \
	"SELECT u.name AS name, u.kind AS kind, d.name AS domain," \
	" u.locked AS \"locked?\"," \
	" coalesce((SELECT group_concat(cidr, ', ') FROM user_ips ui" \
	"  WHERE ui.user_id = u.id), '') AS ips" \
	" FROM users u JOIN domains d ON d.id = u.domain_id WHERE "
#define USER_FILTERS \
	" u.name > :after AND (:kind IS NULL OR u.kind = :kind)" \
	" AND (:locked = 0 OR u.locked = 1)" \
	" AND (:search IS NULL OR instr(u.name, :search) > 0)" \
	" ORDER BY u.name LIMIT :limit"

/* All users in name order, or those of listed domains (by their index). */
static const char user_list_all[] = USER_COLUMNS USER_FILTERS;
static const char user_list_doms[] = USER_COLUMNS
	"u.domain_id IN (SELECT id FROM domains WHERE name IN"
	" (SELECT value FROM json_each(:doms))) AND" USER_FILTERS;

static int
user_kind_check(struct db *db, const char *kind, char **cause)
{
	if (kind == NULL || strcmp(kind, "ip") == 0 ||
	    strcmp(kind, "smtp") == 0 || strcmp(kind, "domain") == 0)
		return 0;
	return db_fail(db, cause, DB_EINVAL, "kind", "\"%s\" is not a kind "
	    "of user: ip, smtp or domain", kind);
}

int
db_user_list(struct db *db, char *const *scope, const char *domain,
    const char *kind, int locked_only, const char *search,
    const char *after, int limit, json_t **out, char **cause)
{
	sqlite3_stmt	*st;
	char		*dom = NULL, *one[2] = { NULL, NULL };
	int64_t		 did;

	if (user_kind_check(db, kind, cause) == -1)
		return -1;
	if (domain != NULL) {
		if (db_domain_id(db, domain, &did, cause) == -1)
			return -1;
		dom = db_domain_normalize(domain, cause);
		one[0] = dom;
		scope = one;
	}
	st = db_prep(db, scope != NULL ? user_list_doms : user_list_all,
	    cause);
	if (st != NULL) {
		if (scope != NULL)
			db_bind_scope(st, ":doms", scope);
		db_bind_text(st, ":after", after != NULL ? after : "");
		db_bind_text(st, ":kind", kind);
		db_bind_int(st, ":locked", locked_only != 0);
		db_bind_text(st, ":search", search);
	}
	free(dom);
	if (st == NULL)
		return -1;
	return db_list_run(db, st, limit, "name", out, cause);
}

static json_t *
user_setting_json(const struct ipc_uset *u, const char *v)
{
	json_t	*j;

	if (u->type == US_INT)
		return json_integer(strtoll(v, NULL, 10));
	if (u->type == US_LIST && (j = json_loads(v, JSON_DECODE_ANY,
	    NULL)) != NULL)
		return j;
	return json_string(v);
}

/* Every setting in usersettings.def's order: stored value or default. */
static int
user_show_settings(struct db *db, int64_t id, json_t *o, char **cause)
{
	static const char	 sql[] = "SELECT key, value FROM user_settings"
	    " WHERE user_id = :id";
	sqlite3_stmt		*st;
	json_t			*stored, *set, *v;
	size_t			 i;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	stored = json_object();
	db_bind_int(st, ":id", id);
	while ((rc = db_step_row(db, st, cause)) == 1)
		json_object_set_new(stored, (const char *)sqlite3_column_text(st,
		    0), json_string((const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	set = json_object();
	for (i = 0; i < ipc_nusets; i++) {
		v = json_object_get(stored, ipc_usets[i].key);
		json_object_set_new(set, ipc_usets[i].key, user_setting_json(
		    &ipc_usets[i], v != NULL ? json_string_value(v) :
		    ipc_usets[i].def));
	}
	json_decref(stored);
	json_object_set_new(o, "settings", set);
	return rc;
}

static int
user_show_ips(struct db *db, int64_t id, json_t *o, char **cause)
{
	static const char	 sql[] = "SELECT cidr FROM user_ips"
	    " WHERE user_id = :id ORDER BY lo";
	sqlite3_stmt		*st;
	json_t			*a;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	a = json_array();
	db_bind_int(st, ":id", id);
	while ((rc = db_step_row(db, st, cause)) == 1)
		json_array_append_new(a, json_string((const char *)
		    sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	json_object_set_new(o, "ips", a);
	return rc;
}

int
db_user_show(struct db *db, const char *name, json_t **out, char **cause)
{
	static const char	 sql[] = "SELECT u.name AS name, u.kind AS kind,"
	    " d.name AS domain, u.locked AS \"locked?\","
	    " u.locked_at AS \"locked_at@\", u.lock_until AS \"lock_until@\","
	    " u.lock_reason AS lock_reason, u.auto_unlocks AS auto_unlocks,"
	    " (SELECT count(*) FROM identities i WHERE i.user_id = u.id)"
	    "  AS identities, u.created AS \"created@\", u.version AS version"
	    " FROM users u JOIN domains d ON d.id = u.domain_id"
	    " WHERE u.id = :id";
	sqlite3_stmt		*st;
	json_t			*o = NULL;
	int64_t			 id;
	int			 rc;

	if (db_user_id(db, name, &id, NULL, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	if ((rc = db_step_row(db, st, cause)) == 1)
		o = db_row_object(st);
	sqlite3_reset(st);
	if (o == NULL || user_show_ips(db, id, o, cause) == -1 ||
	    user_show_settings(db, id, o, cause) == -1) {
		json_decref(o);
		return rc == 0 ? db_fail(db, cause, DB_EINTERNAL, "",
		    "user %s vanished", name) : -1;
	}
	*out = o;
	return 0;
}

int
db_user_del(struct db *db, const char *name, char **cause)
{
	static const char	 sql[] = "DELETE FROM users WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;

	if (db_user_id(db, name, &id, NULL, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	return db_step_done(db, st, cause);
}

int
db_user_passwd(struct db *db, const char *name, const char *hash,
    char **cause)
{
	static const char	 sql[] = "UPDATE users SET password = :hash"
	    " WHERE id = :id";
	sqlite3_stmt		*st;
	char			*kind = NULL;
	int64_t			 id;
	int			 rc = -1;

	if (db_user_id(db, name, &id, &kind, cause) == -1)
		return -1;
	if (strcmp(kind, "ip") == 0)
		db_fail(db, cause, DB_EINVAL, "name", "%s is an IP user: IP "
		    "users have no password, their address identifies them",
		    name);
	else if (user_hash_check(db, hash, cause) == 0 &&
	    (st = db_prep(db, sql, cause)) != NULL) {
		db_bind_text(st, ":hash", hash);
		db_bind_int(st, ":id", id);
		rc = db_step_done(db, st, cause);
	}
	free(kind);
	return rc;
}

int
db_user_auth(struct db *db, const char *name, char **hash, char **domain,
    char **cause)
{
	static const char	 sql[] = "SELECT u.password, d.name FROM users u"
	    " JOIN domains d ON d.id = u.domain_id WHERE u.name = :name"
	    " AND u.kind IN ('smtp', 'domain')";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*hash = db_strdup_col(st, 0);
		*domain = db_strdup_col(st, 1);
	}
	sqlite3_reset(st);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

int
db_ip_owner(struct db *db, const uint8_t addr[16], char **user,
    char **domain, char **cause)
{
	static const char	 sql[] = "SELECT u.name, d.name FROM user_ips ui"
	    " JOIN users u ON u.id = ui.user_id"
	    " JOIN domains d ON d.id = u.domain_id"
	    " WHERE ui.lo = (SELECT max(lo) FROM user_ips WHERE lo <= :a)"
	    " AND ui.hi >= :a";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_blob(st, ":a", addr, 16);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*user = db_strdup_col(st, 0);
		*domain = db_strdup_col(st, 1);
	}
	sqlite3_reset(st);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

int
db_user_ip_add(struct db *db, const char *name, const char *cidr,
    char **cause)
{
	char	*kind = NULL;
	int64_t	 id;
	int	 rc = -1;

	if (db_user_id(db, name, &id, &kind, cause) == -1)
		return -1;
	if (strcmp(kind, "ip") != 0)
		db_fail(db, cause, DB_EINVAL, "name", "%s is not an IP user: "
		    "it logs in with a password", name);
	else
		rc = user_ip_insert(db, id, cidr, cause);
	free(kind);
	return rc;
}

/* The range as stored, and how many the user has. */
static int
user_ip_find(struct db *db, int64_t id, const struct cidr *c, int64_t *row,
    int64_t *count, char **cause)
{
	static const char	 sql[] = "SELECT (SELECT id FROM user_ips"
	    " WHERE user_id = :u AND lo = :lo AND hi = :hi),"
	    " (SELECT count(*) FROM user_ips WHERE user_id = :u)";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", id);
	db_bind_blob(st, ":lo", c->lo, 16);
	db_bind_blob(st, ":hi", c->hi, 16);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*row = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 :
		    sqlite3_column_int64(st, 0);
		*count = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == 1 ? 0 : -1;
}

int
db_user_ip_del(struct db *db, const char *name, const char *cidr,
    char **cause)
{
	static const char	 sql[] = "DELETE FROM user_ips WHERE id = :id";
	sqlite3_stmt		*st;
	struct cidr		 c;
	char			 err[256];
	int64_t			 id, row, count;

	if (db_user_id(db, name, &id, NULL, cause) == -1)
		return -1;
	if (cidr_parse(cidr, &c, err, sizeof err) == -1)
		return db_fail(db, cause, DB_EINVAL, "ip", "%s", err);
	if (user_ip_find(db, id, &c, &row, &count, cause) == -1)
		return -1;
	if (row == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "ip", "user %s has no "
		    "range %s", name, cidr);
	if (count == 1)
		return db_fail(db, cause, DB_ECONFLICT, "ip", "%s is the last "
		    "range of %s: delete the user instead", cidr, name);
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", row);
	return db_step_done(db, st, cause);
}
