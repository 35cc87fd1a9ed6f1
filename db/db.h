/*
 * outfilter data access.  Only db/ speaks SQL or includes <sqlite3.h>;
 * nothing of SQLite shows through this interface, so that a second backend
 * (PostgreSQL) can sit behind the same functions.  Functions return 0 on
 * success and -1 with *cause set (a malloc'ed sentence the caller frees)
 * on failure, unless said otherwise.  Results are handed out as jansson
 * objects shaped as the control protocol shows them.
 *
 * After a -1, db_errkind() says what kind of failure it was and
 * db_errfield() which argument it is about, so that a caller can map it
 * onto its own error codes.  Every function that changes more than one
 * row is atomic on its own (a savepoint), inside or outside a
 * transaction opened with db_begin().
 *
 * Lists take a scope: the NULL-terminated list of domains the caller may
 * see, or NULL for all.  They return {"items":[...],"next":CURSOR|null}.
 */
#ifndef OF_DB_H
#define OF_DB_H

#include <stdint.h>
#include <jansson.h>

struct db;

/* Open (and with create, make) the database; runs pending migrations. */
struct db	*db_open(const char *path, int create, char **cause);
void		 db_close(struct db *);
int		 db_schema_version(struct db *);
/* The newest schema version this code knows. */
int		 db_schema_latest(void);

int		 db_begin(struct db *, char **cause);	/* write transaction */
int		 db_commit(struct db *, char **cause);
void		 db_rollback(struct db *);

/* What the last failure was about. */
enum db_errkind {
	DB_EINTERNAL = 1,	/* the database itself failed */
	DB_EINVAL,		/* a value is malformed or out of range */
	DB_ECONFLICT,		/* duplicate, overlap, still in use */
	DB_ENOTFOUND		/* no such object */
};
enum db_errkind	 db_errkind(struct db *);
const char	*db_errfield(struct db *);	/* argument at fault, or "" */
/*
 * When the last failure names another object (the owner of an
 * overlapping range, the holder of a taken name), the domain of that
 * object, else NULL; db_errpublic() is then the same refusal without
 * naming it, for callers that may not see that domain.
 */
const char	*db_errowner(struct db *);
const char	*db_errpublic(struct db *);

#define DB_LIST_DEFAULT	50
#define DB_LIST_MAX	1000

/* Names: checked and brought to their one stored form. */
char		*db_domain_normalize(const char *, char **cause);
/* local@domain: the domain part in its normal form; NULL with cause. */
char		*db_email_normalize(const char *, char **domain_part,
		    char **cause);

/* Domains. */
int		 db_domain_add(struct db *, const char *name,
		    const char *admin_contact, char **cause);
int		 db_domain_list(struct db *, char *const *scope, int active_only,
		    const char *after, int limit, json_t **out, char **cause);
int		 db_domain_show(struct db *, const char *name, json_t **out,
		    char **cause);
int		 db_domain_set_contact(struct db *, const char *name,
		    const char *admin_contact, char **cause);
int		 db_domain_set_active(struct db *, const char *name, int active,
		    char **cause);
int		 db_domain_del(struct db *, const char *name, char **cause);

/*
 * Outgoing users.  Passwords arrive hashed; hashes never leave db/ but
 * through db_user_auth.  by is the admin acting, NULL for the daemon's own
 * (automatic) decisions.
 */
int		 db_user_add_ip(struct db *, const char *name, const char *domain,
		    json_t *cidrs, char **cause);
int		 db_user_add_smtp(struct db *, const char *name,
		    const char *domain, const char *hash, char **cause);
int		 db_user_add_domain(struct db *, const char *domain,
		    const char *hash, char **cause);
/* The domain a user belongs to (*domain is the caller's). */
int		 db_user_domain(struct db *, const char *name, char **domain,
		    char **cause);
int		 db_user_list(struct db *, char *const *scope, const char *domain,
		    const char *kind, int locked_only, const char *search,
		    const char *after, int limit, json_t **out, char **cause);
int		 db_user_show(struct db *, const char *name, json_t **out,
		    char **cause);
int		 db_user_del(struct db *, const char *name, char **cause);
int		 db_user_lock(struct db *, const char *name, const char *reason,
		    int64_t minutes, const char *by, char **cause);
int		 db_user_unlock(struct db *, const char *name, const char *by,
		    char **cause);
int		 db_user_passwd(struct db *, const char *name, const char *hash,
		    char **cause);
/* settings: an object KEY -> text; all are checked before any is stored. */
int		 db_user_set(struct db *, const char *name, json_t *settings,
		    char **cause);
int		 db_user_ip_add(struct db *, const char *name, const char *cidr,
		    char **cause);
int		 db_user_ip_del(struct db *, const char *name, const char *cidr,
		    char **cause);
/*
 * For SMTP AUTH: 0 with the hash (free it) and the user's domain, 1 when
 * there is no such SMTP or domain user, -1 on error.
 */
int		 db_user_auth(struct db *, const char *name, char **hash,
		    char **domain, char **cause);
/* The user owning an address (16 bytes, IPv4-mapped); 1 when none. */
int		 db_ip_owner(struct db *, const uint8_t addr[16], char **user,
		    char **domain, char **cause);

/*
 * What the relay checks of a sending user, per connection and message:
 * filled by db_sender_get (0), 1 when there is no such user, -1 on error.
 * settings holds the user's stored (non-default) settings, KEY -> text;
 * db_sender_free releases it.
 */
struct db_sender {
	int64_t		 id;
	char		 name[256];
	char		 kind[8];	/* ip, smtp, domain */
	char		 domain[256];
	int		 domain_active;
	int		 locked;	/* a lock in force now */
	int64_t		 lock_until;	/* 0: until an admin unlocks */
	char		 lock_reason[256];
	char		 admin_contact[256];	/* the domain's */
	json_t		*settings;
};
int		 db_sender_get(struct db *, const char *name,
		    struct db_sender *, char **cause);
void		 db_sender_free(struct db_sender *);
/* A user setting in force: the stored value, else the table's default. */
const char	*db_sender_setting(const struct db_sender *, const char *key);
/* 1 when the domain is known (whether its filter is on or off), else 0. */
int		 db_domain_known(struct db *, const char *name, char **cause);

/* Identities: created on first sight by the relay (db_identity_seen). */
int		 db_identity_seen(struct db *, const char *user,
		    const char *identity, int spam, char **cause);
int		 db_identity_list(struct db *, char *const *scope,
		    const char *user, const char *domain, int locked_only,
		    const char *after, int limit, json_t **out, char **cause);
int		 db_identity_lock(struct db *, const char *user,
		    const char *identity, const char *reason, int64_t minutes,
		    const char *by, char **cause);
int		 db_identity_unlock(struct db *, const char *user,
		    const char *identity, const char *by, char **cause);
int		 db_identity_reset(struct db *, const char *user,
		    const char *identity, char **cause);

/*
 * The relay's side of abuse control (db_abuse.c).  A lock state is "in
 * force" when locked and its time has not run out; db_lock_expire() lifts
 * the run-out ones for good, counting each as an automatic unlock.
 */
struct db_lock_state {
	int64_t		 id;		/* the user's or identity's row */
	int		 locked;	/* in force now */
	int64_t		 lock_until;	/* 0: until an admin unlocks */
	char		 lock_reason[256];
	int64_t		 auto_unlocks;
};
/* The identity of a user, created on first sight (not counted). */
int		 db_identity_state(struct db *, int64_t user_id,
		    const char *identity, struct db_lock_state *, char **cause);
int		 db_identity_state_id(struct db *, int64_t identity_id,
		    struct db_lock_state *, char **cause);
int		 db_user_lock_state(struct db *, int64_t user_id,
		    struct db_lock_state *, char **cause);
/* One more message of the identity, spam or not. */
int		 db_identity_count(struct db *, int64_t identity_id, int spam,
		    char **cause);
/*
 * Record a spam message of the user (and identity, when not 0) now, and
 * count the user's and the identity's spam within the last window seconds.
 */
int		 db_spam_hit(struct db *, int64_t user_id, int64_t identity_id,
		    int64_t window, int64_t *user_n, int64_t *identity_n,
		    char **cause);
int		 db_spam_hits_purge(struct db *, int64_t before, char **cause);
/* The user's automatic unlocks counted from zero again. */
int		 db_user_reset_unlocks(struct db *, const char *name,
		    char **cause);
/*
 * Lock the user (identity_id 0) or the identity by rule for minutes (0:
 * until an admin unlocks; also once max_auto_unlocks automatic unlocks
 * were used up).  0 with the new state, 1 when a lock was already in
 * force (state as it is), -1 on error.
 */
int		 db_lock_auto(struct db *, int64_t user_id, int64_t identity_id,
		    const char *reason, int64_t minutes,
		    int64_t max_auto_unlocks, struct db_lock_state *,
		    char **cause);
/* Lift every lock whose time ran out; cb (may be NULL) hears of each. */
typedef void	 db_lock_expired_cb(void *arg, const char *user,
		    const char *identity);
int		 db_lock_expire(struct db *, db_lock_expired_cb *, void *arg,
		    int64_t *lifted, char **cause);
/*
 * The clock every stored time reads (default time(2)); tests drive
 * durations through it.  NULL restores the default.
 */
void		 db_clock_set(int64_t (*now)(void));

/*
 * Lock-notification templates.  When adding, language NULL is "en", body
 * NULL is empty and html NULL or "" means none.  When setting, a NULL
 * member is left as it is, and html "" removes the HTML body.  show gives
 * {name, language, subject, body, html|null, created, updated}.  The
 * template "default" can be changed but not deleted.
 */
struct db_template {
	const char	*name;
	const char	*language;	/* "en", "de", "pt-BR" ... */
	const char	*subject;	/* one line */
	const char	*body;		/* plain text */
	const char	*html;		/* HTML body */
};
int		 db_template_add(struct db *, const struct db_template *,
		    char **cause);
int		 db_template_list(struct db *, const char *after, int limit,
		    json_t **out, char **cause);
int		 db_template_show(struct db *, const char *name, json_t **out,
		    char **cause);
int		 db_template_set(struct db *, const struct db_template *,
		    char **cause);
int		 db_template_del(struct db *, const char *name, char **cause);

/*
 * Admin accounts.  db_admin_get returns 0 and fills the outputs (hash and
 * domains are the caller's: free(*hash), json_decref(*domains)), 1 when
 * there is no such admin, -1 on error.
 */
int		 db_admin_get(struct db *, const char *name, char **hash,
		    int *super, json_t **domains, char **cause);
int		 db_admin_add(struct db *, const char *name, const char *hash,
		    int super, json_t *domains, char **cause);
int		 db_admin_count(struct db *, int64_t *count, char **cause);
int		 db_admin_list(struct db *, const char *after, int limit,
		    json_t **out, char **cause);
int		 db_admin_del(struct db *, const char *name, char **cause);
int		 db_admin_passwd(struct db *, const char *name, const char *hash,
		    char **cause);

/* The message log. */
#define DB_LOG_STATUSES	"relayed|refused|tempfail|quarantined"

struct db_logrec {
	int64_t		 time;		/* 0: now */
	const char	*queue_id;
	const char	*user;
	const char	*kind;		/* ip, smtp, domain */
	const char	*domain;	/* the user's */
	const char	*sending_domain; /* attributed, or NULL */
	const char	*client_ip;
	const char	*sender;	/* envelope; "" for <> */
	const char	*const *rcpts;	/* NULL-terminated */
	const char	*header_from;
	const char	*subject;
	int64_t		 size;
	const char	*status;	/* one of DB_LOG_STATUSES */
	const char	*reason;
	const char	*reply;		/* the next hop's reply */
};
int		 db_log_add(struct db *, const struct db_logrec *, int64_t *id,
		    char **cause);

/* Search filters, as given (NULL: not given); checked by db_log_search. */
struct db_logq {
	const char	*domain, *user, *sender, *recipient, *status,
			*queue_id, *since, *until;
};
int		 db_log_search(struct db *, char *const *scope,
		    const struct db_logq *, const char *after, int limit,
		    json_t **out, char **cause);
/*
 * Delete at most max rows older than before (oldest first), except rows
 * that still hold a quarantined or archived file; *deleted says how many
 * went, so that a caller purges in small steps.
 */
int		 db_log_purge(struct db *, int64_t before, int max,
		    int64_t *deleted, char **cause);
/* "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" (UTC) or epoch seconds. */
int		 db_time_parse(const char *, int64_t *);

/*
 * A log row's outcome changed after the fact (a release from the
 * quarantine): its status (one of DB_LOG_STATUSES), reason and the next
 * hop's reply (NULL: left as it is).
 */
int		 db_log_set_status(struct db *, int64_t id, const char *status,
		    const char *reason, const char *reply, char **cause);

/* The archive: copies of relayed messages that hang off a log row. */
int		 db_archive_add(struct db *, int64_t log_id, const char *path,
		    int64_t size, char **cause);

/*
 * The quarantine (db_quarantine.c): messages held instead of relayed,
 * each a file hanging off its log row, with the envelope a release relays
 * it with.  A row is held, then released or deleted (its file removed);
 * rows and files go for good after the retention (db_quarantine_expired,
 * db_quarantine_forget).  Ids are the rows'; a domain admin's scope sees
 * the messages whose log row is of its domains (the user's or the
 * attributed sending domain), others are not found.
 */
int		 db_quarantine_add(struct db *, int64_t log_id, const char *path,
		    int64_t size, const char *sender, const char *const *rcpts,
		    size_t nrcpts, int64_t *id, char **cause);
/* Filters as given (NULL: not given); all: also released and deleted. */
struct db_quarantineq {
	const char	*domain, *user, *since, *until;
	int		 all;
};
/* Newest first: {id, time, state, user, domain, sender, recipients, ...}. */
int		 db_quarantine_list(struct db *, char *const *scope,
		    const struct db_quarantineq *, const char *after, int limit,
		    json_t **out, char **cause);
/*
 * One message as list shows it, with its log row's details, the path of
 * its file and rcpts (an array): {..., "path", "rcpts", "log_id",
 * "queue_id", "released_at", "released_by", "deleted_at", "deleted_by"}.
 */
int		 db_quarantine_get(struct db *, char *const *scope, int64_t id,
		    json_t **out, char **cause);
/*
 * A held message went to the next hop, whose reply was reply: the row is
 * marked released by `by` now, and its log row becomes relayed, "released
 * by BY" (atomically).  A conflict when it is released or deleted already.
 */
int		 db_quarantine_release(struct db *, int64_t id, const char *by,
		    const char *reply, char **cause);
/* Mark a message deleted by `by` (its file is the caller's to remove). */
int		 db_quarantine_delete(struct db *, int64_t id, const char *by,
		    char **cause);
/*
 * At most max rows held since before `before`, oldest first, as
 * [{"id":N,"path":P},...]: the caller removes each file, then
 * db_quarantine_forget() its row.
 */
int		 db_quarantine_expired(struct db *, int64_t before, int max,
		    json_t **out, char **cause);
int		 db_quarantine_forget(struct db *, int64_t id, char **cause);

/* Limit counters, written back in batches by the daemon. */
int		 db_counter_put(struct db *, const char *user,
		    const char *window, int64_t start, int64_t count,
		    char **cause);
/* 0 with start and count, 1 when none is stored, -1 on error. */
int		 db_counter_get(struct db *, const char *user,
		    const char *window, int64_t *start, int64_t *count,
		    char **cause);
/* Forget every counter of a user. */
int		 db_counter_reset(struct db *, const char *user, char **cause);

/*
 * DKIM keys, one per domain and selector.  The key is stored as given (the
 * daemon hands it over sealed); algorithm is rsa-sha256 or ed25519-sha256.
 */
/* A selector (DNS labels) in its stored, lower-case form; NULL with cause. */
char		*db_selector_normalize(const char *, char **cause);
int		 db_dkim_add(struct db *, const char *domain,
		    const char *selector, const char *algorithm,
		    const char *key, char **cause);
/* 0 with the algorithm and key (the caller's), 1 when none, -1 on error. */
int		 db_dkim_get(struct db *, const char *domain,
		    const char *selector, char **algorithm, char **key,
		    char **cause);
/* {domain, selector, algorithm, created}, without the key. */
int		 db_dkim_show(struct db *, const char *domain,
		    const char *selector, json_t **out, char **cause);
int		 db_dkim_list(struct db *, char *const *scope,
		    const char *domain, const char *after, int limit,
		    json_t **out, char **cause);
int		 db_dkim_del(struct db *, const char *domain,
		    const char *selector, char **cause);

/* Newly registered domains, imported from a feed. */
int		 db_newdomain_put(struct db *, const char *domain,
		    int64_t registered_at, const char *source, char **cause);
/* 0 with registered_at, 1 when the domain is not listed, -1 on error. */
int		 db_newdomain_get(struct db *, const char *domain,
		    int64_t *registered_at, char **cause);

/*
 * Newly registered domains (db_nrd.c).  Names arrive normalized (the
 * registrable domain, A-labels).  An import line with a registration time
 * sets it; one without (registered_at 0) lists the domain as registered
 * at `now` unless it is listed already, whose time is then kept (a feed
 * of the last N days names a domain on N imports).  The import itself is
 * recorded with its source and counts; taken counts the lines that listed
 * or changed a domain, kept those that left one as it was.
 */
struct db_nrd_line {
	const char	*domain;
	int64_t		 registered_at;		/* 0: not given */
};
struct db_nrd_import {
	const char	*source;
	int64_t		 now;
	int64_t		 lines, bad;		/* read, refused: recorded */
	int64_t		 taken, kept;		/* set by db_nrd_import */
};
int		 db_nrd_import(struct db *, const struct db_nrd_line *,
		    size_t n, struct db_nrd_import *, char **cause);
/* 0 with the time and source (source[len]), 1 when not listed, -1 on error. */
int		 db_nrd_get(struct db *, const char *domain,
		    int64_t *registered_at, char *source, size_t len,
		    char **cause);
/*
 * {domains, newest_import, source, rdap_cached}: how many are listed,
 * when and from where the newest import came, RDAP answers cached.
 */
int		 db_nrd_status(struct db *, json_t **out, char **cause);
/*
 * Forget at most max domains registered and imported before `before`,
 * imports recorded before it, and expired RDAP answers.
 */
int		 db_nrd_purge(struct db *, int64_t before, int max,
		    int64_t *deleted, char **cause);
/* An RDAP answer, cached: status "found", "not_found" or "failed". */
struct db_rdap {
	char		 status[16];
	int64_t		 registered_at;		/* 0: the answer gave none */
	char		 detail[256];		/* why it failed, or the server */
	int64_t		 fetched_at, expires_at;
};
/* 0 with the answer, 1 when none is cached or it expired by now, -1 on error. */
int		 db_rdap_get(struct db *, const char *domain, int64_t now,
		    struct db_rdap *, char **cause);
int		 db_rdap_put(struct db *, const char *domain,
		    const struct db_rdap *, char **cause);

/*
 * The archive (db_archive.c; db_archive_add above): rows found through
 * their log rows with the log search's filters (status too), scoped like
 * it.  Newest first: {id, time, log_id, queue_id, user, domain, sender,
 * recipients, subject, size}.
 */
int		 db_archive_search(struct db *, char *const *scope,
		    const struct db_logq *, const char *after, int limit,
		    json_t **out, char **cause);
/* One row as search shows it, with "path"; not found outside the scope. */
int		 db_archive_get(struct db *, char *const *scope, int64_t id,
		    json_t **out, char **cause);
/* At most max rows archived before `before`, oldest first: [{id, path}]. */
int		 db_archive_expired(struct db *, int64_t before, int max,
		    json_t **out, char **cause);
int		 db_archive_forget(struct db *, int64_t id, char **cause);

/* Counts for status: domains, users by kind, locks, log rows of 24 h. */
int		 db_status(struct db *, json_t **out, char **cause);

/*
 * The builtin spam classifier's token store.  db_spam_learn counts one
 * message: its distinct tokens and the ham or spam total, atomically.
 * db_spam_load calls fn for every stored token (fn returns -1 to stop:
 * out of memory).
 */
typedef int db_spam_token_fn(void *arg, const char *token, int64_t ham,
		    int64_t spam);
int		 db_spam_learn(struct db *, char *const *tokens, size_t n,
		    int is_spam, char **cause);
int		 db_spam_totals(struct db *, int64_t *ham, int64_t *spam,
		    char **cause);
int		 db_spam_load(struct db *, db_spam_token_fn *, void *arg,
		    char **cause);

/*
 * Known tools by SHA-256 (db_hashes.c): sha256 as 64 lowercase hex
 * digits, category one of content_hashes.c's.  An import replaces the
 * name and category of a hash listed already; taken counts the lines
 * stored.  get: 0 with name[namelen] and category[catlen], 1 when not
 * listed, -1 on error.  count sets {category: n} in categories.
 */
struct db_hash_line {
	const char	*sha256;
	const char	*name;
	const char	*category;
};
int		 db_hashes_import(struct db *, const struct db_hash_line *,
		    size_t n, int64_t now, int64_t *taken, char **cause);
int		 db_hashes_get(struct db *, const char *sha256, char *name,
		    size_t namelen, char *category, size_t catlen,
		    char **cause);
int		 db_hashes_count(struct db *, json_t *categories,
		    int64_t *total, char **cause);

#endif
