/*
 * clamd's INSTREAM (see clamd.h): "zINSTREAM\0", then the message in
 * chunks, each after its length as 4 bytes big-endian, then a chunk of
 * length 0.  clamd answers "stream: OK", "stream: NAME FOUND" or
 * "... ERROR", NUL-terminated, and closes the connection.
 */
#define _GNU_SOURCE		/* asprintf */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clamd.h"
#include "conf.h"
#include "content.h"
#include "log.h"

/* Bytes of the message in one chunk. */
#define CLAMD_CHUNK	(64 * 1024)
/* The longest answer read. */
#define CLAMD_ANSWER	1024

struct clamd_conn {
	int		 fd;
	int64_t		 deadline;	/* ms, CLOCK_MONOTONIC */
	char		**cause;
};

static int64_t
clamd_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int __attribute__((format(printf, 2, 3)))
clamd_fail(struct clamd_conn *c, const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (c->cause != NULL && *c->cause == NULL)
		*c->cause = s;
	else
		free(s);
	return -1;
}

/* Wait for events on the socket until the deadline. */
static int
clamd_wait(struct clamd_conn *c, short events, const char *what)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 r;

	for (;;) {
		if ((left = c->deadline - clamd_now()) <= 0)
			return clamd_fail(c, "timed out waiting for %s", what);
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == -1 && errno != EINTR)
			return clamd_fail(c, "poll: %s", strerror(errno));
	}
}

/* Connect a non-blocking socket to sa, within the deadline. */
static int
clamd_connect_sa(struct clamd_conn *c, int family, const struct sockaddr *sa,
    socklen_t salen, const char *where)
{
	int		err = 0;
	socklen_t	errlen = sizeof err;

	if ((c->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return clamd_fail(c, "socket: %s", strerror(errno));
	if (connect(c->fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return clamd_fail(c, "connect to %s: %s", where,
		    strerror(errno));
	if (clamd_wait(c, POLLOUT, "the connection") == -1)
		return -1;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &errlen) == -1)
		err = errno;
	if (err != 0)
		return clamd_fail(c, "connect to %s: %s", where,
		    strerror(err));
	return 0;
}

static int
clamd_connect(struct clamd_conn *c, const char *spec)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res, *ai;
	const char		*colon;
	char			 host[256];
	size_t			 hl;
	int			 r;

	if (strncmp(spec, "unix:", 5) == 0) {
		if (spec[5] != '/' || strlen(spec + 5) >= sizeof sun.sun_path)
			return clamd_fail(c, "\"%s\" is no unix:/PATH of at "
			    "most %zu bytes", spec, sizeof sun.sun_path - 1);
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, spec + 5, strlen(spec + 5));
		return clamd_connect_sa(c, AF_UNIX, (struct sockaddr *)&sun,
		    sizeof sun, spec + 5);
	}
	if (strncmp(spec, "tcp:", 4) != 0 ||
	    (colon = strrchr(spec + 4, ':')) == NULL || colon[1] == '\0' ||
	    (hl = (size_t)(colon - (spec + 4))) == 0 || hl >= sizeof host)
		return clamd_fail(c, "\"%s\" is neither unix:/PATH nor "
		    "tcp:HOST:PORT", spec);
	memcpy(host, spec + 4, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(host, colon + 1, &hints, &res)) != 0)
		return clamd_fail(c, "%s port %s: %s", host, colon + 1,
		    gai_strerror(r));
	r = -1;
	for (ai = res; ai != NULL && r == -1; ai = ai->ai_next) {
		if (c->fd != -1) {
			close(c->fd);
			c->fd = -1;
		}
		r = clamd_connect_sa(c, ai->ai_family, ai->ai_addr,
		    ai->ai_addrlen, spec + 4);
	}
	freeaddrinfo(res);
	return r;
}

static int
clamd_send(struct clamd_conn *c, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		if ((n = send(c->fd, p, len, MSG_NOSIGNAL)) > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return clamd_fail(c, "send: %s", strerror(errno));
		if (clamd_wait(c, POLLOUT, "room to send") == -1)
			return -1;
	}
	return 0;
}

/* The answer up to its NUL or the end of the connection. */
static int
clamd_recv(struct clamd_conn *c, char *buf, size_t size)
{
	size_t	used = 0;
	ssize_t	n;

	for (;;) {
		if (used + 1 >= size)
			return clamd_fail(c, "the answer is longer than %zu "
			    "bytes", size - 1);
		n = recv(c->fd, buf + used, size - 1 - used, 0);
		if (n > 0) {
			used += (size_t)n;
			if (memchr(buf, '\0', used) != NULL)
				return 0;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return clamd_fail(c, "recv: %s", strerror(errno));
		if (clamd_wait(c, POLLIN, used == 0 ? "the answer" :
		    "the complete answer") == -1)
			return -1;
	}
	buf[used] = '\0';
	if (used == 0)
		return clamd_fail(c, "the connection closed without an "
		    "answer");
	return 0;
}

/* Judge "stream: ...": 0 OK, 1 FOUND with name, -1 otherwise. */
static int
clamd_answer(struct clamd_conn *c, char *a, char *name, size_t namelen)
{
	size_t	 n, i;
	char	*sig;

	n = strcspn(a, "\r\n");
	a[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] < 0x20 || (unsigned char)a[i] >= 0x7f)
			a[i] = '?';
	sig = strncmp(a, "stream: ", 8) == 0 ? a + 8 : a;
	if (strcmp(sig, "OK") == 0)
		return 0;
	n = strlen(sig);
	if (n > 6 && strcmp(sig + n - 6, " FOUND") == 0) {
		sig[n - 6] = '\0';
		snprintf(name, namelen, "%s", sig);
		return 1;
	}
	return clamd_fail(c, "clamd answered \"%.200s\"", a);
}

int
clamd_scan(const char *spec, int timeout_ms, const char *msg, size_t len,
    char *name, size_t namelen, char **cause)
{
	static const char	 cmd[] = "zINSTREAM";
	struct clamd_conn	 c;
	unsigned char		 hdr[4];
	char			 answer[CLAMD_ANSWER];
	size_t			 off, n;
	int			 rc = -1;

	*cause = NULL;
	name[0] = '\0';
	c.fd = -1;
	c.cause = cause;
	c.deadline = clamd_now() + (timeout_ms > 0 ? timeout_ms : 10000);
	if (clamd_connect(&c, spec) == -1 ||
	    clamd_send(&c, cmd, sizeof cmd) == -1)
		goto out;
	for (off = 0; off < len; off += n) {
		n = len - off < CLAMD_CHUNK ? len - off : CLAMD_CHUNK;
		hdr[0] = (unsigned char)(n >> 24);
		hdr[1] = (unsigned char)(n >> 16);
		hdr[2] = (unsigned char)(n >> 8);
		hdr[3] = (unsigned char)n;
		if (clamd_send(&c, hdr, sizeof hdr) == -1 ||
		    clamd_send(&c, msg + off, n) == -1)
			goto out;
	}
	memset(hdr, 0, sizeof hdr);
	if (clamd_send(&c, hdr, sizeof hdr) == -1 ||
	    clamd_recv(&c, answer, sizeof answer) == -1)
		goto out;
	rc = clamd_answer(&c, answer, name, namelen);
out:
	if (c.fd != -1)
		close(c.fd);
	if (rc == -1 && *cause == NULL)
		*cause = strdup("failed");
	return rc;
}

int
clamd_check(const struct config *conf, const char *queue_id, const char *msg,
    size_t len, char *reply, size_t replylen, char *reason, size_t reasonlen)
{
	const char	*spec = conf_str(conf, CONF_content_clamd);
	char		 sig[256], *cause = NULL;
	int		 r;

	if (*spec == '\0')
		return 0;
	r = clamd_scan(spec, (int)conf_int(conf, CONF_content_clamd_timeout) *
	    1000, msg, len, sig, sizeof sig, &cause);
	if (r == 0)
		return 0;
	if (r == 1) {
		snprintf(reply, replylen, "550 5.7.1 The message was refused: "
		    "ClamAV found %s (%s); send it without that attachment",
		    sig, CONTENT_DANGEROUS);
		snprintf(reason, reasonlen, "%s: ClamAV found %s",
		    CONTENT_DANGEROUS, sig);
		return -1;
	}
	log_warnx("%s: clamd %s: %s", queue_id, spec, cause != NULL ? cause :
	    "failed");
	if (conf_int(conf, CONF_content_clamd_on_failure)) {
		free(cause);
		return 0;
	}
	snprintf(reply, replylen, "451 4.7.1 The content check is unavailable "
	    "right now; try again later");
	snprintf(reason, reasonlen, "content check unavailable: clamd: %.200s",
	    cause != NULL ? cause : "failed");
	free(cause);
	return -1;
}
