/* Entry directories: <root>/v2/<k0k1>/<key>, one per source directory, and
 * the record <key>.src beside each that names its source directory (for the
 * cache manager's prune of orphans). Nothing is written inside an entry
 * directory but what Python writes there. */
#ifndef PCR_ENTRY_H
#define PCR_ENTRY_H

#include <stdbool.h>
#include <time.h>

#include "fs.h"
#include "map.h"

/* Create m's entry directory (and <root>/v2, <root>/v2/<k0k1> when missing),
 * mode 0700, and record its source directory. Returns 0 when this call made
 * it, else -1 with errno (EEXIST when it was already there). m->central is
 * borrowed as scratch and left as it was. */
int pcr_entry_create(const struct pcr_fs *fs, struct pcr_mapping *m);

/* Create <root>/v2 and <root>/v2/<k0k1> where missing, mode 0700: what a
 * mkdir of the entry directory itself needs. 0, or -1 with errno. */
int pcr_entry_create_parents(const struct pcr_fs *fs, struct pcr_mapping *m);

/* Write <entry>.src atomically (temporary name, then rename), both names
 * spelled in m's buffer (left as it was). 0, or -1 with errno. */
int pcr_entry_record_source(const struct pcr_fs *fs, struct pcr_mapping *m);

/* Whether <entry>.src is missing (an entry whose maker could not record it). */
bool pcr_entry_record_missing(const struct pcr_fs *fs, struct pcr_mapping *m);

/* Remove <entry>.src, once its entry directory was removed (an rmdir of
 * the virtual __pycache__): no record outlives its entry. 0, or -1 with
 * errno. */
int pcr_entry_remove_record(const struct pcr_fs *fs, struct pcr_mapping *m);

/* The source directory an entry's record names: entry is the entry
 * directory's path (len bytes, in a buffer with room for ".src" after it,
 * left as it was); the record's line without its "\n" goes to buf. The
 * caller checks it: a record is a hint, the key is the truth. 0, or -1 with
 * errno (EINVAL: not one absolute line that fits). */
int pcr_entry_read_record(const struct pcr_fs *fs, char *entry, size_t len, char *buf, size_t size);

/* An entry's last use is its directory's mtime: Python's writes update it,
 * and the library touches it on a process's first lookup in the entry when
 * it is PCR_TOUCH_EVERY old, as ccache does, so that a cache that is only
 * read still looks used. Whether an entry last touched at mtime is to be
 * touched again at now; never for an mtime in the future (a skewed clock). */
#define PCR_TOUCH_EVERY 3600
static inline bool pcr_entry_touch_due(struct timespec mtime, struct timespec now)
{
	return mtime.tv_sec <= now.tv_sec - PCR_TOUCH_EVERY;
}

#endif
