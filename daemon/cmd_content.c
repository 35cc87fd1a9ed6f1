/*
 * content.*: the list of known tools by SHA-256 that the content scanner
 * checks each file of a message against (users with block.dangerous).
 * import-hashes takes lines (outfilterctl sends a large file in parts,
 * each its own short transaction); hashes counts them per category.
 */
#include <stdlib.h>

#include "cmd.h"
#include "content_hashes.h"
#include "db.h"

int
cmd_content_import_hashes(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*text = cmd_arg_str(args, "text");
	char		*cause = NULL;

	if (content_hashes_import(ctx->db, text != NULL ? text : "",
	    cmd_arg_int(args, "first_line", 1), result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

int
cmd_content_hashes(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	char	*cause = NULL;

	(void)args;
	if (content_hashes_count(ctx->db, result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}
