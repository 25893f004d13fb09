/* enable --user / disable --user: a file of its own in the user's systemd
 * environment, ${XDG_CONFIG_HOME:-~/.config}/environment.d/
 * 60-pycache-redirect.conf, which systemd's user manager reads when it
 * starts (environment.d(5)): the desktop session, what it starts (IDEs,
 * their test runners and language servers) and user services get it.
 *
 * Its lines are KEY=VALUE, expanded as environment.d expands them: ${X:+...}
 * keeps an LD_PRELOAD set before, and $$ is a literal $, which the loader's
 * $LIB needs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/config.h"
#include "cli.h"
#include "enable.h"

#define USER_FILE "environment.d/60-" PCR_CLI_NAME ".conf"

bool pcr_cli_user_file(char *out, size_t outsz)
{
	const char *config = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;
	if (config && config[0] == '/')
		n = snprintf(out, outsz, "%s/" USER_FILE, config);
	else if (home && home[0] == '/')
		n = snprintf(out, outsz, "%s/.config/" USER_FILE, home);
	else
		return false;
	return n > 0 && (size_t)n < outsz;
}

/* Characters a value is written with as they are: environment.d would
 * take quotes, backslashes and whitespace for its own syntax. */
#define PLAIN "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._,+@%=:-"

/* "KEY=value\n" appended at *used, each $ doubled; false when value holds
 * a character environment.d would read otherwise. */
static bool add_line(char *out, size_t size, size_t *used, const char *key, const char *value,
		     const char *tail)
{
	int n = snprintf(out + *used, size - *used, "%s=", key);
	if (n < 0 || (size_t)n >= size - *used)
		return false;
	*used += (size_t)n;
	for (const char *p = value; *p; p++) {
		if (*p != '$' && !strchr(PLAIN, *p))
			return false;
		if (*used + 3 >= size)
			return false;
		if (*p == '$')
			out[(*used)++] = '$';
		out[(*used)++] = *p;
	}
	n = snprintf(out + *used, size - *used, "%s\n", tail);
	if (n < 0 || (size_t)n >= size - *used)
		return false;
	*used += (size_t)n;
	return true;
}

/* The file's text into out; its length, or 0 with the reason on stderr. */
static size_t contents(char *out, size_t size)
{
	char library[PATH_MAX];
	if (!pcr_cli_find_preload_or_say(library, sizeof library))
		return 0;
	size_t used =
	    (size_t)snprintf(out, size,
			     "# `" PCR_CLI_NAME " enable --user` wrote this file; `" PCR_CLI_NAME
			     " disable --user` removes it.\n"
			     "# systemd's user manager reads it at login (environment.d(5)).\n");
	if (!add_line(out, size, &used, "LD_PRELOAD", library, "${LD_PRELOAD:+:$LD_PRELOAD}")) {
		pcr_cli_error(
		    "enable --user: the library's path %s cannot be written in "
		    "environment.d: set PYCACHE_REDIRECT_LIBRARY to a copy at a plain path; "
		    "nothing changed",
		    library);
		return 0;
	}
	/* As env prints them: what this environment sets. */
	static const char *const settings[] = { PCR_ENV_DIR, PCR_ENV_SCOPE, PCR_ENV_LOG };
	for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
		const char *value = getenv(settings[i]);
		if (!value || !*value)
			continue;
		if (!add_line(out, size, &used, settings[i], value, "")) {
			pcr_cli_error("enable --user: %s=%s holds a character (a space, a quote, "
				      "a backslash) that environment.d would read as its syntax; "
				      "set it to a plain path, or unset it; nothing changed",
				      settings[i], value);
			return 0;
		}
	}
	/* tox passes none of them on unless told to, as env's lines tell it. */
	int n = snprintf(
	    out + used, size - used,
	    "TOX_TESTENV_PASSENV=${TOX_TESTENV_PASSENV:+$TOX_TESTENV_PASSENV }" PCR_CLI_TOX_NAMES
	    "\nTOX_OVERRIDE=${TOX_OVERRIDE:+$TOX_OVERRIDE;}" PCR_CLI_TOX4_OVERRIDE "\n");
	if (n < 0 || (size_t)n >= size - used) {
		pcr_cli_error("enable --user: the settings do not fit in the file's %zu bytes; "
			      "shorten them; nothing changed",
			      size);
		return 0;
	}
	used += (size_t)n;
	return used;
}

bool pcr_cli_user_enabled(void)
{
	char path[PATH_MAX];
	struct stat st;
	return pcr_cli_user_file(path, sizeof path) && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int pcr_cli_switch_user(const struct pcr_cli_switch *sw)
{
	const char *verb = sw->on ? "enable --user" : "disable --user";
	char path[PATH_MAX], why[2 * PATH_MAX];
	if (!pcr_cli_user_file(path, sizeof path)) {
		pcr_cli_error("%s: neither XDG_CONFIG_HOME nor HOME is an absolute directory "
			      "(or the path is too long)",
			      verb);
		return PCR_CLI_FAILURE;
	}
	/* The file is the command's own: a link there is someone else's doing. */
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		pcr_cli_error("%s: %s is %s, not the file " PCR_CLI_NAME " writes: remove it "
			      "yourself; nothing changed",
			      verb, path,
			      S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file");
		return PCR_CLI_FAILURE;
	}
	struct pcr_cli_text t;
	if (!pcr_cli_text_read(path, &t, why, sizeof why)) {
		pcr_cli_error("%s: %s; nothing changed", verb, why);
		return PCR_CLI_FAILURE;
	}
	char text[4 * PATH_MAX + 512];
	size_t len = sw->on ? contents(text, sizeof text) : 0;
	int status = PCR_CLI_FAILURE;
	if (sw->on && !len)
		goto done;
	if (sw->on ? t.bytes && t.len == len && memcmp(t.bytes, text, len) == 0 : !t.bytes) {
		printf("already %s: %s %s\n", sw->on ? "enabled" : "disabled", path,
		       sw->on ? "holds these lines" : "does not exist");
		status = PCR_CLI_OK;
		goto done;
	}
	if (!pcr_cli_text_ours(path, &t, why, sizeof why) ||
	    (sw->on && !pcr_cli_named_files_trusted(false, why, sizeof why))) {
		pcr_cli_error("%s: %s; nothing changed", verb, why);
		goto done;
	}
	if (!sw->dry_run) {
		bool ok = sw->on ? pcr_cli_make_parents(path, why, sizeof why) &&
				       pcr_cli_text_replace(path, text, len, t.bytes ? &t.st : NULL,
							    0644, why, sizeof why)
				 : (unlink(path) == 0 ||
				    (pcr_cli_format(why, sizeof why, "cannot remove %s: %s", path,
						    strerror(errno)),
				     false));
		if (!ok) {
			pcr_cli_error("%s: %s; nothing changed", verb, why);
			goto done;
		}
	}
	const char *did = sw->dry_run ? (!sw->on   ? "would remove"
					 : t.bytes ? "would rewrite"
						   : "would write")
				      : (!sw->on   ? "removed"
					 : t.bytes ? "rewrote"
						   : "wrote");
	printf("%s %s:\n", did, path);
	if (sw->on)
		pcr_cli_print_indented(text, len);
	else
		pcr_cli_print_indented(t.bytes, t.len);
	if (sw->dry_run)
		printf("dry run: nothing changed\n");
	else
		printf("it takes effect at the next login (systemd's user manager reads it when "
		       "it starts)\n");
	printf("to undo: " PCR_CLI_NAME " %s --user\n", sw->on ? "disable" : "enable");
	status = PCR_CLI_OK;
done:
	pcr_cli_text_free(&t);
	return status;
}
