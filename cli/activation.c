/* Which ways of switching the redirect on are in effect here, for doctor
 * and status: this process's LD_PRELOAD, the user's environment.d file, a
 * shell's start-up block, /etc/ld.so.preload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/preload_list.h"
#include "cli.h"
#include "enable.h"

unsigned pcr_cli_activation(void)
{
	unsigned a = 0;
	if (pcr_preload_list_names(getenv("LD_PRELOAD"), PCR_LIBRARY_NAME))
		a |= PCR_CLI_ACTIVE_PRELOAD;
	if (pcr_cli_user_enabled())
		a |= PCR_CLI_ACTIVE_USER;
	for (size_t i = 0; i < PCR_CLI_SHELLS; i++)
		if (pcr_cli_shell_enabled(pcr_cli_shells[i]))
			a |= PCR_CLI_ACTIVE_SHELL;
	char loader[PATH_MAX];
	if (pcr_cli_system_enabled() && !pcr_cli_system_is_musl(loader, sizeof loader))
		a |= PCR_CLI_ACTIVE_SYSTEM; /* musl's loader never reads the file */
	return a;
}

static void append(char *buf, size_t size, const char *fmt, const char *arg)
{
	size_t used = strlen(buf);
	if (used)
		used += (size_t)snprintf(buf + used, size > used ? size - used : 0, ", ");
	if (used < size)
		snprintf(buf + used, size - used, fmt, arg);
}

void pcr_cli_activation_words(unsigned a, char *buf, size_t size)
{
	char path[PATH_MAX];
	buf[0] = '\0';
	if (a & PCR_CLI_ACTIVE_PRELOAD)
		append(buf, size, "%s", "LD_PRELOAD (this environment)");
	if ((a & PCR_CLI_ACTIVE_USER) && pcr_cli_user_file(path, sizeof path))
		append(buf, size, "the user environment (%s)", path);
	for (size_t i = 0; (a & PCR_CLI_ACTIVE_SHELL) && i < PCR_CLI_SHELLS; i++)
		if (pcr_cli_shell_enabled(pcr_cli_shells[i]) &&
		    pcr_cli_shell_file(pcr_cli_shells[i], path, sizeof path))
			append(buf, size, "the shell start-up block (%s)", path);
	if (a & PCR_CLI_ACTIVE_SYSTEM)
		append(buf, size, "%s", "the system file (" PCR_CLI_SYSTEM_FILE ")");
}
