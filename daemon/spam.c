/*
 * Spam verdicts: the engine for a spec, and what every engine shares
 * (GTUBE, verdicts and their JSON, learning a folder of messages).
 */
#define _GNU_SOURCE		/* asprintf, memmem */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "spam.h"

static const struct spam_engine *spam_engines[] = {
	&spam_builtin_engine,
	&spam_rspamd_engine,
	&spam_spamd_engine,
};

const struct spam_engine *
spam_engine_find(const char *spec, char **cause)
{
	size_t		 i, len;
	const char	*name;

	len = spec != NULL ? strcspn(spec, ":?") : 0;
	for (i = 0; i < sizeof spam_engines / sizeof spam_engines[0]; i++) {
		name = spam_engines[i]->name;
		if (len > 0 && strlen(name) == len &&
		    strncasecmp(spec, name, len) == 0)
			return spam_engines[i];
	}
	if (asprintf(cause, "spam engine \"%s\" is unknown (known: builtin, "
	    "rspamd://HOST:PORT, spamd://HOST:PORT)",
	    spec != NULL ? spec : "") == -1)
		*cause = NULL;
	return NULL;
}

/* A port: 1 to 65535, digits only. */
static int
spam_port(const char *s, size_t len, char *out)
{
	size_t	i;
	long	n = 0;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (n < 1 || n > 65535)
		return -1;
	snprintf(out, 6, "%ld", n);
	return 0;
}

/*
 * HOST:PORT of len bytes at s into host and port; an IPv6 address in
 * brackets; with dflt_host, ":PORT" or "PORT" alone take that host.
 * A sentence in why on refusal.
 */
static int
spam_hostport(const char *s, size_t len, const char *dflt_host, char *host,
    char *port, char *why, size_t whylen)
{
	const char	*end = s + len, *colon, *h = s;
	size_t		 hlen, i;

	if (len > 0 && *s == '[') {
		if ((colon = memchr(s, ']', len)) == NULL || colon == s + 1 ||
		    colon + 1 == end || colon[1] != ':') {
			snprintf(why, whylen, "an IPv6 address is written "
			    "[ADDRESS]:PORT");
			return -1;
		}
		h = s + 1;
		hlen = colon - h;
		colon++;
	} else if ((colon = memrchr(s, ':', len)) == NULL) {
		if (dflt_host == NULL) {
			snprintf(why, whylen, "no port: want HOST:PORT");
			return -1;
		}
		colon = s - 1;
		hlen = 0;
	} else
		hlen = colon - s;
	if (hlen == 0 && dflt_host != NULL) {
		h = dflt_host;
		hlen = strlen(dflt_host);
	}
	if (hlen == 0 || hlen >= 256) {
		snprintf(why, whylen, "no host: want HOST:PORT");
		return -1;
	}
	for (i = 0; i < hlen; i++) {
		if (!isalnum((unsigned char)h[i]) && strchr("-._:", h[i]) ==
		    NULL) {
			if (isprint((unsigned char)h[i]))
				snprintf(why, whylen, "'%c' in the host name",
				    h[i]);
			else
				snprintf(why, whylen, "byte 0x%02x in the host "
				    "name", (unsigned char)h[i]);
			return -1;
		}
		if (h[i] == ':' && *s != '[' && h != dflt_host) {
			snprintf(why, whylen, "an IPv6 address goes in "
			    "brackets: [::1]:PORT");
			return -1;
		}
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (spam_port(colon + 1, end - colon - 1, port) == -1) {
		snprintf(why, whylen, "the port must be a number from 1 to "
		    "65535");
		return -1;
	}
	return 0;
}

/* rspamd's "?controller=[HOST:]PORT": the only option there is. */
static int
spam_addr_options(const char *q, struct spam_addr *a, char *why,
    size_t whylen)
{
	static const char	opt[] = "controller=";

	if (strcmp(a->scheme, "rspamd") != 0) {
		snprintf(why, whylen, "%s:// takes no options", a->scheme);
		return -1;
	}
	if (strncmp(q, opt, sizeof opt - 1) != 0) {
		snprintf(why, whylen, "unknown option \"%.*s\" (known: "
		    "controller=[HOST:]PORT)", (int)strcspn(q, "="), q);
		return -1;
	}
	q += sizeof opt - 1;
	if (spam_hostport(q, strlen(q), a->host, a->ctl_host, a->ctl_port,
	    why, whylen) == -1) {
		snprintf(why + strlen(why), whylen - strlen(why), " (in "
		    "controller=)");
		return -1;
	}
	return 0;
}

/* Parse a network spec; a sentence in why on refusal. */
static int
spam_addr_why(const char *spec, struct spam_addr *a, char *why,
    size_t whylen)
{
	const char	*rest, *q;
	size_t		 n;

	memset(a, 0, sizeof *a);
	if ((rest = strstr(spec, "://")) == NULL) {
		snprintf(why, whylen, "want builtin, rspamd://HOST:PORT or "
		    "spamd://HOST:PORT");
		return -1;
	}
	n = rest - spec;
	if (n == 6 && strncasecmp(spec, "rspamd", 6) == 0)
		snprintf(a->scheme, sizeof a->scheme, "rspamd");
	else if (n == 5 && strncasecmp(spec, "spamd", 5) == 0)
		snprintf(a->scheme, sizeof a->scheme, "spamd");
	else {
		snprintf(why, whylen, "unknown engine \"%.*s\" (known: "
		    "builtin, rspamd://HOST:PORT, spamd://HOST:PORT)", (int)n,
		    spec);
		return -1;
	}
	for (q = spec; *q != '\0'; q++) {
		if ((unsigned char)*q <= ' ' || *q == 0x7f) {
			snprintf(why, whylen, "a space or control character");
			return -1;
		}
	}
	rest += 3;
	n = strcspn(rest, "?/");
	if (rest[n] == '/') {
		snprintf(why, whylen, "an engine address has no path (want "
		    "%s://HOST:PORT)", a->scheme);
		return -1;
	}
	if (spam_hostport(rest, n, NULL, a->host, a->port, why, whylen) == -1)
		return -1;
	if (rest[n] == '?' && spam_addr_options(rest + n + 1, a, why,
	    whylen) == -1)
		return -1;
	return 0;
}

int
spam_addr_parse(const char *spec, struct spam_addr *a, char **cause)
{
	char	why[256];

	if (spam_addr_why(spec, a, why, sizeof why) == -1) {
		if (asprintf(cause, "%s: %s", spec, why) == -1)
			*cause = NULL;
		return -1;
	}
	return 0;
}

int
spam_spec_check(const char *spec, char *why, size_t whylen)
{
	struct spam_addr	a;

	if (strcasecmp(spec, "builtin") == 0)
		return 0;
	return spam_addr_why(spec, &a, why, whylen);
}

int
spam_gtube(const char *msg, size_t len)
{
	return memmem(msg, len, SPAM_GTUBE, sizeof SPAM_GTUBE - 1) != NULL;
}

void
spam_verdict_init(struct spam_verdict *v, const char *engine)
{
	memset(v, 0, sizeof *v);
	snprintf(v->engine, sizeof v->engine, "%s", engine);
}

/* Cut s to fit len bytes without splitting a UTF-8 character. */
static void
spam_copy_utf8(char *dst, size_t len, const char *s)
{
	size_t	n = strlen(s);

	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

void
spam_verdict_clue(struct spam_verdict *v, const char *name, double value)
{
	if (v->nwhy == SPAM_WHY_MAX)
		return;
	spam_copy_utf8(v->why[v->nwhy].name, sizeof v->why[v->nwhy].name,
	    name);
	v->why[v->nwhy++].value = value;
}

void
spam_verdict_reason(struct spam_verdict *v, const char *reason)
{
	spam_copy_utf8(v->reason, sizeof v->reason, reason);
}

json_t *
spam_verdict_json(const struct spam_verdict *v)
{
	json_t	*why;
	size_t	 i;

	if ((why = json_array()) == NULL)
		return NULL;
	for (i = 0; i < v->nwhy; i++) {
		json_array_append_new(why, json_pack("{s:s,s:f}", "name",
		    v->why[i].name, "value", v->why[i].value));
	}
	return json_pack("{s:s,s:b,s:f,s:f,s:s,s:o}", "engine", v->engine,
	    "spam", v->spam, "score", v->score, "threshold", v->threshold,
	    "reason", v->reason, "why", why);
}

static char *
spam_errno(char **cause, const char *path)
{
	if (asprintf(cause, "%s: %s", path, strerror(errno)) == -1)
		*cause = NULL;
	return NULL;
}

char *
spam_file_read(const char *path, size_t *len, char **cause)
{
	FILE	*f;
	char	*buf = NULL, *nbuf;
	size_t	 cap = 0, n = 0, r;

	if ((f = fopen(path, "r")) == NULL)
		return spam_errno(cause, path);
	do {
		if (cap - n < 65536) {
			if ((nbuf = realloc(buf, cap + 65537)) == NULL) {
				free(buf);
				fclose(f);
				return spam_errno(cause, path);
			}
			buf = nbuf;
			cap += 65536;
		}
		n += (r = fread(buf + n, 1, cap - n, f));
	} while (r > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return spam_errno(cause, path);
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int
spam_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Learn one file of dir; regular files only. */
static int
spam_learn_file(const struct spam_engine *e, struct spam *sp,
    const char *dir, const char *name, int is_spam, size_t *count,
    char **cause)
{
	struct stat	 sb;
	char		*path, *msg, *why;
	size_t		 len;
	int		 rc;

	if (asprintf(&path, "%s/%s", dir, name) == -1)
		return spam_errno(cause, dir), -1;
	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode) || name[0] == '.') {
		free(path);
		return 0;
	}
	if ((msg = spam_file_read(path, &len, cause)) == NULL) {
		free(path);
		return -1;
	}
	if ((rc = e->learn(sp, msg, len, is_spam, cause)) == 0)
		(*count)++;
	else if (*cause != NULL && asprintf(&why, "%s: %s", path,
	    *cause) != -1) {
		free(*cause);
		*cause = why;
	}
	free(path);
	free(msg);
	return rc;
}

int
spam_learn_dir(const struct spam_engine *e, struct spam *sp, struct db *db,
    const char *dir, int is_spam, size_t *count, char **cause)
{
	return spam_learn_dir_progress(e, sp, db, dir, is_spam, NULL, NULL,
	    count, cause);
}

int
spam_learn_dir_progress(const struct spam_engine *e, struct spam *sp,
    struct db *db, const char *dir, int is_spam, spam_progress_fn *progress,
    void *arg, size_t *count, char **cause)
{
	struct dirent	**names;
	int		  i, n, rc = 0;

	*count = 0;
	if ((n = scandir(dir, &names, NULL, spam_name_cmp)) == -1)
		return spam_errno(cause, dir), -1;
	if (db != NULL && db_begin(db, cause) == -1)
		rc = -1;
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = spam_learn_file(e, sp, dir, names[i]->d_name,
			    is_spam, count, cause);
		if (rc == 0 && progress != NULL)
			progress(arg, i + 1, n);
		free(names[i]);
	}
	free(names);
	if (db != NULL && rc == 0)
		rc = db_commit(db, cause);
	if (db != NULL && rc != 0)
		db_rollback(db);
	return rc;
}
