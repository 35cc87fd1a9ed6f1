/*
 * Files larger than one request (ctl_parts.h).
 *
 * Upload: FILE is cut after whole lines into parts of at most
 * CTL_PART_MAX bytes, each sent as the T_LINES argument of one request,
 * so the daemon never holds more than a part and each part is one short
 * transaction.  A line too long for a part is sent cut short (the daemon
 * reports it as bad) and the rest of it skipped, so line numbers stay
 * true.  Bytes JSON cannot carry as text (NUL, invalid UTF-8) go as '?':
 * such a line is bad anyway.
 *
 * Download: the command is asked for the bytes from "offset" on until it
 * has handed out "size" of them; -o FILE is written under a temporary
 * name and renamed when whole, so a failed export leaves no half file.
 */
#define _GNU_SOURCE		/* mkostemp */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl_parts.h"

#define CTL_PART_MAX	(IPC_MAX_TEXT - 1024)	/* bytes of lines a part */
#define CTL_LONG_LINE	2048	/* what of a too long line is sent */
#define CTL_LIST_MAX	100	/* entries of a merged list kept */

static int
ctl_local(struct ipc_error *err, int *status, int st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
ctl_local(struct ipc_error *err, int *status, int st, const char *fmt, ...)
{
	va_list	ap;

	memset(err, 0, sizeof *err);
	err->code = IPC_E_INVALID;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	*status = st;
	return CTL_PARTS_LOCAL;
}

/* The command's T_LINES argument, or NULL. */
static const struct ipc_arg *
ctl_lines_arg(const struct ipc_cmd *cmd)
{
	const struct ipc_arg	*a;

	for (a = cmd->args; a->key != NULL; a++) {
		if (a->type == T_LINES)
			return a;
	}
	return NULL;
}

int
ctl_parts_wanted(const struct ipc_cmd *cmd)
{
	return (cmd->flags & CMDF_DOWNLOAD) || ctl_lines_arg(cmd) != NULL;
}

/* ---- upload ---------------------------------------------------------- */

/* Reading FILE a part at a time. */
struct ctl_reader {
	FILE		*f;
	const char	*path;
	char		 buf[CTL_PART_MAX + 1];
	size_t		 len;		/* bytes in buf */
	int		 eof;
	long long	 line;		/* lines handed out so far */
	long long	 done, total;	/* bytes read; FILE's size or -1 */
};

/* Fill buf as far as it goes. */
static int
ctl_fill(struct ctl_reader *r)
{
	size_t	n;

	while (!r->eof && r->len < CTL_PART_MAX) {
		n = fread(r->buf + r->len, 1, CTL_PART_MAX - r->len, r->f);
		r->len += n;
		r->done += (long long)n;
		if (n == 0) {
			if (ferror(r->f))
				return -1;
			r->eof = 1;
		}
	}
	return 0;
}

/* Skip FILE up to and past the next newline (the rest of a long line). */
static int
ctl_skip_line(struct ctl_reader *r)
{
	int	c;

	while ((c = getc(r->f)) != EOF) {
		r->done++;
		if (c == '\n')
			return 0;
	}
	if (ferror(r->f))
		return -1;
	r->eof = 1;
	return 0;
}

/* The part's text as JSON takes it: NUL and invalid UTF-8 become '?'. */
static json_t *
ctl_part_string(char *s, size_t n)
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

/* Count the newlines of s[0..n). */
static long long
ctl_lines_in(const char *s, size_t n)
{
	long long	k = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/*
 * The next part: whole lines, or one long line cut short.  *n 0 at the
 * end.  -1 when FILE cannot be read.
 */
static int
ctl_next_part(struct ctl_reader *r, json_t **text, size_t *n)
{
	char	*nl, save;
	size_t	 take;
	int	 cut = 0;

	*text = NULL;
	if (ctl_fill(r) == -1)
		return -1;
	if (r->len == 0) {
		*n = 0;
		return 0;
	}
	take = r->len;
	if (!r->eof || r->len == CTL_PART_MAX) {
		r->buf[r->len] = '\0';
		if ((nl = memrchr(r->buf, '\n', r->len)) != NULL)
			take = (size_t)(nl - r->buf) + 1;
		else if (r->len == CTL_PART_MAX) {
			take = CTL_LONG_LINE;
			cut = 1;
		}
	}
	save = r->buf[take];
	r->buf[take] = '\0';
	if (cut) {
		r->buf[take - 1] = '\n';
		*text = ctl_part_string(r->buf, take);
		r->len = 0;
		r->line++;
		*n = take;
		return ctl_skip_line(r);
	}
	*text = ctl_part_string(r->buf, take);
	r->line += ctl_lines_in(r->buf, take) + (r->buf[take - 1] != '\n');
	r->buf[take] = save;
	memmove(r->buf, r->buf + take, r->len - take);
	r->len -= take;
	*n = take;
	return 0;
}

/* Add reply into merged: numbers added up, lists joined, the rest replaced. */
static void
ctl_merge(json_t *merged, json_t *reply)
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
				if (json_array_size(m) >= CTL_LIST_MAX)
					break;
				json_array_append(m, e);
			}
		} else
			json_object_set(merged, key, v);
	}
}

/* "12.3 MB": a size for people. */
static void
ctl_size(long long n, char *buf, size_t len)
{
	if (n >= 1000000)
		snprintf(buf, len, "%.1f MB", n / 1e6);
	else
		snprintf(buf, len, "%lld kB", (n + 999) / 1000);
}

static void
ctl_progress(FILE *out, const struct ipc_cmd *cmd, const struct ctl_reader *r)
{
	char	done[32], total[32];

	if (out == NULL)
		return;
	ctl_size(r->done - (long long)r->len, done, sizeof done);
	if (r->total > 0) {
		ctl_size(r->total, total, sizeof total);
		fprintf(out, "\r%s: %3d%% (%s of %s)", cmd->name,
		    (int)((r->done - (long long)r->len) * 100 / r->total), done,
		    total);
	} else
		fprintf(out, "\r%s: %s", cmd->name, done);
	fflush(out);
}

/* FILE's name for "source": its last component, or "stdin". */
static void
ctl_source(const struct ipc_cmd *cmd, json_t *args, const char *path)
{
	char	buf[PATH_MAX];

	if (ipc_cmd_arg(cmd, "source") == NULL ||
	    json_object_get(args, "source") != NULL)
		return;
	snprintf(buf, sizeof buf, "%s", path);
	json_object_set_new(args, "source", json_string(strcmp(path, "-") ==
	    0 ? "stdin" : basename(buf)));
}

static int
ctl_upload_parts(struct ipc_client *client, const struct ipc_cmd *cmd,
    const struct ipc_arg *a, json_t *args, struct ctl_reader *r,
    FILE *progress, json_t **result, struct ipc_error *err, int *status)
{
	json_t		*text, *reply;
	long long	 base = 1;
	size_t		 n;
	int		 rc = IPC_CALL_OK, parts = 0, shown = 0;

	if (json_is_integer(json_object_get(args, "first_line")))
		base = json_integer_value(json_object_get(args, "first_line"));
	for (;;) {
		long long	first = base + r->line;

		if (ctl_next_part(r, &text, &n) == -1) {
			rc = ctl_local(err, status, EX_NOINPUT, "cannot read "
			    "%s: %s", r->path, strerror(errno));
			break;
		}
		if (n == 0 && parts > 0)
			break;
		json_object_set_new(args, a->key, text != NULL ? text :
		    json_string(""));
		if (ipc_cmd_arg(cmd, "first_line") != NULL)
			json_object_set_new(args, "first_line",
			    json_integer(first));
		if ((rc = ipc_client_call(client, cmd->name, args, &reply,
		    err)) != IPC_CALL_OK)
			break;
		if (*result == NULL)
			*result = reply;
		else {
			ctl_merge(*result, reply);
			json_decref(reply);
		}
		parts++;
		if (progress != NULL && (parts > 1 || !r->eof || r->len > 0)) {
			ctl_progress(progress, cmd, r);
			shown = 1;
		}
		if (n == 0)
			break;
	}
	if (shown) {
		fputc('\n', progress);
		fflush(progress);
	}
	return rc;
}

static int
ctl_upload(struct ipc_client *client, const struct ipc_cmd *cmd,
    json_t *args, FILE *progress, json_t **result, struct ipc_error *err,
    int *status)
{
	const struct ipc_arg	*a = ctl_lines_arg(cmd);
	const char		*path = json_string_value(json_object_get(args,
				    a->key));
	struct ctl_reader	*r;
	struct stat		 sb;
	int			 rc;

	if (path == NULL)
		return ctl_local(err, status, EX_USAGE, "no FILE given");
	if ((r = calloc(1, sizeof *r)) == NULL)
		return ctl_local(err, status, EX_OSERR, "out of memory");
	r->path = path;
	r->total = -1;
	r->f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (r->f == NULL) {
		rc = ctl_local(err, status, EX_NOINPUT, "cannot read %s: %s",
		    path, strerror(errno));
		free(r);
		return rc;
	}
	if (fstat(fileno(r->f), &sb) == 0 && S_ISREG(sb.st_mode))
		r->total = (long long)sb.st_size;
	ctl_source(cmd, args, path);
	rc = ctl_upload_parts(client, cmd, a, args, r, progress, result, err,
	    status);
	if (r->f != stdin)
		fclose(r->f);
	free(r);
	if (rc != IPC_CALL_OK) {
		json_decref(*result);
		*result = NULL;
	}
	return rc;
}

/* ---- download -------------------------------------------------------- */

/* Where the bytes go: standard output, or a temporary file beside FILE. */
struct ctl_sink {
	FILE	*f;
	char	 tmp[PATH_MAX];
	char	 path[PATH_MAX];
};

static int
ctl_sink_open(struct ctl_sink *s, const char *path, struct ipc_error *err,
    int *status)
{
	int	fd;

	memset(s, 0, sizeof *s);
	if (path == NULL || strcmp(path, "-") == 0) {
		s->f = stdout;
		return 0;
	}
	snprintf(s->path, sizeof s->path, "%s", path);
	if (snprintf(s->tmp, sizeof s->tmp, "%s.XXXXXX", path) >=
	    (int)sizeof s->tmp)
		return ctl_local(err, status, EX_CANTCREAT, "%s: path too long",
		    path);
	if ((fd = mkostemp(s->tmp, O_CLOEXEC)) == -1 ||
	    (s->f = fdopen(fd, "w")) == NULL) {
		if (fd != -1) {
			close(fd);
			unlink(s->tmp);
		}
		return ctl_local(err, status, EX_CANTCREAT, "cannot write %s: "
		    "%s", path, strerror(errno));
	}
	return 0;
}

/* Finish the sink: rename into place when whole, else remove. */
static int
ctl_sink_close(struct ctl_sink *s, int ok, struct ipc_error *err,
    int *status)
{
	int	failed;

	if (s->f == NULL)
		return ok ? 0 : -1;
	failed = fflush(s->f) == EOF || ferror(s->f);
	if (s->f == stdout)
		return failed && ok ? ctl_local(err, status, EX_IOERR, "cannot "
		    "write to standard output: %s", strerror(errno)) : 0;
	if (fsync(fileno(s->f)) == -1)
		failed = 1;
	if (fclose(s->f) == EOF)
		failed = 1;
	if (!ok || failed || rename(s->tmp, s->path) == -1) {
		if (ok)
			ctl_local(err, status, EX_IOERR, "cannot write %s: %s",
			    s->path, strerror(errno));
		unlink(s->tmp);
		return ok ? CTL_PARTS_LOCAL : 0;
	}
	return 0;
}

/* One part's bytes onto the sink; its length into *n. */
static int
ctl_part_write(struct ctl_sink *s, json_t *reply, size_t *n,
    struct ipc_error *err, int *status)
{
	const char	*b64 = json_string_value(json_object_get(reply, "data"));
	size_t		 blen, cap;
	unsigned char	*bin;
	int		 rc = 0;

	if (b64 == NULL)
		return ctl_local(err, status, EX_PROTOCOL, "the reply holds "
		    "no data");
	blen = strlen(b64);
	cap = blen / 4 * 3 + 3;
	if ((bin = malloc(cap)) == NULL)
		return ctl_local(err, status, EX_OSERR, "out of memory");
	if (sodium_base642bin(bin, cap, b64, blen, NULL, n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == -1)
		rc = ctl_local(err, status, EX_PROTOCOL, "the reply's data is "
		    "not base64");
	else if (*n > 0 && fwrite(bin, 1, *n, s->f) != *n)
		rc = ctl_local(err, status, EX_IOERR, "cannot write %s: %s",
		    s->f == stdout ? "to standard output" : s->path,
		    strerror(errno));
	free(bin);
	return rc;
}

static int
ctl_download(struct ipc_client *client, const struct ipc_cmd *cmd,
    json_t *args, json_t **result, struct ipc_error *err, int *status)
{
	struct ctl_sink	 s;
	json_t		*reply, *out = json_object_get(args, "output");
	json_int_t	 offset, size = -1;
	size_t		 n;
	int		 rc;

	if ((rc = ctl_sink_open(&s, json_string_value(out), err,
	    status)) != 0)
		return rc;
	json_object_del(args, "output");
	offset = json_integer_value(json_object_get(args, "offset"));
	do {
		json_object_set_new(args, "offset", json_integer(offset));
		if ((rc = ipc_client_call(client, cmd->name, args, &reply,
		    err)) != IPC_CALL_OK)
			break;
		if (size == -1)
			size = json_integer_value(json_object_get(reply, "size"));
		rc = ctl_part_write(&s, reply, &n, err, status);
		json_decref(reply);
		offset += (json_int_t)n;
		if (rc == 0 && n == 0 && offset < size)
			rc = ctl_local(err, status, EX_PROTOCOL, "the daemon "
			    "stopped at byte %lld of %lld", (long long)offset,
			    (long long)size);
	} while (rc == 0 && offset < size);
	if (rc == 0)
		rc = ctl_sink_close(&s, 1, err, status);
	else
		ctl_sink_close(&s, 0, err, status);
	*result = rc == 0 ? json_null() : NULL;
	return rc;
}

int
ctl_parts_call(struct ipc_client *client, const struct ipc_cmd *cmd,
    json_t *args, FILE *progress, json_t **result, struct ipc_error *err,
    int *status)
{
	*result = NULL;
	*status = 0;
	if (cmd->flags & CMDF_DOWNLOAD)
		return ctl_download(client, cmd, args, result, err, status);
	return ctl_upload(client, cmd, args, progress, result, err, status);
}
