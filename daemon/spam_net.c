/*
 * One request and its answer with a network spam engine, over plain
 * sockets: the engines are called from worker threads, which may block,
 * so a poll() per step against one deadline is all the machinery needed.
 * (libevent's evhttp would want an event base per call and cannot tell a
 * refused connection from a time-out, which the status must say.)
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

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

#include "spam.h"

#define NET_TIMEOUT_DEFAULT	10000	/* ms */
#define NET_READ_CHUNK		16384

struct net {
	int		 fd;
	int64_t		 deadline;	/* CLOCK_MONOTONIC, ms */
	int		 timeout_ms;
	char		**cause;
};

static int64_t
net_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int __attribute__((format(printf, 2, 3)))
net_fail(struct net *n, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vasprintf(n->cause, fmt, ap) == -1)
		*n->cause = NULL;
	va_end(ap);
	return -1;
}

static int
net_timed_out(struct net *n, const char *what)
{
	return net_fail(n, "no %s within %d.%d s", what, n->timeout_ms / 1000,
	    n->timeout_ms % 1000 / 100);
}

/* Wait until fd is ready for events; -1 with cause on time-out. */
static int
net_wait(struct net *n, short events, const char *what)
{
	struct pollfd	pfd = { n->fd, events, 0 };
	int64_t		left;
	int		rc;

	for (;;) {
		if ((left = n->deadline - net_now()) <= 0)
			return net_timed_out(n, what);
		if ((rc = poll(&pfd, 1, (int)left)) > 0)
			return 0;
		if (rc == -1 && errno != EINTR)
			return net_fail(n, "poll: %s", strerror(errno));
	}
}

/* Try one address of the engine's; 0 connected, -1 with errno. */
static int
net_connect_one(struct net *n, const struct addrinfo *ai)
{
	socklen_t	len = sizeof(int);
	int		err = 0;

	if ((n->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol)) == -1)
		return -1;
	if (connect(n->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		goto fail;
	if (net_wait(n, POLLOUT, "connection") == -1) {
		close(n->fd);
		n->fd = -1;
		return -2;	/* the deadline passed: cause is set */
	}
	if (getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		goto fail;
	if (err == 0)
		return 0;
	errno = err;
fail:
	err = errno;
	close(n->fd);
	n->fd = -1;
	errno = err;
	return -1;
}

static int
net_connect(struct net *n, const char *host, const char *port)
{
	struct addrinfo	 hints, *res, *ai;
	int		 rc = -1, gai, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0)
		return net_fail(n, "cannot resolve %s: %s", host,
		    gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
	for (ai = res; ai != NULL && rc == -1; ai = ai->ai_next) {
		if ((rc = net_connect_one(n, ai)) == -1)
			err = errno;
	}
	freeaddrinfo(res);
	if (rc == -1)
		return net_fail(n, "cannot connect: %s", strerror(err));
	return rc == 0 ? 0 : -1;
}

static int
net_send(struct net *n, const char *buf, size_t len)
{
	ssize_t	w;

	while (len > 0) {
		if ((w = send(n->fd, buf, len, MSG_NOSIGNAL)) > 0) {
			buf += w;
			len -= w;
			continue;
		}
		if (w == -1 && errno != EAGAIN && errno != EINTR)
			return net_fail(n, "cannot send: %s", strerror(errno));
		if (net_wait(n, POLLOUT, "room to send the message") == -1)
			return -1;
	}
	return 0;
}

/* Read until the peer closes; the answer NUL-terminated. */
static char *
net_recv(struct net *n, size_t max, size_t *len)
{
	char	*buf = NULL, *nbuf;
	size_t	 cap = 0, got = 0;
	ssize_t	 r;

	for (;;) {
		if (cap - got < NET_READ_CHUNK) {
			if ((nbuf = realloc(buf, cap + NET_READ_CHUNK + 1)) ==
			    NULL) {
				net_fail(n, "out of memory");
				break;
			}
			buf = nbuf;
			cap += NET_READ_CHUNK;
		}
		if ((r = recv(n->fd, buf + got, cap - got, 0)) == 0) {
			buf[got] = '\0';
			*len = got;
			return buf;
		}
		if (r > 0) {
			if ((got += r) > max) {
				net_fail(n, "the answer is longer than %zu "
				    "bytes", max);
				break;
			}
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			net_fail(n, "cannot read the answer: %s",
			    strerror(errno));
			break;
		}
		if (net_wait(n, POLLIN, got == 0 ? "answer" :
		    "complete answer") == -1)
			break;
	}
	free(buf);
	return NULL;
}

char *
spam_net_exchange(const char *host, const char *port, int timeout_ms,
    const char *req, size_t reqlen, const char *body, size_t bodylen,
    size_t max, size_t *len, char **cause)
{
	struct net	 n;
	char		*answer = NULL;

	n.fd = -1;
	n.timeout_ms = timeout_ms > 0 ? timeout_ms : NET_TIMEOUT_DEFAULT;
	n.deadline = net_now() + n.timeout_ms;
	n.cause = cause;
	if (net_connect(&n, host, port) == 0 &&
	    net_send(&n, req, reqlen) == 0 &&
	    net_send(&n, body, bodylen) == 0)
		answer = net_recv(&n, max, len);
	if (n.fd != -1)
		close(n.fd);
	return answer;
}
