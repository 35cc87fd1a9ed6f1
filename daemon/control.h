/*
 * The control socket: a thread serving the control protocol on a ZeroMQ
 * ROUTER, every peer authenticated by the ZAP handler (zap.c).
 */
#ifndef OF_CONTROL_H
#define OF_CONTROL_H

#include <sys/types.h>

struct config;
struct db;
struct control;
struct spam_service;
struct zap;

/*
 * Bind the ZAP handler and the control endpoint (for ipc://, the socket
 * file's directory is made and a stale socket file replaced), then the
 * remote endpoint with CURVE when there is one (its key pair made when
 * missing).  db is the control thread's own handle; it is the control's
 * from now on.
 */
struct control	*control_open(struct config *, struct db *, char **cause);
/* The socket file, so it can be handed over when privileges drop. */
const char	*control_socket_path(const struct control *);
/* The spam service the spam.* commands and status use; before start. */
void		 control_set_spam(struct control *, struct spam_service *);
/* The ZeroMQ context, whose ZAP handler the event socket shares. */
void		*control_zmq_ctx(struct control *);
/*
 * Before binding an ipc:// socket file: make its directory, and remove
 * it when stale (left by a daemon that died); -1 when another process
 * listens on it.
 */
int		 control_ipc_prepare(const char *path, char **cause);
/* Start serving in a thread of its own. */
int		 control_start(struct control *, char **cause);
/* Hand the thread a new configuration (takes a reference). */
void		 control_reload(struct control *, struct config *);
/* Finish the request in hand, stop the thread, close everything. */
void		 control_close(struct control *);

/* ZAP (RFC 27) handler, run inside the control thread. */
#define ZAP_ENDPOINT	"inproc://zeromq.zap.01"
#define ZAP_DOMAIN	"outfilter"
/* The event socket's: the same logins, super-admins only. */
#define ZAP_DOMAIN_EVENTS	"outfilter-events"
/* [control] remote_endpoint's: CURVE, admins by their public keys. */
#define ZAP_DOMAIN_REMOTE	"outfilter-remote"

struct zap	*zap_open(void *zmq_ctx, char **cause);
void		*zap_socket(struct zap *);
/* Answer one authentication request waiting on the ZAP socket. */
void		 zap_handle(struct zap *, struct db *, const struct config *);
void		 zap_close(struct zap *);
/*
 * The peer of an ipc:// connection as libzmq names it in a ZAP request,
 * "localhost:UID:GID:PID" (the last three fields count).  0 or -1.
 */
int		 zap_parse_address(const char *, uid_t *, gid_t *, pid_t *);

#endif
