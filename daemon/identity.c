/* Sending identities: the identify methods (see identity.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "identity.h"

/* Steps one match may take (PCRE2's default is 10 000 000). */
#define IDENTITY_MATCH_LIMIT	100000

static const char *const identity_methods[] = {
	[IDENTIFY_ENVELOPE] = "envelope",
	[IDENTIFY_AUTH] = "auth",
	[IDENTIFY_HEADER] = "header",
	[IDENTIFY_NONE] = "none",
};

int
identity_method(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof identity_methods / sizeof identity_methods[0];
	    i++)
		if (strcmp(name, identity_methods[i]) == 0)
			return (int)i;
	return -1;
}

/* Copy an identity: trimmed, control characters out, at most the max. */
static int
identity_set(struct identity_out *out, const char *p, size_t len, int lower)
{
	size_t	i, n = 0;

	while (len > 0 && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	for (i = 0; i < len && n < IDENTITY_MAX; i++) {
		unsigned char	c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		out->identity[n++] = lower ? (char)tolower(c) : (char)c;
	}
	out->identity[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* The end of the header section (the empty line, or len). */
static size_t
identity_header_end(const char *m, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (i > 0 && m[i - 1] != '\n')
			continue;
		if (m[i] == '\n' || (m[i] == '\r' && i + 1 < len &&
		    m[i + 1] == '\n'))
			return i;
	}
	return len;
}

/* The end of the field starting at p (after its folded lines). */
static size_t
identity_field_end(const char *m, size_t p, size_t end)
{
	while (p < end) {
		const char	*nl = memchr(m + p, '\n', end - p);

		if (nl == NULL)
			return end;
		p = (size_t)(nl - m) + 1;
		if (p >= end || (m[p] != ' ' && m[p] != '\t'))
			return p;
	}
	return end;
}

/* The unfolded value of a field, malloc'ed. */
static char *
identity_unfold(const char *v, size_t len)
{
	char	*out, *o;
	size_t	 i;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (o = out, i = 0; i < len; i++)
		if (v[i] != '\r' && v[i] != '\n')
			*o++ = v[i];
	*o = '\0';
	return out;
}

/* Split "Name" or "Name:REGEX"; the name's length, and the regex or NULL. */
static size_t
identity_entry(const char *entry, const char **regex)
{
	const char	*colon = strchr(entry, ':');

	*regex = colon != NULL ? colon + 1 : NULL;
	return colon != NULL ? (size_t)(colon - entry) : strlen(entry);
}

static pcre2_code *
identity_compile(const char *regex, char *err, size_t errlen)
{
	pcre2_code	*re;
	int		 code;
	PCRE2_SIZE	 off;
	PCRE2_UCHAR	 msg[256];

	re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
	    PCRE2_CASELESS, &code, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(code, msg, sizeof msg);
		snprintf(err, errlen, "%s at offset %zu", (const char *)msg,
		    (size_t)off);
	}
	return re;
}

/* Match value against re: the first group, else the whole match. */
static int
identity_match(pcre2_code *re, const char *value, struct identity_out *out)
{
	pcre2_match_data	*md;
	pcre2_match_context	*mc;
	PCRE2_SIZE		*ov;
	int			 rc, g;

	if ((md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL)
		return -1;
	/* An admin's regex and a sender's header: bound the work per match. */
	if ((mc = pcre2_match_context_create(NULL)) != NULL) {
		pcre2_set_match_limit(mc, IDENTITY_MATCH_LIMIT);
		pcre2_set_depth_limit(mc, IDENTITY_MATCH_LIMIT / 10);
	}
	rc = pcre2_match(re, (PCRE2_SPTR)value, strlen(value), 0, 0, md, mc);
	pcre2_match_context_free(mc);
	if (rc > 0) {
		ov = pcre2_get_ovector_pointer(md);
		g = rc > 1 && ov[2] != PCRE2_UNSET ? 1 : 0;
		rc = identity_set(out, value + ov[2 * g], ov[2 * g + 1] -
		    ov[2 * g], 0);
	} else
		rc = -1;
	pcre2_match_data_free(md);
	return rc;
}

/* Look for one entry's header, every occurrence from the top. */
static int
identity_by_entry(const struct identity_in *in, const char *entry,
    struct identity_out *out)
{
	const char	*regex, *m = in->msg;
	size_t		 nlen = identity_entry(entry, &regex);
	size_t		 end = identity_header_end(m, in->len), p, fe;
	pcre2_code	*re = NULL;
	char		*value, err[300];
	int		 found = -1;

	if (regex != NULL &&
	    (re = identity_compile(regex, err, sizeof err)) == NULL)
		return -1;
	for (p = 0; p < end && found == -1; p = fe) {
		fe = identity_field_end(m, p, end);
		if (fe - p <= nlen || m[p + nlen] != ':' ||
		    strncasecmp(m + p, entry, nlen) != 0)
			continue;
		if ((value = identity_unfold(m + p + nlen + 1,
		    fe - p - nlen - 1)) == NULL)
			break;
		found = re != NULL ? identity_match(re, value, out) :
		    identity_set(out, value, strlen(value), 0);
		free(value);
		if (found == 0) {
			out->field_off = p;
			out->field_len = fe - p;
			out->from_header = 1;
		}
	}
	pcre2_code_free(re);
	return found;
}

static int
identity_by_headers(const struct identity_in *in, struct identity_out *out)
{
	size_t	i;

	for (i = 0; i < in->nheaders; i++)
		if (identity_by_entry(in, in->headers[i], out) == 0)
			return 0;
	return -1;
}

/* The refusal names the first header looked for (its name only). */
static void
identity_refuse_header(const struct identity_in *in, char *reply,
    size_t replylen)
{
	const char	*regex;
	size_t		 nlen;

	if (in->nheaders == 0) {
		snprintf(reply, replylen, "550 5.7.1 Your mail is identified "
		    "by a header, and none is configured for your account: "
		    "ask your provider");
		return;
	}
	nlen = identity_entry(in->headers[0], &regex);
	snprintf(reply, replylen, "550 5.7.1 The message lacks the %.*s: "
	    "header%s that identifies its sender, which your provider "
	    "requires", (int)(nlen > 64 ? 64 : nlen), in->headers[0],
	    in->nheaders > 1 ? " (or another of the configured ones)" : "");
}

static void
identity_envelope(const struct identity_in *in, struct identity_out *out)
{
	if (identity_set(out, in->mail_from, strlen(in->mail_from), 1) == -1)
		snprintf(out->identity, sizeof out->identity, "<>");
}

int
identity_find(const struct identity_in *in, struct identity_out *out,
    char *reply, size_t replylen)
{
	memset(out, 0, sizeof *out);
	switch (in->method) {
	case IDENTIFY_NONE:
		return 0;
	case IDENTIFY_ENVELOPE:
		identity_envelope(in, out);
		return 0;
	case IDENTIFY_AUTH:
		if (in->authname != NULL && identity_set(out, in->authname,
		    strlen(in->authname), 1) == 0)
			return 0;
		if (in->fallback) {
			identity_envelope(in, out);
			return 0;
		}
		snprintf(reply, replylen, "550 5.7.1 Your mail is identified "
		    "by the SMTP AUTH name, and this connection did not log "
		    "in: log in with AUTH");
		return -1;
	case IDENTIFY_HEADER:
		if (identity_by_headers(in, out) == 0)
			return 0;
		memset(out, 0, sizeof *out);
		if (in->fallback) {
			identity_envelope(in, out);
			return 0;
		}
		identity_refuse_header(in, reply, replylen);
		return -1;
	}
	return 0;
}
