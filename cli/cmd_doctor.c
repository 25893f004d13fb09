/* doctor [--json]: whether the redirect can work here, one check a line:
 * the configuration, the cache root, its free space, the library, the
 * environment, and for each interpreter found a real import through the
 * library into a temporary cache root. Exit 1 when any check finds a
 * problem. This file holds the checks and their output; the interpreters
 * are found by interpreters.c and tried by doctor_probe.c (doctor.h), and
 * every child doctor starts runs through child.c. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/fs.h"
#include "../core/root.h"
#include "../core/store.h"
#include "child.h"
#include "cli.h"
#include "doctor.h"
#include "enable.h"
#include "off_reasons.h"

#define MAX_CHECKS 32
#define MAX_INTERPRETERS 16
#define MIN_FREE_BYTES (100ull << 20)

struct check {
	char name[2 * PATH_MAX + 16];
	bool ok;
	char detail[PCR_CLI_DOCTOR_DETAIL];
	char fix[PCR_CLI_DOCTOR_FIX]; /* "" when there is nothing to do */
};

static struct check checks[MAX_CHECKS];
static size_t nchecks;

/* A new check's verdict and its words; fix (NULL: none) says what to do. */
static struct check *report(bool ok, const char *name, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static struct check *report(bool ok, const char *name, const char *fix, const char *fmt, ...)
{
	static struct check overflow;
	struct check *c = nchecks < MAX_CHECKS ? &checks[nchecks++] : &overflow;
	snprintf(c->name, sizeof c->name, "%s", name);
	c->ok = ok;
	va_list ap;
	va_start(ap, fmt);
	pcr_cli_vformat(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
	snprintf(c->fix, sizeof c->fix, "%s", fix ? fix : "");
	return c;
}

static void set_fix(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_fix(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pcr_cli_vformat(c->fix, sizeof c->fix, fmt, ap);
	va_end(ap);
}

/* ---- the configuration ---- */

static const char *environment(const char *name) { return getenv(name); }

static bool check_config(struct pcr_config *c)
{
	pcr_config_load(c, environment, (unsigned long)geteuid());
	if (c->root_len == 0) {
		report(false, "configuration",
		       "set " PCR_ENV_DIR " to an absolute directory other than /, or unset it",
		       "%s", c->problem ? c->problem : "the cache root setting is refused");
		return false;
	}
	if (c->problem)
		report(false, "configuration",
		       "correct or unset the variable (" PCR_CLI_NAME " --help lists the values)",
		       "%s; the library ignores that setting", c->problem);
	else if (c->package_script)
		report(true, "configuration", NULL,
		       "off in dpkg's maintainer scripts (" PCR_ENV_DPKG_SCRIPT
		       " is set): the pycs a package compiles go where it ships them");
	else if (!c->enabled)
		report(false, "configuration", "unset " PCR_ENV_SWITCH " (or set it to 1)",
		       "switched off: " PCR_ENV_SWITCH "=%s makes the library pass every call "
		       "through",
		       getenv(PCR_ENV_SWITCH) ? getenv(PCR_ENV_SWITCH) : "");
	else
		report(true, "configuration", NULL, "cache root %s (from %s), scope %s", c->root,
		       pcr_root_origin_str(c->root_origin),
		       c->scope == PCR_SCOPE_ALL ? "all" : "python");
	return true;
}

/* ---- the cache root ---- */

/* The root, or the nearest directory above it that exists. */
static void existing_ancestor(const char *root, char *out, size_t size)
{
	snprintf(out, size, "%s", root);
	struct stat st;
	while (lstat(out, &st) < 0 && strcmp(out, "/") != 0) {
		char *slash = strrchr(out, '/');
		if (!slash)
			break;
		if (slash == out)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

static void root_missing(const char *root)
{
	char above[PATH_MAX];
	existing_ancestor(root, above, sizeof above);
	if (access(above, W_OK | X_OK) == 0) {
		report(true, "cache root", NULL,
		       "%s does not exist yet; it will be created (mode 0700) on the first import",
		       root);
		return;
	}
	struct check *k = report(false, "cache root", NULL,
				 "%s does not exist, and cannot be created: %s is not writable "
				 "by this user (%s)",
				 root, above, strerror(errno));
	set_fix(k,
		"create it yourself (mkdir -p -m 700 %s) or set " PCR_ENV_DIR
		" to a directory of your own",
		root);
}

static void root_ok(const char *root)
{
	struct stat st;
	if (lstat(root, &st) == 0 && (st.st_mode & 077) != 0) {
		struct check *k = report(true, "cache root", NULL,
					 "%s is yours, writable, mode %04o (others may read "
					 "the cached bytecode; 0700 keeps it private)",
					 root, (unsigned)(st.st_mode & 07777));
		set_fix(k, "chmod 700 %s", root);
		return;
	}
	report(true, "cache root", NULL, "%s is yours, writable, mode 0700", root);
}

/* The root the library uses: the configured one, else its fallback (then
 * c holds the fallback, for the checks after this one). */
static void check_root(struct pcr_config *c)
{
	int err;
	enum pcr_root_status s;
	char where[PATH_MAX] = "";
	enum pcr_root_use use = pcr_root_choose(&pcr_fs_libc, c, (unsigned long)geteuid(), false,
						&s, &err, where, sizeof where);
	if (use & PCR_ROOT_USE_FALLBACK) { /* a bit: the use may carry flags */
		struct check *k =
		    report(true, "cache root", NULL, "%s %s; the library uses %s instead", c->root,
			   pcr_root_status_str(s), c->fallback);
		pcr_cli_root_fix(c->root, s, where, k->fix, sizeof k->fix);
		memcpy(c->root, c->fallback, c->fallback_len + 1);
		c->root_len = c->fallback_len;
		return;
	}
	if (s == PCR_ROOT_MISSING) {
		root_missing(c->root);
		return;
	}
	if (s == PCR_ROOT_OK) {
		root_ok(c->root);
		return;
	}
	if (s == PCR_ROOT_READ_ONLY) { /* a pre-warmed cache mounted read-only */
		report(true, "cache root", NULL,
		       "%s is yours, read-only: used for reads (its pycs are read; Python's "
		       "writes of new ones fail and nothing goes into the source trees)",
		       c->root);
		return;
	}
	/* A default root refused, and its fallback as well (another user took
	 * its name first): the fallback's problem is the one to fix. */
	enum pcr_root_status f =
	    c->fallback_len
		? pcr_root_prepare(&pcr_fs_libc, c->fallback, (unsigned long)geteuid(), false, &err)
		: PCR_ROOT_OK;
	if (c->fallback_len && !pcr_root_status_usable(f) && f != PCR_ROOT_MISSING) {
		struct check *k =
		    report(false, "cache root", NULL,
			   "%s %s, and its fallback %s %s: the library leaves "
			   "every __pycache__ in the source trees",
			   c->root, pcr_root_status_str(s), c->fallback, pcr_root_status_str(f));
		set_fix(k,
			"set " PCR_ENV_DIR " to a directory of your own, or have %s removed (by "
			"its owner or root)",
			c->fallback);
		return;
	}
	struct check *k = report(false, "cache root", NULL,
				 "%s %s%s%s%s; the library will not use it and leaves every "
				 "__pycache__ in the source trees",
				 c->root, pcr_root_status_str(s), err ? " (" : "",
				 err ? strerror(err) : "", err ? ")" : "");
	pcr_cli_root_fix(c->root, s, where, k->fix, sizeof k->fix);
}

static void check_space(const struct pcr_config *c)
{
	char where[PATH_MAX];
	existing_ancestor(c->root, where, sizeof where);
	struct statvfs v;
	if (statvfs(where, &v) < 0) {
		report(false, "free space", "check that the file system is mounted",
		       "cannot read the free space of %s: %s", where, strerror(errno));
		return;
	}
	if (v.f_flag & ST_RDONLY) { /* nothing is written: its free space is no matter */
		report(true, "free space", NULL, "none needed: %s is on a read-only file system",
		       where);
		return;
	}
	unsigned long long avail = (unsigned long long)v.f_bavail * v.f_frsize;
	unsigned long long total = (unsigned long long)v.f_blocks * v.f_frsize;
	char a[PCR_CLI_HUMAN_SIZE], t[PCR_CLI_HUMAN_SIZE];
	pcr_cli_human_size(avail, a);
	pcr_cli_human_size(total, t);
	if (avail < MIN_FREE_BYTES || (total > 0 && avail * 100 < total))
		report(false, "free space",
		       "free space on that file system (" PCR_CLI_NAME " clear removes the "
		       "cache) or set " PCR_ENV_DIR " to one with room",
		       "%s free of %s on the file system of %s: Python cannot write its "
		       "bytecode when it is full",
		       a, t, where);
	else
		report(true, "free space", NULL, "%s free of %s on the file system of %s", a, t,
		       where);
}

/* The size limit: a value the cleanup can use, and the cache under it by
 * the library's counter (a cleanup at the start of doctor saw to that). */
static void check_limit(const struct pcr_config *c)
{
	struct pcr_cli_limit l;
	char why[PATH_MAX + 128];
	if (!pcr_cli_size_limit(c, &l, why, sizeof why)) {
		report(false, "size limit",
		       "set a size such as 2G with " PCR_CLI_NAME
		       " config max-size, or fix " PCR_CLI_ENV_MAX_SIZE,
		       "%s: the cache is not kept under a limit", why);
		return;
	}
	if (l.origin == PCR_CLI_LIMIT_NONE) {
		report(true, "size limit", NULL,
		       "none: the cache grows until pruned (" PCR_CLI_NAME " config max-size 2G "
		       "sets one)");
		return;
	}
	char max[PCR_CLI_HUMAN_SIZE], est[PCR_CLI_HUMAN_SIZE];
	uint64_t written = pcr_store_counter_estimate(c->root);
	/* doctor only looks: past the limit, it says what cleans up. */
	report(true, "size limit", NULL, "%s (%s); about %s written so far%s",
	       pcr_cli_human_size(l.bytes, max), pcr_cli_limit_origin_str(l.origin),
	       pcr_cli_human_size(written, est),
	       written > l.bytes ? ": past it, the cleanup is due (" PCR_CLI_NAME
				   " prune, or the next run or env in the background)"
				 : "");
}

/* ---- the library ---- */

static void load_library(const void *library)
{
	if (dlopen(library, RTLD_NOW | RTLD_LOCAL))
		_exit(0);
	const char *e = dlerror();
	dprintf(STDERR_FILENO, "%s\n", e ? e : "dlopen failed");
	_exit(1);
}

/* dlopen in a child, so that a broken library crashes the child only. */
static void try_dlopen(struct pcr_cli_child *r, const char *library)
{
	pcr_cli_child_call(r, load_library, library, PCR_CLI_DOCTOR_TIMEOUT_MS);
}

/* The library's file into library, and how LD_PRELOAD names it into
 * preload (both PATH_MAX): the loader opens the one through the other, so
 * the test loads that spelling. */
static bool check_library(char *library, char *preload)
{
	char why[PATH_MAX * 8];
	if (!pcr_cli_find_library(library, PATH_MAX, why, sizeof why)) {
		report(false, "library",
		       "build or install it, or set PYCACHE_REDIRECT_LIBRARY "
		       "to " PCR_LIBRARY_NAME,
		       "%s", why);
		return false;
	}
	/* Before loading it: another library found in its place would load. */
	if (!pcr_cli_library_is_ours(library, library, "", why, sizeof why)) {
		report(false, "library", "rebuild or reinstall pycache-redirect " PCR_VERSION, "%s",
		       why);
		return false;
	}
	if (!pcr_cli_preload_spelling(library, PCR_LOADER_LIB, preload, PATH_MAX)) {
		report(false, "library", "install it at a shorter path",
		       "the library's path '%s' is too long", library);
		return false;
	}
	struct pcr_cli_child *r = malloc(sizeof *r);
	if (!r) {
		report(false, "library", NULL, "out of memory");
		return false;
	}
	try_dlopen(r, preload);
	bool ok = r->status == 0;
	char line[1024];
	if (ok && strcmp(preload, library) != 0)
		report(true, "library", NULL,
		       "%s loads (LD_PRELOAD names it %s: the loader's $LIB gives each "
		       "architecture its own build)",
		       library, preload);
	else if (ok)
		report(true, "library", NULL, "%s loads", library);
	else if (r->status > 128)
		report(false, "library", "rebuild or reinstall it",
		       "%s crashes when loaded (signal %d)", preload, r->status - 128);
	else
		report(false, "library",
		       "rebuild or reinstall it, or point PYCACHE_REDIRECT_LIBRARY at a "
		       "working " PCR_LIBRARY_NAME,
		       "%s does not load: %s", preload,
		       pcr_cli_first_line(r->out, line, sizeof line));
	free(r);
	return ok;
}

/* ---- the environment ---- */

/* The LD_PRELOAD entry that names a copy of the library, or NULL. */
static const char *preloaded(char *entry, size_t size)
{
	const char *list = getenv("LD_PRELOAD");
	struct pcr_cli_preload_entry e;
	for (list = list ? list : ""; pcr_cli_preload_next(&list, &e);)
		if (e.ours && e.len < size) {
			memcpy(entry, e.start, e.len);
			entry[e.len] = '\0';
			return entry;
		}
	return NULL;
}

static void check_preload(const char *library)
{
	char entry[PATH_MAX];
	if (!preloaded(entry, sizeof entry)) {
		report(true, "LD_PRELOAD", NULL,
		       "does not name the library in this environment (`" PCR_CLI_NAME
		       " run` and `eval \"$(" PCR_CLI_NAME " env)\"` put it there; "
		       "`" PCR_CLI_NAME " enable` puts that eval in your shell's start-up file)");
		return;
	}
	/* The file the loader opens for it here. */
	char file[PATH_MAX];
	if (!pcr_cli_loader_expand(entry, PCR_LOADER_LIB, file, sizeof file)) {
		report(true, "LD_PRELOAD", NULL,
		       "names %s, which this command cannot follow (it does not know what "
		       "the loader's $LIB is here)",
		       entry);
		return;
	}
	if (access(file, R_OK) < 0) {
		struct check *k = report(false, "LD_PRELOAD", NULL,
					 "names %s, which cannot be read (%s): the loader "
					 "ignores it, with an error, in every program",
					 entry, strerror(errno));
		set_fix(k, "eval \"$(" PCR_CLI_NAME " env)\" again, or remove it from "
			   "LD_PRELOAD in your shell's start-up files");
		return;
	}
	char real_entry[PATH_MAX], real_library[PATH_MAX];
	if (library && realpath(file, real_entry) && realpath(library, real_library) &&
	    strcmp(real_entry, real_library) != 0)
		report(true, "LD_PRELOAD", NULL,
		       "names %s, another copy than the one this command uses (%s)", entry,
		       library);
	else
		report(true, "LD_PRELOAD", NULL, "names %s: the redirect is on in this shell",
		       entry);
}

static void check_python_environment(void)
{
	const char *dont = getenv("PYTHONDONTWRITEBYTECODE");
	const char *prefix = getenv("PYTHONPYCACHEPREFIX");
	if (dont && *dont)
		report(false, "Python environment", "unset PYTHONDONTWRITEBYTECODE",
		       "PYTHONDONTWRITEBYTECODE=%s: Python writes no bytecode at all, so the "
		       "redirect has nothing to do and every import compiles again",
		       dont);
	if (prefix && *prefix)
		report(false, "Python environment", "unset PYTHONPYCACHEPREFIX",
		       "PYTHONPYCACHEPREFIX=%s: Python writes its bytecode there itself and "
		       "never asks for __pycache__, so the redirect has nothing to do",
		       prefix);
	if (!(dont && *dont) && !(prefix && *prefix))
		report(true, "Python environment", NULL,
		       "neither PYTHONDONTWRITEBYTECODE nor PYTHONPYCACHEPREFIX is set");
}

/* What switches the redirect on here (cli/activation.c); none is a
 * problem. */
static unsigned check_activation(void)
{
	char loader[PATH_MAX];
	if (pcr_cli_system_is_musl(loader, sizeof loader))
		report(true, "C library", NULL,
		       "musl (/bin/sh runs on %s): only LD_PRELOAD switches the redirect on "
		       "here, never " PCR_CLI_SYSTEM_FILE ", and only a musl build of the library "
		       "loads into its programs",
		       loader);
	unsigned a = pcr_cli_activation();
	char words[4 * PATH_MAX];
	pcr_cli_activation_words(a, words, sizeof words);
	if (a)
		report(true, "activation", NULL, "switched on by %s", words);
	else
		report(false, "activation",
		       PCR_CLI_NAME " enable (your shell's start-up file; --user for the desktop "
				    "session, --system for the whole machine), or " PCR_CLI_NAME
				    " run -- CMD for one command",
		       "nothing switches the redirect on here: not LD_PRELOAD, the user "
		       "environment, a shell's start-up file nor " PCR_CLI_SYSTEM_FILE);
	return a;
}

/* The ways in effect, as JSON strings. */
static void print_activation_json(unsigned a)
{
	static const struct {
		unsigned bit;
		const char *name;
	} ways[] = {
		{ PCR_CLI_ACTIVE_PRELOAD, "LD_PRELOAD" },
		{ PCR_CLI_ACTIVE_USER, "user" },
		{ PCR_CLI_ACTIVE_SHELL, "shell" },
		{ PCR_CLI_ACTIVE_SYSTEM, "system" },
	};
	fputs(",\"activation\":[", stdout);
	bool first = true;
	for (size_t i = 0; i < sizeof ways / sizeof *ways; i++)
		if (a & ways[i].bit) {
			printf("%s\"%s\"", first ? "" : ",", ways[i].name);
			first = false;
		}
	putchar(']');
}

/* ---- the interpreters ---- */

static void check_interpreter(const struct pcr_cli_interpreter *py, const char *library)
{
	char name[2 * PATH_MAX + 16];
	if (strcmp(py->shown, py->real) == 0)
		snprintf(name, sizeof name, "import %s", py->shown);
	else
		snprintf(name, sizeof name, "import %s (%s)", py->shown, py->real);
	char why[PCR_CLI_DOCTOR_DETAIL];
	if (pcr_cli_unreachable(py->shown, why, sizeof why)) {
		report(false, name, NULL, "%s", why);
		return;
	}
	struct pcr_cli_probe probe;
	pcr_cli_probe_interpreter(py, library, &probe);
	report(probe.ok, name, probe.fix, "%s", probe.detail);
}

static void check_interpreters(const char *library)
{
	static struct pcr_cli_interpreter list[MAX_INTERPRETERS];
	size_t n = pcr_cli_find_interpreters(list, MAX_INTERPRETERS);
	if (n == 0) {
		report(false, "interpreters", "install python3, or put it on PATH",
		       "no Python 3 found (looked for /usr/bin/python3, python3 and pypy3 on "
		       "PATH, pyenv builds)");
		return;
	}
	if (!library) {
		report(false, "interpreters", "make the library load first",
		       "%zu found, none tried: the library does not load", n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		check_interpreter(&list[i], library);
}

/* ---- output ---- */

static void print_human(void)
{
	for (size_t i = 0; i < nchecks; i++) {
		const struct check *c = &checks[i];
		printf("%-8s %s: %s", c->ok ? "ok" : "problem", c->name, c->detail);
		if (c->fix[0])
			printf(c->ok ? " (hint: %s)" : ". Fix: %s", c->fix);
		putchar('\n');
	}
}

static void print_json(bool all_ok, unsigned activation)
{
	printf("{\"ok\":%s", all_ok ? "true" : "false");
	print_activation_json(activation);
	fputs(",\"checks\":[", stdout);
	for (size_t i = 0; i < nchecks; i++) {
		const struct check *c = &checks[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
		pcr_cli_json_string(stdout, c->name);
		printf(",\"ok\":%s,\"detail\":", c->ok ? "true" : "false");
		pcr_cli_json_string(stdout, c->detail);
		fputs(",\"fix\":", stdout);
		if (c->fix[0])
			pcr_cli_json_string(stdout, c->fix);
		else
			fputs("null", stdout);
		putchar('}');
	}
	fputs("]}\n", stdout);
}

int pcr_cli_doctor(int argc, char **argv)
{
	static const struct pcr_cli_simple how = { .flag = "json", .options_first = true };
	bool json = false;
	const char *none;
	int status = pcr_cli_simple_args(argc, argv, &how, &json, &none);
	if (status != PCR_CLI_PROCEED)
		return status;

	nchecks = 0;
	static struct pcr_config config;
	if (check_config(&config)) {
		check_root(&config);
		check_space(&config);
		check_limit(&config);
	}
	static char library[PATH_MAX], preload[PATH_MAX];
	bool loads = check_library(library, preload);
	check_preload(loads ? library : NULL);
	unsigned activation = check_activation();
	check_python_environment();
	check_interpreters(loads ? preload : NULL);

	bool all_ok = true;
	for (size_t i = 0; i < nchecks; i++)
		all_ok = all_ok && checks[i].ok;
	if (json)
		print_json(all_ok, activation);
	else
		print_human();
	return all_ok ? PCR_CLI_OK : PCR_CLI_FAILURE;
}
