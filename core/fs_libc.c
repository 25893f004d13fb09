#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fs.h"

static int libc_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }

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
};
