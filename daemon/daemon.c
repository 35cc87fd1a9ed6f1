/* Process life of outfilterd: pid file, detaching, privileges, signals. */
#define _GNU_SOURCE		/* setresuid, setresgid, pipe2 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>
#include <event2/event.h>

#include "ipc.h"
#include "daemon.h"
#include "log.h"

static int	 daemon_pidfd = -1;
static char	*daemon_pidpath;
static int	 daemon_readyfd = -1;

/* The pid written in an open pid file, or 0. */
static pid_t
daemon_pidfile_read(int fd)
{
	char	buf[32];
	ssize_t	n;

	if ((n = pread(fd, buf, sizeof buf - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

int
daemon_pidfile_lock(const char *path, pid_t *running, char **cause)
{
	int	fd;

	*running = 0;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return ipc_cause(cause, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			close(fd);
			return ipc_cause(cause, "%s: %s", path, strerror(errno));
		}
		*running = daemon_pidfile_read(fd);
		close(fd);
		return 1;
	}
	if ((daemon_pidpath = strdup(path)) == NULL) {
		close(fd);
		return ipc_cause(cause, "out of memory");
	}
	daemon_pidfd = fd;
	/* A start that fails after this point leaves no pid file behind. */
	atexit(daemon_pidfile_remove);
	return 0;
}

int
daemon_pidfile_write(char **cause)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(daemon_pidfd, 0) == -1 ||
	    pwrite(daemon_pidfd, buf, n, 0) != n)
		return ipc_cause(cause, "%s: %s", daemon_pidpath,
		    strerror(errno));
	return 0;
}

void
daemon_pidfile_remove(void)
{
	if (daemon_pidfd == -1)
		return;
	if (unlink(daemon_pidpath) == -1)
		log_warn("%s", daemon_pidpath);
	close(daemon_pidfd);
	daemon_pidfd = -1;
	free(daemon_pidpath);
	daemon_pidpath = NULL;
}

/* The parent's side of daemon_detach(): wait for ready or death. */
static void __attribute__((noreturn))
daemon_wait_child(pid_t pid, int fd)
{
	char	c;
	int	status;

	if (read(fd, &c, 1) == 1)
		_exit(0);
	if (waitpid(pid, &status, 0) == -1)
		_exit(1);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

void
daemon_detach(void)
{
	int	p[2];
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		close(p[0]);
		daemon_readyfd = p[1];
		if (setsid() == -1)
			fatal("setsid");
		return;
	default:
		close(p[1]);
		daemon_wait_child(pid, p[0]);
	}
}

void
daemon_ready(void)
{
	int	fd;

	if (daemon_readyfd == -1)
		return;
	if (write(daemon_readyfd, "", 1) != 1)
		log_warn("telling the parent we are ready");
	close(daemon_readyfd);
	daemon_readyfd = -1;
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

int
daemon_mkdirs(const char *path, mode_t mode, char **cause)
{
	char	buf[PATH_MAX], *p;

	if (strlen(path) >= sizeof buf)
		return ipc_cause(cause, "%s: path too long", path);
	strcpy(buf, path);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '/' && p[1] == '\0')
			*p = '\0';
		if (*p == '\0') {
			if (mkdir(buf, mode) == 0)
				return chmod(buf, mode) == 0 ? 0 :
				    ipc_cause(cause, "%s: %s", buf, strerror(errno));
			if (errno == EEXIST)
				return 0;
			return ipc_cause(cause, "%s: %s", buf, strerror(errno));
		}
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return ipc_cause(cause, "%s: %s", buf, strerror(errno));
		*p = '/';
	}
}

/* Give the paths that exist to pw, so it can use them once we are it. */
static int
daemon_give(const struct passwd *pw, const char *const *paths, char **cause)
{
	for (; paths != NULL && *paths != NULL; paths++)
		if (lchown(*paths, pw->pw_uid, pw->pw_gid) == -1 &&
		    errno != ENOENT)
			return ipc_cause(cause, "%s: %s", *paths,
			    strerror(errno));
	return 0;
}

int
daemon_drop_privileges(const char *user, const char *const *paths,
    char **cause)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid;

	if ((pw = getpwnam(user)) == NULL)
		return ipc_cause(cause, "no such user: %s", user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (geteuid() == 0 && daemon_give(pw, paths, cause) == -1)
		return -1;
	if (chdir("/") == -1)
		return ipc_cause(cause, "chdir /: %s", strerror(errno));
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		return ipc_cause(cause, "cannot become %s: %s", user,
		    strerror(errno));
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		return ipc_cause(cause, "root could be regained after "
		    "becoming %s", user);
	return 0;
}

void
daemon_sigblock(int block)
{
	sigset_t	set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

struct daemon_loop {
	struct event_base		*base;
	const struct daemon_hooks	*hooks;
	int				 stopping;
};

void
daemon_loop_end(struct event_base *base)
{
	event_base_loopbreak(base);
}

static void
daemon_on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct daemon_loop	*dl = arg;

	if (dl->stopping || dl->hooks->stop == NULL) {
		log_info("%s: stopping now", strsignal(sig));
		event_base_loopbreak(dl->base);
		return;
	}
	log_info("%s: stopping", strsignal(sig));
	dl->stopping = 1;
	dl->hooks->stop(dl->hooks->arg);
}

static void
daemon_on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon_loop	*dl = arg;

	log_info("SIGHUP: reloading the configuration");
	dl->hooks->reload(dl->hooks->arg);
}

int
daemon_loop(struct event_base *base, const struct daemon_hooks *hooks,
    char **cause)
{
	struct daemon_loop	 dl = { base, hooks, 0 };
	struct event		*ev[3] = { NULL, NULL, NULL };
	int			 i, rc = -1;

	ev[0] = evsignal_new(dl.base, SIGTERM, daemon_on_stop, &dl);
	ev[1] = evsignal_new(dl.base, SIGINT, daemon_on_stop, &dl);
	ev[2] = evsignal_new(dl.base, SIGHUP, daemon_on_hup, &dl);
	for (i = 0; i < 3; i++)
		if (ev[i] == NULL || evsignal_add(ev[i], NULL) == -1) {
			ipc_cause(cause, "libevent: cannot watch signals");
			goto done;
		}
	daemon_sigblock(0);
	if (event_base_dispatch(dl.base) == -1)
		ipc_cause(cause, "libevent: the event loop failed");
	else
		rc = 0;
	daemon_sigblock(1);
done:
	for (i = 0; i < 3; i++)
		if (ev[i] != NULL)
			event_free(ev[i]);
	return rc;
}
