/*
 * Counts for `status`.  They come from the stats and log_hours tables the
 * triggers keep, never from counting the big tables: status must answer
 * in well under a millisecond with a million log rows.
 */
#include "db_int.h"

static int64_t
status_stat(struct db *db, const char *key, char **cause)
{
	static const char	 sql[] = "SELECT n FROM stats WHERE key = :k";
	sqlite3_stmt		*st;
	int64_t			 n = -1;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":k", key);
	if (db_step_row(db, st, cause) == 1)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/*
 * Rows of the last 24 hours: whole hours from the buckets, the oldest,
 * partly covered hour counted row by row through the time index.
 */
static int64_t
status_log_24h(struct db *db, char **cause)
{
	static const char	 sql[] = "SELECT (SELECT coalesce(sum(n), 0)"
	    " FROM log_hours WHERE hour > :cut / 3600) + (SELECT count(*)"
	    " FROM log WHERE time >= :cut AND time < (:cut / 3600 + 1) * 3600)";
	sqlite3_stmt		*st;
	int64_t			 n = -1;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":cut", db_now() - 86400);
	if (db_step_row(db, st, cause) == 1)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
db_status(struct db *db, json_t **out, char **cause)
{
	int64_t	v[8];

	v[0] = status_stat(db, "domains", cause);
	v[1] = status_stat(db, "domains.active", cause);
	v[2] = status_stat(db, "users.ip", cause);
	v[3] = status_stat(db, "users.smtp", cause);
	v[4] = status_stat(db, "users.domain", cause);
	v[5] = status_stat(db, "users.locked", cause);
	v[6] = status_stat(db, "identities.locked", cause);
	v[7] = status_log_24h(db, cause);
	if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || v[4] < 0 ||
	    v[5] < 0 || v[6] < 0 || v[7] < 0)
		return -1;
	*out = json_pack("{s:I,s:I,s:{s:I,s:I,s:I,s:I},s:I,s:I,s:I}",
	    "domains", (json_int_t)v[0], "active_domains", (json_int_t)v[1],
	    "users", "ip", (json_int_t)v[2], "smtp", (json_int_t)v[3],
	    "domain", (json_int_t)v[4], "total",
	    (json_int_t)(v[2] + v[3] + v[4]),
	    "locked_users", (json_int_t)v[5],
	    "locked_identities", (json_int_t)v[6],
	    "log_24h", (json_int_t)v[7]);
	return 0;
}
