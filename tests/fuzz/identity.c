/*
 * Identity extraction: the input is a message as received; its first line
 * (up to 200 bytes) also serves as the envelope sender and the AUTH name.
 * Every method runs, the header method with plain names and regexes.
 * Invariants: an identity is non-empty, at most IDENTITY_MAX bytes and
 * holds no control byte (it lands in logs and the database); the header
 * field it came from lies inside the header block and is the one named;
 * a refusal is one printable "550 5.7.1" line.
 */
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "identity.h"

static const char *const fuzz_headers[] = {
	"X-AuthUser",
	"X-PHP-Originating-Script:^(\\d+):",
	"X-PHP-Script:^\\s*([^\\s(]+)",
	"Received:Authenticated sender: ([^)\\s]+)",
	"X-Mailer:(?:id=)?(\\w+)",
	"From:<([^>]*)>",
	"Sender",
	"Return-Path:<(.*)>",
};

static const char *const fuzz_plain[] = { "Sender", "X-AuthUser" };

static void
check(const struct identity_in *in, int rc, const struct identity_out *out,
    const char *reply)
{
	size_t	n, i, nlen;

	if (rc == -1) {
		n = strlen(reply);
		FUZZ_CHECK(strncmp(reply, "550 5.7.1 ", 10) == 0 &&
		    fuzz_printable(reply, n), "refusal \"%s\"", reply);
		return;
	}
	FUZZ_CHECK(rc == 0, "identity_find returned %d", rc);
	n = strnlen(out->identity, sizeof out->identity);
	FUZZ_CHECK(n < sizeof out->identity, "identity not terminated");
	FUZZ_CHECK(n <= IDENTITY_MAX, "identity of %zu bytes", n);
	if (in->method != IDENTIFY_NONE)
		FUZZ_CHECK(n > 0, "empty identity from method %d", in->method);
	else
		FUZZ_CHECK(n == 0, "an identity from method none");
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)out->identity[i] >= 0x20 &&
		    out->identity[i] != 0x7f, "identity \"%s\" holds a "
		    "control byte at %zu", out->identity, i);
	if (!out->from_header)
		return;
	FUZZ_CHECK(in->method == IDENTIFY_HEADER, "from_header set by "
	    "method %d", in->method);
	FUZZ_CHECK(out->field_off < in->len && out->field_len > 0 &&
	    out->field_len <= in->len - out->field_off,
	    "field %zu+%zu outside the message of %zu bytes",
	    out->field_off, out->field_len, in->len);
	FUZZ_CHECK(out->field_off == 0 || in->msg[out->field_off - 1] == '\n',
	    "field at %zu does not start a line", out->field_off);
	for (i = 0; i < in->nheaders; i++) {
		const char *colon = strchr(in->headers[i], ':');

		nlen = colon != NULL ? (size_t)(colon - in->headers[i]) :
		    strlen(in->headers[i]);
		if (out->field_len > nlen &&
		    in->msg[out->field_off + nlen] == ':' &&
		    strncasecmp(in->msg + out->field_off, in->headers[i],
		    nlen) == 0)
			break;
	}
	FUZZ_CHECK(i < in->nheaders, "field at %zu is none of the configured "
	    "headers", out->field_off);
}

static void
one(struct identity_in *in)
{
	struct identity_out	out;
	char			reply[512];
	int			rc;

	reply[0] = '\0';
	rc = identity_find(in, &out, reply, sizeof reply);
	check(in, rc, &out, reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct identity_in	 in;
	char			*first;
	const char		*nl;
	size_t			 n;

	n = size < 200 ? size : 200;
	if ((nl = memchr(data, '\n', n)) != NULL)
		n = (size_t)(nl - (const char *)data);
	first = fuzz_strndup(data, n);

	memset(&in, 0, sizeof in);
	in.msg = (const char *)data;
	in.len = size;
	in.mail_from = first;
	in.authname = first;

	in.method = IDENTIFY_HEADER;
	in.headers = fuzz_headers;
	in.nheaders = sizeof fuzz_headers / sizeof fuzz_headers[0];
	one(&in);
	in.headers = fuzz_plain;
	in.nheaders = sizeof fuzz_plain / sizeof fuzz_plain[0];
	in.fallback = 1;
	one(&in);
	in.nheaders = 0;
	in.fallback = 0;
	one(&in);

	in.method = IDENTIFY_ENVELOPE;
	one(&in);
	in.method = IDENTIFY_AUTH;
	one(&in);
	in.authname = NULL;
	one(&in);
	in.fallback = 1;
	one(&in);
	in.method = IDENTIFY_NONE;
	one(&in);

	free(first);
	return 0;
}
