/* Many writers on one cache at once: rounds of 16 processes started together,
 * each importing the same cold package of 105 modules, and one process whose
 * 8 threads import it together. After every round each import succeeded,
 * every central pyc is whole and matches its source, no temporary name is
 * left, each entry has its one record, and the tree holds no bytecode.
 *
 * Runs against the first interpreter, and PyPy when there is one.
 * PCR_STRESS_ROUNDS=N sets the rounds of both tests (a longer run). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness.h"

#define PROCS 16
#define SUBPACKAGES 4
#define MODULES 25 /* per subpackage */
#define PACKAGE_PYCS (1 + SUBPACKAGES + SUBPACKAGES * MODULES)
#define STR_(x) #x
#define STR(x) STR_(x)

extern char **environ;

/* ---- the package ---- */

static long value_of(int s, int m) { return s * 1000 + m; }

/* stress/sS/mM.py: a value, and enough code that compiling it takes a while
 * (the writers of a round overlap). */
static void write_package(const struct harness_fixture *f)
{
	char path[PATH_MAX], text[4096];
	HARNESS_PATH(path, "%s/stress", f->tree);
	cr_assert(mkdir(path, 0755) == 0);
	HARNESS_PATH(path, "%s/stress/__init__.py", f->tree);
	harness_write_file(path, "\"\"\"Generated for e2e_stress.\"\"\"\n");
	for (int s = 0; s < SUBPACKAGES; s++) {
		HARNESS_PATH(path, "%s/stress/s%d", f->tree, s);
		cr_assert(mkdir(path, 0755) == 0);
		HARNESS_PATH(path, "%s/stress/s%d/__init__.py", f->tree, s);
		harness_write_file(path, "\n");
		for (int m = 0; m < MODULES; m++) {
			HARNESS_PATH(path, "%s/stress/s%d/m%d.py", f->tree, s, m);
			HARNESS_PATH(
			    text,
			    "VALUE = %ld\n"
			    "NAMES = [%s]\n"
			    "class Thing%d:\n"
			    "    def __init__(self, x):\n"
			    "        self.x = x\n"
			    "    def scaled(self, k):\n"
			    "        return [self.x * i for i in range(k)]\n"
			    "def work(x):\n"
			    "    table = {i: i * x for i in range(VALUE %% 5 + 1)}\n"
			    "    return sum(table.values()) + len(Thing%d(x).scaled(3))\n",
			    value_of(s, m),
			    "'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', "
			    "'theta', 'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi', 'omicron'",
			    m, m);
			harness_write_file(path, text);
		}
	}
}

/* What the import program prints: the sum of the values, the number of
 * modules, the sum of work(3). */
static void expected_output(char *out, size_t size)
{
	long total = 0, work = 0;
	for (int s = 0; s < SUBPACKAGES; s++)
		for (int m = 0; m < MODULES; m++) {
			long v = value_of(s, m), sum = 0;
			for (long i = 0; i <= v % 5; i++)
				sum += i * 3;
			total += v;
			work += sum + 3;
		}
	harness_format(out, size, "%ld %d %ld\n", total, SUBPACKAGES * MODULES, work);
}

/* argv[1] is the process's number: each starts at another module, so that
 * writers meet on every file and every entry, not only on the first. */
#define IMPORT_ALL                                                                 \
	"import importlib, sys\n"                                                  \
	"names = ['stress.s%d.m%d' % (s, m) for s in range(SUBPACKAGES) for m in " \
	"range(MODULES)]\n"                                                        \
	"k = int(sys.argv[1]) * 7 % len(names)\n"                                  \
	"names = names[k:] + names[:k]\n"

static const char import_program[] = "SUBPACKAGES, MODULES = " STR(SUBPACKAGES) ", " STR(
    MODULES) "\n" IMPORT_ALL "mods = [importlib.import_module(n) for n in names]\n"
	     "print(sum(m.VALUE for m in mods), len(mods), sum(m.work(3) for m in mods))\n";

/* The same with 8 threads, each importing every eighth module at once. */
static const char threads_program[] = "SUBPACKAGES, MODULES = " STR(SUBPACKAGES) ", " STR(
    MODULES) "\n" IMPORT_ALL "import threading\n"
	     "start = threading.Barrier(8)\n"
	     "failed = []\n"
	     "def run(t):\n"
	     "    start.wait()\n"
	     "    try:\n"
	     "        for n in names[t::8]:\n"
	     "            importlib.import_module(n)\n"
	     "    except BaseException as e:\n"
	     "        failed.append(repr(e))\n"
	     "threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]\n"
	     "for t in threads: t.start()\n"
	     "for t in threads: t.join()\n"
	     "if failed: sys.exit('thread failed: ' + failed[0])\n"
	     "mods = [sys.modules[n] for n in names]\n"
	     "print(sum(m.VALUE for m in mods), len(mods), sum(m.work(3) for m in mods))\n";

/* ---- processes started together ---- */

struct child {
	pid_t pid;
	char out[PATH_MAX], err[PATH_MAX];
};

/* The environment of every child: the library on, with f's root. */
static const char **child_env(const struct harness_fixture *f)
{
	static const char *envp[512];
	static char dir[PATH_MAX + 32], preload[PATH_MAX + 16];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	HARNESS_PATH(preload, "LD_PRELOAD=%s", f->library);
	size_t n = 0;
	for (char **e = environ; *e && n < 500; e++)
		if (!harness_env_steers(*e)) /* what the harness keeps out, out here too */
			envp[n++] = *e;
	envp[n++] = preload;
	envp[n++] = dir;
	envp[n] = NULL;
	return envp;
}

/* Forks n children that each wait on one pipe, then lets them all exec
 * py -c program <number> at once, in f's tree. */
static void start_together(struct child *kids, size_t n, const struct harness_interp *py,
			   const struct harness_fixture *f, const char *program)
{
	const char **envp = child_env(f);
	int gate[2];
	cr_assert(pipe(gate) == 0);
	for (size_t i = 0; i < n; i++) {
		HARNESS_PATH(kids[i].out, "%s/out.%zu", f->dir, i);
		HARNESS_PATH(kids[i].err, "%s/err.%zu", f->dir, i);
		char number[16];
		HARNESS_PATH(number, "%zu", i);
		const char *argv[] = { py->path, "-c", program, number, NULL };
		kids[i].pid = fork();
		cr_assert(kids[i].pid >= 0, "fork: %s", strerror(errno));
		if (kids[i].pid == 0) {
			close(gate[1]);
			int out = open(kids[i].out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			int err = open(kids[i].err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			char go;
			if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
			    chdir(f->tree) < 0 || read(gate[0], &go, 1) != 0 || close(gate[0]) < 0)
				_exit(125);
			execve(argv[0], (char *const *)argv, (char *const *)envp);
			_exit(127);
		}
	}
	close(gate[0]);
	close(gate[1]); /* every child's read returns: go */
}

/* Waits for the children; fails unless each exited 0 having printed expect. */
static void expect_all(struct child *kids, size_t n, const struct harness_interp *py,
		       const char *expect, int round)
{
	static char out[1 << 16], err[1 << 16];
	for (size_t i = 0; i < n; i++) {
		int status;
		while (waitpid(kids[i].pid, &status, 0) < 0 && errno == EINTR)
			;
		harness_read_file(kids[i].out, out, sizeof out);
		harness_read_file(kids[i].err, err, sizeof err);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "%s, round %d, process %zu: status 0x%x\n%s", py->label, round, i,
			  (unsigned)status, err);
		cr_assert_str_eq(out, expect, "%s, round %d, process %zu printed %s", py->label,
				 round, i, out);
		cr_assert_str_empty(err, "%s, round %d, process %zu: %s", py->label, round, i, err);
	}
}

/* ---- what is left ---- */

static void check_cache(const struct harness_fixture *f, const struct harness_interp *py, int round)
{
	/* Every file whole and this interpreter's, every entry recorded, every
	 * module's pyc there (tests/check_cache.py). */
	char want[16];
	HARNESS_PATH(want, "%d", PACKAGE_PYCS);
	struct harness_result *r =
	    harness_python(f, py, false, NULL, "-B", harness_cache_checker(f), f->root, "--records",
			   "--pycs", want, NULL);
	cr_assert_eq(r->status, 0, "%s, round %d: the cache is not sound:\n%s%s", py->label, round,
		     r->out, r->err);
	free(r);

	/* The record of each source directory names it, where the layout says. */
	for (int s = -1; s < SUBPACKAGES; s++) {
		char dir[PATH_MAX], record[PATH_MAX], expect[PATH_MAX + 2], text[PATH_MAX];
		if (s < 0)
			HARNESS_PATH(dir, "%s/stress", f->tree);
		else
			HARNESS_PATH(dir, "%s/stress/s%d", f->tree, s);
		layout_central_of_dir(record, sizeof record, f->root, dir, NULL);
		strcat(record, ".src");
		HARNESS_PATH(expect, "%s\n", dir);
		cr_assert_geq(harness_read_file(record, text, sizeof text), 0,
			      "%s, round %d: no %s", py->label, round, record);
		cr_assert_str_eq(text, expect, "%s, round %d: %s", py->label, round, record);
	}
	harness_assert_tree_clean(f, py);
}

/* Between rounds, half the time the cache goes (every entry is made again
 * at once), half the time every source is dated anew (every pyc is
 * rewritten at once, over the old one). */
static void next_round(const struct harness_fixture *f, int round)
{
	if (round % 2 == 0) {
		harness_rmtree(f->root);
		return;
	}
	time_t stamp = time(NULL) + 10 * round;
	struct timespec times[2] = { { .tv_sec = stamp }, { .tv_sec = stamp } };
	for (int s = 0; s < SUBPACKAGES; s++)
		for (int m = -1; m < MODULES; m++) {
			char path[PATH_MAX];
			if (m < 0)
				HARNESS_PATH(path, "%s/stress/s%d/__init__.py", f->tree, s);
			else
				HARNESS_PATH(path, "%s/stress/s%d/m%d.py", f->tree, s, m);
			cr_assert(utimensat(AT_FDCWD, path, times, 0) == 0, "utimensat %s", path);
		}
	char path[PATH_MAX];
	HARNESS_PATH(path, "%s/stress/__init__.py", f->tree);
	cr_assert(utimensat(AT_FDCWD, path, times, 0) == 0);
}

static int rounds(int fallback)
{
	const char *v = getenv("PCR_STRESS_ROUNDS");
	return v && atoi(v) > 0 ? atoi(v) : fallback;
}

/* The interpreters these tests run: the first, and PyPy (slower to start:
 * fewer rounds) when it was found. */
static void each_stressed(void (*body)(const struct harness_interp *, struct harness_fixture *,
				       int),
			  int first_rounds, int pypy_rounds)
{
	const struct harness_interp *list;
	size_t n = harness_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		bool pypy = strncmp(list[i].tag, "pypy", 4) == 0;
		if (i > 0 && !pypy)
			continue;
		struct harness_fixture f;
		harness_fixture_init(&f);
		f.library = list[i].library;
		write_package(&f);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int k = rounds(i == 0 ? first_rounds : pypy_rounds);
		body(&list[i], &f, k);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(stderr, "e2e_stress: %s: %d rounds in %.1f s\n", list[i].label, k,
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		harness_fixture_fini(&f);
	}
}

static void processes(const struct harness_interp *py, struct harness_fixture *f, int k)
{
	char expect[128];
	expected_output(expect, sizeof expect);
	struct child kids[PROCS];
	for (int round = 0; round < k; round++) {
		start_together(kids, PROCS, py, f, import_program);
		expect_all(kids, PROCS, py, expect, round);
		check_cache(f, py, round);
		next_round(f, round);
	}
}

Test(stress, sixteen_processes_import_one_cold_package_at_once)
{
	each_stressed(processes, 50, 10);
}

static void threads(const struct harness_interp *py, struct harness_fixture *f, int k)
{
	char expect[128];
	expected_output(expect, sizeof expect);
	struct child kid;
	for (int round = 0; round < k; round++) {
		start_together(&kid, 1, py, f, threads_program);
		expect_all(&kid, 1, py, expect, round);
		check_cache(f, py, round);
		next_round(f, round);
	}
}

Test(stress, eight_threads_import_one_cold_package_at_once) { each_stressed(threads, 12, 6); }
