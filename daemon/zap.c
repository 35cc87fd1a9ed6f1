/*
 * The ZAP handler (RFC 27/ZAP 1.0): who may talk to the control socket.
 * On the ipc:// socket every client logs in with PLAIN; on the tcp://
 * one ([control] remote_endpoint) with CURVE, its public key naming the
 * admin account in [control] curve_clients.  The name "-" with the password "-" is
 * the local super-admin path, granted to the uids the config lists (the
 * peer's uid comes from the kernel through libzmq); any other name is an
 * admin account verified with argon2id.  Verified passwords are
 * remembered for a short time under a keyed hash, so a script's thousand
 * calls do not each pay argon2id.  The event socket asks on its own ZAP
 * domain, which lets in super-admins only: its events name the senders
 * of every domain.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "conf.h"
#include "control.h"
#include "curve.h"
#include "db.h"
#include "log.h"
#include "passwd.h"

/* Frames of a request: version, id, domain, address, identity, mechanism,
 * then the PLAIN credentials, user name and password (CURVE's: the
 * client's public key in the place of the user name). */
enum { ZF_VERSION, ZF_ID, ZF_DOMAIN, ZF_ADDRESS, ZF_IDENTITY, ZF_MECHANISM,
	ZF_USER, ZF_PASSWORD, ZF_MAX };

#define ZAP_CACHE_MAX		1024
/* A refused login waits this long, to slow down guessing. */
#define ZAP_FAIL_DELAY_MS	100

struct zap_cached {
	unsigned char	digest[crypto_generichash_BYTES];
	time_t		added;
};

/*
 * Both in guarded memory (sodium_malloc): locked, left out of core dumps
 * and wiped when freed.  A request holds a password; the cache key would
 * let whoever read it test guesses against the cache at hash speed.
 */
struct zap {
	void			*sock;
	unsigned char		 key[crypto_generichash_KEYBYTES];
	struct zap_cached	 cache[ZAP_CACHE_MAX];
	size_t			 ncache;
};

/* One request, its frames as strings. */
struct zap_req {
	zmq_msg_t	 f[ZF_MAX];
	int		 nf;
	char		 address[128];
	char		 user[256];
	char		 password[256];
	char		 user_id[300];
	char		 why[256];
	char		 peer[160];	/* for the log: "uid 1000 (pid 42)" */
	int		 events;	/* for the event socket */
};

struct zap *
zap_open(void *ctx, char **cause)
{
	struct zap	*z;
	int		 linger = 0;

	if (sodium_init() == -1 || (z = sodium_malloc(sizeof *z)) == NULL) {
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	memset(z, 0, sizeof *z);
	crypto_generichash_keygen(z->key);
	if ((z->sock = zmq_socket(ctx, ZMQ_REP)) == NULL ||
	    zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger) == -1 ||
	    zmq_bind(z->sock, ZAP_ENDPOINT) == -1) {
		ipc_cause(cause, "%s: %s", ZAP_ENDPOINT, zmq_strerror(errno));
		zap_close(z);
		return NULL;
	}
	return z;
}

void *
zap_socket(struct zap *z)
{
	return z->sock;
}

void
zap_close(struct zap *z)
{
	if (z == NULL)
		return;
	if (z->sock != NULL)
		zmq_close(z->sock);
	sodium_free(z);
}

/* An unsigned decimal field of at most max. */
static int
zap_number(const char *s, unsigned long long max, unsigned long long *out)
{
	char	*end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return (*end != '\0' && *end != ':') || errno != 0 || *out > max ?
	    -1 : 0;
}

int
zap_parse_address(const char *addr, uid_t *uid, gid_t *gid, pid_t *pid)
{
	const char		*f[3], *p;
	unsigned long long	 v[3];
	int			 i, n = 0;

	/* The starts of the last three colon-separated fields. */
	for (p = addr + strlen(addr); p > addr && n < 3; p--)
		if (p[-1] == ':')
			f[2 - n++] = p;
	if (n < 3)
		return -1;
	for (i = 0; i < 3; i++)
		if (zap_number(f[i], i < 2 ? (uid_t)-2 : 0x7fffffff, &v[i]) == -1)
			return -1;
	*uid = v[0];
	*gid = v[1];
	*pid = v[2];
	return 0;
}

/* Frame i as a string in buf; -1 when it does not fit or holds a NUL. */
static int
zap_frame_str(struct zap_req *r, int i, char *buf, size_t len)
{
	size_t	n;

	if (i >= r->nf || (n = zmq_msg_size(&r->f[i])) >= len ||
	    memchr(zmq_msg_data(&r->f[i]), '\0', n) != NULL)
		return -1;
	memcpy(buf, zmq_msg_data(&r->f[i]), n);
	buf[n] = '\0';
	return 0;
}

static int
zap_frame_is(struct zap_req *r, int i, const char *s)
{
	return i < r->nf && zmq_msg_size(&r->f[i]) == strlen(s) &&
	    memcmp(zmq_msg_data(&r->f[i]), s, strlen(s)) == 0;
}

/* Read the frames of one request; extra frames are dropped. */
static int
zap_read(struct zap *z, struct zap_req *r)
{
	zmq_msg_t	extra, *m;
	int		more;

	for (r->nf = 0; ; ) {
		m = r->nf < ZF_MAX ? &r->f[r->nf] : &extra;
		zmq_msg_init(m);
		if (zmq_msg_recv(m, z->sock, 0) == -1) {
			zmq_msg_close(m);
			return -1;
		}
		more = zmq_msg_more(m);
		if (m == &extra)
			zmq_msg_close(m);
		else
			r->nf++;
		if (!more)
			return 0;
	}
}

static void
zap_req_clear(struct zap_req *r)
{
	int	i;

	for (i = 0; i < r->nf; i++) {
		if (i == ZF_PASSWORD)
			sodium_memzero(zmq_msg_data(&r->f[i]),
			    zmq_msg_size(&r->f[i]));
		zmq_msg_close(&r->f[i]);
	}
	sodium_memzero(r->password, sizeof r->password);
}

/* The keyed hash a verified login is remembered under. */
static void
zap_digest(struct zap *z, const char *user, const char *password,
    const char *hash, unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash_state	st;

	crypto_generichash_init(&st, z->key, sizeof z->key,
	    crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)user,
	    strlen(user) + 1);
	crypto_generichash_update(&st, (const unsigned char *)password,
	    strlen(password) + 1);
	crypto_generichash_update(&st, (const unsigned char *)hash,
	    strlen(hash) + 1);
	crypto_generichash_final(&st, out, crypto_generichash_BYTES);
	sodium_memzero(&st, sizeof st);
}

/* Valid for the ttl in force now, so a shorter one applies at once. */
static int
zap_cache_hit(struct zap *z, const unsigned char *d, time_t now, time_t ttl)
{
	size_t	i;

	for (i = 0; i < z->ncache; i++)
		if (now < z->cache[i].added + ttl &&
		    sodium_memcmp(z->cache[i].digest, d,
		    crypto_generichash_BYTES) == 0)
			return 1;
	return 0;
}

/* Remember d; when full, the oldest entry makes room. */
static void
zap_cache_add(struct zap *z, const unsigned char *d, time_t now,
    time_t ttl)
{
	size_t	i, slot = z->ncache;

	if (ttl <= 0)
		return;
	if (slot == ZAP_CACHE_MAX)
		for (i = slot = 0; i < z->ncache; i++)
			if (z->cache[i].added < z->cache[slot].added)
				slot = i;
	memcpy(z->cache[slot].digest, d, crypto_generichash_BYTES);
	z->cache[slot].added = now;
	if (slot == z->ncache)
		z->ncache++;
}

/* The local super-admin path: name and password "-", a listed uid. */
static int
zap_local(struct zap_req *r, const struct config *conf)
{
	uid_t	uid;
	gid_t	gid;
	pid_t	pid;

	if (strcmp(r->password, "-") != 0) {
		snprintf(r->why, sizeof r->why, "the name \"-\" takes the "
		    "password \"-\"");
		return 400;
	}
	if (zap_parse_address(r->address, &uid, &gid, &pid) == -1) {
		snprintf(r->why, sizeof r->why, "the peer's uid is unknown");
		return 400;
	}
	if (!conf_has_uid(conf, CONF_control_super_uids, uid)) {
		snprintf(r->why, sizeof r->why, "uid %u is not a local "
		    "super-admin (see [control] super_uids)", (unsigned)uid);
		return 400;
	}
	snprintf(r->user_id, sizeof r->user_id, "uid:%u", (unsigned)uid);
	return 200;
}

/* An admin account's login: argon2id, or the cache of recent successes. */
static int
zap_admin(struct zap *z, struct zap_req *r, struct db *db,
    const struct config *conf)
{
	unsigned char	 d[crypto_generichash_BYTES];
	char		*hash = NULL, *cause = NULL;
	json_t		*domains = NULL;
	time_t		 now = time(NULL);
	time_t		 ttl = conf_int(conf, CONF_control_credential_cache);
	int		 super, rc;

	rc = db_admin_get(db, r->user, &hash, &super, &domains, &cause);
	json_decref(domains);
	if (rc == -1) {
		snprintf(r->why, sizeof r->why, "%s", cause);
		free(cause);
		return 500;
	}
	if (rc == 1) {
		snprintf(r->why, sizeof r->why, "no such admin");
		return 400;
	}
	zap_digest(z, r->user, r->password, hash, d);
	if (zap_cache_hit(z, d, now, ttl))
		rc = 200;
	else if (passwd_verify(hash, r->password) == 0) {
		zap_cache_add(z, d, now, ttl);
		rc = 200;
	} else {
		snprintf(r->why, sizeof r->why, "wrong password");
		rc = 400;
	}
	sodium_memzero(d, sizeof d);
	free(hash);
	if (rc == 200 && r->events && !super) {
		snprintf(r->why, sizeof r->why, "the event socket is for "
		    "super-admins: its events name every domain's senders");
		rc = 400;
	}
	if (rc == 200)
		snprintf(r->user_id, sizeof r->user_id, "admin:%s", r->user);
	return rc;
}

/*
 * A client of the tcp:// endpoint: its public key is listed in [control]
 * curve_clients for an admin account that exists.  The account's role
 * and domains are read for each request, as for a PLAIN login.
 */
static int
zap_curve(struct zap_req *r, struct db *db, const struct config *conf)
{
	char	 key[CURVE_Z85_LEN + 1], name[256], *hash = NULL, *cause = NULL;
	json_t	*domains = NULL;
	int	 super, rc;

	if (r->nf != ZF_USER + 1 || zmq_msg_size(&r->f[ZF_USER]) != 32 ||
	    zmq_z85_encode(key, zmq_msg_data(&r->f[ZF_USER]), 32) == NULL) {
		snprintf(r->why, sizeof r->why, "malformed ZAP request");
		return 500;
	}
	snprintf(r->user, sizeof r->user, "CURVE key %s", key);
	if ((rc = curve_client_find(conf, key, name, sizeof name,
	    &cause)) == -1) {
		snprintf(r->why, sizeof r->why, "%s", cause);
		free(cause);
		return 500;
	}
	if (rc == 0) {
		snprintf(r->why, sizeof r->why, "the key is not in [control] "
		    "curve_clients");
		return 400;
	}
	rc = db_admin_get(db, name, &hash, &super, &domains, &cause);
	free(hash);
	json_decref(domains);
	if (rc == -1) {
		snprintf(r->why, sizeof r->why, "%s", cause);
		free(cause);
		return 500;
	}
	if (rc == 1) {
		snprintf(r->why, sizeof r->why, "[control] curve_clients gives "
		    "it to %.100s, which is no admin account", name);
		return 400;
	}
	snprintf(r->user_id, sizeof r->user_id, "admin:%s", name);
	return 200;
}

/* Who the peer is, for the log. */
static void
zap_peer(struct zap_req *r)
{
	uid_t	uid;
	gid_t	gid;
	pid_t	pid;
	char	safe[128];

	if (zap_parse_address(r->address, &uid, &gid, &pid) == 0)
		snprintf(r->peer, sizeof r->peer, "uid %u (pid %ld)",
		    (unsigned)uid, (long)pid);
	else
		snprintf(r->peer, sizeof r->peer, "%s",
		    log_safe(r->address, safe, sizeof safe));
}

static int
zap_decide(struct zap *z, struct zap_req *r, struct db *db,
    const struct config *conf)
{
	if (r->nf <= ZF_USER || !zap_frame_is(r, ZF_VERSION, "1.0") ||
	    zap_frame_str(r, ZF_ADDRESS, r->address, sizeof r->address) == -1) {
		snprintf(r->why, sizeof r->why, "malformed ZAP request");
		return 500;
	}
	zap_peer(r);
	/* Each socket its mechanism: PLAIN is never taken over tcp://. */
	if (zap_frame_is(r, ZF_DOMAIN, ZAP_DOMAIN_REMOTE) &&
	    zap_frame_is(r, ZF_MECHANISM, "CURVE"))
		return zap_curve(r, db, conf);
	r->events = zap_frame_is(r, ZF_DOMAIN, ZAP_DOMAIN_EVENTS);
	if ((!zap_frame_is(r, ZF_DOMAIN, ZAP_DOMAIN) && !r->events) ||
	    !zap_frame_is(r, ZF_MECHANISM, "PLAIN")) {
		snprintf(r->why, sizeof r->why, "only PLAIN on the domains "
		    ZAP_DOMAIN " and " ZAP_DOMAIN_EVENTS ", and CURVE on "
		    ZAP_DOMAIN_REMOTE ", are served");
		return 400;
	}
	if (r->nf < ZF_MAX) {
		snprintf(r->why, sizeof r->why, "malformed ZAP request");
		return 500;
	}
	if (zap_frame_str(r, ZF_USER, r->user, sizeof r->user) == -1 ||
	    zap_frame_str(r, ZF_PASSWORD, r->password, sizeof r->password) == -1 ||
	    r->user[0] == '\0') {
		snprintf(r->why, sizeof r->why, "unusable name or password");
		return 400;
	}
	if (strcmp(r->user, "-") == 0)
		return zap_local(r, conf);
	return zap_admin(z, r, db, conf);
}

static void
zap_send(void *sock, const void *p, size_t n, int more)
{
	if (zmq_send(sock, p, n, more ? ZMQ_SNDMORE : 0) == -1)
		log_warnx("control: ZAP reply: %s", zmq_strerror(errno));
}

static void
zap_reply(struct zap *z, struct zap_req *r, int status)
{
	char	code[8];

	snprintf(code, sizeof code, "%d", status);
	zap_send(z->sock, "1.0", 3, 1);
	if (r->nf > ZF_ID)
		zap_send(z->sock, zmq_msg_data(&r->f[ZF_ID]),
		    zmq_msg_size(&r->f[ZF_ID]), 1);
	else
		zap_send(z->sock, "", 0, 1);
	zap_send(z->sock, code, strlen(code), 1);
	zap_send(z->sock, status == 200 ? "OK" : r->why,
	    status == 200 ? 2 : strlen(r->why), 1);
	zap_send(z->sock, r->user_id, status == 200 ? strlen(r->user_id) : 0, 1);
	zap_send(z->sock, "", 0, 0);
}

void
zap_handle(struct zap *z, struct db *db, const struct config *conf)
{
	struct zap_req	*r;
	char		 safe[128];
	int		 status;

	if ((r = sodium_malloc(sizeof *r)) == NULL)
		fatal("zap");
	memset(r, 0, sizeof *r);
	if (zap_read(z, r) == -1) {
		log_warnx("control: ZAP: %s", zmq_strerror(errno));
		zap_req_clear(r);
		sodium_free(r);
		return;
	}
	status = zap_decide(z, r, db, conf);
	if (status == 200)
		log_debug("control: %s logged in from %s", r->user_id, r->peer);
	else {
		log_warnx("control: login refused for %s from %s: %s",
		    log_safe(r->user, safe, sizeof safe), r->peer, r->why);
		/* Slow down guessing; argon2id already costs ~70 ms. */
		usleep(ZAP_FAIL_DELAY_MS * 1000);
	}
	zap_reply(z, r, status);
	zap_req_clear(r);
	sodium_free(r);
}
