#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "fs.h"
#include "ident.h"
#include "path.h"
#include "counter.h"

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

/* Fills e for a failed call on <root>[/a[/b[/c]]] and returns -1. */
static int fail(struct pcr_store_error *e, int err, const char *root, const char *a, const char *b,
		const char *c)
{
	e->root = PCR_ROOT_OK;
	e->err = err;
	int n = snprintf(e->path, sizeof e->path, "%s%s%s%s%s%s%s", root, a ? "/" : "", a ? a : "",
			 b ? "/" : "", b ? b : "", c ? "/" : "", c ? c : "");
	if (n < 0 || (size_t)n >= sizeof e->path) /* a message: the start will do */
		strcpy(e->path + sizeof e->path - 4, "...");
	return -1;
}

/* An entry or a directory of the layout that is not there as one: it
 * vanished (ENOENT), or it is a symlink (ELOOP under O_NOFOLLOW) or another
 * kind of file (ENOTDIR): not ours to walk into. */
static bool not_a_dir_of_ours(int err) { return err == ENOENT || err == ELOOP || err == ENOTDIR; }

static int open_dir_at(int fd, const char *name)
{
	return openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Like readdir, minus "." and ".."; NULL with errno 0 at the end. */
static struct dirent *next_name(DIR *d)
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

/* ---- progress ---- */

static struct {
	pcr_store_progress fn;
	void *arg;
	size_t entries;
} progress;

void pcr_store_on_progress(pcr_store_progress fn, void *arg)
{
	progress.fn = fn;
	progress.arg = arg;
	progress.entries = 0;
}

/* ---- the walk ---- */

struct walker;
/* shard is the open <k0k1> directory, entry the entry directory's stream. */
typedef int (*visit_fn)(struct walker *w, struct pcr_store_entry *entry, int shard, DIR *dir);

struct walker {
	const char *root;
	const char *dir; /* the filter, normalised, or NULL */
	size_t dir_len;
	visit_fn visit;
	void *arg;
	struct pcr_store_error *e;
	struct pcr_store_entry entry; /* reused from entry to entry */
	size_t files_cap;
	/* Removing: also sweep crashed writers' temporary files and the
	 * shards left empty. */
	bool tidy;
};

/* The keyer that tells whether a recorded source directory is still the
 * entry's (pcr_store_use_keyer). */
static struct pcr_fs_kinds kinds;
static const struct pcr_ident_keyer ident_keyer = PCR_IDENT_KEYER(&pcr_fs_libc, &kinds);
static const struct pcr_keyer *keyer = &ident_keyer.keyer;

void pcr_store_use_keyer(const struct pcr_keyer *k) { keyer = k ? k : &ident_keyer.keyer; }

/* Reads <key>.src: an absolute path and one "\n", naming the source
 * directory the entry was made for; anything else is no record. */
static void read_record(int shard, struct pcr_store_entry *entry)
{
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
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < PATH_MAX)
		n = read(fd, entry->source, PATH_MAX - 1);
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
static bool source_exists(struct pcr_store_entry *entry)
{
	char key[PCR_KEY_HEX + 1];
	if (keyer->key(keyer, entry->source, strlen(entry->source), key))
		return strcmp(key, entry->key) == 0;
	return errno != ENOENT && errno != ENOTDIR;
}

static int add_file(struct walker *w, const char *name, const struct stat *st)
{
	struct pcr_store_entry *entry = &w->entry;
	if (entry->nfiles == w->files_cap) {
		size_t cap = w->files_cap ? 2 * w->files_cap : 16;
		struct pcr_store_file *files = realloc(entry->files, cap * sizeof *files);
		if (!files)
			return fail(w->e, ENOMEM, entry->path, name, NULL, NULL);
		entry->files = files;
		w->files_cap = cap;
	}
	struct pcr_store_file *f = &entry->files[entry->nfiles++];
	snprintf(f->name, sizeof f->name, "%s", name);
	f->bytes = (uint64_t)st->st_size;
	f->mtime = st->st_mtim;
	entry->bytes += f->bytes;
	return 0;
}

/* The regular files of the entry directory: Python writes nothing else. */
static int read_files(struct walker *w, DIR *d)
{
	struct pcr_store_entry *entry = &w->entry;
	entry->nfiles = 0;
	entry->bytes = 0;
	struct dirent *de;
	while ((de = next_name(d))) {
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return fail(w->e, errno, entry->path, de->d_name, NULL, NULL);
		}
		if (w->tidy && S_ISREG(st.st_mode) && pcr_is_tmp_name(de->d_name) &&
		    is_stale(&st) && unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if (S_ISREG(st.st_mode) && add_file(w, de->d_name, &st) < 0)
			return -1;
	}
	if (errno)
		return fail(w->e, errno, entry->path, NULL, NULL, NULL);
	return 0;
}

static bool earlier(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static int walk_entry(struct walker *w, int shard, const char *k0k1, const char *key)
{
	struct pcr_store_entry *entry = &w->entry;
	if (progress.fn)
		progress.fn(++progress.entries, progress.arg);
	memcpy(entry->key, key, sizeof entry->key); /* is_key_of: 32 digits and a NUL */
	int n = snprintf(entry->path, sizeof entry->path, "%s/" PCR_LAYOUT "/%s/%s", w->root, k0k1,
			 key);
	if (n < 0 || (size_t)n >= sizeof entry->path)
		return fail(w->e, ENAMETOOLONG, w->root, PCR_LAYOUT, k0k1, key);
	read_record(shard, entry);
	if (w->dir && !(entry->recorded && pcr_store_within(entry->source, w->dir, w->dir_len)))
		return 0;
	entry->source_exists = entry->recorded && source_exists(entry);

	int fd = open_dir_at(shard, key);
	if (fd < 0)
		return not_a_dir_of_ours(errno) ? 0
						: fail(w->e, errno, entry->path, NULL, NULL, NULL);
	struct stat st;
	DIR *d = fstat(fd, &st) == 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int err = errno;
		close(fd);
		return fail(w->e, err, entry->path, NULL, NULL, NULL);
	}
	entry->mtime = st.st_mtim;
	/* An entry dated in the future (a clock set back, a copied cache) would
	 * stay the most recently used forever: it counts as used now, and a
	 * tidying walk dates it now, so that it ages from here on. */
	struct timespec now;
	if (clock_gettime(CLOCK_REALTIME, &now) == 0 && earlier(now, entry->mtime)) {
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
typedef int (*step_fn)(struct walker *w, int dir, const char *k0k1, const char *name);

/* Calls step for each name of the directory open as fd (which it closes). */
static int each_name(struct walker *w, int fd, const char *k0k1, step_fn step)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = errno;
		close(fd);
		return fail(w->e, err, w->root, PCR_LAYOUT, k0k1, NULL);
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = next_name(d)))
		r = step(w, dirfd(d), k0k1, de->d_name);
	if (r == 0 && errno)
		r = fail(w->e, errno, w->root, PCR_LAYOUT, k0k1, NULL);
	closedir(d);
	return r;
}

/* Records (<key>.src) are read with their entry, and their temporary names
 * swept when stale; anything else that is not an entry is not ours. */
static int step_entry(struct walker *w, int shard, const char *k0k1, const char *name)
{
	if (is_key_of(name, k0k1))
		return walk_entry(w, shard, k0k1, name);
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
static void remove_if_empty(struct walker *w, int layout, const char *k0k1)
{
	if (w->tidy)
		unlinkat(layout, k0k1, AT_REMOVEDIR);
}

static int step_shard(struct walker *w, int layout, const char *k0k1, const char *name)
{
	(void)k0k1;
	if (!is_hex(name, 2))
		return 0;
	int fd = open_dir_at(layout, name);
	if (fd < 0)
		return not_a_dir_of_ours(errno)
			   ? 0
			   : fail(w->e, errno, w->root, PCR_LAYOUT, name, NULL);
	int r = each_name(w, fd, name, step_entry);
	if (r == 0)
		remove_if_empty(w, layout, name);
	return r;
}

static int walk_layout(struct walker *w, int root)
{
	int fd = open_dir_at(root, PCR_LAYOUT);
	if (fd < 0) /* a layout directory that is a symlink or a file is refused, not skipped */
		return errno == ENOENT ? 0 : fail(w->e, errno, w->root, PCR_LAYOUT, NULL, NULL);
	return each_name(w, fd, NULL, step_shard);
}

/* The root's checks, then its descriptor, or -1 with *fd -1 too when there
 * is no root (an empty cache). */
static int open_root(const char *root, int *fd, struct pcr_store_error *e)
{
	*fd = -1;
	int err;
	enum pcr_root_status s =
	    pcr_root_prepare(&pcr_fs_libc, root, (unsigned long)geteuid(), false, &err);
	if (s == PCR_ROOT_MISSING)
		return 0;
	if (s != PCR_ROOT_OK) {
		fail(e, err, root, NULL, NULL, NULL);
		e->root = s;
		return -1;
	}
	*fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0 && errno != ENOENT)
		return fail(e, errno, root, NULL, NULL, NULL);
	return 0;
}

static int remove_tree_at(int parent, const char *name);

/* What the old layout (PCR_LAYOUT_OLD, keyed by spelling: nothing reads it
 * any more) holds under fd/name: its regular files, counted. */
static int count_tree_at(int parent, const char *name, struct pcr_store_old *old)
{
	int fd = open_dir_at(parent, name);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int r = 0;
	for (struct dirent *de; r == 0 && (de = next_name(d));) {
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

/* The old layout under the root fd: counted, and removed when remove is set
 * (a whole clear, a prune that removes). A link or a file in its place is
 * removed as it is, never followed. */
static int old_layout(int root, bool remove, struct pcr_store_old *old, struct pcr_store_error *e,
		      const char *root_path)
{
	struct stat st;
	if (fstatat(root, PCR_LAYOUT_OLD, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(e, errno, root_path, PCR_LAYOUT_OLD, NULL, NULL);
	if (S_ISDIR(st.st_mode) && count_tree_at(root, PCR_LAYOUT_OLD, old) < 0)
		return fail(e, errno, root_path, PCR_LAYOUT_OLD, NULL, NULL);
	if (!remove)
		return 0;
	int r = S_ISDIR(st.st_mode) ? remove_tree_at(root, PCR_LAYOUT_OLD)
				    : unlinkat(root, PCR_LAYOUT_OLD, 0);
	return r < 0 && errno != ENOENT ? fail(e, errno, root_path, PCR_LAYOUT_OLD, NULL, NULL) : 0;
}

/* The entries of the layout, each visited; with old (of the whole cache
 * only), the old layout counted too, and removed by a tidying walk. */
static int walk(const char *root, const char *dir, visit_fn visit, void *arg, bool tidy,
		struct pcr_store_old *old, struct pcr_store_error *e)
{
	char norm[PATH_MAX];
	struct walker w = { .root = root, .visit = visit, .arg = arg, .e = e, .tidy = tidy };
	if (dir) {
		w.dir_len = pcr_normalize_dir(NULL, dir, strlen(dir), norm, sizeof norm);
		if (w.dir_len == 0) /* relative, or too long */
			return fail(e, dir[0] == '/' ? ENAMETOOLONG : EINVAL, dir, NULL, NULL,
				    NULL);
		w.dir = norm;
	}
	int fd;
	if (open_root(root, &fd, e) < 0)
		return -1;
	if (fd < 0)
		return 0;
	int r = walk_layout(&w, fd);
	if (r == 0 && old && !dir)
		r = old_layout(fd, tidy, old, e, root);
	close(fd);
	free(w.entry.files);
	return r;
}

/* ---- the public walk ---- */

struct public_walk {
	pcr_store_visit visit;
	void *arg;
};

static int visit_public(struct walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	(void)shard;
	(void)d;
	const struct public_walk *p = w->arg;
	return p->visit(entry, p->arg);
}

int pcr_store_walk(const char *root, const char *dir, pcr_store_visit visit, void *arg,
		   struct pcr_store_error *e)
{
	struct public_walk p = { visit, arg };
	return walk(root, dir, visit_public, &p, false, NULL, e);
}

/* ---- stats ---- */

struct stats_walk {
	struct pcr_store_stats *s;
	char **sources;
	size_t cap;
};

static void take_mtime(struct pcr_store_stats *s, struct timespec t)
{
	bool first = s->files == 0;
	if (first || earlier(t, s->oldest))
		s->oldest = t;
	if (first || earlier(s->newest, t))
		s->newest = t;
}

static int keep_source(struct walker *w, struct stats_walk *sw, const char *source)
{
	if (sw->s->sources == sw->cap) {
		size_t cap = sw->cap ? 2 * sw->cap : 64;
		char **sources = realloc(sw->sources, cap * sizeof *sources);
		if (!sources)
			return fail(w->e, ENOMEM, w->root, NULL, NULL, NULL);
		sw->sources = sources;
		sw->cap = cap;
	}
	if (!(sw->sources[sw->s->sources] = strdup(source)))
		return fail(w->e, ENOMEM, w->root, NULL, NULL, NULL);
	sw->s->sources++;
	return 0;
}

static int visit_stats(struct walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	(void)shard;
	(void)d;
	struct stats_walk *sw = w->arg;
	struct pcr_store_stats *s = sw->s;
	s->entries++;
	for (size_t i = 0; i < entry->nfiles; i++, s->files++)
		take_mtime(s, entry->files[i].mtime);
	s->bytes += entry->bytes;
	if (!entry->recorded) {
		s->unrecorded++;
		return 0;
	}
	if (!entry->source_exists)
		s->orphans++;
	return keep_source(w, sw, entry->source);
}

static int cmp_paths(const void *a, const void *b)
{
	return pcr_store_path_cmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted so, a tree's subdirectories follow it: count the tops. */
static size_t count_trees(char **sources, size_t n)
{
	if (n == 0) /* sources is NULL then, which qsort must not get */
		return 0;
	qsort(sources, n, sizeof *sources, cmp_paths);
	size_t trees = 0;
	const char *top = NULL;
	for (size_t i = 0; i < n; i++)
		if (!top || !pcr_store_within(sources[i], top, strlen(top))) {
			top = sources[i];
			trees++;
		}
	return trees;
}

int pcr_store_stats(const char *root, const char *dir, struct pcr_store_stats *s,
		    struct pcr_store_error *e)
{
	*s = (struct pcr_store_stats){ 0 };
	struct stats_walk sw = { .s = s };
	int r = walk(root, dir, visit_stats, &sw, false, &s->old, e);
	if (r == 0)
		s->trees = count_trees(sw.sources, s->sources);
	for (size_t i = 0; i < s->sources; i++)
		free(sw.sources[i]);
	free(sw.sources);
	return r;
}

/* ---- list ---- */

struct list_walk {
	struct pcr_store_list *l;
	size_t cap;
};

static int cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct pcr_store_file *)a)->name,
		      ((const struct pcr_store_file *)b)->name);
}

static int cmp_entries(const void *a, const void *b)
{
	const struct pcr_store_entry *x = a, *y = b;
	int c = pcr_store_path_cmp(x->source, y->source);
	return c ? c : strcmp(x->key, y->key);
}

static int visit_list(struct walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	(void)shard;
	(void)d;
	struct list_walk *lw = w->arg;
	struct pcr_store_list *l = lw->l;
	if (l->count == lw->cap) {
		size_t cap = lw->cap ? 2 * lw->cap : 16;
		struct pcr_store_entry *entries = realloc(l->entries, cap * sizeof *entries);
		if (!entries)
			return fail(w->e, ENOMEM, entry->path, NULL, NULL, NULL);
		l->entries = entries;
		lw->cap = cap;
	}
	struct pcr_store_entry *copy = &l->entries[l->count];
	*copy = *entry;
	copy->files = NULL;
	if (entry->nfiles) {
		copy->files = malloc(entry->nfiles * sizeof *copy->files);
		if (!copy->files)
			return fail(w->e, ENOMEM, entry->path, NULL, NULL, NULL);
		memcpy(copy->files, entry->files, entry->nfiles * sizeof *copy->files);
		qsort(copy->files, copy->nfiles, sizeof *copy->files, cmp_files);
	}
	l->count++;
	return 0;
}

int pcr_store_list(const char *root, const char *dir, struct pcr_store_list *l,
		   struct pcr_store_error *e)
{
	*l = (struct pcr_store_list){ 0 };
	struct list_walk lw = { .l = l };
	int r = walk(root, dir, visit_list, &lw, false, NULL, e);
	if (r == 0 && l->count)
		qsort(l->entries, l->count, sizeof *l->entries, cmp_entries);
	return r;
}

void pcr_store_list_free(struct pcr_store_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->entries[i].files);
	free(l->entries);
	*l = (struct pcr_store_list){ 0 };
}

/* ---- clear ---- */

/* rm -r of name in parent, never following a link: for what is not
 * Python's (a directory planted inside an entry). -1 with errno. */
static int remove_tree_at(int parent, const char *name)
{
	int fd = open_dir_at(parent, name);
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
	while (r == 0 && (de = next_name(d))) {
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if (errno == EISDIR)
			r = remove_tree_at(dirfd(d), de->d_name);
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
static int empty_entry(struct walker *w, const struct pcr_store_entry *entry, DIR *d,
		       struct pcr_store_removed *r)
{
	rewinddir(d);
	struct dirent *de;
	while ((de = next_name(d))) {
		struct stat st;
		int gone = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW);
		if (gone == 0)
			gone = S_ISDIR(st.st_mode) ? remove_tree_at(dirfd(d), de->d_name)
						   : unlinkat(dirfd(d), de->d_name, 0);
		if (gone < 0 && errno == ENOENT)
			continue;
		if (gone < 0)
			return fail(w->e, errno, entry->path, de->d_name, NULL, NULL);
		if (S_ISREG(st.st_mode)) {
			r->files++;
			r->bytes += (uint64_t)st.st_size;
		}
	}
	if (errno)
		return fail(w->e, errno, entry->path, NULL, NULL, NULL);
	return 0;
}

/* Removes the entry (open as d in the directory shard): its files, the
 * directory, then its record, counting what is gone in *r. */
static int remove_entry(struct walker *w, const struct pcr_store_entry *entry, int shard, DIR *d,
			struct pcr_store_removed *r)
{
	/* A writer may add a file between the emptying and the rmdir: empty it
	 * again, twice; after that it is in use, and stays, record and all. */
	for (int tries = 0;; tries++) {
		if (empty_entry(w, entry, d, r) < 0)
			return -1;
		if (unlinkat(shard, entry->key, AT_REMOVEDIR) == 0) {
			r->entries++;
			break;
		}
		if (errno == ENOENT)
			break;
		if (errno != ENOTEMPTY && errno != EEXIST)
			return fail(w->e, errno, entry->path, NULL, NULL, NULL);
		if (tries == 2)
			return 0;
	}
	/* Last, so that an entry is never left without its record. */
	char name[PCR_KEY_HEX + sizeof PCR_SOURCE_SUFFIX];
	snprintf(name, sizeof name, "%s" PCR_SOURCE_SUFFIX, entry->key);
	if (unlinkat(shard, name, 0) < 0 && errno != ENOENT)
		return fail(w->e, errno, entry->path, NULL, NULL, NULL);
	return 0;
}

static int visit_clear(struct walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	return remove_entry(w, entry, shard, d, w->arg);
}

int pcr_store_clear(const char *root, const char *dir, struct pcr_store_removed *r,
		    struct pcr_store_error *e)
{
	*r = (struct pcr_store_removed){ 0 };
	return walk(root, dir, visit_clear, r, true, &r->old, e);
}

/* ---- prune ---- */

/* An entry that survived the first rules, for the size rule. */
struct prune_kept {
	char key[PCR_KEY_HEX + 1];
	struct timespec mtime;
	uint64_t bytes;
};

struct prune_walk {
	const struct pcr_prune_rules *rules;
	struct pcr_store_removed *r;
	pcr_store_prune_report report;
	void *arg;
	enum pcr_prune_reason why; /* the second pass's */
	struct prune_kept *kept;
	size_t count, cap;
	uint64_t kept_bytes;
};

/* The entry goes: reported, then removed, or on a dry run only counted. */
static int prune_entry(struct walker *w, struct pcr_store_entry *entry, int shard, DIR *d,
		       enum pcr_prune_reason why)
{
	struct prune_walk *pw = w->arg;
	if (pw->report) {
		int stop = pw->report(entry, why, pw->arg);
		if (stop)
			return stop;
	}
	if (!pw->rules->dry_run)
		return remove_entry(w, entry, shard, d, pw->r);
	pw->r->entries++;
	pw->r->files += entry->nfiles;
	pw->r->bytes += entry->bytes;
	return 0;
}

static int keep_entry(struct walker *w, struct prune_walk *pw, const struct pcr_store_entry *entry)
{
	if (pw->count == pw->cap) {
		size_t cap = pw->cap ? 2 * pw->cap : 256;
		struct prune_kept *kept = realloc(pw->kept, cap * sizeof *kept);
		if (!kept)
			return fail(w->e, ENOMEM, entry->path, NULL, NULL, NULL);
		pw->kept = kept;
		pw->cap = cap;
	}
	struct prune_kept *k = &pw->kept[pw->count++];
	memcpy(k->key, entry->key, sizeof k->key);
	k->mtime = entry->mtime;
	k->bytes = entry->bytes;
	return 0;
}

/* The first pass: orphans, then the old; the others are kept for the size
 * rule. */
static int visit_prune(struct walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	struct prune_walk *pw = w->arg;
	const struct pcr_prune_rules *rules = pw->rules;
	if (rules->orphans && entry->recorded && !entry->source_exists)
		return prune_entry(w, entry, shard, d, PCR_PRUNE_ORPHAN);
	if (rules->by_age && earlier(entry->mtime, rules->used_before))
		return prune_entry(w, entry, shard, d, PCR_PRUNE_OLD);
	pw->kept_bytes += entry->bytes;
	return rules->by_size ? keep_entry(w, pw, entry) : 0;
}

static int visit_prune_size(struct walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	struct prune_walk *pw = w->arg;
	return prune_entry(w, entry, shard, d, pw->why);
}

/* Least recently used first; the key breaks ties, for a stable order. */
static int cmp_kept(const void *a, const void *b)
{
	const struct prune_kept *x = a, *y = b;
	if (earlier(x->mtime, y->mtime))
		return -1;
	if (earlier(y->mtime, x->mtime))
		return 1;
	return strcmp(x->key, y->key);
}

/* The second pass: the kept entries, least recently used first, until the
 * total is at most the limit. Each is looked at again (it may have vanished,
 * or changed, since the first pass) by the walk's own entry step. */
static int prune_to_size(struct walker *w, int root)
{
	struct prune_walk *pw = w->arg;
	const struct pcr_prune_rules *rules = pw->rules;
	if (pw->kept_bytes <= rules->max_bytes || pw->kept_bytes <= rules->only_above)
		return 0;
	qsort(pw->kept, pw->count, sizeof *pw->kept, cmp_kept);
	int layout = open_dir_at(root, PCR_LAYOUT);
	if (layout < 0)
		return errno == ENOENT ? 0 : fail(w->e, errno, w->root, PCR_LAYOUT, NULL, NULL);
	w->visit = visit_prune_size;
	pw->why = PCR_PRUNE_OVER_SIZE;
	int r = 0;
	for (size_t i = 0; r == 0 && i < pw->count && pw->kept_bytes > pw->rules->max_bytes; i++) {
		const char *key = pw->kept[i].key;
		pw->kept_bytes -= pw->kept[i].bytes;
		char k0k1[3] = { key[0], key[1], '\0' };
		int shard = open_dir_at(layout, k0k1);
		if (shard < 0) {
			if (!not_a_dir_of_ours(errno))
				r = fail(w->e, errno, w->root, PCR_LAYOUT, k0k1, NULL);
			continue;
		}
		r = walk_entry(w, shard, k0k1, key);
		close(shard);
		remove_if_empty(w, layout, k0k1);
	}
	close(layout);
	return r;
}

int pcr_store_prune(const char *root, const struct pcr_prune_rules *rules,
		    struct pcr_store_removed *r, pcr_store_prune_report report, void *arg,
		    struct pcr_store_error *e)
{
	*r = (struct pcr_store_removed){ 0 };
	struct prune_walk pw = { .rules = rules, .r = r, .report = report, .arg = arg };
	struct walker w = {
		.root = root, .visit = visit_prune, .arg = &pw, .e = e, .tidy = !rules->dry_run
	};
	int fd;
	if (open_root(root, &fd, e) < 0)
		return -1;
	if (fd < 0)
		return 0;
	int status = walk_layout(&w, fd);
	if (status == 0)
		status = old_layout(fd, !rules->dry_run, &r->old, e, root);
	if (status == 0 && rules->by_size)
		status = prune_to_size(&w, fd);
	if (status == 0)
		r->left_bytes = pw.kept_bytes;
	close(fd);
	free(w.entry.files);
	free(pw.kept);
	return status;
}

/* ---- the growth counter ---- */

int pcr_store_counter_open(const char *root, int flags)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int layout = fd < 0 ? -1 : open_dir_at(fd, PCR_LAYOUT);
	int saved = errno;
	if (fd >= 0)
		close(fd);
	if (layout < 0)
		return (errno = saved), -1;
	fd = openat(layout, PCR_COUNTER_NAME, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	saved = errno;
	close(layout);
	errno = saved;
	return fd;
}

uint64_t pcr_store_counter_estimate(const char *root)
{
	struct stat st;
	int fd = pcr_store_counter_open(root, O_RDONLY);
	if (fd < 0)
		return 0;
	uint64_t bytes = fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
			     ? (uint64_t)st.st_size * PCR_COUNTER_UNIT
			     : 0;
	close(fd);
	return bytes;
}

int pcr_store_counter_reset(const char *root, uint64_t bytes)
{
	/* Only where the library would write it: the layout directory exists once anything is cached. */
	int fd = pcr_store_counter_open(root, O_WRONLY | O_CREAT);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	/* To zero first: the appended bytes go, the new length is a hole. */
	int r = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) == 0 &&
			ftruncate(fd, (off_t)pcr_counter_units(bytes)) == 0
		    ? 0
		    : -1;
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}
