/*
 * Admin accounts: a super-admin sees everything, a domain admin only the
 * domains listed for it.  Hashes go in and, through db_admin_get only,
 * out to the login check; lists never show them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define ADMIN_NAME_MAX	64

static int
admin_name_check(struct db *db, const char *name, char **cause)
{
	const char	*p;

	if (*name == '\0' || strlen(name) > ADMIN_NAME_MAX || *name == '-')
		goto bad;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("._@-", *p) == NULL)
			goto bad;
	}
	return 0;
bad:
	return db_fail(db, cause, DB_EINVAL, "name", "\"%.200s\" is not a "
	    "valid admin name (letters, digits and . _ @ -, up to %d)", name,
	    ADMIN_NAME_MAX);
}

static int
admin_id(struct db *db, const char *name, int64_t *id, char **cause)
{
	static const char	 sql[] = "SELECT id FROM admins WHERE name = :name";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "name",
		    "admin %s not found", name);
	return rc == 1 ? 0 : -1;
}

int
db_admin_get(struct db *db, const char *name, char **hash, int *super,
    json_t **domains, char **cause)
{
	static const char	 sql[] = "SELECT a.hash, a.super, (SELECT"
	    " json_group_array(d.name) FROM admin_domains ad JOIN domains d"
	    " ON d.id = ad.domain_id WHERE ad.admin_id = a.id)"
	    " FROM admins a WHERE a.name = :name";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*hash = db_strdup_col(st, 0);
		*super = sqlite3_column_int(st, 1);
		*domains = json_loads((const char *)sqlite3_column_text(st, 2),
		    0, NULL);
	}
	sqlite3_reset(st);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

static int
admin_domain_add(struct db *db, int64_t admin, json_t *domain, char **cause)
{
	static const char	 sql[] = "INSERT OR IGNORE INTO admin_domains"
	    " (admin_id, domain_id) VALUES (:a, :d)";
	sqlite3_stmt		*st;
	int64_t			 did;

	if (!json_is_string(domain))
		return db_fail(db, cause, DB_EINVAL, "domains",
		    "domains must be given as text");
	if (db_domain_id(db, json_string_value(domain), &did, cause) == -1) {
		snprintf(db->errfield, sizeof db->errfield, "domains");
		return -1;
	}
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":a", admin);
	db_bind_int(st, ":d", did);
	return db_step_done(db, st, cause);
}

static int
admin_insert(struct db *db, const char *name, const char *hash, int super,
    int64_t *id, char **cause)
{
	static const char	 sql[] = "INSERT INTO admins (name, hash, super,"
	    " created) VALUES (:name, :hash, :super, :now)";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	db_bind_text(st, ":hash", hash);
	db_bind_int(st, ":super", super != 0);
	db_bind_int(st, ":now", db_now());
	if (db_step_done(db, st, cause) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

/* A domain admin manages at least one domain; a super-admin all of them. */
static int
admin_domains_check(struct db *db, int super, json_t *domains, char **cause)
{
	size_t	n = json_is_array(domains) ? json_array_size(domains) : 0;

	if (super && n > 0)
		return db_fail(db, cause, DB_EINVAL, "domains", "a super-admin "
		    "manages every domain: give no domains");
	if (!super && n == 0)
		return db_fail(db, cause, DB_EINVAL, "domains", "a domain admin "
		    "needs at least one domain");
	return 0;
}

int
db_admin_add(struct db *db, const char *name, const char *hash, int super,
    json_t *domains, char **cause)
{
	json_t	*v;
	size_t	 i;
	int64_t	 id;
	int	 rc;

	if (admin_name_check(db, name, cause) == -1 ||
	    admin_domains_check(db, super, domains, cause) == -1)
		return -1;
	if (hash == NULL || *hash == '\0')
		return db_fail(db, cause, DB_EINVAL, "password",
		    "a password is needed");
	if (admin_id(db, name, &id, cause) == 0)
		return db_fail(db, cause, DB_ECONFLICT, "name",
		    "admin %s already exists", name);
	if (db_errkind(db) != DB_ENOTFOUND)
		return -1;
	free(*cause);
	*cause = NULL;
	if (db_sp_begin(db, cause) == -1)
		return -1;
	rc = admin_insert(db, name, hash, super, &id, cause);
	json_array_foreach(domains, i, v) {
		if (rc == -1)
			break;
		rc = admin_domain_add(db, id, v, cause);
	}
	return db_sp_end(db, rc, cause);
}

int
db_admin_count(struct db *db, int64_t *count, char **cause)
{
	static const char	 sql[] = "SELECT count(*) FROM admins";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	if ((rc = db_step_row(db, st, cause)) == 1)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == 1 ? 0 : -1;
}

int
db_admin_list(struct db *db, const char *after, int limit, json_t **out,
    char **cause)
{
	static const char	 sql[] = "SELECT a.name AS name,"
	    " CASE WHEN a.super THEN 'super' ELSE 'domain' END AS role,"
	    " coalesce((SELECT group_concat(n, ', ') FROM (SELECT d.name AS n"
	    "  FROM admin_domains ad JOIN domains d ON d.id = ad.domain_id"
	    "  WHERE ad.admin_id = a.id ORDER BY d.name)), '') AS domains,"
	    " a.created AS \"created@\" FROM admins a"
	    " WHERE a.name > :after ORDER BY a.name LIMIT :limit";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":after", after != NULL ? after : "");
	return db_list_run(db, st, limit, "name", out, cause);
}

int
db_admin_del(struct db *db, const char *name, char **cause)
{
	static const char	 sql[] = "DELETE FROM admins WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;

	if (admin_id(db, name, &id, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	return db_step_done(db, st, cause);
}

int
db_admin_passwd(struct db *db, const char *name, const char *hash,
    char **cause)
{
	static const char	 sql[] = "UPDATE admins SET hash = :hash"
	    " WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;

	if (admin_id(db, name, &id, cause) == -1)
		return -1;
	if (hash == NULL || *hash == '\0')
		return db_fail(db, cause, DB_EINVAL, "password",
		    "a password is needed");
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":hash", hash);
	db_bind_int(st, ":id", id);
	return db_step_done(db, st, cause);
}
