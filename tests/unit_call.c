/* The call state machine (preload/call.c) with the preload's logic around it
 * (seen.c, counter.c, trust.c, dirkey.c, move.c), without an interpreter and without
 * interposition: the test links them with its own pcr_fs_real (libc's calls
 * on a temporary directory, counted, with faults it can switch on) and the
 * few state functions they need, and drives each call as a generated hook
 * does, recording every path the "real" call was given. */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/vfs.h>

#include "core/fs.h"
#include "core/entry.h"
#include "core/ident.h"
#include "preload/call.h"
#include "preload/dirkey.h"
#include "preload/state.h"

/* ---- the state the logic reads (preload/state.c in the library) ---- */

struct pcr_config pcr_cfg;
int pcr_active = PCR_ACTIVE_ON;
unsigned long pcr_euid;
static char root[PATH_MAX];

const char *pcr_root(size_t *len)
{
	*len = strlen(root);
	return root;
}

/* No record of the counts at exit (preload/stats.c): the roots are gone. */
bool pcr_root_usable(void) { return false; }

/* The root on a read-only mount (core/root.h), as a test sets it. */
static bool read_only;
bool pcr_root_read_only(void) { return read_only; }

void pcr_log(enum pcr_log_level level, const char *const *parts, int n)
{
	(void)level, (void)parts, (void)n;
}

/* ---- the seam: libc, counted, with faults ---- */

static struct {
	int lstat;
	int handles; /* name_to_handle_at */
	int statfs;
	bool full; /* statfs says no block is left */
} fs;

static int f_lstat(const char *p, struct stat *st)
{
	fs.lstat++;
	return lstat(p, st);
}

static int f_open(const char *p, int flags, mode_t mode) { return open(p, flags, mode); }

static int f_openat(int d, const char *p, int flags, mode_t mode)
{
	return openat(d, p, flags, mode);
}

static int f_handle(int d, const char *p, struct file_handle *h, int *mnt, int flags)
{
	fs.handles++;
	return name_to_handle_at(d, p, h, mnt, flags);
}

static int f_statfs(const char *p, struct statfs *b)
{
	fs.statfs++;
	int r = statfs(p, b);
	if (r == 0 && fs.full)
		b->f_bavail = b->f_bfree = 0;
	return r;
}

const struct pcr_fs pcr_fs_real = {
	.lstat = f_lstat,
	.stat = stat,
	.mkdir = mkdir,
	.open = f_open,
	.rename = rename,
	.unlink = unlink,
	.access = access,
	.readlink = readlink,
	.name_to_handle_at = f_handle,
	.statfs = f_statfs,
	.statx = statx,
	.fstatat = fstatat,
	.openat = f_openat,
	.unlinkat = unlinkat,
	.renameat = renameat,
	.linkat = linkat,
	.utimensat = utimensat,
	.getcwd = getcwd,
};

/* ---- a tree and a cache ---- */

static char dir[PATH_MAX], tree[PATH_MAX + 8];

static void setup(void)
{
	unit_mkdtemp(dir, sizeof dir);
	unit_path(tree, "%s/src", dir);
	unit_path(root, "%s/cache", dir);
	cr_assert(mkdir(tree, 0755) == 0 && mkdir(root, 0700) == 0);
	char pkg[PATH_MAX + 16];
	unit_path(pkg, "%s/pkg", tree);
	cr_assert(mkdir(pkg, 0755) == 0);
	pcr_euid = (unsigned long)geteuid();
}

static void teardown(void) { unit_rm_rf(dir); }

TestSuite(call, .init = setup, .fini = teardown);

/* In the tree: "<tree>/<rel>". */
static const char *in_tree(const char *rel)
{
	static char paths[8][PATH_MAX + 64];
	static int next;
	char *p = paths[next++ % 8];
	int n = snprintf(p, sizeof paths[0], "%s/%s", tree, rel);
	cr_assert(n > 0 && (size_t)n < sizeof paths[0]);
	return p;
}

/* Every path the real call was given, each as "central" (under the root),
 * or as the path itself, one a line. */
static char tried[4096];

static void note(const char *P)
{
	size_t n = strlen(tried);
	bool central = strncmp(P, root, strlen(root)) == 0 && P[strlen(root)] == '/';
	snprintf(tried + n, sizeof tried - n, "%s\n", central ? "central" : P);
}

/* A hook's loop (preload/hooks.c) for stat, open, mkdir and rename. */
static int do_stat(const char *path)
{
	struct pcr_call c;
	const char *P;
	struct stat st;
	int r = -1;
	tried[0] = '\0';
	for (bool go = pcr_call_begin(&c, "stat", AT_FDCWD, path, PCR_READS, &P); go;
	     go = pcr_call_next(&c, r == -1, &P)) {
		note(P);
		r = stat(P, &st);
	}
	return r;
}

static int do_create(const char *path, const char *text)
{
	struct pcr_call c;
	const char *P;
	int flags = O_WRONLY | O_CREAT | O_TRUNC, fd = -1;
	tried[0] = '\0';
	for (bool go = pcr_call_begin(&c, "open", AT_FDCWD, path, pcr_open_op(flags), &P); go;
	     go = pcr_call_next(&c, fd == -1, &P)) {
		note(P);
		fd = open(P, pcr_flags(&c, flags), 0644);
	}
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	return 0;
}

static int do_mkdir(const char *path)
{
	struct pcr_call c;
	const char *P;
	int r = -1;
	tried[0] = '\0';
	for (bool go = pcr_call_begin(&c, "mkdir", AT_FDCWD, path, PCR_CREATES | PCR_MAKES_DIR, &P);
	     go; go = pcr_call_next(&c, r == -1, &P)) {
		note(P);
		r = mkdir(P, pcr_dir_mode(&c, 0755));
	}
	return r;
}

static int do_chmod(const char *path, mode_t mode)
{
	struct pcr_call c;
	const char *P;
	int r = -1;
	tried[0] = '\0';
	for (bool go = pcr_call_begin(&c, "chmod", AT_FDCWD, path, PCR_CHANGES | PCR_NO_LINK, &P);
	     go; go = pcr_call_next(&c, r == -1, &P)) {
		note(P);
		r = chmod(P, pcr_chmod_mode(&c, mode));
	}
	return r;
}

/* A two-path hook's loop: rename (link_flags -1) or linkat with link_flags,
 * with the cache and the tree on "different file systems" when exdev is
 * set: the real call then fails with EXDEV between the two. */
static int do_two(const char *from, const char *to, int link_flags, bool exdev)
{
	struct pcr_call a, b;
	const char *PA, *PB;
	bool link = link_flags >= 0;
	int r = -1;
	tried[0] = '\0';
	for (bool go = pcr_call2_begin(&a, &b, link ? "linkat" : "rename", AT_FDCWD, from, AT_FDCWD,
				       to, &PA, &PB);
	     go; go = pcr_call2_next(&a, &b, r == -1, &PA, &PB)) {
		note(PA);
		note(PB);
		if (exdev && a.central != b.central)
			r = -1, errno = EXDEV;
		else
			r = link ? linkat(AT_FDCWD, PA, AT_FDCWD, PB, link_flags) : rename(PA, PB);
	}
	if (r == -1 &&
	    pcr_call2_emulate(&a, &b, link ? pcr_linkat_move(link_flags) : PCR_MOVE_RENAME))
		r = 0;
	return r;
}

static int do_rename(const char *from, const char *to, bool exdev)
{
	return do_two(from, to, -1, exdev);
}

static int do_linkat(const char *from, const char *to, int flags, bool exdev)
{
	return do_two(from, to, flags, exdev);
}

static int count_names(const char *d)
{
	int n = 0;
	DIR *dd = opendir(d);
	cr_assert_not_null(dd, "%s", d);
	for (struct dirent *de; (de = readdir(dd));)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(dd);
	return n;
}

static void file_is(const char *path, const char *text)
{
	char buf[256];
	cr_assert_eq(unit_read_file(path, buf, sizeof buf), (long)strlen(text), "%s", path);
	cr_assert_str_eq(buf, text, "%s", path);
}

/* ---- lookups ---- */

/* Pycs shipped in the tree, no entry in the cache: straight to the tree,
 * no central call; once the entry exists, central first, then the tree. */
Test(call, a_lookup_goes_where_the_pycs_are)
{
	unit_write_file(in_tree("pkg/m.py"), "");
	cr_assert(mkdir(in_tree("pkg/__pycache__"), 0755) == 0);
	unit_write_file(in_tree("pkg/__pycache__/m.pyc"), "shipped");

	cr_assert_eq(do_stat(in_tree("pkg/__pycache__/m.pyc")), 0);
	char want[PATH_MAX + 64];
	unit_path(want, "%s\n", in_tree("pkg/__pycache__/m.pyc"));
	cr_assert_str_eq(tried, want, "a missing entry is the tree's at once");

	cr_assert_eq(do_create(in_tree("pkg/__pycache__/n.pyc"), "central"), 0);
	cr_assert_str_eq(tried, "central\ncentral\n",
			 "creates go central (the in-tree __pycache__ exists): %s", tried);
	cr_assert_eq(do_stat(in_tree("pkg/__pycache__/n.pyc")), 0);
	cr_assert_str_eq(tried, "central\n");
	/* The entry exists now: a pyc only the tree has is found after a miss. */
	cr_assert_eq(do_stat(in_tree("pkg/__pycache__/m.pyc")), 0);
	unit_path(want, "central\n%s\n", in_tree("pkg/__pycache__/m.pyc"));
	cr_assert_str_eq(tried, want);
}

/* ---- creates and mkdir ---- */

/* mkdir of __pycache__ makes the entry (its parents on the retry) and its
 * record; then a create lands in it, once tried. */
Test(call, mkdir_makes_the_entry_and_its_record)
{
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), 0);
	cr_assert_str_eq(tried, "central\ncentral\n", "a miss (no layout yet), then the retry");
	cr_assert(access(in_tree("pkg/__pycache__"), F_OK) != 0, "the tree got a __pycache__");
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc"), "pyc"), 0);
	cr_assert_str_eq(tried, "central\n");

	/* The record names the source directory. */
	struct pcr_mapping m;
	const struct pcr_ident_keyer k = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	cr_assert_eq(
	    pcr_map_path(root, strlen(root), NULL, in_tree("pkg/__pycache__/m.pyc"), &k.keyer, &m),
	    PCR_MAP_OK);
	file_is(m.central, "pyc");
	char record[PATH_MAX + 8], want[PATH_MAX + 8];
	unit_path(record, "%.*s.src", (int)m.entry_len, m.central);
	unit_path(want, "%s\n", in_tree("pkg"));
	file_is(record, want);
}

/* A create where the virtual __pycache__ does not exist fails as in the
 * tree (ENOENT), and makes nothing anywhere. */
Test(call, a_create_without_pycache_fails_as_in_the_tree)
{
	errno = 0;
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc"), "x"), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(tried, "central\n");
	char v2[PATH_MAX + 8];
	unit_path(v2, "%s/v2", root);
	cr_assert(access(v2, F_OK) != 0, "the cache got a layout for nothing");
}

/* The cache manager removed the layout between mkdir and create (a clear
 * racing py_compile): the create makes the entry again, once. */
Test(call, a_create_remakes_an_entry_removed_under_it)
{
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), 0);
	char v2[PATH_MAX + 8];
	unit_path(v2, "%s/v2", root);
	unit_rm_rf(v2);
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc"), "pyc"), 0);
	cr_assert_str_eq(tried, "central\ncentral\n");
}

/* ---- trust ---- */

/* An entry that is a planted link: every call but a read is refused with
 * ELOOP before any real call; a read goes on. */
Test(call, nothing_but_reads_goes_through_a_planted_entry)
{
	/* Planted before this process looked at the entry (its memos are its
	 * own: an entry it made or found whole is not looked at again). */
	struct pcr_mapping m;
	const struct pcr_ident_keyer k = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	cr_assert_eq(
	    pcr_map_path(root, strlen(root), NULL, in_tree("pkg/__pycache__"), &k.keyer, &m),
	    PCR_MAP_OK);
	cr_assert(pcr_entry_create_parents(&pcr_fs_libc, &m) == 0);
	char elsewhere[PATH_MAX + 16];
	unit_path(elsewhere, "%s/elsewhere", dir);
	cr_assert(mkdir(elsewhere, 0700) == 0);
	cr_assert(symlink(elsewhere, m.central) == 0);
	cr_assert(mkdir(in_tree("pkg/__pycache__"), 0755) == 0); /* a create may make the entry */
	errno = 0;
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc"), "x"), -1);
	cr_assert_eq(errno, ELOOP);
	cr_assert_str_eq(tried, "", "a real call was made");
	errno = 0;
	cr_assert_eq(do_stat(in_tree("pkg/__pycache__/m.pyc")), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(count_names(elsewhere), 0, "written through the link");
}

/* Found whole once, an entry is not looked at again by later writes. */
Test(call, an_entry_is_checked_once)
{
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), 0);
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/a.pyc"), "a"), 0);
	int before = fs.lstat;
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/b.pyc"), "b"), 0);
	cr_assert_eq(
	    do_rename(in_tree("pkg/__pycache__/b.pyc"), in_tree("pkg/__pycache__/c.pyc"), false),
	    0);
	cr_assert_eq(fs.lstat, before, "%d lstats more", fs.lstat - before);
}

/* ---- a read-only root ---- */

/* The entry of "<tree>/<rel>/__pycache__", made as another process would
 * have made it (this one has no memo of it), without its record; mtime set
 * age seconds back. */
static void entry_made_elsewhere(struct pcr_mapping *m, const char *rel, time_t age)
{
	char pycache[PATH_MAX + 64];
	unit_path(pycache, "%s/__pycache__", in_tree(rel));
	const struct pcr_ident_keyer k = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	cr_assert_eq(pcr_map_path(root, strlen(root), NULL, pycache, &k.keyer, m), PCR_MAP_OK);
	cr_assert(pcr_entry_create_parents(&pcr_fs_libc, m) == 0);
	m->central[m->entry_len] = '\0';
	cr_assert(mkdir(m->central, 0700) == 0);
	struct timespec t[2] = { { .tv_sec = time(NULL) - age }, { .tv_sec = time(NULL) - age } };
	cr_assert(utimensat(AT_FDCWD, m->central, t, 0) == 0);
}

static time_t mtime_of(const char *path)
{
	struct stat st;
	cr_assert(stat(path, &st) == 0, "%s", path);
	return st.st_mtime;
}

/* A cache mounted read-only: every create fails with EROFS before any real
 * call, so that nothing is made in the cache or in the tree (a missing
 * entry, a mkdir of __pycache__, a write into a warm entry, a move into
 * it); lookups still read the cache, and fall back to the tree's pycs. */
Test(call, a_create_under_a_read_only_root_fails_with_erofs_and_makes_nothing)
{
	read_only = true;
	errno = 0;
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), -1);
	cr_assert_eq(errno, EROFS);
	cr_assert_str_eq(tried, "", "a real call was made");
	errno = 0;
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc"), "x"), -1);
	cr_assert_eq(errno, EROFS);
	cr_assert_str_eq(tried, "", "a real call was made");
	cr_assert(access(in_tree("pkg/__pycache__"), F_OK) != 0, "the tree got a __pycache__");
	cr_assert_eq(count_names(root), 0, "the cache got something");

	/* A warm entry (made writable, then the root is read-only): read, not
	 * written. */
	read_only = false;
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), 0);
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc"), "warm"), 0);
	read_only = true;
	cr_assert_eq(do_stat(in_tree("pkg/__pycache__/m.pyc")), 0);
	cr_assert_str_eq(tried, "central\n");
	errno = 0;
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc.1234"), "new"), -1);
	cr_assert_eq(errno, EROFS);
	cr_assert_str_eq(tried, "");
	unit_write_file(in_tree("pkg/m.pyc.tmp"), "moved");
	errno = 0;
	cr_assert_eq(do_rename(in_tree("pkg/m.pyc.tmp"), in_tree("pkg/__pycache__/n.pyc"), false),
		     -1);
	cr_assert_eq(errno, EROFS);
	cr_assert_str_eq(tried, "");
	file_is(in_tree("pkg/m.pyc.tmp"), "moved");
	cr_assert(access(in_tree("pkg/__pycache__"), F_OK) != 0, "the tree got a __pycache__");

	/* Pycs that ship in a tree are still read there. */
	cr_assert(mkdir(in_tree("shipped"), 0755) == 0 &&
		  mkdir(in_tree("shipped/__pycache__"), 0755) == 0);
	unit_write_file(in_tree("shipped/__pycache__/s.pyc"), "shipped");
	cr_assert_eq(do_stat(in_tree("shipped/__pycache__/s.pyc")), 0);
}

/* The library's own writes are skipped on a read-only root: an entry found
 * without a record is not recorded, a found entry an hour old is not
 * touched (both are done on a writable root, which the second entry
 * shows). */
Test(call, a_read_only_root_gets_no_record_and_no_touch)
{
	struct pcr_mapping m;
	entry_made_elsewhere(&m, "pkg", 7200);
	char entry[PATH_MAX], record[PATH_MAX + 8];
	unit_path(entry, "%s", m.central);
	unit_path(record, "%s.src", entry);
	time_t old = mtime_of(entry);
	read_only = true;
	cr_assert_eq(do_stat(in_tree("pkg/__pycache__/m.pyc")), -1);
	errno = 0;
	cr_assert_eq(
	    do_rename(in_tree("pkg/__pycache__/m.pyc"), in_tree("pkg/__pycache__/n.pyc"), false),
	    -1);
	cr_assert_eq(errno, EROFS);
	cr_assert_eq(mtime_of(entry), old, "the entry was touched");
	cr_assert(access(record, F_OK) != 0, "a record was written");

	cr_assert(mkdir(in_tree("other"), 0755) == 0);
	entry_made_elsewhere(&m, "other", 7200);
	unit_path(entry, "%s", m.central);
	unit_path(record, "%s.src", entry);
	read_only = false;
	cr_assert_eq(do_stat(in_tree("other/__pycache__/m.pyc")), -1);
	errno = 0;
	cr_assert_eq(do_rename(in_tree("other/__pycache__/m.pyc"),
			       in_tree("other/__pycache__/n.pyc"), false),
		     -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_neq(mtime_of(entry), old, "a writable root's entry was not touched");
	cr_assert(access(record, F_OK) == 0, "a writable root's entry was not recorded");
}

/* ---- moves ---- */

/* A move into a full cache is refused with ENOSPC, and the file stays. */
Test(call, a_move_into_a_full_cache_is_refused)
{
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), 0);
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc.tmp"), "pyc"), 0);
	fs.full = true;
	errno = 0;
	cr_assert_eq(do_rename(in_tree("pkg/__pycache__/m.pyc.tmp"),
			       in_tree("pkg/__pycache__/m.pyc"), false),
		     -1);
	cr_assert_eq(errno, ENOSPC);
	cr_assert_str_eq(tried, "", "a real call was made");
	fs.full = false;
	cr_assert_eq(do_stat(in_tree("pkg/__pycache__/m.pyc.tmp")), 0, "the file went");
}

/* A file as big as RLIMIT_FSIZE is refused with EFBIG: Python's write of
 * it may have been cut short. */
Test(call, a_move_at_the_file_size_limit_is_refused)
{
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), 0);
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc.tmp"), "0123456789"), 0);
	struct rlimit r = { .rlim_cur = 10, .rlim_max = RLIM_INFINITY };
	cr_assert(setrlimit(RLIMIT_FSIZE, &r) == 0);
	errno = 0;
	cr_assert_eq(do_rename(in_tree("pkg/__pycache__/m.pyc.tmp"),
			       in_tree("pkg/__pycache__/m.pyc"), false),
		     -1);
	cr_assert_eq(errno, EFBIG);
}

/* Out of the cache to another file system (os.rename of a pyc beside its
 * source, for a sourceless module): copied, the target in place with the
 * bytes, the source gone, no temporary name left. */
Test(call, a_move_across_file_systems_is_a_copy)
{
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), 0);
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc"), "bytecode"), 0);
	cr_assert_eq(do_rename(in_tree("pkg/__pycache__/m.pyc"), in_tree("pkg/m.pyc"), true), 0);
	file_is(in_tree("pkg/m.pyc"), "bytecode");
	errno = 0;
	cr_assert_eq(do_stat(in_tree("pkg/__pycache__/m.pyc")), -1, "the source stayed");
	cr_assert_eq(errno, ENOENT);
	struct pcr_mapping m;
	const struct pcr_ident_keyer k = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	cr_assert_eq(
	    pcr_map_path(root, strlen(root), NULL, in_tree("pkg/__pycache__"), &k.keyer, &m),
	    PCR_MAP_OK);
	cr_assert_eq(count_names(m.central), 0, "a file left in the entry");
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

/* Modes as Python asks: a central file takes the mode its creator asked for
 * (under the umask) and a chmod's, and keeps it when it is copied across
 * file systems either way; the directories stay 0700, whatever a mkdir or
 * a chmod of the __pycache__ asks. */
Test(call, central_files_take_the_mode_asked_and_directories_stay_0700)
{
	mode_t old = umask(022);
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), 0);
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc"), "bytecode"), 0);
	umask(old);
	struct pcr_mapping m;
	const struct pcr_ident_keyer k = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	cr_assert_eq(
	    pcr_map_path(root, strlen(root), NULL, in_tree("pkg/__pycache__/m.pyc"), &k.keyer, &m),
	    PCR_MAP_OK);
	char entry[PATH_MAX];
	snprintf(entry, sizeof entry, "%.*s", (int)(strrchr(m.central, '/') - m.central),
		 m.central);
	cr_assert_eq(mode_of(m.central), 0644);
	cr_assert_eq(mode_of(entry), 0700);

	cr_assert_eq(do_chmod(in_tree("pkg/__pycache__/m.pyc"), 0444), 0);
	cr_assert_eq(mode_of(m.central), 0444);
	cr_assert_eq(do_chmod(in_tree("pkg/__pycache__"), 0777), 0);
	cr_assert_eq(mode_of(entry), 0700, "the entry opened to others");

	cr_assert_eq(do_rename(in_tree("pkg/__pycache__/m.pyc"), in_tree("pkg/m.pyc"), true), 0);
	cr_assert_eq(mode_of(in_tree("pkg/m.pyc")), 0444, "the copy out of the cache");
	cr_assert_eq(chmod(in_tree("pkg/m.pyc"), 0640), 0);
	cr_assert_eq(do_rename(in_tree("pkg/m.pyc"), in_tree("pkg/__pycache__/m.pyc"), true), 0);
	cr_assert_eq(mode_of(m.central), 0640, "the copy into the cache");
}

/* os.link from Python 3.14 on is linkat(AT_SYMLINK_FOLLOW): out of the cache
 * to another file system it is a copy as link's is, the source kept; into
 * the cache from a symlink in the tree, the copy is of what it points to. */
Test(call, a_link_that_follows_symlinks_across_file_systems_is_a_copy)
{
	cr_assert_eq(do_mkdir(in_tree("pkg/__pycache__")), 0);
	cr_assert_eq(do_create(in_tree("pkg/__pycache__/m.pyc"), "bytecode"), 0);
	cr_assert_eq(do_linkat(in_tree("pkg/__pycache__/m.pyc"), in_tree("pkg/m.pyc"),
			       AT_SYMLINK_FOLLOW, true),
		     0, "%s", strerror(errno));
	file_is(in_tree("pkg/m.pyc"), "bytecode");
	cr_assert_eq(do_stat(in_tree("pkg/__pycache__/m.pyc")), 0, "the source went");

	unit_write_file(in_tree("pkg/other.pyc"), "other");
	cr_assert_eq(symlink("other.pyc", in_tree("pkg/link.pyc")), 0);
	cr_assert_eq(do_linkat(in_tree("pkg/link.pyc"), in_tree("pkg/__pycache__/l.pyc"),
			       AT_SYMLINK_FOLLOW, true),
		     0, "%s", strerror(errno));
	struct pcr_mapping m;
	const struct pcr_ident_keyer k = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	cr_assert_eq(
	    pcr_map_path(root, strlen(root), NULL, in_tree("pkg/__pycache__/l.pyc"), &k.keyer, &m),
	    PCR_MAP_OK);
	file_is(m.central, "other");
	struct stat st;
	cr_assert_eq(lstat(in_tree("pkg/link.pyc"), &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the symlink stays one");

	errno = 0;
	cr_assert_eq(
	    do_linkat(in_tree("pkg/__pycache__/m.pyc"), in_tree("pkg/x.pyc"), AT_EMPTY_PATH, true),
	    -1, "other flags are not emulated");
	cr_assert_eq(errno, EXDEV);
}

/* ---- the directory keys (preload/dirkey.c) ---- */

/* The key of the directory at path by the library's keyer, in hex. */
static void key_of(const char *path, char hex[PCR_KEY_HEX + 1])
{
	char buf[PATH_MAX + 2];
	snprintf(buf, sizeof buf, "%s", path);
	cr_assert(pcr_dir_keyer.key(&pcr_dir_keyer, buf, strlen(buf), hex), "%s: %s", path,
		  strerror(errno));
	cr_assert_str_eq(buf, path, "the keyer left the spelling changed");
}

/* A directory is looked up once a second, not once a call; one statfs
 * serves a mount; a directory replaced at its path gets its own key once
 * the second is over. */
Test(call, a_directory_is_keyed_once_a_second)
{
	char a[PCR_KEY_HEX + 1], b[PCR_KEY_HEX + 1];
	const char *pkg = in_tree("pkg");
	key_of(pkg, a);
	cr_assert_eq(fs.handles, 1);
	for (int i = 0; i < 100; i++) {
		key_of(pkg, b);
		cr_assert_str_eq(a, b);
	}
	cr_assert_eq(fs.handles, 1, "%d lookups for one directory", fs.handles);
	/* Another directory on the same mount: its own lookup, no statfs. */
	cr_assert(mkdir(in_tree("other"), 0755) == 0);
	key_of(in_tree("other"), b);
	cr_assert_str_neq(a, b);
	cr_assert_eq(fs.handles, 2);
	cr_assert_eq(fs.statfs, 1, "%d statfs for one mount", fs.statfs);

	/* Replaced at the same path: the old key within the second (the
	 * README's Limits say so), the new one after it. */
	unit_rm_rf(pkg);
	cr_assert(mkdir(pkg, 0755) == 0);
	key_of(pkg, b);
	cr_assert_str_eq(a, b, "looked up again within the second");
	usleep((PCR_DIRKEY_TTL_MS + 100) * 1000);
	key_of(pkg, b);
	cr_assert_str_neq(a, b, "a replaced directory kept its old key after the second");
	cr_assert_eq(fs.handles, 3);
}

/* A path that is no directory has no key, and that is not remembered: it
 * is keyed as soon as it exists. */
Test(call, a_missing_directory_is_not_remembered)
{
	char buf[PATH_MAX + 2], hex[PCR_KEY_HEX + 1];
	snprintf(buf, sizeof buf, "%s", in_tree("later"));
	errno = 0;
	cr_assert(!pcr_dir_keyer.key(&pcr_dir_keyer, buf, strlen(buf), hex));
	cr_assert_eq(errno, ENOENT);
	unit_write_file(buf, "a file");
	errno = 0;
	cr_assert(!pcr_dir_keyer.key(&pcr_dir_keyer, buf, strlen(buf), hex));
	cr_assert_eq(errno, ENOTDIR);
	cr_assert(unlink(buf) == 0 && mkdir(buf, 0755) == 0);
	cr_assert(pcr_dir_keyer.key(&pcr_dir_keyer, buf, strlen(buf), hex));
}
