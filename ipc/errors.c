/* The protocol's error vocabulary: codes, their names and exit statuses. */
#define _GNU_SOURCE		/* vasprintf */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ipc.h"

static const struct {
	const char	*name;
	int		 exit;
} errors_table[IPC_NERRORS] = {
#define E(id, s, x) [IPC_E_##id] = { s, x },
	IPC_ERRORS
#undef E
};

int
ipc_fail(struct ipc_error *err, enum ipc_errcode code, const char *field,
    const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return -1;
	err->code = code;
	snprintf(err->field, sizeof err->field, "%s", field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
ipc_errcode_name(enum ipc_errcode code)
{
	if ((unsigned)code >= IPC_NERRORS)
		return errors_table[IPC_E_INTERNAL].name;
	return errors_table[code].name;
}

/* Returns 0 and sets *code, or -1 for a name that is not a code. */
int
ipc_errcode_parse(const char *name, enum ipc_errcode *code)
{
	int	i;

	for (i = 0; i < IPC_NERRORS; i++) {
		if (strcmp(errors_table[i].name, name) == 0) {
			*code = i;
			return 0;
		}
	}
	return -1;
}

/* The outfilterctl exit status (sysexits) for a daemon's error. */
int
ipc_errcode_exit(enum ipc_errcode code)
{
	if ((unsigned)code >= IPC_NERRORS)
		return errors_table[IPC_E_INTERNAL].exit;
	return errors_table[code].exit;
}

int
ipc_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
	return -1;
}
