/*
 * The daemon's event socket, for the status screen: the counters it
 * publishes every second, their history over the last hour and the
 * latest locks, unlocks and refused messages.  The socket lets in
 * super-admins only, so it is opened once whoami says super, with the
 * login the connection was opened with; that password is kept until then
 * in memory of its own (sodium_malloc: guarded, never swapped, wiped when
 * freed) and dropped as soon as the subscriber has it or the role is known
 * to be another.  The main loop drains the socket every round without
 * waiting (live_poll), so a silent or absent daemon never holds it up;
 * libzmq reconnects by itself when the daemon comes back.
 */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "tui.h"

/* Events drained in one round at most: the keyboard comes first. */
#define LIVE_DRAIN	200

static struct {
	enum live_state	 state;
	char		 why[512];
	struct ipc_sub	*sub;
	int		 asking;	/* the events command is out */
	/* The login for the subscriber, until it is opened. */
	int		 have_login;
	char		*user;
	char		*password;	/* sodium_malloc'ed */
	json_t		*stats;		/* the latest stats event */
	time_t		 stats_at;
	/* Per-minute rates, a sample a minute: hist[s][minute % LIVE_HOUR]. */
	long long	 hist[LIVE_NSERIES][LIVE_HOUR];
	time_t		 hist_minute;	/* the minute of the newest sample */
	int		 nhist;		/* samples so far (up to LIVE_HOUR) */
	/* The latest events, newest at (first + n - 1) % LIVE_EVENTS. */
	char		*events[LIVE_EVENTS];
	int		 first, n;
} live;

const struct live_series live_series[LIVE_NSERIES] = {
	{ "relayed_per_minute", "relayed" },
	{ "spam_per_minute", "spam" },
	{ "refused_per_minute", "refused" },
};

static void
live_forget_login(void)
{
	free(live.user);
	live.user = NULL;
	if (live.password != NULL)
		sodium_free(live.password);	/* wipes it */
	live.password = NULL;
	live.have_login = 0;
}

void
live_login(const char *user, const char *password)
{
	size_t	len = password != NULL ? strlen(password) : 0;

	live_stop();
	live_forget_login();
	live.state = LIVE_OFF;
	if (sodium_init() == -1 ||
	    (user != NULL && (live.user = strdup(user)) == NULL))
		return;
	if (password != NULL) {
		if ((live.password = sodium_malloc(len + 1)) == NULL) {
			live_forget_login();
			return;
		}
		memcpy(live.password, password, len + 1);
		sodium_mprotect_noaccess(live.password);
	}
	live.have_login = 1;
}

/* The events command answered: where the socket is. */
static void
live_endpoint(void *arg, int rc, json_t *result, const struct ipc_error *err)
{
	const char	*ep = json_string_value(json_object_get(result,
			    "endpoint"));
	char		*cause = NULL;

	live.asking = 0;
	if (rc == IPC_CALL_UNREACHABLE || live.sub != NULL ||
	    !live.have_login)
		return;		/* asked again when the daemon is back */
	if (rc != IPC_CALL_OK || ep == NULL) {
		live.state = LIVE_FAILED;
		snprintf(live.why, sizeof live.why, "%s", rc != IPC_CALL_OK ?
		    err->message : "the daemon did not say where its event "
		    "socket is");
		return;
	}
	if (live.password != NULL)
		sodium_mprotect_readonly(live.password);
	live.sub = ipc_sub_open(ep, live.user, live.password, NULL, &cause);
	live_forget_login();
	if (live.sub == NULL) {
		live.state = LIVE_FAILED;
		snprintf(live.why, sizeof live.why, "%s", cause);
		free(cause);
		return;
	}
	live.state = LIVE_WAITING;
}

void
live_whoami(int super)
{
	if (!super) {
		live_stop();
		live_forget_login();
		live.state = LIVE_NOT_SUPER;
		return;
	}
	if (live.sub != NULL || live.asking || !live.have_login)
		return;
	if (conn_call("events", NULL, live_endpoint, &live) == 0)
		live.asking = 1;
}

/* The per-minute rates of this stats event into the hour's history. */
static void
live_sample(const json_t *stats, time_t now)
{
	time_t	minute = now / 60;
	int	i;

	if (live.nhist > 0 && minute == live.hist_minute) {
		for (i = 0; i < LIVE_NSERIES; i++)
			live.hist[i][minute % LIVE_HOUR] = json_integer_value(
			    json_object_get(stats, live_series[i].key));
		return;
	}
	/* Minutes without a sample (the daemon was away) count as none. */
	while (live.nhist > 0 && live.hist_minute + 1 < minute &&
	    minute - live.hist_minute < LIVE_HOUR) {
		live.hist_minute++;
		for (i = 0; i < LIVE_NSERIES; i++)
			live.hist[i][live.hist_minute % LIVE_HOUR] = 0;
		if (live.nhist < LIVE_HOUR)
			live.nhist++;
	}
	if (live.nhist > 0 && minute - live.hist_minute >= LIVE_HOUR)
		live.nhist = 0;
	live.hist_minute = minute;
	if (live.nhist < LIVE_HOUR)
		live.nhist++;
	for (i = 0; i < LIVE_NSERIES; i++)
		live.hist[i][minute % LIVE_HOUR] = json_integer_value(
		    json_object_get(stats, live_series[i].key));
}

/* A member of an event as text, or "" when absent; malloc'ed, ASCII. */
static char *
live_member(const json_t *e, const char *key)
{
	const char	*s = json_string_value(json_object_get(e, key));

	return text_safe(s != NULL ? s : "", 0);
}

char *
live_event_text(const json_t *e)
{
	const char	*type = json_string_value(json_object_get(e, "type"));
	time_t		 t = json_integer_value(json_object_get(e, "time"));
	char		*who, *ident, *by, *reason, *from, *status, *line = NULL;
	char		 when[16], what[64] = "";
	struct tm	 tm;
	int		 lock;

	if (type == NULL)
		return NULL;
	localtime_r(&t, &tm);
	strftime(when, sizeof when, "%H:%M:%S", &tm);
	who = live_member(e, "user");
	ident = live_member(e, "identity");
	by = live_member(e, "by");
	reason = live_member(e, "reason");
	from = live_member(e, "from");
	status = live_member(e, "status");
	lock = strcmp(type, "lock") == 0;
	if (lock || strcmp(type, "unlock") == 0) {
		if (lock && json_integer_value(json_object_get(e, "minutes")) > 0)
			snprintf(what, sizeof what, " for %lld min", (long long)
			    json_integer_value(json_object_get(e, "minutes")));
		if (asprintf(&line, "%s %-8s %s%s%s%s%s%s%s%s%s", when, type,
		    *ident ? ident : who, *ident ? " of " : "", *ident ? who :
		    "", *by ? " by " : "", by, json_is_true(json_object_get(e,
		    "automatic")) ? " (automatic)" : "", what, *reason ? ": " :
		    "", reason) == -1)
			line = NULL;
	} else if (asprintf(&line, "%s %-8s %s from %s%s%s", when,
	    status, *who ? who : "(no user)", *from ? from : "<>",
	    *reason ? ": " : "", reason) == -1)
		line = NULL;
	free(who);
	free(ident);
	free(by);
	free(reason);
	free(from);
	free(status);
	return line;
}

/* The event's line, newest kept, the oldest dropped when full. */
static void
live_keep(const json_t *e)
{
	char	*line;
	int	 at;

	if ((line = live_event_text(e)) == NULL)
		return;
	at = (live.first + live.n) % LIVE_EVENTS;
	if (live.n == LIVE_EVENTS) {
		free(live.events[live.first]);
		live.first = (live.first + 1) % LIVE_EVENTS;
		at = (live.first + live.n - 1) % LIVE_EVENTS;
	} else
		live.n++;
	live.events[at] = line;
}

static void
live_event(json_t *e)
{
	const char	*type = json_string_value(json_object_get(e, "type"));
	const char	*status;
	time_t		 now = time(NULL);

	if (type == NULL)
		return;
	if (strcmp(type, "stats") == 0) {
		json_decref(live.stats);
		live.stats = json_incref(e);
		live.stats_at = now;
		live.state = LIVE_UP;
		live_sample(e, now);
		return;
	}
	if (strcmp(type, "message") == 0) {
		/* The relayed ones are counted; the others are news. */
		status = json_string_value(json_object_get(e, "status"));
		if (status == NULL || strcmp(status, "relayed") == 0)
			return;
	}
	live_keep(e);
}

int
live_poll(void)
{
	json_t	*e;
	char	*cause = NULL;
	int	 i, got = 0;

	for (i = 0; live.sub != NULL && i < LIVE_DRAIN; i++) {
		switch (ipc_sub_next(live.sub, 0, &e, &cause)) {
		case 1:
			live_event(e);
			json_decref(e);
			got = 1;
			continue;
		case -1:
			live.state = LIVE_FAILED;
			snprintf(live.why, sizeof live.why, "%s", cause);
			free(cause);
			ipc_sub_close(live.sub);
			live.sub = NULL;
			return 1;
		}
		break;
	}
	return got;
}

void
live_stop(void)
{
	ipc_sub_close(live.sub);
	live.sub = NULL;
	json_decref(live.stats);
	live.stats = NULL;
	live.nhist = 0;
	if (live.state != LIVE_NOT_SUPER)
		live.state = LIVE_OFF;
}

/* At the end: everything freed, the login wiped. */
void
live_free(void)
{
	live_stop();
	live_forget_login();
	while (live.n > 0) {
		free(live.events[live.first]);
		live.first = (live.first + 1) % LIVE_EVENTS;
		live.n--;
	}
}

enum live_state
live_state(void)
{
	/* No counters for a while: the daemon is away (libzmq knocks). */
	if (live.state == LIVE_UP && time(NULL) - live.stats_at > 3)
		return LIVE_WAITING;
	return live.state;
}

const char *
live_why(void)
{
	return live.why;
}

const json_t *
live_stats(void)
{
	return live.stats;
}

int
live_history(int series, long long *v, int max)
{
	int	i, n = live.nhist < max ? live.nhist : max;

	/* Oldest first: v[n - 1] is the newest minute. */
	for (i = 0; i < n; i++)
		v[i] = live.hist[series][(live.hist_minute - (n - 1 - i)) %
		    LIVE_HOUR];
	return n;
}

const char *
live_event_line(int i)
{
	if (i < 0 || i >= live.n)
		return NULL;
	return live.events[(live.first + live.n - 1 - i) % LIVE_EVENTS];
}
