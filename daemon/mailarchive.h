/*
 * The archive (mailarchive.c; named so that libarchive's <archive.h> stays
 * reachable): a copy of every relayed message of a user with
 * `archive` on, compressed with zstd and encrypted at rest with
 * libsodium's secretstream (XChaCha20-Poly1305) under the key of
 * [archive] key_file, one file each under [archive] dir, indexed by a row
 * beside its log row.  Safe to call from any number of threads at once,
 * each with its own database handle.
 */
#ifndef OF_ARCHIVE_H
#define OF_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct config;

/*
 * Store msg (exactly the bytes relayed) for the log row log_id, which must
 * exist: the file is written and fsync'ed with its directory, then the
 * row added (one INSERT).  The key file is made on first use.  -1 with
 * *cause; nothing is left behind then.  The file work (fsync) takes a
 * while: do not hold a lock others wait for around the call.
 */
/*
 * The key file as the daemon would use it: 0 when usable or absent (made
 * by the first archived message), -1 with cause when others may read it
 * or it is no archive key.
 */
int	 archive_keyfile_check(const struct config *, char **cause);
int	 archive_store(struct db *, const struct config *, int64_t log_id,
	    const char *msg, size_t len, char **cause);
/*
 * The file alone, for a caller that adds the row itself later with
 * db_archive_add(db, log_id, *path, len): *path is malloc'ed.
 */
int	 archive_write(const struct config *, int64_t log_id, const char *msg,
	    size_t len, char **path, char **cause);

/* The original bytes of archived message id (*msg malloc'ed, *len). */
int	 archive_read(struct db *, const struct config *, int64_t id,
	    char **msg, size_t *len, char **cause);
/*
 * From the file of log row log_id: at most max bytes from offset into
 * *buf (malloc'ed, *len), and the whole size into *total.  Every call
 * authenticates the whole file, so a damaged or altered one fails before
 * anything of it is handed out.
 */
int	 archive_read_file(const struct config *, const char *path,
	    int64_t log_id, uint64_t offset, size_t max, char **buf,
	    size_t *len, uint64_t *total, char **cause);

/*
 * Remove the messages archived more than [archive] retention_days ago
 * (file first, then row), and files no row names that are older still.
 * *removed counts files.  Each database write is one short DELETE.
 */
int	 archive_purge(struct db *, const struct config *, int64_t *removed,
	    char **cause);

#endif
