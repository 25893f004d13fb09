/* What the pieces of the pycache-redirect command share: the subcommands,
 * the exit codes, messages on stderr, option handling, the configuration,
 * and finding the library to preload.
 *
 * One convention for what fails: a function that can say why fills a
 * why buffer and prints nothing; its variant that prints the reason on
 * stderr itself ends in _or_say. */
#ifndef PCR_CLI_H
#define PCR_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define PCR_CLI_NAME "pycache-redirect"

enum pcr_cli_exit {
	PCR_CLI_OK = 0,
	PCR_CLI_FAILURE = 1, /* library not found, bad configuration, ... */
	PCR_CLI_USAGE = 2,   /* unknown subcommand or option, missing argument */
	/* run's own, when the exec fails; the shell's codes for the same */
	PCR_CLI_CANNOT_EXECUTE = 126,
	PCR_CLI_NOT_FOUND = 127,
};

/* The subcommands. argv[0] is the subcommand's name; each parses its own
 * options with getopt_long and returns an exit code (run returns only when
 * it could not exec). */
int pcr_cli_run(int argc, char **argv);
int pcr_cli_env(int argc, char **argv);
int pcr_cli_where(int argc, char **argv);
int pcr_cli_stats(int argc, char **argv);
int pcr_cli_ls(int argc, char **argv);
int pcr_cli_clear(int argc, char **argv);
int pcr_cli_doctor(int argc, char **argv);
int pcr_cli_prune(int argc, char **argv);
int pcr_cli_config(int argc, char **argv);
int pcr_cli_adopt(int argc, char **argv);
int pcr_cli_enable(int argc, char **argv);
int pcr_cli_disable(int argc, char **argv);
int pcr_cli_status(int argc, char **argv);

/* The full usage text; one command's (false when there is no such
 * command); the command a mistyped name most likely meant, or NULL
 * (cli/help.c). */
void pcr_cli_help(FILE *out);
bool pcr_cli_command_help(const char *name, FILE *out);
const char *pcr_cli_suggest_command(const char *name);

/* A message into buf (cut at size), for what is said later or elsewhere;
 * the va_list form for a function of its own that takes a format. */
void pcr_cli_format(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pcr_cli_vformat(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* "pycache-redirect: <message>\n" on stderr. */
void pcr_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The message, then the hint to read --help; returns PCR_CLI_USAGE. */
int pcr_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Long options get values from here up, so that an error about one is never
 * taken for an error about a short option letter. */
#define PCR_CLI_LONG_OPTION 256

/* --help (and -h), which the command and every subcommand take; the option
 * entry is for a getopt_long table (<getopt.h>). */
#define PCR_CLI_OPT_HELP PCR_CLI_LONG_OPTION
#define PCR_CLI_HELP_OPTION                                 \
	{                                                   \
		"help", no_argument, NULL, PCR_CLI_OPT_HELP \
	}

/* What getopt_long returned that is not one of the subcommand's own options
 * (NULL: the command's global ones): -h or --help prints the usage on stdout
 * and gives PCR_CLI_OK; '?' or ':' (opterr is off, so getopt prints nothing
 * itself) is a usage error. */
int pcr_cli_common_option(const char *subcommand, int c, char **argv);

/* The arguments of a subcommand whose only options are --help and at most
 * one flag (how->flag, "json" or "dry-run": *flag set when given), and that
 * takes at most one operand (how->operand names it for messages; NULL:
 * none). *operand is NULL when none is given. PCR_CLI_PROCEED to go on,
 * else the exit code (help printed, bad usage). */
struct pcr_cli_simple {
	const char *operand;
	const char *flag;   /* the long option without its dashes, or NULL */
	bool options_first; /* options end at the operand */
};
#define PCR_CLI_PROCEED (-1)
int pcr_cli_simple_args(int argc, char **argv, const struct pcr_cli_simple *how, bool *flag,
			const char **operand);

struct pcr_config;

/* The configuration exactly as the library reads it: core/'s
 * pcr_config_load on this environment and the effective uid. Says on stderr
 * what is wrong with it, or that it is switched off; false when a problem
 * switches it off (then the root in c means nothing). */
bool pcr_cli_load_config(struct pcr_config *c);

/* false, with the reason on stderr, when the root exists but the library
 * would refuse it (a symlink, another user's, writable by others, not
 * writable); a missing root is fine: the library creates it. */
bool pcr_cli_root_safe(const struct pcr_config *c);

/* The same, and the root made (0700) when it is missing, as the library
 * makes it: for the commands that write into the cache. */
bool pcr_cli_root_made(const char *subcommand, const struct pcr_config *c);

/* path made absolute against the current directory and normalised
 * lexically the way core/ spells directories; its length, or 0 with errno
 * set (ENAMETOOLONG when it does not fit in outsz). */
size_t pcr_cli_absolute(const char *path, char *out, size_t outsz);

/* The absolute path of the library to preload, in the order
 * $PYCACHE_REDIRECT_LIBRARY, beside this program (the build tree), this
 * program's ../<libdir>/pycache-redirect (a moved prefix; libdir the
 * configured one, or the loader's, which an install under /usr uses), the
 * configured install libdir's pycache-redirect/. false, with the reason on
 * stderr, when there is none that LD_PRELOAD can name. */
bool pcr_cli_find_library_or_say(char *out, size_t outsz);

/* The same, quietly: why it failed goes into why. */
bool pcr_cli_find_library(char *out, size_t outsz, char *why, size_t whysz);

/* Whether the file at path is this version's library: a shared object that
 * exports the hook table (preload/hooks.def) and nothing else (libc exports
 * every hook, and thousands more); read from the file, nothing of it runs.
 * false with "<label> is not ...<fix>" in why. */
bool pcr_cli_library_is_ours(const char *label, const char *path, const char *fix, char *why,
			     size_t whysz);

/* How LD_PRELOAD names the library at path: <prefix>/$LIB/pycache-redirect/
 * <name> when path is <prefix>/<loader_lib>/pycache-redirect/<name> and
 * loader_lib (PCR_LOADER_LIB, what the dynamic loader's $LIB expands to for
 * this architecture) is not empty, so that a program of another
 * architecture is handed the build for its own from <prefix>/<its libdir>/,
 * never this one; else path as it is. Its length, or 0 when it does not
 * fit. */
size_t pcr_cli_preload_spelling(const char *path, const char *loader_lib, char *out, size_t outsz);

/* pcr_cli_find_library_or_say, then that spelling: what run and env put in
 * LD_PRELOAD. */
bool pcr_cli_find_preload_or_say(char *out, size_t outsz);

/* entry with every $LIB and ${LIB} replaced by loader_lib, as the loader
 * replaces them in a program of this architecture: the file it opens. Its
 * length, or 0 when it does not fit or names $LIB and loader_lib is
 * empty. */
size_t pcr_cli_loader_expand(const char *entry, const char *loader_lib, char *out, size_t outsz);

/* Calls fn with the name of each symbol the shared object at path exports
 * (its dynamic symbols defined there, global or weak) until fn returns
 * false; false with errno when path is no ELF64 shared object of this
 * machine (cli/elf.c). Nothing of it runs. */
bool pcr_cli_elf_exports(const char *path, bool (*fn)(const char *name, void *arg), void *arg);

/* The program interpreter (PT_INTERP) the ELF64 executable open at fd
 * names, into out: 1; 0 when it names none (statically linked, static-pie
 * included); -1 when fd is no ELF64 file of this byte order, or unreadable
 * (cli/elf.c). Read, not mapped. */
int pcr_cli_elf_interpreter(int fd, char *out, size_t size);

/* Whether a program interpreter is musl's loader (/lib/ld-musl-<arch>.so.1),
 * which is musl's libc.so too: such a program cannot load the glibc build
 * of the library, and reads no /etc/ld.so.preload. */
bool pcr_cli_loader_is_musl(const char *interpreter);

/* Whether this system's C library is musl: /bin/sh runs on musl's loader
 * (Alpine's busybox does), whose path goes into loader when it does. */
bool pcr_cli_system_is_musl(char *loader, size_t size);

/* The entries of an LD_PRELOAD list, one a call: the dynamic loader
 * separates them with spaces and colons. The next entry at or after *list,
 * its length in *len, *list moved past it; ours tells whether it names a
 * copy of the library (by its file name, in any directory). false at the
 * end. */
struct pcr_cli_preload_entry {
	const char *start;
	size_t len;
	bool ours;
};
bool pcr_cli_preload_next(const char **list, struct pcr_cli_preload_entry *entry);

/* What tox must pass on to the commands of its environments, which get no
 * other variable of the caller's: the library, its settings, and what the
 * default root comes from (HOME, XDG_CACHE_HOME), so that tox's Python
 * finds the same root, and the same fallback, as its caller. tox 3 appends
 * TOX_TESTENV_PASSENV's names (space-separated) to every passenv; tox 4
 * reads TOX_OVERRIDE (overrides separated by ';'), where += appends to the
 * pass_env of the section named: [testenv] of tox.ini or setup.cfg,
 * [env_run_base] of tox.toml, [tool.tox.env_run_base] of pyproject.toml.
 * Both take shell-style patterns. env's lines and run append them (once). */
#define PCR_CLI_TOX_NAMES "LD_PRELOAD PYCACHE_REDIRECT* HOME XDG_CACHE_HOME"
#define PCR_CLI_TOX4_LIST "pass_env+=LD_PRELOAD,PYCACHE_REDIRECT*,HOME,XDG_CACHE_HOME"
#define PCR_CLI_TOX4_OVERRIDE                                           \
	"testenv." PCR_CLI_TOX4_LIST ";env_run_base." PCR_CLI_TOX4_LIST \
	";tool.tox.env_run_base." PCR_CLI_TOX4_LIST

/* Before Python starts with this environment (run, env, enable): every
 * reason it would not be redirected, a line each on stderr naming the
 * variable or file and the fix, "pycache-redirect: <who>: warning: ..."
 * (cli/off_reasons.c): a root setting refused, a root and its fallback
 * refused (with the fallback used instead, a note), PYCACHE_REDIRECT=0 (a
 * note), the library missing or not this version's, PYTHONDONTWRITEBYTECODE
 * or PYTHONPYCACHEPREFIX set, and command (NULL: python3), resolved on PATH
 * and through #! lines, out of LD_PRELOAD's reach (statically linked with
 * Python in it, or set-user-ID or set-group-ID). Returns how many reasons
 * it found that leave Python unredirected (the fallback's note not
 * counted). */
int pcr_cli_warn_if_off(const char *who, const char *command);

/* Whether the library would use a root with this environment: the root
 * setting is valid and the root or its fallback passes (core/root.h's
 * pcr_root_choose). Quiet: pcr_cli_warn_if_off says why not. */
bool pcr_cli_root_usable(void);

/* The settings file <root>/config ("KEY VALUE" lines): the value of key
 * ("" when unset), and the file rewritten atomically with key set to value
 * (NULL: removed). false, with why. */
bool pcr_cli_setting_read(const char *root, const char *key, char *value, size_t valuesz, char *why,
			  size_t whysz);
bool pcr_cli_setting_write(const char *root, const char *key, const char *value, char *why,
			   size_t whysz);

/* The cache's size limit, on disk: $PYCACHE_REDIRECT_MAX_SIZE, else max-size
 * in the settings file, else the default, PCR_CLI_DEFAULT_MAX_SIZE ("0" and
 * "none" say none). false, with why, when the value is not a size or the
 * file cannot be read. */
#define PCR_CLI_ENV_MAX_SIZE "PYCACHE_REDIRECT_MAX_SIZE"
/* ccache's default: 5 GiB holds the pycs of some 25 Python installs as full
 * as Debian's python3 with every package (8,663 pycs, 200 MiB on disk). */
#define PCR_CLI_DEFAULT_MAX_SIZE "5G"
enum pcr_cli_limit_origin {
	PCR_CLI_LIMIT_NONE,
	PCR_CLI_LIMIT_ENV,
	PCR_CLI_LIMIT_FILE,
	PCR_CLI_LIMIT_DEFAULT
};
struct pcr_cli_limit {
	enum pcr_cli_limit_origin origin;
	uint64_t bytes;
	char text[64]; /* as given */
};
bool pcr_cli_size_limit(const struct pcr_config *c, struct pcr_cli_limit *l, char *why,
			size_t whysz);
const char *pcr_cli_limit_origin_str(enum pcr_cli_limit_origin o);

/* pcr_cli_size_limit for a subcommand: false, with the reason on stderr
 * after the subcommand's name. */
bool pcr_cli_size_limit_or_say(const char *subcommand, const struct pcr_config *c,
			       struct pcr_cli_limit *l);

/* Removes orphans, then the least recently used entries, until the cache
 * is at most 90 % of limit, and resets the library's counter to what is
 * left; limit 0: the orphans only. only_when_over: unless the counter says
 * the limit is passed. 0 when
 * done, 1 when another cleanup is running (or, only_when_over, has done it),
 * -1 with e. */
struct pcr_store_removed;
struct pcr_store_error;
int pcr_cli_cleanup(const char *root, uint64_t limit, bool only_when_over,
		    struct pcr_store_removed *r, struct pcr_store_error *e);

/* 90 % of limit: where a cleanup stops. */
uint64_t pcr_cli_cleanup_target(uint64_t limit);

/* What a cleanup did, in one line on stderr. */
void pcr_cli_report_cleanup(const struct pcr_cli_limit *l, const struct pcr_store_removed *r);

/* Before run and env start Python: when the library's counter says the
 * cache passed its limit, the cleanup, in a detached process. Quiet when
 * anything stands in the way. The commands that report (stats, ls, where,
 * doctor) never remove anything: they say that the cleanup is due. */
void pcr_cli_upkeep(void);
/* The same, there and then, silently: prune --auto, which the library starts
 * (preload/upkeep.c). */
void pcr_cli_upkeep_now(void);
/* The counts' records are folded into one (pcr_store_counts_fold) by the
 * cleanups and prune once they take 64 KiB (2,048 processes), after a second
 * for the writers that opened the file just before. */
#define PCR_CLI_FOLD_AT (64u * 1024)
#define PCR_CLI_FOLD_GRACE_MS 1000u

/* The store at root, with a progress line on stderr for its walks until
 * pcr_cli_progress_end, when stderr is a terminal and a walk takes long
 * enough to need one: "what: 12,345 entries...". */
struct pcr_store pcr_cli_progress_start(const char *root, const char *what);
void pcr_cli_progress_end(void);

/* A size, "2G" (a whole number with B for bytes, or K, M, G, T in 1024
 * steps; a bare number is in G, as in ccache), and an age, "30d" (s, m, h,
 * d, w), as typed; false with the reason in why. Where a size is a limit,
 * 0 (and "none") means no limit. */
bool pcr_cli_parse_size(const char *s, uint64_t *bytes, char *why, size_t whysz);
bool pcr_cli_parse_age(const char *s, uint64_t *seconds, char *why, size_t whysz);

/* bytes in 1024 steps: "532 B", "1.2 MiB". Returns buf. */
#define PCR_CLI_HUMAN_SIZE 16
const char *pcr_cli_human_size(uint64_t bytes, char buf[PCR_CLI_HUMAN_SIZE]);

/* t as ISO 8601 UTC, "2026-11-25T12:28:18Z". Returns buf. */
#define PCR_CLI_ISO8601 32
const char *pcr_cli_iso8601(time_t t, char buf[PCR_CLI_ISO8601]);

/* s as a JSON string, quotes included: valid UTF-8 whatever its bytes,
 * control characters escaped, and a byte that is not UTF-8 as \udcXX (the
 * surrogate Python's surrogateescape decodes it to: os.fsencode gives the
 * byte back). And s as text, raw to a pipe or a file; on a terminal, control
 * characters and bytes that are not UTF-8 as \xHH, and \ as \\, so that a
 * name cannot steer the terminal (cli/names.c). */
void pcr_cli_json_string(FILE *out, const char *s);
void pcr_cli_print_name(FILE *out, const char *s);
void pcr_cli_escape_name(FILE *out, const char *s); /* the terminal's form, always */

struct pcr_store_error;

/* "<verb> 3 entries, 40 files, 1.2 MiB" on stdout. */
void pcr_cli_print_removed(const char *verb, const struct pcr_store_removed *r);

/* Why a store call (core/store.h) failed, on stderr, prefixed with the subcommand. */
void pcr_cli_store_error(const char *subcommand, const struct pcr_store_error *e);

/* A DIR argument of the cache commands, absolute and normalised
 * (pcr_cli_absolute); 0 with the reason on stderr. */
size_t pcr_cli_tree_arg(const char *subcommand, const char *dir, char *out, size_t outsz);

#endif
