/*
 * Files moved to or from the daemon in parts, a request each, as
 * outfilterctl moves them (ipc/ctl_parts.c), but one part at a time from
 * the main loop: the keyboard stays live, the screen shows how far it
 * got, and leaving the screen stops it.
 *
 * Upload: a file's lines as the T_LINES argument of a command, cut after
 * whole lines into parts of at most TRANSFER_PART bytes, each part's first
 * line number in "first_line"; a line too long for a part is sent cut
 * short (the daemon reports it as bad) and the rest of it skipped, so the
 * numbers stay true; bytes JSON cannot carry as text (NUL, invalid UTF-8)
 * go as '?'.  The replies are merged: numbers added up, lists joined.
 *
 * Download: the bytes of a CMDF_DOWNLOAD command from "offset" on until
 * it has handed out "size" of them, written under a temporary name beside
 * the file and renamed when whole, so a failed export leaves no half file.
 */
#define _GNU_SOURCE		/* memrchr, mkostemp */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "tui.h"

#define TRANSFER_PART		(IPC_MAX_TEXT - 1024)	/* bytes of lines */
#define TRANSFER_LONG_LINE	2048	/* what of a too long line is sent */
#define TRANSFER_LIST_MAX	100	/* entries of a merged list kept */

struct transfer {
	int			 upload;
	const struct ipc_cmd	*cmd;
	const struct ipc_arg	*lines;		/* upload: the T_LINES argument */
	json_t			*args;		/* the other arguments */
	transfer_done_fn	*done;
	void			*arg;
	FILE			*f;
	char			 path[PATH_MAX];
	char			 tmp[PATH_MAX];	/* download: written here first */
	/* Upload: the file, a part at a time. */
	char			*buf;
	size_t			 len;		/* bytes in buf */
	int			 eof;
	int			 last;		/* the last part is out */
	long long		 line;		/* lines handed out so far */
	long long		 read, total;	/* bytes read; the size or -1 */
	json_t			*result;	/* the replies merged */
	/* Download. */
	long long		 offset, size;
};

static void
transfer_free(struct transfer *t)
{
	conn_forget(t);
	if (t->f != NULL)
		fclose(t->f);
	if (t->tmp[0] != '\0')
		unlink(t->tmp);
	json_decref(t->args);
	json_decref(t->result);
	free(t->buf);
	free(t);
}

/* Tell the owner, then go. */
static void
transfer_end(struct transfer *t, int rc, const struct ipc_error *err)
{
	t->done(t->arg, rc, rc == IPC_CALL_OK ? t->result : NULL, err);
	transfer_free(t);
}

/* A failure of ours (not the daemon's): err filled; returns -1. */
static int
transfer_err(struct ipc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
transfer_err(struct ipc_error *err, const char *fmt, ...)
{
	va_list	ap;

	memset(err, 0, sizeof *err);
	err->code = IPC_E_INVALID;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

void
transfer_cancel(struct transfer *t)
{
	if (t != NULL)
		transfer_free(t);
}

int
transfer_path(const char *in, char *out, size_t size)
{
	const char	*home = getenv("HOME");

	if (in[0] == '~' && (in[1] == '/' || in[1] == '\0') && home != NULL)
		return snprintf(out, size, "%s%s", home, in + 1) <
		    (int)size ? 0 : -1;
	return snprintf(out, size, "%s", in) < (int)size ? 0 : -1;
}

/* "12.3 MB": a size for people. */
static void
transfer_size(long long n, char *buf, size_t len)
{
	if (n >= 1000000)
		snprintf(buf, len, "%.1f MB", n / 1e6);
	else
		snprintf(buf, len, "%lld kB", (n + 999) / 1000);
}

void
transfer_progress(const struct transfer *t, char *buf, size_t size)
{
	char		 done[32], total[32];
	long long	 d = t->upload ? t->read - (long long)t->len : t->offset;
	long long	 all = t->upload ? t->total : t->size;

	transfer_size(d, done, sizeof done);
	if (all > 0) {
		transfer_size(all, total, sizeof total);
		snprintf(buf, size, "%d%% (%s of %s)", (int)(d * 100 / all),
		    done, total);
	} else
		snprintf(buf, size, "%s", done);
}

/* ---- upload ---------------------------------------------------------- */

static int
transfer_fill(struct transfer *t)
{
	size_t	n;

	while (!t->eof && t->len < TRANSFER_PART) {
		n = fread(t->buf + t->len, 1, TRANSFER_PART - t->len, t->f);
		t->len += n;
		t->read += (long long)n;
		if (n == 0) {
			if (ferror(t->f))
				return -1;
			t->eof = 1;
		}
	}
	return 0;
}

/* Skip the file up to and past the next newline (the rest of a long line). */
static int
transfer_skip_line(struct transfer *t)
{
	int	c;

	while ((c = getc(t->f)) != EOF) {
		t->read++;
		if (c == '\n')
			return 0;
	}
	if (ferror(t->f))
		return -1;
	t->eof = 1;
	return 0;
}

/* The part's text as JSON takes it: NUL and invalid UTF-8 become '?'. */
static json_t *
transfer_string(char *s, size_t n)
{
	json_t	*j;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			s[i] = '?';
	}
	if ((j = json_stringn(s, n)) != NULL)
		return j;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] >= 0x80)
			s[i] = '?';
	}
	return json_stringn(s, n);
}

static long long
transfer_lines_in(const char *s, size_t n)
{
	long long	k = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* The next part: whole lines, or one long line cut short; -1: unreadable. */
static int
transfer_next_part(struct transfer *t, json_t **text)
{
	char	*nl;
	size_t	 take;

	*text = NULL;
	if (transfer_fill(t) == -1)
		return -1;
	if (t->len == 0) {
		*text = json_string("");
		return 0;
	}
	take = t->len;
	if (!t->eof || t->len == TRANSFER_PART) {
		if ((nl = memrchr(t->buf, '\n', t->len)) != NULL)
			take = (size_t)(nl - t->buf) + 1;
		else if (t->len == TRANSFER_PART) {
			/* One line longer than a part: its start, cut. */
			t->buf[TRANSFER_LONG_LINE - 1] = '\n';
			*text = transfer_string(t->buf, TRANSFER_LONG_LINE);
			t->len = 0;
			t->line++;
			return transfer_skip_line(t);
		}
	}
	*text = transfer_string(t->buf, take);
	t->line += transfer_lines_in(t->buf, take) + (t->buf[take - 1] != '\n');
	memmove(t->buf, t->buf + take, t->len - take);
	t->len -= take;
	return 0;
}

/* A reply into the merged result: numbers added up, lists joined. */
static void
transfer_merge(json_t *merged, json_t *reply)
{
	const char	*key;
	json_t		*v, *m, *e;
	size_t		 i;

	json_object_foreach(reply, key, v) {
		m = json_object_get(merged, key);
		if (json_is_integer(m) && json_is_integer(v))
			json_integer_set(m, json_integer_value(m) +
			    json_integer_value(v));
		else if (json_is_array(m) && json_is_array(v)) {
			json_array_foreach(v, i, e) {
				if (json_array_size(m) >= TRANSFER_LIST_MAX)
					break;
				json_array_append(m, e);
			}
		} else
			json_object_set(merged, key, v);
	}
}

static int	transfer_send_part(struct transfer *, struct ipc_error *);

static void
transfer_upload_reply(void *arg, int rc, json_t *result,
    const struct ipc_error *err)
{
	struct transfer		*t = arg;
	struct ipc_error	 mine;

	if (rc != IPC_CALL_OK) {
		transfer_end(t, rc, err);
		return;
	}
	if (t->result == NULL)
		t->result = json_deep_copy(result);
	else
		transfer_merge(t->result, result);
	if (t->last)
		transfer_end(t, IPC_CALL_OK, NULL);
	else if (transfer_send_part(t, &mine) == -1)
		transfer_end(t, TRANSFER_LOCAL, &mine);
}

/* Read and send the next part; -1 with err when it cannot. */
static int
transfer_send_part(struct transfer *t, struct ipc_error *err)
{
	json_t		*text, *args;
	long long	 first = t->line;

	if (transfer_next_part(t, &text) == -1) {
		json_decref(text);
		return transfer_err(err, "cannot read %s: %s", t->path,
		    strerror(errno));
	}
	t->last = t->eof && t->len == 0;
	args = json_deep_copy(t->args);
	json_object_set_new(args, t->lines->key, text);
	if (ipc_cmd_arg(t->cmd, "first_line") != NULL)
		json_object_set_new(args, "first_line", json_integer(first +
		    1));
	if (conn_call(t->cmd->name, args, transfer_upload_reply, t) == -1)
		return transfer_err(err, "the daemon is slow to answer: try "
		    "again");
	return 0;
}

/* The command's T_LINES argument, or NULL. */
static const struct ipc_arg *
transfer_lines_arg(const struct ipc_cmd *cmd)
{
	const struct ipc_arg	*a;

	for (a = cmd->args; a->key != NULL; a++) {
		if (a->type == T_LINES)
			return a;
	}
	return NULL;
}

static struct transfer *
transfer_new(const char *cmd, json_t *args, const char *path,
    transfer_done_fn *done, void *arg, char **cause)
{
	struct transfer	*t;

	if ((t = calloc(1, sizeof *t)) == NULL) {
		json_decref(args);
		ipc_cause(cause, "out of memory");
		return NULL;
	}
	t->args = args != NULL ? args : json_object();
	t->done = done;
	t->arg = arg;
	t->total = -1;
	t->size = -1;
	if ((t->cmd = ipc_cmd_find(cmd)) == NULL) {
		ipc_cause(cause, "%s is not available", cmd);
		transfer_free(t);
		return NULL;
	}
	if (transfer_path(path, t->path, sizeof t->path) == -1) {
		ipc_cause(cause, "%s: path too long", path);
		transfer_free(t);
		return NULL;
	}
	return t;
}

/* Open the file to send; 0, or -1 with *cause. */
static int
transfer_open(struct transfer *t, char **cause)
{
	struct stat	 sb;
	char		 base[PATH_MAX];

	if ((t->lines = transfer_lines_arg(t->cmd)) == NULL)
		return ipc_cause(cause, "%s takes no file", t->cmd->name);
	if ((t->buf = malloc(TRANSFER_PART + 1)) == NULL)
		return ipc_cause(cause, "out of memory");
	if ((t->f = fopen(t->path, "r")) == NULL)
		return ipc_cause(cause, "cannot read %s: %s", t->path,
		    strerror(errno));
	if (fstat(fileno(t->f), &sb) == -1)
		return ipc_cause(cause, "cannot read %s: %s", t->path,
		    strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return ipc_cause(cause, "cannot read %s: it is a directory",
		    t->path);
	if (S_ISREG(sb.st_mode))
		t->total = (long long)sb.st_size;
	/* The file's name for "source", when the command keeps one. */
	if (ipc_cmd_arg(t->cmd, "source") != NULL &&
	    json_object_get(t->args, "source") == NULL) {
		snprintf(base, sizeof base, "%s", t->path);
		json_object_set_new(t->args, "source",
		    json_string(basename(base)));
	}
	return 0;
}

struct transfer *
transfer_upload(const char *cmd, json_t *args, const char *path,
    transfer_done_fn *done, void *arg, char **cause)
{
	struct transfer		*t;
	struct ipc_error	 err;

	if ((t = transfer_new(cmd, args, path, done, arg, cause)) == NULL)
		return NULL;
	t->upload = 1;
	if (transfer_open(t, cause) == -1) {
		transfer_free(t);
		return NULL;
	}
	if (transfer_send_part(t, &err) == -1) {
		ipc_cause(cause, "%s", err.message);
		transfer_free(t);
		return NULL;
	}
	return t;
}

/* ---- download -------------------------------------------------------- */

static int	transfer_ask(struct transfer *, struct ipc_error *);

/* Everything is there: into place.  -1 with err when it cannot. */
static int
transfer_finish(struct transfer *t, struct ipc_error *err)
{
	int	failed = fflush(t->f) == EOF || ferror(t->f);

	if (fsync(fileno(t->f)) == -1)
		failed = 1;
	if (fclose(t->f) == EOF)
		failed = 1;
	t->f = NULL;
	if (failed || rename(t->tmp, t->path) == -1)
		return transfer_err(err, "cannot write %s: %s", t->path,
		    strerror(errno));
	t->tmp[0] = '\0';
	t->result = json_pack("{s:I}", "size", (json_int_t)t->size);
	return 0;
}

/* One part's bytes onto the file, their number into *n; -1 with err. */
static int
transfer_write(struct transfer *t, const json_t *reply, size_t *n,
    struct ipc_error *err)
{
	const char	*b64 = json_string_value(json_object_get(reply, "data"));
	size_t		 blen, cap;
	unsigned char	*bin;
	int		 rc = 0;

	if (b64 == NULL)
		return transfer_err(err, "the daemon's answer holds no data");
	blen = strlen(b64);
	cap = blen / 4 * 3 + 3;
	if ((bin = malloc(cap)) == NULL)
		return transfer_err(err, "out of memory");
	if (sodium_base642bin(bin, cap, b64, blen, NULL, n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == -1)
		rc = transfer_err(err, "the daemon's data is not base64");
	else if (*n > 0 && fwrite(bin, 1, *n, t->f) != *n)
		rc = transfer_err(err, "cannot write %s: %s", t->path,
		    strerror(errno));
	free(bin);
	return rc;
}

/* A part came: write it, then ask for the next or finish; -1 with err. */
static int
transfer_part(struct transfer *t, const json_t *result, int *whole,
    struct ipc_error *err)
{
	size_t	n;

	*whole = 0;
	if (t->size == -1)
		t->size = json_integer_value(json_object_get(result, "size"));
	if (transfer_write(t, result, &n, err) == -1)
		return -1;
	t->offset += (long long)n;
	if (t->offset >= t->size) {
		*whole = 1;
		return transfer_finish(t, err);
	}
	if (n == 0)
		return transfer_err(err, "the daemon stopped at byte %lld of "
		    "%lld", t->offset, t->size);
	return transfer_ask(t, err);
}

static void
transfer_download_reply(void *arg, int rc, json_t *result,
    const struct ipc_error *err)
{
	struct transfer		*t = arg;
	struct ipc_error	 mine;
	int			 whole;

	if (rc != IPC_CALL_OK)
		transfer_end(t, rc, err);
	else if (transfer_part(t, result, &whole, &mine) == -1)
		transfer_end(t, TRANSFER_LOCAL, &mine);
	else if (whole)
		transfer_end(t, IPC_CALL_OK, NULL);
}

static int
transfer_ask(struct transfer *t, struct ipc_error *err)
{
	json_t	*args = json_deep_copy(t->args);

	json_object_set_new(args, "offset", json_integer(t->offset));
	if (conn_call(t->cmd->name, args, transfer_download_reply, t) == -1)
		return transfer_err(err, "the daemon is slow to answer: try "
		    "again");
	return 0;
}

/* The temporary file beside the file; 0, or -1 with *cause. */
static int
transfer_create(struct transfer *t, char **cause)
{
	int	fd;

	if (snprintf(t->tmp, sizeof t->tmp, "%s.XXXXXX", t->path) >=
	    (int)sizeof t->tmp) {
		t->tmp[0] = '\0';
		return ipc_cause(cause, "%s: path too long", t->path);
	}
	if ((fd = mkostemp(t->tmp, O_CLOEXEC)) == -1) {
		t->tmp[0] = '\0';
		return ipc_cause(cause, "cannot write %s: %s", t->path,
		    strerror(errno));
	}
	if ((t->f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return ipc_cause(cause, "cannot write %s: %s", t->path,
		    strerror(errno));
	}
	return 0;
}

struct transfer *
transfer_download(const char *cmd, json_t *args, const char *path,
    transfer_done_fn *done, void *arg, char **cause)
{
	struct transfer		*t;
	struct ipc_error	 err;

	if ((t = transfer_new(cmd, args, path, done, arg, cause)) == NULL)
		return NULL;
	if (transfer_create(t, cause) == -1) {
		transfer_free(t);
		return NULL;
	}
	if (transfer_ask(t, &err) == -1) {
		ipc_cause(cause, "%s", err.message);
		transfer_free(t);
		return NULL;
	}
	return t;
}
