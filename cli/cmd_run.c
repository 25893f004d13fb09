/* run [--dir DIR] [--scope python|all] [--log LEVEL] [--] CMD [ARGS...]:
 * exec CMD with the library preloaded, the options set in its environment,
 * and the names tox must pass on (cli.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/config.h"
#include "cli.h"

enum {
	OPT_DIR = PCR_CLI_OPT_HELP + 1,
	OPT_SCOPE,
	OPT_LOG,
};

static const struct option options[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "scope", required_argument, NULL, OPT_SCOPE },
	{ "log", required_argument, NULL, OPT_LOG },
	PCR_CLI_HELP_OPTION,
	{ NULL, 0, NULL, 0 },
};

/* The values of the options are checked by core/ itself, on an environment
 * that holds only the one variable, so that run accepts exactly what the
 * library will. */
static const char *probe_name, *probe_value;

static const char *probe_getenv(const char *name)
{
	return strcmp(name, probe_name) == 0 ? probe_value : NULL;
}

static bool library_accepts(const char *name, const char *value)
{
	struct pcr_config c;
	probe_name = name;
	probe_value = value;
	pcr_config_load(&c, probe_getenv, 0);
	return c.problem == NULL;
}

/* LD_PRELOAD for CMD: the library first, then the entries already there.
 * Any other copy of the library is dropped: two copies would both hook. */
static char *preload_list(const char *library)
{
	const char *old = getenv("LD_PRELOAD");
	if (!old)
		old = "";
	size_t len = strlen(library), cap = len + 1 + strlen(old) + 1;
	char *list = malloc(cap);
	if (!list)
		return NULL;
	memcpy(list, library, len);
	struct pcr_cli_preload_entry e;
	for (const char *p = old; pcr_cli_preload_next(&p, &e);)
		if (!e.ours) {
			list[len++] = ':';
			memcpy(list + len, e.start, e.len);
			len += e.len;
		}
	list[len] = '\0';
	return list;
}

static bool set(const char *name, const char *value)
{
	if (setenv(name, value, 1) == 0)
		return true;
	pcr_cli_error("cannot set %s: %s", name, strerror(errno));
	return false;
}

/* item appended to name's sep-separated list, unless it is there. */
static bool append_once(const char *name, char sep, const char *item)
{
	const char *old = getenv(name);
	if (!old || !*old)
		return set(name, item);
	size_t olen = strlen(old), ilen = strlen(item);
	for (const char *p = old; (p = strstr(p, item)); p++)
		if ((p == old || p[-1] == sep) && (p[ilen] == '\0' || p[ilen] == sep))
			return true;
	char *list = malloc(olen + 1 + ilen + 1);
	if (!list) {
		pcr_cli_error("run: out of memory");
		return false;
	}
	memcpy(list, old, olen);
	list[olen] = sep;
	memcpy(list + olen + 1, item, ilen + 1);
	bool ok = set(name, list);
	free(list);
	return ok;
}

int pcr_cli_run(int argc, char **argv)
{
	const char *dir = NULL, *scope = NULL, *log = NULL;
	int c;
	optind = 0;
	/* "+": options end at the first non-option, which is CMD. */
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		switch (c) {
		case OPT_DIR: dir = optarg; break;
		case OPT_SCOPE: scope = optarg; break;
		case OPT_LOG: log = optarg; break;
		default: return pcr_cli_common_option(argv[0], c, argv);
		}
	}
	if (optind >= argc)
		return pcr_cli_usage_error("run: give the command to run, e.g. " PCR_CLI_NAME
					   " run -- python3 -m pytest");

	char root[PATH_MAX];
	if (dir) {
		if (!*dir)
			return pcr_cli_usage_error("run: --dir needs a directory");
		/* As PYCACHE_REDIRECT_DIR: a relative root would mean another
		 * place in every directory the command changes into. */
		if (dir[0] != '/')
			return pcr_cli_usage_error(
			    "run: --dir %s: give an absolute path, as " PCR_ENV_DIR
			    " takes (--dir \"$PWD/%s\")",
			    dir, dir);
		if (pcr_cli_absolute(dir, root, sizeof root) == 0) {
			pcr_cli_error("run: --dir %s: %s", dir, strerror(errno));
			return PCR_CLI_FAILURE;
		}
		if (!library_accepts(PCR_ENV_DIR, root))
			return pcr_cli_usage_error("run: --dir %s: the cache root must be a "
						   "directory other than / whose path is "
						   "shorter than PATH_MAX",
						   dir);
	}
	if (scope && (!*scope || !library_accepts(PCR_ENV_SCOPE, scope)))
		return pcr_cli_usage_error("run: --scope takes python or all, not '%s'", scope);
	if (log && (!*log || !library_accepts(PCR_ENV_LOG, log)))
		return pcr_cli_usage_error("run: --log takes 0, 1, 2, file:PATH or "
					   "N:file:PATH with an absolute PATH, not '%s'",
					   log);

	char library[PATH_MAX];
	if (!pcr_cli_find_preload_or_say(library, sizeof library))
		return PCR_CLI_FAILURE;
	char *list = preload_list(library);
	if (!list) {
		pcr_cli_error("run: out of memory");
		return PCR_CLI_FAILURE;
	}
	bool ok = set("LD_PRELOAD", list) && (!dir || set(PCR_ENV_DIR, root)) &&
		  (!scope || set(PCR_ENV_SCOPE, scope)) && (!log || set(PCR_ENV_LOG, log)) &&
		  append_once("TOX_TESTENV_PASSENV", ' ', PCR_CLI_TOX_NAMES) &&
		  append_once("TOX_OVERRIDE", ';', PCR_CLI_TOX4_OVERRIDE);
	free(list);
	if (!ok)
		return PCR_CLI_FAILURE;
	/* What the library will make of this environment, said before it is too
	 * late. A root it refuses leaves the redirect off without a word: run
	 * runs nothing then; for any other reason it runs the command. */
	char **cmd = argv + optind;
	pcr_cli_warn_if_off("run", cmd[0]);
	if (!pcr_cli_root_usable()) {
		pcr_cli_error("run: %s not run: the library would refuse its cache root", cmd[0]);
		return PCR_CLI_FAILURE;
	}

	pcr_cli_upkeep();
	execvp(cmd[0], cmd);
	if (errno != ENOENT) {
		pcr_cli_error("run: cannot execute %s: %s", cmd[0], strerror(errno));
		return PCR_CLI_CANNOT_EXECUTE;
	}
	if (!strchr(cmd[0], '/'))
		pcr_cli_error("run: %s: command not found in PATH", cmd[0]);
	else if (access(cmd[0], F_OK) == 0)
		pcr_cli_error("run: %s: the interpreter on its #! line does not exist", cmd[0]);
	else
		pcr_cli_error("run: %s: no such file", cmd[0]);
	return PCR_CLI_NOT_FOUND;
}
