#include "counter.h"

#include <string.h>

#include "map.h"

size_t pcr_counter_path(const char *root, size_t root_len, char *out, size_t outsz)
{
	static const char tail[] = "/" PCR_LAYOUT "/" PCR_COUNTER_NAME;
	if (root_len + sizeof tail > outsz)
		return 0;
	memcpy(out, root, root_len);
	memcpy(out + root_len, tail, sizeof tail);
	return root_len + sizeof tail - 1;
}
