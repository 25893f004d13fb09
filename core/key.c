/* XXH3-128 is inlined so that the preload depends on nothing but libc and
 * exports none of xxHash's symbols. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <string.h>

#include "ident.h"
#include "map.h"

/* Every byte's two hex digits, "00" to "ff": one copy of two bytes a byte of
 * the digest, where digit by digit took twice the instructions (the key is
 * made on every mapped call). */
#define PCR_HEX_ROW(h)                                                                        \
	h "0" h "1" h "2" h "3" h "4" h "5" h "6" h "7" h "8" h "9" h "a" h "b" h "c" h "d" h \
	  "e" h "f"
static const char hex_pairs[] = PCR_HEX_ROW("0") PCR_HEX_ROW("1") PCR_HEX_ROW("2") PCR_HEX_ROW("3")
    PCR_HEX_ROW("4") PCR_HEX_ROW("5") PCR_HEX_ROW("6") PCR_HEX_ROW("7") PCR_HEX_ROW("8")
	PCR_HEX_ROW("9") PCR_HEX_ROW("a") PCR_HEX_ROW("b") PCR_HEX_ROW("c") PCR_HEX_ROW("d")
	    PCR_HEX_ROW("e") PCR_HEX_ROW("f");

static void put_hex(XXH128_hash_t h, char *hex)
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, h);
	for (size_t i = 0; i < sizeof c.digest; i++)
		memcpy(hex + 2 * i, hex_pairs + 2 * c.digest[i], 2);
	hex[PCR_KEY_HEX] = '\0';
}

void pcr_hash128(const void *bytes, size_t len, uint64_t out[2])
{
	XXH128_hash_t h = XXH3_128bits(bytes, len);
	out[0] = h.low64;
	out[1] = h.high64;
}

void pcr_key(const char *source, size_t len, char hex[PCR_KEY_HEX + 1])
{
	put_hex(XXH3_128bits(source, len), hex);
}

void pcr_ident_key(const struct pcr_ident *id, const char *dir, size_t len, char *hex)
{
	if (!id->spelled) {
		put_hex(XXH3_128bits(id->bytes, id->len), hex);
		return;
	}
	/* The bytes, "P", the spelling, hashed as one run without a copy. */
	XXH3_state_t st;
	XXH3_128bits_reset(&st);
	XXH3_128bits_update(&st, id->bytes, id->len);
	XXH3_128bits_update(&st, "P", 1);
	XXH3_128bits_update(&st, dir, len);
	put_hex(XXH3_128bits_digest(&st), hex);
}

static bool key_of_spelling(const struct pcr_keyer *self, char *dir, size_t len, char *hex)
{
	(void)self;
	pcr_key(dir, len, hex);
	return true;
}

const struct pcr_keyer pcr_keyer_spelling = { key_of_spelling };
