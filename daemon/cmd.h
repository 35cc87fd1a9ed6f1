/* Control command handlers: one cmd_<id>() per entry of ipc/commands.def. */
#ifndef OF_CMD_H
#define OF_CMD_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>
#include <jansson.h>

#include "ipc.h"

struct db;
struct config;
struct spam_service;

/* Who sends a command, as the ZAP handler established it. */
struct actor {
	char		  name[128];	/* admin login, or "uid:N" for a local super-admin uid */
	int		  super;	/* super-admin? */
	char		**domains;	/* a domain admin's domains, NULL-terminated */
};

/* What a handler may need besides the database. */
struct daemon_info {
	time_t			 started;
	pid_t			 pid;
	const struct config	*config;
	struct spam_service	*spam;		/* the daemon's spam engine */
};

struct cmd_ctx {
	struct db			*db;
	const struct actor		*actor;
	const struct ipc_cmd		*cmd;
	const struct daemon_info	*info;
	json_t				*events;	/* cmd_event()'s, unsent */
};

/*
 * A handler gets arguments already checked against the command table
 * (types, required, no unknown keys; T_SECRET/T_TEXT arrive as strings,
 * T_KV as an object of strings, T_LIST as an array of strings).  It returns
 * 0 with *result set (a new reference; the dispatcher owns it), or -1 with
 * err filled.  The dispatcher wraps CMDF_WRITE commands in one transaction
 * and rolls it back when the handler fails, so a refused command changes
 * nothing.  Role ROLE_SUPER is checked by the dispatcher; scoping a domain
 * admin to its domains is the handler's job (cmd_may_domain): another
 * domain's object is reported as not found.
 */
typedef int cmd_handler(struct cmd_ctx *, json_t *args, json_t **result,
    struct ipc_error *err);

#define ARG(...)
#define CMD(id, ...) cmd_handler cmd_##id;
#include "commands.def"
#undef CMD
#undef ARG

extern cmd_handler *const cmd_handlers[IPC_NCMDS];

/* May this actor see and change objects of this domain? */
int	cmd_may_domain(const struct actor *, const char *domain);

/* Helpers shared by the handlers (cmd_common.c). */
const char	*cmd_arg_str(json_t *args, const char *key);	/* NULL: absent */
int		 cmd_arg_bool(json_t *args, const char *key);
int64_t		 cmd_arg_int(json_t *args, const char *key, int64_t dflt);
/* The list's limit (default 50) and cursor; -1 with err on a bad limit. */
int		 cmd_page(json_t *args, int *limit, const char **after,
		    struct ipc_error *);
/* The domains a list may show: NULL for a super-admin. */
char *const	*cmd_scope(const struct cmd_ctx *);
/* Report the database's last failure (frees cause); returns -1. */
int		 cmd_db_fail(struct cmd_ctx *, char *cause, struct ipc_error *);
/* A domain's normal name when the actor may see it; else not found. */
char		*cmd_domain_visible(struct cmd_ctx *, const char *domain,
		    const char *field, struct ipc_error *);
/* A user the actor may see, as user show gives it; else not found. */
json_t		*cmd_user_visible(struct cmd_ctx *, const char *name,
		    const char *field, struct ipc_error *);
/* Check a new password's length and hash it; -1 with err. */
int		 cmd_passwd_hash(const char *password, char *hash,
		    struct ipc_error *);

/*
 * Events of a command (cmd_events.c), published by cmd_event_flush() once
 * its change is saved, dropped when it is rolled back.  cmd_event() takes
 * fields over.
 */
void		 cmd_event(struct cmd_ctx *, const char *type, json_t *fields);
void		 cmd_event_flush(struct cmd_ctx *, int saved);
/*
 * A manual lock or unlock (type EVENT_LOCK or EVENT_UNLOCK) of user u (an
 * object with "name" and "domain", as user show gives it), or of one of
 * its identities; reason and duration come from args.
 */
void		 cmd_event_lock(struct cmd_ctx *, const char *type, json_t *u,
		    const char *identity, json_t *args);

#endif
