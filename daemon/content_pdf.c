/*
 * PDFs that act: the names /JavaScript, /JS, /Launch, /EmbeddedFile and
 * /EmbeddedFiles.  A small lexer walks the file's tokens so that names
 * are seen only where they are names: not inside strings, comments or
 * stream data (an image may hold "/JS" by chance), with #xx escapes
 * decoded ("/J#61vaScript").  Object streams (/Type /ObjStm, deflated)
 * hold dictionaries too: they are inflated, within the scan's budget,
 * and walked the same way.
 */
#define _GNU_SOURCE		/* memmem */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "content_int.h"

/* Bytes one object stream may inflate to. */
#define PDF_OBJSTM_MAX	(16 * 1024 * 1024)

struct pdf {
	struct content_scan		*s;
	const struct content_where	*w;
	int				 objstm; /* /Type /ObjStm */
	int				 flate;	 /* /FlateDecode */
	const char			*found;
};

static const struct {
	const char	*name;
	const char	*what;
} pdf_names[] = {
	{ "JavaScript", "is a PDF with JavaScript" },
	{ "JS", "is a PDF with JavaScript" },
	{ "Launch", "is a PDF that launches programs (/Launch)" },
	{ "EmbeddedFile", "is a PDF with embedded files" },
	{ "EmbeddedFiles", "is a PDF with embedded files" },
};

static int
pdf_space(unsigned char c)
{
	return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32;
}

static int
pdf_delim(unsigned char c)
{
	return pdf_space(c) || strchr("()<>[]{}/%", c) != NULL;
}

static int
pdf_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A name at p[i] ('/'): decode it and note what it says. */
static size_t
pdf_name(struct pdf *c, const unsigned char *p, size_t len, size_t i)
{
	char	name[32];
	size_t	n = 0, k;
	int	hi, lo;

	for (i++; i < len && !pdf_delim(p[i]); i++) {
		if (p[i] == '#' && i + 2 < len &&
		    (hi = pdf_hex(p[i + 1])) >= 0 &&
		    (lo = pdf_hex(p[i + 2])) >= 0) {
			if (n < sizeof name - 1)
				name[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (n < sizeof name - 1)
			name[n++] = (char)p[i];
		else
			n = sizeof name;	/* too long to matter */
	}
	if (n >= sizeof name)
		return i;
	name[n] = '\0';
	for (k = 0; k < sizeof pdf_names / sizeof pdf_names[0]; k++)
		if (strcmp(name, pdf_names[k].name) == 0)
			c->found = pdf_names[k].what;
	if (strcmp(name, "ObjStm") == 0)
		c->objstm = 1;
	else if (strcmp(name, "FlateDecode") == 0 || strcmp(name, "Fl") == 0)
		c->flate = 1;
	return i;
}

/* Past a literal string at p[i] ('('): nested parentheses, escapes. */
static size_t
pdf_string(const unsigned char *p, size_t len, size_t i)
{
	unsigned	depth = 0;

	for (; i < len; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

static int pdf_lex(struct pdf *, const unsigned char *, size_t, int);

/* Double buf's capacity, up to limit. */
static int
pdf_grow(unsigned char **buf, size_t *cap, size_t limit)
{
	unsigned char	*p;

	if (*cap >= limit || (p = realloc(*buf, *cap * 2)) == NULL)
		return -1;
	*buf = p;
	*cap *= 2;
	return 0;
}

/* Inflate an object stream and walk its dictionaries. */
static void
pdf_objstm(struct pdf *c, const unsigned char *p, size_t len)
{
	struct content_scan	*s = c->s;
	GConverter		*z;
	GConverterResult	 res;
	GError			*err = NULL;
	unsigned char		*buf;
	size_t			 cap = 64 * 1024, out = 0, in = 0;
	size_t			 limit, room;
	gsize			 r, w;
	int			 full;

	if (s->unpacked >= s->o->max_unpacked)
		return;
	limit = s->o->max_unpacked - s->unpacked;
	if (limit > PDF_OBJSTM_MAX)
		limit = PDF_OBJSTM_MAX;
	if ((buf = malloc(cap)) == NULL)
		return;
	z = G_CONVERTER(g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB));
	for (;;) {
		room = (cap < limit ? cap : limit) - out;
		if (room == 0) {
			if (pdf_grow(&buf, &cap, limit) == -1)
				break;
			continue;
		}
		res = g_converter_convert(z, p + in, len - in, buf + out, room,
		    G_CONVERTER_INPUT_AT_END, &r, &w, &err);
		if (res == G_CONVERTER_ERROR) {
			full = g_error_matches(err, G_IO_ERROR,
			    G_IO_ERROR_NO_SPACE);
			g_clear_error(&err);
			if (full && pdf_grow(&buf, &cap, limit) == 0)
				continue;
			break;
		}
		in += r;
		out += w;
		if (res == G_CONVERTER_FINISHED || (r == 0 && w == 0))
			break;
	}
	g_object_unref(z);
	s->unpacked += out;
	pdf_lex(c, buf, out, 1);
	free(buf);
}

/* A keyword at p[i..j): a stream's data is skipped (or inflated). */
static size_t
pdf_word(struct pdf *c, const unsigned char *p, size_t len, size_t i,
    size_t j, int nested)
{
	const unsigned char	*end;
	size_t			 start;

	if ((j - i == 3 && memcmp(p + i, "obj", 3) == 0) ||
	    (j - i == 6 && memcmp(p + i, "endobj", 6) == 0)) {
		c->objstm = c->flate = 0;
		return j;
	}
	if (j - i != 6 || memcmp(p + i, "stream", 6) != 0)
		return j;
	start = j;
	if (start < len && p[start] == '\r')
		start++;
	if (start < len && p[start] == '\n')
		start++;
	end = memmem(p + start, len - start, "endstream", 9);
	j = end != NULL ? (size_t)(end - p) : len;
	if (!nested && c->objstm && c->flate)
		pdf_objstm(c, p + start, j - start);
	c->objstm = c->flate = 0;
	return end != NULL ? j + 9 : len;
}

static int
pdf_lex(struct pdf *c, const unsigned char *p, size_t len, int nested)
{
	const unsigned char	*q;
	size_t			 i = 0, j;

	while (i < len && c->found == NULL) {
		switch (p[i]) {
		case '%':
			while (i < len && p[i] != '\r' && p[i] != '\n')
				i++;
			break;
		case '(':
			i = pdf_string(p, len, i);
			break;
		case '<':
			if (i + 1 < len && p[i + 1] == '<')
				i += 2;
			else if ((q = memchr(p + i, '>', len - i)) != NULL)
				i = (size_t)(q - p) + 1;
			else
				i = len;
			break;
		case '/':
			i = pdf_name(c, p, len, i);
			break;
		default:
			if (pdf_delim(p[i])) {
				i++;
				break;
			}
			for (j = i; j < len && !pdf_delim(p[j]); j++)
				;
			i = pdf_word(c, p, len, i, j, nested);
			break;
		}
	}
	return c->found != NULL;
}

int
content_pdf(struct content_scan *s, const struct content_where *w,
    const unsigned char *p, size_t len)
{
	struct pdf	c = { .s = s, .w = w };

	if (!pdf_lex(&c, p, len, 0))
		return 0;
	return content_block(s, CONTENT_DANGEROUS, w, "%s", c.found);
}
