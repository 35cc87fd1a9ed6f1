/*
 * A form on the screen: the labels in a column, text fields as CDK entries
 * (passwords masked), on/off and choice fields stepped with Space, a long
 * text opened in $EDITOR.  Tab, Shift-Tab and the arrows move between
 * fields, Enter moves on and saves on the last one, F2 or ^O saves from
 * anywhere, Esc cancels.  An error is shown under its field; the form
 * scrolls when it is taller than the terminal.  Keys type text here: the
 * footer names no letter twin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "form.h"

static const enum tui_action form_actions[] = {
	A_SAVE, A_NEXT_FIELD, A_PREV_FIELD, A_HELP, A_BACK, A_QUIT, A_NONE
};

static int
form_has_entry(const struct field *fl)
{
	return fl->type == FT_TEXT || fl->type == FT_SECRET ||
	    fl->type == FT_INT || fl->type == FT_LIST;
}

/* Lines of a field's error under it: up to three, wrapped. */
static int
form_err_lines(const struct form *f, const struct field *fl)
{
	int	room = COLS - f->x - 3, n;

	if (fl->error[0] == '\0')
		return 0;
	if (room < 10)
		return 1;
	n = ((int)strlen(fl->error) + room - 1) / room;
	return n > 3 ? 3 : n;
}

/*
 * Lines of the form's own error (one the daemon gave about no field, such
 * as a user changed by someone else meanwhile): up to three, wrapped.
 */
static int
form_top_err_lines(const struct form *f)
{
	int	room = COLS - 2, n;

	if (f->error[0] == '\0' || room < 10)
		return 1;
	n = ((int)strlen(f->error) + room - 1) / room;
	return n > 3 ? 3 : n;
}

/* Layout from f->top: rows of the fields, their error lines, the button. */
static void
form_layout(struct form *f)
{
	int	i, row = frame_body_top() + 1 + form_top_err_lines(f);
	int	last = LINES - 4, e;

	for (i = 0; i < f->n; i++)
		f->f[i].row = -1;
	f->button_row = -1;
	for (i = f->top; i < f->n; i++) {
		e = form_err_lines(f, &f->f[i]);
		if (row + e > last)
			return;
		f->f[i].row = row++;
		row += e;
	}
	if (row + 1 <= last)
		f->button_row = row + 1;
	else if (row <= last)
		f->button_row = row;
}

/* Scroll so that the focused field (or the button) is shown. */
static void
form_scroll(struct form *f)
{
	if (f->focus < f->top)
		f->top = f->focus < f->n ? f->focus : f->n - 1;
	if (f->top < 0)
		f->top = 0;
	for (;;) {
		form_layout(f);
		if ((f->focus < f->n && f->f[f->focus].row != -1) ||
		    (f->focus == f->n && f->button_row != -1) ||
		    f->top >= f->n - 1)
			return;
		f->top++;
	}
}

static void
form_widths(struct form *f)
{
	int	i, len;

	f->labelw = 4;
	for (i = 0; i < f->n; i++) {
		len = (int)strlen(f->f[i].label);
		if (len > f->labelw)
			f->labelw = len;
	}
	if (f->labelw > COLS * 2 / 5)
		f->labelw = COLS * 2 / 5;
	f->x = f->labelw + 5;
	f->width = COLS - f->x - 2;
	if (f->width > FORM_MAX_WIDTH)
		f->width = FORM_MAX_WIDTH;
	if (f->width < 8)
		f->width = 8;
}

static CDKENTRY *
form_entry(struct form *f, struct field *fl)
{
	CDKENTRY	*e;
	int		 secret = fl->type == FT_SECRET;

	/* Only the "H" display types draw the hidden character. */
	e = newCDKEntry(tui.cdk, f->x, fl->row, NULL, NULL, A_UNDERLINE, '_',
	    secret ? vHMIXED : vMIXED, f->width, 0, FORM_MAX_TEXT, FALSE,
	    FALSE);
	if (e == NULL)
		return NULL;
	if (secret)
		setCDKEntryHiddenChar(e, '*');
	setCDKEntryValue(e, fl->value);
	return e;
}

static int
form_enter(struct screen *s, void *param)
{
	struct form	*f = param;

	s->data = f;
	snprintf(s->title, sizeof s->title, "%.63s", f->title);
	/* The breadcrumb takes the title up to its colon. */
	s->title[strcspn(s->title, ":")] = '\0';
	return 0;
}

static void
form_build(struct screen *s)
{
	struct form	*f = s->data;
	int		 i;

	form_widths(f);
	form_scroll(f);
	for (i = 0; i < f->n; i++) {
		if (f->f[i].row != -1 && form_has_entry(&f->f[i]))
			f->f[i].entry = form_entry(f, &f->f[i]);
	}
}

static void
form_unbuild(struct screen *s)
{
	struct form	*f = s->data;
	int		 i;
	CDKENTRY	*e;

	form_sync(f);
	for (i = 0; i < f->n; i++) {
		if ((e = f->f[i].entry) == NULL)
			continue;
		sodium_memzero(e->info, strlen(e->info));
		destroyCDKEntry(e);
		f->f[i].entry = NULL;
	}
}

static void
form_leave(struct screen *s)
{
	struct form	*f = s->data;

	conn_forget(f);
	form_free(f);
}

static void
form_move(struct form *f, int dir)
{
	int	old = f->top;

	f->focus = (f->focus + dir + f->n + 1) % (f->n + 1);
	form_scroll(f);
	if (f->top != old || (f->focus < f->n && f->f[f->focus].row == -1))
		tui_rebuild();
}

static void
form_edit_text(struct form *f, struct field *fl)
{
	char	*text = strdup(fl->value);

	if (text == NULL)
		return;
	if (run_editor(&text, ".txt") == 0) {
		form_set(fl, text);
		frame_msg("%s: %zu bytes", fl->label, strlen(text));
	}
	sodium_memzero(text, strlen(text));
	free(text);
}

static int
form_key(struct screen *s, int key)
{
	struct form	*f = s->data;
	struct field	*fl = f->focus < f->n ? &f->f[f->focus] : NULL;

	if (key == KEY_ESC || key == KEY_F(10))
		return 0;	/* back, quit: the key table's */
	if (f->busy) {
		frame_msg("waiting for the daemon's answer (Esc leaves)");
		return 1;
	}
	switch (key) {
	case KEY_F(1):
		return 0;
	case '\t': case KEY_DOWN:
		form_move(f, 1);
		return 1;
	case KEY_BTAB: case KEY_UP:
		form_move(f, -1);
		return 1;
	case KEY_F(2): case CTRL('o'):
		form_save(f);
		return 1;
	case '\n': case '\r': case KEY_ENTER:
		if (fl != NULL && fl->type == FT_EDITOR)
			form_edit_text(f, fl);
		else if (fl == NULL || f->focus == f->n - 1)
			form_save(f);
		else
			form_move(f, 1);
		return 1;
	}
	if (fl == NULL)
		return 1;
	switch (fl->type) {
	case FT_BOOL: case FT_CHOICE:
		if (key == ' ' || key == KEY_RIGHT)
			form_step(fl, 1);
		else if (key == KEY_LEFT)
			form_step(fl, -1);
		return 1;
	case FT_EDITOR:
		if (key == ' ')
			form_edit_text(f, fl);
		return 1;
	default:
		/* A password is not copied where it could be pasted again. */
		if (fl->type == FT_SECRET && (key == CDK_COPY ||
		    key == CDK_CUT || key == CDK_PASTE))
			return 1;
		if (fl->entry != NULL)
			injectCDKEntry(fl->entry, (chtype)key);
		return 1;
	}
}

/* "3 lines, 120 bytes": what an editor field holds. */
static void
form_text_summary(const struct field *fl, char *buf, size_t size)
{
	const char	*p;
	int		 lines = 0;

	for (p = fl->value; *p != '\0'; p++) {
		if (*p == '\n' || p[1] == '\0')
			lines++;
	}
	if (lines == 0)
		snprintf(buf, size, "[ empty: Enter edits in $EDITOR ]");
	else
		snprintf(buf, size, "[ %d line%s, %zu bytes: Enter edits ]",
		    lines, lines == 1 ? "" : "s", strlen(fl->value));
}

static void
form_draw_field(struct form *f, int i)
{
	struct field	*fl = &f->f[i];
	char		 buf[256], *safe;
	int		 focused = i == f->focus, room, n;

	attrset(focused ? A_BOLD : A_NORMAL);
	mvprintw(fl->row, 1, "%c %*.*s:", focused ? '>' : ' ', f->labelw,
	    f->labelw, fl->label);
	attrset(A_NORMAL);
	if (fl->type == FT_BOOL || fl->type == FT_CHOICE) {
		safe = text_safe(fl->value, 0);
		snprintf(buf, sizeof buf, "< %s >", safe != NULL ? safe : "?");
		free(safe);
	} else if (fl->type == FT_EDITOR)
		form_text_summary(fl, buf, sizeof buf);
	else
		buf[0] = '\0';
	if (buf[0] != '\0') {
		move(fl->row, f->x);
		clrtoeol();
		attrset(focused ? A_REVERSE : A_NORMAL);
		mvprintw(fl->row, f->x, "%.*s", COLS - f->x - 1, buf);
		attrset(A_NORMAL);
	}
	room = COLS - f->x - 3;
	for (n = 0; n < form_err_lines(f, fl); n++) {
		move(fl->row + 1 + n, 0);
		clrtoeol();
		attrset(A_BOLD);
		mvprintw(fl->row + 1 + n, f->x, "%s %.*s", n == 0 ? "^" : " ",
		    room, (int)strlen(fl->error) > n * room ? fl->error +
		    n * room : "");
		attrset(A_NORMAL);
	}
}

/* Labels, values that are not entries, errors, the button, the help. */
static int
form_draw(struct screen *s)
{
	struct form	*f = s->data;
	struct field	*fl = f->focus < f->n ? &f->f[f->focus] : NULL;
	int		 i, top = frame_body_top(), room = COLS - 2;

	attrset(A_BOLD);
	mvprintw(top, 1, "%.*s", COLS - 2, f->title);
	attrset(A_NORMAL);
	move(top + 1, 0);
	clrtoeol();
	if (f->error[0] != '\0') {
		attrset(A_BOLD);
		for (i = 0; i < form_top_err_lines(f); i++) {
			move(top + 1 + i, 0);
			clrtoeol();
			mvprintw(top + 1 + i, 1, "%.*s", room,
			    (int)strlen(f->error) > i * room ? f->error +
			    i * room : "");
		}
		attrset(A_NORMAL);
	} else if (f->top > 0)
		mvprintw(top + 1, 1, "(%d more above)", f->top);
	for (i = 0; i < f->n; i++) {
		if (f->f[i].row != -1)
			form_draw_field(f, i);
	}
	if (f->button_row != -1) {
		attrset(fl == NULL ? A_REVERSE : A_NORMAL);
		mvprintw(f->button_row, f->x, "[ %s ]", f->button);
		attrset(A_NORMAL);
	}
	move(LINES - 3, 0);
	clrtoeol();
	mvprintw(LINES - 3, 1, "%.*s", COLS - 2, fl != NULL ? fl->help :
	    "Enter saves, Esc cancels");
	wnoutrefresh(stdscr);
	for (i = 0; i < f->n; i++) {
		if (f->f[i].entry != NULL && i != f->focus)
			drawCDKEntry(f->f[i].entry, FALSE);
	}
	if (fl != NULL && fl->entry != NULL) {
		drawCDKEntry(fl->entry, FALSE);
		return 1;
	}
	return 0;
}

static int
form_action(struct screen *s, enum tui_action a)
{
	struct form	*f = s->data;

	if (a == A_HELP && f->busy)
		return 1;
	return 0;
}

const struct screen_ops scr_form = {
	.title = "Form",
	.actions = form_actions,
	.enter = form_enter,
	.build = form_build,
	.unbuild = form_unbuild,
	.leave = form_leave,
	.action = form_action,
	.key = form_key,
	.draw = form_draw,
	.typing = 1,
};

