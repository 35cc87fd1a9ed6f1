/*
 * Lock notices (notice.h): the placeholder language of templates, its
 * rendering, and the message built around it with GMime.
 *
 * One walker (notice_expand) serves both the check made when a template
 * is saved and the rendering, so that what is accepted is exactly what
 * renders.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmime/gmime.h>

#include "conf.h"
#include "db.h"
#include "ipc.h"
#include "notice.h"

/* Longest value put in for a placeholder, in bytes; longer ones are cut. */
#define NOTICE_VALUE_MAX	512
/* Longest placeholder name shown back in a refusal. */
#define NOTICE_NAME_SHOWN	40

enum notice_var {
	V_USER, V_IDENTITY, V_DOMAIN, V_REASON, V_SPAM_COUNT,
	V_WINDOW_MINUTES, V_LOCKED_AT, V_UNLOCK_AT, V_AUTO_UNLOCKS_LEFT,
	V_ADMIN_CONTACT
};

static const char *const notice_names[] = {
	[V_USER] = "user",
	[V_IDENTITY] = "identity",
	[V_DOMAIN] = "domain",
	[V_REASON] = "reason",
	[V_SPAM_COUNT] = "spam_count",
	[V_WINDOW_MINUTES] = "window_minutes",
	[V_LOCKED_AT] = "locked_at",
	[V_UNLOCK_AT] = "unlock_at",
	[V_AUTO_UNLOCKS_LEFT] = "auto_unlocks_left",
	[V_ADMIN_CONTACT] = "admin_contact",
};
#define NOTICE_NVARS	(sizeof notice_names / sizeof notice_names[0])

/*
 * The built-in template NOTICE_DEFAULT, in English.  It is stored in the
 * database at start-up (notice_default_install), so that admins see it in
 * template list and can change it before the first lock, and so that the
 * one write happens once, in the main thread, rather than racing among
 * the workers that send the first notices.  It also serves as it is when
 * the database lacks it.
 */
static const char notice_default_subject[] =
    "Outgoing mail of {identity} has been locked";
static const char notice_default_body[] =
    "Hello,\n"
    "\n"
    "the mail filter of your provider has stopped outgoing mail of\n"
    "{identity} (account {user}, domain {domain}).\n"
    "\n"
    "Reason:          {reason}\n"
    "Spam messages:   {spam_count} within {window_minutes} minutes\n"
    "Locked at:       {locked_at}\n"
    "Unlocked:        {unlock_at}\n"
    "\n"
    "While the lock lasts, mail sent through this account is refused.\n"
    "Please check the computers, scripts and web sites that send mail\n"
    "through it for malware or misuse, and change every password others\n"
    "may know.\n"
    "\n"
    "Automatic unlocks left before only an administrator can unlock:\n"
    "{auto_unlocks_left}\n"
    "\n"
    "If you have questions, or once the cause is removed, please write to\n"
    "{admin_contact}.\n";

static pthread_once_t	notice_once = PTHREAD_ONCE_INIT;

static void
notice_gmime_init(void)
{
	g_mime_init();
}

static int
notice_var_find(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < NOTICE_NVARS; i++) {
		if (strlen(notice_names[i]) == len &&
		    memcmp(notice_names[i], name, len) == 0)
			return (int)i;
	}
	return -1;
}

/* "{user}, {identity}, ...": for refusals. */
static void
notice_known(char *buf, size_t len)
{
	size_t	i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < NOTICE_NVARS && n < len; i++)
		n += snprintf(buf + n, len - n, "%s{%s}", i > 0 ? ", " : "",
		    notice_names[i]);
}

/* Line and column (from 1, in characters) of p in text, for refusals. */
static void
notice_where(const char *text, const char *p, int *line, int *col)
{
	const char	*bol = text;

	*line = 1;
	for (; text < p; text++) {
		if (*text == '\n') {
			(*line)++;
			bol = text + 1;
		}
	}
	*col = (int)g_utf8_strlen(bol, p - bol) + 1;
}

static int
notice_fail_at(const char *field, const char *text, const char *p,
    const char *what, char **cause)
{
	int	line, col;

	notice_where(text, p, &line, &col);
	return ipc_cause(cause, "%s: line %d, column %d: %s", field, line,
	    col, what);
}

static int
notice_fail_name(const char *field, const char *name, size_t len,
    char **cause)
{
	char	known[512];

	notice_known(known, sizeof known);
	return ipc_cause(cause, "%s: \"{%.*s%s}\" is not a placeholder; known "
	    "ones are %s (write \"{{\" and \"}}\" for braces)", field,
	    (int)(len > NOTICE_NAME_SHOWN ? NOTICE_NAME_SHOWN : len), name,
	    len > NOTICE_NAME_SHOWN ? "..." : "", known);
}

/* A time as the notices show it. */
static void
notice_time(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* A count as the notices show it: never below 0. */
static const char *
notice_count(long n, char *buf, size_t len)
{
	snprintf(buf, len, "%ld", n > 0 ? n : 0);
	return buf;
}

/* The text a placeholder stands for, before it is made safe. */
static const char *
notice_value(const struct notice_vars *v, int var, char *buf, size_t len)
{
	const char	*s = NULL;

	switch (var) {
	case V_USER:
		s = v->user;
		break;
	case V_IDENTITY:
		s = v->identity != NULL && *v->identity != '\0' ?
		    v->identity : v->user;
		break;
	case V_DOMAIN:
		s = v->domain;
		break;
	case V_REASON:
		s = v->reason != NULL && *v->reason != '\0' ? v->reason :
		    "no reason given";
		break;
	case V_ADMIN_CONTACT:
		s = v->admin_contact;
		break;
	case V_SPAM_COUNT:
		return notice_count(v->spam_count, buf, len);
	case V_WINDOW_MINUTES:
		return notice_count(v->window_minutes, buf, len);
	case V_AUTO_UNLOCKS_LEFT:
		return notice_count(v->auto_unlocks_left, buf, len);
	case V_LOCKED_AT:
		notice_time(v->locked_at != 0 ? v->locked_at : time(NULL),
		    buf, len);
		return buf;
	case V_UNLOCK_AT:
		if (v->unlock_at == 0)
			return "when an administrator unlocks it";
		notice_time(v->unlock_at, buf, len);
		return buf;
	}
	return s != NULL ? s : "";
}

/*
 * A value made safe: valid UTF-8, every control character a space (a
 * value is one line wherever it goes), at most NOTICE_VALUE_MAX bytes,
 * HTML-escaped in NOTICE_HTML.
 */
static void
notice_put_value(GString *out, const char *s, enum notice_mode mode)
{
	gchar		*valid;
	const char	*p, *end;
	gunichar	 c;

	valid = g_utf8_make_valid(s, -1);
	end = valid + strlen(valid);
	for (p = valid; p < end; p = g_utf8_next_char(p)) {
		if (p - valid >= NOTICE_VALUE_MAX) {
			g_string_append(out, "...");
			break;
		}
		c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
		    c == 0x2028 || c == 0x2029)
			g_string_append_c(out, ' ');
		else if (mode == NOTICE_HTML && c == '&')
			g_string_append(out, "&amp;");
		else if (mode == NOTICE_HTML && c == '<')
			g_string_append(out, "&lt;");
		else if (mode == NOTICE_HTML && c == '>')
			g_string_append(out, "&gt;");
		else if (mode == NOTICE_HTML && c == '"')
			g_string_append(out, "&quot;");
		else if (mode == NOTICE_HTML && c == '\'')
			g_string_append(out, "&#39;");
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	g_free(valid);
}

/*
 * Walk text: check it (v NULL) or render it into out.  "{{" and "}}" are
 * braces; "{name}" a placeholder.  A brace that opens nothing it closes
 * on the same line, or closes nothing, is refused.
 */
static int
notice_expand(const char *text, const char *field,
    const struct notice_vars *v, enum notice_mode mode, GString *out,
    char **cause)
{
	const char	*p = text, *q;
	char		 num[64];
	int		 var;

	while (*p != '\0') {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			if (out != NULL)
				g_string_append_c(out, *p);
			p += 2;
			continue;
		}
		if (*p == '}')
			return notice_fail_at(field, text, p, "a \"}\" closes no "
			    "placeholder (write \"}}\" for a brace)", cause);
		if (*p != '{') {
			if (out != NULL)
				g_string_append_c(out, *p);
			p++;
			continue;
		}
		for (q = p + 1; *q != '\0' && *q != '}' && *q != '{' &&
		    *q != '\n'; q++)
			;
		if (*q != '}')
			return notice_fail_at(field, text, p, "a \"{\" is not "
			    "closed on its line (write \"{{\" for a brace)",
			    cause);
		if ((var = notice_var_find(p + 1, q - p - 1)) == -1)
			return notice_fail_name(field, p + 1, q - p - 1, cause);
		if (out != NULL)
			notice_put_value(out, notice_value(v, var, num,
			    sizeof num), mode);
		p = q + 1;
	}
	return 0;
}

int
notice_check(const char *text, const char *field, char **cause)
{
	if (text == NULL)
		return 0;
	return notice_expand(text, field, NULL, NOTICE_TEXT, NULL, cause);
}

char *
notice_render(const char *text, const struct notice_vars *v,
    enum notice_mode mode, char **cause)
{
	GString	*out = g_string_sized_new(strlen(text) + 256);
	char	*s, *p;

	if (notice_expand(text, "template", v, mode, out, cause) == -1) {
		g_string_free(out, TRUE);
		return NULL;
	}
	if (mode == NOTICE_LINE) {
		for (p = out->str; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
	}
	if ((s = strdup(out->str)) == NULL)
		ipc_cause(cause, "out of memory");
	g_string_free(out, TRUE);
	return s;
}

/*
 * Addresses.
 */

/*
 * One mailbox from text (an address, or "Name <address>"); NULL with a
 * cause naming field.  A line break or control character is refused
 * before parsing: it is how headers are forged.
 */
static InternetAddress *
notice_mailbox(const char *text, const char *field, char **cause)
{
	InternetAddressList	*l;
	InternetAddress		*ia = NULL;
	const char		*addr, *p;

	for (p = text; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			ipc_cause(cause, "%s: \"%.200s\" holds a line break or "
			    "control character", field, text);
			return NULL;
		}
	}
	if ((l = internet_address_list_parse(NULL, text)) != NULL &&
	    internet_address_list_length(l) == 1 &&
	    INTERNET_ADDRESS_IS_MAILBOX(ia = internet_address_list_get_address(
	    l, 0)) && (addr = internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(ia))) != NULL &&
	    strchr(addr, '@') != NULL && addr[0] != '@' &&
	    addr[strlen(addr) - 1] != '@')
		g_object_ref(ia);
	else {
		ia = NULL;
		ipc_cause(cause, "%s: \"%.200s\" is not one e-mail address",
		    field, text);
	}
	if (l != NULL)
		g_object_unref(l);
	return ia;
}

static const char *
notice_addr(InternetAddress *ia)
{
	return internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
}

/*
 * The template.
 */

struct notice_text {
	char	*language, *subject, *body, *html;	/* html NULL: none */
};

static void
notice_text_clear(struct notice_text *t)
{
	free(t->language);
	free(t->subject);
	free(t->body);
	free(t->html);
	memset(t, 0, sizeof *t);
}

static char *
notice_member(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? strdup(s) : NULL;
}

/* The template by name, or the built-in default when the database lacks it. */
static int
notice_template(struct db *db, const char *name, struct notice_text *t,
    char **cause)
{
	json_t	*o = NULL;
	char	*why = NULL;

	memset(t, 0, sizeof *t);
	if (db_template_show(db, name, &o, &why) == 0) {
		t->language = notice_member(o, "language");
		t->subject = notice_member(o, "subject");
		t->body = notice_member(o, "body");
		t->html = notice_member(o, "html");
		json_decref(o);
	} else if (db_errkind(db) == DB_ENOTFOUND &&
	    strcmp(name, NOTICE_DEFAULT) == 0) {
		t->language = strdup("en");
		t->subject = strdup(notice_default_subject);
		t->body = strdup(notice_default_body);
	} else {
		ipc_cause(cause, "lock notice: %s", why != NULL ? why :
		    "the template cannot be read");
		free(why);
		return -1;
	}
	free(why);
	if (t->language == NULL || t->subject == NULL || t->body == NULL) {
		notice_text_clear(t);
		return ipc_cause(cause, "out of memory");
	}
	return 0;
}

/*
 * The message.
 */

/* 7bit when every line is short ASCII, else quoted-printable. */
static GMimeContentEncoding
notice_encoding(const char *s)
{
	size_t	col = 0;

	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80 || (col = *s == '\n' ? 0 :
		    col + 1) > 76)
			return GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	}
	return GMIME_CONTENT_ENCODING_7BIT;
}

/* Line ends as LF (GMime writes them as CRLF); no lone CR survives. */
static void
notice_lf(char *s)
{
	char	*w = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\r' && s[1] == '\n')
			continue;
		*w++ = *s == '\r' ? '\n' : *s;
	}
	*w = '\0';
}

/* A text/SUBTYPE part in UTF-8 holding text (LF line ends). */
static GMimeObject *
notice_part(const char *subtype, const char *text)
{
	GMimeTextPart		*tp = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream		*st;
	GMimeDataWrapper	*dw;

	st = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(tp), dw);
	g_object_unref(dw);
	g_object_unref(st);
	g_mime_text_part_set_charset(tp, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(tp), notice_encoding(text));
	return GMIME_OBJECT(tp);
}

/* The body: text/plain, or multipart/alternative with text/html. */
static GMimeObject *
notice_body(const char *text, const char *html)
{
	GMimeMultipart	*mp;
	GMimeObject	*plain = notice_part("plain", text), *h;

	if (html == NULL)
		return plain;
	mp = g_mime_multipart_new_with_subtype("alternative");
	h = notice_part("html", html);
	g_mime_multipart_add(mp, plain);
	g_mime_multipart_add(mp, h);
	g_object_unref(plain);
	g_object_unref(h);
	return GMIME_OBJECT(mp);
}

/* The domain of the sender's address, for the Message-ID. */
static const char *
notice_id_domain(const char *from)
{
	const char	*at = strrchr(from, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : "localhost";
}

static void
notice_headers(GMimeMessage *m, InternetAddress *from, InternetAddress *to,
    InternetAddress *cc, const char *subject, const char *language)
{
	GMimeObject	*o = GMIME_OBJECT(m);
	GDateTime	*now = g_date_time_new_now_utc();
	char		*id;

	internet_address_list_add(g_mime_message_get_from(m), from);
	internet_address_list_add(g_mime_message_get_addresses(m,
	    GMIME_ADDRESS_TYPE_TO), to);
	if (cc != NULL)
		internet_address_list_add(g_mime_message_get_addresses(m,
		    GMIME_ADDRESS_TYPE_CC), cc);
	g_mime_message_set_date(m, now);
	g_date_time_unref(now);
	id = g_mime_utils_generate_message_id(notice_id_domain(
	    notice_addr(from)));
	g_mime_message_set_message_id(m, id);
	g_free(id);
	g_mime_message_set_subject(m, subject, "utf-8");
	g_mime_object_set_header(o, "MIME-Version", "1.0", NULL);
	/* RFC 3834: no vacation reply or bounce loop for this one. */
	g_mime_object_set_header(o, "Auto-Submitted", "auto-generated", NULL);
	g_mime_object_set_header(o, "Content-Language", language, NULL);
}

/* The message as text with CRLF line ends, whatever GMime wrote. */
static char *
notice_serialize(GMimeMessage *m, size_t *len)
{
	GMimeFormatOptions	*fo = g_mime_format_options_new();
	char			*s, *out, *w;
	const char		*p;
	size_t			 n = 0;

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	s = g_mime_object_to_string(GMIME_OBJECT(m), fo);
	g_mime_format_options_free(fo);
	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++)
		n += (*p == '\n' && (p == s || p[-1] != '\r')) ? 2 : 1;
	if ((out = malloc(n + 1)) != NULL) {
		for (p = s, w = out; *p != '\0'; p++) {
			if (*p == '\n' && (p == s || p[-1] != '\r'))
				*w++ = '\r';
			*w++ = *p;
		}
		*w = '\0';
		*len = n;
	}
	g_free(s);
	return out;
}

/* The three texts of the template, rendered; -1 with cause. */
static int
notice_texts(const struct notice_text *t, const struct notice_vars *v,
    struct notice_text *r, char **cause)
{
	memset(r, 0, sizeof *r);
	if ((r->subject = notice_render(t->subject, v, NOTICE_LINE,
	    cause)) == NULL || (r->body = notice_render(t->body, v,
	    NOTICE_TEXT, cause)) == NULL || (t->html != NULL &&
	    (r->html = notice_render(t->html, v, NOTICE_HTML, cause)) ==
	    NULL)) {
		notice_text_clear(r);
		return -1;
	}
	notice_lf(r->body);
	if (r->html != NULL)
		notice_lf(r->html);
	return 0;
}

/* Everything is at hand: assemble and write the message. */
static int
notice_assemble(InternetAddress *from, InternetAddress *to,
    InternetAddress *cc, const struct notice_text *t,
    const struct notice_text *r, char **msg, size_t *len, char **cause)
{
	GMimeMessage	*m = g_mime_message_new(FALSE);
	GMimeObject	*body = notice_body(r->body, r->html);

	notice_headers(m, from, to, cc, r->subject, t->language);
	g_mime_message_set_mime_part(m, body);
	g_object_unref(body);
	*msg = notice_serialize(m, len);
	g_object_unref(m);
	if (*msg == NULL)
		return ipc_cause(cause, "lock notice: out of memory");
	return 0;
}

/* Addresses parsed, Cc left out when it is To. */
static int
notice_addresses(const struct config *conf, const char *to, const char *cc,
    InternetAddress **from, InternetAddress **rto, InternetAddress **rcc,
    char **cause)
{
	*from = *rto = *rcc = NULL;
	if ((*from = notice_mailbox(conf_str(conf, CONF_notice_from),
	    "[notice] from", cause)) == NULL ||
	    (*rto = notice_mailbox(to != NULL ? to : "", "to", cause)) == NULL)
		return -1;
	if (cc == NULL || *cc == '\0')
		return 0;
	if ((*rcc = notice_mailbox(cc, "cc", cause)) == NULL)
		return -1;
	if (g_ascii_strcasecmp(notice_addr(*rcc), notice_addr(*rto)) == 0) {
		g_object_unref(*rcc);
		*rcc = NULL;
	}
	return 0;
}

static void
notice_unref(InternetAddress *ia)
{
	if (ia != NULL)
		g_object_unref(ia);
}

int
notice_build(struct db *db, const struct config *conf,
    const char *template_name, const struct notice_vars *vars,
    const char *to, const char *cc, char **msg, size_t *len, char **cause)
{
	InternetAddress		*from, *rto, *rcc;
	struct notice_text	 t, r;
	struct notice_vars	 v = *vars;
	int			 rc = -1;

	pthread_once(&notice_once, notice_gmime_init);
	*msg = NULL;
	*len = 0;
	if (template_name == NULL || *template_name == '\0')
		template_name = NOTICE_DEFAULT;
	if (notice_addresses(conf, to, cc, &from, &rto, &rcc, cause) == 0 &&
	    notice_template(db, template_name, &t, cause) == 0) {
		if (v.admin_contact == NULL || *v.admin_contact == '\0')
			v.admin_contact = notice_addr(from);
		if (notice_texts(&t, &v, &r, cause) == 0) {
			rc = notice_assemble(from, rto, rcc, &t, &r, msg, len,
			    cause);
			notice_text_clear(&r);
		}
		notice_text_clear(&t);
	}
	notice_unref(from);
	notice_unref(rto);
	notice_unref(rcc);
	return rc;
}

int
notice_build_text(const struct config *conf, const char *subject,
    const char *body, const char *to, char **msg, size_t *len, char **cause)
{
	InternetAddress		*from, *rto, *rcc;
	struct notice_text	 t, r;
	int			 rc = -1;

	pthread_once(&notice_once, notice_gmime_init);
	*msg = NULL;
	*len = 0;
	memset(&t, 0, sizeof t);
	memset(&r, 0, sizeof r);
	t.language = "en";
	if (notice_addresses(conf, to, NULL, &from, &rto, &rcc, cause) == 0) {
		r.subject = (char *)subject;
		if ((r.body = strdup(body)) == NULL)
			ipc_cause(cause, "out of memory");
		else {
			notice_lf(r.body);
			rc = notice_assemble(from, rto, rcc, &t, &r, msg, len,
			    cause);
			free(r.body);
		}
	}
	notice_unref(from);
	notice_unref(rto);
	notice_unref(rcc);
	return rc;
}

int
notice_default_install(struct db *db, char **cause)
{
	struct db_template	 t = {
		NOTICE_DEFAULT, "en", notice_default_subject,
		notice_default_body, NULL
	};
	json_t			*o = NULL;
	char			*why = NULL;

	pthread_once(&notice_once, notice_gmime_init);
	if (db_template_show(db, NOTICE_DEFAULT, &o, &why) == 0) {
		json_decref(o);
		return 0;
	}
	free(why);
	if (db_errkind(db) != DB_ENOTFOUND)
		return ipc_cause(cause, "the default lock notice cannot be "
		    "read from the database");
	return db_template_add(db, &t, cause);
}
