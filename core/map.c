#include "map.h"

#include <string.h>

#include "path.h"

/* Appends s[0..len) at *n when it fits, keeping room for the NUL. */
static bool put(char *out, size_t outsz, size_t *n, const char *s, size_t len)
{
	if (*n + len + 1 > outsz)
		return false;
	memcpy(out + *n, s, len);
	*n += len;
	out[*n] = '\0';
	return true;
}

size_t pcr_entry_dir(const char *root, size_t root_len, const char *key, char *out,
		     size_t outsz)
{
	size_t n = 0;
	if (put(out, outsz, &n, root, root_len) &&
	    put(out, outsz, &n, "/" PCR_LAYOUT "/", sizeof PCR_LAYOUT + 1) &&
	    put(out, outsz, &n, key, 2) && put(out, outsz, &n, "/", 1) &&
	    put(out, outsz, &n, key, PCR_KEY_HEX))
		return n;
	return 0;
}

/* Whether dir, absolute and normalised, has a ".." component. */
static bool has_dotdot(const char *dir, size_t len)
{
	const char *end = dir + len;
	for (const char *p = dir; (p = memchr(p, '.', (size_t)(end - p))); p++)
		if (p[-1] == '/' && p + 1 < end && p[1] == '.' && (p + 2 == end || p[2] == '/'))
			return true;
	return false;
}

/* Whether dir lies in the root. Inside the root every directory is a real
 * one the library made, so ".." there is exact: dir is judged with all of its
 * ".." collapsed ("<root>/../x" is not in the root, "<root>/v2/../v2" is).
 * scratch holds the collapsed spelling when dir has a "..". */
static bool under_root(const char *root, size_t root_len, const char *dir,
		       size_t len, char *scratch, size_t scratch_size)
{
	if (root_len == 1)
		return true; /* a root of "/" holds everything */
	if (has_dotdot(dir, len)) {
		/* As a base, every component counts as physical: all ".." collapse. */
		len = pcr_normalize_dir(dir, "", 0, scratch, scratch_size);
		dir = scratch;
	}
	return len >= root_len && memcmp(dir, root, root_len) == 0 &&
	       (len == root_len || dir[root_len] == '/');
}

/* The mapping of a parsed path: its directory's entry, and the name. */
static enum pcr_map_status map_ref(const char *root, size_t root_len, const char *base,
				   const char *path, const struct pcr_pycache_ref ref,
				   const struct pcr_keyer *keyer, struct pcr_mapping *m)
{
	if (path[0] != '/' && (!base || base[0] != '/'))
		return PCR_MAP_NEED_BASE;

	m->source_len = pcr_normalize_dir(base, path, ref.dir_len, m->source,
					  sizeof m->source);
	if (m->source_len == 0)
		return PCR_MAP_TOO_LONG;
	if (under_root(root, root_len, m->source, m->source_len, m->central, sizeof m->central))
		return PCR_MAP_UNDER_ROOT;

	char key[PCR_KEY_HEX + 1];
	if (!keyer->key(keyer, m->source, m->source_len, key))
		return PCR_MAP_NO_DIR;
	unsigned long long bits = 0;
	for (int i = 0; i < 16; i++)
		bits = bits << 4 |
		       (unsigned long long)(key[i] <= '9' ? key[i] - '0' : key[i] - 'a' + 10);
	m->entry_bits = bits | 1;
	m->entry_len = pcr_entry_dir(root, root_len, key, m->central, sizeof m->central);
	if (m->entry_len == 0)
		return PCR_MAP_TOO_LONG;
	size_t n = m->entry_len;
	m->is_dir = ref.tail[0] == '\0';
	if (!m->is_dir && !(put(m->central, sizeof m->central, &n, "/", 1) &&
			    put(m->central, sizeof m->central, &n, ref.tail, strlen(ref.tail))))
		return PCR_MAP_TOO_LONG;
	m->central_len = n;
	m->cache_end = ref.cache_end;
	return PCR_MAP_OK;
}

enum pcr_map_status pcr_map_path(const char *root, size_t root_len,
				 const char *base, const char *path,
				 const struct pcr_keyer *keyer, struct pcr_mapping *m)
{
	struct pcr_pycache_ref ref;
	switch (pcr_parse_pycache(path, &ref)) {
	case PCR_PARSE_NONE:
		return PCR_MAP_NOT_PYCACHE;
	case PCR_PARSE_REFUSED:
		return PCR_MAP_REFUSED;
	case PCR_PARSE_DIR:
	case PCR_PARSE_ENTRY:
		break;
	}
	return map_ref(root, root_len, base, path, ref, keyer, m);
}

enum pcr_map_status pcr_map_sidecar(const char *root, size_t root_len,
				    const char *base, const char *path,
				    const struct pcr_keyer *keyer, struct pcr_mapping *m)
{
	struct pcr_pycache_ref ref;
	if (pcr_parse_sidecar(path, &ref) != PCR_PARSE_ENTRY)
		return PCR_MAP_NOT_PYCACHE;
	return map_ref(root, root_len, base, path, ref, keyer, m);
}

const char *pcr_map_status_str(enum pcr_map_status s)
{
	switch (s) {
	case PCR_MAP_OK: return "mapped";
	case PCR_MAP_NOT_PYCACHE: return "no __pycache__ component";
	case PCR_MAP_REFUSED: return "a name inside __pycache__ that is never mapped";
	case PCR_MAP_NEED_BASE: return "a relative path without a usable base directory";
	case PCR_MAP_TOO_LONG: return "too long to map";
	case PCR_MAP_UNDER_ROOT: return "already inside the cache root";
	case PCR_MAP_NO_DIR: return "no directory there to key";
	}
	return "unknown";
}
