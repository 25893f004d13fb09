/* The Pythons doctor tries (doctor.h): the usual places, each binary once. */
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "doctor.h"
#include "off_reasons.h"

extern char **environ;

static bool is_elf(const char *path)
{
	char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool elf = read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
	close(fd);
	return elf;
}

/* The binary a script (a pyenv shim) ends up running: sys.executable. */
static bool executable_of(const char *path, char *out, size_t size)
{
	struct pcr_cli_child *r = malloc(sizeof *r);
	if (!r)
		return false;
	char *argv[] = { (char *)path, "-c", "import sys; print(sys.executable)", NULL };
	pcr_cli_child_exec(r, NULL, argv, environ, PCR_CLI_DOCTOR_TIMEOUT_MS);
	bool ok = r->status == 0 && r->out[0] == '/';
	if (ok) {
		r->out[strcspn(r->out, "\n")] = '\0';
		ok = realpath(r->out, out) != NULL && strlen(out) < size;
	}
	free(r);
	return ok;
}

/* path into list[*n] unless the list is full, path does not run, or the
 * binary it runs is in the list already. */
static void consider(struct pcr_cli_interpreter *list, size_t *n, size_t max, const char *path)
{
	char real[PATH_MAX];
	if (*n == max || access(path, X_OK) < 0 || !realpath(path, real))
		return;
	if (!is_elf(real) && !executable_of(path, real, sizeof real))
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i].real, real) == 0)
			return;
	snprintf(list[*n].shown, sizeof list[*n].shown, "%s", path);
	memcpy(list[*n].real, real, sizeof real);
	(*n)++;
}

size_t pcr_cli_find_interpreters(struct pcr_cli_interpreter *list, size_t max)
{
	size_t n = 0;
	char path[PATH_MAX], pattern[PATH_MAX];
	consider(list, &n, max, "/usr/bin/python3");
	if (pcr_cli_on_path("python3", path, sizeof path))
		consider(list, &n, max, path);
	const char *pyenv = getenv("PYENV_ROOT"), *home = getenv("HOME");
	if (pyenv && *pyenv)
		snprintf(pattern, sizeof pattern, "%s/versions/*/bin/python", pyenv);
	else
		snprintf(pattern, sizeof pattern, "%s/.pyenv/versions/*/bin/python",
			 home && *home ? home : "/nonexistent");
	glob_t g;
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			consider(list, &n, max, g.gl_pathv[i]);
		globfree(&g);
	}
	if (pcr_cli_on_path("pypy3", path, sizeof path))
		consider(list, &n, max, path);
	return n;
}
