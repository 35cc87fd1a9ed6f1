/*
 * The next hop: smtp:// against Postfix's smtp-sink and against a small
 * misbehaving server run on a thread here, and maildir: on disk.  The
 * rule under test: no 250 for a message the next hop did not take.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "relay.h"
#include "spool.h"

#define SINK	"/usr/sbin/smtp-sink"

static struct event_base *base;
static char tmpdir[] = "/tmp/test_relay.XXXXXX";

/* What a callback saw. */
struct rec {
	int			n;
	struct relay_reply	r[8];
};

static void
rec_cb(void *arg, const struct relay_reply *rep)
{
	struct rec	*rec = arg;

	if (rec->n < 8)
		rec->r[rec->n] = *rep;
	rec->n++;
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
}

/* Run the loop until *n reaches want or seconds pass. */
static void
run_until(int *n, int want, int seconds)
{
	struct timeval	 tv = { 0, 20000 };
	struct event	*t = event_new(base, -1, EV_PERSIST, tick, NULL);
	time_t		 end = time(NULL) + seconds;

	event_add(t, &tv);
	while (*n < want && time(NULL) < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
}

/* A loopback port nobody listens on (right now). */
static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

static int
port_open(int port)
{
	struct sockaddr_in	sin;
	int			fd, rv;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rv = connect(fd, (struct sockaddr *)&sin, sizeof sin);
	close(fd);
	return (rv == 0);
}

/*
 * smtp-sink on 127.0.0.1:port with the given options (NULL-terminated),
 * dumping messages into dumpdir; returns its pid once it listens.
 */
static pid_t
sink_start(int port, const char *dumpdir, ...)
{
	const char	*argv[32];
	char		 addr[32], tmpl[256];
	int		 argc = 0, i;
	va_list		 ap;
	pid_t		 pid;

	argv[argc++] = SINK;
	if (getuid() == 0) {
		argv[argc++] = "-u";
		argv[argc++] = "nobody";
	}
	if (dumpdir != NULL) {
		snprintf(tmpl, sizeof tmpl, "%s/msg.", dumpdir);
		argv[argc++] = "-d";
		argv[argc++] = tmpl;
	}
	va_start(ap, dumpdir);
	while (argc < 28 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	argv[argc++] = addr;
	argv[argc++] = "100";
	argv[argc] = NULL;
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(SINK, (char *const *)argv);
		_exit(127);
	}
	assert_true(pid > 0);
	for (i = 0; i < 300 && !port_open(port); i++)
		usleep(10000);
	assert_true(port_open(port));
	return (pid);
}

static void
sink_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* A directory smtp-sink (running as nobody) may write into. */
static char *
dump_dir(const char *name)
{
	char	*dir;

	assert_true(asprintf(&dir, "%s/%s", tmpdir, name) > 0);
	mkdir(dir, 0777);
	chmod(dir, 0777);
	return (dir);
}

/* All files of dir, concatenated; *nfiles counts them. */
static char *
dir_slurp(const char *dir, int *nfiles)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	char		*all = calloc(1, 1), path[512], buf[8192];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	*nfiles = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		(*nfiles)++;
		while ((n = read(fd, buf, sizeof buf)) > 0) {
			all = realloc(all, len + n + 1);
			memcpy(all + len, buf, n);
			len += n;
		}
		all[len] = '\0';
		close(fd);
	}
	closedir(d);
	return (all);
}

static struct spool *
spool_of(const char *text)
{
	struct spool	*sp = spool_new(1 << 20, tmpdir);

	assert_non_null(sp);
	assert_int_equal(spool_write(sp, text, strlen(text)), 0);
	return (sp);
}

static struct relay_envelope env = {
	.queue_id = "4XyZ12",
	.sender = "alice@example.com",
	.helo = "client.example.com",
};

static struct relay *
open_smtp(int port, const char *opts)
{
	char		 spec[256], *cause = NULL;
	struct relay	*r;

	snprintf(spec, sizeof spec, "smtp://127.0.0.1:%d%s%s", port,
	    opts != NULL ? "?" : "", opts != NULL ? opts : "");
	r = relay_smtp_backend.open(base, spec, &cause);
	if (r == NULL)
		fail_msg("open %s: %s", spec, cause);
	return (r);
}

/* Close, and let the loop finish closing the sockets (libevent defers). */
static void
smtp_close(struct relay *r)
{
	relay_smtp_backend.close(r);
	event_base_loop(base, EVLOOP_NONBLOCK);
}

/*
 * One whole transaction; the replies of MAIL, each RCPT and the message
 * land in rec->r[0..].  Returns the message's reply code (0: none came).
 */
static int
send_message(const struct relay_backend *be, struct relay *r,
    const char *const *rcpts, const char *msg, struct rec *rec)
{
	struct relay_txn	*txn;
	struct spool		*sp = spool_of(msg);
	int			 nr = 0, code;

	memset(rec, 0, sizeof *rec);
	txn = be->begin(r, &env, rec_cb, rec);
	assert_non_null(txn);
	run_until(&rec->n, 1, 10);
	assert_int_equal(rec->n, 1);
	if (relay_reply_ok(&rec->r[0])) {
		for (; rcpts[nr] != NULL; nr++)
			be->rcpt(txn, rcpts[nr], rec_cb, rec);
		run_until(&rec->n, 1 + nr, 10);
		assert_int_equal(rec->n, 1 + nr);
		be->data(txn, sp, rec_cb, rec);
		run_until(&rec->n, 2 + nr, 15);
	}
	code = rec->n == 2 + nr ? rec->r[1 + nr].code : 0;
	be->done(txn);
	spool_free(sp);
	return (code);
}

static const char *const one_rcpt[] = { "bob@example.net", NULL };
static const char *const two_rcpts[] = { "bob@example.net",
    "carol@example.org", NULL };

/* Lines that test dot-stuffing: ".x", a lone "." and ".." in the body. */
static const char tricky_msg[] =
    "From: alice@example.com\r\n"
    "Subject: dots\r\n"
    "\r\n"
    ".x leading dot\r\n"
    ".\r\n"
    "..two dots\r\n"
    "after the lone dot\r\n";

/*
 * Pure helpers.
 */

static void
test_stuffing(void **state)
{
	static const struct {
		const char	*chunks[3];
		const char	*want;
	} cases[] = {
		{ { "", NULL }, ".\r\n" },
		{ { "a\r\n", NULL }, "a\r\n.\r\n" },
		{ { "a", NULL }, "a\r\n.\r\n" },
		{ { ".a\r\n", NULL }, "..a\r\n.\r\n" },
		{ { ".\r\n", NULL }, "..\r\n.\r\n" },
		{ { "x\r\n.", "\r\n", NULL }, "x\r\n..\r\n.\r\n" },
		{ { "x\r", "\n.y\r\n", NULL }, "x\r\n..y\r\n.\r\n" },
		{ { "a.b\r\n..c\r\n", NULL }, "a.b\r\n...c\r\n.\r\n" },
	};
	struct relay_stuff	 st;
	struct evbuffer		*out;
	size_t			 i, j, len;
	char			*got;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		out = evbuffer_new();
		relay_stuff_init(&st);
		for (j = 0; cases[i].chunks[j] != NULL; j++)
			relay_stuff_add(&st, out, cases[i].chunks[j],
			    strlen(cases[i].chunks[j]));
		relay_stuff_end(&st, out);
		len = evbuffer_get_length(out);
		got = calloc(1, len + 1);
		evbuffer_remove(out, got, len);
		assert_string_equal(got, cases[i].want);
		free(got);
		evbuffer_free(out);
	}
}

static void
test_reply_peer(void **state)
{
	static const struct {
		int		 code;
		const char	*text;
		int		 want_code;
		const char	*want;
	} cases[] = {
		{ 550, "5.1.1 User unknown", 550,
		    "5.1.1 next hop said: User unknown" },
		{ 450, "mailbox busy", 450, "4.0.0 next hop said: mailbox busy" },
		{ 421, "4.3.2 shutting down", 451,
		    "4.3.2 next hop said: shutting down" },
		{ 250, "2.0.0 Ok: queued as ABC", 250, "2.0.0 Ok: queued as ABC" },
		{ 250, "Ok", 250, "2.0.0 Ok" },
		{ 451, "5.1.1 class mismatch", 451,
		    "4.1.1 next hop said: class mismatch" },
		{ 550, "bad\x01" "ctl\x7f" "end\r\n", 550,
		    "5.0.0 next hop said: bad?ctl?end  " },
		{ 554, "5.7.1", 554, "5.7.1 next hop said: " },
	};
	struct relay_reply	r;
	size_t			i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		relay_reply_peer(&r, cases[i].code, cases[i].text);
		assert_int_equal(r.code, cases[i].want_code);
		assert_string_equal(r.text, cases[i].want);
	}
}

static void
test_backend_find(void **state)
{
	char		*cause = NULL;
	struct relay	*r;

	assert_ptr_equal(relay_backend_find("smtp://127.0.0.1:25", &cause),
	    &relay_smtp_backend);
	assert_ptr_equal(relay_backend_find("maildir:/var/mail/x", &cause),
	    &relay_maildir_backend);
	assert_null(relay_backend_find("lmtp://x", &cause));
	assert_non_null(strstr(cause, "unknown scheme \"lmtp\""));
	free(cause);
	assert_null(relay_backend_find("/var/mail", &cause));
	assert_non_null(strstr(cause, "no scheme"));
	free(cause);
	cause = NULL;
	assert_null(relay_smtp_backend.open(base, "smtp://127.0.0.1:25?bogus=1",
	    &cause));
	assert_non_null(strstr(cause, "unknown next hop option \"bogus\""));
	free(cause);
	cause = NULL;
	assert_null(relay_smtp_backend.open(base,
	    "smtp://127.0.0.1:25?starttls=maybe", &cause));
	assert_non_null(strstr(cause, "starttls=maybe: want yes, no or try"));
	free(cause);
	cause = NULL;
	assert_null(relay_smtp_backend.open(base, "smtp://::1:25", &cause));
	assert_non_null(strstr(cause, "smtp://[IPV6]:PORT"));
	free(cause);
	cause = NULL;
	assert_null(relay_smtp_backend.open(base,
	    "smtp://127.0.0.1:25?auth=bob", &cause));
	assert_non_null(strstr(cause, "auth= and password_file= go together"));
	free(cause);
	r = relay_smtp_backend.open(base, "smtp://[::1]:2525?max_idle=3&"
	    "timeout=5&starttls=no&helo=relay.example.com", &cause);
	assert_non_null(r);
	relay_smtp_backend.close(r);
}

/*
 * smtp:// against smtp-sink.
 */

static void
test_smtp_relay_and_reuse(void **state)
{
	char		*dump = dump_dir("ok"), *all;
	int		 port = free_port(), nfiles;
	pid_t		 pid = sink_start(port, dump, NULL);
	struct relay	*r = open_smtp(port, "starttls=no");
	struct relay_stats st;
	struct rec	 rec;

	assert_int_equal(send_message(&relay_smtp_backend, r, two_rcpts,
	    tricky_msg, &rec), 250);
	assert_int_equal(rec.r[0].code, 250);
	assert_int_equal(rec.r[1].code, 250);
	assert_int_equal(rec.r[2].code, 250);
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    "Subject: second\r\n\r\nbody two", &rec), 250);
	assert_non_null(strstr(rec.r[2].text, "2.0.0"));

	/* The second message rode on the first one's connection. */
	relay_smtp_backend.stats(r, &st);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.reuses, 1);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.idle, 1);

	sink_stop(pid);
	all = dir_slurp(dump, &nfiles);
	assert_int_equal(nfiles, 2);
	assert_non_null(strstr(all, "X-Mail-Args: <alice@example.com>"));
	assert_non_null(strstr(all, "X-Rcpt-Args: <bob@example.net>"));
	assert_non_null(strstr(all, "X-Rcpt-Args: <carol@example.org>"));
	/* Stuffed on the way, unstuffed by the sink: as sent. */
	assert_non_null(strstr(all, "\n.x leading dot\n.\n..two dots\n"
	    "after the lone dot\n"));
	assert_non_null(strstr(all, "\nbody two\n"));
	free(all);
	free(dump);
	smtp_close(r);
}

/* smtp-sink with one option set; the message's fate (and rec). */
static int
sink_case(const char *opt, const char *arg, const char *relayopts,
    struct rec *rec)
{
	int		 port = free_port(), code;
	pid_t		 pid = sink_start(port, NULL, opt, arg, NULL);
	struct relay	*r = open_smtp(port, relayopts);

	code = send_message(&relay_smtp_backend, r, one_rcpt, tricky_msg, rec);
	smtp_close(r);
	sink_stop(pid);
	return (code);
}

static void
test_smtp_rcpt_refused(void **state)
{
	struct rec	rec;

	/* -f RCPT: every RCPT gets a hard error; that RCPT hears it. */
	assert_int_not_equal(sink_case("-f", "RCPT", NULL, &rec), 250);
	assert_int_equal(rec.r[0].code, 250);
	assert_int_equal(rec.r[1].code, 500);
	assert_string_equal(rec.r[1].text,
	    "5.3.0 next hop said: Error: command failed");
	/* -r RCPT: a soft one. */
	assert_int_not_equal(sink_case("-r", "RCPT", NULL, &rec), 250);
	assert_int_equal(rec.r[1].code, 450);
	assert_string_equal(rec.r[1].text,
	    "4.3.0 next hop said: Error: command failed");
}

static void
test_smtp_mail_refused(void **state)
{
	struct rec	rec;

	assert_int_equal(sink_case("-f", "MAIL", NULL, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.r[0].code, 500);
	assert_non_null(strstr(rec.r[0].text, "next hop said:"));
}

static void
test_smtp_refused_after_data(void **state)
{
	struct rec	rec;

	assert_int_equal(sink_case("-f", ".", NULL, &rec), 500);
	assert_string_equal(rec.r[2].text,
	    "5.3.0 next hop said: Error: command failed");
	assert_int_equal(sink_case("-r", ".", NULL, &rec), 450);
	assert_int_equal(sink_case("-f", "DATA", NULL, &rec), 500);
	/* Refused right after 354, before our final dot. */
	assert_int_equal(sink_case("-A", "0", NULL, &rec), 550);
}

static void
test_smtp_down(void **state)
{
	struct rec	rec;
	int		port = free_port();
	struct relay	*r = open_smtp(port, NULL);
	char		want[128];

	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 0);
	assert_int_equal(rec.r[0].code, 451);
	snprintf(want, sizeof want, "4.4.1 next hop 127.0.0.1:%d unreachable: "
	    "Connection refused", port);
	assert_string_equal(rec.r[0].text, want);
	smtp_close(r);
}

static void
test_smtp_cut(void **state)
{
	struct rec	rec;

	/* 421 at the greeting. */
	assert_int_equal(sink_case("-Q", "CONNECT", NULL, &rec), 0);
	assert_int_equal(rec.r[0].code, 451);
	assert_non_null(strstr(rec.r[0].text, "refused the session: 421"));
	/* Gone without a word after DATA, and after the final dot. */
	assert_int_equal(sink_case("-q", "DATA", NULL, &rec), 451);
	assert_non_null(strstr(rec.r[2].text, "4.4.2 next hop"));
	assert_non_null(strstr(rec.r[2].text, "closed the connection during "
	    "DATA"));
	assert_int_equal(sink_case("-q", ".", NULL, &rec), 451);
	assert_non_null(strstr(rec.r[2].text, "closed the connection"));
	/* 421 and gone after the final dot. */
	assert_int_equal(sink_case("-Q", ".", NULL, &rec), 451);
	assert_non_null(strstr(rec.r[2].text, "next hop said:"));
}

static void
test_smtp_timeout(void **state)
{
	struct rec	rec;

	assert_int_equal(sink_case("-W", "RCPT:3", "timeout=1", &rec), 451);
	assert_int_equal(rec.r[1].code, 451);
	assert_non_null(strstr(rec.r[1].text, "did not answer RCPT within 1 s"));
	assert_int_equal(sink_case("-W", ".:3", "timeout=1", &rec), 451);
	assert_non_null(strstr(rec.r[2].text, "did not answer the end of the "
	    "message within 1 s"));
}

static void
test_smtp_starttls_required(void **state)
{
	struct rec	rec;

	assert_int_equal(sink_case("-v", NULL, "starttls=yes", &rec), 0);
	assert_int_equal(rec.r[0].code, 451);
	assert_non_null(strstr(rec.r[0].text, "4.7.0"));
	assert_non_null(strstr(rec.r[0].text, "does not offer STARTTLS"));
}

/* BODY=8BITMIME passed on when offered; the message unchanged if not. */
static void
test_smtp_8bitmime(void **state)
{
	char		*dump = dump_dir("8bit"), *all;
	int		 port = free_port(), nfiles;
	pid_t		 pid;
	struct relay	*r;
	struct rec	 rec;

	env.body_8bit = 1;
	pid = sink_start(port, dump, NULL);
	r = open_smtp(port, NULL);
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    "Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n", &rec), 250);
	smtp_close(r);
	sink_stop(pid);
	all = dir_slurp(dump, &nfiles);
	assert_non_null(strstr(all, "X-Mail-Args: <alice@example.com> "
	    "BODY=8BITMIME\n"));
	free(all);
	free(dump);

	dump = dump_dir("7bit");
	pid = sink_start(port, dump, "-8", NULL);
	r = open_smtp(port, NULL);
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    "Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n", &rec), 250);
	smtp_close(r);
	sink_stop(pid);
	env.body_8bit = 0;
	all = dir_slurp(dump, &nfiles);
	assert_non_null(strstr(all, "X-Mail-Args: <alice@example.com>\n"));
	assert_non_null(strstr(all, "\nna\xc3\xafve\n"));
	free(all);
	free(dump);
}

/* SMTPUTF8 needed but not offered: refused at MAIL, permanently. */
static void
test_smtp_smtputf8(void **state)
{
	int		 port = free_port();
	pid_t		 pid = sink_start(port, NULL, NULL);
	struct relay	*r = open_smtp(port, NULL);
	struct rec	 rec;

	env.smtputf8 = 1;
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 0);
	env.smtputf8 = 0;
	assert_int_equal(rec.r[0].code, 550);
	assert_non_null(strstr(rec.r[0].text, "5.6.7 next hop"));
	assert_non_null(strstr(rec.r[0].text, "does not support SMTPUTF8"));
	/* The connection stays good for the next message. */
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 250);
	smtp_close(r);
	sink_stop(pid);
}

/* The pool: max_idle=0 keeps nothing; idle ones close after idle_timeout. */
static void
test_smtp_pool_limits(void **state)
{
	int			 port = free_port(), never = 0;
	pid_t			 pid = sink_start(port, NULL, NULL);
	struct relay		*r = open_smtp(port, "max_idle=0");
	struct relay_stats	 st;
	struct rec		 rec;

	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 250);
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 250);
	relay_smtp_backend.stats(r, &st);
	assert_int_equal(st.connects, 2);
	assert_int_equal(st.reuses, 0);
	assert_int_equal(st.idle, 0);
	smtp_close(r);

	r = open_smtp(port, "idle_timeout=1");
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 250);
	relay_smtp_backend.stats(r, &st);
	assert_int_equal(st.idle, 1);
	run_until(&never, 1, 2);
	relay_smtp_backend.stats(r, &st);
	assert_int_equal(st.idle, 0);
	assert_int_equal(st.busy, 0);
	smtp_close(r);
	sink_stop(pid);
}

/* Aborted while the body is on its way: the connection goes, silently. */
static void
test_smtp_abort_mid_data(void **state)
{
	int			 port = free_port(), i;
	pid_t			 pid = sink_start(port, NULL, "-w", "1", NULL);
	struct relay		*r = open_smtp(port, NULL);
	struct relay_txn	*txn;
	struct relay_stats	 st;
	struct spool		*sp = spool_of(tricky_msg);
	struct rec		 rec;

	memset(&rec, 0, sizeof rec);
	txn = relay_smtp_backend.begin(r, &env, rec_cb, &rec);
	relay_smtp_backend.rcpt(txn, "bob@example.net", rec_cb, &rec);
	run_until(&rec.n, 2, 10);
	relay_smtp_backend.data(txn, sp, rec_cb, &rec);
	for (i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	relay_smtp_backend.abort(txn);
	run_until(&rec.n, 3, 2);
	assert_int_equal(rec.n, 2);
	relay_smtp_backend.stats(r, &st);
	assert_int_equal(st.idle + st.busy, 0);
	assert_int_equal(st.messages, 0);
	spool_free(sp);
	smtp_close(r);
	sink_stop(pid);
}

/* A pooled connection the next hop closed is replaced, unnoticed. */
static void
test_smtp_dead_pooled(void **state)
{
	int		 port = free_port();
	pid_t		 pid = sink_start(port, NULL, NULL);
	struct relay	*r = open_smtp(port, NULL);
	struct relay_stats st;
	struct rec	 rec;

	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 250);
	sink_stop(pid);
	pid = sink_start(port, NULL, NULL);
	/* The loop has not run: the pool still believes in the old one. */
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 250);
	relay_smtp_backend.stats(r, &st);
	assert_int_equal(st.connects, 2);
	assert_int_equal(st.reuses, 1);
	assert_int_equal(st.retries, 1);
	sink_stop(pid);
	smtp_close(r);
}

/* An aborted transaction leaves a clean connection for the next one. */
static void
test_smtp_abort_reuse(void **state)
{
	int			 port = free_port();
	pid_t			 pid = sink_start(port, NULL, NULL);
	struct relay		*r = open_smtp(port, NULL);
	struct relay_txn	*txn;
	struct relay_stats	 st;
	struct rec		 rec;

	memset(&rec, 0, sizeof rec);
	txn = relay_smtp_backend.begin(r, &env, rec_cb, &rec);
	relay_smtp_backend.rcpt(txn, "bob@example.net", rec_cb, &rec);
	run_until(&rec.n, 2, 10);
	assert_int_equal(rec.n, 2);
	relay_smtp_backend.abort(txn);
	run_until(&rec.n, 3, 1);	/* the RSET goes out meanwhile */
	assert_int_equal(rec.n, 2);	/* no callback after abort */
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 250);
	relay_smtp_backend.stats(r, &st);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.reuses, 1);
	sink_stop(pid);
	smtp_close(r);
}

static void
test_smtp_bad_address(void **state)
{
	int			 port = free_port();
	pid_t			 pid = sink_start(port, NULL, NULL);
	struct relay		*r = open_smtp(port, NULL);
	struct relay_txn	*txn;
	struct rec		 rec;

	memset(&rec, 0, sizeof rec);
	txn = relay_smtp_backend.begin(r, &env, rec_cb, &rec);
	relay_smtp_backend.rcpt(txn, "evil>\r\nRCPT TO:<x@y", rec_cb, &rec);
	assert_int_equal(rec.n, 0);	/* never from inside the call */
	run_until(&rec.n, 2, 10);
	assert_int_equal(rec.r[rec.r[0].code == 501 ? 0 : 1].code, 501);
	relay_smtp_backend.done(txn);
	sink_stop(pid);
	smtp_close(r);
}

/*
 * A misbehaving next hop: a thread answers by a script.
 */

#define FAKE_HUGE_EHLO	"<huge ehlo>"
#define FAKE_HUGE_LINE	"<huge line>"
#define FAKE_CUT_BODY	"<cut body>"
#define FAKE_READ_BODY	"<read body>"
#define FAKE_TLS	"<tls>"		/* 220, then TLS on the server side */

struct fake_step {
	const char	*expect;	/* command prefix; NULL: at connect */
	const char	*reply;		/* NULL: close */
};

struct fake {
	int			 fd;
	int			 conn;
	SSL_CTX			*ctx;
	SSL			*ssl;		/* after FAKE_TLS */
	int			 port;
	pthread_t		 thread;
	const struct fake_step	*script;
	char			 saw[4096];	/* the commands received */
};

static int
fake_readline(struct fake *f, char *buf, size_t len)
{
	size_t	i = 0;
	char	c;

	while (i + 1 < len && (f->ssl != NULL ? SSL_read(f->ssl, &c, 1) :
	    read(f->conn, &c, 1)) == 1) {
		buf[i++] = c;
		if (c == '\n')
			break;
	}
	buf[i] = '\0';
	return (i > 0 ? 0 : -1);
}

static void
fake_write(struct fake *f, const char *s)
{
	size_t	len = strlen(s);
	ssize_t	n;

	while (len > 0 && (n = (f->ssl != NULL ? SSL_write(f->ssl, s, len) :
	    write(f->conn, s, len))) > 0) {
		s += n;
		len -= n;
	}
}

/* A throw-away self-signed certificate for "localhost". */
static SSL_CTX *
fake_tls_ctx(void)
{
	SSL_CTX		*ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY	*key = EVP_EC_gen("P-256");
	X509		*x = X509_new();
	X509_NAME	*name;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_sign(x, key, EVP_sha256());
	SSL_CTX_use_certificate(ctx, x);
	SSL_CTX_use_PrivateKey(ctx, key);
	X509_free(x);
	EVP_PKEY_free(key);
	return (ctx);
}

static void
fake_special(struct fake *f, int fd, const char *what)
{
	char	line[1024], *big;
	int	i;

	if (strcmp(what, FAKE_HUGE_EHLO) == 0) {
		for (i = 0; i < 100000; i++)
			fake_write(f, "250-XEXTENSION\r\n");
		fake_write(f, "250 OK\r\n");
	} else if (strcmp(what, FAKE_HUGE_LINE) == 0) {
		big = malloc(1 << 20);
		memset(big, 'a', (1 << 20) - 3);
		memcpy(big, "250", 3);
		memcpy(big + (1 << 20) - 3, "\r\n", 3);
		fake_write(f, big);
		free(big);
	} else if (strcmp(what, FAKE_CUT_BODY) == 0) {
		fake_write(f, "354 go ahead\r\n");
		fake_readline(f, line, sizeof line);
	} else if (strcmp(what, FAKE_TLS) == 0) {
		fake_write(f, "220 2.0.0 ready to start TLS\r\n");
		f->ctx = fake_tls_ctx();
		f->ssl = SSL_new(f->ctx);
		SSL_set_fd(f->ssl, fd);
		if (SSL_accept(f->ssl) != 1) {
			SSL_free(f->ssl);
			f->ssl = NULL;
			shutdown(fd, SHUT_RDWR);
		}
	} else if (strcmp(what, FAKE_READ_BODY) == 0) {
		while (fake_readline(f, line, sizeof line) == 0 &&
		    strcmp(line, ".\r\n") != 0)
			strncat(f->saw, line, sizeof f->saw - strlen(f->saw) - 1);
	}
}

static void *
fake_run(void *arg)
{
	struct fake		*f = arg;
	const struct fake_step	*s;
	struct timeval		 tv = { 5, 0 };
	char			 line[1024];
	int			 fd;

	if ((fd = f->conn = accept(f->fd, NULL, NULL)) == -1)
		return (NULL);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (s = f->script; s->expect != NULL || s->reply != NULL ||
	    s == f->script; s++) {
		if (s->expect != NULL) {
			if (fake_readline(f, line, sizeof line) == -1)
				break;
			strncat(f->saw, line, sizeof f->saw - strlen(f->saw) - 1);
		}
		if (s->reply == NULL)
			break;
		if (s->reply[0] == '<')
			fake_special(f, fd, s->reply);
		else
			fake_write(f, s->reply);
	}
	if (f->ssl != NULL) {
		SSL_shutdown(f->ssl);
		SSL_free(f->ssl);
		f->ssl = NULL;
	}
	if (f->ctx != NULL)
		SSL_CTX_free(f->ctx);
	shutdown(fd, SHUT_WR);
	while (fake_readline(f, line, sizeof line) == 0)
		;
	close(fd);
	return (NULL);
}

static void
fake_start(struct fake *f, const struct fake_step *script)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			one = 1;

	memset(f, 0, sizeof *f);
	f->script = script;
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(f->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(f->fd, 5), 0);
	getsockname(f->fd, (struct sockaddr *)&sin, &len);
	f->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

static void
fake_stop(struct fake *f)
{
	shutdown(f->fd, SHUT_RDWR);
	pthread_join(f->thread, NULL);
	close(f->fd);
}

/* Run script; the reply of the failing step must contain want. */
static void
fake_case(const struct fake_step *script, const char *opts, int want_code,
    const char *want)
{
	struct fake	 f;
	struct relay	*r;
	struct rec	 rec;
	int		 code, last;

	fake_start(&f, script);
	r = open_smtp(f.port, opts);
	code = send_message(&relay_smtp_backend, r, one_rcpt, tricky_msg, &rec);
	smtp_close(r);
	fake_stop(&f);
	assert_int_not_equal(code, 250);
	last = rec.n - 1;
	assert_true(last >= 0);
	if (strstr(rec.r[last].text, want) == NULL ||
	    rec.r[last].code != want_code)
		fail_msg("got %d %s, want %d ...%s...", rec.r[last].code,
		    rec.r[last].text, want_code, want);
}

static void
test_fake_250_for_354(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", "250-fake\r\n250 PIPELINING\r\n" },
		{ "MAIL", "250 ok\r\n" },
		{ "RCPT", "250 ok\r\n" },
		{ "DATA", "250 ok\r\n" },
		{ NULL, NULL },
	};

	fake_case(s, NULL, 451, "answered DATA with 250 instead of 354");
}

static void
test_fake_garbage(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", "250 fake\r\n" },
		{ "MAIL", "hello there, I am not SMTP\r\n" },
		{ NULL, NULL },
	};

	fake_case(s, NULL, 451, "4.3.0 next hop");
	fake_case(s, NULL, 451, "sent a malformed reply to MAIL");
}

static void
test_fake_huge_ehlo(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", FAKE_HUGE_EHLO },
		{ NULL, NULL },
	};

	fake_case(s, NULL, 451, "sent a reply of more than 200 lines to EHLO");
}

static void
test_fake_huge_line(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", "250 fake\r\n" },
		{ "MAIL", FAKE_HUGE_LINE },
		{ NULL, NULL },
	};

	fake_case(s, NULL, 451, "sent a reply line over 1024 bytes");
}

static void
test_fake_cut_mid_data(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", "250 fake\r\n" },
		{ "MAIL", "250 ok\r\n" },
		{ "RCPT", "250 ok\r\n" },
		{ "DATA", FAKE_CUT_BODY },
		{ NULL, NULL },
	};

	fake_case(s, NULL, 451, "4.4.2");
}

static void
test_fake_421_greeting(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "421 4.3.2 too busy, come back later\r\n" },
		{ NULL, NULL },
	};

	fake_case(s, NULL, 451, "refused the session: 421 4.3.2 too busy");
}

/* Text pipelined after the 220 to STARTTLS: the CVE-2011-0411 class. */
static void
test_fake_starttls_injection(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", "250-fake\r\n250 STARTTLS\r\n" },
		{ "STARTTLS", "220 go ahead\r\n250 injected\r\n" },
		{ NULL, NULL },
	};

	fake_case(s, "starttls=try", 451, "sent text after its 220 to STARTTLS");
}

/* EHLO refused: HELO, no pipelining, and it all still works. */
static void
test_fake_helo_fallback(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "220 old SMTP\r\n" },
		{ "EHLO", "502 what?\r\n" },
		{ "HELO", "250 hello\r\n" },
		{ "MAIL", "250 ok\r\n" },
		{ "RCPT", "250 ok\r\n" },
		{ "DATA", "354 go\r\n" },
		{ NULL, FAKE_READ_BODY },
		{ NULL, "250 queued as OLD1\r\n" },
		{ NULL, NULL },
	};
	struct fake	 f;
	struct relay	*r;
	struct rec	 rec;

	fake_start(&f, s);
	r = open_smtp(f.port, NULL);
	assert_int_equal(send_message(&relay_smtp_backend, r, one_rcpt,
	    tricky_msg, &rec), 250);
	assert_string_equal(rec.r[2].text, "2.0.0 queued as OLD1");
	smtp_close(r);
	fake_stop(&f);
	assert_non_null(strstr(f.saw, "HELO "));
	assert_non_null(strstr(f.saw, "MAIL FROM:<alice@example.com>\r\n"));
}

/* Run a script that should end in 250; returns what the server saw. */
static void
fake_ok(const struct fake_step *script, const char *opts, const char *saw)
{
	struct fake	 f;
	struct relay	*r;
	struct rec	 rec;

	int		 code;

	fake_start(&f, script);
	r = open_smtp(f.port, opts);
	code = send_message(&relay_smtp_backend, r, one_rcpt, tricky_msg, &rec);
	smtp_close(r);
	fake_stop(&f);
	if (code != 250)
		fail_msg("got %d %s; server saw: %s", rec.r[rec.n - 1].code,
		    rec.r[rec.n - 1].text, f.saw);
	if (strstr(f.saw, saw) == NULL)
		fail_msg("server saw \"%s\", not \"%s\"", f.saw, saw);
}

static const struct fake_step tls_script[] = {
	{ NULL, "220 fake ESMTP\r\n" },
	{ "EHLO", "250-fake\r\n250-STARTTLS\r\n250 PIPELINING\r\n" },
	{ "STARTTLS", FAKE_TLS },
	{ "EHLO", "250-fake\r\n250-AUTH LOGIN PLAIN\r\n250 PIPELINING\r\n" },
	{ "MAIL", "250 2.1.0 ok\r\n" },
	{ "RCPT", "250 2.1.5 ok\r\n" },
	{ "DATA", "354 go\r\n" },
	{ NULL, FAKE_READ_BODY },
	{ NULL, "250 2.0.0 queued as TLS1\r\n" },
	{ NULL, NULL },
};

/* STARTTLS offered and taken; EHLO again inside TLS. */
static void
test_fake_starttls(void **state)
{
	fake_ok(tls_script, "starttls=yes", "STARTTLS\r\nEHLO ");
	fake_ok(tls_script, "starttls=try", "STARTTLS\r\nEHLO ");
}

/* verify=yes refuses a self-signed certificate. */
static void
test_fake_starttls_verify(void **state)
{
	fake_case(tls_script, "starttls=yes&verify=yes", 451,
	    "4.7.5 TLS with next hop");
}

/* starttls=no keeps to plain text though STARTTLS is offered. */
static void
test_fake_starttls_no(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", "250-fake\r\n250 STARTTLS\r\n" },
		{ "MAIL", "250 ok\r\n" },
		{ "RCPT", "250 ok\r\n" },
		{ "DATA", "354 go\r\n" },
		{ NULL, FAKE_READ_BODY },
		{ NULL, "250 ok\r\n" },
		{ NULL, NULL },
	};

	fake_ok(s, "starttls=no", "MAIL FROM:<alice@example.com>");
}

static const struct fake_step auth_script[] = {
	{ NULL, "220 fake ESMTP\r\n" },
	{ "EHLO", "250-fake\r\n250-AUTH LOGIN PLAIN\r\n250 PIPELINING\r\n" },
	{ "AUTH", "235 2.7.0 ok\r\n" },
	{ "MAIL", "250 ok\r\n" },
	{ "RCPT", "250 ok\r\n" },
	{ "DATA", "354 go\r\n" },
	{ NULL, FAKE_READ_BODY },
	{ NULL, "250 ok\r\n" },
	{ NULL, NULL },
};

static char *
auth_opts(const char *password)
{
	char	*pw, *opts;
	FILE	*f;

	assert_true(asprintf(&pw, "%s/pw", tmpdir) > 0);
	f = fopen(pw, "w");
	fprintf(f, "%s\n", password);
	fclose(f);
	assert_true(asprintf(&opts, "starttls=no&auth=bob&password_file=%s",
	    pw) > 0);
	free(pw);
	return (opts);
}

/* AUTH PLAIN with the password from the file. */
static void
test_fake_auth(void **state)
{
	static const struct fake_step refused[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", "250-fake\r\n250 AUTH PLAIN\r\n" },
		{ "AUTH", "535 5.7.8 authentication failed\r\n" },
		{ NULL, NULL },
	};
	static const struct fake_step no_auth[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", "250 fake\r\n" },
		{ NULL, NULL },
	};
	char	*opts = auth_opts("secret");

	fake_ok(auth_script, opts, "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n");
	fake_case(refused, opts, 451, "4.7.0 next hop");
	fake_case(refused, opts, 451, "refused our AUTH as bob: 535 5.7.8 "
	    "authentication failed");
	fake_case(no_auth, opts, 451, "does not offer AUTH PLAIN");
	free(opts);
}

/* The next hop's SIZE limit: refused before the message is sent. */
static void
test_fake_size(void **state)
{
	static const struct fake_step s[] = {
		{ NULL, "220 fake ESMTP\r\n" },
		{ "EHLO", "250-fake\r\n250-SIZE 50\r\n250 PIPELINING\r\n" },
		{ "MAIL", "250 ok\r\n" },
		{ "RCPT", "250 ok\r\n" },
		{ "RSET", "250 ok\r\n" },
		{ NULL, NULL },
	};

	fake_case(s, NULL, 552, "5.3.4 message size 93 exceeds the next "
	    "hop's limit of 50");
}

/*
 * maildir:
 */

static void
test_maildir_deliver(void **state)
{
	char		*md, *cause = NULL, *path, *all;
	struct relay	*r;
	struct rec	 rec;
	struct stat	 sb;
	int		 n;

	assert_true(asprintf(&md, "maildir:%s/Maildir", tmpdir) > 0);
	r = relay_maildir_backend.open(base, md, &cause);
	assert_non_null(r);
	assert_int_equal(stat(md + 8, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(send_message(&relay_maildir_backend, r, two_rcpts,
	    tricky_msg, &rec), 250);
	assert_string_equal(rec.r[3].text, "2.0.0 Ok: queued as 4XyZ12");

	assert_true(asprintf(&path, "%s/new", md + 8) > 0);
	all = dir_slurp(path, &n);
	assert_int_equal(n, 1);
	assert_string_equal(all,
	    "Return-Path: <alice@example.com>\n"
	    "X-Outfilter-Rcpt: <bob@example.net>\n"
	    "X-Outfilter-Rcpt: <carol@example.org>\n"
	    "From: alice@example.com\n"
	    "Subject: dots\n"
	    "\n"
	    ".x leading dot\n"
	    ".\n"
	    "..two dots\n"
	    "after the lone dot\n");
	free(all);
	free(path);
	/* The name follows the maildir convention and carries our ID. */
	{
		DIR *d;
		struct dirent *de;
		int found = 0;

		assert_true(asprintf(&path, "%s/new", md + 8) > 0);
		d = opendir(path);
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' &&
			    strstr(de->d_name, "_4XyZ12.") != NULL &&
			    strstr(de->d_name, ".M") != NULL)
				found = 1;
		closedir(d);
		assert_true(found);
		free(path);
	}
	assert_true(asprintf(&path, "%s/tmp", md + 8) > 0);
	all = dir_slurp(path, &n);
	assert_int_equal(n, 0);
	free(all);
	free(path);
	relay_maildir_backend.close(r);
	free(md);
}

/* A file size limit stands in for a full disk: 452, and no file left. */
static void
test_maildir_full(void **state)
{
	char		*md, *cause = NULL, *path, *all, *big;
	struct relay	*r;
	struct rec	 rec;
	struct rlimit	 old, small;
	int		 n;

	assert_true(asprintf(&md, "maildir:%s/Full", tmpdir) > 0);
	r = relay_maildir_backend.open(base, md, &cause);
	assert_non_null(r);
	big = malloc(20001);
	memset(big, 'x', 20000);
	big[20000] = '\0';
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	n = send_message(&relay_maildir_backend, r, one_rcpt, big, &rec);
	setrlimit(RLIMIT_FSIZE, &old);
	assert_int_equal(n, 452);
	assert_non_null(strstr(rec.r[2].text, "4.3.1 insufficient system "
	    "storage"));
	assert_true(asprintf(&path, "%s/tmp", md + 8) > 0);
	all = dir_slurp(path, &n);
	assert_int_equal(n, 0);
	free(all);
	free(path);
	assert_true(asprintf(&path, "%s/new", md + 8) > 0);
	all = dir_slurp(path, &n);
	assert_int_equal(n, 0);
	free(all);
	free(path);
	free(big);
	relay_maildir_backend.close(r);
	free(md);
}

static void
test_maildir_refusals(void **state)
{
	char		*cause = NULL;
	struct relay	*r;

	assert_null(relay_maildir_backend.open(base, "maildir:", &cause));
	free(cause);
	cause = NULL;
	assert_null(relay_maildir_backend.open(base,
	    "maildir:/proc/nonexistent/x", &cause));
	assert_non_null(strstr(cause, "maildir /proc/nonexistent/x"));
	free(cause);
	(void)r;
}

static int
setup(void **state)
{
	signal(SIGPIPE, SIG_IGN);
	assert_non_null(mkdtemp(tmpdir));
	chmod(tmpdir, 0755);
	base = event_base_new();
	return (base == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	event_base_free(base);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return (system(cmd) == 0 ? 0 : -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stuffing),
		cmocka_unit_test(test_reply_peer),
		cmocka_unit_test(test_backend_find),
		cmocka_unit_test(test_smtp_relay_and_reuse),
		cmocka_unit_test(test_smtp_rcpt_refused),
		cmocka_unit_test(test_smtp_mail_refused),
		cmocka_unit_test(test_smtp_refused_after_data),
		cmocka_unit_test(test_smtp_down),
		cmocka_unit_test(test_smtp_cut),
		cmocka_unit_test(test_smtp_timeout),
		cmocka_unit_test(test_smtp_starttls_required),
		cmocka_unit_test(test_smtp_8bitmime),
		cmocka_unit_test(test_smtp_smtputf8),
		cmocka_unit_test(test_smtp_pool_limits),
		cmocka_unit_test(test_smtp_abort_mid_data),
		cmocka_unit_test(test_smtp_dead_pooled),
		cmocka_unit_test(test_smtp_abort_reuse),
		cmocka_unit_test(test_smtp_bad_address),
		cmocka_unit_test(test_fake_250_for_354),
		cmocka_unit_test(test_fake_garbage),
		cmocka_unit_test(test_fake_huge_ehlo),
		cmocka_unit_test(test_fake_huge_line),
		cmocka_unit_test(test_fake_cut_mid_data),
		cmocka_unit_test(test_fake_421_greeting),
		cmocka_unit_test(test_fake_starttls_injection),
		cmocka_unit_test(test_fake_helo_fallback),
		cmocka_unit_test(test_fake_starttls),
		cmocka_unit_test(test_fake_starttls_verify),
		cmocka_unit_test(test_fake_starttls_no),
		cmocka_unit_test(test_fake_auth),
		cmocka_unit_test(test_fake_size),
		cmocka_unit_test(test_maildir_deliver),
		cmocka_unit_test(test_maildir_full),
		cmocka_unit_test(test_maildir_refusals),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
