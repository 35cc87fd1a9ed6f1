/*
 * The key table.  Dispatch, the footer and the help screen all read it, so
 * what the footer promises is what the keys do.  Every F-key has a letter
 * twin: F-keys do not always get through PuTTY and tmux.
 */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

const struct tui_key tui_keys[] = {
	{ A_HELP,	KEY_F(1), '?',	"F1", "?",	"Help",
	    "help for this screen" },
	{ A_BACK,	KEY_ESC, 'q',	"Esc", "q",	"Back",
	    "back, or cancel" },
	{ A_QUIT,	KEY_F(10), 'Q',	"F10", "Q",	"Quit",
	    "quit the console" },
	{ A_UP,		KEY_UP, 'k',	"Up", "k",	"Up",
	    "previous row" },
	{ A_DOWN,	KEY_DOWN, 'j',	"Down", "j",	"Down",
	    "next row" },
	{ A_HOME,	KEY_HOME, 'g',	"Home", "g",	"First",
	    "first row" },
	{ A_END,	KEY_END, 'G',	"End", "G",	"Last",
	    "last row loaded (more are fetched as you go)" },
	{ A_PGUP,	KEY_PPAGE, 0,	"PgUp", NULL,	"PgUp",
	    "previous page" },
	{ A_PGDN,	KEY_NPAGE, 0,	"PgDn", NULL,	"PgDn",
	    "next page" },
	{ A_OPEN,	'\n', KEY_ENTER, "Enter", NULL,	"Open",
	    "open, show or edit the selected row" },
	{ A_SEARCH,	'/', KEY_F(3),	"/", "F3",	"Search",
	    "search by name" },
	{ A_FILTER,	'\\', KEY_F(4),	"\\", "F4",	"Filter",
	    "change the filter" },
	{ A_ADD,	'a', KEY_IC,	"a", "Ins",	"Add",
	    "add" },
	{ A_EDIT,	'e', 0,		"e", NULL,	"Edit",
	    "edit the selected row in a form" },
	{ A_DELETE,	'd', KEY_DC,	"d", "Del",	"Delete",
	    "delete the selected row (asks first)" },
	{ A_LOCK,	'l', 0,		"l", NULL,	"Lock",
	    "lock the selected row" },
	{ A_UNLOCK,	'u', 0,		"u", NULL,	"Unlock",
	    "unlock the selected row" },
	{ A_PASSWD,	'p', 0,		"p", NULL,	"Password",
	    "change the password" },
	{ A_TOGGLE,	' ', 0,		"Space", NULL,	"On/off",
	    "turn the selected row on or off" },
	{ A_RESET,	'r', 0,		"r", NULL,	"Reset",
	    "reset the counters and the automatic unlock count" },
	{ A_RELEASE,	'r', 0,		"r", NULL,	"Release",
	    "relay the selected message to the next hop now (asks first)" },
	{ A_PREVIEW,	'v', 0,		"v", NULL,	"Preview",
	    "preview with sample values" },
	{ A_VIEW,	'v', 0,		"v", NULL,	"Pager",
	    "show the text in $PAGER" },
	{ A_REFRESH,	CTRL('r'), KEY_F(5), "^R", "F5", "Refresh",
	    "fetch again from the daemon" },
	{ A_NEXT_FIELD,	'\t', 0,	"Tab", NULL,	"Next",
	    "next field" },
	{ A_PREV_FIELD,	KEY_BTAB, 0,	"S-Tab", NULL,	"Prev",
	    "previous field" },
	{ A_SAVE,	KEY_F(2), CTRL('o'), "F2", "^O", "Save",
	    "save the form (Enter on its last field too)" },
	{ A_EXPORT,	'x', 0,		"x", NULL,	"Export",
	    "write the selected message to a file (asks where)" },
	{ A_IMPORT,	'i', 0,		"i", NULL,	"Import",
	    "import a file, sent in parts (asks which)" },
	{ A_CHECK,	'c', 0,		"c", NULL,	"Check",
	    "check a domain as the relay would (asks which)" },
	{ A_NONE,	0, 0, NULL, NULL, NULL, NULL }
};

const struct tui_key *
keys_find(enum tui_action a)
{
	const struct tui_key	*k;

	for (k = tui_keys; k->action != A_NONE; k++) {
		if (k->action == a)
			return k;
	}
	return NULL;
}

static int
keys_offered(enum tui_action a, const enum tui_action *offered)
{
	for (; *offered != A_NONE; offered++) {
		if (*offered == a)
			return 1;
	}
	return 0;
}

/* The action of key on a screen offering these actions, or A_NONE. */
enum tui_action
keys_action(int key, const enum tui_action *offered)
{
	const struct tui_key	*k;

	if (key == '\r')
		key = '\n';
	for (k = tui_keys; k->action != A_NONE; k++) {
		if ((k->key == key || (k->twin != 0 && k->twin == key)) &&
		    keys_offered(k->action, offered))
			return k->action;
	}
	return A_NONE;
}

/* Movement goes to the focused widget rather than to the screen. */
int
keys_movement(enum tui_action a)
{
	return a == A_UP || a == A_DOWN || a == A_HOME || a == A_END ||
	    a == A_PGUP || a == A_PGDN;
}

/*
 * The footer names one key per action, the one that gets through every
 * terminal (the letter twin of an F-key); help names both.  Movement keys
 * are left out: every list has them.  Hints are "KEY Label", separated
 * by tabs, as many as fit in size - 1 columns with one space after each.
 * Where keys type text a letter twin would type: the footer names the
 * control-key twin, or else the key itself.
 */
static const char *
keys_footer_name(const struct tui_key *k, int typing)
{
	if (typing)
		return k->twinname != NULL && k->twinname[0] == '^' ?
		    k->twinname : k->keyname;
	if (k->keyname[0] == 'F' && k->keyname[1] != '\0' &&
	    k->twinname != NULL)
		return k->twinname;
	return k->keyname;
}

/* "KEY Label" of action a into one; 0, or -1 when it has no key here. */
static int
keys_hint(enum tui_action a, int typing, char *one, size_t size)
{
	const struct tui_key	*k;

	if (keys_movement(a) || (k = keys_find(a)) == NULL)
		return -1;
	snprintf(one, size, "%s %s", keys_footer_name(k, typing), k->label);
	return 0;
}

/* The help hint always fits: the others give way to it. */
void
keys_footer(const enum tui_action *offered, int typing, char *buf,
    size_t size)
{
	const enum tui_action	*a;
	char			 one[64], help[64];
	size_t			 len = 0, keep = 0;
	int			 full = 0, helped = 0;

	buf[0] = '\0';
	for (a = offered; *a != A_NONE; a++) {
		if (*a == A_HELP && keys_hint(A_HELP, typing, help,
		    sizeof help) == 0)
			keep = strlen(help) + 2;
	}
	for (a = offered; *a != A_NONE; a++) {
		if (keys_hint(*a, typing, one, sizeof one) == -1)
			continue;
		if (*a == A_HELP)
			helped = 1;
		else if (full || len + strlen(one) + 2 + (helped ? 0 : keep) >=
		    size) {
			full = 1;
			continue;
		}
		len += snprintf(buf + len, size - len, "%s%s", len ? "\t" : "",
		    one);
	}
}

/* Help lines for these actions, malloc'ed (free each and the array). */
char **
keys_help_lines(const enum tui_action *offered, int *n)
{
	const struct tui_key	*k;
	char			**lines;
	int			 count = 0;

	for (*n = 0; offered[count] != A_NONE; count++)
		;
	if ((lines = calloc(count + 1, sizeof *lines)) == NULL)
		return NULL;
	for (; *offered != A_NONE; offered++) {
		if ((k = keys_find(*offered)) == NULL)
			continue;
		if (asprintf(&lines[*n], " %-6s %-6s %-8s %s", k->keyname,
		    k->twinname != NULL ? k->twinname : "", k->label,
		    k->help) != -1)
			(*n)++;
	}
	return lines;
}
