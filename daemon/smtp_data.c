/*
 * The DATA reader (see smtp_data.h for which byte sequences end a message
 * under each bare_lf policy, and why).
 *
 * A byte-at-a-time state machine over four line states; bytes are not
 * copied one by one: each feed call remembers the start of a "span" of
 * input that goes to the spool unchanged and writes it out only where the
 * output must differ from the input (a dot removed, a bare LF turned into
 * CR LF, the end marker left out, the end of the piece).  A CR is written
 * as it comes, before we know whether an LF follows: when none does the
 * message is refused and nothing more is stored, so the stray CR never
 * reaches the next hop.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"
#include "spool.h"

#define SMTP_DATA_MAX_LINE	998	/* RFC 5322 2.1.1 */

#define STR1(x)	#x
#define STR(x)	STR1(x)

enum smtp_data_state {
	SD_BOL,		/* at the start of a line */
	SD_DOT,		/* "." at the start of a line */
	SD_DOT_CR,	/* ".\r" at the start of a line */
	SD_LINE,	/* inside a line */
	SD_DONE,	/* the end of the data was seen */
};

struct smtp_data {
	struct smtp_data_opts	 opts;
	struct spool		*spool;
	enum smtp_data_state	 state;
	int			 prev_cr;	/* SD_LINE: last byte was CR */
	int			 eol_crlf;	/* last line ended in CR LF */
	int			 storing;	/* 0 once refused or failed */
	int			 too_big;
	int			 too_many;	/* header fields */
	int			 fields_done;	/* a line that is no field */
	int			 store_errno;
	int			 in_header;
	size_t			 linelen;	/* content bytes of this line */
	char			 prefix[16];	/* start of a header line */
	const char		*span;		/* input not yet stored */
	struct smtp_data_stats	 stats;
	char			 reply[256];
};

/* Header fields counted in the header block. */
static const struct {
	const char	*name;		/* upper case */
	size_t		 off;		/* counter in struct smtp_data_stats */
} smtp_data_fields[] = {
	{ "RECEIVED",	offsetof(struct smtp_data_stats, received) },
	{ "FROM",	offsetof(struct smtp_data_stats, from) },
};

struct smtp_data *
smtp_data_new(const struct smtp_data_opts *opts)
{
	struct smtp_data	*d;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	d->opts = *opts;
	d->opts.spool_dir = NULL;	/* the caller's string; spool copied it */
	if (d->opts.max_line == 0)
		d->opts.max_line = SMTP_DATA_MAX_LINE;
	if ((d->spool = spool_new(opts->mem_threshold, opts->spool_dir)) ==
	    NULL) {
		free(d);
		return NULL;
	}
	d->state = SD_BOL;
	d->eol_crlf = 1;	/* the DATA command's own CR LF */
	d->storing = 1;
	d->in_header = 1;
	return d;
}

void
smtp_data_free(struct smtp_data *d)
{
	if (d == NULL)
		return;
	spool_free(d->spool);
	free(d);
}

static void
smtp_data_store(struct smtp_data *d, const char *p, size_t n)
{
	if (!d->storing || n == 0)
		return;
	if (spool_write(d->spool, p, n) == -1) {
		d->store_errno = errno;
		d->storing = 0;
	}
}

/* Store the input from the span start up to p; the span restarts at p. */
static void
smtp_data_flush(struct smtp_data *d, const char *p)
{
	smtp_data_store(d, d->span, (size_t)(p - d->span));
	d->span = p;
}

/* The message will be refused: keep reading, stop storing. */
static void
smtp_data_refuse(struct smtp_data *d)
{
	d->storing = 0;
}

/* Count n stored bytes against the size limit. */
static void
smtp_data_count(struct smtp_data *d, size_t n)
{
	d->stats.size += n;
	if (d->opts.max_size != 0 && d->stats.size > d->opts.max_size &&
	    !d->too_big) {
		d->too_big = 1;
		smtp_data_refuse(d);
	}
}

/* One byte of a line's content. */
static void
smtp_data_content(struct smtp_data *d, unsigned char c)
{
	if (d->in_header && d->linelen < sizeof d->prefix)
		d->prefix[d->linelen] = (char)c;
	d->linelen++;
	if (c >= 0x80)
		d->stats.eight_bit = 1;
	else if (c == '\0')
		d->stats.nul = 1;
	smtp_data_count(d, 1);
}

/* The header line starting with prefix is a field named name. */
static int
smtp_data_field_is(const char *prefix, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= n)
			return 0;
		if (prefix[i] != name[i] && prefix[i] != name[i] + 'a' - 'A')
			return 0;
	}
	/* RFC 5322 4.5: the obsolete syntax allows blanks before the colon. */
	while (i < n && (prefix[i] == ' ' || prefix[i] == '\t'))
		i++;
	return i < n && prefix[i] == ':';
}

/*
 * Whether a header line of len bytes starts a field: a name of printable
 * characters, blanks, ':' (RFC 5322 3.6.8, 4.5), as far as its first n
 * bytes show.
 */
static int
smtp_data_is_field(const char *prefix, size_t n, size_t len)
{
	size_t	i;

	for (i = 0; i < n && prefix[i] > ' ' && prefix[i] < 0x7f &&
	    prefix[i] != ':'; i++)
		;
	if (i == 0)
		return 0;
	while (i < n && (prefix[i] == ' ' || prefix[i] == '\t'))
		i++;
	return i < n ? prefix[i] == ':' : len > n;
}

/*
 * Count the header fields, up to the first line that is neither a field
 * nor a folded line (a MIME parser takes the rest as the body, as it
 * does after the empty line); past SMTP_DATA_MAX_FIELDS refuse.
 */
static void
smtp_data_count_field(struct smtp_data *d, size_t n)
{
	if (d->fields_done || d->prefix[0] == ' ' || d->prefix[0] == '\t')
		return;
	if (!smtp_data_is_field(d->prefix, n, d->linelen)) {
		d->fields_done = 1;
		return;
	}
	if (++d->stats.fields > SMTP_DATA_MAX_FIELDS && !d->too_many) {
		d->too_many = 1;
		smtp_data_refuse(d);
	}
}

/* A header line ended: count the fields that matter. */
static void
smtp_data_header_line(struct smtp_data *d)
{
	size_t		 n, i;
	unsigned	*counter;

	if (d->linelen == 0) {
		d->in_header = 0;	/* the empty line ends the header */
		return;
	}
	d->stats.header_size += d->linelen + 2;
	n = d->linelen < sizeof d->prefix ? d->linelen : sizeof d->prefix;
	smtp_data_count_field(d, n);
	for (i = 0; i < sizeof smtp_data_fields / sizeof smtp_data_fields[0];
	    i++) {
		if (!smtp_data_field_is(d->prefix, n, smtp_data_fields[i].name))
			continue;
		counter = (unsigned *)((char *)&d->stats +
		    smtp_data_fields[i].off);
		(*counter)++;
	}
}

/* A line ended, with a real CR LF (crlf) or a bare LF. */
static void
smtp_data_eol(struct smtp_data *d, int crlf)
{
	d->stats.lines++;
	smtp_data_count(d, 2);
	if (d->linelen > d->opts.max_line)
		d->stats.long_lines++;
	if (d->linelen > d->stats.longest)
		d->stats.longest = d->linelen;
	if (d->in_header)
		smtp_data_header_line(d);
	d->linelen = 0;
	d->eol_crlf = crlf;
	d->state = SD_BOL;
}

/*
 * A bare LF at p: under NORMALIZE it ends the line and is stored as CR LF;
 * under REJECT the message is refused.  Either way it ends the line for
 * dot-unstuffing, but never counts as the CR LF before an end marker.
 */
static void
smtp_data_bare_lf(struct smtp_data *d, const char *p)
{
	d->stats.bare_lf++;
	if (d->opts.bare_lf == SMTP_BARE_LF_REJECT)
		smtp_data_refuse(d);
	smtp_data_flush(d, p);
	smtp_data_store(d, "\r\n", 2);
	d->span = p + 1;
	smtp_data_eol(d, 0);
}

static void
smtp_data_bare_cr(struct smtp_data *d)
{
	d->stats.bare_cr++;
	smtp_data_refuse(d);
	smtp_data_count(d, 1);
}

static void
smtp_data_line(struct smtp_data *d, const char *p)
{
	unsigned char	c = (unsigned char)*p;

	if (d->prev_cr) {
		d->prev_cr = 0;
		if (c == '\n') {
			smtp_data_eol(d, 1);
			return;
		}
		smtp_data_bare_cr(d);
	}
	if (c == '\r')
		d->prev_cr = 1;
	else if (c == '\n')
		smtp_data_bare_lf(d, p);
	else
		smtp_data_content(d, c);
}

static void
smtp_data_bol(struct smtp_data *d, const char *p)
{
	if (*p == '.') {
		/* Leave the dot out: stuffing, or the end marker. */
		smtp_data_flush(d, p);
		d->span = p + 1;
		d->state = SD_DOT;
		return;
	}
	d->state = SD_LINE;
	smtp_data_line(d, p);
}

/* A line "." that ends nothing (after a bare LF, or ended by one). */
static void
smtp_data_lone_dot(struct smtp_data *d, const char *p, int crlf)
{
	smtp_data_store(d, ".\r\n", 3);
	d->span = p + 1;
	smtp_data_content(d, '.');
	smtp_data_eol(d, crlf);
}

static void
smtp_data_dot(struct smtp_data *d, const char *p)
{
	if (*p == '\r') {
		d->span = p + 1;
		d->state = SD_DOT_CR;
		return;
	}
	if (*p == '\n') {
		d->stats.bare_lf++;
		if (d->opts.bare_lf == SMTP_BARE_LF_REJECT)
			smtp_data_refuse(d);
		smtp_data_lone_dot(d, p, 0);
		return;
	}
	/* A stuffed dot: the line goes on from this byte. */
	d->state = SD_LINE;
	smtp_data_line(d, p);
}

static void
smtp_data_dot_cr(struct smtp_data *d, const char *p)
{
	if (*p == '\n' && d->eol_crlf) {
		d->span = p + 1;
		d->state = SD_DONE;
		return;
	}
	if (*p == '\n') {
		smtp_data_lone_dot(d, p, 1);
		return;
	}
	/* ".\r" and no LF: a bare CR in a line that began with a dot. */
	smtp_data_content(d, '.');
	smtp_data_bare_cr(d);
	d->state = SD_LINE;
	smtp_data_line(d, p);
}

/*
 * Inside a body line, the common case: skip to the next CR or LF in one
 * tight loop instead of one state call per byte.  Returns where it
 * stopped.
 */
static const char *
smtp_data_scan(struct smtp_data *d, const char *p, const char *end)
{
	const char	*q;
	unsigned char	 bits = 0;

	for (q = p; q < end && *q != '\r' && *q != '\n'; q++)
		bits |= (unsigned char)*q;
	if (bits & 0x80)
		d->stats.eight_bit = 1;
	if (memchr(p, '\0', (size_t)(q - p)) != NULL)
		d->stats.nul = 1;
	d->linelen += (size_t)(q - p);
	smtp_data_count(d, (size_t)(q - p));
	return q;
}

static void (*const smtp_data_states[])(struct smtp_data *, const char *) = {
	[SD_BOL] = smtp_data_bol,
	[SD_DOT] = smtp_data_dot,
	[SD_DOT_CR] = smtp_data_dot_cr,
	[SD_LINE] = smtp_data_line,
};

/* The end was seen: make sure what was stored really is on its medium. */
static void
smtp_data_finish(struct smtp_data *d)
{
	if (d->storing && spool_rewind(d->spool) == -1) {
		d->store_errno = errno;
		d->storing = 0;
	}
}

ssize_t
smtp_data_feed(struct smtp_data *d, const char *buf, size_t len, int *done)
{
	const char	*p = buf, *end = buf + len;

	*done = 0;
	if (d->state == SD_DONE) {
		errno = EINVAL;
		return -1;
	}
	d->span = p;
	for (; p < end && d->state != SD_DONE; p++) {
		if (d->state == SD_LINE && !d->prev_cr && (!d->in_header ||
		    d->linelen >= sizeof d->prefix) &&
		    (p = smtp_data_scan(d, p, end)) == end)
			break;
		smtp_data_states[d->state](d, p);
	}
	if (d->state != SD_DONE)
		smtp_data_flush(d, p);
	else {
		*done = 1;
		smtp_data_finish(d);
	}
	d->span = NULL;
	return (ssize_t)(p - buf);
}

enum smtp_data_result
smtp_data_result(const struct smtp_data *d)
{
	if (d->state != SD_DONE)
		return SMTP_DATA_PENDING;
	if (d->stats.bare_cr > 0)
		return SMTP_DATA_BARE_CR;
	if (d->stats.bare_lf > 0 && d->opts.bare_lf == SMTP_BARE_LF_REJECT)
		return SMTP_DATA_BARE_LF;
	if (d->too_big)
		return SMTP_DATA_TOO_BIG;
	if (d->too_many)
		return SMTP_DATA_TOO_MANY_FIELDS;
	if (d->store_errno != 0)
		return SMTP_DATA_STORE;
	return SMTP_DATA_OK;
}

const struct smtp_data_stats *
smtp_data_stats(const struct smtp_data *d)
{
	return &d->stats;
}

int
smtp_data_errno(const struct smtp_data *d)
{
	return d->store_errno;
}

/* Refusals whose reply needs nothing from the message. */
static const char *const smtp_data_fixed_replies[] = {
	[SMTP_DATA_BARE_CR] = "550 5.5.2 Message refused: it contains a bare "
	    "CR (a CR not followed by LF); lines must end in CRLF",
	[SMTP_DATA_BARE_LF] = "550 5.5.2 Message refused: it contains a bare "
	    "LF (an LF without a CR before it); lines must end in CRLF",
	[SMTP_DATA_TOO_MANY_FIELDS] = "552 5.3.4 Message refused: its header "
	    "has more than " STR(SMTP_DATA_MAX_FIELDS) " fields",
	[SMTP_DATA_PENDING] = NULL,
};

static const char *
smtp_data_reply_size(struct smtp_data *d)
{
	snprintf(d->reply, sizeof d->reply, "552 5.3.4 Message too big: "
	    "%llu bytes, the limit is %llu bytes",
	    (unsigned long long)d->stats.size,
	    (unsigned long long)d->opts.max_size);
	return d->reply;
}

/* Out of space is worth retrying soon (452); anything else is ours (451). */
static const char *
smtp_data_reply_store(struct smtp_data *d)
{
	if (spool_full(d->store_errno))
		return "452 4.3.1 Insufficient system storage: please try "
		    "again later";
	snprintf(d->reply, sizeof d->reply, "451 4.3.0 Local error: the "
	    "message could not be stored (%s); please try again later",
	    strerror(d->store_errno));
	return d->reply;
}

const char *
smtp_data_reply(struct smtp_data *d)
{
	enum smtp_data_result	r = smtp_data_result(d);

	if (r == SMTP_DATA_TOO_BIG)
		return smtp_data_reply_size(d);
	if (r == SMTP_DATA_STORE)
		return smtp_data_reply_store(d);
	return smtp_data_fixed_replies[r];
}

struct spool *
smtp_data_take_spool(struct smtp_data *d)
{
	struct spool	*sp = d->spool;

	d->spool = NULL;
	return sp;
}
