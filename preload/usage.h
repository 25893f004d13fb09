/* The library's side of core/usage.h: the last-use touch on a read and the
 * growth counter on a write. Both are best effort (a failure changes
 * nothing for the caller), keep errno, allocate nothing and make only
 * async-signal-safe calls. */
#ifndef PCR_PRELOAD_USAGE_H
#define PCR_PRELOAD_USAGE_H

#include <sys/types.h>

#include "../core/map.h"

/* A central file of m was opened to be read: touch its entry directory's
 * mtime when that is an hour old. Checked once per entry and process. */
void pcr_usage_read(struct pcr_mapping *m);

/* The central file of m was just moved into place: add its size to the
 * counter. size: what the caller saw of it before the move, or -1 to look
 * it up. */
void pcr_usage_wrote(const struct pcr_mapping *m, off_t size);

#endif
