/* The command table: ipc_cmds[] built from commands.def, and lookups. */
#include <string.h>

#include "ipc.h"

/* One argument array per command, ending with a NULL key. */
#define ARG(key, flag, metavar, type, required, help) \
	{ key, flag, metavar, type, required, help },
#define CMD(id, name, role, flags, help, args) \
	static const struct ipc_arg commands_args_##id[] = { \
		args { NULL, NULL, NULL, T_STR, 0, NULL } \
	};
#include "commands.def"
#undef CMD

#define CMD(id, name, role, flags, help, args) \
	[IPC_CMD_##id] = { IPC_CMD_##id, name, role, flags, help, \
	    commands_args_##id },
const struct ipc_cmd ipc_cmds[IPC_NCMDS] = {
#include "commands.def"
};
#undef CMD
#undef ARG

const struct ipc_cmd *
ipc_cmd_find(const char *name)
{
	int	i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < IPC_NCMDS; i++) {
		if (strcmp(ipc_cmds[i].name, name) == 0)
			return &ipc_cmds[i];
	}
	return NULL;
}

const struct ipc_arg *
ipc_cmd_arg(const struct ipc_cmd *cmd, const char *key)
{
	const struct ipc_arg	*a;

	for (a = cmd->args; a->key != NULL; a++) {
		if (strcmp(a->key, key) == 0)
			return a;
	}
	return NULL;
}

const char *
ipc_type_name(enum ipc_type type)
{
	static const char *const names[] = {
		[T_STR] = "a string",
		[T_INT] = "a whole number >= 0",
		[T_BOOL] = "true or false",
		[T_LIST] = "a list of strings",
		[T_SECRET] = "a string",
		[T_TEXT] = "a string",
		[T_KV] = "an object of strings",
		[T_LINES] = "a string",
		[T_FILE] = "a string of base64",
	};

	if ((unsigned)type >= sizeof names / sizeof names[0])
		return "a value";
	return names[type];
}

int
ipc_cmd_takes_file(const struct ipc_cmd *cmd)
{
	const struct ipc_arg	*a;

	for (a = cmd->args; a->key != NULL; a++) {
		if (a->type == T_FILE)
			return 1;
	}
	return 0;
}
