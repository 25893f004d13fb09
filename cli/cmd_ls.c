/* ls [DIR] [--json]: the cached files of the tree DIR (default: the current
 * directory), per source directory. */
#include <limits.h>
#include <stdio.h>

#include "../core/config.h"
#include "../core/store.h"
#include "cli.h"

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
		pcr_cli_print_name(stdout, entry->source);
		putchar('\n');
		for (size_t j = 0; j < entry->nfiles; j++) {
			printf("  %10s  ", pcr_cli_human_size(entry->files[j].bytes, size));
			pcr_cli_print_name(stdout, entry->files[j].name);
			putchar('\n');
		}
	}
}

int pcr_cli_ls(int argc, char **argv)
{
	/* DIR and --json in either order. */
	static const struct pcr_cli_simple how = { .operand = "directory", .flag = "json" };
	bool json = false;
	const char *arg;
	int status = pcr_cli_simple_args(argc, argv, &how, &json, &arg);
	if (status != PCR_CLI_PROCEED)
		return status;
	if (!arg)
		arg = ".";

	struct pcr_config config;
	char dir[PATH_MAX];
	if (!pcr_cli_load_config(&config) || !pcr_cli_tree_arg("ls", arg, dir, sizeof dir))
		return PCR_CLI_FAILURE;
	struct pcr_store_list l;
	struct pcr_store_error e;
	status = PCR_CLI_OK;
	if (pcr_store_list(&(struct pcr_store){ .root = config.root }, dir, &l, &e) < 0) {
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
