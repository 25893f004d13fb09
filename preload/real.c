#include "real.h"

#include <dlfcn.h>
#include <string.h>

void *pcr_real_slots[PCR_SLOT_COUNT];

#ifdef __GLIBC__
/* The version of libc's oldest symbols: dlsym() skips a symbol that only has
 * a non-default version, as glibc 2.33+ keeps __xstat and its kin. */
#if defined(__x86_64__)
#define PCR_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define PCR_GLIBC_BASE "GLIBC_2.17"
#elif defined(__i386__)
#define PCR_GLIBC_BASE "GLIBC_2.0"
#endif
#endif

/* Where the next object has no such name: glibc's base version of it, or,
 * on musl 1.2.4 and later, which has no LFS64 names, the plain function its
 * own loader would bind a stat64 to (preload/decls.h). */
static void *resolve_elsewhere(const char *name)
{
#ifdef PCR_GLIBC_BASE
	return dlvsym(RTLD_NEXT, name, PCR_GLIBC_BASE);
#elif !defined(__GLIBC__)
	char plain[32];
	size_t n = strlen(name);
	if (n < 3 || n >= sizeof plain || strcmp(name + n - 2, "64") != 0)
		return NULL;
	memcpy(plain, name, n - 2);
	plain[n - 2] = '\0';
	return dlsym(RTLD_NEXT, plain);
#else
	(void)name;
	return NULL;
#endif
}

void *pcr_real_resolve(enum pcr_slot slot, const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (!p)
		p = resolve_elsewhere(name);
	if (p)
		__atomic_store_n(&pcr_real_slots[slot], p, __ATOMIC_RELEASE);
	return p;
}
