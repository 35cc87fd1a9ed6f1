/*
 * What the users list and a user's page both do to a user: add one of the
 * three kinds, edit a group of settings or the IP ranges, change the
 * password, lock, unlock, reset the counters, delete.  Forms carry their
 * own state; a call without a form waits in a slot, so that a screen
 * going away (useract_forget) is not called back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define USERACT_SLOTS	16

/* A call or dialog waiting for its answer. */
struct useract_slot {
	int		 used;
	useract_fn	*fn;
	void		*arg;
	char		 name[256];
	const char	*done;		/* "unlocked", "reset" ... */
};

static struct useract_slot	useract_slots[USERACT_SLOTS];

/* What a form remembers. */
struct useract_ctx {
	char		 name[256];
	useract_fn	*fn;
	void		*arg;
	json_t		*pending;	/* IP ranges still to add or remove */
	json_t		*user;		/* the user after the last change */
};

/*
 * The form's change applies to the version of the user it was opened
 * with: when someone else changed the user meanwhile, the daemon says so
 * (conflict) and the form shows it instead of overwriting that change.
 */
static json_t *
useract_if_version(json_t *args, const struct useract_ctx *c)
{
	json_t	*v = json_object_get(c->user, "version");

	if (args != NULL && json_is_integer(v))
		json_object_set_new(args, "if_version", json_integer(
		    json_integer_value(v)));
	return args;
}

static struct useract_slot *
useract_slot(const char *name, useract_fn *fn, void *arg, const char *done)
{
	int	i;

	for (i = 0; i < USERACT_SLOTS; i++) {
		if (!useract_slots[i].used) {
			useract_slots[i].used = 1;
			useract_slots[i].fn = fn;
			useract_slots[i].arg = arg;
			useract_slots[i].done = done;
			snprintf(useract_slots[i].name,
			    sizeof useract_slots[i].name, "%s", name);
			return &useract_slots[i];
		}
	}
	frame_err("too many requests are waiting for the daemon: try again");
	return NULL;
}

void
useract_forget(void *arg)
{
	int	i;

	for (i = 0; i < USERACT_SLOTS; i++) {
		if (useract_slots[i].arg == arg)
			useract_slots[i].fn = NULL;
	}
}

static struct useract_ctx *
useract_ctx(const char *name, useract_fn *fn, void *arg)
{
	struct useract_ctx	*c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	snprintf(c->name, sizeof c->name, "%s", name != NULL ? name : "");
	c->fn = fn;
	c->arg = arg;
	return c;
}

static void
useract_ctx_free(void *arg)
{
	struct useract_ctx	*c = arg;

	json_decref(c->pending);
	json_decref(c->user);
	free(c);
}

/* A form about user name, its context owned by it. */
static struct form *
useract_form(const char *title, const char *name, form_save_fn *save,
    useract_fn *fn, void *arg, struct useract_ctx **cp)
{
	struct useract_ctx	*c;
	struct form		*f;

	if ((c = useract_ctx(name, fn, arg)) == NULL)
		return NULL;
	if ((f = form_new(title, save, c)) == NULL) {
		free(c);
		return NULL;
	}
	form_own_arg(f, useract_ctx_free);
	if (cp != NULL)
		*cp = c;
	return f;
}

/* "Lock a user: ..." from the command's help. */
static void
useract_title(char *buf, size_t size, const char *cmd)
{
	snprintf(buf, size, "%s", ipc_cmd_find(cmd)->help);
	buf[0] = (char)(buf[0] >= 'a' && buf[0] <= 'z' ? buf[0] - 32 : buf[0]);
}

/* "NAME what": what was done to a user. */
static void
useract_said(const char *name, const char *what)
{
	char	*safe = text_safe(name, 0);

	frame_msg("%s %s", safe != NULL ? safe : "?", what);
	free(safe);
}

static int
useract_lock_done(struct form *f, void *arg, json_t *result)
{
	struct useract_ctx	*c = arg;

	if (c->fn != NULL)
		c->fn(c->arg, result);
	useract_said(c->name, "is now locked");
	return 0;
}

/* Lock: reason and duration. */
static int
useract_lock_save(struct form *f, void *arg)
{
	struct useract_ctx	*c = arg;
	json_t			*args;

	if ((args = form_args(f, "user.lock")) == NULL)
		return -1;
	json_object_set_new(args, "name", json_string(c->name));
	return form_call(f, "user.lock", args, useract_lock_done);
}

void
useract_lock(const char *name, const char *reason, useract_fn *fn, void *arg)
{
	struct form	*f;
	char		 title[300];

	if (!tui_may("user.lock"))
		return;
	snprintf(title, sizeof title, "Lock %s: %s", name,
	    strchr(ipc_cmd_find("user.lock")->help, ':') + 2);
	if ((f = useract_form(title, name, useract_lock_save, fn, arg,
	    NULL)) == NULL)
		return;
	if (form_arg(f, "user.lock", "reason", "Reason", reason) == -1 ||
	    form_arg(f, "user.lock", "duration", "Duration", NULL) == -1) {
		form_discard(f);
		return;
	}
	form_open(f);
}

/* Calls without a form. */
static void
useract_reply(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct useract_slot	*s = arg;

	if (rc != IPC_CALL_OK)
		tui_call_failed(rc, err);
	else {
		if (s->fn != NULL)
			s->fn(s->arg, result);
		useract_said(s->name, s->done);
	}
	s->used = 0;
}

static void
useract_call(const char *cmd, const char *name, useract_fn *fn, void *arg,
    const char *done)
{
	struct useract_slot	*s;

	if (!tui_may(cmd) || (s = useract_slot(name, fn, arg, done)) == NULL)
		return;
	if (conn_call(cmd, json_pack("{s:s}", "name", name), useract_reply,
	    s) == -1) {
		s->used = 0;
		frame_err("the daemon is slow to answer: try again");
	}
}

void
useract_unlock(const char *name, useract_fn *fn, void *arg)
{
	useract_call("user.unlock", name, fn, arg, "is now unlocked");
}

void
useract_reset(const char *name, useract_fn *fn, void *arg)
{
	useract_call("user.reset-counters", name, fn, arg,
	    "has its counters back at zero");
}

/* Delete, after a confirmation naming the user with Cancel the default. */
static void
useract_delete_done(void *arg, int ok, const char *text)
{
	struct useract_slot	*s = arg;

	if (!ok) {
		frame_msg("nothing deleted");
		s->used = 0;
		return;
	}
	if (conn_call("user.del", json_pack("{s:s}", "name", s->name),
	    useract_reply, s) == -1) {
		s->used = 0;
		frame_err("the daemon is slow to answer: try again");
	}
}

void
useract_delete(const char *name, useract_fn *fn, void *arg)
{
	struct useract_slot	*s;
	char			 question[600];

	if (!tui_may("user.del") ||
	    (s = useract_slot(name, fn, arg, "is deleted")) == NULL)
		return;
	snprintf(question, sizeof question, "Delete user %s and its "
	    "identities?", name);
	dialog_confirm(question, "Delete", useract_delete_done, s);
}

/* Passwords: masked, asked twice, never kept longer than the form. */
static int
useract_passwd_done(struct form *f, void *arg, json_t *result)
{
	struct useract_ctx	*c = arg;

	useract_said(c->name, "has a new password");
	return 0;
}

static int
useract_passwd_save(struct form *f, void *arg)
{
	struct useract_ctx	*c = arg;
	json_t			*args;

	if (form_same_twice(f) == -1 ||
	    (args = form_args(f, "user.passwd")) == NULL)
		return -1;
	json_object_set_new(args, "name", json_string(c->name));
	return form_call(f, "user.passwd", args, useract_passwd_done);
}

void
useract_passwd(const char *name, const char *kind)
{
	struct form	*f;
	char		 title[300];

	if (kind != NULL && strcmp(kind, "ip") == 0) {
		frame_msg("IP users have no password: their address "
		    "identifies them");
		return;
	}
	if (!tui_may("user.passwd"))
		return;
	snprintf(title, sizeof title, "Password of %s: %s", name,
	    ipc_cmd_find("user.passwd")->help);
	if ((f = useract_form(title, name, useract_passwd_save, NULL, NULL,
	    NULL)) == NULL)
		return;
	if (form_passwords(f, "user.passwd") == -1) {
		form_discard(f);
		return;
	}
	form_open(f);
}

/* Add: the kind first, then its form. */
static const struct {
	const char	*cmd;
	const char	*label;
} useract_kinds[] = {
	{ "user.add.ip",	"IP user" },
	{ "user.add.smtp",	"SMTP AUTH user" },
	{ "user.add.domain",	"Authenticating domain" },
};
#define USERACT_NKINDS	(int)(sizeof useract_kinds / sizeof useract_kinds[0])

static int
useract_add_done(struct form *f, void *arg, json_t *result)
{
	struct useract_ctx	*c = arg;
	const char		*name = json_string_value(json_object_get(
				    result, "name"));

	if (c->fn != NULL)
		c->fn(c->arg, result);
	useract_said(name != NULL ? name : "?", "is added");
	return 0;
}

static int
useract_add_save(struct form *f, void *arg)
{
	struct useract_ctx	*c = arg;
	json_t			*args;

	if (strcmp(c->name, "user.add.ip") != 0 && form_same_twice(f) == -1)
		return -1;
	if ((args = form_args(f, c->name)) == NULL)
		return -1;
	return form_call(f, c->name, args, useract_add_done);
}

static void
useract_add_kind(void *arg, int ok, const char *text)
{
	struct useract_slot	*s = arg;
	const char		*cmd;
	struct form		*f;
	char			 title[300];
	int			 k = atoi(text), rc;

	s->used = 0;
	if (!ok || k < 0 || k >= USERACT_NKINDS)
		return;
	cmd = useract_kinds[k].cmd;
	if (!tui_may(cmd))
		return;
	useract_title(title, sizeof title, cmd);
	/* The form's context names the command. */
	if ((f = useract_form(title, cmd, useract_add_save, s->fn, s->arg,
	    NULL)) == NULL)
		return;
	switch (k) {
	case 0:
		rc = form_arg(f, cmd, "name", "Name", NULL) == -1 ||
		    form_arg(f, cmd, "domain", "Domain", NULL) == -1 ||
		    form_arg(f, cmd, "ip", "IP ranges", NULL) == -1;
		break;
	case 1:
		rc = form_arg(f, cmd, "name", "Login", NULL) == -1 ||
		    form_arg(f, cmd, "domain", "Domain", NULL) == -1 ||
		    form_passwords(f, cmd) == -1;
		break;
	default:
		rc = form_arg(f, cmd, "name", "Domain", NULL) == -1 ||
		    form_passwords(f, cmd) == -1;
		break;
	}
	if (rc) {
		form_discard(f);
		return;
	}
	form_open(f);
}

void
useract_add(useract_fn *fn, void *arg)
{
	struct useract_slot	*s;
	char			 rows[USERACT_NKINDS][200];
	const char		*row[USERACT_NKINDS];
	int			 i;

	if ((s = useract_slot("", fn, arg, "")) == NULL)
		return;
	for (i = 0; i < USERACT_NKINDS; i++) {
		snprintf(rows[i], sizeof rows[i], "%-22s %s",
		    useract_kinds[i].label,
		    ipc_cmd_find(useract_kinds[i].cmd)->help);
		row[i] = rows[i];
	}
	dialog_choose("Add which kind of user?", row, USERACT_NKINDS,
	    useract_add_kind, s);
}

/* Settings of one group. */
static int
useract_edit_done(struct form *f, void *arg, json_t *result)
{
	struct useract_ctx	*c = arg;

	if (c->fn != NULL)
		c->fn(c->arg, result);
	useract_said(c->name, "has its settings saved");
	return 0;
}

static int
useract_edit_save(struct form *f, void *arg)
{
	struct useract_ctx	*c = arg;
	json_t			*set = json_object();
	size_t			 i;

	for (i = 0; i < ipc_nusets; i++) {
		if (form_changed(f, ipc_usets[i].key))
			json_object_set_new(set, ipc_usets[i].key, json_string(
			    form_value(f, ipc_usets[i].key)));
	}
	if (json_object_size(set) == 0) {
		json_decref(set);
		frame_msg("nothing was changed");
		return 1;
	}
	return form_call(f, "user.set", useract_if_version(json_pack(
	    "{s:s,s:o}", "name", c->name, "settings", set), c),
	    useract_edit_done);
}

void
useract_edit(const json_t *user, const char *group, const char *key,
    useract_fn *fn, void *arg)
{
	const char		*name = json_string_value(json_object_get(user,
				    "name"));
	json_t			*set = json_object_get(user, "settings");
	struct useract_ctx	*c;
	struct form		*f;
	char			 title[300];
	size_t			 i;

	if (name == NULL || !tui_may("user.set"))
		return;
	snprintf(title, sizeof title, "Edit %s: user %s", group, name);
	if ((f = useract_form(title, name, useract_edit_save, fn, arg,
	    &c)) == NULL)
		return;
	c->user = json_deep_copy(user);
	for (i = 0; i < ipc_nusets; i++) {
		if (strcmp(ipc_usets[i].group, group) == 0 &&
		    form_uset(f, &ipc_usets[i], set) == -1) {
			form_discard(f);
			return;
		}
	}
	if (key != NULL)
		form_focus(f, key);
	form_open(f);
}

/*
 * IP ranges: what was added and what was removed, one call each, in turn;
 * a refusal stops there, at the field.
 */
static int useract_ips_next(struct form *, struct useract_ctx *);

static int
useract_ips_done(struct form *f, void *arg, json_t *result)
{
	struct useract_ctx	*c = arg;

	json_decref(c->user);
	c->user = json_incref(result);
	json_array_remove(c->pending, 0);
	if (useract_ips_next(f, c) == 0)
		return 1;	/* the next call is out */
	if (c->fn != NULL && c->user != NULL)
		c->fn(c->arg, c->user);
	useract_said(c->name, "has its IP ranges saved");
	return 0;
}

/* Sends the next change: 0; -1 when none is left (or it failed). */
static int
useract_ips_next(struct form *f, struct useract_ctx *c)
{
	json_t		*step = json_array_get(c->pending, 0);
	const char	*cmd = json_string_value(json_array_get(step, 0));
	const char	*ip = json_string_value(json_array_get(step, 1));

	if (cmd == NULL || ip == NULL)
		return -1;
	return form_call(f, cmd, useract_if_version(json_pack("{s:s,s:s}",
	    "name", c->name, "ip", ip), c), useract_ips_done);
}

static int
useract_in(const json_t *list, const char *s)
{
	size_t	 i;
	json_t	*e;

	json_array_foreach(list, i, e) {
		if (json_is_string(e) && strcmp(json_string_value(e), s) == 0)
			return 1;
	}
	return 0;
}

static int
useract_ips_save(struct form *f, void *arg)
{
	struct useract_ctx	*c = arg;
	json_t			*now = form_list(f, "ip"), *was, *e;
	size_t			 i;

	json_decref(c->pending);
	c->pending = json_array();
	was = json_object_get(c->user, "ips");
	json_array_foreach(now, i, e) {
		if (!useract_in(was, json_string_value(e)))
			json_array_append_new(c->pending, json_pack("[s,O]",
			    "user.ip.add", e));
	}
	json_array_foreach(was, i, e) {
		if (!useract_in(now, json_string_value(e)))
			json_array_append_new(c->pending, json_pack("[s,O]",
			    "user.ip.del", e));
	}
	json_decref(now);
	if (json_array_size(c->pending) == 0) {
		frame_msg("nothing was changed");
		return 1;
	}
	return useract_ips_next(f, c) == 0 ? 0 : -1;
}

void
useract_ips(const json_t *user, useract_fn *fn, void *arg)
{
	const char		*name = json_string_value(json_object_get(user,
				    "name"));
	const struct ipc_arg	*a;
	struct useract_ctx	*c;
	struct form		*f;
	char			*text, title[300];

	if (name == NULL || !tui_may("user.ip.add"))
		return;
	snprintf(title, sizeof title, "Edit IP ranges: user %s", name);
	if ((f = useract_form(title, name, useract_ips_save, fn, arg, &c)) ==
	    NULL)
		return;
	c->user = json_deep_copy(user);
	text = text_value(json_object_get(user, "ips"), 0);
	a = ipc_cmd_arg(ipc_cmd_find("user.add.ip"), "ip");
	if (form_field(f, "ip", "IP ranges", FT_LIST, NULL, text != NULL &&
	    strcmp(text, "-") != 0 ? text : "", a->help) == -1) {
		free(text);
		form_discard(f);
		return;
	}
	free(text);
	form_open(f);
}
