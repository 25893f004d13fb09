/* clear [DIR] [--dry-run]: remove every entry, or those of the tree DIR;
 * with --dry-run, say what would go and remove nothing. */
#include <limits.h>
#include <stdio.h>

#include "../core/config.h"
#include "../core/store.h"
#include "cli.h"

int pcr_cli_clear(int argc, char **argv)
{
	static const struct pcr_cli_simple how = { .operand = "directory", .flag = "dry-run" };
	const char *arg;
	bool dry_run = false;
	int status = pcr_cli_simple_args(argc, argv, &how, &dry_run, &arg);
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
	struct pcr_store store = pcr_cli_progress_start(config.root, "clear");
	if (dry_run) {
		/* What a clear removes is what stats counts of the same tree. */
		struct pcr_store_stats st;
		int counted = pcr_store_stats(&store, arg ? dir : NULL, &st, &e);
		pcr_cli_progress_end();
		if (counted < 0) {
			pcr_cli_store_error("clear", &e);
			return PCR_CLI_FAILURE;
		}
		r = (struct pcr_store_removed){ .entries = st.entries,
						.files = st.files,
						.bytes = st.bytes,
						.disk = st.disk,
						.old = st.old };
		pcr_cli_print_removed("would remove", &r);
		return PCR_CLI_OK;
	}
	int cleared = pcr_store_clear(&store, arg ? dir : NULL, &r, &e);
	pcr_cli_progress_end();
	if (cleared == 0 && !arg)
		pcr_store_counter_reset(config.root, 0);
	if (cleared < 0) {
		pcr_cli_store_error("clear", &e);
		status = PCR_CLI_FAILURE;
		if (r.entries == 0 && r.files == 0 && r.old.files == 0)
			return status;
	}
	pcr_cli_print_removed("removed", &r);
	return status;
}
