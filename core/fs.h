/* The one seam to the file system, for core/ and the preload's logic alike:
 * every call on a path they make goes through a struct pcr_fs. The preload
 * hands over the real libc functions (pcr_fs_real, preload/fs_real.c: so
 * that nothing re-enters a hook), the command-line tool libc's own, and
 * tests whatever they need to fake. Calls on descriptors (read, write,
 * fstat, close) are libc's own: no hook takes them. */
#ifndef PCR_FS_H
#define PCR_FS_H

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>

#include "libc_compat.h" /* struct statx where libc has none */

struct pcr_fs {
	int (*lstat)(const char *path, struct stat *st);
	int (*stat)(const char *path, struct stat *st);
	int (*mkdir)(const char *path, mode_t mode);
	int (*open)(const char *path, int flags, mode_t mode);
	int (*rename)(const char *from, const char *to);
	int (*unlink)(const char *path);
	int (*access)(const char *path, int mode);
	ssize_t (*readlink)(const char *path, char *buf, size_t size);
	int (*name_to_handle_at)(int dirfd, const char *path, struct file_handle *handle,
				 int *mount_id, int flags);
	int (*statfs)(const char *path, struct statfs *buf);
	int (*statx)(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf);
	/* the preload's logic: the in-tree side of a call, the entry's touch,
	 * the move across file systems */
	int (*fstatat)(int dirfd, const char *path, struct stat *st, int flags);
	int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
	int (*unlinkat)(int dirfd, const char *path, int flags);
	int (*renameat)(int fromfd, const char *from, int tofd, const char *to);
	int (*linkat)(int fromfd, const char *from, int tofd, const char *to, int flags);
	int (*utimensat)(int dirfd, const char *path, const struct timespec times[2], int flags);
	char *(*getcwd)(char *buf, size_t size);
};

/* libc's functions, for the command-line tool and the tests; never linked
 * into the preload, where these names are the hooks. */
extern const struct pcr_fs pcr_fs_libc;

#endif
