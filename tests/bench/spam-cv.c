/*
 * The builtin spam engine measured and trained.
 *
 *   spam-cv [-k K] [-s S] [-x X] [-n CLUES] [-m MIN] [-t THRESHOLD] [-d]
 *       HAMDIR SPAMDIR
 *	K-fold cross-validation (default 10): for each fold, a fresh
 *	database learns the other folds through the engine and the fold is
 *	checked; prints spam caught and ham flagged per fold and in all,
 *	and the same for a baseline (naive Bayes over the raw message's
 *	words, no decoding).  -d prints "fold ham|spam score file" lines
 *	instead, for choosing parameters.
 *   spam-cv train DB ham|spam DIR...
 *	Learn every file of each DIR into the database DB.
 *   spam-cv check DB FILE...
 *	Print each file's verdict as JSON.
 *   spam-cv tokens FILE
 *	Print the tokens of a message, one a line.
 */
#define _GNU_SOURCE		/* asprintf, reallocarray */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "db.h"
#include "spam.h"

struct msg {
	char	*path;
	char	*data;
	size_t	 len;
	int	 spam;
	int	 fold;
	double	 score;		/* builtin */
	int	 verdict;	/* builtin */
	int	 base;		/* baseline verdict */
};

struct corpus {
	struct msg	*m;
	size_t		 n, cap;
};

static int	dump;

static void
corpus_add(struct corpus *c, const char *path, int spam)
{
	struct msg	*m;
	char		*cause;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		if ((c->m = reallocarray(c->m, c->cap, sizeof *c->m)) == NULL)
			err(1, NULL);
	}
	m = &c->m[c->n];
	memset(m, 0, sizeof *m);
	if ((m->data = spam_file_read(path, &m->len, &cause)) == NULL)
		errx(1, "%s", cause);
	if ((m->path = strdup(path)) == NULL)
		err(1, NULL);
	m->spam = spam;
	c->n++;
}

static void
corpus_free(struct corpus *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++) {
		free(c->m[i].data);
		free(c->m[i].path);
	}
	free(c->m);
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * Read a folder; its messages are dealt round the folds in a shuffled
 * but fixed order, so that each fold holds a tenth of each kind.
 */
static void
corpus_load(struct corpus *c, const char *dir, int spam, int k)
{
	struct dirent	**names;
	char		 *path;
	size_t		  first = c->n, i, j;
	int		  n;
	uint64_t	  r = 0x9e3779b97f4a7c15ULL;
	int		 *order;

	if ((n = scandir(dir, &names, NULL, name_cmp)) == -1)
		err(1, "%s", dir);
	for (i = 0; i < (size_t)n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    strstr(names[i]->d_name, ".json") == NULL) {
			if (asprintf(&path, "%s/%s", dir, names[i]->d_name) == -1)
				err(1, NULL);
			corpus_add(c, path, spam);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	n = c->n - first;
	if ((order = calloc(n + 1, sizeof *order)) == NULL)
		err(1, NULL);
	for (i = 0; i < (size_t)n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {	/* Fisher-Yates, xorshift64 */
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		j = r % i;
		int t = order[i - 1]; order[i - 1] = order[j]; order[j] = t;
	}
	for (i = 0; i < (size_t)n; i++)
		c->m[first + order[i]].fold = i % k;
	free(order);
}

/* Train a fresh in-memory database on every fold but one; check that one. */
static void
cv_fold(struct corpus *c, int fold, const struct spam_params *p)
{
	const struct spam_engine *e = &spam_builtin_engine;
	struct spam_config	 cfg = { .spec = "builtin", .params = p };
	struct spam_verdict	 v;
	struct spam		*sp;
	char			*cause;
	size_t			 i;

	if ((cfg.db = db_open(":memory:", 1, &cause)) == NULL ||
	    (sp = e->open(&cfg, &cause)) == NULL)
		errx(1, "%s", cause);
	if (db_begin(cfg.db, &cause) == -1)
		errx(1, "%s", cause);
	for (i = 0; i < c->n; i++) {
		if (c->m[i].fold != fold &&
		    e->learn(sp, c->m[i].data, c->m[i].len, c->m[i].spam,
		    &cause) == -1)
			errx(1, "%s: %s", c->m[i].path, cause);
	}
	if (db_commit(cfg.db, &cause) == -1)
		errx(1, "%s", cause);
	e->close(sp);
	/* Score from what the database holds, as a restarted daemon would. */
	if ((sp = e->open(&cfg, &cause)) == NULL)
		errx(1, "%s", cause);
	for (i = 0; i < c->n; i++) {
		if (c->m[i].fold != fold)
			continue;
		if (e->check(sp, c->m[i].data, c->m[i].len, &v, &cause) == -1)
			errx(1, "%s: %s", c->m[i].path, cause);
		c->m[i].score = v.score;
		c->m[i].verdict = v.spam;
	}
	e->close(sp);
	db_close(cfg.db);
}

/*
 * The baseline: naive Bayes over the raw message's white-space separated
 * words, lowercased, without decoding anything (Laplace smoothing).
 */
struct nb {
	GHashTable	*counts;	/* word -> int64_t[2] (ham, spam) */
	double		 n[2];
};

static GHashTable *
nb_words(const struct msg *m)
{
	GHashTable	*set = g_hash_table_new_full(g_str_hash, g_str_equal,
			    g_free, NULL);
	char		*text = g_ascii_strdown(m->data, m->len), *p, *save;

	for (p = strtok_r(text, " \t\r\n", &save); p != NULL;
	    p = strtok_r(NULL, " \t\r\n", &save))
		g_hash_table_add(set, g_strdup(p));
	g_free(text);
	return set;
}

static void
nb_learn(struct nb *nb, const struct msg *m)
{
	GHashTable	*set = nb_words(m);
	GHashTableIter	 it;
	gpointer	 w;
	int64_t		*c;

	g_hash_table_iter_init(&it, set);
	while (g_hash_table_iter_next(&it, &w, NULL)) {
		if ((c = g_hash_table_lookup(nb->counts, w)) == NULL) {
			c = g_new0(int64_t, 2);
			g_hash_table_insert(nb->counts, g_strdup(w), c);
		}
		c[m->spam]++;
	}
	nb->n[m->spam]++;
	g_hash_table_destroy(set);
}

static int
nb_check(struct nb *nb, const struct msg *m)
{
	GHashTable	*set = nb_words(m);
	GHashTableIter	 it;
	gpointer	 w;
	int64_t		*c;
	double		 lo = log(nb->n[1] / nb->n[0]);

	g_hash_table_iter_init(&it, set);
	while (g_hash_table_iter_next(&it, &w, NULL)) {
		if ((c = g_hash_table_lookup(nb->counts, w)) == NULL)
			continue;
		lo += log((c[1] + 1) / (nb->n[1] + 2)) -
		    log((c[0] + 1) / (nb->n[0] + 2));
	}
	g_hash_table_destroy(set);
	return lo > 0;
}

static void
nb_fold(struct corpus *c, int fold)
{
	struct nb	nb = { .counts = g_hash_table_new_full(g_str_hash,
			    g_str_equal, g_free, g_free) };
	size_t		i;

	for (i = 0; i < c->n; i++) {
		if (c->m[i].fold != fold)
			nb_learn(&nb, &c->m[i]);
	}
	for (i = 0; i < c->n; i++) {
		if (c->m[i].fold == fold)
			c->m[i].base = nb_check(&nb, &c->m[i]);
	}
	g_hash_table_destroy(nb.counts);
}

struct tally {
	size_t	ham, spam, caught, flagged, bcaught, bflagged;
};

static void
tally_fold(const struct corpus *c, int fold, struct tally *t)
{
	size_t	i;

	memset(t, 0, sizeof *t);
	for (i = 0; i < c->n; i++) {
		const struct msg *m = &c->m[i];

		if (fold != -1 && m->fold != fold)
			continue;
		if (m->spam) {
			t->spam++;
			t->caught += m->verdict;
			t->bcaught += m->base;
		} else {
			t->ham++;
			t->flagged += m->verdict;
			t->bflagged += m->base;
		}
	}
}

static double
pct(size_t a, size_t b)
{
	return b ? 100.0 * a / b : 0;
}

static void
cv_report(const struct corpus *c, int k, const struct spam_params *p)
{
	struct tally	t;
	int		f;

	printf("builtin: s=%g x=%g clues=%u min_strength=%g threshold=%g\n",
	    p->s, p->x, p->clues, p->min_strength, p->threshold);
	printf("fold   ham  spam   spam caught    ham flagged  "
	    "| baseline caught  flagged\n");
	for (f = 0; f < k; f++) {
		tally_fold(c, f, &t);
		printf("%4d %5zu %5zu  %5zu %6.2f%%  %4zu %6.2f%%  | "
		    "%6.2f%% %6.2f%%\n", f + 1, t.ham, t.spam, t.caught,
		    pct(t.caught, t.spam), t.flagged, pct(t.flagged, t.ham),
		    pct(t.bcaught, t.spam), pct(t.bflagged, t.ham));
	}
	tally_fold(c, -1, &t);
	printf("builtin:  spam caught %.2f %% (%zu/%zu), ham flagged %.2f %% "
	    "(%zu/%zu)\n", pct(t.caught, t.spam), t.caught, t.spam,
	    pct(t.flagged, t.ham), t.flagged, t.ham);
	printf("baseline: spam caught %.2f %% (%zu/%zu), ham flagged %.2f %% "
	    "(%zu/%zu)  [naive Bayes over raw words]\n",
	    pct(t.bcaught, t.spam), t.bcaught, t.spam,
	    pct(t.bflagged, t.ham), t.bflagged, t.ham);
	printf("builtin/baseline: spam caught x%.2f, ham flagged x%.2f\n",
	    t.bcaught ? (double)t.caught / t.bcaught : 0,
	    t.bflagged ? (double)t.flagged / t.bflagged : 0);
	printf("target (>= 97 %% caught, <= 0.5 %% flagged): %s\n",
	    pct(t.caught, t.spam) >= 97 && pct(t.flagged, t.ham) <= 0.5 ?
	    "met" : "NOT met");
}

static void
cv_dump(const struct corpus *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		printf("%d %s %.6f %s\n", c->m[i].fold + 1,
		    c->m[i].spam ? "spam" : "ham", c->m[i].score, c->m[i].path);
}

static int
cmd_cv(int argc, char **argv)
{
	struct spam_params	p;
	struct corpus		c = { 0 };
	int			ch, k = 10, f;

	spam_params_default(&p);
	while ((ch = getopt(argc, argv, "dk:m:n:s:t:x:")) != -1) {
		switch (ch) {
		case 'd': dump = 1; break;
		case 'k': k = atoi(optarg); break;
		case 'm': p.min_strength = atof(optarg); break;
		case 'n': p.clues = atoi(optarg); break;
		case 's': p.s = atof(optarg); break;
		case 't': p.threshold = atof(optarg); break;
		case 'x': p.x = atof(optarg); break;
		default: return 64;
		}
	}
	if (argc - optind != 2 || k < 2)
		errx(64, "usage: spam-cv [-d] [-k K] [-s S] [-x X] [-n CLUES] "
		    "[-m MIN] [-t THRESHOLD] HAMDIR SPAMDIR");
	corpus_load(&c, argv[optind], 0, k);
	corpus_load(&c, argv[optind + 1], 1, k);
	for (f = 0; f < k; f++) {
		cv_fold(&c, f, &p);
		if (!dump)
			nb_fold(&c, f);
	}
	if (dump)
		cv_dump(&c);
	else
		cv_report(&c, k, &p);
	corpus_free(&c);
	return 0;
}

static struct spam *
open_db(const char *path, struct spam_config *cfg)
{
	char	*cause;
	struct spam *sp;

	cfg->spec = "builtin";
	if ((cfg->db = db_open(path, 1, &cause)) == NULL ||
	    (sp = spam_builtin_engine.open(cfg, &cause)) == NULL)
		errx(1, "%s", cause);
	return sp;
}

static int
cmd_train(int argc, char **argv)
{
	struct spam_config	 cfg = { 0 };
	struct spam		*sp;
	char			*cause;
	size_t			 n;
	int			 i, is_spam;

	if (argc < 4 || (strcmp(argv[2], "ham") && strcmp(argv[2], "spam")))
		errx(64, "usage: spam-cv train DB ham|spam DIR...");
	is_spam = strcmp(argv[2], "spam") == 0;
	sp = open_db(argv[1], &cfg);
	for (i = 3; i < argc; i++) {
		if (spam_learn_dir(&spam_builtin_engine, sp, cfg.db, argv[i],
		    is_spam, &n, &cause) == -1)
			errx(1, "%s", cause);
		printf("%s: %zu messages learnt as %s\n", argv[i], n, argv[2]);
	}
	spam_builtin_engine.close(sp);
	db_close(cfg.db);
	return 0;
}

static int
cmd_check(int argc, char **argv)
{
	struct spam_config	 cfg = { 0 };
	struct spam_verdict	 v;
	struct spam		*sp;
	char			*cause, *msg, *s;
	size_t			 len;
	int			 i;

	if (argc < 3)
		errx(64, "usage: spam-cv check DB FILE...");
	sp = open_db(argv[1], &cfg);
	for (i = 2; i < argc; i++) {
		if ((msg = spam_file_read(argv[i], &len, &cause)) == NULL ||
		    spam_builtin_engine.check(sp, msg, len, &v, &cause) == -1)
			errx(1, "%s", cause);
		json_t *o = spam_verdict_json(&v);
		s = json_dumps(o, JSON_INDENT(2));
		printf("%s: %s\n", argv[i], s);
		free(s);
		json_decref(o);
		free(msg);
	}
	spam_builtin_engine.close(sp);
	db_close(cfg.db);
	return 0;
}

static int
cmd_tokens(int argc, char **argv)
{
	struct spam_tokens	 t;
	char			*cause, *msg;
	size_t			 len, i;

	if (argc != 2)
		errx(64, "usage: spam-cv tokens FILE");
	if ((msg = spam_file_read(argv[1], &len, &cause)) == NULL ||
	    spam_tokenize(msg, len, &t, &cause) == -1)
		errx(1, "%s", cause);
	for (i = 0; i < t.n; i++)
		printf("%s\n", t.v[i]);
	spam_tokens_free(&t);
	free(msg);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "tokens") == 0)
		return cmd_tokens(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "train") == 0)
		return cmd_train(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	return cmd_cv(argc, argv);
}
