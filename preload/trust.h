/* The layout directories the library writes through are its own: v2, the
 * <k0k1> shard and the entry are real directories (or not there yet), never
 * symlinks planted in the cache, which would send writes elsewhere. */
#ifndef PCR_PRELOAD_TRUST_H
#define PCR_PRELOAD_TRUST_H

#include <stdbool.h>

#include "../core/map.h"

/* Whether m's entry may be used. An entry found whole is remembered for the
 * process (one lstat of each level once per entry, of v2 once), and gets
 * its <key>.src record if it has none; a planted link is reported. Keeps
 * errno. */
bool pcr_entry_trusted(struct pcr_mapping *m);

/* Whether this process found m's entry whole, or made it (pcr_entry_made):
 * an entry that vanishes after that was removed by the cache manager (prune,
 * clear), and a create in it makes it again. */
bool pcr_entry_known(const struct pcr_mapping *m);
void pcr_entry_made(const struct pcr_mapping *m);

#endif
