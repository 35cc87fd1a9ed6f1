/*
 * The event socket without a daemon: [control] events and its default,
 * events through a real PUB socket to ipc_sub (framing, fields, order
 * per publishing thread), the counters' event, publishing before open
 * and after close, a flood with nobody listening, and the text form
 * outfilterctl prints.
 */
#define _GNU_SOURCE		/* asprintf */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zmq.h>

#include "conf.h"
#include "control.h"
#include "events.h"
#include "ipc.h"
#include "stats.h"

static char	tmpdir[] = "/tmp/test_events.XXXXXX";

/*
 * The daemon's context stands in: a ZAP handler that lets in anyone but
 * "bad", on the event socket's ZAP domain only.
 */
static void	*zctx;
static void	*zsock;
static pthread_t zthread;

static void
zap_send(const char *s, int more)
{
	zmq_send(zsock, s, strlen(s), more ? ZMQ_SNDMORE : 0);
}

static void *
zap_thread(void *arg)
{
	zmq_msg_t	f[8];
	char		domain[64], user[64], id[64];
	int		n, more;

	(void)arg;
	for (;;) {
		for (n = 0, more = 1; more; n++) {
			zmq_msg_init(&f[n < 8 ? n : 7]);
			if (zmq_msg_recv(&f[n < 8 ? n : 7], zsock, 0) == -1)
				goto out;
			more = zmq_msg_more(&f[n < 8 ? n : 7]);
		}
		snprintf(id, sizeof id, "%.*s", (int)zmq_msg_size(&f[1]),
		    (char *)zmq_msg_data(&f[1]));
		snprintf(domain, sizeof domain, "%.*s",
		    (int)zmq_msg_size(&f[2]), (char *)zmq_msg_data(&f[2]));
		snprintf(user, sizeof user, "%.*s", (int)zmq_msg_size(&f[6]),
		    (char *)zmq_msg_data(&f[6]));
		for (n = n > 8 ? 8 : n; n > 0; n--)
			zmq_msg_close(&f[n - 1]);
		zap_send("1.0", 1);
		zap_send(id, 1);
		if (strcmp(domain, ZAP_DOMAIN_EVENTS) == 0 &&
		    strcmp(user, "bad") != 0) {
			zap_send("200", 1);
			zap_send("OK", 1);
		} else {
			zap_send("400", 1);
			zap_send("no", 1);
		}
		zap_send(user, 1);
		zap_send("", 0);
	}
out:
	zmq_close(zsock);
	return NULL;
}

static struct config *
load(const char *extra, char **cause)
{
	struct config	*c;
	char		*path, *text;
	FILE		*f;

	assert_int_not_equal(asprintf(&path, "%s/of.conf", tmpdir), -1);
	assert_int_not_equal(asprintf(&text, "[paths]\nstate_dir = %s/lib\n"
	    "run_dir = %s/run\n[control]\nendpoint = ipc://%s/run/control\n%s",
	    tmpdir, tmpdir, tmpdir, extra), -1);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	*cause = NULL;
	c = conf_load(path, tmpdir, cause);
	free(path);
	free(text);
	return c;
}

static void
test_config(void **state)
{
	struct config	*c;
	char		*cause, *want;

	(void)state;
	assert_non_null(c = load("", &cause));
	assert_int_not_equal(asprintf(&want, "ipc://%s/run/events", tmpdir), -1);
	assert_string_equal(conf_str(c, CONF_control_events), want);
	free(want);
	conf_unref(c);

	assert_non_null(c = load("events = ipc://ev/x\n", &cause));
	assert_int_not_equal(asprintf(&want, "ipc://%s/ev/x", tmpdir), -1);
	assert_string_equal(conf_str(c, CONF_control_events), want);
	free(want);
	conf_unref(c);

	assert_null(c = load("events = run/control\n", &cause));
	assert_non_null(strstr(cause, "events"));
	assert_non_null(strstr(cause, "not ipc://PATH"));
	free(cause);

	assert_null(c = load("events = ipc://run/control\n", &cause));
	assert_non_null(strstr(cause, "[control] events"));
	assert_non_null(strstr(cause, "is the control socket"));
	free(cause);
}

/* A subscriber; the first stats event says it is connected. */
static struct ipc_sub *
subscribe(const struct config *c, json_t *types)
{
	struct ipc_sub	*s;
	json_t		*e = NULL, *all = json_array();
	char		*cause = NULL;
	int		 i;

	json_array_append_new(all, json_string(EVENT_STATS));
	assert_non_null(s = ipc_sub_open(conf_str(c, CONF_control_events),
	    "anyone", "anything", types != NULL ? types : all, &cause));
	for (i = 0; i < 5 && e == NULL; i++)
		assert_int_not_equal(ipc_sub_next(s, 1500, &e, &cause), -1);
	assert_non_null(e);
	json_decref(e);
	json_decref(all);
	return s;
}

/* The next event other than stats, within two seconds. */
static json_t *
next_event(struct ipc_sub *s)
{
	json_t	*e = NULL;
	char	*cause = NULL;
	time_t	 end = time(NULL) + 2;

	while (time(NULL) <= end) {
		if (ipc_sub_next(s, 1000, &e, &cause) != 1)
			continue;
		if (strcmp(json_string_value(json_object_get(e, "type")),
		    EVENT_STATS) != 0)
			return e;
		json_decref(e);
		e = NULL;
	}
	return NULL;
}

/* Without a context to share: no login, the socket file's mode. */
static void
test_own_context(void **state)
{
	struct config	*c;
	void		*ctx, *sub;
	char		*cause = NULL, topic[16];
	int		 rcvtimeo = 3000, n;

	(void)state;
	assert_non_null(c = load("", &cause));
	assert_int_equal(events_open(c, NULL, &cause), 0);
	assert_non_null(ctx = zmq_ctx_new());
	assert_non_null(sub = zmq_socket(ctx, ZMQ_SUB));
	zmq_setsockopt(sub, ZMQ_RCVTIMEO, &rcvtimeo, sizeof rcvtimeo);
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "stats", 5);
	assert_int_equal(zmq_connect(sub, conf_str(c, CONF_control_events)), 0);
	n = zmq_recv(sub, topic, sizeof topic, 0);
	assert_int_equal(n, 5);
	assert_memory_equal(topic, "stats", 5);
	zmq_close(sub);
	zmq_ctx_term(ctx);
	events_close();
	conf_unref(c);
}

/* A login the ZAP handler refuses is told, not waited on for ever. */
static void
test_refused(void **state)
{
	struct config	*c;
	struct ipc_sub	*s;
	json_t		*e = NULL;
	char		*cause = NULL;
	int		 rc = 0, i;

	(void)state;
	assert_non_null(c = load("", &cause));
	assert_int_equal(events_open(c, zctx, &cause), 0);
	assert_non_null(s = ipc_sub_open(conf_str(c, CONF_control_events),
	    "bad", "x", NULL, &cause));
	for (i = 0; i < 5 && rc == 0; i++)
		rc = ipc_sub_next(s, 1000, &e, &cause);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(cause, "refused the login of bad"));
	free(cause);
	ipc_sub_close(s);
	events_close();
	conf_unref(c);
}

static void
test_publish(void **state)
{
	struct config	*c;
	struct ipc_sub	*s;
	json_t		*e, *types = json_pack("[s,s,s]", EVENT_STATS,
			    EVENT_LOCK, EVENT_MESSAGE);
	char		*cause = NULL;
	time_t		 now = time(NULL);
	uint64_t	 locks = stats_get(STAT_LOCKS);

	(void)state;
	assert_non_null(c = load("", &cause));
	assert_int_equal(events_open(c, zctx, &cause), 0);
	assert_non_null(events_socket_path());
	assert_int_equal(access(events_socket_path(), F_OK), 0);
	s = subscribe(c, types);

	events_lock(EVENT_LOCK, &(struct events_lock){ .user = "host1",
	    .domain = "example.com", .by = "uid:0", .reason = "spam run",
	    .minutes = 10 });
	assert_non_null(e = next_event(s));
	assert_string_equal(json_string_value(json_object_get(e, "type")),
	    EVENT_LOCK);
	assert_int_equal(json_integer_value(json_object_get(e, "v")), 1);
	assert_true(json_integer_value(json_object_get(e, "time")) >= now);
	assert_string_equal(json_string_value(json_object_get(e, "target")),
	    "user");
	assert_string_equal(json_string_value(json_object_get(e, "user")),
	    "host1");
	assert_string_equal(json_string_value(json_object_get(e, "reason")),
	    "spam run");
	assert_int_equal(json_integer_value(json_object_get(e, "minutes")), 10);
	assert_true(json_is_false(json_object_get(e, "automatic")));
	assert_null(json_object_get(e, "identity"));
	json_decref(e);
	assert_true(stats_get(STAT_LOCKS) == locks + 1);

	/* Not subscribed: unlock; unknown: dropped; v, time, type: ours. */
	events_lock(EVENT_UNLOCK, &(struct events_lock){ .user = "host1" });
	events_publish("nonsense", json_pack("{s:s}", "a", "b"));
	events_publish(EVENT_MESSAGE, json_pack("{s:i,s:s,s:s,s:s}", "v", 7,
	    "type", "lock", "from", "\xff\xfe@x", "status", "relayed"));
	assert_non_null(e = next_event(s));
	assert_string_equal(json_string_value(json_object_get(e, "type")),
	    EVENT_MESSAGE);
	assert_int_equal(json_integer_value(json_object_get(e, "v")), 1);
	json_decref(e);

	/* A sender that is not UTF-8 still makes an event. */
	events_message(&(struct events_message){ .queue_id = "Q1",
	    .client = "127.0.0.1", .from = "\xe9t\xe9@example.com",
	    .nrcpts = 2, .size = 100, .status = "relayed", .reason = "250 ok",
	    .spam = 1 });
	assert_non_null(e = next_event(s));
	assert_string_equal(json_string_value(json_object_get(e, "from")),
	    "?t?@example.com");
	assert_true(json_is_true(json_object_get(e, "spam")));
	assert_null(json_object_get(e, "user"));
	json_decref(e);

	ipc_sub_close(s);
	events_close();
	assert_null(events_socket_path());
	conf_unref(c);
	json_decref(types);
}

static void
test_stats(void **state)
{
	struct config	*c;
	struct ipc_sub	*s;
	json_t		*e = NULL, *types = json_pack("[s]", EVENT_STATS);
	char		*cause = NULL;
	uint64_t	 relayed = stats_get(STAT_RELAYED);
	uint64_t	 spam = stats_get(STAT_SPAM);

	(void)state;
	stats_message("relayed", 1);
	stats_message("reset", 0);
	stats_set(STAT_OPEN, 3);
	assert_true(stats_get(STAT_RELAYED) == relayed + 1);
	assert_true(stats_get(STAT_SPAM) == spam + 1);
	assert_non_null(c = load("", &cause));
	assert_int_equal(events_open(c, zctx, &cause), 0);
	s = subscribe(c, types);
	assert_int_equal(ipc_sub_next(s, 2000, &e, &cause), 1);
	assert_int_equal(json_integer_value(json_object_get(e,
	    "connections_open")), 3);
	assert_null(json_object_get(e, "connections_open_per_minute"));
	assert_true(json_integer_value(json_object_get(e, "relayed")) ==
	    (json_int_t)relayed + 1);
	assert_non_null(json_object_get(e, "relayed_per_minute"));
	assert_non_null(json_object_get(e, "events_dropped"));
	assert_non_null(json_object_get(e, "uptime"));
	json_decref(e);
	ipc_sub_close(s);
	events_close();
	conf_unref(c);
	json_decref(types);
	stats_set(STAT_OPEN, 0);
}

#define THREADS		4
#define PER_THREAD	500

static void *
publisher(void *arg)
{
	intptr_t	t = (intptr_t)arg;
	int		i;

	for (i = 0; i < PER_THREAD; i++) {
		events_publish(EVENT_MESSAGE, json_pack("{s:I,s:i}", "thread",
		    (json_int_t)t, "seq", i));
		if (i % 50 == 0)
			usleep(1000);
	}
	return NULL;
}

/* Each thread's events arrive in its order; none is counted twice. */
static void
test_threads(void **state)
{
	struct config	*c;
	struct ipc_sub	*s;
	pthread_t	 th[THREADS];
	json_t		*e, *types = json_pack("[s,s]", EVENT_STATS,
			    EVENT_MESSAGE);
	char		*cause = NULL;
	int		 last[THREADS], got = 0, i, t, seq;
	uint64_t	 dropped = stats_get(STAT_DROPPED);

	(void)state;
	assert_non_null(c = load("", &cause));
	assert_int_equal(events_open(c, zctx, &cause), 0);
	s = subscribe(c, types);
	for (i = 0; i < THREADS; i++) {
		last[i] = -1;
		assert_int_equal(pthread_create(&th[i], NULL, publisher,
		    (void *)(intptr_t)i), 0);
	}
	while ((e = next_event(s)) != NULL) {
		t = json_integer_value(json_object_get(e, "thread"));
		seq = json_integer_value(json_object_get(e, "seq"));
		assert_true(t >= 0 && t < THREADS);
		assert_true(seq > last[t]);
		last[t] = seq;
		json_decref(e);
		if (++got == THREADS * PER_THREAD)
			break;
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	assert_true(got > 0);
	assert_true(got + (stats_get(STAT_DROPPED) - dropped) <=
	    THREADS * PER_THREAD);
	ipc_sub_close(s);
	events_close();
	conf_unref(c);
	json_decref(types);
}

static long
rss_kb(void)
{
	FILE	*f = fopen("/proc/self/statm", "r");
	long	 size = 0, rss = 0;

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * Nobody listening, before open, after close: every event is freed, and
 * a flood of 100 MB of events leaves memory where it was.
 */
static void
test_flood(void **state)
{
	struct config	*c;
	char		*cause = NULL, reason[1001];
	long		 before;
	int		 i;

	(void)state;
	events_publish(EVENT_MESSAGE, json_object());
	events_publish(EVENT_MESSAGE, NULL);
	assert_non_null(c = load("", &cause));
	assert_int_equal(events_open(c, NULL, &cause), 0);
	assert_int_equal(events_open(c, NULL, &cause), -1);
	assert_non_null(strstr(cause, "already open"));
	free(cause);
	memset(reason, 'x', sizeof reason - 1);
	reason[sizeof reason - 1] = '\0';
	for (i = 0; i < 2000; i++)
		events_lock(EVENT_LOCK, &(struct events_lock){ .user = "u",
		    .reason = reason });
	usleep(100000);
	before = rss_kb();
	for (i = 0; i < 100000; i++)
		events_lock(EVENT_LOCK, &(struct events_lock){ .user = "u",
		    .reason = reason });
	usleep(100000);
#if !defined(__SANITIZE_ADDRESS__)
	/* (AddressSanitizer keeps freed memory in quarantine.) */
	print_message("# RSS before %ld KiB, after %ld KiB\n", before,
	    rss_kb());
	assert_true(rss_kb() - before < 16 * 1024);
#endif
	events_close();
	events_close();
	events_publish(EVENT_LOCK, json_object());
	conf_unref(c);
}

struct print_case {
	const char	*event;
	const char	*line;
};

static const struct print_case print_cases[] = {
	{ "{\"v\":1,\"time\":0,\"type\":\"lock\",\"user\":\"host1\"}",
	  "1970-01-01T00:00:00Z lock user=host1\n" },
	{ "{\"v\":1,\"time\":86400,\"type\":\"message\",\"n\":3,\"ok\":true,"
	  "\"x\":null,\"reason\":\"250 2.0.0 Ok\",\"e\":\"\"}",
	  "1970-01-02T00:00:00Z message n=3 ok=true x=null "
	  "reason=\"250 2.0.0 Ok\" e=\"\"\n" },
	{ "{\"v\":1,\"time\":0,\"type\":\"m\",\"a\":\"x=y\",\"b\":\"q\\\"\","
	  "\"c\":\"\\u0007\\r\\n\",\"d\":\"m\\u00fcller\","
	  "\"f\":\"a\\u0085b\",\"g\":\"a\\\\b\"}",
	  "1970-01-01T00:00:00Z m a=\"x=y\" b=\"q\\\"\" c=\"\\u0007\\r\\n\" "
	  "d=m\xc3\xbcller f=\"a\\u0085b\" g=\"a\\\\b\"\n" },
	{ "{\"v\":1,\"time\":0,\"type\":\"stats\",\"l\":[1,\"a b\"],"
	  "\"o\":{\"k\":1}}",
	  "1970-01-01T00:00:00Z stats l=\"[1,\\\"a b\\\"]\" "
	  "o=\"{\\\"k\\\":1}\"\n" },
};

static void
test_print(void **state)
{
	json_t	*e;
	char	*buf;
	size_t	 i, len;
	FILE	*f;

	(void)state;
	for (i = 0; i < sizeof print_cases / sizeof print_cases[0]; i++) {
		assert_non_null(e = json_loads(print_cases[i].event, 0, NULL));
		assert_non_null(f = open_memstream(&buf, &len));
		ipc_sub_print(f, e);
		fclose(f);
		assert_string_equal(buf, print_cases[i].line);
		free(buf);
		json_decref(e);
	}
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL || (zctx = zmq_ctx_new()) == NULL ||
	    (zsock = zmq_socket(zctx, ZMQ_REP)) == NULL ||
	    zmq_bind(zsock, ZAP_ENDPOINT) == -1)
		return -1;
	return pthread_create(&zthread, NULL, zap_thread, NULL) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char	*cmd;

	(void)state;
	zmq_ctx_shutdown(zctx);
	pthread_join(zthread, NULL);
	zmq_ctx_term(zctx);
	if (asprintf(&cmd, "rm -rf '%s'", tmpdir) == -1)
		return -1;
	if (system(cmd) != 0) {
		free(cmd);
		return -1;
	}
	free(cmd);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_own_context),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
