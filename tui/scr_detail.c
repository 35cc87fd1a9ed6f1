/*
 * One object from a show command, as "key  value" lines.  A user's
 * settings come in the groups of the settings table, like the panel's
 * forms; a key ending in "@" is a time, one ending in "?" a yes/no.
 */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

#define DETAIL_MAX	256

struct detail {
	char		 cmd[64];
	json_t		*args;
	json_t		*result;
	CDKSCROLL	*scroll;
	int		 selected;
	char		*lines[DETAIL_MAX];
	int		 n;
};

static const enum tui_action detail_actions[] = {
	A_HELP, A_BACK, A_QUIT, A_REFRESH, A_UP, A_DOWN, A_HOME, A_END,
	A_PGUP, A_PGDN, A_NONE
};

static void
detail_add(struct detail *d, int indent, const char *key, const char *value)
{
	char	*line;

	if (d->n == DETAIL_MAX)
		return;
	if (asprintf(&line, "%*s%-*s %s", indent, "", 28 - indent, key,
	    value) != -1)
		d->lines[d->n++] = line;
}

/* A value for people: times as UTC dates, the rest ASCII-safe. */
static char *
detail_value(const char *key, const json_t *v)
{
	char		 buf[64];
	struct tm	 tm;
	time_t		 t;
	size_t		 len = strlen(key);

	if (len > 0 && key[len - 1] == '@' && json_is_integer(v)) {
		t = (time_t)json_integer_value(v);
		gmtime_r(&t, &tm);
		strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
		return strdup(buf);
	}
	return text_value(v, strcmp(key, "domain") == 0);
}

static void
detail_member(struct detail *d, int indent, const char *key, const json_t *v)
{
	char	name[128], *text;
	size_t	len;

	snprintf(name, sizeof name, "%s", key);
	len = strlen(name);
	if (len > 1 && (name[len - 1] == '@' || name[len - 1] == '?'))
		name[len - 1] = '\0';
	text = detail_value(key, v);
	detail_add(d, indent, name, text != NULL ? text : "?");
	free(text);
}

/* The settings by group, in the order of the settings table. */
static void
detail_settings(struct detail *d, const json_t *set)
{
	const char	*group = NULL;
	const json_t	*v;
	size_t		 i;

	for (i = 0; i < ipc_nusets; i++) {
		if ((v = json_object_get(set, ipc_usets[i].key)) == NULL)
			continue;
		if (group == NULL || strcmp(group, ipc_usets[i].group) != 0) {
			group = ipc_usets[i].group;
			detail_add(d, 0, "", "");
			detail_add(d, 1, group, "");
		}
		detail_member(d, 3, ipc_usets[i].key, v);
	}
}

static void
detail_lines(struct detail *d)
{
	const char	*key;
	json_t		*v, *sub;
	const char	*k;

	while (d->n > 0)
		free(d->lines[--d->n]);
	if (d->result == NULL) {
		detail_add(d, 1, "loading...", "");
		return;
	}
	json_object_foreach(d->result, key, v) {
		if (strcmp(key, "settings") == 0 && json_is_object(v)) {
			detail_settings(d, v);
			continue;
		}
		if (!json_is_object(v)) {
			detail_member(d, 1, key, v);
			continue;
		}
		detail_add(d, 1, key, "");
		json_object_foreach(v, k, sub)
			detail_member(d, 3, k, sub);
	}
}

static void
detail_reply(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct screen	*s = arg;
	struct detail	*d = s->data;

	if (rc == IPC_CALL_REFUSED)
		frame_err("%s", err->message);
	if (rc != IPC_CALL_OK)
		return;
	json_decref(d->result);
	d->result = json_incref(result);
	tui_rebuild();
}

static void
detail_ask(struct screen *s)
{
	struct detail	*d = s->data;

	conn_call(d->cmd, json_deep_copy(d->args), detail_reply, s);
}

static int
detail_enter(struct screen *s, void *param)
{
	struct detail_param	*p = param;
	struct detail		*d;

	if ((d = calloc(1, sizeof *d)) == NULL) {
		json_decref(p->args);
		return -1;
	}
	snprintf(d->cmd, sizeof d->cmd, "%s", p->cmd);
	d->args = p->args;
	snprintf(s->title, sizeof s->title, "%s", p->title);
	s->data = d;
	detail_ask(s);
	return 0;
}

static void
detail_build(struct screen *s)
{
	struct detail	*d = s->data;

	detail_lines(d);
	d->scroll = newCDKScroll(tui.cdk, LEFT, frame_body_top(), RIGHT,
	    frame_body_lines(), COLS, NULL, (CDK_CSTRING2)d->lines, d->n,
	    FALSE, A_REVERSE, TRUE, FALSE);
	s->focus = d->scroll != NULL ? ObjOf(d->scroll) : NULL;
	if (d->scroll == NULL)
		return;
	if (d->selected >= d->n)
		d->selected = d->n - 1;
	setCDKScrollCurrentItem(d->scroll, d->selected > 0 ? d->selected : 0);
	drawCDKScroll(d->scroll, TRUE);
}

static void
detail_unbuild(struct screen *s)
{
	struct detail	*d = s->data;

	if (d->scroll == NULL)
		return;
	d->selected = getCDKScrollCurrentItem(d->scroll);
	destroyCDKScroll(d->scroll);
	d->scroll = NULL;
	s->focus = NULL;
}

static void
detail_leave(struct screen *s)
{
	struct detail	*d = s->data;

	while (d->n > 0)
		free(d->lines[--d->n]);
	json_decref(d->args);
	json_decref(d->result);
	free(d);
}

static int
detail_action(struct screen *s, enum tui_action a)
{
	if (a != A_REFRESH)
		return 0;
	detail_ask(s);
	return 1;
}

const struct screen_ops scr_detail = {
	.title = "Details",
	.actions = detail_actions,
	.enter = detail_enter,
	.build = detail_build,
	.unbuild = detail_unbuild,
	.leave = detail_leave,
	.action = detail_action,
	.connected = detail_ask,
};
