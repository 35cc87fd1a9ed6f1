/*
 * One whole message handed to the next hop in one go (MAIL, each RCPT,
 * DATA): for the mail outfilterd writes itself (lock notices) and for
 * messages let out of the quarantine.  Each step starts from a zero
 * time-out on the loop, so a backend that answers before its call returns
 * (maildir:) never re-enters the step that called it.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "relay.h"
#include "spool.h"

struct relay_send {
	struct event_base		*base;
	const struct relay_backend	*backend;
	struct relay_txn		*txn;
	char				**rcpts;
	size_t				 nrcpts, next, accepted;
	struct spool			*msg;
	struct relay_reply		 reply;		/* the last one */
	struct relay_reply		 refused;	/* a recipient's refusal */
	int				 replied;	/* a step answered */
	int				 data_sent;
	relay_send_cb			*done;
	void				*arg;
	void				(*step)(struct relay_send *);
};

static void
relay_send_free(struct relay_send *rs)
{
	size_t	i;

	for (i = 0; i < rs->nrcpts; i++)
		free(rs->rcpts[i]);
	free(rs->rcpts);
	if (rs->msg != NULL)
		spool_free(rs->msg);
	free(rs);
}

static void
relay_send_run(evutil_socket_t fd, short what, void *arg)
{
	struct relay_send	*rs = arg;

	(void)fd;
	(void)what;
	rs->step(rs);
}

/* Go on with step from the loop. */
static void
relay_send_then(struct relay_send *rs, void (*step)(struct relay_send *))
{
	struct timeval	tv = { 0, 0 };

	rs->step = step;
	if (event_base_once(rs->base, -1, EV_TIMEOUT, relay_send_run, rs,
	    &tv) == -1)
		step(rs);
}

static void
relay_send_finish(struct relay_send *rs, const struct relay_reply *r)
{
	if (rs->txn != NULL) {
		if (rs->data_sent)
			rs->backend->done(rs->txn);
		else
			rs->backend->abort(rs->txn);
	}
	rs->txn = NULL;
	rs->done(rs->arg, r);
	relay_send_free(rs);
}

static void
relay_send_on_reply(void *arg, const struct relay_reply *r)
{
	struct relay_send	*rs = arg;

	rs->reply = *r;
	rs->replied = 1;
	relay_send_then(rs, rs->step);
}

static void	relay_send_rcpt(struct relay_send *);

static void
relay_send_data_done(struct relay_send *rs)
{
	relay_send_finish(rs, &rs->reply);
}

static void
relay_send_data(struct relay_send *rs)
{
	struct spool	*msg = rs->msg;

	if (rs->accepted == 0) {
		relay_send_finish(rs, &rs->refused);
		return;
	}
	rs->step = relay_send_data_done;
	rs->data_sent = 1;
	rs->backend->data(rs->txn, msg, relay_send_on_reply, rs);
}

/* After MAIL or a RCPT: the next recipient, or the message. */
static void
relay_send_rcpt(struct relay_send *rs)
{
	if (rs->next == 0 && !relay_reply_ok(&rs->reply)) {
		relay_send_finish(rs, &rs->reply);
		return;
	}
	if (rs->next > 0) {
		if (relay_reply_ok(&rs->reply))
			rs->accepted++;
		else
			rs->refused = rs->reply;
	}
	if (rs->next == rs->nrcpts) {
		relay_send_data(rs);
		return;
	}
	rs->step = relay_send_rcpt;
	rs->backend->rcpt(rs->txn, rs->rcpts[rs->next++], relay_send_on_reply,
	    rs);
}

int
relay_send(struct event_base *base, const struct relay_backend *backend,
    struct relay *relay, const struct relay_envelope *env,
    const char *const *rcpts, size_t nrcpts, struct spool *msg,
    relay_send_cb *done, void *arg)
{
	struct relay_send	*rs;
	size_t			 i;

	if (nrcpts == 0 || (rs = calloc(1, sizeof *rs)) == NULL)
		return -1;
	rs->base = base;
	rs->backend = backend;
	rs->done = done;
	rs->arg = arg;
	relay_reply_set(&rs->refused, 554, "5.5.1 no recipient was accepted");
	if ((rs->rcpts = calloc(nrcpts, sizeof *rs->rcpts)) == NULL) {
		free(rs);
		return -1;
	}
	for (i = 0; i < nrcpts; i++, rs->nrcpts++)
		if ((rs->rcpts[i] = strdup(rcpts[i])) == NULL) {
			relay_send_free(rs);
			return -1;
		}
	rs->step = relay_send_rcpt;
	rs->msg = msg;
	rs->txn = backend->begin(relay, env, relay_send_on_reply, rs);
	if (rs->txn == NULL && !rs->replied) {
		rs->msg = NULL;		/* still the caller's */
		relay_send_free(rs);
		return -1;
	}
	return 0;
}
