/*
 * Modal dialogs over the current screen: a confirmation, a line of input,
 * the login.  One at a time; keys go to it while it is open.  Its widgets
 * are rebuilt on resize with what was typed kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tui.h"

enum dialog_kind { D_NONE, D_CONFIRM, D_INPUT, D_LOGIN, D_CHOOSE };

#define DIALOG_MAX_ROWS	8

#define DIALOG_MAX_TEXT	256

static struct {
	enum dialog_kind	 kind;
	dialog_cb		*cb;
	void			*arg;
	char			 question[512];
	char			 yes[32];
	char			 label[64];
	CDKDIALOG		*confirm;
	CDKSCROLL		*choose;
	char			 rows[DIALOG_MAX_ROWS][200];
	int			 nrows;
	int			 selected;
	CDKENTRY		*entry[2];
	int			 nentries;
	int			 focus;
	/* What was typed, kept across a rebuild (the password too). */
	char			 saved[2][DIALOG_MAX_TEXT + 1];
} dlg;

int
dialog_active(void)
{
	return dlg.kind != D_NONE;
}

static void
dialog_save(void)
{
	int	i;

	for (i = 0; i < dlg.nentries; i++) {
		if (dlg.entry[i] != NULL)
			snprintf(dlg.saved[i], sizeof dlg.saved[i], "%s",
			    getCDKEntryValue(dlg.entry[i]));
	}
}

/* Destroy the widgets; an entry's buffer is wiped first (a password). */
static void
dialog_unbuild(void)
{
	int	i;

	if (dlg.confirm != NULL)
		destroyCDKDialog(dlg.confirm);
	dlg.confirm = NULL;
	if (dlg.choose != NULL) {
		dlg.selected = getCDKScrollCurrentItem(dlg.choose);
		destroyCDKScroll(dlg.choose);
	}
	dlg.choose = NULL;
	for (i = 0; i < 2; i++) {
		if (dlg.entry[i] == NULL)
			continue;
		sodium_memzero(dlg.entry[i]->info, strlen(dlg.entry[i]->info));
		destroyCDKEntry(dlg.entry[i]);
		dlg.entry[i] = NULL;
	}
}

static void
dialog_build_confirm(void)
{
	const char	*msg[3], *buttons[2];
	char		 yes[48];

	msg[0] = dlg.question;
	msg[1] = "";
	msg[2] = "<C>Esc cancels";
	buttons[0] = "Cancel";
	snprintf(yes, sizeof yes, "%s", dlg.yes);
	buttons[1] = yes;
	dlg.confirm = newCDKDialog(tui.cdk, CENTER, CENTER,
	    (CDK_CSTRING2)msg, 3, (CDK_CSTRING2)buttons, 2, A_REVERSE, TRUE,
	    TRUE, FALSE);
}

static void
dialog_build_choose(void)
{
	const char	*rows[DIALOG_MAX_ROWS];
	int		 i, width = 0, len;

	for (i = 0; i < dlg.nrows; i++) {
		rows[i] = dlg.rows[i];
		if ((len = (int)strlen(rows[i])) > width)
			width = len;
	}
	width += 4;
	if ((len = (int)strlen(dlg.question)) + 2 > width)
		width = len + 2;
	if (width > COLS - 2)
		width = COLS - 2;
	dlg.choose = newCDKScroll(tui.cdk, CENTER, CENTER, RIGHT,
	    dlg.nrows + 4, width, dlg.question, (CDK_CSTRING2)rows, dlg.nrows,
	    FALSE, A_REVERSE, TRUE, FALSE);
	if (dlg.choose != NULL)
		setCDKScrollCurrentItem(dlg.choose, dlg.selected);
}

static CDKENTRY *
dialog_entry(int y, const char *title, const char *label, int hidden)
{
	CDKENTRY	*e;
	int		 width = COLS - 20 < 50 ? COLS - 20 : 50;

	/* Only the "H" display types draw the hidden character. */
	e = newCDKEntry(tui.cdk, CENTER, y, title, label, A_UNDERLINE, '_',
	    hidden ? vHMIXED : vMIXED, width, 0, DIALOG_MAX_TEXT, TRUE, FALSE);
	if (e == NULL)
		return NULL;
	if (hidden)
		setCDKEntryHiddenChar(e, '*');
	return e;
}

static void
dialog_build(void)
{
	int	i, mid = LINES / 2;

	switch (dlg.kind) {
	case D_CONFIRM:
		dialog_build_confirm();
		return;
	case D_CHOOSE:
		dialog_build_choose();
		return;
	case D_INPUT:
		dlg.entry[0] = dialog_entry(mid - 2, dlg.question, dlg.label, 0);
		break;
	case D_LOGIN:
		dlg.entry[0] = dialog_entry(mid - 4, dlg.question,
		    "Name:     ", 0);
		dlg.entry[1] = dialog_entry(mid + 1,
		    "<C>Tab: next field  Enter: log in  Esc: quit",
		    "Password: ", 1);
		break;
	default:
		return;
	}
	for (i = 0; i < dlg.nentries; i++) {
		if (dlg.entry[i] != NULL)
			setCDKEntryValue(dlg.entry[i], dlg.saved[i]);
	}
}

void
dialog_rebuild(void)
{
	if (dlg.kind == D_NONE)
		return;
	dialog_save();
	dialog_unbuild();
	dialog_build();
}

static void
dialog_open(enum dialog_kind kind, int nentries, dialog_cb *cb, void *arg)
{
	dialog_unbuild();
	sodium_memzero(dlg.saved, sizeof dlg.saved);
	dlg.kind = kind;
	dlg.nentries = nentries;
	dlg.focus = 0;
	dlg.cb = cb;
	dlg.arg = arg;
	dialog_build();
}

void
dialog_confirm(const char *question, const char *yes, dialog_cb *cb,
    void *arg)
{
	char	*safe = text_safe(question, 0);

	snprintf(dlg.question, sizeof dlg.question, "<C>%s",
	    safe != NULL ? safe : "?");
	free(safe);
	snprintf(dlg.yes, sizeof dlg.yes, "%s", yes);
	dialog_open(D_CONFIRM, 0, cb, arg);
}

void
dialog_choose(const char *title, const char *const *rows, int n,
    dialog_cb *cb, void *arg)
{
	char	*safe;
	int	 i;

	safe = text_safe(title, 0);
	snprintf(dlg.question, sizeof dlg.question, "<C>%s\n<C>Enter picks, "
	    "Esc cancels", safe != NULL ? safe : "?");
	free(safe);
	dlg.nrows = n < DIALOG_MAX_ROWS ? n : DIALOG_MAX_ROWS;
	for (i = 0; i < dlg.nrows; i++) {
		safe = text_safe(rows[i], 0);
		snprintf(dlg.rows[i], sizeof dlg.rows[i], " %s",
		    safe != NULL ? safe : "?");
		free(safe);
	}
	dlg.selected = 0;
	dialog_open(D_CHOOSE, 0, cb, arg);
}

void
dialog_input(const char *label, const char *initial, dialog_cb *cb,
    void *arg)
{
	char	*safe = text_safe(label, 0);

	snprintf(dlg.question, sizeof dlg.question,
	    "<C>%s (Enter: done, Esc: cancel)", safe != NULL ? safe : "?");
	free(safe);
	dlg.label[0] = '\0';
	dialog_open(D_INPUT, 1, cb, arg);
	if (initial != NULL && dlg.entry[0] != NULL)
		setCDKEntryValue(dlg.entry[0], initial);
}

void
dialog_login(const char *why, dialog_cb *cb, void *arg)
{
	char	*safe = text_safe(why, 0);

	snprintf(dlg.question, sizeof dlg.question, "<C>Log in to outfilterd"
	    "\n<C>%.200s", safe != NULL ? safe : "");
	free(safe);
	dialog_open(D_LOGIN, 2, cb, arg);
}

/* Close, then tell the caller (which may open the next dialog). */
static void
dialog_close(int ok)
{
	dialog_cb	*cb = dlg.cb;
	void		*arg = dlg.arg;
	char		 text[2 * DIALOG_MAX_TEXT + 2];
	size_t		 n;

	dialog_save();
	if (dlg.kind == D_CHOOSE) {
		if (dlg.choose != NULL)
			dlg.selected = getCDKScrollCurrentItem(dlg.choose);
		snprintf(dlg.saved[0], sizeof dlg.saved[0], "%d",
		    dlg.selected);
	}
	n = strlen(dlg.saved[0]);
	memcpy(text, dlg.saved[0], n + 1);
	if (dlg.kind == D_LOGIN)
		memcpy(text + n + 1, dlg.saved[1], strlen(dlg.saved[1]) + 1);
	dialog_unbuild();
	sodium_memzero(dlg.saved, sizeof dlg.saved);
	dlg.kind = D_NONE;
	dlg.cb = NULL;
	if (cb != NULL)
		cb(arg, ok, text);
	sodium_memzero(text, sizeof text);
	tui_rebuild();
}

void
dialog_forget(void *arg)
{
	if (dlg.arg == arg)
		dlg.cb = NULL;
}

static void
dialog_confirm_key(int key)
{
	int	rc;

	if (key == KEY_ESC || key == 'q') {
		dialog_close(0);
		return;
	}
	if (key == '\n' || key == '\r')
		key = KEY_ENTER;
	if (dlg.confirm == NULL)
		return;
	rc = injectCDKDialog(dlg.confirm, (chtype)key);
	if (key == KEY_ENTER || ExitTypeOf(dlg.confirm) == vNORMAL)
		dialog_close(rc == 1);
}

static void
dialog_entry_key(int key)
{
	CDKENTRY	*e = dlg.entry[dlg.focus];

	if (key == KEY_ESC) {
		dialog_close(0);
		return;
	}
	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		dialog_close(1);
		return;
	}
	if ((key == '\t' || key == KEY_BTAB || key == KEY_DOWN ||
	    key == KEY_UP) && dlg.nentries > 1) {
		dlg.focus = (dlg.focus + 1) % dlg.nentries;
		return;
	}
	if (e != NULL)
		injectCDKEntry(e, (chtype)key);
}

static void
dialog_choose_key(int key)
{
	switch (key) {
	case KEY_ESC: case 'q':
		dialog_close(0);
		return;
	case '\n': case '\r': case KEY_ENTER:
		dialog_close(1);
		return;
	case 'j':
		key = KEY_DOWN;
		break;
	case 'k':
		key = KEY_UP;
		break;
	}
	if (dlg.choose != NULL && (key == KEY_DOWN || key == KEY_UP ||
	    key == KEY_HOME || key == KEY_END))
		injectCDKScroll(dlg.choose, (chtype)key);
}

void
dialog_key(int key)
{
	if (dlg.kind == D_CHOOSE)
		dialog_choose_key(key);
	else if (dlg.kind == D_CONFIRM)
		dialog_confirm_key(key);
	else if (dlg.kind != D_NONE)
		dialog_entry_key(key);
}

/* Draw on top of the screen; the focused entry gets the cursor. */
void
dialog_draw(void)
{
	int	i;

	if (dlg.confirm != NULL)
		drawCDKDialog(dlg.confirm, TRUE);
	if (dlg.choose != NULL)
		drawCDKScroll(dlg.choose, TRUE);
	for (i = 0; i < dlg.nentries; i++) {
		if (dlg.entry[i] != NULL && i != dlg.focus)
			drawCDKEntry(dlg.entry[i], TRUE);
	}
	if (dlg.nentries > 0 && dlg.entry[dlg.focus] != NULL)
		drawCDKEntry(dlg.entry[dlg.focus], TRUE);
}
