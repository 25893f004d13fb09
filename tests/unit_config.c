/* pcr_config_load with a fake environment. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/config.h"

/* The fake environment: pairs of name and value, ended by a NULL name. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	for (const char *const *e = fake_env; e && *e; e += 2)
		if (strcmp(e[0], name) == 0)
			return e[1];
	return NULL;
}

static struct pcr_config cfg;

#define LOAD_UID(uid, ...)                                                    \
	do {                                                                  \
		static const char *const env_[] = { __VA_ARGS__, NULL };      \
		fake_env = env_;                                              \
		memset(&cfg, 0x5a, sizeof cfg); /* no field left to chance */ \
		pcr_config_load(&cfg, fake_getenv, (uid));                    \
	} while (0)
#define LOAD(...) LOAD_UID(1000, __VA_ARGS__)

#define HOME_U "HOME", "/home/u"

static void check_root(const char *root, enum pcr_root_origin origin)
{
	cr_assert_str_eq(cfg.root, root);
	cr_assert_eq(cfg.root_len, strlen(root));
	cr_assert_eq(cfg.root_origin, origin, "origin %s, expected %s",
		     pcr_root_origin_str(cfg.root_origin), pcr_root_origin_str(origin));
}

static void check_defaults_but_root(void)
{
	cr_assert(cfg.enabled);
	cr_assert_eq(cfg.scope, PCR_SCOPE_PYTHON);
	cr_assert_eq(cfg.log_level, PCR_LOG_SILENT);
	cr_assert_null(cfg.log_file);
	cr_assert_null(cfg.problem, "problem: %s", cfg.problem);
}

/* ---- the root --------------------------------------------------------- */

Test(config, xdg_cache_home_first)
{
	LOAD("XDG_CACHE_HOME", "/x/cache", HOME_U);
	check_defaults_but_root();
	check_root("/x/cache/pycache-redirect", PCR_ROOT_FROM_XDG);
}

Test(config, xdg_is_normalised)
{
	LOAD("XDG_CACHE_HOME", "//x/./cache//", HOME_U);
	check_root("/x/cache/pycache-redirect", PCR_ROOT_FROM_XDG);
	LOAD("XDG_CACHE_HOME", "/", HOME_U);
	check_root("/pycache-redirect", PCR_ROOT_FROM_XDG);
}

Test(config, home_without_xdg)
{
	LOAD(HOME_U);
	check_defaults_but_root();
	check_root("/home/u/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
	LOAD("HOME", "/home/u/");
	check_root("/home/u/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
	LOAD("HOME", "/");
	check_root("/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
}

/* The XDG spec: a relative XDG_CACHE_HOME is ignored. */
Test(config, relative_or_empty_xdg_is_ignored)
{
	LOAD("XDG_CACHE_HOME", "rel/cache", HOME_U);
	check_root("/home/u/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
	LOAD("XDG_CACHE_HOME", "", HOME_U);
	check_root("/home/u/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
	LOAD("XDG_CACHE_HOME", "~/.cache", HOME_U);
	check_root("/home/u/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
}

Test(config, tmp_without_xdg_or_home)
{
	LOAD(NULL);
	check_defaults_but_root();
	check_root("/tmp/pycache-redirect-1000", PCR_ROOT_FROM_TMP);
	LOAD_UID(0, NULL);
	check_root("/tmp/pycache-redirect-0", PCR_ROOT_FROM_TMP);
	char want[64];
	snprintf(want, sizeof want, "/tmp/pycache-redirect-%lu", ULONG_MAX);
	LOAD_UID(ULONG_MAX, NULL);
	check_root(want, PCR_ROOT_FROM_TMP);
}

Test(config, relative_or_empty_home_falls_to_tmp)
{
	LOAD("HOME", "home/u");
	check_root("/tmp/pycache-redirect-1000", PCR_ROOT_FROM_TMP);
	LOAD("HOME", "");
	check_root("/tmp/pycache-redirect-1000", PCR_ROOT_FROM_TMP);
	LOAD("XDG_CACHE_HOME", "x", "HOME", "y");
	check_root("/tmp/pycache-redirect-1000", PCR_ROOT_FROM_TMP);
}

Test(config, redirect_dir_wins)
{
	LOAD("PYCACHE_REDIRECT_DIR", "/c/r", "XDG_CACHE_HOME", "/x", HOME_U);
	check_defaults_but_root();
	check_root("/c/r", PCR_ROOT_FROM_DIR);
}

Test(config, redirect_dir_is_normalised)
{
	LOAD("PYCACHE_REDIRECT_DIR", "/c/r/", HOME_U);
	check_root("/c/r", PCR_ROOT_FROM_DIR);
	LOAD("PYCACHE_REDIRECT_DIR", "//c//r//", HOME_U);
	check_root("/c/r", PCR_ROOT_FROM_DIR);
	LOAD("PYCACHE_REDIRECT_DIR", "/./c/./r/.", HOME_U);
	check_root("/c/r", PCR_ROOT_FROM_DIR);
	LOAD("PYCACHE_REDIRECT_DIR", "/../c/r", HOME_U);
	check_root("/c/r", PCR_ROOT_FROM_DIR);
	cr_assert(cfg.enabled);
	cr_assert_null(cfg.problem);
}

/* An empty PYCACHE_REDIRECT_DIR is unset, not an error. */
Test(config, empty_redirect_dir_is_unset)
{
	LOAD("PYCACHE_REDIRECT_DIR", "", HOME_U);
	check_defaults_but_root();
	check_root("/home/u/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
}

static void check_dir_rejected(void)
{
	cr_assert_not(cfg.enabled);
	cr_assert_not_null(cfg.problem);
	cr_assert_not_null(strstr(cfg.problem, "PYCACHE_REDIRECT_DIR"), "problem: %s", cfg.problem);
	cr_assert_eq(cfg.root_origin, PCR_ROOT_FROM_DIR);
}

Test(config, relative_redirect_dir_switches_off)
{
	LOAD("PYCACHE_REDIRECT_DIR", "cache", HOME_U);
	check_dir_rejected();
	LOAD("PYCACHE_REDIRECT_DIR", "./cache", HOME_U);
	check_dir_rejected();
	LOAD("PYCACHE_REDIRECT_DIR", "~/cache", HOME_U);
	check_dir_rejected();
}

/* Every spelling of "/" is refused: the root would hold every path. */
Test(config, slash_redirect_dir_switches_off)
{
	static const char *const slashes[] = { "/", "//", "/.", "/..", "/./../" };
	static const char *env[] = { "PYCACHE_REDIRECT_DIR", NULL, "HOME", "/home/u", NULL };
	for (size_t i = 0; i < sizeof slashes / sizeof *slashes; i++) {
		env[1] = slashes[i];
		fake_env = env;
		pcr_config_load(&cfg, fake_getenv, 1000);
		cr_assert_not(cfg.enabled, "\"%s\" accepted", slashes[i]);
		cr_assert_not_null(cfg.problem, "\"%s\"", slashes[i]);
		cr_assert_eq(cfg.root_origin, PCR_ROOT_FROM_DIR);
	}
}

/* The root length that leaves room for /v2/<k0k1>/<key>/<255-byte name>. */
#define ROOM_FOR_ENTRY (4 + 3 + 32 + 1 + 255 + 1)

static void fill_path(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (i % 100 == 0) ? '/' : 'h';
	buf[len - 1] = 'h'; /* no trailing slash to normalise away */
	buf[len] = '\0';
}

Test(config, too_long_redirect_dir_switches_off)
{
	static char dir[PATH_MAX + 100];
	static const char *env[] = { "PYCACHE_REDIRECT_DIR", NULL, "HOME", "/home/u", NULL };
	env[1] = dir;
	fake_env = env;
	static const size_t lens[] = { PATH_MAX - ROOM_FOR_ENTRY + 1, PATH_MAX - 1, PATH_MAX,
				       PATH_MAX + 50 };
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		fill_path(dir, lens[i]);
		pcr_config_load(&cfg, fake_getenv, 1000);
		check_dir_rejected();
	}
}

/* A long HOME gives a root only when a cache path under it still fits
 * PATH_MAX; otherwise the next fallback, /tmp. */
Test(config, long_home_leaves_room_or_falls_back)
{
	static char home[PATH_MAX + 100];
	static const char *env[] = { "HOME", NULL, NULL };
	env[1] = home;
	fake_env = env;
	const size_t suffix = strlen("/.cache/pycache-redirect");
	size_t accepted = 0, longest = 0;
	for (size_t len = 3000; len < PATH_MAX + 50; len++) {
		fill_path(home, len);
		pcr_config_load(&cfg, fake_getenv, 1000);
		cr_assert(cfg.enabled);
		cr_assert_null(cfg.problem, "HOME of %zu: %s", len, cfg.problem);
		if (cfg.root_origin == PCR_ROOT_FROM_HOME) {
			cr_assert_eq(cfg.root_len, len + suffix);
			cr_assert_leq(cfg.root_len + ROOM_FOR_ENTRY, (size_t)PATH_MAX,
				      "HOME of %zu gives a root of %zu: no room", len,
				      cfg.root_len);
			accepted++;
			longest = cfg.root_len;
		} else {
			cr_assert_eq(cfg.root_origin, PCR_ROOT_FROM_TMP, "HOME of %zu", len);
			cr_assert_str_eq(cfg.root, "/tmp/pycache-redirect-1000");
		}
	}
	/* Not stricter than needed: most of the room is usable. */
	cr_assert_geq(longest, (size_t)PATH_MAX - ROOM_FOR_ENTRY - 16, "longest root %zu", longest);
	cr_assert_gt(accepted, 500);
}

Test(config, too_long_xdg_falls_back_to_home)
{
	static char xdg[PATH_MAX + 100];
	static const char *env[] = { "XDG_CACHE_HOME", NULL, "HOME", "/home/u", NULL };
	env[1] = xdg;
	fake_env = env;
	fill_path(xdg, PATH_MAX - 10);
	pcr_config_load(&cfg, fake_getenv, 1000);
	check_root("/home/u/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
	fill_path(xdg, PATH_MAX + 50);
	pcr_config_load(&cfg, fake_getenv, 1000);
	check_root("/home/u/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
	cr_assert(cfg.enabled);
}

/* A refused PYCACHE_REDIRECT_DIR must not leave a usable-looking root behind
 * for a user of the config that looks at root without enabled (the
 * command-line tool's clear/prune). */
Test(config, refused_redirect_dir_leaves_no_root)
{
	static char longdir[PATH_MAX + 100];
	fill_path(longdir, PATH_MAX - 100);
	static const char *const dirs[] = { "/", "/..", "relative", longdir };
	static const char *env[] = { "PYCACHE_REDIRECT_DIR", NULL, "HOME", "/home/u", NULL };
	fake_env = env;
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		env[1] = dirs[i];
		pcr_config_load(&cfg, fake_getenv, 1000);
		cr_assert_not(cfg.enabled);
		cr_expect_eq(cfg.root_len, 0, "DIR \"%.40s\": root_len %zu", dirs[i], cfg.root_len);
		cr_expect_eq(cfg.root[0], '\0', "DIR \"%.40s\": root \"%.40s\" (%zu bytes)",
			     dirs[i], cfg.root, strlen(cfg.root));
	}
}

/* ---- the switch ------------------------------------------------------- */

Test(config, switch_off_words)
{
	static const char *const off[] = { "0", "off", "no", "false" };
	static const char *env[] = { "PYCACHE_REDIRECT", NULL, "HOME", "/home/u", NULL };
	fake_env = env;
	for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
		env[1] = off[i];
		pcr_config_load(&cfg, fake_getenv, 1000);
		cr_assert_not(cfg.enabled, "\"%s\"", off[i]);
		cr_assert_null(cfg.problem, "\"%s\": %s", off[i], cfg.problem);
		/* Off is not broken: the root is still resolved (for the tool). */
		check_root("/home/u/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
	}
}

/* dpkg's maintainer scripts (py3compile among them) pass through, even
 * with PYCACHE_REDIRECT=1: a package's pycs go where it ships them. */
Test(config, dpkg_maintainer_scripts_switch_off)
{
	static const char *env[] = { "DPKG_MAINTSCRIPT_PACKAGE",
				     "python3-six",
				     "PYCACHE_REDIRECT",
				     "1",
				     "HOME",
				     "/root",
				     NULL };
	fake_env = env;
	pcr_config_load(&cfg, fake_getenv, 0);
	cr_assert_not(cfg.enabled);
	cr_assert(cfg.package_script);
	cr_assert_null(cfg.problem, "%s", cfg.problem);
	check_root("/root/.cache/pycache-redirect", PCR_ROOT_FROM_HOME);
	env[1] = "";
	pcr_config_load(&cfg, fake_getenv, 0);
	cr_assert(cfg.enabled, "an empty DPKG_MAINTSCRIPT_PACKAGE is not dpkg's");
	cr_assert_not(cfg.package_script);
}

Test(config, switch_on_words)
{
	static const char *const on[] = { "", "1", "on", "yes", "true" };
	static const char *env[] = { "PYCACHE_REDIRECT", NULL, "HOME", "/home/u", NULL };
	fake_env = env;
	for (size_t i = 0; i < sizeof on / sizeof *on; i++) {
		env[1] = on[i];
		pcr_config_load(&cfg, fake_getenv, 1000);
		cr_assert(cfg.enabled, "\"%s\"", on[i]);
		cr_assert_null(cfg.problem, "\"%s\": %s", on[i], cfg.problem);
	}
}

Test(config, switch_garbage_stays_on_with_a_problem)
{
	static const char *const bad[] = { "2", "maybe", " 0", "0 ", "00", "offf" };
	static const char *env[] = { "PYCACHE_REDIRECT", NULL, "HOME", "/home/u", NULL };
	fake_env = env;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		env[1] = bad[i];
		pcr_config_load(&cfg, fake_getenv, 1000);
		cr_assert(cfg.enabled, "\"%s\"", bad[i]);
		cr_assert_not_null(cfg.problem, "\"%s\"", bad[i]);
		cr_assert_not_null(strstr(cfg.problem, "PYCACHE_REDIRECT"), "%s", cfg.problem);
	}
}

/* ---- scope ------------------------------------------------------------ */

Test(config, scope)
{
	LOAD(HOME_U);
	cr_assert_eq(cfg.scope, PCR_SCOPE_PYTHON);
	LOAD("PYCACHE_REDIRECT_SCOPE", "python", HOME_U);
	cr_assert_eq(cfg.scope, PCR_SCOPE_PYTHON);
	cr_assert_null(cfg.problem);
	LOAD("PYCACHE_REDIRECT_SCOPE", "all", HOME_U);
	cr_assert_eq(cfg.scope, PCR_SCOPE_ALL);
	cr_assert_null(cfg.problem);
	LOAD("PYCACHE_REDIRECT_SCOPE", "", HOME_U);
	cr_assert_eq(cfg.scope, PCR_SCOPE_PYTHON);
	cr_assert_null(cfg.problem);
}

Test(config, scope_garbage_is_python_with_a_problem)
{
	LOAD("PYCACHE_REDIRECT_SCOPE", "everything", HOME_U);
	cr_assert_eq(cfg.scope, PCR_SCOPE_PYTHON);
	cr_assert(cfg.enabled);
	cr_assert_not_null(cfg.problem);
	cr_assert_not_null(strstr(cfg.problem, "PYCACHE_REDIRECT_SCOPE"), "%s", cfg.problem);
	LOAD("PYCACHE_REDIRECT_SCOPE", "all ", HOME_U);
	cr_assert_eq(cfg.scope, PCR_SCOPE_PYTHON);
	cr_assert_not_null(cfg.problem);
}

/* ---- logging ---------------------------------------------------------- */

static void check_log(const char *v, enum pcr_log_level level, const char *file, bool problem)
{
	static const char *env[] = { "PYCACHE_REDIRECT_LOG", NULL, "HOME", "/home/u", NULL };
	env[1] = v;
	fake_env = env;
	memset(&cfg, 0x5a, sizeof cfg);
	pcr_config_load(&cfg, fake_getenv, 1000);
	cr_assert_eq(cfg.log_level, level, "LOG \"%s\": level %d, expected %d", v, cfg.log_level,
		     level);
	if (*file)
		cr_assert_str_eq(cfg.log_file, file, "LOG \"%s\"", v);
	else
		cr_assert_null(cfg.log_file, "LOG \"%s\": a log file", v);
	cr_assert_eq(cfg.problem != NULL, problem, "LOG \"%s\": problem %s", v,
		     cfg.problem ? cfg.problem : "none");
	if (problem)
		cr_assert_not_null(strstr(cfg.problem, "PYCACHE_REDIRECT_LOG"), "%s", cfg.problem);
	cr_assert(cfg.enabled, "LOG \"%s\" switched the redirect off", v);
}

Test(config, log_levels)
{
	check_log(NULL, PCR_LOG_SILENT, "", false);
	check_log("", PCR_LOG_SILENT, "", false);
	check_log("0", PCR_LOG_SILENT, "", false);
	check_log("1", PCR_LOG_WARN, "", false);
	check_log("2", PCR_LOG_EVERY, "", false);
}

Test(config, log_to_a_file)
{
	check_log("2:file:/var/log/pcr.log", PCR_LOG_EVERY, "/var/log/pcr.log", false);
	check_log("1:file:/abs", PCR_LOG_WARN, "/abs", false);
	check_log("0:file:/abs", PCR_LOG_SILENT, "/abs", false);
	check_log("file:/abs/log", PCR_LOG_EVERY, "/abs/log", false);
	check_log("file:/a:b", PCR_LOG_EVERY, "/a:b", false);
}

Test(config, log_relative_file_goes_to_stderr_with_a_problem)
{
	check_log("file:rel.log", PCR_LOG_EVERY, "", true);
	check_log("2:file:rel.log", PCR_LOG_EVERY, "", true);
	check_log("1:file:", PCR_LOG_WARN, "", true);
	check_log("file:", PCR_LOG_EVERY, "", true);
}

Test(config, log_garbage_stays_silent_with_a_problem)
{
	static const char *const bad[] = {
		"3",   "9",      "-1",        "22", "2:", "2:file", "2:/abs",
		"yes", "stderr", "FILE:/abs", "2 ", " 2", "/abs",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		check_log(bad[i], PCR_LOG_SILENT, "", true);
}

Test(config, log_file_path_max_boundary)
{
	static char v[PATH_MAX + 32];
	strcpy(v, "file:");
	fill_path(v + 5, PATH_MAX - 1);
	check_log(v, PCR_LOG_EVERY, v + 5, false);
	fill_path(v + 5, PATH_MAX);
	check_log(v, PCR_LOG_EVERY, "", true);
}

/* ---- problems --------------------------------------------------------- */

Test(config, first_problem_is_kept)
{
	LOAD("PYCACHE_REDIRECT", "maybe", "PYCACHE_REDIRECT_SCOPE", "x", "PYCACHE_REDIRECT_LOG",
	     "x", HOME_U);
	cr_assert_not_null(cfg.problem);
	cr_assert_eq(strncmp(cfg.problem, "PYCACHE_REDIRECT is", 19), 0, "%s", cfg.problem);
	LOAD("PYCACHE_REDIRECT_SCOPE", "x", "PYCACHE_REDIRECT_LOG", "x", HOME_U);
	cr_assert_eq(strncmp(cfg.problem, "PYCACHE_REDIRECT_SCOPE", 22), 0, "%s", cfg.problem);
}

/* The one problem reported must explain the outcome: a refused root turns
 * the redirect off, so an earlier cosmetic problem ("...leaving the redirect
 * on") must not hide it. */
Test(config, problem_explains_a_refused_root)
{
	LOAD("PYCACHE_REDIRECT", "maybe", "PYCACHE_REDIRECT_DIR", "relative", HOME_U);
	cr_assert_not(cfg.enabled);
	cr_assert_not_null(cfg.problem);
	cr_expect_not_null(strstr(cfg.problem, "PYCACHE_REDIRECT_DIR"),
			   "enabled is false, problem: %s", cfg.problem);
	LOAD("PYCACHE_REDIRECT_LOG", "9", "PYCACHE_REDIRECT_DIR", "/", HOME_U);
	cr_assert_not(cfg.enabled);
	cr_expect_not_null(strstr(cfg.problem, "PYCACHE_REDIRECT_DIR"),
			   "enabled is false, problem: %s", cfg.problem);
}

Test(config, no_problem_on_an_empty_environment)
{
	LOAD(NULL);
	check_defaults_but_root();
	LOAD(HOME_U);
	check_defaults_but_root();
}

Test(config, root_origin_words)
{
	for (int o = PCR_ROOT_FROM_DIR; o <= PCR_ROOT_FROM_TMP; o++) {
		const char *w = pcr_root_origin_str((enum pcr_root_origin)o);
		cr_assert_not_null(w);
		cr_assert_str_neq(w, "unknown");
		for (int p = PCR_ROOT_FROM_DIR; p < o; p++)
			cr_assert_str_neq(w, pcr_root_origin_str((enum pcr_root_origin)p));
	}
	cr_assert_str_eq(pcr_root_origin_str(PCR_ROOT_FROM_DIR), "PYCACHE_REDIRECT_DIR");
}
