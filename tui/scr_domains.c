/*
 * Domains: a page at a time; Space turns a domain's outgoing filter on or
 * off (super-admins only: the daemon checks it too), Enter edits the
 * admin contact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const struct list_col domains_cols[] = {
	{ "domain", "DOMAIN", 0, 1 },
	{ "active", "FILTER", 6, 0 },
	{ "users", "USERS", 7, 0 },
	{ "admin_contact", "ADMIN CONTACT", 30, 0 },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action domains_actions[] = {
	A_OPEN, A_TOGGLE, A_HELP, A_BACK, A_QUIT, A_REFRESH, A_UP, A_DOWN,
	A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

struct domains {
	struct list	*list;
};

static int
domains_enter(struct screen *s, void *param)
{
	struct domains	*d;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return -1;
	if ((d->list = list_new("domain.list", domains_cols, NULL, NULL)) ==
	    NULL) {
		free(d);
		return -1;
	}
	s->data = d;
	return 0;
}

static void
domains_build(struct screen *s)
{
	struct domains	*d = s->data;

	list_build(d->list, frame_body_top(), frame_body_lines());
}

static void
domains_unbuild(struct screen *s)
{
	struct domains	*d = s->data;

	list_hide(d->list);
}

static void
domains_leave(struct screen *s)
{
	struct domains	*d = s->data;

	dialog_forget(d);
	conn_forget(d);
	list_free(d->list);
	free(d);
}

static const char *
domains_selected(struct domains *d)
{
	const char	*name = json_string_value(json_object_get(
			    list_selected(d->list), "domain"));

	if (name == NULL)
		frame_msg("no domain selected");
	return name;
}

/* A change came back: the row takes it, the message line says it. */
static int
domains_took(struct domains *d, int rc, json_t *result,
    const struct ipc_error *err, char **name)
{
	if (rc != IPC_CALL_OK) {
		frame_err("%s", err->message);
		return 0;
	}
	list_merge(d->list, result);
	*name = text_safe(json_string_value(json_object_get(result, "domain")),
	    1);
	return *name != NULL;
}

static void
domains_switched(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	char	*name;

	if (!domains_took(arg, rc, result, err, &name))
		return;
	frame_msg("%s: outgoing filter %s", name,
	    json_is_true(json_object_get(result, "active")) ? "on" : "off");
	free(name);
}

static void
domains_contact_set(void *arg, int rc, json_t *result,
    const struct ipc_error *err)
{
	char	*name, *contact;

	if (!domains_took(arg, rc, result, err, &name))
		return;
	contact = text_value(json_object_get(result, "admin_contact") ?
	    json_object_get(result, "admin_contact") : json_null(), 0);
	frame_msg("%s: admin contact %s", name, contact != NULL ? contact : "?");
	free(contact);
	free(name);
}

static void
domains_toggle(struct domains *d)
{
	const char	*name = domains_selected(d), *cmd;
	json_t		*active;

	if (name == NULL)
		return;
	active = json_object_get(list_selected(d->list), "active");
	cmd = json_is_true(active) ? "domain.disable" : "domain.enable";
	if (tui_may(cmd))
		conn_call(cmd, json_pack("{s:s}", "domain", name),
		    domains_switched, d);
}

/* The dialog's arg is the domain's name, copied. */
static void
domains_contact_done(void *arg, int ok, const char *text)
{
	struct domains	*d = tui.top->data;
	char		*name = arg;

	if (ok)
		conn_call("domain.set", json_pack("{s:s,s:s}", "domain", name,
		    "admin_contact", text), domains_contact_set, d);
	free(name);
}

static void
domains_contact(struct domains *d)
{
	const char	*name = domains_selected(d), *now;
	char		 label[300], *copy;

	if (name == NULL || !tui_may("domain.set") ||
	    (copy = strdup(name)) == NULL)
		return;
	now = json_string_value(json_object_get(list_selected(d->list),
	    "admin_contact"));
	snprintf(label, sizeof label, "Admin contact of %s", name);
	dialog_input(label, now, domains_contact_done, copy);
}

static int
domains_action(struct screen *s, enum tui_action a)
{
	struct domains	*d = s->data;

	switch (a) {
	case A_OPEN:	domains_contact(d); break;
	case A_TOGGLE:	domains_toggle(d); break;
	case A_REFRESH:	list_reload(d->list); break;
	default:
		if (!keys_movement(a))
			return 0;
		list_moved(d->list);
		break;
	}
	return 1;
}

static void
domains_connected(struct screen *s)
{
	struct domains	*d = s->data;

	list_reload(d->list);
}

static CDKOBJS *
domains_focus(struct screen *s)
{
	struct domains	*d = s->data;

	return list_widget(d->list);
}

const struct screen_ops scr_domains = {
	.title = "Domains",
	.actions = domains_actions,
	.enter = domains_enter,
	.build = domains_build,
	.unbuild = domains_unbuild,
	.leave = domains_leave,
	.action = domains_action,
	.connected = domains_connected,
	.focus = domains_focus,
};
