/* enable / disable [--shell [SHELL] | --user | --system] [--dry-run]: switch
 * the redirect on or off where the environment cannot strip it, each way in
 * a file of its own (cli/enable_*.c, enable.h). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "enable.h"

enum {
	OPT_SHELL = PCR_CLI_OPT_HELP + 1,
	OPT_USER,
	OPT_SYSTEM,
	OPT_DRY_RUN,
};

static const struct option options[] = {
	{ "shell", optional_argument, NULL, OPT_SHELL },
	{ "user", no_argument, NULL, OPT_USER },
	{ "system", no_argument, NULL, OPT_SYSTEM },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	PCR_CLI_HELP_OPTION,
	{ NULL, 0, NULL, 0 },
};

/* enable and disable, told apart by argv[0]. */
static int enable_or_disable(int argc, char **argv)
{
	const char *name = argv[0];
	struct pcr_cli_switch sw = { .on = strcmp(name, "enable") == 0 };
	int where = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		switch (c) {
		case OPT_SHELL:
		case OPT_USER:
		case OPT_SYSTEM:
			if (where && where != c)
				return pcr_cli_usage_error("%s: give one of --shell, --user and "
							   "--system",
							   name);
			where = c;
			/* --shell SHELL as well as --shell=SHELL. */
			if (c == OPT_SHELL && !optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			if (c == OPT_SHELL && optarg && !pcr_cli_shell_known(optarg))
				return pcr_cli_usage_error("%s: --shell takes bash, zsh or fish, "
							   "not '%s'",
							   name, optarg);
			if (c == OPT_SHELL)
				sw.shell = optarg;
			break;
		case OPT_DRY_RUN: sw.dry_run = true; break;
		default: return pcr_cli_common_option(name, c, argv);
		}
	}
	if (optind < argc)
		return pcr_cli_usage_error("%s: unexpected argument '%s'", name, argv[optind]);
	int status;
	if (where == OPT_USER)
		status = pcr_cli_switch_user(&sw);
	else if (where == OPT_SYSTEM)
		status = pcr_cli_switch_system(&sw);
	else if (!sw.shell && !(sw.shell = pcr_cli_login_shell())) {
		pcr_cli_error("%s: SHELL is %s, a shell %s does not know: name one with --shell "
			      "bash, zsh or fish",
			      name, getenv("SHELL"), name);
		return PCR_CLI_FAILURE;
	} else
		status = pcr_cli_switch_shell(&sw);
	/* Switched on, and still off for Python here: say why, as env does. */
	if (sw.on && status == PCR_CLI_OK)
		pcr_cli_warn_if_off(name, NULL);
	return status;
}

int pcr_cli_enable(int argc, char **argv) { return enable_or_disable(argc, argv); }
int pcr_cli_disable(int argc, char **argv) { return enable_or_disable(argc, argv); }
