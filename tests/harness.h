/* The end-to-end harness: the interpreters on this machine, a temporary
 * package tree and cache root per test, child processes with an environment
 * the test builds itself, and checks on what is on disk. */
#ifndef HARNESS_H
#define HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "layout.h" /* the expected keys and central paths */

struct harness_interp {
	char path[PATH_MAX];
	char tag[32];   /* sys.implementation.cache_tag: cpython-311, pypy39 */
	char label[80]; /* for messages: "cpython-311 /usr/bin/python3.11" */
	int major, minor;
	char version[32]; /* sys.version's first word: 3.11.2 */
	char libc[32];    /* the C library it runs on: glibc-2.36, musl-1.2.3 */
	/* The build of the library its processes load, as LD_PRELOAD names
	 * it: the glibc one, or for a musl interpreter the musl one (a musl
	 * process cannot load the glibc build, nor the reverse), behind an
	 * entry that gives glibc's programs the glibc one; and "LD_PRELOAD="
	 * it, for an environment a test builds. */
	const char *library;
	char preload[PATH_MAX + 16];
	/* Run in the Debian sid root (tests/setup --newest) through
	 * tests/in_root: path is its launcher, the host's /tmp, /dev, /proc and
	 * the project's directories are seen inside, nothing else of the host
	 * (its site-packages, its other programs). */
	bool in_root;
};

/* The interpreters found: /usr/bin/python3, $(pyenv root)/versions/3.x/bin/python,
 * pypy3 on PATH, the sid root's, the musl CPython of tests/setup --musl (or
 * the ':'-separated list in $PCR_TEST_PYTHONS). Fails the test when there is
 * none. */
size_t harness_interpreters(const struct harness_interp **list);

/* The CPython 2.7 interpreters: pyenv's 2.7 builds, python2.7 or python2
 * on PATH (tag "python2.7"); none is no failure. */
size_t harness_python2_interpreters(const struct harness_interp **list);

/* What harness_interpreters found and skipped, in words. */
const char *harness_interpreters_report(void);

/* Modules in the sample package (tests/sample), by the directory that holds
 * them relative to the tree, __main__ included: what `python -m app` caches. */
#define HARNESS_SAMPLE_MODULES 6
extern const struct harness_sample_module {
	const char *dir, *name;
} harness_sample_modules[HARNESS_SAMPLE_MODULES];

struct harness_fixture {
	char dir[PATH_MAX];  /* a fresh temporary directory */
	char tree[PATH_MAX]; /* dir/src: the sample package (see harness.c) */
	char root[PATH_MAX]; /* dir/cache: the cache root the tests set */
	/* The library harness_run_redirected preloads: the glibc build, or
	 * the interpreter's own under harness_each_python. */
	const char *library;
};

/* A temporary directory holding the sample tree; removed by fini. */
void harness_fixture_init(struct harness_fixture *f);
void harness_fixture_fini(struct harness_fixture *f);

/* Runs body once for each interpreter found, each time in a fresh fixture
 * whose library is the interpreter's. */
void harness_each_python(void (*body)(const struct harness_interp *py, struct harness_fixture *f));

/* The first interpreter found (Debian's python3 where there is one). */
const struct harness_interp *harness_first_python(void);

struct harness_result {
	int status; /* exit code, or 128 + signal */
	char out[1 << 16];
	char err[1 << 16];
};

/* argv as py's world runs it: for an interpreter of the sid root, a program
 * of that root that is not py's launcher (a venv's python, made by py)
 * runs through tests/in_root there; otherwise argv itself. out has room for
 * size entries, argv's and three more. */
const char *const *harness_argv_of(const struct harness_interp *py, const char *const *argv,
				   const char **out, size_t size);
#define HARNESS_ARGV_OF(py, ...) \
	harness_argv_of(py, (const char *const[]){ __VA_ARGS__ }, (const char *[40]){ 0 }, 40)

/* Whether an environment entry ("NAME=value") steers bytecode or the
 * redirect: what harness_run keeps out of every child's environment. */
bool harness_env_steers(const char *entry);

/* Runs argv (NULL-terminated) in cwd with the environment of the tests'
 * process minus everything that steers bytecode or the redirect
 * (PYTHONDONTWRITEBYTECODE, PYTHONPYCACHEPREFIX, PYTHONPATH, PYTHONHOME,
 * LD_PRELOAD, PYCACHE_REDIRECT*, XDG_CACHE_HOME), with env (NULL-terminated
 * "NAME=value" entries, or NULL) added or replacing. Captures stdout and stderr. */
void harness_run(struct harness_result *r, const char *cwd, const char *const *env,
		 const char *const *argv);

/* The same, under f->library with PYCACHE_REDIRECT_DIR=f->root, plus env. */
void harness_run_redirected(struct harness_result *r, const struct harness_fixture *f,
			    const char *cwd, const char *const *env, const char *const *argv);

/* Runs interpreter py with the arguments that follow (NULL-terminated) in
 * f->tree, under its library (harness_run_redirected) when redirect is set, else
 * plainly (harness_run). The result is heap-allocated: free() it. */
struct harness_result *harness_python(const struct harness_fixture *f,
				      const struct harness_interp *py, bool redirect,
				      const char *const *env, ...);

/* Whether the tests may mount a tmpfs in a private mount namespace here
 * (root, and unshare(1) allowed to make one). */
bool harness_can_mount(void);

/* harness_run_redirected, in a private mount namespace with a tmpfs mounted on
 * f->root (mount options opts): a cache root on a file system of its own,
 * gone when the run ends. f->root must exist. */
void harness_run_on_tmpfs_root(struct harness_result *r, const struct harness_fixture *f,
			       const char *opts, const char *const *env, const char *const *argv);

/* harness_run of argv in f's tree (env as harness_run takes it: no library unless
 * env preloads it), in a private mount namespace whose /tmp is a fresh
 * tmpfs that shows what the machine's /tmp holds but its
 * /tmp/pycache-redirect-*: a fallback root /tmp/pycache-redirect-<uid> is
 * made there, not in the machine's /tmp.
 * Every path under /tmp/pycache-redirect-* afterwards is listed, a line
 * each, in f->dir/private-tmp. Needs harness_can_mount(). */
void harness_run_with_private_tmp(struct harness_result *r, const struct harness_fixture *f,
				  const char *const *env, const char *const *argv);

/* The built pycache-redirect command with args (NULL-terminated), in cwd
 * (NULL: f's tree), with env as harness_run takes it. free() the result. */
struct harness_result *harness_cli(const struct harness_fixture *f, const char *cwd,
				   const char *const *env, const char *const *args);

/* `py -m app` (with flag before -m when not NULL) in f's tree under the
 * library, plus env; fails the test unless it exits 0. free() the result. */
struct harness_result *harness_run_app(const struct harness_fixture *f,
				       const struct harness_interp *py, const char *const *env,
				       const char *flag);

/* Rewrites a file of f's tree (path relative to it) with text, and dates it
 * 10 s ahead, so that Python's whole-second mtime check must see the change. */
void harness_edit_source(const struct harness_fixture *f, const char *path, const char *text);

/* The central pyc of a module of the sample for py, opt "" or ".opt-N". */
void harness_sample_pyc(char *out, size_t size, const struct harness_fixture *f,
			const struct harness_interp *py, const char *dir, const char *module,
			const char *opt);

/* The central pyc of every module of the sample for py, and its stat now;
 * fails the test when one is missing. */
void harness_sample_pyc_stats(const struct harness_fixture *f, const struct harness_interp *py,
			      char pyc[HARNESS_SAMPLE_MODULES][PATH_MAX],
			      struct stat st[HARNESS_SAMPLE_MODULES]);

/* Fails the test unless every module of the sample has its central pyc
 * (a regular file, in an entry directory of its owner's, 0700: the user
 * who ran Python); what names the step. */
void harness_assert_sample_cached(const struct harness_fixture *f, const struct harness_interp *py,
				  const char *opt, const char *what);

/* tests/check_cache.py copied into f's directory (readable by any uid a
 * test runs as): run it with the interpreter that wrote the cache, without
 * the library, on a root; it prints "ok N" or the problems. */
const char *harness_cache_checker(const struct harness_fixture *f);

/* Fails the test when f's tree holds a __pycache__ or a .pyc. */
void harness_assert_tree_clean(const struct harness_fixture *f, const struct harness_interp *py);

/* __pycache__ directories and .pyc files under dir; the first one found is
 * copied to first (when not NULL) for messages. */
size_t harness_count_bytecode(const char *dir, char *first, size_t first_size);

/* Regular files under dir (recursively) whose names end in suffix. */
size_t harness_count_files(const char *dir, const char *suffix);

/* How many times needle occurs in text, without overlaps. */
size_t harness_count_of(const char *text, const char *needle);

bool harness_exists(const char *path);
void harness_write_file(const char *path, const char *text);
/* The file's bytes (NUL-terminated) into buf; its length, or -1. */
long harness_read_file(const char *path, char *buf, size_t size);
void harness_rmtree(const char *path);
bool harness_have_program(const char *name, char *path, size_t size);

/* snprintf into a buffer that must be large enough (the test fails if not). */
#define HARNESS_PATH(buf, ...) harness_format((buf), sizeof(buf), __VA_ARGS__)
void harness_format(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
