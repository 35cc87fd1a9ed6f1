/*
 * outfilter data access.  Only db/ speaks SQL or includes <sqlite3.h>;
 * nothing of SQLite shows through this interface, so that a second backend
 * (PostgreSQL) can sit behind the same functions.  Functions return 0 on
 * success and -1 with *cause set (a malloc'ed sentence the caller frees)
 * on failure, unless said otherwise.  Results are handed out as jansson
 * objects shaped as the control protocol shows them.
 */
#ifndef OF_DB_H
#define OF_DB_H

#include <stdint.h>
#include <jansson.h>

struct db;

/* Open (and with create, make) the database; runs pending migrations. */
struct db	*db_open(const char *path, int create, char **cause);
void		 db_close(struct db *);
int		 db_schema_version(struct db *);

int		 db_begin(struct db *, char **cause);	/* write transaction */
int		 db_commit(struct db *, char **cause);
void		 db_rollback(struct db *);

/*
 * Admin accounts.  db_admin_get returns 0 and fills the outputs (hash and
 * domains are the caller's: free(*hash), json_decref(*domains)), 1 when
 * there is no such admin, -1 on error.
 */
int		 db_admin_get(struct db *, const char *name, char **hash,
		    int *super, json_t **domains, char **cause);
int		 db_admin_add(struct db *, const char *name, const char *hash,
		    int super, json_t *domains, char **cause);
int		 db_admin_count(struct db *, int64_t *count, char **cause);

#endif
