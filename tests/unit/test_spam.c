/*
 * Spam verdicts: the tokenizer (decoding, charsets, HTML, limits), GTUBE,
 * a small trained model's decisions and reasons, its counts surviving a
 * reopened database, and scoring from several threads while learning.
 */
#define _GNU_SOURCE		/* asprintf */
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
