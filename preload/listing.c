#include "listing.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../core/entry.h"
#include "../core/map.h"
#include "../core/path.h"
#include "call.h"
#include "seen.h"
#include "state.h"

/* readdir64 is readdir with another name where the two structures are one,
 * as on every 64-bit Linux; getdents64 fills the same layout. */
_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64) &&
		   offsetof(struct dirent, d_name) == offsetof(struct dirent64, d_name),
	       "struct dirent and struct dirent64 differ");

#define STREAMS 64 /* open streams listed at once, a slot each */
#define PROBES 8   /* slots a stream may take, from its pointer's hash */
#define SLASH_PYCACHE "/" PCR_PYCACHE

enum phase {
	READING,     /* the stream's own names */
	ADD_PYCACHE, /* then its virtual __pycache__ */
	ADD_OTHER,   /* then the other side's names */
	DONE,
};

/* What the stream was opened on, as far as its opening told. */
enum look {
	LOOK_NONE,   /* nothing to add (an in-tree __pycache__ without an entry) */
	LOOK_SOURCE, /* a path: a source directory, maybe (path: its absolute spelling, or
		      * "" when that was relative or too long) */
	LOOK_TWIN,   /* an entry whose tree has a __pycache__ too (path: that one, or "") */
	LOOK_FD,     /* a descriptor, or unknown: its /proc/self/fd path tells */
};

#define PATH_KEEP 1024 /* a longer spelling is read back from /proc/self/fd */

struct stream {
	DIR *dir; /* the owner; NULL when free */
	unsigned char phase;
	unsigned char look;
	bool saw_pycache;   /* the stream listed a __pycache__ of its own */
	bool saw_source;    /* ... and a .py file */
	bool sidecars_only; /* of the other side's names, only Python 2's sidecars */
	bool hide_sidecars; /* an entry listed as a __pycache__ in a Python 2 process:
			     * its pycs there belong beside the sources */
	bool pending;       /* getdents64: out did not fit the caller's buffer; it comes next */
	dev_t dev;          /* getdents64: the directory the descriptor was open on */
	ino_t ino;
	int other; /* the other side, while ADD_OTHER; else -1 */
	ino_t pycache_ino;
	char path[PATH_KEEP];
	struct dirent out; /* the extra name readdir returned last */
};

static struct stream streams[STREAMS];
int pcr_listing_twins;

static size_t home(DIR *d) { return (size_t)(((uintptr_t)d * 0x9E3779B97F4A7C15ull) >> 58); }

static struct stream *find(DIR *d)
{
	size_t h = home(d);
	for (size_t i = 0; i < PROBES; i++) {
		struct stream *s = &streams[(h + i) % STREAMS];
		if (__atomic_load_n(&s->dir, __ATOMIC_ACQUIRE) == d)
			return s;
	}
	return NULL;
}

static struct stream *claim(DIR *d, enum look look)
{
	size_t h = home(d);
	for (size_t i = 0; i < PROBES; i++) {
		struct stream *s = &streams[(h + i) % STREAMS];
		DIR *none = NULL;
		if (__atomic_load_n(&s->dir, __ATOMIC_RELAXED) == NULL &&
		    __atomic_compare_exchange_n(&s->dir, &none, d, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			s->phase = READING;
			s->saw_pycache = s->saw_source = s->sidecars_only = false;
			s->hide_sidecars = s->pending = false;
			s->look = (unsigned char)look;
			s->path[0] = '\0';
			s->other = -1;
			return s;
		}
	}
	return NULL;
}

/* Python 2's name for a module's pyc: one dot, and .pyc or .pyo (Python 3's
 * names carry a tag, and so a second dot). */
static bool sidecar_name(const char *name)
{
	const char *dot = strchr(name, '.');
	return dot && dot != name && (strcmp(dot, ".pyc") == 0 || strcmp(dot, ".pyo") == 0);
}

static void observe(struct stream *s, const char *name)
{
	size_t n = strlen(name);
	if (n == sizeof PCR_PYCACHE - 1 && memcmp(name, PCR_PYCACHE, n) == 0)
		s->saw_pycache = true;
	else if (n > 3 && memcmp(name + n - 3, ".py", 3) == 0)
		s->saw_source = true;
}

static void close_other(struct stream *s)
{
	if (s->other >= 0)
		close(s->other);
	s->other = -1;
}

/* The tree's __pycache__, never through a symlink at its name. */
static int open_twin(const char *dir)
{
	return pcr_fs_real.open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
}

static bool open_other(struct stream *s, const char *dir)
{
	s->other = open_twin(dir);
	return s->other >= 0;
}

/* Whether the record of the entry (len bytes of entry) names a directory
 * whose __pycache__ maps to this very entry: then twin holds that
 * __pycache__'s path. */
static bool entry_twin(char *entry, size_t len, char *twin)
{
	if (pcr_entry_read_record(&pcr_fs_real, entry, len, twin,
				  PATH_MAX - sizeof SLASH_PYCACHE) != 0)
		return false;
	memcpy(twin + strlen(twin), SLASH_PYCACHE, sizeof SLASH_PYCACHE);
	struct pcr_call c;
	return pcr_call_map(&c, "readdir", AT_FDCWD, twin, PCR_READS) && c.m.is_dir &&
	       c.m.entry_len == len && memcmp(c.m.central, entry, len) == 0;
}

/* Whether path's last component is __pycache__. */
static bool names_pycache(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t k = sizeof PCR_PYCACHE - 1;
	return n >= k && memcmp(path + n - k, PCR_PYCACHE, k) == 0 &&
	       (n == k || path[n - k - 1] == '/');
}

/* Keeps path (absolute, with room for "/__pycache__" after it) in s. */
static void keep_path(struct stream *s, const char *path, size_t len)
{
	if (path[0] == '/' && len + sizeof SLASH_PYCACHE <= sizeof s->path)
		memcpy(s->path, path, len + 1);
}

void pcr_listing_opened(DIR *d, const char *path, struct pcr_call *c)
{
	if (!pcr_ready())
		return;
	struct stream *s = claim(d, path ? LOOK_SOURCE : LOOK_FD);
	if (!s || !path)
		return;
	if (!c) {
		keep_path(s, path, strlen(path));
		return;
	}
	/* A __pycache__: the entry lists the tree's names too when the tree
	 * has one (a stat now, once an entry and process when it has none). */
	s->look = LOOK_NONE;
	s->hide_sidecars =
	    c->central && (__atomic_load_n(&pcr_active, __ATOMIC_RELAXED) & PCR_ACTIVE_SIDECARS);
	struct stat st;
	if (!c->central || !pcr_seen_tree_may_have(&c->m))
		return;
	if (pcr_fs_real.fstatat(c->dirfd, c->orig, &st, 0) != 0 || !S_ISDIR(st.st_mode)) {
		pcr_seen_tree_missing(&c->m);
		return;
	}
	s->look = LOOK_TWIN;
	char *source = pcr_map_source(&c->m); /* absolute: where the tree's one is */
	memcpy(source + c->m.source_len, SLASH_PYCACHE, sizeof SLASH_PYCACHE);
	keep_path(s, source, c->m.source_len + sizeof SLASH_PYCACHE - 1);
	source[c->m.source_len] = '\0';
}

/* Whether a source directory's listing (its own names seen) may lack a
 * name of the cache's: it listed sources (Python makes a __pycache__ for no
 * other directory) and, but for Python 2's sidecars, no __pycache__ of its
 * own. */
static bool may_lack(const struct stream *s, bool sidecars)
{
	return s->saw_source && (!s->saw_pycache || sidecars);
}

/* A source directory (dir, len bytes, with room after them): its virtual
 * __pycache__ when its entry exists; in a Python 2 process, the entry's
 * sidecar pycs instead. */
static void source_extras(struct stream *s, char *dir, size_t len, bool sidecars)
{
	memcpy(dir + len, SLASH_PYCACHE, sizeof SLASH_PYCACHE);
	struct pcr_call c;
	ino_t ino;
	struct stat st;
	if (!pcr_call_map(&c, "readdir", AT_FDCWD, dir, PCR_READS) || !c.m.is_dir ||
	    pcr_seen_entry_missing(&c.m) || !pcr_seen_look_entry(&c.m, &ino))
		return;
	if (!ino) { /* looked at before by this process: look again */
		if (pcr_fs_real.stat(c.m.central, &st) != 0 || !S_ISDIR(st.st_mode))
			return;
		ino = st.st_ino;
	}
	if (sidecars) { /* Python 2 makes no __pycache__: its pycs sit beside the sources */
		if (open_other(s, c.m.central)) {
			s->sidecars_only = true;
			s->phase = ADD_OTHER;
		}
	} else if (!s->saw_pycache) {
		s->pycache_ino = ino;
		s->phase = ADD_PYCACHE;
	}
}

/* At the end of the stream's own names: what comes after them. A stream
 * that may lack nothing pays nothing here. */
static void begin_extras(struct stream *s, int fd)
{
	s->phase = DONE;
	bool sidecars = __atomic_load_n(&pcr_active, __ATOMIC_RELAXED) & PCR_ACTIVE_SIDECARS;
	if (s->look == LOOK_NONE || (s->look == LOOK_SOURCE && !may_lack(s, sidecars)))
		return;
	if (s->look == LOOK_TWIN && s->path[0]) {
		if (open_other(s, s->path)) {
			__atomic_store_n(&pcr_listing_twins, 1, __ATOMIC_RELAXED);
			s->phase = ADD_OTHER;
		}
		return;
	}
	char here[PATH_MAX];
	size_t len;
	if (s->look == LOOK_SOURCE && s->path[0]) {
		len = strlen(s->path);
		memcpy(here, s->path, len + 1);
		source_extras(s, here, len, sidecars);
		return;
	}
	if (!pcr_fd_path(fd, here, sizeof here - sizeof SLASH_PYCACHE))
		return;
	len = strlen(here);
	size_t root_len;
	const char *root = pcr_root(&root_len);
	if (pcr_map_is_entry(root, root_len, here, len)) { /* an entry: then the tree's */
		char twin[PATH_MAX];
		if (entry_twin(here, len, twin) && open_other(s, twin)) {
			__atomic_store_n(&pcr_listing_twins, 1, __ATOMIC_RELAXED);
			s->phase = ADD_OTHER;
		}
		return;
	}
	if (!names_pycache(here)) {
		if (may_lack(s, sidecars))
			source_extras(s, here, len, sidecars);
		return;
	}
	/* The tree's __pycache__, by descriptor: then the entry's names. */
	struct pcr_call c;
	if (pcr_call_map(&c, "readdir", AT_FDCWD, here, PCR_READS) && c.m.is_dir &&
	    open_other(s, c.m.central))
		s->phase = ADD_OTHER;
}

static bool wanted(const struct stream *s, int fd, const char *name)
{
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    (s->sidecars_only && !sidecar_name(name)))
		return false;
	/* Listed already by the stream itself: a name both sides have is the
	 * one opening it gives, listed once. */
	struct stat st;
	return pcr_fs_real.fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
}

static struct dirent *next_extra(struct stream *s, int fd)
{
	if (s->phase == ADD_PYCACHE) {
		s->out.d_ino = s->pycache_ino;
		s->out.d_off = 0;
		s->out.d_type = DT_DIR;
		memcpy(s->out.d_name, PCR_PYCACHE, sizeof PCR_PYCACHE);
		s->out.d_reclen =
		    (unsigned short)((offsetof(struct dirent, d_name) + sizeof PCR_PYCACHE + 7) &
				     ~(size_t)7);
		s->phase = s->other >= 0 ? ADD_OTHER : DONE;
		return &s->out;
	}
	/* One name at a time into the slot's dirent, which holds the longest
	 * (getdents64 gives at least one), then back to just after it. */
	while (s->phase == ADD_OTHER) {
		long n = syscall(SYS_getdents64, s->other, &s->out, sizeof s->out);
		if (n <= 0 || lseek(s->other, s->out.d_off, SEEK_SET) < 0)
			break;
		if (wanted(s, fd, s->out.d_name))
			return &s->out;
	}
	close_other(s);
	s->phase = DONE;
	return NULL;
}

struct dirent *pcr_listing_readdir(struct dirent *(*real)(DIR *), DIR *d)
{
	if (!d || !pcr_ready())
		return real(d);
	struct stream *s = find(d);
	if (!s && !(s = claim(d, LOOK_FD)))
		return real(d);
	int saved = errno;
	if (s->phase == READING) {
		struct dirent *e;
		do
			errno = 0;
		while ((e = real(d)) && s->hide_sidecars && sidecar_name(e->d_name));
		if (e || errno != 0) { /* a name, or the stream's own error */
			if (e) {
				observe(s, e->d_name);
				errno = saved;
			}
			return e;
		}
		begin_extras(s, dirfd(d));
	}
	struct dirent *e = next_extra(s, dirfd(d));
	errno = saved;
	return e;
}

int pcr_listing_readdir_r(int (*real)(DIR *, struct dirent *, struct dirent **), DIR *d,
			  struct dirent *entry, struct dirent **result)
{
	if (!d || !pcr_ready())
		return real(d, entry, result);
	struct stream *s = find(d);
	if (!s && !(s = claim(d, LOOK_FD)))
		return real(d, entry, result);
	int saved = errno;
	if (s->phase == READING) {
		int r;
		while ((r = real(d, entry, result)) == 0 && *result && s->hide_sidecars &&
		       sidecar_name(entry->d_name))
			;
		if (r != 0 || *result) {
			if (r == 0)
				observe(s, entry->d_name);
			return r;
		}
		begin_extras(s, dirfd(d));
	}
	struct dirent *e = next_extra(s, dirfd(d));
	errno = saved;
	if (e) /* the name and what comes before it: the caller's entry may hold no more */
		memcpy(entry, e, offsetof(struct dirent, d_name) + strlen(e->d_name) + 1);
	*result = e ? entry : NULL;
	return 0;
}

static size_t record_length(const struct dirent *e)
{
	return (offsetof(struct dirent, d_name) + strlen(e->d_name) + 1 + 7) & ~(size_t)7;
}

static void release(struct stream *s)
{
	int saved = errno;
	close_other(s);
	errno = saved;
	__atomic_store_n(&s->dir, NULL, __ATOMIC_RELEASE);
}

ssize_t pcr_listing_getdents64(ssize_t (*real)(int, void *, size_t), int fd, void *buf, size_t n)
{
	struct stat st;
	if (fd < 0 || !pcr_ready() || fstat(fd, &st) != 0)
		return real(fd, buf, n);
	/* A slot by descriptor: an odd key, which no DIR pointer is. */
	DIR *key = (DIR *)(((uintptr_t)(unsigned)fd << 1) | 1);
	struct stream *s = find(key);
	if (s && (s->dev != st.st_dev || s->ino != st.st_ino)) { /* a closed one's number */
		release(s);
		s = NULL;
	}
	if (!s && !(s = claim(key, LOOK_FD)))
		return real(fd, buf, n);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (s->phase == READING) {
		ssize_t r = real(fd, buf, n);
		for (ssize_t at = 0; r > 0 && at < r;) {
			const struct dirent *e = (const struct dirent *)((char *)buf + at);
			observe(s, e->d_name);
			at += e->d_reclen;
		}
		if (r != 0)
			return r;
		begin_extras(s, fd);
	}
	int saved = errno;
	size_t used = 0;
	for (struct dirent *e; (e = s->pending ? &s->out : next_extra(s, fd));) {
		size_t len = record_length(e);
		s->pending = used + len > n;
		if (s->pending)
			break;
		struct dirent *to = (struct dirent *)((char *)buf + used);
		memcpy(to, e, offsetof(struct dirent, d_name) + strlen(e->d_name) + 1);
		to->d_reclen = (unsigned short)len;
		used += len;
	}
	if (used == 0 && s->pending) /* as the kernel says of a buffer too small */
		return (errno = EINVAL), -1;
	if (used == 0) /* the end: the next listing of this descriptor starts afresh */
		release(s);
	errno = saved;
	return (ssize_t)used;
}

void pcr_listing_forget(DIR *d, bool rewound)
{
	struct stream *s = d ? find(d) : NULL;
	if (!s)
		return;
	if (!rewound) {
		release(s);
		return;
	}
	int saved = errno;
	close_other(s);
	errno = saved;
	s->phase = READING;
}

int pcr_listing_twin(int dirfd, const char *path)
{
	if (path[0] == '/' || !pcr_ready())
		return -1;
	int saved = errno, fd = -1;
	char here[PATH_MAX], twin[PATH_MAX];
	size_t root_len, len;
	const char *root = pcr_root(&root_len);
	if (pcr_fd_path(dirfd, here, sizeof here - sizeof PCR_SOURCE_SUFFIX) &&
	    pcr_map_is_entry(root, root_len, here, len = strlen(here)) &&
	    entry_twin(here, len, twin))
		fd = open_twin(twin);
	errno = saved;
	return fd;
}
