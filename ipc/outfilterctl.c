/*
 * outfilterctl: the control protocol from the command line.  Its commands,
 * their arguments and help all come from the command table (commands.def).
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "ctl_parts.h"
#include "ipc.h"

#define CTL_TIMEOUT_MS	30000

struct ctl {
	const char	*config;	/* -c FILE */
	const char	*endpoint;	/* --endpoint */
	const char	*user;		/* --user */
	const char	*password_file;	/* --password-file */
	struct ipc_curve *curve;	/* tcp://: from the credentials file */
	int		 json;		/* --json */
	int		 timeout_ms;
	int		 timeout_given;	/* events: ends a silence */
	struct ipc_cli	 cli;
};

static const char *ctl_prog = "outfilterctl";

static void
ctl_usage(FILE *f)
{
	fprintf(f, "usage: %s [-c FILE] [--json] [--user NAME --password-file "
	    "FILE]\n       [--endpoint ENDPOINT] [--timeout SEC] COMMAND "
	    "[ARGS]\n       %s --curve-keygen\n", ctl_prog, ctl_prog);
}

static void
ctl_help(void)
{
	ctl_usage(stdout);
	printf("\n"
	    "  -c FILE               read [control] endpoint from FILE\n"
	    "  --json                print the result as JSON\n"
	    "  --user NAME           log in as the admin NAME...\n"
	    "  --password-file FILE  ...with the password in FILE (- stdin)\n"
	    "  --endpoint ENDPOINT   the daemon's control endpoint\n"
	    "  --timeout SEC         wait at most SEC seconds (default %d);\n"
	    "                        events: end after SEC s without one\n"
	    "  --curve-keygen        print a new CURVE key pair for tcp://\n"
	    "  --version             print the version\n"
	    "\ncommands (\"%s help COMMAND\" for one; every word may be "
	    "shortened):\n", CTL_TIMEOUT_MS / 1000, ctl_prog);
	ipc_cli_help_list(stdout, ctl_prog, "");
}

/* Print "outfilterctl: MESSAGE" and return status. */
static int
ctl_fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
ctl_fail(int status, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", ctl_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* A status with a library cause, freed here. */
static int
ctl_cause(int status, char *cause)
{
	ctl_fail(status, "%s", cause != NULL ? cause : "out of memory");
	free(cause);
	return status;
}

static int
ctl_timeout(const char *arg, int *ms)
{
	char	*end;
	double	 sec = strtod(arg, &end);

	if (*arg == '\0' || *end != '\0' || !(sec > 0) || sec > 86400)
		return ctl_fail(EX_USAGE, "--timeout wants seconds (> 0), "
		    "not \"%s\"", arg);
	*ms = sec * 1000 < 1 ? 1 : (int)(sec * 1000);
	return 0;
}

/*
 * --curve-keygen: a key pair for a tcp:// endpoint, as the lines that
 * take it: the public key for the daemon's [control] curve_clients, the
 * secret one for the credentials file.
 */
static int
ctl_curve_keygen(void)
{
	char	public[IPC_CURVE_KEYLEN + 1], secret[IPC_CURVE_KEYLEN + 1];

	if (ipc_curve_keypair(public, secret) == -1)
		return ctl_fail(EX_SOFTWARE, "cannot make a CURVE key pair: "
		    "libzmq was built without CURVE");
	printf("# for the daemon's [control] curve_clients file, after the "
	    "admin's name:\npublic_key = %s\n# for the credentials file of "
	    "outfilterctl:\nsecret_key = %s\n", public, secret);
	sodium_memzero(secret, sizeof secret);
	if (fflush(stdout) == EOF || ferror(stdout))
		return ctl_fail(EX_IOERR, "cannot write the key pair");
	return 0;
}

/*
 * The options before the command.  Returns -1 to go on, else the exit
 * status (0 after --help or --version).
 */
static int
ctl_options(struct ctl *ctl, int argc, char *argv[])
{
	static const struct option long_options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "user", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "curve-keygen", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	while ((ch = getopt_long(argc, argv, "+c:hV", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': ctl->config = optarg; break;
		case 'j': ctl->json = 1; break;
		case 'u': ctl->user = optarg; break;
		case 'p': ctl->password_file = optarg; break;
		case 'e': ctl->endpoint = optarg; break;
		case 't':
			if (ctl_timeout(optarg, &ctl->timeout_ms) != 0)
				return EX_USAGE;
			ctl->timeout_given = 1;
			break;
		case 'K': return ctl_curve_keygen();
		case 'h': ctl_help(); return 0;
		case 'V':
			printf("outfilterctl (%s) %s, control protocol %d\n",
			    PACKAGE_NAME, PACKAGE_VERSION, IPC_PROTOCOL_VERSION);
			return 0;
		default: ctl_usage(stderr); return EX_USAGE;
		}
	}
	if ((ctl->user == NULL) != (ctl->password_file == NULL))
		return ctl_fail(EX_USAGE, "--user and --password-file go "
		    "together");
	return -1;
}

/* --json may also come after the command's words: take it out. */
static int
ctl_take_json(struct ctl *ctl, int argc, char *argv[])
{
	int	i, n = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			ctl->json = 1;
		else
			argv[n++] = argv[i];
	}
	return n;
}

/* "help [WORDS]": the same as "WORDS --help". */
static int
ctl_help_words(struct ctl *ctl, int argc, char *argv[])
{
	char	**words, *cause = NULL;
	int	  i, rc;

	if (argc == 0) {
		ctl_help();
		return 0;
	}
	if ((words = calloc(argc + 2, sizeof *words)) == NULL)
		return ctl_fail(EX_OSERR, "out of memory");
	for (i = 0; i < argc; i++)
		words[i] = argv[i];
	words[argc] = (char *)"--help";
	rc = ipc_cli_parse(argc + 1, words, &ctl->cli, &cause);
	free(words);
	if (rc != 0)
		return ctl_cause(rc, cause);
	if (ctl->cli.cmd != NULL)
		ipc_cli_help_cmd(stdout, ctl_prog, ctl->cli.cmd);
	else
		ipc_cli_help_list(stdout, ctl_prog, ctl->cli.words);
	return 0;
}

/* Parse the command; -1 to go on, else the exit status. */
static int
ctl_command(struct ctl *ctl, int argc, char *argv[])
{
	char	*cause = NULL, *syn;
	int	 rc;

	if (argc == 0) {
		ctl_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[0], "help") == 0)
		return ctl_help_words(ctl, argc - 1, argv + 1);
	if ((rc = ipc_cli_parse(argc, argv, &ctl->cli, &cause)) != 0) {
		ctl_cause(rc, cause);
		if (rc == EX_USAGE && ctl->cli.cmd != NULL &&
		    (syn = ipc_cli_synopsis(ctl->cli.cmd)) != NULL) {
			fprintf(stderr, "usage: %s %s\n", ctl_prog, syn);
			free(syn);
		}
		return rc;
	}
	if (!ctl->cli.help)
		return -1;
	if (ctl->cli.cmd != NULL)
		ipc_cli_help_cmd(stdout, ctl_prog, ctl->cli.cmd);
	else
		ipc_cli_help_list(stdout, ctl_prog, ctl->cli.words);
	return 0;
}

/*
 * Over tcp://, the CURVE keys of the credentials file are the login;
 * there is no other.
 */
static int
ctl_login_curve(struct ctl *ctl, const char *endpoint)
{
	char	*cause = NULL;
	int	 rc;

	if (strncmp(endpoint, "tcp://", 6) != 0)
		return 0;
	if (ctl->user != NULL)
		return ctl_fail(EX_USAGE, "--user logs in with a password, which "
		    "a tcp:// endpoint does not take: the CURVE key of the "
		    "credentials file says who you are");
	if ((rc = ipc_login_curve(NULL, &ctl->curve, &cause)) != 0)
		return ctl_cause(rc, cause);
	if (ctl->curve == NULL)
		return ctl_fail(EX_CONFIG, "%s is a tcp:// endpoint, which needs "
		    "CURVE keys: a server_key and a secret_key line in the "
		    "credentials file (see outfilterctl(8))", endpoint);
	return 0;
}

/* Who logs in: --user with its file, a credentials file, or this uid. */
static int
ctl_login(struct ctl *ctl, const char *endpoint, char **user, char **password)
{
	char	*cause = NULL;
	int	 rc;

	*user = *password = NULL;
	if ((rc = ctl_login_curve(ctl, endpoint)) != 0 || ctl->curve != NULL)
		return rc;
	if (ctl->user != NULL) {
		if ((*user = strdup(ctl->user)) == NULL)
			return ctl_fail(EX_OSERR, "out of memory");
		rc = ipc_login_read_secret(ctl->password_file, password, &cause);
	} else
		rc = ipc_login_credentials(NULL, user, password, &cause);
	if (rc != 0) {
		free(*user);
		*user = NULL;
		return ctl_cause(rc, cause);
	}
	return 0;
}

/*
 * The daemon's refusal.  When an option is at fault and the message does
 * not say so, it is named first, as typed: "--ip: 192.0.2.0/24 overlaps".
 */
static int
ctl_refused(struct ctl *ctl, const struct ipc_error *err)
{
	const char	*field = ipc_cli_field(ctl->cli.cmd, err->field);

	if (strncmp(field, "--", 2) != 0 || strstr(err->message, field) != NULL)
		return ctl_fail(ipc_errcode_exit(err->code), "%s", err->message);
	return ctl_fail(ipc_errcode_exit(err->code), "%s: %s", field,
	    err->message);
}

static int
ctl_print(struct ctl *ctl, json_t *result)
{
	if (!ctl->json)
		ipc_out_print(stdout, stderr, result);
	else if (json_dumpf(result, stdout, JSON_INDENT(2) |
	    JSON_ENCODE_ANY) == 0)
		fputc('\n', stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		return ctl_fail(EX_IOERR, "cannot write the result");
	return 0;
}

/* Send the command: -1 with *result, or the exit status. */
static int
ctl_call(struct ctl *ctl, const char *endpoint, const char *user,
    const char *password, json_t **result)
{
	struct ipc_client	*client;
	struct ipc_error	 err;
	char			*cause = NULL;
	int			 rc, status;

	client = ipc_client_open_curve(endpoint, ctl->curve, user, password,
	    ctl->timeout_ms, &cause);
	if (client == NULL)
		return ctl_cause(EX_CONFIG, cause);
	if (ctl_parts_wanted(ctl->cli.cmd))
		rc = ctl_parts_call(client, ctl->cli.cmd, ctl->cli.args,
		    isatty(STDERR_FILENO) ? stderr : NULL, result, &err,
		    &status);
	else
		rc = ipc_client_call(client, ctl->cli.cmd->name,
		    ctl->cli.args, result, &err);
	ipc_client_close(client);
	switch (rc) {
	case IPC_CALL_OK:
		return -1;
	case CTL_PARTS_LOCAL:
		return ctl_fail(status, "%s", err.message);
	case IPC_CALL_REFUSED:
		return ctl_refused(ctl, &err);
	case IPC_CALL_LOGIN:
		return ctl_fail(EX_NOPERM, "%s", err.message);
	default:
		return ctl_fail(EX_UNAVAILABLE, "%s", err.message);
	}
}

static volatile sig_atomic_t ctl_interrupted;

static void
ctl_on_signal(int sig)
{
	(void)sig;
	ctl_interrupted = 1;
}

/* SIGINT and SIGTERM end the wait for events, and the program, at once. */
static void
ctl_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ctl_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static long long
ctl_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One event as a line of text or of JSON; 0, or EX_IOERR. */
static int
ctl_print_event(struct ctl *ctl, json_t *e)
{
	if (!ctl->json)
		ipc_sub_print(stdout, e);
	else if (json_dumpf(e, stdout, JSON_COMPACT) == 0)
		fputc('\n', stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		return ctl_fail(EX_IOERR, "cannot write the events");
	return 0;
}

/*
 * Follow the event socket the reply names: print each event until
 * interrupted, --count events were printed, or (with --timeout) none
 * came for that long.
 */
static int
ctl_follow(struct ctl *ctl, json_t *reply, const char *user,
    const char *password)
{
	const char	*ep = json_string_value(json_object_get(reply, "endpoint"));
	json_int_t	 count = json_integer_value(json_object_get(ctl->cli.args,
			    "count")), seen = 0;
	struct ipc_sub	*sub;
	json_t		*e;
	char		*cause = NULL;
	long long	 last = ctl_now_ms(), wait;
	int		 rc = 0;

	if (ep == NULL)
		return ctl_fail(EX_PROTOCOL, "outfilterd did not say where its "
		    "event socket is");
	if (ctl->curve != NULL)
		return ctl_fail(EX_UNAVAILABLE, "outfilterd publishes its events "
		    "on its local socket %s only, not over tcp://", ep);
	if ((sub = ipc_sub_open(ep, user, password, json_object_get(
	    ctl->cli.args, "types"), &cause)) == NULL)
		return ctl_cause(EX_UNAVAILABLE, cause);
	ctl_signals();
	while (!ctl_interrupted && rc == 0 && (count == 0 || seen < count)) {
		wait = ctl->timeout_given ? last + ctl->timeout_ms -
		    ctl_now_ms() : -1;
		if (ctl->timeout_given && wait <= 0) {
			rc = ctl_fail(EX_TEMPFAIL, "no event within %d.%d s",
			    ctl->timeout_ms / 1000, ctl->timeout_ms % 1000 / 100);
			break;
		}
		switch (ipc_sub_next(sub, wait, &e, &cause)) {
		case 1:
			rc = ctl_print_event(ctl, e);
			json_decref(e);
			seen++;
			last = ctl_now_ms();
			break;
		case -1:
			rc = ctl_cause(EX_NOPERM, cause);
			break;
		}
	}
	ipc_sub_close(sub);
	return rc;
}

/* Send the command and show its answer, or follow the stream it names. */
static int
ctl_run(struct ctl *ctl, const char *endpoint, const char *user,
    const char *password)
{
	json_t	*result = NULL;
	int	 rc;

	if ((rc = ctl_call(ctl, endpoint, user, password, &result)) != -1)
		return rc;
	if (ctl->cli.cmd->flags & CMDF_STREAM)
		rc = ctl_follow(ctl, result, user, password);
	else if (ctl->cli.cmd->flags & CMDF_DOWNLOAD)
		rc = 0;		/* the bytes are out already */
	else
		rc = ctl_print(ctl, result);
	json_decref(result);
	return rc;
}

static int
ctl_main(struct ctl *ctl, int argc, char *argv[])
{
	char	*endpoint = NULL, *user = NULL, *password = NULL, *cause = NULL;
	int	 rc;

	if ((rc = ctl_options(ctl, argc, argv)) != -1)
		return rc;
	argc = ctl_take_json(ctl, argc - optind, argv + optind);
	argv += optind;
	if ((rc = ctl_command(ctl, argc, argv)) != -1)
		return rc;
	if (ctl->endpoint != NULL)
		endpoint = strdup(ctl->endpoint);
	else if ((rc = ipc_login_endpoint(ctl->config, &endpoint, &cause)) != 0)
		return ctl_cause(rc, cause);
	if (endpoint == NULL)
		return ctl_fail(EX_OSERR, "out of memory");
	if ((rc = ctl_login(ctl, endpoint, &user, &password)) == 0)
		rc = ctl_run(ctl, endpoint, user, password);
	ipc_login_free_secret(password);
	ipc_login_free_curve(ctl->curve);
	free(user);
	free(endpoint);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct ctl	ctl;
	int		rc;

	memset(&ctl, 0, sizeof ctl);
	ctl.timeout_ms = CTL_TIMEOUT_MS;
	rc = ctl_main(&ctl, argc, argv);
	ipc_cli_clear(&ctl.cli);
	return rc;
}
