/*
 * Who is sending, and may they (policy.h).  The blocking answers read the
 * user afresh from the database (a lock or a new limit counts at the next
 * command); the counters, connection slots and AUTH failures live in
 * limits.c, the message log in msglog.c.
 *
 * What the database said of a user and of an address's owner is also
 * remembered for POLICY_SEEN_MS, so that the quick functions can answer
 * on the event loop without a trip through the worker pool: a relay
 * session then costs no thread hand-over at all.  Each entry carries the
 * generation it was read under; policy_changed() starts a new one, so a
 * control command's change counts at once, and a read that raced with the
 * change is born stale.
 *
 * Threads: the blocking functions run in the session's worker threads.
 * Each call borrows a database connection from a small pool (one per
 * thread that ever needed one at the same time) and gives it back.
 * Writes of the relay (log rows, counter batches, purges) take write_mtx,
 * so that they queue on a mutex rather than in SQLite's busy-wait.  A
 * batch thread writes the counters back every POLICY_FLUSH_SECS and
 * purges the message log every POLICY_PURGE_SECS; a log thread writes
 * the rows policy_record_queue() hands it, and the identities' counts of
 * policy_identity_count(), all those queued meanwhile in one transaction.
 */
#include "config.h"

#include <netinet/in.h>

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
/* How long a user or an address's owner read from the database is used. */
#define POLICY_SEEN_MS		1000
/* Users and addresses remembered at once: direct-mapped. */
#define POLICY_SEEN_SLOTS	1024
/* Log rows written in one transaction at most. */
#define POLICY_LOG_BATCH	512
/* How long the first row of a batch waits for others, in milliseconds. */
#define POLICY_LOG_WAIT_MS	5
/* Log rows queued at most (the database stuck): more are dropped. */
#define POLICY_LOG_MAX		100000

struct policy_cred {
	unsigned char	digest[crypto_generichash_BYTES];
	time_t		added;
};

/* What the relay checks of a user, from db_sender_get(). */
struct policy_user {
	int64_t			 id;
	enum sender_kind	 kind;
	char			 name[256];
	char			 domain[256];
	int			 domain_active;
	int			 locked;	/* when read */
	int64_t			 lock_until;	/* 0: until unlocked */
	char			 lock_reason[256];
	int			 lock_reject;	/* lock.reply=reject */
	int			 attribute;	/* attribute-sending-domain */
	int64_t			 lim[LIM_NWINDOWS];
};

/* A user as read, or an address's owner ("" for none). */
struct policy_seen {
	struct policy_user	 u;
	uint64_t		 gen;
	int64_t			 at;		/* monotonic ms of the read */
	int			 used;
};

struct policy_ipseen {
	uint8_t			 addr[16];
	char			 user[256];
	uint64_t		 gen;
	int64_t			 at;
	int			 used;
};

/*
 * A queued log row: a txn_record's copy; or, identity_id set, one message
 * of an identity to count (policy_identity_count).
 */
struct policy_row {
	struct policy_row	*next;
	int64_t			 identity_id;
	int			 identity_spam;
	struct sender		 sender;
	struct sockaddr_storage	 client;
	int			 has_client;
	int			 settle;	/* the counters are the thread's */
	size_t			 npending;
	const void		*token;
	size_t			 size;
	time_t			 when;
	char			*queue_id, *helo, *mail_from, *header_from;
	char			*subject, *status, *reason, *reply;
	char			**rcpts;
	size_t			 nrcpts;
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

	pthread_mutex_t		 seen_mtx;	/* seen, ipseen, gen */
	unsigned char		 seen_key[crypto_shorthash_KEYBYTES];
	struct policy_seen	*seen[POLICY_SEEN_SLOTS];
	struct policy_ipseen	*ipseen[POLICY_SEEN_SLOTS];
	uint64_t		 gen;

	pthread_t		 batch;
	pthread_cond_t		 batch_cv;
	int			 stopping;

	pthread_mutex_t		 log_mtx;	/* rows, nrows, log_stop */
	pthread_cond_t		 log_cv;
	struct policy_row	*rows, **rows_tail;
	size_t			 nrows;
	unsigned long long	 dropped;
	int			 log_stop;
	int			 log_started;
	pthread_t		 logger;
};

/* The relay's policy, for the control thread's policy_shared_changed(). */
static pthread_mutex_t	 policy_shared_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct policy	*policy_shared;

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

/* What the checks need of a user read from the database. */
static void
policy_user_fill(struct policy_user *pu, const struct db_sender *ds)
{
	static const struct {
		const char		*kind;
		enum sender_kind	 sk;
	} kinds[] = {
		{ "ip", SENDER_IP }, { "smtp", SENDER_SMTP },
		{ "domain", SENDER_DOMAIN }
	};
	char	key[64];
	size_t	i;
	int	w;

	memset(pu, 0, sizeof *pu);
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(ds->kind, kinds[i].kind) == 0)
			pu->kind = kinds[i].sk;
	pu->id = ds->id;
	snprintf(pu->name, sizeof pu->name, "%s", ds->name);
	snprintf(pu->domain, sizeof pu->domain, "%s", ds->domain);
	pu->domain_active = ds->domain_active;
	pu->locked = ds->locked;
	pu->lock_until = ds->lock_until;
	snprintf(pu->lock_reason, sizeof pu->lock_reason, "%s",
	    ds->lock_reason);
	pu->lock_reject = strcmp(policy_setting(ds, "lock.reply"),
	    "reject") == 0;
	pu->attribute = strcmp(policy_setting(ds, "attribute-sending-domain"),
	    "on") == 0;
	for (w = 0; w < LIM_NWINDOWS; w++) {
		snprintf(key, sizeof key, "%s%s", w < LIM_NCONN ? "limit." : "",
		    limits_window_name(w));
		pu->lim[w] = strtoll(policy_setting(ds, key), NULL, 10);
	}
}

static void
policy_sender_fill(struct sender *s, const struct policy_user *pu)
{
	memset(s, 0, sizeof *s);
	s->kind = pu->kind;
	s->user_id = pu->id;
	snprintf(s->user, sizeof s->user, "%s", pu->name);
	snprintf(s->domain, sizeof s->domain, "%s", pu->domain);
	s->attribute = pu->attribute;
	s->lock_reject = pu->lock_reject;
}

/*
 * What was read of users and addresses, for the quick functions.
 */

static int64_t
policy_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t
policy_seen_slot(struct policy *p, const void *key, size_t len)
{
	unsigned char	h[crypto_shorthash_BYTES];
	uint64_t	i;

	crypto_shorthash(h, key, len, p->seen_key);
	memcpy(&i, h, sizeof i);
	return i % POLICY_SEEN_SLOTS;
}

/* The generation a read starts under (seen_mtx not held). */
static uint64_t
policy_gen(struct policy *p)
{
	uint64_t	gen;

	pthread_mutex_lock(&p->seen_mtx);
	gen = p->gen;
	pthread_mutex_unlock(&p->seen_mtx);
	return gen;
}

/* Still good: of this generation and young enough (seen_mtx held). */
static int
policy_fresh(struct policy *p, uint64_t gen, int64_t at, int64_t now)
{
	return gen == p->gen && now - at < POLICY_SEEN_MS && now >= at;
}

static void
policy_seen_put(struct policy *p, const struct policy_user *pu, uint64_t gen,
    int64_t at)
{
	size_t			 i = policy_seen_slot(p, pu->name,
				    strlen(pu->name));
	struct policy_seen	*e;

	pthread_mutex_lock(&p->seen_mtx);
	if ((e = p->seen[i]) == NULL)
		e = p->seen[i] = calloc(1, sizeof *e);
	if (e != NULL && gen == p->gen) {
		e->u = *pu;
		e->gen = gen;
		e->at = at;
		e->used = 1;
	}
	pthread_mutex_unlock(&p->seen_mtx);
}

/* A user read from the database and gone since: forgotten. */
static void
policy_seen_drop(struct policy *p, const char *name)
{
	size_t			 i = policy_seen_slot(p, name, strlen(name));
	struct policy_seen	*e;

	pthread_mutex_lock(&p->seen_mtx);
	if ((e = p->seen[i]) != NULL && strcmp(e->u.name, name) == 0)
		e->used = 0;
	pthread_mutex_unlock(&p->seen_mtx);
}

/* 1 and *pu filled when the user is remembered and still good. */
static int
policy_seen_get(struct policy *p, const char *name, struct policy_user *pu)
{
	size_t			 i = policy_seen_slot(p, name, strlen(name));
	struct policy_seen	*e;
	int			 hit = 0;

	pthread_mutex_lock(&p->seen_mtx);
	if ((e = p->seen[i]) != NULL && e->used &&
	    policy_fresh(p, e->gen, e->at, policy_now_ms()) &&
	    strcmp(e->u.name, name) == 0) {
		*pu = e->u;
		hit = 1;
	}
	pthread_mutex_unlock(&p->seen_mtx);
	return hit;
}

/* user NULL: the address has no IP user. */
static void
policy_ipseen_put(struct policy *p, const uint8_t addr[16], const char *user,
    uint64_t gen, int64_t at)
{
	size_t			 i = policy_seen_slot(p, addr, 16);
	struct policy_ipseen	*e;

	pthread_mutex_lock(&p->seen_mtx);
	if ((e = p->ipseen[i]) == NULL)
		e = p->ipseen[i] = calloc(1, sizeof *e);
	if (e != NULL && gen == p->gen) {
		memcpy(e->addr, addr, 16);
		snprintf(e->user, sizeof e->user, "%s", user != NULL ? user :
		    "");
		e->gen = gen;
		e->at = at;
		e->used = 1;
	}
	pthread_mutex_unlock(&p->seen_mtx);
}

/* 1 with the owner's name ("" for none) when remembered and still good. */
static int
policy_ipseen_get(struct policy *p, const uint8_t addr[16], char *user,
    size_t len)
{
	size_t			 i = policy_seen_slot(p, addr, 16);
	struct policy_ipseen	*e;
	int			 hit = 0;

	pthread_mutex_lock(&p->seen_mtx);
	if ((e = p->ipseen[i]) != NULL && e->used &&
	    policy_fresh(p, e->gen, e->at, policy_now_ms()) &&
	    memcmp(e->addr, addr, 16) == 0) {
		snprintf(user, len, "%s", e->user);
		hit = 1;
	}
	pthread_mutex_unlock(&p->seen_mtx);
	return hit;
}

void
policy_changed(struct policy *p)
{
	pthread_mutex_lock(&p->seen_mtx);
	p->gen++;
	pthread_mutex_unlock(&p->seen_mtx);
}

void
policy_shared_changed(void)
{
	pthread_mutex_lock(&policy_shared_mtx);
	if (policy_shared != NULL)
		policy_changed(policy_shared);
	pthread_mutex_unlock(&policy_shared_mtx);
}

/*
 * The user from the database, remembered for the quick functions: 0 and
 * *pu filled, 1 when there is no such user, -1 with *cause.
 */
static int
policy_user_read(struct policy *p, struct db *db, const char *name,
    struct policy_user *pu, char **cause)
{
	struct db_sender	 ds;
	uint64_t		 gen = policy_gen(p);
	int64_t			 at = policy_now_ms();
	int			 rc;

	if ((rc = db_sender_get(db, name, &ds, cause)) != 0) {
		if (rc == 1)
			policy_seen_drop(p, name);
		return rc;
	}
	policy_user_fill(pu, &ds);
	db_sender_free(&ds);
	policy_seen_put(p, pu, gen, at);
	return 0;
}

/* The user's lock as lock.reply wants it told. */
static void
policy_locked(const struct policy_user *pu, struct verdict *v)
{
	char	until[64], why[300] = "";
	time_t	t = (time_t)pu->lock_until;

	if (t != 0)
		limits_time_text(LIM_MONTH, t, until, sizeof until);
	else
		snprintf(until, sizeof until, "an administrator unlocks it");
	if (*pu->lock_reason != '\0')
		snprintf(why, sizeof why, " (%s)", pu->lock_reason);
	policy_verdict(v, pu->lock_reject ? 550 : 451, "%s user %s is locked%s "
	    "until %s", pu->lock_reject ? "5.7.1" : "4.7.1", pu->name, why,
	    until);
}

/* Domain on and user not locked: 0, else 1 with the refusal. */
static int
policy_check_sender(const struct policy_user *pu, struct verdict *v)
{
	if (!pu->domain_active) {
		policy_verdict(v, 550, "5.7.1 the outgoing filter of %s is off: "
		    "its mail is refused until an administrator turns it on",
		    pu->domain);
		return 1;
	}
	/* A lock that ran out since it was read is over. */
	if (pu->locked && (pu->lock_until == 0 ||
	    pu->lock_until > (int64_t)time(NULL))) {
		policy_locked(pu, v);
		return 1;
	}
	return 0;
}

/*
 * The sender is known by name: fill it, and check domain, lock and the
 * connection limits (counting this connection when it may go on).
 */
static void
policy_admit(struct policy *p, struct db *db, const char *name,
    struct sender *s, struct verdict *v)
{
	struct policy_user	 pu;
	char			*cause = NULL;
	int			 rc;

	if ((rc = policy_user_read(p, db, name, &pu, &cause)) == -1) {
		policy_tempfail(v, name, cause);
		return;
	}
	if (rc == 1) {
		policy_verdict(v, 550, "5.7.1 user %s no longer exists", name);
		return;
	}
	policy_sender_fill(s, &pu);
	if (policy_check_sender(&pu, v) == 0 && limits_connect(p->limits, db,
	    pu.name, pu.id, pu.lim, time(NULL), v, &cause) == -1)
		policy_tempfail(v, name, cause);
}

/* On a relay listener: the IP user owning the address. */
static void
policy_connect_ip(struct policy *p, const uint8_t addr[16], const char *ip,
    struct sender *s, struct verdict *v)
{
	struct db	*db;
	char		*user = NULL, *domain = NULL, *cause = NULL;
	uint64_t	 gen = policy_gen(p);
	int64_t		 at = policy_now_ms();
	int		 rc;

	if ((db = policy_db_get(p, &cause)) == NULL) {
		policy_tempfail(v, "database", cause);
		return;
	}
	if ((rc = db_ip_owner(db, addr, &user, &domain, &cause)) == -1)
		policy_tempfail(v, ip, cause);
	else if (rc == 1) {
		policy_ipseen_put(p, addr, NULL, gen, at);
		policy_verdict(v, 550, "5.7.1 no outgoing user for address %s: "
		    "the provider must add an IP user for it before it can "
		    "relay here", ip);
	} else {
		policy_ipseen_put(p, addr, user, gen, at);
		policy_admit(p, db, user, s, v);
	}
	policy_db_put(p, db);
	free(user);
	free(domain);
}

/* The per-address cap: 0 with a slot taken, 1 with the refusal. */
static int
policy_ip_enter(struct policy *p, const struct policy_conf *pc,
    const uint8_t addr[16], const char *ip, struct verdict *v)
{
	if (limits_ip_enter(p->limits, addr, pc->ip_cap) == 0)
		return 0;
	policy_verdict(v, 421, "4.7.0 too many connections from %s (at most "
	    "%lld at once); try again later", ip, (long long)pc->ip_cap);
	return 1;
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
	if (policy_ip_enter(p, &pc, addr, ip, v))
		return;
	if (role == ROLE_RELAY)
		policy_connect_ip(p, addr, ip, s, v);
	/*
	 * Only a connection closed at once (421) gives its slot back; one
	 * kept open to hear its refusal at MAIL holds it like any other.
	 */
	if (v->code == 421)
		limits_ip_leave(p->limits, addr);
}

int
policy_connect_quick(struct policy *p, const struct sockaddr *client,
    enum listener_role role, struct sender *s, struct verdict *v)
{
	struct policy_conf	pc;
	struct policy_user	pu;
	uint8_t			addr[16];
	char			ip[64], user[256], *cause = NULL;

	memset(s, 0, sizeof *s);
	memset(v, 0, sizeof *v);
	if (limits_addr(client, addr, ip, sizeof ip) == -1) {
		policy_verdict(v, 421, "4.3.0 unsupported address family");
		return 1;
	}
	if (role == ROLE_RELAY && (!policy_ipseen_get(p, addr, user,
	    sizeof user) || (*user != '\0' && !policy_seen_get(p, user, &pu))))
		return 0;
	pc = policy_conf_get(p);
	if (policy_ip_enter(p, &pc, addr, ip, v))
		return 1;
	if (role != ROLE_RELAY)
		return 1;
	if (*user == '\0')
		policy_verdict(v, 550, "5.7.1 no outgoing user for address %s: "
		    "the provider must add an IP user for it before it can "
		    "relay here", ip);
	else if (policy_check_sender(&pu, v) == 0 &&
	    limits_connect(p->limits, NULL, pu.name, pu.id, pu.lim,
	    time(NULL), v, &cause) == 2) {
		/* Counters not loaded yet: the blocking way, from the start. */
		limits_ip_leave(p->limits, addr);
		return 0;
	}
	if (*user != '\0')
		policy_sender_fill(s, &pu);
	if (v->code == 421)
		limits_ip_leave(p->limits, addr);
	return 1;
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

/* The sender as it is now: 0 and pu filled, else 1 with the refusal. */
static int
policy_sender_now(struct policy *p, struct db *db, const struct sender *s,
    struct policy_user *pu, struct verdict *v)
{
	char	*cause = NULL;
	int	 rc;

	if (s->kind == SENDER_NONE) {
		policy_verdict(v, 530, "5.7.0 authentication required: log in "
		    "with AUTH first");
		return 1;
	}
	if ((rc = policy_user_read(p, db, s->user, pu, &cause)) == -1) {
		policy_tempfail(v, s->user, cause);
		return 1;
	}
	if (rc == 1 || pu->id != s->user_id) {
		policy_verdict(v, 550, "5.7.1 user %s no longer exists",
		    s->user);
		return 1;
	}
	return 0;
}

/*
 * The sender as remembered: 1 and pu filled, 0 when the database must
 * say (unknown, stale, or another user of that name now); -1 with the
 * refusal of a session nobody logged in to.
 */
static int
policy_sender_seen(struct policy *p, const struct sender *s,
    struct policy_user *pu, struct verdict *v)
{
	if (s->kind == SENDER_NONE) {
		policy_verdict(v, 530, "5.7.0 authentication required: log in "
		    "with AUTH first");
		return -1;
	}
	return policy_seen_get(p, s->user, pu) && pu->id == s->user_id;
}

void
policy_mail(struct policy *p, const struct sender *s, const char *mail_from,
    struct verdict *v)
{
	struct policy_user	 pu;
	struct db		*db;
	char			*cause = NULL;

	(void)mail_from;
	memset(v, 0, sizeof *v);
	if ((db = policy_db_get(p, &cause)) == NULL) {
		policy_tempfail(v, "database", cause);
		return;
	}
	if (policy_sender_now(p, db, s, &pu, v) == 0)
		policy_check_sender(&pu, v);
	policy_db_put(p, db);
}

int
policy_mail_quick(struct policy *p, const struct sender *s,
    const char *mail_from, struct verdict *v)
{
	struct policy_user	pu;
	int			rc;

	(void)mail_from;
	memset(v, 0, sizeof *v);
	if ((rc = policy_sender_seen(p, s, &pu, v)) == 0)
		return 0;
	if (rc == 1)
		policy_check_sender(&pu, v);
	return 1;
}

/* Pending recipients are held per transaction: s is the token. */
void
policy_rcpt(struct policy *p, const struct sender *s, const char *rcpt,
    struct verdict *v)
{
	struct policy_user	 pu;
	struct db		*db;
	char			*cause = NULL;

	(void)rcpt;
	memset(v, 0, sizeof *v);
	if ((db = policy_db_get(p, &cause)) == NULL) {
		policy_tempfail(v, "database", cause);
		return;
	}
	if (policy_sender_now(p, db, s, &pu, v) == 0 &&
	    limits_rcpt(p->limits, db, s->user, s->user_id,
	    pu.lim[LIM_RCPT_DAY], s, time(NULL), v, &cause) == -1)
		policy_tempfail(v, s->user, cause);
	policy_db_put(p, db);
}

int
policy_rcpt_quick(struct policy *p, const struct sender *s, const char *rcpt,
    struct verdict *v)
{
	struct policy_user	 pu;
	char			*cause = NULL;
	int			 rc;

	(void)rcpt;
	memset(v, 0, sizeof *v);
	if ((rc = policy_sender_seen(p, s, &pu, v)) == 0)
		return 0;
	if (rc == 1 && limits_rcpt(p->limits, NULL, s->user, s->user_id,
	    pu.lim[LIM_RCPT_DAY], s, time(NULL), v, &cause) == 2)
		return 0;
	return 1;
}

/* The end of a transaction for the counters; db NULL: never blocks. */
static int
policy_settle(struct policy *p, struct db *db, const struct txn_record *r)
{
	const struct sender	*s = r->sender;
	char			*cause = NULL;
	int64_t			 relayed;
	int			 rc;

	relayed = r->status != NULL && strcmp(r->status, "relayed") == 0 ?
	    (int64_t)r->nrcpts : 0;
	rc = limits_settle(p->limits, db, s->user, s->user_id,
	    r->pending_token != NULL ? r->pending_token : s, relayed,
	    time(NULL), &cause);
	if (rc == -1) {
		log_warnx("counters of %s: %s", s->user, cause);
		free(cause);
	}
	return rc;
}

static void
policy_log_row(struct db *db, pthread_mutex_t *write_mtx,
    const struct txn_record *r)
{
	char	*cause = NULL;

	if (msglog_record(db, write_mtx, r, &cause) == -1) {
		log_warnx("message log (queue id %s): %s", r->queue_id != NULL ?
		    r->queue_id : "-", cause);
		free(cause);
	}
}

void
policy_record(struct policy *p, const struct txn_record *r)
{
	const struct sender	*s = r->sender;
	struct db		*db;
	char			*cause = NULL;

	if (s == NULL || s->kind == SENDER_NONE)
		return;
	if ((db = policy_db_get(p, &cause)) == NULL) {
		log_warnx("message log: %s", cause);
		free(cause);
		return;
	}
	policy_settle(p, db, r);
	policy_log_row(db, &p->write_mtx, r);
	policy_db_put(p, db);
}

/*
 * The message log's thread: rows queued by policy_record_queue(), written
 * a batch at a time in one transaction.
 */

static void
policy_row_free(struct policy_row *w)
{
	size_t	i;

	if (w == NULL)
		return;
	free(w->queue_id);
	free(w->helo);
	free(w->mail_from);
	free(w->header_from);
	free(w->subject);
	free(w->status);
	free(w->reason);
	free(w->reply);
	for (i = 0; w->rcpts != NULL && i < w->nrcpts; i++)
		free(w->rcpts[i]);
	free(w->rcpts);
	free(w);
}

/* strdup of NULL is NULL; *ok turns 0 when memory ran out. */
static char *
policy_dup(const char *s, int *ok)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*ok = 0;
	return d;
}

static struct policy_row *
policy_row_new(const struct txn_record *r)
{
	struct policy_row	*w;
	size_t			 i;
	int			 ok = 1;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->sender = *r->sender;
	if (r->client != NULL) {
		memcpy(&w->client, r->client, r->client->sa_family ==
		    AF_INET6 ? sizeof(struct sockaddr_in6) :
		    sizeof(struct sockaddr_in));
		w->has_client = 1;
	}
	w->npending = r->npending;
	w->token = r->pending_token != NULL ? r->pending_token : r->sender;
	w->size = r->size;
	w->when = r->when != 0 ? r->when : time(NULL);
	w->queue_id = policy_dup(r->queue_id, &ok);
	w->helo = policy_dup(r->helo, &ok);
	w->mail_from = policy_dup(r->mail_from, &ok);
	w->header_from = policy_dup(r->header_from, &ok);
	w->subject = policy_dup(r->subject, &ok);
	w->status = policy_dup(r->status, &ok);
	w->reason = policy_dup(r->reason, &ok);
	w->reply = policy_dup(r->next_hop_reply, &ok);
	if (ok && (w->rcpts = calloc(r->nrcpts + 1, sizeof *w->rcpts)) == NULL)
		ok = 0;
	for (i = 0; ok && i < r->nrcpts; i++, w->nrcpts++)
		w->rcpts[i] = policy_dup(r->rcpts[i], &ok);
	if (!ok) {
		policy_row_free(w);
		return NULL;
	}
	return w;
}

/* The record a queued row stands for. */
static void
policy_row_record(const struct policy_row *w, struct txn_record *r)
{
	memset(r, 0, sizeof *r);
	r->sender = &w->sender;
	r->queue_id = w->queue_id;
	r->client = w->has_client ? (const struct sockaddr *)&w->client : NULL;
	r->helo = w->helo;
	r->mail_from = w->mail_from;
	r->rcpts = (const char *const *)w->rcpts;
	r->nrcpts = w->nrcpts;
	r->npending = w->npending;
	r->pending_token = w->token;
	r->header_from = w->header_from;
	r->subject = w->subject;
	r->size = w->size;
	r->status = w->status;
	r->reason = w->reason;
	r->next_hop_reply = w->reply;
	r->when = w->when;
}

/* Hand a row to the log thread. */
static void
policy_row_queue(struct policy *p, struct policy_row *w)
{
	pthread_mutex_lock(&p->log_mtx);
	if (p->nrows >= POLICY_LOG_MAX) {
		p->dropped++;
		pthread_mutex_unlock(&p->log_mtx);
		policy_row_free(w);
		return;
	}
	*p->rows_tail = w;
	p->rows_tail = &w->next;
	if (++p->nrows == 1 || p->nrows == POLICY_LOG_BATCH)
		pthread_cond_signal(&p->log_cv);
	pthread_mutex_unlock(&p->log_mtx);
}

void
policy_record_queue(struct policy *p, const struct txn_record *r)
{
	const struct sender	*s = r->sender;
	struct policy_row	*w;
	int			 settle;

	if (s == NULL || s->kind == SENDER_NONE)
		return;
	settle = policy_settle(p, NULL, r) == 2;
	if ((w = policy_row_new(r)) == NULL) {
		log_warnx("message log (queue id %s): out of memory",
		    r->queue_id != NULL ? r->queue_id : "-");
		return;
	}
	w->settle = settle;
	policy_row_queue(p, w);
}

void
policy_identity_count(struct policy *p, int64_t identity_id, int spam)
{
	struct policy_row	*w;

	if (identity_id == 0)
		return;
	if ((w = calloc(1, sizeof *w)) == NULL) {
		log_warnx("counting a message of identity %lld: out of memory",
		    (long long)identity_id);
		return;
	}
	w->identity_id = identity_id;
	w->identity_spam = spam != 0;
	policy_row_queue(p, w);
}

/* One queued row into the database; write_mtx NULL: the caller holds it. */
static void
policy_row_write(struct db *db, pthread_mutex_t *write_mtx,
    const struct policy_row *w)
{
	struct txn_record	 r;
	char			*cause = NULL;

	if (w->identity_id == 0) {
		policy_row_record(w, &r);
		policy_log_row(db, write_mtx, &r);
		return;
	}
	if (write_mtx != NULL)
		pthread_mutex_lock(write_mtx);
	/* An identity deleted meanwhile has nothing left to count. */
	if (db_identity_count(db, w->identity_id, w->identity_spam,
	    &cause) == -1) {
		log_warnx("counting a message of identity %lld: %s",
		    (long long)w->identity_id, cause);
		free(cause);
	}
	if (write_mtx != NULL)
		pthread_mutex_unlock(write_mtx);
}

/*
 * A row came: let the others of the same few milliseconds join it, so that
 * one transaction takes them all (log_mtx held).
 */
static void
policy_rows_gather(struct policy *p)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += POLICY_LOG_WAIT_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (p->nrows > 0 && p->nrows < POLICY_LOG_BATCH && !p->log_stop &&
	    pthread_cond_timedwait(&p->log_cv, &p->log_mtx, &ts) != ETIMEDOUT)
		;
}

/* Up to POLICY_LOG_BATCH rows off the queue; NULL when none. */
static struct policy_row *
policy_rows_take(struct policy *p, size_t *n, unsigned long long *dropped)
{
	struct policy_row	*head = p->rows, *w = NULL;
	size_t			 i;

	*n = 0;
	for (i = 0; i < POLICY_LOG_BATCH && p->nrows > 0; i++) {
		w = p->rows;
		p->rows = w->next;
		p->nrows--;
		(*n)++;
	}
	if (w == NULL)
		return NULL;
	w->next = NULL;
	if (p->rows == NULL)
		p->rows_tail = &p->rows;
	*dropped = p->dropped;
	p->dropped = 0;
	return head;
}

/* One batch in one transaction; row by row if the transaction fails. */
static void
policy_rows_write(struct policy *p, struct db *db, struct policy_row *rows)
{
	struct policy_row	*w;
	struct txn_record	 r;
	char			*cause = NULL;
	int			 tx;

	for (w = rows; w != NULL; w = w->next) {
		if (!w->settle)
			continue;
		policy_row_record(w, &r);
		policy_settle(p, db, &r);
	}
	pthread_mutex_lock(&p->write_mtx);
	if ((tx = db_begin(db, &cause)) == 0) {
		for (w = rows; w != NULL; w = w->next)
			policy_row_write(db, NULL, w);
		if ((tx = db_commit(db, &cause)) == -1)
			db_rollback(db);
	}
	pthread_mutex_unlock(&p->write_mtx);
	if (tx == 0)
		return;
	log_warnx("message log: a batch of rows: %s; writing them one by one",
	    cause);
	free(cause);
	for (w = rows; w != NULL; w = w->next)
		policy_row_write(db, &p->write_mtx, w);
}

static void *
policy_log_main(void *arg)
{
	struct policy		*p = arg;
	struct policy_row	*rows, *w;
	struct db		*db;
	char			*cause = NULL;
	unsigned long long	 dropped = 0;
	size_t			 n;

	if ((db = db_open(p->dbpath, 0, &cause)) == NULL) {
		log_warnx("message log stopped: %s", cause);
		free(cause);
	}
	for (;;) {
		pthread_mutex_lock(&p->log_mtx);
		while (p->nrows == 0 && !p->log_stop)
			pthread_cond_wait(&p->log_cv, &p->log_mtx);
		policy_rows_gather(p);
		rows = policy_rows_take(p, &n, &dropped);
		pthread_mutex_unlock(&p->log_mtx);
		if (rows == NULL)
			break;		/* stopping, and nothing left */
		if (dropped > 0)
			log_warnx("message log: %llu rows dropped: more than "
			    "%d were waiting for the database", dropped,
			    POLICY_LOG_MAX);
		if (db != NULL)
			policy_rows_write(p, db, rows);
		while ((w = rows) != NULL) {
			rows = w->next;
			policy_row_free(w);
		}
	}
	db_close(db);
	return NULL;
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

/* Everything but the threads, which are gone or never started. */
static void
policy_free(struct policy *p)
{
	struct policy_row	*w;
	size_t			 i;

	for (i = 0; i < p->npool; i++)
		db_close(p->pool[i]);
	free(p->pool);
	limits_free(p->limits);
	free(p->cache);
	free(p->dbpath);
	for (i = 0; i < POLICY_SEEN_SLOTS; i++) {
		free(p->seen[i]);
		free(p->ipseen[i]);
	}
	while ((w = p->rows) != NULL) {
		p->rows = w->next;
		policy_row_free(w);
	}
	sodium_memzero(p->cache_key, sizeof p->cache_key);
	pthread_cond_destroy(&p->log_cv);
	pthread_cond_destroy(&p->batch_cv);
	pthread_mutex_destroy(&p->log_mtx);
	pthread_mutex_destroy(&p->seen_mtx);
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
	crypto_shorthash_keygen(p->seen_key);
	/* Fail at start, not at the first client, when the database is amiss. */
	if ((db = db_open(p->dbpath, 0, cause)) == NULL)
		return -1;
	policy_db_put(p, db);
	return 0;
}

/* The log thread, then the batch thread. */
static int
policy_start(struct policy *p, char **cause)
{
	if ((errno = pthread_create(&p->logger, NULL, policy_log_main,
	    p)) != 0)
		return ipc_cause(cause, "message log thread: %s",
		    strerror(errno));
	p->log_started = 1;
	if ((errno = pthread_create(&p->batch, NULL, policy_batch_main,
	    p)) != 0)
		return ipc_cause(cause, "policy thread: %s", strerror(errno));
	return 0;
}

/* The log thread writes what is queued, then ends. */
static void
policy_log_stop(struct policy *p)
{
	if (!p->log_started)
		return;
	pthread_mutex_lock(&p->log_mtx);
	p->log_stop = 1;
	pthread_cond_signal(&p->log_cv);
	pthread_mutex_unlock(&p->log_mtx);
	pthread_join(p->logger, NULL);
	p->log_started = 0;
}

struct policy *
policy_open(const struct config *conf, char **cause)
{
	struct policy		*p;
	pthread_condattr_t	 mono;

	if ((p = calloc(1, sizeof *p)) == NULL) {
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->mtx, NULL);
	pthread_mutex_init(&p->write_mtx, NULL);
	pthread_mutex_init(&p->cache_mtx, NULL);
	pthread_mutex_init(&p->seen_mtx, NULL);
	pthread_mutex_init(&p->log_mtx, NULL);
	pthread_cond_init(&p->batch_cv, NULL);
	/* The log thread's short waits don't follow the wall clock. */
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	pthread_cond_init(&p->log_cv, &mono);
	pthread_condattr_destroy(&mono);
	p->rows_tail = &p->rows;
	if (policy_init(p, conf, cause) == -1 ||
	    policy_start(p, cause) == -1) {
		policy_log_stop(p);
		policy_free(p);
		return NULL;
	}
	limits_share(p->limits);
	pthread_mutex_lock(&policy_shared_mtx);
	policy_shared = p;
	pthread_mutex_unlock(&policy_shared_mtx);
	return p;
}

/* The log rows and the counters are written a last time by their threads. */
void
policy_close(struct policy *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&policy_shared_mtx);
	if (policy_shared == p)
		policy_shared = NULL;
	pthread_mutex_unlock(&policy_shared_mtx);
	limits_share(NULL);
	policy_log_stop(p);
	pthread_mutex_lock(&p->mtx);
	p->stopping = 1;
	pthread_cond_signal(&p->batch_cv);
	pthread_mutex_unlock(&p->mtx);
	pthread_join(p->batch, NULL);
	policy_free(p);
}

/* New settings; what was read of users may be read differently now. */
void
policy_reload(struct policy *p, const struct config *conf)
{
	struct policy_conf	pc;

	policy_conf_read(&pc, conf);
	pthread_mutex_lock(&p->mtx);
	p->conf = pc;
	pthread_mutex_unlock(&p->mtx);
	policy_changed(p);
}

struct db *
policy_db_acquire(struct policy *p, char **cause)
{
	return policy_db_get(p, cause);
}

void
policy_db_release(struct policy *p, struct db *db)
{
	policy_db_put(p, db);
}
