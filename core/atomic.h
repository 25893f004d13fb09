/* Files written whole, then renamed into place, so that a reader never sees
 * half of one: the one scheme of temporary names the library and the command
 * write, "<final>.pcr-tmp.<pid>", and the one test for every temporary name
 * a cache may hold, which the cache manager's sweeps use. No allocation: the
 * caller gives the buffer the temporary name is spelled in. */
#ifndef PCR_ATOMIC_H
#define PCR_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fs.h"

#define PCR_TMP_MARK ".pcr-tmp."

/* "<final>.pcr-tmp.<pid>" into out (size bytes): its length, or 0 when it
 * does not fit. */
size_t pcr_tmp_name(const char *final, unsigned long pid, char *out, size_t size);

/* Whether name (one component) is a writer's temporary name: ours
 * ("<x>.pcr-tmp.<digits>"; before it, the record's "<key>.src.<digits>" and
 * an emulated move's "<x>.pcr-move.<digits>") or Python's for a pyc
 * ("<x>.pyc.<digits>", importlib's _write_atomic). */
bool pcr_is_tmp_name(const char *name);

/* Writes all len bytes of buf to fd, again after EINTR; false, with errno,
 * when a write fails or writes nothing. */
bool pcr_write_all(int fd, const char *buf, size_t len);

/* Writes len bytes as final: into a temporary name spelled in tmp (size
 * bytes; created with O_EXCL and O_NOFOLLOW, mode), then renamed over final.
 * A temporary name of this pid that is left (a crashed writer's that had
 * the same pid) is removed first; on failure none stays. 0, or -1 with errno
 * (ENAMETOOLONG when the name does not fit in tmp). */
int pcr_atomic_write(const struct pcr_fs *fs, const char *final, char *tmp, size_t size,
		     const char *bytes, size_t len, mode_t mode);

#endif
