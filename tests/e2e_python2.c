/* CPython 2.7, which writes mod.pyc (mod.pyo with -O) beside mod.py rather
 * than in __pycache__: the library maps those too, into the entry of their
 * directory, so that a 2.7 tree stays clean. Run against every 2.7 found
 * ($(pyenv root)/versions/2.7*, python2.7 or python2 on PATH); skipped, and
 * said so, where there is none. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "harness.h"

/* A package in f's tree: pkg/{__init__,mod}.py and pkg/sub/{__init__,x}.py. */
static void make_pkg(const struct harness_fixture *f)
{
	char path[PATH_MAX + 32];
	HARNESS_PATH(path, "%s/pkg", f->tree);
	cr_assert_eq(mkdir(path, 0755), 0);
	HARNESS_PATH(path, "%s/pkg/sub", f->tree);
	cr_assert_eq(mkdir(path, 0755), 0);
	HARNESS_PATH(path, "%s/pkg/__init__.py", f->tree);
	harness_write_file(path, "X = 1\n");
	HARNESS_PATH(path, "%s/pkg/mod.py", f->tree);
	harness_write_file(path, "def f():\n    return 'mod one'\n");
	HARNESS_PATH(path, "%s/pkg/sub/__init__.py", f->tree);
	harness_write_file(path, "");
	HARNESS_PATH(path, "%s/pkg/sub/x.py", f->tree);
	harness_write_file(path, "Y = 2\n");
}

static const char import_pkg[] =
    "import pkg.mod, pkg.sub.x; print('%s %d' % (pkg.mod.f(), pkg.sub.x.Y))";

/* The central pyc of <tree>/<dir>/<name>. */
static void central(char *out, size_t size, const struct harness_fixture *f, const char *dir,
		    const char *name)
{
	char source[PATH_MAX];
	HARNESS_PATH(source, "%s/%s", f->tree, dir);
	layout_central_of_dir(out, size, f->root, source, name);
}

static const char *const cached[][2] = {
	{ "pkg", "__init__" }, { "pkg", "mod" }, { "pkg/sub", "__init__" }, { "pkg/sub", "x" }
};

/* Every module's pyc (suffix ".pyc" or ".pyo") is central, a regular file
 * of the user's with the mode Python gave it, in an entry that is the
 * user's alone (0700), and there is no pyc in the tree. */
static void assert_cached(const struct harness_fixture *f, const struct harness_interp *py,
			  const char *suffix)
{
	for (size_t i = 0; i < sizeof cached / sizeof *cached; i++) {
		char name[64], path[PATH_MAX];
		HARNESS_PATH(name, "%s%s", cached[i][1], suffix);
		central(path, sizeof path, f, cached[i][0], name);
		struct stat st;
		cr_assert_eq(lstat(path, &st), 0, "%s: no %s", py->label, path);
		cr_assert(S_ISREG(st.st_mode) && st.st_uid == geteuid(), "%s: %s mode %o uid %u",
			  py->label, path, st.st_mode, (unsigned)st.st_uid);
		*strrchr(path, '/') = '\0';
		cr_assert(lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
			      (st.st_mode & 07777) == 0700,
			  "%s: the entry %s is open to others (%o)", py->label, path, st.st_mode);
	}
	cr_assert_eq(harness_count_files(f->tree, ".pyc") + harness_count_files(f->tree, ".pyo"), 0,
		     "%s: a pyc in the tree", py->label);
}

static struct harness_result *run(const struct harness_fixture *f, const struct harness_interp *py,
				  bool redirect, const char *const *env, const char *flag,
				  const char *code)
{
	struct harness_result *r =
	    flag ? harness_python(f, py, redirect, env, flag, "-c", code, NULL)
		 : harness_python(f, py, redirect, env, "-c", code, NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d: %s", py->label, r->status, r->err);
	return r;
}

/* Each test's body for each Python 2 found, in a fixture of its own. */
static void each(void (*body)(const struct harness_interp *py, struct harness_fixture *f))
{
	const struct harness_interp *found;
	size_t n = harness_python2_interpreters(&found);
	if (n == 0)
		cr_skip_test("no CPython 2.7 here (pyenv install 2.7.18 provides one)");
	for (size_t i = 0; i < n; i++) {
		cr_log_info("python 2: %s", found[i].path);
		struct harness_fixture f;
		harness_fixture_init(&f);
		make_pkg(&f);
		body(&found[i], &f);
		harness_fixture_fini(&f);
	}
}

static void cold_then_warm(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r = run(f, py, true, NULL, NULL, import_pkg);
	cr_assert_str_eq(r->out, "mod one 2\n");
	free(r);
	assert_cached(f, py, ".pyc");
	/* A record of the source directory beside each entry, as for Python 3. */
	char entry[PATH_MAX], record[PATH_MAX + 8], text[PATH_MAX + 2], want[PATH_MAX + 2];
	central(entry, sizeof entry, f, "pkg", NULL);
	HARNESS_PATH(record, "%s.src", entry);
	cr_assert_gt(harness_read_file(record, text, sizeof text), 0, "no record %s", record);
	HARNESS_PATH(want, "%s/pkg\n", f->tree);
	cr_assert_str_eq(text, want);

	/* Warm: Python 2 says it found each pyc matching its source (-v), and
	 * nothing is written again. */
	char pyc[PATH_MAX];
	central(pyc, sizeof pyc, f, "pkg", "mod.pyc");
	struct stat before, after;
	cr_assert_eq(stat(pyc, &before), 0);
	r = run(f, py, true, NULL, "-v", import_pkg);
	cr_assert_str_eq(r->out, "mod one 2\n");
	char matches[PATH_MAX * 2];
	HARNESS_PATH(matches, "# pkg/mod.pyc matches pkg/mod.py");
	cr_assert(strstr(r->err, matches), "%s: the warm run did not read the cache:\n%s",
		  py->label, r->err);
	free(r);
	cr_assert_eq(stat(pyc, &after), 0);
	cr_assert(after.st_ino == before.st_ino && after.st_mtime == before.st_mtime,
		  "%s: the warm run rewrote %s", py->label, pyc);
	assert_cached(f, py, ".pyc");

	/* where names that pyc, from its in-tree name beside the source. */
	char env_dir[PATH_MAX + 32], want_where[PATH_MAX + 2];
	HARNESS_PATH(env_dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	HARNESS_PATH(want_where, "%s\n", pyc);
	r = harness_cli(f, f->tree, (const char *[]){ env_dir, NULL },
			(const char *[]){ "where", "pkg/mod.pyc", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, want_where, "where pkg/mod.pyc");
	free(r);
}

Test(python2, sidecar_pycs_go_to_the_cache_and_are_read_back) { each(cold_then_warm); }

static void edited_source(const struct harness_interp *py, struct harness_fixture *f)
{
	free(run(f, py, true, NULL, NULL, import_pkg));
	harness_edit_source(f, "pkg/mod.py", "def f():\n    return 'mod two'\n");
	struct harness_result *r = run(f, py, true, NULL, NULL, import_pkg);
	cr_assert_str_eq(r->out, "mod two 2\n", "%s: the edit was not seen", py->label);
	free(r);
	/* The central pyc carries the new source's mtime (bytes 4-8). */
	char pyc[PATH_MAX], src[PATH_MAX + 16], bytes[64];
	central(pyc, sizeof pyc, f, "pkg", "mod.pyc");
	HARNESS_PATH(src, "%s/pkg/mod.py", f->tree);
	struct stat st;
	cr_assert_eq(stat(src, &st), 0);
	int fd = open(pyc, O_RDONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(read(fd, bytes, 8), 8);
	close(fd);
	uint32_t mtime =
	    (uint32_t)(unsigned char)bytes[4] | (uint32_t)(unsigned char)bytes[5] << 8 |
	    (uint32_t)(unsigned char)bytes[6] << 16 | (uint32_t)(unsigned char)bytes[7] << 24;
	cr_assert_eq(mtime, (uint32_t)st.st_mtime, "%s", py->label);
	assert_cached(f, py, ".pyc");
}

Test(python2, an_edited_source_is_compiled_again) { each(edited_source); }

static void optimized(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r = run(f, py, true, NULL, "-O", import_pkg);
	cr_assert_str_eq(r->out, "mod one 2\n");
	free(r);
	assert_cached(f, py, ".pyo");
}

Test(python2, optimized_pyo_go_to_the_cache) { each(optimized); }

static void tools(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-m", "compileall", "-q", "pkg", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	assert_cached(f, py, ".pyc");
	char path[PATH_MAX + 16];
	HARNESS_PATH(path, "%s/pkg/extra.py", f->tree);
	harness_write_file(path, "Z = 3\n");
	r = harness_python(f, py, true, NULL, "-c",
			   "import py_compile; py_compile.compile('pkg/extra.py')", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	central(path, sizeof path, f, "pkg", "extra.pyc");
	cr_assert(harness_exists(path), "%s: py_compile wrote no %s", py->label, path);
	cr_assert_eq(harness_count_files(f->tree, ".pyc"), 0);
}

Test(python2, compileall_and_py_compile_write_to_the_cache) { each(tools); }

static void switched_off(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r =
	    run(f, py, true, (const char *[]){ "PYCACHE_REDIRECT=0", NULL }, NULL, import_pkg);
	cr_assert_str_eq(r->out, "mod one 2\n");
	free(r);
	cr_assert_eq(harness_count_files(f->tree, ".pyc"), 4,
		     "%s: switched off, Python 2 writes "
		     "its pycs beside the sources",
		     py->label);
	cr_assert(!harness_exists(f->root) || harness_count_files(f->root, ".pyc") == 0);
	/* Switched on again, the in-tree pycs are read (nothing to compile), and
	 * left as they are. */
	r = run(f, py, true, NULL, "-v", import_pkg);
	char matches[PATH_MAX * 2];
	HARNESS_PATH(matches, "# pkg/mod.pyc matches pkg/mod.py");
	cr_assert(strstr(r->err, matches), "%s:\n%s", py->label, r->err);
	free(r);
	cr_assert_eq(harness_count_files(f->tree, ".pyc"), 4);
}

Test(python2, switched_off_it_writes_beside_the_sources_and_on_again_reads_them)
{
	each(switched_off);
}

/* Python 3 keeps its own rules: a .pyc outside __pycache__ is a file like
 * any other to it (a sourceless module), never redirected. */
static void python3_leaves_sidecars(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r = harness_python(
	    f, py, true, NULL, "-c",
	    "import py_compile; py_compile.compile('app/version.py', cfile='sourceless.pyc');"
	    "import sourceless; print(sourceless.__file__)",
	    NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert(strstr(r->out, "sourceless.pyc"), "%s: %s", py->label, r->out);
	free(r);
	char path[PATH_MAX + 32];
	HARNESS_PATH(path, "%s/sourceless.pyc", f->tree);
	cr_assert(harness_exists(path), "%s wrote its sourceless pyc elsewhere", py->label);
}

Test(python2, python3_processes_leave_pyc_files_outside_pycache_alone)
{
	harness_each_python(python3_leaves_sidecars);
}

/* doctor tries the pyenv builds of Python 2 too: its test import lands
 * beside the sources, where the library takes it into the cache. */
static void doctor_tries_it(const struct harness_interp *py, struct harness_fixture *f)
{
	const char *versions = strstr(py->path, "/versions/");
	if (!versions) {
		cr_log_info("%s: not a pyenv build, which is what doctor looks for", py->path);
		return;
	}
	char root_env[PATH_MAX + 16], dir_env[PATH_MAX + 32], real[PATH_MAX], want[PATH_MAX + 64];
	HARNESS_PATH(root_env, "PYENV_ROOT=%.*s", (int)(versions - py->path), py->path);
	HARNESS_PATH(dir_env, "PYCACHE_REDIRECT_DIR=%s", f->root);
	cr_assert(realpath(py->path, real));
	HARNESS_PATH(want, "(%s): an import through the library landed in the cache (py2)", real);
	struct harness_result *r =
	    harness_cli(f, f->tree, (const char *[]){ root_env, dir_env, NULL },
			(const char *[]){ "doctor", NULL });
	cr_assert(strstr(r->out, want), "doctor did not try %s:\n%s", py->path, r->out);
	free(r);
}

Test(python2, doctor_tries_the_pyenv_builds_of_python_2) { each(doctor_tries_it); }
