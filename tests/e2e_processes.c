/* The library through the ways a redirected Python makes processes: fork
 * (children and grandchildren), subprocess (vfork on CPython 3.10+),
 * posix_spawn, multiprocessing with each start method, execv and execve.
 * The children's imports land in the cache, the tree stays clean, and each
 * new program applies the rules to itself: a shell or ls is out of the
 * default scope, PYCACHE_REDIRECT=0 or another PYCACHE_REDIRECT_DIR in a
 * child's environment is obeyed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

#define KIDS 12

/* kids/mK.py for K < KIDS: independent modules, so that each process of a
 * test imports its own. */
static void write_kids(const struct harness_fixture *f)
{
	char path[PATH_MAX], text[64];
	HARNESS_PATH(path, "%s/kids", f->tree);
	cr_assert(mkdir(path, 0755) == 0);
	HARNESS_PATH(path, "%s/kids/__init__.py", f->tree);
	harness_write_file(path, "\n");
	for (int k = 0; k < KIDS; k++) {
		HARNESS_PATH(path, "%s/kids/m%d.py", f->tree, k);
		HARNESS_PATH(text, "NAME = 'm%d'\n", k);
		harness_write_file(path, text);
	}
}

/* The pyc of kids/mK (or kids/__init__ when k < 0) in root. */
static void kid_pyc(char *out, size_t size, const struct harness_fixture *f, const char *root,
		    const struct harness_interp *py, int k)
{
	char dir[PATH_MAX], name[128];
	HARNESS_PATH(dir, "%s/kids", f->tree);
	if (k < 0)
		HARNESS_PATH(name, "__init__.%s.pyc", py->tag);
	else
		HARNESS_PATH(name, "m%d.%s.pyc", k, py->tag);
	layout_central_of_dir(out, size, root, dir, name);
}

/* Reads each path given: this interpreter's magic, then a code object. */
static const char pyc_check[] =
    "import importlib.util, marshal, sys, types\n"
    "head = 16 if sys.version_info >= (3, 7) else 12\n"
    "for p in sys.argv[1:]:\n"
    "    with open(p, 'rb') as f: data = f.read()\n"
    "    assert data[:4] == importlib.util.MAGIC_NUMBER, p\n"
    "    assert isinstance(marshal.loads(data[head:]), types.CodeType), p\n"
    "print('ok')\n";

/* Fails unless root holds a valid pyc, closed to others, of kids/__init__
 * and of each module in mods (ending with -1). */
static void assert_kids_cached(const struct harness_fixture *f, const char *root,
			       const struct harness_interp *py, const int *mods, const char *what)
{
	static char pycs[KIDS + 1][PATH_MAX];
	const char *argv[KIDS + 8] = { py->path, "-B", "-c", pyc_check };
	size_t n = 4;
	for (int i = -1; i < 0 || mods[i] >= 0; i++, n++) {
		kid_pyc(pycs[i + 1], sizeof pycs[i + 1], f, root, py, i < 0 ? -1 : mods[i]);
		struct stat st;
		cr_assert(stat(pycs[i + 1], &st) == 0, "%s, %s: no %s", py->label, what,
			  pycs[i + 1]);
		cr_assert(S_ISREG(st.st_mode) && st.st_uid == geteuid(),
			  "%s, %s: %s is not a file "
			  "of the user's",
			  py->label, what, pycs[i + 1]);
		argv[n] = pycs[i + 1];
	}
	argv[n] = NULL;
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, f->tree, NULL, argv);
	cr_assert_eq(r->status, 0, "%s, %s: %s", py->label, what, r->err);
	free(r);
}

/* Runs program (python -c) in f's tree under the library; its exit must be 0
 * and its stderr empty. free() the result. */
static struct harness_result *run_program(const struct harness_fixture *f,
					  const struct harness_interp *py, const char *const *env,
					  const char *program)
{
	struct harness_result *r = harness_python(f, py, true, env, "-c", program, NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s%s", py->label, r->status, r->out, r->err);
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	return r;
}

/* ---- fork ---- */

static const char fork_program[] =
    "import os\n"
    "def wait(pid):\n"
    "    status = os.waitpid(pid, 0)[1]\n"
    "    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 100 + os.WTERMSIG(status)\n"
    "def forked(mod, depth=0):\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        code = 1\n"
    "        try:\n"
    "            if depth:\n"
    "                code = wait(forked(mod, depth - 1))\n"
    "            else:\n"
    "                __import__(mod)\n"
    "                code = 0\n"
    "        finally:\n"
    "            os._exit(code)\n"
    "    return pid\n"
    /* The child makes the package's entry; the parent then finds it. */
    "print('first', wait(forked('kids.m0')))\n"
    "import kids.m1\n"
    "print('after', wait(forked('kids.m2')))\n"
    "print('grandchild', wait(forked('kids.m3', 1)))\n"
    "print(kids.m1.NAME)\n";

static void fork_children(const struct harness_interp *py, struct harness_fixture *f)
{
	write_kids(f);
	struct harness_result *r = run_program(f, py, NULL, fork_program);
	cr_assert_str_eq(r->out, "first 0\nafter 0\ngrandchild 0\nm1\n", "%s: %s", py->label,
			 r->out);
	free(r);
	assert_kids_cached(f, f->root, py, (const int[]){ 0, 1, 2, 3, -1 }, "fork");
	harness_assert_tree_clean(f, py);
}

Test(processes, forked_children_import_into_the_cache) { harness_each_python(fork_children); }

/* ---- subprocess, posix_spawn, a shell between ---- */

static const char spawn_program[] =
    "import os, shutil, subprocess, sys\n"
    "PIPE = subprocess.PIPE\n"
    "def child(mod, *flags):\n"
    "    return [sys.executable] + list(flags) + ['-c',\n"
    "        'import sys; sys.path.insert(0, \"\"); import %s as m; print(m.NAME)' % mod]\n"
    "r = subprocess.run(child('kids.m4'), stdout=PIPE)\n"
    "print('subprocess', r.returncode, r.stdout.decode().strip())\n"
    /* -I: Python ignores PYTHON* variables and the working directory; the
	 * library, loaded before Python reads anything, still redirects. */
    "r = subprocess.run(child('kids.m5', '-I'), stdout=PIPE)\n"
    "print('isolated', r.returncode, r.stdout.decode().strip())\n"
    /* A shell between: out of scope itself, its Python child in scope. */
    "r = subprocess.run(['/bin/sh', '-c', '\"$@\"', 'sh'] + child('kids.m6'), stdout=PIPE)\n"
    "print('shell', r.returncode, r.stdout.decode().strip())\n"
    /* The spawned child prints m7 to the same stdout. */
    "if hasattr(os, 'posix_spawn'):\n"
    "    sys.stdout.flush()\n"
    "    pid = os.posix_spawn(sys.executable, child('kids.m7'), os.environ)\n"
    "    print('posix_spawn', os.waitpid(pid, 0)[1] >> 8)\n"
    "else:\n"
    "    print('posix_spawn none')\n"
    /* ls is no Python: in the default scope it sees the tree as it is. */
    "ls = shutil.which('ls')\n"
    "r = subprocess.run([ls, 'kids/__pycache__'], stdout=PIPE, stderr=PIPE)\n"
    "print('ls', r.returncode != 0, os.path.isdir('kids/__pycache__'))\n"
    "r = subprocess.run([ls, 'kids/__pycache__'], stdout=PIPE,\n"
    "                   env=dict(os.environ, PYCACHE_REDIRECT_SCOPE='all'))\n"
    "print('ls scope=all', r.returncode, sorted(r.stdout.decode().split())[:2])\n"
    /* Switched off in its environment, a child writes in the tree. */
    "r = subprocess.run(child('kids.m8'), stdout=PIPE, env=dict(os.environ, "
    "PYCACHE_REDIRECT='0'))\n"
    "print('off', r.returncode, r.stdout.decode().strip())\n";

static char strace[PATH_MAX];

static void spawned_children(const struct harness_interp *py, struct harness_fixture *f)
{
	write_kids(f);
	char trace[PATH_MAX];
	HARNESS_PATH(trace, "%s/trace", f->dir);
	/* Under strace when there is one, to see that vfork was used. */
	const char *argv[] = {
		strace,   "-f", "-qq",         "-o", trace, "-e", "trace=vfork,clone,clone3",
		py->path, "-c", spawn_program, NULL
	};
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run_redirected(r, f, f->tree, NULL, *strace ? argv : argv + 7);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s%s", py->label, r->status, r->out, r->err);
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);

	bool spawned = strstr(r->out, "posix_spawn none") == NULL;
	char expect[1024];
	HARNESS_PATH(expect,
		     "subprocess 0 m4\nisolated 0 m5\nshell 0 m6\n%s"
		     "ls True True\nls scope=all 0 ['__init__.%s.pyc', 'm4.%s.pyc']\noff 0 m8\n",
		     spawned ? "m7\nposix_spawn 0\n" : "posix_spawn none\n", py->tag, py->tag);
	cr_assert_str_eq(r->out, expect, "%s: %s", py->label, r->out);
	free(r);
	/* posix_spawn came with CPython 3.8; PyPy 3.9 has none. */
	cr_assert(spawned || py->minor < 8 || strncmp(py->tag, "pypy", 4) == 0,
		  "%s: no os.posix_spawn", py->label);
	assert_kids_cached(f, f->root, py,
			   spawned ? (const int[]){ 4, 5, 6, 7, -1 } : (const int[]){ 4, 5, 6, -1 },
			   "subprocess and posix_spawn");

	if (*strace) {
		static char text[1 << 20];
		cr_assert_geq(harness_read_file(trace, text, sizeof text), 0);
		/* glibc's posix_spawn clones with CLONE_VFORK; CPython 3.10+'s
		 * subprocess calls vfork. */
		if (spawned)
			cr_assert(strstr(text, "CLONE_VFORK"), "%s: no vfork clone:\n%.2000s",
				  py->label, text);
		if (strncmp(py->tag, "cpython", 7) == 0 && py->minor >= 10)
			cr_assert(strstr(text, "vfork("), "%s: subprocess did not vfork:\n%.2000s",
				  py->label, text);
	}

	/* The child that was switched off wrote in the tree, as Python does
	 * without the library; it alone did. */
	char pyc[PATH_MAX];
	HARNESS_PATH(pyc, "%s/kids/__pycache__/m8.%s.pyc", f->tree, py->tag);
	cr_assert(harness_exists(pyc), "%s: the switched-off child did not write %s", py->label,
		  pyc);
	kid_pyc(pyc, sizeof pyc, f, f->root, py, 8);
	cr_assert_not(harness_exists(pyc), "%s: the switched-off child wrote %s", py->label, pyc);
	char first[PATH_MAX];
	size_t n = harness_count_bytecode(f->tree, first, sizeof first);
	cr_assert_eq(n, 3,
		     "%s: %zu bytecode paths in the tree (kids/__pycache__ with the "
		     "package's and m8's pyc expected), first %s",
		     py->label, n, first);
}

Test(processes, spawned_children_follow_their_own_rules)
{
	if (!harness_have_program("strace", strace, sizeof strace)) {
		strace[0] = '\0';
		fprintf(stderr, "e2e: strace not found: not checking that vfork was used\n");
	}
	harness_each_python(spawned_children);
}

/* ---- multiprocessing ---- */

/* Each start method runs importlib.import_module in a child: a fork of the
 * parent, a fresh interpreter, a fork of a fresh server. */
static const char multiprocessing_program[] =
    "import importlib, multiprocessing\n"
    "if __name__ == '__main__':\n"
    "    for k, method in enumerate(('fork', 'spawn', 'forkserver')):\n"
    "        p = multiprocessing.get_context(method).Process(\n"
    "            target=importlib.import_module, args=('kids.m%d' % (9 + k),))\n"
    "        p.start()\n"
    "        p.join()\n"
    "        print(method, p.exitcode)\n";

static void multiprocessing_children(const struct harness_interp *py, struct harness_fixture *f)
{
	write_kids(f);
	struct harness_result *r = run_program(f, py, NULL, multiprocessing_program);
	cr_assert_str_eq(r->out, "fork 0\nspawn 0\nforkserver 0\n", "%s: %s", py->label, r->out);
	free(r);
	assert_kids_cached(f, f->root, py, (const int[]){ 9, 10, 11, -1 }, "multiprocessing");
	harness_assert_tree_clean(f, py);
}

Test(processes, multiprocessing_children_import_into_the_cache)
{
	harness_each_python(multiprocessing_children);
}

/* ---- exec ---- */

/* execv keeps the environment: still redirected. execve with another root
 * in the environment: the new program reads it afresh. */
static const char exec_program[] =
    "import os, sys\n"
    "import kids.m0\n"
    "then = ('import os, sys; import kids.m2; print(kids.m2.NAME); sys.stdout.flush(); '\n"
    "        'os.execve(sys.executable, [sys.executable, \"-c\", sys.argv[1]], '\n"
    "        'dict(os.environ, PYCACHE_REDIRECT_DIR=sys.argv[2]))')\n"
    "last = 'import kids.m1; print(kids.m1.NAME)'\n"
    "sys.stdout.flush()\n"
    "os.execv(sys.executable, [sys.executable, '-c', then, last, sys.argv[1]])\n";

static void exec_children(const struct harness_interp *py, struct harness_fixture *f)
{
	write_kids(f);
	char other[PATH_MAX];
	HARNESS_PATH(other, "%s/other-root", f->dir);
	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-c", exec_program, other, NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s%s", py->label, r->status, r->out, r->err);
	cr_assert_str_eq(r->out, "m2\nm1\n", "%s: %s", py->label, r->out);
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	free(r);
	assert_kids_cached(f, f->root, py, (const int[]){ 0, 2, -1 }, "execv");
	assert_kids_cached(f, other, py, (const int[]){ 1, -1 }, "execve with another root");
	char pyc[PATH_MAX];
	kid_pyc(pyc, sizeof pyc, f, f->root, py, 1);
	cr_assert_not(harness_exists(pyc), "%s: %s is in the first root", py->label, pyc);
	harness_assert_tree_clean(f, py);
}

Test(processes, exec_keeps_the_redirect_and_reads_the_new_environment)
{
	harness_each_python(exec_children);
}
