/*
 * Archives, entry by entry, with libarchive: zip (and so OOXML, ODF and
 * jar), 7z, rar, tar, cpio, cab, iso9660, and gzip, bzip2 or xz,
 * alone or around a tar.
 *
 * Nothing is unpacked beyond the limits.  The archive is handed to
 * libarchive in small chunks, so that the ratio of bytes unpacked to
 * bytes read is known while unpacking and a bomb is stopped after a few
 * MiB; sizes an archive declares are checked before unpacking at all.
 * Entries that may hold more (archives, OLE2, PDF) are kept whole in
 * memory for the next level; of the others only the head that tells
 * what they are.
 */
#define _GNU_SOURCE		/* strcasestr */
#include "config.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#include "content_int.h"

/* Bytes handed to libarchive at a time. */
#define ARC_CHUNK	(16 * 1024)

/* One archive being read. */
struct arc {
	struct content_scan		*s;
	const struct content_where	*w;
	struct archive			*a;
	enum content_kind		 kind;
	unsigned			 depth;	/* of its entries */
	const unsigned char		*p;	/* the archive */
	size_t				 len, pos;
	uint64_t			 fed;	/* bytes libarchive read */
	uint64_t			 unpacked; /* bytes it gave back */
	uint64_t			 declared; /* entry sizes it declared */
	size_t				 n;	/* entries */
	struct content_ooxml		 ox;
	char				 rawname[256];
	unsigned char			 chunk[64 * 1024];
};

static la_ssize_t
arc_read(struct archive *a, void *arg, const void **buf)
{
	struct arc	*c = arg;
	size_t		 n = c->len - c->pos;

	(void)a;
	if (n > ARC_CHUNK)
		n = ARC_CHUNK;
	*buf = c->p + c->pos;
	c->pos += n;
	c->fed += n;
	return (la_ssize_t)n;
}

static la_int64_t
arc_skip(struct archive *a, void *arg, la_int64_t request)
{
	struct arc	*c = arg;
	size_t		 n = c->len - c->pos;

	(void)a;
	if (request < 0)
		return 0;
	if ((uint64_t)request < n)
		n = (size_t)request;
	c->pos += n;
	return (la_int64_t)n;
}

static la_int64_t
arc_seek(struct archive *a, void *arg, la_int64_t off, int whence)
{
	struct arc	*c = arg;
	la_int64_t	 to;

	(void)a;
	switch (whence) {
	case SEEK_SET:
		to = off;
		break;
	case SEEK_CUR:
		to = (la_int64_t)c->pos + off;
		break;
	case SEEK_END:
		to = (la_int64_t)c->len + off;
		break;
	default:
		return ARCHIVE_FATAL;
	}
	if (to < 0 || (uint64_t)to > c->len)
		return ARCHIVE_FATAL;
	c->pos = (size_t)to;
	return to;
}

/*
 * Only formats and filters libarchive decodes itself: some filters
 * (lrzip, lzop, grzip) would start an external program.
 */
static struct archive *
arc_new(enum content_kind kind, int raw_only)
{
	struct archive	*a;

	if ((a = archive_read_new()) == NULL)
		return NULL;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	if (raw_only) {
		archive_read_support_format_raw(a);
		return a;
	}
	archive_read_support_format_zip(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_iso9660(a);
	/* A compressed file that is not a tar is the one file inside. */
	if (kind == CK_GZIP || kind == CK_BZIP2 || kind == CK_XZ)
		archive_read_support_format_raw(a);
	return a;
}

/* The name of what a compressed file holds: "x.exe" for "x.exe.gz". */
static void
arc_rawname(struct arc *c)
{
	static const char	*ext[] = { ".gz", ".bz2", ".xz", ".lzma",
	    ".z", ".gzip", ".bzip2" };
	const char		*name = c->w->name;
	size_t			 i, n = strlen(name), e;

	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		e = strlen(ext[i]);
		if (n > e && strcasecmp(name + n - e, ext[i]) == 0) {
			snprintf(c->rawname, sizeof c->rawname, "%.*s",
			    (int)(n - e), name);
			return;
		}
	}
	snprintf(c->rawname, sizeof c->rawname, "%s (unpacked)", name);
}

/* The entry's name, or NULL when it can't be read (buf says which). */
static const char *
arc_name(struct arc *c, struct archive_entry *e, char *buf, size_t size)
{
	const char	*name;

	if (archive_format(c->a) == ARCHIVE_FORMAT_RAW) {
		arc_rawname(c);
		return c->rawname;
	}
	if ((name = archive_entry_pathname_utf8(e)) != NULL ||
	    (name = archive_entry_pathname(e)) != NULL)
		return name;
	snprintf(buf, size, "entry %zu", c->n);
	return NULL;
}

/* Whether an archive's ratio or the scan's budget is exceeded. */
static int
arc_limits(struct arc *c)
{
	const struct content_opts	*o = c->s->o;
	char				 sz[32];

	if (c->s->unpacked > o->max_unpacked) {
		content_size_text(sz, sizeof sz, o->max_unpacked);
		return content_refuse(c->s, c->w, "is an archive bomb (more "
		    "than %s unpacked)", sz) ? 1 : -1;
	}
	if (c->unpacked > CONTENT_RATIO_FLOOR &&
	    c->unpacked / (c->fed ? c->fed : 1) > o->max_ratio)
		return content_refuse(c->s, c->w, "is an archive bomb (it "
		    "expands more than %u times)", o->max_ratio) ? 1 : -1;
	return 0;
}

/* Refuse an entry whose declared size breaks the limits unread. */
static int
arc_declared(struct arc *c, struct archive_entry *e, const char *name)
{
	const struct content_opts	*o = c->s->o;
	char				 sz[32], max[32];
	la_int64_t			 size;

	if (!archive_entry_size_is_set(e) ||
	    (size = archive_entry_size(e)) <= 0)
		return 0;
	c->declared += (uint64_t)size;
	if (c->s->unpacked + (uint64_t)size > o->max_unpacked) {
		content_size_text(sz, sizeof sz, (uint64_t)size);
		content_size_text(max, sizeof max, o->max_unpacked);
		return content_refuse(c->s, c->w, "is an archive bomb (%s "
		    "would unpack to %s, more than the %s allowed)", name, sz,
		    max) ? 1 : -1;
	}
	if (c->declared > CONTENT_RATIO_FLOOR &&
	    c->declared / (c->len ? c->len : 1) > o->max_ratio)
		return content_refuse(c->s, c->w, "is an archive bomb (it "
		    "would expand more than %u times)", o->max_ratio) ? 1 : -1;
	return 0;
}

/*
 * Whether the libarchive error at hand is about encryption.  Before a
 * format was chosen (opened), only its message can say: libarchive's
 * archive_read_has_encrypted_entries() needs a format.
 */
static int
arc_encrypted_error(struct archive *a, int opened)
{
	const char	*err = archive_error_string(a);

	return (opened && archive_read_has_encrypted_entries(a) > 0) ||
	    (err != NULL && (strcasestr(err, "encrypt") != NULL ||
	    strcasestr(err, "passphrase") != NULL ||
	    strcasestr(err, "password") != NULL));
}

/*
 * The entry count a zip's end-of-central-directory record declares (0
 * when there is none): libarchive reads the whole central directory
 * before the first entry, so a zip of a million entries is refused
 * before that.
 */
static size_t
arc_zip_count(const unsigned char *p, size_t len)
{
	size_t	i, lo;

	if (len < 22)
		return 0;
	lo = len > 65535 + 22 ? len - 65535 - 22 : 0;
	for (i = len - 22;; i--) {
		if (memcmp(p + i, "PK\5\6", 4) == 0)
			return (size_t)p[i + 10] | (size_t)p[i + 11] << 8;
		if (i == lo)
			return 0;
	}
}

/* Grow *buf to hold need bytes. */
static int
arc_grow(unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char	*p;
	size_t		 n = *cap ? *cap : 64 * 1024;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return 0;
	if ((p = realloc(*buf, n)) == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/*
 * Unpack the current entry: whole when it may hold more (or the OOXML
 * check wants it), else its head; then judge it.
 */
static int
arc_entry(struct arc *c, const struct content_where *ew, int want)
{
	enum content_kind	 k;
	unsigned char		*buf = NULL;
	size_t			 used = 0, cap = 0;
	uint64_t		 total = 0;
	la_ssize_t		 n;
	int			 keep = want || c->s->o->blob != NULL ? 1 : -1;
	int			 r = 0;

	for (;;) {
		n = archive_read_data(c->a, c->chunk, sizeof c->chunk);
		if (n == 0)
			break;
		if (n < 0) {
			if (arc_encrypted_error(c->a, 1))
				r = content_refuse(c->s, c->w, "is password-"
				    "protected and can't be checked");
			else
				r = content_refuse(c->s, ew, "can't be "
				    "unpacked (%s) and so can't be checked",
				    archive_error_string(c->a) ?
				    archive_error_string(c->a) : "error");
			r = r ? 1 : -1;
			goto out;
		}
		total += (uint64_t)n;
		c->unpacked += (uint64_t)n;
		c->s->unpacked += (uint64_t)n;
		if ((r = arc_limits(c)) != 0)
			goto out;
		if (keep == 0 || (keep == -1 && used >= CONTENT_HEAD))
			continue;
		if (arc_grow(&buf, &cap, used + (size_t)n) == -1) {
			c->s->nomem = 1;
			r = 1;
			goto out;
		}
		memcpy(buf + used, c->chunk, (size_t)n);
		used += (size_t)n;
		if (keep == -1 && used >= CONTENT_HEAD) {
			k = content_magic(buf, used, UINT64_MAX);
			if (content_is_archive(k) || k == CK_OLE2 ||
			    k == CK_PDF)
				keep = 1;
		}
	}
	if (want)
		content_ooxml_data(&c->ox, ew->name, buf, used);
	r = content_blob(c->s, ew, buf != NULL ? buf : (unsigned char *)"",
	    used, total, c->depth);
out:
	free(buf);
	return r;
}

/* The evidence an archive's entries left, once all were read. */
static int
arc_after(struct arc *c)
{
	if (c->s->o->dangerous && c->ox.manifest && c->ox.classes)
		return content_block(c->s, CONTENT_DANGEROUS, c->w,
		    "is a Java archive");
	return 0;
}

static int
arc_walk(struct arc *c)
{
	struct content_scan		*s = c->s;
	struct content_where		 ew;
	struct archive_entry		*e;
	const char			*name;
	char				 nbuf[64];
	int				 r;

	for (;;) {
		r = archive_read_next_header(c->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			if (arc_encrypted_error(c->a, 1))
				return content_refuse(s, c->w, "is password-"
				    "protected and can't be checked");
			/* Broken past here: judged as far as readable. */
			break;
		}
		c->n++;
		if (++s->entries > s->o->max_entries)
			return content_refuse(s, c->w, "is an archive bomb "
			    "(more than %zu entries)", s->o->max_entries);
		if (archive_entry_is_encrypted(e))
			return content_refuse(s, c->w, "is password-protected "
			    "and can't be checked");
		if (archive_entry_filetype(e) != AE_IFREG &&
		    archive_format(c->a) != ARCHIVE_FORMAT_RAW)
			continue;
		ew.up = c->w;
		if ((name = arc_name(c, e, nbuf, sizeof nbuf)) == NULL) {
			/* Its extension can't be judged. */
			ew.name = nbuf;
			return content_refuse(s, &ew, "has a name that can't "
			    "be read and so can't be checked");
		}
		ew.name = name;
		if (s->o->macros && content_ooxml_name(&c->ox, name))
			return content_block(s, CONTENT_MACRO, c->w,
			    "is %s with macros (%s)", c->ox.app, c->ox.why);
		if ((r = arc_declared(c, e, name)) != 0)
			return r;
		if ((r = arc_entry(c, &ew, content_ooxml_wants(name))) != 0)
			return r;
		if (s->o->macros && c->ox.why != NULL)
			return content_block(s, CONTENT_MACRO, c->w,
			    "is %s with macros (%s)", c->ox.app, c->ox.why);
	}
	return arc_after(c);
}

/* Open the archive (as one compressed file when raw_only) and walk it. */
static int
arc_open_walk(struct arc *c, int raw_only)
{
	int	r;

	if ((c->a = arc_new(c->kind, raw_only)) == NULL) {
		c->s->nomem = 1;
		return 1;
	}
	archive_read_set_read_callback(c->a, arc_read);
	archive_read_set_skip_callback(c->a, arc_skip);
	archive_read_set_seek_callback(c->a, arc_seek);
	archive_read_set_callback_data(c->a, c);
	if (archive_read_open1(c->a) == ARCHIVE_OK)
		r = arc_walk(c);
	else if (arc_encrypted_error(c->a, 0))
		r = content_refuse(c->s, c->w, "is password-protected and "
		    "can't be checked");
	else
		r = 0;		/* not an archive after all */
	archive_read_free(c->a);
	c->a = NULL;
	return r;
}

int
content_archive(struct content_scan *s, const struct content_where *w,
    const unsigned char *p, size_t len, enum content_kind kind,
    unsigned depth)
{
	struct arc	*c;
	locale_t	 loc, old = (locale_t)0;
	int		 r;

	if (depth + 1 > s->o->max_depth)
		return content_deeper(s, w, s->o->max_depth);
	if (kind == CK_ZIP && arc_zip_count(p, len) > s->o->max_entries -
	    (s->entries < s->o->max_entries ? s->entries : s->o->max_entries))
		return content_refuse(s, w, "is an archive bomb (more than %zu "
		    "entries)", s->o->max_entries);
	if ((c = calloc(1, sizeof *c)) == NULL) {
		s->nomem = 1;
		return 1;
	}
	c->s = s;
	c->w = w;
	c->kind = kind;
	c->depth = depth + 1;
	c->p = p;
	c->len = len;
	/* Entry names as UTF-8 whatever the process' locale (per thread). */
	if ((loc = content_utf8_locale()) != (locale_t)0)
		old = uselocale(loc);
	r = arc_open_walk(c, 0);
	/*
	 * A compressed file that starts with a zero block reads as an
	 * empty tar (its end mark) and the rest is never unpacked: a gzip
	 * of zeros would pass as a bomb.  Without entries, it is read
	 * again as the one file it holds.
	 */
	if (r == 0 && c->n == 0 && (kind == CK_GZIP || kind == CK_BZIP2 ||
	    kind == CK_XZ)) {
		c->pos = 0;
		c->fed = c->unpacked = c->declared = 0;
		r = arc_open_walk(c, 1);
	}
	if (old != (locale_t)0)
		uselocale(old);
	free(c);
	/* -1: this archive was given up, the scan goes on. */
	return r < 0 ? 0 : r;
}
