/*
 * The archive: one row per stored copy of a relayed message, hanging off
 * its log row (db_archive_add is in db_log.c, beside the log).  Searches
 * take the log search's filters and are scoped the same way, by the log
 * row's domains; the purge hands out the oldest rows for their files to
 * be removed first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define ARCHIVE_TIME_MIN	(-((int64_t)1 << 62))
#define ARCHIVE_TIME_MAX	((int64_t)1 << 62)

#define ARCHIVE_COLUMNS \
	"SELECT a.id AS id, l.time AS \"time@\", a.log_id AS log_id," \
	" l.queue_id AS queue_id, l.user AS user, l.domain AS domain," \
	" l.sending_domain AS sending_domain, l.sender AS sender," \
	" coalesce((SELECT group_concat(rcpt, ', ') FROM log_rcpts lr" \
	"  WHERE lr.log_id = l.id), '') AS recipients," \
	" l.subject AS subject, a.size AS size"
#define ARCHIVE_IN_SCOPE(col) \
	" l." col " IN (SELECT value FROM json_each(:scope))"
#define ARCHIVE_SCOPE \
	" (:scope IS NULL OR" ARCHIVE_IN_SCOPE("domain") " OR" \
	ARCHIVE_IN_SCOPE("sending_domain") ")"
#define ARCHIVE_FILTERS \
	" (:sender IS NULL OR l.sender = :sender)" \
	" AND (:user IS NULL OR l.user = :user)" \
	" AND (:qid IS NULL OR l.queue_id = :qid)" \
	" AND (:status IS NULL OR l.status = :status)" \
	" AND (:domain IS NULL OR l.domain = :domain" \
	"  OR l.sending_domain = :domain)" \
	" AND (:rcpt IS NULL OR EXISTS (SELECT 1 FROM log_rcpts r2" \
	"  WHERE r2.log_id = l.id AND r2.rcpt = :rcpt))" \
	" AND l.time >= :since AND l.time < :until AND" ARCHIVE_SCOPE

static int
archive_time_arg(struct db *db, const char *field, const char *s,
    int64_t dflt, int64_t *t, char **cause)
{
	*t = dflt;
	if (s != NULL && db_time_parse(s, t) == -1)
		return db_fail(db, cause, DB_EINVAL, field, "%s: \"%s\" is not "
		    "a time: give YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC) or "
		    "seconds since the epoch", field, s);
	return 0;
}

/* Is status one of DB_LOG_STATUSES (or not given)? */
static int
archive_status_ok(const char *status)
{
	const char	*list = DB_LOG_STATUSES, *bar;
	size_t		 n;

	if (status == NULL)
		return 1;
	n = strlen(status);
	for (;;) {
		bar = strchr(list, '|');
		if ((bar != NULL ? (size_t)(bar - list) : strlen(list)) == n &&
		    strncmp(list, status, n) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		list = bar + 1;
	}
}

static int
archive_search_check(struct db *db, const struct db_logq *q,
    const char *after, int64_t *since, int64_t *until, int64_t *aid,
    char **cause)
{
	char	*end;

	if (!archive_status_ok(q->status))
		return db_fail(db, cause, DB_EINVAL, "status", "\"%s\" is not "
		    "a status: relayed, refused, tempfail or quarantined",
		    q->status);
	if (archive_time_arg(db, "since", q->since, ARCHIVE_TIME_MIN, since,
	    cause) == -1 || archive_time_arg(db, "until", q->until,
	    ARCHIVE_TIME_MAX, until, cause) == -1)
		return -1;
	*aid = INT64_MAX;
	if (after != NULL && *after != '\0') {
		errno = 0;
		*aid = strtoll(after, &end, 10);
		if (errno != 0 || *end != '\0' || *aid <= 0)
			return db_fail(db, cause, DB_EINVAL, "after", "\"%s\" "
			    "is not a cursor of this list", after);
	}
	return 0;
}

int
db_archive_search(struct db *db, char *const *scope, const struct db_logq *q,
    const char *after, int limit, json_t **out, char **cause)
{
	static const char	 sql[] = ARCHIVE_COLUMNS
	    " FROM archive a JOIN log l ON l.id = a.log_id"
	    " WHERE a.id < :after AND" ARCHIVE_FILTERS
	    " ORDER BY a.id DESC LIMIT :limit";
	sqlite3_stmt		*st;
	char			*dom = NULL;
	int64_t			 since = 0, until = 0, aid = 0;

	if (archive_search_check(db, q, after, &since, &until, &aid,
	    cause) == -1)
		return -1;
	if (q->domain != NULL &&
	    (dom = db_domain_normalize(q->domain, cause)) == NULL)
		return db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
	if ((st = db_prep(db, sql, cause)) == NULL) {
		free(dom);
		return -1;
	}
	db_bind_text(st, ":sender", q->sender);
	db_bind_text(st, ":user", q->user);
	db_bind_text(st, ":qid", q->queue_id);
	db_bind_text(st, ":status", q->status);
	db_bind_text(st, ":domain", dom);
	db_bind_text(st, ":rcpt", q->recipient);
	db_bind_int(st, ":since", since);
	db_bind_int(st, ":until", until);
	db_bind_scope(st, ":scope", scope);
	db_bind_int(st, ":after", aid);
	free(dom);
	return db_list_run(db, st, limit, "id", out, cause);
}

int
db_archive_get(struct db *db, char *const *scope, int64_t id, json_t **out,
    char **cause)
{
	static const char	 sql[] = ARCHIVE_COLUMNS ", a.path AS path,"
	    " a.created AS \"archived@\""
	    " FROM archive a JOIN log l ON l.id = a.log_id"
	    " WHERE a.id = :id AND" ARCHIVE_SCOPE;
	sqlite3_stmt		*st;
	int			 rc;

	*out = NULL;
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	db_bind_scope(st, ":scope", scope);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*out = db_row_object(st);
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "id", "archived "
		    "message %lld not found", (long long)id);
	if (rc == 1 && *out == NULL)
		return db_fail(db, cause, DB_EINTERNAL, "", "out of memory");
	return rc == 1 ? 0 : -1;
}

int
db_archive_expired(struct db *db, int64_t before, int max, json_t **out,
    char **cause)
{
	static const char	 sql[] = "SELECT id, path FROM archive"
	    " WHERE created < :before ORDER BY created, id LIMIT :max";
	sqlite3_stmt		*st;
	json_t			*a, *row;
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
	while ((rc = db_step_row(db, st, cause)) == 1) {
		if ((row = db_row_object(st)) == NULL ||
		    json_array_append_new(a, row) == -1) {
			rc = db_fail(db, cause, DB_EINTERNAL, "",
			    "out of memory");
			break;
		}
	}
	sqlite3_reset(st);
	if (rc == -1) {
		json_decref(a);
		return -1;
	}
	*out = a;
	return 0;
}

int
db_archive_forget(struct db *db, int64_t id, char **cause)
{
	static const char	 sql[] = "DELETE FROM archive WHERE id = :id";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	return db_step_done(db, st, cause);
}
