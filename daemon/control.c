/*
 * The control socket.  One thread polls three ZeroMQ sockets: the ROUTER
 * clients talk to, the ZAP handler that libzmq asks about every new
 * connection, and a PAIR on which the main thread sends a new
 * configuration or the order to stop.  The thread has its own database
 * handle; each command runs there, a write command in one transaction.
 * Between commands it purges the quarantine now and then.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "cmd.h"
#include "conf.h"
#include "control.h"
#include "curve.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "policy.h"
#include "quarantine.h"

#define CONTROL_PIPE		"inproc://outfilter-control"
/*
 * Frames up to this many times max_frame (plus what a request carrying a
 * file may take) are read and refused with too_large; libzmq drops a
 * peer sending a larger one.
 */
#define CONTROL_FRAME_SLACK	4
#define CONTROL_RCVHWM		64
/* The quarantine's purge: first a minute after start, then hourly. */
#define CONTROL_PURGE_FIRST	60
#define CONTROL_PURGE_SECS	3600
/* The ipc:// socket file: local users log in through it. */
#define CONTROL_SOCKET_MODE	0660

enum control_op { CONTROL_STOP, CONTROL_RELOAD };

/* What the main thread sends on the pipe. */
struct control_msg {
	enum control_op	 op;
	struct config	*conf;
};

struct control {
	void			*ctx;
	void			*router;
	void			*remote;	/* tcp:// with CURVE, or NULL */
	void			*pipe_main;	/* used by the main thread only */
	void			*pipe_thread;	/* used by the control thread only */
	struct zap		*zap;
	struct db		*db;
	struct config		*conf;
	struct daemon_info	 info;
	char			*sockpath;	/* ipc socket file, or NULL */
	pthread_t		 thread;
	int			 running;
	int			 bound;		/* the socket file is ours */
};

/* One request as read from the ROUTER. */
struct control_req {
	zmq_msg_t	 id;
	zmq_msg_t	 body;
	int		 nframes;	/* all frames, delimiter included */
	int		 delimited;	/* the second frame was empty */
};

static int
control_sockopt(void *s, int opt, const void *v, size_t len, char **cause)
{
	if (zmq_setsockopt(s, opt, v, len) == -1)
		return ipc_cause(cause, "zmq_setsockopt %d: %s", opt,
		    zmq_strerror(errno));
	return 0;
}

/*
 * Before binding an ipc:// endpoint: its directory exists, and a socket
 * file left by an outfilterd that died is removed, but one that answers
 * is another daemon's.
 */
int
control_ipc_prepare(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	char			*copy;
	int			 fd, rc;

	if ((copy = strdup(path)) == NULL)
		return ipc_cause(cause, "out of memory");
	rc = daemon_mkdirs(dirname(copy), 0750, cause);
	free(copy);
	if (rc == -1 || lstat(path, &sb) == -1)
		return rc;
	if (!S_ISSOCK(sb.st_mode))
		return ipc_cause(cause, "%s exists and is not a socket", path);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return ipc_cause(cause, "socket: %s", strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (rc == 0)
		return ipc_cause(cause, "%s: another process listens on it",
		    path);
	if (unlink(path) == -1)
		return ipc_cause(cause, "%s: %s", path, strerror(errno));
	log_info("removed the stale socket %s", path);
	return 0;
}

/* A ROUTER of the control socket: its ZAP domain, frames bounded. */
static void *
control_router(struct control *c, const char *domain, char **cause)
{
	void		*s;
	int64_t		 maxmsg;
	int		 zero = 0, hwm = CONTROL_RCVHWM;

	maxmsg = conf_int(c->conf, CONF_control_max_frame) * CONTROL_FRAME_SLACK +
	    IPC_MAX_FILE_FRAME;
	if ((s = zmq_socket(c->ctx, ZMQ_ROUTER)) == NULL) {
		ipc_cause(cause, "zmq_socket: %s", zmq_strerror(errno));
		return NULL;
	}
	if (control_sockopt(s, ZMQ_LINGER, &zero, sizeof zero, cause) ||
	    control_sockopt(s, ZMQ_ZAP_DOMAIN, domain, strlen(domain), cause) ||
	    control_sockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg,
	    cause) ||
	    control_sockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm, cause)) {
		zmq_close(s);
		return NULL;
	}
	return s;
}

/* The ipc:// ROUTER: PLAIN server, every peer through ZAP. */
static int
control_bind(struct control *c, char **cause)
{
	const char	*ep = conf_str(c->conf, CONF_control_endpoint);
	int		 one = 1;

	if ((c->router = control_router(c, ZAP_DOMAIN, cause)) == NULL ||
	    control_sockopt(c->router, ZMQ_PLAIN_SERVER, &one, sizeof one, cause))
		return -1;
	if (c->sockpath != NULL && control_ipc_prepare(c->sockpath, cause) == -1)
		return -1;
	if (zmq_bind(c->router, ep) == -1)
		return ipc_cause(cause, "%s: %s", ep, zmq_strerror(errno));
	c->bound = 1;
	if (c->sockpath != NULL && chmod(c->sockpath, CONTROL_SOCKET_MODE) == -1)
		return ipc_cause(cause, "%s: %s", c->sockpath, strerror(errno));
	return 0;
}

/*
 * The tcp:// ROUTER: a CURVE server, so that the traffic is encrypted and
 * every client proves it holds a key; the ZAP handler, bound before
 * (without one libzmq would let any key in), lets in the keys of
 * [control] curve_clients.
 */
static int
control_bind_remote(struct control *c, char **cause)
{
	const char	*ep = conf_str(c->conf, CONF_control_remote_endpoint);
	char		 secret[CURVE_Z85_LEN + 1], public[CURVE_Z85_LEN + 1];
	int		 one = 1, made, rc;

	if (*ep == '\0')
		return 0;
	if (curve_conf_check(c->conf, cause) == -1 ||
	    curve_keys(c->conf, 1, secret, public, &made, cause) == -1)
		return -1;
	if (made)
		log_notice("control: made the CURVE key pair %s; clients need "
		    "its public key %s (also in %s.pub)", conf_str(c->conf,
		    CONF_control_curve_secret_file), public, conf_str(c->conf,
		    CONF_control_curve_secret_file));
	rc = (c->remote = control_router(c, ZAP_DOMAIN_REMOTE, cause)) == NULL ||
	    control_sockopt(c->remote, ZMQ_CURVE_SERVER, &one, sizeof one,
	    cause) ||
	    control_sockopt(c->remote, ZMQ_CURVE_SECRETKEY, secret,
	    CURVE_Z85_LEN, cause) ? -1 : 0;
	sodium_memzero(secret, sizeof secret);
	if (rc == -1)
		return -1;
	if (zmq_bind(c->remote, ep) == -1)
		return ipc_cause(cause, "[control] remote_endpoint %s: %s", ep,
		    zmq_strerror(errno));
	return 0;
}

/* The pipe between the main thread and the control thread. */
static int
control_pipe(struct control *c, char **cause)
{
	int	zero = 0;

	if ((c->pipe_thread = zmq_socket(c->ctx, ZMQ_PAIR)) == NULL ||
	    (c->pipe_main = zmq_socket(c->ctx, ZMQ_PAIR)) == NULL ||
	    control_sockopt(c->pipe_thread, ZMQ_LINGER, &zero, sizeof zero,
	    cause) ||
	    control_sockopt(c->pipe_main, ZMQ_LINGER, &zero, sizeof zero,
	    cause) ||
	    zmq_bind(c->pipe_thread, CONTROL_PIPE) == -1 ||
	    zmq_connect(c->pipe_main, CONTROL_PIPE) == -1)
		return ipc_cause(cause, "%s: %s", CONTROL_PIPE,
		    zmq_strerror(errno));
	return 0;
}

struct control *
control_open(struct config *conf, struct db *db, char **cause)
{
	struct control	*c;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		ipc_cause(cause, "out of memory");
		db_close(db);
		return NULL;
	}
	c->db = db;
	c->conf = conf_ref(conf);
	if (conf_ipc_path(conf) != NULL &&
	    (c->sockpath = strdup(conf_ipc_path(conf))) == NULL) {
		ipc_cause(cause, "out of memory");
		goto fail;
	}
	if ((c->ctx = zmq_ctx_new()) == NULL) {
		ipc_cause(cause, "zmq_ctx_new: %s", zmq_strerror(errno));
		goto fail;
	}
	/* The ZAP handler must be bound before the ROUTER takes peers. */
	if ((c->zap = zap_open(c->ctx, cause)) == NULL ||
	    control_pipe(c, cause) == -1 || control_bind(c, cause) == -1 ||
	    control_bind_remote(c, cause) == -1)
		goto fail;
	return c;
fail:
	control_close(c);
	return NULL;
}

const char *
control_socket_path(const struct control *c)
{
	return c->sockpath;
}

void *
control_zmq_ctx(struct control *c)
{
	return c->ctx;
}

/* Read one message: identity, delimiter, body; more frames are counted. */
static int
control_read(void *s, struct control_req *r)
{
	zmq_msg_t	 f;
	int		 more;

	zmq_msg_init(&r->id);
	zmq_msg_init(&r->body);
	r->nframes = 0;
	r->delimited = 0;
	do {
		zmq_msg_init(&f);
		if (zmq_msg_recv(&f, s, 0) == -1) {
			zmq_msg_close(&f);
			return -1;
		}
		more = zmq_msg_more(&f);
		if (r->nframes == 0)
			zmq_msg_move(&r->id, &f);
		else if (r->nframes == 1)
			r->delimited = zmq_msg_size(&f) == 0;
		else if (r->nframes == 2)
			zmq_msg_move(&r->body, &f);
		else
			sodium_memzero(zmq_msg_data(&f), zmq_msg_size(&f));
		zmq_msg_close(&f);
		r->nframes++;
	} while (more);
	return 0;
}

static void
control_req_clear(struct control_req *r)
{
	/* The body may hold a password. */
	sodium_memzero(zmq_msg_data(&r->body), zmq_msg_size(&r->body));
	zmq_msg_close(&r->body);
	zmq_msg_close(&r->id);
}

static void
control_send(void *sock, struct control_req *r, const char *reply)
{
	if (zmq_send(sock, zmq_msg_data(&r->id), zmq_msg_size(&r->id),
	    ZMQ_SNDMORE) == -1 ||
	    zmq_send(sock, "", 0, ZMQ_SNDMORE) == -1 ||
	    zmq_send(sock, reply, strlen(reply), 0) == -1)
		log_debug("control: reply lost: %s", zmq_strerror(errno));
}

static void
control_actor_clear(struct actor *a)
{
	char	**d;

	for (d = a->domains; d != NULL && *d != NULL; d++)
		free(*d);
	free(a->domains);
	a->domains = NULL;
}

/* A domain admin's domains as a NULL-terminated list (never NULL). */
static int
control_domains(struct actor *a, json_t *domains)
{
	size_t	 i, n = json_array_size(domains);
	json_t	*d;

	if ((a->domains = calloc(n + 1, sizeof *a->domains)) == NULL)
		return -1;
	json_array_foreach(domains, i, d)
		if ((a->domains[i] = strdup(json_string_value(d) ?
		    json_string_value(d) : "")) == NULL)
			return -1;
	return 0;
}

/*
 * Who sends this request, from the User-Id the ZAP handler gave the
 * connection.  An admin's role and domains are read again each time, so
 * a change applies at once and a deleted admin is refused.
 */
static int
control_actor(struct control *c, zmq_msg_t *m, struct actor *a,
    struct ipc_error *err)
{
	const char	*uid = zmq_msg_gets(m, "User-Id");
	char		*hash = NULL, *cause = NULL;
	json_t		*domains = NULL;
	int		 rc;

	memset(a, 0, sizeof *a);
	if (uid != NULL && strncmp(uid, "uid:", 4) == 0) {
		snprintf(a->name, sizeof a->name, "%s", uid);
		a->super = 1;
		return 0;
	}
	if (uid == NULL || strncmp(uid, "admin:", 6) != 0)
		return ipc_fail(err, IPC_E_DENIED, "", "the connection has "
		    "no identity");
	snprintf(a->name, sizeof a->name, "%s", uid + 6);
	rc = db_admin_get(c->db, a->name, &hash, &a->super, &domains, &cause);
	free(hash);
	if (rc == 0 && !a->super && control_domains(a, domains) == -1)
		rc = ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	else if (rc == 1)
		rc = ipc_fail(err, IPC_E_DENIED, "", "the admin account %s no "
		    "longer exists", a->name);
	else if (rc == -1)
		ipc_fail(err, IPC_E_INTERNAL, "", "%s", cause);
	json_decref(domains);
	free(cause);
	return rc;
}

/*
 * Run the handler; a write command inside one transaction, unless it
 * opens its own (CMDF_OWNTXN: it waits on the network meanwhile, and a
 * transaction held that long would stall the relay's writes).
 */
static int
control_run(struct control *c, const struct ipc_cmd *cmd, json_t *args,
    const struct actor *a, json_t **result, struct ipc_error *err)
{
	struct cmd_ctx	 cx = { c->db, a, cmd, &c->info, NULL };
	char		*cause = NULL;
	int		 rc;
	int		 write = (cmd->flags & (CMDF_WRITE | CMDF_OWNTXN)) ==
			    CMDF_WRITE;

	if (write && db_begin(c->db, &cause) == -1) {
		ipc_fail(err, IPC_E_BUSY, "", "the database is busy: %s", cause);
		free(cause);
		return -1;
	}
	rc = cmd_handlers[cmd->id](&cx, args, result, err) == 0 ? 0 : -1;
	if (write && rc == 0 && db_commit(c->db, &cause) == -1) {
		ipc_fail(err, IPC_E_INTERNAL, "", "the change could not be "
		    "saved: %s", cause);
		free(cause);
		rc = -1;
	}
	if (write && rc == -1)
		db_rollback(c->db);
	/* The relay forgets what it read of users, domains and ranges. */
	if ((cmd->flags & CMDF_WRITE) && rc == 0)
		policy_shared_changed();
	cmd_event_flush(&cx, rc == 0);
	if (rc == -1) {
		json_decref(*result);
		*result = NULL;
		if (err->message[0] == '\0')
			ipc_fail(err, IPC_E_INTERNAL, "", "%s failed without "
			    "saying why", cmd->name);
	}
	return rc;
}

/* Check and run one request body; returns the reply text (malloc'ed). */
static char *
control_execute(struct control *c, struct control_req *r)
{
	const struct ipc_cmd	*cmd = NULL;
	struct ipc_error	 err;
	struct actor		 a;
	json_t			*args = NULL, *result = NULL;
	size_t			 len = zmq_msg_size(&r->body);
	long long		 max = conf_int(c->conf, CONF_control_max_frame);
	char			*reply;
	int			 rc = -1;

	memset(&err, 0, sizeof err);
	memset(&a, 0, sizeof a);
	if (r->nframes != 3)
		ipc_fail(&err, IPC_E_MALFORMED, "", "a request is one frame; "
		    "this one has %d", r->nframes - 2);
	else if (control_actor(c, &r->body, &a, &err) == 0 &&
	    ipc_request_decode_max(zmq_msg_data(&r->body), len, (size_t)max,
	    &cmd, &args, &err) == 0) {
		if (cmd->role == ROLE_SUPER && !a.super)
			ipc_fail(&err, IPC_E_DENIED, "", "%s needs a "
			    "super-admin", cmd->name);
		else
			rc = control_run(c, cmd, args, &a, &result, &err);
		if (cmd->flags & CMDF_WRITE)
			log_info("control: %s: %s: %s", a.name, cmd->name,
			    rc == 0 ? "ok" : ipc_errcode_name(err.code));
		ipc_args_wipe(cmd, args);
	}
	if (cmd == NULL || !(cmd->flags & CMDF_WRITE))
		log_debug("control: %s: %s: %s", a.name[0] ? a.name : "?",
		    cmd ? cmd->name : "-", rc == 0 ? "ok" :
		    ipc_errcode_name(err.code));
	reply = rc == 0 ? ipc_reply_ok(result) : ipc_reply_error(&err);
	json_decref(args);
	json_decref(result);
	control_actor_clear(&a);
	return reply;
}

/* Serve one message waiting on a ROUTER. */
static void
control_serve(struct control *c, void *sock)
{
	struct control_req	 r;
	char			*reply;

	if (control_read(sock, &r) == -1) {
		log_debug("control: %s", zmq_strerror(errno));
		control_req_clear(&r);
		return;
	}
	/* Without the REQ delimiter there is no way to answer. */
	if (r.nframes >= 3 && r.delimited) {
		if ((reply = control_execute(c, &r)) != NULL)
			control_send(sock, &r, reply);
		else
			control_send(sock, &r, "{\"v\":1,\"ok\":false,\"error\":"
			    "{\"code\":\"internal\",\"field\":\"\",\"message\":"
			    "\"out of memory\"}}");
		free(reply);
	} else
		log_debug("control: dropped a message of %d frames without "
		    "a delimiter", r.nframes);
	control_req_clear(&r);
}

static void
control_set_conf(struct control *c, struct config *conf)
{
	conf_unref(c->conf);
	c->conf = conf;
	c->info.config = conf;
}

/* A message from the main thread; 1 when told to stop. */
static int
control_pipe_read(struct control *c)
{
	struct control_msg	m;

	if (zmq_recv(c->pipe_thread, &m, sizeof m, 0) != sizeof m)
		return 0;
	if (m.op == CONTROL_STOP)
		return 1;
	control_set_conf(c, m.conf);
	log_debug("control: new configuration in force");
	return 0;
}

/*
 * The quarantine's purge runs here, where releases and deletions run, so
 * that a file is never removed while it is being relayed.  Returns when
 * the next one is due.
 */
static time_t
control_purge(struct control *c)
{
	char	*cause = NULL;
	int64_t	 n;
	time_t	 now = time(NULL);

	if (quarantine_purge(c->db, c->conf, now, &n, &cause) == -1) {
		log_warnx("quarantine purge: %s", cause);
		free(cause);
	} else if (n > 0)
		log_info("quarantine: %lld messages and files older than %lld "
		    "days removed", (long long)n, conf_int(c->conf,
		    CONF_quarantine_retention_days));
	return now + CONTROL_PURGE_SECS;
}

static void *
control_thread(void *arg)
{
	struct control	*c = arg;
	zmq_pollitem_t	 items[] = {
		{ c->pipe_thread, 0, ZMQ_POLLIN, 0 },
		{ zap_socket(c->zap), 0, ZMQ_POLLIN, 0 },
		{ c->router, 0, ZMQ_POLLIN, 0 },
		{ c->remote, 0, ZMQ_POLLIN, 0 },
	};
	time_t		 purge = time(NULL) + CONTROL_PURGE_FIRST, now;
	int		 n = c->remote != NULL ? 4 : 3;

	for (;;) {
		if ((now = time(NULL)) >= purge)
			purge = control_purge(c);
		if (zmq_poll(items, n, (long)(purge - now) * 1000) == -1) {
			if (errno == EINTR)
				continue;
			log_warnx("control: zmq_poll: %s", zmq_strerror(errno));
			break;
		}
		if ((items[0].revents & ZMQ_POLLIN) && control_pipe_read(c))
			break;
		if (items[1].revents & ZMQ_POLLIN)
			zap_handle(c->zap, c->db, c->conf);
		if (items[2].revents & ZMQ_POLLIN)
			control_serve(c, c->router);
		if (n > 3 && (items[3].revents & ZMQ_POLLIN))
			control_serve(c, c->remote);
	}
	return NULL;
}

void
control_set_spam(struct control *c, struct spam_service *spam)
{
	c->info.spam = spam;
}

int
control_start(struct control *c, char **cause)
{
	int	rc;

	c->info.started = time(NULL);
	c->info.pid = getpid();
	c->info.config = c->conf;
	if ((rc = pthread_create(&c->thread, NULL, control_thread, c)) != 0)
		return ipc_cause(cause, "pthread_create: %s", strerror(rc));
	c->running = 1;
	log_info("control: listening on %s",
	    conf_str(c->conf, CONF_control_endpoint));
	if (c->remote != NULL)
		log_info("control: listening on %s (CURVE, the admins of %s)",
		    conf_str(c->conf, CONF_control_remote_endpoint),
		    conf_str(c->conf, CONF_control_curve_clients));
	return 0;
}

static void
control_tell(struct control *c, enum control_op op, struct config *conf)
{
	struct control_msg	m = { op, conf };

	if (zmq_send(c->pipe_main, &m, sizeof m, 0) != sizeof m) {
		log_warnx("control: cannot reach the control thread: %s",
		    zmq_strerror(errno));
		conf_unref(conf);
	}
}

void
control_reload(struct control *c, struct config *conf)
{
	conf_ref(conf);
	if (c->running)
		control_tell(c, CONTROL_RELOAD, conf);
	else
		control_set_conf(c, conf);
}

/* Configurations sent but not read before the thread stopped. */
static void
control_pipe_drain(struct control *c)
{
	struct control_msg	m;

	while (zmq_recv(c->pipe_thread, &m, sizeof m, ZMQ_DONTWAIT) ==
	    sizeof m)
		if (m.op == CONTROL_RELOAD)
			conf_unref(m.conf);
}

static void
control_zclose(void **s)
{
	if (*s != NULL)
		zmq_close(*s);
	*s = NULL;
}

void
control_close(struct control *c)
{
	if (c == NULL)
		return;
	if (c->running) {
		control_tell(c, CONTROL_STOP, NULL);
		pthread_join(c->thread, NULL);
		c->running = 0;
	}
	if (c->pipe_thread != NULL)
		control_pipe_drain(c);
	control_zclose(&c->router);
	control_zclose(&c->remote);
	control_zclose(&c->pipe_main);
	control_zclose(&c->pipe_thread);
	zap_close(c->zap);
	if (c->ctx != NULL)
		zmq_ctx_term(c->ctx);
	if (c->bound && c->sockpath != NULL && unlink(c->sockpath) == -1 &&
	    errno != ENOENT)
		log_warn("%s", c->sockpath);
	free(c->sockpath);
	db_close(c->db);
	conf_unref(c->conf);
	free(c);
}
