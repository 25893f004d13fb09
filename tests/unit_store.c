/* The cache store (core/store_*.c) on caches generated in a temporary
 * directory: exact counts, records missing or wrong, orphans, entries that
 * vanish during a walk, symlinks that must never be followed, and refused
 * roots. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>

#include "unit.h"

#include "core/stats.h"
#include "core/store.h"

static char tmp[PATH_MAX];  /* the test's directory */
static char root[PATH_MAX]; /* tmp/cache, 0700 */
static char src[PATH_MAX];  /* tmp/src: the source trees */

/* The entries these tests make are keyed by spelling (tests/unit.h): as the
 * library's keyer, it finds no key where there is no directory. */
static bool key_of_existing(const struct pcr_keyer *self, char *dir, size_t len, char *hex)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return false;
	if (!S_ISDIR(st.st_mode))
		return (errno = ENOTDIR), false;
	return pcr_keyer_spelling.key(self, dir, len, hex);
}
static const struct pcr_keyer spelling_of_existing = { key_of_existing };

/* The store every test works on: root, keyed as above. */
static struct pcr_store store;

static void setup(void)
{
	unit_mkdtemp(tmp, sizeof tmp);
	unit_path(root, "%s/cache", tmp);
	store = (struct pcr_store){ .root = root, .keyer = &spelling_of_existing };
	unit_path(src, "%s/src", tmp);
	cr_assert_eq(mkdir(root, 0700), 0);
	cr_assert_eq(mkdir(src, 0700), 0);
}

static void teardown(void)
{
	chmod(root, 0700); /* a test may have left it refused */
	unit_rm_rf(tmp);
}

TestSuite(store, .init = setup, .fini = teardown);

struct file {
	const char *name;
	size_t bytes;
	time_t mtime;
};

/* A file of bytes bytes (mode 0600), dated mtime when not 0. */
static void make_file(const char *path, size_t bytes, time_t mtime)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	char block[512];
	memset(block, 'x', sizeof block);
	for (size_t left = bytes; left > 0;) {
		size_t n = left < sizeof block ? left : sizeof block;
		cr_assert_eq(write(fd, block, n), (ssize_t)n);
		left -= n;
	}
	cr_assert_eq(close(fd), 0);
	if (mtime) {
		struct timespec t[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };
		cr_assert_eq(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
	}
}

/* The entry of source (tmp/src/<rel>, or an absolute path when rel starts
 * with '/') with files, and its record when recorded; its directory in
 * entry (PATH_MAX bytes) when not NULL. */
static void make_entry(const char *rel, bool recorded, const struct file *files, size_t n,
		       char *entry)
{
	char source[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	if (rel[0] == '/')
		unit_path(source, "%s", rel);
	else
		unit_path(source, "%s/%s", src, rel);
	layout_central_of_spelling(dir, sizeof dir, root, source, NULL);
	unit_path(path, "%s/v2", root);
	mkdir(path, 0700);
	unit_path(path, "%.*s", (int)(strrchr(dir, '/') - dir), dir);
	mkdir(path, 0700);
	cr_assert_eq(mkdir(dir, 0700), 0, "%s: %s", dir, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		unit_path(path, "%s/%s", dir, files[i].name);
		make_file(path, files[i].bytes, files[i].mtime);
	}
	if (recorded) {
		char text[PATH_MAX + 1];
		unit_path(path, "%s.src", dir);
		unit_path(text, "%s\n", source);
		unit_write_file(path, text);
	}
	if (entry)
		memcpy(entry, dir, PATH_MAX);
}

/* tmp/src/<rel>, made with its parents. */
static void make_source(const char *rel)
{
	char path[PATH_MAX];
	unit_path(path, "%s/%s", src, rel);
	for (char *p = path + strlen(src) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	cr_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
}

/* What an entry takes on disk, counted here as du counts it: its
 * directory's, its files' and its record's blocks. */
static uint64_t du_entry(const char *entry)
{
	char path[PATH_MAX + NAME_MAX + 2];
	struct stat st;
	cr_assert_eq(lstat(entry, &st), 0);
	uint64_t blocks = (uint64_t)st.st_blocks;
	unit_path(path, "%s.src", entry);
	if (lstat(path, &st) == 0)
		blocks += (uint64_t)st.st_blocks;
	DIR *d = opendir(entry);
	cr_assert(d);
	for (struct dirent *de; (de = readdir(d));) {
		unit_path(path, "%s/%s", entry, de->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			blocks += (uint64_t)st.st_blocks;
	}
	closedir(d);
	return blocks * 512;
}

/* The blocks of the shard directory an entry is in. */
static uint64_t du_shard_of(const char *entry)
{
	char shard[PATH_MAX];
	unit_path(shard, "%.*s", (int)(strrchr(entry, '/') - entry), entry);
	struct stat st;
	cr_assert_eq(lstat(shard, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static void tree_path(char *out, const char *rel)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", src, rel);
	cr_assert(n > 0 && n < PATH_MAX);
}

static struct pcr_store_stats stats_of(const char *dir)
{
	struct pcr_store_stats s;
	struct pcr_store_error e;
	cr_assert_eq(pcr_store_stats(&store, dir, &s, &e), 0, "%s: %s", e.path, strerror(e.err));
	return s;
}

static struct pcr_store_removed clear(const char *dir)
{
	struct pcr_store_removed r;
	struct pcr_store_error e;
	cr_assert_eq(pcr_store_clear(&store, dir, &r, &e), 0, "%s: %s", e.path, strerror(e.err));
	return r;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Three source directories, two trees: a, a/b, c. */
static char entry_a[PATH_MAX], entry_ab[PATH_MAX], entry_c[PATH_MAX];

static void make_three(void)
{
	make_source("a/b");
	make_source("c");
	make_entry("a", true,
		   (struct file[]){ { "m.cpython-311.pyc", 100, 1000000000 },
				    { "n.cpython-311.pyc", 2000, 1000000500 } },
		   2, entry_a);
	make_entry("a/b", true, (struct file[]){ { "m.cpython-311.pyc", 50, 1000000100 } }, 1,
		   entry_ab);
	make_entry("c", true,
		   (struct file[]){ { "x.cpython-311.pyc", 1, 1000000200 },
				    { "x.cpython-311.opt-1.pyc", 2, 1700000000 },
				    { "y.pypy39.pyc", 3, 1000000300 } },
		   3, entry_c);
}

Test(store, stats_counts_entries_files_and_bytes_exactly)
{
	make_three();
	struct pcr_store_stats s = stats_of(NULL);
	cr_assert_eq(s.entries, 3);
	cr_assert_eq(s.files, 6);
	cr_assert_eq(s.bytes, 100 + 2000 + 50 + 1 + 2 + 3);
	/* On disk: the entries' blocks, and the shards' directories. */
	uint64_t disk = du_entry(entry_a) + du_entry(entry_ab) + du_entry(entry_c);
	cr_assert_gt(disk, s.bytes);
	cr_assert_eq(s.disk, disk);
	cr_assert_geq(s.shards_disk, du_shard_of(entry_a));
	cr_assert_leq(s.shards_disk, 3 * du_shard_of(entry_a), "at most three shards");
	cr_assert_eq(s.sources, 3);
	cr_assert_eq(s.trees, 2, "a and c: a/b is inside a");
	cr_assert_eq(s.orphans, 0);
	cr_assert_eq(s.unrecorded, 0);
	cr_assert_eq(s.oldest.tv_sec, 1000000000);
	cr_assert_eq(s.newest.tv_sec, 1700000000);
}

Test(store, stats_of_a_tree_counts_only_that_tree)
{
	make_three();
	char a[PATH_MAX];
	tree_path(a, "a");
	struct pcr_store_stats s = stats_of(a);
	cr_assert_eq(s.entries, 2);
	cr_assert_eq(s.files, 3);
	cr_assert_eq(s.bytes, 2150);
	cr_assert_eq(s.disk, du_entry(entry_a) + du_entry(entry_ab));
	cr_assert_eq(s.shards_disk, 0, "a tree's: no shards");
	cr_assert_eq(s.trees, 1);
}

Test(store, missing_root_is_an_empty_cache)
{
	cr_assert_eq(rmdir(root), 0);
	struct pcr_store_stats s = stats_of(NULL);
	cr_assert_eq(s.entries + s.files + s.bytes + s.sources + s.trees, 0);
	cr_assert_eq(s.oldest.tv_sec, 0);
	struct pcr_store_removed r = clear(NULL);
	cr_assert_eq(r.entries + r.files + r.bytes, 0);
	cr_assert(!exists(root), "clear must not create the root");
}

Test(store, empty_root_and_empty_layout)
{
	cr_assert_eq(stats_of(NULL).entries, 0);
	char v1[PATH_MAX];
	unit_path(v1, "%s/v2", root);
	cr_assert_eq(mkdir(v1, 0700), 0);
	cr_assert_eq(stats_of(NULL).entries, 0);
}

Test(store, entry_without_a_record_is_neither_orphan_nor_in_any_tree)
{
	make_source("a");
	char bare[PATH_MAX];
	make_entry("a", false, (struct file[]){ { "m.cpython-311.pyc", 10, 0 } }, 1, bare);
	struct pcr_store_stats s = stats_of(NULL);
	cr_assert_eq(s.entries, 1);
	cr_assert_eq(s.files, 1);
	cr_assert_eq(s.unrecorded, 1);
	cr_assert_eq(s.orphans, 0);
	cr_assert_eq(s.sources, 0);

	char a[PATH_MAX];
	tree_path(a, "a");
	cr_assert_eq(clear(a).entries, 0);
	cr_assert_eq(clear("/").entries, 0, "even / holds no entry without a record");
	cr_assert(exists(bare), "an entry without a record was removed by a tree clear");
	struct pcr_store_removed r = clear(NULL);
	cr_assert_eq(r.entries, 1);
	cr_assert(!exists(bare));
}

/* A record whose directory no longer keys to the entry (another directory
 * at that path now, or a damaged record) makes an orphan: nothing can reach
 * the entry through that path any more. */
Test(store, record_of_another_key_is_an_orphan)
{
	make_source("a");
	make_source("b");
	char entry[PATH_MAX], record[PATH_MAX + 8], text[PATH_MAX + 1];
	make_entry("a", false, (struct file[]){ { "m.cpython-311.pyc", 10, 0 } }, 1, entry);
	unit_path(record, "%s.src", entry);
	unit_path(text, "%s/b\n", src);
	unit_write_file(record, text);
	cr_assert_eq(stats_of(NULL).unrecorded, 0);
	cr_assert_eq(stats_of(NULL).orphans, 1);
}

Test(store, malformed_records_are_no_records)
{
	make_source("a");
	const char *const texts[] = { "", "\n", "relative/a\n", "/no/newline", "/two\n/lines\n" };
	char entry[PATH_MAX], record[PATH_MAX + 8];
	make_entry("a", false, NULL, 0, entry);
	unit_path(record, "%s.src", entry);
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		unit_write_file(record, texts[i]);
		struct pcr_store_stats s = stats_of(NULL);
		cr_assert_eq(s.unrecorded, 1, "record \"%s\"", texts[i]);
	}
}

Test(store, orphan_is_an_entry_whose_source_is_gone)
{
	make_source("here");
	make_entry("here", true, (struct file[]){ { "m.cpython-311.pyc", 5, 0 } }, 1, NULL);
	make_entry("gone", true, (struct file[]){ { "m.cpython-311.pyc", 7, 0 } }, 1, NULL);
	make_entry("/nowhere/pcr-unit/pkg", true, NULL, 0, NULL);
	char file[PATH_MAX];
	unit_path(file, "%s/file", src);
	unit_write_file(file, "not a directory");
	make_entry("file", true, NULL, 0, NULL);
	struct pcr_store_stats s = stats_of(NULL);
	cr_assert_eq(s.entries, 4);
	cr_assert_eq(s.orphans, 3);

	struct pcr_store_list l;
	struct pcr_store_error e;
	cr_assert_eq(pcr_store_list(&store, NULL, &l, &e), 0);
	for (size_t i = 0; i < l.count; i++)
		cr_assert_eq(l.entries[i].source_exists,
			     strstr(l.entries[i].source, "/here") != NULL, "%s",
			     l.entries[i].source);
	pcr_store_list_free(&l);
}

Test(store, list_is_sorted_by_source_then_file_name)
{
	make_source("a/b");
	make_source("a-b");
	make_entry("a-b", true, (struct file[]){ { "z.pyc", 1, 0 } }, 1, NULL);
	make_entry("a/b", true, (struct file[]){ { "z.pyc", 1, 0 }, { "b.pyc", 2, 0 } }, 2, NULL);
	make_entry("a", true, NULL, 0, NULL);
	struct pcr_store_list l;
	struct pcr_store_error e;
	char a[PATH_MAX];
	tree_path(a, "a");
	cr_assert_eq(pcr_store_list(&store, NULL, &l, &e), 0);
	cr_assert_eq(l.count, 3);
	const char *const want[] = { "a", "a/b", "a-b" };
	for (size_t i = 0; i < 3; i++) {
		char expect[PATH_MAX], dir[PATH_MAX];
		tree_path(expect, want[i]);
		cr_assert_str_eq(l.entries[i].source, expect);
		layout_central_of_spelling(dir, sizeof dir, root, expect, NULL);
		cr_assert_str_eq(l.entries[i].path, dir);
		cr_assert(l.entries[i].recorded && l.entries[i].source_exists);
	}
	cr_assert_eq(l.entries[1].nfiles, 2);
	cr_assert_str_eq(l.entries[1].files[0].name, "b.pyc");
	cr_assert_eq(l.entries[1].files[0].bytes, 2);
	cr_assert_str_eq(l.entries[1].files[1].name, "z.pyc");
	pcr_store_list_free(&l);

	/* The tree a holds a and a/b, never a-b. */
	cr_assert_eq(pcr_store_list(&store, a, &l, &e), 0);
	cr_assert_eq(l.count, 2);
	pcr_store_list_free(&l);
}

Test(store, clear_of_a_subtree_leaves_the_others)
{
	make_three();
	make_source("ab");
	char entry_prefix[PATH_MAX];
	make_entry("ab", true, (struct file[]){ { "m.pyc", 9, 0 } }, 1, entry_prefix);
	/* Spelled with "." and trailing slashes: normalised like the library. */
	char a[PATH_MAX];
	unit_path(a, "%s/./a//", src);
	struct pcr_store_removed r = clear(a);
	cr_assert_eq(r.entries, 2);
	cr_assert_eq(r.files, 3);
	cr_assert_eq(r.bytes, 2150);
	char record[PATH_MAX + 8];
	unit_path(record, "%s.src", entry_a);
	cr_assert(!exists(entry_a) && !exists(entry_ab) && !exists(record));
	cr_assert(exists(entry_c) && exists(entry_prefix), "a clear of a took a sibling");
	struct pcr_store_stats s = stats_of(NULL);
	cr_assert_eq(s.entries, 2);
	cr_assert_eq(s.files, 4);
}

Test(store, clear_of_everything_removes_every_entry_and_record)
{
	make_three();
	struct pcr_store_removed r = clear(NULL);
	cr_assert_eq(r.entries, 3);
	cr_assert_eq(r.files, 6);
	cr_assert_eq(r.bytes, 2156);
	cr_assert_eq(stats_of(NULL).entries, 0);
	char v1[PATH_MAX];
	unit_path(v1, "%s/v2", root);
	cr_assert(exists(v1));
	/* No record is left behind without its entry. */
	char cmd[PATH_MAX + 64], out[64];
	unit_path(cmd, "find '%s' -name '*.src' | wc -l > '%s/count'", root, tmp);
	cr_assert_eq(system(cmd), 0);
	unit_path(cmd, "%s/count", tmp);
	unit_read_file(cmd, out, sizeof out);
	cr_assert_eq(atoi(out), 0);
}

Test(store, relative_tree_is_refused)
{
	struct pcr_store_removed r;
	struct pcr_store_error e;
	cr_assert_eq(pcr_store_clear(&store, "src/a", &r, &e), -1);
	cr_assert_eq(e.err, EINVAL);
}

/* ---- races ---- */

struct vanish {
	size_t visits;
	char *keep; /* the entry visited first */
};

static int remove_the_others(const struct pcr_store_entry *entry, void *arg)
{
	struct vanish *v = arg;
	if (v->visits++ == 0) {
		/* Another process clears the rest of the cache meanwhile: rename
		 * this entry away, remove the layout, and bring it back. */
		char v1[PATH_MAX], aside[PATH_MAX];
		unit_path(v1, "%s/v2", root);
		unit_path(aside, "%s/aside", tmp);
		cr_assert_eq(rename(entry->path, aside), 0);
		unit_rm_rf(v1);
		cr_assert_eq(mkdir(v1, 0700), 0);
		v->keep = strdup(entry->key);
	}
	return 0;
}

Test(store, entries_vanishing_during_a_walk_are_no_error)
{
	make_source("p");
	char name[32];
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof name, "p/%d", i);
		make_source(name);
		make_entry(name, true, (struct file[]){ { "m.pyc", 1, 0 }, { "n.pyc", 2, 0 } }, 2,
			   NULL);
	}
	struct vanish v = { 0 };
	struct pcr_store_error e;
	cr_assert_eq(pcr_store_walk(&store, NULL, remove_the_others, &v, &e), 0, "%s: %s", e.path,
		     strerror(e.err));
	cr_assert_geq(v.visits, 1);
	cr_assert_lt(v.visits, 200, "visited entries that were gone");
	free(v.keep);
	cr_assert_eq(stats_of(NULL).entries, 0);
	cr_assert_eq(clear(NULL).entries, 0);
}

/* ---- symlinks ---- */

/* An outside directory with one file, the link target a clear must spare. */
static void make_target(char *dir, char *file)
{
	int n = snprintf(dir, PATH_MAX, "%s/outside", tmp);
	cr_assert(n > 0 && n < PATH_MAX);
	n = snprintf(file, PATH_MAX, "%s/outside/precious.pyc", tmp);
	cr_assert(n > 0 && n < PATH_MAX);
	cr_assert_eq(mkdir(dir, 0700), 0);
	make_file(file, 4321, 0);
}

Test(store, symlink_inside_an_entry_is_never_followed)
{
	make_source("a");
	char entry[PATH_MAX], link[PATH_MAX + 16], dlink[PATH_MAX + 16];
	char target[PATH_MAX], file[PATH_MAX];
	make_target(target, file);
	make_entry("a", true, (struct file[]){ { "m.pyc", 10, 0 } }, 1, entry);
	unit_path(link, "%s/evil.pyc", entry);
	unit_path(dlink, "%s/evil-dir", entry);
	cr_assert_eq(symlink(file, link), 0);
	cr_assert_eq(symlink(target, dlink), 0);

	struct pcr_store_stats s = stats_of(NULL);
	cr_assert_eq(s.files, 1, "a symlink counted as a file");
	cr_assert_eq(s.bytes, 10, "the link's target was measured");
	struct pcr_store_removed r = clear(NULL);
	cr_assert_eq(r.entries, 1);
	cr_assert(!exists(entry));
	cr_assert(exists(file), "the target of a link in an entry was removed");
	cr_assert_eq(unit_mode(target), 0700);
}

Test(store, symlink_in_place_of_an_entry_or_a_shard_is_never_followed)
{
	char target[PATH_MAX], file[PATH_MAX], dir[PATH_MAX], shard_link[PATH_MAX];
	make_target(target, file);
	/* A key-named link in a real shard, and a link as a whole shard. */
	layout_central_of_spelling(dir, sizeof dir, root, "/somewhere", NULL);
	char shard[PATH_MAX], v1[PATH_MAX];
	unit_path(v1, "%s/v2", root);
	unit_path(shard, "%.*s", (int)(strrchr(dir, '/') - dir), dir);
	cr_assert_eq(mkdir(v1, 0700), 0);
	cr_assert_eq(mkdir(shard, 0700), 0);
	cr_assert_eq(symlink(target, dir), 0);
	char record[PATH_MAX + 8];
	unit_path(record, "%s.src", dir);
	unit_write_file(record, "/somewhere\n");
	/* A shard that is a link to a directory laid out like a shard. */
	const char *other = strcmp(shard + strlen(shard) - 2, "ff") ? "ff" : "fe";
	unit_path(shard_link, "%s/%s", v1, other);
	cr_assert_eq(symlink(target, shard_link), 0);

	struct pcr_store_stats s = stats_of(NULL);
	cr_assert_eq(s.entries, 0);
	clear(NULL);
	clear("/somewhere");
	cr_assert(exists(file), "the target of a link in place of an entry was removed");
}

Test(store, symlink_as_the_layout_directory_is_refused)
{
	char target[PATH_MAX], file[PATH_MAX], v1[PATH_MAX];
	make_target(target, file);
	unit_path(v1, "%s/v2", root);
	cr_assert_eq(symlink(target, v1), 0);
	struct pcr_store_removed r;
	struct pcr_store_error e;
	cr_assert_eq(pcr_store_clear(&store, NULL, &r, &e), -1);
	cr_assert(e.err == ELOOP || e.err == ENOTDIR, "%s", strerror(e.err));
	cr_assert(exists(file));
}

/* ---- prune ---- */

/* Dates the entry directory: its last use. */
static void set_used(const char *entry, time_t t)
{
	struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };
	cr_assert_eq(utimensat(AT_FDCWD, entry, ts, AT_SYMLINK_NOFOLLOW), 0, "%s: %s", entry,
		     strerror(errno));
}

struct reported {
	size_t count;
	char keys[16][PCR_KEY_HEX + 1];
	enum pcr_prune_reason why[16];
};

static int record_report(const struct pcr_store_entry *entry, enum pcr_prune_reason why, void *arg)
{
	struct reported *rep = arg;
	cr_assert_lt(rep->count, 16);
	memcpy(rep->keys[rep->count], entry->key, PCR_KEY_HEX + 1);
	rep->why[rep->count++] = why;
	return 0;
}

static struct pcr_store_removed prune(struct pcr_prune_rules rules, struct reported *rep)
{
	struct pcr_store_removed r;
	struct pcr_store_error e;
	cr_assert_eq(pcr_store_prune(&store, &rules, &r, rep ? record_report : NULL, rep, &e), 0,
		     "%s: %s", e.path, strerror(e.err));
	return r;
}

/* The key of an entry directory: its last component. */
static const char *key_of(const char *entry) { return strrchr(entry, '/') + 1; }

/* Four entries used at 1000, 2000, 3000 and 4000 of 100, 200, 400 and 800
 * bytes (two files each but the last): live a, b, c; gone, an orphan. */
static char e_a[PATH_MAX], e_b[PATH_MAX], e_c[PATH_MAX], e_gone[PATH_MAX];

static void make_four(void)
{
	make_source("a");
	make_source("b");
	make_source("c");
	make_entry("gone", true, (struct file[]){ { "m.pyc", 60, 0 }, { "n.pyc", 40, 0 } }, 2,
		   e_gone);
	make_entry("a", true, (struct file[]){ { "m.pyc", 150, 0 }, { "n.pyc", 50, 0 } }, 2, e_a);
	make_entry("b", true, (struct file[]){ { "m.pyc", 300, 0 }, { "n.pyc", 100, 0 } }, 2, e_b);
	make_entry("c", true, (struct file[]){ { "m.pyc", 800, 0 } }, 1, e_c);
	set_used(e_gone, 1000);
	set_used(e_a, 2000);
	set_used(e_b, 3000);
	set_used(e_c, 4000);
}

static bool recorded_exists(const char *entry)
{
	char record[PATH_MAX + 8];
	unit_path(record, "%s.src", entry);
	return exists(record);
}

Test(store, prune_orphans_removes_only_orphans)
{
	make_four();
	struct reported rep = { 0 };
	struct pcr_store_removed r = prune((struct pcr_prune_rules){ .orphans = true }, &rep);
	cr_assert_eq(r.entries, 1);
	cr_assert_eq(r.files, 2);
	cr_assert_eq(r.bytes, 100);
	cr_assert(!exists(e_gone) && !recorded_exists(e_gone));
	cr_assert(exists(e_a) && exists(e_b) && exists(e_c));
	cr_assert(recorded_exists(e_a) && recorded_exists(e_b) && recorded_exists(e_c));
	cr_assert_eq(rep.count, 1);
	cr_assert_str_eq(rep.keys[0], key_of(e_gone));
	cr_assert_eq(rep.why[0], PCR_PRUNE_ORPHAN);
	cr_assert_eq(stats_of(NULL).orphans, 0);
}

Test(store, prune_older_than_keeps_the_recent)
{
	make_four();
	struct pcr_prune_rules rules = { .by_age = true, .used_before = { .tv_sec = 3000 } };
	struct pcr_store_removed r = prune(rules, NULL);
	cr_assert_eq(r.entries, 2, "gone (1000) and a (2000); b is used at the limit");
	cr_assert_eq(r.files, 4);
	cr_assert_eq(r.bytes, 300);
	cr_assert(!exists(e_gone) && !exists(e_a));
	cr_assert(exists(e_b) && exists(e_c));
}

Test(store, prune_max_size_removes_least_recently_used_until_under)
{
	make_four(); /* 1500 bytes: 100, 200, 400, 800 by age */
	uint64_t gone = du_entry(e_gone), a = du_entry(e_a), b = du_entry(e_b), c = du_entry(e_c);
	cr_assert_gt(gone, 100, "the limit counts blocks, not the pycs' bytes");
	struct reported rep = { 0 };
	struct pcr_store_removed r =
	    prune((struct pcr_prune_rules){ .by_size = true, .max_bytes = b + c }, &rep);
	/* Over b + c until gone and a went: two go, exactly. */
	cr_assert_eq(r.entries, 2);
	cr_assert_eq(r.files, 4);
	cr_assert_eq(r.bytes, 300);
	cr_assert_eq(r.disk, gone + a);
	cr_assert_eq(r.left_disk, b + c);
	cr_assert_eq(rep.count, 2);
	cr_assert_str_eq(rep.keys[0], key_of(e_gone), "the least recently used first");
	cr_assert_str_eq(rep.keys[1], key_of(e_a));
	cr_assert_eq(rep.why[0], PCR_PRUNE_OVER_SIZE);
	cr_assert(exists(e_b) && exists(e_c));
	cr_assert_eq(stats_of(NULL).bytes, 1200);

	/* One byte under: the next one, b, goes too. */
	r = prune((struct pcr_prune_rules){ .by_size = true, .max_bytes = b + c - 1 }, NULL);
	cr_assert_eq(r.entries, 1);
	cr_assert_eq(r.bytes, 400);
	cr_assert(!exists(e_b) && exists(e_c));
	/* At or over the total: nothing. */
	r = prune((struct pcr_prune_rules){ .by_size = true, .max_bytes = c }, NULL);
	cr_assert_eq(r.entries, 0);
	r = prune((struct pcr_prune_rules){ .by_size = true, .max_bytes = 0 }, NULL);
	cr_assert_eq(r.entries, 1);
	cr_assert_eq(stats_of(NULL).entries, 0);
}

Test(store, prune_rules_apply_in_order_orphans_age_size)
{
	make_four();
	struct reported rep = { 0 };
	struct pcr_prune_rules rules = { .orphans = true,
					 .by_age = true,
					 .used_before = { .tv_sec = 2500 },
					 .by_size = true,
					 .max_bytes = du_entry(e_b) + du_entry(e_c) - 1 };
	struct pcr_store_removed r = prune(rules, &rep);
	/* gone as an orphan, a as old, then b and c are over: b. */
	cr_assert_eq(r.entries, 3);
	cr_assert_eq(r.bytes, 700);
	cr_assert_eq(rep.count, 3);
	size_t orphan = 0, old = 0, size = 0;
	for (size_t i = 0; i < rep.count; i++) {
		orphan += rep.why[i] == PCR_PRUNE_ORPHAN && !strcmp(rep.keys[i], key_of(e_gone));
		old += rep.why[i] == PCR_PRUNE_OLD && !strcmp(rep.keys[i], key_of(e_a));
		size += rep.why[i] == PCR_PRUNE_OVER_SIZE && !strcmp(rep.keys[i], key_of(e_b));
	}
	cr_assert_eq(orphan + old + size, 3);
	cr_assert_str_eq(rep.keys[2], key_of(e_b), "the size rule comes last");
	cr_assert(exists(e_c));
}

Test(store, prune_dry_run_removes_nothing_and_reports_exactly_the_set)
{
	make_four();
	struct reported rep = { 0 };
	struct pcr_prune_rules rules = {
		.orphans = true, .by_size = true, .max_bytes = du_entry(e_c), .dry_run = true
	};
	struct pcr_store_removed r = prune(rules, &rep);
	/* gone as an orphan; then a and b, down to c. */
	cr_assert_eq(r.entries, 3);
	cr_assert_eq(r.files, 6);
	cr_assert_eq(r.bytes, 700);
	cr_assert_eq(rep.count, 3);
	cr_assert_str_eq(rep.keys[0], key_of(e_gone));
	cr_assert_eq(rep.why[0], PCR_PRUNE_ORPHAN);
	cr_assert_str_eq(rep.keys[1], key_of(e_a));
	cr_assert_str_eq(rep.keys[2], key_of(e_b));
	cr_assert_eq(rep.why[2], PCR_PRUNE_OVER_SIZE);
	struct pcr_store_stats s = stats_of(NULL);
	cr_assert_eq(s.entries, 4, "a dry run removed something");
	cr_assert_eq(s.bytes, 1500);
	cr_assert(recorded_exists(e_gone));

	/* The real run removes exactly what the dry run said. */
	struct reported real = { 0 };
	rules.dry_run = false;
	struct pcr_store_removed done = prune(rules, &real);
	cr_assert_eq(done.entries, r.entries);
	cr_assert_eq(done.files, r.files);
	cr_assert_eq(done.bytes, r.bytes);
	cr_assert_eq(real.count, rep.count);
	for (size_t i = 0; i < rep.count; i++)
		cr_assert_str_eq(real.keys[i], rep.keys[i]);
	cr_assert(exists(e_c) && !exists(e_a) && !exists(e_b) && !exists(e_gone));
}

Test(store, prune_never_orphans_an_unrecorded_entry_but_ages_and_sizes_it)
{
	char bare[PATH_MAX];
	make_entry("gone", false, (struct file[]){ { "m.pyc", 10, 0 } }, 1, bare);
	set_used(bare, 1000);
	cr_assert_eq(prune((struct pcr_prune_rules){ .orphans = true }, NULL).entries, 0);
	cr_assert(exists(bare));
	struct pcr_prune_rules old = { .by_age = true, .used_before = { .tv_sec = 500 } };
	cr_assert_eq(prune(old, NULL).entries, 0);
	old.used_before.tv_sec = 1001;
	cr_assert_eq(prune(old, NULL).entries, 1);
	cr_assert(!exists(bare));

	make_entry("gone", false, (struct file[]){ { "m.pyc", 10, 0 } }, 1, bare);
	struct pcr_store_removed r =
	    prune((struct pcr_prune_rules){ .by_size = true, .max_bytes = 9 }, NULL);
	cr_assert_eq(r.entries, 1);
	cr_assert_eq(r.bytes, 10);
}

Test(store, prune_never_follows_a_symlink)
{
	char target[PATH_MAX], file[PATH_MAX], link[PATH_MAX + 16], dlink[PATH_MAX + 16];
	make_target(target, file);
	make_four();
	/* Links inside the oldest entry, and a link in place of an entry. */
	unit_path(link, "%s/evil.pyc", e_gone);
	unit_path(dlink, "%s/evil-dir", e_a);
	cr_assert_eq(symlink(file, link), 0);
	cr_assert_eq(symlink(target, dlink), 0);
	set_used(e_gone, 1000);
	set_used(e_a, 2000);
	char fake[PATH_MAX], record[PATH_MAX + 8];
	layout_central_of_spelling(fake, sizeof fake, root, "/pcr-unit-nowhere", NULL);
	char shard[PATH_MAX];
	unit_path(shard, "%.*s", (int)(strrchr(fake, '/') - fake), fake);
	mkdir(shard, 0700);
	cr_assert_eq(symlink(target, fake), 0);
	unit_path(record, "%s.src", fake);
	unit_write_file(record, "/pcr-unit-nowhere\n");

	struct pcr_prune_rules rules = { .orphans = true,
					 .by_age = true,
					 .used_before = { .tv_sec = INT32_MAX },
					 .by_size = true };
	struct pcr_store_removed r = prune(rules, NULL);
	cr_assert_eq(r.entries, 4);
	cr_assert_eq(r.bytes, 1500, "a link's target was measured");
	cr_assert(exists(file), "the target of a link was removed");
	cr_assert_eq(unit_mode(target), 0700);
	cr_assert(exists(fake), "a link in place of an entry was taken for one");
}

Test(store, prune_of_a_missing_root_is_nothing_and_a_refused_root_is_refused)
{
	cr_assert_eq(rmdir(root), 0);
	struct pcr_prune_rules all = { .orphans = true, .by_size = true };
	cr_assert_eq(prune(all, NULL).entries, 0);
	cr_assert(!exists(root), "prune must not create the root");
	cr_assert_eq(mkdir(root, 0700), 0);
	make_four();
	cr_assert_eq(chmod(root, 0770), 0);
	struct pcr_store_removed r;
	struct pcr_store_error e;
	cr_assert_eq(pcr_store_prune(&store, &all, &r, NULL, NULL, &e), -1);
	cr_assert_eq(e.root, PCR_ROOT_UNSAFE_MODE);
	cr_assert_eq(r.entries, 0);
	cr_assert(exists(e_gone) && exists(e_a));
}

/* ---- refused roots ---- */

static void check_refused(enum pcr_root_status want)
{
	struct pcr_store_error e;
	struct pcr_store_stats s;
	struct pcr_store_list l;
	struct pcr_store_removed r;
	cr_assert_eq(pcr_store_stats(&store, NULL, &s, &e), -1);
	cr_assert_eq(e.root, want, "%s", pcr_root_status_str(e.root));
	cr_assert_str_eq(e.path, root);
	cr_assert_eq(pcr_store_list(&store, NULL, &l, &e), -1);
	pcr_store_list_free(&l);
	cr_assert_eq(e.root, want);
	cr_assert_eq(pcr_store_clear(&store, NULL, &r, &e), -1);
	cr_assert_eq(e.root, want);
	cr_assert_eq(r.entries, 0);
}

Test(store, root_writable_by_others_is_refused_and_untouched)
{
	make_three();
	cr_assert_eq(chmod(root, 0770), 0);
	check_refused(PCR_ROOT_UNSAFE_MODE);
	cr_assert(exists(entry_a) && exists(entry_c));
}

Test(store, root_that_is_a_symlink_is_refused_and_untouched)
{
	make_three();
	char real[PATH_MAX];
	unit_path(real, "%s/real-cache", tmp);
	cr_assert_eq(rename(root, real), 0);
	cr_assert_eq(symlink(real, root), 0);
	check_refused(PCR_ROOT_SYMLINK);
	char moved[PATH_MAX + 64];
	unit_path(moved, "%s%s", real, entry_a + strlen(root));
	cr_assert(exists(moved));
}

/* ---- paths ---- */

Test(store_paths, a_tree_sorts_before_its_siblings)
{
	cr_assert_lt(pcr_store_path_cmp("/a/b", "/a/b/c"), 0);
	cr_assert_lt(pcr_store_path_cmp("/a/b/c", "/a/b-c"), 0);
	cr_assert_lt(pcr_store_path_cmp("/a/b", "/a/b-c"), 0);
	cr_assert_gt(pcr_store_path_cmp("/a/c", "/a/b/zzz"), 0);
	cr_assert_eq(pcr_store_path_cmp("/a", "/a"), 0);
}

Test(store_paths, within_means_equal_or_below)
{
	cr_assert(pcr_store_within("/a/b", "/a/b", 4));
	cr_assert(pcr_store_within("/a/b/c", "/a/b", 4));
	cr_assert(!pcr_store_within("/a/bc", "/a/b", 4));
	cr_assert(!pcr_store_within("/a", "/a/b", 4));
	cr_assert(pcr_store_within("/x", "/", 1));
}

/* ---- what a prune leaves, the sweep of crashed writers' leftovers ---- */

Test(store, prune_says_what_is_left)
{
	make_four(); /* 1500 bytes, 100 of them the orphan's */
	uint64_t a = du_entry(e_a), b = du_entry(e_b), c = du_entry(e_c);
	struct pcr_store_removed r = prune((struct pcr_prune_rules){ .orphans = true }, NULL);
	cr_assert_eq(r.left_disk, a + b + c);
	struct pcr_prune_rules rules = { .by_size = true, .max_bytes = c, .dry_run = true };
	r = prune(rules, NULL);
	cr_assert_eq(r.left_disk, c, "a dry run: what would stay");
	rules.dry_run = false;
	r = prune(rules, NULL);
	cr_assert_eq(r.left_disk, c);
	cr_assert_eq(stats_of(NULL).bytes, 800);
}

/* A file dated age seconds ago. */
static void make_dated(const char *path, time_t age) { make_file(path, 10, time(NULL) - age); }

Test(store, prune_and_clear_sweep_stale_temporaries_only)
{
	make_four();
	char stale_rec[PATH_MAX + 32], fresh_rec[PATH_MAX + 32], stale_pyc[PATH_MAX + 64],
	    fresh_pyc[PATH_MAX + 64], other[PATH_MAX + 64], stale_ours[3][PATH_MAX + 64];
	/* Ours (core/atomic.h): a record's and a pyc's, and an emulated move's
	 * from before that scheme. */
	unit_path(stale_ours[0], "%s.src.pcr-tmp.4242", e_c);
	unit_path(stale_ours[1], "%s/m.cpython-311.pyc.pcr-tmp.4242", e_c);
	unit_path(stale_ours[2], "%s/m.cpython-311.pyc.pcr-move.4242", e_c);
	for (int i = 0; i < 3; i++)
		make_dated(stale_ours[i], PCR_STORE_STALE_AFTER + 60);
	unit_path(stale_rec, "%s.src.4242", e_c);
	unit_path(fresh_rec, "%s.src.4343", e_c);
	unit_path(stale_pyc, "%s/m.cpython-311.pyc.140234", e_c);
	unit_path(fresh_pyc, "%s/n.cpython-311.pyc.140235", e_c);
	unit_path(other, "%s/notes.txt.1", e_c); /* not a writer's temporary */
	make_dated(stale_rec, PCR_STORE_STALE_AFTER + 60);
	make_dated(fresh_rec, 60);
	make_dated(stale_pyc, PCR_STORE_STALE_AFTER + 60);
	make_dated(fresh_pyc, 60);
	make_dated(other, PCR_STORE_STALE_AFTER + 60);

	/* A dry run and a stats sweep nothing. */
	prune((struct pcr_prune_rules){ .orphans = true, .dry_run = true }, NULL);
	stats_of(NULL);
	cr_assert(exists(stale_rec) && exists(stale_pyc));

	prune((struct pcr_prune_rules){ .orphans = true }, NULL);
	cr_assert(!exists(stale_rec), "a crashed writer's record temporary goes");
	cr_assert(!exists(stale_pyc), "a crashed writer's pyc temporary goes");
	for (int i = 0; i < 3; i++)
		cr_assert(!exists(stale_ours[i]), "%s stays", stale_ours[i]);
	cr_assert(exists(fresh_rec) && exists(fresh_pyc), "a live writer's stay");
	cr_assert(exists(other) && exists(e_c));
	cr_assert(recorded_exists(e_c));

	/* A clear, even of a tree with no entries, sweeps too. */
	make_dated(stale_rec, PCR_STORE_STALE_AFTER + 60);
	cr_assert_eq(clear("/no/such/tree").entries, 0);
	cr_assert(!exists(stale_rec) && exists(fresh_rec));
}

/* The shard directory <root>/v2/<k0k1> of an entry. */
static void shard_of(char out[PATH_MAX], const char *entry)
{
	int n = snprintf(out, PATH_MAX, "%.*s", (int)(strrchr(entry, '/') - entry), entry);
	cr_assert(n > 0 && n < PATH_MAX);
}

Test(store, removals_take_the_shards_they_empty)
{
	make_four();
	char shards[4][PATH_MAX];
	const char *entries[] = { e_gone, e_a, e_b, e_c };
	for (size_t i = 0; i < 4; i++)
		shard_of(shards[i], entries[i]);
	prune((struct pcr_prune_rules){ .orphans = true, .dry_run = true }, NULL);
	cr_assert(exists(shards[0]), "a dry run removes nothing");
	prune((struct pcr_prune_rules){ .orphans = true }, NULL);
	bool shared = false; /* a shard that still holds another entry stays */
	for (size_t i = 1; i < 4; i++)
		shared = shared || strcmp(shards[0], shards[i]) == 0;
	cr_assert_eq(exists(shards[0]), shared);
	prune((struct pcr_prune_rules){ .by_size = true, .max_bytes = 0 }, NULL);
	for (size_t i = 0; i < 4; i++)
		cr_assert(!exists(shards[i]), "%s", shards[i]);
	char v1[PATH_MAX];
	unit_path(v1, "%s/v2", root);
	cr_assert(exists(v1), "the layout directory stays");
	make_four();
	clear(NULL);
	for (size_t i = 0; i < 4; i++)
		cr_assert(!exists(shards[i]), "%s", shards[i]);
}

/* ---- the library's growth counter ---- */

Test(store, usage_counter_reset_and_estimate)
{
	char usage[PATH_MAX];
	unit_path(usage, "%s/v2/usage", root);
	cr_assert_eq(pcr_store_counter_estimate(root), 0, "no counter: no estimate");
	cr_assert_eq(pcr_store_counter_reset(root, 5000), 0, "no v2: nothing to do");
	cr_assert(!exists(usage));

	make_four();
	cr_assert_eq(pcr_store_counter_reset(root, 5000), 0);
	struct stat st;
	cr_assert_eq(lstat(usage, &st), 0);
	cr_assert_eq(st.st_size, 5, "5000 bytes: 5 units of 1 KiB, rounded up");
	cr_assert_eq(st.st_blocks, 0, "holes only");
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(pcr_store_counter_estimate(root), 5 * 1024);

	/* What the library appends is added; a reset starts from the truth. */
	int fd = open(usage, O_WRONLY | O_APPEND);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "\0\0\0", 3), 3);
	close(fd);
	cr_assert_eq(pcr_store_counter_estimate(root), 8 * 1024);
	cr_assert_eq(pcr_store_counter_reset(root, 0), 0);
	cr_assert_eq(pcr_store_counter_estimate(root), 0);

	/* The walks take the counter for what it is: not an entry. */
	cr_assert_eq(stats_of(NULL).entries, 4);

	/* A symlink in its place is never followed. */
	char target[PATH_MAX];
	unit_path(target, "%s/elsewhere", tmp);
	make_file(target, 2048, 0);
	cr_assert_eq(unlink(usage), 0);
	cr_assert_eq(symlink(target, usage), 0);
	cr_assert_eq(pcr_store_counter_estimate(root), 0);
	cr_assert_eq(pcr_store_counter_reset(root, 0), -1);
	cr_assert_eq(lstat(target, &st), 0);
	cr_assert_eq(st.st_size, 2048);
}

static void count_progress(size_t entries, void *arg)
{
	size_t *seen = arg;
	cr_assert_eq(entries, *seen + 1, "one call per entry, counting up");
	*seen = entries;
}

Test(store, progress_is_called_once_per_entry)
{
	make_four();
	size_t seen = 0;
	store.progress = count_progress;
	store.progress_arg = &seen;
	stats_of(NULL);
	cr_assert_eq(seen, 4);
	seen = 0;
	stats_of(NULL);
	cr_assert_eq(seen, 4, "each call counts from its start");
	store.progress = NULL;
	seen = 0;
	stats_of(NULL);
	cr_assert_eq(seen, 0, "off again");
}

Test(store, removals_sweep_records_whose_entry_is_gone)
{
	make_four();
	char record[PATH_MAX + 8];
	unit_path(record, "%s.src", e_c);
	unit_rm_rf(e_c); /* the race's outcome: the entry gone, its record left */
	cr_assert(exists(record));
	prune((struct pcr_prune_rules){ .orphans = true, .dry_run = true }, NULL);
	stats_of(NULL);
	cr_assert(exists(record), "a dry run and a stats remove nothing");
	prune((struct pcr_prune_rules){ .orphans = true }, NULL);
	cr_assert(!exists(record));
	cr_assert(recorded_exists(e_a) && recorded_exists(e_b), "records with entries stay");
}

/* ---- the library's counts: read, folded, zeroed ---- */

static void append_records(const char *name, uint64_t hits, size_t count)
{
	char path[PATH_MAX + 32];
	unit_path(path, "%s/v2", root);
	mkdir(path, 0700);
	unit_path(path, "%s/v2/%s", root, name);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	cr_assert(fd >= 0);
	unsigned char record[PCR_STATS_RECORD];
	uint64_t n[PCR_STAT_COUNT] = { hits, 1, 0, 0 };
	pcr_stats_encode(n, record);
	for (size_t i = 0; i < count; i++)
		cr_assert_eq(write(fd, record, sizeof record), (ssize_t)sizeof record);
	close(fd);
}

static uint64_t hits_read(uint64_t *misses)
{
	uint64_t n[PCR_STAT_COUNT];
	cr_assert_eq(pcr_store_counts_read(root, n), 0);
	*misses = n[PCR_STAT_MISS];
	return n[PCR_STAT_HIT];
}

static off_t size_in_layout(const char *name)
{
	char path[PATH_MAX + 32];
	unit_path(path, "%s/v2/%s", root, name);
	struct stat st;
	return lstat(path, &st) == 0 ? st.st_size : -1;
}

Test(store, counts_fold_into_one_record_and_keep_their_sum)
{
	append_records("stats", 3, 100);
	uint64_t misses;
	cr_assert_eq(hits_read(&misses), 300);
	/* Under the threshold: left as it is. */
	cr_assert_eq(pcr_store_counts_fold(root, 100 * PCR_STATS_RECORD + 1, 0), 0);
	cr_assert_eq(size_in_layout("stats"), 100 * PCR_STATS_RECORD);
	cr_assert_eq(pcr_store_counts_fold(root, 100 * PCR_STATS_RECORD, 0), 0);
	cr_assert_eq(size_in_layout("stats"), -1, "the records went into the total");
	cr_assert_eq(size_in_layout("stats.batch"), -1);
	cr_assert_eq(size_in_layout("stats.total"), PCR_STATS_RECORD);
	cr_assert_eq(hits_read(&misses), 300);
	cr_assert_eq(misses, 100);
	/* The library appends again; a second fold adds to the total. */
	append_records("stats", 1, 5);
	cr_assert_eq(hits_read(&misses), 305);
	cr_assert_eq(pcr_store_counts_fold(root, 1, 0), 0);
	cr_assert_eq(size_in_layout("stats.total"), PCR_STATS_RECORD);
	cr_assert_eq(hits_read(&misses), 305);
	cr_assert_eq(misses, 105);
}

Test(store, a_batch_a_fold_left_is_counted_then_folded)
{
	/* A fold that stopped after its rename: the batch is counted, once. */
	append_records("stats.total", 10, 1);
	append_records("stats.batch", 2, 4);
	append_records("stats", 1, 3);
	uint64_t misses;
	cr_assert_eq(hits_read(&misses), 21);
	cr_assert_eq(pcr_store_counts_fold(root, UINT64_MAX, 0), 0);
	cr_assert_eq(size_in_layout("stats.batch"), -1, "the batch left is folded first");
	cr_assert_eq(size_in_layout("stats"), 3 * PCR_STATS_RECORD, "stats waits its turn");
	cr_assert_eq(hits_read(&misses), 21);
	cr_assert_eq(misses, 8);
	cr_assert_eq(pcr_store_counts_zero(root), 0);
	cr_assert_eq(hits_read(&misses), 0);
	cr_assert_eq(misses, 0);
	cr_assert_eq(size_in_layout("stats.total"), -1);
	cr_assert_eq(size_in_layout("stats"), 0);
}
