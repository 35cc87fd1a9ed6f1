/*
 * What the control-command handlers share: the handler table, argument
 * access, a domain admin's scope, and the mapping of database failures
 * onto the protocol's error codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmd.h"
#include "db.h"
#include "passwd.h"

cmd_handler *const cmd_handlers[IPC_NCMDS] = {
#define ARG(...)
#define CMD(id, ...) [IPC_CMD_##id] = cmd_##id,
#include "commands.def"
#undef CMD
#undef ARG
};

/* A domain admin without domains sees nothing, not everything. */
static char *const cmd_no_domains[] = { NULL };

int
cmd_may_domain(const struct actor *a, const char *domain)
{
	size_t	i;

	if (a->super)
		return 1;
	for (i = 0; domain != NULL && a->domains != NULL &&
	    a->domains[i] != NULL; i++) {
		if (strcmp(a->domains[i], domain) == 0)
			return 1;
	}
	return 0;
}

char *const *
cmd_scope(const struct cmd_ctx *ctx)
{
	if (ctx->actor->super)
		return NULL;
	return ctx->actor->domains != NULL ? ctx->actor->domains :
	    cmd_no_domains;
}

const char *
cmd_arg_str(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

int
cmd_arg_bool(json_t *args, const char *key)
{
	return json_is_true(json_object_get(args, key));
}

int64_t
cmd_arg_int(json_t *args, const char *key, int64_t dflt)
{
	json_t	*v = json_object_get(args, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

int
cmd_page(json_t *args, int *limit, const char **after,
    struct ipc_error *err)
{
	int64_t	n = cmd_arg_int(args, "limit", DB_LIST_DEFAULT);

	if (n < 1 || n > DB_LIST_MAX)
		return ipc_fail(err, IPC_E_INVALID, "limit", "the limit must "
		    "be from 1 to %d, not %lld", DB_LIST_MAX, (long long)n);
	*limit = (int)n;
	*after = cmd_arg_str(args, "after");
	return 0;
}

static const struct {
	enum db_errkind		kind;
	enum ipc_errcode	code;
} cmd_db_codes[] = {
	{ DB_EINVAL,	IPC_E_INVALID },
	{ DB_ECONFLICT,	IPC_E_CONFLICT },
	{ DB_ENOTFOUND,	IPC_E_NOT_FOUND },
	{ DB_EINTERNAL,	IPC_E_INTERNAL },
};

/*
 * A refusal that names an object of a domain the actor may not see is
 * given in its public wording: a domain admin must not learn of it.
 */
int
cmd_db_fail(struct cmd_ctx *ctx, char *cause, struct ipc_error *err)
{
	enum ipc_errcode	 code = IPC_E_INTERNAL;
	enum db_errkind		 kind = db_errkind(ctx->db);
	const char		*owner = db_errowner(ctx->db), *msg = cause;
	size_t			 i;

	for (i = 0; i < sizeof cmd_db_codes / sizeof cmd_db_codes[0]; i++) {
		if (cmd_db_codes[i].kind == kind)
			code = cmd_db_codes[i].code;
	}
	if (owner != NULL && !cmd_may_domain(ctx->actor, owner) &&
	    db_errpublic(ctx->db) != NULL)
		msg = db_errpublic(ctx->db);
	ipc_fail(err, code, db_errfield(ctx->db), "%s",
	    msg != NULL ? msg : "database error");
	free(cause);
	return -1;
}

char *
cmd_domain_visible(struct cmd_ctx *ctx, const char *domain,
    const char *field, struct ipc_error *err)
{
	char	*cause = NULL, *norm;

	if ((norm = db_domain_normalize(domain, &cause)) == NULL) {
		ipc_fail(err, IPC_E_INVALID, field, "%s", cause != NULL ?
		    cause : "bad domain name");
		free(cause);
		return NULL;
	}
	if (!cmd_may_domain(ctx->actor, norm)) {
		ipc_fail(err, IPC_E_NOT_FOUND, field, "domain %s not found",
		    norm);
		free(norm);
		return NULL;
	}
	return norm;
}

json_t *
cmd_user_visible(struct cmd_ctx *ctx, const char *name, const char *field,
    struct ipc_error *err)
{
	json_t	*u = NULL;
	char	*cause = NULL;

	if (db_user_show(ctx->db, name, &u, &cause) == -1) {
		cmd_db_fail(ctx, cause, err);
		snprintf(err->field, sizeof err->field, "%s", field);
		return NULL;
	}
	if (!cmd_may_domain(ctx->actor, json_string_value(json_object_get(u,
	    "domain")))) {
		json_decref(u);
		ipc_fail(err, IPC_E_NOT_FOUND, field, "user %s not found",
		    name);
		return NULL;
	}
	return u;
}

int
cmd_passwd_hash(const char *password, char *hash, struct ipc_error *err)
{
	if (password == NULL || strlen(password) < PASSWD_MIN_LEN)
		return ipc_fail(err, IPC_E_INVALID, "password", "the password "
		    "is too short: at least %d characters", PASSWD_MIN_LEN);
	if (passwd_hash(password, hash) == -1)
		return ipc_fail(err, IPC_E_INTERNAL, "password",
		    "the password could not be hashed (out of memory?)");
	return 0;
}
