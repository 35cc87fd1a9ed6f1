/* domain.*: a domain's outgoing filter starts off; a super-admin turns it on. */
#include <stdlib.h>

#include "cmd.h"
#include "db.h"

/* Show the domain as the reply, after a change or on request. */
static int
cmd_domain_reply(struct cmd_ctx *ctx, const char *domain, json_t **result,
    struct ipc_error *err)
{
	char	*cause = NULL;

	if (db_domain_show(ctx->db, domain, result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

/* Run fn on a domain the actor may see, then show it. */
static int
cmd_domain_change(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err, int (*fn)(struct cmd_ctx *, const char *,
    json_t *, char **))
{
	char	*dom, *cause = NULL;
	int	 rc;

	if ((dom = cmd_domain_visible(ctx, cmd_arg_str(args, "domain"),
	    "domain", err)) == NULL)
		return -1;
	if ((rc = fn(ctx, dom, args, &cause)) == -1)
		cmd_db_fail(ctx, cause, err);
	else if (result != NULL)
		rc = cmd_domain_reply(ctx, dom, result, err);
	free(dom);
	return rc;
}

static int
cmd_domain_do_enable(struct cmd_ctx *ctx, const char *d, json_t *a, char **c)
{
	return db_domain_set_active(ctx->db, d, 1, c);
}

static int
cmd_domain_do_disable(struct cmd_ctx *ctx, const char *d, json_t *a, char **c)
{
	return db_domain_set_active(ctx->db, d, 0, c);
}

static int
cmd_domain_do_set(struct cmd_ctx *ctx, const char *d, json_t *a, char **c)
{
	return db_domain_set_contact(ctx->db, d, cmd_arg_str(a,
	    "admin_contact"), c);
}

static int
cmd_domain_do_del(struct cmd_ctx *ctx, const char *d, json_t *a, char **c)
{
	return db_domain_del(ctx->db, d, c);
}

static int
cmd_domain_do_show(struct cmd_ctx *ctx, const char *d, json_t *a, char **c)
{
	return 0;
}

int
cmd_domain_add(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "domain");
	char		*cause = NULL, *dom;
	int		 rc;

	if (db_domain_add(ctx->db, name, cmd_arg_str(args, "admin_contact"),
	    &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	if ((dom = db_domain_normalize(name, &cause)) == NULL)
		return cmd_db_fail(ctx, cause, err);
	rc = cmd_domain_reply(ctx, dom, result, err);
	free(dom);
	return rc;
}

int
cmd_domain_list(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*after;
	char		*cause = NULL;
	int		 limit;

	if (cmd_page(args, &limit, &after, err) == -1)
		return -1;
	if (db_domain_list(ctx->db, cmd_scope(ctx), cmd_arg_bool(args,
	    "active"), after, limit, result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

int
cmd_domain_show(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_domain_change(ctx, args, result, err, cmd_domain_do_show);
}

int
cmd_domain_set(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_domain_change(ctx, args, result, err, cmd_domain_do_set);
}

int
cmd_domain_del(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	if (cmd_domain_change(ctx, args, NULL, err, cmd_domain_do_del) == -1)
		return -1;
	*result = json_pack("{s:s,s:b}", "domain", cmd_arg_str(args, "domain"),
	    "deleted", 1);
	return 0;
}

int
cmd_domain_enable(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_domain_change(ctx, args, result, err, cmd_domain_do_enable);
}

int
cmd_domain_disable(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_domain_change(ctx, args, result, err,
	    cmd_domain_do_disable);
}
