/* Milliseconds of the coarse monotonic clock, read in the vDSO (no syscall):
 * what the library's per-process memos time themselves with. 0 when the
 * clock cannot be read, which every caller takes for "look again". */
#ifndef PCR_PRELOAD_CLOCK_H
#define PCR_PRELOAD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t pcr_coarse_ms(void)
{
	struct timespec t;
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &t) < 0)
		return 0;
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

#endif
