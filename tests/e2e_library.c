/* The library file itself: it exports exactly the hooks of preload/hooks.def,
 * every call DESIGN.md lists among them, and it needs nothing but libc. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/libc_compat.h" /* the rows of hooks.def this libc has */
#include "tests/harness.h"

static const char *const table[] = {
#define HOOK_NAME(NAME) #NAME,
#define HOOK_EXECL(NAME, ...) #NAME,
#include "preload/hooks.def"
};
#define NTABLE (sizeof table / sizeof *table)

/* The rows a build on another libc than glibc may have: glibc's own names
 * (PCR_IF_GLIBC) left out; statx and renameat2 kept, for the musl that has
 * them. */
#undef PCR_IF_GLIBC
#define PCR_IF_GLIBC(...)
static const char *const table_not_glibc[] = {
#include "preload/hooks.def"
};
#define NTABLE_NOT_GLIBC (sizeof table_not_glibc / sizeof *table_not_glibc)

/* DESIGN.md section 3's list. realpath is left out: it is "where it
 * matters", and Python's os.path.realpath is built on lstat and readlink,
 * which are hooked. */
static const char *const design[] = {
	"open",       "open64",       "__open_2",   "__open64_2", "openat",       "openat64",
	"__openat_2", "__openat64_2", "fopen",      "fopen64",    "freopen",      "freopen64",
	"stat",       "stat64",       "lstat",      "lstat64",    "fstatat",      "fstatat64",
	"statx",      "access",       "faccessat",  "mkdir",      "mkdirat",      "rename",
	"renameat",   "renameat2",    "link",       "linkat",     "symlink",      "unlink",
	"unlinkat",   "rmdir",        "opendir",    "utime",      "utimes",       "utimensat",
	"chmod",      "fchmodat",     "chown",      "truncate",   "readlink",     "__xstat",
	"__xstat64",  "__lxstat",     "__lxstat64", "__fxstatat", "__fxstatat64",
};

static bool listed(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* The output of a tool run on the library. */
static struct harness_result *inspect(const char *tool, const char *const *args)
{
	char path[PATH_MAX];
	if (!harness_have_program(tool, path, sizeof path))
		cr_skip_test("%s is not on PATH (binutils)", tool);
	const char *argv[8] = { path };
	size_t n = 1;
	for (; *args; args++)
		argv[n++] = *args;
	argv[n++] = PCR_TEST_LIBRARY;
	argv[n] = NULL;
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, "/", NULL, argv);
	cr_assert_eq(r->status, 0, "%s: %s", tool, r->err);
	return r;
}

Test(library, exports_exactly_the_hook_table)
{
	struct harness_result *r =
	    inspect("nm", (const char *[]){ "-D", "--defined-only", "--format=posix", NULL });
	size_t exported = 0;
	bool seen[NTABLE] = { false };
	for (char *save, *line = strtok_r(r->out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[256], type;
		cr_assert_eq(sscanf(line, "%255s %c", name, &type), 2, "nm: %s", line);
		cr_assert(listed(name, table, NTABLE), "exports %s (%c), which is not a hook", name,
			  type);
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
	struct harness_result *r = inspect("readelf", (const char *[]){ "-d", NULL });
	size_t needed = 0;
	for (char *p = r->out; (p = strstr(p, "(NEEDED)")); p++) {
		cr_assert(strncmp(strstr(p, "["), "[libc.so.6]", 11) == 0, "needs %.60s", p);
		needed++;
	}
	cr_assert_eq(needed, 1, "%s", r->out);
	free(r);
}

/* ---- the library's musl build (the build makes it where musl-gcc is) ---- */

#ifdef PCR_TEST_MUSL_LIBRARY
#define MUSL_LIBRARY PCR_TEST_MUSL_LIBRARY
#else
#define MUSL_LIBRARY NULL
#endif

static void need_musl_library(void)
{
	if (!MUSL_LIBRARY)
		cr_skip_test("no musl build of the library (musl-gcc, from musl-tools, makes it)");
	cr_assert(access(MUSL_LIBRARY, R_OK) == 0, "%s is missing", MUSL_LIBRARY);
}

/* The names a shared object defines, from nm, one a line in r->out. */
static struct harness_result *defined_names(const char *file)
{
	char nm[PATH_MAX];
	if (!harness_have_program("nm", nm, sizeof nm))
		cr_skip_test("nm is not on PATH (binutils)");
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, "/", NULL,
		    (const char *[]){ nm, "-D", "--defined-only", "--format=posix", file, NULL });
	cr_assert_eq(r->status, 0, "nm %s: %s", file, r->err);
	for (char *p = r->out; (p = strchr(p, ' ')); p++) /* the name alone */
		for (*p = '\n'; p[1] && p[1] != '\n'; p++)
			p[1] = '\n';
	return r;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* The musl build exports every row musl's libc has, glibc's own names
 * never, the LFS64 names always (musl 1.2.4+ has them no more, but binds an
 * old binary's stat64 to the preload's when it exports one: preload/decls.h),
 * and nothing else. */
Test(musl_library, exports_the_hooks_musl_has)
{
	need_musl_library();
#ifdef PCR_TEST_MUSL_STAT64
	/* musl's libc.so is its loader too: a musl program's interpreter. */
	char readelf[PATH_MAX], musl_libc[PATH_MAX];
	if (!harness_have_program("readelf", readelf, sizeof readelf))
		cr_skip_test("readelf is not on PATH (binutils)");
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, "/", NULL, (const char *[]){ readelf, "-l", PCR_TEST_MUSL_STAT64, NULL });
	const char *interp = strstr(r->out, "interpreter: ");
	cr_assert(interp && sscanf(interp, "interpreter: %4095[^]]", musl_libc) == 1, "%s", r->out);
	free(r);
	struct harness_result *libc = defined_names(musl_libc);
	struct harness_result *lib = defined_names(MUSL_LIBRARY);
	size_t expected = 0;
	for (size_t i = 0; i < NTABLE_NOT_GLIBC; i++) {
		const char *name = table_not_glibc[i];
		size_t n = strlen(name);
		bool lfs64 = n > 2 && strcmp(name + n - 2, "64") == 0;
		bool want = lfs64 || has_line(libc->out, name);
		cr_assert_eq(has_line(lib->out, name), want, "%s %s", name,
			     want ? "is not exported" : "is exported, but musl has none");
		expected += want;
	}
	size_t exported = 0;
	for (char *save, *line = strtok_r(lib->out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		cr_assert(listed(line, table_not_glibc, NTABLE_NOT_GLIBC),
			  "exports %s, which is not a hook of a musl build", line);
		exported++;
	}
	cr_assert_eq(exported, expected);
	free(libc);
	free(lib);
#endif
}

Test(musl_library, needs_nothing_but_musl_s_libc)
{
	need_musl_library();
	char readelf[PATH_MAX];
	if (!harness_have_program("readelf", readelf, sizeof readelf))
		cr_skip_test("readelf is not on PATH (binutils)");
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, "/", NULL, (const char *[]){ readelf, "-d", MUSL_LIBRARY, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	size_t needed = 0;
	for (char *p = r->out; (p = strstr(p, "(NEEDED)")); p++) {
		cr_assert(strncmp(strstr(p, "["), "[libc.so]", 9) == 0, "needs %.60s", p);
		needed++;
	}
	cr_assert_eq(needed, 1, "%s", r->out);
	free(r);
}

/* A musl binary that calls stat64 by name (built before musl 1.2.4) is
 * redirected: on musl 1.2.3, as here, libc.so has its own stat64, which
 * would answer ENOENT in the tree were the library not to export one. */
Test(musl_library, a_musl_program_calling_stat64_by_name_is_redirected)
{
	need_musl_library();
#ifdef PCR_TEST_MUSL_STAT64
	struct harness_fixture f;
	harness_fixture_init(&f);
	char root[PATH_MAX + 32], pycache[PATH_MAX];
	HARNESS_PATH(root, "PYCACHE_REDIRECT_DIR=%s", f.root);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree,
		    (const char *[]){ "LD_PRELOAD=" MUSL_LIBRARY, root,
				      "PYCACHE_REDIRECT_SCOPE=all", NULL },
		    (const char *[]){ PCR_TEST_MUSL_STAT64, NULL });
	cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	cr_assert_str_eq(r->out, "stat64 0 stat 0\n", "%s", r->err);
	HARNESS_PATH(pycache, "%s/pkg/__pycache__", f.tree);
	cr_assert(!harness_exists(pycache), "%s was made in the tree", pycache);
	cr_assert_eq(harness_count_files(f.root, ".pyc"), 1);
	free(r);
	harness_fixture_fini(&f);
#endif
}

/* tests/null_calls in dir, under env; its lines. */
static struct harness_result *null_calls(const char *dir, const char *const *env)
{
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, dir, env, (const char *[]){ PCR_TEST_NULL_CALLS, dir, NULL });
	cr_assert_eq(r->status, 0, "null_calls: exit %d\n%s", r->status, r->err);
	return r;
}

/* glibc declares the path parameters nonnull, and a compiler may delete a
 * hook's NULL test on that ground: every hook, given a NULL path, answers as
 * libc does (result and errno, or the same signal), in both scopes. */
Test(library, null_paths_get_libc_s_answer)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char dir[PATH_MAX];
	HARNESS_PATH(dir, "%s/pkg", f.tree);
	cr_assert(mkdir(dir, 0755) == 0);
	HARNESS_PATH(dir, "%s/pkg/__pycache__", f.tree);
	cr_assert(mkdir(dir, 0755) == 0);
	struct harness_result *plain = null_calls(f.tree, NULL);
	cr_assert(strstr(plain->out, "\nstat(NB) ret -1 errno 14\n"), "%s", plain->out);
	char root[PATH_MAX + 32];
	HARNESS_PATH(root, "PYCACHE_REDIRECT_DIR=%s", f.root);
	const char *scopes[] = { "PYCACHE_REDIRECT_SCOPE=python", "PYCACHE_REDIRECT_SCOPE=all" };
	for (size_t i = 0; i < 2; i++) {
#ifdef PCR_TEST_ASAN_RUNTIME
		const char *preload = "LD_PRELOAD=" PCR_TEST_ASAN_RUNTIME ":" PCR_TEST_LIBRARY;
#else
		const char *preload = "LD_PRELOAD=" PCR_TEST_LIBRARY;
#endif
		struct harness_result *hooked =
		    null_calls(f.tree, (const char *[]){ preload, root, scopes[i], NULL });
		cr_assert_str_eq(hooked->out, plain->out, "%s: with the library:\n%s\nlibc:\n%s",
				 scopes[i], hooked->out, plain->out);
		free(hooked);
	}
	free(plain);
	harness_fixture_fini(&f);
}

/* ---- stack ---------------------------------------------------------- */

/* altstack_calls with a signal stack of size bytes, in dir (fresh/ made
 * again each time); whether the call ran (the process did not die on the
 * guard page), with its line in r. */
static bool altstack_call(struct harness_result *r, const char *dir, const char *const *env,
			  size_t size, const char *mode, const char *op)
{
	char fresh[PATH_MAX], pycache[PATH_MAX], size_arg[32];
	HARNESS_PATH(fresh, "%s/fresh", dir);
	HARNESS_PATH(pycache, "%s/fresh/__pycache__", dir);
	rmdir(pycache);
	mkdir(fresh, 0755);
	snprintf(size_arg, sizeof size_arg, "%zu", size);
	harness_run(r, dir, env,
		    (const char *[]){ PCR_TEST_ALTSTACK_CALLS, size_arg, mode, op, NULL });
	return r->status == 0;
}

/* The smallest signal stack (to 64 bytes) that the call runs on. */
static size_t smallest_stack(struct harness_result *r, const char *dir, const char *const *env,
			     const char *mode, const char *op, const struct harness_fixture *f)
{
	size_t lo = 1024, hi = 1 << 16;
	cr_assert(altstack_call(r, dir, env, hi, mode, op), "%s %s: exit %d on %zu bytes\n%s", op,
		  mode, r->status, hi, r->err);
	while (hi - lo > 64) {
		size_t mid = (lo + hi) / 2;
		if (env) /* each try starts from an empty cache */
			harness_rmtree(f->root);
		if (altstack_call(r, dir, env, mid, mode, op))
			hi = mid;
		else
			lo = mid;
	}
	if (env)
		harness_rmtree(f->root);
	cr_assert(altstack_call(r, dir, env, hi, mode, op), "%s %s: exit %d on %zu bytes\n%s", op,
		  mode, r->status, hi, r->err); /* r holds what it printed */
	return hi;
}

/* A call on a __pycache__ path from a signal handler on an alternate
 * stack: the library needs at most 6 KiB more than libc itself for a
 * one-path call (the mapping's one PATH_MAX buffer and the frames below
 * it), also when it is the process's first (the root is checked then) and
 * when it makes an entry and writes its record; at most 10 KiB for a
 * rename, which maps two paths. The signal frame's own size (6.5 KiB on a
 * machine with AVX-512) is in both. */
Test(library, stack_of_a_call_from_a_signal_handler)
{
#ifdef PCR_TEST_ASAN_RUNTIME
	cr_skip_test("AddressSanitizer's frames are not the library's");
#endif
	static const struct {
		const char *op, *mode;
		size_t bound;
	} calls[] = {
		{ "stat", "first", 6144 },   { "stat", "warm", 6144 },
		{ "create", "first", 6144 }, { "create", "warm", 6144 },
		{ "mkdir", "first", 6144 },  { "mkdir", "warm", 6144 },
		{ "rename", "warm", 10240 },
	};
	struct harness_fixture f;
	harness_fixture_init(&f);
	char dir[PATH_MAX], root[PATH_MAX + 32];
	HARNESS_PATH(dir, "%s/pkg", f.tree);
	cr_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
	HARNESS_PATH(dir, "%s/pkg/__pycache__", f.tree);
	cr_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
	HARNESS_PATH(root, "PYCACHE_REDIRECT_DIR=%s", f.root);
	const char *env[] = { "LD_PRELOAD=" PCR_TEST_LIBRARY, root, "PYCACHE_REDIRECT_SCOPE=all",
			      NULL };
	struct harness_result *r = malloc(sizeof *r);
	static const char *const in_tree[] = { "fresh/__pycache__",
					       "pkg/__pycache__/new.cpython-311.pyc",
					       "pkg/__pycache__/moved.cpython-311.pyc",
					       "pkg/__pycache__/moved.tmp" };
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
		size_t libc = smallest_stack(r, f.tree, NULL, calls[i].mode, calls[i].op, &f);
		char plain[256];
		size_t n = strnlen(r->out, sizeof plain - 1);
		memcpy(plain, r->out, n);
		plain[n] = '\0';
		for (size_t k = 0; k < sizeof in_tree / sizeof *in_tree; k++) {
			HARNESS_PATH(path, "%s/%s", f.tree, in_tree[k]);
			harness_rmtree(path);
		}
		harness_rmtree(f.root);
		size_t with = smallest_stack(r, f.tree, env, calls[i].mode, calls[i].op, &f);
		fprintf(stderr, "stack: %s (%s): libc %zu bytes, with the library %zu (+%zu)\n",
			calls[i].op, calls[i].mode, libc, with, with - libc);
		cr_expect_leq(with, libc + calls[i].bound,
			      "%s (%s): %zu bytes more than libc's %zu", calls[i].op, calls[i].mode,
			      with - libc, libc);
		/* What it did there: libc's answer, in the cache, not in the tree. */
		cr_expect_str_eq(r->out, plain, "%s (%s): %s against libc's %s", calls[i].op,
				 calls[i].mode, r->out, plain);
		for (size_t k = 0; k < sizeof in_tree / sizeof *in_tree; k++) {
			HARNESS_PATH(path, "%s/%s", f.tree, in_tree[k]);
			cr_expect(!harness_exists(path), "%s (%s) made %s", calls[i].op,
				  calls[i].mode, path);
		}
	}
	free(r);
	harness_fixture_fini(&f);
}
