/*
 * Newly registered domains: the imported feed (new_domains) and the
 * cached answers of an RDAP server (nrd_rdap).  Names arrive as the
 * daemon judges them, registrable domains in their normal form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

/* A dated line: its time is the feed's word on the domain. */
static int
nrd_put_dated(struct db *db, const struct db_nrd_line *l, const char *source,
    int64_t now, char **cause)
{
	static const char	 sql[] = "INSERT INTO new_domains (domain,"
	    " registered_at, source, imported_at) VALUES (:d, :r, :s, :now)"
	    " ON CONFLICT DO UPDATE SET registered_at = excluded.registered_at,"
	    " source = excluded.source, imported_at = excluded.imported_at";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":d", l->domain);
	db_bind_int(st, ":r", l->registered_at);
	db_bind_text(st, ":s", source);
	db_bind_int(st, ":now", now);
	return db_step_done(db, st, cause);
}

/* A plain line: listed now, unless it is listed already.  1: kept. */
static int
nrd_put_plain(struct db *db, const struct db_nrd_line *l, const char *source,
    int64_t now, char **cause)
{
	static const char	 sql[] = "INSERT INTO new_domains (domain,"
	    " registered_at, source, imported_at) VALUES (:d, :now, :s, :now)"
	    " ON CONFLICT DO NOTHING";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":d", l->domain);
	db_bind_text(st, ":s", source);
	db_bind_int(st, ":now", now);
	if (db_step_done(db, st, cause) == -1)
		return -1;
	return sqlite3_changes(db->h) == 0 ? 1 : 0;
}

/* The import, for status. */
static int
nrd_record(struct db *db, const struct db_nrd_import *im, char **cause)
{
	static const char	 sql[] = "INSERT INTO nrd_imports (time, source,"
	    " lines, taken, bad) VALUES (:now, :s, :lines, :taken, :bad)";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":now", im->now);
	db_bind_text(st, ":s", im->source);
	db_bind_int(st, ":lines", im->lines);
	db_bind_int(st, ":taken", im->taken);
	db_bind_int(st, ":bad", im->bad);
	return db_step_done(db, st, cause);
}

int
db_nrd_import(struct db *db, const struct db_nrd_line *lines, size_t n,
    struct db_nrd_import *im, char **cause)
{
	size_t	i;
	int	rc = 0, r;

	im->taken = im->kept = 0;
	if (im->source == NULL || *im->source == '\0')
		return db_fail(db, cause, DB_EINVAL, "source", "an import "
		    "needs a source name");
	if (db_sp_begin(db, cause) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (lines[i].registered_at != 0)
			r = nrd_put_dated(db, &lines[i], im->source, im->now,
			    cause);
		else
			r = nrd_put_plain(db, &lines[i], im->source, im->now,
			    cause);
		if (r == -1)
			rc = -1;
		else if (r == 1)
			im->kept++;
		else
			im->taken++;
	}
	if (rc == 0)
		rc = nrd_record(db, im, cause);
	if ((rc = db_sp_end(db, rc, cause)) == -1)
		im->taken = im->kept = 0;
	return rc;
}

int
db_nrd_get(struct db *db, const char *domain, int64_t *registered_at,
    char *source, size_t len, char **cause)
{
	static const char	 sql[] = "SELECT registered_at, source"
	    " FROM new_domains WHERE domain = :d";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":d", domain);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		*registered_at = sqlite3_column_int64(st, 0);
		if (source != NULL)
			db_col_copy(st, 1, source, len);
	}
	sqlite3_reset(st);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

int
db_nrd_status(struct db *db, json_t **out, char **cause)
{
	static const char	 sql[] = "SELECT"
	    " (SELECT count(*) FROM new_domains) AS domains,"
	    " i.time AS \"newest_import@\", i.source AS source,"
	    " (SELECT count(*) FROM nrd_rdap) AS rdap_cached"
	    " FROM (SELECT 1) LEFT JOIN (SELECT time, source FROM nrd_imports"
	    "  ORDER BY id DESC LIMIT 1) i";
	sqlite3_stmt		*st;
	int			 rc;

	*out = NULL;
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	if ((rc = db_step_row(db, st, cause)) == 1)
		*out = db_row_object(st);
	sqlite3_reset(st);
	if (rc == 1 && *out == NULL)
		return db_fail(db, cause, DB_EINTERNAL, "", "out of memory");
	return rc == 1 ? 0 : -1;
}

/* One of the purge's deletes, bound with :before and :max. */
static int
nrd_purge_one(struct db *db, const char *sql, int64_t before, int max,
    int64_t *deleted, char **cause)
{
	sqlite3_stmt	*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":before", before);
	db_bind_int(st, ":max", max);
	if (db_step_done(db, st, cause) == -1)
		return -1;
	if (deleted != NULL)
		*deleted = sqlite3_changes(db->h);
	return 0;
}

int
db_nrd_purge(struct db *db, int64_t before, int max, int64_t *deleted,
    char **cause)
{
	static const char	 domains[] = "DELETE FROM new_domains WHERE"
	    " domain IN (SELECT domain FROM new_domains WHERE imported_at <"
	    " :before AND registered_at < :before ORDER BY imported_at"
	    " LIMIT :max)";
	static const char	 imports[] = "DELETE FROM nrd_imports WHERE id IN"
	    " (SELECT id FROM nrd_imports WHERE time < :before ORDER BY id"
	    " LIMIT :max)";
	static const char	 expired[] = "DELETE FROM nrd_rdap WHERE domain IN"
	    " (SELECT domain FROM nrd_rdap WHERE expires_at < :before"
	    " ORDER BY expires_at LIMIT :max)";

	*deleted = 0;
	if (max <= 0)
		return db_fail(db, cause, DB_EINVAL, "max",
		    "a purge deletes at least one row at a time");
	if (nrd_purge_one(db, domains, before, max, deleted, cause) == -1 ||
	    nrd_purge_one(db, imports, before, max, NULL, cause) == -1)
		return -1;
	return nrd_purge_one(db, expired, db_now(), max, NULL, cause);
}

int
db_rdap_get(struct db *db, const char *domain, int64_t now,
    struct db_rdap *r, char **cause)
{
	static const char	 sql[] = "SELECT status, registered_at, detail,"
	    " fetched_at, expires_at FROM nrd_rdap WHERE domain = :d"
	    " AND expires_at > :now";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":d", domain);
	db_bind_int(st, ":now", now);
	if ((rc = db_step_row(db, st, cause)) == 1) {
		memset(r, 0, sizeof *r);
		db_col_copy(st, 0, r->status, sizeof r->status);
		r->registered_at = sqlite3_column_int64(st, 1);
		db_col_copy(st, 2, r->detail, sizeof r->detail);
		r->fetched_at = sqlite3_column_int64(st, 3);
		r->expires_at = sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	return rc == 1 ? 0 : rc == 0 ? 1 : -1;
}

int
db_rdap_put(struct db *db, const char *domain, const struct db_rdap *r,
    char **cause)
{
	static const char	 sql[] = "INSERT INTO nrd_rdap (domain, status,"
	    " registered_at, detail, fetched_at, expires_at) VALUES (:d, :s,"
	    " :r, :detail, :f, :e) ON CONFLICT DO UPDATE SET"
	    " status = excluded.status, registered_at = excluded.registered_at,"
	    " detail = excluded.detail, fetched_at = excluded.fetched_at,"
	    " expires_at = excluded.expires_at";
	sqlite3_stmt		*st;

	if (strcmp(r->status, "found") != 0 &&
	    strcmp(r->status, "not_found") != 0 &&
	    strcmp(r->status, "failed") != 0)
		return db_fail(db, cause, DB_EINVAL, "status", "\"%s\" is not "
		    "an RDAP answer: found, not_found or failed", r->status);
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":d", domain);
	db_bind_text(st, ":s", r->status);
	if (r->registered_at != 0)
		db_bind_int(st, ":r", r->registered_at);
	else
		db_bind_null(st, ":r");
	db_bind_text(st, ":detail", r->detail);
	db_bind_int(st, ":f", r->fetched_at);
	db_bind_int(st, ":e", r->expires_at);
	return db_step_done(db, st, cause);
}
