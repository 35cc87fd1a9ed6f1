/*
 * OLE2 compound documents (doc, xls, ppt, msi) with libgsf: a VBA
 * storage ("Macros", "_VBA_PROJECT_CUR", "VBA") or stream
 * ("_VBA_PROJECT") anywhere in the tree is a macro; a Windows Installer
 * package is dangerous; embedded objects (an Ole10Native package, an
 * embedded OOXML "Package") are judged as blobs one level deeper.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gsf/gsf.h>
#include <gsf/gsf-infile-impl.h>

#include "content_int.h"

/* Storages visited in one document, at most. */
#define OLE_MAX_NODES	4096
/* Storages inside storages, at most. */
#define OLE_MAX_LEVEL	16

struct ole {
	struct content_scan		*s;
	const struct content_where	*w;
	unsigned			 depth;	/* of the document */
	const char			*app;
	size_t				 nodes;
};

static const char *ole_vba[] = { "_VBA_PROJECT_CUR", "VBA", "Macros" };

static int
ole_is_vba_storage(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof ole_vba / sizeof ole_vba[0]; i++)
		if (strcasecmp(name, ole_vba[i]) == 0)
			return 1;
	return 0;
}

/* The application, from the streams at the root. */
static const char *
ole_app(GsfInfile *root)
{
	static const struct {
		const char	*stream;
		const char	*app;
	} apps[] = {
		{ "WordDocument", "a Word document" },
		{ "Workbook", "an Excel workbook" },
		{ "Book", "an Excel workbook" },
		{ "PowerPoint Document", "a PowerPoint presentation" },
		{ "VisioDocument", "a Visio drawing" },
	};
	const char	*name;
	int		 i, n = gsf_infile_num_children(root);
	size_t		 j;

	for (i = 0; i < n; i++) {
		if ((name = gsf_infile_name_by_index(root, i)) == NULL)
			continue;
		for (j = 0; j < sizeof apps / sizeof apps[0]; j++)
			if (strcasecmp(name, apps[j].stream) == 0)
				return apps[j].app;
	}
	return "an OLE2 document";
}

static int
ole_msi(GsfInfile *root)
{
	/* {000C1084-...} (package), 1086 (patch), 1082 (transform). */
	static const unsigned char msi[16] = { 0x84, 0x10, 0x0c, 0, 0, 0, 0,
	    0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46 };
	guint8	id[16];

	if (!gsf_infile_msole_get_class_id(GSF_INFILE_MSOLE(root), id))
		return 0;
	return (id[0] == 0x84 || id[0] == 0x86 || id[0] == 0x82) &&
	    memcmp(id + 1, msi + 1, 15) == 0;
}

/* A zero-terminated string at *i of p, within len. */
static const char *
ole_zstring(const unsigned char *p, size_t len, size_t *i)
{
	const unsigned char	*nul;
	const char		*s = (const char *)p + *i;

	if (*i >= len || (nul = memchr(p + *i, '\0', len - *i)) == NULL)
		return NULL;
	*i = (size_t)(nul - p) + 1;
	return s;
}

static uint32_t
ole_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * An Ole10Native stream: size, flags, label (the file name), source
 * path, two words, temporary path, data size, data.
 */
static int
ole_native(struct ole *c, const unsigned char *p, size_t len)
{
	struct content_where	 ew = { c->w, "embedded object" };
	const char		*label;
	size_t			 i = 6;
	uint32_t		 size;

	if (len < 6)
		return 0;
	if ((label = ole_zstring(p, len, &i)) == NULL ||
	    ole_zstring(p, len, &i) == NULL || (i += 8) > len ||
	    ole_zstring(p, len, &i) == NULL || i + 4 > len ||
	    (size = ole_le32(p + i)) > len - i - 4)
		return content_blob(c->s, &ew, p + 4, len - 4, len - 4,
		    c->depth + 1);
	if (*label != '\0')
		ew.name = label;
	return content_blob(c->s, &ew, p + i + 4, size, size, c->depth + 1);
}

/* An embedded object's stream, read whole and judged. */
static int
ole_embedded(struct ole *c, const char *name, GsfInput *in)
{
	struct content_where	 ew = { c->w, name };
	struct content_scan	*s = c->s;
	gsf_off_t		 size = gsf_input_size(in);
	unsigned char		*buf;
	int			 r;

	if (size <= 0)
		return 0;
	if (s->unpacked + (uint64_t)size > s->o->max_unpacked)
		return content_refuse(s, c->w, "holds more embedded data than "
		    "can be checked");
	s->unpacked += (uint64_t)size;
	if ((buf = malloc((size_t)size)) == NULL) {
		s->nomem = 1;
		return 1;
	}
	if (gsf_input_read(in, (size_t)size, buf) == NULL)
		r = 0;
	else if (name[0] == '\001')
		r = ole_native(c, buf, (size_t)size);
	else
		r = content_blob(s, &ew, buf, (size_t)size, (size_t)size,
		    c->depth + 1);
	free(buf);
	return r;
}

static int
ole_stream(struct ole *c, const char *name, GsfInput *in)
{
	const struct content_opts	*o = c->s->o;

	if (o->macros && strcasecmp(name, "_VBA_PROJECT") == 0)
		return content_block(c->s, CONTENT_MACRO, c->w,
		    "is %s with macros (a VBA project)", c->app);
	if (strcasecmp(name, "\001Ole10Native") == 0 ||
	    strcmp(name, "Package") == 0)
		return ole_embedded(c, name, in);
	return 0;
}

/*
 * A child of dir, or NULL: gsf_infile_child_by_index() would say why on
 * stderr, and a broken document has thousands of broken children.
 */
static GsfInput *
ole_child(GsfInfile *dir, int i)
{
	GError		*err = NULL;
	GsfInput	*child;

	child = GSF_INFILE_CLASS(G_OBJECT_GET_CLASS(dir))->child_by_index(dir,
	    i, &err);
	if (err != NULL) {
		g_error_free(err);
		if (child != NULL)
			g_object_unref(child);
		return NULL;
	}
	return child;
}

static int
ole_walk(struct ole *c, GsfInfile *dir, unsigned level)
{
	const struct content_opts	*o = c->s->o;
	GsfInput			*child;
	const char			*name;
	int				 i, n, r = 0;

	n = gsf_infile_num_children(dir);
	for (i = 0; i < n && r == 0; i++) {
		if (++c->nodes > OLE_MAX_NODES)
			return 0;
		if ((name = gsf_infile_name_by_index(dir, i)) == NULL ||
		    (child = ole_child(dir, i)) == NULL)
			continue;
		if (gsf_infile_num_children(GSF_INFILE(child)) >= 0) {
			if (o->macros && ole_is_vba_storage(name))
				r = content_block(c->s, CONTENT_MACRO, c->w,
				    "is %s with macros (a VBA storage)",
				    c->app);
			else if (level < OLE_MAX_LEVEL)
				r = ole_walk(c, GSF_INFILE(child), level + 1);
		} else
			r = ole_stream(c, name, child);
		g_object_unref(child);
	}
	return r;
}

int
content_ole2(struct content_scan *s, const struct content_where *w,
    const unsigned char *p, size_t len, unsigned depth)
{
	struct ole	 c = { .s = s, .w = w, .depth = depth };
	GsfInput	*in;
	GsfInfile	*root;
	int		 r = 0;

	if (depth > s->o->max_depth)
		return content_deeper(s, w, s->o->max_depth);
	in = gsf_input_memory_new(p, (gsf_off_t)len, FALSE);
	root = gsf_infile_msole_new(in, NULL);
	g_object_unref(in);
	if (root == NULL)
		return 0;	/* not a compound document after all */
	c.app = ole_app(root);
	if (s->o->dangerous && ole_msi(root))
		r = content_block(s, CONTENT_DANGEROUS, w,
		    "is a Windows Installer package");
	else
		r = ole_walk(&c, root, 0);
	g_object_unref(root);
	return r;
}
