/*
 * CURVE for the control socket's tcp:// endpoint (curve.h).  The key file
 * holds the daemon's secret key as one line of Z85 text, as libzmq takes
 * it; FILE.pub beside it the public key, for the admins' clients.  The
 * clients file is read again at each login over tcp://, so a line added
 * or removed applies to the next connection, as an admin account does.
 */
#define _GNU_SOURCE		/* mkostemp */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "curve.h"

/* The clients file is a short list: anything larger is a mistake. */
#define CURVE_CLIENTS_MAX	(1024 * 1024)
#define CURVE_NAME_MAX		255

/* Is key CURVE_Z85_LEN characters of Z85 text? */
static int
curve_z85_ok(const char *key, size_t len)
{
	uint8_t	bin[32];
	char	z[CURVE_Z85_LEN + 1];
	int	ok;

	if (len != CURVE_Z85_LEN)
		return 0;
	memcpy(z, key, len);
	z[len] = '\0';
	ok = zmq_z85_decode(bin, z) != NULL;
	sodium_memzero(bin, sizeof bin);
	sodium_memzero(z, sizeof z);
	return ok;
}

/* ---- the key pair ---------------------------------------------------- */

/* 0 with the secret key, 1 when the file does not exist, -1 with cause. */
static int
curve_key_read(const char *path, char *secret, char **cause)
{
	struct stat	 st;
	char		 buf[CURVE_Z85_LEN + 8];
	ssize_t		 n;
	size_t		 len;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 1;
		return ipc_cause(cause, "[control] curve_secret_file %s: %s",
		    path, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		ipc_cause(cause, "[control] curve_secret_file %s is not a "
		    "regular file", path);
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		ipc_cause(cause, "[control] curve_secret_file %s may be read "
		    "by others (mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	else if ((n = read(fd, buf, sizeof buf - 1)) == -1)
		ipc_cause(cause, "[control] curve_secret_file %s: %s", path,
		    strerror(errno));
	else {
		buf[n] = '\0';
		len = strcspn(buf, "\r\n");
		if (len != (size_t)n && strspn(buf + len, "\r\n") !=
		    (size_t)n - len)
			len = 0;
		if (!curve_z85_ok(buf, len))
			ipc_cause(cause, "[control] curve_secret_file %s holds "
			    "no CURVE secret key (a line of %d characters of "
			    "Z85)", path, CURVE_Z85_LEN);
		else {
			memcpy(secret, buf, CURVE_Z85_LEN);
			secret[CURVE_Z85_LEN] = '\0';
			rc = 0;
		}
	}
	sodium_memzero(buf, sizeof buf);
	close(fd);
	return rc;
}

/* Write text and a newline to path through a temporary file. */
static int
curve_write(const char *path, const char *text, mode_t mode, int replace,
    char **cause)
{
	char	 tmp[PATH_MAX];
	size_t	 len = strlen(text);
	int	 fd, rc, saved;

	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
		return ipc_cause(cause, "%s: path too long", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return ipc_cause(cause, "%s: cannot create it: %s", path,
		    strerror(errno));
	rc = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len &&
	    write(fd, "\n", 1) == 1 && fsync(fd) == 0 ? 0 : -1;
	saved = errno;
	close(fd);
	if (rc == 0)
		rc = replace ? rename(tmp, path) : link(tmp, path);
	if (rc == -1)
		saved = errno;
	unlink(tmp);
	if (rc == -1) {
		errno = saved;
		return ipc_cause(cause, "%s: cannot write it: %s", path,
		    strerror(saved));
	}
	return 0;
}

/* FILE.pub: the public key, for clients. */
static int
curve_pub_write(const char *path, const char *public, char **cause)
{
	char	pub[PATH_MAX];

	if (snprintf(pub, sizeof pub, "%s.pub", path) >= (int)sizeof pub)
		return ipc_cause(cause, "%s.pub: path too long", path);
	return curve_write(pub, public, 0644, 1, cause);
}

/*
 * A new key pair: the secret key linked in place (of two daemons making
 * it at once, one wins and the other reads its key), then FILE.pub.
 */
static int
curve_key_make(const char *path, char *secret, char *public, char **cause)
{
	char	 dir[PATH_MAX];
	int	 rc, fd;

	if (zmq_curve_keypair(public, secret) == -1)
		return ipc_cause(cause, "[control] curve_secret_file %s: "
		    "cannot make a key pair: %s", path, zmq_strerror(errno));
	rc = curve_write(path, secret, 0600, 0, cause);
	if (rc == -1 && errno == EEXIST) {
		if (cause != NULL) {
			free(*cause);
			*cause = NULL;
		}
		sodium_memzero(secret, CURVE_Z85_LEN + 1);
		return curve_key_read(path, secret, cause) == 0 &&
		    zmq_curve_public(public, secret) == 0 ? 0 : -1;
	}
	if (rc == -1) {
		sodium_memzero(secret, CURVE_Z85_LEN + 1);
		return -1;
	}
	snprintf(dir, sizeof dir, "%s", path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		fsync(fd);
		close(fd);
	}
	return curve_pub_write(path, public, cause);
}

int
curve_keys(const struct config *conf, int create, char *secret,
    char *public, int *made, char **cause)
{
	const char	*path = conf_str(conf, CONF_control_curve_secret_file);
	char		 pub[PATH_MAX];
	int		 rc;

	*made = 0;
	if ((rc = curve_key_read(path, secret, cause)) == 1 && create) {
		if ((rc = curve_key_make(path, secret, public, cause)) == 0)
			*made = 1;
		return rc;
	}
	if (rc == 1)
		return ipc_cause(cause, "[control] curve_secret_file %s is "
		    "missing", path);
	if (rc == -1)
		return -1;
	if (zmq_curve_public(public, secret) == -1) {
		sodium_memzero(secret, CURVE_Z85_LEN + 1);
		return ipc_cause(cause, "[control] curve_secret_file %s: no "
		    "public key: %s", path, zmq_strerror(errno));
	}
	/* A FILE.pub removed is written again; failing that is no harm. */
	snprintf(pub, sizeof pub, "%s.pub", path);
	if (access(pub, F_OK) == -1 && curve_pub_write(path, public,
	    NULL) == -1)
		errno = 0;
	return 0;
}

/* ---- the clients ----------------------------------------------------- */

/* What one read of the clients file looks for. */
struct curve_scan {
	const char	*path;
	const char	*want;		/* the key to find, or NULL: check all */
	char		*name;		/* its admin, when found */
	size_t		 namelen;
	char		(*keys)[CURVE_Z85_LEN + 1];	/* seen, for duplicates */
	int		*lines;
	size_t		 nkeys;
	int		 found;
};

static int
curve_line_error(struct curve_scan *sc, int line, char **cause,
    const char *why)
{
	return ipc_cause(cause, "[control] curve_clients %s:%d: %s", sc->path,
	    line, why);
}

/* One "NAME KEY" line, already cut into words. */
static int
curve_line(struct curve_scan *sc, int line, const char *name,
    const char *key, char **cause)
{
	char	why[128];
	size_t	i;

	if (strlen(name) > CURVE_NAME_MAX)
		return curve_line_error(sc, line, cause, "the admin's name is "
		    "too long");
	if (!curve_z85_ok(key, strlen(key)))
		return curve_line_error(sc, line, cause, "not a public key "
		    "(40 characters of Z85, as outfilterctl --curve-keygen "
		    "prints)");
	for (i = 0; i < sc->nkeys; i++)
		if (strcmp(sc->keys[i], key) == 0) {
			snprintf(why, sizeof why, "the key is listed on line "
			    "%d already", sc->lines[i]);
			return curve_line_error(sc, line, cause, why);
		}
	snprintf(sc->keys[sc->nkeys], CURVE_Z85_LEN + 1, "%s", key);
	sc->lines[sc->nkeys++] = line;
	if (sc->want != NULL && strcmp(key, sc->want) == 0) {
		snprintf(sc->name, sc->namelen, "%s", name);
		sc->found = 1;
	}
	return 0;
}

/*
 * Every line of text: blank ones and comments aside, "NAME KEY".  A
 * comment is a line starting with '#' (Z85 keys may hold one).
 */
static int
curve_lines(struct curve_scan *sc, char *text, char **cause)
{
	char	*line, *next, *name, *key, *extra, *save;
	int	 n = 0;

	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		n++;
		if ((name = strtok_r(line, " \t\r", &save)) == NULL ||
		    *name == '#')
			continue;
		key = strtok_r(NULL, " \t\r", &save);
		extra = key != NULL ? strtok_r(NULL, " \t\r", &save) : NULL;
		if (key == NULL || extra != NULL)
			return curve_line_error(sc, n, cause, "not \"NAME "
			    "PUBLIC-KEY\"");
		if (curve_line(sc, n, name, key, cause) == -1)
			return -1;
	}
	return 0;
}

/* Read the whole file, checked: a regular file others cannot change. */
static char *
curve_clients_text(const char *path, char **cause)
{
	struct stat	 st;
	char		*text = NULL;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		ipc_cause(cause, "[control] curve_clients %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		ipc_cause(cause, "[control] curve_clients %s is not a regular "
		    "file", path);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		ipc_cause(cause, "[control] curve_clients %s may be changed by "
		    "others (mode %03o): it says who may administer "
		    "outfilterd; chmod go-w it", path,
		    (unsigned)(st.st_mode & 0777));
	else if (st.st_size > CURVE_CLIENTS_MAX)
		ipc_cause(cause, "[control] curve_clients %s is larger than "
		    "%d bytes", path, CURVE_CLIENTS_MAX);
	else if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		ipc_cause(cause, "out of memory");
	else {
		while (got < (size_t)st.st_size && (n = read(fd, text + got,
		    (size_t)st.st_size - got)) > 0)
			got += (size_t)n;
		text[got] = '\0';
		if (strlen(text) != got) {
			ipc_cause(cause, "[control] curve_clients %s is not "
			    "text: it holds a NUL byte", path);
			free(text);
			text = NULL;
		}
	}
	close(fd);
	return text;
}

static int
curve_clients_scan(struct curve_scan *sc, char **cause)
{
	char	*text;
	size_t	 lines = 1, i;
	int	 rc = -1;

	if ((text = curve_clients_text(sc->path, cause)) == NULL)
		return -1;
	for (i = 0; text[i] != '\0'; i++)
		lines += text[i] == '\n';
	if ((sc->keys = calloc(lines, sizeof *sc->keys)) == NULL ||
	    (sc->lines = calloc(lines, sizeof *sc->lines)) == NULL)
		ipc_cause(cause, "out of memory");
	else
		rc = curve_lines(sc, text, cause);
	free(sc->keys);
	free(sc->lines);
	free(text);
	return rc;
}

int
curve_client_find(const struct config *conf, const char *key, char *name,
    size_t len, char **cause)
{
	struct curve_scan	sc;

	memset(&sc, 0, sizeof sc);
	sc.path = conf_str(conf, CONF_control_curve_clients);
	sc.want = key;
	sc.name = name;
	sc.namelen = len;
	if (*sc.path == '\0')
		return ipc_cause(cause, "[control] curve_clients is not set");
	if (curve_clients_scan(&sc, cause) == -1)
		return -1;
	return sc.found;
}

/* Put "FILE:LINE: " of the line that set id (if one did) before *cause. */
static int
curve_where(const struct config *conf, enum conf_id id, char **cause)
{
	char	 where[PATH_MAX + 32], *why;

	if (cause == NULL || *cause == NULL ||
	    *conf_where(conf, id, id, where, sizeof where) == '\0')
		return -1;
	if (asprintf(&why, "%s%s", where, *cause) != -1) {
		free(*cause);
		*cause = why;
	}
	return -1;
}

int
curve_conf_check(const struct config *conf, char **cause)
{
	const char		*ep = conf_str(conf, CONF_control_remote_endpoint);
	struct curve_scan	 sc;
	char			 secret[CURVE_Z85_LEN + 1];
	int			 rc;

	if (*ep == '\0')
		return 0;
	memset(&sc, 0, sizeof sc);
	sc.path = conf_str(conf, CONF_control_curve_clients);
	if (*sc.path == '\0') {
		ipc_cause(cause, "[control] remote_endpoint %s: tcp:// "
		    "control needs CURVE, and [control] curve_clients names no "
		    "file of the admins' public keys: set it", ep);
		return curve_where(conf, CONF_control_remote_endpoint, cause);
	}
	if (curve_clients_scan(&sc, cause) == -1)
		return curve_where(conf, CONF_control_curve_clients, cause);
	/* A missing key pair is made at start. */
	rc = curve_key_read(conf_str(conf, CONF_control_curve_secret_file),
	    secret, cause);
	sodium_memzero(secret, sizeof secret);
	if (rc == -1)
		return curve_where(conf, CONF_control_curve_secret_file, cause);
	return 0;
}
