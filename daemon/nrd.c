/*
 * Newly registered domains (nrd.h).
 *
 * A domain is judged by its registrable domain (libpsl: the latest list
 * installed on the system, else the one built into the library): first
 * by the imported feed, then, with [nrd] rdap_url set, by the RDAP
 * server's "registration" event.  RDAP answers are cached in the
 * database: a registration date for NRD_TTL_FOUND (it does not change),
 * "no such domain" for NRD_TTL_NOT_FOUND, a failure for NRD_TTL_FAILED,
 * so that a dead server costs one time-out per domain and minute, not one
 * per message.  A server that cannot be reached at all is not asked again
 * for NRD_DOWN_SECS.
 *
 * The RDAP client speaks HTTP/1.0 over a socket of its own (no chunked
 * bodies to undo), with one deadline over name lookup excepted, connect,
 * request and answer.  https:// wraps the socket in OpenSSL, verifying
 * the server's certificate and name against the system's trust store.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <jansson.h>
#include <libpsl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "db.h"
#include "ipc.h"
#include "log.h"
#include "nrd.h"

#define NRD_MAX_DOMAINS		4	/* judged per message at most */
#define NRD_LINE_MAX		1024
#define NRD_SOURCE_MAX		128
#define NRD_BAD_TEXT		80	/* bytes of a bad line shown */
#define NRD_FUTURE_SLACK	86400	/* a feed's clock may run ahead */
#define NRD_KEEP_SECS		(90 * 86400)
#define NRD_PURGE_BATCH		10000

#define NRD_TTL_FOUND		(7 * 86400)
#define NRD_TTL_NOT_FOUND	3600
#define NRD_TTL_FAILED		60
#define NRD_DOWN_SECS		30

#define NRD_HTTP_MAX		(256 * 1024)	/* largest RDAP answer read */
#define NRD_REDIRECTS		3

static int64_t	(*nrd_clock)(void);

void
nrd_clock_set(int64_t (*now)(void))
{
	nrd_clock = now;
}

static int64_t
nrd_now(void)
{
	return nrd_clock != NULL ? nrd_clock() : (int64_t)time(NULL);
}

static void
nrd_time_format(int64_t t, char *buf, size_t len)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* ---- names ------------------------------------------------------------ */

static pthread_once_t	 nrd_once = PTHREAD_ONCE_INIT;
static psl_ctx_t	*nrd_psl_latest;
static const psl_ctx_t	*nrd_psl;
static SSL_CTX		*nrd_ssl;

/*
 * The Public Suffix List, GMime's types and the TLS context: made once,
 * read-only afterwards, shared by every thread.
 */
static void
nrd_init(void)
{
	if ((nrd_psl_latest = psl_latest(NULL)) != NULL)
		nrd_psl = nrd_psl_latest;
	else
		nrd_psl = psl_builtin();
	g_mime_init();
	if ((nrd_ssl = SSL_CTX_new(TLS_client_method())) != NULL) {
		SSL_CTX_set_min_proto_version(nrd_ssl, TLS1_2_VERSION);
		SSL_CTX_set_verify(nrd_ssl, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_set_default_verify_paths(nrd_ssl) != 1)
			ERR_clear_error();
	}
}

char *
nrd_registrable(const char *domain, char *why, size_t len)
{
	const char	*reg;
	char		*norm, *out;

	pthread_once(&nrd_once, nrd_init);
	if ((norm = db_domain_normalize(domain, NULL)) == NULL) {
		snprintf(why, len, "\"%.*s\" is not a domain name",
		    NRD_BAD_TEXT, domain);
		return NULL;
	}
	if (nrd_psl == NULL ||
	    (reg = psl_registrable_domain(nrd_psl, norm)) == NULL) {
		snprintf(why, len, "%s is a public suffix, not a registrable "
		    "domain", norm);
		free(norm);
		return NULL;
	}
	out = strdup(reg);
	free(norm);
	if (out == NULL)
		snprintf(why, len, "out of memory");
	return out;
}

/* ---- times ------------------------------------------------------------ */

/* n digits at *s into *v. */
static int
nrd_digits(const char **s, int n, int *v)
{
	*v = 0;
	for (; n > 0; n--, (*s)++) {
		if (!isdigit((unsigned char)**s))
			return -1;
		*v = *v * 10 + (**s - '0');
	}
	return 0;
}

/* "Z", "+HH:MM", "-HHMM", "+HH" or nothing: the offset east of UTC. */
static int
nrd_zone(const char *s, int64_t *off)
{
	int	h = 0, m = 0, sign;

	*off = 0;
	if (*s == '\0' || ((*s == 'Z' || *s == 'z') && s[1] == '\0'))
		return 0;
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (nrd_digits(&s, 2, &h) == -1 || h > 23)
		return -1;
	if (*s == ':')
		s++;
	if (*s != '\0' && (nrd_digits(&s, 2, &m) == -1 || m > 59))
		return -1;
	if (*s != '\0')
		return -1;
	*off = sign * ((int64_t)h * 3600 + m * 60);
	return 0;
}

/* HH:MM[:SS[.frac]] into tm; *s left after it. */
static int
nrd_clock_fields(const char **s, struct tm *tm)
{
	if (nrd_digits(s, 2, &tm->tm_hour) == -1 || *(*s)++ != ':' ||
	    nrd_digits(s, 2, &tm->tm_min) == -1)
		return -1;
	if (**s == ':') {
		(*s)++;
		if (nrd_digits(s, 2, &tm->tm_sec) == -1)
			return -1;
		if (**s == '.' || **s == ',') {
			(*s)++;
			if (!isdigit((unsigned char)**s))
				return -1;
			while (isdigit((unsigned char)**s))
				(*s)++;
		}
	}
	return tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60 ? -1 : 0;
}

int
nrd_time_parse(const char *s, int64_t *t)
{
	struct tm	 tm;
	const char	*p;
	int64_t		 off;

	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (p != s && *p == '\0' && p - s <= 12) {
		*t = strtoll(s, NULL, 10);
		return 0;
	}
	memset(&tm, 0, sizeof tm);
	if (nrd_digits(&s, 4, &tm.tm_year) == -1 || *s++ != '-' ||
	    nrd_digits(&s, 2, &tm.tm_mon) == -1 || *s++ != '-' ||
	    nrd_digits(&s, 2, &tm.tm_mday) == -1)
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_year < 1970)
		return -1;
	if ((*s == 'T' || *s == 't' || *s == ' ') && s[1] != '\0') {
		s++;
		if (nrd_clock_fields(&s, &tm) == -1)
			return -1;
	}
	if (nrd_zone(s, &off) == -1)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = (int64_t)timegm(&tm) - off;
	return 0;
}

int
nrd_is_new(int64_t registered, int64_t now, int64_t max_age_secs)
{
	return now - registered < max_age_secs;
}

/* ---- the feed --------------------------------------------------------- */

/* s without the blanks around it, into buf. */
static void
nrd_trim(const char *s, size_t n, char *buf, size_t len)
{
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

int
nrd_line_parse(const char *line, char **domain, int64_t *registered,
    char *why, size_t len)
{
	char		 name[NRD_LINE_MAX], date[NRD_LINE_MAX];
	const char	*comma;

	*domain = NULL;
	*registered = 0;
	nrd_trim(line, strlen(line), name, sizeof name);
	if (name[0] == '\0' || name[0] == '#')
		return 0;
	if (strlen(line) >= NRD_LINE_MAX) {
		snprintf(why, len, "the line is longer than %d bytes",
		    NRD_LINE_MAX - 1);
		return -1;
	}
	date[0] = '\0';
	if ((comma = strchr(line, ',')) != NULL) {
		nrd_trim(line, comma - line, name, sizeof name);
		nrd_trim(comma + 1, strlen(comma + 1), date, sizeof date);
		if (strchr(date, ',') != NULL || date[0] == '\0') {
			snprintf(why, len, "want DOMAIN or DOMAIN,REGISTERED-AT");
			return -1;
		}
		if (nrd_time_parse(date, registered) == -1) {
			snprintf(why, len, "\"%.*s\" is not a time: give "
			    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM] or "
			    "seconds since the epoch", NRD_BAD_TEXT, date);
			return -1;
		}
		if (*registered > nrd_now() + NRD_FUTURE_SLACK) {
			snprintf(why, len, "%s lies in the future", date);
			return -1;
		}
		if (*registered == 0)
			*registered = 1;	/* 0 means "not given" */
	}
	if (strpbrk(name, " \t") != NULL) {
		snprintf(why, len, "want DOMAIN or DOMAIN,REGISTERED-AT");
		return -1;
	}
	if ((*domain = nrd_registrable(name, why, len)) == NULL)
		return -1;
	return 1;
}

/* A bad line as shown: printable ASCII, cut short. */
static json_t *
nrd_bad_line(int64_t n, const char *line, const char *why)
{
	char	text[NRD_BAD_TEXT + 4];
	size_t	i;

	for (i = 0; line[i] != '\0' && i < NRD_BAD_TEXT; i++)
		text[i] = (unsigned char)line[i] >= 0x20 &&
		    (unsigned char)line[i] < 0x7f ? line[i] : '?';
	if (line[i] != '\0')
		memcpy(text + i, "...", 4);
	else
		text[i] = '\0';
	return json_pack("{s:I,s:s,s:s}", "line", (json_int_t)n, "text", text,
	    "error", why);
}

/* What nrd_import gathers from the text. */
struct nrd_batch {
	struct db_nrd_line	*lines;
	size_t			 n, cap;
	json_int_t		 read, skipped, bad;
	json_t			*bad_lines;
};

static int
nrd_batch_add(struct nrd_batch *b, char *domain, int64_t registered)
{
	struct db_nrd_line	*l;
	size_t			 cap;

	if (b->n == b->cap) {
		cap = b->cap == 0 ? 256 : b->cap * 2;
		if ((l = reallocarray(b->lines, cap, sizeof *l)) == NULL)
			return -1;
		b->lines = l;
		b->cap = cap;
	}
	b->lines[b->n].domain = domain;
	b->lines[b->n++].registered_at = registered;
	return 0;
}

static void
nrd_batch_free(struct nrd_batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++)
		free((char *)b->lines[i].domain);
	free(b->lines);
	json_decref(b->bad_lines);
}

/* One line of the text (NUL-terminated here, its CR gone). */
static int
nrd_batch_line(struct nrd_batch *b, const char *line, int64_t number)
{
	char	 why[256], *domain;
	int64_t	 registered;
	int	 rc;

	b->read++;
	rc = nrd_line_parse(line, &domain, &registered, why, sizeof why);
	if (rc == 0)
		b->skipped++;
	else if (rc == -1) {
		if (b->bad++ < NRD_BAD_SHOWN)
			json_array_append_new(b->bad_lines,
			    nrd_bad_line(number, line, why));
	} else if (nrd_batch_add(b, domain, registered) == -1) {
		free(domain);
		return -1;
	}
	return 0;
}

static int
nrd_batch_read(struct nrd_batch *b, const char *text, int64_t first)
{
	const char	*p, *nl;
	char		*line;
	size_t		 n;
	int		 rc = 0;

	for (p = text; *p != '\0' && rc == 0;
	    p = nl != NULL ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((line = strndup(p, n)) == NULL)
			return -1;
		rc = nrd_batch_line(b, line, first + b->read);
		free(line);
	}
	return rc;
}

int
nrd_source_check(const char *s, char *why, size_t len)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(why, len, "the source name holds a control "
			    "character");
			return -1;
		}
	}
	if (i == 0 || i > NRD_SOURCE_MAX) {
		snprintf(why, len, "the source name must be 1 to %d bytes "
		    "long", NRD_SOURCE_MAX);
		return -1;
	}
	return 0;
}

int
nrd_import(struct db *db, const struct config *conf, const char *text,
    const char *source, int64_t first_line, json_t **result, char **cause)
{
	struct nrd_batch	 b;
	struct db_nrd_import	 im;
	int64_t			 purged, keep = conf_int(conf,
				    CONF_nrd_max_age_hours) * 3600 * 2;
	char			 why[128];
	int			 rc = -1;

	*result = NULL;
	memset(&im, 0, sizeof im);
	im.source = source != NULL ? source : "import";
	im.now = nrd_now();
	if (nrd_source_check(im.source, why, sizeof why) == -1)
		return ipc_cause(cause, "%s", why);
	memset(&b, 0, sizeof b);
	if ((b.bad_lines = json_array()) == NULL ||
	    nrd_batch_read(&b, text, first_line < 1 ? 1 : first_line) == -1) {
		nrd_batch_free(&b);
		return ipc_cause(cause, "out of memory");
	}
	im.lines = b.read;
	im.bad = b.bad;
	if (keep < NRD_KEEP_SECS)
		keep = NRD_KEEP_SECS;
	if (db_nrd_import(db, b.lines, b.n, &im, cause) == 0 &&
	    db_nrd_purge(db, im.now - keep, NRD_PURGE_BATCH, &purged,
	    cause) == 0) {
		*result = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:O}",
		    "source", im.source, "lines", b.read, "imported",
		    (json_int_t)im.taken, "kept", (json_int_t)im.kept,
		    "skipped", b.skipped, "bad", b.bad, "bad_lines",
		    b.bad_lines);
		rc = *result != NULL ? 0 : ipc_cause(cause, "out of memory");
	}
	nrd_batch_free(&b);
	return rc;
}

/* ---- HTTP ------------------------------------------------------------- */

struct nrd_url {
	int	tls;
	char	host[256];
	char	port[8];
	char	path[1024];	/* from the '/' on, "" for none */
};

/* Split an http(s) URL; -1 with why. */
static int
nrd_url_parse(const char *url, struct nrd_url *u, char *why, size_t len)
{
	const char	*h, *end, *p;
	size_t		 hl;
	long		 port;

	memset(u, 0, sizeof *u);
	if (strncasecmp(url, "http://", 7) == 0)
		h = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0) {
		h = url + 8;
		u->tls = 1;
	} else
		return snprintf(why, len, "want http://HOST[:PORT][/PATH] or "
		    "https://HOST[:PORT][/PATH]"), -1;
	for (p = url; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '?' || *p == '#')
			return snprintf(why, len, "a space, control character, "
			    "query or fragment in the URL"), -1;
	}
	end = h + strcspn(h, "/");
	if (*h == '[') {
		if ((p = memchr(h, ']', end - h)) == NULL)
			return snprintf(why, len, "an IPv6 address in the URL "
			    "wants its closing bracket"), -1;
		hl = p - h - 1;
		memcpy(u->host, h + 1, hl < sizeof u->host ? hl : 0);
		p++;
	} else {
		p = h + strcspn(h, ":/");
		hl = p - h;
		if (hl >= sizeof u->host)
			return snprintf(why, len, "the host name is too long"),
			    -1;
		memcpy(u->host, h, hl);
	}
	if (u->host[0] == '\0' || strpbrk(u->host, "@%") != NULL)
		return snprintf(why, len, "no host name in the URL"), -1;
	snprintf(u->port, sizeof u->port, "%s", u->tls ? "443" : "80");
	if (p < end && *p == ':') {
		port = strtol(p + 1, (char **)&p, 10);
		if (p != end || port < 1 || port > 65535)
			return snprintf(why, len, "the port must be a number "
			    "from 1 to 65535"), -1;
		snprintf(u->port, sizeof u->port, "%ld", port);
	} else if (p != end)
		return snprintf(why, len, "want HOST[:PORT] after the "
		    "scheme"), -1;
	if (strlen(end) >= sizeof u->path)
		return snprintf(why, len, "the path is too long"), -1;
	snprintf(u->path, sizeof u->path, "%s", end);
	return 0;
}

int
nrd_url_check(const char *url, char *why, size_t len)
{
	struct nrd_url	u;

	return nrd_url_parse(url, &u, why, len);
}

/* Milliseconds left before the deadline (0: none left). */
static int
nrd_left(const struct timespec *deadline)
{
	struct timespec	now;
	long long	ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms;
}

/* Let the next blocking read or write wait no longer than the deadline. */
static int
nrd_sock_deadline(int fd, const struct timespec *deadline)
{
	struct timeval	tv;
	int		ms = nrd_left(deadline);

	if (ms == 0)
		return -1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1)
		return -1;
	return 0;
}

/* Connect to one address before the deadline; the socket, or -1. */
static int
nrd_connect_one(const struct addrinfo *ai, const struct timespec *deadline)
{
	struct pollfd	pfd;
	socklen_t	len = sizeof(int);
	int		fd, err = 0, flags;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol)) == -1)
		return -1;
	flags = fcntl(fd, F_GETFL);
	if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, nrd_left(deadline)) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			errno = err != 0 ? err : errno;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, flags) == -1)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* A connected socket to the URL's host; -1 with why (*down: unreachable). */
static int
nrd_connect(const struct nrd_url *u, const struct timespec *deadline,
    int *down, char *why, size_t len)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(u->host, u->port, &hints, &res)) != 0) {
		*down = 1;
		snprintf(why, len, "%.100s: %.100s", u->host,
		    gai_strerror(rc));
		return -1;
	}
	errno = ETIMEDOUT;
	for (ai = res; ai != NULL && fd == -1 && nrd_left(deadline) > 0;
	    ai = ai->ai_next)
		fd = nrd_connect_one(ai, deadline);
	if (fd == -1) {
		*down = 1;
		snprintf(why, len, "cannot connect to %.100s port %s: %.80s",
		    u->host, u->port, strerror(errno));
	}
	freeaddrinfo(res);
	return fd;
}

/* One connection: the socket, and TLS over it for https. */
struct nrd_conn {
	int	 fd;
	SSL	*ssl;
};

static int
nrd_tls_start(struct nrd_conn *c, const struct nrd_url *u,
    const struct timespec *deadline, char *why, size_t len)
{
	unsigned long	e;

	if (nrd_ssl == NULL || (c->ssl = SSL_new(nrd_ssl)) == NULL) {
		snprintf(why, len, "cannot set up TLS");
		return -1;
	}
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_tlsext_host_name(c->ssl, u->host);
	SSL_set1_host(c->ssl, u->host);
	if (nrd_sock_deadline(c->fd, deadline) == -1 ||
	    SSL_connect(c->ssl) != 1) {
		e = ERR_get_error();
		snprintf(why, len, "TLS with %.100s failed: %.100s", u->host,
		    e != 0 ? ERR_reason_error_string(e) : "timed out");
		ERR_clear_error();
		return -1;
	}
	return 0;
}

static void
nrd_conn_close(struct nrd_conn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	if (c->fd != -1)
		close(c->fd);
}

static ssize_t
nrd_conn_io(struct nrd_conn *c, void *buf, size_t n, int writing,
    const struct timespec *deadline)
{
	int	r;

	if (nrd_sock_deadline(c->fd, deadline) == -1)
		return errno = ETIMEDOUT, -1;
	if (c->ssl == NULL)
		return writing ? send(c->fd, buf, n, MSG_NOSIGNAL) :
		    recv(c->fd, buf, n, 0);
	r = writing ? SSL_write(c->ssl, buf, (int)n) :
	    SSL_read(c->ssl, buf, (int)n);
	if (r > 0)
		return r;
	if (!writing && SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
		return 0;
	ERR_clear_error();
	return errno = errno != 0 ? errno : EIO, -1;
}

/* The whole answer (until the server closes), at most NRD_HTTP_MAX. */
static int
nrd_http_exchange(struct nrd_conn *c, const char *req, char **resp,
    size_t *rlen, const struct timespec *deadline, char *why, size_t len)
{
	size_t	 off = 0, n = strlen(req);
	ssize_t	 r;
	char	*buf;

	while (off < n) {
		if ((r = nrd_conn_io(c, (char *)req + off, n - off, 1,
		    deadline)) <= 0)
			return snprintf(why, len, "sending the request: %s",
			    strerror(errno)), -1;
		off += r;
	}
	if ((buf = malloc(NRD_HTTP_MAX + 1)) == NULL)
		return snprintf(why, len, "out of memory"), -1;
	for (off = 0; off < NRD_HTTP_MAX; off += r) {
		errno = 0;
		if ((r = nrd_conn_io(c, buf + off, NRD_HTTP_MAX - off, 0,
		    deadline)) == 0)
			break;
		if (r < 0) {
			snprintf(why, len, "reading the answer: %s",
			    errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ETIMEDOUT ? "timed out" : strerror(errno));
			free(buf);
			return -1;
		}
	}
	if (off == NRD_HTTP_MAX) {
		free(buf);
		return snprintf(why, len, "the answer is larger than %d bytes",
		    NRD_HTTP_MAX), -1;
	}
	buf[off] = '\0';
	*resp = buf;
	*rlen = off;
	return 0;
}

/* An HTTP answer taken apart. */
struct nrd_http {
	int		 status;
	char		 location[1024];
	const char	*body;
	size_t		 blen;
};

/* Status line, Location, the body; -1 with why. */
static int
nrd_http_parse(char *resp, size_t rlen, struct nrd_http *h, char *why,
    size_t len)
{
	char	*end, *line, *next, *v;

	memset(h, 0, sizeof *h);
	if ((end = strstr(resp, "\r\n\r\n")) == NULL ||
	    sscanf(resp, "HTTP/%*d.%*d %3d", &h->status) != 1 ||
	    h->status < 100 || h->status > 599)
		return snprintf(why, len, "not an HTTP answer"), -1;
	*end = '\0';
	h->body = end + 4;
	h->blen = rlen - (size_t)(h->body - resp);
	for (line = strstr(resp, "\r\n"); line != NULL; line = next) {
		line += 2;
		next = strstr(line, "\r\n");
		if (next != NULL)
			*next = '\0';
		if ((v = strchr(line, ':')) == NULL)
			continue;
		*v++ = '\0';
		v += strspn(v, " \t");
		if (strcasecmp(line, "Location") == 0)
			snprintf(h->location, sizeof h->location, "%s", v);
		else if (strcasecmp(line, "Transfer-Encoding") == 0 &&
		    strcasecmp(v, "identity") != 0)
			return snprintf(why, len, "the server sent a %s body "
			    "to an HTTP/1.0 request", v), -1;
	}
	return 0;
}

/* GET url; 0 with the answer in *resp (h points into it), -1 with why. */
static int
nrd_http_get(const char *url, const struct timespec *deadline, char **resp,
    struct nrd_http *h, int *down, char *why, size_t len)
{
	struct nrd_url	 u;
	struct nrd_conn	 c = { -1, NULL };
	char		*req = NULL, hostport[300];
	size_t		 rlen;
	int		 rc = -1;

	*resp = NULL;
	if (nrd_url_parse(url, &u, why, len) == -1)
		return -1;
	if ((c.fd = nrd_connect(&u, deadline, down, why, len)) == -1)
		return -1;
	snprintf(hostport, sizeof hostport, strchr(u.host, ':') != NULL ?
	    "[%s]" : "%s", u.host);
	if ((u.tls ? strcmp(u.port, "443") : strcmp(u.port, "80")) != 0)
		snprintf(hostport + strlen(hostport), sizeof hostport -
		    strlen(hostport), ":%s", u.port);
	if (asprintf(&req, "GET %s HTTP/1.0\r\nHost: %s\r\nAccept: "
	    "application/rdap+json, application/json\r\nUser-Agent: "
	    PACKAGE_NAME "/" PACKAGE_VERSION "\r\nConnection: close\r\n\r\n",
	    u.path[0] != '\0' ? u.path : "/", hostport) == -1) {
		req = NULL;
		snprintf(why, len, "out of memory");
	} else if ((!u.tls || nrd_tls_start(&c, &u, deadline, why,
	    len) == 0) && nrd_http_exchange(&c, req, resp, &rlen, deadline,
	    why, len) == 0) {
		if ((rc = nrd_http_parse(*resp, rlen, h, why, len)) == -1) {
			free(*resp);
			*resp = NULL;
		}
	}
	if (rc == -1 && nrd_left(deadline) == 0)
		*down = 1;
	free(req);
	nrd_conn_close(&c);
	return rc;
}

/* ---- RDAP ------------------------------------------------------------- */

/* The "registration" event of an RDAP domain object, into r. */
static void
nrd_rdap_events(const char *body, size_t blen, struct db_rdap *r)
{
	json_t		*root, *events, *e;
	json_error_t	 jerr;
	const char	*action, *date;
	size_t		 i;

	if ((root = json_loadb(body, blen, 0, &jerr)) == NULL ||
	    !json_is_object(root)) {
		snprintf(r->status, sizeof r->status, "failed");
		snprintf(r->detail, sizeof r->detail, "the answer is not a "
		    "JSON object: %s", root == NULL ? jerr.text : "other type");
		json_decref(root);
		return;
	}
	snprintf(r->status, sizeof r->status, "found");
	events = json_object_get(root, "events");
	json_array_foreach(events, i, e) {
		action = json_string_value(json_object_get(e, "eventAction"));
		date = json_string_value(json_object_get(e, "eventDate"));
		if (action == NULL || strcasecmp(action, "registration") != 0)
			continue;
		if (date == NULL || nrd_time_parse(date, &r->registered_at) ==
		    -1) {
			r->registered_at = 0;
			snprintf(r->detail, sizeof r->detail, "its "
			    "registration date \"%.40s\" is not a time",
			    date != NULL ? date : "");
		} else if (r->registered_at == 0)
			r->registered_at = 1;
		break;
	}
	json_decref(root);
}

/* Has a Location to follow: the next URL into url. */
static int
nrd_redirect(const struct nrd_http *h, char *url, size_t len)
{
	if ((h->status != 301 && h->status != 302 && h->status != 303 &&
	    h->status != 307 && h->status != 308) || h->location[0] == '\0')
		return 0;
	snprintf(url, len, "%s", h->location);
	return 1;
}

/* Ask the RDAP server about domain; r says what came of it. */
static void
nrd_rdap_ask(const char *base, const char *domain, int timeout,
    struct db_rdap *r, int *down)
{
	struct timespec	 deadline;
	struct nrd_http	 h;
	char		 url[1400], *resp = NULL;
	size_t		 blen = strlen(base);
	int		 hop;

	memset(r, 0, sizeof *r);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	snprintf(url, sizeof url, "%.*s/domain/%s", (int)blen, base, domain);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout;
	snprintf(r->status, sizeof r->status, "failed");
	for (hop = 0; hop <= NRD_REDIRECTS; hop++) {
		free(resp);
		if (nrd_http_get(url, &deadline, &resp, &h, down, r->detail,
		    sizeof r->detail) == -1)
			return;
		if (!nrd_redirect(&h, url, sizeof url))
			break;
	}
	if (hop > NRD_REDIRECTS)
		snprintf(r->detail, sizeof r->detail, "more than %d "
		    "redirections", NRD_REDIRECTS);
	else if (h.status == 404)
		snprintf(r->status, sizeof r->status, "not_found");
	else if (h.status != 200)
		snprintf(r->detail, sizeof r->detail, "the server answered "
		    "HTTP %d", h.status);
	else
		nrd_rdap_events(h.body, h.blen, r);
	free(resp);
}

/* When an unreachable server may be asked again. */
static pthread_mutex_t	nrd_down_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t		nrd_down_until;

/*
 * The RDAP answer on domain: cached (*asked 0), else asked and cached
 * (*asked 1), or not asked while the server is down (*asked 0, failed,
 * nothing cached); -1 when the database failed.
 */
static int
nrd_rdap(struct db *db, const struct config *conf, const char *domain,
    struct db_rdap *r, int *cached, int *asked, char **cause)
{
	int64_t	 now = nrd_now(), until;
	int	 rc, down = 0;

	*cached = 1;
	*asked = 0;
	if ((rc = db_rdap_get(db, domain, now, r, cause)) != 1)
		return rc;
	*cached = 0;
	pthread_mutex_lock(&nrd_down_lock);
	until = nrd_down_until;
	pthread_mutex_unlock(&nrd_down_lock);
	if (now < until) {
		memset(r, 0, sizeof *r);
		snprintf(r->status, sizeof r->status, "failed");
		snprintf(r->detail, sizeof r->detail, "the RDAP server was "
		    "unreachable moments ago; not asked");
		return 0;
	}
	*asked = 1;
	nrd_rdap_ask(conf_str(conf, CONF_nrd_rdap_url), domain,
	    (int)conf_int(conf, CONF_nrd_rdap_timeout), r, &down);
	if (down) {
		pthread_mutex_lock(&nrd_down_lock);
		nrd_down_until = nrd_now() + NRD_DOWN_SECS;
		pthread_mutex_unlock(&nrd_down_lock);
	}
	r->fetched_at = now;
	r->expires_at = now + (strcmp(r->status, "found") == 0 ?
	    NRD_TTL_FOUND : strcmp(r->status, "not_found") == 0 ?
	    NRD_TTL_NOT_FOUND : NRD_TTL_FAILED);
	return db_rdap_put(db, domain, r, cause);
}

/* ---- the decision ----------------------------------------------------- */

/* One domain's verdict, v->domain set; -1 only when the database failed. */
static int
nrd_judge(struct db *db, const struct config *conf, struct nrd_verdict *v,
    char **cause)
{
	struct db_rdap	 r;
	char		 feed[NRD_SOURCE_MAX + 1], when[32], hours[32];
	int64_t		 max = conf_int(conf, CONF_nrd_max_age_hours);
	int		 rc, cached, asked;

	snprintf(hours, sizeof hours, "%lld hour%s", (long long)max,
	    max == 1 ? "" : "s");
	rc = db_nrd_get(db, v->domain, &v->registered_at, feed, sizeof feed,
	    cause);
	if (rc == -1)
		return -1;
	if (rc == 0)
		snprintf(v->source, sizeof v->source, "feed %s", feed);
	else if (*conf_str(conf, CONF_nrd_rdap_url) == '\0') {
		snprintf(v->reason, sizeof v->reason, "the %s domain %s is "
		    "not listed as newly registered", v->which, v->domain);
		return 0;
	} else {
		if (nrd_rdap(db, conf, v->domain, &r, &cached, &asked,
		    cause) == -1)
			return -1;
		snprintf(v->source, sizeof v->source, "RDAP%s",
		    cached ? " (cached)" : "");
		if (strcmp(r.status, "failed") == 0) {
			snprintf(v->reason, sizeof v->reason, "the RDAP lookup "
			    "of the %s domain %s failed (%.160s): the mail "
			    "passes", v->which, v->domain, r.detail);
			if (asked)
				log_warnx("nrd: RDAP lookup of %s failed: %s; "
				    "the mail passes", v->domain, r.detail);
			return 0;
		}
		if (strcmp(r.status, "not_found") == 0 ||
		    r.registered_at == 0) {
			snprintf(v->reason, sizeof v->reason, "the RDAP server "
			    "%s the %s domain %s: the mail passes",
			    strcmp(r.status, "not_found") == 0 ?
			    "does not know" : "gives no registration date of",
			    v->which, v->domain);
			return 0;
		}
		v->registered_at = r.registered_at;
	}
	nrd_time_format(v->registered_at, when, sizeof when);
	v->blocked = nrd_is_new(v->registered_at, nrd_now(), max * 3600);
	snprintf(v->reason, sizeof v->reason, v->blocked ? "the %s domain %s "
	    "was registered less than %s ago (%s, per %s): mail from newly "
	    "registered domains is refused" : "the %s domain %s was "
	    "registered at %s, more than %s ago", v->which, v->domain,
	    v->blocked ? hours : when, v->blocked ? when : hours,
	    strncmp(v->source, "feed", 4) == 0 ? "the imported feed" : "RDAP");
	return 0;
}

/* The domains to judge, distinct, each with the header it came from. */
struct nrd_targets {
	char		*domain[NRD_MAX_DOMAINS];
	const char	*which[NRD_MAX_DOMAINS];
	size_t		 n;
};

static void
nrd_target_add(struct nrd_targets *t, const char *address, const char *which)
{
	const char	*at;
	char		 why[256], *reg;
	size_t		 i;

	if (address == NULL || (at = strrchr(address, '@')) == NULL ||
	    t->n == NRD_MAX_DOMAINS)
		return;
	if ((reg = nrd_registrable(at + 1, why, sizeof why)) == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		if (strcmp(t->domain[i], reg) == 0) {
			free(reg);
			return;
		}
	}
	t->domain[t->n] = reg;
	t->which[t->n++] = which;
}

static void
nrd_from_list(struct nrd_targets *t, InternetAddressList *list, int depth)
{
	InternetAddress	*a;
	int		 i, n = internet_address_list_length(list);

	for (i = 0; i < n && t->n < NRD_MAX_DOMAINS; i++) {
		a = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			nrd_target_add(t, internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(a)), "From");
		else if (INTERNET_ADDRESS_IS_GROUP(a) && depth == 0)
			nrd_from_list(t, internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(a)), 1);
	}
}

/* The From header's addresses, parsed by GMime (folding undone first). */
static void
nrd_from(struct nrd_targets *t, const char *value)
{
	InternetAddressList	*list;
	char			*s, *p;

	if (value == NULL || (s = strdup(value)) == NULL)
		return;
	for (p = s; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	}
	if ((list = internet_address_list_parse(NULL, s)) != NULL) {
		nrd_from_list(t, list, 0);
		g_object_unref(list);
	}
	free(s);
}

int
nrd_check(struct db *db, const struct config *conf, const char *env_sender,
    const char *header_from, struct nrd_verdict *v, char **cause)
{
	struct nrd_targets	 t;
	struct nrd_verdict	 one;
	size_t			 i, len;
	int			 rc = 0;

	pthread_once(&nrd_once, nrd_init);
	memset(v, 0, sizeof *v);
	memset(&t, 0, sizeof t);
	if (env_sender != NULL && *env_sender != '\0')
		nrd_target_add(&t, env_sender, "sender");
	nrd_from(&t, header_from);
	for (i = 0; i < t.n; i++) {
		memset(&one, 0, sizeof one);
		snprintf(one.domain, sizeof one.domain, "%s", t.domain[i]);
		snprintf(one.which, sizeof one.which, "%s", t.which[i]);
		if ((rc = nrd_judge(db, conf, &one, cause)) == -1)
			break;
		/* A refusal names its domain; a pass names every one. */
		if (one.blocked || i == 0)
			*v = one;
		else {
			len = strlen(v->reason);
			snprintf(v->reason + len, sizeof v->reason - len,
			    "; %s", one.reason);
		}
		if (one.blocked)
			break;
	}
	if (t.n == 0)
		snprintf(v->reason, sizeof v->reason, "no sender domain to "
		    "judge: the mail passes");
	for (i = 0; i < t.n; i++)
		free(t.domain[i]);
	return rc;
}
