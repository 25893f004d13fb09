/* where [PATH]: the cache root, or where the library puts PATH: a path
 * inside __pycache__; a Python 2 pyc beside its source (<name>.pyc); a
 * source directory (its __pycache__'s entry) or a source file (the entry of
 * its directory). Exit 1 when there is no such directory to key. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/fs.h"
#include "../core/ident.h"
#include "../core/map.h"
#include "../core/path.h"
#include "cli.h"

static int map(const struct pcr_config *c, const char *path)
{
	struct pcr_mapping m;
	char cwd[PATH_MAX], dir[PATH_MAX];
	const char *base = NULL;
	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof cwd)) {
			pcr_cli_error("where: cannot get the current directory: %s",
				      strerror(errno));
			return PCR_CLI_FAILURE;
		}
		base = cwd;
	}
	struct pcr_pycache_ref ref;
	const char *query = path;
	bool sidecar = false;
	if (pcr_parse_pycache(path, &ref) == PCR_PARSE_NONE &&
	    !(sidecar = pcr_might_be_sidecar(path))) {
		/* A source directory: ask for its __pycache__, so that the library's
		 * one mapping answers, with its refusals (inside the root); a
		 * source file, for its directory's. */
		struct stat st;
		const char *slash = strrchr(path, '/');
		bool file = stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
		int len = !file   ? snprintf(dir, sizeof dir, "%s/" PCR_PYCACHE, path)
			  : slash ? snprintf(dir, sizeof dir, "%.*s/" PCR_PYCACHE,
					     (int)(slash - path), path)
				  : snprintf(dir, sizeof dir, PCR_PYCACHE);
		if (len < 0 || (size_t)len >= sizeof dir) {
			pcr_cli_error("where: %s: the path is too long to map", path);
			return PCR_CLI_FAILURE;
		}
		query = dir;
	}
	const struct pcr_ident_keyer keyer = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	enum pcr_map_status st =
	    sidecar ? pcr_map_sidecar(c->root, c->root_len, base, query, &keyer.keyer, &m)
		    : pcr_map_path(c->root, c->root_len, base, query, &keyer.keyer, &m);
	switch (st) {
	case PCR_MAP_OK:
		pcr_cli_print_name(stdout, m.central);
		putchar('\n');
		return PCR_CLI_OK;
	case PCR_MAP_REFUSED:
		pcr_cli_error("where: %s: the library never redirects this (only one "
			      "name directly inside __pycache__ is, not ., .. or a "
			      "deeper level)",
			      path);
		break;
	case PCR_MAP_UNDER_ROOT:
		pcr_cli_error("where: %s is inside the cache root %s; the library "
			      "leaves it where it is",
			      path, c->root);
		break;
	case PCR_MAP_TOO_LONG: pcr_cli_error("where: %s: the path is too long to map", path); break;
	case PCR_MAP_NO_DIR:
		pcr_cli_error("where: %s: no such file or directory, so no entry: the library "
			      "keys a directory by what it is, not by its name",
			      path);
		break;
	case PCR_MAP_NOT_PYCACHE:
	case PCR_MAP_NEED_BASE: pcr_cli_error("where: %s: cannot be mapped", path); break;
	}
	return PCR_CLI_FAILURE;
}

int pcr_cli_where(int argc, char **argv)
{
	static const struct pcr_cli_simple how = { .operand = "path", .options_first = true };
	const char *path;
	int status = pcr_cli_simple_args(argc, argv, &how, NULL, &path);
	if (status != PCR_CLI_PROCEED)
		return status;

	struct pcr_config config;
	if (!pcr_cli_load_config(&config))
		return PCR_CLI_FAILURE;
	bool safe = pcr_cli_root_safe(&config);
	status = PCR_CLI_OK;
	if (path)
		status = map(&config, path);
	else
		puts(config.root);
	return status == PCR_CLI_OK && !safe ? PCR_CLI_FAILURE : status;
}
