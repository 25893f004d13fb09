/* The library's counts of hits and misses (core/stats.h) as the command
 * reads and zeroes them. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stats.h"
#include "store_walk.h"

static int open_counts(const char *root, int flags)
{
	return pcr_store_layout_file(root, PCR_STATS_NAME, flags);
}

int pcr_store_counts_read(const char *root, uint64_t n[])
{
	for (size_t i = 0; i < PCR_STAT_COUNT; i++)
		n[i] = 0;
	int fd = open_counts(root, O_RDONLY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	int r = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
	unsigned char buf[PCR_STATS_RECORD * 128];
	size_t have = 0;
	for (ssize_t got; r == 0 && (got = read(fd, buf + have, sizeof buf - have)) != 0;) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -1;
			break;
		}
		have += (size_t)got;
		size_t whole = have / PCR_STATS_RECORD * PCR_STATS_RECORD;
		for (size_t at = 0; at < whole; at += PCR_STATS_RECORD)
			pcr_stats_add(n, buf + at);
		/* A record a writer has not finished (or a torn tail) waits. */
		for (size_t k = whole; k < have; k++)
			buf[k - whole] = buf[k];
		have -= whole;
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int pcr_store_counts_zero(const char *root)
{
	int fd = open_counts(root, O_WRONLY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	int r = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) == 0 ? 0 : -1;
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}
