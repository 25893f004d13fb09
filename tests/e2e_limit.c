/* The size limit, end to end: the library's growth counter and last-use
 * touch under real interpreters, `config max-size`, and the cleanup that the
 * next command (inline) or run/env (detached) does once the limit is passed. */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

/* ---- helpers ---- */

static struct harness_result *cli_env(const struct harness_fixture *f, const char *extra,
				      const char *const *args)
{
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	return harness_cli(f, NULL, (const char *[]){ dir, extra, NULL }, args);
}

static struct harness_result *cli(const struct harness_fixture *f, const char *const *args)
{
	return cli_env(f, NULL, args);
}

/* What is in the cache, counted here apart from the store (core/store_*.c): the files of
 * the entries, what the entries take on disk (their directories, records and
 * files, as du counts them: what the limit counts), and the units the
 * library's counter should hold for them (the KiB of 4 KiB blocks: each file
 * rounded up, two blocks an entry). */
static struct {
	size_t entries, files;
	uint64_t bytes, disk, units;
} seen;

static int see(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	if (ftw->level >= 3)
		seen.disk += (uint64_t)st->st_blocks * 512;
	if (type == FTW_D && ftw->level == 3) {
		seen.entries++;
		seen.units += 8;
	}
	if (type == FTW_F && ftw->level == 4) {
		seen.files++;
		seen.bytes += (uint64_t)st->st_size;
		seen.units += ((uint64_t)st->st_size + 4095) / 4096 * 4;
	}
	return 0;
}

static void scan(const struct harness_fixture *f)
{
	memset(&seen, 0, sizeof seen);
	nftw(f->root, see, 16, FTW_PHYS);
}

static off_t counter(const struct harness_fixture *f)
{
	char path[PATH_MAX + 16];
	HARNESS_PATH(path, "%s/v2/usage", f->root);
	struct stat st;
	return lstat(path, &st) == 0 ? st.st_size : -1;
}

static struct timespec mtime_of(const char *path)
{
	struct stat st;
	cr_assert_eq(lstat(path, &st), 0, "%s", path);
	return st.st_mtim;
}

static void date(const char *path, time_t t)
{
	struct timespec times[2] = { { .tv_sec = t }, { .tv_sec = t } };
	cr_assert_eq(utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW), 0, "%s", path);
}

/* A package "big" in f's tree: subs subpackages of mods modules, each
 * module's pyc a little over 3 KiB (a long string constant), so that the
 * cache holds subs entries of known weight. */
#define BIG_SUBS 6
#define BIG_MODS 8

static void make_big(const struct harness_fixture *f)
{
	char path[PATH_MAX + 64], text[4096];
	HARNESS_PATH(path, "%s/big", f->tree);
	cr_assert_eq(mkdir(path, 0755), 0);
	HARNESS_PATH(path, "%s/big/__init__.py", f->tree);
	harness_write_file(path, "");
	for (int s = 0; s < BIG_SUBS; s++) {
		HARNESS_PATH(path, "%s/big/s%d", f->tree, s);
		cr_assert_eq(mkdir(path, 0755), 0);
		HARNESS_PATH(path, "%s/big/s%d/__init__.py", f->tree, s);
		char imports[256] = "";
		for (int m = 0; m < BIG_MODS; m++) {
			size_t n = strlen(imports);
			snprintf(imports + n, sizeof imports - n, "from . import m%d\n", m);
		}
		harness_write_file(path, imports);
		for (int m = 0; m < BIG_MODS; m++) {
			int n = snprintf(text, sizeof text, "TEXT = '''%d.%d ", s, m);
			memset(text + n, 'a' + (s * BIG_MODS + m) % 26, 3100);
			snprintf(text + n + 3100, sizeof text - (size_t)n - 3100, "'''\n");
			HARNESS_PATH(path, "%s/big/s%d/m%d.py", f->tree, s, m);
			harness_write_file(path, text);
		}
	}
}

static const char *import_big(void)
{
	static char code[64 + 16 * BIG_SUBS];
	int n = snprintf(code, sizeof code, "import big");
	for (int s = 0; s < BIG_SUBS; s++)
		n += snprintf(code + n, sizeof code - (size_t)n, ", big.s%d", s);
	snprintf(code + n, sizeof code - (size_t)n, "; print('ok')");
	return code;
}

static void run_big(const struct harness_fixture *f, const struct harness_interp *py)
{
	struct harness_result *r = harness_python(f, py, true, NULL, "-c", import_big(), NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, "ok\n");
	free(r);
}

/* The entry directory of big/s<s>. */
static void entry_of_sub(char *out, size_t size, const struct harness_fixture *f, int s)
{
	char source[PATH_MAX];
	HARNESS_PATH(source, "%s/big/s%d", f->tree, s);
	layout_central_of_dir(out, size, f->root, source, NULL);
}

/* ---- the library's signals ---- */

static void counts_what_it_writes(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	scan(f);
	cr_assert_gt(seen.files, 0);
	cr_assert_eq((uint64_t)counter(f), seen.units,
		     "%s: the counter holds %lld units for %zu files of %llu units", py->label,
		     (long long)counter(f), seen.files, (unsigned long long)seen.units);
	struct stat st;
	char path[PATH_MAX + 16];
	HARNESS_PATH(path, "%s/v2/usage", f->root);
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	/* A warm run writes nothing, and counts nothing. */
	free(harness_run_app(f, py, NULL, NULL));
	cr_assert_eq((uint64_t)counter(f), seen.units, "%s", py->label);
}

Test(limit, the_library_counts_what_it_writes) { harness_each_python(counts_what_it_writes); }

static void touches_once_an_hour(const struct harness_interp *py, struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	char app[PATH_MAX], stats[PATH_MAX], source[PATH_MAX];
	layout_central_of_dir(app, sizeof app, f->root, f->tree, NULL);
	HARNESS_PATH(source, "%s/app", f->tree);
	layout_central_of_dir(app, sizeof app, f->root, source, NULL);
	HARNESS_PATH(source, "%s/app/stats", f->tree);
	layout_central_of_dir(stats, sizeof stats, f->root, source, NULL);
	time_t now = time(NULL);
	date(app, now - 7200);   /* last used two hours ago: touched on the read */
	date(stats, now - 1800); /* half an hour ago: left */
	free(harness_run_app(f, py, NULL, NULL));
	struct timespec a = mtime_of(app), s = mtime_of(stats);
	cr_assert_geq(a.tv_sec, now - 5, "%s: a read of an hour-old entry touches it", py->label);
	cr_assert_eq(s.tv_sec, now - 1800, "%s: a recently used entry is not touched again",
		     py->label);
	scan(f);
	cr_assert_eq(seen.files, HARNESS_SAMPLE_MODULES, "%s: a touch writes no file", py->label);
}

Test(limit, a_read_touches_an_entry_at_most_once_an_hour)
{
	harness_each_python(touches_once_an_hour);
}

/* ---- config max-size ---- */

static void expect_out(const struct harness_fixture *f, const char *extra, const char *const *args,
		       int status, const char *out)
{
	struct harness_result *r = cli_env(f, extra, args);
	cr_assert_eq(r->status, status, "%s %s: exit %d: %s", args[0], args[1] ? args[1] : "",
		     r->status, r->err);
	if (out)
		cr_assert_str_eq(r->out, out, "%s", r->err);
	free(r);
}

Test(limit, config_sets_shows_and_removes_the_limit)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	/* ccache's default until one is set. */
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", NULL }, 0, "max-size 5G\n");
	cr_assert(!harness_exists(f.root), "showing creates nothing");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", "2G", NULL }, 0, "");
	char path[PATH_MAX + 16], text[512];
	HARNESS_PATH(path, "%s/config", f.root);
	cr_assert_gt(harness_read_file(path, text, sizeof text), 0);
	cr_assert(strstr(text, "\nmax-size 2G\n"), "%s", text);
	struct stat st;
	cr_assert_eq(lstat(f.root, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700, "the root is made as the library makes it");
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", NULL }, 0, "max-size 2G\n");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", NULL }, 0, "max-size 2G\n");
	expect_out(&f, "PYCACHE_REDIRECT_MAX_SIZE=500M",
		   (const char *[]){ "config", "max-size", NULL }, 0,
		   "max-size 500M (from PYCACHE_REDIRECT_MAX_SIZE; the settings say 2G)\n");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", "700m", NULL }, 0, "");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", NULL }, 0, "max-size 700m\n");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", "none", NULL }, 0, "");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", NULL }, 0, "max-size none\n");
	cr_assert_gt(harness_read_file(path, text, sizeof text), 0);
	cr_assert(strstr(text, "\nmax-size none\n"), "none is kept, over the default: %s", text);
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", "default", NULL }, 0, "");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", NULL }, 0, "max-size 5G\n");
	cr_assert_gt(harness_read_file(path, text, sizeof text), 0);
	cr_assert(!strstr(text, "max-size"), "default takes the setting away: %s", text);
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", "1G", NULL }, 0, "");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", "0", NULL }, 0, "");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", NULL }, 0, "max-size none\n");
	/* A bare number is in GiB, as in ccache: kept with its unit. */
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", "10", NULL }, 0, "");
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", NULL }, 0, "max-size 10G\n");
	cr_assert_gt(harness_read_file(path, text, sizeof text), 0);
	cr_assert(strstr(text, "\nmax-size 10G\n"), "%s", text);
	expect_out(&f, "PYCACHE_REDIRECT_MAX_SIZE=3",
		   (const char *[]){ "config", "max-size", NULL }, 0,
		   "max-size 3 (from PYCACHE_REDIRECT_MAX_SIZE; the settings say 10G)\n");

	/* Bad usage: exit 2, the file untouched. */
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", "1G", NULL }, 0, "");
	const char *const bad[][5] = {
		{ "config", "max-size", "2X", NULL },
		{ "config", "max-size", "1.5G", NULL },
		{ "config", "max-size", "-1", NULL },
		{ "config", "max-size", "", NULL },
		{ "config", "colour", NULL },
		{ "config", "colour", "red", NULL },
		{ "config", "max-size", "1G", "x", NULL },
		{ "config", "--bogus", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct harness_result *r = cli(&f, bad[i]);
		cr_assert_eq(r->status, 2, "case %zu: exit %d", i, r->status);
		cr_assert(strstr(r->err, "pycache-redirect: "), "case %zu: %s", i, r->err);
		cr_assert_str_empty(r->out);
		free(r);
	}
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", NULL }, 0, "max-size 1G\n");

	/* A bad value from the environment is a failure where it is used. */
	struct harness_result *r =
	    cli_env(&f, "PYCACHE_REDIRECT_MAX_SIZE=lots", (const char *[]){ "stats", NULL });
	cr_assert_eq(r->status, 1);
	cr_assert(strstr(r->err, "PYCACHE_REDIRECT_MAX_SIZE 'lots'"), "%s", r->err);
	free(r);
	harness_fixture_fini(&f);
}

/* config with no argument lists every setting, its value and where it
 * comes from, as ccache -p does. */
Test(limit, config_lists_every_setting_and_its_source)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	expect_out(&f, NULL, (const char *[]){ "config", "max-size", "2G", NULL }, 0, "");
	char root[PATH_MAX + 64], lib[PATH_MAX + 64], expect[PATH_MAX * 3];
	HARNESS_PATH(root, "%s", f.root);
	HARNESS_PATH(lib, "%s", PCR_TEST_LIBRARY);
	HARNESS_PATH(expect,
		     "redirect  on  (default)\n"
		     "root      %s  (PYCACHE_REDIRECT_DIR)\n"
		     "scope     all  (PYCACHE_REDIRECT_SCOPE)\n"
		     "log       0  (default)\n"
		     "max-size  2G  (<root>/config)\n"
		     "library   %s  (found by the command)\n",
		     root, lib);
	expect_out(&f, "PYCACHE_REDIRECT_SCOPE=all", (const char *[]){ "config", NULL }, 0, expect);
	HARNESS_PATH(expect,
		     "redirect  on  (default)\n"
		     "root      %s  (PYCACHE_REDIRECT_DIR)\n"
		     "scope     python  (default)\n"
		     "log       0  (default)\n"
		     "max-size  none  (PYCACHE_REDIRECT_MAX_SIZE)\n"
		     "library   %s  (found by the command)\n",
		     root, lib);
	expect_out(&f, "PYCACHE_REDIRECT_MAX_SIZE=none", (const char *[]){ "config", NULL }, 0,
		   expect);
	harness_fixture_fini(&f);
}

Test(limit, config_refuses_an_unsafe_root)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	cr_assert_eq(mkdir(f.root, 0700), 0);
	cr_assert_eq(chmod(f.root, 0770), 0);
	struct harness_result *r = cli(&f, (const char *[]){ "config", "max-size", "1G", NULL });
	cr_assert_eq(r->status, 1);
	cr_assert(strstr(r->err, "writable"), "%s", r->err);
	free(r);
	char path[PATH_MAX + 16];
	HARNESS_PATH(path, "%s/config", f.root);
	cr_assert(!harness_exists(path));
	harness_fixture_fini(&f);
}

/* ---- the cleanup ---- */

/* The entries of big dated s0 last used first, s5 last (the package itself
 * after them all). */
static void date_subs(const struct harness_fixture *f)
{
	time_t now = time(NULL);
	for (int s = 0; s < BIG_SUBS; s++) {
		char entry[PATH_MAX];
		entry_of_sub(entry, sizeof entry, f, s);
		if (harness_exists(entry))
			date(entry, now - 86400 * (BIG_SUBS - s));
	}
}

/* big imported and dated; returns the cache's size. */
static uint64_t cached_big(const struct harness_fixture *f, const struct harness_interp *py)
{
	make_big(f);
	run_big(f, py);
	date_subs(f);
	scan(f);
	cr_assert_eq(seen.entries, BIG_SUBS + 1);
	cr_assert_geq(seen.bytes, (uint64_t)BIG_SUBS * BIG_MODS * 3100);
	cr_assert_eq((uint64_t)counter(f), seen.units, "the counter saw every write");
	cr_assert_gt(seen.disk, seen.bytes, "blocks, directories and records count");
	return seen.disk;
}

/* Half of total, as a limit; its PYCACHE_REDIRECT_MAX_SIZE setting in
 * setting (64 bytes). */
static uint64_t half_of(uint64_t total, char *setting)
{
	harness_format(setting, 64, "PYCACHE_REDIRECT_MAX_SIZE=%lluB",
		       (unsigned long long)(total / 2));
	return total / 2;
}

/* After a cleanup to limit: at most 90 % of it is left, the least recently
 * used of the first subs went first, and the counter holds what is left. */
static void assert_cleaned(const struct harness_fixture *f, uint64_t limit, int subs)
{
	scan(f);
	cr_assert_leq(seen.disk, limit / 10 * 9, "%llu bytes on disk left over a limit of %llu",
		      (unsigned long long)seen.disk, (unsigned long long)limit);
	cr_assert_gt(seen.entries, 0, "only down to 90 %%, not everything");
	bool gone_before = true; /* the entries go oldest first */
	for (int s = 0; s < subs; s++) {
		char entry[PATH_MAX];
		entry_of_sub(entry, sizeof entry, f, s);
		bool gone = !harness_exists(entry);
		cr_assert(!gone || gone_before, "s%d went while an older entry stayed", s);
		gone_before = gone;
	}
	cr_assert_eq((uint64_t)counter(f), (seen.disk + 1023) / 1024,
		     "the counter starts again from what is left");
}

Test(limit, past_the_limit_stats_says_the_cleanup_is_due_and_prune_does_it)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char setting[64];
	uint64_t total = cached_big(&f, py), limit = half_of(total, setting);
	/* The commands that report only look, and say what is due. */
	const char *const looking[][3] = {
		{ "stats", NULL }, { "ls", ".", NULL }, { "doctor", NULL }, { "where", NULL }
	};
	for (size_t i = 0; i < sizeof looking / sizeof *looking; i++) {
		struct harness_result *r = cli_env(&f, setting, looking[i]);
		cr_assert(!strstr(r->err, "removed"), "%s: %s", looking[i][0], r->err);
		free(r);
		scan(&f);
		cr_assert_eq(seen.disk, total, "%s removed what it reports on", looking[i][0]);
	}
	struct harness_result *r = cli_env(&f, setting, (const char *[]){ "stats", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, "(PYCACHE_REDIRECT_MAX_SIZE)"), "%s", r->out);
	cr_assert(strstr(r->out, "past it: the cleanup to 90% is due"), "%s", r->out);
	free(r);
	r = cli_env(&f, setting, (const char *[]){ "stats", "--json", NULL });
	cr_assert(strstr(r->out, "\"cleanup_due\":true"), "%s", r->out);
	free(r);

	r = cli_env(&f, setting, (const char *[]){ "prune", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	assert_cleaned(&f, limit, BIG_SUBS);
	/* Under the limit now: nothing is due. */
	r = cli_env(&f, setting, (const char *[]){ "stats", "--json", NULL });
	cr_assert(strstr(r->out, "\"cleanup_due\":false"), "%s", r->out);
	free(r);
	/* And Python imports as before, writing back what went. */
	run_big(&f, py);
	harness_fixture_fini(&f);
}

Test(limit, under_the_limit_nothing_is_removed)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	uint64_t total = cached_big(&f, py);
	char setting[64];
	HARNESS_PATH(setting, "PYCACHE_REDIRECT_MAX_SIZE=%lluB", (unsigned long long)total + 4096);
	const char *const commands[][3] = {
		{ "stats", NULL }, { "ls", ".", NULL }, { "where", NULL }, { "run", "true", NULL }
	};
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		struct harness_result *r = cli_env(&f, setting, commands[i]);
		cr_assert_eq(r->status, 0, "%s: %s", commands[i][0], r->err);
		cr_assert(!strstr(r->err, "limit"), "%s: %s", commands[i][0], r->err);
		free(r);
	}
	usleep(300000);
	scan(&f);
	cr_assert_eq(seen.disk, total);
	harness_fixture_fini(&f);
}

/* run and env start the cleanup in the background: they return at once,
 * and the cache is under 90 % of the limit a moment later. */
static void cleans_up_in_the_background(const char *const *command)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	uint64_t total = cached_big(&f, py);
	uint64_t limit = total / 2;
	char value[32];
	HARNESS_PATH(value, "%lluB", (unsigned long long)limit);
	/* The limit from the settings file this time. */
	struct harness_result *r = cli(&f, (const char *[]){ "config", "max-size", value, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	scan(&f);
	cr_assert_leq(seen.disk, limit / 10 * 9, "setting a limit applies it at once");
	run_big(&f, py); /* writes back what went: over the limit again */
	date_subs(&f);
	scan(&f);
	cr_assert_gt(seen.disk, limit);

	r = cli(&f, command);
	cr_assert_eq(r->status, 0, "%s: %s", command[0], r->err);
	cr_assert_str_empty(r->err, "%s: the background cleanup says nothing", command[0]);
	free(r);
	for (int i = 0; i < 100; i++) {
		scan(&f);
		if (seen.disk <= limit / 10 * 9 &&
		    (uint64_t)counter(&f) == (seen.disk + 1023) / 1024)
			break;
		usleep(100000);
	}
	assert_cleaned(&f, limit, BIG_SUBS);
	harness_fixture_fini(&f);
}

Test(limit, run_cleans_up_in_the_background)
{
	cleans_up_in_the_background((const char *[]){ "run", "--", "true", NULL });
}

Test(limit, env_cleans_up_in_the_background)
{
	cleans_up_in_the_background((const char *[]){ "env", NULL });
}

/* With the growth counter at len KiB, big imported again after one of its
 * entries went (so that the run writes), under the limit given. */
static void rewrite_big_at(const struct harness_fixture *f, const struct harness_interp *py,
			   off_t len, const char *setting)
{
	char entry[PATH_MAX], path[PATH_MAX + 16];
	entry_of_sub(entry, sizeof entry, f, BIG_SUBS - 1);
	harness_rmtree(entry);
	HARNESS_PATH(path, "%s/v2/usage", f->root);
	cr_assert_eq(truncate(path, len), 0, "%s", path);
	struct harness_result *r = harness_python(f, py, true, (const char *[]){ setting, NULL },
						  "-c", import_big(), NULL);
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert_str_eq(r->out, "ok\n", "the host's output is its own");
	cr_assert_str_empty(r->err, "the cleanup says nothing to the host's stderr");
	free(r);
}

/* A cache that only the library writes to (a system-wide preload, an IDE)
 * is bounded too: a process whose writes carry the counter past a multiple
 * of 64 MiB starts `prune --auto` as it exits, which cleans up past the
 * limit; short of that boundary, nothing starts. */
Test(limit, the_library_starts_the_cleanup_every_64_mib)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char setting[64];
	uint64_t total = cached_big(&f, py), limit = half_of(total, setting);

	/* Well short of 64 MiB: the cache stays over its limit. */
	rewrite_big_at(&f, py, 1024, setting);
	usleep(500000);
	scan(&f);
	cr_assert_gt(seen.disk, limit, "a cleanup started short of the boundary");

	/* Just short of it: this run's writes cross it. */
	rewrite_big_at(&f, py, 64 * 1024 - 1, setting);
	for (int i = 0; i < 100; i++) {
		scan(&f);
		if (seen.disk <= limit / 10 * 9 &&
		    (uint64_t)counter(&f) == (seen.disk + 1023) / 1024)
			break;
		usleep(100000);
	}
	/* The runs touched every entry: the order is the other tests'. */
	assert_cleaned(&f, limit, 0);
	harness_fixture_fini(&f);
}

/* Under the limit, the library's cleanup still takes the orphans (a
 * removed source directory: pytest's tmp_path, pip's build trees), and
 * nothing else. */
Test(limit, the_library_cleanup_takes_orphans_under_the_limit)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	cached_big(&f, py);
	/* A package imported once, then removed, as pytest removes tmp_path. */
	char dir[PATH_MAX], path[PATH_MAX + 32], gone[PATH_MAX];
	HARNESS_PATH(dir, "%s/scratch", f.tree);
	cr_assert_eq(mkdir(dir, 0755), 0);
	HARNESS_PATH(path, "%s/__init__.py", dir);
	harness_write_file(path, "X = 1\n");
	struct harness_result *r = harness_python(&f, py, true, NULL, "-c", "import scratch", NULL);
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	layout_central_of_dir(gone, sizeof gone, f.root, dir, NULL);
	cr_assert(harness_exists(gone));
	harness_rmtree(dir);
	rewrite_big_at(&f, py, 64 * 1024 - 1, "PYCACHE_REDIRECT_MAX_SIZE=5G");
	for (int i = 0; i < 100 && harness_exists(gone); i++)
		usleep(100000);
	cr_assert(!harness_exists(gone), "the orphan stayed");
	scan(&f);
	cr_assert_eq(seen.entries, BIG_SUBS + 1, "only the orphan went: big and its subs stay");
	harness_fixture_fini(&f);
}

Test(limit, prune_without_rules_removes_orphans_then_down_to_the_limit)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	uint64_t total = cached_big(&f, py);
	/* s5, the newest, becomes an orphan: its source directory goes. */
	char dir[PATH_MAX + 16], orphan[PATH_MAX];
	entry_of_sub(orphan, sizeof orphan, &f, BIG_SUBS - 1);
	HARNESS_PATH(dir, "%s/big/s%d", f.tree, BIG_SUBS - 1);
	harness_rmtree(dir);

	/* No limit: the orphan alone. */
	struct harness_result *r = cli(&f, (const char *[]){ "prune", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, "removed 1 entry, "), "%s", r->out);
	free(r);
	cr_assert(!harness_exists(orphan));
	scan(&f);
	cr_assert_eq(seen.entries, BIG_SUBS);

	/* With one: then the least recently used, to 90 % of it. */
	uint64_t limit = total / 2;
	char setting[64];
	HARNESS_PATH(setting, "PYCACHE_REDIRECT_MAX_SIZE=%lluB", (unsigned long long)limit);
	r = cli_env(&f, setting, (const char *[]){ "prune", "--dry-run", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, "(over the size limit)"), "%s", r->out);
	free(r);
	scan(&f);
	cr_assert_eq(seen.entries, BIG_SUBS, "a dry run removes nothing");
	r = cli_env(&f, setting, (const char *[]){ "prune", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	assert_cleaned(&f, limit, BIG_SUBS - 1);
	harness_fixture_fini(&f);
}

Test(limit, doctor_reports_the_limit)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *r =
	    cli_env(&f, "PYCACHE_REDIRECT_MAX_SIZE=3G", (const char *[]){ "doctor", NULL });
	cr_assert(strstr(r->out, "size limit: 3.0 GiB (PYCACHE_REDIRECT_MAX_SIZE)"), "%s", r->out);
	free(r);
	r = cli_env(&f, "PYCACHE_REDIRECT_MAX_SIZE=3 GB", (const char *[]){ "doctor", NULL });
	cr_assert_eq(r->status, 1);
	cr_assert(strstr(r->out, "size limit"), "%s", r->out);
	cr_assert(strstr(r->out, "PYCACHE_REDIRECT_MAX_SIZE '3 GB'"), "%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}
