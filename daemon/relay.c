/*
 * The next hop: the backend for a next_hop spec, and what the backends
 * share (replies made safe, dot-stuffing, reading the spool).
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "relay.h"
#include "spool.h"

static const struct relay_backend *relay_backends[] = {
	&relay_smtp_backend,
	&relay_maildir_backend,
};

const struct relay_backend *
relay_backend_find(const char *spec, char **cause)
{
	size_t	 i, len;
	const char *scheme;

	if (spec == NULL || (len = strcspn(spec, ":")) == strlen(spec)) {
		if (asprintf(cause, "next hop \"%s\" has no scheme: use "
		    "smtp://HOST:PORT or maildir:PATH",
		    spec == NULL ? "" : spec) == -1)
			*cause = NULL;
		return (NULL);
	}
	for (i = 0; i < sizeof relay_backends / sizeof relay_backends[0]; i++) {
		scheme = relay_backends[i]->scheme;
		if (strlen(scheme) == len && strncasecmp(spec, scheme, len) == 0)
			return (relay_backends[i]);
	}
	if (asprintf(cause, "next hop \"%s\": unknown scheme \"%.*s\" "
	    "(known: smtp, maildir)", spec, (int)len, spec) == -1)
		*cause = NULL;
	return (NULL);
}

/* Copy src into dst as one printable ASCII line; controls become ' '. */
static void
relay_sanitise(char *dst, size_t dstlen, const char *src)
{
	size_t	i = 0;

	for (; *src != '\0' && i + 1 < dstlen; src++) {
		unsigned char c = *src;

		if (c < 0x20 || c >= 0x7f)
			c = (c == '\t' || c == '\r' || c == '\n') ? ' ' : '?';
		dst[i++] = c;
	}
	dst[i] = '\0';
}

void
relay_reply_set(struct relay_reply *r, int code, const char *fmt, ...)
{
	char	buf[sizeof r->text];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	r->code = code;
	relay_sanitise(r->text, sizeof r->text, buf);
}

/*
 * The length of an enhanced status code ("5.1.1") at the start of text,
 * followed by a space or the end; 0 if there is none.
 */
static size_t
relay_esc_len(const char *text)
{
	const char	*p = text;
	int		 part, n;

	if (p[0] < '2' || p[0] > '5' || p[1] != '.')
		return (0);
	p += 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; isdigit((unsigned char)*p) && n < 4; n++)
			p++;
		if (n == 0 || n == 4 || (part == 0 && *p != '.'))
			return (0);
		if (part == 0)
			p++;
	}
	if (*p != '\0' && *p != ' ')
		return (0);
	return (p - text);
}

void
relay_reply_peer(struct relay_reply *r, int code, const char *text)
{
	char		 esc[16];
	size_t		 len;
	const char	*prefix;

	/* A 421 means "I am closing": true of the next hop, not of us. */
	if (code == 421)
		code = 451;
	len = relay_esc_len(text);
	if (len > 0 && len < sizeof esc) {
		memcpy(esc, text, len);
		esc[len] = '\0';
		esc[0] = '0' + code / 100;	/* the class follows the code */
		text += len;
		while (*text == ' ')
			text++;
	} else
		snprintf(esc, sizeof esc, "%d.0.0", code / 100);
	prefix = (code >= 200 && code < 300) ? "" : "next hop said: ";
	relay_reply_set(r, code, "%s %s%s", esc, prefix, text);
}

int
relay_reply_ok(const struct relay_reply *r)
{
	return (r->code >= 200 && r->code < 300);
}

int
relay_addr_ok(const char *addr)
{
	const unsigned char *p;

	if (addr == NULL || strlen(addr) > 512)
		return (0);
	for (p = (const unsigned char *)addr; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return (0);
	return (1);
}

void
relay_stuff_init(struct relay_stuff *st)
{
	st->bol = 1;
}

/* Append a chunk, doubling each dot that starts a line. */
int
relay_stuff_add(struct relay_stuff *st, struct evbuffer *out,
    const char *buf, size_t len)
{
	const char	*end = buf + len, *nl;

	while (buf < end) {
		if (st->bol && *buf == '.' && evbuffer_add(out, ".", 1) == -1)
			return (-1);
		if ((nl = memchr(buf, '\n', end - buf)) == NULL) {
			st->bol = 0;
			return (evbuffer_add(out, buf, end - buf));
		}
		if (evbuffer_add(out, buf, nl + 1 - buf) == -1)
			return (-1);
		st->bol = 1;
		buf = nl + 1;
	}
	return (0);
}

/* End the message: finish an unterminated last line, then ".". */
int
relay_stuff_end(struct relay_stuff *st, struct evbuffer *out)
{
	if (!st->bol && evbuffer_add(out, "\r\n", 2) == -1)
		return (-1);
	st->bol = 1;
	return (evbuffer_add(out, ".\r\n", 3));
}

int
relay_spool_rewind(struct spool *sp)
{
	return (spool_rewind(sp));
}

ssize_t
relay_spool_read(struct spool *sp, void *buf, size_t len)
{
	return (spool_read(sp, buf, len));
}

size_t
relay_spool_size(struct spool *sp)
{
	return (spool_size(sp));
}
