/* Password hashing (argon2id through libsodium). */
#ifndef OF_PASSWD_H
#define OF_PASSWD_H

#include <sodium.h>

#define PASSWD_HASH_MAX	crypto_pwhash_STRBYTES

/* Shortest password accepted for admins and SMTP AUTH users. */
#define PASSWD_MIN_LEN	8

int	passwd_hash(const char *password, char out[PASSWD_HASH_MAX]);
int	passwd_verify(const char *hash, const char *password);

#endif
