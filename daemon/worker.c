/*
 * The worker pool: a FIFO of jobs served by a few threads, and a FIFO of
 * finished jobs handed back to the event loop.  The loop is woken through
 * an eventfd written only when the finished queue goes from empty to not
 * empty, so a burst of completions costs one wake-up.
 */
#include "config.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "log.h"
#include "worker.h"

/* A singly linked FIFO of jobs. */
struct worker_fifo {
	struct worker_job	*head;
	struct worker_job	**tail;
};

struct worker_pool {
	pthread_mutex_t		 lock;		/* todo, pending, stop */
	pthread_mutex_t		 done_lock;	/* done */
	pthread_cond_t		 wake;		/* a job or the stop order */
	struct worker_fifo	 todo;
	struct worker_fifo	 done;
	unsigned		 pending;	/* queued or running */
	int			 stop;
	int			 efd;		/* eventfd: done not empty */
	struct event		*ev;
	pthread_t		*threads;
	unsigned		 nthreads;
};

static void
worker_fifo_init(struct worker_fifo *f)
{
	f->head = NULL;
	f->tail = &f->head;
}

static void
worker_fifo_push(struct worker_fifo *f, struct worker_job *job)
{
	job->next = NULL;
	*f->tail = job;
	f->tail = &job->next;
}

static struct worker_job *
worker_fifo_pop(struct worker_fifo *f)
{
	struct worker_job	*job = f->head;

	if (job != NULL && (f->head = job->next) == NULL)
		f->tail = &f->head;
	return job;
}

/* Hand a finished job to the loop; wake it if it may be asleep. */
static void
worker_finish(struct worker_pool *wp, struct worker_job *job)
{
	uint64_t	one = 1;
	int		wake;

	pthread_mutex_lock(&wp->done_lock);
	wake = wp->done.head == NULL;
	worker_fifo_push(&wp->done, job);
	pthread_mutex_unlock(&wp->done_lock);
	if (wake && write(wp->efd, &one, sizeof one) == -1 && errno != EAGAIN)
		log_warn("worker: eventfd");
}

static void *
worker_main(void *arg)
{
	struct worker_pool	*wp = arg;
	struct worker_job	*job;

	for (;;) {
		pthread_mutex_lock(&wp->lock);
		while (wp->todo.head == NULL && !wp->stop)
			pthread_cond_wait(&wp->wake, &wp->lock);
		job = worker_fifo_pop(&wp->todo);
		pthread_mutex_unlock(&wp->lock);
		if (job == NULL)
			return NULL;
		job->work(job->arg);
		worker_finish(wp, job);
	}
}

/* Run the done() callbacks of every finished job. */
static void
worker_drain(struct worker_pool *wp)
{
	struct worker_fifo	 list;
	struct worker_job	*job;

	unsigned		 n = 0;

	pthread_mutex_lock(&wp->done_lock);
	list = wp->done;
	if (list.head == NULL)
		list.tail = &list.head;
	worker_fifo_init(&wp->done);
	pthread_mutex_unlock(&wp->done_lock);
	for (job = list.head; job != NULL; job = job->next)
		n++;
	if (n > 0) {
		pthread_mutex_lock(&wp->lock);
		wp->pending -= n;
		pthread_mutex_unlock(&wp->lock);
	}
	while ((job = worker_fifo_pop(&list)) != NULL)
		if (job->done != NULL)
			job->done(job->arg);
}

static void
worker_on_wake(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	n;

	(void)what;
	if (read(fd, &n, sizeof n) == -1 && errno != EAGAIN)
		log_warn("worker: eventfd");
	worker_drain(arg);
}

static int
worker_start(struct worker_pool *wp, unsigned threads, char **cause)
{
	int	rc;

	if ((wp->threads = calloc(threads, sizeof *wp->threads)) == NULL)
		return ipc_cause(cause, "worker pool: out of memory");
	for (; wp->nthreads < threads; wp->nthreads++)
		if ((rc = pthread_create(&wp->threads[wp->nthreads], NULL,
		    worker_main, wp)) != 0)
			return ipc_cause(cause, "worker pool: cannot start a "
			    "thread: %s", strerror(rc));
	return 0;
}

struct worker_pool *
worker_pool_new(struct event_base *base, unsigned threads, char **cause)
{
	struct worker_pool	*wp;

	if ((wp = calloc(1, sizeof *wp)) == NULL) {
		ipc_cause(cause, "worker pool: out of memory");
		return NULL;
	}
	wp->efd = -1;
	pthread_mutex_init(&wp->lock, NULL);
	pthread_mutex_init(&wp->done_lock, NULL);
	pthread_cond_init(&wp->wake, NULL);
	worker_fifo_init(&wp->todo);
	worker_fifo_init(&wp->done);
	if ((wp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		ipc_cause(cause, "worker pool: eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((wp->ev = event_new(base, wp->efd, EV_READ | EV_PERSIST,
	    worker_on_wake, wp)) == NULL || event_add(wp->ev, NULL) == -1) {
		ipc_cause(cause, "worker pool: libevent cannot watch the eventfd");
		goto fail;
	}
	if (worker_start(wp, threads, cause) == -1)
		goto fail;
	return wp;
fail:
	worker_pool_free(wp);
	return NULL;
}

/*
 * Run jobs and their done() callbacks until none is left, on the
 * caller's thread (the loop has ended); done() may queue more.
 */
static void
worker_wait_all(struct worker_pool *wp)
{
	struct pollfd	pfd = { wp->efd, POLLIN, 0 };
	uint64_t	n;

	while (wp->efd != -1 && worker_pending(wp) > 0) {
		if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
			break;
		if (read(wp->efd, &n, sizeof n) == -1 && errno != EAGAIN)
			break;
		worker_drain(wp);
	}
}

void
worker_pool_free(struct worker_pool *wp)
{
	unsigned	i;

	if (wp == NULL)
		return;
	worker_wait_all(wp);
	pthread_mutex_lock(&wp->lock);
	wp->stop = 1;
	pthread_cond_broadcast(&wp->wake);
	pthread_mutex_unlock(&wp->lock);
	for (i = 0; i < wp->nthreads; i++)
		pthread_join(wp->threads[i], NULL);
	worker_drain(wp);
	if (wp->ev != NULL)
		event_free(wp->ev);
	if (wp->efd != -1)
		close(wp->efd);
	free(wp->threads);
	pthread_cond_destroy(&wp->wake);
	pthread_mutex_destroy(&wp->lock);
	pthread_mutex_destroy(&wp->done_lock);
	free(wp);
}

void
worker_submit(struct worker_pool *wp, struct worker_job *job, worker_fn *work,
    worker_fn *done, void *arg)
{
	job->work = work;
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&wp->lock);
	worker_fifo_push(&wp->todo, job);
	wp->pending++;
	pthread_cond_signal(&wp->wake);
	pthread_mutex_unlock(&wp->lock);
}

unsigned
worker_pending(struct worker_pool *wp)
{
	unsigned	n;

	pthread_mutex_lock(&wp->lock);
	n = wp->pending;
	pthread_mutex_unlock(&wp->lock);
	return n;
}
