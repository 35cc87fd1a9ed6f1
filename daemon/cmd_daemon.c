/*
 * Handlers about the daemon itself: whoami and config.show.  (The table
 * binding every command to its handler, cmd_handlers[], is in
 * cmd_common.c.)
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "conf.h"

static json_t *
cmd_daemon_domains(const struct actor *a)
{
	json_t	*list = json_array();
	char	**d;

	for (d = a->domains; list != NULL && d != NULL && *d != NULL; d++)
		json_array_append_new(list, json_string(*d));
	return list;
}

int
cmd_whoami(struct cmd_ctx *cx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const struct actor	*a = cx->actor;

	*result = json_pack("{s:s,s:s,s:o}", "name", a->name,
	    "role", a->super ? "super" : "domain",
	    "domains", cmd_daemon_domains(a));
	if (*result == NULL)
		return ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	return 0;
}

/* One row of config.show; a derived default shows what it derives from. */
static json_t *
cmd_daemon_setting(const struct config *c, int i)
{
	const struct conf_setting	*s = &conf_settings[i];

	return json_pack("{s:s,s:s,s:s,s:s,s:s}",
	    "section", s->section, "key", s->key,
	    "value", conf_str(c, i), "default", s->def, "help", s->help);
}

int
cmd_config_show(struct cmd_ctx *cx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	json_t	*items, *row;
	int	 i;

	if ((items = json_array()) == NULL)
		return ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	for (i = 0; i < CONF_NSETTINGS; i++)
		if ((row = cmd_daemon_setting(cx->info->config, i)) == NULL ||
		    json_array_append_new(items, row) == -1) {
			json_decref(items);
			return ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
		}
	if ((*result = json_pack("{s:o,s:n}", "items", items, "next")) == NULL)
		return ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	return 0;
}
