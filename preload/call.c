#include "call.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../core/counter.h"
#include "../core/entry.h"
#include "../core/fmt.h"
#include "../core/path.h"
#include "clock.h"
#include "counter.h"
#include "stats.h"
#include "dirkey.h"
#include "seen.h"
#include "state.h"
#include "trust.h"

bool pcr_fd_path(int fd, char *buf, size_t size)
{
	if (fd < 0)
		return false;
	char link[40] = "/proc/self/fd/";
	size_t n = strlen(link);
	link[n + pcr_put_uint(link + n, (unsigned long)fd)] = '\0';
	ssize_t len = pcr_fs_real.readlink(link, buf, size - 1);
	if (len <= 0 || buf[0] != '/')
		return false;
	buf[len] = '\0';
	return true;
}

/* The physical directory a relative path starts from: the working directory,
 * or the directory dirfd is open on. */
static bool base_dir(int dirfd, char *buf, size_t size)
{
	if (dirfd == AT_FDCWD)
		return pcr_fs_real.getcwd(buf, size) && buf[0] == '/';
	return pcr_fd_path(dirfd, buf, size);
}

typedef enum pcr_map_status (*mapper)(const char *root, size_t root_len, const char *base,
				      const char *path, const struct pcr_keyer *keyer,
				      struct pcr_mapping *m);

/* map_path (or map_sidecar) on c, with the physical base directory that a
 * relative path needs, read into the mapping's own buffer. */
static enum pcr_map_status map_with(mapper map_path, struct pcr_call *c)
{
	size_t root_len;
	const char *root = pcr_root(&root_len);
	enum pcr_map_status st = map_path(root, root_len, NULL, c->orig, &pcr_dir_keyer, &c->m);
	if (st == PCR_MAP_NEED_BASE) {
		char *base = pcr_map_source(&c->m);
		if (base_dir(c->dirfd, base, c->m.source_len))
			st = map_path(root, root_len, base, c->orig, &pcr_dir_keyer, &c->m);
	}
	return st;
}

/* The hooks call it once pcr_ready said yes. */
static bool map(struct pcr_call *c)
{
	enum pcr_map_status st = map_with(pcr_map_path, c);
	c->sidecar = false;
	if (st == PCR_MAP_NOT_PYCACHE &&
	    (__atomic_load_n(&pcr_active, __ATOMIC_RELAXED) & PCR_ACTIVE_SIDECARS)) {
		st = map_with(pcr_map_sidecar, c);
		c->sidecar = true;
	}
	if (st == PCR_MAP_OK)
		return true;
	/* A source directory that is missing or not one (PCR_MAP_NO_DIR) goes
	 * through: the real call fails there as it would in-tree. */
	if (st != PCR_MAP_NOT_PYCACHE && st != PCR_MAP_UNDER_ROOT)
		pcr_log(PCR_LOG_EVERY,
			(const char *[]){ c->hook, " ", c->orig,
					  ": passed through: ", pcr_map_status_str(st) },
			5);
	return false;
}

static void log_fallback(const struct pcr_call *c)
{
	pcr_log(
	    PCR_LOG_EVERY,
	    (const char *[]){ c->hook, " ", c->m.central, ": not in the cache, using ", c->orig },
	    5);
}

bool pcr_call_map(struct pcr_call *c, const char *hook, int dirfd, const char *path, pcr_op op)
{
	/* Field by field: the mapping's two PATH_MAX buffers need no clearing. */
	c->orig = path;
	c->hook = hook;
	c->dirfd = dirfd;
	c->op = op;
	c->central = false;
	c->prepared = false;
	int saved = errno;
	c->mapped = map(c);
	errno = saved;
	return c->mapped;
}

bool pcr_call_begin(struct pcr_call *c, const char *hook, int dirfd, const char *path, pcr_op op,
		    const char **P)
{
	*P = path;
	int saved = errno;
	if (pcr_call_map(c, hook, dirfd, path, op)) {
		if (!c->m.is_dir) /* a mkdir of a name in __pycache__ is a create */
			c->op &= ~(pcr_op)PCR_MAKES_DIR;
		/* A read-only root: a create fails as on a read-only tree, with no
		 * call (none into the tree either: Python goes on without a pyc). */
		if ((op & PCR_CREATES) && pcr_root_read_only()) {
			pcr_log(PCR_LOG_EVERY,
				(const char *[]){ hook, " ", path,
						  ": not created, the cache root is read-only" },
				4);
			return (errno = EROFS), false;
		}
		/* Nothing is written through a planted link: every call but a
		 * read checks the entry's levels (once per entry and process).
		 * Reads go on: what they could find is no more than a planted pyc,
		 * which Python checks against its source. */
		if ((op & (PCR_CHANGES | PCR_CREATES)) && !pcr_entry_trusted(&c->m))
			return pcr_stats_count(PCR_STAT_REFUSED), (errno = ELOOP), false;
		/* The library makes no symlink in the cache: one there was planted. */
		struct stat st;
		if ((op & PCR_NO_LINK) && pcr_fs_real.lstat(c->m.central, &st) == 0 &&
		    S_ISLNK(st.st_mode))
			return pcr_stats_count(PCR_STAT_REFUSED), (errno = ELOOP), false;
		/* A lookup in an entry that does not exist: the tree's, at once. */
		if (!(c->op & PCR_CREATES) && !pcr_seen_look_centrally(&c->m)) {
			pcr_log(PCR_LOG_EVERY,
				(const char *[]){
				    hook, " ", path,
				    ": the tree's, which ships its pycs (no entry in the cache)" },
				4);
			errno = saved;
			return true;
		}
		c->central = true;
		*P = c->m.central;
		pcr_log(PCR_LOG_EVERY, (const char *[]){ hook, " ", path, " -> ", *P }, 5);
	}
	errno = saved;
	return true;
}

/* Whether the in-tree __pycache__ of c (a sidecar's directory) exists as a
 * directory: looked up as "<source>/__pycache__", spelled in place in the
 * room the mapping keeps after the source. */
static bool in_tree_dir_exists(struct pcr_call *c)
{
	struct stat st;
	char *dir = pcr_map_source(&c->m);
	size_t n = c->m.source_len;
	bool sidecar = c->m.cache_end == 0 || c->orig[c->m.cache_end - 1] == '/';
	if (!sidecar)
		memcpy(dir + n, "/" PCR_PYCACHE, sizeof PCR_PYCACHE + 1);
	bool yes = pcr_fs_real.stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	dir[n] = '\0';
	return yes;
}

/* An entry this process made: trusted from now on, and its two blocks
 * counted. */
static void entry_made(struct pcr_call *c)
{
	pcr_entry_made(&c->m);
	pcr_counter_wrote(&c->m, PCR_COUNTER_ENTRY_BYTES);
}

/* Make the entry directory a create needs, when the virtual __pycache__
 * exists: in-tree (a tree that had caches before the redirect), or
 * centrally until the cache manager removed it under this process (a prune
 * or a clear racing py_compile's mkdir and its create). Once a call. */
static bool make_entry(struct pcr_call *c)
{
	c->prepared = true;
	if (!pcr_entry_known(&c->m) && !in_tree_dir_exists(c))
		return false;
	if (pcr_entry_create(&pcr_fs_real, &c->m) == 0)
		entry_made(c);
	else if (errno != EEXIST)
		return false;
	pcr_seen_entry_made(&c->m);
	return true;
}

/* The entry of a virtual __pycache__ was removed (rmdir): its record goes
 * with it, and so does the tree's own __pycache__, which the listing showed
 * as part of the same directory (preload/listing.c), or what the tree has
 * of that name, which the entry hid (a symlink). When the tree's directory
 * is not empty, the call is made again on it, and fails as an rmdir of a
 * directory with files in it fails. */
static bool removed_entry(struct pcr_call *c, const char **P)
{
	pcr_entry_remove_record(&pcr_fs_real, &c->m);
	if (!pcr_seen_tree_may_have(&c->m))
		return false;
	if (pcr_fs_real.unlinkat(c->dirfd, c->orig, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return false;
	/* Not a directory (a symlink, which the entry hid): gone with it too. */
	if (errno == ENOTDIR) {
		pcr_fs_real.unlinkat(c->dirfd, c->orig, 0);
		return false;
	}
	c->central = false;
	*P = c->orig;
	return true;
}

/* A central name was removed (unlink): the tree's file of that name, which
 * the central one hid, would show through, and goes too (Python 2's
 * sidecar: the tree's own pyc beside its source). */
static void removed_name(struct pcr_call *c)
{
	if (c->sidecar || pcr_seen_tree_may_have(&c->m))
		pcr_fs_real.unlinkat(c->dirfd, c->orig, 0);
}

bool pcr_call_next(struct pcr_call *c, bool failed, const char **P)
{
	if (!c->central) {
		/* What an in-tree lookup says of the tree: no __pycache__ of its
		 * own, or pycs shipped in it. */
		if (c->mapped && c->m.is_dir && failed && errno == ENOENT)
			pcr_seen_tree_missing(&c->m);
		else if (c->mapped && !c->m.is_dir && !failed && !(c->op & PCR_CREATES)) {
			pcr_seen_tree_has_pycs(&c->m);
			if (c->op & PCR_OPENS)
				pcr_stats_count(PCR_STAT_IN_TREE);
		}
		return false;
	}
	int e = errno;
	bool again = false;
	if (!failed) {
		if ((c->op & PCR_OPENS) && !c->m.is_dir)
			pcr_stats_count(PCR_STAT_HIT);
		else if ((c->op & PCR_CREATES) && !c->m.is_dir && pcr_is_pyc_name(c->m.central))
			pcr_stats_count(PCR_STAT_MISS); /* Python 2 writes its pyc in place */
		if (c->op & PCR_MAKES_DIR) {            /* this mkdir made the entry directory */
			pcr_entry_record_source(&pcr_fs_real, &c->m);
			entry_made(c);
		}
		pcr_seen_entry_made(&c->m); /* found, or made, there */
		if ((c->op & PCR_REMOVES) && c->m.is_dir)
			again = removed_entry(c, P);
		else if (c->op & PCR_REMOVES)
			removed_name(c);
	} else if (e == EISDIR && (c->op & PCR_REMOVES) && c->m.is_dir) {
		/* An unlink of __pycache__ met the entry, a directory: what the
		 * tree has there (a symlink, shutil.rmtree's unlink of it) is
		 * the one to unlink. */
		c->central = false;
		*P = c->orig;
		again = true;
	} else if (e == ENOENT && !(c->op & PCR_CREATES)) {
		/* Not in the cache: in the tree, unless it has no __pycache__. */
		if (pcr_seen_tree_may_have(&c->m)) {
			c->central = false;
			*P = c->orig;
			log_fallback(c);
			again = true;
		}
	} else if (e == ENOENT && !c->prepared) {
		if (c->op & PCR_MAKES_DIR) {
			c->prepared = true;
			again = pcr_entry_create_parents(&pcr_fs_real, &c->m) == 0;
		} else {
			again = make_entry(c);
		}
		/* The cache could not take it (ENOSPC, EROFS, EDQUOT, ...): say so,
		 * rather than an ENOENT the tree would never give. */
		if (!again && errno != ENOENT && errno != EEXIST)
			e = errno;
	}
	errno = e;
	return again;
}

/* RLIMIT_FSIZE, read once a process (a program sets it before it starts
 * Python, if at all). */
static rlim_t file_size_limit(void)
{
	static rlim_t limit; /* 0: not read yet */
	rlim_t l = __atomic_load_n(&limit, __ATOMIC_RELAXED);
	if (l == 0) {
		struct rlimit r;
		l = getrlimit(RLIMIT_FSIZE, &r) == 0 && r.rlim_cur != 0 ? r.rlim_cur
									: RLIM_INFINITY;
		__atomic_store_n(&limit, l, __ATOMIC_RELAXED);
	}
	return l;
}

/* Whether the cache's file system has no block left for this user. Asked
 * again only after a second, or when the last answer left less than
 * PCR_ROOM_TO_SPARE: no import writes that much in a second. */
#define PCR_ROOM_TO_SPARE (64u << 20)
static bool cache_full(void)
{
	static uint64_t asked_ms, room;
	uint64_t now = pcr_coarse_ms();
	uint64_t at = __atomic_load_n(&asked_ms, __ATOMIC_RELAXED);
	if (now && at && now - at < 1000 &&
	    __atomic_load_n(&room, __ATOMIC_RELAXED) >= PCR_ROOM_TO_SPARE)
		return false;
	struct statfs fs;
	size_t root_len;
	if (pcr_fs_real.statfs(pcr_root(&root_len), &fs) < 0)
		return false;
	uint64_t blocks = pcr_euid == 0 ? fs.f_bfree : fs.f_bavail;
	__atomic_store_n(&room, blocks * (uint64_t)fs.f_bsize, __ATOMIC_RELAXED);
	__atomic_store_n(&asked_ms, now, __ATOMIC_RELAXED);
	return blocks == 0;
}

/* Whether the cache can take whole the file a moves into it. Python (before
 * 3.14) does not check that its write of a pyc was whole: on a full cache,
 * or at RLIMIT_FSIZE, a truncated pyc would be moved into place and break
 * every later import of its module. The move is refused then, with the
 * errno a whole write would have met; Python removes its temporary file
 * and goes on without caching. */
static bool cache_takes(const struct pcr_call *a, off_t *size)
{
	struct stat st;
	if (pcr_fs_real.fstatat(a->central ? AT_FDCWD : a->dirfd,
				a->central ? a->m.central : a->orig, &st,
				AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return true; /* the move itself will say what is wrong */
	*size = st.st_size;  /* for the growth counter, which need not stat it again */
	if ((rlim_t)st.st_size >= file_size_limit())
		return pcr_stats_count(PCR_STAT_REFUSED), (errno = EFBIG), false;
	if (st.st_size > 0 && cache_full())
		return pcr_stats_count(PCR_STAT_REFUSED), (errno = ENOSPC), false;
	return true;
}

bool pcr_call2_begin(struct pcr_call *a, struct pcr_call *b, const char *hook, int dirfd_a,
		     const char *path_a, int dirfd_b, const char *path_b, const char **PA,
		     const char **PB)
{
	if (!pcr_call_begin(a, hook, dirfd_a, path_a, PCR_CHANGES, PA) ||
	    !pcr_call_begin(b, hook, dirfd_b, path_b, PCR_CREATES, PB))
		return false; /* the target's entry is not to be written through */
	int saved = errno;
	b->moving = -1;
	if (b->central && !cache_takes(a, &b->moving)) {
		pcr_log(
		    PCR_LOG_EVERY,
		    (const char *[]){
			hook, " ", path_b,
			": not moved into the cache, full or at the file size limit (the file may "
			"be cut short)" },
		    4);
		return false;
	}
	errno = saved;
	return true;
}

/* ENOENT has two possible causes: the target's entry directory is missing,
 * or the source is only in-tree. Mend them in that order. */
void pcr_call_moved_in(struct pcr_call *b)
{
	pcr_counter_wrote(&b->m, b->moving);
	if (pcr_is_pyc_name(b->m.central))
		pcr_stats_count(PCR_STAT_MISS); /* a pyc Python wrote */
}

bool pcr_call2_next(struct pcr_call *a, struct pcr_call *b, bool failed, const char **PA,
		    const char **PB)
{
	(void)PB; /* the target stays central once it is */
	int e = errno;
	bool again = false;
	if (!failed && b->central) {
		pcr_seen_entry_made(&b->m);
		pcr_call_moved_in(b);
	} else if (failed && e == ENOENT) {
		if (b->central && !b->prepared && make_entry(b)) {
			again = true;
		} else if (a->central) {
			a->central = false;
			*PA = a->orig;
			log_fallback(a);
			again = true;
		}
	}
	errno = e;
	return again;
}

FILE *pcr_fopen_central(const char *path, const char *mode)
{
	int flags;
	switch (mode[0]) {
	case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
	case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
	default: flags = O_RDONLY; break; /* 'r': not a create, not here */
	}
	for (const char *m = mode + 1; *m && *m != ','; m++) {
		if (*m == '+')
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		else if (*m == 'x')
			flags |= O_EXCL;
		else if (*m == 'e')
			flags |= O_CLOEXEC;
	}
	int fd = pcr_fs_real.open(path, flags | O_NOFOLLOW, 0666); /* as fopen: the umask's */
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, mode);
	if (!f) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return f;
}
