/*
 * The daemon's live counters: plain atomics any thread bumps without a
 * lock.  The event socket (events.c) publishes them once a second in a
 * "stats" event, each counter as its total since the start and its
 * increase over the last minute.
 */
#ifndef OF_STATS_H
#define OF_STATS_H

#include <stdint.h>

/*
 * STAT(id, name, kind, help)
 *   kind  STATK_COUNTER (only grows) or STATK_GAUGE (a level, set)
 */
#define STATS_TABLE \
	STAT(OPEN, "connections_open", STATK_GAUGE, \
	    "SMTP connections open now") \
	STAT(CONNECTIONS, "connections", STATK_COUNTER, \
	    "SMTP connections accepted") \
	STAT(RELAYED, "relayed", STATK_COUNTER, \
	    "messages the next hop took") \
	STAT(REFUSED, "refused", STATK_COUNTER, \
	    "transactions refused for good (5xx)") \
	STAT(TEMPFAIL, "tempfail", STATK_COUNTER, \
	    "transactions refused for now (4xx)") \
	STAT(QUARANTINED, "quarantined", STATK_COUNTER, \
	    "messages held in the quarantine") \
	STAT(SPAM, "spam", STATK_COUNTER, \
	    "messages the spam engine judged spam") \
	STAT(LOCKS, "locks", STATK_COUNTER, \
	    "locks of users and identities") \
	STAT(UNLOCKS, "unlocks", STATK_COUNTER, \
	    "unlocks of users and identities") \
	STAT(DROPPED, "events_dropped", STATK_COUNTER, \
	    "events lost because the event queue was full")

enum stat_kind { STATK_COUNTER, STATK_GAUGE };

enum stat_id {
#define STAT(id, ...) STAT_##id,
	STATS_TABLE
#undef STAT
	STAT_NSTATS
};

struct stat_info {
	const char	*name;
	enum stat_kind	 kind;
	const char	*help;
};

extern const struct stat_info stat_infos[STAT_NSTATS];

void		stats_inc(enum stat_id);
void		stats_add(enum stat_id, uint64_t);
/* A gauge's level. */
void		stats_set(enum stat_id, uint64_t);
uint64_t	stats_get(enum stat_id);
/*
 * Count a finished SMTP transaction by its status word (relayed,
 * refused, tempfail, quarantined; others count nothing) and spam flag.
 */
void		stats_message(const char *status, int spam);

#endif
