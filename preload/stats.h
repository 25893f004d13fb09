/* The library's side of the cache's counts (core/stats.h): kept in memory by
 * process, without a lock or an allocation, appended as one record at exit. */
#ifndef PCR_PRELOAD_STATS_H
#define PCR_PRELOAD_STATS_H

#include "../core/stats.h"

void pcr_stats_count(enum pcr_stat which);

#endif
