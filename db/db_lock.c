/*
 * Locks of users and identities.  The current state sits on the user or
 * identity (the relay reads it per message); every lock and its lifting
 * is also written to locks, the history: who or what, when, why.
 */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "db_lock.h"

static int
db_lock_history_add(struct db *db, int64_t user_id, int64_t identity_id,
    int64_t now, int64_t until, const char *reason, const char *by,
    char **cause)
{
	static const char	 sql[] = "INSERT INTO locks (user_id,"
	    " identity_id, locked_at, until, reason, automatic, locked_by)"
	    " VALUES (:u, :i, :now, :until, :reason, :auto, :by)";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", user_id);
	if (identity_id != 0)
		db_bind_int(st, ":i", identity_id);
	db_bind_int(st, ":now", now);
	if (until != 0)
		db_bind_int(st, ":until", until);
	db_bind_text(st, ":reason", reason != NULL ? reason : "");
	db_bind_int(st, ":auto", by == NULL);
	db_bind_text(st, ":by", by);
	return db_step_done(db, st, cause);
}

static int
db_lock_history_lift(struct db *db, int64_t user_id, int64_t identity_id,
    int64_t now, const char *by, char **cause)
{
	static const char	 sql[] = "UPDATE locks SET lifted_at = :now,"
	    " lifted_by = :by, lift_automatic = :auto WHERE user_id = :u"
	    " AND identity_id IS :i AND lifted_at IS NULL";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":now", now);
	db_bind_text(st, ":by", by);
	db_bind_int(st, ":auto", by == NULL);
	db_bind_int(st, ":u", user_id);
	if (identity_id != 0)
		db_bind_int(st, ":i", identity_id);
	return db_step_done(db, st, cause);
}

/* Set a lock's state with st (bound here) and record it. */
int
db_lock_apply(struct db *db, const char *sql, int64_t user_id,
    int64_t identity_id, const char *reason, int64_t minutes,
    const char *by, char **cause)
{
	sqlite3_stmt	*st;
	int64_t		 now = db_now(), until = minutes > 0 ?
			    now + minutes * 60 : 0;
	int		 rc = -1;

	if (db_sp_begin(db, cause) == -1)
		return -1;
	if ((st = db_prep(db, sql, cause)) != NULL) {
		db_bind_int(st, ":id", identity_id != 0 ? identity_id :
		    user_id);
		db_bind_int(st, ":now", now);
		if (until != 0)
			db_bind_int(st, ":until", until);
		db_bind_text(st, ":reason", reason != NULL ? reason : "");
		rc = db_step_done(db, st, cause);
	}
	if (rc == 0)
		rc = db_lock_history_add(db, user_id, identity_id, now, until,
		    reason, by, cause);
	return db_sp_end(db, rc, cause);
}

/*
 * Lift a lock with sql (bound :id, :manual).  An automatic lift counts
 * towards the maximum; an admin's resets the count.
 */
int
db_lock_lift(struct db *db, const char *sql, int64_t user_id,
    int64_t identity_id, const char *by, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc = -1;

	if (db_sp_begin(db, cause) == -1)
		return -1;
	if ((st = db_prep(db, sql, cause)) != NULL) {
		db_bind_int(st, ":id", identity_id != 0 ? identity_id :
		    user_id);
		db_bind_int(st, ":manual", by != NULL);
		rc = db_step_done(db, st, cause);
	}
	if (rc == 0)
		rc = db_lock_history_lift(db, user_id, identity_id, db_now(), by,
		    cause);
	return db_sp_end(db, rc, cause);
}

static int
db_lock_user_state(struct db *db, int64_t id, int *locked, char **cause)
{
	static const char	 sql[] = "SELECT locked FROM users WHERE id = :id";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*locked = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == 1 ? 0 : -1;
}

int
db_user_lock(struct db *db, const char *name, const char *reason,
    int64_t minutes, const char *by, char **cause)
{
	static const char	 sql[] = "UPDATE users SET locked = 1,"
	    " locked_at = :now, lock_until = :until, lock_reason = :reason"
	    " WHERE id = :id";
	int64_t			 id;
	int			 locked;

	if (db_user_id(db, name, &id, NULL, cause) == -1 ||
	    db_lock_user_state(db, id, &locked, cause) == -1)
		return -1;
	if (locked)
		return db_fail(db, cause, DB_ECONFLICT, "name",
		    "user %s is already locked", name);
	if (minutes < 0)
		return db_fail(db, cause, DB_EINVAL, "duration",
		    "a lock's duration is a whole number of minutes >= 0");
	return db_lock_apply(db, sql, id, 0, reason, minutes, by, cause);
}

int
db_user_unlock(struct db *db, const char *name, const char *by,
    char **cause)
{
	static const char	 sql[] = "UPDATE users SET locked = 0,"
	    " locked_at = NULL, lock_until = NULL, lock_reason = NULL,"
	    " auto_unlocks = CASE WHEN :manual THEN 0 ELSE auto_unlocks + 1"
	    " END WHERE id = :id";
	int64_t			 id;

	if (db_user_id(db, name, &id, NULL, cause) == -1)
		return -1;
	return db_lock_lift(db, sql, id, 0, by, cause);
}
