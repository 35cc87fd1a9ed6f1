/*
 * template.*: lock-notification templates.  They are shared by all
 * domains: any admin reads them, only a super-admin changes them.  Their
 * placeholders are checked against notice.c's before they are stored.
 */
#include <stdlib.h>

#include "cmd.h"
#include "db.h"
#include "notice.h"

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

/* The template's texts hold only known placeholders; -1 with err. */
static int
cmd_template_check(const struct db_template *t, struct ipc_error *err)
{
	const struct {
		const char	*field;
		const char	*text;
	} texts[] = {
		{ "subject", t->subject }, { "body", t->body }, { "html", t->html }
	};
	char	*cause = NULL;
	size_t	 i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		if (notice_check(texts[i].text, texts[i].field, &cause) == -1) {
			ipc_fail(err, IPC_E_INVALID, texts[i].field, "%s",
			    cause != NULL ? cause : "out of memory");
			free(cause);
			return -1;
		}
	}
	return 0;
}

static void
cmd_template_args(json_t *args, struct db_template *t)
{
	t->name = cmd_arg_str(args, "name");
	t->language = cmd_arg_str(args, "language");
	t->subject = cmd_arg_str(args, "subject");
	t->body = cmd_arg_str(args, "body");
	t->html = cmd_arg_str(args, "html");
}

int
cmd_template_add(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	struct db_template	 t;
	char			*cause = NULL;

	cmd_template_args(args, &t);
	if (cmd_template_check(&t, err) == -1)
		return -1;
	if (db_template_add(ctx->db, &t, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return cmd_template_reply(ctx, t.name, result, err);
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
	struct db_template	 t;
	char			*cause = NULL;

	cmd_template_args(args, &t);
	if (cmd_template_check(&t, err) == -1)
		return -1;
	if (db_template_set(ctx->db, &t, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return cmd_template_reply(ctx, t.name, result, err);
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
