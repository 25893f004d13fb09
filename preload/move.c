/* rename and link between the cache and the tree. In-tree both names are on
 * one file system; with the cache on another, the kernel refuses with EXDEV
 * what the program could do without the library (os.rename of a pyc out of
 * __pycache__ to make a sourceless module, for one). For a regular file the
 * library then does what mv does: a copy under a temporary name beside the
 * target, moved into place, the source removed (for rename). */
#include "call.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/atomic.h"
#include "state.h"

/* The side of a call as the last attempt had it: the path and its dirfd. */
static const char *side(const struct pcr_call *c, int *dirfd)
{
	*dirfd = c->central ? AT_FDCWD : c->dirfd;
	return c->central ? c->m.central : c->orig;
}

/* The kernel copies (sendfile, file to file since Linux 2.6.33); where it
 * cannot, a small buffer does: the hooks keep their stack small. */
static bool copy_bytes(int in, int out)
{
	for (;;) {
		ssize_t n = sendfile(out, in, NULL, 1 << 30);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return true;
		if (n < 0)
			break;
	}
	if (errno != EINVAL && errno != ENOSYS)
		return false;
	char buf[512];
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0;
		if (!pcr_write_all(out, buf, (size_t)n))
			return false;
	}
}

/* Copies from (a symlink followed when follow is set) into tmp (created),
 * with from's mode and times (as a rename keeps them). 0, or -1 with
 * errno; tmp is removed on failure. */
static int copy_file(int fromfd, const char *from, bool follow, int tofd, const char *tmp)
{
	int in =
	    pcr_fs_real.openat(fromfd, from, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), 0);
	if (in < 0)
		return -1;
	struct stat st;
	int out = -1;
	bool ok = fstat(in, &st) == 0;
	if (ok && !S_ISREG(st.st_mode)) {
		errno = EXDEV; /* only files are copied */
		ok = false;
	}
	if (ok) {
		mode_t mode = st.st_mode & 07777;
		out = pcr_fs_real.openat(
		    tofd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		ok = out >= 0;
	}
	if (ok) {
		const struct timespec times[2] = { st.st_atim, st.st_mtim };
		ok = copy_bytes(in, out) && futimens(out, times) == 0;
	}
	int e = errno;
	if (out >= 0 && close(out) != 0 && ok)
		ok = false, e = errno;
	close(in);
	if (ok)
		return 0;
	if (out >= 0)
		pcr_fs_real.unlinkat(tofd, tmp, 0);
	errno = e;
	return -1;
}

bool pcr_call2_emulate(const struct pcr_call *a, struct pcr_call *b, enum pcr_move move)
{
	if (errno != EXDEV || move == PCR_MOVE_NONE || a->central == b->central)
		return false;
	int fromfd, tofd;
	const char *from = side(a, &fromfd), *to = side(b, &tofd);
	/* The temporary name goes in the target's mapping buffer: its free part
	 * when the target is central, all of it when the target is not mapped. */
	char *tmp = b->m.central;
	size_t room = sizeof b->m.central;
	if (b->mapped)
		room = pcr_map_free(&b->m, &tmp);
	if (!pcr_tmp_name(to, (unsigned long)getpid(), tmp, room))
		return (errno = EXDEV), false;

	bool link = move == PCR_MOVE_LINK || move == PCR_MOVE_LINK_FOLLOW;
	if (copy_file(fromfd, from, move == PCR_MOVE_LINK_FOLLOW, tofd, tmp) < 0)
		return false;
	/* Into place: rename replaces the target, link and a no-replace rename
	 * fail with EEXIST as the real call would. */
	int r = move == PCR_MOVE_RENAME ? pcr_fs_real.renameat(tofd, tmp, tofd, to)
					: pcr_fs_real.linkat(tofd, tmp, tofd, to, 0);
	int e = errno;
	if (move != PCR_MOVE_RENAME || r < 0)
		pcr_fs_real.unlinkat(tofd, tmp, 0);
	if (r == 0 && !link && pcr_fs_real.unlinkat(fromfd, from, 0) < 0) {
		/* The source could not go: undo, so that nothing is left twice. */
		e = errno;
		pcr_fs_real.unlinkat(tofd, to, 0);
		r = -1;
	}
	if (r == 0 && b->central)
		pcr_call_moved_in(b);
	errno = e;
	return r == 0;
}
