/* The switches around the redirect: off, scope, where the root is, and a
 * root that must be refused. Whatever they say, Python runs and imports. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

/* The sample ran as it does without the library. */
static void assert_app_ran(struct harness_result *r, const struct harness_interp *py)
{
	cr_assert_eq(r->status, 0, "%s: exit %d: %s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
	free(r);
}

static void switched_off(const struct harness_interp *py, struct harness_fixture *f)
{
	const char *off[] = { "PYCACHE_REDIRECT=0", NULL };
	assert_app_ran(harness_run_app(f, py, off, NULL), py);
	char pyc[PATH_MAX];
	HARNESS_PATH(pyc, "%s/app/stats/__pycache__/count.%s.pyc", f->tree, py->tag);
	cr_assert(harness_exists(pyc), "%s: switched off, Python should write %s", py->label, pyc);
	cr_assert_not(harness_exists(f->root), "%s: switched off, the root was created", py->label);
}

Test(switch, off_leaves_python_as_it_is) { harness_each_python(switched_off); }

/* In the default scope, programs that are not Python see the real tree: an
 * exported LD_PRELOAD must not change what tar, cp or cat read. */
static void scope_python(const struct harness_interp *py, struct harness_fixture *f)
{
	char dir[PATH_MAX], file[PATH_MAX + 16], central[PATH_MAX];
	HARNESS_PATH(dir, "%s/app/__pycache__", f->tree);
	cr_assert(mkdir(dir, 0755) == 0);
	HARNESS_PATH(file, "%s/marker", dir);
	harness_write_file(file, "in-tree\n");

	/* Python writes the central marker through the library. */
	struct harness_result *r = harness_python(
	    f, py, true, NULL, "-c",
	    "f = open('app/__pycache__/marker', 'w'); f.write('central\\n'); f.close()", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	char src[PATH_MAX];
	HARNESS_PATH(src, "%s/app", f->tree);
	layout_central_of_dir(central, sizeof central, f->root, src, "marker");
	char text[64];
	cr_assert_geq(harness_read_file(central, text, sizeof text), 0, "%s: no %s", py->label,
		      central);
	cr_assert_str_eq(text, "central\n");
	cr_assert_geq(harness_read_file(file, text, sizeof text), 0);
	cr_assert_str_eq(text, "in-tree\n", "%s: the in-tree file was written", py->label);

	const char *cat[] = { "/bin/cat", "app/__pycache__/marker", NULL };
	struct harness_result *c = malloc(sizeof *c);
	harness_run_redirected(c, f, f->tree, NULL, cat);
	cr_assert_eq(c->status, 0, "%s", c->err);
	cr_assert_str_eq(c->out, "in-tree\n", "cat saw the cache in the default scope");

	const char *all[] = { "PYCACHE_REDIRECT_SCOPE=all", NULL };
	harness_run_redirected(c, f, f->tree, all, cat);
	cr_assert_eq(c->status, 0, "%s", c->err);
	cr_assert_str_eq(c->out, "central\n", "cat did not see the cache with scope all");

	r = harness_python(f, py, true, NULL, "-c",
			   "print(open('app/__pycache__/marker').read().strip())", NULL);
	cr_assert_str_eq(r->out, "central\n", "%s: Python did not read the cache", py->label);
	free(r);
	free(c);
}

Test(scope, only_python_is_redirected_by_default) { harness_each_python(scope_python); }

/* A root in a bad state switches the redirect off with one warning (when
 * logging is on); Python still runs, and nothing lands in the bad root. */
static void check_refused_root(const struct harness_fixture *f, const struct harness_interp *py,
			       const char *target, const char *why)
{
	const char *log[] = { "PYCACHE_REDIRECT_LOG=1", NULL };
	struct harness_result *r = harness_run_app(f, py, log, NULL);
	cr_assert_eq(harness_count_of(r->err, "warning: cache root"), 1,
		     "%s (%s): expected one warning, stderr:\n%s", py->label, why, r->err);
	cr_assert(strstr(r->err, why), "%s: the warning does not say '%s': %s", py->label, why,
		  r->err);
	assert_app_ran(r, py);
	cr_assert_eq(harness_count_files(target, ".pyc"), 0, "%s (%s): bytecode in a refused root",
		     py->label, why);

	/* Silent by default. */
	r = harness_run_app(f, py, NULL, NULL);
	cr_assert_eq(harness_count_of(r->err, "pycache-redirect"), 0, "%s: %s", py->label, r->err);
	assert_app_ran(r, py);
}

static void group_writable_root(const struct harness_interp *py, struct harness_fixture *f)
{
	cr_assert(mkdir(f->root, 0700) == 0 && chmod(f->root, 0770) == 0);
	check_refused_root(f, py, f->root, "writable by group or others");
}

Test(root, group_writable_root_is_refused) { harness_each_python(group_writable_root); }

static void symlinked_root(const struct harness_interp *py, struct harness_fixture *f)
{
	char target[PATH_MAX];
	HARNESS_PATH(target, "%s/elsewhere", f->dir);
	cr_assert(mkdir(target, 0700) == 0 && symlink(target, f->root) == 0);
	check_refused_root(f, py, target, "symbolic link");
}

Test(root, symlinked_root_is_refused) { harness_each_python(symlinked_root); }

static void foreign_root(const struct harness_interp *py, struct harness_fixture *f)
{
	cr_assert(mkdir(f->root, 0700) == 0 && chown(f->root, 65534, 65534) == 0);
	check_refused_root(f, py, f->root, "owned by another user");
}

Test(root, foreign_root_is_refused)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give the cache root to another user");
	harness_each_python(foreign_root);
}

/* A PYCACHE_REDIRECT_DIR the library cannot use switches it off, with one
 * warning that says why. */
static void unusable_root_setting(const struct harness_interp *py, struct harness_fixture *f)
{
	static char setting[PATH_MAX + 32] = "PYCACHE_REDIRECT_DIR=/";
	size_t len = strlen(setting);
	memset(setting + len, 'd', sizeof setting - len - 1); /* longer than PATH_MAX */
	const char *const settings[] = { "PYCACHE_REDIRECT_DIR=relative/cache", setting };
	for (size_t k = 0; k < sizeof settings / sizeof *settings; k++) {
		const char *env[] = { py->preload, settings[k], "PYCACHE_REDIRECT_LOG=1", NULL };
		struct harness_result *r = harness_python(f, py, false, env, "-m", "app", NULL);
		cr_assert_eq(
		    harness_count_of(r->err, "PYCACHE_REDIRECT_DIR must be an absolute path"), 1,
		    "%s: %s", py->label, r->err);
		assert_app_ran(r, py);
	}
}

Test(root, unusable_root_setting_switches_it_off) { harness_each_python(unusable_root_setting); }

static void default_root(const struct harness_interp *py, struct harness_fixture *f)
{
	char xdg[PATH_MAX], home[PATH_MAX], env_xdg[PATH_MAX + 32], env_home[PATH_MAX + 8];
	HARNESS_PATH(xdg, "%s/xdg", f->dir);
	HARNESS_PATH(home, "%s/home", f->dir);
	HARNESS_PATH(env_xdg, "XDG_CACHE_HOME=%s", xdg);
	HARNESS_PATH(env_home, "HOME=%s", home);

	const char *with_xdg[] = { py->preload, env_xdg, env_home, NULL };
	assert_app_ran(harness_python(f, py, false, with_xdg, "-m", "app", NULL), py);
	char root[PATH_MAX];
	HARNESS_PATH(root, "%s/pycache-redirect", xdg);
	cr_assert_eq(harness_count_files(root, ".pyc"), HARNESS_SAMPLE_MODULES,
		     "%s: %zu pycs in %s", py->label, harness_count_files(root, ".pyc"), root);
	cr_assert_eq(harness_count_files(home, ".pyc"), 0);

	harness_rmtree(xdg);
	const char *only_home[] = { py->preload, env_home, NULL };
	assert_app_ran(harness_python(f, py, false, only_home, "-m", "app", NULL), py);
	HARNESS_PATH(root, "%s/.cache/pycache-redirect", home);
	cr_assert_eq(harness_count_files(root, ".pyc"), HARNESS_SAMPLE_MODULES,
		     "%s: %zu pycs in %s", py->label, harness_count_files(root, ".pyc"), root);
	harness_assert_tree_clean(f, py);
}

Test(root, default_root_follows_xdg_then_home) { harness_each_python(default_root); }

/* ---- a root on a read-only mount ---- */

static char unshare_path[PATH_MAX], strace_path[PATH_MAX];

/* argv under the library (PYCACHE_REDIRECT_DIR=f->root, plus env), in a
 * private mount namespace where f->root is bind-mounted read-only onto
 * itself: a pre-warmed cache mounted :ro into a container. With trace,
 * under strace -f (file calls) writing there. free() the result. */
static struct harness_result *run_read_only(const struct harness_fixture *f, const char *trace,
					    const char *const *env, const char *const *argv)
{
	static const char script[] = "mount --bind \"$0\" \"$0\" && "
				     "mount -o remount,bind,ro \"$0\" && exec \"$@\"";
	const char *all[40] = { unshare_path, "-m", "/bin/sh", "-c", script, f->root };
	size_t n = 6;
	if (trace) {
		const char *st[] = { strace_path, "-f", "-qq", "-e", "trace=%file", "-o", trace };
		for (size_t i = 0; i < sizeof st / sizeof *st; i++)
			all[n++] = st[i];
	}
	for (; *argv && n < 39; argv++)
		all[n++] = *argv;
	all[n] = NULL;
	struct harness_result *r = malloc(sizeof *r);
	harness_run_redirected(r, f, f->tree, env, all);
	return r;
}

/* Everything under dir, a line each: path, type, size, mtime, inode. */
static char listing[1 << 16];
static int list_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)type, (void)ftw;
	size_t n = strlen(listing);
	snprintf(listing + n, sizeof listing - n, "%s %o %lld %lld.%09ld %llu\n", path,
		 (unsigned)st->st_mode, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
		 st->st_mtim.tv_nsec, (unsigned long long)st->st_ino);
	return 0;
}

static char *list_tree(const char *dir)
{
	listing[0] = '\0';
	cr_assert(nftw(dir, list_one, 16, FTW_PHYS) == 0, "%s", dir);
	cr_assert_lt(strlen(listing), sizeof listing - 1, "the listing of %s was cut", dir);
	return strdup(listing);
}

/* The one EROFS that strace may show is the root's check (access W_OK):
 * neither Python nor the library tried to write into the cache. */
static void assert_no_write_tried(const char *trace, const struct harness_interp *py,
				  const char *step)
{
	static char text[1 << 22];
	cr_assert_geq(harness_read_file(trace, text, sizeof text), 0, "no %s", trace);
	for (char *line = text, *next; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? (*next = '\0', next + 1) : line + strlen(line);
		cr_assert(!strstr(line, "EROFS") || strstr(line, "access("),
			  "%s, %s: a write was tried on the read-only root: %s", py->label, step,
			  line);
	}
}

/* A cache made writable, then mounted read-only: a warm run reads its pycs;
 * an edited source runs the new code and a module never compiled runs, and
 * nothing is written, in the tree or in the cache (Python's write of a pyc
 * fails with EROFS, as on a read-only tree). */
static void read_only_root(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	char pyc[HARNESS_SAMPLE_MODULES][PATH_MAX];
	struct stat warm[HARNESS_SAMPLE_MODULES];
	harness_sample_pyc_stats(f, py, pyc, warm);
	char *before = list_tree(f->root), *after;
	char trace[PATH_MAX];
	HARNESS_PATH(trace, "%s/trace", f->dir);
	const char *tracing = *strace_path ? trace : NULL;

	struct harness_result *r =
	    run_read_only(f, tracing, NULL, (const char *[]){ py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d: %s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	free(r);
	harness_assert_tree_clean(f, py);
	cr_assert_str_eq((after = list_tree(f->root)), before, "%s: the warm run changed the cache",
			 py->label);
	free(after);
	if (tracing) {
		static char text[1 << 22];
		cr_assert_geq(harness_read_file(trace, text, sizeof text), 0);
		for (size_t k = 0; k < HARNESS_SAMPLE_MODULES; k++) {
			char opened[PATH_MAX + 16];
			HARNESS_PATH(opened, "\"%s\", O_RDONLY", pyc[k]);
			cr_assert(strstr(text, opened), "%s: the warm run did not read %s",
				  py->label, pyc[k]);
		}
		assert_no_write_tried(trace, py, "warm");
	}

	/* An edited source: the new code, and Python's write of its pyc fails
	 * with EROFS. */
	harness_edit_source(f, "app/version.py", "VERSION = \"2\"\n");
	r = run_read_only(
	    f, tracing, NULL,
	    (const char *[]){ py->path, "-v", "-c",
			      "import app.version; print('version: ' + app.version.VERSION)",
			      NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d: %s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "version: 2"), "%s: %s", py->label, r->out);
	if (py->major >= 3)
		cr_assert(strstr(r->err, "Read-only file system"),
			  "%s: Python was not told EROFS for its pyc: %s", py->label, r->err);
	free(r);
	harness_assert_tree_clean(f, py);
	cr_assert_str_eq((after = list_tree(f->root)), before,
			 "%s: the edited module was written to the cache", py->label);
	free(after);
	if (tracing)
		assert_no_write_tried(trace, py, "edited");

	/* A module never compiled. */
	char fresh[PATH_MAX];
	HARNESS_PATH(fresh, "%s/app/fresh.py", f->tree);
	harness_write_file(fresh, "print('fresh ran')\n");
	r = run_read_only(f, tracing, NULL,
			  (const char *[]){ py->path, "-c", "import app.fresh", NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d: %s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "fresh ran"), "%s: %s", py->label, r->out);
	free(r);
	harness_assert_tree_clean(f, py);
	cr_assert_str_eq((after = list_tree(f->root)), before,
			 "%s: the new module was written to the cache", py->label);
	free(after);
	if (tracing)
		assert_no_write_tried(trace, py, "never compiled");
	free(before);
}

Test(root, a_read_only_root_is_read_and_never_written)
{
	if (!harness_can_mount() ||
	    !harness_have_program("unshare", unshare_path, sizeof unshare_path))
		cr_skip_test("needs root and a private mount namespace to mount a read-only root");
	if (!harness_have_program("strace", strace_path, sizeof strace_path)) {
		strace_path[0] = '\0';
		fprintf(stderr, "e2e: strace not found: the read-only root's runs are checked by "
				"their output and the disk only\n");
	}
	harness_each_python(read_only_root);
}

/* The command on a read-only root: what reads works (stats, ls, where,
 * doctor's root check, the dry runs); what writes fails, exit 1, saying
 * why (prune, clear, config). */
Test(root, the_command_reads_a_read_only_root_and_refuses_to_clean_it)
{
	if (!harness_can_mount() ||
	    !harness_have_program("unshare", unshare_path, sizeof unshare_path))
		cr_skip_test("needs root and a private mount namespace to mount a read-only root");
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	free(harness_run_app(&f, py, NULL, NULL));
	char *before = list_tree(f.root), *after;
	char src[PATH_MAX], line[PATH_MAX + 8], entry[PATH_MAX];
	HARNESS_PATH(src, "%s/app", f.tree);
	HARNESS_PATH(line, "%s\n", src);
	layout_central_of_dir(entry, sizeof entry, f.root, src, NULL);
	static const struct {
		const char *args[4];
		int status;
		const char *out, *err; /* NULL: anything; "": nothing */
	} runs[] = {
		{ { "stats" }, 0, "(is on a read-only file system: used for reads)", "" },
		{ { "ls" }, 0, NULL, "" },
		{ { "where" }, 0, NULL, "" },
		{ { "where", "app" }, 0, NULL, "" },
		{ { "prune", "--dry-run" }, 0, "would remove 0 entries", "" },
		{ { "clear", "--dry-run" }, 0, "would remove 2 entries", "" },
		{ { "doctor" }, -1, "ok       cache root: ", NULL },
		{ { "prune" }, 1, "", "is on a read-only file system: nothing can be removed" },
		{ { "clear" }, 1, "", "is on a read-only file system: nothing can be removed" },
		{ { "config", "max-size", "1G" }, 1, "", "is on a read-only file system" },
	};
	for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
		const char *argv[6] = { PCR_TEST_CLI };
		for (size_t k = 0; k < 4 && runs[i].args[k]; k++)
			argv[k + 1] = runs[i].args[k];
		struct harness_result *r = run_read_only(&f, NULL, NULL, argv);
		const char *what = runs[i].args[0];
		if (runs[i].status >= 0)
			cr_assert_eq(r->status, runs[i].status, "%s %s: exit %d\n%s%s", what,
				     runs[i].args[1] ? runs[i].args[1] : "", r->status, r->out,
				     r->err);
		if (runs[i].out && *runs[i].out)
			cr_assert(strstr(r->out, runs[i].out), "%s: %s", what, r->out);
		if (runs[i].err && *runs[i].err)
			cr_assert(strstr(r->err, runs[i].err), "%s: %s", what, r->err);
		if (runs[i].err && !*runs[i].err)
			cr_assert_str_empty(r->err, "%s: %s", what, r->err);
		if (strcmp(what, "ls") == 0)
			cr_assert(strstr(r->out, line), "ls: %s", r->out);
		if (strcmp(what, "where") == 0)
			cr_assert(strstr(r->out, runs[i].args[1] ? entry : f.root), "where: %s",
				  r->out);
		if (strcmp(what, "doctor") == 0)
			cr_assert(strstr(r->out, "read-only: used for reads"), "doctor: %s",
				  r->out);
		free(r);
	}
	cr_assert_str_eq((after = list_tree(f.root)), before, "a command changed the cache");
	free(after);
	free(before);
	harness_fixture_fini(&f);
}

/* PYCACHE_REDIRECT_LOG=2 to a file: each rewritten call with the original and
 * the central path, so that a user can see what went where; stderr stays
 * clean for the program. */
static void log_to_file(const struct harness_interp *py, struct harness_fixture *f)
{
	char log[PATH_MAX], setting[PATH_MAX + 32];
	HARNESS_PATH(log, "%s/redirect.log", f->dir);
	HARNESS_PATH(setting, "PYCACHE_REDIRECT_LOG=2:file:%s", log);
	const char *env[] = { setting, NULL };
	struct harness_result *r = harness_run_app(f, py, env, NULL);
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	free(r);

	static char text[1 << 20];
	cr_assert_gt(harness_read_file(log, text, sizeof text), 0, "%s: no log at %s", py->label,
		     log);
	char pyc[PATH_MAX], line[PATH_MAX * 2 + 16];
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "text", "");
	HARNESS_PATH(line, " %s/app/__pycache__/text.%s.pyc -> %s\n", f->tree, py->tag, pyc);
	cr_assert(strstr(text, line), "%s: the log lacks%s", py->label, line);
	char mkdir_line[PATH_MAX * 2 + 16], entry[PATH_MAX], src[PATH_MAX];
	HARNESS_PATH(src, "%s/app/stats", f->tree);
	layout_central_of_dir(entry, sizeof entry, f->root, src, NULL);
	HARNESS_PATH(mkdir_line, "pycache-redirect: mkdir %s/__pycache__ -> %s\n", src, entry);
	cr_assert(strstr(text, mkdir_line), "%s: the log lacks %s", py->label, mkdir_line);
}

Test(switch, every_rewrite_is_logged_to_a_file) { harness_each_python(log_to_file); }
