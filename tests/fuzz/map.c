/* libFuzzer target for the hostile input the library takes from every
 * program it is loaded into: the paths of file calls (parser, normaliser,
 * mapper, the hooks' fast test) and the environment's settings.
 *
 * Input: a selector byte, then NUL-separated fields. Each run checks the
 * invariants the redirect's safety rests on, so a violation aborts (a
 * finding) rather than passing quietly. Built by -DPCR_FUZZ=ON with clang;
 * see tests/README.md for the command. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/map.h"
#include "core/path.h"

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static const char root[] = "/home/u/.cache/pycache-redirect";

/* The up to n NUL-separated fields of data, copied NUL-terminated into
 * buf; missing fields are "". */
static void fields(const uint8_t *data, size_t size, char *buf, const char **f, size_t n)
{
	memcpy(buf, data, size);
	buf[size] = '\0';
	size_t k = 0;
	f[k++] = buf;
	for (size_t i = 0; i < size && k < n; i++)
		if (buf[i] == '\0')
			f[k++] = buf + i + 1;
	while (k < n)
		f[k++] = "";
}

/* No "." or ".." component and no "//" in s. */
static bool plain(const char *s)
{
	for (const char *p = s; (p = strchr(p, '/')); p++) {
		const char *c = p + 1;
		if (c[0] == '/' || (c[0] == '.' && (c[1] == '/' || c[1] == '\0')) ||
		    (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0')))
			return false;
	}
	return true;
}

static void check_map(const char *base, const char *path)
{
	struct pcr_mapping m;
	size_t root_len = sizeof root - 1;
	enum pcr_map_status st = pcr_map_path(root, root_len, base[0] == '/' ? base : NULL, path,
					      &pcr_keyer_spelling, &m);
	if (st != PCR_MAP_OK)
		return;
	/* Mapped: the fast test lets it through, and it lands inside the root's
	 * layout directory, on a plain path of the documented shape. */
	CHECK(pcr_might_be_pycache(path));
	CHECK(m.central_len == strlen(m.central) && m.central_len < PATH_MAX);
	CHECK(strncmp(m.central, root, root_len) == 0);
	CHECK(strncmp(m.central + root_len, "/" PCR_LAYOUT "/", 4) == 0);
	/* The name keeps the caller's trailing slashes (the call then fails as
	 * it would in-tree); before them, nothing but plain components. */
	char head[PATH_MAX];
	size_t t = m.central_len;
	while (t > 1 && m.central[t - 1] == '/')
		t--;
	memcpy(head, m.central, t);
	head[t] = '\0';
	CHECK(plain(head + root_len));
	CHECK(m.entry_len <= m.central_len && m.entry_len == root_len + 4 + 3 + PCR_KEY_HEX);
	CHECK(m.is_dir == (m.entry_len == m.central_len));
	if (!m.is_dir) { /* one name, verbatim: no slash but trailing ones */
		const char *name = m.central + m.entry_len + 1;
		size_t k = strcspn(name, "/");
		CHECK(m.central[m.entry_len] == '/' && k > 0 &&
		      name[k + strspn(name + k, "/")] == '\0');
	}
	CHECK(pcr_map_source(&m)[0] == '/' && m.source_len == strlen(pcr_map_source(&m)));
	CHECK(m.cache_end <= strlen(path));
	CHECK(memcmp(path + m.cache_end - PCR_PYCACHE_LEN, PCR_PYCACHE, PCR_PYCACHE_LEN) == 0);
	/* The key is the source's. */
	char key[PCR_KEY_HEX + 1];
	pcr_key(pcr_map_source(&m), m.source_len, key);
	CHECK(memcmp(m.central + m.entry_len - PCR_KEY_HEX, key, PCR_KEY_HEX) == 0);
	/* Deterministic: the same input maps the same way. */
	struct pcr_mapping again;
	CHECK(pcr_map_path(root, root_len, base[0] == '/' ? base : NULL, path, &pcr_keyer_spelling,
			   &again) == PCR_MAP_OK);
	CHECK(strcmp(again.central, m.central) == 0);
}

/* Python 2's sidecars: a name ending in .pyc/.pyo, never a __pycache__
 * path, lands as that very name in its directory's entry. */
static void check_sidecar(const char *base, const char *path)
{
	struct pcr_mapping m, other;
	size_t root_len = sizeof root - 1;
	if (pcr_map_sidecar(root, root_len, base[0] == '/' ? base : NULL, path, &pcr_keyer_spelling,
			    &m) != PCR_MAP_OK)
		return;
	CHECK(pcr_might_be_sidecar(path));
	CHECK(pcr_map_path(root, root_len, base[0] == '/' ? base : NULL, path, &pcr_keyer_spelling,
			   &other) == PCR_MAP_NOT_PYCACHE);
	CHECK(strncmp(m.central, root, root_len) == 0 && plain(m.central + root_len));
	CHECK(m.entry_len == root_len + 4 + 3 + PCR_KEY_HEX && !m.is_dir);
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	CHECK(strcmp(m.central + m.entry_len + 1, name) == 0);
	char key[PCR_KEY_HEX + 1];
	pcr_key(pcr_map_source(&m), m.source_len, key);
	CHECK(memcmp(m.central + m.entry_len - PCR_KEY_HEX, key, PCR_KEY_HEX) == 0);
}

static void check_normalize(const char *base, const char *path)
{
	char out[PATH_MAX];
	size_t n =
	    pcr_normalize_dir(base[0] == '/' ? base : NULL, path, strlen(path), out, sizeof out);
	if (n == 0)
		return;
	CHECK(n == strlen(out) && out[0] == '/');
	CHECK(n == 1 || out[n - 1] != '/');
	/* Idempotent: a normalised directory is its own spelling. */
	char twice[PATH_MAX];
	CHECK(pcr_normalize_dir(NULL, out, n, twice, sizeof twice) == n);
	CHECK(strcmp(out, twice) == 0);
}

static const char *const *env_values;
static const char *fake_getenv(const char *name)
{
	static const char *const names[] = { PCR_ENV_SWITCH, PCR_ENV_DIR,      PCR_ENV_SCOPE,
					     PCR_ENV_LOG,    "XDG_CACHE_HOME", "HOME" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(name, names[i]) == 0)
			return env_values[i][0] ? env_values[i] : NULL;
	return NULL;
}

static void check_config(const char *const *values)
{
	env_values = values;
	struct pcr_config c;
	pcr_config_load(&c, fake_getenv, 1000);
	/* A usable root is absolute, not "/", and normalised (its own spelling;
	 * a ".." after a typed component stays, as core/path.h says). */
	CHECK(c.root_len == strlen(c.root));
	if (c.root_len) {
		char again[PATH_MAX];
		CHECK(c.root[0] == '/' && c.root_len > 1 && c.root[c.root_len - 1] != '/');
		CHECK(pcr_normalize_dir(NULL, c.root, c.root_len, again, sizeof again) ==
		      c.root_len);
		CHECK(strcmp(again, c.root) == 0);
	} else {
		CHECK(!c.enabled && c.problem);
	}
	CHECK(!c.log_file || (c.log_file == c.log_path && c.log_path[0] == '/'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 2 * PATH_MAX)
		return 0;
	char *buf = malloc(size);
	const char *f[6];
	fields(data + 1, size - 1, buf, f, 6);
	switch (data[0] % 4) {
	case 0: check_map(f[0], f[1]); break;
	case 3: check_sidecar(f[0], f[1]); break;
	case 1: check_normalize(f[0], f[1]); break;
	default: check_config(f); break;
	}
	free(buf);
	return 0;
}
