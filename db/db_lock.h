/* Inside db/: locking shared by users and identities (db_lock.c). */
#ifndef OF_DB_LOCK_H
#define OF_DB_LOCK_H

int	db_lock_apply(struct db *, const char *sql, int64_t user_id,
	    int64_t identity_id, const char *reason, int64_t minutes,
	    const char *by, char **cause);
int	db_lock_lift(struct db *, const char *sql, int64_t user_id,
	    int64_t identity_id, const char *by, char **cause);

#endif
