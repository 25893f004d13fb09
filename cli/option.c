/* The options every getopt_long loop shares: --help, and the errors. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"

static int option_error(const char *subcommand, int c, char **argv)
{
	const char *in = subcommand ? subcommand : "", *sep = subcommand ? ": " : "";
	/* optopt is the letter of a bad short option (which may sit inside a
	 * group, "-xq", so argv cannot name it), the value of a known long option
	 * used wrongly, or 0 for an unknown long one. For long options getopt_long
	 * has moved optind past the culprit. */
	if (optopt > 0 && optopt < PCR_CLI_LONG_OPTION)
		return pcr_cli_usage_error("%s%s%s '-%c'", in, sep,
					   c == ':' ? "missing value for option" : "unknown option",
					   optopt);
	const char *arg = argv[optind - 1];
	if (c == ':')
		return pcr_cli_usage_error("%s%soption '%s' needs a value", in, sep, arg);
	if (optopt >= PCR_CLI_LONG_OPTION)
		return pcr_cli_usage_error("%s%soption '%s' takes no value", in, sep, arg);
	return pcr_cli_usage_error("%s%sunknown option '%s'", in, sep, arg);
}

enum { OPT_FLAG = PCR_CLI_OPT_HELP + 1 };

int pcr_cli_simple_args(int argc, char **argv, const struct pcr_cli_simple *how, bool *flag,
			const char **operand)
{
	struct option options[] = {
		PCR_CLI_HELP_OPTION,
		{ NULL, 0, NULL, 0 },
		{ NULL, 0, NULL, 0 },
	};
	if (how->flag)
		options[1] = (struct option){ how->flag, no_argument, NULL, OPT_FLAG };
	const char *name = argv[0];
	optind = 0;
	int c;
	/* "+" stops at the first operand; without it, options may follow it. */
	while ((c = getopt_long(argc, argv, how->options_first ? "+:h" : ":h", options, NULL)) !=
	       -1) {
		if (c == OPT_FLAG && how->flag)
			*flag = true;
		else
			return pcr_cli_common_option(name, c, argv);
	}
	*operand = NULL;
	if (!how->operand) {
		if (optind < argc)
			return pcr_cli_usage_error("%s: unexpected argument '%s'", name,
						   argv[optind]);
		return PCR_CLI_PROCEED;
	}
	if (argc - optind > 1)
		return pcr_cli_usage_error("%s: give at most one %s", name, how->operand);
	*operand = optind < argc ? argv[optind] : NULL;
	if (*operand && !**operand)
		return pcr_cli_usage_error("%s: the %s is empty", name, how->operand);
	return PCR_CLI_PROCEED;
}

int pcr_cli_common_option(const char *subcommand, int c, char **argv)
{
	if (c == 'h' || c == PCR_CLI_OPT_HELP) {
		if (!subcommand || !pcr_cli_command_help(subcommand, stdout))
			pcr_cli_help(stdout);
		return PCR_CLI_OK;
	}
	return option_error(subcommand, c, argv);
}
