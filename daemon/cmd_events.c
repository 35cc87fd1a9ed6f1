/*
 * events: where the event socket is, for outfilterctl events and the
 * console; and the events control commands publish once their change is
 * saved.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "events.h"

int
cmd_events(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char *const	*t;
	json_t			*types, *v;
	size_t			 i;

	json_array_foreach(json_object_get(args, "types"), i, v)
		if (!events_type_known(json_string_value(v)))
			return ipc_fail(err, IPC_E_INVALID, "types", "unknown "
			    "event type \"%.64s\": the types are lock, unlock, "
			    "message and stats", json_string_value(v));
	if (ctx->info == NULL || ctx->info->config == NULL)
		return ipc_fail(err, IPC_E_INTERNAL, "", "the daemon's "
		    "configuration is not at hand");
	types = json_array();
	for (t = events_types; *t != NULL; t++)
		json_array_append_new(types, json_string(*t));
	*result = json_pack("{s:s,s:o}", "endpoint",
	    conf_str(ctx->info->config, CONF_control_events), "types", types);
	return 0;
}

void
cmd_event(struct cmd_ctx *ctx, const char *type, json_t *fields)
{
	if (ctx->events == NULL)
		ctx->events = json_array();
	json_array_append_new(ctx->events, json_pack("[s,o]", type,
	    fields != NULL ? fields : json_object()));
}

void
cmd_event_flush(struct cmd_ctx *ctx, int saved)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(ctx->events, i, e)
		if (saved)
			events_publish(json_string_value(json_array_get(e, 0)),
			    json_incref(json_array_get(e, 1)));
	json_decref(ctx->events);
	ctx->events = NULL;
}

void
cmd_event_lock(struct cmd_ctx *ctx, const char *type, json_t *u,
    const char *identity, json_t *args)
{
	struct events_lock	l;

	memset(&l, 0, sizeof l);
	l.user = json_string_value(json_object_get(u, "name"));
	l.domain = json_string_value(json_object_get(u, "domain"));
	l.identity = identity;
	l.by = ctx->actor->name;
	if (strcmp(type, EVENT_LOCK) == 0) {
		l.reason = cmd_arg_str(args, "reason");
		l.minutes = cmd_arg_int(args, "duration", 0);
	}
	cmd_event(ctx, type, events_lock_fields(type, &l));
}
