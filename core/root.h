/* The cache root's safety: a directory the user alone controls. It is used
 * only when it is a real directory owned by the user, writable by no one
 * else, and when every directory on the way to it (symbolic links followed)
 * is owned by root or the user and writable by no one else, but for a sticky
 * one (/tmp) whose next component is the user's: no one else can then rename
 * or replace anything on the way, before or after the check (OpenSSH's
 * StrictModes rule). Missing directories are created 0700, and only under
 * parents that pass. */
#ifndef PCR_ROOT_H
#define PCR_ROOT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "fs.h"

enum pcr_root_status {
	PCR_ROOT_OK,
	PCR_ROOT_MISSING,     /* absent, and not asked to create it */
	PCR_ROOT_CANT_CREATE, /* absent, and mkdir failed (errno kept in *err) */
	PCR_ROOT_SYMLINK,     /* a symbolic link: could point anywhere */
	PCR_ROOT_NOT_DIR,
	PCR_ROOT_FOREIGN,       /* owned by another user */
	PCR_ROOT_UNSAFE_MODE,   /* group or others may write to it */
	PCR_ROOT_UNWRITABLE,    /* the user may not write to it by its mode (0500): a chmod
				 * away from writable, so refused rather than taken for a
				 * read-only cache */
	PCR_ROOT_IS_TOP,        /* "/" under another spelling ("/tmp/.."): never a cache */
	PCR_ROOT_UNSAFE_PARENT, /* a directory on the way is another user's, or others may
				 * write to it */
	PCR_ROOT_READ_ONLY,     /* passes every check but is on a read-only mount (a
				 * pre-warmed cache mounted :ro): used for reads only */
};

/* Whether a root in status s is used: for reads and writes (PCR_ROOT_OK) or
 * for reads alone (PCR_ROOT_READ_ONLY). */
static inline bool pcr_root_status_usable(enum pcr_root_status s)
{
	return s == PCR_ROOT_OK || s == PCR_ROOT_READ_ONLY;
}

/* Checks root (creating it and its missing parents 0700 when create is set)
 * for the user euid, as above. *err gets the errno of a failed call, else 0.
 * When it is not NULL, where (where_size bytes) gets the directory that
 * failed the check, cut short to fit. */
enum pcr_root_status pcr_root_check(const struct pcr_fs *fs, const char *root, unsigned long euid,
				    bool create, int *err, char *where, size_t where_size);

/* pcr_root_check without where. */
enum pcr_root_status pcr_root_prepare(const struct pcr_fs *fs, const char *root, unsigned long euid,
				      bool create, int *err);

/* Which root is used: one of the first three, with PCR_ROOT_USE_READ_ONLY
 * added when that root is on a read-only mount. */
enum pcr_root_use {
	PCR_ROOT_USE_NONE = 0,       /* the redirect is off */
	PCR_ROOT_USE_CONFIGURED = 1, /* c->root */
	PCR_ROOT_USE_FALLBACK = 2,   /* c->fallback: c->root was refused */
	PCR_ROOT_USE_READ_ONLY = 4,  /* a flag: the root is used for reads alone */
};

/* Which root the library uses with c for euid: c->root when it passes
 * pcr_root_check (PCR_ROOT_OK or PCR_ROOT_READ_ONLY), else c->fallback when
 * c has one and it passes. A read-only c->root is used read-only rather
 * than a writable fallback: its pycs are what it is mounted for. *status,
 * *err and where (as pcr_root_check's) say what was found of c->root. Without
 * create a root that is missing passes when it could be made. The library
 * and the command decide with this, so that they never disagree. */
enum pcr_root_use pcr_root_choose(const struct pcr_fs *fs, const struct pcr_config *c,
				  unsigned long euid, bool create, enum pcr_root_status *status,
				  int *err, char *where, size_t where_size);

const char *pcr_root_status_str(enum pcr_root_status s);

#endif
