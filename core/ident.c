#include "ident.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200 /* Linux 6.5: handles for identity, not for opening */
#endif
#define PCR_OVERLAYFS_MAGIC 0x794c7630

enum { KIND_VALID = 1, KIND_OVERLAY = 2, KIND_NO_FSID = 4 };

static uint64_t check_of(uint64_t a, uint64_t b)
{
	return (a * 0x9e3779b97f4a7c15ull) ^ (b + 0x632be59bd9b4e019ull) ^ (b >> 29);
}

static bool kind_get(struct pcr_fs_kinds *k, int mnt, uint64_t *fsid, unsigned *flags)
{
	if (!k)
		return false;
	uint64_t *s = k->slot[(unsigned)mnt % PCR_FS_KINDS];
	uint64_t a = __atomic_load_n(&s[0], __ATOMIC_RELAXED);
	uint64_t b = __atomic_load_n(&s[1], __ATOMIC_RELAXED);
	uint64_t c = __atomic_load_n(&s[2], __ATOMIC_RELAXED);
	if (!(a & KIND_VALID) || a >> 8 != (uint64_t)(unsigned)mnt || c != check_of(a, b))
		return false;
	*fsid = b;
	*flags = (unsigned)(a & 0xff);
	return true;
}

static void kind_put(struct pcr_fs_kinds *k, int mnt, uint64_t fsid, unsigned flags)
{
	if (!k)
		return;
	uint64_t *s = k->slot[(unsigned)mnt % PCR_FS_KINDS];
	uint64_t a = (uint64_t)(unsigned)mnt << 8 | flags | KIND_VALID;
	__atomic_store_n(&s[0], a, __ATOMIC_RELAXED);
	__atomic_store_n(&s[1], fsid, __ATOMIC_RELAXED);
	__atomic_store_n(&s[2], check_of(a, fsid), __ATOMIC_RELAXED);
}

static void put(struct pcr_ident *id, const void *bytes, size_t n)
{
	memcpy(id->bytes + id->len, bytes, n);
	id->len += n;
}

static void put_u64(struct pcr_ident *id, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	put(id, b, 8);
}

/* The file handle of path into id; 1 when there is one, 0 when the file
 * system gives none, -1 with errno when path cannot be looked at. */
static int put_handle(const struct pcr_fs *fs, struct pcr_fs_kinds *kinds, const char *path,
		      struct pcr_ident *id, int *mnt)
{
	struct {
		struct file_handle h;
		unsigned char bytes[PCR_IDENT_HANDLE_MAX];
	} fh;
	bool fid = !(kinds && __atomic_load_n(&kinds->no_fid, __ATOMIC_RELAXED));
	for (;;) {
		fh.h.handle_bytes = PCR_IDENT_HANDLE_MAX;
		if (fs->name_to_handle_at(AT_FDCWD, path, &fh.h, mnt,
					  AT_SYMLINK_FOLLOW | (fid ? AT_HANDLE_FID : 0)) == 0)
			break;
		if (errno == EINVAL && fid) { /* a kernel before 6.5 */
			fid = false;
			if (kinds)
				__atomic_store_n(&kinds->no_fid, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EOVERFLOW)
			return 0;
		return -1;
	}
	unsigned char type[4];
	for (int i = 0; i < 4; i++)
		type[i] = (unsigned char)((unsigned)fh.h.handle_type >> (8 * i));
	put(id, "H", 1);
	put(id, type, 4);
	put(id, fh.h.f_handle, fh.h.handle_bytes);
	return 1;
}

/* statx's inode and birth time of path, for a file system without handles. */
static int put_inode(const struct pcr_fs *fs, const char *path, struct pcr_ident *id)
{
	struct statx stx;
	if (fs->statx(AT_FDCWD, path, 0, STATX_TYPE | STATX_INO | STATX_BTIME, &stx) < 0)
		return -1;
	if (!S_ISDIR(stx.stx_mode))
		return (errno = ENOTDIR), -1;
	put(id, "I", 1);
	put_u64(id, stx.stx_ino);
	if (stx.stx_mask & STATX_BTIME) {
		put(id, "B", 1);
		put_u64(id, (uint64_t)stx.stx_btime.tv_sec);
		unsigned char ns[4];
		for (int i = 0; i < 4; i++)
			ns[i] = (unsigned char)(stx.stx_btime.tv_nsec >> (8 * i));
		put(id, ns, 4);
	}
	return 0;
}

static int ident_of(const struct pcr_fs *fs, struct pcr_fs_kinds *kinds, const char *path,
		    struct pcr_ident *id)
{
	id->len = 0;
	id->spelled = false;
	int mnt = -1;
	int handle = put_handle(fs, kinds, path, id, &mnt);
	if (handle < 0 || (handle == 0 && put_inode(fs, path, id) < 0))
		return -1;
	uint64_t fsid;
	unsigned flags;
	if (mnt < 0 || !kind_get(kinds, mnt, &fsid, &flags)) {
		struct statfs sfs;
		if (fs->statfs(path, &sfs) < 0)
			return -1;
		uint64_t lo = (uint32_t)sfs.f_fsid.__val[0], hi = (uint32_t)sfs.f_fsid.__val[1];
		fsid = lo | hi << 32;
		flags = (unsigned)(sfs.f_type == PCR_OVERLAYFS_MAGIC ? KIND_OVERLAY : 0) |
			(unsigned)(fsid == 0 ? KIND_NO_FSID : 0);
		if (mnt >= 0)
			kind_put(kinds, mnt, fsid, flags);
	}
	if (!(flags & KIND_OVERLAY)) {
		put(id, "F", 1);
		put_u64(id, fsid);
	}
	id->spelled = handle == 0 || (flags & (KIND_NO_FSID | KIND_OVERLAY)) == KIND_NO_FSID;
	return 0;
}

int pcr_dir_ident(const struct pcr_fs *fs, struct pcr_fs_kinds *kinds, char *dir, size_t len,
		  struct pcr_ident *id)
{
	/* "dir/", in place: the trailing slash makes the lookup fail (ENOTDIR)
	 * unless dir is a directory, or a link to one. */
	dir[len] = '/';
	dir[len + 1] = '\0';
	int r = ident_of(fs, kinds, dir, id);
	dir[len] = '\0';
	return r;
}

bool pcr_ident_keyer_key(const struct pcr_keyer *self, char *dir, size_t len, char *hex)
{
	const struct pcr_ident_keyer *k = (const struct pcr_ident_keyer *)self;
	struct pcr_ident id;
	if (pcr_dir_ident(k->fs, k->kinds, dir, len, &id) < 0)
		return false;
	pcr_ident_key(&id, dir, len, hex);
	return true;
}
