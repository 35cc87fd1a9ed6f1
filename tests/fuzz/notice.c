/*
 * The notice template renderer.  Input: the template text, then the
 * values of {user}, {identity}, {domain}, {reason} and {admin_contact},
 * separated by NUL bytes (missing ones are NULL); numbers and times come
 * from a hash of the input, extremes included.  Invariants: notice_check
 * and notice_render agree on what is a template; values never add a line
 * break, never leave an unescaped '<' in HTML and never a control
 * character on a subject line; valid UTF-8 stays valid.
 */
#include <limits.h>
#include <string.h>

#include <glib.h>

#include "fuzz.h"
#include "notice.h"

static const long fuzz_counts[] = { 0, 1, -1, 1000, LONG_MAX, LONG_MIN };
static const time_t fuzz_times[] = {
	0, 1, -1, 1795788000, (time_t)LLONG_MAX, (time_t)LLONG_MIN,
	(time_t)253402300800LL,		/* year 10000 */
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static size_t
count(const char *s, char c)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

static void
render(const char *text, const struct notice_vars *v, enum notice_mode mode,
    int valid)
{
	char	*out, *cause = NULL;
	size_t	 i, n;

	out = notice_render(text, v, mode, &cause);
	FUZZ_CHECK(valid == (out != NULL), "notice_check says %s, "
	    "notice_render %s (mode %d)", valid ? "valid" : "invalid",
	    out != NULL ? "rendered it" : cause, (int)mode);
	if (out == NULL) {
		FUZZ_CHECK(cause != NULL, "render failed without a cause");
		free(cause);
		return;
	}
	n = strlen(out);
	if (mode == NOTICE_LINE) {
		for (i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)out[i] >= 0x20 &&
			    out[i] != 0x7f, "control byte 0x%02x at %zu on a "
			    "subject line", (unsigned char)out[i], i);
	} else {
		FUZZ_CHECK(count(out, '\n') == count(text, '\n') &&
		    count(out, '\r') == count(text, '\r'), "a value added a "
		    "line break (mode %d)", (int)mode);
	}
	if (mode == NOTICE_HTML && strchr(text, '<') == NULL)
		FUZZ_CHECK(strchr(out, '<') == NULL, "unescaped '<' in HTML");
	if (g_utf8_validate(text, -1, NULL))
		FUZZ_CHECK(g_utf8_validate(out, -1, NULL),
		    "valid UTF-8 template rendered as invalid UTF-8");
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notice_vars	 v;
	const char		*field[6] = { NULL };
	char			*buf, *p, *end, *cause = NULL;
	uint32_t		 h = 2166136261u;
	size_t			 i, n = 0;
	int			 valid;

	if (size > 128 * 1024)
		return 0;
	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	buf = fuzz_strndup(data, size);
	end = buf + size;
	for (p = buf; n < NITEMS(field) && p <= end; p += strlen(p) + 1)
		field[n++] = p;

	memset(&v, 0, sizeof v);
	v.user = field[1];
	v.identity = field[2];
	v.domain = field[3];
	v.reason = field[4];
	v.admin_contact = field[5];
	v.spam_count = fuzz_counts[h % NITEMS(fuzz_counts)];
	v.window_minutes = fuzz_counts[(h >> 4) % NITEMS(fuzz_counts)];
	v.auto_unlocks_left = fuzz_counts[(h >> 8) % NITEMS(fuzz_counts)];
	v.locked_at = fuzz_times[(h >> 12) % NITEMS(fuzz_times)];
	v.unlock_at = fuzz_times[(h >> 16) % NITEMS(fuzz_times)];

	valid = notice_check(field[0], "body", &cause) == 0;
	if (!valid) {
		FUZZ_CHECK(cause != NULL && strncmp(cause, "body: ", 6) == 0,
		    "refusal \"%s\" does not name the field",
		    cause ? cause : "(null)");
		free(cause);
	}
	render(field[0], &v, NOTICE_TEXT, valid);
	render(field[0], &v, NOTICE_LINE, valid);
	render(field[0], &v, NOTICE_HTML, valid);
	free(buf);
	return 0;
}
