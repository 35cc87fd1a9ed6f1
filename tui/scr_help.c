/*
 * Help for the screen below: its keys, printed from the key table that
 * dispatches them, so that help, footer and keys agree.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tui.h"

struct help {
	const struct screen	*of;
	CDKSCROLL		*scroll;
};

static const enum tui_action help_actions[] = {
	A_BACK, A_QUIT, A_UP, A_DOWN, A_PGUP, A_PGDN, A_NONE
};

static int
help_enter(struct screen *s, void *param)
{
	struct help	*h;

	if ((h = calloc(1, sizeof *h)) == NULL)
		return -1;
	h->of = param;
	s->data = h;
	snprintf(s->title, sizeof s->title, "Help");
	return 0;
}

static void
help_build(struct screen *s)
{
	struct help	*h = s->data;
	char		**lines, title[128];
	int		 n, i;

	if ((lines = keys_help_lines(screen_actions(h->of), &n)) == NULL)
		return;
	snprintf(title, sizeof title, "<L> Keys of %s\n<L> %-6s %-6s %-8s %s",
	    h->of->title[0] ? h->of->title : h->of->ops->title,
	    "KEY", "TWIN", "FOOTER", "WHAT IT DOES");
	h->scroll = newCDKScroll(tui.cdk, LEFT, frame_body_top(), RIGHT,
	    frame_body_lines(), COLS, title, (CDK_CSTRING2)lines, n, FALSE,
	    A_REVERSE, TRUE, FALSE);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	s->focus = h->scroll != NULL ? ObjOf(h->scroll) : NULL;
	if (h->scroll != NULL)
		drawCDKScroll(h->scroll, TRUE);
}

static void
help_unbuild(struct screen *s)
{
	struct help	*h = s->data;

	if (h->scroll != NULL)
		destroyCDKScroll(h->scroll);
	h->scroll = NULL;
	s->focus = NULL;
}

static void
help_leave(struct screen *s)
{
	free(s->data);
}

const struct screen_ops scr_help = {
	.title = "Help",
	.actions = help_actions,
	.enter = help_enter,
	.build = help_build,
	.unbuild = help_unbuild,
	.leave = help_leave,
};
