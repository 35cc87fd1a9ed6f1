/*
 * Live counters.  Relaxed atomics: each counter is exact, but a reader
 * may see one counter's increase before another's; a once-a-second
 * report does not care.
 */
#include <stddef.h>
#include <string.h>

#include "stats.h"

const struct stat_info stat_infos[STAT_NSTATS] = {
#define STAT(id, name, kind, help) [STAT_##id] = { name, kind, help },
	STATS_TABLE
#undef STAT
};

static uint64_t	stats_v[STAT_NSTATS];

void
stats_inc(enum stat_id id)
{
	__atomic_add_fetch(&stats_v[id], 1, __ATOMIC_RELAXED);
}

void
stats_add(enum stat_id id, uint64_t n)
{
	__atomic_add_fetch(&stats_v[id], n, __ATOMIC_RELAXED);
}

void
stats_set(enum stat_id id, uint64_t v)
{
	__atomic_store_n(&stats_v[id], v, __ATOMIC_RELAXED);
}

uint64_t
stats_get(enum stat_id id)
{
	return __atomic_load_n(&stats_v[id], __ATOMIC_RELAXED);
}

void
stats_message(const char *status, int spam)
{
	static const struct {
		const char	*status;
		enum stat_id	 id;
	} map[] = {
		{ "relayed", STAT_RELAYED },
		{ "refused", STAT_REFUSED },
		{ "tempfail", STAT_TEMPFAIL },
		{ "quarantined", STAT_QUARANTINED },
	};
	size_t	i;

	for (i = 0; status != NULL && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(status, map[i].status) == 0)
			stats_inc(map[i].id);
	if (spam)
		stats_inc(STAT_SPAM);
}
