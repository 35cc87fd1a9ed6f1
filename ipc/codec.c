/*
 * The wire format: one JSON object per frame, checked against the command
 * table on the way in, so a handler only ever sees arguments of the right
 * shape.
 */
#define _GNU_SOURCE		/* memmem */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ipc.h"

typedef int codec_check_fn(const struct ipc_arg *, json_t *,
    struct ipc_error *);

static codec_check_fn codec_check_str, codec_check_int, codec_check_bool,
    codec_check_list, codec_check_kv, codec_check_file;

static codec_check_fn *const codec_checks[] = {
	[T_STR] = codec_check_str,
	[T_INT] = codec_check_int,
	[T_BOOL] = codec_check_bool,
	[T_LIST] = codec_check_list,
	[T_SECRET] = codec_check_str,
	[T_TEXT] = codec_check_str,
	[T_KV] = codec_check_kv,
	[T_LINES] = codec_check_str,
	[T_FILE] = codec_check_file,
};

/* Members a request may have. */
static const char *const codec_request_members[] = { "v", "cmd", "args" };

/*
 * Compact JSON text of j, written straight into one buffer of the right
 * size so that no partial copy of a secret is left behind in freed memory.
 */
static char *
codec_dump(json_t *j)
{
	size_t	 n;
	char	*buf;

	if (j == NULL)
		return NULL;
	n = json_dumpb(j, NULL, 0, JSON_COMPACT);
	if (n == 0 || (buf = malloc(n + 1)) == NULL)
		return NULL;
	json_dumpb(j, buf, n, JSON_COMPACT);
	buf[n] = '\0';
	return buf;
}

/* Parse one frame; what is "request" or "reply" for the message. */
static json_t *
codec_parse(const char *buf, size_t len, const char *what,
    struct ipc_error *err)
{
	json_t		*j;
	json_error_t	 jerr;

	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (j == NULL) {
		if (json_error_code(&jerr) == json_error_invalid_utf8)
			ipc_fail(err, IPC_E_MALFORMED, "", "the %s is not valid "
			    "UTF-8 (byte %d)", what, jerr.position);
		else
			ipc_fail(err, IPC_E_MALFORMED, "", "the %s is not valid "
			    "JSON: %s (byte %d)", what, jerr.text, jerr.position);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		ipc_fail(err, IPC_E_MALFORMED, "", "the %s is not a JSON object",
		    what);
		return NULL;
	}
	return j;
}

/* The frame's "v"; the peer is "client" or "daemon", the one who sent it. */
static int
codec_version(json_t *j, const char *peer, struct ipc_error *err)
{
	json_t	*v = json_object_get(j, "v");
	int	 client = strcmp(peer, "client") == 0;

	if (json_is_integer(v) && json_integer_value(v) == IPC_PROTOCOL_VERSION)
		return 0;
	if (!json_is_integer(v))
		return ipc_fail(err, IPC_E_VERSION, "", "incompatible "
		    "outfilterctl and outfilterd: the %s sent no protocol "
		    "version, the %s speaks %d", peer,
		    client ? "daemon" : "client", IPC_PROTOCOL_VERSION);
	return ipc_fail(err, IPC_E_VERSION, "", "incompatible outfilterctl and "
	    "outfilterd: client speaks protocol %lld, daemon speaks %lld",
	    client ? json_integer_value(v) : (long long)IPC_PROTOCOL_VERSION,
	    client ? (long long)IPC_PROTOCOL_VERSION : json_integer_value(v));
}

/* A string without NUL bytes of at most max bytes; what names it. */
static int
codec_string_ok(json_t *s, size_t max, const char *field, const char *what,
    struct ipc_error *err)
{
	const char	*v = json_string_value(s);

	if (strlen(v) != json_string_length(s))
		return ipc_fail(err, IPC_E_INVALID, field,
		    "%s contains a NUL byte", what);
	if (json_string_length(s) > max)
		return ipc_fail(err, IPC_E_INVALID, field,
		    "%s is longer than %zu bytes", what, max);
	return 0;
}

static int
codec_wrong_type(const struct ipc_arg *a, struct ipc_error *err)
{
	return ipc_fail(err, IPC_E_INVALID, a->key, "argument \"%s\" must be %s",
	    a->key, ipc_type_name(a->type));
}

static int
codec_check_str(const struct ipc_arg *a, json_t *v, struct ipc_error *err)
{
	char	what[96];

	if (!json_is_string(v))
		return codec_wrong_type(a, err);
	snprintf(what, sizeof what, "argument \"%s\"", a->key);
	if (codec_string_ok(v, a->type == T_TEXT || a->type == T_LINES ?
	    IPC_MAX_TEXT : IPC_MAX_STR, a->key, what, err) == -1)
		return -1;
	/* A name and a password are never empty; lines may be none. */
	if (json_string_length(v) == 0 && (a->type == T_SECRET ||
	    (a->flag == NULL && a->required && a->type != T_LINES)))
		return ipc_fail(err, IPC_E_INVALID, a->key,
		    "argument \"%s\" must not be empty", a->key);
	return 0;
}

static int
codec_check_int(const struct ipc_arg *a, json_t *v, struct ipc_error *err)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return codec_wrong_type(a, err);
	return 0;
}

static int
codec_check_bool(const struct ipc_arg *a, json_t *v, struct ipc_error *err)
{
	if (!json_is_boolean(v))
		return codec_wrong_type(a, err);
	return 0;
}

static int
codec_check_list(const struct ipc_arg *a, json_t *v, struct ipc_error *err)
{
	json_t	*e;
	size_t	 i;
	char	 what[96];

	if (!json_is_array(v))
		return codec_wrong_type(a, err);
	if (a->required && json_array_size(v) == 0)
		return ipc_fail(err, IPC_E_INVALID, a->key,
		    "argument \"%s\" must not be an empty list", a->key);
	if (json_array_size(v) > IPC_MAX_ITEMS)
		return ipc_fail(err, IPC_E_INVALID, a->key, "argument \"%s\" "
		    "has more than %d entries", a->key, IPC_MAX_ITEMS);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return codec_wrong_type(a, err);
		snprintf(what, sizeof what, "entry %zu of \"%s\"", i + 1, a->key);
		if (codec_string_ok(e, IPC_MAX_STR, a->key, what, err) == -1)
			return -1;
	}
	return 0;
}

static int
codec_check_kv(const struct ipc_arg *a, json_t *v, struct ipc_error *err)
{
	const char	*k;
	json_t		*e;
	char		 what[96];

	if (!json_is_object(v))
		return codec_wrong_type(a, err);
	if (a->required && json_object_size(v) == 0)
		return ipc_fail(err, IPC_E_INVALID, a->key,
		    "argument \"%s\" must not be empty", a->key);
	if (json_object_size(v) > IPC_MAX_ITEMS)
		return ipc_fail(err, IPC_E_INVALID, a->key, "argument \"%s\" "
		    "has more than %d entries", a->key, IPC_MAX_ITEMS);
	json_object_foreach(v, k, e) {
		if (!json_is_string(e))
			return codec_wrong_type(a, err);
		snprintf(what, sizeof what, "\"%.40s\" of \"%s\"", k, a->key);
		if (strlen(k) > IPC_MAX_STR)
			return ipc_fail(err, IPC_E_INVALID, a->key, "a key of "
			    "\"%s\" is longer than %d bytes", a->key, IPC_MAX_STR);
		if (codec_string_ok(e, IPC_MAX_STR, a->key, what, err) == -1)
			return -1;
	}
	return 0;
}

/* The bytes of a T_FILE argument, as decoded: NULs and all. */
static int
codec_check_file(const struct ipc_arg *a, json_t *v, struct ipc_error *err)
{
	if (!json_is_string(v))
		return codec_wrong_type(a, err);
	if (json_string_length(v) > IPC_MAX_FILE)
		return ipc_fail(err, IPC_E_INVALID, a->key, "argument \"%s\" "
		    "is larger than %d bytes", a->key, IPC_MAX_FILE);
	if (json_string_length(v) == 0 && a->flag == NULL && a->required)
		return ipc_fail(err, IPC_E_INVALID, a->key,
		    "argument \"%s\" must not be empty", a->key);
	return 0;
}

/* One T_FILE argument from base64 to its bytes, in place in args. */
static int
codec_file_in(const struct ipc_arg *a, json_t *args, struct ipc_error *err)
{
	json_t		*v = json_object_get(args, a->key);
	const char	*b64;
	unsigned char	*bin;
	size_t		 len, n;
	int		 rc;

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return codec_wrong_type(a, err);
	b64 = json_string_value(v);
	if ((len = json_string_length(v)) > IPC_MAX_FILE_B64)
		return ipc_fail(err, IPC_E_INVALID, a->key, "argument \"%s\" "
		    "is larger than %d bytes", a->key, IPC_MAX_FILE);
	if ((bin = malloc(len / 4 * 3 + 1)) == NULL)
		return ipc_fail(err, IPC_E_INTERNAL, a->key, "out of memory");
	if (sodium_base642bin(bin, len / 4 * 3 + 1, b64, len, NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		rc = ipc_fail(err, IPC_E_INVALID, a->key, "argument \"%s\" is "
		    "not base64 (RFC 4648, with padding, no line breaks)",
		    a->key);
	else if (json_object_set_new(args, a->key,
	    json_stringn_nocheck((const char *)bin, n)) == -1)
		rc = ipc_fail(err, IPC_E_INTERNAL, a->key, "out of memory");
	else
		rc = 0;
	free(bin);
	return rc;
}

/* Every T_FILE argument of args from base64 to its bytes. */
static int
codec_files_in(const struct ipc_cmd *cmd, json_t *args, struct ipc_error *err)
{
	const struct ipc_arg	*a;

	if (!json_is_object(args))
		return 0;	/* ipc_args_check() says what is wrong */
	for (a = cmd->args; a->key != NULL; a++) {
		if (a->type == T_FILE && codec_file_in(a, args, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * args with its T_FILE arguments' bytes in base64: a new object (sharing
 * the other values), or a new reference to args when it has none.
 */
static json_t *
codec_files_out(const struct ipc_cmd *cmd, json_t *args)
{
	const struct ipc_arg	*a;
	json_t			*out, *v;
	char			*b64;
	size_t			 len;

	if (cmd == NULL || !json_is_object(args) || !ipc_cmd_takes_file(cmd))
		return json_incref(args);
	if ((out = json_copy(args)) == NULL)
		return NULL;
	for (a = cmd->args; a->key != NULL; a++) {
		if (a->type != T_FILE ||
		    !json_is_string(v = json_object_get(out, a->key)))
			continue;
		len = json_string_length(v);
		if ((b64 = malloc(sodium_base64_ENCODED_LEN(len,
		    sodium_base64_VARIANT_ORIGINAL))) == NULL) {
			json_decref(out);
			return NULL;
		}
		sodium_bin2base64(b64, sodium_base64_ENCODED_LEN(len,
		    sodium_base64_VARIANT_ORIGINAL),
		    (const unsigned char *)json_string_value(v), len,
		    sodium_base64_VARIANT_ORIGINAL);
		if (json_object_set_new(out, a->key, json_string_nocheck(b64))
		    == -1) {
			free(b64);
			json_decref(out);
			return NULL;
		}
		free(b64);
	}
	return out;
}

int
ipc_args_check(const struct ipc_cmd *cmd, json_t *args, struct ipc_error *err)
{
	const struct ipc_arg	*a;
	const char		*key;
	json_t			*v;

	if (!json_is_object(args))
		return ipc_fail(err, IPC_E_INVALID, "args",
		    "\"args\" must be a JSON object");
	json_object_foreach(args, key, v) {
		if ((a = ipc_cmd_arg(cmd, key)) == NULL)
			return ipc_fail(err, IPC_E_INVALID, key, "unknown "
			    "argument \"%.64s\" for %s", key, cmd->name);
		if (codec_checks[a->type](a, v, err) == -1)
			return -1;
	}
	for (a = cmd->args; a->key != NULL; a++) {
		if (a->required && json_object_get(args, a->key) == NULL)
			return ipc_fail(err, IPC_E_INVALID, a->key, "missing "
			    "argument \"%s\" for %s", a->key, cmd->name);
	}
	return 0;
}

void
ipc_args_wipe(const struct ipc_cmd *cmd, json_t *args)
{
	const struct ipc_arg	*a;
	json_t			*v;

	if (cmd == NULL || !json_is_object(args))
		return;
	for (a = cmd->args; a->key != NULL; a++) {
		v = json_object_get(args, a->key);
		if (a->type == T_SECRET && json_is_string(v))
			sodium_memzero((char *)json_string_value(v),
			    json_string_length(v));
	}
}

/* "; did you mean a, b or c?" for commands starting with name, or "". */
static void
codec_suggest(const char *name, char *buf, size_t size)
{
	const char	*found[5];
	size_t		 n = 0, i, len = strlen(name);
	int		 c;

	buf[0] = '\0';
	for (c = 0; c < IPC_NCMDS && n < 5 && len > 0; c++) {
		if (strncmp(ipc_cmds[c].name, name, len) == 0)
			found[n++] = ipc_cmds[c].name;
	}
	for (i = 0; i < n; i++) {
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
		    i == 0 ? "; did you mean " : i + 1 == n ? " or " : ", ",
		    found[i]);
	}
	if (n > 0)
		snprintf(buf + strlen(buf), size - strlen(buf), "?");
}

/* The request's command, or -1 with err filled. */
static int
codec_command(json_t *req, const struct ipc_cmd **cmd, struct ipc_error *err)
{
	json_t		*c = json_object_get(req, "cmd");
	const char	*name;
	char		 hint[256];

	if (!json_is_string(c))
		return ipc_fail(err, IPC_E_MALFORMED, "",
		    "the request has no \"cmd\" string");
	name = json_string_value(c);
	if (strlen(name) == json_string_length(c) &&
	    (*cmd = ipc_cmd_find(name)) != NULL)
		return 0;
	codec_suggest(name, hint, sizeof hint);
	return ipc_fail(err, IPC_E_UNKNOWN_CMD, "", "unknown command \"%.64s\"%s",
	    name, hint);
}

/* Only v, cmd and args: anything else is a client of another shape. */
static int
codec_members(json_t *req, struct ipc_error *err)
{
	const char	*key;
	json_t		*v;
	size_t		 i, n = sizeof codec_request_members /
			    sizeof codec_request_members[0];

	json_object_foreach(req, key, v) {
		for (i = 0; i < n; i++) {
			if (strcmp(key, codec_request_members[i]) == 0)
				break;
		}
		if (i == n)
			return ipc_fail(err, IPC_E_MALFORMED, "",
			    "unknown request member \"%.64s\"", key);
	}
	return 0;
}

static int
codec_too_large(struct ipc_error *err, size_t len, size_t max)
{
	return ipc_fail(err, IPC_E_TOO_LARGE, "", "the request of %zu bytes "
	    "is larger than the limit of %zu bytes", len, max);
}

int
ipc_request_decode(const char *buf, size_t len, const struct ipc_cmd **cmd,
    json_t **args, struct ipc_error *err)
{
	return ipc_request_decode_max(buf, len, IPC_MAX_FRAME, cmd, args, err);
}

/*
 * Can buf be a request of a command that carries a file?  Only if it
 * names one: a frame over the limit that names none is refused without
 * being parsed.  (A name spelt with \u escapes is refused too.)
 */
static int
codec_names_file_cmd(const char *buf, size_t len)
{
	char	quoted[128];
	int	i;

	for (i = 0; i < IPC_NCMDS; i++) {
		if (!ipc_cmd_takes_file(&ipc_cmds[i]))
			continue;
		snprintf(quoted, sizeof quoted, "\"%s\"", ipc_cmds[i].name);
		if (memmem(buf, len, quoted, strlen(quoted)) != NULL)
			return 1;
	}
	return 0;
}

/*
 * A frame over max is read only far enough to see whether its command
 * carries a file: anything else about it is reported as too large.
 */
int
ipc_request_decode_max(const char *buf, size_t len, size_t max,
    const struct ipc_cmd **cmd, json_t **args, struct ipc_error *err)
{
	json_t	*req, *a;
	int	 rc = -1;

	*cmd = NULL;
	*args = NULL;
	if (len > max && (len > IPC_MAX_FILE_FRAME ||
	    !codec_names_file_cmd(buf, len)))
		return codec_too_large(err, len, max);
	if ((req = codec_parse(buf, len, "request", err)) == NULL)
		return len > max ? codec_too_large(err, len, max) : -1;
	if (codec_version(req, "client", err) == -1 ||
	    codec_members(req, err) == -1 || codec_command(req, cmd, err) == -1 ||
	    (len > max && !ipc_cmd_takes_file(*cmd))) {
		if (len > max)
			codec_too_large(err, len, max);
		goto done;
	}
	if ((a = json_object_get(req, "args")) == NULL)
		a = json_object();
	else
		json_incref(a);
	if (a == NULL || codec_files_in(*cmd, a, err) == -1 ||
	    ipc_args_check(*cmd, a, err) == -1) {
		json_decref(a);
		goto done;
	}
	*args = a;
	rc = 0;
done:
	if (rc == -1) {
		*cmd = NULL;
		/* A refused request may still carry a password. */
		ipc_args_wipe(ipc_cmd_find(json_string_value(
		    json_object_get(req, "cmd"))), json_object_get(req, "args"));
	}
	json_decref(req);
	return rc;
}

char *
ipc_request_encode(const char *cmd, json_t *args)
{
	json_t	*req, *wire = NULL;
	char	*s;

	if (args != NULL && (wire = codec_files_out(ipc_cmd_find(cmd),
	    args)) == NULL)
		return NULL;
	if (wire != NULL)
		req = json_pack("{s:i,s:s,s:O}", "v", IPC_PROTOCOL_VERSION,
		    "cmd", cmd, "args", wire);
	else
		req = json_pack("{s:i,s:s,s:{}}", "v", IPC_PROTOCOL_VERSION,
		    "cmd", cmd, "args");
	s = codec_dump(req);
	json_decref(req);
	json_decref(wire);
	return s;
}

char *
ipc_reply_ok(json_t *result)
{
	json_t	*reply;
	char	*s;

	reply = json_pack("{s:i,s:b,s:O}", "v", IPC_PROTOCOL_VERSION, "ok", 1,
	    "result", result != NULL ? result : json_null());
	s = codec_dump(reply);
	json_decref(reply);
	return s;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
codec_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * s in buf (as large as s's array) as valid UTF-8: the fixed-size fields
 * of struct ipc_error cut what they quote from a request at a byte count,
 * possibly inside a character, and JSON takes only whole ones.  A byte
 * that starts no valid character becomes '?'.
 */
static const char *
codec_utf8(const char *s, char *buf, size_t size)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strnlen(s, size - 1), i = 0, k;

	while (i < n) {
		if ((k = codec_utf8_seq(p + i, n - i)) == 0) {
			buf[i++] = '?';
			continue;
		}
		memcpy(buf + i, p + i, k);
		i += k;
	}
	buf[i] = '\0';
	return buf;
}

char *
ipc_reply_error(const struct ipc_error *err)
{
	json_t	*reply;
	char	*s, field[sizeof err->field], message[sizeof err->message];

	reply = json_pack("{s:i,s:b,s:{s:s,s:s,s:s}}", "v",
	    IPC_PROTOCOL_VERSION, "ok", 0, "error",
	    "code", ipc_errcode_name(err->code),
	    "field", codec_utf8(err->field, field, sizeof field),
	    "message", codec_utf8(err->message, message, sizeof message));
	s = codec_dump(reply);
	json_decref(reply);
	return s;
}

/* The daemon's error object into err; always -1. */
static int
codec_reply_error(json_t *e, struct ipc_error *err)
{
	const char		*code = json_string_value(json_object_get(e, "code"));
	const char		*field = json_string_value(json_object_get(e, "field"));
	const char		*msg = json_string_value(json_object_get(e, "message"));
	enum ipc_errcode	 c;

	if (code == NULL || ipc_errcode_parse(code, &c) == -1)
		c = IPC_E_INTERNAL;
	if (msg == NULL)
		msg = "the daemon refused the command without saying why";
	return ipc_fail(err, c, field, "%s", msg);
}

int
ipc_reply_decode(const char *buf, size_t len, json_t **result,
    struct ipc_error *err)
{
	json_t	*reply, *ok, *e;
	int	 rc = -1;

	*result = NULL;
	if ((reply = codec_parse(buf, len, "daemon's reply", err)) == NULL)
		return -1;
	if (codec_version(reply, "daemon", err) == -1)
		goto done;
	ok = json_object_get(reply, "ok");
	e = json_object_get(reply, "error");
	if (json_is_true(ok)) {
		if ((*result = json_object_get(reply, "result")) == NULL)
			*result = json_null();
		json_incref(*result);
		rc = 0;
	} else if (json_is_false(ok) && json_is_object(e))
		codec_reply_error(e, err);
	else
		ipc_fail(err, IPC_E_MALFORMED, "", "the daemon's reply has "
		    "neither a result nor an error");
done:
	json_decref(reply);
	return rc;
}
