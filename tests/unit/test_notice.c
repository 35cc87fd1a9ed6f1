/*
 * Lock notices: the placeholder language (a table of texts accepted and
 * refused), rendering, and the message notice_build() makes, parsed back
 * with GMime: its headers, its parts, UTF-8 in the subject, and values
 * that try to forge headers.
 */
#define _GNU_SOURCE		/* strcasestr */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <gmime/gmime.h>

#include "conf.h"
#include "db.h"
#include "notice.h"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct db	*db;
	struct config	*conf;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	char		 file[160], *cause = NULL;
	FILE		*fp;

	snprintf(f->dir, sizeof f->dir, "/tmp/test_notice.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/of.db", f->dir);
	if ((f->db = db_open(f->path, 1, &cause)) == NULL) {
		print_error("db_open: %s\n", cause);
		return -1;
	}
	snprintf(file, sizeof file, "%s/of.conf", f->dir);
	if ((fp = fopen(file, "w")) == NULL)
		return -1;
	fprintf(fp, "[paths]\nstate_dir = %s\nrun_dir = %s\n[smtp]\n"
	    "hostname = filter.example\n", f->dir, f->dir);
	fclose(fp);
	if ((f->conf = conf_load(file, NULL, &cause)) == NULL) {
		print_error("conf_load: %s\n", cause);
		return -1;
	}
	unlink(file);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char		 p[160];
	size_t		 i;

	db_close(f->db);
	conf_unref(f->conf);
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Texts a template may hold (needle NULL), and those refused. */
static const struct {
	const char	*text;
	const char	*needle;	/* in the refusal */
} check_cases[] = {
	{ "", NULL },
	{ "no placeholder at all", NULL },
	{ "Dear {user} of {domain}", NULL },
	{ "{user}{identity}{domain}{reason}{spam_count}{window_minutes}"
	  "{locked_at}{unlock_at}{auto_unlocks_left}{admin_contact}", NULL },
	{ "braces: {{ and }} and {{user}}", NULL },
	{ "css { color: red }", "\"{ color: red }\" is not a placeholder" },
	{ "Dear {usr}", "\"{usr}\" is not a placeholder; known ones are "
	  "{user}, {identity}, {domain}, {reason}, {spam_count}, "
	  "{window_minutes}, {locked_at}, {unlock_at}, {auto_unlocks_left}, "
	  "{admin_contact}" },
	{ "{USER}", "\"{USER}\" is not a placeholder" },
	{ "{}", "\"{}\" is not a placeholder" },
	{ "{ user }", "\"{ user }\" is not a placeholder" },
	{ "a { b", "line 1, column 3: a \"{\" is not closed on its line" },
	{ "end {user", "not closed" },
	{ "line one\nx {user\n}", "line 2, column 3" },
	{ "{{user}", "line 1, column 7: a \"}\" closes no placeholder" },
	{ "a } b", "closes no placeholder" },
	{ "{user}}", "closes no placeholder" },
	{ "{{{user}", NULL },
	{ "{a{user}}", "not closed" },
};

static void
test_check(void **state)
{
	char	*cause;
	size_t	 i;
	int	 rc;

	(void)state;
	for (i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
		cause = NULL;
		rc = notice_check(check_cases[i].text, "body", &cause);
		if (check_cases[i].needle == NULL && rc != 0)
			fail_msg("\"%s\" refused: %s", check_cases[i].text,
			    cause);
		if (check_cases[i].needle != NULL && (rc != -1 ||
		    cause == NULL || strstr(cause, check_cases[i].needle) ==
		    NULL || strncmp(cause, "body: ", 6) != 0))
			fail_msg("\"%s\": wanted a refusal naming \"%s\", got "
			    "%s", check_cases[i].text, check_cases[i].needle,
			    cause != NULL ? cause : "none");
		free(cause);
	}
	/* A very long unknown name is shown cut. */
	cause = NULL;
	assert_int_equal(notice_check("{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
	    "subject", &cause), -1);
	assert_non_null(strstr(cause, "...}\" is not a placeholder"));
	free(cause);
}

static const struct notice_vars vars = {
	.user = "alice@example.com",
	.identity = "www-data@example.com",
	.domain = "example.com",
	.reason = "6 spam messages",
	.admin_contact = "abuse@example.com",
	.spam_count = 6,
	.window_minutes = 10,
	.auto_unlocks_left = 2,
	.locked_at = 1795773600,	/* 2026-11-27 10:00 UTC */
	.unlock_at = 1795788000,	/* 2026-11-27 14:00 UTC */
};

static char *
render(const char *text, const struct notice_vars *v, enum notice_mode mode)
{
	char	*out, *cause = NULL;

	if ((out = notice_render(text, v, mode, &cause)) == NULL)
		fail_msg("notice_render(\"%s\"): %s", text, cause);
	return out;
}

#define rendered(text, v, mode, want) do {				\
	char *out_ = render(text, v, mode);				\
	assert_string_equal(out_, want);				\
	free(out_);							\
} while (0)

static void
test_render(void **state)
{
	struct notice_vars	v = vars;

	(void)state;
	rendered("{user}|{identity}|{domain}|{reason}|{spam_count}|"
	    "{window_minutes}|{locked_at}|{unlock_at}|{auto_unlocks_left}|"
	    "{admin_contact}", &v, NOTICE_TEXT,
	    "alice@example.com|www-data@example.com|example.com|"
	    "6 spam messages|6|10|2026-11-27 10:00 UTC|2026-11-27 14:00 UTC|"
	    "2|abuse@example.com");
	rendered("{{user}} is {user}; }} {{", &v, NOTICE_TEXT,
	    "{user} is alice@example.com; } {");
	/* What a lock of the whole user, without an end, looks like. */
	v.identity = NULL;
	v.unlock_at = 0;
	v.reason = "";
	v.auto_unlocks_left = -3;
	rendered("{identity}: {unlock_at}; {reason}; {auto_unlocks_left}", &v,
	    NOTICE_TEXT, "alice@example.com: when an administrator unlocks "
	    "it; no reason given; 0");
	/* Values stay one line of valid UTF-8, wherever they go. */
	v.reason = "spam\r\nBcc: victim@example.org\t\x01 \xff\xfe ok";
	rendered("[{reason}]", &v, NOTICE_TEXT, "[spam  Bcc: victim@example.org"
	    "   \xef\xbf\xbd\xef\xbf\xbd ok]");
	rendered("Subject {reason}\nline", &v, NOTICE_LINE,
	    "Subject spam  Bcc: victim@example.org   \xef\xbf\xbd\xef\xbf\xbd "
	    "ok line");
	v.reason = "<script>alert('x')</script> & \"q\"";
	rendered("<p>{reason}</p>", &v, NOTICE_HTML, "<p>&lt;script&gt;alert("
	    "&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>");
	rendered("{reason}", &v, NOTICE_TEXT, v.reason);
}

static void
test_render_long(void **state)
{
	struct notice_vars	 v = vars;
	char			 big[2000], *out;

	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	/* A multi-byte character across the cut is not split. */
	memcpy(big + 510, "\xc3\xa9\xc3\xa9", 4);
	v.reason = big;
	out = render("{reason}", &v, NOTICE_TEXT);
	assert_true(strlen(out) <= 512 + 3);
	assert_string_equal(out + strlen(out) - 3, "...");
	assert_true(g_utf8_validate(out, -1, NULL));
	free(out);
}

/* The message parsed back; the caller unrefs it. */
static GMimeMessage *
parse(const char *msg, size_t len)
{
	GMimeStream	*st = g_mime_stream_mem_new_with_buffer(msg, len);
	GMimeParser	*p = g_mime_parser_new_with_stream(st);
	GMimeMessage	*m = g_mime_parser_construct_message(p, NULL);

	g_object_unref(p);
	g_object_unref(st);
	assert_non_null(m);
	return m;
}

/* Every line ends in CRLF; nothing but a header block ends at "\r\n\r\n". */
static void
assert_crlf(const char *msg, size_t len)
{
	size_t	i;

	assert_true(len >= 2);
	assert_memory_equal(msg + len - 2, "\r\n", 2);
	for (i = 0; i < len; i++) {
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r');
		if (msg[i] == '\r')
			assert_true(i + 1 < len && msg[i + 1] == '\n');
	}
}

/* The header block of msg, as a string. */
static char *
header_block(const char *msg)
{
	const char	*end = strstr(msg, "\r\n\r\n");

	assert_non_null(end);
	return strndup(msg, end - msg + 2);
}

/* A part's decoded text, its line ends as LF. */
static char *
part_text(GMimeObject *o)
{
	char	*t, *r, *w;

	assert_true(GMIME_IS_TEXT_PART(o));
	t = g_mime_text_part_get_text(GMIME_TEXT_PART(o));
	assert_non_null(t);
	for (r = w = t; *r != '\0'; r++)
		if (*r != '\r')
			*w++ = *r;
	*w = '\0';
	return t;
}

static char *
build(struct fixture *f, const char *tmpl, const struct notice_vars *v,
    const char *to, const char *cc, size_t *len)
{
	char	*msg, *cause = NULL;

	if (notice_build(f->db, f->conf, tmpl, v, to, cc, &msg, len,
	    &cause) == -1)
		fail_msg("notice_build: %s", cause);
	assert_int_equal(strlen(msg), *len);
	return msg;
}

static void
test_build_default(void **state)
{
	struct fixture		*f = *state;
	GMimeMessage		*m;
	InternetAddressList	*l;
	GMimeObject		*body;
	char			*msg, *text, *hdrs;
	const char		*s;
	size_t			 len;

	/* Not installed: the built-in text serves. */
	msg = build(f, NULL, &vars, "www-data@example.com", "abuse@example.com",
	    &len);
	assert_crlf(msg, len);
	m = parse(msg, len);
	l = g_mime_message_get_from(m);
	assert_int_equal(internet_address_list_length(l), 1);
	assert_string_equal(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(l, 0))),
	    "postmaster@filter.example");
	l = g_mime_message_get_to(m);
	assert_int_equal(internet_address_list_length(l), 1);
	l = g_mime_message_get_cc(m);
	assert_int_equal(internet_address_list_length(l), 1);
	assert_string_equal(g_mime_message_get_subject(m),
	    "Outgoing mail of www-data@example.com has been locked");
	assert_non_null(g_mime_message_get_date(m));
	assert_non_null(s = g_mime_message_get_message_id(m));
	assert_non_null(strstr(s, "@filter.example"));
	assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m),
	    "MIME-Version"), "1.0");
	assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m),
	    "Auto-Submitted"), "auto-generated");
	body = g_mime_message_get_mime_part(m);
	/* GMime files Content-* headers under the message's part. */
	assert_string_equal(g_mime_object_get_header(body,
	    "Content-Language"), "en");
	assert_true(g_mime_content_type_is_type(
	    g_mime_object_get_content_type(body), "text", "plain"));
	assert_string_equal(g_mime_object_get_content_type_parameter(body,
	    "charset"), "utf-8");
	text = part_text(body);
	assert_non_null(strstr(text, "Unlocked:        2026-11-27 14:00 UTC"));
	assert_non_null(strstr(text, "6 within 10 minutes"));
	assert_non_null(strstr(text, "please write to\nabuse@example.com."));
	assert_null(strchr(text, '{'));
	g_free(text);
	hdrs = header_block(msg);
	assert_non_null(strstr(hdrs, "Date: "));
	free(hdrs);
	g_object_unref(m);
	free(msg);
}

static void
test_build_html_utf8(void **state)
{
	struct fixture		*f = *state;
	struct db_template	 t = {
		"de", "de", "Konto {user} gesperrt \xe2\x80\x93 \xc3\x9c"
		"berpr\xc3\xbc" "fung n\xc3\xb6tig", "Gr\xc3\xbc\xc3\x9f" "e,\n"
		"Grund: {reason}\n.\nEnde\n",
		"<p>Grund: <b>{reason}</b></p>\n"
	};
	struct notice_vars	 v = vars;
	GMimeMessage		*m;
	GMimeMultipart		*mp;
	char			*msg, *text, *hdrs, *cause = NULL;
	size_t			 len, i;

	assert_int_equal(db_template_add(f->db, &t, &cause), 0);
	v.reason = "<b>spam</b>";
	v.admin_contact = NULL;
	msg = build(f, "de", &v, "Alice <alice@example.com>", NULL, &len);
	assert_crlf(msg, len);
	/* The header block is ASCII: the subject is encoded. */
	hdrs = header_block(msg);
	for (i = 0; hdrs[i] != '\0'; i++)
		assert_true((unsigned char)hdrs[i] < 0x80);
	assert_non_null(strcasestr(hdrs, "=?utf-8?"));
	assert_null(strstr(hdrs, "Cc:"));
	free(hdrs);
	m = parse(msg, len);
	assert_string_equal(g_mime_message_get_subject(m), "Konto "
	    "alice@example.com gesperrt \xe2\x80\x93 \xc3\x9c" "berpr\xc3\xbc"
	    "fung n\xc3\xb6tig");
	assert_string_equal(g_mime_object_get_header(
	    g_mime_message_get_mime_part(m), "Content-Language"), "de");
	assert_true(GMIME_IS_MULTIPART(g_mime_message_get_mime_part(m)));
	mp = GMIME_MULTIPART(g_mime_message_get_mime_part(m));
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    GMIME_OBJECT(mp)), "multipart", "alternative"));
	assert_int_equal(g_mime_multipart_get_count(mp), 2);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(mp, 0)), "text", "plain"));
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(mp, 1)), "text", "html"));
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(
	    g_mime_multipart_get_part(mp, 0))),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	text = part_text(g_mime_multipart_get_part(mp, 0));
	assert_string_equal(text, "Gr\xc3\xbc\xc3\x9f" "e,\nGrund: <b>spam</b>"
	    "\n.\nEnde\n");
	g_free(text);
	text = part_text(g_mime_multipart_get_part(mp, 1));
	assert_string_equal(text, "<p>Grund: <b>&lt;b&gt;spam&lt;/b&gt;</b>"
	    "</p>\n");
	g_free(text);
	g_object_unref(m);
	free(msg);
}

static void
test_build_injection(void **state)
{
	struct fixture		*f = *state;
	struct db_template	 t = {
		"inj", NULL, "{reason} {user}", "{reason}\n", NULL
	};
	struct notice_vars	 v = vars;
	GMimeMessage		*m;
	char			*msg, *hdrs, *cause = NULL;
	size_t			 len;

	assert_int_equal(db_template_add(f->db, &t, &cause), 0);
	v.reason = "spam\r\nBcc: victim@example.org\r\n\r\nforged body";
	v.user = "x\nX-Evil: 1";
	msg = build(f, "inj", &v, "alice@example.com", "alice@EXAMPLE.com",
	    &len);
	assert_crlf(msg, len);
	hdrs = header_block(msg);
	assert_null(strstr(hdrs, "\r\nBcc:"));
	assert_null(strstr(hdrs, "\r\nX-Evil:"));
	/* Cc is To again: left out. */
	assert_null(strstr(hdrs, "\r\nCc:"));
	free(hdrs);
	m = parse(msg, len);
	assert_null(g_mime_object_get_header(GMIME_OBJECT(m), "Bcc"));
	assert_null(g_mime_object_get_header(GMIME_OBJECT(m), "X-Evil"));
	assert_string_equal(g_mime_message_get_subject(m), "spam  Bcc: "
	    "victim@example.org    forged body x X-Evil: 1");
	g_object_unref(m);
	free(msg);

	/* Addresses that are not one address are refused, naming which. */
	static const struct {
		const char	*to, *cc, *needle;
	} bad[] = {
		{ "a@example.com\r\nBcc: victim@example.org", NULL, "to: " },
		{ "a@example.com\nBcc: victim@example.org", NULL, "line break" },
		{ "a@example.com, b@example.com", NULL, "to: " },
		{ "", NULL, "to: " },
		{ NULL, NULL, "to: " },
		{ "not an address", NULL, "not one e-mail address" },
		{ "a@example.com", "b@example.com, c@example.com", "cc: " },
		{ "a@example.com", "b@example.com\r\nX: y", "cc: " },
	};
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		msg = NULL;
		assert_int_equal(notice_build(f->db, f->conf, "inj", &vars,
		    bad[i].to, bad[i].cc, &msg, &len, &cause), -1);
		assert_null(msg);
		if (cause == NULL || strstr(cause, bad[i].needle) == NULL)
			fail_msg("case %zu: wanted \"%s\" in %s", i,
			    bad[i].needle, cause != NULL ? cause : "(none)");
		free(cause);
	}
	cause = NULL;
	assert_int_equal(notice_build(f->db, f->conf, "nosuch", &vars,
	    "a@example.com", NULL, &msg, &len, &cause), -1);
	assert_non_null(strstr(cause, "nosuch"));
	free(cause);
}

static void
test_build_from(void **state)
{
	struct fixture	*f = *state;
	struct config	*c;
	GMimeMessage	*m;
	char		 file[160], *msg, *cause = NULL;
	size_t		 len;
	FILE		*fp;

	snprintf(file, sizeof file, "%s/from.conf", f->dir);
	assert_non_null(fp = fopen(file, "w"));
	fprintf(fp, "[paths]\nstate_dir = %s\n[notice]\n"
	    "from = Mail Filter <abuse-desk@provider.example>\n", f->dir);
	fclose(fp);
	assert_non_null(c = conf_load(file, NULL, &cause));
	assert_int_equal(notice_build(f->db, c, "", &vars, "a@example.com",
	    NULL, &msg, &len, &cause), 0);
	m = parse(msg, len);
	assert_string_equal(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(
	    g_mime_message_get_from(m), 0))), "abuse-desk@provider.example");
	assert_string_equal(internet_address_get_name(
	    internet_address_list_get_address(g_mime_message_get_from(m), 0)),
	    "Mail Filter");
	g_object_unref(m);
	free(msg);
	conf_unref(c);
	/* A sender that is not an address is named. */
	assert_non_null(fp = fopen(file, "w"));
	fprintf(fp, "[paths]\nstate_dir = %s\n[notice]\nfrom = nobody\n",
	    f->dir);
	fclose(fp);
	assert_non_null(c = conf_load(file, NULL, &cause));
	assert_int_equal(notice_build(f->db, c, NULL, &vars, "a@example.com",
	    NULL, &msg, &len, &cause), -1);
	assert_non_null(strstr(cause, "[notice] from"));
	free(cause);
	conf_unref(c);
	unlink(file);
}

static void
test_default_install(void **state)
{
	struct fixture		*f = *state;
	struct db_template	 t = { NOTICE_DEFAULT, NULL, "Changed {user}",
				    NULL, NULL };
	json_t			*o;
	char			*cause = NULL;

	assert_int_equal(notice_default_install(f->db, &cause), 0);
	assert_int_equal(db_template_show(f->db, NOTICE_DEFAULT, &o, &cause),
	    0);
	/* The shipped text passes the check it imposes on others. */
	assert_int_equal(notice_check(json_string_value(json_object_get(o,
	    "subject")), "subject", &cause), 0);
	assert_int_equal(notice_check(json_string_value(json_object_get(o,
	    "body")), "body", &cause), 0);
	json_decref(o);
	/* An admin's change survives the next start. */
	assert_int_equal(db_template_set(f->db, &t, &cause), 0);
	assert_int_equal(notice_default_install(f->db, &cause), 0);
	assert_int_equal(db_template_show(f->db, NOTICE_DEFAULT, &o, &cause),
	    0);
	assert_string_equal(json_string_value(json_object_get(o, "subject")),
	    "Changed {user}");
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_long),
		cmocka_unit_test_setup_teardown(test_build_default, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_build_html_utf8, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_build_injection, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_build_from, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_default_install, setup,
		    teardown),
	};

	g_mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
