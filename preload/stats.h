/* The library's side of the cache's counts (core/stats.h): kept in memory by
 * process, without a lock or an allocation, appended as one record at exit
 * and before an exec. */
#ifndef PCR_PRELOAD_STATS_H
#define PCR_PRELOAD_STATS_H

#include "../core/stats.h"

void pcr_stats_count(enum pcr_stat which);

/* Before an exec, which runs no exit handler: the counts and the growth
 * counter's pending units written out, and taken from this process's (so
 * that an exec that fails counts them once). Async-signal-safe, as the
 * exec family is; a vfork child shares its parent's counts, and writes
 * them for it. errno is kept. */
void pcr_stats_before_exec(void);

#endif
