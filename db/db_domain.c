/* Domains: the outgoing filter is off until a super-admin turns it on. */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

int
db_domain_id(struct db *db, const char *name, int64_t *id, char **cause)
{
	static const char	 sql[] = "SELECT id FROM domains WHERE name = :name";
	sqlite3_stmt		*st;
	char			*norm;
	int			 rc;

	if ((norm = db_domain_normalize(name, cause)) == NULL)
		return db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
	if ((st = db_prep(db, sql, cause)) == NULL) {
		free(norm);
		return -1;
	}
	db_bind_text(st, ":name", norm);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == 0)
		db_fail(db, cause, DB_ENOTFOUND, "domain",
		    "domain %s not found", norm);
	free(norm);
	return rc == 1 ? 0 : -1;
}

/* A contact is an e-mail address, or empty for none. */
static char *
domain_contact(struct db *db, const char *contact, char **cause)
{
	char	*norm;

	if (contact == NULL || *contact == '\0')
		return strdup("");
	if ((norm = db_email_normalize(contact, NULL, cause)) == NULL)
		db_fail(db, NULL, DB_EINVAL, "admin_contact", "%s", "");
	return norm;
}

static int
domain_insert(struct db *db, const char *name, const char *contact,
    char **cause)
{
	static const char	 sql[] = "INSERT INTO domains (name, admin_contact,"
	    " created) VALUES (:name, :contact, :now)";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	db_bind_text(st, ":contact", contact);
	db_bind_int(st, ":now", db_now());
	return db_step_done(db, st, cause);
}

int
db_domain_add(struct db *db, const char *name, const char *admin_contact,
    char **cause)
{
	char	*norm, *contact = NULL;
	int64_t	 id;
	int	 rc = -1;

	if ((norm = db_domain_normalize(name, cause)) == NULL)
		return db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
	if ((contact = domain_contact(db, admin_contact, cause)) == NULL)
		goto out;
	if (db_domain_id(db, norm, &id, cause) == 0) {
		db_fail(db, cause, DB_ECONFLICT, "domain",
		    "domain %s already exists", norm);
		goto out;
	}
	if (db_errkind(db) != DB_ENOTFOUND)
		goto out;
	free(*cause);
	*cause = NULL;
	rc = domain_insert(db, norm, contact, cause);
out:
	free(norm);
	free(contact);
	return rc;
}

#define DOMAIN_COLUMNS \
	"SELECT d.name AS domain, d.active AS \"active?\"," \
	" d.admin_contact AS admin_contact," \
	" (SELECT count(*) FROM users u WHERE u.domain_id = d.id) AS users," \
	" d.created AS \"created@\" FROM domains d "

int
db_domain_list(struct db *db, char *const *scope, int active_only,
    const char *after, int limit, json_t **out, char **cause)
{
	static const char	 sql[] = DOMAIN_COLUMNS
	    "WHERE d.name > :after AND (:active = 0 OR d.active = 1)"
	    " AND (:scope IS NULL OR d.name IN"
	    "  (SELECT value FROM json_each(:scope)))"
	    " ORDER BY d.name LIMIT :limit";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":after", after != NULL ? after : "");
	db_bind_int(st, ":active", active_only != 0);
	db_bind_scope(st, ":scope", scope);
	return db_list_run(db, st, limit, "domain", out, cause);
}

int
db_domain_show(struct db *db, const char *name, json_t **out, char **cause)
{
	static const char	 sql[] = DOMAIN_COLUMNS "WHERE d.id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;
	int			 rc;

	if (db_domain_id(db, name, &id, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*out = db_row_object(st);
	sqlite3_reset(st);
	return rc == 1 ? 0 : -1;
}

int
db_domain_set_contact(struct db *db, const char *name,
    const char *admin_contact, char **cause)
{
	static const char	 sql[] = "UPDATE domains SET admin_contact ="
	    " :contact WHERE id = :id";
	sqlite3_stmt		*st;
	char			*contact;
	int64_t			 id;
	int			 rc = -1;

	if (db_domain_id(db, name, &id, cause) == -1)
		return -1;
	if ((contact = domain_contact(db, admin_contact, cause)) == NULL)
		return -1;
	if ((st = db_prep(db, sql, cause)) != NULL) {
		db_bind_text(st, ":contact", contact);
		db_bind_int(st, ":id", id);
		rc = db_step_done(db, st, cause);
	}
	free(contact);
	return rc;
}

int
db_domain_set_active(struct db *db, const char *name, int active,
    char **cause)
{
	static const char	 sql[] = "UPDATE domains SET active = :active"
	    " WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;

	if (db_domain_id(db, name, &id, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":active", active != 0);
	db_bind_int(st, ":id", id);
	return db_step_done(db, st, cause);
}

/* The domain's log rows go too: a later owner of the name must not see them. */
int
db_domain_del(struct db *db, const char *name, char **cause)
{
	static const char	 dlog[] = "DELETE FROM log WHERE domain ="
	    " (SELECT name FROM domains WHERE id = :id)";
	static const char	 ddom[] = "DELETE FROM domains WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;
	int			 rc = -1;

	if (db_domain_id(db, name, &id, cause) == -1 ||
	    db_sp_begin(db, cause) == -1)
		return -1;
	if ((st = db_prep(db, dlog, cause)) != NULL) {
		db_bind_int(st, ":id", id);
		rc = db_step_done(db, st, cause);
	}
	if (rc == 0 && (st = db_prep(db, ddom, cause)) != NULL) {
		db_bind_int(st, ":id", id);
		rc = db_step_done(db, st, cause);
	} else
		rc = -1;
	return db_sp_end(db, rc, cause);
}
