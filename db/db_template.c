/*
 * Lock-notification templates: what a locked sender is told, in a
 * language, as plain text and optionally HTML.  Their placeholders are
 * daemon/notice.c's language: the control commands check them there
 * before a template is stored.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define TEMPLATE_NAME_MAX	128
#define TEMPLATE_LANG_MAX	35
/* The template notices fall back to; it can be changed, not deleted. */
#define TEMPLATE_DEFAULT	"default"

/* Names are shown in lists and set as lock.template: one printable line. */
static int
template_name_check(struct db *db, const char *name, char **cause)
{
	const unsigned char	*p;

	if (*name == '\0' || strlen(name) > TEMPLATE_NAME_MAX)
		goto bad;
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < ' ' || *p == 0x7f)
			goto bad;
	}
	return 0;
bad:
	return db_fail(db, cause, DB_EINVAL, "name", "\"%.200s\" is not a "
	    "valid template name (1 to %d characters on one line)", name,
	    TEMPLATE_NAME_MAX);
}

/* The subject becomes a header: a line break in it would forge others. */
static int
template_subject_check(struct db *db, const char *subject, char **cause)
{
	if (subject == NULL)
		return 0;
	if (*subject == '\0' || strpbrk(subject, "\r\n") != NULL)
		return db_fail(db, cause, DB_EINVAL, "subject", "a template's "
		    "subject is one line of text, not empty");
	return 0;
}

/*
 * A language tag as in Content-Language (RFC 5646, loosely): a primary
 * tag of 2 to 8 letters, then subtags of 1 to 8 letters or digits.
 */
static int
template_language_check(struct db *db, const char *lang, char **cause)
{
	const char	*p = lang;
	size_t		 n;

	if (lang == NULL)
		return 0;
	for (n = 0; isalpha((unsigned char)p[n]); n++)
		;
	if (n < 2 || n > 8 || strlen(lang) > TEMPLATE_LANG_MAX)
		goto bad;
	for (p += n; *p == '-'; p += n) {
		for (p++, n = 0; isalnum((unsigned char)p[n]); n++)
			;
		if (n < 1 || n > 8)
			goto bad;
	}
	if (*p == '\0')
		return 0;
bad:
	return db_fail(db, cause, DB_EINVAL, "language", "\"%.100s\" is not "
	    "a language tag: give one such as en, de or pt-BR", lang);
}

static int
template_id(struct db *db, const char *name, int64_t *id, char **cause)
{
	static const char	 sql[] = "SELECT id FROM templates"
	    " WHERE name = :name";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == 0)
		return db_fail(db, cause, DB_ENOTFOUND, "name",
		    "template %s not found", name);
	return rc == 1 ? 0 : -1;
}

int
db_template_add(struct db *db, const struct db_template *t, char **cause)
{
	static const char	 sql[] = "INSERT INTO templates (name, language,"
	    " subject, body, html, created, updated) VALUES (:name, :language,"
	    " :subject, :body, :html, :now, :now)";
	sqlite3_stmt		*st;
	int64_t			 id;

	if (template_name_check(db, t->name, cause) == -1 ||
	    template_language_check(db, t->language, cause) == -1 ||
	    template_subject_check(db, t->subject != NULL ? t->subject : "",
	    cause) == -1)
		return -1;
	if (template_id(db, t->name, &id, cause) == 0)
		return db_fail(db, cause, DB_ECONFLICT, "name",
		    "template %s already exists", t->name);
	if (db_errkind(db) != DB_ENOTFOUND)
		return -1;
	free(*cause);
	*cause = NULL;
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", t->name);
	db_bind_text(st, ":language", t->language != NULL ? t->language :
	    "en");
	db_bind_text(st, ":subject", t->subject);
	db_bind_text(st, ":body", t->body != NULL ? t->body : "");
	db_bind_text(st, ":html", t->html != NULL && *t->html != '\0' ?
	    t->html : NULL);
	db_bind_int(st, ":now", db_now());
	return db_step_done(db, st, cause);
}

int
db_template_list(struct db *db, const char *after, int limit, json_t **out,
    char **cause)
{
	static const char	 sql[] = "SELECT t.name AS name,"
	    " t.language AS language, t.subject AS subject,"
	    " t.html IS NOT NULL AS \"html?\", (SELECT count(*)"
	    "  FROM user_settings s"
	    "  WHERE s.key = 'lock.template' AND s.value = t.name) AS users,"
	    " t.updated AS \"updated@\" FROM templates t"
	    " WHERE t.name > :after ORDER BY t.name LIMIT :limit";
	sqlite3_stmt		*st;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":after", after != NULL ? after : "");
	return db_list_run(db, st, limit, "name", out, cause);
}

int
db_template_show(struct db *db, const char *name, json_t **out,
    char **cause)
{
	static const char	 sql[] = "SELECT name, language, subject, body,"
	    " html, created AS \"created@\", updated AS \"updated@\""
	    " FROM templates WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;
	int			 rc;

	if (template_id(db, name, &id, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	if ((rc = db_step_row(db, st, cause)) == 1)
		*out = db_row_object(st);
	sqlite3_reset(st);
	return rc == 1 ? 0 : -1;
}

int
db_template_set(struct db *db, const struct db_template *t, char **cause)
{
	static const char	 sql[] = "UPDATE templates SET"
	    " language = coalesce(:language, language),"
	    " subject = coalesce(:subject, subject),"
	    " body = coalesce(:body, body),"
	    " html = CASE WHEN :html_given THEN :html ELSE html END,"
	    " updated = :now WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;

	if (template_id(db, t->name, &id, cause) == -1 ||
	    template_language_check(db, t->language, cause) == -1 ||
	    template_subject_check(db, t->subject, cause) == -1)
		return -1;
	if (t->language == NULL && t->subject == NULL && t->body == NULL &&
	    t->html == NULL)
		return db_fail(db, cause, DB_EINVAL, "subject", "give a new "
		    "language, subject, body or HTML body");
	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":language", t->language);
	db_bind_text(st, ":subject", t->subject);
	db_bind_text(st, ":body", t->body);
	db_bind_int(st, ":html_given", t->html != NULL);
	db_bind_text(st, ":html", t->html != NULL && *t->html != '\0' ?
	    t->html : NULL);
	db_bind_int(st, ":now", db_now());
	db_bind_int(st, ":id", id);
	return db_step_done(db, st, cause);
}

/* Refuse to delete a template users name, naming a few of them. */
static int
template_unused(struct db *db, const char *name, char **cause)
{
	static const char	 sql[] = "SELECT count(*), (SELECT"
	    " group_concat(n, ', ') FROM (SELECT u.name AS n FROM"
	    " user_settings s JOIN users u ON u.id = s.user_id"
	    " WHERE s.key = 'lock.template' AND s.value = :name"
	    " ORDER BY u.name LIMIT 3)) FROM user_settings"
	    " WHERE key = 'lock.template' AND value = :name";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_text(st, ":name", name);
	if ((rc = db_step_row(db, st, cause)) == 1 &&
	    sqlite3_column_int64(st, 0) > 0)
		rc = db_fail(db, cause, DB_ECONFLICT, "name", "template %s is "
		    "in use by %lld user(s): %s%s", name,
		    (long long)sqlite3_column_int64(st, 0),
		    sqlite3_column_text(st, 1),
		    sqlite3_column_int64(st, 0) > 3 ? ", ..." : "");
	sqlite3_reset(st);
	return rc == -1 ? -1 : 0;
}

int
db_template_del(struct db *db, const char *name, char **cause)
{
	static const char	 sql[] = "DELETE FROM templates WHERE id = :id";
	sqlite3_stmt		*st;
	int64_t			 id;

	if (template_id(db, name, &id, cause) == -1)
		return -1;
	if (strcmp(name, TEMPLATE_DEFAULT) == 0)
		return db_fail(db, cause, DB_ECONFLICT, "name", "template "
		    TEMPLATE_DEFAULT " is the one notices fall back to: change "
		    "it with template set instead");
	if (template_unused(db, name, cause) == -1 ||
	    (st = db_prep(db, sql, cause)) == NULL)
		return -1;
	db_bind_int(st, ":id", id);
	return db_step_done(db, st, cause);
}
