/* pcr_fs_real: the real libc functions behind the seam (core/fs.h), for
 * core/ and the preload's logic: the next definition of each hooked call
 * (preload/real.h), never the hook itself. A test links its own instead. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "real.h"
#include "state.h"

/* core/ gets the real functions, never the hooks. */
#define REAL_OR_ENOSYS(NAME, ...)             \
	__typeof__(&NAME) f = PCR_REAL(NAME); \
	if (!f)                               \
		return (errno = ENOSYS), -1;  \
	return f(__VA_ARGS__)

static int real_lstat(const char *p, struct stat *st) { REAL_OR_ENOSYS(lstat, p, st); }
static int real_stat(const char *p, struct stat *st) { REAL_OR_ENOSYS(stat, p, st); }
static int real_mkdir(const char *p, mode_t m) { REAL_OR_ENOSYS(mkdir, p, m); }
static int real_open(const char *p, int fl, mode_t m) { REAL_OR_ENOSYS(open, p, fl, m); }
static int real_rename(const char *a, const char *b) { REAL_OR_ENOSYS(rename, a, b); }
static int real_unlink(const char *p) { REAL_OR_ENOSYS(unlink, p); }
static int real_access(const char *p, int mode) { REAL_OR_ENOSYS(access, p, mode); }
static ssize_t real_readlink(const char *p, char *b, size_t n)
{
	REAL_OR_ENOSYS(readlink, p, b, n);
}
static int real_statx(int fd, const char *p, int fl, unsigned int mask, struct statx *st)
{
#if PCR_LIBC_HAS_STATX
	REAL_OR_ENOSYS(statx, fd, p, fl, mask, st);
#else
	return pcr_statx_syscall(fd, p, fl, mask, st); /* no hook, no libc wrapper */
#endif
}
static int real_fstatat(int fd, const char *p, struct stat *st, int fl)
{
	REAL_OR_ENOSYS(fstatat, fd, p, st, fl);
}
static int real_openat(int fd, const char *p, int fl, mode_t m)
{
	REAL_OR_ENOSYS(openat, fd, p, fl, m);
}
static int real_unlinkat(int fd, const char *p, int fl) { REAL_OR_ENOSYS(unlinkat, fd, p, fl); }
static int real_renameat(int a, const char *pa, int b, const char *pb)
{
	REAL_OR_ENOSYS(renameat, a, pa, b, pb);
}
static int real_linkat(int a, const char *pa, int b, const char *pb, int fl)
{
	REAL_OR_ENOSYS(linkat, a, pa, b, pb, fl);
}
static int real_utimensat(int fd, const char *p, const struct timespec t[2], int fl)
{
	REAL_OR_ENOSYS(utimensat, fd, p, t, fl);
}

const struct pcr_fs pcr_fs_real = {
	.lstat = real_lstat,
	.stat = real_stat,
	.mkdir = real_mkdir,
	.open = real_open,
	.rename = real_rename,
	.unlink = real_unlink,
	.access = real_access,
	.readlink = real_readlink,
	.name_to_handle_at = name_to_handle_at, /* not hooked */
	.statfs = statfs,                       /* not hooked */
	.statx = real_statx,
	.fstatat = real_fstatat,
	.openat = real_openat,
	.unlinkat = real_unlinkat,
	.renameat = real_renameat,
	.linkat = real_linkat,
	.utimensat = real_utimensat,
	.getcwd = getcwd, /* not hooked */
};
