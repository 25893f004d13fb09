#include "real.h"

#include <dlfcn.h>

void *pcr_real_slots[PCR_SLOT_COUNT];

/* The version of libc's oldest symbols: dlsym() skips a symbol that only has
 * a non-default version, as glibc 2.33+ keeps __xstat and its kin. */
#if defined(__x86_64__)
#define PCR_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define PCR_GLIBC_BASE "GLIBC_2.17"
#elif defined(__i386__)
#define PCR_GLIBC_BASE "GLIBC_2.0"
#endif

void *pcr_real_resolve(enum pcr_slot slot, const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
#ifdef PCR_GLIBC_BASE
	if (!p)
		p = dlvsym(RTLD_NEXT, name, PCR_GLIBC_BASE);
#endif
	if (p)
		__atomic_store_n(&pcr_real_slots[slot], p, __ATOMIC_RELEASE);
	return p;
}
