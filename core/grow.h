/* A growable array's one step: room for one more element. For the store
 * and the command only (it allocates; the preload never does). */
#ifndef PCR_GROW_H
#define PCR_GROW_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The array items (of *cap elements of size bytes, count of them used) with
 * room for one more: items itself while there is room, else a larger copy
 * (twice as large, first elements the first time) with *cap updated. NULL
 * with errno ENOMEM when out of memory: items is still valid then, and must
 * still be freed. */
static inline void *pcr_grow(void *items, size_t count, size_t *cap, size_t size, size_t first)
{
	if (count < *cap)
		return items;
	size_t n = *cap ? 2 * *cap : first;
	if (n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	void *grown = realloc(items, n * size);
	if (grown)
		*cap = n;
	return grown;
}

#endif
