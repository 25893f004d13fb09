/* XXH3-128 is inlined so that the preload depends on nothing but libc and
 * exports none of xxHash's symbols. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "map.h"

void pcr_key(const char *source, size_t len, char hex[PCR_KEY_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(source, len));
	for (size_t i = 0; i < sizeof c.digest; i++) {
		hex[2 * i] = digits[c.digest[i] >> 4];
		hex[2 * i + 1] = digits[c.digest[i] & 15];
	}
	hex[PCR_KEY_HEX] = '\0';
}
