/*
 * Sending identities: which sender inside a user a message comes from,
 * by the user's `identify` method.  A web host's IP user is one server
 * with hundreds of sites; the identity (a script, a mailbox, an envelope
 * sender) is what gets locked when one of them is abused, so the others
 * keep sending.
 *
 * identify.headers entries are "Name" (the header's value is the
 * identity) or "Name:REGEX" (PCRE2; the first capture group, or the whole
 * match, is the identity).  Entries are tried in order and, for a header
 * that occurs several times, every occurrence from the top: the first
 * that gives an identity wins.  The entries were checked when they were
 * set (ipc/usersettings.c); one that fails to compile here finds nothing.
 */
#ifndef OF_IDENTITY_H
#define OF_IDENTITY_H

#include <stddef.h>

#define IDENTITY_MAX	255

enum identify_method {
	IDENTIFY_ENVELOPE,	/* MAIL FROM */
	IDENTIFY_AUTH,		/* the SMTP AUTH name */
	IDENTIFY_HEADER,	/* identify.headers */
	IDENTIFY_NONE,
};

/* The method named by a setting's value; -1 when unknown. */
int	identity_method(const char *);

struct identity_in {
	enum identify_method	 method;
	const char *const	*headers;	/* identify.headers entries */
	size_t			 nheaders;
	int			 fallback;	/* to the envelope sender */
	const char		*mail_from;	/* "" for <> */
	const char		*authname;	/* NULL: not authenticated */
	const char		*msg;		/* the message as received */
	size_t			 len;
};

struct identity_out {
	char	identity[IDENTITY_MAX + 1];	/* "" when none */
	/* The header field the identity came from (for identify.strip). */
	size_t	field_off, field_len;
	int	from_header;
};

/*
 * 0 with the identity (possibly none, for IDENTIFY_NONE), or -1 with
 * reply set to the complete SMTP refusal (550 5.7.1 ...) when the method
 * finds nothing and falling back is not allowed.
 */
int	identity_find(const struct identity_in *, struct identity_out *,
	    char *reply, size_t replylen);

#endif
