/*
 * DKIM: keys made, sealed at rest and published, and outgoing mail signed
 * with them through libopendkim.
 *
 * Private keys are stored in the database sealed (libsodium secretbox)
 * with the key of [dkim] key_file; that file is made, mode 0600, by the
 * first dkim keygen.  One key per domain and selector: the DNS has one
 * record per selector, so signing a message twice (RSA and Ed25519, RFC
 * 8463) takes two selectors, given together as "rsa2024,ed2024".
 *
 * The functions are safe to call from several threads at once, each with
 * its own database handle.
 */
#ifndef OF_DKIM_H
#define OF_DKIM_H

#include <stddef.h>

struct db;
struct config;

#define DKIM_MAX_SELECTORS	2	/* signatures added to one message */

/*
 * A new key.  algo is "rsa-2048" or "ed25519" (NULL: rsa-2048).  Returns
 * 0 with *algorithm ("rsa-sha256" or "ed25519-sha256", a constant) and
 * *sealed (the caller's) ready for db_dkim_add, or -1 with cause.  With
 * create, a missing key file is made; without, it must exist.
 */
int	 dkim_keygen(const struct config *, const char *algo, int create,
	    const char **algorithm, char **sealed, char **cause);

/* The TXT record's text of a sealed key: "v=DKIM1; k=rsa; p=...". */
char	*dkim_txt(const struct config *, const char *algorithm,
	    const char *sealed, char **cause);

/*
 * The record as one zone-file line: NAME IN TXT "..." "...", the text cut
 * into strings of at most 255 bytes.  NULL when out of memory.
 */
char	*dkim_zone_line(const char *name, const char *txt);

/*
 * The key file as the daemon would use it: 0 when it is usable or absent
 * (made by the first keygen), -1 with cause when others may read it or it
 * is not a key file.
 */
int	 dkim_keyfile_check(const struct config *, char **cause);

/*
 * Sign a message as relayed (CRLF line ends, not dot-stuffed) for domain
 * with the keys of selectors: one selector, or several separated by commas
 * or spaces (at most DKIM_MAX_SELECTORS), as the user setting dkim.selector
 * holds them.
 *
 * Returns 0 with *headers (the caller's, NUL-terminated, *hlen bytes): one
 * complete "DKIM-Signature: ...\r\n" field per selector that has a key, to
 * put in front of the message; *cause is then NULL, or names the selectors
 * without a key (for the log).  Returns 1 when no selector has a key (or
 * none is set): *cause says so and the message goes out unsigned.
 * Returns -1 on error (bad selector, key file, a key that does not open,
 * libopendkim refusing the message) with *cause.
 */
int	 dkim_sign_message(struct db *, const struct config *,
	    const char *domain, const char *selectors, const char *msg,
	    size_t len, char **headers, size_t *hlen, char **cause);

#endif
