/* The command's helpers that turn values into words and back (cli/units.c,
 * cli/parse.c, cli/json.c) and read and spell LD_PRELOAD (cli/library.c), against the
 * forms the README and the man page document: the end-to-end tests compare the command's output with these
 * same functions, so their spelling is pinned here, once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cli/cli.h"

static const char *human(uint64_t bytes)
{
	static char buf[PCR_CLI_HUMAN_SIZE];
	return pcr_cli_human_size(bytes, buf);
}

Test(cli, sizes_read_in_1024_steps_with_one_decimal)
{
	cr_assert_str_eq(human(0), "0 B");
	cr_assert_str_eq(human(1023), "1023 B");
	cr_assert_str_eq(human(1024), "1.0 KiB");
	cr_assert_str_eq(human(2560), "2.5 KiB");
	cr_assert_str_eq(human(12 * 1024), "12.0 KiB");
	cr_assert_str_eq(human(1258291), "1.2 MiB");
	cr_assert_str_eq(human(5ull << 30), "5.0 GiB");
	cr_assert_str_eq(human(3ull << 40), "3.0 TiB");
	cr_assert_str_eq(human(UINT64_MAX), "16.0 EiB");
}

Test(cli, a_size_that_would_round_to_1024_is_the_next_unit)
{
	/* 1023.95 KiB and above would print as "1024.0 KiB". */
	cr_assert_str_eq(human(1048524), "1023.9 KiB");
	cr_assert_str_eq(human(1048525), "1.0 MiB");
	cr_assert_str_eq(human((1ull << 30) - 1), "1.0 GiB");
}

static uint64_t size_of(const char *s)
{
	uint64_t bytes = 0;
	char why[128] = "";
	cr_assert(pcr_cli_parse_size(s, &bytes, why, sizeof why), "%s: %s", s, why);
	return bytes;
}

static const char *size_refused(const char *s)
{
	static char why[128];
	uint64_t bytes = 12345;
	why[0] = '\0';
	cr_assert(!pcr_cli_parse_size(s, &bytes, why, sizeof why), "%s taken", s);
	cr_assert_eq(bytes, 12345, "%s: nothing written on a refusal", s);
	cr_assert(why[0], "%s: a reason", s);
	return why;
}

Test(cli, sizes_as_typed)
{
	cr_assert_eq(size_of("0"), 0);
	cr_assert_eq(size_of("10"), 10ull << 30, "a bare number is in GiB, as in ccache");
	cr_assert_eq(size_of("100B"), 100);
	cr_assert_eq(size_of("100b"), 100);
	cr_assert_eq(size_of("500M"), 500ull << 20);
	cr_assert_eq(size_of("2G"), 2ull << 30);
	cr_assert_eq(size_of("2g"), 2ull << 30, "the unit in either case");
	cr_assert_eq(size_of("1K"), 1024);
	cr_assert_eq(size_of("16777215T"), 16777215ull << 40);
}

Test(cli, sizes_refused_with_a_reason)
{
	size_refused("");
	size_refused("G");
	size_refused("-1");
	size_refused("1.5G");
	size_refused("2GB");
	size_refused(" 2G");
	cr_assert(strstr(size_refused("2X"), "unknown unit"));
	cr_assert(strstr(size_refused("16777216T"), "too large"));
	cr_assert(strstr(size_refused("17179869184"), "too large"), "GiB past 2^64 bytes");
	size_refused("99999999999999999999"); /* past UINT64_MAX */
}

static uint64_t age_of(const char *s)
{
	uint64_t seconds = 0;
	char why[128] = "";
	cr_assert(pcr_cli_parse_age(s, &seconds, why, sizeof why), "%s: %s", s, why);
	return seconds;
}

Test(cli, ages_as_typed)
{
	cr_assert_eq(age_of("30s"), 30);
	cr_assert_eq(age_of("5m"), 300);
	cr_assert_eq(age_of("12h"), 12 * 3600);
	cr_assert_eq(age_of("30d"), 30 * 86400);
	cr_assert_eq(age_of("2w"), 2 * 604800);
	cr_assert_eq(age_of("0d"), 0);
}

Test(cli, ages_refused_with_a_reason)
{
	uint64_t seconds = 7;
	char why[128] = "";
	cr_assert(!pcr_cli_parse_age("30", &seconds, why, sizeof why));
	cr_assert(strstr(why, "the unit is missing"), "%s", why);
	cr_assert(!pcr_cli_parse_age("30D", &seconds, why, sizeof why), "units are lower case");
	cr_assert(strstr(why, "unknown unit"), "%s", why);
	cr_assert(!pcr_cli_parse_age("30dd", &seconds, why, sizeof why));
	cr_assert(!pcr_cli_parse_age("d", &seconds, why, sizeof why));
	cr_assert(!pcr_cli_parse_age("99999999999999999w", &seconds, why, sizeof why));
	cr_assert(strstr(why, "too large"), "%s", why);
	cr_assert_eq(seconds, 7, "nothing written on a refusal");
}

Test(cli, times_in_iso_8601_utc)
{
	char buf[PCR_CLI_ISO8601];
	cr_assert_str_eq(pcr_cli_iso8601(0, buf), "1970-01-01T00:00:00Z");
	cr_assert_str_eq(pcr_cli_iso8601(1795609698, buf), "2026-11-25T12:28:18Z");
}

/* What a printer of names writes for s. */
static const char *printed(void (*print)(FILE *out, const char *s), const char *s)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof buf, "w");
	cr_assert_not_null(f);
	print(f, s);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static const char *json(const char *s) { return printed(pcr_cli_json_string, s); }

Test(cli, json_strings_escaped_as_rfc_8259_asks)
{
	cr_assert_str_eq(json("/src/app"), "\"/src/app\"");
	cr_assert_str_eq(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
	cr_assert_str_eq(json("line\nnext\ttab"), "\"line\\nnext\\ttab\"");
	cr_assert_str_eq(json("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
	cr_assert_str_eq(json("caf\xc3\xa9"), "\"caf\xc3\xa9\"", "UTF-8 passes as it is");
	cr_assert_str_eq(json(""), "\"\"");
	cr_assert_str_eq(json("a\x1b[31mred"), "\"a\\u001b[31mred\"", "ESC escaped");
	cr_assert_str_eq(json("\xf0\x9f\x90\x8d"), "\"\xf0\x9f\x90\x8d\"", "4 bytes pass");
}

/* Bytes that are not UTF-8 come out as the surrogates Python's
 * surrogateescape gives them, so that the JSON is valid UTF-8 and
 * os.fsencode(json.loads(...)) is the name again. */
Test(cli, json_strings_are_utf_8_whatever_the_bytes)
{
	cr_assert_str_eq(json("a\xff"
			      "b"),
			 "\"a\\udcffb\"");
	cr_assert_str_eq(json("\xc0\xaf"), "\"\\udcc0\\udcaf\"", "an overlong /");
	cr_assert_str_eq(json("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"", "a surrogate");
	cr_assert_str_eq(json("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"",
			 "past U+10FFFF");
	cr_assert_str_eq(json("\xe2\x82"), "\"\\udce2\\udc82\"", "cut short");
	cr_assert_str_eq(json("caf\xc3"), "\"caf\\udcc3\"", "cut at the end");
}

static const char *escaped(const char *s) { return printed(pcr_cli_escape_name, s); }

/* On a terminal a name is shown, never obeyed. */
Test(cli, names_on_a_terminal_cannot_steer_it)
{
	cr_assert_str_eq(escaped("/src/app"), "/src/app");
	cr_assert_str_eq(escaped("caf\xc3\xa9"), "caf\xc3\xa9", "UTF-8 as it is");
	cr_assert_str_eq(escaped("a\x1b]0;title\x07"
				 "b"),
			 "a\\x1b]0;title\\x07b");
	cr_assert_str_eq(escaped("x\xc2\x9b"
				 "y"),
			 "x\\xc2\\x9by", "C1 CSI");
	cr_assert_str_eq(escaped("\xff\n\x7f"), "\\xff\\x0a\\x7f");
	cr_assert_str_eq(escaped("a\\x41"), "a\\\\x41", "a backslash stays plain");
}

/* The entries of an LD_PRELOAD list, each "start:len:ours" and a space. */
static const char *entries(const char *list)
{
	static char out[512];
	size_t n = 0;
	struct pcr_cli_preload_entry e;
	out[0] = '\0';
	while (pcr_cli_preload_next(&list, &e))
		n += (size_t)snprintf(out + n, sizeof out - n, "%.*s:%d ", (int)e.len, e.start,
				      e.ours);
	return out;
}

Test(cli, preload_entries_split_at_spaces_and_colons)
{
	cr_assert_str_eq(entries(""), "");
	cr_assert_str_eq(entries(" : :"), "");
	cr_assert_str_eq(entries("/a/libx.so"), "/a/libx.so:0 ");
	cr_assert_str_eq(entries("/a/libx.so:/b/" PCR_LIBRARY_NAME " libz.so"),
			 "/a/libx.so:0 /b/" PCR_LIBRARY_NAME ":1 libz.so:0 ");
	cr_assert_str_eq(entries("::" PCR_LIBRARY_NAME "  "), PCR_LIBRARY_NAME ":1 ",
			 "a bare file name, empty entries skipped");
	cr_assert_str_eq(entries("/x/" PCR_LIBRARY_NAME ".1:/x/lib" PCR_LIBRARY_NAME),
			 "/x/" PCR_LIBRARY_NAME ".1:0 /x/lib" PCR_LIBRARY_NAME ":0 ",
			 "only the file name itself is ours");
	cr_assert_str_eq(entries("/" PCR_LIBRARY_NAME "/libx.so"),
			 "/" PCR_LIBRARY_NAME "/libx.so:0 ", "a directory of that name is not");
}

#define TAIL "/pycache-redirect/" PCR_LIBRARY_NAME

static const char *spelled(const char *path, const char *loader_lib)
{
	static char out[256];
	return pcr_cli_preload_spelling(path, loader_lib, out, sizeof out) ? out : "(none)";
}

/* An installed library in the loader's own libdir is named with $LIB, so
 * that ld.so hands a program of another architecture its own build; any
 * other path is named as it is. */
Test(cli, preload_spelling_names_the_loaders_libdir_with_lib)
{
	const char *debian = "lib/x86_64-linux-gnu";
	cr_assert_str_eq(spelled("/usr/lib/x86_64-linux-gnu" TAIL, debian), "/usr/$LIB" TAIL);
	cr_assert_str_eq(spelled("/opt/p/lib/x86_64-linux-gnu" TAIL, debian), "/opt/p/$LIB" TAIL);
	cr_assert_str_eq(spelled("/lib/x86_64-linux-gnu" TAIL, debian), "/$LIB" TAIL);
	cr_assert_str_eq(spelled("/usr/lib64" TAIL, "lib64"), "/usr/$LIB" TAIL, "Fedora's");
	cr_assert_str_eq(spelled("/usr/local/lib" TAIL, debian), "/usr/local/lib" TAIL,
			 "a libdir that is not the loader's");
	cr_assert_str_eq(spelled("/usr/xlib64" TAIL, "lib64"), "/usr/xlib64" TAIL,
			 "the libdir is whole components");
	cr_assert_str_eq(spelled("/usr/lib/x86_64-linux-gnu/" PCR_LIBRARY_NAME, debian),
			 "/usr/lib/x86_64-linux-gnu/" PCR_LIBRARY_NAME,
			 "only in its pycache-redirect directory");
	cr_assert_str_eq(spelled("/tmp/build/" PCR_LIBRARY_NAME, debian),
			 "/tmp/build/" PCR_LIBRARY_NAME, "the build tree");
	cr_assert_str_eq(spelled("/usr/lib64" TAIL, ""), "/usr/lib64" TAIL,
			 "the loader's libdir unknown");
	cr_assert_str_eq(spelled("lib64" TAIL, "lib64"), "lib64" TAIL, "no directory before it");
	char small[8];
	cr_assert_eq(pcr_cli_preload_spelling("/usr/lib64" TAIL, "lib64", small, sizeof small), 0);
}

static const char *expanded(const char *entry, const char *loader_lib)
{
	static char out[256];
	return pcr_cli_loader_expand(entry, loader_lib, out, sizeof out) ? out : "(none)";
}

/* What the loader opens for an LD_PRELOAD entry: $LIB and ${LIB}, not a
 * longer name that begins with LIB. */
Test(cli, loader_expand_replaces_lib_as_the_loader_does)
{
	cr_assert_str_eq(expanded("/usr/$LIB" TAIL, "lib64"), "/usr/lib64" TAIL);
	cr_assert_str_eq(expanded("/usr/${LIB}" TAIL, "lib/x86_64-linux-gnu"),
			 "/usr/lib/x86_64-linux-gnu" TAIL);
	cr_assert_str_eq(expanded("/a/$LIB/$LIB/x.so", "l"), "/a/l/l/x.so");
	cr_assert_str_eq(expanded("/a/$LIBX/x.so", "l"), "/a/$LIBX/x.so");
	cr_assert_str_eq(expanded("/a/$ORIGIN/x.so", "l"), "/a/$ORIGIN/x.so");
	cr_assert_str_eq(expanded("/plain/x.so", ""), "/plain/x.so");
	cr_assert_str_eq(expanded("/usr/$LIB/x.so", ""), "(none)", "$LIB unknown here");
	char small[6];
	cr_assert_eq(pcr_cli_loader_expand("/usr/$LIB", "lib64", small, sizeof small), 0);
	cr_assert_eq(pcr_cli_loader_expand("/usr/", "", small, sizeof small), 5);
	cr_assert_eq(pcr_cli_loader_expand("/usr/x", "", small, sizeof small), 0);
}
