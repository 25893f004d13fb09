/* The cache root's safety: it is created 0700 when missing, and used only
 * when it is a real directory owned by the user, writable by no one else. */
#ifndef PCR_ROOT_H
#define PCR_ROOT_H

#include <stdbool.h>
#include <stddef.h>

#include "fs.h"

enum pcr_root_status {
	PCR_ROOT_OK,
	PCR_ROOT_MISSING,      /* absent, and not asked to create it */
	PCR_ROOT_CANT_CREATE,  /* absent, and mkdir failed (errno kept in *err) */
	PCR_ROOT_SYMLINK,      /* a symbolic link: could point anywhere */
	PCR_ROOT_NOT_DIR,
	PCR_ROOT_FOREIGN,      /* owned by another user */
	PCR_ROOT_UNSAFE_MODE,  /* group or others may write to it */
	PCR_ROOT_UNWRITABLE,   /* the user may not write to it (mode, read-only mount) */
	PCR_ROOT_IS_TOP,       /* "/" under another spelling ("/tmp/.."): never a cache */
};

/* Checks root (creating it and its missing parents 0700 when create is set)
 * for the user euid: a real directory, the user's, closed to writes by
 * others, open to the user's. *err gets the errno of a failed call, else 0. */
enum pcr_root_status pcr_root_prepare(const struct pcr_fs *fs, const char *root,
				      unsigned long euid, bool create, int *err);

const char *pcr_root_status_str(enum pcr_root_status s);

#endif
