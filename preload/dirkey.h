/* The key of a source directory in this process: its identity (core/ident.h)
 * is looked up once a directory, not once a module, and kept by the hash of
 * its spelling in a bounded, lock-free table; a directory's key is looked up
 * again when it was last looked up more than PCR_DIRKEY_TTL_MS ago, so that
 * a long-running process sees a tree replaced under it. */
#ifndef PCR_PRELOAD_DIRKEY_H
#define PCR_PRELOAD_DIRKEY_H

#include "../core/map.h"

#define PCR_DIRKEY_TTL_MS 1000

/* The keyer the library maps with. */
extern const struct pcr_keyer pcr_dir_keyer;

#endif
