/*
 * One SMTP connection: a state machine over a bufferevent.  Commands are
 * taken from the input one at a time and answered in order; a command
 * that needs the policy (worker pool) or the next hop (relay.h) parks the
 * session until the answer comes back, and the input that arrived
 * meanwhile (pipelining) waits in the bufferevent, bounded by its read
 * watermark.  Replies go to the output buffer and leave together when the
 * loop comes round, so a pipelined group gets one write.
 */
#define _GNU_SOURCE		/* asprintf, reallocarray */
#include "config.h"

#include <sys/socket.h>
#include <sys/statvfs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <sodium.h>

#include "abuse.h"
#include "conf.h"
#include "events.h"
#include "log.h"
#include "smtp.h"
#include "smtp_cmd.h"
#include "smtp_data.h"
#include "spool.h"
#include "tls.h"

/* Input held while a command is in the works (pipelined commands). */
#define SESSION_INPUT_MAX	65536
/* Callbacks deferred to the loop: no callback runs inside our calls. */
#define SESSION_BEV_OPTS	(BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)
/* A verdict or next-hop reply with its code: "451 " + 512 bytes. */
#define SESSION_REPLY_MAX	(SMTP_REPLY_MAX + 16)
/* Longest header value kept for the message log. */
#define SESSION_HEADER_MAX	256

enum session_phase {
	PH_CONNECT,		/* waiting for policy_connect: no greeting yet */
	PH_GREETED,		/* 220 sent, no EHLO/HELO yet */
	PH_READY,		/* after EHLO/HELO */
	PH_DATA,		/* reading a message */
};

/* One mail transaction, from MAIL to its end. */
struct smtp_txn {
	char			 queue_id[SMTP_QUEUE_ID_LEN + 1];
	char			*mail_from;
	char			**rcpts;
	size_t			 nrcpts, rcptcap;
	size_t			 npending;	/* accepted by policy_rcpt */
	char			*rcpt;		/* the RCPT in the works */
	int			 smtputf8, body8;
	uint64_t		 size_decl;
	struct smtp_relay	*relay;
	struct relay_txn	*rtxn;
	struct smtp_data	*data;
	struct spool		*spool;
	size_t			 size;
	char			*header_from, *subject;
	struct abuse_out	 abuse;		/* abuse_check()'s outcome */
	char			 note[256];	/* for the log: "DKIM: ..." */
	int			 recorded;	/* policy_record() done */
	int			 rcpt_tried;	/* a RCPT got past its syntax */
};

struct smtp_session {
	struct smtp_session	*prev, *next;
	struct smtp_server	*srv;
	struct smtp_listener	*l;
	struct bufferevent	*bev;
	SSL			*ssl;
	struct event		*timer;		/* total_timeout */
	struct event		*delay;		/* slowed replies, made on need */
	struct worker_job	 job;
	void			(*resume)(struct smtp_session *);
	void			(*relay_then)(struct smtp_session *);
	uint64_t		 id;
	struct sockaddr_storage	 ss;
	char			 addr[INET6_ADDRSTRLEN];
	enum session_phase	 phase;
	unsigned		 busy:1;	/* a worker job runs for us */
	unsigned		 relaying:1;	/* waiting for the next hop */
	unsigned		 relay_sync:1;	/* inside a relay call */
	unsigned		 relay_replied:1;
	unsigned		 dead:1;	/* connection gone */
	unsigned		 closing:1;	/* last reply on its way */
	unsigned		 esmtp:1;
	unsigned		 counted:1;	/* policy_disconnect owed */
	unsigned		 delayed:1;
	unsigned		 skipping:1;	/* inside an over-long line */
	unsigned		 tls_wait:1;	/* implicit TLS handshake */
	unsigned		 holds;		/* frames using us now */
	unsigned		 errors;
	unsigned		 messages;
	char			*helo;
	char			*authname;
	char			*refusal;	/* connect verdict, for MAIL */
	struct smtp_txn		*txn;
	struct smtp_auth	*auth;
	struct sender		 sender;
	struct verdict		 verdict;
	struct relay_reply	 rreply;
};

static void	session_process(struct smtp_session *);
static void	session_close(struct smtp_session *);
static void	session_free(struct smtp_session *);
static void	session_finalize(struct smtp_session *);
static void	session_unlink(struct smtp_session *);
static void	session_txn_end(struct smtp_session *, const char *status,
		    const char *reason, const struct relay_reply *);
static void	session_on_read(struct bufferevent *, void *);
static void	session_on_event(struct bufferevent *, short, void *);
static void	session_greet(struct smtp_session *);

/*
 * Small accessors for smtp_auth.c and smtp_server.c.
 */

int
smtp_tls_active(const struct smtp_session *s)
{
	return s->ssl != NULL;
}

struct smtp_server *
smtp_session_server(const struct smtp_session *s)
{
	return s->srv;
}

const char *
smtp_session_addr(const struct smtp_session *s)
{
	return s->addr;
}

const struct sockaddr *
smtp_session_sockaddr(const struct smtp_session *s)
{
	return (const struct sockaddr *)&s->ss;
}

struct sender *
smtp_session_sender(struct smtp_session *s)
{
	return &s->sender;
}

struct verdict *
smtp_session_verdict(struct smtp_session *s)
{
	return &s->verdict;
}

struct smtp_auth **
smtp_session_authp(struct smtp_session *s)
{
	return &s->auth;
}

struct smtp_session *
smtp_session_next(struct smtp_session *s)
{
	return s->next;
}

static const struct config *
session_conf(const struct smtp_session *s)
{
	return s->srv->conf;
}

/*
 * Replies.
 */

/* Printable ASCII only: a policy or next-hop text never splits a reply. */
static void
session_clean(char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

void
smtp_reply(struct smtp_session *s, const char *fmt, ...)
{
	char	buf[SMTP_REPLY_MAX];
	va_list	ap;

	if (s->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf - 2, fmt, ap);
	va_end(ap);
	session_clean(buf);
	log_debug("smtp %llu: > %s", (unsigned long long)s->id, buf);
	strcat(buf, "\r\n");
	bufferevent_write(s->bev, buf, strlen(buf));
}

/* The last reply, then close once it is written. */
static void
session_reply_close(struct smtp_session *s, const char *line)
{
	smtp_reply(s, "%s", line);
	session_close(s);
}

static void
session_on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session	*s = arg;

	(void)fd;
	(void)what;
	s->delayed = 0;
	session_process(s);
}

/* Hold the next command for a while (slowing a client that errs). */
static void
session_slow(struct smtp_session *s, int secs)
{
	struct timeval	tv = { secs, 0 };

	if (s->delay == NULL && (s->delay = evtimer_new(s->srv->base,
	    session_on_delay, s)) == NULL)
		return;
	s->delayed = 1;
	evtimer_add(s->delay, &tv);
}

void
smtp_error(struct smtp_session *s)
{
	unsigned	max = conf_int(session_conf(s),
			    CONF_smtp_max_unknown_commands);

	if (++s->errors >= max) {
		log_info("smtp %llu: %s: %u errors, closing",
		    (unsigned long long)s->id, s->addr, s->errors);
		session_reply_close(s, "421 4.7.0 Too many errors in this "
		    "session; closing the connection");
	} else if (s->errors > max / 2)
		session_slow(s, s->errors - max / 2 > 5 ? 5 :
		    (int)(s->errors - max / 2));
}

/*
 * Waiting for the worker pool and the next hop.
 */

/*
 * A session in use by a frame on the stack is not freed under it:
 * session_free() cuts the connection at once, the memory goes when the
 * last frame (or the worker job) lets go.
 */
static void
session_enter(struct smtp_session *s)
{
	s->holds++;
}

static void
session_leave(struct smtp_session *s)
{
	if (--s->holds == 0 && s->dead && !s->busy)
		session_finalize(s);
}

static void
session_call_done(void *arg)
{
	struct smtp_session	*s = arg;

	s->busy = 0;
	session_enter(s);
	if (!s->dead) {
		s->resume(s);
		session_process(s);
	}
	session_leave(s);
}

void
smtp_session_call(struct smtp_session *s, worker_fn *work,
    void (*resume)(struct smtp_session *))
{
	s->busy = 1;
	s->resume = resume;
	worker_submit(s->srv->pool, &s->job, work, session_call_done, s);
}

/*
 * A policy question: answered at once by quick(session) when the policy
 * can without the database (1), else by work(session) in a worker; then
 * resume(session).  Inside session_process(), whose loop goes on.
 */
static void
session_policy_call(struct smtp_session *s, int (*quick)(struct smtp_session *),
    worker_fn *work, void (*resume)(struct smtp_session *))
{
	if (!quick(s)) {
		smtp_session_call(s, work, resume);
		return;
	}
	session_enter(s);
	resume(s);
	session_leave(s);
}

static void
session_relay_resume(struct smtp_session *s)
{
	s->relaying = 0;
	s->relay_replied = 0;
	s->relay_then(s);
}

/* Every relay step's callback: the reply is kept, the session resumed. */
static void
session_on_relay(void *arg, const struct relay_reply *r)
{
	struct smtp_session	*s = arg;

	s->rreply = *r;
	s->relay_replied = 1;
	if (s->relay_sync)
		return;
	session_enter(s);
	session_relay_resume(s);
	session_process(s);
	session_leave(s);
}

/* Enter a relay step: the callback may come before the call returns. */
static void
session_relay_enter(struct smtp_session *s, void (*then)(struct smtp_session *))
{
	s->relaying = 1;
	s->relay_sync = 1;
	s->relay_then = then;
}

/* The caller goes on with session_process() afterwards. */
static void
session_relay_leave(struct smtp_session *s)
{
	s->relay_sync = 0;
	if (s->relay_replied)
		session_relay_resume(s);
}

/* The relay's reply as ours ("451 4.4.1 next hop ..."). */
static void
session_reply_relay(struct smtp_session *s, const struct relay_reply *r)
{
	smtp_reply(s, "%d %s", r->code, r->text);
}

/*
 * Transactions.
 */

static void
session_txn_free(struct smtp_txn *t)
{
	size_t	i;

	if (t == NULL)
		return;
	if (t->data != NULL)
		smtp_data_free(t->data);
	if (t->spool != NULL)
		spool_free(t->spool);
	if (t->relay != NULL)
		smtp_relay_unref(t->relay);
	for (i = 0; i < t->nrcpts; i++)
		free(t->rcpts[i]);
	free(t->rcpts);
	free(t->rcpt);
	free(t->mail_from);
	free(t->header_from);
	free(t->subject);
	abuse_out_free(&t->abuse);
	free(t);
}

/*
 * The transaction for the message log and the counters: the pending
 * recipients are settled now, the row written by the policy's log thread
 * (policy_record_queue never blocks).
 */
/* A transaction's record: what every way of recording it fills alike. */
static void
session_txn_record(struct txn_record *tr, const struct smtp_txn *t,
    const struct sender *sender, const void *token,
    const struct sockaddr_storage *ss, const char *helo, const char *status,
    const char *reason)
{
	memset(tr, 0, sizeof *tr);
	tr->sender = sender->kind != SENDER_NONE ? sender : NULL;
	tr->queue_id = t->queue_id;
	tr->client = (const struct sockaddr *)ss;
	tr->helo = helo;
	tr->mail_from = t->mail_from;
	tr->rcpts = (const char *const *)t->rcpts;
	tr->nrcpts = t->nrcpts;
	tr->npending = t->npending;
	tr->pending_token = token;
	tr->header_from = t->header_from;
	tr->subject = t->subject;
	tr->size = t->size;
	tr->status = status;
	tr->reason = reason;
}

static void
session_record(struct smtp_session *s, const struct smtp_txn *t,
    const char *status, const char *reason, const struct relay_reply *nh)
{
	struct txn_record	 tr;
	char			 next_hop[sizeof nh->text + 8];

	session_txn_record(&tr, t, &s->sender, &s->sender, &s->ss, s->helo,
	    status, reason);
	if (nh != NULL) {
		snprintf(next_hop, sizeof next_hop, "%d %s", nh->code, nh->text);
		tr.next_hop_reply = next_hop;
	}
	policy_record_queue(s->srv->policy, &tr);
}

static void
session_log_txn(struct smtp_session *s, const struct smtp_txn *t,
    const char *status, const char *reason)
{
	char	user[128];

	log_safe(s->sender.kind == SENDER_NONE ? "-" : s->sender.user, user,
	    sizeof user);
	log_info("%s: client=%s user=%s from=<%s> nrcpt=%zu size=%zu "
	    "status=%s (%s)", t->queue_id, s->addr, user, t->mail_from,
	    t->nrcpts, t->size, status, reason);
	events_message(&(struct events_message){ .queue_id = t->queue_id,
	    .client = s->addr, .user = s->sender.kind == SENDER_NONE ? NULL :
	    s->sender.user, .domain = s->sender.kind == SENDER_NONE ? NULL :
	    s->sender.domain, .identity = t->abuse.identity,
	    .from = t->mail_from, .nrcpts = t->nrcpts, .size = t->size,
	    .status = status, .reason = reason, .spam = t->abuse.spam });
}

/*
 * A relayed message of a user with `archive` on: its log row is written
 * at once (the archive hangs off its id), then the bytes the next hop got
 * are archived, in a worker; the transaction is the job's from here on.
 */
struct smtp_archive {
	struct worker_job	 job;
	struct smtp_server	*srv;
	struct smtp_txn		*txn;
	struct sender		 sender;
	const void		*token;		/* the session's &sender */
	struct sockaddr_storage	 ss;
	char			*helo;
	char			 reason[SESSION_REPLY_MAX];
	char			 next_hop[sizeof ((struct relay_reply *)0)->text + 8];
};

static void
session_archive_work(void *arg)
{
	struct smtp_archive	*a = arg;
	struct smtp_txn		*t = a->txn;
	struct txn_record	 tr;
	const char		*m;
	size_t			 len;
	int64_t			 id = 0;

	session_txn_record(&tr, t, &a->sender, a->token, &a->ss, a->helo,
	    "relayed", a->reason);
	tr.next_hop_reply = a->next_hop;
	tr.log_id = &id;
	policy_record(a->srv->policy, &tr);
	if (id == 0)
		log_warnx("%s: not archived: no message log row", t->queue_id);
	else if ((m = spool_map(t->spool, &len)) == NULL)
		log_warn("%s: not archived", t->queue_id);
	else
		abuse_archive(a->srv->abuse, t->queue_id, id, m, len);
}

static void
session_archive_done(void *arg)
{
	struct smtp_archive	*a = arg;

	session_txn_free(a->txn);
	free(a->helo);
	free(a);
}

/* 0 when the job took the transaction, -1 when it is still ours. */
static int
session_archive(struct smtp_session *s, struct smtp_txn *t,
    const char *reason, const struct relay_reply *nh)
{
	struct smtp_archive	*a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return -1;
	a->srv = s->srv;
	a->txn = t;
	a->sender = s->sender;
	a->token = &s->sender;
	a->ss = s->ss;
	if (s->helo != NULL && (a->helo = strdup(s->helo)) == NULL) {
		free(a);
		return -1;
	}
	snprintf(a->reason, sizeof a->reason, "%s", reason);
	if (nh != NULL)
		snprintf(a->next_hop, sizeof a->next_hop, "%d %s", nh->code,
		    nh->text);
	worker_submit(s->srv->pool, &a->job, session_archive_work,
	    session_archive_done, a);
	return 0;
}

/*
 * The transaction is over: abort what is left at the next hop and hand
 * it to the policy (session_record).
 */
static void
session_txn_end(struct smtp_session *s, const char *status,
    const char *reason, const struct relay_reply *nh)
{
	struct smtp_txn		*t = s->txn;

	if (t == NULL)
		return;
	s->txn = NULL;
	if (t->rtxn != NULL)
		t->relay->backend->abort(t->rtxn);
	t->rtxn = NULL;
	if (t->data != NULL)
		smtp_data_free(t->data);
	t->data = NULL;
	if (t->abuse.archive && t->spool != NULL && !t->recorded &&
	    strcmp(status, "relayed") == 0 && s->sender.kind != SENDER_NONE) {
		session_log_txn(s, t, status, reason);
		if (session_archive(s, t, reason, nh) == 0)
			return;
		log_warnx("%s: not archived: out of memory", t->queue_id);
		session_record(s, t, status, reason, nh);
		session_txn_free(t);
		return;
	}
	if (t->spool != NULL)
		spool_free(t->spool);
	t->spool = NULL;
	session_log_txn(s, t, status, reason);
	if (!t->recorded)
		session_record(s, t, status, reason, nh);
	session_txn_free(t);
}

/* The status word of a refusal by its code. */
static const char *
session_status(int code)
{
	return code >= 500 ? "refused" : "tempfail";
}

/*
 * The connection's life.
 */

/* The connection's slot back (policy_disconnect never blocks). */
static void
session_bye(struct smtp_session *s)
{
	if (!s->counted)
		return;
	s->counted = 0;
	policy_disconnect(s->srv->policy, (const struct sockaddr *)&s->ss);
}

/*
 * Let go of the connection now.  The session's memory follows at once,
 * or when the worker job running for it comes back.
 */
static void
session_free(struct smtp_session *s)
{
	if (!s->dead) {
		s->dead = 1;
		if (s->txn != NULL && s->txn->rtxn != NULL) {
			s->txn->relay->backend->abort(s->txn->rtxn);
			s->txn->rtxn = NULL;
		}
		s->relaying = 0;
		if (s->bev != NULL)
			bufferevent_free(s->bev);
		s->bev = NULL;
		s->ssl = NULL;
		if (s->timer != NULL)
			event_free(s->timer);
		if (s->delay != NULL)
			event_free(s->delay);
		s->timer = s->delay = NULL;
	}
	if (!s->busy && s->holds == 0)
		session_finalize(s);
}

/* The last of a session whose connection is gone. */
static void
session_finalize(struct smtp_session *s)
{
	session_txn_end(s, "disconnected", "the client left before the end "
	    "of the transaction", NULL);
	session_bye(s);
	if (s->auth != NULL)
		smtp_auth_free(s->auth);
	log_debug("smtp %llu: %s gone after %u message(s)",
	    (unsigned long long)s->id, s->addr, s->messages);
	free(s->helo);
	free(s->authname);
	free(s->refusal);
	sodium_memzero(&s->verdict, sizeof s->verdict);
	session_unlink(s);
	free(s);
}

static void
session_on_flushed(struct bufferevent *bev, void *arg)
{
	(void)bev;
	session_free(arg);
}

/* Stop reading; free the session once the output is written. */
static void
session_close(struct smtp_session *s)
{
	if (s->dead || s->closing)
		return;
	s->closing = 1;
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setcb(s->bev, NULL, session_on_flushed, session_on_event,
	    s);
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		session_free(s);
}

void
smtp_session_close(struct smtp_session *s)
{
	session_close(s);
}

static void
session_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session	*s = arg;

	(void)fd;
	(void)what;
	log_info("smtp %llu: %s: session too long", (unsigned long long)s->id,
	    s->addr);
	smtp_reply(s, "421 4.4.2 This session lasted too long; closing the "
	    "connection");
	if (s->busy || s->relaying)
		session_free(s);
	else
		session_close(s);
}

static void
session_idle(struct smtp_session *s)
{
	/* The client waits for us: that is not its silence. */
	if (s->busy || s->relaying || s->delayed || s->closing) {
		bufferevent_enable(s->bev, EV_READ);
		return;
	}
	log_info("smtp %llu: %s: idle time-out", (unsigned long long)s->id,
	    s->addr);
	session_reply_close(s, "421 4.4.2 No command for too long; closing the "
	    "connection");
}

static void
session_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_session	*s = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		s->tls_wait = 0;
		session_process(s);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && !(what & (BEV_EVENT_EOF |
	    BEV_EVENT_ERROR))) {
		session_idle(s);
		return;
	}
	if ((what & BEV_EVENT_ERROR) && s->ssl != NULL)
		log_debug("smtp %llu: %s: TLS error", (unsigned long long)s->id,
		    s->addr);
	session_free(s);
}

/* Watermarks, time-outs and callbacks of a (new) bufferevent. */
static void
session_bev_setup(struct smtp_session *s)
{
	struct timeval	idle = { conf_int(session_conf(s),
			    CONF_smtp_idle_timeout), 0 };

	bufferevent_setcb(s->bev, session_on_read, NULL, session_on_event, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, SESSION_INPUT_MAX);
	bufferevent_set_timeouts(s->bev, &idle, &idle);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

/*
 * Greeting.
 */

static void
session_connect_work(void *arg)
{
	struct smtp_session	*s = arg;

	policy_connect(s->srv->policy, (struct sockaddr *)&s->ss, s->l->role,
	    &s->sender, &s->verdict);
}

static int
session_connect_quick(struct smtp_session *s)
{
	return policy_connect_quick(s->srv->policy, (struct sockaddr *)&s->ss,
	    s->l->role, &s->sender, &s->verdict);
}

/* Did the client talk before the greeting?  Read or still in the socket. */
static int
session_early(struct smtp_session *s)
{
	char	c;

	if (evbuffer_get_length(bufferevent_get_input(s->bev)) > 0)
		return 1;
	return s->ssl == NULL && recv(bufferevent_getfd(s->bev), &c, 1,
	    MSG_PEEK | MSG_DONTWAIT) == 1;
}

static void	session_on_greet_pause(evutil_socket_t, short, void *);

static void
session_connected(struct smtp_session *s)
{
	struct timeval	pause;

	if (s->verdict.code == 421) {
		log_info("smtp %llu: %s refused: %s", (unsigned long long)s->id,
		    s->addr, s->verdict.text);
		smtp_reply(s, "421 %s", s->verdict.text);
		session_close(s);
		return;
	}
	/* policy.h: every connection kept open holds a slot to give back. */
	s->counted = 1;
	if (s->verdict.code != 0 && asprintf(&s->refusal, "%d %s",
	    s->verdict.code, s->verdict.text) == -1)
		s->refusal = NULL;
	pause.tv_sec = conf_int(session_conf(s), CONF_smtp_greet_pause);
	pause.tv_usec = 0;
	if (pause.tv_sec > 0 && (s->delay = evtimer_new(s->srv->base,
	    session_on_greet_pause, s)) != NULL) {
		s->delayed = 1;
		evtimer_add(s->delay, &pause);
		return;
	}
	session_greet(s);
}

static void
session_on_greet_pause(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session	*s = arg;

	(void)fd;
	(void)what;
	event_free(s->delay);
	s->delay = NULL;
	s->delayed = 0;
	session_enter(s);
	session_greet(s);
	session_process(s);
	session_leave(s);
}

/* The 220, unless the client already talked (postscreen's pregreet test). */
static void
session_greet(struct smtp_session *s)
{
	if (session_early(s)) {
		log_info("smtp %llu: %s talked before the greeting",
		    (unsigned long long)s->id, s->addr);
		session_reply_close(s, "554 5.5.0 Protocol error: you sent "
		    "commands before the greeting; closing the connection");
		return;
	}
	s->phase = PH_GREETED;
	smtp_reply(s, "220 %s ESMTP outfilter", conf_str(session_conf(s),
	    CONF_smtp_hostname));
}

/* The server's list of sessions, for the stop. */
static void
session_link(struct smtp_session *s)
{
	struct smtp_server	*srv = s->srv;

	s->prev = NULL;
	s->next = srv->sessions;
	if (srv->sessions != NULL)
		srv->sessions->prev = s;
	srv->sessions = s;
	srv->nsessions++;
}

static void
session_unlink(struct smtp_session *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		s->srv->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	smtp_server_gone(s->srv);
}

static int
session_addr_text(struct smtp_session *s)
{
	const void	*a;

	if (s->ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&s->ss)->sin6_addr;
	else
		a = &((struct sockaddr_in *)&s->ss)->sin_addr;
	return inet_ntop(s->ss.ss_family, a, s->addr, sizeof s->addr) ==
	    NULL ? -1 : 0;
}

/* The bufferevent of a new connection: TLS from the start or not. */
static struct bufferevent *
session_bev_new(struct smtp_session *s, evutil_socket_t fd)
{
	struct event_base	*base = s->srv->base;

	if (s->l->role != ROLE_SUBMISSIONS)
		return bufferevent_socket_new(base, fd, SESSION_BEV_OPTS);
	if ((s->ssl = SSL_new(s->srv->tls)) == NULL)
		return NULL;
	s->tls_wait = 1;
	return bufferevent_openssl_socket_new(base, fd, s->ssl,
	    BUFFEREVENT_SSL_ACCEPTING, SESSION_BEV_OPTS);
}

void
smtp_session_new(struct smtp_listener *l, evutil_socket_t fd,
    const struct sockaddr *sa, socklen_t salen)
{
	struct smtp_server	*srv = l->srv;
	struct smtp_session	*s;
	struct timeval		 total;
	int			 one = 1;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	s->srv = srv;
	s->l = l;
	s->id = ++srv->next_id;
	session_link(s);
	memcpy(&s->ss, sa, salen < sizeof s->ss ? salen : sizeof s->ss);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (session_addr_text(s) == -1 ||
	    (s->bev = session_bev_new(s, fd)) == NULL ||
	    (s->timer = evtimer_new(srv->base, session_on_timer, s)) == NULL) {
		log_warnx("smtp: cannot set up a session (out of memory?)");
		if (s->bev == NULL) {
			if (s->ssl != NULL)
				SSL_free(s->ssl);
			evutil_closesocket(fd);
		}
		session_free(s);
		return;
	}
	total.tv_sec = conf_int(srv->conf, CONF_smtp_total_timeout);
	total.tv_usec = 0;
	evtimer_add(s->timer, &total);
	session_bev_setup(s);
	log_debug("smtp %llu: connection from %s on %s",
	    (unsigned long long)s->id, s->addr, l->text);
	session_policy_call(s, session_connect_quick, session_connect_work,
	    session_connected);
}

/*
 * EHLO, HELO, and the commands without a transaction.
 */

/* The ESMTP extensions this session offers now. */
static unsigned
session_ext(const struct smtp_session *s)
{
	if (!s->esmtp)
		return 0;
	return SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 |
	    SMTP_EXT_AUTH;
}

static int
session_auth_offered(const struct smtp_session *s)
{
	return s->authname == NULL && (s->ssl != NULL ||
	    conf_int(session_conf(s), CONF_smtp_auth_without_tls));
}

static void
session_ehlo_reply(struct smtp_session *s)
{
	const struct config	*c = session_conf(s);

	smtp_reply(s, "250-%s", conf_str(c, CONF_smtp_hostname));
	smtp_reply(s, "250-PIPELINING");
	smtp_reply(s, "250-SIZE %lld", conf_int(c, CONF_smtp_max_message_size));
	if (s->ssl == NULL && s->srv->tls != NULL)
		smtp_reply(s, "250-STARTTLS");
	if (session_auth_offered(s))
		smtp_reply(s, "250-AUTH PLAIN LOGIN");
	smtp_reply(s, "250-ENHANCEDSTATUSCODES");
	smtp_reply(s, "250-8BITMIME");
	smtp_reply(s, "250 SMTPUTF8");
}

static void
session_cmd_helo(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	session_txn_end(s, "reset", "new EHLO/HELO before DATA", NULL);
	free(s->helo);
	s->helo = strdup(cmd->arg);
	s->esmtp = cmd->verb == SMTP_EHLO;
	s->phase = PH_READY;
	if (s->esmtp)
		session_ehlo_reply(s);
	else
		smtp_reply(s, "250 %s", conf_str(session_conf(s),
		    CONF_smtp_hostname));
}

static void
session_cmd_noop(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	smtp_reply(s, "250 2.0.0 Ok");
}

static void
session_cmd_rset(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	session_txn_end(s, "reset", "RSET before DATA", NULL);
	smtp_reply(s, "250 2.0.0 Ok");
}

static void
session_cmd_quit(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	session_txn_end(s, "reset", "QUIT before DATA", NULL);
	session_reply_close(s, "221 2.0.0 Bye");
}

static void
session_cmd_help(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	smtp_reply(s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP "
	    "QUIT STARTTLS AUTH HELP; see RFC 5321");
}

/*
 * STARTTLS, second half: the 220 is out, the plain bufferevent gives its
 * socket to a TLS one.  Reading stopped at the STARTTLS line, so bytes
 * the client pipelined behind it are either dropped with the plain input
 * buffer or reach the TLS layer as a broken handshake.
 */
static void
session_on_starttls_flushed(struct bufferevent *bev, void *arg)
{
	struct smtp_session	*s = arg;
	evutil_socket_t		 fd = bufferevent_getfd(bev);
	struct evbuffer		*in = bufferevent_get_input(bev);

	if (evbuffer_get_length(in) > 0) {
		log_info("smtp %llu: %s: %zu bytes sent after STARTTLS dropped",
		    (unsigned long long)s->id, s->addr,
		    evbuffer_get_length(in));
		evbuffer_drain(in, evbuffer_get_length(in));
	}
	bufferevent_setfd(bev, -1);
	bufferevent_free(bev);
	s->bev = NULL;
	if ((s->ssl = SSL_new(s->srv->tls)) == NULL ||
	    (s->bev = bufferevent_openssl_socket_new(s->srv->base, fd, s->ssl,
	    BUFFEREVENT_SSL_ACCEPTING, SESSION_BEV_OPTS)) == NULL) {
		if (s->ssl != NULL)
			SSL_free(s->ssl);
		s->ssl = NULL;
		evutil_closesocket(fd);
		session_free(s);
		return;
	}
	session_bev_setup(s);
}

/* STARTTLS: what came with it is dropped; the session starts afresh. */
static void
session_cmd_starttls(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct evbuffer	*in = bufferevent_get_input(s->bev);
	size_t		 extra = evbuffer_get_length(in);

	(void)cmd;
	if (s->ssl != NULL || s->srv->tls == NULL || s->authname != NULL ||
	    s->txn != NULL) {
		smtp_reply(s, "503 5.5.1 %s", s->ssl != NULL ? "TLS is already "
		    "active" : s->authname != NULL ? "STARTTLS is not allowed "
		    "after AUTH" : s->txn != NULL ? "STARTTLS is not allowed "
		    "inside a mail transaction" : "TLS is not available");
		smtp_error(s);
		return;
	}
	smtp_reply(s, "220 2.0.0 Ready to start TLS");
	if (extra > 0) {
		log_info("smtp %llu: %s: %zu bytes sent after STARTTLS dropped",
		    (unsigned long long)s->id, s->addr, extra);
		evbuffer_drain(in, extra);
	}
	/* Until the handshake is done, nothing is read as a command. */
	s->tls_wait = 1;
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setcb(s->bev, NULL, session_on_starttls_flushed,
	    session_on_event, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	/* RFC 3207 4.2: forget everything learnt before TLS. */
	free(s->helo);
	s->helo = NULL;
	s->esmtp = 0;
	s->phase = PH_GREETED;
}

static void
session_cmd_auth(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (s->authname != NULL || s->txn != NULL) {
		smtp_reply(s, "503 5.5.1 %s", s->authname != NULL ? "You are "
		    "already authenticated" : "AUTH is not allowed inside a "
		    "mail transaction");
		smtp_error(s);
		return;
	}
	if (!session_auth_offered(s)) {
		smtp_reply(s, "538 5.7.11 Encryption required for requested "
		    "authentication mechanism: use STARTTLS first");
		smtp_error(s);
		return;
	}
	smtp_auth_start(s, cmd->arg, cmd->auth_initial, cmd->auth_initial_len);
}

void
smtp_session_authed(struct smtp_session *s, const char *name,
    const struct sender *sender)
{
	char	safe[128];

	free(s->authname);
	s->authname = strdup(name);
	s->sender = *sender;
	free(s->refusal);
	s->refusal = NULL;
	log_info("smtp %llu: %s authenticated as %s (user %s)",
	    (unsigned long long)s->id, s->addr,
	    log_safe(name, safe, sizeof safe), sender->user);
}

/*
 * MAIL.
 */

static const struct relay_reply session_nomem = {
	451, "4.3.0 Out of memory; try again later"
};

/* Why this session may not start a transaction, or NULL. */
static const char *
session_mail_refusal(struct smtp_session *s, char *buf, size_t len)
{
	if (s->refusal != NULL)
		return s->refusal;
	if (s->sender.kind != SENDER_NONE)
		return NULL;
	if (s->l->role != ROLE_RELAY)
		return "530 5.7.0 Authentication required: log in with AUTH "
		    "before sending mail";
	snprintf(buf, len, "550 5.7.1 No outgoing user for your address %s: "
	    "ask your provider to add it, or log in with AUTH", s->addr);
	return buf;
}

static void
session_mail_work(void *arg)
{
	struct smtp_session	*s = arg;

	policy_mail(s->srv->policy, &s->sender, s->txn->mail_from,
	    &s->verdict);
}

static int
session_mail_quick(struct smtp_session *s)
{
	return policy_mail_quick(s->srv->policy, &s->sender,
	    s->txn->mail_from, &s->verdict);
}

static void
session_mail_begun(struct smtp_session *s)
{
	char	reply[SESSION_REPLY_MAX];

	if (!relay_reply_ok(&s->rreply)) {
		/* Refused, or not reached at all: the reply says which. */
		session_reply_relay(s, &s->rreply);
		snprintf(reply, sizeof reply, "%d %s", s->rreply.code,
		    s->rreply.text);
		session_txn_end(s, session_status(s->rreply.code), reply,
		    &s->rreply);
		return;
	}
	smtp_reply(s, "250 2.1.0 Ok");
}

static void
session_mail_checked(struct smtp_session *s)
{
	struct smtp_txn		*t = s->txn;
	struct relay_envelope	 env;
	char			 reply[SESSION_REPLY_MAX];

	if (s->verdict.code != 0) {
		snprintf(reply, sizeof reply, "%d %s", s->verdict.code,
		    s->verdict.text);
		smtp_reply(s, "%s", reply);
		session_txn_end(s, session_status(s->verdict.code), reply, NULL);
		if (s->verdict.code == 421)
			session_close(s);
		return;
	}
	memset(&env, 0, sizeof env);
	env.queue_id = t->queue_id;
	env.sender = t->mail_from;
	env.helo = s->helo != NULL ? s->helo : "";
	env.body_8bit = t->body8;
	env.smtputf8 = t->smtputf8;
	env.size = t->size_decl;
	t->relay = smtp_relay_ref(s->srv);
	session_relay_enter(s, session_mail_begun);
	t->rtxn = t->relay->backend->begin(t->relay->relay, &env,
	    session_on_relay, s);
	if (t->rtxn == NULL && !s->relay_replied)
		session_on_relay(s, &session_nomem);
	session_relay_leave(s);
}

static void
session_cmd_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_txn	*t;
	const char	*no;
	char		 buf[SMTP_REPLY_MAX];

	if (s->txn != NULL) {
		smtp_reply(s, "503 5.5.1 Nested MAIL command: a transaction is "
		    "already open (RSET ends it)");
		smtp_error(s);
		return;
	}
	if ((no = session_mail_refusal(s, buf, sizeof buf)) != NULL) {
		smtp_reply(s, "%s", no);
		return;
	}
	if ((t = calloc(1, sizeof *t)) == NULL ||
	    (t->mail_from = strdup(cmd->path)) == NULL) {
		free(t);
		smtp_reply(s, "451 4.3.0 Out of memory; try again later");
		return;
	}
	smtp_queue_id(t->queue_id);
	t->smtputf8 = cmd->smtputf8;
	t->body8 = cmd->body == SMTP_BODY_8BITMIME;
	t->size_decl = cmd->params & SMTP_PARAM_SIZE ? cmd->size : 0;
	s->txn = t;
	session_policy_call(s, session_mail_quick, session_mail_work,
	    session_mail_checked);
}

/*
 * RCPT.
 */

static void
session_rcpt_work(void *arg)
{
	struct smtp_session	*s = arg;

	policy_rcpt(s->srv->policy, &s->sender, s->txn->rcpt, &s->verdict);
}

static int
session_rcpt_quick(struct smtp_session *s)
{
	return policy_rcpt_quick(s->srv->policy, &s->sender, s->txn->rcpt,
	    &s->verdict);
}

static int
session_rcpt_add(struct smtp_txn *t)
{
	char	**n;

	if (t->nrcpts == t->rcptcap) {
		if ((n = reallocarray(t->rcpts, t->rcptcap ? t->rcptcap * 2 :
		    4, sizeof *n)) == NULL)
			return -1;
		t->rcpts = n;
		t->rcptcap = t->rcptcap ? t->rcptcap * 2 : 4;
	}
	t->rcpts[t->nrcpts++] = t->rcpt;
	t->rcpt = NULL;
	return 0;
}

static void
session_rcpt_relayed(struct smtp_session *s)
{
	struct smtp_txn	*t = s->txn;

	if (!relay_reply_ok(&s->rreply)) {
		session_reply_relay(s, &s->rreply);
		free(t->rcpt);
		t->rcpt = NULL;
		return;
	}
	if (session_rcpt_add(t) == -1) {
		smtp_reply(s, "451 4.3.0 Out of memory; try again later");
		return;
	}
	smtp_reply(s, "250 2.1.5 Ok");
}

static void
session_rcpt_checked(struct smtp_session *s)
{
	struct smtp_txn	*t = s->txn;

	if (s->verdict.code != 0) {
		smtp_reply(s, "%d %s", s->verdict.code, s->verdict.text);
		free(t->rcpt);
		t->rcpt = NULL;
		if (s->verdict.code == 421)
			session_close(s);
		return;
	}
	t->npending++;
	session_relay_enter(s, session_rcpt_relayed);
	t->relay->backend->rcpt(t->rtxn, t->rcpt, session_on_relay, s);
	session_relay_leave(s);
}

static void
session_cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_txn	*t = s->txn;
	long long	 max = conf_int(session_conf(s), CONF_smtp_max_recipients);

	if (t == NULL) {
		smtp_reply(s, "503 5.5.1 Need MAIL before RCPT");
		smtp_error(s);
		return;
	}
	if ((long long)t->nrcpts >= max) {
		smtp_reply(s, "452 4.5.3 Too many recipients: at most %lld per "
		    "message; send the others in another message", max);
		return;
	}
	t->rcpt_tried = 1;
	if ((t->rcpt = strdup(cmd->path)) == NULL) {
		smtp_reply(s, "451 4.3.0 Out of memory; try again later");
		return;
	}
	session_policy_call(s, session_rcpt_quick, session_rcpt_work,
	    session_rcpt_checked);
}

/*
 * DATA.
 */

static void
session_cmd_data(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const struct config	*c = session_conf(s);
	struct smtp_data_opts	 o;

	(void)cmd;
	if (s->txn == NULL || s->txn->nrcpts == 0) {
		/* RFC 5321 3.3: 503 without RCPT, 554 when all were refused. */
		smtp_reply(s, s->txn == NULL ? "503 5.5.1 Need MAIL and RCPT "
		    "before DATA" : !s->txn->rcpt_tried ? "503 5.5.1 Need RCPT "
		    "before DATA" : "554 5.5.1 No valid recipients");
		smtp_error(s);
		/* RFC 2920 3.1: DATA ends a group; what follows is a body. */
		if (!s->dead && evbuffer_get_length(bufferevent_get_input(
		    s->bev)) > 0)
			session_reply_close(s, "421 4.5.0 Message text sent "
			    "before the server accepted DATA; closing the "
			    "connection");
		return;
	}
	memset(&o, 0, sizeof o);
	o.max_size = conf_int(c, CONF_smtp_max_message_size);
	o.bare_lf = s->srv->bare_lf;
	o.mem_threshold = conf_int(c, CONF_smtp_spool_memory);
	o.spool_dir = s->srv->spool_dir;
	if ((s->txn->data = smtp_data_new(&o)) == NULL) {
		smtp_reply(s, "451 4.3.0 Out of memory; try again later");
		return;
	}
	s->phase = PH_DATA;
	smtp_reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

/* An unfolded, printable copy of a header's value, or NULL. */
static char *
session_header_value(const char *p, const char *end)
{
	char	*out, *o;

	if ((out = malloc(SESSION_HEADER_MAX + 1)) == NULL)
		return NULL;
	for (o = out; p < end && o < out + SESSION_HEADER_MAX; p++) {
		if (*p == '\r' || *p == '\n') {
			/* A folded line goes on; anything else ends it. */
			if (*p == '\n' && (p + 1 == end ||
			    (p[1] != ' ' && p[1] != '\t')))
				break;
			continue;
		}
		*o++ = ((unsigned char)*p < 0x20 || *p == 0x7f) ? ' ' : *p;
	}
	*o = '\0';
	for (o = out; *o == ' '; o++)
		;
	memmove(out, o, strlen(o) + 1);
	return out;
}

/* The header field name at p, if it is name (case-insensitive). */
static int
session_header_is(const char *p, const char *end, const char *name)
{
	size_t	len = strlen(name);

	return (size_t)(end - p) > len && strncasecmp(p, name, len) == 0 &&
	    p[len] == ':';
}

/* A header field starts at p: a name of printable ASCII, then ':'. */
static int
session_field_line(const char *p, const char *end)
{
	const char	*q;

	for (q = p; q < end && *q != ':'; q++)
		if ((unsigned char)*q <= ' ' || (unsigned char)*q > '~')
			return 0;
	return q < end && q > p;
}

/* From: and Subject: for the message log. */
static void
session_headers(struct smtp_txn *t, size_t header_size)
{
	const char	*m, *p, *end;
	size_t		 len;

	if ((m = spool_map(t->spool, &len)) == NULL)
		return;
	end = m + (header_size < len ? header_size : len);
	for (p = m; p < end; p++) {
		if (p != m && p[-1] != '\n')
			continue;
		/*
		 * A line that is neither a field nor a folded one ends the
		 * header, as it does for the MIME parser and the DKIM signer.
		 */
		if (*p != ' ' && *p != '\t' && !session_field_line(p, end))
			break;
		if (t->header_from == NULL && session_header_is(p, end, "From"))
			t->header_from = session_header_value(p + 5, end);
		else if (t->subject == NULL &&
		    session_header_is(p, end, "Subject"))
			t->subject = session_header_value(p + 8, end);
	}
}

static int
session_received(struct smtp_session *s, struct smtp_txn *t)
{
	struct received	 r;
	char		 tls[160], *h;
	size_t		 len;
	int		 rc;

	memset(&r, 0, sizeof r);
	r.helo = s->helo;
	r.addr = s->addr;
	r.v6 = s->ss.ss_family == AF_INET6;
	r.hostname = conf_str(session_conf(s), CONF_smtp_hostname);
	if (s->ssl != NULL) {
		tls_describe(s->ssl, tls, sizeof tls);
		r.tls = tls;
	}
	r.auth = s->authname;
	r.esmtp = s->esmtp;
	r.queue_id = t->queue_id;
	r.rcpt = t->nrcpts == 1 ? t->rcpts[0] : NULL;
	r.when = time(NULL);
	if ((h = received_format(&r, &len)) == NULL)
		return -1;
	rc = spool_prepend(t->spool, h, len);
	free(h);
	return rc;
}

static void
session_data_relayed(struct smtp_session *s)
{
	struct smtp_txn	*t = s->txn;
	char		 reply[SESSION_REPLY_MAX];

	t->relay->backend->done(t->rtxn);
	t->rtxn = NULL;
	if (relay_reply_ok(&s->rreply)) {
		snprintf(reply, sizeof reply, "250 2.0.0 Ok: queued as %s",
		    t->queue_id);
		smtp_reply(s, "%s", reply);
		s->messages++;
		if (*t->note != '\0')
			snprintf(reply, sizeof reply, "250 2.0.0 Ok: queued as "
			    "%s; %s", t->queue_id, t->note);
		session_txn_end(s, "relayed", reply, &s->rreply);
		return;
	}
	session_reply_relay(s, &s->rreply);
	snprintf(reply, sizeof reply, "%d %s", s->rreply.code, s->rreply.text);
	session_txn_end(s, session_status(s->rreply.code), reply, &s->rreply);
}

/* A refusal of the message at its end, replied and recorded. */
static void
session_data_refuse(struct smtp_session *s, const char *text)
{
	char	reply[SESSION_REPLY_MAX];

	/* text may live in the DATA reader, which the end frees. */
	snprintf(reply, sizeof reply, "%s", text != NULL ? text :
	    "451 4.3.0 The message could not be read; try again later");
	smtp_reply(s, "%s", reply);
	session_txn_end(s, reply[0] == '5' ? "refused" : "tempfail", reply,
	    NULL);
}

/* What we refuse of a well-formed message, or NULL. */
static const char *
session_data_check(const struct smtp_data_stats *st, char *buf, size_t len)
{
	if (st->received > 100) {
		snprintf(buf, len, "554 5.4.0 The message has %u Received: "
		    "headers: it is looping", st->received);
		return buf;
	}
	if (st->from > 1) {
		snprintf(buf, len, "550 5.7.1 The message has %u From: headers; "
		    "exactly one is allowed", st->from);
		return buf;
	}
	return NULL;
}

/* Received: in front, then the message to the next hop. */
static void
session_data_relay(struct smtp_session *s)
{
	struct smtp_txn		*t = s->txn;
	struct relay_txn	*rtxn;

	if (session_received(s, t) == -1) {
		session_data_refuse(s, spool_full(spool_error(t->spool)) ?
		    "452 4.3.1 Insufficient system storage; try again later" :
		    "451 4.3.0 Cannot store the message; try again later");
		return;
	}
	rtxn = t->rtxn;
	session_relay_enter(s, session_data_relayed);
	t->relay->backend->data(rtxn, t->spool, session_on_relay, s);
	session_relay_leave(s);
}

/*
 * Abuse control (abuse.h): the identity, its lock, the spam verdict, in
 * a worker; the outcome acted on here.
 */

/* The message without the field at [off, off + len) (identify.strip). */
static int
session_strip(struct smtp_session *s, struct smtp_txn *t, size_t off,
    size_t len)
{
	const struct config	*c = session_conf(s);
	const char		*m;
	struct spool		*n;
	size_t			 size;

	if ((m = spool_map(t->spool, &size)) == NULL || off + len > size ||
	    (n = spool_new(conf_int(c, CONF_smtp_spool_memory),
	    s->srv->spool_dir)) == NULL)
		return -1;
	if (spool_write(n, m, off) == -1 ||
	    spool_write(n, m + off + len, size - off - len) == -1) {
		spool_free(n);
		return -1;
	}
	spool_free(t->spool);
	t->spool = n;
	return 0;
}

/*
 * DKIM-sign the message that passed (in the worker).  A message that
 * cannot be signed goes out unsigned; the log row says why.
 */
static void
session_sign(struct smtp_session *s, struct smtp_txn *t)
{
	const char	*m;
	char		*h, why[200] = "";
	size_t		 len, hlen;
	int		 rc;

	if ((m = spool_map(t->spool, &len)) == NULL) {
		snprintf(t->note, sizeof t->note, "DKIM: unsigned: cannot read "
		    "the message back");
		return;
	}
	rc = abuse_sign(s->srv->abuse, &t->abuse, t->header_from, m, len, &h,
	    &hlen, why, sizeof why);
	if (rc == 0 && spool_prepend(t->spool, h, hlen) == -1) {
		rc = -1;
		snprintf(why, sizeof why, "cannot store the signature");
	}
	if (rc != 0)
		snprintf(t->note, sizeof t->note, "DKIM: unsigned: %s", why);
	else if (*why != '\0')
		snprintf(t->note, sizeof t->note, "DKIM: %s", why);
	if (rc == -1)
		log_warnx("%s: DKIM: %s", t->queue_id, why);
	free(h);
}

/*
 * Room in the archive for a message of len bytes (compressed, it takes
 * about that at most).  The archive copy is written after the client
 * heard 250, so a full archive must refuse the message before it is
 * relayed.  A directory that cannot be examined counts as having room:
 * the archive says why later.
 */
static int
session_archive_room(const struct config *c, size_t len)
{
	struct statvfs	sv;

	if (statvfs(conf_str(c, CONF_archive_dir), &sv) == -1)
		return 1;
	if (sv.f_files != 0 && sv.f_favail == 0)
		return 0;
	return (uint64_t)sv.f_bavail * sv.f_frsize >= (uint64_t)len + 65536;
}

static void
session_abuse_work(void *arg)
{
	struct smtp_session	*s = arg;
	struct smtp_txn		*t = s->txn;
	struct abuse_in		 in;
	struct abuse_out	*o = &t->abuse;

	memset(&in, 0, sizeof in);
	in.sender = &s->sender;
	in.queue_id = t->queue_id;
	in.mail_from = t->mail_from;
	in.authname = s->authname;
	in.header_from = t->header_from;
	if ((in.msg = spool_map(t->spool, &in.len)) == NULL) {
		o->action = ABUSE_REFUSE;
		snprintf(o->reply, sizeof o->reply, "451 4.3.0 Cannot read "
		    "the message back; try again later");
		return;
	}
	abuse_check(s->srv->abuse, &in, o);
	if (o->action == ABUSE_PASS && o->strip_len > 0 &&
	    session_strip(s, t, o->strip_off, o->strip_len) == -1) {
		o->action = ABUSE_REFUSE;
		snprintf(o->reply, sizeof o->reply, "451 4.3.0 Cannot store "
		    "the message; try again later");
	}
	if (o->action == ABUSE_PASS && o->archive &&
	    !session_archive_room(session_conf(s), in.len)) {
		o->action = ABUSE_REFUSE;
		snprintf(o->reply, sizeof o->reply, "452 4.3.1 Insufficient "
		    "system storage; try again later");
		log_warnx("%s: the archive's file system is full: %s",
		    t->queue_id, conf_str(session_conf(s), CONF_archive_dir));
	}
	if (o->action == ABUSE_PASS && *o->dkim_selector != '\0')
		session_sign(s, t);
}

/* What became of a notice, for the log. */
static void
session_notice_sent(void *arg, const struct relay_reply *r)
{
	struct smtp_relay	*relay = arg;

	if (relay_reply_ok(r))
		log_info("notice: relayed (%d %s)", r->code, r->text);
	else
		log_warnx("notice: not relayed: %d %s", r->code, r->text);
	smtp_relay_unref(relay);
}

/* Hand a lock notice to the next hop, on its own. */
static void
session_notice(struct smtp_session *s, struct abuse_out *o)
{
	struct relay_envelope	 env;
	struct smtp_relay	*relay;
	struct spool		*msg;
	const char		*rcpts[2];
	char			 id[SMTP_QUEUE_ID_LEN + 1];
	size_t			 n = 0;

	if ((msg = spool_new(conf_int(session_conf(s),
	    CONF_smtp_spool_memory), s->srv->spool_dir)) == NULL ||
	    spool_write(msg, o->notice, o->notice_len) == -1) {
		log_warn("notice to %s", o->notice_to);
		if (msg != NULL)
			spool_free(msg);
		return;
	}
	smtp_queue_id(id);
	memset(&env, 0, sizeof env);
	env.queue_id = id;
	env.sender = o->notice_from;
	env.helo = conf_str(session_conf(s), CONF_smtp_hostname);
	env.body_8bit = 1;
	rcpts[n++] = o->notice_to;
	if (o->notice_cc != NULL)
		rcpts[n++] = o->notice_cc;
	relay = smtp_relay_ref(s->srv);
	log_info("%s: notice to %s%s%s", id, o->notice_to, o->notice_cc !=
	    NULL ? ", copy to " : "", o->notice_cc != NULL ? o->notice_cc :
	    "");
	if (relay_send(s->srv->base, relay->backend, relay->relay, &env,
	    rcpts, n, msg, session_notice_sent, relay) == -1) {
		log_warnx("%s: notice not sent: out of memory", id);
		spool_free(msg);
		smtp_relay_unref(relay);
	}
}

void
smtp_server_abuse(struct smtp_server *srv, struct abuse *a)
{
	srv->abuse = a;
}

/*
 * The quarantine: the log row first (its id links the held file), then
 * the file; the client hears 250 only once both are stored.
 */
static void
session_quarantine_work(void *arg)
{
	struct smtp_session	*s = arg;
	struct smtp_txn		*t = s->txn;
	struct abuse_out	*o = &t->abuse;
	struct txn_record	 tr;
	struct abuse_in		 in;
	int64_t			 id = 0;

	session_txn_record(&tr, t, &s->sender, &s->sender, &s->ss, s->helo,
	    "quarantined", o->reason);
	tr.log_id = &id;
	policy_record(s->srv->policy, &tr);
	t->recorded = 1;
	memset(&in, 0, sizeof in);
	in.queue_id = t->queue_id;
	in.mail_from = t->mail_from;
	if (id == 0 || (in.msg = spool_map(t->spool, &in.len)) == NULL) {
		o->action = ABUSE_REFUSE;
		snprintf(o->reply, sizeof o->reply, "451 4.3.0 Cannot hold the "
		    "message now; try again later");
		return;
	}
	if (abuse_hold(s->srv->abuse, &in, id, (const char *const *)t->rcpts,
	    t->nrcpts, o) == -1)
		o->action = ABUSE_REFUSE;
}

static void
session_quarantine_done(struct smtp_session *s)
{
	struct smtp_txn		*t = s->txn;
	struct abuse_out	*o = &t->abuse;
	char			 reply[SESSION_REPLY_MAX];

	if (o->notice != NULL)
		session_notice(s, o);
	if (o->action == ABUSE_REFUSE) {
		snprintf(reply, sizeof reply, "%s", o->reply);
		smtp_reply(s, "%s", reply);
		session_txn_end(s, "tempfail", reply, NULL);
		return;
	}
	/* As for a relayed message: the sender learns nothing more. */
	snprintf(reply, sizeof reply, "250 2.0.0 Ok: queued as %s",
	    t->queue_id);
	smtp_reply(s, "%s", reply);
	s->messages++;
	session_txn_end(s, "quarantined", reply, NULL);
}

/* A refusal of the checks: the log row also says why, in full. */
static void
session_abuse_refuse(struct smtp_session *s, const struct abuse_out *o)
{
	char	reply[SESSION_REPLY_MAX], reason[SESSION_REPLY_MAX + 520];

	snprintf(reply, sizeof reply, "%s", o->reply);
	smtp_reply(s, "%s", reply);
	if (*o->reason != '\0' && strstr(reply, o->reason) == NULL)
		snprintf(reason, sizeof reason, "%s [%s]", reply, o->reason);
	else
		snprintf(reason, sizeof reason, "%s", reply);
	session_txn_end(s, reply[0] == '5' ? "refused" : "tempfail", reason,
	    NULL);
}

/* Hold the message in the quarantine; the client hears 250. */
static void
session_quarantine(struct smtp_session *s)
{
	struct smtp_txn	*t = s->txn;

	if (session_received(s, t) == -1) {
		session_data_refuse(s, spool_full(spool_error(t->spool)) ?
		    "452 4.3.1 Insufficient system storage; try again later" :
		    "451 4.3.0 Cannot store the message; try again later");
		return;
	}
	/* The notice of a lock went with abuse_check's outcome already. */
	abuse_out_free(&t->abuse);
	smtp_session_call(s, session_quarantine_work, session_quarantine_done);
}

static void
session_abuse_done(struct smtp_session *s)
{
	struct smtp_txn		*t = s->txn;
	struct abuse_out	*o = &t->abuse;

	if (o->notice != NULL)
		session_notice(s, o);
	switch (o->action) {
	case ABUSE_REFUSE:
		session_abuse_refuse(s, o);
		break;
	case ABUSE_QUARANTINE:
		session_quarantine(s);
		break;
	case ABUSE_PASS:
		session_data_relay(s);
		break;
	}
}

static void
session_data_end(struct smtp_session *s)
{
	struct smtp_txn			*t = s->txn;
	const struct smtp_data_stats	*st = smtp_data_stats(t->data);
	const char			*no;
	char				 buf[SMTP_REPLY_MAX];

	s->phase = PH_READY;
	t->size = st->size;
	if (smtp_data_result(t->data) != SMTP_DATA_OK) {
		session_data_refuse(s, smtp_data_reply(t->data));
		return;
	}
	if ((no = session_data_check(st, buf, sizeof buf)) != NULL) {
		session_data_refuse(s, no);
		return;
	}
	t->spool = smtp_data_take_spool(t->data);
	session_headers(t, st->header_size);
	if (s->srv->abuse != NULL)
		smtp_session_call(s, session_abuse_work, session_abuse_done);
	else
		session_data_relay(s);
}

/* Feed the input to the DATA reader; 1 when the message ended. */
static int
session_data_input(struct smtp_session *s, struct evbuffer *in)
{
	struct evbuffer_iovec	 v;
	ssize_t			 n;
	int			 done = 0;

	while (!done && evbuffer_peek(in, -1, NULL, &v, 1) > 0 &&
	    v.iov_len > 0) {
		n = smtp_data_feed(s->txn->data, v.iov_base, v.iov_len, &done);
		if (n < 0)
			n = v.iov_len;
		evbuffer_drain(in, n);
	}
	return done;
}

/*
 * Commands.
 */

/* The line in hand (the loop runs one session at a time). */
static char	session_linebuf[65536 + 2];

enum {
	NEED_NONE = 0,
	NEED_HELO = 1,		/* after EHLO/HELO */
};

static const struct session_cmd {
	enum smtp_verb	 verb;
	int		 need;
	void		(*fn)(struct smtp_session *, const struct smtp_cmd *);
} session_cmds[] = {
	{ SMTP_EHLO,	 NEED_NONE,	session_cmd_helo },
	{ SMTP_HELO,	 NEED_NONE,	session_cmd_helo },
	{ SMTP_MAIL,	 NEED_HELO,	session_cmd_mail },
	{ SMTP_RCPT,	 NEED_HELO,	session_cmd_rcpt },
	{ SMTP_DATA,	 NEED_HELO,	session_cmd_data },
	{ SMTP_RSET,	 NEED_NONE,	session_cmd_rset },
	{ SMTP_NOOP,	 NEED_NONE,	session_cmd_noop },
	{ SMTP_QUIT,	 NEED_NONE,	session_cmd_quit },
	{ SMTP_HELP,	 NEED_NONE,	session_cmd_help },
	{ SMTP_STARTTLS, NEED_NONE,	session_cmd_starttls },
	{ SMTP_AUTH,	 NEED_HELO,	session_cmd_auth },
};

static void
session_command(struct smtp_session *s, const char *line, size_t len)
{
	struct smtp_cmd_opts	 o;
	struct smtp_cmd		 cmd;
	size_t			 i;

	memset(&o, 0, sizeof o);
	o.ext = session_ext(s);
	o.size_max = conf_int(session_conf(s), CONF_smtp_max_message_size);
	o.utf8 = s->txn != NULL && s->txn->smtputf8;
	if (smtp_cmd_parse(line, len, &o, &cmd) == -1) {
		smtp_reply(s, "%s", cmd.reply);
		smtp_error(s);
		return;
	}
	log_debug("smtp %llu: < %s", (unsigned long long)s->id,
	    smtp_verb_name(cmd.verb));
	for (i = 0; i < sizeof session_cmds / sizeof session_cmds[0]; i++)
		if (session_cmds[i].verb == cmd.verb)
			break;
	if (i == sizeof session_cmds / sizeof session_cmds[0]) {
		smtp_reply(s, "502 5.5.1 %s is not implemented",
		    smtp_verb_name(cmd.verb));
		smtp_error(s);
	} else if (session_cmds[i].need == NEED_HELO && s->phase < PH_READY) {
		smtp_reply(s, "503 5.5.1 Send EHLO or HELO first");
		smtp_error(s);
	} else
		session_cmds[i].fn(s, &cmd);
	sodium_memzero(&cmd, sizeof cmd);
}

/* A line that is no command at all: CR or LF inside, or too long. */
static void
session_bad_line(struct smtp_session *s, const char *why)
{
	if (s->auth != NULL) {
		smtp_auth_free(s->auth);
		s->auth = NULL;
	}
	smtp_reply(s, "500 5.5.2 %s", why);
	smtp_error(s);
}

/*
 * Take one line from the input and act on it: 1 when a line was taken,
 * 0 when a whole line is not there yet.
 */
static int
session_line(struct smtp_session *s, struct evbuffer *in)
{
	struct evbuffer_ptr	 eol;
	size_t			 len, max = conf_int(session_conf(s),
				    CONF_smtp_max_line);
	char			*line;

	eol = evbuffer_search(in, "\n", 1, NULL);
	if (eol.pos == -1) {
		if (evbuffer_get_length(in) > max + 1) {
			/* Bounded: drop what we hold, finish at the LF. */
			evbuffer_drain(in, evbuffer_get_length(in));
			s->skipping = 1;
		}
		return 0;
	}
	len = eol.pos;
	if (s->skipping || len > max + 1) {
		evbuffer_drain(in, len + 1);
		s->skipping = 0;
		session_bad_line(s, "Line too long");
		return 1;
	}
	/* Taken out first: what the command does next sees only the rest. */
	line = session_linebuf;
	evbuffer_remove(in, line, len + 1);
	if (len == 0 || line[len - 1] != '\r')
		session_bad_line(s, "Syntax error: bare LF; end lines with CRLF");
	else if (s->auth != NULL)
		smtp_auth_line(s, line, len - 1);
	else
		session_command(s, line, len - 1);
	/* The line may hold a secret (AUTH). */
	sodium_memzero(line, len + 1);
	return 1;
}

/* Whether the session can take its next piece of input now. */
static int
session_ready(const struct smtp_session *s)
{
	return !s->dead && !s->closing && !s->busy && !s->relaying &&
	    !s->delayed && !s->tls_wait && s->phase != PH_CONNECT;
}

static void
session_process(struct smtp_session *s)
{
	struct evbuffer	*in;

	session_enter(s);
	while (session_ready(s)) {
		in = bufferevent_get_input(s->bev);
		if (s->phase == PH_DATA) {
			if (!session_data_input(s, in))
				break;
			session_data_end(s);
			continue;
		}
		if (s->srv->stopping && s->auth == NULL) {
			session_txn_end(s, "tempfail", "the server is shutting "
			    "down", NULL);
			session_reply_close(s, "421 4.3.2 The server is shutting "
			    "down; try again later");
			break;
		}
		if (evbuffer_get_length(in) == 0 || !session_line(s, in))
			break;
	}
	session_leave(s);
}

static void
session_on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	session_process(arg);
}

/*
 * Stopping.
 */

void
smtp_session_shutdown(struct smtp_session *s)
{
	/* A message being received or relayed may finish. */
	if (s->phase == PH_DATA || s->relaying || s->busy || s->dead)
		return;
	session_process(s);
	if (!s->dead && !s->closing) {
		session_txn_end(s, "tempfail", "the server is shutting down",
		    NULL);
		session_reply_close(s, "421 4.3.2 The server is shutting down; "
		    "try again later");
	}
}

void
smtp_session_kill(struct smtp_session *s)
{
	if (s->dead)
		return;
	smtp_reply(s, "421 4.3.2 The server is shutting down; try again later");
	session_free(s);
}
