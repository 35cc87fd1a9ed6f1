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
	A_ADD, A_DELETE, A_LOCK, A_UNLOCK, A_PASSWD, A_TOGGLE,
	A_REFRESH, A_NEXT_FIELD, A_PREV_FIELD,
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
/* "Enter Open\t/ Search\t..." for these actions, fitted to size - 1. */
void		 keys_footer(const enum tui_action *, char *buf, size_t size);
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
};

struct screen {
	const struct screen_ops	*ops;
	struct screen		*parent;
	void			*data;
	CDKOBJS			*focus;		/* keys go here ... */
	char			 title[64];	/* breadcrumb, when not ops->title */
};

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
struct list_col {
	const char	*key;		/* member of the items */
	const char	*title;
	int		 width;		/* 0: takes what is left */
	int		 domain;	/* show as punycode */
};

struct list;
typedef void list_args_fn(void *arg, json_t *args);

struct list	*list_new(const char *cmd, const struct list_col *,
		    list_args_fn *, void *arg);
void		 list_free(struct list *);
void		 list_build(struct list *, int top, int lines);
void		 list_hide(struct list *);
CDKOBJS		*list_widget(struct list *);
/* Fetch again from the start, keeping the selected row when it is there. */
void		 list_reload(struct list *);
/* The selected item (borrowed) or NULL. */
json_t		*list_selected(struct list *);
/* Take fresh values (a show or change result) into the row of its name. */
void		 list_merge(struct list *, const json_t *fresh);
void		 list_remove(struct list *, const char *name);
/* After a key moved the selection: fetch the next page when near the end. */
void		 list_moved(struct list *);
/* Said after the row count: the filter in force. */
void		 list_set_label(struct list *, const char *);

/* The screens. */
extern const struct screen_ops	scr_menu, scr_status, scr_domains,
				scr_users, scr_detail, scr_help;

/* scr_detail.c: param for scr_detail. */
struct detail_param {
	const char	*title;
	const char	*cmd;		/* a show command */
	json_t		*args;		/* stolen */
};

#endif
