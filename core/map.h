/* The mapping from an in-tree __pycache__ path to its place in the central
 * cache: <root>/v2/<k0k1>/<key>[/<name>], key = XXH3-128 of the identity of
 * the directory that holds __pycache__ (core/ident.h), which the caller's
 * keyer makes. Pure but for the keyer: no allocation, no globals. */
#ifndef PCR_MAP_H
#define PCR_MAP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCR_LAYOUT "v2"
#define PCR_LAYOUT_OLD "v1" /* keyed by spelling; the command removes it */
#define PCR_KEY_HEX 32
#define PCR_SOURCE_SUFFIX ".src" /* <entry>.src records the source directory */

enum pcr_map_status {
	PCR_MAP_OK,
	PCR_MAP_NOT_PYCACHE, /* no __pycache__ component */
	PCR_MAP_REFUSED,     /* a tail that is never mapped (".", "..", deeper levels) */
	PCR_MAP_NEED_BASE,   /* a relative path, and no base directory was given */
	PCR_MAP_TOO_LONG,    /* the central path and the source directory would not fit
			      * PATH_MAX together */
	PCR_MAP_UNDER_ROOT,  /* already inside the cache root: never mapped twice */
	PCR_MAP_NO_DIR,      /* the keyer found no directory there (missing, a file,
			      * not searchable): the call goes through as it is */
};

/* How a source directory gets its key: from its identity (core/ident.h, for
 * the library and the command), or by any rule a test needs. */
struct pcr_keyer {
	/* The key of the directory spelled dir (len bytes, absolute and
	 * normalised) into hex (PCR_KEY_HEX digits and a NUL); false, with
	 * errno, when there is no directory to key. The byte after dir's NUL
	 * is writable: the keyer may spell "dir/" in place (the lookup that
	 * fails unless dir is a directory), and leaves dir as it was. */
	bool (*key)(const struct pcr_keyer *self, char *dir, size_t len, char *hex);
};

/* Bytes kept free after the NUL of the source spelling: for the keyer's
 * slash, and for "/__pycache__" (the in-tree directory's spelling). */
#define PCR_MAP_DIR_ROOM 13

/* The key of the spelling itself (pcr_key): layout v1's rule, for tests of
 * the mapping that need no file system. */
extern const struct pcr_keyer pcr_keyer_spelling;

/* One buffer holds all a mapped call needs, so that a hook's stack holds
 * one PATH_MAX (a handler on a small signal stack can make the call):
 *
 *     central[0 .. central_len]          <root>/v2/<k0k1>/<key>[/<name>], NUL
 *     central[source_at .. +source_len]  the normalised directory that holds
 *                                        __pycache__ (the record's content),
 *                                        NUL, PCR_MAP_DIR_ROOM bytes
 *     the rest                           free: scratch for the caller
 *
 * source_at leaves room after the entry for "<entry>.src", the record's
 * name, to be spelled in place. */
struct pcr_mapping {
	char central[PATH_MAX];
	size_t central_len;
	size_t entry_len; /* leading bytes of central that name the entry directory */
	size_t source_at; /* where in central the source spelling starts */
	size_t source_len;
	size_t cache_end;              /* bytes of the original path up to the end of "__pycache__"
				 * (a sidecar's: of its directory, slash included) */
	bool is_dir;                   /* the path names the __pycache__ directory itself */
	unsigned long long entry_bits; /* see pcr_entry_bits */
};

/* The normalised directory that holds __pycache__, in m's buffer (writable
 * when m is, like strchr's result). */
static inline char *pcr_map_source(const struct pcr_mapping *m)
{
	return (char *)m->central + m->source_at;
}

/* Free bytes of m's buffer after the source spelling and its room. */
static inline size_t pcr_map_free(const struct pcr_mapping *m, char **at)
{
	size_t used = m->source_at + m->source_len + 1 + PCR_MAP_DIR_ROOM;
	*at = (char *)m->central + used;
	return sizeof m->central - used;
}

/* Map path (relative ones against base, an absolute physical directory, or
 * NULL when the caller has none yet) under root, a normalised absolute
 * directory of root_len bytes. m is valid only when it returns PCR_MAP_OK,
 * and is scratch otherwise. On PCR_MAP_NEED_BASE, the caller that can find
 * the base may read it into pcr_map_source(m) (source_len bytes of room)
 * and call again with that as base: no buffer of its own is needed. */
enum pcr_map_status pcr_map_path(const char *root, size_t root_len, const char *base,
				 const char *path, const struct pcr_keyer *keyer,
				 struct pcr_mapping *m);

/* The same for Python 2's sidecar pycs (core/path.h): <dir>/<name>.pyc
 * and .pyo map to <root>/v2/<k0k1>/<key of dir>/<name>.pyc, in the entry a
 * __pycache__ of dir would have (no name is shared: Python 3's carry a tag).
 * PCR_MAP_NOT_PYCACHE for any other path. */
enum pcr_map_status pcr_map_sidecar(const char *root, size_t root_len, const char *base,
				    const char *path, const struct pcr_keyer *keyer,
				    struct pcr_mapping *m);

/* Whether path (len bytes) is an entry directory of the layout under root:
 * exactly <root>/v2/<k0k1>/<key>. */
bool pcr_map_is_entry(const char *root, size_t root_len, const char *path, size_t len);

/* The first 64 bits of m's key (never 0), for per-process tables of
 * entries: read from its hex digits once, when m is made. */
static inline unsigned long long pcr_entry_bits(const struct pcr_mapping *m)
{
	return m->entry_bits;
}

/* XXH3-128 of len bytes, as two words (for per-process tables). */
void pcr_hash128(const void *bytes, size_t len, uint64_t out[2]);

/* XXH3-128 of len bytes: 32 lowercase hex digits and a NUL. */
void pcr_key(const char *bytes, size_t len, char hex[PCR_KEY_HEX + 1]);

/* <root>/v2/<k0k1>/<key>; its length, or 0 when it does not fit in outsz. */
size_t pcr_entry_dir(const char *root, size_t root_len, const char *key, char *out, size_t outsz);

const char *pcr_map_status_str(enum pcr_map_status s);

#endif
