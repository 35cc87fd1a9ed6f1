/*
 * A user's page: every member of user show, the settings in the groups of
 * the settings table and the counters drawn against their limits.  Enter
 * on a setting edits its group in a form (authentication, connection
 * limits, locking, content, DKIM and archive, notifications); on an IP
 * user's ranges, the ranges.  Lock, unlock, password (not for IP users),
 * reset and delete as on the list; changes go back to the list too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct user {
	struct screen		*screen;
	char			 name[256];
	useract_fn		*fn;		/* the list's, told of changes */
	void			*arg;
	json_t			*result;	/* user show */
	CDKSCROLL		*scroll;
	int			 selected;
	struct detail_lines	 lines;
};

static const enum tui_action user_actions[] = {
	A_OPEN, A_LOCK, A_UNLOCK, A_PASSWD, A_RESET, A_DELETE, A_HELP, A_BACK,
	A_QUIT, A_REFRESH, A_UP, A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

static const enum tui_action user_actions_ip[] = {
	A_OPEN, A_LOCK, A_UNLOCK, A_RESET, A_DELETE, A_HELP, A_BACK, A_QUIT,
	A_REFRESH, A_UP, A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

static const char *
user_kind(struct user *u)
{
	return json_string_value(json_object_get(u->result, "kind"));
}

static void
user_reply(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct user	*u = arg;

	if (rc == IPC_CALL_REFUSED)
		frame_err("%s", err->message);
	if (rc != IPC_CALL_OK)
		return;
	json_decref(u->result);
	u->result = json_incref(result);
	u->screen->actions = user_kind(u) != NULL &&
	    strcmp(user_kind(u), "ip") == 0 ? user_actions_ip : NULL;
	if (tui.top == u->screen)
		tui_rebuild();
}

static void
user_ask(struct user *u)
{
	conn_call("user.show", json_pack("{s:s}", "name", u->name),
	    user_reply, u);
}

static int
user_enter(struct screen *s, void *param)
{
	struct user_param	*p = param;
	struct user		*u;
	char			*safe;

	if ((u = calloc(1, sizeof *u)) == NULL)
		return -1;
	u->screen = s;
	snprintf(u->name, sizeof u->name, "%s", p->name);
	u->fn = p->fn;
	u->arg = p->arg;
	safe = text_safe(p->name, 0);
	snprintf(s->title, sizeof s->title, "%s", safe != NULL ? safe : "?");
	free(safe);
	s->data = u;
	user_ask(u);
	return 0;
}

static void
user_build(struct screen *s)
{
	struct user	*u = s->data;

	detail_render(&u->lines, u->result, COLS - 4);
	u->scroll = newCDKScroll(tui.cdk, LEFT, frame_body_top(), RIGHT,
	    frame_body_lines(), COLS, NULL, (CDK_CSTRING2)u->lines.line,
	    u->lines.n, FALSE, A_REVERSE, TRUE, FALSE);
	s->focus = u->scroll != NULL ? ObjOf(u->scroll) : NULL;
	if (u->scroll == NULL)
		return;
	if (u->selected >= u->lines.n)
		u->selected = u->lines.n - 1;
	setCDKScrollCurrentItem(u->scroll, u->selected > 0 ? u->selected : 0);
	drawCDKScroll(u->scroll, TRUE);
}

static void
user_unbuild(struct screen *s)
{
	struct user	*u = s->data;

	if (u->scroll == NULL)
		return;
	u->selected = getCDKScrollCurrentItem(u->scroll);
	destroyCDKScroll(u->scroll);
	u->scroll = NULL;
	s->focus = NULL;
}

static void
user_leave(struct screen *s)
{
	struct user	*u = s->data;

	conn_forget(u);
	useract_forget(u);
	detail_clear(&u->lines);
	json_decref(u->result);
	free(u);
}

/* A change came back: the page shows it, the list takes it too. */
static void
user_changed(void *arg, json_t *user)
{
	struct user	*u = arg;

	if (u->fn != NULL)
		u->fn(u->arg, user);
	if (json_is_true(json_object_get(user, "deleted"))) {
		if (tui.top == u->screen)
			tui_pop();
		return;
	}
	/* A change result lacks the counters: the whole user again. */
	user_ask(u);
}

/* Enter: the group of the selected line in a form. */
static void
user_edit(struct user *u)
{
	const char	*group;
	char		 key[64];
	int		 i;

	if (u->result == NULL || u->scroll == NULL)
		return;
	i = getCDKScrollCurrentItem(u->scroll);
	group = i >= 0 && i < u->lines.n ? u->lines.group[i] : NULL;
	if (group == NULL) {
		frame_msg("Enter on a setting edits its group%s",
		    user_kind(u) != NULL && strcmp(user_kind(u), "ip") == 0 ?
		    ", on ips the IP ranges" : "");
		return;
	}
	if (strcmp(group, DETAIL_IPS) == 0) {
		if (user_kind(u) != NULL && strcmp(user_kind(u), "ip") == 0)
			useract_ips(u->result, user_changed, u);
		else
			frame_msg("only IP users have IP ranges");
		return;
	}
	/* The line's first word is its setting, where the form starts. */
	snprintf(key, sizeof key, "%s", u->lines.line[i] + strspn(
	    u->lines.line[i], " "));
	key[strcspn(key, " ")] = '\0';
	useract_edit(u->result, group, ipc_uset_find(key) != NULL ? key : NULL,
	    user_changed, u);
}

static int
user_action(struct screen *s, enum tui_action a)
{
	struct user	*u = s->data;

	switch (a) {
	case A_OPEN:	user_edit(u); break;
	case A_LOCK:	useract_lock(u->name, NULL, user_changed, u); break;
	case A_UNLOCK:	useract_unlock(u->name, user_changed, u); break;
	case A_PASSWD:	useract_passwd(u->name, user_kind(u)); break;
	case A_RESET:	useract_reset(u->name, user_changed, u); break;
	case A_DELETE:	useract_delete(u->name, user_changed, u); break;
	case A_REFRESH:	user_ask(u); break;
	default:	return 0;
	}
	return 1;
}

static void
user_connected(struct screen *s)
{
	user_ask(s->data);
}

const struct screen_ops scr_user = {
	.title = "User",
	.actions = user_actions,
	.enter = user_enter,
	.build = user_build,
	.unbuild = user_unbuild,
	.leave = user_leave,
	.action = user_action,
	.connected = user_connected,
};
