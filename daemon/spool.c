/*
 * Message storage: memory up to a threshold, then an unlinked temp file.
 *
 * The same offset "head" marks where the message starts in both places:
 * in memory buf[head .. head+size), in the file [head .. head+size).  The
 * bytes before head are the headroom spool_prepend() fills (a hole in the
 * file, which costs no disk on the usual file systems).  Once spilled,
 * buf is a write-behind buffer so a message arriving in small pieces does
 * not cost one system call per piece.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

/* First allocation for a message in memory; it doubles up to threshold. */
#define SPOOL_MEM_START	8192
/* Write-behind buffer once the message is in a file. */
#define SPOOL_WBUF	65536

struct spool {
	char	*buf;		/* memory: headroom + message; file: pending */
	size_t	 bufcap;
	size_t	 buflen;	/* file: bytes in buf not yet in the file */
	size_t	 head;		/* where the message starts */
	size_t	 size;		/* message bytes from head */
	size_t	 threshold;
	size_t	 rpos;		/* spool_read() position from head */
	int	 fd;		/* -1 while in memory */
	int	 error;		/* sticky errno */
	void	*map;		/* spool_map() of the file */
	size_t	 maplen;
	char	*dir;
};

static size_t
spool_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

struct spool *
spool_new(size_t mem_threshold, const char *dir)
{
	struct spool	*sp;

	if ((sp = calloc(1, sizeof *sp)) == NULL)
		return NULL;
	sp->fd = -1;
	sp->head = SPOOL_HEADROOM;
	sp->threshold = mem_threshold;
	sp->bufcap = SPOOL_HEADROOM + spool_min(mem_threshold, SPOOL_MEM_START);
	sp->dir = strdup(dir != NULL ? dir : "/tmp");
	sp->buf = malloc(sp->bufcap);
	if (sp->dir == NULL || sp->buf == NULL) {
		spool_free(sp);
		return NULL;
	}
	return sp;
}

static void
spool_unmap(struct spool *sp)
{
	if (sp->map != NULL)
		munmap(sp->map, sp->maplen);
	sp->map = NULL;
	sp->maplen = 0;
}

void
spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	spool_unmap(sp);
	if (sp->fd != -1)
		close(sp->fd);
	free(sp->buf);
	free(sp->dir);
	free(sp);
}

/* Record the first failure; every later call reports it. */
static int
spool_fail(struct spool *sp, int err)
{
	if (sp->error == 0)
		sp->error = err;
	errno = sp->error;
	return -1;
}

static int
spool_pwrite(struct spool *sp, const char *p, size_t len, size_t off)
{
	ssize_t	n;

	while (len > 0) {
		n = pwrite(sp->fd, p, len, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return spool_fail(sp, errno);
		if (n == 0)
			return spool_fail(sp, EIO);
		p += n;
		len -= (size_t)n;
		off += (size_t)n;
	}
	return 0;
}

/* Write the pending bytes to the end of the file. */
static int
spool_flush(struct spool *sp)
{
	size_t	off;

	if (sp->error != 0)
		return spool_fail(sp, sp->error);
	if (sp->fd == -1 || sp->buflen == 0)
		return 0;
	off = sp->head + sp->size - sp->buflen;
	if (spool_pwrite(sp, sp->buf, sp->buflen, off) == -1)
		return -1;
	sp->buflen = 0;
	return 0;
}

/* A temp file nobody else can open: created 0600 and unlinked at once. */
static int
spool_mktemp(struct spool *sp)
{
	static const char	 name[] = "/outfilter.XXXXXX";
	char			*path;
	int			 fd;

	if ((path = malloc(strlen(sp->dir) + sizeof name)) == NULL)
		return spool_fail(sp, errno);
	memcpy(path, sp->dir, strlen(sp->dir));
	memcpy(path + strlen(sp->dir), name, sizeof name);
	fd = mkstemp(path);
	if (fd != -1)
		unlink(path);
	free(path);
	if (fd == -1)
		return spool_fail(sp, errno);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		close(fd);
		return spool_fail(sp, errno);
	}
	sp->fd = fd;
	return 0;
}

/* Move the message from memory to a file; buf becomes the write buffer. */
static int
spool_spill(struct spool *sp)
{
	char	*wbuf;

	if (spool_mktemp(sp) == -1)
		return -1;
	if (spool_pwrite(sp, sp->buf + sp->head, sp->size, sp->head) == -1)
		return -1;
	if ((wbuf = malloc(SPOOL_WBUF)) == NULL)
		return spool_fail(sp, errno);
	free(sp->buf);
	sp->buf = wbuf;
	sp->bufcap = SPOOL_WBUF;
	sp->buflen = 0;
	return 0;
}

/* Make room for len more bytes in memory, never past the threshold. */
static int
spool_grow(struct spool *sp, size_t len)
{
	size_t	 need, cap;
	char	*nbuf;

	need = sp->head + sp->size + len;
	if (need <= sp->bufcap)
		return 0;
	cap = sp->bufcap * 2 > need ? sp->bufcap * 2 : need;
	cap = spool_min(cap, SPOOL_HEADROOM + sp->threshold);
	if (cap < need)
		cap = need;
	if ((nbuf = realloc(sp->buf, cap)) == NULL)
		return spool_fail(sp, errno);
	sp->buf = nbuf;
	sp->bufcap = cap;
	return 0;
}

static int
spool_write_mem(struct spool *sp, const void *p, size_t len)
{
	if (spool_grow(sp, len) == -1)
		return -1;
	memcpy(sp->buf + sp->head + sp->size, p, len);
	sp->size += len;
	return 0;
}

static int
spool_write_file(struct spool *sp, const char *p, size_t len)
{
	size_t	n;

	while (len > 0) {
		if (sp->buflen == sp->bufcap && spool_flush(sp) == -1)
			return -1;
		n = spool_min(len, sp->bufcap - sp->buflen);
		memcpy(sp->buf + sp->buflen, p, n);
		sp->buflen += n;
		sp->size += n;
		p += n;
		len -= n;
	}
	return 0;
}

int
spool_write(struct spool *sp, const void *p, size_t len)
{
	if (sp->error != 0)
		return spool_fail(sp, sp->error);
	if (len == 0)
		return 0;
	spool_unmap(sp);
	if (sp->fd == -1 && sp->size + len <= sp->threshold)
		return spool_write_mem(sp, p, len);
	if (sp->fd == -1 && spool_spill(sp) == -1)
		return -1;
	return spool_write_file(sp, p, len);
}

/* Headroom used up in memory: a new buffer with the prefix in front. */
static int
spool_prepend_copy(struct spool *sp, const void *p, size_t len)
{
	char	*nbuf;

	if ((nbuf = malloc(len + sp->size)) == NULL)
		return spool_fail(sp, errno);
	memcpy(nbuf, p, len);
	memcpy(nbuf + len, sp->buf + sp->head, sp->size);
	free(sp->buf);
	sp->buf = nbuf;
	sp->bufcap = len + sp->size;
	sp->head = 0;
	sp->size += len;
	return 0;
}

int
spool_prepend(struct spool *sp, const void *p, size_t len)
{
	if (sp->error != 0)
		return spool_fail(sp, sp->error);
	spool_unmap(sp);
	if (len > sp->head && sp->fd == -1)
		return spool_prepend_copy(sp, p, len);
	if (len > sp->head) {
		/* Rewriting a large file to make room is not worth it. */
		errno = EMSGSIZE;
		return -1;
	}
	if (sp->fd == -1)
		memcpy(sp->buf + sp->head - len, p, len);
	else if (spool_pwrite(sp, p, len, sp->head - len) == -1)
		return -1;
	sp->head -= len;
	sp->size += len;
	return 0;
}

size_t
spool_size(const struct spool *sp)
{
	return sp->size;
}

int
spool_in_file(const struct spool *sp)
{
	return sp->fd != -1;
}

int
spool_error(const struct spool *sp)
{
	return sp->error;
}

int
spool_full(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

int
spool_rewind(struct spool *sp)
{
	if (spool_flush(sp) == -1)
		return -1;
	sp->rpos = 0;
	return 0;
}

ssize_t
spool_read(struct spool *sp, void *dst, size_t len)
{
	ssize_t	n;

	if (spool_flush(sp) == -1)
		return -1;
	len = spool_min(len, sp->size - sp->rpos);
	if (len == 0)
		return 0;
	if (sp->fd == -1) {
		memcpy(dst, sp->buf + sp->head + sp->rpos, len);
		n = (ssize_t)len;
	} else {
		do
			n = pread(sp->fd, dst, len, (off_t)(sp->head + sp->rpos));
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return spool_fail(sp, errno);
	}
	sp->rpos += (size_t)n;
	return n;
}

const void *
spool_map(struct spool *sp, size_t *len)
{
	void	*p;

	if (spool_flush(sp) == -1)
		return NULL;
	*len = sp->size;
	if (sp->fd == -1)
		return sp->buf + sp->head;
	if (sp->map == NULL) {
		p = mmap(NULL, sp->head + sp->size, PROT_READ, MAP_SHARED,
		    sp->fd, 0);
		if (p == MAP_FAILED)
			return NULL;
		sp->map = p;
		sp->maplen = sp->head + sp->size;
	}
	return (char *)sp->map + sp->head;
}

int
spool_fd(struct spool *sp, off_t *offset)
{
	if (sp->fd == -1 || spool_flush(sp) == -1)
		return -1;
	*offset = (off_t)sp->head;
	return sp->fd;
}
