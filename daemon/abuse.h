/*
 * Abuse control at the end of DATA: which identity sent the message, is
 * it locked, is the message spam, and what follows (refusal, quarantine,
 * an automatic lock with its notice).  abuse_check() runs in the worker
 * pool (it reads and writes the database and asks the spam engine); the
 * session acts on the outcome on the loop.
 *
 * Locks by rule: each spam message is a row of spam_hits; when the user
 * (or, with lock.identities on, the identity) has more than lock.threshold
 * of them within lock.window minutes, it is locked for lock.duration
 * minutes -- or until an admin unlocks it once lock.max-auto-unlocks
 * automatic unlocks were used up.  lock.identities locks the identity
 * instead of the whole user; lock.auto off and lock.identities off: no
 * automatic lock at all.  A thread lifts run-out locks every few seconds,
 * counting each as an automatic unlock.
 */
#ifndef OF_ABUSE_H
#define OF_ABUSE_H

#include <stddef.h>

#include "identity.h"
#include "policy.h"

struct abuse;
struct config;
struct spam_service;

/* spam may be NULL: then no message is scanned (tests of locks alone). */
struct abuse	*abuse_open(struct config *, struct policy *,
		    struct spam_service *, char **cause);
void		 abuse_reload(struct abuse *, struct config *);
void		 abuse_close(struct abuse *);

struct abuse_in {
	const struct sender	*sender;
	const char		*queue_id;
	const char		*mail_from;	/* "" for <> */
	const char		*authname;	/* NULL: no AUTH */
	const char		*header_from;	/* the From: value, or NULL */
	const char		*msg;		/* as received */
	size_t			 len;
};

enum abuse_action {
	ABUSE_PASS,		/* relay it */
	ABUSE_REFUSE,		/* reply (5xx or 4xx) */
	ABUSE_QUARANTINE,	/* hold it; the client gets 250 */
};

struct abuse_out {
	enum abuse_action	 action;
	char			 reply[512];	/* ABUSE_REFUSE: the whole reply */
	char			 reason[512];	/* for the message log */
	char			 identity[IDENTITY_MAX + 1];
	int			 spam;		/* the engine said spam */
	int			 notify;	/* quarantine-notify */
	/* A header field to take out before relay (identify.strip). */
	size_t			 strip_off, strip_len;
	int			 archive;	/* the user's `archive` is on */
	/* DKIM (abuse_sign): the user's dkim.selector and domain. */
	char			 dkim_selector[128];
	char			 dkim_domain[256];
	/* A lock notice to send now (msg NULL: none). */
	char			*notice;
	size_t			 notice_len;
	char			*notice_from;
	char			*notice_to;
	char			*notice_cc;	/* NULL: no copy */
};

void	abuse_check(struct abuse *, const struct abuse_in *,
	    struct abuse_out *);
/*
 * Sign a message that passed (the bytes as they will be relayed, without
 * Received:) for out's dkim_selector: as the domain of header_from (the
 * From: value, for DMARC alignment) when it has a key under the
 * selector, else as the user's domain.  0 with *headers (the caller's)
 * to put in front; 1 unsigned, with why for the log; -1 on error, with
 * why.  In a worker thread.
 */
int	abuse_sign(struct abuse *, const struct abuse_out *,
	    const char *header_from, const char *msg, size_t len,
	    char **headers, size_t *hlen, char *why, size_t whylen);
void	abuse_out_free(struct abuse_out *);

/*
 * Hold a message abuse_check() sent to the quarantine (ABUSE_QUARANTINE),
 * its log row log_id written already, rcpts the accepted recipients.  0
 * when the message is stored (with out->notify, out gets the notice to
 * its sender); -1 with out->reply the refusal (451, or 452 when the disk
 * is full) and the log row made tempfail.  In a worker thread.
 */
int	abuse_hold(struct abuse *, const struct abuse_in *, int64_t log_id,
	    const char *const *rcpts, size_t nrcpts, struct abuse_out *out);

/*
 * Archive a relayed message (the bytes the next hop got) for its log row
 * log_id; a failure is logged (the message went out all the same).  In
 * a worker thread.
 */
void	abuse_archive(struct abuse *, const char *queue_id, int64_t log_id,
	    const char *msg, size_t len);

#endif
