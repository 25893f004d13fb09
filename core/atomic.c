#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"

size_t pcr_tmp_name(const char *final, unsigned long pid, char *out, size_t size)
{
	size_t n = strlen(final), mark = sizeof PCR_TMP_MARK - 1;
	if (n + mark + 20 + 1 > size)
		return 0;
	memcpy(out, final, n);
	memcpy(out + n, PCR_TMP_MARK, mark);
	n += mark;
	n += pcr_put_uint(out + n, pid);
	out[n] = '\0';
	return n;
}

/* Whether name ends in <suffix>.<one or more digits>. */
static bool ends_in(const char *name, const char *suffix)
{
	const char *dot = strrchr(name, '.');
	size_t n = strlen(suffix);
	if (!dot || !dot[1] || (size_t)(dot - name) < n || memcmp(dot - n, suffix, n) != 0)
		return false;
	for (const char *p = dot + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

bool pcr_is_tmp_name(const char *name)
{
	static const char *const suffixes[] = { ".pcr-tmp", ".pyc", ".src", ".pcr-move" };
	for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++)
		if (ends_in(name, suffixes[i]))
			return true;
	return false;
}

bool pcr_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

int pcr_atomic_write(const struct pcr_fs *fs, const char *final, char *tmp, size_t size,
		     const char *bytes, size_t len, mode_t mode)
{
	if (!pcr_tmp_name(final, (unsigned long)getpid(), tmp, size))
		return (errno = ENAMETOOLONG), -1;
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = fs->open(tmp, flags, mode);
	if (fd < 0 && errno == EEXIST && fs->unlink(tmp) == 0)
		fd = fs->open(tmp, flags, mode);
	if (fd < 0)
		return -1;
	bool ok = pcr_write_all(fd, bytes, len);
	int e = errno;
	if (close(fd) != 0 && ok)
		ok = false, e = errno;
	if (ok && fs->rename(tmp, final) == 0)
		return 0;
	if (ok)
		e = errno;
	fs->unlink(tmp);
	errno = e;
	return -1;
}
