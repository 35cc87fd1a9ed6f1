/*
 * Outgoing > Manage users: the users a page at a time with today's
 * connections and recipients against their limits; search by name, filter
 * by kind or lock; add one of the three kinds, open a user's page, lock,
 * unlock, change the password (not for IP users: the key is not offered
 * on their rows), reset the counters, delete after a confirmation that
 * names the user.
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
	{ "domain", "DOMAIN", 20, LC_DOMAIN },
	{ "locked", "LOCKED", 6, 0 },
	{ "connections_today", "CONN TODAY", 11, 0 },
	{ "recipients_today", "RCPT TODAY", 11, 0 },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action users_actions[] = {
	A_OPEN, A_ADD, A_SEARCH, A_FILTER, A_LOCK, A_UNLOCK, A_PASSWD,
	A_DELETE, A_RESET, A_HELP, A_BACK, A_QUIT, A_REFRESH, A_UP, A_DOWN,
	A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

/* On an IP user's row: no password to change. */
static const enum tui_action users_actions_ip[] = {
	A_OPEN, A_ADD, A_SEARCH, A_FILTER, A_LOCK, A_UNLOCK, A_DELETE,
	A_RESET, A_HELP, A_BACK, A_QUIT, A_REFRESH, A_UP, A_DOWN, A_HOME,
	A_END, A_PGUP, A_PGDN, A_NONE
};

struct users {
	struct screen	*screen;
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

/* The footer follows the selected row's kind. */
static void
users_sync(void *arg)
{
	struct users	*u = arg;
	const char	*kind = json_string_value(json_object_get(
			    list_selected(u->list), "kind"));

	u->screen->actions = kind != NULL && strcmp(kind, "ip") == 0 ?
	    users_actions_ip : NULL;
}

static int
users_enter(struct screen *s, void *param)
{
	struct users	*u;

	if ((u = calloc(1, sizeof *u)) == NULL)
		return -1;
	snprintf(s->title, sizeof s->title, "Outgoing > Manage users");
	u->screen = s;
	if ((u->list = list_new("user.list", users_cols, "name", users_args,
	    u)) == NULL) {
		free(u);
		return -1;
	}
	list_on_change(u->list, users_sync);
	s->data = u;
	return 0;
}

static void
users_build(struct screen *s)
{
	struct users	*u = s->data;

	list_build(u->list, frame_body_top(), frame_body_lines());
	users_sync(u);
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
	useract_forget(u);
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

/* A user came back changed, added or deleted. */
static void
users_changed(void *arg, json_t *user)
{
	struct users	*u = arg;

	if (json_is_true(json_object_get(user, "deleted")))
		list_remove(u->list, json_object_get(user, "name"));
	else if (json_object_get(user, "kind") != NULL &&
	    json_object_get(user, "password_changed") == NULL) {
		/* Changed: the row in place; added: fetched with its page. */
		if (!list_merge(u->list, user))
			list_reload(u->list);
	}
}

static void
users_open(struct users *u)
{
	struct user_param	 p;

	if ((p.name = users_selected(u)) == NULL)
		return;
	p.fn = users_changed;
	p.arg = u;
	tui_push(&scr_user, &p);
}

static int
users_action(struct screen *s, enum tui_action a)
{
	struct users	*u = s->data;
	const char	*name;
	json_t		*item;

	switch (a) {
	case A_OPEN:	users_open(u); return 1;
	case A_ADD:	useract_add(users_changed, u); return 1;
	case A_SEARCH:	dialog_input("Users whose name contains",
			    u->search, users_search_done, u); return 1;
	case A_FILTER:	users_filter(u); return 1;
	case A_REFRESH:	list_reload(u->list); return 1;
	default:
		break;
	}
	if (keys_movement(a)) {
		list_moved(u->list);
		users_sync(u);
		return 1;
	}
	if ((name = users_selected(u)) == NULL)
		return a == A_LOCK || a == A_UNLOCK || a == A_PASSWD ||
		    a == A_RESET || a == A_DELETE;
	item = list_selected(u->list);
	switch (a) {
	case A_LOCK:	useract_lock(name, NULL, users_changed, u); break;
	case A_UNLOCK:	useract_unlock(name, users_changed, u); break;
	case A_PASSWD:	useract_passwd(name, json_string_value(
			    json_object_get(item, "kind"))); break;
	case A_RESET:	useract_reset(name, users_changed, u); break;
	case A_DELETE:	useract_delete(name, users_changed, u); break;
	default:	return 0;
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
