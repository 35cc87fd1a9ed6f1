/*
 * Archive: the archived copies of relayed messages, newest first, a page
 * at a time.  The filter form takes the criteria of archive search; Enter
 * shows a row; x writes the message, byte for byte, to a file the admin
 * names (asking before it replaces one); v reads it in $PAGER.  Both
 * fetch it in parts (transfer.c), the keyboard live meanwhile; leaving
 * the screen stops them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui.h"

static const struct list_col arch_cols[] = {
	{ "id", "ID", 5, 0 },
	{ "time", "SENT", 16, LC_TIME },
	{ "user", "USER", 12, 0 },
	{ "sender", "SENDER", 0, 0 },
	{ "recipients", "RECIPIENTS", 15, 0 },
	{ "size", "SIZE", 7, 0 },
	{ NULL, NULL, 0, 0 }
};

static const enum tui_action arch_actions[] = {
	A_OPEN, A_FILTER, A_EXPORT, A_VIEW, A_HELP, A_BACK, A_QUIT, A_REFRESH,
	A_UP, A_DOWN, A_HOME, A_END, A_PGUP, A_PGDN, A_NONE
};

/* The filter form's fields: the arguments of archive.search. */
static const struct filter_field arch_fields[] = {
	{ "domain", "Domain" }, { "user", "User" }, { "sender", "Sender" },
	{ "recipient", "Recipient" }, { "since", "Since" },
	{ "until", "Until" }, { "queue_id", "Queue ID" },
	{ NULL, NULL }
};

struct arch {
	struct list	*list;
	json_t		*filter;	/* archive.search arguments */
	struct transfer	*xfer;		/* an export or a view under way */
	json_int_t	 id;		/* ... of this message */
	char		 path[PATH_MAX];	/* ... to this file */
	char		 viewdir[PATH_MAX];	/* a view's private directory */
};

static void
arch_args(void *arg, json_t *args)
{
	struct arch	*a = arg;

	json_object_update(args, a->filter);
}

static int
arch_enter(struct screen *s, void *param)
{
	struct arch	*a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return -1;
	a->filter = json_object();
	if ((a->list = list_new("archive.search", arch_cols, "id", arch_args,
	    a)) == NULL) {
		json_decref(a->filter);
		free(a);
		return -1;
	}
	s->data = a;
	return 0;
}

static void
arch_build(struct screen *s)
{
	struct arch	*a = s->data;

	list_build(a->list, frame_body_top(), frame_body_lines());
}

static void
arch_unbuild(struct screen *s)
{
	struct arch	*a = s->data;

	list_hide(a->list);
}

/* A view's file and directory go. */
static void
arch_view_clean(struct arch *a)
{
	if (a->viewdir[0] == '\0')
		return;
	unlink(a->path);
	rmdir(a->viewdir);
	a->viewdir[0] = '\0';
}

static void
arch_leave(struct screen *s)
{
	struct arch	*a = s->data;

	if (a->xfer != NULL) {
		transfer_cancel(a->xfer);
		frame_msg("stopped: message %lld was not fetched",
		    (long long)a->id);
	}
	arch_view_clean(a);
	dialog_forget(a);
	list_free(a->list);
	json_decref(a->filter);
	free(a);
}

static void
arch_filtered(void *arg)
{
	struct arch	*a = arg;

	filter_label(a->list, a->filter);
	list_reload(a->list);
	frame_msg("%s", json_object_size(a->filter) ? "filtered" :
	    "every archived message");
}

/* The selected row's id, or -1 (said). */
static json_int_t
arch_selected(struct arch *a)
{
	json_t	*id = json_object_get(list_selected(a->list), "id");

	if (!json_is_integer(id)) {
		frame_msg("no message selected");
		return -1;
	}
	if (a->xfer != NULL) {
		frame_msg("message %lld is still being fetched: wait for it, "
		    "or leave the screen to stop it", (long long)a->id);
		return -1;
	}
	return json_integer_value(id);
}

static void
arch_show(struct arch *a)
{
	json_t			*item = list_selected(a->list);
	struct detail_param	 p;
	char			 title[64];

	if (item == NULL) {
		frame_msg("no message selected");
		return;
	}
	snprintf(title, sizeof title, "Message %lld", (long long)
	    json_integer_value(json_object_get(item, "id")));
	p.title = title;
	p.cmd = NULL;
	p.args = NULL;
	p.value = item;
	tui_push(&scr_detail, &p);
}

static void
arch_exported(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct arch	*a = arg;

	a->xfer = NULL;
	if (rc == IPC_CALL_OK)
		frame_msg("message %lld written to %s (%lld bytes)",
		    (long long)a->id, a->path, (long long)json_integer_value(
		    json_object_get(result, "size")));
	else if (rc == TRANSFER_LOCAL || rc == IPC_CALL_REFUSED)
		frame_err("message %lld not written: %s", (long long)a->id,
		    err->message);
	else
		tui_call_failed(rc, err);
}

static void
arch_export_start(struct arch *a)
{
	char	*cause = NULL;

	a->xfer = transfer_download("archive.export", json_pack("{s:I}",
	    "id", a->id), a->path, arch_exported, a, &cause);
	if (a->xfer == NULL) {
		frame_err("message %lld not written: %s", (long long)a->id,
		    cause);
		free(cause);
		return;
	}
	frame_msg("writing message %lld to %s...", (long long)a->id, a->path);
}

static void
arch_replace(void *arg, int ok, const char *text)
{
	struct arch	*a = arg;

	if (ok)
		arch_export_start(a);
	else
		frame_msg("nothing written: %s is left as it was", a->path);
}

/* The path as typed, "~/" as $HOME, made absolute: it is said so. */
static int
arch_abs_path(const char *text, char *path, size_t size)
{
	char	typed[PATH_MAX], cwd[PATH_MAX];

	if (transfer_path(text, typed, sizeof typed) == -1)
		return -1;
	if (typed[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return snprintf(path, size, "%s", typed) < (int)size ? 0 : -1;
	return snprintf(path, size, "%s/%s", cwd, typed) < (int)size ? 0 : -1;
}

/* The path was typed: an existing file is replaced only when told. */
static void
arch_export_path(void *arg, int ok, const char *text)
{
	struct arch	*a = arg;
	struct stat	 sb;
	char		 question[PATH_MAX + 64];

	if (!ok || *text == '\0') {
		frame_msg("nothing written");
		return;
	}
	if (arch_abs_path(text, a->path, sizeof a->path) == -1) {
		frame_err("%s: path too long", text);
		return;
	}
	if (stat(a->path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		frame_err("%s is a directory: name a file", a->path);
		return;
	}
	if (stat(a->path, &sb) == 0) {
		snprintf(question, sizeof question, "%s exists: replace it "
		    "with message %lld?", a->path, (long long)a->id);
		dialog_confirm(question, "Replace", arch_replace, a);
		return;
	}
	arch_export_start(a);
}

static void
arch_export(struct arch *a)
{
	char	label[80], initial[64];

	if ((a->id = arch_selected(a)) == -1)
		return;
	snprintf(label, sizeof label, "Write message %lld to the file",
	    (long long)a->id);
	snprintf(initial, sizeof initial, "message-%lld.eml",
	    (long long)a->id);
	dialog_input(label, initial, arch_export_path, a);
}

static void
arch_viewed(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct arch	*a = arg;

	a->xfer = NULL;
	if (rc == IPC_CALL_OK) {
		frame_clear();
		run_pager_file(a->path);
	} else if (rc == TRANSFER_LOCAL || rc == IPC_CALL_REFUSED)
		frame_err("message %lld cannot be shown: %s", (long long)a->id,
		    err->message);
	else
		tui_call_failed(rc, err);
	arch_view_clean(a);
}

/* Fetched into a directory of our own, shown, removed. */
static void
arch_view(struct arch *a)
{
	const char	*tmp = getenv("TMPDIR");
	char		*cause = NULL;

	if ((a->id = arch_selected(a)) == -1)
		return;
	snprintf(a->viewdir, sizeof a->viewdir, "%s/outfilter-tui.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(a->viewdir) == NULL) {
		frame_err("cannot make a directory in %s: %s", tmp != NULL &&
		    *tmp != '\0' ? tmp : "/tmp", strerror(errno));
		a->viewdir[0] = '\0';
		return;
	}
	if (snprintf(a->path, sizeof a->path, "%s/message-%lld.eml",
	    a->viewdir, (long long)a->id) >= (int)sizeof a->path) {
		frame_err("%s: path too long", a->viewdir);
		rmdir(a->viewdir);
		a->viewdir[0] = '\0';
		return;
	}
	a->xfer = transfer_download("archive.export", json_pack("{s:I}",
	    "id", a->id), a->path, arch_viewed, a, &cause);
	if (a->xfer == NULL) {
		frame_err("message %lld cannot be shown: %s", (long long)a->id,
		    cause);
		free(cause);
		arch_view_clean(a);
		return;
	}
	frame_msg("fetching message %lld...", (long long)a->id);
}

static int
arch_action(struct screen *s, enum tui_action a)
{
	struct arch	*ar = s->data;

	switch (a) {
	case A_OPEN:	arch_show(ar); break;
	case A_FILTER:
		filter_open("archive.search", arch_fields, &ar->filter,
		    arch_filtered, ar);
		break;
	case A_EXPORT:	arch_export(ar); break;
	case A_VIEW:	arch_view(ar); break;
	case A_REFRESH:	list_reload(ar->list); break;
	default:
		if (!keys_movement(a))
			return 0;
		list_moved(ar->list);
		break;
	}
	return 1;
}

/* A large message: how far it got. */
static void
arch_tick(struct screen *s)
{
	struct arch	*a = s->data;
	char		 how[64];

	if (a->xfer == NULL)
		return;
	transfer_progress(a->xfer, how, sizeof how);
	frame_msg("fetching message %lld: %s", (long long)a->id, how);
}

static void
arch_connected(struct screen *s)
{
	struct arch	*a = s->data;

	list_reload(a->list);
}

static CDKOBJS *
arch_focus(struct screen *s)
{
	struct arch	*a = s->data;

	return list_widget(a->list);
}

const struct screen_ops scr_archive = {
	.title = "Archive",
	.actions = arch_actions,
	.enter = arch_enter,
	.build = arch_build,
	.unbuild = arch_unbuild,
	.leave = arch_leave,
	.action = arch_action,
	.tick = arch_tick,
	.connected = arch_connected,
	.focus = arch_focus,
};
