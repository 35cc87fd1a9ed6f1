/*
 * The daemon connection.  ipc_client_call() waits for its answer, up to
 * the timeout: a thread of its own makes the calls, so that a slow or
 * absent daemon never freezes the keyboard.  The main loop hands requests
 * over an inproc socket and gets them back with their replies; callbacks
 * run in the main loop, never in the thread.  Reads go over a connection
 * with a short timeout, which also tells soon when the daemon is gone;
 * changes over one that waits longer, as some take their time (a password
 * hashed, a key made, a message relayed on release).
 */
#define _GNU_SOURCE		/* pthread_timedjoin_np */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "tui.h"

#define CONN_INPROC	"inproc://outfilter-tui-conn"
/* Requests waiting at most; more are refused with a message. */
#define CONN_MAX_PENDING	16
/* Seconds between tries while the daemon is unreachable. */
#define CONN_RETRY	3
/* Seconds without a request before a connected console checks in. */
#define CONN_IDLE	5
/* How long a change may take (ms). */
#define CONN_WRITE_TIMEOUT	30000
/* How long quitting waits for a call in flight (s). */
#define CONN_QUIT_WAIT	2

struct conn_req {
	char			*cmd;		/* NULL: a login change or quit */
	json_t			*args;
	conn_cb			*cb;
	void			*arg;
	int			 quit;
	char			*user;		/* login change */
	char			*password;
	int			 rc;
	json_t			*result;
	struct ipc_error	 err;
};

static struct {
	void			*ctx;
	void			*pair;		/* main side */
	pthread_t		 thread;
	int			 running;
	struct ipc_client	*client;	/* used by the thread only */
	struct ipc_client	*writer;	/* ... for changes */
	char			*endpoint;
	int			 timeout_ms;
	enum conn_state		 state;
	char			 why[512];
	struct conn_req		*pending[CONN_MAX_PENDING];
	int			 npending;
	time_t			 last_try;
} conn;

static void
conn_req_free(struct conn_req *r)
{
	if (r == NULL)
		return;
	free(r->cmd);
	json_decref(r->args);
	json_decref(r->result);
	free(r->user);
	ipc_login_free_secret(r->password);
	free(r);
}

/* Both connections with these credentials; 0, or -1 with *cause. */
static int
conn_open(const char *user, const char *password, struct ipc_client **c,
    struct ipc_client **w, char **cause)
{
	*w = NULL;
	if ((*c = ipc_client_open(conn.endpoint, user, password,
	    conn.timeout_ms, cause)) == NULL)
		return -1;
	if ((*w = ipc_client_open(conn.endpoint, user, password,
	    CONN_WRITE_TIMEOUT, cause)) == NULL) {
		ipc_client_close(*c);
		*c = NULL;
		return -1;
	}
	return 0;
}

/* The thread: open new clients with other credentials. */
static void
conn_worker_login(struct conn_req *r)
{
	struct ipc_client	*c, *w;
	char			*cause = NULL;
	int			 rc;

	rc = conn_open(r->user, r->password, &c, &w, &cause);
	ipc_login_free_secret(r->password);
	r->password = NULL;
	if (rc == -1) {
		r->rc = IPC_CALL_UNREACHABLE;
		ipc_fail(&r->err, IPC_E_BUSY, "", "%s", cause);
		free(cause);
		return;
	}
	ipc_client_close(conn.client);
	ipc_client_close(conn.writer);
	conn.client = c;
	conn.writer = w;
	r->rc = IPC_CALL_OK;
}

/* Changes wait longer for their answer. */
static struct ipc_client *
conn_client_for(const char *cmd)
{
	const struct ipc_cmd	*c = ipc_cmd_find(cmd);

	return c != NULL && (c->flags & CMDF_WRITE) ? conn.writer :
	    conn.client;
}

static void *
conn_worker(void *arg)
{
	void		*pair = arg;
	struct conn_req	*r;

	for (;;) {
		if (zmq_recv(pair, &r, sizeof r, 0) != sizeof r) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r->quit)
			break;
		if (r->cmd == NULL)
			conn_worker_login(r);
		else {
			r->rc = ipc_client_call(conn_client_for(r->cmd),
			    r->cmd, r->args, &r->result, &r->err);
		}
		zmq_send(pair, &r, sizeof r, 0);
	}
	zmq_close(pair);
	return NULL;
}

/* The thread takes no signal: they are the main loop's. */
static int
conn_thread_start(void *pair)
{
	sigset_t	all, old;
	int		rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&conn.thread, NULL, conn_worker, pair);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int
conn_start(const char *endpoint, int timeout_ms, char **cause)
{
	void	*pair;
	int	 zero = 0;

	conn.timeout_ms = timeout_ms;
	conn.state = CONN_CONNECTING;
	if ((conn.endpoint = strdup(endpoint)) == NULL)
		return ipc_cause(cause, "out of memory");
	if (conn_open(tui.user, tui.password, &conn.client, &conn.writer,
	    cause) == -1)
		return -1;
	if ((conn.ctx = zmq_ctx_new()) == NULL ||
	    (conn.pair = zmq_socket(conn.ctx, ZMQ_PAIR)) == NULL ||
	    (pair = zmq_socket(conn.ctx, ZMQ_PAIR)) == NULL ||
	    zmq_setsockopt(conn.pair, ZMQ_LINGER, &zero, sizeof zero) == -1 ||
	    zmq_bind(conn.pair, CONN_INPROC) == -1 ||
	    zmq_connect(pair, CONN_INPROC) == -1)
		return ipc_cause(cause, "ZeroMQ: %s", zmq_strerror(errno));
	if (conn_thread_start(pair) != 0)
		return ipc_cause(cause, "cannot start a thread");
	conn.running = 1;
	return 0;
}

/*
 * Stop the thread: it ends the call it is in and reads the quit request.
 * Requests still queued are freed here.  A change still waiting for its
 * answer is not waited for long: the thread is left to the process's
 * exit, with everything it may still touch.
 */
void
conn_stop(void)
{
	static struct conn_req	 q = { .quit = 1 };
	struct conn_req		*qp = &q;
	struct timespec		 ts;
	int			 i;

	if (conn.running) {
		zmq_send(conn.pair, &qp, sizeof qp, 0);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += CONN_QUIT_WAIT;
		if (pthread_timedjoin_np(conn.thread, NULL, &ts) != 0) {
			pthread_detach(conn.thread);
			return;
		}
		conn.running = 0;
	}
	for (i = 0; i < conn.npending; i++)
		conn_req_free(conn.pending[i]);
	conn.npending = 0;
	if (conn.pair != NULL)
		zmq_close(conn.pair);
	if (conn.ctx != NULL)
		zmq_ctx_term(conn.ctx);
	ipc_client_close(conn.client);
	ipc_client_close(conn.writer);
	free(conn.endpoint);
	conn.pair = conn.ctx = NULL;
	conn.client = conn.writer = NULL;
	conn.endpoint = NULL;
}

static int
conn_send(struct conn_req *r)
{
	if (conn.npending == CONN_MAX_PENDING ||
	    zmq_send(conn.pair, &r, sizeof r, ZMQ_DONTWAIT) != sizeof r) {
		conn_req_free(r);
		return -1;
	}
	conn.pending[conn.npending++] = r;
	conn.last_try = time(NULL);
	return 0;
}

int
conn_call(const char *cmd, json_t *args, conn_cb *cb, void *arg)
{
	struct conn_req	*r;

	if ((r = calloc(1, sizeof *r)) == NULL ||
	    (r->cmd = strdup(cmd)) == NULL) {
		json_decref(args);
		conn_req_free(r);
		return -1;
	}
	r->args = args != NULL ? args : json_object();
	r->cb = cb;
	r->arg = arg;
	return conn_send(r);
}

void
conn_login(const char *user, const char *password)
{
	struct conn_req	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return;
	if ((user != NULL && (r->user = strdup(user)) == NULL) ||
	    (password != NULL && (r->password = strdup(password)) == NULL)) {
		conn_req_free(r);
		return;
	}
	conn.state = CONN_CONNECTING;
	conn_send(r);
}

void
conn_forget(void *arg)
{
	int	i;

	for (i = 0; i < conn.npending; i++) {
		if (conn.pending[i]->arg == arg)
			conn.pending[i]->cb = NULL;
	}
}

/* What a reply says about the connection. */
static void
conn_note(const struct conn_req *r)
{
	enum conn_state	old = conn.state;

	switch (r->rc) {
	case IPC_CALL_OK:
		if (r->cmd == NULL)	/* a new client: not proven yet */
			return;
		/* FALLTHROUGH */
	case IPC_CALL_REFUSED:
		conn.state = CONN_UP;
		conn.why[0] = '\0';
		break;
	case IPC_CALL_LOGIN:
		conn.state = CONN_LOGIN;
		snprintf(conn.why, sizeof conn.why, "%s", r->err.message);
		break;
	default:
		conn.state = CONN_UNREACHABLE;
		snprintf(conn.why, sizeof conn.why, "%s", r->err.message);
		break;
	}
	if (old != conn.state)
		tui_conn_changed(old, conn.state);
}

static void
conn_unlist(struct conn_req *r)
{
	int	i;

	for (i = 0; i < conn.npending; i++) {
		if (conn.pending[i] == r) {
			conn.pending[i] = conn.pending[--conn.npending];
			return;
		}
	}
}

void
conn_dispatch(void)
{
	struct conn_req	*r;

	while (zmq_recv(conn.pair, &r, sizeof r, ZMQ_DONTWAIT) == sizeof r) {
		conn_unlist(r);
		conn_note(r);
		if (r->cb != NULL)
			r->cb(r->arg, r->rc, r->rc == IPC_CALL_OK ? r->result :
			    NULL, &r->err);
		conn_req_free(r);
	}
}

/*
 * While the daemon does not answer, knock every CONN_RETRY seconds; while
 * it does, ask when nothing was asked for CONN_IDLE seconds, so that the
 * top line learns when it goes away.
 */
void
conn_tick(void)
{
	time_t	idle = time(NULL) - conn.last_try;

	if (conn.npending > 0 || conn.state == CONN_LOGIN ||
	    conn.state == CONN_CONNECTING)
		return;
	if ((conn.state == CONN_UNREACHABLE && idle >= CONN_RETRY) ||
	    (conn.state == CONN_UP && idle >= CONN_IDLE))
		conn_call("whoami", NULL, NULL, NULL);
}

void *
conn_socket(void)
{
	return conn.pair;
}

enum conn_state
conn_state(void)
{
	return conn.state;
}

const char *
conn_endpoint(void)
{
	return conn.endpoint;
}

const char *
conn_why(void)
{
	return conn.why;
}

int
conn_pending(void)
{
	return conn.npending;
}
