/*
 * Per-user settings (ipc/usersettings.def).  Only values that differ from
 * the default are stored, so a new setting needs no migration and a
 * changed default reaches every user who kept it.
 */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "ipc.h"

/* A setting naming another object: it must exist. */
static int
settings_template_exists(struct db *db, const char *name, char **cause)
{
	static const char	 sql[] = "SELECT 1 FROM templates"
	    " WHERE name = :name";
	sqlite3_stmt		*st;
	int			 rc;

	if (*name == '\0')
		return 0;
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	rc = db_step_row(db, st, cause);
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "lock.template",
		    "lock.template: template %s not found", name);
	return rc == 1 ? 0 : -1;
}

/* An address setting: empty (none) or an e-mail address, normalised. */
static int
settings_address(struct db *db, const char *key, char **v, char **cause)
{
	char	*addr, *why = NULL;

	if (**v == '\0')
		return 0;
	if ((addr = db_email_normalize(*v, NULL, &why)) == NULL) {
		db_fail(db, cause, DB_EINVAL, key, "%s: %s", key,
		    why != NULL ? why : "not an e-mail address");
		free(why);
		free(*v);
		return -1;
	}
	free(*v);
	*v = addr;
	return 0;
}

/* Check every setting; returns an object key -> normal form. */
static json_t *
settings_check(struct db *db, json_t *settings, char **cause)
{
	const struct ipc_uset	*u;
	struct ipc_error	 err;
	const char		*key;
	json_t			*v, *norm;
	char			*n;

	if (!json_is_object(settings) || json_object_size(settings) == 0) {
		db_fail(db, cause, DB_EINVAL, "settings",
		    "give at least one KEY=VALUE setting");
		return NULL;
	}
	norm = json_object();
	json_object_foreach(settings, key, v) {
		if ((u = ipc_uset_find(key)) == NULL) {
			db_fail(db, cause, DB_EINVAL, key, "unknown setting %s "
			    "(user show lists them)", key);
			goto bad;
		}
		if (!json_is_string(v) || (n = ipc_uset_normalize(u,
		    json_string_value(v), &err)) == NULL) {
			db_fail(db, cause, DB_EINVAL, key, "%s",
			    json_is_string(v) ? err.message : "a setting's "
			    "value is text");
			goto bad;
		}
		if (strcmp(key, "contact") == 0 &&
		    settings_address(db, key, &n, cause) == -1)
			goto bad;
		json_object_set_new(norm, key, json_string(n));
		if (strcmp(key, "lock.template") == 0 &&
		    settings_template_exists(db, n, cause) == -1) {
			free(n);
			goto bad;
		}
		free(n);
	}
	return norm;
bad:
	json_decref(norm);
	return NULL;
}

static int
settings_store(struct db *db, int64_t id, const char *key, const char *v,
    char **cause)
{
	static const char	 put[] = "INSERT INTO user_settings (user_id,"
	    " key, value) VALUES (:id, :key, :value) ON CONFLICT DO UPDATE"
	    " SET value = excluded.value";
	static const char	 del[] = "DELETE FROM user_settings"
	    " WHERE user_id = :id AND key = :key";
	const struct ipc_uset	*u = ipc_uset_find(key);
	sqlite3_stmt		*st;
	int			 dflt = strcmp(v, u->def) == 0;

	if ((st = db_prep(db, dflt ? del : put, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	db_bind_text(st, ":key", key);
	if (!dflt)
		db_bind_text(st, ":value", v);
	return db_step_done(db, st, cause);
}

int
db_user_set(struct db *db, const char *name, json_t *settings, char **cause)
{
	const char	*key;
	json_t		*norm, *v;
	int64_t		 id;
	int		 rc = 0;

	if (db_user_id(db, name, &id, NULL, cause) == -1 ||
	    (norm = settings_check(db, settings, cause)) == NULL)
		return -1;
	if (db_sp_begin(db, cause) == -1) {
		json_decref(norm);
		return -1;
	}
	json_object_foreach(norm, key, v) {
		if ((rc = settings_store(db, id, key, json_string_value(v),
		    cause)) == -1)
			break;
	}
	json_decref(norm);
	return db_sp_end(db, rc, cause);
}
