/*
 * The next hop.  outfilterd keeps no queue: a client's transaction is
 * mirrored onto a next-hop transaction as it happens (MAIL and each RCPT
 * are forwarded when the client sends them, as Postfix's before-queue
 * proxy does), so the next hop's verdict on a recipient goes back to the
 * client for that RCPT, and the client hears 250 for the message only
 * after the next hop said 250 for it (or, for maildir:, after the file and
 * its directory were fsync'ed).
 *
 * Backends sit behind struct relay_backend, chosen by the scheme of
 * [relay] next_hop: "smtp://HOST:PORT" (options after '?':
 * starttls=yes|no|try, auth=USER, password_file=PATH, timeout=SECONDS,
 * max_idle=N idle connections kept for reuse; also verify=yes|no for the
 * next hop's certificate (default no: loopback next hops), idle_timeout=
 * SECONDS a pooled connection is kept (default 30), helo=NAME (default
 * the host name)) or "maildir:PATH".
 *
 * Everything runs on the caller's libevent event_base; no call blocks.
 * Each step finishes by calling the step's callback exactly once (possibly
 * before the step function returns, for maildir:), unless the transaction
 * is aborted first.
 */
#ifndef OF_RELAY_H
#define OF_RELAY_H

#include <stddef.h>
#include <sys/types.h>

struct event_base;
struct spool;
struct relay;
struct relay_txn;

/* A next-hop reply, or a local failure dressed as one (4xx). */
struct relay_reply {
	int	code;			/* 250, 451, 550, ... */
	char	text[512];		/* "2.0.0 Ok: queued as ABC", sanitised, one line */
};

typedef void relay_cb(void *arg, const struct relay_reply *);

struct relay_envelope {
	const char	*queue_id;	/* ours, for logs and file names */
	const char	*sender;	/* "" for the null sender */
	const char	*helo;		/* the client's EHLO name */
	int		 body_8bit;	/* BODY=8BITMIME given */
	int		 smtputf8;
	size_t		 size;		/* SIZE= the client declared, 0: none */
};

/* Counters of a relay since it was opened, for status and tests. */
struct relay_stats {
	unsigned long long	connects;	/* connections opened */
	unsigned long long	reuses;		/* transactions on a pooled one */
	unsigned long long	retries;	/* dead pooled one replaced */
	unsigned long long	messages;	/* 250 at the end of DATA */
	unsigned int		idle;		/* pooled connections now */
	unsigned int		busy;		/* connections in use now */
};

struct relay_backend {
	const char	*scheme;	/* "smtp", "maildir" */
	struct relay	*(*open)(struct event_base *, const char *spec,
			    char **cause);
	void		 (*close)(struct relay *);
	/* Start a transaction: MAIL FROM at the next hop.  NULL: no memory. */
	struct relay_txn *(*begin)(struct relay *, const struct relay_envelope *,
			    relay_cb *, void *arg);
	/* One recipient: RCPT TO at the next hop. */
	void		 (*rcpt)(struct relay_txn *, const char *rcpt,
			    relay_cb *, void *arg);
	/*
	 * The message (headers the relay adds already prepended by the
	 * caller), with CRLF line ends and no dot-stuffing: the backend
	 * stuffs.  The callback's reply is the message's fate.
	 */
	void		 (*data)(struct relay_txn *, struct spool *,
			    relay_cb *, void *arg);
	/*
	 * Forget the transaction (RSET at the next hop); no callback follows.
	 * Like done(), it frees the transaction.
	 */
	void		 (*abort)(struct relay_txn *);
	/* Free a finished transaction. */
	void		 (*done)(struct relay_txn *);
	/* Fill in the counters. */
	void		 (*stats)(struct relay *, struct relay_stats *);
};

/* The backend for a next_hop spec, or NULL with *cause set. */
const struct relay_backend	*relay_backend_find(const char *spec,
				    char **cause);

extern const struct relay_backend relay_smtp_backend;
extern const struct relay_backend relay_maildir_backend;

/*
 * Helpers shared by the backends (relay.c).
 */

/* Longest SMTP line we read from a next hop (text, without CRLF). */
#define RELAY_LINE_MAX		1024

/* Set a reply from printf-style text ("4.4.1 next hop ... unreachable"). */
void	relay_reply_set(struct relay_reply *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * A next hop's reply made ours: the text is sanitised to one printable
 * line, its enhanced status code kept (or one made from the reply code),
 * and, for a refusal, "next hop said: " put before the next hop's words.
 * A 421 becomes 451: the next hop closing on us must not close our client.
 */
void	relay_reply_peer(struct relay_reply *, int code, const char *text);
/* 1 for a 2xx reply. */
int	relay_reply_ok(const struct relay_reply *);

/* An envelope address safe to put on a command line (no controls, short). */
int	relay_addr_ok(const char *);

/*
 * Dot-stuffing of a CRLF message read in chunks: a '.' starting a line
 * gets a second '.'.  relay_stuff_end() finishes the last line and adds
 * the ".\r\n" that ends DATA.
 */
struct evbuffer;
struct relay_stuff {
	int	bol;			/* the next byte starts a line */
};
void	relay_stuff_init(struct relay_stuff *);
int	relay_stuff_add(struct relay_stuff *, struct evbuffer *,
	    const char *, size_t);
int	relay_stuff_end(struct relay_stuff *, struct evbuffer *);

/*
 * One whole message to the next hop (relay_send.c): MAIL with env, every
 * recipient (those refused are skipped; none accepted ends it), then the
 * message.  done() hears the message's fate once, later on base.  0: msg
 * is taken (freed when done); -1: out of memory, msg still the caller's.
 */
typedef void relay_send_cb(void *arg, const struct relay_reply *);
int	relay_send(struct event_base *, const struct relay_backend *,
	    struct relay *, const struct relay_envelope *,
	    const char *const *rcpts, size_t nrcpts, struct spool *msg,
	    relay_send_cb *done, void *arg);

/* The message as the backends read it (over daemon/spool.h). */
int	relay_spool_rewind(struct spool *);
ssize_t	relay_spool_read(struct spool *, void *, size_t);
size_t	relay_spool_size(struct spool *);

#endif
