/*
 * Known tools by SHA-256 (see content_hashes.h): the admin's list and the
 * scanner's lookup in it.
 */
#define _GNU_SOURCE		/* strndup, reallocarray */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "content_hashes.h"
#include "db.h"
#include "ipc.h"
#include "log.h"

/* Bad lines shown in the report, and bytes of each shown. */
#define HASHES_BAD_SHOWN	20
#define HASHES_BAD_TEXT		80
/* The longest tool name. */
#define HASHES_NAME_MAX		128

/* The categories and how a refusal names them. */
static const struct {
	const char	*id;
	const char	*what;
} hashes_categories[] = {
	{ "password-tools",	"password tool" },
	{ "network-tools",	"network tool" },
	{ "p2p",		"peer-to-peer client" },
	{ "remote-access",	"remote access tool" },
	{ "system-tools",	"system tool" },
	{ "spying-tools",	"spying tool" },
	{ "other",		"unwanted tool" },
};
#define HASHES_NCATEGORIES \
	(sizeof hashes_categories / sizeof hashes_categories[0])

static const char *
hashes_category_what(const char *id)
{
	size_t	i;

	for (i = 0; i < HASHES_NCATEGORIES; i++)
		if (strcmp(hashes_categories[i].id, id) == 0)
			return hashes_categories[i].what;
	return NULL;
}

/* What an import gathers from the text. */
struct hashes_batch {
	struct db_hash_line	*lines;
	size_t			 n, cap;
	json_int_t		 read, skipped, bad;
	json_t			*bad_lines;
};

static void
hashes_batch_free(struct hashes_batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		free((char *)b->lines[i].sha256);
		free((char *)b->lines[i].name);
	}
	free(b->lines);
	json_decref(b->bad_lines);
}

static json_t *
hashes_bad_line(int64_t n, const char *line, const char *why)
{
	char	text[HASHES_BAD_TEXT + 4];
	size_t	i;

	for (i = 0; line[i] != '\0' && i < HASHES_BAD_TEXT; i++)
		text[i] = (unsigned char)line[i] >= 0x20 &&
		    (unsigned char)line[i] < 0x7f ? line[i] : '?';
	if (line[i] != '\0')
		memcpy(text + i, "...", 4);
	else
		text[i] = '\0';
	return json_pack("{s:I,s:s,s:s}", "line", (json_int_t)n, "text", text,
	    "error", why);
}

/* A field without the blanks around it, in place. */
static char *
hashes_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/*
 * One line, changed in place: 1 with its fields, 0 skipped, -1 bad with
 * why.
 */
static int
hashes_parse(char *line, char **hash, char **name, const char **category,
    char *why, size_t len)
{
	char	*f[3], *p = hashes_trim(line), *c;
	size_t	 n = 0, i;

	if (*p == '\0' || *p == '#')
		return 0;
	f[1] = f[2] = NULL;
	for (f[n++] = p; (c = strchr(p, ',')) != NULL; f[n++] = p) {
		if (n == 3) {
			snprintf(why, len, "more than 3 fields: "
			    "SHA256[,NAME[,CATEGORY]]");
			return -1;
		}
		*c = '\0';
		p = c + 1;
	}
	for (i = 0; i < n; i++)
		f[i] = hashes_trim(f[i]);
	if (strlen(f[0]) != 64 || strspn(f[0], "0123456789abcdefABCDEF") != 64) {
		snprintf(why, len, "sha256: not 64 hexadecimal digits");
		return -1;
	}
	for (p = f[0]; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (f[1] != NULL) {
		if (strlen(f[1]) > HASHES_NAME_MAX) {
			snprintf(why, len, "name: longer than %d bytes",
			    HASHES_NAME_MAX);
			return -1;
		}
		for (p = f[1]; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 ||
			    (unsigned char)*p >= 0x7f) {
				snprintf(why, len, "name: not printable "
				    "ASCII");
				return -1;
			}
	}
	*category = "other";
	if (f[2] != NULL && *f[2] != '\0') {
		for (i = 0; i < HASHES_NCATEGORIES; i++)
			if (strcasecmp(f[2], hashes_categories[i].id) == 0)
				break;
		if (i == HASHES_NCATEGORIES) {
			snprintf(why, len, "category: \"%.40s\" is none of "
			    "password-tools, network-tools, p2p, "
			    "remote-access, system-tools, spying-tools, "
			    "other", f[2]);
			return -1;
		}
		*category = hashes_categories[i].id;
	}
	*hash = f[0];
	*name = f[1] != NULL ? f[1] : "";
	return 1;
}

static int
hashes_batch_line(struct hashes_batch *b, const char *text, size_t tlen,
    int64_t number)
{
	struct db_hash_line	*l;
	const char		*category;
	char			*line, *copy, *hash, *name, why[256];
	size_t			 cap;
	int			 r, rc = -1;

	b->read++;
	if ((line = strndup(text, tlen)) == NULL)
		return -1;
	if ((copy = strdup(line)) == NULL)
		goto out;
	r = hashes_parse(copy, &hash, &name, &category, why, sizeof why);
	if (r == 0)
		b->skipped++;
	else if (r == -1) {
		if (b->bad++ < HASHES_BAD_SHOWN)
			json_array_append_new(b->bad_lines,
			    hashes_bad_line(number, line, why));
	} else {
		if (b->n == b->cap) {
			cap = b->cap == 0 ? 256 : b->cap * 2;
			if ((l = reallocarray(b->lines, cap,
			    sizeof *l)) == NULL)
				goto out;
			b->lines = l;
			b->cap = cap;
		}
		l = &b->lines[b->n];
		l->category = category;
		if ((l->sha256 = strdup(hash)) == NULL)
			goto out;
		if ((l->name = strdup(name)) == NULL) {
			free((char *)l->sha256);
			goto out;
		}
		b->n++;
	}
	rc = 0;
out:
	free(copy);
	free(line);
	return rc;
}

int
content_hashes_import(struct db *db, const char *text, int64_t first_line,
    json_t **result, char **cause)
{
	struct hashes_batch	 b;
	const char		*p, *nl;
	size_t			 n;
	int64_t			 taken;
	int			 rc = 0;

	*result = NULL;
	if (first_line < 1)
		first_line = 1;
	memset(&b, 0, sizeof b);
	if ((b.bad_lines = json_array()) == NULL)
		rc = -1;
	for (p = text; rc == 0 && *p != '\0';
	    p = nl != NULL ? nl + 1 : p + n) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		rc = hashes_batch_line(&b, p, n > 0 && p[n - 1] == '\r' ?
		    n - 1 : n, first_line + b.read);
	}
	if (rc == -1) {
		hashes_batch_free(&b);
		return ipc_cause(cause, "out of memory");
	}
	rc = -1;
	if (db_hashes_import(db, b.lines, b.n, (int64_t)time(NULL), &taken,
	    cause) == 0) {
		*result = json_pack("{s:I,s:I,s:I,s:I,s:O}", "lines", b.read,
		    "imported", (json_int_t)taken, "skipped", b.skipped,
		    "bad", b.bad, "bad_lines", b.bad_lines);
		rc = *result != NULL ? 0 : ipc_cause(cause, "out of memory");
	}
	hashes_batch_free(&b);
	return rc;
}

int
content_hashes_count(struct db *db, json_t **result, char **cause)
{
	json_t	*cats;
	int64_t	 total;
	size_t	 i;

	*result = NULL;
	if ((cats = json_object()) == NULL)
		return ipc_cause(cause, "out of memory");
	for (i = 0; i < HASHES_NCATEGORIES; i++)
		json_object_set_new(cats, hashes_categories[i].id,
		    json_integer(0));
	if (db_hashes_count(db, cats, &total, cause) == -1) {
		json_decref(cats);
		return -1;
	}
	if ((*result = json_pack("{s:I,s:o}", "total", (json_int_t)total,
	    "categories", cats)) == NULL)
		return ipc_cause(cause, "out of memory");
	return 0;
}

int
content_hashes_blob(void *arg, const char *name, const unsigned char *p,
    size_t len, char *what, size_t whatlen)
{
	struct db	*db = arg;
	unsigned char	 sum[crypto_hash_sha256_BYTES];
	char		 hex[crypto_hash_sha256_BYTES * 2 + 1];
	char		 tool[HASHES_NAME_MAX + 1], category[32], *cause = NULL;
	const char	*cw;
	int		 rc;

	crypto_hash_sha256(sum, p, len);
	sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
	rc = db_hashes_get(db, hex, tool, sizeof tool, category,
	    sizeof category, &cause);
	if (rc == -1) {
		log_warnx("sha256 list: looking up %s (%s): %s", hex, name,
		    cause != NULL ? cause : "failed");
		free(cause);
		return 0;
	}
	if (rc == 1)
		return 0;
	if ((cw = hashes_category_what(category)) == NULL)
		cw = "unwanted tool";
	if (*tool != '\0')
		snprintf(what, whatlen, "is %s, a known %s (%s, sha256 list)",
		    tool, cw, category);
	else
		snprintf(what, whatlen, "is a known %s (%s, sha256 list)", cw,
		    category);
	return 1;
}
