/*
 * The SMTP server: listeners (smtp_server.c), one state machine per
 * connection (smtp_session.c), the AUTH exchange (smtp_auth.c) and the
 * Received: header (received.c), all on the main thread's libevent loop.
 * What may block (policy_* of policy.h) runs in the worker pool; the next
 * hop (relay.h) is asynchronous on the same loop.
 *
 * Decisions worth knowing:
 * - The greeting waits for policy_connect().  A client that talks before
 *   it is refused with "554 5.5.0" and closed, as Postfix's postscreen
 *   does with pregreet traffic.
 * - A connect verdict of 421 is the greeting and the session ends.  Any
 *   other refusal (a relay-listener address with no IP user, a disabled
 *   domain) is kept and given at MAIL, so the client's MTA bounces the
 *   message with the sentence instead of retrying for days; a successful
 *   AUTH lifts it.  policy_disconnect() follows every policy_connect()
 *   whose verdict was not 421, as policy.h wants: the per-address cap
 *   counts the kept-open refused connections too.
 * - AUTH is offered on every listener, only under TLS unless [smtp]
 *   auth_without_tls; the relay listener also lets IP users send without
 *   it, the submission listeners require it (530 5.7.0 at MAIL).
 * - A DATA refused while more input is already waiting (the client sent
 *   its message without waiting for 354, against RFC 2920) ends the
 *   session with 421: those bytes are never read as commands.
 * - Every transaction that got a queue ID (MAIL accepted by the syntax
 *   check) ends in one policy_record(): relayed, refused, tempfail,
 *   reset (RSET, EHLO, QUIT before DATA) or disconnected.
 */
#ifndef OF_SMTP_H
#define OF_SMTP_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/util.h>
#include <openssl/ssl.h>

#include "policy.h"
#include "relay.h"
#include "worker.h"

struct config;
struct event_base;
struct smtp_server;

/*
 * Bind the listeners of the configuration (before privileges are
 * dropped), load or make the TLS certificate and open the next hop.
 * Nothing is accepted before smtp_server_start().  NULL with *cause.
 */
struct smtp_server *smtp_server_open(struct config *, struct event_base *,
		    struct policy *, struct worker_pool *, char **cause);
/* Start accepting connections. */
int		 smtp_server_start(struct smtp_server *, char **cause);
/* A new configuration after SIGHUP (takes a reference). */
void		 smtp_server_reload(struct smtp_server *, struct config *);
/*
 * Stop gracefully: close the listeners, say 421 to idle clients, let the
 * messages being received or relayed finish within [smtp] stop_timeout,
 * then cut the rest.  stopped(arg) runs once no session is left.
 */
void		 smtp_server_stop(struct smtp_server *, void (*stopped)(void *),
		    void *arg);
/*
 * Cut every session now (the loop ended early); their last work is done
 * when the worker pool is freed, before smtp_server_close().
 */
void		 smtp_server_abort(struct smtp_server *);
/* Free everything; after smtp_server_stop() finished. */
void		 smtp_server_close(struct smtp_server *);
/*
 * Abuse control for the messages of the sessions (abuse.h): identities,
 * spam verdicts, locks.  Set before smtp_server_start(); NULL: none.
 */
struct abuse;
void		 smtp_server_abuse(struct smtp_server *, struct abuse *);
/* The files to hand over when privileges are dropped (spool dir). */
const char	*smtp_server_spool_dir(const struct smtp_server *);

/*
 * The [smtp] settings no generic type checks (bare_newline, the TLS key's
 * mode): 0, or -1 with *cause naming the file and line.
 */
int		 smtp_conf_check(const struct config *, char **cause);

/*
 * The Received: header (received.c), as Postfix writes it:
 *
 *   Received: from HELO (unknown [192.0.2.1])
 *	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
 *	(No client certificate requested)
 *	(Authenticated sender: user@example.com)
 *	by HOSTNAME (outfilter) with ESMTPSA id QUEUEID
 *	for <rcpt@example.net>; Fri, 27 Nov 2026 00:40:00 +0000 (UTC)
 */
struct received {
	const char	*helo;		/* as the client gave it, or NULL */
	const char	*addr;		/* client address text */
	int		 v6;		/* addr is IPv6: written [IPv6:...] */
	const char	*hostname;	/* ours */
	const char	*tls;		/* tls_describe() text, or NULL */
	const char	*auth;		/* the SMTP AUTH name, or NULL */
	int		 esmtp;		/* EHLO (1) or HELO (0) */
	const char	*queue_id;
	const char	*rcpt;		/* the only recipient, or NULL */
	time_t		 when;
};

/* The header with CRLF line ends, malloc'ed; NULL when out of memory. */
char		*received_format(const struct received *, size_t *len);

/* Queue IDs: 12 characters of Crockford base32, sortable by time. */
#define SMTP_QUEUE_ID_LEN	12
void		 smtp_queue_id(char buf[SMTP_QUEUE_ID_LEN + 1]);

/*
 * Shared by smtp_server.c, smtp_session.c and smtp_auth.c.
 */

struct bufferevent;
struct evconnlistener;
struct smtp_session;
struct smtp_auth;

/* The next hop, shared by the transactions begun on it. */
struct smtp_relay {
	const struct relay_backend	*backend;
	struct relay			*relay;
	char				*spec;
	int				 refs;
};

struct smtp_listener {
	struct smtp_server	*srv;
	struct evconnlistener	*evl;
	enum listener_role	 role;
	char			 text[64];	/* address:port */
};

struct smtp_server {
	struct config		*conf;
	struct event_base	*base;
	struct policy		*policy;
	struct abuse		*abuse;		/* NULL: no abuse control */
	struct worker_pool	*pool;
	SSL_CTX			*tls;
	struct smtp_relay	*relay;		/* for new transactions */
	struct smtp_listener	*listeners;
	size_t			 nlisteners;
	struct smtp_session	*sessions;	/* doubly linked */
	unsigned		 nsessions;
	uint64_t		 next_id;
	char			*spool_dir;
	int			 bare_lf;	/* enum smtp_bare_lf */
	/* Stopping. */
	int			 stopping;
	struct event		*stop_ev;
	void			(*stopped)(void *);
	void			*stopped_arg;
};

/* smtp_server.c */
struct smtp_relay *smtp_relay_ref(struct smtp_server *);
void		 smtp_relay_unref(struct smtp_relay *);
/* A session left (it unlinked itself); stopping, the last says so. */
void		 smtp_server_gone(struct smtp_server *);

/* smtp_session.c */
void		 smtp_session_new(struct smtp_listener *, evutil_socket_t fd,
		    const struct sockaddr *, socklen_t);
/* The server stops: 421 now if idle, else after the message in hand. */
void		 smtp_session_shutdown(struct smtp_session *);
/* Cut the connection now (stop_timeout passed). */
void		 smtp_session_kill(struct smtp_session *);
struct smtp_session *smtp_session_next(struct smtp_session *);

/* The session as seen by smtp_auth.c. */
void		 smtp_reply(struct smtp_session *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Close once the replies are written. */
void		 smtp_session_close(struct smtp_session *);
/* Count an error reply; past the limit the session ends with 421. */
void		 smtp_error(struct smtp_session *);
int		 smtp_tls_active(const struct smtp_session *);
struct smtp_server *smtp_session_server(const struct smtp_session *);
const char	*smtp_session_addr(const struct smtp_session *);
const struct sockaddr *smtp_session_sockaddr(const struct smtp_session *);
/*
 * Park the session on a worker job: work(session) runs in a worker
 * thread, then resume(session) on the loop, unless the client left.
 */
void		 smtp_session_call(struct smtp_session *, worker_fn *work,
		    void (*resume)(struct smtp_session *));
/* AUTH succeeded: the sender is known, any connect refusal lifted. */
void		 smtp_session_authed(struct smtp_session *, const char *name,
		    const struct sender *);
/* Where the policy writes its answers for this session. */
struct sender	*smtp_session_sender(struct smtp_session *);
struct verdict	*smtp_session_verdict(struct smtp_session *);

/* The session's AUTH exchange, NULL when none is open. */
struct smtp_auth **smtp_session_authp(struct smtp_session *);

/*
 * smtp_auth.c: the AUTH command (mechanism upper case, initial response
 * or NULL), then each response line while *smtp_session_authp() is set.
 * The exchange frees itself when it ends.
 */
void		 smtp_auth_start(struct smtp_session *, const char *mech,
		    const char *initial, size_t initial_len);
void		 smtp_auth_line(struct smtp_session *, const char *line,
		    size_t len);
/* Wipe and free (the session is going away). */
void		 smtp_auth_free(struct smtp_auth *);

#endif
