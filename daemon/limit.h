/*
 * (limit.h, not limits.h: that name would shadow the C library's <limits.h>
 * for every file of this directory.)
 *
 * Limits in memory: the connection and recipient counters of each user,
 * the cap on concurrent connections per client address, and the throttle
 * on failed SMTP AUTH per client address.
 *
 * Windows are calendar windows in UTC.  A connection counts in the minute,
 * the hour, the day, the ISO week (Monday 00:00 UTC to the next Monday)
 * and the month it falls in; each count starts again from zero when its
 * next window starts, and that start is the "try again after" time of a
 * refusal.  Calendar windows are easy to explain to a customer ("the
 * hourly limit frees up at 14:00 UTC") and need one counter per window.
 * Only accepted connections count: a client retrying while refused does
 * not push its own window further.
 *
 * recipients.day counts the recipients of relayed messages in the UTC day,
 * plus pending ones: recipients accepted at RCPT whose transaction has not
 * ended yet, so that parallel sessions can't overshoot together.  Pending
 * recipients belong to a token (the session's struct sender) and are
 * settled together at the end of the transaction; a token not settled
 * within LIMITS_PENDING_TTL is forgotten.
 *
 * Counters are loaded from the database at a user's first use and written
 * back in batches by limits_flush(); so they survive a restart, losing at
 * most one batch on a crash.  One mutex guards the counters; the control
 * thread reaches them through limits_shared_*(), which fall back to the
 * database when no relay runs in the process.
 */
#ifndef OF_LIMIT_H
#define OF_LIMIT_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct db;
struct verdict;
struct limits;

enum limits_window {
	LIM_MINUTE, LIM_HOUR, LIM_DAY, LIM_WEEK, LIM_MONTH, LIM_RCPT_DAY,
	LIM_NWINDOWS
};
/* The connection windows are the first LIM_NCONN. */
#define LIM_NCONN		LIM_RCPT_DAY
#define LIMITS_PENDING_TTL	3600

/* "minute" ... "month", "recipients.day": counter and setting names. */
const char	*limits_window_name(enum limits_window);
/* The window holding now: [*start, *end). */
void		 limits_window_bounds(enum limits_window, time_t now,
		    time_t *start, time_t *end);
/* When a window ends, as a refusal says it: "14:00 UTC", "2024-03-04 00:00 UTC". */
void		 limits_time_text(enum limits_window, time_t end, char *buf,
		    size_t len);

struct limits	*limits_new(void);
void		 limits_free(struct limits *);

/*
 * A user's counters are found by name; id (the user's row) tells a user
 * from a deleted one of the same name.  lim[] is the user's limit per
 * window, 0 for none.  These return 0 to go on, 1 with v filled for a
 * refusal, -1 with *cause when the counters could not be loaded (db is
 * the caller's connection, used only then).  With db NULL they never
 * block (the event loop calls them so): they use only counters already
 * in memory and return 2, having changed nothing, when the user's are not
 * (call again with a database).
 */
int		 limits_connect(struct limits *, struct db *, const char *user,
		    int64_t id, const int64_t lim[LIM_NWINDOWS], time_t now,
		    struct verdict *v, char **cause);
int		 limits_rcpt(struct limits *, struct db *, const char *user,
		    int64_t id, int64_t limit, const void *token, time_t now,
		    struct verdict *v, char **cause);
/* End of a transaction: release token's pending recipients, count relayed. */
int		 limits_settle(struct limits *, struct db *, const char *user,
		    int64_t id, const void *token, int64_t relayed, time_t now,
		    char **cause);

/* A user's counts in the windows holding now, and its pending recipients. */
struct limits_status {
	int64_t	count[LIM_NWINDOWS];
	time_t	end[LIM_NWINDOWS];
	int64_t	pending;
};
int		 limits_status(struct limits *, struct db *, const char *user,
		    time_t now, struct limits_status *, char **cause);
/* Set a user's counters to zero (written back by the next flush). */
void		 limits_reset(struct limits *, const char *user);
/* Write changed counters back in one transaction. */
int		 limits_flush(struct limits *, struct db *, char **cause);

/* The counters the control thread sees (NULL: none, read the database). */
void		 limits_share(struct limits *);
int		 limits_shared_status(struct db *, const char *user, time_t now,
		    struct limits_status *, char **cause);
int		 limits_shared_reset(struct db *, const char *user,
		    char **cause);

/*
 * A client address as the tables key it: 16 bytes, IPv4 as IPv4-mapped
 * IPv6; and as text, an IPv4-mapped address written as IPv4.  -1 for a
 * family other than IPv4 and IPv6.
 */
int		 limits_addr(const struct sockaddr *, uint8_t addr[16],
		    char *text, size_t len);

/*
 * Per client address (16 bytes, IPv4-mapped).  limits_ip_enter takes one
 * of the address's cap slots (0) or says it has none left (1);
 * limits_ip_leave gives it back.
 */
int		 limits_ip_enter(struct limits *, const uint8_t addr[16],
		    int64_t cap);
void		 limits_ip_leave(struct limits *, const uint8_t addr[16]);
/*
 * AUTH failures of an address within window seconds of its first one:
 * limits_auth_wait says how many seconds it must still wait (0: none);
 * limits_auth_fail counts one and returns 1 when that one used up the
 * last attempt.
 */
int64_t		 limits_auth_wait(struct limits *, const uint8_t addr[16],
		    int64_t max, int64_t window, time_t now);
int		 limits_auth_fail(struct limits *, const uint8_t addr[16],
		    int64_t max, int64_t window, time_t now);

#endif
