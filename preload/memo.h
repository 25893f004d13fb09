/* What this process already did for an entry, by the first 64 bits of its
 * key (pcr_entry_bits): one slot per low bits, no lock. A collision or a race
 * only makes the caller do its work again, which it must bear. */
#ifndef PCR_PRELOAD_MEMO_H
#define PCR_PRELOAD_MEMO_H

#include <stdbool.h>
#include <stdint.h>

#define PCR_MEMO_SLOTS 1024

struct pcr_memo {
	uint64_t slot[PCR_MEMO_SLOTS];
};

static inline bool pcr_memo_has(const struct pcr_memo *memo, uint64_t key)
{
	return __atomic_load_n(&memo->slot[key % PCR_MEMO_SLOTS], __ATOMIC_RELAXED) == key;
}

static inline void pcr_memo_put(struct pcr_memo *memo, uint64_t key)
{
	__atomic_store_n(&memo->slot[key % PCR_MEMO_SLOTS], key, __ATOMIC_RELAXED);
}

#endif
