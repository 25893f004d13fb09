/* Entry directories and their <key>.src records, on a real temporary root. */
#include <dirent.h>
#include <fcntl.h>

#include "unit.h"

#include "core/entry.h"
#include "core/fs.h"
#include "core/map.h"

static char tmp[PATH_MAX];  /* the test's directory */
static char root[PATH_MAX]; /* tmp/root, 0700 */
static char src[PATH_MAX];  /* tmp/src/pkg, an existing source directory */
static struct pcr_mapping m;
static char entry[PATH_MAX], fanout[PATH_MAX], layout[PATH_MAX], record[PATH_MAX];

/* Maps <dir>/__pycache__/m.cpython-311.pyc into m. */
static void map_source(const char *dir)
{
	char path[PATH_MAX];
	unit_path(path, "%s/__pycache__/m.cpython-311.pyc", dir);
	cr_assert_eq(pcr_map_path(root, strlen(root), NULL, path, &pcr_keyer_spelling, &m),
		     PCR_MAP_OK);
	cr_assert_str_eq(pcr_map_source(&m), dir);
}

static void setup(void)
{
	unit_mkdtemp(tmp, sizeof tmp);
	unit_path(root, "%s/root", tmp);
	cr_assert_eq(mkdir(root, 0700), 0);
	char s[PATH_MAX];
	unit_path(s, "%s/src", tmp);
	cr_assert_eq(mkdir(s, 0755), 0);
	unit_path(src, "%s/src/pkg", tmp);
	cr_assert_eq(mkdir(src, 0755), 0);
	map_source(src);

	layout_central_of_spelling(entry, sizeof entry, root, src, NULL);
	unit_path(record, "%s.src", entry);
	unit_path(fanout, "%.*s", (int)(strlen(entry) - 33), entry);
	unit_path(layout, "%s/v2", root);
}

static void teardown(void) { unit_rm_rf(tmp); }

TestSuite(entry, .init = setup, .fini = teardown);

static void check_mode(const char *path, mode_t type, int mode)
{
	struct stat st;
	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(st.st_mode & S_IFMT, type, "%s: type %o", path, st.st_mode & S_IFMT);
	cr_assert_eq(st.st_mode & 07777, (mode_t)mode, "%s: mode %o, expected %o", path,
		     st.st_mode & 07777, mode);
	cr_assert_eq(st.st_uid, geteuid());
}

/* The names in dir, sorted and joined with spaces. */
static void list_dir(const char *dir, char *out, size_t size)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	cr_assert_geq(n, 0, "%s: %s", dir, strerror(errno));
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			if (out[0])
				strncat(out, " ", size - strlen(out) - 1);
			strncat(out, names[i]->d_name, size - strlen(out) - 1);
		}
		free(names[i]);
	}
	free(names);
}

static void check_record(const char *want)
{
	char buf[PATH_MAX + 16];
	long n = unit_read_file(record, buf, sizeof buf);
	cr_assert_geq(n, 0, "%s: %s", record, strerror(errno));
	cr_assert_eq((size_t)n, strlen(want), "%s: %ld bytes \"%s\"", record, n, buf);
	cr_assert_str_eq(buf, want);
}

static void check_source_recorded(void)
{
	char want[PATH_MAX + 2];
	unit_path(want, "%s\n", src);
	check_record(want);
	check_mode(record, S_IFREG, 0600);
}

/* What is beside the entry directory: exactly the entry and its record. */
static void check_fanout_holds_only_entry_and_record(void)
{
	char got[1024], want[128];
	const char *key = entry + strlen(entry) - 32;
	unit_path(want, "%s %s.src", key, key);
	list_dir(fanout, got, sizeof got);
	cr_assert_str_eq(got, want, "left in %s", fanout);
}

static void create_with_umask(mode_t mask)
{
	umask(mask);
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), 0, "%s", strerror(errno));
	check_mode(layout, S_IFDIR, 0700);
	check_mode(fanout, S_IFDIR, 0700);
	check_mode(entry, S_IFDIR, 0700);
	check_source_recorded();
	check_fanout_holds_only_entry_and_record();
	char got[64];
	list_dir(entry, got, sizeof got);
	cr_assert_str_eq(got, "", "the entry directory is not empty");
}

Test(entry, create_makes_entry_0700_and_record_0600_with_umask_0) { create_with_umask(0); }

Test(entry, create_makes_entry_0700_and_record_0600_with_umask_077) { create_with_umask(077); }

Test(entry, create_with_existing_parents)
{
	cr_assert_eq(mkdir(layout, 0700), 0);
	cr_assert_eq(mkdir(fanout, 0700), 0);
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), 0, "%s", strerror(errno));
	check_mode(entry, S_IFDIR, 0700);
	check_source_recorded();
}

/* A second create says EEXIST and leaves the record as it is. */
Test(entry, second_create_is_eexist_and_keeps_the_record)
{
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), 0);
	unit_write_file(record, "sentinel\n");
	errno = 0;
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), -1);
	cr_assert_eq(errno, EEXIST, "errno %d (%s)", errno, strerror(errno));
	check_record("sentinel\n");
	check_fanout_holds_only_entry_and_record();
}

/* central is scratch space for the mkdirs and the record: every byte of
 * the central path and the source comes back (the buffer's free part is
 * scratch), and so does every other field. */
static void check_mapping_kept(const struct pcr_mapping *before, const char *what)
{
	size_t used = before->source_at + before->source_len + 1;
	cr_assert_arr_eq(m.central, before->central, used, "%s changed the mapping's paths", what);
	cr_assert_arr_eq((const char *)&m + sizeof m.central,
			 (const char *)before + sizeof m.central, sizeof m - sizeof m.central,
			 "%s changed the mapping's fields", what);
}

Test(entry, central_is_unchanged)
{
	static struct pcr_mapping before;
	memcpy(&before, &m, sizeof m);
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), 0);
	check_mapping_kept(&before, "create_parents");
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), 0);
	check_mapping_kept(&before, "create");
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), -1);
	check_mapping_kept(&before, "a failed create");
	cr_assert_eq(pcr_entry_record_source(&pcr_fs_libc, &m), 0);
	check_mapping_kept(&before, "record_source");
}

/* The mapping of the __pycache__ directory itself works the same way. */
Test(entry, create_from_a_dir_mapping)
{
	char path[PATH_MAX];
	unit_path(path, "%s/__pycache__", src);
	cr_assert_eq(pcr_map_path(root, strlen(root), NULL, path, &pcr_keyer_spelling, &m),
		     PCR_MAP_OK);
	cr_assert(m.is_dir);
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), 0);
	check_mode(entry, S_IFDIR, 0700);
	check_source_recorded();
}

/* The library never makes the root itself: that is root_prepare's job. */
Test(entry, create_without_root_is_enoent)
{
	cr_assert_eq(rmdir(root), 0);
	errno = 0;
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), -1);
	cr_assert_eq(errno, ENOENT, "errno %d (%s)", errno, strerror(errno));
	cr_assert_eq(unit_mode(root), -1);
}

Test(entry, create_parents_makes_only_the_parents)
{
	umask(0);
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), 0, "%s", strerror(errno));
	check_mode(layout, S_IFDIR, 0700);
	check_mode(fanout, S_IFDIR, 0700);
	cr_assert_eq(unit_mode(entry), -1, "made the entry directory");
	cr_assert_eq(unit_mode(record), -1, "wrote a record");
	/* Again: EEXIST on both is success. */
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), 0, "%s", strerror(errno));
}

Test(entry, create_parents_reports_a_file_in_the_way)
{
	unit_write_file(layout, "not a dir");
	errno = 0;
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), -1);
	cr_assert_eq(errno, ENOTDIR, "errno %d (%s)", errno, strerror(errno));
	errno = 0;
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), -1);
	cr_assert_eq(errno, ENOTDIR, "errno %d (%s)", errno, strerror(errno));
}

/* The temporary name is <entry>.src.pcr-tmp.<pid> (core/atomic.h; the test runs in its own process). */
static void temp_name(char *out, size_t size)
{
	int n = snprintf(out, size, "%s.pcr-tmp.%ld", record, (long)getpid());
	cr_assert(n > 0 && (size_t)n < size);
}

Test(entry, record_source_writes_path_and_newline)
{
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), 0);
	umask(0);
	cr_assert_eq(pcr_entry_record_source(&pcr_fs_libc, &m), 0, "%s", strerror(errno));
	check_source_recorded();
	char t[PATH_MAX];
	temp_name(t, sizeof t);
	cr_assert_eq(unit_mode(t), -1, "temporary file left behind");
}

/* A file already at this pid's temporary name can only be a crashed
 * writer's that had the same pid (only the process that made the entry
 * writes its record): it is replaced, and the record is written. */
Test(entry, record_source_replaces_a_stale_temp_file)
{
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), 0);
	char t[PATH_MAX];
	temp_name(t, sizeof t);
	unit_write_file(t, "stale");
	cr_assert_eq(pcr_entry_record_source(&pcr_fs_libc, &m), 0, "errno %d (%s)", errno,
		     strerror(errno));
	char buf[PATH_MAX + 2], expect[PATH_MAX + 2];
	unit_path(expect, "%s\n", pcr_map_source(&m));
	cr_assert_geq(unit_read_file(record, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, expect);
	check_mode(record, S_IFREG, 0600);
	cr_assert_eq(unit_mode(t), -1, "temporary file left behind");
}

/* A symlink at the temporary name is removed, never followed to its target. */
Test(entry, record_source_does_not_follow_a_planted_symlink)
{
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), 0);
	char t[PATH_MAX], victim[PATH_MAX], missing[PATH_MAX];
	temp_name(t, sizeof t);
	unit_path(victim, "%s/victim", tmp);
	unit_path(missing, "%s/missing", tmp);
	unit_write_file(victim, "victim");

	cr_assert_eq(symlink(victim, t), 0);
	cr_assert_eq(pcr_entry_record_source(&pcr_fs_libc, &m), 0);
	char buf[64];
	cr_assert_eq(unit_read_file(victim, buf, sizeof buf), 6);
	cr_assert_str_eq(buf, "victim");
	check_mode(record, S_IFREG, 0600);
	cr_assert_eq(unit_mode(t), -1, "the planted symlink is still there");

	/* A dangling one: its target is not created. */
	cr_assert_eq(unlink(record), 0);
	cr_assert_eq(symlink(missing, t), 0);
	cr_assert_eq(pcr_entry_record_source(&pcr_fs_libc, &m), 0);
	cr_assert_eq(unit_mode(missing), -1, "created the symlink's target");
	check_mode(record, S_IFREG, 0600);
}

/* A symlink planted at <key>.src itself is replaced, its target untouched. */
Test(entry, record_source_replaces_a_planted_record_symlink)
{
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), 0);
	char victim[PATH_MAX];
	unit_path(victim, "%s/victim", tmp);
	unit_write_file(victim, "victim");
	cr_assert_eq(symlink(victim, record), 0);
	cr_assert_eq(pcr_entry_record_source(&pcr_fs_libc, &m), 0, "%s", strerror(errno));
	char buf[64];
	cr_assert_eq(unit_read_file(victim, buf, sizeof buf), 6);
	cr_assert_str_eq(buf, "victim");
	check_source_recorded();
}

Test(entry, record_source_without_parents_is_enoent)
{
	errno = 0;
	cr_assert_eq(pcr_entry_record_source(&pcr_fs_libc, &m), -1);
	cr_assert_eq(errno, ENOENT, "errno %d (%s)", errno, strerror(errno));
}

/* The best-effort record does not decide create's result. */
Test(entry, create_succeeds_when_the_record_cannot_be_written)
{
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), 0);
	char t[PATH_MAX];
	temp_name(t, sizeof t);
	/* A directory at the temporary name: neither unlink nor open gets past it. */
	cr_assert_eq(mkdir(t, 0700), 0);
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), 0, "%s", strerror(errno));
	check_mode(entry, S_IFDIR, 0700);
	cr_assert_eq(unit_mode(record), -1);
	check_mode(t, S_IFDIR, 0700);
}

/* ---- a file system that fails on demand ------------------------------- */

static int fail_errno;
static int fail_mkdir(const char *p, mode_t mode)
{
	(void)p;
	(void)mode;
	return (errno = fail_errno), -1;
}
static int fail_rename(const char *a, const char *b)
{
	(void)a;
	(void)b;
	return (errno = fail_errno), -1;
}
static int libc_open(const char *p, int flags, mode_t mode) { return open(p, flags, mode); }

Test(entry, create_propagates_mkdir_errors)
{
	const struct pcr_fs fs = { .lstat = lstat,
				   .stat = stat,
				   .mkdir = fail_mkdir,
				   .open = libc_open,
				   .rename = rename,
				   .unlink = unlink,
				   .access = access };
	fail_errno = ENOSPC;
	errno = 0;
	cr_assert_eq(pcr_entry_create(&fs, &m), -1);
	cr_assert_eq(errno, ENOSPC, "errno %d (%s)", errno, strerror(errno));
	errno = 0;
	cr_assert_eq(pcr_entry_create_parents(&fs, &m), -1);
	cr_assert_eq(errno, ENOSPC);
	cr_assert_eq(unit_mode(layout), -1);
}

/* rename fails: the error comes back and the temporary file is removed. */
Test(entry, record_source_cleans_up_after_a_failed_rename)
{
	cr_assert_eq(pcr_entry_create_parents(&pcr_fs_libc, &m), 0);
	const struct pcr_fs fs = { .lstat = lstat,
				   .stat = stat,
				   .mkdir = mkdir,
				   .open = libc_open,
				   .rename = fail_rename,
				   .unlink = unlink,
				   .access = access };
	fail_errno = EXDEV;
	errno = 0;
	cr_assert_eq(pcr_entry_record_source(&fs, &m), -1);
	cr_assert_eq(errno, EXDEV, "errno %d (%s)", errno, strerror(errno));
	char got[1024];
	list_dir(fanout, got, sizeof got);
	cr_assert_str_eq(got, "", "left behind: %s", got);
}

/* The record read back names the source; removing it leaves the entry. */
Test(entry, record_read_back_and_removed)
{
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), 0, "%s", strerror(errno));
	char e[PATH_MAX + 8], buf[PATH_MAX];
	unit_path(e, "%s", entry);
	cr_assert_eq(pcr_entry_read_record(&pcr_fs_libc, e, strlen(e), buf, sizeof buf), 0, "%s",
		     strerror(errno));
	cr_assert_str_eq(buf, src);
	cr_assert_str_eq(e, entry, "the entry's path is left as it was");
	cr_assert_eq(pcr_entry_remove_record(&pcr_fs_libc, &m), 0);
	cr_assert_eq(unit_mode(record), -1, "record left behind");
	check_mode(entry, S_IFDIR, 0700);
	cr_assert_eq(pcr_entry_read_record(&pcr_fs_libc, e, strlen(e), buf, sizeof buf), -1);
	cr_assert_eq(errno, ENOENT);
}

/* A record that is not one absolute line is no hint at all. */
Test(entry, record_that_is_not_one_absolute_line_is_refused)
{
	cr_assert_eq(pcr_entry_create(&pcr_fs_libc, &m), 0, "%s", strerror(errno));
	static const char *const bad[] = { "",         "\n",          "relative/dir\n",
					   "/a\n/b\n", "/no/newline", "/a\nb" };
	char e[PATH_MAX + 8], buf[PATH_MAX];
	unit_path(e, "%s", entry);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		unlink(record);
		unit_write_file(record, bad[i]);
		errno = 0;
		cr_assert_eq(pcr_entry_read_record(&pcr_fs_libc, e, strlen(e), buf, sizeof buf), -1,
			     "\"%s\" accepted", bad[i]);
		cr_assert_eq(errno, EINVAL, "\"%s\": %s", bad[i], strerror(errno));
	}
	/* A record as long as the buffer cannot be whole. */
	unlink(record);
	unit_write_file(record, "/abc\n");
	cr_assert_eq(pcr_entry_read_record(&pcr_fs_libc, e, strlen(e), buf, 5), -1);
	cr_assert_eq(pcr_entry_read_record(&pcr_fs_libc, e, strlen(e), buf, 6), 0);
	cr_assert_str_eq(buf, "/abc");
}
