/*
 * The DATA reader and the spool: byte streams in, stored message and
 * verdict out, fed whole, split in two at every position, and byte by byte.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../daemon/smtp_data.h"
#include "../../daemon/spool.h"

#define NORM	SMTP_BARE_LF_NORMALIZE
#define REJ	SMTP_BARE_LF_REJECT

struct data_case {
	const char		*in;
	size_t			 inlen;
	enum smtp_bare_lf	 policy;
	uint64_t		 max_size;
	enum smtp_data_result	 result;
	const char		*stored;	/* for SMTP_DATA_OK */
	size_t			 storedlen;
	const char		*rest;		/* left unconsumed */
};

#define S(s)	s, sizeof(s) - 1
#define EVIL	"MAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@example.com>" \
		"\r\nDATA\r\nFrom: ceo@example.com\r\n\r\nwire money\r\n"

static const struct data_case cases[] = {
	/* Plain messages, and the end followed by pipelined commands. */
	{ S("Subject: x\r\n\r\nhello\r\n.\r\n"), NORM, 0, SMTP_DATA_OK,
	    S("Subject: x\r\n\r\nhello\r\n"), "" },
	{ S(".\r\n"), NORM, 0, SMTP_DATA_OK, S(""), "" },
	{ S("\r\n.\r\n"), NORM, 0, SMTP_DATA_OK, S("\r\n"), "" },
	{ S("a\r\n.\r\nMAIL FROM:<x@y>\r\nRCPT TO:<z@y>\r\n"), NORM, 0,
	    SMTP_DATA_OK, S("a\r\n"), "MAIL FROM:<x@y>\r\nRCPT TO:<z@y>\r\n" },
	{ S("a\r\n.\r\nQUIT\r\n"), REJ, 0, SMTP_DATA_OK, S("a\r\n"),
	    "QUIT\r\n" },
	{ S("a\r\n.\r\n.\r\n"), NORM, 0, SMTP_DATA_OK, S("a\r\n"), ".\r\n" },
	{ S("a\r\n"), NORM, 0, SMTP_DATA_PENDING, NULL, 0, "" },
	{ S("a\r\n.\r"), NORM, 0, SMTP_DATA_PENDING, NULL, 0, "" },

	/* Dot-unstuffing. */
	{ S("..x\r\n..\r\n...\r\n.\r\n"), NORM, 0, SMTP_DATA_OK,
	    S(".x\r\n.\r\n..\r\n"), "" },
	{ S(".a\r\nb.\r\n. \r\n.\r\n"), NORM, 0, SMTP_DATA_OK,
	    S("a\r\nb.\r\n \r\n"), "" },
	{ S("x\r\n..\r\n.\r\n"), REJ, 0, SMTP_DATA_OK, S("x\r\n.\r\n"), "" },

	/*
	 * Smuggling: none of these ends the message, whatever
	 * the policy; the real end is the final CRLF.CRLF.
	 */
	{ S("a\n.\n" EVIL ".\r\n"), NORM, 0, SMTP_DATA_OK,
	    S("a\r\n.\r\n" EVIL), "" },
	{ S("a\r\n.\n" EVIL ".\r\n"), NORM, 0, SMTP_DATA_OK,
	    S("a\r\n.\r\n" EVIL), "" },
	{ S("a\n.\r\n" EVIL ".\r\n"), NORM, 0, SMTP_DATA_OK,
	    S("a\r\n.\r\n" EVIL), "" },
	{ S("a\r.\r\n" EVIL ".\r\n"), NORM, 0, SMTP_DATA_BARE_CR, NULL, 0,
	    "" },
	{ S("a\r\n.\r" EVIL ".\r\n"), NORM, 0, SMTP_DATA_BARE_CR, NULL, 0,
	    "" },
	{ S("a\r\n.\r\r\n" EVIL ".\r\n"), NORM, 0, SMTP_DATA_BARE_CR, NULL, 0,
	    "" },
	{ S("a\r\r\n" EVIL ".\r\n"), NORM, 0, SMTP_DATA_BARE_CR, NULL, 0, "" },
	{ S("a\r\n\r.\r\n" EVIL ".\r\n"), NORM, 0, SMTP_DATA_BARE_CR, NULL, 0,
	    "" },
	{ S("a\n.\n" EVIL ".\r\n"), REJ, 0, SMTP_DATA_BARE_LF, NULL, 0, "" },
	{ S("a\r\n.\n" EVIL ".\r\n"), REJ, 0, SMTP_DATA_BARE_LF, NULL, 0, "" },
	{ S("a\n.\r\n" EVIL ".\r\n"), REJ, 0, SMTP_DATA_BARE_LF, NULL, 0, "" },
	{ S("a\r.\r\n" EVIL ".\r\n"), REJ, 0, SMTP_DATA_BARE_CR, NULL, 0, "" },
	{ S("a\r\n.\r" EVIL ".\r\n"), REJ, 0, SMTP_DATA_BARE_CR, NULL, 0, "" },
	{ S("a\r\n.\r\n" EVIL ".\r\n"), REJ, 0, SMTP_DATA_OK, S("a\r\n"),
	    EVIL ".\r\n" },
	/* After a bare LF a "." line is data; the next real CRLF.CRLF ends. */
	{ S("x\r\n.\n.\r\n.\r\n"), NORM, 0, SMTP_DATA_OK,
	    S("x\r\n.\r\n.\r\n"), "" },
	{ S("\n.\r\n.\r\nQUIT\r\n"), NORM, 0, SMTP_DATA_OK, S("\r\n.\r\n"),
	    "QUIT\r\n" },
	{ S(".\n.\r\n"), NORM, 0, SMTP_DATA_PENDING, NULL, 0, "" },
	{ S("\n..x\r\n.\r\n"), NORM, 0, SMTP_DATA_OK, S("\r\n.x\r\n"), "" },
	/* A CR bare or a CR before a bare LF: both mean a bare CR. */
	{ S("a\rb\r\n.\r\n"), NORM, 0, SMTP_DATA_BARE_CR, NULL, 0, "" },
	{ S("a\r\r\n.\r\n"), NORM, 0, SMTP_DATA_BARE_CR, NULL, 0, "" },
	{ S(".\r.\r\n"), NORM, 0, SMTP_DATA_PENDING, NULL, 0, "" },
	{ S(".\r.\r\n.\r\n"), NORM, 0, SMTP_DATA_BARE_CR, NULL, 0, "" },

	/* Bare LF: normalised, or refused after the real end, in the header too. */
	{ S("a\nb\r\nc\n\r\n.\r\n"), NORM, 0, SMTP_DATA_OK,
	    S("a\r\nb\r\nc\r\n\r\n"), "" },
	{ S("a\n\n.\r\n"), NORM, 0, SMTP_DATA_PENDING, NULL, 0, "" },
	{ S("a\nb\r\n.\r\n"), REJ, 0, SMTP_DATA_BARE_LF, NULL, 0, "" },
	{ S("Subject: x\nFrom: y\r\n\r\nbody\r\n.\r\nQUIT\r\n"), REJ, 0,
	    SMTP_DATA_BARE_LF, NULL, 0, "QUIT\r\n" },
	{ S("a\r\nb\n.\r\nc\r\n.\r\n"), REJ, 0, SMTP_DATA_BARE_LF, NULL, 0,
	    "" },

	/* Size limit: stored bytes, CRLF included. */
	{ S("01234567\r\n.\r\n"), NORM, 10, SMTP_DATA_OK,
	    S("01234567\r\n"), "" },
	{ S("012345678\r\n.\r\nQUIT\r\n"), NORM, 10, SMTP_DATA_TOO_BIG, NULL, 0,
	    "QUIT\r\n" },
	{ S("..234567\r\n.\r\n"), NORM, 9, SMTP_DATA_OK,
	    S(".234567\r\n"), "" },
	{ S("a\rbcdefghijkl\r\n.\r\n"), NORM, 10, SMTP_DATA_BARE_CR, NULL, 0,
	    "" },

	/* Bytes that are not line ends pass unchanged. */
	{ S("caf\xc3\xa9 \x01\x7f\xff\r\n.\r\n"), NORM, 0, SMTP_DATA_OK,
	    S("caf\xc3\xa9 \x01\x7f\xff\r\n"), "" },
	{ S("a\0b\r\n.\r\n"), NORM, 0, SMTP_DATA_OK, S("a\0b\r\n"), "" },
};

static const char *const result_names[] = {
	"OK", "BARE_CR", "BARE_LF", "TOO_BIG", "STORE", "PENDING",
};

/* The outcome of feeding one stream in pieces. */
struct outcome {
	enum smtp_data_result	 result;
	size_t			 consumed;
	int			 done;
	char			*stored;
	size_t			 storedlen;
	char			 reply[256];
};

static char *
read_spool(struct spool *sp, size_t *len)
{
	char	*buf;
	ssize_t	 n;
	size_t	 off = 0;

	*len = spool_size(sp);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(spool_rewind(sp), 0);
	/* Odd-sized reads, to cross every internal boundary. */
	while ((n = spool_read(sp, buf + off, 7)) > 0)
		off += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal(off, *len);
	return buf;
}

/*
 * Feed in[0..len) cut at the positions in cuts[] (ascending, ncuts of
 * them); stops feeding once the reader says done, as a session would.
 */
static void
feed(const struct data_case *c, const size_t *cuts, size_t ncuts,
    struct outcome *o)
{
	struct smtp_data_opts	 opts = { 0 };
	struct smtp_data	*d;
	struct spool		*sp;
	const char		*reply;
	size_t			 from = 0, to, i;
	ssize_t			 n;

	opts.max_size = c->max_size;
	opts.bare_lf = c->policy;
	opts.mem_threshold = 1 << 20;
	assert_non_null(d = smtp_data_new(&opts));
	memset(o, 0, sizeof *o);
	for (i = 0; i <= ncuts && !o->done; i++) {
		to = i < ncuts ? cuts[i] : c->inlen;
		n = smtp_data_feed(d, c->in + from, to - from, &o->done);
		assert_true(n >= 0 && (size_t)n <= to - from);
		if (!o->done)
			assert_int_equal((size_t)n, to - from);
		o->consumed += (size_t)n;
		from = to;
	}
	o->result = smtp_data_result(d);
	reply = smtp_data_reply(d);
	snprintf(o->reply, sizeof o->reply, "%s", reply ? reply : "");
	if (o->result == SMTP_DATA_OK) {
		sp = smtp_data_take_spool(d);
		o->stored = read_spool(sp, &o->storedlen);
		spool_free(sp);
	}
	smtp_data_free(d);
}

/* Check one outcome against the case; 0 when it matches. */
static int
check(const struct data_case *c, const struct outcome *o, size_t i,
    const char *how)
{
	size_t	restlen = strlen(c->rest);

	if (o->result != c->result) {
		print_error("case %zu (%s): result %s, want %s\n", i, how,
		    result_names[o->result], result_names[c->result]);
		return -1;
	}
	if (o->consumed != c->inlen - restlen || o->done !=
	    (c->result != SMTP_DATA_PENDING)) {
		print_error("case %zu (%s): consumed %zu of %zu, done %d\n",
		    i, how, o->consumed, c->inlen, o->done);
		return -1;
	}
	if (c->result == SMTP_DATA_OK && (o->storedlen != c->storedlen ||
	    memcmp(o->stored, c->stored, c->storedlen) != 0)) {
		print_error("case %zu (%s): stored %zu bytes \"%.*s\"\n", i,
		    how, o->storedlen, (int)o->storedlen, o->stored);
		return -1;
	}
	return 0;
}

static void
test_data_table(void **state)
{
	struct outcome	 o;
	size_t		 i, k, *cuts;
	int		 failed = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* Whole. */
		feed(&cases[i], NULL, 0, &o);
		failed += check(&cases[i], &o, i, "whole") != 0;
		free(o.stored);
		/* Split in two at every position. */
		for (k = 1; k < cases[i].inlen; k++) {
			feed(&cases[i], &k, 1, &o);
			failed += check(&cases[i], &o, i, "split") != 0;
			free(o.stored);
		}
		/* One byte at a time. */
		cuts = calloc(cases[i].inlen + 1, sizeof *cuts);
		assert_non_null(cuts);
		for (k = 1; k < cases[i].inlen; k++)
			cuts[k - 1] = k;
		feed(&cases[i], cuts, cases[i].inlen ? cases[i].inlen - 1 : 0,
		    &o);
		failed += check(&cases[i], &o, i, "bytewise") != 0;
		free(o.stored);
		free(cuts);
	}
	assert_int_equal(failed, 0);
}

/* Where the data ends: the first CRLF.CRLF, counting DATA's own CRLF. */
static size_t
expected_end(const char *s, size_t n)
{
	char	t[64];
	size_t	i;

	memcpy(t, "\r\n", 2);
	memcpy(t + 2, s, n);
	for (i = 0; i + 5 <= n + 2; i++)
		if (memcmp(t + i, "\r\n.\r\n", 5) == 0)
			return i + 3;
	return SIZE_MAX;
}

/* Canonical text: every CR is followed by LF and every LF follows a CR. */
static int
canonical(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			return 0;
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return 0;
	}
	return 1;
}

/* What the relay sends for a stored message: dots stuffed, end added. */
static size_t
restuff(const char *s, size_t n, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '.' && (i == 0 || s[i - 1] == '\n'))
			out[o++] = '.';
		out[o++] = s[i];
	}
	memcpy(out + o, ".\r\n", 3);
	return o + 3;
}

/*
 * Every stream of up to 7 bytes from {CR, LF, ".", "a"}, followed by a
 * real end and a command, under both policies: the data ends exactly at
 * the first CRLF.CRLF; a bare CR or (under REJECT) a bare LF refuses the
 * message; a stored message is canonical, and what the relay would send
 * for it reads back as the very same single message.
 */
static void
test_data_exhaustive(void **state)
{
	static const char	 alpha[] = "\r\n.a";
	struct data_case	 c = { 0 };
	struct outcome		 o, o2;
	char			 in[32], wire[64];
	size_t			 len, k, code, end, cut;
	int			 policy, failed = 0, lf, cr;

	for (len = 0; len <= 7; len++) {
		for (code = 0; code < (1u << (2 * len)); code++) {
			for (k = 0; k < len; k++)
				in[k] = alpha[(code >> (2 * k)) & 3];
			memcpy(in + len, "\r\n.\r\nQUIT\r\n", 11);
			end = expected_end(in, len + 11);
			/* Bare bytes in the message (its final CRLF included). */
			for (k = 0, cr = lf = 0; k + 3 < end; k++) {
				cr |= in[k] == '\r' && in[k + 1] != '\n';
				lf |= in[k] == '\n' && (k == 0 || in[k - 1] != '\r');
			}
			for (policy = 0; policy < 2; policy++) {
				c.in = in;
				c.inlen = len + 11;
				c.policy = policy ? REJ : NORM;
				feed(&c, NULL, 0, &o);
				cut = len / 2 + 1;
				feed(&c, &cut, 1, &o2);
				if (o.consumed != end || !o.done ||
				    o.result != (cr ? SMTP_DATA_BARE_CR :
				    lf && policy ? SMTP_DATA_BARE_LF :
				    SMTP_DATA_OK) || o2.result != o.result ||
				    o2.consumed != o.consumed ||
				    o2.storedlen != o.storedlen ||
				    (o.stored != NULL && memcmp(o.stored,
				    o2.stored, o.storedlen) != 0)) {
					print_error("stream %zu/%zu policy %d: "
					    "consumed %zu, want %zu, result %s\n",
					    len, code, policy, o.consumed, end,
					    result_names[o.result]);
					failed++;
				}
				free(o2.stored);
				if (o.result != SMTP_DATA_OK) {
					free(o.stored);
					continue;
				}
				if (!canonical(o.stored, o.storedlen))
					failed++;
				c.in = wire;
				c.inlen = restuff(o.stored, o.storedlen, wire);
				c.policy = REJ;
				feed(&c, NULL, 0, &o2);
				if (o2.result != SMTP_DATA_OK ||
				    o2.consumed != c.inlen ||
				    o2.storedlen != o.storedlen ||
				    memcmp(o2.stored, o.stored, o.storedlen) != 0) {
					print_error("stream %zu/%zu policy %d: "
					    "relayed copy differs\n", len, code,
					    policy);
					failed++;
				}
				free(o2.stored);
				free(o.stored);
			}
		}
	}
	assert_int_equal(failed, 0);
}

/* Replies for each refusal, with their codes. */
static void
test_data_replies(void **state)
{
	static const struct data_case r[] = {
		{ S("a\rb\r\n.\r\n"), REJ, 0, SMTP_DATA_BARE_CR, NULL, 0,
		    "550 5.5.2 Message refused: it contains a bare CR" },
		{ S("a\nb\r\n.\r\n"), REJ, 0, SMTP_DATA_BARE_LF, NULL, 0,
		    "550 5.5.2 Message refused: it contains a bare LF" },
		{ S("0123456789\r\n.\r\n"), NORM, 10, SMTP_DATA_TOO_BIG,
		    NULL, 0, "552 5.3.4 Message too big: 12 bytes, the limit "
		    "is 10 bytes" },
		{ S("a\nb\r\n.\r\n"), NORM, 0, SMTP_DATA_OK, NULL, 0, "" },
	};
	struct outcome	o;
	size_t		i;

	for (i = 0; i < sizeof r / sizeof r[0]; i++) {
		feed(&r[i], NULL, 0, &o);
		free(o.stored);
		assert_int_equal(o.result, r[i].result);
		if (strncmp(o.reply, r[i].rest, strlen(r[i].rest)) != 0 ||
		    (r[i].rest[0] == '\0' && o.reply[0] != '\0'))
			fail_msg("reply %zu \"%s\", want \"%s\"", i, o.reply,
			    r[i].rest);
	}
}

static struct smtp_data *
feed_all(const struct smtp_data_opts *opts, const char *in, size_t len)
{
	struct smtp_data	*d;
	int			 done;

	assert_non_null(d = smtp_data_new(opts));
	assert_int_equal(smtp_data_feed(d, in, len, &done), (ssize_t)len);
	assert_int_equal(done, 1);
	return d;
}

/* Counters: Received: and From: headers, lines, 8-bit. */
static void
test_data_stats(void **state)
{
	static const char	 msg[] =
	    "Received: from a\r\n\tby b\r\nreceived : from c\r\n"
	    "From: x@example.com\r\nfrom:y@example.com\r\nX-From: z\r\n"
	    "Received-SPF: pass\r\nSubject: \xc3\xa9t\xc3\xa9\r\n\r\n"
	    "From: in the body\r\nReceived: in the body\r\n.\r\n";
	struct smtp_data_opts	 opts = { 0 };
	struct smtp_data	*d;
	const struct smtp_data_stats *st;

	opts.mem_threshold = 4096;
	d = feed_all(&opts, msg, sizeof msg - 1);
	st = smtp_data_stats(d);
	assert_int_equal(smtp_data_result(d), SMTP_DATA_OK);
	assert_int_equal(st->received, 2);
	assert_int_equal(st->from, 2);
	assert_int_equal(st->lines, 11);
	assert_int_equal(st->size, sizeof msg - 1 - 3);
	assert_int_equal(st->header_size, strstr(msg, "\r\n\r\n") + 2 - msg);
	assert_int_equal(st->eight_bit, 1);
	assert_int_equal(st->bare_lf, 0);
	assert_int_equal(st->nul, 0);
	smtp_data_free(d);

	/* 8-bit and NUL bytes deep in body lines and in long header lines. */
	d = feed_all(&opts, S("\r\nplain ascii body line\r\n.\r\n"));
	assert_int_equal(smtp_data_stats(d)->eight_bit, 0);
	assert_int_equal(smtp_data_stats(d)->header_size, 0);
	smtp_data_free(d);
	d = feed_all(&opts, S("\r\na long enough body line caf\xc3\xa9\r\n.\r\n"));
	assert_int_equal(smtp_data_stats(d)->eight_bit, 1);
	assert_int_equal(smtp_data_stats(d)->nul, 0);
	smtp_data_free(d);
	d = feed_all(&opts, S("X-Long-Header-Name: with a NUL \0 in it\r\n\r\n.\r\n"));
	assert_int_equal(smtp_data_stats(d)->nul, 1);
	assert_int_equal(smtp_data_stats(d)->eight_bit, 0);
	assert_int_equal(smtp_data_stats(d)->longest, 38);
	smtp_data_free(d);
}

/* 101 Received: headers are counted (the caller refuses, 554 5.4.0). */
static void
test_data_received_loop(void **state)
{
	struct smtp_data_opts	 opts = { 0 };
	struct smtp_data	*d;
	char			*msg, *p;
	int			 i;

	msg = p = malloc(101 * 40 + 64);
	assert_non_null(msg);
	for (i = 0; i < 101; i++)
		p += sprintf(p, "Received: from h%d by h%d\r\n", i, i + 1);
	p += sprintf(p, "\r\nbody\r\n.\r\n");
	opts.mem_threshold = 1 << 20;
	d = feed_all(&opts, msg, (size_t)(p - msg));
	assert_int_equal(smtp_data_stats(d)->received, 101);
	assert_int_equal(smtp_data_stats(d)->eight_bit, 0);
	smtp_data_free(d);
	free(msg);
}

/* Long lines are counted, not refused. */
static void
test_data_long_lines(void **state)
{
	struct smtp_data_opts	 opts = { 0 };
	struct smtp_data	*d;
	char			 msg[6010];
	size_t			 n = 0;

	memset(msg, 'a', 998);
	n += 998;
	memcpy(msg + n, "\r\n", 2);
	n += 2;
	memset(msg + n, 'b', 5000);
	n += 5000;
	memcpy(msg + n, "\r\n.\r\n", 5);
	n += 5;
	opts.mem_threshold = 1 << 20;
	d = feed_all(&opts, msg, n);
	assert_int_equal(smtp_data_result(d), SMTP_DATA_OK);
	assert_int_equal(smtp_data_stats(d)->long_lines, 1);
	assert_int_equal(smtp_data_stats(d)->longest, 5000);
	smtp_data_free(d);

	opts.max_line = 100;
	d = feed_all(&opts, msg, n);
	assert_int_equal(smtp_data_stats(d)->long_lines, 2);
	smtp_data_free(d);
}

/*
 * A message far over the limit is read to its end while memory stays
 * bounded: nothing past the limit is stored.
 */
static void
test_data_too_big_bounded(void **state)
{
	struct smtp_data_opts	 opts = { 0 };
	struct smtp_data	*d;
	struct spool		*sp;
	char			 chunk[65536];
	size_t			 i;
	int			 done = 0;

	memset(chunk, 'x', sizeof chunk);
	for (i = 78; i < sizeof chunk; i += 80)
		memcpy(chunk + i, "\r\n", 2);
	memcpy(chunk + sizeof chunk - 2, "\r\n", 2);
	opts.max_size = 1000;
	opts.mem_threshold = 1 << 20;
	assert_non_null(d = smtp_data_new(&opts));
	for (i = 0; i < 160; i++)	/* 10 MiB */
		assert_int_equal(smtp_data_feed(d, chunk, sizeof chunk, &done),
		    sizeof chunk);
	assert_int_equal(done, 0);
	assert_int_equal(smtp_data_result(d), SMTP_DATA_PENDING);
	assert_int_equal(smtp_data_feed(d, ".\r\n", 3, &done), 3);
	assert_int_equal(done, 1);
	assert_int_equal(smtp_data_result(d), SMTP_DATA_TOO_BIG);
	assert_int_equal(smtp_data_stats(d)->size, 160 * sizeof chunk);
	sp = smtp_data_take_spool(d);
	assert_true(spool_size(sp) <= 1000);
	assert_int_equal(spool_in_file(sp), 0);
	spool_free(sp);
	assert_null(smtp_data_take_spool(d));
	smtp_data_free(d);
}

static void
test_data_after_end(void **state)
{
	struct smtp_data_opts	 opts = { 0 };
	struct smtp_data	*d;
	int			 done;

	opts.mem_threshold = 100;
	d = feed_all(&opts, ".\r\n", 3);
	errno = 0;
	assert_int_equal(smtp_data_feed(d, "x", 1, &done), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(done, 0);
	smtp_data_free(d);
}

/* A message of nlines lines, plain and as a client sends it (stuffed). */
static void
make_message(size_t nlines, char **plain, size_t *plen, char **wire,
    size_t *wlen)
{
	size_t	i, p = 0, w = 0, n;
	char	line[128];

	*plain = malloc(nlines * 128);
	*wire = malloc(nlines * 130 + 8);
	assert_true(*plain != NULL && *wire != NULL);
	for (i = 0; i < nlines; i++) {
		n = (size_t)snprintf(line, sizeof line, "%s%zu %.*s\r\n",
		    i % 7 == 0 ? "." : "", i, (int)(i % 90), "0123456789"
		    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU"
		    "VWXYZ0123456789abcdefghijklmnopqrst");
		memcpy(*plain + p, line, n);
		p += n;
		if (line[0] == '.')
			(*wire)[w++] = '.';
		memcpy(*wire + w, line, n);
		w += n;
	}
	memcpy(*wire + w, ".\r\n", 3);
	*plen = p;
	*wlen = w + 3;
}

static int
dir_is_empty(const char *path)
{
	DIR		*dir;
	struct dirent	*de;
	int		 n = 0;

	assert_non_null(dir = opendir(path));
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dir);
	return n == 0;
}

/*
 * Past the threshold the message goes to an unlinked file in the spool
 * directory, and reads back byte for byte by every route.
 */
static void
test_data_spill(void **state)
{
	struct smtp_data_opts	 opts = { 0 };
	struct smtp_data	*d;
	struct spool		*sp;
	char			 dir[] = "/tmp/test_smtp_data.XXXXXX";
	char			*plain, *wire, *got;
	const char		*map;
	size_t			 plen, wlen, off, n, len;
	off_t			 start;
	int			 done = 0, fd;

	assert_non_null(mkdtemp(dir));
	make_message(20000, &plain, &plen, &wire, &wlen);
	opts.mem_threshold = 10000;
	opts.spool_dir = dir;
	assert_non_null(d = smtp_data_new(&opts));
	/* Pieces of uneven sizes, as the network gives them. */
	for (off = 0; !done; off += n) {
		n = 1 + (off * 7919) % 4093;
		if (n > wlen - off)
			n = wlen - off;
		assert_int_equal(smtp_data_feed(d, wire + off, n, &done), n);
	}
	assert_int_equal(off, wlen);
	assert_int_equal(smtp_data_result(d), SMTP_DATA_OK);
	sp = smtp_data_take_spool(d);
	smtp_data_free(d);
	assert_int_equal(spool_in_file(sp), 1);
	assert_true(dir_is_empty(dir));

	got = read_spool(sp, &len);
	assert_int_equal(len, plen);
	assert_memory_equal(got, plain, plen);
	free(got);

	assert_non_null(map = spool_map(sp, &len));
	assert_int_equal(len, plen);
	assert_memory_equal(map, plain, plen);

	assert_true((fd = spool_fd(sp, &start)) >= 0);
	got = malloc(plen);
	assert_int_equal(pread(fd, got, plen, start), (ssize_t)plen);
	assert_memory_equal(got, plain, plen);
	free(got);

	/* Headers added in front cost no copy and read back in order. */
	assert_int_equal(spool_prepend(sp, "Received: x\r\n", 13), 0);
	assert_int_equal(spool_size(sp), plen + 13);
	assert_non_null(map = spool_map(sp, &len));
	assert_int_equal(len, plen + 13);
	assert_memory_equal(map, "Received: x\r\n", 13);
	assert_memory_equal(map + 13, plain, plen);

	spool_free(sp);
	assert_true(dir_is_empty(dir));
	assert_int_equal(rmdir(dir), 0);
	free(plain);
	free(wire);
}

/*
 * Disk full: a file-size limit makes the spool's writes fail
 * with EFBIG, which counts as "out of space".  Run in a child so the limit
 * cannot touch the test's own output.
 */
static int
enospc_child(const char *dir)
{
	struct smtp_data_opts	 opts = { 0 };
	struct rlimit		 rl = { 65536, 65536 };
	struct smtp_data	*d;
	char			*plain, *wire;
	const char		*reply;
	size_t			 plen, wlen;
	int			 done = 0;

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
		return 10;
	make_message(20000, &plain, &plen, &wire, &wlen);
	opts.mem_threshold = 1000;
	opts.spool_dir = dir;
	if ((d = smtp_data_new(&opts)) == NULL)
		return 11;
	if (smtp_data_feed(d, wire, wlen, &done) != (ssize_t)wlen || !done)
		return 12;	/* still read to the real end */
	if (smtp_data_result(d) != SMTP_DATA_STORE)
		return 13;
	if (smtp_data_errno(d) != EFBIG)
		return 14;
	reply = smtp_data_reply(d);
	if (reply == NULL || strncmp(reply, "452 4.3.1 ", 10) != 0)
		return 15;
	if (smtp_data_stats(d)->size != plen)
		return 16;
	smtp_data_free(d);
	return 0;
}

static void
test_data_enospc(void **state)
{
	char	dir[] = "/tmp/test_smtp_data.XXXXXX";
	pid_t	pid;
	int	status;

	assert_non_null(mkdtemp(dir));
	if ((pid = fork()) == 0)
		_exit(enospc_child(dir));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(dir_is_empty(dir));
	assert_int_equal(rmdir(dir), 0);
}

/* A spool directory that does not exist: 451, not 452. */
static void
test_data_store_error(void **state)
{
	struct smtp_data_opts	 opts = { 0 };
	struct smtp_data	*d;

	opts.mem_threshold = 4;
	opts.spool_dir = "/nonexistent/spool";
	d = feed_all(&opts, "hello world\r\n.\r\n", 16);
	assert_int_equal(smtp_data_result(d), SMTP_DATA_STORE);
	assert_int_equal(smtp_data_errno(d), ENOENT);
	assert_non_null(strstr(smtp_data_reply(d), "451 4.3.0 "));
	smtp_data_free(d);
}

/* The spool alone: memory, headroom, prepend beyond it, sticky errors. */
static void
test_spool_memory(void **state)
{
	struct spool	*sp;
	char		 big[SPOOL_HEADROOM + 10], *got;
	const char	*map;
	size_t		 len;
	off_t		 off;

	assert_non_null(sp = spool_new(1 << 20, NULL));
	assert_int_equal(spool_size(sp), 0);
	assert_non_null(map = spool_map(sp, &len));
	assert_int_equal(len, 0);
	assert_int_equal(spool_write(sp, "body\r\n", 6), 0);
	assert_int_equal(spool_write(sp, "", 0), 0);
	assert_int_equal(spool_prepend(sp, "B: 2\r\n", 6), 0);
	assert_int_equal(spool_prepend(sp, "A: 1\r\n", 6), 0);
	got = read_spool(sp, &len);
	assert_int_equal(len, 18);
	assert_memory_equal(got, "A: 1\r\nB: 2\r\nbody\r\n", 18);
	free(got);
	assert_int_equal(spool_fd(sp, &off), -1);
	assert_int_equal(spool_in_file(sp), 0);

	/* More than the headroom: copied into a larger buffer. */
	memset(big, 'h', sizeof big);
	assert_int_equal(spool_prepend(sp, big, sizeof big), 0);
	assert_non_null(map = spool_map(sp, &len));
	assert_int_equal(len, sizeof big + 18);
	assert_memory_equal(map, big, sizeof big);
	assert_memory_equal(map + sizeof big, "A: 1\r\nB: 2\r\nbody\r\n", 18);
	assert_int_equal(spool_write(sp, "more\r\n", 6), 0);
	assert_int_equal(spool_size(sp), sizeof big + 24);
	spool_free(sp);
}

static void
test_spool_file(void **state)
{
	char		 dir[] = "/tmp/test_smtp_data.XXXXXX", *got;
	char		 big[SPOOL_HEADROOM + 1];
	struct spool	*sp;
	size_t		 len;

	assert_non_null(mkdtemp(dir));
	assert_non_null(sp = spool_new(0, dir));
	assert_int_equal(spool_write(sp, "x", 1), 0);
	assert_int_equal(spool_in_file(sp), 1);
	assert_true(dir_is_empty(dir));
	memset(big, 'h', sizeof big);
	errno = 0;
	assert_int_equal(spool_prepend(sp, big, sizeof big), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* Not sticky: the message is intact. */
	assert_int_equal(spool_error(sp), 0);
	assert_int_equal(spool_prepend(sp, big, SPOOL_HEADROOM), 0);
	got = read_spool(sp, &len);
	assert_int_equal(len, SPOOL_HEADROOM + 1);
	assert_int_equal(got[SPOOL_HEADROOM], 'x');
	free(got);
	spool_free(sp);

	/* A failure sticks. */
	assert_non_null(sp = spool_new(0, "/nonexistent"));
	assert_int_equal(spool_write(sp, "x", 1), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(spool_write(sp, "x", 1), -1);
	assert_int_equal(spool_error(sp), ENOENT);
	assert_int_equal(spool_rewind(sp), -1);
	assert_int_equal(spool_full(ENOSPC), 1);
	assert_int_equal(spool_full(EDQUOT), 1);
	assert_int_equal(spool_full(ENOENT), 0);
	spool_free(sp);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_table),
		cmocka_unit_test(test_data_exhaustive),
		cmocka_unit_test(test_data_replies),
		cmocka_unit_test(test_data_stats),
		cmocka_unit_test(test_data_received_loop),
		cmocka_unit_test(test_data_long_lines),
		cmocka_unit_test(test_data_too_big_bounded),
		cmocka_unit_test(test_data_after_end),
		cmocka_unit_test(test_data_spill),
		cmocka_unit_test(test_data_enospc),
		cmocka_unit_test(test_data_store_error),
		cmocka_unit_test(test_spool_memory),
		cmocka_unit_test(test_spool_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
