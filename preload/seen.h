/* What this process has seen of each entry (exists; the tree has no
 * __pycache__; the tree ships pycs), in a bounded table without a lock, and
 * the last-use touch (core/entry.h) on its first lookup. Best effort (a
 * failure changes nothing for the caller), keeps errno, allocates nothing,
 * makes only async-signal-safe calls. */
#ifndef PCR_PRELOAD_SEEN_H
#define PCR_PRELOAD_SEEN_H

#include <stdbool.h>
#include <sys/types.h>

#include "../core/map.h"

/* Whether a lookup of m goes to the cache first (else straight to the
 * tree). m's entry directory is looked at once per entry and process (one
 * stat), and, when it exists, it is being used: its mtime is touched when
 * that is an hour old. A lookup in an entry that was missing then goes to
 * the tree at once when the tree ships its own pycs (Debian's stdlib,
 * python3-sympy): no failed central open a module; elsewhere the cache is
 * looked in again, as another process may have filled it since. */
bool pcr_seen_look_centrally(struct pcr_mapping *m);

/* The same, and *ino the entry directory's inode as a stat of this process
 * found it (a listing's __pycache__, preload/listing.c); else 0. */
bool pcr_seen_look_entry(struct pcr_mapping *m, ino_t *ino);

/* Whether this process found m's entry missing when it last looked (a
 * listing takes that as the answer: the memo is its only cost). */
bool pcr_seen_entry_missing(const struct pcr_mapping *m);

/* What a call found out about m's entry: it exists (this process made it,
 * wrote into it, or found a file in it); the tree has no __pycache__ (an
 * in-tree lookup of it found nothing): central misses need not try the
 * tree (pcr_seen_tree_may_have); the tree's __pycache__ holds pycs. */
void pcr_seen_entry_made(const struct pcr_mapping *m);
void pcr_seen_tree_missing(const struct pcr_mapping *m);
void pcr_seen_tree_has_pycs(const struct pcr_mapping *m);
bool pcr_seen_tree_may_have(const struct pcr_mapping *m);

#endif
