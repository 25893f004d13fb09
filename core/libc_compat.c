/* What a C library without glibc's extensions lacks (core/libc_compat.h). */
#include "libc_compat.h"

#ifndef __GLIBC__
#include <errno.h>

/* strerrorname_np's answer for the errnos a root, a log file or an entry can
 * meet; "errno" for any other (never NULL: the warnings print it). */
const char *pcr_errno_name(int err)
{
#define PCR_ERRNO(E) \
	case E: return #E;
	switch (err) {
		PCR_ERRNO(EPERM)
		PCR_ERRNO(ENOENT)
		PCR_ERRNO(EINTR)
		PCR_ERRNO(EIO)
		PCR_ERRNO(ENXIO)
		PCR_ERRNO(EBADF)
		PCR_ERRNO(EAGAIN)
		PCR_ERRNO(ENOMEM)
		PCR_ERRNO(EACCES)
		PCR_ERRNO(EFAULT)
		PCR_ERRNO(EBUSY)
		PCR_ERRNO(EEXIST)
		PCR_ERRNO(EXDEV)
		PCR_ERRNO(ENODEV)
		PCR_ERRNO(ENOTDIR)
		PCR_ERRNO(EISDIR)
		PCR_ERRNO(EINVAL)
		PCR_ERRNO(ENFILE)
		PCR_ERRNO(EMFILE)
		PCR_ERRNO(EFBIG)
		PCR_ERRNO(ENOSPC)
		PCR_ERRNO(EROFS)
		PCR_ERRNO(EMLINK)
		PCR_ERRNO(ERANGE)
		PCR_ERRNO(ENAMETOOLONG)
		PCR_ERRNO(ENOSYS)
		PCR_ERRNO(ENOTEMPTY)
		PCR_ERRNO(ELOOP)
		PCR_ERRNO(EOVERFLOW)
		PCR_ERRNO(EOPNOTSUPP)
		PCR_ERRNO(ESTALE)
		PCR_ERRNO(EDQUOT)
	}
#undef PCR_ERRNO
	return "errno";
}
#endif
