/*
 * Newly registered domains (nrd.c): is the envelope sender's or the
 * header From's domain, reduced to its registrable domain with the Public
 * Suffix List, younger than [nrd] max_age_hours?  The answer comes from
 * the imported feed, else (with [nrd] rdap_url) from RDAP, cached in the
 * database.  Safe to call from any number of threads at once, each with
 * its own database handle.
 */
#ifndef OF_NRD_H
#define OF_NRD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct db;
struct config;

struct nrd_verdict {
	int	 blocked;	/* 1: refuse with "550 5.7.1 " + reason */
	char	 domain[256];	/* the registrable domain judged ("": none) */
	char	 which[16];	/* "sender" (envelope) or "From" (header) */
	int64_t	 registered_at;	/* 0: not known */
	char	 source[160];	/* "feed NAME", "RDAP", "RDAP (cached)", "" */
	char	 reason[512];	/* one sentence, printable ASCII */
};

/*
 * Judge a message by its envelope sender (NULL or "" for <>) and the value
 * of its From header (NULL when it has none; GMime parses it, a list or
 * group included).  Returns 0 with the verdict: blocked, or passed with
 * why (not listed, old enough, RDAP failed: a failed lookup lets the mail
 * pass and is logged).  Returns -1 with *cause only when the database
 * failed; the caller then answers 451 4.3.0.  An RDAP lookup waits at
 * most [nrd] rdap_timeout and writes its answer to the cache (one short
 * write of its own, outside any transaction of the caller's).
 */
int	 nrd_check(struct db *, const struct config *, const char *env_sender,
	    const char *header_from, struct nrd_verdict *, char **cause);

/*
 * Import feed lines ("DOMAIN" or "DOMAIN,REGISTERED-AT"; '#' comments and
 * blank lines skipped) in one transaction of the caller's.  first_line
 * numbers the first line in what *result reports: {source, lines,
 * imported, kept, skipped, bad, bad_lines:[{line, text, error}]} (at most
 * NRD_BAD_SHOWN bad lines listed, all counted).  -1 with *cause when the
 * database failed; bad lines are no failure.
 */
#define NRD_BAD_SHOWN	20
int	 nrd_import(struct db *, const struct config *, const char *text,
	    const char *source, int64_t first_line, json_t **result,
	    char **cause);

/* The pieces, for tests and the control commands. */

/*
 * A domain's registrable domain in its stored form (A-labels, lower
 * case), malloc'ed; NULL with *why when it is no domain or a public
 * suffix itself.
 */
char	*nrd_registrable(const char *domain, char *why, size_t len);
/*
 * One feed line: 1 with *domain (malloc'ed, registrable) and *registered
 * (0: not given), 0 for a comment or blank line, -1 with why.
 */
int	 nrd_line_parse(const char *line, char **domain, int64_t *registered,
	    char *why, size_t len);
/*
 * Epoch seconds, YYYY-MM-DD, or YYYY-MM-DD[T ]HH:MM[:SS[.frac]] with Z,
 * +HH:MM or nothing (UTC): 0 with *t, -1 when it is none of those.
 */
int	 nrd_time_parse(const char *, int64_t *t);
/* Registered at `registered`, is the domain new at `now`? */
int	 nrd_is_new(int64_t registered, int64_t now, int64_t max_age_secs);
/* A feed's name as import takes it: 0, or -1 with why. */
int	 nrd_source_check(const char *source, char *why, size_t len);
/* An [nrd] rdap_url: 0, or -1 with why. */
int	 nrd_url_check(const char *url, char *why, size_t len);
/* The clock nrd reads (default time(2)); NULL restores it.  For tests. */
void	 nrd_clock_set(int64_t (*now)(void));

#endif
