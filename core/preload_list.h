/* LD_PRELOAD's list, as the dynamic loader reads it. */
#ifndef PCR_PRELOAD_LIST_H
#define PCR_PRELOAD_LIST_H

#include <stdbool.h>

/* Whether list (LD_PRELOAD's value; NULL: unset) names a file called name,
 * in any directory: entries are separated by spaces and colons, as the
 * loader separates them. */
bool pcr_preload_list_names(const char *list, const char *name);

#endif
