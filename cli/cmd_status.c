/* status: which ways of switching the redirect on are in effect here
 * (cli/activation.c), and every reason Python would still not be
 * redirected (cli/off_reasons.c); exit 0 when one is in effect and nothing
 * keeps Python from being redirected, else 1. */
#include <stdio.h>

#include "cli.h"
#include "enable.h"

int pcr_cli_status(int argc, char **argv)
{
	static const struct pcr_cli_simple how = { .options_first = true };
	const char *none;
	int status = pcr_cli_simple_args(argc, argv, &how, NULL, &none);
	if (status != PCR_CLI_PROCEED)
		return status;
	char loader[PATH_MAX];
	if (pcr_cli_system_is_musl(loader, sizeof loader))
		printf(
		    "note: this system's C library is musl (/bin/sh runs on %s): only LD_PRELOAD "
		    "switches the redirect on here, never " PCR_CLI_SYSTEM_FILE "\n",
		    loader);
	unsigned a = pcr_cli_activation();
	char words[4 * PATH_MAX];
	pcr_cli_activation_words(a, words, sizeof words);
	/* A file that switches it on is not enough: the library must be there,
	 * the root usable, Python willing to write (said on stderr). */
	int reasons = pcr_cli_warn_if_off("status", NULL);
	if (a && !reasons) {
		printf("on: %s\n", words);
		return PCR_CLI_OK;
	}
	if (a) {
		printf("off here, though switched on by %s: see the warnings\n", words);
		return PCR_CLI_FAILURE;
	}
	printf("off: nothing switches the redirect on here (" PCR_CLI_NAME
	       " enable does, in your shell's start-up file)\n");
	return PCR_CLI_FAILURE;
}
