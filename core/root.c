#include "root.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* Symbolic links followed on the way to the root at the most (the kernel's
 * own limit). */
#define PCR_ROOT_MAX_LINKS 40

/* A directory on the way that only root and the user can change. */
static bool parent_ok(const struct stat *st, unsigned long euid)
{
	return (st->st_uid == 0 || st->st_uid == euid) &&
	       (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX));
}

/* A sticky directory others may write to (/tmp): they cannot rename or
 * remove what is the user's (or root's) in it, so its next component must
 * be the user's or root's. */
static bool shared_sticky(const struct stat *st)
{
	return (st->st_mode & (S_IWGRP | S_IWOTH)) && (st->st_mode & S_ISVTX);
}

/* One buffer holds the walk: the physical directory reached grows from its
 * start, what is left to walk lies at its end, and a link's target is read
 * into the gap between and moved in front of what is left. The check runs
 * on a process's first call, so its stack is one PATH_MAX. */
struct walk {
	const struct pcr_fs *fs;
	unsigned long euid;
	bool create;
	int *err;
	char *where;
	size_t where_size;
	char dir[PATH_MAX]; /* the physical directory reached ("" is /), then the rest */
	size_t len;
	struct stat at; /* dir's lstat */
};

static enum pcr_root_status fail(struct walk *w, enum pcr_root_status s, int err)
{
	*w->err = err;
	if (w->where && w->where_size) {
		const char *dir = w->dir[0] ? w->dir : "/";
		size_t n = strnlen(dir, w->where_size - 1);
		memcpy(w->where, dir, n);
		w->where[n] = '\0';
	}
	return s;
}

/* The component c (clen bytes, in the rest) of the directory reached,
 * lstat'ed into st, made 0700 when it is missing and create is set. */
static enum pcr_root_status step(struct walk *w, const char *c, size_t clen, struct stat *st)
{
	if (w->len + 1 >= (size_t)(c - w->dir)) /* the two parts would meet */
		return fail(w, PCR_ROOT_CANT_CREATE, ENAMETOOLONG);
	w->dir[w->len] = '/';
	memmove(w->dir + w->len + 1, c, clen);
	w->dir[w->len + 1 + clen] = '\0';
	if (w->fs->lstat(w->dir, st) == 0)
		return PCR_ROOT_OK;
	if (errno != ENOENT)
		return fail(w, PCR_ROOT_CANT_CREATE, errno);
	if (!w->create) { /* missing, and could it be made? */
		w->dir[w->len] = '\0';
		bool can = w->fs->access(w->len ? w->dir : "/", W_OK | X_OK) == 0;
		int e = errno;
		w->dir[w->len] = '/';
		return can ? fail(w, PCR_ROOT_MISSING, ENOENT) : fail(w, PCR_ROOT_CANT_CREATE, e);
	}
	if ((w->fs->mkdir(w->dir, 0700) < 0 && errno != EEXIST) || w->fs->lstat(w->dir, st) < 0)
		return fail(w, PCR_ROOT_CANT_CREATE, errno);
	return PCR_ROOT_OK;
}

/* The link just stepped to (the last clen bytes of the directory reached)
 * is read and put in front of what is left to walk, which starts at *rest
 * with a slash; *rest moves to the target. The walk goes on from the link's
 * directory, or from / for an absolute target. */
static enum pcr_root_status follow(struct walk *w, const struct stat *top, size_t clen, char **rest)
{
	char *gap = w->dir + w->len + 1 + clen + 1;
	if (gap >= *rest)
		return fail(w, PCR_ROOT_CANT_CREATE, ENAMETOOLONG);
	ssize_t n = w->fs->readlink(w->dir, gap, (size_t)(*rest - gap));
	if (n <= 0)
		return fail(w, PCR_ROOT_CANT_CREATE, n < 0 ? errno : ENOENT);
	if ((size_t)n >= (size_t)(*rest - gap)) /* perhaps cut short */
		return fail(w, PCR_ROOT_CANT_CREATE, ENAMETOOLONG);
	memmove(*rest - n, gap, (size_t)n);
	*rest -= n;
	w->dir[w->len] = '\0';
	if (**rest == '/') {
		w->len = 0;
		w->dir[0] = '\0';
		w->at = *top;
	}
	return PCR_ROOT_OK;
}

static enum pcr_root_status walk(struct walk *w, const char *root)
{
	struct stat top, st;
	size_t rlen = strlen(root);
	w->dir[0] = '\0';
	if (rlen + 2 > sizeof w->dir)
		return fail(w, PCR_ROOT_CANT_CREATE, ENAMETOOLONG);
	char *rest = w->dir + sizeof w->dir - rlen - 1;
	memcpy(rest, root, rlen + 1);
	if (w->fs->lstat("/", &top) < 0)
		return fail(w, PCR_ROOT_CANT_CREATE, errno);
	w->at = top;
	if (!parent_ok(&top, w->euid))
		return fail(w, PCR_ROOT_UNSAFE_PARENT, 0);
	int links = 0;
	for (char *p = rest, *end;; p = end) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		size_t clen = (size_t)(end - p);
		const char *next = end;
		while (*next == '/')
			next++;
		bool last = *next == '\0';
		if (clen == 1 && p[0] == '.')
			continue;
		if (clen == 2 && p[0] == '.' && p[1] == '.') { /* exact: dir is physical */
			if (w->len > 0) {
				w->len = (size_t)((char *)memrchr(w->dir, '/', w->len) - w->dir);
				w->dir[w->len] = '\0';
			}
			if (w->fs->lstat(w->len ? w->dir : "/", &w->at) < 0)
				return fail(w, PCR_ROOT_CANT_CREATE, errno);
			continue;
		}
		enum pcr_root_status s = step(w, p, clen, &st);
		if (s != PCR_ROOT_OK)
			return s;
		if (shared_sticky(&w->at) && st.st_uid != w->euid && st.st_uid != 0)
			return fail(w, last ? PCR_ROOT_FOREIGN : PCR_ROOT_UNSAFE_PARENT, 0);
		if (S_ISLNK(st.st_mode)) {
			if (last)
				return fail(w, PCR_ROOT_SYMLINK, 0);
			if (++links > PCR_ROOT_MAX_LINKS)
				return fail(w, PCR_ROOT_CANT_CREATE, ELOOP);
			if ((s = follow(w, &top, clen, &end)) != PCR_ROOT_OK)
				return s;
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			return fail(w, last ? PCR_ROOT_NOT_DIR : PCR_ROOT_CANT_CREATE,
				    last ? 0 : ENOTDIR);
		if (!last && !parent_ok(&st, w->euid))
			return fail(w, PCR_ROOT_UNSAFE_PARENT, 0);
		w->len += 1 + clen;
		w->at = st;
	}
	/* The configuration refuses "/" by its spelling; ".." can still reach it. */
	if (w->len == 0 || (w->at.st_dev == top.st_dev && w->at.st_ino == top.st_ino))
		return fail(w, PCR_ROOT_IS_TOP, 0);
	if (w->at.st_uid != w->euid)
		return fail(w, PCR_ROOT_FOREIGN, 0);
	if (w->at.st_mode & (S_IWGRP | S_IWOTH))
		return fail(w, PCR_ROOT_UNSAFE_MODE, 0);
	if (w->fs->access(w->dir, W_OK | X_OK) == 0)
		return PCR_ROOT_OK;
	/* Only a read-only mount makes a read-only cache: the levels inside a
	 * root of mode 0500 are still writable (0700), and root's processes
	 * ignore the mode. */
	if (errno == EROFS && w->fs->access(w->dir, X_OK) == 0)
		return PCR_ROOT_READ_ONLY;
	return fail(w, PCR_ROOT_UNWRITABLE, errno);
}

enum pcr_root_status pcr_root_check(const struct pcr_fs *fs, const char *root, unsigned long euid,
				    bool create, int *err, char *where, size_t where_size)
{
	struct walk w = { .fs = fs,
			  .euid = euid,
			  .create = create,
			  .err = err,
			  .where = where,
			  .where_size = where_size };
	*err = 0;
	if (where && where_size)
		where[0] = '\0';
	return walk(&w, root);
}

enum pcr_root_status pcr_root_prepare(const struct pcr_fs *fs, const char *root, unsigned long euid,
				      bool create, int *err)
{
	return pcr_root_check(fs, root, euid, create, err, NULL, 0);
}

enum pcr_root_use pcr_root_choose(const struct pcr_fs *fs, const struct pcr_config *c,
				  unsigned long euid, bool create, enum pcr_root_status *status,
				  int *err, char *where, size_t where_size)
{
	int ignored;
	*err = 0;
	*status = c->root_len ? pcr_root_check(fs, c->root, euid, create, err, where, where_size)
			      : PCR_ROOT_CANT_CREATE;
	if (pcr_root_status_usable(*status) || (!create && *status == PCR_ROOT_MISSING))
		return PCR_ROOT_USE_CONFIGURED |
		       (*status == PCR_ROOT_READ_ONLY ? PCR_ROOT_USE_READ_ONLY : 0);
	enum pcr_root_status f =
	    c->fallback_len ? pcr_root_check(fs, c->fallback, euid, create, &ignored, NULL, 0)
			    : PCR_ROOT_CANT_CREATE;
	if (pcr_root_status_usable(f) || (!create && f == PCR_ROOT_MISSING))
		return PCR_ROOT_USE_FALLBACK |
		       (f == PCR_ROOT_READ_ONLY ? PCR_ROOT_USE_READ_ONLY : 0);
	return PCR_ROOT_USE_NONE;
}

const char *pcr_root_status_str(enum pcr_root_status s)
{
	switch (s) {
	case PCR_ROOT_OK: return "ok";
	case PCR_ROOT_MISSING: return "does not exist yet";
	case PCR_ROOT_CANT_CREATE: return "cannot be created or read";
	case PCR_ROOT_SYMLINK: return "is a symbolic link";
	case PCR_ROOT_NOT_DIR: return "is not a directory";
	case PCR_ROOT_FOREIGN: return "is owned by another user";
	case PCR_ROOT_UNSAFE_MODE: return "is writable by group or others";
	case PCR_ROOT_UNWRITABLE: return "is not writable by this user";
	case PCR_ROOT_IS_TOP: return "is the top of the file system, /";
	case PCR_ROOT_UNSAFE_PARENT:
		return "lies in a directory that another user owns or may write to";
	case PCR_ROOT_READ_ONLY: return "is on a read-only file system: used for reads";
	}
	return "unknown";
}
