/*
 * Content scan rate (issue: content checks).  Builds a 10 MiB message
 * in memory (text and HTML, a PDF with an image stream, a docx with a
 * picture, a zip of text and binaries, a tar.gz of logs, a PNG-sized
 * binary, all base64), then times, best of N runs each:
 *
 *   memcpy            copying the message (the floor);
 *   gmime             parsing it with GMime and decoding every part, the
 *                     baseline no MIME scanner can go below;
 *   content_scan      the whole scan (archives unpacked, documents read);
 *   content_scan xT   T threads scanning copies at once (throughput).
 *
 * and prints each as MiB/s and as a ratio to the baselines.
 * Target: a 10 MiB message scanned in well under a second.
 *
 * Usage: tests/bench/content [-n RUNS] [-t THREADS] [-s MiB]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <gmime/gmime.h>

#include "content.h"

struct buf {
	unsigned char	*p;
	size_t		 len;
};

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct buf
random_bytes(size_t len)
{
	struct buf	b = { malloc(len), len };
	size_t		i;

	for (i = 0; i < len; i++)
		b.p[i] = (unsigned char)(rnd() >> 24);
	return b;
}

/* Text that compresses as prose and logs do (about 4:1). */
static struct buf
text_bytes(size_t len)
{
	static const char	*words[] = { "the", "message", "relay",
	    "accepted", "from", "invoice", "quarterly", "report", "status",
	    "connection", "delivered", "queue", "user", "domain", "2024-05-01",
	    "12:00:01", "ok", "error", "sender", "recipient" };
	struct buf		 b = { malloc(len), 0 };
	const char		*w;
	size_t			 n;

	while (b.len < len) {
		w = words[rnd() % (sizeof words / sizeof words[0])];
		n = strlen(w);
		if (b.len + n + 1 > len)
			break;
		memcpy(b.p + b.len, w, n);
		b.len += n;
		b.p[b.len++] = rnd() % 12 == 0 ? '\n' : ' ';
		if (rnd() % 5 == 0 && b.len + 8 < len)
			b.len += (size_t)snprintf((char *)b.p + b.len, 8,
			    "%u ", (unsigned)(rnd() % 100000));
	}
	return b;
}

struct ent {
	const char		*name;
	const struct buf	*b;
};

static struct buf
archive_of(int targz, const struct ent *e, size_t n)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*ae;
	struct buf		 out;
	size_t			 cap = 1 << 20, used = 0, i;

	for (i = 0; i < n; i++)
		cap += e[i].b->len + e[i].b->len / 8;
	out.p = malloc(cap);
	if (targz) {
		archive_write_set_format_pax_restricted(a);
		archive_write_add_filter_gzip(a);
	} else
		archive_write_set_format_zip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open_memory(a, out.p, cap, &used);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)e[i].b->len);
		archive_write_header(a, ae);
		archive_write_data(a, e[i].b->p, e[i].b->len);
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	out.len = used;
	return out;
}

static struct buf
pdf_of(const struct buf *image)
{
	GString		*s = g_string_new("%PDF-1.5\n");
	struct buf	 b;

	g_string_append(s, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
	    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
	    "3 0 obj << /Type /Page /Parent 2 0 R /Resources << /XObject << "
	    "/Im1 4 0 R >> >> >> endobj\n");
	g_string_append_printf(s, "4 0 obj << /Type /XObject /Subtype /Image "
	    "/Filter /DCTDecode /Length %zu >>\nstream\n", image->len);
	g_string_append_len(s, (const char *)image->p, image->len);
	g_string_append(s, "\nendstream endobj\ntrailer << /Root 1 0 R >>\n"
	    "%%EOF\n");
	b.len = s->len;
	b.p = (unsigned char *)g_string_free(s, FALSE);
	return b;
}

static void
attach(GString *m, const char *name, const char *type, const struct buf *b)
{
	gchar	*b64 = g_base64_encode(b->p, b->len);
	size_t	 k, n = strlen(b64);

	g_string_append_printf(m, "--b\r\nContent-Type: %s\r\n"
	    "Content-Transfer-Encoding: base64\r\nContent-Disposition: "
	    "attachment; filename=\"%s\"\r\n\r\n", type, name);
	for (k = 0; k < n; k += 76) {
		g_string_append_len(m, b64 + k, n - k < 76 ? n - k : 76);
		g_string_append(m, "\r\n");
	}
	g_free(b64);
}

/* A message of about mib MiB: one fifth per attachment kind. */
static struct buf
message(double mib)
{
	size_t		 unit = (size_t)(mib * 1024 * 1024 * 3 / 4 / 5);
	struct buf	 img = random_bytes(unit), pdf = pdf_of(&img);
	struct buf	 png = random_bytes(unit), text = text_bytes(unit);
	struct buf	 bin = random_bytes(unit / 2);
	struct buf	 logs = text_bytes(unit * 4);
	struct buf	 ct = { (unsigned char *)"<?xml version=\"1.0\"?><Types "
			    "xmlns=\"http://schemas.openxmlformats.org/package/"
			    "2006/content-types\"><Override PartName=\"/word/"
			    "document.xml\" ContentType=\"application/vnd."
			    "openxmlformats-officedocument.wordprocessingml."
			    "document.main+xml\"/></Types>", 0 };
	struct buf	 docx, zip, tgz, body = text_bytes(64 * 1024);
	struct buf	 m;
	GString		*s = g_string_new(NULL);

	ct.len = strlen((char *)ct.p);
	docx = archive_of(0, (struct ent[]){ { "[Content_Types].xml", &ct },
	    { "word/document.xml", &text }, { "word/media/image1.png", &png } },
	    3);
	zip = archive_of(0, (struct ent[]){ { "notes.txt", &text },
	    { "data.bin", &bin }, { "more/notes2.txt", &text } }, 3);
	tgz = archive_of(1, (struct ent[]){ { "var/log/mail.log", &logs } }, 1);
	g_string_append(s, "From: Ann <ann@example.com>\r\nTo: bob@example.net"
	    "\r\nSubject: quarterly pack\r\nMIME-Version: 1.0\r\nContent-Type: "
	    "multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: "
	    "text/plain; charset=utf-8\r\n\r\n");
	g_string_append_len(s, (const char *)body.p, body.len);
	g_string_append(s, "\r\n");
	attach(s, "figures.pdf", "application/pdf", &pdf);
	attach(s, "report.docx", "application/vnd.openxmlformats-"
	    "officedocument.wordprocessingml.document", &docx);
	attach(s, "data.zip", "application/zip", &zip);
	attach(s, "logs.tar.gz", "application/gzip", &tgz);
	attach(s, "photo.png", "image/png", &png);
	g_string_append(s, "--b--\r\n");
	free(img.p);
	free(pdf.p);
	free(png.p);
	free(text.p);
	free(bin.p);
	free(logs.p);
	free(docx.p);
	free(zip.p);
	free(tgz.p);
	free(body.p);
	m.len = s->len;
	m.p = (unsigned char *)g_string_free(s, FALSE);
	return m;
}

static double
now(void)
{
	return g_get_monotonic_time() / 1e6;
}

static void
decode_part(GMimeObject *parent, GMimeObject *part, gpointer arg)
{
	GMimeStream		*null;
	GMimeDataWrapper	*dw;

	(void)parent;
	(void)arg;
	if (!GMIME_IS_PART(part) ||
	    (dw = g_mime_part_get_content(GMIME_PART(part))) == NULL)
		return;
	null = g_mime_stream_null_new();
	g_mime_data_wrapper_write_to_stream(dw, null);
	g_object_unref(null);
}

static void
gmime_baseline(const struct buf *m)
{
	GMimeStream	*st = g_mime_stream_mem_new_with_buffer((char *)m->p,
			    m->len);
	GMimeParser	*p = g_mime_parser_new_with_stream(st);
	GMimeMessage	*msg = g_mime_parser_construct_message(p, NULL);

	g_mime_message_foreach(msg, decode_part, NULL);
	g_object_unref(msg);
	g_object_unref(p);
	g_object_unref(st);
}

static struct content_opts	opts;

static void
scan(const struct buf *m)
{
	struct content_verdict	 v;
	char			*cause = NULL;

	if (content_scan((char *)m->p, m->len, &opts, &v, &cause) != 0) {
		fprintf(stderr, "content: %s\n", cause);
		exit(1);
	}
	if (v.blocked) {
		fprintf(stderr, "content: the clean message was blocked: %s\n",
		    v.reason);
		exit(1);
	}
}

struct worker {
	const struct buf	*m;
	int			 runs;
};

static void *
worker(void *arg)
{
	struct worker	*w = arg;
	int		 i;

	for (i = 0; i < w->runs; i++)
		scan(w->m);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct buf	 m, copy;
	struct worker	 w;
	pthread_t	*t;
	double		 t0, best_copy = 1e9, best_gm = 1e9;
	double		 best_scan = 1e9;
	double		 mib, all, d;
	int		 c, i, runs = 10, threads = 2;
	double		 size = 10;

	while ((c = getopt(argc, argv, "n:t:s:")) != -1) {
		switch (c) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 't':
			threads = atoi(optarg);
			break;
		case 's':
			size = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: content [-n runs] [-t threads] "
			    "[-s MiB]\n");
			return 64;
		}
	}
	if (runs < 1 || threads < 1 || size <= 0)
		return 64;
	content_init();
	content_opts_default(&opts);
	m = message(size);
	mib = m.len / (1024.0 * 1024);
	copy.p = malloc(m.len);
	for (i = 0; i < runs; i++) {
		t0 = now();
		memcpy(copy.p, m.p, m.len);
		__asm__ volatile("" : : "r"(copy.p) : "memory");
		if ((d = now() - t0) < best_copy)
			best_copy = d;
		t0 = now();
		gmime_baseline(&m);
		if ((d = now() - t0) < best_gm)
			best_gm = d;
		t0 = now();
		scan(&m);
		if ((d = now() - t0) < best_scan)
			best_scan = d;
	}
	printf("content scan of a %.1f MiB message (pdf, docx, zip, tar.gz, "
	    "png; base64), best of %d runs\n", mib, runs);
	printf("  %-22s %8.2f ms %9.0f MiB/s\n", "memcpy", best_copy * 1e3,
	    mib / best_copy);
	printf("  %-22s %8.2f ms %9.0f MiB/s\n", "gmime parse+decode",
	    best_gm * 1e3, mib / best_gm);
	printf("  %-22s %8.2f ms %9.0f MiB/s\n", "content_scan",
	    best_scan * 1e3, mib / best_scan);
	t = calloc((size_t)threads, sizeof *t);
	w.m = &m;
	w.runs = runs;
	t0 = now();
	for (i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, &w);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	all = now() - t0;
	printf("  %-22s %8.2f ms %9.0f MiB/s (%d threads, %d scans each)\n",
	    "content_scan (threads)", all * 1e3 / runs, mib * threads * runs /
	    all, threads, runs);
	printf("ratios: content_scan takes %.2fx the time of gmime "
	    "parse+decode, %.0fx that of memcpy\n", best_scan / best_gm,
	    best_scan / best_copy);
	printf("target: under 1000 ms for %.0f MiB: %s (%.0f ms)\n", mib,
	    best_scan < 1.0 ? "met" : "MISSED", best_scan * 1e3);
	free(t);
	free(copy.p);
	g_free(m.p);
	return best_scan < 1.0 ? 0 : 1;
}
