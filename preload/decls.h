/* Everything the hook table names, declared: libc's headers, plus the
 * prototypes they no longer (or only under _FORTIFY_SOURCE) declare. The
 * preload is built without _FILE_OFFSET_BITS so that both the plain and the
 * 64-bit names are distinct functions here, as they are in libc. */
#ifndef PCR_DECLS_H
#define PCR_DECLS_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include "../core/libc_compat.h"

#ifdef __GLIBC__
/* The 64-bit names' own types. */
typedef struct stat64 pcr_stat64;
typedef off64_t pcr_off64;

/* glibc's fortified open, called by binaries built with _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* The stat entry points of glibc before 2.33, still exported for old binaries. */
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, pcr_stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, pcr_stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, pcr_stat64 *st, int flags);
#else
/* musl: off_t is 64 bits, and the LFS64 names are the plain functions.
 * Before 1.2.4 its headers make them macros for the plain names (under
 * _GNU_SOURCE) and libc.so exports them as aliases; from 1.2.4 on neither,
 * and its loader binds a binary's unresolved stat64 to libc's own stat,
 * after the preload's symbols were searched (ldso/dynlink.c, get_lfs64).
 * The library defines them on every musl, so that a binary built before
 * 1.2.4 that calls stat64 by name (Rust's libc crate did) is redirected
 * too; preload/real.c finds the plain name when libc has no 64-bit one. */
#undef open64
#undef openat64
#undef fopen64
#undef freopen64
#undef stat64
#undef lstat64
#undef fstatat64
#undef truncate64
#undef readdir64
typedef struct stat pcr_stat64;
typedef off_t pcr_off64;
int open64(const char *path, int flags, ...);
int openat64(int dirfd, const char *path, int flags, ...);
FILE *fopen64(const char *path, const char *mode);
FILE *freopen64(const char *path, const char *mode, FILE *stream);
int stat64(const char *path, pcr_stat64 *st);
int lstat64(const char *path, pcr_stat64 *st);
int fstatat64(int dirfd, const char *path, pcr_stat64 *st, int flags);
int truncate64(const char *path, pcr_off64 length);
struct dirent *readdir64(DIR *d);
#endif

#endif
