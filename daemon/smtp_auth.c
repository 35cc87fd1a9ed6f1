/*
 * SMTP AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms:
 * the exchange of 334 challenges and base64 responses.  Checking the name
 * and password is policy_auth()'s, in a worker (argon2id takes ~70 ms);
 * it also throttles failures per client address and answers them.
 *
 * What the client sends is checked before it goes anywhere: a response
 * that is not base64, a PLAIN message without its two NULs, a name with
 * control bytes or a name and password too long are refused here with
 * 501 and never reach the policy, a log line or a header.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "smtp.h"

/* Longest name and password we take (a SASL message fits a line). */
#define AUTH_NAME_MAX	256
#define AUTH_PASS_MAX	512
/* Longest base64 response decoded. */
#define AUTH_RESP_MAX	(AUTH_NAME_MAX * 2 + AUTH_PASS_MAX + 2)

enum auth_step {
	AUTH_PLAIN,		/* waiting for the PLAIN message */
	AUTH_LOGIN_USER,	/* waiting for the LOGIN name */
	AUTH_LOGIN_PASS,	/* waiting for the LOGIN password */
	AUTH_CHECK,		/* policy_auth() runs */
};

/*
 * In guarded memory (sodium_malloc): locked, left out of core dumps and
 * wiped when freed, as it holds the password.
 */
struct smtp_auth {
	struct smtp_session	*s;
	enum auth_step		 step;
	char			 name[AUTH_NAME_MAX + 1];
	char			 pass[AUTH_PASS_MAX + 1];
};

/* base64 "Username:" and "Password:", as every LOGIN client expects. */
#define AUTH_LOGIN_USER_PROMPT	"334 VXNlcm5hbWU6"
#define AUTH_LOGIN_PASS_PROMPT	"334 UGFzc3dvcmQ6"

void
smtp_auth_free(struct smtp_auth *a)
{
	if (a == NULL)
		return;
	sodium_free(a);
}

/* The exchange is over (whatever the outcome). */
static void
auth_end(struct smtp_auth *a)
{
	struct smtp_auth	**ap = smtp_session_authp(a->s);

	*ap = NULL;
	smtp_auth_free(a);
}

/* Refuse and end the exchange; an error counts towards the limit. */
static void
auth_fail(struct smtp_auth *a, const char *reply)
{
	struct smtp_session	*s = a->s;

	auth_end(a);
	smtp_reply(s, "%s", reply);
	smtp_error(s);
}

/*
 * Decode a base64 response into out (size outsz, NUL added); the length,
 * or -1 when it is not base64 or too long.
 */
static ssize_t
auth_decode(const char *in, size_t len, char *out, size_t outsz)
{
	size_t	n;

	if (len == 0 || len > (outsz - 1) / 3 * 4 + 4)
		return len == 0 ? 0 : -1;
	if (sodium_base642bin((unsigned char *)out, outsz - 1, in, len, NULL,
	    &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	out[n] = '\0';
	return n;
}

/* A name has no control bytes: it may be logged and put in a header. */
static int
auth_name_ok(const char *p, size_t len)
{
	size_t	i;

	if (len == 0 || len > AUTH_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

static void
auth_check_work(void *arg)
{
	struct smtp_session	*s = arg;
	struct smtp_auth	*a = *smtp_session_authp(s);

	policy_auth(smtp_session_server(s)->policy, smtp_session_sockaddr(s),
	    a->name, a->pass, smtp_session_sender(s), smtp_session_verdict(s));
	sodium_memzero(a->pass, sizeof a->pass);
}

static void
auth_checked(struct smtp_session *s)
{
	struct smtp_auth	*a = *smtp_session_authp(s);
	struct verdict		*v = smtp_session_verdict(s);
	char			 safe[AUTH_NAME_MAX + 1];

	if (v->code == 0) {
		smtp_session_authed(s, a->name, smtp_session_sender(s));
		auth_end(a);
		smtp_reply(s, "235 2.7.0 Authentication successful");
		return;
	}
	log_info("smtp: %s: authentication as %s failed: %d %s",
	    smtp_session_addr(s), log_safe(a->name, safe, sizeof safe),
	    v->code, v->text);
	memset(smtp_session_sender(s), 0, sizeof (struct sender));
	auth_end(a);
	smtp_reply(s, "%d %s", v->code, v->text);
	if (v->code == 421)
		smtp_session_close(s);
	else
		smtp_error(s);
}

/* Name and password are in: hand them to the policy. */
static void
auth_check(struct smtp_auth *a)
{
	if (a->pass[0] == '\0') {
		auth_fail(a, "535 5.7.8 Authentication failed: the password is "
		    "empty");
		return;
	}
	a->step = AUTH_CHECK;
	smtp_session_call(a->s, auth_check_work, auth_checked);
}

/* RFC 4616: [authzid] NUL authcid NUL passwd. */
static void
auth_plain(struct smtp_auth *a, const char *b64, size_t len)
{
	char		 buf[AUTH_RESP_MAX + 1];
	const char	*zid, *cid, *pw, *end;
	ssize_t		 n;

	if ((n = auth_decode(b64, len, buf, sizeof buf)) <= 0) {
		auth_fail(a, n == 0 ? "501 5.5.2 Empty AUTH PLAIN response" :
		    "501 5.5.2 The AUTH response is not valid base64 or too "
		    "long");
		return;
	}
	end = buf + n;
	zid = buf;
	cid = memchr(zid, '\0', end - zid);
	pw = cid != NULL ? memchr(cid + 1, '\0', end - cid - 1) : NULL;
	if (pw == NULL) {
		sodium_memzero(buf, sizeof buf);
		auth_fail(a, "501 5.5.2 Malformed AUTH PLAIN response: "
		    "authorization id, user name and password are separated "
		    "by NUL bytes");
		return;
	}
	cid++;
	pw++;
	/* RFC 4616 2: the password holds no NUL (nor would it be checked). */
	if (!auth_name_ok(cid, pw - 1 - cid) || (size_t)(end - pw) >
	    AUTH_PASS_MAX || memchr(pw, '\0', end - pw) != NULL ||
	    (*zid != '\0' && strcmp(zid, cid) != 0)) {
		sodium_memzero(buf, sizeof buf);
		auth_fail(a, "501 5.5.2 Malformed AUTH PLAIN response: bad "
		    "user name, password or authorization id");
		return;
	}
	memcpy(a->name, cid, pw - cid);
	memcpy(a->pass, pw, end - pw);
	a->pass[end - pw] = '\0';
	sodium_memzero(buf, sizeof buf);
	auth_check(a);
}

static void
auth_login_user(struct smtp_auth *a, const char *b64, size_t len)
{
	ssize_t	n;

	if ((n = auth_decode(b64, len, a->name, sizeof a->name)) == -1 ||
	    !auth_name_ok(a->name, n)) {
		auth_fail(a, "501 5.5.2 Bad AUTH LOGIN user name: not base64, "
		    "empty, too long or with control characters");
		return;
	}
	a->step = AUTH_LOGIN_PASS;
	smtp_reply(a->s, AUTH_LOGIN_PASS_PROMPT);
}

static void
auth_login_pass(struct smtp_auth *a, const char *b64, size_t len)
{
	ssize_t	n;

	if ((n = auth_decode(b64, len, a->pass, sizeof a->pass)) <= 0 ||
	    strlen(a->pass) != (size_t)n) {
		sodium_memzero(a->pass, sizeof a->pass);
		auth_fail(a, "501 5.5.2 Bad AUTH LOGIN password: not base64, "
		    "empty, too long or with a NUL byte");
		return;
	}
	auth_check(a);
}

void
smtp_auth_line(struct smtp_session *s, const char *line, size_t len)
{
	struct smtp_auth	*a = *smtp_session_authp(s);

	if (len == 1 && line[0] == '*') {
		auth_fail(a, "501 5.7.0 Authentication cancelled");
		return;
	}
	switch (a->step) {
	case AUTH_PLAIN:
		auth_plain(a, line, len);
		break;
	case AUTH_LOGIN_USER:
		auth_login_user(a, line, len);
		break;
	case AUTH_LOGIN_PASS:
		auth_login_pass(a, line, len);
		break;
	case AUTH_CHECK:
		break;
	}
}

void
smtp_auth_start(struct smtp_session *s, const char *mech, const char *initial,
    size_t initial_len)
{
	struct smtp_auth	*a;
	int			 plain = strcmp(mech, "PLAIN") == 0;

	if (!plain && strcmp(mech, "LOGIN") != 0) {
		smtp_reply(s, "504 5.5.4 Unrecognized authentication type: "
		    "use PLAIN or LOGIN");
		smtp_error(s);
		return;
	}
	if (sodium_init() == -1 || (a = sodium_malloc(sizeof *a)) == NULL) {
		smtp_reply(s, "454 4.7.0 Temporary authentication failure: out "
		    "of memory");
		return;
	}
	memset(a, 0, sizeof *a);
	a->s = s;
	a->step = plain ? AUTH_PLAIN : AUTH_LOGIN_USER;
	*smtp_session_authp(s) = a;
	/* RFC 4954 4: "=" is an empty initial response. */
	if (initial != NULL && initial_len == 1 && initial[0] == '=')
		initial_len = 0;
	if (initial == NULL)
		smtp_reply(s, "%s", plain ? "334 " : AUTH_LOGIN_USER_PROMPT);
	else if (plain)
		auth_plain(a, initial, initial_len);
	else
		auth_login_user(a, initial, initial_len);
}
