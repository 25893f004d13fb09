/* The tests' one oracle of the documented layout (core/DESIGN.md section 1):
 * keys and central paths computed here with the system's libxxhash, apart
 * from core/, so that the tests check the layout as documented rather than
 * core/ against itself. Header only: the unit tests (tests/unit.h) and the
 * end-to-end harness (tests/harness.c) both include it. */
#ifndef PCR_TESTS_LAYOUT_H
#define PCR_TESTS_LAYOUT_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <xxhash.h>

#include <criterion/criterion.h>

/* A key as the layout spells it: the canonical (big-endian) bytes of an
 * XXH3-128 hash, 32 lowercase hex digits and a NUL. */
static inline void layout_hex(XXH128_hash_t hash, char hex[33])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, hash);
	for (size_t i = 0; i < sizeof c.digest; i++)
		snprintf(hex + 2 * i, 3, "%02x", c.digest[i]);
	hex[32] = '\0';
}

/* The key of a directory keyed by its spelling (pcr_keyer_spelling, what
 * the unit tests use): the hash of the path's len bytes. */
static inline void layout_key_of_spelling(const char *dir, size_t len, char hex[33])
{
	layout_hex(XXH3_128bits(dir, len), hex);
}

/* The key of an existing directory (links followed) keyed by its identity,
 * as the library keys (core/ident.h): 'H', the file handle's type (4 bytes,
 * little-endian) and bytes, then, except on overlayfs, 'F' and the file
 * system's id (8 bytes, little-endian); a file system without an id (0)
 * adds 'P' and the path. */
static inline void layout_key_of_identity(const char *dir, char hex[33])
{
	char path[PATH_MAX];
	int len = snprintf(path, sizeof path, "%s/", dir);
	cr_assert(len > 0 && (size_t)len < sizeof path, "path too long: %s", dir);
	struct {
		struct file_handle h;
		unsigned char bytes[128];
	} fh = { .h.handle_bytes = 128 };
	int mnt;
	cr_assert(name_to_handle_at(AT_FDCWD, path, &fh.h, &mnt, AT_SYMLINK_FOLLOW | 0x200) == 0,
		  "no file handle for %s: %s", path, strerror(errno));
	struct statfs sfs;
	cr_assert(statfs(path, &sfs) == 0);
	unsigned char bytes[256];
	size_t n = 0;
	bytes[n++] = 'H';
	for (int i = 0; i < 4; i++)
		bytes[n++] = (unsigned char)((unsigned)fh.h.handle_type >> (8 * i));
	memcpy(bytes + n, fh.h.f_handle, fh.h.handle_bytes);
	n += fh.h.handle_bytes;
	uint64_t fsid =
	    (uint64_t)(uint32_t)sfs.f_fsid.__val[0] | (uint64_t)(uint32_t)sfs.f_fsid.__val[1] << 32;
	bool overlay = sfs.f_type == 0x794c7630;
	if (!overlay) {
		bytes[n++] = 'F';
		for (int i = 0; i < 8; i++)
			bytes[n++] = (unsigned char)(fsid >> (8 * i));
	}
	XXH3_state_t *st = XXH3_createState();
	cr_assert(st != NULL);
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, bytes, n);
	if (!overlay && fsid == 0) {
		XXH3_128bits_update(st, "P", 1);
		XXH3_128bits_update(st, dir, strlen(dir));
	}
	layout_hex(XXH3_128bits_digest(st), hex);
	XXH3_freeState(st);
}

/* <root>/v2/<k0k1>/<key>[/<name>]; name may be NULL. */
static inline void layout_central(char *out, size_t size, const char *root, const char key[33],
				  const char *name)
{
	int n = snprintf(out, size, "%s/v2/%.2s/%s%s%s", root, key, key, name ? "/" : "",
			 name ? name : "");
	cr_assert(n > 0 && (size_t)n < size, "expected path does not fit");
}

/* The central path of name (NULL: the entry directory) for a source
 * directory, keyed by its spelling (the unit tests) or by the identity of
 * the existing directory (the end-to-end tests). */
static inline void layout_central_of_spelling(char *out, size_t size, const char *root,
					      const char *source, const char *name)
{
	char key[33];
	layout_key_of_spelling(source, strlen(source), key);
	layout_central(out, size, root, key, name);
}

static inline void layout_central_of_dir(char *out, size_t size, const char *root, const char *dir,
					 const char *name)
{
	char key[33];
	layout_key_of_identity(dir, key);
	layout_central(out, size, root, key, name);
}

#endif
