/* pycache-redirect: global options, then one subcommand from the table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* help [COMMAND] */
static int help(int argc, char **argv)
{
	if (argc > 2)
		return pcr_cli_usage_error("help: give at most one command");
	if (argc == 2 && !pcr_cli_command_help(argv[1], stdout)) {
		const char *meant = pcr_cli_suggest_command(argv[1]);
		if (meant)
			return pcr_cli_usage_error("help: no command '%s'; did you mean '%s'?",
						   argv[1], meant);
		return pcr_cli_usage_error("help: no command '%s'", argv[1]);
	}
	if (argc < 2)
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
	{ "config", pcr_cli_config }, { "adopt", pcr_cli_adopt },
	{ "enable", pcr_cli_enable }, { "disable", pcr_cli_disable },
	{ "status", pcr_cli_status }, { "help", help },
};

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
	const char *meant = pcr_cli_suggest_command(name);
	if (meant)
		return pcr_cli_usage_error("unknown command '%s'; did you mean '%s'?", name, meant);
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
