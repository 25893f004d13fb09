/* What one C library has and another has not, in one place: glibc (the
 * project's own build) and musl (Alpine; Debian's musl-tools). Each test is
 * on what libc's own headers declare, so that a newer musl that gains a call
 * gets it without a change here:
 *
 *   PCR_LIBC_HAS_STATX     statx(2)'s wrapper: glibc 2.28, musl 1.2.5.
 *                          Without it, struct statx and its masks are the
 *                          kernel's (below) and pcr_statx_syscall calls it.
 *   PCR_LIBC_HAS_RENAMEAT2 renameat2 and RENAME_NOREPLACE: glibc 2.28,
 *                          musl after 1.2.5.
 *   PCR_IF_GLIBC(...), PCR_IF_LIBC_STATX(...), PCR_IF_LIBC_RENAMEAT2(...)
 *                          their argument where glibc, statx or renameat2
 *                          is there, nothing elsewhere: the tags of the
 *                          rows of preload/hooks.def that only some libcs
 *                          have.
 *   pcr_errno_name         errno's name ("ENOENT") for the library's
 *                          warnings: glibc's strerrorname_np (2.32), else a
 *                          table of the ones a root or a log file can meet
 *                          (core/libc_compat.c).
 *
 * Included before anything that names struct statx (core/fs.h does). */
#ifndef PCR_LIBC_COMPAT_H
#define PCR_LIBC_COMPAT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef STATX_TYPE
#define PCR_LIBC_HAS_STATX 1
#else
#define PCR_LIBC_HAS_STATX 0
/* The kernel's (linux/stat.h), which musl-gcc does not see. */
#define STATX_TYPE 0x001U
#define STATX_MODE 0x002U
#define STATX_INO 0x100U
#define STATX_BTIME 0x800U
struct statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t pcr_reserved;
};
struct statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t pcr_spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t pcr_spare2[14];
};
#endif

/* statx without libc's wrapper: the system call itself (Linux 4.11). */
static inline int pcr_statx_syscall(int dirfd, const char *path, int flags, unsigned int mask,
				    struct statx *st)
{
	return (int)syscall(SYS_statx, dirfd, path, flags, mask, st);
}

#ifdef RENAME_NOREPLACE
#define PCR_LIBC_HAS_RENAMEAT2 1
#else
#define PCR_LIBC_HAS_RENAMEAT2 0
#define RENAME_NOREPLACE (1U << 0) /* the kernel's */
#endif

#ifdef __GLIBC__
#define PCR_IF_GLIBC(...) __VA_ARGS__
#else
#define PCR_IF_GLIBC(...)
#endif
#if PCR_LIBC_HAS_STATX
#define PCR_IF_LIBC_STATX(...) __VA_ARGS__
#else
#define PCR_IF_LIBC_STATX(...)
#endif
#if PCR_LIBC_HAS_RENAMEAT2
#define PCR_IF_LIBC_RENAMEAT2(...) __VA_ARGS__
#else
#define PCR_IF_LIBC_RENAMEAT2(...)
#endif

#ifdef __GLIBC__
static inline const char *pcr_errno_name(int err) { return strerrorname_np(err); }
#else
const char *pcr_errno_name(int err);
#endif

#endif
