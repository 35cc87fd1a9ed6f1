/*
 * The event socket: a ZeroMQ PUB on which the daemon tells what happens
 * (locks, unlocks, each message's outcome, counters once a second) to
 * live views such as the console's status screen and `outfilterctl
 * events`.  Each event is two frames: the type as the topic, then one
 * JSON object {"v":1,"time":EPOCH,"type":TYPE, ...fields}.
 *
 * Any thread may publish; a publisher never waits.  When the queue to the
 * socket is full the event is dropped and counted (STAT_DROPPED); before
 * events_open() and after events_close() events are dropped silently.
 */
#ifndef OF_EVENTS_H
#define OF_EVENTS_H

#include <stddef.h>
#include <jansson.h>

struct config;

/* The types, each an event's topic frame. */
#define EVENT_LOCK	"lock"		/* a user or identity was locked */
#define EVENT_UNLOCK	"unlock"	/* ... or unlocked */
#define EVENT_MESSAGE	"message"	/* an SMTP transaction ended */
#define EVENT_STATS	"stats"		/* the counters, once a second */

/* Every type, NULL-terminated; events_publish() takes no other. */
extern const char *const events_types[];
int		 events_type_known(const char *);

/*
 * Bind the PUB socket at [control] events (for ipc://, the socket file's
 * directory is made and a stale socket replaced) and start the thread
 * that feeds it and publishes the counters every second.  zmq_ctx is the
 * control socket's context, so subscribers log in through its ZAP handler
 * (ZAP domain ZAP_DOMAIN_EVENTS: super-admins only); NULL makes a context
 * of its own and a socket without login (ZeroMQ's NULL mechanism), the
 * socket file's mode alone guarding it.  0, or -1 with *cause.
 */
int		 events_open(const struct config *, void *zmq_ctx, char **cause);
/* The socket file, so it can be handed over when privileges drop. */
const char	*events_socket_path(void);
/* Publish what is queued, stop the thread, close the socket. */
void		 events_close(void);

/*
 * Publish an event of type with fields (an object, or NULL), which the
 * call takes over in every case.  Members named v, time or type are
 * ignored.  Strings must be UTF-8 (see events_str()).
 */
void		 events_publish(const char *type, json_t *fields);
/* A JSON string of s even when s is not UTF-8 (such bytes become '?'). */
json_t		*events_str(const char *s);

/* A lock or unlock of a user or of one of its identities. */
struct events_lock {
	const char	*user;		/* the user's name */
	const char	*domain;	/* the user's domain, or NULL */
	const char	*identity;	/* NULL: the user itself is meant */
	const char	*by;		/* the admin, "uid:N", or the rule */
	int		 automatic;	/* by a rule rather than an admin */
	const char	*reason;	/* NULL: none given */
	long long	 minutes;	/* lock: its duration, 0 until unlocked */
};

/* The fields of a lock or unlock event (type EVENT_LOCK or EVENT_UNLOCK). */
json_t		*events_lock_fields(const char *type, const struct events_lock *);
/*
 * Publish a lock or unlock at once; call it after the change is saved.
 * The counters count it (STAT_LOCKS, STAT_UNLOCKS) as events_publish()
 * of either type does.
 */
void		 events_lock(const char *type, const struct events_lock *);

/* The end of an SMTP transaction, as the log line tells it. */
struct events_message {
	const char	*queue_id;
	const char	*client;	/* the client's address */
	const char	*user;		/* NULL: not identified */
	const char	*domain;	/* the user's domain, or NULL */
	const char	*identity;	/* NULL or "": none */
	const char	*from;		/* MAIL FROM, or NULL */
	size_t		 nrcpts;
	size_t		 size;
	const char	*status;	/* relayed, refused, tempfail, ... */
	const char	*reason;
	int		 spam;		/* the spam engine said spam */
};

/* Count the outcome (stats_message()) and publish an EVENT_MESSAGE. */
void		 events_message(const struct events_message *);

#endif
