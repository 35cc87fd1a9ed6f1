/*
 * rspamd as a spam engine, over its HTTP protocol: POST /checkv2 on the
 * normal worker for a verdict (JSON: action, score, required_score,
 * symbols), POST /learnspam or /learnham on the controller for learning.
 * The spec is "rspamd://HOST:PORT[?controller=[HOST:]PORT]"; without a
 * controller, learning is refused with a sentence saying how to name it.
 *
 * Every message is sent as from an authenticated sender (a "User"
 * header, as `rspamc -u` does): all mail through outfilterd comes from a
 * known customer, and rspamd then applies its outbound profile (no
 * greylisting, no checks of the client's IP against DNS lists, no SPF).
 *
 * A message is spam when rspamd's action would stop or mark it: reject,
 * add header, rewrite subject.  "soft reject" and "greylist" are rspamd's
 * ways of delaying mail, not verdicts on it.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "spam.h"

#define RSPAMD_ANSWER_MAX	(1024 * 1024)
#define RSPAMD_USER		"outfilterd"	/* the authenticated sender */

struct spam {
	struct spam_addr	 a;
	char			*spec;
	int			 timeout_ms;
};

static const char *const rspamd_spam_actions[] = {
	"reject", "add header", "rewrite subject", NULL
};

static int __attribute__((format(printf, 2, 3)))
rspamd_fail(char **cause, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
	return -1;
}

/* A symbol that fired: its name (the JSON's) and score. */
struct rspamd_sym {
	const char	*name;
	double		 value;
};

/* Strongest first, then by name, so verdicts are repeatable. */
static int
rspamd_clue_cmp(const void *a, const void *b)
{
	const struct rspamd_sym	*x = a, *y = b;

	if (fabs(x->value) != fabs(y->value))
		return fabs(x->value) > fabs(y->value) ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The symbols that fired, strongest first, as clues. */
static int
rspamd_symbols(json_t *symbols, struct spam_verdict *v, char **cause)
{
	struct rspamd_sym	*clues;
	const char		*name;
	json_t			*sym, *score;
	size_t			 n = 0, i;

	if (symbols == NULL)
		return 0;
	if (!json_is_object(symbols))
		return rspamd_fail(cause, "rspamd's \"symbols\" is not an "
		    "object");
	if ((clues = calloc(json_object_size(symbols) + 1,
	    sizeof *clues)) == NULL)
		return rspamd_fail(cause, "out of memory");
	json_object_foreach(symbols, name, sym) {
		score = json_is_object(sym) ? json_object_get(sym, "score") :
		    NULL;
		clues[n].name = name;
		clues[n++].value = json_is_number(score) ?
		    json_number_value(score) : 0;
		if (strcmp(name, "GTUBE") == 0)
			snprintf(v->reason, sizeof v->reason, "GTUBE");
	}
	qsort(clues, n, sizeof *clues, rspamd_clue_cmp);
	for (i = 0; i < n; i++)
		spam_verdict_clue(v, clues[i].name, clues[i].value);
	free(clues);
	return 0;
}

int
spam_rspamd_reply(const char *body, size_t len, struct spam_verdict *v,
    char **cause)
{
	json_error_t	 jerr;
	json_t		*j, *action, *score, *req;
	size_t		 i;
	int		 rc;

	spam_verdict_init(v, "rspamd");
	if ((j = json_loadb(body, len, 0, &jerr)) == NULL)
		return rspamd_fail(cause, "rspamd's answer is not JSON: %s",
		    jerr.text);
	action = json_object_get(j, "action");
	score = json_object_get(j, "score");
	req = json_object_get(j, "required_score");
	if (!json_is_string(action) || !json_is_number(score) ||
	    !json_is_number(req)) {
		if (json_is_string(json_object_get(j, "error")))
			rc = rspamd_fail(cause, "rspamd: %s", json_string_value(
			    json_object_get(j, "error")));
		else
			rc = rspamd_fail(cause, "rspamd's answer lacks action, "
			    "score or required_score");
		json_decref(j);
		return rc;
	}
	for (i = 0; rspamd_spam_actions[i] != NULL; i++) {
		if (strcmp(json_string_value(action),
		    rspamd_spam_actions[i]) == 0)
			v->spam = 1;
	}
	v->score = json_number_value(score);
	v->threshold = json_number_value(req);
	spam_verdict_reason(v, json_string_value(action));
	rc = rspamd_symbols(json_object_get(j, "symbols"), v, cause);
	json_decref(j);
	return rc;
}

/*
 * Split an HTTP answer: 0 with the status code, its reason phrase and
 * the body, or -1 with *cause.  The request asked for "Connection:
 * close", so the body is all that follows the header block.
 */
static int
rspamd_http(const char *answer, size_t len, int *code, char *reason,
    size_t rlen, const char **body, size_t *blen, char **cause)
{
	const char	*eol, *hend, *p;

	if (len < 12 || strncmp(answer, "HTTP/1.", 7) != 0 ||
	    answer[8] != ' ' || !isdigit((unsigned char)answer[9]) ||
	    !isdigit((unsigned char)answer[10]) ||
	    !isdigit((unsigned char)answer[11]))
		return rspamd_fail(cause, "not an HTTP answer: \"%.*s\"",
		    (int)(len > 40 ? 40 : len), answer);
	*code = (answer[9] - '0') * 100 + (answer[10] - '0') * 10 +
	    (answer[11] - '0');
	if ((eol = memchr(answer, '\n', len)) == NULL ||
	    (hend = memmem(answer, len, "\r\n\r\n", 4)) == NULL)
		return rspamd_fail(cause, "the HTTP answer ends inside its "
		    "header");
	for (p = answer + 12; p < eol && *p == ' '; p++)
		;
	snprintf(reason, rlen, "%.*s", (int)(eol - p - (eol[-1] == '\r')),
	    p);
	if (memmem(answer, hend - answer, "\nTransfer-Encoding: chunked",
	    27) != NULL)
		return rspamd_fail(cause, "the HTTP answer is chunked, which "
		    "was not asked for");
	*body = hend + 4;
	*blen = len - (hend + 4 - answer);
	return 0;
}

/* POST msg to path at host:port; the whole answer. */
static char *
rspamd_post(struct spam *sp, const char *host, const char *port,
    const char *path, const char *msg, size_t len, size_t *alen,
    char **cause)
{
	char	*req, *answer;
	int	 n, v6 = strchr(host, ':') != NULL;

	if ((n = asprintf(&req, "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
	    "User: " RSPAMD_USER "\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", path, v6 ? "[" : "", host,
	    v6 ? "]" : "", port, len)) == -1) {
		*cause = NULL;
		return NULL;
	}
	answer = spam_net_exchange(host, port, sp->timeout_ms, req, n, msg,
	    len, RSPAMD_ANSWER_MAX, alen, cause);
	free(req);
	return answer;
}

/* Prefix *cause with the engine's spec, so it says who failed. */
static int
rspamd_blame(struct spam *sp, char **cause)
{
	char	*why = *cause;

	if (asprintf(cause, "%s: %s", sp->spec, why != NULL ? why :
	    "out of memory") == -1)
		*cause = why;
	else
		free(why);
	return -1;
}

static struct spam *
rspamd_open(const struct spam_config *cfg, char **cause)
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
	    strcmp(sp->a.scheme, "rspamd") != 0) {
		if (*cause == NULL)
			rspamd_fail(cause, "%s: not rspamd://HOST:PORT",
			    cfg->spec);
		free(sp->spec);
		free(sp);
		return NULL;
	}
	return sp;
}

static void
rspamd_close(struct spam *sp)
{
	if (sp == NULL)
		return;
	free(sp->spec);
	free(sp);
}

static int
rspamd_check(struct spam *sp, const char *msg, size_t len,
    struct spam_verdict *v, char **cause)
{
	const char	*body;
	char		*answer, reason[128];
	size_t		 alen, blen;
	int		 code, rc;

	*cause = NULL;
	if ((answer = rspamd_post(sp, sp->a.host, sp->a.port, "/checkv2", msg,
	    len, &alen, cause)) == NULL)
		return rspamd_blame(sp, cause);
	if ((rc = rspamd_http(answer, alen, &code, reason, sizeof reason,
	    &body, &blen, cause)) == 0) {
		if (code != 200)
			rc = rspamd_fail(cause, "/checkv2 answered %d %s", code,
			    reason);
		else
			rc = spam_rspamd_reply(body, blen, v, cause);
	}
	free(answer);
	return rc == 0 ? 0 : rspamd_blame(sp, cause);
}

/* What the controller says when it did not learn: its error, or status. */
static int
rspamd_learn_refused(const char *body, size_t blen, int code,
    const char *reason, char **cause)
{
	json_t	*j, *e;
	int	 rc;

	if ((j = json_loadb(body, blen, 0, NULL)) != NULL &&
	    json_is_string(e = json_object_get(j, "error")))
		rc = rspamd_fail(cause, "the controller did not learn: %s",
		    json_string_value(e));
	else
		rc = rspamd_fail(cause, "the controller did not learn: %d %s",
		    code, reason);
	json_decref(j);
	return rc;
}

static int
rspamd_learn(struct spam *sp, const char *msg, size_t len, int is_spam,
    char **cause)
{
	const char	*body;
	char		*answer, reason[128];
	size_t		 alen, blen;
	int		 code, rc;

	*cause = NULL;
	if (sp->a.ctl_host[0] == '\0') {
		rspamd_fail(cause, "learning goes through rspamd's controller; "
		    "name it in the engine: rspamd://%s%s%s:%s?controller=PORT",
		    strchr(sp->a.host, ':') ? "[" : "", sp->a.host,
		    strchr(sp->a.host, ':') ? "]" : "", sp->a.port);
		return rspamd_blame(sp, cause);
	}
	if ((answer = rspamd_post(sp, sp->a.ctl_host, sp->a.ctl_port,
	    is_spam ? "/learnspam" : "/learnham", msg, len, &alen,
	    cause)) == NULL)
		return rspamd_blame(sp, cause);
	if ((rc = rspamd_http(answer, alen, &code, reason, sizeof reason,
	    &body, &blen, cause)) == 0 && code != 200)
		rc = rspamd_learn_refused(body, blen, code, reason, cause);
	free(answer);
	return rc == 0 ? 0 : rspamd_blame(sp, cause);
}

const struct spam_engine spam_rspamd_engine = {
	.name = "rspamd",
	.open = rspamd_open,
	.check = rspamd_check,
	.learn = rspamd_learn,
	.close = rspamd_close,
};
