/*
 * Results for people: a page of a list as an aligned table, an object as
 * "key: value" lines, a string as itself.  Scripts use --json instead.
 */
#define _GNU_SOURCE		/* asprintf */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

typedef char *output_cell_fn(const json_t *);

static output_cell_fn output_object_cell, output_array_cell, output_string_cell,
    output_integer_cell, output_real_cell, output_true_cell, output_false_cell,
    output_null_cell;

static output_cell_fn *const output_cells[] = {
	[JSON_OBJECT] = output_object_cell,
	[JSON_ARRAY] = output_array_cell,
	[JSON_STRING] = output_string_cell,
	[JSON_INTEGER] = output_integer_cell,
	[JSON_REAL] = output_real_cell,
	[JSON_TRUE] = output_true_cell,
	[JSON_FALSE] = output_false_cell,
	[JSON_NULL] = output_null_cell,
};

/* One value as a table cell or after "key: ", malloc'ed. */
static char *
output_cell(const json_t *v)
{
	char	*s = output_cells[json_typeof(v)](v);

	return s != NULL ? s : strdup("?");
}

static char *
output_object_cell(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT);
}

static char *
output_array_cell(const json_t *v)
{
	size_t	 i, len = 0;
	json_t	*e;
	char	*s, *out, *tmp;

	if (json_array_size(v) == 0)
		return strdup("-");
	if ((out = strdup("")) == NULL)
		return NULL;
	json_array_foreach(v, i, e) {
		s = output_cell(e);
		tmp = realloc(out, len + strlen(s) + 2);
		if (tmp == NULL) {
			free(s);
			return out;
		}
		out = tmp;
		len += sprintf(out + len, "%s%s", i > 0 ? "," : "", s);
		free(s);
	}
	return out;
}

static char *
output_string_cell(const json_t *v)
{
	char	*s, *p;

	/* An empty cell would shift the columns for awk and for the eye. */
	if (json_string_length(v) == 0)
		return strdup("-");
	s = strdup(json_string_value(v));

	/* One value, one line: tabs and newlines would break the columns. */
	for (p = s; p != NULL && *p != '\0'; p++) {
		if (iscntrl((unsigned char)*p))
			*p = ' ';
	}
	return s;
}

static char *
output_integer_cell(const json_t *v)
{
	char	*s;

	if (asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) == -1)
		return NULL;
	return s;
}

static char *
output_real_cell(const json_t *v)
{
	char	*s;

	if (asprintf(&s, "%g", json_real_value(v)) == -1)
		return NULL;
	return s;
}

static char *
output_true_cell(const json_t *v)
{
	return strdup("yes");
}

static char *
output_false_cell(const json_t *v)
{
	return strdup("no");
}

static char *
output_null_cell(const json_t *v)
{
	return strdup("-");
}

/* Width on a terminal: UTF-8 code points, not bytes. */
static int
output_width(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* Print s padded to width (nothing trailing after the last column). */
static void
output_padded(FILE *out, const char *s, int width, int last)
{
	fputs(s, out);
	if (!last)
		fprintf(out, "%*s", width - output_width(s) + 2, "");
}

/* The columns: every member name of the items, in first-seen order. */
static json_t *
output_columns(const json_t *items)
{
	json_t		*cols = json_object(), *item, *v;
	const char	*key;
	size_t		 i;

	json_array_foreach(items, i, item) {
		json_object_foreach(item, key, v) {
			if (json_object_get(cols, key) == NULL)
				json_object_set_new(cols, key,
				    json_integer(json_object_size(cols)));
		}
	}
	return cols;
}

static void
output_header(FILE *out, const json_t *cols, const int *width)
{
	const char	*key;
	json_t		*v;
	char		*title, *p;
	size_t		 c = 0;

	json_object_foreach((json_t *)cols, key, v) {
		if ((title = strdup(key)) == NULL)
			return;
		for (p = title; *p != '\0'; p++)
			*p = toupper((unsigned char)*p);
		output_padded(out, title, width[c], c + 1 == json_object_size(cols));
		free(title);
		c++;
	}
	fputc('\n', out);
}

/* The cells of every row (rows x columns, NULL where an item lacks one). */
static char **
output_cells_of(const json_t *items, const json_t *cols, int *width)
{
	size_t		 nc = json_object_size(cols), i, c;
	char		**cells = calloc(json_array_size(items) * nc + 1, sizeof *cells);
	json_t		*item, *v;
	const char	*key;

	if (cells == NULL)
		return NULL;
	json_object_foreach((json_t *)cols, key, v)
		width[json_integer_value(v)] = output_width(key);
	json_array_foreach(items, i, item) {
		json_object_foreach((json_t *)cols, key, v) {
			c = json_integer_value(v);
			cells[i * nc + c] = output_cell(json_object_get(item, key) ?
			    json_object_get(item, key) : json_null());
			if (output_width(cells[i * nc + c]) > width[c])
				width[c] = output_width(cells[i * nc + c]);
		}
	}
	return cells;
}

static void
output_table(FILE *out, const json_t *items)
{
	json_t	*cols = output_columns(items);
	size_t	 nc = json_object_size(cols), nr = json_array_size(items), i, c;
	int	*width = calloc(nc + 1, sizeof *width);
	char	**cells = width != NULL ? output_cells_of(items, cols, width) : NULL;

	if (cells != NULL && nc > 0) {
		output_header(out, cols, width);
		for (i = 0; i < nr; i++) {
			for (c = 0; c < nc; c++)
				output_padded(out, cells[i * nc + c], width[c],
				    c + 1 == nc);
			fputc('\n', out);
		}
	}
	for (i = 0; cells != NULL && i < nr * nc; i++)
		free(cells[i]);
	free(cells);
	free(width);
	json_decref(cols);
}

/* A list page: the table, and on err where the next page starts. */
static void
output_list(FILE *out, FILE *err, const json_t *result)
{
	const json_t	*items = json_object_get(result, "items");
	const json_t	*next = json_object_get(result, "next");
	size_t		 i;
	json_t		*item;
	char		*s;
	int		 objects = 1;

	json_array_foreach(items, i, item)
		objects = objects && json_is_object(item);
	if (objects)
		output_table(out, items);
	else {
		json_array_foreach(items, i, item) {
			s = output_cell(item);
			fprintf(out, "%s\n", s);
			free(s);
		}
	}
	if (json_is_string(next))
		fprintf(err, "more: --after %s\n", json_string_value(next));
}

static void output_object(FILE *, const json_t *, int, int);

/* A member whose value needs lines of its own. */
static int
output_is_block(const json_t *v)
{
	size_t	 i;
	json_t	*e;

	if (json_is_object(v))
		return json_object_size(v) > 0;
	if (json_is_string(v))
		return strchr(json_string_value(v), '\n') != NULL;
	json_array_foreach(v, i, e) {
		if (json_is_object(e) || json_is_array(e))
			return 1;
	}
	return 0;
}

/* A value under "key:", indented: object, list of objects, or text. */
static void
output_block(FILE *out, const json_t *v, int indent)
{
	const char	*p;
	size_t		 i, len;
	json_t		*e;
	char		*s;

	if (json_is_object(v)) {
		output_object(out, v, indent, 0);
		return;
	}
	if (json_is_string(v)) {
		for (p = json_string_value(v); *p != '\0'; p += len) {
			len = strcspn(p, "\n");
			fprintf(out, "%*s%.*s\n", indent, "", (int)len, p);
			if (p[len] == '\n')
				len++;
		}
		return;
	}
	json_array_foreach(v, i, e) {
		if (json_is_object(e) && json_object_size(e) > 0)
			output_object(out, e, indent + 2, 1);
		else {
			s = output_cell(e);
			fprintf(out, "%*s- %s\n", indent, "", s);
			free(s);
		}
	}
}

/*
 * "key: value" lines, values aligned.  dash: the first line starts with
 * "- " (an element of a list of objects).
 */
static void
output_object(FILE *out, const json_t *obj, int indent, int dash)
{
	const char	*key;
	json_t		*v;
	int		 width = 0, first = 1;
	char		*s;

	json_object_foreach((json_t *)obj, key, v) {
		if (!output_is_block(v) && output_width(key) > width)
			width = output_width(key);
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (first && dash)
			fprintf(out, "%*s- ", indent - 2, "");
		else
			fprintf(out, "%*s", indent, "");
		first = 0;
		if (output_is_block(v)) {
			fprintf(out, "%s:\n", key);
			output_block(out, v, indent + 2);
			continue;
		}
		s = output_cell(v);
		fprintf(out, "%s:%*s %s\n", key, width - output_width(key), "", s);
		free(s);
	}
}

void
ipc_out_print(FILE *out, FILE *err, const json_t *result)
{
	char	*s;

	if (result == NULL || json_is_null(result) || json_is_true(result))
		return;
	if (json_is_object(result) && json_is_array(json_object_get(result,
	    "items")) && json_object_get(result, "next") != NULL)
		output_list(out, err, result);
	else if (json_is_object(result))
		output_object(out, result, 0, 0);
	else if (json_is_string(result))
		fprintf(out, "%s\n", json_string_value(result));
	else {
		s = output_cell(result);
		fprintf(out, "%s\n", s);
		free(s);
	}
}
