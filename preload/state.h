/* The library's process-wide state: the configuration read once by the
 * constructor, and the two answers decided once on first need (does this
 * process host Python; is the cache root safe). */
#ifndef PCR_STATE_H
#define PCR_STATE_H

#include <stdbool.h>

#include "../core/config.h"
#include "../core/fs.h"
#include "../core/path.h"

extern struct pcr_config pcr_cfg;
/* Set by the constructor: PCR_ACTIVE_ON when the redirect is on, and
 * PCR_ACTIVE_SIDECARS too in a Python 2 process (its pycs sit beside the
 * sources). */
#define PCR_ACTIVE_ON 1
#define PCR_ACTIVE_SIDECARS 2
extern int pcr_active;
extern const struct pcr_fs pcr_fs_real;

/* Hides the pointer variable P from the optimiser. glibc declares the path
 * parameters of stat, open, mkdir and the rest nonnull, so a compiler may
 * delete the hooks' NULL tests; libc itself gives EFAULT (or crashes where
 * it would anyway), and the library must do the same. The empty asm costs
 * no instruction when P is the hook's own parameter. */
#define PCR_OPAQUE(P) __asm__("" : "+r"(P))

/* The fast path of every hook (its path made opaque, PCR_OPAQUE): one load and, when on, one strrchr and a few
 * compares, inlined into the hook (a call to a function of ours would add its
 * register saves to every hooked call). False for every path the library
 * leaves alone; true for every path in a Python 2 process, whose sidecar test
 * is left to pcr_wants. */
static inline __attribute__((always_inline)) bool pcr_may_want(const char *path)
{
	int active = __atomic_load_n(&pcr_active, __ATOMIC_RELAXED);
	return active && path && ((active & PCR_ACTIVE_SIDECARS) || pcr_might_be_pycache(path));
}

/* The exact test, out of line: a __pycache__ path, or in a Python 2 process
 * a sidecar pyc. */
bool pcr_wants(const char *path);

/* pcr_wants, where tested says pcr_may_want(path) was found true: that is the
 * exact answer already, but in a Python 2 process. */
static inline bool pcr_wants_after(bool tested, const char *path)
{
	if (tested && !(__atomic_load_n(&pcr_active, __ATOMIC_RELAXED) & PCR_ACTIVE_SIDECARS))
		return true;
	return pcr_wants(path);
}

/* Whether this process is one to redirect (scope), decided on first use. */
bool pcr_in_scope(void);

/* Whether a cache root is safe to use (core/root.h: the configured one, or
 * the fallback): created if missing, checked once a process. */
bool pcr_root_usable(void);

/* Whether this process redirects at all: in scope, with a usable root.
 * Two loads once decided; the first call decides, in a frame of its own. */
static inline bool pcr_ready(void) { return pcr_in_scope() && pcr_root_usable(); }

/* Whether the root in use is on a read-only mount (core/root.h,
 * PCR_ROOT_READ_ONLY), once pcr_root_usable said yes. Then nothing is
 * written there: creates fail with EROFS (preload/call.c), and the
 * library's own writes (an entry's record, the last-use touch, the counts
 * at exit) are skipped; the counter and the cleanup follow from creates. */
bool pcr_root_read_only(void);

/* The root in use, once pcr_root_usable said yes, and its length. */
const char *pcr_root(size_t *len);

/* The effective uid the root was checked for, once pcr_root_usable ran. */
extern unsigned long pcr_euid;

/* A line on the log (stderr, or the configured file) when the level is at
 * least level: the parts, written with one writev and no allocation. */
void pcr_log(enum pcr_log_level level, const char *const *parts, int n);

#endif
