/*
 * DKIM keys: a domain's keys by selector.  a makes a key (domain,
 * selector, algorithm) and shows the DNS record to publish; Enter shows
 * the record of the selected key; d deletes one after a question naming
 * it, with Cancel the default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const struct list_col dkim_cols[] = {
	{ "domain", "DOMAIN", 0, LC_DOMAIN },
	{ "selector", "SELECTOR", 20, 0 },
	{ "algorithm", "ALGORITHM", 10, 0 },
	{ "created", "CREATED", 16, LC_TIME },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action dkim_actions[] = {
	A_OPEN, A_ADD, A_DELETE, A_HELP, A_BACK, A_QUIT, A_REFRESH, A_UP,
	A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

struct dkim {
	struct list	*list;
	char		 domain[256];	/* being deleted */
	char		 selector[128];
};

static int
dkim_enter(struct screen *s, void *param)
{
	struct dkim	*k;

	if ((k = calloc(1, sizeof *k)) == NULL)
		return -1;
	snprintf(s->title, sizeof s->title, "DKIM keys");
	if ((k->list = list_new("dkim.list", dkim_cols, "id", NULL, NULL)) ==
	    NULL) {
		free(k);
		return -1;
	}
	s->data = k;
	return 0;
}

static void
dkim_build(struct screen *s)
{
	struct dkim	*k = s->data;

	list_build(k->list, frame_body_top(), frame_body_lines());
}

static void
dkim_unbuild(struct screen *s)
{
	struct dkim	*k = s->data;

	list_hide(k->list);
}

static void
dkim_leave(struct screen *s)
{
	struct dkim	*k = s->data;

	dialog_forget(k);
	conn_forget(k);
	list_free(k->list);
	free(k);
}

/* The record of domain and selector, from dkim.dns (or handed over). */
static void
dkim_record(const char *domain, const char *selector, const json_t *value)
{
	struct detail_param	 p;
	char			 title[64], *safe;

	safe = text_safe(selector, 0);
	snprintf(title, sizeof title, "DNS record of %s", safe != NULL ?
	    safe : "?");
	free(safe);
	p.title = title;
	p.cmd = value != NULL ? NULL : "dkim.dns";
	p.args = value != NULL ? NULL : json_pack("{s:s,s:s}", "domain",
	    domain, "selector", selector);
	p.value = value;
	tui_push(&scr_detail, &p);
}

static void
dkim_open(struct dkim *k)
{
	json_t		*item = list_selected(k->list);
	const char	*domain = json_string_value(json_object_get(item,
			    "domain"));
	const char	*selector = json_string_value(json_object_get(item,
			    "selector"));

	if (domain == NULL || selector == NULL) {
		frame_msg("no key selected");
		return;
	}
	dkim_record(domain, selector, NULL);
}

/* The key is made: the record to publish is shown at once. */
static int
dkim_made(struct form *f, void *arg, json_t *result)
{
	struct dkim	*k = arg;
	const char	*domain = json_string_value(json_object_get(result,
			    "domain"));
	const char	*selector = json_string_value(json_object_get(result,
			    "selector"));

	list_reload(k->list);
	if (domain == NULL || selector == NULL)
		return 0;
	/* The form goes first, then the record comes on top of the list. */
	json_incref(result);
	form_close(f);
	dkim_record(domain, selector, result);
	json_decref(result);
	frame_msg("publish this record in DNS before signing with the key");
	return 1;
}

static int
dkim_add_save(struct form *f, void *arg)
{
	json_t	*args;

	if ((args = form_args(f, "dkim.keygen")) == NULL)
		return -1;
	return form_call(f, "dkim.keygen", args, dkim_made);
}

static void
dkim_add(struct dkim *k)
{
	struct form	*f;
	char		 title[300];
	const char	*domain = json_string_value(json_object_get(
			    list_selected(k->list), "domain"));

	if (!tui_may("dkim.keygen"))
		return;
	snprintf(title, sizeof title, "New DKIM key: %s",
	    ipc_cmd_find("dkim.keygen")->help);
	if ((f = form_new(title, dkim_add_save, k)) == NULL)
		return;
	if (form_arg(f, "dkim.keygen", "domain", "Domain", domain) == -1 ||
	    form_arg(f, "dkim.keygen", "selector", "Selector", NULL) == -1 ||
	    form_arg(f, "dkim.keygen", "algo", "Algorithm", NULL) == -1) {
		form_discard(f);
		return;
	}
	form_open(f);
}

static void
dkim_deleted(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct dkim	*k = arg;
	char		*sel;

	if (rc != IPC_CALL_OK) {
		tui_call_failed(rc, err);
		return;
	}
	list_reload(k->list);
	sel = text_safe(k->selector, 0);
	frame_msg("deleted the key of selector %s", sel != NULL ? sel : "?");
	free(sel);
}

static void
dkim_delete_done(void *arg, int ok, const char *text)
{
	struct dkim	*k = arg;

	if (!ok) {
		frame_msg("nothing deleted");
		return;
	}
	conn_call("dkim.del", json_pack("{s:s,s:s}", "domain", k->domain,
	    "selector", k->selector), dkim_deleted, k);
}

static void
dkim_delete(struct dkim *k)
{
	json_t		*item = list_selected(k->list);
	const char	*domain = json_string_value(json_object_get(item,
			    "domain"));
	const char	*selector = json_string_value(json_object_get(item,
			    "selector"));
	char		 question[600];

	if (domain == NULL || selector == NULL) {
		frame_msg("no key selected");
		return;
	}
	if (!tui_may("dkim.del"))
		return;
	snprintf(k->domain, sizeof k->domain, "%s", domain);
	snprintf(k->selector, sizeof k->selector, "%s", selector);
	snprintf(question, sizeof question, "Delete the DKIM key %s of %s? "
	    "Its mail goes out unsigned", selector, domain);
	dialog_confirm(question, "Delete", dkim_delete_done, k);
}

static int
dkim_action(struct screen *s, enum tui_action a)
{
	struct dkim	*k = s->data;

	switch (a) {
	case A_OPEN:	dkim_open(k); break;
	case A_ADD:	dkim_add(k); break;
	case A_DELETE:	dkim_delete(k); break;
	case A_REFRESH:	list_reload(k->list); break;
	default:
		if (!keys_movement(a))
			return 0;
		list_moved(k->list);
		break;
	}
	return 1;
}

static void
dkim_connected(struct screen *s)
{
	struct dkim	*k = s->data;

	list_reload(k->list);
}

static CDKOBJS *
dkim_focus(struct screen *s)
{
	struct dkim	*k = s->data;

	return list_widget(k->list);
}

const struct screen_ops scr_dkim = {
	.title = "DKIM keys",
	.actions = dkim_actions,
	.enter = dkim_enter,
	.build = dkim_build,
	.unbuild = dkim_unbuild,
	.leave = dkim_leave,
	.action = dkim_action,
	.connected = dkim_connected,
	.focus = dkim_focus,
};
