/*
 * Lock templates: the notices sent when a user or identity is locked.
 * Any admin reads them; a super-admin adds, edits (the bodies in $EDITOR)
 * and deletes them.  v previews one with sample values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const struct list_col tpl_cols[] = {
	{ "name", "NAME", 20, 0 },
	{ "language", "LANG", 5, 0 },
	{ "subject", "SUBJECT", 0, 0 },
	{ "html", "HTML", 4, 0 },
	{ "users", "USERS", 5, 0 },
	{ "updated", "UPDATED", 16, LC_TIME },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action tpl_actions[] = {
	A_OPEN, A_PREVIEW, A_ADD, A_EDIT, A_DELETE, A_HELP, A_BACK, A_QUIT,
	A_REFRESH, A_UP, A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

struct tpl {
	struct list	*list;
	enum tui_action	 then;		/* what template.show is asked for */
	char		 name[256];	/* ... and of which */
};

static int
tpl_enter(struct screen *s, void *param)
{
	struct tpl	*t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return -1;
	snprintf(s->title, sizeof s->title, "Lock templates");
	if ((t->list = list_new("template.list", tpl_cols, "name", NULL,
	    NULL)) == NULL) {
		free(t);
		return -1;
	}
	s->data = t;
	return 0;
}

static void
tpl_build(struct screen *s)
{
	struct tpl	*t = s->data;

	list_build(t->list, frame_body_top(), frame_body_lines());
}

static void
tpl_unbuild(struct screen *s)
{
	struct tpl	*t = s->data;

	list_hide(t->list);
}

static void
tpl_leave(struct screen *s)
{
	struct tpl	*t = s->data;

	dialog_forget(t);
	conn_forget(t);
	list_free(t->list);
	free(t);
}

static const char *
tpl_selected(struct tpl *t)
{
	const char	*name = json_string_value(json_object_get(
			    list_selected(t->list), "name"));

	if (name == NULL)
		frame_msg("no template selected");
	return name;
}

/* The form: add (name given by the admin) or edit (of t->name). */
static int
tpl_saved(struct form *f, void *arg, json_t *result)
{
	struct tpl	*t = arg;
	char		*name = text_safe(json_string_value(json_object_get(
			    result, "name")), 0);

	/* A show result is not a list row (html is a text there): reload. */
	list_reload(t->list);
	frame_msg("template %s is saved", name != NULL ? name : "?");
	free(name);
	return 0;
}

static int
tpl_add_save(struct form *f, void *arg)
{
	json_t	*args;

	if ((args = form_args(f, "template.add")) == NULL)
		return -1;
	return form_call(f, "template.add", args, tpl_saved);
}

static int
tpl_edit_save(struct form *f, void *arg)
{
	static const char *const keys[] = { "language", "subject", "body",
	    "html" };
	struct tpl	*t = arg;
	json_t		*args = json_pack("{s:s}", "name", t->name);
	size_t		 i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (form_changed(f, keys[i]))
			json_object_set_new(args, keys[i], json_string(
			    form_value(f, keys[i])));
	}
	if (json_object_size(args) == 1) {
		json_decref(args);
		frame_msg("nothing was changed");
		return 1;
	}
	return form_call(f, "template.set", args, tpl_saved);
}

/* The form of cmd, filled from shown (NULL: a new template). */
static void
tpl_form(struct tpl *t, const char *cmd, const json_t *shown)
{
	struct form	*f;
	char		 title[400];
	const char	*v[4] = { NULL, NULL, NULL, NULL };
	static const char *const keys[] = { "language", "subject", "body",
	    "html" };
	static const char *const labels[] = { "Language", "Subject", "Body",
	    "HTML body" };
	int		 i, rc = 0;

	if (shown != NULL) {
		for (i = 0; i < 4; i++)
			v[i] = json_string_value(json_object_get(shown,
			    keys[i]));
		snprintf(title, sizeof title, "Template %s: %s", t->name,
		    ipc_cmd_find(cmd)->help);
	} else
		snprintf(title, sizeof title, "New template: %s",
		    ipc_cmd_find(cmd)->help);
	if ((f = form_new(title, shown != NULL ? tpl_edit_save : tpl_add_save,
	    t)) == NULL)
		return;
	if (shown == NULL)
		rc = form_arg(f, cmd, "name", "Name", NULL);
	for (i = 0; i < 4 && rc == 0; i++)
		rc = form_arg(f, cmd, keys[i], labels[i], v[i]);
	if (rc == -1) {
		form_discard(f);
		return;
	}
	form_open(f);
}

/* Preview: the texts with sample values, read in the detail view. */
static void
tpl_preview(struct tpl *t, const json_t *shown)
{
	static const char *const keys[] = { "subject", "body", "html" };
	struct detail_param	 p;
	json_t			*view = json_object();
	char			 title[64], *text, samples[600];
	size_t			 i, len = 0;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (!json_is_string(json_object_get(shown, keys[i])))
			continue;
		text = tmpl_render(json_string_value(json_object_get(shown,
		    keys[i])));
		json_object_set_new(view, keys[i], json_string(text != NULL ?
		    text : "?"));
		free(text);
	}
	for (i = 0; tmpl_samples[i][0] != NULL && len < sizeof samples; i++)
		len += snprintf(samples + len, sizeof samples - len, "%s%s=%s",
		    i > 0 ? "\n" : "", tmpl_samples[i][0], tmpl_samples[i][1]);
	json_object_set_new(view, "sample values", json_string(samples));
	snprintf(title, sizeof title, "Preview of %.40s", t->name);
	p.title = title;
	p.cmd = NULL;
	p.args = NULL;
	p.value = view;
	tui_push(&scr_detail, &p);
	json_decref(view);
}

static void
tpl_shown(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct tpl	*t = arg;

	if (rc != IPC_CALL_OK) {
		tui_call_failed(rc, err);
		return;
	}
	if (tui.top == NULL || tui.top->data != t)
		return;		/* another screen is on top meanwhile */
	if (t->then == A_EDIT)
		tpl_form(t, "template.set", result);
	else
		tpl_preview(t, result);
}

/* Edit and preview start from the whole template. */
static void
tpl_show_then(struct tpl *t, enum tui_action then)
{
	const char	*name = tpl_selected(t);

	if (name == NULL || (then == A_EDIT && !tui_may("template.set")))
		return;
	t->then = then;
	snprintf(t->name, sizeof t->name, "%s", name);
	if (conn_call("template.show", json_pack("{s:s}", "name", name),
	    tpl_shown, t) == -1)
		frame_err("the daemon is slow to answer: try again");
}

static void
tpl_open(struct tpl *t)
{
	const char		*name = tpl_selected(t);
	struct detail_param	 p;
	char			 title[64], *safe;

	if (name == NULL)
		return;
	safe = text_safe(name, 0);
	snprintf(title, sizeof title, "%s", safe != NULL ? safe : "?");
	free(safe);
	p.title = title;
	p.cmd = "template.show";
	p.args = json_pack("{s:s}", "name", name);
	p.value = NULL;
	tui_push(&scr_detail, &p);
}

static void
tpl_deleted(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct tpl	*t = arg;
	char		*name;

	if (rc != IPC_CALL_OK) {
		tui_call_failed(rc, err);
		return;
	}
	list_remove(t->list, json_object_get(result, "name"));
	name = text_safe(json_string_value(json_object_get(result, "name")), 0);
	frame_msg("deleted template %s", name != NULL ? name : "?");
	free(name);
}

static void
tpl_delete_done(void *arg, int ok, const char *text)
{
	struct tpl	*t = arg;

	if (!ok) {
		frame_msg("nothing deleted");
		return;
	}
	conn_call("template.del", json_pack("{s:s}", "name", t->name),
	    tpl_deleted, t);
}

static void
tpl_delete(struct tpl *t)
{
	const char	*name = tpl_selected(t);
	char		 question[400];

	if (name == NULL || !tui_may("template.del"))
		return;
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(question, sizeof question, "Delete template %s?", name);
	dialog_confirm(question, "Delete", tpl_delete_done, t);
}

static int
tpl_action(struct screen *s, enum tui_action a)
{
	struct tpl	*t = s->data;

	switch (a) {
	case A_OPEN:	tpl_open(t); break;
	case A_PREVIEW:	tpl_show_then(t, A_PREVIEW); break;
	case A_ADD:
		if (tui_may("template.add"))
			tpl_form(t, "template.add", NULL);
		break;
	case A_EDIT:	tpl_show_then(t, A_EDIT); break;
	case A_DELETE:	tpl_delete(t); break;
	case A_REFRESH:	list_reload(t->list); break;
	default:
		if (!keys_movement(a))
			return 0;
		list_moved(t->list);
		break;
	}
	return 1;
}

static void
tpl_connected(struct screen *s)
{
	struct tpl	*t = s->data;

	list_reload(t->list);
}

static CDKOBJS *
tpl_focus(struct screen *s)
{
	struct tpl	*t = s->data;

	return list_widget(t->list);
}

const struct screen_ops scr_templates = {
	.title = "Lock templates",
	.actions = tpl_actions,
	.enter = tpl_enter,
	.build = tpl_build,
	.unbuild = tpl_unbuild,
	.leave = tpl_leave,
	.action = tpl_action,
	.connected = tpl_connected,
	.focus = tpl_focus,
};
