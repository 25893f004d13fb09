#include "path.h"

#include <string.h>

static bool is_pycache_at(const char *path, const char *p)
{
	return (p == path || p[-1] == '/') &&
	       (p[PCR_PYCACHE_LEN] == '\0' || p[PCR_PYCACHE_LEN] == '/');
}

enum pcr_parse pcr_parse_pycache(const char *path, struct pcr_pycache_ref *ref)
{
	if (!path)
		return PCR_PARSE_NONE;
	const char *p = path;
	while ((p = strstr(p, PCR_PYCACHE)) && !is_pycache_at(path, p))
		p += PCR_PYCACHE_LEN;
	if (!p)
		return PCR_PARSE_NONE;

	ref->dir_len = (size_t)(p - path);
	ref->cache_end = ref->dir_len + PCR_PYCACHE_LEN;
	const char *t = p + PCR_PYCACHE_LEN;
	while (*t == '/')
		t++;
	ref->tail = t;
	if (*t == '\0')
		return PCR_PARSE_DIR;

	/* One name, perhaps followed by slashes; never ".", ".." or a deeper level,
	 * which could not keep its meaning inside one flat entry directory. */
	size_t name_len = strcspn(t, "/");
	if ((name_len == 1 && t[0] == '.') || (name_len == 2 && t[0] == '.' && t[1] == '.'))
		return PCR_PARSE_REFUSED;
	for (const char *s = t + name_len; *s; s++)
		if (*s != '/')
			return PCR_PARSE_REFUSED;
	return PCR_PARSE_ENTRY;
}

enum pcr_parse pcr_parse_sidecar(const char *path, struct pcr_pycache_ref *ref)
{
	if (!path || !pcr_might_be_sidecar(path) || pcr_parse_pycache(path, ref) != PCR_PARSE_NONE)
		return PCR_PARSE_NONE;
	const char *slash = strrchr(path, '/');
	ref->tail = slash ? slash + 1 : path;
	ref->dir_len = (size_t)(ref->tail - path);
	ref->cache_end = ref->dir_len;
	return PCR_PARSE_ENTRY;
}

struct norm {
	char *out;
	size_t size;
	size_t len;      /* bytes written, without the NUL */
	size_t physical; /* leading bytes that name physical directories */
};

static bool norm_walk(struct norm *n, const char *s, size_t len, bool physical)
{
	const char *end = s + len;
	for (const char *c = s, *next; c < end; c = next) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		size_t clen = (size_t)((slash ? slash : end) - c);
		next = slash ? slash + 1 : end;
		if (clen == 0 || (clen == 1 && c[0] == '.'))
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			if (n->len == 0)
				continue; /* "/.." is "/" */
			if (n->len <= n->physical) {
				n->len =
				    (size_t)((const char *)memrchr(n->out, '/', n->len) - n->out);
				n->physical = n->len;
				continue;
			}
		}
		if (n->len + 1 + clen + 1 > n->size)
			return false;
		n->out[n->len++] = '/';
		memmove(n->out + n->len, c, clen); /* base may lie in out */
		n->len += clen;
		if (physical)
			n->physical = n->len;
	}
	return true;
}

size_t pcr_normalize_dir(const char *base, const char *path, size_t len, char *out, size_t outsz)
{
	if (!path || outsz < 2)
		return 0;
	struct norm n = { .out = out, .size = outsz };
	if (len == 0 || path[0] != '/') {
		if (!base || base[0] != '/' || !norm_walk(&n, base, strlen(base), true))
			return 0;
	}
	if (!norm_walk(&n, path, len, false))
		return 0;
	if (n.len == 0)
		out[n.len++] = '/';
	out[n.len] = '\0';
	return n.len;
}
