/*
 * The quarantine: one row per held message, hanging off its log row,
 * with the path of its file and the envelope a release relays it with
 * (rcpts is a JSON array).  A row is held until it is released or
 * deleted, and stays, marked, until the retention ends; list and get are
 * scoped like the log search, by the log row's domains.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define QUARANTINE_TIME_MIN	(-((int64_t)1 << 62))
#define QUARANTINE_TIME_MAX	((int64_t)1 << 62)

static int
quarantine_log_exists(struct db *db, int64_t log_id, char **cause)
{
	static const char	 sql[] = "SELECT 1 FROM log WHERE id = :id";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", log_id);
	rc = db_step_row(db, st, cause);
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "log_id",
		    "log row %lld not found", (long long)log_id);
	return rc == 1 ? 0 : -1;
}

/* The recipients as the JSON array text stored in rcpts; NULL: no memory. */
static char *
quarantine_rcpts_json(const char *const *rcpts, size_t n)
{
	json_t	*a;
	char	*s;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (json_array_append_new(a, json_string(rcpts[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

int
db_quarantine_add(struct db *db, int64_t log_id, const char *path,
    int64_t size, const char *sender, const char *const *rcpts,
    size_t nrcpts, int64_t *id, char **cause)
{
	static const char	 sql[] = "INSERT INTO quarantine (log_id, path,"
	    " size, created, sender, rcpts) VALUES (:log, :path, :size, :now,"
	    " :sender, :rcpts)";
	sqlite3_stmt		*st;
	char			*json;
	int			 rc;

	if (path == NULL || *path == '\0')
		return db_fail(db, cause, DB_EINVAL, "path", "a quarantined "
		    "message needs the path of its file");
	if (quarantine_log_exists(db, log_id, cause) == -1)
		return -1;
	/* json_string refuses what is not UTF-8: say which one. */
	if ((json = quarantine_rcpts_json(rcpts, nrcpts)) == NULL)
		return db_fail(db, cause, DB_EINVAL, "rcpts", "the recipients "
		    "are not UTF-8 text (or memory ran out)");
	if ((st = db_prep(db, sql, cause)) == NULL) {
		free(json);
		return -1;
	}
	db_bind_int(st, ":log", log_id);
	db_bind_text(st, ":path", path);
	db_bind_int(st, ":size", size);
	db_bind_int(st, ":now", db_now());
	db_bind_text(st, ":sender", sender != NULL ? sender : "");
	db_bind_text(st, ":rcpts", json);
	free(json);
	if ((rc = db_step_done(db, st, cause)) == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

#define QUARANTINE_STATE \
	" CASE WHEN q.deleted_at IS NOT NULL THEN 'deleted'" \
	" WHEN q.released_at IS NOT NULL THEN 'released' ELSE 'held' END"
#define QUARANTINE_COLUMNS \
	"SELECT q.id AS id, q.created AS \"time@\"," QUARANTINE_STATE \
	" AS state, l.user AS user, l.domain AS domain, q.sender AS sender," \
	" (SELECT group_concat(value, ', ') FROM json_each(q.rcpts))" \
	" AS recipients, l.subject AS subject, q.size AS size"
#define QUARANTINE_IN_SCOPE(col) \
	" l." col " IN (SELECT value FROM json_each(:scope))"
#define QUARANTINE_SCOPE \
	" (:scope IS NULL OR" QUARANTINE_IN_SCOPE("domain") " OR" \
	QUARANTINE_IN_SCOPE("sending_domain") ")"

int
db_quarantine_list(struct db *db, char *const *scope,
    const struct db_quarantineq *q, const char *after, int limit,
    json_t **out, char **cause)
{
	static const char	 sql[] = QUARANTINE_COLUMNS
	    " FROM quarantine q JOIN log l ON l.id = q.log_id"
	    " WHERE q.id < :after AND (:all = 1 OR (q.released_at IS NULL"
	    "  AND q.deleted_at IS NULL))"
	    " AND (:user IS NULL OR l.user = :user)"
	    " AND (:domain IS NULL OR l.domain = :domain"
	    "  OR l.sending_domain = :domain)"
	    " AND q.created >= :since AND q.created < :until"
	    " AND" QUARANTINE_SCOPE
	    " ORDER BY q.id DESC LIMIT :limit";
	sqlite3_stmt		*st;
	char			*dom = NULL, *end;
	int64_t			 since = QUARANTINE_TIME_MIN;
	int64_t			 until = QUARANTINE_TIME_MAX, aid = INT64_MAX;

	if (q->since != NULL && db_time_parse(q->since, &since) == -1)
		return db_fail(db, cause, DB_EINVAL, "since", "since: \"%s\" is "
		    "not a time: give YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC) "
		    "or seconds since the epoch", q->since);
	if (q->until != NULL && db_time_parse(q->until, &until) == -1)
		return db_fail(db, cause, DB_EINVAL, "until", "until: \"%s\" is "
		    "not a time: give YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC) "
		    "or seconds since the epoch", q->until);
	if (after != NULL && *after != '\0') {
		errno = 0;
		aid = strtoll(after, &end, 10);
		if (errno != 0 || *end != '\0' || aid <= 0)
			return db_fail(db, cause, DB_EINVAL, "after", "\"%s\" "
			    "is not a cursor of this list", after);
	}
	if (q->domain != NULL &&
	    (dom = db_domain_normalize(q->domain, cause)) == NULL)
		return db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
	if ((st = db_prep(db, sql, cause)) == NULL) {
		free(dom);
		return -1;
	}
	db_bind_int(st, ":after", aid);
	db_bind_int(st, ":all", q->all != 0);
	db_bind_text(st, ":user", q->user);
	db_bind_text(st, ":domain", dom);
	db_bind_int(st, ":since", since);
	db_bind_int(st, ":until", until);
	db_bind_scope(st, ":scope", scope);
	free(dom);
	return db_list_run(db, st, limit, "id", out, cause);
}

int
db_quarantine_get(struct db *db, char *const *scope, int64_t id,
    json_t **out, char **cause)
{
	static const char	 sql[] = QUARANTINE_COLUMNS ","
	    " q.rcpts AS \"rcpts[]\", q.path AS path, q.log_id AS log_id,"
	    " l.queue_id AS queue_id, l.sending_domain AS sending_domain,"
	    " l.client_ip AS client_ip, l.header_from AS \"from\","
	    " l.reason AS reason, q.released_at AS \"released_at@\","
	    " q.released_by AS released_by, q.deleted_at AS \"deleted_at@\","
	    " q.deleted_by AS deleted_by"
	    " FROM quarantine q JOIN log l ON l.id = q.log_id"
	    " WHERE q.id = :id AND" QUARANTINE_SCOPE;
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	db_bind_scope(st, ":scope", scope);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*out = db_row_object(st);
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "id", "quarantined "
		    "message %lld not found", (long long)id);
	if (rc == 1 && *out == NULL)
		return db_fail(db, cause, DB_EINTERNAL, "", "out of memory");
	return rc == 1 ? 0 : -1;
}

/*
 * Why a message cannot be released or deleted again: who did what when.
 * Returns -1 with the refusal (or the failure to read it).
 */
static int
quarantine_refuse(struct db *db, int64_t id, const char *doing,
    char **cause)
{
	static const char	 sql[] = "SELECT CASE WHEN deleted_at IS NOT NULL"
	    " THEN 'deleted' ELSE 'released' END,"
	    " coalesce(deleted_by, released_by, '?'),"
	    " coalesce(deleted_at, released_at, 0)"
	    " FROM quarantine WHERE id = :id";
	sqlite3_stmt		*st;
	char			 when[32];
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		db_time_format(sqlite3_column_int64(st, 2), when, sizeof when);
		db_fail(db, cause, DB_ECONFLICT, "id", "quarantined message "
		    "%lld cannot be %s: it was %s by %s at %s", (long long)id,
		    doing, sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 1), when);
	} else if (rc == 0)
		db_fail(db, cause, DB_ENOTFOUND, "id", "quarantined message "
		    "%lld not found", (long long)id);
	sqlite3_reset(st);
	return -1;
}

/* Set released_at or deleted_at (sql) of a row still held (or not deleted). */
static int
quarantine_mark(struct db *db, const char *sql, int64_t id, const char *by,
    const char *doing, char **cause)
{
	sqlite3_stmt	*st;

	if (by == NULL || *by == '\0')
		return db_fail(db, cause, DB_EINVAL, "by", "say who %s the "
		    "message", doing);
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":by", by);
	db_bind_int(st, ":now", db_now());
	if (db_step_done(db, st, cause) == -1)
		return -1;
	if (sqlite3_changes(db->h) == 0)
		return quarantine_refuse(db, id, doing, cause);
	return 0;
}

static int
quarantine_log_id(struct db *db, int64_t id, int64_t *log_id, char **cause)
{
	static const char	 sql[] = "SELECT log_id FROM quarantine"
	    " WHERE id = :id";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*log_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "id", "quarantined "
		    "message %lld not found", (long long)id);
	return rc == 1 ? 0 : -1;
}

/* The log row's reason after a release, keeping why it was held. */
static int
quarantine_log_released(struct db *db, int64_t log_id, const char *by,
    const char *reply, char **cause)
{
	static const char	 sql[] = "SELECT reason FROM log WHERE id = :id";
	sqlite3_stmt		*st;
	char			*was = NULL, *reason;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", log_id);
	if ((rc = db_step_row(db, st, cause)) == 1)
		was = db_strdup_col(st, 0);
	sqlite3_reset(st);
	if (rc == -1)
		return -1;
	if (was != NULL && *was != '\0')
		rc = asprintf(&reason, "released by %s (held: %s)", by, was);
	else
		rc = asprintf(&reason, "released by %s", by);
	free(was);
	if (rc == -1)
		return db_fail(db, cause, DB_EINTERNAL, "", "out of memory");
	rc = db_log_set_status(db, log_id, "relayed", reason, reply, cause);
	free(reason);
	return rc;
}

int
db_quarantine_release(struct db *db, int64_t id, const char *by,
    const char *reply, char **cause)
{
	static const char	 sql[] = "UPDATE quarantine SET"
	    " released_at = :now, released_by = :by WHERE id = :id"
	    " AND released_at IS NULL AND deleted_at IS NULL";
	int64_t			 log_id;
	int			 rc;

	if (quarantine_log_id(db, id, &log_id, cause) == -1 ||
	    db_sp_begin(db, cause) == -1)
		return -1;
	rc = quarantine_mark(db, sql, id, by, "released", cause);
	if (rc == 0)
		rc = quarantine_log_released(db, log_id, by, reply, cause);
	return db_sp_end(db, rc, cause);
}

int
db_quarantine_delete(struct db *db, int64_t id, const char *by,
    char **cause)
{
	static const char	 sql[] = "UPDATE quarantine SET"
	    " deleted_at = :now, deleted_by = :by WHERE id = :id"
	    " AND deleted_at IS NULL";
	int64_t			 log_id;

	if (quarantine_log_id(db, id, &log_id, cause) == -1)
		return -1;
	return quarantine_mark(db, sql, id, by, "deleted", cause);
}

int
db_quarantine_expired(struct db *db, int64_t before, int max, json_t **out,
    char **cause)
{
	static const char	 sql[] = "SELECT id, path FROM quarantine"
	    " WHERE created < :before ORDER BY created, id LIMIT :max";
	sqlite3_stmt		*st;
	json_t			*a;
	int			 rc;

	if (max <= 0)
		return db_fail(db, cause, DB_EINVAL, "max",
		    "a purge takes at least one row at a time");
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":before", before);
	db_bind_int(st, ":max", max);
	if ((a = json_array()) == NULL) {
		sqlite3_reset(st);
		return db_fail(db, cause, DB_EINTERNAL, "", "out of memory");
	}
	while ((rc = db_step_row(db, st, cause)) == 1)
		json_array_append_new(a, db_row_object(st));
	sqlite3_reset(st);
	if (rc == -1) {
		json_decref(a);
		return -1;
	}
	*out = a;
	return 0;
}

int
db_quarantine_forget(struct db *db, int64_t id, char **cause)
{
	static const char	 sql[] = "DELETE FROM quarantine WHERE id = :id";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	return db_step_done(db, st, cause);
}
