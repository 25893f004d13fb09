/* The library file itself: it exports exactly the hooks of preload/hooks.def,
 * every call DESIGN.md lists among them, and it needs nothing but libc. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/harness.h"

static const char *const table[] = {
#define HOOK(RET, NAME, ...) #NAME,
#define HOOK_OPEN(NAME, ...) #NAME,
#define HOOK_FOPEN(NAME) #NAME,
#define HOOK2(RET, NAME, ...) #NAME,
#include "preload/hooks.def"
};
#define NTABLE (sizeof table / sizeof *table)

/* DESIGN.md section 3's list. realpath is left out: it is "where it
 * matters", and Python's os.path.realpath is built on lstat and readlink,
 * which are hooked. */
static const char *const design[] = {
	"open", "open64", "__open_2", "__open64_2", "openat", "openat64", "__openat_2",
	"__openat64_2", "fopen", "fopen64", "freopen", "freopen64", "stat", "stat64", "lstat",
	"lstat64", "fstatat", "fstatat64", "statx", "access", "faccessat", "mkdir", "mkdirat",
	"rename", "renameat", "renameat2", "link", "linkat", "symlink", "unlink", "unlinkat",
	"rmdir", "opendir", "utime", "utimes", "utimensat", "chmod", "fchmodat", "chown",
	"truncate", "readlink", "__xstat", "__xstat64", "__lxstat", "__lxstat64", "__fxstatat",
	"__fxstatat64",
};

static bool listed(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* The output of a tool run on the library. */
static struct pcr_result *inspect(const char *tool, const char *const *args)
{
	char path[PATH_MAX];
	if (!pcr_have_program(tool, path, sizeof path))
		cr_skip_test("%s is not on PATH (binutils)", tool);
	const char *argv[8] = { path };
	size_t n = 1;
	for (; *args; args++)
		argv[n++] = *args;
	argv[n++] = PCR_TEST_LIBRARY;
	argv[n] = NULL;
	struct pcr_result *r = malloc(sizeof *r);
	pcr_run(r, "/", NULL, argv);
	cr_assert_eq(r->status, 0, "%s: %s", tool, r->err);
	return r;
}

Test(library, exports_exactly_the_hook_table)
{
	struct pcr_result *r = inspect("nm", (const char *[]){ "-D", "--defined-only",
							       "--format=posix", NULL });
	size_t exported = 0;
	bool seen[NTABLE] = { false };
	for (char *save, *line = strtok_r(r->out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[256], type;
		cr_assert_eq(sscanf(line, "%255s %c", name, &type), 2, "nm: %s", line);
		cr_assert(listed(name, table, NTABLE), "exports %s (%c), which is not a hook", name, type);
		for (size_t i = 0; i < NTABLE; i++)
			seen[i] |= strcmp(name, table[i]) == 0;
		exported++;
	}
	for (size_t i = 0; i < NTABLE; i++)
		cr_assert(seen[i], "the hook %s is not exported", table[i]);
	cr_assert_eq(exported, NTABLE);
	free(r);
}

Test(library, hooks_every_call_the_design_lists)
{
	for (size_t i = 0; i < sizeof design / sizeof *design; i++)
		cr_assert(listed(design[i], table, NTABLE), "hooks.def lacks %s", design[i]);
}

Test(library, needs_nothing_but_libc)
{
#ifdef PCR_TEST_ASAN_RUNTIME
	cr_skip_test("a sanitized build (PCR_SANITIZE) needs the sanitizers' runtimes");
#endif
	struct pcr_result *r = inspect("readelf", (const char *[]){ "-d", NULL });
	size_t needed = 0;
	for (char *p = r->out; (p = strstr(p, "(NEEDED)")); p++) {
		cr_assert(strncmp(strstr(p, "["), "[libc.so.6]", 11) == 0, "needs %.60s", p);
		needed++;
	}
	cr_assert_eq(needed, 1, "%s", r->out);
	free(r);
}

/* tests/null_calls in dir, under env; its lines. */
static struct pcr_result *null_calls(const char *dir, const char *const *env)
{
	struct pcr_result *r = malloc(sizeof *r);
	pcr_run(r, dir, env, (const char *[]){ PCR_TEST_NULL_CALLS, dir, NULL });
	cr_assert_eq(r->status, 0, "null_calls: exit %d\n%s", r->status, r->err);
	return r;
}

/* glibc declares the path parameters nonnull, and a compiler may delete a
 * hook's NULL test on that ground: every hook, given a NULL path, answers as
 * libc does (result and errno, or the same signal), in both scopes. */
Test(library, null_paths_get_libc_s_answer)
{
	struct pcr_fixture f;
	pcr_fixture_init(&f);
	char dir[PATH_MAX];
	PCR_PATH(dir, "%s/pkg", f.tree);
	cr_assert(mkdir(dir, 0755) == 0);
	PCR_PATH(dir, "%s/pkg/__pycache__", f.tree);
	cr_assert(mkdir(dir, 0755) == 0);
	struct pcr_result *plain = null_calls(f.tree, NULL);
	cr_assert(strstr(plain->out, "\nstat(NB) ret -1 errno 14\n"), "%s", plain->out);
	char root[PATH_MAX + 32];
	PCR_PATH(root, "PYCACHE_REDIRECT_DIR=%s", f.root);
	const char *scopes[] = { "PYCACHE_REDIRECT_SCOPE=python", "PYCACHE_REDIRECT_SCOPE=all" };
	for (size_t i = 0; i < 2; i++) {
#ifdef PCR_TEST_ASAN_RUNTIME
		const char *preload = "LD_PRELOAD=" PCR_TEST_ASAN_RUNTIME ":" PCR_TEST_LIBRARY;
#else
		const char *preload = "LD_PRELOAD=" PCR_TEST_LIBRARY;
#endif
		struct pcr_result *hooked =
			null_calls(f.tree, (const char *[]){ preload, root, scopes[i], NULL });
		cr_assert_str_eq(hooked->out, plain->out, "%s: with the library:\n%s\nlibc:\n%s",
				 scopes[i], hooked->out, plain->out);
		free(hooked);
	}
	free(plain);
	pcr_fixture_fini(&f);
}
