#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "fs.h"

static int libc_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }
static int libc_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return openat(dirfd, path, flags, mode);
}

const struct pcr_fs pcr_fs_libc = {
	.lstat = lstat,
	.stat = stat,
	.mkdir = mkdir,
	.open = libc_open,
	.rename = rename,
	.unlink = unlink,
	.access = access,
	.readlink = readlink,
	.name_to_handle_at = name_to_handle_at,
	.statfs = statfs,
	.statx = statx,
	.fstatat = fstatat,
	.openat = libc_openat,
	.unlinkat = unlinkat,
	.renameat = renameat,
	.linkat = linkat,
	.utimensat = utimensat,
	.getcwd = getcwd,
};
