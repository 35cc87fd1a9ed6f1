/*
 * outfilter-tui: the console.  Options, the terminal, the screen stack and
 * the main loop: zmq_poll() on the keyboard, the daemon connection and a
 * timer.  CDK's activate functions would block in wgetch; keys are read
 * here without waiting and injected into the focused widget instead.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "tui.h"

/* How long a call may wait for the daemon before it counts as absent. */
#define TUI_TIMEOUT_MS	1500
/* The main loop wakes at least this often (ms). */
#define TUI_POLL_MS	200

/* After a resize, the whole screen is sent again this late (ms). */
#define TUI_REPAINT_MS	200

struct tui			 tui;
static volatile sig_atomic_t	 tui_signal;
static int			 tui_curses;	/* curses is running */
static long long		 tui_repaint_at;	/* 0: none due */

static void
tui_usage(FILE *f)
{
	fprintf(f, "usage: outfilter-tui [-c FILE] [--read-only] [--no-color] "
	    "[--ascii]\n"
	    "  -c FILE       the daemon's config file (for its control "
	    "endpoint)\n"
	    "  --read-only   browse only: nothing is changed\n"
	    "  --no-color    no colours (also when NO_COLOR is set)\n"
	    "  --ascii       draw borders with + - |\n"
	    "  -h, --help    this help\n"
	    "  -V, --version the version\n");
}

/* Every way out goes through here: the terminal comes back as it was. */
static void
tui_restore(void)
{
	if (tui_curses && !isendwin())
		endwin();
	tui_curses = 0;
}

static void
tui_on_signal(int sig)
{
	tui_signal = sig;
}

static void
tui_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tui_on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: zmq_poll() returns and the loop sees the flag. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
tui_fatal(int status, const char *fmt, ...)
{
	va_list	ap;

	tui_restore();
	fputs("outfilter-tui: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* --ascii: the line-drawing characters CDK boxes use, in plain ASCII. */
static void
tui_ascii_lines(void)
{
	static const char	corners[] = "lkmjtuvwn";
	const char		*c;

	for (c = corners; *c != '\0'; c++)
		acs_map[(unsigned char)*c] = '+';
	acs_map['q'] = '-';
	acs_map['x'] = '|';
	acs_map['a'] = ' ' | A_REVERSE;	/* scroll bar */
}

static void
tui_curses_start(void)
{
	if (initscr() == NULL)
		tui_fatal(EX_OSERR, "cannot start curses on this terminal");
	tui_curses = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/*
	 * Esc is "back": it must not wait a second for a key sequence.  A
	 * key's sequence comes in one write, so 25 ms (as htop waits) tells
	 * them apart even over SSH, and Esc answers well within 150 ms.
	 */
	set_escdelay(25);
	curs_set(0);
	if (tui.color && has_colors())
		initCDKColor();
	else
		tui.color = 0;
	if (tui.ascii)
		tui_ascii_lines();
	if ((tui.cdk = initCDKScreen(stdscr)) == NULL)
		tui_fatal(EX_OSERR, "cannot start CDK");
}

static int
tui_small(void)
{
	return COLS < TUI_MIN_COLS || LINES < TUI_MIN_LINES;
}

/* Destroy and make again the widgets of the screen and the dialog. */
void
tui_rebuild(void)
{
	struct screen	*s = tui.top;

	if (s != NULL && s->ops->unbuild != NULL)
		s->ops->unbuild(s);
	erase();
	wnoutrefresh(stdscr);
	if (tui_small()) {
		frame_too_small();
		doupdate();
		return;
	}
	if (s != NULL && s->ops->build != NULL)
		s->ops->build(s);
	dialog_rebuild();
	frame_draw();
	doupdate();
}

int
tui_push(const struct screen_ops *ops, void *param)
{
	struct screen	*s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return -1;
	s->ops = ops;
	s->parent = tui.top;
	if (tui.top != NULL && tui.top->ops->unbuild != NULL)
		tui.top->ops->unbuild(tui.top);
	tui.top = s;
	if (ops->enter != NULL && ops->enter(s, param) == -1) {
		tui.top = s->parent;
		free(s);
		tui_rebuild();
		return -1;
	}
	tui_rebuild();
	return 0;
}

void
tui_pop(void)
{
	struct screen	*s = tui.top;

	if (s == NULL)
		return;
	if (s->ops->unbuild != NULL)
		s->ops->unbuild(s);
	if (s->ops->leave != NULL)
		s->ops->leave(s);
	conn_forget(s);
	dialog_forget(s);
	tui.top = s->parent;
	free(s);
	if (tui.top != NULL)
		tui_rebuild();
}

const enum tui_action *
screen_actions(const struct screen *s)
{
	return s->actions != NULL ? s->actions : s->ops->actions;
}

int
tui_role_may(const char *name)
{
	const struct ipc_cmd	*c = ipc_cmd_find(name);

	return c != NULL && (c->role != ROLE_SUPER || tui.super || !tui.known);
}

void
tui_call_failed(int rc, const struct ipc_error *err)
{
	if (rc == IPC_CALL_UNREACHABLE)
		frame_err("no answer from the daemon (%s): nothing was changed "
		    "unless it comes back saying so", err->message);
	else if (rc != IPC_CALL_OK)
		frame_err("%s", err->message);
}

int
tui_may(const char *name)
{
	const struct ipc_cmd	*c = ipc_cmd_find(name);

	if (c == NULL) {
		frame_err("%s is not available yet", name);
		return 0;
	}
	if (tui.read_only && (c->flags & CMDF_WRITE)) {
		frame_err("read-only console: cannot %s", c->help);
		return 0;
	}
	if (c->role == ROLE_SUPER && !tui.super) {
		frame_err("only a super-admin may %s", c->help);
		return 0;
	}
	return 1;
}

static void
tui_whoami(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	const char	*name, *role;

	if (rc != IPC_CALL_OK)
		return;
	name = json_string_value(json_object_get(result, "name"));
	role = json_string_value(json_object_get(result, "role"));
	snprintf(tui.admin, sizeof tui.admin, "%s", name != NULL ? name : "?");
	tui.super = role != NULL && strcmp(role, "super") == 0;
	tui.known = 1;
	live_whoami(tui.super);
	/* The menu shows what this role may use. */
	tui_rebuild();
}

/* The login dialog's answer: "name\0password", wiped by the dialog. */
static void
tui_login_done(void *arg, int ok, const char *text)
{
	if (!ok) {
		tui.quit = 1;
		return;
	}
	live_login(text, text + strlen(text) + 1);
	conn_login(text, text + strlen(text) + 1);
	conn_call("whoami", NULL, tui_whoami, NULL);
}

void
tui_conn_changed(enum conn_state old, enum conn_state new)
{
	if (new == CONN_UP && old != CONN_UP) {
		conn_call("whoami", NULL, tui_whoami, NULL);
		if (tui.top != NULL && tui.top->ops->connected != NULL)
			tui.top->ops->connected(tui.top);
	}
	if (new == CONN_LOGIN && !dialog_active())
		dialog_login(conn_why(), tui_login_done, NULL);
}

/* Movement keys as the widgets know them. */
static int
tui_widget_key(enum tui_action a, int key)
{
	static const int	map[A_NACTIONS] = {
		[A_UP] = KEY_UP, [A_DOWN] = KEY_DOWN, [A_HOME] = KEY_HOME,
		[A_END] = KEY_END, [A_PGUP] = KEY_PPAGE, [A_PGDN] = KEY_NPAGE,
	};

	return map[a] != 0 ? map[a] : key;
}

/* A key on the current screen: its table first, then the widget. */
static void
tui_screen_key(int key)
{
	struct screen	*s = tui.top;
	enum tui_action	 a;
	CDKOBJS		*focus;

	if (s->ops->key != NULL && s->ops->key(s, key))
		return;
	a = keys_action(key, screen_actions(s));

	if (a == A_QUIT) {
		tui.quit = 1;
		return;
	}
	if (keys_movement(a) || a == A_NONE) {
		focus = s->ops->focus != NULL ? s->ops->focus(s) : s->focus;
		if (focus != NULL)
			InjectObj(focus, (chtype)tui_widget_key(a, key));
		if (a != A_NONE && s->ops->action != NULL)
			s->ops->action(s, a);
		return;
	}
	if (s->ops->action != NULL && s->ops->action(s, a))
		return;
	if (a == A_HELP)
		tui_push(&scr_help, s);
	else if (a == A_BACK && s->parent != NULL)
		tui_pop();
	else if (a == A_BACK && key == 'q')
		tui.quit = 1;	/* as in htop and tig */
	else if (a == A_BACK)
		frame_msg("nothing to go back to: q or Q quits");
}

static long long
tui_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
tui_key(int key)
{
	if (key == KEY_RESIZE) {
		/*
		 * What the terminal kept of the old size is not trusted; nor
		 * what was drawn while it was still changing size (a
		 * terminal resized twice in a row): everything is sent
		 * again once it has settled.
		 */
		clearok(curscr, TRUE);
		tui_rebuild();
		tui_repaint_at = tui_now_ms() + TUI_REPAINT_MS;
		return;
	}
	if (tui_small()) {
		if (key == 'Q' || key == KEY_F(10))
			tui.quit = 1;
		return;
	}
	if (frame_ack(key))
		return;
	if (dialog_active()) {
		dialog_key(key);
		return;
	}
	frame_clear();
	if (tui.top != NULL)
		tui_screen_key(key);
}

static void
tui_draw(void)
{
	int	cursor = 0;

	if (tui_small())
		return;
	frame_draw();
	if (dialog_active()) {
		dialog_draw();
		cursor = 1;
	} else if (tui.top != NULL && tui.top->ops->draw != NULL)
		cursor = tui.top->ops->draw(tui.top);
	curs_set(cursor);
	doupdate();
}

static void
tui_tick(void)
{
	static time_t	last;
	time_t		now = time(NULL);

	if (now == last)
		return;
	last = now;
	conn_tick();
	if (tui.top != NULL && tui.top->ops->tick != NULL && !tui_small())
		tui.top->ops->tick(tui.top);
}

static void
tui_loop(void)
{
	zmq_pollitem_t	items[2];
	int		key;

	while (!tui.quit && tui_signal == 0) {
		if (tui_repaint_at != 0 && tui_now_ms() >= tui_repaint_at) {
			clearok(curscr, TRUE);
			tui_repaint_at = 0;
		}
		tui_draw();
		items[0] = (zmq_pollitem_t){ NULL, 0, ZMQ_POLLIN, 0 };
		items[1] = (zmq_pollitem_t){ conn_socket(), 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(items, 2, TUI_POLL_MS) == -1 && errno != EINTR)
			tui_fatal(EX_OSERR, "zmq_poll: %s", zmq_strerror(errno));
		conn_dispatch();
		live_poll();
		/* Also after EINTR: SIGWINCH leaves a KEY_RESIZE to read. */
		while (!tui.quit && (key = wgetch(stdscr)) != ERR)
			tui_key(key);
		tui_tick();
	}
}

static void
tui_options(int argc, char *argv[], char **config)
{
	static const struct option	longopts[] = {
		{ "read-only",	no_argument,	NULL, 'r' },
		{ "no-color",	no_argument,	NULL, 'C' },
		{ "ascii",	no_argument,	NULL, 'a' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*nc = getenv("NO_COLOR");
	int		 ch;

	*config = NULL;
	tui.color = nc == NULL || *nc == '\0';
	while ((ch = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': *config = optarg; break;
		case 'r': tui.read_only = 1; break;
		case 'C': tui.color = 0; break;
		case 'a': tui.ascii = 1; break;
		case 'h': tui_usage(stdout); exit(0);
		case 'V': printf("outfilter-tui %s\n", PACKAGE_VERSION); exit(0);
		default: tui_usage(stderr); exit(EX_USAGE);
		}
	}
	if (optind != argc) {
		tui_usage(stderr);
		exit(EX_USAGE);
	}
}

/* The endpoint and, when a credentials file applies, the login. */
static void
tui_login_setup(const char *config, char **endpoint)
{
	char	*cause = NULL;
	int	 rc;

	if ((rc = ipc_login_endpoint(config, endpoint, &cause)) != 0 ||
	    (rc = ipc_login_credentials(NULL, &tui.user, &tui.password,
	    &cause)) != 0)
		tui_fatal(rc, "%s", cause);
}

int
main(int argc, char *argv[])
{
	char	*config, *endpoint = NULL, *cause = NULL;

	/*
	 * No setlocale(): CDK links the narrow libncurses, which in a UTF-8
	 * locale would give up the line-drawing characters; every text is
	 * made ASCII before it reaches the screen anyway.
	 */
	tui_options(argc, argv, &config);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		tui_fatal(EX_USAGE, "needs a terminal; scripts use outfilterctl");
	tui_login_setup(config, &endpoint);
	if (conn_start(endpoint, TUI_TIMEOUT_MS, &cause) == -1)
		tui_fatal(EX_UNAVAILABLE, "%s", cause);
	free(endpoint);
	/* The event socket's subscriber takes it when whoami says super. */
	live_login(tui.user, tui.password);
	/* The connection keeps the password only inside libzmq. */
	ipc_login_free_secret(tui.password);
	tui.password = NULL;
	atexit(tui_restore);
	tui_signals();
	tui_curses_start();
	conn_call("whoami", NULL, tui_whoami, NULL);
	tui_push(&scr_menu, NULL);
	tui_loop();
	while (tui.top != NULL)
		tui_pop();
	destroyCDKScreen(tui.cdk);
	endCDK();	/* endwin() */
	tui_curses = 0;
	conn_stop();
	live_free();
	free(tui.user);
	return tui_signal != 0 ? 128 + tui_signal : 0;
}
