/*
 * Admins (super-admins only): the admin accounts; add one (super-admin or
 * admin of some domains, the password asked twice), change a password,
 * delete after a confirmation naming the account.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const struct list_col admins_cols[] = {
	{ "name", "NAME", 0, 0 },
	{ "role", "ROLE", 7, 0 },
	{ "domains", "DOMAINS", 30, 0 },
	{ "created", "CREATED", 16, LC_TIME },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action admins_actions[] = {
	A_ADD, A_PASSWD, A_DELETE, A_HELP, A_BACK, A_QUIT, A_REFRESH, A_UP,
	A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

struct admins {
	struct list	*list;
	char		 name[256];	/* of the password form, the deletion */
};

static int
admins_enter(struct screen *s, void *param)
{
	struct admins	*a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return -1;
	if ((a->list = list_new("admin.list", admins_cols, "name", NULL,
	    NULL)) == NULL) {
		free(a);
		return -1;
	}
	s->data = a;
	return 0;
}

static void
admins_build(struct screen *s)
{
	struct admins	*a = s->data;

	list_build(a->list, frame_body_top(), frame_body_lines());
}

static void
admins_unbuild(struct screen *s)
{
	struct admins	*a = s->data;

	list_hide(a->list);
}

static void
admins_leave(struct screen *s)
{
	struct admins	*a = s->data;

	dialog_forget(a);
	conn_forget(a);
	list_free(a->list);
	free(a);
}

static const char *
admins_selected(struct admins *a)
{
	const char	*name = json_string_value(json_object_get(
			    list_selected(a->list), "name"));

	if (name == NULL)
		frame_msg("no admin selected");
	return name;
}

static int
admins_added(struct form *f, void *arg, json_t *result)
{
	struct admins	*a = arg;
	char		*name = text_safe(json_string_value(json_object_get(
			    result, "name")), 0);

	list_reload(a->list);
	frame_msg("added admin %s", name != NULL ? name : "?");
	free(name);
	return 0;
}

static int
admins_add_save(struct form *f, void *arg)
{
	json_t	*args;

	if (form_same_twice(f) == -1 ||
	    (args = form_args(f, "admin.add")) == NULL)
		return -1;
	return form_call(f, "admin.add", args, admins_added);
}

static void
admins_add(struct admins *a)
{
	struct form	*f;
	char		 title[300];

	if (!tui_may("admin.add"))
		return;
	snprintf(title, sizeof title, "New admin: %s",
	    ipc_cmd_find("admin.add")->help);
	if ((f = form_new(title, admins_add_save, a)) == NULL)
		return;
	if (form_arg(f, "admin.add", "name", "Name", NULL) == -1 ||
	    form_arg(f, "admin.add", "role", "Role", "domain") == -1 ||
	    form_arg(f, "admin.add", "domains", "Domains", NULL) == -1 ||
	    form_passwords(f, "admin.add") == -1) {
		form_discard(f);
		return;
	}
	form_open(f);
}

static int
admins_passwd_done(struct form *f, void *arg, json_t *result)
{
	struct admins	*a = arg;
	char		*name = text_safe(a->name, 0);

	frame_msg("the password of %s is changed", name != NULL ? name : "?");
	free(name);
	return 0;
}

static int
admins_passwd_save(struct form *f, void *arg)
{
	struct admins	*a = arg;
	json_t		*args;

	if (form_same_twice(f) == -1 ||
	    (args = form_args(f, "admin.passwd")) == NULL)
		return -1;
	json_object_set_new(args, "name", json_string(a->name));
	return form_call(f, "admin.passwd", args, admins_passwd_done);
}

static void
admins_passwd(struct admins *a)
{
	const char	*name = admins_selected(a);
	struct form	*f;
	char		 title[400];

	if (name == NULL || !tui_may("admin.passwd"))
		return;
	snprintf(a->name, sizeof a->name, "%s", name);
	snprintf(title, sizeof title, "Password of %s: %s", name,
	    ipc_cmd_find("admin.passwd")->help);
	if ((f = form_new(title, admins_passwd_save, a)) == NULL)
		return;
	if (form_passwords(f, "admin.passwd") == -1) {
		form_discard(f);
		return;
	}
	form_open(f);
}

static void
admins_deleted(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct admins	*a = arg;
	char		*name;

	if (rc != IPC_CALL_OK) {
		tui_call_failed(rc, err);
		return;
	}
	list_remove(a->list, json_object_get(result, "name"));
	name = text_safe(a->name, 0);
	frame_msg("deleted admin %s", name != NULL ? name : "?");
	free(name);
}

static void
admins_delete_done(void *arg, int ok, const char *text)
{
	struct admins	*a = arg;

	if (!ok) {
		frame_msg("nothing deleted");
		return;
	}
	conn_call("admin.del", json_pack("{s:s}", "name", a->name),
	    admins_deleted, a);
}

static void
admins_delete(struct admins *a)
{
	const char	*name = admins_selected(a);
	char		 question[400];

	if (name == NULL || !tui_may("admin.del"))
		return;
	snprintf(a->name, sizeof a->name, "%s", name);
	snprintf(question, sizeof question, "Delete admin %s?", name);
	dialog_confirm(question, "Delete", admins_delete_done, a);
}

static int
admins_action(struct screen *s, enum tui_action act)
{
	struct admins	*a = s->data;

	switch (act) {
	case A_ADD:	admins_add(a); break;
	case A_PASSWD:	admins_passwd(a); break;
	case A_DELETE:	admins_delete(a); break;
	case A_REFRESH:	list_reload(a->list); break;
	default:
		if (!keys_movement(act))
			return 0;
		list_moved(a->list);
		break;
	}
	return 1;
}

static void
admins_connected(struct screen *s)
{
	struct admins	*a = s->data;

	list_reload(a->list);
}

static CDKOBJS *
admins_focus(struct screen *s)
{
	struct admins	*a = s->data;

	return list_widget(a->list);
}

const struct screen_ops scr_admins = {
	.title = "Admins",
	.actions = admins_actions,
	.enter = admins_enter,
	.build = admins_build,
	.unbuild = admins_unbuild,
	.leave = admins_leave,
	.action = admins_action,
	.connected = admins_connected,
	.focus = admins_focus,
};
