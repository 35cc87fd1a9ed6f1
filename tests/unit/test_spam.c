/*
 * Spam verdicts: the tokenizer (decoding, charsets, HTML, limits), GTUBE,
 * a small trained model's decisions and reasons, its counts surviving a
 * reopened database, and scoring from several threads while learning.
 * The network engines: their specs, their peers' answers read as
 * verdicts, an exchange with a peer that is down, silent or speaking;
 * the daemon's spam service over them.
 */
#define _GNU_SOURCE		/* asprintf */
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "db.h"
#include "spam.h"

static const struct spam_engine *E = &spam_builtin_engine;

static int
has_token(const struct spam_tokens *t, const char *tok)
{
	size_t	i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->v[i], tok) == 0)
			return 1;
	}
	return 0;
}

/* A message, its tokens that must be there and those that must not. */
static const struct {
	const char	*what;
	const char	*msg;
	const char	*want[6];
	const char	*never[4];
} tok_cases[] = {
	{ "quoted-printable, UTF-8",
	  "Subject: hi\nContent-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n"
	  "Gr=C3=BC=C3=9Fe aus M=C3=BCnchen, so=\nfar\n",
	  { "grüße", "münchen", "sofar", "charset:utf-8", "part:text/plain" },
	  { "gr=c3=bc=c3=9fe", "far" } },
	{ "base64",
	  "Subject: x\nContent-Type: text/plain\n"
	  "Content-Transfer-Encoding: base64\n\n"
	  "Q2hlYXAgVklBR1JBIG9ubGluZSB0b2RheQ==\n",
	  { "cheap", "viagra", "online", "today" },
	  { "q2hlyxagvklbr1jbig9ubgluzsb0b2rhes==" } },
	{ "latin-1 body and RFC 2047 subject",
	  "Subject: =?iso-8859-1?q?Caf=E9_gratuit?=\n"
	  "Content-Type: text/plain; charset=iso-8859-1\n"
	  "Content-Transfer-Encoding: 8bit\n\n\xe9t\xe9 chaud\n",
	  { "subject:café", "subject:gratuit", "été", "chaud" },
	  { "subject:=?iso-8859-1?q?caf=e9_gratuit?=" } },
	{ "HTML stripped, tags and URLs kept",
	  "Subject: x\nContent-Type: text/html\n\n<html><body><p>Hello&nbsp;"
	  "W&#246;rld <a href=\"http://www.Example.COM/x\">click</a>"
	  "<script>var hidden = 1;</script><!-- secret --></p></body>"
	  "</html>\n",
	  { "hello", "wörld", "click", "html:a", "url:www.example.com",
	    "url:example.com" },
	  { "hidden", "secret", "<p>hello", "html:/p" } },
	{ "headers prefixed, addresses and hosts",
	  "From: Joe Bloggs <joe@Sender.example>\nTo: ann@rcpt.example\n"
	  "Received: from mx.relay.example ([192.0.2.7]) by x\n"
	  "X-Mailer: Foo Mailer 2.0\nSubject: Win money now\n\nbody text\n",
	  { "from:joe", "from:@sender.example", "received:mx.relay.example",
	    "received:192.0.2.7", "x-mailer:mailer", "subject:money" },
	  { "from:<joe@sender.example>", "received:by" } },
	{ "mbox From line skipped, long words summarised",
	  "From joe@example.com Thu Aug 22 13:17:22 2002\nSubject: hello\n\n"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ok no\n",
	  { "subject:hello", "skip:a 30", "header:subject" },
	  { "ok", "no", "from" } },
};

static void
test_tokenize_cases(void **state)
{
	struct spam_tokens	 t;
	char			*cause = NULL;
	size_t			 i, j;

	for (i = 0; i < sizeof tok_cases / sizeof tok_cases[0]; i++) {
		assert_int_equal(spam_tokenize(tok_cases[i].msg,
		    strlen(tok_cases[i].msg), &t, &cause), 0);
		for (j = 0; j < 6 && tok_cases[i].want[j] != NULL; j++) {
			if (!has_token(&t, tok_cases[i].want[j]))
				fail_msg("%s: no token \"%s\"", tok_cases[i].what,
				    tok_cases[i].want[j]);
		}
		for (j = 0; j < 4 && tok_cases[i].never[j] != NULL; j++) {
			if (has_token(&t, tok_cases[i].never[j]))
				fail_msg("%s: token \"%s\"", tok_cases[i].what,
				    tok_cases[i].never[j]);
		}
		spam_tokens_free(&t);
	}
}

/* The same message gives the same tokens, each once, at most the cap. */
static void
test_tokenize_limits(void **state)
{
	struct spam_tokens	 a, b;
	char			*msg, *cause = NULL, *p;
	size_t			 i, j, len = 0, cap = 20 + 9000 * 8;

	msg = malloc(cap);
	len = snprintf(msg, cap, "Subject: many\n\n");
	for (i = 0; i < 9000; i++)
		len += snprintf(msg + len, cap - len, "w%05zu ", i % 6000);
	assert_int_equal(spam_tokenize(msg, len, &a, &cause), 0);
	assert_int_equal(a.n, SPAM_TOKENS_MAX);
	assert_int_equal(spam_tokenize(msg, len, &b, &cause), 0);
	assert_int_equal(a.n, b.n);
	for (i = 0; i < a.n; i++) {
		assert_string_equal(a.v[i], b.v[i]);
		for (j = i + 1; j < a.n && j < i + 50; j++)
			assert_string_not_equal(a.v[i], a.v[j]);
	}
	/* Words come in order: the first body word is the first w00000. */
	p = NULL;
	for (i = 0; i < a.n && p == NULL; i++)
		p = strcmp(a.v[i], "w00000") == 0 ? a.v[i] : NULL;
	assert_non_null(p);
	spam_tokens_free(&a);
	spam_tokens_free(&b);
	free(msg);
}

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct db	*db;
	struct spam	*sp;
};

static int
setup(void **state)
{
	struct fixture		*f = calloc(1, sizeof *f);
	struct spam_config	 cfg = { .spec = "builtin" };
	char			*cause = NULL;

	snprintf(f->dir, sizeof f->dir, "/tmp/test_spam.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/of.db", f->dir);
	if ((cfg.db = f->db = db_open(f->path, 1, &cause)) == NULL ||
	    (f->sp = E->open(&cfg, &cause)) == NULL) {
		print_error("open: %s\n", cause);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[160];

	E->close(f->sp);
	db_close(f->db);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static const char *const spams[] = {
	"Subject: Cheap meds online\n\nBuy cheap viagra now, best price, "
	"click http://pills.example.biz/buy now!\n",
	"Subject: You won money\n\nClaim your prize money now, click "
	"http://win.example.biz/claim, cheap and free!\n",
	"Subject: Free viagra offer\n\nLimited offer: free pills, cheap "
	"viagra, order now at http://pills.example.biz/\n",
	"Subject: Lose weight now\n\nCheap diet pills, free shipping, order "
	"now!\n",
};
static const char *const hams[] = {
	"Subject: Meeting notes\n\nHi team, the meeting notes from Tuesday "
	"are attached; the build passes again.\n",
	"Subject: Re: patch review\n\nThanks for the review, I fixed the "
	"build and pushed the patch to the branch.\n",
	"Subject: Lunch on Friday?\n\nShall we meet for lunch on Friday "
	"after the team meeting?\n",
	"Subject: Release schedule\n\nThe release branch is frozen; review "
	"the remaining patches before Tuesday.\n",
};
static const char spam_new[] = "Subject: cheap pills\n\nOrder cheap viagra "
    "now, free offer at http://pills.example.biz/\n";
static const char ham_new[] = "Subject: review meeting\n\nThe team meeting "
    "moves to Friday; please review the patch before.\n";

static void
learn_all(struct spam *sp)
{
	char	*cause = NULL;
	size_t	 i;

	for (i = 0; i < 4; i++) {
		assert_int_equal(E->learn(sp, spams[i], strlen(spams[i]), 1,
		    &cause), 0);
		assert_int_equal(E->learn(sp, hams[i], strlen(hams[i]), 0,
		    &cause), 0);
	}
}

static double
score(struct spam *sp, const char *msg, struct spam_verdict *v)
{
	char	*cause = NULL;

	assert_int_equal(E->check(sp, msg, strlen(msg), v, &cause), 0);
	assert_true(v->score >= 0.0 && v->score <= 1.0);
	return v->score;
}

static void
test_untrained(void **state)
{
	struct fixture		*f = *state;
	struct spam_verdict	 v;

	assert_true(score(f->sp, spam_new, &v) == 0.5);
	assert_false(v.spam);
	assert_int_equal(v.nwhy, 0);
}

static void
test_gtube(void **state)
{
	struct fixture		*f = *state;
	struct spam_verdict	 v;
	/* GTUBE in base64: only the decoded text shows it. */
	static const char	 b64[] = "Subject: t\nContent-Transfer-Encoding:"
	    " base64\n\nWEpTKkM0SkRCUUFETjEuTlNCTjMqMklETkVOKkdUVUJFLVNUQU5E"
	    "QVJELUFOVEktVUJFLVRFU1QtRU1BSUwqQy4zNFgK\n";

	assert_true(score(f->sp, "Subject: t\n\n" SPAM_GTUBE "\n", &v) == 1.0);
	assert_true(v.spam);
	assert_string_equal(v.reason, "GTUBE");
	assert_string_equal(v.why[0].name, "GTUBE");
	assert_true(spam_gtube(b64, strlen(b64)) == 0);
	assert_true(score(f->sp, b64, &v) == 1.0);
	assert_string_equal(v.reason, "GTUBE");
	assert_true(score(f->sp, "Subject: t\n\nGTUBE, almost\n", &v) < 1.0);
	assert_false(v.spam);
}

static void
test_trained(void **state)
{
	struct fixture		*f = *state;
	struct spam_verdict	 v;
	json_t			*o;
	size_t			 i;
	int			 viagra = 0;

	learn_all(f->sp);
	assert_true(score(f->sp, spam_new, &v) >= v.threshold);
	assert_true(v.spam);
	assert_string_equal(v.reason, "tokens");
	assert_true(v.nwhy > 0);
	for (i = 0; i < v.nwhy; i++) {
		if (strcmp(v.why[i].name, "viagra") == 0)
			viagra = v.why[i].value > 0.5;
		if (i > 0)	/* strongest first */
			assert_true(fabs(v.why[i].value - 0.5) <=
			    fabs(v.why[i - 1].value - 0.5));
	}
	assert_true(viagra);
	o = spam_verdict_json(&v);
	assert_non_null(o);
	assert_true(json_is_true(json_object_get(o, "spam")));
	assert_true(json_array_size(json_object_get(o, "why")) == v.nwhy);
	json_decref(o);

	assert_true(score(f->sp, ham_new, &v) < 0.2);
	assert_false(v.spam);
}

/* Counts written by learn come back from the database as they were. */
static void
test_persist(void **state)
{
	struct fixture		*f = *state;
	struct spam_config	 cfg = { .spec = "builtin" };
	struct spam_verdict	 v;
	double			 s1, h1;
	int64_t			 ham, spam;
	char			*cause = NULL;

	learn_all(f->sp);
	s1 = score(f->sp, spam_new, &v);
	h1 = score(f->sp, ham_new, &v);
	E->close(f->sp);
	db_close(f->db);
	assert_non_null(cfg.db = f->db = db_open(f->path, 0, &cause));
	assert_non_null(f->sp = E->open(&cfg, &cause));
	assert_true(score(f->sp, spam_new, &v) == s1);
	assert_true(score(f->sp, ham_new, &v) == h1);
	assert_int_equal(db_spam_totals(f->db, &ham, &spam, &cause), 0);
	assert_int_equal(ham, 4);
	assert_int_equal(spam, 4);

	/* A rolled back transaction leaves the store as it was. */
	assert_int_equal(db_begin(f->db, &cause), 0);
	assert_int_equal(E->learn(f->sp, spam_new, strlen(spam_new), 1,
	    &cause), 0);
	db_rollback(f->db);
	assert_int_equal(db_spam_totals(f->db, &ham, &spam, &cause), 0);
	assert_int_equal(spam, 4);
}

static void
test_learn_dir(void **state)
{
	struct fixture	*f = *state;
	char		*path, *cause = NULL, mail[96];
	size_t		 i, n;
	int64_t		 ham, spam;
	FILE		*fp;

	snprintf(mail, sizeof mail, "%s/mail", f->dir);
	assert_int_equal(mkdir(mail, 0700), 0);
	for (i = 0; i < 4; i++) {
		assert_true(asprintf(&path, "%s/m%zu", mail, i) > 0);
		assert_non_null(fp = fopen(path, "w"));
		fputs(spams[i], fp);
		fclose(fp);
		free(path);
	}
	assert_true(asprintf(&path, "%s/sub", mail) > 0);
	assert_int_equal(mkdir(path, 0700), 0);	/* not a file: skipped */
	free(path);
	assert_int_equal(spam_learn_dir(E, f->sp, f->db, mail, 1, &n,
	    &cause), 0);
	assert_int_equal(n, 4);
	assert_int_equal(db_spam_totals(f->db, &ham, &spam, &cause), 0);
	assert_int_equal(spam, 4);
	assert_int_equal(ham, 0);
	assert_int_equal(spam_learn_dir(E, f->sp, f->db, "/nonexistent", 0,
	    &n, &cause), -1);
	assert_non_null(strstr(cause, "/nonexistent"));
	free(cause);
}

struct reader {
	struct spam	*sp;
	double		 last;
	int		 bad;
};

static void *
reader_run(void *arg)
{
	struct reader		*r = arg;
	struct spam_verdict	 v;
	char			*cause = NULL;
	int			 i;

	for (i = 0; i < 300; i++) {
		if (E->check(r->sp, spam_new, strlen(spam_new), &v,
		    &cause) == -1 || v.score < 0 || v.score > 1)
			r->bad++;
		r->last = v.score;
	}
	return NULL;
}

/* Threads score while the model learns; afterwards all agree. */
static void
test_threads(void **state)
{
	struct fixture		*f = *state;
	struct reader		 r[4];
	struct spam_verdict	 v;
	pthread_t		 th[4];
	int			 i, k;

	for (i = 0; i < 4; i++) {
		r[i] = (struct reader){ .sp = f->sp };
		assert_int_equal(pthread_create(&th[i], NULL, reader_run,
		    &r[i]), 0);
	}
	for (k = 0; k < 10; k++)
		learn_all(f->sp);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].bad, 0);
	}
	assert_true(score(f->sp, spam_new, &v) > 0.9);
	for (i = 0; i < 4; i++) {
		reader_run(&r[i]);
		assert_true(r[i].last == v.score);
	}
}

static void
test_engine_find(void **state)
{
	char	*cause = NULL;

	assert_ptr_equal(spam_engine_find("builtin", &cause), E);
	assert_null(spam_engine_find("bogus://x", &cause));
	assert_non_null(strstr(cause, "bogus"));
	free(cause);
}

/* Specs: accepted, or refused with a sentence holding a phrase. */
static const struct {
	const char	*spec;
	const char	*why;		/* NULL: accepted */
} spec_cases[] = {
	{ "builtin", NULL },
	{ "BUILTIN", NULL },
	{ "rspamd://127.0.0.1:11333", NULL },
	{ "rspamd://localhost:11333?controller=11334", NULL },
	{ "rspamd://[::1]:11333?controller=[::1]:11334", NULL },
	{ "rspamd://spam.example:11333?controller=ctl.example:11334", NULL },
	{ "spamd://127.0.0.1:783", NULL },
	{ "spamd://[2001:db8::1]:783", NULL },
	{ "spamd://127.0.0.1", "no port" },
	{ "spamd://127.0.0.1:0", "from 1 to 65535" },
	{ "spamd://127.0.0.1:65536", "from 1 to 65535" },
	{ "spamd://127.0.0.1:7x3", "from 1 to 65535" },
	{ "spamd://:783", "no host" },
	{ "spamd://::1:783", "brackets" },
	{ "spamd://[::1:783", "[ADDRESS]:PORT" },
	{ "spamd://a b:783", "space" },
	{ "spamd://a;b:783", "';'" },
	{ "spamd://h:783/x", "no path" },
	{ "spamd://h:783?controller=1", "no options" },
	{ "rspamd://h:1?password=x", "unknown option" },
	{ "rspamd://h:1?controller=", "(in controller=)" },
	{ "clamd://h:1", "unknown engine" },
	{ "bogus", "want builtin" },
	{ "", "want builtin" },
};

static void
test_specs(void **state)
{
	struct spam_addr	a;
	char			why[256], *cause = NULL;
	size_t			i;
	int			rc;

	for (i = 0; i < sizeof spec_cases / sizeof spec_cases[0]; i++) {
		why[0] = '\0';
		rc = spam_spec_check(spec_cases[i].spec, why, sizeof why);
		if (spec_cases[i].why == NULL && rc != 0)
			fail_msg("%s refused: %s", spec_cases[i].spec, why);
		if (spec_cases[i].why != NULL && (rc != -1 ||
		    strstr(why, spec_cases[i].why) == NULL))
			fail_msg("%s: wanted a refusal with \"%s\", got %d \"%s\"",
			    spec_cases[i].spec, spec_cases[i].why, rc, why);
	}
	assert_int_equal(spam_addr_parse("rspamd://[::1]:11333?controller="
	    "11334", &a, &cause), 0);
	assert_string_equal(a.scheme, "rspamd");
	assert_string_equal(a.host, "::1");
	assert_string_equal(a.port, "11333");
	assert_string_equal(a.ctl_host, "::1");
	assert_string_equal(a.ctl_port, "11334");
	assert_int_equal(spam_addr_parse("SPAMD://h:0783", &a, &cause), 0);
	assert_string_equal(a.scheme, "spamd");
	assert_string_equal(a.port, "783");
	assert_string_equal(a.ctl_host, "");
	assert_ptr_equal(spam_engine_find("rspamd://h:1", &cause),
	    &spam_rspamd_engine);
	assert_ptr_equal(spam_engine_find("spamd://h:1", &cause),
	    &spam_spamd_engine);
}

#define SPAMD_OK	"SPAMD/1.1 0 EX_OK\r\n"
#define SPAMD_TABLE \
	"\r\nSpam detection software...\n\n" \
	"Content analysis details:   (1000.0 points, 5.0 required)\n\n" \
	" pts rule name              description\n" \
	"---- ---------------------- ------------------------------------\n"

/* spamd answers: the verdict they give, or a refusal. */
static const struct {
	const char	*what;
	const char	*reply;
	int		 rc, spam;
	double		 score, threshold;
	const char	*first;		/* strongest rule, or the refusal */
	size_t		 nwhy;
	const char	*reason;
} spamd_cases[] = {
	{ "GTUBE report", SPAMD_OK "Content-length: 400\r\n"
	  "Spam: True ; 1000.0 / 5.0\r\n" SPAMD_TABLE
	  "-0.0 NO_RECEIVED            Informational: message has no Received\n"
	  "                            headers\n"
	  " 0.0 MSGID_SHORT            Message-ID is unusually short\n"
	  "1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n"
	  " 2.5 URIBL_BLACK            Contains an URL listed in the URIBL\n"
	  "                            blacklist\n"
	  "                            [URIs: example.biz]\n"
	  "\n",
	  0, 1, 1000, 5, "GTUBE", 4, "GTUBE" },
	{ "clean, LF line ends", "SPAMD/1.1 0 EX_OK\nSpam: False ; -0.1 / 5.0\n"
	  "\n", 0, 0, -0.1, 5, NULL, 0, "rules" },
	{ "Yes/No and no table", SPAMD_OK "spam: Yes ; 6.5 / 5.0\r\n\r\n"
	  "BAYES_99,URIBL_BLACK", 0, 1, 6.5, 5, NULL, 0, "rules" },
	{ "refused", "SPAMD/1.0 76 Bad header line: (Content-Length "
	  "mismatch: Expected 10 bytes, got 5 bytes)\r\n", -1, 0, 0, 0,
	  "spamd refused (76): Bad header line", 0, NULL },
	{ "no Spam header", SPAMD_OK "Content-length: 0\r\n\r\n", -1, 0, 0, 0,
	  "no Spam header", 0, NULL },
	{ "bad Spam header", SPAMD_OK "Spam: Maybe ; x / y\r\n\r\n", -1, 0, 0,
	  0, "not \"True|False", 0, NULL },
	{ "neither true nor false", SPAMD_OK "Spam: Perhaps ; 1 / 5\r\n\r\n",
	  -1, 0, 0, 0, "neither True nor False", 0, NULL },
	{ "not SPAMD", "HTTP/1.1 200 OK\r\n\r\n{}", -1, 0, 0, 0,
	  "not a SPAMD answer", 0, NULL },
	{ "empty", "", -1, 0, 0, 0, "without answering", 0, NULL },
	{ "no code", "SPAMD/1.1 \r\n", -1, 0, 0, 0, "without a code", 0,
	  NULL },
	{ "nan score", SPAMD_OK "Spam: True ; nan / 5.0\r\n\r\n", -1, 0, 0,
	  0, "not \"True|False", 0, NULL },
};

static void
test_spamd_reply(void **state)
{
	struct spam_verdict	 v;
	char			*cause;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof spamd_cases / sizeof spamd_cases[0]; i++) {
		cause = NULL;
		rc = spam_spamd_reply(spamd_cases[i].reply,
		    strlen(spamd_cases[i].reply), &v, &cause);
		if (rc != spamd_cases[i].rc)
			fail_msg("%s: rc %d (%s)", spamd_cases[i].what, rc,
			    cause ? cause : "");
		if (rc == -1) {
			if (cause == NULL || strstr(cause,
			    spamd_cases[i].first) == NULL)
				fail_msg("%s: cause \"%s\"", spamd_cases[i].what,
				    cause ? cause : "(null)");
			free(cause);
			continue;
		}
		assert_string_equal(v.engine, "spamd");
		assert_int_equal(v.spam, spamd_cases[i].spam);
		assert_true(v.score == spamd_cases[i].score);
		assert_true(v.threshold == spamd_cases[i].threshold);
		assert_int_equal(v.nwhy, spamd_cases[i].nwhy);
		assert_string_equal(v.reason, spamd_cases[i].reason);
		if (spamd_cases[i].first != NULL)
			assert_string_equal(v.why[0].name, spamd_cases[i].first);
	}
	/* The rules strongest first, descriptions' lines not taken as rules. */
	assert_int_equal(spam_spamd_reply(spamd_cases[0].reply,
	    strlen(spamd_cases[0].reply), &v, &cause), 0);
	assert_string_equal(v.why[1].name, "URIBL_BLACK");
	assert_true(v.why[1].value == 2.5);
	assert_string_equal(v.why[2].name, "MSGID_SHORT");	/* then by name */
	assert_string_equal(v.why[3].name, "NO_RECEIVED");
}

static const char rspamd_gtube[] = "{\"is_skipped\":true,\"score\":15.0,"
    "\"required_score\":15.0,\"action\":\"reject\",\"symbols\":{\"GTUBE\":"
    "{\"name\":\"GTUBE\",\"score\":0.0,\"metric_score\":0.0}},\"messages\":"
    "{\"smtp_message\":\"Gtube pattern\"},\"message-id\":\"x@example.com\"}";

/* rspamd answers: the verdict they give, or a refusal. */
static const struct {
	const char	*what;
	const char	*reply;
	int		 rc, spam;
	double		 score, threshold;
	const char	*first;
	size_t		 nwhy;
	const char	*reason;
} rspamd_cases[] = {
	{ "GTUBE", rspamd_gtube, 0, 1, 15, 15, "GTUBE", 1, "GTUBE" },
	{ "clean", "{\"score\":0.9,\"required_score\":15.0,\"action\":"
	  "\"no action\",\"symbols\":{\"ARC_NA\":{\"score\":0.0},"
	  "\"MIME_GOOD\":{\"score\":-0.1},\"DATE_IN_PAST\":{\"score\":1.0}}}",
	  0, 0, 0.9, 15, "DATE_IN_PAST", 3, "no action" },
	{ "add header is spam", "{\"score\":7,\"required_score\":15,"
	  "\"action\":\"add header\"}", 0, 1, 7, 15, NULL, 0, "add header" },
	{ "rewrite subject is spam", "{\"score\":7,\"required_score\":15,"
	  "\"action\":\"rewrite subject\",\"symbols\":{}}", 0, 1, 7, 15, NULL,
	  0, "rewrite subject" },
	{ "soft reject is not a verdict", "{\"score\":0,\"required_score\":15,"
	  "\"action\":\"soft reject\"}", 0, 0, 0, 15, NULL, 0, "soft reject" },
	{ "greylist is not a verdict", "{\"score\":4,\"required_score\":15,"
	  "\"action\":\"greylist\"}", 0, 0, 4, 15, NULL, 0, "greylist" },
	{ "odd symbols", "{\"score\":1,\"required_score\":15,\"action\":"
	  "\"no action\",\"symbols\":{\"A\":3,\"B\":{\"score\":\"x\"}}}", 0, 0,
	  1, 15, "A", 2, "no action" },
	{ "an error", "{\"error\":\"cannot parse input\"}", -1, 0, 0, 0,
	  "rspamd: cannot parse input", 0, NULL },
	{ "no action", "{\"score\":1,\"required_score\":15}", -1, 0, 0, 0,
	  "lacks action", 0, NULL },
	{ "score a string", "{\"score\":\"1\",\"required_score\":15,"
	  "\"action\":\"reject\"}", -1, 0, 0, 0, "lacks action", 0, NULL },
	{ "symbols a list", "{\"score\":1,\"required_score\":15,\"action\":"
	  "\"reject\",\"symbols\":[]}", -1, 0, 0, 0, "not an object", 0, NULL },
	{ "not JSON", "<html>", -1, 0, 0, 0, "not JSON", 0, NULL },
	{ "not an object", "[1]", -1, 0, 0, 0, "lacks action", 0, NULL },
};

static void
test_rspamd_reply(void **state)
{
	struct spam_verdict	 v;
	char			*cause, many[8192];
	size_t			 i, n;
	int			 rc;
	json_t			*o;

	for (i = 0; i < sizeof rspamd_cases / sizeof rspamd_cases[0]; i++) {
		cause = NULL;
		rc = spam_rspamd_reply(rspamd_cases[i].reply,
		    strlen(rspamd_cases[i].reply), &v, &cause);
		if (rc != rspamd_cases[i].rc)
			fail_msg("%s: rc %d (%s)", rspamd_cases[i].what, rc,
			    cause ? cause : "");
		if (rc == -1) {
			if (cause == NULL || strstr(cause,
			    rspamd_cases[i].first) == NULL)
				fail_msg("%s: cause \"%s\"", rspamd_cases[i].what,
				    cause ? cause : "(null)");
			free(cause);
			continue;
		}
		assert_string_equal(v.engine, "rspamd");
		assert_int_equal(v.spam, rspamd_cases[i].spam);
		assert_true(v.score == rspamd_cases[i].score);
		assert_true(v.threshold == rspamd_cases[i].threshold);
		assert_int_equal(v.nwhy, rspamd_cases[i].nwhy);
		assert_string_equal(v.reason, rspamd_cases[i].reason);
		if (rspamd_cases[i].first != NULL)
			assert_string_equal(v.why[0].name,
			    rspamd_cases[i].first);
	}
	/* Many symbols, long multi-byte names: the strongest fit, cut whole. */
	n = snprintf(many, sizeof many, "{\"score\":1,\"required_score\":15,"
	    "\"action\":\"no action\",\"symbols\":{");
	for (i = 0; i < 40; i++)
		n += snprintf(many + n, sizeof many - n, "%s\"%s%02zu\":"
		    "{\"score\":%zu}", i ? "," : "", i == 39 ?
		    "ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ" : "S", i, i);
	snprintf(many + n, sizeof many - n, "}}");
	assert_int_equal(spam_rspamd_reply(many, strlen(many), &v, &cause), 0);
	assert_int_equal(v.nwhy, SPAM_WHY_MAX);
	assert_true(strncmp(v.why[0].name, "ÄÄ", 4) == 0);
	assert_int_equal(strlen(v.why[0].name), 62);	/* 31 whole Ä */
	assert_string_equal(v.why[1].name, "S38");
	assert_string_equal(v.why[SPAM_WHY_MAX - 1].name, "S25");
	assert_non_null(o = spam_verdict_json(&v));
	json_decref(o);
}

/*
 * A pretend engine on 127.0.0.1: accepts one connection, reads the
 * request until it has gone quiet, answers answer and closes; with
 * answer NULL it accepts nothing (a silent engine).
 */
struct peer {
	int		 fd;
	char		 port[8];
	const char	*answer;
	char		 request[65536];
	size_t		 len;
	pthread_t	 th;
};

static void *
peer_run(void *arg)
{
	struct peer	*p = arg;
	struct pollfd	 pfd;
	ssize_t		 r;
	int		 c;

	if ((c = accept(p->fd, NULL, NULL)) == -1)
		return NULL;
	pfd.fd = c;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 200) == 1 && p->len < sizeof p->request - 1 &&
	    (r = read(c, p->request + p->len, sizeof p->request - 1 -
	    p->len)) > 0)
		p->len += r;
	p->request[p->len] = '\0';
	if (write(c, p->answer, strlen(p->answer)) < 0)
		p->len = 0;
	close(c);
	return NULL;
}

static void
peer_start(struct peer *p, const char *answer)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;

	memset(p, 0, sizeof *p);
	p->answer = answer;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((p->fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(p->fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(p->fd, 4), 0);
	assert_int_equal(getsockname(p->fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(p->port, sizeof p->port, "%d", ntohs(sin.sin_port));
	if (answer != NULL)
		assert_int_equal(pthread_create(&p->th, NULL, peer_run, p), 0);
}

static void
peer_stop(struct peer *p)
{
	if (p->answer != NULL)
		pthread_join(p->th, NULL);
	close(p->fd);
}

/* Open an engine on the peer's port: the spec is prefix then port. */
static struct spam *
peer_engine(const struct spam_engine *e, const char *prefix, const char *port,
    int timeout_ms, char *spec, size_t len)
{
	struct spam_config	 cfg = { .timeout_ms = timeout_ms };
	struct spam		*sp;
	char			*cause = NULL;

	snprintf(spec, len, "%s%s", prefix, port);
	cfg.spec = spec;
	if ((sp = e->open(&cfg, &cause)) == NULL)
		fail_msg("%s: %s", spec, cause);
	return sp;
}

static const char msg_clean[] = "Subject: lunch\r\n\r\nNoon?\r\n";

static void
test_net_spamd(void **state)
{
	const struct spam_engine	*e = &spam_spamd_engine;
	struct spam_verdict		 v;
	struct peer			 p;
	struct spam			*sp;
	char				 spec[128], *cause = NULL;

	peer_start(&p, "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.1 / 5.0\r\n\r\n");
	sp = peer_engine(e, "spamd://127.0.0.1:", p.port, 5000, spec,
	    sizeof spec);
	assert_int_equal(e->check(sp, msg_clean, strlen(msg_clean), &v,
	    &cause), 0);
	peer_stop(&p);
	assert_false(v.spam);
	assert_true(v.score == 0.1);
	/* The request: REPORT, the exact length, then the message. */
	assert_non_null(strstr(p.request, "REPORT SPAMC/1.5\r\n"));
	assert_non_null(strstr(p.request, "Content-length: 25\r\n\r\n"
	    "Subject: lunch"));
	e->close(sp);

	peer_start(&p, "SPAMD/1.1 0 EX_OK\r\nDidSet: local\r\n\r\n");
	sp = peer_engine(e, "spamd://127.0.0.1:", p.port, 5000, spec,
	    sizeof spec);
	assert_int_equal(e->learn(sp, msg_clean, strlen(msg_clean), 1,
	    &cause), 0);
	peer_stop(&p);
	assert_non_null(strstr(p.request, "TELL SPAMC/1.5\r\n"));
	assert_non_null(strstr(p.request, "Message-class: spam\r\n"));
	assert_non_null(strstr(p.request, "Set: local\r\n"));
	e->close(sp);

	peer_start(&p, "SPAMD/1.0 69 Service Unavailable: TELL commands are "
	    "not enabled, set the --allow-tell switch.\r\n");
	sp = peer_engine(e, "spamd://127.0.0.1:", p.port, 5000, spec,
	    sizeof spec);
	assert_int_equal(e->learn(sp, msg_clean, strlen(msg_clean), 0,
	    &cause), -1);
	peer_stop(&p);
	assert_non_null(strstr(cause, spec));
	assert_non_null(strstr(cause, "--allow-tell"));
	free(cause);
	e->close(sp);
}

static void
test_net_rspamd(void **state)
{
	const struct spam_engine	*e = &spam_rspamd_engine;
	struct spam_verdict		 v;
	struct peer			 p;
	struct spam			*sp;
	char				 spec[128], *cause = NULL, answer[1024];

	snprintf(answer, sizeof answer, "HTTP/1.1 200 OK\r\nConnection: "
	    "close\r\nContent-Type: application/json\r\n\r\n%s", rspamd_gtube);
	peer_start(&p, answer);
	sp = peer_engine(e, "rspamd://127.0.0.1:", p.port, 5000, spec,
	    sizeof spec);
	assert_int_equal(e->check(sp, msg_clean, strlen(msg_clean), &v,
	    &cause), 0);
	peer_stop(&p);
	assert_true(v.spam);
	assert_string_equal(v.reason, "GTUBE");
	assert_non_null(strstr(p.request, "POST /checkv2 HTTP/1.1\r\n"));
	assert_non_null(strstr(p.request, "Content-Length: 25\r\n"));
	/* Without a controller, learning says how to name one. */
	assert_int_equal(e->learn(sp, msg_clean, strlen(msg_clean), 1,
	    &cause), -1);
	assert_non_null(strstr(cause, "?controller=PORT"));
	free(cause);
	e->close(sp);

	peer_start(&p, "HTTP/1.1 500 Internal Server Error\r\n\r\n"
	    "{\"error\":\"oops\"}");
	sp = peer_engine(e, "rspamd://127.0.0.1:", p.port, 5000, spec,
	    sizeof spec);
	assert_int_equal(e->check(sp, msg_clean, strlen(msg_clean), &v,
	    &cause), -1);
	peer_stop(&p);
	assert_non_null(strstr(cause, "answered 500 Internal Server Error"));
	free(cause);
	e->close(sp);

	/* Learning through the controller, and its refusal. */
	peer_start(&p, "HTTP/1.1 200 OK\r\n\r\n{\"success\":true}");
	sp = peer_engine(e, "rspamd://127.0.0.1:1?controller=", p.port,
	    5000, spec, sizeof spec);
	assert_int_equal(e->learn(sp, msg_clean, strlen(msg_clean), 0,
	    &cause), 0);
	peer_stop(&p);
	assert_non_null(strstr(p.request, "POST /learnham HTTP/1.1\r\n"));
	e->close(sp);
	peer_start(&p, "HTTP/1.1 204 all learn conditions denied learning "
	    "ham in default classifier\r\n\r\n");
	sp = peer_engine(e, "rspamd://127.0.0.1:1?controller=", p.port,
	    5000, spec, sizeof spec);
	assert_int_equal(e->learn(sp, msg_clean, strlen(msg_clean), 0,
	    &cause), -1);
	peer_stop(&p);
	assert_non_null(strstr(cause, "did not learn: 204 all learn "
	    "conditions denied"));
	free(cause);
	e->close(sp);

	/* Garbage instead of HTTP. */
	peer_start(&p, "\x01\x02garbage\r\n\r\n");
	sp = peer_engine(e, "rspamd://127.0.0.1:", p.port, 5000, spec,
	    sizeof spec);
	assert_int_equal(e->check(sp, msg_clean, strlen(msg_clean), &v,
	    &cause), -1);
	peer_stop(&p);
	assert_non_null(strstr(cause, "not an HTTP answer"));
	free(cause);
	e->close(sp);
}

/* An engine that is down, and one that never answers: named failures. */
static void
test_net_down(void **state)
{
	struct spam_verdict	 v;
	struct peer		 p;
	struct spam		*sp;
	char			 spec[128], port[8], *cause = NULL;

	peer_start(&p, NULL);		/* listens, never answers */
	snprintf(port, sizeof port, "%s", p.port);
	sp = peer_engine(&spam_spamd_engine, "spamd://127.0.0.1:", port,
	    300, spec, sizeof spec);
	assert_int_equal(spam_spamd_engine.check(sp, msg_clean,
	    strlen(msg_clean), &v, &cause), -1);
	assert_non_null(strstr(cause, spec));
	assert_non_null(strstr(cause, "no answer within 0.3 s"));
	free(cause);
	peer_stop(&p);			/* now nothing listens there */
	assert_int_equal(spam_spamd_engine.check(sp, msg_clean,
	    strlen(msg_clean), &v, &cause), -1);
	assert_non_null(strstr(cause, "cannot connect: Connection refused"));
	free(cause);
	spam_spamd_engine.close(sp);
	sp = peer_engine(&spam_rspamd_engine, "rspamd://127.0.0.1:", port,
	    300, spec, sizeof spec);
	assert_int_equal(spam_rspamd_engine.check(sp, msg_clean,
	    strlen(msg_clean), &v, &cause), -1);
	assert_non_null(strstr(cause, "rspamd://127.0.0.1:"));
	assert_non_null(strstr(cause, "Connection refused"));
	free(cause);
	spam_rspamd_engine.close(sp);
}

/* A configuration in dir with these [spam] lines. */
static struct config *
svc_conf(const char *dir, const char *spam)
{
	struct config	*c;
	char		 path[160], *cause = NULL;
	FILE		*fp;

	snprintf(path, sizeof path, "%s/of.conf", dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[paths]\nstate_dir = %s\nrun_dir = %s\ndatabase = "
	    "%s/of.db\n[spam]\n%s\n", dir, dir, dir, spam);
	fclose(fp);
	if ((c = conf_load(path, dir, &cause)) == NULL)
		fail_msg("%s", cause);
	return c;
}

struct svc_reader {
	struct spam_service	*s;
	int			 bad;
};

static void *
svc_reader_run(void *arg)
{
	struct svc_reader	*r = arg;
	struct spam_verdict	 v;
	char			*cause = NULL;
	int			 i;

	for (i = 0; i < 200; i++) {
		if (spam_service_check(r->s, spam_new, strlen(spam_new), &v,
		    &cause) == -1 || v.score < 0 || v.score > 1)
			r->bad++;
	}
	return NULL;
}

/*
 * The service: checks from threads while it learns and is reloaded; a
 * failing engine counted and shown; on_failure; the builtin store read
 * again on reload when someone else taught it.
 */
static void
test_service(void **state)
{
	struct fixture		*f = *state;
	struct spam_service	*s;
	struct spam_verdict	 v;
	struct svc_reader	 r[3];
	struct config		*c;
	pthread_t		 th[3];
	json_t			*st;
	char			*cause = NULL;
	int			 i, k;

	c = svc_conf(f->dir, "engine = builtin");
	assert_non_null(s = spam_service_open(c, &cause));
	assert_int_equal(spam_service_pass_unscanned(s), 0);
	assert_int_equal(spam_service_check(s, "Subject: x\n\n" SPAM_GTUBE
	    "\n", strlen("Subject: x\n\n" SPAM_GTUBE "\n"), &v, &cause), 0);
	assert_true(v.spam);
	for (i = 0; i < 3; i++) {
		r[i] = (struct svc_reader){ .s = s };
		assert_int_equal(pthread_create(&th[i], NULL, svc_reader_run,
		    &r[i]), 0);
	}
	for (k = 0; k < 5; k++) {
		for (i = 0; i < 4; i++) {
			assert_int_equal(spam_service_learn(s, spams[i],
			    strlen(spams[i]), 1, &cause), 0);
			assert_int_equal(spam_service_learn(s, hams[i],
			    strlen(hams[i]), 0, &cause), 0);
		}
		spam_service_reload(s, c);	/* unchanged: kept */
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].bad, 0);
	}
	assert_int_equal(spam_service_check(s, spam_new, strlen(spam_new), &v,
	    &cause), 0);
	assert_true(v.spam);

	/* Taught behind its back (as --train-spam does): read again. */
	for (k = 0; k < 30; k++)
		assert_int_equal(E->learn(f->sp, spam_new, strlen(spam_new), 0,
		    &cause), 0);
	spam_service_reload(s, c);
	assert_int_equal(spam_service_check(s, spam_new, strlen(spam_new), &v,
	    &cause), 0);
	assert_false(v.spam);
	conf_unref(c);

	/* A network engine that is down: -1, named, counted, shown. */
	c = svc_conf(f->dir, "engine = spamd://127.0.0.1:1\ntimeout = 1\n"
	    "on_failure = pass");
	spam_service_reload(s, c);
	conf_unref(c);
	assert_int_equal(spam_service_pass_unscanned(s), 1);
	assert_int_equal(spam_service_check(s, spam_new, strlen(spam_new), &v,
	    &cause), -1);
	assert_non_null(strstr(cause, "spamd://127.0.0.1:1: cannot connect"));
	free(cause);
	assert_int_equal(spam_service_learn(s, spam_new, strlen(spam_new), 1,
	    &cause), -1);
	free(cause);
	st = json_object();
	spam_service_status(s, st);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    st, "spam"), "engine")), "spamd");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    st, "spam"), "on_failure")), "pass");
	assert_true(json_is_true(json_object_get(json_object_get(st, "spam"),
	    "failing")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    st, "spam"), "failures")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    st, "spam"), "learnt")), 40);
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_object_get(st, "spam"), "last_error")), "Connection refused"));
	json_decref(st);
	spam_service_close(s);
}

/* [spam] settings refused at load with the file's line. */
static void
test_service_conf(void **state)
{
	struct fixture	*f = *state;
	const char	*bad[][2] = {
		{ "engine = spamd://127.0.0.1", "no port" },
		{ "engine = clamd://h:1", "unknown engine" },
		{ "on_failure = drop", "tempfail" },
		{ "timeout = 0", "out of range" },
	};
	char		 path[160], *cause;
	size_t		 i;
	FILE		*fp;

	snprintf(path, sizeof path, "%s/bad.conf", f->dir);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		assert_non_null(fp = fopen(path, "w"));
		fprintf(fp, "[paths]\nstate_dir = %s\n[spam]\n%s\n", f->dir,
		    bad[i][0]);
		fclose(fp);
		assert_null(conf_load(path, f->dir, &cause));
		if (strstr(cause, ":4: ") == NULL || strstr(cause,
		    bad[i][1]) == NULL)
			fail_msg("%s: %s", bad[i][0], cause);
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokenize_cases),
		cmocka_unit_test(test_tokenize_limits),
		cmocka_unit_test(test_engine_find),
		cmocka_unit_test_setup_teardown(test_untrained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gtube, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_spamd_reply),
		cmocka_unit_test(test_rspamd_reply),
		cmocka_unit_test(test_net_spamd),
		cmocka_unit_test(test_net_rspamd),
		cmocka_unit_test(test_net_down),
		cmocka_unit_test_setup_teardown(test_service, setup, teardown),
		cmocka_unit_test_setup_teardown(test_service_conf, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
