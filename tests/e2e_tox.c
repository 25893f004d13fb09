/* tox after `eval "$(pycache-redirect env)"`: tox hands its environments'
 * commands only the variables it is told to pass on. env's lines tell it
 * (TOX_TESTENV_PASSENV for tox 3, TOX_OVERRIDE for tox 4): the library,
 * its settings, and HOME, which the default root comes from. The tree
 * stays clean and the pycs land in the root under that HOME, not in the
 * fallback /tmp/pycache-redirect-<uid>. Debian's tox is tox 3. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/layout.h"

static const char tox_ini[] = "[tox]\n"
			      "skipsdist = true\n"
			      "envlist = py\n"
			      "toxworkdir = {toxinidir}/../toxwork\n"
			      "[testenv]\n"
			      "skip_install = true\n"
			      "sitepackages = true\n"
			      "commands = python -m app\n";

/* tox -q in f's tree in a shell that evaluated env's lines (under run when
 * under_run is set), with HOME in f (and the machine's
 * /tmp/pycache-redirect-* out of sight when the tests can mount). */
static void run_tox(struct harness_result *r, const struct harness_fixture *f, const char *tox,
		    const char *home, const char *const *more_env, bool under_run)
{
	char home_var[PATH_MAX + 8], script[PATH_MAX * 3];
	HARNESS_PATH(home_var, "HOME=%s", home);
	/* What the user's environment already holds for tox is theirs: the
	 * test starts from none, or from what more_env gives. */
	const char *env[8] = { home_var, "TOX_TESTENV_PASSENV=", "TOX_OVERRIDE=" };
	size_t n = 3;
	for (size_t i = 0; more_env && more_env[i] && n < 7; i++)
		env[n++] = more_env[i];
	if (under_run)
		HARNESS_PATH(script, "'%s' run -- '%s' -q", PCR_TEST_CLI, tox);
	else
		HARNESS_PATH(script,
			     "eval \"$('%s' env)\" && eval \"$('%s' env)\" && "
			     "echo \"passenv: $TOX_TESTENV_PASSENV\" && '%s' -q",
			     PCR_TEST_CLI, PCR_TEST_CLI, tox);
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	if (harness_can_mount())
		harness_run_with_private_tmp(r, f, env, argv);
	else
		harness_run(r, f->tree, env, argv);
}

/* f's tree as a tox project, and an empty HOME in f (home, PATH_MAX). */
static void tox_project(const struct harness_fixture *f, char *home)
{
	char ini[PATH_MAX + 16];
	HARNESS_PATH(ini, "%s/tox.ini", f->tree);
	harness_write_file(ini, tox_ini);
	harness_format(home, PATH_MAX, "%s/home", f->dir);
	cr_assert(mkdir(home, 0700) == 0);
}

/* tox ran the sample, the tree is clean and its entry is under root. */
static void assert_cached_under(const struct harness_fixture *f, const struct harness_result *r,
				const char *root)
{
	cr_assert_eq(r->status, 0, "tox: exit %d\n%s\n%s", r->status, r->out, r->err);
	cr_assert(strstr(r->out, "version: 1"), "the command did not run:\n%s", r->out);
	harness_assert_tree_clean(f, harness_first_python());
	char src[PATH_MAX + 8], entry[PATH_MAX + 1];
	HARNESS_PATH(src, "%s/app", f->tree);
	layout_central_of_dir(entry, sizeof entry, root, src, NULL);
	cr_assert(harness_exists(entry),
		  "no entry for %s under %s (tox's Python used another root)", src, root);
}

static void tox_keeps_the_tree_clean(bool under_run)
{
	char tox[PATH_MAX];
	if (!harness_have_program("tox", tox, sizeof tox))
		cr_skip_test("tox is not on PATH (tests/setup --tests installs it)");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char home[PATH_MAX], root[PATH_MAX + 64];
	tox_project(&f, home);
	HARNESS_PATH(root, "%s/.cache/pycache-redirect", home);
	struct harness_result *r = malloc(sizeof *r);
	run_tox(r, &f, tox, home, NULL, under_run);
	assert_cached_under(&f, r, root);
	if (harness_can_mount()) {
		char listing[PATH_MAX + 16], fallback[4096] = "";
		HARNESS_PATH(listing, "%s/private-tmp", f.dir);
		harness_read_file(listing, fallback, sizeof fallback);
		cr_assert_str_empty(fallback, "the fallback root was used:\n%s", fallback);
	}
	/* Two evaluations (a nested shell): the names once. */
	if (!under_run)
		cr_assert_eq(harness_count_of(r->out, "LD_PRELOAD"), 1, "%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

Test(tox, tox_keeps_the_tree_clean_after_env) { tox_keeps_the_tree_clean(false); }

/* pycache-redirect run -- tox: run sets the same names. */
Test(tox, tox_keeps_the_tree_clean_under_run) { tox_keeps_the_tree_clean(true); }

/* A name the user passes already stays, and a PYCACHE_REDIRECT_DIR of the
 * shell reaches tox's Python. */
Test(tox, tox_keeps_the_users_names_and_the_root_setting)
{
	char tox[PATH_MAX];
	if (!harness_have_program("tox", tox, sizeof tox))
		cr_skip_test("tox is not on PATH (tests/setup --tests installs it)");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char home[PATH_MAX], dir[PATH_MAX + 32];
	tox_project(&f, home);
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	struct harness_result *r = malloc(sizeof *r);
	run_tox(r, &f, tox, home, (const char *[]){ dir, "TOX_TESTENV_PASSENV=MY_VAR", NULL },
		false);
	assert_cached_under(&f, r, f.root);
	cr_assert(strstr(r->out, "passenv: MY_VAR LD_PRELOAD PYCACHE_REDIRECT* HOME"), "%s",
		  r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* The lines carry tox 4's override too (tox 4 is not in Debian 12: its
 * reading is checked from its source, see cli/cmd_env.c), and keep what
 * TOX_OVERRIDE held, separated by ';'. */
Test(tox, env_lines_carry_tox4s_override)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char script[PATH_MAX * 2];
	HARNESS_PATH(script, "eval \"$('%s' env)\"; eval \"$('%s' env)\"; echo \"$TOX_OVERRIDE\"",
		     PCR_TEST_CLI, PCR_TEST_CLI);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree, (const char *[]){ "TOX_OVERRIDE=testenv.deps=x", NULL },
		    (const char *[]){ "/bin/sh", "-c", script, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	const char *list = "pass_env+=LD_PRELOAD,PYCACHE_REDIRECT*,HOME,XDG_CACHE_HOME";
	char expect[1024];
	HARNESS_PATH(expect, "testenv.deps=x;testenv.%s;env_run_base.%s;tool.tox.env_run_base.%s\n",
		     list, list, list);
	cr_assert_str_eq(r->out, expect);
	free(r);
	harness_fixture_fini(&f);
}

/* fish: the lines evaluated twice (a nested shell) append the names once,
 * after what the variables held, each one string (fish would export a list
 * joined by spaces, which TOX_OVERRIDE's ';' would not survive). */
Test(tox, fish_lines_append_the_names_once)
{
	char fish[PATH_MAX];
	if (!harness_have_program("fish", fish, sizeof fish))
		cr_skip_test("fish is not on PATH (tests/setup --tests installs it)");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char script[PATH_MAX * 2];
	HARNESS_PATH(script,
		     "for i in 1 2; '%s' env --shell fish | source; end; "
		     "fish --no-config -c '%s env --shell fish | source; "
		     "echo \"$TOX_TESTENV_PASSENV|$TOX_OVERRIDE\"'",
		     PCR_TEST_CLI, PCR_TEST_CLI);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree,
		    (const char *[]){ "TOX_TESTENV_PASSENV=MY_VAR", "TOX_OVERRIDE=testenv.deps=x",
				      "HOME=/nonexistent", NULL },
		    (const char *[]){ fish, "--no-config", "-c", script, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	const char *list = "pass_env+=LD_PRELOAD,PYCACHE_REDIRECT*,HOME,XDG_CACHE_HOME";
	char expect[1024];
	HARNESS_PATH(expect,
		     "MY_VAR LD_PRELOAD PYCACHE_REDIRECT* HOME XDG_CACHE_HOME|testenv.deps=x;"
		     "testenv.%s;env_run_base.%s;tool.tox.env_run_base.%s\n",
		     list, list, list);
	cr_assert_str_eq(r->out, expect);
	free(r);
	harness_fixture_fini(&f);
}

/* tox 4 (Debian sid's, in the newest interpreters' root that tests/setup
 * makes, run there through tests/in_root): TOX_OVERRIDE of the same lines
 * keeps the tree clean, the pycs under HOME's root. */
Test(tox, tox4_keeps_the_tree_clean_after_env)
{
	static const char root[] = PCR_TEST_BUILD_DIR "/newest/root";
	if (!harness_exists(PCR_TEST_BUILD_DIR "/newest/root/usr/bin/tox"))
		cr_skip_test("no tox 4 in %s (tests/setup --newest installs it there)", root);
	struct harness_fixture f;
	harness_fixture_init(&f);
	char home[PATH_MAX], home_var[PATH_MAX + 8], lines[PATH_MAX + 8];
	tox_project(&f, home);
	HARNESS_PATH(home_var, "HOME=%s", home);
	HARNESS_PATH(lines, "%s/lines", f.dir);
	const char *env[] = { home_var, "TOX_TESTENV_PASSENV=", "TOX_OVERRIDE=", NULL };
	/* The lines, from the command here: it does not run in the root. */
	struct harness_result *r = harness_cli(&f, NULL, env, (const char *[]){ "env", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	harness_write_file(lines, r->out);
	char script[PATH_MAX * 2];
	HARNESS_PATH(script, "eval \"$(cat '%s')\" && tox -q", lines);
	harness_run(r, f.tree, env,
		    (const char *[]){ PCR_TEST_BUILD_DIR "/tests/in_root", root, "/bin/sh", "-c",
				      script, NULL });
	char cache[PATH_MAX + 64];
	HARNESS_PATH(cache, "%s/.cache/pycache-redirect", home);
	assert_cached_under(&f, r, cache);
	free(r);
	harness_fixture_fini(&f);
}
