/* ls [DIR] [--json]: the cached files of the tree DIR (default: the current
 * directory), per source directory. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include "../core/config.h"
#include "../core/store.h"
#include "cli.h"

enum { OPT_JSON = PCR_CLI_OPT_HELP + 1 };

static const struct option options[] = {
	PCR_CLI_HELP_OPTION,
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static void print_json(const struct pcr_store_list *l)
{
	putchar('[');
	for (size_t i = 0; i < l->count; i++) {
		const struct pcr_store_entry *entry = &l->entries[i];
		fputs(i ? ",{\"source\":" : "{\"source\":", stdout);
		pcr_cli_json_string(stdout, entry->source);
		fputs(",\"entry\":", stdout);
		pcr_cli_json_string(stdout, entry->path);
		fputs(",\"files\":[", stdout);
		for (size_t j = 0; j < entry->nfiles; j++) {
			fputs(j ? ",{\"name\":" : "{\"name\":", stdout);
			pcr_cli_json_string(stdout, entry->files[j].name);
			printf(",\"bytes\":%llu}", (unsigned long long)entry->files[j].bytes);
		}
		fputs("]}", stdout);
	}
	fputs("]\n", stdout);
}

/* Each source directory, then its files indented under it. */
static void print_human(const struct pcr_store_list *l)
{
	char size[PCR_CLI_HUMAN_SIZE];
	for (size_t i = 0; i < l->count; i++) {
		const struct pcr_store_entry *entry = &l->entries[i];
		printf("%s\n", entry->source);
		for (size_t j = 0; j < entry->nfiles; j++)
			printf("  %10s  %s\n", pcr_cli_human_size(entry->files[j].bytes, size),
			       entry->files[j].name);
	}
}

int pcr_cli_ls(int argc, char **argv)
{
	optind = 0;
	bool json = false;
	int c;
	/* No "+": DIR and --json in either order. */
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (c == OPT_JSON)
			json = true;
		else
			return pcr_cli_common_option(argv[0], c, argv);
	}
	if (argc - optind > 1)
		return pcr_cli_usage_error("ls: give at most one directory");
	const char *arg = optind < argc ? argv[optind] : ".";
	if (!*arg)
		return pcr_cli_usage_error("ls: the directory is empty");

	struct pcr_config config;
	char dir[PATH_MAX];
	if (!pcr_cli_load_config(&config) || !pcr_cli_tree_arg("ls", arg, dir, sizeof dir))
		return PCR_CLI_FAILURE;
	struct pcr_store_list l;
	struct pcr_store_error e;
	int status = PCR_CLI_OK;
	if (pcr_store_list(config.root, dir, &l, &e) < 0) {
		pcr_cli_store_error("ls", &e);
		status = PCR_CLI_FAILURE;
	} else if (json) {
		print_json(&l);
	} else {
		print_human(&l);
	}
	pcr_store_list_free(&l);
	return status;
}
