/*
 * Outgoing > Manage identities: the senders seen inside each user with
 * their own lock.  Lock (reason, duration), unlock and reset the automatic
 * unlock count; the row is fetched again and updated in place.  The
 * filter key shows only locked identities, / narrows to one user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const struct list_col ids_cols[] = {
	{ "domain", "DOMAIN", 11, LC_DOMAIN },
	{ "user", "USER", 12, 0 },
	{ "identity", "IDENTITY", 0, 0 },
	{ "locked", "LOCKED", 6, 0 },
	{ "locked_at", "LOCK TIME", 11, LC_TIME },
	{ "reason", "REASON", 10, 0 },
	{ "auto_unlocks", "UNLOCKS", 7, 0 },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action ids_actions[] = {
	A_OPEN, A_SEARCH, A_FILTER, A_LOCK, A_UNLOCK, A_RESET, A_HELP, A_BACK,
	A_QUIT, A_REFRESH, A_UP, A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

struct ids {
	struct list	*list;
	char		 user[256];
	int		 locked;
};

/* A lock form's state. */
struct ids_lock {
	struct ids	*ids;
	char		 user[256];
	char		 identity[512];
	json_int_t	 id;
};

static void
ids_args(void *arg, json_t *args)
{
	struct ids	*d = arg;

	if (d->user[0] != '\0')
		json_object_set_new(args, "user", json_string(d->user));
	if (d->locked)
		json_object_set_new(args, "locked", json_true());
}

static void
ids_label(struct ids *d)
{
	char	label[400];

	snprintf(label, sizeof label, "%s%s%s%s", d->locked ? "locked" : "",
	    d->locked && d->user[0] ? ", " : "", d->user[0] ? "user: " : "",
	    d->user);
	list_set_label(d->list, label);
}

static int
ids_enter(struct screen *s, void *param)
{
	struct ids	*d;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return -1;
	snprintf(s->title, sizeof s->title, "Outgoing > Manage identities");
	if ((d->list = list_new("identity.list", ids_cols, "id", ids_args,
	    d)) == NULL) {
		free(d);
		return -1;
	}
	s->data = d;
	return 0;
}

static void
ids_build(struct screen *s)
{
	struct ids	*d = s->data;

	list_build(d->list, frame_body_top(), frame_body_lines());
}

static void
ids_unbuild(struct screen *s)
{
	struct ids	*d = s->data;

	list_hide(d->list);
}

static void
ids_leave(struct screen *s)
{
	struct ids	*d = s->data;

	dialog_forget(d);
	conn_forget(d);
	list_free(d->list);
	free(d);
}

/* The selected row's user and identity, or -1 with a message. */
static int
ids_selected(struct ids *d, const char **user, const char **identity,
    json_int_t *id)
{
	json_t	*item = list_selected(d->list);

	*user = json_string_value(json_object_get(item, "user"));
	*identity = json_string_value(json_object_get(item, "identity"));
	*id = json_integer_value(json_object_get(item, "id"));
	if (*user == NULL || *identity == NULL) {
		frame_msg("no identity selected");
		return -1;
	}
	return 0;
}

/* The row again: the page of one after id - 1 of this user. */
static void
ids_refetch(struct ids *d, const char *user, json_int_t id)
{
	char	after[32];

	snprintf(after, sizeof after, "%lld", (long long)id - 1);
	list_refetch(d->list, "identity.list", json_pack("{s:s,s:s,s:i}",
	    "user", user, "after", after, "limit", 1));
}

static void
ids_said(json_t *result, const char *what)
{
	char	*who = text_safe(json_string_value(json_object_get(result,
		    "identity")), 0);

	frame_msg("%s %s", who != NULL ? who : "?", what);
	free(who);
}

static void
ids_done(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct ids	*d = arg;
	const char	*user = json_string_value(json_object_get(result,
			    "user"));
	json_t		*item;

	if (rc != IPC_CALL_OK) {
		tui_call_failed(rc, err);
		return;
	}
	if (json_is_true(json_object_get(result, "unlocked")))
		ids_said(result, "is unlocked");
	else
		ids_said(result, "has its counters and automatic unlock count "
		    "reset");
	/* The selected row, unless the selection moved meanwhile. */
	item = list_selected(d->list);
	if (user != NULL && json_equal(json_object_get(item, "user"),
	    json_object_get(result, "user")) && json_equal(json_object_get(
	    item, "identity"), json_object_get(result, "identity")))
		ids_refetch(d, user, json_integer_value(json_object_get(item,
		    "id")));
	else
		list_reload(d->list);
}

static void
ids_call(struct ids *d, const char *cmd)
{
	const char	*user, *identity;
	json_int_t	 id;

	if (ids_selected(d, &user, &identity, &id) == -1 || !tui_may(cmd))
		return;
	if (conn_call(cmd, json_pack("{s:s,s:s}", "user", user, "identity",
	    identity), ids_done, d) == -1)
		frame_err("the daemon is slow to answer: try again");
}

static int
ids_lock_done(struct form *f, void *arg, json_t *result)
{
	struct ids_lock	*k = arg;

	ids_said(result, "is locked");
	ids_refetch(k->ids, k->user, k->id);
	return 0;
}

static int
ids_lock_save(struct form *f, void *arg)
{
	struct ids_lock	*k = arg;
	json_t		*args;

	if ((args = form_args(f, "identity.lock")) == NULL)
		return -1;
	json_object_set_new(args, "user", json_string(k->user));
	json_object_set_new(args, "identity", json_string(k->identity));
	return form_call(f, "identity.lock", args, ids_lock_done);
}

static void
ids_lock(struct ids *d)
{
	const char	*user, *identity;
	struct ids_lock	*k;
	struct form	*f;
	char		 title[800];
	json_int_t	 id;

	if (ids_selected(d, &user, &identity, &id) == -1 ||
	    !tui_may("identity.lock") || (k = calloc(1, sizeof *k)) == NULL)
		return;
	k->ids = d;
	k->id = id;
	snprintf(k->user, sizeof k->user, "%s", user);
	snprintf(k->identity, sizeof k->identity, "%s", identity);
	snprintf(title, sizeof title, "Lock %s of %s: %s", identity, user,
	    ipc_cmd_find("identity.lock")->help);
	if ((f = form_new(title, ids_lock_save, k)) == NULL) {
		free(k);
		return;
	}
	form_own_arg(f, free);
	if (form_arg(f, "identity.lock", "reason", "Reason", NULL) == -1 ||
	    form_arg(f, "identity.lock", "duration", "Duration", NULL) == -1) {
		form_discard(f);
		return;
	}
	form_open(f);
}

static void
ids_show(struct ids *d)
{
	json_t			*item = list_selected(d->list);
	struct detail_param	 p;
	char			 title[64], *safe;

	if (item == NULL) {
		frame_msg("no identity selected");
		return;
	}
	safe = text_safe(json_string_value(json_object_get(item, "identity")),
	    0);
	snprintf(title, sizeof title, "%s", safe != NULL ? safe : "?");
	free(safe);
	p.title = title;
	p.cmd = NULL;
	p.args = NULL;
	p.value = item;
	tui_push(&scr_detail, &p);
}

static void
ids_search_done(void *arg, int ok, const char *text)
{
	struct ids	*d = arg;

	if (!ok)
		return;
	snprintf(d->user, sizeof d->user, "%s", text);
	ids_label(d);
	list_reload(d->list);
}

static int
ids_action(struct screen *s, enum tui_action a)
{
	struct ids	*d = s->data;

	switch (a) {
	case A_OPEN:	ids_show(d); break;
	case A_SEARCH:	dialog_input("Identities of the user (empty: every "
			    "user)", d->user, ids_search_done, d); break;
	case A_FILTER:
		d->locked = !d->locked;
		ids_label(d);
		list_reload(d->list);
		frame_msg("showing %s identities", d->locked ? "locked" :
		    "all");
		break;
	case A_LOCK:	ids_lock(d); break;
	case A_UNLOCK:	ids_call(d, "identity.unlock"); break;
	case A_RESET:	ids_call(d, "identity.reset"); break;
	case A_REFRESH:	list_reload(d->list); break;
	default:
		if (!keys_movement(a))
			return 0;
		list_moved(d->list);
		break;
	}
	return 1;
}

static void
ids_connected(struct screen *s)
{
	struct ids	*d = s->data;

	list_reload(d->list);
}

static CDKOBJS *
ids_focus(struct screen *s)
{
	struct ids	*d = s->data;

	return list_widget(d->list);
}

const struct screen_ops scr_identities = {
	.title = "Manage identities",
	.actions = ids_actions,
	.enter = ids_enter,
	.build = ids_build,
	.unbuild = ids_unbuild,
	.leave = ids_leave,
	.action = ids_action,
	.connected = ids_connected,
	.focus = ids_focus,
};
