/*
 * CURVE on the control socket's tcp:// endpoint ([control]
 * remote_endpoint): the daemon's key pair in [control] curve_secret_file
 * (its public half also in FILE.pub, for clients to copy), and the admins
 * let in, by their public keys in [control] curve_clients.
 */
#ifndef OF_CURVE_H
#define OF_CURVE_H

#include <stddef.h>

#include "conf.h"

/* A key as Z85 text, without its NUL. */
#define CURVE_Z85_LEN	40

/*
 * The daemon's key pair as Z85 text into secret and public (each
 * CURVE_Z85_LEN + 1 bytes; wipe secret after use).  With create, a
 * missing file is made (mode 0600, FILE.pub mode 0644) and *made set.
 * 0, or -1 with cause.
 */
int	curve_keys(const struct config *, int create, char *secret,
	    char *public, int *made, char **cause);

/*
 * The admin [control] curve_clients lists with the public key (Z85): 1
 * with its name in name, 0 when the key is not listed, -1 with cause (the
 * file cannot be read, or a line of it is wrong).
 */
int	curve_client_find(const struct config *, const char *key, char *name,
	    size_t len, char **cause);

/*
 * With a remote_endpoint: curve_clients is set, a regular file others
 * cannot change, every line "NAME KEY"; the key file, when it exists,
 * is the owner's alone and holds a key.  0, or -1 with cause.
 */
int	curve_conf_check(const struct config *, char **cause);

#endif
