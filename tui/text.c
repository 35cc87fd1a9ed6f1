/*
 * Text on the screen.  CDK draws bytes, not characters: anything outside
 * printable ASCII comes out as garbage and shifts the columns.  So every
 * text from the daemon passes through here: domains become punycode, other
 * non-ASCII code points "\u00fc", broken UTF-8 and control bytes "\xHH",
 * and a "<" that CDK would take for a format command "\x3c".
 */
#define _GNU_SOURCE		/* asprintf */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "tui.h"

/* Length of the UTF-8 sequence at s and its code point, or 0 if broken. */
static int
text_utf8(const unsigned char *s, unsigned *cp)
{
	int	n, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	*cp = s[0] & (0x3f >> (n - 1));
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/* Would CDK read a format command ("</B>", "<#UL>", "<C>") at s? */
static int
text_cdk_format(const char *s)
{
	return s[0] == '<' && (s[1] == '/' || s[1] == '!' || s[1] == '#' ||
	    isupper((unsigned char)s[1]));
}

/* One byte or sequence of s into out (room for 11 bytes); returns its length. */
static int
text_escape_one(const char *s, char *out)
{
	const unsigned char	*u = (const unsigned char *)s;
	unsigned		 cp;
	int			 n;

	if (u[0] >= 0x20 && u[0] < 0x7f && !text_cdk_format(s)) {
		out[0] = s[0];
		out[1] = '\0';
		return 1;
	}
	if (u[0] >= 0x80 && (n = text_utf8(u, &cp)) > 0) {
		snprintf(out, 11, cp > 0xffff ? "\\U%08x" : "\\u%04x", cp);
		return n;
	}
	snprintf(out, 11, "\\x%02x", u[0]);
	return 1;
}

static char *
text_escape(const char *s)
{
	size_t	 len = 0, n;
	char	*out = malloc(strlen(s) * 10 + 1), one[11];

	if (out == NULL)
		return NULL;
	while (*s != '\0') {
		s += text_escape_one(s, one);
		n = strlen(one);
		memcpy(out + len, one, n);
		len += n;
	}
	out[len] = '\0';
	return out;
}

static int
text_is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return 0;
	}
	return 1;
}

char *
text_safe(const char *s, int domain)
{
	char	*ace = NULL, *out;

	if (s == NULL)
		return strdup("-");
	/* The daemon stores IDNs in ASCII already; this is for the rest. */
	if (domain && !text_is_ascii(s) &&
	    idn2_to_ascii_8z(s, &ace, IDN2_NONTRANSITIONAL) == IDN2_OK) {
		out = text_escape(ace);
		idn2_free(ace);
		return out;
	}
	return text_escape(s);
}

/* s cut or padded to exactly width columns (s is ASCII by now). */
void
text_cell(char *buf, size_t size, const char *s, int width)
{
	int	len = (int)strlen(s);

	if (width <= 0 || (size_t)width >= size) {
		snprintf(buf, size, "%s", s);
		return;
	}
	if (len > width && width > 1)
		snprintf(buf, size, "%.*s~", width - 1, s);
	else
		snprintf(buf, size, "%-*s", width, s);
}

char *
text_value(const json_t *v, int domain)
{
	char	*raw = NULL, *out;
	size_t	 i;
	json_t	*e;

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) == 0)
			return strdup("-");
		return text_safe(json_string_value(v), domain);
	case JSON_INTEGER:
		if (asprintf(&raw, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v)) == -1)
			return NULL;
		return raw;
	case JSON_TRUE:
		return strdup("yes");
	case JSON_FALSE:
		return strdup("no");
	case JSON_NULL:
		return strdup("-");
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			return strdup("-");
		json_array_foreach(v, i, e) {
			char	*one = text_value(e, domain), *joined;

			if (asprintf(&joined, "%s%s%s", raw ? raw : "",
			    raw ? ", " : "", one ? one : "?") == -1)
				joined = NULL;
			free(one);
			free(raw);
			if ((raw = joined) == NULL)
				return NULL;
		}
		return raw;
	default:
		raw = json_dumps(v, JSON_COMPACT);
		out = text_safe(raw, 0);
		free(raw);
		return out;
	}
}

void
text_duration(char *buf, size_t size, long long secs)
{
	if (secs >= 86400)
		snprintf(buf, size, "%lldd %02lld:%02lld:%02lld", secs / 86400,
		    secs % 86400 / 3600, secs % 3600 / 60, secs % 60);
	else
		snprintf(buf, size, "%02lld:%02lld:%02lld", secs / 3600,
		    secs % 3600 / 60, secs % 60);
}
