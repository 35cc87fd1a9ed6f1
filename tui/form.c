/*
 * Forms: labelled fields in a column, each from the command table or the
 * settings table with its type, choices and help.  Values are kept here
 * while the screen (scr_form.c) shows and edits them; a save sends them
 * to the daemon, and a refusal lands at the field it names with what was
 * typed kept.  Passwords are wiped when they go.
 */
#define _GNU_SOURCE		/* vasprintf, asprintf */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "form.h"

/* Replace a value; the old one is wiped first (it may be a password). */
void
form_set(struct field *fl, const char *v)
{
	char	*copy;

	/* Unchanged: pointers handed out by form_value stay good. */
	if (v == NULL)
		v = "";
	if (fl->value != NULL && strcmp(fl->value, v) == 0)
		return;
	if ((copy = strdup(v)) == NULL)
		return;
	if (fl->value != NULL) {
		sodium_memzero(fl->value, strlen(fl->value));
		free(fl->value);
	}
	fl->value = copy;
}

struct form *
form_new(const char *title, form_save_fn *save, void *arg)
{
	struct form	*f;
	char		*safe;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return NULL;
	safe = text_safe(title, 0);
	snprintf(f->title, sizeof f->title, "%s", safe != NULL ? safe : "");
	free(safe);
	f->save = save;
	f->arg = arg;
	snprintf(f->button, sizeof f->button, "Save");
	return f;
}

void
form_free(struct form *f)
{
	int	i;

	if (f->free_arg != NULL)
		f->free_arg(f->arg);
	for (i = 0; i < f->n; i++) {
		sodium_memzero(f->f[i].value, strlen(f->f[i].value));
		free(f->f[i].value);
		free(f->f[i].initial);
		free(f->f[i].shown);
		free(f->f[i].key);
		free(f->f[i].label);
		free(f->f[i].choices);
		free(f->f[i].help);
	}
	sodium_memzero(f, sizeof *f);
	free(f);
}

int
form_field(struct form *f, const char *key, const char *label,
    enum field_type type, const char *choices, const char *initial,
    const char *help)
{
	struct field	*fl;
	char		 first[64];

	if (f->n == FORM_MAX_FIELDS)
		return -1;
	fl = &f->f[f->n];
	memset(fl, 0, sizeof *fl);
	fl->type = type;
	fl->row = -1;

	/* A choice starts at its first choice unless told. */
	if ((initial == NULL || *initial == '\0') && choices != NULL) {
		snprintf(first, sizeof first, "%.*s", (int)strcspn(choices,
		    "|"), choices);
		initial = first;
	}
	if ((fl->key = strdup(key)) == NULL ||
	    (fl->label = text_safe(label, 0)) == NULL ||
	    (choices != NULL && (fl->choices = strdup(choices)) == NULL) ||
	    (fl->help = text_safe(help != NULL ? help : "", 0)) == NULL ||
	    (fl->initial = strdup(initial != NULL ? initial : "")) == NULL ||
	    (fl->shown = type == FT_EDITOR ? strdup(fl->initial) :
	    text_safe(fl->initial, 0)) == NULL ||
	    (fl->value = strdup(fl->shown)) == NULL) {
		free(fl->key);
		free(fl->label);
		free(fl->choices);
		free(fl->help);
		free(fl->initial);
		free(fl->shown);
		return -1;
	}
	f->n++;
	return 0;
}

/* "admin_contact" as "Admin contact". */
static void
form_label_of(const char *key, char *buf, size_t size)
{
	size_t	i;

	snprintf(buf, size, "%s", key);
	for (i = 0; buf[i] != '\0'; i++) {
		if (buf[i] == '_')
			buf[i] = ' ';
	}
	buf[0] = (char)toupper((unsigned char)buf[0]);
}

int
form_arg(struct form *f, const char *cmd, const char *key, const char *label,
    const char *initial)
{
	const struct ipc_cmd	*c = ipc_cmd_find(cmd);
	const struct ipc_arg	*a = c != NULL ? ipc_cmd_arg(c, key) : NULL;
	enum field_type		 type = FT_TEXT;
	const char		*choices = NULL, *more = "";
	char			 name[64], help[512];

	if (a == NULL)
		return -1;
	switch (a->type) {
	case T_INT:	type = FT_INT; break;
	case T_BOOL:	type = FT_BOOL; choices = "no|yes"; break;
	case T_LIST:	type = FT_LIST; more = " (several: commas between)";
			break;
	case T_SECRET:	type = FT_SECRET; break;
	case T_TEXT:	type = FT_EDITOR; break;
	default:
		/* "rsa-2048|ed25519": the metavar names the choices. */
		if (a->metavar != NULL && strchr(a->metavar, '|') != NULL) {
			type = FT_CHOICE;
			choices = a->metavar;
		}
		break;
	}
	if (label == NULL) {
		form_label_of(key, name, sizeof name);
		label = name;
	}
	/* "(repeatable)" is the command line's: a field takes a list. */
	snprintf(help, sizeof help, "%.*s%s", (int)(strstr(a->help,
	    " (repeatable)") != NULL ? strstr(a->help, " (repeatable)") -
	    a->help : (ptrdiff_t)strlen(a->help)), a->help, more);
	return form_field(f, key, label, type, choices, initial, help);
}

/* A setting's value as the field shows it. */
static char *
form_uset_text(const struct ipc_uset *u, const json_t *v)
{
	char	*s = NULL;

	if (v == NULL)
		return strdup(u->def);
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		if (asprintf(&s, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v)) == -1)
			return NULL;
		return s;
	case JSON_TRUE:
		return strdup("on");
	case JSON_FALSE:
		return strdup("off");
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_ARRAY:
		/* One entry as itself; several as the JSON array user set takes. */
		if (json_array_size(v) == 0)
			return strdup("");
		if (json_array_size(v) == 1 &&
		    json_is_string(json_array_get(v, 0)))
			return strdup(json_string_value(json_array_get(v, 0)));
		return json_dumps(v, JSON_COMPACT);
	default:
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
}

int
form_uset(struct form *f, const struct ipc_uset *u, const json_t *settings)
{
	enum field_type	 type = FT_TEXT;
	const char	*choices = NULL;
	char		*initial, help[512];
	int		 rc;

	switch (u->type) {
	case US_INT:	type = FT_INT; break;
	case US_BOOL:	type = FT_BOOL; choices = "off|on"; break;
	case US_ENUM:	type = FT_CHOICE; choices = u->choices; break;
	default:	break;
	}
	snprintf(help, sizeof help, "%s%s", u->help, u->type == US_LIST ?
	    " (one entry, or a JSON array of several)" : "");
	if ((initial = form_uset_text(u, json_object_get(settings, u->key))) ==
	    NULL)
		return -1;
	rc = form_field(f, u->key, u->key, type, choices, initial, help);
	free(initial);
	return rc;
}

static struct field *
form_find(struct form *f, const char *key)
{
	int	i;

	for (i = 0; key != NULL && i < f->n; i++) {
		if (strcmp(f->f[i].key, key) == 0)
			return &f->f[i];
	}
	return NULL;
}

/*
 * A value as typed, but the initial one when the field still shows it:
 * text the entry cannot show (not ASCII) is shown escaped, and must not
 * be saved so.
 */
static const char *
form_raw(const struct field *fl)
{
	return strcmp(fl->value, fl->shown) == 0 ? fl->initial : fl->value;
}

/* The entries' text into the fields. */
void
form_sync(struct form *f)
{
	int	i;

	for (i = 0; i < f->n; i++) {
		if (f->f[i].entry != NULL)
			form_set(&f->f[i], getCDKEntryValue(f->f[i].entry));
	}
}

const char *
form_value(struct form *f, const char *key)
{
	struct field	*fl = form_find(f, key);

	form_sync(f);
	return fl != NULL ? form_raw(fl) : NULL;
}

int
form_changed(struct form *f, const char *key)
{
	struct field	*fl = form_find(f, key);

	form_sync(f);
	return fl != NULL && strcmp(form_raw(fl), fl->initial) != 0;
}

json_t *
form_list(struct form *f, const char *key)
{
	const char	*v = form_value(f, key), *p;
	json_t		*a = json_array();
	size_t		 n;

	for (p = v != NULL ? v : ""; *p != '\0'; p += n) {
		p += strspn(p, ", \t");
		if ((n = strcspn(p, ", \t")) > 0)
			json_array_append_new(a, json_stringn(p, n));
	}
	return a;
}

void
form_focus(struct form *f, const char *key)
{
	struct field	*fl = form_find(f, key);

	if (fl != NULL)
		f->focus = (int)(fl - f->f);
}

void
form_button(struct form *f, const char *label)
{
	snprintf(f->button, sizeof f->button, "%s", label);
}

void
form_own_arg(struct form *f, void (*free_arg)(void *))
{
	f->free_arg = free_arg;
}

/* A whole number in a field; -1 with the error at it. */
static int
form_int(struct form *f, struct field *fl, json_int_t *n)
{
	char	*end;

	*n = strtoll(fl->value, &end, 10);
	if (fl->value[0] == '\0' || *end != '\0') {
		form_error(f, fl->key, "%s: \"%s\" is not a whole number",
		    fl->label, fl->value);
		return -1;
	}
	return 0;
}

json_t *
form_args(struct form *f, const char *cmd)
{
	const struct ipc_cmd	*c = ipc_cmd_find(cmd);
	const struct ipc_arg	*a;
	struct field		*fl;
	json_t			*args = json_object(), *v;
	json_int_t		 n;

	form_sync(f);
	for (a = c != NULL ? c->args : NULL; a != NULL && a->key != NULL;
	    a++) {
		if ((fl = form_find(f, a->key)) == NULL)
			continue;
		if (form_raw(fl)[0] == '\0' && a->type != T_LIST &&
		    !a->required)
			continue;
		switch (a->type) {
		case T_INT:
			if (form_int(f, fl, &n) == -1) {
				json_decref(args);
				return NULL;
			}
			v = json_integer(n);
			break;
		case T_BOOL:
			v = json_boolean(strcmp(fl->value, "yes") == 0 ||
			    strcmp(fl->value, "on") == 0);
			break;
		case T_LIST:
			v = form_list(f, a->key);
			break;
		default:
			v = json_string(form_raw(fl));
			break;
		}
		json_object_set_new(args, a->key, v);
	}
	return args;
}

void
form_error(struct form *f, const char *key, const char *fmt, ...)
{
	struct field	*fl = form_find(f, key);
	char		*msg = NULL, *safe;
	va_list		 ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	safe = text_safe(msg != NULL ? msg : "out of memory", 0);
	if (fl != NULL) {
		snprintf(fl->error, sizeof fl->error, "%s", safe ? safe : "?");
		f->focus = (int)(fl - f->f);
	} else
		snprintf(f->error, sizeof f->error, "%s", safe ? safe : "?");
	free(safe);
	free(msg);
}

static void
form_clear_errors(struct form *f)
{
	int	i;

	f->error[0] = '\0';
	for (i = 0; i < f->n; i++)
		f->f[i].error[0] = '\0';
}

static void
form_reply(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct form	*f = arg;

	f->busy = 0;
	frame_clear();
	if (rc == IPC_CALL_OK) {
		/* f is gone when done closed it (and returned 1). */
		if (f->done == NULL || !f->done(f, f->arg, result))
			form_close(f);
		else
			tui_rebuild();
		return;
	} else if (rc == IPC_CALL_UNREACHABLE)
		form_error(f, NULL, "no answer from the daemon (%s); nothing "
		    "was saved unless it says so later: try again",
		    err->message);
	else
		form_error(f, err->field, "%s", err->message);
	tui_rebuild();
}

int
form_call(struct form *f, const char *cmd, json_t *args, form_done_fn *done)
{
	f->done = done;
	if (conn_call(cmd, args, form_reply, f) == -1) {
		form_error(f, NULL, "the daemon is slow to answer: try again");
		return -1;
	}
	f->busy = 1;
	frame_msg("saving...");
	return 0;
}

void
form_save(struct form *f)
{
	int	rc;

	form_sync(f);
	form_clear_errors(f);
	if ((rc = f->save(f, f->arg)) == 1) {
		tui_pop();
		return;
	}
	tui_rebuild();
}

/* A choice field's next (or previous) choice. */
void
form_step(struct field *fl, int dir)
{
	const char	*c = fl->choices, *p;
	char		 opts[16][64];
	int		 n = 0, i, at = -1;
	size_t		 len;

	for (p = c; p != NULL && n < 16; p = strchr(p, '|') ? strchr(p, '|') +
	    1 : NULL) {
		len = strcspn(p, "|");
		snprintf(opts[n], sizeof opts[n], "%.*s", (int)len, p);
		n++;
	}
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		if (strcmp(opts[i], fl->value) == 0)
			at = i;
	}
	at = at == -1 ? 0 : (at + dir + n) % n;
	form_set(fl, opts[at]);
}

int
form_passwords(struct form *f, const char *cmd)
{
	return form_arg(f, cmd, "password", "Password", NULL) == -1 ||
	    form_field(f, "again", "Again", FT_SECRET, NULL, NULL,
	    "the same password once more") == -1 ? -1 : 0;
}

int
form_same_twice(struct form *f)
{
	const char	*pw = form_value(f, "password");
	const char	*again = form_value(f, "again");

	if (pw == NULL || again == NULL || strcmp(pw, again) != 0) {
		form_error(f, "again", "the two passwords differ: type the "
		    "same one twice");
		return -1;
	}
	return 0;
}

void
form_close(struct form *f)
{
	if (tui.top != NULL && tui.top->data == f)
		tui_pop();
}

void
form_discard(struct form *f)
{
	form_free(f);
}

int
form_open(struct form *f)
{
	if (f->n == 0 || tui_push(&scr_form, f) == -1) {
		form_free(f);
		return -1;
	}
	return 0;
}
