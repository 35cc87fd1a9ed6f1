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

#include <stdint.h>

#include <ini.h>
#include <sodium.h>
#include <zmq.h>

#include "ipc.h"

/* Longest password read from a file. */
#define LOGIN_MAX_SECRET	1024

struct login_conf {
	char	*endpoint;
};

struct login_creds {
	char	*user;
	char	*password;
	char	*server_key;	/* CURVE, for tcp:// endpoints */
	char	*secret_key;
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
	else if (strcmp(name, "server_key") == 0)
		slot = &cr->server_key;
	else if (strcmp(name, "secret_key") == 0)
		slot = &cr->secret_key;
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

static void
login_creds_clear(struct login_creds *cr)
{
	free(cr->user);
	ipc_login_free_secret(cr->password);
	free(cr->server_key);
	ipc_login_free_secret(cr->secret_key);
	memset(cr, 0, sizeof *cr);
}

/*
 * Read the credentials file that applies into cr: 0, or a sysexits
 * status with cause; *file is "" when no file applies.
 */
static int
login_creds_read(const char *path, struct login_creds *cr, char *file,
    size_t size, char **cause)
{
	FILE	*f;
	int	 rc, status;

	memset(cr, 0, sizeof *cr);
	if (!login_creds_path(path, file, size, cause)) {
		*file = '\0';
		return 0;
	}
	if ((f = login_creds_open(file, &status, cause)) == NULL)
		return status;
	/* No copy of the file's lines left in stdio's buffer. */
	setvbuf(f, NULL, _IONBF, 0);
	rc = ini_parse_file(f, login_creds_line, cr);
	fclose(f);
	if (rc == 0)
		return 0;
	if (rc > 0 && !cr->nomem)
		ipc_cause(cause, "%s:%d: not \"user = NAME\", \"password = "
		    "SECRET\", \"server_key = KEY\" or \"secret_key = KEY\"",
		    file, rc);
	else
		ipc_cause(cause, "cannot read %s", file);
	login_creds_clear(cr);
	return EX_CONFIG;
}

int
ipc_login_credentials(const char *path, char **user, char **password,
    char **cause)
{
	char			file[4096];
	struct login_creds	cr;
	int			rc;

	*user = *password = NULL;
	if ((rc = login_creds_read(path, &cr, file, sizeof file, cause)) != 0)
		return rc;
	/* A file of CURVE keys alone logs in over tcp:// only. */
	if (*file != '\0' && (cr.user == NULL || cr.password == NULL) &&
	    (cr.secret_key == NULL || cr.user != NULL || cr.password != NULL)) {
		ipc_cause(cause, "%s needs both a \"user = NAME\" and a "
		    "\"password = SECRET\" line", file);
		login_creds_clear(&cr);
		return EX_CONFIG;
	}
	*user = cr.user;
	*password = cr.password;
	cr.user = cr.password = NULL;
	login_creds_clear(&cr);
	return 0;
}

/* A CURVE key of Z85 text? */
static int
login_key_ok(const char *key)
{
	uint8_t	bin[32];
	int	ok;

	ok = strlen(key) == IPC_CURVE_KEYLEN && zmq_z85_decode(bin, key) != NULL;
	sodium_memzero(bin, sizeof bin);
	return ok;
}

/* server_key: the key itself, or a file whose first line it is. */
static int
login_server_key(const char *file, const char *v, char *out, char **cause)
{
	FILE	*f;
	char	 buf[128];

	if (login_key_ok(v)) {
		memcpy(out, v, IPC_CURVE_KEYLEN + 1);
		return 0;
	}
	if ((f = fopen(v, "r")) == NULL) {
		ipc_cause(cause, "%s: server_key is neither a key (%d characters "
		    "of Z85) nor a file holding one: %s: %s", file,
		    IPC_CURVE_KEYLEN, v, strerror(errno));
		return EX_CONFIG;
	}
	if (fgets(buf, sizeof buf, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!login_key_ok(buf)) {
		ipc_cause(cause, "%s: server_key %s holds no key (%d "
		    "characters of Z85)", file, v, IPC_CURVE_KEYLEN);
		return EX_CONFIG;
	}
	memcpy(out, buf, IPC_CURVE_KEYLEN + 1);
	return 0;
}

int
ipc_login_curve(const char *path, struct ipc_curve **curve, char **cause)
{
	char			file[4096];
	struct login_creds	cr;
	struct ipc_curve	*c = NULL;
	int			rc;

	*curve = NULL;
	if ((rc = login_creds_read(path, &cr, file, sizeof file, cause)) != 0)
		return rc;
	if (cr.server_key == NULL && cr.secret_key == NULL) {
		login_creds_clear(&cr);
		return 0;
	}
	if (cr.server_key == NULL || cr.secret_key == NULL) {
		ipc_cause(cause, "%s needs both a \"server_key = KEY\" and a "
		    "\"secret_key = KEY\" line", file);
		rc = EX_CONFIG;
	} else if (!login_key_ok(cr.secret_key)) {
		ipc_cause(cause, "%s: secret_key is not a key (%d characters "
		    "of Z85, as outfilterctl --curve-keygen prints)", file,
		    IPC_CURVE_KEYLEN);
		rc = EX_CONFIG;
	} else if (sodium_init() == -1 ||
	    (c = sodium_malloc(sizeof *c)) == NULL) {
		ipc_cause(cause, "out of memory");
		rc = EX_OSERR;
	} else if ((rc = login_server_key(file, cr.server_key, c->server_key,
	    cause)) == 0)
		memcpy(c->secret_key, cr.secret_key, IPC_CURVE_KEYLEN + 1);
	login_creds_clear(&cr);
	if (rc != 0) {
		ipc_login_free_curve(c);
		return rc;
	}
	*curve = c;
	return 0;
}

void
ipc_login_free_curve(struct ipc_curve *c)
{
	if (c != NULL)
		sodium_free(c);
}

int
ipc_curve_keypair(char *public, char *secret)
{
	return zmq_curve_keypair(public, secret);
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
