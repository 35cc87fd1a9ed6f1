/*
 * The content scanner: the MIME walk, what each blob is and the verdict.
 * Archives, OLE2 documents, OOXML packages and PDFs have a file each
 * (content_archive.c, content_ole2.c, content_ooxml.c, content_pdf.c);
 * magic numbers and script names live in content_magic.c.
 *
 * Files uuencoded inside text parts are judged too.  TNEF (winmail.dat)
 * and BinHex are containers it does not unpack: they can't be checked.
 *
 * Every check returns 0 to go on and 1 once the scan is over (a verdict
 * was reached, or memory ran out: s->nomem).
 */
#define _GNU_SOURCE		/* memmem, strndup, vasprintf */
#include "config.h"

#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>
#include <gsf/gsf.h>

#include "content_int.h"

void
content_opts_default(struct content_opts *o)
{
	o->macros = 1;
	o->dangerous = 1;
	o->max_depth = 3;
	o->max_entries = 10000;
	o->max_unpacked = 128 * 1024 * 1024;
	o->blob = NULL;
	o->blob_arg = NULL;
	o->max_ratio = 250;
}

static pthread_once_t	ct_once = PTHREAD_ONCE_INIT;
static locale_t		ct_utf8 = (locale_t)0;

/* libgsf's complaints about broken documents: hostile input, not news. */
static void
ct_quiet(const gchar *domain, GLogLevelFlags level, const gchar *message,
    gpointer arg)
{
	(void)domain;
	(void)level;
	(void)message;
	(void)arg;
}

/*
 * GMime and libgsf register their GObject types lazily and without
 * locks: register them all here, once, before any thread parses.
 */
static void
ct_init(void)
{
	g_mime_init();
	gsf_init();
	g_log_set_handler("libgsf", G_LOG_LEVEL_MASK, ct_quiet, NULL);
	g_log_set_handler("libgsf:msole", G_LOG_LEVEL_MASK, ct_quiet, NULL);
	(void)gsf_input_memory_get_type();
	(void)gsf_infile_msole_get_type();
	(void)g_zlib_decompressor_get_type();
	/*
	 * libarchive converts entry names to the current locale's
	 * character set and gives up on non-ASCII names in the C locale.
	 */
	if ((ct_utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) ==
	    (locale_t)0)
		ct_utf8 = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
}

locale_t
content_utf8_locale(void)
{
	return ct_utf8;
}

void
content_init(void)
{
	pthread_once(&ct_once, ct_init);
}

/*
 * Append s to dst (size bytes, NUL-terminated at *off) as valid UTF-8
 * without control or bidirectional-override characters, never cutting a
 * character in two.
 */
static void
ct_put(char *dst, size_t size, size_t *off, const char *s)
{
	gunichar	 c;
	size_t		 n;
	const char	*p = s, *end = s + strlen(s);

	while (p < end && *off + 1 < size) {
		c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			dst[(*off)++] = '?';
			p++;
			continue;
		}
		n = g_utf8_skip[*(const guchar *)p];
		if (c < 0x20 || (c >= 0x7f && c < 0xa0) ||
		    (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069)) {
			dst[(*off)++] = '?';
			p += n;
			continue;
		}
		if (*off + n >= size)
			break;
		memcpy(dst + *off, p, n);
		*off += n;
		p += n;
	}
	dst[*off] = '\0';
}

/*
 * The names from the outermost container to w, joined by '/', in at
 * most size bytes: a path too long keeps its first and last names
 * ("a.zip/.../y.zip/x.exe").
 */
static void
ct_path(char *dst, size_t size, const struct content_where *w)
{
	const struct content_where	*v[64];
	char				 full[4096], *first, *tail;
	size_t				 n = 0, off = 0, len;

	for (; w != NULL && n < sizeof v / sizeof v[0]; w = w->up)
		v[n++] = w;
	full[0] = '\0';
	while (n-- > 0) {
		ct_put(full, sizeof full, &off, v[n]->name);
		if (n > 0)
			ct_put(full, sizeof full, &off, "/");
	}
	off = 0;
	dst[0] = '\0';
	if ((len = strlen(full)) < size ||
	    (first = strchr(full, '/')) == NULL ||
	    (size_t)(first - full) + 6 >= size) {
		ct_put(dst, size, &off, full);
		return;
	}
	*first = '\0';
	tail = full + len - (size - 1 - (size_t)(first - full) - 4);
	while (*tail != '\0' && *tail != '/')
		tail++;
	ct_put(dst, size, &off, full);
	ct_put(dst, size, &off, "/...");
	ct_put(dst, size, &off, *tail != '\0' ? tail : "/");
}

int
content_block(struct content_scan *s, const char *class,
    const struct content_where *w, const char *fmt, ...)
{
	struct content_verdict	*v = s->v;
	va_list			 ap;
	char			*what, up[256];
	size_t			 off = 0, len;
	int			 r;

	va_start(ap, fmt);
	r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (r == -1) {
		s->nomem = 1;
		return 1;
	}
	v->blocked = 1;
	snprintf(v->class, sizeof v->class, "%s", class);
	ct_path(v->part, sizeof v->part, w);
	/* "NAME in CONTAINERS WHAT": the containers give way to the rest. */
	len = strlen(w->name) + strlen(what) + 6;
	ct_put(v->reason, sizeof v->reason, &off, w->name);
	if (w->up != NULL && len + 32 < sizeof v->reason) {
		ct_path(up, sizeof v->reason - len, w->up);
		ct_put(v->reason, sizeof v->reason, &off, " in ");
		ct_put(v->reason, sizeof v->reason, &off, up);
	}
	ct_put(v->reason, sizeof v->reason, &off, " ");
	ct_put(v->reason, sizeof v->reason, &off, what);
	free(what);
	return 1;
}

/*
 * Something that can't be checked (a bomb, an encrypted archive):
 * dangerous content when that check is on; otherwise the caller stops
 * looking into that container and the scan goes on.
 */
int
content_refuse(struct content_scan *s, const struct content_where *w,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*what;
	int	 r;

	if (!s->o->dangerous)
		return 0;
	va_start(ap, fmt);
	r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (r == -1) {
		s->nomem = 1;
		return 1;
	}
	r = content_block(s, CONTENT_DANGEROUS, w, "%s", what);
	free(what);
	return r;
}

int
content_deeper(struct content_scan *s, const struct content_where *w,
    unsigned depth)
{
	return content_refuse(s, w, "is nested more than %u containers deep "
	    "and can't be checked", depth);
}

void
content_size_text(char *buf, size_t size, uint64_t n)
{
	if (n >= 1024ULL * 1024 * 1024)
		snprintf(buf, size, "%.1f GiB", n / (1024.0 * 1024 * 1024));
	else if (n >= 1024 * 1024)
		snprintf(buf, size, "%.0f MiB", n / (1024.0 * 1024));
	else if (n >= 1024)
		snprintf(buf, size, "%.0f KiB", n / 1024.0);
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)n);
}

int
content_blob(struct content_scan *s, const struct content_where *w,
    const unsigned char *p, size_t len, uint64_t full, unsigned depth)
{
	const struct content_opts	*o = s->o;
	enum content_kind		 k;
	const char			*what, *packer;
	char				 known[256];

	if (o->blob != NULL && full == len && o->blob(o->blob_arg, w->name,
	    p, len, known, sizeof known) == 1)
		return content_block(s, CONTENT_DANGEROUS, w, "%s", known);
	if (o->dangerous && (what = content_script(w->name)) != NULL)
		return content_block(s, CONTENT_DANGEROUS, w, "is %s", what);
	switch ((k = content_magic(p, len, full))) {
	case CK_DATA:
		return 0;
	case CK_PE:
	case CK_ELF:
	case CK_MACHO:
	case CK_MACHO_FAT:
	case CK_LNK:
	case CK_CHM:
		if (!o->dangerous)
			return 0;
		if (k <= CK_MACHO_FAT &&
		    (packer = content_packer(p, len, k)) != NULL)
			return content_block(s, CONTENT_DANGEROUS, w,
			    "is %s packed with %s", content_kind_what(k),
			    packer);
		return content_block(s, CONTENT_DANGEROUS, w, "is %s",
		    content_kind_what(k));
	case CK_PDF:
		return o->dangerous ? content_pdf(s, w, p, len) : 0;
	case CK_OLE2:
		return content_ole2(s, w, p, len, depth);
	case CK_TNEF:
	case CK_BINHEX:
		/* What they hold is not unpacked: not checkable. */
		return content_refuse(s, w, "is %s, which is not unpacked and "
		    "so can't be checked", content_kind_what(k));
	default:
		return content_archive(s, w, p, len, k, depth);
	}
}

/* A part's content without its transfer encoding. */
static GByteArray *
ct_decode(GMimePart *part, GMimeStream **out)
{
	static const guint8	 nul;
	GMimeDataWrapper	*dw;
	GByteArray		*ba;

	*out = g_mime_stream_mem_new();
	if ((dw = g_mime_part_get_content(part)) != NULL)
		g_mime_data_wrapper_write_to_stream(dw, *out);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(*out));
	/* An empty part has no data at all: give it a real, empty one. */
	if (ba->data == NULL) {
		g_byte_array_append(ba, &nul, 1);
		g_byte_array_set_size(ba, 0);
	}
	return ba;
}

/*
 * The name on a uuencode "begin 644 name" line at p (len bytes up to the
 * end of the line), or NULL.
 */
static char *
ct_uu_begin(const unsigned char *p, size_t len)
{
	size_t	i = 6, digits = 0;

	if (len < 8 || memcmp(p, "begin ", 6) != 0)
		return NULL;
	for (; i < len && p[i] >= '0' && p[i] <= '7'; i++)
		digits++;
	if (digits < 3 || digits > 4 || i >= len || p[i] != ' ')
		return NULL;
	while (len > i + 1 && (p[len - 1] == '\r' || p[len - 1] == ' '))
		len--;
	return strndup((const char *)p + i + 1, len - i - 1);
}

/* Files uuencoded inside a text part, each judged as a blob. */
static int
ct_uuencoded(struct content_scan *s, const struct content_where *up,
    const unsigned char *p, size_t len)
{
	struct content_where	 w = { up, NULL };
	GMimeEncoding		 enc;
	const unsigned char	*nl, *line = p, *end = p + len;
	unsigned char		*out;
	char			*name;
	size_t			 n, files = 0;
	int			 r = 0;

	while (r == 0 && line < end && files < 16 &&
	    s->unpacked < s->o->max_unpacked) {
		if ((nl = memchr(line, '\n', end - line)) == NULL)
			break;
		name = ct_uu_begin(line, nl - line);
		line = nl + 1;
		if (name == NULL)
			continue;
		files++;
		if ((out = malloc(end - line + 4)) == NULL) {
			free(name);
			s->nomem = 1;
			return 1;
		}
		g_mime_encoding_init_decode(&enc,
		    GMIME_CONTENT_ENCODING_UUENCODE);
		enc.state |= GMIME_UUDECODE_STATE_BEGIN;
		n = g_mime_encoding_step(&enc, (const char *)line, end - line,
		    (char *)out);
		s->unpacked += n;
		w.name = name;
		r = content_blob(s, &w, out, n, n, 0);
		free(out);
		free(name);
	}
	return r;
}

static int
ct_part(struct content_scan *s, GMimeObject *o,
    const struct content_where *up, const char *label)
{
	struct content_where	 w = { up, label };
	const char		*fname, *ctname, *what;
	GMimeStream		*out;
	GByteArray		*ba;
	int			 r;

	fname = g_mime_part_get_filename(GMIME_PART(o));
	ctname = g_mime_object_get_content_type_parameter(o, "name");
	if (fname != NULL)
		w.name = fname;
	else if (ctname != NULL)
		w.name = ctname;
	/* Mail readers differ on which of the two names they show. */
	if (s->o->dangerous && ctname != NULL && ctname != w.name &&
	    (what = content_script(ctname)) != NULL) {
		w.name = ctname;
		return content_block(s, CONTENT_DANGEROUS, &w, "is %s", what);
	}
	ba = ct_decode(GMIME_PART(o), &out);
	r = content_blob(s, &w, ba->data, ba->len, ba->len, 0);
	if (r == 0 && GMIME_IS_TEXT_PART(o) &&
	    (memmem(ba->data, ba->len, "begin ", 6) == ba->data ||
	    memmem(ba->data, ba->len, "\nbegin ", 7) != NULL))
		r = ct_uuencoded(s, &w, ba->data, ba->len);
	g_object_unref(out);
	return r;
}

/* Walk o, numbered num ("1.2") inside the message or attached message. */
static int
ct_mime(struct content_scan *s, GMimeObject *o,
    const struct content_where *up, const char *num, unsigned level)
{
	struct content_where	 w;
	GMimeMultipart		*mp;
	GMimeMessage		*m;
	GMimeObject		*root;
	const char		*fname;
	char			 label[300], sub[256];
	int			 i, n, r;

	snprintf(label, sizeof label, "part %s", *num != '\0' ? num : "1");
	w.up = up;
	w.name = label;
	if (level > CONTENT_MIME_DEPTH)
		return content_refuse(s, &w, "is nested more than %u MIME "
		    "levels deep and can't be checked", CONTENT_MIME_DEPTH);
	if (GMIME_IS_MULTIPART(o)) {
		mp = GMIME_MULTIPART(o);
		n = g_mime_multipart_get_count(mp);
		for (i = 0; i < n; i++) {
			snprintf(sub, sizeof sub, "%s%s%d", num,
			    *num != '\0' ? "." : "", i + 1);
			r = ct_mime(s, g_mime_multipart_get_part(mp, i), up,
			    sub, level + 1);
			if (r != 0)
				return r;
		}
		return 0;
	}
	if (GMIME_IS_MESSAGE_PART(o)) {
		m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		if ((fname = g_mime_object_get_content_disposition_parameter(o,
		    "filename")) != NULL)
			w.name = fname;
		if (m == NULL || (root = g_mime_message_get_mime_part(m)) ==
		    NULL)
			return 0;
		return ct_mime(s, root, &w, "", level + 1);
	}
	if (GMIME_IS_PART(o))
		return ct_part(s, o, up, label);
	return 0;
}

int
content_scan(const char *msg, size_t len, const struct content_opts *o,
    struct content_verdict *v, char **cause)
{
	struct content_scan	 s = { .o = o, .v = v };
	struct content_where	 whole = { NULL, "the message" };
	GMimeStream		*stream;
	GMimeParser		*parser;
	GMimeMessage		*m;
	GMimeObject		*root;

	memset(v, 0, sizeof *v);
	if (!o->macros && !o->dangerous)
		return 0;
	content_init();
	stream = g_mime_stream_mem_new_with_buffer(msg, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	m = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (m == NULL) {
		/* No header block: the bytes are all there is to judge. */
		content_blob(&s, &whole, (const unsigned char *)msg, len, len,
		    0);
	} else {
		if ((root = g_mime_message_get_mime_part(m)) != NULL)
			ct_mime(&s, root, NULL, "", 0);
		g_object_unref(m);
	}
	if (s.nomem) {
		memset(v, 0, sizeof *v);
		if (asprintf(cause, "out of memory while scanning the "
		    "message's content") == -1)
			*cause = NULL;
		return -1;
	}
	return 0;
}
