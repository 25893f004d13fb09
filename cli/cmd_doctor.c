/* doctor [--json]: whether the redirect can work here, one check a line:
 * the configuration, the cache root, its free space, the library, the
 * environment, and for each interpreter found a real import through the
 * library into a temporary cache root. Exit 1 when any check finds a
 * problem. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/fs.h"
#include "../core/ident.h"
#include "../core/map.h"
#include "../core/root.h"
#include "../core/store.h"
#include "cli.h"

extern char **environ;

#define MAX_CHECKS 32
#define MAX_INTERPRETERS 16
#define MIN_FREE_BYTES (100ull << 20)
#define PROBE_TIMEOUT_MS 60000

struct check {
	char name[2 * PATH_MAX + 16];
	bool ok;
	char detail[2 * PATH_MAX];
	char fix[PATH_MAX + 256]; /* "" when there is nothing to do */
};

static struct check checks[MAX_CHECKS];
static size_t nchecks;

static void vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	if (vsnprintf(buf, size, fmt, ap) < 0)
		buf[0] = '\0';
}

/* A new check's verdict and its words; fix (NULL: none) says what to do. */
static struct check *report(bool ok, const char *name, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static struct check *report(bool ok, const char *name, const char *fix, const char *fmt, ...)
{
	static struct check overflow;
	struct check *c = nchecks < MAX_CHECKS ? &checks[nchecks++] : &overflow;
	snprintf(c->name, sizeof c->name, "%s", name);
	c->ok = ok;
	va_list ap;
	va_start(ap, fmt);
	vformat(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
	snprintf(c->fix, sizeof c->fix, "%s", fix ? fix : "");
	return c;
}

static void set_fix(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_fix(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat(c->fix, sizeof c->fix, fmt, ap);
	va_end(ap);
}

/* ---- running a child: output merged, a deadline, never a crash of ours ---- */

struct child {
	int status; /* exit code, 128 + signal, or -1: could not start / timed out */
	bool timed_out;
	char out[8192];
};

static void collect_output(struct child *r, pid_t pid, int fd)
{
	size_t used = 0;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed =
		    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= PROBE_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			r->timed_out = true;
			break;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, (int)(PROBE_TIMEOUT_MS - elapsed));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		char buf[4096];
		ssize_t got = read(fd, buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		size_t keep = (size_t)got;
		if (keep > sizeof r->out - 1 - used)
			keep = sizeof r->out - 1 - used;
		memcpy(r->out + used, buf, keep);
		used += keep;
	}
	r->out[used] = '\0';
	close(fd);
}

static void wait_child(struct child *r, pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r->timed_out)
		r->status = -1;
	else if (WIFEXITED(status))
		r->status = WEXITSTATUS(status);
	else
		r->status = 128 + WTERMSIG(status);
}

/* Runs child(arg) in a child process, its stdin /dev/null and its stdout
 * and stderr into r->out, and waits for it (a child never returns). */
static void in_child(struct child *r, void (*child)(const void *arg), const void *arg)
{
	r->status = -1;
	r->timed_out = false;
	r->out[0] = '\0';
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(r->out, sizeof r->out, "cannot make a pipe: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(r->out, sizeof r->out, "cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		child(arg);
		_exit(127);
	}
	close(fds[1]);
	collect_output(r, pid, fds[0]);
	wait_child(r, pid);
}

struct command {
	const char *cwd;
	char *const *argv, *const *envp;
};

static void exec_command(const void *arg)
{
	const struct command *c = arg;
	if (c->cwd && chdir(c->cwd) < 0)
		_exit(126);
	execve(c->argv[0], c->argv, c->envp);
	dprintf(STDERR_FILENO, "cannot execute %s: %s\n", c->argv[0], strerror(errno));
}

/* argv with envp in cwd; stdout and stderr both into r->out. */
static void spawn(struct child *r, const char *cwd, char *const *argv, char *const *envp)
{
	const struct command c = { .cwd = cwd, .argv = argv, .envp = envp };
	in_child(r, exec_command, &c);
}

/* The first line of s, for a message. */
static const char *first_line(const char *s, char *buf, size_t size)
{
	while (*s == '\n')
		s++;
	size_t n = strcspn(s, "\n");
	snprintf(buf, size, "%.*s", (int)n, s);
	return buf;
}

/* ---- the configuration ---- */

static const char *environment(const char *name) { return getenv(name); }

static bool check_config(struct pcr_config *c)
{
	pcr_config_load(c, environment, (unsigned long)geteuid());
	if (c->root_len == 0) {
		report(false, "configuration",
		       "set " PCR_ENV_DIR " to an absolute directory other than /, or unset it",
		       "%s", c->problem ? c->problem : "the cache root setting is refused");
		return false;
	}
	if (c->problem)
		report(false, "configuration",
		       "correct or unset the variable (" PCR_CLI_NAME " --help lists the values)",
		       "%s; the library ignores that setting", c->problem);
	else if (!c->enabled)
		report(false, "configuration", "unset " PCR_ENV_SWITCH " (or set it to 1)",
		       "switched off: " PCR_ENV_SWITCH "=%s makes the library pass every call "
		       "through",
		       getenv(PCR_ENV_SWITCH) ? getenv(PCR_ENV_SWITCH) : "");
	else
		report(true, "configuration", NULL, "cache root %s (from %s), scope %s", c->root,
		       pcr_root_origin_str(c->root_origin),
		       c->scope == PCR_SCOPE_ALL ? "all" : "python");
	return true;
}

/* ---- the cache root ---- */

/* The root, or the nearest directory above it that exists. */
static void existing_ancestor(const char *root, char *out, size_t size)
{
	snprintf(out, size, "%s", root);
	struct stat st;
	while (lstat(out, &st) < 0 && strcmp(out, "/") != 0) {
		char *slash = strrchr(out, '/');
		if (!slash)
			break;
		if (slash == out)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

static void root_missing(const char *root)
{
	char above[PATH_MAX];
	existing_ancestor(root, above, sizeof above);
	if (access(above, W_OK | X_OK) == 0) {
		report(true, "cache root", NULL,
		       "%s does not exist yet; it will be created (mode 0700) on the first import",
		       root);
		return;
	}
	struct check *k = report(false, "cache root", NULL,
				 "%s does not exist, and cannot be created: %s is not writable "
				 "by this user (%s)",
				 root, above, strerror(errno));
	set_fix(k,
		"create it yourself (mkdir -p -m 700 %s) or set " PCR_ENV_DIR
		" to a directory of your own",
		root);
}

static void root_ok(const char *root)
{
	struct stat st;
	if (lstat(root, &st) == 0 && (st.st_mode & 077) != 0) {
		struct check *k = report(true, "cache root", NULL,
					 "%s is yours, writable, mode %04o (others may read "
					 "the cached bytecode; 0700 keeps it private)",
					 root, (unsigned)(st.st_mode & 07777));
		set_fix(k, "chmod 700 %s", root);
		return;
	}
	report(true, "cache root", NULL, "%s is yours, writable, mode 0700", root);
}

static void check_root(const struct pcr_config *c)
{
	int err;
	enum pcr_root_status s =
	    pcr_root_prepare(&pcr_fs_libc, c->root, (unsigned long)geteuid(), false, &err);
	if (s == PCR_ROOT_MISSING) {
		root_missing(c->root);
		return;
	}
	if (s == PCR_ROOT_OK) {
		root_ok(c->root);
		return;
	}
	struct stat st;
	bool have = lstat(c->root, &st) == 0;
	struct check *k = report(false, "cache root", NULL,
				 "%s %s%s%s%s; the library will not use it and leaves every "
				 "__pycache__ in the source trees",
				 c->root, pcr_root_status_str(s), err ? " (" : "",
				 err ? strerror(err) : "", err ? ")" : "");
	switch (s) {
	case PCR_ROOT_SYMLINK:
		set_fix(k,
			"replace the link with a real directory (rm %s && mkdir -m 700 %s) "
			"or set " PCR_ENV_DIR " to the directory it points to",
			c->root, c->root);
		break;
	case PCR_ROOT_NOT_DIR:
		set_fix(k, "move the file away, or set " PCR_ENV_DIR " to another directory");
		break;
	case PCR_ROOT_FOREIGN:
		set_fix(k,
			"it belongs to uid %lu: set " PCR_ENV_DIR " to a directory of your "
			"own, or have its owner remove it",
			have ? (unsigned long)st.st_uid : 0ul);
		break;
	case PCR_ROOT_UNSAFE_MODE:
		set_fix(k, "chmod 700 %s (now %04o)", c->root,
			have ? (unsigned)(st.st_mode & 07777) : 0u);
		break;
	case PCR_ROOT_UNWRITABLE:
		set_fix(k,
			"chmod u+rwx %s, or, on a read-only file system, set " PCR_ENV_DIR
			" to a writable directory",
			c->root);
		break;
	case PCR_ROOT_IS_TOP:
		set_fix(k, "set " PCR_ENV_DIR " to a directory of its own, such as "
			   "~/.cache/pycache-redirect");
		break;
	default:
		set_fix(k, "check the path's parents, or set " PCR_ENV_DIR
			   " to a directory of your own");
		break;
	}
}

static void check_space(const struct pcr_config *c)
{
	char where[PATH_MAX];
	existing_ancestor(c->root, where, sizeof where);
	struct statvfs v;
	if (statvfs(where, &v) < 0) {
		report(false, "free space", "check that the file system is mounted",
		       "cannot read the free space of %s: %s", where, strerror(errno));
		return;
	}
	unsigned long long avail = (unsigned long long)v.f_bavail * v.f_frsize;
	unsigned long long total = (unsigned long long)v.f_blocks * v.f_frsize;
	char a[PCR_CLI_HUMAN_SIZE], t[PCR_CLI_HUMAN_SIZE];
	pcr_cli_human_size(avail, a);
	pcr_cli_human_size(total, t);
	if (avail < MIN_FREE_BYTES || (total > 0 && avail * 100 < total))
		report(false, "free space",
		       "free space on that file system (" PCR_CLI_NAME " clear removes the "
		       "cache) or set " PCR_ENV_DIR " to one with room",
		       "%s free of %s on the file system of %s: Python cannot write its "
		       "bytecode when it is full",
		       a, t, where);
	else
		report(true, "free space", NULL, "%s free of %s on the file system of %s", a, t,
		       where);
}

/* The size limit: a value the cleanup can use, and the cache under it by
 * the library's counter (a cleanup at the start of doctor saw to that). */
static void check_limit(const struct pcr_config *c)
{
	struct pcr_cli_limit l;
	char why[PATH_MAX + 128];
	if (!pcr_cli_size_limit(c, &l, why, sizeof why)) {
		report(false, "size limit",
		       "set a size such as 2G with " PCR_CLI_NAME
		       " config max-size, or fix " PCR_CLI_ENV_MAX_SIZE,
		       "%s: the cache is not kept under a limit", why);
		return;
	}
	if (l.origin == PCR_CLI_LIMIT_NONE) {
		report(true, "size limit", NULL,
		       "none: the cache grows until pruned (" PCR_CLI_NAME " config max-size 2G "
		       "sets one)");
		return;
	}
	char max[PCR_CLI_HUMAN_SIZE], est[PCR_CLI_HUMAN_SIZE];
	report(true, "size limit", NULL, "%s (%s); about %s written so far",
	       pcr_cli_human_size(l.bytes, max), pcr_cli_limit_origin_str(l.origin),
	       pcr_cli_human_size(pcr_store_counter_estimate(c->root), est));
}

/* ---- the library ---- */

static void load_library(const void *library)
{
	if (dlopen(library, RTLD_NOW | RTLD_LOCAL))
		_exit(0);
	const char *e = dlerror();
	dprintf(STDERR_FILENO, "%s\n", e ? e : "dlopen failed");
	_exit(1);
}

/* dlopen in a child, so that a broken library crashes the child only. */
static void try_dlopen(struct child *r, const char *library) { in_child(r, load_library, library); }

static bool check_library(char *library, size_t size)
{
	char why[PATH_MAX * 8];
	if (!pcr_cli_find_library(library, size, why, sizeof why)) {
		report(false, "library",
		       "build or install it, or set PYCACHE_REDIRECT_LIBRARY "
		       "to " PCR_LIBRARY_NAME,
		       "%s", why);
		return false;
	}
	struct child *r = malloc(sizeof *r);
	if (!r) {
		report(false, "library", NULL, "out of memory");
		return false;
	}
	try_dlopen(r, library);
	bool ok = r->status == 0;
	char line[1024];
	if (ok)
		report(true, "library", NULL, "%s loads", library);
	else if (r->status > 128)
		report(false, "library", "rebuild or reinstall it",
		       "%s crashes when loaded (signal %d)", library, r->status - 128);
	else
		report(false, "library",
		       "rebuild or reinstall it, or point PYCACHE_REDIRECT_LIBRARY at a "
		       "working " PCR_LIBRARY_NAME,
		       "%s does not load: %s", library, first_line(r->out, line, sizeof line));
	free(r);
	return ok;
}

/* ---- the environment ---- */

/* The LD_PRELOAD entry that names a copy of the library, or NULL. */
static const char *preloaded(char *entry, size_t size)
{
	const char *list = getenv("LD_PRELOAD");
	for (const char *p = list ? list : ""; *p;) {
		size_t n = strcspn(p, " :");
		const char *slash = memrchr(p, '/', n);
		const char *name = slash ? slash + 1 : p;
		size_t name_len = n - (size_t)(name - p);
		if (name_len == strlen(PCR_LIBRARY_NAME) &&
		    memcmp(name, PCR_LIBRARY_NAME, name_len) == 0 && n < size) {
			memcpy(entry, p, n);
			entry[n] = '\0';
			return entry;
		}
		p += n;
		if (*p)
			p++;
	}
	return NULL;
}

static void check_preload(const char *library)
{
	char entry[PATH_MAX];
	if (!preloaded(entry, sizeof entry)) {
		report(
		    true, "LD_PRELOAD", NULL,
		    "does not name the library here: the redirect is on only through `" PCR_CLI_NAME
		    " run` or after `eval \"$(" PCR_CLI_NAME " env)\"` "
		    "(in ~/.bashrc to have it always on)");
		return;
	}
	if (access(entry, R_OK) < 0) {
		struct check *k = report(false, "LD_PRELOAD", NULL,
					 "names %s, which cannot be read (%s): the loader "
					 "ignores it, with an error, in every program",
					 entry, strerror(errno));
		set_fix(k, "eval \"$(" PCR_CLI_NAME " env)\" again, or remove it from "
			   "LD_PRELOAD in your shell's start-up files");
		return;
	}
	char real_entry[PATH_MAX], real_library[PATH_MAX];
	if (library && realpath(entry, real_entry) && realpath(library, real_library) &&
	    strcmp(real_entry, real_library) != 0)
		report(true, "LD_PRELOAD", NULL,
		       "names %s, another copy than the one this command uses (%s)", entry,
		       library);
	else
		report(true, "LD_PRELOAD", NULL, "names %s: the redirect is on in this shell",
		       entry);
}

static void check_python_environment(void)
{
	const char *dont = getenv("PYTHONDONTWRITEBYTECODE");
	const char *prefix = getenv("PYTHONPYCACHEPREFIX");
	if (dont && *dont)
		report(false, "Python environment", "unset PYTHONDONTWRITEBYTECODE",
		       "PYTHONDONTWRITEBYTECODE=%s: Python writes no bytecode at all, so the "
		       "redirect has nothing to do and every import compiles again",
		       dont);
	if (prefix && *prefix)
		report(false, "Python environment", "unset PYTHONPYCACHEPREFIX",
		       "PYTHONPYCACHEPREFIX=%s: Python writes its bytecode there itself and "
		       "never asks for __pycache__, so the redirect has nothing to do",
		       prefix);
	if (!(dont && *dont) && !(prefix && *prefix))
		report(true, "Python environment", NULL,
		       "neither PYTHONDONTWRITEBYTECODE nor PYTHONPYCACHEPREFIX is set");
}

/* ---- the interpreters ---- */

struct interp {
	char shown[PATH_MAX]; /* as found */
	char real[PATH_MAX];  /* the binary it runs */
};

static bool is_elf(const char *path)
{
	char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool elf = read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
	close(fd);
	return elf;
}

static bool on_path(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	for (const char *p = path ? path : ""; *p;) {
		size_t n = strcspn(p, ":");
		if (n > 0 && snprintf(out, size, "%.*s/%s", (int)n, p, name) < (int)size &&
		    access(out, X_OK) == 0)
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

/* The binary a script (a pyenv shim) ends up running: sys.executable. */
static bool executable_of(const char *path, char *out, size_t size)
{
	struct child *r = malloc(sizeof *r);
	if (!r)
		return false;
	char *argv[] = { (char *)path, "-c", "import sys; print(sys.executable)", NULL };
	spawn(r, NULL, argv, environ);
	bool ok = r->status == 0 && r->out[0] == '/';
	if (ok) {
		r->out[strcspn(r->out, "\n")] = '\0';
		ok = realpath(r->out, out) != NULL && strlen(out) < size;
	}
	free(r);
	return ok;
}

static void consider(struct interp *list, size_t *n, const char *path)
{
	char real[PATH_MAX];
	if (*n == MAX_INTERPRETERS || access(path, X_OK) < 0 || !realpath(path, real))
		return;
	if (!is_elf(real) && !executable_of(path, real, sizeof real))
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i].real, real) == 0)
			return;
	snprintf(list[*n].shown, sizeof list[*n].shown, "%s", path);
	memcpy(list[*n].real, real, sizeof real);
	(*n)++;
}

/* /usr/bin/python3, python3 on PATH, the pyenv builds of Python 3, pypy3. */
static size_t find_interpreters(struct interp *list)
{
	size_t n = 0;
	char path[PATH_MAX], pattern[PATH_MAX];
	consider(list, &n, "/usr/bin/python3");
	if (on_path("python3", path, sizeof path))
		consider(list, &n, path);
	const char *pyenv = getenv("PYENV_ROOT"), *home = getenv("HOME");
	if (pyenv && *pyenv)
		snprintf(pattern, sizeof pattern, "%s/versions/3.*/bin/python", pyenv);
	else
		snprintf(pattern, sizeof pattern, "%s/.pyenv/versions/3.*/bin/python",
			 home && *home ? home : "/nonexistent");
	glob_t g;
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			consider(list, &n, g.gl_pathv[i]);
		globfree(&g);
	}
	if (on_path("pypy3", path, sizeof path))
		consider(list, &n, path);
	return n;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rmtree(const char *dir) { nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS); }

static bool write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

/* A temporary directory (physical path) holding tree/pkg/{__init__,mod}.py;
 * false with the reason in why. */
static bool make_probe_tree(char *dir, size_t size, char *why, size_t whysize)
{
	const char *tmp = getenv("TMPDIR");
	char templ[PATH_MAX], path[PATH_MAX + 64];
	snprintf(templ, sizeof templ, "%s/pcr-doctor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(templ) || !realpath(templ, dir) || strlen(dir) >= size - 64) {
		snprintf(why, whysize, "cannot create a temporary directory like %s: %s", templ,
			 strerror(errno));
		return false;
	}
	snprintf(path, sizeof path, "%s/tree", dir);
	bool ok = mkdir(path, 0700) == 0;
	snprintf(path, sizeof path, "%s/tree/pkg", dir);
	ok = ok && mkdir(path, 0700) == 0;
	snprintf(path, sizeof path, "%s/tree/pkg/__init__.py", dir);
	ok = ok && write_text(path, "");
	snprintf(path, sizeof path, "%s/tree/pkg/mod.py", dir);
	ok = ok && write_text(path, "VALUE = 42\n");
	if (!ok) {
		snprintf(why, whysize, "cannot write the test package in %s: %s", dir,
			 strerror(errno));
		rmtree(dir);
	}
	return ok;
}

static bool steers_bytecode(const char *entry)
{
	static const char *const names[] = {
		"LD_PRELOAD=", "PYTHONDONTWRITEBYTECODE=", "PYTHONPYCACHEPREFIX=",
		"PYCACHE_REDIRECT", /* every one of ours */
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/* This environment minus everything that steers bytecode or the redirect,
 * plus the library and the temporary root. free() it (the strings in
 * extra are the caller's). */
static char **probe_environment(char *const *extra)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	while (extra[k])
		k++;
	char **env = malloc((n + k + 1) * sizeof *env);
	if (!env)
		return NULL;
	size_t used = 0;
	for (size_t i = 0; i < n; i++)
		if (!steers_bytecode(environ[i]))
			env[used++] = environ[i];
	for (size_t i = 0; i < k; i++)
		env[used++] = extra[i];
	env[used] = NULL;
	return env;
}

#define PROBE_TAG "pcr-doctor-tag:"
#define PROBE_CODE                                                      \
	"import sys; sys.path.insert(0, sys.argv[1]); import pkg.mod; " \
	"print('" PROBE_TAG "' + str(sys.implementation.cache_tag))"

/* What the probe's run says: the interpreter's cache tag, or a problem. */
static bool probe_tag(struct check *k, const struct child *r, char *tag, size_t size)
{
	char line[1024];
	if (r->timed_out) {
		snprintf(k->detail, sizeof k->detail, "the test import did not finish in %d s",
			 PROBE_TIMEOUT_MS / 1000);
		return false;
	}
	const char *found = strstr(r->out, PROBE_TAG);
	if (r->status != 0 || !found) {
		snprintf(k->detail, sizeof k->detail,
			 "the test import failed (exit %d) under the library: %s", r->status,
			 first_line(r->out, line, sizeof line));
		snprintf(k->fix, sizeof k->fix,
			 "run it by hand with " PCR_ENV_LOG "=2 to see the library's messages");
		return false;
	}
	found += strlen(PROBE_TAG);
	snprintf(tag, size, "%.*s", (int)strcspn(found, "\n"), found);
	if (strcmp(tag, "None") == 0) {
		snprintf(k->detail, sizeof k->detail,
			 "this interpreter caches no bytecode (sys.implementation.cache_tag "
			 "is None): nothing to redirect");
		return false;
	}
	return true;
}

/* Whether the import wrote into the tree, and whether the pyc is central. */
static void probe_verdict(struct check *k, const char *dir, const char *tag)
{
	char pycache[PATH_MAX + 32], pyc[PATH_MAX + 128], root[PATH_MAX + 8];
	snprintf(pycache, sizeof pycache, "%s/tree/pkg/__pycache__", dir);
	snprintf(pyc, sizeof pyc, "%s/mod.%s.pyc", pycache, tag);
	snprintf(root, sizeof root, "%s/cache", dir);
	struct stat st;
	if (lstat(pycache, &st) == 0) {
		snprintf(k->detail, sizeof k->detail,
			 "the import wrote __pycache__ into the source tree: the library did "
			 "not redirect this interpreter");
		snprintf(k->fix, sizeof k->fix,
			 "run it with " PCR_ENV_LOG "=1 and " PCR_ENV_SCOPE "=all to see why; "
			 "a statically linked or setuid interpreter cannot be preloaded");
		return;
	}
	struct pcr_mapping *m = malloc(sizeof *m);
	if (!m) {
		snprintf(k->detail, sizeof k->detail, "out of memory");
		return;
	}
	const struct pcr_ident_keyer keyer = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	if (pcr_map_path(root, strlen(root), NULL, pyc, &keyer.keyer, m) != PCR_MAP_OK) {
		snprintf(k->detail, sizeof k->detail, "cannot map %s", pyc);
	} else if (stat(m->central, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(k->detail, sizeof k->detail,
			 "the import left no __pycache__ in the tree, but no bytecode in the "
			 "cache either (expected %s)",
			 m->central);
		snprintf(k->fix, sizeof k->fix,
			 "run it with " PCR_ENV_LOG "=2 to see the "
			 "library's rewrites");
	} else {
		k->ok = true;
		snprintf(k->detail, sizeof k->detail,
			 "an import through the library landed in the cache (%s)", tag);
	}
	free(m);
}

static void check_interpreter(const struct interp *py, const char *library)
{
	char name[2 * PATH_MAX + 16];
	if (strcmp(py->shown, py->real) == 0)
		snprintf(name, sizeof name, "import %s", py->shown);
	else
		snprintf(name, sizeof name, "import %s (%s)", py->shown, py->real);
	struct check *k = report(false, name, NULL, "out of memory");
	char dir[PATH_MAX], tree[PATH_MAX + 8], preload[PATH_MAX + 16], root[PATH_MAX + 32];
	if (!make_probe_tree(dir, sizeof dir, k->detail, sizeof k->detail)) {
		set_fix(k, "set TMPDIR to a writable directory");
		return;
	}
	snprintf(tree, sizeof tree, "%s/tree", dir);
	snprintf(preload, sizeof preload, "LD_PRELOAD=%s", library);
	snprintf(root, sizeof root, PCR_ENV_DIR "=%s/cache", dir);
	char *extra[] = { preload, root, PCR_ENV_LOG "=1", NULL };
	char **env = probe_environment(extra);
	struct child *r = malloc(sizeof *r);
	char tag[64];
	if (env && r) {
		char *argv[] = { (char *)py->real, "-c", PROBE_CODE, tree, NULL };
		spawn(r, tree, argv, env);
		if (probe_tag(k, r, tag, sizeof tag))
			probe_verdict(k, dir, tag);
	}
	free(r);
	free(env);
	rmtree(dir);
}

static void check_interpreters(const char *library)
{
	static struct interp list[MAX_INTERPRETERS];
	size_t n = find_interpreters(list);
	if (n == 0) {
		report(false, "interpreters", "install python3, or put it on PATH",
		       "no Python 3 found (looked for /usr/bin/python3, python3 and pypy3 on "
		       "PATH, pyenv builds)");
		return;
	}
	if (!library) {
		report(false, "interpreters", "make the library load first",
		       "%zu found, none tried: the library does not load", n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		check_interpreter(&list[i], library);
}

/* ---- output ---- */

static void print_human(void)
{
	for (size_t i = 0; i < nchecks; i++) {
		const struct check *c = &checks[i];
		printf("%-8s %s: %s", c->ok ? "ok" : "problem", c->name, c->detail);
		if (c->fix[0])
			printf(c->ok ? " (hint: %s)" : ". Fix: %s", c->fix);
		putchar('\n');
	}
}

static void print_json(bool all_ok)
{
	printf("{\"ok\":%s,\"checks\":[", all_ok ? "true" : "false");
	for (size_t i = 0; i < nchecks; i++) {
		const struct check *c = &checks[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
		pcr_cli_json_string(stdout, c->name);
		printf(",\"ok\":%s,\"detail\":", c->ok ? "true" : "false");
		pcr_cli_json_string(stdout, c->detail);
		fputs(",\"fix\":", stdout);
		if (c->fix[0])
			pcr_cli_json_string(stdout, c->fix);
		else
			fputs("null", stdout);
		putchar('}');
	}
	fputs("]}\n", stdout);
}

int pcr_cli_doctor(int argc, char **argv)
{
	static const struct pcr_cli_simple how = { .options_first = true };
	bool json = false;
	const char *none;
	int status = pcr_cli_simple_args(argc, argv, &how, &json, &none);
	if (status != PCR_CLI_PROCEED)
		return status;

	nchecks = 0;
	static struct pcr_config config;
	if (check_config(&config)) {
		check_root(&config);
		check_space(&config);
		pcr_cli_upkeep(PCR_CLI_UPKEEP_INLINE);
		check_limit(&config);
	}
	static char library[PATH_MAX];
	bool loads = check_library(library, sizeof library);
	check_preload(loads ? library : NULL);
	check_python_environment();
	check_interpreters(loads ? library : NULL);

	bool all_ok = true;
	for (size_t i = 0; i < nchecks; i++)
		all_ok = all_ok && checks[i].ok;
	if (json)
		print_json(all_ok);
	else
		print_human();
	return all_ok ? PCR_CLI_OK : PCR_CLI_FAILURE;
}
