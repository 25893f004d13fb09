#include "counter.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/counter.h"
#include "state.h"
#include "upkeep.h"

/* Units (KiB) written into the cache but not counted yet, by process: they
 * are appended in one write when they reach PCR_COUNTER_FLUSH_UNITS, at exit
 * and before an exec. A process that ends without its exit handlers (_exit,
 * a signal) leaves at most that many uncounted; a forked child drops what
 * it was handed, which its parent counts. 1 MiB: a small pyc takes a whole
 * 4 KiB block, so this is the same number of appends (about 250 pycs each)
 * as 256 KiB of pyc bytes was. */
#define PCR_COUNTER_FLUSH_UNITS 1024
static uint64_t pending;
static pid_t pending_pid;

/* Appends what is pending, the counter's path spelled in path (size bytes:
 * the free part of a mapping's buffer, or the destructor's own). */
static void flush(char *path, size_t size)
{
	/* The bytes appended come from here: 4096 units (4 MiB of pyc) a write. */
	static const char units[4096];
	size_t root_len;
	const char *root = pcr_root(&root_len);
	if (__atomic_load_n(&pending, __ATOMIC_RELAXED) == 0 ||
	    __atomic_load_n(&pending_pid, __ATOMIC_RELAXED) != getpid() ||
	    !pcr_counter_path(root, root_len, path, size)) /* kept for a later flush */
		return;
	uint64_t n = __atomic_exchange_n(&pending, 0, __ATOMIC_RELAXED);
	if (n == 0)
		return;
	int fd = pcr_fs_real.open(
	    path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
	    0600);
	/* Only a regular file of the user's: a FIFO planted there must not
	 * stall the host. */
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != pcr_euid)) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		pcr_upkeep_note((uint64_t)st.st_size, n);
	while (fd >= 0 && n > 0) {
		ssize_t w = write(fd, units, n < sizeof units ? (size_t)n : sizeof units);
		if (w < 0 && errno == EINTR) /* a host's handler without SA_RESTART */
			continue;
		if (w <= 0)
			break;
		n -= (uint64_t)w;
	}
	if (fd >= 0)
		close(fd);
}

void pcr_counter_flush(void)
{
	int saved = errno;
	char path[PATH_MAX];
	flush(path, sizeof path);
	errno = saved;
}

__attribute__((destructor)) static void flush_at_exit(void)
{
	pcr_counter_flush();
	pcr_upkeep_start_if_due();
}

void pcr_counter_wrote(struct pcr_mapping *m, off_t size)
{
	int saved = errno;
	if (size < 0) {
		struct stat st;
		if (pcr_fs_real.fstatat(AT_FDCWD, m->central, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			size = st.st_size;
	}
	uint64_t n = size > 0 ? pcr_counter_units((uint64_t)size) : 0;
	if (n && __atomic_fetch_add(&pending, n, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&pending_pid, getpid(), __ATOMIC_RELAXED);
	char *path;
	size_t room = pcr_map_free(m, &path);
	if (__atomic_load_n(&pending, __ATOMIC_RELAXED) >= PCR_COUNTER_FLUSH_UNITS)
		flush(path, room);
	errno = saved;
}
