/*
 * SpamAssassin's spamd as a spam engine, over its SPAMC/1.5 protocol:
 * REPORT for a verdict with the rules that fired and their points, TELL
 * for learning (spamd must run with --allow-tell).  The spec is
 * "spamd://HOST:PORT".
 */
#define _GNU_SOURCE		/* asprintf, strcasestr */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spam.h"

#define SPAMD_ANSWER_MAX	(256 * 1024)

struct spam {
	struct spam_addr	 a;
	char			*spec;
	int			 timeout_ms;
};

/* One line of an answer: [s, s + len), its end of line left out. */
struct spamd_line {
	const char	*s;
	size_t		 len;
};

static int __attribute__((format(printf, 2, 3)))
spamd_fail(char **cause, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
	return -1;
}

/* The line at *p (up to end), moving *p past it; 0 at the end. */
static int
spamd_next_line(const char **p, const char *end, struct spamd_line *l)
{
	const char	*nl;

	if (*p >= end)
		return 0;
	l->s = *p;
	nl = memchr(*p, '\n', end - *p);
	l->len = (nl != NULL ? nl : end) - *p;
	*p = nl != NULL ? nl + 1 : end;
	if (l->len > 0 && l->s[l->len - 1] == '\r')
		l->len--;
	return 1;
}

/*
 * "SPAMD/1.1 0 EX_OK": 0 when the code is 0, else -1 with the line in
 * *cause.
 */
static int
spamd_status(const struct spamd_line *l, char **cause)
{
	const char	*p = l->s + 6, *end = l->s + l->len;
	long		 code = 0;

	if (l->len < 8 || strncmp(l->s, "SPAMD/", 6) != 0)
		return spamd_fail(cause, "not a SPAMD answer: \"%.*s\"",
		    (int)(l->len > 60 ? 60 : l->len), l->s);
	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	if (p == end || !isdigit((unsigned char)*p))
		return spamd_fail(cause, "a SPAMD answer without a code: "
		    "\"%.*s\"", (int)(l->len > 60 ? 60 : l->len), l->s);
	while (p < end && isdigit((unsigned char)*p) && code < 1000)
		code = code * 10 + (*p++ - '0');
	while (p < end && *p == ' ')
		p++;
	if (code != 0)
		return spamd_fail(cause, "spamd refused (%ld): %.*s", code,
		    (int)(end - p > 200 ? 200 : end - p), p);
	return 0;
}

/* "Spam: True ; 1000.0 / 5.0" */
static int
spamd_spam_header(const struct spamd_line *l, struct spam_verdict *v,
    char **cause)
{
	char	line[256], word[16];
	double	score, threshold;

	snprintf(line, sizeof line, "%.*s", (int)l->len, l->s);
	if (sscanf(line + 5, " %15[A-Za-z] ; %lf / %lf", word, &score,
	    &threshold) != 3 || !isfinite(score) || !isfinite(threshold))
		return spamd_fail(cause, "spamd's Spam header is not \"True|"
		    "False ; SCORE / THRESHOLD\": \"%.60s\"", line);
	if (strcasecmp(word, "true") == 0 || strcasecmp(word, "yes") == 0)
		v->spam = 1;
	else if (strcasecmp(word, "false") == 0 || strcasecmp(word, "no") == 0)
		v->spam = 0;
	else
		return spamd_fail(cause, "spamd's Spam header says \"%s\", "
		    "neither True nor False", word);
	v->score = score;
	v->threshold = threshold;
	return 1;
}

/* Strongest first, then by name, so verdicts are repeatable. */
static int
spamd_clue_cmp(const void *a, const void *b)
{
	const struct spam_clue	*x = a, *y = b;

	if (fabs(x->value) != fabs(y->value))
		return fabs(x->value) > fabs(y->value) ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * The rules of a report's table, after its "---- ----" line: " 2.5
 * RULE_NAME  Description", descriptions going on in indented lines.
 */
static void
spamd_rules(const char *p, const char *end, struct spam_verdict *v)
{
	struct spam_clue	 clues[64];
	struct spamd_line	 l;
	regex_t			 re;
	regmatch_t		 m[4];
	char			 line[256], name[64];
	size_t			 n = 0, i;
	int			 table = 0;

	if (regcomp(&re, "^ {0,4}(-?[0-9]+(\\.[0-9]+)?) +([A-Z][A-Z0-9_]+)"
	    "( |$)", REG_EXTENDED) != 0)
		return;
	while (n < 64 && spamd_next_line(&p, end, &l)) {
		snprintf(line, sizeof line, "%.*s", (int)l.len, l.s);
		if (!table) {
			table = strncmp(line, "---- ", 5) == 0;
			continue;
		}
		if (regexec(&re, line, 4, m, 0) != 0)
			continue;
		snprintf(name, sizeof name, "%.*s",
		    (int)(m[3].rm_eo - m[3].rm_so), line + m[3].rm_so);
		snprintf(clues[n].name, sizeof clues[n].name, "%s", name);
		clues[n++].value = strtod(line + m[1].rm_so, NULL);
	}
	regfree(&re);
	qsort(clues, n, sizeof *clues, spamd_clue_cmp);
	for (i = 0; i < n; i++) {
		spam_verdict_clue(v, clues[i].name, clues[i].value);
		if (strcmp(clues[i].name, "GTUBE") == 0)
			snprintf(v->reason, sizeof v->reason, "GTUBE");
	}
}

int
spam_spamd_reply(const char *reply, size_t len, struct spam_verdict *v,
    char **cause)
{
	const char		*p = reply, *end = reply + len;
	struct spamd_line	 l;
	int			 have = 0;

	spam_verdict_init(v, "spamd");
	snprintf(v->reason, sizeof v->reason, "rules");
	if (!spamd_next_line(&p, end, &l))
		return spamd_fail(cause, "spamd closed the connection without "
		    "answering");
	if (spamd_status(&l, cause) == -1)
		return -1;
	while (spamd_next_line(&p, end, &l) && l.len > 0) {
		if (l.len > 5 && strncasecmp(l.s, "Spam:", 5) == 0 &&
		    (have = spamd_spam_header(&l, v, cause)) == -1)
			return -1;
	}
	if (!have)
		return spamd_fail(cause, "spamd's answer has no Spam header");
	spamd_rules(p, end, v);
	return 0;
}

static struct spam *
spamd_open(const struct spam_config *cfg, char **cause)
{
	struct spam	*sp;

	if ((sp = calloc(1, sizeof *sp)) == NULL ||
	    (sp->spec = strdup(cfg->spec)) == NULL) {
		free(sp);
		*cause = strdup("out of memory");
		return NULL;
	}
	sp->timeout_ms = cfg->timeout_ms;
	*cause = NULL;
	if (spam_addr_parse(cfg->spec, &sp->a, cause) == -1 ||
	    strcmp(sp->a.scheme, "spamd") != 0) {
		if (*cause == NULL)
			spamd_fail(cause, "%s: not spamd://HOST:PORT",
			    cfg->spec);
		free(sp->spec);
		free(sp);
		return NULL;
	}
	return sp;
}

static void
spamd_close(struct spam *sp)
{
	if (sp == NULL)
		return;
	free(sp->spec);
	free(sp);
}

/* Prefix *cause with the engine's spec, so it says who failed. */
static int
spamd_blame(struct spam *sp, char **cause)
{
	char	*why = *cause;

	if (asprintf(cause, "%s: %s", sp->spec, why != NULL ? why :
	    "out of memory") == -1)
		*cause = why;
	else
		free(why);
	return -1;
}

/*
 * Send one SPAMC request (verb, its extra header lines) with msg; the
 * whole answer, or NULL with *cause.
 */
static char *
spamd_ask(struct spam *sp, const char *verb, const char *headers,
    const char *msg, size_t len, size_t *alen, char **cause)
{
	char	*req, *answer;
	int	 n;

	if ((n = asprintf(&req, "%s SPAMC/1.5\r\nContent-length: %zu\r\n"
	    "%s\r\n", verb, len, headers)) == -1) {
		*cause = NULL;
		return NULL;
	}
	answer = spam_net_exchange(sp->a.host, sp->a.port, sp->timeout_ms,
	    req, n, msg, len, SPAMD_ANSWER_MAX, alen, cause);
	free(req);
	return answer;
}

static int
spamd_check(struct spam *sp, const char *msg, size_t len,
    struct spam_verdict *v, char **cause)
{
	char	*answer;
	size_t	 alen;
	int	 rc;

	*cause = NULL;
	if ((answer = spamd_ask(sp, "REPORT", "", msg, len, &alen,
	    cause)) == NULL)
		return spamd_blame(sp, cause);
	rc = spam_spamd_reply(answer, alen, v, cause);
	free(answer);
	return rc == 0 ? 0 : spamd_blame(sp, cause);
}

/*
 * TELL: learn into spamd's local database (Bayes).  spamd answers
 * "DidSet: local" when it learnt, nothing when it knew the message
 * already: both are success.
 */
static int
spamd_learn(struct spam *sp, const char *msg, size_t len, int is_spam,
    char **cause)
{
	struct spamd_line	 l;
	const char		*p;
	char			*answer;
	size_t			 alen;
	int			 rc;

	*cause = NULL;
	if ((answer = spamd_ask(sp, "TELL", is_spam ?
	    "Message-class: spam\r\nSet: local\r\n" :
	    "Message-class: ham\r\nSet: local\r\n", msg, len, &alen,
	    cause)) == NULL)
		return spamd_blame(sp, cause);
	p = answer;
	if (!spamd_next_line(&p, answer + alen, &l))
		rc = spamd_fail(cause, "spamd closed the connection without "
		    "answering");
	else
		rc = spamd_status(&l, cause);
	free(answer);
	return rc == 0 ? 0 : spamd_blame(sp, cause);
}

const struct spam_engine spam_spamd_engine = {
	.name = "spamd",
	.open = spamd_open,
	.check = spamd_check,
	.learn = spamd_learn,
	.close = spamd_close,
};
