/*
 * The message log as the policy writes it: one row per transaction of an
 * identified sender, attributed to the envelope sender's domain where the
 * user asks for it, and a purge of rows past the retention.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ipc.h"
#include "limit.h"
#include "msglog.h"
#include "policy.h"

#define MSGLOG_PURGE_BATCH	500

static const char *const msglog_kinds[] = {
	[SENDER_IP] = "ip", [SENDER_SMTP] = "smtp", [SENDER_DOMAIN] = "domain"
};

/*
 * The log keeps four outcomes; any other one the session reports
 * ("disconnected", ...) left the message with the client, which is a
 * temporary failure, and its word goes in front of the reason.
 */
static const char *
msglog_status(const char *status, const char *reason, char *buf, size_t len)
{
	static const char *const kept[] = {
		"relayed", "refused", "tempfail", "quarantined"
	};
	size_t	i;

	for (i = 0; i < sizeof kept / sizeof kept[0]; i++)
		if (strcmp(status, kept[i]) == 0) {
			snprintf(buf, len, "%s", reason != NULL ? reason : "");
			return kept[i];
		}
	snprintf(buf, len, "%s%s%s", status, reason != NULL &&
	    *reason != '\0' ? ": " : "", reason != NULL ? reason : "");
	return "tempfail";
}

/*
 * With attribute-sending-domain on, the envelope sender's domain when it
 * is another domain the system knows (its admin then sees the message).
 */
static int
msglog_attribute(struct db *db, const struct txn_record *r, char **out,
    char **cause)
{
	const char	*at;
	char		*dom;
	int		 rc;

	*out = NULL;
	if (!r->sender->attribute || r->mail_from == NULL ||
	    (at = strrchr(r->mail_from, '@')) == NULL || at[1] == '\0' ||
	    (rc = db_domain_known(db, at + 1, cause)) == 0)
		return 0;
	if (rc == -1 || (dom = db_domain_normalize(at + 1, cause)) == NULL)
		return -1;
	if (strcmp(dom, r->sender->domain) == 0)
		free(dom);
	else
		*out = dom;
	return 0;
}

static int
msglog_insert(struct db *db, pthread_mutex_t *write_mtx,
    const struct txn_record *r, const char *sdomain, const char **rcpts,
    char **cause)
{
	struct db_logrec	 rec;
	char			 ip[64], reason[1024];
	uint8_t			 addr[16];
	int			 rc;

	memset(&rec, 0, sizeof rec);
	if (r->client == NULL || limits_addr(r->client, addr, ip,
	    sizeof ip) == -1)
		snprintf(ip, sizeof ip, "%s", "");
	rec.queue_id = r->queue_id;
	rec.user = r->sender->user;
	rec.kind = msglog_kinds[r->sender->kind];
	rec.domain = r->sender->domain;
	rec.sending_domain = sdomain;
	rec.client_ip = ip;
	rec.sender = r->mail_from != NULL ? r->mail_from : "";
	rec.rcpts = rcpts;
	rec.header_from = r->header_from;
	rec.subject = r->subject;
	rec.size = (int64_t)r->size;
	rec.status = msglog_status(r->status != NULL ? r->status : "tempfail",
	    r->reason, reason, sizeof reason);
	rec.reason = reason;
	rec.reply = r->next_hop_reply;
	rec.time = (int64_t)r->when;
	if (write_mtx != NULL)
		pthread_mutex_lock(write_mtx);
	rc = db_log_add(db, &rec, r->log_id, cause);
	if (write_mtx != NULL)
		pthread_mutex_unlock(write_mtx);
	return rc;
}

int
msglog_record(struct db *db, pthread_mutex_t *write_mtx,
    const struct txn_record *r, char **cause)
{
	const char	**rcpts;
	char		 *sdomain;
	size_t		  i;
	int		  rc;

	if (r->sender == NULL || r->sender->kind == SENDER_NONE)
		return 0;
	if (msglog_attribute(db, r, &sdomain, cause) == -1)
		return -1;
	if ((rcpts = calloc(r->nrcpts + 1, sizeof *rcpts)) == NULL) {
		free(sdomain);
		return ipc_cause(cause, "out of memory");
	}
	for (i = 0; i < r->nrcpts; i++)
		rcpts[i] = r->rcpts[i];
	rc = msglog_insert(db, write_mtx, r, sdomain, rcpts, cause);
	free(rcpts);
	free(sdomain);
	return rc;
}

int
msglog_purge(struct db *db, pthread_mutex_t *write_mtx, int64_t days,
    int64_t *deleted, char **cause)
{
	int64_t	n, before = (int64_t)time(NULL) - days * 86400;
	int	rc;

	*deleted = 0;
	do {
		pthread_mutex_lock(write_mtx);
		rc = db_log_purge(db, before, MSGLOG_PURGE_BATCH, &n, cause);
		pthread_mutex_unlock(write_mtx);
		*deleted += n;
	} while (rc == 0 && n == MSGLOG_PURGE_BATCH);
	return rc;
}
