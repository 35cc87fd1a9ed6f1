/*
 * Per-user settings: ipc_usets[] built from usersettings.def, and the
 * check that turns a value as a person types it into its one normal form.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ipc.h"

const struct ipc_uset ipc_usets[] = {
#define USET(key, type, def, min, max, choices, group, help) \
	{ key, type, def, min, max, choices, group, help },
#include "usersettings.def"
#undef USET
};
const size_t ipc_nusets = sizeof ipc_usets / sizeof ipc_usets[0];

typedef char *usersettings_fn(const struct ipc_uset *, const char *,
    struct ipc_error *);
/* Checks one entry of a US_LIST setting; 0 or -1 with err filled. */
typedef int usersettings_entry_fn(const struct ipc_uset *, const char *,
    struct ipc_error *);

static usersettings_entry_fn usersettings_header;

/* Settings whose list entries have a form of their own. */
static const struct {
	const char		*key;
	usersettings_entry_fn	*check;
} usersettings_entries[] = {
	{ "identify.headers", usersettings_header },
};

const struct ipc_uset *
ipc_uset_find(const char *key)
{
	size_t	i;

	if (key == NULL)
		return NULL;
	for (i = 0; i < ipc_nusets; i++) {
		if (strcmp(ipc_usets[i].key, key) == 0)
			return &ipc_usets[i];
	}
	return NULL;
}

static char *
usersettings_dup(const char *s, const struct ipc_uset *u, struct ipc_error *err)
{
	char	*d;

	if ((d = strdup(s)) == NULL)
		ipc_fail(err, IPC_E_INTERNAL, u->key, "out of memory");
	return d;
}

static char *
usersettings_bool(const struct ipc_uset *u, const char *v, struct ipc_error *err)
{
	static const char *const on[] = { "on", "yes", "true", "1" };
	static const char *const off[] = { "off", "no", "false", "0" };
	size_t	i;

	for (i = 0; i < sizeof on / sizeof on[0]; i++) {
		if (strcasecmp(v, on[i]) == 0)
			return usersettings_dup("on", u, err);
		if (strcasecmp(v, off[i]) == 0)
			return usersettings_dup("off", u, err);
	}
	ipc_fail(err, IPC_E_INVALID, u->key,
	    "%s must be on or off, not \"%s\"", u->key, v);
	return NULL;
}

/* Says which whole numbers u takes, for its error message. */
static void
usersettings_range(const struct ipc_uset *u, const char *v,
    struct ipc_error *err)
{
	if (u->max == 0)
		ipc_fail(err, IPC_E_INVALID, u->key,
		    "%s must be a whole number >= %lld, not \"%s\"",
		    u->key, u->min, v);
	else
		ipc_fail(err, IPC_E_INVALID, u->key,
		    "%s must be a whole number from %lld to %lld, not \"%s\"",
		    u->key, u->min, u->max, v);
}

static char *
usersettings_int(const struct ipc_uset *u, const char *v, struct ipc_error *err)
{
	char		 buf[32], *end;
	long long	 n;
	const char	*p;

	for (p = v; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			break;
	}
	if (*v == '\0' || *p != '\0') {
		usersettings_range(u, v, err);
		return NULL;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno == ERANGE || n < u->min || (u->max != 0 && n > u->max)) {
		usersettings_range(u, v, err);
		return NULL;
	}
	snprintf(buf, sizeof buf, "%lld", n);
	return usersettings_dup(buf, u, err);
}

static char *
usersettings_enum(const struct ipc_uset *u, const char *v, struct ipc_error *err)
{
	const char	*c = u->choices, *bar;
	char		 list[256];
	size_t		 n, i;

	while (c != NULL && *c != '\0') {
		bar = strchr(c, '|');
		n = bar != NULL ? (size_t)(bar - c) : strlen(c);
		if (strlen(v) == n && strncasecmp(v, c, n) == 0) {
			snprintf(list, sizeof list, "%.*s", (int)n, c);
			return usersettings_dup(list, u, err);
		}
		c = bar != NULL ? bar + 1 : NULL;
	}
	snprintf(list, sizeof list, "%s", u->choices != NULL ? u->choices : "");
	for (i = 0; list[i] != '\0'; i++) {
		if (list[i] == '|')
			list[i] = ',';
	}
	ipc_fail(err, IPC_E_INVALID, u->key,
	    "%s must be one of %s, not \"%s\"", u->key, list, v);
	return NULL;
}

/* No control characters: a setting is shown on one line. */
static int
usersettings_text_ok(const char *v)
{
	for (; *v != '\0'; v++) {
		if (iscntrl((unsigned char)*v))
			return 0;
	}
	return 1;
}

static char *
usersettings_str(const struct ipc_uset *u, const char *v, struct ipc_error *err)
{
	if (strlen(v) > IPC_MAX_STR || !usersettings_text_ok(v)) {
		ipc_fail(err, IPC_E_INVALID, u->key, "%s must be one line "
		    "of at most %d characters", u->key, IPC_MAX_STR);
		return NULL;
	}
	return usersettings_dup(v, u, err);
}

/*
 * identify.headers: NAME or NAME:REGEX, REGEX a PCRE2 one as the relay
 * matches it (daemon/identity.c).
 */
static int
usersettings_header(const struct ipc_uset *u, const char *v,
    struct ipc_error *err)
{
	const char	*p;
	pcre2_code	*re;
	PCRE2_UCHAR	 why[128];
	PCRE2_SIZE	 off;
	int		 rc;

	/* A header name is printable ASCII without space or colon (RFC 5322). */
	for (p = v; *p != '\0' && *p != ':'; p++) {
		if (*p <= ' ' || *p > '~')
			break;
	}
	if (p == v || (*p != '\0' && *p != ':'))
		return ipc_fail(err, IPC_E_INVALID, u->key, "%s: \"%s\" is not "
		    "NAME or NAME:REGEX with NAME a header name", u->key, v);
	if (*p == '\0')
		return 0;
	if ((re = pcre2_compile((PCRE2_SPTR)(p + 1), PCRE2_ZERO_TERMINATED, 0,
	    &rc, &off, NULL)) == NULL) {
		pcre2_get_error_message(rc, why, sizeof why);
		return ipc_fail(err, IPC_E_INVALID, u->key,
		    "%s: bad regular expression \"%s\": %s at offset %zu",
		    u->key, p + 1, (const char *)why, (size_t)off);
	}
	pcre2_code_free(re);
	return 0;
}

/* Checks one entry of u, with the entry check of its key if it has one. */
static int
usersettings_entry(const struct ipc_uset *u, const char *v,
    struct ipc_error *err)
{
	size_t	i;

	if (strlen(v) > IPC_MAX_STR || !usersettings_text_ok(v))
		return ipc_fail(err, IPC_E_INVALID, u->key, "%s: an entry must "
		    "be one line of at most %d characters", u->key, IPC_MAX_STR);
	for (i = 0; i < sizeof usersettings_entries /
	    sizeof usersettings_entries[0]; i++) {
		if (strcmp(usersettings_entries[i].key, u->key) == 0)
			return usersettings_entries[i].check(u, v, err);
	}
	return 0;
}

/* A JSON array text, or else the value is the one entry ("" none). */
static json_t *
usersettings_list_parse(const struct ipc_uset *u, const char *v,
    struct ipc_error *err)
{
	json_t		*a;
	json_error_t	 jerr;

	if (*v != '[')
		return *v == '\0' ? json_array() : json_pack("[s]", v);
	if ((a = json_loads(v, 0, &jerr)) == NULL) {
		ipc_fail(err, IPC_E_INVALID, u->key, "%s must be a JSON array of "
		    "strings or a single entry: %s", u->key, jerr.text);
		return NULL;
	}
	if (!json_is_array(a)) {
		json_decref(a);
		ipc_fail(err, IPC_E_INVALID, u->key, "%s must be a JSON array of "
		    "strings or a single entry", u->key);
		return NULL;
	}
	return a;
}

static char *
usersettings_list(const struct ipc_uset *u, const char *v, struct ipc_error *err)
{
	json_t	*a, *e;
	size_t	 i;
	char	*out = NULL;

	if ((a = usersettings_list_parse(u, v, err)) == NULL)
		return NULL;
	if (json_array_size(a) > IPC_MAX_ITEMS) {
		ipc_fail(err, IPC_E_INVALID, u->key,
		    "%s takes at most %d entries", u->key, IPC_MAX_ITEMS);
		goto done;
	}
	json_array_foreach(a, i, e) {
		if (!json_is_string(e)) {
			ipc_fail(err, IPC_E_INVALID, u->key,
			    "%s must be a list of strings", u->key);
			goto done;
		}
		if (usersettings_entry(u, json_string_value(e), err) == -1)
			goto done;
	}
	if ((out = json_dumps(a, JSON_COMPACT)) == NULL)
		ipc_fail(err, IPC_E_INTERNAL, u->key, "out of memory");
done:
	json_decref(a);
	return out;
}

char *
ipc_uset_normalize(const struct ipc_uset *u, const char *value,
    struct ipc_error *err)
{
	static usersettings_fn *const fns[] = {
		[US_INT] = usersettings_int,
		[US_BOOL] = usersettings_bool,
		[US_ENUM] = usersettings_enum,
		[US_STR] = usersettings_str,
		[US_LIST] = usersettings_list,
	};

	if (value == NULL)
		value = "";
	return fns[u->type](u, value, err);
}
