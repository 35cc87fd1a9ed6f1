/*
 * The Received: header (RFC 5321 4.4), in Postfix's layout so that tools
 * reading Postfix headers read ours:
 *
 *   Received: from HELO (unknown [ADDR])
 *	(using TLSv1.3 with cipher ... (256/256 bits))
 *	(No client certificate requested)
 *	(Authenticated sender: NAME)
 *	by HOSTNAME (outfilter) with ESMTPSA id QUEUEID
 *	for <RCPT>; DATE
 *
 * "unknown" is the client's reverse name: outfilterd does no DNS.  The
 * protocol word follows RFC 3848 (ESMTP, ESMTPS, ESMTPA, ESMTPSA; SMTP for
 * HELO).  Every text from the client is made printable ASCII first.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtp.h"

/* Longest client-given text (HELO, AUTH name) copied into the header. */
#define RECEIVED_TEXT_MAX	256

/* text as printable ASCII without '(' ')' so a comment stays one. */
static void
received_clean(char *dst, size_t len, const char *src)
{
	size_t	i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < len; i++)
		dst[i] = ((unsigned char)src[i] <= 0x20 ||
		    (unsigned char)src[i] >= 0x7f || src[i] == '(' ||
		    src[i] == ')') ? '?' : src[i];
	dst[i] = '\0';
}

static const char *
received_protocol(const struct received *r)
{
	if (!r->esmtp)
		return r->tls != NULL ? "SMTPS" : "SMTP";
	if (r->auth != NULL)
		return r->tls != NULL ? "ESMTPSA" : "ESMTPA";
	return r->tls != NULL ? "ESMTPS" : "ESMTP";
}

/* "Fri, 27 Nov 2026 00:40:00 +0000 (UTC)", as RFC 5322 3.3 wants. */
static void
received_date(time_t when, char *buf, size_t len)
{
	struct tm	tm;

	gmtime_r(&when, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000 (UTC)", &tm);
}

char *
received_format(const struct received *r, size_t *len)
{
	char	 helo[RECEIVED_TEXT_MAX], auth[RECEIVED_TEXT_MAX];
	char	 rcpt[RECEIVED_TEXT_MAX + 64], date[64], *out = NULL;
	char	 tls[256] = "", who[RECEIVED_TEXT_MAX + 32] = "";
	int	 n;

	received_clean(helo, sizeof helo, r->helo != NULL ? r->helo : "");
	if (r->tls != NULL)
		snprintf(tls, sizeof tls, "\r\n\t(using %s)\r\n"
		    "\t(No client certificate requested)", r->tls);
	if (r->auth != NULL) {
		received_clean(auth, sizeof auth, r->auth);
		snprintf(who, sizeof who, "\r\n\t(Authenticated sender: %s)",
		    auth);
	}
	received_clean(rcpt, sizeof rcpt, r->rcpt != NULL ? r->rcpt : "");
	received_date(r->when, date, sizeof date);
	n = asprintf(&out, "Received: from %s (unknown [%s%s])%s%s\r\n"
	    "\tby %s (outfilter) with %s id %s%s%s%s;\r\n\t%s\r\n",
	    *helo != '\0' ? helo : "unknown", r->v6 ? "IPv6:" : "", r->addr,
	    tls, who, r->hostname, received_protocol(r), r->queue_id,
	    r->rcpt != NULL ? "\r\n\tfor <" : "", rcpt,
	    r->rcpt != NULL ? ">" : "", date);
	if (n == -1)
		return NULL;
	*len = n;
	return out;
}
