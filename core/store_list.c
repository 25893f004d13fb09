/* pcr_store_list: the entries with their files, copied out of the walk and
 * sorted. */
#include "store_walk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

struct list_walk {
	struct pcr_store_list *l;
	size_t cap;
};

static int cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct pcr_store_file *)a)->name,
		      ((const struct pcr_store_file *)b)->name);
}

static int cmp_entries(const void *a, const void *b)
{
	const struct pcr_store_entry *x = a, *y = b;
	int c = pcr_store_path_cmp(x->source, y->source);
	return c ? c : strcmp(x->key, y->key);
}

static int visit_list(struct pcr_store_walker *w, struct pcr_store_entry *entry, int shard, DIR *d)
{
	(void)shard;
	(void)d;
	struct list_walk *lw = w->arg;
	struct pcr_store_list *l = lw->l;
	struct pcr_store_entry *entries =
	    pcr_grow(l->entries, l->count, &lw->cap, sizeof *entries, 16);
	if (!entries)
		return pcr_store_fail(w->e, ENOMEM, entry->path, NULL, NULL, NULL);
	l->entries = entries;
	struct pcr_store_entry *copy = &l->entries[l->count];
	*copy = *entry;
	copy->files = NULL;
	if (entry->nfiles) {
		copy->files = malloc(entry->nfiles * sizeof *copy->files);
		if (!copy->files)
			return pcr_store_fail(w->e, ENOMEM, entry->path, NULL, NULL, NULL);
		memcpy(copy->files, entry->files, entry->nfiles * sizeof *copy->files);
		qsort(copy->files, copy->nfiles, sizeof *copy->files, cmp_files);
	}
	l->count++;
	return 0;
}

int pcr_store_list(const struct pcr_store *store, const char *dir, struct pcr_store_list *l,
		   struct pcr_store_error *e)
{
	*l = (struct pcr_store_list){ 0 };
	struct list_walk lw = { .l = l };
	int r = pcr_store_walk_all(store, dir, visit_list, &lw, false, NULL, NULL, e);
	if (r == 0 && l->count)
		qsort(l->entries, l->count, sizeof *l->entries, cmp_entries);
	return r;
}

void pcr_store_list_free(struct pcr_store_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->entries[i].files);
	free(l->entries);
	*l = (struct pcr_store_list){ 0 };
}
