/* core/atomic.c: the temporary names, the test that recognises them, and a
 * file written whole through one, on a real temporary directory. */
#include "unit.h"

#include <dirent.h>

#include "core/atomic.h"
#include "core/fs.h"

static char dir[PATH_MAX];

static void setup(void) { unit_mkdtemp(dir, sizeof dir); }

static void teardown(void) { unit_rm_rf(dir); }

TestSuite(atomic, .init = setup, .fini = teardown);

Test(atomic, tmp_name_is_final_mark_and_pid)
{
	char out[64];
	cr_assert_eq(pcr_tmp_name("/c/x.pyc", 4242, out, sizeof out),
		     strlen("/c/x.pyc.pcr-tmp.4242"));
	cr_assert_str_eq(out, "/c/x.pyc.pcr-tmp.4242");
	/* The name and 20 digits must fit, whatever the pid. */
	cr_assert_eq(pcr_tmp_name("/c/x.pyc", 1, out, strlen("/c/x.pyc.pcr-tmp.") + 20), 0);
	cr_assert_neq(pcr_tmp_name("/c/x.pyc", 1, out, strlen("/c/x.pyc.pcr-tmp.") + 21), 0);
}

Test(atomic, every_writer_s_temporary_name_is_recognised)
{
	static const char *const temporary[] = {
		"m.cpython-311.pyc.pcr-tmp.17",    /* ours */
		"0123abcd.src.pcr-tmp.99",         /* a record's, ours */
		"0123abcd.src.4242",               /* a record's, before */
		"m.cpython-311.pyc.pcr-move.4242", /* an emulated move's, before */
		"m.cpython-311.pyc.140234234",     /* Python's importlib */
		"m.pyc.1",
	};
	static const char *const not_temporary[] = {
		"m.cpython-311.pyc", "0123abcd.src", "notes.txt.1", "m.pyc.", "m.pyc.12a",
		"m.pcr-tmp.",        ".pyc.1x",      "pyc.1",       "usage",
	};
	for (size_t i = 0; i < sizeof temporary / sizeof *temporary; i++)
		cr_expect(pcr_is_tmp_name(temporary[i]), "%s", temporary[i]);
	for (size_t i = 0; i < sizeof not_temporary / sizeof *not_temporary; i++)
		cr_expect(!pcr_is_tmp_name(not_temporary[i]), "%s", not_temporary[i]);
	/* What pcr_tmp_name makes, it recognises. */
	char out[64];
	pcr_tmp_name("m.cpython-312.pyc", 123456, out, sizeof out);
	cr_expect(pcr_is_tmp_name(out), "%s", out);
}

/* The names in dir but "." and "..". */
static int names_in(const char *d)
{
	int n = 0;
	DIR *dd = opendir(d);
	cr_assert_not_null(dd);
	for (struct dirent *de; (de = readdir(dd));)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(dd);
	return n;
}

Test(atomic, write_puts_the_bytes_in_place_and_leaves_no_temporary)
{
	char final[PATH_MAX + 16], tmp[PATH_MAX + 64], text[64];
	unit_path(final, "%s/config", dir);
	cr_assert_eq(pcr_atomic_write(&pcr_fs_libc, final, tmp, sizeof tmp, "a 1\n", 4, 0600), 0);
	cr_assert_eq(unit_read_file(final, text, sizeof text), 4);
	cr_assert_str_eq(text, "a 1\n");
	cr_assert_eq(unit_mode(final), 0600);
	cr_assert_eq(names_in(dir), 1, "a temporary name stayed");
	/* Over an existing file; a temporary name of this pid that a crashed
	 * writer left is taken over. */
	char stale[PATH_MAX + 64];
	pcr_tmp_name(final, (unsigned long)getpid(), stale, sizeof stale);
	unit_write_file(stale, "crashed");
	cr_assert_eq(pcr_atomic_write(&pcr_fs_libc, final, tmp, sizeof tmp, "b 2\n", 4, 0600), 0);
	cr_assert_eq(unit_read_file(final, text, sizeof text), 4);
	cr_assert_str_eq(text, "b 2\n");
	cr_assert_eq(names_in(dir), 1, "a temporary name stayed");
}

Test(atomic, failed_write_leaves_nothing_and_says_why)
{
	char final[PATH_MAX + 16], tmp[PATH_MAX + 64];
	/* The rename fails: final is a directory that is not empty. */
	unit_path(final, "%s/d", dir);
	cr_assert(mkdir(final, 0700) == 0);
	char inside[PATH_MAX + 32];
	unit_path(inside, "%s/d/x", dir);
	unit_write_file(inside, "x");
	errno = 0;
	cr_assert_eq(pcr_atomic_write(&pcr_fs_libc, final, tmp, sizeof tmp, "a", 1, 0600), -1);
	cr_assert(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST, "errno %d", errno);
	cr_assert_eq(names_in(dir), 1, "a temporary name stayed");
	/* The temporary name does not fit its buffer. */
	unit_path(final, "%s/config", dir);
	errno = 0;
	cr_assert_eq(pcr_atomic_write(&pcr_fs_libc, final, tmp, strlen(final) + 5, "a", 1, 0600),
		     -1);
	cr_assert_eq(errno, ENAMETOOLONG);
	/* The directory is missing. */
	unit_path(final, "%s/missing/config", dir);
	errno = 0;
	cr_assert_eq(pcr_atomic_write(&pcr_fs_libc, final, tmp, sizeof tmp, "a", 1, 0600), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(names_in(dir), 1);
}
