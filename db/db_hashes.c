/*
 * The list of known tools by SHA-256 (content_hashes): imported by an
 * admin, looked up for each file of a message by the content scanner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

int
db_hashes_import(struct db *db, const struct db_hash_line *lines, size_t n,
    int64_t now, int64_t *taken, char **cause)
{
	static const char	 sql[] = "INSERT INTO content_hashes (sha256,"
	    " name, category, imported_at) VALUES (:h, :n, :c, :now)"
	    " ON CONFLICT DO UPDATE SET name = excluded.name,"
	    " category = excluded.category,"
	    " imported_at = excluded.imported_at";
	sqlite3_stmt		*st;
	size_t			 i;
	int			 rc = 0;

	*taken = 0;
	if (db_sp_begin(db, cause) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if ((st = db_prep(db, sql, cause)) == NULL) {
			rc = -1;
			break;
		}
		db_bind_text(st, ":h", lines[i].sha256);
		db_bind_text(st, ":n", lines[i].name);
		db_bind_text(st, ":c", lines[i].category);
		db_bind_int(st, ":now", now);
		if ((rc = db_step_done(db, st, cause)) == 0)
			(*taken)++;
	}
	if ((rc = db_sp_end(db, rc, cause)) == -1)
		*taken = 0;
	return rc;
}

int
db_hashes_get(struct db *db, const char *sha256, char *name, size_t namelen,
    char *category, size_t catlen, char **cause)
{
	static const char	 sql[] = "SELECT name, category FROM"
	    " content_hashes WHERE sha256 = :h";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":h", sha256);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		db_col_copy(st, 0, name, namelen);
		db_col_copy(st, 1, category, catlen);
	}
	sqlite3_reset(st);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

int
db_hashes_count(struct db *db, json_t *categories, int64_t *total,
    char **cause)
{
	static const char	 sql[] = "SELECT category, count(*) FROM"
	    " content_hashes GROUP BY category ORDER BY category";
	sqlite3_stmt		*st;
	int			 rc;
	char			 cat[64];

	*total = 0;
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	while ((rc = db_step_row(db, st, cause)) == 1) {
		db_col_copy(st, 0, cat, sizeof cat);
		*total += sqlite3_column_int64(st, 1);
		if (json_object_set_new(categories, cat,
		    json_integer(sqlite3_column_int64(st, 1))) == -1) {
			sqlite3_reset(st);
			return db_fail(db, cause, DB_EINTERNAL, "",
			    "out of memory");
		}
	}
	sqlite3_reset(st);
	return rc == 0 ? 0 : -1;
}
