/* prune [--orphans] [--older-than AGE] [--max-size SIZE] [--dry-run]:
 * remove orphans, then entries not used for AGE, then the least recently
 * used until the cache is at most SIZE, like ccache's --evict-older-than
 * and -M. */
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
};

static const struct option options[] = {
	PCR_CLI_HELP_OPTION,
	{ "orphans", no_argument, NULL, OPT_ORPHANS },
	{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ NULL, 0, NULL, 0 },
};

/* The leading decimal digits of s in *n; the rest in *end. false when
 * there are none, or the number overflows. */
static bool leading_number(const char *s, uint64_t *n, const char **end)
{
	*n = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (*n > (UINT64_MAX - d) / 10)
			return false;
		*n = *n * 10 + d;
	}
	*end = p;
	return p != s;
}

/* AGE: a whole number and one of the units s, m, h, d, w ("30d", "12h"),
 * in seconds; false, with the reason on stderr. */
static bool parse_age(const char *s, uint64_t *seconds)
{
	static const struct {
		char unit;
		uint64_t seconds;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
	uint64_t n;
	const char *end;
	if (!leading_number(s, &n, &end) || (end[0] && end[1])) {
		pcr_cli_usage_error("prune: --older-than '%s': give a whole number and a unit, "
				    "s, m, h, d or w (30d, 12h)",
				    s);
		return false;
	}
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (end[0] == units[i].unit) {
			/* Beyond a time_t, or before 1970: every entry is younger. */
			if (n > (uint64_t)INT64_MAX / units[i].seconds) {
				pcr_cli_usage_error("prune: --older-than '%s' is too large", s);
				return false;
			}
			*seconds = n * units[i].seconds;
			return true;
		}
	pcr_cli_usage_error("prune: --older-than '%s': %s; use s, m, h, d or w (30d, 12h)", s,
			    end[0] ? "unknown unit" : "the unit is missing");
	return false;
}

/* SIZE: a whole number of bytes, or of K, M, G or T (1024 steps): "2G",
 * "500M", "0"; false, with the reason on stderr. */
static bool parse_size(const char *s, uint64_t *bytes)
{
	static const char units[] = "KMGT";
	uint64_t n;
	const char *end;
	if (!leading_number(s, &n, &end) || (end[0] && end[1])) {
		pcr_cli_usage_error("prune: --max-size '%s': give a whole number of bytes, or "
				    "with K, M, G or T (500M, 2G)",
				    s);
		return false;
	}
	unsigned shift = 0;
	if (end[0]) {
		const char *u = strchr(units, end[0] >= 'a' ? end[0] - 'a' + 'A' : end[0]);
		if (!u) {
			pcr_cli_usage_error("prune: --max-size '%s': unknown unit; use K, M, G or T",
					    s);
			return false;
		}
		shift = 10 * (unsigned)(u - units + 1);
	}
	if (shift && n > UINT64_MAX >> shift) {
		pcr_cli_usage_error("prune: --max-size '%s' is too large", s);
		return false;
	}
	*bytes = n << shift;
	return true;
}

struct dry_run {
	const char *age; /* as given */
};

static int print_would_remove(const struct pcr_store_entry *entry, enum pcr_prune_reason why,
			      void *arg)
{
	const struct dry_run *dr = arg;
	char size[PCR_CLI_HUMAN_SIZE];
	printf("would remove %s: %zu file%s, %s (", entry->recorded ? entry->source : entry->key,
	       entry->nfiles, entry->nfiles == 1 ? "" : "s",
	       pcr_cli_human_size(entry->bytes, size));
	if (why == PCR_PRUNE_ORPHAN)
		fputs("orphan", stdout);
	else if (why == PCR_PRUNE_OLD)
		printf("older than %s", dr->age);
	else
		fputs("over the size limit", stdout);
	puts(")");
	return 0;
}

static void print_removed(const char *verb, const struct pcr_store_removed *r)
{
	char size[PCR_CLI_HUMAN_SIZE];
	printf("%s %zu entr%s, %zu file%s, %s\n", verb, r->entries,
	       r->entries == 1 ? "y" : "ies", r->files, r->files == 1 ? "" : "s",
	       pcr_cli_human_size(r->bytes, size));
}

int pcr_cli_prune(int argc, char **argv)
{
	optind = 0;
	struct pcr_prune_rules rules = { 0 };
	struct dry_run dr = { 0 };
	uint64_t age = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		if (c == OPT_ORPHANS) {
			rules.orphans = true;
		} else if (c == OPT_OLDER_THAN) {
			if (!parse_age(optarg, &age))
				return PCR_CLI_USAGE;
			rules.by_age = true;
			dr.age = optarg;
		} else if (c == OPT_MAX_SIZE) {
			if (!parse_size(optarg, &rules.max_bytes))
				return PCR_CLI_USAGE;
			rules.by_size = true;
		} else if (c == OPT_DRY_RUN) {
			rules.dry_run = true;
		} else {
			return pcr_cli_common_option(argv[0], c, argv);
		}
	}
	if (optind < argc)
		return pcr_cli_usage_error("prune: unexpected argument '%s'", argv[optind]);
	if (!rules.orphans && !rules.by_age && !rules.by_size)
		return pcr_cli_usage_error("prune: say what to remove: --orphans, --older-than AGE "
					   "or --max-size SIZE");
	if (rules.by_age) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		/* An age reaching before 1970 spares everything (no mtime is older). */
		rules.used_before.tv_sec = (uint64_t)now.tv_sec > age ? now.tv_sec - (time_t)age : 0;
		rules.used_before.tv_nsec = (uint64_t)now.tv_sec > age ? now.tv_nsec : 0;
	}

	struct pcr_config config;
	if (!pcr_cli_load_config(&config))
		return PCR_CLI_FAILURE;
	struct pcr_store_removed r;
	struct pcr_store_error e;
	int status = PCR_CLI_OK;
	if (pcr_store_prune(config.root, &rules, &r, rules.dry_run ? print_would_remove : NULL,
			    &dr, &e) < 0) {
		pcr_cli_store_error("prune", &e);
		status = PCR_CLI_FAILURE;
		if (r.entries == 0 && r.files == 0)
			return status;
	}
	print_removed(rules.dry_run ? "would remove" : "removed", &r);
	return status;
}
