#include "preload_list.h"

#include <string.h>

bool pcr_preload_list_names(const char *list, const char *name)
{
	size_t want = strlen(name);
	for (const char *p = list ? list : ""; *p;) {
		p += strspn(p, " :");
		size_t n = strcspn(p, " :");
		const char *base = p + n;
		while (base > p && base[-1] != '/')
			base--;
		if ((size_t)(p + n - base) == want && memcmp(base, name, want) == 0)
			return true;
		p += n;
	}
	return false;
}
