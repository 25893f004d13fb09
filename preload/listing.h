/* Virtual directory listings: what a redirected process lists is what it
 * would list with in-tree caching.
 *
 *   - A source directory whose virtual __pycache__ exists lists a
 *     "__pycache__" entry (DT_DIR) after its own names, when it has none of
 *     its own. Only a directory that lists a ".py" file is looked at: no
 *     other gets a __pycache__ from Python.
 *   - A __pycache__ lists the union of its entry's names and the tree's
 *     own, each once: the ones of the side it was opened on, then the
 *     other side's names that this side lacks (opening a name gives the
 *     central file first, preload/call.c).
 *   - In a Python 2 process a source directory also lists the sidecar pycs
 *     (<name>.pyc, <name>.pyo) its entry holds.
 *
 * The extra names come after the stream's own end, from a bounded table of
 * open streams (a DIR pointer a slot, claimed on the stream's first readdir
 * and freed by closedir): no allocation, no lock; a stream that finds the
 * table full lists only what is on disk. The other side is read one
 * entry at a time with getdents64 and lseek, into the slot's own dirent,
 * which readdir returns. */
#ifndef PCR_LISTING_H
#define PCR_LISTING_H

#include <dirent.h>
#include <stdbool.h>
#include <sys/types.h>

/* A stream opened, in a process where the library is on: by opendir on
 * path, which c says mapped (a __pycache__: c is the call that opened it),
 * or by fdopendir (path NULL). */
struct pcr_call;
void pcr_listing_opened(DIR *d, const char *path, struct pcr_call *c);

struct dirent *pcr_listing_readdir(struct dirent *(*real)(DIR *), DIR *d);
/* readdir_r's: the name in entry; 0, or the stream's error. */
int pcr_listing_readdir_r(int (*real)(DIR *, struct dirent *, struct dirent **), DIR *d,
			  struct dirent *entry, struct dirent **result);

/* getdents64's, on a descriptor (glibc's readdir does not call it): the
 * virtual names after the directory's own, in the caller's buffer; the
 * descriptor's slot is kept by its number and checked by the directory's
 * device and inode on each call, and freed at the end of the listing. */
ssize_t pcr_listing_getdents64(ssize_t (*real)(int, void *, size_t), int fd, void *buf, size_t n);

void pcr_listing_forget(DIR *d, bool rewound);

/* A descriptor open on the tree's own __pycache__, the twin of the entry
 * directory that dirfd is open on (path relative to it): how an
 * unlinkat(dirfd, name) reaches the tree's file that the entry's listing
 * showed, or that its central namesake hid. -1 when dirfd is not an entry
 * of this process's root, or its record does not name a directory whose
 * key is the entry's, or the twin is not a directory (a symlink is not
 * followed). Keeps errno. */
int pcr_listing_twin(int dirfd, const char *path);

/* Set once this process listed an entry together with the tree's own
 * __pycache__ (shutil.rmtree does, by descriptor): from then on an unlinkat
 * relative to a descriptor that removed a name also removes the tree's file
 * of that name, which the central one hid (HOOK_TWIN). */
extern int pcr_listing_twins;

#endif
