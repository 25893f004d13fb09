#include "trust.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/entry.h"
#include "memo.h"
#include "state.h"

/* Entries found whole in this process (forgotten, the lstats are made again). */
static struct pcr_memo trusted;
static int layout_found; /* <root>/v2 seen as a real directory: once a process */

/* The directory central[0..len): a real one of the user's (1), missing (0),
 * or a symlink, another user's or anything else (-1). */
static int real_dir(char *central, size_t len)
{
	char cut = central[len];
	central[len] = '\0';
	struct stat st;
	int r = pcr_fs_real.lstat(central, &st) < 0            ? (errno == ENOENT ? 0 : -1)
		: S_ISDIR(st.st_mode) && st.st_uid == pcr_euid ? 1
							       : -1;
	if (r < 0)
		pcr_log(PCR_LOG_WARN,
			(const char *[]){
			    "warning: ", central,
			    " in the cache is not a directory of this user's that the library made "
			    "(a planted symbolic link?); nothing is written through it" },
			3);
	central[len] = cut;
	return r;
}

/* An entry whose maker could not record it (no descriptor or no space
 * left then) is recorded by the next process that uses it, so that the
 * cache manager sees it. */
static void mend_record(struct pcr_mapping *m)
{
	if (!pcr_root_read_only() && pcr_entry_record_missing(&pcr_fs_real, m))
		pcr_entry_record_source(&pcr_fs_real, m);
}

bool pcr_entry_trusted(struct pcr_mapping *m)
{
	uint64_t key = pcr_entry_bits(m);
	if (pcr_memo_has(&trusted, key))
		return true;
	int saved = errno;
	/* <root>/v2, <root>/v2/<k0k1>, <root>/v2/<k0k1>/<key> */
	size_t layout = m->entry_len - PCR_KEY_HEX - 4, shard = m->entry_len - PCR_KEY_HEX - 1;
	int entry = -1, top = __atomic_load_n(&layout_found, __ATOMIC_RELAXED);
	if (!top && (top = real_dir(m->central, layout)) > 0)
		__atomic_store_n(&layout_found, 1, __ATOMIC_RELAXED);
	bool ok = top >= 0 && real_dir(m->central, shard) >= 0 &&
		  (entry = real_dir(m->central, m->entry_len)) >= 0;
	if (entry > 0) { /* remembered once it exists: a missing level is made later */
		mend_record(m);
		pcr_memo_put(&trusted, key);
	}
	errno = saved;
	return ok;
}

bool pcr_entry_known(const struct pcr_mapping *m)
{
	return pcr_memo_has(&trusted, pcr_entry_bits(m));
}

void pcr_entry_made(const struct pcr_mapping *m) { pcr_memo_put(&trusted, pcr_entry_bits(m)); }
