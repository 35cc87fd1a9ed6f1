/*
 * An object as "key  value" lines for a scroll widget.  A user's settings
 * come in the groups of the settings table, like the panel's forms, each
 * line tagged with its group; counters against their limits are drawn as
 * bars; texts of several lines are indented under their key and long
 * values wrapped, all made ASCII-safe.
 */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

#define DETAIL_KEYW	26	/* the key column */
#define DETAIL_MAX	2000	/* lines at most */
#define DETAIL_BAR	20	/* a counter's bar */

static void
detail_push(struct detail_lines *d, char *line, const char *group)
{
	char		**nl;
	const char	**ng;
	int	  size;

	if (line == NULL)
		return;
	if (d->n == DETAIL_MAX) {
		free(line);
		return;
	}
	if (d->n == d->size) {
		size = d->size ? d->size * 2 : 64;
		if ((nl = realloc(d->line, size * sizeof *nl)) == NULL) {
			free(line);
			return;
		}
		d->line = nl;
		if ((ng = realloc(d->group, size * sizeof *ng)) == NULL) {
			free(line);
			return;
		}
		d->group = ng;
		d->size = size;
	}
	d->group[d->n] = group;
	d->line[d->n++] = line;
}

void
detail_clear(struct detail_lines *d)
{
	while (d->n > 0)
		free(d->line[--d->n]);
	free(d->line);
	free(d->group);
	memset(d, 0, sizeof *d);
}

/* "key  value", the value wrapped to width under its column. */
static void
detail_add(struct detail_lines *d, int indent, const char *key,
    const char *value, const char *group, int width)
{
	char		*line;
	int		 col = DETAIL_KEYW, room, len = (int)strlen(value);
	const char	*p = value;

	if (col + 10 > width)
		col = width / 3;
	room = width - col - 1;
	if (room < 10 || len <= room) {
		if (asprintf(&line, "%*s%-*s %s", indent, "", col - indent,
		    key, value) != -1)
			detail_push(d, line, group);
		return;
	}
	for (; len > 0; p += room, len -= room) {
		if (asprintf(&line, "%*s%-*s %.*s", indent, "", col - indent,
		    p == value ? key : "", room, p) != -1)
			detail_push(d, line, group);
	}
}

/* One line of a text, indented and wrapped to width. */
static void
detail_wrap(struct detail_lines *d, int indent, const char *s, int width)
{
	int	 room = width - indent, len = (int)strlen(s);
	char	*line;

	if (room < 10)
		room = 10;
	do {
		if (asprintf(&line, "%*s%.*s", indent, "", room, s) != -1)
			detail_push(d, line, NULL);
		s += len < room ? len : room;
		len -= room;
	} while (len > 0);
}

/* A text of several lines: the key, then each line indented. */
static void
detail_text(struct detail_lines *d, int indent, const char *key,
    const char *text, int width)
{
	const char	*p, *nl;
	char		*one, *safe;
	int		 n = 0;

	detail_add(d, indent, key, "", NULL, width);
	for (p = text; *p != '\0' && n < DETAIL_MAX / 2; p = nl + 1, n++) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if ((one = strndup(p, nl - p)) == NULL)
			return;
		if (nl > p && one[nl - p - 1] == '\r')
			one[nl - p - 1] = '\0';
		safe = text_safe(one, 0);
		free(one);
		detail_wrap(d, indent + 2, safe != NULL ? safe : "?", width);
		free(safe);
		if (*nl == '\0')
			break;
	}
}

static void
detail_member(struct detail_lines *d, int indent, const char *key,
    const json_t *v, const char *group, int width)
{
	char	*text;

	if (json_is_string(v) && strchr(json_string_value(v), '\n') != NULL) {
		detail_text(d, indent, key, json_string_value(v), width);
		return;
	}
	text = text_value(v, strcmp(key, "domain") == 0);
	detail_add(d, indent, key, text != NULL ? text : "?", group, width);
	free(text);
}

/* The settings by group, in the order of the settings table. */
static void
detail_settings(struct detail_lines *d, const json_t *set, int width)
{
	const char	*group = NULL;
	const json_t	*v;
	size_t		 i;
	char		*title;

	for (i = 0; i < ipc_nusets; i++) {
		if ((v = json_object_get(set, ipc_usets[i].key)) == NULL)
			continue;
		if (group == NULL || strcmp(group, ipc_usets[i].group) != 0) {
			group = ipc_usets[i].group;
			detail_add(d, 0, "", "", NULL, width);
			if (asprintf(&title, " %s (Enter edits)", group) != -1)
				detail_push(d, title, group);
		}
		detail_member(d, 3, ipc_usets[i].key, v, group, width);
	}
}

/* {"count":3,"limit":10,...}: "3 / 10  [######--------]  ...". */
static int
detail_counter(struct detail_lines *d, const char *key, const json_t *c,
    int width)
{
	json_t		*count = json_object_get(c, "count");
	json_t		*limit = json_object_get(c, "limit");
	const char	*resets = json_string_value(json_object_get(c,
			    "resets"));
	char		 bar[DETAIL_BAR + 3], value[128];
	long long	 n, max;
	int		 fill, i;

	if (!json_is_integer(count) || !json_is_integer(limit))
		return 0;
	n = json_integer_value(count);
	max = json_integer_value(limit);
	if (max <= 0) {
		snprintf(value, sizeof value, "%lld (no limit)", n);
	} else {
		fill = n >= max ? DETAIL_BAR : (int)(n * DETAIL_BAR / max);
		bar[0] = '[';
		for (i = 0; i < DETAIL_BAR; i++)
			bar[i + 1] = i < fill ? '#' : '.';
		bar[DETAIL_BAR + 1] = ']';
		bar[DETAIL_BAR + 2] = '\0';
		snprintf(value, sizeof value, "%lld / %lld %s%s", n, max, bar,
		    n >= max ? " reached" : "");
	}
	if (resets != NULL && strlen(value) + strlen(resets) + 10 <
	    sizeof value)
		snprintf(value + strlen(value), sizeof value - strlen(value),
		    "  resets %.5s %.5s", strlen(resets) > 16 ? resets + 5 :
		    resets, strlen(resets) > 16 ? resets + 11 : "");
	detail_add(d, 3, key, value, NULL, width);
	return 1;
}

static void
detail_object(struct detail_lines *d, const char *key, const json_t *v,
    int width)
{
	const char	*k;
	json_t		*sub;

	detail_add(d, 0, "", "", NULL, width);
	detail_add(d, 1, key, "", NULL, width);
	json_object_foreach((json_t *)v, k, sub) {
		if (json_is_object(sub) && detail_counter(d, k, sub, width))
			continue;
		detail_member(d, 3, k, sub, NULL, width);
	}
}

void
detail_render(struct detail_lines *d, const json_t *obj, int width)
{
	const char	*key;
	json_t		*v;

	detail_clear(d);
	if (obj == NULL) {
		detail_add(d, 1, "loading...", "", NULL, width);
		return;
	}
	if (!json_is_object(obj)) {
		detail_member(d, 1, "value", obj, NULL, width);
		return;
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "settings") == 0 && json_is_object(v))
			detail_settings(d, v, width);
		else if (json_is_object(v))
			detail_object(d, key, v, width);
		else	/* A user's ranges are edited as a group of their own. */
			detail_member(d, 1, key, v, strcmp(key, "ips") == 0 ?
			    DETAIL_IPS : NULL, width);
	}
}
