/* DKIM signing keys per domain and selector, and newly registered domains. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define SELECTOR_MAX	63	/* a selector of several labels, all told */
#define DKIM_NAME_MAX	253	/* SELECTOR._domainkey.DOMAIN */

/* One DNS label: letters, digits and inner hyphens. */
static int
selector_label_ok(const char *l, size_t n)
{
	size_t	i;

	if (n == 0 || l[0] == '-' || l[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)l[i]) && l[i] != '-')
			return 0;
	}
	return 1;
}

char *
db_selector_normalize(const char *in, char **cause)
{
	const char	*p, *dot;
	char		*out;
	size_t		 i;

	if (in == NULL || *in == '\0' || strlen(in) > SELECTOR_MAX)
		goto bad;
	for (p = in;; p = dot + 1) {
		dot = strchr(p, '.');
		if (!selector_label_ok(p, dot != NULL ? (size_t)(dot - p) :
		    strlen(p)))
			goto bad;
		if (dot == NULL)
			break;
	}
	if ((out = strdup(in)) == NULL)
		goto bad;
	for (i = 0; out[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return out;
bad:
	if (cause != NULL && asprintf(cause, "\"%.200s\" is not a valid DKIM "
	    "selector (DNS labels of letters, digits and inner hyphens, at "
	    "most %d characters)", in != NULL ? in : "", SELECTOR_MAX) == -1)
		*cause = NULL;
	return NULL;
}

/* The domain and selector in their stored forms; -1 with the field named. */
static int
dkim_names(struct db *db, const char *domain, const char *selector,
    char **dom, char **sel, char **cause)
{
	*dom = *sel = NULL;
	if ((*dom = db_domain_normalize(domain, cause)) == NULL)
		return db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
	if ((*sel = db_selector_normalize(selector, cause)) == NULL) {
		free(*dom);
		*dom = NULL;
		return db_fail(db, NULL, DB_EINVAL, "selector", "%s", "");
	}
	if (strlen(*sel) + strlen("._domainkey.") + strlen(*dom) >
	    DKIM_NAME_MAX) {
		db_fail(db, cause, DB_EINVAL, "selector", "%s._domainkey.%s "
		    "is longer than a DNS name may be (%d)", *sel, *dom,
		    DKIM_NAME_MAX);
		free(*dom);
		free(*sel);
		*dom = *sel = NULL;
		return -1;
	}
	return 0;
}

static int
dkim_algorithm_ok(const char *a)
{
	return a != NULL && (strcmp(a, "rsa-sha256") == 0 ||
	    strcmp(a, "ed25519-sha256") == 0);
}

int
db_dkim_add(struct db *db, const char *domain, const char *selector,
    const char *algorithm, const char *key, char **cause)
{
	static const char	 sql[] = "INSERT INTO dkim_keys (domain_id,"
	    " selector, algorithm, private_key, created) VALUES (:d, :s, :a,"
	    " :key, :now)";
	sqlite3_stmt		*st;
	char			*dom, *sel;
	int64_t			 did;
	int			 rc = -1;

	if (!dkim_algorithm_ok(algorithm))
		return db_fail(db, cause, DB_EINVAL, "algorithm", "a DKIM key "
		    "is rsa-sha256 or ed25519-sha256");
	if (key == NULL || *key == '\0')
		return db_fail(db, cause, DB_EINVAL, "key", "a DKIM key "
		    "needs its private key");
	if (dkim_names(db, domain, selector, &dom, &sel, cause) == -1)
		return -1;
	if (db_domain_id(db, dom, &did, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		goto out;
	db_bind_int(st, ":d", did);
	db_bind_text(st, ":s", sel);
	db_bind_text(st, ":a", algorithm);
	db_bind_text(st, ":key", key);
	db_bind_int(st, ":now", db_now());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		rc = db_fail(db, cause, DB_ECONFLICT, "selector", "%s already "
		    "has a DKIM key for selector %s (dkim del it first)", dom,
		    sel);
	else
		rc = rc == SQLITE_DONE ? 0 : db_fail_sql(db, cause);
out:
	free(dom);
	free(sel);
	return rc;
}

int
db_dkim_get(struct db *db, const char *domain, const char *selector,
    char **algorithm, char **key, char **cause)
{
	static const char	 sql[] = "SELECT k.algorithm, k.private_key"
	    " FROM dkim_keys k JOIN domains d ON d.id = k.domain_id"
	    " WHERE d.name = :d AND k.selector = :s";
	sqlite3_stmt		*st;
	char			*dom, *sel;
	int			 rc = -1;

	*algorithm = *key = NULL;
	if (dkim_names(db, domain, selector, &dom, &sel, cause) == -1)
		return -1;
	if ((st = db_prep(db, sql, cause)) != NULL) {
		db_bind_text(st, ":d", dom);
		db_bind_text(st, ":s", sel);
		if ((rc = db_step_row(db, st, cause)) == 1) {
			*algorithm = db_strdup_col(st, 0);
			*key = db_strdup_col(st, 1);
		}
		sqlite3_reset(st);
	}
	free(dom);
	free(sel);
	if (rc == 1 && (*algorithm == NULL || *key == NULL)) {
		free(*algorithm);
		free(*key);
		*algorithm = *key = NULL;
		return db_fail(db, cause, DB_EINTERNAL, "", "out of memory");
	}
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

int
db_dkim_show(struct db *db, const char *domain, const char *selector,
    json_t **out, char **cause)
{
	static const char	 sql[] = "SELECT d.name AS domain,"
	    " k.selector AS selector, k.algorithm AS algorithm,"
	    " k.created AS \"created@\""
	    " FROM dkim_keys k JOIN domains d ON d.id = k.domain_id"
	    " WHERE d.name = :d AND k.selector = :s";
	sqlite3_stmt		*st;
	char			*dom, *sel;
	int			 rc = -1;

	if (dkim_names(db, domain, selector, &dom, &sel, cause) == -1)
		return -1;
	if ((st = db_prep(db, sql, cause)) != NULL) {
		db_bind_text(st, ":d", dom);
		db_bind_text(st, ":s", sel);
		if ((rc = db_step_row(db, st, cause)) == 1)
			*out = db_row_object(st);
		sqlite3_reset(st);
		if (rc == 0)
			rc = db_fail(db, cause, DB_ENOTFOUND, "selector", "%s "
			    "has no DKIM key for selector %s", dom, sel);
	}
	free(dom);
	free(sel);
	return rc == 1 ? 0 : -1;
}

static int
dkim_cursor(struct db *db, const char *after, int64_t *id, char **cause)
{
	char	*end;

	*id = 0;
	if (after == NULL || *after == '\0')
		return 0;
	errno = 0;
	*id = strtoll(after, &end, 10);
	if (errno != 0 || *end != '\0' || *id < 0)
		return db_fail(db, cause, DB_EINVAL, "after", "\"%s\" is not a "
		    "cursor of this list", after);
	return 0;
}

int
db_dkim_list(struct db *db, char *const *scope, const char *domain,
    const char *after, int limit, json_t **out, char **cause)
{
	static const char	 sql[] = "SELECT k.id AS id, d.name AS domain,"
	    " k.selector AS selector, k.algorithm AS algorithm,"
	    " k.created AS \"created@\""
	    " FROM dkim_keys k JOIN domains d ON d.id = k.domain_id"
	    " WHERE k.id > :after AND (:domain IS NULL OR d.name = :domain)"
	    " AND (:scope IS NULL OR d.name IN"
	    "  (SELECT value FROM json_each(:scope)))"
	    " ORDER BY k.id LIMIT :limit";
	sqlite3_stmt		*st;
	char			*dom = NULL;
	int64_t			 id;

	if (dkim_cursor(db, after, &id, cause) == -1)
		return -1;
	if (domain != NULL && (dom = db_domain_normalize(domain, cause)) ==
	    NULL)
		return db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
	if ((st = db_prep(db, sql, cause)) == NULL) {
		free(dom);
		return -1;
	}
	db_bind_int(st, ":after", id);
	db_bind_text(st, ":domain", dom);
	db_bind_scope(st, ":scope", scope);
	free(dom);
	return db_list_run(db, st, limit, "id", out, cause);
}

int
db_dkim_del(struct db *db, const char *domain, const char *selector,
    char **cause)
{
	static const char	 sql[] = "DELETE FROM dkim_keys WHERE"
	    " domain_id = (SELECT id FROM domains WHERE name = :d)"
	    " AND selector = :s";
	sqlite3_stmt		*st;
	char			*dom, *sel;
	int			 rc = -1;

	if (dkim_names(db, domain, selector, &dom, &sel, cause) == -1)
		return -1;
	if ((st = db_prep(db, sql, cause)) != NULL) {
		db_bind_text(st, ":d", dom);
		db_bind_text(st, ":s", sel);
		if ((rc = db_step_done(db, st, cause)) == 0 &&
		    sqlite3_changes(db->h) == 0)
			rc = db_fail(db, cause, DB_ENOTFOUND, "selector", "%s "
			    "has no DKIM key for selector %s", dom, sel);
	}
	free(dom);
	free(sel);
	return rc;
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
