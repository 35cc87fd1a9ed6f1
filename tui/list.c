/*
 * A table fed by a CMDF_LIST command: a CDKSCROLL of fixed-width rows
 * under a header line, fetched a page at a time (limit + after) as the
 * selection nears the last row loaded.  Never the whole table at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

/* Rows per request, and how close to the end the next page is asked for. */
#define LIST_PAGE	100
#define LIST_AHEAD	20
#define LIST_MAX_COLS	8

struct list {
	const char		*cmd;
	const char		*id;		/* member naming a row */
	const struct list_col	*cols;
	int			 ncols;
	int			 width[LIST_MAX_COLS];
	list_args_fn		*argsfn;
	void			*arg;
	json_t			*items;		/* rows loaded so far */
	char			*next;		/* cursor of the next page */
	int			 loading;	/* a request is out */
	int			 first;		/* ... for the first page */
	int			 again;		/* reload when it is back */
	int			 unreachable;	/* the last request got no answer */
	json_t			*keep;		/* reselect this row (its id) */
	int			 selected;
	char			 status[256];
	char			 label[128];
	CDKSCROLL		*scroll;
	int			 built;		/* between build and hide */
	int			 top, lines;	/* where */
	void			(*changed)(void *);	/* rows came */
};

static void	list_fetch(struct list *);
static void	list_unbuild(struct list *);
static int	list_find(const struct list *, const json_t *);

struct list *
list_new(const char *cmd, const struct list_col *cols, const char *id,
    list_args_fn *argsfn, void *arg)
{
	struct list	*l;

	if ((l = calloc(1, sizeof *l)) == NULL)
		return NULL;
	l->cmd = cmd;
	l->cols = cols;
	l->id = id != NULL ? id : cols[0].key;
	while (l->ncols < LIST_MAX_COLS && cols[l->ncols].key != NULL)
		l->ncols++;
	l->argsfn = argsfn;
	l->arg = arg;
	l->items = json_array();
	l->first = 1;
	list_fetch(l);
	return l;
}

void
list_free(struct list *l)
{
	if (l == NULL)
		return;
	conn_forget(l);
	list_hide(l);
	json_decref(l->items);
	free(l->next);
	json_decref(l->keep);
	free(l);
}

/* Column widths for this terminal: the flexible column takes the rest. */
static void
list_widths(struct list *l)
{
	int	i, fixed = 0, room = COLS - 4 - (l->ncols - 1), flex = -1, min;

	for (i = 0; i < l->ncols; i++) {
		l->width[i] = l->cols[i].width;
		if (l->width[i] == 0)
			flex = i;
		/* Times keep their width: a cut date says nothing. */
		if (l->cols[i].flags & LC_TIME)
			room -= l->width[i];
		else
			fixed += l->width[i];
	}
	/*
	 * A narrow terminal takes from the fixed columns, in proportion; the
	 * flexible one keeps a fifth of the room.
	 */
	min = flex >= 0 ? (room / 5 > 10 ? room / 5 : 10) : 0;
	if (fixed > 0 && fixed + min > room) {
		for (i = 0; i < l->ncols; i++) {
			if (!(l->cols[i].flags & LC_TIME))
				l->width[i] = l->width[i] * (room - min) /
				    fixed;
		}
		fixed = room - min;
	}
	if (flex >= 0)
		l->width[flex] = room - fixed > 0 ? room - fixed : 1;
}

/* A cell's text, malloc'ed: times shortened to the minute. */
static char *
list_cell(const struct list_col *c, const json_t *v)
{
	const char	*s = json_string_value(v);
	char		 buf[32];

	if (v == NULL)
		v = json_null();
	/* "2026-01-02T03:04:05Z": to the minute, without the year if narrow. */
	if ((c->flags & LC_TIME) && s != NULL && strlen(s) >= 16 &&
	    s[10] == 'T') {
		snprintf(buf, sizeof buf, "%.*s %.5s", c->width < 16 ? 5 : 10,
		    c->width < 16 ? s + 5 : s, s + 11);
		return text_safe(buf, 0);
	}
	return text_value(v, c->flags & LC_DOMAIN);
}

/* One item as a row of fixed-width cells, malloc'ed. */
static char *
list_row(const struct list *l, const json_t *item)
{
	char	*row = malloc(COLS + 64), cell[512], *v;
	size_t	 len = 0;
	int	 i;

	if (row == NULL)
		return NULL;
	row[0] = '\0';
	for (i = 0; i < l->ncols; i++) {
		v = list_cell(&l->cols[i], json_object_get(item,
		    l->cols[i].key));
		text_cell(cell, sizeof cell, v != NULL ? v : "?", l->width[i]);
		free(v);
		len += snprintf(row + len, COLS + 64 - len, "%s%s",
		    i > 0 ? " " : "", cell);
		if (len >= (size_t)COLS + 63)
			break;
	}
	return row;
}

/* The widget's title: a status line, then the header. */
static char *
list_title(struct list *l)
{
	char	*t = malloc(COLS + 256), cell[256];
	size_t	 len;
	int	 i;

	if (t == NULL)
		return NULL;
	len = snprintf(t, COLS + 256, "<L>%s\n<L>", l->status);
	for (i = 0; i < l->ncols; i++) {
		text_cell(cell, sizeof cell, l->cols[i].title, l->width[i]);
		len += snprintf(t + len, COLS + 256 - len, "%s%s",
		    i > 0 ? " " : "", cell);
		if (len >= (size_t)COLS + 200)
			break;
	}
	return t;
}

static void
list_status(struct list *l)
{
	size_t	n = json_array_size(l->items);

	if (l->unreachable && n == 0)
		snprintf(l->status, sizeof l->status, "no answer from the "
		    "daemon: retrying");
	else if (l->loading && n == 0)
		snprintf(l->status, sizeof l->status, "loading...");
	else if (n == 0)
		snprintf(l->status, sizeof l->status, "nothing to show");
	else
		snprintf(l->status, sizeof l->status, "%zu row%s loaded%s", n,
		    n == 1 ? "" : "s", l->next != NULL ? ", more below" : "");
	if (l->label[0] != '\0') {
		n = strlen(l->status);
		snprintf(l->status + n, sizeof l->status - n, "  [%s]",
		    l->label);
	}
}

/*
 * Make the widget with the loaded rows, keeping the selection.  It is made
 * anew each time: setCDKScrollItems() leaks the rows it replaces and
 * ignores an empty list (CDK 5.0.20180306).
 */
static void
list_fill(struct list *l)
{
	size_t	 n = json_array_size(l->items), i;
	char	**rows, *title;

	list_status(l);
	if (!l->built)
		return;
	list_unbuild(l);
	if ((rows = calloc(n + 1, sizeof *rows)) == NULL)
		return;
	for (i = 0; i < n; i++)
		rows[i] = list_row(l, json_array_get(l->items, i));
	title = list_title(l);
	l->scroll = newCDKScroll(tui.cdk, LEFT, l->top, RIGHT, l->lines, COLS,
	    title, (CDK_CSTRING2)rows, (int)n, FALSE, A_REVERSE, TRUE, FALSE);
	free(title);
	for (i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
	if (l->scroll == NULL)
		return;
	if (n > 0) {
		if (l->selected >= (int)n)
			l->selected = (int)n - 1;
		setCDKScrollCurrentItem(l->scroll, l->selected);
	}
	drawCDKScroll(l->scroll, TRUE);
}

void
list_build(struct list *l, int top, int lines)
{
	l->top = top;
	l->lines = lines;
	l->built = 1;
	list_widths(l);
	list_fill(l);
}

static void
list_unbuild(struct list *l)
{
	if (l->scroll == NULL)
		return;
	if (l->scroll->listSize > 0)
		l->selected = getCDKScrollCurrentItem(l->scroll);
	destroyCDKScroll(l->scroll);
	l->scroll = NULL;
}

/* The screen's unbuild: no widget until list_build() again. */
void
list_hide(struct list *l)
{
	list_unbuild(l);
	l->built = 0;
}

CDKOBJS *
list_widget(struct list *l)
{
	return l->scroll != NULL ? ObjOf(l->scroll) : NULL;
}

/* The id member of a row, to find it again. */
static json_t *
list_name(const struct list *l, const json_t *item)
{
	return json_object_get(item, l->id);
}

static void
list_reselect(struct list *l)
{
	int	i;

	if (l->keep == NULL)
		return;
	if ((i = list_find(l, l->keep)) != -1)
		l->selected = i;
	json_decref(l->keep);
	l->keep = NULL;
}

static void
list_got(struct list *l, json_t *result)
{
	json_t	*items = json_object_get(result, "items");
	json_t	*next = json_object_get(result, "next");

	if (l->first) {
		json_array_clear(l->items);
		l->selected = 0;
	}
	l->first = 0;
	json_array_extend(l->items, items);
	free(l->next);
	l->next = json_is_string(next) ? strdup(json_string_value(next)) : NULL;
	list_reselect(l);
}

static void
list_reply(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct list	*l = arg;

	l->loading = 0;
	if (l->again) {
		l->again = 0;
		list_reload(l);
		return;
	}
	l->unreachable = rc == IPC_CALL_UNREACHABLE;
	if (rc == IPC_CALL_OK)
		list_got(l, result);
	else if (rc == IPC_CALL_REFUSED)
		frame_err("%s", err->message);
	list_fill(l);
	list_moved(l);
	if (l->changed != NULL)
		l->changed(l->arg);
}

static void
list_fetch(struct list *l)
{
	json_t	*args = json_object();

	if (l->argsfn != NULL)
		l->argsfn(l->arg, args);
	json_object_set_new(args, "limit", json_integer(LIST_PAGE));
	if (!l->first && l->next != NULL)
		json_object_set_new(args, "after", json_string(l->next));
	if (conn_call(l->cmd, args, list_reply, l) == 0)
		l->loading = 1;
}

void
list_reload(struct list *l)
{
	json_t		*sel = list_selected(l);
	json_t		*name = sel != NULL ? list_name(l, sel) : NULL;

	if (l->loading) {
		l->again = 1;
		return;
	}
	json_decref(l->keep);
	l->keep = name != NULL ? json_deep_copy(name) : NULL;
	l->first = 1;
	list_fetch(l);
	list_status(l);
}

json_t *
list_selected(struct list *l)
{
	int	i = l->scroll != NULL && l->scroll->listSize > 0 ?
		    getCDKScrollCurrentItem(l->scroll) : l->selected;

	return json_array_get(l->items, i);
}

/* The row whose id is name, or -1. */
static int
list_find(const struct list *l, const json_t *name)
{
	size_t		 i;
	json_t		*item, *n;

	json_array_foreach(l->items, i, item) {
		if ((n = list_name(l, item)) != NULL && json_equal(n, name))
			return (int)i;
	}
	return -1;
}

/* Fresh values (a show or change result) into the row of the same id. */
int
list_merge(struct list *l, const json_t *fresh)
{
	const json_t	*name = list_name(l, fresh);
	const char	*key;
	json_t		*item, *v;
	int		 i;

	if (name == NULL || (i = list_find(l, name)) == -1)
		return 0;
	item = json_array_get(l->items, i);
	json_object_foreach(item, key, v) {
		if (json_object_get(fresh, key) != NULL)
			json_object_set(item, key, json_object_get(fresh, key));
	}
	list_fill(l);
	return 1;
}

/* Remove the row of this id (it was deleted). */
void
list_remove(struct list *l, const json_t *name)
{
	int	i;

	if (name == NULL || (i = list_find(l, name)) == -1)
		return;
	if (l->scroll != NULL && l->scroll->listSize > 0)
		l->selected = getCDKScrollCurrentItem(l->scroll);
	json_array_remove(l->items, i);
	if (l->selected > i)
		l->selected--;
	list_fill(l);
}

/* Near the last row loaded: ask for the next page. */
void
list_moved(struct list *l)
{
	int	n = (int)json_array_size(l->items);

	if (l->scroll != NULL && n > 0)
		l->selected = getCDKScrollCurrentItem(l->scroll);
	if (l->loading || l->next == NULL || l->selected < n - LIST_AHEAD)
		return;
	list_fetch(l);
}

void
list_set_label(struct list *l, const char *s)
{
	char	*safe = text_safe(s, 0);

	snprintf(l->label, sizeof l->label, "%s", safe != NULL ? safe : "");
	free(safe);
}

static void
list_refetched(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	struct list	*l = arg;
	json_t		*item;
	size_t		 i;

	if (rc != IPC_CALL_OK)
		return;
	json_array_foreach(json_object_get(result, "items"), i, item)
		list_merge(l, item);
}

void
list_refetch(struct list *l, const char *cmd, json_t *args)
{
	conn_call(cmd, args, list_refetched, l);
}

void
list_on_change(struct list *l, void (*fn)(void *))
{
	l->changed = fn;
}
