/* The walk every store function makes: the root's checks, the shards, each
 * entry with its record and files, and, for a tidying walk (a clear, a prune
 * that removes), the sweep of what crashed writers left. */
#include "store_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "fs.h"
#include "grow.h"
#include "ident.h"
#include "path.h"

/* ---- paths ---- */

int pcr_store_path_cmp(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
	if (x == y)
		return 0;
	if (x == '/' || y == '/') /* '\0' still sorts first: a prefix comes first */
		return x == '\0' ? -1 : y == '\0' ? 1 : x == '/' ? -1 : 1;
	return x < y ? -1 : 1;
}

bool pcr_store_within(const char *source, const char *dir, size_t dir_len)
{
	if (dir_len == 1 && dir[0] == '/')
		return source[0] == '/';
	return strncmp(source, dir, dir_len) == 0 &&
	       (source[dir_len] == '\0' || source[dir_len] == '/');
}

/* ---- errors ---- */

int pcr_store_fail(struct pcr_store_error *e, int err, const char *root, const char *a,
		   const char *b, const char *c)
{
	e->root = PCR_ROOT_OK;
	e->err = err;
	int n = snprintf(e->path, sizeof e->path, "%s%s%s%s%s%s%s", root, a ? "/" : "", a ? a : "",
			 b ? "/" : "", b ? b : "", c ? "/" : "", c ? c : "");
	if (n < 0 || (size_t)n >= sizeof e->path) /* a message: the start will do */
		strcpy(e->path + sizeof e->path - 4, "...");
	return -1;
}

bool pcr_store_not_ours(int err) { return err == ENOENT || err == ELOOP || err == ENOTDIR; }

int pcr_store_open_dir_at(int fd, const char *name)
{
	return openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

struct dirent *pcr_store_next_name(DIR *d)
{
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de || (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0))
			return de;
	}
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

/* Whether a temporary name is a crashed writer's: a live one renames it
 * within moments. */
static bool is_stale(const struct stat *st)
{
	return st->st_mtim.tv_sec <= time(NULL) - PCR_STORE_STALE_AFTER;
}

/* ---- the walk ---- */

/* The keyer when the store names none: the directories' identity, as the
 * library keys them. */
static struct pcr_fs_kinds kinds;
static const struct pcr_ident_keyer ident_keyer = PCR_IDENT_KEYER(&pcr_fs_libc, &kinds);

/* Reads <key>.src: an absolute path and one "\n", naming the source
 * directory the entry was made for; anything else is no record. */
static void read_record(int shard, struct pcr_store_entry *entry)
{
	entry->disk = 0;
	char name[PCR_KEY_HEX + sizeof PCR_SOURCE_SUFFIX];
	snprintf(name, sizeof name, "%s" PCR_SOURCE_SUFFIX, entry->key);
	entry->recorded = false;
	entry->source[0] = '\0';
	/* O_NONBLOCK: a FIFO planted there must not hang the walk. */
	int fd = openat(shard, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < PATH_MAX) {
		entry->disk = pcr_store_blocks(&st);
		n = read(fd, entry->source, PATH_MAX - 1);
	}
	close(fd);
	if (n < 2 || entry->source[0] != '/' || entry->source[n - 1] != '\n' ||
	    memchr(entry->source, '\n', (size_t)n - 1) || memchr(entry->source, '\0', (size_t)n)) {
		entry->source[0] = '\0';
		return;
	}
	entry->source[n - 1] = '\0';
	entry->recorded = true;
}

/* Whether the recorded source directory is still there, and still the one
 * the entry was made for: a tree deleted, or replaced by another at the same
 * path, leaves an orphan. Only a clear "no" (ENOENT, ENOTDIR, another key)
 * makes an orphan: one that cannot be looked at (EACCES) is kept. */
static bool source_exists(const struct pcr_store *store, struct pcr_store_entry *entry)
{
	const struct pcr_keyer *keyer = store->keyer ? store->keyer : &ident_keyer.keyer;
	char key[PCR_KEY_HEX + 1];
	if (keyer->key(keyer, entry->source, strlen(entry->source), key))
		return strcmp(key, entry->key) == 0;
	return errno != ENOENT && errno != ENOTDIR;
}

static int add_file(struct pcr_store_walker *w, const char *name, const struct stat *st)
{
	struct pcr_store_entry *entry = &w->entry;
	struct pcr_store_file *files =
	    pcr_grow(entry->files, entry->nfiles, &w->files_cap, sizeof *files, 16);
	if (!files)
		return pcr_store_fail(w->e, ENOMEM, entry->path, name, NULL, NULL);
	entry->files = files;
	struct pcr_store_file *f = &entry->files[entry->nfiles++];
	snprintf(f->name, sizeof f->name, "%s", name);
	f->bytes = (uint64_t)st->st_size;
	f->mtime = st->st_mtim;
	entry->bytes += f->bytes;
	entry->disk += pcr_store_blocks(st);
	return 0;
}

/* The regular files of the entry directory: Python writes nothing else. */
static int read_files(struct pcr_store_walker *w, DIR *d)
{
	struct pcr_store_entry *entry = &w->entry;
	entry->nfiles = 0;
	entry->bytes = 0;
	struct dirent *de;
	while ((de = pcr_store_next_name(d))) {
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return pcr_store_fail(w->e, errno, entry->path, de->d_name, NULL, NULL);
		}
		if (w->tidy && S_ISREG(st.st_mode) && pcr_is_tmp_name(de->d_name) &&
		    is_stale(&st) && unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if (S_ISREG(st.st_mode) && add_file(w, de->d_name, &st) < 0)
			return -1;
	}
	if (errno)
		return pcr_store_fail(w->e, errno, entry->path, NULL, NULL, NULL);
	return 0;
}

int pcr_store_walk_entry(struct pcr_store_walker *w, int shard, const char *k0k1, const char *key)
{
	struct pcr_store_entry *entry = &w->entry;
	if (w->store->progress)
		w->store->progress(++w->seen, w->store->progress_arg);
	memcpy(entry->key, key, sizeof entry->key); /* is_key_of: 32 digits and a NUL */
	int n = snprintf(entry->path, sizeof entry->path, "%s/" PCR_LAYOUT "/%s/%s", w->store->root,
			 k0k1, key);
	if (n < 0 || (size_t)n >= sizeof entry->path)
		return pcr_store_fail(w->e, ENAMETOOLONG, w->store->root, PCR_LAYOUT, k0k1, key);
	read_record(shard, entry);
	if (w->dir && !(entry->recorded && pcr_store_within(entry->source, w->dir, w->dir_len)))
		return 0;
	entry->source_exists = entry->recorded && source_exists(w->store, entry);

	int fd = pcr_store_open_dir_at(shard, key);
	if (fd < 0)
		return pcr_store_not_ours(errno)
			   ? 0
			   : pcr_store_fail(w->e, errno, entry->path, NULL, NULL, NULL);
	struct stat st;
	DIR *d = fstat(fd, &st) == 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int err = errno;
		close(fd);
		return pcr_store_fail(w->e, err, entry->path, NULL, NULL, NULL);
	}
	entry->mtime = st.st_mtim;
	entry->disk += pcr_store_blocks(&st);
	/* An entry dated in the future (a clock set back, a copied cache) would
	 * stay the most recently used forever: it counts as used now, and a
	 * tidying walk dates it now, so that it ages from here on. */
	struct timespec now;
	if (clock_gettime(CLOCK_REALTIME, &now) == 0 && pcr_store_earlier(now, entry->mtime)) {
		entry->mtime = now;
		if (w->tidy)
			futimens(fd, (const struct timespec[2]){ { .tv_nsec = UTIME_OMIT },
								 { .tv_nsec = UTIME_NOW } });
	}
	int r = read_files(w, d);
	if (r == 0)
		r = w->visit(w, entry, shard, d);
	closedir(d);
	return r;
}

static bool is_key_of(const char *name, const char *k0k1)
{
	return name[0] == k0k1[0] && name[1] == k0k1[1] && is_hex(name, PCR_KEY_HEX);
}

/* One name of the directory k0k1 (the layout directory itself when NULL), open as dir. */
typedef int (*step_fn)(struct pcr_store_walker *w, int dir, const char *k0k1, const char *name);

/* Calls step for each name of the directory open as fd (which it closes). */
static int each_name(struct pcr_store_walker *w, int fd, const char *k0k1, step_fn step)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = errno;
		close(fd);
		return pcr_store_fail(w->e, err, w->store->root, PCR_LAYOUT, k0k1, NULL);
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = pcr_store_next_name(d)))
		r = step(w, dirfd(d), k0k1, de->d_name);
	if (r == 0 && errno)
		r = pcr_store_fail(w->e, errno, w->store->root, PCR_LAYOUT, k0k1, NULL);
	closedir(d);
	return r;
}

/* Records (<key>.src) are read with their entry, and their temporary names
 * swept when stale; anything else that is not an entry is not ours. */
static int step_entry(struct pcr_store_walker *w, int shard, const char *k0k1, const char *name)
{
	if (is_key_of(name, k0k1))
		return pcr_store_walk_entry(w, shard, k0k1, name);
	struct stat st;
	if (!w->tidy || name[0] != k0k1[0] || name[1] != k0k1[1])
		return 0;
	if (pcr_is_tmp_name(name) && fstatat(shard, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && is_stale(&st))
		unlinkat(shard, name, 0);
	/* A record whose entry is gone (a writer recorded an entry a removal
	 * took meanwhile): a writer makes the entry before its record, and
	 * the library records an entry again on its next use. */
	char key[PCR_KEY_HEX + 1];
	if (strlen(name) == PCR_KEY_HEX + sizeof PCR_SOURCE_SUFFIX - 1 &&
	    strcmp(name + PCR_KEY_HEX, PCR_SOURCE_SUFFIX) == 0) {
		memcpy(key, name, PCR_KEY_HEX);
		key[PCR_KEY_HEX] = '\0';
		if (is_key_of(key, k0k1) && fstatat(shard, key, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT)
			unlinkat(shard, name, 0);
	}
	return 0;
}

/* A shard the removals left empty goes too (a writer that loses the race
 * for it makes it again, or fails one write of a pyc: never an import). */
void pcr_store_remove_if_empty(struct pcr_store_walker *w, int layout, const char *k0k1)
{
	if (w->tidy)
		unlinkat(layout, k0k1, AT_REMOVEDIR);
}

static int step_shard(struct pcr_store_walker *w, int layout, const char *k0k1, const char *name)
{
	(void)k0k1;
	if (!is_hex(name, 2))
		return 0;
	int fd = pcr_store_open_dir_at(layout, name);
	if (fd < 0)
		return pcr_store_not_ours(errno)
			   ? 0
			   : pcr_store_fail(w->e, errno, w->store->root, PCR_LAYOUT, name, NULL);
	struct stat st;
	if (fstat(fd, &st) == 0)
		w->shards_disk += pcr_store_blocks(&st);
	int r = each_name(w, fd, name, step_entry);
	if (r == 0)
		pcr_store_remove_if_empty(w, layout, name);
	return r;
}

int pcr_store_walk_layout(struct pcr_store_walker *w, int root)
{
	int fd = pcr_store_open_dir_at(root, PCR_LAYOUT);
	if (fd < 0) /* a layout directory that is a symlink or a file is refused, not skipped */
		return errno == ENOENT
			   ? 0
			   : pcr_store_fail(w->e, errno, w->store->root, PCR_LAYOUT, NULL, NULL);
	return each_name(w, fd, NULL, step_shard);
}

int pcr_store_open_root(const char *root, int *fd, bool tidy, struct pcr_store_error *e)
{
	*fd = -1;
	int err;
	enum pcr_root_status s =
	    pcr_root_prepare(&pcr_fs_libc, root, (unsigned long)geteuid(), false, &err);
	if (s == PCR_ROOT_MISSING)
		return 0;
	if (s != PCR_ROOT_OK && (tidy || s != PCR_ROOT_READ_ONLY)) {
		pcr_store_fail(e, err, root, NULL, NULL, NULL);
		e->root = s;
		return -1;
	}
	*fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0 && errno != ENOENT)
		return pcr_store_fail(e, errno, root, NULL, NULL, NULL);
	return 0;
}

/* What the old layout (PCR_LAYOUT_OLD, keyed by spelling: nothing reads it
 * any more) holds under fd/name: its regular files, counted. */
static int count_tree_at(int parent, const char *name, struct pcr_store_old *old)
{
	int fd = pcr_store_open_dir_at(parent, name);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int r = 0;
	for (struct dirent *de; r == 0 && (de = pcr_store_next_name(d));) {
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			r = count_tree_at(dirfd(d), de->d_name, old);
		else if (S_ISREG(st.st_mode)) {
			old->files++;
			old->bytes += (uint64_t)st.st_size;
		}
	}
	closedir(d);
	return r;
}

/* A whole clear and a prune that removes take the old layout away; a link
 * or a file in its place is removed as it is, never followed. */
int pcr_store_old_layout(int root, bool remove, struct pcr_store_old *old,
			 struct pcr_store_error *e, const char *root_path)
{
	struct stat st;
	if (fstatat(root, PCR_LAYOUT_OLD, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT
			   ? 0
			   : pcr_store_fail(e, errno, root_path, PCR_LAYOUT_OLD, NULL, NULL);
	if (S_ISDIR(st.st_mode) && count_tree_at(root, PCR_LAYOUT_OLD, old) < 0)
		return pcr_store_fail(e, errno, root_path, PCR_LAYOUT_OLD, NULL, NULL);
	if (!remove)
		return 0;
	int r = S_ISDIR(st.st_mode) ? pcr_store_remove_tree_at(root, PCR_LAYOUT_OLD)
				    : unlinkat(root, PCR_LAYOUT_OLD, 0);
	return r < 0 && errno != ENOENT
		   ? pcr_store_fail(e, errno, root_path, PCR_LAYOUT_OLD, NULL, NULL)
		   : 0;
}

int pcr_store_walk_all(const struct pcr_store *store, const char *dir, pcr_store_visit_fn visit,
		       void *arg, bool tidy, struct pcr_store_old *old, uint64_t *shards_disk,
		       struct pcr_store_error *e)
{
	const char *root = store->root;
	char norm[PATH_MAX];
	struct pcr_store_walker w = {
		.store = store, .visit = visit, .arg = arg, .e = e, .tidy = tidy
	};
	if (dir) {
		w.dir_len = pcr_normalize_dir(NULL, dir, strlen(dir), norm, sizeof norm);
		if (w.dir_len == 0) /* relative, or too long */
			return pcr_store_fail(e, dir[0] == '/' ? ENAMETOOLONG : EINVAL, dir, NULL,
					      NULL, NULL);
		w.dir = norm;
	}
	int fd;
	if (pcr_store_open_root(root, &fd, tidy, e) < 0)
		return -1;
	if (fd < 0)
		return 0;
	int r = pcr_store_walk_layout(&w, fd);
	if (r == 0 && old && !dir)
		r = pcr_store_old_layout(fd, tidy, old, e, root);
	if (shards_disk)
		*shards_disk = w.shards_disk;
	close(fd);
	free(w.entry.files);
	return r;
}

/* ---- the public walk ---- */

struct public_walk {
	pcr_store_visit visit;
	void *arg;
};

static int visit_public(struct pcr_store_walker *w, struct pcr_store_entry *entry, int shard,
			DIR *d)
{
	(void)shard;
	(void)d;
	const struct public_walk *p = w->arg;
	return p->visit(entry, p->arg);
}

int pcr_store_walk(const struct pcr_store *store, const char *dir, pcr_store_visit visit, void *arg,
		   struct pcr_store_error *e)
{
	struct public_walk p = { visit, arg };
	return pcr_store_walk_all(store, dir, visit_public, &p, false, NULL, NULL, e);
}
