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

/* glibc's fortified open, called by binaries built with _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* The stat entry points of glibc before 2.33, still exported for old binaries. */
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

#endif
