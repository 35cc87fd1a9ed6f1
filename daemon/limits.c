/*
 * Limits in memory (see limits.h for the window semantics): users'
 * counters, per-address connection slots and AUTH failures, each in a
 * small hash table keyed by bytes under the one mutex of struct limits.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "ipc.h"
#include "limit.h"
#include "log.h"
#include "policy.h"

/* A node of a table: its key's bytes follow it. */
struct lim_node {
	struct lim_node	*next;
	uint64_t	 hash;
	void		*val;
	size_t		 klen;
	unsigned char	 key[];
};

struct lim_table {
	struct lim_node	**b;
	size_t		  nb, n;
	unsigned char	  seed[crypto_shorthash_KEYBYTES];
};

struct lim_pending {
	const void	*token;
	int64_t		 n;
	time_t		 since;
};

struct lim_user {
	int64_t			 id;
	time_t			 start[LIM_NWINDOWS];
	int64_t			 count[LIM_NWINDOWS];
	struct lim_pending	*pend;
	size_t			 npend, cappend;
	int			 dirty;
};

struct lim_auth {
	time_t	first;		/* first failure of the window */
	int64_t	fails;
};

struct limits {
	pthread_mutex_t	 mtx;
	struct lim_table users;		/* name -> struct lim_user */
	struct lim_table conns;		/* address -> open connections */
	struct lim_table auth;		/* address -> struct lim_auth */
};

/* The counters the control thread sees, and their guard. */
static pthread_mutex_t	 limits_shared_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct limits	*limits_shared;

static const char *const limits_names[LIM_NWINDOWS] = {
	"minute", "hour", "day", "week", "month", "recipients.day"
};
/* How a refusal names each connection window. */
static const char *const limits_adjectives[LIM_NCONN] = {
	"per-minute", "hourly", "daily", "weekly", "monthly"
};

/* Past this many entries, a table of addresses drops those it no longer needs. */
#define LIMITS_AUTH_SWEEP	4096

static int
lim_table_init(struct lim_table *t)
{
	t->nb = 64;
	t->n = 0;
	randombytes_buf(t->seed, sizeof t->seed);
	return (t->b = calloc(t->nb, sizeof *t->b)) == NULL ? -1 : 0;
}

static uint64_t
lim_hash(const struct lim_table *t, const void *key, size_t klen)
{
	unsigned char	out[crypto_shorthash_BYTES];
	uint64_t	h;

	crypto_shorthash(out, key, klen, t->seed);
	memcpy(&h, out, sizeof h);
	return h;
}

static struct lim_node *
lim_find(const struct lim_table *t, const void *key, size_t klen)
{
	uint64_t	 h = lim_hash(t, key, klen);
	struct lim_node	*n;

	for (n = t->b[h % t->nb]; n != NULL; n = n->next)
		if (n->hash == h && n->klen == klen &&
		    memcmp(n->key, key, klen) == 0)
			return n;
	return NULL;
}

/* Double the buckets when the table is full; a failed grow just waits. */
static void
lim_grow(struct lim_table *t)
{
	struct lim_node	**nb, *n, *next;
	size_t		  i, size = t->nb * 2;

	if (t->n < t->nb || (nb = calloc(size, sizeof *nb)) == NULL)
		return;
	for (i = 0; i < t->nb; i++) {
		for (n = t->b[i]; n != NULL; n = next) {
			next = n->next;
			n->next = nb[n->hash % size];
			nb[n->hash % size] = n;
		}
	}
	free(t->b);
	t->b = nb;
	t->nb = size;
}

static struct lim_node *
lim_insert(struct lim_table *t, const void *key, size_t klen, void *val)
{
	struct lim_node	*n;

	if ((n = malloc(sizeof *n + klen)) == NULL)
		return NULL;
	n->hash = lim_hash(t, key, klen);
	n->val = val;
	n->klen = klen;
	memcpy(n->key, key, klen);
	n->next = t->b[n->hash % t->nb];
	t->b[n->hash % t->nb] = n;
	t->n++;
	lim_grow(t);
	return n;
}

/* Unlink and free a node; its value is the caller's. */
static void
lim_remove(struct lim_table *t, struct lim_node *n)
{
	struct lim_node	**p;

	for (p = &t->b[n->hash % t->nb]; *p != n; p = &(*p)->next)
		;
	*p = n->next;
	t->n--;
	free(n);
}

static void
lim_user_free(struct lim_user *u)
{
	if (u != NULL)
		free(u->pend);
	free(u);
}

static void
lim_table_clear(struct lim_table *t, int users)
{
	struct lim_node	*n, *next;
	size_t		 i;

	for (i = 0; t->b != NULL && i < t->nb; i++) {
		for (n = t->b[i]; n != NULL; n = next) {
			next = n->next;
			if (users)
				lim_user_free(n->val);
			else
				free(n->val);
			free(n);
		}
	}
	free(t->b);
}

const char *
limits_window_name(enum limits_window w)
{
	return limits_names[w];
}

/* Floor division: the windows of times before 1970 too. */
static time_t
lim_floor(time_t t, time_t unit)
{
	return (t / unit - (t % unit < 0)) * unit;
}

static void
lim_month_bounds(time_t now, time_t *start, time_t *end)
{
	struct tm	tm;

	gmtime_r(&now, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	*start = timegm(&tm);
	tm.tm_mon++;		/* timegm carries December into January */
	*end = timegm(&tm);
}

void
limits_window_bounds(enum limits_window w, time_t now, time_t *start,
    time_t *end)
{
	time_t	day;

	switch (w) {
	case LIM_MINUTE:
		*start = lim_floor(now, 60);
		*end = *start + 60;
		break;
	case LIM_HOUR:
		*start = lim_floor(now, 3600);
		*end = *start + 3600;
		break;
	case LIM_WEEK:
		/* 1970-01-01 was a Thursday: Monday is 3 days before. */
		day = lim_floor(now, 86400) / 86400;
		*start = (day - (((day + 3) % 7) + 7) % 7) * 86400;
		*end = *start + 7 * 86400;
		break;
	case LIM_MONTH:
		lim_month_bounds(now, start, end);
		break;
	default:		/* LIM_DAY, LIM_RCPT_DAY */
		*start = lim_floor(now, 86400);
		*end = *start + 86400;
		break;
	}
}

void
limits_time_text(enum limits_window w, time_t end, char *buf, size_t len)
{
	struct tm	tm;
	int		long_form = w == LIM_WEEK || w == LIM_MONTH;

	gmtime_r(&end, &tm);
	if (strftime(buf, len, long_form ? "%Y-%m-%d %H:%M UTC" :
	    "%H:%M UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)end);
}

struct limits *
limits_new(void)
{
	struct limits	*l;

	if ((l = calloc(1, sizeof *l)) == NULL)
		return NULL;
	pthread_mutex_init(&l->mtx, NULL);
	if (lim_table_init(&l->users) == -1 || lim_table_init(&l->conns) == -1 ||
	    lim_table_init(&l->auth) == -1) {
		limits_free(l);
		return NULL;
	}
	return l;
}

void
limits_free(struct limits *l)
{
	if (l == NULL)
		return;
	lim_table_clear(&l->users, 1);
	lim_table_clear(&l->conns, 0);
	lim_table_clear(&l->auth, 0);
	pthread_mutex_destroy(&l->mtx);
	free(l);
}

/* A user's stored counters, as they were written back. */
static int
lim_user_read(struct db *db, const char *name, struct lim_user *u,
    char **cause)
{
	int64_t	start, count;
	int	w, rc;

	for (w = 0; w < LIM_NWINDOWS; w++) {
		rc = db_counter_get(db, name, limits_names[w], &start, &count,
		    cause);
		if (rc == -1)
			return -1;
		if (rc == 0) {
			u->start[w] = (time_t)start;
			u->count[w] = count;
		}
	}
	return 0;
}

/*
 * The user's counters, loaded at first use (mtx held).  A different id
 * means the name now belongs to a new user: it starts from zero.
 */
static struct lim_user *
lim_user_get(struct limits *l, struct db *db, const char *name, int64_t id,
    char **cause)
{
	struct lim_node	*n;
	struct lim_user	*u;

	if ((n = lim_find(&l->users, name, strlen(name))) != NULL) {
		u = n->val;
		if (id != 0 && u->id != 0 && u->id != id) {
			memset(u->start, 0, sizeof u->start);
			memset(u->count, 0, sizeof u->count);
			u->dirty = 1;
		}
		if (id != 0)
			u->id = id;
		return u;
	}
	if ((u = calloc(1, sizeof *u)) == NULL) {
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	u->id = id;
	if ((db != NULL && lim_user_read(db, name, u, cause) == -1) ||
	    lim_insert(&l->users, name, strlen(name), u) == NULL) {
		if (*cause == NULL)
			ipc_cause(cause, "out of memory");
		lim_user_free(u);
		return NULL;
	}
	return u;
}

/*
 * The user's counters for limits_connect/rcpt/settle (mtx held): with a
 * database, loaded at first use; without one (the event loop, which must
 * not block), only when already in memory: NULL then with *cause unset.
 */
static struct lim_user *
lim_user_use(struct limits *l, struct db *db, const char *name, int64_t id,
    char **cause)
{
	struct lim_node	*n;

	if (db != NULL)
		return lim_user_get(l, db, name, id, cause);
	if ((n = lim_find(&l->users, name, strlen(name))) == NULL)
		return NULL;
	return lim_user_get(l, NULL, name, id, cause);
}

/* Start the windows that have passed over at zero. */
static void
lim_user_roll(struct lim_user *u, time_t now)
{
	time_t	start, end;
	int	w;

	for (w = 0; w < LIM_NWINDOWS; w++) {
		limits_window_bounds(w, now, &start, &end);
		if (u->start[w] != start) {
			u->start[w] = start;
			u->count[w] = 0;
		}
	}
}

/*
 * Of the connection windows whose limit is reached, the one that frees up
 * last: only after its end may the client connect again.  -1: none.
 */
static int
lim_conn_over(const struct lim_user *u, const int64_t lim[LIM_NWINDOWS],
    time_t now)
{
	time_t	start, end, last = 0;
	int	w, over = -1;

	for (w = 0; w < LIM_NCONN; w++) {
		if (lim[w] <= 0 || u->count[w] < lim[w])
			continue;
		limits_window_bounds(w, now, &start, &end);
		if (end > last) {
			last = end;
			over = w;
		}
	}
	return over;
}

static void
lim_conn_refuse(enum limits_window w, int64_t limit, const char *user,
    time_t now, struct verdict *v)
{
	time_t	start, end;
	char	when[64];

	limits_window_bounds(w, now, &start, &end);
	limits_time_text(w, end, when, sizeof when);
	v->code = 421;
	snprintf(v->text, sizeof v->text, "4.7.0 %s connection limit (%lld) "
	    "reached for user %s; try again after %s", limits_adjectives[w],
	    (long long)limit, user, when);
}

int
limits_connect(struct limits *l, struct db *db, const char *user, int64_t id,
    const int64_t lim[LIM_NWINDOWS], time_t now, struct verdict *v,
    char **cause)
{
	struct lim_user	*u;
	int		 w, over;

	pthread_mutex_lock(&l->mtx);
	if ((u = lim_user_use(l, db, user, id, cause)) == NULL) {
		pthread_mutex_unlock(&l->mtx);
		return db == NULL ? 2 : -1;
	}
	lim_user_roll(u, now);
	if ((over = lim_conn_over(u, lim, now)) == -1) {
		for (w = 0; w < LIM_NCONN; w++)
			u->count[w]++;
		u->dirty = 1;
	}
	pthread_mutex_unlock(&l->mtx);
	if (over == -1)
		return 0;
	lim_conn_refuse(over, lim[over], user, now, v);
	return 1;
}

/* Pending recipients still in time (mtx held); stale tokens go. */
static int64_t
lim_pending(struct lim_user *u, time_t now)
{
	int64_t	sum = 0;
	size_t	i = 0;

	while (i < u->npend) {
		if (now - u->pend[i].since > LIMITS_PENDING_TTL) {
			u->pend[i] = u->pend[--u->npend];
			continue;
		}
		sum += u->pend[i++].n;
	}
	return sum;
}

static struct lim_pending *
lim_pending_slot(struct lim_user *u, const void *token, time_t now)
{
	struct lim_pending	*p;
	size_t			 i, cap;

	for (i = 0; i < u->npend; i++)
		if (u->pend[i].token == token)
			return &u->pend[i];
	if (u->npend == u->cappend) {
		cap = u->cappend == 0 ? 4 : u->cappend * 2;
		if ((p = reallocarray(u->pend, cap, sizeof *p)) == NULL)
			return NULL;
		u->pend = p;
		u->cappend = cap;
	}
	p = &u->pend[u->npend++];
	p->token = token;
	p->n = 0;
	p->since = now;
	return p;
}

static void
lim_rcpt_refuse(int64_t limit, const char *user, time_t now,
    struct verdict *v)
{
	time_t	start, end;
	char	when[64];

	limits_window_bounds(LIM_RCPT_DAY, now, &start, &end);
	limits_time_text(LIM_RCPT_DAY, end, when, sizeof when);
	v->code = 452;
	snprintf(v->text, sizeof v->text, "4.5.3 daily recipient limit (%lld) "
	    "reached for user %s; try again after %s", (long long)limit, user,
	    when);
}

int
limits_rcpt(struct limits *l, struct db *db, const char *user, int64_t id,
    int64_t limit, const void *token, time_t now, struct verdict *v,
    char **cause)
{
	struct lim_user		*u;
	struct lim_pending	*p = NULL;
	int			 over;

	pthread_mutex_lock(&l->mtx);
	if ((u = lim_user_use(l, db, user, id, cause)) == NULL) {
		pthread_mutex_unlock(&l->mtx);
		return db == NULL ? 2 : -1;
	}
	lim_user_roll(u, now);
	over = limit > 0 && u->count[LIM_RCPT_DAY] + lim_pending(u, now) >=
	    limit;
	if (!over && (p = lim_pending_slot(u, token, now)) != NULL)
		p->n++;
	pthread_mutex_unlock(&l->mtx);
	if (over) {
		lim_rcpt_refuse(limit, user, now, v);
		return 1;
	}
	return p != NULL ? 0 : ipc_cause(cause, "out of memory");
}

int
limits_settle(struct limits *l, struct db *db, const char *user, int64_t id,
    const void *token, int64_t relayed, time_t now, char **cause)
{
	struct lim_user	*u;
	size_t		 i;

	pthread_mutex_lock(&l->mtx);
	if ((u = lim_user_use(l, db, user, id, cause)) == NULL) {
		pthread_mutex_unlock(&l->mtx);
		/* Not in memory: nothing pending; relayed ones need loading. */
		return db != NULL ? -1 : relayed > 0 ? 2 : 0;
	}
	for (i = 0; i < u->npend; i++) {
		if (u->pend[i].token == token) {
			u->pend[i] = u->pend[--u->npend];
			break;
		}
	}
	if (relayed > 0) {
		lim_user_roll(u, now);
		u->count[LIM_RCPT_DAY] += relayed;
		u->dirty = 1;
	}
	pthread_mutex_unlock(&l->mtx);
	return 0;
}

/* A user's status from counters as stored or held (copied into u). */
static void
lim_status_fill(struct lim_user *u, time_t now, struct limits_status *s)
{
	time_t	start;
	int	w;

	lim_user_roll(u, now);
	for (w = 0; w < LIM_NWINDOWS; w++) {
		s->count[w] = u->count[w];
		limits_window_bounds(w, now, &start, &s->end[w]);
	}
	s->pending = lim_pending(u, now);
}

/* Read without loading: showing a user does not make it resident. */
int
limits_status(struct limits *l, struct db *db, const char *user, time_t now,
    struct limits_status *s, char **cause)
{
	struct lim_node	*n;
	struct lim_user	 copy;

	memset(&copy, 0, sizeof copy);
	pthread_mutex_lock(&l->mtx);
	if ((n = lim_find(&l->users, user, strlen(user))) != NULL) {
		lim_status_fill(n->val, now, s);
		pthread_mutex_unlock(&l->mtx);
		return 0;
	}
	pthread_mutex_unlock(&l->mtx);
	if (lim_user_read(db, user, &copy, cause) == -1)
		return -1;
	lim_status_fill(&copy, now, s);
	return 0;
}

void
limits_reset(struct limits *l, const char *user)
{
	struct lim_user	*u;
	char		*cause = NULL;

	pthread_mutex_lock(&l->mtx);
	/* No database: the zeros replace whatever is stored. */
	if ((u = lim_user_get(l, NULL, user, 0, &cause)) != NULL) {
		memset(u->start, 0, sizeof u->start);
		memset(u->count, 0, sizeof u->count);
		u->npend = 0;
		u->dirty = 1;
	}
	pthread_mutex_unlock(&l->mtx);
	free(cause);
}

/* A changed user's counters, copied out to be written without the mutex. */
struct lim_dirty {
	char	*name;
	time_t	 start[LIM_NWINDOWS];
	int64_t	 count[LIM_NWINDOWS];
};

static struct lim_dirty *
lim_collect(struct limits *l, size_t *n)
{
	struct lim_dirty	*d;
	struct lim_node		*node;
	struct lim_user		*u;
	size_t			 i;

	*n = 0;
	pthread_mutex_lock(&l->mtx);
	if ((d = calloc(l->users.n + 1, sizeof *d)) == NULL) {
		pthread_mutex_unlock(&l->mtx);
		return NULL;
	}
	for (i = 0; i < l->users.nb; i++) {
		for (node = l->users.b[i]; node != NULL; node = node->next) {
			u = node->val;
			if (!u->dirty ||
			    (d[*n].name = strndup((char *)node->key,
			    node->klen)) == NULL)
				continue;
			memcpy(d[*n].start, u->start, sizeof u->start);
			memcpy(d[*n].count, u->count, sizeof u->count);
			u->dirty = 0;
			(*n)++;
		}
	}
	pthread_mutex_unlock(&l->mtx);
	return d;
}

/* Mark the users of a failed write changed again, for the next flush. */
static void
lim_redirty(struct limits *l, struct lim_dirty *d, size_t n)
{
	struct lim_node	*node;
	size_t		 i;

	pthread_mutex_lock(&l->mtx);
	for (i = 0; i < n; i++)
		if ((node = lim_find(&l->users, d[i].name,
		    strlen(d[i].name))) != NULL)
			((struct lim_user *)node->val)->dirty = 1;
	pthread_mutex_unlock(&l->mtx);
}

/* One user's rows; a user deleted meanwhile is skipped. */
static int
lim_write_user(struct db *db, const struct lim_dirty *d, char **cause)
{
	int	w;

	for (w = 0; w < LIM_NWINDOWS; w++) {
		if (db_counter_put(db, d->name, limits_names[w], d->start[w],
		    d->count[w], cause) == 0)
			continue;
		if (db_errkind(db) != DB_ENOTFOUND)
			return -1;
		free(*cause);
		*cause = NULL;
		return 0;
	}
	return 0;
}

int
limits_flush(struct limits *l, struct db *db, char **cause)
{
	struct lim_dirty	*d;
	size_t			 n, i;
	int			 rc = 0;

	if ((d = lim_collect(l, &n)) == NULL)
		return ipc_cause(cause, "out of memory");
	if (n > 0 && (rc = db_begin(db, cause)) == 0) {
		for (i = 0; i < n && rc == 0; i++)
			rc = lim_write_user(db, &d[i], cause);
		if (rc == 0)
			rc = db_commit(db, cause);
		else
			db_rollback(db);
	}
	if (rc == -1)
		lim_redirty(l, d, n);
	for (i = 0; i < n; i++)
		free(d[i].name);
	free(d);
	return rc;
}

void
limits_share(struct limits *l)
{
	pthread_mutex_lock(&limits_shared_mtx);
	limits_shared = l;
	pthread_mutex_unlock(&limits_shared_mtx);
}

int
limits_shared_status(struct db *db, const char *user, time_t now,
    struct limits_status *s, char **cause)
{
	struct lim_user	copy;
	int		rc;

	pthread_mutex_lock(&limits_shared_mtx);
	if (limits_shared != NULL) {
		rc = limits_status(limits_shared, db, user, now, s, cause);
		pthread_mutex_unlock(&limits_shared_mtx);
		return rc;
	}
	pthread_mutex_unlock(&limits_shared_mtx);
	memset(&copy, 0, sizeof copy);
	if (lim_user_read(db, user, &copy, cause) == -1)
		return -1;
	lim_status_fill(&copy, now, s);
	return 0;
}

int
limits_shared_reset(struct db *db, const char *user, char **cause)
{
	pthread_mutex_lock(&limits_shared_mtx);
	if (limits_shared != NULL) {
		limits_reset(limits_shared, user);
		pthread_mutex_unlock(&limits_shared_mtx);
		return 0;
	}
	pthread_mutex_unlock(&limits_shared_mtx);
	return db_counter_reset(db, user, cause);
}

int
limits_addr(const struct sockaddr *sa, uint8_t addr[16], char *text,
    size_t len)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET) {
		memcpy(addr, mapped, sizeof mapped);
		memcpy(addr + 12, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(addr, &sin6->sin6_addr, 16);
	else {
		snprintf(text, len, "unknown");
		return -1;
	}
	if (memcmp(addr, mapped, sizeof mapped) == 0)
		inet_ntop(AF_INET, addr + 12, text, len);
	else
		inet_ntop(AF_INET6, addr, text, len);
	return 0;
}

int
limits_ip_enter(struct limits *l, const uint8_t addr[16], int64_t cap)
{
	struct lim_node	*n;
	int64_t		*open;
	int		 rc = 0;

	pthread_mutex_lock(&l->mtx);
	if ((n = lim_find(&l->conns, addr, 16)) != NULL) {
		open = n->val;
		if (*open >= cap)
			rc = 1;
		else
			(*open)++;
	} else if ((open = malloc(sizeof *open)) != NULL) {
		*open = 1;
		if (lim_insert(&l->conns, addr, 16, open) == NULL)
			free(open);
	}
	pthread_mutex_unlock(&l->mtx);
	return rc;
}

void
limits_ip_leave(struct limits *l, const uint8_t addr[16])
{
	struct lim_node	*n;
	int64_t		*open;

	pthread_mutex_lock(&l->mtx);
	if ((n = lim_find(&l->conns, addr, 16)) != NULL) {
		open = n->val;
		if (--*open <= 0) {
			free(open);
			lim_remove(&l->conns, n);
		}
	}
	pthread_mutex_unlock(&l->mtx);
}

/* Drop the AUTH failure records whose window has passed (mtx held). */
static void
lim_auth_sweep(struct limits *l, int64_t window, time_t now)
{
	struct lim_node	*n, *next;
	struct lim_auth	*a;
	size_t		 i;

	for (i = 0; i < l->auth.nb; i++) {
		for (n = l->auth.b[i]; n != NULL; n = next) {
			next = n->next;
			a = n->val;
			if (now - a->first >= window) {
				free(a);
				lim_remove(&l->auth, n);
			}
		}
	}
}

/* The address's record of this window, or NULL (mtx held). */
static struct lim_auth *
lim_auth_find(struct limits *l, const uint8_t addr[16], int64_t window,
    time_t now)
{
	struct lim_node	*n;
	struct lim_auth	*a;

	if ((n = lim_find(&l->auth, addr, 16)) == NULL)
		return NULL;
	a = n->val;
	if (now - a->first < window)
		return a;
	free(a);
	lim_remove(&l->auth, n);
	return NULL;
}

int64_t
limits_auth_wait(struct limits *l, const uint8_t addr[16], int64_t max,
    int64_t window, time_t now)
{
	struct lim_auth	*a;
	int64_t		 wait = 0;

	pthread_mutex_lock(&l->mtx);
	if ((a = lim_auth_find(l, addr, window, now)) != NULL &&
	    a->fails >= max)
		wait = a->first + window - now;
	pthread_mutex_unlock(&l->mtx);
	return wait;
}

int
limits_auth_fail(struct limits *l, const uint8_t addr[16], int64_t max,
    int64_t window, time_t now)
{
	struct lim_auth	*a;
	int		 last;

	pthread_mutex_lock(&l->mtx);
	if ((a = lim_auth_find(l, addr, window, now)) == NULL) {
		if (l->auth.n >= LIMITS_AUTH_SWEEP)
			lim_auth_sweep(l, window, now);
		if ((a = calloc(1, sizeof *a)) != NULL) {
			a->first = now;
			if (lim_insert(&l->auth, addr, 16, a) == NULL) {
				free(a);
				a = NULL;
			}
		}
	}
	last = a != NULL && ++a->fails == max;
	pthread_mutex_unlock(&l->mtx);
	return last;
}
