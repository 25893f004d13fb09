/* The pieces of pcr_cli_warn_if_off (cli/off_reasons.c) that doctor uses
 * too: what to do about a refused root, and whether LD_PRELOAD can reach a
 * program at all. */
#ifndef PCR_CLI_OFF_REASONS_H
#define PCR_CLI_OFF_REASONS_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/root.h"

/* What to do about the root (status s from pcr_root_check; where the
 * directory that failed, or ""), as a command the user can type where there
 * is one: "chmod 700 /x", "set PYCACHE_REDIRECT_DIR to ...". */
void pcr_cli_root_fix(const char *root, enum pcr_root_status s, const char *where, char *fix,
		      size_t size);

/* name as execvp finds it: name itself when it holds a '/', else the first
 * executable regular file of that name in a directory of PATH. false when
 * there is none, or it does not fit in size. */
bool pcr_cli_on_path(const char *name, char *out, size_t size);

/* Whether LD_PRELOAD cannot reach the Python that program (a path, or a
 * name looked up on PATH; a script is followed to the interpreter of its #!
 * line, through /usr/bin/env) runs: a statically linked program that holds
 * Python's runtime, or one that runs set-user-ID or set-group-ID (the
 * loader drops LD_PRELOAD for it and everything it starts). why gets the
 * reason and the fix. A static program without Python in it (a launcher)
 * passes LD_PRELOAD on to what it starts: reachable. */
bool pcr_cli_unreachable(const char *program, char *why, size_t whysz);

#endif
