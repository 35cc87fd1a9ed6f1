/*
 * The quarantine: messages held instead of relayed.  Each is a file of
 * its own (mode 0600) in [quarantine] dir, exactly the bytes that would
 * have gone to the next hop, and a row (db_quarantine_*) hanging off its
 * log row with the envelope.  A release relays the file to the next hop
 * now; after [quarantine] retention_days the file and the row go.
 */
#ifndef OF_QUARANTINE_H
#define OF_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "relay.h"

struct config;
struct db;

/*
 * Hold a message (CRLF line ends, not dot-stuffed) for log row log_id:
 * the file is written, fsync'ed and its directory fsync'ed, then the row
 * is added.  For worker threads, with their own database handle.  0, or
 * -1 with *cause; when the file could not be written errno still says why
 * (spool_full(errno): answer 452 4.3.1).  Nothing is left behind on
 * failure.
 */
int	quarantine_store(struct db *, const struct config *, int64_t log_id,
	    const char *sender, const char *const *rcpts, size_t nrcpts,
	    const char *msg, size_t len, char **cause);

/* A held message as a release relays it. */
struct quarantine_msg {
	const char		*path;
	const char		*queue_id;	/* for the next hop's logs */
	const char		*sender;	/* "" for <> */
	const char *const	*rcpts;
	size_t			 nrcpts;
};

/*
 * Relay a held message to the configured next hop now (relay_send) and
 * wait for its verdict on an event loop of its own: for the control
 * thread, which it blocks up to the next hop's time-outs.  0 when the next
 * hop took the message (*reply is its 2xx; recipients it refused are
 * skipped), -1 with *cause naming the next hop and its reply, or what
 * failed here (*reply code 0).
 */
int	quarantine_relay(const struct config *, const struct quarantine_msg *,
	    struct relay_reply *reply, char **cause);

/*
 * What quarantine show adds to a message's row: "headers" (the header
 * block as stored, at most QUARANTINE_HEADERS_MAX bytes) and "text" (the
 * first text part, decoded, at most QUARANTINE_TEXT_MAX bytes; null when
 * there is none), with "truncated" when either was cut.  -1 with *cause
 * when the file cannot be read.
 */
#define QUARANTINE_HEADERS_MAX	(64 * 1024)
#define QUARANTINE_TEXT_MAX	4096
int	quarantine_peek(const char *path, json_t *into, char **cause);

/*
 * Remove the files and rows of messages held longer than [quarantine]
 * retention_days before now, and files of the directory older than that
 * which no row names any more (a crash between file and row, a deleted
 * domain).  *deleted counts messages and files removed.
 */
int	quarantine_purge(struct db *, const struct config *, time_t now,
	    int64_t *deleted, char **cause);

#endif
