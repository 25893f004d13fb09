/* pycache-redirect: global options, then one subcommand from the table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	pcr_cli_help(stdout);
	return PCR_CLI_OK;
}

static const struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv);
} subcommands[] = {
	{ "run", pcr_cli_run },       { "env", pcr_cli_env },
	{ "where", pcr_cli_where },   { "stats", pcr_cli_stats },
	{ "ls", pcr_cli_ls },         { "clear", pcr_cli_clear },
	{ "doctor", pcr_cli_doctor }, { "prune", pcr_cli_prune },
	{ "config", pcr_cli_config }, { "help", help },
};

void pcr_cli_help(FILE *out)
{
	fputs("usage: " PCR_CLI_NAME " [--help] [--version] COMMAND [ARGS...]\n"
	      "\n"
	      "Keeps Python's __pycache__ out of source trees: " PCR_LIBRARY_NAME ",\n"
	      "preloaded, redirects every __pycache__ file to a per-user cache.\n"
	      "\n"
	      "Commands:\n"
	      "  run [OPTIONS] [--] CMD [ARGS...]\n"
	      "                      run CMD with the library preloaded; options end at CMD\n"
	      "      --dir DIR       use DIR as the cache root (PYCACHE_REDIRECT_DIR)\n"
	      "      --scope python|all\n"
	      "                      which processes redirect (PYCACHE_REDIRECT_SCOPE)\n"
	      "      --log 0|1|2     log to stderr (PYCACHE_REDIRECT_LOG)\n"
	      "  env [--shell sh|fish|docker]\n"
	      "                      print the lines that switch the redirect on for a\n"
	      "                      shell (default sh) or a Dockerfile\n"
	      "  where [PATH]        print the cache root; with PATH, where the cache keeps\n"
	      "                      that __pycache__ path, or that source directory's\n"
	      "                      __pycache__\n"
	      "  stats [--json]      what the cache holds: entries, files, size, source\n"
	      "                      trees, orphans (source directory gone), oldest and\n"
	      "                      newest file\n"
	      "  ls [DIR] [--json]   the cached files of the tree DIR (default: the current\n"
	      "                      directory), per source directory, with their sizes\n"
	      "  clear [DIR]         remove the whole cache, or the entries of the tree DIR\n"
	      "  prune [--orphans] [--older-than AGE] [--max-size SIZE] [--dry-run]\n"
	      "                      remove orphans, then entries not used for AGE (30d,\n"
	      "                      12h; units s m h d w), then the least recently used\n"
	      "                      until the cache is at most SIZE (500M, 2G, 4096B;\n"
	      "                      B, then K M G T in 1024 steps, a bare number in G);\n"
	      "                      --dry-run only says what would go;\n"
	      "                      with no rule: orphans, then down to 90% of the\n"
	      "                      size limit (config max-size)\n"
	      "  config [max-size [SIZE|none]]\n"
	      "                      show or set the size limit, kept in the cache root;\n"
	      "                      past it, the next run or env prunes the cache to\n"
	      "                      90% of it in the background (0 or none: no limit)\n"
	      "  doctor [--json]     check that the redirect can work here: the\n"
	      "                      configuration, the root (owner, mode, free space),\n"
	      "                      the library, LD_PRELOAD, and a real import through\n"
	      "                      the library for each Python found; exit 1 on a\n"
	      "                      problem, with the fix\n"
	      "  help                print this help\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help          print this help and exit\n"
	      "  -V, --version       print the version and exit\n"
	      "\n"
	      "Environment:\n"
	      "  PYCACHE_REDIRECT=0        switch the redirect off\n"
	      "  PYCACHE_REDIRECT_DIR      the cache root, an absolute path; default\n"
	      "                            $XDG_CACHE_HOME/pycache-redirect, else\n"
	      "                            $HOME/.cache/pycache-redirect, else\n"
	      "                            /tmp/pycache-redirect-<uid>\n"
	      "  PYCACHE_REDIRECT_SCOPE    python (default): only processes that run Python;\n"
	      "                            all: every process the library is loaded into\n"
	      "  PYCACHE_REDIRECT_LOG      0 silent (default), 1 warnings, 2 every rewrite;\n"
	      "                            N:file:PATH or file:PATH to log to a file\n"
	      "  PYCACHE_REDIRECT_MAX_SIZE the size limit (2G; 0 or none: no limit), over\n"
	      "                            config max-size\n"
	      "  PYCACHE_REDIRECT_LIBRARY  the library to preload (default: found beside\n"
	      "                            this program, else in " PCR_INSTALL_LIBDIR ")\n"
	      "\n"
	      "Example:\n"
	      "  " PCR_CLI_NAME " run -- python3 -m pytest\n"
	      "  eval \"$(" PCR_CLI_NAME " env)\"       # in ~/.bashrc: always on\n"
	      "\n"
	      "Exit status: 0 ok, 1 a failure, 2 bad usage; run exits with CMD's status,\n"
	      "127 when CMD is not found, 126 when it cannot be executed.\n",
	      out);
}

enum { OPT_VERSION = PCR_CLI_OPT_HELP + 1 };

static const struct option options[] = {
	PCR_CLI_HELP_OPTION,
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int dispatch(int argc, char **argv)
{
	/* "+": stop at the subcommand, whose options are its own. Each global
	 * option is the whole command. */
	int c = getopt_long(argc, argv, "+:hV", options, NULL);
	if (c == 'V' || c == OPT_VERSION) {
		puts(PCR_CLI_NAME " " PCR_VERSION);
		return PCR_CLI_OK;
	}
	if (c != -1)
		return pcr_cli_common_option(NULL, c, argv);
	if (optind >= argc) {
		pcr_cli_help(stderr);
		return PCR_CLI_USAGE;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return subcommands[i].main(argc - optind, argv + optind);
	return pcr_cli_usage_error("unknown command '%s'", name);
}

int main(int argc, char **argv)
{
	opterr = 0; /* the messages are ours: pcr_cli_common_option */
	int status = dispatch(argc, argv);
	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		pcr_cli_error("cannot write the output: %s", strerror(errno));
		return PCR_CLI_FAILURE;
	}
	return status;
}
