/* outfilter-tui: the curses console.  Shared types of its files. */
#ifndef OF_TUI_H
#define OF_TUI_H

#include <cdk.h>
#include <jansson.h>

#include "ipc.h"

/* Smallest terminal the console draws in; below it says so and waits. */
#define TUI_MIN_COLS	60
#define TUI_MIN_LINES	16

/*
 * Actions, each bound to keys in keys.c.  The same table dispatches keys,
 * prints the footer and the help screen.
 */
enum tui_action {
	A_NONE,
	A_HELP, A_BACK, A_QUIT,
	A_UP, A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN,
	A_OPEN, A_SEARCH, A_FILTER,
	A_ADD, A_EDIT, A_DELETE, A_LOCK, A_UNLOCK, A_PASSWD, A_TOGGLE,
	A_RESET, A_RELEASE, A_PREVIEW, A_VIEW,
	A_REFRESH, A_NEXT_FIELD, A_PREV_FIELD, A_SAVE,
	A_EXPORT, A_IMPORT, A_CHECK,
	A_NACTIONS
};

struct tui_key {
	enum tui_action	 action;
	int		 key;		/* curses key code */
	int		 twin;		/* the other key, 0: none */
	const char	*keyname;	/* "F1", "Esc", "/" */
	const char	*twinname;
	const char	*label;		/* footer: one short word */
	const char	*help;		/* help screen: what it does */
};

extern const struct tui_key	tui_keys[];

/* keys.c */
enum tui_action	 keys_action(int key, const enum tui_action *offered);
const struct tui_key *keys_find(enum tui_action);
int		 keys_movement(enum tui_action);
/*
 * "Enter Open\t/ Search\t..." for these actions, fitted to size - 1.
 * typing: the screen takes text, so no key that types is named.
 */
void		 keys_footer(const enum tui_action *, int typing, char *buf,
		    size_t size);
/* One help line per action: "F1  ?   help for this screen". */
char		**keys_help_lines(const enum tui_action *, int *n);

/* Connection state (conn.c). */
enum conn_state {
	CONN_CONNECTING,	/* no answer yet */
	CONN_UP,
	CONN_UNREACHABLE,	/* retrying every few seconds */
	CONN_LOGIN		/* the daemon refused the login */
};

/*
 * Called from the main loop when a reply comes: rc is IPC_CALL_*, result
 * a borrowed reference (NULL unless IPC_CALL_OK).
 */
typedef void conn_cb(void *arg, int rc, json_t *result,
    const struct ipc_error *err);

int		 conn_start(const char *endpoint, int timeout_ms, char **cause);
void		 conn_stop(void);
/* Log in again as user (NULL: the local super-admin path). */
void		 conn_login(const char *user, const char *password);
/* Send a request (args stolen, may be NULL); 0, or -1 when too many wait. */
int		 conn_call(const char *cmd, json_t *args, conn_cb *, void *arg);
/* Drop the callbacks still due to arg: it is going away. */
void		 conn_forget(void *arg);
/* The socket the main loop polls; conn_dispatch() when it is readable. */
void		*conn_socket(void);
void		 conn_dispatch(void);
/* Every tick: retries when the daemon is unreachable. */
void		 conn_tick(void);
enum conn_state	 conn_state(void);
const char	*conn_endpoint(void);
const char	*conn_why(void);
int		 conn_pending(void);
/* main.c: told when the state changes. */
void		 tui_conn_changed(enum conn_state old, enum conn_state new);

/*
 * live.c: the daemon's event socket (super-admins only): the counters of
 * its stats events, their last hour and the latest events, for the
 * status screen.
 */
enum live_state {
	LIVE_OFF,		/* not subscribed: the role is not known yet */
	LIVE_NOT_SUPER,		/* the socket is for super-admins */
	LIVE_WAITING,		/* subscribed; no counters yet, or for a while */
	LIVE_UP,
	LIVE_FAILED		/* live_why() says why */
};

#define LIVE_HOUR	60	/* minutes of history */
#define LIVE_EVENTS	100	/* latest events kept */
#define LIVE_NSERIES	3

struct live_series {
	const char	*key;		/* member of the stats event */
	const char	*label;
};
extern const struct live_series	live_series[LIVE_NSERIES];

/* The login of the connection (user NULL: the local super-admin path). */
void		 live_login(const char *user, const char *password);
/* whoami answered: subscribe a super-admin, forget the login otherwise. */
void		 live_whoami(int super);
/* Every round of the main loop, without waiting; 1 when something came. */
int		 live_poll(void);
void		 live_stop(void);
void		 live_free(void);
enum live_state	 live_state(void);
const char	*live_why(void);
/* The latest stats event (borrowed), or NULL. */
const json_t	*live_stats(void);
/* The series' last max minutes into v, oldest first; how many there are. */
int		 live_history(int series, long long *v, int max);
/* The i-th latest event as a line (0: the newest), or NULL. */
const char	*live_event_line(int i);
/* An event as "12:03:04 lock     bob@example.com by uid:0: ...", malloc'ed. */
char		*live_event_text(const json_t *);

/* A screen: one file each (scr_*.c). */
struct screen;

struct screen_ops {
	const char		*title;		/* breadcrumb word */
	const enum tui_action	*actions;	/* offered, footer order */
	int	(*enter)(struct screen *, void *param);
	void	(*build)(struct screen *);	/* make the widgets */
	void	(*unbuild)(struct screen *);	/* destroy them */
	void	(*leave)(struct screen *);	/* free the state */
	/* Returns 1 when it handled the action. */
	int	(*action)(struct screen *, enum tui_action);
	void	(*tick)(struct screen *);	/* once a second */
	void	(*connected)(struct screen *);	/* the daemon is back */
	/* ... unless the screen says where, its widgets being remade. */
	CDKOBJS	*(*focus)(struct screen *);
	/* A key before the key table; returns 1 when it took it. */
	int	(*key)(struct screen *, int key);
	/* After the frame, every round; returns 1 to show the cursor. */
	int	(*draw)(struct screen *);
	int	 typing;	/* keys type text: the footer names no letter */
};

struct screen {
	const struct screen_ops	*ops;
	struct screen		*parent;
	void			*data;
	CDKOBJS			*focus;		/* keys go here ... */
	char			 title[64];	/* breadcrumb, when not ops->title */
	/* The keys offered now, when not ops->actions (NULL). */
	const enum tui_action	*actions;
};

/* What a screen offers now. */
const enum tui_action	*screen_actions(const struct screen *);

/* The console's state shared by every file (main.c). */
struct tui {
	CDKSCREEN	*cdk;
	struct screen	*top;		/* current screen */
	int		 read_only;
	int		 color;
	int		 ascii;
	int		 quit;
	int		 super;		/* whoami said super-admin */
	char		 admin[128];	/* whoami's name */
	int		 known;		/* whoami answered */
	char		*user;		/* configured login, or NULL */
	char		*password;
};

extern struct tui	tui;

/* main.c: the screen stack. */
int		 tui_push(const struct screen_ops *, void *param);
void		 tui_pop(void);
void		 tui_rebuild(void);
/* Whether cmd may run here; if not, says why on the message line. */
int		 tui_may(const char *cmd);
/* Whether cmd exists and this admin's role may run it (for menus). */
int		 tui_role_may(const char *cmd);
/* Say what a refused call said: frame_err, or "no answer" when absent. */
void		 tui_call_failed(int rc, const struct ipc_error *);

/* run.c: other programs on the terminal, curses put aside meanwhile. */
/* Edit text in $VISUAL or $EDITOR; *text replaced.  0, or -1 (said). */
int		 run_editor(char **text, const char *suffix);
/* Show text in $PAGER (less). */
int		 run_pager(const char *text);
/* Show the file at path in $PAGER. */
int		 run_pager_file(const char *path);

/* frame.c: top line, message line, footer; messages. */
void		 frame_draw(void);
void		 frame_msg(const char *, ...) __attribute__((format(printf, 1, 2)));
void		 frame_err(const char *, ...) __attribute__((format(printf, 1, 2)));
/* An error waits for Enter or Esc; returns 1 when key acknowledged it. */
int		 frame_ack(int key);
void		 frame_clear(void);
int		 frame_body_top(void);
int		 frame_body_lines(void);
void		 frame_too_small(void);

/* text.c: ASCII-safe text. */
/* s shown in ASCII (IDN as punycode when domain), malloc'ed. */
char		*text_safe(const char *s, int domain);
/* Into buf, cut or padded to width. */
void		 text_cell(char *buf, size_t size, const char *s, int width);
/* A JSON value as one line of text, malloc'ed and ASCII-safe. */
char		*text_value(const json_t *, int domain);
/* "3d 04:05:06" */
void		 text_duration(char *buf, size_t size, long long secs);

/* dialog.c: modal dialogs on top of the screen. */
typedef void dialog_cb(void *arg, int ok, const char *text);
/* Pick one of rows; cb gets text = the row's index ("0", "1", ...). */
void		 dialog_choose(const char *title, const char *const *rows,
		    int n, dialog_cb *, void *arg);
/* Yes/no with the named object; Cancel is the default button. */
void		 dialog_confirm(const char *question, const char *yes,
		    dialog_cb *, void *arg);
/* One line of text; initial may be NULL. */
void		 dialog_input(const char *label, const char *initial,
		    dialog_cb *, void *arg);
/* Name and masked password; cb gets text = "name\0password". */
void		 dialog_login(const char *why, dialog_cb *, void *arg);
int		 dialog_active(void);
/* Feed a key to the open dialog. */
void		 dialog_key(int key);
void		 dialog_rebuild(void);
void		 dialog_forget(void *arg);
void		 dialog_draw(void);

/* list.c: a paged table fetched from a CMDF_LIST command. */
#define LC_DOMAIN	0x1	/* show as punycode */
/* "2026-01-02T03:04:05Z" as "2026-01-02 03:04", or "01-02 03:04" (11). */
#define LC_TIME		0x2

struct list_col {
	const char	*key;		/* member of the items */
	const char	*title;
	int		 width;		/* 0: takes what is left */
	int		 flags;		/* LC_* */
};

struct list;
typedef void list_args_fn(void *arg, json_t *args);

/*
 * id is the member naming a row (its first column when NULL): the row
 * a change result or a deletion is about.
 */
struct list	*list_new(const char *cmd, const struct list_col *,
		    const char *id, list_args_fn *, void *arg);
void		 list_free(struct list *);
void		 list_build(struct list *, int top, int lines);
void		 list_hide(struct list *);
CDKOBJS		*list_widget(struct list *);
/* Fetch again from the start, keeping the selected row when it is there. */
void		 list_reload(struct list *);
/* The selected item (borrowed) or NULL. */
json_t		*list_selected(struct list *);
/* Fresh values (a show or change result) into the row of its id: 1; 0 if none. */
int		 list_merge(struct list *, const json_t *fresh);
/* Remove the row whose id member equals id. */
void		 list_remove(struct list *, const json_t *id);
/* Ask cmd (args stolen) for one row again and merge it when it comes. */
void		 list_refetch(struct list *, const char *cmd, json_t *args);
/* After a key moved the selection: fetch the next page when near the end. */
void		 list_moved(struct list *);
/* fn(arg) after a page came: the selection may be another row now. */
void		 list_on_change(struct list *, void (*fn)(void *));
/* Said after the row count: the filter in force. */
void		 list_set_label(struct list *, const char *);

/*
 * transfer.c: a file moved to or from the daemon in parts, a request each,
 * from the main loop.  done is called once, after which the transfer is
 * gone: rc is IPC_CALL_*, or TRANSFER_LOCAL (a local file failed) with
 * err->message; result (borrowed) the merged replies of an upload, or
 * {"size":N} of a download.
 */
#define TRANSFER_LOCAL	-10
struct transfer;
typedef void transfer_done_fn(void *arg, int rc, json_t *result,
		    const struct ipc_error *err);
/* Send path's lines as cmd's T_LINES argument; args (stolen): the others. */
struct transfer	*transfer_upload(const char *cmd, json_t *args,
		    const char *path, transfer_done_fn *, void *arg,
		    char **cause);
/* Write cmd's bytes to path, whole or not at all (args stolen). */
struct transfer	*transfer_download(const char *cmd, json_t *args,
		    const char *path, transfer_done_fn *, void *arg,
		    char **cause);
/* Stop it (done is not called); what was sent stays sent. */
void		 transfer_cancel(struct transfer *);
/* "45% (1.2 MB of 3.0 MB)" */
void		 transfer_progress(const struct transfer *, char *, size_t);
/* A path as typed, "~/" as $HOME; 0, or -1 when too long. */
int		 transfer_path(const char *in, char *out, size_t size);

/* filter.c: the filter form of a searched list. */
struct filter_field {
	const char	*key;		/* an argument of the list command */
	const char	*label;
};
/*
 * Open the form for fields (up to a NULL key), filled from *filter; when
 * the daemon takes it, *filter is replaced and applied(arg) called.
 */
void		 filter_open(const char *cmd, const struct filter_field *,
		    json_t **filter, void (*applied)(void *), void *arg);
/* "sender=a@b user=x" after the list's row count. */
void		 filter_label(struct list *, const json_t *filter);

/* The screens. */
extern const struct screen_ops	scr_menu, scr_status, scr_domains,
				scr_users, scr_user, scr_detail, scr_help,
				scr_form, scr_identities, scr_templates,
				scr_log, scr_admins, scr_quarantine, scr_dkim,
				scr_archive, scr_nrd;

/* scr_detail.c: param for scr_detail. */
struct detail_param {
	const char	*title;
	const char	*cmd;		/* a show command, or NULL ... */
	json_t		*args;		/* stolen */
	const json_t	*value;		/* ... with the object to show */
};

/* detail.c: an object as "key  value" lines, for scr_detail and scr_user. */
struct detail_lines {
	char	**line;
	const char **group;	/* the settings group of each line, or NULL */
	int	  n, size;
};
/* The group tag of a user's "ips" line. */
#define DETAIL_IPS	"IP ranges"
void		 detail_render(struct detail_lines *, const json_t *, int width);
void		 detail_clear(struct detail_lines *);

/* form.c: a form of fields, pushed as a screen (scr_form). */
enum field_type {
	FT_TEXT, FT_SECRET, FT_INT, FT_BOOL, FT_CHOICE, FT_LIST, FT_EDITOR
};

struct form;
/* A form is saved: check and send (form_call); 0 or -1 (error set). */
typedef int form_save_fn(struct form *, void *arg);
/*
 * The daemon took it: returns 0 to close the form, 1 to keep it open (or
 * when it closed it itself with form_close, to open another screen).
 */
typedef int form_done_fn(struct form *, void *arg, json_t *result);

struct form	*form_new(const char *title, form_save_fn *, void *arg);
/* A field; initial NULL is empty.  Returns 0 or -1 (out of memory). */
int		 form_field(struct form *, const char *key, const char *label,
		    enum field_type, const char *choices, const char *initial,
		    const char *help);
/* A field for argument key of cmd: its type, help and choices from there. */
int		 form_arg(struct form *, const char *cmd, const char *key,
		    const char *label, const char *initial);
/* A field for the per-user setting key, with its value in settings. */
int		 form_uset(struct form *, const struct ipc_uset *,
		    const json_t *settings);
/* Start at the field key. */
void		 form_focus(struct form *, const char *key);
/* The button's label ("Save"). */
void		 form_button(struct form *, const char *);
/* The form frees its arg with free_arg when it closes. */
void		 form_own_arg(struct form *, void (*free_arg)(void *));
/*
 * The arguments of cmd from the fields of the same keys, typed as the
 * table says; empty optional ones left out.  NULL with the error set.
 */
json_t		*form_args(struct form *, const char *cmd);
/* Push it (it is freed when it closes, or at once on failure); 0 or -1. */
int		 form_open(struct form *);
/* Fields password and again (masked) for cmd's password argument. */
int		 form_passwords(struct form *, const char *cmd);
/* The two are the same: 0; or -1 with the error at again. */
int		 form_same_twice(struct form *);
/* Close an open form (it is freed). */
void		 form_close(struct form *);
/* Free a form that is not opened. */
void		 form_discard(struct form *);
const char	*form_value(struct form *, const char *key);
int		 form_changed(struct form *, const char *key);
/* The field's value as a JSON list (FT_LIST: split at commas, blanks). */
json_t		*form_list(struct form *, const char *key);
/* A message at the field named key (or for the whole form). */
void		 form_error(struct form *, const char *key, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/* Send cmd (args stolen); a refusal lands at its field, done when taken. */
int		 form_call(struct form *, const char *cmd, json_t *args,
		    form_done_fn *);
/* tmpl.c: a template text with sample values in its placeholders. */
char		*tmpl_render(const char *text);
extern const char *const tmpl_samples[][2];

/* useract.c: what the users list and a user's page both do to a user. */
typedef void useract_fn(void *arg, json_t *user);

/* scr_user.c: param for scr_user; changes are passed on to fn. */
struct user_param {
	const char	*name;
	useract_fn	*fn;
	void		*arg;
};
void		 useract_lock(const char *name, const char *reason,
		    useract_fn *, void *arg);
void		 useract_unlock(const char *name, useract_fn *, void *arg);
void		 useract_reset(const char *name, useract_fn *, void *arg);
void		 useract_passwd(const char *name, const char *kind);
void		 useract_delete(const char *name, useract_fn *, void *arg);
void		 useract_add(useract_fn *, void *arg);
/* The settings of group in a form, starting at the setting key. */
void		 useract_edit(const json_t *user, const char *group,
		    const char *key, useract_fn *, void *arg);
void		 useract_ips(const json_t *user, useract_fn *, void *arg);
void		 useract_forget(void *arg);

#endif
