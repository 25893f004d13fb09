/* LD_PRELOAD's list, as the dynamic loader reads it, and what root's own
 * processes do when the library comes from /etc/ld.so.preload alone. */
#ifndef PCR_PRELOAD_LIST_H
#define PCR_PRELOAD_LIST_H

#include <stdbool.h>

/* Whether list (LD_PRELOAD's value; NULL: unset) names a file called name,
 * in any directory: entries are separated by spaces and colons, as the
 * loader separates them. */
bool pcr_preload_list_names(const char *list, const char *name);

/* Whether a process of effective uid euid, whose LD_PRELOAD is list, passes
 * everything through: root, with the library (loaded as a file called name)
 * from /etc/ld.so.preload and not asked for by LD_PRELOAD (pycache-redirect
 * run, env). Debian's
 * py3compile run by dpkg, `sudo pip install` into /usr and root's services
 * then write their pycs in the tree, where every user reads them (the
 * library falls back to in-tree pycs on a central miss). */
bool pcr_preload_root_passes(unsigned long euid, const char *list, const char *name);

#endif
