/* clear [DIR]: remove every entry, or those of the tree DIR. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include "../core/config.h"
#include "../core/store.h"
#include "cli.h"

static const struct option options[] = {
	PCR_CLI_HELP_OPTION,
	{ NULL, 0, NULL, 0 },
};

static void print_removed(const struct pcr_store_removed *r)
{
	char size[PCR_CLI_HUMAN_SIZE];
	printf("removed %zu entr%s, %zu file%s, %s\n", r->entries, r->entries == 1 ? "y" : "ies",
	       r->files, r->files == 1 ? "" : "s", pcr_cli_human_size(r->bytes, size));
}

int pcr_cli_clear(int argc, char **argv)
{
	optind = 0;
	int c = getopt_long(argc, argv, ":h", options, NULL);
	if (c != -1) /* clear has no options of its own: only --help, or an error */
		return pcr_cli_common_option(argv[0], c, argv);
	if (argc - optind > 1)
		return pcr_cli_usage_error("clear: give at most one directory");
	const char *arg = optind < argc ? argv[optind] : NULL;
	if (arg && !*arg)
		return pcr_cli_usage_error("clear: the directory is empty");

	struct pcr_config config;
	char dir[PATH_MAX];
	if (!pcr_cli_load_config(&config) ||
	    (arg && !pcr_cli_tree_arg("clear", arg, dir, sizeof dir)))
		return PCR_CLI_FAILURE;
	struct pcr_store_removed r;
	struct pcr_store_error e;
	int status = PCR_CLI_OK;
	if (pcr_store_clear(config.root, arg ? dir : NULL, &r, &e) < 0) {
		pcr_cli_store_error("clear", &e);
		status = PCR_CLI_FAILURE;
		if (r.entries == 0 && r.files == 0)
			return status;
	}
	print_removed(&r);
	return status;
}
