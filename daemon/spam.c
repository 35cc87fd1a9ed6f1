/*
 * Spam verdicts: the engine for a spec, and what every engine shares
 * (GTUBE, verdicts and their JSON, learning a folder of messages).
 */
#define _GNU_SOURCE		/* asprintf, memmem */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "spam.h"

static const struct spam_engine *spam_engines[] = {
	&spam_builtin_engine,
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
	if (asprintf(cause, "spam engine \"%s\" is unknown (known: builtin)",
	    spec != NULL ? spec : "") == -1)
		*cause = NULL;
	return NULL;
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
	char		*path, *msg;
	size_t		 len;
	int		 rc;

	if (asprintf(&path, "%s/%s", dir, name) == -1)
		return spam_errno(cause, dir), -1;
	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode) || name[0] == '.') {
		free(path);
		return 0;
	}
	msg = spam_file_read(path, &len, cause);
	free(path);
	if (msg == NULL)
		return -1;
	if ((rc = e->learn(sp, msg, len, is_spam, cause)) == 0)
		(*count)++;
	free(msg);
	return rc;
}

int
spam_learn_dir(const struct spam_engine *e, struct spam *sp, struct db *db,
    const char *dir, int is_spam, size_t *count, char **cause)
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
		free(names[i]);
	}
	free(names);
	if (db != NULL && rc == 0)
		rc = db_commit(db, cause);
	if (db != NULL && rc != 0)
		db_rollback(db);
	return rc;
}
