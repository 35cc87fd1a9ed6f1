/*
 * Domain names and e-mail addresses: checked, and brought to the one form
 * stored and compared (lower-case ASCII, IDN as A-labels).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "db_int.h"

#define NAME_DOMAIN_MAX	253
#define NAME_LABEL_MAX	63
#define NAME_LOCAL_MAX	64

static void
name_cause(char **cause, const char *what, const char *s)
{
	if (cause != NULL && asprintf(cause, "\"%.200s\" is not a valid %s",
	    s, what) == -1)
		*cause = NULL;
}

/* One label: letters, digits and inner hyphens. */
static int
name_label_ok(const char *l, size_t n)
{
	size_t	i;

	if (n == 0 || n > NAME_LABEL_MAX || l[0] == '-' || l[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)l[i]) && l[i] != '-')
			return 0;
	}
	return 1;
}

/* At least two labels: a mail domain, not a host name of the LAN. */
static int
name_domain_ok(const char *d)
{
	const char	*dot;
	int		 labels = 0;

	if (strlen(d) > NAME_DOMAIN_MAX)
		return 0;
	for (;;) {
		dot = strchr(d, '.');
		if (!name_label_ok(d, dot != NULL ? (size_t)(dot - d) :
		    strlen(d)))
			return 0;
		labels++;
		if (dot == NULL)
			break;
		d = dot + 1;
	}
	return labels >= 2;
}

char *
db_domain_normalize(const char *in, char **cause)
{
	char	*out = NULL, *p;

	if (in == NULL || *in == '\0' ||
	    idn2_to_ascii_8z(in, &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT)
	    != IDN2_OK) {
		free(out);
		name_cause(cause, "domain name", in != NULL ? in : "");
		return NULL;
	}
	for (p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!name_domain_ok(out)) {
		free(out);
		name_cause(cause, "domain name", in);
		return NULL;
	}
	return out;
}

/* RFC 5322 dot-atom: atext runs joined by single dots. */
static int
name_local_ok(const char *l, size_t n)
{
	static const char	 special[] = "!#$%&'*+-/=?^_`{|}~";
	size_t			 i;

	if (n == 0 || n > NAME_LOCAL_MAX || l[0] == '.' || l[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (l[i] == '.' && l[i + 1] == '.')
			return 0;
		if (!isalnum((unsigned char)l[i]) && l[i] != '.' &&
		    strchr(special, l[i]) == NULL)
			return 0;
	}
	return 1;
}

char *
db_email_normalize(const char *in, char **domain_part, char **cause)
{
	const char	*at;
	char		*dom, *out;

	if (in == NULL || (at = strrchr(in, '@')) == NULL ||
	    !name_local_ok(in, (size_t)(at - in)) ||
	    (dom = db_domain_normalize(at + 1, NULL)) == NULL) {
		name_cause(cause, "e-mail address (local@domain)",
		    in != NULL ? in : "");
		return NULL;
	}
	if (asprintf(&out, "%.*s@%s", (int)(at - in), in, dom) == -1) {
		free(dom);
		name_cause(cause, "e-mail address", in);
		return NULL;
	}
	if (domain_part != NULL)
		*domain_part = dom;
	else
		free(dom);
	return out;
}
