/* stats [--json] [--zero]: what the cache holds and what it did (hits,
 * misses: core/stats.h), like ccache -s. It only reads (and sets the growth
 * counter to what it counted): past the size limit it says that the cleanup
 * is due, which prune, run and env do. --zero sets the counts to 0 and
 * keeps every pyc. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/fs.h"
#include "../core/root.h"
#include "../core/stats.h"
#include "../core/store.h"
#include "cli.h"

/* "ok", or "does not exist yet": the store refuses every other state. */
static const char *health(const char *root)
{
	int err;
	return pcr_root_status_str(
	    pcr_root_prepare(&pcr_fs_libc, root, (unsigned long)geteuid(), false, &err));
}

/* What the cache takes on disk: its entries and the shards they are in. */
static uint64_t on_disk(const struct pcr_store_stats *s) { return s->disk + s->shards_disk; }

static bool over_limit(const struct pcr_store_stats *s, const struct pcr_cli_limit *l)
{
	return l->origin != PCR_CLI_LIMIT_NONE && s->disk > l->bytes;
}

static void json_time(const char *name, const struct pcr_store_stats *s, struct timespec t)
{
	char iso[PCR_CLI_ISO8601];
	if (s->files)
		printf(",\"%s\":\"%s\"", name, pcr_cli_iso8601(t.tv_sec, iso));
	else
		printf(",\"%s\":null", name);
}

static void print_json(const char *root, const struct pcr_store_stats *s,
		       const struct pcr_cli_limit *l, const uint64_t *n)
{
	fputs("{\"root\":", stdout);
	pcr_cli_json_string(stdout, root);
	fputs(",\"health\":", stdout);
	pcr_cli_json_string(stdout, health(root));
	printf(",\"entries\":%zu,\"files\":%zu,\"bytes\":%llu,\"disk_bytes\":%llu,"
	       "\"source_dirs\":%zu,\"source_trees\":%zu,\"orphans\":%zu,\"unrecorded\":%zu",
	       s->entries, s->files, (unsigned long long)s->bytes, (unsigned long long)on_disk(s),
	       s->sources, s->trees, s->orphans, s->unrecorded);
	printf(",\"old_layout_files\":%zu,\"old_layout_bytes\":%llu", s->old.files,
	       (unsigned long long)s->old.bytes);
	json_time("oldest", s, s->oldest);
	json_time("newest", s, s->newest);
	if (l->origin == PCR_CLI_LIMIT_NONE) {
		fputs(",\"max_size\":null,\"max_size_from\":null", stdout);
	} else {
		printf(",\"max_size\":%llu,\"max_size_from\":", (unsigned long long)l->bytes);
		pcr_cli_json_string(stdout, pcr_cli_limit_origin_str(l->origin));
	}
	printf(",\"cleanup_due\":%s", over_limit(s, l) ? "true" : "false");
	printf(",\"hits\":%llu,\"misses\":%llu,\"in_tree_reads\":%llu,\"refusals\":%llu",
	       (unsigned long long)n[PCR_STAT_HIT], (unsigned long long)n[PCR_STAT_MISS],
	       (unsigned long long)n[PCR_STAT_IN_TREE], (unsigned long long)n[PCR_STAT_REFUSED]);
	fputs("}\n", stdout);
}

static void print_human(const char *root, const struct pcr_store_stats *s,
			const struct pcr_cli_limit *l, const uint64_t *n)
{
	char size[PCR_CLI_HUMAN_SIZE], oldest[PCR_CLI_ISO8601], newest[PCR_CLI_ISO8601];
	printf("cache root     %s (%s)\n", root, health(root));
	printf("entries        %zu\n", s->entries);
	printf("files          %zu\n", s->files);
	char pycs[PCR_CLI_HUMAN_SIZE];
	printf("size           %s on disk (%s of pycs)\n", pcr_cli_human_size(on_disk(s), size),
	       pcr_cli_human_size(s->bytes, pycs));
	if (l->origin == PCR_CLI_LIMIT_NONE) {
		puts("size limit     none (pycache-redirect config max-size SIZE sets one)");
	} else {
		char max[PCR_CLI_HUMAN_SIZE];
		/* In tenths of a percent; 128 bits, so that no size overflows. */
		uint64_t permille = (uint64_t)((unsigned __int128)on_disk(s) * 1000 / l->bytes);
		printf("size limit     %s (%s), %llu.%llu%% used\n",
		       pcr_cli_human_size(l->bytes, max), pcr_cli_limit_origin_str(l->origin),
		       (unsigned long long)permille / 10, (unsigned long long)permille % 10);
		if (over_limit(s, l))
			puts("               past it: the cleanup to 90% is due (" PCR_CLI_NAME
			     " prune, or the next run or env in the background)");
	}
	printf("source trees   %zu (%zu director%s)\n", s->trees, s->sources,
	       s->sources == 1 ? "y" : "ies");
	printf("orphans        %zu\n", s->orphans);
	if (s->unrecorded)
		printf("unrecorded     %zu (no record of their source: kept)\n", s->unrecorded);
	if (s->old.files)
		printf("old layout     " PCR_LAYOUT_OLD ": %zu file%s, %s, no longer read "
		       "(prune or clear removes it)\n",
		       s->old.files, s->old.files == 1 ? "" : "s",
		       pcr_cli_human_size(s->old.bytes, size));
	printf("oldest         %s\n", s->files ? pcr_cli_iso8601(s->oldest.tv_sec, oldest) : "-");
	printf("newest         %s\n", s->files ? pcr_cli_iso8601(s->newest.tv_sec, newest) : "-");
	uint64_t hits = n[PCR_STAT_HIT], misses = n[PCR_STAT_MISS];
	printf("hits           %llu", (unsigned long long)hits);
	if (hits + misses) /* in tenths of a percent */
		printf(" (%llu.%llu%% of the pycs asked of the cache)",
		       (unsigned long long)(hits * 1000 / (hits + misses) / 10),
		       (unsigned long long)(hits * 1000 / (hits + misses) % 10));
	printf("\nmisses         %llu (pycs compiled and written into the cache)\n",
	       (unsigned long long)misses);
	printf("in-tree reads  %llu (pycs read from their trees)\n",
	       (unsigned long long)n[PCR_STAT_IN_TREE]);
	printf("refusals       %llu (writes refused: a planted link, a full cache)\n",
	       (unsigned long long)n[PCR_STAT_REFUSED]);
}

enum { OPT_JSON = PCR_CLI_OPT_HELP + 1, OPT_ZERO };

static const struct option options[] = {
	PCR_CLI_HELP_OPTION,
	{ "json", no_argument, NULL, OPT_JSON },
	{ "zero", no_argument, NULL, OPT_ZERO },
	{ NULL, 0, NULL, 0 },
};

int pcr_cli_stats(int argc, char **argv)
{
	bool json = false, zero = false;
	optind = 0;
	for (int c; (c = getopt_long(argc, argv, "+:h", options, NULL)) != -1;) {
		if (c == OPT_JSON)
			json = true;
		else if (c == OPT_ZERO)
			zero = true;
		else
			return pcr_cli_common_option(argv[0], c, argv);
	}
	if (optind < argc)
		return pcr_cli_usage_error("stats: unexpected argument '%s'", argv[optind]);
	if (zero && json)
		return pcr_cli_usage_error("stats: --zero prints no statistics; give it alone");
	if (zero) {
		struct pcr_config config;
		if (!pcr_cli_load_config(&config) || !pcr_cli_root_safe(&config))
			return PCR_CLI_FAILURE;
		if (pcr_store_counts_zero(config.root) < 0) {
			pcr_cli_error("stats: cannot zero the counts in %s: %s", config.root,
				      strerror(errno));
			return PCR_CLI_FAILURE;
		}
		puts("hits, misses, in-tree reads and refusals set to 0; every pyc kept");
		return PCR_CLI_OK;
	}

	struct pcr_config config;
	if (!pcr_cli_load_config(&config))
		return PCR_CLI_FAILURE;
	struct pcr_cli_limit l;
	if (!pcr_cli_size_limit_or_say("stats", &config, &l))
		return PCR_CLI_FAILURE;
	struct pcr_store_stats s;
	struct pcr_store_error e;
	struct pcr_store store = pcr_cli_progress_start(config.root, "stats");
	int r = pcr_store_stats(&store, NULL, &s, &e);
	pcr_cli_progress_end();
	if (r < 0) {
		pcr_cli_store_error("stats", &e);
		return PCR_CLI_FAILURE;
	}
	/* A whole scan: the library's counter starts again from the truth. */
	pcr_store_counter_reset(config.root, s.disk);
	uint64_t n[PCR_STAT_COUNT];
	if (pcr_store_counts_read(config.root, n) < 0) {
		pcr_cli_error("stats: cannot read the counts in %s: %s", config.root,
			      strerror(errno));
		return PCR_CLI_FAILURE;
	}
	if (json)
		print_json(config.root, &s, &l, n);
	else
		print_human(config.root, &s, &l, n);
	return PCR_CLI_OK;
}
