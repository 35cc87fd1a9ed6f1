/*
 * The client side of the event socket: a ZMQ_SUB with the same PLAIN
 * login as the control socket (client.c), and the text form of an event
 * outfilterctl prints.  libzmq reconnects on its own, so a subscriber
 * outlives a restart of the daemon.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "ipc.h"

/* An event is a small JSON object; a larger frame is not one of ours. */
#define SUB_MAXMSGSIZE		(1024 * 1024)
#define SUB_RECONNECT_IVL	200
#define SUB_EVENTS	(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | \
	ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | \
	ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

struct ipc_sub {
	void	*ctx;
	void	*sock;		/* ZMQ_SUB */
	void	*mon;		/* ZMQ_PAIR receiving sock's events */
	char	*endpoint;
	char	*user;		/* NULL: the local super-admin path */
	json_t	*types;		/* wanted types; empty: all */
};

static int
sub_setint(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof v);
}

static int
sub_options(struct ipc_sub *s, const char *user, const char *password)
{
	int64_t		max = SUB_MAXMSGSIZE;
	json_t		*t;
	size_t		 i;

	if (user == NULL)
		user = password = "-";
	if (password == NULL)
		password = "";
	if (sub_setint(s->sock, ZMQ_LINGER, 0) == -1 ||
	    sub_setint(s->sock, ZMQ_RECONNECT_IVL, SUB_RECONNECT_IVL) == -1 ||
	    zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &max, sizeof max) == -1 ||
	    zmq_setsockopt(s->sock, ZMQ_PLAIN_USERNAME, user,
	    strlen(user)) == -1 ||
	    zmq_setsockopt(s->sock, ZMQ_PLAIN_PASSWORD, password,
	    strlen(password)) == -1)
		return -1;
	if (json_array_size(s->types) == 0)
		return zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, "", 0);
	json_array_foreach(s->types, i, t)
		if (zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, json_string_value(t),
		    json_string_length(t)) == -1)
			return -1;
	return 0;
}

static int
sub_monitor(struct ipc_sub *s)
{
	char	addr[80];

	snprintf(addr, sizeof addr, "inproc://ipc-sub-monitor-%p", (void *)s);
	if (zmq_socket_monitor(s->sock, addr, SUB_EVENTS) == -1 ||
	    (s->mon = zmq_socket(s->ctx, ZMQ_PAIR)) == NULL ||
	    sub_setint(s->mon, ZMQ_LINGER, 0) == -1)
		return -1;
	return zmq_connect(s->mon, addr);
}

struct ipc_sub *
ipc_sub_open(const char *endpoint, const char *user, const char *password,
    json_t *types, char **cause)
{
	struct ipc_sub	*s;

	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->endpoint = strdup(endpoint)) == NULL ||
	    (user != NULL && (s->user = strdup(user)) == NULL) ||
	    (s->types = json_array()) == NULL) {
		ipc_cause(cause, "out of memory");
		ipc_sub_close(s);
		return NULL;
	}
	if (json_is_array(types))
		json_array_extend(s->types, types);
	if ((s->ctx = zmq_ctx_new()) == NULL ||
	    (s->sock = zmq_socket(s->ctx, ZMQ_SUB)) == NULL ||
	    sub_options(s, user, password) == -1 || sub_monitor(s) == -1 ||
	    zmq_connect(s->sock, endpoint) == -1) {
		ipc_cause(cause, "cannot subscribe to the event socket \"%s\": "
		    "%s", endpoint, zmq_strerror(errno));
		ipc_sub_close(s);
		return NULL;
	}
	return s;
}

void
ipc_sub_close(struct ipc_sub *s)
{
	if (s == NULL)
		return;
	if (s->sock != NULL) {
		zmq_socket_monitor(s->sock, NULL, 0);
		zmq_close(s->sock);
	}
	if (s->mon != NULL)
		zmq_close(s->mon);
	if (s->ctx != NULL)
		zmq_ctx_term(s->ctx);
	json_decref(s->types);
	free(s->endpoint);
	free(s->user);
	free(s);
}

/* A monitor event: -1 with cause when it ends the subscription. */
static int
sub_event(struct ipc_sub *s, char **cause)
{
	zmq_msg_t	 msg;
	uint16_t	 event = 0;
	uint32_t	 value = 0;

	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, s->mon, ZMQ_DONTWAIT) == -1) {
		zmq_msg_close(&msg);
		return 0;
	}
	if (zmq_msg_size(&msg) >= 6) {
		memcpy(&event, zmq_msg_data(&msg), 2);
		memcpy(&value, (char *)zmq_msg_data(&msg) + 2, 4);
	}
	while (zmq_msg_more(&msg) && zmq_msg_recv(&msg, s->mon, 0) != -1)
		;
	zmq_msg_close(&msg);
	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value != 400)
		return ipc_cause(cause, "outfilterd could not check the login "
		    "(status %u); see its log", (unsigned)value);
	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
		return ipc_cause(cause, "the event socket refused the login%s%s: "
		    "it is for super-admins", s->user != NULL ? " of " : "",
		    s->user != NULL ? s->user : "");
	if (event != 0)
		return ipc_cause(cause, "the handshake with %s failed: is it "
		    "outfilterd's event socket?", s->endpoint);
	return 0;
}

static int
sub_wanted(struct ipc_sub *s, const char *type)
{
	json_t	*t;
	size_t	 i;

	if (json_array_size(s->types) == 0)
		return 1;
	json_array_foreach(s->types, i, t)
		if (strcmp(json_string_value(t), type) == 0)
			return 1;
	return 0;
}

/*
 * One message off the socket: the topic frame, then the event.  NULL for
 * anything else: too many frames, not a JSON object of the version we
 * know, a type that does not match its topic or was not asked for (a
 * subscription matches by prefix).
 */
static json_t *
sub_read(struct ipc_sub *s)
{
	zmq_msg_t	 f[2], extra;
	json_t		*e = NULL;
	const char	*type;
	int		 n = 0, more = 1;

	while (more) {
		zmq_msg_t *m = n < 2 ? &f[n] : &extra;

		zmq_msg_init(m);
		if (zmq_msg_recv(m, s->sock, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(m);
			break;
		}
		more = zmq_msg_more(m);
		if (m == &extra)
			zmq_msg_close(m);
		n++;
	}
	if (n == 2)
		e = json_loadb(zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), 0, NULL);
	if (e != NULL && (!json_is_object(e) ||
	    json_integer_value(json_object_get(e, "v")) != 1 ||
	    (type = json_string_value(json_object_get(e, "type"))) == NULL ||
	    strlen(type) != zmq_msg_size(&f[0]) ||
	    memcmp(type, zmq_msg_data(&f[0]), strlen(type)) != 0 ||
	    !sub_wanted(s, type))) {
		json_decref(e);
		e = NULL;
	}
	for (n = n > 2 ? 2 : n; n > 0; n--)
		zmq_msg_close(&f[n - 1]);
	return e;
}

static long long
sub_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ipc_sub_next(struct ipc_sub *s, int timeout_ms, json_t **event, char **cause)
{
	zmq_pollitem_t	items[2];
	long long	deadline = sub_now_ms() + timeout_ms, left = timeout_ms;

	*event = NULL;
	for (;;) {
		items[0] = (zmq_pollitem_t){ s->sock, 0, ZMQ_POLLIN, 0 };
		items[1] = (zmq_pollitem_t){ s->mon, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(items, 2, timeout_ms < 0 ? -1 : left) == -1)
			return errno == EINTR ? 0 : ipc_cause(cause, "events: "
			    "%s", zmq_strerror(errno));
		if ((items[1].revents & ZMQ_POLLIN) && sub_event(s, cause) == -1)
			return -1;
		if ((items[0].revents & ZMQ_POLLIN) &&
		    (*event = sub_read(s)) != NULL)
			return 1;
		if (timeout_ms >= 0 && (left = deadline - sub_now_ms()) <= 0)
			return 0;
	}
}

/*
 * The text form.
 */

/*
 * A value printed bare when nothing in it could be mistaken: no space,
 * quote, backslash or '=', no control character, C1 ones (U+0080 to
 * U+009F, which some terminals obey) included.
 */
static int
sub_bare(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' ||
		    *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 0;
	return 1;
}

/* Bare, or as a JSON string in ASCII: "two words", "a\u0007b". */
static void
sub_print_value(FILE *f, const json_t *v)
{
	char	*text = NULL, *quoted;
	json_t	*s = NULL;

	if (json_is_string(v))
		text = strdup(json_string_value(v));
	else
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text == NULL)
		return;
	if (sub_bare(text))
		fputs(text, f);
	else if ((s = json_string(text)) != NULL &&
	    (quoted = json_dumps(s, JSON_ENCODE_ANY | JSON_ENSURE_ASCII)) !=
	    NULL) {
		fputs(quoted, f);
		free(quoted);
	}
	json_decref(s);
	free(text);
}

void
ipc_sub_print(FILE *f, const json_t *event)
{
	const char	*key;
	json_t		*v;
	struct tm	 tm;
	time_t		 t = json_integer_value(json_object_get(event, "time"));
	char		 when[32];

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "%s ", when);
	sub_print_value(f, json_object_get(event, "type"));
	json_object_foreach((json_t *)event, key, v) {
		if (strcmp(key, "v") == 0 || strcmp(key, "time") == 0 ||
		    strcmp(key, "type") == 0)
			continue;
		fprintf(f, " %s=", sub_bare(key) ? key : "?");
		sub_print_value(f, v);
	}
	fputc('\n', f);
}
