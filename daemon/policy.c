/*
 * Who is sending, and may they (policy.h).  Every answer reads the user
 * afresh from the database (a lock or a new limit counts at the next
 * command); the counters, connection slots and AUTH failures live in
 * limits.c, the message log in msglog.c.
 *
 * Threads: the policy functions run in the session's worker threads.  Each
 * call borrows a database connection from a small pool (one per thread
 * that ever needed one at the same time) and gives it back.  Writes of
 * the relay (log rows, counter batches, purges) take write_mtx, so that
 * they queue on a mutex rather than in SQLite's busy-wait.  A batch
 * thread writes the counters back every POLICY_FLUSH_SECS and purges the
 * message log every POLICY_PURGE_SECS.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conf.h"
#include "db.h"
#include "ipc.h"
#include "limit.h"
#include "log.h"
#include "msglog.h"
#include "passwd.h"
#include "policy.h"

#define POLICY_FLUSH_SECS	5
#define POLICY_PURGE_SECS	3600
/* Verified credentials remembered at once: a direct-mapped cache. */
#define POLICY_CACHE_SLOTS	4096
/* Longest SMTP AUTH name looked up; longer ones just fail. */
#define POLICY_NAME_MAX		255

struct policy_cred {
	unsigned char	digest[crypto_generichash_BYTES];
	time_t		added;
};

/* The settings of outfilterd.conf the policy reads; replaced on reload. */
struct policy_conf {
	int64_t	ip_cap;
	int64_t	auth_fail_limit;
	int64_t	auth_fail_window;
	int64_t	auth_cache;
	int64_t	retention_days;
};

struct policy {
	pthread_mutex_t		 mtx;		/* conf and pool */
	struct policy_conf	 conf;
	char			*dbpath;
	struct db		**pool;
	size_t			 npool, cappool;

	pthread_mutex_t		 write_mtx;
	struct limits		*limits;

	pthread_mutex_t		 cache_mtx;
	unsigned char		 cache_key[crypto_generichash_KEYBYTES];
	struct policy_cred	*cache;
	/* Verified for unknown names, so they cost what a wrong password does. */
	char			 dummy_hash[PASSWD_HASH_MAX];

	pthread_t		 batch;
	pthread_cond_t		 batch_cv;
	int			 stopping;
};

static void
policy_conf_read(struct policy_conf *pc, const struct config *conf)
{
	pc->ip_cap = conf_int(conf, CONF_smtp_max_connections_per_ip);
	pc->auth_fail_limit = conf_int(conf, CONF_smtp_auth_fail_limit);
	pc->auth_fail_window = conf_int(conf, CONF_smtp_auth_fail_window);
	pc->auth_cache = conf_int(conf, CONF_smtp_auth_cache);
	pc->retention_days = conf_int(conf, CONF_log_retention_days);
}

static struct policy_conf
policy_conf_get(struct policy *p)
{
	struct policy_conf	pc;

	pthread_mutex_lock(&p->mtx);
	pc = p->conf;
	pthread_mutex_unlock(&p->mtx);
	return pc;
}

/* A connection of the pool, opened when none is free; NULL with cause. */
static struct db *
policy_db_get(struct policy *p, char **cause)
{
	struct db	*db = NULL;

	pthread_mutex_lock(&p->mtx);
	if (p->npool > 0)
		db = p->pool[--p->npool];
	pthread_mutex_unlock(&p->mtx);
	if (db == NULL)
		db = db_open(p->dbpath, 0, cause);
	return db;
}

static void
policy_db_put(struct policy *p, struct db *db)
{
	struct db	**pool;
	size_t		  cap;

	pthread_mutex_lock(&p->mtx);
	if (p->npool == p->cappool) {
		cap = p->cappool == 0 ? 8 : p->cappool * 2;
		if ((pool = reallocarray(p->pool, cap, sizeof *pool)) == NULL) {
			pthread_mutex_unlock(&p->mtx);
			db_close(db);
			return;
		}
		p->pool = pool;
		p->cappool = cap;
	}
	p->pool[p->npool++] = db;
	pthread_mutex_unlock(&p->mtx);
}

/* Our own failure: the client keeps its mail and tries again. */
static void
policy_tempfail(struct verdict *v, const char *what, char *cause)
{
	log_warnx("%s: %s", what, cause != NULL ? cause : "unknown error");
	free(cause);
	v->code = 451;
	snprintf(v->text, sizeof v->text, "4.3.0 temporary local problem; "
	    "try again later");
}

static void
policy_verdict(struct verdict *v, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
policy_verdict(struct verdict *v, int code, const char *fmt, ...)
{
	va_list	ap;

	v->code = code;
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof v->text, fmt, ap);
	va_end(ap);
}

/* A user setting in force: the stored value, else the default. */
static const char *
policy_setting(const struct db_sender *ds, const char *key)
{
	const struct ipc_uset	*u = ipc_uset_find(key);
	json_t			*v = json_object_get(ds->settings, key);

	if (v != NULL && json_is_string(v))
		return json_string_value(v);
	return u != NULL ? u->def : "";
}

static int64_t
policy_setting_int(const struct db_sender *ds, const char *key)
{
	return strtoll(policy_setting(ds, key), NULL, 10);
}

static void
policy_sender_fill(struct sender *s, const struct db_sender *ds)
{
	static const struct {
		const char		*kind;
		enum sender_kind	 sk;
	} kinds[] = {
		{ "ip", SENDER_IP }, { "smtp", SENDER_SMTP },
		{ "domain", SENDER_DOMAIN }
	};
	size_t	i;

	memset(s, 0, sizeof *s);
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(ds->kind, kinds[i].kind) == 0)
			s->kind = kinds[i].sk;
	s->user_id = ds->id;
	snprintf(s->user, sizeof s->user, "%s", ds->name);
	snprintf(s->domain, sizeof s->domain, "%s", ds->domain);
	s->attribute = strcmp(policy_setting(ds, "attribute-sending-domain"),
	    "on") == 0;
	s->lock_reject = strcmp(policy_setting(ds, "lock.reply"),
	    "reject") == 0;
}

/* The user's lock as lock.reply wants it told. */
static void
policy_locked(const struct db_sender *ds, struct verdict *v)
{
	int	reject = strcmp(policy_setting(ds, "lock.reply"), "reject") == 0;
	char	until[64], why[300] = "";
	time_t	t = (time_t)ds->lock_until;

	if (t != 0)
		limits_time_text(LIM_MONTH, t, until, sizeof until);
	else
		snprintf(until, sizeof until, "an administrator unlocks it");
	if (*ds->lock_reason != '\0')
		snprintf(why, sizeof why, " (%s)", ds->lock_reason);
	policy_verdict(v, reject ? 550 : 451, "%s user %s is locked%s until "
	    "%s", reject ? "5.7.1" : "4.7.1", ds->name, why, until);
}

/* Domain on and user not locked: 0, else 1 with the refusal. */
static int
policy_check_sender(const struct db_sender *ds, struct verdict *v)
{
	if (!ds->domain_active) {
		policy_verdict(v, 550, "5.7.1 the outgoing filter of %s is off: "
		    "its mail is refused until an administrator turns it on",
		    ds->domain);
		return 1;
	}
	if (ds->locked) {
		policy_locked(ds, v);
		return 1;
	}
	return 0;
}

static int
policy_count_connection(struct policy *p, struct db *db,
    const struct db_sender *ds, struct verdict *v, char **cause)
{
	int64_t	lim[LIM_NWINDOWS];
	char	key[64];
	int	w;

	for (w = 0; w < LIM_NWINDOWS; w++) {
		snprintf(key, sizeof key, "%s%s", w < LIM_NCONN ? "limit." : "",
		    limits_window_name(w));
		lim[w] = policy_setting_int(ds, key);
	}
	return limits_connect(p->limits, db, ds->name, ds->id, lim, time(NULL),
	    v, cause);
}

/*
 * The sender is known by name: fill it, and check domain, lock and the
 * connection limits (counting this connection when it may go on).
 */
static void
policy_admit(struct policy *p, struct db *db, const char *name,
    struct sender *s, struct verdict *v)
{
	struct db_sender	 ds;
	char			*cause = NULL;
	int			 rc;

	if ((rc = db_sender_get(db, name, &ds, &cause)) == -1) {
		policy_tempfail(v, name, cause);
		return;
	}
	if (rc == 1) {
		policy_verdict(v, 550, "5.7.1 user %s no longer exists", name);
		return;
	}
	policy_sender_fill(s, &ds);
	if (policy_check_sender(&ds, v) == 0 &&
	    policy_count_connection(p, db, &ds, v, &cause) == -1)
		policy_tempfail(v, name, cause);
	db_sender_free(&ds);
}

/* On a relay listener: the IP user owning the address. */
static void
policy_connect_ip(struct policy *p, const uint8_t addr[16], const char *ip,
    struct sender *s, struct verdict *v)
{
	struct db	*db;
	char		*user = NULL, *domain = NULL, *cause = NULL;
	int		 rc;

	if ((db = policy_db_get(p, &cause)) == NULL) {
		policy_tempfail(v, "database", cause);
		return;
	}
	if ((rc = db_ip_owner(db, addr, &user, &domain, &cause)) == -1)
		policy_tempfail(v, ip, cause);
	else if (rc == 1)
		policy_verdict(v, 550, "5.7.1 no outgoing user for address %s: "
		    "the provider must add an IP user for it before it can "
		    "relay here", ip);
	else
		policy_admit(p, db, user, s, v);
	policy_db_put(p, db);
	free(user);
	free(domain);
}

void
policy_connect(struct policy *p, const struct sockaddr *client,
    enum listener_role role, struct sender *s, struct verdict *v)
{
	struct policy_conf	pc = policy_conf_get(p);
	uint8_t			addr[16];
	char			ip[64];

	memset(s, 0, sizeof *s);
	memset(v, 0, sizeof *v);
	if (limits_addr(client, addr, ip, sizeof ip) == -1) {
		policy_verdict(v, 421, "4.3.0 unsupported address family");
		return;
	}
	if (limits_ip_enter(p->limits, addr, pc.ip_cap) == 1) {
		policy_verdict(v, 421, "4.7.0 too many connections from %s "
		    "(at most %lld at once); try again later", ip,
		    (long long)pc.ip_cap);
		return;
	}
	if (role == ROLE_RELAY)
		policy_connect_ip(p, addr, ip, s, v);
	/* A refused connection holds no slot: no policy_disconnect follows. */
	if (v->code != 0)
		limits_ip_leave(p->limits, addr);
}

void
policy_disconnect(struct policy *p, const struct sockaddr *client)
{
	uint8_t	addr[16];
	char	ip[64];

	if (limits_addr(client, addr, ip, sizeof ip) == 0)
		limits_ip_leave(p->limits, addr);
}

/* AUTH failures count per address, per /64 for IPv6 (one site's block). */
static void
policy_auth_key(const uint8_t addr[16], uint8_t key[16])
{
	static const uint8_t	mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };

	memcpy(key, addr, 16);
	if (memcmp(addr, mapped, sizeof mapped) != 0)
		memset(key + 8, 0, 8);
}

/* Keyed hash of name, password and the stored hash: a cache entry. */
static void
policy_cred_digest(struct policy *p, const char *name, const char *password,
    const char *hash, unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash_state	st;

	crypto_generichash_init(&st, p->cache_key, sizeof p->cache_key,
	    crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)name,
	    strlen(name) + 1);
	crypto_generichash_update(&st, (const unsigned char *)password,
	    strlen(password) + 1);
	crypto_generichash_update(&st, (const unsigned char *)hash,
	    strlen(hash) + 1);
	crypto_generichash_final(&st, out, crypto_generichash_BYTES);
	sodium_memzero(&st, sizeof st);
}

/* The digest's slot: the digest is uniform, so its first bytes will do. */
static struct policy_cred *
policy_cred_slot(struct policy *p, const unsigned char *d)
{
	uint64_t	i;

	memcpy(&i, d, sizeof i);
	return &p->cache[i % POLICY_CACHE_SLOTS];
}

static int
policy_cred_cached(struct policy *p, const unsigned char *d, time_t now,
    int64_t ttl)
{
	struct policy_cred	*c;
	int			 hit;

	if (ttl <= 0)
		return 0;
	pthread_mutex_lock(&p->cache_mtx);
	c = policy_cred_slot(p, d);
	hit = now < c->added + ttl && sodium_memcmp(c->digest, d,
	    crypto_generichash_BYTES) == 0;
	pthread_mutex_unlock(&p->cache_mtx);
	return hit;
}

static void
policy_cred_remember(struct policy *p, const unsigned char *d, time_t now,
    int64_t ttl)
{
	struct policy_cred	*c;

	if (ttl <= 0)
		return;
	pthread_mutex_lock(&p->cache_mtx);
	c = policy_cred_slot(p, d);
	memcpy(c->digest, d, crypto_generichash_BYTES);
	c->added = now;
	pthread_mutex_unlock(&p->cache_mtx);
}

/*
 * 0 when name and password match a stored SMTP AUTH user or
 * authenticating domain, 1 when not, -1 on error.  An unknown name is
 * verified against a dummy hash, so that it takes as long as a wrong
 * password.  IP users have no password and never match.
 */
static int
policy_password(struct policy *p, struct db *db, const char *name,
    const char *password, int64_t ttl, char **cause)
{
	unsigned char	 d[crypto_generichash_BYTES];
	char		*hash = NULL, *domain = NULL;
	time_t		 now = time(NULL);
	int		 rc;

	if (strlen(name) > POLICY_NAME_MAX)
		rc = 1;
	else if ((rc = db_user_auth(db, name, &hash, &domain, cause)) == -1)
		return -1;
	if (rc == 1) {
		passwd_verify(p->dummy_hash, password);
		return 1;
	}
	policy_cred_digest(p, name, password, hash, d);
	if (policy_cred_cached(p, d, now, ttl))
		rc = 0;
	else if ((rc = passwd_verify(hash, password) == 0 ? 0 : 1) == 0)
		policy_cred_remember(p, d, now, ttl);
	sodium_memzero(d, sizeof d);
	free(hash);
	free(domain);
	return rc;
}

static void
policy_auth_failed(struct policy *p, const struct policy_conf *pc,
    const uint8_t key[16], const char *ip, const char *name,
    struct verdict *v)
{
	char	safe[128];

	log_safe(name, safe, sizeof safe);
	log_info("SMTP AUTH failed for \"%s\" from %s", safe, ip);
	if (limits_auth_fail(p->limits, key, pc->auth_fail_limit,
	    pc->auth_fail_window, time(NULL)))
		log_notice("too many authentication failures from %s: "
		    "%lld within %lld seconds, SMTP AUTH refused for up to "
		    "%lld seconds", ip, (long long)pc->auth_fail_limit,
		    (long long)pc->auth_fail_window,
		    (long long)pc->auth_fail_window);
	policy_verdict(v, 535, "5.7.8 authentication failed: wrong name or "
	    "password");
}

void
policy_auth(struct policy *p, const struct sockaddr *client,
    const char *name, const char *password, struct sender *s,
    struct verdict *v)
{
	struct policy_conf	 pc = policy_conf_get(p);
	struct db		*db;
	uint8_t			 addr[16], key[16];
	char			 ip[64], *cause = NULL;
	int64_t			 wait;
	int			 rc;

	memset(s, 0, sizeof *s);
	memset(v, 0, sizeof *v);
	limits_addr(client, addr, ip, sizeof ip);
	policy_auth_key(addr, key);
	if ((wait = limits_auth_wait(p->limits, key, pc.auth_fail_limit,
	    pc.auth_fail_window, time(NULL))) > 0) {
		log_info("SMTP AUTH from %s refused: too many failures, %lld "
		    "seconds to wait", ip, (long long)wait);
		policy_verdict(v, 454, "4.7.0 too many authentication failures "
		    "from %s; try again in %lld seconds", ip, (long long)wait);
		return;
	}
	if ((db = policy_db_get(p, &cause)) == NULL) {
		policy_tempfail(v, "database", cause);
		return;
	}
	if ((rc = policy_password(p, db, name, password, pc.auth_cache,
	    &cause)) == -1)
		policy_tempfail(v, "SMTP AUTH", cause);
	else if (rc == 1)
		policy_auth_failed(p, &pc, key, ip, name, v);
	else
		policy_admit(p, db, name, s, v);
	policy_db_put(p, db);
	if (v->code != 0)
		memset(s, 0, sizeof *s);
}

/* The sender as it is now: 0 and ds filled, else 1 with the refusal. */
static int
policy_sender_now(struct db *db, const struct sender *s,
    struct db_sender *ds, struct verdict *v)
{
	char	*cause = NULL;
	int	 rc;

	if (s->kind == SENDER_NONE) {
		policy_verdict(v, 530, "5.7.0 authentication required: log in "
		    "with AUTH first");
		return 1;
	}
	if ((rc = db_sender_get(db, s->user, ds, &cause)) == -1) {
		policy_tempfail(v, s->user, cause);
		return 1;
	}
	if (rc == 1 || ds->id != s->user_id) {
		if (rc == 0)
			db_sender_free(ds);
		policy_verdict(v, 550, "5.7.1 user %s no longer exists",
		    s->user);
		return 1;
	}
	return 0;
}

void
policy_mail(struct policy *p, const struct sender *s, const char *mail_from,
    struct verdict *v)
{
	struct db_sender	 ds;
	struct db		*db;
	char			*cause = NULL;

	(void)mail_from;
	memset(v, 0, sizeof *v);
	if ((db = policy_db_get(p, &cause)) == NULL) {
		policy_tempfail(v, "database", cause);
		return;
	}
	if (policy_sender_now(db, s, &ds, v) == 0) {
		policy_check_sender(&ds, v);
		db_sender_free(&ds);
	}
	policy_db_put(p, db);
}

/* Pending recipients are held per transaction: s is the token. */
void
policy_rcpt(struct policy *p, const struct sender *s, const char *rcpt,
    struct verdict *v)
{
	struct db_sender	 ds;
	struct db		*db;
	char			*cause = NULL;

	(void)rcpt;
	memset(v, 0, sizeof *v);
	if ((db = policy_db_get(p, &cause)) == NULL) {
		policy_tempfail(v, "database", cause);
		return;
	}
	if (policy_sender_now(db, s, &ds, v) == 0) {
		if (limits_rcpt(p->limits, db, s->user, s->user_id,
		    policy_setting_int(&ds, "recipients.day"), s, time(NULL),
		    v, &cause) == -1)
			policy_tempfail(v, s->user, cause);
		db_sender_free(&ds);
	}
	policy_db_put(p, db);
}

void
policy_record(struct policy *p, const struct txn_record *r)
{
	const struct sender	*s = r->sender;
	struct db		*db;
	char			*cause = NULL;
	int64_t			 relayed;

	if (s == NULL || s->kind == SENDER_NONE)
		return;
	if ((db = policy_db_get(p, &cause)) == NULL) {
		log_warnx("message log: %s", cause);
		free(cause);
		return;
	}
	relayed = r->status != NULL && strcmp(r->status, "relayed") == 0 ?
	    (int64_t)r->nrcpts : 0;
	if (limits_settle(p->limits, db, s->user, s->user_id,
	    r->pending_token != NULL ? r->pending_token : s, relayed,
	    time(NULL), &cause) == -1) {
		log_warnx("counters of %s: %s", s->user, cause);
		free(cause);
		cause = NULL;
	}
	if (msglog_record(db, &p->write_mtx, r, &cause) == -1) {
		log_warnx("message log (queue id %s): %s", r->queue_id != NULL ?
		    r->queue_id : "-", cause);
		free(cause);
	}
	policy_db_put(p, db);
}

/* Write the counters back; purge the log when its time has come. */
static void
policy_batch_run(struct policy *p, struct db *db, time_t *purged)
{
	struct policy_conf	 pc = policy_conf_get(p);
	char			*cause = NULL;
	int64_t			 n;
	time_t			 now = time(NULL);

	pthread_mutex_lock(&p->write_mtx);
	if (limits_flush(p->limits, db, &cause) == -1) {
		log_warnx("writing counters back: %s", cause);
		free(cause);
		cause = NULL;
	}
	pthread_mutex_unlock(&p->write_mtx);
	if (now - *purged < POLICY_PURGE_SECS)
		return;
	*purged = now;
	if (msglog_purge(db, &p->write_mtx, pc.retention_days, &n,
	    &cause) == -1) {
		log_warnx("purging the message log: %s", cause);
		free(cause);
	} else if (n > 0)
		log_info("message log: %lld rows older than %lld days purged",
		    (long long)n, (long long)pc.retention_days);
}

static void *
policy_batch_main(void *arg)
{
	struct policy	*p = arg;
	struct db	*db;
	struct timespec	 ts;
	char		*cause = NULL;
	time_t		 purged = 0;
	int		 stop = 0;

	if ((db = db_open(p->dbpath, 0, &cause)) == NULL) {
		log_warnx("counters and log purge stopped: %s", cause);
		free(cause);
		return NULL;
	}
	while (!stop) {
		policy_batch_run(p, db, &purged);
		pthread_mutex_lock(&p->mtx);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += POLICY_FLUSH_SECS;
		while (!p->stopping && pthread_cond_timedwait(&p->batch_cv,
		    &p->mtx, &ts) != ETIMEDOUT)
			;
		stop = p->stopping;
		pthread_mutex_unlock(&p->mtx);
	}
	policy_batch_run(p, db, &purged);
	db_close(db);
	return NULL;
}

/* Everything but the batch thread, which is gone or never started. */
static void
policy_free(struct policy *p)
{
	size_t	i;

	for (i = 0; i < p->npool; i++)
		db_close(p->pool[i]);
	free(p->pool);
	limits_free(p->limits);
	free(p->cache);
	free(p->dbpath);
	sodium_memzero(p->cache_key, sizeof p->cache_key);
	pthread_cond_destroy(&p->batch_cv);
	pthread_mutex_destroy(&p->cache_mtx);
	pthread_mutex_destroy(&p->write_mtx);
	pthread_mutex_destroy(&p->mtx);
	free(p);
}

/* The dummy hash for unknown names, of a password nobody knows. */
static int
policy_dummy_hash(struct policy *p)
{
	unsigned char	raw[16];
	char		pw[sizeof raw * 2 + 1];
	int		rc;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
	rc = passwd_hash(pw, p->dummy_hash);
	sodium_memzero(pw, sizeof pw);
	return rc;
}

static int
policy_init(struct policy *p, const struct config *conf, char **cause)
{
	struct db	*db;

	policy_conf_read(&p->conf, conf);
	if ((p->dbpath = strdup(conf_str(conf, CONF_paths_database))) == NULL ||
	    (p->limits = limits_new()) == NULL ||
	    (p->cache = calloc(POLICY_CACHE_SLOTS, sizeof *p->cache)) == NULL)
		return ipc_cause(cause, "out of memory");
	if (policy_dummy_hash(p) == -1)
		return ipc_cause(cause, "argon2id hashing failed");
	crypto_generichash_keygen(p->cache_key);
	/* Fail at start, not at the first client, when the database is amiss. */
	if ((db = db_open(p->dbpath, 0, cause)) == NULL)
		return -1;
	policy_db_put(p, db);
	return 0;
}

struct policy *
policy_open(const struct config *conf, char **cause)
{
	struct policy	*p;

	if ((p = calloc(1, sizeof *p)) == NULL) {
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->mtx, NULL);
	pthread_mutex_init(&p->write_mtx, NULL);
	pthread_mutex_init(&p->cache_mtx, NULL);
	pthread_cond_init(&p->batch_cv, NULL);
	if (policy_init(p, conf, cause) == -1) {
		policy_free(p);
		return NULL;
	}
	if ((errno = pthread_create(&p->batch, NULL, policy_batch_main,
	    p)) != 0) {
		ipc_cause(cause, "policy thread: %s", strerror(errno));
		policy_free(p);
		return NULL;
	}
	limits_share(p->limits);
	return p;
}

/* The counters are written back a last time by the batch thread. */
void
policy_close(struct policy *p)
{
	if (p == NULL)
		return;
	limits_share(NULL);
	pthread_mutex_lock(&p->mtx);
	p->stopping = 1;
	pthread_cond_signal(&p->batch_cv);
	pthread_mutex_unlock(&p->mtx);
	pthread_join(p->batch, NULL);
	policy_free(p);
}

void
policy_reload(struct policy *p, const struct config *conf)
{
	struct policy_conf	pc;

	policy_conf_read(&pc, conf);
	pthread_mutex_lock(&p->mtx);
	p->conf = pc;
	pthread_mutex_unlock(&p->mtx);
}
