/*
 * archive.*: the archived copies of relayed messages.  search takes the
 * log search's filters; a domain admin finds only messages of its domains
 * (the user's or the attributed sending domain), another domain's id is
 * not found, as one that never existed.  export hands out the original
 * bytes, base64, in parts of at most ARCHIVE_EXPORT_PART bytes from
 * "offset": outfilterctl asks for the next part until it has "size".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mailarchive.h"
#include "cmd.h"
#include "db.h"
#include "log.h"

#define ARCHIVE_EXPORT_PART	(2 * 1024 * 1024)

int
cmd_archive_search(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	struct db_logq	 q;
	const char	*after;
	char		*cause = NULL;
	int		 limit;

	if (cmd_page(args, &limit, &after, err) == -1)
		return -1;
	memset(&q, 0, sizeof q);
	q.domain = cmd_arg_str(args, "domain");
	q.user = cmd_arg_str(args, "user");
	q.sender = cmd_arg_str(args, "sender");
	q.recipient = cmd_arg_str(args, "recipient");
	q.queue_id = cmd_arg_str(args, "queue_id");
	q.since = cmd_arg_str(args, "since");
	q.until = cmd_arg_str(args, "until");
	if (db_archive_search(ctx->db, cmd_scope(ctx), &q, after, limit,
	    result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

/* {id, size, offset, length, data}: one part, base64. */
static json_t *
cmd_archive_part(int64_t id, uint64_t size, uint64_t offset,
    const char *buf, size_t len)
{
	size_t	 blen = sodium_base64_encoded_len(len,
		    sodium_base64_VARIANT_ORIGINAL);
	char	*b64;
	json_t	*part;

	if ((b64 = malloc(blen)) == NULL)
		return NULL;
	sodium_bin2base64(b64, blen, (const unsigned char *)buf, len,
	    sodium_base64_VARIANT_ORIGINAL);
	part = json_pack("{s:I,s:I,s:I,s:I,s:s}", "id", (json_int_t)id, "size",
	    (json_int_t)size, "offset", (json_int_t)offset, "length",
	    (json_int_t)len, "data", b64);
	free(b64);
	return part;
}

int
cmd_archive_export(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	json_t		*row;
	const char	*path;
	char		*cause = NULL, *buf;
	int64_t		 id = cmd_arg_int(args, "id", 0);
	uint64_t	 offset = (uint64_t)cmd_arg_int(args, "offset", 0);
	uint64_t	 total;
	size_t		 len;

	if (db_archive_get(ctx->db, cmd_scope(ctx), id, &row, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	path = json_string_value(json_object_get(row, "path"));
	if (path == NULL || archive_read_file(ctx->info->config, path,
	    json_integer_value(json_object_get(row, "log_id")), offset,
	    ARCHIVE_EXPORT_PART, &buf, &len, &total, &cause) == -1) {
		json_decref(row);
		ipc_fail(err, IPC_E_INTERNAL, "id", "archived message %lld "
		    "cannot be read: %s", (long long)id, cause != NULL ? cause :
		    "it has no file");
		log_warnx("archive: %s", err->message);
		free(cause);
		return -1;
	}
	json_decref(row);
	if (offset > total) {
		free(buf);
		return ipc_fail(err, IPC_E_INVALID, "offset", "the message "
		    "has %llu bytes: there is nothing from byte %llu on",
		    (unsigned long long)total, (unsigned long long)offset);
	}
	*result = cmd_archive_part(id, total, offset, buf, len);
	free(buf);
	if (*result == NULL)
		return ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	return 0;
}
