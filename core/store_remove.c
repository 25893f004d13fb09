/* Removing entries, for a clear and a prune: an entry's files, its
 * directory, then its record; and pcr_store_clear itself. */
#include "store_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int pcr_store_remove_tree_at(int parent, const char *name)
{
	int fd = pcr_store_open_dir_at(parent, name);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = errno;
		close(fd);
		return (errno = err), -1;
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = pcr_store_next_name(d))) {
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if (errno == EISDIR)
			r = pcr_store_remove_tree_at(dirfd(d), de->d_name);
		else if (errno != ENOENT)
			r = -1;
	}
	if (r == 0 && errno)
		r = -1;
	int saved = errno;
	closedir(d);
	errno = saved;
	if (r == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -1;
	return r;
}

/* Removes everything in the entry directory d, counting the regular files. */
static int empty_entry(struct pcr_store_walker *w, const struct pcr_store_entry *entry, DIR *d,
		       struct pcr_store_removed *r)
{
	rewinddir(d);
	struct dirent *de;
	while ((de = pcr_store_next_name(d))) {
		struct stat st;
		int gone = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW);
		if (gone == 0)
			gone = S_ISDIR(st.st_mode) ? pcr_store_remove_tree_at(dirfd(d), de->d_name)
						   : unlinkat(dirfd(d), de->d_name, 0);
		if (gone < 0 && errno == ENOENT)
			continue;
		if (gone < 0)
			return pcr_store_fail(w->e, errno, entry->path, de->d_name, NULL, NULL);
		if (S_ISREG(st.st_mode)) {
			r->files++;
			r->bytes += (uint64_t)st.st_size;
		}
	}
	if (errno)
		return pcr_store_fail(w->e, errno, entry->path, NULL, NULL, NULL);
	return 0;
}

int pcr_store_remove_entry(struct pcr_store_walker *w, const struct pcr_store_entry *entry,
			   int shard, DIR *d, struct pcr_store_removed *r)
{
	/* A writer may add a file between the emptying and the rmdir: empty it
	 * again, twice; after that it is in use, and stays, record and all. */
	for (int tries = 0;; tries++) {
		if (empty_entry(w, entry, d, r) < 0)
			return -1;
		if (unlinkat(shard, entry->key, AT_REMOVEDIR) == 0) {
			r->entries++;
			r->disk += entry->disk; /* as the walk found it */
			break;
		}
		if (errno == ENOENT)
			break;
		if (errno != ENOTEMPTY && errno != EEXIST)
			return pcr_store_fail(w->e, errno, entry->path, NULL, NULL, NULL);
		if (tries == 2)
			return 0;
	}
	/* Last, so that an entry is never left without its record. */
	char name[PCR_KEY_HEX + sizeof PCR_SOURCE_SUFFIX];
	snprintf(name, sizeof name, "%s" PCR_SOURCE_SUFFIX, entry->key);
	if (unlinkat(shard, name, 0) < 0 && errno != ENOENT)
		return pcr_store_fail(w->e, errno, entry->path, NULL, NULL, NULL);
	return 0;
}

static int visit_clear(struct pcr_store_walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	return pcr_store_remove_entry(w, entry, shard, d, w->arg);
}

int pcr_store_clear(const struct pcr_store *store, const char *dir, struct pcr_store_removed *r,
		    struct pcr_store_error *e)
{
	*r = (struct pcr_store_removed){ 0 };
	return pcr_store_walk_all(store, dir, visit_clear, r, true, &r->old, NULL, e);
}
