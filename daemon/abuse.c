/* Abuse control at the end of DATA (see abuse.h). */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "abuse.h"
#include "conf.h"
#include "clamd.h"
#include "content.h"
#include "content_hashes.h"
#include "db.h"
#include "dkim.h"
#include "events.h"
#include "ipc.h"
#include "limit.h"
#include "log.h"
#include "mailarchive.h"
#include "notice.h"
#include "nrd.h"
#include "quarantine.h"
#include "spam.h"
#include "spool.h"

/* How often run-out locks are lifted and old spam hits purged. */
#define ABUSE_SWEEP_SECS	5
/* How often archived messages past [archive] retention_days go. */
#define ABUSE_ARCHIVE_PURGE_SECS	3600
/* Spam hits are kept as long as the longest lock.window (31 days). */
#define ABUSE_HITS_KEEP		(44640 * 60)

struct abuse {
	pthread_mutex_t		 mtx;		/* conf, stopping */
	struct config		*conf;		/* a reference */
	struct policy		*policy;
	struct spam_service	*spam;
	/* Lock decisions read then write: one at a time. */
	pthread_mutex_t		 write_mtx;

	pthread_t		 sweeper;
	pthread_cond_t		 cv;
	int			 stopping;
	int			 started;
};

/* The user's settings and the database, for one message. */
struct abuse_ctx {
	struct abuse		*a;
	const struct abuse_in	*in;
	struct abuse_out	*out;
	struct config		*conf;
	struct db		*db;
	struct db_sender	 ds;
	struct db_lock_state	 identity;	/* id 0: no identity */
	struct spam_verdict	 verdict;
};

static const char *
abuse_setting(struct abuse_ctx *c, const char *key)
{
	return db_sender_setting(&c->ds, key);
}

static int64_t
abuse_setting_int(struct abuse_ctx *c, const char *key)
{
	return strtoll(abuse_setting(c, key), NULL, 10);
}

static int
abuse_setting_on(struct abuse_ctx *c, const char *key)
{
	return strcmp(abuse_setting(c, key), "on") == 0;
}

/* Our own failure: the client keeps the message and tries again. */
static void
abuse_tempfail(struct abuse_ctx *c, const char *what, char *cause)
{
	log_warnx("%s: %s: %s", c->in->queue_id, what, cause != NULL ? cause :
	    "unknown error");
	free(cause);
	c->out->action = ABUSE_REFUSE;
	snprintf(c->out->reply, sizeof c->out->reply, "451 4.3.0 Temporary "
	    "local problem checking the message; try again later");
	snprintf(c->out->reason, sizeof c->out->reason, "%s failed", what);
}

/*
 * Identities.
 */

static int
abuse_identify(struct abuse_ctx *c)
{
	struct identity_in	 in;
	struct identity_out	 id;
	json_t			*list = NULL;
	const char		**heads = NULL;
	size_t			 i, n = 0;
	int			 rc;

	memset(&in, 0, sizeof in);
	in.method = identity_method(abuse_setting(c, "identify"));
	if ((int)in.method == -1)
		in.method = IDENTIFY_ENVELOPE;
	if (in.method == IDENTIFY_HEADER) {
		list = json_loads(abuse_setting(c, "identify.headers"), 0, NULL);
		n = json_is_array(list) ? json_array_size(list) : 0;
		if (n > 0 && (heads = calloc(n, sizeof *heads)) == NULL)
			n = 0;
		for (i = 0; i < n; i++)
			heads[i] = json_is_string(json_array_get(list, i)) ?
			    json_string_value(json_array_get(list, i)) : "";
	}
	in.headers = heads;
	in.nheaders = n;
	in.fallback = abuse_setting_on(c, "identify.fallback");
	in.mail_from = c->in->mail_from;
	in.authname = c->in->authname;
	in.msg = c->in->msg;
	in.len = c->in->len;
	rc = identity_find(&in, &id, c->out->reply, sizeof c->out->reply);
	free(heads);
	json_decref(list);
	if (rc == -1) {
		c->out->action = ABUSE_REFUSE;
		snprintf(c->out->reason, sizeof c->out->reason,
		    "no identity: %.480s", c->out->reply);
		return -1;
	}
	snprintf(c->out->identity, sizeof c->out->identity, "%s",
	    id.identity);
	if (id.from_header && abuse_setting_on(c, "identify.strip")) {
		c->out->strip_off = id.field_off;
		c->out->strip_len = id.field_len;
	}
	return 0;
}

/* The identity's lock, as lock.reply wants it told. */
static int
abuse_identity_locked(struct abuse_ctx *c)
{
	char	*cause = NULL, until[64], why[300] = "";
	int	 reject;

	if (*c->out->identity == '\0')
		return 0;
	if (db_identity_state(c->db, c->ds.id, c->out->identity, &c->identity,
	    &cause) == -1) {
		abuse_tempfail(c, "identity", cause);
		return -1;
	}
	if (!c->identity.locked)
		return 0;
	reject = strcmp(abuse_setting(c, "lock.reply"), "reject") == 0;
	if (c->identity.lock_until != 0)
		limits_time_text(LIM_MONTH, (time_t)c->identity.lock_until,
		    until, sizeof until);
	else
		snprintf(until, sizeof until, "an administrator unlocks it");
	if (*c->identity.lock_reason != '\0')
		snprintf(why, sizeof why, " (%s)", c->identity.lock_reason);
	c->out->action = ABUSE_REFUSE;
	snprintf(c->out->reply, sizeof c->out->reply, "%s sender %.120s of "
	    "user %.120s is locked%.160s until %s", reject ? "550 5.7.1" :
	    "451 4.7.1", c->out->identity, c->ds.name, why, until);
	snprintf(c->out->reason, sizeof c->out->reason, "identity %s locked",
	    c->out->identity);
	return -1;
}

/*
 * Newly registered domains (block.new-domains).
 */

/* 0 when the message may go on, -1 when refused (out filled). */
static int
abuse_new_domain(struct abuse_ctx *c)
{
	struct nrd_verdict	 v;
	char			*cause = NULL;

	if (!abuse_setting_on(c, "block.new-domains"))
		return 0;
	if (nrd_check(c->db, c->conf, c->in->mail_from, c->in->header_from,
	    &v, &cause) == -1) {
		abuse_tempfail(c, "new-domain check", cause);
		return -1;
	}
	if (!v.blocked)
		return 0;
	c->out->action = ABUSE_REFUSE;
	snprintf(c->out->reply, sizeof c->out->reply, "550 5.7.1 %.480s",
	    v.reason);
	snprintf(c->out->reason, sizeof c->out->reason, "new-domain: %.480s",
	    v.reason);
	return -1;
}

/*
 * Content: documents with macros, dangerous attachments.
 */

/* An SMTP reply is ASCII: names from the message may not be. */
static void
abuse_ascii(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80 || (unsigned char)*s < 0x20)
			*s = '?';
}

/* 0 when the message may go on, -1 when refused (out filled). */
static int
abuse_content(struct abuse_ctx *c)
{
	struct content_opts	 o;
	struct content_verdict	 v;
	char			*cause = NULL;

	content_opts_default(&o);
	o.macros = abuse_setting_on(c, "block.macros");
	o.dangerous = abuse_setting_on(c, "block.dangerous");
	if (!o.macros && !o.dangerous)
		return 0;
	if (o.dangerous) {
		o.blob = content_hashes_blob;
		o.blob_arg = c->db;
	}
	if (content_scan(c->in->msg, c->in->len, &o, &v, &cause) == -1) {
		/* Not a message we can read: refused, never passed unread. */
		c->out->action = ABUSE_REFUSE;
		snprintf(c->out->reply, sizeof c->out->reply, "550 5.6.0 The "
		    "message could not be checked for attachments: %.300s",
		    cause != NULL ? cause : "unreadable");
		snprintf(c->out->reason, sizeof c->out->reason, "%s: "
		    "unreadable: %.300s", CONTENT_DANGEROUS, cause != NULL ?
		    cause : "");
		free(cause);
		return -1;
	}
	if (!v.blocked && o.dangerous && clamd_check(c->conf, c->in->queue_id,
	    c->in->msg, c->in->len, c->out->reply, sizeof c->out->reply,
	    c->out->reason, sizeof c->out->reason) == -1) {
		c->out->action = ABUSE_REFUSE;
		return -1;
	}
	if (!v.blocked)
		return 0;
	c->out->action = ABUSE_REFUSE;
	snprintf(c->out->reply, sizeof c->out->reply, "550 5.7.1 The message "
	    "was refused: %s (%s); send it without that attachment",
	    v.reason, v.class);
	abuse_ascii(c->out->reply);
	snprintf(c->out->reason, sizeof c->out->reason, "%s: %s", v.class,
	    v.reason);
	return -1;
}

/*
 * Spam.
 */

/* "builtin 0.99 >= 0.90: GTUBE" for the log and the refusal. */
static void
abuse_verdict_text(const struct spam_verdict *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s score %.2f, threshold %.2f%s%s", v->engine,
	    v->score, v->threshold, *v->reason != '\0' ? ": " : "",
	    v->reason);
}

/* 0 scanned (verdict in c), 1 passed unscanned, -1 refused. */
static int
abuse_scan(struct abuse_ctx *c)
{
	char	*cause = NULL;

	if (c->a->spam == NULL)
		return 1;
	if (spam_service_check(c->a->spam, c->in->msg, c->in->len,
	    &c->verdict, &cause) == 0)
		return 0;
	log_warnx("%s: spam check: %s", c->in->queue_id, cause != NULL ?
	    cause : "failed");
	if (spam_service_pass_unscanned(c->a->spam)) {
		snprintf(c->out->reason, sizeof c->out->reason, "not scanned: "
		    "%s", cause != NULL ? cause : "the spam engine failed");
		free(cause);
		return 1;
	}
	free(cause);
	c->out->action = ABUSE_REFUSE;
	snprintf(c->out->reply, sizeof c->out->reply, "451 4.7.1 The spam "
	    "check is unavailable right now; try again later");
	snprintf(c->out->reason, sizeof c->out->reason, "spam check "
	    "unavailable");
	return -1;
}

/*
 * Locks by rule.
 */

/* Where the notice of a lock goes: the identity, else the user's contact. */
static const char *
abuse_notice_to(struct abuse_ctx *c, int identity_lock)
{
	const char	*contact = abuse_setting(c, "contact");

	if (identity_lock && strchr(c->out->identity, '@') != NULL)
		return c->out->identity;
	if (*contact != '\0')
		return contact;
	return *c->ds.admin_contact != '\0' ? c->ds.admin_contact : NULL;
}

static void
abuse_notice(struct abuse_ctx *c, int identity_lock, int64_t spam_count,
    const struct db_lock_state *ls)
{
	struct notice_vars	 v;
	const char		*to = abuse_notice_to(c, identity_lock), *cc;
	char			*cause = NULL;
	int64_t			 max = abuse_setting_int(c,
				    "lock.max-auto-unlocks");

	if (to == NULL) {
		log_warnx("%s: no address to send the lock notice of %s to "
		    "(set the user's contact or the domain's admin contact)",
		    c->in->queue_id, c->ds.name);
		return;
	}
	cc = *c->ds.admin_contact != '\0' &&
	    strcasecmp(c->ds.admin_contact, to) != 0 ? c->ds.admin_contact :
	    NULL;
	memset(&v, 0, sizeof v);
	v.user = c->ds.name;
	v.identity = identity_lock ? c->out->identity : "";
	v.domain = c->ds.domain;
	v.reason = ls->lock_reason;
	v.admin_contact = c->ds.admin_contact;
	v.spam_count = (long)spam_count;
	v.window_minutes = (long)abuse_setting_int(c, "lock.window");
	v.auto_unlocks_left = (long)(ls->lock_until == 0 ? 0 :
	    max - ls->auto_unlocks);
	v.locked_at = time(NULL);
	v.unlock_at = (time_t)ls->lock_until;
	if (notice_build(c->db, c->conf, abuse_setting(c, "lock.template"),
	    &v, to, cc, &c->out->notice, &c->out->notice_len,
	    &cause) == -1) {
		log_warnx("%s: the lock notice of %s: %s", c->in->queue_id,
		    c->ds.name, cause);
		free(cause);
		return;
	}
	c->out->notice_from = strdup("");
	c->out->notice_to = strdup(to);
	c->out->notice_cc = cc != NULL ? strdup(cc) : NULL;
	if (c->out->notice_from == NULL || c->out->notice_to == NULL ||
	    (cc != NULL && c->out->notice_cc == NULL)) {
		free(c->out->notice);
		c->out->notice = NULL;
	}
}

/* Lock the user or its identity when the spam count says so. */
static void
abuse_lock_rule(struct abuse_ctx *c, int64_t user_n, int64_t identity_n)
{
	struct db_lock_state	 ls;
	int64_t			 threshold = abuse_setting_int(c,
				    "lock.threshold"), n;
	int			 by_identity, rc;
	char			*cause = NULL, reason[256];

	by_identity = abuse_setting_on(c, "lock.identities") &&
	    c->identity.id != 0;
	if (!by_identity && !abuse_setting_on(c, "lock.auto"))
		return;
	n = by_identity ? identity_n : user_n;
	if (n <= threshold)
		return;
	snprintf(reason, sizeof reason, "%lld spam messages within %lld "
	    "minutes", (long long)n,
	    (long long)abuse_setting_int(c, "lock.window"));
	rc = db_lock_auto(c->db, c->ds.id, by_identity ? c->identity.id : 0,
	    reason, abuse_setting_int(c, "lock.duration"),
	    abuse_setting_int(c, "lock.max-auto-unlocks"), &ls, &cause);
	if (rc == -1) {
		log_warnx("%s: locking %s: %s", c->in->queue_id, c->ds.name,
		    cause);
		free(cause);
		return;
	}
	if (rc == 1)
		return;
	/* The relay's memory of this user must not outlive the lock. */
	policy_changed(c->a->policy);
	events_lock(EVENT_LOCK, &(struct events_lock){ .user = c->ds.name,
	    .domain = c->ds.domain, .identity = by_identity ?
	    c->out->identity : NULL, .automatic = 1, .by = "lock.threshold",
	    .reason = reason, .minutes = ls.lock_until == 0 ? 0 :
	    (ls.lock_until - (int64_t)time(NULL) + 59) / 60 });
	if (by_identity)
		log_info("lock: identity %s of user %s locked by rule (%s)",
		    c->out->identity, c->ds.name, reason);
	else
		log_info("lock: user %s locked by rule (%s)", c->ds.name,
		    reason);
	abuse_notice(c, by_identity, n, &ls);
}

/*
 * Count the message (in the policy's log batches: a clean message writes
 * nothing here); a spam one may lock its sender.
 */
static void
abuse_count(struct abuse_ctx *c)
{
	int64_t	 user_n, identity_n;
	char	*cause = NULL;

	if (c->identity.id != 0)
		policy_identity_count(c->a->policy, c->identity.id,
		    c->out->spam);
	if (!c->out->spam)
		return;
	pthread_mutex_lock(&c->a->write_mtx);
	if (db_spam_hit(c->db, c->ds.id, c->identity.id,
	    abuse_setting_int(c, "lock.window") * 60, &user_n, &identity_n,
	    &cause) == -1) {
		pthread_mutex_unlock(&c->a->write_mtx);
		log_warnx("%s: counting for %s: %s", c->in->queue_id,
		    c->ds.name, cause);
		free(cause);
		return;
	}
	abuse_lock_rule(c, user_n, identity_n);
	pthread_mutex_unlock(&c->a->write_mtx);
}

/* What spam.reaction does with a spam message. */
/* The verdict's strongest clues, for the log: why it was flagged. */
static void
abuse_clues(const struct spam_verdict *v, char *buf, size_t len)
{
	char	one[96];
	size_t	i;

	*buf = '\0';
	for (i = 0; i < v->nwhy && i < 5; i++) {
		snprintf(one, sizeof one, "%s%.60s %.2f", i == 0 ? "; clues: " :
		    ", ", v->why[i].name, v->why[i].value);
		if (strlen(buf) + strlen(one) < len)
			strcat(buf, one);
	}
	abuse_ascii(buf);
}

static void
abuse_react(struct abuse_ctx *c)
{
	const char	*reaction = abuse_setting(c, "spam.reaction");
	char		 why[256], clues[300];

	abuse_verdict_text(&c->verdict, why, sizeof why);
	abuse_clues(&c->verdict, clues, sizeof clues);
	snprintf(c->out->reason, sizeof c->out->reason, "spam (%.200s%.290s)",
	    why, clues);
	if (strncmp(reaction, "quarantine", 10) == 0) {
		c->out->action = ABUSE_QUARANTINE;
		c->out->notify = strcmp(reaction, "quarantine-notify") == 0;
		return;
	}
	c->out->action = ABUSE_REFUSE;
	snprintf(c->out->reply, sizeof c->out->reply, "550 5.7.1 The message "
	    "was refused as spam (%s); if it is not, ask your provider, "
	    "quoting queue ID %s", why, c->in->queue_id);
}

static void
abuse_run(struct abuse_ctx *c)
{
	char	*cause = NULL;
	int	 rc;

	if ((rc = db_sender_get(c->db, c->in->sender->user, &c->ds,
	    &cause)) != 0) {
		if (rc == 1) {
			c->out->action = ABUSE_REFUSE;
			snprintf(c->out->reply, sizeof c->out->reply, "550 "
			    "5.7.1 user %s no longer exists",
			    c->in->sender->user);
			snprintf(c->out->reason, sizeof c->out->reason,
			    "user gone");
		} else
			abuse_tempfail(c, "user", cause);
		return;
	}
	/* Each refuses with out filled; a message passed unscanned goes on. */
	if (abuse_identify(c) == -1 || abuse_identity_locked(c) == -1 ||
	    abuse_new_domain(c) == -1 || abuse_content(c) == -1 ||
	    (rc = abuse_scan(c)) == -1) {
		db_sender_free(&c->ds);
		return;
	}
	c->out->spam = rc == 0 && c->verdict.spam;
	abuse_count(c);
	if (c->out->spam)
		abuse_react(c);
	c->out->archive = abuse_setting_on(c, "archive");
	snprintf(c->out->dkim_selector, sizeof c->out->dkim_selector, "%s",
	    abuse_setting(c, "dkim.selector"));
	snprintf(c->out->dkim_domain, sizeof c->out->dkim_domain, "%s",
	    c->ds.domain);
	db_sender_free(&c->ds);
}

void
abuse_check(struct abuse *a, const struct abuse_in *in, struct abuse_out *out)
{
	struct abuse_ctx	 c;
	char			*cause = NULL;

	memset(out, 0, sizeof *out);
	memset(&c, 0, sizeof c);
	c.a = a;
	c.in = in;
	c.out = out;
	if ((c.db = policy_db_acquire(a->policy, &cause)) == NULL) {
		abuse_tempfail(&c, "database", cause);
		return;
	}
	pthread_mutex_lock(&a->mtx);
	c.conf = conf_ref(a->conf);
	pthread_mutex_unlock(&a->mtx);
	abuse_run(&c);
	conf_unref(c.conf);
	policy_db_release(a->policy, c.db);
}

/* The notice telling the sender a message is held. */
static void
abuse_hold_notice(struct config *conf, const struct abuse_in *in,
    struct abuse_out *out)
{
	char	 subject[160], body[1024], *cause = NULL;

	if (*in->mail_from == '\0')
		return;
	snprintf(subject, sizeof subject, "Your message %s is held for "
	    "review", in->queue_id);
	snprintf(body, sizeof body, "Your message with queue ID %s was not "
	    "sent: it looks like spam, and your provider holds it for "
	    "review.\n\nIf it is a legitimate message, ask your provider to "
	    "release it, quoting the queue ID %s.  Until then, nothing "
	    "more happens to it; it is deleted after some days.\n",
	    in->queue_id, in->queue_id);
	if (notice_build_text(conf, subject, body, in->mail_from,
	    &out->notice, &out->notice_len, &cause) == -1) {
		log_warnx("%s: the notice of the held message: %s",
		    in->queue_id, cause);
		free(cause);
		return;
	}
	out->notice_from = strdup("");
	out->notice_to = strdup(in->mail_from);
	if (out->notice_from == NULL || out->notice_to == NULL) {
		free(out->notice);
		out->notice = NULL;
	}
}

int
abuse_hold(struct abuse *a, const struct abuse_in *in, int64_t log_id,
    const char *const *rcpts, size_t nrcpts, struct abuse_out *out)
{
	struct config	*conf;
	struct db	*db;
	char		*cause = NULL, *why = NULL;
	int		 rc, full;

	if ((db = policy_db_acquire(a->policy, &cause)) == NULL) {
		log_warnx("%s: quarantine: %s", in->queue_id, cause);
		free(cause);
		snprintf(out->reply, sizeof out->reply, "451 4.3.0 Cannot hold "
		    "the message now; try again later");
		return -1;
	}
	pthread_mutex_lock(&a->mtx);
	conf = conf_ref(a->conf);
	pthread_mutex_unlock(&a->mtx);
	rc = quarantine_store(db, conf, log_id, in->mail_from, rcpts, nrcpts,
	    in->msg, in->len, &cause);
	full = rc == -1 && spool_full(errno);
	if (rc == -1) {
		log_warnx("%s: quarantine: %s", in->queue_id, cause);
		snprintf(out->reply, sizeof out->reply, full ? "452 4.3.1 "
		    "Insufficient system storage; try again later" :
		    "451 4.3.0 Cannot hold the message now; try again later");
		if (db_log_set_status(db, log_id, "tempfail", out->reply, NULL,
		    &why) == -1) {
			log_warnx("%s: message log: %s", in->queue_id, why);
			free(why);
		}
	} else if (out->notify)
		abuse_hold_notice(conf, in, out);
	free(cause);
	conf_unref(conf);
	policy_db_release(a->policy, db);
	return rc;
}

void
abuse_archive(struct abuse *a, const char *queue_id, int64_t log_id,
    const char *msg, size_t len)
{
	struct config	*conf;
	struct db	*db;
	char		*cause = NULL;

	if ((db = policy_db_acquire(a->policy, &cause)) == NULL) {
		log_warnx("%s: not archived: %s", queue_id, cause);
		free(cause);
		return;
	}
	pthread_mutex_lock(&a->mtx);
	conf = conf_ref(a->conf);
	pthread_mutex_unlock(&a->mtx);
	if (archive_store(db, conf, log_id, msg, len, &cause) == -1) {
		log_warnx("%s: not archived: %s", queue_id, cause);
		free(cause);
	}
	conf_unref(conf);
	policy_db_release(a->policy, db);
}

/* The domain of a From: value ("Name <a@b.example>"), lower-cased. */
static int
abuse_from_domain(const char *from, char *buf, size_t len)
{
	const char	*lt = strrchr(from, '<'), *at, *p;
	size_t		 n = 0;

	if (lt != NULL)
		from = lt + 1;
	if ((at = strrchr(from, '@')) == NULL)
		return -1;
	for (p = at + 1; *p != '\0' && *p != '>' && *p != ' ' && n + 1 < len;
	    p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return -1;
		buf[n++] = (char)tolower((unsigned char)*p);
	}
	buf[n] = '\0';
	return n > 0 ? 0 : -1;
}

int
abuse_sign(struct abuse *a, const struct abuse_out *out,
    const char *header_from, const char *msg, size_t len, char **headers,
    size_t *hlen, char *why, size_t whylen)
{
	struct config	*conf;
	struct db	*db;
	char		 from[256], *cause = NULL;
	int		 rc = 1;

	*headers = NULL;
	if ((db = policy_db_acquire(a->policy, &cause)) == NULL) {
		snprintf(why, whylen, "%s", cause);
		free(cause);
		return -1;
	}
	pthread_mutex_lock(&a->mtx);
	conf = conf_ref(a->conf);
	pthread_mutex_unlock(&a->mtx);
	if (header_from != NULL &&
	    abuse_from_domain(header_from, from, sizeof from) == 0 &&
	    strcmp(from, out->dkim_domain) != 0) {
		rc = dkim_sign_message(db, conf, from, out->dkim_selector, msg,
		    len, headers, hlen, &cause);
		if (rc == 1) {
			free(cause);
			cause = NULL;
		}
	}
	if (rc == 1)
		rc = dkim_sign_message(db, conf, out->dkim_domain,
		    out->dkim_selector, msg, len, headers, hlen, &cause);
	if (cause != NULL)
		snprintf(why, whylen, "%s", cause);
	free(cause);
	conf_unref(conf);
	policy_db_release(a->policy, db);
	return rc;
}

void
abuse_out_free(struct abuse_out *out)
{
	free(out->notice);
	free(out->notice_from);
	free(out->notice_to);
	free(out->notice_cc);
	out->notice = out->notice_from = out->notice_to = out->notice_cc =
	    NULL;
}

/*
 * The sweeper: locks whose time ran out are lifted for good.
 */

static void
abuse_expired(void *arg, const char *user, const char *identity)
{
	(void)arg;
	if (identity != NULL)
		log_info("lock: identity %s of user %s unlocked: its lock "
		    "duration ran out", identity, user);
	else
		log_info("lock: user %s unlocked: its lock duration ran out",
		    user);
	events_lock(EVENT_UNLOCK, &(struct events_lock){ .user = user,
	    .identity = identity, .automatic = 1, .by = "lock.duration",
	    .reason = "its lock duration ran out" });
}

static void
abuse_sweep(struct abuse *a, struct db *db)
{
	char	*cause = NULL;
	int64_t	 n;

	pthread_mutex_lock(&a->write_mtx);
	if (db_lock_expire(db, abuse_expired, a, &n, &cause) == -1 ||
	    db_spam_hits_purge(db, (int64_t)time(NULL) - ABUSE_HITS_KEEP,
	    &cause) == -1) {
		log_warnx("lifting run-out locks: %s", cause);
		free(cause);
	} else if (n > 0)
		policy_changed(a->policy);
	pthread_mutex_unlock(&a->write_mtx);
}

/* The archive's retention, from the same thread. */
static void
abuse_archive_purge(struct abuse *a, struct db *db)
{
	struct config	*conf;
	char		*cause = NULL;
	int64_t		 n;

	pthread_mutex_lock(&a->mtx);
	conf = conf_ref(a->conf);
	pthread_mutex_unlock(&a->mtx);
	if (archive_purge(db, conf, &n, &cause) == -1) {
		log_warnx("purging the archive: %s", cause);
		free(cause);
	} else if (n > 0)
		log_info("archive: %lld messages past their retention removed",
		    (long long)n);
	conf_unref(conf);
}

static void *
abuse_sweeper(void *arg)
{
	struct abuse	*a = arg;
	struct timespec	 ts;
	struct db	*db;
	char		*cause = NULL;
	time_t		 purged = time(NULL);

	pthread_mutex_lock(&a->mtx);
	while (!a->stopping) {
		pthread_mutex_unlock(&a->mtx);
		if ((db = policy_db_acquire(a->policy, &cause)) == NULL) {
			log_warnx("lifting run-out locks: %s", cause);
			free(cause);
			cause = NULL;
		} else {
			abuse_sweep(a, db);
			if (time(NULL) - purged >= ABUSE_ARCHIVE_PURGE_SECS) {
				purged = time(NULL);
				abuse_archive_purge(a, db);
			}
			policy_db_release(a->policy, db);
		}
		pthread_mutex_lock(&a->mtx);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ABUSE_SWEEP_SECS;
		if (!a->stopping)
			pthread_cond_timedwait(&a->cv, &a->mtx, &ts);
	}
	pthread_mutex_unlock(&a->mtx);
	return NULL;
}

struct abuse *
abuse_open(struct config *conf, struct policy *policy,
    struct spam_service *spam, char **cause)
{
	struct abuse	*a;

	if ((a = calloc(1, sizeof *a)) == NULL) {
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&a->mtx, NULL);
	pthread_mutex_init(&a->write_mtx, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->conf = conf_ref(conf);
	a->policy = policy;
	a->spam = spam;
	if (pthread_create(&a->sweeper, NULL, abuse_sweeper, a) != 0) {
		ipc_cause(cause, "cannot start the lock sweeper thread");
		abuse_close(a);
		return NULL;
	}
	a->started = 1;
	return a;
}

void
abuse_reload(struct abuse *a, struct config *conf)
{
	struct config	*old;

	pthread_mutex_lock(&a->mtx);
	old = a->conf;
	a->conf = conf_ref(conf);
	pthread_mutex_unlock(&a->mtx);
	conf_unref(old);
}

void
abuse_close(struct abuse *a)
{
	if (a == NULL)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->mtx);
		a->stopping = 1;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mtx);
		pthread_join(a->sweeper, NULL);
	}
	if (a->conf != NULL)
		conf_unref(a->conf);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->write_mtx);
	pthread_mutex_destroy(&a->mtx);
	free(a);
}
