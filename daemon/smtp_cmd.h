/*
 * The SMTP command-line parser (RFC 5321, with the MAIL/RCPT parameters of
 * RFC 1870 SIZE, 6152 8BITMIME, 6531 SMTPUTF8, 4954 AUTH= and 3461 DSN).
 *
 * It sees one line without its CRLF (the session splits lines and enforces
 * the line-length limit) and either fills a struct smtp_cmd, or returns -1
 * with the whole reply line to send in cmd->reply ("501 5.1.7 Bad sender
 * address syntax: missing <>"), ready to go out as is: whatever it echoes
 * of the client's line is printable ASCII and length-capped.  It holds no
 * state: what is allowed when (503 for MAIL before EHLO) is the session's.
 */
#ifndef OF_SMTP_CMD_H
#define OF_SMTP_CMD_H

#include <stddef.h>
#include <stdint.h>

enum smtp_verb {
	SMTP_UNKNOWN = 0,
	SMTP_EHLO, SMTP_HELO, SMTP_MAIL, SMTP_RCPT, SMTP_DATA, SMTP_RSET,
	SMTP_NOOP, SMTP_QUIT, SMTP_STARTTLS, SMTP_AUTH, SMTP_VRFY, SMTP_EXPN,
	SMTP_HELP, SMTP_BDAT
};

/*
 * Service extensions the listener offers in its EHLO reply.  A parameter
 * belonging to an extension not offered is refused like an unknown one
 * (555 5.5.4), as RFC 5321 4.1.1.11 wants.
 */
#define SMTP_EXT_SIZE		0x01	/* SIZE= */
#define SMTP_EXT_8BITMIME	0x02	/* BODY= */
#define SMTP_EXT_SMTPUTF8	0x04	/* SMTPUTF8, UTF-8 addresses */
#define SMTP_EXT_DSN		0x08	/* RET= ENVID= NOTIFY= ORCPT= */
#define SMTP_EXT_AUTH		0x10	/* AUTH= */

struct smtp_cmd_opts {
	unsigned	ext;		/* SMTP_EXT_* offered */
	uint64_t	size_max;	/* SIZE= above it: 552 5.3.4; 0: no limit */
	int		utf8;		/* for RCPT: the MAIL had SMTPUTF8 */
};

#define SMTP_PATH_MAX	256	/* RFC 5321 4.5.3.1.3 */
#define SMTP_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define SMTP_ENVID_MAX	100	/* RFC 3461 4.4 */
#define SMTP_ORCPT_MAX	500	/* RFC 3461 4.2 */
#define SMTP_MECH_MAX	20	/* RFC 4422 3.1 */
#define SMTP_REPLY_MAX	512	/* RFC 5321 4.5.3.1.5, CRLF included */

/* Bits of struct smtp_cmd's params: which parameters the line had. */
#define SMTP_PARAM_SIZE		0x01
#define SMTP_PARAM_BODY		0x02
#define SMTP_PARAM_SMTPUTF8	0x04
#define SMTP_PARAM_AUTH		0x08
#define SMTP_PARAM_RET		0x10
#define SMTP_PARAM_ENVID	0x20
#define SMTP_PARAM_NOTIFY	0x40
#define SMTP_PARAM_ORCPT	0x80

enum smtp_body	{ SMTP_BODY_NONE, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };
enum smtp_ret	{ SMTP_RET_NONE, SMTP_RET_FULL, SMTP_RET_HDRS };

#define SMTP_NOTIFY_NEVER	0x01
#define SMTP_NOTIFY_SUCCESS	0x02
#define SMTP_NOTIFY_FAILURE	0x04
#define SMTP_NOTIFY_DELAY	0x08

struct smtp_cmd {
	enum smtp_verb	 verb;		/* set even when the line is refused */
	/* EHLO/HELO: the name given; AUTH: the mechanism, upper case. */
	char		 arg[SMTP_DOMAIN_MAX + 1];
	/*
	 * MAIL/RCPT: the mailbox without brackets and without a source
	 * route; "" for the null sender <>.  Quoted local parts are kept as
	 * written ("john doe"@example.com).  RCPT TO:<postmaster> gives
	 * "postmaster" (as written).
	 */
	char		 path[SMTP_PATH_MAX + 1];
	/* AUTH: the initial response, pointing into the line, or NULL. */
	const char	*auth_initial;
	size_t		 auth_initial_len;

	unsigned	 params;	/* SMTP_PARAM_* present */
	uint64_t	 size;		/* SIZE= */
	enum smtp_body	 body;		/* BODY= */
	int		 smtputf8;	/* SMTPUTF8 */
	char		 auth[SMTP_PATH_MAX + 1];	/* AUTH=, decoded */
	enum smtp_ret	 ret;		/* RET= */
	char		 envid[SMTP_ENVID_MAX + 1];	/* ENVID=, xtext */
	unsigned	 notify;	/* NOTIFY=, SMTP_NOTIFY_* */
	char		 orcpt[SMTP_ORCPT_MAX + 1];	/* ORCPT=, as given */

	/* On -1: the reply line to send, without CRLF. */
	char		 reply[SMTP_REPLY_MAX - 2];
};

/*
 * Parse one command line of len bytes (no CRLF; need not be
 * NUL-terminated).  0 when the command is well formed, -1 with cmd->reply
 * set otherwise.  VRFY, EXPN and BDAT are recognised and refused (502).
 */
int		 smtp_cmd_parse(const char *line, size_t len,
		    const struct smtp_cmd_opts *, struct smtp_cmd *cmd);

/* "EHLO", "MAIL", ...; "unknown" for SMTP_UNKNOWN. */
const char	*smtp_verb_name(enum smtp_verb);

/*
 * Copy len bytes of client input into dst (size dstsz) for a reply or a
 * log line: bytes outside printable ASCII become '?', and input that does
 * not fit is cut and ends in "...".  Returns the length written.
 */
size_t		 smtp_cmd_sanitize(char *dst, size_t dstsz, const char *src,
		    size_t len);

#endif
