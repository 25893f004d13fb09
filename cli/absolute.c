/* Absolute paths for what a user typed relative to the current directory. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "../core/path.h"
#include "cli.h"

size_t pcr_cli_absolute(const char *path, char *out, size_t outsz)
{
	char cwd[PATH_MAX];
	const char *base = NULL;
	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof cwd))
			return 0;
		base = cwd;
	}
	/* The same lexical rules as core/: "." and "//" go, and ".." goes only
	 * where it cannot cross a symbolic link the user typed. */
	size_t len = pcr_normalize_dir(base, path, strlen(path), out, outsz);
	if (len == 0)
		errno = ENAMETOOLONG;
	return len;
}
