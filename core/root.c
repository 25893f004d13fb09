#include "root.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* mkdir -p with mode 0700 for every directory it has to make. */
static int make_dirs(const struct pcr_fs *fs, const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof buf)
		return (errno = ENAMETOOLONG), -1;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		int r = fs->mkdir(buf, 0700);
		buf[i] = c;
		if (r < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

enum pcr_root_status pcr_root_prepare(const struct pcr_fs *fs, const char *root,
				      unsigned long euid, bool create, int *err)
{
	struct stat st;
	*err = 0;
	if (fs->lstat(root, &st) < 0) {
		*err = errno;
		if (errno != ENOENT)
			return PCR_ROOT_CANT_CREATE;
		if (!create)
			return PCR_ROOT_MISSING;
		if (make_dirs(fs, root) < 0 || fs->lstat(root, &st) < 0) {
			*err = errno;
			return PCR_ROOT_CANT_CREATE;
		}
		*err = 0;
	}
	if (S_ISLNK(st.st_mode))
		return PCR_ROOT_SYMLINK;
	if (!S_ISDIR(st.st_mode))
		return PCR_ROOT_NOT_DIR;
	/* The configuration refuses "/" by its spelling; ".." can still reach it. */
	struct stat top;
	if (fs->lstat("/", &top) == 0 && top.st_dev == st.st_dev && top.st_ino == st.st_ino)
		return PCR_ROOT_IS_TOP;
	if (st.st_uid != euid)
		return PCR_ROOT_FOREIGN;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return PCR_ROOT_UNSAFE_MODE;
	if (fs->access(root, W_OK | X_OK) < 0) {
		*err = errno;
		return PCR_ROOT_UNWRITABLE;
	}
	return PCR_ROOT_OK;
}

const char *pcr_root_status_str(enum pcr_root_status s)
{
	switch (s) {
	case PCR_ROOT_OK: return "ok";
	case PCR_ROOT_MISSING: return "does not exist yet";
	case PCR_ROOT_CANT_CREATE: return "cannot be created or read";
	case PCR_ROOT_SYMLINK: return "is a symbolic link";
	case PCR_ROOT_NOT_DIR: return "is not a directory";
	case PCR_ROOT_FOREIGN: return "is owned by another user";
	case PCR_ROOT_UNSAFE_MODE: return "is writable by group or others";
	case PCR_ROOT_UNWRITABLE: return "is not writable by this user";
	case PCR_ROOT_IS_TOP: return "is the top of the file system, /";
	}
	return "unknown";
}
