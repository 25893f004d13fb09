/* pcr_store_stats: what the cache holds, counted in one walk. */
#include "store_walk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

struct stats_walk {
	struct pcr_store_stats *s;
	char **sources;
	size_t cap;
};

static void take_mtime(struct pcr_store_stats *s, struct timespec t)
{
	bool first = s->files == 0;
	if (first || pcr_store_earlier(t, s->oldest))
		s->oldest = t;
	if (first || pcr_store_earlier(s->newest, t))
		s->newest = t;
}

static int keep_source(struct pcr_store_walker *w, struct stats_walk *sw, const char *source)
{
	char **sources = pcr_grow(sw->sources, sw->s->sources, &sw->cap, sizeof *sources, 64);
	if (!sources)
		return pcr_store_fail(w->e, ENOMEM, w->store->root, NULL, NULL, NULL);
	sw->sources = sources;
	if (!(sw->sources[sw->s->sources] = strdup(source)))
		return pcr_store_fail(w->e, ENOMEM, w->store->root, NULL, NULL, NULL);
	sw->s->sources++;
	return 0;
}

static int visit_stats(struct pcr_store_walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	(void)shard;
	(void)d;
	struct stats_walk *sw = w->arg;
	struct pcr_store_stats *s = sw->s;
	s->entries++;
	for (size_t i = 0; i < entry->nfiles; i++, s->files++)
		take_mtime(s, entry->files[i].mtime);
	s->bytes += entry->bytes;
	s->disk += entry->disk;
	if (!entry->recorded) {
		s->unrecorded++;
		return 0;
	}
	if (!entry->source_exists)
		s->orphans++;
	return keep_source(w, sw, entry->source);
}

static int cmp_paths(const void *a, const void *b)
{
	return pcr_store_path_cmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted so, a tree's subdirectories follow it: count the tops. */
static size_t count_trees(char **sources, size_t n)
{
	if (n == 0) /* sources is NULL then, which qsort must not get */
		return 0;
	qsort(sources, n, sizeof *sources, cmp_paths);
	size_t trees = 0;
	const char *top = NULL;
	for (size_t i = 0; i < n; i++)
		if (!top || !pcr_store_within(sources[i], top, strlen(top))) {
			top = sources[i];
			trees++;
		}
	return trees;
}

int pcr_store_stats(const struct pcr_store *store, const char *dir, struct pcr_store_stats *s,
		    struct pcr_store_error *e)
{
	*s = (struct pcr_store_stats){ 0 };
	struct stats_walk sw = { .s = s };
	int r = pcr_store_walk_all(store, dir, visit_stats, &sw, false, &s->old,
				   dir ? NULL : &s->shards_disk, e);
	if (r == 0)
		s->trees = count_trees(sw.sources, s->sources);
	for (size_t i = 0; i < s->sources; i++)
		free(sw.sources[i]);
	free(sw.sources);
	return r;
}
