/*
 * Where a client finds the daemon ([control] endpoint of the daemon's own
 * config file) and as whom it logs in (a credentials file, or the local
 * super-admin path).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <ini.h>
#include <sodium.h>

#include "ipc.h"

/* Longest password read from a file. */
#define LOGIN_MAX_SECRET	1024

struct login_conf {
	char	*endpoint;
};

struct login_creds {
	char	*user;
	char	*password;
	int	 nomem;
};

/* Keeps the last value of a key, as the daemon's parser does. */
static int
login_keep(char **slot, const char *value)
{
	free(*slot);
	return (*slot = strdup(value)) != NULL;
}

static int
login_conf_line(void *arg, const char *section, const char *name,
    const char *value)
{
	struct login_conf	*lc = arg;

	if (strcmp(section, "control") == 0 && strcmp(name, "endpoint") == 0)
		return login_keep(&lc->endpoint, value);
	return 1;
}

int
ipc_login_endpoint(const char *path, char **endpoint, char **cause)
{
	struct login_conf	lc = { NULL };
	int			rc;

	*endpoint = NULL;
	if (path == NULL && access(IPC_SYSTEM_CONFIG, F_OK) == 0)
		path = IPC_SYSTEM_CONFIG;
	if (path != NULL && (rc = ini_parse(path, login_conf_line, &lc)) != 0) {
		if (rc < 0)
			ipc_cause(cause, "cannot read %s: %s", path,
			    strerror(errno));
		else
			ipc_cause(cause, "%s:%d: cannot parse this line", path, rc);
		free(lc.endpoint);
		return EX_CONFIG;
	}
	/* The daemon's default does not follow run_dir either. */
	*endpoint = lc.endpoint != NULL ? lc.endpoint :
	    strdup(IPC_DEFAULT_ENDPOINT);
	if (*endpoint == NULL) {
		ipc_cause(cause, "out of memory");
		return EX_OSERR;
	}
	return 0;
}

static int
login_creds_line(void *arg, const char *section, const char *name,
    const char *value)
{
	struct login_creds	*cr = arg;
	char			**slot;

	if (strcmp(name, "user") == 0)
		slot = &cr->user;
	else if (strcmp(name, "password") == 0)
		slot = &cr->password;
	else
		return 0;	/* an unknown line is an error: a typo */
	if (*slot != NULL)
		ipc_login_free_secret(*slot);
	if ((*slot = strdup(value)) == NULL)
		cr->nomem = 1;
	return *slot != NULL;
}

/* The credentials file to use, or NULL when there is none. */
static int
login_creds_path(const char *path, char *buf, size_t size, char **cause)
{
	const char	*env = getenv("OUTFILTER_CREDENTIALS");
	const char	*home = getenv("HOME");

	if (path != NULL || (env != NULL && *env != '\0')) {
		snprintf(buf, size, "%s", path != NULL ? path : env);
		return 1;
	}
	if (home == NULL || *home == '\0')
		return 0;
	snprintf(buf, size, "%s/.config/outfilter/credentials", home);
	return access(buf, F_OK) == 0;
}

/* Open a credentials file that only its owner can read. */
static FILE *
login_creds_open(const char *path, int *status, char **cause)
{
	FILE		*f;
	struct stat	 st;

	*status = EX_CONFIG;
	if ((f = fopen(path, "r")) == NULL) {
		ipc_cause(cause, "cannot read %s: %s", path, strerror(errno));
		*status = errno == ENOENT ? EX_CONFIG : EX_NOPERM;
		return NULL;
	}
	if (fstat(fileno(f), &st) == -1 || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		ipc_cause(cause, "%s holds a password but group or others may "
		    "read it: chmod 600 %s", path, path);
		fclose(f);
		return NULL;
	}
	return f;
}

int
ipc_login_credentials(const char *path, char **user, char **password,
    char **cause)
{
	char			file[4096];
	struct login_creds	cr = { NULL, NULL, 0 };
	FILE			*f;
	int			rc, status;

	*user = *password = NULL;
	if (!login_creds_path(path, file, sizeof file, cause))
		return 0;
	if ((f = login_creds_open(file, &status, cause)) == NULL)
		return status;
	rc = ini_parse_file(f, login_creds_line, &cr);
	fclose(f);
	if (rc != 0 || cr.user == NULL || cr.password == NULL) {
		if (rc > 0 && !cr.nomem)
			ipc_cause(cause, "%s:%d: not \"user = NAME\" or "
			    "\"password = SECRET\"", file, rc);
		else if (rc == 0)
			ipc_cause(cause, "%s needs both a \"user = NAME\" and "
			    "a \"password = SECRET\" line", file);
		else
			ipc_cause(cause, "cannot read %s", file);
		free(cr.user);
		ipc_login_free_secret(cr.password);
		return EX_CONFIG;
	}
	*user = cr.user;
	*password = cr.password;
	return 0;
}

/* fgets() one line of at most LOGIN_MAX_SECRET bytes into buf. */
static int
login_read_line(FILE *f, const char *name, char *buf, size_t size,
    char **cause)
{
	size_t	len;

	if (fgets(buf, size, f) == NULL) {
		if (ferror(f)) {
			ipc_cause(cause, "cannot read %s: %s", name,
			    strerror(errno));
			return EX_NOINPUT;
		}
		buf[0] = '\0';
	}
	len = strlen(buf);
	if (len == size - 1 && buf[len - 1] != '\n' && !feof(f)) {
		ipc_cause(cause, "the password in %s is longer than %d bytes",
		    name, LOGIN_MAX_SECRET);
		return EX_DATAERR;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		ipc_cause(cause, "the password in %s is empty", name);
		return EX_DATAERR;
	}
	return 0;
}

int
ipc_login_read_secret(const char *path, char **secret, char **cause)
{
	const char	*name = strcmp(path, "-") == 0 ? "standard input" : path;
	FILE		*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char		 buf[LOGIN_MAX_SECRET + 2];
	int		 rc;

	*secret = NULL;
	if (f == NULL) {
		ipc_cause(cause, "cannot read %s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	/* stdio keeps its own buffer of the file: no copy left behind. */
	setvbuf(f, NULL, _IONBF, 0);
	rc = login_read_line(f, name, buf, sizeof buf, cause);
	if (f != stdin)
		fclose(f);
	if (rc == 0 && (*secret = strdup(buf)) == NULL) {
		ipc_cause(cause, "out of memory");
		rc = EX_OSERR;
	}
	sodium_memzero(buf, sizeof buf);
	return rc;
}

void
ipc_login_free_secret(char *secret)
{
	if (secret == NULL)
		return;
	sodium_memzero(secret, strlen(secret));
	free(secret);
}
