/* Virtual listings: no Python program can tell its pycs live in the cache.
 * Each test does the same thing twice in one tree, once with in-tree
 * caching (no library) and once under the library, and compares what the
 * program saw, byte for byte: every way the standard library lists a
 * directory (tests/list_tree.py), copytree, rmtree, the modes, a wheel
 * built with compiled pycs, a git clone. Python 2.7 writes mod.pyc beside
 * mod.py: what it must see under the library is those sidecars beside
 * their sources, as in-tree, and no __pycache__. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "harness.h"

#define LIST_TREE PCR_TEST_SOURCE_DIR "/tests/list_tree.py"

/* py -c code in f's tree, under the library or not, plus env; fails the
 * test unless it exits 0. free() the result. */
static struct harness_result *python(const struct harness_fixture *f,
				     const struct harness_interp *py, bool redirect,
				     const char *const *env, const char *code)
{
	struct harness_result *r = harness_python(f, py, redirect, env, "-c", code, NULL);
	cr_assert_eq(r->status, 0, "%s (%s): exit %d\n%s", py->label,
		     redirect ? "library" : "in-tree", r->status, r->err);
	return r;
}

/* What tests/list_tree.py prints of top (relative to f's tree). */
static struct harness_result *list_tree(const struct harness_fixture *f,
					const struct harness_interp *py, bool redirect,
					const char *top)
{
	struct harness_result *r = harness_python(f, py, redirect, NULL, LIST_TREE, top, NULL);
	cr_assert_eq(r->status, 0, "%s (%s): list_tree.py %s: exit %d\n%s", py->label,
		     redirect ? "library" : "in-tree", top, r->status, r->err);
	return r;
}

/* Does not stop the test (its fixture is still removed): what differs,
 * as diff -u from the in-tree view to the library's. */
static void expect_same(const struct harness_fixture *f, const struct harness_interp *py,
			const char *what, const char *in_tree, const char *redirected)
{
	if (strcmp(in_tree, redirected) == 0)
		return;
	char a[PATH_MAX], b[PATH_MAX];
	HARNESS_PATH(a, "%s/in-tree.txt", f->dir);
	HARNESS_PATH(b, "%s/library.txt", f->dir);
	harness_write_file(a, in_tree);
	harness_write_file(b, redirected);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, f->dir, NULL, (const char *[]){ "/usr/bin/diff", "-u", a, b, NULL });
	cr_expect_fail("%s, %s: the library's view differs from in-tree caching's\n%s%s", py->label,
		       what, r->out, r->err);
	free(r);
	unlink(a);
	unlink(b);
}

static int remove_bytecode_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	const char *name = path + ftw->base;
	size_t n = strlen(name);
	if (type == FTW_DP && strcmp(name, "__pycache__") == 0)
		cr_assert(rmdir(path) == 0, "rmdir %s: %s", path, strerror(errno));
	else if (type == FTW_F &&
		 (strstr(path, "/__pycache__/") || (n > 4 && (strcmp(name + n - 4, ".pyc") == 0 ||
							      strcmp(name + n - 4, ".pyo") == 0))))
		cr_assert(unlink(path) == 0, "unlink %s: %s", path, strerror(errno));
	return 0;
}

/* The in-tree run's bytecode removed, so that the library's run starts
 * from the same tree (and its pycs, compiled from the same paths, have the
 * same bytes). */
static void remove_bytecode(const struct harness_fixture *f)
{
	cr_assert(nftw(f->tree, remove_bytecode_entry, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

/* Each interpreter found, Python 3 then 2.7, each in a fresh fixture. */
static void each_python_and_2(void (*body)(const struct harness_interp *py,
					   struct harness_fixture *f))
{
	harness_each_python(body);
	const struct harness_interp *list;
	size_t n = harness_python2_interpreters(&list);
	if (n == 0)
		cr_log_info("no CPython 2.7 here (pyenv install 2.7.18 provides one)");
	for (size_t i = 0; i < n; i++) {
		struct harness_fixture f;
		harness_fixture_init(&f);
		body(&list[i], &f);
		harness_fixture_fini(&f);
	}
}

/* The cache's entries (directories <root>/v2/<k0k1>/<key>) and records
 * (<key>.src), counted; the first of either found, for messages. */
static size_t entries_seen, records_seen;
static char first_seen[PATH_MAX];

static int count_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	const char *name = path + ftw->base;
	size_t n = strlen(name);
	bool entry = type == FTW_D && ftw->level == 3 && n == 32;
	bool record = type == FTW_F && ftw->level == 3 && n == 36 && strcmp(name + 32, ".src") == 0;
	if ((entry || record) && !*first_seen)
		snprintf(first_seen, sizeof first_seen, "%s", path);
	entries_seen += entry;
	records_seen += record;
	return 0;
}

static void count_entries(const struct harness_fixture *f)
{
	entries_seen = records_seen = 0;
	first_seen[0] = '\0';
	if (harness_exists(f->root))
		cr_assert(nftw(f->root, count_entry, 16, FTW_PHYS) == 0);
}

/* Every directory in the cache is the user's alone (0700), whatever
 * Python did to the virtual __pycache__ (copystat copies a mode onto it). */
static char open_dir[PATH_MAX];

static int check_private(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && ((st->st_mode & 07777) != 0700 || st->st_uid != geteuid()) &&
	    !*open_dir)
		snprintf(open_dir, sizeof open_dir, "%s (%04o, uid %u)", path,
			 (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid);
	return 0;
}

static void expect_cache_private(const struct harness_fixture *f, const struct harness_interp *py,
				 const char *what)
{
	open_dir[0] = '\0';
	if (harness_exists(f->root))
		cr_assert(nftw(f->root, check_private, 16, FTW_PHYS) == 0);
	cr_expect(!*open_dir, "%s, %s: a directory of the cache is open to others: %s", py->label,
		  what, open_dir);
}

/* ---- every way of listing ---- */

static const char import_app[] = "import app";

/* After an import, every listing of the package shows what in-tree
 * caching shows: __pycache__ entries as directories, the pycs in them
 * (2.7: mod.pyc beside mod.py), the same bytes and modes. */
static void same_listings(const struct harness_interp *py, struct harness_fixture *f)
{
	free(python(f, py, false, NULL, import_app));
	struct harness_result *in_tree = list_tree(f, py, false, "app");
	cr_assert(strstr(in_tree->out, py->major == 2 ? "text.pyc" : "__pycache__"),
		  "%s: in-tree caching wrote nothing?\n%s", py->label, in_tree->out);
	remove_bytecode(f);

	free(python(f, py, true, NULL, import_app));
	harness_assert_tree_clean(f, py);
	struct harness_result *redirected = list_tree(f, py, true, "app");
	expect_same(f, py, "listings of the package after an import", in_tree->out,
		    redirected->out);
	free(in_tree);
	free(redirected);
	harness_assert_tree_clean(f, py);
}

Test(listing, every_way_of_listing_sees_the_in_tree_names) { each_python_and_2(same_listings); }

/* shutil.rmtree of argv[1]; prints it and whether it still exists. */
static const char remove_tree[] =
    "import os, shutil, sys\n"
    "shutil.rmtree(sys.argv[1])\n"
    "sys.stdout.write('%s %s\\n' % (sys.argv[1], os.path.exists(sys.argv[1])))\n";

/* ---- a __pycache__ both in the tree and in the cache ---- */

/* In-tree pycs written before the library was switched on, a file of
 * another interpreter's, then, under the library, optimized pycs (central
 * names the tree lacks) and text's pyc again (a name both have): listed
 * once each, and all removed by rmtree. */
static const char compile_all[] = "import compileall; compileall.compile_dir('app', quiet=1)";
static const char recompile_text[] = "import py_compile; py_compile.compile('app/text.py')";

static void union_of_both(const struct harness_interp *py, struct harness_fixture *f)
{
	char other[PATH_MAX];
	HARNESS_PATH(other, "%s/app/__pycache__/other.cpython-99.pyc", f->tree);
	struct harness_result *views[2];
	for (int redirect = 0; redirect < 2; redirect++) {
		free(python(f, py, false, NULL, compile_all));
		harness_write_file(other, "another interpreter's bytes\n");
		struct harness_result *r =
		    harness_python(f, py, redirect, NULL, "-O", "-c", import_app, NULL);
		cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
		free(r);
		free(python(f, py, redirect, NULL, recompile_text));
		views[redirect] = list_tree(f, py, redirect, "app");
		if (!redirect)
			remove_bytecode(f);
	}
	/* The optimized pycs went to the cache, beside the tree's. */
	char pyc[PATH_MAX];
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "text", ".opt-1");
	cr_assert(harness_exists(pyc), "%s: no central %s", py->label, pyc);
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "text", "");
	cr_assert(harness_exists(pyc), "%s: no central %s", py->label, pyc);
	expect_same(f, py, "a __pycache__ in the tree and in the cache", views[0]->out,
		    views[1]->out);
	free(views[0]);
	free(views[1]);

	/* rmtree removes both halves (names only the tree has, names both
	 * have), then the directories: as in-tree, it succeeds and leaves
	 * nothing, in the tree or in the cache. */
	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-c", remove_tree, "app", NULL);
	cr_expect_eq(r->status, 0,
		     "%s: rmtree of a package with pycs in the tree and in the cache: %s",
		     py->label, r->err);
	cr_expect_str_eq(r->out, "app False\n", "%s: rmtree: %s%s", py->label, r->out, r->err);
	free(r);
	count_entries(f);
	cr_expect_eq(entries_seen + records_seen, 0,
		     "%s: after rmtree, %zu entries and %zu records left, first %s", py->label,
		     entries_seen, records_seen, first_seen);
}

Test(listing, pycache_lists_the_tree_and_the_cache_once_each)
{
	harness_each_python(union_of_both);
}

/* ---- copytree ---- */

static const char copy_app[] = "import shutil; shutil.copytree('app', 'copy')";

/* shutil.copytree copies the pycs (bytes and modes) as in-tree; the copy's
 * pycs go to the cache too, whose directories stay 0700 though copystat
 * copies the package's 0755 onto the copy's __pycache__. */
static void copytree(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *views[2];
	for (int redirect = 0; redirect < 2; redirect++) {
		free(python(f, py, redirect, NULL, import_app));
		free(python(f, py, redirect, NULL, copy_app));
		views[redirect] = list_tree(f, py, redirect, "copy");
		if (!redirect) {
			remove_bytecode(f);
			char copy[PATH_MAX];
			HARNESS_PATH(copy, "%s/copy", f->tree);
			harness_rmtree(copy);
		}
	}
	harness_assert_tree_clean(f, py);
	expect_same(f, py, "the copy shutil.copytree made", views[0]->out, views[1]->out);
	expect_cache_private(f, py, "after copytree");
	free(views[0]);
	free(views[1]);
}

Test(listing, copytree_copies_the_pycs) { each_python_and_2(copytree); }

/* ---- rmtree ---- */

/* shutil.rmtree of a copy of the package, then of the package: each tree
 * is gone, and so are its entries and their records (no orphans); the
 * package's entries outlive the copy's removal. */
static void rmtree(const struct harness_interp *py, struct harness_fixture *f)
{
	free(python(f, py, true, NULL, import_app));
	free(python(f, py, true, NULL, copy_app));
	count_entries(f);
	cr_expect_eq(entries_seen, 4, "%s: %zu entries for app, copy and their stats (copytree)",
		     py->label, entries_seen);

	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-c", remove_tree, "copy", NULL);
	cr_expect_eq(r->status, 0, "%s: rmtree of the copy: %s", py->label, r->err);
	cr_expect_str_eq(r->out, "copy False\n", "%s: rmtree of the copy: %s%s", py->label, r->out,
			 r->err);
	free(r);
	if (py->major == 2) {
		/* Python 2 removes a directory's pycs, never a __pycache__: the
		 * emptied entries stay for prune --orphans (README, Limits). */
		cr_log_info("%s: rmtree's emptied entries are left to prune (Python 2)", py->label);
		r = harness_python(f, py, true, NULL, "-c", remove_tree, "app", NULL);
		cr_expect_str_eq(r->out, "app False\n", "%s: rmtree: %s%s", py->label, r->out,
				 r->err);
		free(r);
		return;
	}
	count_entries(f);
	cr_expect_eq(entries_seen, 2, "%s: after rmtree of the copy, %zu entries (app's 2 wanted)",
		     py->label, entries_seen);
	cr_expect_eq(records_seen, 2, "%s: after rmtree of the copy, %zu records (app's 2 wanted)",
		     py->label, records_seen);
	char src[PATH_MAX], entry[PATH_MAX];
	HARNESS_PATH(src, "%s/app/stats", f->tree);
	layout_central_of_dir(entry, sizeof entry, f->root, src, NULL);
	cr_expect(harness_exists(entry), "%s: rmtree of the copy took app/stats' entry", py->label);

	r = harness_python(f, py, true, NULL, "-c", remove_tree, "app", NULL);
	cr_expect_eq(r->status, 0, "%s: rmtree of the package: %s", py->label, r->err);
	cr_expect_str_eq(r->out, "app False\n", "%s: rmtree: %s%s", py->label, r->out, r->err);
	free(r);
	count_entries(f);
	cr_expect_eq(entries_seen + records_seen, 0,
		     "%s: after rmtree of both trees, %zu entries and %zu records left, first %s",
		     py->label, entries_seen, records_seen, first_seen);
}

Test(listing, rmtree_leaves_no_entry_behind) { each_python_and_2(rmtree); }

/* A tree whose __pycache__ is a symlink (to another user's directory, say)
 * while its entry exists: rmtree unlinks the link, as in-tree, and never
 * touches what it points to. */
static void rmtree_of_a_linked_pycache(const struct harness_interp *py, struct harness_fixture *f)
{
	free(python(f, py, true, NULL, import_app));
	char other[PATH_MAX], kept[PATH_MAX], link[PATH_MAX];
	HARNESS_PATH(other, "%s/other", f->dir);
	HARNESS_PATH(kept, "%s/other/text.%s.pyc", f->dir, py->tag);
	HARNESS_PATH(link, "%s/app/__pycache__", f->tree);
	cr_assert_eq(mkdir(other, 0755), 0);
	harness_write_file(kept, "not yours");
	cr_assert_eq(symlink(other, link), 0);
	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-c", remove_tree, "app", NULL);
	cr_expect_eq(r->status, 0, "%s: rmtree of a tree whose __pycache__ is a link: %s",
		     py->label, r->err);
	cr_expect_str_eq(r->out, "app False\n", "%s: %s%s", py->label, r->out, r->err);
	free(r);
	char buf[64];
	cr_expect(harness_read_file(kept, buf, sizeof buf) >= 0 && strcmp(buf, "not yours") == 0,
		  "%s: rmtree reached the link's target", py->label);
	unlink(kept);
	rmdir(other);
}

Test(listing, rmtree_unlinks_a_linked_pycache_and_not_its_target)
{
	harness_each_python(rmtree_of_a_linked_pycache);
}

/* ---- modes ---- */

/* Modes as in-tree: a central pyc, one renamed out of __pycache__ (a
 * sourceless module) and one copied out, under umask 022 and 077; and
 * another user can neither read nor list anything in the cache. */
static const char modes_program[] = "import compileall, importlib.util, os, shutil\n"
				    "compileall.compile_dir('app', quiet=1)\n"
				    "def m(p): return oct(os.stat(p).st_mode & 0o7777)\n"
				    "t = importlib.util.cache_from_source('app/text.py')\n"
				    "v = importlib.util.cache_from_source('app/version.py')\n"
				    "shutil.copy(t, 'app/copied.pyc')\n"
				    "os.rename(v, 'app/sourceless.pyc')\n"
				    "print(m(t), m('app/copied.pyc'), m('app/sourceless.pyc'))\n"
				    "import app.sourceless as s; print(s.VERSION)\n";

/* As uid 4242, every path of the cache: listed (directories) or read
 * (files); prints each with the errno name it met, or "ok". */
static const char try_all[] = "import errno, os, sys\n"
			      "for p in sys.argv[1:]:\n"
			      "    try:\n"
			      "        if os.path.isdir(p): os.listdir(p)\n"
			      "        else: open(p, 'rb').close()\n"
			      "        print(p, 'ok')\n"
			      "    except OSError as e:\n"
			      "        print(p, errno.errorcode[e.errno])\n";

/* Every path in the cache, after the argv's first fixed arguments. */
static const char *argv_paths[96];
static size_t nargv_paths;

static int note_path(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	cr_assert_lt(nargv_paths, sizeof argv_paths / sizeof *argv_paths - 1, "a larger cache");
	argv_paths[nargv_paths++] = strdup(path);
	return 0;
}

static void closed_to_others(const struct harness_fixture *f, const struct harness_interp *py)
{
	char setpriv[PATH_MAX];
	if (geteuid() != 0 || !harness_have_program("setpriv", setpriv, sizeof setpriv) ||
	    !harness_exists("/usr/bin/python3")) {
		cr_log_info("%s: another user's view of the cache not tried (needs root, setpriv "
			    "and /usr/bin/python3)",
			    py->label);
		return;
	}
	/* The fixture's directory is 0700 (mkdtemp): open it, so that only the
	 * cache's own modes keep uid 4242 out. */
	cr_assert(chmod(f->dir, 0755) == 0);
	const char *fixed[] = { setpriv,          "--reuid=4242",     "--regid=4242",
				"--clear-groups", "/usr/bin/python3", "-c",
				try_all };
	size_t nfixed = sizeof fixed / sizeof *fixed;
	memcpy(argv_paths, fixed, sizeof fixed);
	nargv_paths = nfixed;
	cr_assert(nftw(f->root, note_path, 16, FTW_PHYS) == 0);
	argv_paths[nargv_paths] = NULL;
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, "/", NULL, argv_paths);
	cr_assert_eq(r->status, 0, "as uid 4242: %s", r->err);
	/* Each line "<path> EACCES"; the root first, then what lies in it. */
	size_t lines = 0;
	for (char *save, *line = strtok_r(r->out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), lines++)
		cr_expect(strlen(line) > 7 && strcmp(line + strlen(line) - 7, " EACCES") == 0,
			  "%s: uid 4242 was not refused: %s", py->label, line);
	cr_expect_eq(lines, nargv_paths - nfixed, "%s: %zu answers for %zu paths", py->label, lines,
		     nargv_paths - nfixed);
	free(r);
	for (size_t i = nfixed; i < nargv_paths; i++)
		free((char *)argv_paths[i]);
	cr_assert(chmod(f->dir, 0700) == 0);
}

static void modes_under(const struct harness_interp *py, struct harness_fixture *f, mode_t mask)
{
	char made[2][PATH_MAX];
	HARNESS_PATH(made[0], "%s/app/copied.pyc", f->tree);
	HARNESS_PATH(made[1], "%s/app/sourceless.pyc", f->tree);
	mode_t old = umask(mask);
	struct harness_result *in_tree = python(f, py, false, NULL, modes_program);
	remove_bytecode(f);
	struct harness_result *redirected = python(f, py, true, NULL, modes_program);
	umask(old);
	char what[64];
	HARNESS_PATH(what, "modes under umask %03o", (unsigned)mask);
	expect_same(f, py, what, in_tree->out, redirected->out);
	/* What the library's run put beside the sources is real, in the tree. */
	for (size_t i = 0; i < 2; i++) {
		struct stat st;
		cr_assert(lstat(made[i], &st) == 0 && S_ISREG(st.st_mode), "%s: no %s", py->label,
			  made[i]);
		cr_assert(unlink(made[i]) == 0);
	}
	harness_assert_tree_clean(f, py);
	expect_cache_private(f, py, what);
	closed_to_others(f, py);
	free(in_tree);
	free(redirected);
	harness_rmtree(f->root);
}

static void modes(const struct harness_interp *py, struct harness_fixture *f)
{
	modes_under(py, f, 022);
	modes_under(py, f, 077);
}

Test(listing, modes_are_the_in_tree_modes_and_others_are_kept_out) { harness_each_python(modes); }

/* ---- a wheel with compiled pycs ---- */

/* A project of the sample package whose build_py compiles (setup.cfg). */
static void make_project(const struct harness_fixture *f, const struct harness_interp *py,
			 char *proj, size_t size)
{
	harness_format(proj, size, "%s/proj", f->dir);
	free(python(f, py, false, NULL, "import shutil; shutil.copytree('app', '../proj/app')"));
	char path[PATH_MAX + 16];
	HARNESS_PATH(path, "%s/setup.cfg", proj);
	harness_write_file(path, "[metadata]\nname = app\nversion = 1\n\n"
				 "[options]\npackages = find:\n\n"
				 "[build_py]\ncompile = 1\n");
	HARNESS_PATH(path, "%s/setup.py", proj);
	harness_write_file(path, "from setuptools import setup\nsetup()\n");
}

/* The names in the one wheel in dir, sorted, a line each. */
static struct harness_result *wheel_names(const struct harness_fixture *f,
					  const struct harness_interp *py, const char *dir)
{
	static const char names[] = "import glob, sys, zipfile\n"
				    "w = glob.glob(sys.argv[1] + '/*.whl')\n"
				    "assert len(w) == 1, w\n"
				    "print('\\n'.join(sorted(zipfile.ZipFile(w[0]).namelist())))\n";
	struct harness_result *r = harness_python(f, py, false, NULL, "-c", names, dir, NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	return r;
}

static void wheel(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r =
	    harness_python(f, py, false, NULL, "-c",
			   "import setuptools, pip\n"
			   "try:\n"
			   "    import wheel\n"
			   "except ImportError:\n"
			   "    from setuptools.command import bdist_wheel\n",
			   NULL);
	if (r->status != 0) {
		cr_log_info(
		    "%s: no wheel built (needs pip, setuptools and wheel, or setuptools "
		    "70.1 or later; Debian: python3-pip, python3-setuptools, python3-wheel)",
		    py->label);
		free(r);
		return;
	}
	free(r);
	char proj[PATH_MAX], dist[PATH_MAX], home[PATH_MAX], tmp[PATH_MAX];
	make_project(f, py, proj, sizeof proj);
	HARNESS_PATH(dist, "%s/dist", f->dir);
	HARNESS_PATH(home, "%s/home", f->dir);
	HARNESS_PATH(tmp, "%s/tmp", f->dir);
	cr_assert(mkdir(home, 0700) == 0 && mkdir(tmp, 0700) == 0);
	char env_home[PATH_MAX + 8], env_tmp[PATH_MAX + 8];
	HARNESS_PATH(env_home, "HOME=%s", home);
	HARNESS_PATH(env_tmp, "TMPDIR=%s", tmp);
	/* Offline, without the machine's pip configuration, with the
	 * interpreter's own setuptools. */
	const char *env[] = { env_home,
			      env_tmp,
			      "PIP_CONFIG_FILE=/dev/null",
			      "PIP_NO_INDEX=1",
			      "PIP_DISABLE_PIP_VERSION_CHECK=1",
			      "PIP_NO_CACHE_DIR=1",
			      NULL };
	const char *const *argv =
	    HARNESS_ARGV_OF(py, py->path, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
			    "-w", dist, proj, NULL);
	struct harness_result *names[2];
	r = malloc(sizeof *r);
	cr_assert(r);
	for (int redirect = 0; redirect < 2; redirect++) {
		if (redirect)
			harness_run_redirected(r, f, f->dir, env, argv);
		else
			harness_run(r, f->dir, env, argv);
		cr_assert_eq(r->status, 0, "%s (%s): pip wheel: %s%s", py->label,
			     redirect ? "library" : "in-tree", r->out, r->err);
		names[redirect] = wheel_names(f, py, dist);
		/* The next build starts afresh: no build/, .egg-info or wheel. */
		harness_rmtree(dist);
		char path[PATH_MAX + 16];
		HARNESS_PATH(path, "%s/build", proj);
		harness_rmtree(path);
		HARNESS_PATH(path, "%s/app.egg-info", proj);
		harness_rmtree(path);
	}
	free(r);
	char want[128];
	HARNESS_PATH(want, "app/stats/__pycache__/count.%s.pyc\n", py->tag);
	cr_assert(strstr(names[0]->out, want), "%s: the in-tree wheel has no %s:\n%s", py->label,
		  want, names[0]->out);
	expect_same(f, py, "the names in a wheel built with compile = 1", names[0]->out,
		    names[1]->out);
	cr_expect_eq(harness_count_bytecode(proj, NULL, 0), 0, "%s: bytecode in %s", py->label,
		     proj);
	free(names[0]);
	free(names[1]);
}

Test(listing, a_wheel_built_with_compile_holds_the_same_pycs) { harness_each_python(wheel); }

/* ---- git, in scope all ---- */

/* git clone of a repository tracking files in a __pycache__ directory,
 * every program redirected (PYCACHE_REDIRECT_SCOPE=all): the clone's
 * status is clean, the files read back as committed, the tree has no
 * __pycache__ of its own; a pyc imported there shows as untracked. */
Test(listing, git_clones_a_tracked_pycache_cleanly_in_scope_all)
{
	char git[PATH_MAX];
	if (!harness_have_program("git", git, sizeof git))
		cr_skip_test("git is not on PATH (tests/setup --tests installs it)");
	struct harness_fixture fx, *f = &fx;
	harness_fixture_init(f);
	char home[PATH_MAX], env_home[PATH_MAX + 8], repo[PATH_MAX], path[PATH_MAX + 32];
	HARNESS_PATH(home, "%s/home", f->dir);
	cr_assert(mkdir(home, 0700) == 0);
	HARNESS_PATH(env_home, "HOME=%s", home);
	const char *env[] = { env_home,
			      "GIT_CONFIG_NOSYSTEM=1",
			      "GIT_AUTHOR_NAME=t",
			      "GIT_AUTHOR_EMAIL=t@example.org",
			      "GIT_COMMITTER_NAME=t",
			      "GIT_COMMITTER_EMAIL=t@example.org",
			      "PYCACHE_REDIRECT_SCOPE=all",
			      NULL };
	HARNESS_PATH(repo, "%s/repo", f->dir);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(
	    r, f->dir, env,
	    (const char *[]){ git, "-c", "init.defaultBranch=main", "init", "-q", repo, NULL });
	cr_assert_eq(r->status, 0, "git init: %s", r->err);
	HARNESS_PATH(path, "%s/pkg", repo);
	cr_assert(mkdir(path, 0755) == 0);
	HARNESS_PATH(path, "%s/pkg/__pycache__", repo);
	cr_assert(mkdir(path, 0755) == 0);
	HARNESS_PATH(path, "%s/pkg/mod.py", repo);
	harness_write_file(path, "X = 1\n");
	HARNESS_PATH(path, "%s/pkg/__pycache__/keep.txt", repo);
	harness_write_file(path, "kept by git\n");
	harness_run(r, repo, env, (const char *[]){ git, "add", "-A", NULL });
	cr_assert_eq(r->status, 0, "git add: %s", r->err);
	harness_run(r, repo, env, (const char *[]){ git, "commit", "-qm", "tracked", NULL });
	cr_assert_eq(r->status, 0, "git commit: %s", r->err);

	harness_run_redirected(r, f, f->dir, env,
			       (const char *[]){ git, "clone", "-q", repo, "clone", NULL });
	cr_expect_eq(r->status, 0, "git clone: %s", r->err);
	char clone[PATH_MAX];
	HARNESS_PATH(clone, "%s/clone", f->dir);
	harness_run_redirected(
	    r, f, clone, env,
	    (const char *[]){ git, "status", "--porcelain", "--untracked-files=all", NULL });
	cr_expect_eq(r->status, 0, "git status: %s", r->err);
	cr_expect_str_eq(r->out, "", "git status of the clone is not clean:\n%s", r->out);
	harness_run_redirected(r, f, clone, env,
			       (const char *[]){ "/bin/cat", "pkg/__pycache__/keep.txt", NULL });
	cr_expect_eq(r->status, 0, "cat: %s", r->err);
	cr_expect_str_eq(r->out, "kept by git\n", "the tracked file reads back otherwise");
	char first[PATH_MAX];
	cr_expect_eq(harness_count_bytecode(clone, first, sizeof first), 0,
		     "the clone has a __pycache__ of its own: %s", first);

	/* A pyc Python writes beside the tracked file is untracked, as in a
	 * clone made without the library: git lists the directory to see it. */
	const struct harness_interp *py = harness_first_python();
	const char *const import[] = { py->path, "-c", "import pkg.mod", NULL };
	const char *const status[] = { git, "status", "--porcelain", "--untracked-files=all",
				       NULL };
	harness_run_redirected(r, f, clone, env, import);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	harness_run_redirected(r, f, clone, env, status);
	char redirected[1024];
	HARNESS_PATH(redirected, "%s", r->out);
	harness_run(r, f->dir, env, (const char *[]){ git, "clone", "-q", repo, "plain", NULL });
	cr_assert_eq(r->status, 0, "git clone: %s", r->err);
	HARNESS_PATH(clone, "%s/plain", f->dir);
	harness_run(r, clone, env, import);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	harness_run(r, clone, env, status);
	cr_assert(strstr(r->out, "?? pkg/__pycache__/mod."), "in-tree, git status says\n%s",
		  r->out);
	cr_expect_str_eq(redirected, r->out,
			 "git status after an import: under the library\n%sin-tree\n%s", redirected,
			 r->out);
	free(r);
	harness_fixture_fini(f);
}

/* ---- programs other than Python ---- */

/* In the default scope ls and find see the real tree (no __pycache__)
 * while Python, in the same environment, sees the virtual one. */
Test(listing, other_programs_see_the_real_tree)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture fx, *f = &fx;
	harness_fixture_init(f);
	free(python(f, py, true, NULL, import_app));
	const char *const programs[][5] = {
		{ "/bin/ls", "-A", "app", "app/stats", NULL },
		{ "/usr/bin/find", "app", NULL },
	};
	struct harness_result *plain = malloc(sizeof *plain), *redirected = malloc(sizeof *plain);
	cr_assert(plain && redirected);
	for (size_t i = 0; i < sizeof programs / sizeof *programs; i++) {
		harness_run(plain, f->tree, NULL, programs[i]);
		harness_run_redirected(redirected, f, f->tree, NULL, programs[i]);
		cr_assert_eq(redirected->status, 0, "%s: %s", programs[i][0], redirected->err);
		cr_expect_str_eq(redirected->out, plain->out, "%s under the library:\n%s",
				 programs[i][0], redirected->out);
		cr_expect_not(strstr(redirected->out, "__pycache__"), "%s sees:\n%s",
			      programs[i][0], redirected->out);
	}
	free(plain);
	free(redirected);
	struct harness_result *r =
	    python(f, py, true, NULL,
		   "import os; print(sorted(os.listdir('app')), sorted(os.listdir('app/stats')))");
	cr_expect_str_eq(r->out,
			 "['__init__.py', '__main__.py', '__pycache__', 'stats', 'text.py', "
			 "'version.py'] ['__init__.py', '__pycache__', 'count.py']\n",
			 "%s: Python's listing: %s", py->label, r->out);
	free(r);
	harness_assert_tree_clean(f, py);
	harness_fixture_fini(f);
}

/* ---- glibc's ways of listing, in scope all ---- */

/* A C program in scope all (tests/list_calls.c) sees what it sees with
 * in-tree caching: readdir, readdir64, rewinddir, readdir_r, fdopendir,
 * getdents64, and the d_type of __pycache__ (a directory). */
static void glibc_calls(const struct harness_interp *py, struct harness_fixture *f)
{
	const char *const argv[] = { PCR_TEST_LIST_CALLS, "app", "app/__pycache__", "app/stats",
				     NULL };
	const char *const env[] = { "PYCACHE_REDIRECT_SCOPE=all", NULL };
	struct harness_result *views[2];
	for (int redirect = 0; redirect < 2; redirect++) {
		free(python(f, py, redirect, NULL, compile_all));
		views[redirect] = malloc(sizeof *views[redirect]);
		cr_assert(views[redirect]);
		if (redirect)
			harness_run_redirected(views[redirect], f, f->tree, env, argv);
		else
			harness_run(views[redirect], f->tree, NULL, argv);
		cr_expect_eq(views[redirect]->status, 0, "%s: list_calls: %s", py->label,
			     views[redirect]->err);
		if (!redirect)
			remove_bytecode(f);
	}
	harness_assert_tree_clean(f, py);
	expect_same(f, py, "glibc's listings in scope all", views[0]->out, views[1]->out);
	free(views[0]);
	free(views[1]);
}

Test(listing, every_glibc_call_sees_the_in_tree_names_in_scope_all)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	glibc_calls(harness_first_python(), &f);
	harness_fixture_fini(&f);
}
