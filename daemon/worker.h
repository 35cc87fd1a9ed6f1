/*
 * The worker pool: work that may block (the database, argon2id, later
 * content checks and DKIM) runs in a few threads, never on the event loop.
 * A job's work() runs in a worker thread; its done() runs afterwards on
 * the event loop's thread, woken through an eventfd, so the caller's
 * state is only ever touched by the loop.
 */
#ifndef OF_WORKER_H
#define OF_WORKER_H

struct event_base;
struct worker_pool;

typedef void worker_fn(void *arg);

/* One job; the caller owns it (usually embedded in its own state). */
struct worker_job {
	struct worker_job	*next;
	worker_fn		*work;		/* in a worker thread */
	worker_fn		*done;		/* then on the loop; may be NULL */
	void			*arg;
};

/* A pool of threads whose completions come back on base. */
struct worker_pool	*worker_pool_new(struct event_base *, unsigned threads,
			    char **cause);
/*
 * Finish every queued job, stop the threads and run the last done()
 * callbacks on the caller's thread.
 */
void			 worker_pool_free(struct worker_pool *);

/* Queue a job; the job must stay valid until its done() ran. */
void			 worker_submit(struct worker_pool *, struct worker_job *,
			    worker_fn *work, worker_fn *done, void *arg);

/* Jobs queued or running now, for status. */
unsigned		 worker_pending(struct worker_pool *);

#endif
