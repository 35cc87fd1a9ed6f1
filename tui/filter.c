/*
 * The filter form of a searched list (log search, archive): one field per
 * criterion, each an argument of the list command with its help from the
 * command table.  The daemon checks the filter (one row asked) before the
 * list takes it, so a bad value is told at its field with what was typed
 * kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct filter {
	const char		*cmd;
	json_t			**filter;
	void			(*applied)(void *);
	void			*arg;
};

/* The daemon took it: the list follows. */
static int
filter_done(struct form *f, void *arg, json_t *result)
{
	struct filter	*fl = arg;
	json_t		*args = form_args(f, fl->cmd);

	json_decref(*fl->filter);
	*fl->filter = args != NULL ? args : json_object();
	fl->applied(fl->arg);
	return 0;
}

static int
filter_save(struct form *f, void *arg)
{
	struct filter	*fl = arg;
	json_t		*args;

	if ((args = form_args(f, fl->cmd)) == NULL)
		return -1;
	json_object_set_new(args, "limit", json_integer(1));
	return form_call(f, fl->cmd, args, filter_done);
}

void
filter_open(const char *cmd, const struct filter_field *fields,
    json_t **filter, void (*applied)(void *), void *arg)
{
	struct filter	*fl;
	struct form	*f;
	char		 title[300];

	snprintf(title, sizeof title, "Filter: %s (empty fields: any)",
	    ipc_cmd_find(cmd)->help);
	if ((fl = calloc(1, sizeof *fl)) == NULL)
		return;
	*fl = (struct filter){ cmd, filter, applied, arg };
	if ((f = form_new(title, filter_save, fl)) == NULL) {
		free(fl);
		return;
	}
	form_own_arg(f, free);
	form_button(f, "Search");
	for (; fields->key != NULL; fields++) {
		if (form_arg(f, cmd, fields->key, fields->label,
		    json_string_value(json_object_get(*filter,
		    fields->key))) == -1) {
			form_discard(f);
			return;
		}
	}
	form_open(f);
}

void
filter_label(struct list *l, const json_t *filter)
{
	char		 label[400];
	const char	*key;
	json_t		*v;
	size_t		 len = 0;

	label[0] = '\0';
	json_object_foreach((json_t *)filter, key, v) {
		if (len < sizeof label)
			len += snprintf(label + len, sizeof label - len,
			    "%s%s=%s", len ? " " : "", key,
			    json_string_value(v));
	}
	list_set_label(l, label);
}
