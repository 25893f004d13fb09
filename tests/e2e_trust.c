/* What another user can plant for the library to trip over: a FIFO or
 * another user's file at the log path, a FIFO at the growth counter. The
 * library never blocks on them and never writes into another user's file;
 * Python runs on as it would. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

#define OTHER_UID 4242

/* `py -m app` under the library and env, stopped after 20 s (a hang shows as
 * exit 124); the run must have printed the sample's output. */
static struct harness_result *run_app_bounded(const struct harness_fixture *f,
					      const struct harness_interp *py,
					      const char *const *env)
{
	struct harness_result *r = malloc(sizeof *r);
	harness_run_redirected(
	    r, f, f->tree, env,
	    (const char *[]){ "/usr/bin/timeout", "20", py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d (124: it hung)\n%s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "version: "), "%s: %s", py->label, r->out);
	return r;
}

/* The README's own example, /tmp/pcr.log, is a name anyone can take first. */
static void log_fifo(const struct harness_interp *py, struct harness_fixture *f)
{
	char log[PATH_MAX], setting[PATH_MAX + 32];
	HARNESS_PATH(log, "%s/pcr.log", f->dir);
	cr_assert(mkfifo(log, 0666) == 0);
	HARNESS_PATH(setting, "PYCACHE_REDIRECT_LOG=2:file:%s", log);
	struct harness_result *r = run_app_bounded(f, py, (const char *[]){ setting, NULL });
	cr_assert_eq(harness_count_of(r->err, "warning: log file"), 1, "%s: %s", py->label, r->err);
	cr_assert(strstr(r->err, " -> "), "%s: the rewrites go to stderr instead: %s", py->label,
		  r->err);
	harness_assert_sample_cached(f, py, "", "after a run logging to a FIFO");
	free(r);
}

Test(trust, a_fifo_at_the_log_path_is_not_waited_on) { harness_each_python(log_fifo); }

static void log_foreign(const struct harness_interp *py, struct harness_fixture *f)
{
	char log[PATH_MAX], setting[PATH_MAX + 32];
	HARNESS_PATH(log, "%s/pcr.log", f->dir);
	harness_write_file(log, "");
	cr_assert(chown(log, OTHER_UID, OTHER_UID) == 0 && chmod(log, 0666) == 0);
	HARNESS_PATH(setting, "PYCACHE_REDIRECT_LOG=2:file:%s", log);
	struct harness_result *r = run_app_bounded(f, py, (const char *[]){ setting, NULL });
	cr_assert_eq(harness_count_of(r->err, "warning: log file"), 1, "%s: %s", py->label, r->err);
	struct stat st;
	cr_assert(stat(log, &st) == 0);
	cr_assert_eq(st.st_size, 0,
		     "%s: %lld bytes of the user's imports went into another "
		     "user's file",
		     py->label, (long long)st.st_size);
	free(r);
}

Test(trust, another_user_s_log_file_gets_nothing)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give a file to another uid");
	harness_each_python(log_foreign);
}

/* The user's own log file (made by the user, any mode) is written. */
static void log_own(const struct harness_interp *py, struct harness_fixture *f)
{
	char log[PATH_MAX], setting[PATH_MAX + 32];
	HARNESS_PATH(log, "%s/pcr.log", f->dir);
	harness_write_file(log, "");
	cr_assert(chmod(log, 0644) == 0);
	HARNESS_PATH(setting, "PYCACHE_REDIRECT_LOG=2:file:%s", log);
	struct harness_result *r = run_app_bounded(f, py, (const char *[]){ setting, NULL });
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	static char text[1 << 20];
	cr_assert_gt(harness_read_file(log, text, sizeof text), 0, "%s: nothing logged", py->label);
	cr_assert(strstr(text, " -> "), "%s: %s", py->label, text);
	free(r);
}

Test(trust, the_user_s_own_log_file_is_written) { harness_each_python(log_own); }

/* A FIFO in place of the growth counter: a cold import goes on, caching. */
static void counter_fifo(const struct harness_interp *py, struct harness_fixture *f)
{
	char path[PATH_MAX];
	cr_assert(mkdir(f->root, 0700) == 0);
	HARNESS_PATH(path, "%s/v2", f->root);
	cr_assert(mkdir(path, 0700) == 0);
	HARNESS_PATH(path, "%s/v2/usage", f->root);
	cr_assert(mkfifo(path, 0600) == 0);
	free(run_app_bounded(f, py, NULL));
	harness_assert_sample_cached(f, py, "", "with a FIFO for a counter");
}

Test(trust, a_fifo_at_the_counter_is_not_waited_on) { harness_each_python(counter_fifo); }

/* Another user's file in place of the growth counter (only root could put
 * it in a root of 0700): nothing is appended to it. */
static void counter_foreign(const struct harness_interp *py, struct harness_fixture *f)
{
	char path[PATH_MAX];
	cr_assert(mkdir(f->root, 0700) == 0);
	HARNESS_PATH(path, "%s/v2", f->root);
	cr_assert(mkdir(path, 0700) == 0);
	HARNESS_PATH(path, "%s/v2/usage", f->root);
	harness_write_file(path, "");
	cr_assert(chown(path, 4242, 4242) == 0 && chmod(path, 0666) == 0);
	free(run_app_bounded(f, py, NULL));
	harness_assert_sample_cached(f, py, "", "with another user's file for a counter");
	struct stat st;
	cr_assert(stat(path, &st) == 0);
	cr_assert_eq(st.st_size, 0, "%s: %lld bytes appended to another user's counter", py->label,
		     (long long)st.st_size);
}

Test(trust, another_user_s_counter_is_not_written)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give the counter to another user");
	harness_each_python(counter_foreign);
}

/* ---- the root and the directories on the way to it ---- */

static bool listed_line_ending(const char *text, const char *suffix)
{
	size_t n = strlen(suffix);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= n && memcmp(p + len - n, suffix, n) == 0)
			return true;
		p += len + (nl != NULL);
	}
	return false;
}

/* What the run left under /tmp/pycache-redirect-* of its private /tmp. */
static const char *private_tmp(const struct harness_fixture *f)
{
	static char text[1 << 16];
	char path[PATH_MAX];
	HARNESS_PATH(path, "%s/private-tmp", f->dir);
	cr_assert_geq(harness_read_file(path, text, sizeof text), 0, "no %s", path);
	return text;
}

/* `py -m app` under env (which preloads the library and sets no root) in a
 * private /tmp: it runs, the tree stays clean, and the pycs are under the
 * fallback root /tmp/pycache-redirect-<uid> there. free() the result. */
static struct harness_result *run_to_the_fallback(const struct harness_fixture *f,
						  const struct harness_interp *py,
						  const char *const *env)
{
	struct harness_result *r = malloc(sizeof *r);
	harness_run_with_private_tmp(r, f, env, (const char *[]){ py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	harness_assert_tree_clean(f, py);
	char pyc[64];
	HARNESS_PATH(pyc, "/text.%s.pyc", py->tag);
	cr_assert(listed_line_ending(private_tmp(f), pyc), "%s: no %s under the fallback:\n%s",
		  py->label, pyc, private_tmp(f));
	return r;
}

/* Root with another user's HOME (sudo -E, su -m): nothing is made in that
 * home, whose owner could swap what root would use; root's pycs go to
 * /tmp/pycache-redirect-0 instead, and the tree stays clean. */
static void root_with_a_user_s_home(const struct harness_interp *py, struct harness_fixture *f)
{
	char home[PATH_MAX], cache[PATH_MAX], env_home[PATH_MAX + 8];
	HARNESS_PATH(home, "%s/home-bob", f->dir);
	HARNESS_PATH(cache, "%s/.cache", home);
	cr_assert(mkdir(home, 0755) == 0 && chown(home, OTHER_UID, OTHER_UID) == 0);
	HARNESS_PATH(env_home, "HOME=%s", home);
	struct harness_result *r = run_to_the_fallback(
	    f, py, (const char *[]){ py->preload, env_home, "PYCACHE_REDIRECT_LOG=1", NULL });
	cr_assert(strstr(r->err, "using /tmp/pycache-redirect-0"), "%s: %s", py->label, r->err);
	cr_assert(!harness_exists(cache), "%s: root made %s in another user's home", py->label,
		  cache);
	free(r);
}

Test(root, root_with_another_user_s_home_uses_the_fallback)
{
	if (!harness_can_mount())
		cr_skip_test("needs root and a private mount namespace for a /tmp of its own");
	harness_each_python(root_with_a_user_s_home);
}

/* A root in a directory others may write to: whoever can rename in it can
 * swap the root after any check. Set by PYCACHE_REDIRECT_DIR, it is refused
 * and the redirect is off (nothing is made under it); as a default root
 * (XDG_CACHE_HOME there), the fallback is used. */
static void root_in_an_open_parent(const struct harness_interp *py, struct harness_fixture *f)
{
	char shared[PATH_MAX], dir[PATH_MAX + 32], xdg[PATH_MAX + 32], made[PATH_MAX];
	HARNESS_PATH(shared, "%s/shared", f->dir);
	cr_assert(mkdir(shared, 0700) == 0 && chmod(shared, 0777) == 0);
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s/cache", shared);
	HARNESS_PATH(xdg, "XDG_CACHE_HOME=%s", shared);
	HARNESS_PATH(made, "%s/cache", shared);

	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f->tree,
		    (const char *[]){ py->preload, dir, "PYCACHE_REDIRECT_LOG=1", NULL },
		    (const char *[]){ py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	cr_assert(strstr(r->err, "lies in a directory that another user owns or may write to"),
		  "%s: %s", py->label, r->err);
	cr_assert(!harness_exists(made), "%s: made %s", py->label, made);

	harness_fixture_fini(f); /* a fresh tree: Python cached in it */
	harness_fixture_init(f);
	HARNESS_PATH(shared, "%s/shared", f->dir);
	cr_assert(mkdir(shared, 0700) == 0 && chmod(shared, 0777) == 0);
	HARNESS_PATH(xdg, "XDG_CACHE_HOME=%s", shared);
	HARNESS_PATH(made, "%s/pycache-redirect", shared);
	free(r);
	r = run_to_the_fallback(f, py, (const char *[]){ py->preload, xdg, NULL });
	cr_assert(!harness_exists(made), "%s: made %s", py->label, made);
	free(r);
}

Test(root, a_root_in_a_directory_others_may_write_to_is_refused)
{
	if (!harness_can_mount())
		cr_skip_test("needs root and a private mount namespace for a /tmp of its own");
	harness_each_python(root_in_an_open_parent);
}

/* The attack the parents' check closes: another user who may rename in the
 * root's parent swaps the root, after the library checked it, for a link to
 * a tree of theirs with a pyc of the same mtime and size as the user's
 * source; the user's Python must not run it (tests/swap_root.py). One
 * interpreter: what is tested is the library's check, and the attacker's pyc
 * is built with CPython 3's importlib. */
Test(root, a_root_swapped_by_another_user_is_never_read)
{
	char setpriv[PATH_MAX];
	if (geteuid() != 0 || !harness_have_program("setpriv", setpriv, sizeof setpriv))
		cr_skip_test("needs root and setpriv to act as another user");
	const struct harness_interp *py = harness_first_python();
	if (py->major < 3 || strncmp(py->tag, "cpython", 7) != 0)
		cr_skip_test("needs a CPython 3 first");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char shared[PATH_MAX], root[PATH_MAX], evil[PATH_MAX], src[PATH_MAX], uid[16];
	cr_assert(chmod(f.dir, 0711) == 0); /* the other user reaches shared/ */
	HARNESS_PATH(shared, "%s/shared", f.dir);
	cr_assert(mkdir(shared, 0700) == 0 && chmod(shared, 0777) == 0);
	HARNESS_PATH(root, "%s/cache", shared);
	cr_assert(mkdir(root, 0700) == 0);
	HARNESS_PATH(src, "%s/app", f.tree);
	char name[64];
	HARNESS_PATH(name, "version.%s.pyc", py->tag);
	layout_central_of_dir(evil, sizeof evil, root, src, name);
	HARNESS_PATH(uid, "%d", OTHER_UID);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree, NULL,
		    (const char *[]){ py->path, PCR_TEST_SOURCE_DIR "/tests/swap_root.py",
				      py->library, root, evil, uid, NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s%s", py->label, r->status, r->out, r->err);
	cr_assert(!strstr(r->out, "owned"), "%s: another user's code ran: %s", py->label, r->out);
	cr_assert(strstr(r->out, "VERSION 1\n"), "%s: %s", py->label, r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* ---- the fallback root of a user whose HOME gives none ---- */

/* nobody's HOME=/nonexistent, and docker run --user 1234's HOME=/: uid
 * 4242 can make neither $HOME/.cache/pycache-redirect, so the library and
 * the command use /tmp/pycache-redirect-4242, under the same checks. */
#define FALLBACK_ROOT "/tmp/pycache-redirect-4242"
#define AS_OTHER "--reuid=4242", "--regid=4242", "--clear-groups"

static char setpriv_path[PATH_MAX];

/* A tree uid 4242 owns (Python, unredirected, would cache in it), in a
 * fixture directory it may pass through. */
static void tree_of_the_other_user(const struct harness_fixture *f)
{
	char sh[PATH_MAX + 64];
	cr_assert(chmod(f->dir, 0711) == 0);
	HARNESS_PATH(sh, "chown -R 4242:4242 '%s'", f->tree);
	cr_assert_eq(system(sh), 0, "%s", sh);
}

/* Whether py (and the library) can be run by uid 4242 here (not a pyenv
 * build under root's 0700 home): said on stderr when not. */
static bool other_user_runs(const struct harness_interp *py, const struct harness_fixture *f)
{
	struct harness_result *r = malloc(sizeof *r);
	/* Switched off: this run is outside the private /tmp. */
	harness_run(r, f->tree, (const char *[]){ py->preload, "PYCACHE_REDIRECT=0", NULL },
		    (const char *[]){ setpriv_path, AS_OTHER, py->path, "-c", "pass", NULL });
	bool ok = r->status == 0 && !r->err[0];
	if (!ok)
		fprintf(stderr, "e2e: %s: not run as uid 4242 (%.200s)\n", py->label, r->err);
	free(r);
	return ok;
}

/* argv as uid 4242, with env, in f's tree in a private /tmp
 * (harness_run_with_private_tmp), after the shell line before (run as root
 * there, to plant something in that /tmp). free() the result. */
static struct harness_result *as_other_user(const struct harness_fixture *f, const char *const *env,
					    const char *before, const char *const *argv)
{
	char script[512];
	HARNESS_PATH(script, "%s; exec \"$0\" --reuid=4242 --regid=4242 --clear-groups \"$@\"",
		     before ? before : ":");
	const char *all[32] = { "/bin/sh", "-ec", script, setpriv_path };
	size_t n = 4;
	for (; *argv && n < 31; argv++)
		all[n++] = *argv;
	all[n] = NULL;
	/* The mount point an earlier private /tmp of f left. */
	char left[PATH_MAX];
	HARNESS_PATH(left, "%s/.private-tmp", f->dir);
	rmdir(left);
	struct harness_result *r = malloc(sizeof *r);
	harness_run_with_private_tmp(r, f, env, all);
	return r;
}

/* What `where` says of the root for uid 4242 with home: the fallback, as
 * the fallback, and why the root from HOME is not used. */
static void where_names_the_fallback(const struct harness_fixture *f, const char *home)
{
	char env_home[PATH_MAX + 8], why[PATH_MAX + 64];
	HARNESS_PATH(env_home, "HOME=%s", home);
	struct harness_result *r = as_other_user(f, (const char *[]){ env_home, NULL }, NULL,
						 (const char *[]){ PCR_TEST_CLI, "where", NULL });
	cr_assert_eq(r->status, 0, "where: exit %d\n%s", r->status, r->err);
	cr_assert_str_eq(r->out, FALLBACK_ROOT "\n");
	HARNESS_PATH(why, "the cache root %s/.cache/pycache-redirect cannot be created",
		     strcmp(home, "/") == 0 ? "" : home);
	cr_assert(strstr(r->err, why), "where, HOME=%s: %s", home, r->err);
	cr_assert(strstr(r->err, "the library uses the fallback " FALLBACK_ROOT " instead"),
		  "where, HOME=%s: %s", home, r->err);
	free(r);
}

static const char *fallback_home; /* the HOME of the next body */

static void home_gives_no_root(const struct harness_interp *py, struct harness_fixture *f)
{
	/* tests/in_root runs another user in a user namespace that maps that
	 * uid alone: the host's / is then owned by an unmapped uid, and every
	 * root under it is refused, the fallback's too, as in any such
	 * namespace (README, Limits). */
	if (py->in_root) {
		fprintf(stderr,
			"e2e: %s: skipped as uid 4242: its launcher's user namespace shows "
			"/ as an unmapped uid's\n",
			py->label);
		return;
	}
	tree_of_the_other_user(f);
	if (!other_user_runs(py, f))
		return;
	char env_home[PATH_MAX + 8];
	HARNESS_PATH(env_home, "HOME=%s", fallback_home);
	struct harness_result *r = as_other_user(
	    f, (const char *[]){ py->preload, env_home, "PYCACHE_REDIRECT_LOG=1", NULL }, NULL,
	    (const char *[]){ py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
	cr_assert(strstr(r->err, "using " FALLBACK_ROOT), "%s: %s", py->label, r->err);
	free(r);
	harness_assert_tree_clean(f, py);
	char pyc[64];
	HARNESS_PATH(pyc, "/text.%s.pyc", py->tag);
	cr_assert(listed_line_ending(private_tmp(f), pyc), "%s: no %s under " FALLBACK_ROOT ":\n%s",
		  py->label, pyc, private_tmp(f));
	where_names_the_fallback(f, fallback_home);
}

static bool fallback_testable(void)
{
	return harness_can_mount() &&
	       harness_have_program("setpriv", setpriv_path, sizeof setpriv_path);
}

Test(fallback, a_user_whose_home_is_missing_uses_tmp)
{
	if (!fallback_testable())
		cr_skip_test(
		    "needs root, setpriv and a private mount namespace for a /tmp of its own");
	fallback_home = "/nonexistent";
	harness_each_python(home_gives_no_root);
}

Test(fallback, a_user_whose_home_is_the_top_uses_tmp)
{
	if (!fallback_testable())
		cr_skip_test(
		    "needs root, setpriv and a private mount namespace for a /tmp of its own");
	fallback_home = "/";
	harness_each_python(home_gives_no_root);
}

/* The fallback taken first by another user (uid 4243), as a directory of
 * theirs or as a symbolic link of theirs to one (f->dir/evil): never used;
 * the redirect is off (Python caches in its tree, as without the library),
 * nothing is written there, and both the library and the command say so. */
static void fallback_taken(bool as_link)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	tree_of_the_other_user(&f);
	if (!other_user_runs(py, &f)) {
		harness_fixture_fini(&f);
		cr_skip_test("%s cannot be run as uid 4242", py->label);
	}
	char evil[PATH_MAX], plant[PATH_MAX + 128];
	HARNESS_PATH(evil, "%s/evil", f.dir);
	cr_assert(mkdir(evil, 0700) == 0 && chmod(evil, 0777) == 0 && chown(evil, 4243, 4243) == 0);
	if (as_link)
		HARNESS_PATH(plant, "ln -s '%s' %s && chown -h 4243:4243 %s", evil, FALLBACK_ROOT,
			     FALLBACK_ROOT);
	else
		HARNESS_PATH(plant, "mkdir -m 777 %s && chown 4243:4243 %s", FALLBACK_ROOT,
			     FALLBACK_ROOT);
	const char *what = as_link ? "a symbolic link of uid 4243" : "a directory of uid 4243";

	const char *env[] = { py->preload, "HOME=/nonexistent", "PYCACHE_REDIRECT_LOG=1", NULL };
	struct harness_result *r =
	    as_other_user(&f, env, plant, (const char *[]){ py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", what, r->status, r->err);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", what, r->out);
	cr_assert(strstr(r->err, "the fallback " FALLBACK_ROOT " is refused too"), "%s: %s", what,
		  r->err);
	free(r);
	cr_assert_gt(harness_count_bytecode(f.tree, NULL, 0), 0,
		     "%s: Python cached nowhere: was the redirect on?", what);
	cr_assert_str_eq(private_tmp(&f), FALLBACK_ROOT "\n",
			 "%s: something was written in the other user's fallback", what);
	cr_assert_eq(harness_count_files(evil, ""), 0, "%s: written where the link points", what);

	r = as_other_user(&f, (const char *[]){ "HOME=/nonexistent", NULL }, plant,
			  (const char *[]){ PCR_TEST_CLI, "where", NULL });
	cr_assert_eq(r->status, 1, "%s: where: exit %d\n%s%s", what, r->status, r->out, r->err);
	cr_assert(strstr(r->err, "the fallback " FALLBACK_ROOT " is owned by another user; the "
				 "redirect is off"),
		  "%s: where: %s", what, r->err);
	free(r);
	r = as_other_user(&f, (const char *[]){ "HOME=/nonexistent", NULL }, plant,
			  (const char *[]){ PCR_TEST_CLI, "doctor", NULL });
	cr_assert_eq(r->status, 1, "%s: doctor: exit %d\n%s%s", what, r->status, r->out, r->err);
	cr_assert(strstr(r->out, "and its fallback " FALLBACK_ROOT " is owned by another user"),
		  "%s: doctor: %s", what, r->out);
	free(r);
	harness_fixture_fini(&f);
}

Test(fallback, another_user_s_directory_at_the_fallback_is_never_used)
{
	if (!fallback_testable())
		cr_skip_test(
		    "needs root, setpriv and a private mount namespace for a /tmp of its own");
	fallback_taken(false);
}

Test(fallback, another_user_s_symlink_at_the_fallback_is_never_followed)
{
	if (!fallback_testable())
		cr_skip_test(
		    "needs root, setpriv and a private mount namespace for a /tmp of its own");
	fallback_taken(true);
}

/* ---- races with the cache manager ---- */

/* A clear or prune between py_compile's mkdir of __pycache__ and its create
 * of the pyc (here: the whole layout removed at that point): the create
 * makes the entry again, where before it failed with FileNotFoundError. */
static const char create_after_clear[] =
    "import os, sys\n"
    "os.makedirs('app/__pycache__')\n"
    "os.system(\"rm -rf '%s'\" % sys.argv[1])\n"
    "with open('app/__pycache__/x.pyc.tmp', 'wb') as f: f.write(b'x')\n"
    "print('ok')\n";

static void create_after_removal(const struct harness_interp *py, struct harness_fixture *f)
{
	char layout[PATH_MAX], src[PATH_MAX], central[PATH_MAX];
	HARNESS_PATH(layout, "%s/v2", f->root);
	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-c", create_after_clear, layout, NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	cr_assert_str_eq(r->out, "ok\n", "%s: %s", py->label, r->out);
	HARNESS_PATH(src, "%s/app", f->tree);
	layout_central_of_dir(central, sizeof central, f->root, src, "x.pyc.tmp");
	cr_assert(harness_exists(central), "%s: no %s", py->label, central);
	harness_assert_tree_clean(f, py);
	free(r);
}

Test(race, a_create_whose_entry_was_removed_makes_it_again)
{
	harness_each_python(create_after_removal);
}

/* An entry dated in the future would stay "most recently used" forever: a
 * prune counts it as used now and dates it now. */
Test(race, prune_dates_an_entry_from_the_future_now)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	free(harness_run_app(&f, py, NULL, NULL));
	char src[PATH_MAX], entry[PATH_MAX];
	HARNESS_PATH(src, "%s/app", f.tree);
	layout_central_of_dir(entry, sizeof entry, f.root, src, NULL);
	time_t future = time(NULL) + 365 * 86400;
	struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = future } };
	cr_assert(utimensat(AT_FDCWD, entry, times, 0) == 0);
	char env_dir[PATH_MAX + 32];
	HARNESS_PATH(env_dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	struct harness_result *r =
	    harness_cli(&f, NULL, (const char *[]){ env_dir, NULL },
			(const char *[]){ "prune", "--older-than", "30d", NULL });
	cr_assert_eq(r->status, 0, "prune: exit %d\n%s", r->status, r->err);
	struct stat st;
	cr_assert(stat(entry, &st) == 0, "prune removed %s", entry);
	cr_assert_leq(st.st_mtim.tv_sec, time(NULL), "still dated %lld",
		      (long long)st.st_mtim.tv_sec);
	free(r);
	harness_fixture_fini(&f);
}
