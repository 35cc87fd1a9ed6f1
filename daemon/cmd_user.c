/*
 * user.*: outgoing users of the three kinds.  Every handler first makes
 * sure the actor may see the user or domain at all; another domain's user
 * is "not found", exactly as a user that does not exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cmd.h"
#include "db.h"
#include "events.h"
#include "limit.h"
#include "passwd.h"

static int
cmd_user_reply(struct cmd_ctx *ctx, const char *name, json_t **result,
    struct ipc_error *err)
{
	char	*cause = NULL;

	if (db_user_show(ctx->db, name, result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

int
cmd_user_add_ip(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	char		*dom, *cause = NULL;
	int		 rc;

	if ((dom = cmd_domain_visible(ctx, cmd_arg_str(args, "domain"),
	    "domain", err)) == NULL)
		return -1;
	rc = db_user_add_ip(ctx->db, name, dom, json_object_get(args, "ip"),
	    &cause);
	free(dom);
	if (rc == -1)
		return cmd_db_fail(ctx, cause, err);
	return cmd_user_reply(ctx, name, result, err);
}

/* The login as stored, to show the new user (its domain part lower-cased). */
static int
cmd_user_reply_login(struct cmd_ctx *ctx, const char *name, json_t **result,
    struct ipc_error *err)
{
	char	*login, *cause = NULL;
	int	 rc;

	if ((login = db_email_normalize(name, NULL, &cause)) == NULL)
		return cmd_db_fail(ctx, cause, err);
	rc = cmd_user_reply(ctx, login, result, err);
	free(login);
	return rc;
}

int
cmd_user_add_smtp(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	char		 hash[PASSWD_HASH_MAX], *dom, *cause = NULL;
	int		 rc = -1;

	if ((dom = cmd_domain_visible(ctx, cmd_arg_str(args, "domain"),
	    "domain", err)) == NULL)
		return -1;
	if (cmd_passwd_hash(cmd_arg_str(args, "password"), hash, err) == 0) {
		if ((rc = db_user_add_smtp(ctx->db, name, dom, hash,
		    &cause)) == -1)
			cmd_db_fail(ctx, cause, err);
		sodium_memzero(hash, sizeof hash);
	}
	free(dom);
	if (rc == -1)
		return -1;
	return cmd_user_reply_login(ctx, name, result, err);
}

int
cmd_user_add_domain(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	char	 hash[PASSWD_HASH_MAX], *dom, *cause = NULL;
	int	 rc = -1;

	if ((dom = cmd_domain_visible(ctx, cmd_arg_str(args, "name"), "name",
	    err)) == NULL)
		return -1;
	if (cmd_passwd_hash(cmd_arg_str(args, "password"), hash, err) == 0) {
		if ((rc = db_user_add_domain(ctx->db, dom, hash, &cause)) == -1)
			cmd_db_fail(ctx, cause, err);
		sodium_memzero(hash, sizeof hash);
	}
	if (rc == 0)
		rc = cmd_user_reply(ctx, dom, result, err);
	free(dom);
	return rc;
}

/* "count/limit" of one window, "-" for no limit. */
static json_t *
cmd_user_against(int64_t count, int64_t limit)
{
	char	buf[64];

	if (limit > 0)
		snprintf(buf, sizeof buf, "%lld/%lld", (long long)count,
		    (long long)limit);
	else
		snprintf(buf, sizeof buf, "%lld/-", (long long)count);
	return json_string(buf);
}

/* A list row gets today's connections and recipients against its limits. */
static int
cmd_user_today(struct cmd_ctx *ctx, json_t *item, char **cause)
{
	const char		*name = json_string_value(json_object_get(item,
				    "name"));
	struct limits_status	 st;
	struct db_sender	 ds;
	json_t			*v;
	int64_t			 lim[2] = { 0, 0 };

	int			 rc;

	if (name == NULL ||
	    (rc = db_sender_get(ctx->db, name, &ds, cause)) == 1)
		return 0;
	if (rc == -1)
		return -1;
	if ((v = json_object_get(ds.settings, "limit.day")) != NULL)
		lim[0] = strtoll(json_string_value(v), NULL, 10);
	if ((v = json_object_get(ds.settings, "recipients.day")) != NULL)
		lim[1] = strtoll(json_string_value(v), NULL, 10);
	db_sender_free(&ds);
	if (limits_shared_status(ctx->db, name, time(NULL), &st, cause) == -1)
		return -1;
	json_object_set_new(item, "connections_today",
	    cmd_user_against(st.count[LIM_DAY], lim[0]));
	json_object_set_new(item, "recipients_today",
	    cmd_user_against(st.count[LIM_RCPT_DAY], lim[1]));
	return 0;
}

int
cmd_user_list(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*after, *domain = cmd_arg_str(args, "domain");
	char		*dom = NULL, *cause = NULL;
	json_t		*item;
	size_t		 i;
	int		 limit, rc;

	if (cmd_page(args, &limit, &after, err) == -1)
		return -1;
	if (domain != NULL && (dom = cmd_domain_visible(ctx, domain,
	    "domain", err)) == NULL)
		return -1;
	rc = db_user_list(ctx->db, cmd_scope(ctx), dom, cmd_arg_str(args,
	    "kind"), cmd_arg_bool(args, "locked"), cmd_arg_str(args, "search"),
	    after, limit, result, &cause);
	free(dom);
	if (rc == -1)
		return cmd_db_fail(ctx, cause, err);
	json_array_foreach(json_object_get(*result, "items"), i, item) {
		if (cmd_user_today(ctx, item, &cause) == -1) {
			json_decref(*result);
			*result = NULL;
			return cmd_db_fail(ctx, cause, err);
		}
	}
	return 0;
}

/* When a window resets, as the database shows times. */
static json_t *
cmd_user_time(time_t t)
{
	struct tm	tm;
	char		buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

/* Each window's count, limit and reset time, after the settings. */
static int
cmd_user_counters(struct cmd_ctx *ctx, const char *name, json_t *u,
    char **cause)
{
	struct limits_status	 st;
	json_t			*set = json_object_get(u, "settings"), *all, *c;
	char			 key[64];
	int			 w;

	if (limits_shared_status(ctx->db, name, time(NULL), &st, cause) == -1)
		return -1;
	all = json_object();
	for (w = 0; w < LIM_NWINDOWS; w++) {
		snprintf(key, sizeof key, "%s%s", w < LIM_NCONN ? "limit." : "",
		    limits_window_name(w));
		c = json_pack("{s:I,s:I,s:o}", "count", (json_int_t)st.count[w],
		    "limit", json_integer_value(json_object_get(set, key)),
		    "resets", cmd_user_time(st.end[w]));
		if (w == LIM_RCPT_DAY)
			json_object_set_new(c, "pending", json_integer(
			    st.pending));
		json_object_set_new(all, limits_window_name(w), c);
	}
	json_object_set_new(u, "counters", all);
	return 0;
}

int
cmd_user_show(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	char		*cause = NULL;

	if ((*result = cmd_user_visible(ctx, name, "name", err)) == NULL)
		return -1;
	if (cmd_user_counters(ctx, name, *result, &cause) == -1) {
		json_decref(*result);
		*result = NULL;
		return cmd_db_fail(ctx, cause, err);
	}
	return 0;
}

/*
 * With if_version, a change applies only to the version of user u the
 * admin read (user show's "version"): a change made meanwhile by someone
 * else is a conflict, never silently overwritten.  A write command runs
 * in one transaction, so nothing comes between this check and the change.
 */
static int
cmd_user_version(json_t *u, json_t *args, struct ipc_error *err)
{
	json_t		*want = json_object_get(args, "if_version");
	json_int_t	 now = json_integer_value(json_object_get(u, "version"));

	if (want == NULL || json_integer_value(want) == now)
		return 0;
	return ipc_fail(err, IPC_E_CONFLICT, "if_version", "user %s was "
	    "changed since version %lld was read: it is at version %lld now; "
	    "nothing was changed, read it again",
	    json_string_value(json_object_get(u, "name")),
	    (long long)json_integer_value(want), (long long)now);
}

/* Run fn on a user the actor may see; reply with the user as it is now. */
static int
cmd_user_change(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err, int (*fn)(struct cmd_ctx *, const char *,
    json_t *, char **))
{
	const char	*name = cmd_arg_str(args, "name");
	json_t		*u;
	char		*cause = NULL;

	if ((u = cmd_user_visible(ctx, name, "name", err)) == NULL)
		return -1;
	if (cmd_user_version(u, args, err) == -1) {
		json_decref(u);
		return -1;
	}
	json_decref(u);
	if (fn(ctx, name, args, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return cmd_user_reply(ctx, name, result, err);
}

static int
cmd_user_do_lock(struct cmd_ctx *ctx, const char *name, json_t *args,
    char **cause)
{
	return db_user_lock(ctx->db, name, cmd_arg_str(args, "reason"),
	    cmd_arg_int(args, "duration", 0), ctx->actor->name, cause);
}

static int
cmd_user_do_unlock(struct cmd_ctx *ctx, const char *name, json_t *args,
    char **cause)
{
	return db_user_unlock(ctx->db, name, ctx->actor->name, cause);
}

static int
cmd_user_do_set(struct cmd_ctx *ctx, const char *name, json_t *args,
    char **cause)
{
	return db_user_set(ctx->db, name, json_object_get(args, "settings"),
	    cause);
}

static int
cmd_user_do_ip_add(struct cmd_ctx *ctx, const char *name, json_t *args,
    char **cause)
{
	return db_user_ip_add(ctx->db, name, cmd_arg_str(args, "ip"), cause);
}

static int
cmd_user_do_ip_del(struct cmd_ctx *ctx, const char *name, json_t *args,
    char **cause)
{
	return db_user_ip_del(ctx->db, name, cmd_arg_str(args, "ip"), cause);
}

int
cmd_user_lock(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	if (cmd_user_change(ctx, args, result, err, cmd_user_do_lock) == -1)
		return -1;
	cmd_event_lock(ctx, EVENT_LOCK, *result, NULL, args);
	return 0;
}

int
cmd_user_unlock(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	if (cmd_user_change(ctx, args, result, err, cmd_user_do_unlock) == -1)
		return -1;
	cmd_event_lock(ctx, EVENT_UNLOCK, *result, NULL, args);
	return 0;
}

int
cmd_user_set(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_user_change(ctx, args, result, err, cmd_user_do_set);
}

int
cmd_user_ip_add(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_user_change(ctx, args, result, err, cmd_user_do_ip_add);
}

int
cmd_user_ip_del(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_user_change(ctx, args, result, err, cmd_user_do_ip_del);
}

int
cmd_user_del(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	json_t		*u;
	char		*cause = NULL;

	if ((u = cmd_user_visible(ctx, name, "name", err)) == NULL)
		return -1;
	if (cmd_user_version(u, args, err) == -1) {
		json_decref(u);
		return -1;
	}
	json_decref(u);
	if (db_user_del(ctx->db, name, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	*result = json_pack("{s:s,s:b}", "name", name, "deleted", 1);
	return 0;
}

/* IP users are refused before the password is hashed (which is slow). */
int
cmd_user_passwd(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	json_t		*u;
	char		 hash[PASSWD_HASH_MAX], *cause = NULL;
	int		 ip, rc;

	if ((u = cmd_user_visible(ctx, name, "name", err)) == NULL)
		return -1;
	if (cmd_user_version(u, args, err) == -1) {
		json_decref(u);
		return -1;
	}
	ip = strcmp(json_string_value(json_object_get(u, "kind")), "ip") == 0;
	json_decref(u);
	if (ip)
		return ipc_fail(err, IPC_E_INVALID, "name", "%s is an IP user: "
		    "IP users have no password, their address identifies them",
		    name);
	if (cmd_passwd_hash(cmd_arg_str(args, "password"), hash, err) == -1)
		return -1;
	rc = db_user_passwd(ctx->db, name, hash, &cause);
	sodium_memzero(hash, sizeof hash);
	if (rc == -1)
		return cmd_db_fail(ctx, cause, err);
	*result = json_pack("{s:s,s:b}", "name", name, "password_changed", 1);
	return 0;
}

/*
 * The counters belong to the relay, which writes them back in batches:
 * it is told, and writes the zeros with its next batch; without a relay
 * in the process the stored counters go at once.
 */
/* lock.max-auto-unlocks counts again from zero. */
int
cmd_user_reset_unlocks(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	json_t		*u;
	char		*cause = NULL;

	if ((u = cmd_user_visible(ctx, name, "name", err)) == NULL)
		return -1;
	json_decref(u);
	if (db_user_reset_unlocks(ctx->db, name, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return cmd_user_show(ctx, args, result, err);
}

int
cmd_user_reset_counters(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	json_t		*u;
	char		*cause = NULL;

	if ((u = cmd_user_visible(ctx, name, "name", err)) == NULL)
		return -1;
	json_decref(u);
	if (limits_shared_reset(ctx->db, name, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return cmd_user_show(ctx, args, result, err);
}
