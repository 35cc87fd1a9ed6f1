/*
 * Limit counters.  The daemon counts in memory and writes the counts back
 * in batches, so that a restart keeps them; one row per user and window.
 */
#include <string.h>

#include "db_int.h"

static int
counter_window_check(struct db *db, const char *window, char **cause)
{
	static const char *const windows[] = {
		"minute", "hour", "day", "week", "month", "recipients.day"
	};
	size_t	i;

	for (i = 0; i < sizeof windows / sizeof windows[0]; i++) {
		if (window != NULL && strcmp(window, windows[i]) == 0)
			return 0;
	}
	return db_fail(db, cause, DB_EINVAL, "window", "\"%s\" is not a "
	    "counter window", window != NULL ? window : "");
}

int
db_counter_put(struct db *db, const char *user, const char *window,
    int64_t start, int64_t count, char **cause)
{
	static const char	 sql[] = "INSERT INTO counters (user_id, period,"
	    " start, count) VALUES (:u, :w, :start, :count) ON CONFLICT DO"
	    " UPDATE SET start = excluded.start, count = excluded.count";
	sqlite3_stmt		*st;
	int64_t			 uid;

	if (counter_window_check(db, window, cause) == -1 ||
	    db_user_id(db, user, &uid, NULL, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	if (count < 0)
		return db_fail(db, cause, DB_EINVAL, "count",
		    "a counter is a whole number >= 0");
	db_bind_int(st, ":u", uid);
	db_bind_text(st, ":w", window);
	db_bind_int(st, ":start", start);
	db_bind_int(st, ":count", count);
	return db_step_done(db, st, cause);
}

int
db_counter_get(struct db *db, const char *user, const char *window,
    int64_t *start, int64_t *count, char **cause)
{
	static const char	 sql[] = "SELECT c.start, c.count FROM counters c"
	    " JOIN users u ON u.id = c.user_id WHERE u.name = :user"
	    " AND c.period = :w";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":user", user);
	db_bind_text(st, ":w", window);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*start = sqlite3_column_int64(st, 0);
		*count = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

int
db_counter_reset(struct db *db, const char *user, char **cause)
{
	static const char	 sql[] = "DELETE FROM counters WHERE user_id = :u";
	sqlite3_stmt		*st;
	int64_t			 uid;

	if (db_user_id(db, user, &uid, NULL, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", uid);
	return db_step_done(db, st, cause);
}
