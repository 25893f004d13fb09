/* What the pieces of the pycache-redirect command share: the subcommands,
 * the exit codes, messages on stderr, option handling, the configuration,
 * and finding the library to preload. */
#ifndef PCR_CLI_H
#define PCR_CLI_H

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

/* The full usage text. */
void pcr_cli_usage(FILE *out);

/* A message into buf (cut at size), for what is said later or elsewhere. */
void pcr_cli_format(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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
#define PCR_CLI_HELP_OPTION { "help", no_argument, NULL, PCR_CLI_OPT_HELP }

/* What getopt_long returned that is not one of the subcommand's own options
 * (NULL: the command's global ones): -h or --help prints the usage on stdout
 * and gives PCR_CLI_OK; '?' or ':' (opterr is off, so getopt prints nothing
 * itself) is a usage error. */
int pcr_cli_common_option(const char *subcommand, int c, char **argv);

/* The arguments of a subcommand whose only options are --help and, when json
 * is not NULL, --json, and that takes at most one operand (how->operand names
 * it for messages; NULL: none). *operand is NULL when none is given.
 * PCR_CLI_PROCEED to go on, else the exit code (help printed, bad usage). */
struct pcr_cli_simple {
	const char *operand;
	bool options_first; /* options end at the operand */
};
#define PCR_CLI_PROCEED (-1)
int pcr_cli_simple_args(int argc, char **argv, const struct pcr_cli_simple *how, bool *json,
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

/* path made absolute against the current directory and normalised
 * lexically the way core/ spells directories; its length, or 0 with errno
 * set (ENAMETOOLONG when it does not fit in outsz). */
size_t pcr_cli_absolute(const char *path, char *out, size_t outsz);

/* The absolute path of the library to preload, in the order
 * $PYCACHE_REDIRECT_LIBRARY, beside this program (the build tree), this
 * program's ../<libdir> (a moved prefix), the configured install libdir.
 * false, with the reason on stderr, when there is none that LD_PRELOAD can
 * name. */
bool pcr_cli_find_library(char *out, size_t outsz);

/* The same, quietly: why it failed goes into why. */
bool pcr_cli_locate_library(char *out, size_t outsz, char *why, size_t whysz);

/* bytes in 1024 steps: "532 B", "1.2 MiB". Returns buf. */
#define PCR_CLI_HUMAN_SIZE 16
const char *pcr_cli_human_size(uint64_t bytes, char buf[PCR_CLI_HUMAN_SIZE]);

/* t as ISO 8601 UTC, "2026-11-25T12:28:18Z". Returns buf. */
#define PCR_CLI_ISO8601 32
const char *pcr_cli_iso8601(time_t t, char buf[PCR_CLI_ISO8601]);

/* s as a JSON string, quotes included. */
void pcr_cli_json_string(FILE *out, const char *s);

struct pcr_store_error;

/* Why a core/store.c call failed, on stderr, prefixed with the subcommand. */
void pcr_cli_store_error(const char *subcommand, const struct pcr_store_error *e);

/* A DIR argument of the cache commands, absolute and normalised
 * (pcr_cli_absolute); 0 with the reason on stderr. */
size_t pcr_cli_tree_arg(const char *subcommand, const char *dir, char *out, size_t outsz);

#endif
