/* identity.*: the senders seen inside a user, each with its own lock. */
#include <stdlib.h>

#include "cmd.h"
#include "db.h"
#include "events.h"

int
cmd_identity_list(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*after, *user = cmd_arg_str(args, "user");
	const char	*domain = cmd_arg_str(args, "domain");
	char		*dom = NULL, *cause = NULL;
	json_t		*u;
	int		 limit, rc;

	if (cmd_page(args, &limit, &after, err) == -1)
		return -1;
	/* Filters name a user and a domain: another domain's are not found. */
	if (user != NULL) {
		if ((u = cmd_user_visible(ctx, user, "user", err)) == NULL)
			return -1;
		json_decref(u);
	}
	if (domain != NULL && (dom = cmd_domain_visible(ctx, domain,
	    "domain", err)) == NULL)
		return -1;
	rc = db_identity_list(ctx->db, cmd_scope(ctx), user, dom,
	    cmd_arg_bool(args, "locked"), after, limit, result, &cause);
	free(dom);
	if (rc == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

typedef int cmd_identity_fn(struct cmd_ctx *, const char *, const char *,
    json_t *, char **);

/*
 * Run fn on an identity of a user the actor may see; event (or NULL) is
 * the type of the event to publish once saved.
 */
static int
cmd_identity_change(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err, cmd_identity_fn *fn, const char *done,
    const char *event)
{
	const char	*user = cmd_arg_str(args, "user");
	const char	*identity = cmd_arg_str(args, "identity");
	json_t		*u;
	char		*cause = NULL;

	if ((u = cmd_user_visible(ctx, user, "user", err)) == NULL)
		return -1;
	if (fn(ctx, user, identity, args, &cause) == -1) {
		json_decref(u);
		return cmd_db_fail(ctx, cause, err);
	}
	if (event != NULL)
		cmd_event_lock(ctx, event, u, identity, args);
	json_decref(u);
	*result = json_pack("{s:s,s:s,s:b}", "user", user, "identity",
	    identity, done, 1);
	return 0;
}

static int
cmd_identity_do_lock(struct cmd_ctx *ctx, const char *user,
    const char *identity, json_t *args, char **cause)
{
	return db_identity_lock(ctx->db, user, identity, cmd_arg_str(args,
	    "reason"), cmd_arg_int(args, "duration", 0), ctx->actor->name,
	    cause);
}

static int
cmd_identity_do_unlock(struct cmd_ctx *ctx, const char *user,
    const char *identity, json_t *args, char **cause)
{
	return db_identity_unlock(ctx->db, user, identity, ctx->actor->name,
	    cause);
}

static int
cmd_identity_do_reset(struct cmd_ctx *ctx, const char *user,
    const char *identity, json_t *args, char **cause)
{
	return db_identity_reset(ctx->db, user, identity, cause);
}

int
cmd_identity_lock(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_identity_change(ctx, args, result, err,
	    cmd_identity_do_lock, "locked", EVENT_LOCK);
}

int
cmd_identity_unlock(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_identity_change(ctx, args, result, err,
	    cmd_identity_do_unlock, "unlocked", EVENT_UNLOCK);
}

int
cmd_identity_reset(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_identity_change(ctx, args, result, err,
	    cmd_identity_do_reset, "reset", NULL);
}
