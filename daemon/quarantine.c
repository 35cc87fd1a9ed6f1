/*
 * The quarantine (quarantine.h): held files, their release through the
 * relay backends, show's view of them, and the purge.
 *
 * A file is named LOGID-RANDOM.eml: the log row it belongs to, and 96
 * random bits so that nobody guesses another's name.  The file comes
 * first and the row second; a crash in between leaves a file no row
 * names, which the purge removes once it is older than the retention.
 *
 * Release, delete and purge all run in the control thread, so a file is
 * never removed while it is being relayed.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <gmime/gmime.h>
#include <sodium.h>

#include "conf.h"
#include "daemon.h"
#include "db.h"
#include "ipc.h"
#include "quarantine.h"
#include "relay.h"
#include "spool.h"

#define QUARANTINE_SUFFIX	".eml"
#define QUARANTINE_RANDOM	12		/* bytes, written in hex */
#define QUARANTINE_CHUNK	65536
#define QUARANTINE_PURGE_BATCH	100
/* A file no row names is removed this long after the retention. */
#define QUARANTINE_ORPHAN_SLACK	86400

/*
 * Storing.
 */

static int
quarantine_write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* fsync a directory, so that a new name in it survives a crash. */
static int
quarantine_sync_dir(const char *dir)
{
	int	fd, rc, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* A new file name in dir: malloc'ed, NULL when out of memory. */
static char *
quarantine_name(const char *dir, int64_t log_id)
{
	unsigned char	 raw[QUARANTINE_RANDOM];
	char		 hex[QUARANTINE_RANDOM * 2 + 1], *path;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	if (asprintf(&path, "%s/%lld-%s" QUARANTINE_SUFFIX, dir,
	    (long long)log_id, hex) == -1)
		return NULL;
	return path;
}

/* Write msg to a new file path, synced with its directory; errno on -1. */
static int
quarantine_write(const char *dir, const char *path, const char *msg,
    size_t len)
{
	int	fd, saved;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	if (quarantine_write_all(fd, msg, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(path);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1 || quarantine_sync_dir(dir) == -1) {
		saved = errno;
		unlink(path);
		errno = saved;
		return -1;
	}
	return 0;
}

int
quarantine_store(struct db *db, const struct config *conf, int64_t log_id,
    const char *sender, const char *const *rcpts, size_t nrcpts,
    const char *msg, size_t len, char **cause)
{
	const char	*dir = conf_str(conf, CONF_quarantine_dir);
	char		*path;
	int		 saved;

	if (daemon_mkdirs(dir, 0700, cause) == -1)
		return -1;
	if ((path = quarantine_name(dir, log_id)) == NULL) {
		errno = ENOMEM;
		return ipc_cause(cause, "quarantine: out of memory");
	}
	if (quarantine_write(dir, path, msg, len) == -1) {
		saved = errno;
		ipc_cause(cause, "quarantine: %s: %s", path, strerror(saved));
		free(path);
		errno = saved;
		return -1;
	}
	if (db_quarantine_add(db, log_id, path, (int64_t)len, sender, rcpts,
	    nrcpts, NULL, cause) == -1) {
		unlink(path);
		free(path);
		errno = 0;
		return -1;
	}
	free(path);
	return 0;
}

/*
 * Releasing: relay_send() on an event loop of its own, run until the next
 * hop has answered.
 */

struct quarantine_hop {
	struct relay_reply	reply;
	int			replied;
};

static void
quarantine_on_reply(void *arg, const struct relay_reply *r)
{
	struct quarantine_hop	*h = arg;

	h->reply = *r;
	h->replied = 1;
}

/*
 * The backends promise an answer; a loop left with nothing to wait for
 * is a broken promise, taken as a failure.
 */
static void
quarantine_wait(struct event_base *base, struct quarantine_hop *h)
{
	int	rc;

	while (!h->replied) {
		if ((rc = event_base_loop(base, EVLOOP_ONCE)) == -1 ||
		    (rc == 1 && !h->replied)) {
			relay_reply_set(&h->reply, 451, "4.3.0 the next hop "
			    "left the message unanswered");
			break;
		}
	}
}

/* The message into a spool, as the backends read it; 8-bit noted. */
static struct spool *
quarantine_spool(const struct config *conf, const char *path, int *eight,
    char **cause)
{
	struct spool	*sp;
	char		*buf = NULL, *dir = NULL;
	ssize_t		 n, i;
	int		 fd = -1;

	*eight = 0;
	if (*conf_str(conf, CONF_smtp_spool_dir) != '\0')
		dir = strdup(conf_str(conf, CONF_smtp_spool_dir));
	else if (asprintf(&dir, "%s/spool", conf_str(conf,
	    CONF_paths_state_dir)) == -1)
		dir = NULL;
	sp = spool_new((size_t)conf_int(conf, CONF_smtp_spool_memory), dir);
	if (sp == NULL || dir == NULL || (buf = malloc(QUARANTINE_CHUNK)) ==
	    NULL) {
		ipc_cause(cause, "out of memory");
		goto fail;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		ipc_cause(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	while ((n = read(fd, buf, QUARANTINE_CHUNK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || spool_write(sp, buf, n) == -1) {
			ipc_cause(cause, "%s: %s", path, strerror(n == -1 ?
			    errno : spool_error(sp)));
			goto fail;
		}
		for (i = 0; i < n && !*eight; i++)
			*eight = (unsigned char)buf[i] >= 0x80;
	}
	close(fd);
	free(buf);
	free(dir);
	return sp;
fail:
	if (fd != -1)
		close(fd);
	free(buf);
	free(dir);
	if (sp != NULL)
		spool_free(sp);
	return NULL;
}

static int
quarantine_utf8(const struct quarantine_msg *m)
{
	const char	*s;
	size_t		 i;

	for (i = 0; i <= m->nrcpts; i++) {
		for (s = i == 0 ? m->sender : m->rcpts[i - 1]; *s != '\0'; s++)
			if ((unsigned char)*s >= 0x80)
				return 1;
	}
	return 0;
}

/* Hand sp to the next hop on base and wait; 0 when it took the message. */
static int
quarantine_send(const struct config *conf, struct event_base *base,
    const struct quarantine_msg *m, struct spool *sp, int eight,
    struct relay_reply *reply, char **cause)
{
	const char			*spec = conf_str(conf, CONF_relay_next_hop);
	const struct relay_backend	*b;
	struct relay			*relay;
	struct relay_envelope		 env;
	struct quarantine_hop		 h;

	memset(&h, 0, sizeof h);
	memset(&env, 0, sizeof env);
	env.queue_id = m->queue_id;
	env.sender = m->sender;
	env.helo = conf_str(conf, CONF_smtp_hostname);
	env.body_8bit = eight;
	env.smtputf8 = quarantine_utf8(m);
	env.size = spool_size(sp);
	if ((b = relay_backend_find(spec, cause)) == NULL ||
	    (relay = b->open(base, spec, cause)) == NULL) {
		spool_free(sp);
		return -1;
	}
	if (relay_send(base, b, relay, &env, m->rcpts, m->nrcpts, sp,
	    quarantine_on_reply, &h) == -1) {
		spool_free(sp);
		b->close(relay);
		return ipc_cause(cause, "out of memory");
	}
	quarantine_wait(base, &h);
	b->close(relay);
	*reply = h.reply;
	if (!relay_reply_ok(reply))
		return ipc_cause(cause, "next hop %s: %d %s", spec,
		    reply->code, reply->text);
	return 0;
}

int
quarantine_relay(const struct config *conf, const struct quarantine_msg *m,
    struct relay_reply *reply, char **cause)
{
	struct event_base	*base;
	struct spool		*sp;
	int			 eight, rc;

	memset(reply, 0, sizeof *reply);
	if (m->nrcpts == 0)
		return ipc_cause(cause, "the message has no recipients");
	if ((sp = quarantine_spool(conf, m->path, &eight, cause)) == NULL)
		return -1;
	if ((base = event_base_new()) == NULL) {
		spool_free(sp);
		return ipc_cause(cause, "libevent: cannot make an event base");
	}
	rc = quarantine_send(conf, base, m, sp, eight, reply, cause);
	event_base_free(base);
	return rc;
}

/*
 * Showing.
 */

static pthread_once_t	quarantine_once = PTHREAD_ONCE_INIT;

static void
quarantine_gmime_init(void)
{
	g_mime_init();
}

/* len bytes of s as a JSON string of valid UTF-8. */
static json_t *
quarantine_text_json(const char *s, size_t len)
{
	gchar	*valid = g_utf8_make_valid(s, (gssize)len);
	json_t	*j = json_string(valid);

	g_free(valid);
	return j;
}

/* The header block: up to the first empty line, at most the maximum. */
static int
quarantine_headers(int fd, json_t *into, int *cut)
{
	char	*buf;
	ssize_t	 n, got = 0;
	char	*end;

	if ((buf = malloc(QUARANTINE_HEADERS_MAX + 1)) == NULL)
		return -1;
	while (got < QUARANTINE_HEADERS_MAX && (n = read(fd, buf + got,
	    QUARANTINE_HEADERS_MAX - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return -1;
		}
		got += n;
	}
	buf[got] = '\0';
	if ((end = strstr(buf, "\r\n\r\n")) != NULL)
		got = end - buf + 2;
	else if ((end = strstr(buf, "\n\n")) != NULL)
		got = end - buf + 1;
	else if (got == QUARANTINE_HEADERS_MAX)
		*cut = 1;
	json_object_set_new(into, "headers", quarantine_text_json(buf, got));
	free(buf);
	return 0;
}

/* The first text/plain part, else the first text part of any kind. */
static GMimeTextPart *
quarantine_text_part(GMimeObject *top)
{
	GMimePartIter	*it;
	GMimeObject	*o;
	GMimeTextPart	*any = NULL, *plain = NULL;

	if (GMIME_IS_TEXT_PART(top))
		return GMIME_TEXT_PART(top);
	it = g_mime_part_iter_new(top);
	while (plain == NULL && g_mime_part_iter_is_valid(it)) {
		o = g_mime_part_iter_get_current(it);
		if (GMIME_IS_TEXT_PART(o) && g_mime_content_type_is_type(
		    g_mime_object_get_content_type(o), "text", "plain"))
			plain = GMIME_TEXT_PART(o);
		else if (GMIME_IS_TEXT_PART(o) && any == NULL)
			any = GMIME_TEXT_PART(o);
		if (!g_mime_part_iter_next(it))
			break;
	}
	g_mime_part_iter_free(it);
	return plain != NULL ? plain : any;
}

/* The decoded text of the message's first text part, cut to the maximum. */
static void
quarantine_text(int fd, json_t *into, int *cut)
{
	GMimeStream	*st;
	GMimeParser	*p;
	GMimeMessage	*m;
	GMimeTextPart	*tp;
	GMimeObject	*top;
	char		*text = NULL;
	const char	*end;

	pthread_once(&quarantine_once, quarantine_gmime_init);
	st = g_mime_stream_fs_new(fd);
	p = g_mime_parser_new_with_stream(st);
	g_object_unref(st);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	if (m != NULL && (top = g_mime_message_get_mime_part(m)) != NULL &&
	    (tp = quarantine_text_part(top)) != NULL)
		text = g_mime_text_part_get_text(tp);
	if (text == NULL)
		json_object_set_new(into, "text", json_null());
	else {
		if (strlen(text) > QUARANTINE_TEXT_MAX) {
			/* Cut on a character's first byte. */
			end = g_utf8_find_prev_char(text, text +
			    QUARANTINE_TEXT_MAX + 1);
			text[end != NULL ? end - text : 0] = '\0';
			*cut = 1;
		}
		json_object_set_new(into, "text", quarantine_text_json(text,
		    strlen(text)));
		g_free(text);
	}
	if (m != NULL)
		g_object_unref(m);
}

int
quarantine_peek(const char *path, json_t *into, char **cause)
{
	int	fd, cut = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return ipc_cause(cause, "the quarantined file %s cannot be "
		    "read: %s", path, strerror(errno));
	if (quarantine_headers(fd, into, &cut) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		ipc_cause(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* The stream owns fd from here. */
	quarantine_text(fd, into, &cut);
	json_object_set_new(into, "truncated", json_boolean(cut));
	return 0;
}

/*
 * Purging.
 */

/* One batch of expired rows: file, then row.  -1 stops the purge. */
static int
quarantine_purge_batch(struct db *db, int64_t before, int64_t *deleted,
    size_t *n, char **cause)
{
	json_t		*rows, *r;
	const char	*path;
	size_t		 i;
	int		 rc = 0;

	if (db_quarantine_expired(db, before, QUARANTINE_PURGE_BATCH, &rows,
	    cause) == -1)
		return -1;
	*n = json_array_size(rows);
	json_array_foreach(rows, i, r) {
		path = json_string_value(json_object_get(r, "path"));
		if (path != NULL && unlink(path) == -1 && errno != ENOENT) {
			rc = ipc_cause(cause, "%s: %s", path, strerror(errno));
			break;
		}
		if ((rc = db_quarantine_forget(db, json_integer_value(
		    json_object_get(r, "id")), cause)) == -1)
			break;
		(*deleted)++;
	}
	json_decref(rows);
	return rc;
}

/* Files of the directory that no row names any more. */
static void
quarantine_orphans(const char *dir, time_t before, int64_t *deleted)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	size_t		 len, sfx = strlen(QUARANTINE_SUFFIX);

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len <= sfx || strcmp(e->d_name + len - sfx,
		    QUARANTINE_SUFFIX) != 0 ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(sb.st_mode) || sb.st_mtime >= before)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			(*deleted)++;
	}
	closedir(d);
}

int
quarantine_purge(struct db *db, const struct config *conf, time_t now,
    int64_t *deleted, char **cause)
{
	int64_t	before = (int64_t)now -
	    conf_int(conf, CONF_quarantine_retention_days) * 86400;
	size_t	n;

	*deleted = 0;
	do {
		if (quarantine_purge_batch(db, before, deleted, &n,
		    cause) == -1)
			return -1;
	} while (n == QUARANTINE_PURGE_BATCH);
	quarantine_orphans(conf_str(conf, CONF_quarantine_dir),
	    (time_t)(before - QUARANTINE_ORPHAN_SLACK), deleted);
	return 0;
}
