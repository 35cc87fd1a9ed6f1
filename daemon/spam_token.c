/*
 * The spam tokenizer: what the builtin classifier counts of a message.
 * GMime decodes headers (RFC 2047) and parts (quoted-printable, base64,
 * charsets to UTF-8); we only cut the text into words.  Words are split
 * on white space and trimmed of surrounding punctuation, as SpamBayes
 * does: keeping "$100" or "free!" whole carries more than letters alone.
 */
#define _GNU_SOURCE		/* memmem */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "spam.h"

#define TOKEN_MIN	3	/* shorter words say little */
#define TOKEN_MAX	12	/* longer ones are summarised as "skip:" */
#define TEXT_MAX	(256 * 1024)	/* bytes of one part's text read */

struct tok_ctx {
	struct spam_tokens	*t;
	int			 full;	/* SPAM_TOKENS_MAX reached */
};

/* Headers worth reading, and the prefix their words get. */
static const struct {
	const char	*name;
	const char	*prefix;
} tok_hdrs[] = {
	{ "Subject", "subject:" },
	{ "From", "from:" },
	{ "To", "to:" },
	{ "Cc", "cc:" },
	{ "Reply-To", "reply-to:" },
	{ "Return-Path", "return-path:" },
	{ "Received", "received:" },
	{ "Message-ID", "message-id:" },
	{ "Content-Type", "content-type:" },
	{ "Content-Transfer-Encoding", "content-transfer-encoding:" },
	{ "X-Mailer", "x-mailer:" },
	{ "User-Agent", "user-agent:" },
	{ "Organization", "organization:" },
	{ "X-Priority", "x-priority:" },
	{ "X-MSMail-Priority", "x-msmail-priority:" },
	{ "Importance", "importance:" },
	{ "Precedence", "precedence:" },
	{ "List-Id", "list-id:" },
	{ "MIME-Version", "mime-version:" },
};

static pthread_once_t	tok_once = PTHREAD_ONCE_INIT;

static void
tok_init(void)
{
	g_mime_init();
}

/* Add a token unless already there; the copy is the set's and v's. */
static void
tok_add(struct tok_ctx *c, const char *tok)
{
	struct spam_tokens	*t = c->t;
	char			*s, **v;

	if (c->full || g_hash_table_contains(t->seen, tok))
		return;
	if (t->n == SPAM_TOKENS_MAX) {
		c->full = 1;
		return;
	}
	if (t->n == t->cap) {
		if ((v = reallocarray(t->v, t->cap ? t->cap * 2 : 256,
		    sizeof *v)) == NULL)
			return;
		t->v = v;
		t->cap = t->cap ? t->cap * 2 : 256;
	}
	if ((s = strdup(tok)) == NULL)
		return;
	t->v[t->n++] = s;
	g_hash_table_add(t->seen, s);
}

/* Add prefix + word (len bytes). */
static void
tok_addn(struct tok_ctx *c, const char *prefix, const char *w, size_t len)
{
	char	buf[256];

	snprintf(buf, sizeof buf, "%s%.*s", prefix, (int)len, w);
	tok_add(c, buf);
}

/* Characters trimmed off both ends of a word. */
static int
tok_trim_char(unsigned char ch)
{
	return ch < 0x80 && strchr(".,;:()[]{}<>\"'`*|=_-", ch) != NULL;
}

/* The number of UTF-8 characters in w. */
static size_t
tok_chars(const char *w, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)w[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* An address in a word: its domain too, as "prefix@domain". */
static void
tok_email(struct tok_ctx *c, const char *prefix, const char *w, size_t len)
{
	const char	*at = memchr(w, '@', len);

	if (at != NULL && at + 1 < w + len)
		tok_addn(c, prefix, at, len - (at - w));
}

/* One word: trimmed, kept whole, or summarised when long. */
static void
tok_word(struct tok_ctx *c, const char *prefix, const char *w, size_t len)
{
	char	buf[64];
	size_t	n;

	while (len > 0 && tok_trim_char(w[0])) {
		w++;
		len--;
	}
	while (len > 0 && tok_trim_char(w[len - 1]))
		len--;
	if (len == 0)
		return;
	tok_email(c, prefix, w, len);
	n = tok_chars(w, len);
	if (n >= TOKEN_MIN && n <= TOKEN_MAX) {
		tok_addn(c, prefix, w, len);
	} else if (n > TOKEN_MAX) {
		snprintf(buf, sizeof buf, "%sskip:%c %zu", prefix,
		    isalnum((unsigned char)w[0]) ? w[0] : '?', n / 10 * 10);
		tok_add(c, buf);
	}
}

/* The hosts of URLs in text: "url:www.example.com", "url:example.com". */
static void
tok_url_host(struct tok_ctx *c, const char *h, size_t len)
{
	const char	*dot = NULL, *p;

	if (len == 0 || len > 200)
		return;
	tok_addn(c, "url:", h, len);
	/* The registered part, roughly: the last two labels. */
	for (p = h + len - 1; p > h; p--) {
		if (*p == '.') {
			if (dot != NULL)
				break;
			dot = p;
		}
	}
	if (p > h)
		tok_addn(c, "url:", p + 1, len - (p + 1 - h));
}

static void
tok_urls(struct tok_ctx *c, const char *text)
{
	static const char *const schemes[] = { "http://", "https://", "www." };
	const char	*p, *h;
	size_t		 i, n;

	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		for (p = text; (p = strstr(p, schemes[i])) != NULL; p = h + n) {
			h = p + (i < 2 ? strlen(schemes[i]) : 0);
			n = strcspn(h, "/:?#\"'<> \t\r\n)]");
			if (i < 2)
				tok_add(c, i == 0 ? "proto:http" : "proto:https");
			tok_url_host(c, h, n);
		}
	}
}

/* Words of a text (lowercase UTF-8), split on white space. */
static void
tok_text(struct tok_ctx *c, const char *prefix, const char *text)
{
	const char	*p = text;
	size_t		 n;

	for (;;) {
		p += strspn(p, " \t\r\n\f\v");
		if (*p == '\0' || c->full)
			break;
		n = strcspn(p, " \t\r\n\f\v");
		tok_word(c, prefix, p, n);
		p += n;
	}
}

/* text as valid, lowercase UTF-8 (g_free it). */
static char *
tok_lower(const char *text)
{
	char	*valid, *lower;

	valid = g_utf8_make_valid(text, -1);
	lower = g_utf8_strdown(valid, -1);
	g_free(valid);
	return lower;
}

/* Received: the host names and addresses it names, no dates or ids. */
static void
tok_received(struct tok_ctx *c, const char *value)
{
	const char	*p = value;
	size_t		 n;

	for (;;) {
		p += strcspn(p, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (*p == '\0')
			break;
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789.-");
		if (memchr(p, '.', n) != NULL && n > 3 && p[n - 1] != '.')
			tok_addn(c, "received:", p, n);
		p += n;
	}
}

/* The words of a header's value (decoded), under prefix. */
static void
tok_header(struct tok_ctx *c, const char *prefix, const char *value)
{
	char	*lower = tok_lower(value);

	if (strcmp(prefix, "received:") == 0)
		tok_received(c, lower);
	else
		tok_text(c, prefix, lower);
	g_free(lower);
}

static void
tok_headers(struct tok_ctx *c, GMimeObject *msg)
{
	GMimeHeaderList	*hl = g_mime_object_get_header_list(msg);
	GMimeHeader	*h;
	const char	*name, *value;
	char		*lname;
	int		 i, n = g_mime_header_list_get_count(hl);
	size_t		 j;

	for (i = 0; i < n; i++) {
		h = g_mime_header_list_get_header_at(hl, i);
		name = g_mime_header_get_name(h);
		if ((value = g_mime_header_get_value(h)) == NULL)
			value = "";
		/* Which headers a message has says much about its sender. */
		lname = g_ascii_strdown(name, -1);
		tok_addn(c, "header:", lname, strlen(lname));
		g_free(lname);
		for (j = 0; j < sizeof tok_hdrs / sizeof tok_hdrs[0];
		    j++) {
			if (g_ascii_strcasecmp(name, tok_hdrs[j].name) == 0)
				tok_header(c, tok_hdrs[j].prefix, value);
		}
	}
}

/* HTML elements whose content is not text a reader sees. */
static int
tok_html_skipped(const char *tag)
{
	return strcmp(tag, "script") == 0 || strcmp(tag, "style") == 0;
}

/* An entity at p ("&amp;"): its text into out, how far it reached. */
static size_t
tok_html_entity(const char *p, GString *out)
{
	static const struct {
		const char	*name;
		const char	*text;
	} ents[] = {
		{ "&nbsp;", " " }, { "&amp;", "&" }, { "&lt;", "<" },
		{ "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" },
	};
	size_t		 i;
	char		*end;
	unsigned long	 cp;

	for (i = 0; i < sizeof ents / sizeof ents[0]; i++) {
		if (strncmp(p, ents[i].name, strlen(ents[i].name)) == 0) {
			g_string_append(out, ents[i].text);
			return strlen(ents[i].name);
		}
	}
	if (p[1] == '#') {
		cp = p[2] == 'x' ? strtoul(p + 3, &end, 16) :
		    strtoul(p + 2, &end, 10);
		if (*end == ';' && cp > 0 && cp < 0x110000 &&
		    g_unichar_validate(cp)) {
			g_string_append_unichar(out, cp);
			return end + 1 - p;
		}
	}
	g_string_append_c(out, '&');
	return 1;
}

/* A tag at p ("<a href=...>"): a token for its name; how far it reached. */
static size_t
tok_html_tag(struct tok_ctx *c, const char *p, char *name, size_t namelen)
{
	const char	*end;
	size_t		 n;

	if (strncmp(p, "<!--", 4) == 0) {
		end = strstr(p + 4, "-->");
		name[0] = '\0';
		return end != NULL ? (size_t)(end + 3 - p) : strlen(p);
	}
	n = strspn(p + 1, "/abcdefghijklmnopqrstuvwxyz0123456789");
	snprintf(name, namelen, "%.*s", (int)n, p + 1);
	if (n > 0 && name[0] != '/')
		tok_addn(c, "html:", name, strlen(name));
	end = strchr(p, '>');
	return end != NULL ? (size_t)(end + 1 - p) : strlen(p);
}

/* Lowercase HTML as the text a reader sees (g_string_free it). */
static GString *
tok_html_strip(struct tok_ctx *c, const char *html)
{
	GString		*out = g_string_new(NULL);
	const char	*p = html;
	char		 tag[16], skip[24] = "";

	while (*p != '\0') {
		if (*p == '<') {
			p += tok_html_tag(c, p, tag, sizeof tag);
			if (skip[0] == '\0' && tok_html_skipped(tag))
				snprintf(skip, sizeof skip, "/%s", tag);
			else if (skip[0] != '\0' && strcmp(tag, skip) == 0)
				skip[0] = '\0';
			g_string_append_c(out, ' ');
		} else if (skip[0] != '\0') {
			p++;
		} else if (*p == '&') {
			p += tok_html_entity(p, out);
		} else
			g_string_append_c(out, *p++);
	}
	return out;
}

/* The text of a text part. */
static void
tok_text_part(struct tok_ctx *c, GMimeTextPart *part, int html)
{
	GString	*stripped;
	char	*text, *lower;

	if ((text = g_mime_text_part_get_text(part)) == NULL)
		return;
	if (strlen(text) > TEXT_MAX)
		text[TEXT_MAX] = '\0';
	if (strstr(text, SPAM_GTUBE) != NULL)
		c->t->gtube = 1;
	lower = tok_lower(text);
	g_free(text);
	tok_urls(c, lower);
	if (html) {
		stripped = tok_html_strip(c, lower);
		tok_text(c, "", stripped->str);
		g_string_free(stripped, TRUE);
	} else
		tok_text(c, "", lower);
	g_free(lower);
}

/* One leaf part: its type, name, charset and, for text, its words. */
static void
tok_part(GMimeObject *parent, GMimeObject *part, gpointer arg)
{
	struct tok_ctx		*c = arg;
	GMimeContentType	*ct;
	const char		*type, *sub, *fn, *cs, *ext;
	char			 buf[128];

	if (!GMIME_IS_PART(part))
		return;
	ct = g_mime_object_get_content_type(part);
	type = g_mime_content_type_get_media_type(ct);
	sub = g_mime_content_type_get_media_subtype(ct);
	snprintf(buf, sizeof buf, "%s/%s", type ? type : "", sub ? sub : "");
	tok_header(c, "part:", buf);
	if ((fn = g_mime_part_get_filename(GMIME_PART(part))) != NULL &&
	    (ext = strrchr(fn, '.')) != NULL)
		tok_header(c, "filename:", ext);
	if (!GMIME_IS_TEXT_PART(part))
		return;
	if ((cs = g_mime_text_part_get_charset(GMIME_TEXT_PART(part))) != NULL)
		tok_header(c, "charset:", cs);
	tok_text_part(c, GMIME_TEXT_PART(part),
	    g_mime_content_type_is_type(ct, "text", "html"));
}

/* A message GMime could not parse: its raw bytes as text. */
static void
tok_raw(struct tok_ctx *c, const char *msg, size_t len)
{
	char	*text, *lower;

	text = g_strndup(msg, len < TEXT_MAX ? len : TEXT_MAX);
	if (strstr(text, SPAM_GTUBE) != NULL)
		c->t->gtube = 1;
	lower = tok_lower(text);
	g_free(text);
	tok_urls(c, lower);
	tok_text(c, "", lower);
	g_free(lower);
}

/* Past an mbox "From " line, which files of saved mail start with. */
static const char *
tok_skip_from(const char *msg, size_t *len)
{
	const char	*nl;

	if (*len < 5 || memcmp(msg, "From ", 5) != 0 ||
	    (nl = memchr(msg, '\n', *len)) == NULL)
		return msg;
	*len -= nl + 1 - msg;
	return nl + 1;
}

static GMimeMessage *
tok_parse(const char *msg, size_t len)
{
	GMimeStream	*stream;
	GMimeParser	*parser;
	GMimeMessage	*m;

	stream = g_mime_stream_mem_new_with_buffer(msg, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	m = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	return m;
}

int
spam_tokenize(const char *msg, size_t len, struct spam_tokens *t,
    char **cause)
{
	struct tok_ctx	 c = { .t = t };
	GMimeMessage	*m;

	pthread_once(&tok_once, tok_init);
	memset(t, 0, sizeof *t);
	t->seen = g_hash_table_new(g_str_hash, g_str_equal);
	msg = tok_skip_from(msg, &len);
	if ((m = tok_parse(msg, len)) == NULL) {
		tok_raw(&c, msg, len);
		return 0;
	}
	tok_headers(&c, GMIME_OBJECT(m));
	g_mime_message_foreach(m, tok_part, &c);
	g_object_unref(m);
	return 0;
}

void
spam_tokens_free(struct spam_tokens *t)
{
	size_t	i;

	if (t->seen != NULL)
		g_hash_table_destroy(t->seen);
	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof *t);
}
