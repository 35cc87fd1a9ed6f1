/*
 * Message storage for one message in flight.  A message lives in memory
 * up to a threshold, then in a temporary file that is unlinked the moment
 * it is created, so nothing stays on disk once the spool is freed (or the
 * process dies).  outfilterd keeps no queue: a spool lives from DATA until
 * the next hop has answered.
 *
 * Headers added after the message was received (Received:, later
 * DKIM-Signature:) go in front with spool_prepend(): every spool keeps
 * SPOOL_HEADROOM bytes free before the message so that costs no copy, and
 * the message stays one contiguous run of bytes (for spool_map() and for
 * sendfile(2) from spool_fd()).
 *
 * Errors are sticky: once a write failed (ENOSPC, EDQUOT, EFBIG, EIO...)
 * every later call fails with the same errno; the caller answers the
 * client "452 4.3.1" for the first three (see spool_full()).
 */
#ifndef OF_SPOOL_H
#define OF_SPOOL_H

#include <sys/types.h>
#include <stddef.h>

/* Room kept in front of the message for headers added later. */
#define SPOOL_HEADROOM	4096

struct spool;

/*
 * A spool keeping up to mem_threshold bytes in memory, then spilling to a
 * temporary file in dir (NULL: /tmp).  NULL with errno on failure.
 */
struct spool	*spool_new(size_t mem_threshold, const char *dir);
void		 spool_free(struct spool *);

/* Append len bytes; 0, or -1 with errno (sticky). */
int		 spool_write(struct spool *, const void *, size_t);
/* Put len bytes in front of everything written so far; 0 or -1. */
int		 spool_prepend(struct spool *, const void *, size_t);
/* Bytes stored (prepended ones included). */
size_t		 spool_size(const struct spool *);
/* 1 once the message went to a file. */
int		 spool_in_file(const struct spool *);
/* The sticky error (an errno value), 0 when none. */
int		 spool_error(const struct spool *);
/* 1 when errno value err means "out of space": answer 452 4.3.1. */
int		 spool_full(int err);

/* Sequential reading from the start; spool_read() returns 0 at the end. */
int		 spool_rewind(struct spool *);
ssize_t		 spool_read(struct spool *, void *, size_t);

/*
 * The whole message as one run of bytes (memory, or the file mapped
 * read-only); valid until the next write, prepend or spool_free().
 * NULL with errno on failure; an empty spool gives a non-NULL pointer
 * and *len 0.
 */
const void	*spool_map(struct spool *, size_t *len);

/*
 * For sendfile(2): the file descriptor and the offset where the message
 * starts (it runs for spool_size() bytes), or -1 while the message is in
 * memory (use spool_map()) or on error.  The descriptor stays the spool's.
 */
int		 spool_fd(struct spool *, off_t *offset);

#endif
