/* The library's side of the growth counter (core/counter.h): the bytes of
 * what it moves into the cache, appended in batches. Best effort (a failure
 * changes nothing for the caller), keeps errno, allocates nothing, makes
 * only async-signal-safe calls. */
#ifndef PCR_PRELOAD_COUNTER_H
#define PCR_PRELOAD_COUNTER_H

#include <sys/types.h>

#include "../core/map.h"

/* The central file of m was just moved into place: add its size to the
 * counter (in batches: see counter.c). size: what the caller saw of it before
 * the move, or -1 to look it up. */
void pcr_counter_wrote(struct pcr_mapping *m, off_t size);

/* Appends what is pending now: at exit, and before an exec. */
void pcr_counter_flush(void);

#endif
