/*
 * The DATA reader: the session feeds it the raw bytes that follow its
 * "354" reply, in whatever pieces the network delivers; it finds the end
 * of the message, undoes dot-stuffing, turns the message into canonical
 * CRLF text in a spool, and says what it thought of it.
 *
 * The end of the data (the SMTP-smuggling defence, CVE-2023-51764 class):
 * only CR LF "." CR LF ends a message -- the CR LF being the real end of the
 * previous line (or of the DATA command, for an empty message) -- under
 * both bare_lf policies.  Nothing else does: not LF "." LF, not CR LF "." LF,
 * not LF "." CR LF, not CR "." CR LF, not CR LF "." CR followed by anything
 * but LF.  The two policies differ only in what a bare LF (an LF without a
 * CR before it) means:
 *
 *   SMTP_BARE_LF_NORMALIZE  a bare LF ends the line, as if CR LF had been
 *			    sent (Postfix 3.9's "normalize").  It is stored as
 *			    CR LF, and the next line is unstuffed like any
 *			    other ("\n..x" stores ".x").  A "." line after a
 *			    bare LF ends nothing: it is kept as a line ".",
 *			    which the relay sends stuffed, so one message
 *			    never becomes two.
 *   SMTP_BARE_LF_REJECT     the message is read to the real end, then
 *			    refused once (550 5.5.2).
 *
 * A bare CR (a CR not followed by LF) is always refused the same way.
 * Refused and oversize messages are read to the real end without being
 * stored, so memory stays bounded and the client is not left hanging.
 * smtp_data_feed() consumes bytes only up to the end of the data: what
 * follows (pipelined commands) stays with the caller.
 *
 * The stored message is exactly what goes to the next hop: CR LF after
 * every line, no bare CR or LF, leading dots removed (the relay stuffs
 * again when it sends).
 */
#ifndef OF_SMTP_DATA_H
#define OF_SMTP_DATA_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct spool;

/*
 * Header fields a message may have.  Each one costs the MIME parser of
 * the content checks some hundred bytes, so their number, not the size
 * limit, bounds the memory a message takes (a 16 MB message of 8-byte
 * fields would take ~1.4 GB); real mail has well under a hundred.
 */
#define SMTP_DATA_MAX_FIELDS	10000

enum smtp_bare_lf {
	SMTP_BARE_LF_NORMALIZE,
	SMTP_BARE_LF_REJECT,
};

struct smtp_data_opts {
	uint64_t		 max_size;	/* stored bytes; 0: no limit */
	enum smtp_bare_lf	 bare_lf;
	/*
	 * Lines longer than this (CRLF excluded) are counted, not refused:
	 * RFC 5322 2.1.1 says 998, but the caller decides what to do.
	 * 0: 998.
	 */
	size_t			 max_line;
	size_t			 mem_threshold;	/* spool: memory up to this */
	const char		*spool_dir;	/* spool: then a file here */
};

enum smtp_data_result {
	SMTP_DATA_OK,
	SMTP_DATA_BARE_CR,	/* 550 5.5.2 */
	SMTP_DATA_BARE_LF,	/* 550 5.5.2, under SMTP_BARE_LF_REJECT */
	SMTP_DATA_TOO_BIG,	/* 552 5.3.4 */
	SMTP_DATA_TOO_MANY_FIELDS, /* 552 5.3.4: over SMTP_DATA_MAX_FIELDS */
	SMTP_DATA_STORE,	/* spool failed: 452 4.3.1 or 451 4.3.0 */
	SMTP_DATA_PENDING,	/* the end has not been seen yet */
};

/* What was seen; counts cover the whole message, stored or not. */
struct smtp_data_stats {
	uint64_t	size;		/* message bytes, as stored */
	uint64_t	lines;
	uint64_t	long_lines;	/* longer than max_line */
	size_t		longest;	/* longest line, CRLF excluded */
	unsigned	received;	/* Received: headers, for loops */
	unsigned	from;		/* From: headers (2+: refuse) */
	unsigned	fields;		/* header fields (not folded lines) */
	size_t		header_size;	/* bytes of the header block */
	int		eight_bit;	/* a byte >= 0x80 somewhere */
	int		nul;		/* a NUL byte somewhere */
	uint64_t	bare_lf;	/* bare LFs seen */
	uint64_t	bare_cr;	/* bare CRs seen */
};

struct smtp_data;

/* A reader for one message; NULL with errno when out of memory. */
struct smtp_data	*smtp_data_new(const struct smtp_data_opts *);
void			 smtp_data_free(struct smtp_data *);

/*
 * Feed len bytes.  Returns how many were consumed: all of them, or fewer
 * when the end of the data was among them (then *done is set to 1 and
 * buf + return value is where the next command begins).  Never fails
 * while the end has not been seen (a refusal is reported by
 * smtp_data_result() once the end is there); -1 with EINVAL after the end.
 */
ssize_t			 smtp_data_feed(struct smtp_data *, const char *buf,
			    size_t len, int *done);

enum smtp_data_result	 smtp_data_result(const struct smtp_data *);
const struct smtp_data_stats *smtp_data_stats(const struct smtp_data *);
/* For SMTP_DATA_STORE: the errno the spool reported. */
int			 smtp_data_errno(const struct smtp_data *);

/*
 * The reply line (no CRLF) for a refused message ("552 5.3.4 ..."), or
 * NULL for SMTP_DATA_OK and SMTP_DATA_PENDING.  Valid until the next call.
 */
const char		*smtp_data_reply(struct smtp_data *);

/*
 * Hand the stored message over (only meaningful with SMTP_DATA_OK): the
 * caller owns the spool and frees it with spool_free().  NULL if taken.
 */
struct spool		*smtp_data_take_spool(struct smtp_data *);

#endif
