#include "config.h"

#include <pthread.h>
#include <string.h>

#include "passwd.h"

/*
 * One argon2id run at INTERACTIVE cost takes ~70 ms and 64 MiB: let only a
 * few run at once so a burst of logins can't eat the machine's memory.
 */
#define PASSWD_MAX_CONCURRENT	4

static pthread_mutex_t	passwd_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	passwd_cv = PTHREAD_COND_INITIALIZER;
static int		passwd_running;

static void
passwd_enter(void)
{
	pthread_mutex_lock(&passwd_mtx);
	while (passwd_running >= PASSWD_MAX_CONCURRENT)
		pthread_cond_wait(&passwd_cv, &passwd_mtx);
	passwd_running++;
	pthread_mutex_unlock(&passwd_mtx);
}

static void
passwd_leave(void)
{
	pthread_mutex_lock(&passwd_mtx);
	passwd_running--;
	pthread_cond_signal(&passwd_cv);
	pthread_mutex_unlock(&passwd_mtx);
}

/* Hash a password for storage; 0 on success. */
int
passwd_hash(const char *password, char out[PASSWD_HASH_MAX])
{
	int	rc;

	passwd_enter();
	rc = crypto_pwhash_str(out, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	passwd_leave();
	return rc == 0 ? 0 : -1;
}

/* 0 when password matches the stored hash, -1 when not. */
int
passwd_verify(const char *hash, const char *password)
{
	int	rc;

	passwd_enter();
	rc = crypto_pwhash_str_verify(hash, password, strlen(password));
	passwd_leave();
	return rc == 0 ? 0 : -1;
}
