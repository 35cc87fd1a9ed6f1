/*
 * rtt ENDPOINT COMMAND N [USER PASSWORD-FILE]: send COMMAND (no arguments)
 * N times through one logged-in control client (the local super-admin, or
 * USER) and print the median and 99th percentile round trip.  Used by
 * tests/bench/control.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipc.h"

static int
rtt_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
rtt_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct ipc_client	*c;
	struct ipc_error	 err;
	json_t			*result;
	double			*t, start;
	char			*cause = NULL, pw[256] = "";
	const char		*user = NULL;
	FILE			*f;
	int			 i, n;

	if ((argc != 4 && argc != 6) || (n = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: rtt ENDPOINT COMMAND N [USER PASSWORD-FILE]\n");
		return 64;
	}
	if (argc == 6) {
		user = argv[4];
		if ((f = fopen(argv[5], "r")) == NULL || fgets(pw, sizeof(pw), f) == NULL) {
			perror(argv[5]);
			return 66;
		}
		fclose(f);
		pw[strcspn(pw, "\r\n")] = '\0';
	}
	if ((c = ipc_client_open(argv[1], user, user ? pw : NULL, 5000, &cause)) == NULL) {
		fprintf(stderr, "rtt: %s\n", cause);
		return 69;
	}
	if ((t = calloc(n, sizeof(*t))) == NULL)
		return 70;
	for (i = 0; i < n; i++) {
		start = rtt_now();
		if (ipc_client_call(c, argv[2], NULL, &result, &err) != 0) {
			fprintf(stderr, "rtt: %s\n", err.message);
			return 1;
		}
		t[i] = (rtt_now() - start) * 1000;
		json_decref(result);
	}
	qsort(t, n, sizeof(*t), rtt_cmp);
	printf("%d calls, median %.3f ms, p99 %.3f ms\n", n, t[n / 2],
	    t[(n * 99) / 100]);
	ipc_client_close(c);
	free(t);
	return 0;
}
