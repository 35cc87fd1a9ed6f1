/*
 * Lock notices: a template (db_template_*) rendered with the facts of a
 * lock and made into a complete message for the next hop.
 *
 * A template's subject, body and HTML body hold placeholders in braces,
 * {user} {identity} {domain} {reason} {spam_count} {window_minutes}
 * {locked_at} {unlock_at} {auto_unlocks_left} {admin_contact}; "{{" and
 * "}}" write a brace.  An unknown placeholder or a lone brace is refused
 * when the template is saved (notice_check), so rendering cannot fail on
 * one.  Values are made one line of valid UTF-8 (a reason cannot start a
 * header) and HTML-escaped in the HTML body.
 */
#ifndef OF_NOTICE_H
#define OF_NOTICE_H

#include <stddef.h>
#include <time.h>

struct config;
struct db;

/* The template notices use when none is named; it always exists. */
#define NOTICE_DEFAULT	"default"

/*
 * The facts a template's placeholders stand for.  NULL strings render
 * empty, but: identity NULL or "" renders as the user (a lock of the whole
 * user), reason as "no reason given", admin_contact as the notice's sender
 * ([notice] from).  Times render as "2026-11-27 14:00 UTC"; locked_at 0 is
 * now, unlock_at 0 renders as "when an administrator unlocks it".
 */
struct notice_vars {
	const char	*user, *identity, *domain, *reason, *admin_contact;
	long		 spam_count, window_minutes, auto_unlocks_left;
	time_t		 locked_at, unlock_at;	/* unlock_at 0: until an admin unlocks */
};

/*
 * The notice as a complete RFC 5322 message: From [notice] from, To to,
 * Cc cc (NULL or "": none; left out when it is to), Date, Message-ID,
 * Subject (RFC 2047 when not ASCII), MIME-Version, Auto-Submitted,
 * Content-Language, and a text/plain UTF-8 body (7bit or
 * quoted-printable), inside multipart/alternative with a text/html part
 * when the template has an HTML body.  CRLF line ends, not dot-stuffed
 * (the relay stuffs).  Relay it with the null sender <> (RFC 3834).
 *
 * template_name NULL or "" is NOTICE_DEFAULT, whose built-in text serves
 * when the database lacks it.  Runs in any thread with that thread's
 * database handle.  Returns 0 with *msg (malloc'ed, *len bytes, also
 * NUL-terminated), or -1 with *cause: an address that is not one
 * (to, cc, [notice] from), a template not found, the database.
 */
int	notice_build(struct db *, const struct config *,
	    const char *template_name, const struct notice_vars *,
	    const char *to, const char *cc, char **msg, size_t *len,
	    char **cause);

/*
 * A notice of outfilterd's own words, not from a template (a message held
 * in the quarantine): subject one line, body plain text; the rest as
 * notice_build.
 */
int	notice_build_text(const struct config *, const char *subject,
	    const char *body, const char *to, char **msg, size_t *len,
	    char **cause);

/*
 * Check a template text (field names it in the refusal: "subject",
 * "body", "html"): 0, or -1 with *cause naming the first unknown
 * placeholder or unbalanced brace and where it is.
 */
int	notice_check(const char *text, const char *field, char **cause);

/* How notice_render writes values. */
enum notice_mode {
	NOTICE_TEXT,		/* as they are */
	NOTICE_LINE,		/* the whole result on one line (a subject) */
	NOTICE_HTML		/* values HTML-escaped */
};
/* A checked text with its placeholders filled: malloc'ed, NULL with cause. */
char	*notice_render(const char *text, const struct notice_vars *,
	    enum notice_mode, char **cause);

/*
 * Store the built-in template NOTICE_DEFAULT unless the database has one
 * by that name (an admin's changes are kept).  Also readies GMime: call
 * it at start-up, before other threads use GMime.
 */
int	notice_default_install(struct db *, char **cause);

#endif
