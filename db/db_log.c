/*
 * The message log: one row per message and decision, its recipients in
 * log_rcpts, and the archive files that hang off it (the quarantine's
 * are db_quarantine.c's).
 * Searches run newest first, keyed by row id; each filter that can drive
 * the search has a statement that walks its index in id order.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_int.h"

#define LOG_TIME_MIN	(-((int64_t)1 << 62))
#define LOG_TIME_MAX	((int64_t)1 << 62)

/* Is s one of the "a|b|c" words of list? */
static int
log_word_in(const char *s, const char *list)
{
	size_t	n = strlen(s);

	while (n > 0 && list != NULL) {
		if (strncmp(list, s, n) == 0 && (list[n] == '|' ||
		    list[n] == '\0'))
			return 1;
		if ((list = strchr(list, '|')) != NULL)
			list++;
	}
	return 0;
}

static int
log_status_check(struct db *db, const char *status, char **cause)
{
	if (status == NULL || log_word_in(status, DB_LOG_STATUSES))
		return 0;
	return db_fail(db, cause, DB_EINVAL, "status", "\"%s\" is not a "
	    "status: relayed, refused, tempfail or quarantined", status);
}

static int
log_row_insert(struct db *db, const struct db_logrec *r, int64_t *id,
    char **cause)
{
	static const char	 sql[] = "INSERT INTO log (time, queue_id, user,"
	    " kind, domain, sending_domain, client_ip, sender, header_from,"
	    " subject, size, status, reason, reply) VALUES (:time, :qid,"
	    " :user, :kind, :domain, :sdomain, :ip, :sender, :from, :subject,"
	    " :size, :status, :reason, :reply)";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":time", r->time != 0 ? r->time : db_now());
	db_bind_text(st, ":qid", r->queue_id != NULL ? r->queue_id : "");
	db_bind_text(st, ":user", r->user);
	db_bind_text(st, ":kind", r->kind);
	db_bind_text(st, ":domain", r->domain);
	db_bind_text(st, ":sdomain", r->sending_domain);
	db_bind_text(st, ":ip", r->client_ip != NULL ? r->client_ip : "");
	db_bind_text(st, ":sender", r->sender != NULL ? r->sender : "");
	db_bind_text(st, ":from", r->header_from != NULL ? r->header_from : "");
	db_bind_text(st, ":subject", r->subject != NULL ? r->subject : "");
	db_bind_int(st, ":size", r->size);
	db_bind_text(st, ":status", r->status);
	db_bind_text(st, ":reason", r->reason != NULL ? r->reason : "");
	db_bind_text(st, ":reply", r->reply != NULL ? r->reply : "");
	if (db_step_done(db, st, cause) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

static int
log_rcpts_insert(struct db *db, int64_t id, const char *const *rcpts,
    char **cause)
{
	static const char	 sql[] = "INSERT OR IGNORE INTO log_rcpts"
	    " (log_id, rcpt) VALUES (:id, :rcpt)";
	sqlite3_stmt		*st;
	size_t			 i;

	for (i = 0; rcpts != NULL && rcpts[i] != NULL; i++) {
		if ((st = db_prep(db, sql, cause)) == NULL)
			return -1;
		db_bind_int(st, ":id", id);
		db_bind_text(st, ":rcpt", rcpts[i]);
		if (db_step_done(db, st, cause) == -1)
			return -1;
	}
	return 0;
}

int
db_log_add(struct db *db, const struct db_logrec *r, int64_t *id,
    char **cause)
{
	int64_t	rowid = 0;
	int	rc;

	if (r->user == NULL || r->domain == NULL || r->kind == NULL ||
	    r->status == NULL)
		return db_fail(db, cause, DB_EINVAL, "", "a log row needs a "
		    "user, its kind and domain, and a status");
	if (log_status_check(db, r->status, cause) == -1 ||
	    db_sp_begin(db, cause) == -1)
		return -1;
	rc = log_row_insert(db, r, &rowid, cause);
	if (rc == 0)
		rc = log_rcpts_insert(db, rowid, r->rcpts, cause);
	if ((rc = db_sp_end(db, rc, cause)) == 0 && id != NULL)
		*id = rowid;
	return rc;
}

/* Digits only, as many as wanted: the pieces of a time stamp. */
static int
log_digits(const char **s, int n, int *out)
{
	int	v = 0;

	for (; n > 0; n--, (*s)++) {
		if (!isdigit((unsigned char)**s))
			return -1;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 0;
}

static int
log_expect(const char **s, char c)
{
	return *(*s)++ == c ? 0 : -1;
}

/* "YYYY-MM-DD[THH:MM[:SS]]" into tm; -1 when it is not that. */
static int
log_time_fields(const char *s, struct tm *tm)
{
	memset(tm, 0, sizeof *tm);
	if (log_digits(&s, 4, &tm->tm_year) == -1 || log_expect(&s, '-') ||
	    log_digits(&s, 2, &tm->tm_mon) == -1 || log_expect(&s, '-') ||
	    log_digits(&s, 2, &tm->tm_mday) == -1)
		return -1;
	if (*s == 'T') {
		s++;
		if (log_digits(&s, 2, &tm->tm_hour) == -1 ||
		    log_expect(&s, ':') ||
		    log_digits(&s, 2, &tm->tm_min) == -1)
			return -1;
		if (*s == ':' && (s++, log_digits(&s, 2, &tm->tm_sec) == -1))
			return -1;
	}
	if (*s == 'Z')
		s++;
	if (*s != '\0' || tm->tm_mon < 1 || tm->tm_mon > 12 ||
	    tm->tm_mday < 1 || tm->tm_mday > 31 || tm->tm_hour > 23 ||
	    tm->tm_min > 59 || tm->tm_sec > 60)
		return -1;
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	return 0;
}

int
db_time_parse(const char *s, int64_t *t)
{
	struct tm	 tm;
	const char	*p;
	char		*end;

	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (*s != '\0' && *p == '\0' && p - s <= 12) {
		errno = 0;
		*t = strtoll(s, &end, 10);
		return errno == 0 ? 0 : -1;
	}
	if (log_time_fields(s, &tm) == -1)
		return -1;
	*t = (int64_t)timegm(&tm);
	return 0;
}

static int
log_time_arg(struct db *db, const char *field, const char *s, int64_t dflt,
    int64_t *t, char **cause)
{
	*t = dflt;
	if (s != NULL && db_time_parse(s, t) == -1)
		return db_fail(db, cause, DB_EINVAL, field, "%s: \"%s\" is not "
		    "a time: give YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC) or "
		    "seconds since the epoch", field, s);
	return 0;
}

/*
 * The inner query finds the page's ids, walking one index in id order;
 * the outer one shapes only those rows, so that a search whose index is
 * not in id order sorts ids, not whole rows with their recipients.
 */
#define LOG_COLUMNS \
	"SELECT l.id AS id, l.time AS \"time@\", l.queue_id AS queue_id," \
	" l.status AS status, l.user AS user, l.kind AS kind," \
	" l.domain AS domain, l.sending_domain AS sending_domain," \
	" l.client_ip AS client_ip, l.sender AS sender," \
	" coalesce((SELECT group_concat(rcpt, ', ') FROM log_rcpts lr" \
	"  WHERE lr.log_id = l.id), '') AS recipients," \
	" l.header_from AS \"from\", l.subject AS subject, l.size AS size," \
	" l.reason AS reason, l.reply AS reply FROM log l WHERE l.id IN ("
#define LOG_IN_SCOPE(col) \
	" l." col " IN (SELECT value FROM json_each(:scope))"
#define LOG_FILTERS \
	" (:sender IS NULL OR l.sender = :sender)" \
	" AND (:user IS NULL OR l.user = :user)" \
	" AND (:qid IS NULL OR l.queue_id = :qid)" \
	" AND (:status IS NULL OR l.status = :status)" \
	" AND (:domain IS NULL OR l.domain = :domain" \
	"  OR l.sending_domain = :domain)" \
	" AND (:rcpt IS NULL OR EXISTS (SELECT 1 FROM log_rcpts r2" \
	"  WHERE r2.log_id = l.id AND r2.rcpt = :rcpt))" \
	" AND l.time >= :since AND l.time < :until" \
	" AND (:scope IS NULL OR" LOG_IN_SCOPE("domain") " OR" \
	LOG_IN_SCOPE("sending_domain") ")"
#define LOG_TAIL \
	" AND l.id < :after ORDER BY l.id DESC LIMIT :limit)" \
	" ORDER BY l.id DESC"
#define LOG_IDS		"SELECT l.id FROM log l WHERE"

static const char log_by_qid[] = LOG_COLUMNS LOG_IDS
	" l.queue_id = :qid AND" LOG_FILTERS LOG_TAIL;
static const char log_by_sender[] = LOG_COLUMNS LOG_IDS
	" l.sender = :sender AND" LOG_FILTERS LOG_TAIL;
static const char log_by_rcpt[] = LOG_COLUMNS "SELECT r.log_id"
	" FROM log_rcpts r JOIN log l ON l.id = r.log_id WHERE r.rcpt = :rcpt"
	" AND r.log_id < :after AND" LOG_FILTERS
	" ORDER BY r.log_id DESC LIMIT :limit) ORDER BY l.id DESC";
static const char log_by_user[] = LOG_COLUMNS LOG_IDS
	" l.user = :user AND" LOG_FILTERS LOG_TAIL;
static const char log_by_domain[] = LOG_COLUMNS LOG_IDS
	" (l.domain = :domain OR l.sending_domain = :domain) AND" LOG_FILTERS
	LOG_TAIL;
static const char log_by_scope[] = LOG_COLUMNS LOG_IDS
	" (" LOG_IN_SCOPE("domain") " OR" LOG_IN_SCOPE("sending_domain") ")"
	" AND" LOG_FILTERS LOG_TAIL;
static const char log_by_id[] = LOG_COLUMNS LOG_IDS LOG_FILTERS LOG_TAIL;

/* The statement whose index serves the most selective filter given. */
static const char *
log_query(const struct db_logq *q, char *const *scope)
{
	if (q->queue_id != NULL)
		return log_by_qid;
	if (q->sender != NULL)
		return log_by_sender;
	if (q->recipient != NULL)
		return log_by_rcpt;
	if (q->user != NULL)
		return log_by_user;
	if (q->domain != NULL)
		return log_by_domain;
	/* A domain admin's domains are usually few among many. */
	if (scope != NULL)
		return log_by_scope;
	return log_by_id;
}

static int
log_search_check(struct db *db, const struct db_logq *q, const char *after,
    int64_t *since, int64_t *until, int64_t *aid, char **cause)
{
	char	*end;

	if (log_status_check(db, q->status, cause) == -1 ||
	    log_time_arg(db, "since", q->since, LOG_TIME_MIN, since,
	    cause) == -1 ||
	    log_time_arg(db, "until", q->until, LOG_TIME_MAX, until,
	    cause) == -1)
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
db_log_search(struct db *db, char *const *scope, const struct db_logq *q,
    const char *after, int limit, json_t **out, char **cause)
{
	sqlite3_stmt	*st;
	char		*dom = NULL;
	int64_t		 since, until, aid;

	if (log_search_check(db, q, after, &since, &until, &aid, cause) == -1)
		return -1;
	if (q->domain != NULL &&
	    (dom = db_domain_normalize(q->domain, cause)) == NULL)
		return db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
	if ((st = db_prep(db, log_query(q, scope), cause)) == NULL) {
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

static int
log_file_add(struct db *db, const char *sql, int64_t log_id,
    const char *path, int64_t size, char **cause)
{
	static const char	 exists[] = "SELECT 1 FROM log WHERE id = :id";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, exists, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", log_id);
	rc = db_step_row(db, st, cause);
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "log_id",
		    "log row %lld not found", (long long)log_id);
	if (rc == -1 || (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", log_id);
	db_bind_text(st, ":path", path);
	db_bind_int(st, ":size", size);
	db_bind_int(st, ":now", db_now());
	return db_step_done(db, st, cause);
}

int
db_archive_add(struct db *db, int64_t log_id, const char *path,
    int64_t size, char **cause)
{
	static const char	 sql[] = "INSERT INTO archive (log_id, path,"
	    " size, created) VALUES (:id, :path, :size, :now)";

	return log_file_add(db, sql, log_id, path, size, cause);
}

int
db_log_set_status(struct db *db, int64_t id, const char *status,
    const char *reason, const char *reply, char **cause)
{
	static const char	 sql[] = "UPDATE log SET status = :status,"
	    " reason = coalesce(:reason, reason),"
	    " reply = coalesce(:reply, reply) WHERE id = :id";
	sqlite3_stmt		*st;

	if (status == NULL)
		return db_fail(db, cause, DB_EINVAL, "status", "a log row "
		    "needs a status");
	if (log_status_check(db, status, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":status", status);
	db_bind_text(st, ":reason", reason);
	db_bind_text(st, ":reply", reply);
	db_bind_int(st, ":id", id);
	if (db_step_done(db, st, cause) == -1)
		return -1;
	if (sqlite3_changes(db->h) == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "log_id",
		    "log row %lld not found", (long long)id);
	return 0;
}

/*
 * Rows with a quarantined or archived file stay until that file is dealt
 * with, so that no file is left without its row.  Oldest first through
 * log_time; each call is one short write, so the relay's own writes wait
 * at most for one batch.
 */
int
db_log_purge(struct db *db, int64_t before, int max, int64_t *deleted,
    char **cause)
{
	static const char	 sql[] = "DELETE FROM log WHERE id IN"
	    " (SELECT l.id FROM log l WHERE l.time < :before"
	    " AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.log_id = l.id)"
	    " AND NOT EXISTS (SELECT 1 FROM archive a WHERE a.log_id = l.id)"
	    " ORDER BY l.time LIMIT :max)";
	sqlite3_stmt		*st;

	*deleted = 0;
	if (max <= 0)
		return db_fail(db, cause, DB_EINVAL, "max",
		    "a purge deletes at least one row at a time");
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":before", before);
	db_bind_int(st, ":max", max);
	if (db_step_done(db, st, cause) == -1)
		return -1;
	*deleted = sqlite3_changes(db->h);
	return 0;
}
