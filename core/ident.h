/* The identity of a source directory: what tells it apart from every other
 * directory, whenever and however it is reached, and stays the same for
 * that directory across spellings, processes, mounts and restarts. The
 * cache key is the XXH3-128 of these bytes (core/map.h).
 *
 *   "H" handle_type(4, little-endian) handle   the kernel's file handle
 *                                               (name_to_handle_at, with
 *                                               AT_HANDLE_FID where the
 *                                               kernel has it): inode and
 *                                               generation on ext4, btrfs,
 *                                               xfs, tmpfs, NFS; the lower
 *                                               layer's object on overlayfs
 *   "F" f_fsid(8, as statfs gives it)           the file system, but on
 *                                               overlayfs, whose fsid changes
 *                                               with every mount while its
 *                                               handles name the layer's
 *                                               object
 *   "P" spelling                                the normalised path, only
 *                                               where the file system has
 *                                               no fsid (FUSE) or no handle
 *
 * Without a file handle (EOPNOTSUPP), "I" inode(8) and, where statx reports
 * it, "B" birth time(8 + 4) stand in for it. A deleted directory's inode
 * number is reused at once on ext4, and its birth time is the same to the
 * jiffy when the new one comes fast (a tar extraction after rm -rf): the
 * handle's generation number is what tells them apart. */
#ifndef PCR_IDENT_H
#define PCR_IDENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs.h"
#include "map.h"

#define PCR_IDENT_HANDLE_MAX 128
#define PCR_IDENT_MAX (1 + 4 + PCR_IDENT_HANDLE_MAX + 1 + 8 + 1 + 8 + 1 + 12 + 1)

/* The bytes above; when spelled, "P" and the spelling follow them (the
 * spelling is not copied: the key is hashed from both, pcr_ident_key). */
struct pcr_ident {
	size_t len;
	bool spelled;
	unsigned char bytes[PCR_IDENT_MAX];
};

/* What this process learnt of the file systems it met, by mount ID: one
 * statfs a mount serves every directory on it. Lock-free: a torn slot reads
 * as a miss. Zeroed, it knows nothing. */
#define PCR_FS_KINDS 16
struct pcr_fs_kinds {
	uint64_t slot[PCR_FS_KINDS][3]; /* mount ID and flags, fsid, check */
	int no_fid;                     /* the kernel refused AT_HANDLE_FID */
};

/* The identity of the directory spelled dir (len bytes, absolute,
 * normalised), following symbolic links; kinds may be NULL. dir is spelled
 * "dir/" in place for the lookup (the byte after its NUL must be writable)
 * and left as it was. 0, or -1 with errno: the directory is missing
 * (ENOENT), is not a directory (ENOTDIR), or cannot be looked at. */
int pcr_dir_ident(const struct pcr_fs *fs, struct pcr_fs_kinds *kinds, char *dir, size_t len,
		  struct pcr_ident *id);

/* A keyer (core/map.h) by identity: fs's calls, kinds may be NULL. */
struct pcr_ident_keyer {
	struct pcr_keyer keyer;
	const struct pcr_fs *fs;
	struct pcr_fs_kinds *kinds;
};
bool pcr_ident_keyer_key(const struct pcr_keyer *self, char *dir, size_t len, char *hex);
#define PCR_IDENT_KEYER(FS, KINDS)                     \
	{                                              \
		{ pcr_ident_keyer_key }, (FS), (KINDS) \
	}

/* The cache key of id (of the directory dir, len bytes): 32 lowercase hex
 * digits and a NUL. */
void pcr_ident_key(const struct pcr_ident *id, const char *dir, size_t len, char *hex);

#endif
