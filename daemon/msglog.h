/* The message log as the policy writes it (msglog.c). */
#ifndef OF_MSGLOG_H
#define OF_MSGLOG_H

#include <pthread.h>
#include <stdint.h>

struct db;
struct txn_record;

/*
 * One row for a transaction of an identified sender; -1 with *cause.
 * The insert is made under write_mtx; NULL: the caller holds it (a batch
 * of rows in one transaction).
 */
int	msglog_record(struct db *, pthread_mutex_t *write_mtx,
	    const struct txn_record *, char **cause);
/*
 * Delete rows older than days, a batch at a time, each batch under
 * write_mtx so that the relay's own writes wait at most for one batch.
 * *deleted says how many went.
 */
int	msglog_purge(struct db *, pthread_mutex_t *write_mtx, int64_t days,
	    int64_t *deleted, char **cause);

#endif
