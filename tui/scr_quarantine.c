/*
 * Quarantine: messages held instead of relayed, newest first.  Enter shows
 * one (envelope, headers, the start of its text; v reads it in $PAGER),
 * r releases it to the next hop and d deletes it, each after a question
 * naming the message with Cancel the default; the filter key shows the
 * released and deleted ones too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const struct list_col quar_cols[] = {
	{ "id", "ID", 6, 0 },
	{ "time", "HELD", 16, LC_TIME },
	{ "state", "STATE", 9, 0 },
	{ "user", "USER", 16, 0 },
	{ "sender", "SENDER", 0, 0 },
	{ "subject", "SUBJECT", 20, 0 },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action quar_actions[] = {
	A_OPEN, A_RELEASE, A_DELETE, A_FILTER, A_HELP, A_BACK, A_QUIT,
	A_REFRESH, A_UP, A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

struct quar {
	struct list	*list;
	int		 all;
	json_int_t	 id;		/* asked about */
	const char	*cmd;		/* ... release or delete */
};

static void
quar_args(void *arg, json_t *args)
{
	struct quar	*q = arg;

	if (q->all)
		json_object_set_new(args, "all", json_true());
}

static int
quar_enter(struct screen *s, void *param)
{
	struct quar	*q;

	if ((q = calloc(1, sizeof *q)) == NULL)
		return -1;
	if ((q->list = list_new("quarantine.list", quar_cols, "id", quar_args,
	    q)) == NULL) {
		free(q);
		return -1;
	}
	s->data = q;
	return 0;
}

static void
quar_build(struct screen *s)
{
	struct quar	*q = s->data;

	list_build(q->list, frame_body_top(), frame_body_lines());
}

static void
quar_unbuild(struct screen *s)
{
	struct quar	*q = s->data;

	list_hide(q->list);
}

static void
quar_leave(struct screen *s)
{
	struct quar	*q = s->data;

	dialog_forget(q);
	conn_forget(q);
	list_free(q->list);
	free(q);
}

static json_t *
quar_selected(struct quar *q)
{
	json_t	*item = list_selected(q->list);

	if (!json_is_integer(json_object_get(item, "id"))) {
		frame_msg("no message selected");
		return NULL;
	}
	return item;
}

static void
quar_show(struct quar *q)
{
	json_t			*item = quar_selected(q);
	struct detail_param	 p;
	char			 title[64];

	if (item == NULL)
		return;
	snprintf(title, sizeof title, "Message %lld", (long long)
	    json_integer_value(json_object_get(item, "id")));
	p.title = title;
	p.cmd = "quarantine.show";
	p.args = json_pack("{s:O}", "id", json_object_get(item, "id"));
	p.value = NULL;
	tui_push(&scr_detail, &p);
}

static void
quar_done(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct quar	*q = arg;
	json_t		*id;
	char		 after[32];

	if (rc != IPC_CALL_OK) {
		tui_call_failed(rc, err);
		return;
	}
	frame_msg("message %lld %s", (long long)q->id,
	    strcmp(q->cmd, "quarantine.release") == 0 ?
	    "released to the next hop" : "deleted");
	/* Held ones only: it goes; with the others: its row again. */
	if (!q->all) {
		id = json_integer(q->id);
		list_remove(q->list, id);
		json_decref(id);
		return;
	}
	snprintf(after, sizeof after, "%lld", (long long)q->id + 1);
	list_refetch(q->list, "quarantine.list", json_pack("{s:b,s:s,s:i}",
	    "all", 1, "after", after, "limit", 1));
}

static void
quar_confirmed(void *arg, int ok, const char *text)
{
	struct quar	*q = arg;

	if (!ok) {
		frame_msg("nothing done");
		return;
	}
	if (conn_call(q->cmd, json_pack("{s:I}", "id", q->id), quar_done,
	    q) == -1)
		frame_err("the daemon is slow to answer: try again");
	else
		frame_msg("%s...", strcmp(q->cmd, "quarantine.release") == 0 ?
		    "releasing" : "deleting");
}

static void
quar_ask(struct quar *q, const char *cmd)
{
	json_t		*item = quar_selected(q);
	char		 question[600], *sender;
	const char	*s;

	if (item == NULL || !tui_may(cmd))
		return;
	q->id = json_integer_value(json_object_get(item, "id"));
	q->cmd = cmd;
	s = json_string_value(json_object_get(item, "sender"));
	sender = text_safe(s != NULL && *s != '\0' ? s : "<>", 0);
	snprintf(question, sizeof question, "%s message %lld from %s?",
	    strcmp(cmd, "quarantine.release") == 0 ? "Release" : "Delete",
	    (long long)q->id, sender != NULL ? sender : "?");
	free(sender);
	dialog_confirm(question, strcmp(cmd, "quarantine.release") == 0 ?
	    "Release" : "Delete", quar_confirmed, q);
}

static int
quar_action(struct screen *s, enum tui_action a)
{
	struct quar	*q = s->data;

	switch (a) {
	case A_OPEN:	quar_show(q); break;
	case A_RELEASE:	quar_ask(q, "quarantine.release"); break;
	case A_DELETE:	quar_ask(q, "quarantine.delete"); break;
	case A_FILTER:
		q->all = !q->all;
		list_set_label(q->list, q->all ? "released and deleted too" :
		    "");
		list_reload(q->list);
		frame_msg("showing %s", q->all ? "every message, released and "
		    "deleted ones too" : "the messages held");
		break;
	case A_REFRESH:	list_reload(q->list); break;
	default:
		if (!keys_movement(a))
			return 0;
		list_moved(q->list);
		break;
	}
	return 1;
}

static void
quar_connected(struct screen *s)
{
	struct quar	*q = s->data;

	list_reload(q->list);
}

static CDKOBJS *
quar_focus(struct screen *s)
{
	struct quar	*q = s->data;

	return list_widget(q->list);
}

const struct screen_ops scr_quarantine = {
	.title = "Quarantine",
	.actions = quar_actions,
	.enter = quar_enter,
	.build = quar_build,
	.unbuild = quar_unbuild,
	.leave = quar_leave,
	.action = quar_action,
	.connected = quar_connected,
	.focus = quar_focus,
};
