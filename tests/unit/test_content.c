/*
 * The content scanner: real executables, packed executables, archives,
 * OLE and PDF documents from Debian's clamav-testfiles (the directory
 * OF_CLAMAV_TESTFILES names, /usr/share/clamav-testfiles by default), and
 * documents built here: OOXML with and without macros (a .docm renamed
 * .docx), OLE2 documents with a VBA storage (libgsf), PDFs that act,
 * executables two archives deep, a 1 GiB zip bomb, encrypted archives,
 * hostile MIME; scans from several threads at once.
 */
#define _GNU_SOURCE		/* asprintf */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>
#include <gmime/gmime.h>
#include <gsf/gsf.h>

#include "content.h"

/* A blob and its length. */
struct blob {
	unsigned char	*p;
	size_t		 len;
};

static void
blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

static struct blob
blob_copy(const void *p, size_t len)
{
	struct blob	b = { malloc(len ? len : 1), len };

	assert_non_null(b.p);
	memcpy(b.p, p, len);
	return b;
}

static struct blob
blob_str(const char *s)
{
	return blob_copy(s, strlen(s));
}

static const char *
testfiles(void)
{
	const char	*dir = getenv("OF_CLAMAV_TESTFILES");

	return dir != NULL && *dir != '\0' ? dir :
	    "/usr/share/clamav-testfiles";
}

/* Skip a test that needs clamav-testfiles when they are not here. */
static void
need_fixtures(void)
{
	char	*path;
	int	 here;

	assert_true(asprintf(&path, "%s/clam.exe", testfiles()) != -1);
	here = access(path, R_OK) == 0;
	free(path);
	if (!here) {
		fprintf(stderr, "# %s has no clam.exe: install "
		    "clamav-testfiles\n", testfiles());
		skip();
	}
}

/* A file of clamav-testfiles. */
static struct blob
fixture(const char *name)
{
	struct blob	 b = { NULL, 0 };
	char		*path;
	gchar		*data;
	gsize		 len;

	assert_true(asprintf(&path, "%s/%s", testfiles(), name) != -1);
	if (!g_file_get_contents(path, &data, &len, NULL)) {
		fprintf(stderr, "# %s can't be read\n", path);
		fail();
	}
	free(path);
	b = blob_copy(data, len);
	g_free(data);
	return b;
}

/* One attachment: a name, a type, the bytes. */
struct att {
	const char		*name;		/* NULL: no filename */
	const char		*type;		/* NULL: octet-stream */
	const struct blob	*b;
};

/* A multipart/mixed message with a text and the attachments, base64. */
static char *
msg_build(const struct att *a, size_t n, size_t *len)
{
	GString	*m = g_string_new(NULL);
	gchar	*b64;
	size_t	 i, k, bl;

	g_string_append(m, "From: Ann <ann@example.com>\r\n"
	    "To: bob@example.net\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"=-b1\"\r\n\r\n"
	    "--=-b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
	    "Here they are.\r\n");
	for (i = 0; i < n; i++) {
		g_string_append_printf(m, "--=-b1\r\nContent-Type: %s\r\n"
		    "Content-Transfer-Encoding: base64\r\n",
		    a[i].type ? a[i].type : "application/octet-stream");
		if (a[i].name != NULL)
			g_string_append_printf(m, "Content-Disposition: "
			    "attachment; filename=\"%s\"\r\n", a[i].name);
		g_string_append(m, "\r\n");
		b64 = g_base64_encode(a[i].b->p, a[i].b->len);
		bl = strlen(b64);
		for (k = 0; k < bl; k += 76) {
			g_string_append_len(m, b64 + k,
			    bl - k < 76 ? bl - k : 76);
			g_string_append(m, "\r\n");
		}
		g_free(b64);
	}
	g_string_append(m, "--=-b1--\r\n");
	*len = m->len;
	return g_string_free(m, FALSE);
}

static struct content_opts	opts;

static int
scan_msg(const char *msg, size_t len, struct content_verdict *v)
{
	char	*cause = NULL;
	int	 r;

	r = content_scan(msg, len, &opts, v, &cause);
	if (r == -1)
		fprintf(stderr, "# content_scan: %s\n", cause);
	free(cause);
	return r;
}

/* Scan a message holding one attachment. */
static void
scan_one(const char *name, const struct blob *b, struct content_verdict *v)
{
	struct att	 a = { name, NULL, b };
	size_t		 len;
	char		*msg = msg_build(&a, 1, &len);

	assert_int_equal(scan_msg(msg, len, v), 0);
	g_free(msg);
}

/* The verdict is class (or a pass for NULL), its reason holding want. */
static void
verdict_is(const struct content_verdict *v, const char *class,
    const char *part, const char *want)
{
	if (class == NULL) {
		if (v->blocked)
			fprintf(stderr, "# blocked: %s: %s\n", v->part,
			    v->reason);
		assert_false(v->blocked);
		assert_string_equal(v->class, "");
		return;
	}
	if (!v->blocked || strcmp(v->class, class) != 0 ||
	    (part != NULL && strcmp(v->part, part) != 0) ||
	    strstr(v->reason, want) == NULL)
		fprintf(stderr, "# got %s %s \"%s\", wanted %s %s \"%s\"\n",
		    v->blocked ? v->class : "pass", v->part, v->reason, class,
		    part ? part : "*", want);
	assert_true(v->blocked);
	assert_string_equal(v->class, class);
	if (part != NULL)
		assert_string_equal(v->part, part);
	assert_non_null(strstr(v->reason, want));
}

/* Archives: entries written with libarchive, in memory. */
struct ent {
	const char		*name;
	const struct blob	*b;
};

enum { AR_ZIP, AR_7Z, AR_TARGZ, AR_ZIPCRYPTO, AR_ZIPAES, AR_GZ, AR_ISO };

static struct blob
arc_build(int kind, const struct ent *e, size_t n)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*ae;
	struct blob		 out;
	size_t			 cap = 1024 * 1024, used = 0, i;

	for (i = 0; i < n; i++)
		cap += e[i].b->len * 2 + 256;
	out.p = malloc(cap);
	assert_non_null(out.p);
	switch (kind) {
	case AR_7Z:
		assert_int_equal(archive_write_set_format_7zip(a), ARCHIVE_OK);
		break;
	case AR_TARGZ:
		assert_int_equal(archive_write_set_format_pax_restricted(a),
		    ARCHIVE_OK);
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		break;
	case AR_ISO:
		assert_int_equal(archive_write_set_format_iso9660(a),
		    ARCHIVE_OK);
		break;
	case AR_GZ:
		assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		break;
	default:
		assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
		if (kind == AR_ZIPCRYPTO || kind == AR_ZIPAES) {
			assert_int_equal(archive_write_set_options(a,
			    kind == AR_ZIPAES ? "zip:encryption=aes256" :
			    "zip:encryption=zipcrypt"), ARCHIVE_OK);
			assert_int_equal(archive_write_set_passphrase(a,
			    "secret"), ARCHIVE_OK);
		}
		break;
	}
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, out.p, cap, &used),
	    ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname_utf8(ae, e[i].name);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)e[i].b->len);
		assert_true(archive_write_header(a, ae) >= ARCHIVE_WARN);
		if (e[i].b->len > 0)
			assert_int_equal(archive_write_data(a, e[i].b->p,
			    e[i].b->len), (la_ssize_t)e[i].b->len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	out.len = used;
	return out;
}

static struct blob
zip_of(const char *name, const struct blob *b)
{
	struct ent	e = { name, b };

	return arc_build(AR_ZIP, &e, 1);
}

/*
 * A zip of one entry of size bytes of zeros, written a MiB at a time; or
 * a gzip of as many 'A's (zeros would read as an empty tar).
 */
static struct blob
zip_zeros(const char *name, uint64_t size, int raw_gz)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*ae;
	struct blob		 out;
	unsigned char		*zero = calloc(1, 1024 * 1024);
	size_t			 cap = 16 * 1024 * 1024, used = 0;
	uint64_t		 left;

	assert_non_null(zero);
	if (raw_gz)
		memset(zero, 'A', 1024 * 1024);
	out.p = malloc(cap);
	assert_non_null(out.p);
	if (raw_gz) {
		archive_write_set_format_raw(a);
		archive_write_add_filter_gzip(a);
	} else {
		archive_write_set_format_zip(a);
		archive_write_set_options(a, "zip:compression-level=1");
	}
	assert_int_equal(archive_write_open_memory(a, out.p, cap, &used),
	    ARCHIVE_OK);
	ae = archive_entry_new();
	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, (la_int64_t)size);
	assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
	for (left = size; left > 0; left -= left < 1048576 ? left : 1048576)
		assert_true(archive_write_data(a, zero,
		    left < 1048576 ? left : 1048576) > 0);
	archive_entry_free(ae);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	free(zero);
	out.len = used;
	return out;
}

/* Office Open XML: a Word document, with macros or without. */
#define CT_HEAD	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>" \
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/" \
	"content-types\"><Default Extension=\"rels\" ContentType=\"" \
	"application/vnd.openxmlformats-package.relationships+xml\"/>" \
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
#define CT_DOCX	CT_HEAD "<Override PartName=\"/word/document.xml\" " \
	"ContentType=\"application/vnd.openxmlformats-officedocument." \
	"wordprocessingml.document.main+xml\"/></Types>"
#define CT_DOCM	CT_HEAD "<Default Extension=\"bin\" ContentType=\"" \
	"application/vnd.ms-office.vbaProject\"/><Override PartName=\"" \
	"/word/document.xml\" ContentType=\"application/vnd.ms-word." \
	"document.macroEnabled.main+xml\"/></Types>"
#define RELS	"<?xml version=\"1.0\"?><Relationships xmlns=\"http://" \
	"schemas.openxmlformats.org/package/2006/relationships\">" \
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/" \
	"officeDocument/2006/relationships/officeDocument\" Target=\"" \
	"word/document.xml\"/></Relationships>"
#define DOCXML	"<?xml version=\"1.0\"?><w:document xmlns:w=\"http://" \
	"schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>" \
	"<w:p><w:r><w:t>Quarterly figures</w:t></w:r></w:p></w:body>" \
	"</w:document>"

/* An OLE2 document: a Word stream, and a VBA storage under vba_at. */
static struct blob
ole_build(const char *main_stream, const char *vba_at)
{
	GsfOutput	*mem = gsf_output_memory_new(), *st, *dir, *vba;
	GsfOutfile	*ole = gsf_outfile_msole_new(mem);
	struct blob	 b;
	static const char text[] = "Hello from an OLE2 document.";

	assert_non_null(ole);
	st = gsf_outfile_new_child(ole, main_stream, FALSE);
	gsf_output_write(st, sizeof text, (const guint8 *)text);
	gsf_output_close(st);
	g_object_unref(st);
	if (vba_at != NULL) {
		dir = gsf_outfile_new_child(ole, vba_at, TRUE);
		vba = gsf_outfile_new_child(GSF_OUTFILE(dir), "VBA", TRUE);
		st = gsf_outfile_new_child(GSF_OUTFILE(vba), "dir", FALSE);
		gsf_output_write(st, 4, (const guint8 *)"\1\2\3\4");
		gsf_output_close(st);
		g_object_unref(st);
		st = gsf_outfile_new_child(GSF_OUTFILE(vba), "_VBA_PROJECT",
		    FALSE);
		gsf_output_write(st, 7,
		    (const guint8 *)"\xcc\x61\xff\xff\0\0\0");
		gsf_output_close(st);
		g_object_unref(st);
		gsf_output_close(vba);
		g_object_unref(vba);
		gsf_output_close(dir);
		g_object_unref(dir);
	}
	gsf_output_close(GSF_OUTPUT(ole));
	g_object_unref(ole);
	b = blob_copy(gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(mem)),
	    (size_t)gsf_output_size(mem));
	g_object_unref(mem);
	return b;
}

/* A Word package: content types, and vbaProject.bin when vba. */
static struct blob
docx_build(const char *types, int vba)
{
	struct blob	ct = blob_str(types), rels = blob_str(RELS);
	struct blob	doc = blob_str(DOCXML), proj = ole_build("x", "VBA");
	struct ent	e[] = {
		{ "[Content_Types].xml", &ct },
		{ "_rels/.rels", &rels },
		{ "word/document.xml", &doc },
		{ "word/vbaProject.bin", &proj },
	};
	struct blob	out = arc_build(AR_ZIP, e, vba ? 4 : 3);

	blob_free(&ct);
	blob_free(&rels);
	blob_free(&doc);
	blob_free(&proj);
	return out;
}

/* An OpenDocument text, with a Basic library or without. */
static struct blob
odf_build(int basic)
{
	struct blob	mt = blob_str("application/vnd.oasis.opendocument.text");
	struct blob	xml = blob_str("<?xml version=\"1.0\"?><office:document-"
			    "content/>");
	struct ent	e[] = {
		{ "mimetype", &mt },
		{ "content.xml", &xml },
		{ "Basic/script-lc.xml", &xml },
		{ "Basic/Standard/script-lb.xml", &xml },
		{ "Basic/Standard/Module1.xml", &xml },
	};
	struct blob	out = arc_build(AR_ZIP, e, basic ? 5 : 2);

	blob_free(&mt);
	blob_free(&xml);
	return out;
}

/* A PDF of one page whose catalog carries extra, and an object stream. */
static struct blob
pdf_make(const char *extra, const struct blob *objstm)
{
	GString		*s = g_string_new("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
	struct blob	 b;

	g_string_append_printf(s, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R "
	    "%s >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 "
	    ">>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox "
	    "[0 0 595 842] /Contents 4 0 R >>\nendobj\n", extra);
	/* Names in stream data are not names: "/JS" here is page text. */
	g_string_append(s, "4 0 obj\n<< /Length 44 >>\nstream\nBT /F1 12 "
	    "Tf 72 712 Td /JS /Launch Tj ET\nendstream\nendobj\n");
	if (objstm != NULL) {
		g_string_append_printf(s, "5 0 obj\n<< /Type /ObjStm /N 1 "
		    "/First 4 /Filter /FlateDecode /Length %zu >>\nstream\n",
		    objstm->len);
		g_string_append_len(s, (const char *)objstm->p, objstm->len);
		g_string_append(s, "\nendstream\nendobj\n");
	}
	g_string_append(s, "trailer\n<< /Root 1 0 R >>\n%%EOF\n");
	b = blob_copy(s->str, s->len);
	g_string_free(s, TRUE);
	return b;
}

static struct blob
deflate_zlib(const char *text)
{
	GConverter	*z = G_CONVERTER(g_zlib_compressor_new(
			    G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 6));
	unsigned char	 out[4096];
	gsize		 r, w;

	assert_int_equal(g_converter_convert(z, text, strlen(text), out,
	    sizeof out, G_CONVERTER_INPUT_AT_END, &r, &w, NULL),
	    G_CONVERTER_FINISHED);
	g_object_unref(z);
	return blob_copy(out, w);
}

/* clamav-testfiles, each attached under a name that hides what it is. */
static void
test_fixtures(void **state)
{
	static const struct {
		const char	*file, *name, *part, *want;
	} cases[] = {
		{ "clam.exe", "invoice.pdf", "invoice.pdf",
		  "invoice.pdf is a Windows executable" },
		{ "clam-upx.exe", "setup.exe", NULL, "packed with UPX" },
		{ "clam.ea05.exe", "x.bin", NULL, "packed with UPX" },
		{ "clam-aspack.exe", "x.bin", NULL, "packed with ASPack" },
		{ "clam-petite.exe", "x.bin", NULL, "packed with Petite" },
		{ "clam-nsis.exe", "x.bin", NULL, "Windows executable" },
		{ "clam.zip", "photos.zip", "photos.zip/clam.exe",
		  "clam.exe in photos.zip is a Windows executable" },
		{ "clam.7z", "a.7z", "a.7z/clam.exe", "Windows executable" },
		{ "clam.cab", "a.cab", "a.cab/clam.exe", "Windows executable" },
		{ "clam.tar.gz", "a.tgz", "a.tgz/clam.exe",
		  "Windows executable" },
		{ "clam.exe.bz2", "clam.exe.bz2", "clam.exe.bz2/clam.exe",
		  "Windows executable" },
		{ "clam.bz2.zip", "b.zip", "b.zip/clam.exe",
		  "Windows executable" },
		{ "clam.newc.cpio", "c.cpio", "c.cpio/clam.exe",
		  "Windows executable" },
		{ "clam.bin-be.cpio", "c.cpio", NULL, "Windows executable" },
		{ "clam.impl.zip", "old.zip", "old.zip/CLAM.EXE",
		  "can't be checked" },
		{ "clam.ole.doc", "report.doc", "report.doc/Clam.exe",
		  "Clam.exe in report.doc is a Windows executable" },
		{ "clam.pdf", "paper.pdf", "paper.pdf",
		  "is a PDF with embedded files" },
		{ "clam.chm", "help.dat", "help.dat",
		  "compiled HTML help file" },
		{ "clam_cache_emax.tgz", "deep.tgz", NULL,
		  "nested more than 3 containers deep" },
	};
	struct content_verdict	v;
	struct blob		b;
	size_t			i;

	(void)state;
	need_fixtures();
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		b = fixture(cases[i].file);
		scan_one(cases[i].name, &b, &v);
		fprintf(stderr, "# %s: %s\n", cases[i].file, v.reason);
		verdict_is(&v, CONTENT_DANGEROUS, cases[i].part,
		    cases[i].want);
		blob_free(&b);
	}
}

/* clam.mail and the mbox files are whole messages: scanned as they are. */
static void
test_fixture_messages(void **state)
{
	static const char	*files[] = { "clam.mail",
	    "clam.exe.mbox.base64", "clam.exe.mbox.uu" };
	struct content_verdict	 v;
	struct blob		 b;
	size_t			 i;

	(void)state;
	need_fixtures();
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		b = fixture(files[i]);
		assert_int_equal(scan_msg((char *)b.p, b.len, &v), 0);
		verdict_is(&v, CONTENT_DANGEROUS, "clam.exe",
		    "clam.exe is a Windows executable");
		blob_free(&b);
	}
}

/* A clean message with a PDF, a docx, an xlsx-like package, a doc. */
static void
test_clean(void **state)
{
	struct blob	 pdf, docx, doc, text, zip;
	struct att	 a[] = {
		{ "paper.pdf", "application/pdf", &pdf },
		{ "report.docx", NULL, &docx },
		{ "old.doc", "application/msword", &doc },
		{ "notes.txt", "text/plain", &text },
		{ NULL, NULL, NULL },
	};
	struct content_verdict	 v;
	size_t			 len;
	char			*msg;
	struct ent		 e[] = { { "report.docx", &docx },
				    { "paper.pdf", &pdf } };

	(void)state;
	need_fixtures();
	pdf = pdf_make("/PageMode /UseNone", NULL);
	docx = docx_build(CT_DOCX, 0);
	doc = ole_build("WordDocument", NULL);
	text = blob_str("begin the meeting at ten\r\nend\r\n");
	zip = arc_build(AR_ZIP, e, 2);
	a[4].name = "both.zip";
	a[4].b = &zip;
	msg = msg_build(a, 5, &len);
	assert_int_equal(scan_msg(msg, len, &v), 0);
	verdict_is(&v, NULL, NULL, NULL);
	g_free(msg);
	/* The real fixtures that carry nothing dangerous pass too. */
	blob_free(&text);
	text = fixture("clam.ppt");
	scan_one("slides.ppt", &text, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&pdf);
	blob_free(&docx);
	blob_free(&doc);
	blob_free(&text);
	blob_free(&zip);
}

static void
test_macros(void **state)
{
	struct blob		 docm, types_only, vba_only, doc, xls;
	struct blob		 inner, outer;
	struct content_verdict	 v;

	(void)state;
	need_fixtures();
	docm = docx_build(CT_DOCM, 1);
	types_only = docx_build(CT_DOCM, 0);
	vba_only = docx_build(CT_DOCX, 1);
	doc = ole_build("WordDocument", "Macros");
	xls = ole_build("Workbook", "_VBA_PROJECT_CUR");
	scan_one("report.docx", &docm, &v);
	verdict_is(&v, CONTENT_MACRO, "report.docx",
	    "report.docx is a Word document with macros (");
	scan_one("report.docx", &types_only, &v);
	verdict_is(&v, CONTENT_MACRO, "report.docx",
	    "a Word document with macros (a macro-enabled content type)");
	scan_one("report.xlsx", &vba_only, &v);
	verdict_is(&v, CONTENT_MACRO, "report.xlsx", "with macros");
	scan_one("letter.doc", &doc, &v);
	verdict_is(&v, CONTENT_MACRO, "letter.doc",
	    "letter.doc is a Word document with macros (a VBA storage)");
	scan_one("sheet.xls", &xls, &v);
	verdict_is(&v, CONTENT_MACRO, "sheet.xls",
	    "an Excel workbook with macros");
	/* Inside archives, whatever the names. */
	inner = zip_of("readme.txt", &doc);
	outer = arc_build(AR_7Z, (struct ent[]){ { "docs.zip", &inner } }, 1);
	scan_one("backup.7z", &outer, &v);
	verdict_is(&v, CONTENT_MACRO, "backup.7z/docs.zip/readme.txt",
	    "readme.txt in backup.7z/docs.zip is a Word document with macros");
	blob_free(&outer);
	outer = zip_of("q3.docx", &docm);
	scan_one("q3.zip", &outer, &v);
	verdict_is(&v, CONTENT_MACRO, "q3.zip/q3.docx", "with macros");
	/* OpenDocument Basic, Excel 4.0 macro sheets. */
	blob_free(&outer);
	outer = odf_build(1);
	scan_one("minutes.odt", &outer, &v);
	verdict_is(&v, CONTENT_MACRO, "minutes.odt",
	    "minutes.odt is an OpenDocument file with macros (Basic modules)");
	blob_free(&outer);
	outer = odf_build(0);
	scan_one("minutes.odt", &outer, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&outer);
	outer = docx_build(CT_HEAD "<Override PartName=\"/xl/macrosheets/"
	    "sheet1.xml\" ContentType=\"application/vnd.ms-excel.macrosheet"
	    "+xml\"/></Types>", 0);
	scan_one("budget.xlsx", &outer, &v);
	verdict_is(&v, CONTENT_MACRO, "budget.xlsx",
	    "an Excel workbook with macros (Excel 4.0 macro sheets)");
	/* Only the macro check on: executables pass. */
	opts.dangerous = 0;
	scan_one("letter.doc", &doc, &v);
	verdict_is(&v, CONTENT_MACRO, NULL, "with macros");
	blob_free(&outer);
	outer = fixture("clam.exe");
	scan_one("clam.exe", &outer, &v);
	verdict_is(&v, NULL, NULL, NULL);
	/* Only the dangerous check on: macros pass. */
	opts.dangerous = 1;
	opts.macros = 0;
	scan_one("report.docm", &docm, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&docm);
	blob_free(&types_only);
	blob_free(&vba_only);
	blob_free(&doc);
	blob_free(&xls);
	blob_free(&inner);
	blob_free(&outer);
}

/* An executable two archives deep, and three, and four (too deep). */
static void
test_nested(void **state)
{
	struct blob		 exe, text, z1, z2, z3, z4 = { NULL, 0 };
	struct content_verdict	 v;

	(void)state;
	need_fixtures();
	exe = fixture("clam.exe");
	z1 = zip_of("tool.exe", &exe);
	z2 = arc_build(AR_TARGZ, (struct ent[]){ { "inner.zip", &z1 } }, 1);
	scan_one("outer.tar.gz", &z2, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "outer.tar.gz/inner.zip/tool.exe",
	    "tool.exe in outer.tar.gz/inner.zip is a Windows executable");
	z3 = arc_build(AR_7Z, (struct ent[]){ { "mid.tar.gz", &z2 } }, 1);
	scan_one("top.7z", &z3, &v);
	verdict_is(&v, CONTENT_DANGEROUS,
	    "top.7z/mid.tar.gz/inner.zip/tool.exe",
	    "is a Windows executable");
	blob_free(&z4);
	z4 = arc_build(AR_ISO, (struct ent[]){ { "SETUP.EXE", &exe } }, 1);
	scan_one("disk.img", &z4, &v);
	verdict_is(&v, CONTENT_DANGEROUS, NULL,
	    "in disk.img is a Windows executable");
	blob_free(&z4);
	z4 = zip_of("top.7z", &z3);
	scan_one("x.zip", &z4, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "x.zip/top.7z/mid.tar.gz/inner.zip",
	    "is nested more than 3 containers deep and can't be checked");
	blob_free(&z1);
	blob_free(&z2);
	blob_free(&z3);
	blob_free(&z4);
	/* Harmless text four deep is refused all the same. */
	text = blob_str("hello\n");
	z1 = zip_of("a.txt", &text);
	z2 = zip_of("1.zip", &z1);
	z3 = zip_of("2.zip", &z2);
	z4 = zip_of("3.zip", &z3);
	scan_one("4.zip", &z3, &v);
	verdict_is(&v, NULL, NULL, NULL);
	scan_one("4.zip", &z4, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "4.zip/3.zip/2.zip/1.zip",
	    "nested more than 3");
	blob_free(&z1);
	blob_free(&z2);
	blob_free(&z3);
	blob_free(&z4);
	blob_free(&text);
	blob_free(&exe);
}

static double
now(void)
{
	return g_get_monotonic_time() / 1e6;
}

/* 1 GiB of zeros in a zip, and a gzip that declares no size. */
static void
test_bombs(void **state)
{
	struct blob		 bomb, gz, outer;
	struct content_verdict	 v;
	double			 t;

	(void)state;
	need_fixtures();
	t = now();
	bomb = zip_zeros("zeros.bin", 1ULL << 30, 0);
	fprintf(stderr, "# 1 GiB bomb: %zu bytes, built in %.1f s\n",
	    bomb.len, now() - t);
	t = now();
	scan_one("bomb.zip", &bomb, &v);
	t = now() - t;
	fprintf(stderr, "# refused in %.3f s: %s\n", t, v.reason);
	verdict_is(&v, CONTENT_DANGEROUS, "bomb.zip",
	    "bomb.zip is an archive bomb");
	assert_true(t < 0.5);
	outer = zip_of("bomb.zip", &bomb);
	t = now();
	scan_one("innocent.zip", &outer, &v);
	t = now() - t;
	verdict_is(&v, CONTENT_DANGEROUS, NULL, "is an archive bomb");
	assert_true(strncmp(v.part, "innocent.zip", 12) == 0);
	assert_true(t < 0.5);
	/* No size declared: stopped by the ratio after a few MiB. */
	gz = zip_zeros("zeros", 256ULL << 20, 1);
	t = now();
	scan_one("data.gz", &gz, &v);
	t = now() - t;
	fprintf(stderr, "# gzip bomb (%zu bytes) refused in %.3f s: %s\n",
	    gz.len, t, v.reason);
	verdict_is(&v, CONTENT_DANGEROUS, "data.gz",
	    "data.gz is an archive bomb (it expands more than 250 times)");
	assert_true(t < 0.5);
	/* Without the dangerous check the bomb stops, and nothing else. */
	opts.dangerous = 0;
	t = now();
	scan_one("data.gz", &gz, &v);
	verdict_is(&v, NULL, NULL, NULL);
	assert_true(now() - t < 0.5);
	opts.dangerous = 1;
	/* A small budget: what fits passes, what doesn't is refused. */
	opts.max_unpacked = 4096;
	blob_free(&outer);
	outer = blob_str("0123456789abcdef");
	blob_free(&gz);
	gz = zip_of("a.txt", &outer);
	scan_one("small.zip", &gz, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&outer);
	outer = fixture("clam_IScab_ext.exe");
	blob_free(&gz);
	gz = arc_build(AR_7Z, (struct ent[]){ { "big.exe", &outer } }, 1);
	scan_one("big.7z", &gz, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "big.7z",
	    "big.7z is an archive bomb (big.exe would unpack to");
	blob_free(&bomb);
	blob_free(&gz);
	blob_free(&outer);
}

/* 10 001 entries: refused when the limit is passed. */
static void
test_entries(void **state)
{
	struct ent		*e = calloc(10001, sizeof *e);
	struct blob		 one = blob_str("x"), zip;
	struct content_verdict	 v;
	char			(*names)[16] = calloc(10001, sizeof *names);
	size_t			 i;

	(void)state;
	assert_non_null(e);
	assert_non_null(names);
	for (i = 0; i < 10001; i++) {
		snprintf(names[i], sizeof names[i], "f%zu.txt", i);
		e[i].name = names[i];
		e[i].b = &one;
	}
	zip = arc_build(AR_ZIP, e, 10001);
	scan_one("many.zip", &zip, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "many.zip",
	    "many.zip is an archive bomb (more than 10000 entries)");
	blob_free(&zip);
	/* A tar says how many only as it goes. */
	zip = arc_build(AR_TARGZ, e, 10001);
	scan_one("many.tgz", &zip, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "many.tgz",
	    "many.tgz is an archive bomb (more than 10000 entries)");
	blob_free(&zip);
	zip = arc_build(AR_ZIP, e, 10000);
	scan_one("just.zip", &zip, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&zip);
	blob_free(&one);
	free(e);
	free(names);
}

/* Run a command; 0 when it ran and exited 0. */
static int
run(const char *cmd)
{
	int	st = system(cmd);

	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static struct blob
file_read(const char *path)
{
	struct blob	 b;
	gchar		*data;
	gsize		 len;

	assert_true(g_file_get_contents(path, &data, &len, NULL));
	b = blob_copy(data, len);
	g_free(data);
	return b;
}

/* Password-protected archives can't be checked. */
static void
test_encrypted(void **state)
{
	struct blob		 exe = blob_str("just text"), z;
	struct content_verdict	 v;
	char			 dir[] = "/tmp/of-content.XXXXXX", *cmd;

	(void)state;
	z = arc_build(AR_ZIPCRYPTO, (struct ent[]){ { "a.txt", &exe } }, 1);
	scan_one("secret.zip", &z, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "secret.zip",
	    "secret.zip is password-protected and can't be checked");
	blob_free(&z);
	z = arc_build(AR_ZIPAES, (struct ent[]){ { "a.txt", &exe } }, 1);
	scan_one("aes.zip", &z, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "aes.zip", "password-protected");
	blob_free(&z);
	blob_free(&exe);
	/* zip -e and 7z with encrypted headers, when the tools are here. */
	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&cmd, "cd %s && echo hello > a.txt && "
	    "zip -q -e -P secret e.zip a.txt && 7z a -bd -psecret -mhe=on "
	    "h.7z a.txt >/dev/null", dir) != -1);
	if (run(cmd) != 0) {
		free(cmd);
		assert_true(asprintf(&cmd, "rm -rf %s", dir) != -1);
		run(cmd);
		free(cmd);
		fprintf(stderr, "# zip or 7z missing: install zip and "
		    "p7zip-full\n");
		skip();
	}
	free(cmd);
	assert_true(asprintf(&cmd, "%s/e.zip", dir) != -1);
	z = file_read(cmd);
	free(cmd);
	scan_one("e.zip", &z, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "e.zip", "password-protected");
	blob_free(&z);
	assert_true(asprintf(&cmd, "%s/h.7z", dir) != -1);
	z = file_read(cmd);
	free(cmd);
	scan_one("h.7z", &z, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "h.7z", "password-protected");
	blob_free(&z);
	assert_true(asprintf(&cmd, "rm -rf %s", dir) != -1);
	run(cmd);
	free(cmd);
}

static void
test_pdf(void **state)
{
	static const struct {
		const char	*extra, *want;
	} cases[] = {
		{ "/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>",
		  "is a PDF with JavaScript" },
		{ "/OpenAction << /S /J#61vaScript /J#53 5 0 R >>",
		  "is a PDF with JavaScript" },
		{ "/OpenAction<</S/Launch/F(cmd.exe)>>",
		  "is a PDF that launches programs (/Launch)" },
		{ "/Names << /EmbeddedFiles 6 0 R >>",
		  "is a PDF with embedded files" },
		/* Names inside strings or comments are text. */
		{ "/Title (see /JavaScript and /Launch) % /JS\n", NULL },
		{ "/Lang <2F4A53>", NULL },
		{ "/JSX /Launcher /EmbeddedFileX", NULL },
	};
	struct content_verdict	 v;
	struct blob		 pdf, z;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pdf = pdf_make(cases[i].extra, NULL);
		scan_one("doc.pdf", &pdf, &v);
		if (cases[i].want != NULL)
			verdict_is(&v, CONTENT_DANGEROUS, "doc.pdf",
			    cases[i].want);
		else
			verdict_is(&v, NULL, NULL, NULL);
		blob_free(&pdf);
	}
	/* JavaScript hidden in a deflated object stream. */
	z = deflate_zlib("6 0 << /S /JavaScript /JS (app.alert(1)) >>");
	pdf = pdf_make("/OpenAction 6 0 R", &z);
	scan_one("compressed.pdf", &pdf, &v);
	verdict_is(&v, CONTENT_DANGEROUS, NULL, "is a PDF with JavaScript");
	blob_free(&pdf);
	blob_free(&z);
	z = deflate_zlib("6 0 << /Type /Font /Subtype /Type1 >>");
	pdf = pdf_make("", &z);
	scan_one("fonts.pdf", &pdf, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&pdf);
	blob_free(&z);
}

/* Scripts by name, executables of other systems by magic. */
static void
test_scripts_and_magic(void **state)
{
	static const unsigned char macho[32] = { 0xcf, 0xfa, 0xed, 0xfe,
	    0x07, 0, 0, 0x01, 0x03, 0, 0, 0, 0x02, 0, 0, 0 };
	static const unsigned char fat[32] = { 0xca, 0xfe, 0xba, 0xbe, 0, 0,
	    0, 2, 0, 0, 0, 7 };
	static const unsigned char javaclass[32] = { 0xca, 0xfe, 0xba, 0xbe,
	    0, 0, 0, 52 };
	static const struct {
		const char	*name, *want;
	} scripts[] = {
		{ "run.js", "run.js is a JavaScript file" },
		{ "invoice.pdf.vbs", "is a VBScript file" },
		{ "UPDATE.HTA", "is an HTML application" },
		{ "x.ps1", "PowerShell" },
		{ "start.bat", "batch file" },
		{ "start.cmd", "batch file" },
		{ "shot.scr", "screen saver" },
		{ "doc.lnk", "Windows shortcut" },
		{ "app.jar", "Java archive" },
		{ "a.jse", "JScript" },
		{ "a.vbe", "VBScript" },
		{ "a.wsf", "Windows Script File" },
		{ "trailing.js. ", "JavaScript" },
	};
	struct blob		 b, z, elf;
	struct content_verdict	 v;
	struct att		 a;
	size_t			 i, len;
	char			*msg;

	(void)state;
	b = blob_str("WScript.Echo(\"hi\");\n");
	for (i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
		scan_one(scripts[i].name, &b, &v);
		verdict_is(&v, CONTENT_DANGEROUS, NULL, scripts[i].want);
	}
	z = zip_of("docs/readme.txt.js", &b);
	scan_one("docs.zip", &z, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "docs.zip/docs/readme.txt.js",
	    "readme.txt.js in docs.zip is a JavaScript file");
	blob_free(&z);
	/* Non-ASCII names, whatever the locale. */
	z = zip_of("Rechnung_M\xc3\xa4rz.js", &b);
	scan_one("rechnung.zip", &z, &v);
	verdict_is(&v, CONTENT_DANGEROUS,
	    "rechnung.zip/Rechnung_M\xc3\xa4rz.js",
	    "Rechnung_M\xc3\xa4rz.js in rechnung.zip is a JavaScript file");
	blob_free(&z);
	/* A jar by its content. */
	z = arc_build(AR_ZIP, (struct ent[]){ { "META-INF/MANIFEST.MF", &b },
	    { "app/Main.class", &b } }, 2);
	scan_one("tools.zip", &z, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "tools.zip",
	    "tools.zip is a Java archive");
	blob_free(&z);
	/* The Content-Type name, when the filename says otherwise. */
	a.name = "notes.txt";
	a.type = "text/plain; name=\"notes.vbs\"";
	a.b = &b;
	msg = msg_build(&a, 1, &len);
	assert_int_equal(scan_msg(msg, len, &v), 0);
	verdict_is(&v, CONTENT_DANGEROUS, "notes.vbs", "VBScript");
	g_free(msg);
	scan_one("script.js.txt", &b, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&b);
	elf = file_read("/bin/true");
	scan_one("true.txt", &elf, &v);
	verdict_is(&v, CONTENT_DANGEROUS, NULL, "is a Linux executable (ELF)");
	b = blob_copy(macho, sizeof macho);
	scan_one("app", &b, &v);
	verdict_is(&v, CONTENT_DANGEROUS, NULL, "macOS executable");
	blob_free(&b);
	b = blob_copy(fat, sizeof fat);
	scan_one("app", &b, &v);
	verdict_is(&v, CONTENT_DANGEROUS, NULL, "macOS universal executable");
	blob_free(&b);
	b = blob_copy(javaclass, sizeof javaclass);
	scan_one("Main.class", &b, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&b);
	/* An ELF with UPX's mark. */
	b = blob_copy(elf.p, elf.len);
	memcpy(b.p + 0x200, "UPX!", 4);
	scan_one("tool", &b, &v);
	verdict_is(&v, CONTENT_DANGEROUS, NULL,
	    "is a Linux executable (ELF) packed with UPX");
	blob_free(&b);
	/* An executable in a gzip without a name. */
	z = arc_build(AR_GZ, (struct ent[]){ { "data", &elf } }, 1);
	scan_one("logs.gz", &z, &v);
	verdict_is(&v, CONTENT_DANGEROUS, "logs.gz/logs", "ELF");
	blob_free(&z);
	blob_free(&elf);
}

/* An attached message, inline uuencode, unnamed parts. */
static void
test_mime(void **state)
{
	struct blob		 exe;
	struct content_verdict	 v;
	struct att		 a = { "clam.exe", NULL, &exe };
	GString			*m;
	gchar			*inner, *b64;
	size_t			 len;

	(void)state;
	need_fixtures();
	exe = fixture("clam.exe");
	inner = msg_build(&a, 1, &len);
	m = g_string_new("From: a@example.com\r\nSubject: fwd\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
	    "boundary=outer\r\n\r\n--outer\r\nContent-Type: text/plain\r\n\r\n"
	    "see attached\r\n--outer\r\nContent-Type: message/rfc822\r\n"
	    "Content-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n");
	g_string_append(m, inner);
	g_string_append(m, "\r\n--outer--\r\n");
	assert_int_equal(scan_msg(m->str, m->len, &v), 0);
	verdict_is(&v, CONTENT_DANGEROUS, "fwd.eml/clam.exe",
	    "clam.exe in fwd.eml is a Windows executable");
	g_string_free(m, TRUE);
	g_free(inner);
	/* Unnamed: the part number names it. */
	b64 = g_base64_encode(exe.p, exe.len);
	m = g_string_new(NULL);
	g_string_printf(m, "From: a@example.com\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	    "Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: "
	    "multipart/alternative; boundary=c\r\n\r\n--c\r\nContent-Type: "
	    "text/plain\r\n\r\nx\r\n--c\r\nContent-Type: image/png\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--c--\r\n--b--\r\n",
	    b64);
	assert_int_equal(scan_msg(m->str, m->len, &v), 0);
	verdict_is(&v, CONTENT_DANGEROUS, "part 2.2",
	    "part 2.2 is a Windows executable");
	g_string_free(m, TRUE);
	g_free(b64);
	blob_free(&exe);
	/* A file uuencoded in the text itself. */
	exe = fixture("clam.exe.mbox.uu");
	m = g_string_new("From: a@example.com\r\nSubject: uu\r\n\r\n"
	    "The tool, as promised:\r\n\r\n");
	inner = strstr((char *)exe.p, "begin 644");
	assert_non_null(inner);
	g_string_append_len(m, inner, exe.len - (inner - (char *)exe.p));
	assert_int_equal(scan_msg(m->str, m->len, &v), 0);
	verdict_is(&v, CONTENT_DANGEROUS, "part 1/clam.exe",
	    "clam.exe in part 1 is a Windows executable");
	g_string_free(m, TRUE);
	blob_free(&exe);
}

/* Names that would break a reply line or fool a reader are cleaned. */
static void
test_names(void **state)
{
	struct blob		 b = blob_str("x");
	struct content_verdict	 v;

	(void)state;
	scan_one("=?utf-8?q?evil=0D=0A250_ok=E2=80=AEtxt.js?=", &b, &v);
	verdict_is(&v, CONTENT_DANGEROUS, NULL, "JavaScript");
	assert_null(strchr(v.reason, '\r'));
	assert_null(strchr(v.reason, '\n'));
	assert_null(strstr(v.reason, "\xe2\x80\xae"));
	assert_true(g_utf8_validate(v.reason, -1, NULL));
	assert_true(g_utf8_validate(v.part, -1, NULL));
	blob_free(&b);
}

/* Hostile structure: deep nesting, broken encodings, broken archives. */
static void
test_hostile(void **state)
{
	struct content_verdict	 v;
	struct blob		 exe, cut;
	GString			*m;
	char			*cause = NULL;
	int			 i;

	(void)state;
	need_fixtures();
	exe = fixture("clam.zip");
	m = g_string_new("From: a@example.com\r\nMIME-Version: 1.0\r\n");
	for (i = 0; i < 1000; i++)
		g_string_append_printf(m, "Content-Type: multipart/mixed; "
		    "boundary=b%d\r\n\r\n--b%d\r\n", i, i);
	g_string_append(m, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	assert_int_equal(scan_msg(m->str, m->len, &v), 0);
	verdict_is(&v, CONTENT_DANGEROUS, NULL,
	    "nested more than 32 MIME levels deep");
	g_string_free(m, TRUE);
	/* 100 attached messages inside each other. */
	m = g_string_new(NULL);
	for (i = 0; i < 100; i++)
		g_string_append(m, "From: a@example.com\r\n"
		    "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n");
	g_string_append(m, "Subject: core\r\n\r\nhello\r\n");
	assert_int_equal(scan_msg(m->str, m->len, &v), 0);
	verdict_is(&v, CONTENT_DANGEROUS, NULL, "MIME levels deep");
	assert_non_null(strstr(v.reason, "/.../"));
	fprintf(stderr, "# %s: %s\n", v.part, v.reason);
	g_string_free(m, TRUE);
	/* Broken base64, a missing end boundary. */
	m = g_string_new("From: a@example.com\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "TVqQ!!!AAMAAAAEAAAA//8AALgA==AAAA@@\r\n");
	assert_int_equal(scan_msg(m->str, m->len, &v), 0);
	g_string_free(m, TRUE);
	/* Truncated and garbled archives: judged as far as readable. */
	for (i = 1; i < (int)exe.len; i += 7) {
		cut = blob_copy(exe.p, (size_t)i);
		scan_one("cut.zip", &cut, &v);
		blob_free(&cut);
	}
	cut = blob_copy(exe.p, exe.len);
	for (i = 30; i < (int)cut.len; i += 13)
		cut.p[i] ^= 0x5a;
	scan_one("garbled.zip", &cut, &v);
	blob_free(&cut);
	cut = blob_str("PK\3\4 not a zip at all");
	scan_one("fake.zip", &cut, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&cut);
	cut = blob_str("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not OLE2 either");
	scan_one("fake.doc", &cut, &v);
	verdict_is(&v, NULL, NULL, NULL);
	blob_free(&cut);
	/* No header block at all: the bytes are judged as they are. */
	cut = fixture("clam.exe");
	assert_int_equal(scan_msg((char *)cut.p, cut.len, &v), 0);
	verdict_is(&v, CONTENT_DANGEROUS, "the message",
	    "the message is a Windows executable");
	blob_free(&cut);
	assert_int_equal(scan_msg("", 0, &v), 0);
	verdict_is(&v, NULL, NULL, NULL);
	/* Both checks off: nothing is parsed. */
	opts.macros = opts.dangerous = 0;
	assert_int_equal(content_scan((char *)exe.p, exe.len, &opts, &v,
	    &cause), 0);
	assert_false(v.blocked);
	blob_free(&exe);
}

/* Several threads scanning at once agree with one thread. */
struct job {
	char			*msg;
	size_t			 len;
	const char		*want;	/* class, or "" */
	int			 bad;
};

static void *
job_run(void *arg)
{
	struct job		*j = arg;
	struct content_verdict	 v;
	char			*cause = NULL;
	int			 i;

	for (i = 0; i < 30; i++) {
		if (content_scan(j->msg, j->len, &opts, &v, &cause) != 0 ||
		    strcmp(v.class, j->want) != 0)
			j->bad++;
		free(cause);
		cause = NULL;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct blob	 exe, docm, doc, pdf;
	struct att	 a[] = {
		{ "a.7z", NULL, &exe }, { "b.docx", NULL, &docm },
		{ "c.doc", NULL, &doc }, { "d.pdf", NULL, &pdf },
	};
	struct job	 j[4];
	pthread_t	 t[4];
	int		 i;

	(void)state;
	need_fixtures();
	exe = fixture("clam.7z");
	docm = docx_build(CT_DOCM, 1);
	doc = ole_build("WordDocument", NULL);
	pdf = pdf_make("", NULL);
	for (i = 0; i < 4; i++) {
		j[i].msg = msg_build(&a[i], 1, &j[i].len);
		j[i].want = i == 0 ? CONTENT_DANGEROUS : i == 1 ?
		    CONTENT_MACRO : "";
		j[i].bad = 0;
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, job_run, &j[i]),
		    0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(j[i].bad, 0);
		g_free(j[i].msg);
	}
	blob_free(&exe);
	blob_free(&docm);
	blob_free(&doc);
	blob_free(&pdf);
}

static int
setup(void **state)
{
	(void)state;
	content_opts_default(&opts);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fixtures, setup),
		cmocka_unit_test_setup(test_fixture_messages, setup),
		cmocka_unit_test_setup(test_clean, setup),
		cmocka_unit_test_setup(test_macros, setup),
		cmocka_unit_test_setup(test_nested, setup),
		cmocka_unit_test_setup(test_bombs, setup),
		cmocka_unit_test_setup(test_entries, setup),
		cmocka_unit_test_setup(test_encrypted, setup),
		cmocka_unit_test_setup(test_pdf, setup),
		cmocka_unit_test_setup(test_scripts_and_magic, setup),
		cmocka_unit_test_setup(test_mime, setup),
		cmocka_unit_test_setup(test_names, setup),
		cmocka_unit_test_setup(test_hostile, setup),
		cmocka_unit_test_setup(test_threads, setup),
	};

	content_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
