/*
 * Identities: the senders seen inside a user (found by its identification
 * method), created on first sight, each with counters and a lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "db_lock.h"

/* The user's id and the identity's id, or not found naming the missing one. */
static int
identity_ids(struct db *db, const char *user, const char *identity,
    int64_t *uid, int64_t *iid, int *locked, char **cause)
{
	static const char	 sql[] = "SELECT id, locked FROM identities"
	    " WHERE user_id = :u AND identity = :i";
	sqlite3_stmt		*st;
	int			 rc;

	if (db_user_id(db, user, uid, NULL, cause) == -1) {
		snprintf(db->errfield, sizeof db->errfield, "user");
		return -1;
	}
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", *uid);
	db_bind_text(st, ":i", identity);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*iid = sqlite3_column_int64(st, 0);
		*locked = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "identity",
		    "user %s has no identity %s", user, identity);
	return rc == 1 ? 0 : -1;
}

int
db_identity_seen(struct db *db, const char *user, const char *identity,
    int spam, char **cause)
{
	static const char	 sql[] = "INSERT INTO identities (user_id,"
	    " identity, messages, spam, first_seen, last_seen) VALUES"
	    " (:u, :i, 1, :spam, :now, :now) ON CONFLICT (user_id, identity)"
	    " DO UPDATE SET messages = messages + 1, spam = spam +"
	    " excluded.spam, last_seen = excluded.last_seen";
	sqlite3_stmt		*st;
	int64_t			 uid;

	if (db_user_id(db, user, &uid, NULL, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":u", uid);
	db_bind_text(st, ":i", identity);
	db_bind_int(st, ":spam", spam != 0);
	db_bind_int(st, ":now", db_now());
	return db_step_done(db, st, cause);
}

/* A cursor made of a row id; 0 for none. */
static int
identity_cursor(struct db *db, const char *after, int64_t *id, char **cause)
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
db_identity_list(struct db *db, char *const *scope, const char *user,
    const char *domain, int locked_only, const char *after, int limit,
    json_t **out, char **cause)
{
	static const char	 sql[] = "SELECT i.id AS id, d.name AS domain,"
	    " u.name AS user, i.identity AS identity,"
	    " i.locked AS \"locked?\", i.locked_at AS \"locked_at@\","
	    " i.lock_until AS \"lock_until@\", i.lock_reason AS reason,"
	    " i.auto_unlocks AS auto_unlocks, i.messages AS messages,"
	    " i.spam AS spam, i.last_seen AS \"last_seen@\""
	    " FROM identities i JOIN users u ON u.id = i.user_id"
	    " JOIN domains d ON d.id = u.domain_id"
	    " WHERE i.id > :after AND (:user IS NULL OR u.name = :user)"
	    " AND (:domain IS NULL OR d.name = :domain)"
	    " AND (:locked = 0 OR i.locked = 1)"
	    " AND (:scope IS NULL OR d.name IN"
	    "  (SELECT value FROM json_each(:scope)))"
	    " ORDER BY i.id LIMIT :limit";
	sqlite3_stmt		*st;
	char			*dom = NULL;
	int64_t			 id;

	if (identity_cursor(db, after, &id, cause) == -1)
		return -1;
	if (domain != NULL && (dom = db_domain_normalize(domain, cause)) ==
	    NULL)
		return db_fail(db, NULL, DB_EINVAL, "domain", "%s", "");
	if ((st = db_prep(db, sql, cause)) == NULL) {
		free(dom);
		return -1;
	}
	db_bind_int(st, ":after", id);
	db_bind_text(st, ":user", user);
	db_bind_text(st, ":domain", dom);
	db_bind_int(st, ":locked", locked_only != 0);
	db_bind_scope(st, ":scope", scope);
	free(dom);
	return db_list_run(db, st, limit, "id", out, cause);
}

int
db_identity_lock(struct db *db, const char *user, const char *identity,
    const char *reason, int64_t minutes, const char *by, char **cause)
{
	static const char	 sql[] = "UPDATE identities SET locked = 1,"
	    " locked_at = :now, lock_until = :until, lock_reason = :reason"
	    " WHERE id = :id";
	int64_t			 uid, iid;
	int			 locked;

	if (identity_ids(db, user, identity, &uid, &iid, &locked, cause) == -1)
		return -1;
	if (locked)
		return db_fail(db, cause, DB_ECONFLICT, "identity",
		    "identity %s of %s is already locked", identity, user);
	if (minutes < 0)
		return db_fail(db, cause, DB_EINVAL, "duration",
		    "a lock's duration is a whole number of minutes >= 0");
	return db_lock_apply(db, sql, uid, iid, reason, minutes, by, cause);
}

int
db_identity_unlock(struct db *db, const char *user, const char *identity,
    const char *by, char **cause)
{
	static const char	 sql[] = "UPDATE identities SET locked = 0,"
	    " locked_at = NULL, lock_until = NULL, lock_reason = NULL,"
	    " auto_unlocks = CASE WHEN :manual THEN 0 ELSE auto_unlocks + 1"
	    " END WHERE id = :id";
	int64_t			 uid, iid;
	int			 locked;

	if (identity_ids(db, user, identity, &uid, &iid, &locked, cause) == -1)
		return -1;
	return db_lock_lift(db, sql, uid, iid, by, cause);
}

int
db_identity_reset(struct db *db, const char *user, const char *identity,
    char **cause)
{
	static const char	 sql[] = "UPDATE identities SET messages = 0,"
	    " spam = 0, auto_unlocks = 0 WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 uid, iid;
	int			 locked;

	if (identity_ids(db, user, identity, &uid, &iid, &locked, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", iid);
	return db_step_done(db, st, cause);
}
