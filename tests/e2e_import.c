/* Real interpreters import the sample package through the library: the tree
 * stays clean, the cache holds Python's own versioned names, the output is
 * what it is without the library, and Python's invalidation keeps working. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tests/harness.h"

static const char *const no_bytecode[] = { "PYTHONDONTWRITEBYTECODE=1", NULL };

static struct pcr_result *run_app(const struct pcr_fixture *f, const struct pcr_interp *py,
				  const char *flag)
{
	struct pcr_result *r = flag ? pcr_python(f, py, true, NULL, flag, "-m", "app", NULL)
				    : pcr_python(f, py, true, NULL, "-m", "app", NULL);
	cr_assert_eq(r->status, 0, "%s: exit %d\n%s", py->label, r->status, r->err);
	return r;
}

Test(import, tree_stays_clean_and_cache_holds_versioned_names)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		struct pcr_result *plain = pcr_python(&f, py, false, no_bytecode, "-m", "app", NULL);
		cr_assert_eq(plain->status, 0, "%s: %s", py->label, plain->err);
		struct pcr_result *r = run_app(&f, py, NULL);
		cr_assert_str_eq(r->out, plain->out, "%s: output differs from a run without the library",
				 py->label);
		cr_assert_str_empty(r->err, "%s: stderr: %s", py->label, r->err);
		pcr_assert_tree_clean(&f, py);
		pcr_assert_sample_cached(&f, py, "", "python -m app");

		/* The record of each entry's source directory, for pruning. */
		char src[PATH_MAX], record[PATH_MAX], expect[PATH_MAX + 2], text[PATH_MAX];
		PCR_PATH(src, "%s/app/stats", f.tree);
		pcr_expect_central(record, sizeof record, f.root, src, NULL);
		strcat(record, ".src");
		PCR_PATH(expect, "%s\n", src);
		cr_assert_geq(pcr_read_file(record, text, sizeof text), 0, "%s: no %s", py->label, record);
		cr_assert_str_eq(text, expect);
		free(plain);
		free(r);
		pcr_fixture_fini(&f);
	}
}

Test(import, second_run_reads_the_central_cache)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	char strace[PATH_MAX];
	bool traced = pcr_have_program("strace", strace, sizeof strace);
	if (!traced)
		fprintf(stderr, "e2e: strace not found: checking the second run by inode and mtime only\n");
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		free(run_app(&f, py, NULL));

		struct stat before[PCR_SAMPLE_MODULES];
		char pyc[PCR_SAMPLE_MODULES][PATH_MAX];
		for (size_t k = 0; k < PCR_SAMPLE_MODULES; k++) {
			pcr_sample_pyc(pyc[k], sizeof pyc[k], &f, py, pcr_sample_modules[k].dir,
				       pcr_sample_modules[k].name, "");
			cr_assert(stat(pyc[k], &before[k]) == 0, "%s: %s", py->label, pyc[k]);
		}

		char trace[PATH_MAX];
		PCR_PATH(trace, "%s/trace", f.dir);
		const char *argv[] = { strace, "-f", "-qq", "-e", "trace=%file", "-o", trace,
				       py->path, "-m", "app", NULL };
		struct pcr_result *r = malloc(sizeof *r);
		cr_assert(r);
		if (traced)
			pcr_run_redirected(r, &f, f.tree, NULL, argv);
		else
			pcr_run_redirected(r, &f, f.tree, NULL, argv + 7);
		cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
		free(r);

		for (size_t k = 0; k < PCR_SAMPLE_MODULES; k++) {
			struct stat after;
			cr_assert(stat(pyc[k], &after) == 0);
			cr_assert(after.st_ino == before[k].st_ino &&
				  after.st_mtim.tv_sec == before[k].st_mtim.tv_sec &&
				  after.st_mtim.tv_nsec == before[k].st_mtim.tv_nsec,
				  "%s: %s was rewritten by a warm run", py->label, pyc[k]);
		}
		if (traced) {
			static char text[1 << 22];
			cr_assert_geq(pcr_read_file(trace, text, sizeof text), 0);
			for (size_t k = 0; k < PCR_SAMPLE_MODULES; k++) {
				char opened[PATH_MAX + 8];
				PCR_PATH(opened, "\"%s\", O_RDONLY", pyc[k]);
				cr_assert(strstr(text, opened), "%s: the warm run did not open %s",
					  py->label, pyc[k]);
			}
			char in_tree[PATH_MAX];
			PCR_PATH(in_tree, "%s/app/__pycache__", f.tree);
			char *hit = strstr(text, in_tree);
			cr_assert_null(hit, "%s: a syscall touched the in-tree cache: %.200s",
				       py->label, hit);
		}
		pcr_fixture_fini(&f);
	}
}

Test(import, edited_source_is_recompiled)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		free(run_app(&f, py, NULL));
		char pyc[PATH_MAX], old[4096], now[4096];
		pcr_sample_pyc(pyc, sizeof pyc, &f, py, "app", "version", "");
		long old_len = pcr_read_file(pyc, old, sizeof old);
		cr_assert_gt(old_len, 16);

		/* Same size, new text, and an mtime Python cannot mistake. */
		char src[PATH_MAX];
		PCR_PATH(src, "%s/app/version.py", f.tree);
		pcr_write_file(src, "VERSION = \"2\"\n");
		struct timespec later[2] = { { .tv_sec = time(NULL) + 10 }, { .tv_sec = time(NULL) + 10 } };
		cr_assert(utimensat(AT_FDCWD, src, later, 0) == 0);

		struct pcr_result *r = run_app(&f, py, NULL);
		cr_assert(strstr(r->out, "version: 2"), "%s: stale bytecode ran: %s", py->label, r->out);
		long now_len = pcr_read_file(pyc, now, sizeof now);
		cr_assert(now_len != old_len || memcmp(old, now, (size_t)now_len) != 0,
			  "%s: %s was not rewritten", py->label, pyc);
		pcr_assert_tree_clean(&f, py);
		free(r);
		pcr_fixture_fini(&f);
	}
}

Test(import, deleted_cache_is_rebuilt)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		free(run_app(&f, py, NULL));
		pcr_rmtree(f.root);
		cr_assert_not(pcr_exists(f.root));
		struct pcr_result *r = run_app(&f, py, NULL);
		cr_assert(strstr(r->out, "version: 1"), "%s: %s", py->label, r->out);
		pcr_assert_sample_cached(&f, py, "", "python -m app");
		pcr_assert_tree_clean(&f, py);
		struct stat st;
		cr_assert(stat(f.root, &st) == 0 && (st.st_mode & 0777) == 0700,
			  "%s: the new root is not 0700", py->label);
		free(r);
		pcr_fixture_fini(&f);
	}
}

Test(import, optimisation_levels_keep_their_names)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		free(run_app(&f, py, "-O"));
		pcr_assert_sample_cached(&f, py, ".opt-1", "python -O");
		free(run_app(&f, py, "-OO"));
		pcr_assert_sample_cached(&f, py, ".opt-2", "python -OO");
		pcr_assert_tree_clean(&f, py);
		pcr_fixture_fini(&f);
	}
}

/* A tree that had in-tree caches before the redirect: they are still read
 * where valid, never written; what is new goes to the cache. */
Test(import, in_tree_caches_are_read_and_never_written)
{
	const struct pcr_interp *list;
	size_t n = pcr_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		const struct pcr_interp *py = &list[i];
		struct pcr_fixture f;
		pcr_fixture_init(&f);
		struct pcr_result *r = pcr_python(&f, py, false, NULL, "-m", "app", NULL);
		cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
		free(r);
		char tree_pyc[PATH_MAX], before[4096], after[4096];
		PCR_PATH(tree_pyc, "%s/app/__pycache__/version.%s.pyc", f.tree, py->tag);
		long len = pcr_read_file(tree_pyc, before, sizeof before);
		cr_assert_gt(len, 16, "%s: the plain run wrote no %s", py->label, tree_pyc);

		char src[PATH_MAX];
		PCR_PATH(src, "%s/app/version.py", f.tree);
		pcr_write_file(src, "VERSION = \"3\"\n");
		struct timespec later[2] = { { .tv_sec = time(NULL) + 10 }, { .tv_sec = time(NULL) + 10 } };
		cr_assert(utimensat(AT_FDCWD, src, later, 0) == 0);

		r = run_app(&f, py, NULL);
		cr_assert(strstr(r->out, "version: 3"), "%s: %s", py->label, r->out);
		free(r);
		cr_assert_eq(pcr_read_file(tree_pyc, after, sizeof after), len);
		cr_assert(memcmp(before, after, (size_t)len) == 0, "%s: the in-tree pyc was written",
			  py->label);
		char pyc[PATH_MAX];
		pcr_sample_pyc(pyc, sizeof pyc, &f, py, "app", "version", "");
		cr_assert(pcr_exists(pyc), "%s: the recompiled module is not in the cache", py->label);
		pcr_sample_pyc(pyc, sizeof pyc, &f, py, "app", "text", "");
		cr_assert_not(pcr_exists(pyc), "%s: a valid in-tree pyc was not used", py->label);
		pcr_fixture_fini(&f);
	}
}
