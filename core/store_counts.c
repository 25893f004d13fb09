/* The library's counts of hits and misses (core/stats.h) as the command
 * reads, zeroes and folds them. Three files of records, whose sum is the
 * counts: "stats", which the library appends to; "stats.batch", the records
 * a fold took away from it; "stats.total", one record, what earlier folds
 * summed. The command's readers hold a shared flock on <root>/v2 and its
 * fold and zero an exclusive one, so that a reader never sees a batch both
 * in the total and on its own; the library takes no lock: it only appends
 * to "stats" (or, having opened it just before a fold, to the batch). */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"
#include "store_walk.h"

#define BATCH_NAME PCR_STATS_NAME ".batch"
#define TOTAL_NAME PCR_STATS_NAME ".total"
#define TOTAL_TMP_NAME PCR_STATS_NAME ".total.tmp"

/* Adds the whole records of name in the layout directory to n; a missing
 * file adds nothing. */
static int add_file(int layout, const char *name, uint64_t n[])
{
	int fd = openat(layout, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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

/* The layout directory, locked (LOCK_SH or LOCK_EX); -1 with errno ENOENT
 * when there is none yet. */
static int lock_layout(const char *root, int how)
{
	int layout = pcr_store_layout_dir(root);
	while (layout >= 0 && flock(layout, how) < 0)
		if (errno != EINTR) {
			int saved = errno;
			close(layout);
			errno = saved;
			return -1;
		}
	return layout;
}

static int unlock_layout(int layout, int r)
{
	int saved = errno;
	close(layout);
	errno = saved;
	return r;
}

int pcr_store_counts_read(const char *root, uint64_t n[])
{
	for (size_t i = 0; i < PCR_STAT_COUNT; i++)
		n[i] = 0;
	int layout = lock_layout(root, LOCK_SH);
	if (layout < 0)
		return errno == ENOENT ? 0 : -1;
	int r = add_file(layout, TOTAL_NAME, n) == 0 && add_file(layout, BATCH_NAME, n) == 0 &&
			add_file(layout, PCR_STATS_NAME, n) == 0
		    ? 0
		    : -1;
	return unlock_layout(layout, r);
}

static int unlink_missing_ok(int dir, const char *name)
{
	return unlinkat(dir, name, 0) == 0 || errno == ENOENT ? 0 : -1;
}

int pcr_store_counts_zero(const char *root)
{
	int layout = lock_layout(root, LOCK_EX);
	if (layout < 0)
		return errno == ENOENT ? 0 : -1;
	int r = -1;
	int fd = openat(layout, PCR_STATS_NAME, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 ? fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) == 0
		    : errno == ENOENT)
		r = unlink_missing_ok(layout, BATCH_NAME) == 0 &&
			    unlink_missing_ok(layout, TOTAL_NAME) == 0
			? 0
			: -1;
	if (fd >= 0)
		close(fd);
	return unlock_layout(layout, r);
}

/* Under the exclusive lock: the total and the batch summed into a new
 * total, put in place whole, then the batch gone. */
static int fold_batch(int layout)
{
	uint64_t n[PCR_STAT_COUNT] = { 0 };
	if (add_file(layout, TOTAL_NAME, n) < 0 || add_file(layout, BATCH_NAME, n) < 0)
		return -1;
	unsigned char record[PCR_STATS_RECORD];
	pcr_stats_encode(n, record);
	int fd = openat(layout, TOTAL_TMP_NAME,
			O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	bool whole = write(fd, record, sizeof record) == (ssize_t)sizeof record;
	if (close(fd) < 0 || !whole || renameat(layout, TOTAL_TMP_NAME, layout, TOTAL_NAME) < 0) {
		int saved = errno;
		unlinkat(layout, TOTAL_TMP_NAME, 0);
		errno = saved;
		return -1;
	}
	return unlink_missing_ok(layout, BATCH_NAME);
}

int pcr_store_counts_fold(const char *root, uint64_t at_least, unsigned grace_ms)
{
	int layout = lock_layout(root, LOCK_EX);
	if (layout < 0)
		return errno == ENOENT ? 0 : -1;
	/* A batch a fold left (it stopped after the rename) goes first. */
	struct stat st;
	bool left = fstatat(layout, BATCH_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!left) {
		if (fstatat(layout, PCR_STATS_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || (uint64_t)st.st_size < at_least)
			return unlock_layout(layout, 0);
		if (renameat(layout, PCR_STATS_NAME, layout, BATCH_NAME) < 0)
			return unlock_layout(layout, -1);
		/* A process that opened the file just before the rename writes
		 * its record into the batch: give it the time to. Readers count
		 * the batch meanwhile. */
		flock(layout, LOCK_UN);
		struct timespec grace = { grace_ms / 1000, (long)(grace_ms % 1000) * 1000000 };
		while (nanosleep(&grace, &grace) < 0 && errno == EINTR)
			;
		while (flock(layout, LOCK_EX) < 0)
			if (errno != EINTR)
				return unlock_layout(layout, -1);
	}
	return unlock_layout(layout, fold_batch(layout));
}
