/*
 * quarantine.*: messages held instead of relayed.  A domain admin sees,
 * releases and deletes only those of its domains; another domain's
 * message is not found, as an id that never existed.
 *
 * quarantine.release waits on the next hop, so it runs outside the
 * dispatcher's transaction (CMDF_OWNTXN) and records the release in a
 * short one of its own once the next hop took the message; the spam
 * engine then learns the message as ham.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "log.h"
#include "quarantine.h"
#include "spam.h"

int
cmd_quarantine_list(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	struct db_quarantineq	 q;
	const char		*after;
	char			*cause = NULL;
	int			 limit;

	if (cmd_page(args, &limit, &after, err) == -1)
		return -1;
	memset(&q, 0, sizeof q);
	q.domain = cmd_arg_str(args, "domain");
	q.user = cmd_arg_str(args, "user");
	q.since = cmd_arg_str(args, "since");
	q.until = cmd_arg_str(args, "until");
	q.all = cmd_arg_bool(args, "all");
	if (db_quarantine_list(ctx->db, cmd_scope(ctx), &q, after, limit,
	    result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

/* The message the actor may see, with its file's path; NULL with err. */
static json_t *
cmd_quarantine_get(struct cmd_ctx *ctx, json_t *args, struct ipc_error *err)
{
	json_t	*row = NULL;
	char	*cause = NULL;

	if (db_quarantine_get(ctx->db, cmd_scope(ctx), cmd_arg_int(args, "id",
	    0), &row, &cause) == -1) {
		cmd_db_fail(ctx, cause, err);
		return NULL;
	}
	return row;
}

static const char *
cmd_quarantine_member(json_t *row, const char *key)
{
	const char	*s = json_string_value(json_object_get(row, key));

	return s != NULL ? s : "";
}

/* The row as shown: without the file's path, which is the daemon's. */
static json_t *
cmd_quarantine_shown(json_t *row)
{
	json_object_del(row, "path");
	return row;
}

int
cmd_quarantine_show(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	json_t	*row;
	char	*cause = NULL;

	if ((row = cmd_quarantine_get(ctx, args, err)) == NULL)
		return -1;
	if (strcmp(cmd_quarantine_member(row, "state"), "deleted") == 0) {
		json_object_set_new(row, "headers", json_null());
		json_object_set_new(row, "text", json_null());
	} else if (quarantine_peek(cmd_quarantine_member(row, "path"), row,
	    &cause) == -1) {
		/* The facts of the row still help: show them with the fault. */
		json_object_set_new(row, "headers", json_null());
		json_object_set_new(row, "text", json_null());
		json_object_set_new(row, "problem", json_string(cause));
		log_warnx("quarantine show: %s", cause);
		free(cause);
	}
	*result = cmd_quarantine_shown(row);
	return 0;
}

/* Only a held message is released: say who released or deleted it. */
static int
cmd_quarantine_held(json_t *row, struct ipc_error *err)
{
	const char	*state = cmd_quarantine_member(row, "state");
	int		 deleted = strcmp(state, "deleted") == 0;

	if (strcmp(state, "held") == 0)
		return 0;
	return ipc_fail(err, IPC_E_CONFLICT, "id", "quarantined message %lld "
	    "cannot be released: it was %s by %s at %s",
	    (long long)json_integer_value(json_object_get(row, "id")), state,
	    cmd_quarantine_member(row, deleted ? "deleted_by" : "released_by"),
	    cmd_quarantine_member(row, deleted ? "deleted_at" : "released_at"));
}

/* The envelope of the row, as quarantine_relay takes it; *v is the caller's. */
static int
cmd_quarantine_msg(json_t *row, struct quarantine_msg *m, const char ***vp,
    struct ipc_error *err)
{
	json_t		 *rcpts = json_object_get(row, "rcpts"), *r;
	const char	**v;
	size_t		  i;

	memset(m, 0, sizeof *m);
	if ((v = calloc(json_array_size(rcpts) + 1, sizeof *v)) == NULL)
		return ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	json_array_foreach(rcpts, i, r) {
		if (json_is_string(r))
			v[m->nrcpts++] = json_string_value(r);
	}
	m->rcpts = *vp = v;
	m->path = cmd_quarantine_member(row, "path");
	m->queue_id = cmd_quarantine_member(row, "queue_id");
	m->sender = cmd_quarantine_member(row, "sender");
	return 0;
}

/* The next hop did not take it: its words, and nothing changed here. */
static int
cmd_quarantine_refused(const struct relay_reply *reply, char *cause,
    struct ipc_error *err)
{
	enum ipc_errcode	code = IPC_E_INTERNAL;

	/* A permanent refusal, a temporary one, or our own failure. */
	if (reply->code >= 500)
		code = IPC_E_CONFLICT;
	else if (reply->code >= 400)
		code = IPC_E_BUSY;

	ipc_fail(err, code, "id", "not released: %s", cause != NULL ? cause :
	    "out of memory");
	free(cause);
	return -1;
}

/* The release, in a transaction of its own. */
static int
cmd_quarantine_record(struct cmd_ctx *ctx, int64_t id,
    const struct relay_reply *r, struct ipc_error *err)
{
	char	reply[sizeof r->text + 8], *cause = NULL;

	snprintf(reply, sizeof reply, "%d %s", r->code, r->text);
	if (db_begin(ctx->db, &cause) == 0) {
		if (db_quarantine_release(ctx->db, id, ctx->actor->name, reply,
		    &cause) == 0 && db_commit(ctx->db, &cause) == 0)
			return 0;
		db_rollback(ctx->db);
	}
	ipc_fail(err, IPC_E_INTERNAL, "id", "quarantined message %lld went "
	    "to the next hop (%s) but its release could not be recorded: %s",
	    (long long)id, reply, cause != NULL ? cause : "database error");
	log_warnx("quarantine: %s", err->message);
	free(cause);
	return -1;
}

/*
 * A released message was wrongly held: the spam engine learns it as ham.
 * A failure to learn is logged; the release stands.
 */
static void
cmd_quarantine_learn_ham(struct cmd_ctx *ctx, int64_t id, const char *path)
{
	char	*msg, *cause = NULL;
	size_t	 len;

	if (ctx->info->spam == NULL)
		return;
	if ((msg = spam_file_read(path, &len, &cause)) == NULL ||
	    spam_service_learn(ctx->info->spam, msg, len, 0, &cause) == -1)
		log_warnx("quarantine: message %lld was released but not "
		    "learnt as ham: %s", (long long)id, cause != NULL ? cause :
		    "out of memory");
	free(msg);
	free(cause);
}

int
cmd_quarantine_release(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	struct quarantine_msg	 m;
	struct relay_reply	 reply;
	json_t			*row;
	const char		**rcpts = NULL;
	char			*cause = NULL;
	int64_t			 id = cmd_arg_int(args, "id", 0);
	int			 rc = -1;

	if ((row = cmd_quarantine_get(ctx, args, err)) == NULL)
		return -1;
	if (cmd_quarantine_held(row, err) == -1 ||
	    cmd_quarantine_msg(row, &m, &rcpts, err) == -1) {
		json_decref(row);
		return -1;
	}
	if (quarantine_relay(ctx->info->config, &m, &reply, &cause) == -1)
		cmd_quarantine_refused(&reply, cause, err);
	else if (cmd_quarantine_record(ctx, id, &reply, err) == 0) {
		log_info("quarantine: %s released message %lld (queue id %s): "
		    "%d %s", ctx->actor->name, (long long)id, m.queue_id,
		    reply.code, reply.text);
		cmd_quarantine_learn_ham(ctx, id, m.path);
		rc = 0;
	}
	free(rcpts);
	json_decref(row);
	if (rc == -1 || (row = cmd_quarantine_get(ctx, args, err)) == NULL)
		return -1;
	json_object_set_new(row, "next_hop", json_sprintf("%d %s", reply.code,
	    reply.text));
	*result = cmd_quarantine_shown(row);
	return 0;
}

int
cmd_quarantine_delete(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	json_t		*row;
	const char	*path;
	char		*cause = NULL;
	int64_t		 id = cmd_arg_int(args, "id", 0);

	if ((row = cmd_quarantine_get(ctx, args, err)) == NULL)
		return -1;
	path = cmd_quarantine_member(row, "path");
	if (db_quarantine_delete(ctx->db, id, ctx->actor->name, &cause) == -1) {
		json_decref(row);
		return cmd_db_fail(ctx, cause, err);
	}
	/* A failure rolls the mark back: the row still names its file. */
	if (unlink(path) == -1 && errno != ENOENT) {
		ipc_fail(err, IPC_E_INTERNAL, "id", "the file of quarantined "
		    "message %lld cannot be removed: %s", (long long)id,
		    strerror(errno));
		json_decref(row);
		return -1;
	}
	json_decref(row);
	if ((row = cmd_quarantine_get(ctx, args, err)) == NULL)
		return -1;
	*result = cmd_quarantine_shown(row);
	return 0;
}
