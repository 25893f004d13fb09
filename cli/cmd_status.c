/* status: which ways of switching the redirect on are in effect here
 * (cli/activation.c); exit 0 when one does, 1 when none does. */
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
	unsigned a = pcr_cli_activation();
	char words[4 * PATH_MAX];
	pcr_cli_activation_words(a, words, sizeof words);
	if (a) {
		printf("on: %s\n", words);
		return PCR_CLI_OK;
	}
	printf("off: nothing switches the redirect on here (" PCR_CLI_NAME
	       " enable does, in your shell's start-up file)\n");
	return PCR_CLI_FAILURE;
}
