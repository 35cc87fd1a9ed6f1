/*
 * Status.  For a super-admin, live from the event socket (live.c): the
 * counters, each per minute and since the daemon started, with the
 * connections open now; relayed, spam and refused messages per minute
 * over the last hour as a graph; the latest locks, unlocks and refused
 * messages.  For everyone, the daemon's state and totals (the status
 * command), asked again every STATUS_EVERY seconds.  The page is drawn
 * line by line on stdscr every round: curses sends only what changed, so
 * nothing flickers; the arrows scroll it when the terminal is short.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

#define STATUS_EVERY	2
#define STATUS_MAX	200	/* lines of the page */
#define STATUS_KEYW	24	/* the key column of the daemon's values */
#define STATUS_EVENTS	8	/* latest events shown, at least */

/* The counters of the stats event, in the order of the table. */
static const struct {
	const char	*key;
	const char	*label;
} status_counters[] = {
	{ "connections", "connections" }, { "relayed", "relayed" },
	{ "refused", "refused" }, { "tempfail", "tempfail" },
	{ "quarantined", "quarantined" }, { "spam", "spam" },
	{ "locks", "locks" }, { "unlocks", "unlocks" },
};
#define STATUS_NCOUNTERS \
	(int)(sizeof status_counters / sizeof status_counters[0])

struct status_line {
	char	 text[256];
	int	 bold;
};

struct status {
	json_t			*result;	/* the status command's */
	char			 when[32];	/* ... as of */
	time_t			 asked;
	int			 waiting;
	int			 offset;	/* first line shown */
	struct status_line	 line[STATUS_MAX];
	int			 n;
};

static const enum tui_action status_actions[] = {
	A_REFRESH, A_HELP, A_BACK, A_QUIT, A_UP, A_DOWN, A_HOME, A_END,
	A_PGUP, A_PGDN, A_NONE
};

static void
status_add(struct status *st, int bold, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
status_add(struct status *st, int bold, const char *fmt, ...)
{
	va_list	ap;

	if (st->n == STATUS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(st->line[st->n].text, sizeof st->line[st->n].text, fmt,
	    ap);
	va_end(ap);
	st->line[st->n++].bold = bold;
}

static long long
status_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* The counters: "relayed  /min  total", in two halves when wide. */
static void
status_counter_rows(struct status *st, const json_t *stats)
{
	char	key[64], cell[2][64];
	int	i, half = COLS >= 80 ? (STATUS_NCOUNTERS + 1) / 2 :
		    STATUS_NCOUNTERS, c, k;

	snprintf(cell[0], sizeof cell[0], " %-14s %8s %10s", "COUNTER",
	    "PER MIN", "TOTAL");
	status_add(st, 0, "%s%s%s", cell[0], half < STATUS_NCOUNTERS ?
	    "   " : "", half < STATUS_NCOUNTERS ? cell[0] : "");
	for (i = 0; i < half; i++) {
		for (c = 0; c < 2; c++) {
			cell[c][0] = '\0';
			if ((k = i + c * half) >= STATUS_NCOUNTERS ||
			    (c == 1 && half == STATUS_NCOUNTERS))
				continue;
			snprintf(key, sizeof key, "%s_per_minute",
			    status_counters[k].key);
			snprintf(cell[c], sizeof cell[c], " %-14s %8lld %10lld",
			    status_counters[k].label, status_int(stats, key),
			    status_int(stats, status_counters[k].key));
		}
		status_add(st, 0, "%s%s%s", cell[0], cell[1][0] ? "   " : "",
		    cell[1]);
	}
}

/* One series over the last hour, a column a minute, newest on the right. */
static void
status_graph_row(struct status *st, int series, int width)
{
	static const char	 levels[] = "_.:-=+*#%@";
	long long		 v[LIVE_HOUR], max = 0;
	char			 bar[LIVE_HOUR + 1];
	int			 n, i, pad;

	n = live_history(series, v, width);
	for (i = 0; i < n; i++)
		max = v[i] > max ? v[i] : max;
	pad = width - n;
	memset(bar, ' ', pad);
	for (i = 0; i < n; i++)
		bar[pad + i] = levels[v[i] <= 0 ? 0 : 1 + (int)((v[i] *
		    (long long)(sizeof levels - 2) - 1) / max)];
	bar[width] = '\0';
	status_add(st, 0, " %-8s max %5lld/min |%s|", live_series[series].label,
	    max, bar);
}

static void
status_live(struct status *st)
{
	const json_t	*stats = live_stats();
	char		 when[16];
	struct tm	 tm;
	time_t		 t;
	int		 i, width = COLS - 30;
	const char	*line;

	if (stats == NULL || live_state() != LIVE_UP) {
		status_add(st, 1, " Live: %s", live_state() == LIVE_FAILED ?
		    live_why() : live_state() == LIVE_OFF ? "not subscribed "
		    "yet" : "waiting for the daemon's counters...");
		if (stats == NULL)
			return;
	} else {
		t = json_integer_value(json_object_get(stats, "time"));
		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%H:%M:%S", &tm);
		status_add(st, 1, " Live at %s: %lld connection%s open", when,
		    status_int(stats, "connections_open"), status_int(stats,
		    "connections_open") == 1 ? "" : "s");
	}
	status_counter_rows(st, stats);
	status_add(st, 0, "%s", "");
	if (width > LIVE_HOUR)
		width = LIVE_HOUR;
	if (width >= 10) {
		status_add(st, 1, " Last hour, a column a minute (newest on "
		    "the right)");
		for (i = 0; i < LIVE_NSERIES; i++)
			status_graph_row(st, i, width);
		status_add(st, 0, "%s", "");
	}
	status_add(st, 1, " Latest locks, unlocks and refused messages");
	for (i = 0; (line = live_event_line(i)) != NULL && i < LIVE_EVENTS;
	    i++)
		status_add(st, 0, " %s", line);
	if (i == 0)
		status_add(st, 0, " none since the console started");
	status_add(st, 0, "%s", "");
}

/* One value of the status command: "users.ip" for a member's members. */
static void
status_value(const char *prefix, const char *key, const json_t *v,
    char (*items)[128], int *n, int max)
{
	char		 name[128], val[64], *text;
	const char	*k;
	json_t		*e;

	snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "." : "",
	    key);
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			status_value(name, k, e, items, n, max);
		return;
	}
	if (*n == max)
		return;
	if (strcmp(name, "uptime") == 0 && json_is_integer(v)) {
		text_duration(val, sizeof val, json_integer_value(v));
		text = strdup(val);
	} else
		text = text_value(v, 0);
	/* A long value is cut at the column's end anyway. */
	if (snprintf(items[*n], sizeof items[0], "%-*s %s", STATUS_KEYW - 2,
	    name, text != NULL ? text : "?") >= (int)sizeof items[0])
		items[*n][sizeof items[0] - 1] = '\0';
	(*n)++;
	free(text);
}

/* The daemon's values, in two columns when they fit. */
static void
status_daemon(struct status *st)
{
	char		 items[64][128];
	const char	*key;
	json_t		*v;
	int		 n = 0, i, rows, colw = (COLS - 3) / 2;

	status_add(st, 1, " Daemon%s%s", st->when[0] ? " as of " :
	    ": waiting for its answer...", st->when);
	json_object_foreach(st->result, key, v)
		status_value("", key, v, items, &n, 64);
	rows = COLS >= 80 ? (n + 1) / 2 : n;
	for (i = 0; i < rows; i++)
		status_add(st, 0, " %-*.*s%s%.*s", colw, colw - 1, items[i],
		    i + rows < n ? " " : "", colw, i + rows < n ?
		    items[i + rows] : "");
}

/* The page, made again for this round. */
static void
status_page(struct status *st)
{
	st->n = 0;
	if (tui.known && !tui.super)
		status_add(st, 1, " Live events need a super-admin: these are "
		    "the daemon's totals, asked every %d s", STATUS_EVERY);
	else
		status_live(st);
	status_daemon(st);
}

static int
status_draw(struct screen *s)
{
	struct status	*st = s->data;
	int		 top = frame_body_top(), rows = frame_body_lines(), i;
	int		 more;

	status_page(st);
	if (st->offset > st->n - rows)
		st->offset = st->n - rows;
	if (st->offset < 0)
		st->offset = 0;
	more = st->n - st->offset - rows;
	for (i = 0; i < rows; i++) {
		move(top + i, 0);
		clrtoeol();
		if (i == rows - 1 && more > 0) {
			attrset(A_REVERSE);
			mvprintw(top + i, 1, "%.*s", COLS - 2, " more below: "
			    "Down, PgDn, End ");
			attrset(A_NORMAL);
		} else if (st->offset + i < st->n) {
			attrset(st->line[st->offset + i].bold ? A_BOLD :
			    A_NORMAL);
			mvprintw(top + i, 0, "%.*s", COLS - 1,
			    st->line[st->offset + i].text);
			attrset(A_NORMAL);
		}
	}
	wnoutrefresh(stdscr);
	return 0;
}

static void
status_reply(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct screen	*s = arg;
	struct status	*st = s->data;
	struct tm	 tm;
	time_t		 now = time(NULL);

	st->waiting = 0;
	if (rc != IPC_CALL_OK) {
		if (rc == IPC_CALL_REFUSED)
			frame_err("%s", err->message);
		return;
	}
	json_decref(st->result);
	st->result = json_incref(result);
	localtime_r(&now, &tm);
	strftime(st->when, sizeof st->when, "%H:%M:%S", &tm);
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
	st->result = json_object();
	status_ask(s);
	return 0;
}

static void
status_leave(struct screen *s)
{
	struct status	*st = s->data;

	json_decref(st->result);
	free(st);
}

static int
status_action(struct screen *s, enum tui_action a)
{
	struct status	*st = s->data;
	int		 page = frame_body_lines() - 1;

	switch (a) {
	case A_REFRESH:	status_ask(s); break;
	case A_UP:	st->offset--; break;
	case A_DOWN:	st->offset++; break;
	case A_PGUP:	st->offset -= page; break;
	case A_PGDN:	st->offset += page; break;
	case A_HOME:	st->offset = 0; break;
	case A_END:	st->offset = STATUS_MAX; break;
	default:	return 0;
	}
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
	.leave = status_leave,
	.action = status_action,
	.tick = status_tick,
	.connected = status_ask,
	.draw = status_draw,
};
