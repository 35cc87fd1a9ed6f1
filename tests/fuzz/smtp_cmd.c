/*
 * The SMTP command parser: one command line (without CRLF), parsed as the
 * three kinds of listener would (every extension, none, RCPT after an
 * SMTPUTF8 MAIL).  Invariants: a refusal is a complete 5xx reply of
 * printable ASCII; an accepted address or name holds no control byte and
 * parses again to itself; AUTH's initial response lies inside the line.
 */
#include <string.h>

#include "fuzz.h"
#include "smtp_cmd.h"

static const struct smtp_cmd_opts fuzz_opts[] = {
	{ SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 |
	    SMTP_EXT_DSN | SMTP_EXT_AUTH, 10 * 1024 * 1024, 0 },
	{ 0, 0, 0 },
	{ SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 |
	    SMTP_EXT_DSN | SMTP_EXT_AUTH, 0, 1 },
};

static void
fuzz_reply(const struct smtp_cmd *cmd)
{
	size_t	n = strnlen(cmd->reply, sizeof cmd->reply);

	FUZZ_CHECK(n < sizeof cmd->reply, "reply not terminated");
	FUZZ_CHECK(n >= 10 && cmd->reply[0] == '5' &&
	    cmd->reply[1] >= '0' && cmd->reply[1] <= '5' &&
	    cmd->reply[2] >= '0' && cmd->reply[2] <= '9' &&
	    cmd->reply[3] == ' ' && cmd->reply[4] == '5' &&
	    cmd->reply[5] == '.', "reply \"%s\" is not a 5xx with a status "
	    "code", cmd->reply);
	FUZZ_CHECK(fuzz_printable(cmd->reply, n), "reply \"%s\" has a byte "
	    "outside printable ASCII", cmd->reply);
}

/* A field that is NUL-terminated inside its buffer, without control bytes. */
static void
fuzz_field(const char *what, const char *s, size_t size)
{
	size_t	n = strnlen(s, size), i;

	FUZZ_CHECK(n < size, "%s not terminated", what);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f,
		    "%s \"%s\" holds a control byte", what, s);
}

/* An accepted MAIL/RCPT address parses again to the same address. */
static void
fuzz_again(const struct smtp_cmd *cmd, const struct smtp_cmd_opts *o)
{
	struct smtp_cmd	again;
	char		line[SMTP_PATH_MAX + 64];
	int		n;

	if (cmd->verb == SMTP_RCPT && cmd->path[0] == '\0')
		return;
	n = snprintf(line, sizeof line, "%s:<%s>%s",
	    cmd->verb == SMTP_MAIL ? "MAIL FROM" : "RCPT TO", cmd->path,
	    cmd->verb == SMTP_MAIL && cmd->smtputf8 ? " SMTPUTF8" : "");
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof line, "line too long");
	FUZZ_CHECK(smtp_cmd_parse(line, (size_t)n, o, &again) == 0,
	    "accepted address <%s> is refused when sent again: %s",
	    cmd->path, again.reply);
	FUZZ_CHECK(strcmp(again.path, cmd->path) == 0,
	    "<%s> parses again as <%s>", cmd->path, again.path);
}

static void
fuzz_one(const char *line, size_t len, const struct smtp_cmd_opts *o)
{
	struct smtp_cmd	cmd;

	if (smtp_cmd_parse(line, len, o, &cmd) == -1) {
		fuzz_reply(&cmd);
		return;
	}
	FUZZ_CHECK(cmd.verb != SMTP_UNKNOWN, "accepted an unknown verb");
	FUZZ_CHECK(memchr(line, '\0', len) == NULL &&
	    memchr(line, '\r', len) == NULL &&
	    memchr(line, '\n', len) == NULL,
	    "accepted a line with NUL, CR or LF");
	fuzz_field("arg", cmd.arg, sizeof cmd.arg);
	fuzz_field("path", cmd.path, sizeof cmd.path);
	fuzz_field("auth", cmd.auth, sizeof cmd.auth);
	fuzz_field("envid", cmd.envid, sizeof cmd.envid);
	fuzz_field("orcpt", cmd.orcpt, sizeof cmd.orcpt);
	if (cmd.auth_initial != NULL)
		FUZZ_CHECK(cmd.auth_initial >= line && cmd.auth_initial_len >
		    0 && cmd.auth_initial + cmd.auth_initial_len <= line + len,
		    "AUTH initial response outside the line");
	if (cmd.verb == SMTP_MAIL || cmd.verb == SMTP_RCPT) {
		FUZZ_CHECK(strlen(cmd.path) + 2 <= SMTP_PATH_MAX,
		    "path longer than RFC 5321 allows");
		if ((o->ext & SMTP_EXT_SIZE) && o->size_max != 0 &&
		    (cmd.params & SMTP_PARAM_SIZE))
			FUZZ_CHECK(cmd.size <= o->size_max,
			    "SIZE=%llu above the limit accepted",
			    (unsigned long long)cmd.size);
		fuzz_again(&cmd, o);
	}
	if (cmd.verb == SMTP_EHLO || cmd.verb == SMTP_HELO)
		FUZZ_CHECK(cmd.arg[0] != '\0', "empty EHLO name accepted");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	dst[65];
	size_t	i, n;

	for (i = 0; i < sizeof fuzz_opts / sizeof fuzz_opts[0]; i++)
		fuzz_one((const char *)data, size, &fuzz_opts[i]);

	n = smtp_cmd_sanitize(dst, sizeof dst, (const char *)data, size);
	FUZZ_CHECK(n < sizeof dst && strlen(dst) == n &&
	    fuzz_printable(dst, n), "smtp_cmd_sanitize gave \"%s\"", dst);
	return 0;
}
