/* The configuration, read by core/ exactly as the library reads it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/config.h"
#include "cli.h"

static const char *environment(const char *name)
{
	return getenv(name);
}

/* The environment without the variables the root does not depend on. */
static const char *root_environment(const char *name)
{
	if (strcmp(name, PCR_ENV_SWITCH) == 0 || strcmp(name, PCR_ENV_SCOPE) == 0 ||
	    strcmp(name, PCR_ENV_LOG) == 0)
		return NULL;
	return getenv(name);
}

bool pcr_cli_load_config(struct pcr_config *c)
{
	unsigned long euid = (unsigned long)geteuid();
	pcr_config_load(c, environment, euid);
	/* core/ keeps only the first problem, and enabled is false both for
	 * PYCACHE_REDIRECT=0 and for an unusable root. A second reading that sees
	 * only what the root depends on tells the two apart and gives the root's
	 * own problem. */
	struct pcr_config root;
	pcr_config_load(&root, root_environment, euid);
	if (!root.enabled) {
		pcr_cli_error("%s", root.problem ? root.problem : "the cache root is unusable");
		return false;
	}
	if (c->problem)
		pcr_cli_error("warning: %s", c->problem);
	if (!c->enabled)
		pcr_cli_error("note: " PCR_ENV_SWITCH "=%s switches the redirect off",
			      getenv(PCR_ENV_SWITCH));
	return true;
}
