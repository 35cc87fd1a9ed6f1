/*
 * Spam verdicts.  Engines sit behind struct spam_engine, chosen by the
 * scheme of the configured spec, as the next hop's backends are:
 * "builtin" (GTUBE and a statistical token classifier whose counts live
 * in the database); network engines ("rspamd://HOST:PORT",
 * "spamd://HOST:PORT") take the same place.
 *
 * check() is called from worker threads, several at once, and may block
 * (the network engines wait for their peer up to the time-out).  It
 * returns 0 with a verdict, or -1 with *cause when the engine could not
 * judge (down, slow, confused): the pipeline answers 451 4.7.1 then,
 * unless the configuration says to pass mail unscanned.
 *
 * learn() writes to the database (builtin): call it only where the
 * database handle may be used, one thread at a time; concurrent check()
 * calls are safe meanwhile.
 */
#ifndef OF_SPAM_H
#define OF_SPAM_H

#include <stddef.h>

#include <jansson.h>

struct db;
struct spam;

/* The GTUBE test string: a message holding it is spam to every engine. */
#define SPAM_GTUBE \
	"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

/* Tuning of the builtin classifier (Robinson's f(w), chi-square). */
struct spam_params {
	double		s;		/* strength of the prior x */
	double		x;		/* probability of an unknown token */
	unsigned	clues;		/* most significant tokens combined */
	double		min_strength;	/* |f(w) - 0.5| a clue needs */
	double		threshold;	/* score at or above which it is spam */
};

/* The values chosen by cross-validation (tests/bench/spam). */
void	spam_params_default(struct spam_params *);

struct spam_config {
	const char			*spec;	/* "builtin", "rspamd://..." */
	struct db			*db;	/* builtin: the token store */
	const struct spam_params	*params; /* builtin; NULL: defaults */
	int				 timeout_ms; /* network; 0: 10 s */
};

/* Why: a token and its spam probability, or a rule and its score. */
#define SPAM_WHY_MAX	15
struct spam_clue {
	char	name[64];
	double	value;
};

struct spam_verdict {
	int			spam;		/* 1: spam */
	double			score;		/* builtin: 0..1; others: points */
	double			threshold;	/* spam at or above it */
	char			engine[16];	/* "builtin", "rspamd", "spamd" */
	char			reason[128];	/* "GTUBE", "tokens", an action */
	struct spam_clue	why[SPAM_WHY_MAX]; /* strongest first */
	size_t			nwhy;
};

struct spam_engine {
	const char	*name;
	struct spam	*(*open)(const struct spam_config *, char **cause);
	int		 (*check)(struct spam *, const char *msg, size_t len,
			    struct spam_verdict *, char **cause);
	/* Teach that msg is spam (1) or ham (0). */
	int		 (*learn)(struct spam *, const char *msg, size_t len,
			    int is_spam, char **cause);
	void		 (*close)(struct spam *);
};

extern const struct spam_engine spam_builtin_engine;
extern const struct spam_engine spam_rspamd_engine;	/* spam_rspamd.c */
extern const struct spam_engine spam_spamd_engine;	/* spam_spamd.c */

/* The engine for a spec, or NULL with *cause. */
const struct spam_engine *spam_engine_find(const char *spec, char **cause);

/*
 * Where a network engine listens, from its spec:
 * "rspamd://HOST:PORT[?controller=[HOST:]PORT]" or "spamd://HOST:PORT"
 * (an IPv6 address in brackets).  rspamd learns through its controller,
 * when one is given.
 */
struct spam_addr {
	char	scheme[8];		/* "rspamd", "spamd" */
	char	host[256];
	char	port[6];
	char	ctl_host[256];		/* "": no controller */
	char	ctl_port[6];
};
int		 spam_addr_parse(const char *spec, struct spam_addr *,
		    char **cause);
/* Is spec an engine outfilterd knows, well written?  why says not. */
int		 spam_spec_check(const char *spec, char *why, size_t whylen);

/*
 * The network engines' replies as verdicts (0), or -1 with *cause: the
 * body of rspamd's /checkv2 answer (JSON), and the whole answer of
 * spamd to REPORT (status line, headers, report).
 */
int		 spam_rspamd_reply(const char *body, size_t len,
		    struct spam_verdict *, char **cause);
int		 spam_spamd_reply(const char *reply, size_t len,
		    struct spam_verdict *, char **cause);

/*
 * One exchange with a network engine (spam_net.c): connect to
 * host:port, send req and then body, read the answer to the end (at most
 * max bytes), all within timeout_ms.  Returns the answer (NUL-terminated,
 * *len bytes) or NULL with *cause, which names what failed but not the
 * engine: the caller prefixes its spec.
 */
char		*spam_net_exchange(const char *host, const char *port,
		    int timeout_ms, const char *req, size_t reqlen,
		    const char *body, size_t bodylen, size_t max, size_t *len,
		    char **cause);

/* 1 when the raw message holds the GTUBE string. */
int		 spam_gtube(const char *msg, size_t len);
/* Start a verdict: clean, for engine. */
void		 spam_verdict_init(struct spam_verdict *, const char *engine);
/* Set the reason, cut to fit without splitting a UTF-8 character. */
void		 spam_verdict_reason(struct spam_verdict *, const char *);
/* Append a clue, if there is room. */
void		 spam_verdict_clue(struct spam_verdict *, const char *name,
		    double value);
/*
 * The verdict as `spam check` shows it: {"engine","spam","score",
 * "threshold","reason","why":[{"name","value"},...]}.
 */
json_t		*spam_verdict_json(const struct spam_verdict *);

/*
 * Learn every regular file of dir (in name order) as spam or ham, in one
 * transaction of db (which must be the engine's); *count says how many.
 * On failure the transaction is rolled back, but the engine's copy in
 * memory may hold part of it: reopen the engine.
 */
int		 spam_learn_dir(const struct spam_engine *, struct spam *,
		    struct db *, const char *dir, int is_spam, size_t *count,
		    char **cause);
/*
 * The same, calling progress(arg, done, total) after each file when
 * progress is not NULL.
 */
typedef void	 spam_progress_fn(void *arg, size_t done, size_t total);
int		 spam_learn_dir_progress(const struct spam_engine *,
		    struct spam *, struct db *, const char *dir, int is_spam,
		    spam_progress_fn *, void *arg, size_t *count,
		    char **cause);
/* Read a whole file into memory (NUL-terminated); NULL with *cause. */
char		*spam_file_read(const char *path, size_t *len, char **cause);

/*
 * The tokenizer (spam_token.c): the distinct tokens of a message, in the
 * order first seen, at most SPAM_TOKENS_MAX.  Header words carry the
 * header's name ("subject:free"), URLs their host ("url:example.com"),
 * HTML a few tag names ("html:img"); body text is decoded from its
 * transfer encoding and charset, lowercased.  gtube is set when the
 * decoded text holds the GTUBE string.
 */
#define SPAM_TOKENS_MAX	3000
struct spam_tokens {
	char	**v;
	size_t	  n, cap;
	void	 *seen;		/* a set of v's strings */
	int	  gtube;
};
int		 spam_tokenize(const char *msg, size_t len,
		    struct spam_tokens *, char **cause);
void		 spam_tokens_free(struct spam_tokens *);

/*
 * The daemon's spam service (spam_service.c): the engine of [spam]
 * engine, shared by every thread.  check() may run in many threads at
 * once, alongside learn() and a reload; learn() calls are taken one at a
 * time.  A reload to another engine lets checks in flight finish with the
 * old one.
 */
struct config;
struct spam_service;

struct spam_service *spam_service_open(const struct config *, char **cause);
/* SIGHUP: a new engine, time-out or on_failure; the rest is kept. */
void		 spam_service_reload(struct spam_service *,
		    const struct config *);
/* 0 with a verdict, -1 with *cause when the engine could not judge. */
int		 spam_service_check(struct spam_service *, const char *msg,
		    size_t len, struct spam_verdict *, char **cause);
int		 spam_service_learn(struct spam_service *, const char *msg,
		    size_t len, int is_spam, char **cause);
/* [spam] on_failure: 1 pass mail unscanned, 0 answer 451 4.7.1. */
int		 spam_service_pass_unscanned(const struct spam_service *);
/* Set into's "spam" member: engine, counts, the last failure. */
void		 spam_service_status(const struct spam_service *,
		    json_t *into);
void		 spam_service_close(struct spam_service *);

#endif
