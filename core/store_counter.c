/* The growth counter (core/counter.h) as the command reads and resets it. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counter.h"
#include "store_walk.h"

int pcr_store_layout_dir(const char *root)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int layout = fd < 0 ? -1 : pcr_store_open_dir_at(fd, PCR_LAYOUT);
	int saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return layout;
}

int pcr_store_layout_file(const char *root, const char *name, int flags)
{
	int layout = pcr_store_layout_dir(root);
	if (layout < 0)
		return -1;
	int fd = openat(layout, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	int saved = errno;
	close(layout);
	errno = saved;
	return fd;
}

int pcr_store_counter_open(const char *root, int flags)
{
	return pcr_store_layout_file(root, PCR_COUNTER_NAME, flags);
}

uint64_t pcr_store_counter_estimate(const char *root)
{
	struct stat st;
	int fd = pcr_store_counter_open(root, O_RDONLY);
	if (fd < 0)
		return 0;
	uint64_t bytes = fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
			     ? (uint64_t)st.st_size * PCR_COUNTER_UNIT
			     : 0;
	close(fd);
	return bytes;
}

int pcr_store_counter_reset(const char *root, uint64_t bytes)
{
	/* Only where the library would write it: the layout directory exists once anything is cached. */
	int fd = pcr_store_counter_open(root, O_WRONLY | O_CREAT);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	/* To zero first: the appended bytes go, the new length is a hole. */
	int r = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) == 0 &&
			ftruncate(fd, (off_t)pcr_counter_kib(bytes)) == 0
		    ? 0
		    : -1;
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}
