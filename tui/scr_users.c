/*
 * Outgoing > Manage users: the users a page at a time, search by name,
 * filter by kind or lock, details, lock and unlock in place, delete after
 * a confirmation that names the user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

/* What the filter key steps through. */
static const struct {
	const char	*kind;		/* NULL: every kind */
	int		 locked;
	const char	*label;
} users_filters[] = {
	{ NULL, 0, NULL },
	{ "ip", 0, "IP users" },
	{ "smtp", 0, "SMTP AUTH users" },
	{ "domain", 0, "authenticating domains" },
	{ NULL, 1, "locked users" },
};
#define USERS_NFILTERS	(int)(sizeof users_filters / sizeof users_filters[0])

static const struct list_col users_cols[] = {
	{ "name", "NAME", 0, 0 },
	{ "kind", "KIND", 6, 0 },
	{ "domain", "DOMAIN", 22, 1 },
	{ "locked", "LOCKED", 6, 0 },
	{ "ips", "IP RANGES", 18, 0 },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action users_actions[] = {
	A_OPEN, A_SEARCH, A_FILTER, A_LOCK, A_UNLOCK, A_DELETE, A_HELP,
	A_BACK, A_QUIT, A_REFRESH, A_UP, A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN,
	A_NONE
};

struct users {
	struct list	*list;
	char		 search[256];
	int		 filter;
};

static void
users_args(void *arg, json_t *args)
{
	struct users	*u = arg;

	if (users_filters[u->filter].kind != NULL)
		json_object_set_new(args, "kind",
		    json_string(users_filters[u->filter].kind));
	if (users_filters[u->filter].locked)
		json_object_set_new(args, "locked", json_true());
	if (u->search[0] != '\0')
		json_object_set_new(args, "search", json_string(u->search));
}

static void
users_label(struct users *u)
{
	char	label[400];

	snprintf(label, sizeof label, "%s%s%s%s",
	    users_filters[u->filter].label ? users_filters[u->filter].label :
	    "", users_filters[u->filter].label && u->search[0] ? ", " : "",
	    u->search[0] ? "name contains: " : "", u->search);
	list_set_label(u->list, label);
}

static int
users_enter(struct screen *s, void *param)
{
	struct users	*u;

	if ((u = calloc(1, sizeof *u)) == NULL)
		return -1;
	snprintf(s->title, sizeof s->title, "Outgoing > Manage users");
	if ((u->list = list_new("user.list", users_cols, users_args, u)) ==
	    NULL) {
		free(u);
		return -1;
	}
	s->data = u;
	return 0;
}

static void
users_build(struct screen *s)
{
	struct users	*u = s->data;

	list_build(u->list, frame_body_top(), frame_body_lines());
}

static void
users_unbuild(struct screen *s)
{
	struct users	*u = s->data;

	list_hide(u->list);
}

static void
users_leave(struct screen *s)
{
	struct users	*u = s->data;

	dialog_forget(u);
	conn_forget(u);
	list_free(u->list);
	free(u);
}

/* The selected user's name, or NULL (with a message) when there is none. */
static const char *
users_selected(struct users *u)
{
	json_t		*item = list_selected(u->list);
	const char	*name = json_string_value(json_object_get(item, "name"));

	if (name == NULL)
		frame_msg("no user selected");
	return name;
}

static void
users_search_done(void *arg, int ok, const char *text)
{
	struct users	*u = arg;

	if (!ok)
		return;
	snprintf(u->search, sizeof u->search, "%s", text);
	users_label(u);
	list_reload(u->list);
}

static void
users_filter(struct users *u)
{
	u->filter = (u->filter + 1) % USERS_NFILTERS;
	users_label(u);
	list_reload(u->list);
	frame_msg("showing %s", users_filters[u->filter].label != NULL ?
	    users_filters[u->filter].label : "every user");
}

static void
users_changed(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct users	*u = arg;
	json_t		*locked = json_object_get(result, "locked");
	char		*name;

	if (rc != IPC_CALL_OK) {
		frame_err("%s", err->message);
		return;
	}
	list_merge(u->list, result);
	name = text_safe(json_string_value(json_object_get(result, "name")), 0);
	frame_msg("%s is now %s", name != NULL ? name : "?",
	    json_is_true(locked) ? "locked" : "unlocked");
	free(name);
}

static void
users_call(struct users *u, const char *cmd)
{
	const char	*name = users_selected(u);

	if (name == NULL || !tui_may(cmd))
		return;
	if (conn_call(cmd, json_pack("{s:s}", "name", name), users_changed,
	    u) == -1)
		frame_err("the daemon is slow to answer: try again");
}

static void
users_deleted(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct users	*u = arg;
	const char	*name = json_string_value(json_object_get(result, "name"));
	char		*safe;

	if (rc != IPC_CALL_OK || name == NULL) {
		frame_err("%s", err->message);
		return;
	}
	list_remove(u->list, name);
	safe = text_safe(name, 0);
	frame_msg("deleted %s", safe != NULL ? safe : "?");
	free(safe);
}

/* The confirmation named the user; arg carries that name. */
static void
users_delete_done(void *arg, int ok, const char *text)
{
	struct users	*u = tui.top->data;
	char		*name = arg;

	if (ok)
		conn_call("user.del", json_pack("{s:s}", "name", name),
		    users_deleted, u);
	else
		frame_msg("nothing deleted");
	free(name);
}

static void
users_delete(struct users *u)
{
	const char	*name = users_selected(u);
	char		 question[600], *copy;

	if (name == NULL || !tui_may("user.del") ||
	    (copy = strdup(name)) == NULL)
		return;
	snprintf(question, sizeof question, "Delete user %s and its "
	    "identities?", name);
	dialog_confirm(question, "Delete", users_delete_done, copy);
}

static void
users_show(struct users *u)
{
	const char		*name = users_selected(u);
	struct detail_param	 p;
	char			 title[64], *safe;

	if (name == NULL)
		return;
	safe = text_safe(name, 0);
	snprintf(title, sizeof title, "%s", safe != NULL ? safe : "?");
	free(safe);
	p.title = title;
	p.cmd = "user.show";
	p.args = json_pack("{s:s}", "name", name);
	tui_push(&scr_detail, &p);
}

static int
users_action(struct screen *s, enum tui_action a)
{
	struct users	*u = s->data;

	switch (a) {
	case A_OPEN:	users_show(u); break;
	case A_SEARCH:	dialog_input("Users whose name contains",
			    u->search, users_search_done, u); break;
	case A_FILTER:	users_filter(u); break;
	case A_LOCK:	users_call(u, "user.lock"); break;
	case A_UNLOCK:	users_call(u, "user.unlock"); break;
	case A_DELETE:	users_delete(u); break;
	case A_REFRESH:	list_reload(u->list); break;
	default:
		if (!keys_movement(a))
			return 0;
		list_moved(u->list);
		break;
	}
	return 1;
}

static void
users_connected(struct screen *s)
{
	struct users	*u = s->data;

	list_reload(u->list);
}

static CDKOBJS *
users_focus(struct screen *s)
{
	struct users	*u = s->data;

	return list_widget(u->list);
}

const struct screen_ops scr_users = {
	.title = "Manage users",
	.actions = users_actions,
	.enter = users_enter,
	.build = users_build,
	.unbuild = users_unbuild,
	.leave = users_leave,
	.action = users_action,
	.connected = users_connected,
	.focus = users_focus,
};
