/* outfilter control protocol: command table, codec and client. */
#ifndef OF_IPC_H
#define OF_IPC_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/*
 * Bump when a request or reply changes shape: a client and a daemon of
 * different versions refuse each other with a clear message.
 */
#define IPC_PROTOCOL_VERSION	1

/* Largest request frame the daemon reads; larger ones are refused. */
#define IPC_MAX_FRAME		(1024 * 1024)

enum ipc_role { ROLE_ADMIN, ROLE_SUPER };

enum ipc_type { T_STR, T_INT, T_BOOL, T_LIST, T_SECRET, T_TEXT, T_KV, T_LINES,
	T_FILE };

#define CMDF_WRITE	0x1
#define CMDF_LIST	0x2
/* A writing command whose handler opens its own transactions. */
#define CMDF_OWNTXN	0x4
/*
 * The result is bytes: {"size","offset","length","data"} with data in
 * base64, at most a part of them; outfilterctl asks again with "offset"
 * until it has "size", and writes them to its "output" argument's FILE
 * (not sent) or standard output.
 */
#define CMDF_DOWNLOAD	0x10
/*
 * The reply names a stream (the event socket) that outfilterctl follows
 * until interrupted, instead of printing the reply.
 */
#define CMDF_STREAM	0x8

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
/* Set *cause (when cause is not NULL) to a malloc'ed message; returns -1. */
int		 ipc_cause(char **cause, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
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

/* Command table (commands.c). */

/* The entry with this dotted name ("user.add.ip"), or NULL. */
const struct ipc_cmd	*ipc_cmd_find(const char *name);
/* An argument of cmd by its JSON key, or NULL. */
const struct ipc_arg	*ipc_cmd_arg(const struct ipc_cmd *, const char *key);
/* How a type is named in messages: "a string", "a list of strings"... */
const char		*ipc_type_name(enum ipc_type);
/* Does cmd take a T_FILE argument (and so may send a larger request)? */
int			 ipc_cmd_takes_file(const struct ipc_cmd *);

/*
 * Codec (codec.c).  Every frame is one JSON object:
 *   request {"v":1,"cmd":NAME,"args":{...}}
 *   reply   {"v":1,"ok":true,"result":ANY}
 *           {"v":1,"ok":false,"error":{"code":C,"field":F,"message":M}}
 */

/* Longest string argument, in bytes: T_TEXT and T_LINES, and every other type. */
#define IPC_MAX_TEXT		(64 * 1024)
#define IPC_MAX_STR		1024
/* Most entries in a T_LIST or T_KV argument. */
#define IPC_MAX_ITEMS		1000
/*
 * A T_FILE argument: any bytes, at most IPC_MAX_FILE of them, base64 on
 * the wire (RFC 4648 section 4, with padding, no line breaks).  The
 * decoder turns it into a string of the bytes (NULs and all: read it with
 * json_string_length) and the encoder back, so a handler and the
 * command line only ever see the bytes.  A request carrying one may be
 * up to IPC_MAX_FILE_FRAME bytes; any other stays within the frame limit.
 */
#define IPC_MAX_FILE		(25 * 1024 * 1024)
#define IPC_MAX_FILE_B64	((IPC_MAX_FILE + 2) / 3 * 4)
#define IPC_MAX_FILE_FRAME	(IPC_MAX_FILE_B64 + IPC_MAX_FRAME)

/*
 * Parse and check a request against the command table: protocol version,
 * known command, and its arguments (no unknown key, every required one,
 * the right JSON types, sizes, no NUL).  Returns 0 with *cmd and *args (a
 * new reference to an object, {} when absent) or -1 with err filled.
 */
int	 ipc_request_decode(const char *buf, size_t len,
	    const struct ipc_cmd **cmd, json_t **args, struct ipc_error *err);
/*
 * The same with a frame limit of max bytes (the daemon's [control]
 * max_frame) instead of IPC_MAX_FRAME; a command with a T_FILE argument
 * may send up to IPC_MAX_FILE_FRAME whatever max is.
 */
int	 ipc_request_decode_max(const char *buf, size_t len, size_t max,
	    const struct ipc_cmd **cmd, json_t **args, struct ipc_error *err);
/*
 * Check args (an object) against cmd's argument list, as above; a T_FILE
 * argument is checked as the bytes it decodes to.
 */
int	 ipc_args_check(const struct ipc_cmd *, json_t *args,
	    struct ipc_error *err);
/* Overwrite the T_SECRET strings of args in place before it is freed. */
void	 ipc_args_wipe(const struct ipc_cmd *, json_t *args);
/*
 * Encoders return a malloc'ed compact JSON text, or NULL when out of
 * memory.  They borrow args and result (NULL stands for {} and null).
 * The bytes of a T_FILE argument go out in base64.
 */
char	*ipc_request_encode(const char *cmd, json_t *args);
char	*ipc_reply_ok(json_t *result);
char	*ipc_reply_error(const struct ipc_error *);
/*
 * Read a reply.  0: *result is a new reference (json null when the command
 * returns nothing).  -1: err holds the daemon's refusal, or says why the
 * reply itself is wrong (code malformed, or version).
 */
int	 ipc_reply_decode(const char *buf, size_t len, json_t **result,
	    struct ipc_error *err);

/*
 * Client (client.c): one ZMQ_REQ connection to the daemon, reusable for
 * any number of calls.  It always logs in with PLAIN: user NULL means the
 * local super-admin path (the name "-" with the password "-", accepted by
 * the daemon for the uids its config lists); otherwise an admin login.
 *
 * ipc_client_call() returns one of:
 *   IPC_CALL_OK           0, *result set (a new reference)
 *   IPC_CALL_REFUSED     -1, the daemon answered with an error: err holds
 *                         it (also a malformed reply or a version mismatch)
 *   IPC_CALL_UNREACHABLE -2, no answer: the control socket is missing,
 *                         nothing listens on it, or the timeout passed;
 *                         err->code is IPC_E_BUSY and err->message says which.
 *                         The client stays usable: a later call retries.
 *                         After a timeout the daemon may still have carried
 *                         the command out.
 *   IPC_CALL_LOGIN       -3, the daemon refused the login (wrong name or
 *                         password, or a uid that is not a local super-admin);
 *                         err->code is IPC_E_DENIED.  Every later call on
 *                         this client fails the same way: close it and
 *                         open a new one with other credentials.
 */
#define IPC_CALL_OK		 0
#define IPC_CALL_REFUSED	-1
#define IPC_CALL_UNREACHABLE	-2
#define IPC_CALL_LOGIN		-3

struct ipc_client;

/*
 * The CURVE keys of a client of a tcp:// endpoint (the daemon's [control]
 * remote_endpoint), as Z85 text: the daemon's public key, and the
 * client's own secret key, whose public half the daemon's [control]
 * curve_clients lists for an admin account.  Over tcp:// that key is the
 * login: the user name and password are not sent.
 */
#define IPC_CURVE_KEYLEN	40
struct ipc_curve {
	char	server_key[IPC_CURVE_KEYLEN + 1];
	char	secret_key[IPC_CURVE_KEYLEN + 1];
};

/*
 * Returns NULL with *cause (malloc'ed) when the endpoint is not one libzmq
 * takes or ZeroMQ cannot set up the socket.  The password is not kept.
 * A tcp:// endpoint needs CURVE keys: ipc_client_open_curve().
 */
struct ipc_client	*ipc_client_open(const char *endpoint, const char *user,
			    const char *password, int timeout_ms, char **cause);
/* The same with CURVE keys for a tcp:// endpoint (copied, NULL: none). */
struct ipc_client	*ipc_client_open_curve(const char *endpoint,
			    const struct ipc_curve *, const char *user,
			    const char *password, int timeout_ms, char **cause);
int			 ipc_client_call(struct ipc_client *, const char *cmd,
			    json_t *args, json_t **result, struct ipc_error *err);
void			 ipc_client_close(struct ipc_client *);

/*
 * Command line (cli.c): outfilterctl's words to a command and its args,
 * all from the command table.  Each word of a dotted name ("user add ip")
 * may be shortened to a unique prefix.
 */
struct ipc_cli {
	const struct ipc_cmd	*cmd;		/* NULL: only a group was named */
	json_t			*args;		/* the request's args (owned) */
	int			 help;		/* --help or -h was given */
	char			 words[128];	/* the command words, spelled out */
};

/*
 * Returns 0 with cli filled (cli->args NULL when help was asked for), or a
 * sysexits status (EX_USAGE, EX_NOINPUT for an unreadable FILE, EX_DATAERR
 * for an empty password) with *cause malloc'ed.  T_SECRET, T_TEXT and
 * T_FILE arguments read their FILE here ("-" is stdin); a T_LINES one
 * keeps the FILE's name, for outfilterctl to read in parts.
 */
int	 ipc_cli_parse(int argc, char *const argv[], struct ipc_cli *,
	    char **cause);
/* Free cli->args (wiping secrets). */
void	 ipc_cli_clear(struct ipc_cli *);
/* "user add ip NAME --domain DOMAIN --ip CIDR [--ip CIDR ...]": malloc'ed. */
char	*ipc_cli_synopsis(const struct ipc_cmd *);
/* Usage and help of one command, and the list of commands under words. */
void	 ipc_cli_help_cmd(FILE *, const char *prog, const struct ipc_cmd *);
void	 ipc_cli_help_list(FILE *, const char *prog, const char *words);
/* How a field named in a reply is spelled on the command line. */
const char *ipc_cli_field(const struct ipc_cmd *, const char *field);

/*
 * Events (subscribe.c): a ZMQ_SUB on the daemon's event socket, whose
 * endpoint the "events" command returns, with the login of
 * ipc_client_open().  types is an array of type names (NULL or empty:
 * every event).  NULL with *cause when ZeroMQ cannot set it up.
 */
struct ipc_sub;

struct ipc_sub	*ipc_sub_open(const char *endpoint, const char *user,
		    const char *password, json_t *types, char **cause);
/*
 * Wait up to timeout_ms (-1: for ever) for the next event.  1: *event is
 * a new reference to it, {"v":1,"time":T,"type":TYPE,...}; 0: none came,
 * or a signal interrupted the wait; -1: *cause says why no event will
 * come (the login was refused: the event socket lets in super-admins
 * only).  Before the login is checked, nothing is said: a daemon that is
 * down or restarting is waited for.
 */
int		 ipc_sub_next(struct ipc_sub *, int timeout_ms, json_t **event,
		    char **cause);
void		 ipc_sub_close(struct ipc_sub *);
/*
 * An event as one line: "TIME TYPE key=value ...", TIME in UTC as
 * 2024-05-01T12:00:00Z, a value with a space, a quote, a backslash, an
 * '=' or a control character as a JSON string in ASCII.
 */
void		 ipc_sub_print(FILE *, const json_t *event);

/* Output (output.c): a result for people.  Lists become aligned tables. */
void	 ipc_out_print(FILE *out, FILE *err, const json_t *result);

/*
 * Where a client finds the daemon and as whom it logs in (login.c).
 * Both return 0, or a sysexits status with *cause malloc'ed.
 */
#define IPC_DEFAULT_ENDPOINT	"ipc://./var/run/control"
#define IPC_SYSTEM_CONFIG	"/etc/outfilter/outfilterd.conf"

/*
 * The [control] endpoint of the INI file path (NULL: IPC_SYSTEM_CONFIG if
 * it exists, else the default).  A named file that cannot be read is an
 * error (EX_CONFIG).  *endpoint is malloc'ed.
 */
int	 ipc_login_endpoint(const char *path, char **endpoint, char **cause);
/*
 * Credentials from a file of "user = NAME" and "password = SECRET" lines:
 * path, else $OUTFILTER_CREDENTIALS, else ~/.config/outfilter/credentials.
 * A file others may read is refused.  When no file applies, returns 0 with
 * *user and *password NULL (the local super-admin path).  Free *password
 * with ipc_login_free_secret().
 */
int	 ipc_login_credentials(const char *path, char **user, char **password,
	    char **cause);
/*
 * CURVE keys from the same credentials file: "server_key = KEY" (or the
 * path of a file holding it, such as the daemon's curve_secret_file.pub)
 * and "secret_key = KEY".  0 with *curve NULL when the file has neither;
 * *curve is in guarded memory: free it with ipc_login_free_curve().
 */
int	 ipc_login_curve(const char *path, struct ipc_curve **curve,
	    char **cause);
void	 ipc_login_free_curve(struct ipc_curve *);
/* A new key pair (Z85, IPC_CURVE_KEYLEN + 1 bytes each); 0 or -1. */
int	 ipc_curve_keypair(char *public, char *secret);
/* The first line of FILE ("-": stdin) as a password; EX_DATAERR if empty. */
int	 ipc_login_read_secret(const char *path, char **secret, char **cause);
void	 ipc_login_free_secret(char *);

#endif
