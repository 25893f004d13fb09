#include "usage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/usage.h"
#include "memo.h"
#include "real.h"
#include "state.h"

/* The entries this process has checked: a warm import reads many files of
 * few entries, so each entry costs one stat per process, not one per file. */
static struct pcr_memo checked;

void pcr_usage_read(struct pcr_mapping *m)
{
	uint64_t key = pcr_entry_bits(m);
	if (pcr_memo_has(&checked, key))
		return;
	pcr_memo_put(&checked, key);

	__typeof__(&utimensat) real_utimensat = PCR_REAL(utimensat);
	if (!real_utimensat)
		return;
	int saved = errno;
	/* The entry directory's path is central's head: borrow the buffer. */
	char cut = m->central[m->entry_len];
	m->central[m->entry_len] = '\0';
	struct stat st;
	struct timespec now;
	if (pcr_fs_real.stat(m->central, &st) == 0 && S_ISDIR(st.st_mode) &&
	    clock_gettime(CLOCK_REALTIME, &now) == 0 && pcr_usage_touch_due(st.st_mtim, now)) {
		const struct timespec times[2] = { { .tv_nsec = UTIME_OMIT },
						   { .tv_nsec = UTIME_NOW } };
		real_utimensat(AT_FDCWD, m->central, times, AT_SYMLINK_NOFOLLOW);
	}
	m->central[m->entry_len] = cut;
	errno = saved;
}

void pcr_usage_wrote(const struct pcr_mapping *m, off_t size)
{
	/* The bytes appended come from here: 4096 units (4 MiB of pyc) a write. */
	static const char units[4096];
	int saved = errno;
	if (size < 0) {
		__typeof__(&fstatat) real_fstatat = PCR_REAL(fstatat);
		struct stat st;
		if (real_fstatat && real_fstatat(AT_FDCWD, m->central, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			size = st.st_size;
	}
	char path[PATH_MAX];
	size_t root_len;
	const char *root = pcr_root(&root_len);
	uint64_t n = size > 0 ? pcr_usage_units((uint64_t)size) : 0;
	int fd = n && pcr_usage_path(root, root_len, path, sizeof path)
			 ? pcr_fs_real.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
						      O_NOCTTY | O_NONBLOCK,
					    0600)
			 : -1;
	/* Only a regular file: a FIFO planted there must not stall the host. */
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	while (fd >= 0 && n > 0) {
		ssize_t w = write(fd, units, n < sizeof units ? (size_t)n : sizeof units);
		if (w <= 0)
			break;
		n -= (uint64_t)w;
	}
	if (fd >= 0)
		close(fd);
	errno = saved;
}
