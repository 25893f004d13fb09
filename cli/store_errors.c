/* What the cache-management commands share: reading the configured root,
 * and saying why a store call (core/store.h) failed. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "../core/config.h"
#include "../core/store.h"
#include "cli.h"

void pcr_cli_store_error(const char *subcommand, const struct pcr_store_error *e)
{
	if (e->root == PCR_ROOT_READ_ONLY)
		pcr_cli_error("%s: the cache root %s is on a read-only file system: nothing can be "
			      "removed from it (remount it read-write, or clean the cache where it "
			      "is written)",
			      subcommand, e->path);
	else if (e->root != PCR_ROOT_OK)
		pcr_cli_error("%s: the cache root %s %s%s%s%s; refusing to touch it", subcommand,
			      e->path, pcr_root_status_str(e->root), e->err ? " (" : "",
			      e->err ? strerror(e->err) : "", e->err ? ")" : "");
	else
		pcr_cli_error("%s: %s: %s", subcommand, e->path, strerror(e->err));
}

size_t pcr_cli_tree_arg(const char *subcommand, const char *dir, char *out, size_t outsz)
{
	size_t len = pcr_cli_absolute(dir, out, outsz);
	if (len == 0)
		pcr_cli_error("%s: %s: %s", subcommand, dir, strerror(errno));
	return len;
}

void pcr_cli_print_removed(const char *verb, const struct pcr_store_removed *r)
{
	char size[PCR_CLI_HUMAN_SIZE], disk[PCR_CLI_HUMAN_SIZE];
	printf("%s %zu entr%s, %zu file%s, %s, %s on disk\n", verb, r->entries,
	       r->entries == 1 ? "y" : "ies", r->files, r->files == 1 ? "" : "s",
	       pcr_cli_human_size(r->bytes, size), pcr_cli_human_size(r->disk, disk));
	if (r->old.files)
		printf("%s the old layout " PCR_LAYOUT_OLD ": %zu file%s, %s\n", verb, r->old.files,
		       r->old.files == 1 ? "" : "s", pcr_cli_human_size(r->old.bytes, size));
}
