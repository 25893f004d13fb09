/* The switches around the redirect: off, scope, where the root is, and a
 * root that must be refused. Whatever they say, Python runs and imports. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void assert_app_ran(const struct pcr_result *r, const struct pcr_interp *py)
{
	cr_assert_eq(r->status, 0, "%s: exit %d: %s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
}

Test(switch, off_leaves_python_as_it_is)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		const char *off[] = { "PYCACHE_REDIRECT=0", NULL };
		struct pcr_result *r = pcr_python(&f, py, true, off, "-m", "app", NULL);
		assert_app_ran(r, py);
		char pyc[PATH_MAX];
		PCR_PATH(pyc, "%s/app/stats/__pycache__/count.%s.pyc", f.tree, py->tag);
		cr_assert(pcr_exists(pyc), "%s: switched off, Python should write %s", py->label, pyc);
		cr_assert_not(pcr_exists(f.root), "%s: switched off, the root was created", py->label);
		free(r);
		pcr_fixture_fini(&f);
	}
}

/* In the default scope, programs that are not Python see the real tree: an
 * exported LD_PRELOAD must not change what tar, cp or cat read. */
Test(scope, only_python_is_redirected_by_default)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		char dir[PATH_MAX], file[PATH_MAX + 16], central[PATH_MAX];
		PCR_PATH(dir, "%s/app/__pycache__", f.tree);
		cr_assert(mkdir(dir, 0755) == 0);
		PCR_PATH(file, "%s/marker", dir);
		pcr_write_file(file, "in-tree\n");

		/* Python writes the central marker through the library. */
		struct pcr_result *r = pcr_python(&f, py, true, NULL, "-c",
			"f = open('app/__pycache__/marker', 'w'); f.write('central\\n'); f.close()", NULL);
		cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
		free(r);
		char src[PATH_MAX];
		PCR_PATH(src, "%s/app", f.tree);
		pcr_expect_central(central, sizeof central, f.root, src, "marker");
		char text[64];
		cr_assert_geq(pcr_read_file(central, text, sizeof text), 0, "%s: no %s", py->label, central);
		cr_assert_str_eq(text, "central\n");
		cr_assert_geq(pcr_read_file(file, text, sizeof text), 0);
		cr_assert_str_eq(text, "in-tree\n", "%s: the in-tree file was written", py->label);

		const char *cat[] = { "/bin/cat", "app/__pycache__/marker", NULL };
		struct pcr_result *c = malloc(sizeof *c);
		pcr_run_redirected(c, &f, f.tree, NULL, cat);
		cr_assert_eq(c->status, 0, "%s", c->err);
		cr_assert_str_eq(c->out, "in-tree\n", "cat saw the cache in the default scope");

		const char *all[] = { "PYCACHE_REDIRECT_SCOPE=all", NULL };
		pcr_run_redirected(c, &f, f.tree, all, cat);
		cr_assert_eq(c->status, 0, "%s", c->err);
		cr_assert_str_eq(c->out, "central\n", "cat did not see the cache with scope all");

		r = pcr_python(&f, py, true, NULL, "-c",
			       "print(open('app/__pycache__/marker').read().strip())", NULL);
		cr_assert_str_eq(r->out, "central\n", "%s: Python did not read the cache", py->label);
		free(r);
		free(c);
		pcr_fixture_fini(&f);
	}
}

/* A root in a bad state switches the redirect off with one warning (when
 * logging is on); Python still runs, and nothing lands in the bad root. */
static void check_refused_root(const struct pcr_fixture *f, const struct pcr_interp *py,
			       const char *target, const char *why)
{
	const char *log[] = { "PYCACHE_REDIRECT_LOG=1", NULL };
	struct pcr_result *r = pcr_python(f, py, true, log, "-m", "app", NULL);
	assert_app_ran(r, py);
	cr_assert_eq(count_of(r->err, "warning: cache root"), 1,
		     "%s (%s): expected one warning, stderr:\n%s", py->label, why, r->err);
	cr_assert(strstr(r->err, why), "%s: the warning does not say '%s': %s", py->label, why, r->err);
	cr_assert_eq(pcr_count_files(target, ".pyc"), 0, "%s (%s): bytecode in a refused root",
		     py->label, why);
	free(r);

	/* Silent by default. */
	r = pcr_python(f, py, true, NULL, "-m", "app", NULL);
	assert_app_ran(r, py);
	cr_assert_eq(count_of(r->err, "pycache-redirect"), 0, "%s: %s", py->label, r->err);
	free(r);
}

Test(root, group_writable_root_is_refused)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		cr_assert(mkdir(f.root, 0700) == 0 && chmod(f.root, 0770) == 0);
		check_refused_root(&f, &list[i], f.root, "writable by group or others");
		pcr_fixture_fini(&f);
	}
}

Test(root, symlinked_root_is_refused)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		char target[PATH_MAX];
		PCR_PATH(target, "%s/elsewhere", f.dir);
		cr_assert(mkdir(target, 0700) == 0 && symlink(target, f.root) == 0);
		check_refused_root(&f, &list[i], target, "symbolic link");
		pcr_fixture_fini(&f);
	}
}

Test(root, foreign_root_is_refused)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give the cache root to another user");
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		cr_assert(mkdir(f.root, 0700) == 0 && chown(f.root, 65534, 65534) == 0);
		check_refused_root(&f, &list[i], f.root, "owned by another user");
		pcr_fixture_fini(&f);
	}
}

Test(root, unusable_root_setting_switches_it_off)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	char deep[PATH_MAX];
	memset(deep, 'd', sizeof deep - 1);
	deep[sizeof deep - 1] = '\0';
	deep[0] = '/';
	char setting[PATH_MAX + 32];
	PCR_PATH(setting, "PYCACHE_REDIRECT_DIR=%s", deep);
	const char *bad[][3] = {
		{ "PYCACHE_REDIRECT_DIR=relative/cache", "PYCACHE_REDIRECT_LOG=1", NULL },
		{ setting, "PYCACHE_REDIRECT_LOG=1", NULL },
	};
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
			struct pcr_fixture f;
			pcr_fixture_init(&f);
			/* These settings come after pcr_run_redirected's own
			 * PYCACHE_REDIRECT_DIR, so run without it. */
			const char *argv[] = { py->path, "-m", "app", NULL };
			const char *env[] = { "LD_PRELOAD=" PCR_TEST_LIBRARY, bad[k][0], bad[k][1], NULL };
			struct pcr_result *r = malloc(sizeof *r);
			pcr_run(r, f.tree, env, argv);
			assert_app_ran(r, py);
			cr_assert_eq(count_of(r->err, "PYCACHE_REDIRECT_DIR must be an absolute path"), 1,
				     "%s: %s", py->label, r->err);
			free(r);
			pcr_fixture_fini(&f);
		}
	}
}

Test(root, default_root_follows_xdg_then_home)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		char xdg[PATH_MAX], home[PATH_MAX], env_xdg[PATH_MAX + 32], env_home[PATH_MAX + 8];
		PCR_PATH(xdg, "%s/xdg", f.dir);
		PCR_PATH(home, "%s/home", f.dir);
		PCR_PATH(env_xdg, "XDG_CACHE_HOME=%s", xdg);
		PCR_PATH(env_home, "HOME=%s", home);
		const char *argv[] = { py->path, "-m", "app", NULL };
		struct pcr_result *r = malloc(sizeof *r);

		const char *with_xdg[] = { "LD_PRELOAD=" PCR_TEST_LIBRARY, env_xdg, env_home, NULL };
		pcr_run(r, f.tree, with_xdg, argv);
		assert_app_ran(r, py);
		char root[PATH_MAX];
		PCR_PATH(root, "%s/pycache-redirect", xdg);
		cr_assert_eq(pcr_count_files(root, ".pyc"), PCR_SAMPLE_MODULES, "%s: %zu pycs in %s",
			     py->label, pcr_count_files(root, ".pyc"), root);
		cr_assert_eq(pcr_count_files(home, ".pyc"), 0);

		pcr_rmtree(xdg);
		const char *only_home[] = { "LD_PRELOAD=" PCR_TEST_LIBRARY, env_home, NULL };
		pcr_run(r, f.tree, only_home, argv);
		assert_app_ran(r, py);
		PCR_PATH(root, "%s/.cache/pycache-redirect", home);
		cr_assert_eq(pcr_count_files(root, ".pyc"), PCR_SAMPLE_MODULES, "%s: %zu pycs in %s",
			     py->label, pcr_count_files(root, ".pyc"), root);
		char first[PATH_MAX];
		cr_assert_eq(pcr_count_bytecode(f.tree, first, sizeof first), 0, "%s", first);
		free(r);
		pcr_fixture_fini(&f);
	}
}
