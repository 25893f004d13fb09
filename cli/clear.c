/* clear [DIR]: remove every entry, or those of the tree DIR. */
#include <limits.h>
#include <stdio.h>

#include "../core/config.h"
#include "../core/store.h"
#include "cli.h"


static void print_removed(const struct pcr_store_removed *r)
{
	char size[PCR_CLI_HUMAN_SIZE];
	printf("removed %zu entr%s, %zu file%s, %s\n", r->entries, r->entries == 1 ? "y" : "ies",
	       r->files, r->files == 1 ? "" : "s", pcr_cli_human_size(r->bytes, size));
}

int pcr_cli_clear(int argc, char **argv)
{
	static const struct pcr_cli_simple how = { .operand = "directory" };
	const char *arg;
	int status = pcr_cli_simple_args(argc, argv, &how, NULL, &arg);
	if (status != PCR_CLI_PROCEED)
		return status;

	struct pcr_config config;
	char dir[PATH_MAX];
	if (!pcr_cli_load_config(&config) ||
	    (arg && !pcr_cli_tree_arg("clear", arg, dir, sizeof dir)))
		return PCR_CLI_FAILURE;
	struct pcr_store_removed r;
	struct pcr_store_error e;
	status = PCR_CLI_OK;
	if (pcr_store_clear(config.root, arg ? dir : NULL, &r, &e) < 0) {
		pcr_cli_store_error("clear", &e);
		status = PCR_CLI_FAILURE;
		if (r.entries == 0 && r.files == 0)
			return status;
	}
	print_removed(&r);
	return status;
}
