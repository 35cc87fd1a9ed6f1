/*
 * dkimsign -c CONFIG DOMAIN SELECTORS <MESSAGE >SIGNED: sign a message as
 * outfilterd signs it (dkim_sign_message), with the keys in the database
 * and the key file the configuration names, and write the DKIM-Signature
 * fields followed by the message.  The database may be in use by a running
 * daemon.  The message is taken byte for byte: CRLF line ends, not
 * dot-stuffed.
 *
 * Exit status: 0 signed, 1 no key for the selectors (the cause on
 * stderr, the message written unsigned), 2 on error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "dkim.h"

static void
usage(void)
{
	fprintf(stderr, "usage: dkimsign -c CONFIG DOMAIN SELECTORS "
	    "<MESSAGE >SIGNED\n");
	exit(2);
}

/* All of stdin; exits on failure. */
static char *
slurp(size_t *len)
{
	char	*buf = NULL, *grown;
	size_t	 cap = 0, n;

	*len = 0;
	do {
		if (*len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((grown = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "dkimsign: out of memory\n");
				exit(2);
			}
			buf = grown;
		}
		n = fread(buf + *len, 1, cap - *len, stdin);
		*len += n;
	} while (n > 0);
	if (ferror(stdin)) {
		fprintf(stderr, "dkimsign: cannot read the message\n");
		exit(2);
	}
	return buf;
}

int
main(int argc, char *argv[])
{
	struct config	*conf;
	struct db	*db;
	const char	*file = NULL;
	char		*msg, *hdrs = NULL, *cause = NULL;
	size_t		 len, hlen = 0;
	int		 ch, rc;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c')
			usage();
		file = optarg;
	}
	argc -= optind;
	argv += optind;
	if (file == NULL || argc != 2)
		usage();
	if ((conf = conf_load(file, NULL, &cause)) == NULL) {
		fprintf(stderr, "dkimsign: %s\n", cause);
		return 2;
	}
	if ((db = db_open(conf_str(conf, CONF_paths_database), 0, &cause)) ==
	    NULL) {
		fprintf(stderr, "dkimsign: %s\n", cause);
		return 2;
	}
	msg = slurp(&len);
	rc = dkim_sign_message(db, conf, argv[0], argv[1], msg, len, &hdrs,
	    &hlen, &cause);
	if (cause != NULL)
		fprintf(stderr, "dkimsign: %s\n", cause);
	if (rc != -1) {
		fwrite(hdrs != NULL ? hdrs : "", 1, hlen, stdout);
		fwrite(msg, 1, len, stdout);
	}
	free(hdrs);
	free(cause);
	free(msg);
	db_close(db);
	conf_unref(conf);
	if (fflush(stdout) == EOF)
		return 2;
	return rc == 0 ? 0 : rc == 1 ? 1 : 2;
}
