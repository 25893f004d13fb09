/* stats, ls, prune, clear and doctor, through the built command, on a
 * generated cache of 50,000 files: 2,500 entries of 20 files each, in ten
 * source trees, with orphans, entries without (valid) records, and known
 * sizes and times. Each test writes its own cache directly with the
 * documented layout (keys from the system's xxHash, as the harness computes
 * them), then runs commands one after the other, and after each checks its
 * exact output, what stats says, and, entry by entry, what is gone and what
 * is intact. Three tests, so three caches: writing 50,000 files is most of
 * the time a test takes. Each command's time is logged (--verbose). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli/cli.h"
#include "tests/harness.h"

#define TREES 10
#define PER_TREE 250
#define ENTRIES (TREES * PER_TREE)
#define FILES 20
#define HOUR 3600
#define ORPHAN_TREE 9 /* a tree whose directory is gone: every entry an orphan */
#define RECORDED_PER_TREE (PER_TREE - 20) /* 10 without a record, 10 with a bad one */
#define OLD_RANK 1440 /* --older-than 60d picks the entries of this rank and above */

/* The entry's <key>.src. Only RECORDED counts as a record: the other two are
 * damaged ones (a relative path, no newline), which the store must take for
 * none. (A record naming a directory that is not the entry's any more makes
 * an orphan: e2e_trust.) */
enum record { RECORDED, NO_RECORD, RELATIVE, NO_NEWLINE };

struct gen_entry {
	char source[128];
	char entry[192]; /* <root>/v2/<k0k1>/<key> */
	const char *key; /* in entry */
	int tree;
	enum record record;
	bool missing;  /* its source directory was never made */
	bool orphan;   /* recorded and missing */
	unsigned rank; /* 0: the most recently used */
	time_t mtime;  /* of the entry directory */
	uint64_t bytes;
	uint64_t disk; /* its directory's, files' and record's blocks, as du counts them */
	bool gone;     /* removed by a command of the test */
};

static struct {
	char dir[PATH_MAX];  /* everything: removed at the end */
	char cwd[PATH_MAX];  /* dir/src, where the command runs */
	char base[PATH_MAX]; /* dir/trees, the trees: base/t00 ... base/t09 */
	char root[PATH_MAX]; /* dir/cache, the cache root */
	time_t now;
	struct gen_entry e[ENTRIES];
	size_t recorded, orphans;
	uint64_t bytes, disk;
} gen;

/* ---- the generated cache ---- */

static const char *const file_names[FILES] = {
	"m00.cpython-311.pyc",       "m01.cpython-311.pyc",
	"m02.cpython-311.pyc",       "m03.cpython-311.pyc",
	"m04.cpython-311.pyc",       "m05.cpython-311.pyc",
	"m06.cpython-311.pyc",       "m07.cpython-311.pyc",
	"m08.cpython-311.pyc",       "m09.cpython-311.pyc",
	"m10.cpython-311.pyc",       "m11.cpython-311.pyc",
	"m12.cpython-311.pyc",       "__init__.cpython-311.pyc",
	"__main__.cpython-311.pyc",  "m00.cpython-311.opt-1.pyc",
	"m00.cpython-311.opt-2.pyc", "m00.pypy39.pyc",
	"m00.cpython-312.pyc",       "test_m.cpython-311-pytest-7.2.1.pyc",
};

static size_t file_size(size_t i, size_t j) { return 100 + (i * 131 + j * 977) % 1900; }

static time_t file_mtime(const struct gen_entry *e, size_t j) { return e->mtime - 7 * (time_t)j; }

/* Tree t's entry l: the tree itself (l 0), then triples base/tNN/pGGG,
 * base/tNN/pGGG/sub and base/tNN/pGGG-b, whose order tells a sort that
 * keeps a directory's subdirectories after it from a plain strcmp. */
static void name_source(char *out, size_t size, int t, size_t l)
{
	static const char *const kinds[] = { "", "/sub", "-b" };
	if (l == 0)
		harness_format(out, size, "%s/t%02d", gen.base, t);
	else
		harness_format(out, size, "%s/t%02d/p%03zu%s", gen.base, t, (l - 1) / 3,
			       kinds[(l - 1) % 3]);
}

static void make_dir(const char *path)
{
	cr_assert(mkdir(path, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", path, strerror(errno));
}

static void plan(size_t i)
{
	struct gen_entry *e = &gen.e[i];
	size_t l = i % PER_TREE, g = l ? (l - 1) / 3 : 0;
	e->tree = (int)(i / PER_TREE);
	name_source(e->source, sizeof e->source, e->tree, l);
	/* Every tree's own entry is recorded: ten trees. */
	e->record = l % 25 == 12   ? NO_RECORD
		    : l % 50 == 13 ? RELATIVE
		    : l % 50 == 38 ? NO_NEWLINE
				   : RECORDED;
	/* Leaves (-b) only, so that what is made below a missing one stays made. */
	e->missing = e->tree == ORPHAN_TREE || (l > 0 && (l - 1) % 3 == 2 && g % 7 == 3);
	/* The key of a directory is its identity: it is made first (its parent
	 * came earlier). A missing one's entry is keyed by its spelling, as an
	 * entry whose directory is gone would be by any identity. */
	if (!e->missing) {
		make_dir(e->source);
		layout_central_of_dir(e->entry, sizeof e->entry, gen.root, e->source, NULL);
	} else {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits(e->source, strlen(e->source)));
		char key[33];
		for (int k = 0; k < 16; k++)
			sprintf(key + 2 * k, "%02x", c.digest[k]);
		HARNESS_PATH(e->entry, "%s/v2/%.2s/%s", gen.root, key, key);
	}
	e->key = strrchr(e->entry, '/') + 1;
	e->orphan = e->record == RECORDED && e->missing;
	/* A permutation of 0..ENTRIES-1 (7919 is prime to 2,500), half an hour
	 * off the hour so that the test's own run time never crosses a limit. */
	e->rank = (unsigned)((i * 7919) % ENTRIES);
	e->mtime = gen.now - HOUR / 2 - (time_t)e->rank * HOUR;
}

/* A file of size bytes, text or, without text, allocated but never written
 * (the store reads the sizes and the blocks, never the bytes). */
static void put_file(int dir, const char *name, const char *text, size_t size, time_t mtime)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert(fd >= 0, "create %s: %s", name, strerror(errno));
	if (text)
		cr_assert_eq(write(fd, text, size), (ssize_t)size, "write %s", name);
	else if (size)
		cr_assert_eq(posix_fallocate(fd, 0, (off_t)size), 0, "fallocate %s", name);
	if (mtime) {
		struct timespec t[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };
		cr_assert(futimens(fd, t) == 0, "futimens %s", name);
	}
	cr_assert(close(fd) == 0);
}

static void write_entry(size_t i)
{
	struct gen_entry *e = &gen.e[i];
	if (!e->missing)
		make_dir(e->source);
	char shard[PATH_MAX];
	HARNESS_PATH(shard, "%.*s", (int)(e->key - 1 - e->entry), e->entry);
	make_dir(shard);
	cr_assert(mkdir(e->entry, 0700) == 0, "mkdir %s: %s", e->entry, strerror(errno));
	int dir = open(e->entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(dir >= 0);
	for (size_t j = 0; j < FILES; j++) {
		size_t size = file_size(i, j);
		put_file(dir, file_names[j], NULL, size, file_mtime(e, j));
		e->bytes += size;
	}
	/* Last: the files' creation moved it. */
	struct timespec t[2] = { { .tv_sec = e->mtime }, { .tv_sec = e->mtime } };
	cr_assert(futimens(dir, t) == 0);
	close(dir);
	gen.bytes += e->bytes;

	char text[PATH_MAX];
	if (e->record == RECORDED)
		HARNESS_PATH(text, "%s\n", e->source);
	else if (e->record == RELATIVE)
		HARNESS_PATH(text, "%s\n", e->source + 1);
	else if (e->record == NO_NEWLINE)
		HARNESS_PATH(text, "%s", e->source);
	if (e->record != NO_RECORD) {
		int fd = open(shard, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char name[64];
		HARNESS_PATH(name, "%s.src", e->key);
		put_file(fd, name, text, strlen(text), 0);
		close(fd);
	}
	gen.recorded += e->record == RECORDED;
	gen.orphans += e->orphan;
}

static uint64_t blocks_at(int dir, const char *name)
{
	struct stat st;
	cr_assert_eq(fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW), 0, "%s", name);
	return (uint64_t)st.st_blocks * 512;
}

/* What entry i takes on disk, once every entry is written. */
static void measure_entry(size_t i)
{
	struct gen_entry *e = &gen.e[i];
	e->disk = blocks_at(AT_FDCWD, e->entry);
	int dir = open(e->entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(dir >= 0);
	for (size_t j = 0; j < FILES; j++)
		e->disk += blocks_at(dir, file_names[j]);
	close(dir);
	if (e->record != NO_RECORD) {
		char record[PATH_MAX];
		HARNESS_PATH(record, "%s.src", e->entry);
		e->disk += blocks_at(AT_FDCWD, record);
	}
	gen.disk += e->disk;
}

/* The shard directories' blocks, which stats counts on top of the entries'. */
static uint64_t shards_disk(void)
{
	char layout[PATH_MAX];
	HARNESS_PATH(layout, "%s/v2", gen.root);
	DIR *d = opendir(layout);
	cr_assert(d);
	uint64_t disk = 0;
	for (struct dirent *de; (de = readdir(d));)
		if (strlen(de->d_name) == 2 && de->d_name[0] != '.')
			disk += blocks_at(dirfd(d), de->d_name);
	closedir(d);
	return disk;
}

static double ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* A fresh directory with the trees and the cache. On a tmpfs (/dev/shm)
 * where there is one: the commands do the same there, and 50,000 creations
 * and removals on a busy disk can take minutes, not seconds. */
static void generate(void)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	memset(&gen, 0, sizeof gen);
	struct stat st;
	bool shm = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
		   access("/dev/shm", W_OK | X_OK) == 0;
	HARNESS_PATH(gen.dir, "%s/pcr-e2e-large-XXXXXX", shm ? "/dev/shm" : "/tmp");
	cr_assert(mkdtemp(gen.dir), "mkdtemp %s: %s", gen.dir, strerror(errno));
	HARNESS_PATH(gen.cwd, "%s/src", gen.dir);
	HARNESS_PATH(gen.base, "%s/trees", gen.dir);
	HARNESS_PATH(gen.root, "%s/cache", gen.dir);
	gen.now = time(NULL);
	char layout[PATH_MAX];
	HARNESS_PATH(layout, "%s/v2", gen.root);
	make_dir(gen.cwd);
	make_dir(gen.base);
	make_dir(gen.root);
	make_dir(layout);
	for (size_t i = 0; i < ENTRIES; i++)
		plan(i);
	for (size_t i = 0; i < ENTRIES; i++)
		write_entry(i);
	for (size_t i = 0; i < ENTRIES; i++)
		measure_entry(i);
	/* The recorded ones of the gone tree, and ten missing leaves in each other. */
	cr_assert_eq(gen.orphans, RECORDED_PER_TREE + (TREES - 1) * 10, "%zu orphans", gen.orphans);
	cr_assert_eq(gen.recorded, TREES * RECORDED_PER_TREE);
	cr_log_info("generated %d entries, %d files, %llu bytes in %s in %.0f ms", ENTRIES,
		    ENTRIES * FILES, (unsigned long long)gen.bytes, gen.dir, ms_since(&start));
}

static void done(void) { harness_rmtree(gen.dir); }

/* ---- what is on disk, entry by entry ---- */

/* Whether entry i is as generated: its directory, mtime, files and record. */
static bool is_intact(size_t i, char *why, size_t size)
{
	const struct gen_entry *e = &gen.e[i];
	struct stat st;
	if (lstat(e->entry, &st) < 0 || !S_ISDIR(st.st_mode))
		return harness_format(why, size, "no directory"), false;
	if (st.st_mtime != e->mtime)
		return harness_format(why, size, "mtime %lld moved", (long long)st.st_mtime), false;
	DIR *d = opendir(e->entry);
	cr_assert(d);
	size_t n = 0;
	uint64_t bytes = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode)) {
			n++;
			bytes += (uint64_t)st.st_size;
		}
	}
	closedir(d);
	if (n != FILES || bytes != e->bytes)
		return harness_format(why, size, "%zu files, %llu bytes", n,
				      (unsigned long long)bytes),
		       false;
	char record[PATH_MAX];
	HARNESS_PATH(record, "%s.src", e->entry);
	if (harness_exists(record) != (e->record != NO_RECORD))
		return harness_format(why, size, "record %s",
				      harness_exists(record) ? "appeared" : "gone"),
		       false;
	return true;
}

static bool is_gone(size_t i)
{
	char record[PATH_MAX];
	HARNESS_PATH(record, "%s.src", gen.e[i].entry);
	return !harness_exists(gen.e[i].entry) && !harness_exists(record);
}

/* Fails unless each entry marked gone is gone, with its record, and each
 * other is intact; what names the step. */
static void assert_on_disk(const char *what)
{
	for (size_t i = 0; i < ENTRIES; i++) {
		const struct gen_entry *e = &gen.e[i];
		char why[128] = "";
		if (e->gone)
			cr_assert(is_gone(i), "%s: %s (%s) is still there", what, e->source,
				  e->entry);
		else
			cr_assert(is_intact(i, why, sizeof why), "%s: %s (%s): %s", what, e->source,
				  e->entry, why);
	}
}

/* ---- the command ---- */

struct run {
	int status;
	char *out; /* all of stdout: a listing of thousands of entries */
	char err[1 << 16];
	double ms;
};

/* The command with args, in the fixture's tree, the cache root set, and a
 * HOME of the fixture's whose ~/.bashrc switches the redirect on (as
 * enable writes it: doctor finds it on); stdout goes through a file, as
 * harness_result holds 64 KiB only. It must exit 0 and say nothing on
 * stderr. */
static struct run *cli(const char *const *args)
{
	char out[PATH_MAX], env[PATH_MAX + 32], home[PATH_MAX + 8], config[PATH_MAX + 32],
	    bashrc[PATH_MAX];
	HARNESS_PATH(out, "%s/stdout", gen.dir);
	HARNESS_PATH(env, "PYCACHE_REDIRECT_DIR=%s", gen.root);
	HARNESS_PATH(home, "HOME=%s", gen.dir);
	HARNESS_PATH(config, "XDG_CONFIG_HOME=%s/.config", gen.dir);
	HARNESS_PATH(bashrc, "%s/.bashrc", gen.dir);
	harness_write_file(bashrc, "# >>> pycache-redirect >>>\n"
				   "command -v pycache-redirect >/dev/null && "
				   "eval \"$(pycache-redirect env)\"\n"
				   "# <<< pycache-redirect <<<\n");
	const char *argv[32] = { "/bin/sh", "-c", "out=$1; shift; exec \"$@\" >\"$out\"",
				 "sh",      out,  PCR_TEST_CLI };
	size_t n = 6;
	char words[512] = "";
	for (; *args && n < 31; args++) {
		argv[n++] = *args;
		size_t len = strlen(words);
		snprintf(words + len, sizeof words - len, "%s%s", len ? " " : "", *args);
	}
	argv[n] = NULL;
	struct harness_result *r = malloc(sizeof *r);
	struct run *run = malloc(sizeof *run);
	cr_assert(r && run);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	harness_run(r, gen.cwd, (const char *[]){ env, home, config, NULL }, argv);
	run->ms = ms_since(&start);
	run->status = r->status;
	memcpy(run->err, r->err, sizeof run->err);
	free(r);
	struct stat st;
	cr_assert(stat(out, &st) == 0);
	run->out = malloc((size_t)st.st_size + 1);
	cr_assert(run->out);
	cr_assert_eq(harness_read_file(out, run->out, (size_t)st.st_size + 1), st.st_size);
	unlink(out);
	cr_assert_eq(run->status, 0, "%s: exit %d: %s", words, run->status, run->err);
	cr_assert_str_empty(run->err, "%s: %s", words, run->err);
	cr_log_info("%s: %.0f ms", words, run->ms);
	return run;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r);
}

/* ---- what the command should say ---- */

/* "removed 3 entries, 60 files, 58.6 KiB, 80.0 KiB on disk" (verb "removed" or
 * "would remove"). */
static void removed_line(char *buf, size_t size, const char *verb, size_t entries, uint64_t bytes,
			 uint64_t disk)
{
	char h[32], d[32];
	pcr_cli_human_size(bytes, h);
	pcr_cli_human_size(disk, d);
	harness_format(buf, size, "%s %zu entr%s, %zu file%s, %s, %s on disk", verb, entries,
		       entries == 1 ? "y" : "ies", entries * FILES, entries * FILES == 1 ? "" : "s",
		       h, d);
}

/* Whether text holds line as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* The lines of text, split in place. */
static size_t split_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;
	for (char *save, *p = strtok_r(text, "\n", &save); p && n < max;
	     p = strtok_r(NULL, "\n", &save))
		lines[n++] = p;
	return n;
}

static unsigned long long json_number(const char *json, const char *name)
{
	char key[64];
	HARNESS_PATH(key, "\"%s\":", name);
	const char *p = strstr(json, key);
	cr_assert(p, "no %s in %s", name, json);
	char *end;
	errno = 0;
	unsigned long long n = strtoull(p + strlen(key), &end, 10);
	cr_assert(errno == 0 && end != p + strlen(key), "%s is no number in %s", name, json);
	return n;
}

/* A string member's value, or "null". */
static void json_string(const char *json, const char *name, char *out, size_t size)
{
	char key[64];
	HARNESS_PATH(key, "\"%s\":", name);
	const char *p = strstr(json, key);
	cr_assert(p, "no %s in %s", name, json);
	p += strlen(key);
	if (*p == '"')
		p++;
	harness_format(out, size, "%.*s", (int)strcspn(p, "\","), p);
}

/* Directory paths ordered as if '/' came before every other byte: a tree's
 * subdirectories right after it. */
static int tree_order(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = *a == '/' ? 1 : (unsigned char)*a, y = *b == '/' ? 1 : (unsigned char)*b;
		if (x != y || !x)
			return x - y;
	}
}

static bool within(const char *source, const char *dir)
{
	size_t len = strlen(dir);
	return strncmp(source, dir, len) == 0 && (source[len] == '\0' || source[len] == '/');
}

static int by_source(const void *a, const void *b)
{
	return tree_order(gen.e[*(const size_t *)a].source, gen.e[*(const size_t *)b].source);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(file_names[*(const size_t *)a], file_names[*(const size_t *)b]);
}

/* Least recently used first. */
static int by_age(const void *a, const void *b)
{
	time_t x = gen.e[*(const size_t *)a].mtime, y = gen.e[*(const size_t *)b].mtime;
	return x < y ? -1 : x > y;
}

static int cmp_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries still there with a record naming dir or a directory below it
 * (all that are still there when dir is NULL), in the order ls lists them. */
static size_t entries_in(const char *dir, size_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < ENTRIES; i++) {
		const struct gen_entry *e = &gen.e[i];
		if (!e->gone && (!dir || (e->record == RECORDED && within(e->source, dir))))
			out[n++] = i;
	}
	qsort(out, n, sizeof *out, by_source);
	return n;
}

/* A growing string. */
struct text {
	char *s;
	size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	char buf[PATH_MAX * 2];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < sizeof buf);
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = 2 * (t->len + (size_t)n + 1);
		t->s = realloc(t->s, t->cap);
		cr_assert(t->s);
	}
	memcpy(t->s + t->len, buf, (size_t)n + 1);
	t->len += (size_t)n;
}

/* ---- stats ---- */

/* What stats must say about the entries still there, worked out from the
 * plan. */
struct expected_stats {
	size_t entries, sources, trees, orphans, unrecorded;
	uint64_t bytes, disk;
	time_t oldest, newest; /* of the files */
};

static struct expected_stats expect_stats(void)
{
	static size_t in[ENTRIES];
	struct expected_stats s = { 0 };
	size_t n = entries_in(NULL, in);
	const char *top = NULL;
	for (size_t k = 0; k < n; k++) { /* in tree order: a tree's top comes first */
		const struct gen_entry *e = &gen.e[in[k]];
		s.entries++;
		s.bytes += e->bytes;
		s.disk += e->disk;
		/* File j is 7 j seconds older than its directory. */
		time_t newest = e->mtime, oldest = e->mtime - 7 * (FILES - 1);
		if (k == 0 || oldest < s.oldest)
			s.oldest = oldest;
		if (k == 0 || newest > s.newest)
			s.newest = newest;
		if (e->record != RECORDED) {
			s.unrecorded++;
			continue;
		}
		s.sources++;
		s.orphans += e->orphan;
		if (!top || !within(e->source, top)) {
			top = e->source;
			s.trees++;
		}
	}
	return s;
}

/* stats --json against the plan. */
static void assert_stats(void)
{
	struct expected_stats s = expect_stats();
	struct run *r = cli((const char *[]){ "stats", "--json", NULL });
	const char *j = r->out;
	cr_assert_eq(count_lines(j), 1, "one object, one line: %s", j);
	cr_assert_eq(json_number(j, "entries"), s.entries);
	cr_assert_eq(json_number(j, "files"), s.entries * FILES);
	cr_assert_eq(json_number(j, "bytes"), s.bytes);
	cr_assert_eq(json_number(j, "disk_bytes"), s.disk + shards_disk());
	cr_assert_eq(json_number(j, "source_dirs"), s.sources);
	cr_assert_eq(json_number(j, "source_trees"), s.trees);
	cr_assert_eq(json_number(j, "orphans"), s.orphans);
	cr_assert_eq(json_number(j, "unrecorded"), s.unrecorded);
	char got[PATH_MAX], want[32];
	json_string(j, "root", got, sizeof got);
	cr_assert_str_eq(got, gen.root);
	json_string(j, "health", got, sizeof got);
	cr_assert_str_eq(got, "ok");
	json_string(j, "oldest", got, sizeof got);
	if (s.entries)
		pcr_cli_iso8601(s.oldest, want);
	cr_assert_str_eq(got, s.entries ? want : "null");
	json_string(j, "newest", got, sizeof got);
	if (s.entries)
		pcr_cli_iso8601(s.newest, want);
	cr_assert_str_eq(got, s.entries ? want : "null");
	run_free(r);
}

/* stats in words: each line as the README shows it. */
static void assert_stats_in_words(void)
{
	struct expected_stats s = expect_stats();
	struct run *r = cli((const char *[]){ "stats", NULL });
	char size[32], pycs[32], oldest[32], newest[32], line[PATH_MAX + 64];
	pcr_cli_human_size(s.disk + shards_disk(), size);
	pcr_cli_human_size(s.bytes, pycs);
	pcr_cli_iso8601(s.oldest, oldest);
	pcr_cli_iso8601(s.newest, newest);
	HARNESS_PATH(line, "cache root     %s (ok)", gen.root);
	cr_assert(has_line(r->out, line), "%s\n%s", line, r->out);
	HARNESS_PATH(line, "entries        %zu", s.entries);
	cr_assert(has_line(r->out, line), "%s\n%s", line, r->out);
	HARNESS_PATH(line, "files          %zu", s.entries * FILES);
	cr_assert(has_line(r->out, line), "%s\n%s", line, r->out);
	HARNESS_PATH(line, "size           %s on disk (%s of pycs)", size, pycs);
	cr_assert(has_line(r->out, line), "%s\n%s", line, r->out);
	HARNESS_PATH(line, "source trees   %zu (%zu directories)", s.trees, s.sources);
	cr_assert(has_line(r->out, line), "%s\n%s", line, r->out);
	HARNESS_PATH(line, "orphans        %zu", s.orphans);
	cr_assert(has_line(r->out, line), "%s\n%s", line, r->out);
	HARNESS_PATH(line, "unrecorded     %zu (no record of their source: kept)", s.unrecorded);
	cr_assert(has_line(r->out, line), "%s\n%s", line, r->out);
	HARNESS_PATH(line, "oldest         %s", oldest);
	cr_assert(has_line(r->out, line), "%s\n%s", line, r->out);
	HARNESS_PATH(line, "newest         %s", newest);
	cr_assert(has_line(r->out, line), "%s\n%s", line, r->out);
	run_free(r);
}

/* After a command changed the cache: the disk, then stats. */
static void assert_cache(const char *what)
{
	assert_on_disk(what);
	assert_stats();
}

/* ---- ls ---- */

/* `ls arg` must list exactly the entries of dir (its normalised form), and
 * `ls --json arg` the same, both as the plan says, byte for byte. */
static void assert_ls(const char *dir, const char *arg, size_t entries)
{
	static size_t in[ENTRIES];
	size_t n = entries_in(dir, in), names[FILES];
	cr_assert_eq(n, entries, "%s: the plan has %zu entries", dir, n);
	for (size_t j = 0; j < FILES; j++)
		names[j] = j;
	qsort(names, FILES, sizeof *names, by_name);
	struct text h = { 0 }, json = { 0 };
	add(&h, "%s", "");
	add(&json, "[");
	for (size_t k = 0; k < n; k++) {
		const struct gen_entry *e = &gen.e[in[k]];
		add(&h, "%s\n", e->source);
		add(&json, "%s{\"source\":\"%s\",\"entry\":\"%s\",\"files\":[", k ? "," : "",
		    e->source, e->entry);
		for (size_t j = 0; j < FILES; j++) {
			size_t bytes = file_size(in[k], names[j]);
			char size[32];
			pcr_cli_human_size(bytes, size);
			add(&h, "  %10s  %s\n", size, file_names[names[j]]);
			add(&json, "%s{\"name\":\"%s\",\"bytes\":%zu}", j ? "," : "",
			    file_names[names[j]], bytes);
		}
		add(&json, "]}");
	}
	add(&json, "]\n");

	struct run *r = cli((const char *[]){ "ls", arg, NULL });
	cr_assert_eq(count_lines(r->out), n * (1 + FILES), "ls %s", arg);
	cr_assert_str_eq(r->out, h.s, "ls %s differs", arg);
	run_free(r);
	r = cli((const char *[]){ "ls", "--json", arg, NULL });
	cr_assert_str_eq(r->out, json.s, "ls --json %s differs", arg);
	run_free(r);
	free(h.s);
	free(json.s);
}

/* ---- prune ---- */

enum fate { KEPT, ORPHAN, OLD, OVER_SIZE };

static const char *const fate_words[] = { "", "orphan", "older than 60d", "over the size limit" };

struct rules {
	bool orphans, by_age; /* by_age: --older-than 60d */
	bool by_size;
	uint64_t max_bytes; /* on disk; a whole number of KiB */
};

static struct {
	enum fate of[ENTRIES];
	size_t first;                /* how many the orphan and age rules pick */
	size_t over[ENTRIES], nover; /* the size rule's, in the order they go */
	size_t kept[ENTRIES], nkept; /* what the size rule looked at and left */
	size_t entries;
	uint64_t bytes, disk;
} plan_prune;

/* What the rules remove of the entries still there, worked out as the
 * README says: orphans, then the old, then the least recently used of the
 * rest until they are at most max_bytes. */
static void decide(const struct rules *rules)
{
	static size_t rest[ENTRIES];
	size_t n = 0;
	uint64_t total = 0;
	memset(&plan_prune, 0, sizeof plan_prune);
	for (size_t i = 0; i < ENTRIES; i++) {
		const struct gen_entry *e = &gen.e[i];
		if (e->gone)
			continue;
		if (rules->orphans && e->orphan)
			plan_prune.of[i] = ORPHAN;
		else if (rules->by_age && e->rank >= OLD_RANK)
			plan_prune.of[i] = OLD;
		else {
			rest[n++] = i;
			total += e->disk;
			continue;
		}
		plan_prune.first++;
	}
	qsort(rest, n, sizeof *rest, by_age);
	for (size_t k = 0; k < n; k++) {
		if (rules->by_size && total > rules->max_bytes) {
			plan_prune.of[rest[k]] = OVER_SIZE;
			plan_prune.over[plan_prune.nover++] = rest[k];
			total -= gen.e[rest[k]].disk;
		} else {
			plan_prune.kept[plan_prune.nkept++] = rest[k];
		}
	}
	for (size_t i = 0; i < ENTRIES; i++)
		if (plan_prune.of[i] != KEPT) {
			plan_prune.entries++;
			plan_prune.bytes += gen.e[i].bytes;
			plan_prune.disk += gen.e[i].disk;
		}
}

/* What a dry run prints for entry i: its source, or its key without a record. */
static void would_remove(char *buf, size_t size, size_t i)
{
	const struct gen_entry *e = &gen.e[i];
	char h[32], d[32];
	pcr_cli_human_size(e->bytes, h);
	pcr_cli_human_size(e->disk, d);
	harness_format(buf, size, "would remove %s: %d files, %s, %s on disk (%s)",
		       e->record == RECORDED ? e->source : e->key, FILES, h, d,
		       fate_words[plan_prune.of[i]]);
}

/* prune with the rules: a dry run must name each entry that would go and
 * why, the orphan and age rules' in the walk's order (the file system's),
 * the size rule's in least recently used order, and remove nothing; then,
 * when real, the prune itself must remove exactly those. */
static void prune(const struct rules *rules, bool real)
{
	decide(rules);
	char size[32];
	cr_assert(rules->max_bytes % 1024 == 0);
	HARNESS_PATH(size, "%lluK", (unsigned long long)(rules->max_bytes / 1024));
	const char *args[12] = { "prune" };
	size_t n = 1;
	if (rules->orphans)
		args[n++] = "--orphans";
	if (rules->by_age) {
		args[n++] = "--older-than";
		args[n++] = "60d";
	}
	if (rules->by_size) {
		args[n++] = "--max-size";
		args[n++] = size;
	}
	args[n++] = "--dry-run";
	args[n] = NULL;

	size_t lines = plan_prune.entries;
	char **want = malloc((lines + 1) * sizeof *want), **got = malloc((lines + 2) * sizeof *got);
	cr_assert(want && got);
	for (size_t i = 0, k = 0; i < ENTRIES; i++)
		if (plan_prune.of[i] == ORPHAN || plan_prune.of[i] == OLD) {
			want[k] = malloc(PATH_MAX);
			would_remove(want[k++], PATH_MAX, i);
		}
	for (size_t k = 0; k < plan_prune.nover; k++) {
		want[plan_prune.first + k] = malloc(PATH_MAX);
		would_remove(want[plan_prune.first + k], PATH_MAX, plan_prune.over[k]);
	}
	char last[256];
	removed_line(last, sizeof last, "would remove", lines, plan_prune.bytes, plan_prune.disk);

	struct run *r = cli(args);
	cr_assert_eq(split_lines(r->out, got, lines + 2), lines + 1, "%zu entries", lines);
	qsort(want, plan_prune.first, sizeof *want, cmp_strings);
	qsort(got, plan_prune.first, sizeof *got, cmp_strings);
	for (size_t k = 0; k < lines; k++)
		cr_assert_str_eq(got[k], want[k], "line %zu of the dry run", k);
	cr_assert(strncmp(got[lines], last, strlen(last)) == 0, "%s\ninstead of\n%s", got[lines],
		  last);
	run_free(r);
	for (size_t k = 0; k < lines; k++)
		free(want[k]);
	free(want);
	free(got);
	assert_on_disk("a dry run");
	if (!real)
		return;

	args[n - 1] = NULL;
	r = cli(args);
	removed_line(last, sizeof last, "removed", lines, plan_prune.bytes, plan_prune.disk);
	cr_assert(strncmp(r->out, last, strlen(last)) == 0, "%s\ninstead of\n%s", r->out, last);
	run_free(r);
	for (size_t i = 0; i < ENTRIES; i++)
		gen.e[i].gone = gen.e[i].gone || plan_prune.of[i] != KEPT;
	assert_cache("prune");
	if (!rules->by_size)
		return;
	/* At most the limit, not one entry more removed than needed, and none
	 * used more recently than one that stays. */
	uint64_t left = 0;
	for (size_t k = 0; k < plan_prune.nkept; k++)
		left += gen.e[plan_prune.kept[k]].disk;
	cr_assert_leq(left, rules->max_bytes);
	if (plan_prune.nover) {
		const struct gen_entry *newest_gone = &gen.e[plan_prune.over[plan_prune.nover - 1]];
		cr_assert_gt(left + newest_gone->disk, rules->max_bytes);
		for (size_t k = 0; k < plan_prune.nkept; k++)
			cr_assert_lt(newest_gone->mtime, gen.e[plan_prune.kept[k]].mtime);
	}
}

/* ---- clear ---- */

/* clear arg, arg naming dir (NULL: everything): exactly its entries go. */
static void clear(const char *dir, const char *arg)
{
	static size_t in[ENTRIES];
	size_t n = entries_in(dir, in);
	uint64_t bytes = 0, disk = 0;
	for (size_t k = 0; k < n; k++) {
		bytes += gen.e[in[k]].bytes;
		disk += gen.e[in[k]].disk;
	}
	char line[256];
	removed_line(line, sizeof line, "removed", n, bytes, disk);
	strcat(line, "\n");
	struct run *r = cli((const char *[]){ "clear", arg, NULL });
	cr_assert_str_eq(r->out, line, "clear %s", arg ? arg : "");
	run_free(r);
	for (size_t k = 0; k < n; k++)
		gen.e[in[k]].gone = true;
	assert_cache("clear");
}

/* ---- the tests ---- */

/* What only looks: stats, ls, doctor and every kind of dry run. */
Test(large, stats_ls_doctor_and_dry_runs_change_nothing)
{
	generate();
	assert_stats();
	assert_stats_in_words();

	char dir[PATH_MAX];
	HARNESS_PATH(dir, "%s/t03", gen.base);
	assert_ls(dir, dir, RECORDED_PER_TREE);
	/* p010 and p010/sub, not p010-b; spelled relative to the working directory. */
	HARNESS_PATH(dir, "%s/t04/p010", gen.base);
	assert_ls(dir, "../trees/t04/p010/", 2);
	/* A tree that is gone still has its entries listed. */
	HARNESS_PATH(dir, "%s/t%02d", gen.base, ORPHAN_TREE);
	assert_ls(dir, dir, RECORDED_PER_TREE);
	assert_ls(gen.base, gen.base, gen.recorded);
	/* A prefix of names is not a directory. */
	HARNESS_PATH(dir, "%s/t03/p0", gen.base);
	assert_ls(dir, dir, 0);

	char line[PATH_MAX + 64];
	struct run *r = cli((const char *[]){ "doctor", NULL });
	HARNESS_PATH(line, "%-8s cache root: %s is yours, writable, mode 0700", "ok", gen.root);
	cr_assert(has_line(r->out, line), "%s", r->out);
	cr_assert(!strstr(r->out, "problem "), "%s", r->out);
	run_free(r);
	r = cli((const char *[]){ "doctor", "--json", NULL });
	cr_assert(strncmp(r->out, "{\"ok\":true,", 11) == 0, "%s", r->out);
	run_free(r);

	uint64_t above = (gen.disk / 1024 + 1) * 1024;
	prune(&(struct rules){ .by_size = true, .max_bytes = above }, false);
	cr_assert_eq(plan_prune.entries, 0);
	prune(&(struct rules){ .orphans = true }, false);
	cr_assert_eq(plan_prune.entries, gen.orphans);
	prune(&(struct rules){ .by_age = true }, false);
	cr_assert_eq(plan_prune.entries, ENTRIES - OLD_RANK);
	prune(&(struct rules){ .by_size = true, .max_bytes = gen.disk / 2 / 1024 * 1024 }, false);
	/* All three: each rule has something to do. */
	prune(&(struct rules){ .orphans = true,
			       .by_age = true,
			       .by_size = true,
			       .max_bytes = gen.disk / 4 / 1024 * 1024 },
	      false);
	size_t counts[4] = { 0 };
	for (size_t i = 0; i < ENTRIES; i++)
		counts[plan_prune.of[i]]++;
	cr_assert(counts[ORPHAN] && counts[OLD] && counts[OVER_SIZE], "%zu %zu %zu", counts[ORPHAN],
		  counts[OLD], counts[OVER_SIZE]);
	assert_cache("stats, ls, doctor and dry runs");
	done();
}

/* Each rule on its own, one after the other, down to an empty cache. */
Test(large, prune_orphans_then_by_age_then_by_size)
{
	generate();
	prune(&(struct rules){ .orphans = true }, true);
	cr_assert_eq(plan_prune.entries, gen.orphans);
	prune(&(struct rules){ .orphans = true }, true); /* none left */
	cr_assert_eq(plan_prune.entries, 0);
	prune(&(struct rules){ .by_age = true }, true);
	cr_assert_gt(plan_prune.entries, 0);
	prune(&(struct rules){ .by_size = true, .max_bytes = gen.disk / 4 / 1024 * 1024 }, true);
	cr_assert_gt(plan_prune.nover, 0);
	cr_assert_gt(plan_prune.nkept, 0);
	/* 1K, below any entry: everything goes (0 would be no limit). */
	prune(&(struct rules){ .by_size = true, .max_bytes = 1024 }, true);
	cr_assert_eq(expect_stats().entries, 0);
	done();
}

/* A directory, a tree, all the rules at once, then everything. */
Test(large, clear_a_directory_a_tree_then_everything)
{
	generate();
	char dir[PATH_MAX];
	HARNESS_PATH(dir, "%s/t04/p010", gen.base);
	clear(dir, "../trees/t04/p010/");
	HARNESS_PATH(dir, "%s/t03", gen.base);
	clear(dir, dir);
	cr_assert_eq(expect_stats().trees, TREES - 1);

	prune(&(struct rules){ .orphans = true,
			       .by_age = true,
			       .by_size = true,
			       .max_bytes = gen.disk / 4 / 1024 * 1024 },
	      true);

	clear(NULL, NULL);
	cr_assert_eq(harness_count_files(gen.root, ".src"), 0);
	cr_assert_eq(harness_count_files(gen.root, ".pyc"), 0);
	for (size_t i = 0; i < ENTRIES; i++) /* the source trees are not the cache's */
		cr_assert(gen.e[i].missing || harness_exists(gen.e[i].source), "%s",
			  gen.e[i].source);
	clear(NULL, NULL);
	done();
}
