/* Faults around the cache and the tree: a cache on a full file system (out
 * of space, out of inodes, a file size limit), a root removed or made
 * read-only while Python runs, a read-only source tree (a read-only bind
 * mount, and a tree another user may not write), no file descriptors left.
 * Python still imports and runs as it would without the library, a failed
 * call fails as it would in the tree, and no partial pyc or temporary file
 * is left in the cache for a later run to read.
 *
 * The mount tests need root and a private mount namespace (harness_can_mount);
 * the other-user test needs root and setpriv. Each says so as [SKIP]. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

/* ---- what is left in the cache ---- */

/* Runs the cache checker on f's root, without the library; its report. On a
 * full file system an entry may lack its record (written after the mkdir, it
 * may not fit): records are not required. */
static void check_cache(const struct harness_fixture *f, const struct harness_interp *py, char *out,
			size_t size)
{
	struct harness_result *r =
	    harness_python(f, py, false, NULL, "-B", harness_cache_checker(f), f->root, NULL);
	cr_assert(r->status == 0 || r->status == 1, "%s: checker: %s", py->label, r->err);
	harness_format(out, size, "%s", r->out);
	free(r);
}

/* Fails unless out is prefix followed by the checker's one line "ok N". */
static void assert_sound(const char *out, const char *prefix, const struct harness_interp *py,
			 const char *what, const char *err)
{
	size_t len = strlen(prefix);
	const char *report = out + len;
	cr_assert(strncmp(out, prefix, len) == 0 && strncmp(report, "ok ", 3) == 0 &&
		      strchr(report, '\n') == report + strlen(report) - 1,
		  "%s, %s: expected\n%sok N\ngot\n%s\nstderr:\n%.1500s", py->label, what, prefix,
		  out, err ? err : "");
}

static void write_tree_file(const struct harness_fixture *f, const char *rel, const char *text)
{
	char path[PATH_MAX];
	HARNESS_PATH(path, "%s/%s", f->tree, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	cr_assert(mkdir(path, 0755) == 0 || harness_exists(path), "mkdir %s", path);
	*slash = '/';
	harness_write_file(path, text);
}

/* big.py: a module whose pyc spans many pages (about 60 KiB). */
static void write_big(const struct harness_fixture *f)
{
	static char text[1 << 17];
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof text - n, "X = [");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "'item-%d', ", i);
	snprintf(text + n, sizeof text - n, "]\n");
	write_tree_file(f, "big.py", text);
}

static void need_mount(void)
{
	if (!harness_can_mount())
		cr_skip_test("needs root and a private mount namespace to mount a file system");
}

/* Runs sh -c script with the arguments that follow (NULL-terminated), under
 * the library, in a private mount namespace where f's root is a tmpfs with
 * opts. The script runs the checker itself: the tmpfs goes with the run. */
static struct harness_result *on_tmpfs(const struct harness_fixture *f, const char *opts,
				       const char *script, const char *const *args)
{
	const char *argv[24] = { "/bin/sh", "-c", script, "sh" };
	size_t n = 4;
	for (; *args && n < 23; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	cr_assert(mkdir(f->root, 0700) == 0 || harness_exists(f->root));
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run_on_tmpfs_root(r, f, opts, NULL, argv);
	return r;
}

/* $1 the interpreter, $2 a program, $3 the checker, $4 the root: the program
 * twice (the second run reads what the first wrote), then the checker. */
static const char twice_then_check[] =
    "\"$1\" -c \"$2\"; echo \"exit $?\"; \"$1\" -c \"$2\"; echo \"exit $?\"; "
    "PYCACHE_REDIRECT=0 \"$1\" -B \"$3\" \"$4\"";

/* ---- a full file system ---- */

/* Out of space in the middle of a pyc: the write is cut short. Python up to
 * CPython 3.13.0 and PyPy 3.9 does not check the length it wrote
 * (CPython gh-126606) and renames the partial file into place; read back,
 * it breaks the next import with EOFError. In the tree that is Python's
 * bug; a cache that concentrates every write on one small file system must
 * not keep such a file. */
static void out_of_space(const struct harness_interp *py, struct harness_fixture *f)
{
	write_big(f);
	const char *program = "import big, app; print(len(big.X), app.VERSION)";
	struct harness_result *r = on_tmpfs(
	    f, "size=24k,mode=0700", twice_then_check,
	    (const char *[]){ py->path, program, harness_cache_checker(f), f->root, NULL });
	assert_sound(r->out, "5000 1\nexit 0\n5000 1\nexit 0\n", py, "a cache out of space",
		     r->err);
	harness_assert_tree_clean(f, py);
	free(r);
}

Test(faults, full_cache_never_keeps_a_truncated_pyc)
{
	need_mount();
	harness_each_python(out_of_space);
}

/* Out of inodes: whole creates fail (mkdir, open), nothing is half-done. */
static void out_of_inodes(const struct harness_interp *py, struct harness_fixture *f)
{
	/* The root, layout, a fan-out, one entry, its record: then nothing more. */
	struct harness_result *r =
	    on_tmpfs(f, "nr_inodes=5,mode=0700", twice_then_check,
		     (const char *[]){ py->path, "import app; print(app.VERSION)",
				       harness_cache_checker(f), f->root, NULL });
	assert_sound(r->out, "1\nexit 0\n1\nexit 0\n", py, "a cache out of inodes", r->err);
	harness_assert_tree_clean(f, py);
	free(r);
}

Test(faults, cache_out_of_inodes_still_imports)
{
	need_mount();
	harness_each_python(out_of_inodes);
}

/* A file size limit (RLIMIT_FSIZE) below a pyc's size: the same short write
 * as a full disk, with no mount needed. Python ignores SIGXFSZ. */
static void file_size_limit(const struct harness_interp *py, struct harness_fixture *f)
{
	write_big(f);
	const char *program =
	    "import resource, signal\n"
	    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
	    "resource.setrlimit(resource.RLIMIT_FSIZE, (16384, resource.RLIM_INFINITY))\n"
	    "import big, app\n"
	    "print(len(big.X), app.VERSION)\n";
	for (int run = 0; run < 2; run++) {
		struct harness_result *r = harness_python(f, py, true, NULL, "-c", program, NULL);
		cr_assert_eq(r->status, 0, "%s, run %d: exit %d\n%.1500s", py->label, run + 1,
			     r->status, r->err);
		cr_assert_str_eq(r->out, "5000 1\n", "%s, run %d: %s", py->label, run + 1, r->out);
		free(r);
	}
	char report[4096];
	check_cache(f, py, report, sizeof report);
	assert_sound(report, "", py, "a file size limit", NULL);
	harness_assert_tree_clean(f, py);
}

Test(faults, file_size_limit_never_keeps_a_truncated_pyc) { harness_each_python(file_size_limit); }

/* A failed mkdir of __pycache__ says why, as in the tree on such a file
 * system: ENOSPC on a full cache, EROFS on a read-only one; not ENOENT,
 * which no mkdir of a __pycache__ in an existing directory can meet. */
static const char mkdir_errno[] = "import errno, os, subprocess, sys\n"
				  "def mkdir(d):\n"
				  "    try:\n"
				  "        os.mkdir(d)\n"
				  "        return 'ok'\n"
				  "    except OSError as e:\n"
				  "        return errno.errorcode[e.errno]\n"
				  "print('full', mkdir('one/__pycache__'))\n";

static void mkdir_says_why(const struct harness_interp *py, struct harness_fixture *f)
{
	write_tree_file(f, "one/m.py", "\n");
	struct harness_result *r = on_tmpfs(f, "nr_inodes=1,mode=0700", "\"$1\" -c \"$2\"",
					    (const char *[]){ py->path, mkdir_errno, NULL });
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, "full ENOSPC\n", "%s: mkdir on a cache out of inodes: %s",
			 py->label, r->out);
	free(r);

	/* Read-only once the process has checked the root. */
	char program[2048];
	HARNESS_PATH(program, "%s%s", mkdir_errno,
		     "subprocess.check_call(['mount', '-o', 'remount,ro', "
		     "os.environ['PYCACHE_REDIRECT_DIR']])\n"
		     "print('read-only', mkdir('two/__pycache__'))\n");
	write_tree_file(f, "two/m.py", "\n");
	r = on_tmpfs(f, "mode=0700", "\"$1\" -c \"$2\"",
		     (const char *[]){ py->path, program, NULL });
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, "full ok\nread-only EROFS\n",
			 "%s: mkdir on a cache made read-only: %s", py->label, r->out);
	harness_assert_tree_clean(f, py);
	free(r);
}

Test(faults, failed_mkdir_of_pycache_says_why)
{
	need_mount();
	harness_each_python(mkdir_says_why);
}

/* A move into a full cache is refused with ENOSPC, what a whole write would
 * have met, whatever errno held before (here ENOENT, from a failed stat). */
static const char move_into_full[] =
    "import errno, os\n"
    "os.mkdir('pkg/__pycache__')\n"
    "with open('pkg/__pycache__/m.tmp', 'wb') as f:\n"
    "    f.write(b'x' * 1000)\n"
    "try:\n"
    "    with open(os.environ['PYCACHE_REDIRECT_DIR'] + '/filler', 'wb', buffering=0) as f:\n"
    "        while True:\n"
    "            f.write(bytes(4096))\n"
    "except OSError:\n"
    "    pass\n"
    "try:\n"
    "    os.stat('pkg/absent')\n"
    "except OSError:\n"
    "    pass\n"
    "try:\n"
    "    os.replace('pkg/__pycache__/m.tmp', 'pkg/__pycache__/m.%s.pyc')\n"
    "    print('replace ok')\n"
    "except OSError as e:\n"
    "    print('replace', errno.errorcode[e.errno])\n";

static void move_into_a_full_cache(const struct harness_interp *py, struct harness_fixture *f)
{
	write_tree_file(f, "pkg/m.py", "\n");
	char program[2048];
	HARNESS_PATH(program, move_into_full, py->tag);
	struct harness_result *r = on_tmpfs(f, "size=64k,mode=0700", "\"$1\" -c \"$2\"",
					    (const char *[]){ py->path, program, NULL });
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, "replace ENOSPC\n", "%s: %s", py->label, r->out);
	harness_assert_tree_clean(f, py);
	free(r);
}

Test(faults, move_into_a_full_cache_says_enospc)
{
	need_mount();
	harness_each_python(move_into_a_full_cache);
}

/* ---- the root changes under a running Python ---- */

static void write_late(const struct harness_fixture *f)
{
	write_tree_file(f, "late/__init__.py", "\n");
	write_tree_file(f, "late/one.py", "N = 1\n");
	write_tree_file(f, "late/two.py", "N = 2\n");
	write_tree_file(f, "later/__init__.py", "N = 3\n");
}

/* The central pyc of module in the tree's directory dir, for py. */
static void late_pyc(char *out, size_t size, const struct harness_fixture *f,
		     const struct harness_interp *py, const char *dir, const char *module)
{
	char src[PATH_MAX], name[128];
	HARNESS_PATH(src, "%s/%s", f->tree, dir);
	HARNESS_PATH(name, "%s.%s.pyc", module, py->tag);
	layout_central_of_dir(out, size, f->root, src, name);
}

/* Fails unless each (directory, module) pair of the list has its central pyc. */
static void assert_cached(const struct harness_fixture *f, const struct harness_interp *py,
			  const char *what, const char *const *pairs)
{
	for (; *pairs; pairs += 2) {
		char pyc[PATH_MAX];
		late_pyc(pyc, sizeof pyc, f, py, pairs[0], pairs[1]);
		cr_assert(harness_exists(pyc), "%s, %s: no %s", py->label, what, pyc);
	}
}

static void root_removed(const struct harness_interp *py, struct harness_fixture *f)
{
	write_late(f);
	const char *program = "import os, shutil\n"
			      "root = os.environ['PYCACHE_REDIRECT_DIR']\n"
			      "import app\n"
			      "shutil.rmtree(root)\n"
			      "import late.one\n"         /* a new entry, under no root */
			      "open(root, 'w').close()\n" /* a file where the root was */
			      "import late.two, later\n"
			      "os.unlink(root)\n"
			      "print(app.VERSION, late.one.N, late.two.N, later.N)\n";
	struct harness_result *r = harness_python(f, py, true, NULL, "-c", program, NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	cr_assert_str_eq(r->out, "1 1 2 3\n", "%s: %s", py->label, r->out);
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	free(r);
	harness_assert_tree_clean(f, py);

	/* The next run makes the cache again, whole. */
	r = harness_python(f, py, true, NULL, "-c", "import app, late.one, late.two, later", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	char report[4096];
	check_cache(f, py, report, sizeof report);
	assert_sound(report, "", py, "rebuilt after the root was removed", NULL);
	assert_cached(f, py, "rebuilt after the root was removed",
		      (const char *[]){ "app", "version", "app/stats", "count", "late", "two",
					"later", "__init__", NULL });
	harness_assert_tree_clean(f, py);
}

Test(faults, root_removed_while_python_runs) { harness_each_python(root_removed); }

static void root_made_read_only(const struct harness_interp *py, struct harness_fixture *f)
{
	write_late(f);
	const char *program = "import os, subprocess\n"
			      "import late.one\n"
			      "subprocess.check_call(['mount', '-o', 'remount,ro', "
			      "os.environ['PYCACHE_REDIRECT_DIR']])\n"
			      "import app, late.two, later\n"
			      "print(app.VERSION, late.one.N, late.two.N, later.N)\n";
	char one[PATH_MAX];
	late_pyc(one, sizeof one, f, py, "late", "one");
	struct harness_result *r = on_tmpfs(
	    f, "mode=0700",
	    "\"$1\" -c \"$2\"; echo \"exit $?\"; "
	    "test -f \"$5\" && echo kept; "
	    "PYCACHE_REDIRECT=0 \"$1\" -B \"$3\" \"$4\"",
	    (const char *[]){ py->path, program, harness_cache_checker(f), f->root, one, NULL });
	/* What was written before stays, whole. */
	assert_sound(r->out, "1 1 2 3\nexit 0\nkept\n", py, "a root made read-only", r->err);
	harness_assert_tree_clean(f, py);
	free(r);
}

Test(faults, root_made_read_only_while_python_runs)
{
	need_mount();
	harness_each_python(root_made_read_only);
}

/* ---- read-only source trees ---- */

/* The tree on a read-only bind mount: not even root may write there, and
 * the cache still gets every pyc. */
static void read_only_mount(const struct harness_interp *py, struct harness_fixture *f)
{
	char unshare[PATH_MAX];
	cr_assert(harness_have_program("unshare", unshare, sizeof unshare));
	const char *argv[] = {
		unshare,
		"-m",
		"/bin/sh",
		"-c",
		"mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && cd \"$0\" && "
		"if touch probe 2>/dev/null; then echo tree is writable; fi && exec \"$@\"",
		f->tree,
		py->path,
		"-m",
		"app",
		NULL
	};
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run_redirected(r, f, f->tree, NULL, argv);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "version: 1") && !strstr(r->out, "writable"), "%s: %s", py->label,
		  r->out);
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	free(r);
	harness_assert_sample_cached(f, py, "", "a read-only bind mount");
	harness_assert_tree_clean(f, py);
}

Test(faults, read_only_bind_mounted_tree_is_cached_centrally)
{
	need_mount();
	harness_each_python(read_only_mount);
}

#define NOBODY "65534"

static char setpriv[PATH_MAX];

/* chmod -R a-w of the tree. */
static void make_read_only(const char *dir)
{
	char sh[PATH_MAX * 2];
	HARNESS_PATH(sh, "chmod -R a-w '%s'", dir);
	cr_assert_eq(system(sh), 0, "%s", sh);
}

/* A user who may not write the tree (chmod -R a-w, uid 65534) runs the
 * sample: without the library Python caches nothing; with it, the user's
 * own root gets every pyc, the user's and closed to others. */
static void read_only_for_user(const struct harness_interp *py, struct harness_fixture *f)
{
	cr_assert(chmod(f->dir, 0755) == 0);
	cr_assert(mkdir(f->root, 0700) == 0 && chown(f->root, 65534, 65534) == 0);
	make_read_only(f->tree);
	const char *as_nobody[] = { setpriv,
				    "--reuid=" NOBODY,
				    "--regid=" NOBODY,
				    "--clear-groups",
				    py->path,
				    "-m",
				    "app",
				    NULL };
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	/* Whether this interpreter (and the library) can be run by that user. */
	harness_run_redirected(r, f, f->tree, (const char *[]){ "PYCACHE_REDIRECT=0", NULL },
			       (const char *[]){ setpriv, "--reuid=" NOBODY, "--regid=" NOBODY,
						 "--clear-groups", py->path, "-c", "pass", NULL });
	if (r->status != 0 || r->err[0]) {
		fprintf(stderr, "e2e: %s: not run as uid " NOBODY " (%.200s)\n", py->label, r->err);
		free(r);
		return;
	}

	harness_run(r, f->tree, NULL, as_nobody);
	cr_assert_eq(r->status, 0, "%s: without the library: %s", py->label, r->err);
	cr_assert_eq(harness_count_bytecode(f->tree, NULL, 0), 0,
		     "%s: the user could write the tree", py->label);

	harness_run_redirected(r, f, f->tree, NULL, as_nobody);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	free(r);
	harness_assert_sample_cached(f, py, "", "a tree the user may not write");
	char pyc[PATH_MAX];
	struct stat st;
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app/stats", "count", "");
	cr_assert(stat(pyc, &st) == 0 && st.st_uid == 65534, "%s: %s is not the user's", py->label,
		  pyc);
	harness_assert_tree_clean(f, py);
}

Test(faults, tree_the_user_may_not_write_is_cached_centrally)
{
	if (geteuid() != 0 || !harness_have_program("setpriv", setpriv, sizeof setpriv))
		cr_skip_test("needs root and setpriv to run Python as another user");
	harness_each_python(read_only_for_user);
}

/* ---- no file descriptors left ---- */

/* Runs out of descriptors, tries what an import does, frees some, imports,
 * runs out again. The same program prints the same with and without the
 * library: each failure is the one the tree gives. */
static const char emfile_program[] =
    "import errno, os, resource, sys\n"
    "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
    "resource.setrlimit(resource.RLIMIT_NOFILE, (min(64, soft), hard))\n"
    "tag = sys.implementation.cache_tag\n"
    "fds = []\n"
    "def fill():\n"
    "    try:\n"
    "        while True: fds.append(os.open(os.devnull, os.O_RDONLY))\n"
    "    except OSError as e: print('filled', errno.errorcode[e.errno])\n"
    "def attempt(what, call):\n"
    "    try:\n"
    "        call()\n"
    "        print(what, 'ok')\n"
    "    except OSError as e:\n"
    "        print(what, errno.errorcode[e.errno])\n"
    "fill()\n"
    "attempt('import', lambda: __import__('app.version'))\n"
    "attempt('mkdir', lambda: os.mkdir('app/__pycache__'))\n"
    "attempt('stat', lambda: os.stat('app/__pycache__'))\n"
    "attempt('listdir', lambda: os.listdir('app/__pycache__'))\n"
    "attempt('create', lambda: open('app/__pycache__/new.bin', 'wb'))\n"
    "for fd in fds[-8:]: os.close(fd)\n"
    "del fds[-8:]\n"
    "import app.version\n"
    "print('version', app.version.VERSION)\n"
    "fill()\n"
    "attempt('read pyc', lambda: open('app/__pycache__/version.%s.pyc' % tag, 'rb'))\n"
    "for fd in fds: os.close(fd)\n"
    "print(sorted(os.listdir('app/__pycache__')))\n";

static void no_descriptors(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_fixture plain;
	harness_fixture_init(&plain);
	struct harness_result *expect =
	    harness_python(&plain, py, false, NULL, "-c", emfile_program, NULL);
	harness_fixture_fini(&plain);
	cr_assert_eq(expect->status, 0, "%s: without the library: %s", py->label, expect->err);
	cr_assert(strstr(expect->out, "import EMFILE"), "%s: %s", py->label, expect->out);

	struct harness_result *r = harness_python(f, py, true, NULL, "-c", emfile_program, NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	cr_assert_str_eq(r->out, expect->out, "%s: with the library:\n%s\nwithout:\n%s", py->label,
			 r->out, expect->out);
	free(r);
	free(expect);
	char report[4096];
	check_cache(f, py, report, sizeof report);
	assert_sound(report, "", py, "no file descriptors", NULL);
	assert_cached(f, py, "no file descriptors",
		      (const char *[]){ "app", "version", "app/stats", "count", NULL });
	harness_assert_tree_clean(f, py);
}

Test(faults, no_file_descriptors_left_fails_as_in_the_tree) { harness_each_python(no_descriptors); }

/* DISABLED, for a decision: the library writes an entry's <key>.src record
 * only in the process whose mkdir made the entry, best effort. When that
 * write fails (no descriptor left, as here, or no space), the entry stays
 * without a record for good: `ls`, `clear DIR` and `prune --orphans` never
 * see it (the README says so of entries without a record). This test asks
 * that a later process that writes into the entry records it. */
static void record_written_later(const struct harness_interp *py, struct harness_fixture *f)
{
	const char *program = "import os, resource\n"
			      "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
			      "resource.setrlimit(resource.RLIMIT_NOFILE, (min(64, soft), hard))\n"
			      "fds = []\n"
			      "try:\n"
			      "    while True: fds.append(os.open(os.devnull, os.O_RDONLY))\n"
			      "except OSError: pass\n"
			      "os.mkdir('app/__pycache__')\n"
			      "for fd in fds: os.close(fd)\n";
	struct harness_result *r = harness_python(f, py, true, NULL, "-c", program, NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	free(harness_run_app(f, py, NULL, NULL));
	char src[PATH_MAX], record[PATH_MAX], expect[PATH_MAX + 2], text[PATH_MAX];
	HARNESS_PATH(src, "%s/app", f->tree);
	layout_central_of_dir(record, sizeof record, f->root, src, NULL);
	strcat(record, ".src");
	HARNESS_PATH(expect, "%s\n", src);
	cr_assert_geq(harness_read_file(record, text, sizeof text), 0,
		      "%s: the entry of %s never got its record %s", py->label, src, record);
	cr_assert_str_eq(text, expect);
}

Test(faults, entry_made_without_descriptors_gets_its_record_later)
{
	harness_each_python(record_written_later);
}
