/*
 * outfilterd.conf: INI (inih) read against the settings table.  Every
 * setting has a default; the file only overrides.  Errors name the file,
 * the line and the key.
 */
#define _GNU_SOURCE		/* asprintf, vasprintf */
#include "config.h"

#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "nrd.h"
#include "spam.h"

const struct conf_setting conf_settings[CONF_NSETTINGS] = {
#define SETTING(sec, k, t, d, mn, mx, fl, h) \
	{ #sec, #k, t, d, mn, mx, fl, h },
#include "settings.def"
#undef SETTING
};

/* What a value parser needs besides the text. */
struct conf_in {
	const struct conf_setting	*s;
	const char			*basedir;
	char				*why;
	size_t				 whylen;
};

typedef int conf_parse_fn(struct conf_in *, const char *, struct conf_value *);

/* A parser's refusal: fills why, returns -1. */
static int __attribute__((format(printf, 2, 3)))
conf_why(struct conf_in *in, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(in->why, in->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
conf_text(struct conf_value *v, const char *text)
{
	if ((v->text = strdup(text)) == NULL)
		return -1;
	return 0;
}

/* A path made absolute against basedir, so a chdir() later changes nothing. */
static char *
conf_abspath(const char *basedir, const char *path)
{
	char	 cwd[PATH_MAX], *out;

	if (*path == '\0' || *path == '/')
		return strdup(path);
	if (basedir == NULL) {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return NULL;
		basedir = cwd;
	}
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (strcmp(path, ".") == 0)
		return strdup(basedir);
	if (asprintf(&out, "%s%s%s", basedir,
	    basedir[strlen(basedir) - 1] == '/' ? "" : "/", path) == -1)
		return NULL;
	return out;
}

static int
conf_parse_string(struct conf_in *in, const char *text, struct conf_value *v)
{
	return conf_text(v, text);
}

static int
conf_parse_path(struct conf_in *in, const char *text, struct conf_value *v)
{
	if ((v->text = conf_abspath(in->basedir, text)) == NULL)
		return conf_why(in, "cannot make %s absolute: %s", text,
		    strerror(errno));
	return 0;
}

/* A whole number with nothing after it. */
static int
conf_number(const char *text, long long *n, char **end)
{
	errno = 0;
	if (!isdigit((unsigned char)*text) && *text != '-')
		return -1;
	*n = strtoll(text, end, 10);
	return errno == 0 ? 0 : -1;
}

static int
conf_range(struct conf_in *in, long long n, const char *text)
{
	if (n < in->s->min || n > in->s->max)
		return conf_why(in, "%s is out of range (%lld..%lld)", text,
		    in->s->min, in->s->max);
	return 0;
}

static int
conf_parse_int(struct conf_in *in, const char *text, struct conf_value *v)
{
	char	*end;

	if (conf_number(text, &v->num, &end) == -1 || *end != '\0')
		return conf_why(in, "not a whole number: %s", text);
	if (conf_range(in, v->num, text) == -1)
		return -1;
	return conf_text(v, text);
}

static const struct { const char *word; int val; } conf_bools[] = {
	{ "yes", 1 }, { "true", 1 }, { "on", 1 }, { "1", 1 },
	{ "no", 0 }, { "false", 0 }, { "off", 0 }, { "0", 0 },
};

static int
conf_parse_bool(struct conf_in *in, const char *text, struct conf_value *v)
{
	size_t	i;

	for (i = 0; i < sizeof conf_bools / sizeof conf_bools[0]; i++)
		if (strcasecmp(text, conf_bools[i].word) == 0) {
			v->num = conf_bools[i].val;
			return conf_text(v, v->num ? "yes" : "no");
		}
	return conf_why(in, "not yes or no: %s", text);
}

/* Seconds, or a number with a unit: 90, 90s, 15m, 2h, 1d. */
static int
conf_parse_duration(struct conf_in *in, const char *text, struct conf_value *v)
{
	static const char	 units[] = "smhd";
	static const long long	 mult[] = { 1, 60, 3600, 86400 };
	const char		*u;
	char			*end, buf[32];
	long long		 n;

	if (conf_number(text, &n, &end) == -1 || n < 0 ||
	    (*end != '\0' && (end[1] != '\0' || (u = strchr(units, *end)) == NULL)))
		return conf_why(in, "not a duration (seconds, or a number "
		    "followed by s, m, h or d): %s", text);
	if (*end != '\0') {
		if (n > LLONG_MAX / 86400)
			return conf_why(in, "%s is out of range", text);
		n *= mult[u - units];
	}
	v->num = n;
	snprintf(buf, sizeof buf, "%lld", n);
	if (conf_range(in, n, buf) == -1)
		return -1;
	return conf_text(v, buf);
}

/* "1.2.3.4:25" or "[::1]:25" into l; why on refusal. */
static int
conf_listen_one(char *item, struct conf_listen *l, char *why, size_t whylen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&l->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&l->ss;
	char			*host = item, *port, *end;
	long			 p;
	int			 v6 = 0;

	if (*host == '[') {
		host++;
		if ((port = strchr(host, ']')) == NULL || port[1] != ':')
			goto bad;
		*port = '\0';
		port += 2;
		v6 = 1;
	} else if ((port = strrchr(host, ':')) == NULL)
		goto bad;
	else if (memchr(host, ':', port - host) != NULL) {
		snprintf(why, whylen, "%s: an IPv6 address goes in brackets, "
		    "as [::1]:2525", item);
		return -1;
	} else
		*port++ = '\0';
	errno = 0;
	p = strtol(port, &end, 10);
	if (!isdigit((unsigned char)*port) || *end != '\0' || errno != 0 ||
	    p > 65535) {
		snprintf(why, whylen, "%s%s%s:%s: the port must be a number "
		    "from 0 to 65535", v6 ? "[" : "", host, v6 ? "]" : "", port);
		return -1;
	}
	memset(&l->ss, 0, sizeof l->ss);
	if (!v6 && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		l->sslen = sizeof *sin;
	} else if (v6 && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		l->sslen = sizeof *sin6;
	} else {
		snprintf(why, whylen, "%s: not an IP address", host);
		return -1;
	}
	snprintf(l->text, sizeof l->text, "%s%s%s:%ld", v6 ? "[" : "", host,
	    v6 ? "]" : "", p);
	return 0;
bad:
	snprintf(why, whylen, "%s: not address:port (IPv6 as [::1]:2525)", item);
	return -1;
}

/* A comma-separated list of address:port; empty means none. */
int
conf_parse_listen(const char *text, struct conf_listen **out, size_t *n,
    char *why, size_t whylen)
{
	struct conf_listen	*l = NULL, *nl;
	char			*copy, *item, *save = NULL;
	size_t			 count = 0;
	int			 rc = -1;

	*out = NULL;
	*n = 0;
	if ((copy = strdup(text)) == NULL)
		return -1;
	for (item = strtok_r(copy, ", \t", &save); item != NULL;
	    item = strtok_r(NULL, ", \t", &save)) {
		if ((nl = reallocarray(l, count + 1, sizeof *l)) == NULL)
			goto done;
		l = nl;
		if (conf_listen_one(item, &l[count], why, whylen) == -1)
			goto done;
		count++;
	}
	*out = l;
	*n = count;
	l = NULL;
	rc = 0;
done:
	free(l);
	free(copy);
	return rc;
}

/* The canonical text of a listen list: "a:p,b:p". */
static char *
conf_listen_text(const struct conf_listen *l, size_t n)
{
	char	*s;
	size_t	 i, len = 1;

	for (i = 0; i < n; i++)
		len += strlen(l[i].text) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, l[i].text);
	}
	return s;
}

static int
conf_parse_listen_value(struct conf_in *in, const char *text,
    struct conf_value *v)
{
	if (conf_parse_listen(text, &v->listen, &v->n, in->why,
	    in->whylen) == -1)
		return -1;
	if ((v->text = conf_listen_text(v->listen, v->n)) == NULL)
		return conf_why(in, "out of memory");
	return 0;
}

/* A uid given as a number or a user name. */
static int
conf_uid(struct conf_in *in, const char *word, uid_t *uid)
{
	struct passwd	*pw;
	long long	 n;
	char		*end;

	if (isdigit((unsigned char)*word)) {
		if (conf_number(word, &n, &end) == -1 || *end != '\0' ||
		    n < 0 || n >= (uid_t)-1)
			return conf_why(in, "not a uid: %s", word);
		*uid = n;
		return 0;
	}
	if ((pw = getpwnam(word)) == NULL)
		return conf_why(in, "no such user: %s", word);
	*uid = pw->pw_uid;
	return 0;
}

/* The canonical text of a uid list: "0,1000". */
static char *
conf_uids_text(const uid_t *uids, size_t n)
{
	char	*s;
	size_t	 i, len = 0, cap = n * 11 + 1;

	if ((s = calloc(1, cap)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		len += snprintf(s + len, cap - len, "%s%u", i ? "," : "",
		    (unsigned)uids[i]);
	return s;
}

static int
conf_parse_uids(struct conf_in *in, const char *text, struct conf_value *v)
{
	char	*copy, *item, *save = NULL;
	uid_t	*nu;
	int	 rc = 0;

	if ((copy = strdup(text)) == NULL)
		return conf_why(in, "out of memory");
	for (item = strtok_r(copy, ", \t", &save); item != NULL && rc == 0;
	    item = strtok_r(NULL, ", \t", &save)) {
		if ((nu = reallocarray(v->uids, v->n + 1, sizeof *nu)) == NULL)
			rc = conf_why(in, "out of memory");
		else if ((rc = conf_uid(in, item, &nu[v->n])) == 0)
			v->n++;
		if (nu != NULL)
			v->uids = nu;
	}
	free(copy);
	if (rc == 0 && (v->text = conf_uids_text(v->uids, v->n)) == NULL)
		rc = conf_why(in, "out of memory");
	return rc;
}

/*
 * ipc://PATH only: tcp:// is [control] remote_endpoint's, with CURVE.
 * Empty means derived for a setting whose default is empty.
 */
static int
conf_parse_endpoint(struct conf_in *in, const char *text, struct conf_value *v)
{
	struct sockaddr_un	 sun;
	char			*path;

	if (*text == '\0' && *in->s->def == '\0')
		return conf_text(v, "");
	if (strncmp(text, "ipc://", 6) != 0 || text[6] == '\0') {
		if (strncmp(text, "tcp://", 6) == 0)
			return conf_why(in, "%s: tcp:// needs CURVE: it goes in "
			    "[control] remote_endpoint (with curve_clients); "
			    "this one is ipc://PATH", text);
		return conf_why(in, "%s: not ipc://PATH", text);
	}
	if ((path = conf_abspath(in->basedir, text + 6)) == NULL)
		return conf_why(in, "cannot make %s absolute", text + 6);
	if (strlen(path) >= sizeof sun.sun_path) {
		conf_why(in, "%s: the socket path is longer than %zu bytes",
		    path, sizeof sun.sun_path - 1);
		free(path);
		return -1;
	}
	if (asprintf(&v->text, "ipc://%s", path) == -1)
		v->text = NULL;
	free(path);
	return v->text == NULL ? conf_why(in, "out of memory") : 0;
}

/*
 * The HOST[:PORT] of smtp://HOST[:PORT][?OPTIONS]: a host name or IPv4
 * address, or an IPv6 address in brackets; a port from 1 to 65535 (25
 * when left out, as relay_smtp.c takes it).  The options are checked when
 * the next hop is opened.
 */
static int
conf_nexthop_hostport(struct conf_in *in, const char *text, const char *hp,
    size_t len)
{
	const char	*port = NULL, *end = hp + len, *p;
	long		 n = 0;

	if (len > 0 && *hp == '[') {
		if ((p = memchr(hp, ']', len)) == NULL || p == hp + 1)
			return conf_why(in, "%s: an IPv6 next hop is written "
			    "smtp://[ADDRESS]:PORT", text);
		for (port = hp + 1; port < p; port++)
			if (!isxdigit((unsigned char)*port) && *port != ':' &&
			    *port != '.')
				return conf_why(in, "%s: \"%.*s\" is not an "
				    "IPv6 address", text, (int)(p - hp - 1),
				    hp + 1);
		hp = p + 1;
		if (hp < end && *hp != ':')
			return conf_why(in, "%s: want smtp://[ADDRESS]:PORT",
			    text);
		port = hp < end ? hp + 1 : NULL;
	} else if ((p = memchr(hp, ':', len)) != NULL &&
	    memchr(p + 1, ':', end - p - 1) != NULL) {
		return conf_why(in, "%s: an IPv6 address goes in brackets, as "
		    "smtp://[::1]:25", text);
	} else {
		for (p = hp; p < end && *p != ':'; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '.' && *p != '_')
				return conf_why(in, "%s: '%c' in the host name "
				    "(want smtp://HOST:PORT, IPv6 as "
				    "smtp://[::1]:25)", text, *p);
		if (p == hp)
			return conf_why(in, "%s: no host (want "
			    "smtp://HOST:PORT)", text);
		port = p < end ? p + 1 : NULL;
	}
	if (port == NULL)
		return 0;
	for (p = port; p < end && isdigit((unsigned char)*p) && n <= 65535;
	    p++)
		n = n * 10 + (*p - '0');
	if (p == port || p != end || n < 1 || n > 65535)
		return conf_why(in, "%s: the port must be a number from 1 to "
		    "65535", text);
	return 0;
}

/* smtp://HOST[:PORT][?OPTIONS], kept as written. */
static int
conf_parse_smtp_hop(struct conf_in *in, const char *text, struct conf_value *v)
{
	const char	*hp = text + 7;
	size_t		 len = strcspn(hp, "?");
	const char	*p;

	for (p = text; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return conf_why(in, "%s: a space or control character "
			    "in the next hop", text);
	if (memchr(hp, '/', len) != NULL)
		return conf_why(in, "%s: a next hop has no path (want "
		    "smtp://HOST:PORT)", text);
	if (conf_nexthop_hostport(in, text, hp, len) == -1)
		return -1;
	return conf_text(v, text) == -1 ? conf_why(in, "out of memory") : 0;
}

/* maildir:PATH (made absolute) or smtp://HOST[:PORT][?OPTIONS]. */
static int
conf_parse_nexthop(struct conf_in *in, const char *text, struct conf_value *v)
{
	char	*path;

	if (strncmp(text, "maildir:", 8) == 0 && text[8] != '\0') {
		if ((path = conf_abspath(in->basedir, text + 8)) == NULL)
			return conf_why(in, "cannot make %s absolute", text + 8);
		if (asprintf(&v->text, "maildir:%s", path) == -1)
			v->text = NULL;
		free(path);
		return v->text == NULL ? conf_why(in, "out of memory") : 0;
	}
	if (strncasecmp(text, "smtp://", 7) == 0)
		return conf_parse_smtp_hop(in, text, v);
	if (strncasecmp(text, "smtp:", 5) == 0)
		return conf_why(in, "%s: write the SMTP next hop as "
		    "smtp://HOST:PORT (IPv6: smtp://[ADDRESS]:PORT)", text);
	return conf_why(in, "%s: not maildir:PATH or smtp://HOST:PORT", text);
}

struct conf_name { const char *name; int val; };

static const struct conf_name conf_levels[] = {
	{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "notice", LOG_NOTICE },
	{ "warning", LOG_WARNING }, { "err", LOG_ERR }, { NULL, 0 }
};

static const struct conf_name conf_facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 }, { NULL, 0 }
};

static int
conf_parse_name(struct conf_in *in, const char *text, struct conf_value *v,
    const struct conf_name *names, const char *what)
{
	const struct conf_name	*n;

	for (n = names; n->name != NULL; n++)
		if (strcmp(text, n->name) == 0) {
			v->num = n->val;
			return conf_text(v, text);
		}
	return conf_why(in, "%s: not a %s", text, what);
}

static int
conf_parse_loglevel(struct conf_in *in, const char *text, struct conf_value *v)
{
	return conf_parse_name(in, text, v, conf_levels,
	    "log level (debug, info, notice, warning, err)");
}

static int
conf_parse_facility(struct conf_in *in, const char *text, struct conf_value *v)
{
	return conf_parse_name(in, text, v, conf_facilities,
	    "syslog facility (mail, daemon, user, local0..local7)");
}

static int
conf_parse_user(struct conf_in *in, const char *text, struct conf_value *v)
{
	if (*text != '\0' && getpwnam(text) == NULL)
		return conf_why(in, "no such user: %s", text);
	return conf_text(v, text);
}

/* The spam engine: checked by the spam code, which reads it. */
static int
conf_parse_spamengine(struct conf_in *in, const char *text,
    struct conf_value *v)
{
	char	why[256];

	if (spam_spec_check(text, why, sizeof why) == -1)
		return conf_why(in, "%s: %s", text, why);
	return conf_text(v, text);
}

static const struct conf_name conf_spamfail[] = {
	{ "tempfail", 0 }, { "pass", 1 }, { NULL, 0 }
};

static int
conf_parse_spamfail(struct conf_in *in, const char *text, struct conf_value *v)
{
	return conf_parse_name(in, text, v, conf_spamfail,
	    "choice: tempfail (451 4.7.1) or pass (unscanned)");
}

/*
 * tcp://ADDRESS:PORT, ADDRESS an IPv4 address, an IPv6 one in brackets or
 * * (every interface); or empty: none.
 */
static int
conf_parse_remote(struct conf_in *in, const char *text, struct conf_value *v)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	const char	*hp = text + 6, *colon;
	char		 host[INET6_ADDRSTRLEN + 2], *end;
	long		 port;
	size_t		 len;

	if (*text == '\0')
		return conf_text(v, "");
	if (strncmp(text, "tcp://", 6) != 0 ||
	    (colon = strrchr(hp, ':')) == NULL)
		return conf_why(in, "%s: not tcp://ADDRESS:PORT", text);
	if ((len = (size_t)(colon - hp)) == 0 || len >= sizeof host)
		return conf_why(in, "%s: not tcp://ADDRESS:PORT", text);
	memcpy(host, hp, len);
	host[len] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!isdigit((unsigned char)colon[1]) || *end != '\0' || errno != 0 ||
	    port < 1 || port > 65535)
		return conf_why(in, "%s: the port is not a number from 1 to "
		    "65535", text);
	if (strcmp(host, "*") == 0 || inet_pton(AF_INET, host, &a4) == 1)
		return conf_text(v, text);
	if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
		host[len - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6) == 1)
			return conf_text(v, text);
	}
	return conf_why(in, "%s: the address is not an IPv4 address, an IPv6 "
	    "address in brackets or *", text);
}

/* An http:// or https:// base URL (nrd.c checks it), or empty: none. */
static int
conf_parse_url(struct conf_in *in, const char *text, struct conf_value *v)
{
	char	why[256];

	if (*text != '\0' && nrd_url_check(text, why, sizeof why) == -1)
		return conf_why(in, "%s: %s", text, why);
	return conf_text(v, text);
}

static conf_parse_fn *const conf_parsers[] = {
	[CT_STRING] = conf_parse_string,
	[CT_PATH] = conf_parse_path,
	[CT_INT] = conf_parse_int,
	[CT_BOOL] = conf_parse_bool,
	[CT_DURATION] = conf_parse_duration,
	[CT_LISTEN] = conf_parse_listen_value,
	[CT_UIDS] = conf_parse_uids,
	[CT_ENDPOINT] = conf_parse_endpoint,
	[CT_NEXTHOP] = conf_parse_nexthop,
	[CT_LOGLEVEL] = conf_parse_loglevel,
	[CT_FACILITY] = conf_parse_facility,
	[CT_USER] = conf_parse_user,
	[CT_SPAMENGINE] = conf_parse_spamengine,
	[CT_SPAMFAIL] = conf_parse_spamfail,
	[CT_URL] = conf_parse_url,
	[CT_REMOTE] = conf_parse_remote,
};

static void
conf_value_clear(struct conf_value *v)
{
	free(v->text);
	free(v->listen);
	free(v->uids);
	memset(v, 0, sizeof *v);
}

/* Parse text as setting id into c; why on refusal. */
static int
conf_set(struct config *c, int id, const char *text, const char *basedir,
    char *why, size_t whylen)
{
	struct conf_in		in = { &conf_settings[id], basedir, why, whylen };
	struct conf_value	v;

	memset(&v, 0, sizeof v);
	if (conf_parsers[in.s->type](&in, text, &v) == -1 || v.text == NULL) {
		if (v.text == NULL && why[0] == '\0')
			snprintf(why, whylen, "out of memory");
		conf_value_clear(&v);
		return -1;
	}
	conf_value_clear(&c->v[id]);
	c->v[id] = v;
	return 0;
}

int
conf_find(const char *section, const char *key)
{
	int	i;

	for (i = 0; i < CONF_NSETTINGS; i++)
		if (strcmp(conf_settings[i].section, section) == 0 &&
		    strcmp(conf_settings[i].key, key) == 0)
			return i;
	return -1;
}

static int
conf_section_known(const char *section)
{
	int	i;

	for (i = 0; i < CONF_NSETTINGS; i++)
		if (strcmp(conf_settings[i].section, section) == 0)
			return 1;
	return 0;
}

/*
 * The state of one file's parse.  inih reads through conf_read() so that
 * the handler knows the line it is called for.
 */
struct conf_parse {
	struct config	*c;
	const char	*file;
	const char	*basedir;
	FILE		*fp;
	char		*buf;
	size_t		 cap;
	int		 line;
	int		 indented;	/* the current line starts with a blank */
	int		 errline;	/* of the first error, 0: none */
	char		*err;
};

static void __attribute__((format(printf, 3, 4)))
conf_error(struct conf_parse *p, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	if (p->err != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) == -1)
		why = NULL;
	va_end(ap);
	p->errline = p->line;
	if (asprintf(&p->err, "%s:%d: %s: %s", p->file, p->line, key,
	    why != NULL ? why : "out of memory") == -1)
		p->err = NULL;
	free(why);
}

/* fgets for inih, counting lines; a line too long for inih is an error. */
static char *
conf_read(char *str, int num, void *stream)
{
	struct conf_parse	*p = stream;
	ssize_t			 n;

	if ((n = getline(&p->buf, &p->cap, p->fp)) == -1)
		return NULL;
	p->line++;
	p->indented = p->buf[0] == ' ' || p->buf[0] == '\t';
	if (n > num - 3) {
		conf_error(p, "line", "longer than %d characters", num - 3);
		snprintf(str, num, "\n");
	} else
		memcpy(str, p->buf, n + 1);
	return str;
}

static int
conf_handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct conf_parse	*p = user;
	char			 why[512] = "";
	int			 id;

	if (p->indented) {
		conf_error(p, key, "an indented line continues the value "
		    "above; write each value on one line");
		return 0;
	}
	if (*section == '\0') {
		conf_error(p, key, "outside of any [section]");
		return 0;
	}
	if ((id = conf_find(section, key)) == -1) {
		if (conf_section_known(section))
			conf_error(p, key, "unknown key in section [%s]", section);
		else
			conf_error(p, key, "unknown section [%s]", section);
		return 0;
	}
	if (p->c->v[id].line != 0) {
		conf_error(p, key, "set twice in [%s] (first on line %d)",
		    section, p->c->v[id].line);
		return 0;
	}
	if (conf_set(p->c, id, value, p->basedir, why, sizeof why) == -1) {
		conf_error(p, key, "%s", why);
		return 0;
	}
	p->c->v[id].line = p->line;
	return 1;
}

/* Read file over the defaults already in c. */
static int
conf_read_file(struct config *c, const char *file, const char *basedir,
    char **cause)
{
	struct conf_parse	p;
	int			rc;

	memset(&p, 0, sizeof p);
	p.c = c;
	p.file = file;
	p.basedir = basedir;
	if ((p.fp = fopen(file, "r")) == NULL)
		return ipc_cause(cause, "%s: %s", file, strerror(errno));
	rc = ini_parse_stream(conf_read, &p, conf_handler, &p);
	fclose(p.fp);
	free(p.buf);
	if (rc == 0 && p.err == NULL)
		return 0;
	if (rc > 0 && (p.err == NULL || rc < p.errline)) {
		free(p.err);
		return ipc_cause(cause, "%s:%d: syntax error: expected "
		    "\"key = value\" or \"[section]\"", file, rc);
	}
	if (rc < 0 && p.err == NULL)
		return ipc_cause(cause, "%s: cannot be read", file);
	if (cause != NULL)
		*cause = p.err;
	else
		free(p.err);
	return -1;
}

static int
conf_defaults(struct config *c, const char *basedir, char **cause)
{
	char	why[512];
	int	i;

	for (i = 0; i < CONF_NSETTINGS; i++) {
		why[0] = '\0';
		if (conf_set(c, i, conf_settings[i].def, basedir, why,
		    sizeof why) == -1)
			return ipc_cause(cause, "built-in default of %s: %s",
			    conf_settings[i].key, why);
	}
	return 0;
}

/* Replace an empty setting with text. */
static int
conf_derive(struct config *c, enum conf_id id, const char *text)
{
	char	*s;

	if (c->v[id].text[0] != '\0')
		return 0;
	if ((s = strdup(text)) == NULL)
		return -1;
	free(c->v[id].text);
	c->v[id].text = s;
	return 0;
}

/*
 * "FILE:LINE: " of the line that set id (of alt when id is a default),
 * for a refusal found after the file was read; "" when neither was set
 * in the file.
 */
const char *
conf_where(const struct config *c, enum conf_id id, enum conf_id alt,
    char *buf, size_t len)
{
	int	line = c->v[id].line != 0 ? c->v[id].line : c->v[alt].line;

	buf[0] = '\0';
	if (c->file != NULL && line != 0)
		snprintf(buf, len, "%s:%d: ", c->file, line);
	return buf;
}

/*
 * [control] events: by default "events" in the control socket's
 * directory; never the control socket itself.
 */
static int
conf_derive_events(struct config *c, char **cause)
{
	struct sockaddr_un	 sun;
	const char		*ctl = conf_ipc_path(c), *slash;
	char			 buf[PATH_MAX + 32], where[PATH_MAX + 32];

	conf_where(c, CONF_control_events, CONF_control_endpoint, where,
	    sizeof where);
	if (ctl != NULL && (slash = strrchr(ctl, '/')) != NULL) {
		snprintf(buf, sizeof buf, "ipc://%.*s/events",
		    (int)(slash - ctl), ctl);
		if (strlen(buf + 6) >= sizeof sun.sun_path &&
		    c->v[CONF_control_events].text[0] == '\0')
			return ipc_cause(cause, "%s[control] events: the "
			    "default %s is longer than a socket path may be; "
			    "set it", where, buf);
		if (conf_derive(c, CONF_control_events, buf) == -1)
			return ipc_cause(cause, "out of memory");
	}
	if (strcmp(conf_str(c, CONF_control_events),
	    conf_str(c, CONF_control_endpoint)) == 0)
		return ipc_cause(cause, "%s[control] events: %s is the control "
		    "socket; the event socket needs a path of its own", where,
		    conf_str(c, CONF_control_events));
	return 0;
}

/* The settings whose empty default is made from others. */
static int
conf_derive_all(struct config *c, char **cause)
{
	char	buf[PATH_MAX + 32], host[256];

	snprintf(buf, sizeof buf, "%s/outfilter.db",
	    conf_str(c, CONF_paths_state_dir));
	if (conf_derive(c, CONF_paths_database, buf) == -1)
		return ipc_cause(cause, "out of memory");
	snprintf(buf, sizeof buf, "%s/outfilterd.pid",
	    conf_str(c, CONF_paths_run_dir));
	if (conf_derive(c, CONF_daemon_pid_file, buf) == -1)
		return ipc_cause(cause, "out of memory");
	snprintf(buf, sizeof buf, "%s/dkim.key",
	    conf_str(c, CONF_paths_state_dir));
	if (conf_derive(c, CONF_dkim_key_file, buf) == -1)
		return ipc_cause(cause, "out of memory");
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	if (conf_derive(c, CONF_smtp_hostname, host) == -1)
		return ipc_cause(cause, "out of memory");
	snprintf(buf, sizeof buf, "%s/quarantine",
	    conf_str(c, CONF_paths_state_dir));
	if (conf_derive(c, CONF_quarantine_dir, buf) == -1)
		return ipc_cause(cause, "out of memory");
	snprintf(buf, sizeof buf, "%s/archive",
	    conf_str(c, CONF_paths_state_dir));
	if (conf_derive(c, CONF_archive_dir, buf) == -1)
		return ipc_cause(cause, "out of memory");
	snprintf(buf, sizeof buf, "%s/archive.key",
	    conf_str(c, CONF_paths_state_dir));
	if (conf_derive(c, CONF_archive_key_file, buf) == -1)
		return ipc_cause(cause, "out of memory");
	snprintf(buf, sizeof buf, "%s/curve.key",
	    conf_str(c, CONF_paths_state_dir));
	if (conf_derive(c, CONF_control_curve_secret_file, buf) == -1)
		return ipc_cause(cause, "out of memory");
	snprintf(buf, sizeof buf, "postmaster@%s",
	    conf_str(c, CONF_smtp_hostname));
	if (conf_derive(c, CONF_notice_from, buf) == -1)
		return ipc_cause(cause, "out of memory");
	return conf_derive_events(c, cause);
}

struct config *
conf_load(const char *file, const char *basedir, char **cause)
{
	struct config	*c;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	c->refs = 1;
	if (file != NULL && (c->file = strdup(file)) == NULL) {
		ipc_cause(cause, "out of memory");
		goto fail;
	}
	if (conf_defaults(c, basedir, cause) == -1 ||
	    (file != NULL && conf_read_file(c, file, basedir, cause) == -1) ||
	    conf_derive_all(c, cause) == -1)
		goto fail;
	return c;
fail:
	conf_unref(c);
	return NULL;
}

struct config *
conf_ref(struct config *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
	return c;
}

void
conf_unref(struct config *c)
{
	int	i;

	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	for (i = 0; i < CONF_NSETTINGS; i++)
		conf_value_clear(&c->v[i]);
	free(c->file);
	free(c);
}

const char *
conf_str(const struct config *c, enum conf_id id)
{
	return c->v[id].text;
}

long long
conf_int(const struct config *c, enum conf_id id)
{
	return c->v[id].num;
}

const struct conf_listen *
conf_listen(const struct config *c, enum conf_id id, size_t *n)
{
	*n = c->v[id].n;
	return c->v[id].listen;
}

int
conf_has_uid(const struct config *c, enum conf_id id, uid_t uid)
{
	size_t	i;

	for (i = 0; i < c->v[id].n; i++)
		if (c->v[id].uids[i] == uid)
			return 1;
	return 0;
}

const char *
conf_ipc_path(const struct config *c)
{
	const char	*ep = conf_str(c, CONF_control_endpoint);

	return strncmp(ep, "ipc://", 6) == 0 ? ep + 6 : NULL;
}

static int
conf_value_copy(struct conf_value *dst, const struct conf_value *src)
{
	memset(dst, 0, sizeof *dst);
	*dst = *src;
	dst->text = strdup(src->text);
	dst->listen = NULL;
	dst->uids = NULL;
	if (src->listen != NULL && (dst->listen = calloc(src->n,
	    sizeof *dst->listen)) != NULL)
		memcpy(dst->listen, src->listen, src->n * sizeof *dst->listen);
	if (src->uids != NULL && (dst->uids = calloc(src->n,
	    sizeof *dst->uids)) != NULL)
		memcpy(dst->uids, src->uids, src->n * sizeof *dst->uids);
	if (dst->text == NULL || (src->listen != NULL && dst->listen == NULL) ||
	    (src->uids != NULL && dst->uids == NULL)) {
		conf_value_clear(dst);
		return -1;
	}
	return 0;
}

void
conf_keep_restart(struct config *new, const struct config *old,
    void (*changed)(const struct conf_setting *, const char *, const char *))
{
	struct conf_value	v;
	int			i;

	for (i = 0; i < CONF_NSETTINGS; i++) {
		if (!(conf_settings[i].flags & CONF_RESTART) ||
		    strcmp(new->v[i].text, old->v[i].text) == 0)
			continue;
		if (changed != NULL)
			changed(&conf_settings[i], old->v[i].text,
			    new->v[i].text);
		if (conf_value_copy(&v, &old->v[i]) == 0) {
			conf_value_clear(&new->v[i]);
			new->v[i] = v;
		}
	}
}
