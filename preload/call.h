/* One intercepted call on a __pycache__ path, as a small state machine that
 * the generated wrappers drive:
 *
 *     for (go = pcr_call_begin(&c, ..., &P); go; go = pcr_call_next(&c, failed, &P))
 *             r = real(P, ...);
 *
 * begin says which path to try first (central, or the original when the call
 * is not redirected); next looks at how that went and says whether to try
 * again, and with which path: the in-tree one after a central miss of a
 * lookup, or the central one again once a create has made the entry
 * directory. errno is always the real call's, or the one an in-tree call
 * would have met. */
#ifndef PCR_CALL_H
#define PCR_CALL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "../core/libc_compat.h" /* RENAME_NOREPLACE */
#include "../core/map.h"

/* What a call does with its path: flags that a hooks.def row combines. */
enum {
	PCR_READS = 0,           /* reads what exists: central first, then in-tree */
	PCR_CHANGES = 1u << 0,   /* changes what exists (unlink, rmdir, an open for writing,
				 * a rename's source): never through an entry whose layout
				 * levels are not the user's real directories */
	PCR_CREATES = 1u << 1,   /* makes a name: central only, the entry directory made on
				 * demand; checked as PCR_CHANGES */
	PCR_NO_LINK = 1u << 2,   /* follows a symlink at the name (chmod, truncate, freopen):
				 * ELOOP when the central name is one, which the library
				 * never makes */
	PCR_MAKES_DIR = 1u << 3, /* mkdir: of __pycache__ itself, makes the entry and its
				  * record */
	PCR_OPENS = 1u << 4,     /* an open for reading: a found pyc counts as a hit or an
				  * in-tree read (core/stats.h) */
	PCR_REMOVES = 1u << 5,   /* unlink, rmdir: an rmdir of __pycache__ that removes the
				  * entry removes its record and the tree's own
				  * __pycache__ too (preload/call.c, removed_entry) */
};
typedef unsigned pcr_op;

struct pcr_call {
	struct pcr_mapping m;
	const char *orig;
	const char *hook;
	int dirfd;
	pcr_op op;
	bool central;  /* the path being tried is the central one */
	bool prepared; /* the entry directory was made (or found) for a retry */
	bool mapped;   /* m is valid: the path is one the library maps */
	bool sidecar;  /* ... as Python 2's pyc beside its source */
	off_t moving;  /* the target of a move: the size of what moves in, -1 unknown */
};

/* The path of the directory (or file) fd is open on, from /proc/self/fd:
 * false when there is none, or it is not absolute (deleted, a socket). */
bool pcr_fd_path(int fd, char *buf, size_t size);

bool pcr_call_begin(struct pcr_call *c, const char *hook, int dirfd, const char *path, pcr_op op,
		    const char **P);

/* The first step of pcr_call_begin alone: whether path maps (c->m then
 * holds its central path), with nothing looked at or tried. Keeps errno. */
bool pcr_call_map(struct pcr_call *c, const char *hook, int dirfd, const char *path, pcr_op op);
bool pcr_call_next(struct pcr_call *c, bool failed, const char **P);

/* What a two-path call does, for the emulation of a move across file systems. */
enum pcr_move {
	PCR_MOVE_NONE,             /* not emulated (renameat2's exchange, linkat flags) */
	PCR_MOVE_RENAME,           /* the target is replaced */
	PCR_MOVE_RENAME_NOREPLACE, /* EEXIST when the target exists */
	PCR_MOVE_LINK,             /* EEXIST when the target exists; the source stays */
	PCR_MOVE_LINK_FOLLOW,      /* the same, a symlink source followed (AT_SYMLINK_FOLLOW,
				    * as os.link calls it from Python 3.14 on) */
};

static inline enum pcr_move pcr_renameat2_move(unsigned int flags)
{
	return flags == 0                  ? PCR_MOVE_RENAME
	       : flags == RENAME_NOREPLACE ? PCR_MOVE_RENAME_NOREPLACE
					   : PCR_MOVE_NONE;
}

static inline enum pcr_move pcr_linkat_move(int flags)
{
	return flags == 0                   ? PCR_MOVE_LINK
	       : flags == AT_SYMLINK_FOLLOW ? PCR_MOVE_LINK_FOLLOW
					    : PCR_MOVE_NONE;
}

/* Two-path calls (rename, link): a is looked up, b is created. */
bool pcr_call2_begin(struct pcr_call *a, struct pcr_call *b, const char *hook, int dirfd_a,
		     const char *path_a, int dirfd_b, const char *path_b, const char **PA,
		     const char **PB);
bool pcr_call2_next(struct pcr_call *a, struct pcr_call *b, bool failed, const char **PA,
		    const char **PB);

/* A file was moved (or linked, or copied) into place at b's central name:
 * its bytes go to the growth counter and, a pyc, it counts as a miss. */
void pcr_call_moved_in(struct pcr_call *b);

/* After a two-path call failed with EXDEV between the cache and the tree, of
 * a regular file: does the move by copying (preload/move.c). True when it did;
 * else errno says why (EXDEV still, when it was not to be done). */
bool pcr_call2_emulate(const struct pcr_call *a, struct pcr_call *b, enum pcr_move move);

static inline pcr_op pcr_open_op(int flags)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return PCR_CREATES;
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) ? PCR_CHANGES
								    : PCR_READS | PCR_OPENS;
}

static inline pcr_op pcr_fopen_op(const char *mode)
{
	if (mode && mode[0] != 'r')
		return PCR_CREATES;
	return mode && strchr(mode, '+') ? PCR_CHANGES : PCR_READS | PCR_OPENS;
}

/* freopen has no O_NOFOLLOW to ask for: its writes are refused when the
 * central name is a symlink (PCR_NO_LINK). */
static inline pcr_op pcr_freopen_op(const char *mode)
{
	if (mode && mode[0] != 'r')
		return PCR_CREATES | PCR_NO_LINK;
	return mode && strchr(mode, '+') ? PCR_CHANGES | PCR_NO_LINK : PCR_READS;
}

/* Whether fopen's mode writes ("w", "a", "r+"). */
static inline bool pcr_fopen_writes(const char *mode)
{
	return mode && (mode[0] != 'r' || strchr(mode, '+'));
}

/* The *at calls that follow a symlink unless told not to. */
static inline pcr_op pcr_change_op(int flags)
{
	return flags & AT_SYMLINK_NOFOLLOW ? PCR_CHANGES : PCR_CHANGES | PCR_NO_LINK;
}

/* fopen of a central file to create or write: open(2) with the flags mode
 * asks for, O_NOFOLLOW and mode 0666 (the umask's, as fopen), then fdopen.
 * NULL with errno. */
FILE *pcr_fopen_central(const char *path, const char *mode);

/* A directory made in the cache, and the mode a chmod gives the entry
 * directory that stands for a __pycache__, are never more open than 0700:
 * the layout's directories are what keeps other users out. A central file
 * gets the mode its caller asked for, as in the tree (Python's pycs take
 * their source's mode): nobody else can reach it through those
 * directories, and a pyc copied or moved out of the cache keeps the mode it
 * would have had in-tree. */
static inline mode_t pcr_dir_mode(const struct pcr_call *c, mode_t mode)
{
	return c->central ? mode & 0700 : mode;
}

static inline mode_t pcr_chmod_mode(const struct pcr_call *c, mode_t mode)
{
	return c->central && c->m.is_dir ? mode & 0700 : mode;
}

/* A central file is created or written without following a planted
 * symlink. */
static inline int pcr_flags(const struct pcr_call *c, int flags)
{
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	return c->central && ((c->op & PCR_CREATES) || writes) ? flags | O_NOFOLLOW : flags;
}

#endif
