/* The tools and switches around bytecode that e2e_tools.c leaves out:
 * compileall's options, SOURCE_DATE_EPOCH, pip's compile step, pytest's
 * rewritten pycs, unittest, zipimport, namespace packages, and the switches
 * that steer bytecode (-X pycache_prefix, -I, -E, -B). Each body runs for
 * every interpreter found; what a version lacks is skipped with a message. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness.h"

/* ---- helpers ---- */

static bool since(const struct harness_interp *py, int major, int minor)
{
	return py->major > major || (py->major == major && py->minor >= minor);
}

/* Whether py is at least major.minor; if not, says so and why. */
static bool needs(const struct harness_interp *py, int major, int minor, const char *what)
{
	if (since(py, major, minor))
		return true;
	cr_log_info("%s: skipped %s: Python %d.%d+ only", py->label, what, major, minor);
	return false;
}

/* Fails the test unless r exited 0; returns r. */
static struct harness_result *ok(struct harness_result *r, const struct harness_interp *py,
				 const char *what)
{
	cr_assert_eq(r->status, 0, "%s, %s: exit %d\nstdout: %s\nstderr: %s", py->label, what,
		     r->status, r->out, r->err);
	return r;
}

/* Runs argv (any program) in cwd, under the library when redirect is set. */
static struct harness_result *run(const struct harness_fixture *f, bool redirect, const char *cwd,
				  const char *const *env, const char *const *argv)
{
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	if (redirect)
		harness_run_redirected(r, f, cwd, env, argv);
	else
		harness_run(r, cwd, env, argv);
	return r;
}

/* Writes a file of f's tree (path relative to it), making its directories. */
static void put(const struct harness_fixture *f, const char *rel, const char *text)
{
	char path[PATH_MAX];
	HARNESS_PATH(path, "%s/%s", f->tree, rel);
	for (char *s = path + strlen(f->tree) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", path,
			  strerror(errno));
		*s = '/';
	}
	harness_write_file(path, text);
}

/* The central path of name for the directory dir of f's tree. */
static void central(char *out, size_t size, const struct harness_fixture *f, const char *dir,
		    const char *name)
{
	char src[PATH_MAX];
	HARNESS_PATH(src, "%s/%s", f->tree, dir);
	layout_central_of_dir(out, size, f->root, src, name);
}

/* The central pyc of module in dir of f's tree, for py's cache tag. */
static void central_pyc(char *out, size_t size, const struct harness_fixture *f,
			const struct harness_interp *py, const char *dir, const char *module)
{
	char name[256];
	HARNESS_PATH(name, "%s.%s.pyc", module, py->tag);
	central(out, size, f, dir, name);
}

static struct stat stat_of(const char *path)
{
	struct stat st;
	cr_assert(stat(path, &st) == 0, "no %s: %s", path, strerror(errno));
	return st;
}

/* Whether path is still the file that was stat'ed (not rewritten). */
static bool unchanged(const struct stat *before, const char *path)
{
	struct stat now = stat_of(path);
	return now.st_ino == before->st_ino && now.st_size == before->st_size &&
	       now.st_mtim.tv_sec == before->st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == before->st_mtim.tv_nsec;
}

/* The first 16 bytes of a pyc: magic, flags (PEP 552), then the source's
 * mtime and size, or its SipHash. */
static void pyc_header(const char *pyc, unsigned char head[16])
{
	int fd = open(pyc, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0, "no %s: %s", pyc, strerror(errno));
	ssize_t n = read(fd, head, 16);
	close(fd);
	cr_assert_eq(n, 16, "%s: a short pyc", pyc);
}

/* 0 timestamp, 1 unchecked hash, 3 checked hash. */
static unsigned pyc_flags(const char *pyc)
{
	unsigned char h[16];
	pyc_header(pyc, h);
	return h[4] | (unsigned)h[5] << 8 | (unsigned)h[6] << 16 | (unsigned)h[7] << 24;
}

static void assert_sample_flags(const struct harness_fixture *f, const struct harness_interp *py,
				unsigned flags, const char *what)
{
	for (size_t i = 0; i < HARNESS_SAMPLE_MODULES; i++) {
		char pyc[PATH_MAX];
		harness_sample_pyc(pyc, sizeof pyc, f, py, harness_sample_modules[i].dir,
				   harness_sample_modules[i].name, "");
		cr_assert_eq(pyc_flags(pyc), flags, "%s, %s: %s has flags %u, not %u", py->label,
			     what, pyc, pyc_flags(pyc), flags);
	}
}

static void copy_line(char *out, size_t size, const char *text)
{
	harness_format(out, size, "%.*s", (int)strcspn(text, "\n"), text);
}

/* Entries of root whose source directory (their .src record) is prefix or
 * lies below it. */
static size_t entries_under(const char *root, const char *prefix)
{
	char pattern[PATH_MAX], text[PATH_MAX];
	HARNESS_PATH(pattern, "%s/v2/*/*.src", root);
	glob_t g;
	size_t n = 0, len = strlen(prefix);
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (harness_read_file(g.gl_pathv[i], text, sizeof text) > 0 &&
		    strncmp(text, prefix, len) == 0 && (text[len] == '/' || text[len] == '\n'))
			n++;
	globfree(&g);
	return n;
}

/* Rewrites a source of f's tree with text of the same size and gives it back
 * its mtime: a timestamp pyc of the old text still looks valid to Python,
 * so its output shows which bytecode ran. */
static void swap_keeping_mtime(const struct harness_fixture *f, const char *rel, const char *text)
{
	char path[PATH_MAX];
	HARNESS_PATH(path, "%s/%s", f->tree, rel);
	struct stat st = stat_of(path);
	cr_assert_eq((size_t)st.st_size, strlen(text), "%s: not the same size", rel);
	harness_write_file(path, text);
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	cr_assert(utimensat(AT_FDCWD, path, times, 0) == 0, "utimensat %s", path);
}

/* ---- compileall ---- */

/* -j0: one worker per CPU, racing to make the entries of 17 directories. */
static void parallel_workers(const struct harness_interp *py, struct harness_fixture *f)
{
	put(f, "many/__init__.py", "");
	for (int k = 0; k < 16; k++) {
		char rel[64], text[64];
		HARNESS_PATH(rel, "many/p%02d/__init__.py", k);
		put(f, rel, "");
		HARNESS_PATH(rel, "many/p%02d/mod.py", k);
		HARNESS_PATH(text, "VALUE = %d\n", k);
		put(f, rel, text);
	}
	free(ok(
	    harness_python(f, py, true, NULL, "-m", "compileall", "-q", "-j0", "app", "many", NULL),
	    py, "compileall -j0"));
	harness_assert_tree_clean(f, py);
	harness_assert_sample_cached(f, py, "", "compileall -j0");
	for (int k = 0; k < 16; k++) {
		char dir[32], pyc[PATH_MAX];
		HARNESS_PATH(dir, "many/p%02d", k);
		central_pyc(pyc, sizeof pyc, f, py, dir, "__init__");
		cr_assert(harness_exists(pyc), "%s: compileall -j0 left out %s", py->label, pyc);
		central_pyc(pyc, sizeof pyc, f, py, dir, "mod");
		cr_assert(harness_exists(pyc), "%s: compileall -j0 left out %s", py->label, pyc);
	}
	struct harness_result *r =
	    ok(harness_python(f, py, true, NULL, "-c", "import many.p15.mod as m; print(m.VALUE)",
			      NULL),
	       py, "import");
	cr_assert_str_eq(r->out, "15\n", "%s", py->label);
	free(r);
}

Test(bytecode, compileall_j0_workers_write_centrally) { harness_each_python(parallel_workers); }

/* -r 0 stays in the directory; a later run compiles only what is missing or
 * stale, since compileall reads the central headers through the library;
 * -q silences the list, -qq the errors too. */
static void quiet_and_recursion(const struct harness_interp *py, struct harness_fixture *f)
{
	/* An exported SOURCE_DATE_EPOCH would make hash pycs, which compileall
	 * never takes for fresh. */
	const char *const env[] = { "SOURCE_DATE_EPOCH=", NULL };
	struct harness_result *r =
	    ok(harness_python(f, py, true, env, "-m", "compileall", "-q", "-r", "0", "app", NULL),
	       py, "compileall -q -r 0");
	cr_assert_null(strstr(r->out, "Compiling"), "%s: -q listed: %s", py->label, r->out);
	free(r);
	for (size_t i = 0; i < HARNESS_SAMPLE_MODULES; i++) {
		char pyc[PATH_MAX];
		const char *dir = harness_sample_modules[i].dir;
		harness_sample_pyc(pyc, sizeof pyc, f, py, dir, harness_sample_modules[i].name, "");
		cr_assert_eq(harness_exists(pyc), strcmp(dir, "app") == 0, "%s: -r 0 and %s",
			     py->label, pyc);
	}

	r = ok(harness_python(f, py, true, env, "-m", "compileall", "app", NULL), py, "compileall");
	cr_assert(strstr(r->out, "Compiling 'app/stats/count.py'") &&
		      strstr(r->out, "Compiling 'app/stats/__init__.py'"),
		  "%s: the subdirectory was not compiled: %s", py->label, r->out);
	cr_assert_null(strstr(r->out, "Compiling 'app/text.py'"),
		       "%s: compileall took a fresh central pyc for stale: %s", py->label, r->out);
	free(r);
	r = ok(harness_python(f, py, true, env, "-m", "compileall", "app", NULL), py, "compileall");
	cr_assert_null(strstr(r->out, "Compiling"), "%s: a fresh tree recompiled: %s", py->label,
		       r->out);
	free(r);
	harness_assert_sample_cached(f, py, "", "compileall");

	char pyc[PATH_MAX], before[4096], after[4096];
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "version", "");
	long len = harness_read_file(pyc, before, sizeof before);
	harness_edit_source(f, "app/version.py", "VERSION = \"2\"\n");
	r = ok(harness_python(f, py, true, env, "-m", "compileall", "-q", "app", NULL), py,
	       "compileall -q");
	cr_assert_null(strstr(r->out, "Compiling"), "%s: -q listed: %s", py->label, r->out);
	free(r);
	long now = harness_read_file(pyc, after, sizeof after);
	cr_assert(now != len || memcmp(before, after, (size_t)len) != 0,
		  "%s: the edited source was not recompiled into %s", py->label, pyc);

	put(f, "app/broken.py", "def broken(:\n");
	r = harness_python(f, py, true, env, "-m", "compileall", "-qq", "app", NULL);
	cr_assert_eq(r->status, 1, "%s: compileall -qq of a broken file: exit %d", py->label,
		     r->status);
	cr_assert_str_empty(r->out, "%s: -qq printed: %s", py->label, r->out);
	free(r);
	central_pyc(pyc, sizeof pyc, f, py, "app", "broken");
	cr_assert_not(harness_exists(pyc), "%s: a pyc for a file that does not compile", py->label);
	harness_assert_tree_clean(f, py);
}

Test(bytecode, compileall_quiet_and_recursion_see_central_pycs)
{
	harness_each_python(quiet_and_recursion);
}

static void compile_mode(const struct harness_fixture *f, const struct harness_interp *py,
			 const char *mode)
{
	free(ok(harness_python(f, py, true, NULL, "-m", "compileall", "-q", "-f",
			       "--invalidation-mode", mode, "app", NULL),
		py, mode));
}

/* The SipHash of a source of f's tree, as importlib computes it, in hex. */
static void source_hash(char *out, size_t size, const struct harness_fixture *f,
			const struct harness_interp *py, const char *rel)
{
	struct harness_result *r =
	    ok(harness_python(f, py, false, NULL, "-c",
			      "import importlib.util, sys\n"
			      "data = open(sys.argv[1], 'rb').read()\n"
			      "print(importlib.util.source_hash(data).hex())",
			      rel, NULL),
	       py, "source_hash");
	copy_line(out, size, r->out);
	free(r);
}

static void pyc_hash(char *out, size_t size, const char *pyc)
{
	unsigned char h[16];
	pyc_header(pyc, h);
	cr_assert_geq(size, 17);
	for (int i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", h[8 + i]);
}

/* PEP 552 pycs land centrally with their flags; a checked-hash pyc survives
 * a new mtime (the hash still matches) and is rewritten for new content; an
 * unchecked one is trusted until the interpreter is told to check. */
static void invalidation_modes(const struct harness_interp *py, struct harness_fixture *f)
{
	if (!needs(py, 3, 7, "--invalidation-mode (hash-based pycs, PEP 552)"))
		return;
	const struct {
		const char *mode;
		unsigned flags;
	} modes[] = { { "timestamp", 0 }, { "unchecked-hash", 1 }, { "checked-hash", 3 } };
	for (size_t k = 0; k < 3; k++) {
		compile_mode(f, py, modes[k].mode);
		assert_sample_flags(f, py, modes[k].flags, modes[k].mode);
	}
	harness_assert_tree_clean(f, py);

	char pyc[PATH_MAX], src[PATH_MAX];
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "version", "");
	struct stat before = stat_of(pyc);
	HARNESS_PATH(src, "%s/app/version.py", f->tree);
	time_t later = time(NULL) + 20;
	struct timespec times[2] = { { .tv_sec = later }, { .tv_sec = later } };
	cr_assert(utimensat(AT_FDCWD, src, times, 0) == 0);
	struct harness_result *r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
	free(r);
	cr_assert(unchanged(&before, pyc), "%s: a checked-hash pyc of this source was rewritten",
		  py->label);

	harness_edit_source(f, "app/version.py", "VERSION = \"2\"\n");
	r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 2"), "%s: stale checked-hash pyc ran: %s", py->label,
		  r->out);
	free(r);
	char want[64], got[64];
	source_hash(want, sizeof want, f, py, "app/version.py");
	pyc_hash(got, sizeof got, pyc);
	cr_assert_eq(pyc_flags(pyc), 3, "%s: the rewritten pyc is not checked-hash", py->label);
	cr_assert_str_eq(got, want, "%s: the central pyc holds another source's hash", py->label);

	compile_mode(f, py, "unchecked-hash");
	harness_edit_source(f, "app/version.py", "VERSION = \"3\"\n");
	r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 2"), "%s: the unchecked central pyc was not used: %s",
		  py->label, r->out);
	free(r);
	r = ok(harness_python(f, py, true, NULL, "--check-hash-based-pycs", "always", "-m", "app",
			      NULL),
	       py, "--check-hash-based-pycs always");
	cr_assert(strstr(r->out, "version: 3"), "%s: %s", py->label, r->out);
	free(r);
	r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 3"), "%s: the checked run did not rewrite the pyc: %s",
		  py->label, r->out);
	free(r);
	cr_assert_eq(pyc_flags(pyc), 1, "%s", py->label);
	harness_assert_tree_clean(f, py);
}

Test(bytecode, invalidation_modes_hash_pycs_live_centrally)
{
	harness_each_python(invalidation_modes);
}

/* Reproducible builds: with SOURCE_DATE_EPOCH, compileall and py_compile
 * write checked-hash pycs unless told otherwise; importing ignores it. */
static void source_date_epoch(const struct harness_interp *py, struct harness_fixture *f)
{
	if (!needs(py, 3, 7, "SOURCE_DATE_EPOCH (py_compile switches to hash-based pycs)"))
		return;
	const char *sde[] = { "SOURCE_DATE_EPOCH=1600000000", NULL };
	free(ok(harness_python(f, py, true, sde, "-m", "compileall", "-q", "app", NULL), py,
		"compileall with SOURCE_DATE_EPOCH"));
	assert_sample_flags(f, py, 3, "compileall with SOURCE_DATE_EPOCH");

	harness_rmtree(f->root);
	free(ok(harness_python(f, py, true, sde, "-m", "py_compile", "app/version.py", NULL), py,
		"py_compile with SOURCE_DATE_EPOCH"));
	char pyc[PATH_MAX];
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "version", "");
	cr_assert_eq(pyc_flags(pyc), 3, "%s: py_compile with SOURCE_DATE_EPOCH", py->label);

	free(ok(harness_python(f, py, true, sde, "-m", "compileall", "-q", "-f",
			       "--invalidation-mode", "timestamp", "app", NULL),
		py, "--invalidation-mode timestamp"));
	assert_sample_flags(f, py, 0, "an explicit timestamp mode");

	harness_rmtree(f->root);
	free(harness_run_app(f, py, sde, NULL));
	assert_sample_flags(f, py, 0, "an import with SOURCE_DATE_EPOCH");
	harness_assert_tree_clean(f, py);
}

Test(bytecode, source_date_epoch_gives_checked_hash_pycs)
{
	harness_each_python(source_date_epoch);
}

/* The file name compiled into a central pyc (read without the library). */
static void code_filename(char *out, size_t size, const struct harness_fixture *f,
			  const struct harness_interp *py, const char *pyc)
{
	struct harness_result *r =
	    ok(harness_python(f, py, false, NULL, "-c",
			      "import marshal, sys\n"
			      "data = open(sys.argv[1], 'rb').read()\n"
			      "print(marshal.loads(data[int(sys.argv[2]):]).co_filename)",
			      pyc, since(py, 3, 7) ? "16" : "12", NULL),
	       py, "marshal");
	copy_line(out, size, r->out);
	free(r);
}

static void assert_code_filename(const struct harness_fixture *f, const struct harness_interp *py,
				 const char *dir, const char *module, const char *expect)
{
	char pyc[PATH_MAX], name[PATH_MAX];
	central_pyc(pyc, sizeof pyc, f, py, dir, module);
	code_filename(name, sizeof name, f, py, pyc);
	cr_assert_str_eq(name, expect, "%s: %s", py->label, pyc);
}

/* -d, -s and -p change the file name compiled into the pyc, never where the
 * pyc goes: that is the source's directory's entry. */
static void ddir_stripdir_prependdir(const struct harness_interp *py, struct harness_fixture *f)
{
	free(ok(harness_python(f, py, true, NULL, "-m", "compileall", "-q", "-d", "/installed/app",
			       "app", NULL),
		py, "compileall -d"));
	harness_assert_tree_clean(f, py);
	harness_assert_sample_cached(f, py, "", "compileall -d");
	assert_code_filename(f, py, "app", "text", "/installed/app/text.py");
	/* 3.6 hands the top directory's -d to the files of subdirectories too. */
	if (!since(py, 3, 7))
		cr_log_info("%s: compileall -d names app/stats/count.py /installed/app/count.py "
			    "(its own bug, fixed in 3.7)",
			    py->label);
	assert_code_filename(f, py, "app/stats", "count",
			     since(py, 3, 7) ? "/installed/app/stats/count.py"
					     : "/installed/app/count.py");
	/* Two directories, two entries: none for the name -d gave. */
	cr_assert_eq(entries_under(f->root, f->tree), 2, "%s: -d made an entry of its own",
		     py->label);
	cr_assert_eq(entries_under(f->root, "/installed"), 0, "%s", py->label);

	if (!needs(py, 3, 9, "compileall -s and -p"))
		return;
	char app[PATH_MAX];
	HARNESS_PATH(app, "%s/app", f->tree);
	free(ok(harness_python(f, py, true, NULL, "-m", "compileall", "-q", "-f", "-s", f->tree,
			       "-p", "/opt/site", app, NULL),
		py, "compileall -s -p"));
	harness_assert_tree_clean(f, py);
	assert_code_filename(f, py, "app", "text", "/opt/site/app/text.py");
	assert_code_filename(f, py, "app/stats", "count", "/opt/site/app/stats/count.py");
}

Test(bytecode, compileall_ddir_stripdir_prependdir)
{
	harness_each_python(ddir_stripdir_prependdir);
}

/* -o for several levels at once, and --hardlink-dupes: links between the
 * names of one central entry, as in-tree. */
static void hardlinked_levels(const struct harness_interp *py, struct harness_fixture *f)
{
	if (!needs(py, 3, 9, "compileall -o and --hardlink-dupes"))
		return;
	free(ok(harness_python(f, py, true, NULL, "-m", "compileall", "-q", "-o", "0", "-o", "1",
			       "-o", "2", "--hardlink-dupes", "app", NULL),
		py, "--hardlink-dupes"));
	harness_assert_tree_clean(f, py);
	const char *opts[] = { "", ".opt-1", ".opt-2" };
	struct stat version[3], text[3];
	for (int k = 0; k < 3; k++) {
		char pyc[PATH_MAX];
		harness_assert_sample_cached(f, py, opts[k], "compileall -o");
		harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "version", opts[k]);
		version[k] = stat_of(pyc);
		harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "text", opts[k]);
		text[k] = stat_of(pyc);
	}
	/* version.py has no docstring nor assert: one file for three names. */
	cr_assert(version[0].st_ino == version[1].st_ino &&
		      version[0].st_ino == version[2].st_ino && version[0].st_nlink == 3,
		  "%s: version's pycs are not one file", py->label);
	/* text.py has a docstring: -OO differs. */
	cr_assert(text[0].st_ino == text[1].st_ino && text[0].st_ino != text[2].st_ino,
		  "%s: text's pycs are linked wrongly", py->label);
}

Test(bytecode, compileall_levels_and_hardlink_dupes) { harness_each_python(hardlinked_levels); }

/* ---- pip ---- */

/* Builds a pure wheel of pcrdemo at sys.argv[1]: a zip with its dist-info,
 * nothing from an index. */
static const char make_wheel[] =
    "import base64, hashlib, sys, zipfile\n"
    "files = [('pcrdemo/__init__.py', 'from .core import greet\\n'),\n"
    "         ('pcrdemo/core.py', 'def greet(name):\\n    return \"hello \" + name\\n'),\n"
    "         ('pcrdemo/sub/__init__.py', ''),\n"
    "         ('pcrdemo/sub/deep.py', 'DEPTH = 2\\n'),\n"
    "         ('pcrdemo-1.0.dist-info/METADATA',\n"
    "          'Metadata-Version: 2.1\\nName: pcrdemo\\nVersion: 1.0\\n'),\n"
    "         ('pcrdemo-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: pcr\\n'\n"
    "          'Root-Is-Purelib: true\\nTag: py3-none-any\\n')]\n"
    "record = []\n"
    "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
    "    for name, text in files:\n"
    "        data = text.encode()\n"
    "        z.writestr(name, data)\n"
    "        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())\n"
    "        digest = digest.rstrip(b'=').decode()\n"
    "        record.append('%s,sha256=%s,%d' % (name, digest, len(data)))\n"
    "    record.append('pcrdemo-1.0.dist-info/RECORD,,')\n"
    "    z.writestr('pcrdemo-1.0.dist-info/RECORD', '\\n'.join(record) + '\\n')\n";

static const char *const pcrdemo[][2] = {
	{ "pcrdemo", "__init__" },
	{ "pcrdemo", "core" },
	{ "pcrdemo/sub", "__init__" },
	{ "pcrdemo/sub", "deep" },
};

struct pip_setup {
	int major; /* pip's major version */
	char wheel[PATH_MAX];
	char tmp[PATH_MAX]; /* pip's TMPDIR */
	char env_home[PATH_MAX + 8], env_tmp[PATH_MAX + 8];
	const char *env[8];
};

/* pip for py, a wheel and an environment that keeps pip off the network and
 * out of the user's files; false (with a message) when py has no pip. */
static bool pip_setup(struct pip_setup *s, const struct harness_interp *py,
		      struct harness_fixture *f)
{
	/* What `python -m pip --version` says, at a tenth of the cost. */
	struct harness_result *r =
	    harness_python(f, py, false, NULL, "-c", "import pip; print(pip.__version__)", NULL);
	bool have = r->status == 0 && sscanf(r->out, "%d", &s->major) == 1;
	if (!have)
		cr_log_info("%s: skipped pip: it does not import here (exit %d): %.200s", py->label,
			    r->status, r->err);
	free(r);
	if (!have)
		return false;
	HARNESS_PATH(s->wheel, "%s/pcrdemo-1.0-py3-none-any.whl", f->dir);
	free(ok(harness_python(f, py, false, NULL, "-c", make_wheel, s->wheel, NULL), py,
		"the wheel"));
	HARNESS_PATH(s->tmp, "%s/tmp", f->dir);
	cr_assert(mkdir(s->tmp, 0700) == 0);
	HARNESS_PATH(s->env_home, "HOME=%s", f->dir);
	HARNESS_PATH(s->env_tmp, "TMPDIR=%s", s->tmp);
	const char *env[] = { s->env_home,
			      s->env_tmp,
			      "PIP_CONFIG_FILE=/dev/null",
			      "PIP_DISABLE_PIP_VERSION_CHECK=1",
			      "PIP_NO_INPUT=1",
			      NULL };
	memcpy(s->env, env, sizeof env);
	return true;
}

static void pcrdemo_pyc(char *out, size_t size, const struct harness_fixture *f,
			const struct harness_interp *py, const char *site, size_t k)
{
	char dir[PATH_MAX], name[256];
	HARNESS_PATH(dir, "%s/%s", site, pcrdemo[k][0]);
	HARNESS_PATH(name, "%s.%s.pyc", pcrdemo[k][1], py->tag);
	layout_central_of_dir(out, size, f->root, dir, name);
}

static size_t pcrdemo_cached(const struct harness_fixture *f, const struct harness_interp *py,
			     const char *site)
{
	size_t n = 0;
	for (size_t k = 0; k < 4; k++) {
		char pyc[PATH_MAX];
		pcrdemo_pyc(pyc, sizeof pyc, f, py, site, k);
		n += harness_exists(pyc);
	}
	return n;
}

static void import_pcrdemo(const struct harness_fixture *f, const struct harness_interp *py,
			   const char *python, const char *const *env)
{
	struct harness_result *r = ok(
	    run(f, true, f->dir, env,
		HARNESS_ARGV_OF(
		    py, python, "-c",
		    "import pcrdemo, pcrdemo.sub.deep as d\nprint(pcrdemo.greet('pip'), d.DEPTH)",
		    NULL)),
	    py, "import pcrdemo");
	cr_assert_str_eq(r->out, "hello pip 2\n", "%s", py->label);
	free(r);
}

/* pip installs a wheel into a virtual environment and byte-compiles it: the
 * pycs land centrally (pip 20+ compiles in place), site-packages holds no
 * __pycache__, the import reads them; after pip uninstall the entries are
 * orphans that prune removes. */
static void pip_venv(const struct harness_interp *py, struct harness_fixture *f)
{
	struct pip_setup s;
	if (!pip_setup(&s, py, f))
		return;
	char venv[PATH_MAX], python[PATH_MAX], site[PATH_MAX];
	HARNESS_PATH(venv, "%s/venv", f->dir);
	HARNESS_PATH(python, "%s/bin/python", venv);
	/* Its own pip is not needed: the base's comes through the system site. */
	struct harness_result *r = harness_python(f, py, false, NULL, "-m", "venv", "--without-pip",
						  "--system-site-packages", venv, NULL);
	if (r->status != 0) {
		cr_log_info("%s: skipped pip into a venv: python -m venv fails: %.200s", py->label,
			    r->err);
		free(r);
		return;
	}
	free(r);
	r = ok(
	    run(f, false, f->dir, NULL,
		HARNESS_ARGV_OF(py, python, "-c",
				"import sysconfig\nprint(sysconfig.get_paths()['purelib'])", NULL)),
	    py, "purelib");
	copy_line(site, sizeof site, r->out);
	free(r);

	free(ok(run(f, true, f->dir, s.env,
		    HARNESS_ARGV_OF(py, python, "-m", "pip", "install", "--no-index", "--no-deps",
				    "--no-cache-dir", "-q", s.wheel, NULL)),
		py, "pip install"));
	char first[PATH_MAX];
	cr_assert_eq(harness_count_bytecode(venv, first, sizeof first), 0, "%s: pip left %s",
		     py->label, first);
	char init[PATH_MAX];
	HARNESS_PATH(init, "%s/pcrdemo/sub/deep.py", site);
	cr_assert(harness_exists(init), "%s: pip did not install %s", py->label, init);

	/* pip 20 and later compile in place; older pip compiles in its unpack
	 * directory and copies the tree with os.walk, which lists the virtual
	 * __pycache__ (preload/listing.c): the pycs are central either way. */
	struct stat before[4];
	cr_assert_eq(pcrdemo_cached(f, py, site), 4, "%s: pip %d's pycs are not central", py->label,
		     s.major);
	for (size_t k = 0; k < 4; k++) {
		char pyc[PATH_MAX];
		pcrdemo_pyc(pyc, sizeof pyc, f, py, site, k);
		before[k] = stat_of(pyc);
	}
	import_pcrdemo(f, py, python, NULL);
	cr_assert_eq(pcrdemo_cached(f, py, site), 4, "%s: the import did not cache pcrdemo",
		     py->label);
	for (size_t k = 0; k < 4; k++) {
		char pyc[PATH_MAX];
		pcrdemo_pyc(pyc, sizeof pyc, f, py, site, k);
		cr_assert(unchanged(&before[k], pyc), "%s: the import rewrote pip's %s", py->label,
			  pyc);
	}
	cr_assert_eq(harness_count_bytecode(venv, NULL, 0), 0, "%s", py->label);

	/* Where the pycs are, while their directories are there to key. */
	char pycs[4][PATH_MAX];
	for (size_t k = 0; k < 4; k++)
		pcrdemo_pyc(pycs[k], sizeof pycs[k], f, py, site, k);
	free(ok(
	    run(f, true, f->dir, s.env,
		HARNESS_ARGV_OF(py, python, "-m", "pip", "uninstall", "-y", "-q", "pcrdemo", NULL)),
	    py, "pip uninstall"));
	HARNESS_PATH(init, "%s/pcrdemo", site);
	cr_assert_not(harness_exists(init), "%s: pip uninstall left %s", py->label, init);
	/* pip moves the whole directory away: its entries are orphans now. */
	size_t left = 0;
	for (size_t k = 0; k < 4; k++)
		left += harness_exists(pycs[k]);
	if (left)
		cr_log_info("%s: pip uninstall left %zu central pycs, as orphans for prune",
			    py->label, left);
	char env_dir[PATH_MAX + 32];
	HARNESS_PATH(env_dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	r = harness_cli(f, f->dir, (const char *[]){ env_dir, NULL },
			(const char *[]){ "prune", "--orphans", NULL });
	cr_assert_eq(r->status, 0, "prune: %s%s", r->out, r->err);
	free(r);
	for (size_t k = 0; k < 4; k++)
		cr_assert(!harness_exists(pycs[k]), "%s: prune --orphans left %s", py->label,
			  pycs[k]);
	cr_assert_eq(entries_under(f->root, s.tmp), 0, "%s: prune left pip's temporary entries",
		     py->label);
}

Test(bytecode, pip_install_into_a_venv_compiles_centrally) { harness_each_python(pip_venv); }

/* pip install --target installs into a temporary directory, compiles there,
 * then moves the package directories into the target: the directories keep
 * what they are, so their pycs go with them (the key is the directory, not
 * its path); the target stays clean, and its first import reads them. Run
 * with one interpreter. */
static void pip_target(const struct harness_interp *py, struct harness_fixture *f)
{
	struct pip_setup s;
	if (!pip_setup(&s, py, f))
		return;
	char target[PATH_MAX], env_path[PATH_MAX + 16];
	HARNESS_PATH(target, "%s/target", f->dir);
	free(
	    ok(harness_python(f, py, true, s.env, "-m", "pip", "install", "--no-index", "--no-deps",
			      "--no-cache-dir", "-q", "--target", target, s.wheel, NULL),
	       py, "pip install --target"));
	char deep[PATH_MAX], first[PATH_MAX];
	HARNESS_PATH(deep, "%s/pcrdemo/sub/deep.py", target);
	cr_assert(harness_exists(deep), "%s: pip did not install %s", py->label, deep);
	cr_assert_eq(harness_count_bytecode(target, first, sizeof first), 0, "%s: pip left %s",
		     py->label, first);
	cr_assert_geq(entries_under(f->root, s.tmp), 2,
		      "%s: pip's compile step did not go through the library", py->label);
	cr_assert_eq(pcrdemo_cached(f, py, target), 4,
		     "%s: the pycs did not move with the "
		     "directories",
		     py->label);
	struct stat before[4];
	for (size_t k = 0; k < 4; k++) {
		char pyc[PATH_MAX];
		pcrdemo_pyc(pyc, sizeof pyc, f, py, target, k);
		before[k] = stat_of(pyc);
	}

	HARNESS_PATH(env_path, "PYTHONPATH=%s", target);
	import_pcrdemo(f, py, py->path, (const char *[]){ env_path, NULL });
	for (size_t k = 0; k < 4; k++) {
		char pyc[PATH_MAX];
		pcrdemo_pyc(pyc, sizeof pyc, f, py, target, k);
		cr_assert(unchanged(&before[k], pyc), "%s: the import compiled %s again", py->label,
			  pyc);
	}
	cr_assert_eq(harness_count_bytecode(target, NULL, 0), 0, "%s", py->label);
}

Test(bytecode, pip_install_target_keeps_the_target_clean)
{
	/* pip's --target steps are pip's own, the same for every interpreter:
	 * one run is enough, and pip is slow to start. */
	struct harness_fixture f;
	harness_fixture_init(&f);
	pip_target(harness_first_python(), &f);
	harness_fixture_fini(&f);
}

/* ---- test runners ---- */

/* pytest on f's checks/, without its cache directory nor the user's options
 * and plugins. */
static struct harness_result *pytest(const struct harness_fixture *f,
				     const struct harness_interp *py)
{
	const char *env[] = { "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1", "PYTEST_ADDOPTS=", NULL };
	return harness_python(f, py, true, env, "-m", "pytest", "-q", "-p", "no:cacheprovider",
			      "checks", NULL);
}

/* pytest rewrites the asserts of test modules and conftest.py and caches them
 * as <name>.<tag>-pytest-<version>.pyc: centrally, read back on the next run,
 * rewritten when the test changes. */
static void pytest_rewrite(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r = harness_python(f, py, false, NULL, "-c",
						  "import pytest; print(pytest.__version__)", NULL);
	if (r->status != 0) {
		const char *last = r->err + strlen(r->err);
		while (last > r->err && last[-1] == '\n')
			last--;
		while (last > r->err && last[-1] != '\n')
			last--;
		cr_log_info("%s: skipped pytest: it does not import here: %.160s", py->label, last);
		free(r);
		return;
	}
	char version[64];
	copy_line(version, sizeof version, r->out);
	free(r);

	put(f, "checks/conftest.py",
	    "import pytest\n\n\n@pytest.fixture\ndef sample():\n"
	    "    return 'The tree stays clean'\n");
	put(f, "checks/test_words.py",
	    "from app.text import words\n\n\n"
	    "def test_words(sample):\n"
	    "    assert words(sample) == ['the', 'tree', 'stays', 'clean']\n");
	r = ok(pytest(f, py), py, "pytest");
	cr_assert(strstr(r->out, "1 passed"), "%s: %s", py->label, r->out);
	free(r);
	harness_assert_tree_clean(f, py);

	char name[256], test_pyc[PATH_MAX], conftest_pyc[PATH_MAX], text_pyc[PATH_MAX];
	HARNESS_PATH(name, "test_words.%s-pytest-%s.pyc", py->tag, version);
	central(test_pyc, sizeof test_pyc, f, "checks", name);
	HARNESS_PATH(name, "conftest.%s-pytest-%s.pyc", py->tag, version);
	central(conftest_pyc, sizeof conftest_pyc, f, "checks", name);
	central_pyc(text_pyc, sizeof text_pyc, f, py, "app", "text");
	struct stat test_st = stat_of(test_pyc), conftest_st = stat_of(conftest_pyc);
	cr_assert(harness_exists(text_pyc), "%s: no %s", py->label, text_pyc);

	free(ok(pytest(f, py), py, "pytest again"));
	cr_assert(unchanged(&test_st, test_pyc) && unchanged(&conftest_st, conftest_pyc),
		  "%s: pytest rewrote its fresh central pycs", py->label);

	/* The message of a failing assert comes from the rewritten bytecode. */
	harness_edit_source(f, "checks/test_words.py",
			    "from app.text import words\n\n\n"
			    "def test_words(sample):\n    assert words(sample) == ['no']\n");
	r = pytest(f, py);
	cr_assert_eq(r->status, 1, "%s: exit %d: %s%s", py->label, r->status, r->out, r->err);
	cr_assert(strstr(r->out, "At index 0 diff"), "%s: asserts not rewritten: %s", py->label,
		  r->out);
	free(r);
	cr_assert_not(unchanged(&test_st, test_pyc), "%s: the edited test was not recompiled",
		      py->label);
	harness_assert_tree_clean(f, py);
}

Test(bytecode, pytest_rewritten_pycs_are_cached_centrally) { harness_each_python(pytest_rewrite); }

static void unittest_discovery(const struct harness_interp *py, struct harness_fixture *f)
{
	put(f, "suite/__init__.py", "");
	put(f, "suite/test_text.py",
	    "import unittest\n\nfrom app.text import words\n\n\nclass Words(unittest.TestCase):\n"
	    "    def test_words(self):\n        self.assertEqual(words('A b'), ['a', 'b'])\n\n"
	    "    def test_empty(self):\n        self.assertEqual(words(''), [])\n");
	struct stat first;
	char pyc[PATH_MAX];
	for (int k = 0; k < 2; k++) {
		struct harness_result *r =
		    harness_python(f, py, true, NULL, "-m", "unittest", "discover", "-s", "suite",
				   "-t", ".", NULL);
		ok(r, py, "unittest discover");
		cr_assert(strstr(r->err, "Ran 2 tests") && strstr(r->err, "\nOK"), "%s: %s",
			  py->label, r->err);
		free(r);
		harness_assert_tree_clean(f, py);
		central_pyc(pyc, sizeof pyc, f, py, "suite", "__init__");
		cr_assert(harness_exists(pyc), "%s: no %s", py->label, pyc);
		central_pyc(pyc, sizeof pyc, f, py, "app", "text");
		cr_assert(harness_exists(pyc), "%s: no %s", py->label, pyc);
		central_pyc(pyc, sizeof pyc, f, py, "suite", "test_text");
		if (k == 0)
			first = stat_of(pyc);
	}
	cr_assert(unchanged(&first, pyc), "%s: the second discovery recompiled %s", py->label, pyc);
}

Test(bytecode, unittest_discovery_caches_test_modules_centrally)
{
	harness_each_python(unittest_discovery);
}

/* ---- import machinery ---- */

/* Modules imported from a zip on sys.path: zipimport writes no bytecode,
 * anywhere, and leaves the zip as it was. */
static void zipimport_untouched(const struct harness_interp *py, struct harness_fixture *f)
{
	free(ok(harness_python(f, py, false, NULL, "-c",
			       "import zipfile\n"
			       "with zipfile.ZipFile('lib.zip', 'w') as z:\n"
			       "    z.writestr('zpkg/__init__.py', 'X = 1\\n')\n"
			       "    z.writestr('zpkg/mod.py', 'from . import X\\nY = X + 1\\n')\n",
			       NULL),
		py, "zip"));
	char zip[PATH_MAX], before[4096], after[4096];
	HARNESS_PATH(zip, "%s/lib.zip", f->tree);
	long len = harness_read_file(zip, before, sizeof before);
	struct stat st = stat_of(zip);
	for (int k = 0; k < 2; k++) {
		struct harness_result *r =
		    ok(harness_python(f, py, true, NULL, "-c",
				      "import sys\nsys.path.insert(0, 'lib.zip')\nimport zpkg.mod\n"
				      "print(zpkg.mod.Y, type(zpkg.__loader__).__name__)",
				      NULL),
		       py, "zipimport");
		cr_assert_str_eq(r->out, "2 zipimporter\n", "%s", py->label);
		free(r);
	}
	cr_assert(unchanged(&st, zip) && harness_read_file(zip, after, sizeof after) == len &&
		      memcmp(before, after, (size_t)len) == 0,
		  "%s: the zip changed", py->label);
	harness_assert_tree_clean(f, py);
	cr_assert_eq(harness_count_files(f->root, ".pyc"), 0,
		     "%s: zipimport wrote bytecode centrally", py->label);
}

Test(bytecode, zipimport_writes_nothing) { harness_each_python(zipimport_untouched); }

/* A PEP 420 namespace package in two portions: each portion's modules are
 * cached in its own entry; the namespace itself has no bytecode. */
static void namespace_portions(const struct harness_interp *py, struct harness_fixture *f)
{
	put(f, "nsa/nspkg/one.py", "X = 'one'\n");
	put(f, "nsb/nspkg/two.py", "X = 'two'\n");
	char one[PATH_MAX], two[PATH_MAX], entry[PATH_MAX];
	central_pyc(one, sizeof one, f, py, "nsa/nspkg", "one");
	central_pyc(two, sizeof two, f, py, "nsb/nspkg", "two");
	struct stat st[2];
	for (int k = 0; k < 2; k++) {
		struct harness_result *r = ok(
		    harness_python(
			f, py, true, NULL, "-c",
			"import sys\nsys.path[:0] = ['nsa', 'nsb']\nimport nspkg.one, nspkg.two\n"
			"print(nspkg.one.X, nspkg.two.X, len(list(nspkg.__path__)),"
			" getattr(nspkg, '__file__', None))",
			NULL),
		    py, "namespace package");
		cr_assert_str_eq(r->out, "one two 2 None\n", "%s", py->label);
		free(r);
		harness_assert_tree_clean(f, py);
		if (k == 0) {
			st[0] = stat_of(one);
			st[1] = stat_of(two);
		}
	}
	cr_assert(unchanged(&st[0], one) && unchanged(&st[1], two),
		  "%s: the second import recompiled a portion", py->label);
	central(entry, sizeof entry, f, "nsa", NULL);
	cr_assert_not(harness_exists(entry), "%s: an entry for the portion's parent", py->label);
}

Test(bytecode, namespace_package_portions_are_cached_centrally)
{
	harness_each_python(namespace_portions);
}

/* ---- interpreter switches ---- */

/* With a pycache prefix (3.8+) Python writes <prefix>/<source dir>/<name>:
 * no __pycache__ in the path, so the library passes every call through and
 * the prefix wins; the central cache is neither read nor written. Older
 * versions ignore the option and the variable, and the redirect works. */
static void pycache_prefix(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	struct stat st[HARNESS_SAMPLE_MODULES];
	char pyc[HARNESS_SAMPLE_MODULES][PATH_MAX];
	harness_sample_pyc_stats(f, py, pyc, st);
	bool honoured = since(py, 3, 8);
	if (!honoured)
		cr_log_info("%s: -X pycache_prefix and PYTHONPYCACHEPREFIX are 3.8+: ignored here, "
			    "the redirect caches as without them",
			    py->label);

	char prefix[PATH_MAX], option[PATH_MAX + 32], variable[PATH_MAX + 32];
	HARNESS_PATH(prefix, "%s/prefix-x", f->dir);
	HARNESS_PATH(option, "pycache_prefix=%s", prefix);
	struct harness_result *r =
	    ok(harness_python(f, py, true, NULL, "-X", option, "-m", "app", NULL), py,
	       "-X pycache_prefix");
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
	free(r);
	char in_prefix[PATH_MAX * 2];
	HARNESS_PATH(in_prefix, "%s%s/app/stats/count.%s.pyc", prefix, f->tree, py->tag);
	cr_assert_eq(harness_exists(in_prefix), honoured, "%s: %s", py->label, in_prefix);

	HARNESS_PATH(prefix, "%s/prefix-env", f->dir);
	HARNESS_PATH(variable, "PYTHONPYCACHEPREFIX=%s", prefix);
	harness_edit_source(f, "app/version.py", "VERSION = \"2\"\n");
	r = harness_run_app(f, py, (const char *[]){ variable, NULL }, NULL);
	cr_assert(strstr(r->out, "version: 2"), "%s: %s", py->label, r->out);
	free(r);
	HARNESS_PATH(in_prefix, "%s%s/app/version.%s.pyc", prefix, f->tree, py->tag);
	cr_assert_eq(harness_exists(in_prefix), honoured, "%s: %s", py->label, in_prefix);

	/* The prefix runs left the central cache alone; without a prefix, the
	 * edited module was recompiled into it. */
	cr_assert_eq(harness_count_files(f->root, ".pyc"), HARNESS_SAMPLE_MODULES, "%s", py->label);
	for (size_t i = 0; i < HARNESS_SAMPLE_MODULES; i++) {
		bool edited = strcmp(harness_sample_modules[i].name, "version") == 0;
		cr_assert_eq(unchanged(&st[i], pyc[i]), honoured || !edited, "%s: %s", py->label,
			     pyc[i]);
	}
	harness_assert_tree_clean(f, py);
}

Test(bytecode, pycache_prefix_wins_over_the_redirect) { harness_each_python(pycache_prefix); }

/* -E and -I make Python ignore PYTHON* variables; the library is steered by
 * LD_PRELOAD and PYCACHE_REDIRECT_*, which Python never reads: still on. */
static void isolated_modes(const struct harness_interp *py, struct harness_fixture *f)
{
	char prefix[PATH_MAX], variable[PATH_MAX + 32];
	HARNESS_PATH(prefix, "%s/prefix", f->dir);
	HARNESS_PATH(variable, "PYTHONPYCACHEPREFIX=%s", prefix);
	const char *env[] = { "PYTHONDONTWRITEBYTECODE=1", variable, NULL };

	/* Without -E the variables rule: no bytecode at all. */
	free(harness_run_app(f, py, env, NULL));
	cr_assert_eq(harness_count_files(f->root, ".pyc"), 0, "%s", py->label);

	free(harness_run_app(f, py, env, "-E"));
	harness_assert_sample_cached(f, py, "", "python -E");

	harness_rmtree(f->root);
	struct harness_result *r =
	    ok(harness_python(f, py, true, env, "-I", "-c",
			      "import runpy, sys\n"
			      "print(sys.flags.isolated, sys.dont_write_bytecode)\n"
			      "sys.path.insert(0, '.')\n"
			      "runpy.run_module('app', run_name='__main__', alter_sys=True)",
			      NULL),
	       py, "python -I");
	cr_assert(strncmp(r->out, "1 False\n", 8) == 0 && strstr(r->out, "version: 1"), "%s: %s",
		  py->label, r->out);
	free(r);
	harness_assert_sample_cached(f, py, "", "python -I");
	cr_assert_eq(harness_count_files(prefix, ".pyc"), 0, "%s: the ignored prefix was used",
		     py->label);
	harness_assert_tree_clean(f, py);
}

Test(bytecode, isolated_and_ignore_environment_are_still_redirected)
{
	harness_each_python(isolated_modes);
}

/* -B, PYTHONDONTWRITEBYTECODE and sys.dont_write_bytecode: nothing written,
 * neither in the tree nor centrally, but the central cache is still read. */
static void dont_write_bytecode(const struct harness_interp *py, struct harness_fixture *f)
{
	const char *no_write[] = { "PYTHONDONTWRITEBYTECODE=1", NULL };
	free(harness_run_app(f, py, NULL, "-B"));
	free(harness_run_app(f, py, no_write, NULL));
	cr_assert_eq(harness_count_files(f->root, ".pyc"), 0, "%s: bytecode written", py->label);
	harness_assert_tree_clean(f, py);

	free(harness_run_app(f, py, NULL, NULL));
	struct stat st[HARNESS_SAMPLE_MODULES];
	char pyc[HARNESS_SAMPLE_MODULES][PATH_MAX];
	harness_sample_pyc_stats(f, py, pyc, st);
	/* Same size, same mtime: only the central pyc still says version 1. */
	swap_keeping_mtime(f, "app/version.py", "VERSION = \"9\"\n");
	struct harness_result *r = harness_run_app(f, py, NULL, "-B");
	cr_assert(strstr(r->out, "version: 1"), "%s: -B did not read the cache: %s", py->label,
		  r->out);
	free(r);
	r = harness_run_app(f, py, no_write, NULL);
	cr_assert(strstr(r->out, "version: 1"),
		  "%s: PYTHONDONTWRITEBYTECODE did not read the "
		  "cache: %s",
		  py->label, r->out);
	free(r);
	r = ok(harness_python(
		   f, py, true, NULL, "-c",
		   "import sys\nsys.dont_write_bytecode = True\n"
		   "sys.path.insert(0, '.')\nimport app.version\nprint(app.version.VERSION)",
		   NULL),
	       py, "sys.dont_write_bytecode");
	cr_assert_str_eq(r->out, "1\n", "%s: sys.dont_write_bytecode did not read the cache",
			 py->label);
	free(r);

	/* A real edit: compiled in memory, not written. */
	harness_edit_source(f, "app/version.py", "VERSION = \"2\"\n");
	r = harness_run_app(f, py, NULL, "-B");
	cr_assert(strstr(r->out, "version: 2"), "%s: %s", py->label, r->out);
	free(r);
	for (size_t i = 0; i < HARNESS_SAMPLE_MODULES; i++)
		cr_assert(unchanged(&st[i], pyc[i]), "%s: %s written without bytecode writing",
			  py->label, pyc[i]);
	cr_assert_eq(harness_count_files(f->root, ".pyc"), HARNESS_SAMPLE_MODULES, "%s", py->label);
	harness_assert_tree_clean(f, py);
}

Test(bytecode, dont_write_bytecode_writes_nothing_and_reads_the_cache)
{
	harness_each_python(dont_write_bytecode);
}
