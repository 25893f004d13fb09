/* What the cache must never do, whatever the process or the cache holds:
 * let another user read or list anything in it (umask 000, world-writable
 * sources, chmod 0777: its directories stay 0700, whatever mode Python gives
 * its pycs), follow a symlink planted in it when writing, take a root that is
 * "/" under another spelling, or create anything outside its entries for a
 * name with ".." in it. (Refused roots that are symlinks, group-writable or
 * another user's, and relative or too long settings, are in e2e_switches.c.) */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/harness.h"

static struct harness_result *run_ok(const struct harness_fixture *f,
				     const struct harness_interp *py, const char *const *env,
				     const char *program)
{
	struct harness_result *r = harness_python(f, py, true, env, "-c", program, NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s%s", py->label, r->status, r->out, r->err);
	return r;
}

/* ---- modes ---- */

static char bad_mode[PATH_MAX + 64];
static size_t modes_seen;
enum { MAX_SEEN = 256 };
static char seen[MAX_SEEN][PATH_MAX];

/* The layout's own files: records, counts, the counter, the settings. */
static bool layout_file(const char *path)
{
	const char *name = strrchr(path, '/') + 1;
	size_t n = strlen(name);
	return (n > 4 && strcmp(name + n - 4, ".src") == 0) || strcmp(name, "usage") == 0 ||
	       strncmp(name, "stats", 5) == 0 || strcmp(name, "config") == 0;
}

/* Directories exactly 0700, the layout's own files closed to group and
 * others; pycs and what else Python writes have the mode it asked for. */
static int check_mode(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	mode_t mode = st->st_mode & 07777;
	bool ok = type == FTW_D   ? mode == 0700
		  : type == FTW_F ? !layout_file(path) || (mode & 077) == 0
				  : false;
	if (modes_seen < MAX_SEEN)
		snprintf(seen[modes_seen], sizeof seen[modes_seen], "%s", path);
	modes_seen++;
	if (!ok && !*bad_mode)
		snprintf(bad_mode, sizeof bad_mode, "%s (mode %04o)", path, (unsigned)mode);
	return 0;
}

/* As uid 4242: how many of the paths seen it can open or list, and the
 * first one in first. */
static int opened_by_another_user(char *first, size_t size)
{
	int fds[2];
	cr_assert(pipe(fds) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (setgroups(0, NULL) != 0 || setgid(4242) != 0 || setuid(4242) != 0)
			_exit(255);
		int n = 0;
		for (size_t i = 0; i < modes_seen && i < MAX_SEEN; i++) {
			int fd = open(seen[i], O_RDONLY | O_NONBLOCK);
			if (fd >= 0) {
				if (n++ == 0)
					(void)!write(fds[1], seen[i], strlen(seen[i]));
				close(fd);
			}
		}
		_exit(n > 254 ? 254 : n);
	}
	close(fds[1]);
	ssize_t got = read(fds[0], first, size - 1);
	first[got > 0 ? got : 0] = '\0';
	close(fds[0]);
	int status;
	cr_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	cr_assert_neq(WEXITSTATUS(status), 255, "cannot become uid 4242");
	return WEXITSTATUS(status);
}

/* Everything Python and the library make in the cache is the user's alone,
 * with umask 000, sources mode 0666, and explicit modes 0777: the pycs take
 * the mode Python asks for (0666 here), as in the tree, and the 0700
 * directories keep another user from reading or listing any of it, even
 * with the root opened to others by the user's own chmod 755. */
static const char open_modes[] =
    "import os, py_compile\n"
    "import app\n"
    "py_compile.compile('app/version.py', doraise=True)\n"
    "os.makedirs('extra/__pycache__', mode=0o777)\n"
    "with open('app/__pycache__/note.txt', 'w') as f: f.write('x')\n"
    "os.close(os.open('app/__pycache__/raw.bin', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o777))\n"
    "os.chmod('app/__pycache__/note.txt', 0o777)\n"
    "os.chmod('app/__pycache__', 0o777)\n"
    "print(app.VERSION)\n";

static void umask_000(const struct harness_interp *py, struct harness_fixture *f)
{
	/* A root whose parents are missing too: the library makes them. */
	HARNESS_PATH(f->root, "%s/made/by/library", f->dir);
	char path[PATH_MAX];
	HARNESS_PATH(path, "%s/extra", f->tree);
	cr_assert(mkdir(path, 0777) == 0);
	const char *sources[] = { "app/__init__.py", "app/text.py", "app/version.py",
				  "app/stats/__init__.py", "app/stats/count.py" };
	for (size_t i = 0; i < sizeof sources / sizeof *sources; i++) {
		HARNESS_PATH(path, "%s/%s", f->tree, sources[i]);
		cr_assert(chmod(path, 0666) == 0);
	}
	mode_t old = umask(0);
	struct harness_result *r = run_ok(f, py, NULL, open_modes);
	umask(old);
	cr_assert_str_eq(r->out, "1\n", "%s: %s", py->label, r->out);
	free(r);

	*bad_mode = '\0';
	modes_seen = 0;
	HARNESS_PATH(path, "%s/made", f->dir);
	nftw(path, check_mode, 16, FTW_PHYS);
	cr_assert_str_empty(bad_mode, "%s: with umask 000, %s", py->label, bad_mode);
	/* made, by, library, layout, fan-outs, entries, records, pycs, ... */
	cr_assert_geq(modes_seen, 15, "%s: only %zu paths in the cache", py->label, modes_seen);
	cr_assert_leq(modes_seen, MAX_SEEN);
	struct stat st;
	harness_sample_pyc(path, sizeof path, f, py, "app", "version", "");
	cr_assert(stat(path, &st) == 0 && (st.st_mode & 07777) == 0666,
		  "%s: %s is not 0666, as Python asks with umask 000", py->label, path);
	harness_assert_tree_clean(f, py);

	if (geteuid() != 0) {
		cr_log_warn("%s: not root: no second user to try the cache as", py->label);
		return;
	}
	/* The way to the root open to all, the root too (the user's chmod). */
	cr_assert(chmod(f->dir, 0755) == 0);
	for (const char *p = "made", *q = "made/by"; p; p = q, q = NULL) {
		HARNESS_PATH(path, "%s/%s", f->dir, p);
		cr_assert(chmod(path, 0755) == 0);
	}
	cr_assert(chmod(f->root, 0755) == 0);
	char first[PATH_MAX] = "";
	/* made, by and the root itself it may open; nothing below them. */
	int opened = opened_by_another_user(first, sizeof first);
	cr_assert_eq(opened, 3, "%s: another user opened %d paths of the cache (%s ...)", py->label,
		     opened, first);
}

Test(security, umask_000_still_makes_the_cache_private) { harness_each_python(umask_000); }

/* ---- symlinks planted in the cache ---- */

/* The central entry of the sample's app directory. */
static void app_entry(char *out, size_t size, const struct harness_fixture *f, const char *name)
{
	char src[PATH_MAX];
	HARNESS_PATH(src, "%s/app", f->tree);
	layout_central_of_dir(out, size, f->root, src, name);
}

static size_t files_under(const char *dir) { return harness_count_files(dir, ""); }

/* A directory of the layout (layout, a fan-out, an entry) is a symlink to a
 * directory elsewhere before Python runs: Python runs, and the files written
 * there are counted (none may be). */
static size_t planted_directory(const struct harness_interp *py, struct harness_fixture *f,
				int level)
{
	char entry[PATH_MAX], link[PATH_MAX], elsewhere[PATH_MAX];
	app_entry(entry, sizeof entry, f, NULL);
	HARNESS_PATH(elsewhere, "%s/elsewhere", f->dir);
	cr_assert(mkdir(elsewhere, 0700) == 0);
	/* <root>/v2/<k0k1>/<key>: cut after the component that is planted. */
	size_t root_len = strlen(f->root);
	size_t cut = level == 0 ? root_len + 3 : level == 1 ? root_len + 6 : strlen(entry);
	HARNESS_PATH(link, "%.*s", (int)cut, entry);
	char parent[PATH_MAX];
	HARNESS_PATH(parent, "%s", link);
	cr_assert(mkdir(f->root, 0700) == 0);
	for (char *p = parent + root_len; (p = strchr(p + 1, '/'));) {
		*p = '\0';
		cr_assert(mkdir(parent, 0700) == 0, "mkdir %s", parent);
		*p = '/';
	}
	cr_assert(symlink(elsewhere, link) == 0, "symlink %s", link);

	struct harness_result *r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
	free(r);
	harness_assert_tree_clean(f, py);
	return files_under(elsewhere);
}

static void planted_directories(const struct harness_interp *py, struct harness_fixture *f)
{
	size_t written[3];
	written[2] = planted_directory(py, f, 2);
	for (int level = 1; level >= 0; level--) {
		struct harness_fixture g;
		harness_fixture_init(&g);
		written[level] = planted_directory(py, &g, level);
		harness_fixture_fini(&g);
	}
	cr_assert(written[0] + written[1] + written[2] == 0,
		  "%s: files written through a planted symlink: %zu with layout a link, %zu with "
		  "a fan-out a link, %zu with an entry a link",
		  py->label, written[0], written[1], written[2]);
}

Test(security, directory_symlinks_planted_in_the_cache_are_not_followed_on_write)
{
	harness_each_python(planted_directories);
}

/* Calls that change what exists (unlink, rmdir, an open for writing
 * without O_CREAT, "r+", the source of a rename) write as much as a create
 * does: through an entry that is a planted symlink, each is refused with
 * ELOOP, and what the link names stays as it was. */
static const char changes_through_entry[] =
    "import errno, os\n"
    "out = []\n"
    "def t(name, f):\n"
    "    try:\n"
    "        f()\n"
    "        out.append(name + ' ok')\n"
    "    except OSError as e:\n"
    "        out.append(name + ' ' + errno.errorcode[e.errno])\n"
    "t('unlink', lambda: os.unlink('app/__pycache__/victim.pyc'))\n"
    "t('r+', lambda: open('app/__pycache__/rw.pyc', 'r+b').close())\n"
    "t('wronly', lambda: os.close(os.open('app/__pycache__/wo.pyc', os.O_WRONLY | os.O_TRUNC)))\n"
    "t('rmdir', lambda: os.rmdir('app/__pycache__/sub'))\n"
    "t('rename', lambda: os.rename('app/__pycache__/mv.pyc', 'moved.pyc'))\n"
    "print(' '.join(out))\n";

static void planted_entry_changed(const struct harness_interp *py, struct harness_fixture *f)
{
	char entry[PATH_MAX], elsewhere[PATH_MAX], path[PATH_MAX];
	app_entry(entry, sizeof entry, f, NULL);
	HARNESS_PATH(elsewhere, "%s/elsewhere", f->dir);
	cr_assert(mkdir(elsewhere, 0700) == 0);
	static const char *const files[] = { "victim.pyc", "rw.pyc", "wo.pyc", "mv.pyc" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		HARNESS_PATH(path, "%s/%s", elsewhere, files[i]);
		harness_write_file(path, "kept\n");
	}
	HARNESS_PATH(path, "%s/sub", elsewhere);
	cr_assert(mkdir(path, 0700) == 0);
	char parent[PATH_MAX];
	HARNESS_PATH(parent, "%s", entry);
	cr_assert(mkdir(f->root, 0700) == 0);
	for (char *p = parent + strlen(f->root); (p = strchr(p + 1, '/'));) {
		*p = '\0';
		cr_assert(mkdir(parent, 0700) == 0, "mkdir %s", parent);
		*p = '/';
	}
	cr_assert(symlink(elsewhere, entry) == 0, "symlink %s", entry);

	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-c", changes_through_entry, NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	cr_assert_str_eq(r->out, "unlink ELOOP r+ ELOOP wronly ELOOP rmdir ELOOP rename ELOOP\n",
			 "%s: %s", py->label, r->out);
	free(r);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		HARNESS_PATH(path, "%s/%s", elsewhere, files[i]);
		char text[64];
		harness_read_file(path, text, sizeof text);
		cr_assert_str_eq(text, "kept\n", "%s: %s was changed through the link", py->label,
				 path);
	}
	HARNESS_PATH(path, "%s/sub", elsewhere);
	cr_assert(harness_exists(path), "%s: rmdir went through the link", py->label);
	harness_assert_tree_clean(f, py);
}

Test(security, changes_to_what_exists_never_go_through_a_planted_entry)
{
	harness_each_python(planted_entry_changed);
}

/* A pyc, a record and the growth counter replaced by symlinks to a file
 * elsewhere: Python rewrites the pyc (a new file renamed over the link), the
 * library writes the record and the counter, and the file is untouched. */
static void planted_files(const struct harness_interp *py, struct harness_fixture *f)
{
	char victim[PATH_MAX], pyc[PATH_MAX], record[PATH_MAX], usage[PATH_MAX], name[64];
	HARNESS_PATH(victim, "%s/victim", f->dir);
	harness_write_file(victim, "victim\n");
	cr_assert(chmod(victim, 0644) == 0);

	/* Cold: the record of app and the counter are links before Python runs. */
	app_entry(record, sizeof record, f, NULL);
	strcat(record, ".src");
	char fanout[PATH_MAX];
	HARNESS_PATH(fanout, "%.*s", (int)(strrchr(record, '/') - record), record);
	HARNESS_PATH(usage, "%s/v2/usage", f->root);
	char layout[PATH_MAX];
	HARNESS_PATH(layout, "%s/v2", f->root);
	cr_assert(mkdir(f->root, 0700) == 0 && mkdir(layout, 0700) == 0 &&
		  mkdir(fanout, 0700) == 0);
	cr_assert(symlink(victim, record) == 0 && symlink(victim, usage) == 0);
	free(harness_run_app(f, py, NULL, NULL));

	/* Warm: a pyc is a link, and its source changes. */
	HARNESS_PATH(name, "version.%s.pyc", py->tag);
	app_entry(pyc, sizeof pyc, f, name);
	cr_assert(unlink(pyc) == 0 && symlink(victim, pyc) == 0);
	harness_edit_source(f, "app/version.py", "VERSION = \"2\"\n");
	struct harness_result *r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 2"), "%s: %s", py->label, r->out);
	free(r);

	char text[64];
	struct stat st;
	cr_assert_geq(harness_read_file(victim, text, sizeof text), 0);
	cr_assert_str_eq(text, "victim\n", "%s: the file a planted link named was written",
			 py->label);
	cr_assert(stat(victim, &st) == 0 && (st.st_mode & 07777) == 0644,
		  "%s: the file a planted link named changed mode", py->label);
	cr_assert(lstat(pyc, &st) == 0 && S_ISREG(st.st_mode), "%s: %s is no file", py->label, pyc);
	cr_assert(lstat(record, &st) == 0 && S_ISLNK(st.st_mode) == 0,
		  "%s: the record is still a link", py->label);
	harness_assert_tree_clean(f, py);
}

Test(security, file_symlinks_planted_in_the_cache_are_replaced_not_followed)
{
	harness_each_python(planted_files);
}

/* A link planted in an entry (made here through the library, which maps
 * symlink as any create), then written as Python may write a file, and with
 * libc's freopen (through ctypes), which has no O_NOFOLLOW: every create
 * fails with ELOOP and leaves the file it names alone. */
/* freopen is called through ctypes, which a Python built without libffi
 * (the musl CPython of tests/setup --musl) lacks: there it is not tried. */
static const char write_through_link[] =
    "import errno, os, sys\n"
    "try:\n"
    "    import ctypes\n"
    "except ImportError:\n"
    "    ctypes = None\n"
    "import app\n"
    "link = 'app/__pycache__/planted'\n"
    "os.symlink(sys.argv[1], link)\n"
    "def attempt(what, call):\n"
    "    try:\n"
    "        call()\n"
    "        print(what, 'followed')\n"
    "    except OSError as e:\n"
    "        print(what, errno.errorcode[e.errno])\n"
    "    except NotImplementedError:\n"
    "        pass\n"
    "if ctypes:\n"
    "    libc = ctypes.CDLL(None, use_errno=True)\n"
    "    libc.fopen.restype = libc.freopen.restype = ctypes.c_void_p\n"
    "    libc.freopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]\n"
    "    libc.fclose.argtypes = [ctypes.c_void_p]\n"
    "def freopen(mode):\n"
    "    if not ctypes:\n"
    "        raise NotImplementedError\n"
    "    f = libc.freopen(link.encode(), mode, libc.fopen(b'/dev/null', b'r'))\n"
    "    if not f:\n"
    "        raise OSError(ctypes.get_errno(), 'freopen')\n"
    "    libc.fclose(f)\n";

static const char creates[] = "attempt('open w', lambda: open(link, 'w').write('w'))\n"
			      "attempt('open a', lambda: open(link, 'a').write('a'))\n"
			      "attempt('O_CREAT|O_TRUNC', lambda: os.close(os.open(link, "
			      "os.O_WRONLY | os.O_CREAT | os.O_TRUNC)))\n"
			      "attempt('freopen w', lambda: freopen(b'w'))\n"
			      "attempt('freopen a', lambda: freopen(b'a'))\n";

static const char writes[] =
    "attempt('open r+', lambda: open(link, 'r+').write('r+'))\n"
    "attempt('O_WRONLY|O_TRUNC', lambda: os.close(os.open(link, os.O_WRONLY | os.O_TRUNC)))\n"
    "attempt('truncate', lambda: os.truncate(link, 1))\n"
    "attempt('chmod', lambda: os.chmod(link, 0o600))\n"
    "attempt('freopen r+', lambda: freopen(b'r+'))\n";

static void planted_link_written(const struct harness_interp *py, struct harness_fixture *f,
				 const char *calls, const char *expect)
{
	char victim[PATH_MAX], program[4096];
	HARNESS_PATH(victim, "%s/victim", f->dir);
	harness_write_file(victim, "victim\n");
	cr_assert(chmod(victim, 0644) == 0);
	HARNESS_PATH(program, "%s%s", write_through_link, calls);
	struct harness_result *r = harness_python(f, py, true, NULL, "-c", program, victim, NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);

	char text[64];
	struct stat st;
	long len = harness_read_file(victim, text, sizeof text);
	cr_assert(stat(victim, &st) == 0);
	cr_assert(strcmp(text, "victim\n") == 0 && (st.st_mode & 07777) == 0644,
		  "%s: the file a link planted in the cache names was changed "
		  "(now mode %04o, %ld bytes):\n%s",
		  py->label, (unsigned)(st.st_mode & 07777), len, r->out);
	/* Without ctypes, the freopen lines are not there: said, and the rest
	 * compared. */
	char without[1024] = "";
	for (const char *line = expect; *line;) {
		const char *end = strchr(line, '\n') + 1;
		if (strncmp(line, "freopen", 7) != 0)
			strncat(without, line, (size_t)(end - line));
		line = end;
	}
	if (!strstr(r->out, "freopen") && strcmp(r->out, without) == 0) {
		fprintf(stderr, "e2e: %s: freopen not tried (no ctypes)\n", py->label);
		expect = without;
	}
	cr_assert_str_eq(r->out, expect, "%s: %s", py->label, r->out);
	free(r);
	harness_assert_tree_clean(f, py);
}

static void planted_link_created(const struct harness_interp *py, struct harness_fixture *f)
{
	planted_link_written(py, f, creates,
			     "open w ELOOP\nopen a ELOOP\nO_CREAT|O_TRUNC ELOOP\nfreopen w ELOOP\n"
			     "freopen a ELOOP\n");
}

Test(security, creates_never_follow_a_link_planted_in_the_cache)
{
	harness_each_python(planted_link_created);
}

/* Writes to an existing name (no O_CREAT) and truncate or chmod of it: in
 * the cache, a link planted there is not followed either. */
static void planted_link_changed(const struct harness_interp *py, struct harness_fixture *f)
{
	planted_link_written(py, f, writes,
			     "open r+ ELOOP\nO_WRONLY|O_TRUNC ELOOP\ntruncate ELOOP\nchmod ELOOP\n"
			     "freopen r+ ELOOP\n");
}

Test(security, writes_to_an_existing_name_never_follow_a_link_planted_in_the_cache)
{
	harness_each_python(planted_link_changed);
}

/* ---- the root setting ---- */

/* An empty PYCACHE_REDIRECT_DIR is no setting: the default root, quietly. */
static void empty_root_setting(const struct harness_interp *py, struct harness_fixture *f)
{
	char xdg[PATH_MAX], env_xdg[PATH_MAX + 32], root[PATH_MAX];
	HARNESS_PATH(xdg, "%s/xdg", f->dir);
	HARNESS_PATH(env_xdg, "XDG_CACHE_HOME=%s", xdg);
	const char *env[] = { py->preload, "PYCACHE_REDIRECT_DIR=", env_xdg,
			      "PYCACHE_REDIRECT_LOG=1", NULL };
	struct harness_result *r = harness_python(f, py, false, env, "-m", "app", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	free(r);
	HARNESS_PATH(root, "%s/pycache-redirect", xdg);
	cr_assert_eq(harness_count_files(root, ".pyc"), HARNESS_SAMPLE_MODULES,
		     "%s: %zu pycs in %s", py->label, harness_count_files(root, ".pyc"), root);
	harness_assert_tree_clean(f, py);
}

Test(root_setting, empty_means_the_default_root) { harness_each_python(empty_root_setting); }

/* "/" in any spelling is refused with the one warning: the library would
 * otherwise make /v2 at the top of the file system. Run with -B and only a
 * lookup, so that nothing is written even where it is not refused. */
static void slash_root(const struct harness_interp *py, struct harness_fixture *f)
{
	const char *const settings[] = { "/", "//", "/./", "/tmp/..", "/usr/lib/../.." };
	for (size_t k = 0; k < sizeof settings / sizeof *settings; k++) {
		char setting[64];
		HARNESS_PATH(setting, "PYCACHE_REDIRECT_DIR=%s", settings[k]);
		const char *env[] = { py->preload, setting, "PYCACHE_REDIRECT_LOG=1", NULL };
		struct harness_result *r =
		    harness_python(f, py, false, env, "-B", "-c",
				   "import os; print(os.path.isdir('app/__pycache__'))", NULL);
		cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
		cr_assert_str_eq(r->out, "False\n");
		cr_assert_eq(harness_count_of(r->err, "pycache-redirect: warning: "), 1,
			     "%s: %s was not refused with one warning: %s", py->label, setting,
			     r->err);
		free(r);
	}
	cr_assert_not(harness_exists("/v2"), "%s: /v2 exists", py->label);
}

Test(root_setting, slash_in_any_spelling_is_refused)
{
	if (harness_exists("/v2"))
		cr_skip_test("/v2 exists on this machine");
	harness_each_python(slash_root);
}

/* A root that is a file, not a directory: refused, and Python runs. */
static void file_root(const struct harness_interp *py, struct harness_fixture *f)
{
	harness_write_file(f->root, "not a directory\n");
	const char *log[] = { "PYCACHE_REDIRECT_LOG=1", NULL };
	struct harness_result *r = harness_run_app(f, py, log, NULL);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
	cr_assert_eq(harness_count_of(r->err, "warning: cache root"), 1, "%s: %s", py->label,
		     r->err);
	cr_assert(strstr(r->err, "is not a directory"), "%s: %s", py->label, r->err);
	free(r);
	char text[64];
	cr_assert_geq(harness_read_file(f->root, text, sizeof text), 0);
	cr_assert_str_eq(text, "not a directory\n");
}

Test(root_setting, root_that_is_a_file_is_refused) { harness_each_python(file_root); }

/* ---- names with ".." ---- */

static char escaped[PATH_MAX];
static const char *walk_root;

/* A name escape* anywhere but inside an entry: <root>/v2/<k0k1>/<key>/. */
static int find_escape(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type;
	size_t len = strlen(walk_root), depth = 0;
	if (strncmp(path, walk_root, len) == 0 && path[len] == '/')
		for (const char *p = path + len; *p; p++)
			depth += *p == '/';
	if (strncmp(path + ftw->base, "escape", 6) == 0 && depth != 4 && !*escaped)
		snprintf(escaped, sizeof escaped, "%s", path);
	return 0;
}

/* Each create through a __pycache__ name with "..", ".", "//" or a second
 * level either lands in the entry or goes through unchanged (and fails as
 * in the tree, which has no __pycache__): never anywhere else. */
static const char dotdot_program[] =
    "import os\n"
    "import app\n"
    "names = ['app/__pycache__/..', 'app/__pycache__/../escape1', "
    "'app/__pycache__/x/../../escape2',\n"
    "         'app/__pycache__/./escape3', 'app/__pycache__//escape4', "
    "'app/__pycache__/../../escape5',\n"
    "         'app/__pycache__/a/escape6', '__pycache__/../app/escape7', "
    "'app/__pycache__/..\\\\escape8',\n"
    "         'app/stats/../__pycache__/escape9', 'app/__pycache__/../__pycache__/escape10']\n"
    "def create(n, what):\n"
    "    if what == 'open': open(n, 'w').close()\n"
    "    elif what == 'mkdir': os.mkdir(n + '-d')\n"
    "    elif what == 'symlink': os.symlink('/', n + '-l')\n"
    "    else:\n"
    "        open('app/__pycache__/moved', 'w').close()\n"
    "        os.rename('app/__pycache__/moved', n + '-r')\n"
    "for n in names:\n"
    "    for what in ('open', 'mkdir', 'symlink', 'rename'):\n"
    "        try: create(n, what)\n"
    "        except OSError: pass\n"
    "print('done')\n";

static void dotdot_names(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r = run_ok(f, py, NULL, dotdot_program);
	cr_assert_str_eq(r->out, "done\n", "%s: %s", py->label, r->out);
	free(r);
	*escaped = '\0';
	walk_root = f->root;
	nftw(f->dir, find_escape, 16, FTW_PHYS);
	cr_assert_str_empty(escaped, "%s: a name with '..' made %s", py->label, escaped);
	harness_assert_tree_clean(f, py);
}

Test(security, dotdot_names_never_leave_the_entry) { harness_each_python(dotdot_names); }
