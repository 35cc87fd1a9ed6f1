/*
 * admin.*: admin accounts.  Only a super-admin manages them; a domain
 * admin may change its own password and nothing else here.
 */
#include <string.h>

#include <sodium.h>

#include "cmd.h"
#include "db.h"
#include "passwd.h"

int
cmd_admin_list(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*after;
	char		*cause = NULL;
	int		 limit;

	if (cmd_page(args, &limit, &after, err) == -1)
		return -1;
	if (db_admin_list(ctx->db, after, limit, result, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

/* "super" or "domain": 1, 0, or -1 with err. */
static int
cmd_admin_role(const char *role, struct ipc_error *err)
{
	if (role != NULL && strcmp(role, "super") == 0)
		return 1;
	if (role != NULL && strcmp(role, "domain") == 0)
		return 0;
	return ipc_fail(err, IPC_E_INVALID, "role", "\"%s\" is not a role: "
	    "super or domain", role != NULL ? role : "");
}

int
cmd_admin_add(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	char		 hash[PASSWD_HASH_MAX], *cause = NULL;
	int		 super, rc;

	if ((super = cmd_admin_role(cmd_arg_str(args, "role"), err)) == -1 ||
	    cmd_passwd_hash(cmd_arg_str(args, "password"), hash, err) == -1)
		return -1;
	rc = db_admin_add(ctx->db, name, hash, super, json_object_get(args,
	    "domains"), &cause);
	sodium_memzero(hash, sizeof hash);
	if (rc == -1)
		return cmd_db_fail(ctx, cause, err);
	*result = json_pack("{s:s,s:s,s:o}", "name", name, "role",
	    super ? "super" : "domain", "domains", super ? json_array() :
	    json_deep_copy(json_object_get(args, "domains")));
	return *result != NULL ? 0 : ipc_fail(err, IPC_E_INTERNAL, "",
	    "out of memory");
}

int
cmd_admin_del(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	char		*cause = NULL;

	if (db_admin_del(ctx->db, name, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	*result = json_pack("{s:s,s:b}", "name", name, "deleted", 1);
	return 0;
}

int
cmd_admin_passwd(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*name = cmd_arg_str(args, "name");
	char		 hash[PASSWD_HASH_MAX], *cause = NULL;
	int		 rc;

	if (!ctx->actor->super && strcmp(name, ctx->actor->name) != 0)
		return ipc_fail(err, IPC_E_DENIED, "name", "a domain admin may "
		    "change only its own password; ask a super-admin");
	if (cmd_passwd_hash(cmd_arg_str(args, "password"), hash, err) == -1)
		return -1;
	rc = db_admin_passwd(ctx->db, name, hash, &cause);
	sodium_memzero(hash, sizeof hash);
	if (rc == -1)
		return cmd_db_fail(ctx, cause, err);
	*result = json_pack("{s:s,s:b}", "name", name, "password_changed", 1);
	return 0;
}
