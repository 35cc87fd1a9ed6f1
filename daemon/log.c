/*
 * Logging: to stderr in the foreground (-d), else to syslog.  Between
 * detaching and being ready both are used, so that a start-up failure
 * still reaches the terminal that started the daemon.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int	log_to = LOG_TO_STDERR;
static int	log_level = LOG_INFO;

void
log_init(int to, int facility, int level)
{
	if ((log_to & LOG_TO_SYSLOG) && !(to & LOG_TO_SYSLOG))
		closelog();
	if (to & LOG_TO_SYSLOG)
		openlog("outfilterd", LOG_PID | LOG_NDELAY, facility);
	log_to = to;
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

void
log_setlevel(int level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

int
log_getlevel(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

static int
log_stderr(int pri)
{
	return (log_to & LOG_TO_STDERR) &&
	    (!(log_to & LOG_STDERR_QUIET) || pri <= LOG_WARNING);
}

static void
log_vwrite(int pri, const char *fmt, va_list ap)
{
	char	msg[2048];

	if (pri > log_getlevel())
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_stderr(pri))
		fprintf(stderr, "%s\n", msg);
	if (log_to & LOG_TO_SYSLOG)
		syslog(pri, "%s", msg);
}

/* fmt followed by ": " and the text of errno. */
static void
log_verrno(int pri, const char *fmt, va_list ap)
{
	char	msg[1536];
	int	saved = errno;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (pri <= log_getlevel()) {
		if (log_stderr(pri))
			fprintf(stderr, "%s: %s\n", msg, strerror(saved));
		if (log_to & LOG_TO_SYSLOG)
			syslog(pri, "%s: %s", msg, strerror(saved));
	}
	errno = saved;
}

#define LOG_FN(name, pri, body) \
void \
name(const char *fmt, ...) \
{ \
	va_list	ap; \
	va_start(ap, fmt); \
	body(pri, fmt, ap); \
	va_end(ap); \
}

LOG_FN(log_warn, LOG_WARNING, log_verrno)
LOG_FN(log_warnx, LOG_WARNING, log_vwrite)
LOG_FN(log_notice, LOG_NOTICE, log_vwrite)
LOG_FN(log_info, LOG_INFO, log_vwrite)
LOG_FN(log_debug, LOG_DEBUG, log_vwrite)

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_verrno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatal_status(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(status);
}

const char *
log_safe(const char *s, char *buf, size_t len)
{
	size_t	i;

	if (len == 0)
		return "";
	for (i = 0; s[i] != '\0' && i < len - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}
