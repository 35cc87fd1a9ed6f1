/*
 * dkim.*: DKIM keys per domain and selector.  A domain admin manages the
 * keys of its own domains; another domain is reported as not found.
 */
#define _GNU_SOURCE		/* asprintf */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "dkim.h"

/* A key as shown: its row, the DNS name, the TXT text and the zone line. */
static int
cmd_dkim_reply(struct cmd_ctx *ctx, const char *domain, const char *selector,
    json_t **result, struct ipc_error *err)
{
	json_t	*row = NULL;
	char	*alg = NULL, *sealed = NULL, *txt = NULL, *name = NULL;
	char	*line = NULL, *cause = NULL;
	int	 rc = -1;

	if (db_dkim_show(ctx->db, domain, selector, &row, &cause) == -1 ||
	    db_dkim_get(ctx->db, domain, selector, &alg, &sealed, &cause) != 0)
		return cmd_db_fail(ctx, cause, err);
	if ((txt = dkim_txt(ctx->info->config, alg, sealed, &cause)) == NULL)
		ipc_fail(err, IPC_E_INTERNAL, "selector", "%s", cause != NULL ?
		    cause : "out of memory");
	else if (asprintf(&name, "%s._domainkey.%s.", json_string_value(
	    json_object_get(row, "selector")), json_string_value(
	    json_object_get(row, "domain"))) == -1 ||
	    (line = dkim_zone_line(name, txt)) == NULL) {
		name = NULL;
		ipc_fail(err, IPC_E_INTERNAL, "", "out of memory");
	} else {
		json_object_set_new(row, "name", json_string(name));
		json_object_set_new(row, "txt", json_string(txt));
		json_object_set_new(row, "record", json_string(line));
		*result = row;
		row = NULL;
		rc = 0;
	}
	json_decref(row);
	free(cause);
	free(alg);
	free(sealed);
	free(txt);
	free(name);
	free(line);
	return rc;
}

/* Does the database hold any key (sealed with the key file)? */
static int
cmd_dkim_any(struct cmd_ctx *ctx, int *any, struct ipc_error *err)
{
	json_t	*page;
	char	*cause = NULL;

	if (db_dkim_list(ctx->db, NULL, NULL, NULL, 1, &page, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	*any = json_array_size(json_object_get(page, "items")) > 0;
	json_decref(page);
	return 0;
}

/* Refusals found before a key is made: bad names, no domain, taken. */
static int
cmd_dkim_keygen_check(struct cmd_ctx *ctx, const char *dom, const char *sel,
    const char *algo, struct ipc_error *err)
{
	json_t	*d;
	char	*alg, *sealed, *cause = NULL;
	int	 rc;

	if (algo != NULL && strcmp(algo, "rsa-2048") != 0 &&
	    strcmp(algo, "ed25519") != 0)
		return ipc_fail(err, IPC_E_INVALID, "algo", "\"%.100s\" is not "
		    "a DKIM key algorithm: rsa-2048 or ed25519", algo);
	if (db_domain_show(ctx->db, dom, &d, &cause) == -1)
		return cmd_db_fail(ctx, cause, err);
	json_decref(d);
	if ((rc = db_dkim_get(ctx->db, dom, sel, &alg, &sealed, &cause)) ==
	    -1)
		return cmd_db_fail(ctx, cause, err);
	if (rc == 0) {
		free(alg);
		free(sealed);
		return ipc_fail(err, IPC_E_CONFLICT, "selector", "%s already "
		    "has a DKIM key for selector %s (dkim del it first)", dom,
		    sel);
	}
	return 0;
}

/* A selector as stored; NULL with err. */
static char *
cmd_dkim_selector(json_t *args, struct ipc_error *err)
{
	char	*sel, *cause = NULL;

	if ((sel = db_selector_normalize(cmd_arg_str(args, "selector"),
	    &cause)) == NULL)
		ipc_fail(err, IPC_E_INVALID, "selector", "%s", cause != NULL ?
		    cause : "out of memory");
	free(cause);
	return sel;
}

int
cmd_dkim_keygen(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*algo = cmd_arg_str(args, "algo"), *algorithm;
	char		*dom, *sel = NULL, *sealed = NULL, *cause = NULL;
	int		 any = 1, rc = -1;

	if ((dom = cmd_domain_visible(ctx, cmd_arg_str(args, "domain"),
	    "domain", err)) == NULL)
		return -1;
	if ((sel = cmd_dkim_selector(args, err)) == NULL ||
	    cmd_dkim_keygen_check(ctx, dom, sel, algo, err) == -1 ||
	    cmd_dkim_any(ctx, &any, err) == -1)
		goto out;
	/* A new key file next to sealed keys would leave them unopenable. */
	if (dkim_keygen(ctx->info->config, algo, !any, &algorithm, &sealed,
	    &cause) == -1) {
		ipc_fail(err, IPC_E_INTERNAL, "", "%s", cause != NULL ? cause :
		    "out of memory");
		goto out;
	}
	if (db_dkim_add(ctx->db, dom, sel, algorithm, sealed, &cause) == -1) {
		cmd_db_fail(ctx, cause, err);
		cause = NULL;
	} else
		rc = cmd_dkim_reply(ctx, dom, sel, result, err);
out:
	free(cause);
	free(sealed);
	free(sel);
	free(dom);
	return rc;
}

int
cmd_dkim_dns(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	char	*dom;
	int	 rc;

	if ((dom = cmd_domain_visible(ctx, cmd_arg_str(args, "domain"),
	    "domain", err)) == NULL)
		return -1;
	rc = cmd_dkim_reply(ctx, dom, cmd_arg_str(args, "selector"), result,
	    err);
	free(dom);
	return rc;
}

int
cmd_dkim_list(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	const char	*after, *domain = cmd_arg_str(args, "domain");
	char		*dom = NULL, *cause = NULL;
	int		 limit, rc;

	if (cmd_page(args, &limit, &after, err) == -1)
		return -1;
	/* Another domain's keys: that domain is not found. */
	if (domain != NULL && (dom = cmd_domain_visible(ctx, domain,
	    "domain", err)) == NULL)
		return -1;
	rc = db_dkim_list(ctx->db, cmd_scope(ctx), dom, after, limit, result,
	    &cause);
	free(dom);
	if (rc == -1)
		return cmd_db_fail(ctx, cause, err);
	return 0;
}

int
cmd_dkim_del(struct cmd_ctx *ctx, json_t *args, json_t **result,
    struct ipc_error *err)
{
	char	*dom, *sel, *cause = NULL;
	int	 rc = -1;

	if ((dom = cmd_domain_visible(ctx, cmd_arg_str(args, "domain"),
	    "domain", err)) == NULL)
		return -1;
	if ((sel = cmd_dkim_selector(args, err)) == NULL)
		;
	else if (db_dkim_del(ctx->db, dom, sel, &cause) == -1)
		cmd_db_fail(ctx, cause, err);
	else {
		*result = json_pack("{s:s,s:s,s:b}", "domain", dom, "selector",
		    sel, "deleted", 1);
		rc = 0;
	}
	free(sel);
	free(dom);
	return rc;
}
