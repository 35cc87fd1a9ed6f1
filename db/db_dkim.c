/* DKIM signing keys per domain and selector, and newly registered domains. */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

int
db_dkim_add(struct db *db, const char *domain, const char *selector,
    const char *algorithm, const char *pem, char **cause)
{
	static const char	 sql[] = "INSERT INTO dkim_keys (domain_id,"
	    " selector, algorithm, private_key, created) VALUES (:d, :s, :a,"
	    " :pem, :now)";
	sqlite3_stmt		*st;
	int64_t			 did;
	int			 rc;

	if (db_domain_id(db, domain, &did, cause) == -1)
		return -1;
	if (algorithm == NULL || (strcmp(algorithm, "rsa-sha256") != 0 &&
	    strcmp(algorithm, "ed25519-sha256") != 0))
		return db_fail(db, cause, DB_EINVAL, "algorithm", "a DKIM key "
		    "is rsa-sha256 or ed25519-sha256");
	if (selector == NULL || *selector == '\0' || pem == NULL)
		return db_fail(db, cause, DB_EINVAL, "selector", "a DKIM key "
		    "needs a selector and its key");
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":d", did);
	db_bind_text(st, ":s", selector);
	db_bind_text(st, ":a", algorithm);
	db_bind_text(st, ":pem", pem);
	db_bind_int(st, ":now", db_now());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return db_fail(db, cause, DB_ECONFLICT, "selector", "%s "
		    "already has a key for selector %s", domain, selector);
	return rc == SQLITE_DONE ? 0 : db_fail_sql(db, cause);
}

int
db_dkim_get(struct db *db, const char *domain, const char *selector,
    char **algorithm, char **pem, char **cause)
{
	static const char	 sql[] = "SELECT k.algorithm, k.private_key"
	    " FROM dkim_keys k JOIN domains d ON d.id = k.domain_id"
	    " WHERE d.name = :d AND k.selector = :s";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":d", domain);
	db_bind_text(st, ":s", selector);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*algorithm = db_strdup_col(st, 0);
		*pem = db_strdup_col(st, 1);
	}
	sqlite3_reset(st);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

int
db_newdomain_put(struct db *db, const char *domain, int64_t registered_at,
    const char *source, char **cause)
{
	static const char	 sql[] = "INSERT INTO new_domains (domain,"
	    " registered_at, source, imported_at) VALUES (:d, :r, :s, :now)"
	    " ON CONFLICT DO UPDATE SET registered_at = excluded.registered_at,"
	    " source = excluded.source, imported_at = excluded.imported_at";
	sqlite3_stmt		*st;
	char			*dom;
	int			 rc = -1;

	if ((dom = db_domain_normalize(domain, cause)) == NULL)
		return db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
	if ((st = db_prep(db, sql, cause)) != NULL) {
		db_bind_text(st, ":d", dom);
		db_bind_int(st, ":r", registered_at);
		db_bind_text(st, ":s", source != NULL ? source : "");
		db_bind_int(st, ":now", db_now());
		rc = db_step_done(db, st, cause);
	}
	free(dom);
	return rc;
}

int
db_newdomain_get(struct db *db, const char *domain, int64_t *registered_at,
    char **cause)
{
	static const char	 sql[] = "SELECT registered_at FROM new_domains"
	    " WHERE domain = :d";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":d", domain);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*registered_at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}
