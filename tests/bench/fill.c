/*
 * fill DBPATH USERS LOGROWS: a database as large as a busy site's, for
 * the benchmarks.  One active domain per 100 users; users of the three
 * kinds (IP users on distinct /32s in 10.0.0.0/8, one authenticating
 * domain per domain, the rest SMTP AUTH users sharing one hash); log rows
 * with varied senders and recipients over the last 30 days.  Everything
 * goes through db/'s functions, in large transactions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "passwd.h"

#define FILL_PER_DOMAIN	100
#define FILL_BATCH	50000
#define FILL_SENDERS	50000
#define FILL_DAYS	30

static int	fill_tty;

static void
fill_die(const char *what, char *cause)
{
	fprintf(stderr, "fill: %s: %s\n", what, cause != NULL ? cause : "?");
	free(cause);
	exit(1);
}

static void
fill_progress(const char *what, long done, long total)
{
	if (fill_tty && (done % 10000 == 0 || done == total))
		fprintf(stderr, "\r%s %ld/%ld", what, done, total);
	if (fill_tty && done == total)
		fputc('\n', stderr);
}

/* Commit every FILL_BATCH changes and open the next transaction. */
static void
fill_batch(struct db *db, long n)
{
	char	*cause = NULL;

	if (n % FILL_BATCH != 0)
		return;
	if (db_commit(db, &cause) == -1 || db_begin(db, &cause) == -1)
		fill_die("commit", cause);
}

static void
fill_domains(struct db *db, long ndomains)
{
	char	 name[64], *cause = NULL;
	long	 i;

	for (i = 0; i < ndomains; i++) {
		snprintf(name, sizeof name, "d%05ld.example", i);
		if (db_domain_add(db, name, NULL, &cause) == -1 ||
		    db_domain_set_active(db, name, 1, &cause) == -1)
			fill_die(name, cause);
		fill_batch(db, i + 1);
	}
}

/* User i's name and kind: first of a domain is the domain, a third are IP users. */
static const char *
fill_user_name(long i, char *name, size_t len, char *dom, size_t dlen)
{
	snprintf(dom, dlen, "d%05ld.example", i / FILL_PER_DOMAIN);
	if (i % FILL_PER_DOMAIN == 0) {
		snprintf(name, len, "%s", dom);
		return "domain";
	}
	if (i % 3 == 0) {
		snprintf(name, len, "ip%06ld", i);
		return "ip";
	}
	snprintf(name, len, "u%06ld@%s", i, dom);
	return "smtp";
}

static void
fill_user(struct db *db, long i, const char *hash)
{
	char		 dom[64], name[128], ip[32], *cause = NULL;
	const char	*kind = fill_user_name(i, name, sizeof name, dom,
			    sizeof dom);
	json_t		*ips;
	int		 rc;

	if (strcmp(kind, "domain") == 0)
		rc = db_user_add_domain(db, dom, hash, &cause);
	else if (strcmp(kind, "ip") == 0) {
		snprintf(ip, sizeof ip, "10.%ld.%ld.%ld", (i >> 16) & 0xff,
		    (i >> 8) & 0xff, i & 0xff);
		ips = json_pack("[s]", ip);
		rc = db_user_add_ip(db, name, dom, ips, &cause);
		json_decref(ips);
	} else
		rc = db_user_add_smtp(db, name, dom, hash, &cause);
	if (rc == -1)
		fill_die(name, cause);
}

static void
fill_log(struct db *db, long i, long rows, long nusers, time_t now)
{
	static const char *const statuses[] = {
		"relayed", "relayed", "relayed", "relayed", "relayed",
		"relayed", "relayed", "refused", "tempfail", "quarantined"
	};
	struct db_logrec	 r = { 0 };
	const char		*rcpts[3];
	char			 user[128], dom[64], sender[128], qid[32];
	char			 r1[64], r2[64], subject[64], *cause = NULL;
	long			 u = (i * 7919) % (nusers > 0 ? nusers : 1);
	long			 s = (i * 104729) % FILL_SENDERS;

	r.kind = fill_user_name(u, user, sizeof user, dom, sizeof dom);
	snprintf(sender, sizeof sender, "s%05ld@%s", s, dom);
	snprintf(qid, sizeof qid, "%08lX", i);
	snprintf(r1, sizeof r1, "r%ld@example.org", (i * 31) % 200000);
	snprintf(r2, sizeof r2, "r%ld@example.net", (i * 17) % 200000);
	snprintf(subject, sizeof subject, "message %ld", i);
	rcpts[0] = r1;
	rcpts[1] = i % 4 == 0 ? r2 : NULL;
	rcpts[2] = NULL;
	r.time = now - (time_t)FILL_DAYS * 86400 +
	    (time_t)((double)i / rows * FILL_DAYS * 86400);
	r.queue_id = qid;
	r.user = user;
	r.domain = dom;
	r.client_ip = "192.0.2.1";
	r.sender = sender;
	r.rcpts = rcpts;
	r.header_from = sender;
	r.subject = subject;
	r.size = 1000 + i % 50000;
	r.status = statuses[i % 10];
	r.reply = "250 2.0.0 Ok";
	if (db_log_add(db, &r, NULL, &cause) == -1)
		fill_die("log", cause);
}

int
main(int argc, char **argv)
{
	struct db	*db;
	char		 hash[PASSWD_HASH_MAX], *cause = NULL, *end;
	long		 users, rows, i;
	time_t		 now = time(NULL);

	if (argc != 4 || (users = strtol(argv[2], &end, 10)) < 0 || *end ||
	    (rows = strtol(argv[3], &end, 10)) < 0 || *end) {
		fprintf(stderr, "usage: fill DBPATH USERS LOGROWS\n");
		return 64;
	}
	fill_tty = isatty(2);
	if (passwd_hash("fill-password", hash) == -1)
		fill_die("hash", NULL);
	if ((db = db_open(argv[1], 1, &cause)) == NULL)
		fill_die(argv[1], cause);
	if (db_begin(db, &cause) == -1)
		fill_die("begin", cause);
	fill_domains(db, (users + FILL_PER_DOMAIN - 1) / FILL_PER_DOMAIN);
	for (i = 0; i < users; i++) {
		fill_user(db, i, hash);
		fill_batch(db, i + 1);
		fill_progress("users", i + 1, users);
	}
	for (i = 0; i < rows; i++) {
		fill_log(db, i, rows, users, now);
		fill_batch(db, i + 1);
		fill_progress("log rows", i + 1, rows);
	}
	if (db_commit(db, &cause) == -1)
		fill_die("commit", cause);
	db_close(db);
	return 0;
}
