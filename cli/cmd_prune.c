/* prune [--orphans] [--older-than AGE] [--max-size SIZE] [--dry-run]:
 * remove orphans, then entries not used for AGE, then the least recently
 * used until the cache is at most SIZE, like ccache's --evict-older-than
 * and -M. Without a rule, the cleanup: orphans, then down to 90 % of the
 * configured size limit when there is one (like ccache -c). prune --auto:
 * the same cleanup, silently and only when the growth counter says it is
 * due, as the library starts it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/config.h"
#include "../core/store.h"
#include "cli.h"

enum {
	OPT_ORPHANS = PCR_CLI_OPT_HELP + 1,
	OPT_OLDER_THAN,
	OPT_MAX_SIZE,
	OPT_DRY_RUN,
	OPT_AUTO,
};

static const struct option options[] = {
	PCR_CLI_HELP_OPTION,
	{ "orphans", no_argument, NULL, OPT_ORPHANS },
	{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "auto", no_argument, NULL, OPT_AUTO },
	{ NULL, 0, NULL, 0 },
};

struct dry_run {
	const char *age; /* as given */
};

static int print_would_remove(const struct pcr_store_entry *entry, enum pcr_prune_reason why,
			      void *arg)
{
	const struct dry_run *dr = arg;
	char size[PCR_CLI_HUMAN_SIZE];
	fputs("would remove ", stdout);
	pcr_cli_print_name(stdout, entry->recorded ? entry->source : entry->key);
	char disk[PCR_CLI_HUMAN_SIZE];
	printf(": %zu file%s, %s, %s on disk (", entry->nfiles, entry->nfiles == 1 ? "" : "s",
	       pcr_cli_human_size(entry->bytes, size), pcr_cli_human_size(entry->disk, disk));
	if (why == PCR_PRUNE_ORPHAN)
		fputs("orphan", stdout);
	else if (why == PCR_PRUNE_OLD)
		printf("older than %s", dr->age);
	else
		fputs("over the size limit", stdout);
	puts(")");
	return 0;
}

/* No rule given: orphans, and the configured limit's 90 %. */
static bool cleanup_rules(const struct pcr_config *c, struct pcr_prune_rules *rules)
{
	struct pcr_cli_limit l;
	if (!pcr_cli_size_limit_or_say("prune", c, &l))
		return false;
	rules->orphans = true;
	rules->by_size = l.origin != PCR_CLI_LIMIT_NONE;
	rules->max_bytes = pcr_cli_cleanup_target(l.bytes);
	rules->only_above = l.bytes;
	return true;
}

int pcr_cli_prune(int argc, char **argv)
{
	optind = 0;
	struct pcr_prune_rules rules = { 0 };
	struct dry_run dr = { 0 };
	uint64_t age = 0;
	bool automatic = false;
	char why[128];
	int c;
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		if (c == OPT_ORPHANS) {
			rules.orphans = true;
		} else if (c == OPT_OLDER_THAN) {
			if (!pcr_cli_parse_age(optarg, &age, why, sizeof why))
				return pcr_cli_usage_error("prune: --older-than '%s': %s", optarg,
							   why);
			rules.by_age = true;
			dr.age = optarg;
		} else if (c == OPT_MAX_SIZE) {
			if (!pcr_cli_parse_size(optarg, &rules.max_bytes, why, sizeof why))
				return pcr_cli_usage_error("prune: --max-size '%s': %s", optarg,
							   why);
			/* 0 is no limit wherever a size limits the cache. */
			if (rules.max_bytes == 0)
				return pcr_cli_usage_error(
				    "prune: --max-size 0 is no limit, which prunes nothing; "
				    "'" PCR_CLI_NAME " clear' removes every entry");
			rules.by_size = true;
		} else if (c == OPT_DRY_RUN) {
			rules.dry_run = true;
		} else if (c == OPT_AUTO) {
			automatic = true;
		} else {
			return pcr_cli_common_option(argv[0], c, argv);
		}
	}
	if (optind < argc)
		return pcr_cli_usage_error("prune: unexpected argument '%s'", argv[optind]);
	if (automatic) {
		if (rules.orphans || rules.by_age || rules.by_size || rules.dry_run)
			return pcr_cli_usage_error("prune: --auto takes no other option");
		pcr_cli_upkeep_now();
		return PCR_CLI_OK;
	}
	if (rules.by_age) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		/* An age reaching before 1970 spares everything (no mtime is older). */
		rules.used_before.tv_sec =
		    (uint64_t)now.tv_sec > age ? now.tv_sec - (time_t)age : 0;
		rules.used_before.tv_nsec = (uint64_t)now.tv_sec > age ? now.tv_nsec : 0;
	}

	struct pcr_config config;
	if (!pcr_cli_load_config(&config))
		return PCR_CLI_FAILURE;
	if (!rules.orphans && !rules.by_age && !rules.by_size && !cleanup_rules(&config, &rules))
		return PCR_CLI_FAILURE;
	struct pcr_store_removed r;
	struct pcr_store_error e;
	int status = PCR_CLI_OK;
	struct pcr_store store = pcr_cli_progress_start(config.root, "prune");
	int pruned =
	    pcr_store_prune(&store, &rules, &r, rules.dry_run ? print_would_remove : NULL, &dr, &e);
	pcr_cli_progress_end();
	if (pruned == 0 && !rules.dry_run) { /* a whole scan: the counter starts again */
		pcr_store_counter_reset(config.root, r.left_disk);
		pcr_store_counts_fold(config.root, PCR_CLI_FOLD_AT, PCR_CLI_FOLD_GRACE_MS);
	}
	if (pruned < 0) {
		pcr_cli_store_error("prune", &e);
		status = PCR_CLI_FAILURE;
		if (r.entries == 0 && r.files == 0 && r.old.files == 0)
			return status;
	}
	pcr_cli_print_removed(rules.dry_run ? "would remove" : "removed", &r);
	return status;
}
