/* The standard tools that write bytecode without importing: compileall and
 * py_compile make their __pycache__ directories themselves (os.makedirs) and
 * pass paths as the user typed them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

static void compileall(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-m", "compileall", "-q", "app", NULL);
	cr_assert_eq(r->status, 0, "%s: %s%s", py->label, r->out, r->err);
	harness_assert_tree_clean(f, py);
	harness_assert_sample_cached(f, py, "", "compileall app");
	free(r);

	harness_rmtree(f->root);
	char app[PATH_MAX];
	HARNESS_PATH(app, "%s/./app/", f->tree);
	r = harness_python(f, py, true, NULL, "-m", "compileall", "-q", app, NULL);
	cr_assert_eq(r->status, 0, "%s: %s%s", py->label, r->out, r->err);
	harness_assert_tree_clean(f, py);
	harness_assert_sample_cached(f, py, "", "compileall /abs/./app/");
	free(r);

	/* Compiled ahead, the import reads it all from the cache. */
	r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 1"));
	free(r);
}

Test(tools, compileall_relative_and_absolute) { harness_each_python(compileall); }

static void py_compile(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r = harness_python(f, py, true, NULL, "-m", "py_compile",
						  "app/text.py", "app/stats/count.py", NULL);
	cr_assert_eq(r->status, 0, "%s: %s%s", py->label, r->out, r->err);
	free(r);
	/* The API too, twice: the second makedirs meets an existing directory. */
	for (int k = 0; k < 2; k++) {
		r = harness_python(f, py, true, NULL, "-c",
				   "import py_compile; print(py_compile.compile('app/version.py', "
				   "doraise=True))",
				   NULL);
		cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
		char expect[PATH_MAX];
		HARNESS_PATH(expect, "app/__pycache__/version.%s.pyc\n", py->tag);
		cr_assert_str_eq(r->out, expect, "%s: py_compile reports a changed path",
				 py->label);
		free(r);
	}
	harness_assert_tree_clean(f, py);
	const char *expected[][2] = { { "app", "text" },
				      { "app/stats", "count" },
				      { "app", "version" } };
	for (size_t k = 0; k < 3; k++) {
		char pyc[PATH_MAX];
		harness_sample_pyc(pyc, sizeof pyc, f, py, expected[k][0], expected[k][1], "");
		cr_assert(harness_exists(pyc), "%s: no %s", py->label, pyc);
	}
}

Test(tools, py_compile_writes_centrally) { harness_each_python(py_compile); }

/* Programs that look at __pycache__ themselves see what Python wrote there:
 * importlib's cache_from_source names an existing file, listdir lists it,
 * and shutil.rmtree removes the cache. */
static void virtual_directory(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-c",
			   "import importlib.util, os, shutil\n"
			   "pyc = importlib.util.cache_from_source('app/text.py')\n"
			   "print(os.path.isfile(pyc), os.path.isdir('app/__pycache__'))\n"
			   "print(' '.join(sorted(os.listdir('app/__pycache__'))))\n"
			   "shutil.rmtree('app/__pycache__')\n"
			   "print(os.path.exists('app/__pycache__'), os.path.exists(pyc))\n",
			   NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	char expect[1024];
	HARNESS_PATH(expect,
		     "True True\n__init__.%s.pyc __main__.%s.pyc text.%s.pyc version.%s.pyc\n"
		     "False False\n",
		     py->tag, py->tag, py->tag, py->tag);
	cr_assert_str_eq(r->out, expect, "%s", py->label);
	free(r);

	char src[PATH_MAX], entry[PATH_MAX];
	HARNESS_PATH(src, "%s/app", f->tree);
	layout_central_of_dir(entry, sizeof entry, f->root, src, NULL);
	cr_assert_not(harness_exists(entry), "%s: rmtree left %s", py->label, entry);
	harness_assert_tree_clean(f, py);
	/* The other entry is untouched, and the import rebuilds the removed one. */
	char pyc[PATH_MAX];
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app/stats", "count", "");
	cr_assert(harness_exists(pyc), "%s: %s", py->label, pyc);
	free(harness_run_app(f, py, NULL, NULL));
	harness_assert_sample_cached(f, py, "", "the import after rmtree");
}

Test(tools, pycache_directory_behaves_like_one) { harness_each_python(virtual_directory); }

/* With the cache on another file system, rename and link between the cache
 * and the tree work as they do in-tree (the kernel alone says EXDEV): a pyc
 * renamed out of __pycache__ makes a sourceless module, a link leaves the
 * source, a file renamed into __pycache__ lands in the cache. */
static void moves_across_file_systems(const struct harness_interp *py, struct harness_fixture *f)
{
	cr_assert(mkdir(f->root, 0700) == 0);
	struct harness_result *r = malloc(sizeof *r);
	harness_run_on_tmpfs_root(
	    r, f, "mode=0700", NULL,
	    (const char *[]){ py->path, "-c",
			      "import compileall, importlib.util, os\n"
			      "compileall.compile_dir('app', quiet=1)\n"
			      "text = importlib.util.cache_from_source('app/text.py')\n"
			      "version = importlib.util.cache_from_source('app/version.py')\n"
			      "os.rename(text, 'app/text_sourceless.pyc')\n"
			      "os.link(version, 'app/version_link.pyc')\n"
			      "os.rename('app/version_link.pyc', 'app/__pycache__/moved.pyc')\n"
			      "print(os.path.exists(text), os.path.exists(version),"
			      " os.path.exists('app/version_link.pyc'))\n"
			      "print(open(version, 'rb').read() == "
			      "open('app/__pycache__/moved.pyc', 'rb').read())\n"
			      "print(sorted(n for n in os.listdir('app/__pycache__') if n[:4] in "
			      "('move', 'text')))\n",
			      NULL });
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, "False True False\nTrue\n['moved.pyc']\n", "%s: %s", py->label,
			 r->out);

	char moved[PATH_MAX];
	HARNESS_PATH(moved, "%s/app/text_sourceless.pyc", f->tree);
	cr_assert_gt(harness_count_files(f->tree, "text_sourceless.pyc"), 0, "%s: no %s", py->label,
		     moved);
	/* The sourceless module imports (no cache mounted now: the tree is all). */
	free(r);
	r = harness_python(f, py, true, NULL, "-c",
			   "import app.text_sourceless as t; print(t.words('Sourceless Works'))",
			   NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, "['sourceless', 'works']\n", "%s", py->label);
	free(r);
}

Test(tools, moves_between_cache_and_tree_across_file_systems)
{
	if (!harness_can_mount())
		cr_skip_test(
		    "needs root and a private mount namespace to put the cache on a tmpfs");
	harness_each_python(moves_across_file_systems);
}

/* shutil.copy2 and copystat copy a file's extended attributes: listxattr
 * and the others reach the central pyc as stat does, and an attribute set on
 * it through its in-tree name is read back there. Without the hooks,
 * copy2 of a pyc failed with ENOENT (listxattr looked in the tree). And
 * Python 3.15's os.statx sees the central file too. */
static void extended_attributes(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	struct harness_result *r = harness_python(
	    f, py, true, NULL, "-c",
	    "import errno, importlib.util, os, shutil\n"
	    "c = importlib.util.cache_from_source('app/text.py')\n"
	    "shutil.copy2(c, 'app/copied.pyc')\n"
	    "shutil.copystat(c, 'app/version.py')\n"
	    "print(open(c, 'rb').read() == open('app/copied.pyc', 'rb').read())\n"
	    "try:\n"
	    "    os.setxattr(c, 'user.pcr', b'1')\n"
	    "except AttributeError:\n" /* CPython before 3.12 on musl has none */
	    "    print(True, True, True)\n"
	    "except OSError as e:\n"
	    "    if e.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):\n"
	    "        raise\n"
	    "    print(True, True, True)\n"
	    "else:\n"
	    "    print('user.pcr' in os.listxattr(c), os.getxattr(c, 'user.pcr') == b'1',\n"
	    "          'user.pcr' in os.listxattr(c, follow_symlinks=False))\n"
	    "    os.removexattr(c, 'user.pcr')\n"
	    "print(not hasattr(os, 'listxattr') or 'user.pcr' not in os.listxattr(c))\n"
	    /* Python 3.15's os.statx goes through libc's statx. */
	    "print(not hasattr(os, 'statx') or os.statx(c, os.STATX_SIZE).stx_size == "
	    "os.stat(c).st_size)\n",
	    NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, "True\nTrue True True\nTrue\nTrue\n", "%s: %s", py->label, r->err);
	free(r);
	char copied[PATH_MAX];
	HARNESS_PATH(copied, "%s/app/copied.pyc", f->tree);
	cr_assert(harness_exists(copied), "%s: no %s", py->label, copied);
}

Test(tools, extended_attributes_of_central_pycs) { harness_each_python(extended_attributes); }

/* Modes as Python asks: a central pyc has the mode Python gives it in the
 * tree (its source's, under the umask), and so do its copies and a pyc
 * renamed out of __pycache__ into a sourceless module, so that such a
 * module is readable by whoever could read it in-tree. The same program,
 * under the library and then in-tree, prints the same modes. */
static const char modes_program[] = "import compileall, importlib.util, os, shutil\n"
				    "os.chmod('app/text.py', 0o600)\n"
				    "compileall.compile_dir('app', quiet=1)\n"
				    "def m(p): return oct(os.stat(p).st_mode & 0o7777)\n"
				    "t = importlib.util.cache_from_source('app/text.py')\n"
				    "v = importlib.util.cache_from_source('app/version.py')\n"
				    "shutil.copy(v, 'app/copied.pyc')\n"
				    "shutil.copy2(t, 'app/copied2.pyc')\n"
				    "print(m(t), m(v), m('app/copied.pyc'), m('app/copied2.pyc'))\n"
				    "os.rename(v, 'app/version_sourceless.pyc')\n"
				    "print(m('app/version_sourceless.pyc'))\n";

static void modes_as_in_the_tree(const struct harness_interp *py, struct harness_fixture *f)
{
	mode_t old = umask(022);
	struct harness_result *central =
	    harness_python(f, py, true, NULL, "-c", modes_program, NULL);
	cr_assert_eq(central->status, 0, "%s: %s", py->label, central->err);
	const char *made[] = { "app/copied.pyc", "app/copied2.pyc", "app/version_sourceless.pyc" };
	for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
		char path[PATH_MAX];
		HARNESS_PATH(path, "%s/%s", f->tree, made[i]);
		cr_assert(unlink(path) == 0, "%s: no %s", py->label, path);
	}
	harness_assert_tree_clean(f, py);
	struct harness_result *in_tree =
	    harness_python(f, py, false, NULL, "-c", modes_program, NULL);
	umask(old);
	cr_assert_eq(in_tree->status, 0, "%s: %s", py->label, in_tree->err);
	cr_assert_str_eq(central->out, in_tree->out,
			 "%s: modes under the library\n%sin the tree\n%s", py->label, central->out,
			 in_tree->out);
	cr_assert(strstr(in_tree->out, "0o600 0o644"), "%s: in the tree: %s", py->label,
		  in_tree->out);
	free(central);
	free(in_tree);
}

Test(tools, modes_are_as_in_the_tree) { harness_each_python(modes_as_in_the_tree); }
