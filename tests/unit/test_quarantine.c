/*
 * The quarantine: storing a held message (file and row, nothing left on
 * failure), listing it with filters and a domain admin's scope, showing
 * it, releasing it through a real next hop (maildir:, and an smtp:// one
 * that is down), deleting it, and the purge after the retention.  The
 * commands run through their handlers, as the control thread calls them.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd.h"
#include "conf.h"
#include "db.h"
#include "ipc.h"
#include "quarantine.h"

#define MSG \
	"From: alice@a.example\r\n" \
	"To: bob@example.org\r\n" \
	"Subject: Buy now\r\n" \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: multipart/alternative; boundary=\"b1\"\r\n" \
	"\r\n" \
	"--b1\r\n" \
	"Content-Type: text/html\r\n" \
	"\r\n" \
	"<p>html first</p>\r\n" \
	"--b1\r\n" \
	"Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: quoted-printable\r\n" \
	"\r\n" \
	"Hello =C3=A9t=C3=A9\r\n" \
	".dot line\r\n" \
	"--b1--\r\n"

struct fixture {
	char			 dir[64];
	char			 qdir[96];
	char			 outbox[96];
	struct db		*db;
	struct config		*conf;
	struct daemon_info	 info;
};

static struct config *
load_conf(struct fixture *f, const char *next_hop)
{
	struct config	*c;
	char		 file[160], *cause = NULL;
	FILE		*fp;

	snprintf(file, sizeof file, "%s/of.conf", f->dir);
	assert_non_null(fp = fopen(file, "w"));
	fprintf(fp, "[paths]\nstate_dir = %s\nrun_dir = %s\n[relay]\n"
	    "next_hop = %s\n", f->dir, f->dir, next_hop);
	fclose(fp);
	if ((c = conf_load(file, NULL, &cause)) == NULL)
		fail_msg("conf_load: %s", cause);
	unlink(file);
	return c;
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	char		 hop[128], *cause = NULL;

	snprintf(f->dir, sizeof f->dir, "/tmp/test_quarantine.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->qdir, sizeof f->qdir, "%s/quarantine", f->dir);
	snprintf(f->outbox, sizeof f->outbox, "%s/outbox", f->dir);
	snprintf(hop, sizeof hop, "maildir:%s", f->outbox);
	f->conf = load_conf(f, hop);
	if ((f->db = db_open(conf_str(f->conf, CONF_paths_database), 1,
	    &cause)) == NULL) {
		print_error("db_open: %s\n", cause);
		return -1;
	}
	f->info.config = f->conf;
	assert_int_equal(db_domain_add(f->db, "a.example", NULL, &cause), 0);
	assert_int_equal(db_domain_add(f->db, "b.example", NULL, &cause), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[256];

	db_close(f->db);
	conf_unref(f->conf);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A log row of a message held for user (of domain), at time t (0: now). */
static int64_t
log_row(struct fixture *f, const char *user, const char *domain,
    const char *qid, int64_t t)
{
	struct db_logrec	 r;
	const char		*rcpts[] = { "bob@example.org", NULL };
	int64_t			 id;
	char			*cause = NULL;

	memset(&r, 0, sizeof r);
	r.time = t;
	r.queue_id = qid;
	r.user = user;
	r.kind = "smtp";
	r.domain = domain;
	r.sender = user;
	r.rcpts = rcpts;
	r.subject = "Buy now";
	r.status = "quarantined";
	r.reason = "spam (GTUBE)";
	if (db_log_add(f->db, &r, &id, &cause) == -1)
		fail_msg("db_log_add: %s", cause);
	return id;
}

/* Hold MSG for user; returns the quarantine row's id. */
static int64_t
hold(struct fixture *f, const char *user, const char *domain,
    const char *qid)
{
	const char	*rcpts[] = { "bob@example.org", "carol@example.net" };
	char		*cause = NULL;
	json_t		*o;
	int64_t		 id;

	if (quarantine_store(f->db, f->conf, log_row(f, user, domain, qid, 0),
	    user, rcpts, 2, MSG, strlen(MSG), &cause) == -1)
		fail_msg("quarantine_store: %s", cause);
	struct db_quarantineq q = { NULL, NULL, NULL, NULL, 1 };
	assert_int_equal(db_quarantine_list(f->db, NULL, &q, NULL, 1, &o,
	    &cause), 0);
	id = json_integer_value(json_object_get(json_array_get(
	    json_object_get(o, "items"), 0), "id"));
	json_decref(o);
	return id;
}

/* Regular files in dir (suffix NULL: all). */
static int
count_files(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static char *
read_file(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*buf = calloc(1, 65536);

	assert_non_null(fp);
	assert_true(fread(buf, 1, 65535, fp) > 0);
	fclose(fp);
	return buf;
}

static void
test_store(void **state)
{
	struct fixture	*f = *state;
	const char	*rcpts[] = { "bob@example.org" };
	struct stat	 sb;
	json_t		*row;
	char		*cause = NULL, *text;
	const char	*path;
	int64_t		 id = hold(f, "alice@a.example", "a.example", "Q1");

	assert_int_equal(db_quarantine_get(f->db, NULL, id, &row, &cause), 0);
	assert_string_equal(json_string_value(json_object_get(row, "state")),
	    "held");
	assert_string_equal(json_string_value(json_object_get(row, "sender")),
	    "alice@a.example");
	assert_string_equal(json_string_value(json_object_get(row,
	    "recipients")), "bob@example.org, carol@example.net");
	assert_int_equal(json_array_size(json_object_get(row, "rcpts")), 2);
	assert_string_equal(json_string_value(json_object_get(row, "queue_id")),
	    "Q1");
	assert_int_equal(json_integer_value(json_object_get(row, "size")),
	    strlen(MSG));
	path = json_string_value(json_object_get(row, "path"));
	assert_int_equal(strncmp(path, f->qdir, strlen(f->qdir)), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	text = read_file(path);
	assert_string_equal(text, MSG);
	free(text);
	json_decref(row);

	/* No log row: refused, and no file is left behind. */
	assert_int_equal(quarantine_store(f->db, f->conf, 9999, "x@a.example",
	    rcpts, 1, MSG, strlen(MSG), &cause), -1);
	assert_non_null(strstr(cause, "9999"));
	free(cause);
	assert_int_equal(count_files(f->qdir), 1);

	/* The directory cannot be made: errno says why. */
	struct config	*c;
	char		 file[160];
	FILE		*fp;

	snprintf(file, sizeof file, "%s/afile", f->dir);
	assert_non_null(fp = fopen(file, "w"));
	fclose(fp);
	snprintf(file, sizeof file, "%s/q.conf", f->dir);
	assert_non_null(fp = fopen(file, "w"));
	fprintf(fp, "[paths]\nstate_dir = %s\n[quarantine]\ndir = %s/afile/q\n",
	    f->dir, f->dir);
	fclose(fp);
	assert_non_null(c = conf_load(file, NULL, &cause));
	cause = NULL;
	assert_int_equal(quarantine_store(f->db, c, log_row(f, "alice@a.example",
	    "a.example", "Q2", 0), "alice@a.example", rcpts, 1, MSG,
	    strlen(MSG), &cause), -1);
	assert_non_null(strstr(cause, "afile"));
	free(cause);
	conf_unref(c);
}

static void
test_list(void **state)
{
	struct fixture		*f = *state;
	char			*doms[] = { "a.example", NULL };
	struct db_quarantineq	 q;
	json_t			*o, *row;
	char			*cause = NULL;
	int64_t			 a, b;

	a = hold(f, "alice@a.example", "a.example", "QA");
	b = hold(f, "bert@b.example", "b.example", "QB");
	memset(&q, 0, sizeof q);
	assert_int_equal(db_quarantine_list(f->db, NULL, &q, NULL, 50, &o,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 2);
	/* Newest first. */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(o, "items"), 0), "id")), b);
	json_decref(o);
	/* A domain admin of a.example sees its own only. */
	assert_int_equal(db_quarantine_list(f->db, doms, &q, NULL, 50, &o,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
	json_decref(o);
	assert_int_equal(db_quarantine_get(f->db, doms, b, &row, &cause), -1);
	assert_int_equal(db_errkind(f->db), DB_ENOTFOUND);
	free(cause);
	cause = NULL;
	assert_int_equal(db_quarantine_get(f->db, doms, a, &row, &cause), 0);
	json_decref(row);
	/* Filters. */
	q.user = "bert@b.example";
	assert_int_equal(db_quarantine_list(f->db, NULL, &q, NULL, 50, &o,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
	json_decref(o);
	q.user = NULL;
	q.domain = "A.EXAMPLE";
	assert_int_equal(db_quarantine_list(f->db, NULL, &q, NULL, 50, &o,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
	json_decref(o);
	q.domain = NULL;
	q.until = "2000-01-01";
	assert_int_equal(db_quarantine_list(f->db, NULL, &q, NULL, 50, &o,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 0);
	json_decref(o);
	q.until = NULL;
	q.since = "2000-01-01T00:00";
	assert_int_equal(db_quarantine_list(f->db, NULL, &q, "999", 1, &o,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
	assert_false(json_is_null(json_object_get(o, "next")));
	json_decref(o);
	q.since = "last week";
	assert_int_equal(db_quarantine_list(f->db, NULL, &q, NULL, 50, &o,
	    &cause), -1);
	assert_string_equal(db_errfield(f->db), "since");
	assert_non_null(strstr(cause, "last week"));
	free(cause);
}

/* The handlers, as the control thread calls them. */
struct actor_env {
	struct actor	 actor;
	struct cmd_ctx	 ctx;
	char		*doms[2];
};

static void
actor_env(struct actor_env *e, struct fixture *f, const char *domain)
{
	memset(e, 0, sizeof *e);
	snprintf(e->actor.name, sizeof e->actor.name, "%s", domain == NULL ?
	    "root" : "ada");
	e->actor.super = domain == NULL;
	e->doms[0] = (char *)domain;
	e->actor.domains = domain == NULL ? NULL : e->doms;
	e->ctx.db = f->db;
	e->ctx.actor = &e->actor;
	e->ctx.info = &f->info;
}

/* Run a handler with {"id":id}, in a transaction unless the command opens its own. */
static int
call(struct actor_env *e, const char *name, cmd_handler *fn, int64_t id,
    struct ipc_error *err, json_t **result)
{
	const struct ipc_cmd	*cmd = ipc_cmd_find(name);
	json_t			*args = json_pack("{s:I}", "id", (json_int_t)id);
	json_t			*r = NULL;
	char			*cause = NULL;
	int			 rc, txn;

	assert_non_null(cmd);
	txn = (cmd->flags & (CMDF_WRITE | CMDF_OWNTXN)) == CMDF_WRITE;
	e->ctx.cmd = cmd;
	memset(err, 0, sizeof *err);
	if (txn)
		assert_int_equal(db_begin(e->ctx.db, &cause), 0);
	rc = fn(&e->ctx, args, &r, err);
	if (txn && rc == 0)
		assert_int_equal(db_commit(e->ctx.db, &cause), 0);
	else if (txn)
		db_rollback(e->ctx.db);
	json_decref(args);
	if (result != NULL)
		*result = r;
	else
		json_decref(r);
	return rc;
}

static void
refused(int rc, const struct ipc_error *err, enum ipc_errcode code,
    const char *needle)
{
	if (rc != -1)
		fail_msg("accepted, wanted %s naming %s",
		    ipc_errcode_name(code), needle);
	if (err->code != code || strstr(err->message, needle) == NULL)
		fail_msg("%s \"%s\", wanted %s naming %s",
		    ipc_errcode_name(err->code), err->message,
		    ipc_errcode_name(code), needle);
}

static const char *
member(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "(none)";
}

static void
test_show(void **state)
{
	struct fixture		*f = *state;
	struct actor_env	 root, bada;
	struct ipc_error	 err;
	json_t			*r;
	int64_t			 id = hold(f, "alice@a.example", "a.example",
				    "Q1");

	actor_env(&root, f, NULL);
	actor_env(&bada, f, "b.example");
	assert_int_equal(call(&root, "quarantine.show", cmd_quarantine_show, id,
	    &err, &r), 0);
	assert_null(json_object_get(r, "path"));
	assert_non_null(strstr(member(r, "headers"), "Subject: Buy now\r\n"));
	assert_null(strstr(member(r, "headers"), "html first"));
	assert_string_equal(member(r, "text"), "Hello \xc3\xa9t\xc3\xa9\r\n"
	    ".dot line");
	assert_true(json_is_false(json_object_get(r, "truncated")));
	assert_string_equal(member(r, "reason"), "spam (GTUBE)");
	json_decref(r);
	refused(call(&bada, "quarantine.show", cmd_quarantine_show, id, &err,
	    NULL), &err, IPC_E_NOT_FOUND, "not found");
	refused(call(&root, "quarantine.show", cmd_quarantine_show, 12345,
	    &err, NULL), &err, IPC_E_NOT_FOUND, "12345");
}

static void
test_show_long(void **state)
{
	struct fixture	*f = *state;
	const char	*rcpts[] = { "bob@example.org" };
	json_t		*into = json_object(), *row;
	char		*msg, *cause = NULL;
	size_t		 n = 20000, hl;
	const char	*hdr = "Subject: long\r\n\r\n";
	int64_t		 id;

	hl = strlen(hdr);
	msg = malloc(hl + n + 1);
	memcpy(msg, hdr, hl);
	memset(msg + hl, 'y', n);
	msg[hl + n] = '\0';
	assert_int_equal(quarantine_store(f->db, f->conf, log_row(f,
	    "alice@a.example", "a.example", "QL", 0), "", rcpts, 1, msg,
	    hl + n, &cause), 0);
	free(msg);
	struct db_quarantineq q = { NULL, NULL, NULL, NULL, 0 };
	assert_int_equal(db_quarantine_list(f->db, NULL, &q, NULL, 1, &row,
	    &cause), 0);
	id = json_integer_value(json_object_get(json_array_get(
	    json_object_get(row, "items"), 0), "id"));
	json_decref(row);
	assert_int_equal(db_quarantine_get(f->db, NULL, id, &row, &cause), 0);
	assert_int_equal(quarantine_peek(member(row, "path"), into, &cause), 0);
	assert_int_equal(strlen(member(into, "text")), QUARANTINE_TEXT_MAX);
	assert_true(json_is_true(json_object_get(into, "truncated")));
	json_decref(into);
	json_decref(row);
}

/* The one file of the maildir's new/, read. */
static char *
delivered(struct fixture *f)
{
	char		 dir[160], path[512], *text;
	DIR		*d;
	struct dirent	*e;

	snprintf(dir, sizeof dir, "%s/new", f->outbox);
	assert_int_equal(count_files(dir), 1);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL && e->d_name[0] == '.')
		;
	assert_non_null(e);
	snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
	closedir(d);
	text = read_file(path);
	return text;
}

static void
test_release(void **state)
{
	struct fixture		*f = *state;
	struct actor_env	 root, ada, bada;
	struct db_logq		 lq;
	struct ipc_error	 err;
	json_t			*r, *rows;
	char			*text, *cause = NULL;
	int64_t			 id = hold(f, "alice@a.example", "a.example",
				    "QR");

	actor_env(&root, f, NULL);
	actor_env(&ada, f, "a.example");
	actor_env(&bada, f, "b.example");
	refused(call(&bada, "quarantine.release", cmd_quarantine_release, id,
	    &err, NULL), &err, IPC_E_NOT_FOUND, "not found");
	assert_int_equal(count_files(f->outbox), 0);
	if (call(&ada, "quarantine.release", cmd_quarantine_release, id, &err,
	    &r) != 0)
		fail_msg("release: %s", err.message);
	assert_string_equal(member(r, "state"), "released");
	assert_string_equal(member(r, "released_by"), "ada");
	assert_int_equal(strncmp(member(r, "next_hop"), "250 ", 4), 0);
	json_decref(r);
	/* It reached the next hop with its envelope. */
	text = delivered(f);
	assert_non_null(strstr(text, "Return-Path: <alice@a.example>"));
	assert_non_null(strstr(text, "X-Outfilter-Rcpt: <bob@example.org>"));
	assert_non_null(strstr(text, "X-Outfilter-Rcpt: <carol@example.net>"));
	assert_non_null(strstr(text, "Subject: Buy now"));
	assert_non_null(strstr(text, "\n.dot line\n"));
	free(text);
	/* The log row says so. */
	memset(&lq, 0, sizeof lq);
	lq.queue_id = "QR";
	assert_int_equal(db_log_search(f->db, NULL, &lq, NULL, 5, &rows,
	    &cause), 0);
	r = json_array_get(json_object_get(rows, "items"), 0);
	assert_string_equal(member(r, "status"), "relayed");
	assert_string_equal(member(r, "reason"),
	    "released by ada (held: spam (GTUBE))");
	assert_int_equal(strncmp(member(r, "reply"), "250 ", 4), 0);
	json_decref(rows);
	/* Once only. */
	refused(call(&root, "quarantine.release", cmd_quarantine_release, id,
	    &err, NULL), &err, IPC_E_CONFLICT, "released by ada");
	assert_int_equal(count_files(f->outbox) >= 1, 1);
	/* Listed only with --all. */
	struct db_quarantineq q = { NULL, NULL, NULL, NULL, 0 };
	assert_int_equal(db_quarantine_list(f->db, NULL, &q, NULL, 50, &rows,
	    &cause), 0);
	assert_int_equal(json_array_size(json_object_get(rows, "items")), 0);
	json_decref(rows);
}

/* A port on 127.0.0.1 nothing listens on. */
static int
dead_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void
test_release_fails(void **state)
{
	struct fixture		*f = *state;
	struct actor_env	 root;
	struct ipc_error	 err;
	struct db_logq		 lq;
	json_t			*row, *rows;
	char			 hop[64], *cause = NULL;
	int64_t			 id = hold(f, "alice@a.example", "a.example",
				    "QF");

	snprintf(hop, sizeof hop, "smtp://127.0.0.1:%d?timeout=5",
	    dead_port());
	conf_unref(f->conf);
	f->info.config = f->conf = load_conf(f, hop);
	actor_env(&root, f, NULL);
	refused(call(&root, "quarantine.release", cmd_quarantine_release, id,
	    &err, NULL), &err, IPC_E_BUSY, "next hop smtp://127.0.0.1:");
	/* Nothing changed. */
	assert_int_equal(db_quarantine_get(f->db, NULL, id, &row, &cause), 0);
	assert_string_equal(member(row, "state"), "held");
	json_decref(row);
	memset(&lq, 0, sizeof lq);
	lq.queue_id = "QF";
	assert_int_equal(db_log_search(f->db, NULL, &lq, NULL, 5, &rows,
	    &cause), 0);
	assert_string_equal(member(json_array_get(json_object_get(rows,
	    "items"), 0), "status"), "quarantined");
	json_decref(rows);
}

static void
test_delete(void **state)
{
	struct fixture		*f = *state;
	struct actor_env	 root, bada;
	struct ipc_error	 err;
	json_t			*r;
	int64_t			 id = hold(f, "alice@a.example", "a.example",
				    "QD");

	actor_env(&root, f, NULL);
	actor_env(&bada, f, "b.example");
	refused(call(&bada, "quarantine.delete", cmd_quarantine_delete, id,
	    &err, NULL), &err, IPC_E_NOT_FOUND, "not found");
	assert_int_equal(count_files(f->qdir), 1);
	assert_int_equal(call(&root, "quarantine.delete", cmd_quarantine_delete,
	    id, &err, &r), 0);
	assert_string_equal(member(r, "state"), "deleted");
	assert_string_equal(member(r, "deleted_by"), "root");
	json_decref(r);
	assert_int_equal(count_files(f->qdir), 0);
	refused(call(&root, "quarantine.delete", cmd_quarantine_delete, id,
	    &err, NULL), &err, IPC_E_CONFLICT, "deleted by root");
	refused(call(&root, "quarantine.release", cmd_quarantine_release, id,
	    &err, NULL), &err, IPC_E_CONFLICT, "deleted by root");
	/* Show still tells what it was. */
	assert_int_equal(call(&root, "quarantine.show", cmd_quarantine_show, id,
	    &err, &r), 0);
	assert_true(json_is_null(json_object_get(r, "headers")));
	assert_string_equal(member(r, "subject"), "Buy now");
	json_decref(r);
}

static void
test_purge(void **state)
{
	struct fixture	*f = *state;
	struct timeval	 old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char		 orphan[160], other[160], *cause = NULL;
	int64_t		 n, gone;
	time_t		 now = time(NULL);
	FILE		*fp;

	hold(f, "alice@a.example", "a.example", "P1");
	hold(f, "bert@b.example", "b.example", "P2");
	snprintf(orphan, sizeof orphan, "%s/77-abc.eml", f->qdir);
	snprintf(other, sizeof other, "%s/README", f->qdir);
	assert_non_null(fp = fopen(orphan, "w"));
	fclose(fp);
	assert_non_null(fp = fopen(other, "w"));
	fclose(fp);
	assert_int_equal(utimes(orphan, old), 0);
	assert_int_equal(utimes(other, old), 0);
	/* Within the retention, only the old orphan goes. */
	assert_int_equal(quarantine_purge(f->db, f->conf, now, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_files(f->qdir), 3);
	/* The log rows stay while their messages are held. */
	assert_int_equal(db_log_purge(f->db, now + 86400, 100, &gone, &cause),
	    0);
	assert_int_equal(gone, 0);
	/* Past it, files and rows go; then the log rows may. */
	assert_int_equal(quarantine_purge(f->db, f->conf, now + 15 * 86400,
	    &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(count_files(f->qdir), 1);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_equal(db_log_purge(f->db, now + 86400, 100, &gone, &cause),
	    0);
	assert_int_equal(gone, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_long, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
