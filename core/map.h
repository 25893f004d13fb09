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
	PCR_MAP_TOO_LONG,    /* the source or central path would not fit PATH_MAX */
	PCR_MAP_UNDER_ROOT,  /* already inside the cache root: never mapped twice */
	PCR_MAP_NO_DIR,      /* the keyer found no directory there (missing, a file,
			      * not searchable): the call goes through as it is */
};

/* How a source directory gets its key: from its identity (core/ident.h, for
 * the library and the command), or by any rule a test needs. */
struct pcr_keyer {
	/* The key of the directory spelled dir (len bytes, absolute and
	 * normalised) into hex (PCR_KEY_HEX digits and a NUL); false, with
	 * errno, when there is no directory to key. */
	bool (*key)(const struct pcr_keyer *self, const char *dir, size_t len, char *hex);
};

/* The key of the spelling itself (pcr_key): layout v1's rule, for tests of
 * the mapping that need no file system. */
extern const struct pcr_keyer pcr_keyer_spelling;

struct pcr_mapping {
	char central[PATH_MAX]; /* <root>/v2/<k0k1>/<key>[/<name>] */
	size_t central_len;
	size_t entry_len;       /* leading bytes of central that name the entry directory */
	char source[PATH_MAX];  /* the normalised directory that holds __pycache__ */
	size_t source_len;
	size_t cache_end;       /* bytes of the original path up to the end of "__pycache__"
				 * (a sidecar's: of its directory, slash included) */
	bool is_dir;            /* the path names the __pycache__ directory itself */
	unsigned long long entry_bits; /* see pcr_entry_bits */
};

/* Map path (relative ones against base, an absolute physical directory, or
 * NULL when the caller has none yet) under root, a normalised absolute
 * directory of root_len bytes. m is valid only when it returns PCR_MAP_OK,
 * and is scratch otherwise. */
enum pcr_map_status pcr_map_path(const char *root, size_t root_len,
				 const char *base, const char *path,
				 const struct pcr_keyer *keyer, struct pcr_mapping *m);

/* The same for Python 2's sidecar pycs (core/path.h): <dir>/<name>.pyc
 * and .pyo map to <root>/v2/<k0k1>/<key of dir>/<name>.pyc, in the entry a
 * __pycache__ of dir would have (no name is shared: Python 3's carry a tag).
 * PCR_MAP_NOT_PYCACHE for any other path. */
enum pcr_map_status pcr_map_sidecar(const char *root, size_t root_len,
				    const char *base, const char *path,
				    const struct pcr_keyer *keyer, struct pcr_mapping *m);

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
size_t pcr_entry_dir(const char *root, size_t root_len, const char *key, char *out,
		     size_t outsz);

const char *pcr_map_status_str(enum pcr_map_status s);

#endif
