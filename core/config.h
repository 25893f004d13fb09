/* The configuration, read from the environment once: whether the redirect is
 * on, its scope, logging, and where the cache root is. One resolution for the
 * preload and the command-line tool, so that they never disagree. */
#ifndef PCR_CONFIG_H
#define PCR_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* dpkg's, set in the environment of every maintainer script it runs. */
#define PCR_ENV_DPKG_SCRIPT "DPKG_MAINTSCRIPT_PACKAGE"
#define PCR_ENV_SWITCH "PYCACHE_REDIRECT"
#define PCR_ENV_DIR "PYCACHE_REDIRECT_DIR"
#define PCR_ENV_SCOPE "PYCACHE_REDIRECT_SCOPE"
#define PCR_ENV_LOG "PYCACHE_REDIRECT_LOG"

enum pcr_scope {
	PCR_SCOPE_PYTHON, /* only processes that host a Python runtime */
	PCR_SCOPE_ALL,    /* every process the library is loaded into */
};

enum pcr_root_origin {
	PCR_ROOT_FROM_DIR,  /* $PYCACHE_REDIRECT_DIR */
	PCR_ROOT_FROM_XDG,  /* $XDG_CACHE_HOME/pycache-redirect */
	PCR_ROOT_FROM_HOME, /* $HOME/.cache/pycache-redirect */
	PCR_ROOT_FROM_TMP,  /* /tmp/pycache-redirect-<uid> */
};

enum pcr_log_level { PCR_LOG_SILENT, PCR_LOG_WARN, PCR_LOG_EVERY };

/* Loaded into every process, so laid out for its start-up: the fields the
 * loading writes come first and together, the log file's buffer (written
 * only when there is one) last, so that few pages are touched. */
struct pcr_config {
	bool enabled; /* false: switched off, or the root setting refused */
	/* Run by dpkg as a package's maintainer script (DPKG_MAINTSCRIPT_PACKAGE
	 * set): switched off, so that the pycs the package manager compiles
	 * (Debian's py3compile) go where they ship, in the tree every user
	 * reads, however the library was loaded. */
	bool package_script;
	enum pcr_scope scope;
	enum pcr_log_level log_level;
	enum pcr_root_origin root_origin;
	const char *log_file; /* NULL: stderr; else log_path */
	/* The problem with the environment, in words, or NULL: the one with the
	 * root when there is one (it switches the redirect off), else the first
	 * (each of those keeps its default). */
	const char *problem;
	size_t root_len; /* 0 (and root "") when the root setting is refused */
	/* For a default root (not PYCACHE_REDIRECT_DIR's, nor already this
	 * one): /tmp/pycache-redirect-<uid>, used when the root is refused
	 * (core/root.h); "" otherwise. */
	size_t fallback_len;
	char fallback[40];
	char root[PATH_MAX]; /* normalised, absolute, no trailing slash */
	char log_path[PATH_MAX];
};

typedef const char *(*pcr_getenv_fn)(const char *name);

/* Fills c from get (getenv, or a test's fake). Never allocates. */
void pcr_config_load(struct pcr_config *c, pcr_getenv_fn get, unsigned long uid);

const char *pcr_root_origin_str(enum pcr_root_origin o);

#endif
