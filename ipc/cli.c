/*
 * outfilterctl's command line, read from the command table alone: the
 * words of a dotted name, each abbreviable to a unique prefix (as tmux
 * does), then positional arguments in table order and options by flag.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ipc.h"

#define CLI_MAXWORDS	IPC_NCMDS

/* The next words a dotted prefix can go on with. */
struct cli_words {
	const char	*word[CLI_MAXWORDS];
	size_t		 len[CLI_MAXWORDS];
	size_t		 n;
};

/* What parsing the arguments of one command keeps track of. */
struct cli_state {
	const struct ipc_cmd	*cmd;
	json_t			*args;
	const struct ipc_arg	*pos;		/* the next positional argument */
	int			 stdin_used;
};

typedef int cli_set_fn(struct cli_state *, const struct ipc_arg *,
    const char *, char **);

static cli_set_fn cli_set_str, cli_set_int, cli_set_bool, cli_set_list,
    cli_set_secret, cli_set_text, cli_set_kv, cli_set_lines, cli_set_file;

static cli_set_fn *const cli_setters[] = {
	[T_STR] = cli_set_str,
	[T_INT] = cli_set_int,
	[T_BOOL] = cli_set_bool,
	[T_LIST] = cli_set_list,
	[T_SECRET] = cli_set_secret,
	[T_TEXT] = cli_set_text,
	[T_KV] = cli_set_kv,
	[T_LINES] = cli_set_lines,
	[T_FILE] = cli_set_file,
};

/* Collect the distinct words that follow prefix ("" or "user.add"). */
static void
cli_next_words(const char *prefix, struct cli_words *w)
{
	size_t		 plen = strlen(prefix), len, j;
	const char	*name, *rest, *dot;
	int		 i;

	w->n = 0;
	for (i = 0; i < IPC_NCMDS; i++) {
		name = ipc_cmds[i].name;
		/* "user" goes on with "user.add", never with "username". */
		if (plen == 0)
			rest = name;
		else if (strncmp(name, prefix, plen) == 0 && name[plen] == '.')
			rest = name + plen + 1;
		else
			continue;
		dot = strchr(rest, '.');
		len = dot != NULL ? (size_t)(dot - rest) : strlen(rest);
		for (j = 0; j < w->n; j++) {
			if (w->len[j] == len && strncmp(w->word[j], rest, len) == 0)
				break;
		}
		if (j == w->n) {
			w->word[w->n] = rest;
			w->len[w->n++] = len;
		}
	}
}

/* Which of w the word typed means: exactly, or by its prefixes. */
static void
cli_match(const struct cli_words *w, const char *typed, size_t *found,
    size_t *nfound)
{
	size_t	j, tlen = strlen(typed);

	*nfound = 0;
	for (j = 0; j < w->n; j++) {
		if (w->len[j] == tlen && strncmp(w->word[j], typed, tlen) == 0) {
			found[0] = j;
			*nfound = 1;
			return;
		}
		if (w->len[j] > tlen && strncmp(w->word[j], typed, tlen) == 0)
			found[(*nfound)++] = j;
	}
}

/* "user add" from "user.add." */
static void
cli_spell(const char *dotted, char *buf, size_t size)
{
	size_t	i;

	snprintf(buf, size, "%s", dotted);
	for (i = 0; buf[i] != '\0'; i++) {
		if (buf[i] == '.')
			buf[i] = ' ';
	}
	if (i > 0 && buf[i - 1] == ' ')
		buf[i - 1] = '\0';
}

static int
cli_ambiguous(const char *prefix, const char *typed,
    const struct cli_words *w, const size_t *found, size_t nfound,
    char **cause)
{
	char	spelled[128], list[1024] = "";
	size_t	i;

	cli_spell(prefix, spelled, sizeof spelled);
	for (i = 0; i < nfound; i++) {
		snprintf(list + strlen(list), sizeof list - strlen(list),
		    "%s%s%s%.*s", i > 0 ? ", " : "", spelled,
		    *spelled != '\0' ? " " : "", (int)w->len[found[i]],
		    w->word[found[i]]);
	}
	ipc_cause(cause, "ambiguous command \"%s%s%s\": could be %s", spelled,
	    *spelled != '\0' ? " " : "", typed, list);
	return EX_USAGE;
}

static int
cli_unknown(const char *prefix, const char *typed, char **cause)
{
	char	spelled[128];

	cli_spell(prefix, spelled, sizeof spelled);
	ipc_cause(cause, "unknown command \"%s%s%s\"; try \"help%s%s\"",
	    spelled, *spelled != '\0' ? " " : "", typed,
	    *spelled != '\0' ? " " : "", spelled);
	return EX_USAGE;
}

/*
 * Read the command words at the start of argv.  Sets cli->cmd (NULL when
 * the words only name a group), cli->words and *used.
 */
static int
cli_resolve(int argc, char *const argv[], struct ipc_cli *cli, int *used,
    char **cause)
{
	char			prefix[128] = "";
	struct cli_words	w;
	size_t			found[CLI_MAXWORDS], nfound;
	int			i;

	for (i = 0; i < argc && argv[i][0] != '-'; i++) {
		cli_next_words(prefix, &w);
		if (w.n == 0)
			break;
		cli_match(&w, argv[i], found, &nfound);
		if (nfound > 1)
			return cli_ambiguous(prefix, argv[i], &w, found, nfound,
			    cause);
		if (nfound == 0) {
			/* After a whole command, a word is an argument. */
			if (*prefix != '\0' && ipc_cmd_find(prefix) != NULL)
				break;
			return cli_unknown(prefix, argv[i], cause);
		}
		snprintf(prefix + strlen(prefix), sizeof prefix - strlen(prefix),
		    "%s%.*s", *prefix != '\0' ? "." : "", (int)w.len[found[0]],
		    w.word[found[0]]);
	}
	if (i == 0) {
		ipc_cause(cause, "no command given; try \"help\"");
		return EX_USAGE;
	}
	cli->cmd = ipc_cmd_find(prefix);
	cli_spell(prefix, cli->words, sizeof cli->words);
	*used = i;
	return 0;
}

/* "--domain DOMAIN" or "NAME": how an argument is written. */
static void
cli_arg_spell(const struct ipc_arg *a, char *buf, size_t size)
{
	if (a->flag == NULL)
		snprintf(buf, size, "%s", a->metavar);
	else if (a->type == T_BOOL)
		snprintf(buf, size, "%s", a->flag);
	else
		snprintf(buf, size, "%s %s", a->flag, a->metavar);
}

static json_t *
cli_string(const struct ipc_arg *a, const char *v, char **cause)
{
	json_t	*s;
	char	 spelled[128];

	if ((s = json_string(v)) == NULL) {
		cli_arg_spell(a, spelled, sizeof spelled);
		ipc_cause(cause, "%s: \"%s\" is not valid UTF-8", spelled, v);
	}
	return s;
}

/* Set a single-valued argument, refusing it twice. */
static int
cli_put(struct cli_state *st, const struct ipc_arg *a, json_t *v,
    char **cause)
{
	char	spelled[128];

	if (v == NULL)
		return EX_DATAERR;
	if (json_object_get(st->args, a->key) != NULL) {
		json_decref(v);
		cli_arg_spell(a, spelled, sizeof spelled);
		ipc_cause(cause, "%s given twice", spelled);
		return EX_USAGE;
	}
	json_object_set_new(st->args, a->key, v);
	return 0;
}

static int
cli_set_str(struct cli_state *st, const struct ipc_arg *a, const char *v,
    char **cause)
{
	return cli_put(st, a, cli_string(a, v, cause), cause);
}

static int
cli_set_int(struct cli_state *st, const struct ipc_arg *a, const char *v,
    char **cause)
{
	char		 spelled[128], *end;
	long long	 n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end != '\0' || errno == ERANGE) {
		cli_arg_spell(a, spelled, sizeof spelled);
		ipc_cause(cause, "%s must be a whole number >= 0, not \"%s\"",
		    spelled, v);
		return EX_USAGE;
	}
	return cli_put(st, a, json_integer(n), cause);
}

static int
cli_set_bool(struct cli_state *st, const struct ipc_arg *a, const char *v,
    char **cause)
{
	return cli_put(st, a, json_true(), cause);
}

static int
cli_set_list(struct cli_state *st, const struct ipc_arg *a, const char *v,
    char **cause)
{
	json_t	*list, *s;

	if ((s = cli_string(a, v, cause)) == NULL)
		return EX_DATAERR;
	if ((list = json_object_get(st->args, a->key)) == NULL) {
		list = json_array();
		json_object_set_new(st->args, a->key, list);
	}
	json_array_append_new(list, s);
	return 0;
}

/* "-" may be read once: both would want the same stream. */
static int
cli_stdin(struct cli_state *st, const char *path, char **cause)
{
	if (strcmp(path, "-") != 0)
		return 0;
	if (st->stdin_used) {
		ipc_cause(cause, "only one argument can be read from "
		    "standard input");
		return EX_USAGE;
	}
	st->stdin_used = 1;
	return 0;
}

static int
cli_set_secret(struct cli_state *st, const struct ipc_arg *a, const char *v,
    char **cause)
{
	char	*secret;
	int	 rc;

	if ((rc = cli_stdin(st, v, cause)) != 0 ||
	    (rc = ipc_login_read_secret(v, &secret, cause)) != 0)
		return rc;
	rc = cli_put(st, a, cli_string(a, secret, cause), cause);
	ipc_login_free_secret(secret);
	return rc;
}

/* Read all of f into buf (IPC_MAX_TEXT + 2 bytes) as one string. */
static int
cli_read_all(FILE *f, const char *path, char *buf, char **cause)
{
	size_t	n = fread(buf, 1, IPC_MAX_TEXT + 1, f);

	if (ferror(f)) {
		ipc_cause(cause, "cannot read %s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	if (n > IPC_MAX_TEXT) {
		ipc_cause(cause, "%s is longer than %d bytes", path,
		    IPC_MAX_TEXT);
		return EX_DATAERR;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		ipc_cause(cause, "%s is not text: it holds a NUL byte", path);
		return EX_DATAERR;
	}
	return 0;
}

/* The whole of FILE ("-" stdin), at most IPC_MAX_TEXT bytes of text. */
static int
cli_read_text(const char *path, char **text, char **cause)
{
	FILE	*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char	*buf;
	int	 rc;

	if (f == NULL) {
		ipc_cause(cause, "cannot read %s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	if ((buf = malloc(IPC_MAX_TEXT + 2)) == NULL) {
		ipc_cause(cause, "out of memory");
		rc = EX_OSERR;
	} else
		rc = cli_read_all(f, path, buf, cause);
	if (f != stdin)
		fclose(f);
	if (rc != 0)
		free(buf);
	else
		*text = buf;
	return rc;
}

static int
cli_set_text(struct cli_state *st, const struct ipc_arg *a, const char *v,
    char **cause)
{
	char	*text;
	json_t	*s;
	int	 rc;

	if ((rc = cli_stdin(st, v, cause)) != 0 ||
	    (rc = cli_read_text(v, &text, cause)) != 0)
		return rc;
	if ((s = json_string(text)) == NULL) {
		ipc_cause(cause, "%s is not UTF-8 text", v);
		free(text);
		return EX_DATAERR;
	}
	free(text);
	return cli_put(st, a, s, cause);
}

/*
 * Read f to its end into *buf (grown as it fills), at most IPC_MAX_FILE
 * bytes.
 */
static int
cli_read_bytes(FILE *f, const char *path, char **buf, size_t *len,
    char **cause)
{
	size_t	 cap = 0, n;
	char	*grown;

	*buf = NULL;
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > IPC_MAX_FILE + 1)
				cap = IPC_MAX_FILE + 1;
			if ((grown = realloc(*buf, cap)) == NULL) {
				ipc_cause(cause, "out of memory");
				return EX_OSERR;
			}
			*buf = grown;
		}
		if ((n = fread(*buf + *len, 1, cap - *len, f)) == 0)
			break;
		*len += n;
		if (*len > IPC_MAX_FILE) {
			ipc_cause(cause, "%s is larger than %d bytes (%d MiB)",
			    path, IPC_MAX_FILE, IPC_MAX_FILE / (1024 * 1024));
			return EX_DATAERR;
		}
	}
	if (ferror(f)) {
		ipc_cause(cause, "cannot read %s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	return 0;
}

/* The bytes of FILE ("-" stdin), whatever they are: sent in base64. */
static int
cli_set_file(struct cli_state *st, const struct ipc_arg *a, const char *v,
    char **cause)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len;
	int	 rc;

	if ((rc = cli_stdin(st, v, cause)) != 0)
		return rc;
	if ((f = strcmp(v, "-") == 0 ? stdin : fopen(v, "rb")) == NULL) {
		ipc_cause(cause, "cannot read %s: %s", v, strerror(errno));
		return EX_NOINPUT;
	}
	rc = cli_read_bytes(f, v, &buf, &len, cause);
	if (f != stdin)
		fclose(f);
	if (rc == 0)
		rc = cli_put(st, a, json_stringn_nocheck(buf != NULL ? buf :
		    "", len), cause);
	free(buf);
	return rc;
}

/* FILE itself: outfilterctl reads it part by part when it sends it. */
static int
cli_set_lines(struct cli_state *st, const struct ipc_arg *a, const char *v,
    char **cause)
{
	int	rc;

	if ((rc = cli_stdin(st, v, cause)) != 0)
		return rc;
	return cli_put(st, a, cli_string(a, v, cause), cause);
}

static int
cli_set_kv(struct cli_state *st, const struct ipc_arg *a, const char *v,
    char **cause)
{
	const char	*eq = strchr(v, '=');
	char		 key[IPC_MAX_STR + 1];
	json_t		*obj, *s;

	if (eq == NULL || eq == v || (size_t)(eq - v) > IPC_MAX_STR) {
		ipc_cause(cause, "\"%s\" is not %s", v, a->metavar);
		return EX_USAGE;
	}
	snprintf(key, sizeof key, "%.*s", (int)(eq - v), v);
	if ((obj = json_object_get(st->args, a->key)) == NULL) {
		obj = json_object();
		json_object_set_new(st->args, a->key, obj);
	}
	if (json_object_get(obj, key) != NULL) {
		ipc_cause(cause, "%s given twice", key);
		return EX_USAGE;
	}
	if ((s = cli_string(a, eq + 1, cause)) == NULL)
		return EX_DATAERR;
	json_object_set_new(obj, key, s);
	return 0;
}

/* An option word at argv[*i]: "--flag VALUE", "--flag=VALUE" or "--flag". */
static int
cli_option(struct cli_state *st, int argc, char *const argv[], int *i,
    char **cause)
{
	const char		*w = argv[*i], *eq = strchr(w, '=');
	size_t			 len = eq != NULL ? (size_t)(eq - w) : strlen(w);
	const struct ipc_arg	*a;

	for (a = st->cmd->args; a->key != NULL; a++) {
		if (a->flag != NULL && strlen(a->flag) == len &&
		    strncmp(a->flag, w, len) == 0)
			break;
	}
	if (a->key == NULL) {
		ipc_cause(cause, "unknown option %.*s for \"%s\"", (int)len, w,
		    st->cmd->name);
		return EX_USAGE;
	}
	if (a->type == T_BOOL && eq != NULL) {
		ipc_cause(cause, "%s takes no value", a->flag);
		return EX_USAGE;
	}
	if (a->type == T_BOOL)
		return cli_setters[a->type](st, a, "", cause);
	if (eq != NULL)
		return cli_setters[a->type](st, a, eq + 1, cause);
	if (*i + 1 >= argc) {
		ipc_cause(cause, "%s needs a value (%s)", a->flag, a->metavar);
		return EX_USAGE;
	}
	return cli_setters[a->type](st, a, argv[++*i], cause);
}

static int
cli_positional(struct cli_state *st, const char *w, char **cause)
{
	const struct ipc_arg	*a = st->pos;

	while (a->key != NULL && a->flag != NULL)
		a++;
	if (a->key == NULL) {
		ipc_cause(cause, "unexpected argument \"%s\"", w);
		return EX_USAGE;
	}
	/* A list or KEY=VALUE positional takes the rest of the words. */
	st->pos = a->type == T_LIST || a->type == T_KV ? a : a + 1;
	return cli_setters[a->type](st, a, w, cause);
}

static int
cli_required(struct cli_state *st, char **cause)
{
	const struct ipc_arg	*a;
	char			 spelled[128], words[128];

	for (a = st->cmd->args; a->key != NULL; a++) {
		if (a->required && json_object_get(st->args, a->key) == NULL) {
			cli_arg_spell(a, spelled, sizeof spelled);
			cli_spell(st->cmd->name, words, sizeof words);
			ipc_cause(cause, "\"%s\" needs %s", words, spelled);
			return EX_USAGE;
		}
	}
	return 0;
}

/* Was help asked for among argv (before a "--")? */
static int
cli_wants_help(int argc, char *const argv[])
{
	int	i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

static int
cli_args(struct ipc_cli *cli, int argc, char *const argv[], char **cause)
{
	struct cli_state	st = { cli->cmd, json_object(), cli->cmd->args, 0 };
	int			i, rc = 0, options = 1;

	for (i = 0; i < argc && rc == 0; i++) {
		if (options && strcmp(argv[i], "--") == 0)
			options = 0;
		else if (options && argv[i][0] == '-' && argv[i][1] != '\0')
			rc = cli_option(&st, argc, argv, &i, cause);
		else
			rc = cli_positional(&st, argv[i], cause);
	}
	if (rc == 0)
		rc = cli_required(&st, cause);
	if (rc != 0) {
		ipc_args_wipe(cli->cmd, st.args);
		json_decref(st.args);
		return rc;
	}
	cli->args = st.args;
	return 0;
}

int
ipc_cli_parse(int argc, char *const argv[], struct ipc_cli *cli, char **cause)
{
	int	used, rc;

	memset(cli, 0, sizeof *cli);
	if ((rc = cli_resolve(argc, argv, cli, &used, cause)) != 0)
		return rc;
	if (cli_wants_help(argc - used, argv + used)) {
		cli->help = 1;
		return 0;
	}
	if (cli->cmd == NULL) {
		ipc_cause(cause, "\"%s\" needs more words; try \"help %s\"",
		    cli->words, cli->words);
		return EX_USAGE;
	}
	return cli_args(cli, argc - used, argv + used, cause);
}

void
ipc_cli_clear(struct ipc_cli *cli)
{
	ipc_args_wipe(cli->cmd, cli->args);
	json_decref(cli->args);
	cli->args = NULL;
}

/* One argument of a synopsis: "NAME", "[--locked]", "--ip CIDR ...". */
static void
cli_synopsis_arg(const struct ipc_arg *a, char *buf, size_t size)
{
	char	spelled[128];
	int	many = a->type == T_LIST || a->type == T_KV;

	cli_arg_spell(a, spelled, sizeof spelled);
	snprintf(buf, size, "%s%s%s%s", a->required ? "" : "[", spelled,
	    many ? " ..." : "", a->required ? "" : "]");
}

char *
ipc_cli_synopsis(const struct ipc_cmd *cmd)
{
	const struct ipc_arg	*a;
	char			 buf[1024], one[160];

	cli_spell(cmd->name, buf, sizeof buf);
	for (a = cmd->args; a->key != NULL; a++) {
		cli_synopsis_arg(a, one, sizeof one);
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " %s", one);
	}
	return strdup(buf);
}

/* "1..100000", "on|off"...: what a setting takes. */
static void
cli_uset_values(const struct ipc_uset *u, char *buf, size_t size)
{
	switch (u->type) {
	case US_INT:
		if (u->max == 0)
			snprintf(buf, size, "%lld..", u->min);
		else
			snprintf(buf, size, "%lld..%lld", u->min, u->max);
		break;
	case US_BOOL:
		snprintf(buf, size, "on|off");
		break;
	case US_ENUM:
		snprintf(buf, size, "%s", u->choices);
		break;
	case US_STR:
		snprintf(buf, size, "text");
		break;
	case US_LIST:
		snprintf(buf, size, "ENTRY or a JSON list");
		break;
	}
}

/* user set's KEYs, from the settings table. */
static void
cli_help_settings(FILE *f)
{
	size_t	i;
	int	width = 0, n;
	char	values[128];

	for (i = 0; i < ipc_nusets; i++) {
		if ((n = strlen(ipc_usets[i].key)) > width)
			width = n;
	}
	fprintf(f, "\nKEYs:\n");
	for (i = 0; i < ipc_nusets; i++) {
		cli_uset_values(&ipc_usets[i], values, sizeof values);
		fprintf(f, "  %-*s  %s, default %s\n  %-*s  %s\n", width,
		    ipc_usets[i].key, values, *ipc_usets[i].def != '\0' ?
		    ipc_usets[i].def : "empty", width, "", ipc_usets[i].help);
	}
}

void
ipc_cli_help_cmd(FILE *f, const char *prog, const struct ipc_cmd *cmd)
{
	const struct ipc_arg	*a;
	char			*syn = ipc_cli_synopsis(cmd), spelled[128];
	int			 width = 0, n;

	fprintf(f, "usage: %s %s\n\n%s\n", prog, syn != NULL ? syn : "",
	    cmd->help);
	free(syn);
	for (a = cmd->args; a->key != NULL; a++) {
		cli_arg_spell(a, spelled, sizeof spelled);
		if ((n = strlen(spelled)) > width)
			width = n;
	}
	if (cmd->args->key != NULL)
		fputc('\n', f);
	for (a = cmd->args; a->key != NULL; a++) {
		cli_arg_spell(a, spelled, sizeof spelled);
		fprintf(f, "  %-*s  %s\n", width, spelled, a->help);
	}
	if (cmd->id == IPC_CMD_user_set)
		cli_help_settings(f);
	if (cmd->role == ROLE_SUPER)
		fprintf(f, "\nOnly a super-admin may run it.\n");
	if (cmd->flags & CMDF_LIST)
		fprintf(f, "\nThe list comes in pages: when there are more "
		    "rows, the last line on\nstandard error says which "
		    "--after CURSOR continues it.\n");
	if (cmd->flags & CMDF_STREAM)
		fprintf(f, "\nIt runs until interrupted (SIGINT or SIGTERM: "
		    "status 0); --timeout SEC\nends it after SEC seconds "
		    "without an event (status 75).  The event types\nand "
		    "their fields are in outfilter-ipc(7).\n");
}

/* Does cmd's name start with the dotted group (words separated by '.')? */
static int
cli_in_group(const struct ipc_cmd *cmd, const char *group)
{
	size_t	len = strlen(group);

	return len == 0 || (strncmp(cmd->name, group, len) == 0 &&
	    (cmd->name[len] == '.' || cmd->name[len] == '\0'));
}

void
ipc_cli_help_list(FILE *f, const char *prog, const char *words)
{
	char	group[128], spelled[128], *syn;
	int	i, width = 0, n;
	size_t	j;

	snprintf(group, sizeof group, "%s", words != NULL ? words : "");
	for (j = 0; group[j] != '\0'; j++)
		group[j] = group[j] == ' ' ? '.' : group[j];
	for (i = 0; i < IPC_NCMDS; i++) {
		cli_spell(ipc_cmds[i].name, spelled, sizeof spelled);
		if (cli_in_group(&ipc_cmds[i], group) &&
		    (n = strlen(spelled)) > width)
			width = n;
	}
	for (i = 0; i < IPC_NCMDS; i++) {
		if (!cli_in_group(&ipc_cmds[i], group))
			continue;
		cli_spell(ipc_cmds[i].name, spelled, sizeof spelled);
		if (*group == '\0') {
			fprintf(f, "  %-*s  %s\n", width, spelled,
			    ipc_cmds[i].help);
			continue;
		}
		syn = ipc_cli_synopsis(&ipc_cmds[i]);
		fprintf(f, "  %s %s\n      %s\n", prog, syn != NULL ? syn : "",
		    ipc_cmds[i].help);
		free(syn);
	}
}

const char *
ipc_cli_field(const struct ipc_cmd *cmd, const char *field)
{
	const struct ipc_arg	*a;

	if (cmd == NULL || field == NULL || (a = ipc_cmd_arg(cmd, field)) == NULL)
		return field;
	return a->flag != NULL ? a->flag : a->metavar;
}
