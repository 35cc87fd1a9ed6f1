/* status: what the daemon is and holds, cheap enough to poll. */
#include <time.h>

#include "cmd.h"
#include "db.h"
#include "spam.h"

int
cmd_status(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	json_t	*o, *counts;
	char	*cause = NULL;

	if (db_status(ctx->db, &counts, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	o = json_object();
	if (ctx->info != NULL) {
		json_object_set_new(o, "pid", json_integer(ctx->info->pid));
		json_object_set_new(o, "uptime", json_integer(
		    (json_int_t)(time(NULL) - ctx->info->started)));
	}
	json_object_update(o, counts);
	json_decref(counts);
	if (ctx->info != NULL && ctx->info->spam != NULL)
		spam_service_status(ctx->info->spam, o);
	*result = o;
	return 0;
}
