/* pcr_root_prepare on real temporary directories, and with a fake file
 * system for the errors a real one will not produce on demand. */
#include <fcntl.h>
#include <sys/types.h>

#include "unit.h"

#include "core/fs.h"
#include "core/root.h"

static char tmp[PATH_MAX];

static void setup(void) { unit_mkdtemp(tmp, sizeof tmp); }

static void teardown(void) { unit_rm_rf(tmp); }

TestSuite(root_prepare, .init = setup, .fini = teardown);

static enum pcr_root_status prepare(const char *root, bool create, int *err)
{
	*err = -12345; /* must be overwritten */
	return pcr_root_prepare(&pcr_fs_libc, root, (unsigned long)geteuid(), create, err);
}

static void check_status(enum pcr_root_status got, enum pcr_root_status want)
{
	cr_assert_eq(got, want, "\"%s\", expected \"%s\"", pcr_root_status_str(got),
		     pcr_root_status_str(want));
}

static void check_dir_0700(const char *path)
{
	struct stat st;
	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert(S_ISDIR(st.st_mode), "%s is not a directory", path);
	cr_assert_eq(st.st_mode & 07777, 0700, "%s: mode %o", path, st.st_mode & 07777);
	cr_assert_eq(st.st_uid, geteuid(), "%s: owner %u", path, st.st_uid);
}

static void creates_missing_root_and_parents(mode_t mask)
{
	umask(mask);
	char a[PATH_MAX], ab[PATH_MAX], root[PATH_MAX];
	unit_path(a, "%s/a", tmp);
	unit_path(ab, "%s/a/b", tmp);
	unit_path(root, "%s/a/b/root", tmp);
	int err;
	check_status(prepare(root, true, &err), PCR_ROOT_OK);
	cr_assert_eq(err, 0);
	check_dir_0700(a);
	check_dir_0700(ab);
	check_dir_0700(root);
}

/* Explicit modes: the umask neither widens (0) nor is relied on (077). */
Test(root_prepare, creates_missing_root_and_parents_0700_with_umask_0)
{
	creates_missing_root_and_parents(0);
}

Test(root_prepare, creates_missing_root_and_parents_0700_with_umask_077)
{
	creates_missing_root_and_parents(077);
}

Test(root_prepare, creates_root_spelled_with_a_trailing_slash)
{
	umask(0);
	char root[PATH_MAX], plain[PATH_MAX];
	unit_path(root, "%s/r/", tmp);
	unit_path(plain, "%s/r", tmp);
	int err;
	check_status(prepare(root, true, &err), PCR_ROOT_OK);
	cr_assert_eq(err, 0);
	check_dir_0700(plain);
}

/* mkdir -p makes only what is missing: an existing parent keeps its mode. */
Test(root_prepare, leaves_existing_parents_alone)
{
	char parent[PATH_MAX], root[PATH_MAX];
	unit_path(parent, "%s/p", tmp);
	unit_path(root, "%s/p/root", tmp);
	cr_assert_eq(mkdir(parent, 0700), 0);
	cr_assert_eq(chmod(parent, 0755), 0);
	int err;
	check_status(prepare(root, true, &err), PCR_ROOT_OK);
	cr_assert_eq(unit_mode(parent), 0755);
	check_dir_0700(root);
}

static void make_dir_mode(const char *path, mode_t mode)
{
	cr_assert_eq(mkdir(path, 0700), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(chmod(path, mode), 0);
}

Test(root_prepare, existing_0700_dir_is_ok)
{
	char root[PATH_MAX];
	unit_path(root, "%s/root", tmp);
	make_dir_mode(root, 0700);
	int err;
	check_status(prepare(root, false, &err), PCR_ROOT_OK);
	cr_assert_eq(err, 0);
	check_status(prepare(root, true, &err), PCR_ROOT_OK);
	cr_assert_eq(err, 0);
	cr_assert_eq(unit_mode(root), 0700);
}

/* Readable by others is fine; only write bits make it unsafe. */
Test(root_prepare, existing_0755_dir_is_ok)
{
	char root[PATH_MAX];
	unit_path(root, "%s/root", tmp);
	make_dir_mode(root, 0755);
	int err;
	check_status(prepare(root, false, &err), PCR_ROOT_OK);
	cr_assert_eq(unit_mode(root), 0755, "prepare changed the mode");
}

Test(root_prepare, writable_by_group_or_others_is_unsafe)
{
	static const mode_t modes[] = { 0770, 0757, 0720, 0702, 0777, 01777, 0722 };
	char root[PATH_MAX];
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
		unit_path(root, "%s/root%zu", tmp, i);
		make_dir_mode(root, modes[i]);
		int err;
		enum pcr_root_status st = prepare(root, true, &err);
		cr_assert_eq(st, PCR_ROOT_UNSAFE_MODE, "mode %o: %s", modes[i],
			     pcr_root_status_str(st));
		cr_assert_eq(err, 0);
		cr_assert_eq(unit_mode(root), (int)modes[i], "prepare changed the mode");
	}
}

Test(root_prepare, symlink_to_a_good_dir_is_refused)
{
	char good[PATH_MAX], link[PATH_MAX];
	unit_path(good, "%s/good", tmp);
	unit_path(link, "%s/link", tmp);
	make_dir_mode(good, 0700);
	cr_assert_eq(symlink(good, link), 0);
	int err;
	check_status(prepare(link, false, &err), PCR_ROOT_SYMLINK);
	cr_assert_eq(err, 0);
	check_status(prepare(link, true, &err), PCR_ROOT_SYMLINK);
}

/* A dangling link is not "missing": nothing is created through it. */
Test(root_prepare, dangling_symlink_is_refused_and_not_followed)
{
	char target[PATH_MAX], link[PATH_MAX];
	unit_path(target, "%s/target", tmp);
	unit_path(link, "%s/link", tmp);
	cr_assert_eq(symlink(target, link), 0);
	int err;
	check_status(prepare(link, true, &err), PCR_ROOT_SYMLINK);
	cr_assert_eq(unit_mode(target), -1, "created the link's target");
}

Test(root_prepare, regular_file_is_not_a_dir)
{
	char root[PATH_MAX];
	unit_path(root, "%s/file", tmp);
	unit_write_file(root, "x");
	cr_assert_eq(chmod(root, 0700), 0);
	int err;
	check_status(prepare(root, true, &err), PCR_ROOT_NOT_DIR);
	cr_assert_eq(err, 0);
}

Test(root_prepare, fifo_is_not_a_dir)
{
	char root[PATH_MAX];
	unit_path(root, "%s/fifo", tmp);
	cr_assert_eq(mkfifo(root, 0600), 0);
	int err;
	check_status(prepare(root, true, &err), PCR_ROOT_NOT_DIR);
}

Test(root_prepare, owned_by_another_user_is_foreign)
{
	if (geteuid() != 0) {
		teardown(); /* Criterion runs no .fini after a skip */
		cr_skip_test("chown to another uid needs root (euid %u)", geteuid());
	}
	char root[PATH_MAX];
	unit_path(root, "%s/root", tmp);
	make_dir_mode(root, 0700);
	cr_assert_eq(chown(root, 65534, 65534), 0, "chown: %s", strerror(errno));
	int err;
	check_status(prepare(root, true, &err), PCR_ROOT_FOREIGN);
	cr_assert_eq(err, 0);
}

/* The same check through the euid argument, which needs no privilege. */
Test(root_prepare, checked_against_the_given_euid)
{
	char root[PATH_MAX];
	unit_path(root, "%s/root", tmp);
	make_dir_mode(root, 0700);
	int err;
	unsigned long other = (unsigned long)geteuid() + 1;
	check_status(pcr_root_prepare(&pcr_fs_libc, root, other, true, &err), PCR_ROOT_FOREIGN);
	/* Foreign is reported before an unsafe mode. */
	cr_assert_eq(chmod(root, 0777), 0);
	check_status(pcr_root_prepare(&pcr_fs_libc, root, other, true, &err), PCR_ROOT_FOREIGN);
}

Test(root_prepare, missing_without_create)
{
	char root[PATH_MAX];
	unit_path(root, "%s/a/root", tmp);
	int err;
	check_status(prepare(root, false, &err), PCR_ROOT_MISSING);
	cr_assert_eq(err, ENOENT);
	char a[PATH_MAX];
	unit_path(a, "%s/a", tmp);
	cr_assert_eq(unit_mode(a), -1, "created a parent without create");
}

Test(root_prepare, parent_is_a_file_cant_create)
{
	char file[PATH_MAX], root[PATH_MAX], deep[PATH_MAX];
	unit_path(file, "%s/file", tmp);
	unit_path(root, "%s/file/root", tmp);
	unit_path(deep, "%s/file/a/b/root", tmp);
	unit_write_file(file, "x");
	int err;
	check_status(prepare(root, true, &err), PCR_ROOT_CANT_CREATE);
	cr_assert_eq(err, ENOTDIR, "err %d (%s)", err, strerror(err));
	check_status(prepare(deep, true, &err), PCR_ROOT_CANT_CREATE);
	cr_assert_eq(err, ENOTDIR, "err %d (%s)", err, strerror(err));
	struct stat st;
	cr_assert_eq(lstat(file, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_size, 1);
}

Test(root_prepare, too_long_cant_create)
{
	static char root[PATH_MAX + 256]; /* the loop below may end 110 bytes past PATH_MAX */
	unit_path(root, "%s/", tmp);
	size_t n = strlen(root);
	while (n < PATH_MAX + 10) {
		memset(root + n, 'd', 100);
		n += 100;
		root[n++] = '/';
	}
	root[n - 1] = '\0';
	int err;
	check_status(prepare(root, true, &err), PCR_ROOT_CANT_CREATE);
	cr_assert_eq(err, ENAMETOOLONG, "err %d (%s)", err, strerror(err));
}

/* ---- a fake file system ------------------------------------------------ */

static struct {
	int lstat_errno; /* lstat fails with this... */
	int lstat_fails; /* ...for this many calls (0: always) */
	int lstat_calls;
	int mkdir_errno; /* mkdir fails with this... */
	int mkdir_fails; /* ...for this many calls (0: always) */
	int mkdir_calls;
	char mkdirs[8][64]; /* the paths mkdir got, in order */
	mode_t modes[8];
	int access_errno;         /* access for writing fails with this (0: succeeds)... */
	const char *access_at;    /* ...for this path alone (NULL: every path) */
	int search_errno;         /* access for searching alone (X_OK) fails with this */
	const char *read_only_at; /* access for writing this path fails with EROFS */
	bool made_exist;          /* lstat finds what mkdir made, whatever lstat_errno says */
} fake;

static int fake_lstat(const char *path, struct stat *st)
{
	if (strcmp(path, "/") == 0) { /* the top, for the check against it: not counted */
		memset(st, 0, sizeof *st);
		st->st_mode = S_IFDIR | 0755;
		st->st_ino = 2;
		return 0;
	}
	int i = fake.lstat_calls++;
	bool made = false;
	for (int k = 0; fake.made_exist && k < fake.mkdir_calls && k < 8; k++)
		made |= strcmp(fake.mkdirs[k], path) == 0;
	if (!made && fake.lstat_errno && (!fake.lstat_fails || i < fake.lstat_fails))
		return (errno = fake.lstat_errno), -1;
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFDIR | 0700;
	st->st_uid = geteuid();
	return 0;
}

static int fake_mkdir(const char *path, mode_t mode)
{
	int i = fake.mkdir_calls++;
	if (i < 8) {
		snprintf(fake.mkdirs[i], sizeof fake.mkdirs[i], "%s", path);
		fake.modes[i] = mode;
	}
	if (fake.mkdir_errno && (!fake.mkdir_fails || i < fake.mkdir_fails))
		return (errno = fake.mkdir_errno), -1;
	return 0;
}

static int fake_unexpected(void)
{
	cr_assert_fail("root_prepare called an unexpected file-system function");
	return -1;
}
static int fake_stat(const char *p, struct stat *st)
{
	(void)p;
	(void)st;
	return fake_unexpected();
}
static int fake_open(const char *p, int f, mode_t m)
{
	(void)p;
	(void)f;
	(void)m;
	return fake_unexpected();
}
static int fake_rename(const char *a, const char *b)
{
	(void)a;
	(void)b;
	return fake_unexpected();
}
static int fake_unlink(const char *p)
{
	(void)p;
	return fake_unexpected();
}

static int fake_access(const char *p, int mode)
{
	bool here = !fake.access_at || strcmp(p, fake.access_at) == 0;
	if (fake.read_only_at && strcmp(p, fake.read_only_at) == 0 && (mode & W_OK))
		return (errno = EROFS), -1;
	if (here && fake.access_errno && (mode & W_OK))
		return (errno = fake.access_errno), -1;
	if (here && fake.search_errno && mode == X_OK)
		return (errno = fake.search_errno), -1;
	return 0;
}

static const struct pcr_fs fake_fs = {
	.lstat = fake_lstat,
	.stat = fake_stat,
	.mkdir = fake_mkdir,
	.open = fake_open,
	.rename = fake_rename,
	.unlink = fake_unlink,
	.access = fake_access,
};

/* A root the user may not write to by its mode (0500) is a chmod away from
 * writable, and the levels inside it are writable still: refused, with the
 * reason. */
Test(root_fake, a_root_unwritable_by_its_mode_is_refused)
{
	fake.access_errno = EACCES;
	int err = 0;
	check_status(pcr_root_prepare(&fake_fs, "/a/b", geteuid(), true, &err),
		     PCR_ROOT_UNWRITABLE);
	cr_assert_eq(err, EACCES);
}

/* A root on a read-only mount (a pre-warmed cache mounted :ro) passes every
 * other check: it is used, for reads alone. */
Test(root_fake, a_root_on_a_read_only_mount_is_read_only)
{
	fake.access_errno = EROFS;
	int err = -1;
	check_status(pcr_root_prepare(&fake_fs, "/a/b", geteuid(), true, &err), PCR_ROOT_READ_ONLY);
	cr_assert_eq(err, 0);
	cr_assert_eq(fake.mkdir_calls, 0);
	cr_assert(pcr_root_status_usable(PCR_ROOT_READ_ONLY));
}

/* Read-only, but not searchable: nothing in it can be read either. */
Test(root_fake, a_read_only_root_that_cannot_be_searched_is_refused)
{
	fake.access_errno = EROFS;
	fake.search_errno = EACCES;
	int err = 0;
	check_status(pcr_root_prepare(&fake_fs, "/a/b", geteuid(), true, &err),
		     PCR_ROOT_UNWRITABLE);
	cr_assert_eq(err, EACCES);
}

/* Read-only changes nothing of the other checks: another user's root on a
 * read-only mount is still refused. */
Test(root_fake, a_read_only_root_of_another_user_is_refused)
{
	fake.access_errno = EROFS;
	int err = 0;
	check_status(pcr_root_prepare(&fake_fs, "/a/b", geteuid() + 1, true, &err),
		     PCR_ROOT_FOREIGN);
}

static struct pcr_config config_of(const char *root, const char *fallback)
{
	struct pcr_config c = { .root_len = strlen(root), .fallback_len = strlen(fallback) };
	memcpy(c.root, root, c.root_len + 1);
	memcpy(c.fallback, fallback, c.fallback_len + 1);
	return c;
}

/* A read-only configured root is used read-only, not swapped for a writable
 * fallback: its pycs are what it was mounted for. */
Test(root_fake, choose_keeps_a_read_only_root_rather_than_the_fallback)
{
	struct pcr_config c = config_of("/a/b", "/t/f");
	fake.read_only_at = "/a/b";
	enum pcr_root_status st;
	int err;
	cr_assert_eq(pcr_root_choose(&fake_fs, &c, geteuid(), true, &st, &err, NULL, 0),
		     PCR_ROOT_USE_CONFIGURED | PCR_ROOT_USE_READ_ONLY);
	check_status(st, PCR_ROOT_READ_ONLY);
	/* The configured root refused: the fallback, and its own state told. */
	fake.access_errno = EACCES;
	fake.access_at = "/a/b";
	fake.read_only_at = NULL;
	cr_assert_eq(pcr_root_choose(&fake_fs, &c, geteuid(), true, &st, &err, NULL, 0),
		     PCR_ROOT_USE_FALLBACK);
	check_status(st, PCR_ROOT_UNWRITABLE);
	fake.read_only_at = "/t/f";
	cr_assert_eq(pcr_root_choose(&fake_fs, &c, geteuid(), true, &st, &err, NULL, 0),
		     PCR_ROOT_USE_FALLBACK | PCR_ROOT_USE_READ_ONLY);
}

Test(root_fake, mkdir_error_is_propagated)
{
	fake.lstat_errno = ENOENT;
	fake.mkdir_errno = ENOSPC;
	int err = 0;
	check_status(pcr_root_prepare(&fake_fs, "/a/b", 1000, true, &err), PCR_ROOT_CANT_CREATE);
	cr_assert_eq(err, ENOSPC, "err %d (%s)", err, strerror(err));
	cr_assert_eq(fake.mkdir_calls, 1, "mkdir went on after a failure");
}

/* mkdir -p: each missing prefix is made 0700, in order, each under a parent
 * that was checked first. */
Test(root_fake, mkdir_p_makes_each_prefix_0700_in_order)
{
	fake.lstat_errno = ENOENT;
	fake.made_exist = true;
	int err = -1;
	check_status(pcr_root_prepare(&fake_fs, "/a/bb/ccc", (unsigned long)geteuid(), true, &err),
		     PCR_ROOT_OK);
	cr_assert_eq(err, 0);
	cr_assert_eq(fake.mkdir_calls, 3);
	cr_assert_str_eq(fake.mkdirs[0], "/a");
	cr_assert_str_eq(fake.mkdirs[1], "/a/bb");
	cr_assert_str_eq(fake.mkdirs[2], "/a/bb/ccc");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(fake.modes[i], 0700, "mkdir %s with %o", fake.mkdirs[i],
			     fake.modes[i]);
	cr_assert_eq(fake.lstat_calls, 6);
}

/* EEXIST from mkdir is not a failure (another process made it first): the
 * directory is checked as found. */
Test(root_fake, mkdir_losing_a_race_goes_on)
{
	fake.lstat_errno = ENOENT;
	fake.lstat_fails = 1;
	fake.mkdir_errno = EEXIST;
	int err = -1;
	check_status(pcr_root_prepare(&fake_fs, "/a/b", (unsigned long)geteuid(), true, &err),
		     PCR_ROOT_OK);
	cr_assert_eq(fake.mkdir_calls, 1);
	cr_assert_str_eq(fake.mkdirs[0], "/a");
	cr_assert_eq(fake.lstat_calls, 3);
}

/* mkdir says it made the root, yet lstat cannot see it: the errno of that
 * second lstat is reported. */
Test(root_fake, root_gone_after_mkdir_is_cant_create)
{
	fake.lstat_errno = ENOENT;
	fake.mkdir_errno = EEXIST;
	int err = 0;
	check_status(pcr_root_prepare(&fake_fs, "/a/b", 1000, true, &err), PCR_ROOT_CANT_CREATE);
	cr_assert_eq(err, ENOENT);
	cr_assert_eq(fake.lstat_calls, 2);
}

Test(root_fake, lstat_error_other_than_enoent_is_cant_create)
{
	fake.lstat_errno = EACCES;
	int err = 0;
	check_status(pcr_root_prepare(&fake_fs, "/a/b", 1000, true, &err), PCR_ROOT_CANT_CREATE);
	cr_assert_eq(err, EACCES);
	cr_assert_eq(fake.mkdir_calls, 0, "tried to create after EACCES");
}

Test(root_fake, err_is_zero_on_success)
{
	int err = -1;
	check_status(pcr_root_prepare(&fake_fs, "/a/b", (unsigned long)geteuid(), true, &err),
		     PCR_ROOT_OK);
	cr_assert_eq(err, 0);
	cr_assert_eq(fake.mkdir_calls, 0, "created an existing root");
}

Test(root_status, every_status_has_words)
{
	for (int s = PCR_ROOT_OK; s <= PCR_ROOT_READ_ONLY; s++) {
		const char *w = pcr_root_status_str((enum pcr_root_status)s);
		cr_assert_not_null(w);
		cr_assert_str_neq(w, "unknown");
		for (int t = PCR_ROOT_OK; t < s; t++)
			cr_assert_str_neq(w, pcr_root_status_str((enum pcr_root_status)t));
	}
}

/* "/" spelled another way reaches the top of the file system: refused, even
 * for the user who owns it. */
Test(root_prepare, the_top_of_the_file_system_in_any_spelling_is_refused)
{
	struct stat top;
	cr_assert_eq(stat("/", &top), 0);
	int err;
	const char *const spellings[] = { "/tmp/..", "/usr/lib/../.." };
	for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++)
		cr_assert_eq(pcr_root_prepare(&pcr_fs_libc, spellings[i], top.st_uid, false, &err),
			     PCR_ROOT_IS_TOP, "%s", spellings[i]);
	cr_assert_str_eq(pcr_root_status_str(PCR_ROOT_IS_TOP), "is the top of the file system, /");
}

/* ---- the directories on the way to the root ---------------------------- */

static enum pcr_root_status check_where(const char *root, unsigned long euid, bool create,
					char *where)
{
	int err;
	return pcr_root_check(&pcr_fs_libc, root, euid, create, &err, where, PATH_MAX);
}

static void need_root(void)
{
	if (geteuid() != 0) {
		teardown();
		cr_skip_test("chown to another uid needs root (euid %u)", geteuid());
	}
}

/* Whoever may rename entries in a parent can swap the root for a link to a
 * tree of theirs after any check: a parent writable by group or others
 * (without the sticky bit) is refused, and nothing is created under it. */
Test(root_prepare, parent_writable_by_others_is_refused_and_nothing_made)
{
	const mode_t modes[] = { 0775, 0757, 0777 };
	for (size_t i = 0; i < 3; i++) {
		char parent[PATH_MAX], root[PATH_MAX], where[PATH_MAX];
		unit_path(parent, "%s/shared%zu", tmp, i);
		unit_path(root, "%s/shared%zu/cache/root", tmp, i);
		make_dir_mode(parent, modes[i]);
		check_status(check_where(root, geteuid(), true, where), PCR_ROOT_UNSAFE_PARENT);
		cr_assert_str_eq(where, parent);
		char cache[PATH_MAX];
		unit_path(cache, "%s/cache", parent);
		cr_assert_eq(unit_mode(cache), -1, "made %s under a parent mode %o", cache,
			     modes[i]);
	}
}

/* Root running with another user's HOME (sudo -E, su -m): their home is
 * theirs, so nothing is made in it, and no ~/.cache of root's appears. */
Test(root_prepare, another_user_s_parent_is_refused_and_nothing_made)
{
	need_root();
	char home[PATH_MAX], root[PATH_MAX], cache[PATH_MAX];
	unit_path(home, "%s/home-bob", tmp);
	unit_path(root, "%s/home-bob/.cache/pycache-redirect", tmp);
	unit_path(cache, "%s/home-bob/.cache", tmp);
	make_dir_mode(home, 0700);
	cr_assert_eq(chown(home, 4242, 4242), 0);
	char where[PATH_MAX];
	check_status(check_where(root, 0, true, where), PCR_ROOT_UNSAFE_PARENT);
	cr_assert_str_eq(where, home);
	cr_assert_eq(unit_mode(cache), -1, "root made %s in another user's home", cache);
	/* The same tree for its owner: fine. */
	check_status(check_where(root, 4242, false, where), PCR_ROOT_MISSING);
}

/* In a sticky directory that others may write to (/tmp), the next
 * component must be the user's or root's: another user's cannot be trusted,
 * the user's cannot be renamed by anyone else. */
Test(root_prepare, sticky_parent_needs_the_next_component_to_be_the_user_s)
{
	need_root();
	char sticky[PATH_MAX], squat[PATH_MAX], root[PATH_MAX], where[PATH_MAX];
	unit_path(sticky, "%s/tmp", tmp);
	make_dir_mode(sticky, 01777);
	unit_path(squat, "%s/tmp/pycache-redirect-1000", tmp);
	make_dir_mode(squat, 0700);
	cr_assert_eq(chown(squat, 4242, 4242), 0);
	check_status(check_where(squat, 1000, true, where), PCR_ROOT_FOREIGN);
	unit_path(root, "%s/tmp/pycache-redirect-1000/deeper", tmp);
	check_status(check_where(root, 1000, true, where), PCR_ROOT_UNSAFE_PARENT);
	cr_assert_str_eq(where, squat);
	/* Made by the check itself under the sticky parent: the user's. */
	unit_path(root, "%s/tmp/pycache-redirect-4242", tmp);
	check_status(check_where(root, 0, true, where), PCR_ROOT_OK);
	check_dir_0700(root);
}

/* Links on the way are followed, and the directories they lead through are
 * checked like any other. */
Test(root_prepare, links_on_the_way_are_followed_and_checked)
{
	char real[PATH_MAX], link[PATH_MAX], root[PATH_MAX], where[PATH_MAX];
	unit_path(real, "%s/real", tmp);
	make_dir_mode(real, 0755);
	unit_path(link, "%s/link", tmp);
	cr_assert_eq(symlink("real", link), 0);
	unit_path(root, "%s/link/root", tmp);
	check_status(check_where(root, geteuid(), true, where), PCR_ROOT_OK);
	unit_path(root, "%s/real/root", tmp);
	check_dir_0700(root);

	char open_dir[PATH_MAX], link2[PATH_MAX];
	unit_path(open_dir, "%s/open", tmp);
	make_dir_mode(open_dir, 0777);
	unit_path(link2, "%s/real/to-open", tmp);
	cr_assert_eq(symlink(open_dir, link2), 0);
	unit_path(root, "%s/link/to-open/root", tmp);
	check_status(check_where(root, geteuid(), true, where), PCR_ROOT_UNSAFE_PARENT);
	cr_assert_str_eq(where, open_dir);

	/* ".." after a link goes up from where the link led; even a pass
	 * through an open directory is refused. */
	unit_path(root, "%s/real/to-open/../real/root", tmp);
	check_status(check_where(root, geteuid(), false, where), PCR_ROOT_UNSAFE_PARENT);
	char sub[PATH_MAX], up[PATH_MAX];
	unit_path(sub, "%s/real/sub", tmp);
	make_dir_mode(sub, 0755);
	unit_path(up, "%s/up", tmp);
	cr_assert_eq(symlink("real/sub", up), 0);
	unit_path(root, "%s/up/../root", tmp);
	check_status(check_where(root, geteuid(), false, where), PCR_ROOT_OK);
}

Test(root_prepare, a_loop_of_links_is_refused)
{
	char a[PATH_MAX], b[PATH_MAX], root[PATH_MAX];
	unit_path(a, "%s/a", tmp);
	unit_path(b, "%s/b", tmp);
	cr_assert_eq(symlink("b", a), 0);
	cr_assert_eq(symlink("a", b), 0);
	unit_path(root, "%s/a/root", tmp);
	int err;
	check_status(prepare(root, true, &err), PCR_ROOT_CANT_CREATE);
	cr_assert_eq(err, ELOOP);
}
