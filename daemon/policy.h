/*
 * Who is sending, and may they: the SMTP session asks these questions at
 * connect, AUTH, MAIL, RCPT and end of DATA, and reports each transaction's
 * outcome for the message log and the counters.
 *
 * Every policy_* function below may block on the database and on argon2id,
 * so the session calls them from the worker pool, never from the event
 * loop.  They are thread-safe; each worker thread gets its own database
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
};

struct policy	*policy_open(const struct config *, char **cause);
void		 policy_close(struct policy *);
/* A new configuration after SIGHUP. */
void		 policy_reload(struct policy *, const struct config *);

/*
 * A connection arrived.  On a relay listener the client address is looked
 * up among the IP users' ranges (longest prefix); on the others the sender
 * stays SENDER_NONE until AUTH.  Also checks the per-IP connection cap
 * (policy_disconnect() must follow every accepted connect; a refused one,
 * code != 0, holds no slot and must not be followed by it).
 */
void	policy_connect(struct policy *, const struct sockaddr *client,
	    enum listener_role, struct sender *, struct verdict *);
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

#endif
