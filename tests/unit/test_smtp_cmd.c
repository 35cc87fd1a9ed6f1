/* The SMTP command-line parser: one table of lines and what they give. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../daemon/smtp_cmd.h"

#define ALL_EXT	(SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 | \
		    SMTP_EXT_DSN | SMTP_EXT_AUTH)

/* Listener set-ups the cases run under. */
enum { O_ALL, O_UTF8, O_RELAY, O_NOLIMIT };
static const struct smtp_cmd_opts opts[] = {
	[O_ALL] = { ALL_EXT, 10000000, 0 },
	/* RCPT in a transaction whose MAIL had SMTPUTF8. */
	[O_UTF8] = { ALL_EXT, 10000000, 1 },
	/* What the relay offers today: no SMTPUTF8, no DSN. */
	[O_RELAY] = { SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_AUTH,
	    10000000, 0 },
	[O_NOLIMIT] = { ALL_EXT, 0, 0 },
};

/*
 * want: the parse rendered by cmd_render() for a line that is accepted;
 * "VERB !reply-prefix" for one that is refused.
 */
struct cmd_case {
	const char	*line;
	size_t		 len;	/* 0: strlen(line) */
	int		 o;
	const char	*want;
};

#define L(s)	s, sizeof(s) - 1

static const struct cmd_case cases[] = {
	/* EHLO / HELO */
	{ "EHLO client.example.com", 0, O_ALL, "EHLO arg=client.example.com" },
	{ "ehlo Client.Example.COM", 0, O_ALL, "EHLO arg=Client.Example.COM" },
	{ "HELO [192.0.2.1]", 0, O_ALL, "HELO arg=[192.0.2.1]" },
	{ "EHLO [IPv6:2001:db8::1]", 0, O_ALL, "EHLO arg=[IPv6:2001:db8::1]" },
	{ "EHLO DESKTOP_1A2B", 0, O_ALL, "EHLO arg=DESKTOP_1A2B" },
	{ "EHLO localhost  ", 0, O_ALL, "EHLO arg=localhost" },
	{ "EHLO", 0, O_ALL, "EHLO !501 5.5.4 Syntax: EHLO hostname" },
	{ "HELO ", 0, O_ALL, "HELO !501 5.5.4 Syntax: HELO hostname" },
	{ "EHLO a.example b.example", 0, O_ALL, "EHLO !501 5.5.4 Syntax" },
	{ "EHLO -bad.example", 0, O_ALL,
	    "EHLO !501 5.5.2 Invalid EHLO hostname: -bad.example is neither" },
	{ "EHLO bad-.example", 0, O_ALL, "EHLO !501 5.5.2" },
	{ "EHLO host..example", 0, O_ALL, "EHLO !501 5.5.2" },
	{ "EHLO [192.0.2.300]", 0, O_ALL, "EHLO !501 5.5.2" },
	{ "EHLO [192.0.2.1", 0, O_ALL, "EHLO !501 5.5.2" },
	{ "EHLO h\xc3\xa9.example", 0, O_ALL,
	    "EHLO !501 5.5.2 Invalid EHLO hostname: h??.example" },
	{ "EHLO <;id;>", 0, O_ALL, "EHLO !501 5.5.2" },

	/* MAIL FROM: path forms */
	{ "MAIL FROM:<user@example.com>", 0, O_ALL, "MAIL <user@example.com>" },
	{ "mail from:<user@example.com>", 0, O_ALL, "MAIL <user@example.com>" },
	{ "MAIL FROM: <user@example.com>", 0, O_ALL, "MAIL <user@example.com>" },
	{ "MAIL FROM:  <user@example.com>", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: missing <>" },
	{ "MAIL FROM:user@example.com", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: missing <>: "
	    "user@example.com" },
	{ "MAIL FROM:<user@example.com", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: missing >" },
	{ "MAIL FROM:<>", 0, O_ALL, "MAIL <>" },
	{ "MAIL FROM:<> SIZE=100", 0, O_ALL, "MAIL <> SIZE=100" },
	{ "MAIL FROM:<@a.example,@b.example:user@c.example>", 0, O_ALL,
	    "MAIL <user@c.example>" },
	{ "MAIL FROM:<@a:user@c>", 0, O_ALL, "MAIL <user@c>" },
	{ "MAIL FROM:<@a,user@c>", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: bad source route" },
	{ "MAIL FROM:<@:user@c>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<@a:>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<\"john doe\"@example.com>", 0, O_ALL,
	    "MAIL <\"john doe\"@example.com>" },
	{ "MAIL FROM:<\"a>b\"@example.com>", 0, O_ALL,
	    "MAIL <\"a>b\"@example.com>" },
	{ "MAIL FROM:<\"a\\\"b\"@example.com>", 0, O_ALL,
	    "MAIL <\"a\\\"b\"@example.com>" },
	{ "MAIL FROM:<\"\"@example.com>", 0, O_ALL, "MAIL <\"\"@example.com>" },
	{ "MAIL FROM:<\"open@example.com>", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: missing >" },
	{ "MAIL FROM:<\"a\"b@example.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<john doe@example.com>", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: bad character in "
	    "local part" },
	{ "MAIL FROM:<user@[192.0.2.1]>", 0, O_ALL, "MAIL <user@[192.0.2.1]>" },
	{ "MAIL FROM:<user@[IPv6:2001:db8::1]>", 0, O_ALL,
	    "MAIL <user@[IPv6:2001:db8::1]>" },
	{ "MAIL FROM:<user@[300.1.1.1]>", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: bad address literal" },
	{ "MAIL FROM:<user@[tag:foo]>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<user@[IPv6:192.0.2.1]>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<user>", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: missing @domain" },
	{ "MAIL FROM:<postmaster>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<.user@example.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<user.@example.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<us..er@example.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<first.last+tag@example.com>", 0, O_ALL,
	    "MAIL <first.last+tag@example.com>" },
	{ "MAIL FROM:<user@example..com>", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: bad domain" },
	{ "MAIL FROM:<user@-example.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<user@example-.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<user@example.com.>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<user@>", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: missing domain" },
	{ "MAIL FROM:<@example.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<user@exa_mple.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<a@b@example.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<u@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".example>", 0, O_ALL, "MAIL <u@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example>" },
	{ "MAIL FROM:<u@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".example>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<a@b> x", 0, O_ALL, "MAIL !555 5.5.4 Unsupported "
	    "parameter: x" },
	{ "MAIL FROM:<a@b>x", 0, O_ALL, "MAIL !501 5.5.4 Syntax" },
	{ "MAIL FROM", 0, O_ALL,
	    "MAIL !501 5.5.4 Syntax: MAIL FROM:<address>" },
	{ "MAIL TO:<a@b>", 0, O_ALL, "MAIL !501 5.5.4 Syntax" },
	{ "MAIL FROM :<a@b>", 0, O_ALL, "MAIL !501 5.5.4 Syntax" },
	{ "MAIL  FROM:<a@b>", 0, O_ALL, "MAIL !501 5.5.4 Syntax" },

	/* Shell and format metacharacters */
	{ "MAIL FROM:<;sleep 66;>", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: bad character in "
	    "local part: <;sleep 66;>" },
	{ "MAIL FROM:<`id`@x>", 0, O_ALL, "MAIL <`id`@x>" },
	{ "MAIL FROM:<%n%s@example.com>", 0, O_ALL, "MAIL <%n%s@example.com>" },
	{ "MAIL FROM:<%n%s>", 0, O_ALL, "MAIL !501 5.1.7 Bad sender address "
	    "syntax: missing @domain: <%n%s>" },
	{ "MAIL FROM:<$(reboot)@example.com>", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "MAIL FROM:<a@b;rm -rf />", 0, O_ALL, "MAIL !501 5.1.7" },
	{ "RCPT TO:<'; DROP TABLE users; --@example.com>", 0, O_ALL,
	    "RCPT !501 5.1.3" },
	{ "RCPT TO:<\"; DROP TABLE users; --\"@example.com>", 0, O_ALL,
	    "RCPT <\"; DROP TABLE users; --\"@example.com>" },

	/* MAIL parameters */
	{ "MAIL FROM:<a@b> SIZE=1000", 0, O_ALL, "MAIL <a@b> SIZE=1000" },
	{ "MAIL FROM:<a@b> size=1000 body=8bitmime", 0, O_ALL,
	    "MAIL <a@b> SIZE=1000 BODY=8BITMIME" },
	{ "MAIL FROM:<a@b> BODY=7BIT SIZE=0 ", 0, O_ALL,
	    "MAIL <a@b> SIZE=0 BODY=7BIT" },
	{ "MAIL FROM:<a@b>  SIZE=5", 0, O_ALL, "MAIL <a@b> SIZE=5" },
	{ "MAIL FROM:<a@b> SIZE=abc", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad SIZE value: abc" },
	{ "MAIL FROM:<a@b> SIZE=-1", 0, O_ALL, "MAIL !501 5.5.4 Bad SIZE" },
	{ "MAIL FROM:<a@b> SIZE=", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad parameter syntax: SIZE=" },
	{ "MAIL FROM:<a@b> SIZE", 0, O_ALL,
	    "MAIL !501 5.5.4 Parameter SIZE needs a value" },
	{ "MAIL FROM:<a@b> SIZE=1 SIZE=2", 0, O_ALL,
	    "MAIL !555 5.5.4 Duplicate parameter: SIZE" },
	{ "MAIL FROM:<a@b> SIZE=1 size=1", 0, O_ALL,
	    "MAIL !555 5.5.4 Duplicate parameter: SIZE" },
	{ "MAIL FROM:<a@b> SIZE=10000000", 0, O_ALL,
	    "MAIL <a@b> SIZE=10000000" },
	{ "MAIL FROM:<a@b> SIZE=10000001", 0, O_ALL,
	    "MAIL !552 5.3.4 Message size exceeds fixed limit of 10000000 "
	    "bytes" },
	{ "MAIL FROM:<a@b> SIZE=99999999999999999999", 0, O_ALL,
	    "MAIL !552 5.3.4" },
	{ "MAIL FROM:<a@b> SIZE=999999999999999999999", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad SIZE" },
	{ "MAIL FROM:<a@b> SIZE=99999999999999999999", 0, O_NOLIMIT,
	    "MAIL <a@b> SIZE=18446744073709551615" },
	{ "MAIL FROM:<a@b> BODY=nonsense", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad BODY value: nonsense (7BIT or 8BITMIME)" },
	{ "MAIL FROM:<a@b> BODY=BINARYMIME", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad BODY value" },
	{ "MAIL FROM:<a@b> FOO=bar", 0, O_ALL,
	    "MAIL !555 5.5.4 Unsupported parameter: FOO" },
	{ "MAIL FROM:<a@b> X-VERP", 0, O_ALL,
	    "MAIL !555 5.5.4 Unsupported parameter: X-VERP" },
	{ "MAIL FROM:<a@b> =x", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad parameter syntax" },
	{ "MAIL FROM:<a@b> SIZE==1", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad parameter syntax" },
	{ "MAIL FROM:<a@b> SIZE=1\x01", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad parameter syntax: SIZE=1?" },
	{ "MAIL FROM:<a@b> SMTPUTF8", 0, O_ALL, "MAIL <a@b> SMTPUTF8" },
	{ "MAIL FROM:<a@b> SMTPUTF8=yes", 0, O_ALL,
	    "MAIL !501 5.5.4 Parameter SMTPUTF8 takes no value" },
	{ "MAIL FROM:<a@b> NOTIFY=NEVER", 0, O_ALL,
	    "MAIL !555 5.5.4 Unsupported parameter: NOTIFY" },
	{ "MAIL FROM:<a@b> AUTH=<>", 0, O_ALL, "MAIL <a@b> AUTH=<>" },
	{ "MAIL FROM:<a@b> AUTH=user+40example.com", 0, O_ALL,
	    "MAIL <a@b> AUTH=user@example.com" },
	{ "MAIL FROM:<a@b> AUTH=e+0D+0Avil", 0, O_ALL,
	    "MAIL !555 5.5.4 Bad AUTH= value: it encodes control characters" },
	{ "MAIL FROM:<a@b> AUTH=e+0d+0avil", 0, O_ALL, "MAIL !555 5.5.4" },
	{ "MAIL FROM:<a@b> AUTH=x+00y", 0, O_ALL, "MAIL !555 5.5.4" },
	{ "MAIL FROM:<a@b> AUTH=x+7F", 0, O_ALL, "MAIL !555 5.5.4" },
	{ "MAIL FROM:<a@b> AUTH=x+4", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad AUTH= value: malformed" },
	{ "MAIL FROM:<a@b> AUTH=x+", 0, O_ALL, "MAIL !501 5.5.4" },
	{ "MAIL FROM:<a@b> AUTH=x+ZZ", 0, O_ALL, "MAIL !501 5.5.4" },
	{ "MAIL FROM:<a@b> AUTH=x+C3+A9", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad AUTH= value: it encodes non-ASCII" },
	{ "MAIL FROM:<a@b> RET=HDRS ENVID=QQ314159", 0, O_ALL,
	    "MAIL <a@b> RET=HDRS ENVID=QQ314159" },
	{ "MAIL FROM:<a@b> ret=full", 0, O_ALL, "MAIL <a@b> RET=FULL" },
	{ "MAIL FROM:<a@b> RET=ALL", 0, O_ALL,
	    "MAIL !501 5.5.4 Bad RET value: ALL (FULL or HDRS)" },
	{ "MAIL FROM:<a@b> ENVID=a+0Db", 0, O_ALL,
	    "MAIL !555 5.5.4 Bad ENVID value: it encodes control" },
	{ "MAIL FROM:<a@b> ENVID=0123456789012345678901234567890123456789"
	    "012345678901234567890123456789012345678901234567890123456789",
	    0, O_ALL, "MAIL <a@b> ENVID=0123456789012345678901234567890123456789"
	    "012345678901234567890123456789012345678901234567890123456789" },
	{ "MAIL FROM:<a@b> ENVID=0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890",
	    0, O_ALL, "MAIL !501 5.5.4 Bad ENVID value" },
	{ "MAIL FROM:<a@b> SMTPUTF8", 0, O_RELAY,
	    "MAIL !555 5.5.4 Unsupported parameter: SMTPUTF8" },
	{ "MAIL FROM:<a@b> RET=FULL", 0, O_RELAY,
	    "MAIL !555 5.5.4 Unsupported parameter: RET" },
	{ "MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME AUTH=<>", 0, O_RELAY,
	    "MAIL <a@b> SIZE=10 BODY=8BITMIME AUTH=<>" },
	/* Syntax first, then the size limit. */
	{ "MAIL FROM:<a> SIZE=99999999", 0, O_ALL, "MAIL !501 5.1.7" },

	/* 8-bit addresses (RFC 6531) */
	{ "MAIL FROM:<j\xc3\xb6rg@example.com>", 0, O_ALL,
	    "MAIL !553 5.6.7 Non-ASCII address <j??rg@example.com> needs the "
	    "SMTPUTF8 parameter" },
	{ "MAIL FROM:<j\xc3\xb6rg@example.com>", 0, O_RELAY,
	    "MAIL !501 5.1.7 Bad sender address syntax: non-ASCII" },
	{ "MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8", 0, O_ALL,
	    "MAIL <j\xc3\xb6rg@example.com> SMTPUTF8" },
	{ "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc" "cher.example> SMTPUTF8", 0, O_ALL,
	    "MAIL <j\xc3\xb6rg@b\xc3\xbc" "cher.example> SMTPUTF8" },
	{ "MAIL FROM:<\"j\xc3\xb6 rg\"@example.com> SMTPUTF8", 0, O_ALL,
	    "MAIL <\"j\xc3\xb6 rg\"@example.com> SMTPUTF8" },
	{ "MAIL FROM:<a@b\xc3\xbc" "cher.example>", 0, O_ALL, "MAIL !553 5.6.7" },
	{ "MAIL FROM:<j\xff@example.com> SMTPUTF8", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: invalid UTF-8" },
	{ "MAIL FROM:<j\xc0\xafx@example.com> SMTPUTF8", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: invalid UTF-8" },
	{ "MAIL FROM:<j\xed\xa0\x80x@example.com> SMTPUTF8", 0, O_ALL,
	    "MAIL !501 5.1.7" },
	{ "MAIL FROM:<a@\xe2\x98\x83.example> SMTPUTF8", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: bad domain" },
	{ "MAIL FROM:<a@b\xc3.example> SMTPUTF8", 0, O_ALL,
	    "MAIL !501 5.1.7 Bad sender address syntax: bad domain" },

	/* RCPT TO */
	{ "RCPT TO:<user@example.com>", 0, O_ALL, "RCPT <user@example.com>" },
	{ "rcpt to: <user@example.com>", 0, O_ALL, "RCPT <user@example.com>" },
	{ "RCPT TO:<postmaster>", 0, O_ALL, "RCPT <postmaster>" },
	{ "RCPT TO:<PostMaster>", 0, O_ALL, "RCPT <PostMaster>" },
	{ "RCPT TO:<postmaster@example.com>", 0, O_ALL,
	    "RCPT <postmaster@example.com>" },
	{ "RCPT TO:<postmistress>", 0, O_ALL,
	    "RCPT !501 5.1.3 Bad recipient address syntax: missing @domain" },
	{ "RCPT TO:<>", 0, O_ALL,
	    "RCPT !501 5.1.3 Bad recipient address syntax: empty address" },
	{ "RCPT TO:user@example.com", 0, O_ALL,
	    "RCPT !501 5.1.3 Bad recipient address syntax: missing <>" },
	{ "RCPT TO:<@relay.example:user@example.com>", 0, O_ALL,
	    "RCPT <user@example.com>" },
	{ "RCPT", 0, O_ALL, "RCPT !501 5.5.4 Syntax: RCPT TO:<address>" },
	{ "RCPT TO:<user@example.com> NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;user+40example.com", 0, O_ALL,
	    "RCPT <user@example.com> NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;user+40example.com" },
	{ "RCPT TO:<a@b> notify=delay,never", 0, O_ALL,
	    "RCPT !501 5.5.4 Bad NOTIFY value" },
	{ "RCPT TO:<a@b> NOTIFY=NEVER", 0, O_ALL, "RCPT <a@b> NOTIFY=NEVER" },
	{ "RCPT TO:<a@b> NOTIFY=SUCCESS,SUCCESS", 0, O_ALL,
	    "RCPT !501 5.5.4 Bad NOTIFY value" },
	{ "RCPT TO:<a@b> NOTIFY=SUCCESS,", 0, O_ALL, "RCPT !501 5.5.4" },
	{ "RCPT TO:<a@b> NOTIFY=SOMETIMES", 0, O_ALL, "RCPT !501 5.5.4" },
	{ "RCPT TO:<a@b> ORCPT=rfc822;a+0D+0Ab", 0, O_ALL,
	    "RCPT !555 5.5.4 Bad ORCPT value: it encodes control" },
	{ "RCPT TO:<a@b> ORCPT=rfc822;a+0ab", 0, O_ALL, "RCPT !555 5.5.4" },
	{ "RCPT TO:<a@b> ORCPT=rfc822", 0, O_ALL,
	    "RCPT !501 5.5.4 Bad ORCPT value" },
	{ "RCPT TO:<a@b> ORCPT=;a@b", 0, O_ALL, "RCPT !501 5.5.4" },
	{ "RCPT TO:<a@b> ORCPT=rfc822;a+2", 0, O_ALL, "RCPT !501 5.5.4" },
	{ "RCPT TO:<a@b> SIZE=1", 0, O_ALL,
	    "RCPT !555 5.5.4 Unsupported parameter: SIZE" },
	{ "RCPT TO:<a@b> NOTIFY=NEVER", 0, O_RELAY, "RCPT !555 5.5.4" },
	{ "RCPT TO:<j\xc3\xb6rg@example.com>", 0, O_ALL, "RCPT !553 5.6.7" },
	{ "RCPT TO:<j\xc3\xb6rg@example.com>", 0, O_UTF8,
	    "RCPT <j\xc3\xb6rg@example.com>" },
	{ "RCPT TO:<j\xc3\xb6rg@example.com>", 0, O_RELAY,
	    "RCPT !501 5.1.3 Bad recipient address syntax: non-ASCII" },

	/* NUL, bare CR, bare LF inside a line */
	{ "MAIL FROM:<a@b>\r", 0, O_ALL,
	    "MAIL !500 5.5.2 Syntax error: the command line contains a bare CR" },
	{ "NOOP\nMAIL FROM:<a@b>", 0, O_ALL,
	    "NOOP !500 5.5.2 Syntax error: the command line contains a bare LF" },
	{ L("MAIL FROM:<a\0@b>"), O_ALL,
	    "MAIL !500 5.5.2 Syntax error: the command line contains a NUL" },
	{ L("\0"), O_ALL, "unknown !500 5.5.2 Syntax error: the command line "
	    "contains a NUL" },
	{ "RCPT TO:<a@b>\rRCPT TO:<c@d>", 0, O_ALL, "RCPT !500 5.5.2" },
	{ "DATA\r\n.", 0, O_ALL, "DATA !500 5.5.2" },

	/* Other verbs */
	{ "DATA", 0, O_ALL, "DATA" },
	{ "data ", 0, O_ALL, "DATA" },
	{ "DATA now", 0, O_ALL,
	    "DATA !501 5.5.4 Syntax: DATA takes no argument" },
	{ "RSET", 0, O_ALL, "RSET" },
	{ "QUIT", 0, O_ALL, "QUIT" },
	{ "QUIT now", 0, O_ALL, "QUIT !501 5.5.4" },
	{ "STARTTLS", 0, O_ALL, "STARTTLS" },
	{ "STARTTLS x", 0, O_ALL, "STARTTLS !501 5.5.4" },
	{ "NOOP", 0, O_ALL, "NOOP" },
	{ "NOOP whatever %s", 0, O_ALL, "NOOP" },
	{ "HELP", 0, O_ALL, "HELP" },
	{ "HELP MAIL", 0, O_ALL, "HELP" },
	{ "VRFY root", 0, O_ALL,
	    "VRFY !502 5.5.1 VRFY command is disabled" },
	{ "EXPN staff", 0, O_ALL, "EXPN !502 5.5.1 EXPN command is disabled" },
	{ "BDAT 100 LAST", 0, O_ALL, "BDAT !502 5.5.1 BDAT is not supported" },
	{ "FOO", 0, O_ALL,
	    "unknown !500 5.5.2 Syntax error: command \"FOO\" unrecognized" },
	{ "", 0, O_ALL, "unknown !500 5.5.2 Syntax error: command \"\"" },
	{ " MAIL FROM:<a@b>", 0, O_ALL, "unknown !500 5.5.2" },
	{ "MAILFROM:<a@b>", 0, O_ALL, "unknown !500 5.5.2" },
	{ "GET / HTTP/1.1", 0, O_ALL,
	    "unknown !500 5.5.2 Syntax error: command \"GET\" unrecognized" },
	{ "\xff\xfe\x1b[2J", 0, O_ALL,
	    "unknown !500 5.5.2 Syntax error: command \"??\" unrecognized" },
	{ "%n%n%n%n", 0, O_ALL,
	    "unknown !500 5.5.2 Syntax error: command \"%n%n%n%n\"" },

	/* AUTH */
	{ "AUTH PLAIN", 0, O_ALL, "AUTH arg=PLAIN" },
	{ "auth plain AHVzZXIAcGFzcw==", 0, O_ALL,
	    "AUTH arg=PLAIN ir=AHVzZXIAcGFzcw==" },
	{ "AUTH LOGIN =", 0, O_ALL, "AUTH arg=LOGIN ir==" },
	{ "AUTH CRAM-MD5", 0, O_ALL, "AUTH arg=CRAM-MD5" },
	{ "AUTH", 0, O_ALL,
	    "AUTH !501 5.5.4 Syntax: AUTH mechanism [initial-response]" },
	{ "AUTH PLAIN a b", 0, O_ALL, "AUTH !501 5.5.4 Syntax" },
	{ "AUTH PLAIN a*b", 0, O_ALL,
	    "AUTH !501 5.5.2 Invalid initial response: base64 expected" },
	{ "AUTH PL@IN", 0, O_ALL, "AUTH !501 5.5.4" },
	{ "AUTH ABCDEFGHIJKLMNOPQRSTU", 0, O_ALL, "AUTH !501 5.5.4" },
};

/* One canonical text for what a parse produced. */
static void
cmd_render(const struct smtp_cmd *c, char *buf, size_t sz)
{
	static const char *const body[] = { "", "7BIT", "8BITMIME" };
	static const char *const ret[] = { "", "FULL", "HDRS" };
	static const char *const notify[] = { "NEVER", "SUCCESS", "FAILURE",
	    "DELAY" };
	size_t	n, i;
	int	first = 1;

	n = (size_t)snprintf(buf, sz, "%s", smtp_verb_name(c->verb));
#define ADD(...)	(n += (size_t)snprintf(buf + n, sz - n, __VA_ARGS__))
	if (c->arg[0] != '\0')
		ADD(" arg=%s", c->arg);
	if (c->auth_initial != NULL)
		ADD(" ir=%.*s", (int)c->auth_initial_len, c->auth_initial);
	if (c->verb == SMTP_MAIL || c->verb == SMTP_RCPT)
		ADD(" <%s>", c->path);
	if (c->params & SMTP_PARAM_SIZE)
		ADD(" SIZE=%llu", (unsigned long long)c->size);
	if (c->params & SMTP_PARAM_BODY)
		ADD(" BODY=%s", body[c->body]);
	if (c->params & SMTP_PARAM_SMTPUTF8)
		ADD(" SMTPUTF8");
	if (c->params & SMTP_PARAM_AUTH)
		ADD(" AUTH=%s", c->auth);
	if (c->params & SMTP_PARAM_RET)
		ADD(" RET=%s", ret[c->ret]);
	if (c->params & SMTP_PARAM_ENVID)
		ADD(" ENVID=%s", c->envid);
	if (c->params & SMTP_PARAM_NOTIFY) {
		ADD(" NOTIFY=");
		for (i = 0; i < 4; i++)
			if (c->notify & (1u << i)) {
				ADD("%s%s", first ? "" : ",", notify[i]);
				first = 0;
			}
	}
	if (c->params & SMTP_PARAM_ORCPT)
		ADD(" ORCPT=%s", c->orcpt);
#undef ADD
}

/* A reply goes out as is: printable ASCII, one line, within RFC 5321. */
static void
check_reply(const char *reply, size_t i)
{
	size_t	j, n = strlen(reply);

	if (n < 10 || n > SMTP_REPLY_MAX - 2)
		fail_msg("case %zu: reply length %zu", i, n);
	for (j = 0; j < n; j++)
		if (reply[j] < 0x20 || reply[j] > 0x7e)
			fail_msg("case %zu: byte 0x%02x in reply", i,
			    (unsigned char)reply[j]);
	if (reply[3] != ' ' || reply[5] != '.')
		fail_msg("case %zu: no enhanced status code: %s", i, reply);
}

static void
test_cmd_table(void **state)
{
	struct smtp_cmd	 c;
	char		 got[1024];
	const char	*want, *bang;
	size_t		 i, len;
	int		 rc, failed = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		want = cases[i].want;
		len = cases[i].len ? cases[i].len : strlen(cases[i].line);
		rc = smtp_cmd_parse(cases[i].line, len, &opts[cases[i].o], &c);
		bang = strchr(want, '!');
		if (rc == 0)
			cmd_render(&c, got, sizeof got);
		else {
			check_reply(c.reply, i);
			snprintf(got, sizeof got, "%s !%s",
			    smtp_verb_name(c.verb), c.reply);
		}
		if (bang == NULL ? strcmp(got, want) != 0 :
		    strncmp(got, want, strlen(want)) != 0) {
			print_error("case %zu \"%s\":\n got  %s\n want %s\n",
			    i, cases[i].line, got, want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* The parser reads only len bytes: no NUL terminator needed. */
static void
test_cmd_not_terminated(void **state)
{
	char		buf[] = "MAIL FROM:<a@b.example>XXXX";
	struct smtp_cmd	c;

	assert_int_equal(smtp_cmd_parse(buf, 23, &opts[O_ALL], &c), 0);
	assert_string_equal(c.path, "a@b.example");
	assert_int_equal(smtp_cmd_parse(buf, 22, &opts[O_ALL], &c), -1);
	assert_non_null(strstr(c.reply, "missing >"));
}

/* Huge lines: replies stay short, nothing overflows. */
static void
test_cmd_long_lines(void **state)
{
	static char	line[100000];
	struct smtp_cmd	c;

	memset(line, 'X', sizeof line);
	assert_int_equal(smtp_cmd_parse(line, sizeof line, &opts[O_ALL], &c),
	    -1);
	assert_int_equal(c.verb, SMTP_UNKNOWN);
	assert_true(strlen(c.reply) < 120);
	assert_non_null(strstr(c.reply, "XXX...\""));

	memcpy(line, "MAIL FROM:<", 11);
	line[sizeof line - 1] = '>';
	assert_int_equal(smtp_cmd_parse(line, sizeof line, &opts[O_ALL], &c),
	    -1);
	assert_string_equal(c.path, "");
	assert_non_null(strstr(c.reply, "501 5.1.7"));
	assert_non_null(strstr(c.reply, "address too long"));

	memcpy(line, "AUTH PLAIN ", 11);
	line[sizeof line - 1] = 'X';
	assert_int_equal(smtp_cmd_parse(line, sizeof line, &opts[O_ALL], &c),
	    0);
	assert_int_equal(c.auth_initial_len, sizeof line - 11);
	assert_ptr_equal(c.auth_initial, line + 11);
}

/* 254 octets of mailbox fit (256 with the brackets); one more does not. */
static void
test_cmd_path_limit(void **state)
{
	char		line[400];
	struct smtp_cmd	c;
	size_t		n;

	n = (size_t)snprintf(line, sizeof line, "RCPT TO:<%.64s@%.63s.%.63s.%.61s>",
	    "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
	assert_int_equal(smtp_cmd_parse(line, n, &opts[O_ALL], &c), 0);
	assert_int_equal(strlen(c.path), 254);
	memmove(line + 10, line + 9, n - 9);
	line[9] = 'u';
	assert_int_equal(smtp_cmd_parse(line, n + 1, &opts[O_ALL], &c), -1);
	assert_non_null(strstr(c.reply, "address too long"));
}

static void
test_cmd_sanitize(void **state)
{
	char	buf[8];

	assert_int_equal(smtp_cmd_sanitize(buf, sizeof buf, "ab\r\n\x80", 5), 5);
	assert_string_equal(buf, "ab???");
	assert_int_equal(smtp_cmd_sanitize(buf, sizeof buf, "abcdefgh", 8), 7);
	assert_string_equal(buf, "abcd...");
	assert_int_equal(smtp_cmd_sanitize(buf, sizeof buf, "abcdefg", 7), 7);
	assert_string_equal(buf, "abcdefg");
	assert_int_equal(smtp_cmd_sanitize(buf, 1, "abc", 3), 0);
	assert_string_equal(buf, "");
}

static void
test_cmd_verb_names(void **state)
{
	assert_string_equal(smtp_verb_name(SMTP_STARTTLS), "STARTTLS");
	assert_string_equal(smtp_verb_name(SMTP_UNKNOWN), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_table),
		cmocka_unit_test(test_cmd_not_terminated),
		cmocka_unit_test(test_cmd_long_lines),
		cmocka_unit_test(test_cmd_path_limit),
		cmocka_unit_test(test_cmd_sanitize),
		cmocka_unit_test(test_cmd_verb_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
