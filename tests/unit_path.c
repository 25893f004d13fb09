/* pcr_parse_pycache and pcr_normalize_dir. */
#include <limits.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/path.h"

/* ---- pcr_parse_pycache ---------------------------------------------- */

static void check_parse(const char *path, enum pcr_parse want, size_t dir_len, const char *tail)
{
	struct pcr_pycache_ref ref = { .dir_len = 9999, .cache_end = 9999, .tail = NULL };
	enum pcr_parse got = pcr_parse_pycache(path, &ref);
	cr_assert_eq(got, want, "\"%s\": parse %d, expected %d", path, got, want);
	if (want == PCR_PARSE_NONE)
		return;
	cr_assert_eq(ref.dir_len, dir_len, "\"%s\": dir_len %zu, expected %zu", path, ref.dir_len,
		     dir_len);
	cr_assert_eq(ref.cache_end, dir_len + PCR_PYCACHE_LEN, "\"%s\": cache_end %zu", path,
		     ref.cache_end);
	cr_assert_arr_eq(path + dir_len, "__pycache__", PCR_PYCACHE_LEN);
	if (tail) {
		/* The tail points into path, it is not a copy. */
		cr_assert(ref.tail >= path && ref.tail <= path + strlen(path),
			  "\"%s\": tail outside the path", path);
		cr_assert_str_eq(ref.tail, tail, "\"%s\": tail", path);
	}
}

Test(parse_pycache, none_without_component)
{
	check_parse("/src/app/pkg/mod.py", PCR_PARSE_NONE, 0, NULL);
	check_parse("", PCR_PARSE_NONE, 0, NULL);
	check_parse("/", PCR_PARSE_NONE, 0, NULL);
	check_parse("__pycache", PCR_PARSE_NONE, 0, NULL);
	check_parse("/a/_pycache_/m.pyc", PCR_PARSE_NONE, 0, NULL);
}

Test(parse_pycache, none_for_null_path)
{
	struct pcr_pycache_ref ref = { .dir_len = 7, .cache_end = 7, .tail = NULL };
	cr_assert_eq(pcr_parse_pycache(NULL, &ref), PCR_PARSE_NONE);
}

/* A component that merely contains the word is not __pycache__. */
Test(parse_pycache, none_when_only_a_substring_of_a_component)
{
	check_parse("/a/x__pycache__/m.pyc", PCR_PARSE_NONE, 0, NULL);
	check_parse("/a/__pycache__x/m.pyc", PCR_PARSE_NONE, 0, NULL);
	check_parse("/a/__pycache__.bak/m.pyc", PCR_PARSE_NONE, 0, NULL);
	check_parse("/a/____pycache__/m.pyc", PCR_PARSE_NONE, 0, NULL);
	check_parse("/a/__pycache____pycache__/m.pyc", PCR_PARSE_NONE, 0, NULL);
	check_parse("x__pycache__", PCR_PARSE_NONE, 0, NULL);
	check_parse("__pycache__x", PCR_PARSE_NONE, 0, NULL);
	check_parse("/a/__pycache__.pyc", PCR_PARSE_NONE, 0, NULL);
	check_parse("/a/b__pycache__c/__pycache__d", PCR_PARSE_NONE, 0, NULL);
}

Test(parse_pycache, dir_itself)
{
	check_parse("/src/pkg/__pycache__", PCR_PARSE_DIR, 9, "");
	check_parse("/__pycache__", PCR_PARSE_DIR, 1, "");
}

Test(parse_pycache, dir_with_trailing_slashes)
{
	check_parse("/src/pkg/__pycache__/", PCR_PARSE_DIR, 9, "");
	check_parse("/src/pkg/__pycache__///", PCR_PARSE_DIR, 9, "");
}

Test(parse_pycache, entry_name_is_the_tail)
{
	const char *p = "/src/pkg/__pycache__/mod.cpython-311.pyc";
	struct pcr_pycache_ref ref;
	cr_assert_eq(pcr_parse_pycache(p, &ref), PCR_PARSE_ENTRY);
	cr_assert_eq(ref.dir_len, 9);
	cr_assert_eq(ref.cache_end, 20);
	cr_assert_eq(ref.tail, p + 21);
	cr_assert_str_eq(ref.tail, "mod.cpython-311.pyc");
}

Test(parse_pycache, double_slash_before_name)
{
	const char *p = "/src/__pycache__//mod.pyc";
	struct pcr_pycache_ref ref;
	cr_assert_eq(pcr_parse_pycache(p, &ref), PCR_PARSE_ENTRY);
	cr_assert_eq(ref.dir_len, 5);
	cr_assert_eq(ref.cache_end, 16);
	cr_assert_eq(ref.tail, p + 18);
	cr_assert_str_eq(ref.tail, "mod.pyc");
}

/* "__pycache__/a/" still names one entry; the tail is kept verbatim. */
Test(parse_pycache, entry_with_trailing_slash_keeps_tail)
{
	check_parse("/src/__pycache__/a/", PCR_PARSE_ENTRY, 5, "a/");
	check_parse("/src/__pycache__/a//", PCR_PARSE_ENTRY, 5, "a//");
	check_parse("/src/__pycache__//a/", PCR_PARSE_ENTRY, 5, "a/");
}

Test(parse_pycache, dot_names_that_are_not_dot_or_dotdot_are_entries)
{
	check_parse("/s/__pycache__/...", PCR_PARSE_ENTRY, 3, "...");
	check_parse("/s/__pycache__/.m.pyc", PCR_PARSE_ENTRY, 3, ".m.pyc");
	check_parse("/s/__pycache__/..m", PCR_PARSE_ENTRY, 3, "..m");
	check_parse("/s/__pycache__/m..", PCR_PARSE_ENTRY, 3, "m..");
	check_parse("/s/__pycache__/__pycache__", PCR_PARSE_ENTRY, 3, "__pycache__");
}

Test(parse_pycache, refuses_dot_dotdot_and_deeper_levels)
{
	static const char *const refused[] = {
		"/s/__pycache__/.",
		"/s/__pycache__/./",
		"/s/__pycache__/.//",
		"/s/__pycache__/..",
		"/s/__pycache__/../",
		"/s/__pycache__//..",
		"/s/__pycache__/../x",
		"/s/__pycache__/../../etc/passwd",
		"/s/__pycache__/./m.pyc",
		"/s/__pycache__/a/b",
		"/s/__pycache__/a//b",
		"/s/__pycache__/a/b/",
		"/s/__pycache__/a/.",
		"/s/__pycache__/a/..",
		"/s/__pycache__/a/__pycache__",
		"__pycache__/a/b",
		"__pycache__/..",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		struct pcr_pycache_ref ref;
		cr_assert_eq(pcr_parse_pycache(refused[i], &ref), PCR_PARSE_REFUSED,
			     "\"%s\" is not refused", refused[i]);
	}
}

Test(parse_pycache, relative_paths)
{
	check_parse("__pycache__", PCR_PARSE_DIR, 0, "");
	check_parse("__pycache__/", PCR_PARSE_DIR, 0, "");
	check_parse("__pycache__/x", PCR_PARSE_ENTRY, 0, "x");
	check_parse("pkg/__pycache__/m.pyc", PCR_PARSE_ENTRY, 4, "m.pyc");
	check_parse("./__pycache__/m.pyc", PCR_PARSE_ENTRY, 2, "m.pyc");
	check_parse("../__pycache__", PCR_PARSE_DIR, 3, "");
}

/* The first component named __pycache__ decides, not a later one. */
Test(parse_pycache, first_occurrence_wins)
{
	check_parse("/a/__pycache__/b/__pycache__/x", PCR_PARSE_REFUSED, 3, NULL);
	check_parse("/a/__pycache__/__pycache__", PCR_PARSE_ENTRY, 3, "__pycache__");
	check_parse("/a/__pycache__/__pycache__/", PCR_PARSE_ENTRY, 3, "__pycache__/");
	/* A near miss before the real component is skipped. */
	check_parse("/a/x__pycache__/__pycache__/m", PCR_PARSE_ENTRY, 16, "m");
	check_parse("/__pycache__x/__pycache__", PCR_PARSE_DIR, 14, "");
	check_parse("__pycache__x/__pycache__/m", PCR_PARSE_ENTRY, 13, "m");
}

/* ---- pcr_might_be_pycache: the hooks' fast test --------------------- */

Test(might_be_pycache, rejects_the_common_paths)
{
	static const char *const no[] = {
		"/usr/lib/python3.11/os.py",
		"/src/app/pkg/__init__.py",
		"relative/mod.py",
		"",
		"/",
		"__init__.py",
		"/a/x__pycache__/m.pyc",
		"/a/__pycache__x/m.pyc",
		"/a/__pycache__/b/c.pyc",
		"/a/_pycache__/m.pyc",
		"pycache__/m",
		"/a/__pycache__/b/c/",
		"/a/__pycache__x/",
		"/a/x__pycache__//",
		"__pycache_",
		"/a/__pycache__.pyc",
		"/a/__pycache",
	};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		cr_assert_not(pcr_might_be_pycache(no[i]), "\"%s\"", no[i]);
}

Test(might_be_pycache, accepts_the_pycache_forms)
{
	static const char *const yes[] = {
		"/a/__pycache__",    "/a/__pycache__/",   "/a/__pycache__/m.cpython-311.pyc",
		"__pycache__",       "__pycache__/m.pyc", "a/__pycache__//m.pyc",
		"/a/__pycache__/m/", "/__pycache__/x",    "//__pycache__",
		"__pycache__/",      "/a/__pycache__//",  "__pycache__//m//",
	};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		cr_assert(pcr_might_be_pycache(yes[i]), "\"%s\"", yes[i]);
}

/* The fast test may let a path through that the parser then refuses, but
 * never stops one that the parser would map: checked on every path of up to
 * four components drawn from a set of awkward ones, each with and without a
 * leading and a trailing slash. */
Test(might_be_pycache, never_rejects_what_the_parser_maps)
{
	static const char *const parts[] = {
		"",
		".",
		"..",
		"__pycache__",
		"x__pycache__",
		"__pycache__x",
		"a",
		"m.cpython-311.pyc",
		"_",
		"__init__.py",
		"__pycache__.pyc",
	};
	const size_t np = sizeof parts / sizeof *parts;
	size_t checked = 0, mapped = 0;
	char path[256];
	for (size_t depth = 1; depth <= 4; depth++) {
		size_t combos = 1;
		for (size_t d = 0; d < depth; d++)
			combos *= np;
		for (size_t c = 0; c < combos; c++)
			for (int lead = 0; lead < 2; lead++)
				for (int trail = 0; trail < 2; trail++) {
					size_t n = 0, k = c;
					if (lead)
						path[n++] = '/';
					for (size_t d = 0; d < depth; d++, k /= np) {
						if (d)
							path[n++] = '/';
						size_t len = strlen(parts[k % np]);
						memcpy(path + n, parts[k % np], len);
						n += len;
					}
					if (trail)
						path[n++] = '/';
					path[n] = '\0';
					struct pcr_pycache_ref ref;
					enum pcr_parse p = pcr_parse_pycache(path, &ref);
					if (p == PCR_PARSE_DIR || p == PCR_PARSE_ENTRY) {
						mapped++;
						cr_assert(
						    pcr_might_be_pycache(path),
						    "\"%s\" is mapped but the fast test rejects it",
						    path);
					}
					checked++;
				}
	}
	cr_assert_gt(mapped, 1000, "only %zu of %zu paths mapped", mapped, checked);
}

/* ---- pcr_normalize_dir ---------------------------------------------- */

static void check_norm(const char *base, const char *path, const char *want)
{
	char out[PATH_MAX];
	memset(out, 'Z', sizeof out);
	size_t n = pcr_normalize_dir(base, path, strlen(path), out, sizeof out);
	cr_assert_eq(n, strlen(want), "base \"%s\" path \"%s\": length %zu, expected %zu (\"%s\")",
		     base ? base : "(null)", path, n, strlen(want), want);
	cr_assert_str_eq(out, want, "base \"%s\" path \"%s\"", base ? base : "(null)", path);
}

static void check_norm_fails(const char *base, const char *path)
{
	char out[PATH_MAX];
	size_t n = pcr_normalize_dir(base, path, path ? strlen(path) : 0, out, sizeof out);
	cr_assert_eq(n, 0, "base \"%s\" path \"%s\": %zu, expected 0", base ? base : "(null)",
		     path ? path : "(null)", n);
}

Test(normalize_dir, keeps_a_clean_path)
{
	check_norm(NULL, "/a/b", "/a/b");
	check_norm(NULL, "/src/app/pkg", "/src/app/pkg");
}

Test(normalize_dir, root_is_a_single_slash)
{
	check_norm(NULL, "/", "/");
	check_norm(NULL, "//", "/");
	check_norm(NULL, "///", "/");
	check_norm(NULL, "/.", "/");
	check_norm(NULL, "/./", "/");
}

Test(normalize_dir, drops_dot_and_empty_components_and_trailing_slashes)
{
	check_norm(NULL, "/a/./b//c/", "/a/b/c");
	check_norm(NULL, "/a/b/.", "/a/b");
	check_norm(NULL, "//a//b//", "/a/b");
	check_norm(NULL, "/./a/././b/./", "/a/b");
	check_norm(NULL, "/a/.b/..c/...", "/a/.b/..c/...");
}

Test(normalize_dir, dotdot_at_the_root_is_the_root)
{
	check_norm(NULL, "/..", "/");
	check_norm(NULL, "/../..", "/");
	check_norm(NULL, "/../a", "/a");
	check_norm(NULL, "/./../.././a", "/a");
}

/* "a" may be a symlink: /a/b/../c is not /a/c, so the spelling is kept and two
 * different directories never share a key. */
Test(normalize_dir, dotdot_after_a_typed_component_is_kept)
{
	check_norm(NULL, "/a/b/../c", "/a/b/../c");
	check_norm(NULL, "/a/..", "/a/..");
	check_norm(NULL, "/a/../..", "/a/../..");
	check_norm(NULL, "/a/b/../", "/a/b/..");
	check_norm(NULL, "/a/./b/.././c", "/a/b/../c");
	/* The kept ".." is typed too: a later ".." does not eat it. */
	check_norm(NULL, "/a/../../b", "/a/../../b");
}

Test(normalize_dir, relative_path_joins_base)
{
	check_norm("/home/u", "pkg", "/home/u/pkg");
	check_norm("/home/u", "./pkg/", "/home/u/pkg");
	check_norm("/home/u", "pkg//", "/home/u/pkg");
	check_norm("/home/u", "./pkg/./", "/home/u/pkg");
	check_norm("/home/u", ".", "/home/u");
	check_norm("/home/u/", "pkg", "/home/u/pkg");
	check_norm("/", "pkg", "/pkg");
}

Test(normalize_dir, empty_relative_path_is_the_base)
{
	char out[PATH_MAX];
	cr_assert_eq(pcr_normalize_dir("/home/u", "__pycache__/x", 0, out, sizeof out), 7);
	cr_assert_str_eq(out, "/home/u");
	cr_assert_eq(pcr_normalize_dir("/", "", 0, out, sizeof out), 1);
	cr_assert_str_eq(out, "/");
}

/* The base is physical (getcwd, a dirfd's target): ".." may climb it. */
Test(normalize_dir, dotdot_collapses_components_from_base)
{
	check_norm("/home/u", "../x", "/home/x");
	check_norm("/home/u", "..", "/home");
	check_norm("/home/u", "../..", "/");
	check_norm("/home/u", "../../../../x", "/x");
	check_norm("/", "..", "/");
	check_norm("/a/b/c", "../../d", "/a/d");
	/* The base's own "." and ".." go too. */
	check_norm("/a/./b//", "x", "/a/b/x");
	check_norm("/a/b/../c", "x", "/a/c/x");
}

Test(normalize_dir, dotdot_after_typed_component_of_relative_path_is_kept)
{
	check_norm("/home/u", "pkg/../x", "/home/u/pkg/../x");
	/* Climb the base, then a typed component, then ".." stays. */
	check_norm("/a/b", "../c/../d", "/a/c/../d");
	check_norm("/a/b", "c/../..", "/a/b/c/../..");
}

Test(normalize_dir, absolute_path_ignores_base)
{
	check_norm("/elsewhere", "/a/b", "/a/b");
	check_norm("relative-base-unused", "/a/b", "/a/b");
	check_norm("/x/y", "/..", "/");
}

Test(normalize_dir, relative_without_absolute_base_fails)
{
	check_norm_fails(NULL, "pkg");
	check_norm_fails("rel/base", "pkg");
	check_norm_fails("", "pkg");
	check_norm_fails("./x", ".");
	check_norm_fails(NULL, "");
	check_norm_fails(NULL, NULL);
}

/* Only len bytes are read: the rest of the buffer may be anything. */
Test(normalize_dir, reads_only_len_bytes)
{
	const char raw[] = { '/', 'a', '/', 'b', '/', 'X', 'Y' }; /* no NUL */
	char out[16];
	cr_assert_eq(pcr_normalize_dir(NULL, raw, 4, out, sizeof out), 4);
	cr_assert_str_eq(out, "/a/b");
	cr_assert_eq(pcr_normalize_dir(NULL, "/a/b/__pycache__/m", 5, out, sizeof out), 4);
	cr_assert_str_eq(out, "/a/b");
}

/* Calls with outsz bytes of room inside a larger 'Z'-filled buffer and checks
 * nothing beyond outsz is touched. */
static size_t norm_in(const char *base, const char *path, char *buf, size_t bufsz, size_t outsz)
{
	memset(buf, 'Z', bufsz);
	size_t n = pcr_normalize_dir(base, path, strlen(path), buf, outsz);
	for (size_t i = outsz; i < bufsz; i++)
		cr_assert_eq(buf[i], 'Z', "\"%s\" in %zu bytes: wrote byte %zu", path, outsz, i);
	return n;
}

Test(normalize_dir, output_exactly_fitting_and_one_byte_short)
{
	char buf[32];
	cr_assert_eq(norm_in(NULL, "/abc", buf, sizeof buf, 5), 4);
	cr_assert_str_eq(buf, "/abc");
	cr_assert_eq(norm_in(NULL, "/abc", buf, sizeof buf, 4), 0);
	cr_assert_eq(norm_in(NULL, "/a/./b//", buf, sizeof buf, 5), 4);
	cr_assert_str_eq(buf, "/a/b");
	cr_assert_eq(norm_in(NULL, "/a/./b//", buf, sizeof buf, 4), 0);

	cr_assert_eq(norm_in("/ab", "c", buf, sizeof buf, 6), 5);
	cr_assert_str_eq(buf, "/ab/c");
	cr_assert_eq(norm_in("/ab", "c", buf, sizeof buf, 5), 0);
	/* The base alone must fit too. */
	cr_assert_eq(norm_in("/abcdef", "x", buf, sizeof buf, 6), 0);

	cr_assert_eq(norm_in(NULL, "/", buf, sizeof buf, 2), 1);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(norm_in(NULL, "/..", buf, sizeof buf, 2), 1);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(norm_in(NULL, "/", buf, sizeof buf, 1), 0);
	cr_assert_eq(norm_in(NULL, "/", buf, sizeof buf, 0), 0);
}

/* "/" followed by components of 'a's, to exactly total bytes. */
static void long_path(char *buf, size_t total)
{
	size_t i = 0;
	while (i < total) {
		buf[i++] = '/';
		for (size_t k = 0; k < 200 && i < total; k++)
			buf[i++] = 'a';
	}
	if (buf[total - 1] == '/')
		buf[total - 1] = 'a';
	buf[total] = '\0';
}

Test(normalize_dir, path_max_minus_one_fits_path_max_does_not)
{
	static char path[PATH_MAX + 16], out[PATH_MAX + 16];
	long_path(path, PATH_MAX - 1);
	memset(out, 'Z', sizeof out);
	cr_assert_eq(pcr_normalize_dir(NULL, path, PATH_MAX - 1, out, PATH_MAX), PATH_MAX - 1);
	cr_assert_str_eq(out, path);

	long_path(path, PATH_MAX);
	memset(out, 'Z', sizeof out);
	cr_assert_eq(pcr_normalize_dir(NULL, path, PATH_MAX, out, PATH_MAX), 0);
	for (size_t i = PATH_MAX; i < sizeof out; i++)
		cr_assert_eq(out[i], 'Z', "byte %zu written past outsz", i);
}

Test(normalize_dir, long_base_plus_relative_beyond_path_max_fails)
{
	static char base[PATH_MAX], out[PATH_MAX];
	long_path(base, PATH_MAX - 10);
	/* base + "/pkg/subd" is PATH_MAX - 1 bytes, one more does not fit. */
	cr_assert_eq(pcr_normalize_dir(base, "pkg/subd", 8, out, sizeof out), PATH_MAX - 1);
	cr_assert_eq(strlen(out), PATH_MAX - 1);
	cr_assert_eq(pcr_normalize_dir(base, "pkg/subdi", 9, out, sizeof out), 0);
}

/* Input length is not limited: only what remains after normalising counts. */
Test(normalize_dir, very_long_input_that_shrinks)
{
	static char path[3 * PATH_MAX], out[PATH_MAX];
	strcpy(path, "/a");
	size_t n = 2;
	while (n + 2 < sizeof path - 8) {
		memcpy(path + n, "/.", 2);
		n += 2;
	}
	strcpy(path + n, "//b");
	n += 3;
	cr_assert_gt(n, (size_t)PATH_MAX);
	cr_assert_eq(pcr_normalize_dir(NULL, path, n, out, sizeof out), 4);
	cr_assert_str_eq(out, "/a/b");

	memset(path, '/', sizeof path);
	cr_assert_eq(pcr_normalize_dir(NULL, path, sizeof path, out, sizeof out), 1);
	cr_assert_str_eq(out, "/");
}
