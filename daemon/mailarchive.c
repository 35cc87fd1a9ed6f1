/*
 * The archive (mailarchive.h; not archive.h, which would hide libarchive's).
 *
 * A file is DIR/YYYY-MM-DD/LOGID-RANDOM.ofa (the UTC day it was stored,
 * the log row, 96 random bits): the magic ARCHIVE_MAGIC, a secretstream
 * header, then records, each a 4-byte big-endian length and that many
 * bytes of secretstream ciphertext.  A record's plain text is one zstd
 * frame of at most ARCHIVE_FRAME bytes of the message, so that a part of
 * a large message can be read without unpacking the rest; the last record
 * carries the FINAL tag, so a file cut short is told from a whole one.
 * Every record is authenticated with the magic and the log row's id as
 * additional data: a file moved under another row does not open.
 *
 * The file comes first and the row second; a crash in between leaves a
 * file no row names, which the purge removes once its day is older than
 * the retention.
 */
#define _GNU_SOURCE		/* asprintf, mkostemp */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <zstd.h>

#include "mailarchive.h"
#include "conf.h"
#include "daemon.h"
#include "db.h"
#include "ipc.h"

#define ARCHIVE_MAGIC		"OFARCH01"
#define ARCHIVE_MAGICLEN	8
#define ARCHIVE_SUFFIX		".ofa"
#define ARCHIVE_RANDOM		12		/* bytes, written in hex */
#define ARCHIVE_FRAME		(1024 * 1024)	/* message bytes per record */
#define ARCHIVE_LEVEL		3		/* zstd's default */
#define ARCHIVE_KEYLEN		crypto_secretstream_xchacha20poly1305_KEYBYTES
#define ARCHIVE_HDRLEN		crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define ARCHIVE_ABYTES		crypto_secretstream_xchacha20poly1305_ABYTES
#define ARCHIVE_ADLEN		(ARCHIVE_MAGICLEN + 8)
#define ARCHIVE_PURGE_BATCH	100
/* Days of files no row names are removed this long after the retention. */
#define ARCHIVE_ORPHAN_SLACK	(2 * 86400)

/* ---- the key file ---------------------------------------------------- */

/* The key last read, and from where: read once, used by every thread. */
static pthread_mutex_t	 archive_kf_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * In guarded memory (sodium_malloc): locked, left out of core dumps and
 * wiped when freed.  Made on first use, kept for the process's life.
 */
static unsigned char	*archive_kf_key;
static char		 archive_kf_path[PATH_MAX];

static int
archive_read_full(int fd, void *buf, size_t len)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len) {
		if ((n = read(fd, (char *)buf + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (int)(got == len ? 1 : got == 0 ? 0 : 2);
}

static int
archive_write_full(int fd, const void *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory dir, so that a new name in it survives a crash. */
static int
archive_sync_dir(const char *dir)
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

/* fsync the directory holding path. */
static int
archive_sync_parent(const char *path)
{
	char	buf[PATH_MAX];

	snprintf(buf, sizeof buf, "%s", path);
	return archive_sync_dir(dirname(buf));
}

/* 0 with the key, 1 when the file does not exist, -1 with cause. */
static int
archive_keyfile_read(const char *path, unsigned char *key, char **cause)
{
	struct stat	st;
	int		fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 1;
		return ipc_cause(cause, "[archive] key_file %s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ipc_cause(cause, "[archive] key_file %s is not a "
		    "regular file", path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return ipc_cause(cause, "[archive] key_file %s may be read by "
		    "others (mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	}
	if (st.st_size != ARCHIVE_KEYLEN) {
		close(fd);
		return ipc_cause(cause, "[archive] key_file %s is not an "
		    "archive key: %lld bytes, not %d", path,
		    (long long)st.st_size, ARCHIVE_KEYLEN);
	}
	rc = archive_read_full(fd, key, ARCHIVE_KEYLEN);
	close(fd);
	if (rc != 1) {
		sodium_memzero(key, ARCHIVE_KEYLEN);
		return ipc_cause(cause, "[archive] key_file %s: cannot read "
		    "it", path);
	}
	return 0;
}

int
archive_keyfile_check(const struct config *conf, char **cause)
{
	unsigned char	key[ARCHIVE_KEYLEN];
	int		rc;

	rc = archive_keyfile_read(conf_str(conf, CONF_archive_key_file), key,
	    cause);
	sodium_memzero(key, sizeof key);
	return rc == -1 ? -1 : 0;
}

/*
 * A new random key file, mode 0600: written under a temporary name and
 * linked in place, so a reader never sees half of it and of two makers
 * one wins and the other reads its key.
 */
static int
archive_keyfile_make(const char *path, unsigned char *key, char **cause)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX];
	int	 fd, saved;

	snprintf(dir, sizeof dir, "%s", path);
	if (daemon_mkdirs(dirname(dir), 0700, cause) == -1)
		return -1;
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
		return ipc_cause(cause, "[archive] key_file %s: path too long",
		    path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return ipc_cause(cause, "[archive] key_file %s: cannot create "
		    "it: %s", path, strerror(errno));
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (fchmod(fd, 0600) == -1 ||
	    archive_write_full(fd, key, ARCHIVE_KEYLEN) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		sodium_memzero(key, ARCHIVE_KEYLEN);
		return ipc_cause(cause, "[archive] key_file %s: cannot write "
		    "it: %s", path, strerror(saved));
	}
	close(fd);
	if (link(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		sodium_memzero(key, ARCHIVE_KEYLEN);
		if (saved == EEXIST)
			return archive_keyfile_read(path, key, cause) == 0 ?
			    0 : -1;
		return ipc_cause(cause, "[archive] key_file %s: cannot create "
		    "it: %s", path, strerror(saved));
	}
	unlink(tmp);
	archive_sync_parent(path);
	return 0;
}

/* The archive key into key; with create, a missing key file is made. */
static int
archive_key(const struct config *conf, int create, unsigned char *key,
    char **cause)
{
	const char	*path = conf_str(conf, CONF_archive_key_file);
	int		 rc = 0;

	if (strlen(path) >= sizeof archive_kf_path)
		return ipc_cause(cause, "[archive] key_file %s: path too long",
		    path);
	pthread_mutex_lock(&archive_kf_lock);
	if (archive_kf_key == NULL && (sodium_init() == -1 ||
	    (archive_kf_key = sodium_malloc(ARCHIVE_KEYLEN)) == NULL)) {
		pthread_mutex_unlock(&archive_kf_lock);
		return ipc_cause(cause, "out of memory for the archive key");
	}
	if (strcmp(archive_kf_path, path) != 0) {
		archive_kf_path[0] = '\0';
		rc = archive_keyfile_read(path, archive_kf_key, cause);
		if (rc == 1 && create)
			rc = archive_keyfile_make(path, archive_kf_key, cause);
		else if (rc == 1)
			rc = ipc_cause(cause, "[archive] key_file %s is "
			    "missing: the archived messages cannot be read "
			    "without it", path);
		if (rc == 0)
			snprintf(archive_kf_path, sizeof archive_kf_path, "%s",
			    path);
		else
			sodium_memzero(archive_kf_key, ARCHIVE_KEYLEN);
	}
	if (rc == 0)
		memcpy(key, archive_kf_key, ARCHIVE_KEYLEN);
	pthread_mutex_unlock(&archive_kf_lock);
	return rc;
}

/* The additional data of every record: the magic and the log row. */
static void
archive_ad(int64_t log_id, unsigned char *ad)
{
	uint64_t	v = (uint64_t)log_id;
	int		i;

	memcpy(ad, ARCHIVE_MAGIC, ARCHIVE_MAGICLEN);
	for (i = 7; i >= 0; i--, v >>= 8)
		ad[ARCHIVE_MAGICLEN + i] = (unsigned char)(v & 0xff);
}

/* ---- writing --------------------------------------------------------- */

/* What one file's records are made with. */
struct archive_sealer {
	crypto_secretstream_xchacha20poly1305_state	 st;
	ZSTD_CCtx	*zc;
	unsigned char	 ad[ARCHIVE_ADLEN];
	unsigned char	*zbuf, *cbuf;
	size_t		 zcap;
};

static void
archive_sealer_free(struct archive_sealer *s)
{
	ZSTD_freeCCtx(s->zc);
	free(s->zbuf);
	free(s->cbuf);
	sodium_memzero(&s->st, sizeof s->st);
}

/* One record of msg[0..n) onto fd. */
static int
archive_record(struct archive_sealer *s, int fd, const char *msg, size_t n,
    int last, char **cause)
{
	unsigned char		 lenbuf[4];
	unsigned long long	 clen;
	size_t			 zlen;

	zlen = ZSTD_compressCCtx(s->zc, s->zbuf, s->zcap, msg, n,
	    ARCHIVE_LEVEL);
	if (ZSTD_isError(zlen))
		return ipc_cause(cause, "archive: zstd: %s",
		    ZSTD_getErrorName(zlen));
	crypto_secretstream_xchacha20poly1305_push(&s->st, s->cbuf, &clen,
	    s->zbuf, zlen, s->ad, sizeof s->ad, last ?
	    crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
	lenbuf[0] = (unsigned char)(clen >> 24);
	lenbuf[1] = (unsigned char)(clen >> 16);
	lenbuf[2] = (unsigned char)(clen >> 8);
	lenbuf[3] = (unsigned char)clen;
	if (archive_write_full(fd, lenbuf, sizeof lenbuf) == -1 ||
	    archive_write_full(fd, s->cbuf, (size_t)clen) == -1)
		return ipc_cause(cause, "archive: writing: %s",
		    strerror(errno));
	return 0;
}

/* The whole file onto fd: magic, header, records. */
static int
archive_seal(int fd, const unsigned char *key, int64_t log_id,
    const char *msg, size_t len, char **cause)
{
	struct archive_sealer	 s;
	unsigned char		 hdr[ARCHIVE_HDRLEN];
	size_t			 off = 0, n;
	int			 rc = 0;

	memset(&s, 0, sizeof s);
	archive_ad(log_id, s.ad);
	s.zcap = ZSTD_compressBound(ARCHIVE_FRAME);
	if ((s.zc = ZSTD_createCCtx()) == NULL ||
	    (s.zbuf = malloc(s.zcap)) == NULL ||
	    (s.cbuf = malloc(s.zcap + ARCHIVE_ABYTES)) == NULL) {
		archive_sealer_free(&s);
		return ipc_cause(cause, "archive: out of memory");
	}
	crypto_secretstream_xchacha20poly1305_init_push(&s.st, hdr, key);
	if (archive_write_full(fd, ARCHIVE_MAGIC, ARCHIVE_MAGICLEN) == -1 ||
	    archive_write_full(fd, hdr, sizeof hdr) == -1)
		rc = ipc_cause(cause, "archive: writing: %s", strerror(errno));
	do {
		n = len - off > ARCHIVE_FRAME ? ARCHIVE_FRAME : len - off;
		if (rc == 0)
			rc = archive_record(&s, fd, msg + off, n,
			    off + n == len, cause);
		off += n;
	} while (rc == 0 && off < len);
	archive_sealer_free(&s);
	return rc;
}

/* DIR/YYYY-MM-DD, made (0700, its parent synced) when missing. */
static char *
archive_day_dir(const char *dir, char **cause)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		*day;

	if (daemon_mkdirs(dir, 0700, cause) == -1)
		return NULL;
	gmtime_r(&now, &tm);
	if (asprintf(&day, "%s/%04d-%02d-%02d", dir, tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday) == -1) {
		ipc_cause(cause, "archive: out of memory");
		return NULL;
	}
	if (mkdir(day, 0700) == 0) {
		if (archive_sync_dir(dir) == -1) {
			ipc_cause(cause, "archive: %s: %s", dir,
			    strerror(errno));
			free(day);
			return NULL;
		}
	} else if (errno != EEXIST) {
		ipc_cause(cause, "archive: %s: %s", day, strerror(errno));
		free(day);
		return NULL;
	}
	return day;
}

int
archive_write(const struct config *conf, int64_t log_id, const char *msg,
    size_t len, char **path, char **cause)
{
	unsigned char	 key[ARCHIVE_KEYLEN], raw[ARCHIVE_RANDOM];
	char		 hex[ARCHIVE_RANDOM * 2 + 1], *day;
	int		 fd, rc = -1;

	*path = NULL;
	if (archive_key(conf, 1, key, cause) == -1)
		return -1;
	if ((day = archive_day_dir(conf_str(conf, CONF_archive_dir),
	    cause)) == NULL)
		goto out;
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	if (asprintf(path, "%s/%lld-%s" ARCHIVE_SUFFIX, day,
	    (long long)log_id, hex) == -1) {
		*path = NULL;
		ipc_cause(cause, "archive: out of memory");
		goto out;
	}
	if ((fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		ipc_cause(cause, "archive: %s: %s", *path, strerror(errno));
		goto out;
	}
	rc = archive_seal(fd, key, log_id, msg, len, cause);
	if (rc == 0 && fsync(fd) == -1)
		rc = ipc_cause(cause, "archive: %s: %s", *path,
		    strerror(errno));
	if (close(fd) == -1 && rc == 0)
		rc = ipc_cause(cause, "archive: %s: %s", *path,
		    strerror(errno));
	if (rc == 0 && archive_sync_dir(day) == -1)
		rc = ipc_cause(cause, "archive: %s: %s", day, strerror(errno));
	if (rc == -1)
		unlink(*path);
out:
	sodium_memzero(key, sizeof key);
	if (rc == -1) {
		free(*path);
		*path = NULL;
	}
	free(day);
	return rc;
}

int
archive_store(struct db *db, const struct config *conf, int64_t log_id,
    const char *msg, size_t len, char **cause)
{
	char	*path;

	if (archive_write(conf, log_id, msg, len, &path, cause) == -1)
		return -1;
	if (db_archive_add(db, log_id, path, (int64_t)len, cause) == -1) {
		unlink(path);
		archive_sync_parent(path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/* ---- reading --------------------------------------------------------- */

/* What reading one file keeps track of. */
struct archive_opener {
	crypto_secretstream_xchacha20poly1305_state	 st;
	ZSTD_DCtx	*zd;
	unsigned char	 ad[ARCHIVE_ADLEN];
	unsigned char	*cbuf, *zbuf, *frame;
	size_t		 ccap;
	const char	*path;
	uint64_t	 offset, pos;	/* wanted from; message bytes passed */
	size_t		 max;		/* wanted at most */
	char		*out;		/* what was wanted, so far */
	size_t		 len, cap;
};

static void
archive_opener_free(struct archive_opener *o)
{
	ZSTD_freeDCtx(o->zd);
	free(o->cbuf);
	free(o->zbuf);
	free(o->frame);
	sodium_memzero(&o->st, sizeof o->st);
}

/* Append what of frame[0..n) (message bytes pos..) lies in the window. */
static int
archive_take(struct archive_opener *o, const unsigned char *frame, size_t n)
{
	uint64_t	from, to, end = o->offset + o->max;
	size_t		cap;
	char		*p;

	if (end < o->offset)
		end = UINT64_MAX;
	from = o->pos > o->offset ? o->pos : o->offset;
	to = o->pos + n < end ? o->pos + n : end;
	if (from >= to)
		return 0;
	if (o->len + (to - from) > o->cap) {
		cap = o->cap == 0 ? (size_t)(to - from) : o->cap;
		while (cap < o->len + (to - from))
			cap *= 2;
		if ((p = realloc(o->out, cap)) == NULL)
			return -1;
		o->out = p;
		o->cap = cap;
	}
	memcpy(o->out + o->len, frame + (from - o->pos), (size_t)(to - from));
	o->len += (size_t)(to - from);
	return 0;
}

/* One record's plain text: its zstd frame, unpacked when it is wanted. */
static int
archive_frame(struct archive_opener *o, size_t zlen, char **cause)
{
	unsigned long long	 csize;
	size_t			 n;

	csize = ZSTD_getFrameContentSize(o->zbuf, zlen);
	if (csize == ZSTD_CONTENTSIZE_ERROR ||
	    csize == ZSTD_CONTENTSIZE_UNKNOWN || csize > ARCHIVE_FRAME)
		return ipc_cause(cause, "%s: a part of the archived message "
		    "is not a zstd frame of this archive", o->path);
	if (o->pos + csize > o->offset && (o->max == SIZE_MAX ||
	    o->pos < o->offset + o->max)) {
		n = ZSTD_decompressDCtx(o->zd, o->frame, ARCHIVE_FRAME,
		    o->zbuf, zlen);
		if (ZSTD_isError(n) || n != csize)
			return ipc_cause(cause, "%s: zstd: %s", o->path,
			    ZSTD_isError(n) ? ZSTD_getErrorName(n) :
			    "the frame is not the size it says");
		if (archive_take(o, o->frame, n) == -1)
			return ipc_cause(cause, "archive: out of memory");
	}
	o->pos += csize;
	return 0;
}

/* The next record of fd: 1 when it was the last, 0 more, -1 with cause. */
static int
archive_next(struct archive_opener *o, int fd, char **cause)
{
	unsigned char		 lenbuf[4], tag;
	unsigned long long	 zlen;
	size_t			 clen;
	int			 rc;

	if ((rc = archive_read_full(fd, lenbuf, sizeof lenbuf)) != 1)
		return ipc_cause(cause, "%s is cut short: the end of the "
		    "archived message is missing", o->path);
	clen = (size_t)lenbuf[0] << 24 | (size_t)lenbuf[1] << 16 |
	    (size_t)lenbuf[2] << 8 | lenbuf[3];
	if (clen < ARCHIVE_ABYTES || clen > o->ccap)
		return ipc_cause(cause, "%s is damaged: a record of %zu bytes "
		    "cannot be one of this archive", o->path, clen);
	if (archive_read_full(fd, o->cbuf, clen) != 1)
		return ipc_cause(cause, "%s is cut short: the end of the "
		    "archived message is missing", o->path);
	if (crypto_secretstream_xchacha20poly1305_pull(&o->st, o->zbuf, &zlen,
	    &tag, o->cbuf, clen, o->ad, sizeof o->ad) == -1)
		return ipc_cause(cause, "%s fails authentication: the file "
		    "was altered, or it is not this message's or this key's",
		    o->path);
	if (archive_frame(o, (size_t)zlen, cause) == -1)
		return -1;
	return tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
}

/* Magic and header of fd, then every record. */
static int
archive_open_all(struct archive_opener *o, int fd, const unsigned char *key,
    char **cause)
{
	unsigned char	magic[ARCHIVE_MAGICLEN], hdr[ARCHIVE_HDRLEN], extra;
	int		rc;

	if (archive_read_full(fd, magic, sizeof magic) != 1 ||
	    memcmp(magic, ARCHIVE_MAGIC, sizeof magic) != 0)
		return ipc_cause(cause, "%s is not an archived message of "
		    "outfilter", o->path);
	if (archive_read_full(fd, hdr, sizeof hdr) != 1 ||
	    crypto_secretstream_xchacha20poly1305_init_pull(&o->st, hdr,
	    key) == -1)
		return ipc_cause(cause, "%s is damaged: its header is cut "
		    "short", o->path);
	while ((rc = archive_next(o, fd, cause)) == 0)
		;
	if (rc == -1)
		return -1;
	if (archive_read_full(fd, &extra, 1) != 0)
		return ipc_cause(cause, "%s is damaged: it goes on after the "
		    "end of the archived message", o->path);
	return 0;
}

int
archive_read_file(const struct config *conf, const char *path,
    int64_t log_id, uint64_t offset, size_t max, char **buf, size_t *len,
    uint64_t *total, char **cause)
{
	struct archive_opener	 o;
	unsigned char		 key[ARCHIVE_KEYLEN];
	int			 fd, rc = -1;

	*buf = NULL;
	*len = 0;
	memset(&o, 0, sizeof o);
	o.path = path;
	o.offset = offset;
	o.max = max;
	archive_ad(log_id, o.ad);
	o.ccap = ZSTD_compressBound(ARCHIVE_FRAME) + ARCHIVE_ABYTES;
	if (archive_key(conf, 0, key, cause) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		sodium_memzero(key, sizeof key);
		return ipc_cause(cause, "the archived file %s cannot be read: "
		    "%s", path, strerror(errno));
	}
	if ((o.zd = ZSTD_createDCtx()) == NULL ||
	    (o.cbuf = malloc(o.ccap)) == NULL ||
	    (o.zbuf = malloc(o.ccap)) == NULL ||
	    (o.frame = malloc(ARCHIVE_FRAME)) == NULL)
		ipc_cause(cause, "archive: out of memory");
	else if ((rc = archive_open_all(&o, fd, key, cause)) == 0) {
		if (o.out == NULL && (o.out = malloc(1)) == NULL)
			rc = ipc_cause(cause, "archive: out of memory");
		*buf = o.out;
		*len = o.len;
		*total = o.pos;
		o.out = NULL;
	}
	close(fd);
	free(o.out);
	archive_opener_free(&o);
	sodium_memzero(key, sizeof key);
	return rc;
}

int
archive_read(struct db *db, const struct config *conf, int64_t id,
    char **msg, size_t *len, char **cause)
{
	json_t		*row;
	const char	*path;
	uint64_t	 total;
	int		 rc;

	if (db_archive_get(db, NULL, id, &row, cause) == -1)
		return -1;
	if ((path = json_string_value(json_object_get(row, "path"))) == NULL)
		rc = ipc_cause(cause, "archived message %lld has no file",
		    (long long)id);
	else
		rc = archive_read_file(conf, path, json_integer_value(
		    json_object_get(row, "log_id")), 0, SIZE_MAX, msg, len,
		    &total, cause);
	json_decref(row);
	return rc;
}

/* ---- purging --------------------------------------------------------- */

/* One batch of expired rows: file, then row.  -1 stops the purge. */
static int
archive_purge_batch(struct db *db, int64_t before, int64_t *removed,
    size_t *n, char **cause)
{
	json_t		*rows, *r;
	const char	*path;
	size_t		 i;
	int		 rc = 0;

	if (db_archive_expired(db, before, ARCHIVE_PURGE_BATCH, &rows,
	    cause) == -1)
		return -1;
	*n = json_array_size(rows);
	json_array_foreach(rows, i, r) {
		path = json_string_value(json_object_get(r, "path"));
		if (path != NULL && unlink(path) == -1 && errno != ENOENT) {
			rc = ipc_cause(cause, "archive: %s: %s", path,
			    strerror(errno));
			break;
		}
		if ((rc = db_archive_forget(db, json_integer_value(
		    json_object_get(r, "id")), cause)) == -1)
			break;
		(*removed)++;
	}
	json_decref(rows);
	return rc;
}

/* The start of the UTC day a YYYY-MM-DD directory is named for, or -1. */
static int64_t
archive_day_time(const char *name)
{
	struct tm	tm;
	char		*end;

	memset(&tm, 0, sizeof tm);
	if (strlen(name) != 10 || (end = strptime(name, "%Y-%m-%d", &tm)) ==
	    NULL || *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

/* Remove the archive's files of one old day directory, then it. */
static void
archive_day_clear(int dirfd, const char *name, int64_t *removed)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 len, sfx = strlen(ARCHIVE_SUFFIX);
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len > sfx && strcmp(e->d_name + len - sfx,
		    ARCHIVE_SUFFIX) == 0 && unlinkat(fd, e->d_name, 0) == 0)
			(*removed)++;
	}
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

/*
 * Day directories: those past the retention lose what no row names any
 * more (every row of theirs is gone by now) and go; emptied ones go.
 */
static void
archive_days(const char *dir, int64_t before, int64_t *removed)
{
	DIR		*d;
	struct dirent	*e;
	int64_t		 t;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if ((t = archive_day_time(e->d_name)) == -1)
			continue;
		if (t + 86400 < before - ARCHIVE_ORPHAN_SLACK)
			archive_day_clear(dirfd(d), e->d_name, removed);
		else if (t + 86400 <= before)
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

int
archive_purge(struct db *db, const struct config *conf, int64_t *removed,
    char **cause)
{
	int64_t	before = (int64_t)time(NULL) -
	    conf_int(conf, CONF_archive_retention_days) * 86400;
	size_t	n;

	*removed = 0;
	do {
		if (archive_purge_batch(db, before, removed, &n, cause) == -1)
			return -1;
	} while (n == ARCHIVE_PURGE_BATCH);
	archive_days(conf_str(conf, CONF_archive_dir), before, removed);
	return 0;
}
