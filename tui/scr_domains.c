/*
 * Domains: a page at a time; Space turns a domain's outgoing filter on or
 * off, a adds a domain and d deletes one (super-admins only: the daemon
 * checks it too), Enter edits the admin contact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const struct list_col domains_cols[] = {
	{ "domain", "DOMAIN", 0, LC_DOMAIN },
	{ "active", "FILTER", 6, 0 },
	{ "users", "USERS", 7, 0 },
	{ "admin_contact", "ADMIN CONTACT", 30, 0 },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action domains_actions[] = {
	A_OPEN, A_TOGGLE, A_ADD, A_DELETE, A_HELP, A_BACK, A_QUIT, A_REFRESH,
	A_UP, A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

/* A domain admin adds and deletes no domain. */
static const enum tui_action domains_actions_admin[] = {
	A_OPEN, A_TOGGLE, A_HELP, A_BACK, A_QUIT, A_REFRESH, A_UP, A_DOWN,
	A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

struct domains {
	struct list	*list;
	char		 name[256];	/* being deleted */
};

static int
domains_enter(struct screen *s, void *param)
{
	struct domains	*d;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return -1;
	if ((d->list = list_new("domain.list", domains_cols, "domain", NULL,
	    NULL)) == NULL) {
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

	s->actions = tui_role_may("domain.add") ? NULL : domains_actions_admin;
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

static int
domains_contact_set(struct form *f, void *arg, json_t *result)
{
	struct domains	*d = arg;
	char		*name, *contact;

	list_merge(d->list, result);
	name = text_safe(json_string_value(json_object_get(result, "domain")),
	    1);
	contact = text_value(json_object_get(result, "admin_contact") ?
	    json_object_get(result, "admin_contact") : json_null(), 0);
	frame_msg("%s: admin contact %s", name != NULL ? name : "?",
	    contact != NULL ? contact : "?");
	free(contact);
	free(name);
	return 0;
}

static int
domains_contact_save(struct form *f, void *arg)
{
	struct domains	*d = arg;
	json_t		*args;

	if ((args = form_args(f, "domain.set")) == NULL)
		return -1;
	json_object_set_new(args, "domain", json_string(d->name));
	return form_call(f, "domain.set", args, domains_contact_set);
}

/* Enter: the admin contact in a form of one field. */
static void
domains_contact(struct domains *d)
{
	const char	*name = domains_selected(d), *now;
	struct form	*f;
	char		 title[400];

	if (name == NULL || !tui_may("domain.set"))
		return;
	snprintf(d->name, sizeof d->name, "%s", name);
	now = json_string_value(json_object_get(list_selected(d->list),
	    "admin_contact"));
	snprintf(title, sizeof title, "Domain %s: %s", name,
	    ipc_cmd_find("domain.set")->help);
	if ((f = form_new(title, domains_contact_save, d)) == NULL)
		return;
	if (form_arg(f, "domain.set", "admin_contact", "Admin contact",
	    now) == -1) {
		form_discard(f);
		return;
	}
	form_open(f);
}

static int
domains_added(struct form *f, void *arg, json_t *result)
{
	struct domains	*d = arg;
	char		*name = text_safe(json_string_value(json_object_get(
			    result, "domain")), 1);

	list_reload(d->list);
	frame_msg("added %s: its outgoing filter is off until turned on "
	    "(Space)", name != NULL ? name : "?");
	free(name);
	return 0;
}

static int
domains_add_save(struct form *f, void *arg)
{
	json_t	*args;

	if ((args = form_args(f, "domain.add")) == NULL)
		return -1;
	return form_call(f, "domain.add", args, domains_added);
}

static void
domains_add(struct domains *d)
{
	struct form	*f;
	char		 title[300];

	if (!tui_may("domain.add"))
		return;
	snprintf(title, sizeof title, "Add a domain: %s",
	    strchr(ipc_cmd_find("domain.add")->help, ';') + 2);
	if ((f = form_new(title, domains_add_save, d)) == NULL)
		return;
	if (form_arg(f, "domain.add", "domain", "Domain", NULL) == -1 ||
	    form_arg(f, "domain.add", "admin_contact", "Admin contact",
	    NULL) == -1) {
		form_discard(f);
		return;
	}
	form_open(f);
}

static void
domains_deleted(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct domains	*d = arg;
	char		*name;

	if (rc != IPC_CALL_OK) {
		tui_call_failed(rc, err);
		return;
	}
	list_remove(d->list, json_object_get(result, "domain"));
	name = text_safe(d->name, 1);
	frame_msg("deleted %s", name != NULL ? name : "?");
	free(name);
}

static void
domains_delete_done(void *arg, int ok, const char *text)
{
	struct domains	*d = arg;

	if (!ok) {
		frame_msg("nothing deleted");
		return;
	}
	conn_call("domain.del", json_pack("{s:s}", "domain", d->name),
	    domains_deleted, d);
}

static void
domains_delete(struct domains *d)
{
	const char	*name = domains_selected(d);
	char		 question[600], *safe;

	if (name == NULL || !tui_may("domain.del"))
		return;
	snprintf(d->name, sizeof d->name, "%s", name);
	safe = text_safe(name, 1);
	snprintf(question, sizeof question, "Delete domain %s with its users, "
	    "identities and keys?", safe != NULL ? safe : "?");
	free(safe);
	dialog_confirm(question, "Delete", domains_delete_done, d);
}

static int
domains_action(struct screen *s, enum tui_action a)
{
	struct domains	*d = s->data;

	switch (a) {
	case A_OPEN:	domains_contact(d); break;
	case A_TOGGLE:	domains_toggle(d); break;
	case A_ADD:	domains_add(d); break;
	case A_DELETE:	domains_delete(d); break;
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
