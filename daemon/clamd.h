/*
 * A ClamAV daemon asked about a whole message (clamd.c): INSTREAM on a
 * unix socket or a TCP port, within a timeout.
 */
#ifndef OF_CLAMD_H
#define OF_CLAMD_H

#include <stddef.h>

/*
 * Send msg to the clamd at spec ("unix:/PATH" or "tcp:HOST:PORT") and
 * read its verdict, all within timeout_ms.  0 clean, 1 found (the
 * signature's name in name[len]), -1 with *cause when clamd could not
 * judge (bad spec, down, slow, an error reply).
 */
int	clamd_scan(const char *spec, int timeout_ms, const char *msg,
	    size_t len, char *name, size_t namelen, char **cause);

struct config;

/*
 * The check of abuse control for a user with block.dangerous: when
 * [content] clamd is set, ask it about the whole message.  0 lets it go
 * on; -1 refuses it with reply (550 5.7.1 naming the signature, or 451
 * 4.7.1 when clamd could not judge and [content] clamd_on_failure is
 * tempfail) and reason for the log.
 */
int	clamd_check(const struct config *, const char *queue_id,
	    const char *msg, size_t len, char *reply, size_t replylen,
	    char *reason, size_t reasonlen);

#endif
