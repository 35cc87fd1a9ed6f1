/*
 * outfilterd: the outgoing mail filtering relay.  main() reads the
 * options and the configuration, then either checks it (-n), sets up the
 * state directory (--init) or runs the daemon: database, control socket,
 * pid file, privileges dropped, then the event loop until SIGTERM.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "conf.h"
#include "control.h"
#include "curve.h"
#include "daemon.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "notice.h"
#include "passwd.h"
#include "abuse.h"
#include "content.h"
#include "dkim.h"
#include "mailarchive.h"
#include "tls.h"
#include "policy.h"
#include "smtp.h"
#include "spam.h"
#include "worker.h"

#define OFD_ADMIN		"admin"
#define OFD_ADMIN_PWFILE	"admin.password"
/* Random bytes of the first admin's password: 20 base64url characters. */
#define OFD_ADMIN_PWBYTES	15
/* What freed memory is overwritten with (glibc's M_PERTURB). */
#define OFD_FREE_FILL		0xa5

#ifdef __SANITIZE_ADDRESS__
/*
 * AddressSanitizer's allocator ignores M_PERTURB: have it fill freed
 * memory instead, so that a sanitizer build keeps secrets as well.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "max_free_fill_size=2147483647:free_fill_byte=165";
}
#endif

/* A folder to teach the builtin spam engine (--train-ham, --train-spam). */
struct ofd_train {
	const char	*dir;
	int		 is_spam;
};

struct ofd {
	struct config	*conf;
	struct control	*control;
	struct db	*db;
	struct event_base *base;
	struct policy	*policy;
	struct worker_pool *pool;
	struct smtp_server *smtp;
	struct spam_service *spam;
	struct abuse	*abuse;
	struct ofd_train *train;
	size_t		 ntrain;
	const char	*file;		/* absolute, or NULL: built-in defaults */
	char		 basedir[PATH_MAX];
	int		 foreground;
	int		 verbose;
};

/* A failure of the file set by id, named by the line that set it. */
static int
ofd_key_fail(const struct config *c, enum conf_id id, char *why,
    char **cause)
{
	char	where[PATH_MAX + 32];

	conf_where(c, id, id, where, sizeof where);
	ipc_cause(cause, "%s%s", where, why);
	free(why);
	return -1;
}

/*
 * The files holding secrets, checked before anything starts (and by -n):
 * a key others may read, or a certificate that is not there, is a
 * configuration error, not a warning.  Files still to be made (by --init
 * or on first use) pass.
 */
static int
ofd_keys_check(const struct config *c, char **cause)
{
	const char	*cert = conf_str(c, CONF_smtp_tls_cert);
	const char	*key = conf_str(c, CONF_smtp_tls_key);
	char		*why = NULL, *bad = NULL;

	if (*cert != '\0' && access(cert, R_OK) == -1) {
		ipc_cause(&why, "[smtp] tls_cert %s: %s", cert, strerror(errno));
		return ofd_key_fail(c, CONF_smtp_tls_cert, why, cause);
	}
	if (*key != '\0' && tls_check_key(key, &bad) == -1) {
		ipc_cause(&why, "[smtp] tls_key %s", bad);
		free(bad);
		return ofd_key_fail(c, CONF_smtp_tls_key, why, cause);
	}
	if (dkim_keyfile_check(c, &why) == -1)
		return ofd_key_fail(c, CONF_dkim_key_file, why, cause);
	if (archive_keyfile_check(c, &why) == -1)
		return ofd_key_fail(c, CONF_archive_key_file, why, cause);
	return 0;
}

static void __attribute__((noreturn))
ofd_usage(FILE *f, int status)
{
	fprintf(f,
"usage: outfilterd [-dnv] [-c FILE] [--init] [--train-ham DIR] [--train-spam DIR]\n"
"  -c FILE    read FILE (default: " IPC_SYSTEM_CONFIG " if it exists,\n"
"             else the built-in defaults, which keep everything under ./var\n"
"             of the working directory)\n"
"  -d         stay in the foreground and log to stderr\n"
"  -n         check the configuration, say \"configuration OK\" and exit\n"
"  -v         log debug messages too\n"
"  --init     create the directories and the database and, when there is\n"
"             no admin yet, the super-admin \"" OFD_ADMIN "\" whose password is\n"
"             written to STATE_DIR/" OFD_ADMIN_PWFILE " (mode 0600); running it\n"
"             again changes nothing\n"
"  --train-ham DIR, --train-spam DIR\n"
"             teach the builtin spam engine that every file of DIR (one\n"
"             message each) is ham or spam, then exit; repeatable; shows\n"
"             progress on a terminal; a running daemon reads the new\n"
"             counts on SIGHUP\n"
"  --help     this text\n"
"  --version  the version\n"
"Starting without --init creates a missing database but no admin account:\n"
"the local super-admin uids of [control] super_uids (root by default) can\n"
"still use outfilterctl.  Exit status: 0 done, 64 usage, 73 cannot create\n"
"the state, 66 cannot read a folder to train on, 75 already running, 78\n"
"configuration error.\n");
	exit(status);
}

/*
 * Keep passwords and keys out of core files and other processes: no core
 * file, and no debugger but root's, unless [daemon] core_dumps asks for
 * them.  (Becoming the service user makes the process undumpable again;
 * ofd_drop() undoes that when they are asked for.)
 */
static void
ofd_harden(const struct config *conf)
{
	struct rlimit	rl = { 0, 0 };

	if (conf_int(conf, CONF_daemon_core_dumps))
		return;
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		log_warn("setrlimit RLIMIT_CORE");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		log_warn("prctl PR_SET_DUMPABLE");
}

/* The file to read: -c FILE made absolute (for reloads after a chdir). */
static const char *
ofd_config_file(const char *given, const char *basedir)
{
	static char	path[PATH_MAX * 2];

	if (given == NULL)
		return access(IPC_SYSTEM_CONFIG, F_OK) == 0 ?
		    IPC_SYSTEM_CONFIG : NULL;
	if (*given == '/')
		return given;
	snprintf(path, sizeof path, "%s/%s", basedir, given);
	return path;
}

static void
ofd_dirs(const struct config *conf)
{
	char	*cause = NULL;

	if (daemon_mkdirs(conf_str(conf, CONF_paths_state_dir), 0700,
	    &cause) == -1 ||
	    daemon_mkdirs(conf_str(conf, CONF_quarantine_dir), 0700,
	    &cause) == -1 ||
	    daemon_mkdirs(conf_str(conf, CONF_archive_dir), 0700,
	    &cause) == -1 ||
	    daemon_mkdirs(conf_str(conf, CONF_paths_run_dir), 0750,
	    &cause) == -1)
		fatal_status(EX_CANTCREAT, "%s", cause);
}

/* Write the password to a new 0600 file; -1 with cause. */
static int
ofd_write_secret(const char *path, const char *pw, char **cause)
{
	size_t	len = strlen(pw);
	int	fd;

	if (unlink(path) == -1 && errno != ENOENT)
		return ipc_cause(cause, "%s: %s", path, strerror(errno));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return ipc_cause(cause, "%s: %s", path, strerror(errno));
	if (write(fd, pw, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) == -1) {
		ipc_cause(cause, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The first super-admin, with a random password written to a 0600 file;
 * the account and the file come together or not at all.
 */
static int
ofd_init_admin(struct db *db, const char *path, char **cause)
{
	unsigned char	 raw[OFD_ADMIN_PWBYTES];
	char		 pw[OFD_ADMIN_PWBYTES * 2], hash[PASSWD_HASH_MAX];
	json_t		*none = json_array();
	int		 rc = -1;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(pw, sizeof pw, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (passwd_hash(pw, hash) == -1)
		ipc_cause(cause, "cannot hash the password (out of memory?)");
	else if (db_begin(db, cause) == 0) {
		if (db_admin_add(db, OFD_ADMIN, hash, 1, none, cause) == 0 &&
		    ofd_write_secret(path, pw, cause) == 0 &&
		    (rc = db_commit(db, cause)) == -1)
			unlink(path);
		if (rc == -1)
			db_rollback(db);
	}
	json_decref(none);
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(pw, sizeof pw);
	return rc;
}

/* With a remote_endpoint, the control socket's CURVE key pair. */
static void
ofd_init_curve(const struct config *conf)
{
	const char	*path = conf_str(conf, CONF_control_curve_secret_file);
	char		 secret[CURVE_Z85_LEN + 1], public[CURVE_Z85_LEN + 1];
	char		*cause = NULL;
	int		 made;

	if (*conf_str(conf, CONF_control_remote_endpoint) == '\0')
		return;
	if (curve_keys(conf, 1, secret, public, &made, &cause) == -1)
		fatal_status(EX_CANTCREAT, "%s", cause);
	sodium_memzero(secret, sizeof secret);
	if (made)
		printf("created the control socket's CURVE key pair %s (mode "
		    "0600); clients need its public key %s, also in %s.pub\n",
		    path, public, path);
}

static int
ofd_init(const struct config *conf)
{
	const char	*path = conf_str(conf, CONF_paths_database);
	char		*cause = NULL, pwfile[PATH_MAX + 32];
	struct db	*db;
	int64_t		 n;
	int		 existed = access(path, F_OK) == 0;

	ofd_dirs(conf);
	ofd_init_curve(conf);
	if ((db = db_open(path, 1, &cause)) == NULL)
		fatal_status(EX_CANTCREAT, "%s", cause);
	if (db_admin_count(db, &n, &cause) == -1)
		fatal_status(EX_SOFTWARE, "%s", cause);
	if (n > 0) {
		printf("already initialised: %s holds %lld admin account%s\n",
		    path, (long long)n, n == 1 ? "" : "s");
		db_close(db);
		return EX_OK;
	}
	if (!existed)
		printf("created the database %s\n", path);
	snprintf(pwfile, sizeof pwfile, "%s/" OFD_ADMIN_PWFILE,
	    conf_str(conf, CONF_paths_state_dir));
	if (ofd_init_admin(db, pwfile, &cause) == -1)
		fatal_status(EX_CANTCREAT, "%s", cause);
	printf("created the super-admin \"" OFD_ADMIN "\"; its password is in "
	    "%s (mode 0600)\n", pwfile);
	db_close(db);
	return EX_OK;
}

/* Where training stands, shown on a terminal only. */
struct ofd_progress {
	const char	*dir;
	const char	*class;
};

static void
ofd_train_progress(void *arg, size_t done, size_t total)
{
	struct ofd_progress	*p = arg;

	if (done % 25 == 0 || done == total) {
		printf("\rlearning %s as %s: %zu/%zu", p->dir, p->class, done,
		    total);
		fflush(stdout);
	}
}

/*
 * --train-ham, --train-spam: the builtin engine learns each folder in
 * one transaction, as spam-cv train does; a folder already learnt counts
 * twice if given again.
 */
static int
ofd_train(const struct ofd *o)
{
	struct spam_config	 cfg;
	struct ofd_progress	 p;
	struct spam		*sp;
	struct db		*db;
	char			*cause = NULL;
	size_t			 i, n;
	int			 tty = isatty(STDOUT_FILENO);

	ofd_dirs(o->conf);
	if ((db = db_open(conf_str(o->conf, CONF_paths_database), 1,
	    &cause)) == NULL)
		fatal_status(EX_CANTCREAT, "%s", cause);
	memset(&cfg, 0, sizeof cfg);
	cfg.spec = "builtin";
	cfg.db = db;
	if ((sp = spam_builtin_engine.open(&cfg, &cause)) == NULL)
		fatal_status(EX_SOFTWARE, "spam: %s", cause);
	for (i = 0; i < o->ntrain; i++) {
		p.dir = o->train[i].dir;
		p.class = o->train[i].is_spam ? "spam" : "ham";
		if (spam_learn_dir_progress(&spam_builtin_engine, sp, db, p.dir,
		    o->train[i].is_spam, tty ? ofd_train_progress : NULL, &p,
		    &n, &cause) == -1) {
			if (tty)
				printf("\n");
			fatal_status(access(p.dir, R_OK | X_OK) == -1 ?
			    EX_NOINPUT : EX_SOFTWARE, "spam training: %s",
			    cause);
		}
		if (tty)
			printf("\r%s: %zu messages learnt as %s\033[K\n",
			    p.dir, n, p.class);
	}
	spam_builtin_engine.close(sp);
	db_close(db);
	return EX_OK;
}

static void
ofd_log_setup(const struct ofd *o, int to)
{
	log_init(to, conf_int(o->conf, CONF_daemon_syslog_facility),
	    o->verbose ? LOG_DEBUG : conf_int(o->conf, CONF_daemon_log_level));
}

static void
ofd_restart_needed(const struct conf_setting *s, const char *was,
    const char *now)
{
	log_warnx("config: [%s] %s changed from \"%s\" to \"%s\": that takes "
	    "a restart; the old value stays in force", s->section, s->key,
	    was, now);
}

/* SIGHUP: a broken file leaves the running configuration in force. */
static void
ofd_reload(void *arg)
{
	struct ofd	*o = arg;
	struct config	*c;
	char		*cause = NULL;

	if ((c = conf_load(o->file, o->basedir, &cause)) == NULL) {
		log_warnx("config: %s; the running configuration stays in "
		    "force", cause);
		free(cause);
		return;
	}
	conf_keep_restart(c, o->conf, ofd_restart_needed);
	conf_unref(o->conf);
	o->conf = c;
	ofd_log_setup(o, o->foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG);
	control_reload(o->control, c);
	policy_reload(o->policy, c);
	abuse_reload(o->abuse, c);
	smtp_server_reload(o->smtp, c);
	spam_service_reload(o->spam, c);
	log_info("config: reloaded %s", o->file ? o->file : "the built-in "
	    "defaults");
}

/* Both database handles: the main thread's and the control thread's. */
static struct db *
ofd_open_db(struct ofd *o)
{
	const char	*path = conf_str(o->conf, CONF_paths_database);
	char		*cause = NULL;
	struct db	*cdb;
	int		 existed = access(path, F_OK) == 0;

	if ((o->db = db_open(path, 1, &cause)) == NULL ||
	    (cdb = db_open(path, 0, &cause)) == NULL)
		fatal_status(EX_CANTCREAT, "%s", cause);
	if (!existed)
		log_notice("created the database %s; `outfilterd --init` makes "
		    "the first admin account", path);
	/* Without it notices still go out, with the built-in text. */
	if (notice_default_install(o->db, &cause) == -1) {
		log_warnx("the default lock notice: %s", cause);
		free(cause);
	}
	return cdb;
}

static void
ofd_drop(struct ofd *o)
{
	const char	*user = conf_str(o->conf, CONF_daemon_user);
	const char	*db = conf_str(o->conf, CONF_paths_database);
	const char	*state = conf_str(o->conf, CONF_paths_state_dir);
	char		 wal[PATH_MAX + 8], shm[PATH_MAX + 8], *cause = NULL;
	char		 tlsdir[PATH_MAX + 8], tlskey[PATH_MAX + 32];
	char		 tlscert[PATH_MAX + 32], md[4][PATH_MAX + 8];
	char		 curvepub[PATH_MAX + 8];
	const char	*hop = conf_str(o->conf, CONF_relay_next_hop);
	int		 selfsigned = *conf_str(o->conf, CONF_smtp_tls_key) == '\0';
	const char	*paths[] = {
		conf_str(o->conf, CONF_paths_state_dir),
		conf_str(o->conf, CONF_paths_run_dir),
		db, wal, shm,
		conf_str(o->conf, CONF_daemon_pid_file),
		control_socket_path(o->control),
		events_socket_path(),
		smtp_server_spool_dir(o->smtp),
		conf_str(o->conf, CONF_quarantine_dir),
		conf_str(o->conf, CONF_archive_dir),
		conf_str(o->conf, CONF_archive_key_file),
		conf_str(o->conf, CONF_dkim_key_file),
		conf_str(o->conf, CONF_control_curve_secret_file), curvepub,
		/* A maildir next hop, made (as root) when the relay opened. */
		md[0], md[1], md[2], md[3],
		/* The self-signed pair only: a configured one is the admin's. */
		selfsigned ? tlsdir : NULL, tlskey, tlscert,
		NULL
	};
	static const char *const sub[] = { "", "/tmp", "/new", "/cur" };
	size_t		 i;

	if (*user == '\0')
		return;
	snprintf(wal, sizeof wal, "%s-wal", db);
	snprintf(shm, sizeof shm, "%s-shm", db);
	snprintf(tlsdir, sizeof tlsdir, "%s/tls", state);
	snprintf(tlskey, sizeof tlskey, "%s/key.pem", tlsdir);
	snprintf(tlscert, sizeof tlscert, "%s/cert.pem", tlsdir);
	snprintf(curvepub, sizeof curvepub, "%s.pub",
	    conf_str(o->conf, CONF_control_curve_secret_file));
	for (i = 0; i < 4; i++)
		if (strncmp(hop, "maildir:", 8) == 0)
			snprintf(md[i], sizeof md[i], "%s%s", hop + 8, sub[i]);
		else
			md[i][0] = '\0';
	if (daemon_drop_privileges(user, paths, &cause) == -1)
		fatal_status(EX_NOPERM, "%s", cause);
	if (conf_int(o->conf, CONF_daemon_core_dumps) &&
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == -1)
		log_warn("prctl PR_SET_DUMPABLE");
	log_info("running as %s", user);
}

/* Take the pid file, or say who holds it. */
static void
ofd_pidfile(const struct config *conf)
{
	char	*cause = NULL;
	pid_t	 pid;

	switch (daemon_pidfile_lock(conf_str(conf, CONF_daemon_pid_file), &pid,
	    &cause)) {
	case -1:
		fatal_status(EX_CANTCREAT, "%s", cause);
	case 1:
		fatal_status(EX_TEMPFAIL, "outfilterd already running (pid %ld)",
		    (long)pid);
	}
}

static void
ofd_stopped(void *arg)
{
	struct ofd	*o = arg;

	daemon_loop_end(o->base);
}

/* SIGTERM: the SMTP sessions finish their messages first. */
static void
ofd_stop(void *arg)
{
	struct ofd	*o = arg;

	smtp_server_stop(o->smtp, ofd_stopped, o);
}

/*
 * The event loop, the policy, the worker pool and the SMTP listeners
 * (bound now: port 25 needs root; accepting starts after the drop).
 */
static void
ofd_smtp_open(struct ofd *o)
{
	char	*cause = NULL;

	if ((o->base = event_base_new()) == NULL)
		fatal_status(EX_OSERR, "libevent: cannot make an event base");
	/* GMime and libgsf are readied once, before the worker threads. */
	content_init();
	if ((o->policy = policy_open(o->conf, &cause)) == NULL)
		fatal_status(EX_UNAVAILABLE, "policy: %s", cause);
	if ((o->pool = worker_pool_new(o->base, conf_int(o->conf,
	    CONF_daemon_worker_threads), &cause)) == NULL)
		fatal_status(EX_OSERR, "%s", cause);
	if ((o->smtp = smtp_server_open(o->conf, o->base, o->policy, o->pool,
	    &cause)) == NULL)
		fatal_status(EX_UNAVAILABLE, "%s", cause);
	if ((o->abuse = abuse_open(o->conf, o->policy, o->spam,
	    &cause)) == NULL)
		fatal_status(EX_OSERR, "%s", cause);
	smtp_server_abuse(o->smtp, o->abuse);
}

/* In this order: no session, no job, then what they used. */
static void
ofd_smtp_close(struct ofd *o)
{
	smtp_server_abort(o->smtp);
	worker_pool_free(o->pool);
	smtp_server_close(o->smtp);
	abuse_close(o->abuse);
	policy_close(o->policy);
	event_base_free(o->base);
}

static int
ofd_run(struct ofd *o)
{
	struct daemon_hooks hooks = { ofd_reload, ofd_stop, o };
	struct db	*cdb;
	char		*cause = NULL;

	ofd_log_setup(o, LOG_TO_STDERR);
	ofd_dirs(o->conf);
	ofd_pidfile(o->conf);
	if (!o->foreground) {
		daemon_detach();
		/* Until ready, failures also reach whoever started us. */
		ofd_log_setup(o, LOG_TO_STDERR | LOG_STDERR_QUIET | LOG_TO_SYSLOG);
	}
	cdb = ofd_open_db(o);
	/* Threads made from here on leave the signals to the main loop. */
	daemon_sigblock(1);
	if ((o->control = control_open(o->conf, cdb, &cause)) == NULL)
		fatal_status(EX_UNAVAILABLE, "control: %s", cause);
	if (events_open(o->conf, control_zmq_ctx(o->control), &cause) == -1)
		fatal_status(EX_UNAVAILABLE, "%s", cause);
	if ((o->spam = spam_service_open(o->conf, &cause)) == NULL)
		fatal_status(EX_UNAVAILABLE, "spam: %s", cause);
	control_set_spam(o->control, o->spam);
	ofd_smtp_open(o);
	if (daemon_pidfile_write(&cause) == -1)
		fatal_status(EX_CANTCREAT, "%s", cause);
	ofd_drop(o);
	if (control_start(o->control, &cause) == -1)
		fatal_status(EX_OSERR, "control: %s", cause);
	if (smtp_server_start(o->smtp, &cause) == -1)
		fatal_status(EX_OSERR, "%s", cause);
	log_info("outfilterd %s started (pid %ld)", PACKAGE_VERSION,
	    (long)getpid());
	if (!o->foreground) {
		daemon_ready();
		ofd_log_setup(o, LOG_TO_SYSLOG);
	}
	if (daemon_loop(o->base, &hooks, &cause) == -1)
		log_warnx("%s", cause);
	ofd_smtp_close(o);
	events_close();
	control_close(o->control);
	spam_service_close(o->spam);
	db_close(o->db);
	daemon_pidfile_remove();
	log_info("outfilterd stopped");
	conf_unref(o->conf);
	return EX_OK;
}

static void
ofd_train_add(struct ofd *o, const char *dir, int is_spam)
{
	struct ofd_train	*t;

	if ((t = reallocarray(o->train, o->ntrain + 1, sizeof *t)) == NULL)
		fatal("reallocarray");
	o->train = t;
	t[o->ntrain].dir = dir;
	t[o->ntrain++].is_spam = is_spam;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "init", no_argument, NULL, 'I' },
		{ "train-ham", required_argument, NULL, 'H' },
		{ "train-spam", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ofd	 o;
	const char	*given = NULL;
	char		*cause = NULL;
	int		 ch, check = 0, init = 0, rc;

	memset(&o, 0, sizeof o);
	umask(077);
	/*
	 * Freed memory is overwritten, so that a password or key a library
	 * copied and freed (libzmq's PLAIN and ZAP messages, jansson's
	 * lexer, OpenSSL's PEM reader) is not left behind in the heap.
	 */
	mallopt(M_PERTURB, OFD_FREE_FILL);
	signal(SIGPIPE, SIG_IGN);
	log_init(LOG_TO_STDERR, LOG_MAIL, LOG_INFO);
	while ((ch = getopt_long(argc, argv, "c:dhnvV", longopts, NULL)) != -1)
		switch (ch) {
		case 'c': given = optarg; break;
		case 'd': o.foreground = 1; break;
		case 'n': check = 1; break;
		case 'v': o.verbose = 1; break;
		case 'I': init = 1; break;
		case 'H':
		case 'S': ofd_train_add(&o, optarg, ch == 'S'); break;
		case 'h': ofd_usage(stdout, EX_OK);
		case 'V': printf("outfilterd %s\n", PACKAGE_VERSION); return EX_OK;
		default: ofd_usage(stderr, EX_USAGE);
		}
	if (optind != argc)
		ofd_usage(stderr, EX_USAGE);
	if (sodium_init() == -1)
		fatalx("libsodium cannot start");
	if (getcwd(o.basedir, sizeof o.basedir) == NULL)
		fatal("getcwd");
	o.file = ofd_config_file(given, o.basedir);
	if ((o.conf = conf_load(o.file, o.basedir, &cause)) == NULL)
		fatal_status(EX_CONFIG, "%s", cause);
	ofd_harden(o.conf);
	if (ofd_keys_check(o.conf, &cause) == -1)
		fatal_status(EX_CONFIG, "%s", cause);
	if (check && smtp_conf_check(o.conf, &cause) == -1)
		fatal_status(EX_CONFIG, "%s", cause);
	/* tcp:// control without CURVE's keys is refused, not started. */
	if (curve_conf_check(o.conf, &cause) == -1)
		fatal_status(EX_CONFIG, "%s", cause);
	if (check)
		printf("configuration OK\n");
	if (check || init || o.ntrain > 0) {
		rc = check ? EX_OK : init ? ofd_init(o.conf) : EX_OK;
		if (!check && rc == EX_OK && o.ntrain > 0)
			rc = ofd_train(&o);
		free(o.train);
		conf_unref(o.conf);
		return rc;
	}
	return ofd_run(&o);
}
