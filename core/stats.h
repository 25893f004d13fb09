/* What the cache did, counted by the library and read by the command (as
 * ccache -s): <root>/v2/stats, records of PCR_STATS_RECORD bytes, one a
 * process that counted anything, appended at its exit and before an exec
 * (O_APPEND keeps concurrent records whole: they are far shorter than
 * PIPE_BUF). A record is PCR_STAT_COUNT little-endian 64-bit counts in the
 * order of enum pcr_stat. The command sums the whole records (and folds
 * them into one from time to time: core/store_counts.c); stats --zero
 * empties the files. A process that ends without its exit handlers and
 * without an exec (_exit, a signal) is not counted. */
#ifndef PCR_STATS_H
#define PCR_STATS_H

#include <stddef.h>
#include <stdint.h>

#define PCR_STATS_NAME "stats"

enum pcr_stat {
	PCR_STAT_HIT,     /* a pyc read from the cache */
	PCR_STAT_MISS,    /* a pyc Python wrote into the cache (it had none to read) */
	PCR_STAT_IN_TREE, /* a pyc read from the tree (shipped there, or from before) */
	PCR_STAT_REFUSED, /* a write refused: a planted link, a full cache, RLIMIT_FSIZE */
	PCR_STAT_COUNT
};

#define PCR_STATS_RECORD (8 * PCR_STAT_COUNT)

static inline void pcr_stats_encode(const uint64_t n[PCR_STAT_COUNT],
				    unsigned char out[PCR_STATS_RECORD])
{
	for (size_t i = 0; i < PCR_STAT_COUNT; i++)
		for (size_t b = 0; b < 8; b++)
			out[8 * i + b] = (unsigned char)(n[i] >> (8 * b));
}

/* Adds the record at in to sum. */
static inline void pcr_stats_add(uint64_t sum[PCR_STAT_COUNT],
				 const unsigned char in[PCR_STATS_RECORD])
{
	for (size_t i = 0; i < PCR_STAT_COUNT; i++) {
		uint64_t v = 0;
		for (size_t b = 0; b < 8; b++)
			v |= (uint64_t)in[8 * i + b] << (8 * b);
		sum[i] += v;
	}
}

#endif
