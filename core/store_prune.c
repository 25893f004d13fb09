/* pcr_store_prune: orphans and the old in one walk, then the least
 * recently used until the cache fits its limit. */
#include "store_walk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"

/* An entry that survived the first rules, for the size rule. */
struct prune_kept {
	char key[PCR_KEY_HEX + 1];
	struct timespec mtime;
	uint64_t disk;
};

struct prune_walk {
	const struct pcr_prune_rules *rules;
	struct pcr_store_removed *r;
	pcr_store_prune_report report;
	void *arg;
	enum pcr_prune_reason why; /* the second pass's */
	struct prune_kept *kept;
	size_t count, cap;
	uint64_t kept_disk; /* the blocks of the entries that stay */
};

/* The entry goes: reported, then removed, or on a dry run only counted. */
static int prune_entry(struct pcr_store_walker *w, struct pcr_store_entry *entry, int shard, DIR *d,
		       enum pcr_prune_reason why)
{
	struct prune_walk *pw = w->arg;
	if (pw->report) {
		int stop = pw->report(entry, why, pw->arg);
		if (stop)
			return stop;
	}
	if (!pw->rules->dry_run)
		return pcr_store_remove_entry(w, entry, shard, d, pw->r);
	pw->r->entries++;
	pw->r->files += entry->nfiles;
	pw->r->bytes += entry->bytes;
	pw->r->disk += entry->disk;
	return 0;
}

static int keep_entry(struct pcr_store_walker *w, struct prune_walk *pw,
		      const struct pcr_store_entry *entry)
{
	struct prune_kept *kept = pcr_grow(pw->kept, pw->count, &pw->cap, sizeof *kept, 256);
	if (!kept)
		return pcr_store_fail(w->e, ENOMEM, entry->path, NULL, NULL, NULL);
	pw->kept = kept;
	struct prune_kept *k = &pw->kept[pw->count++];
	memcpy(k->key, entry->key, sizeof k->key);
	k->mtime = entry->mtime;
	k->disk = entry->disk;
	return 0;
}

/* The first pass: orphans, then the old; the others are kept for the size
 * rule. */
static int visit_prune(struct pcr_store_walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	struct prune_walk *pw = w->arg;
	const struct pcr_prune_rules *rules = pw->rules;
	if (rules->orphans && entry->recorded && !entry->source_exists)
		return prune_entry(w, entry, shard, d, PCR_PRUNE_ORPHAN);
	if (rules->by_age && pcr_store_earlier(entry->mtime, rules->used_before))
		return prune_entry(w, entry, shard, d, PCR_PRUNE_OLD);
	pw->kept_disk += entry->disk;
	return rules->by_size ? keep_entry(w, pw, entry) : 0;
}

static int visit_prune_size(struct pcr_store_walker *w, struct pcr_store_entry *entry, int shard,
			    DIR *d)
{
	struct prune_walk *pw = w->arg;
	return prune_entry(w, entry, shard, d, pw->why);
}

/* Least recently used first; the key breaks ties, for a stable order. */
static int cmp_kept(const void *a, const void *b)
{
	const struct prune_kept *x = a, *y = b;
	if (pcr_store_earlier(x->mtime, y->mtime))
		return -1;
	if (pcr_store_earlier(y->mtime, x->mtime))
		return 1;
	return strcmp(x->key, y->key);
}

/* The second pass: the kept entries, least recently used first, until the
 * total is at most the limit. Each is looked at again (it may have vanished,
 * or changed, since the first pass) by the walk's own entry step. */
static int prune_to_size(struct pcr_store_walker *w, int root)
{
	struct prune_walk *pw = w->arg;
	const struct pcr_prune_rules *rules = pw->rules;
	if (pw->kept_disk <= rules->max_bytes || pw->kept_disk <= rules->only_above)
		return 0;
	qsort(pw->kept, pw->count, sizeof *pw->kept, cmp_kept);
	int layout = pcr_store_open_dir_at(root, PCR_LAYOUT);
	if (layout < 0)
		return errno == ENOENT
			   ? 0
			   : pcr_store_fail(w->e, errno, w->store->root, PCR_LAYOUT, NULL, NULL);
	w->visit = visit_prune_size;
	pw->why = PCR_PRUNE_OVER_SIZE;
	int r = 0;
	for (size_t i = 0; r == 0 && i < pw->count && pw->kept_disk > pw->rules->max_bytes; i++) {
		const char *key = pw->kept[i].key;
		pw->kept_disk -= pw->kept[i].disk;
		char k0k1[3] = { key[0], key[1], '\0' };
		int shard = pcr_store_open_dir_at(layout, k0k1);
		if (shard < 0) {
			if (!pcr_store_not_ours(errno))
				r = pcr_store_fail(w->e, errno, w->store->root, PCR_LAYOUT, k0k1,
						   NULL);
			continue;
		}
		r = pcr_store_walk_entry(w, shard, k0k1, key);
		close(shard);
		pcr_store_remove_if_empty(w, layout, k0k1);
	}
	close(layout);
	return r;
}

int pcr_store_prune(const struct pcr_store *store, const struct pcr_prune_rules *rules,
		    struct pcr_store_removed *r, pcr_store_prune_report report, void *arg,
		    struct pcr_store_error *e)
{
	*r = (struct pcr_store_removed){ 0 };
	struct prune_walk pw = { .rules = rules, .r = r, .report = report, .arg = arg };
	struct pcr_store_walker w = {
		.store = store, .visit = visit_prune, .arg = &pw, .e = e, .tidy = !rules->dry_run
	};
	const char *root = store->root;
	int fd;
	if (pcr_store_open_root(root, &fd, !rules->dry_run, e) < 0)
		return -1;
	if (fd < 0)
		return 0;
	int status = pcr_store_walk_layout(&w, fd);
	if (status == 0)
		status = pcr_store_old_layout(fd, !rules->dry_run, &r->old, e, root);
	if (status == 0 && rules->by_size)
		status = prune_to_size(&w, fd);
	if (status == 0)
		r->left_disk = pw.kept_disk;
	close(fd);
	free(w.entry.files);
	free(pw.kept);
	return status;
}
