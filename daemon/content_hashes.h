/*
 * Known tools by SHA-256 (content_hashes.c): the list an admin imports
 * (outfilterctl content import-hashes) and the content scanner's lookup
 * of each file of a message in it.
 */
#ifndef OF_CONTENT_HASHES_H
#define OF_CONTENT_HASHES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct db;

/*
 * Import lines of SHA256[,NAME[,CATEGORY]] from text, numbered from
 * first_line.  Blank lines and lines starting with '#' are skipped; a bad
 * line is counted and reported with its number and why.  *result:
 * {lines, imported, skipped, bad, bad_lines}.  -1 with *cause when the
 * database failed.
 */
int	content_hashes_import(struct db *, const char *text,
	    int64_t first_line, json_t **result, char **cause);

/* {total, categories: {CATEGORY: n}} with every category. */
int	content_hashes_count(struct db *, json_t **result, char **cause);

/*
 * The content scanner's blob callback (struct content_opts): arg is the
 * struct db of the calling thread.  1 when the blob's SHA-256 is listed,
 * with what it is in what[len]; 0 when not (or when the lookup failed:
 * logged).
 */
int	content_hashes_blob(void *arg, const char *name,
	    const unsigned char *, size_t len, char *what, size_t whatlen);

#endif
