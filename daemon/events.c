/*
 * The event socket.  Publishers hand a serialised event to a bounded
 * queue under a mutex and signal a condition variable; one thread owns
 * the PUB socket, sends what is queued and, every second, the counters.
 *
 * Why not the two designs that come to mind first: a mutex around the
 * PUB socket would make every caller (the SMTP loop among them) pay for
 * zmq_send() and the socket's own housekeeping inside the lock, and the
 * counters would still need a thread to tick; a PUSH socket per calling
 * thread into an inproc PULL would need a socket made and closed for
 * each thread that ever publishes (the worker pool's, the control
 * thread, the SMTP loop), which this file does not own.  The queue costs
 * a caller one short lock and never blocks it: when full (a stalled
 * thread, a flood), the event is dropped and counted.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "conf.h"
#include "control.h"
#include "events.h"
#include "log.h"
#include "stats.h"

/* Queued events waiting for the thread, and their bytes. */
#define EVENTS_QUEUE_MAX	4096
#define EVENTS_QUEUE_BYTES	(4 * 1024 * 1024)
/* Events the thread takes from the queue per lock. */
#define EVENTS_BATCH		64
/* Messages queued per subscriber before PUB drops for it. */
#define EVENTS_SNDHWM		1000
/*
 * A subscriber sends its login and subscriptions (topics) only; the
 * limit applies to the PLAIN handshake too, so it leaves room for it.
 */
#define EVENTS_MAXMSGSIZE	65536
#define EVENTS_SOCKET_MODE	0660
/* Seconds of counters kept for the per-minute figures. */
#define EVENTS_MINUTE		60

const char *const events_types[] = {
	EVENT_LOCK, EVENT_UNLOCK, EVENT_MESSAGE, EVENT_STATS, NULL
};

struct events_item {
	char	*json;
	size_t	 len;
	char	 type[];
};

struct events {
	pthread_mutex_t		  mtx;
	pthread_cond_t		  cond;
	int			  open;		/* publishers may queue */
	int			  stop;
	struct events_item	 *q[EVENTS_QUEUE_MAX];
	size_t			  head, n, bytes;

	/* Set up by events_open(), then used by the thread alone. */
	void			 *ctx;
	int			  own_ctx;
	void			 *pub;
	char			 *sockpath;
	int			  bound;
	pthread_t		  thread;
	int			  running;
	time_t			  started;
	uint64_t		  hist[EVENTS_MINUTE][STAT_NSTATS];
	unsigned long		  ticks;
};

static struct events	ev = { .mtx = PTHREAD_MUTEX_INITIALIZER };

int
events_type_known(const char *type)
{
	const char *const	*t;

	for (t = events_types; type != NULL && *t != NULL; t++)
		if (strcmp(*t, type) == 0)
			return 1;
	return 0;
}

json_t *
events_str(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL || (copy = strdup(s)) == NULL)
		return j;
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* {"v":1,"time":T,"type":TYPE, ...fields} as compact JSON text. */
static char *
events_encode(const char *type, json_t *fields, time_t now)
{
	const char	*key;
	json_t		*o, *v;
	char		*text;

	if ((o = json_pack("{s:i,s:I,s:s}", "v", 1, "time", (json_int_t)now,
	    "type", type)) == NULL)
		return NULL;
	if (json_is_object(fields))
		json_object_foreach(fields, key, v)
			if (strcmp(key, "v") != 0 && strcmp(key, "time") != 0 &&
			    strcmp(key, "type") != 0)
				json_object_set(o, key, v);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static void
events_count(const char *type)
{
	if (strcmp(type, EVENT_LOCK) == 0)
		stats_inc(STAT_LOCKS);
	else if (strcmp(type, EVENT_UNLOCK) == 0)
		stats_inc(STAT_UNLOCKS);
}

/* Queue it, or say no when closed or full. */
static int
events_queue(struct events_item *it)
{
	int	rc = -1;

	pthread_mutex_lock(&ev.mtx);
	if (!ev.open)
		rc = 0;		/* not an overflow: nobody to tell */
	else if (ev.n < EVENTS_QUEUE_MAX && ev.bytes + it->len <=
	    EVENTS_QUEUE_BYTES) {
		ev.q[(ev.head + ev.n) % EVENTS_QUEUE_MAX] = it;
		ev.n++;
		ev.bytes += it->len;
		pthread_cond_signal(&ev.cond);
		rc = 1;
	}
	pthread_mutex_unlock(&ev.mtx);
	return rc;
}

static void
events_item_free(struct events_item *it)
{
	if (it != NULL)
		free(it->json);
	free(it);
}

void
events_publish(const char *type, json_t *fields)
{
	struct events_item	*it;
	size_t			 tlen;
	int			 rc;

	if (!events_type_known(type)) {
		log_warnx("events: no such event type \"%s\"; dropped",
		    type != NULL ? type : "(null)");
		json_decref(fields);
		return;
	}
	events_count(type);
	tlen = strlen(type);
	if ((it = malloc(sizeof *it + tlen + 1)) == NULL) {
		json_decref(fields);
		stats_inc(STAT_DROPPED);
		return;
	}
	memcpy(it->type, type, tlen + 1);
	it->json = events_encode(type, fields, time(NULL));
	json_decref(fields);
	if (it->json == NULL) {
		events_item_free(it);
		stats_inc(STAT_DROPPED);
		return;
	}
	it->len = strlen(it->json);
	if ((rc = events_queue(it)) != 1)
		events_item_free(it);
	if (rc == -1)
		stats_inc(STAT_DROPPED);
}

/* Set a member only when there is something to say. */
static void
events_set_str(json_t *o, const char *key, const char *s)
{
	if (s != NULL && *s != '\0')
		json_object_set_new(o, key, events_str(s));
}

json_t *
events_lock_fields(const char *type, const struct events_lock *l)
{
	json_t	*o = json_object();

	json_object_set_new(o, "target", json_string(l->identity != NULL ?
	    "identity" : "user"));
	json_object_set_new(o, "user", events_str(l->user != NULL ? l->user :
	    ""));
	events_set_str(o, "domain", l->domain);
	if (l->identity != NULL)
		json_object_set_new(o, "identity", events_str(l->identity));
	events_set_str(o, "by", l->by);
	json_object_set_new(o, "automatic", json_boolean(l->automatic));
	events_set_str(o, "reason", l->reason);
	if (type != NULL && strcmp(type, EVENT_LOCK) == 0)
		json_object_set_new(o, "minutes", json_integer(l->minutes));
	return o;
}

void
events_lock(const char *type, const struct events_lock *l)
{
	events_publish(type, events_lock_fields(type, l));
}

void
events_message(const struct events_message *m)
{
	json_t	*o;

	stats_message(m->status, m->spam);
	o = json_object();
	events_set_str(o, "queue_id", m->queue_id);
	events_set_str(o, "client", m->client);
	events_set_str(o, "user", m->user);
	events_set_str(o, "domain", m->domain);
	events_set_str(o, "identity", m->identity);
	json_object_set_new(o, "from", events_str(m->from != NULL ? m->from :
	    ""));
	json_object_set_new(o, "nrcpts", json_integer((json_int_t)m->nrcpts));
	json_object_set_new(o, "size", json_integer((json_int_t)m->size));
	json_object_set_new(o, "status", events_str(m->status != NULL ?
	    m->status : ""));
	events_set_str(o, "reason", m->reason);
	json_object_set_new(o, "spam", json_boolean(m->spam));
	events_publish(EVENT_MESSAGE, o);
}

/*
 * The thread.
 */

static void
events_free_json(void *data, void *hint)
{
	(void)hint;
	free(data);
}

/* Two frames; the JSON text goes to libzmq, which frees it. */
static void
events_send(const char *type, char *json, size_t len)
{
	zmq_msg_t	m;

	if (zmq_send(ev.pub, type, strlen(type), ZMQ_SNDMORE |
	    ZMQ_DONTWAIT) == -1) {
		free(json);
		return;
	}
	if (zmq_msg_init_data(&m, json, len, events_free_json, NULL) == -1) {
		free(json);
		zmq_send(ev.pub, "", 0, ZMQ_DONTWAIT);
		return;
	}
	if (zmq_msg_send(&m, ev.pub, ZMQ_DONTWAIT) == -1)
		zmq_msg_close(&m);
}

/* The counters: each total, and a counter's increase over a minute. */
static void
events_stats(time_t now)
{
	uint64_t	*old = ev.hist[ev.ticks % EVENTS_MINUTE], v;
	char		 key[64], *json;
	json_t		*o;
	int		 i;

	o = json_pack("{s:i,s:I,s:s,s:I}", "v", 1, "time", (json_int_t)now,
	    "type", EVENT_STATS, "uptime", (json_int_t)(now - ev.started));
	for (i = 0; i < STAT_NSTATS; i++) {
		v = stats_get(i);
		json_object_set_new(o, stat_infos[i].name,
		    json_integer((json_int_t)v));
		if (stat_infos[i].kind == STATK_COUNTER) {
			snprintf(key, sizeof key, "%s_per_minute",
			    stat_infos[i].name);
			json_object_set_new(o, key,
			    json_integer((json_int_t)(v - old[i])));
		}
		old[i] = v;
	}
	ev.ticks++;
	if ((json = json_dumps(o, JSON_COMPACT)) != NULL)
		events_send(EVENT_STATS, json, strlen(json));
	json_decref(o);
}

static void
events_deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec++;
}

static int
events_due(const struct timespec *deadline)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec || (now.tv_sec ==
	    deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* Take up to EVENTS_BATCH events off the queue; the mutex is held. */
static size_t
events_take(struct events_item **batch)
{
	size_t	k = 0;

	while (ev.n > 0 && k < EVENTS_BATCH) {
		batch[k] = ev.q[ev.head];
		ev.bytes -= batch[k]->len;
		ev.head = (ev.head + 1) % EVENTS_QUEUE_MAX;
		ev.n--;
		k++;
	}
	return k;
}

static void *
events_thread(void *arg)
{
	struct events_item	*batch[EVENTS_BATCH];
	struct timespec		 tick;
	size_t			 i, k;
	int			 stop;

	(void)arg;
	events_deadline(&tick);
	pthread_mutex_lock(&ev.mtx);
	for (;;) {
		while (ev.n == 0 && !ev.stop &&
		    pthread_cond_timedwait(&ev.cond, &ev.mtx, &tick) == 0)
			;
		k = events_take(batch);
		stop = ev.stop && ev.n == 0;
		pthread_mutex_unlock(&ev.mtx);
		for (i = 0; i < k; i++) {
			events_send(batch[i]->type, batch[i]->json,
			    batch[i]->len);
			batch[i]->json = NULL;
			events_item_free(batch[i]);
		}
		if (stop)
			break;
		if (events_due(&tick)) {
			events_stats(time(NULL));
			/* Once a second without drift, unless far behind. */
			tick.tv_sec++;
			if (events_due(&tick))
				events_deadline(&tick);
		}
		pthread_mutex_lock(&ev.mtx);
	}
	return NULL;
}

/*
 * Opening and closing.
 */

static int
events_sockopt(int opt, const void *v, size_t len, char **cause)
{
	if (zmq_setsockopt(ev.pub, opt, v, len) == -1)
		return ipc_cause(cause, "events: zmq_setsockopt %d: %s", opt,
		    zmq_strerror(errno));
	return 0;
}

/*
 * The PUB socket.  In the control's context, a PLAIN server whose every
 * login its ZAP handler checks; in a context of its own, without a ZAP
 * handler, PLAIN would refuse everyone, so the NULL mechanism.
 */
static int
events_bind(const char *ep, char **cause)
{
	int64_t	maxmsg = EVENTS_MAXMSGSIZE;
	int	zero = 0, one = 1, hwm = EVENTS_SNDHWM;

	if ((ev.pub = zmq_socket(ev.ctx, ZMQ_PUB)) == NULL)
		return ipc_cause(cause, "events: zmq_socket: %s",
		    zmq_strerror(errno));
	if (events_sockopt(ZMQ_LINGER, &zero, sizeof zero, cause) ||
	    events_sockopt(ZMQ_SNDHWM, &hwm, sizeof hwm, cause) ||
	    events_sockopt(ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg, cause))
		return -1;
	if (!ev.own_ctx && (events_sockopt(ZMQ_PLAIN_SERVER, &one, sizeof one,
	    cause) || events_sockopt(ZMQ_ZAP_DOMAIN, ZAP_DOMAIN_EVENTS,
	    strlen(ZAP_DOMAIN_EVENTS), cause)))
		return -1;
	if (ev.sockpath != NULL && control_ipc_prepare(ev.sockpath,
	    cause) == -1)
		return -1;
	if (zmq_bind(ev.pub, ep) == -1)
		return ipc_cause(cause, "events: %s: %s", ep,
		    zmq_strerror(errno));
	ev.bound = 1;
	if (ev.sockpath != NULL && chmod(ev.sockpath, EVENTS_SOCKET_MODE) == -1)
		return ipc_cause(cause, "%s: %s", ev.sockpath, strerror(errno));
	return 0;
}

static int
events_cond_init(char **cause)
{
	pthread_condattr_t	a;
	int			rc;

	if ((rc = pthread_condattr_init(&a)) != 0 ||
	    (rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&ev.cond, &a)) != 0)
		return ipc_cause(cause, "events: %s", strerror(rc));
	pthread_condattr_destroy(&a);
	return 0;
}

static void
events_teardown(void)
{
	if (ev.pub != NULL)
		zmq_close(ev.pub);
	if (ev.own_ctx && ev.ctx != NULL)
		zmq_ctx_term(ev.ctx);
	if (ev.bound && ev.sockpath != NULL && unlink(ev.sockpath) == -1 &&
	    errno != ENOENT)
		log_warn("%s", ev.sockpath);
	free(ev.sockpath);
	ev.pub = ev.ctx = NULL;
	ev.sockpath = NULL;
	ev.own_ctx = ev.bound = 0;
}

int
events_open(const struct config *conf, void *zmq_ctx, char **cause)
{
	const char	*ep = conf_str(conf, CONF_control_events);
	int		 rc;

	if (ev.running)
		return ipc_cause(cause, "events: already open");
	if (strncmp(ep, "ipc://", 6) == 0 &&
	    (ev.sockpath = strdup(ep + 6)) == NULL)
		return ipc_cause(cause, "out of memory");
	ev.ctx = zmq_ctx;
	if (ev.ctx == NULL && (ev.own_ctx = 1, ev.ctx = zmq_ctx_new()) == NULL) {
		events_teardown();
		return ipc_cause(cause, "events: zmq_ctx_new: %s",
		    zmq_strerror(errno));
	}
	if (events_bind(ep, cause) == -1 || events_cond_init(cause) == -1) {
		events_teardown();
		return -1;
	}
	ev.started = time(NULL);
	ev.ticks = 0;
	for (rc = 0; rc < STAT_NSTATS; rc++)
		ev.hist[0][rc] = stats_get(rc);
	for (rc = 1; rc < EVENTS_MINUTE; rc++)
		memcpy(ev.hist[rc], ev.hist[0], sizeof ev.hist[0]);
	ev.stop = 0;
	if ((rc = pthread_create(&ev.thread, NULL, events_thread, NULL)) != 0) {
		pthread_cond_destroy(&ev.cond);
		events_teardown();
		return ipc_cause(cause, "events: pthread_create: %s",
		    strerror(rc));
	}
	ev.running = 1;
	pthread_mutex_lock(&ev.mtx);
	ev.open = 1;
	pthread_mutex_unlock(&ev.mtx);
	log_info("events: publishing on %s", ep);
	return 0;
}

const char *
events_socket_path(void)
{
	return ev.sockpath;
}

void
events_close(void)
{
	if (!ev.running)
		return;
	pthread_mutex_lock(&ev.mtx);
	ev.open = 0;
	ev.stop = 1;
	pthread_cond_signal(&ev.cond);
	pthread_mutex_unlock(&ev.mtx);
	pthread_join(ev.thread, NULL);
	ev.running = 0;
	pthread_cond_destroy(&ev.cond);
	events_teardown();
}
