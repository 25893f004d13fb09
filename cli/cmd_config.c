/* config [KEY [VALUE]]: with no argument, every setting with its value and
 * where it comes from (the environment, <root>/config, the default), as
 * ccache -p; with a key, that one; with a value, it is set in <root>/config.
 * One key is kept there so far, max-size: the size limit the cleanup keeps
 * the cache under. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/fs.h"
#include "../core/store.h"
#include "cli.h"

#define KEY_MAX_SIZE "max-size"

/* The limit in force and where it comes from, as `config` prints it. */
static int show(const struct pcr_config *c)
{
	struct pcr_cli_limit l;
	char why[PATH_MAX + 128], saved[64];
	if (!pcr_cli_size_limit(c, &l, why, sizeof why) ||
	    !pcr_cli_setting_read(c->root, KEY_MAX_SIZE, saved, sizeof saved, why, sizeof why)) {
		pcr_cli_error("config: %s", why);
		return PCR_CLI_FAILURE;
	}
	printf(KEY_MAX_SIZE " %s", l.origin == PCR_CLI_LIMIT_NONE ? "none" : l.text);
	if (getenv(PCR_CLI_ENV_MAX_SIZE) && *getenv(PCR_CLI_ENV_MAX_SIZE))
		printf(" (from " PCR_CLI_ENV_MAX_SIZE "; the settings say %s)",
		       saved[0] ? saved : "none");
	putchar('\n');
	return PCR_CLI_OK;
}

static const char *from_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* One line of the listing: "KEY VALUE  (SOURCE)", the values aligned. */
static void setting(const char *key, const char *value, const char *source)
{
	printf("%-9s ", key);
	pcr_cli_print_name(stdout, value);
	printf("  (%s)\n", source);
}

/* Every setting, as the library and the command would use them here. */
static int show_all(const struct pcr_config *c)
{
	const char *sw = from_env(PCR_ENV_SWITCH);
	setting("redirect", c->enabled ? "on" : "off",
		c->package_script ? PCR_ENV_DPKG_SCRIPT
		: sw              ? PCR_ENV_SWITCH
				  : "default");
	char origin[128];
	snprintf(origin, sizeof origin, "%s%s",
		 c->root_origin == PCR_ROOT_FROM_DIR ? "" : "default: ",
		 pcr_root_origin_str(c->root_origin));
	setting("root", c->root_len ? c->root : "none: the setting is refused", origin);
	const char *scope = from_env(PCR_ENV_SCOPE), *log = from_env(PCR_ENV_LOG);
	setting("scope", c->scope == PCR_SCOPE_ALL ? "all" : "python",
		scope ? PCR_ENV_SCOPE : "default");
	setting("log", log ? log : "0", log ? PCR_ENV_LOG : "default");
	struct pcr_cli_limit l;
	char why[PATH_MAX + 128];
	if (!pcr_cli_size_limit(c, &l, why, sizeof why)) {
		pcr_cli_error("config: %s", why);
		return PCR_CLI_FAILURE;
	}
	/* "none" from the variable or the file is a setting too: say whose. */
	char saved[64];
	if (!pcr_cli_setting_read(c->root, KEY_MAX_SIZE, saved, sizeof saved, why, sizeof why)) {
		pcr_cli_error("config: %s", why);
		return PCR_CLI_FAILURE;
	}
	setting(KEY_MAX_SIZE, l.origin == PCR_CLI_LIMIT_NONE ? "none" : l.text,
		from_env(PCR_CLI_ENV_MAX_SIZE) ? PCR_CLI_ENV_MAX_SIZE
		: saved[0]                     ? "<root>/config"
					       : "default");
	char library[PATH_MAX];
	if (pcr_cli_find_library(library, sizeof library, why, sizeof why))
		setting("library", library,
			from_env("PYCACHE_REDIRECT_LIBRARY") ? "PYCACHE_REDIRECT_LIBRARY"
							     : "found by the command");
	else
		setting("library", "none", why);
	if (c->problem)
		printf("note: %s\n", c->problem);
	return PCR_CLI_OK;
}

/* After a new limit: count the cache (the counter starts again from the
 * truth) and clean it up at once when it is over. */
static int apply(const struct pcr_config *c)
{
	struct pcr_cli_limit l;
	if (!pcr_cli_size_limit_or_say("config", c, &l))
		return PCR_CLI_FAILURE;
	struct pcr_store_stats s;
	struct pcr_store_error e;
	struct pcr_store store = pcr_cli_progress_start(c->root, "config");
	int r = pcr_store_stats(&store, NULL, &s, &e);
	pcr_cli_progress_end();
	if (r < 0) {
		pcr_cli_store_error("config", &e);
		return PCR_CLI_FAILURE;
	}
	pcr_store_counter_reset(c->root, s.disk);
	if (l.origin == PCR_CLI_LIMIT_NONE || s.disk <= l.bytes)
		return PCR_CLI_OK;
	struct pcr_store_removed removed;
	if (pcr_cli_cleanup(c->root, l.bytes, false, &removed, &e) < 0) {
		pcr_cli_store_error("config", &e);
		return PCR_CLI_FAILURE;
	}
	pcr_cli_report_cleanup(&l, &removed);
	return PCR_CLI_OK;
}

static int set(const struct pcr_config *c, const char *value)
{
	char why[PATH_MAX + 128];
	uint64_t bytes;
	bool none = strcmp(value, "none") == 0 || strcmp(value, "0") == 0;
	bool by_default = strcmp(value, "default") == 0;
	if (!none && !by_default && !pcr_cli_parse_size(value, &bytes, why, sizeof why))
		return pcr_cli_usage_error("config: " KEY_MAX_SIZE " '%s': %s", value, why);
	if (!pcr_cli_root_made("config", c))
		return PCR_CLI_FAILURE;
	/* A bare number is in G: kept with its unit, so that the file says it. */
	/* No limit is kept as "none", over the default; "default" takes the
	 * setting away. */
	char stored[64];
	if (none)
		snprintf(stored, sizeof stored, "none");
	else if (value[strspn(value, "0123456789")] == '\0')
		snprintf(stored, sizeof stored, "%sG", value);
	else
		snprintf(stored, sizeof stored, "%s", value);
	if (!pcr_cli_setting_write(c->root, KEY_MAX_SIZE, by_default ? NULL : stored, why,
				   sizeof why)) {
		pcr_cli_error("config: %s", why);
		return PCR_CLI_FAILURE;
	}
	if (getenv(PCR_CLI_ENV_MAX_SIZE) && *getenv(PCR_CLI_ENV_MAX_SIZE))
		pcr_cli_error("note: " PCR_CLI_ENV_MAX_SIZE "=%s overrides this setting",
			      getenv(PCR_CLI_ENV_MAX_SIZE));
	return apply(c);
}

static const struct option options[] = {
	PCR_CLI_HELP_OPTION,
	{ NULL, 0, NULL, 0 },
};

int pcr_cli_config(int argc, char **argv)
{
	optind = 0;
	int c = getopt_long(argc, argv, "+:h", options, NULL);
	if (c != -1) /* only --help is an option */
		return pcr_cli_common_option(argv[0], c, argv);
	const char *key = optind < argc ? argv[optind] : NULL;
	const char *value = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (optind + 2 < argc)
		return pcr_cli_usage_error("config: unexpected argument '%s'", argv[optind + 2]);
	if (key && strcmp(key, KEY_MAX_SIZE) != 0)
		return pcr_cli_usage_error("config: unknown setting '%s'; there is " KEY_MAX_SIZE,
					   key);
	struct pcr_config config;
	if (!pcr_cli_load_config(&config))
		return PCR_CLI_FAILURE;
	return value ? set(&config, value) : key ? show(&config) : show_all(&config);
}
