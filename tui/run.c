/*
 * Long texts go to the programs made for them, as crontab -e and mutt do:
 * a template's body to $VISUAL or $EDITOR, a message to $PAGER.  Curses
 * steps aside (endwin) while they run and comes back after; the text goes
 * through a private temporary file that is removed again.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui.h"

/* Longest text read back from the editor: what a template takes. */
#define RUN_MAX_TEXT	IPC_MAX_TEXT

static const char *
run_program(const char *var1, const char *var2, const char *fallback)
{
	const char	*p;

	if ((p = getenv(var1)) != NULL && *p != '\0')
		return p;
	if (var2 != NULL && (p = getenv(var2)) != NULL && *p != '\0')
		return p;
	return fallback;
}

/* A private file holding text; its name in path.  0 or -1 (said). */
static int
run_tempfile(char *path, size_t size, const char *suffix, const char *text)
{
	const char	*dir = getenv("TMPDIR");
	size_t		 len = strlen(text);
	FILE		*f;
	int		 fd;

	snprintf(path, size, "%s/outfilter-tui.XXXXXX%s",
	    dir != NULL && *dir != '\0' ? dir : "/tmp", suffix);
	if ((fd = mkstemps(path, (int)strlen(suffix))) == -1) {
		frame_err("cannot make a temporary file in %s: %s",
		    dir != NULL && *dir != '\0' ? dir : "/tmp", strerror(errno));
		return -1;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		frame_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		unlink(path);
		frame_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Run "PROGRAM FILE" through the shell (PROGRAM may carry options, as
 * EDITOR="vim -n" does) with the terminal handed over; the console
 * ignores ^C meanwhile, as system() does.  Returns the exit status, or
 * -1 when it could not run.
 */
static int
run_on_terminal(const char *program, const char *path)
{
	struct sigaction	 ign, oint, oquit;
	pid_t			 pid;
	int			 status = -1;

	def_prog_mode();
	endwin();
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	if ((pid = fork()) == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", program, path,
		    (char *)NULL);
		_exit(127);
	}
	if (pid != -1) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	reset_prog_mode();
	/* Back to the console: everything is drawn again. */
	clearok(curscr, TRUE);
	tui_rebuild();
	if (pid == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status);
}

static char *
run_read(const char *path)
{
	FILE	*f;
	char	*text;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((text = malloc(RUN_MAX_TEXT + 2)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(text, 1, RUN_MAX_TEXT + 1, f);
	fclose(f);
	if (n > RUN_MAX_TEXT) {
		free(text);
		errno = EFBIG;
		return NULL;
	}
	text[n] = '\0';
	return text;
}

int
run_editor(char **text, const char *suffix)
{
	const char	*editor = run_program("VISUAL", "EDITOR", "vi");
	char		 path[4096], *fresh;
	int		 rc;

	if (run_tempfile(path, sizeof path, suffix, *text != NULL ? *text :
	    "") == -1)
		return -1;
	if ((rc = run_on_terminal(editor, path)) != 0) {
		unlink(path);
		frame_err("%s exited with %d: the text is unchanged", editor,
		    rc);
		return -1;
	}
	fresh = run_read(path);
	unlink(path);
	if (fresh == NULL) {
		frame_err("cannot read the edited text back: %s",
		    errno == EFBIG ? "longer than a template takes" :
		    strerror(errno));
		return -1;
	}
	free(*text);
	*text = fresh;
	return 0;
}

int
run_pager_file(const char *path)
{
	const char	*pager = run_program("PAGER", NULL, "less");
	int		 rc;

	if ((rc = run_on_terminal(pager, path)) != 0) {
		frame_err("%s exited with %d", pager, rc);
		return -1;
	}
	return 0;
}

int
run_pager(const char *text)
{
	const char	*pager = run_program("PAGER", NULL, "less");
	char		 path[4096];
	int		 rc;

	if (run_tempfile(path, sizeof path, ".txt", text) == -1)
		return -1;
	rc = run_on_terminal(pager, path);
	unlink(path);
	if (rc != 0) {
		frame_err("%s exited with %d", pager, rc);
		return -1;
	}
	return 0;
}
