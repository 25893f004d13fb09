#include "config.h"

#include <string.h>
#include <strings.h>

#include "fmt.h"
#include "path.h"

/* Room a root must leave for /v2/<k0k1>/<key>/<name> inside PATH_MAX. */
#define PCR_ROOT_HEADROOM 300

static bool is_word(const char *v, const char *const *words)
{
	for (; *words; words++)
		if (strcasecmp(v, *words) == 0)
			return true;
	return false;
}

static void note(struct pcr_config *c, const char *problem)
{
	if (!c->problem)
		c->problem = problem;
}

static void load_switch(struct pcr_config *c, const char *v)
{
	static const char *const off[] = { "0", "off", "no", "false", NULL };
	static const char *const on[] = { "", "1", "on", "yes", "true", NULL };
	if (!v || is_word(v, on))
		return;
	if (is_word(v, off))
		c->enabled = false;
	else
		note(c, "PYCACHE_REDIRECT is neither 0 nor 1: leaving the redirect on");
}

static void load_scope(struct pcr_config *c, const char *v)
{
	if (!v || !*v || strcasecmp(v, "python") == 0)
		c->scope = PCR_SCOPE_PYTHON;
	else if (strcasecmp(v, "all") == 0)
		c->scope = PCR_SCOPE_ALL;
	else
		note(c, "PYCACHE_REDIRECT_SCOPE is neither python nor all: using python");
}

/* "N", "N:file:PATH" or "file:PATH" (level 2 to PATH). */
static void load_log(struct pcr_config *c, const char *v)
{
	if (!v || !*v)
		return;
	const char *file = NULL;
	if (strncmp(v, "file:", 5) == 0) {
		c->log_level = PCR_LOG_EVERY;
		file = v + 5;
	} else if (v[0] >= '0' && v[0] <= '2' &&
		   (v[1] == '\0' || strncmp(v + 1, ":file:", 6) == 0)) {
		c->log_level = (enum pcr_log_level)(v[0] - '0');
		if (v[1])
			file = v + 7;
	} else {
		note(c, "PYCACHE_REDIRECT_LOG is not 0, 1, 2, N:file:PATH or file:PATH: logging "
			"stays off");
		return;
	}
	if (file) {
		size_t len = strlen(file);
		if (file[0] != '/' || len >= sizeof c->log_path) {
			note(c,
			     "the PYCACHE_REDIRECT_LOG file is not an absolute path shorter than "
			     "PATH_MAX: logging to stderr");
			return;
		}
		memcpy(c->log_path, file, len + 1);
		c->log_file = c->log_path;
	}
}

/* dir + suffix, normalised into c->root; false, with c->root left empty,
 * when it is unusable. */
static bool set_root(struct pcr_config *c, const char *dir, const char *suffix)
{
	char joined[PATH_MAX], norm[PATH_MAX - PCR_ROOT_HEADROOM];
	size_t dlen = strlen(dir), slen = strlen(suffix);
	if (dir[0] != '/' || dlen + slen >= sizeof joined)
		return false;
	memcpy(joined, dir, dlen);
	memcpy(joined + dlen, suffix, slen + 1);
	size_t len = pcr_normalize_dir(NULL, joined, dlen + slen, norm, sizeof norm);
	if (len <= 1) /* too long, or "/" itself */
		return false;
	memcpy(c->root, norm, len + 1);
	c->root_len = len;
	return true;
}

static void load_root(struct pcr_config *c, pcr_getenv_fn get, unsigned long uid)
{
	const char *dir = get(PCR_ENV_DIR);
	if (dir && *dir) {
		c->root_origin = PCR_ROOT_FROM_DIR;
		if (!set_root(c, dir, "")) {
			c->problem = "PYCACHE_REDIRECT_DIR must be an absolute path other than / "
				     "and shorter than PATH_MAX: the redirect is off";
			c->enabled = false;
		}
		return;
	}
	const char *xdg = get("XDG_CACHE_HOME"), *home = get("HOME");
	char tmp[sizeof c->fallback] = "/tmp/pycache-redirect-";
	size_t n = strlen(tmp);
	n += pcr_put_uint(tmp + n, uid);
	tmp[n] = '\0';
	/* The XDG spec says to ignore a relative XDG_CACHE_HOME. */
	if (xdg && xdg[0] == '/' && set_root(c, xdg, "/pycache-redirect"))
		c->root_origin = PCR_ROOT_FROM_XDG;
	else if (home && home[0] == '/' && set_root(c, home, "/.cache/pycache-redirect"))
		c->root_origin = PCR_ROOT_FROM_HOME;
	else {
		set_root(c, tmp, "");
		c->root_origin = PCR_ROOT_FROM_TMP;
		return;
	}
	memcpy(c->fallback, tmp, n + 1);
	c->fallback_len = n;
}

void pcr_config_load(struct pcr_config *c, pcr_getenv_fn get, unsigned long uid)
{
	/* Field by field: clearing the two PATH_MAX buffers would touch three
	 * pages of every process the library is loaded into (see config.h). */
	c->enabled = true;
	c->scope = PCR_SCOPE_PYTHON;
	c->log_level = PCR_LOG_SILENT;
	c->log_file = NULL;
	c->root[0] = '\0';
	c->root_len = 0;
	c->fallback[0] = '\0';
	c->fallback_len = 0;
	c->root_origin = PCR_ROOT_FROM_DIR;
	c->problem = NULL;
	load_switch(c, get(PCR_ENV_SWITCH));
	const char *package = get(PCR_ENV_DPKG_SCRIPT);
	c->package_script = package && *package;
	if (c->package_script)
		c->enabled = false;
	load_scope(c, get(PCR_ENV_SCOPE));
	load_log(c, get(PCR_ENV_LOG));
	load_root(c, get, uid);
}

const char *pcr_root_origin_str(enum pcr_root_origin o)
{
	switch (o) {
	case PCR_ROOT_FROM_DIR: return PCR_ENV_DIR;
	case PCR_ROOT_FROM_XDG: return "$XDG_CACHE_HOME/pycache-redirect";
	case PCR_ROOT_FROM_HOME: return "$HOME/.cache/pycache-redirect";
	case PCR_ROOT_FROM_TMP: return "/tmp/pycache-redirect-<uid>";
	}
	return "unknown";
}
