/* outfilter control protocol: command table, codec and client. */
#ifndef OF_IPC_H
#define OF_IPC_H

#include <stddef.h>
#include <jansson.h>

/*
 * Bump when a request or reply changes shape: a client and a daemon of
 * different versions refuse each other with a clear message.
 */
#define IPC_PROTOCOL_VERSION	1

/* Largest request frame the daemon reads; larger ones are refused. */
#define IPC_MAX_FRAME		(1024 * 1024)

enum ipc_role { ROLE_ADMIN, ROLE_SUPER };

enum ipc_type { T_STR, T_INT, T_BOOL, T_LIST, T_SECRET, T_TEXT, T_KV };

#define CMDF_WRITE	0x1
#define CMDF_LIST	0x2

struct ipc_arg {
	const char	*key;
	const char	*flag;		/* NULL: positional */
	const char	*metavar;
	enum ipc_type	 type;
	int		 required;
	const char	*help;
};

enum ipc_cmd_id {
#define ARG(...)
#define CMD(id, ...) IPC_CMD_##id,
#include "commands.def"
#undef CMD
#undef ARG
	IPC_NCMDS
};

struct ipc_cmd {
	enum ipc_cmd_id		 id;
	const char		*name;
	enum ipc_role		 role;
	int			 flags;
	const char		*help;
	const struct ipc_arg	*args;	/* ends with key == NULL */
};

extern const struct ipc_cmd ipc_cmds[IPC_NCMDS];

/*
 * Error codes on the wire, each with the outfilterctl exit status
 * (sysexits) it maps to.
 */
#define IPC_ERRORS \
	E(INVALID,	"invalid",		65)	/* a field's value is wrong */ \
	E(CONFLICT,	"conflict",		65)	/* duplicate, overlap */ \
	E(NOT_FOUND,	"not_found",		65)	/* unknown or not yours */ \
	E(DENIED,	"denied",		77)	/* role too low */ \
	E(UNKNOWN_CMD,	"unknown_command",	64) \
	E(MALFORMED,	"malformed",		65)	/* not JSON, bad UTF-8 */ \
	E(TOO_LARGE,	"too_large",		65) \
	E(VERSION,	"version",		76)	/* EX_PROTOCOL */ \
	E(BUSY,		"busy",			75)	/* EX_TEMPFAIL */ \
	E(INTERNAL,	"internal",		70)	/* EX_SOFTWARE */

enum ipc_errcode {
#define E(id, s, x) IPC_E_##id,
	IPC_ERRORS
#undef E
	IPC_NERRORS
};

struct ipc_error {
	enum ipc_errcode	code;
	char			field[64];	/* the argument at fault, or "" */
	char			message[512];	/* a sentence naming what is wrong */
};

/* Fill err; returns -1 so handlers can "return ipc_fail(...)". */
int		 ipc_fail(struct ipc_error *err, enum ipc_errcode code,
		    const char *field, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
const char	*ipc_errcode_name(enum ipc_errcode);
int		 ipc_errcode_parse(const char *, enum ipc_errcode *);
int		 ipc_errcode_exit(enum ipc_errcode);

/* Per-user settings (usersettings.def). */
enum ipc_uset_type { US_INT, US_BOOL, US_ENUM, US_STR, US_LIST };

struct ipc_uset {
	const char		*key;
	enum ipc_uset_type	 type;
	const char		*def;
	long long		 min, max;	/* US_INT; max 0: unbounded */
	const char		*choices;	/* US_ENUM: "a|b|c" */
	const char		*group;
	const char		*help;
};

extern const struct ipc_uset	ipc_usets[];
extern const size_t		ipc_nusets;

const struct ipc_uset	*ipc_uset_find(const char *key);
/*
 * Check and normalise a value given as text: booleans become "on"/"off",
 * numbers lose leading zeros, lists become a JSON array text.  Returns a
 * malloc'ed normal form, or NULL with err filled (field = key).
 */
char			*ipc_uset_normalize(const struct ipc_uset *,
			    const char *value, struct ipc_error *err);

#endif
