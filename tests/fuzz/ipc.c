/*
 * The control-protocol decoder: the input is one frame, read both as a
 * request (as the daemon does) and as a reply (as outfilterctl does).
 * Invariants: an accepted request passes its argument check again and
 * survives encode/decode unchanged; every refusal has a message and can
 * be sent back (ipc_reply_error gives JSON the client decodes to the same
 * error); a decoded reply is a result or an error, never both.
 */
#include <string.h>

#include <glib.h>

#include "fuzz.h"
#include "ipc.h"

/*
 * A refusal; resend: the daemon sends it back to the client, so it must
 * encode (a reply's error is only shown by outfilterctl).
 */
static void
check_error(const struct ipc_error *err, int resend)
{
	struct ipc_error	 back;
	json_t			*result;
	char			*wire;

	FUZZ_CHECK((unsigned)err->code < IPC_NERRORS, "error code %d",
	    (int)err->code);
	FUZZ_CHECK(strnlen(err->field, sizeof err->field) < sizeof err->field,
	    "field not terminated");
	FUZZ_CHECK(strnlen(err->message, sizeof err->message) <
	    sizeof err->message, "message not terminated");
	if (!resend)
		return;
	FUZZ_CHECK(err->message[0] != '\0', "an error without a message "
	    "(code %s)", ipc_errcode_name(err->code));
	wire = ipc_reply_error(err);
	FUZZ_CHECK(wire != NULL, "the refusal cannot be encoded: code %s, "
	    "field \"%s\", message \"%s\"", ipc_errcode_name(err->code),
	    err->field, err->message);
	memset(&back, 0, sizeof back);
	FUZZ_CHECK(ipc_reply_decode(wire, strlen(wire), &result, &back) == -1,
	    "an encoded refusal decodes as a result");
	FUZZ_CHECK(back.code == err->code, "code %s comes back as %s",
	    ipc_errcode_name(err->code), ipc_errcode_name(back.code));
	/* Text cut inside a character is mended on the way out. */
	if (g_utf8_validate(err->field, -1, NULL))
		FUZZ_CHECK(strcmp(back.field, err->field) == 0,
		    "field \"%s\" comes back as \"%s\"", err->field,
		    back.field);
	if (g_utf8_validate(err->message, -1, NULL))
		FUZZ_CHECK(strcmp(back.message, err->message) == 0,
		    "message \"%s\" comes back as \"%s\"", err->message,
		    back.message);
	free(wire);
}

static void
request(const char *buf, size_t len)
{
	const struct ipc_cmd	*cmd, *cmd2;
	struct ipc_error	 err;
	json_t			*args, *args2;
	char			*wire;

	memset(&err, 0, sizeof err);
	if (ipc_request_decode(buf, len, &cmd, &args, &err) == -1) {
		FUZZ_CHECK(cmd == NULL && args == NULL, "a refusal with "
		    "results");
		check_error(&err, 1);
		return;
	}
	FUZZ_CHECK(cmd != NULL && json_is_object(args), "accepted without "
	    "a command or an args object");
	FUZZ_CHECK(ipc_cmd_find(cmd->name) == cmd, "command %s not in the "
	    "table", cmd->name);
	FUZZ_CHECK(ipc_args_check(cmd, args, &err) == 0, "accepted args "
	    "fail their check: %s", err.message);
	wire = ipc_request_encode(cmd->name, args);
	FUZZ_CHECK(wire != NULL, "accepted request cannot be encoded");
	FUZZ_CHECK(ipc_request_decode(wire, strlen(wire), &cmd2, &args2,
	    &err) == 0, "re-encoded request refused: %s", err.message);
	FUZZ_CHECK(cmd2 == cmd && json_equal(args, args2),
	    "request changed through encode/decode");
	ipc_args_wipe(cmd2, args2);
	json_decref(args2);
	free(wire);
	ipc_args_wipe(cmd, args);
	json_decref(args);
}

static void
reply(const char *buf, size_t len)
{
	struct ipc_error	 err;
	json_t			*result;
	char			*wire;

	memset(&err, 0, sizeof err);
	if (ipc_reply_decode(buf, len, &result, &err) == -1) {
		FUZZ_CHECK(result == NULL, "a refused reply with a result");
		check_error(&err, 0);
		return;
	}
	FUZZ_CHECK(result != NULL, "a reply without a result");
	wire = ipc_reply_ok(result);
	FUZZ_CHECK(wire != NULL, "a decoded result cannot be encoded");
	free(wire);
	json_decref(result);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request((const char *)data, size);
	reply((const char *)data, size);
	return 0;
}
