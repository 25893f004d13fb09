/* The default scope, beyond programs named python*: a C program that embeds
 * Python (linked with libpython, or dlopen()ing it after main starts, local
 * or global) is a Python host and is redirected; a shell, mkdir, tar, find
 * and rm working on __pycache__ paths are not. The programs are compiled
 * here, with the system's cc and libpython3.11-dev. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

/* What both programs run once Python is up: the sample as `python -m app`
 * runs it (runpy caches __main__ too), after the cache tag for the test. */
#define EMBED_SCRIPT                                         \
	"import os, runpy, sys\\n"                           \
	"sys.path.insert(0, os.getcwd())\\n"                 \
	"print(sys.implementation.cache_tag, flush=True)\\n" \
	"runpy.run_module('app', run_name='__main__')\\n"

/* Linked with libpython3.11: Py_Initialize, then the script. */
static const char embedder_c[] = "#include <Python.h>\n"
				 "int main(void)\n"
				 "{\n"
				 "	Py_Initialize();\n"
				 "	int rc = PyRun_SimpleString(\"" EMBED_SCRIPT "\");\n"
				 "	return Py_FinalizeEx() < 0 || rc != 0;\n"
				 "}\n";

/* Linked with libc alone: libpython3.11 comes with dlopen(), RTLD_LOCAL or
 * RTLD_GLOBAL as argv[1] says, and is driven through dlsym(). */
static const char late_loader_c[] =
    "#include <dlfcn.h>\n"
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "	if (argc != 2)\n"
    "		return 2;\n"
    "	int scope = strcmp(argv[1], \"global\") == 0 ? RTLD_GLOBAL : RTLD_LOCAL;\n"
    "	void *py = dlopen(\"libpython3.11.so.1.0\", RTLD_NOW | scope);\n"
    "	if (!py) {\n"
    "		fprintf(stderr, \"dlopen: %s\\n\", dlerror());\n"
    "		return 3;\n"
    "	}\n"
    "	void (*init)(void) = (void (*)(void))dlsym(py, \"Py_Initialize\");\n"
    "	int (*run)(const char *) = (int (*)(const char *))dlsym(py, \"PyRun_SimpleString\");\n"
    "	int (*fini)(void) = (int (*)(void))dlsym(py, \"Py_FinalizeEx\");\n"
    "	if (!init || !run || !fini) {\n"
    "		fprintf(stderr, \"dlsym: %s\\n\", dlerror());\n"
    "		return 4;\n"
    "	}\n"
    "	init();\n"
    "	int rc = run(\"" EMBED_SCRIPT "\");\n"
    "	return fini() < 0 || rc != 0;\n"
    "}\n";

/* The C compiler and libpython3.11-dev's python3.11-config (by its
 * multiarch name: a pyenv shim on PATH would answer for another build). */
static void find_toolchain(char *cc, size_t cc_size, char *config, size_t config_size)
{
	if (!harness_have_program("cc", cc, cc_size))
		cr_skip_test("no cc on PATH: cannot build the embedding programs");
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, "/", NULL, (const char *[]){ cc, "-dumpmachine", NULL });
	cr_assert_eq(r->status, 0, "%s -dumpmachine: %s", cc, r->err);
	r->out[strcspn(r->out, "\n")] = '\0';
	char name[128];
	HARNESS_PATH(name, "%s-python3.11-config", r->out);
	free(r);
	if (!harness_have_program(name, config, config_size))
		cr_skip_test("no %s: install libpython3.11-dev (tests/setup --tests)", name);
}

/* Writes source to f->dir/<name>.c and compiles it to f->dir/<name>, with
 * Python's embedding flags when config is not NULL. */
static void build(char *exe, size_t size, const struct harness_fixture *f, const char *cc,
		  const char *config, const char *name, const char *source)
{
	char src[PATH_MAX];
	HARNESS_PATH(src, "%s/%s.c", f->dir, name);
	harness_format(exe, size, "%s/%s", f->dir, name);
	harness_write_file(src, source);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	if (config)
		harness_run(r, f->dir, NULL,
			    (const char *[]){ "/bin/sh", "-c",
					      "flags=$(\"$4\" --embed --cflags --ldflags) && exec "
					      "\"$1\" -o \"$2\" \"$3\" $flags",
					      "sh", cc, exe, src, config, NULL });
	else
		harness_run(r, f->dir, NULL, (const char *[]){ cc, "-o", exe, src, NULL });
	cr_assert_eq(r->status, 0, "cannot build %s:\n%s%s", name, r->out, r->err);
	free(r);
}

/* Runs argv in f's tree under the library, in the default scope, and checks
 * that the sample ran, landed in the cache and left the tree clean. */
static void assert_embedded_run_redirected(const struct harness_fixture *f, const char *what,
					   const char *const *argv)
{
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run_redirected(r, f, f->tree, NULL, argv);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", what, r->status, r->err);
	cr_assert(strstr(r->out, "version: 1"), "%s: the sample did not run: %s", what, r->out);

	struct harness_interp py = { .major = 3 };
	cr_assert_eq(sscanf(r->out, "%31s", py.tag), 1, "%s: no cache tag: %s", what, r->out);
	HARNESS_PATH(py.label, "%s (%s)", what, py.tag);
	free(r);
	harness_assert_sample_cached(f, &py, "", "embedded");
	harness_assert_tree_clean(f, &py);
}

Test(embed, program_linked_with_libpython_is_redirected)
{
	char cc[PATH_MAX], config[PATH_MAX], exe[PATH_MAX];
	find_toolchain(cc, sizeof cc, config, sizeof config);
	struct harness_fixture f;
	harness_fixture_init(&f);
	build(exe, sizeof exe, &f, cc, config, "embedder", embedder_c);
	assert_embedded_run_redirected(&f, "embedder", (const char *[]){ exe, NULL });
	harness_fixture_fini(&f);
}

static void late_dlopen(const char *scope)
{
	char cc[PATH_MAX], config[PATH_MAX], exe[PATH_MAX], what[64];
	find_toolchain(cc, sizeof cc, config, sizeof config);
	struct harness_fixture f;
	harness_fixture_init(&f);
	build(exe, sizeof exe, &f, cc, NULL, "late-loader", late_loader_c);
	HARNESS_PATH(what, "late-loader %s", scope);
	assert_embedded_run_redirected(&f, what, (const char *[]){ exe, scope, NULL });
	harness_fixture_fini(&f);
}

/* dlsym(RTLD_DEFAULT) cannot see into a library loaded RTLD_LOCAL: the
 * library must find libpython among the loaded objects by its name. */
Test(embed, late_dlopen_local_is_redirected) { late_dlopen("local"); }

Test(embed, late_dlopen_global_is_redirected) { late_dlopen("global"); }

/* ---- programs that are no Python host ---- */

static size_t nentries;

static int count_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path, (void)st, (void)type, (void)ftw;
	nentries++;
	return 0;
}

/* Files and directories under dir, dir included. */
static size_t count_entries(const char *dir)
{
	nentries = 0;
	nftw(dir, count_entry, 16, FTW_PHYS);
	return nentries;
}

static void run_tool(struct harness_result *r, const struct harness_fixture *f,
		     const char *const *argv)
{
	harness_run_redirected(r, f, f->tree, NULL, argv);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", argv[0], r->status, r->err);
}

static void need(const char *name, char *path, size_t size)
{
	if (!harness_have_program(name, path, size))
		cr_skip_test("no %s on PATH", name);
}

/* e2e_switches checks cat, e2e_processes ls: here a shell and mkdir make
 * __pycache__ directories and a file, find and tar read them, tar unpacks
 * them and rm -rf removes them, all in the tree, while the cache holds the
 * central entries of the same directories, which none of them touches. */
Test(scope, shell_mkdir_tar_find_rm_see_the_tree)
{
	char tar[PATH_MAX], find[PATH_MAX], rm[PATH_MAX];
	need("tar", tar, sizeof tar);
	need("find", find, sizeof find);
	need("rm", rm, sizeof rm);
	struct harness_fixture f;
	harness_fixture_init(&f);
	const struct harness_interp *py = harness_first_python();
	free(harness_run_app(&f, py, NULL, NULL));
	harness_assert_sample_cached(&f, py, "", "python -m app");
	size_t before = count_entries(f.root);

	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	run_tool(
	    r, &f,
	    (const char *[]){
		"/bin/sh", "-c",
		"mkdir -p app/__pycache__ new/__pycache__ && echo in-tree >app/__pycache__/marker "
		"&& echo in-tree >new/__pycache__/marker",
		NULL });
	char marker[PATH_MAX], text[64];
	HARNESS_PATH(marker, "%s/app/__pycache__/marker", f.tree);
	cr_assert_geq(harness_read_file(marker, text, sizeof text), 0, "sh: no %s", marker);
	cr_assert_str_eq(text, "in-tree\n");
	HARNESS_PATH(marker, "%s/new/__pycache__/marker", f.tree);
	cr_assert(harness_exists(marker), "mkdir -p: no %s", marker);

	run_tool(r, &f, (const char *[]){ find, "app/__pycache__", NULL });
	cr_assert_str_eq(r->out, "app/__pycache__\napp/__pycache__/marker\n",
			 "find saw the cache in the default scope");
	run_tool(r, &f, (const char *[]){ find, ".", "-path", "*/__pycache__/*", NULL });
	cr_assert(strstr(r->out, "./app/__pycache__/marker\n") && !strstr(r->out, ".pyc"),
		  "find . saw the cache in the default scope:\n%s", r->out);

	char archive[PATH_MAX], unpacked[PATH_MAX];
	HARNESS_PATH(archive, "%s/tree.tar", f.dir);
	HARNESS_PATH(unpacked, "%s/unpacked", f.dir);
	run_tool(
	    r, &f,
	    (const char *[]){ tar, "-cf", archive, "app/__pycache__", "new/__pycache__", NULL });
	run_tool(r, &f, (const char *[]){ tar, "-tf", archive, NULL });
	cr_assert_str_eq(r->out,
			 "app/__pycache__/\napp/__pycache__/marker\n"
			 "new/__pycache__/\nnew/__pycache__/marker\n",
			 "tar archived the cache in the default scope");
	cr_assert(mkdir(unpacked, 0755) == 0);
	run_tool(r, &f, (const char *[]){ tar, "-xf", archive, "-C", unpacked, NULL });
	HARNESS_PATH(marker, "%s/app/__pycache__/marker", unpacked);
	cr_assert_geq(harness_read_file(marker, text, sizeof text), 0, "tar -x: no %s", marker);
	cr_assert_str_eq(text, "in-tree\n");

	run_tool(r, &f, (const char *[]){ rm, "-rf", "app/__pycache__", "new/__pycache__", NULL });
	char dir[PATH_MAX];
	HARNESS_PATH(dir, "%s/app/__pycache__", f.tree);
	cr_assert_not(harness_exists(dir), "rm -rf left %s", dir);
	HARNESS_PATH(dir, "%s/new/__pycache__", f.tree);
	cr_assert_not(harness_exists(dir), "rm -rf left %s", dir);
	free(r);

	/* The cache root got nothing and lost nothing. */
	harness_assert_sample_cached(&f, py, "", "after sh, tar, find and rm");
	cr_assert_eq(count_entries(f.root), before, "the cache root changed: %zu entries, was %zu",
		     count_entries(f.root), before);
	cr_assert_eq(harness_count_files(f.root, "marker"), 0, "a marker landed in the cache root");
	harness_fixture_fini(&f);
}
