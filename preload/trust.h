/* The layout directories the library writes through are its own: v1, the
 * <k0k1> shard and the entry are real directories (or not there yet), never
 * symlinks planted in the cache, which would send writes elsewhere. */
#ifndef PCR_PRELOAD_TRUST_H
#define PCR_PRELOAD_TRUST_H

#include <stdbool.h>

#include "../core/map.h"

/* Whether m's entry may be used. An entry found whole is remembered for the
 * process (one lstat of each level once per entry, of v1 once), and gets
 * its <key>.src record if it has none; a planted link is reported. Keeps
 * errno. */
bool pcr_entry_trusted(struct pcr_mapping *m);

#endif
