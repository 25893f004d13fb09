/* The command's cleanup, started by the library as a process that made it
 * due exits (upkeep.c). */
#ifndef PCR_PRELOAD_UPKEEP_H
#define PCR_PRELOAD_UPKEEP_H

#include <stdint.h>

/* A start for each 64 MiB (in the counter's KiB units) the cache grows. */
#define PCR_UPKEEP_EVERY_UNITS (64u * 1024)

/* The counter was before units long, and this process appended units. */
void pcr_upkeep_note(uint64_t before, uint64_t units);

/* At exit: `pycache-redirect prune --auto`, detached, when this process made
 * it due. errno is kept. */
void pcr_upkeep_start_if_due(void);

#endif
