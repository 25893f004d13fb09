#include "harness.h"
#include "layout.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

extern char **environ;

void harness_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < size, "path too long for the test's buffer: %s", buf);
}

bool harness_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

void harness_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert(fclose(f) == 0, "cannot write %s", path);
}

long harness_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	ssize_t r;
	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	return (long)n;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	remove(path);
	return 0;
}

void harness_rmtree(const char *path)
{
	/* Directories a test made read-only must not stop the clean-up. */
	if (harness_exists(path))
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool harness_have_program(const char *name, char *path, size_t size)
{
	const char *dirs = getenv("PATH");
	char copy[PATH_MAX * 4];
	snprintf(copy, sizeof copy, "%s", dirs ? dirs : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, size, "%s/%s", d, name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/* ---- child processes ---- */

bool harness_env_steers(const char *entry)
{
	static const char *const names[] = {
		"PYTHONDONTWRITEBYTECODE=",
		"PYTHONPYCACHEPREFIX=",
		"PYTHONPATH=",
		"PYTHONHOME=",
		"PYTHONSTARTUP=",
		"PYTHONSAFEPATH=",
		"LD_PRELOAD=",
		"XDG_CACHE_HOME=",
		"PYCACHE_REDIRECT",
		"ASAN_OPTIONS=",
		"UBSAN_OPTIONS=",
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/* Whether entry ("NAME=value") sets a name that one of env sets too. */
static bool overridden(const char *entry, const char *const *env)
{
	size_t len = strcspn(entry, "=") + 1;
	for (; env && *env; env++)
		if (strncmp(entry, *env, len) == 0)
			return true;
	return false;
}

#ifdef PCR_TEST_ASAN_RUNTIME
/* A sanitized build (PCR_SANITIZE): the library needs the ASan runtime, and
 * the loader wants it ahead of everything an uninstrumented interpreter
 * loads, so every LD_PRELOAD gets it first. Python's own allocations live
 * until exit by design: no leak check in the children. */
static size_t sanitize_env(const char **envp, size_t n, char *preload, size_t size)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0) {
			harness_format(preload, size, "LD_PRELOAD=%s:%s", PCR_TEST_ASAN_RUNTIME,
				       envp[i] + 11);
			envp[i] = preload;
		}
	envp[n++] = "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:abort_on_error=0";
	envp[n++] = "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1";
	return n;
}
#endif

void harness_run(struct harness_result *r, const char *cwd, const char *const *env,
		 const char *const *argv)
{
	const char *envp[512];
	size_t n = 0;
	for (char **e = environ; *e && n < 400; e++)
		if (!harness_env_steers(*e) && !overridden(*e, env))
			envp[n++] = *e;
	for (; env && *env && n < 508; env++)
		envp[n++] = *env;
#ifdef PCR_TEST_ASAN_RUNTIME
	char preload[2 * PATH_MAX];
	n = sanitize_env(envp, n, preload, sizeof preload);
#endif
	envp[n] = NULL;

	char out[] = "/tmp/pcr-out-XXXXXX", err[] = "/tmp/pcr-err-XXXXXX";
	int ofd = mkstemp(out), efd = mkstemp(err);
	cr_assert(ofd >= 0 && efd >= 0, "mkstemp: %s", strerror(errno));
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if ((cwd && chdir(cwd) < 0) || dup2(ofd, 1) < 0 || dup2(efd, 2) < 0)
			_exit(125);
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		execve(argv[0], (char *const *)argv, (char *const *)envp);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	close(ofd);
	close(efd);
	harness_read_file(out, r->out, sizeof r->out);
	harness_read_file(err, r->err, sizeof r->err);
	unlink(out);
	unlink(err);
}

void harness_run_redirected(struct harness_result *r, const struct harness_fixture *f,
			    const char *cwd, const char *const *env, const char *const *argv)
{
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	char preload[PATH_MAX + 16];
	HARNESS_PATH(preload, "LD_PRELOAD=%s", f->library);
	const char *all[64] = { preload, dir };
	size_t n = 2;
	for (; env && *env && n < 63; env++)
		all[n++] = *env;
	all[n] = NULL;
	harness_run(r, cwd, all, argv);
}

struct harness_result *harness_python(const struct harness_fixture *f,
				      const struct harness_interp *py, bool redirect,
				      const char *const *env, ...)
{
	const char *argv[32] = { py->path };
	size_t n = 1;
	va_list ap;
	va_start(ap, env);
	for (const char *a; (a = va_arg(ap, const char *)) && n < 31;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;

	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	if (redirect) {
		struct harness_fixture with_py = *f; /* py's own build of the library */
		with_py.library = py->library;
		harness_run_redirected(r, &with_py, f->tree, env, argv);
	} else {
		harness_run(r, f->tree, env, argv);
	}
	return r;
}

struct harness_result *harness_run_app(const struct harness_fixture *f,
				       const struct harness_interp *py, const char *const *env,
				       const char *flag)
{
	struct harness_result *r = flag ? harness_python(f, py, true, env, flag, "-m", "app", NULL)
					: harness_python(f, py, true, env, "-m", "app", NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	return r;
}

void harness_edit_source(const struct harness_fixture *f, const char *path, const char *text)
{
	char file[PATH_MAX];
	HARNESS_PATH(file, "%s/%s", f->tree, path);
	harness_write_file(file, text);
	time_t later = time(NULL) + 10;
	struct timespec times[2] = { { .tv_sec = later }, { .tv_sec = later } };
	cr_assert(utimensat(AT_FDCWD, file, times, 0) == 0, "utimensat %s", file);
}

struct harness_result *harness_cli(const struct harness_fixture *f, const char *cwd,
				   const char *const *env, const char *const *args)
{
	const char *argv[32] = { PCR_TEST_CLI };
	size_t n = 1;
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, cwd ? cwd : f->tree, env, argv);
	return r;
}

static char unshare[PATH_MAX];

bool harness_can_mount(void)
{
	if (geteuid() != 0 || !harness_have_program("unshare", unshare, sizeof unshare))
		return false;
	struct harness_result *probe = malloc(sizeof *probe);
	cr_assert(probe);
	harness_run(probe, "/", NULL, (const char *[]){ unshare, "-m", "true", NULL });
	bool ok = probe->status == 0;
	free(probe);
	return ok;
}

void harness_run_on_tmpfs_root(struct harness_result *r, const struct harness_fixture *f,
			       const char *opts, const char *const *env, const char *const *argv)
{
	cr_assert(*unshare, "harness_can_mount() first");
	const char *all[40] = { unshare,
				"-m",
				"/bin/sh",
				"-c",
				"mount -t tmpfs -o \"$0\" pcr-test \"$1\" && shift && exec \"$@\"",
				opts,
				f->root };
	size_t n = 7;
	for (; *argv && n < 39; argv++)
		all[n++] = *argv;
	all[n] = NULL;
	harness_run_redirected(r, f, f->tree, env, all);
}

void harness_run_with_private_tmp(struct harness_result *r, const struct harness_fixture *f,
				  const char *const *env, const char *const *argv)
{
	cr_assert(*unshare, "harness_can_mount() first");
	cr_assert(strncmp(f->dir, "/tmp/", 5) == 0);
	/* A tmpfs (mode 1777, like /tmp) in place of /tmp, holding everything
	 * that was in /tmp (bind mounts: the fixture, a build or a checkout
	 * that lives there) but /tmp/pycache-redirect-*; what is under
	 * /tmp/pycache-redirect-* after the command is listed into
	 * f->dir/private-tmp. */
	static const char script[] =
	    "set -e; t=\"$0/.private-tmp\"; mkdir \"$t\";"
	    "mount -t tmpfs -o mode=1777 pcr-tmp \"$t\";"
	    /* Entries other tests remove meanwhile are left out. */
	    "for e in /tmp/* /tmp/.[!.]* /tmp/..?*; do"
	    "  [ -e \"$e\" ] || [ -L \"$e\" ] || continue; n=${e#/tmp/};"
	    "  case $n in pycache-redirect-*) continue;; esac;"
	    "  if [ -L \"$e\" ]; then cp -P \"$e\" \"$t/$n\" || true;"
	    "  elif [ -d \"$e\" ]; then mkdir \"$t/$n\" &&"
	    "    { mount --bind \"$e\" \"$t/$n\" 2>/dev/null || rmdir \"$t/$n\"; };"
	    "  else : >\"$t/$n\" &&"
	    "    { mount --bind \"$e\" \"$t/$n\" 2>/dev/null || rm -f \"$t/$n\"; }; fi;"
	    "done;"
	    "mount --move \"$t\" /tmp; set +e; (cd \"$1\" && shift && exec \"$@\");"
	    "rc=$?; find /tmp/pycache-redirect-* > \"$0/private-tmp\" 2>/dev/null; exit $rc";
	const char *all[40] = { unshare, "-m", "/bin/sh", "-c", script, f->dir, f->tree };
	size_t n = 7;
	for (; *argv && n < 39; argv++)
		all[n++] = *argv;
	all[n] = NULL;
	harness_run(r, "/", env, all);
}

/* ---- interpreters ---- */

static struct harness_interp found[32];
static size_t nfound;
static bool searched;

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static char skipped[8192];

/* Appends to the list of skipped interpreters (a message: truncation is fine). */
static void skip(const char *fmt, ...)
{
	size_t len = strlen(skipped);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(skipped + len, sizeof skipped - len, fmt, ap);
	va_end(ap);
}

/* The build of the library py's processes can load, as LD_PRELOAD names
 * it (NULL: none was made). For a musl interpreter, the entry that names
 * both builds where there is one (tests/CMakeLists.txt): the glibc
 * programs around it in a test (sh, unshare, setpriv) get the glibc one. */
static const char *library_for(const struct harness_interp *py)
{
	if (strncmp(py->libc, "musl", 4) != 0)
		return PCR_TEST_LIBRARY;
#ifdef PCR_TEST_MUSL_LIBRARY
	if (access(PCR_TEST_MUSL_LIBRARY, R_OK) == 0) {
#ifdef PCR_TEST_MUSL_PRELOAD
		return PCR_TEST_MUSL_PRELOAD;
#else
		return PCR_TEST_MUSL_LIBRARY;
#endif
	}
#endif
	return NULL;
}

static void consider_in(const char *path, bool in_root)
{
	if (nfound == sizeof found / sizeof *found || access(path, X_OK) != 0)
		return;
	/* The launchers of the root are links to one program: told by name. */
	for (size_t i = 0; i < nfound; i++)
		if (in_root ? strcmp(found[i].path, path) == 0 : same_file(found[i].path, path))
			return;
	struct harness_interp *p = &found[nfound];
	snprintf(p->path, sizeof p->path, "%s", path);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	/* The C library it runs on, as it says (a binary's own symbols name the
	 * oldest it can run on); Python 2.7 knows no such name. musl has none
	 * either: its libc.so, mapped in, is its loader too, which run alone
	 * says its version. */
	const char *argv[] = {
		path, "-c",
		"import os, sys\n"
		"try:\n"
		"    libc = os.confstr('CS_GNU_LIBC_VERSION').replace(' ', '-')\n"
		"except (AttributeError, ValueError, OSError):\n"
		"    libc = 'unknown'\n"
		"    for line in open('/proc/self/maps'):\n"
		"        f = line.split()[-1]\n"
		"        if 'musl' in f and '/libc.so' in f:\n"
		"            import subprocess\n"
		"            e = subprocess.run([f], stderr=subprocess.PIPE).stderr.split()\n"
		"            libc = 'musl-' + e[e.index(b'Version') + 1].decode()\n"
		"            break\n"
		"v = sys.version_info\n"
		"print('%s %d %d %s %s' % (getattr(getattr(sys, 'implementation', None), "
		"'cache_tag', 'none'), v[0], v[1], sys.version.split()[0], libc))\n",
		NULL
	};
	harness_run(r, "/", NULL, argv);
	if (r->status != 0 || sscanf(r->out, "%31s %d %d %31s %31s", p->tag, &p->major, &p->minor,
				     p->version, p->libc) != 5)
		skip(" %s (does not run)", path);
	else if (p->major < 3)
		skip(" %s (Python 2 writes no __pycache__: e2e_python2 tests it)", path);
	else if (!(p->library = library_for(p)))
		skip(" %s (on %s: no build of the library for it; musl-gcc, from musl-tools, makes "
		     "one)",
		     path, p->libc);
	else {
		HARNESS_PATH(p->preload, "LD_PRELOAD=%s", p->library);
		char label[sizeof p->label];
		const char *name = strrchr(path, '/');
		if (in_root)
			snprintf(label, sizeof label, "%.31s sid:/usr/bin/%.30s", p->tag, name + 1);
		else
			snprintf(label, sizeof label, "%.31s %.40s", p->tag, path);
		memcpy(p->label, label, sizeof label);
		p->in_root = in_root;
		nfound++;
	}
	free(r);
}

static void consider(const char *path) { consider_in(path, false); }

/* The musl CPython that tests/setup --musl builds in the build directory. */
static void consider_musl(void)
{
#ifdef PCR_TEST_ASAN_RUNTIME
	skip(" the musl interpreter (a sanitizer build: its runtime is glibc's)");
	return;
#endif
	if (access(PCR_TEST_BUILD_DIR "/musl-python/.made", F_OK) != 0) {
		skip(" the musl interpreter (not built: tests/setup --musl %s builds it)",
		     PCR_TEST_BUILD_DIR);
		return;
	}
	consider(PCR_TEST_BUILD_DIR "/musl-python/bin/python3.11");
}

/* The newest interpreters, from the Debian sid root that tests/setup makes
 * in the build directory: launchers that run them there (tests/in_root). */
static void consider_newest(void)
{
	static const char dir[] = PCR_TEST_BUILD_DIR "/newest/bin";
	static const char *const names[] = { "python3.14", "python3.15", "pypy3" };
#ifdef PCR_TEST_ASAN_RUNTIME
	skip(" the newest interpreters (a sanitizer build: its runtime is not in their root)");
	return;
#endif
	if (access(PCR_TEST_BUILD_DIR "/newest/root/.made", F_OK) != 0) {
		skip(" the newest interpreters (no root in " PCR_TEST_BUILD_DIR
		     "/newest: tests/setup --newest %s makes it)",
		     PCR_TEST_BUILD_DIR);
		return;
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char path[PATH_MAX];
		HARNESS_PATH(path, "%s/%s", dir, names[i]);
		consider_in(path, true);
	}
}

size_t harness_interpreters(const struct harness_interp **list)
{
	*list = found;
	if (searched)
		return nfound;
	searched = true;
	const char *chosen = getenv("PCR_TEST_PYTHONS");
	if (chosen && *chosen) {
		char copy[PATH_MAX * 4];
		snprintf(copy, sizeof copy, "%s", chosen);
		for (char *s, *p = strtok_r(copy, ":", &s); p; p = strtok_r(NULL, ":", &s))
			consider(p);
	} else {
		consider("/usr/bin/python3");
		char pattern[PATH_MAX];
		const char *pyenv = getenv("PYENV_ROOT"), *home = getenv("HOME");
		if (pyenv && *pyenv)
			HARNESS_PATH(pattern, "%s/versions/*/bin/python", pyenv);
		else
			HARNESS_PATH(pattern, "%s/.pyenv/versions/*/bin/python",
				     home ? home : "/root");
		glob_t g;
		if (glob(pattern, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				consider(g.gl_pathv[i]);
			globfree(&g);
		} else {
			skip(" pyenv builds (none at %s)", pattern);
		}
		char pypy[PATH_MAX];
		if (harness_have_program("pypy3", pypy, sizeof pypy))
			consider(pypy);
		else
			skip(" pypy3 (not on PATH)");
		consider_newest();
		consider_musl();
	}
	cr_assert(nfound > 0, "no Python 3 interpreter found: /usr/bin/python3 is required");
	return nfound;
}

static struct harness_interp found2[8];
static size_t nfound2;

static void consider2(const char *path)
{
	for (size_t i = 0; i < nfound2; i++)
		if (strcmp(found2[i].path, path) == 0)
			return;
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, "/", NULL,
		    (const char *[]){ path, "-c",
				      "import sys; print('%d %d' % sys.version_info[:2])", NULL });
	struct harness_interp *p = &found2[nfound2];
	if (r->status == 0 && sscanf(r->out, "%d %d", &p->major, &p->minor) == 2 && p->major == 2 &&
	    nfound2 < sizeof found2 / sizeof *found2) {
		snprintf(p->path, sizeof p->path, "%s", path);
		snprintf(p->tag, sizeof p->tag, "python%d.%d", p->major, p->minor);
		snprintf(p->label, sizeof p->label, "%.40s", path);
		snprintf(p->libc, sizeof p->libc, "glibc"); /* pyenv's and Debian's builds */
		p->library = PCR_TEST_LIBRARY;
		HARNESS_PATH(p->preload, "LD_PRELOAD=%s", p->library);
		nfound2++;
	}
	free(r);
}

size_t harness_python2_interpreters(const struct harness_interp **list)
{
	static bool searched2;
	*list = found2;
	if (searched2)
		return nfound2;
	searched2 = true;
	glob_t g;
	char pattern[PATH_MAX];
	const char *home = getenv("HOME");
	const char *pyenv = getenv("PYENV_ROOT");
	if (pyenv && *pyenv)
		HARNESS_PATH(pattern, "%s/versions/2.7*/bin/python", pyenv);
	else
		HARNESS_PATH(pattern, "%s/.pyenv/versions/2.7*/bin/python", home ? home : "");
	if (glob(pattern, 0, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc; i++)
			consider2(g.gl_pathv[i]);
	globfree(&g);
	char path[PATH_MAX];
	if (harness_have_program("python2.7", path, sizeof path) ||
	    harness_have_program("python2", path, sizeof path))
		consider2(path);
	return nfound2;
}

const char *harness_interpreters_report(void)
{
	static char report[PATH_MAX * 8];
	const struct harness_interp *list;
	size_t n = harness_interpreters(&list), len;
	len = (size_t)snprintf(report, sizeof report, "%zu interpreters:", n);
	for (size_t i = 0; i < n && len < sizeof report; i++)
		len += (size_t)snprintf(report + len, sizeof report - len, "\n    %s %s (%s, %s)",
					list[i].tag, list[i].path, list[i].version, list[i].libc);
	if (len < sizeof report)
		snprintf(report + len, sizeof report - len, "\nskipped:%s",
			 *skipped ? skipped : " none");
	return report;
}

const char *const *harness_argv_of(const struct harness_interp *py, const char *const *argv,
				   const char **out, size_t size)
{
	if (!py->in_root || strcmp(argv[0], py->path) == 0)
		return argv;
	size_t n = 0;
	out[n++] = PCR_TEST_BUILD_DIR "/tests/in_root";
	out[n++] = PCR_TEST_BUILD_DIR "/newest/root";
	for (; *argv; argv++) {
		cr_assert(n + 1 < size, "harness_argv_of: too many arguments");
		out[n++] = *argv;
	}
	out[n] = NULL;
	return out;
}

/* ---- the sample tree ---- */

static const char *copy_to;
static size_t copy_from_len;

static int copy_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	char dest[PATH_MAX];
	HARNESS_PATH(dest, "%s%s", copy_to, path + copy_from_len);
	if (strstr(path, "__pycache__") || strstr(path, ".pyc"))
		return 0; /* never copy caches a stray run left in the checkout */
	if (type == FTW_D) {
		cr_assert(mkdir(dest, 0755) == 0 || errno == EEXIST, "mkdir %s", dest);
	} else if (type == FTW_F) {
		char *buf = malloc((size_t)st->st_size + 1);
		cr_assert(buf);
		cr_assert(harness_read_file(path, buf, (size_t)st->st_size + 1) >= 0);
		harness_write_file(dest, buf);
		free(buf);
	}
	return 0;
}

void harness_fixture_init(struct harness_fixture *f)
{
	HARNESS_PATH(f->dir, "%s", "/tmp/pcr-e2e-XXXXXX");
	cr_assert(mkdtemp(f->dir), "mkdtemp: %s", strerror(errno));
	HARNESS_PATH(f->tree, "%s/src", f->dir);
	HARNESS_PATH(f->root, "%s/cache", f->dir);
	f->library = PCR_TEST_LIBRARY;
	copy_to = f->tree;
	copy_from_len = strlen(PCR_TEST_SOURCE_DIR "/tests/sample");
	cr_assert(nftw(PCR_TEST_SOURCE_DIR "/tests/sample", copy_entry, 16, FTW_PHYS) == 0);
	char demo[PATH_MAX];
	HARNESS_PATH(demo, "%s/demo.sh", f->tree);
	unlink(demo);
}

void harness_fixture_fini(struct harness_fixture *f) { harness_rmtree(f->dir); }

void harness_each_python(void (*body)(const struct harness_interp *py, struct harness_fixture *f))
{
	const struct harness_interp *list;
	size_t n = harness_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		struct harness_fixture f;
		harness_fixture_init(&f);
		f.library = list[i].library;
		body(&list[i], &f);
		harness_fixture_fini(&f);
	}
}

const struct harness_interp *harness_first_python(void)
{
	const struct harness_interp *list;
	harness_interpreters(&list);
	return list;
}

/* ---- what is on disk ---- */

const struct harness_sample_module harness_sample_modules[HARNESS_SAMPLE_MODULES] = {
	{ "app", "__init__" }, { "app", "__main__" },       { "app", "text" },
	{ "app", "version" },  { "app/stats", "__init__" }, { "app/stats", "count" },
};

void harness_sample_pyc(char *out, size_t size, const struct harness_fixture *f,
			const struct harness_interp *py, const char *dir, const char *module,
			const char *opt)
{
	char src[PATH_MAX], name[256];
	HARNESS_PATH(src, "%s/%s", f->tree, dir);
	HARNESS_PATH(name, "%s.%s%s.pyc", module, py->tag, opt);
	layout_central_of_dir(out, size, f->root, src, name);
}

void harness_sample_pyc_stats(const struct harness_fixture *f, const struct harness_interp *py,
			      char pyc[HARNESS_SAMPLE_MODULES][PATH_MAX],
			      struct stat st[HARNESS_SAMPLE_MODULES])
{
	for (size_t i = 0; i < HARNESS_SAMPLE_MODULES; i++) {
		harness_sample_pyc(pyc[i], PATH_MAX, f, py, harness_sample_modules[i].dir,
				   harness_sample_modules[i].name, "");
		cr_assert(stat(pyc[i], &st[i]) == 0, "%s: no %s: %s", py->label, pyc[i],
			  strerror(errno));
	}
}

void harness_assert_sample_cached(const struct harness_fixture *f, const struct harness_interp *py,
				  const char *opt, const char *what)
{
	for (size_t i = 0; i < HARNESS_SAMPLE_MODULES; i++) {
		char pyc[PATH_MAX];
		struct stat st;
		harness_sample_pyc(pyc, sizeof pyc, f, py, harness_sample_modules[i].dir,
				   harness_sample_modules[i].name, opt);
		cr_assert(stat(pyc, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 16,
			  "%s, %s: no central pyc %s", py->label, what, pyc);
		/* The pyc has the mode Python asked for; its entry, of the same
		 * user (the one who ran Python), keeps others out. */
		uid_t owner = st.st_uid;
		char *slash = strrchr(pyc, '/');
		*slash = '\0';
		cr_assert(stat(pyc, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == owner &&
			      (st.st_mode & 07777) == 0700,
			  "%s, %s: the entry %s is not its pyc's owner's alone (%o)", py->label,
			  what, pyc, (unsigned)(st.st_mode & 07777));
	}
}

void harness_assert_tree_clean(const struct harness_fixture *f, const struct harness_interp *py)
{
	char first[PATH_MAX];
	size_t n = harness_count_bytecode(f->tree, first, sizeof first);
	cr_assert_eq(n, 0, "%s: %zu bytecode paths in the tree, first %s", py->label, n, first);
}

/* The documented identity (core/ident.h), computed apart from core/: the
 * file handle, the file system's fsid but on overlayfs, the spelling where
 * the file system has no fsid. */
size_t harness_count_of(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static size_t walk_count;
static const char *walk_suffix;
static char *walk_first;
static size_t walk_first_size;

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int count_bytecode(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	const char *name = path + ftw->base;
	if ((type == FTW_D && strcmp(name, "__pycache__") == 0) ||
	    (type == FTW_F && (ends_with(name, ".pyc") || ends_with(name, ".pyo")))) {
		if (walk_count++ == 0 && walk_first)
			snprintf(walk_first, walk_first_size, "%s", path);
	}
	return 0;
}

size_t harness_count_bytecode(const char *dir, char *first, size_t first_size)
{
	walk_count = 0;
	walk_first = first;
	walk_first_size = first_size;
	if (first)
		first[0] = '\0';
	nftw(dir, count_bytecode, 16, FTW_PHYS);
	return walk_count;
}

static int count_suffix(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (type == FTW_F && ends_with(path, walk_suffix))
		walk_count++;
	return 0;
}

size_t harness_count_files(const char *dir, const char *suffix)
{
	walk_count = 0;
	walk_suffix = suffix;
	nftw(dir, count_suffix, 16, FTW_PHYS);
	return walk_count;
}

const char *harness_cache_checker(const struct harness_fixture *f)
{
	static char path[PATH_MAX];
	char text[16384];
	HARNESS_PATH(path, "%s/check_cache.py", f->dir);
	if (!harness_exists(path)) {
		long n = harness_read_file(PCR_TEST_SOURCE_DIR "/tests/check_cache.py", text,
					   sizeof text);
		cr_assert(n > 0 && (size_t)n < sizeof text - 1, "tests/check_cache.py unreadable");
		harness_write_file(path, text);
	}
	return path;
}
