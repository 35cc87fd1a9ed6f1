/*
 * The DATA reader: the bytes after "354", under both bare-LF policies,
 * fed whole, in pieces of varying size and byte by byte, checked against
 * a plain model of smtp_data.h's rules written line by line:
 *
 *  - the end is the first "." line that a real CR LF ends and a real
 *    CR LF began (or ".\r\n" first of all): nothing before it may end the
 *    message (never two messages from one) and nothing after it is eaten;
 *  - the stored message has CR LF after every line and no bare CR or LF;
 *    a leading dot is removed, a lone "." line that ends nothing is kept;
 *  - a bare CR refuses the message, a bare LF does under REJECT, the size
 *    limit gives TOO_BIG, and the counters agree with the model.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "smtp_data.h"
#include "spool.h"

struct model {
	size_t			 consumed;
	int			 done;
	enum smtp_data_result	 result;
	char			*stored;
	size_t			 storedlen;
	uint64_t		 lines, bare_lf, bare_cr;
};

static void
model_run(const char *buf, size_t len, enum smtp_bare_lf policy,
    uint64_t max_size, struct model *m)
{
	const char	*p = buf, *end = buf + len, *lf, *c;
	size_t		 n, i;
	int		 crlf, prev_crlf = 1;

	memset(m, 0, sizeof *m);
	if ((m->stored = malloc(2 * len + 3)) == NULL)
		abort();
	while ((lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n = (size_t)(lf - p);
		crlf = n > 0 && p[n - 1] == '\r';
		if (crlf)
			n--;
		if (crlf && prev_crlf && n == 1 && p[0] == '.') {
			m->done = 1;
			p = lf + 1;
			break;
		}
		m->lines++;
		if (!crlf)
			m->bare_lf++;
		for (i = 0; i < n; i++)
			if (p[i] == '\r')
				m->bare_cr++;
		c = p;
		if (n > 1 && p[0] == '.') {
			c++;
			n--;
		}
		memcpy(m->stored + m->storedlen, c, n);
		m->storedlen += n;
		memcpy(m->stored + m->storedlen, "\r\n", 2);
		m->storedlen += 2;
		prev_crlf = crlf;
		p = lf + 1;
	}
	m->consumed = m->done ? (size_t)(p - buf) : len;
	if (!m->done)
		m->result = SMTP_DATA_PENDING;
	else if (m->bare_cr > 0)
		m->result = SMTP_DATA_BARE_CR;
	else if (m->bare_lf > 0 && policy == SMTP_BARE_LF_REJECT)
		m->result = SMTP_DATA_BARE_LF;
	else if (max_size != 0 && m->storedlen > max_size)
		m->result = SMTP_DATA_TOO_BIG;
	else
		m->result = SMTP_DATA_OK;
}

/* Bytes with no bare CR and no bare LF, every line ended by CR LF. */
static void
check_canonical(const char *s, size_t n)
{
	size_t	i;

	FUZZ_CHECK(n == 0 || (n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n'),
	    "stored message does not end in CR LF");
	for (i = 0; i < n; i++) {
		if (s[i] == '\r')
			FUZZ_CHECK(i + 1 < n && s[i + 1] == '\n',
			    "bare CR stored at %zu", i);
		if (s[i] == '\n')
			FUZZ_CHECK(i > 0 && s[i - 1] == '\r',
			    "bare LF stored at %zu", i);
	}
}

static uint32_t
hash(const uint8_t *p, size_t n)
{
	uint32_t	h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/*
 * Feed buf to a reader in pieces: step 0 whole, 1 byte by byte, else
 * pseudo-random piece sizes up to step bytes from seed.
 */
static void
run(const char *buf, size_t len, enum smtp_bare_lf policy, uint64_t max_size,
    size_t mem_threshold, size_t step, uint32_t seed, const struct model *m)
{
	struct smtp_data_opts		 o;
	struct smtp_data		*d;
	const struct smtp_data_stats	*st;
	struct spool			*sp;
	const void			*stored;
	const char			*reply;
	size_t				 off = 0, piece, n;
	ssize_t				 r;
	int				 done = 0;

	memset(&o, 0, sizeof o);
	o.max_size = max_size;
	o.bare_lf = policy;
	o.mem_threshold = mem_threshold;
	if ((d = smtp_data_new(&o)) == NULL)
		abort();
	while (off < len && !done) {
		if (step == 0)
			piece = len - off;
		else if (step == 1)
			piece = 1;
		else {
			seed = seed * 1103515245u + 12345u;
			piece = 1 + (seed >> 8) % step;
		}
		if (piece > len - off)
			piece = len - off;
		r = smtp_data_feed(d, buf + off, piece, &done);
		FUZZ_CHECK(r >= 0 && (size_t)r <= piece, "feed returned %zd "
		    "for %zu bytes", r, piece);
		FUZZ_CHECK(done || (size_t)r == piece, "feed consumed %zd of "
		    "%zu bytes without seeing the end", r, piece);
		off += (size_t)r;
		if (smtp_data_result(d) != SMTP_DATA_PENDING)
			FUZZ_CHECK(done, "a result before the end");
	}
	if (len == 0) {
		r = smtp_data_feed(d, buf, 0, &done);
		FUZZ_CHECK(r == 0 && !done, "an empty feed did something");
	}
	FUZZ_CHECK(done == m->done, "end seen %d, the model says %d (step %zu)",
	    done, m->done, step);
	FUZZ_CHECK(off == m->consumed, "consumed %zu bytes, the model %zu "
	    "(step %zu)", off, m->consumed, step);
	FUZZ_CHECK(smtp_data_result(d) == m->result, "result %d, the model "
	    "%d (step %zu)", (int)smtp_data_result(d), (int)m->result, step);
	st = smtp_data_stats(d);
	if (done) {
		FUZZ_CHECK(st->bare_cr == m->bare_cr &&
		    st->bare_lf == m->bare_lf, "bare CR/LF counted %llu/%llu, "
		    "the model %llu/%llu", (unsigned long long)st->bare_cr,
		    (unsigned long long)st->bare_lf,
		    (unsigned long long)m->bare_cr,
		    (unsigned long long)m->bare_lf);
		FUZZ_CHECK(st->lines == m->lines, "%llu lines, the model %llu",
		    (unsigned long long)st->lines,
		    (unsigned long long)m->lines);
		r = smtp_data_feed(d, "x", 1, &done);
		FUZZ_CHECK(r == -1 && errno == EINVAL,
		    "feed after the end accepted");
	}
	reply = smtp_data_reply(d);
	switch (smtp_data_result(d)) {
	case SMTP_DATA_OK:
	case SMTP_DATA_PENDING:
		FUZZ_CHECK(reply == NULL, "a reply without a refusal");
		break;
	default:
		FUZZ_CHECK(reply != NULL && reply[0] >= '4' &&
		    reply[0] <= '5' && fuzz_printable(reply, strlen(reply)),
		    "refusal reply \"%s\"", reply ? reply : "(null)");
	}
	if (smtp_data_result(d) == SMTP_DATA_OK) {
		FUZZ_CHECK(st->size == m->storedlen, "size %llu, stored %zu",
		    (unsigned long long)st->size, m->storedlen);
		if ((sp = smtp_data_take_spool(d)) == NULL)
			abort();
		FUZZ_CHECK(spool_size(sp) == m->storedlen, "spool holds %zu "
		    "bytes, the model %zu", spool_size(sp), m->storedlen);
		if ((stored = spool_map(sp, &n)) == NULL)
			abort();
		check_canonical(stored, n);
		FUZZ_CHECK(n == m->storedlen &&
		    memcmp(stored, m->stored, n) == 0,
		    "stored bytes differ from the model (step %zu)", step);
		spool_free(sp);
	}
	smtp_data_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf = (const char *)data;
	struct model	 m;
	uint32_t	 h = hash(data, size);
	uint64_t	 limit;
	int		 policy;

	if (size > 64 * 1024)
		return 0;
	for (policy = 0; policy < 2; policy++) {
		model_run(buf, size, policy, 0, &m);
		if (m.result == SMTP_DATA_OK)
			check_canonical(m.stored, m.storedlen);
		run(buf, size, policy, 0, 1 << 20, 0, 0, &m);
		/* Now and then through a spool file (slower: a file each). */
		run(buf, size, policy, 0, h % 8 == 0 ? 64 : 1 << 20,
		    1 + h % 17, h, &m);
		if (size <= 1024)
			run(buf, size, policy, 0, 1 << 20, 1, 0, &m);
		free(m.stored);

		/* A size limit somewhere around the message's size. */
		limit = 1 + h % (size + 8);
		model_run(buf, size, policy, limit, &m);
		run(buf, size, policy, limit, 1 << 20, 0, 0, &m);
		run(buf, size, policy, limit, 1 << 20, 2 + h % 7, h >> 3, &m);
		free(m.stored);
	}
	return 0;
}
