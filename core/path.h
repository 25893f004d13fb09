/* Path parsing and lexical normalisation: where the __pycache__ component is,
 * and the absolute, normalised spelling of the directory that holds it.
 * Pure functions: no allocation, no syscalls, no globals. */
#ifndef PCR_PATH_H
#define PCR_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define PCR_PYCACHE "__pycache__"
#define PCR_PYCACHE_LEN (sizeof PCR_PYCACHE - 1)

enum pcr_parse {
	PCR_PARSE_NONE,    /* no __pycache__ component: not ours */
	PCR_PARSE_DIR,     /* the __pycache__ directory itself */
	PCR_PARSE_ENTRY,   /* one name inside __pycache__ */
	PCR_PARSE_REFUSED, /* __pycache__ with a tail we never map (., .., deeper levels) */
};

struct pcr_pycache_ref {
	size_t dir_len;   /* bytes of the path before the __pycache__ component */
	size_t cache_end; /* bytes of the path up to the end of "__pycache__" */
	const char *tail; /* after "__pycache__/": the entry name, verbatim (may end in '/') */
};

/* Whether the bytes of path before end, its slashes there left out, end
 * with a component named __pycache__. */
static inline __attribute__((always_inline)) bool pcr_ends_in_pycache(const char *path,
								      const char *end)
{
	while (end > path && end[-1] == '/')
		end--;
	return (size_t)(end - path) >= PCR_PYCACHE_LEN &&
	       memcmp(end - PCR_PYCACHE_LEN, PCR_PYCACHE, PCR_PYCACHE_LEN) == 0 &&
	       (end - PCR_PYCACHE_LEN == path || end[-(ptrdiff_t)PCR_PYCACHE_LEN - 1] == '/');
}

/* Whether path may be one that pcr_parse_pycache maps: its last or
 * next-to-last component is __pycache__. Every path the parser calls a DIR or
 * an ENTRY passes; most others are told apart by one strrchr. The hooks' fast
 * path, so it is here to be inlined; it calls nothing else, so that the hook
 * saves no more registers than the strrchr call needs. */
static inline __attribute__((always_inline)) bool pcr_might_be_pycache(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *last = slash ? slash + 1 : path;
	if (*last == '\0' && slash) { /* trailing slashes, rare */
		const char *last_end = slash;
		while (last_end > path && last_end[-1] == '/')
			last_end--;
		const char *l = last_end;
		while (l > path && l[-1] != '/')
			l--;
		return pcr_ends_in_pycache(path, last_end) || pcr_ends_in_pycache(path, l);
	}
	/* Most paths: neither component can be __pycache__. */
	if (last[0] != '_' && slash && slash > path && slash[-1] != '_' && slash[-1] != '/')
		return false;
	if (last[0] == '_') { /* byte by byte: strcmp would be a call */
		size_t i = 1;
		while (i <= PCR_PYCACHE_LEN && last[i] == PCR_PYCACHE[i])
			i++;
		if (i > PCR_PYCACHE_LEN)
			return true;
	}
	return slash && pcr_ends_in_pycache(path, slash);
}

/* The first component named exactly __pycache__, and what follows it. */
enum pcr_parse pcr_parse_pycache(const char *path, struct pcr_pycache_ref *ref);

/* Whether a name (or a path) ends in ".pyc": a pyc's final name. A writer's
 * temporary name never does: it ends in digits (core/atomic.h). */
static inline bool pcr_is_pyc_name(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && memcmp(name + n - 4, ".pyc", 4) == 0;
}

/* Python 2's sidecar pycs: a last component "<name>.pyc" or "<name>.pyo",
 * written beside <name>.py. The hooks' fast test for them, in processes that
 * run Python 2 only. */
static inline bool pcr_might_be_sidecar(const char *path)
{
	size_t n = strlen(path);
	return n > 4 && path[n - 4] == '.' && path[n - 3] == 'p' && path[n - 2] == 'y' &&
	       (path[n - 1] == 'c' || path[n - 1] == 'o') && path[n - 5] != '/';
}

/* A sidecar path (no __pycache__ component, see pcr_might_be_sidecar) as an
 * ENTRY of its directory: dir_len bytes name the directory (with its slash;
 * 0: the current one), cache_end is dir_len, tail the name. NONE otherwise. */
enum pcr_parse pcr_parse_sidecar(const char *path, struct pcr_pycache_ref *ref);

/* Normalise the directory spelled by the first len bytes of path.
 * A relative path is resolved against base, an absolute physical directory
 * (getcwd(), or the target of a dirfd). "." and empty components go; ".." goes
 * with the component before it only when that component is physical (it came
 * from base) or at "/": after a component the caller typed, which may be a
 * symlink, ".." is kept, so two different directories never share a spelling.
 * Writes a NUL-terminated absolute path without a trailing slash ("/" for the
 * root) and returns its length, or 0 when it does not fit in outsz, or when a
 * relative path comes without an absolute base. base may be out itself (the
 * caller read it into the buffer): it is normalised where it lies. */
size_t pcr_normalize_dir(const char *base, const char *path, size_t len, char *out, size_t outsz);

#endif
