/*
 * The content scanner: documents with macros and dangerous content.
 *
 * content_scan() walks every MIME part of a message with GMime (attached
 * messages and files uuencoded in text too), decodes its transfer
 * encoding, and judges each part by its bytes, never by the name a
 * sender chose: executables (PE, ELF, Mach-O, with the packer named),
 * Windows shortcuts and compiled help, PDFs with actions or embedded
 * files, OLE2 documents with a VBA storage (and the objects embedded in
 * them), Office Open XML and OpenDocument packages with macros, and
 * archives (zip, 7z, rar, tar, cpio, cab, iso; gzip, bzip2, xz) entry by
 * entry with libarchive, nested up to max_depth containers.  Scripts are
 * known by their extension (js, vbs, hta, ps1, bat, lnk, jar, ...).
 * TNEF (winmail.dat) and BinHex are not unpacked: like the containers
 * below that can't be read, they can't be checked.
 *
 * Archives are unpacked in memory under limits: entries in the whole
 * message, bytes unpacked in the whole message, and the ratio of bytes
 * unpacked to bytes read from each archive (past the first MiB).  An
 * archive that would exceed them is a bomb: the scan stops there, never
 * unpacking it all.  Bombs, containers nested too deep, password-
 * protected archives and entries that can't be unpacked can't be
 * checked; they are "dangerous-content" when opts.dangerous is set,
 * otherwise the scan of that container just stops.
 *
 * content_scan() may run in several threads at once: it keeps no state
 * between calls.  Call content_init() once from the main thread before
 * starting threads: it initialises GMime (for the whole process) and
 * libgsf, whose own initialisation is not thread-safe.
 */
#ifndef OF_CONTENT_H
#define OF_CONTENT_H

#include <stddef.h>

#define CONTENT_MACRO		"contains-macro"
#define CONTENT_DANGEROUS	"dangerous-content"

struct content_opts {
	int		macros;		/* block documents with macros */
	int		dangerous;	/* block dangerous content */
	unsigned	max_depth;	/* containers inside containers */
	size_t		max_entries;	/* archive entries, whole message */
	size_t		max_unpacked;	/* bytes unpacked, whole message */
	unsigned	max_ratio;	/* unpacked / packed, each archive */
	/*
	 * Called, when not NULL, with every file whole (each part, each
	 * archive entry, containers too): 1 blocks it as dangerous content,
	 * what[whatlen] then saying what it is ("is ..."); 0 lets the scan
	 * go on.  Archive entries are then unpacked whole.
	 */
	int		(*blob)(void *arg, const char *name,
			    const unsigned char *, size_t len, char *what,
			    size_t whatlen);
	void		*blob_arg;
};

/* Both checks on; depth 3, 10 000 entries, 128 MiB, ratio 250. */
void	content_opts_default(struct content_opts *);

struct content_verdict {
	int	blocked;
	char	class[32];	/* CONTENT_MACRO, CONTENT_DANGEROUS or "" */
	char	part[256];	/* "a.zip/b.zip/x.exe" */
	char	reason[256];	/* "x.exe in a.zip/b.zip is a Windows executable" */
};

/*
 * Initialise GMime and libgsf once for the process (idempotent, and safe
 * to race only with other content_init() calls).
 */
void	content_init(void);

/*
 * Scan a whole message (headers and body, as received; without a header
 * block its bytes are judged as one file).  0 with a verdict (blocked or
 * not); -1 with *cause when it could not be scanned (out of memory).
 * The first finding wins.  part and reason are UTF-8 without control
 * characters; names come from the message, so quote them where that
 * matters.
 */
int	content_scan(const char *msg, size_t len, const struct content_opts *,
	    struct content_verdict *, char **cause);

#endif
