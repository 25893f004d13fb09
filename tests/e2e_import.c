/* Real interpreters import the sample package through the library: the tree
 * stays clean, the cache holds Python's own versioned names, the output is
 * what it is without the library, and Python's invalidation keeps working. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/harness.h"

static void clean_tree_and_versioned_names(const struct harness_interp *py,
					   struct harness_fixture *f)
{
	const char *no_bytecode[] = { "PYTHONDONTWRITEBYTECODE=1", NULL };
	struct harness_result *plain = harness_python(f, py, false, no_bytecode, "-m", "app", NULL);
	cr_assert_eq(plain->status, 0, "%s: %s", py->label, plain->err);
	struct harness_result *r = harness_run_app(f, py, NULL, NULL);
	cr_assert_str_eq(r->out, plain->out, "%s: output differs from a run without the library",
			 py->label);
	cr_assert_str_empty(r->err, "%s: stderr: %s", py->label, r->err);
	harness_assert_tree_clean(f, py);
	harness_assert_sample_cached(f, py, "", "python -m app");

	/* The record of each entry's source directory, for pruning. */
	char src[PATH_MAX], record[PATH_MAX], expect[PATH_MAX + 2], text[PATH_MAX];
	HARNESS_PATH(src, "%s/app/stats", f->tree);
	layout_central_of_dir(record, sizeof record, f->root, src, NULL);
	strcat(record, ".src");
	HARNESS_PATH(expect, "%s\n", src);
	cr_assert_geq(harness_read_file(record, text, sizeof text), 0, "%s: no %s", py->label,
		      record);
	cr_assert_str_eq(text, expect);
	free(plain);
	free(r);
}

Test(import, tree_stays_clean_and_cache_holds_versioned_names)
{
	harness_each_python(clean_tree_and_versioned_names);
}

static char strace[PATH_MAX];

/* python -m app, redirected, under strace when there is one: the trace of its
 * file calls, or NULL without strace. */
static char *run_app_traced(const struct harness_interp *py, struct harness_fixture *f)
{
	static char text[1 << 22];
	char trace[PATH_MAX];
	HARNESS_PATH(trace, "%s/trace", f->dir);
	const char *argv[] = { strace, "-f",     "-qq", "-e",  "trace=%file", "-o",
			       trace,  py->path, "-m",  "app", NULL };
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run_redirected(r, f, f->tree, NULL, *strace ? argv : argv + 7);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	if (!*strace)
		return NULL;
	cr_assert_geq(harness_read_file(trace, text, sizeof text), 0);
	return text;
}

static void warm_run_reads_central(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	struct stat before[HARNESS_SAMPLE_MODULES];
	char pyc[HARNESS_SAMPLE_MODULES][PATH_MAX];
	harness_sample_pyc_stats(f, py, pyc, before);

	char *text = run_app_traced(py, f);
	for (size_t k = 0; k < HARNESS_SAMPLE_MODULES; k++) {
		struct stat after;
		cr_assert(stat(pyc[k], &after) == 0);
		cr_assert(after.st_ino == before[k].st_ino &&
			      after.st_mtim.tv_sec == before[k].st_mtim.tv_sec &&
			      after.st_mtim.tv_nsec == before[k].st_mtim.tv_nsec,
			  "%s: %s was rewritten by a warm run", py->label, pyc[k]);
	}
	if (!text)
		return;
	for (size_t k = 0; k < HARNESS_SAMPLE_MODULES; k++) {
		char opened[PATH_MAX + 16];
		HARNESS_PATH(opened, "\"%s\", O_RDONLY", pyc[k]);
		cr_assert(strstr(text, opened), "%s: the warm run did not open %s", py->label,
			  pyc[k]);
	}
	char in_tree[PATH_MAX];
	HARNESS_PATH(in_tree, "%s/app/__pycache__", f->tree);
	char *hit = strstr(text, in_tree);
	cr_assert_null(hit, "%s: a syscall touched the in-tree cache: %.200s", py->label, hit);
}

Test(import, second_run_reads_the_central_cache)
{
	if (!harness_have_program("strace", strace, sizeof strace)) {
		strace[0] = '\0';
		fprintf(stderr,
			"e2e: strace not found: checking the second run by inode and mtime only\n");
	}
	harness_each_python(warm_run_reads_central);
}

/* A first run, from an empty cache: the tree's __pycache__ is only ever
 * looked up (the fallback after each central miss, which finds nothing), never
 * made, written, renamed into or removed; the pycs land in the cache. */
static void cold_run_only_looks_in_tree(const struct harness_interp *py, struct harness_fixture *f)
{
	char *text = run_app_traced(py, f);
	harness_assert_sample_cached(f, py, "", "python -m app under strace");
	char in_tree[PATH_MAX];
	HARNESS_PATH(in_tree, "%s/app/__pycache__", f->tree);
	size_t lookups = 0;
	for (char *line = text, *next; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? (*next = '\0', next + 1) : line + strlen(line);
		if (!strstr(line, in_tree))
			continue;
		lookups++;
		cr_assert(strstr(line, "= -1 ENOENT") && !strstr(line, "mkdir") &&
			      !strstr(line, "rename") && !strstr(line, "unlink") &&
			      !strstr(line, "link(") && !strstr(line, "O_CREAT") &&
			      !strstr(line, "O_WRONLY") && !strstr(line, "O_RDWR"),
			  "%s: a cold run did more than look the in-tree cache up: %s", py->label,
			  line);
	}
	cr_assert_gt(lookups, 0, "%s: no fallback lookup in the tree: is the trace empty?",
		     py->label);
	harness_assert_tree_clean(f, py);
}

Test(import, first_run_only_looks_up_the_tree)
{
	if (!harness_have_program("strace", strace, sizeof strace))
		cr_skip_test("strace not found: tests/setup --tests installs it");
	harness_each_python(cold_run_only_looks_in_tree);
}

static void edited_source_recompiled(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	char pyc[PATH_MAX], old[4096], now[4096];
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "version", "");
	long old_len = harness_read_file(pyc, old, sizeof old);
	cr_assert_gt(old_len, 16);

	harness_edit_source(f, "app/version.py", "VERSION = \"2\"\n");
	struct harness_result *r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 2"), "%s: stale bytecode ran: %s", py->label, r->out);
	long now_len = harness_read_file(pyc, now, sizeof now);
	cr_assert(now_len != old_len || memcmp(old, now, (size_t)now_len) != 0,
		  "%s: %s was not rewritten", py->label, pyc);
	harness_assert_tree_clean(f, py);
	free(r);
}

Test(import, edited_source_is_recompiled) { harness_each_python(edited_source_recompiled); }

static void deleted_cache_rebuilt(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	harness_rmtree(f->root);
	cr_assert_not(harness_exists(f->root));
	struct harness_result *r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
	harness_assert_sample_cached(f, py, "", "python -m app");
	harness_assert_tree_clean(f, py);
	struct stat st;
	cr_assert(stat(f->root, &st) == 0 && (st.st_mode & 0777) == 0700,
		  "%s: the new root is not 0700", py->label);
	free(r);
}

Test(import, deleted_cache_is_rebuilt) { harness_each_python(deleted_cache_rebuilt); }

static void optimisation_levels(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, "-O"));
	harness_assert_sample_cached(f, py, ".opt-1", "python -O");
	free(harness_run_app(f, py, NULL, "-OO"));
	harness_assert_sample_cached(f, py, ".opt-2", "python -OO");
	harness_assert_tree_clean(f, py);
}

Test(import, optimisation_levels_keep_their_names) { harness_each_python(optimisation_levels); }

/* A tree that had in-tree caches before the redirect: they are still read
 * where valid, never written; what is new goes to the cache. */
static void in_tree_caches(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r = harness_python(f, py, false, NULL, "-m", "app", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	char tree_pyc[PATH_MAX], before[4096], after[4096];
	HARNESS_PATH(tree_pyc, "%s/app/__pycache__/version.%s.pyc", f->tree, py->tag);
	long len = harness_read_file(tree_pyc, before, sizeof before);
	cr_assert_gt(len, 16, "%s: the plain run wrote no %s", py->label, tree_pyc);

	harness_edit_source(f, "app/version.py", "VERSION = \"3\"\n");
	r = harness_run_app(f, py, NULL, NULL);
	cr_assert(strstr(r->out, "version: 3"), "%s: %s", py->label, r->out);
	free(r);
	cr_assert_eq(harness_read_file(tree_pyc, after, sizeof after), len);
	cr_assert(memcmp(before, after, (size_t)len) == 0, "%s: the in-tree pyc was written",
		  py->label);
	char pyc[PATH_MAX];
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "version", "");
	cr_assert(harness_exists(pyc), "%s: the recompiled module is not in the cache", py->label);
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app", "text", "");
	cr_assert_not(harness_exists(pyc), "%s: a valid in-tree pyc was not used", py->label);
}

Test(import, in_tree_caches_are_read_and_never_written) { harness_each_python(in_tree_caches); }

/* Pycs shipped in the tree (Debian's stdlib, python3-sympy) with nothing in
 * the cache: the library looks at each directory's entry once (a stat) and
 * reads the tree's pycs directly, with no failed central open per module. */
static void shipped_pycs(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r = harness_python(f, py, false, NULL, "-m", "app", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	char *text = run_app_traced(py, f);
	char tree[PATH_MAX], src[2][PATH_MAX], entry[2][PATH_MAX + 2];
	HARNESS_PATH(tree, "%s/app/", f->tree);
	HARNESS_PATH(src[0], "%s/app", f->tree);
	HARNESS_PATH(src[1], "%s/app/stats", f->tree);
	for (int i = 0; i < 2; i++) {
		char dir[PATH_MAX];
		layout_central_of_dir(dir, sizeof dir, f->root, src[i], NULL);
		HARNESS_PATH(entry[i], "\"%s\"", dir); /* the entry itself, quoted by strace */
	}
	size_t central_opens = 0, entry_looks[2] = { 0, 0 }, tree_reads = 0;
	for (char *line = text, *next; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? (*next = '\0', next + 1) : line + strlen(line);
		bool central = strstr(line, f->root) != NULL;
		bool pyc = strstr(line, ".pyc\"") != NULL;
		central_opens += central && pyc && strstr(line, "open") != NULL;
		for (int i = 0; i < 2; i++)
			entry_looks[i] += strstr(line, entry[i]) != NULL;
		tree_reads += !central && pyc && strstr(line, tree) && strstr(line, "open") &&
			      !strstr(line, "ENOENT");
	}
	cr_assert_eq(central_opens, 0, "%s: %zu central opens of pycs that are not there",
		     py->label, central_opens);
	cr_assert_gt(tree_reads, 0, "%s: the tree's pycs were not read", py->label);
	/* Once a directory; twice where another directory took its slot in
	 * the library's table between two uses: never once a module. */
	for (int i = 0; i < 2; i++)
		cr_assert(entry_looks[i] >= 1 && entry_looks[i] <= 2,
			  "%s: %zu looks at the entry of %s", py->label, entry_looks[i], src[i]);
}

Test(import, shipped_pycs_cost_no_central_open_per_module)
{
	if (!harness_have_program("strace", strace, sizeof strace))
		cr_skip_test("strace not found: tests/setup --tests installs it");
	harness_each_python(shipped_pycs);
}

/* What this process found missing in the cache, another process may write a
 * moment later (compileall in a subprocess, as test_compileall's
 * test_recursion_control does): the next look sees it. */
static const char seen_after_another_process[] =
    "import os, subprocess, sys, importlib.util\n"
    "p = importlib.util.cache_from_source(os.path.abspath('app/text.py'))\n"
    "print(os.path.exists(p), os.path.exists(os.path.dirname(p)))\n"
    "subprocess.check_call([sys.executable, '-m', 'py_compile', 'app/text.py'])\n"
    "print(os.path.exists(p), os.path.isdir(os.path.dirname(p)))\n"
    "print(len(open(p, 'rb').read()) > 16)\n";

static void written_by_another_process(const struct harness_interp *py, struct harness_fixture *f)
{
	if (py->major < 3) {
		cr_log_info("%s: skipped: no importlib.util.cache_from_source", py->label);
		return;
	}
	struct harness_result *r =
	    harness_python(f, py, true, NULL, "-c", seen_after_another_process, NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, "False False\nTrue True\nTrue\n", "%s", py->label);
	free(r);
	harness_assert_tree_clean(f, py);
}

Test(import, a_pyc_another_process_writes_is_seen_at_once)
{
	harness_each_python(written_by_another_process);
}

/* Python 3.15's lazy imports (PEP 810): a module imported by `lazy import` or
 * `lazy from ... import` is loaded on first use, through the same import
 * system, so its pyc lands centrally and is read back warm; with
 * -X lazy_imports=all every plain import is lazy too. Older interpreters
 * have no such statement: skipped, said so. */
static void lazy_imports(const struct harness_interp *py, struct harness_fixture *f)
{
	if (py->major == 3 && py->minor < 15) {
		fprintf(stderr, "e2e: %s: skipped lazy imports (Python 3.15 and later)\n",
			py->label);
		return;
	}
	char path[PATH_MAX];
	HARNESS_PATH(path, "%s/lazy_main.py", f->tree);
	harness_write_file(path,
			   "lazy import app.text\n"
			   "lazy from app.stats import count\n"
			   "import sys\n"
			   "print('app.text' in sys.modules, 'app.stats.count' in sys.modules)\n"
			   "app.text, count\n"
			   "print('app.text' in sys.modules, 'app.stats.count' in sys.modules)\n");
	const char *const expect = "False False\nTrue True\n";
	struct harness_result *r = harness_python(f, py, true, NULL, "lazy_main.py", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, expect, "%s: not lazy: %s", py->label, r->err);
	free(r);
	harness_assert_tree_clean(f, py);
	char pyc[PATH_MAX];
	struct stat first, again;
	harness_sample_pyc(pyc, sizeof pyc, f, py, "app/stats", "count", "");
	cr_assert_eq(stat(pyc, &first), 0, "%s: no central %s", py->label, pyc);

	r = harness_python(f, py, true, NULL, "lazy_main.py", NULL);
	cr_assert_str_eq(r->out, expect, "%s: %s", py->label, r->err);
	free(r);
	cr_assert_eq(stat(pyc, &again), 0);
	cr_assert(first.st_mtim.tv_sec == again.st_mtim.tv_sec &&
		      first.st_mtim.tv_nsec == again.st_mtim.tv_nsec &&
		      first.st_ino == again.st_ino,
		  "%s: the warm run wrote %s again", py->label, pyc);

	/* Every import lazy: the sample runs as it does, its pycs central. */
	r = harness_python(f, py, true, NULL, "-X", "lazy_imports=all", "-m", "app", NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	free(r);
	harness_assert_tree_clean(f, py);
	harness_assert_sample_cached(f, py, "", "-X lazy_imports=all");
}

Test(import, lazy_imports_go_through_the_redirect) { harness_each_python(lazy_imports); }
