/* pcr_map_path and pcr_entry_dir: an in-tree __pycache__ path to its place in
 * the cache, <root>/v2/<k0k1>/<key>[/<name>]. Expected paths come from the
 * system's xxHash (unit.h), never from pcr_key. */
#include "unit.h"

#include "core/map.h"
#include "core/path.h"

#define ROOT "/home/u/.cache/pycache-redirect"
#define ROOT_LEN (sizeof ROOT - 1)

/* Maps path and asserts OK with exactly the central path expected for source
 * and name (NULL: the directory itself). */
static void check_maps(const char *root, const char *base, const char *path, const char *source,
		       const char *name)
{
	static struct pcr_mapping m;
	char want[PATH_MAX], want_entry[PATH_MAX];
	layout_central_of_spelling(want, sizeof want, root, source, name);
	layout_central_of_spelling(want_entry, sizeof want_entry, root, source, NULL);

	enum pcr_map_status st =
	    pcr_map_path(root, strlen(root), base, path, &pcr_keyer_spelling, &m);
	cr_assert_eq(st, PCR_MAP_OK, "\"%s\": %s", path, pcr_map_status_str(st));
	cr_assert_str_eq(m.central, want, "\"%s\"", path);
	cr_assert_eq(m.central_len, strlen(want), "\"%s\": central_len", path);
	cr_assert_eq(m.entry_len, strlen(want_entry), "\"%s\": entry_len", path);
	cr_assert_str_eq(pcr_map_source(&m), source, "\"%s\": source", path);
	cr_assert_eq(m.source_len, strlen(source), "\"%s\": source_len", path);
	cr_assert_eq(m.is_dir, name == NULL, "\"%s\": is_dir", path);
	const char *pc = strstr(path, "__pycache__");
	cr_assert_eq(m.cache_end, (size_t)(pc - path) + 11, "\"%s\": cache_end", path);
}

static enum pcr_map_status map_status(const char *root, const char *base, const char *path)
{
	static struct pcr_mapping m;
	return pcr_map_path(root, strlen(root), base, path, &pcr_keyer_spelling, &m);
}

Test(map_path, entry_gets_exact_central_path)
{
	static struct pcr_mapping m;
	const char *path = "/src/app/pkg/__pycache__/mod.cpython-311.pyc";
	cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, NULL, path, &pcr_keyer_spelling, &m), PCR_MAP_OK);
	/* Spelled out once: key of "/src/app/pkg" (see unit_key.c). */
	cr_assert_str_eq(m.central,
			 ROOT "/v2/8b/8b16ce8bd1515ff284db5d4272fa6bd1/mod.cpython-311.pyc");
	cr_assert_eq(m.central_len, ROOT_LEN + 4 + 3 + 32 + 1 + 19);
	cr_assert_eq(m.entry_len, ROOT_LEN + 4 + 3 + 32);
	cr_assert_str_eq(pcr_map_source(&m), "/src/app/pkg");
	cr_assert_eq(m.source_len, 12);
	cr_assert_eq(m.cache_end, 24);
	cr_assert_eq(m.is_dir, false);
	check_maps(ROOT, NULL, path, "/src/app/pkg", "mod.cpython-311.pyc");
}

Test(map_path, keeps_versioned_name)
{
	static const char *const names[] = {
		"mod.cpython-311.pyc",
		"mod.cpython-311.opt-1.pyc",
		"mod.cpython-311.opt-2.pyc",
		"mod.pypy39.pyc",
		"test_x.cpython-311-pytest-7.2.1.pyc",
		"mod.cpython-311.pyc.140234567",
		"mod.cpython-36.pyc.4194304",
		"__init__.cpython-312.pyc",
		"mod.cpython-313t.pyc",
		".hidden.pyc",
		"...",
		("m\xc3\xbc"
		 "dule.cpython-311.pyc"),
		"with space.pyc",
		"__pycache__",
	};
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		unit_path(path, "/src/app/pkg/__pycache__/%s", names[i]);
		check_maps(ROOT, NULL, path, "/src/app/pkg", names[i]);
	}
}

Test(map_path, maps_the_directory_itself)
{
	check_maps(ROOT, NULL, "/src/app/pkg/__pycache__", "/src/app/pkg", NULL);
	check_maps(ROOT, NULL, "/src/app/pkg/__pycache__/", "/src/app/pkg", NULL);
	check_maps(ROOT, NULL, "/src/app/pkg/__pycache__//", "/src/app/pkg", NULL);

	static struct pcr_mapping m;
	cr_assert_eq(
	    pcr_map_path(ROOT, ROOT_LEN, NULL, "/src/app/pkg/__pycache__", &pcr_keyer_spelling, &m),
	    PCR_MAP_OK);
	cr_assert(m.is_dir);
	cr_assert_eq(m.entry_len, m.central_len);
	cr_assert_eq(strlen(m.central), m.central_len);
}

Test(map_path, trailing_slash_after_name_is_kept)
{
	check_maps(ROOT, NULL, "/src/pkg/__pycache__/a/", "/src/pkg", "a/");
	check_maps(ROOT, NULL, "/src/pkg/__pycache__//m.pyc", "/src/pkg", "m.pyc");
}

Test(map_path, source_at_the_filesystem_root)
{
	check_maps(ROOT, NULL, "/__pycache__/m.pyc", "/", "m.pyc");
	check_maps(ROOT, NULL, "//__pycache__", "/", NULL);
	check_maps(ROOT, NULL, "/../__pycache__/m.pyc", "/", "m.pyc");
}

/* Every spelling of one directory gets one key. */
Test(map_path, spellings_of_one_directory_agree)
{
	const char *s = "/src/app/pkg";
	check_maps(ROOT, NULL, "/src/app/pkg/__pycache__/m.pyc", s, "m.pyc");
	check_maps(ROOT, NULL, "/src/app/./pkg/__pycache__/m.pyc", s, "m.pyc"); /* 3.8-3.10 */
	check_maps(ROOT, NULL, "//src//app/pkg//__pycache__/m.pyc", s, "m.pyc");
	check_maps(ROOT, "/src/app", "pkg/__pycache__/m.pyc", s, "m.pyc");
	check_maps(ROOT, "/src/app", "./pkg/__pycache__/m.pyc", s, "m.pyc"); /* 3.6/3.7 */
	check_maps(ROOT, "/src/app", "pkg//__pycache__/m.pyc", s, "m.pyc");
	check_maps(ROOT, "/src/app", "./pkg/./__pycache__//m.pyc", s, "m.pyc");
	check_maps(ROOT, "/src/app/", "pkg/__pycache__/m.pyc", s, "m.pyc");
	check_maps(ROOT, "/src/app/pkg", "__pycache__/m.pyc", s, "m.pyc");
	check_maps(ROOT, "/src/app/pkg", "./__pycache__/m.pyc", s, "m.pyc");
	check_maps(ROOT, "/src/app/pkg/sub", "../__pycache__/m.pyc", s, "m.pyc");
	check_maps(ROOT, "/src/app/pkg", "__pycache__", s, NULL);
}

Test(map_path, absolute_path_ignores_base)
{
	check_maps(ROOT, "/elsewhere", "/src/app/pkg/__pycache__/m.pyc", "/src/app/pkg", "m.pyc");
	check_maps(ROOT, "not-absolute", "/src/app/pkg/__pycache__/m.pyc", "/src/app/pkg", "m.pyc");
}

/* /a/link/../b is not /a/b when link is a symlink: different keys. */
Test(map_path, typed_dotdot_is_part_of_the_key)
{
	check_maps(ROOT, NULL, "/a/b/../c/__pycache__/m.pyc", "/a/b/../c", "m.pyc");
	check_maps(ROOT, "/w", "x/../c/__pycache__/m.pyc", "/w/x/../c", "m.pyc");
	static struct pcr_mapping a, b;
	cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, NULL, "/a/b/../c/__pycache__/m.pyc",
				  &pcr_keyer_spelling, &a),
		     PCR_MAP_OK);
	cr_assert_eq(
	    pcr_map_path(ROOT, ROOT_LEN, NULL, "/a/c/__pycache__/m.pyc", &pcr_keyer_spelling, &b),
	    PCR_MAP_OK);
	cr_assert_str_neq(a.central, b.central);
}

Test(map_path, relative_without_base_needs_one)
{
	cr_assert_eq(map_status(ROOT, NULL, "pkg/__pycache__/m.pyc"), PCR_MAP_NEED_BASE);
	cr_assert_eq(map_status(ROOT, NULL, "__pycache__/m.pyc"), PCR_MAP_NEED_BASE);
	cr_assert_eq(map_status(ROOT, NULL, "__pycache__"), PCR_MAP_NEED_BASE);
	cr_assert_eq(map_status(ROOT, NULL, "./__pycache__/"), PCR_MAP_NEED_BASE);
	cr_assert_eq(map_status(ROOT, "", "__pycache__/m.pyc"), PCR_MAP_NEED_BASE);
	cr_assert_eq(map_status(ROOT, "src/app", "pkg/__pycache__/m.pyc"), PCR_MAP_NEED_BASE);
	cr_assert_eq(map_status(ROOT, NULL, "/src/__pycache__/m.pyc"), PCR_MAP_OK);
}

Test(map_path, not_pycache)
{
	cr_assert_eq(map_status(ROOT, NULL, NULL), PCR_MAP_NOT_PYCACHE);
	cr_assert_eq(map_status(ROOT, NULL, ""), PCR_MAP_NOT_PYCACHE);
	cr_assert_eq(map_status(ROOT, NULL, "/src/pkg/mod.py"), PCR_MAP_NOT_PYCACHE);
	cr_assert_eq(map_status(ROOT, NULL, "/src/x__pycache__/m.pyc"), PCR_MAP_NOT_PYCACHE);
	cr_assert_eq(map_status(ROOT, NULL, "/src/__pycache__x/m.pyc"), PCR_MAP_NOT_PYCACHE);
	cr_assert_eq(map_status(ROOT, NULL, "rel/x__pycache__"), PCR_MAP_NOT_PYCACHE);
}

Test(map_path, refuses_dot_dotdot_and_deeper_tails)
{
	static const char *const refused[] = {
		"/s/__pycache__/.",
		"/s/__pycache__/..",
		"/s/__pycache__/../",
		"/s/__pycache__/../x",
		"/s/__pycache__/../../../etc/passwd",
		"/s/__pycache__/a/b",
		"/s/__pycache__/a/b/",
		"/s/__pycache__/./m.pyc",
		"/a/__pycache__/b/__pycache__/x",
		"/a/__pycache__/__pycache__/x",
		"/s/__pycache__/a/..",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		cr_assert_eq(map_status(ROOT, NULL, refused[i]), PCR_MAP_REFUSED, "\"%s\"",
			     refused[i]);
		/* Refusal does not depend on having a base. */
		cr_assert_eq(map_status(ROOT, "/b", refused[i] + 1), PCR_MAP_REFUSED, "\"%s\"",
			     refused[i] + 1);
	}
}

Test(map_path, already_under_root_is_not_mapped_again)
{
	const char *root = "/c/r";
	cr_assert_eq(map_status(root, NULL, "/c/r/__pycache__/x"), PCR_MAP_UNDER_ROOT);
	cr_assert_eq(map_status(root, NULL, "/c/r/__pycache__"), PCR_MAP_UNDER_ROOT);
	cr_assert_eq(map_status(root, NULL, "/c/r/v2/ab/k/__pycache__/x"), PCR_MAP_UNDER_ROOT);
	cr_assert_eq(map_status(root, NULL, "/c/r//v2/__pycache__"), PCR_MAP_UNDER_ROOT);
	cr_assert_eq(map_status(root, NULL, "/c/./r/__pycache__/x"), PCR_MAP_UNDER_ROOT);
	cr_assert_eq(map_status(root, "/c/r/v2", "__pycache__/x"), PCR_MAP_UNDER_ROOT);
	cr_assert_eq(map_status(root, "/c/x", "../r/__pycache__/x"), PCR_MAP_UNDER_ROOT);
}

/* The root is a real directory (root_prepare refuses a symlink), so a ".."
 * right after it climbs out: /c/r/../x is /c/x, not a path in the cache.
 * Passing it through puts a __pycache__ in the source tree. */
Test(map_path, dotdot_out_of_the_root_is_not_under_root)
{
	static const char *const out[] = {
		"/c/r/../x/__pycache__/m.pyc",
		"/c/r/v2/../../x/__pycache__/m.pyc",
	};
	for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
		enum pcr_map_status st = map_status("/c/r", NULL, out[i]);
		cr_expect_eq(st, PCR_MAP_OK, "root /c/r, \"%s\": %s, expected mapped", out[i],
			     pcr_map_status_str(st));
	}
	/* Staying inside is still inside. */
	cr_assert_eq(map_status("/c/r", NULL, "/c/r/v2/../__pycache__/m.pyc"), PCR_MAP_UNDER_ROOT);
}

/* The ".." judgement reads the spelling from the right, without a copy:
 * more shapes, against what a lexical collapse gives. */
Test(map_path, dotdot_judged_as_collapsed)
{
	static const struct {
		const char *path;
		bool under;
	} cases[] = {
		{ "/c/r/a/../__pycache__/m", true },
		{ "/c/x/../r/__pycache__/m", true },
		{ "/c/x/y/../../r/v2/__pycache__/m", true },
		{ "/c/r/a/b/../../../r/__pycache__/m", true },
		{ "/x/../c/r/__pycache__/m", true },
		{ "/x/../../../c/r/__pycache__/m", true }, /* above / is / */
		{ "/c/r/a/../../r2/__pycache__/m", false },
		{ "/c/r/../r/../x/__pycache__/m", false },
		{ "/c/../r/__pycache__/m", false },
		{ "/c/r/a/../../../c/__pycache__/m", false }, /* /c: the root's parent */
		{ "/c/rr/../r/__pycache__/m", true },
		{ "/c/r/../rx/__pycache__/m", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		enum pcr_map_status st = map_status("/c/r", NULL, cases[i].path);
		cr_expect_eq(st == PCR_MAP_UNDER_ROOT, cases[i].under, "\"%s\": %s", cases[i].path,
			     pcr_map_status_str(st));
	}
}

/* A caller without a buffer of its own reads the base into the mapping, as
 * NEED_BASE offers, and maps again with it there: the same as a base from
 * elsewhere. */
Test(map_path, base_read_into_the_mapping)
{
	static struct pcr_mapping m, other;
	const char *path = "pkg/./sub/../__pycache__/m.pyc";
	cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, NULL, path, &pcr_keyer_spelling, &m),
		     PCR_MAP_NEED_BASE);
	char *base = pcr_map_source(&m);
	cr_assert_gt(m.source_len, 100);
	cr_assert_geq(base - m.central, (ptrdiff_t)(ROOT_LEN + 4 + 3 + PCR_KEY_HEX + 1 + 5));
	strcpy(base, "/src//app/./x/..");
	cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, base, path, &pcr_keyer_spelling, &m), PCR_MAP_OK);
	cr_assert_eq(
	    pcr_map_path(ROOT, ROOT_LEN, "/src//app/./x/..", path, &pcr_keyer_spelling, &other),
	    PCR_MAP_OK);
	cr_assert_str_eq(m.central, other.central);
	cr_assert_str_eq(pcr_map_source(&m), "/src/app/pkg/sub/..");
	cr_assert_str_eq(pcr_map_source(&m), pcr_map_source(&other));
}

/* The keyer may spell "dir/" in place: the byte after the NUL is there. */
static bool key_with_slash(const struct pcr_keyer *self, char *dir, size_t len, char *hex)
{
	cr_assert_eq(dir[len], '\0');
	dir[len] = '/';
	dir[len + 1] = '\0';
	cr_assert_eq(strlen(dir), len + 1);
	dir[len] = '\0';
	return pcr_keyer_spelling.key(self, dir, len, hex);
}

Test(map_path, keyer_may_write_after_the_source)
{
	static const struct pcr_keyer slashing = { key_with_slash };
	static struct pcr_mapping m;
	cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, NULL, "/a/b/__pycache__/m.pyc", &slashing, &m),
		     PCR_MAP_OK);
	cr_assert_str_eq(pcr_map_source(&m), "/a/b");
	char want[PATH_MAX];
	layout_central_of_spelling(want, sizeof want, ROOT, "/a/b", "m.pyc");
	cr_assert_str_eq(m.central, want);
}

/* A sibling that starts with the root's bytes is not inside it. */
Test(map_path, root_prefix_sibling_is_mapped)
{
	check_maps("/c/r", NULL, "/c/rx/__pycache__/m.pyc", "/c/rx", "m.pyc");
	check_maps("/c/r", NULL, "/c/r.old/__pycache__/m.pyc", "/c/r.old", "m.pyc");
	check_maps("/c/r", NULL, "/c/__pycache__/m.pyc", "/c", "m.pyc");
	check_maps("/c/r", NULL, "/__pycache__/m.pyc", "/", "m.pyc");
}

static bool has_dot_component(const char *s)
{
	for (const char *c = s; *c; c++)
		if ((c == s || c[-1] == '/') && c[0] == '.' &&
		    (c[1] == '\0' || c[1] == '/' || (c[1] == '.' && (c[2] == '\0' || c[2] == '/'))))
			return true;
	return false;
}

/* A hostile ".." anywhere never yields a path outside <root>/v2/. */
Test(map_path, dotdot_never_escapes_the_root)
{
	static const char *const paths[] = {
		"/a/../../__pycache__/x",           "/../../../__pycache__/x",
		"/a/b/../../../../__pycache__/..x", "/c/r/../__pycache__/m.pyc",
		"/c/r/v2/../../__pycache__/m.pyc",
	};
	static const char *const rels[] = {
		"../../../__pycache__/x",
		"../__pycache__/m",
		"../r/../../__pycache__/m",
		"a/../../__pycache__/m",
	};
	static struct pcr_mapping m;
	size_t ok = 0;
	for (size_t i = 0; i < sizeof paths / sizeof *paths + sizeof rels / sizeof *rels; i++) {
		bool rel = i >= sizeof paths / sizeof *paths;
		const char *p = rel ? rels[i - sizeof paths / sizeof *paths] : paths[i];
		enum pcr_map_status st =
		    pcr_map_path("/c/r", 4, rel ? "/c/r/v2" : NULL, p, &pcr_keyer_spelling, &m);
		if (st != PCR_MAP_OK)
			continue;
		cr_assert_eq(strncmp(m.central, "/c/r/v2/", 8), 0, "\"%s\" -> \"%s\"", p,
			     m.central);
		cr_assert(!has_dot_component(m.central + 4), "\"%s\" -> \"%s\"", p, m.central);
		ok++;
	}
	cr_assert_geq(ok, 4, "only %zu mapped", ok);
}

/* A root of "/" would hold every path, so nothing maps (config never
 * yields it). */
Test(map_path, root_of_slash_holds_everything)
{
	cr_assert_eq(map_status("/", NULL, "/src/__pycache__/m.pyc"), PCR_MAP_UNDER_ROOT);
}

/* What the source spelling "/s" takes of the buffer after the central path's
 * NUL: itself, its NUL, the room kept after it. */
#define SPELLING_S (2 + 1 + PCR_MAP_DIR_ROOM)

/* The biggest root whose entry directory fits with the source "/s" and the
 * record's name spelled in place ("<entry>.src"), and one byte more. */
Test(map_path, too_long_root)
{
	static char root[PATH_MAX + 1];
	static struct pcr_mapping m;
	size_t entry_extra = 4 + 3 + PCR_KEY_HEX; /* "/v2/" "xx/" key */
	size_t record = sizeof PCR_SOURCE_SUFFIX - 1;
	size_t max_root = PATH_MAX - 1 - entry_extra - record - SPELLING_S;
	memset(root, 'r', sizeof root);
	root[0] = '/';

	root[max_root] = '\0';
	cr_assert_eq(pcr_map_path(root, max_root, NULL, "/s/__pycache__", &pcr_keyer_spelling, &m),
		     PCR_MAP_OK);
	size_t entry_len = PATH_MAX - 1 - record - SPELLING_S;
	cr_assert_eq(m.central_len, entry_len);
	cr_assert_eq(m.entry_len, entry_len);
	cr_assert_eq(strlen(m.central), entry_len);
	cr_assert_str_eq(pcr_map_source(&m), "/s");
	char want[PATH_MAX + 64];
	layout_central_of_spelling(want, sizeof want, root, "/s", NULL);
	cr_assert_str_eq(m.central, want);
	/* A name no longer than the record's suffix fits in its place... */
	cr_assert_eq(
	    pcr_map_path(root, max_root, NULL, "/s/__pycache__/m.p", &pcr_keyer_spelling, &m),
	    PCR_MAP_OK);
	/* ...and a longer one does not. */
	cr_assert_eq(
	    pcr_map_path(root, max_root, NULL, "/s/__pycache__/m.pyc", &pcr_keyer_spelling, &m),
	    PCR_MAP_TOO_LONG);

	root[max_root] = 'r';
	root[max_root + 1] = '\0';
	cr_assert_eq(
	    pcr_map_path(root, max_root + 1, NULL, "/s/__pycache__", &pcr_keyer_spelling, &m),
	    PCR_MAP_TOO_LONG);
}

/* A name that exactly fills the buffer with the source "/s", and one byte
 * more. */
Test(map_path, too_long_name)
{
	static char path[2 * PATH_MAX];
	static struct pcr_mapping m;
	size_t entry_len = ROOT_LEN + 4 + 3 + PCR_KEY_HEX;
	size_t name_len = PATH_MAX - 1 - SPELLING_S - entry_len - 1;
	strcpy(path, "/s/__pycache__/");
	size_t pre = strlen(path);
	memset(path + pre, 'n', name_len);
	path[pre + name_len] = '\0';
	cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, NULL, path, &pcr_keyer_spelling, &m), PCR_MAP_OK);
	cr_assert_eq(m.central_len, PATH_MAX - 1 - SPELLING_S);
	cr_assert_eq(strlen(m.central), PATH_MAX - 1 - SPELLING_S);
	cr_assert_str_eq(m.central + entry_len + 1, path + pre);
	cr_assert_str_eq(pcr_map_source(&m), "/s");

	path[pre + name_len] = 'n';
	path[pre + name_len + 1] = '\0';
	cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, NULL, path, &pcr_keyer_spelling, &m),
		     PCR_MAP_TOO_LONG);
}

/* Too long a source directory: absolute, and relative through the base. */
Test(map_path, too_long_source)
{
	static char path[2 * PATH_MAX], base[PATH_MAX];
	static struct pcr_mapping m;
	size_t n = 0;
	while (n < PATH_MAX + 100) {
		path[n++] = '/';
		memset(path + n, 'd', 100);
		n += 100;
	}
	strcpy(path + n, "/__pycache__/m.pyc");
	cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, NULL, path, &pcr_keyer_spelling, &m),
		     PCR_MAP_TOO_LONG);

	memcpy(base, path, PATH_MAX - 50);
	base[PATH_MAX - 50] = '\0';
	cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, base,
				  "abcdefghij/abcdefghij/abcdefghij/"
				  "abcdefghij/abcdefghij/__pycache__/m.pyc",
				  &pcr_keyer_spelling, &m),
		     PCR_MAP_TOO_LONG);
	/* A base that leaves room for the central path and a short relative
	 * part maps. */
	base[PATH_MAX - 150] = '\0';
	cr_assert_eq(pcr_map_path("/r", 2, base, "x/__pycache__/m.pyc", &pcr_keyer_spelling, &m),
		     PCR_MAP_OK);
}

/* On TOO_LONG nothing is written past central (the fields after it keep their
 * bytes) and central stays a NUL-terminated string inside its buffer. */
Test(map_path, too_long_never_writes_past_the_buffer)
{
	static struct {
		struct pcr_mapping m;
		unsigned char canary[256];
	} w;
	static char root[PATH_MAX], path[PATH_MAX];
	memset(root, 'r', sizeof root);
	root[0] = '/';
	root[PATH_MAX - 60] = '\0';
	strcpy(path, "/s/__pycache__/");
	memset(path + strlen(path), 'n', 40);

	/* Entry directory, "/", the 40-byte name and the source fill the
	 * buffer here. */
	size_t fits = PATH_MAX - 1 - (4 + 3 + PCR_KEY_HEX) - 41 - SPELLING_S;
	for (size_t rl = PATH_MAX - 60; rl > fits; rl--) {
		root[rl] = '\0';
		memset(&w, 0xa5, sizeof w);
		enum pcr_map_status st =
		    pcr_map_path(root, rl, NULL, path, &pcr_keyer_spelling, &w.m);
		cr_assert_eq(st, PCR_MAP_TOO_LONG, "root of %zu bytes: %s", rl,
			     pcr_map_status_str(st));
		cr_assert_not_null(memchr(w.m.central, '\0', sizeof w.m.central));
		const unsigned char *cl = (const unsigned char *)&w.m.central_len;
		for (size_t i = 0; i < sizeof w.m.central_len; i++)
			cr_assert_eq(cl[i], 0xa5, "central_len was written");
		for (size_t i = 0; i < sizeof w.canary; i++)
			cr_assert_eq(w.canary[i], 0xa5, "wrote past the mapping");
	}
	root[fits] = '\0';
	cr_assert_eq(pcr_map_path(root, fits, NULL, path, &pcr_keyer_spelling, &w.m), PCR_MAP_OK);
	cr_assert_eq(w.m.central_len, PATH_MAX - 1 - SPELLING_S);
	cr_assert_str_eq(pcr_map_source(&w.m), "/s");
}

/* ---- many generated paths ------------------------------------------- */

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The invariants every OK mapping keeps. */
static void check_invariants(const char *root, const char *path, const struct pcr_mapping *m)
{
	size_t rl = strlen(root);
	const char *c = m->central;
	cr_assert_eq(strncmp(c, root, rl), 0, "\"%s\": \"%s\" not under root", path, c);
	cr_assert_eq(strncmp(c + rl, "/v2/", 4), 0, "\"%s\": \"%s\" not under v2", path, c);
	cr_assert(is_hex(c + rl + 4, 2) && c[rl + 6] == '/', "\"%s\": fan-out of \"%s\"", path, c);
	cr_assert(is_hex(c + rl + 7, 32), "\"%s\": key of \"%s\"", path, c);
	cr_assert_eq(strncmp(c + rl + 4, c + rl + 7, 2), 0, "\"%s\": k0k1 is not the key's start",
		     path);
	cr_assert_eq(m->entry_len, rl + 39, "\"%s\": entry_len", path);
	cr_assert_eq(m->central_len, strlen(c), "\"%s\": central_len", path);

	/* The key is the documented hash of the recorded source... */
	char key[33];
	layout_key_of_spelling(pcr_map_source(m), m->source_len, key);
	cr_assert_arr_eq(c + rl + 7, key, 32, "\"%s\": key is not XXH3-128 of \"%s\"", path,
			 pcr_map_source(m));
	/* ...which is absolute and normalised. */
	const char *s = pcr_map_source(m);
	cr_assert_eq(m->source_len, strlen(s));
	cr_assert_eq(s[0], '/', "\"%s\": source \"%s\"", path, s);
	cr_assert(m->source_len == 1 || s[m->source_len - 1] != '/', "\"%s\": source \"%s\"", path,
		  s);
	cr_assert_null(strstr(s, "//"), "\"%s\": source \"%s\"", path, s);
	cr_assert_null(strstr(s, "/./"), "\"%s\": source \"%s\"", path, s);
	cr_assert(m->source_len < 2 || strcmp(s + m->source_len - 2, "/.") != 0,
		  "\"%s\": source \"%s\"", path, s);

	/* The tail after __pycache__ and its slashes ends the central path. */
	const char *t = path + m->cache_end;
	cr_assert_arr_eq(path + m->cache_end - 11, "__pycache__", 11, "\"%s\": cache_end", path);
	while (*t == '/')
		t++;
	if (*t == '\0') {
		cr_assert(m->is_dir, "\"%s\"", path);
		cr_assert_eq(m->central_len, m->entry_len, "\"%s\"", path);
	} else {
		cr_assert(!m->is_dir, "\"%s\"", path);
		cr_assert_eq(c[m->entry_len], '/', "\"%s\"", path);
		cr_assert_str_eq(c + m->entry_len + 1, t, "\"%s\": tail", path);
		cr_assert(!(t[0] == '.' && (t[1] == '\0' || t[1] == '/')),
			  "\"%s\": mapped a \".\" tail", path);
		cr_assert(!(t[0] == '.' && t[1] == '.' && (t[2] == '\0' || t[2] == '/')),
			  "\"%s\": mapped a \"..\" tail", path);
		const char *slash = strchr(t, '/');
		cr_assert(!slash || strspn(slash, "/") == strlen(slash),
			  "\"%s\": mapped a deeper level", path);
	}
}

Test(map_path, generated_paths_keep_the_invariants)
{
	static const char *const roots[] = { "/c/r", ROOT, "/w/x" };
	static const char *const bases[] = { NULL, "/w", "/w/x/y" };
	static const char *const parts[] = {
		"",
		".",
		"..",
		"a",
		"pkg",
		"x__pycache__",
		"__pycache__x",
		"...",
		"dir with space",
		"\xc3\xbc",
		"r",
	};
	static const char *const seps[] = { "/", "//", "/./" };
	static const char *const tails[] = {
		"",
		"/",
		"//",
		"/m.cpython-311.pyc",
		"//m.pyc",
		"/m.pyc/",
		"/.",
		"/..",
		"/../x",
		"/a/b",
		"/.hidden",
		"/...",
		"/m.pyc.12345",
		"/__pycache__",
		"/__pycache__/x",
	};
	const size_t np = sizeof parts / sizeof *parts, ns = sizeof seps / sizeof *seps;
	static struct pcr_mapping m;
	size_t ok = 0, refused = 0, under = 0, total = 0;
	char dir[256], path[512];

	for (size_t r = 0; r < sizeof roots / sizeof *roots; r++)
		for (size_t b = 0; b < sizeof bases / sizeof *bases; b++)
			for (size_t i = 0; i < np; i++)
				for (size_t j = 0; j < np; j++)
					for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
						/* Absolute with no base, relative with one. */
						const char *sep = seps[(i + j + t) % ns];
						unit_path(dir, "%s%s%s%s", bases[b] ? "" : "/",
							  parts[i], sep, parts[j]);
						unit_path(path, "%s%s__pycache__%s", dir,
							  dir[strlen(dir) - 1] == '/' ? "" : "/",
							  tails[t]);
						enum pcr_map_status st = pcr_map_path(
						    roots[r], strlen(roots[r]), bases[b], path,
						    &pcr_keyer_spelling, &m);
						total++;
						struct pcr_pycache_ref ref;
						enum pcr_parse p = pcr_parse_pycache(path, &ref);
						switch (st) {
						case PCR_MAP_OK:
							ok++;
							cr_assert(p == PCR_PARSE_DIR ||
								      p == PCR_PARSE_ENTRY,
								  "\"%s\"", path);
							check_invariants(roots[r], path, &m);
							break;
						case PCR_MAP_REFUSED:
							refused++;
							cr_assert_eq(p, PCR_PARSE_REFUSED, "\"%s\"",
								     path);
							break;
						case PCR_MAP_NOT_PYCACHE:
							cr_assert_eq(p, PCR_PARSE_NONE, "\"%s\"",
								     path);
							break;
						case PCR_MAP_UNDER_ROOT:
							/* Only the root that the bases /w/x/y and /w + "x" fall in. */
							under++;
							cr_assert_str_eq(
							    roots[r], "/w/x", "\"%s\" (base %s)",
							    path, bases[b] ? bases[b] : "none");
							break;
						default:
							cr_assert_fail("\"%s\" (base %s): %s", path,
								       bases[b] ? bases[b] : "none",
								       pcr_map_status_str(st));
						}
					}
	cr_assert_gt(total, 1000);
	cr_assert_gt(ok, 500, "only %zu of %zu mapped", ok, total);
	cr_assert_gt(refused, 100);
	cr_assert_gt(under, 10);
	cr_log_info("%zu paths: %zu mapped, %zu refused, %zu under the root", total, ok, refused,
		    under);
}

/* The relative spelling and base + "/" + it agree when no ".." is typed. */
Test(map_path, generated_relative_and_absolute_agree)
{
	static const char *const parts[] = { ".", "a", "pkg", "sub dir", "" };
	static const char *const bases[] = { "/", "/w", "/w/x/", "/w//y" };
	static struct pcr_mapping rel, abs;
	char r[256], a[512];
	size_t n = 0;
	for (size_t b = 0; b < sizeof bases / sizeof *bases; b++)
		for (size_t i = 0; i < 5; i++)
			for (size_t j = 0; j < 5; j++)
				for (size_t k = 0; k < 5; k++) {
					unit_path(r, "%s/%s/%s/__pycache__/m.cpython-311.pyc",
						  parts[i], parts[j], parts[k]);
					const char *rp = r;
					while (*rp == '/')
						rp++; /* keep it relative */
					unit_path(a, "%s/%s", bases[b], rp);
					cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, bases[b], rp,
								  &pcr_keyer_spelling, &rel),
						     PCR_MAP_OK, "\"%s\"", rp);
					cr_assert_eq(pcr_map_path(ROOT, ROOT_LEN, NULL, a,
								  &pcr_keyer_spelling, &abs),
						     PCR_MAP_OK, "\"%s\"", a);
					cr_assert_str_eq(rel.central, abs.central,
							 "\"%s\" in \"%s\" vs \"%s\"", rp, bases[b],
							 a);
					cr_assert_str_eq(pcr_map_source(&rel),
							 pcr_map_source(&abs));
					n++;
				}
	cr_assert_eq(n, 500);
}

/* ---- pcr_entry_dir --------------------------------------------------- */

/* pcr_entry_dir of the spelling's key. */
static size_t entry_dir_of(const char *root, size_t root_len, const char *source, size_t source_len,
			   char *out, size_t outsz)
{
	char key[PCR_KEY_HEX + 1];
	pcr_key(source, source_len, key);
	return pcr_entry_dir(root, root_len, key, out, outsz);
}

Test(entry_dir, is_root_v2_fanout_key)
{
	char out[PATH_MAX], want[PATH_MAX];
	layout_central_of_spelling(want, sizeof want, ROOT, "/src/app/pkg", NULL);
	size_t n = entry_dir_of(ROOT, ROOT_LEN, "/src/app/pkg", 12, out, sizeof out);
	cr_assert_eq(n, strlen(want));
	cr_assert_str_eq(out, want);
	cr_assert_str_eq(out, ROOT "/v2/8b/8b16ce8bd1515ff284db5d4272fa6bd1");
}

/* root_len and source_len are honoured, not the NULs. */
Test(entry_dir, uses_the_given_lengths)
{
	char out[PATH_MAX], want[PATH_MAX];
	layout_central_of_spelling(want, sizeof want, "/c/r", "/src", NULL);
	cr_assert_eq(entry_dir_of("/c/r/ignored", 4, "/src/ignored", 4, out, sizeof out),
		     strlen(want));
	cr_assert_str_eq(out, want);
}

Test(entry_dir, exactly_fitting_and_one_byte_short)
{
	char want[PATH_MAX], buf[128];
	layout_central_of_spelling(want, sizeof want, "/c/r", "/s", NULL);
	size_t len = strlen(want);
	cr_assert_eq(len, 4 + 39);

	memset(buf, 'Z', sizeof buf);
	cr_assert_eq(entry_dir_of("/c/r", 4, "/s", 2, buf, len + 1), len);
	cr_assert_str_eq(buf, want);
	for (size_t i = len + 1; i < sizeof buf; i++)
		cr_assert_eq(buf[i], 'Z');

	memset(buf, 'Z', sizeof buf);
	cr_assert_eq(entry_dir_of("/c/r", 4, "/s", 2, buf, len), 0);
	for (size_t i = len; i < sizeof buf; i++)
		cr_assert_eq(buf[i], 'Z', "byte %zu written past outsz", i);
	cr_assert_eq(entry_dir_of("/c/r", 4, "/s", 2, buf, 0), 0);
}

Test(map_status, every_status_has_words)
{
	for (int s = PCR_MAP_OK; s <= PCR_MAP_UNDER_ROOT; s++) {
		const char *w = pcr_map_status_str((enum pcr_map_status)s);
		cr_assert_not_null(w);
		cr_assert_str_neq(w, "unknown", "status %d", s);
		for (int t = PCR_MAP_OK; t < s; t++)
			cr_assert_str_neq(w, pcr_map_status_str((enum pcr_map_status)t));
	}
}

/* ---- Python 2's sidecar pycs ---- */

static void check_sidecar(const char *base, const char *path, const char *source, const char *name,
			  size_t cache_end)
{
	static struct pcr_mapping m;
	char want[PATH_MAX];
	layout_central_of_spelling(want, sizeof want, ROOT, source, name);
	enum pcr_map_status st =
	    pcr_map_sidecar(ROOT, ROOT_LEN, base, path, &pcr_keyer_spelling, &m);
	cr_assert_eq(st, PCR_MAP_OK, "\"%s\": %s", path, pcr_map_status_str(st));
	cr_assert_str_eq(m.central, want, "\"%s\"", path);
	cr_assert_str_eq(pcr_map_source(&m), source, "\"%s\"", path);
	cr_assert(!m.is_dir);
	cr_assert_eq(m.cache_end, cache_end, "\"%s\": cache_end", path);
}

Test(map_sidecar, pyc_and_pyo_beside_the_source_go_to_its_directorys_entry)
{
	check_sidecar(NULL, "/src/pkg/mod.pyc", "/src/pkg", "mod.pyc", 9);
	check_sidecar(NULL, "/src/pkg/mod.pyo", "/src/pkg", "mod.pyo", 9);
	check_sidecar("/w", "pkg/__init__.pyc", "/w/pkg", "__init__.pyc", 4);
	check_sidecar("/w", "mod.pyc", "/w", "mod.pyc", 0);
	check_sidecar("/w", "./a//b/../m.pyc", "/w/a/b/..", "m.pyc", 10);
	check_sidecar(NULL, "/m.pyc", "/", "m.pyc", 1);
	/* The same entry a __pycache__ of the directory has. */
	char py3[PATH_MAX], py2[PATH_MAX];
	layout_central_of_spelling(py3, sizeof py3, ROOT, "/src/pkg", NULL);
	layout_central_of_spelling(py2, sizeof py2, ROOT, "/src/pkg", NULL);
	cr_assert_str_eq(py2, py3);
}

Test(map_sidecar, anything_else_is_not_a_sidecar)
{
	static struct pcr_mapping m;
	const char *const not_sidecars[] = {
		"/src/mod.py",
		"/src/mod.pyx",
		"/src/.pyc",
		"/src/pyc",
		"/src/mod.pyc/",
		"/src/mod.PYC",
		"mod.pycx",
		"",
		".pyc",
		/* __pycache__ paths are pcr_map_path's */
		"/src/__pycache__/mod.cpython-311.pyc",
		"/src/__pycache__/x/m.pyc",
	};
	for (size_t i = 0; i < sizeof not_sidecars / sizeof *not_sidecars; i++)
		cr_assert_eq(
		    pcr_map_sidecar(ROOT, ROOT_LEN, "/w", not_sidecars[i], &pcr_keyer_spelling, &m),
		    PCR_MAP_NOT_PYCACHE, "\"%s\"", not_sidecars[i]);
	cr_assert_eq(pcr_map_sidecar(ROOT, ROOT_LEN, NULL, "mod.pyc", &pcr_keyer_spelling, &m),
		     PCR_MAP_NEED_BASE);
	cr_assert_eq(
	    pcr_map_sidecar(ROOT, ROOT_LEN, NULL, ROOT "/v2/ab/m.pyc", &pcr_keyer_spelling, &m),
	    PCR_MAP_UNDER_ROOT);
}

Test(map_sidecar, the_fast_test_passes_every_sidecar_and_little_else)
{
	cr_assert(pcr_might_be_sidecar("/a/m.pyc"));
	cr_assert(pcr_might_be_sidecar("m.pyo"));
	cr_assert(!pcr_might_be_sidecar("/a/m.py"));
	cr_assert(!pcr_might_be_sidecar("/a/.pyc"));
	cr_assert(!pcr_might_be_sidecar(".pyc"));
	cr_assert(!pcr_might_be_sidecar("/a/m.pyc/"));
}

/* pcr_map_is_entry: exactly <root>/v2/<k0k1>/<key>, the shard the key's
 * first two digits; how a listing tells a descriptor open on an entry. */
Test(map_is_entry, only_an_entry_directory_of_this_root)
{
	char entry[PATH_MAX];
	layout_central_of_spelling(entry, sizeof entry, ROOT, "/src/pkg", NULL);
	cr_assert(pcr_map_is_entry(ROOT, ROOT_LEN, entry, strlen(entry)), "%s", entry);
	static const char *const not [] = {
		ROOT "/v2",
		ROOT "/v2/ab",
		ROOT "/v2/ab/abcdef0123456789abcdef0123456789/x.pyc",
		ROOT "/v2/ab/abcdef0123456789abcdef012345678",   /* 31 digits */
		ROOT "/v2/ab/abcdef0123456789abcdef0123456789a", /* 33 */
		ROOT "/v2/ac/abcdef0123456789abcdef0123456789",  /* another shard */
		ROOT "/v2/AB/ABCDEF0123456789ABCDEF0123456789",  /* upper case */
		ROOT "/v1/ab/abcdef0123456789abcdef0123456789",  /* the old layout */
		ROOT "x/v2/ab/abcdef0123456789abcdef0123456789", /* a sibling of the root */
		"/elsewhere/v2/ab/abcdef0123456789abcdef0123456789",
	};
	for (size_t i = 0; i < sizeof not / sizeof *not ; i++)
		cr_assert_not(pcr_map_is_entry(ROOT, ROOT_LEN, not [i], strlen(not [i])), "%s",
			      not [i]);
	const char *ok = ROOT "/v2/ab/abcdef0123456789abcdef0123456789";
	cr_assert(pcr_map_is_entry(ROOT, ROOT_LEN, ok, strlen(ok)));
}
