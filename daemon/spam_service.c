/*
 * The daemon's spam service: the engine named by [spam] engine, shared
 * by the worker threads (checks), the control thread (checks, learning,
 * status) and the main thread (reloads).
 *
 * The engine in use is an instance counted by reference: a check takes a
 * reference for its length, so a reload swaps in a new instance at once
 * and the old one is closed by whoever lets go of it last; the main
 * thread never waits for a slow engine.  Checks run side by side (the
 * builtin engine guards its counts with its own read-write lock);
 * learning is taken one call at a time, as it may use the service's own
 * database handle, which belongs to one thread at a time.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf.h"
#include "db.h"
#include "log.h"
#include "spam.h"

/* One opened engine. */
struct spam_inst {
	const struct spam_engine	*eng;
	struct spam			*sp;
	char				*spec;
	int				 timeout_ms;
	int				 refs;	/* under the service's mtx */
};

/* What the status shows; its own lock, so status() takes a const. */
struct spam_stats {
	pthread_mutex_t	 mtx;
	char		 engine[16];
	char		 spec[512];
	int		 timeout;		/* seconds */
	uint64_t	 checks, failures, learnt;
	time_t		 last_failure;
	char		 last_error[512];
	int		 failing;		/* the last check failed */
};

struct spam_service {
	pthread_mutex_t		 mtx;		/* cur and every inst's refs */
	pthread_mutex_t		 learn_mtx;	/* db, seen_*, one learner */
	struct spam_inst	*cur;
	char			*dbpath;
	struct db		*db;		/* builtin: the token store */
	int64_t			 seen_ham, seen_spam; /* totals cur knows */
	int			 pass;		/* on_failure = pass */
	struct spam_stats	*st;
};

static int
spam_builtin(const struct spam_engine *e)
{
	return e == &spam_builtin_engine;
}

static void
spam_inst_free(struct spam_inst *in)
{
	if (in == NULL)
		return;
	if (in->sp != NULL)
		in->eng->close(in->sp);
	free(in->spec);
	free(in);
}

/*
 * Open the engine of spec.  The builtin one loads its counts through the
 * service's database handle (opened on first need); call with learn_mtx
 * held.
 */
static struct spam_inst *
spam_inst_open(struct spam_service *s, const char *spec, int timeout_ms,
    char **cause)
{
	struct spam_config	 cfg;
	struct spam_inst	*in;
	int64_t			 ham = 0, spam = 0;

	if ((in = calloc(1, sizeof *in)) == NULL ||
	    (in->spec = strdup(spec)) == NULL) {
		free(in);
		*cause = strdup("out of memory");
		return NULL;
	}
	in->timeout_ms = timeout_ms;
	in->refs = 1;
	if ((in->eng = spam_engine_find(spec, cause)) == NULL)
		goto fail;
	memset(&cfg, 0, sizeof cfg);
	cfg.spec = spec;
	cfg.timeout_ms = timeout_ms;
	if (spam_builtin(in->eng)) {
		if (s->db == NULL &&
		    (s->db = db_open(s->dbpath, 0, cause)) == NULL)
			goto fail;
		if (db_spam_totals(s->db, &ham, &spam, cause) == -1)
			goto fail;
		cfg.db = s->db;
	}
	if ((in->sp = in->eng->open(&cfg, cause)) == NULL)
		goto fail;
	if (spam_builtin(in->eng)) {
		s->seen_ham = ham;
		s->seen_spam = spam;
	}
	return in;
fail:
	spam_inst_free(in);
	return NULL;
}

/* A reference to the engine in use. */
static struct spam_inst *
spam_inst_get(struct spam_service *s)
{
	struct spam_inst	*in;

	pthread_mutex_lock(&s->mtx);
	in = s->cur;
	in->refs++;
	pthread_mutex_unlock(&s->mtx);
	return in;
}

static void
spam_inst_put(struct spam_service *s, struct spam_inst *in)
{
	int	last;

	pthread_mutex_lock(&s->mtx);
	last = --in->refs == 0;
	pthread_mutex_unlock(&s->mtx);
	if (last)
		spam_inst_free(in);
}

/* Make in the engine in use; the old one goes when its checks end. */
static void
spam_inst_swap(struct spam_service *s, struct spam_inst *in)
{
	struct spam_inst	*old;

	pthread_mutex_lock(&s->mtx);
	old = s->cur;
	s->cur = in;
	pthread_mutex_unlock(&s->mtx);
	if (old != NULL)
		spam_inst_put(s, old);
	pthread_mutex_lock(&s->st->mtx);
	snprintf(s->st->engine, sizeof s->st->engine, "%s", in->eng->name);
	snprintf(s->st->spec, sizeof s->st->spec, "%s", in->spec);
	s->st->timeout = in->timeout_ms / 1000;
	s->st->failing = 0;
	pthread_mutex_unlock(&s->st->mtx);
}

static int
spam_conf_timeout(const struct config *conf)
{
	return (int)conf_int(conf, CONF_spam_timeout) * 1000;
}

static void
spam_service_free(struct spam_service *s)
{
	if (s->cur != NULL)
		spam_inst_put(s, s->cur);
	if (s->db != NULL)
		db_close(s->db);
	if (s->st != NULL) {
		pthread_mutex_destroy(&s->st->mtx);
		free(s->st);
	}
	free(s->dbpath);
	pthread_mutex_destroy(&s->learn_mtx);
	pthread_mutex_destroy(&s->mtx);
	free(s);
}

struct spam_service *
spam_service_open(const struct config *conf, char **cause)
{
	struct spam_service	*s;
	struct spam_inst	*in;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		*cause = strdup("out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mtx, NULL);
	pthread_mutex_init(&s->learn_mtx, NULL);
	if ((s->st = calloc(1, sizeof *s->st)) == NULL ||
	    (s->dbpath = strdup(conf_str(conf, CONF_paths_database))) ==
	    NULL) {
		free(s->st);
		s->st = NULL;
		*cause = strdup("out of memory");
		spam_service_free(s);
		return NULL;
	}
	pthread_mutex_init(&s->st->mtx, NULL);
	s->pass = conf_int(conf, CONF_spam_on_failure);
	if ((in = spam_inst_open(s, conf_str(conf, CONF_spam_engine),
	    spam_conf_timeout(conf), cause)) == NULL) {
		spam_service_free(s);
		return NULL;
	}
	spam_inst_swap(s, in);
	log_info("spam: engine %s", in->spec);
	return s;
}

/*
 * Has the builtin store been taught by someone else (outfilterd
 * --train-spam while running)?  Then its counts are read again.
 */
static int
spam_builtin_stale(struct spam_service *s)
{
	int64_t	 ham, spam;
	char	*cause = NULL;

	if (s->db == NULL || db_spam_totals(s->db, &ham, &spam, &cause) == -1) {
		free(cause);
		return 0;
	}
	return ham != s->seen_ham || spam != s->seen_spam;
}

void
spam_service_reload(struct spam_service *s, const struct config *conf)
{
	const char		*spec = conf_str(conf, CONF_spam_engine);
	struct spam_inst	*in, *cur;
	char			*cause = NULL;
	int			 timeout_ms = spam_conf_timeout(conf), same;

	__atomic_store_n(&s->pass, (int)conf_int(conf, CONF_spam_on_failure),
	    __ATOMIC_RELAXED);
	pthread_mutex_lock(&s->learn_mtx);
	cur = s->cur;	/* only this thread swaps it */
	same = strcmp(cur->spec, spec) == 0 && (spam_builtin(cur->eng) ?
	    !spam_builtin_stale(s) : cur->timeout_ms == timeout_ms);
	if (same) {
		pthread_mutex_unlock(&s->learn_mtx);
		return;
	}
	in = spam_inst_open(s, spec, timeout_ms, &cause);
	pthread_mutex_unlock(&s->learn_mtx);
	if (in == NULL) {
		log_warnx("spam: %s; the engine %s stays in use", cause,
		    cur->spec);
		free(cause);
		return;
	}
	log_info("spam: engine %s%s", in->spec, strcmp(cur->spec, spec) == 0 ?
	    " (read again)" : "");
	spam_inst_swap(s, in);	/* cur may be gone after this */
}

/*
 * A cause may quote an engine's answer: keep it printable ASCII, so that
 * it goes into a log line, a control reply and the status as it is.
 */
static void
spam_cause_safe(char **cause)
{
	unsigned char	*p;

	if (*cause == NULL) {
		*cause = strdup("out of memory");
		return;
	}
	for (p = (unsigned char *)*cause; *p != '\0'; p++) {
		if (*p < ' ' || *p >= 0x7f)
			*p = '?';
	}
}

/* Count a check; say so in the log when the engine fails or is back. */
static void
spam_stats_check(struct spam_service *s, const char *spec, int rc,
    const char *cause)
{
	struct spam_stats	*st = s->st;
	int			 was;

	pthread_mutex_lock(&st->mtx);
	st->checks++;
	was = st->failing;
	st->failing = rc == -1;
	if (rc == -1) {
		st->failures++;
		st->last_failure = time(NULL);
		snprintf(st->last_error, sizeof st->last_error, "%s",
		    cause != NULL ? cause : "out of memory");
	}
	pthread_mutex_unlock(&st->mtx);
	if (rc == -1 && !was)
		log_warnx("spam: %s; mail is %s until it answers",
		    cause != NULL ? cause : "out of memory",
		    spam_service_pass_unscanned(s) ? "passed unscanned" :
		    "answered 451 4.7.1");
	else if (rc == 0 && was)
		log_notice("spam: %s answers again", spec);
}

int
spam_service_check(struct spam_service *s, const char *msg, size_t len,
    struct spam_verdict *v, char **cause)
{
	struct spam_inst	*in = spam_inst_get(s);
	int			 rc;

	*cause = NULL;
	if ((rc = in->eng->check(in->sp, msg, len, v, cause)) == -1)
		spam_cause_safe(cause);
	spam_stats_check(s, in->spec, rc, *cause);
	spam_inst_put(s, in);
	return rc;
}

int
spam_service_learn(struct spam_service *s, const char *msg, size_t len,
    int is_spam, char **cause)
{
	struct spam_inst	*in;
	int			 rc;

	*cause = NULL;
	pthread_mutex_lock(&s->learn_mtx);
	in = spam_inst_get(s);
	if ((rc = in->eng->learn(in->sp, msg, len, is_spam, cause)) == 0 &&
	    spam_builtin(in->eng)) {
		if (is_spam)
			s->seen_spam++;
		else
			s->seen_ham++;
	}
	pthread_mutex_unlock(&s->learn_mtx);
	if (rc == -1)
		spam_cause_safe(cause);
	if (rc == 0) {
		pthread_mutex_lock(&s->st->mtx);
		s->st->learnt++;
		pthread_mutex_unlock(&s->st->mtx);
	}
	spam_inst_put(s, in);
	return rc;
}

int
spam_service_pass_unscanned(const struct spam_service *s)
{
	return __atomic_load_n(&s->pass, __ATOMIC_RELAXED);
}

static json_t *
spam_time_json(time_t t)
{
	struct tm	tm;
	char		buf[32];

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

void
spam_service_status(const struct spam_service *s, json_t *into)
{
	struct spam_stats	*st = s->st;
	json_t			*o;

	pthread_mutex_lock(&st->mtx);
	o = json_pack("{s:s,s:s,s:i,s:s,s:I,s:I,s:I,s:b,s:o,s:o}",
	    "engine", st->engine,
	    "spec", st->spec,
	    "timeout", st->timeout,
	    "on_failure", spam_service_pass_unscanned(s) ? "pass" : "tempfail",
	    "checks", (json_int_t)st->checks,
	    "failures", (json_int_t)st->failures,
	    "learnt", (json_int_t)st->learnt,
	    "failing", st->failing,
	    "last_failure", spam_time_json(st->last_failure),
	    "last_error", st->last_failure != 0 ?
	    json_string(st->last_error) : json_null());
	pthread_mutex_unlock(&st->mtx);
	if (o != NULL)
		json_object_set_new(into, "spam", o);
}

void
spam_service_close(struct spam_service *s)
{
	if (s != NULL)
		spam_service_free(s);
}
