/* The options every getopt_long loop shares: --help, and the errors. */
#include <getopt.h>
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

int pcr_cli_common_option(const char *subcommand, int c, char **argv)
{
	if (c == 'h' || c == PCR_CLI_OPT_HELP) {
		pcr_cli_usage(stdout);
		return PCR_CLI_OK;
	}
	return option_error(subcommand, c, argv);
}
