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

size_t pcr_entry_dir(const char *root, size_t root_len, const char *key, char *out, size_t outsz)
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

/* The component of s that ends at *end (slashes before that skipped): its
 * start, with *end moved to it and its length in *clen; NULL when none is
 * left. */
static const char *prev_component(const char *s, size_t *end, size_t *clen)
{
	size_t e = *end;
	while (e > 0 && s[e - 1] == '/')
		e--;
	if (e == 0)
		return NULL;
	size_t b = e;
	while (b > 0 && s[b - 1] != '/')
		b--;
	*clen = e - b;
	*end = b;
	return s + b;
}

static bool is_dotdot(const char *c, size_t clen)
{
	return clen == 2 && c[0] == '.' && c[1] == '.';
}

/* Whether dir with every ".." collapsed into the component before it lies
 * in root (normalised, no ".."). Read from the right, where a ".." drops the
 * next component kept, so that the collapsed spelling needs no buffer: the
 * components kept, numbered from the left, must begin with root's. */
static bool collapsed_in_root(const char *root, size_t root_len, const char *dir, size_t len)
{
	size_t kept = 0, skip = 0, want = 0, end = len, clen;
	const char *c;
	while ((c = prev_component(dir, &end, &clen)))
		if (is_dotdot(c, clen))
			skip++;
		else if (skip)
			skip--;
		else
			kept++;
	for (end = root_len; prev_component(root, &end, &clen);)
		want++;
	if (kept < want)
		return false;
	size_t index = kept, root_end = root_len, rlen;
	skip = 0;
	for (end = len; (c = prev_component(dir, &end, &clen));) {
		if (is_dotdot(c, clen)) {
			skip++;
			continue;
		}
		if (skip) {
			skip--;
			continue;
		}
		if (--index >= want)
			continue;
		const char *r = prev_component(root, &root_end, &rlen);
		if (rlen != clen || memcmp(r, c, clen) != 0)
			return false;
	}
	return true;
}

/* Whether dir lies in the root. Inside the root every directory is a real
 * one the library made, so ".." there is exact: dir is judged with all of its
 * ".." collapsed ("<root>/../x" is not in the root, "<root>/v2/../v2" is). */
static bool under_root(const char *root, size_t root_len, const char *dir, size_t len)
{
	if (root_len == 1)
		return true; /* a root of "/" holds everything */
	if (has_dotdot(dir, len))
		return collapsed_in_root(root, root_len, dir, len);
	return len >= root_len && memcmp(dir, root, root_len) == 0 &&
	       (len == root_len || dir[root_len] == '/');
}

/* The mapping of a parsed path: its directory's entry, and the name. All of
 * it in m->central (see struct pcr_mapping): the source spelling first,
 * after the place of the central path, which is then written before it. */
static enum pcr_map_status map_ref(const char *root, size_t root_len, const char *base,
				   const char *path, const struct pcr_pycache_ref ref,
				   const struct pcr_keyer *keyer, struct pcr_mapping *m)
{
	m->central[0] = '\0'; /* a string, whatever comes */
	m->is_dir = ref.tail[0] == '\0';
	size_t tail_len = m->is_dir ? 0 : strlen(ref.tail);
	size_t entry_len = root_len + sizeof "/" PCR_LAYOUT "/" - 1 + 3 + PCR_KEY_HEX;
	size_t central_len = entry_len + (m->is_dir ? 0 : 1 + tail_len);
	size_t record_end = entry_len + sizeof PCR_SOURCE_SUFFIX - 1;
	m->source_at = (central_len > record_end ? central_len : record_end) + 1;
	if (m->source_at + 2 + PCR_MAP_DIR_ROOM > sizeof m->central)
		return PCR_MAP_TOO_LONG;
	size_t room = sizeof m->central - m->source_at - PCR_MAP_DIR_ROOM;
	char *source = pcr_map_source(m);
	if (path[0] != '/' && (!base || base[0] != '/')) {
		m->source_len = room; /* for the base, read in place */
		return PCR_MAP_NEED_BASE;
	}

	m->source_len = pcr_normalize_dir(base, path, ref.dir_len, source, room);
	if (m->source_len == 0)
		return PCR_MAP_TOO_LONG;
	if (under_root(root, root_len, source, m->source_len))
		return PCR_MAP_UNDER_ROOT;

	char key[PCR_KEY_HEX + 1];
	if (!keyer->key(keyer, source, m->source_len, key))
		return PCR_MAP_NO_DIR;
	unsigned long long bits = 0;
	for (int i = 0; i < 16; i++)
		bits = bits << 4 |
		       (unsigned long long)(key[i] <= '9' ? key[i] - '0' : key[i] - 'a' + 10);
	m->entry_bits = bits | 1;
	m->entry_len = pcr_entry_dir(root, root_len, key, m->central, m->source_at);
	size_t n = m->entry_len;
	if (!m->is_dir) {
		m->central[n++] = '/';
		memcpy(m->central + n, ref.tail, tail_len + 1);
		n += tail_len;
	}
	m->central_len = n;
	m->cache_end = ref.cache_end;
	return PCR_MAP_OK;
}

enum pcr_map_status pcr_map_path(const char *root, size_t root_len, const char *base,
				 const char *path, const struct pcr_keyer *keyer,
				 struct pcr_mapping *m)
{
	struct pcr_pycache_ref ref;
	switch (pcr_parse_pycache(path, &ref)) {
	case PCR_PARSE_NONE: return PCR_MAP_NOT_PYCACHE;
	case PCR_PARSE_REFUSED: return PCR_MAP_REFUSED;
	case PCR_PARSE_DIR:
	case PCR_PARSE_ENTRY: break;
	}
	return map_ref(root, root_len, base, path, ref, keyer, m);
}

enum pcr_map_status pcr_map_sidecar(const char *root, size_t root_len, const char *base,
				    const char *path, const struct pcr_keyer *keyer,
				    struct pcr_mapping *m)
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

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool pcr_map_is_entry(const char *root, size_t root_len, const char *path, size_t len)
{
	static const char layout[] = "/" PCR_LAYOUT "/";
	size_t at = root_len + sizeof layout - 1;
	if (len != at + 3 + PCR_KEY_HEX || memcmp(path, root, root_len) != 0 ||
	    memcmp(path + root_len, layout, sizeof layout - 1) != 0)
		return false;
	const char *shard = path + at, *key = shard + 3;
	return shard[2] == '/' && lower_hex(key, PCR_KEY_HEX) && memcmp(shard, key, 2) == 0;
}
