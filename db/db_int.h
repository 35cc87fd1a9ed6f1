/* Inside db/: the handle, statement cache, error and row helpers. */
#ifndef OF_DB_INT_H
#define OF_DB_INT_H

#include <sqlite3.h>

#include "db.h"

struct db_stmt {
	const char	*sql;		/* a string constant: compared by address */
	sqlite3_stmt	*st;
};

struct db {
	sqlite3		*h;
	struct db_stmt	*stmts;
	size_t		 nstmts, capstmts;
	int		 savepoints;	/* depth of db_sp_begin */
	enum db_errkind	 errkind;
	char		 errfield[64];
	char		*errowner;
	char		*errpublic;
};

/* The prepared statement for sql, reset and unbound; NULL with cause. */
sqlite3_stmt	*db_prep(struct db *, const char *sql, char **cause);
int		 db_exec(struct db *, const char *sql, char **cause);

int		 db_fail(struct db *, char **cause, enum db_errkind,
		    const char *field, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));
/* Records that the failure names an object of domain, and a wording without it. */
void		 db_fail_owner(struct db *, const char *domain,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A failure of SQLite itself. */
int		 db_fail_sql(struct db *, char **cause);
void		 db_err_clear(struct db *);

/* Savepoints make a multi-row change atomic inside or outside db_begin. */
int		 db_sp_begin(struct db *, char **cause);
int		 db_sp_end(struct db *, int rc, char **cause);

/* Bind by parameter name; a NULL text binds NULL. */
void		 db_bind_text(sqlite3_stmt *, const char *name, const char *);
void		 db_bind_int(sqlite3_stmt *, const char *name, int64_t);
void		 db_bind_null(sqlite3_stmt *, const char *name);
void		 db_bind_blob(sqlite3_stmt *, const char *name, const void *,
		    int len);
/* Bind a scope (list of domains) as JSON text for json_each, or NULL. */
int		 db_bind_scope(sqlite3_stmt *, const char *name,
		    char *const *scope);

/* Step a statement that changes rows; -1 with cause on failure. */
int		 db_step_done(struct db *, sqlite3_stmt *, char **cause);
/* Step for one row: 1 row, 0 none, -1 error. */
int		 db_step_row(struct db *, sqlite3_stmt *, char **cause);

/*
 * The current row as an object, members named and ordered as the
 * columns.  Column name suffixes say how to show a value: "?" a boolean,
 * "@" epoch seconds shown as UTC time, "[]" JSON text parsed.
 */
json_t		*db_row_object(sqlite3_stmt *);
/* Run a list query bound with :limit (set here to limit + 1). */
int		 db_list_run(struct db *, sqlite3_stmt *, int limit,
		    const char *cursor_member, json_t **out, char **cause);
int		 db_list_limit(int limit);
char		*db_strdup_col(sqlite3_stmt *, int col);
/* A text column into a fixed buffer ("" for NULL), cut to fit. */
void		 db_col_copy(sqlite3_stmt *, int col, char *buf, size_t len);
int64_t		 db_now(void);
void		 db_time_format(int64_t, char *buf, size_t len);

/* Lookups shared between object groups. */
int		 db_domain_id(struct db *, const char *name, int64_t *id,
		    char **cause);
int		 db_user_id(struct db *, const char *name, int64_t *id,
		    char **kind, char **cause);

/* Schema. */
extern const char *const db_migrations[];
extern const int	 db_nmigrations;

#endif
