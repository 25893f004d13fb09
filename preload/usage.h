/* The library's side of core/usage.h: the last-use touch on a read and the
 * growth counter on a write. Both are best effort (a failure changes
 * nothing for the caller), keep errno, allocate nothing and make only
 * async-signal-safe calls. */
#ifndef PCR_PRELOAD_USAGE_H
#define PCR_PRELOAD_USAGE_H

#include <stdbool.h>
#include <sys/types.h>

#include "../core/map.h"

/* Whether m's entry directory exists, looked at once per entry and process
 * (one stat): a lookup in an entry that does not exist goes straight to the
 * tree (pycs shipped in it: Debian's stdlib, python3-sympy), costing nothing
 * per module. When it exists, it is being used: its mtime is touched when
 * that is an hour old. */
bool pcr_usage_entry_exists(struct pcr_mapping *m);

/* m's entry exists now: this process made it, or wrote into it. */
void pcr_usage_entry_made(const struct pcr_mapping *m);

/* An in-tree lookup of m's __pycache__ itself found nothing: lookups that
 * miss centrally need not try the tree (pcr_usage_tree_may_have) for the
 * rest of the process. */
void pcr_usage_tree_missing(const struct pcr_mapping *m);
bool pcr_usage_tree_may_have(const struct pcr_mapping *m);

/* The central file of m was just moved into place: add its size to the
 * counter (in batches: see usage.c). size: what the caller saw of it before
 * the move, or -1 to look it up. */
void pcr_usage_wrote(const struct pcr_mapping *m, off_t size);

#endif
