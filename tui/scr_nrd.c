/*
 * Newly registered domains: the feed's state (nrd status), and below it
 * the answer of the last check and the report of the last import made
 * here.  c checks a domain as the relay would (nrd check); i imports a
 * file of feed lines (super-admins only: the key is not offered to
 * others), sent in parts with its progress on the message line; leaving
 * the screen stops it, the parts already sent staying imported.
 */
#define _GNU_SOURCE		/* asprintf */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const enum tui_action nrd_actions[] = {
	A_CHECK, A_IMPORT, A_REFRESH, A_HELP, A_BACK, A_QUIT, A_UP, A_DOWN,
	A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

/* A domain admin does not import. */
static const enum tui_action nrd_actions_admin[] = {
	A_CHECK, A_REFRESH, A_HELP, A_BACK, A_QUIT, A_UP, A_DOWN, A_HOME,
	A_END, A_PGUP, A_PGDN, A_NONE
};

struct nrd {
	struct screen		*screen;
	json_t			*status;	/* nrd.status, or NULL */
	json_t			*check;		/* the last check's answer */
	json_t			*report;	/* the last import's */
	char			 file[PATH_MAX];	/* ... of this file */
	struct transfer		*xfer;		/* an import under way */
	CDKSCROLL		*scroll;
	int			 selected;
	struct detail_lines	 lines;
};

static void
nrd_reply(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct screen	*s = arg;
	struct nrd	*n = s->data;

	if (rc == IPC_CALL_REFUSED)
		frame_err("%s", err->message);
	if (rc != IPC_CALL_OK)
		return;
	json_decref(n->status);
	n->status = json_incref(result);
	if (tui.top == s)
		tui_rebuild();
}

static void
nrd_ask(struct screen *s)
{
	conn_call("nrd.status", NULL, nrd_reply, s);
}

static int
nrd_enter(struct screen *s, void *param)
{
	struct nrd	*n;

	if ((n = calloc(1, sizeof *n)) == NULL)
		return -1;
	n->screen = s;
	s->data = n;
	nrd_ask(s);
	return 0;
}

static const char *
nrd_str(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* The bad lines of a report as lines of text: "line 6: why: text". */
static json_t *
nrd_bad_text(const json_t *bad)
{
	const json_t	*b;
	char		*text = NULL, *more;
	size_t		 i;
	json_t		*s;

	json_array_foreach(bad, i, b) {
		if (asprintf(&more, "%sline %lld: %s: %s", text != NULL ? text :
		    "", (long long)json_integer_value(json_object_get(b,
		    "line")), nrd_str(b, "error"), nrd_str(b, "text")) == -1)
			break;
		free(text);
		if (asprintf(&text, "%s\n", more) == -1)
			text = NULL;
		free(more);
		if (text == NULL)
			break;
	}
	s = json_string(text != NULL ? text : "");
	free(text);
	return s;
}

/* The page: the feed, the last check, the last import. */
static json_t *
nrd_page(struct nrd *n)
{
	json_t	*page = json_object(), *report;
	char	 key[PATH_MAX + 32];

	if (n->status != NULL)
		json_object_set(page, "Feed", n->status);
	else
		json_object_set_new(page, "Feed", json_pack("{s:s}", "state",
		    "loading..."));
	if (n->check != NULL) {
		snprintf(key, sizeof key, "Check of %s", json_string_value(
		    json_object_get(n->check, "domain")));
		json_object_set(page, key, n->check);
	}
	if (n->report != NULL) {
		report = json_deep_copy(n->report);
		if (json_array_size(json_object_get(report, "bad_lines")) > 0)
			json_object_set_new(report, "bad_lines",
			    nrd_bad_text(json_object_get(report, "bad_lines")));
		else
			json_object_del(report, "bad_lines");
		snprintf(key, sizeof key, "Import of %s", n->file);
		json_object_set_new(page, key, report);
	}
	return page;
}

static void
nrd_build(struct screen *s)
{
	struct nrd	*n = s->data;
	json_t		*page = nrd_page(n);

	s->actions = tui.super || !tui.known ? nrd_actions : nrd_actions_admin;
	detail_render(&n->lines, page, COLS - 4);
	json_decref(page);
	n->scroll = newCDKScroll(tui.cdk, LEFT, frame_body_top(), RIGHT,
	    frame_body_lines(), COLS, NULL, (CDK_CSTRING2)n->lines.line,
	    n->lines.n, FALSE, A_REVERSE, TRUE, FALSE);
	s->focus = n->scroll != NULL ? ObjOf(n->scroll) : NULL;
	if (n->scroll == NULL)
		return;
	if (n->selected >= n->lines.n)
		n->selected = n->lines.n - 1;
	setCDKScrollCurrentItem(n->scroll, n->selected > 0 ? n->selected : 0);
	drawCDKScroll(n->scroll, TRUE);
}

static void
nrd_unbuild(struct screen *s)
{
	struct nrd	*n = s->data;

	if (n->scroll == NULL)
		return;
	n->selected = getCDKScrollCurrentItem(n->scroll);
	destroyCDKScroll(n->scroll);
	n->scroll = NULL;
	s->focus = NULL;
}

static void
nrd_leave(struct screen *s)
{
	struct nrd	*n = s->data;

	if (n->xfer != NULL) {
		transfer_cancel(n->xfer);
		frame_msg("import of %s stopped: the parts sent before are "
		    "imported", n->file);
	}
	dialog_forget(n);
	conn_forget(n);
	detail_clear(&n->lines);
	json_decref(n->status);
	json_decref(n->check);
	json_decref(n->report);
	free(n);
}

static void
nrd_checked(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct nrd	*n = arg;
	const char	*d = json_string_value(json_object_get(result, "domain"));

	if (rc != IPC_CALL_OK) {
		tui_call_failed(rc, err);
		return;
	}
	json_decref(n->check);
	n->check = json_incref(result);
	frame_msg("%s: %s", d != NULL ? d : "?", json_string_value(
	    json_object_get(result, "decision")));
	if (tui.top == n->screen)
		tui_rebuild();
}

static void
nrd_check_domain(void *arg, int ok, const char *text)
{
	struct nrd	*n = arg;

	if (!ok || *text == '\0')
		return;
	if (conn_call("nrd.check", json_pack("{s:s}", "domain", text),
	    nrd_checked, n) == -1)
		frame_err("the daemon is slow to answer: try again");
	else
		frame_msg("checking %s...", text);
}

/* The file's last component, for the message line. */
static const char *
nrd_base(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

static void
nrd_imported(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct nrd	*n = arg;

	n->xfer = NULL;
	if (rc == IPC_CALL_OK) {
		json_decref(n->report);
		n->report = json_incref(result);
		frame_msg("%s: %lld lines, %lld imported, %lld bad",
		    nrd_base(n->file),
		    (long long)json_integer_value(json_object_get(result,
		    "lines")), (long long)json_integer_value(json_object_get(
		    result, "imported")), (long long)json_integer_value(
		    json_object_get(result, "bad")));
		nrd_ask(n->screen);
		if (tui.top == n->screen)
			tui_rebuild();
	} else if (rc == TRANSFER_LOCAL || rc == IPC_CALL_REFUSED)
		frame_err("import of %s: %s", n->file, err->message);
	else
		frame_err("import of %s stopped, no answer from the daemon "
		    "(%s): the parts sent before are imported", n->file,
		    err->message);
}

static void
nrd_import_path(void *arg, int ok, const char *text)
{
	struct nrd	*n = arg;
	char		*cause = NULL;

	if (!ok || *text == '\0')
		return;
	if (transfer_path(text, n->file, sizeof n->file) == -1) {
		frame_err("%s: path too long", text);
		return;
	}
	if ((n->xfer = transfer_upload("nrd.import", NULL, n->file,
	    nrd_imported, n, &cause)) == NULL) {
		frame_err("%s", cause);
		free(cause);
		return;
	}
	frame_msg("importing %s...", nrd_base(n->file));
}

static int
nrd_action(struct screen *s, enum tui_action a)
{
	struct nrd	*n = s->data;

	switch (a) {
	case A_REFRESH:
		nrd_ask(s);
		return 1;
	case A_CHECK:
		if (tui_may("nrd.check"))
			dialog_input("Check a domain or an e-mail address",
			    NULL, nrd_check_domain, n);
		return 1;
	case A_IMPORT:
		if (n->xfer != NULL)
			frame_msg("an import is under way: wait for it, or "
			    "leave the screen to stop it");
		else if (tui_may("nrd.import"))
			dialog_input("Import feed lines (DOMAIN or DOMAIN,"
			    "REGISTERED-AT) from the file", NULL,
			    nrd_import_path, n);
		return 1;
	default:
		return 0;
	}
}

static void
nrd_tick(struct screen *s)
{
	struct nrd	*n = s->data;
	char		 how[64];

	if (n->xfer == NULL)
		return;
	transfer_progress(n->xfer, how, sizeof how);
	frame_msg("importing %s: %s", nrd_base(n->file), how);
}

const struct screen_ops scr_nrd = {
	.title = "Newly registered domains",
	.actions = nrd_actions,
	.enter = nrd_enter,
	.build = nrd_build,
	.unbuild = nrd_unbuild,
	.leave = nrd_leave,
	.action = nrd_action,
	.tick = nrd_tick,
	.connected = nrd_ask,
};
