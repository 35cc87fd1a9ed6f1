/* outfilterd's logging, in the OpenSMTPD manner. */
#ifndef OF_LOG_H
#define OF_LOG_H

#include <stdarg.h>

#define LOG_TO_STDERR	0x1
#define LOG_TO_SYSLOG	0x2
/* With LOG_TO_STDERR: only warnings and worse go to stderr. */
#define LOG_STDERR_QUIET	0x4

/* Where messages go (LOG_TO_*), the syslog facility, and the least
 * important level logged (LOG_DEBUG ... LOG_ERR). */
void	log_init(int to, int facility, int level);
void	log_setlevel(int level);
int	log_getlevel(void);

/* log_warn appends strerror(errno); log_warnx does not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Start-up failures and broken invariants only: log and exit(1). */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Log and exit with a sysexits status. */
void	fatal_status(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/*
 * Text from a peer made safe for a log line: control characters become
 * '?', and it is cut to fit buf.  Returns buf.
 */
const char *log_safe(const char *, char *buf, size_t len);

#endif
