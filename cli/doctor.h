/* The pieces of doctor (cli/cmd_doctor.c, the checks and their output):
 * finding the Pythons to try (interpreters.c) and trying one, a real import
 * through the library in a temporary tree (doctor_probe.c). */
#ifndef PCR_CLI_DOCTOR_H
#define PCR_CLI_DOCTOR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* How long doctor waits for any child of its own (cli/child.h): the
 * library's dlopen, a script's sys.executable, a test import. */
#define PCR_CLI_DOCTOR_TIMEOUT_MS 60000

/* A check's words: what it found, and what to do ("" when nothing). */
#define PCR_CLI_DOCTOR_DETAIL (2 * PATH_MAX)
#define PCR_CLI_DOCTOR_FIX (PATH_MAX + 256)

struct pcr_cli_interpreter {
	char shown[PATH_MAX]; /* as found */
	char real[PATH_MAX];  /* the binary it runs */
};

/* /usr/bin/python3, python3 on PATH, the pyenv builds (2.7 too: the library
 * redirects its pycs beside the sources), pypy3 on PATH, in that order, at most max: each binary once, a script (a pyenv
 * shim) taken for the binary it runs. Returns how many. The pyenv builds
 * are $PYENV_ROOT/versions/3.* (default ~/.pyenv). */
size_t pcr_cli_find_interpreters(struct pcr_cli_interpreter *list, size_t max);

/* What trying an interpreter found, as a check says it. */
struct pcr_cli_probe {
	bool ok;
	char detail[PCR_CLI_DOCTOR_DETAIL];
	char fix[PCR_CLI_DOCTOR_FIX];
};

/* py imports a package from a temporary tree with library preloaded and a
 * temporary cache root, and nothing else of this environment that steers
 * bytecode: ok when the bytecode landed in that root and not in the tree.
 * The temporary directory is removed again. */
void pcr_cli_probe_interpreter(const struct pcr_cli_interpreter *py, const char *library,
			       struct pcr_cli_probe *result);

#endif
