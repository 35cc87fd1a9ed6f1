/*
 * log.search: the message log, newest first.  A domain admin's search is
 * narrowed to rows of its domains; asking for another domain finds
 * nothing, as for a domain that never sent mail.
 */
#include "cmd.h"
#include "db.h"

int
cmd_log_search(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	struct db_logq	 q;
	const char	*after;
	char		*cause = NULL;
	int		 limit;

	if (cmd_page(args, &limit, &after, err) == -1)
		return -1;
	q.domain = cmd_arg_str(args, "domain");
	q.user = cmd_arg_str(args, "user");
	q.sender = cmd_arg_str(args, "sender");
	q.recipient = cmd_arg_str(args, "recipient");
	q.status = cmd_arg_str(args, "status");
	q.queue_id = cmd_arg_str(args, "queue_id");
	q.since = cmd_arg_str(args, "since");
	q.until = cmd_arg_str(args, "until");
	if (db_log_search(ctx->db, cmd_scope(ctx), &q, after, limit, result,
	    &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}
