/*
 * What the content scanner's files share: one scan's state, where a blob
 * sits in the message, and the checks each file provides.
 */
#ifndef OF_CONTENT_INT_H
#define OF_CONTENT_INT_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

#include "content.h"

/* Below this many bytes unpacked from one archive, no ratio is a bomb. */
#define CONTENT_RATIO_FLOOR	(1024 * 1024)
/* Multiparts and attached messages inside each other. */
#define CONTENT_MIME_DEPTH	32
/* Bytes of a non-container entry kept for its magic. */
#define CONTENT_HEAD		(64 * 1024)

/* One content_scan(). */
struct content_scan {
	const struct content_opts	*o;
	struct content_verdict		*v;
	size_t				 entries;	/* archive entries */
	uint64_t			 unpacked;	/* bytes from archives */
	int				 nomem;
};

/*
 * Where a blob sits: its name and the chain of containers above it,
 * innermost first ("x.exe" up "b.zip" up "a.zip").
 */
struct content_where {
	const struct content_where	*up;
	const char			*name;
};

/* What a blob's first bytes say it is. */
enum content_kind {
	CK_DATA,
	CK_PE, CK_ELF, CK_MACHO, CK_MACHO_FAT, CK_LNK, CK_CHM,
	CK_PDF, CK_OLE2,
	CK_TNEF, CK_BINHEX,		/* containers not unpacked */
	CK_ZIP, CK_7Z, CK_RAR, CK_TAR, CK_CPIO, CK_CAB, CK_ISO,
	CK_GZIP, CK_BZIP2, CK_XZ,
};

/* content_magic.c */
enum content_kind content_magic(const unsigned char *, size_t len,
			    uint64_t full);
int		 content_is_archive(enum content_kind);
const char	*content_kind_what(enum content_kind);
const char	*content_packer(const unsigned char *, size_t len,
		    enum content_kind);
const char	*content_script(const char *name);

/* content.c */
locale_t	 content_utf8_locale(void);	/* a UTF-8 LC_CTYPE, or 0 */
int		 content_blob(struct content_scan *,
		    const struct content_where *, const unsigned char *,
		    size_t len, uint64_t full, unsigned depth);
int		 content_block(struct content_scan *, const char *class,
		    const struct content_where *, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
int		 content_refuse(struct content_scan *,
		    const struct content_where *, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
int		 content_deeper(struct content_scan *,
		    const struct content_where *, unsigned depth);
void		 content_size_text(char *, size_t, uint64_t);

/* content_archive.c */
int		 content_archive(struct content_scan *,
		    const struct content_where *, const unsigned char *,
		    size_t len, enum content_kind, unsigned depth);

/* content_ole2.c */
int		 content_ole2(struct content_scan *,
		    const struct content_where *, const unsigned char *,
		    size_t len, unsigned depth);

/* content_pdf.c */
int		 content_pdf(struct content_scan *,
		    const struct content_where *, const unsigned char *,
		    size_t len);

/* content_ooxml.c: the macro evidence of one zip's entries. */
struct content_ooxml {
	const char	*app;		/* "Word", "Excel", ... or NULL */
	const char	*why;		/* the evidence, NULL: none yet */
	int		 manifest;	/* META-INF/MANIFEST.MF seen */
	int		 classes;	/* *.class seen */
};
int		 content_ooxml_name(struct content_ooxml *, const char *name);
int		 content_ooxml_wants(const char *name);
void		 content_ooxml_data(struct content_ooxml *, const char *name,
		    const unsigned char *, size_t len);

#endif
