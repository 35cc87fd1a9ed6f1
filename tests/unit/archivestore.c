/*
 * archivestore CONFIG USER DOMAIN SENDER RCPT QUEUE-ID < MESSAGE: add a
 * log row as the relay writes one and archive the message under it, with
 * the configuration and database of a running daemon, so that the
 * integration test can drive archive search and export before (and
 * besides) the relay archiving by itself.  Prints the archive row's id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailarchive.h"
#include "conf.h"
#include "db.h"

static char *
read_all(FILE *f, size_t *len)
{
	size_t	 cap = 65536, n;
	char	*buf = malloc(cap), *p;

	*len = 0;
	while (buf != NULL && (n = fread(buf + *len, 1, cap - *len, f)) > 0) {
		*len += n;
		if (*len == cap) {
			if ((p = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = p;
			cap *= 2;
		}
	}
	return buf;
}

int
main(int argc, char *argv[])
{
	struct config		*conf;
	struct db		*db;
	struct db_logrec	 r;
	struct db_logq		 q;
	json_t			*out;
	const char		*rcpts[2] = { NULL, NULL };
	char			*cause = NULL, *msg;
	size_t			 len;
	int64_t			 log_id;

	if (argc != 7) {
		fprintf(stderr, "usage: archivestore CONFIG USER DOMAIN SENDER "
		    "RCPT QUEUE-ID < MESSAGE\n");
		return 64;
	}
	if ((conf = conf_load(argv[1], NULL, &cause)) == NULL ||
	    (db = db_open(conf_str(conf, CONF_paths_database), 0,
	    &cause)) == NULL) {
		fprintf(stderr, "archivestore: %s\n", cause);
		return 1;
	}
	if ((msg = read_all(stdin, &len)) == NULL) {
		fprintf(stderr, "archivestore: out of memory\n");
		return 1;
	}
	memset(&r, 0, sizeof r);
	rcpts[0] = argv[5];
	r.user = argv[2];
	r.kind = "ip";
	r.domain = argv[3];
	r.sender = argv[4];
	r.rcpts = rcpts;
	r.queue_id = argv[6];
	r.size = (int64_t)len;
	r.status = "relayed";
	memset(&q, 0, sizeof q);
	q.queue_id = argv[6];
	if (db_log_add(db, &r, &log_id, &cause) == -1 ||
	    archive_store(db, conf, log_id, msg, len, &cause) == -1 ||
	    db_archive_search(db, NULL, &q, NULL, 1, &out, &cause) == -1) {
		fprintf(stderr, "archivestore: %s\n", cause);
		return 1;
	}
	printf("%lld\n", (long long)json_integer_value(json_object_get(
	    json_array_get(json_object_get(out, "items"), 0), "id")));
	json_decref(out);
	free(msg);
	db_close(db);
	conf_unref(conf);
	return 0;
}
