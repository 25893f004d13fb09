/* The growth counter, one of the cache's two cheap signals (the other, an
 * entry's last use, is in core/entry.h), kept by the library as it works and
 * read by the command-line tool, so that managing the cache never needs a
 * scan in a host process:
 *
 * <root>/v2/usage, a file whose length in bytes counts the KiB the cache
 * takes on disk. The library appends, for each file it moves into place,
 * the KiB of the 4 KiB blocks it fills (the block of ext4, xfs, btrfs and
 * tmpfs), and for each entry it makes, two blocks (its directory and its
 * record); O_APPEND makes concurrent appends add up without a lock.
 * The command sets its length to the blocks it counted whenever it scans the
 * whole cache (a sparse file: holes cost no disk), so length x 1 KiB
 * estimates the cache's size between scans: on the high side (each file
 * rounds up, and replaced or removed files are never taken off), low only
 * by files written without a rename into place or during a scan. The
 * command acts on the real size it counts, so the estimate only decides
 * when to count. (The file keeps its first name, "usage", so that caches
 * made before stay counted.) */
#ifndef PCR_COUNTER_H
#define PCR_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#define PCR_COUNTER_NAME "usage"
#define PCR_COUNTER_UNIT 1024u
#define PCR_COUNTER_BLOCK 4096u
/* What an entry adds when it is made: its directory and its record. */
#define PCR_COUNTER_ENTRY_BYTES (2 * PCR_COUNTER_BLOCK)

/* <root>/v2/usage; its length, or 0 when it does not fit in outsz. */
size_t pcr_counter_path(const char *root, size_t root_len, char *out, size_t outsz);

/* bytes in units (KiB), rounded up. */
static inline uint64_t pcr_counter_kib(uint64_t bytes)
{
	return bytes / PCR_COUNTER_UNIT + (bytes % PCR_COUNTER_UNIT != 0);
}

/* The units that a file of bytes adds to the counter: the KiB of the whole
 * blocks it takes. */
static inline uint64_t pcr_counter_units(uint64_t bytes)
{
	uint64_t blocks = bytes / PCR_COUNTER_BLOCK + (bytes % PCR_COUNTER_BLOCK != 0);
	return blocks * (PCR_COUNTER_BLOCK / PCR_COUNTER_UNIT);
}

#endif
