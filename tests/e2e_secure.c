/* Setuid and setgid programs (AT_SECURE) are never redirected: the loader
 * ignores LD_PRELOAD for them, but a system-wide /etc/ld.so.preload still
 * loads the library, whose constructor then stays out of the way. Shown
 * with a copy of Debian's python3 setuid to uid 65534 and run by root, the
 * library in /etc/ld.so.preload of a private mount namespace, against a
 * plain copy run as uid 65534 the same way (redirected: so the mechanism is
 * the one tested, and a root uid 65534 owns is one the library takes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define PYTHON "/usr/bin/python3.11"

/* Runs python (a copy of PYTHON), as uid 65534 when as_nobody, in a private
 * mount namespace whose /etc holds an ld.so.preload naming the library;
 * imports the sample. */
static struct harness_result *run_preloaded(const struct harness_fixture *f, const char *python,
					    bool as_nobody)
{
	char etc[PATH_MAX], preload[PATH_MAX + 32], script[4 * PATH_MAX], dir[PATH_MAX + 32];
	HARNESS_PATH(etc, "%s/etc", f->dir);
	HARNESS_PATH(preload, "%s/ld.so.preload", etc);
	HARNESS_PATH(script,
		     "cp -a /etc/. '%s' && echo '%s' > '%s' && mount --bind '%s' /etc && "
		     "exec %s '%s' -c "
		     "'import sys; sys.path.insert(0, \"%s\"); import app.text; print(\"ok\")'",
		     etc, PCR_TEST_LIBRARY, preload, etc,
		     as_nobody ? "setpriv --reuid 65534 --regid 65534 --clear-groups" : "", python,
		     f->tree);
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	char unshare[PATH_MAX];
	cr_assert(harness_have_program("unshare", unshare, sizeof unshare));
	harness_run(r, "/", (const char *[]){ dir, NULL },
		    (const char *[]){ unshare, "-m", "/bin/sh", "-c", script, NULL });
	return r;
}

static void copy_python(const char *to, uid_t owner, mode_t mode)
{
	char cmd[2 * PATH_MAX];
	HARNESS_PATH(cmd, "cp '%s' '%s'", PYTHON, to);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(chown(to, owner, owner), 0);
	cr_assert_eq(chmod(to, mode), 0, "chmod %o %s", mode, to);
}

Test(secure, setuid_programs_are_never_redirected)
{
#ifdef PCR_TEST_ASAN_RUNTIME
	cr_skip_test("a sanitized build (PCR_SANITIZE): /etc/ld.so.preload cannot put the "
		     "ASan runtime ahead of every program it loads the library into");
#endif
	char setpriv[PATH_MAX];
	if (geteuid() != 0 || !harness_can_mount() ||
	    !harness_have_program("setpriv", setpriv, sizeof setpriv) || !harness_exists(PYTHON))
		cr_skip_test("needs root, a private mount namespace, setpriv and " PYTHON);
	struct harness_fixture f;
	harness_fixture_init(&f);
	/* Uid 65534 must reach the copies; the tree and the root are its. */
	cr_assert_eq(chmod(f.dir, 0755), 0);
	char cmd[PATH_MAX + 32];
	HARNESS_PATH(cmd, "chown -R 65534:65534 '%s'", f.tree);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(mkdir(f.root, 0700), 0);
	cr_assert_eq(chown(f.root, 65534, 65534), 0);

	/* Control: a plain copy run as uid 65534 is redirected into the root. */
	char plain[PATH_MAX + 32], suid[PATH_MAX + 32];
	HARNESS_PATH(plain, "%s/python-plain", f.dir);
	copy_python(plain, 0, 0755);
	struct harness_result *r = run_preloaded(&f, plain, true);
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, "ok\n");
	free(r);
	size_t redirected = harness_count_files(f.root, ".pyc");
	cr_assert_gt(redirected, 0, "the plain copy was not redirected: the preload failed");
	cr_assert_eq(harness_count_bytecode(f.tree, NULL, 0), 0);

	/* The copy setuid to uid 65534, run by root: AT_SECURE, so the library
	 * does nothing, though the root is its euid's; Python writes its pycs
	 * in the tree as it would without the library. */
	HARNESS_PATH(cmd, "rm -rf '%s'/v2", f.root);
	cr_assert_eq(system(cmd), 0);
	HARNESS_PATH(suid, "%s/python-suid", f.dir);
	copy_python(suid, 65534, 04755);
	r = run_preloaded(&f, suid, false);
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, "ok\n");
	free(r);
	cr_assert_eq(harness_count_files(f.root, ".pyc"), 0, "a setuid Python was redirected");
	cr_assert_gt(harness_count_bytecode(f.tree, NULL, 0), 0,
		     "the setuid Python wrote no pyc in the tree");
	harness_fixture_fini(&f);
}
