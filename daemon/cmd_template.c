/*
 * template.*: lock-notification templates.  They are shared by all
 * domains: any admin reads them, only a super-admin changes them.
 */
#include "cmd.h"
#include "db.h"

static int
cmd_template_reply(struct cmd_ctx *ctx, const char *name, json_t **result,
    struct ipc_error *err)
{
	char	*cause = NULL;

	if (db_template_show(ctx->db, name, result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

int
cmd_template_list(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*after;
	char		*cause = NULL;
	int		 limit;

	if (cmd_page(args, &limit, &after, err) == -1)
		return -1;
	if (db_template_list(ctx->db, after, limit, result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

int
cmd_template_add(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	char		*cause = NULL;

	if (db_template_add(ctx->db, name, cmd_arg_str(args, "subject"),
	    cmd_arg_str(args, "body"), &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return cmd_template_reply(ctx, name, result, err);
}

int
cmd_template_show(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	return cmd_template_reply(ctx, cmd_arg_str(args, "name"), result, err);
}

int
cmd_template_set(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	char		*cause = NULL;

	if (db_template_set(ctx->db, name, cmd_arg_str(args, "subject"),
	    cmd_arg_str(args, "body"), &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return cmd_template_reply(ctx, name, result, err);
}

int
cmd_template_del(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	char		*cause = NULL;

	if (db_template_del(ctx->db, name, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	*result = json_pack("{s:s,s:b}", "name", name, "deleted", 1);
	return 0;
}
