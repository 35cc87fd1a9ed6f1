/*
 * next_hop = maildir:PATH: each message becomes one file in PATH/new,
 * the embedded default used by the quick start and the tests.
 *
 * The file is written under PATH/tmp, fsync'ed, renamed into PATH/new,
 * and PATH/new is fsync'ed; only then does the client hear 250.  That
 * work (disk latency, mostly fsync) runs on a few worker threads started
 * on first use, so the event loop never waits for the disk; a pipe tells
 * the loop a file is done and the callback runs there.  The spool is read
 * on the worker: the caller leaves it alone until the callback.
 *
 * The file holds the envelope as header lines put before the message,
 * "Return-Path: <sender>" and one "X-Outfilter-Rcpt: <address>" per
 * recipient, and the message with LF line ends, as maildir readers
 * (Dovecot, mutt) expect.  Its name follows the maildir convention:
 * SECONDS.MmicrosecondsPpidQcounter_QUEUEID.HOST.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "relay.h"

#define MAILDIR_WORKERS	4
#define MAILDIR_CHUNK	65536

struct relay_txn {
	TAILQ_ENTRY(relay_txn)	 entry;		/* in a job queue */
	struct relay		*relay;
	char			*sender;
	char			*queue_id;
	char			**rcpts;
	size_t			 nrcpts;
	struct spool		*spool;
	relay_cb		*cb;
	void			*arg;
	int			 running;	/* a worker has it */
	int			 abandoned;	/* aborted while running */
	int			 delivered;	/* the file is in new/ */
	char			 name[256];
	struct relay_reply	 reply;
};
TAILQ_HEAD(maildir_jobs, relay_txn);

struct relay {
	struct event_base	*base;
	char			*path;
	char			 host[128];	/* for file names */
	int			 tmpfd, newfd;	/* PATH/tmp, PATH/new */
	int			 pipe[2];	/* worker -> loop: a job is done */
	struct event		*ev;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct maildir_jobs	 todo;
	struct maildir_jobs	 finished;
	pthread_t		 workers[MAILDIR_WORKERS];
	int			 nworkers;
	int			 stopping;
	unsigned long		 counter;
	struct relay_stats	 stats;
};

/* The host name with '/' and ':' written as maildir wants them. */
static void
maildir_host(char *buf, size_t len)
{
	char	name[64], *p;
	size_t	i = 0;

	if (gethostname(name, sizeof name) == -1 || name[0] == '\0')
		strcpy(name, "localhost");
	name[sizeof name - 1] = '\0';
	for (p = name; *p != '\0' && i + 5 < len; p++) {
		if (*p == '/' || *p == ':')
			i += snprintf(buf + i, len - i, "\\%03o", *p);
		else
			buf[i++] = *p;
	}
	buf[i] = '\0';
}

/* PATH, PATH/tmp, PATH/new and PATH/cur, made 0700 when missing. */
static int
maildir_mkdirs(struct relay *r, char **cause)
{
	static const char *subs[] = { "", "/tmp", "/new", "/cur" };
	char	*dir;
	size_t	 i;
	int	 rv;

	for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (asprintf(&dir, "%s%s", r->path, subs[i]) == -1)
			return (-1);
		rv = mkdir(dir, 0700);
		if (rv == -1 && errno != EEXIST) {
			if (asprintf(cause, "maildir %s: %s", dir,
			    strerror(errno)) == -1)
				*cause = NULL;
			free(dir);
			return (-1);
		}
		free(dir);
	}
	return (0);
}

static int
maildir_opendir(struct relay *r, const char *sub, int *fd, char **cause)
{
	char	*dir;

	if (asprintf(&dir, "%s/%s", r->path, sub) == -1)
		return (-1);
	if ((*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (asprintf(cause, "maildir %s: %s", dir, strerror(errno)) == -1)
			*cause = NULL;
		free(dir);
		return (-1);
	}
	free(dir);
	return (0);
}

static void	maildir_done_cb(evutil_socket_t, short, void *);

static void
maildir_close(struct relay *r)
{
	int	i;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < r->nworkers; i++)
		pthread_join(r->workers[i], NULL);
	if (r->nworkers > 0)
		maildir_done_cb(-1, 0, r);	/* what finished meanwhile */
	if (r->ev != NULL)
		event_free(r->ev);
	for (i = 0; i < 2; i++)
		if (r->pipe[i] != -1)
			close(r->pipe[i]);
	if (r->tmpfd != -1)
		close(r->tmpfd);
	if (r->newfd != -1)
		close(r->newfd);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r->path);
	free(r);
}

static struct relay *
maildir_open(struct event_base *base, const char *spec, char **cause)
{
	struct relay	*r;

	*cause = NULL;
	if (strncasecmp(spec, "maildir:", 8) != 0 || spec[8] == '\0') {
		if (asprintf(cause, "next hop \"%s\": want maildir:PATH",
		    spec) == -1)
			*cause = NULL;
		return (NULL);
	}
	if ((r = calloc(1, sizeof *r)) == NULL)
		return (NULL);
	r->base = base;
	r->tmpfd = r->newfd = r->pipe[0] = r->pipe[1] = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	TAILQ_INIT(&r->todo);
	TAILQ_INIT(&r->finished);
	maildir_host(r->host, sizeof r->host);
	if ((r->path = strdup(spec + 8)) == NULL ||
	    maildir_mkdirs(r, cause) == -1 ||
	    maildir_opendir(r, "tmp", &r->tmpfd, cause) == -1 ||
	    maildir_opendir(r, "new", &r->newfd, cause) == -1 ||
	    pipe2(r->pipe, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    (r->ev = event_new(base, r->pipe[0], EV_READ | EV_PERSIST,
	    maildir_done_cb, r)) == NULL ||
	    event_add(r->ev, NULL) == -1) {
		if (*cause == NULL && asprintf(cause, "next hop \"%s\": %s",
		    spec, strerror(errno)) == -1)
			*cause = NULL;
		maildir_close(r);
		return (NULL);
	}
	return (r);
}

static void
maildir_stats(struct relay *r, struct relay_stats *st)
{
	memset(st, 0, sizeof *st);
	st->messages = r->stats.messages;
}

static void
maildir_txn_free(struct relay_txn *txn)
{
	size_t	i;

	for (i = 0; i < txn->nrcpts; i++)
		free(txn->rcpts[i]);
	free(txn->rcpts);
	free(txn->sender);
	free(txn->queue_id);
	free(txn);
}

/*
 * Writing the file (on a worker thread).
 */

/* write(2) all of it. */
static int
maildir_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= n;
	}
	return (0);
}

/* The envelope as header lines. */
static int
maildir_write_envelope(struct relay_txn *txn, int fd)
{
	char	*buf;
	size_t	 i;
	int	 rv;

	if (asprintf(&buf, "Return-Path: <%s>\n", txn->sender) == -1)
		return (-1);
	rv = maildir_write_all(fd, buf, strlen(buf));
	free(buf);
	for (i = 0; rv == 0 && i < txn->nrcpts; i++) {
		if (asprintf(&buf, "X-Outfilter-Rcpt: <%s>\n",
		    txn->rcpts[i]) == -1)
			return (-1);
		rv = maildir_write_all(fd, buf, strlen(buf));
		free(buf);
	}
	return (rv);
}

/*
 * CRLF to LF in place over a stream of chunks; *cr says the last chunk
 * ended in a CR whose fate the next byte decides.  Returns the new length.
 */
static size_t
maildir_unix_eol(char *buf, size_t len, int *cr, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < len; i++) {
		if (*cr && buf[i] != '\n')
			out[o++] = '\r';
		*cr = buf[i] == '\r';
		if (!*cr)
			out[o++] = buf[i];
	}
	return (o);
}

/* The message, with LF line ends, ending in a line end. */
static int
maildir_write_body(struct relay_txn *txn, int fd)
{
	char	*in, *out;
	ssize_t	 n;
	size_t	 len;
	int	 cr = 0, rv = -1, lastnl = 1;

	if ((in = malloc(MAILDIR_CHUNK)) == NULL ||
	    (out = malloc(MAILDIR_CHUNK + 1)) == NULL) {
		free(in);
		return (-1);
	}
	if (relay_spool_rewind(txn->spool) == -1)
		goto out;
	while ((n = relay_spool_read(txn->spool, in, MAILDIR_CHUNK)) > 0) {
		len = maildir_unix_eol(in, n, &cr, out);
		if (len > 0)
			lastnl = out[len - 1] == '\n';
		if (maildir_write_all(fd, out, len) == -1)
			goto out;
	}
	if (n == -1)
		goto out;
	if (cr)
		rv = maildir_write_all(fd, "\r\n", 2);
	else
		rv = lastnl ? 0 : maildir_write_all(fd, "\n", 1);
out:
	free(in);
	free(out);
	return (rv);
}

/* Set the failure reply for errno. */
static void
maildir_fail(struct relay_txn *txn, const char *what, int err)
{
	if (err == ENOSPC || err == EDQUOT || err == EFBIG)
		relay_reply_set(&txn->reply, 452, "4.3.1 insufficient system "
		    "storage: %s", strerror(err));
	else
		relay_reply_set(&txn->reply, 451, "4.3.0 cannot %s the message "
		    "in maildir %s: %s", what, txn->relay->path, strerror(err));
}

/* tmp/NAME written and on disk, then new/NAME, then new/ on disk. */
static void
maildir_deliver(struct relay_txn *txn)
{
	struct relay	*r = txn->relay;
	int		 fd, err;

	if ((fd = openat(r->tmpfd, txn->name, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) == -1) {
		maildir_fail(txn, "create", errno);
		return;
	}
	if (maildir_write_envelope(txn, fd) == -1 ||
	    maildir_write_body(txn, fd) == -1 || fsync(fd) == -1) {
		err = errno;
		close(fd);
		unlinkat(r->tmpfd, txn->name, 0);
		maildir_fail(txn, "write", err);
		return;
	}
	if (close(fd) == -1 || renameat(r->tmpfd, txn->name, r->newfd,
	    txn->name) == -1) {
		err = errno;
		unlinkat(r->tmpfd, txn->name, 0);
		maildir_fail(txn, "store", err);
		return;
	}
	if (fsync(r->newfd) == -1) {
		err = errno;
		unlinkat(r->newfd, txn->name, 0);
		maildir_fail(txn, "store", err);
		return;
	}
	txn->delivered = 1;
	relay_reply_set(&txn->reply, 250, "2.0.0 Ok: queued as %s",
	    txn->queue_id);
}

static void *
maildir_worker(void *arg)
{
	struct relay		*r = arg;
	struct relay_txn	*txn;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->stopping && TAILQ_EMPTY(&r->todo))
			pthread_cond_wait(&r->cond, &r->lock);
		if ((txn = TAILQ_FIRST(&r->todo)) == NULL)
			break;		/* stopping, and nothing left */
		TAILQ_REMOVE(&r->todo, txn, entry);
		pthread_mutex_unlock(&r->lock);
		maildir_deliver(txn);
		pthread_mutex_lock(&r->lock);
		TAILQ_INSERT_TAIL(&r->finished, txn, entry);
		/* One byte wakes the loop; a full pipe already will. */
		(void)write(r->pipe[1], "", 1);
	}
	pthread_mutex_unlock(&r->lock);
	return (NULL);
}

/* Start the workers the first time a message comes. */
static int
maildir_start(struct relay *r)
{
	sigset_t	all, old;
	int		error = 0;

	/* Signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	while (r->nworkers < MAILDIR_WORKERS && error == 0) {
		error = pthread_create(&r->workers[r->nworkers], NULL,
		    maildir_worker, r);
		if (error == 0)
			r->nworkers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (r->nworkers > 0 ? 0 : (errno = error, -1));
}

/* On the event loop: call back for every file done. */
static void
maildir_done_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct relay		*r = arg;
	struct maildir_jobs	 done;
	struct relay_txn	*txn;
	char			 buf[256];

	while (fd != -1 && read(fd, buf, sizeof buf) > 0)
		;
	TAILQ_INIT(&done);
	pthread_mutex_lock(&r->lock);
	TAILQ_CONCAT(&done, &r->finished, entry);
	pthread_mutex_unlock(&r->lock);
	while ((txn = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, txn, entry);
		txn->running = 0;
		if (txn->abandoned) {
			/* Nobody heard 250: the client will send it again. */
			if (txn->delivered)
				unlinkat(r->newfd, txn->name, 0);
			maildir_txn_free(txn);
			continue;
		}
		if (txn->delivered)
			r->stats.messages++;
		txn->cb(txn->arg, &txn->reply);
	}
}

/*
 * The backend.
 */

static struct relay_txn *
maildir_begin(struct relay *r, const struct relay_envelope *env,
    relay_cb *cb, void *arg)
{
	struct relay_txn	*txn;
	struct relay_reply	 rep;

	if ((txn = calloc(1, sizeof *txn)) == NULL)
		return (NULL);
	txn->relay = r;
	txn->sender = strdup(env->sender != NULL ? env->sender : "");
	txn->queue_id = strdup(env->queue_id != NULL ? env->queue_id : "");
	if (txn->sender == NULL || txn->queue_id == NULL) {
		maildir_txn_free(txn);
		return (NULL);
	}
	if (!relay_addr_ok(txn->sender))
		relay_reply_set(&rep, 501, "5.1.7 bad sender address syntax");
	else
		relay_reply_set(&rep, 250, "2.1.0 Ok");
	cb(arg, &rep);
	return (txn);
}

static void
maildir_rcpt(struct relay_txn *txn, const char *rcpt, relay_cb *cb, void *arg)
{
	struct relay_reply	  rep;
	char			**v, *copy = NULL;

	if (!relay_addr_ok(rcpt) || *rcpt == '\0')
		relay_reply_set(&rep, 501, "5.1.3 bad recipient address syntax");
	else if ((copy = strdup(rcpt)) == NULL || (v = reallocarray(txn->rcpts,
	    txn->nrcpts + 1, sizeof *v)) == NULL) {
		free(copy);
		relay_reply_set(&rep, 451, "4.3.0 out of memory");
	} else {
		txn->rcpts = v;
		txn->rcpts[txn->nrcpts++] = copy;
		relay_reply_set(&rep, 250, "2.1.5 Ok");
	}
	cb(arg, &rep);
}

/* A unique file name: time, pid, a counter, our queue ID, the host. */
static void
maildir_name(struct relay_txn *txn)
{
	struct relay	*r = txn->relay;
	struct timeval	 tv;
	char		 qid[64];
	size_t		 i, o = 0;

	for (i = 0; txn->queue_id[i] != '\0' && o + 1 < sizeof qid; i++)
		if (isalnum((unsigned char)txn->queue_id[i]))
			qid[o++] = txn->queue_id[i];
	qid[o] = '\0';
	gettimeofday(&tv, NULL);
	snprintf(txn->name, sizeof txn->name, "%lld.M%ldP%ldQ%lu_%s.%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    ++r->counter, qid, r->host);
}

static void
maildir_data(struct relay_txn *txn, struct spool *sp, relay_cb *cb, void *arg)
{
	struct relay	*r = txn->relay;

	txn->spool = sp;
	txn->cb = cb;
	txn->arg = arg;
	if (txn->nrcpts == 0) {
		relay_reply_set(&txn->reply, 554, "5.5.1 no valid recipients");
		cb(arg, &txn->reply);
		return;
	}
	if (r->nworkers == 0 && maildir_start(r) == -1) {
		relay_reply_set(&txn->reply, 451, "4.3.0 cannot start a thread: "
		    "%s", strerror(errno));
		cb(arg, &txn->reply);
		return;
	}
	maildir_name(txn);
	txn->running = 1;
	pthread_mutex_lock(&r->lock);
	TAILQ_INSERT_TAIL(&r->todo, txn, entry);
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Forget the transaction; one still being written is dropped when done. */
static void
maildir_abort(struct relay_txn *txn)
{
	if (txn == NULL)
		return;
	if (txn->running) {
		txn->abandoned = 1;
		return;
	}
	maildir_txn_free(txn);
}

const struct relay_backend relay_maildir_backend = {
	.scheme = "maildir",
	.open = maildir_open,
	.close = maildir_close,
	.begin = maildir_begin,
	.rcpt = maildir_rcpt,
	.data = maildir_data,
	.abort = maildir_abort,
	.done = maildir_abort,
	.stats = maildir_stats,
};
