/* The configuration, read by core/ exactly as the library reads it. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/fs.h"
#include "../core/root.h"
#include "cli.h"

static const char *environment(const char *name) { return getenv(name); }

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
	/* Where the library would go instead of a refused default root. */
	enum pcr_root_status st;
	int err;
	char where[PATH_MAX];
	enum pcr_root_use use = pcr_root_choose(&pcr_fs_libc, c, (unsigned long)geteuid(), false,
						&st, &err, where, sizeof where);
	if (use == PCR_ROOT_USE_NONE && c->fallback_len) {
		/* Why the fallback is not used either: the library says nothing. */
		enum pcr_root_status f = pcr_root_prepare(&pcr_fs_libc, c->fallback,
							  (unsigned long)geteuid(), false, &err);
		pcr_cli_error("warning: the cache root %s %s, and the fallback %s %s; the "
			      "redirect is off",
			      c->root, pcr_root_status_str(st), c->fallback,
			      pcr_root_status_str(f));
	}
	if (use & PCR_ROOT_USE_FALLBACK) {
		pcr_cli_error("warning: the cache root %s %s%s%s%s%s%s%s; the library uses the "
			      "fallback %s instead",
			      c->root, pcr_root_status_str(st),
			      st == PCR_ROOT_UNSAFE_PARENT ? " (" : "",
			      st == PCR_ROOT_UNSAFE_PARENT ? where : "",
			      st == PCR_ROOT_UNSAFE_PARENT ? ")" : "", err ? " (" : "",
			      err ? strerror(err) : "", err ? ")" : "", c->fallback);
		memcpy(c->root, c->fallback, c->fallback_len + 1);
		c->root_len = c->fallback_len;
		c->root_origin = PCR_ROOT_FROM_TMP;
		c->fallback_len = 0;
		c->fallback[0] = '\0';
	}
	return true;
}

bool pcr_cli_root_made(const char *subcommand, const struct pcr_config *c)
{
	if (!pcr_cli_root_safe(c))
		return false;
	int err;
	enum pcr_root_status st =
	    pcr_root_prepare(&pcr_fs_libc, c->root, (unsigned long)geteuid(), true, &err);
	if (st == PCR_ROOT_OK)
		return true;
	if (st == PCR_ROOT_READ_ONLY)
		pcr_cli_error("%s: the cache root %s is on a read-only file system: nothing can "
			      "be written there",
			      subcommand, c->root);
	else
		pcr_cli_error("%s: cannot make the cache root %s: %s", subcommand, c->root,
			      pcr_root_status_str(st));
	return false;
}

/* A root that exists but that the library would refuse: say so. Whether it
 * is missing is no problem (the library creates it), nor whether it is
 * read-only (the library reads it). */
bool pcr_cli_root_safe(const struct pcr_config *c)
{
	int err;
	enum pcr_root_status s =
	    pcr_root_prepare(&pcr_fs_libc, c->root, (unsigned long)geteuid(), false, &err);
	if (pcr_root_status_usable(s) || s == PCR_ROOT_MISSING)
		return true;
	pcr_cli_error("the cache root %s %s%s%s%s; the library will not use it", c->root,
		      pcr_root_status_str(s), err ? " (" : "", err ? strerror(err) : "",
		      err ? ")" : "");
	return false;
}
