/* The settings file, <root>/config, that `pycache-redirect config` writes:
 * "KEY VALUE" lines, '#' comments. It lives in the root, so that it goes
 * where the cache goes (a container's volume, PYCACHE_REDIRECT_DIR), and
 * only the command reads it: the library never needs it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/atomic.h"
#include "../core/config.h"
#include "../core/fs.h"
#include "../core/root.h"
#include "cli.h"

#define SETTINGS_NAME "config"
#define SETTINGS_MAX 65536

static void settings_path(const char *root, char path[PATH_MAX])
{
	pcr_cli_format(path, PATH_MAX, "%s/" SETTINGS_NAME, root);
}

/* The whole file into buf (NUL-terminated), "" when there is none; false,
 * with why, when it cannot be read or is not a plain small file. */
static bool read_settings(const char *root, char *buf, size_t size, char *why, size_t whysz)
{
	char path[PATH_MAX];
	settings_path(root, path);
	buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return true;
	struct stat st;
	ssize_t n = -1;
	int err = errno;
	if (fd >= 0 && fstat(fd, &st) == 0) {
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
			err = EPERM;
		else if ((size_t)st.st_size >= size)
			err = EFBIG;
		else if ((n = read(fd, buf, size - 1)) < 0)
			err = errno;
	}
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		pcr_cli_format(why, whysz, "%s: %s", path,
			       err == EPERM ? "not a regular file of this user's" : strerror(err));
		return false;
	}
	buf[n] = '\0';
	return true;
}

/* The next line of *p (cut in place, comments and blanks trimmed): its key
 * and value (NULL when there is none); false at the end. */
static bool next_setting(char **p, char **key, char **value)
{
	while (**p) {
		char *line = *p;
		char *nl = strchr(line, '\n');
		*p = nl ? nl + 1 : line + strlen(line);
		if (nl)
			*nl = '\0';
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		*key = strtok_r(line, " \t\r", &line);
		if (!*key)
			continue;
		*value = strtok_r(NULL, " \t\r", &line);
		return true;
	}
	return false;
}

bool pcr_cli_setting_read(const char *root, const char *key, char *value, size_t valuesz, char *why,
			  size_t whysz)
{
	char buf[SETTINGS_MAX];
	value[0] = '\0';
	if (!read_settings(root, buf, sizeof buf, why, whysz))
		return false;
	char *p = buf, *k, *v;
	while (next_setting(&p, &k, &v))
		if (strcmp(k, key) == 0 && v)
			snprintf(value, valuesz, "%s", v);
	return true;
}

bool pcr_cli_setting_write(const char *root, const char *key, const char *value, char *why,
			   size_t whysz)
{
	char old[SETTINGS_MAX];
	if (!read_settings(root, old, sizeof old, why, whysz))
		return false;
	/* The other keys stay as they were, comments aside. */
	char text[SETTINGS_MAX + 256];
	size_t n = (size_t)snprintf(
	    text, sizeof text, "# pycache-redirect settings: see pycache-redirect config --help\n");
	char *p = old, *k, *v;
	while (next_setting(&p, &k, &v))
		if (strcmp(k, key) != 0 && v && n < sizeof text)
			n += (size_t)snprintf(text + n, sizeof text - n, "%s %s\n", k, v);
	if (value && n < sizeof text)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s %s\n", key, value);
	if (n >= sizeof text) {
		pcr_cli_format(why, whysz, "the settings do not fit in %d bytes", SETTINGS_MAX);
		return false;
	}

	char path[PATH_MAX], tmp[PATH_MAX + 32];
	settings_path(root, path);
	if (pcr_atomic_write(&pcr_fs_libc, path, tmp, sizeof tmp, text, n, 0600) == 0)
		return true;
	pcr_cli_format(why, whysz, "cannot write %s: %s", path, strerror(errno));
	return false;
}

/* "0" and "none" say: no limit. */
static bool no_limit(const char *s) { return strcmp(s, "none") == 0 || strcmp(s, "0") == 0; }

bool pcr_cli_size_limit(const struct pcr_config *c, struct pcr_cli_limit *l, char *why,
			size_t whysz)
{
	*l = (struct pcr_cli_limit){ .origin = PCR_CLI_LIMIT_NONE };
	const char *env = getenv(PCR_CLI_ENV_MAX_SIZE);
	char value[sizeof l->text];
	char problem[128];
	if (env && *env) {
		snprintf(value, sizeof value, "%s", env);
		l->origin = PCR_CLI_LIMIT_ENV;
	} else {
		if (!pcr_cli_setting_read(c->root, "max-size", value, sizeof value, why, whysz))
			return false;
		l->origin = value[0] ? PCR_CLI_LIMIT_FILE : PCR_CLI_LIMIT_DEFAULT;
		if (!value[0])
			snprintf(value, sizeof value, "%s", PCR_CLI_DEFAULT_MAX_SIZE);
	}
	snprintf(l->text, sizeof l->text, "%s", value);
	if (no_limit(value)) {
		l->origin = PCR_CLI_LIMIT_NONE;
		return true;
	}
	if (!pcr_cli_parse_size(value, &l->bytes, problem, sizeof problem)) {
		char path[PATH_MAX];
		settings_path(c->root, path);
		if (l->origin == PCR_CLI_LIMIT_ENV)
			pcr_cli_format(why, whysz, PCR_CLI_ENV_MAX_SIZE " '%s': %s", value,
				       problem);
		else
			pcr_cli_format(why, whysz, "%s: max-size '%s': %s", path, value, problem);
		return false;
	}
	return true;
}

bool pcr_cli_size_limit_or_say(const char *subcommand, const struct pcr_config *c,
			       struct pcr_cli_limit *l)
{
	char why[PATH_MAX + 128];
	if (pcr_cli_size_limit(c, l, why, sizeof why))
		return true;
	pcr_cli_error("%s: %s", subcommand, why);
	return false;
}

const char *pcr_cli_limit_origin_str(enum pcr_cli_limit_origin o)
{
	return o == PCR_CLI_LIMIT_ENV       ? PCR_CLI_ENV_MAX_SIZE
	       : o == PCR_CLI_LIMIT_FILE    ? "pycache-redirect config"
	       : o == PCR_CLI_LIMIT_DEFAULT ? "the default"
					    : "none";
}
