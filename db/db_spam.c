/*
 * The builtin spam classifier's token store: for each token the number of
 * ham and spam messages that held it, and how many messages of each kind
 * were learnt.  The daemon scores from an in-memory copy loaded with
 * db_spam_load; learning writes here first.
 */
#include "db_int.h"

/* Add one to the ham or spam message total. */
static int
spam_total_add(struct db *db, int is_spam, char **cause)
{
	static const char	 sql_ham[] = "UPDATE spam_totals SET"
	    " ham = ham + 1 WHERE id = 1";
	static const char	 sql_spam[] = "UPDATE spam_totals SET"
	    " spam = spam + 1 WHERE id = 1";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, is_spam ? sql_spam : sql_ham, cause)) == NULL)
		return -1;
	return db_step_done(db, st, cause);
}

/* Add one to a token's ham or spam count, making it on first sight. */
static int
spam_token_add(struct db *db, sqlite3_stmt *st, const char *token,
    char **cause)
{
	db_bind_text(st, ":t", token);
	return db_step_done(db, st, cause);
}

static int
spam_learn_rows(struct db *db, char *const *tokens, size_t n, int is_spam,
    char **cause)
{
	static const char	 sql_ham[] = "INSERT INTO spam_tokens"
	    " (token, ham, spam) VALUES (:t, 1, 0) ON CONFLICT(token)"
	    " DO UPDATE SET ham = ham + 1";
	static const char	 sql_spam[] = "INSERT INTO spam_tokens"
	    " (token, ham, spam) VALUES (:t, 0, 1) ON CONFLICT(token)"
	    " DO UPDATE SET spam = spam + 1";
	sqlite3_stmt		*st;
	size_t			 i;

	if (spam_total_add(db, is_spam, cause) == -1 ||
	    (st = db_prep(db, is_spam ? sql_spam : sql_ham, cause)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (spam_token_add(db, st, tokens[i], cause) == -1)
			return -1;
	}
	return 0;
}

int
db_spam_learn(struct db *db, char *const *tokens, size_t n, int is_spam,
    char **cause)
{
	if (db_sp_begin(db, cause) == -1)
		return -1;
	return db_sp_end(db, spam_learn_rows(db, tokens, n, is_spam, cause),
	    cause);
}

int
db_spam_totals(struct db *db, int64_t *ham, int64_t *spam, char **cause)
{
	static const char	 sql[] = "SELECT ham, spam FROM spam_totals"
	    " WHERE id = 1";
	sqlite3_stmt		*st;
	int			 rc;

	*ham = *spam = 0;
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*ham = sqlite3_column_int64(st, 0);
		*spam = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == -1 ? -1 : 0;
}

int
db_spam_load(struct db *db, db_spam_token_fn *fn, void *arg, char **cause)
{
	static const char	 sql[] = "SELECT token, ham, spam FROM"
	    " spam_tokens";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	while ((rc = db_step_row(db, st, cause)) == 1) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2)) == -1) {
			sqlite3_reset(st);
			return db_fail(db, cause, DB_EINTERNAL, "",
			    "out of memory loading the spam tokens");
		}
	}
	sqlite3_reset(st);
	return rc;
}
