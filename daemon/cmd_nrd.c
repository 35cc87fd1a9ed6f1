/*
 * nrd.*: newly registered domains.  import takes feed lines (outfilterctl
 * sends a large file in parts, each its own short transaction, so the
 * relay's writes never wait long); status and check read them for any
 * admin, as the list is the same for every domain.  check asks the RDAP
 * server as the relay would, so it runs outside the dispatcher's
 * transaction (CMDF_OWNTXN).
 */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "conf.h"
#include "db.h"
#include "nrd.h"

int
cmd_nrd_import(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*text = cmd_arg_str(args, "text");
	const char	*source = cmd_arg_str(args, "source");
	char		*cause = NULL, why[128];

	if (source != NULL && nrd_source_check(source, why, sizeof why) == -1)
		return ipc_fail(err, IPC_E_INVALID, "source", "%s", why);
	if (nrd_import(ctx->db, ctx->info->config, text != NULL ? text : "",
	    source, cmd_arg_int(args, "first_line", 1), result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

int
cmd_nrd_status(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const struct config	*conf = ctx->info->config;
	const char		*url = conf_str(conf, CONF_nrd_rdap_url);
	char			*cause = NULL;

	if (db_nrd_status(ctx->db, result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	json_object_set_new(*result, "max_age_hours",
	    json_integer(conf_int(conf, CONF_nrd_max_age_hours)));
	json_object_set_new(*result, "rdap_url", *url != '\0' ?
	    json_string(url) : json_null());
	return 0;
}

/* The verdict as check shows it. */
static json_t *
cmd_nrd_verdict(const struct nrd_verdict *v)
{
	char		 when[32] = "", reply[600] = "";
	time_t		 t = (time_t)v->registered_at;
	struct tm	 tm;

	if (t != 0 && gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (v->blocked)
		snprintf(reply, sizeof reply, "550 5.7.1 %s", v->reason);
	return json_pack("{s:s,s:s,s:s*,s:s*,s:s,s:s*}", "domain", v->domain,
	    "decision", v->blocked ? "refuse" : "pass", "registered",
	    when[0] != '\0' ? when : NULL, "source", v->source[0] != '\0' ?
	    v->source : NULL, "reason", v->reason, "reply",
	    reply[0] != '\0' ? reply : NULL);
}

int
cmd_nrd_check(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	struct nrd_verdict	 v;
	const char		*arg = cmd_arg_str(args, "domain"), *at;
	char			*cause = NULL, *sender, *reg, why[256];

	/* A domain is judged as the domain of an envelope sender. */
	at = arg != NULL ? strrchr(arg, '@') : NULL;
	if ((reg = nrd_registrable(at != NULL ? at + 1 : arg != NULL ? arg :
	    "", why, sizeof why)) == NULL)
		return ipc_fail(err, IPC_E_INVALID, "domain", "%s", why);
	free(reg);
	if (asprintf(&sender, "%s%s", at != NULL ? "" : "postmaster@",
	    arg) == -1)
		return ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	if (nrd_check(ctx->db, ctx->info->config, sender, NULL, &v,
	    &cause) == -1) {
		free(sender);
		return cmd_db_fail(ctx, cause, err);
	}
	free(sender);
	if ((*result = cmd_nrd_verdict(&v)) == NULL)
		return ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	return 0;
}
