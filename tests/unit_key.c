/* pcr_key: the cache key of a source directory, XXH3-128 in lowercase hex. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "core/map.h"

static void check_against_xxhash(const char *dir, size_t len)
{
	char got[PCR_KEY_HEX + 1], want[33];
	pcr_key(dir, len, got);
	layout_key_of_spelling(dir, len, want);
	cr_assert_str_eq(got, want, "key of \"%.*s\"", (int)len, dir);
}

Test(key, is_32_lowercase_hex_digits_and_a_nul)
{
	char buf[PCR_KEY_HEX + 8];
	memset(buf, 'Z', sizeof buf);
	pcr_key("/src/app/pkg", 12, buf);
	cr_assert_eq(strspn(buf, "0123456789abcdef"), PCR_KEY_HEX, "key: %.33s", buf);
	cr_assert_eq(buf[PCR_KEY_HEX], '\0');
	for (size_t i = PCR_KEY_HEX + 1; i < sizeof buf; i++)
		cr_assert_eq(buf[i], 'Z', "byte %zu written past the NUL", i);
}

/* Fixed values: the key is an on-disk format, a change orphans every cache.
 * The empty input's value is xxHash's published XXH3-128 test vector. */
Test(key, known_values_do_not_drift)
{
	char got[PCR_KEY_HEX + 1];
	pcr_key("", 0, got);
	cr_assert_str_eq(got, "99aa06d3014798d86001c324468d497f");
	pcr_key("/src/app/pkg", 12, got);
	cr_assert_str_eq(got, "8b16ce8bd1515ff284db5d4272fa6bd1");
	pcr_key("/", 1, got);
	cr_assert_str_eq(got, "d6f5222ffc6d3eaf474292953285562e");
}

Test(key, equals_independent_xxhash)
{
	static const char *const dirs[] = {
		"/",         "/src/app/pkg",         "/home/user/project/src/pkg/sub",
		"/a/b/../c", "/tmp/dir with spaces", "/\xc3\xbc/\xff\xfe",
		"/a\nb",
	};
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		check_against_xxhash(dirs[i], strlen(dirs[i]));

	/* Lengths around XXH3's internal block sizes (16, 128, 240, 1024). */
	static char big[PATH_MAX];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	static const size_t lens[] = {
		1, 15, 16, 17, 128, 129, 240, 241, 1024, 1025, PATH_MAX - 1
	};
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
		check_against_xxhash(big, lens[i]);
}

/* The key covers len bytes, not up to the NUL. */
Test(key, hashes_len_bytes_only)
{
	char a[PCR_KEY_HEX + 1], b[PCR_KEY_HEX + 1];
	pcr_key("/a/b/__pycache__/m.pyc", 4, a);
	pcr_key("/a/b", 4, b);
	cr_assert_str_eq(a, b);
	check_against_xxhash("/a/b/__pycache__", 4);
	/* An embedded NUL is hashed like any byte. */
	pcr_key("/a\0b", 4, a);
	pcr_key("/a", 2, b);
	cr_assert_str_neq(a, b);
}

static int cmp_key(const void *a, const void *b) { return memcmp(a, b, PCR_KEY_HEX); }

Test(key, differs_for_different_dirs)
{
	char a[PCR_KEY_HEX + 1], b[PCR_KEY_HEX + 1];
	static const char *const pairs[][2] = {
		{ "/a", "/b" }, { "/a", "/a/" }, { "/a", "/A" }, { "/src/pkg", "/src/pkg2" },
		{ "/", "" },
	};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
		pcr_key(pairs[i][0], strlen(pairs[i][0]), a);
		pcr_key(pairs[i][1], strlen(pairs[i][1]), b);
		cr_assert_str_neq(a, b, "\"%s\" and \"%s\" share a key", pairs[i][0], pairs[i][1]);
	}

	/* Many similar directories: no two keys alike. */
	enum { N = 4096 };
	static char keys[N][PCR_KEY_HEX + 1];
	char dir[64];
	for (int i = 0; i < N; i++) {
		snprintf(dir, sizeof dir, "/home/u/proj/pkg%d", i);
		pcr_key(dir, strlen(dir), keys[i]);
	}
	qsort(keys, N, sizeof *keys, cmp_key);
	for (int i = 1; i < N; i++)
		cr_assert_neq(memcmp(keys[i - 1], keys[i], PCR_KEY_HEX), 0, "duplicate key %s",
			      keys[i]);
}
