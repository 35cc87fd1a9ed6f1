/*
 * The frame around every screen: the top line (breadcrumb, connection,
 * admin and role), the message line and the footer of key hints, drawn
 * straight on stdscr around the screen's widgets.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

/* initCDKColor() makes pair 1 + 8 * fg + bg, colours in its own order. */
#define FRAME_PAIR_BAR	5	/* white on blue */
#define FRAME_PAIR_ERR	16	/* red on black */

static struct {
	char	text[512];
	int	error;		/* stays until Enter or Esc */
} frame;

int
frame_body_top(void)
{
	return 1;
}

/* Lines between the top line and the message line. */
int
frame_body_lines(void)
{
	return LINES - 3;
}

static void
frame_bar_on(void)
{
	attrset(A_REVERSE | (tui.color ? COLOR_PAIR(FRAME_PAIR_BAR) : 0));
}

/* "Main menu > Manage users": the titles of the screen stack. */
static void
frame_breadcrumb(struct screen *s, char *buf, size_t size)
{
	char	rest[256];

	if (s == NULL) {
		buf[0] = '\0';
		return;
	}
	frame_breadcrumb(s->parent, rest, sizeof rest);
	if (snprintf(buf, size, "%s%s%s", rest, rest[0] ? " > " : "",
	    s->title[0] ? s->title : s->ops->title) >= (int)size)
		buf[size - 1] = '\0';	/* cut: the end shows where we are */
}

/* The endpoint in at most room columns, its middle left out. */
static void
frame_endpoint(char *buf, size_t size, int room)
{
	const char	*ep = conn_endpoint();
	int		 len = (int)strlen(ep);

	if (len <= room || room < 16)
		snprintf(buf, size, "%s", ep);
	else
		snprintf(buf, size, "%.6s...%s", ep, ep + len - (room - 9));
}

/* The connection state in at most width columns. */
static void
frame_state(char *buf, size_t size, int width)
{
	char	ep[200];

	switch (conn_state()) {
	case CONN_UP:
		snprintf(buf, size, "%s (%s)%s", tui.known ? tui.admin : "?",
		    tui.super ? "super-admin" : "domain admin",
		    tui.read_only ? " read-only" : "");
		break;
	case CONN_CONNECTING:
		frame_endpoint(ep, sizeof ep, width - 14);
		snprintf(buf, size, "connecting to %s", ep);
		break;
	case CONN_LOGIN:
		snprintf(buf, size, "login refused");
		break;
	case CONN_UNREACHABLE:
		frame_endpoint(ep, sizeof ep, width - 33);
		snprintf(buf, size, "daemon unreachable at %s - retrying", ep);
		break;
	}
}

/*
 * Breadcrumb on the left, state on the right.  The breadcrumb keeps at
 * least a third of the line; the state's endpoint is shortened first.
 */
static void
frame_top(void)
{
	char	crumb[256], state[300];
	int	keep, room;

	frame_breadcrumb(tui.top, crumb, sizeof crumb);
	keep = (int)strlen(crumb) < COLS / 3 ? (int)strlen(crumb) : COLS / 3;
	frame_state(state, sizeof state, COLS - keep - 4);
	frame_bar_on();
	mvhline(0, 0, ' ', COLS);
	room = COLS - (int)strlen(state) - 3;
	/* Cut from the left: the screen we are on is the end of it. */
	if (room > 3 && (int)strlen(crumb) > room)
		mvprintw(0, 1, "..%s", crumb + strlen(crumb) - (room - 2));
	else if (room > 0)
		mvprintw(0, 1, "%.*s", room, crumb);
	mvprintw(0, room > 0 ? COLS - (int)strlen(state) - 1 : 0, "%.*s",
	    COLS, state);
	attrset(A_NORMAL);
}

static void
frame_message(void)
{
	move(LINES - 2, 0);
	clrtoeol();
	if (frame.text[0] == '\0')
		return;
	if (frame.error)
		attrset(A_BOLD | (tui.color ? COLOR_PAIR(FRAME_PAIR_ERR) : 0));
	mvprintw(LINES - 2, 0, "%s%.*s%s", frame.error ? "Error: " : "",
	    COLS - (frame.error ? 15 : 1), frame.text,
	    frame.error ? " [Enter]" : "");
	attrset(A_NORMAL);
}

/* Each hint's key in normal video on the bar, its label in reverse. */
static void
frame_footer(void)
{
	char	hints[512], *hint, *next, *sp;
	size_t	size = COLS < (int)sizeof hints ? (size_t)COLS : sizeof hints;

	keys_footer(tui.top != NULL ? screen_actions(tui.top) :
	    (const enum tui_action[]){ A_NONE }, tui.top != NULL &&
	    tui.top->ops->typing, hints, size);
	frame_bar_on();
	mvhline(LINES - 1, 0, ' ', COLS);
	move(LINES - 1, 0);
	for (hint = hints; hint != NULL && *hint != '\0'; hint = next) {
		if ((next = strchr(hint, '\t')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(hint, ' ')) == NULL)
			continue;
		*sp = '\0';
		attrset(A_BOLD);
		addstr(hint);
		frame_bar_on();
		printw(" %s ", sp + 1);
	}
	attrset(A_NORMAL);
}

void
frame_draw(void)
{
	frame_top();
	frame_message();
	frame_footer();
	wnoutrefresh(stdscr);
}

static void
frame_set(int error, const char *fmt, va_list ap)
{
	char	raw[sizeof frame.text], *safe;

	vsnprintf(raw, sizeof raw, fmt, ap);
	/* Daemon messages may quote what a user typed: keep it ASCII. */
	safe = text_safe(raw, 0);
	snprintf(frame.text, sizeof frame.text, "%s", safe ? safe : raw);
	free(safe);
	frame.error = error;
}

void
frame_msg(const char *fmt, ...)
{
	va_list	ap;

	/* An error not yet acknowledged is not covered by news. */
	if (frame.error)
		return;
	va_start(ap, fmt);
	frame_set(0, fmt, ap);
	va_end(ap);
}

void
frame_err(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	frame_set(1, fmt, ap);
	va_end(ap);
}

void
frame_clear(void)
{
	if (!frame.error)
		frame.text[0] = '\0';
}

int
frame_ack(int key)
{
	if (!frame.error || (key != '\n' && key != '\r' && key != KEY_ENTER &&
	    key != KEY_ESC))
		return 0;
	frame.error = 0;
	frame.text[0] = '\0';
	return 1;
}

void
frame_too_small(void)
{
	erase();
	/* addstr wraps at the margin: the whole sentence stays readable. */
	mvprintw(0, 0, "terminal too small (need %dx%d)", TUI_MIN_COLS,
	    TUI_MIN_LINES);
	wnoutrefresh(stdscr);
}
