/* The real (next) definition of every hooked function, found with
 * dlsym(RTLD_NEXT) on first use and kept: nothing is resolved at load time,
 * so a process that never calls a hook pays nothing for it. */
#ifndef PCR_REAL_H
#define PCR_REAL_H

#include "decls.h"

enum pcr_slot {
#define HOOK_NAME(NAME) PCR_SLOT_##NAME,
#define HOOK_EXECL(NAME, ...) /* it calls its vname's wrapper */
#include "hooks.def"
#undef HOOK_NAME
#undef HOOK_EXECL
	PCR_SLOT_COUNT
};

extern void *pcr_real_slots[PCR_SLOT_COUNT];

void *pcr_real_resolve(enum pcr_slot slot, const char *name);

static inline void *pcr_real(enum pcr_slot slot, const char *name)
{
	void *p = __atomic_load_n(&pcr_real_slots[slot], __ATOMIC_ACQUIRE);
	return p ? p : pcr_real_resolve(slot, name);
}

/* The real function NAME, typed, when it has been looked up; NULL before. */
#define PCR_REAL_LOADED(NAME) \
	((__typeof__(&NAME))__atomic_load_n(&pcr_real_slots[PCR_SLOT_##NAME], __ATOMIC_ACQUIRE))

/* The real function NAME, typed; NULL when this libc lacks it. */
#define PCR_REAL(NAME) ((__typeof__(&NAME))pcr_real(PCR_SLOT_##NAME, #NAME))

#endif
