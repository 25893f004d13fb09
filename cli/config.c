/* The configuration, read by core/ exactly as the library reads it. */
#include <stdlib.h>
#include <unistd.h>

#include "../core/config.h"
#include "cli.h"

static const char *environment(const char *name)
{
	return getenv(name);
}

bool pcr_cli_load_config(struct pcr_config *c)
{
	pcr_config_load(c, environment, (unsigned long)geteuid());
	if (c->root_len == 0) { /* the root setting is refused; problem says why */
		pcr_cli_error("%s", c->problem);
		return false;
	}
	if (c->problem)
		pcr_cli_error("warning: %s", c->problem);
	if (!c->enabled)
		pcr_cli_error("note: " PCR_ENV_SWITCH "=%s switches the redirect off",
			      getenv(PCR_ENV_SWITCH));
	return true;
}
