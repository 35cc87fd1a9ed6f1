/*
 * outfilterctl's commands that move a file in parts (ctl_parts.c): a
 * T_LINES argument is read from its FILE and sent part by part; a
 * CMDF_DOWNLOAD result is fetched part by part and written out.
 */
#ifndef OF_CTL_PARTS_H
#define OF_CTL_PARTS_H

#include <stdio.h>
#include <jansson.h>

#include "ipc.h"

/* Not the daemon's refusal: reading or writing a local file failed. */
#define CTL_PARTS_LOCAL		-10

/* Does cmd move a file in parts? */
int	 ctl_parts_wanted(const struct ipc_cmd *);
/*
 * Run cmd on client with args (changed on the way) in as many requests as
 * it takes.  Returns what ipc_client_call() returns (an upload's replies
 * merged: numbers added up, lists joined; a download's *result is null),
 * or CTL_PARTS_LOCAL with err->message and *status (sysexits).  Progress
 * of a large upload goes to progress, when not NULL.
 */
int	 ctl_parts_call(struct ipc_client *, const struct ipc_cmd *,
	    json_t *args, FILE *progress, json_t **result,
	    struct ipc_error *err, int *status);

#endif
