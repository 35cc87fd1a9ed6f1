/*
 * The main menu, mirroring the admin panel.  An entry's help line comes
 * from the command table; an entry whose command the daemon does not have
 * yet, or whose screen is still to come, says so and does nothing.  A
 * domain admin does not see the entries of super-admin commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct menu_entry {
	const char		*label;
	const char		*cmd;		/* what the screen lists */
	const struct screen_ops	*ops;		/* NULL: not yet */
};

static const struct menu_entry menu_entries[] = {
	{ "Outgoing > Manage users",	 "user.list",	    &scr_users },
	{ "Outgoing > Manage identities", "identity.list",  &scr_identities },
	{ "Lock templates",		 "template.list",   &scr_templates },
	{ "Log search",			 "log.search",	    &scr_log },
	{ "Quarantine",			 "quarantine.list", &scr_quarantine },
	{ "Archive",			 "archive.search",  &scr_archive },
	{ "Domains",			 "domain.list",	    &scr_domains },
	{ "DKIM keys",			 "dkim.list",	    &scr_dkim },
	{ "Admins",			 "admin.list",	    &scr_admins },
	{ "Newly registered domains",	 "nrd.status",	    &scr_nrd },
	{ "Status",			 "status",	    &scr_status },
};
#define MENU_N	(int)(sizeof menu_entries / sizeof menu_entries[0])

struct menu {
	CDKSCROLL	*scroll;
	int		 shown[MENU_N];	/* row -> entry */
	int		 n;
	int		 selected;
};

static const enum tui_action menu_actions[] = {
	A_OPEN, A_HELP, A_BACK, A_QUIT, A_UP, A_DOWN, A_HOME, A_END, A_NONE
};

static int
menu_visible(const struct menu_entry *e)
{
	return ipc_cmd_find(e->cmd) == NULL || tui_role_may(e->cmd);
}

static int
menu_ready(const struct menu_entry *e)
{
	return e->ops != NULL && ipc_cmd_find(e->cmd) != NULL;
}

static int
menu_enter(struct screen *s, void *param)
{
	return (s->data = calloc(1, sizeof(struct menu))) != NULL ? 0 : -1;
}

static void
menu_build(struct screen *s)
{
	struct menu		*m = s->data;
	const struct menu_entry	*e;
	char			*rows[MENU_N], line[256];
	int			 i;

	m->n = 0;
	for (i = 0; i < MENU_N; i++) {
		e = &menu_entries[i];
		if (!menu_visible(e))
			continue;
		snprintf(line, sizeof line, " %-30s %s", e->label,
		    menu_ready(e) ? ipc_cmd_find(e->cmd)->help :
		    "(not available yet)");
		rows[m->n] = strdup(line);
		m->shown[m->n++] = i;
	}
	m->scroll = newCDKScroll(tui.cdk, LEFT, frame_body_top(), RIGHT,
	    frame_body_lines(), COLS, "<C>outfilter", (CDK_CSTRING2)rows, m->n,
	    FALSE, A_REVERSE, TRUE, FALSE);
	for (i = 0; i < m->n; i++)
		free(rows[i]);
	s->focus = m->scroll != NULL ? ObjOf(m->scroll) : NULL;
	if (m->scroll == NULL)
		return;
	if (m->selected >= m->n)
		m->selected = m->n - 1;
	setCDKScrollCurrentItem(m->scroll, m->selected);
	drawCDKScroll(m->scroll, TRUE);
}

static void
menu_unbuild(struct screen *s)
{
	struct menu	*m = s->data;

	if (m->scroll == NULL)
		return;
	m->selected = getCDKScrollCurrentItem(m->scroll);
	destroyCDKScroll(m->scroll);
	m->scroll = NULL;
	s->focus = NULL;
}

static void
menu_leave(struct screen *s)
{
	free(s->data);
}

static int
menu_action(struct screen *s, enum tui_action a)
{
	struct menu		*m = s->data;
	const struct menu_entry	*e;

	if (a != A_OPEN || m->scroll == NULL || m->n == 0)
		return 0;
	e = &menu_entries[m->shown[getCDKScrollCurrentItem(m->scroll)]];
	if (!menu_ready(e)) {
		frame_msg("%s: not available yet", e->label);
		return 1;
	}
	if (tui_may(e->cmd))
		tui_push(e->ops, NULL);
	return 1;
}

const struct screen_ops scr_menu = {
	.title = "Main menu",
	.actions = menu_actions,
	.enter = menu_enter,
	.build = menu_build,
	.unbuild = menu_unbuild,
	.leave = menu_leave,
	.action = menu_action,
};
