/*
 * spam.check and spam.learn: the configured engine's verdict on a message
 * and why, and teaching it.  Both go through the daemon's spam service,
 * so they see exactly what the SMTP side sees; learning writes through
 * the service's own database handle, not the control thread's (hence no
 * CMDF_WRITE transaction around it).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "spam.h"

/*
 * The message argument: its bytes as the codec decoded them from base64
 * (a T_FILE argument), 8-bit and NUL bytes and all.
 */
static const char *
cmd_spam_message(json_t *args, size_t *len)
{
	json_t	*m = json_object_get(args, "message");

	*len = json_string_length(m);
	return json_string_value(m);
}

static struct spam_service *
cmd_spam_service(struct cmd_ctx *ctx, struct ipc_error *err)
{
	if (ctx->info == NULL || ctx->info->spam == NULL) {
		ipc_fail(err, IPC_E_INTERNAL, "", "the spam service is not "
		    "running");
		return NULL;
	}
	return ctx->info->spam;
}

int
cmd_spam_check(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	struct spam_service	*s;
	struct spam_verdict	 v;
	const char		*msg;
	char			*cause = NULL;
	size_t			 len;

	if ((s = cmd_spam_service(ctx, err)) == NULL)
		return -1;
	msg = cmd_spam_message(args, &len);
	if (spam_service_check(s, msg, len, &v, &cause) == -1) {
		ipc_fail(err, IPC_E_BUSY, "", "the spam engine could not judge "
		    "the message: %s", cause);
		free(cause);
		return -1;
	}
	if ((*result = spam_verdict_json(&v)) == NULL)
		return ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	return 0;
}

int
cmd_spam_learn(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	struct spam_service	*s;
	const char		*class = cmd_arg_str(args, "class"), *msg;
	char			*cause = NULL;
	size_t			 len;
	int			 is_spam;

	if (strcmp(class, "spam") == 0)
		is_spam = 1;
	else if (strcmp(class, "ham") == 0)
		is_spam = 0;
	else
		return ipc_fail(err, IPC_E_INVALID, "class", "class must be "
		    "spam or ham, not \"%.64s\"", class);
	if ((s = cmd_spam_service(ctx, err)) == NULL)
		return -1;
	msg = cmd_spam_message(args, &len);
	if (spam_service_learn(s, msg, len, is_spam, &cause) == -1) {
		ipc_fail(err, IPC_E_BUSY, "", "the spam engine did not learn "
		    "the message: %s", cause);
		free(cause);
		return -1;
	}
	/* Not a CMDF_WRITE command, so the dispatcher does not log it. */
	log_info("control: %s: spam.learn: a message learnt as %s",
	    ctx->actor->name, class);
	*result = json_pack("{s:s,s:b}", "class", class, "learnt", 1);
	return *result != NULL ? 0 : ipc_fail(err, IPC_E_INTERNAL, "",
	    "out of memory");
}
