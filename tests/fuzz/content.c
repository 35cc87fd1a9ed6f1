/*
 * The MIME and archive scanner: the input is a whole message, scanned
 * with the default limits and again with tight ones.  Invariants: a scan
 * ends in a verdict or a cause; a blocked verdict names its class and a
 * reason; the part and reason are valid UTF-8 without control
 * characters (they reach logs and replies).
 */
#include <string.h>

#include <glib.h>

#include "fuzz.h"
#include "content.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	content_init();
	return 0;
}

static void
text_ok(const char *what, const char *s, size_t size)
{
	size_t	n = strnlen(s, size), i;

	FUZZ_CHECK(n < size, "%s not terminated", what);
	FUZZ_CHECK(g_utf8_validate(s, (gssize)n, NULL), "%s \"%s\" is not "
	    "valid UTF-8", what, s);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f,
		    "%s \"%s\" holds a control byte", what, s);
}

static void
scan(const char *msg, size_t len, const struct content_opts *o)
{
	struct content_verdict	 v;
	char			*cause = NULL;

	memset(&v, 0, sizeof v);
	if (content_scan(msg, len, o, &v, &cause) == -1) {
		FUZZ_CHECK(cause != NULL && cause[0] != '\0',
		    "unscannable without a cause");
		free(cause);
		return;
	}
	text_ok("class", v.class, sizeof v.class);
	text_ok("part", v.part, sizeof v.part);
	text_ok("reason", v.reason, sizeof v.reason);
	if (v.blocked) {
		FUZZ_CHECK(strcmp(v.class, CONTENT_MACRO) == 0 ||
		    strcmp(v.class, CONTENT_DANGEROUS) == 0,
		    "blocked with class \"%s\"", v.class);
		FUZZ_CHECK(v.reason[0] != '\0', "blocked without a reason");
		if (strcmp(v.class, CONTENT_MACRO) == 0)
			FUZZ_CHECK(o->macros, "macros blocked while off");
		else
			FUZZ_CHECK(o->dangerous, "dangerous content blocked "
			    "while off");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct content_opts	o;

	content_opts_default(&o);
	scan((const char *)data, size, &o);
	o.max_depth = 1;
	o.max_entries = 4;
	o.max_unpacked = 4096;
	o.max_ratio = 10;
	o.dangerous = size & 1;
	o.macros = !(size & 1);
	scan((const char *)data, size, &o);
	return 0;
}
