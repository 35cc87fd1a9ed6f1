/*
 * A lock-notification template with sample values in its placeholders,
 * as the daemon renders a notice (daemon/notice.h): {user} {identity}
 * {domain} {reason} {spam_count} {window_minutes} {locked_at} {unlock_at}
 * {auto_unlocks_left} {admin_contact}; "{{" and "}}" write a brace.  An
 * unknown placeholder is left as it is: the daemon refuses it on saving.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

const char *const tmpl_samples[][2] = {
	{ "user",		"alice@example.com" },
	{ "identity",		"newsletter@example.com" },
	{ "domain",		"example.com" },
	{ "reason",		"5 spam messages within 10 minutes" },
	{ "spam_count",		"5" },
	{ "window_minutes",	"10" },
	{ "locked_at",		"2026-11-27 14:00 UTC" },
	{ "unlock_at",		"2026-11-27 15:00 UTC" },
	{ "auto_unlocks_left",	"2" },
	{ "admin_contact",	"postmaster@example.com" },
	{ NULL, NULL }
};

static const char *
tmpl_sample(const char *name, size_t len)
{
	int	i;

	for (i = 0; tmpl_samples[i][0] != NULL; i++) {
		if (strlen(tmpl_samples[i][0]) == len &&
		    strncmp(tmpl_samples[i][0], name, len) == 0)
			return tmpl_samples[i][1];
	}
	return NULL;
}

char *
tmpl_render(const char *text)
{
	const char	*p, *end, *v;
	char		*out;
	size_t		 size, len = 0, n;

	if (text == NULL)
		return strdup("");
	/* A sample is at most 40 bytes longer than its placeholder. */
	size = strlen(text) * 21 + 1;
	if ((out = malloc(size)) == NULL)
		return NULL;
	for (p = text; *p != '\0'; p += n) {
		n = 1;
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' &&
		    p[1] == '}')) {
			out[len++] = p[0];
			n = 2;
			continue;
		}
		if (p[0] == '{' && (end = strchr(p + 1, '}')) != NULL &&
		    (v = tmpl_sample(p + 1, end - p - 1)) != NULL) {
			len += snprintf(out + len, size - len, "%s", v);
			n = end - p + 1;
			continue;
		}
		out[len++] = p[0];
	}
	out[len] = '\0';
	return out;
}
