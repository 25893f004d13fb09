#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/map.h"
#include "counter.h"
#include "state.h"

static uint64_t counts[PCR_STAT_COUNT];

void pcr_stats_count(enum pcr_stat which)
{
	__atomic_fetch_add(&counts[which], 1, __ATOMIC_RELAXED);
}

/* A forked child counts from 0: its parent's counts are the parent's. */
static void child_starts_at_zero(void)
{
	for (size_t i = 0; i < PCR_STAT_COUNT; i++)
		__atomic_store_n(&counts[i], 0, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void stats_at_fork(void)
{
	pthread_atfork(NULL, NULL, child_starts_at_zero);
}

/* <root>/v2, opened without following a link there (the root's own levels
 * the process checked when it first used it), and only when it is a
 * directory of the user's that nobody else may write: a layout directory
 * replaced by a symlink must not take the record elsewhere, and in one that
 * is the user's alone nobody else can plant a name. Made, 0700, when there
 * is none yet (a tree that ships its pycs makes no entry). */
static int open_layout(void)
{
	size_t root_len;
	const char *root = pcr_root(&root_len);
	char path[PATH_MAX];
	static const char tail[] = "/" PCR_LAYOUT;
	if (root_len + sizeof tail > sizeof path)
		return -1;
	memcpy(path, root, root_len);
	memcpy(path + root_len, tail, sizeof tail);
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = pcr_fs_real.open(path, flags, 0);
	if (fd < 0 && errno == ENOENT && pcr_fs_real.mkdir(path, 0700) == 0)
		fd = pcr_fs_real.open(path, flags, 0);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != pcr_euid ||
			(st.st_mode & 022))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The record, appended to <root>/v2/stats when the process counted
 * anything since the last: six syscalls (the layout's open and fstat, the
 * file's open, a close, the write and the last close). O_NONBLOCK: a FIFO
 * there (which only the user could have made) must not stall the exit.
 * The counts are taken (exchanged for 0), so that what another thread
 * counts meanwhile goes into the next record. */
static void flush(void)
{
	uint64_t n[PCR_STAT_COUNT];
	bool any = false;
	for (size_t i = 0; i < PCR_STAT_COUNT; i++)
		any |= (n[i] = __atomic_exchange_n(&counts[i], 0, __ATOMIC_RELAXED)) != 0;
	/* Counted only in calls that found the root usable; never written to
	 * a read-only one. */
	if (!any || !pcr_root_usable() || pcr_root_read_only())
		return;
	int saved = errno;
	int layout = open_layout();
	int fd = layout < 0 ? -1
			    : pcr_fs_real.openat(layout, PCR_STATS_NAME,
						 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
						     O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
						 0600);
	if (layout >= 0)
		close(layout);
	if (fd >= 0) {
		unsigned char record[PCR_STATS_RECORD];
		pcr_stats_encode(n, record);
		while (write(fd, record, sizeof record) < 0 && errno == EINTR)
			;
		close(fd);
	}
	errno = saved;
}

__attribute__((destructor)) static void stats_at_exit(void) { flush(); }

void pcr_stats_before_exec(void)
{
	flush();
	pcr_counter_flush();
}
