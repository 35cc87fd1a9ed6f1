/* Process life of outfilterd: pid file, detaching, privileges, signals. */
#ifndef OF_DAEMON_H
#define OF_DAEMON_H

#include <sys/types.h>

struct event_base;

/*
 * Lock the pid file (created when missing).  0: locked, ours.  1: another
 * outfilterd holds it; *running is its pid (0 if unreadable).  -1: error
 * with *cause.  The lock lasts as long as the process.
 */
int	daemon_pidfile_lock(const char *path, pid_t *running, char **cause);
/* Write our pid into the locked pid file. */
int	daemon_pidfile_write(char **cause);
void	daemon_pidfile_remove(void);

/*
 * Fork into the background.  The parent waits until the child calls
 * daemon_ready() (and exits 0) or dies (and exits with its status), so
 * whoever started outfilterd learns whether it came up.
 */
void	daemon_detach(void);
/* Tell the waiting parent all went well; stdio goes to /dev/null. */
void	daemon_ready(void);

/* Create path and its missing parents; a new last directory gets mode. */
int	daemon_mkdirs(const char *path, mode_t mode, char **cause);

/*
 * Become user: the paths (NULL-terminated; missing ones are skipped) are
 * handed to it first, then getpwnam, chdir("/"), setgroups, setresgid,
 * setresuid, and a check that root cannot be regained.
 */
int	daemon_drop_privileges(const char *user, const char *const *paths,
	    char **cause);

/* Block (1) or unblock (0) the signals the main loop handles. */
void	daemon_sigblock(int block);

/* What the main loop calls on signals. */
struct daemon_hooks {
	void	(*reload)(void *);	/* SIGHUP */
	/*
	 * SIGTERM, SIGINT: begin stopping, and call daemon_loop_end() once
	 * done (NULL: the loop ends at once).  A second signal ends the
	 * loop at once.
	 */
	void	(*stop)(void *);
	void	*arg;
};

/*
 * The main thread's event loop on base (made by the caller, so that
 * other parts can put their events on it first).  Returns 0 when stopped
 * by a signal, -1 on error.
 */
int	daemon_loop(struct event_base *, const struct daemon_hooks *,
	    char **cause);
/* End the loop (from inside it). */
void	daemon_loop_end(struct event_base *);

#endif
