/* The cache's two cheap signals, kept by the library as it works and read by
 * the command-line tool, so that managing the cache never needs a scan in a
 * host process:
 *
 * - last use: an entry directory's mtime. Python's writes into the entry
 *   update it; the library touches it on a read when it is older than
 *   PCR_USAGE_TOUCH_EVERY, as ccache does, so a cache that is only read
 *   still looks used.
 * - growth: <root>/v2/usage, a file whose length in bytes counts the KiB
 *   written into the cache. The library appends ceil(size / 1 KiB) bytes
 *   for each file it moves into place; O_APPEND makes concurrent appends
 *   add up without a lock. The command sets its length to the size it
 *   counted whenever it scans the whole cache (a sparse file: holes cost no
 *   disk), so length x 1 KiB estimates the cache's size between scans: on
 *   the high side (each file rounds up, and replaced or removed files are
 *   never taken off), low only by files written without a rename into
 *   place or during a scan. The command acts on the real size it counts,
 *   so the estimate only decides when to count. */
#ifndef PCR_USAGE_H
#define PCR_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PCR_USAGE_NAME "usage"
#define PCR_USAGE_UNIT 1024u
#define PCR_USAGE_TOUCH_EVERY 3600

/* <root>/v2/usage; its length, or 0 when it does not fit in outsz. */
size_t pcr_usage_path(const char *root, size_t root_len, char *out, size_t outsz);

/* The units (KiB, rounded up) that a file of bytes adds to the counter. */
static inline uint64_t pcr_usage_units(uint64_t bytes)
{
	return bytes / PCR_USAGE_UNIT + (bytes % PCR_USAGE_UNIT != 0);
}

/* Whether an entry last touched at mtime is to be touched again at now: an
 * hour or more ago. Never for an mtime in the future (a skewed clock). */
static inline bool pcr_usage_touch_due(struct timespec mtime, struct timespec now)
{
	return mtime.tv_sec <= now.tv_sec - PCR_USAGE_TOUCH_EVERY;
}

#endif
