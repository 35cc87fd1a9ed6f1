/*
 * Who is sending, and may they: the SMTP session asks these questions at
 * connect, AUTH, MAIL, RCPT and end of DATA, and reports each transaction's
 * outcome for the message log and the counters.
 *
 * Every policy_* function below may block on the database and on argon2id,
 * so the session calls them from the worker pool, never from the event
 * loop -- except those said to never block (the _quick ones,
 * policy_disconnect, policy_record_queue, policy_changed), which the loop
 * calls.  They are thread-safe; each worker thread gets its own database
 * connection inside the policy object.
 *
 * A verdict with code 0 means "go on".  Otherwise code and text are the
 * complete SMTP reply to send ("550", "5.7.1 the outgoing filter of
 * example.com is off"), and for code 421 the session closes afterwards.
 */
#ifndef OF_POLICY_H
#define OF_POLICY_H

#include <sys/socket.h>
#include <stdint.h>
#include <time.h>

struct config;
struct policy;

enum listener_role { ROLE_RELAY, ROLE_SUBMISSION, ROLE_SUBMISSIONS };

enum sender_kind { SENDER_NONE, SENDER_IP, SENDER_SMTP, SENDER_DOMAIN };

/* The outgoing user a session belongs to, once known. */
struct sender {
	enum sender_kind	 kind;
	int64_t			 user_id;
	char			 user[256];	/* user name */
	char			 domain[256];	/* the user's domain */
	int			 attribute;	/* attribute-sending-domain */
	int			 lock_reject;	/* lock.reply=reject */
};

struct verdict {
	int	code;		/* 0: go on */
	char	text[512];	/* enhanced code and sentence */
};

/* The end of a transaction, for the message log and the counters. */
struct txn_record {
	const struct sender	 *sender;	/* NULL: never identified */
	const char		 *queue_id;
	const struct sockaddr	 *client;
	const char		 *helo;
	const char		 *mail_from;	/* NULL: no MAIL */
	const char *const	 *rcpts;	/* accepted recipients */
	size_t			  nrcpts;
	/*
	 * Recipients policy_rcpt() accepted in this transaction: nrcpts,
	 * plus those the next hop refused afterwards.  All of them are
	 * pending until this record settles them.
	 */
	size_t			  npending;
	/*
	 * The struct sender that policy_rcpt() was given, as an identity
	 * only (never dereferenced): its pending recipients are settled here.
	 * NULL: sender itself.
	 */
	const void		 *pending_token;
	const char		 *header_from;	/* NULL if none */
	const char		 *subject;	/* NULL if none */
	size_t			  size;
	const char		 *status;	/* relayed, refused, tempfail, disconnected, ... */
	const char		 *reason;	/* our reply or why */
	const char		 *next_hop_reply; /* NULL if none */
	/* policy_record() only: the row's id, when it was written. */
	int64_t			 *log_id;
	time_t			  when;		/* the row's time; 0: now */
};

struct policy	*policy_open(const struct config *, char **cause);
void		 policy_close(struct policy *);
/* A new configuration after SIGHUP. */
void		 policy_reload(struct policy *, const struct config *);

/*
 * A connection arrived.  On a relay listener the client address is looked
 * up among the IP users' ranges (longest prefix); on the others the sender
 * stays SENDER_NONE until AUTH.  Also checks the per-IP connection cap
 * (policy_disconnect() must follow every connect not refused with 421: a
 * connection kept open to hear its refusal at MAIL holds a slot like any
 * other, so that an address nobody owns cannot hold more; a 421 holds no
 * slot and must not be followed by it).
 */
void	policy_connect(struct policy *, const struct sockaddr *client,
	    enum listener_role, struct sender *, struct verdict *);
/* Never blocks. */
void	policy_disconnect(struct policy *, const struct sockaddr *client);

/*
 * SMTP AUTH: name (an SMTP AUTH user or an authenticating domain) and
 * password.  Failures are throttled per client address.  On success the
 * sender is filled and the connection counted against its limits.
 */
void	policy_auth(struct policy *, const struct sockaddr *client,
	    const char *name, const char *password, struct sender *,
	    struct verdict *);

/* MAIL FROM: the domain still active, the user not locked. */
void	policy_mail(struct policy *, const struct sender *,
	    const char *mail_from, struct verdict *);

/*
 * RCPT TO: recipients.day, counting pending recipients (accepted in
 * transactions not yet finished) so parallel sessions can't overshoot.
 * A recipient accepted here is pending until policy_record().  Pending
 * recipients are held per struct sender (by its address): pass the same
 * struct sender to policy_rcpt() and to the txn_record of policy_record()
 * of that transaction; all its pending recipients are settled there, and
 * those of status "relayed" (nrcpts) count against recipients.day.
 */
void	policy_rcpt(struct policy *, const struct sender *, const char *rcpt,
	    struct verdict *);

/* Log the transaction; settle pending recipients (relayed ones count). */
void	policy_record(struct policy *, const struct txn_record *);

/*
 * policy_connect, policy_mail and policy_rcpt without blocking, for the
 * event loop: answered from what the policy holds in memory -- users and
 * address owners read from the database less than a second ago and not
 * changed since (policy_changed), and counters already loaded.  Each
 * returns 1 with the verdict (and sender) filled as its blocking twin
 * would fill them, the limits counted the same way, or 0 having done
 * nothing when the answer needs the database: then call the blocking
 * twin from the worker pool.  The blocking ones always read the database
 * afresh and refresh what these use; so a change made behind the policy's
 * back (not through policy_changed) counts within a second.
 */
int	policy_connect_quick(struct policy *, const struct sockaddr *client,
	    enum listener_role, struct sender *, struct verdict *);
int	policy_mail_quick(struct policy *, const struct sender *,
	    const char *mail_from, struct verdict *);
int	policy_rcpt_quick(struct policy *, const struct sender *,
	    const char *rcpt, struct verdict *);

/*
 * policy_record() without blocking: the pending recipients are settled
 * now, the row is copied and written by a thread of the policy, with the
 * other rows queued meanwhile in one transaction.  policy_close() writes
 * the rows still queued.
 */
void	policy_record_queue(struct policy *, const struct txn_record *);

/*
 * One message of a sending identity (its row's id), spam or not, counted
 * in the identity's row by the same thread in its next batch.  Never
 * blocks.
 */
void	policy_identity_count(struct policy *, int64_t identity_id, int spam);

/*
 * Users, domains or IP ranges changed in the database (a control command,
 * a lock by rule): the quick functions forget what they hold and ask the
 * database again.  Never blocks.  policy_shared_changed() does it for
 * the relay running in this process, if any (the control thread's way).
 */
void	policy_changed(struct policy *);
void	policy_shared_changed(void);

/*
 * A database connection of the policy's pool, for the other checks that
 * run in the worker pool (abuse.c); give it back with policy_db_release.
 */
struct db	*policy_db_acquire(struct policy *, char **cause);
void		 policy_db_release(struct policy *, struct db *);

#endif
