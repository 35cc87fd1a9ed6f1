/*
 * Status: the daemon's state and counters (the status command), asked
 * again every STATUS_EVERY seconds.  Only the label's text changes, so
 * curses sends only the digits that moved: no flicker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

#define STATUS_EVERY	2
#define STATUS_MAX	40

struct status {
	CDKLABEL	*label;
	char		*lines[STATUS_MAX];
	int		 n;
	int		 built_n;	/* lines the label was made with */
	time_t		 asked;
	int		 waiting;
	char		 when[32];
};

static const enum tui_action status_actions[] = {
	A_REFRESH, A_HELP, A_BACK, A_QUIT, A_NONE
};

static void
status_set(struct status *st, int i, const char *key, const char *value)
{
	char	buf[256];

	snprintf(buf, sizeof buf, " %-24s %s", key, value);
	free(st->lines[i]);
	st->lines[i] = strdup(buf);
}

/* One member; an object's members become "users.ip" lines. */
static void
status_member(struct status *st, const char *prefix, const char *key,
    const json_t *v)
{
	char		 name[128], val[64], *text;
	const char	*k;
	json_t		*e;

	snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "." : "",
	    key);
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			status_member(st, name, k, e);
		return;
	}
	if (st->n == STATUS_MAX - 1)
		return;
	if (strcmp(name, "uptime") == 0 && json_is_integer(v)) {
		text_duration(val, sizeof val, json_integer_value(v));
		status_set(st, st->n++, name, val);
		return;
	}
	text = text_value(v, 0);
	status_set(st, st->n++, name, text != NULL ? text : "?");
	free(text);
}

/* Lines padded to one width: the label keeps its size as they change. */
static void
status_padded(const struct status *st, char **lines)
{
	int	i, width = COLS - 4;

	for (i = 0; i < st->n; i++) {
		if ((lines[i] = malloc(width + 1)) != NULL)
			snprintf(lines[i], width + 1, "%-*s", width,
			    st->lines[i]);
	}
}

static void
status_padded_free(const struct status *st, char **lines)
{
	int	i;

	for (i = 0; i < st->n; i++)
		free(lines[i]);
}

static void
status_show(struct status *st)
{
	char	*lines[STATUS_MAX];

	if (st->label == NULL)
		return;
	if (st->n != st->built_n) {
		tui_rebuild();
		return;
	}
	status_padded(st, lines);
	setCDKLabelMessage(st->label, (CDK_CSTRING2)lines, st->n);
	status_padded_free(st, lines);
	drawCDKLabel(st->label, TRUE);
}

static void
status_reply(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct screen	*s = arg;
	struct status	*st = s->data;
	const char	*key;
	json_t		*v;
	struct tm	 tm;
	time_t		 now = time(NULL);

	st->waiting = 0;
	if (rc != IPC_CALL_OK) {
		if (rc == IPC_CALL_REFUSED)
			frame_err("%s", err->message);
		return;
	}
	st->n = 0;
	localtime_r(&now, &tm);
	strftime(st->when, sizeof st->when, "%H:%M:%S", &tm);
	status_set(st, st->n++, "as of", st->when);
	json_object_foreach(result, key, v)
		status_member(st, "", key, v);
	status_show(st);
}

static void
status_ask(struct screen *s)
{
	struct status	*st = s->data;

	if (st->waiting)
		return;
	if (conn_call("status", NULL, status_reply, s) == 0)
		st->waiting = 1;
	st->asked = time(NULL);
}

static int
status_enter(struct screen *s, void *param)
{
	struct status	*st;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return -1;
	s->data = st;
	st->lines[0] = strdup(" waiting for the daemon...");
	st->n = 1;
	status_ask(s);
	return 0;
}

static void
status_build(struct screen *s)
{
	struct status	*st = s->data;
	char		*lines[STATUS_MAX];

	status_padded(st, lines);
	st->label = newCDKLabel(tui.cdk, LEFT, frame_body_top(),
	    (CDK_CSTRING2)lines, st->n, TRUE, FALSE);
	status_padded_free(st, lines);
	st->built_n = st->n;
	if (st->label != NULL)
		drawCDKLabel(st->label, TRUE);
}

static void
status_unbuild(struct screen *s)
{
	struct status	*st = s->data;

	if (st->label != NULL)
		destroyCDKLabel(st->label);
	st->label = NULL;
}

static void
status_leave(struct screen *s)
{
	struct status	*st = s->data;
	int		 i;

	for (i = 0; i < STATUS_MAX; i++)
		free(st->lines[i]);
	free(st);
}

static int
status_action(struct screen *s, enum tui_action a)
{
	if (a != A_REFRESH)
		return 0;
	status_ask(s);
	return 1;
}

static void
status_tick(struct screen *s)
{
	struct status	*st = s->data;

	if (time(NULL) - st->asked >= STATUS_EVERY)
		status_ask(s);
}

const struct screen_ops scr_status = {
	.title = "Status",
	.actions = status_actions,
	.enter = status_enter,
	.build = status_build,
	.unbuild = status_unbuild,
	.leave = status_leave,
	.action = status_action,
	.tick = status_tick,
	.connected = status_ask,
};
