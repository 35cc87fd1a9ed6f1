/*
 * What the relay reads of a sending user on each connection and message:
 * kind, domain and whether its filter is on, the lock in force, and the
 * settings that differ from their defaults.  Read afresh every time, so
 * that a lock or a changed limit counts at the next command.
 */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "ipc.h"

/* Copy a text column into a fixed buffer ("" for NULL), cut to fit. */
void
db_col_copy(sqlite3_stmt *st, int col, char *buf, size_t len)
{
	const unsigned char	*s = sqlite3_column_text(st, col);

	if (s == NULL)
		s = (const unsigned char *)"";
	strncpy(buf, (const char *)s, len - 1);
	buf[len - 1] = '\0';
}

static int
sender_settings(struct db *db, struct db_sender *s, char **cause)
{
	static const char	 sql[] = "SELECT key, value FROM user_settings"
	    " WHERE user_id = :id";
	sqlite3_stmt		*st;
	int			 rc;

	if ((s->settings = json_object()) == NULL)
		return db_fail(db, cause, DB_EINTERNAL, "", "out of memory");
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", s->id);
	while ((rc = db_step_row(db, st, cause)) == 1)
		json_object_set_new(s->settings, (const char *)
		    sqlite3_column_text(st, 0), json_string((const char *)
		    sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	return rc;
}

int
db_sender_get(struct db *db, const char *name, struct db_sender *s,
    char **cause)
{
	static const char	 sql[] = "SELECT u.id, u.name, u.kind, d.name,"
	    " d.active, u.locked = 1 AND (u.lock_until IS NULL OR"
	    " u.lock_until > :now), coalesce(u.lock_until, 0),"
	    " coalesce(u.lock_reason, ''), d.admin_contact FROM users u"
	    " JOIN domains d ON d.id = u.domain_id WHERE u.name = :name";
	sqlite3_stmt		*st;
	int			 rc;

	memset(s, 0, sizeof *s);
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	db_bind_int(st, ":now", db_now());
	if ((rc = db_step_row(db, st, cause)) == 1) {
		s->id = sqlite3_column_int64(st, 0);
		db_col_copy(st, 1, s->name, sizeof s->name);
		db_col_copy(st, 2, s->kind, sizeof s->kind);
		db_col_copy(st, 3, s->domain, sizeof s->domain);
		s->domain_active = sqlite3_column_int(st, 4);
		s->locked = sqlite3_column_int(st, 5);
		s->lock_until = sqlite3_column_int64(st, 6);
		db_col_copy(st, 7, s->lock_reason, sizeof s->lock_reason);
		db_col_copy(st, 8, s->admin_contact, sizeof s->admin_contact);
	}
	sqlite3_reset(st);
	if (rc != 1)
		return rc == 0 ? 1 : -1;
	if (sender_settings(db, s, cause) == -1) {
		db_sender_free(s);
		return -1;
	}
	return 0;
}

void
db_sender_free(struct db_sender *s)
{
	json_decref(s->settings);
	s->settings = NULL;
}

int
db_domain_known(struct db *db, const char *name, char **cause)
{
	static const char	 sql[] = "SELECT 1 FROM domains WHERE name = :name";
	sqlite3_stmt		*st;
	char			*norm, *why = NULL;
	int			 rc;

	/* A sender's domain part that is not a valid name is simply unknown. */
	if ((norm = db_domain_normalize(name, &why)) == NULL) {
		free(why);
		return 0;
	}
	if ((st = db_prep(db, sql, cause)) != NULL) {
		db_bind_text(st, ":name", norm);
		rc = db_step_row(db, st, cause);
		sqlite3_reset(st);
	} else
		rc = -1;
	free(norm);
	return rc;
}

const char *
db_sender_setting(const struct db_sender *s, const char *key)
{
	const struct ipc_uset	*u = ipc_uset_find(key);
	json_t			*v = json_object_get(s->settings, key);

	if (v != NULL && json_is_string(v))
		return json_string_value(v);
	return u != NULL ? u->def : "";
}
