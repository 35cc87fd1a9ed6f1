/*
 * Opening the database, migrations, transactions, and the helpers every
 * object group uses: statement cache, errors, binding and row shaping.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_int.h"

#define DB_BUSY_MS	5000

static char *
db_vasprintf(const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) == -1)
		return NULL;
	return s;
}

static void
db_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	*cause = db_vasprintf(fmt, ap);
	va_end(ap);
}

void
db_err_clear(struct db *db)
{
	db->errkind = 0;
	db->errfield[0] = '\0';
	free(db->errowner);
	free(db->errpublic);
	db->errowner = db->errpublic = NULL;
}

int
db_fail(struct db *db, char **cause, enum db_errkind kind, const char *field,
    const char *fmt, ...)
{
	va_list	ap;

	db_err_clear(db);
	db->errkind = kind;
	snprintf(db->errfield, sizeof db->errfield, "%s",
	    field != NULL ? field : "");
	if (cause != NULL) {
		va_start(ap, fmt);
		*cause = db_vasprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

void
db_fail_owner(struct db *db, const char *domain, const char *fmt, ...)
{
	va_list	ap;

	free(db->errowner);
	free(db->errpublic);
	db->errowner = strdup(domain);
	va_start(ap, fmt);
	db->errpublic = db_vasprintf(fmt, ap);
	va_end(ap);
}

int
db_fail_sql(struct db *db, char **cause)
{
	return db_fail(db, cause, DB_EINTERNAL, "", "database: %s",
	    sqlite3_errmsg(db->h));
}

enum db_errkind
db_errkind(struct db *db)
{
	return db->errkind != 0 ? db->errkind : DB_EINTERNAL;
}

const char *
db_errfield(struct db *db)
{
	return db->errfield;
}

const char *
db_errowner(struct db *db)
{
	return db->errowner;
}

const char *
db_errpublic(struct db *db)
{
	return db->errpublic;
}

sqlite3_stmt *
db_prep(struct db *db, const char *sql, char **cause)
{
	struct db_stmt	*n;
	sqlite3_stmt	*st;
	size_t		 i;

	for (i = 0; i < db->nstmts; i++) {
		if (db->stmts[i].sql == sql) {
			st = db->stmts[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (db->nstmts == db->capstmts) {
		n = reallocarray(db->stmts, db->capstmts + 32, sizeof *n);
		if (n == NULL) {
			db_fail(db, cause, DB_EINTERNAL, "", "out of memory");
			return NULL;
		}
		db->stmts = n;
		db->capstmts += 32;
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		db_fail_sql(db, cause);
		return NULL;
	}
	db->stmts[db->nstmts].sql = sql;
	db->stmts[db->nstmts++].st = st;
	return st;
}

int
db_exec(struct db *db, const char *sql, char **cause)
{
	char	*msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		db_fail(db, cause, DB_EINTERNAL, "", "database: %s",
		    msg != NULL ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
db_param(sqlite3_stmt *st, const char *name)
{
	return sqlite3_bind_parameter_index(st, name);
}

void
db_bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, db_param(st, name));
	else
		sqlite3_bind_text(st, db_param(st, name), v, -1,
		    SQLITE_TRANSIENT);
}

void
db_bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	sqlite3_bind_int64(st, db_param(st, name), v);
}

void
db_bind_null(sqlite3_stmt *st, const char *name)
{
	sqlite3_bind_null(st, db_param(st, name));
}

void
db_bind_blob(sqlite3_stmt *st, const char *name, const void *p, int len)
{
	sqlite3_bind_blob(st, db_param(st, name), p, len, SQLITE_TRANSIENT);
}

int
db_bind_scope(sqlite3_stmt *st, const char *name, char *const *scope)
{
	json_t	*a;
	char	*s;
	size_t	 i;

	if (scope == NULL) {
		db_bind_null(st, name);
		return 0;
	}
	if ((a = json_array()) == NULL)
		return -1;
	for (i = 0; scope[i] != NULL; i++)
		json_array_append_new(a, json_string(scope[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (s == NULL)
		return -1;
	sqlite3_bind_text(st, db_param(st, name), s, -1, free);
	return 0;
}

int
db_step_done(struct db *db, sqlite3_stmt *st, char **cause)
{
	int	rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail_sql(db, cause);
	return 0;
}

int
db_step_row(struct db *db, sqlite3_stmt *st, char **cause)
{
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		return db_fail_sql(db, cause);
	}
}

char *
db_strdup_col(sqlite3_stmt *st, int col)
{
	const unsigned char	*t;

	if ((t = sqlite3_column_text(st, col)) == NULL)
		return NULL;
	return strdup((const char *)t);
}

static int64_t	(*db_clock)(void);

int64_t
db_now(void)
{
	return db_clock != NULL ? db_clock() : (int64_t)time(NULL);
}

void
db_clock_set(int64_t (*now)(void))
{
	db_clock = now;
}

void
db_time_format(int64_t t, char *buf, size_t len)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* One column as JSON, shown the way its name's suffix asks. */
static json_t *
db_col_json(sqlite3_stmt *st, int i, const char *suffix)
{
	char	 buf[32];
	int	 type = sqlite3_column_type(st, i);

	if (type == SQLITE_NULL)
		return json_null();
	if (strcmp(suffix, "?") == 0)
		return json_boolean(sqlite3_column_int64(st, i) != 0);
	if (strcmp(suffix, "@") == 0) {
		db_time_format(sqlite3_column_int64(st, i), buf, sizeof buf);
		return json_string(buf);
	}
	if (strcmp(suffix, "[]") == 0)
		return json_loads((const char *)sqlite3_column_text(st, i),
		    JSON_DECODE_ANY, NULL);
	if (type == SQLITE_INTEGER)
		return json_integer(sqlite3_column_int64(st, i));
	if (type == SQLITE_FLOAT)
		return json_real(sqlite3_column_double(st, i));
	return json_stringn((const char *)sqlite3_column_text(st, i),
	    sqlite3_column_bytes(st, i));
}

json_t *
db_row_object(sqlite3_stmt *st)
{
	json_t		*o;
	const char	*name;
	char		 key[64];
	size_t		 n, k;
	int		 i;

	if ((o = json_object()) == NULL)
		return NULL;
	for (i = 0; i < sqlite3_column_count(st); i++) {
		name = sqlite3_column_name(st, i);
		n = strlen(name);
		k = strcspn(name, "?@[");
		if (k >= sizeof key || n >= sizeof key)
			continue;
		memcpy(key, name, k);
		key[k] = '\0';
		json_object_set_new(o, key, db_col_json(st, i, name + k));
	}
	return o;
}

int
db_list_limit(int limit)
{
	if (limit <= 0)
		return DB_LIST_DEFAULT;
	return limit > DB_LIST_MAX ? DB_LIST_MAX : limit;
}

int
db_list_run(struct db *db, sqlite3_stmt *st, int limit,
    const char *cursor_member, json_t **out, char **cause)
{
	json_t	*items, *last = NULL, *next = json_null(), *c;
	int	 n = 0, rc;

	limit = db_list_limit(limit);
	db_bind_int(st, ":limit", limit + 1);
	items = json_array();
	while ((rc = db_step_row(db, st, cause)) == 1) {
		if (n++ == limit) {
			c = json_object_get(last, cursor_member);
			next = json_is_integer(c) ? json_sprintf("%lld",
			    (long long)json_integer_value(c)) : json_copy(c);
			break;
		}
		last = db_row_object(st);
		json_array_append_new(items, last);
	}
	sqlite3_reset(st);
	if (rc == -1) {
		json_decref(items);
		return -1;
	}
	*out = json_pack("{s:o,s:o}", "items", items, "next", next);
	return 0;
}

/* Savepoint statements are prepared once: the relay takes one per message. */
static int
db_sp_run(struct db *db, const char *sql, char **cause)
{
	sqlite3_stmt	*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	return db_step_done(db, st, cause);
}

static const char db_sp_sql[] = "SAVEPOINT db_sp";
static const char db_sp_undo[] = "ROLLBACK TO db_sp";
static const char db_sp_release[] = "RELEASE db_sp";

int
db_sp_begin(struct db *db, char **cause)
{
	if (db_sp_run(db, db_sp_sql, cause) == -1)
		return -1;
	db->savepoints++;
	return 0;
}

/* End a savepoint: keep its changes when rc is 0, undo them otherwise. */
int
db_sp_end(struct db *db, int rc, char **cause)
{
	db->savepoints--;
	if (rc != 0) {
		db_sp_run(db, db_sp_undo, NULL);
		db_sp_run(db, db_sp_release, NULL);
		return rc;
	}
	return db_sp_run(db, db_sp_release, cause);
}

int
db_begin(struct db *db, char **cause)
{
	return db_exec(db, "BEGIN IMMEDIATE", cause);
}

int
db_commit(struct db *db, char **cause)
{
	return db_exec(db, "COMMIT", cause);
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if ((st = db_prep(db, "PRAGMA user_version", NULL)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return v;
}

int
db_schema_latest(void)
{
	return db_nmigrations;
}

/*
 * Bring the schema to the newest version, one migration per transaction;
 * each migration sets user_version itself, so a failed one leaves the
 * database at the version before it.
 */
static int
db_migrate(struct db *db, char **cause)
{
	int	v;

	if ((v = db_schema_version(db)) < 0)
		return db_fail_sql(db, cause);
	if (v > db_nmigrations)
		return db_fail(db, cause, DB_EINTERNAL, "",
		    "the database's schema version %d is newer than this "
		    "program knows (%d)", v, db_nmigrations);
	for (; v < db_nmigrations; v++) {
		if (db_exec(db, "BEGIN IMMEDIATE", cause) == -1)
			return -1;
		if (db_exec(db, db_migrations[v], cause) == -1) {
			db_rollback(db);
			return -1;
		}
		if (db_exec(db, "COMMIT", cause) == -1) {
			db_rollback(db);
			return -1;
		}
	}
	return 0;
}

/*
 * A 64 MiB page cache keeps the indexes of a large log in memory, and
 * keeps a big transaction from spilling pages to the WAL one by one;
 * savepoints keep their journal in memory rather than in a temporary
 * file written page by page.
 */
static int
db_setup(struct db *db, char **cause)
{
	sqlite3_busy_timeout(db->h, DB_BUSY_MS);
	sqlite3_extended_result_codes(db->h, 1);
	if (db_exec(db, "PRAGMA journal_mode = WAL", cause) == -1 ||
	    db_exec(db, "PRAGMA synchronous = NORMAL", cause) == -1 ||
	    db_exec(db, "PRAGMA foreign_keys = ON", cause) == -1 ||
	    db_exec(db, "PRAGMA cache_size = -65536", cause) == -1 ||
	    db_exec(db, "PRAGMA temp_store = MEMORY", cause) == -1)
		return -1;
	return db_migrate(db, cause);
}

struct db *
db_open(const char *path, int create, char **cause)
{
	struct db	*db;
	struct stat	 sb;
	int		 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if (!create && stat(path, &sb) == -1) {
		db_cause(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if ((db = calloc(1, sizeof *db)) == NULL) {
		db_cause(cause, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		db_cause(cause, "%s: %s", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "out of memory");
		db_close(db);
		return NULL;
	}
	if (db_setup(db, cause) == -1) {
		db_close(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db *db)
{
	size_t	i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nstmts; i++)
		sqlite3_finalize(db->stmts[i].st);
	free(db->stmts);
	db_err_clear(db);
	sqlite3_close(db->h);
	free(db);
}
