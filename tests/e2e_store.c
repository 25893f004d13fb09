/* stats, ls, clear and prune, as a user runs them, on caches that real interpreters
 * wrote through the library. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "tests/harness.h"

/* The command in f's tree (or cwd), with the cache root set to f->root. */
static struct harness_result *cli_in(const struct harness_fixture *f, const char *cwd,
				     const char *const *args)
{
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	return harness_cli(f, cwd, (const char *[]){ dir, NULL }, args);
}

static struct harness_result *cli(const struct harness_fixture *f, const char *const *args)
{
	return cli_in(f, NULL, args);
}

/* ---- what is on disk, counted here apart from the store (core/store_*.c) ---- */

static struct scan {
	size_t entries, files;
	uint64_t bytes;
	uint64_t entries_disk; /* blocks, as du counts them: entries, records, files */
	uint64_t shards_disk;
	time_t oldest, newest;
} scanned;

/* <root>/v2/<k0k1> is a shard, <root>/v2/<k0k1>/<key> an entry (and
 * <key>.src its record), <root>/v2/<k0k1>/<key>/<name> a file. */
static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	uint64_t blocks = (uint64_t)st->st_blocks * 512;
	if (type == FTW_D && ftw->level == 2)
		scanned.shards_disk += blocks;
	if (ftw->level >= 3)
		scanned.entries_disk += blocks;
	if (type == FTW_D && ftw->level == 3)
		scanned.entries++;
	if (type == FTW_F && ftw->level == 4) {
		if (scanned.files++ == 0 || st->st_mtime < scanned.oldest)
			scanned.oldest = st->st_mtime;
		if (st->st_mtime > scanned.newest)
			scanned.newest = st->st_mtime;
		scanned.bytes += (uint64_t)st->st_size;
	}
	return 0;
}

static struct scan scan(const struct harness_fixture *f)
{
	scanned = (struct scan){ 0 };
	nftw(f->root, scan_one, 16, FTW_PHYS);
	return scanned;
}

static off_t size_of(const char *path)
{
	struct stat st;
	cr_assert_eq(lstat(path, &st), 0, "%s", path);
	return st.st_size;
}

static uint64_t blocks_of(const char *path)
{
	struct stat st;
	cr_assert_eq(lstat(path, &st), 0, "%s", path);
	return (uint64_t)st.st_blocks * 512;
}

/* The entry's directory, its record and its files, as du counts them. */
static uint64_t entry_disk(const char *entry, const char *const *files)
{
	char record[PATH_MAX + 8];
	HARNESS_PATH(record, "%s.src", entry);
	uint64_t disk = blocks_of(entry) + blocks_of(record);
	for (; *files; files++)
		disk += blocks_of(*files);
	return disk;
}

/* "2 files, 807 B, 16.0 KiB on disk" */
static void sizes(char *out, size_t outsz, uint64_t bytes, uint64_t disk)
{
	char size[32], on_disk[32];
	pcr_cli_human_size(bytes, size);
	pcr_cli_human_size(disk, on_disk);
	cr_assert((size_t)snprintf(out, outsz, "%s, %s on disk", size, on_disk) < outsz);
}

static void run_sample(const struct harness_interp *py, const struct harness_fixture *f)
{
	free(harness_run_app(f, py, NULL, NULL));
	harness_assert_sample_cached(f, py, "", "python -m app");
}

/* ---- stats ---- */

static void stats_json_matches_disk(const struct harness_interp *py, struct harness_fixture *f)
{
	run_sample(py, f);
	struct scan s = scan(f);
	cr_assert_eq(s.entries, 2, "%s: app and app/stats", py->label);
	cr_assert_eq(s.files, HARNESS_SAMPLE_MODULES);
	char oldest[32], newest[32], expect[PATH_MAX + 512];
	pcr_cli_iso8601(s.oldest, oldest);
	pcr_cli_iso8601(s.newest, newest);
	HARNESS_PATH(
	    expect,
	    "{\"root\":\"%s\",\"health\":\"ok\",\"entries\":2,\"files\":%d,\"bytes\":%llu,"
	    "\"disk_bytes\":%llu,\"source_dirs\":2,\"source_trees\":1,\"orphans\":0,"
	    "\"unrecorded\":0,\"old_layout_files\":0,\"old_layout_bytes\":0,\"oldest\":\"%s\","
	    "\"newest\":\"%s\",\"max_size\":5368709120,\"max_size_from\":\"the default\","
	    "\"cleanup_due\":false,",
	    f->root, HARNESS_SAMPLE_MODULES, (unsigned long long)s.bytes,
	    (unsigned long long)(s.entries_disk + s.shards_disk), oldest, newest);
	struct harness_result *r = cli(f, (const char *[]){ "stats", "--json", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strncmp(r->out, expect, strlen(expect)) == 0, "%s: %s\nexpected %s", py->label,
		  r->out, expect);
	cr_assert_str_empty(r->err);
	/* The counts of the one cold run: its own modules compiled (and any of
	 * the stdlib this build left uncompiled), nothing read back yet. */
	unsigned long long hits, misses, in_tree, refused;
	cr_assert_eq(sscanf(r->out + strlen(expect),
			    "\"hits\":%llu,\"misses\":%llu,\"in_tree_reads\":%llu,"
			    "\"refusals\":%llu}\n",
			    &hits, &misses, &in_tree, &refused),
		     4, "%s", r->out);
	cr_assert_eq(hits, 0, "%s: %s", py->label, r->out);
	cr_assert_geq(misses, HARNESS_SAMPLE_MODULES, "%s: %s", py->label, r->out);
	cr_assert_eq(refused, 0);
	free(r);

	/* The same in words. */
	char size[32], pycs[32];
	pcr_cli_human_size(s.entries_disk + s.shards_disk, size);
	pcr_cli_human_size(s.bytes, pycs);
	HARNESS_PATH(expect,
		     "cache root     %s (ok)\n"
		     "entries        2\n"
		     "files          %d\n"
		     "size           %s on disk (%s of pycs)\n"
		     "size limit     5.0 GiB (the default), 0.0%% used\n"
		     "source trees   1 (2 directories)\n"
		     "orphans        0\n"
		     "oldest         %s\n"
		     "newest         %s\n"
		     "hits           0 (0.0%% of the pycs asked of the cache)\n"
		     "misses         %llu (pycs compiled and written into the cache)\n"
		     "in-tree reads  %llu (pycs read from their trees)\n"
		     "refusals       0 (writes refused: a planted link, a full cache)\n",
		     f->root, HARNESS_SAMPLE_MODULES, size, pycs, oldest, newest, misses, in_tree);
	r = cli(f, (const char *[]){ "stats", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect);
	free(r);
}

Test(store, stats_json_matches_what_is_on_disk) { harness_each_python(stats_json_matches_disk); }

/* A source directory removed after the import leaves an orphan. */
/* The library counts what the cache did, as ccache -s: a cold run's pycs
 * are misses, a warm run's hits, a tree's own pycs in-tree reads; --zero
 * sets the counts to 0 and keeps every pyc. */
static void hits_and_misses(const struct harness_interp *py, struct harness_fixture *f)
{
	run_sample(py, f);
	struct harness_result *r = cli(f, (const char *[]){ "stats", "--zero", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	free(harness_run_app(f, py, NULL, NULL)); /* warm */
	r = cli(f, (const char *[]){ "stats", "--json", NULL });
	unsigned long long hits, misses;
	const char *at = strstr(r->out, "\"hits\":");
	cr_assert(at && sscanf(at, "\"hits\":%llu,\"misses\":%llu", &hits, &misses) == 2, "%s",
		  r->out);
	cr_assert_eq(hits, HARNESS_SAMPLE_MODULES, "%s: %s", py->label, r->out);
	cr_assert_eq(misses, 0, "%s: the warm run wrote: %s", py->label, r->out);
	free(r);
	r = cli(f, (const char *[]){ "stats", NULL });
	char want[64];
	HARNESS_PATH(want, "hits           %d (", HARNESS_SAMPLE_MODULES);
	cr_assert(strstr(r->out, want), "%s", r->out);
	free(r);
	size_t pycs = scan(f).files;
	r = cli(f, (const char *[]){ "stats", "--zero", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	cr_assert_eq(scan(f).files, pycs, "--zero removed pycs");
	r = cli(f, (const char *[]){ "stats", "--json", NULL });
	cr_assert(strstr(r->out, "\"hits\":0,\"misses\":0,\"in_tree_reads\":0,\"refusals\":0}"),
		  "%s", r->out);
	free(r);
	/* Pycs shipped in a tree (compiled there without the library) are
	 * in-tree reads. */
	harness_rmtree(f->root);
	struct harness_result *plain = harness_python(f, py, false, NULL, "-m", "app", NULL);
	cr_assert_eq(plain->status, 0, "%s", plain->err);
	free(plain);
	free(harness_run_app(f, py, NULL, NULL));
	r = cli(f, (const char *[]){ "stats", "--json", NULL });
	unsigned long long in_tree;
	at = strstr(r->out, "\"in_tree_reads\":");
	cr_assert(at && sscanf(at, "\"in_tree_reads\":%llu", &in_tree) == 1, "%s", r->out);
	cr_assert_geq(in_tree, HARNESS_SAMPLE_MODULES, "%s: %s", py->label, r->out);
	free(r);
}

Test(store, hits_and_misses_are_counted_and_zeroed) { harness_each_python(hits_and_misses); }

static unsigned long long hits_now(const struct harness_fixture *f)
{
	struct harness_result *r = cli(f, (const char *[]){ "stats", "--json", NULL });
	unsigned long long hits;
	const char *at = strstr(r->out, "\"hits\":");
	cr_assert(at && sscanf(at, "\"hits\":%llu", &hits) == 1, "%s", r->out);
	free(r);
	return hits;
}

static void zero_counts(const struct harness_fixture *f)
{
	struct harness_result *r = cli(f, (const char *[]){ "stats", "--zero", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	cr_assert_eq(hits_now(f), 0);
}

/* A process that execs runs no exit handler: the library writes its counts
 * before the exec, whichever member of the family it calls (a vfork
 * child's for its parent too), and an exec that replaces a process counts
 * nothing twice. A process that ends with _exit is not counted (README). */
Test(store, counts_are_written_before_every_exec)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	run_sample(py, &f);
	char central[PATH_MAX + 64], pyc[PATH_MAX + 128];
	harness_sample_pyc(central, sizeof central, &f, py, "app", "__init__", "");
	HARNESS_PATH(pyc, "%s/app/__pycache__/%s", f.tree, strrchr(central, '/') + 1);
	static const struct {
		const char *how;
		unsigned long long hits;
	} cases[] = {
		{ "execve", 1 },   { "execv", 1 },  { "execvp", 1 }, { "execvpe", 1 },
		{ "execl", 1 },    { "execlp", 1 }, { "execle", 1 }, { "fexecve", 1 },
		{ "execveat", 1 }, { "vfork", 1 },  { "exit", 1 },   { "_exit", 0 },
	};
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		zero_counts(&f);
		harness_run_redirected(
		    r, &f, f.tree, (const char *[]){ "PYCACHE_REDIRECT_SCOPE=all", NULL },
		    (const char *[]){ PCR_TEST_EXEC_CALLS, cases[i].how, pyc, NULL });
		cr_assert_eq(r->status, 0, "%s: %s", cases[i].how, r->err);
		cr_assert_eq(hits_now(&f), cases[i].hits, "%s", cases[i].how);
	}
	free(r);

	/* Python: a warm import that exits, then the same import followed by
	 * os.execv, or by subprocess (a vfork child on 3.10+), count the same. */
	const char *const scripts[] = {
		"import os, subprocess, app.stats",
		"import os, subprocess, app.stats; os.execv('/bin/true', ['true'])",
		"import os, subprocess, app.stats; subprocess.run(['true'], check=True)",
	};
	unsigned long long exited = 0;
	for (size_t i = 0; i < sizeof scripts / sizeof *scripts; i++) {
		zero_counts(&f);
		struct harness_result *p =
		    harness_python(&f, py, true, NULL, "-c", scripts[i], NULL);
		cr_assert_eq(p->status, 0, "%s: %s", scripts[i], p->err);
		free(p);
		if (i == 0)
			cr_assert_gt(exited = hits_now(&f), 0);
		else
			cr_assert_eq(hits_now(&f), exited, "%s", scripts[i]);
	}
	harness_fixture_fini(&f);
}

Test(store, stats_counts_an_orphan)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	run_sample(py, &f);
	char stats[PATH_MAX], moved[PATH_MAX];
	HARNESS_PATH(stats, "%s/app/stats", f.tree);
	HARNESS_PATH(moved, "%s/elsewhere", f.dir);
	cr_assert_eq(rename(stats, moved), 0);
	struct harness_result *r = cli(&f, (const char *[]){ "stats", "--json", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, ",\"orphans\":1,"), "%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* A missing root is an empty cache, and the root's name is escaped. */
Test(store, stats_of_a_missing_root_with_a_quote_in_its_name)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char root[PATH_MAX], expect[PATH_MAX * 2];
	HARNESS_PATH(root, "%s/ca\"ch\\e", f.dir);
	memcpy(f.root, root, sizeof root);
	HARNESS_PATH(
	    expect,
	    "{\"root\":\"%s/ca\\\"ch\\\\e\",\"health\":\"does not exist yet\",\"entries\":0,"
	    "\"files\":0,\"bytes\":0,\"disk_bytes\":0,\"source_dirs\":0,\"source_trees\":0,"
	    "\"orphans\":0,\"unrecorded\":0,\"old_layout_files\":0,\"old_layout_bytes\":0,"
	    "\"oldest\":null,\"newest\":null,\"max_size\":5368709120,"
	    "\"max_size_from\":\"the default\",\"cleanup_due\":false,\"hits\":0,\"misses\":0,"
	    "\"in_tree_reads\":0,\"refusals\":0}\n",
	    f.dir);
	struct harness_result *r = cli(&f, (const char *[]){ "stats", "--json", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect);
	cr_assert(!harness_exists(root), "stats created the root");
	free(r);
	harness_fixture_fini(&f);
}

/* ---- ls ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "<source>\n" and one "  <size>  <name>\n" per file of its entry, by name. */
static void expect_listing(char *out, size_t size, const struct harness_fixture *f, const char *rel)
{
	char source[PATH_MAX], entry[PATH_MAX];
	HARNESS_PATH(source, "%s/%s", f->tree, rel);
	layout_central_of_dir(entry, sizeof entry, f->root, source, NULL);
	size_t len = strlen(out);
	harness_format(out + len, size - len, "%s\n", source);
	DIR *d = opendir(entry);
	cr_assert(d, "%s", entry);
	char *names[64];
	size_t n = 0;
	for (struct dirent *de; (de = readdir(d)) && n < 64;)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 256], human_size[32];
		HARNESS_PATH(path, "%s/%s", entry, names[i]);
		pcr_cli_human_size((uint64_t)size_of(path), human_size);
		len = strlen(out);
		harness_format(out + len, size - len, "  %10s  %s\n", human_size, names[i]);
		free(names[i]);
	}
}

Test(store, ls_of_the_sample_tree_names_its_files)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	run_sample(py, &f);
	char expect[8192] = "";
	expect_listing(expect, sizeof expect, &f, "app");
	expect_listing(expect, sizeof expect, &f, "app/stats");
	cr_assert(strstr(expect, "  count.") && strstr(expect, "  __main__."), "%s", expect);

	struct harness_result *r = cli(&f, (const char *[]){ "ls", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect);
	free(r);
	/* The same from inside the tree, and spelled relative to it. */
	char app[PATH_MAX];
	HARNESS_PATH(app, "%s/app", f.tree);
	r = cli_in(&f, app, (const char *[]){ "ls", NULL });
	cr_assert_str_eq(r->out, expect);
	free(r);
	r = cli(&f, (const char *[]){ "ls", "./app/", NULL });
	cr_assert_str_eq(r->out, expect);
	free(r);
	/* A directory with nothing cached lists nothing. */
	r = cli(&f, (const char *[]){ "ls", f.dir, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, f.tree) != NULL, "f.dir holds the tree: %s", r->out);
	free(r);
	r = cli(&f, (const char *[]){ "ls", "/nonexistent-pcr-dir", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_empty(r->out);
	free(r);
	harness_fixture_fini(&f);
}

Test(store, ls_json_of_a_subdirectory)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	run_sample(py, &f);
	char source[PATH_MAX], entry[PATH_MAX], init[PATH_MAX + 64], count[PATH_MAX + 64];
	HARNESS_PATH(source, "%s/app/stats", f.tree);
	layout_central_of_dir(entry, sizeof entry, f.root, source, NULL);
	harness_sample_pyc(init, sizeof init, &f, py, "app/stats", "__init__", "");
	harness_sample_pyc(count, sizeof count, &f, py, "app/stats", "count", "");
	char expect[PATH_MAX * 3];
	HARNESS_PATH(expect,
		     "[{\"source\":\"%s\",\"entry\":\"%s\",\"files\":["
		     "{\"name\":\"__init__.%s.pyc\",\"bytes\":%lld},"
		     "{\"name\":\"count.%s.pyc\",\"bytes\":%lld}]}]\n",
		     source, entry, py->tag, (long long)size_of(init), py->tag,
		     (long long)size_of(count));
	struct harness_result *r = cli(&f, (const char *[]){ "ls", "--json", "app/stats", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect);
	free(r);
	r = cli(&f, (const char *[]){ "ls", "--json", "/nonexistent-pcr-dir", NULL });
	cr_assert_str_eq(r->out, "[]\n");
	free(r);
	harness_fixture_fini(&f);
}

/* A tree whose directory name holds a byte that is not UTF-8 and an escape
 * sequence: ls --json is valid UTF-8 JSON that Python reads strictly, and
 * os.fsencode gives the name's bytes back; ls on a terminal (script(1)
 * gives it one) shows the escape as \x1b, never sends it. */
Test(store, hostile_names_are_valid_json_and_shown_escaped)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char weird[PATH_MAX], pkg[PATH_MAX + 16];
	HARNESS_PATH(weird,
		     "%s/we\xff"
		     "ird\x1b[31m",
		     f.tree);
	HARNESS_PATH(pkg, "%s/hostile", weird);
	cr_assert(mkdir(weird, 0755) == 0 && mkdir(pkg, 0755) == 0);
	char init[PATH_MAX + 32];
	HARNESS_PATH(init, "%s/__init__.py", pkg);
	harness_write_file(init, "X = 1\n");
	char pythonpath[PATH_MAX + 16];
	HARNESS_PATH(pythonpath, "PYTHONPATH=%s", weird);
	struct harness_result *r = harness_python(
	    &f, py, true, (const char *[]){ pythonpath, NULL }, "-c", "import hostile", NULL);
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);

	r = cli(&f, (const char *[]){ "ls", "--json", weird, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	char json[PATH_MAX + 64];
	HARNESS_PATH(json, "%s/ls.json", f.dir);
	harness_write_file(json, r->out);
	cr_assert(!strchr(r->out, '\x1b') && !strchr(r->out, '\xff'), "raw bytes: %s", r->out);
	free(r);
	r = harness_python(&f, py, false, NULL, "-c",
			   "import json, os, sys\n"
			   "text = open(sys.argv[1], 'rb').read().decode('utf-8', 'strict')\n"
			   "entries = json.loads(text)\n"
			   "print(os.fsencode(entries[0]['source']) == os.fsencode(sys.argv[2]))\n",
			   json, pkg, NULL);
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, "True\n", "%s", r->err);
	free(r);

	char script[PATH_MAX];
	if (!harness_have_program("script", script, sizeof script)) {
		fprintf(stderr, "e2e: skipped ls on a terminal: no script(1)\n");
		harness_fixture_fini(&f);
		return;
	}
	char command[PATH_MAX * 2];
	HARNESS_PATH(command, "'%s' ls .", PCR_TEST_CLI);
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	r = malloc(sizeof *r);
	harness_run(r, weird, (const char *[]){ dir, NULL },
		    (const char *[]){ script, "-qec", command, "/dev/null", NULL });
	cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
	cr_assert(strstr(r->out, "we\\xffird\\x1b[31m/hostile"), "%s", r->out);
	cr_assert(!strchr(r->out, '\x1b'), "the escape reached the terminal: %s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* ---- clear ---- */

Test(store, clear_of_a_subdirectory_removes_only_its_entry)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	run_sample(py, &f);
	char stats[PATH_MAX], entry[PATH_MAX], record[PATH_MAX + 8];
	HARNESS_PATH(stats, "%s/app/stats", f.tree);
	layout_central_of_dir(entry, sizeof entry, f.root, stats, NULL);
	HARNESS_PATH(record, "%s.src", entry);
	cr_assert(harness_exists(record));
	char init[PATH_MAX + 64], count[PATH_MAX + 64], size[64], expect[128];
	harness_sample_pyc(init, sizeof init, &f, py, "app/stats", "__init__", "");
	harness_sample_pyc(count, sizeof count, &f, py, "app/stats", "count", "");
	sizes(size, sizeof size, (uint64_t)(size_of(init) + size_of(count)),
	      entry_disk(entry, (const char *[]){ init, count, NULL }));
	HARNESS_PATH(expect, "removed 1 entry, 2 files, %s\n", size);
	struct scan before = scan(&f);

	/* A dry run says the same, with "would remove", and removes nothing. */
	char would[160];
	HARNESS_PATH(would, "would remove 1 entry, 2 files, %s\n", size);
	struct harness_result *r =
	    cli(&f, (const char *[]){ "clear", "--dry-run", "app/stats", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, would);
	free(r);
	cr_assert(harness_exists(entry) && harness_exists(record), "the dry run removed the entry");
	cr_assert_eq(scan(&f).files, before.files, "the dry run removed files");
	r = cli(&f, (const char *[]){ "clear", "app/stats", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect);
	free(r);
	cr_assert(!harness_exists(entry) && !harness_exists(record));
	for (size_t i = 0; i < 4; i++) { /* the modules of app stay */
		char pyc[PATH_MAX];
		harness_sample_pyc(pyc, sizeof pyc, &f, py, harness_sample_modules[i].dir,
				   harness_sample_modules[i].name, "");
		cr_assert(harness_exists(pyc), "clear app/stats removed %s", pyc);
	}
	struct scan after = scan(&f);
	cr_assert_eq(after.entries, 1);
	cr_assert_eq(after.files, before.files - 2);
	harness_fixture_fini(&f);
}

static void clear_all_then_rebuild(const struct harness_interp *py, struct harness_fixture *f)
{
	run_sample(py, f);
	struct scan before = scan(f);
	char size[64], expect[128];
	sizes(size, sizeof size, before.bytes, before.entries_disk);
	HARNESS_PATH(expect, "removed 2 entries, %d files, %s\n", HARNESS_SAMPLE_MODULES, size);
	char would[160];
	HARNESS_PATH(would, "would remove %s", expect + strlen("removed "));
	struct harness_result *r = cli(f, (const char *[]){ "clear", "--dry-run", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, would, "%s", py->label);
	free(r);
	cr_assert_eq(scan(f).files, before.files, "%s: clear --dry-run removed files", py->label);
	r = cli(f, (const char *[]){ "clear", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect, "%s", py->label);
	free(r);
	struct scan after = scan(f);
	cr_assert_eq(after.entries + after.files, 0);
	cr_assert_eq(harness_count_files(f->root, ".src"), 0);

	r = cli(f, (const char *[]){ "clear", NULL });
	cr_assert_str_eq(r->out, "removed 0 entries, 0 files, 0 B, 0 B on disk\n");
	free(r);

	run_sample(py, f); /* the next import writes it all again */
	harness_assert_tree_clean(f, py);
	cr_assert_eq(scan(f).entries, 2);
}

Test(store, clear_removes_everything_and_the_next_import_rebuilds_it)
{
	harness_each_python(clear_all_then_rebuild);
}

/* ---- prune ---- */

Test(store, prune_orphans_removes_only_the_entry_of_a_deleted_directory)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	run_sample(py, &f);
	char stats[PATH_MAX], app[PATH_MAX], entry[PATH_MAX], kept[PATH_MAX], record[PATH_MAX + 8];
	HARNESS_PATH(stats, "%s/app/stats", f.tree);
	HARNESS_PATH(app, "%s/app", f.tree);
	layout_central_of_dir(entry, sizeof entry, f.root, stats, NULL);
	layout_central_of_dir(kept, sizeof kept, f.root, app, NULL);
	HARNESS_PATH(record, "%s.src", entry);
	char init[PATH_MAX + 64], count[PATH_MAX + 64], size[64], expect[PATH_MAX + 128];
	harness_sample_pyc(init, sizeof init, &f, py, "app/stats", "__init__", "");
	harness_sample_pyc(count, sizeof count, &f, py, "app/stats", "count", "");
	sizes(size, sizeof size, (uint64_t)(size_of(init) + size_of(count)),
	      entry_disk(entry, (const char *[]){ init, count, NULL }));
	struct scan before = scan(&f);
	harness_rmtree(stats);

	/* A dry run says what would go, and leaves it. */
	HARNESS_PATH(expect,
		     "would remove %s: 2 files, %s (orphan)\n"
		     "would remove 1 entry, 2 files, %s\n",
		     stats, size, size);
	struct harness_result *r =
	    cli(&f, (const char *[]){ "prune", "--orphans", "--dry-run", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect);
	free(r);
	cr_assert(harness_exists(entry) && harness_exists(record));

	HARNESS_PATH(expect, "removed 1 entry, 2 files, %s\n", size);
	r = cli(&f, (const char *[]){ "prune", "--orphans", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect);
	cr_assert_str_empty(r->err);
	free(r);
	cr_assert(!harness_exists(entry) && !harness_exists(record));
	cr_assert(harness_exists(kept));
	struct scan after = scan(&f);
	cr_assert_eq(after.entries, 1);
	cr_assert_eq(after.files, before.files - 2);
	for (size_t i = 0; i < 4; i++) { /* the modules of app stay */
		char pyc[PATH_MAX];
		harness_sample_pyc(pyc, sizeof pyc, &f, py, harness_sample_modules[i].dir,
				   harness_sample_modules[i].name, "");
		cr_assert(harness_exists(pyc), "prune --orphans removed %s", pyc);
	}
	harness_fixture_fini(&f);
}

static void prune_to_the_least_empties(const struct harness_interp *py, struct harness_fixture *f)
{
	run_sample(py, f);
	struct scan before = scan(f);
	char size[64], expect[128];
	sizes(size, sizeof size, before.bytes, before.entries_disk);
	HARNESS_PATH(expect, "removed 2 entries, %d files, %s\n", HARNESS_SAMPLE_MODULES, size);
	/* Everything is younger than a week, and the cache under 1 G. */
	struct harness_result *r =
	    cli(f, (const char *[]){ "prune", "--older-than", "1w", "--max-size", "1G", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, "removed 0 entries, 0 files, 0 B, 0 B on disk\n", "%s", py->label);
	free(r);
	/* 0 is no limit, as for config max-size: refused, nothing removed. */
	r = cli(f, (const char *[]){ "prune", "--max-size", "0", NULL });
	cr_assert_eq(r->status, 2, "%s", r->err);
	cr_assert(strstr(r->err, "--max-size 0 is no limit"), "%s", r->err);
	free(r);
	cr_assert_eq(scan(f).files, before.files, "%s: prune --max-size 0 removed files",
		     py->label);
	r = cli(f, (const char *[]){ "prune", "--max-size", "1B", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect, "%s", py->label);
	free(r);
	struct scan after = scan(f);
	cr_assert_eq(after.entries + after.files, 0);
	cr_assert_eq(harness_count_files(f->root, ".src"), 0);
	run_sample(py, f); /* the next import writes it all again */
	harness_assert_tree_clean(f, py);
}

Test(store, prune_to_one_byte_empties_the_cache_and_0_is_no_limit)
{
	harness_each_python(prune_to_the_least_empties);
}

Test(store, prune_bad_values_exit_2)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	const char *const cases[][4] = {
		{ "prune", "--older-than", "30", NULL },
		{ "prune", "--older-than", "30y", NULL },
		{ "prune", "--older-than", "d", NULL },
		{ "prune", "--older-than", "-1d", NULL },
		{ "prune", "--older-than", "99999999999999999999d", NULL },
		{ "prune", "--max-size", "", NULL },
		{ "prune", "--max-size", "2X", NULL },
		{ "prune", "--max-size", "1.5G", NULL },
		{ "prune", "--max-size", "2GB", NULL },
		{ "prune", "--max-size", "99999999999T", NULL },
		{ "prune", "--max-size", NULL },
		{ "prune", "--orphans", "extra", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct harness_result *r = cli(&f, cases[i]);
		cr_assert_eq(r->status, 2, "case %zu (%s %s): exit %d", i, cases[i][1],
			     cases[i][2] ? cases[i][2] : "", r->status);
		cr_assert(strstr(r->err, "pycache-redirect: "), "case %zu: %s", i, r->err);
		cr_assert_str_empty(r->out, "case %zu wrote on stdout", i);
		free(r);
	}
	cr_assert(!harness_exists(f.root) || harness_count_files(f.root, ".src") == 0);
	struct harness_result *r =
	    cli(&f, (const char *[]){ "prune", "--older-than", "12h", "--max-size", "500m", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
	r = cli(&f, (const char *[]){ "--help", NULL });
	cr_assert(strstr(r->out, "  prune [--orphans] [--older-than AGE] [--max-size SIZE]"));
	free(r);
	harness_fixture_fini(&f);
}

/* ---- refusals and usage ---- */

Test(store, a_refused_root_is_left_alone)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	run_sample(py, &f);
	cr_assert_eq(chmod(f.root, 0770), 0);
	const char *const cases[][3] = {
		{ "stats", NULL }, { "ls", NULL }, { "clear", NULL }, { "prune", "--orphans", NULL }
	};
	for (size_t i = 0; i < 4; i++) {
		struct harness_result *r = cli(&f, cases[i]);
		cr_assert_eq(r->status, 1, "%s: exit %d", cases[i][0], r->status);
		cr_assert(strstr(r->err, "is writable by group or others"), "%s: %s", cases[i][0],
			  r->err);
		cr_assert_str_empty(r->out);
		free(r);
	}
	cr_assert_eq(chmod(f.root, 0700), 0);
	harness_assert_sample_cached(&f, py, "", "after a refused clear");
	harness_fixture_fini(&f);
}

Test(store, bad_usage_exits_2)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	const char *const cases[][4] = {
		{ "stats", "extra", NULL },  { "stats", "--bogus", NULL },
		{ "ls", "a", "b", NULL },    { "ls", "--json=1", NULL },
		{ "ls", "", NULL },          { "clear", "a", "b", NULL },
		{ "clear", "--json", NULL }, { "clear", "", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct harness_result *r = cli(&f, cases[i]);
		cr_assert_eq(r->status, 2, "case %zu (%s %s): exit %d", i, cases[i][0], cases[i][1],
			     r->status);
		cr_assert(strstr(r->err, "pycache-redirect: "), "case %zu: %s", i, r->err);
		cr_assert_str_empty(r->out, "case %zu wrote on stdout", i);
		free(r);
	}
	struct harness_result *r = cli(&f, (const char *[]){ "--help", NULL });
	cr_assert(strstr(r->out, "  stats [--json]") && strstr(r->out, "  ls [DIR] [--json]") &&
		  strstr(r->out, "  clear [DIR]"));
	free(r);
	harness_fixture_fini(&f);
}

/* A cache an older version left, in layout v1 (keyed by the spelling of a
 * path, which could hand one directory's pycs to another): nothing reads it;
 * stats counts it, a clear or a prune removes it, a dry run only says so,
 * and the current layout's entries stay. */
static void write_v1(const struct harness_fixture *f)
{
	char path[PATH_MAX];
	const char *dirs[] = { "v1", "v1/ab", "v1/ab/ab0123456789abcdef0123456789abcd" };
	for (size_t i = 0; i < 3; i++) {
		HARNESS_PATH(path, "%s/%s", f->root, dirs[i]);
		cr_assert(mkdir(path, 0700) == 0 || errno == EEXIST, "%s: %s", path,
			  strerror(errno));
	}
	HARNESS_PATH(path, "%s/%s/m.cpython-311.pyc", f->root, dirs[2]);
	harness_write_file(path, "0123456789");
	HARNESS_PATH(path, "%s/v1/usage", f->root);
	harness_write_file(path, "xx");
}

Test(store, the_old_layout_is_counted_then_removed)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	free(harness_run_app(&f, py, NULL, NULL));
	write_v1(&f);
	char v1[PATH_MAX];
	HARNESS_PATH(v1, "%s/v1", f.root);

	struct harness_result *r = cli(&f, (const char *[]){ "stats", NULL });
	cr_assert(strstr(r->out, "old layout     v1: 2 files, 12 B, no longer read"), "%s", r->out);
	free(r);
	r = cli(&f, (const char *[]){ "prune", "--dry-run", NULL });
	cr_assert(strstr(r->out, "would remove the old layout v1: 2 files, 12 B\n"), "%s", r->out);
	cr_assert(harness_exists(v1), "a dry run removed v1");
	free(r);
	r = cli(&f, (const char *[]){ "prune", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, "removed the old layout v1: 2 files, 12 B\n"), "%s", r->out);
	cr_assert(!harness_exists(v1), "prune left v1");
	free(r);
	harness_assert_sample_cached(&f, py, "", "after the old layout went");

	write_v1(&f);
	r = cli(&f, (const char *[]){ "clear", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(!harness_exists(v1), "clear left v1");
	free(r);
	harness_fixture_fini(&f);
}
