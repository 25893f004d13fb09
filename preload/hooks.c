/* The wrappers, generated from hooks.def: a fast path inlined in the exported
 * function, and a slow path out of line that drives a pcr_call. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <unistd.h>

#include "call.h"
#include "listing.h"
#include "real.h"
#include "state.h"
#include "stats.h"

#define PCR_EXPORT __attribute__((visibility("default")))
#define PCR_UNPAREN(...) __VA_ARGS__
#define PCR_LIKELY(x) __builtin_expect(!!(x), 1)
#define PCR_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The real function, or a failure with ENOSYS when this libc has none. */
#define PCR_REAL_OR_FAIL(NAME, FAIL)             \
	__typeof__(&NAME) real = PCR_REAL(NAME); \
	if (!real) {                             \
		errno = ENOSYS;                  \
		return FAIL;                     \
	}

/* Every wrapper is three functions. The exported one is the fast path
 * (PCR_FAST_PATH): a path that is not ours, and the real function already
 * looked up (loaded after the test, so that the test's call to strrchr has one
 * register less to keep), and it tail-calls the real one. Everything else goes
 * to slow_NAME, out of line: the first call's lookup, the exact test where the
 * fast one passed (tested) but is not exact (pcr_wants_after), and the
 * process's first decisions (pcr_ready). Only then does mapped_NAME, a frame
 * of its own, hold the pcr_call that tries the central and the in-tree paths:
 * the stack holds the first call's root check or the call, never both. */
#define PCR_FAST_PATH(NAME, OURS, ARGS)                         \
	if (PCR_LIKELY(!(OURS))) {                              \
		__typeof__(&NAME) real = PCR_REAL_LOADED(NAME); \
		if (PCR_LIKELY(real != NULL))                   \
			return real ARGS;                       \
		return slow_##NAME(PCR_UNPAREN ARGS, false);    \
	}                                                       \
	return slow_##NAME(PCR_UNPAREN ARGS, true);

#define PCR_NOINLINE static __attribute__((noinline))

/* The call on the path to try now, central then in-tree (preload/call.h):
 * r its result, c the call. */
#define PCR_MAPPED_CALL(NAME, RET, FAIL, DIRFD, PATH, OP, MAPPED)          \
	struct pcr_call c;                                                 \
	const char *P;                                                     \
	RET r = FAIL;                                                      \
	for (bool go = pcr_call_begin(&c, #NAME, DIRFD, PATH, OP, &P); go; \
	     go = pcr_call_next(&c, r == FAIL, &P))                        \
		r = real MAPPED;

#define HOOK_MAPPED(NAME, RET, FAIL, DIRFD, PATH, OP, PARAMS, ARGS, MAPPED)        \
	PCR_NOINLINE RET mapped_##NAME(__typeof__(&NAME) real, PCR_UNPAREN PARAMS) \
	{                                                                          \
		PCR_MAPPED_CALL(NAME, RET, FAIL, DIRFD, PATH, OP, MAPPED)          \
		return r;                                                          \
	}                                                                          \
	PCR_NOINLINE RET slow_##NAME(PCR_UNPAREN PARAMS, bool tested)              \
	{                                                                          \
		PCR_REAL_OR_FAIL(NAME, FAIL)                                       \
		if (!pcr_wants_after(tested, PATH) || !pcr_ready())                \
			return real ARGS;                                          \
		return mapped_##NAME(real, PCR_UNPAREN ARGS);                      \
	}

#define HOOK(NAME, RET, FAIL, DIRFD, PATH, OP, PARAMS, ARGS, MAPPED)        \
	HOOK_MAPPED(NAME, RET, FAIL, DIRFD, PATH, OP, PARAMS, ARGS, MAPPED) \
	PCR_EXPORT RET NAME PARAMS                                          \
	{                                                                   \
		PCR_OPAQUE(PATH);                                           \
		PCR_FAST_PATH(NAME, pcr_may_want(PATH), ARGS)               \
	}

#define HOOK_OPEN_MAPPED(NAME, DIRFD, PATH, PARAMS, ARGS, MAPPED)                                  \
	PCR_NOINLINE int mapped_##NAME(__typeof__(&NAME) real, PCR_UNPAREN PARAMS, mode_t mode)    \
	{                                                                                          \
		struct pcr_call c;                                                                 \
		const char *P;                                                                     \
		int r = -1;                                                                        \
		for (bool go = pcr_call_begin(&c, #NAME, DIRFD, PATH, pcr_open_op(flags), &P); go; \
		     go = pcr_call_next(&c, r == -1, &P))                                          \
			r = real(PCR_UNPAREN MAPPED, mode);                                        \
		return r;                                                                          \
	}                                                                                          \
	PCR_NOINLINE int slow_##NAME(PCR_UNPAREN PARAMS, mode_t mode, bool tested)                 \
	{                                                                                          \
		PCR_REAL_OR_FAIL(NAME, -1)                                                         \
		if (!pcr_wants_after(tested, PATH) || !pcr_ready())                                \
			return real(PCR_UNPAREN ARGS, mode);                                       \
		return mapped_##NAME(real, PCR_UNPAREN ARGS, mode);                                \
	}

/* The mode is there only when O_CREAT or O_TMPFILE ask for it. */
#define PCR_OPEN_MODE(MODE)                     \
	mode_t MODE = 0;                        \
	if (pcr_open_op(flags) & PCR_CREATES) { \
		va_list ap;                     \
		va_start(ap, flags);            \
		MODE = (mode_t)va_arg(ap, int); \
		va_end(ap);                     \
	}

#define HOOK_OPEN(NAME, DIRFD, PATH, PARAMS, ARGS, MAPPED)                        \
	HOOK_OPEN_MAPPED(NAME, DIRFD, PATH, PARAMS, ARGS, MAPPED)                 \
	PCR_EXPORT int NAME(PCR_UNPAREN PARAMS, ...)                              \
	{                                                                         \
		PCR_OPEN_MODE(mode)                                               \
		PCR_OPAQUE(PATH);                                                 \
		PCR_FAST_PATH(NAME, pcr_may_want(PATH), (PCR_UNPAREN ARGS, mode)) \
	}

#define HOOK_FOPEN(NAME)                                                                          \
	PCR_NOINLINE FILE *mapped_##NAME(__typeof__(&NAME) real, const char *path,                \
					 const char *mode)                                        \
	{                                                                                         \
		struct pcr_call c;                                                                \
		const char *P;                                                                    \
		FILE *r = NULL;                                                                   \
		for (bool go = pcr_call_begin(&c, #NAME, AT_FDCWD, path, pcr_fopen_op(mode), &P); \
		     go; go = pcr_call_next(&c, r == NULL, &P))                                   \
			r = c.central && pcr_fopen_writes(mode) ? pcr_fopen_central(P, mode)      \
								: real(P, mode);                  \
		return r;                                                                         \
	}                                                                                         \
	PCR_NOINLINE FILE *slow_##NAME(const char *path, const char *mode, bool tested)           \
	{                                                                                         \
		PCR_REAL_OR_FAIL(NAME, NULL)                                                      \
		if (!pcr_wants_after(tested, path) || !pcr_ready())                               \
			return real(path, mode);                                                  \
		return mapped_##NAME(real, path, mode);                                           \
	}                                                                                         \
	PCR_EXPORT FILE *NAME(const char *path, const char *mode)                                 \
	{                                                                                         \
		PCR_OPAQUE(path);                                                                 \
		PCR_FAST_PATH(NAME, pcr_may_want(path), (path, mode))                             \
	}

#define HOOK2(NAME, RET, FAIL, DIRFD_A, PATH_A, DIRFD_B, PATH_B, MOVE, PARAMS, ARGS, MAPPED)    \
	PCR_NOINLINE RET mapped_##NAME(__typeof__(&NAME) real, PCR_UNPAREN PARAMS)              \
	{                                                                                       \
		struct pcr_call a, b;                                                           \
		const char *PA, *PB;                                                            \
		RET r = FAIL;                                                                   \
		for (bool go = pcr_call2_begin(&a, &b, #NAME, DIRFD_A, PATH_A, DIRFD_B, PATH_B, \
					       &PA, &PB);                                       \
		     go; go = pcr_call2_next(&a, &b, r == FAIL, &PA, &PB))                      \
			r = real MAPPED;                                                        \
		if (r == FAIL && pcr_call2_emulate(&a, &b, MOVE))                               \
			r = 0;                                                                  \
		return r;                                                                       \
	}                                                                                       \
	PCR_NOINLINE RET slow_##NAME(PCR_UNPAREN PARAMS, bool tested)                           \
	{                                                                                       \
		PCR_REAL_OR_FAIL(NAME, FAIL)                                                    \
		if ((!pcr_wants_after(tested, PATH_A) && !pcr_wants_after(tested, PATH_B)) ||   \
		    !pcr_ready())                                                               \
			return real ARGS;                                                       \
		return mapped_##NAME(real, PCR_UNPAREN ARGS);                                   \
	}                                                                                       \
	PCR_EXPORT RET NAME PARAMS                                                              \
	{                                                                                       \
		PCR_OPAQUE(PATH_A);                                                             \
		PCR_OPAQUE(PATH_B);                                                             \
		PCR_FAST_PATH(NAME, pcr_may_want(PATH_A) || pcr_may_want(PATH_B), ARGS)         \
	}

/* A call relative to a directory descriptor open on an entry whose listing
 * showed names of the tree's own __pycache__ (preload/listing.h) reaches
 * them: when it found no name (ENOENT), it is made on the tree's
 * __pycache__, the twin call, with twin a descriptor open on it; a removal
 * (AFTER) is made there too when it removed a name, once this process
 * listed an entry with its twin (pcr_listing_twins), so that the tree's
 * file of that name does not show through. Paths that are not ours pay a
 * compare of the result, and a load. */
#define PCR_TWIN_FAST_PATH(NAME, OURS, ARGS, FAIL, DIRFD, PATH, AFTER)                       \
	if (PCR_LIKELY(!(OURS))) {                                                           \
		__typeof__(&NAME) real = PCR_REAL_LOADED(NAME);                              \
		if (PCR_UNLIKELY(real == NULL))                                              \
			return slow_##NAME(PCR_UNPAREN ARGS, false);                         \
		__typeof__(real ARGS) r = real ARGS;                                         \
		if (PCR_LIKELY(r != FAIL)                                                    \
			? PCR_LIKELY(!(AFTER) ||                                             \
				     !__atomic_load_n(&pcr_listing_twins, __ATOMIC_RELAXED)) \
			: errno != ENOENT || !PATH ||                                        \
			      !__atomic_load_n(&pcr_active, __ATOMIC_RELAXED))               \
			return r;                                                            \
		return DIRFD < 0 ? r : twin_##NAME(r, PCR_UNPAREN ARGS);                     \
	}                                                                                    \
	return slow_##NAME(PCR_UNPAREN ARGS, true);

#define PCR_TWIN_CALL(NAME, RET, FAIL, DIRFD, PATH, PARAMS, TWIN)                           \
	PCR_NOINLINE RET twin_##NAME(RET done, PCR_UNPAREN PARAMS)                          \
	{                                                                                   \
		int e = errno;                                                              \
		int twin = pcr_listing_twin(DIRFD, PATH);                                   \
		if (twin < 0)                                                               \
			return (errno = e), done;                                           \
		RET r = TWIN;                                                               \
		int te = errno;                                                             \
		close(twin);                                                                \
		if (done != FAIL) /* removed: the tree's twin goes too, whatever it says */ \
			return (errno = e), done;                                           \
		return (errno = te), r;                                                     \
	}

#define HOOK_TWIN(NAME, RET, FAIL, DIRFD, PATH, OP, PARAMS, ARGS, MAPPED, TWIN, AFTER)       \
	HOOK_MAPPED(NAME, RET, FAIL, DIRFD, PATH, OP, PARAMS, ARGS, MAPPED)                  \
	PCR_TWIN_CALL(NAME, RET, FAIL, DIRFD, PATH, PARAMS, TWIN)                            \
	PCR_EXPORT RET NAME PARAMS                                                           \
	{                                                                                    \
		PCR_OPAQUE(PATH);                                                            \
		PCR_TWIN_FAST_PATH(NAME, pcr_may_want(PATH), ARGS, FAIL, DIRFD, PATH, AFTER) \
	}

/* A create is never made in the tree through the twin. */
static inline int pcr_twin_openat(int twin, const char *path, int flags, mode_t mode)
{
	if (pcr_open_op(flags) & PCR_CREATES)
		return (errno = ENOENT), -1;
	return pcr_fs_real.openat(twin, path, flags, mode);
}

/* openat as HOOK_OPEN, and the twin (as above) of a name not found. */
#define HOOK_OPEN_TWIN(NAME, DIRFD, PATH, PARAMS, ARGS, MAPPED, TWIN)                             \
	HOOK_OPEN_MAPPED(NAME, DIRFD, PATH, PARAMS, ARGS, MAPPED)                                 \
	PCR_TWIN_CALL(NAME, int, -1, DIRFD, PATH, (PCR_UNPAREN PARAMS, mode_t mode), TWIN)        \
	PCR_EXPORT int NAME(PCR_UNPAREN PARAMS, ...)                                              \
	{                                                                                         \
		PCR_OPEN_MODE(mode)                                                               \
		PCR_OPAQUE(PATH);                                                                 \
		PCR_TWIN_FAST_PATH(NAME, pcr_may_want(PATH), (PCR_UNPAREN ARGS, mode), -1, DIRFD, \
				   PATH, false)                                                   \
	}

/* opendir as HOOK, and in a redirected process the stream it opened is told
 * to the listing (preload/listing.h) with what the call found: a
 * __pycache__ mapped (c), or any other directory. */
#define HOOK_LISTED(NAME, RET, FAIL, DIRFD, PATH, OP, PARAMS, ARGS, MAPPED)        \
	PCR_NOINLINE RET mapped_##NAME(__typeof__(&NAME) real, PCR_UNPAREN PARAMS) \
	{                                                                          \
		PCR_MAPPED_CALL(NAME, RET, FAIL, DIRFD, PATH, OP, MAPPED)          \
		if (r != FAIL)                                                     \
			pcr_listing_opened(r, PATH, c.mapped ? &c : NULL);         \
		return r;                                                          \
	}                                                                          \
	PCR_NOINLINE RET slow_##NAME(PCR_UNPAREN PARAMS, bool tested)              \
	{                                                                          \
		PCR_REAL_OR_FAIL(NAME, FAIL)                                       \
		if (pcr_wants_after(tested, PATH) && pcr_ready())                  \
			return mapped_##NAME(real, PCR_UNPAREN ARGS);              \
		RET r = real ARGS;                                                 \
		if (r != FAIL && __atomic_load_n(&pcr_active, __ATOMIC_RELAXED))   \
			pcr_listing_opened(r, PATH, NULL);                         \
		return r;                                                          \
	}                                                                          \
	PCR_EXPORT RET NAME PARAMS                                                 \
	{                                                                          \
		PCR_OPAQUE(PATH);                                                  \
		if (PCR_LIKELY(!__atomic_load_n(&pcr_active, __ATOMIC_RELAXED))) { \
			__typeof__(&NAME) real = PCR_REAL_LOADED(NAME);            \
			if (PCR_LIKELY(real != NULL))                              \
				return real ARGS;                                  \
		}                                                                  \
		return slow_##NAME(PCR_UNPAREN ARGS, pcr_may_want(PATH));          \
	}

/* fdopendir: a stream on a descriptor, which may be open on a __pycache__
 * or an entry: the listing looks at its end. */
#define HOOK_DIR_OPEN(NAME, PARAMS, ARGS)                                \
	PCR_EXPORT DIR *NAME PARAMS                                      \
	{                                                                \
		__typeof__(&NAME) real = PCR_REAL(NAME);                 \
		if (!real)                                               \
			return (errno = ENOSYS), NULL;                   \
		DIR *d = real ARGS;                                      \
		if (d && __atomic_load_n(&pcr_active, __ATOMIC_RELAXED)) \
			pcr_listing_opened(d, NULL, NULL);               \
		return d;                                                \
	}

/* Directory streams (preload/listing.h): readdir adds the virtual names
 * at the end of a stream, in a redirected process; closedir, rewinddir and
 * seekdir tell the listing that the stream ends or starts again. */
#define HOOK_READDIR(NAME, ENTRY)                                                          \
	PCR_NOINLINE ENTRY *slow_##NAME(DIR *d)                                            \
	{                                                                                  \
		PCR_REAL_OR_FAIL(NAME, NULL)                                               \
		if (!__atomic_load_n(&pcr_active, __ATOMIC_RELAXED))                       \
			return real(d);                                                    \
		return (ENTRY *)pcr_listing_readdir((struct dirent * (*)(DIR *)) real, d); \
	}                                                                                  \
	PCR_EXPORT ENTRY *NAME(DIR *d)                                                     \
	{                                                                                  \
		__typeof__(&NAME) real = PCR_REAL_LOADED(NAME);                            \
		if (PCR_LIKELY(!__atomic_load_n(&pcr_active, __ATOMIC_RELAXED)) &&         \
		    PCR_LIKELY(real != NULL))                                              \
			return real(d);                                                    \
		return slow_##NAME(d);                                                     \
	}

#define HOOK_READDIR_R(NAME, ENTRY)                                              \
	PCR_EXPORT int NAME(DIR *d, ENTRY *entry, ENTRY **result)                \
	{                                                                        \
		PCR_REAL_OR_FAIL(NAME, ENOSYS)                                   \
		if (PCR_LIKELY(!__atomic_load_n(&pcr_active, __ATOMIC_RELAXED))) \
			return real(d, entry, result);                           \
		return pcr_listing_readdir_r(                                    \
		    (int (*)(DIR *, struct dirent *, struct dirent **))real, d,  \
		    (struct dirent *)entry, (struct dirent **)result);           \
	}

#define HOOK_GETDENTS(NAME)                                                      \
	PCR_EXPORT ssize_t NAME(int fd, void *buf, size_t n)                     \
	{                                                                        \
		PCR_REAL_OR_FAIL(NAME, -1)                                       \
		if (PCR_LIKELY(!__atomic_load_n(&pcr_active, __ATOMIC_RELAXED))) \
			return real(fd, buf, n);                                 \
		return pcr_listing_getdents64(real, fd, buf, n);                 \
	}

#define HOOK_DIR_END(NAME, RET, PARAMS, ARGS, REWOUND)              \
	PCR_EXPORT RET NAME PARAMS                                  \
	{                                                           \
		if (__atomic_load_n(&pcr_active, __ATOMIC_RELAXED)) \
			pcr_listing_forget(d, REWOUND);             \
		__typeof__(&NAME) real = PCR_REAL(NAME);            \
		if (!real)                                          \
			errno = ENOSYS;                             \
		PCR_DIR_END_CALL_##RET(real, ARGS)                  \
	}
#define PCR_DIR_END_CALL_int(REAL, ARGS) return REAL ? REAL ARGS : -1;
#define PCR_DIR_END_CALL_void(REAL, ARGS) \
	if (REAL)                         \
		REAL ARGS;

/* The exec family's: what the process counted, written out first; the real
 * function looked up when the library is loaded (resolve_NAME), since a
 * vfork child (which Python's subprocess is) must not run the loader's
 * lookup. */
#define HOOK_EXEC(NAME, PARAMS, ARGS)                                                           \
	__attribute__((constructor)) static void resolve_##NAME(void) { (void)PCR_REAL(NAME); } \
	static int exec_##NAME PARAMS                                                           \
	{                                                                                       \
		PCR_REAL_OR_FAIL(NAME, -1)                                                      \
		pcr_stats_before_exec();                                                        \
		return real ARGS;                                                               \
	}                                                                                       \
	PCR_EXPORT int NAME PARAMS { return exec_##NAME ARGS; }

/* As libc's own: the arguments up to the NULL, counted first (E2BIG past
 * INT_MAX), in an array on the stack. */
#define HOOK_EXECL(NAME, VNAME, ENVP)                                                \
	PCR_EXPORT int NAME(const char *path, const char *arg, ...)                  \
	{                                                                            \
		size_t n = 0;                                                        \
		va_list ap;                                                          \
		const char *first = arg; /* nonnull in libc's header, maybe NULL */  \
		PCR_OPAQUE(first);                                                   \
		if (first) {                                                         \
			va_start(ap, arg);                                           \
			for (n = 1; va_arg(ap, const char *); n++)                   \
				if (n == INT_MAX) {                                  \
					va_end(ap);                                  \
					errno = E2BIG;                               \
					return -1;                                   \
				}                                                    \
			va_end(ap);                                                  \
		}                                                                    \
		const char *argv[n + 1];                                             \
		argv[0] = first;                                                     \
		va_start(ap, arg);                                                   \
		for (size_t i = 1; i <= n; i++)                                      \
			argv[i] = va_arg(ap, const char *);                          \
		char *const *envp = PCR_EXECL_ENVP_##ENVP(ap);                       \
		va_end(ap);                                                          \
		return PCR_EXECL_CALL(VNAME, ENVP, path, (char *const *)argv, envp); \
	}
#define PCR_EXECL_ENVP_ENV(AP) va_arg(AP, char *const *)
#define PCR_EXECL_ENVP_NO_ENV(AP) NULL
#define PCR_EXECL_CALL(VNAME, ENVP, PATH, ARGV, ENVPV) \
	PCR_EXECL_CALL_##ENVP(VNAME, PATH, ARGV, ENVPV)
#define PCR_EXECL_CALL_NO_ENV(VNAME, PATH, ARGV, ENVPV) ((void)(ENVPV), exec_##VNAME(PATH, ARGV))
#define PCR_EXECL_CALL_ENV(VNAME, PATH, ARGV, ENVPV) exec_##VNAME(PATH, ARGV, ENVPV)

/* readdir_r is deprecated, not gone: programs built long ago still call it,
 * and its hook must be defined. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include "hooks.def"
