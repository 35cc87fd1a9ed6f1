/*
 * One object, from a show command or handed over, as "key  value" lines
 * (detail.c).  v shows the lines in $PAGER, where a long text reads best.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct detail {
	char			 cmd[64];	/* "": the value was handed over */
	json_t			*args;
	json_t			*result;
	CDKSCROLL		*scroll;
	int			 selected;
	struct detail_lines	 lines;
};

static const enum tui_action detail_actions[] = {
	A_VIEW, A_HELP, A_BACK, A_QUIT, A_REFRESH, A_UP, A_DOWN, A_HOME,
	A_END, A_PGUP, A_PGDN, A_NONE
};

/* A value handed over is not asked again. */
static const enum tui_action detail_actions_value[] = {
	A_VIEW, A_HELP, A_BACK, A_QUIT, A_UP, A_DOWN, A_HOME, A_END, A_PGUP,
	A_PGDN, A_NONE
};

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
	if (tui.top == s)
		tui_rebuild();
}

static void
detail_ask(struct screen *s)
{
	struct detail	*d = s->data;

	if (d->cmd[0] != '\0')
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
	if (p->cmd != NULL)
		snprintf(d->cmd, sizeof d->cmd, "%s", p->cmd);
	else {
		d->result = json_deep_copy(p->value);
		s->actions = detail_actions_value;
	}
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

	detail_render(&d->lines, d->result, COLS - 4);
	d->scroll = newCDKScroll(tui.cdk, LEFT, frame_body_top(), RIGHT,
	    frame_body_lines(), COLS, NULL, (CDK_CSTRING2)d->lines.line,
	    d->lines.n, FALSE, A_REVERSE, TRUE, FALSE);
	s->focus = d->scroll != NULL ? ObjOf(d->scroll) : NULL;
	if (d->scroll == NULL)
		return;
	if (d->selected >= d->lines.n)
		d->selected = d->lines.n - 1;
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

	detail_clear(&d->lines);
	json_decref(d->args);
	json_decref(d->result);
	free(d);
}

/* The lines, unwrapped, in the pager. */
static void
detail_pager(struct detail *d)
{
	struct detail_lines	 wide;
	char			*text;
	size_t			 len = 0, size = 1;
	int			 i;

	memset(&wide, 0, sizeof wide);
	detail_render(&wide, d->result, 100000);
	for (i = 0; i < wide.n; i++)
		size += strlen(wide.line[i]) + 1;
	if ((text = malloc(size)) != NULL) {
		for (i = 0; i < wide.n; i++)
			len += snprintf(text + len, size - len, "%s\n",
			    wide.line[i]);
		run_pager(text);
		free(text);
	}
	detail_clear(&wide);
}

static int
detail_action(struct screen *s, enum tui_action a)
{
	struct detail	*d = s->data;

	switch (a) {
	case A_REFRESH:
		detail_ask(s);
		return 1;
	case A_VIEW:
		detail_pager(d);
		return 1;
	default:
		return 0;
	}
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
