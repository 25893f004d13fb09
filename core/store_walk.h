/* The walk under <root>/v2 that every store function makes, for the store's
 * own files (core/store_*.c) only: callers use core/store.h. */
#ifndef PCR_STORE_WALK_H
#define PCR_STORE_WALK_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "store.h"

struct pcr_store_walker;

/* What a walk does with each entry of the filter: shard is the open <k0k1>
 * directory, dir the entry directory's stream (its files already read into
 * entry). A nonzero return stops the walk and is returned. */
typedef int (*pcr_store_visit_fn)(struct pcr_store_walker *w, struct pcr_store_entry *entry,
				  int shard, DIR *dir);

struct pcr_store_walker {
	const struct pcr_store *store;
	const char *dir; /* the filter, normalised, or NULL */
	size_t dir_len;
	pcr_store_visit_fn visit;
	void *arg;
	struct pcr_store_error *e;
	struct pcr_store_entry entry; /* reused from entry to entry */
	size_t files_cap;
	size_t seen;          /* entries looked at, for store->progress */
	uint64_t shards_disk; /* the <k0k1> directories' blocks, as they were walked */
	/* Removing: also sweep crashed writers' temporary files and the
	 * shards left empty. */
	bool tidy;
};

/* The entries of the layout (of dir, or all), each visited; with old (of
 * the whole cache only), the old layout counted too, and removed by a
 * tidying walk; with shards_disk, the shard directories' blocks. */
int pcr_store_walk_all(const struct pcr_store *store, const char *dir, pcr_store_visit_fn visit,
		       void *arg, bool tidy, struct pcr_store_old *old, uint64_t *shards_disk,
		       struct pcr_store_error *e);

/* The steps of a walk, for a prune's passes: the root's checks, then its
 * descriptor in *fd (-1 too when there is no root: an empty cache), a
 * read-only root refused when the walk is to remove (tidy) and read
 * otherwise; the
 * layout under it; the old layout (counted, and removed when remove is
 * set); one entry, looked at again; a shard that removals left empty. */
int pcr_store_open_root(const char *root, int *fd, bool tidy, struct pcr_store_error *e);
int pcr_store_walk_layout(struct pcr_store_walker *w, int root);
int pcr_store_old_layout(int root, bool remove, struct pcr_store_old *old,
			 struct pcr_store_error *e, const char *root_path);
int pcr_store_walk_entry(struct pcr_store_walker *w, int shard, const char *k0k1, const char *key);
void pcr_store_remove_if_empty(struct pcr_store_walker *w, int layout, const char *k0k1);

/* Removes the entry (open as d in the directory shard): its files, the
 * directory, then its record, counting what is gone in *r
 * (store_remove.c). */
int pcr_store_remove_entry(struct pcr_store_walker *w, const struct pcr_store_entry *entry,
			   int shard, DIR *d, struct pcr_store_removed *r);
/* rm -r of name in parent, never following a link: for what is not
 * Python's (a directory planted inside an entry). -1 with errno. */
int pcr_store_remove_tree_at(int parent, const char *name);

/* <root>/v2/<name> opened with flags (O_NOFOLLOW, O_NONBLOCK and O_CLOEXEC
 * added; mode 0600 for a create), no symlink followed on the way (the
 * caller checked the root): the growth counter's file, the counts' file.
 * -1 with errno (store_counter.c). */
int pcr_store_layout_file(const char *root, const char *name, int flags);
/* <root>/v2 itself, opened the same way. */
int pcr_store_layout_dir(const char *root);

/* Fills e for a failed call on <root>[/a[/b[/c]]] and returns -1. */
int pcr_store_fail(struct pcr_store_error *e, int err, const char *root, const char *a,
		   const char *b, const char *c);
/* An entry or a directory of the layout that is not there as one: it
 * vanished (ENOENT), or it is a symlink (ELOOP under O_NOFOLLOW) or another
 * kind of file (ENOTDIR): not ours to walk into. */
bool pcr_store_not_ours(int err);
int pcr_store_open_dir_at(int fd, const char *name);
/* Like readdir, minus "." and ".."; NULL with errno 0 at the end. */
struct dirent *pcr_store_next_name(DIR *d);

/* What a file takes on disk, as du counts it. */
static inline uint64_t pcr_store_blocks(const struct stat *st)
{
	return (uint64_t)st->st_blocks * 512;
}

static inline bool pcr_store_earlier(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

#endif
