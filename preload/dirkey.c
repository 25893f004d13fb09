#include "dirkey.h"

#include <errno.h>
#include <string.h>

#include "../core/ident.h"
#include "clock.h"
#include "state.h"

#define SLOTS 1024

/* A slot: a sequence number (odd while written; 0 when empty), the
 * spelling's hash, the key's hex digits, when it was looked up. A reader
 * that sees the number change, or odd, treats the slot as a miss; a writer
 * that cannot take the slot at once leaves it: no one waits. */
struct slot {
	uint64_t seq;
	uint64_t spelling[2];
	uint64_t hex[PCR_KEY_HEX / 8];
	uint64_t at_ms;
};

static struct slot slots[SLOTS];
static struct pcr_fs_kinds kinds;

static bool slot_get(struct slot *s, const uint64_t h[2], uint64_t now, char *hex)
{
	uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	if (seq == 0 || (seq & 1))
		return false;
	uint64_t h0 = __atomic_load_n(&s->spelling[0], __ATOMIC_RELAXED);
	uint64_t h1 = __atomic_load_n(&s->spelling[1], __ATOMIC_RELAXED);
	uint64_t at = __atomic_load_n(&s->at_ms, __ATOMIC_RELAXED);
	uint64_t words[PCR_KEY_HEX / 8];
	for (size_t i = 0; i < PCR_KEY_HEX / 8; i++)
		words[i] = __atomic_load_n(&s->hex[i], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != seq || h0 != h[0] || h1 != h[1] ||
	    now - at > PCR_DIRKEY_TTL_MS)
		return false;
	memcpy(hex, words, PCR_KEY_HEX);
	hex[PCR_KEY_HEX] = '\0';
	return true;
}

static void slot_put(struct slot *s, const uint64_t h[2], uint64_t now, const char *hex)
{
	uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	if ((seq & 1) || !__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, false,
						      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	uint64_t words[PCR_KEY_HEX / 8];
	memcpy(words, hex, PCR_KEY_HEX);
	__atomic_store_n(&s->spelling[0], h[0], __ATOMIC_RELAXED);
	__atomic_store_n(&s->spelling[1], h[1], __ATOMIC_RELAXED);
	__atomic_store_n(&s->at_ms, now, __ATOMIC_RELAXED);
	for (size_t i = 0; i < PCR_KEY_HEX / 8; i++)
		__atomic_store_n(&s->hex[i], words[i], __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

static bool dir_key(const struct pcr_keyer *self, char *dir, size_t len, char *hex)
{
	(void)self;
	uint64_t h[2];
	pcr_hash128(dir, len, h);
	struct slot *s = &slots[h[0] % SLOTS];
	uint64_t now = pcr_coarse_ms();
	if (slot_get(s, h, now, hex))
		return true;
	struct pcr_ident_keyer k = PCR_IDENT_KEYER(&pcr_fs_real, &kinds);
	int saved = errno;
	if (!pcr_ident_keyer_key(&k.keyer, dir, len, hex))
		return false; /* with errno, as the keyer says (core/map.h) */
	slot_put(s, h, now, hex);
	errno = saved;
	return true;
}

const struct pcr_keyer pcr_dir_keyer = { dir_key };
