/*
 * next_hop = smtp://HOST:PORT: an asynchronous SMTP client that mirrors
 * each client transaction onto a next-hop transaction as it happens.
 *
 * A connection (struct smtp_conn) first walks through its set-up states
 * (greeting, EHLO, STARTTLS, AUTH), each a row of smtp_states[] with the
 * command it sends and the handler of the reply.  Once READY it carries
 * one transaction at a time: the transaction's steps (MAIL, RCPT, DATA)
 * wait in txn->queue, are sent (pipelined when the next hop offers
 * PIPELINING) onto conn->sent, and each reply goes to the head of
 * conn->sent, handled by the row of smtp_steps[] for its kind.
 *
 * A finished transaction gives its connection back to an idle pool; the
 * next transaction takes the most recently used one.  A pooled connection
 * the next hop closed while we were not looking is replaced once, without
 * failing the transaction, as long as no reply for it has arrived yet.
 *
 * Failures of the connection are delivered to every step of the
 * transaction from txn->defer, never from inside a step function, so a
 * caller is not re-entered.
 *
 * Choices: a message needing 8BITMIME goes unchanged (without BODY=) to a
 * next hop that does not offer it, as most MTAs do; one needing SMTPUTF8
 * is refused at MAIL with 550 5.6.7, since it cannot arrive as it is.
 * RSET follows only a transaction that did not end in 250: after a
 * delivered message the next MAIL needs none.  Defaults: starttls=try,
 * verify=no, timeout=60, max_idle=16, idle_timeout=30.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "relay.h"

#define SMTP_REPLY_LINES	200	/* more continuation lines: garbage */
#define SMTP_BODY_CHUNK		16384	/* read from the spool at a time */
#define SMTP_BODY_LOWAT		65536	/* refill the output below this */
#define SMTP_MAX_ADDRS		8

enum smtp_tls { TLS_NO, TLS_TRY, TLS_YES };

enum smtp_state {
	S_CONNECT, S_GREETING, S_EHLO, S_HELO, S_STARTTLS, S_TLS, S_AUTH,
	S_READY, S_BODY, S_QUIT
};

enum smtp_step_kind { K_MAIL, K_RCPT, K_DATA, K_EOM, K_RSET };

#define EXT_PIPELINING	0x01
#define EXT_SIZE	0x02
#define EXT_8BITMIME	0x04
#define EXT_SMTPUTF8	0x08
#define EXT_STARTTLS	0x10
#define EXT_AUTH_PLAIN	0x20

struct smtp_conn;
struct relay_txn;

/* One command of a transaction and who waits for its reply. */
struct smtp_step {
	TAILQ_ENTRY(smtp_step)	 entry;
	enum smtp_step_kind	 kind;
	char			*addr;		/* RCPT's address */
	struct relay_txn	*txn;		/* NULL: nobody waits */
	relay_cb		*cb;
	void			*arg;
	struct relay_reply	*local;		/* answered here, not sent */
};
TAILQ_HEAD(smtp_steps, smtp_step);
TAILQ_HEAD(smtp_conns, smtp_conn);

struct relay {
	struct event_base	*base;
	char			*host;		/* as given, for messages */
	char			*port;
	char			*name;		/* "host:port" */
	char			*helo;		/* our EHLO name */
	struct sockaddr_storage	 addrs[SMTP_MAX_ADDRS];
	socklen_t		 addrlens[SMTP_MAX_ADDRS];
	int			 naddrs;
	enum smtp_tls		 tls;
	int			 verify;
	SSL_CTX			*ssl_ctx;
	char			*auth_user;
	char			*auth_b64;	/* base64 of "\0user\0password" */
	int			 timeout;
	int			 idle_timeout;
	unsigned int		 max_idle;
	struct smtp_conns	 idle;		/* most recently used first */
	struct smtp_conns	 busy;
	struct relay_stats	 stats;
};

struct smtp_conn {
	TAILQ_ENTRY(smtp_conn)	 entry;
	struct relay		*relay;
	struct bufferevent	*bev;
	enum smtp_state		 state;
	int			 addr;		/* index tried */
	int			 ext;		/* EXT_* from EHLO */
	size_t			 ext_size;	/* SIZE limit, 0: none */
	int			 tls;		/* TLS is up */
	int			 idle;		/* in relay->idle */
	int			 reused;	/* has carried a transaction */
	struct relay_txn	*txn;
	struct smtp_steps	 sent;		/* awaiting replies, in order */
	int			 busy;		/* in a callback: free later */
	int			 dead;
	int			 need_rset;	/* owed by a finished transaction */
	/* the reply being read */
	int			 rcode;
	int			 nlines;
	char			 rtext[sizeof ((struct relay_reply *)0)->text];
	/* the body being sent */
	struct spool		*spool;
	struct relay_stuff	 stuff;
};

struct relay_txn {
	struct relay		*relay;
	struct smtp_conn	*conn;
	char			*sender;
	char			*queue_id;
	int			 body_8bit;
	int			 smtputf8;
	size_t			 size;
	struct smtp_steps	 queue;		/* not sent yet */
	struct smtp_steps	 answered;	/* refused here, to call back */
	struct spool		*spool;
	struct event		*defer;		/* delivers failures */
	struct relay_reply	 failed;	/* code 0: not failed */
	int			 mail_sent;
	int			 got_reply;	/* no silent retry after one */
	int			 retried;
	int			 delivered;	/* 250 at end of DATA */
	int			 busy;
	int			 freeing;
};

struct smtp_state_entry {
	const char	*what;			/* "the greeting", "EHLO", ... */
	void		 (*enter)(struct smtp_conn *);
	void		 (*reply)(struct smtp_conn *);
};

struct smtp_step_entry {
	const char	*what;
	void		 (*reply)(struct smtp_conn *, struct smtp_step *);
};

static void	smtp_conn_free(struct smtp_conn *);
static void	smtp_conn_fail(struct smtp_conn *, struct relay_reply *);
static void	smtp_conn_enter(struct smtp_conn *, enum smtp_state);
static void	smtp_conn_pump(struct smtp_conn *);
static void	smtp_conn_release(struct smtp_conn *);
static void	smtp_conn_settle(struct smtp_conn *);
static void	smtp_conn_timeouts(struct smtp_conn *);
static void	smtp_txn_attach(struct relay_txn *, int);
static void	smtp_txn_fail(struct relay_txn *, const struct relay_reply *);
static void	smtp_body_feed(struct smtp_conn *);

static void	smtp_enter_none(struct smtp_conn *);
static void	smtp_enter_ehlo(struct smtp_conn *);
static void	smtp_enter_helo(struct smtp_conn *);
static void	smtp_enter_starttls(struct smtp_conn *);
static void	smtp_enter_auth(struct smtp_conn *);
static void	smtp_enter_ready(struct smtp_conn *);
static void	smtp_reply_greeting(struct smtp_conn *);
static void	smtp_reply_ehlo(struct smtp_conn *);
static void	smtp_reply_helo(struct smtp_conn *);
static void	smtp_reply_starttls(struct smtp_conn *);
static void	smtp_reply_auth(struct smtp_conn *);
static void	smtp_reply_ready(struct smtp_conn *);
static void	smtp_reply_quit(struct smtp_conn *);

static void	smtp_step_envelope(struct smtp_conn *, struct smtp_step *);
static void	smtp_step_data(struct smtp_conn *, struct smtp_step *);
static void	smtp_step_eom(struct smtp_conn *, struct smtp_step *);
static void	smtp_step_rset(struct smtp_conn *, struct smtp_step *);

static const struct smtp_state_entry smtp_states[] = {
	[S_CONNECT] =	{ "the connection", smtp_enter_none, NULL },
	[S_GREETING] =	{ "the greeting", smtp_enter_none, smtp_reply_greeting },
	[S_EHLO] =	{ "EHLO", smtp_enter_ehlo, smtp_reply_ehlo },
	[S_HELO] =	{ "HELO", smtp_enter_helo, smtp_reply_helo },
	[S_STARTTLS] =	{ "STARTTLS", smtp_enter_starttls, smtp_reply_starttls },
	[S_TLS] =	{ "the TLS handshake", smtp_enter_none, NULL },
	[S_AUTH] =	{ "AUTH", smtp_enter_auth, smtp_reply_auth },
	[S_READY] =	{ "MAIL", smtp_enter_ready, smtp_reply_ready },
	[S_BODY] =	{ "the message", smtp_enter_none, smtp_reply_ready },
	[S_QUIT] =	{ "QUIT", smtp_enter_none, smtp_reply_quit },
};

static const struct smtp_step_entry smtp_step_table[] = {
	[K_MAIL] =	{ "MAIL", smtp_step_envelope },
	[K_RCPT] =	{ "RCPT", smtp_step_envelope },
	[K_DATA] =	{ "DATA", smtp_step_data },
	[K_EOM] =	{ "the end of the message", smtp_step_eom },
	[K_RSET] =	{ "RSET", smtp_step_rset },
};

/*
 * Options of the spec.
 */

static int
smtp_opt_int(const char *v, int min, int max, int *out)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		return (-1);
	*out = n;
	return (0);
}

static int
smtp_opt_starttls(struct relay *r, const char *v)
{
	static const char *names[] = { "no", "try", "yes" };
	int	i;

	for (i = 0; i < 3; i++)
		if (strcasecmp(v, names[i]) == 0) {
			r->tls = i;
			return (0);
		}
	return (-1);
}

static int
smtp_opt_verify(struct relay *r, const char *v)
{
	if (strcasecmp(v, "yes") != 0 && strcasecmp(v, "no") != 0)
		return (-1);
	r->verify = strcasecmp(v, "yes") == 0;
	return (0);
}

static int
smtp_opt_auth(struct relay *r, const char *v)
{
	if (*v == '\0' || strlen(v) > 255)
		return (-1);
	free(r->auth_user);
	r->auth_user = strdup(v);
	return (r->auth_user == NULL ? -1 : 0);
}

static int
smtp_opt_timeout(struct relay *r, const char *v)
{
	return (smtp_opt_int(v, 1, 3600, &r->timeout));
}

static int
smtp_opt_idle_timeout(struct relay *r, const char *v)
{
	return (smtp_opt_int(v, 1, 3600, &r->idle_timeout));
}

static int
smtp_opt_max_idle(struct relay *r, const char *v)
{
	int	n;

	if (smtp_opt_int(v, 0, 100000, &n) == -1)
		return (-1);
	r->max_idle = n;
	return (0);
}

static int
smtp_opt_helo(struct relay *r, const char *v)
{
	if (*v == '\0' || !relay_addr_ok(v) || strchr(v, ' ') != NULL)
		return (-1);
	free(r->helo);
	r->helo = strdup(v);
	return (r->helo == NULL ? -1 : 0);
}

/* password_file is read after all options: see smtp_open_secret(). */
static int
smtp_opt_ignore(struct relay *r, const char *v)
{
	return (0);
}

static const struct {
	const char	*name;
	int		 (*set)(struct relay *, const char *);
	const char	*help;
} smtp_opts[] = {
	{ "starttls", smtp_opt_starttls, "yes, no or try" },
	{ "verify", smtp_opt_verify, "yes or no" },
	{ "auth", smtp_opt_auth, "a user name" },
	{ "password_file", smtp_opt_ignore, "a file" },
	{ "timeout", smtp_opt_timeout, "seconds, 1 to 3600" },
	{ "idle_timeout", smtp_opt_idle_timeout, "seconds, 1 to 3600" },
	{ "max_idle", smtp_opt_max_idle, "a count, 0 to 100000" },
	{ "helo", smtp_opt_helo, "a host name" },
};

/* Apply one "name=value" option. */
static int
smtp_open_opt(struct relay *r, char *opt, char **cause)
{
	char	*v;
	size_t	 i;

	if ((v = strchr(opt, '=')) == NULL) {
		if (asprintf(cause, "next hop option \"%s\" has no value", opt) == -1)
			*cause = NULL;
		return (-1);
	}
	*v++ = '\0';
	for (i = 0; i < sizeof smtp_opts / sizeof smtp_opts[0]; i++) {
		if (strcmp(opt, smtp_opts[i].name) != 0)
			continue;
		if (smtp_opts[i].set(r, v) == 0)
			return (0);
		if (asprintf(cause, "next hop option %s=%s: want %s", opt, v,
		    smtp_opts[i].help) == -1)
			*cause = NULL;
		return (-1);
	}
	if (asprintf(cause, "unknown next hop option \"%s\" (known: starttls, "
	    "verify, auth, password_file, timeout, idle_timeout, max_idle, "
	    "helo)", opt) == -1)
		*cause = NULL;
	return (-1);
}

/* The password for AUTH PLAIN, read once at open. */
static int
smtp_open_secret(struct relay *r, const char *path, char **cause)
{
	FILE	*f;
	char	 line[512], plain[2 + 256 + sizeof line];
	char	 b64[sodium_base64_ENCODED_LEN(sizeof plain,
		    sodium_base64_VARIANT_ORIGINAL)];
	size_t	 ulen, plen;

	if (r->auth_user == NULL || path == NULL) {
		if (r->auth_user == NULL && path == NULL)
			return (0);
		*cause = strdup("next hop options auth= and password_file= "
		    "go together");
		return (-1);
	}
	if ((f = fopen(path, "r")) == NULL) {
		if (asprintf(cause, "%s: %s", path, strerror(errno)) == -1)
			*cause = NULL;
		return (-1);
	}
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	ulen = strlen(r->auth_user);
	plen = strlen(line);
	plain[0] = '\0';
	memcpy(plain + 1, r->auth_user, ulen);
	plain[1 + ulen] = '\0';
	memcpy(plain + 2 + ulen, line, plen);
	sodium_bin2base64(b64, sizeof b64, (unsigned char *)plain,
	    2 + ulen + plen, sodium_base64_VARIANT_ORIGINAL);
	r->auth_b64 = strdup(b64);
	sodium_memzero(line, sizeof line);
	sodium_memzero(plain, sizeof plain);
	sodium_memzero(b64, sizeof b64);
	return (r->auth_b64 == NULL ? -1 : 0);
}

/* "smtp://HOST:PORT" or "smtp://[V6]:PORT" into r->host and r->port. */
static int
smtp_open_hostport(struct relay *r, char *hp, char **cause)
{
	char	*port;

	if (*hp == '[') {
		if ((port = strchr(hp, ']')) == NULL)
			goto bad;
		*port++ = '\0';
		hp++;
	} else if ((port = strrchr(hp, ':')) != NULL &&
	    strchr(hp, ':') != port)
		goto bad;		/* a bare IPv6 address: ambiguous */
	else if (port == NULL)
		port = hp + strlen(hp);
	if (*port == ':')
		*port++ = '\0';
	else if (*port != '\0')
		goto bad;
	if (*hp == '\0')
		goto bad;
	r->host = strdup(hp);
	r->port = strdup(*port == '\0' ? "25" : port);
	if (r->host == NULL || r->port == NULL ||
	    asprintf(&r->name, "%s:%s", r->host, r->port) == -1)
		return (-1);
	return (0);
bad:
	if (asprintf(cause, "next hop \"%s\": want smtp://HOST:PORT or "
	    "smtp://[IPV6]:PORT", hp) == -1)
		*cause = NULL;
	return (-1);
}

/* Resolve HOST:PORT once, at open. */
static int
smtp_open_resolve(struct relay *r, char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	int		 error;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* No AI_ADDRCONFIG: it would refuse [::1] on an IPv4-only host. */
	if ((error = getaddrinfo(r->host, r->port, &hints, &res)) != 0) {
		if (asprintf(cause, "next hop %s: %s", r->name,
		    gai_strerror(error)) == -1)
			*cause = NULL;
		return (-1);
	}
	for (ai = res; ai != NULL && r->naddrs < SMTP_MAX_ADDRS;
	    ai = ai->ai_next) {
		memcpy(&r->addrs[r->naddrs], ai->ai_addr, ai->ai_addrlen);
		r->addrlens[r->naddrs++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	return (0);
}

/* The TLS context, when STARTTLS may be used. */
static int
smtp_open_tls(struct relay *r, char **cause)
{
	if (r->tls == TLS_NO)
		return (0);
	if ((r->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		*cause = strdup("cannot create a TLS context");
		return (-1);
	}
	SSL_CTX_set_min_proto_version(r->ssl_ctx, TLS1_2_VERSION);
	if (r->verify) {
		SSL_CTX_set_verify(r->ssl_ctx, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_set_default_verify_paths(r->ssl_ctx) != 1) {
			*cause = strdup("cannot load the system's CA "
			    "certificates");
			return (-1);
		}
	}
	return (0);
}

static void
smtp_close(struct relay *r)
{
	struct smtp_conn	*c;

	if (r == NULL)
		return;
	while ((c = TAILQ_FIRST(&r->idle)) != NULL)
		smtp_conn_free(c);
	while ((c = TAILQ_FIRST(&r->busy)) != NULL) {
		if (c->txn != NULL)
			c->txn->conn = NULL;
		c->txn = NULL;
		smtp_conn_free(c);
	}
	if (r->ssl_ctx != NULL)
		SSL_CTX_free(r->ssl_ctx);
	if (r->auth_b64 != NULL) {
		sodium_memzero(r->auth_b64, strlen(r->auth_b64));
		free(r->auth_b64);
	}
	free(r->auth_user);
	free(r->host);
	free(r->port);
	free(r->name);
	free(r->helo);
	free(r);
}

/* Defaults, then "HOST:PORT?opt=v&opt=v". */
static int
smtp_open_spec(struct relay *r, char *spec, const char **pwfile, char **cause)
{
	char	*opts, *opt;

	if ((opts = strchr(spec, '?')) != NULL)
		*opts++ = '\0';
	if (smtp_open_hostport(r, spec, cause) == -1)
		return (-1);
	while (opts != NULL && (opt = strsep(&opts, "&")) != NULL) {
		if (*opt == '\0')
			continue;
		if (strncmp(opt, "password_file=", 14) == 0)
			*pwfile = opt + 14;
		if (smtp_open_opt(r, opt, cause) == -1)
			return (-1);
	}
	return (0);
}

static struct relay *
smtp_open(struct event_base *base, const char *spec, char **cause)
{
	struct relay	*r;
	char		*copy = NULL, host[256];
	const char	*pwfile = NULL;

	*cause = NULL;
	if (strncasecmp(spec, "smtp://", 7) != 0) {
		if (asprintf(cause, "next hop \"%s\": want smtp://HOST:PORT",
		    spec) == -1)
			*cause = NULL;
		return (NULL);
	}
	if ((r = calloc(1, sizeof *r)) == NULL || (copy = strdup(spec + 7)) == NULL)
		goto fail;
	r->base = base;
	r->tls = TLS_TRY;
	r->timeout = 60;
	r->idle_timeout = 30;
	r->max_idle = 16;
	TAILQ_INIT(&r->idle);
	TAILQ_INIT(&r->busy);
	if (smtp_open_spec(r, copy, &pwfile, cause) == -1 ||
	    smtp_open_secret(r, pwfile, cause) == -1 ||
	    smtp_open_resolve(r, cause) == -1 ||
	    smtp_open_tls(r, cause) == -1)
		goto fail;
	if (r->helo == NULL) {
		if (gethostname(host, sizeof host) == -1 || host[0] == '\0')
			strcpy(host, "localhost");
		host[sizeof host - 1] = '\0';
		if ((r->helo = strdup(host)) == NULL)
			goto fail;
	}
	free(copy);
	return (r);
fail:
	if (*cause == NULL && asprintf(cause, "next hop \"%s\": %s", spec,
	    strerror(errno ? errno : ENOMEM)) == -1)
		*cause = NULL;
	free(copy);
	smtp_close(r);
	return (NULL);
}

static void
smtp_stats(struct relay *r, struct relay_stats *st)
{
	struct smtp_conn	*c;

	*st = r->stats;
	st->idle = st->busy = 0;
	TAILQ_FOREACH(c, &r->idle, entry)
		st->idle++;
	TAILQ_FOREACH(c, &r->busy, entry)
		st->busy++;
}

/*
 * Connections.
 */

static void
smtp_send(struct smtp_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
smtp_send(struct smtp_conn *c, const char *fmt, ...)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	va_list		 ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
	smtp_conn_timeouts(c);
}

/* Per-step time-outs while working; the idle time-out while pooled. */
static void
smtp_conn_timeouts(struct smtp_conn *c)
{
	struct timeval	tv = { c->relay->timeout, 0 };
	struct timeval	idle = { c->relay->idle_timeout, 0 };

	/*
	 * Waiting for our own client (MAIL answered, its RCPT not come
	 * yet) is no fault of the next hop: no reply time-out then.
	 */
	if (c->bev == NULL)
		return;
	if (c->idle)
		bufferevent_set_timeouts(c->bev, &idle, NULL);
	else if (c->state == S_READY && TAILQ_EMPTY(&c->sent))
		bufferevent_set_timeouts(c->bev, NULL, &tv);
	else
		bufferevent_set_timeouts(c->bev, &tv, &tv);
}

/* What the connection waits for, for messages. */
static const char *
smtp_conn_what(struct smtp_conn *c)
{
	struct smtp_step	*s = TAILQ_FIRST(&c->sent);

	if (c->state == S_READY && s != NULL)
		return (smtp_step_table[s->kind].what);
	return (smtp_states[c->state].what);
}

static void
smtp_conn_unlink(struct smtp_conn *c)
{
	struct relay	*r = c->relay;

	if (c->idle)
		TAILQ_REMOVE(&r->idle, c, entry);
	else
		TAILQ_REMOVE(&r->busy, c, entry);
	c->idle = 0;
}

static void
smtp_conn_free(struct smtp_conn *c)
{
	struct smtp_step	*s;

	if (c->dead)
		return;
	c->dead = 1;
	smtp_conn_unlink(c);
	while ((s = TAILQ_FIRST(&c->sent)) != NULL) {
		TAILQ_REMOVE(&c->sent, s, entry);
		free(s->addr);
		free(s);
	}
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->busy == 0)
		free(c);
}

/* Leave a callback: free the connection if it died meanwhile. */
static int
smtp_conn_unbusy(struct smtp_conn *c)
{
	if (--c->busy == 0 && c->dead) {
		free(c);
		return (-1);
	}
	return (c->dead ? -1 : 0);
}

static void	smtp_conn_readcb(struct bufferevent *, void *);
static void	smtp_conn_writecb(struct bufferevent *, void *);
static void	smtp_conn_eventcb(struct bufferevent *, short, void *);

/* Connect to the next address of the next hop. */
static int
smtp_conn_connect(struct smtp_conn *c)
{
	struct relay	*r = c->relay;

	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = bufferevent_socket_new(r->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		return (-1);
	bufferevent_setcb(c->bev, smtp_conn_readcb, smtp_conn_writecb,
	    smtp_conn_eventcb, c);
	smtp_conn_timeouts(c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->state = S_CONNECT;
	return (bufferevent_socket_connect(c->bev,
	    (struct sockaddr *)&r->addrs[c->addr], r->addrlens[c->addr]));
}

static struct smtp_conn *
smtp_conn_new(struct relay *r)
{
	struct smtp_conn	*c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return (NULL);
	c->relay = r;
	TAILQ_INIT(&c->sent);
	TAILQ_INSERT_TAIL(&r->busy, c, entry);
	r->stats.connects++;
	/*
	 * A refused connect() reaches the event callback; only a failure to
	 * even try (no socket) returns -1 here.
	 */
	if (r->naddrs == 0 || smtp_conn_connect(c) == -1) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		smtp_conn_unlink(c);
		free(c);
		if (r->naddrs == 0)
			errno = EADDRNOTAVAIL;
		return (NULL);
	}
	return (c);
}

static void
smtp_conn_enter(struct smtp_conn *c, enum smtp_state state)
{
	c->state = state;
	c->nlines = 0;
	smtp_states[state].enter(c);
}

/* Close politely: QUIT, then free once the output is flushed. */
static void
smtp_conn_quit(struct smtp_conn *c)
{
	if (c->idle) {
		smtp_conn_unlink(c);
		TAILQ_INSERT_TAIL(&c->relay->busy, c, entry);
	}
	smtp_conn_enter(c, S_QUIT);
	smtp_send(c, "QUIT");
}

/* Back into the pool, or closed when the pool is full. */
static void
smtp_conn_idle(struct smtp_conn *c)
{
	struct relay		*r = c->relay;
	struct smtp_conn	*old;
	unsigned int		 n = 0;

	smtp_conn_unlink(c);
	TAILQ_INSERT_HEAD(&r->idle, c, entry);
	c->idle = 1;
	smtp_conn_timeouts(c);
	TAILQ_FOREACH(old, &r->idle, entry)
		n++;
	if (n > r->max_idle)
		smtp_conn_quit(TAILQ_LAST(&r->idle, smtp_conns));
}

/*
 * The connection failed.  Its transaction hears the failure (or moves to
 * a new connection, if this was a pooled one that died unnoticed).
 */
static void
smtp_conn_fail(struct smtp_conn *c, struct relay_reply *rep)
{
	struct relay_txn	*txn = c->txn;
	struct smtp_step	*s;

	if (txn != NULL) {
		/* Steps in flight go back to the head of the queue, in order. */
		while ((s = TAILQ_LAST(&c->sent, smtp_steps)) != NULL) {
			TAILQ_REMOVE(&c->sent, s, entry);
			if (s->txn == txn)
				TAILQ_INSERT_HEAD(&txn->queue, s, entry);
			else {
				free(s->addr);
				free(s);
			}
		}
		txn->conn = NULL;
		c->txn = NULL;
		if (c->reused && !txn->got_reply && !txn->retried &&
		    txn->failed.code == 0) {
			txn->retried = 1;
			txn->mail_sent = 0;
			c->relay->stats.retries++;
			smtp_txn_attach(txn, 1);
		} else
			smtp_txn_fail(txn, rep);
	}
	smtp_conn_free(c);
}

/* The connection failed with a local reply. */
static void
smtp_conn_failf(struct smtp_conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
smtp_conn_failf(struct smtp_conn *c, int code, const char *fmt, ...)
{
	struct relay_reply	rep;
	char			buf[sizeof rep.text];
	va_list			ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	relay_reply_set(&rep, code, "%s", buf);
	smtp_conn_fail(c, &rep);
}

/*
 * Set-up states: what each sends and how it takes the reply.
 */

static void
smtp_enter_none(struct smtp_conn *c)
{
}

static void
smtp_enter_ehlo(struct smtp_conn *c)
{
	c->ext = 0;
	c->ext_size = 0;
	smtp_send(c, "EHLO %s", c->relay->helo);
}

static void
smtp_enter_helo(struct smtp_conn *c)
{
	c->ext = 0;
	smtp_send(c, "HELO %s", c->relay->helo);
}

static void
smtp_enter_starttls(struct smtp_conn *c)
{
	smtp_send(c, "STARTTLS");
}

static void
smtp_enter_auth(struct smtp_conn *c)
{
	smtp_send(c, "AUTH PLAIN %s", c->relay->auth_b64);
}

/* Set-up done: serve the transaction waiting for this connection. */
static void
smtp_enter_ready(struct smtp_conn *c)
{
	if (c->txn != NULL)
		smtp_conn_pump(c);
	else if (TAILQ_EMPTY(&c->sent))
		smtp_conn_idle(c);
}

static void
smtp_reply_greeting(struct smtp_conn *c)
{
	if (c->rcode != 220) {
		smtp_conn_failf(c, 451, "4.4.1 next hop %s refused the "
		    "session: %d %s", c->relay->name, c->rcode, c->rtext);
		return;
	}
	smtp_conn_enter(c, S_EHLO);
}

/* After EHLO (or TLS, or HELO): STARTTLS, AUTH or ready, as configured. */
static void
smtp_conn_next(struct smtp_conn *c)
{
	struct relay	*r = c->relay;

	if (!c->tls && r->tls != TLS_NO && (c->ext & EXT_STARTTLS)) {
		smtp_conn_enter(c, S_STARTTLS);
		return;
	}
	if (!c->tls && r->tls == TLS_YES) {
		smtp_conn_failf(c, 451, "4.7.0 next hop %s does not offer "
		    "STARTTLS, which starttls=yes requires", r->name);
		return;
	}
	if (r->auth_b64 != NULL && !(c->ext & EXT_AUTH_PLAIN)) {
		smtp_conn_failf(c, 451, "4.7.0 next hop %s does not offer "
		    "AUTH PLAIN, which auth= requires", r->name);
		return;
	}
	smtp_conn_enter(c, r->auth_b64 != NULL ? S_AUTH : S_READY);
}

static void
smtp_reply_ehlo(struct smtp_conn *c)
{
	if (c->rcode / 100 == 2)
		smtp_conn_next(c);
	else if (c->rcode / 100 == 5 && c->relay->tls != TLS_YES &&
	    c->relay->auth_b64 == NULL && !c->tls)
		smtp_conn_enter(c, S_HELO);
	else
		smtp_conn_failf(c, 451, "4.4.0 next hop %s refused EHLO: %d %s",
		    c->relay->name, c->rcode, c->rtext);
}

static void
smtp_reply_helo(struct smtp_conn *c)
{
	if (c->rcode / 100 == 2)
		smtp_conn_enter(c, S_READY);
	else
		smtp_conn_failf(c, 451, "4.4.0 next hop %s refused HELO: %d %s",
		    c->relay->name, c->rcode, c->rtext);
}

static void	smtp_tls_start(struct smtp_conn *);

static void
smtp_reply_starttls(struct smtp_conn *c)
{
	struct relay	*r = c->relay;

	/*
	 * Anything after the 220 was sent before TLS by whoever sits on
	 * the path: believing it once TLS is up is CVE-2011-0411.
	 */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		smtp_conn_failf(c, 451, "4.3.0 next hop %s sent text after its "
		    "220 to STARTTLS", r->name);
		return;
	}
	if (c->rcode == 220) {
		smtp_tls_start(c);
		return;
	}
	if (r->tls == TLS_YES)
		smtp_conn_failf(c, 451, "4.7.0 next hop %s refused STARTTLS: "
		    "%d %s", r->name, c->rcode, c->rtext);
	else {
		c->ext &= ~EXT_STARTTLS;
		smtp_conn_next(c);
	}
}

static void
smtp_reply_auth(struct smtp_conn *c)
{
	if (c->rcode / 100 == 2)
		smtp_conn_enter(c, S_READY);
	else
		smtp_conn_failf(c, 451, "4.7.0 next hop %s refused our AUTH as "
		    "%s: %d %s", c->relay->name, c->relay->auth_user, c->rcode,
		    c->rtext);
}

/* A reply while the transaction runs belongs to the oldest step sent. */
static void
smtp_reply_ready(struct smtp_conn *c)
{
	struct smtp_step	*s;

	if ((s = TAILQ_FIRST(&c->sent)) == NULL) {
		if (c->txn == NULL) {
			smtp_conn_free(c);	/* e.g. a 421 while pooled */
			return;
		}
		smtp_conn_failf(c, 451, "4.3.0 next hop %s sent an unexpected "
		    "reply: %d %s", c->relay->name, c->rcode, c->rtext);
		return;
	}
	smtp_step_table[s->kind].reply(c, s);
}

static void
smtp_reply_quit(struct smtp_conn *c)
{
	smtp_conn_free(c);
}

/*
 * STARTTLS: the socket bufferevent gets an OpenSSL filter on top.
 */

static int
smtp_tls_ssl(struct smtp_conn *c, SSL **sslp)
{
	struct relay	*r = c->relay;
	unsigned char	 buf[sizeof(struct in6_addr)];
	int		 literal;
	SSL		*ssl;

	if ((ssl = *sslp = SSL_new(r->ssl_ctx)) == NULL)
		return (-1);
	literal = inet_pton(AF_INET, r->host, buf) == 1 ||
	    inet_pton(AF_INET6, r->host, buf) == 1;
	if (!literal && SSL_set_tlsext_host_name(ssl, r->host) != 1)
		return (-1);
	if (!r->verify)
		return (0);
	if (literal)
		return (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    r->host) == 1 ? 0 : -1);
	return (SSL_set1_host(ssl, r->host) == 1 ? 0 : -1);
}

static void
smtp_tls_start(struct smtp_conn *c)
{
	struct bufferevent	*tls;
	SSL			*ssl = NULL;

	if (smtp_tls_ssl(c, &ssl) == -1) {
		if (ssl != NULL)
			SSL_free(ssl);
		smtp_conn_failf(c, 451, "4.7.5 cannot set up TLS towards next "
		    "hop %s", c->relay->name);
		return;
	}
	tls = bufferevent_openssl_filter_new(c->relay->base, c->bev, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(ssl);
		smtp_conn_failf(c, 451, "4.7.5 cannot set up TLS towards next "
		    "hop %s", c->relay->name);
		return;
	}
	c->bev = tls;
	bufferevent_setcb(tls, smtp_conn_readcb, smtp_conn_writecb,
	    smtp_conn_eventcb, c);
	smtp_conn_timeouts(c);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
	smtp_conn_enter(c, S_TLS);
}

/* The TLS handshake failed: say why, from OpenSSL's error queue. */
static void
smtp_tls_failed(struct smtp_conn *c)
{
	unsigned long	e;
	char		buf[256] = "handshake failed";

	while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
		ERR_error_string_n(e, buf, sizeof buf);
	smtp_conn_failf(c, 451, "4.7.5 TLS with next hop %s failed: %s",
	    c->relay->name, buf);
}

/*
 * Reading replies.
 */

/* Note an EHLO keyword. */
static void
smtp_ehlo_keyword(struct smtp_conn *c, const char *kw)
{
	static const struct {
		const char	*name;
		int		 flag;
	} exts[] = {
		{ "PIPELINING", EXT_PIPELINING },
		{ "8BITMIME", EXT_8BITMIME },
		{ "SMTPUTF8", EXT_SMTPUTF8 },
		{ "STARTTLS", EXT_STARTTLS },
	};
	size_t	i, len = strcspn(kw, " =");

	for (i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (len == strlen(exts[i].name) &&
		    strncasecmp(kw, exts[i].name, len) == 0)
			c->ext |= exts[i].flag;
	if (len == 4 && strncasecmp(kw, "SIZE", 4) == 0) {
		c->ext |= EXT_SIZE;
		c->ext_size = strtoull(kw + 4, NULL, 10);
	}
	if (len == 4 && strncasecmp(kw, "AUTH", 4) == 0) {
		for (kw += 4; *kw != '\0'; kw += len) {
			kw += strspn(kw, " =");
			len = strcspn(kw, " ");
			if (len == 5 && strncasecmp(kw, "PLAIN", 5) == 0)
				c->ext |= EXT_AUTH_PLAIN;
		}
	}
}

/*
 * One reply line into c->rcode/c->rtext.  1: the reply is complete; 0:
 * more lines follow; -1: not a reply line; -2: too many lines.
 */
static int
smtp_reply_line(struct smtp_conn *c, const char *line, size_t len)
{
	const char	*text = len > 4 ? line + 4 : "";
	size_t		 tl;
	int		 code;

	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) || !isdigit((unsigned char)line[2]) ||
	    (len > 3 && line[3] != ' ' && line[3] != '-'))
		return (-1);
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (code < 200 || code > 599 || (c->nlines > 0 && code != c->rcode))
		return (-1);
	if (c->nlines++ == 0) {
		c->rcode = code;
		c->rtext[0] = '\0';
	} else if (c->nlines > SMTP_REPLY_LINES)
		return (-2);
	if (c->state == S_EHLO && c->nlines > 1)
		smtp_ehlo_keyword(c, text);
	else if ((tl = strlen(c->rtext)) + 2 < sizeof c->rtext) {
		/* Lines after the first are joined with a space. */
		snprintf(c->rtext + tl, sizeof c->rtext - tl, "%s%s",
		    tl > 0 ? " " : "", text);
	}
	return (len == 3 || line[3] == ' ');
}

/*
 * Take one line from the input.  1: a reply is complete; 2: a line of a
 * longer reply was taken; 0: wait for more input; -1: failed.
 */
static int
smtp_conn_getline(struct smtp_conn *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr	 eol;
	char			*line;
	size_t			 len;
	int			 rv;

	eol = evbuffer_search_eol(in, NULL, &len, EVBUFFER_EOL_CRLF);
	if ((eol.pos == -1 && evbuffer_get_length(in) > RELAY_LINE_MAX) ||
	    (eol.pos != -1 && (size_t)eol.pos > RELAY_LINE_MAX)) {
		smtp_conn_failf(c, 451, "4.3.0 next hop %s sent a reply line "
		    "over %d bytes", c->relay->name, RELAY_LINE_MAX);
		return (-1);
	}
	if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) == NULL)
		return (0);
	rv = smtp_reply_line(c, line, len);
	free(line);
	if (rv == -1)
		smtp_conn_failf(c, 451, "4.3.0 next hop %s sent a malformed "
		    "reply to %s", c->relay->name, smtp_conn_what(c));
	else if (rv == -2)
		smtp_conn_failf(c, 451, "4.3.0 next hop %s sent a reply of more "
		    "than %d lines to %s", c->relay->name, SMTP_REPLY_LINES,
		    smtp_conn_what(c));
	return (rv < 0 ? -1 : rv == 0 ? 2 : 1);
}

/* Handle every complete reply in the input. */
static void
smtp_conn_read(struct smtp_conn *c)
{
	void	(*handler)(struct smtp_conn *);
	int	 rv;

	while (!c->dead && (rv = smtp_conn_getline(c)) > 0) {
		if (rv == 2)
			continue;
		c->nlines = 0;
		if ((handler = smtp_states[c->state].reply) == NULL) {
			smtp_conn_failf(c, 451, "4.3.0 next hop %s sent a reply "
			    "during %s", c->relay->name, smtp_conn_what(c));
			break;
		}
		handler(c);
	}
	if (!c->dead)
		smtp_conn_timeouts(c);
}

static void
smtp_conn_readcb(struct bufferevent *bev, void *arg)
{
	struct smtp_conn	*c = arg;

	c->busy++;
	smtp_conn_read(c);
	smtp_conn_unbusy(c);
}

static void
smtp_conn_writecb(struct bufferevent *bev, void *arg)
{
	struct smtp_conn	*c = arg;

	if (c->state == S_BODY) {
		c->busy++;
		smtp_body_feed(c);
		smtp_conn_unbusy(c);
	} else if (c->state == S_QUIT)
		smtp_conn_free(c);
}

/* The connection closed, failed or timed out. */
static void
smtp_conn_lost(struct smtp_conn *c, short what)
{
	struct relay	*r = c->relay;
	int		 err = EVUTIL_SOCKET_ERROR();

	if (c->idle || c->state == S_QUIT) {
		smtp_conn_free(c);
		return;
	}
	if (c->state == S_CONNECT) {
		if ((what & BEV_EVENT_ERROR) && c->addr + 1 < r->naddrs) {
			c->addr++;
			if (smtp_conn_connect(c) == 0)
				return;
		}
		smtp_conn_failf(c, 451, "4.4.1 next hop %s unreachable: %s",
		    r->name, (what & BEV_EVENT_TIMEOUT) ?
		    "connection timed out" : evutil_socket_error_to_string(err));
	} else if (c->state == S_TLS && (what & BEV_EVENT_ERROR))
		smtp_tls_failed(c);
	else if (what & BEV_EVENT_TIMEOUT)
		smtp_conn_failf(c, 451, "%s next hop %s did not answer %s "
		    "within %d s", c->state == S_GREETING ? "4.4.1" : "4.4.2",
		    r->name, smtp_conn_what(c), r->timeout);
	else
		smtp_conn_failf(c, 451, "4.4.2 next hop %s closed the "
		    "connection during %s", r->name, smtp_conn_what(c));
}

static void
smtp_conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_conn	*c = arg;

	int			 one = 1;

	c->busy++;
	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == S_TLS) {
			c->tls = 1;
			smtp_conn_enter(c, S_EHLO);
		} else {
			/*
			 * Each write is a whole command or the rest of a
			 * body: Nagle would hold the final "." back for an
			 * ACK the next hop delays.
			 */
			setsockopt(bufferevent_getfd(bev), IPPROTO_TCP,
			    TCP_NODELAY, &one, sizeof one);
			smtp_conn_enter(c, S_GREETING);
		}
	} else {
		/*
		 * The OpenSSL bufferevent may report the close before the
		 * read callback saw the last reply: take that reply first.
		 */
		if (what & BEV_EVENT_EOF)
			smtp_conn_read(c);
		if (!c->dead)
			smtp_conn_lost(c, what);
	}
	smtp_conn_unbusy(c);
}

/*
 * Transactions.
 */

/* Run a step's callback; 0 if the transaction still exists afterwards. */
static int
smtp_txn_callback(struct relay_txn *txn, struct smtp_step *s,
    const struct relay_reply *rep)
{
	relay_cb	*cb = s->cb;
	void		*arg = s->arg;
	int		 gone;

	free(s->addr);
	free(s->local);
	free(s);
	if (txn == NULL || cb == NULL)
		return (0);
	txn->busy++;
	cb(arg, rep);
	gone = --txn->busy == 0 && txn->freeing;
	if (gone)
		free(txn);
	return (gone ? -1 : 0);
}

/* Deliver the failure to every step waiting in the queue. */
static void
smtp_txn_defer(evutil_socket_t fd, short ev, void *arg)
{
	struct relay_txn	*txn = arg;
	struct smtp_step	*s;
	struct relay_reply	 rep;

	while (!txn->freeing && (s = TAILQ_FIRST(&txn->answered)) != NULL) {
		TAILQ_REMOVE(&txn->answered, s, entry);
		rep = *s->local;
		if (smtp_txn_callback(txn, s, &rep) == -1)
			return;
	}
	if (txn->failed.code == 0)
		return;
	while (!txn->freeing && (s = TAILQ_FIRST(&txn->queue)) != NULL) {
		TAILQ_REMOVE(&txn->queue, s, entry);
		if (smtp_txn_callback(txn, s, &txn->failed) == -1)
			return;
	}
}

static void
smtp_txn_fail(struct relay_txn *txn, const struct relay_reply *rep)
{
	if (txn->failed.code == 0)
		txn->failed = *rep;
	event_active(txn->defer, EV_TIMEOUT, 1);
}

static void
smtp_txn_failf(struct relay_txn *txn, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
smtp_txn_failf(struct relay_txn *txn, int code, const char *fmt, ...)
{
	struct relay_reply	rep;
	char			buf[sizeof rep.text];
	va_list			ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	relay_reply_set(&rep, code, "%s", buf);
	smtp_txn_fail(txn, &rep);
}

/* Give the transaction a connection: a pooled one, or a new one. */
static void
smtp_txn_attach(struct relay_txn *txn, int fresh)
{
	struct relay		*r = txn->relay;
	struct smtp_conn	*c;

	if (!fresh && (c = TAILQ_FIRST(&r->idle)) != NULL) {
		smtp_conn_unlink(c);
		TAILQ_INSERT_TAIL(&r->busy, c, entry);
		r->stats.reuses++;
		c->reused = 1;
		c->txn = txn;
		txn->conn = c;
		smtp_conn_timeouts(c);
		smtp_conn_pump(c);
		return;
	}
	if ((c = smtp_conn_new(r)) == NULL) {
		smtp_txn_failf(txn, 451, "4.4.1 next hop %s unreachable: %s",
		    r->name, strerror(errno));
		return;
	}
	c->txn = txn;
	txn->conn = c;
}

/* The MAIL command, with the parameters the next hop understands. */
static int
smtp_send_mail(struct smtp_conn *c, struct relay_txn *txn)
{
	char	size[32] = "";

	if (txn->smtputf8 && !(c->ext & EXT_SMTPUTF8)) {
		smtp_txn_failf(txn, 550, "5.6.7 next hop %s does not support "
		    "SMTPUTF8", c->relay->name);
		return (-1);
	}
	if (txn->size > 0 && (c->ext & EXT_SIZE)) {
		if (c->ext_size > 0 && txn->size > c->ext_size) {
			smtp_txn_failf(txn, 552, "5.3.4 message size %zu exceeds "
			    "the next hop's limit of %zu", txn->size,
			    c->ext_size);
			return (-1);
		}
		snprintf(size, sizeof size, " SIZE=%zu", txn->size);
	}
	/* Without 8BITMIME at the next hop the message goes unchanged. */
	smtp_send(c, "MAIL FROM:<%s>%s%s%s", txn->sender,
	    (txn->body_8bit && (c->ext & EXT_8BITMIME)) ? " BODY=8BITMIME" : "",
	    txn->smtputf8 ? " SMTPUTF8" : "", size);
	txn->mail_sent = 1;
	return (0);
}

/* DATA, unless the next hop's SIZE limit already says no. */
static int
smtp_send_data(struct smtp_conn *c, struct relay_txn *txn)
{
	size_t	size = relay_spool_size(txn->spool);

	if (c->ext_size > 0 && size > c->ext_size) {
		smtp_txn_failf(txn, 552, "5.3.4 message size %zu exceeds the "
		    "next hop's limit of %zu", size, c->ext_size);
		return (-1);
	}
	smtp_send(c, "DATA");
	return (0);
}

/*
 * Send what the transaction has queued: everything at once under
 * PIPELINING, else one command per reply.
 */
static void
smtp_conn_pump(struct smtp_conn *c)
{
	struct relay_txn	*txn = c->txn;
	struct smtp_step	*s;
	int			 rv = 0;

	if (c->state != S_READY || txn == NULL || txn->failed.code != 0)
		return;
	while ((s = TAILQ_FIRST(&txn->queue)) != NULL) {
		if (!TAILQ_EMPTY(&c->sent) && !(c->ext & EXT_PIPELINING))
			return;
		/* In flight first, so the reply time-out is armed. */
		TAILQ_REMOVE(&txn->queue, s, entry);
		TAILQ_INSERT_TAIL(&c->sent, s, entry);
		if (s->kind == K_MAIL)
			rv = smtp_send_mail(c, txn);
		else if (s->kind == K_RCPT)
			smtp_send(c, "RCPT TO:<%s>", s->addr);
		else if (s->kind == K_DATA)
			rv = smtp_send_data(c, txn);
		if (rv == -1) {
			TAILQ_REMOVE(&c->sent, s, entry);
			TAILQ_INSERT_HEAD(&txn->queue, s, entry);
			return;
		}
		if (s->kind == K_DATA)
			return;		/* the body waits for 354 */
	}
}

/* Take the reply of the oldest step in flight. */
static struct smtp_step *
smtp_step_pop(struct smtp_conn *c, struct relay_reply *rep)
{
	struct smtp_step	*s = TAILQ_FIRST(&c->sent);

	TAILQ_REMOVE(&c->sent, s, entry);
	relay_reply_peer(rep, c->rcode, c->rtext);
	if (s->txn != NULL)
		s->txn->got_reply = 1;
	return (s);
}

/* After a reply was handed on: more to send, a 421 to obey, or idle. */
static void
smtp_step_after(struct smtp_conn *c, int code)
{
	if (c->dead)
		return;
	if (code == 421) {
		smtp_conn_failf(c, 451, "4.4.2 next hop %s is closing the "
		    "connection", c->relay->name);
		return;
	}
	if (c->txn != NULL)
		smtp_conn_pump(c);
	else
		smtp_conn_settle(c);
}

static void
smtp_step_envelope(struct smtp_conn *c, struct smtp_step *s)
{
	struct relay_reply	rep;
	int			code = c->rcode;

	if (code / 100 == 3) {
		smtp_conn_failf(c, 451, "4.3.0 next hop %s sent an unexpected "
		    "reply to %s: %d %s", c->relay->name,
		    smtp_step_table[s->kind].what, code, c->rtext);
		return;
	}
	s = smtp_step_pop(c, &rep);
	smtp_txn_callback(s->txn, s, &rep);
	smtp_step_after(c, code);
}

static void
smtp_step_data(struct smtp_conn *c, struct smtp_step *s)
{
	struct relay_reply	rep;
	int			code = c->rcode;

	if (code == 354 && s->txn == NULL) {
		smtp_conn_free(c);	/* nobody wants the message any more */
		return;
	}
	if (code == 354) {
		s->kind = K_EOM;	/* the same step now waits for the end */
		s->txn->got_reply = 1;
		c->spool = s->txn->spool;
		relay_stuff_init(&c->stuff);
		if (relay_spool_rewind(c->spool) == -1) {
			smtp_conn_failf(c, 451, "4.3.0 cannot read the message "
			    "back from the spool: %s", strerror(errno));
			return;
		}
		c->state = S_BODY;
		bufferevent_setwatermark(c->bev, EV_WRITE, SMTP_BODY_LOWAT, 0);
		smtp_body_feed(c);
		return;
	}
	if (code / 100 != 4 && code / 100 != 5) {
		smtp_conn_failf(c, 451, "4.3.0 next hop %s answered DATA with "
		    "%d instead of 354: %s", c->relay->name, code, c->rtext);
		return;
	}
	s = smtp_step_pop(c, &rep);
	smtp_txn_callback(s->txn, s, &rep);
	smtp_step_after(c, code);
}

static void
smtp_step_eom(struct smtp_conn *c, struct smtp_step *s)
{
	struct relay_reply	rep;
	int			code = c->rcode, early = c->state == S_BODY;

	/* A 2xx before our final dot cannot be the message's fate. */
	if (code / 100 == 3 || (early && code / 100 == 2)) {
		smtp_conn_failf(c, 451, "4.3.0 next hop %s sent an unexpected "
		    "reply to the message: %d %s", c->relay->name, code,
		    c->rtext);
		return;
	}
	s = smtp_step_pop(c, &rep);
	if (code / 100 == 2) {
		if (s->txn != NULL)
			s->txn->delivered = 1;
		c->relay->stats.messages++;
	}
	c->spool = NULL;
	if (early) {
		/* Refused mid-body: the rest of the body cannot follow. */
		c->busy++;
		smtp_conn_fail(c, &rep);
		smtp_txn_callback(s->txn, s, &rep);
		smtp_conn_unbusy(c);
		return;
	}
	smtp_txn_callback(s->txn, s, &rep);
	smtp_step_after(c, code);
}

/*
 * No transaction any more: send the RSET it left owing when its turn
 * comes, and pool the connection once all replies are in.
 */
static void
smtp_conn_settle(struct smtp_conn *c)
{
	struct smtp_step	*s;

	if (c->dead || c->idle || c->txn != NULL || c->state != S_READY)
		return;
	if (c->need_rset &&
	    (TAILQ_EMPTY(&c->sent) || (c->ext & EXT_PIPELINING))) {
		if ((s = calloc(1, sizeof *s)) == NULL) {
			smtp_conn_free(c);
			return;
		}
		s->kind = K_RSET;
		TAILQ_INSERT_TAIL(&c->sent, s, entry);
		smtp_send(c, "RSET");
		c->need_rset = 0;
	}
	if (TAILQ_EMPTY(&c->sent) && !c->need_rset)
		smtp_conn_idle(c);
}

static void
smtp_step_rset(struct smtp_conn *c, struct smtp_step *s)
{
	int	code = c->rcode;

	TAILQ_REMOVE(&c->sent, s, entry);
	free(s);
	if (code / 100 != 2) {
		smtp_conn_quit(c);
		return;
	}
	smtp_step_after(c, code);
}

/* Stream the body, dot-stuffed, keeping the output buffer topped up. */
static void
smtp_body_feed(struct smtp_conn *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	char		 buf[SMTP_BODY_CHUNK];
	ssize_t		 n;

	/* Progress on writing counts as life: re-arm the reply time-out. */
	smtp_conn_timeouts(c);
	while (evbuffer_get_length(out) < SMTP_BODY_LOWAT) {
		if ((n = relay_spool_read(c->spool, buf, sizeof buf)) == -1) {
			smtp_conn_failf(c, 451, "4.3.0 cannot read the message "
			    "back from the spool: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			relay_stuff_end(&c->stuff, out);
			c->state = S_READY;
			bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
			return;
		}
		relay_stuff_add(&c->stuff, out, buf, n);
	}
}

/* The transaction lets go of its connection: RSET it, pool it or close it. */
static void
smtp_conn_release(struct smtp_conn *c)
{
	struct relay_txn	*txn = c->txn;
	struct smtp_step	*s;
	int			 inbody = c->state == S_BODY;

	c->txn = NULL;
	TAILQ_FOREACH(s, &c->sent, entry) {
		if (s->kind == K_DATA || s->kind == K_EOM)
			inbody = 1;
		s->txn = NULL;
		s->cb = NULL;
	}
	if (c->state != S_READY && c->state != S_BODY) {
		smtp_conn_free(c);	/* still setting up: not worth it */
		return;
	}
	if (inbody) {
		smtp_conn_free(c);	/* no clean way out of DATA */
		return;
	}
	/* After a delivered message the next MAIL needs no RSET. */
	c->need_rset = txn->mail_sent && !txn->delivered;
	smtp_conn_settle(c);
}

static void
smtp_txn_free(struct relay_txn *txn)
{
	struct smtp_step	*s;

	if (txn == NULL || txn->freeing)
		return;
	if (txn->conn != NULL)
		smtp_conn_release(txn->conn);
	txn->conn = NULL;
	while ((s = TAILQ_FIRST(&txn->queue)) != NULL) {
		TAILQ_REMOVE(&txn->queue, s, entry);
		free(s->addr);
		free(s);
	}
	while ((s = TAILQ_FIRST(&txn->answered)) != NULL) {
		TAILQ_REMOVE(&txn->answered, s, entry);
		free(s->local);
		free(s);
	}
	event_free(txn->defer);
	free(txn->sender);
	free(txn->queue_id);
	txn->freeing = 1;
	if (txn->busy == 0)
		free(txn);
}

/* Queue a step; send it now if the connection is ready. */
static struct smtp_step *
smtp_step_new(struct relay_txn *txn, enum smtp_step_kind kind,
    const char *addr, relay_cb *cb, void *arg)
{
	struct smtp_step	*s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return (NULL);
	if (addr != NULL && (s->addr = strdup(addr)) == NULL) {
		free(s);
		return (NULL);
	}
	s->kind = kind;
	s->txn = txn;
	s->cb = cb;
	s->arg = arg;
	return (s);
}

/*
 * Queue a step; send it now if the connection is ready.  Without memory
 * for the step the whole transaction fails (its callback still comes).
 */
static void
smtp_txn_step(struct relay_txn *txn, enum smtp_step_kind kind,
    const char *addr, relay_cb *cb, void *arg)
{
	struct smtp_step	*s;

	if ((s = smtp_step_new(txn, kind, NULL, cb, arg)) == NULL ||
	    (addr != NULL && (s->addr = strdup(addr)) == NULL)) {
		if (s != NULL)
			TAILQ_INSERT_TAIL(&txn->queue, s, entry);
		smtp_txn_failf(txn, 451, "4.3.0 out of memory");
		return;
	}
	TAILQ_INSERT_TAIL(&txn->queue, s, entry);
	if (txn->failed.code != 0)
		event_active(txn->defer, EV_TIMEOUT, 1);
	else if (txn->conn != NULL)
		smtp_conn_pump(txn->conn);
}

/* Refuse one step here, answering from txn->defer like the others. */
static void
smtp_txn_refuse(struct relay_txn *txn, const struct relay_reply *rep,
    relay_cb *cb, void *arg)
{
	struct smtp_step	*s;

	if ((s = smtp_step_new(txn, K_RCPT, NULL, cb, arg)) == NULL ||
	    (s->local = malloc(sizeof *s->local)) == NULL) {
		free(s);
		if (txn->failed.code == 0)
			relay_reply_set(&txn->failed, 451, "4.3.0 out of memory");
		cb(arg, &txn->failed);		/* nothing else to do */
		return;
	}
	*s->local = *rep;
	TAILQ_INSERT_TAIL(&txn->answered, s, entry);
	event_active(txn->defer, EV_TIMEOUT, 1);
}

static struct relay_txn *
smtp_begin(struct relay *r, const struct relay_envelope *env, relay_cb *cb,
    void *arg)
{
	struct relay_txn	*txn;

	if ((txn = calloc(1, sizeof *txn)) == NULL)
		return (NULL);
	txn->relay = r;
	TAILQ_INIT(&txn->queue);
	TAILQ_INIT(&txn->answered);
	txn->sender = strdup(env->sender != NULL ? env->sender : "");
	txn->queue_id = strdup(env->queue_id != NULL ? env->queue_id : "");
	txn->defer = event_new(r->base, -1, 0, smtp_txn_defer, txn);
	if (txn->sender == NULL || txn->queue_id == NULL || txn->defer == NULL) {
		if (txn->defer != NULL)
			event_free(txn->defer);
		free(txn->sender);
		free(txn->queue_id);
		free(txn);
		return (NULL);
	}
	txn->body_8bit = env->body_8bit;
	txn->smtputf8 = env->smtputf8;
	txn->size = env->size;
	smtp_txn_step(txn, K_MAIL, NULL, cb, arg);
	if (!relay_addr_ok(txn->sender))
		smtp_txn_failf(txn, 501, "5.1.7 bad sender address syntax");
	else
		smtp_txn_attach(txn, 0);
	return (txn);
}

static void
smtp_rcpt(struct relay_txn *txn, const char *rcpt, relay_cb *cb, void *arg)
{
	struct relay_reply	rep;

	if (!relay_addr_ok(rcpt) || *rcpt == '\0') {
		/* Refused here; the transaction goes on. */
		relay_reply_set(&rep, 501, "5.1.3 bad recipient address syntax");
		smtp_txn_refuse(txn, &rep, cb, arg);
		return;
	}
	smtp_txn_step(txn, K_RCPT, rcpt, cb, arg);
}

static void
smtp_data(struct relay_txn *txn, struct spool *sp, relay_cb *cb, void *arg)
{
	txn->spool = sp;
	smtp_txn_step(txn, K_DATA, NULL, cb, arg);
}

const struct relay_backend relay_smtp_backend = {
	.scheme = "smtp",
	.open = smtp_open,
	.close = smtp_close,
	.begin = smtp_begin,
	.rcpt = smtp_rcpt,
	.data = smtp_data,
	.abort = smtp_txn_free,
	.done = smtp_txn_free,
	.stats = smtp_stats,
};
