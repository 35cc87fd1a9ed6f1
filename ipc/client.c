/*
 * The client side of the control socket: one ZMQ_REQ connection with a
 * PLAIN login (ipc://) or CURVE keys (tcp://), watched through a socket
 * monitor so that a refused login, a missing daemon and a slow one each
 * get their own answer.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "ipc.h"

struct ipc_client {
	void	*ctx;
	void	*sock;		/* ZMQ_REQ to the daemon */
	void	*mon;		/* ZMQ_PAIR receiving sock's events */
	char	*endpoint;
	char	*path;		/* the socket file of an ipc:// endpoint */
	char	*user;		/* the admin logging in, NULL: local uid */
	struct ipc_curve *curve;	/* tcp://: keys, in guarded memory */
	int	 timeout_ms;
	int	 connected;	/* a handshake succeeded once */
	int	 refused;	/* the daemon refused the login */
	int	 zap_status;	/* its ZAP status code */
	unsigned generation;	/* sockets made so far */
	int	 retries;	/* refused connects before the first login */
};

/* Refused connects (RECONNECT_IVL apart) before a socket file is stale. */
#define CLIENT_STALE_RETRIES	5
#define CLIENT_RECONNECT_IVL	100

#define CLIENT_EVENTS	(ZMQ_EVENT_HANDSHAKE_SUCCEEDED | \
	ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | \
	ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_CONNECT_RETRIED)

static int
client_setint(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof v);
}

/* CURVE: the daemon's public key, and our key pair. */
static int
client_curve(struct ipc_client *c)
{
	char	public[IPC_CURVE_KEYLEN + 1];

	if (zmq_curve_public(public, c->curve->secret_key) == -1)
		return -1;
	return zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY,
	    c->curve->server_key, IPC_CURVE_KEYLEN) == -1 ||
	    zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, public,
	    IPC_CURVE_KEYLEN) == -1 ||
	    zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, c->curve->secret_key,
	    IPC_CURVE_KEYLEN) == -1 ? -1 : 0;
}

/* Options of the REQ socket, the login included. */
static int
client_options(struct ipc_client *c, const char *user, const char *password)
{
	if (user == NULL)
		user = password = "-";
	if (password == NULL)
		password = "";
	if (client_setint(c->sock, ZMQ_LINGER, 0) == -1 ||
	    client_setint(c->sock, ZMQ_RCVTIMEO, c->timeout_ms) == -1 ||
	    client_setint(c->sock, ZMQ_SNDTIMEO, c->timeout_ms) == -1 ||
	    client_setint(c->sock, ZMQ_RECONNECT_IVL, CLIENT_RECONNECT_IVL) == -1 ||
	    /* Nothing waits in a queue for a daemon that may never come. */
	    client_setint(c->sock, ZMQ_IMMEDIATE, 1) == -1)
		return -1;
	if (c->curve != NULL)
		return client_curve(c);
	if (zmq_setsockopt(c->sock, ZMQ_PLAIN_USERNAME, user, strlen(user)) == -1 ||
	    zmq_setsockopt(c->sock, ZMQ_PLAIN_PASSWORD, password,
	    strlen(password)) == -1)
		return -1;
	return 0;
}

/* The monitor must be connected before the socket, to see every event. */
static int
client_monitor(struct ipc_client *c)
{
	char	addr[80];

	snprintf(addr, sizeof addr, "inproc://ipc-client-monitor-%p-%u",
	    (void *)c, c->generation++);
	if (zmq_socket_monitor(c->sock, addr, CLIENT_EVENTS) == -1)
		return -1;
	if ((c->mon = zmq_socket(c->ctx, ZMQ_PAIR)) == NULL ||
	    client_setint(c->mon, ZMQ_LINGER, 0) == -1)
		return -1;
	return zmq_connect(c->mon, addr);
}

/* A new REQ socket with its monitor, connected to the endpoint. */
static int
client_socket(struct ipc_client *c, const char *user, const char *password)
{
	if ((c->sock = zmq_socket(c->ctx, ZMQ_REQ)) == NULL ||
	    client_options(c, user, password) == -1 || client_monitor(c) == -1)
		return -1;
	return zmq_connect(c->sock, c->endpoint);
}

static void
client_socket_close(struct ipc_client *c)
{
	if (c->sock != NULL) {
		zmq_socket_monitor(c->sock, NULL, 0);
		zmq_close(c->sock);
	}
	if (c->mon != NULL)
		zmq_close(c->mon);
	c->sock = c->mon = NULL;
}

/*
 * A REQ socket whose request got no answer can send nothing more: replace
 * it, with the login libzmq still holds for the old one.
 */
static void
client_reset(struct ipc_client *c)
{
	char	user[256], password[2048];
	size_t	ulen = sizeof user - 1, plen = sizeof password - 1;

	if (c->curve != NULL ||
	    zmq_getsockopt(c->sock, ZMQ_PLAIN_USERNAME, user, &ulen) == -1 ||
	    zmq_getsockopt(c->sock, ZMQ_PLAIN_PASSWORD, password, &plen) == -1)
		ulen = plen = 0;
	user[ulen] = password[plen] = '\0';
	client_socket_close(c);
	/* On failure c->sock stays NULL: later calls say so. */
	if (client_socket(c, c->user != NULL ? user : NULL, password) == -1)
		client_socket_close(c);
	sodium_memzero(password, sizeof password);
}

struct ipc_client *
ipc_client_open(const char *endpoint, const char *user, const char *password,
    int timeout_ms, char **cause)
{
	return ipc_client_open_curve(endpoint, NULL, user, password,
	    timeout_ms, cause);
}

/* CURVE keys go with tcp:// endpoints and only there. */
static int
client_curve_wanted(const char *endpoint, const struct ipc_curve *curve,
    char **cause)
{
	int	tcp = strncmp(endpoint, "tcp://", 6) == 0;

	if (tcp && curve == NULL)
		return ipc_cause(cause, "the control endpoint \"%s\" is "
		    "tcp://, which needs CURVE keys: a server_key and a "
		    "secret_key line in the credentials file", endpoint);
	if (!tcp && curve != NULL)
		return ipc_cause(cause, "the control endpoint \"%s\" is not "
		    "tcp://: CURVE keys are for tcp:// endpoints", endpoint);
	return 0;
}

struct ipc_client *
ipc_client_open_curve(const char *endpoint, const struct ipc_curve *curve,
    const char *user, const char *password, int timeout_ms, char **cause)
{
	struct ipc_client	*c;

	if (client_curve_wanted(endpoint, curve, cause) == -1)
		return NULL;
	if ((c = calloc(1, sizeof *c)) == NULL ||
	    (c->endpoint = strdup(endpoint)) == NULL ||
	    (user != NULL && (c->user = strdup(user)) == NULL) ||
	    (curve != NULL && (sodium_init() == -1 ||
	    (c->curve = sodium_malloc(sizeof *c->curve)) == NULL))) {
		ipc_cause(cause, "out of memory");
		ipc_client_close(c);
		return NULL;
	}
	if (curve != NULL)
		memcpy(c->curve, curve, sizeof *c->curve);
	if (strncmp(endpoint, "ipc://", 6) == 0 && endpoint[6] != '@' &&
	    (c->path = strdup(endpoint + 6)) == NULL) {
		ipc_cause(cause, "out of memory");
		ipc_client_close(c);
		return NULL;
	}
	c->timeout_ms = timeout_ms;
	if ((c->ctx = zmq_ctx_new()) == NULL ||
	    client_socket(c, user, password) == -1) {
		ipc_cause(cause, "cannot connect to the control endpoint "
		    "\"%s\": %s", endpoint, zmq_strerror(errno));
		ipc_client_close(c);
		return NULL;
	}
	return c;
}

void
ipc_client_close(struct ipc_client *c)
{
	if (c == NULL)
		return;
	client_socket_close(c);
	if (c->ctx != NULL)
		zmq_ctx_term(c->ctx);
	free(c->endpoint);
	free(c->path);
	free(c->user);
	if (c->curve != NULL)
		sodium_free(c->curve);
	free(c);
}

static long long
client_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
client_login_failed(struct ipc_client *c, struct ipc_error *err)
{
	if (c->zap_status != 400 && c->zap_status != 0)
		ipc_fail(err, IPC_E_DENIED, "", "outfilterd could not check the "
		    "login (status %d); see its log", c->zap_status);
	else if (c->curve != NULL)
		ipc_fail(err, IPC_E_DENIED, "", "login refused: outfilterd at %s "
		    "lets in no admin with this CURVE key (see its [control] "
		    "curve_clients)", c->endpoint);
	else if (c->user != NULL)
		ipc_fail(err, IPC_E_DENIED, "", "login refused for %s: wrong "
		    "name or password", c->user);
	else
		ipc_fail(err, IPC_E_DENIED, "", "login refused for uid %u: it "
		    "is not a local super-admin of outfilterd; log in as an "
		    "admin", (unsigned)geteuid());
	return IPC_CALL_LOGIN;
}

/* Before waiting for a daemon, see whether its socket file is there. */
static int
client_check_socket(struct ipc_client *c, struct ipc_error *err)
{
	struct stat	st;

	if (c->path == NULL || c->connected)
		return 0;
	if (stat(c->path, &st) == -1 && errno == ENOENT)
		return ipc_fail(err, IPC_E_BUSY, "", "outfilterd is not running: "
		    "no control socket at %s", c->path);
	if (access(c->path, R_OK | W_OK) == -1)
		return ipc_fail(err, IPC_E_BUSY, "", "cannot use the control "
		    "socket %s: %s", c->path, strerror(errno));
	return 0;
}

/*
 * Read one monitor event.  Returns 0 to go on waiting, or the call's
 * result when the event decides it.
 */
static int
client_event(struct ipc_client *c, struct ipc_error *err)
{
	zmq_msg_t	 msg;
	uint16_t	 event = 0;
	uint32_t	 value = 0;
	const uint8_t	*d;

	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, c->mon, ZMQ_DONTWAIT) == -1) {
		zmq_msg_close(&msg);
		return 0;
	}
	if (zmq_msg_size(&msg) >= 6) {
		d = zmq_msg_data(&msg);
		memcpy(&event, d, 2);
		memcpy(&value, d + 2, 4);
	}
	/* The second frame is the endpoint: we know it. */
	while (zmq_msg_more(&msg) && zmq_msg_recv(&msg, c->mon, 0) != -1)
		;
	zmq_msg_close(&msg);

	switch (event) {
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
		c->connected = 1;
		return 0;
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		c->refused = 1;
		c->zap_status = value;
		return client_login_failed(c, err);
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
		if (c->curve != NULL)
			ipc_fail(err, IPC_E_BUSY, "", "the CURVE handshake with "
			    "outfilterd at %s failed: is server_key its public "
			    "key (its [control] curve_secret_file.pub)?",
			    c->endpoint);
		else
			ipc_fail(err, IPC_E_BUSY, "", "the handshake with "
			    "outfilterd at %s failed: is it an outfilterd "
			    "control socket?", c->endpoint);
		return IPC_CALL_UNREACHABLE;
	case ZMQ_EVENT_CONNECT_RETRIED:
		/*
		 * A socket file nobody listens on: the daemon is gone.  A few
		 * tries first, as a daemon starting binds before it listens.
		 */
		if (c->path == NULL || c->connected ||
		    ++c->retries < CLIENT_STALE_RETRIES)
			return 0;
		ipc_fail(err, IPC_E_BUSY, "", "outfilterd is not running: "
		    "nothing listens on %s", c->path);
		return IPC_CALL_UNREACHABLE;
	}
	return 0;
}

/*
 * Wait until the socket is ready for what (ZMQ_POLLIN/POLLOUT), watching
 * the monitor meanwhile.  Returns 1 when ready, else the call's result.
 */
static int
client_wait(struct ipc_client *c, short what, long long deadline,
    struct ipc_error *err)
{
	zmq_pollitem_t	items[2];
	long long	left;
	int		rc;

	for (;;) {
		if ((left = deadline - client_now_ms()) <= 0)
			break;
		items[0] = (zmq_pollitem_t){ c->sock, 0, what, 0 };
		items[1] = (zmq_pollitem_t){ c->mon, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(items, 2, left) == -1 && errno != EINTR)
			break;
		if ((items[1].revents & ZMQ_POLLIN) &&
		    (rc = client_event(c, err)) != 0)
			return rc;
		if (items[0].revents & what)
			return 1;
	}
	/* A wrong server key is not refused: the daemon just stays silent. */
	ipc_fail(err, IPC_E_BUSY, "", "outfilterd at %s did not answer within "
	    "%d.%d s%s", c->endpoint, c->timeout_ms / 1000,
	    c->timeout_ms % 1000 / 100, c->curve != NULL && !c->connected ?
	    ": is it running, and is server_key its CURVE public key?" : "");
	return IPC_CALL_UNREACHABLE;
}

/* Send the request text; it is wiped, as it may hold a password. */
static int
client_send(struct ipc_client *c, char *req, long long deadline,
    struct ipc_error *err)
{
	size_t	len = strlen(req);
	int	rc;

	while ((rc = client_wait(c, ZMQ_POLLOUT, deadline, err)) == 1) {
		if (zmq_send(c->sock, req, len, ZMQ_DONTWAIT) != -1)
			break;
		if (errno != EAGAIN && errno != EINTR) {
			rc = IPC_CALL_UNREACHABLE;
			ipc_fail(err, IPC_E_BUSY, "", "cannot send to outfilterd "
			    "at %s: %s", c->endpoint, zmq_strerror(errno));
			break;
		}
	}
	sodium_memzero(req, len);
	return rc == 1 ? 0 : rc;
}

static int
client_receive(struct ipc_client *c, long long deadline, json_t **result,
    struct ipc_error *err)
{
	zmq_msg_t	msg;
	int		rc;

	zmq_msg_init(&msg);
	while ((rc = client_wait(c, ZMQ_POLLIN, deadline, err)) == 1) {
		if (zmq_msg_recv(&msg, c->sock, ZMQ_DONTWAIT) != -1)
			break;
	}
	if (rc == IPC_CALL_UNREACHABLE)
		client_reset(c);
	if (rc == 1)
		rc = ipc_reply_decode(zmq_msg_data(&msg), zmq_msg_size(&msg),
		    result, err) == 0 ? IPC_CALL_OK : IPC_CALL_REFUSED;
	zmq_msg_close(&msg);
	return rc;
}

int
ipc_client_call(struct ipc_client *c, const char *cmd, json_t *args,
    json_t **result, struct ipc_error *err)
{
	long long	 deadline = client_now_ms() + c->timeout_ms;
	char		*req;
	int		 rc;

	*result = NULL;
	if (c->refused)
		return client_login_failed(c, err);
	if (c->sock == NULL) {
		ipc_fail(err, IPC_E_BUSY, "", "cannot reconnect to outfilterd "
		    "at %s", c->endpoint);
		return IPC_CALL_UNREACHABLE;
	}
	if (client_check_socket(c, err) == -1)
		return IPC_CALL_UNREACHABLE;
	if ((req = ipc_request_encode(cmd, args)) == NULL) {
		ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
		return IPC_CALL_REFUSED;
	}
	rc = client_send(c, req, deadline, err);
	free(req);
	if (rc != 0)
		return rc;
	return client_receive(c, deadline, result, err);
}
