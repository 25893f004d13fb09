/* Every command of pycache-redirect under valgrind's memcheck, on a cache
 * real interpreters wrote: no invalid read or write, no use of an
 * uninitialised value, no definite leak. The command allocates through
 * jemalloc, which memcheck is told to track as the allocator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "harness.h"

#define VALGRIND_ERROR 99

static char valgrind[PATH_MAX];

/* The command with args under memcheck; its exit status must be expect (any
 * when negative), and memcheck must have nothing to say. */
static void memcheck(const struct harness_fixture *f, const char *extra, int expect,
		     const char *const *args)
{
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	const char *argv[40] = { valgrind,
				 "--quiet",
				 "--error-exitcode=99",
				 "--leak-check=full",
				 "--errors-for-leak-kinds=definite",
				 "--soname-synonyms=somalloc=*jemalloc*",
				 "--trace-children=no",
				 PCR_TEST_CLI };
	size_t n = 8;
	for (const char *const *a = args; *a && n < 39; a++)
		argv[n++] = *a;
	argv[n] = NULL;
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, f->tree, (const char *[]){ dir, extra, NULL }, argv);
	cr_assert_neq(r->status, VALGRIND_ERROR, "memcheck on `%s %s`:\n%s", args[0],
		      args[1] ? args[1] : "", r->err);
	cr_assert(expect < 0 || r->status == expect, "`%s %s` exited %d: %s", args[0],
		  args[1] ? args[1] : "", r->status, r->err);
	cr_assert(!strstr(r->err, "=="), "memcheck said something on `%s`:\n%s", args[0], r->err);
	free(r);
}

Test(valgrind, every_command_is_clean_under_memcheck, .timeout = 900)
{
#ifdef PCR_TEST_ASAN_RUNTIME
	cr_skip_test("a sanitized build (PCR_SANITIZE): memcheck cannot run ASan's binaries");
#endif
	if (!harness_have_program("valgrind", valgrind, sizeof valgrind))
		cr_skip_test("valgrind is not installed (tests/setup --tests installs it)");
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	free(harness_run_app(&f, py, NULL, NULL));
	/* An orphan: a source directory that is gone. */
	char gone[PATH_MAX + 32], code[PATH_MAX + 64];
	HARNESS_PATH(gone, "%s/gone", f.tree);
	cr_assert_eq(mkdir(gone, 0755), 0);
	HARNESS_PATH(code, "%s/gone/m.py", f.tree);
	harness_write_file(code, "X = 1\n");
	HARNESS_PATH(code, "import sys; sys.path.insert(0, '%s'); import m", gone);
	free(harness_python(&f, py, true, NULL, "-c", code, NULL));
	harness_rmtree(gone);

	const char *const ok[][8] = {
		{ "--help", NULL },
		{ "--version", NULL },
		{ "where", NULL },
		{ "where", "app", NULL },
		{ "env", NULL },
		{ "env", "--shell", "docker", NULL },
		{ "stats", NULL },
		{ "stats", "--json", NULL },
		{ "ls", NULL },
		{ "ls", "--json", "app", NULL },
		{ "config", NULL },
		{ "config", "max-size", "1M", NULL },
		{ "config", "max-size", NULL },
		{ "prune", "--dry-run", NULL },
		{ "prune", "--orphans", "--older-than", "30d", "--max-size", "1G", NULL },
		{ "prune", NULL },
		{ "run", "--", "true", NULL },
		{ "clear", "app/stats", NULL },
		{ "config", "max-size", "none", NULL },
		{ "clear", NULL },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		memcheck(&f, NULL, 0, ok[i]);
	/* doctor's verdict depends on this machine (free space, LD_PRELOAD);
	 * what matters here is memcheck's. */
	memcheck(&f, NULL, -1, (const char *[]){ "doctor", "--json", NULL });
	/* The failure and usage paths too. */
	memcheck(&f, NULL, 2, (const char *[]){ "prune", "--max-size", "2X", NULL });
	memcheck(&f, NULL, 2, (const char *[]){ "config", "colour", NULL });
	memcheck(&f, NULL, 2, (const char *[]){ "nonsense", NULL });
	memcheck(&f, "PYCACHE_REDIRECT_MAX_SIZE=lots", 1, (const char *[]){ "stats", NULL });
	cr_assert_eq(chmod(f.root, 0777), 0);
	memcheck(&f, NULL, 1, (const char *[]){ "stats", NULL });
	memcheck(&f, NULL, 1, (const char *[]){ "clear", NULL });
	cr_assert_eq(chmod(f.root, 0700), 0);
	harness_fixture_fini(&f);
}
