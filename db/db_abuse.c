/*
 * What the relay writes when it judges a message: identities seen, spam
 * hits in a window, automatic locks and their expiry.  The admin's side of
 * the same state (lock, unlock, list) is in db_user.c/db_identity.c; both
 * go through db_lock.c so that the history reads the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "db_lock.h"

/* Fill a lock state from columns col.. (locked, until, reason, unlocks). */
static void
abuse_lock_cols(sqlite3_stmt *st, int col, struct db_lock_state *ls)
{
	int64_t	until = sqlite3_column_int64(st, col + 1);

	ls->locked = sqlite3_column_int(st, col) &&
	    (until == 0 || until > db_now());
	ls->lock_until = until;
	db_col_copy(st, col + 2, ls->lock_reason, sizeof ls->lock_reason);
	ls->auto_unlocks = sqlite3_column_int64(st, col + 3);
}

/*
 * Step a lock-state query whose columns are id, locked, until, reason,
 * unlocks (its parameters bound), for the user or identity of that id.
 */
static int
abuse_state_run(struct db *db, sqlite3_stmt *st, const char *field,
    int64_t id, struct db_lock_state *ls, char **cause)
{
	int	rc;

	memset(ls, 0, sizeof *ls);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		ls->id = sqlite3_column_int64(st, 0);
		abuse_lock_cols(st, 1, ls);
	}
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, field, "%s id %lld no "
		    "longer exists", field, (long long)id);
	return rc == 1 ? 0 : -1;
}

int
db_identity_state(struct db *db, int64_t user_id, const char *identity,
    struct db_lock_state *ls, char **cause)
{
	static const char	 ins[] = "INSERT INTO identities (user_id,"
	    " identity, first_seen) VALUES (:u, :i, :now)"
	    " ON CONFLICT (user_id, identity) DO NOTHING";
	static const char	 sel[] = "SELECT id, locked,"
	    " coalesce(lock_until, 0), coalesce(lock_reason, ''),"
	    " auto_unlocks FROM identities WHERE user_id = :u"
	    " AND identity = :i";
	sqlite3_stmt		*st;
	int			 rc;

	/* Known identities are only read: no write lock per message. */
	if ((st = db_prep(db, sel, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", user_id);
	db_bind_text(st, ":i", identity);
	if ((rc = abuse_state_run(db, st, "user", user_id, ls, cause)) == 0 ||
	    db_errkind(db) != DB_ENOTFOUND)
		return rc;
	free(*cause);
	*cause = NULL;
	if ((st = db_prep(db, ins, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", user_id);
	db_bind_text(st, ":i", identity);
	db_bind_int(st, ":now", db_now());
	if (db_step_done(db, st, cause) == -1 ||
	    (st = db_prep(db, sel, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", user_id);
	db_bind_text(st, ":i", identity);
	return abuse_state_run(db, st, "user", user_id, ls, cause);
}

int
db_user_lock_state(struct db *db, int64_t user_id, struct db_lock_state *ls,
    char **cause)
{
	static const char	 sql[] = "SELECT id, locked,"
	    " coalesce(lock_until, 0), coalesce(lock_reason, ''),"
	    " auto_unlocks FROM users WHERE id = :u";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", user_id);
	return abuse_state_run(db, st, "user", user_id, ls, cause);
}

int
db_identity_count(struct db *db, int64_t identity_id, int spam,
    char **cause)
{
	static const char	 sql[] = "UPDATE identities SET"
	    " messages = messages + 1, spam = spam + :spam,"
	    " last_seen = :now WHERE id = :id";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":spam", spam != 0);
	db_bind_int(st, ":now", db_now());
	db_bind_int(st, ":id", identity_id);
	return db_step_done(db, st, cause);
}

static int
abuse_count(struct db *db, const char *sql, int64_t id, int64_t since,
    int64_t *n, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	db_bind_int(st, ":since", since);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == 1 ? 0 : -1;
}

int
db_spam_hit(struct db *db, int64_t user_id, int64_t identity_id,
    int64_t window, int64_t *user_n, int64_t *identity_n, char **cause)
{
	static const char	 ins[] = "INSERT INTO spam_hits (user_id,"
	    " identity_id, time) VALUES (:u, :i, :now)";
	static const char	 by_user[] = "SELECT count(*) FROM spam_hits"
	    " WHERE user_id = :id AND time > :since";
	static const char	 by_identity[] = "SELECT count(*) FROM"
	    " spam_hits WHERE identity_id = :id AND time > :since";
	sqlite3_stmt		*st;
	int64_t			 now = db_now();

	*user_n = *identity_n = 0;
	if ((st = db_prep(db, ins, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", user_id);
	if (identity_id != 0)
		db_bind_int(st, ":i", identity_id);
	db_bind_int(st, ":now", now);
	if (db_step_done(db, st, cause) == -1 ||
	    abuse_count(db, by_user, user_id, now - window, user_n,
	    cause) == -1)
		return -1;
	if (identity_id != 0 && abuse_count(db, by_identity, identity_id,
	    now - window, identity_n, cause) == -1)
		return -1;
	return 0;
}

int
db_lock_auto(struct db *db, int64_t user_id, int64_t identity_id,
    const char *reason, int64_t minutes, int64_t max_auto_unlocks,
    struct db_lock_state *ls, char **cause)
{
	static const char	 user_sql[] = "UPDATE users SET locked = 1,"
	    " locked_at = :now, lock_until = :until, lock_reason = :reason"
	    " WHERE id = :id";
	static const char	 identity_sql[] = "UPDATE identities SET"
	    " locked = 1, locked_at = :now, lock_until = :until,"
	    " lock_reason = :reason WHERE id = :id";
	int			 rc;

	rc = identity_id != 0 ?
	    db_identity_state_id(db, identity_id, ls, cause) :
	    db_user_lock_state(db, user_id, ls, cause);
	if (rc == -1)
		return -1;
	if (ls->locked)
		return 1;
	/* Past the maximum of automatic unlocks, an admin has to decide. */
	if (ls->auto_unlocks >= max_auto_unlocks)
		minutes = 0;
	if (db_lock_apply(db, identity_id != 0 ? identity_sql : user_sql,
	    user_id, identity_id, reason, minutes, NULL, cause) == -1)
		return -1;
	ls->locked = 1;
	ls->lock_until = minutes > 0 ? db_now() + minutes * 60 : 0;
	snprintf(ls->lock_reason, sizeof ls->lock_reason, "%s", reason);
	return 0;
}

int
db_identity_state_id(struct db *db, int64_t identity_id,
    struct db_lock_state *ls, char **cause)
{
	static const char	 sql[] = "SELECT id, locked,"
	    " coalesce(lock_until, 0), coalesce(lock_reason, ''),"
	    " auto_unlocks FROM identities WHERE id = :id";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", identity_id);
	return abuse_state_run(db, st, "identity", identity_id, ls, cause);
}

/* One expired lock: who, for the caller's log. */
struct abuse_expired {
	int64_t	 user_id, identity_id;
	char	*user, *identity;
};

/* The locks whose time ran out, at most max of them. */
static int
abuse_expired_list(struct db *db, int64_t now, struct abuse_expired *v,
    size_t max, size_t *n, char **cause)
{
	static const char	 sql[] = "SELECT id, 0, name, NULL FROM users"
	    " WHERE locked = 1 AND lock_until IS NOT NULL"
	    " AND lock_until <= :now"
	    " UNION ALL SELECT i.user_id, i.id, u.name, i.identity"
	    " FROM identities i JOIN users u ON u.id = i.user_id"
	    " WHERE i.locked = 1 AND i.lock_until IS NOT NULL"
	    " AND i.lock_until <= :now LIMIT :max";
	sqlite3_stmt		*st;
	int			 rc;

	*n = 0;
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":now", now);
	db_bind_int(st, ":max", (int64_t)max);
	while ((rc = db_step_row(db, st, cause)) == 1 && *n < max) {
		v[*n].user_id = sqlite3_column_int64(st, 0);
		v[*n].identity_id = sqlite3_column_int64(st, 1);
		v[*n].user = db_strdup_col(st, 2);
		v[*n].identity = sqlite3_column_type(st, 3) == SQLITE_NULL ?
		    NULL : db_strdup_col(st, 3);
		(*n)++;
	}
	sqlite3_reset(st);
	return rc == -1 ? -1 : 0;
}

int
db_lock_expire(struct db *db, db_lock_expired_cb *cb, void *arg,
    int64_t *lifted, char **cause)
{
	/*
	 * Only a lock by rule counts towards lock.max-auto-unlocks: an
	 * admin's lock with a duration runs out as asked, uncounted.
	 */
	static const char	 user_sql[] = "UPDATE users SET locked = 0,"
	    " locked_at = NULL, lock_until = NULL, lock_reason = NULL,"
	    " auto_unlocks = CASE WHEN :manual THEN 0 ELSE auto_unlocks +"
	    " (SELECT coalesce(max(automatic), 1) FROM locks WHERE"
	    " user_id = :id AND identity_id IS NULL AND lifted_at IS NULL)"
	    " END WHERE id = :id";
	static const char	 identity_sql[] = "UPDATE identities SET"
	    " locked = 0, locked_at = NULL, lock_until = NULL,"
	    " lock_reason = NULL, auto_unlocks = CASE WHEN :manual THEN 0"
	    " ELSE auto_unlocks + (SELECT coalesce(max(automatic), 1) FROM"
	    " locks WHERE identity_id = :id AND lifted_at IS NULL)"
	    " END WHERE id = :id";
	struct abuse_expired	 v[64];
	size_t			 n, i;
	int			 rc = 0;

	*lifted = 0;
	if (abuse_expired_list(db, db_now(), v, sizeof v / sizeof v[0], &n,
	    cause) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (rc == 0 && db_lock_lift(db, v[i].identity_id != 0 ?
		    identity_sql : user_sql, v[i].user_id, v[i].identity_id,
		    NULL, cause) == -1)
			rc = -1;
		if (rc == 0) {
			(*lifted)++;
			if (cb != NULL && v[i].user != NULL)
				cb(arg, v[i].user, v[i].identity);
		}
		free(v[i].user);
		free(v[i].identity);
	}
	return rc;
}

int
db_user_reset_unlocks(struct db *db, const char *name, char **cause)
{
	static const char	 sql[] = "UPDATE users SET auto_unlocks = 0"
	    " WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;

	if (db_user_id(db, name, &id, NULL, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	return db_step_done(db, st, cause);
}

int
db_spam_hits_purge(struct db *db, int64_t before, char **cause)
{
	static const char	 sql[] = "DELETE FROM spam_hits"
	    " WHERE time < :before";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":before", before);
	return db_step_done(db, st, cause);
}
