#include "usage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/usage.h"
#include "state.h"

/* The entries this process has looked at, with what it found: a warm
 * import reads many files of few entries, so each entry costs one stat per
 * process, not one per file. A slot holds the entry's bits (pcr_entry_bits)
 * with their three low bits replaced by what is known (ENTRY_*); no lock: a
 * lost or overwritten slot only costs a stat again. */
#define ENTRY_EXISTS 1    /* the entry directory exists */
#define ENTRY_NO_TREE 2   /* the tree has no __pycache__ of its own */
#define ENTRY_TREE_PYCS 4 /* the tree's __pycache__ holds pycs (they ship with it) */
#define ENTRY_BITS 7
static uint64_t seen[1024];

static uint64_t *slot_of(uint64_t key) { return &seen[(key >> 3) % (sizeof seen / sizeof *seen)]; }

/* What is known of m's entry (ENTRY_* bits), or -1 when nothing is. */
static int known(const struct pcr_mapping *m)
{
	uint64_t key = pcr_entry_bits(m) | ENTRY_BITS;
	uint64_t v = __atomic_load_n(slot_of(key), __ATOMIC_RELAXED);
	return (v | ENTRY_BITS) == key ? (int)(v & ENTRY_BITS) : -1;
}

static void remember(const struct pcr_mapping *m, int bits)
{
	uint64_t key = pcr_entry_bits(m) | ENTRY_BITS;
	__atomic_store_n(slot_of(key), (key & ~(uint64_t)ENTRY_BITS) | (uint64_t)bits,
			 __ATOMIC_RELAXED);
}

/* Adds bits to what is known of an entry already looked at. */
static void learn(const struct pcr_mapping *m, int bits)
{
	int k = known(m);
	if (k >= 0 && (k | bits) != k)
		remember(m, k | bits);
}

void pcr_usage_entry_made(const struct pcr_mapping *m) { learn(m, ENTRY_EXISTS); }

void pcr_usage_tree_missing(const struct pcr_mapping *m) { learn(m, ENTRY_NO_TREE); }

void pcr_usage_tree_has_pycs(const struct pcr_mapping *m) { learn(m, ENTRY_TREE_PYCS); }

bool pcr_usage_tree_may_have(const struct pcr_mapping *m)
{
	int k = known(m);
	return k < 0 || !(k & ENTRY_NO_TREE);
}

bool pcr_usage_look_centrally(struct pcr_mapping *m)
{
	int k = known(m);
	if (k >= 0)
		/* Missing when looked at: another process may have made it since,
		 * so it is looked in again, but for a tree that ships its pycs,
		 * which are read at once. */
		return (k & ENTRY_EXISTS) || !(k & ENTRY_TREE_PYCS);

	int saved = errno;
	/* The entry directory's path is central's head: borrow the buffer. */
	char cut = m->central[m->entry_len];
	m->central[m->entry_len] = '\0';
	struct stat st;
	bool found = pcr_fs_real.stat(m->central, &st) == 0;
	bool exists = found || errno != ENOENT; /* unsure (EACCES...): look centrally */
	struct timespec now;
	if (found && S_ISDIR(st.st_mode) && clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    pcr_usage_touch_due(st.st_mtim, now)) {
		const struct timespec times[2] = { { .tv_nsec = UTIME_OMIT },
						   { .tv_nsec = UTIME_NOW } };
		pcr_fs_real.utimensat(AT_FDCWD, m->central, times, AT_SYMLINK_NOFOLLOW);
	}
	m->central[m->entry_len] = cut;
	remember(m, exists ? ENTRY_EXISTS : 0);
	errno = saved;
	return exists; /* missing, just now: the tree's at once */
}

/* Units (KiB) written into the cache but not counted yet, by process: they
 * are appended in one write when they reach PCR_USAGE_FLUSH_UNITS, and at
 * exit. A process that ends without its exit handlers (_exit, a signal)
 * leaves at most that many uncounted; a forked child drops what it was
 * handed, which its parent counts. */
#define PCR_USAGE_FLUSH_UNITS 256
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
	    !pcr_usage_path(root, root_len, path, size)) /* kept for a later flush */
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
	while (fd >= 0 && n > 0) {
		ssize_t w = write(fd, units, n < sizeof units ? (size_t)n : sizeof units);
		if (w <= 0)
			break;
		n -= (uint64_t)w;
	}
	if (fd >= 0)
		close(fd);
}

__attribute__((destructor)) static void flush_at_exit(void)
{
	int saved = errno;
	char path[PATH_MAX];
	flush(path, sizeof path);
	errno = saved;
}

void pcr_usage_wrote(struct pcr_mapping *m, off_t size)
{
	int saved = errno;
	if (size < 0) {
		struct stat st;
		if (pcr_fs_real.fstatat(AT_FDCWD, m->central, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			size = st.st_size;
	}
	uint64_t n = size > 0 ? pcr_usage_units((uint64_t)size) : 0;
	if (n && __atomic_fetch_add(&pending, n, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&pending_pid, getpid(), __ATOMIC_RELAXED);
	char *path;
	size_t room = pcr_map_free(m, &path);
	if (__atomic_load_n(&pending, __ATOMIC_RELAXED) >= PCR_USAGE_FLUSH_UNITS)
		flush(path, room);
	errno = saved;
}
