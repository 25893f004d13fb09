/* The cache store: the one module that reads and removes what is under
 * <root>/v2, for the command-line tool (never linked into the preload: it
 * allocates and calls libc directly). It never follows a symbolic link, and
 * takes an entry or a file that vanishes while it works (other processes
 * write the cache at the same time) for one that was never there. */
#ifndef PCR_STORE_H
#define PCR_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "map.h"
#include "root.h"

struct pcr_store_file {
	char name[NAME_MAX + 1];
	uint64_t bytes;
	struct timespec mtime;
};

/* One entry directory <root>/v2/<k0k1>/<key>, and its record <key>.src. */
struct pcr_store_entry {
	char key[PCR_KEY_HEX + 1];
	char path[PATH_MAX];   /* the entry directory */
	bool recorded;         /* false: the record is missing, unreadable or not this key's */
	bool source_exists;    /* false (an orphan) only when recorded */
	char source[PATH_MAX]; /* the source directory; "" when not recorded */
	struct timespec mtime; /* the entry directory's */
	uint64_t bytes;        /* the sum of the files' sizes */
	uint64_t disk;         /* what it takes on disk: the files', the directory's and the
				* record's blocks (st_blocks), as du counts them */
	size_t nfiles;
	struct pcr_store_file *files; /* regular files only, in directory order */
};

/* Why a store function failed: the root was refused (root is neither
 * PCR_ROOT_OK nor PCR_ROOT_MISSING; err is the errno behind it, or 0), or a
 * call on path failed with err. */
struct pcr_store_error {
	enum pcr_root_status root;
	int err;
	char path[PATH_MAX];
};

/* Called after each entry a walk looks at, with how many it has looked at
 * so far in this call: for a progress indication. */
typedef void (*pcr_store_progress)(size_t entries, void *arg);

/* The cache a store function works on, and how: what the caller sets,
 * passed to every call rather than kept in the module. */
struct pcr_store {
	const char *root; /* the normalised absolute cache root */
	/* Tells whether an entry's recorded source directory is still its own
	 * (an orphan otherwise). NULL: the directories' identity
	 * (core/ident.h), as the library keys them; tests of the store may key
	 * by spelling (pcr_keyer_spelling). */
	const struct pcr_keyer *keyer;
	pcr_store_progress progress; /* NULL: none */
	void *progress_arg;
};

/* Each function takes the store and dir, NULL for the whole cache or an
 * absolute directory (normalised here lexically, as core/path.h does) to
 * keep only the entries whose recorded source is dir or below it; an entry
 * without a record is never in a dir. Each returns 0, or -1 with *e filled:
 * a root that pcr_root_prepare refuses is refused, and so is a read-only
 * one (PCR_ROOT_READ_ONLY) by what removes (clear, prune); a missing one is
 * an empty cache. The code: store_walk.c (the walk every function makes, and
 * the sweep of what crashed writers left), store_stats.c, store_list.c,
 * store_remove.c (clear), store_prune.c, store_counter.c. */

/* Calls visit for each entry (the entry and its files are valid only during
 * the call); a nonzero return stops the walk and is returned. */
typedef int (*pcr_store_visit)(const struct pcr_store_entry *entry, void *arg);
int pcr_store_walk(const struct pcr_store *store, const char *dir, pcr_store_visit visit, void *arg,
		   struct pcr_store_error *e);

/* What the old layout (PCR_LAYOUT_OLD, keyed by the spelling of a path, which
 * the library no longer reads) holds: a whole stats counts it, a whole clear
 * and every prune that removes take it away. */
struct pcr_store_old {
	size_t files;
	uint64_t bytes;
};

struct pcr_store_stats {
	size_t entries, files;
	uint64_t bytes;                 /* the pycs' sizes */
	uint64_t disk;                  /* the entries' blocks (pcr_store_entry.disk) */
	uint64_t shards_disk;           /* the <k0k1> directories' blocks (whole cache only) */
	size_t sources;                 /* entries with a record: one source directory each */
	size_t trees;                   /* recorded source directories not inside another one */
	size_t orphans;                 /* recorded entries whose source directory is gone */
	size_t unrecorded;              /* entries without a (valid) record: never orphans */
	struct timespec oldest, newest; /* files' mtimes; zero when there are none */
	struct pcr_store_old old;       /* of the whole cache only */
};

int pcr_store_stats(const struct pcr_store *store, const char *dir, struct pcr_store_stats *s,
		    struct pcr_store_error *e);

/* The entries of dir (or all), sorted by source directory so that a tree's
 * subdirectories follow it, with their files sorted by name. Free with
 * pcr_store_list_free, also after a failure. */
struct pcr_store_list {
	struct pcr_store_entry *entries;
	size_t count;
};

int pcr_store_list(const struct pcr_store *store, const char *dir, struct pcr_store_list *l,
		   struct pcr_store_error *e);
void pcr_store_list_free(struct pcr_store_list *l);

/* What a clear or a prune removed. */
struct pcr_store_removed {
	size_t entries, files;
	uint64_t bytes;           /* the pycs' sizes */
	uint64_t disk;            /* the entries' blocks */
	uint64_t left_disk;       /* prune: the entries' blocks that stay (would stay) */
	struct pcr_store_old old; /* the old layout's, removed (a dry run's: would be) */
};

/* Removes the entries of dir (or all): each entry's files, the directory,
 * then its record. An entry a writer keeps filling while it is being removed
 * is left, with its record; *r counts what is gone, also after a failure.
 * Like a prune that removes, it also sweeps what crashed writers left
 * (temporary names older than PCR_STORE_STALE_AFTER), records whose entry
 * is gone, and the <k0k1> directories it left empty. */
int pcr_store_clear(const struct pcr_store *store, const char *dir, struct pcr_store_removed *r,
		    struct pcr_store_error *e);

/* What a prune removes, rule by rule, in this order. The last use of an
 * entry is its directory's mtime: Python's writes into it update it, and
 * the library touches it on reads when it is an hour old (core/entry.h). */
struct pcr_prune_rules {
	bool orphans; /* recorded entries whose source directory is gone */
	bool by_age;  /* entries last used before used_before */
	struct timespec used_before;
	bool by_size;        /* then least recently used first, until the entries' */
	uint64_t max_bytes;  /* blocks (pcr_store_entry.disk) are at most max_bytes, */
	uint64_t only_above; /* when they are over this (0: over max_bytes) */
	bool dry_run;        /* remove nothing: report and count what would go */
};

enum pcr_prune_reason {
	PCR_PRUNE_ORPHAN,
	PCR_PRUNE_OLD,
	PCR_PRUNE_OVER_SIZE,
};

/* Called for each entry that goes, before it is removed (or, on a dry run,
 * instead); a nonzero return stops the prune and is returned. */
typedef int (*pcr_store_prune_report)(const struct pcr_store_entry *entry,
				      enum pcr_prune_reason why, void *arg);

/* Removes the entries the rules pick from the whole cache, each the way
 * pcr_store_clear removes one (an entry a writer keeps filling is left).
 * An entry without a (valid) record is never an orphan, but counts for age
 * and size. *r counts what is gone (on a dry run, what would go), also
 * after a failure; report may be NULL. */
int pcr_store_prune(const struct pcr_store *store, const struct pcr_prune_rules *rules,
		    struct pcr_store_removed *r, pcr_store_prune_report report, void *arg,
		    struct pcr_store_error *e);

/* A temporary file (a record's "<key>.src.<pid>", a pyc's
 * "<name>.pyc.<number>") this old is a crashed writer's. */
#define PCR_STORE_STALE_AFTER 3600

/* The growth counter the library keeps (core/counter.h): its estimate of the
 * cache's size, 0 when there is none; and its reset to the size a scan of
 * the whole cache found (0, or -1 with errno; nothing when there is no layout directory). */
uint64_t pcr_store_counter_estimate(const char *root);
/* <root>/v2/usage opened with flags (O_CLOEXEC, O_NONBLOCK added), no
 * symlink followed on the way (the caller checked the root); -1 with errno. */
int pcr_store_counter_open(const char *root, int flags);
int pcr_store_counter_reset(const char *root, uint64_t bytes);

/* The library's counts (core/stats.h): summed over <root>/v2/stats (all 0
 * when there is none), and set to 0 (the file emptied). 0, or -1 with errno
 * (store_counts.c). */
int pcr_store_counts_read(const char *root, uint64_t n[]);
int pcr_store_counts_zero(const char *root);
/* Folds the records of <root>/v2/stats into one when the file holds at
 * least at_least bytes, waiting grace_ms for the writers that opened it
 * just before (store_counts.c); nothing is lost, the sum is the same. */
int pcr_store_counts_fold(const char *root, uint64_t at_least, unsigned grace_ms);

/* Orders directory paths as if '/' sorted before every other byte, so that
 * "/a/b/c" comes right after "/a/b", before "/a/b-c". */
int pcr_store_path_cmp(const char *a, const char *b);

/* Whether source is dir (of dir_len bytes, normalised) or below it. */
bool pcr_store_within(const char *source, const char *dir, size_t dir_len);

#endif
