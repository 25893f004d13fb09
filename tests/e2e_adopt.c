/* pycache-redirect adopt: a tree's real __pycache__ directories, left from
 * before the redirect, moved into the cache (or removed), so that the tree
 * is clean and the warm run reads the adopted pycs without compiling. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

/* The umask the command runs with (it is the tests' own). */
static mode_t current_umask(void)
{
	mode_t mask = umask(0);
	umask(mask);
	return mask;
}

static struct harness_result *adopt(const struct harness_fixture *f, const char *const *args)
{
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	return harness_cli(f, f->tree, (const char *[]){ dir, NULL }, args);
}

/* The sample compiled in its tree, as before the redirect, with a
 * __pycache__ of a directory of its own that also holds a note, and a
 * symlink named __pycache__ that points elsewhere. */
static void tree_with_old_caches(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r = harness_python(f, py, false, NULL, "-m", "app", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	char path[PATH_MAX + 64];
	HARNESS_PATH(path, "%s/mixed", f->tree);
	cr_assert_eq(mkdir(path, 0755), 0);
	HARNESS_PATH(path, "%s/mixed/__pycache__", f->tree);
	cr_assert_eq(mkdir(path, 0755), 0);
	HARNESS_PATH(path, "%s/mixed/__pycache__/x.cpython-311.pyc", f->tree);
	harness_write_file(path, "not really bytecode");
	HARNESS_PATH(path, "%s/mixed/__pycache__/NOTES", f->tree);
	harness_write_file(path, "mine\n");
	char target[PATH_MAX], link[PATH_MAX + 64];
	HARNESS_PATH(target, "%s/elsewhere", f->dir);
	cr_assert_eq(mkdir(target, 0755), 0);
	HARNESS_PATH(path, "%s/elsewhere/y.pyc", f->dir);
	harness_write_file(path, "pyc");
	HARNESS_PATH(link, "%s/linked", f->tree);
	cr_assert_eq(mkdir(link, 0755), 0);
	HARNESS_PATH(link, "%s/linked/__pycache__", f->tree);
	cr_assert_eq(symlink(target, link), 0);
}

static void adopts(const struct harness_interp *py, struct harness_fixture *f)
{
	tree_with_old_caches(py, f);
	size_t before = harness_count_files(f->tree, ".pyc");
	cr_assert_geq(before, HARNESS_SAMPLE_MODULES + 1);

	struct harness_result *r = adopt(f, (const char *[]){ "adopt", "--dry-run", NULL });
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	char want[128];
	HARNESS_PATH(want, "would adopt %d pycs from 2 __pycache__ directories",
		     HARNESS_SAMPLE_MODULES);
	cr_assert(strstr(r->out, want), "%s: %s", py->label, r->out);
	cr_assert(strstr(r->out, "mixed/__pycache__: it holds NOTES, which is not a pyc"), "%s",
		  r->out);
	free(r);
	cr_assert_eq(harness_count_files(f->tree, ".pyc"), before, "the dry run moved pycs");
	cr_assert(!harness_exists(f->root), "the dry run made the root");
	/* The modes Python gave the pycs in the tree; one made another's. */
	mode_t in_tree[HARNESS_SAMPLE_MODULES];
	for (size_t i = 0; i < HARNESS_SAMPLE_MODULES; i++) {
		char pyc[PATH_MAX];
		struct stat st;
		HARNESS_PATH(pyc, "%s/%s/__pycache__/%s.%s.pyc", f->tree,
			     harness_sample_modules[i].dir, harness_sample_modules[i].name,
			     py->tag);
		if (i == 2)
			cr_assert_eq(chmod(pyc, 0640), 0, "%s: %s", pyc, strerror(errno));
		cr_assert_eq(stat(pyc, &st), 0, "%s: %s", pyc, strerror(errno));
		in_tree[i] = st.st_mode & 07777;
	}

	r = adopt(f, (const char *[]){ "adopt", NULL });
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	HARNESS_PATH(want, "adopted %d pycs from 2 __pycache__ directories",
		     HARNESS_SAMPLE_MODULES);
	cr_assert(strstr(r->out, want), "%s: %s", py->label, r->out);
	free(r);
	/* The tree is clean but for what is not only pycs, and the link. */
	char path[PATH_MAX + 64];
	HARNESS_PATH(path, "%s/app/__pycache__", f->tree);
	cr_assert(!harness_exists(path), "%s: %s stayed", py->label, path);
	HARNESS_PATH(path, "%s/mixed/__pycache__/NOTES", f->tree);
	cr_assert(harness_exists(path), "a __pycache__ with more than pycs was touched");
	HARNESS_PATH(path, "%s/elsewhere/y.pyc", f->dir);
	cr_assert(harness_exists(path), "adopt followed a symlinked __pycache__");
	/* Each pyc at its central name, with its mode, in entries with their
	 * records. */
	struct stat st[HARNESS_SAMPLE_MODULES];
	for (size_t i = 0; i < HARNESS_SAMPLE_MODULES; i++) {
		char pyc[PATH_MAX];
		harness_sample_pyc(pyc, sizeof pyc, f, py, harness_sample_modules[i].dir,
				   harness_sample_modules[i].name, "");
		cr_assert_eq(stat(pyc, &st[i]), 0, "%s: no %s", py->label, pyc);
		cr_assert_eq(st[i].st_mode & 07777, in_tree[i], "%s: %s is %o, not %o", py->label,
			     pyc, st[i].st_mode & 07777, in_tree[i]);
	}
	cr_assert_eq(harness_count_files(f->root, ".src"), 2);

	/* The warm run under the library reads them: nothing compiled again. */
	free(harness_run_app(f, py, NULL, NULL));
	for (size_t i = 0; i < HARNESS_SAMPLE_MODULES; i++) {
		char pyc[PATH_MAX];
		struct stat now;
		harness_sample_pyc(pyc, sizeof pyc, f, py, harness_sample_modules[i].dir,
				   harness_sample_modules[i].name, "");
		cr_assert_eq(stat(pyc, &now), 0);
		cr_assert(now.st_ino == st[i].st_ino && now.st_mtim.tv_sec == st[i].st_mtim.tv_sec,
			  "%s: %s was compiled again", py->label, pyc);
	}
	HARNESS_PATH(path, "%s/app/__pycache__", f->tree);
	cr_assert(!harness_exists(path), "%s: the warm run wrote into the tree", py->label);
}

Test(adopt, old_caches_move_into_the_cache_and_are_read_warm) { harness_each_python(adopts); }

Test(adopt, remove_deletes_them_instead)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	tree_with_old_caches(py, &f);
	struct harness_result *r = adopt(&f, (const char *[]){ "adopt", "--remove", "app", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	char want[128];
	HARNESS_PATH(want, "removed %d pycs from 2 __pycache__ directories",
		     HARNESS_SAMPLE_MODULES);
	cr_assert(strstr(r->out, want), "%s", r->out);
	free(r);
	cr_assert_eq(harness_count_files(f.tree, ".pyc"), 1, "only mixed/__pycache__'s is left");
	char path[PATH_MAX + 64];
	HARNESS_PATH(path, "%s/app/stats/__pycache__", f.tree);
	cr_assert(!harness_exists(path), "%s stayed", path);
	cr_assert(!harness_exists(f.root), "--remove put something in the cache");
	r = adopt(&f, (const char *[]){ "adopt", "a", "b", NULL });
	cr_assert_eq(r->status, 2);
	free(r);
	r = adopt(&f, (const char *[]){ "adopt", "no-such-dir", NULL });
	cr_assert_eq(r->status, 1, "%s", r->err);
	free(r);
	harness_fixture_fini(&f);
}

/* A pyc another user owns, with a second link they keep: adopted as a file
 * of this user's, never the same inode, so that nobody else can write what
 * the cache holds. */
Test(adopt, another_users_pyc_comes_in_as_a_copy_of_ours)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give a file to another uid");
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *r = harness_python(&f, py, false, NULL, "-m", "app", NULL);
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	char pyc[PATH_MAX], theirs[PATH_MAX + 16];
	HARNESS_PATH(pyc, "%s/app/__pycache__/text.%s.pyc", f.tree, py->tag);
	HARNESS_PATH(theirs, "%s/their-link", f.dir);
	cr_assert_eq(chown(pyc, 4242, 4242), 0);
	cr_assert_eq(chmod(pyc, 0666), 0);
	cr_assert_eq(link(pyc, theirs), 0);
	struct stat before;
	cr_assert_eq(stat(pyc, &before), 0);

	r = adopt(&f, (const char *[]){ "adopt", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	char central[PATH_MAX];
	harness_sample_pyc(central, sizeof central, &f, py, "app", "text", "");
	struct stat st;
	cr_assert_eq(stat(central, &st), 0, "no %s", central);
	cr_assert_eq(st.st_uid, geteuid(), "the central pyc is uid %u's", (unsigned)st.st_uid);
	cr_assert_eq(st.st_mode & 07777, 0666 & ~current_umask(),
		     "the mode it had, under the umask");
	cr_assert(st.st_ino != before.st_ino, "the cache holds the other user's inode");
	cr_assert_eq(st.st_nlink, 1);
	harness_fixture_fini(&f);
}
