/*
 * The SMTP server's listeners: bound at start (before privileges are
 * dropped), one role each (relay, submission, submissions), IPv4 and
 * IPv6.  Also what the sessions share: the next hop, the TLS context,
 * queue IDs, and the graceful stop.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include <sodium.h>

#include "conf.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "smtp.h"
#include "smtp_data.h"
#include "stats.h"
#include "tls.h"

/* Pause after accept() failed (out of descriptors), in milliseconds. */
#define SERVER_ACCEPT_PAUSE	100

/*
 * Queue IDs: 60 bits written as 12 Crockford base32 characters, most
 * significant first so that they sort by time: 32 bits of seconds, a
 * 20-bit counter started at a random value, 8 random bits (two processes
 * or a restart within one second still differ).
 */
void
smtp_queue_id(char buf[SMTP_QUEUE_ID_LEN + 1])
{
	static const char	 b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	static uint32_t		 counter;
	static int		 seeded;
	uint64_t		 v;
	int			 i;

	if (!seeded) {
		counter = randombytes_uniform(1 << 20);
		seeded = 1;
	}
	counter = (counter + 1) & 0xfffff;
	v = ((uint64_t)(uint32_t)time(NULL) << 28) | ((uint64_t)counter << 8) |
	    randombytes_uniform(256);
	for (i = SMTP_QUEUE_ID_LEN - 1; i >= 0; i--, v >>= 5)
		buf[i] = b32[v & 31];
	buf[SMTP_QUEUE_ID_LEN] = '\0';
}

/*
 * The next hop.  A new next_hop after SIGHUP serves new transactions;
 * the old one lives until its last transaction ends.
 */

static struct smtp_relay *
server_relay_open(struct event_base *base, const char *spec, char **cause)
{
	const struct relay_backend	*b;
	struct smtp_relay		*r;

	if ((b = relay_backend_find(spec, cause)) == NULL)
		return NULL;
	if ((r = calloc(1, sizeof *r)) == NULL ||
	    (r->spec = strdup(spec)) == NULL) {
		free(r);
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	r->backend = b;
	r->refs = 1;
	if ((r->relay = b->open(base, spec, cause)) == NULL) {
		free(r->spec);
		free(r);
		return NULL;
	}
	return r;
}

struct smtp_relay *
smtp_relay_ref(struct smtp_server *srv)
{
	srv->relay->refs++;
	return srv->relay;
}

void
smtp_relay_unref(struct smtp_relay *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	r->backend->close(r->relay);
	free(r->spec);
	free(r);
}

/*
 * Checks of the [smtp] settings beyond their types.
 */

static int
server_bare_lf(const char *text)
{
	if (strcmp(text, "normalize") == 0)
		return SMTP_BARE_LF_NORMALIZE;
	if (strcmp(text, "reject") == 0)
		return SMTP_BARE_LF_REJECT;
	return -1;
}

int
smtp_conf_check(const struct config *c, char **cause)
{
	const char	*key = conf_str(c, CONF_smtp_tls_key);

	if (server_bare_lf(conf_str(c, CONF_smtp_bare_newline)) == -1)
		return ipc_cause(cause, "%s:%d: bare_newline: %s: not normalize "
		    "or reject", c->file != NULL ? c->file : "(defaults)",
		    c->v[CONF_smtp_bare_newline].line,
		    conf_str(c, CONF_smtp_bare_newline));
	if ((*key != '\0') != (*conf_str(c, CONF_smtp_tls_cert) != '\0'))
		return ipc_cause(cause, "%s: [smtp] tls_cert and tls_key go "
		    "together", c->file != NULL ? c->file : "(defaults)");
	if (*key != '\0' && tls_check_key(key, cause) == -1)
		return -1;
	return relay_backend_find(conf_str(c, CONF_relay_next_hop), cause) ==
	    NULL ? -1 : 0;
}

/*
 * Listeners.
 */

static void
server_refuse(evutil_socket_t fd, const char *line)
{
	/* Best effort: the socket is fresh, the line fits its buffer. */
	if (send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
		log_debug("smtp: refusing a connection: %s", strerror(errno));
	evutil_closesocket(fd);
}

static void
server_on_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct smtp_listener	*l = arg;
	struct smtp_server	*srv = l->srv;

	(void)evl;
	if (srv->stopping) {
		server_refuse(fd, "421 4.3.2 The server is shutting down; try "
		    "again later\r\n");
		return;
	}
	if ((long long)srv->nsessions >= conf_int(srv->conf,
	    CONF_smtp_max_connections)) {
		log_warnx("smtp: %u connections: refusing more",
		    srv->nsessions);
		server_refuse(fd, "421 4.3.2 Too many connections to this "
		    "server; try again later\r\n");
		return;
	}
	smtp_session_new(l, fd, sa, salen);
	stats_inc(STAT_CONNECTIONS);
	stats_set(STAT_OPEN, srv->nsessions);
}

static void
server_on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_listener	*l = arg;

	(void)fd;
	(void)what;
	if (l->evl != NULL && !l->srv->stopping)
		evconnlistener_enable(l->evl);
}

/* accept() failed: out of descriptors most likely; pause, don't spin. */
static void
server_on_accept_error(struct evconnlistener *evl, void *arg)
{
	struct smtp_listener	*l = arg;
	struct timeval		 tv = { 0, SERVER_ACCEPT_PAUSE * 1000 };
	int			 err = EVUTIL_SOCKET_ERROR();

	log_warnx("smtp: accept on %s: %s", l->text,
	    evutil_socket_error_to_string(err));
	evconnlistener_disable(evl);
	event_base_once(l->srv->base, -1, EV_TIMEOUT, server_on_resume, l, &tv);
}

static int
server_listen(struct smtp_server *srv, const struct conf_listen *cl,
    enum listener_role role, char **cause)
{
	struct smtp_listener	*l = &srv->listeners[srv->nlisteners];
	unsigned		 flags = LEV_OPT_CLOSE_ON_FREE |
				    LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE |
				    LEV_OPT_DISABLED;

	if (cl->ss.ss_family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	l->srv = srv;
	l->role = role;
	snprintf(l->text, sizeof l->text, "%s", cl->text);
	if ((l->evl = evconnlistener_new_bind(srv->base, server_on_accept, l,
	    flags, 1024, (const struct sockaddr *)&cl->ss, cl->sslen)) ==
	    NULL)
		return ipc_cause(cause, "smtp: cannot listen on %s: %s",
		    cl->text, strerror(errno));
	evconnlistener_set_error_cb(l->evl, server_on_accept_error);
	srv->nlisteners++;
	return 0;
}

static const struct {
	enum conf_id		 id;
	enum listener_role	 role;
} server_roles[] = {
	{ CONF_smtp_relay_listen,	ROLE_RELAY },
	{ CONF_smtp_submission_listen,	ROLE_SUBMISSION },
	{ CONF_smtp_submissions_listen,	ROLE_SUBMISSIONS },
};

#define NROLES	(sizeof server_roles / sizeof server_roles[0])

static int
server_listen_all(struct smtp_server *srv, char **cause)
{
	const struct conf_listen	*cl;
	size_t				 i, j, n, total = 0;

	for (i = 0; i < NROLES; i++) {
		conf_listen(srv->conf, server_roles[i].id, &n);
		total += n;
	}
	if (total > 0 && (srv->listeners = calloc(total,
	    sizeof *srv->listeners)) == NULL)
		return ipc_cause(cause, "out of memory");
	for (i = 0; i < NROLES; i++) {
		cl = conf_listen(srv->conf, server_roles[i].id, &n);
		for (j = 0; j < n; j++)
			if (server_listen(srv, &cl[j], server_roles[i].role,
			    cause) == -1)
				return -1;
	}
	return 0;
}

/* STATE_DIR/spool unless set; made 0700 when missing. */
static int
server_spool_dir(struct smtp_server *srv, char **cause)
{
	const char	*dir = conf_str(srv->conf, CONF_smtp_spool_dir);

	if (*dir != '\0')
		srv->spool_dir = strdup(dir);
	else if (asprintf(&srv->spool_dir, "%s/spool",
	    conf_str(srv->conf, CONF_paths_state_dir)) == -1)
		srv->spool_dir = NULL;
	if (srv->spool_dir == NULL)
		return ipc_cause(cause, "out of memory");
	return daemon_mkdirs(srv->spool_dir, 0700, cause);
}

struct smtp_server *
smtp_server_open(struct config *conf, struct event_base *base,
    struct policy *policy, struct worker_pool *pool, char **cause)
{
	struct smtp_server	*srv;

	if (smtp_conf_check(conf, cause) == -1)
		return NULL;
	if ((srv = calloc(1, sizeof *srv)) == NULL) {
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	srv->conf = conf_ref(conf);
	srv->base = base;
	srv->policy = policy;
	srv->pool = pool;
	srv->bare_lf = server_bare_lf(conf_str(conf, CONF_smtp_bare_newline));
	if (server_spool_dir(srv, cause) == -1 ||
	    (srv->tls = tls_server_new(conf, conf_str(conf, CONF_smtp_hostname),
	    cause)) == NULL ||
	    (srv->relay = server_relay_open(base, conf_str(conf,
	    CONF_relay_next_hop), cause)) == NULL ||
	    server_listen_all(srv, cause) == -1) {
		smtp_server_close(srv);
		return NULL;
	}
	return srv;
}

const char *
smtp_server_spool_dir(const struct smtp_server *srv)
{
	return srv->spool_dir;
}

int
smtp_server_start(struct smtp_server *srv, char **cause)
{
	size_t	i;

	for (i = 0; i < srv->nlisteners; i++) {
		if (evconnlistener_enable(srv->listeners[i].evl) == -1)
			return ipc_cause(cause, "smtp: cannot accept on %s",
			    srv->listeners[i].text);
		log_info("smtp: listening on %s (%s)", srv->listeners[i].text,
		    srv->listeners[i].role == ROLE_RELAY ? "relay" :
		    srv->listeners[i].role == ROLE_SUBMISSION ? "submission" :
		    "submissions");
	}
	return 0;
}

void
smtp_server_reload(struct smtp_server *srv, struct config *conf)
{
	struct smtp_relay	*r;
	char			*cause = NULL;
	const char		*spec = conf_str(conf, CONF_relay_next_hop);

	if (smtp_conf_check(conf, &cause) == -1) {
		log_warnx("smtp: %s; the SMTP settings stay as they were",
		    cause);
		free(cause);
		return;
	}
	if (strcmp(spec, srv->relay->spec) != 0) {
		if ((r = server_relay_open(srv->base, spec, &cause)) == NULL) {
			log_warnx("smtp: next hop %s: %s; keeping %s", spec,
			    cause, srv->relay->spec);
			free(cause);
			return;
		}
		log_info("smtp: next hop is now %s", spec);
		smtp_relay_unref(srv->relay);
		srv->relay = r;
	}
	conf_unref(srv->conf);
	srv->conf = conf_ref(conf);
	srv->bare_lf = server_bare_lf(conf_str(conf, CONF_smtp_bare_newline));
}

/*
 * Sessions and the stop.
 */

void
smtp_server_gone(struct smtp_server *srv)
{
	void	(*fn)(void *);

	srv->nsessions--;
	stats_set(STAT_OPEN, srv->nsessions);
	if (srv->stopping && srv->nsessions == 0 && srv->stopped != NULL) {
		fn = srv->stopped;
		srv->stopped = NULL;
		fn(srv->stopped_arg);
	}
}

void
smtp_server_abort(struct smtp_server *srv)
{
	struct smtp_session	*s, *next;

	for (s = srv->sessions; s != NULL; s = next) {
		next = smtp_session_next(s);
		smtp_session_kill(s);
	}
}

static void
server_on_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_server	*srv = arg;

	(void)fd;
	(void)what;
	log_warnx("smtp: %u session(s) still busy after the stop time-out: "
	    "cutting them", srv->nsessions);
	smtp_server_abort(srv);
}

void
smtp_server_stop(struct smtp_server *srv, void (*stopped)(void *), void *arg)
{
	struct smtp_session	*s, *next;
	struct timeval		 tv = { conf_int(srv->conf,
				    CONF_smtp_stop_timeout), 0 };
	size_t			 i;

	srv->stopping = 1;
	srv->stopped = stopped;
	srv->stopped_arg = arg;
	for (i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].evl != NULL) {
			evconnlistener_free(srv->listeners[i].evl);
			srv->listeners[i].evl = NULL;
		}
	log_info("smtp: stopping; %u session(s) open", srv->nsessions);
	for (s = srv->sessions; s != NULL; s = next) {
		next = smtp_session_next(s);
		smtp_session_shutdown(s);
	}
	if (srv->nsessions == 0) {
		srv->stopped = NULL;
		stopped(arg);
		return;
	}
	if ((srv->stop_ev = evtimer_new(srv->base, server_on_stop_timeout,
	    srv)) != NULL)
		evtimer_add(srv->stop_ev, &tv);
}

void
smtp_server_close(struct smtp_server *srv)
{
	size_t	i;

	if (srv == NULL)
		return;
	for (i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].evl != NULL)
			evconnlistener_free(srv->listeners[i].evl);
	free(srv->listeners);
	if (srv->stop_ev != NULL)
		event_free(srv->stop_ev);
	smtp_relay_unref(srv->relay);
	tls_server_free(srv->tls);
	free(srv->spool_dir);
	conf_unref(srv->conf);
	free(srv);
}
