#include "seen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/entry.h"
#include "state.h"

/* The entries this process has looked at, with what it found: a warm
 * import reads many files of few entries, so each entry costs one stat per
 * process, not one per file. A slot holds the entry's bits (pcr_entry_bits)
 * with their three low bits replaced by what is known (ENTRY_*); no lock: a
 * lost or overwritten slot only costs a stat again. */
#define ENTRY_EXISTS 1    /* the entry directory exists */
#define ENTRY_NO_TREE 2   /* the tree has no __pycache__ of its own */
#define ENTRY_TREE_PYCS 4 /* the tree's __pycache__ holds pycs (they ship with it) */
#define ENTRY_BITS 7
static uint64_t seen[1024];
static uint64_t seen_ino[1024]; /* the entry directory's inode, as its stat found it: a
				 * listing's d_ino (preload/listing.c); 0 unknown */

static uint64_t *slot_of(uint64_t key) { return &seen[(key >> 3) % (sizeof seen / sizeof *seen)]; }

/* What is known of m's entry (ENTRY_* bits), or -1 when nothing is. */
static int known(const struct pcr_mapping *m)
{
	uint64_t key = pcr_entry_bits(m) | ENTRY_BITS;
	uint64_t v = __atomic_load_n(slot_of(key), __ATOMIC_RELAXED);
	return (v | ENTRY_BITS) == key ? (int)(v & ENTRY_BITS) : -1;
}

static void remember(const struct pcr_mapping *m, int bits)
{
	uint64_t key = pcr_entry_bits(m) | ENTRY_BITS;
	__atomic_store_n(slot_of(key), (key & ~(uint64_t)ENTRY_BITS) | (uint64_t)bits,
			 __ATOMIC_RELAXED);
}

/* Adds bits to what is known of an entry already looked at. */
static void learn(const struct pcr_mapping *m, int bits)
{
	int k = known(m);
	if (k >= 0 && (k | bits) != k)
		remember(m, k | bits);
}

void pcr_seen_entry_made(const struct pcr_mapping *m) { learn(m, ENTRY_EXISTS); }

void pcr_seen_tree_missing(const struct pcr_mapping *m) { learn(m, ENTRY_NO_TREE); }

void pcr_seen_tree_has_pycs(const struct pcr_mapping *m) { learn(m, ENTRY_TREE_PYCS); }

bool pcr_seen_entry_missing(const struct pcr_mapping *m)
{
	int k = known(m);
	return k >= 0 && !(k & ENTRY_EXISTS);
}

bool pcr_seen_tree_may_have(const struct pcr_mapping *m)
{
	int k = known(m);
	return k < 0 || !(k & ENTRY_NO_TREE);
}

bool pcr_seen_look_centrally(struct pcr_mapping *m)
{
	ino_t ino;
	return pcr_seen_look_entry(m, &ino);
}

bool pcr_seen_look_entry(struct pcr_mapping *m, ino_t *ino)
{
	*ino = 0;
	int k = known(m);
	if (k >= 0 && (k & ENTRY_EXISTS))
		*ino = (ino_t)__atomic_load_n(
		    &seen_ino[slot_of(pcr_entry_bits(m) | ENTRY_BITS) - seen], __ATOMIC_RELAXED);
	if (k >= 0)
		/* Missing when looked at: another process may have made it since,
		 * so it is looked in again, but for a tree that ships its pycs,
		 * which are read at once. */
		return (k & ENTRY_EXISTS) || !(k & ENTRY_TREE_PYCS);

	int saved = errno;
	/* The entry directory's path is central's head: borrow the buffer. */
	char cut = m->central[m->entry_len];
	m->central[m->entry_len] = '\0';
	struct stat st;
	bool found = pcr_fs_real.stat(m->central, &st) == 0;
	bool exists = found || errno != ENOENT; /* unsure (EACCES...): look centrally */
	if (found && S_ISDIR(st.st_mode)) {
		*ino = st.st_ino;
		__atomic_store_n(&seen_ino[slot_of(pcr_entry_bits(m) | ENTRY_BITS) - seen],
				 (uint64_t)st.st_ino, __ATOMIC_RELAXED);
	}
	struct timespec now;
	if (found && S_ISDIR(st.st_mode) && !pcr_root_read_only() &&
	    clock_gettime(CLOCK_REALTIME, &now) == 0 && pcr_entry_touch_due(st.st_mtim, now)) {
		const struct timespec times[2] = { { .tv_nsec = UTIME_OMIT },
						   { .tv_nsec = UTIME_NOW } };
		pcr_fs_real.utimensat(AT_FDCWD, m->central, times, AT_SYMLINK_NOFOLLOW);
	}
	m->central[m->entry_len] = cut;
	remember(m, exists ? ENTRY_EXISTS : 0);
	errno = saved;
	return exists; /* missing, just now: the tree's at once */
}
