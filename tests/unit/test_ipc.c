/*
 * The control protocol library: request and reply codec, the command
 * table's invariants, user settings, outfilterctl's word parser, the
 * output for people, the login files, and the client against a small
 * in-process server with a ZAP handler.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zmq.h>

#include "ipc.h"

/* Fail the test with a message naming the case. */
#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		print_error(__VA_ARGS__);				\
		print_error("\n");					\
		fail_msg("%s", #cond);					\
	}								\
} while (0)

static char tmpdir[] = "/tmp/test_ipc.XXXXXX";

/* A file in tmpdir holding text with mode; returns its path (static). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char	path[4][256];
	static int	n;
	char		*p = path[n++ % 4];
	FILE		*f;

	snprintf(p, sizeof path[0], "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

/* -- request decoding ------------------------------------------------ */

struct decode_case {
	const char	*what;
	const char	*json;		/* NULL: use len bytes of raw */
	const char	*raw;
	size_t		 len;
	int		 rc;
	enum ipc_errcode code;
	const char	*field;
	const char	*msg;		/* a part of the message */
	const char	*cmd;		/* the command on success */
};

static const struct decode_case decode_cases[] = {
	{ "valid", "{\"v\":1,\"cmd\":\"domain.add\",\"args\":"
	    "{\"domain\":\"example.com\",\"admin_contact\":\"a@example.com\"}}",
	    NULL, 0, 0, 0, NULL, NULL, "domain.add" },
	{ "no args", "{\"v\":1,\"cmd\":\"status\"}", NULL, 0, 0, 0, NULL,
	    NULL, "status" },
	{ "list and bool", "{\"v\":1,\"cmd\":\"user.list\",\"args\":"
	    "{\"limit\":5,\"locked\":true,\"after\":\"x\"}}", NULL, 0, 0, 0,
	    NULL, NULL, "user.list" },
	{ "T_LIST", "{\"v\":1,\"cmd\":\"user.add.ip\",\"args\":{\"name\":\"n\","
	    "\"domain\":\"d\",\"ip\":[\"192.0.2.0/24\",\"2001:db8::/32\"]}}",
	    NULL, 0, 0, 0, NULL, NULL, "user.add.ip" },
	{ "T_KV", "{\"v\":1,\"cmd\":\"user.set\",\"args\":{\"name\":\"n\","
	    "\"settings\":{\"limit.hour\":\"5\"}}}", NULL, 0, 0, 0, NULL, NULL,
	    "user.set" },
	{ "malformed JSON", "{\"v\":1,", NULL, 0, -1, IPC_E_MALFORMED, "",
	    "not valid JSON", NULL },
	{ "trailing garbage", "{\"v\":1,\"cmd\":\"status\"} x", NULL, 0, -1,
	    IPC_E_MALFORMED, "", "not valid JSON", NULL },
	{ "empty frame", "", NULL, 0, -1, IPC_E_MALFORMED, "", "not valid JSON",
	    NULL },
	{ "invalid UTF-8", "{\"v\":1,\"cmd\":\"domain.add\",\"args\":"
	    "{\"domain\":\"\xff\xfe\"}}", NULL, 0, -1, IPC_E_MALFORMED, "",
	    "UTF-8", NULL },
	{ "raw NUL byte", NULL, "{\"v\":1,\0\"cmd\":\"status\"}", 23, -1,
	    IPC_E_MALFORMED, "", "not valid JSON", NULL },
	{ "not an object", "[1,2]", NULL, 0, -1, IPC_E_MALFORMED, "",
	    "not a JSON object", NULL },
	{ "duplicate member", "{\"v\":1,\"cmd\":\"status\",\"cmd\":\"status\"}",
	    NULL, 0, -1, IPC_E_MALFORMED, "", "duplicate", NULL },
	{ "wrong version", "{\"v\":2,\"cmd\":\"status\"}", NULL, 0, -1,
	    IPC_E_VERSION, "", "incompatible outfilterctl and outfilterd: "
	    "client speaks protocol 2, daemon speaks 1", NULL },
	{ "no version", "{\"cmd\":\"status\"}", NULL, 0, -1, IPC_E_VERSION, "",
	    "incompatible outfilterctl and outfilterd", NULL },
	{ "version as string", "{\"v\":\"1\",\"cmd\":\"status\"}", NULL, 0, -1,
	    IPC_E_VERSION, "", "incompatible", NULL },
	{ "unknown member", "{\"v\":1,\"cmd\":\"status\",\"x\":1}", NULL, 0, -1,
	    IPC_E_MALFORMED, "", "unknown request member \"x\"", NULL },
	{ "no cmd", "{\"v\":1}", NULL, 0, -1, IPC_E_MALFORMED, "", "\"cmd\"",
	    NULL },
	{ "unknown command with hint", "{\"v\":1,\"cmd\":\"user.add\"}", NULL, 0,
	    -1, IPC_E_UNKNOWN_CMD, "", "unknown command \"user.add\"; did you "
	    "mean user.add.ip, user.add.smtp or user.add.domain?", NULL },
	{ "unknown command", "{\"v\":1,\"cmd\":\"frob\"}", NULL, 0, -1,
	    IPC_E_UNKNOWN_CMD, "", "unknown command \"frob\"", NULL },
	{ "args not an object", "{\"v\":1,\"cmd\":\"status\",\"args\":[]}", NULL,
	    0, -1, IPC_E_INVALID, "args", "must be a JSON object", NULL },
	{ "unknown argument", "{\"v\":1,\"cmd\":\"domain.add\",\"args\":"
	    "{\"domain\":\"d\",\"bogus\":1}}", NULL, 0, -1, IPC_E_INVALID,
	    "bogus", "unknown argument \"bogus\" for domain.add", NULL },
	{ "missing argument", "{\"v\":1,\"cmd\":\"domain.add\",\"args\":{}}",
	    NULL, 0, -1, IPC_E_INVALID, "domain",
	    "missing argument \"domain\"", NULL },
	{ "number for a string", "{\"v\":1,\"cmd\":\"domain.add\",\"args\":"
	    "{\"domain\":5}}", NULL, 0, -1, IPC_E_INVALID, "domain",
	    "\"domain\" must be a string", NULL },
	{ "null for a string", "{\"v\":1,\"cmd\":\"domain.add\",\"args\":"
	    "{\"domain\":null}}", NULL, 0, -1, IPC_E_INVALID, "domain",
	    "must be a string", NULL },
	{ "string for a number", "{\"v\":1,\"cmd\":\"user.list\",\"args\":"
	    "{\"limit\":\"5\"}}", NULL, 0, -1, IPC_E_INVALID, "limit",
	    "\"limit\" must be a whole number >= 0", NULL },
	{ "negative number", "{\"v\":1,\"cmd\":\"user.list\",\"args\":"
	    "{\"limit\":-1}}", NULL, 0, -1, IPC_E_INVALID, "limit",
	    "whole number >= 0", NULL },
	{ "real number", "{\"v\":1,\"cmd\":\"user.list\",\"args\":"
	    "{\"limit\":1.5}}", NULL, 0, -1, IPC_E_INVALID, "limit",
	    "whole number", NULL },
	{ "string for a bool", "{\"v\":1,\"cmd\":\"user.list\",\"args\":"
	    "{\"locked\":\"yes\"}}", NULL, 0, -1, IPC_E_INVALID, "locked",
	    "true or false", NULL },
	{ "string for a list", "{\"v\":1,\"cmd\":\"user.add.ip\",\"args\":"
	    "{\"name\":\"n\",\"domain\":\"d\",\"ip\":\"192.0.2.1\"}}", NULL, 0,
	    -1, IPC_E_INVALID, "ip", "list of strings", NULL },
	{ "number in a list", "{\"v\":1,\"cmd\":\"user.add.ip\",\"args\":"
	    "{\"name\":\"n\",\"domain\":\"d\",\"ip\":[1]}}", NULL, 0, -1,
	    IPC_E_INVALID, "ip", "list of strings", NULL },
	{ "empty required list", "{\"v\":1,\"cmd\":\"user.add.ip\",\"args\":"
	    "{\"name\":\"n\",\"domain\":\"d\",\"ip\":[]}}", NULL, 0, -1,
	    IPC_E_INVALID, "ip", "empty list", NULL },
	{ "number in a KV", "{\"v\":1,\"cmd\":\"user.set\",\"args\":"
	    "{\"name\":\"n\",\"settings\":{\"limit.hour\":5}}}", NULL, 0, -1,
	    IPC_E_INVALID, "settings", "object of strings", NULL },
	{ "empty required KV", "{\"v\":1,\"cmd\":\"user.set\",\"args\":"
	    "{\"name\":\"n\",\"settings\":{}}}", NULL, 0, -1, IPC_E_INVALID,
	    "settings", "must not be empty", NULL },
	{ "NUL in a string", "{\"v\":1,\"cmd\":\"domain.add\",\"args\":"
	    "{\"domain\":\"a\\u0000b\"}}", NULL, 0, -1, IPC_E_INVALID, "domain",
	    "NUL", NULL },
	{ "NUL in a list entry", "{\"v\":1,\"cmd\":\"user.add.ip\",\"args\":"
	    "{\"name\":\"n\",\"domain\":\"d\",\"ip\":[\"x\\u0000\"]}}", NULL, 0,
	    -1, IPC_E_INVALID, "ip", "NUL", NULL },
	{ "NUL in a KV value", "{\"v\":1,\"cmd\":\"user.set\",\"args\":"
	    "{\"name\":\"n\",\"settings\":{\"a\":\"\\u0000\"}}}", NULL, 0, -1,
	    IPC_E_INVALID, "settings", "NUL", NULL },
	{ "empty name", "{\"v\":1,\"cmd\":\"domain.show\",\"args\":"
	    "{\"domain\":\"\"}}", NULL, 0, -1, IPC_E_INVALID, "domain",
	    "must not be empty", NULL },
	{ "empty password", "{\"v\":1,\"cmd\":\"user.add.smtp\",\"args\":"
	    "{\"name\":\"a@b.example\",\"domain\":\"b.example\","
	    "\"password\":\"\"}}", NULL, 0, -1, IPC_E_INVALID, "password",
	    "must not be empty", NULL },
	{ "empty optional string", "{\"v\":1,\"cmd\":\"domain.set\",\"args\":"
	    "{\"domain\":\"d\",\"admin_contact\":\"\"}}", NULL, 0, 0, 0, NULL,
	    NULL, "domain.set" },
};

static void
check_decode(const struct decode_case *c, const char *buf, size_t len)
{
	const struct ipc_cmd	*cmd;
	json_t			*args;
	struct ipc_error	 err;
	int			 rc;

	memset(&err, 0, sizeof err);
	rc = ipc_request_decode(buf, len, &cmd, &args, &err);
	CHECK(rc == c->rc, "%s: rc %d, message %s", c->what, rc, err.message);
	if (rc == 0) {
		CHECK(cmd != NULL && strcmp(cmd->name, c->cmd) == 0, "%s: cmd",
		    c->what);
		CHECK(json_is_object(args), "%s: args", c->what);
		json_decref(args);
		return;
	}
	CHECK(cmd == NULL && args == NULL, "%s: outputs not cleared", c->what);
	CHECK(err.code == c->code, "%s: code %s", c->what,
	    ipc_errcode_name(err.code));
	CHECK(strcmp(err.field, c->field) == 0, "%s: field \"%s\"", c->what,
	    err.field);
	CHECK(strstr(err.message, c->msg) != NULL, "%s: message \"%s\"",
	    c->what, err.message);
}

static void
test_request_decode(void **state)
{
	const struct decode_case	*c;
	size_t				 i;

	for (i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
		c = &decode_cases[i];
		if (c->json != NULL)
			check_decode(c, c->json, strlen(c->json));
		else
			check_decode(c, c->raw, c->len);
	}
}

/* Sizes: a long text argument passes, a long name and a huge frame not. */
static void
test_request_sizes(void **state)
{
	struct decode_case	 text = { "64 KiB text", NULL, NULL, 0, 0, 0,
				    NULL, NULL, "template.add" };
	struct decode_case	 name = { "long name", NULL, NULL, 0, -1,
				    IPC_E_INVALID, "domain", "longer than 1024",
				    NULL };
	struct decode_case	 frame = { "oversized frame", NULL, NULL, 0, -1,
				    IPC_E_TOO_LARGE, "", "larger than the limit",
				    NULL };
	char			*body, *req, *big;
	json_t			*args;

	body = malloc(IPC_MAX_TEXT + 1);
	memset(body, 'x', IPC_MAX_TEXT);
	body[IPC_MAX_TEXT] = '\0';
	args = json_pack("{s:s,s:s,s:s}", "name", "t", "subject", "s", "body",
	    body);
	req = ipc_request_encode("template.add", args);
	check_decode(&text, req, strlen(req));
	free(req);
	json_decref(args);

	body[IPC_MAX_STR + 1] = '\0';
	args = json_pack("{s:s}", "domain", body);
	req = ipc_request_encode("domain.add", args);
	check_decode(&name, req, strlen(req));
	free(req);
	json_decref(args);
	free(body);

	big = malloc(IPC_MAX_FRAME + 2);
	memset(big, ' ', IPC_MAX_FRAME + 1);
	memcpy(big, "{\"v\":1,\"cmd\":\"status\"}", 22);
	check_decode(&frame, big, IPC_MAX_FRAME + 1);
	free(big);
}

static void
test_request_encode(void **state)
{
	const struct ipc_cmd	*cmd;
	json_t			*args, *got;
	struct ipc_error	 err;
	char			*req;

	args = json_pack("{s:s,s:s,s:[s,s]}", "name", "n", "domain", "d",
	    "ip", "192.0.2.1", "2001:db8::1");
	req = ipc_request_encode("user.add.ip", args);
	assert_non_null(req);
	assert_int_equal(ipc_request_decode(req, strlen(req), &cmd, &got,
	    &err), 0);
	assert_string_equal(cmd->name, "user.add.ip");
	assert_true(json_equal(args, got));
	json_decref(got);
	json_decref(args);
	free(req);

	req = ipc_request_encode("status", NULL);
	assert_string_equal(req, "{\"v\":1,\"cmd\":\"status\",\"args\":{}}");
	free(req);
}

/*
 * A file argument: bytes in, base64 on the wire, the same bytes out; a
 * large one past the frame limit, bad base64 refused naming the field.
 */
static void
test_request_file(void **state)
{
	static const char	 bytes[] = "Subject: caf\xe9\r\n\r\n\0\xff\r\n";
	const struct ipc_cmd	*cmd;
	struct ipc_error	 err;
	json_t			*args, *got, *wire;
	char			*req, *big;
	size_t			 len = sizeof bytes - 1, n = 2 * IPC_MAX_FRAME;

	/* Not UTF-8: json_pack() would refuse it. */
	args = json_object();
	json_object_set_new(args, "message", json_stringn_nocheck(bytes, len));
	req = ipc_request_encode("spam.check", args);
	assert_non_null(req);
	wire = json_loads(req, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    wire, "args"), "message")), "U3ViamVjdDogY2Fm6Q0KDQoA/w0K");
	json_decref(wire);
	assert_int_equal(ipc_request_decode(req, strlen(req), &cmd, &got,
	    &err), 0);
	assert_int_equal(json_string_length(json_object_get(got, "message")),
	    len);
	assert_memory_equal(json_string_value(json_object_get(got, "message")),
	    bytes, len);
	assert_true(json_equal(args, got));
	assert_int_equal(ipc_args_check(cmd, got, &err), 0);
	json_decref(got);
	json_decref(args);
	free(req);

	/* Twice the frame limit: fine for a file, too large for the rest. */
	big = malloc(n);
	memset(big, 'x', n);
	args = json_pack("{s:s%}", "message", big, n);
	req = ipc_request_encode("spam.check", args);
	assert_int_equal(ipc_request_decode(req, strlen(req), &cmd, &got,
	    &err), 0);
	assert_int_equal(json_string_length(json_object_get(got, "message")), n);
	json_decref(got);
	free(req);
	json_decref(args);
	args = json_pack("{s:s%}", "x", big, n);
	req = ipc_request_encode("status", args);
	assert_int_equal(ipc_request_decode(req, strlen(req), &cmd, &got,
	    &err), -1);
	assert_int_equal(err.code, IPC_E_TOO_LARGE);
	free(req);
	json_decref(args);
	free(big);

	req = "{\"v\":1,\"cmd\":\"spam.check\",\"args\":{\"message\":\"a b\"}}";
	assert_int_equal(ipc_request_decode(req, strlen(req), &cmd, &got,
	    &err), -1);
	assert_int_equal(err.code, IPC_E_INVALID);
	assert_string_equal(err.field, "message");
	assert_non_null(strstr(err.message, "not base64"));
}

/* -- replies --------------------------------------------------------- */

static void
test_reply_roundtrip(void **state)
{
	json_t			*result, *got;
	struct ipc_error	 err, back;
	char			*s;
	int			 code;

	result = json_pack("{s:[{s:s,s:b}],s:n}", "items", "name", "a",
	    "locked", 1, "next");
	s = ipc_reply_ok(result);
	assert_int_equal(ipc_reply_decode(s, strlen(s), &got, &err), 0);
	assert_true(json_equal(result, got));
	json_decref(got);
	json_decref(result);
	free(s);

	s = ipc_reply_ok(NULL);
	assert_int_equal(ipc_reply_decode(s, strlen(s), &got, &err), 0);
	assert_true(json_is_null(got));
	json_decref(got);
	free(s);

	for (code = 0; code < IPC_NERRORS; code++) {
		ipc_fail(&err, code, "ip", "192.0.2.0/24 overlaps \"%s\"", "x");
		s = ipc_reply_error(&err);
		memset(&back, 0, sizeof back);
		got = NULL;
		assert_int_equal(ipc_reply_decode(s, strlen(s), &got, &back), -1);
		assert_null(got);
		assert_int_equal(back.code, code);
		assert_string_equal(back.field, "ip");
		assert_string_equal(back.message, "192.0.2.0/24 overlaps \"x\"");
		free(s);
	}
}

struct reply_case {
	const char		*what;
	const char		*json;
	enum ipc_errcode	 code;
	const char		*msg;
};

static const struct reply_case reply_cases[] = {
	{ "newer daemon", "{\"v\":2,\"ok\":true,\"result\":null}", IPC_E_VERSION,
	    "client speaks protocol 1, daemon speaks 2" },
	{ "no version", "{\"ok\":true}", IPC_E_VERSION, "incompatible" },
	{ "not JSON", "{\"v\":1", IPC_E_MALFORMED, "not valid JSON" },
	{ "neither", "{\"v\":1}", IPC_E_MALFORMED, "neither a result" },
	{ "unknown code", "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"zap\","
	    "\"field\":\"\",\"message\":\"odd\"}}", IPC_E_INTERNAL, "odd" },
};

static void
test_reply_bad(void **state)
{
	const struct reply_case	*c;
	struct ipc_error	 err;
	json_t			*got;
	size_t			 i;

	for (i = 0; i < sizeof reply_cases / sizeof reply_cases[0]; i++) {
		c = &reply_cases[i];
		memset(&err, 0, sizeof err);
		CHECK(ipc_reply_decode(c->json, strlen(c->json), &got, &err) == -1,
		    "%s: accepted", c->what);
		CHECK(err.code == c->code, "%s: code %s", c->what,
		    ipc_errcode_name(err.code));
		CHECK(strstr(err.message, c->msg) != NULL, "%s: \"%s\"", c->what,
		    err.message);
	}
}

static void
test_errcodes(void **state)
{
	static const struct { enum ipc_errcode c; const char *n; int x; } t[] = {
		{ IPC_E_INVALID, "invalid", 65 },
		{ IPC_E_CONFLICT, "conflict", 65 },
		{ IPC_E_NOT_FOUND, "not_found", 65 },
		{ IPC_E_DENIED, "denied", 77 },
		{ IPC_E_UNKNOWN_CMD, "unknown_command", 64 },
		{ IPC_E_MALFORMED, "malformed", 65 },
		{ IPC_E_TOO_LARGE, "too_large", 65 },
		{ IPC_E_VERSION, "version", 76 },
		{ IPC_E_BUSY, "busy", 75 },
		{ IPC_E_INTERNAL, "internal", 70 },
	};
	enum ipc_errcode	code;
	size_t			i;

	assert_int_equal(sizeof t / sizeof t[0], IPC_NERRORS);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		assert_string_equal(ipc_errcode_name(t[i].c), t[i].n);
		assert_int_equal(ipc_errcode_parse(t[i].n, &code), 0);
		assert_int_equal(code, t[i].c);
		assert_int_equal(ipc_errcode_exit(t[i].c), t[i].x);
	}
	assert_int_equal(ipc_errcode_parse("nope", &code), -1);
}

/* -- the command table ----------------------------------------------- */

static void
check_args(const struct ipc_cmd *cmd)
{
	const struct ipc_arg	*a, *b;
	int			 rest = 0;

	for (a = cmd->args; a->key != NULL; a++) {
		CHECK(a->metavar == NULL ? a->type == T_BOOL : *a->metavar != '\0',
		    "%s %s: metavar", cmd->name, a->key);
		CHECK(a->help != NULL && *a->help != '\0', "%s %s: help",
		    cmd->name, a->key);
		/* "--name", or "-x" for the few that everybody knows (-o). */
		CHECK(a->flag == NULL || strncmp(a->flag, "--", 2) == 0 ||
		    (a->flag[0] == '-' && a->flag[1] >= 'a' &&
		    a->flag[1] <= 'z' && a->flag[2] == '\0'),
		    "%s %s: flag", cmd->name, a->key);
		CHECK(a->type != T_BOOL || a->flag != NULL, "%s %s: positional "
		    "bool", cmd->name, a->key);
		for (b = cmd->args; b < a; b++) {
			CHECK(strcmp(a->key, b->key) != 0, "%s: key %s twice",
			    cmd->name, a->key);
			CHECK(a->flag == NULL || b->flag == NULL ||
			    strcmp(a->flag, b->flag) != 0, "%s: flag %s twice",
			    cmd->name, a->flag);
		}
		if (a->flag != NULL)
			continue;
		CHECK(!rest, "%s %s: a positional after a list takes nothing",
		    cmd->name, a->key);
		rest = a->type == T_LIST || a->type == T_KV;
	}
}

static void
test_command_table(void **state)
{
	const struct ipc_cmd	*c;
	int			 i, j;

	for (i = 0; i < IPC_NCMDS; i++) {
		c = &ipc_cmds[i];
		CHECK(c->id == (enum ipc_cmd_id)i, "entry %d: id", i);
		CHECK(c->name != NULL && *c->name != '\0', "entry %d: name", i);
		CHECK(c->help != NULL && *c->help != '\0', "%s: help", c->name);
		CHECK(c->role == ROLE_ADMIN || c->role == ROLE_SUPER, "%s: role",
		    c->name);
		CHECK(ipc_cmd_find(c->name) == c, "%s: lookup", c->name);
		for (j = 0; j < i; j++)
			CHECK(strcmp(c->name, ipc_cmds[j].name) != 0,
			    "%s: name twice", c->name);
		if (c->flags & CMDF_LIST)
			CHECK(ipc_cmd_arg(c, "limit") != NULL &&
			    ipc_cmd_arg(c, "after") != NULL, "%s: a list without "
			    "limit and after", c->name);
		check_args(c);
	}
	assert_null(ipc_cmd_find("nope"));
	assert_null(ipc_cmd_find("user"));
	assert_null(ipc_cmd_find(NULL));
}

/* -- user settings --------------------------------------------------- */

struct uset_case {
	const char	*key;
	const char	*value;
	const char	*want;		/* NULL: refused */
	const char	*msg;		/* a part of the refusal */
};

static const struct uset_case uset_cases[] = {
	{ "limit.hour", "5", "5", NULL },
	{ "limit.hour", "0", "0", NULL },
	{ "limit.hour", "007", "7", NULL },
	{ "limit.hour", "-3", NULL,
	    "limit.hour must be a whole number >= 0, not \"-3\"" },
	{ "limit.hour", "1.5", NULL, "whole number" },
	{ "limit.hour", "", NULL, "whole number" },
	{ "limit.hour", "+1", NULL, "whole number" },
	{ "limit.hour", "99999999999999999999", NULL, "whole number" },
	{ "lock.threshold", "0", NULL,
	    "lock.threshold must be a whole number from 1 to 100000, not \"0\"" },
	{ "lock.threshold", "1", "1", NULL },
	{ "lock.threshold", "100000", "100000", NULL },
	{ "lock.threshold", "100001", NULL, "from 1 to 100000" },
	{ "lock.duration", "0", "0", NULL },
	{ "lock.auto", "yes", "on", NULL },
	{ "lock.auto", "TRUE", "on", NULL },
	{ "lock.auto", "1", "on", NULL },
	{ "lock.auto", "on", "on", NULL },
	{ "lock.auto", "no", "off", NULL },
	{ "lock.auto", "False", "off", NULL },
	{ "lock.auto", "0", "off", NULL },
	{ "lock.auto", "off", "off", NULL },
	{ "lock.auto", "maybe", NULL, "lock.auto must be on or off, not \"maybe\"" },
	{ "identify", "header", "header", NULL },
	{ "identify", "AUTH", "auth", NULL },
	{ "identify", "head", NULL,
	    "identify must be one of envelope,auth,header,none, not \"head\"" },
	{ "spam.reaction", "quarantine-notify", "quarantine-notify", NULL },
	{ "spam.reaction", "quarantine", "quarantine", NULL },
	{ "lock.reply", "bounce", NULL, "tempfail,reject" },
	{ "identify.headers", "X-AuthUser", "[\"X-AuthUser\"]", NULL },
	{ "identify.headers", "X-Sender:^([^@]+)@", "[\"X-Sender:^([^@]+)@\"]",
	    NULL },
	{ "identify.headers", "[ \"X-A\" , \"X-B:(.*)\" ]",
	    "[\"X-A\",\"X-B:(.*)\"]", NULL },
	{ "identify.headers", "", "[]", NULL },
	{ "identify.headers", "[]", "[]", NULL },
	{ "identify.headers", "X-A:(", NULL, "bad regular expression \"(\"" },
	{ "identify.headers", "[\"X-A\",\"X-B:[z-a]\"]", NULL,
	    "bad regular expression" },
	/* PCRE2, as the relay matches: lazy quantifiers are fine. */
	{ "identify.headers", "X-PHP-Originating-Script:^(.*?)\\(",
	    "[\"X-PHP-Originating-Script:^(.*?)\\\\(\"]", NULL },
	{ "identify.headers", "[1]", NULL, "list of strings" },
	{ "identify.headers", "[\"X-A\"", NULL, "JSON array" },
	{ "identify.headers", "[{\"a\":1}]", NULL, "list of strings" },
	{ "identify.headers", "[\"X-A\"] x", NULL, "JSON array" },
	{ "identify.headers", "Bad Header", NULL, "header name" },
	{ "identify.headers", ":regex", NULL, "header name" },
	{ "dkim.selector", "sel2024", "sel2024", NULL },
	{ "dkim.selector", "", "", NULL },
	{ "dkim.selector", "a\nb", NULL, "one line" },
};

static void
test_uset_normalize(void **state)
{
	const struct uset_case	*c;
	const struct ipc_uset	*u;
	struct ipc_error	 err;
	char			*got;
	size_t			 i;

	for (i = 0; i < sizeof uset_cases / sizeof uset_cases[0]; i++) {
		c = &uset_cases[i];
		u = ipc_uset_find(c->key);
		CHECK(u != NULL, "%s: unknown", c->key);
		memset(&err, 0, sizeof err);
		got = ipc_uset_normalize(u, c->value, &err);
		if (c->want != NULL) {
			CHECK(got != NULL && strcmp(got, c->want) == 0,
			    "%s=%s: got %s (%s)", c->key, c->value,
			    got ? got : "NULL", err.message);
		} else {
			CHECK(got == NULL, "%s=%s: accepted as %s", c->key,
			    c->value, got);
			CHECK(err.code == IPC_E_INVALID &&
			    strcmp(err.field, c->key) == 0, "%s=%s: code/field",
			    c->key, c->value);
			CHECK(strstr(err.message, c->msg) != NULL,
			    "%s=%s: message \"%s\"", c->key, c->value,
			    err.message);
		}
		free(got);
	}
}

/* Every default is in its own normal form, and the keys are unique. */
static void
test_uset_table(void **state)
{
	struct ipc_error	 err;
	char			*got;
	size_t			 i, j;

	assert_true(ipc_nusets > 20);
	for (i = 0; i < ipc_nusets; i++) {
		assert_ptr_equal(ipc_uset_find(ipc_usets[i].key), &ipc_usets[i]);
		got = ipc_uset_normalize(&ipc_usets[i], ipc_usets[i].def, &err);
		CHECK(got != NULL && strcmp(got, ipc_usets[i].def) == 0,
		    "%s: default %s normalises to %s", ipc_usets[i].key,
		    ipc_usets[i].def, got ? got : err.message);
		free(got);
		CHECK(ipc_usets[i].help != NULL && *ipc_usets[i].help != '\0' &&
		    ipc_usets[i].group != NULL, "%s: help", ipc_usets[i].key);
		for (j = 0; j < i; j++)
			CHECK(strcmp(ipc_usets[i].key, ipc_usets[j].key) != 0,
			    "%s twice", ipc_usets[i].key);
	}
	assert_null(ipc_uset_find("limit.year"));
}

/* -- outfilterctl's words ---------------------------------------------- */

struct cli_case {
	const char	*argv;		/* words split on spaces; @PW@ @EMPTY@
					   @BODY@ @NONE@ are files */
	int		 rc;
	const char	*cmd;		/* the command, NULL: a group */
	const char	*args;		/* the args as JSON, NULL: none */
	const char	*msg;		/* a part of the cause */
};

static const struct cli_case cli_cases[] = {
	{ "domain add example.com", 0, "domain.add",
	    "{\"domain\":\"example.com\"}", NULL },
	{ "do a example.com --admin-contact a@example.com", 0, "domain.add",
	    "{\"domain\":\"example.com\",\"admin_contact\":\"a@example.com\"}",
	    NULL },
	{ "d a example.com", EX_USAGE, NULL, NULL, "could be domain, dkim" },
	{ "domain add --admin-contact=a@b example.com", 0, "domain.add",
	    "{\"domain\":\"example.com\",\"admin_contact\":\"a@b\"}", NULL },
	{ "user add ip n1 --domain d --ip 192.0.2.1 --ip 2001:db8::/32", 0,
	    "user.add.ip", "{\"name\":\"n1\",\"domain\":\"d\",\"ip\":"
	    "[\"192.0.2.1\",\"2001:db8::/32\"]}", NULL },
	{ "u a i n1 --domain=d --ip 192.0.2.1", 0, "user.add.ip",
	    "{\"name\":\"n1\",\"domain\":\"d\",\"ip\":[\"192.0.2.1\"]}", NULL },
	{ "user set n1 limit.hour=5 identify.headers=X-A:a=b", 0, "user.set",
	    "{\"name\":\"n1\",\"settings\":{\"limit.hour\":\"5\","
	    "\"identify.headers\":\"X-A:a=b\"}}", NULL },
	{ "user set n1 dkim.selector=", 0, "user.set",
	    "{\"name\":\"n1\",\"settings\":{\"dkim.selector\":\"\"}}", NULL },
	{ "user set n1 limit.hour", EX_USAGE, "user.set", NULL,
	    "\"limit.hour\" is not KEY=VALUE" },
	{ "user set n1 =5", EX_USAGE, "user.set", NULL, "is not KEY=VALUE" },
	{ "user set n1 a=1 a=2", EX_USAGE, "user.set", NULL, "a given twice" },
	{ "user set n1", EX_USAGE, "user.set", NULL,
	    "\"user set\" needs KEY=VALUE" },
	{ "user list --limit 5 --locked --kind ip", 0, "user.list",
	    "{\"limit\":5,\"locked\":true,\"kind\":\"ip\"}", NULL },
	{ "user li", 0, "user.list", "{}", NULL },
	{ "user list --limit x", EX_USAGE, "user.list", NULL,
	    "--limit N must be a whole number >= 0, not \"x\"" },
	{ "user list --limit -1", EX_USAGE, "user.list", NULL,
	    "whole number" },
	{ "user list --locked=yes", EX_USAGE, "user.list", NULL,
	    "--locked takes no value" },
	{ "user list --bogus", EX_USAGE, "user.list", NULL,
	    "unknown option --bogus" },
	{ "user list --limit", EX_USAGE, "user.list", NULL,
	    "--limit needs a value (N)" },
	{ "domain show a b", EX_USAGE, "domain.show", NULL,
	    "unexpected argument \"b\"" },
	{ "domain add a --admin-contact x --admin-contact y", EX_USAGE,
	    "domain.add", NULL, "--admin-contact ADDRESS given twice" },
	{ "domain add -- -odd", 0, "domain.add", "{\"domain\":\"-odd\"}", NULL },
	{ "user add ip n1 --ip 192.0.2.1", EX_USAGE, "user.add.ip", NULL,
	    "\"user add ip\" needs --domain DOMAIN" },
	{ "identity l", EX_USAGE, NULL, NULL,
	    "ambiguous command \"identity l\": could be identity list, "
	    "identity lock" },
	{ "identity lo u1 id1", 0, "identity.lock",
	    "{\"user\":\"u1\",\"identity\":\"id1\"}", NULL },
	{ "user un u1", 0, "user.unlock", "{\"name\":\"u1\"}", NULL },
	{ "user ip a u1 192.0.2.9", 0, "user.ip.add",
	    "{\"name\":\"u1\",\"ip\":\"192.0.2.9\"}", NULL },
	{ "frob", EX_USAGE, NULL, NULL, "unknown command \"frob\"" },
	{ "user frob", EX_USAGE, NULL, NULL, "unknown command \"user frob\"" },
	{ "user", EX_USAGE, NULL, NULL, "\"user\" needs more words" },
	{ "", EX_USAGE, NULL, NULL, "no command given" },
	{ "status", 0, "status", "{}", NULL },
	{ "st", 0, "status", "{}", NULL },
	{ "status now", EX_USAGE, "status", NULL, "unexpected argument" },
	{ "user add ip --help", 0, "user.add.ip", NULL, NULL },
	{ "user -h", 0, NULL, NULL, NULL },
	{ "user add smtp a@b.example --domain b.example --password-file @PW@",
	    0, "user.add.smtp", "{\"name\":\"a@b.example\",\"domain\":"
	    "\"b.example\",\"password\":\"s3cret pass\"}", NULL },
	{ "user passwd a@b.example --password-file @EMPTY@", EX_DATAERR,
	    "user.passwd", NULL, "is empty" },
	{ "user passwd a@b.example --password-file @NONE@", EX_NOINPUT,
	    "user.passwd", NULL, "cannot read" },
	{ "template add t1 --subject Locked --body-file @BODY@", 0,
	    "template.add", "{\"name\":\"t1\",\"subject\":\"Locked\","
	    "\"body\":\"Dear sender,\\n\\nyou are locked.\\n\"}", NULL },
	{ "admin add a1 --role domain --domain d1 --domain d2 --password-file "
	    "@PW@", 0, "admin.add", "{\"name\":\"a1\",\"role\":\"domain\","
	    "\"domains\":[\"d1\",\"d2\"],\"password\":\"s3cret pass\"}", NULL },
};

/* Split words, putting the test files in place of @NAME@. */
static int
cli_argv(const char *line, char **argv, char *buf, size_t size)
{
	static const char *const names[][2] = {
		{ "@PW@", "pw" }, { "@EMPTY@", "empty" }, { "@BODY@", "body" },
		{ "@NONE@", "none" },
	};
	char	*w, *save = NULL;
	int	 n = 0;
	size_t	 i;

	snprintf(buf, size, "%s", line);
	for (w = strtok_r(buf, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		argv[n] = w;
		for (i = 0; i < sizeof names / sizeof names[0]; i++) {
			if (strcmp(w, names[i][0]) == 0 &&
			    asprintf(&argv[n], "%s/%s", tmpdir, names[i][1]) < 0)
				argv[n] = NULL;
		}
		n++;
	}
	argv[n] = NULL;
	return n;
}

static void
check_cli(const struct cli_case *c)
{
	char		 buf[512], *argv[32], *cause = NULL;
	struct ipc_cli	 cli;
	json_t		*want;
	int		 argc, rc, i;

	argc = cli_argv(c->argv, argv, buf, sizeof buf);
	rc = ipc_cli_parse(argc, argv, &cli, &cause);
	CHECK(rc == c->rc, "\"%s\": status %d (%s)", c->argv, rc,
	    cause ? cause : "");
	CHECK(c->cmd == NULL ? cli.cmd == NULL :
	    cli.cmd != NULL && strcmp(cli.cmd->name, c->cmd) == 0,
	    "\"%s\": command %s", c->argv, cli.cmd ? cli.cmd->name : "none");
	if (c->msg != NULL)
		CHECK(cause != NULL && strstr(cause, c->msg) != NULL,
		    "\"%s\": cause \"%s\"", c->argv, cause ? cause : "");
	if (c->args != NULL) {
		want = json_loads(c->args, 0, NULL);
		CHECK(want != NULL && json_equal(want, cli.args), "\"%s\": args "
		    "%s", c->argv, json_dumps(cli.args, JSON_COMPACT));
		json_decref(want);
	} else
		CHECK(cli.args == NULL, "\"%s\": args set", c->argv);
	if (rc == 0 && c->args == NULL)
		CHECK(cli.help, "\"%s\": no help", c->argv);
	ipc_cli_clear(&cli);
	free(cause);
	for (i = 0; i < argc; i++) {
		if (argv[i] < buf || argv[i] >= buf + sizeof buf)
			free(argv[i]);
	}
}

static void
test_cli_parse(void **state)
{
	size_t	i;

	write_file("pw", "s3cret pass\r\nsecond line\n", 0600);
	write_file("empty", "\n", 0600);
	write_file("body", "Dear sender,\n\nyou are locked.\n", 0644);
	for (i = 0; i < sizeof cli_cases / sizeof cli_cases[0]; i++)
		check_cli(&cli_cases[i]);
}

static void
test_cli_synopsis(void **state)
{
	static const char *const t[][2] = {
		{ "user.add.ip", "user add ip NAME --domain DOMAIN --ip CIDR ..." },
		{ "user.list", "user list [--domain DOMAIN] [--kind ip|smtp|domain] "
		    "[--locked] [--search TEXT] [--limit N] [--after CURSOR]" },
		{ "user.set", "user set NAME KEY=VALUE ... [--if-version N]" },
		{ "admin.add", "admin add NAME --role super|domain "
		    "[--domain DOMAIN ...] --password-file FILE" },
		{ "status", "status" },
	};
	const struct ipc_cmd	*cmd;
	char			*s;
	size_t			 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		cmd = ipc_cmd_find(t[i][0]);
		assert_non_null(cmd);
		s = ipc_cli_synopsis(cmd);
		assert_string_equal(s, t[i][1]);
		free(s);
	}
	cmd = ipc_cmd_find("user.add.ip");
	assert_string_equal(ipc_cli_field(cmd, "ip"), "--ip");
	assert_string_equal(ipc_cli_field(cmd, "name"), "NAME");
	assert_string_equal(ipc_cli_field(cmd, "limit.hour"), "limit.hour");
	assert_string_equal(ipc_cli_field(cmd, ""), "");
}

/* Every command's help names each of its arguments. */
static void
test_cli_help(void **state)
{
	const struct ipc_arg	*a;
	char			*text;
	size_t			 len;
	FILE			*f;
	int			 i;

	for (i = 0; i < IPC_NCMDS; i++) {
		f = open_memstream(&text, &len);
		ipc_cli_help_cmd(f, "outfilterctl", &ipc_cmds[i]);
		fclose(f);
		CHECK(strstr(text, ipc_cmds[i].help) != NULL, "%s: help line",
		    ipc_cmds[i].name);
		for (a = ipc_cmds[i].args; a->key != NULL; a++)
			CHECK(strstr(text, a->help) != NULL, "%s: %s",
			    ipc_cmds[i].name, a->key);
		free(text);
	}
	f = open_memstream(&text, &len);
	ipc_cli_help_list(f, "outfilterctl", "user add");
	fclose(f);
	assert_non_null(strstr(text, "user add smtp ADDRESS"));
	assert_null(strstr(text, "user list"));
	free(text);
}

/* -- output ---------------------------------------------------------- */

struct out_case {
	const char	*what;
	const char	*json;
	const char	*out;
	const char	*err;
};

static const struct out_case out_cases[] = {
	{ "table", "{\"items\":[{\"name\":\"a\",\"domain\":\"example.com\","
	    "\"locked\":false,\"ips\":[\"192.0.2.1\",\"192.0.2.9\"],"
	    "\"note\":null},{\"name\":\"longer\",\"domain\":\"x\",\"locked\":true,"
	    "\"ips\":[],\"note\":\"n\"}],\"next\":\"abc\"}",
	    "NAME    DOMAIN       LOCKED  IPS                  NOTE\n"
	    "a       example.com  no      192.0.2.1,192.0.2.9  -\n"
	    "longer  x            yes     -                    n\n",
	    "more: --after abc\n" },
	{ "last page", "{\"items\":[{\"n\":1,\"éé\":\"ü\"}],\"next\":null}",
	    "N  éé\n1  ü\n", "" },
	{ "empty page", "{\"items\":[],\"next\":null}", "", "" },
	{ "object", "{\"name\":\"a\",\"settings\":{\"limit.hour\":\"0\","
	    "\"identify\":\"envelope\"},\"locked\":false,\"ips\":[\"a\",\"b\"]}",
	    "name:   a\nsettings:\n  limit.hour: 0\n  identify:   envelope\n"
	    "locked: no\nips:    a,b\n", "" },
	{ "list of objects", "{\"locks\":[{\"at\":1,\"by\":\"x\"},{\"at\":2,"
	    "\"by\":\"y\"}]}",
	    "locks:\n  - at: 1\n    by: x\n  - at: 2\n    by: y\n", "" },
	{ "text", "{\"subject\":\"s\",\"body\":\"line 1\\nline 2\\n\"}",
	    "subject: s\nbody:\n  line 1\n  line 2\n", "" },
	{ "empty strings", "{\"items\":[{\"a\":\"\",\"b\":\"x\"}],\"next\":null}",
	    "A  B\n-  x\n", "" },
	{ "empty value", "{\"a\":\"\",\"bb\":\"x\"}", "a:  -\nbb: x\n", "" },
	{ "string", "\"hello\"", "hello\n", "" },
	{ "null", "null", "", "" },
	{ "true", "true", "", "" },
	{ "number", "42", "42\n", "" },
};

static void
test_output(void **state)
{
	const struct out_case	*c;
	json_t			*j;
	char			*out, *err;
	size_t			 olen, elen, i;
	FILE			*fo, *fe;

	for (i = 0; i < sizeof out_cases / sizeof out_cases[0]; i++) {
		c = &out_cases[i];
		j = json_loads(c->json, JSON_DECODE_ANY, NULL);
		CHECK(j != NULL, "%s: bad JSON in the test", c->what);
		fo = open_memstream(&out, &olen);
		fe = open_memstream(&err, &elen);
		ipc_out_print(fo, fe, j);
		fclose(fo);
		fclose(fe);
		CHECK(strcmp(out, c->out) == 0, "%s: stdout\n%s", c->what, out);
		CHECK(strcmp(err, c->err) == 0, "%s: stderr\n%s", c->what, err);
		free(out);
		free(err);
		json_decref(j);
	}
}

/* -- login files ----------------------------------------------------- */

static void
test_login_endpoint(void **state)
{
	const char	*p;
	char		*ep, *cause = NULL;

	p = write_file("a.conf", "[paths]\nrun_dir = /r\n[control]\n"
	    "endpoint = ipc:///x/control\n", 0644);
	assert_int_equal(ipc_login_endpoint(p, &ep, &cause), 0);
	assert_string_equal(ep, "ipc:///x/control");
	free(ep);

	/* Last one wins, as in the daemon. */
	p = write_file("b.conf", "[control]\nendpoint = ipc:///a\n"
	    "endpoint = ipc:///b\n", 0644);
	assert_int_equal(ipc_login_endpoint(p, &ep, &cause), 0);
	assert_string_equal(ep, "ipc:///b");
	free(ep);

	p = write_file("c.conf", "[paths]\nrun_dir = /r\n[smtp]\n"
	    "relay_listen = 127.0.0.1:2525\n", 0644);
	assert_int_equal(ipc_login_endpoint(p, &ep, &cause), 0);
	assert_string_equal(ep, IPC_DEFAULT_ENDPOINT);
	free(ep);

	assert_int_equal(ipc_login_endpoint("/nonexistent/of.conf", &ep,
	    &cause), EX_CONFIG);
	assert_null(ep);
	assert_non_null(strstr(cause, "/nonexistent/of.conf"));
	free(cause);
}

static void
test_login_credentials(void **state)
{
	const char	*p;
	char		*user, *pw, *cause = NULL;

	p = write_file("cred", "user = alice\npassword = pa55 word\n", 0600);
	assert_int_equal(ipc_login_credentials(p, &user, &pw, &cause), 0);
	assert_string_equal(user, "alice");
	assert_string_equal(pw, "pa55 word");
	free(user);
	ipc_login_free_secret(pw);

	p = write_file("open", "user = alice\npassword = x\n", 0640);
	assert_int_equal(ipc_login_credentials(p, &user, &pw, &cause),
	    EX_CONFIG);
	assert_null(pw);
	assert_non_null(strstr(cause, "chmod 600"));
	assert_non_null(strstr(cause, p));
	free(cause);

	p = write_file("half", "user = alice\n", 0600);
	assert_int_equal(ipc_login_credentials(p, &user, &pw, &cause),
	    EX_CONFIG);
	free(cause);

	p = write_file("typo", "usr = alice\npassword = x\n", 0600);
	assert_int_equal(ipc_login_credentials(p, &user, &pw, &cause),
	    EX_CONFIG);
	assert_non_null(strstr(cause, ":1:"));
	free(cause);

	/* No file anywhere: the local super-admin path. */
	setenv("HOME", tmpdir, 1);
	unsetenv("OUTFILTER_CREDENTIALS");
	assert_int_equal(ipc_login_credentials(NULL, &user, &pw, &cause), 0);
	assert_null(user);
	assert_null(pw);
	setenv("OUTFILTER_CREDENTIALS", p, 1);
	assert_int_equal(ipc_login_credentials(NULL, &user, &pw, &cause),
	    EX_CONFIG);
	free(cause);
	unsetenv("OUTFILTER_CREDENTIALS");
}

/* -- the client against a small server ------------------------------- */

struct server {
	void		*ctx;
	char		 endpoint[300];
	pthread_t	 thread;
	volatile int	 silent;	/* do not answer requests */
};

/* Answer one ZAP request: "-"/"-" and alice/secret get in. */
static void
server_zap(void *zap)
{
	zmq_msg_t	 part[8];
	char		 user[64] = "", pw[64] = "";
	const char	*status;
	int		 i, n = 0, ok;

	/* version, request id, domain, address, identity, mechanism, user, pw */
	for (n = 0; n < 8; n++) {
		zmq_msg_init(&part[n]);
		if (zmq_msg_recv(&part[n], zap, 0) == -1 || !zmq_msg_more(&part[n]))
			break;
	}
	if (n == 7) {
		snprintf(user, sizeof user, "%.*s", (int)zmq_msg_size(&part[6]),
		    (char *)zmq_msg_data(&part[6]));
		snprintf(pw, sizeof pw, "%.*s", (int)zmq_msg_size(&part[7]),
		    (char *)zmq_msg_data(&part[7]));
	}
	ok = (strcmp(user, "-") == 0 && strcmp(pw, "-") == 0) ||
	    (strcmp(user, "alice") == 0 && strcmp(pw, "secret") == 0);
	status = ok ? "200" : "400";
	zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(zap, zmq_msg_data(&part[1]), zmq_msg_size(&part[1]),
	    ZMQ_SNDMORE);
	zmq_send(zap, status, 3, ZMQ_SNDMORE);
	zmq_send(zap, "", 0, ZMQ_SNDMORE);
	zmq_send(zap, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(zap, "", 0, 0);
	for (i = 0; i <= n && i < 8; i++)
		zmq_msg_close(&part[i]);
}

/* Answer a request with {"cmd": its command, "args": its args}. */
static void
server_request(struct server *s, void *router)
{
	char			 id[256], buf[4096], *reply;
	int			 idlen, len;
	const struct ipc_cmd	*cmd;
	json_t			*args, *result;
	struct ipc_error	 err;

	idlen = zmq_recv(router, id, sizeof id, 0);
	zmq_recv(router, buf, 0, 0);			/* the empty frame */
	len = zmq_recv(router, buf, sizeof buf - 1, 0);
	if (idlen < 0 || len < 0 || s->silent)
		return;
	if (ipc_request_decode(buf, len, &cmd, &args, &err) == 0) {
		result = json_pack("{s:s,s:o}", "cmd", cmd->name, "args", args);
		reply = ipc_reply_ok(result);
		json_decref(result);
	} else
		reply = ipc_reply_error(&err);
	zmq_send(router, id, idlen, ZMQ_SNDMORE);
	zmq_send(router, "", 0, ZMQ_SNDMORE);
	zmq_send(router, reply, strlen(reply), 0);
	free(reply);
}

static void *
server_main(void *arg)
{
	struct server	*s = arg;
	void		*zap = zmq_socket(s->ctx, ZMQ_REP);
	void		*router = zmq_socket(s->ctx, ZMQ_ROUTER);
	int		 one = 1, zero = 0;
	zmq_pollitem_t	 items[2];

	zmq_bind(zap, "inproc://zeromq.zap.01");
	zmq_setsockopt(router, ZMQ_PLAIN_SERVER, &one, sizeof one);
	zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(zap, ZMQ_LINGER, &zero, sizeof zero);
	zmq_bind(router, s->endpoint);
	for (;;) {
		items[0] = (zmq_pollitem_t){ zap, 0, ZMQ_POLLIN, 0 };
		items[1] = (zmq_pollitem_t){ router, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(items, 2, -1) == -1)
			break;
		if (items[0].revents & ZMQ_POLLIN)
			server_zap(zap);
		if (items[1].revents & ZMQ_POLLIN)
			server_request(s, router);
	}
	zmq_close(zap);
	zmq_close(router);
	return NULL;
}

static int	servers;

static void
server_start(struct server *s, int silent)
{
	memset(s, 0, sizeof *s);
	s->ctx = zmq_ctx_new();
	s->silent = silent;
	/* A path of its own: libzmq may leave the last one's file behind. */
	snprintf(s->endpoint, sizeof s->endpoint, "ipc://%s/control%d", tmpdir,
	    ++servers);
	pthread_create(&s->thread, NULL, server_main, s);
	while (access(s->endpoint + 6, F_OK) == -1)
		usleep(1000);
}

static void
server_stop(struct server *s)
{
	zmq_ctx_shutdown(s->ctx);	/* zmq_poll fails with ETERM */
	pthread_join(s->thread, NULL);
	zmq_ctx_term(s->ctx);
}

static void
test_client_calls(void **state)
{
	struct server		 s;
	struct ipc_client	*c;
	struct ipc_error	 err;
	json_t			*args, *result;
	char			*cause = NULL;
	int			 i;

	server_start(&s, 0);
	c = ipc_client_open(s.endpoint, NULL, NULL, 5000, &cause);
	assert_non_null(c);
	/* One client, many calls. */
	for (i = 0; i < 50; i++) {
		args = json_pack("{s:s}", "domain", "example.com");
		assert_int_equal(ipc_client_call(c, "domain.show", args, &result,
		    &err), IPC_CALL_OK);
		assert_string_equal(json_string_value(json_object_get(result,
		    "cmd")), "domain.show");
		assert_true(json_equal(json_object_get(result, "args"), args));
		json_decref(result);
		json_decref(args);
	}
	/* The server's refusal comes back as one. */
	assert_int_equal(ipc_client_call(c, "domain.show", NULL, &result, &err),
	    IPC_CALL_REFUSED);
	assert_int_equal(err.code, IPC_E_INVALID);
	assert_string_equal(err.field, "domain");
	ipc_client_close(c);

	c = ipc_client_open(s.endpoint, "alice", "secret", 5000, &cause);
	assert_int_equal(ipc_client_call(c, "status", NULL, &result, &err),
	    IPC_CALL_OK);
	json_decref(result);
	ipc_client_close(c);

	c = ipc_client_open(s.endpoint, "alice", "wrong", 5000, &cause);
	assert_int_equal(ipc_client_call(c, "status", NULL, &result, &err),
	    IPC_CALL_LOGIN);
	assert_int_equal(err.code, IPC_E_DENIED);
	assert_string_equal(err.message,
	    "login refused for alice: wrong name or password");
	assert_int_equal(ipc_client_call(c, "status", NULL, &result, &err),
	    IPC_CALL_LOGIN);
	ipc_client_close(c);
	server_stop(&s);
}

/* A Unix socket file left behind by a process that died. */
static void
stale_socket(const char *path)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(strlen(path) < sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);
}

static void
test_client_unreachable(void **state)
{
	struct server		 s;
	struct ipc_client	*c;
	struct ipc_error	 err;
	json_t			*result;
	char			 ep[300], *cause = NULL;

	/* No socket file: at once. */
	snprintf(ep, sizeof ep, "ipc://%s/nothing", tmpdir);
	c = ipc_client_open(ep, NULL, NULL, 5000, &cause);
	assert_non_null(c);
	assert_int_equal(ipc_client_call(c, "status", NULL, &result, &err),
	    IPC_CALL_UNREACHABLE);
	assert_int_equal(err.code, IPC_E_BUSY);
	assert_non_null(strstr(err.message, "outfilterd is not running: no "
	    "control socket at"));
	ipc_client_close(c);

	/* A daemon that does not answer: the timeout, then a second try. */
	server_start(&s, 1);
	c = ipc_client_open(s.endpoint, NULL, NULL, 1000, &cause);
	assert_int_equal(ipc_client_call(c, "status", NULL, &result, &err),
	    IPC_CALL_UNREACHABLE);
	CHECK(strstr(err.message, "did not answer within 1.0 s") != NULL, "%s",
	    err.message);
	s.silent = 0;
	assert_int_equal(ipc_client_call(c, "status", NULL, &result, &err),
	    IPC_CALL_OK);
	json_decref(result);
	ipc_client_close(c);
	server_stop(&s);

	/* A socket file nobody listens on any more. */
	snprintf(ep, sizeof ep, "ipc://%s/stale", tmpdir);
	stale_socket(ep + 6);
	c = ipc_client_open(ep, NULL, NULL, 5000, &cause);
	assert_int_equal(ipc_client_call(c, "status", NULL, &result, &err),
	    IPC_CALL_UNREACHABLE);
	assert_non_null(strstr(err.message, "nothing listens on"));
	ipc_client_close(c);

	assert_null(ipc_client_open("bogus://x", NULL, NULL, 100, &cause));
	assert_non_null(strstr(cause, "bogus://x"));
	free(cause);
}

static int
setup(void **state)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_decode),
		cmocka_unit_test(test_request_sizes),
		cmocka_unit_test(test_request_encode),
		cmocka_unit_test(test_request_file),
		cmocka_unit_test(test_reply_roundtrip),
		cmocka_unit_test(test_reply_bad),
		cmocka_unit_test(test_errcodes),
		cmocka_unit_test(test_command_table),
		cmocka_unit_test(test_uset_normalize),
		cmocka_unit_test(test_uset_table),
		cmocka_unit_test(test_cli_parse),
		cmocka_unit_test(test_cli_synopsis),
		cmocka_unit_test(test_cli_help),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_login_endpoint),
		cmocka_unit_test(test_login_credentials),
		cmocka_unit_test(test_client_calls),
		cmocka_unit_test(test_client_unreachable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
