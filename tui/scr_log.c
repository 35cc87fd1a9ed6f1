/*
 * Log search: the message log, newest first, a page at a time.  The
 * filter form takes every criterion of log search (domain, user, sender,
 * recipient, status, time range, queue ID); the daemon checks it before
 * the list is asked again, so a bad value is told at its field.  Enter
 * shows a row; l locks the user that sent it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const struct list_col log_cols[] = {
	{ "time", "TIME", 16, LC_TIME },
	{ "status", "STATUS", 11, 0 },
	{ "user", "USER", 14, 0 },
	{ "sender", "SENDER", 0, 0 },
	{ "recipients", "RECIPIENTS", 18, 0 },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action log_actions[] = {
	A_OPEN, A_FILTER, A_LOCK, A_HELP, A_BACK, A_QUIT, A_REFRESH, A_UP,
	A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

/* The filter form's fields: the arguments of log.search, in this order. */
static const struct filter_field log_fields[] = {
	{ "domain", "Domain" }, { "user", "User" }, { "sender", "Sender" },
	{ "recipient", "Recipient" }, { "status", "Status" },
	{ "since", "Since" }, { "until", "Until" }, { "queue_id", "Queue ID" },
	{ NULL, NULL }
};

struct logs {
	struct list	*list;
	json_t		*filter;	/* log.search arguments */
};

static void
log_args(void *arg, json_t *args)
{
	struct logs	*g = arg;

	json_object_update(args, g->filter);
}

static int
log_enter(struct screen *s, void *param)
{
	struct logs	*g;

	if ((g = calloc(1, sizeof *g)) == NULL)
		return -1;
	snprintf(s->title, sizeof s->title, "Log search");
	g->filter = json_object();
	if ((g->list = list_new("log.search", log_cols, "id", log_args,
	    g)) == NULL) {
		json_decref(g->filter);
		free(g);
		return -1;
	}
	s->data = g;
	return 0;
}

static void
log_build(struct screen *s)
{
	struct logs	*g = s->data;

	list_build(g->list, frame_body_top(), frame_body_lines());
}

static void
log_unbuild(struct screen *s)
{
	struct logs	*g = s->data;

	list_hide(g->list);
}

static void
log_leave(struct screen *s)
{
	struct logs	*g = s->data;

	conn_forget(g);
	useract_forget(g);
	list_free(g->list);
	json_decref(g->filter);
	free(g);
}

/* The filter form's search was taken: the list follows it. */
static void
log_filtered(void *arg)
{
	struct logs	*g = arg;

	filter_label(g->list, g->filter);
	list_reload(g->list);
	frame_msg("%s", json_object_size(g->filter) ? "filtered" :
	    "every message");
}

static void
log_show(struct logs *g)
{
	json_t			*item = list_selected(g->list);
	struct detail_param	 p;
	char			 title[64], *safe;

	if (item == NULL) {
		frame_msg("no message selected");
		return;
	}
	safe = text_safe(json_string_value(json_object_get(item, "queue_id")),
	    0);
	snprintf(title, sizeof title, "Message %s", safe != NULL ? safe : "?");
	free(safe);
	p.title = title;
	p.cmd = NULL;
	p.args = NULL;
	p.value = item;
	tui_push(&scr_detail, &p);
}

/* Lock the user the message came from, the message named as the reason. */
static void
log_lock(struct logs *g)
{
	json_t		*item = list_selected(g->list);
	const char	*user = json_string_value(json_object_get(item, "user"));
	const char	*qid = json_string_value(json_object_get(item,
			    "queue_id"));
	const char	*sender = json_string_value(json_object_get(item,
			    "sender"));
	char		 reason[600];

	if (item == NULL) {
		frame_msg("no message selected");
		return;
	}
	if (user == NULL || *user == '\0') {
		frame_msg("this message belongs to no user: nothing to lock");
		return;
	}
	snprintf(reason, sizeof reason, "sent %s from %s", qid != NULL &&
	    *qid != '\0' ? qid : "a message", sender != NULL && *sender !=
	    '\0' ? sender : "<>");
	useract_lock(user, reason, NULL, g);
}

static int
log_action(struct screen *s, enum tui_action a)
{
	struct logs	*g = s->data;

	switch (a) {
	case A_OPEN:	log_show(g); break;
	case A_FILTER:
		filter_open("log.search", log_fields, &g->filter, log_filtered,
		    g);
		break;
	case A_LOCK:	log_lock(g); break;
	case A_REFRESH:	list_reload(g->list); break;
	default:
		if (!keys_movement(a))
			return 0;
		list_moved(g->list);
		break;
	}
	return 1;
}

static void
log_connected(struct screen *s)
{
	struct logs	*g = s->data;

	list_reload(g->list);
}

static CDKOBJS *
log_focus(struct screen *s)
{
	struct logs	*g = s->data;

	return list_widget(g->list);
}

const struct screen_ops scr_log = {
	.title = "Log search",
	.actions = log_actions,
	.enter = log_enter,
	.build = log_build,
	.unbuild = log_unbuild,
	.leave = log_leave,
	.action = log_action,
	.connected = log_connected,
	.focus = log_focus,
};
