/*
 * The SMTP command-line parser.
 *
 * Strict where the grammar protects us (addresses are checked against
 * RFC 5321 4.1.2 so nothing unchecked reaches the next hop, a log line or
 * a header), lenient where real clients stray harmlessly (one space after
 * "MAIL FROM:", as Postfix accepts; spaces at the end of a line;
 * underscores in EHLO names, which Windows hosts send).  Shell and format
 * metacharacters need no special case: either the grammar refuses them
 * (";sleep 66;" is no mailbox) or they are legal atext ("`id`@x",
 * "%n%s@x") and stay inert data, never a format string or a command.
 *
 * Every byte test here is ASCII-only on purpose: <ctype.h> depends on the
 * locale, and the daemon runs under a UTF-8 one.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "smtp_cmd.h"

/* How much of the client's input a reply echoes. */
#define SMTP_ECHO_MAX	64

struct smtp_parse {
	const char			*p;	/* next byte */
	const char			*end;
	const struct smtp_cmd_opts	*opts;
	struct smtp_cmd			*cmd;
};

/* What was wrong with an address, for the reply's sentence. */
static const char ADDR_8BIT[] = "non-ASCII characters need SMTPUTF8";

static int	smtp_cmd_helo(struct smtp_parse *);
static int	smtp_cmd_mail(struct smtp_parse *);
static int	smtp_cmd_rcpt(struct smtp_parse *);
static int	smtp_cmd_noarg(struct smtp_parse *);
static int	smtp_cmd_anyarg(struct smtp_parse *);
static int	smtp_cmd_auth(struct smtp_parse *);
static int	smtp_cmd_disabled(struct smtp_parse *);
static int	smtp_cmd_bdat(struct smtp_parse *);

static const struct smtp_cmd_entry {
	const char	*name;
	enum smtp_verb	 verb;
	int		(*parse)(struct smtp_parse *);
} smtp_cmd_table[] = {
	{ "EHLO",	SMTP_EHLO,	smtp_cmd_helo },
	{ "HELO",	SMTP_HELO,	smtp_cmd_helo },
	{ "MAIL",	SMTP_MAIL,	smtp_cmd_mail },
	{ "RCPT",	SMTP_RCPT,	smtp_cmd_rcpt },
	{ "DATA",	SMTP_DATA,	smtp_cmd_noarg },
	{ "RSET",	SMTP_RSET,	smtp_cmd_noarg },
	{ "NOOP",	SMTP_NOOP,	smtp_cmd_anyarg },
	{ "QUIT",	SMTP_QUIT,	smtp_cmd_noarg },
	{ "STARTTLS",	SMTP_STARTTLS,	smtp_cmd_noarg },
	{ "AUTH",	SMTP_AUTH,	smtp_cmd_auth },
	{ "VRFY",	SMTP_VRFY,	smtp_cmd_disabled },
	{ "EXPN",	SMTP_EXPN,	smtp_cmd_disabled },
	{ "HELP",	SMTP_HELP,	smtp_cmd_anyarg },
	{ "BDAT",	SMTP_BDAT,	smtp_cmd_bdat },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ASCII character classes. */

static int
smtp_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
smtp_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
smtp_alnum(int c)
{
	return smtp_alpha(c) || smtp_digit(c);
}

static int
smtp_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* RFC 5322 atext. */
static int
smtp_atext(int c)
{
	return smtp_alnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* s (n bytes) equals the literal lit, ignoring ASCII case. */
static int
smtp_ieq(const char *s, size_t n, const char *lit)
{
	size_t	i;

	if (strlen(lit) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (smtp_upper((unsigned char)s[i]) != lit[i])
			return 0;
	return 1;
}

/* Length of the valid UTF-8 sequence at p (2 to 4), or 0. */
static size_t
smtp_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

static int
smtp_has_8bit(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

static int
smtp_has_ctl(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

size_t
smtp_cmd_sanitize(char *dst, size_t dstsz, const char *src, size_t len)
{
	size_t	n, i;
	int	cut;

	if (dstsz == 0)
		return 0;
	cut = len > dstsz - 1;
	n = cut ? dstsz - 1 : len;
	if (cut && dstsz > 4)
		n = dstsz - 4;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (cut && dstsz > 4) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
	return n;
}

static int __attribute__((format(printf, 2, 3)))
smtp_cmd_fail(struct smtp_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd->reply, sizeof cmd->reply, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
smtp_verb_name(enum smtp_verb verb)
{
	size_t	i;

	for (i = 0; i < NITEMS(smtp_cmd_table); i++)
		if (smtp_cmd_table[i].verb == verb)
			return smtp_cmd_table[i].name;
	return "unknown";
}

/* Domains and address literals. */

/*
 * RFC 5321 Domain in ASCII: dot-separated labels of letters, digits and
 * inner hyphens, 63 bytes each, 255 in all.  EHLO names may also carry
 * underscores (Windows host names do, and Postfix lets them through).
 */
static int
smtp_domain_ascii(const char *s, size_t n, int underscore)
{
	size_t	i, label = 0;
	int	prev = '.';

	if (n == 0 || n > SMTP_DOMAIN_MAX)
		return -1;
	for (i = 0; i < n; prev = s[i++]) {
		if (s[i] == '.') {
			if (label == 0 || prev == '-')
				return -1;
			label = 0;
		} else if (smtp_alnum(s[i]) || (underscore && s[i] == '_') ||
		    (s[i] == '-' && label > 0)) {
			if (++label > 63)
				return -1;
		} else
			return -1;
	}
	return label == 0 || prev == '-' ? -1 : 0;
}

/* A domain with U-labels (RFC 6531): valid UTF-8 that IDNA2008 accepts. */
static int
smtp_domain_utf8(const char *s, size_t n)
{
	char	 buf[SMTP_DOMAIN_MAX + 1];
	uint8_t	*ascii;
	size_t	 i, k;
	int	 rc;

	if (n == 0 || n > SMTP_DOMAIN_MAX)
		return -1;
	for (i = 0; i < n; i += k) {
		k = 1;
		if ((unsigned char)s[i] >= 0x80 &&
		    (k = smtp_utf8_seq((const unsigned char *)s + i, n - i)) == 0)
			return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (idn2_lookup_u8((const uint8_t *)buf, &ascii,
	    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK)
		return -1;
	rc = smtp_domain_ascii((char *)ascii, strlen((char *)ascii), 0);
	idn2_free(ascii);
	return rc;
}

/* [192.0.2.1] or [IPv6:2001:db8::1]; no other tag is registered. */
static int
smtp_addr_literal(const char *s, size_t n)
{
	char			 buf[64];
	unsigned char		 addr[16];
	const char		*ip = buf;
	int			 af = AF_INET;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']' || n - 2 >= sizeof buf)
		return -1;
	memcpy(buf, s + 1, n - 2);
	buf[n - 2] = '\0';
	if (smtp_ieq(buf, n - 2 > 5 ? 5 : n - 2, "IPV6:")) {
		af = AF_INET6;
		ip = buf + 5;
	}
	return inet_pton(af, ip, addr) == 1 ? 0 : -1;
}

/* The part after '@': a domain or an address literal. */
static const char *
smtp_addr_domain(const char *s, size_t n, int utf8)
{
	if (n == 0)
		return "missing domain after @";
	if (s[0] == '[')
		return smtp_addr_literal(s, n) == 0 ? NULL :
		    "bad address literal";
	if (!smtp_has_8bit(s, n))
		return smtp_domain_ascii(s, n, 0) == 0 ? NULL : "bad domain";
	if (!utf8)
		return ADDR_8BIT;
	return smtp_domain_utf8(s, n) == 0 ? NULL : "bad domain";
}

/* Addresses (RFC 5321 4.1.2). */

/* A non-ASCII byte of a local part: fine only as UTF-8 under SMTPUTF8. */
static const char *
smtp_local_8bit(const char **pp, const char *end, int utf8)
{
	size_t	k;

	if (!utf8)
		return ADDR_8BIT;
	k = smtp_utf8_seq((const unsigned char *)*pp, (size_t)(end - *pp));
	if (k == 0)
		return "invalid UTF-8";
	*pp += k;
	return NULL;
}

/* Quoted-string; *pp on the opening quote, left after the closing one. */
static const char *
smtp_local_quoted(const char **pp, const char *end, int utf8)
{
	const char	*p = *pp + 1, *why;
	unsigned char	 c;

	while (p < end && *p != '"') {
		c = (unsigned char)*p;
		if (c >= 0x80) {
			if ((why = smtp_local_8bit(&p, end, utf8)) != NULL)
				return why;
		} else if (c == '\\' && p + 1 < end &&
		    (unsigned char)p[1] >= 32 && (unsigned char)p[1] <= 126)
			p += 2;
		else if (c >= 32 && c <= 126 && c != '\\')
			p++;
		else
			return "bad character in quoted local part";
	}
	if (p == end)
		return "unbalanced quotes";
	*pp = p + 1;
	return NULL;
}

/* Dot-string: atoms joined by single dots. */
static const char *
smtp_local_dotted(const char **pp, const char *end, int utf8)
{
	const char	*p = *pp, *why;
	int		 atom = 0;

	while (p < end && *p != '@') {
		if (*p == '.') {
			if (atom == 0)
				return "misplaced dot in local part";
			atom = 0;
			p++;
			continue;
		}
		if ((unsigned char)*p >= 0x80) {
			if ((why = smtp_local_8bit(&p, end, utf8)) != NULL)
				return why;
		} else if (smtp_atext(*p))
			p++;
		else
			return "bad character in local part";
		atom++;
	}
	if (atom == 0)
		return p == *pp ? "empty local part" : "misplaced dot in local part";
	*pp = p;
	return NULL;
}

/*
 * Mailbox = Local-part "@" ( Domain / address-literal ), or the bare
 * "postmaster" RCPT TO may name (RFC 5321 4.1.1.3).
 */
static const char *
smtp_mailbox(const char *s, const char *end, int rcpt, int utf8)
{
	const char	*p = s, *why;

	if (p == end)
		return "empty address";
	why = *p == '"' ? smtp_local_quoted(&p, end, utf8) :
	    smtp_local_dotted(&p, end, utf8);
	if (why != NULL)
		return why;
	if (p == end)
		return rcpt && smtp_ieq(s, (size_t)(end - s), "POSTMASTER") ?
		    NULL : "missing @domain";
	if (*p != '@')
		return "bad character after local part";
	return smtp_addr_domain(p + 1, (size_t)(end - p - 1), utf8);
}

/* Skip an RFC 5321 source route "@a,@b:" (obsolete: accepted, dropped). */
static const char *
smtp_source_route(const char **pp, const char *end)
{
	const char	*p = *pp, *d;

	while (p < end && *p == '@') {
		d = ++p;
		while (p < end && *p != ',' && *p != ':')
			p++;
		if (smtp_domain_ascii(d, (size_t)(p - d), 0) == -1)
			return "bad source route";
		if (p < end && *p == ':') {
			*pp = p + 1;
			return NULL;
		}
		if (p < end)
			p++;
	}
	return "bad source route";
}

/* Check the inside of <...> and copy the mailbox to cmd->path. */
static const char *
smtp_path(struct smtp_parse *ps, const char *s, const char *end, int rcpt,
    int utf8)
{
	const char	*why;
	size_t		 n;

	if ((size_t)(end - s) + 2 > SMTP_PATH_MAX)
		return "address too long";
	if (s == end && !rcpt) {
		ps->cmd->path[0] = '\0';
		return NULL;
	}
	if (s < end && *s == '@' && (why = smtp_source_route(&s, end)) != NULL)
		return why;
	if ((why = smtp_mailbox(s, end, rcpt, utf8)) != NULL)
		return why;
	n = (size_t)(end - s);
	memcpy(ps->cmd->path, s, n);
	ps->cmd->path[n] = '\0';
	return NULL;
}

/* xtext (RFC 3461 4): decode into out (NUL-terminated); -1 if malformed. */
static int
smtp_xtext_decode(const char *s, size_t n, char *out, size_t outsz,
    size_t *outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const char		*h1, *h2;
	size_t			 i, o = 0;

	for (i = 0; i < n; i++) {
		if (o + 1 >= outsz)
			return -1;
		if (s[i] != '+') {
			if (s[i] < '!' || s[i] > '~' || s[i] == '=')
				return -1;
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n || s[i + 1] == '\0' || s[i + 2] == '\0')
			return -1;
		h1 = strchr(hex, smtp_upper((unsigned char)s[i + 1]));
		h2 = strchr(hex, smtp_upper((unsigned char)s[i + 2]));
		if (h1 == NULL || h2 == NULL)
			return -1;
		out[o++] = (char)((h1 - hex) << 4 | (h2 - hex));
		i += 2;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

/* MAIL and RCPT parameters. */

static int	smtp_param_size(struct smtp_parse *, const char *, size_t);
static int	smtp_param_body(struct smtp_parse *, const char *, size_t);
static int	smtp_param_smtputf8(struct smtp_parse *, const char *, size_t);
static int	smtp_param_auth(struct smtp_parse *, const char *, size_t);
static int	smtp_param_ret(struct smtp_parse *, const char *, size_t);
static int	smtp_param_envid(struct smtp_parse *, const char *, size_t);
static int	smtp_param_notify(struct smtp_parse *, const char *, size_t);
static int	smtp_param_orcpt(struct smtp_parse *, const char *, size_t);

static const struct smtp_param {
	const char	*name;
	enum smtp_verb	 verb;
	unsigned	 ext;		/* the extension it belongs to */
	unsigned	 bit;
	int		 value;		/* 1: KEY=VALUE, 0: KEY alone */
	int		(*parse)(struct smtp_parse *, const char *, size_t);
} smtp_param_table[] = {
	{ "SIZE", SMTP_MAIL, SMTP_EXT_SIZE, SMTP_PARAM_SIZE, 1,
	    smtp_param_size },
	{ "BODY", SMTP_MAIL, SMTP_EXT_8BITMIME, SMTP_PARAM_BODY, 1,
	    smtp_param_body },
	{ "SMTPUTF8", SMTP_MAIL, SMTP_EXT_SMTPUTF8, SMTP_PARAM_SMTPUTF8, 0,
	    smtp_param_smtputf8 },
	{ "AUTH", SMTP_MAIL, SMTP_EXT_AUTH, SMTP_PARAM_AUTH, 1,
	    smtp_param_auth },
	{ "RET", SMTP_MAIL, SMTP_EXT_DSN, SMTP_PARAM_RET, 1, smtp_param_ret },
	{ "ENVID", SMTP_MAIL, SMTP_EXT_DSN, SMTP_PARAM_ENVID, 1,
	    smtp_param_envid },
	{ "NOTIFY", SMTP_RCPT, SMTP_EXT_DSN, SMTP_PARAM_NOTIFY, 1,
	    smtp_param_notify },
	{ "ORCPT", SMTP_RCPT, SMTP_EXT_DSN, SMTP_PARAM_ORCPT, 1,
	    smtp_param_orcpt },
};

static int
smtp_param_size(struct smtp_parse *ps, const char *v, size_t n)
{
	char		e[SMTP_ECHO_MAX];
	uint64_t	size = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (!smtp_digit(v[i]) || n > 20) {
			smtp_cmd_sanitize(e, sizeof e, v, n);
			return smtp_cmd_fail(ps->cmd,
			    "501 5.5.4 Bad SIZE value: %s (digits expected)", e);
		}
		/* A value past 2^64 is simply too big, not malformed. */
		if (size > (UINT64_MAX - 9) / 10)
			size = UINT64_MAX;
		else
			size = size * 10 + (uint64_t)(v[i] - '0');
	}
	ps->cmd->size = size;
	return 0;
}

static int
smtp_param_body(struct smtp_parse *ps, const char *v, size_t n)
{
	char	e[SMTP_ECHO_MAX];

	if (smtp_ieq(v, n, "7BIT"))
		ps->cmd->body = SMTP_BODY_7BIT;
	else if (smtp_ieq(v, n, "8BITMIME"))
		ps->cmd->body = SMTP_BODY_8BITMIME;
	else {
		smtp_cmd_sanitize(e, sizeof e, v, n);
		return smtp_cmd_fail(ps->cmd,
		    "501 5.5.4 Bad BODY value: %s (7BIT or 8BITMIME)", e);
	}
	return 0;
}

static int
smtp_param_smtputf8(struct smtp_parse *ps, const char *v, size_t n)
{
	ps->cmd->smtputf8 = 1;
	return 0;
}

/*
 * AUTH=<mailbox> (RFC 4954 5): kept decoded.  A decoded control
 * character would let the client slip CR/LF into a header or a log line,
 * so it is refused like a newline-carrying parameter (555).
 */
static int
smtp_param_auth(struct smtp_parse *ps, const char *v, size_t n)
{
	char	*out = ps->cmd->auth;
	size_t	 len;

	if (smtp_xtext_decode(v, n, out, sizeof ps->cmd->auth, &len) == -1)
		return smtp_cmd_fail(ps->cmd,
		    "501 5.5.4 Bad AUTH= value: malformed or too long xtext");
	if (smtp_has_ctl(out, len))
		return smtp_cmd_fail(ps->cmd,
		    "555 5.5.4 Bad AUTH= value: it encodes control characters");
	if (smtp_has_8bit(out, len))
		return smtp_cmd_fail(ps->cmd,
		    "501 5.5.4 Bad AUTH= value: it encodes non-ASCII bytes");
	return 0;
}

static int
smtp_param_ret(struct smtp_parse *ps, const char *v, size_t n)
{
	char	e[SMTP_ECHO_MAX];

	if (smtp_ieq(v, n, "FULL"))
		ps->cmd->ret = SMTP_RET_FULL;
	else if (smtp_ieq(v, n, "HDRS"))
		ps->cmd->ret = SMTP_RET_HDRS;
	else {
		smtp_cmd_sanitize(e, sizeof e, v, n);
		return smtp_cmd_fail(ps->cmd,
		    "501 5.5.4 Bad RET value: %s (FULL or HDRS)", e);
	}
	return 0;
}

/* An xtext value kept as given; checked to decode to printable text. */
static int
smtp_xtext_check(struct smtp_parse *ps, const char *name, const char *v,
    size_t n, size_t max)
{
	char	out[SMTP_ORCPT_MAX + 1];
	size_t	len;

	if (n > max || smtp_xtext_decode(v, n, out, sizeof out, &len) == -1)
		return smtp_cmd_fail(ps->cmd,
		    "501 5.5.4 Bad %s value: malformed or too long xtext", name);
	if (smtp_has_ctl(out, len))
		return smtp_cmd_fail(ps->cmd,
		    "555 5.5.4 Bad %s value: it encodes control characters",
		    name);
	return 0;
}

static int
smtp_param_envid(struct smtp_parse *ps, const char *v, size_t n)
{
	if (smtp_xtext_check(ps, "ENVID", v, n, SMTP_ENVID_MAX) == -1)
		return -1;
	memcpy(ps->cmd->envid, v, n);
	ps->cmd->envid[n] = '\0';
	return 0;
}

/* NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 4.1). */
static int
smtp_param_notify(struct smtp_parse *ps, const char *v, size_t n)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} words[] = {
		{ "NEVER", SMTP_NOTIFY_NEVER },
		{ "SUCCESS", SMTP_NOTIFY_SUCCESS },
		{ "FAILURE", SMTP_NOTIFY_FAILURE },
		{ "DELAY", SMTP_NOTIFY_DELAY },
	};
	const char	*end = v + n, *w;
	unsigned	 bits = 0, bit;
	size_t		 i;

	for (w = v; w <= end; w = v + 1) {
		for (v = w; v < end && *v != ','; v++)
			;
		for (i = 0, bit = 0; i < NITEMS(words); i++)
			if (smtp_ieq(w, (size_t)(v - w), words[i].name))
				bit = words[i].bit;
		if (bit == 0 || (bits & bit))
			break;
		bits |= bit;
		if (v == end) {
			if ((bits & SMTP_NOTIFY_NEVER) && bits != SMTP_NOTIFY_NEVER)
				break;
			ps->cmd->notify = bits;
			return 0;
		}
	}
	return smtp_cmd_fail(ps->cmd, "501 5.5.4 Bad NOTIFY value: NEVER, or "
	    "one or more of SUCCESS,FAILURE,DELAY");
}

/* ORCPT=addr-type;xtext (RFC 3461 4.2), kept as given for the next hop. */
static int
smtp_param_orcpt(struct smtp_parse *ps, const char *v, size_t n)
{
	const char	*semi;
	size_t		 i, tlen;

	semi = memchr(v, ';', n);
	tlen = semi != NULL ? (size_t)(semi - v) : 0;
	for (i = 0; i < tlen && smtp_atext(v[i]); i++)
		;
	if (semi == NULL || tlen == 0 || i < tlen || n > SMTP_ORCPT_MAX)
		return smtp_cmd_fail(ps->cmd, "501 5.5.4 Bad ORCPT value: "
		    "addr-type;xtext expected (e.g. rfc822;user@example.com)");
	if (smtp_xtext_check(ps, "ORCPT", semi + 1, n - tlen - 1,
	    SMTP_ORCPT_MAX) == -1)
		return -1;
	memcpy(ps->cmd->orcpt, v, n);
	ps->cmd->orcpt[n] = '\0';
	return 0;
}

static const struct smtp_param *
smtp_param_find(struct smtp_parse *ps, const char *k, size_t n)
{
	const struct smtp_param	*sp;
	size_t			 i;

	for (i = 0; i < NITEMS(smtp_param_table); i++) {
		sp = &smtp_param_table[i];
		if (sp->verb == ps->cmd->verb && (ps->opts->ext & sp->ext) &&
		    smtp_ieq(k, n, sp->name))
			return sp;
	}
	return NULL;
}

/* esmtp-keyword ["=" esmtp-value] (RFC 5321 4.1.2). */
static int
smtp_param_syntax(const char *k, size_t klen, const char *v, size_t vlen)
{
	size_t	i;

	if (klen == 0 || !smtp_alnum(k[0]))
		return -1;
	for (i = 1; i < klen; i++)
		if (!smtp_alnum(k[i]) && k[i] != '-')
			return -1;
	if (v != NULL && vlen == 0)
		return -1;
	for (i = 0; v != NULL && i < vlen; i++)
		if (v[i] < '!' || v[i] > '~' || v[i] == '=')
			return -1;
	return 0;
}

/* One parameter, KEY or KEY=VALUE, n bytes at s. */
static int
smtp_param(struct smtp_parse *ps, const char *s, size_t n)
{
	const struct smtp_param	*sp;
	const char		*eq, *v = NULL;
	char			 e[SMTP_ECHO_MAX];
	size_t			 klen = n, vlen = 0;

	if ((eq = memchr(s, '=', n)) != NULL) {
		klen = (size_t)(eq - s);
		v = eq + 1;
		vlen = n - klen - 1;
	}
	smtp_cmd_sanitize(e, sizeof e, s, klen);
	if (smtp_param_syntax(s, klen, v, vlen) == -1) {
		smtp_cmd_sanitize(e, sizeof e, s, n);
		return smtp_cmd_fail(ps->cmd,
		    "501 5.5.4 Bad parameter syntax: %s", e);
	}
	if ((sp = smtp_param_find(ps, s, klen)) == NULL)
		return smtp_cmd_fail(ps->cmd,
		    "555 5.5.4 Unsupported parameter: %s", e);
	if (ps->cmd->params & sp->bit)
		return smtp_cmd_fail(ps->cmd,
		    "555 5.5.4 Duplicate parameter: %s", sp->name);
	if (sp->value != (v != NULL))
		return smtp_cmd_fail(ps->cmd, sp->value ?
		    "501 5.5.4 Parameter %s needs a value" :
		    "501 5.5.4 Parameter %s takes no value", sp->name);
	ps->cmd->params |= sp->bit;
	return sp->parse(ps, v, vlen);
}

/* Parameters after the path: each one preceded by a space. */
static int
smtp_params(struct smtp_parse *ps)
{
	const char	*s;

	while (ps->p < ps->end) {
		if (*ps->p != ' ')
			return smtp_cmd_fail(ps->cmd, "501 5.5.4 Syntax: %s "
			    "expects a space between the address and each "
			    "parameter", smtp_verb_name(ps->cmd->verb));
		while (ps->p < ps->end && *ps->p == ' ')
			ps->p++;
		for (s = ps->p; ps->p < ps->end && *ps->p != ' '; ps->p++)
			;
		if (ps->p > s && smtp_param(ps, s, (size_t)(ps->p - s)) == -1)
			return -1;
	}
	return 0;
}

/*
 * Find the end of <...>: the first '>' outside a quoted string.  *endp
 * gets the position of the '>'.
 */
static const char *
smtp_path_extent(struct smtp_parse *ps, const char **endp)
{
	const char	*p;
	int		 quoted = 0;

	if (ps->p == ps->end || *ps->p != '<')
		return "missing <>";
	for (p = ps->p + 1; p < ps->end; p++) {
		if (quoted && *p == '\\' && p + 1 < ps->end)
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '>') {
			*endp = p;
			return NULL;
		}
	}
	return "missing >";
}

/* Reply for a refused address, by verb and by cause. */
static int
smtp_path_fail(struct smtp_parse *ps, const char *why, const char *s,
    size_t n)
{
	char	 e[SMTP_ECHO_MAX];
	int	 rcpt = ps->cmd->verb == SMTP_RCPT;

	smtp_cmd_sanitize(e, sizeof e, s, n);
	if (why == ADDR_8BIT && (ps->opts->ext & SMTP_EXT_SMTPUTF8))
		return smtp_cmd_fail(ps->cmd, "553 5.6.7 Non-ASCII address %s "
		    "needs the SMTPUTF8 parameter on MAIL FROM", e);
	return smtp_cmd_fail(ps->cmd, "501 %s Bad %s address syntax: %s: %s",
	    rcpt ? "5.1.3" : "5.1.7", rcpt ? "recipient" : "sender", why, e);
}

/* After "MAIL FROM:" or "RCPT TO:": <path> [SP params]. */
static int
smtp_path_params(struct smtp_parse *ps)
{
	const char	*start, *end = NULL, *why;
	int		 rcpt = ps->cmd->verb == SMTP_RCPT, utf8;

	/* One space after the colon is tolerated, as Postfix does. */
	if (ps->p < ps->end && *ps->p == ' ')
		ps->p++;
	start = ps->p;
	if ((why = smtp_path_extent(ps, &end)) != NULL)
		return smtp_path_fail(ps, why, start,
		    (size_t)(ps->end - start));
	ps->p = end + 1;
	if (smtp_params(ps) == -1)
		return -1;
	utf8 = rcpt ? ps->opts->utf8 : ps->cmd->smtputf8;
	if ((why = smtp_path(ps, start + 1, end, rcpt, utf8)) != NULL)
		return smtp_path_fail(ps, why, start, (size_t)(end + 1 - start));
	if (!rcpt && (ps->cmd->params & SMTP_PARAM_SIZE) &&
	    ps->opts->size_max != 0 && ps->cmd->size > ps->opts->size_max)
		return smtp_cmd_fail(ps->cmd, "552 5.3.4 Message size exceeds "
		    "fixed limit of %llu bytes",
		    (unsigned long long)ps->opts->size_max);
	return 0;
}

/* "MAIL" must go on with " FROM:", "RCPT" with " TO:". */
static int
smtp_cmd_keyword(struct smtp_parse *ps, const char *kw, const char *usage)
{
	size_t	n = strlen(kw);

	if ((size_t)(ps->end - ps->p) < n + 1 || ps->p[0] != ' ' ||
	    !smtp_ieq(ps->p + 1, n, kw))
		return smtp_cmd_fail(ps->cmd, "501 5.5.4 Syntax: %s", usage);
	ps->p += n + 1;
	return 0;
}

static int
smtp_cmd_mail(struct smtp_parse *ps)
{
	if (smtp_cmd_keyword(ps, "FROM:", "MAIL FROM:<address>") == -1)
		return -1;
	return smtp_path_params(ps);
}

static int
smtp_cmd_rcpt(struct smtp_parse *ps)
{
	if (smtp_cmd_keyword(ps, "TO:", "RCPT TO:<address>") == -1)
		return -1;
	return smtp_path_params(ps);
}

/* The next space-separated word; its length, 0 at the end of the line. */
static size_t
smtp_word(struct smtp_parse *ps, const char **w)
{
	while (ps->p < ps->end && *ps->p == ' ')
		ps->p++;
	for (*w = ps->p; ps->p < ps->end && *ps->p != ' '; ps->p++)
		;
	return (size_t)(ps->p - *w);
}

static int
smtp_at_end(struct smtp_parse *ps)
{
	while (ps->p < ps->end && *ps->p == ' ')
		ps->p++;
	return ps->p == ps->end;
}

/* EHLO/HELO domain-or-address-literal. */
static int
smtp_cmd_helo(struct smtp_parse *ps)
{
	const char	*verb = smtp_verb_name(ps->cmd->verb), *w;
	char		 e[SMTP_ECHO_MAX];
	size_t		 n;
	int		 rc;

	n = smtp_word(ps, &w);
	if (n == 0 || !smtp_at_end(ps))
		return smtp_cmd_fail(ps->cmd, "501 5.5.4 Syntax: %s hostname",
		    verb);
	rc = w[0] == '[' ? smtp_addr_literal(w, n) :
	    smtp_domain_ascii(w, n, 1);
	if (rc == -1) {
		smtp_cmd_sanitize(e, sizeof e, w, n);
		return smtp_cmd_fail(ps->cmd, "501 5.5.2 Invalid %s hostname: "
		    "%s is neither a domain nor an address literal", verb, e);
	}
	memcpy(ps->cmd->arg, w, n);
	ps->cmd->arg[n] = '\0';
	return 0;
}

/* AUTH mechanism [initial-response] (RFC 4954 4). */
static int
smtp_cmd_auth(struct smtp_parse *ps)
{
	const char	*w;
	size_t		 n, i;

	n = smtp_word(ps, &w);
	for (i = 0; i < n; i++)
		if (!smtp_alnum(w[i]) && w[i] != '-' && w[i] != '_')
			break;
	if (n == 0 || n > SMTP_MECH_MAX || i < n)
		return smtp_cmd_fail(ps->cmd,
		    "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
	for (i = 0; i < n; i++)
		ps->cmd->arg[i] = (char)smtp_upper((unsigned char)w[i]);
	ps->cmd->arg[n] = '\0';
	if ((n = smtp_word(ps, &w)) == 0)
		return 0;
	if (!smtp_at_end(ps))
		return smtp_cmd_fail(ps->cmd,
		    "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
	for (i = 0; i < n; i++)
		if (!smtp_alnum(w[i]) && w[i] != '+' && w[i] != '/' &&
		    w[i] != '=')
			return smtp_cmd_fail(ps->cmd, "501 5.5.2 Invalid "
			    "initial response: base64 expected");
	ps->cmd->auth_initial = w;
	ps->cmd->auth_initial_len = n;
	return 0;
}

static int
smtp_cmd_noarg(struct smtp_parse *ps)
{
	if (!smtp_at_end(ps))
		return smtp_cmd_fail(ps->cmd, "501 5.5.4 Syntax: %s takes no "
		    "argument", smtp_verb_name(ps->cmd->verb));
	return 0;
}

/* NOOP and HELP may carry any text (RFC 5321 4.1.1.8, 4.1.1.9). */
static int
smtp_cmd_anyarg(struct smtp_parse *ps)
{
	return 0;
}

/* VRFY and EXPN would tell strangers which addresses exist. */
static int
smtp_cmd_disabled(struct smtp_parse *ps)
{
	return smtp_cmd_fail(ps->cmd, "502 5.5.1 %s command is disabled",
	    smtp_verb_name(ps->cmd->verb));
}

static int
smtp_cmd_bdat(struct smtp_parse *ps)
{
	return smtp_cmd_fail(ps->cmd,
	    "502 5.5.1 BDAT is not supported: CHUNKING is not offered");
}

/* NUL, CR and LF never belong inside a command line. */
static int
smtp_cmd_check_bytes(const char *line, size_t len, struct smtp_cmd *cmd)
{
	static const struct {
		char		 c;
		const char	*name;
	} bad[] = {
		{ '\0', "a NUL byte" },
		{ '\r', "a bare CR" },
		{ '\n', "a bare LF" },
	};
	size_t	i;

	for (i = 0; i < NITEMS(bad); i++)
		if (memchr(line, bad[i].c, len) != NULL)
			return smtp_cmd_fail(cmd, "500 5.5.2 Syntax error: the "
			    "command line contains %s", bad[i].name);
	return 0;
}

static const struct smtp_cmd_entry *
smtp_cmd_find(const char *verb, size_t n)
{
	size_t	i;

	for (i = 0; i < NITEMS(smtp_cmd_table); i++)
		if (smtp_ieq(verb, n, smtp_cmd_table[i].name))
			return &smtp_cmd_table[i];
	return NULL;
}

int
smtp_cmd_parse(const char *line, size_t len, const struct smtp_cmd_opts *opts,
    struct smtp_cmd *cmd)
{
	const struct smtp_cmd_entry	*ce;
	struct smtp_parse		 ps;
	char				 e[SMTP_ECHO_MAX];
	size_t				 n;

	memset(cmd, 0, sizeof *cmd);
	/* The verb runs up to a space or a control byte. */
	for (n = 0; n < len && (unsigned char)line[n] > ' '; n++)
		;
	if ((ce = smtp_cmd_find(line, n)) != NULL)
		cmd->verb = ce->verb;
	if (smtp_cmd_check_bytes(line, len, cmd) == -1)
		return -1;
	if (ce == NULL) {
		smtp_cmd_sanitize(e, sizeof e, line, n);
		return smtp_cmd_fail(cmd, "500 5.5.2 Syntax error: command "
		    "\"%s\" unrecognized", e);
	}
	ps.p = line + n;
	ps.end = line + len;
	ps.opts = opts;
	ps.cmd = cmd;
	return ce->parse(&ps);
}
