/* Finding libpycache-redirect.so, the file that run and env put in
 * LD_PRELOAD, naming it there (with the loader's $LIB where the install
 * allows), and telling it among LD_PRELOAD's entries. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/libc_compat.h" /* the rows of hooks.def this libc has */
#include "../core/path.h"
#include "cli.h"

#define ENV_LIBRARY "PYCACHE_REDIRECT_LIBRARY"
#define MAX_CANDIDATES 4

/* 0 when path is a readable regular file, else -1 with errno. */
static int usable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode))
		return (errno = EISDIR), -1;
	return access(path, R_OK);
}

/* The dynamic loader splits LD_PRELOAD at spaces as well as colons, so a
 * path with either cannot be preloaded however it is quoted. */
static bool preloadable(const char *path, char *why, size_t whysz)
{
	if (!strpbrk(path, " :"))
		return true;
	pcr_cli_format(why, whysz,
		       "the library's path '%s' contains a space or ':', which "
		       "LD_PRELOAD cannot carry; link or copy the library to a path "
		       "without them and set " ENV_LIBRARY " to it",
		       path);
	return false;
}

/* The hooks of this version's library (preload/hooks.def). */
static const char *const hooks[] = {
#define HOOK_NAME(NAME) #NAME,
#define HOOK_EXECL(NAME, ...) #NAME,
#include "../preload/hooks.def"
#undef HOOK_NAME
#undef HOOK_EXECL
};
#define NHOOKS (sizeof hooks / sizeof *hooks)

struct exports {
	bool seen[NHOOKS];
	size_t others;
	char other[64]; /* the first export that is not a hook, for the message */
};

static bool tally_export(const char *name, void *arg)
{
	struct exports *x = arg;
	for (size_t i = 0; i < NHOOKS; i++)
		if (strcmp(name, hooks[i]) == 0) {
			x->seen[i] = true;
			return true;
		}
	if (x->others++ == 0)
		snprintf(x->other, sizeof x->other, "%s", name);
	return true;
}

bool pcr_cli_library_is_ours(const char *label, const char *path, const char *fix, char *why,
			     size_t whysz)
{
	struct exports x = { 0 };
	if (!pcr_cli_elf_exports(path, tally_export, &x)) {
		pcr_cli_format(why, whysz, "%s is not a shared object this machine loads%s", label,
			       fix);
		return false;
	}
	if (x.others) {
		pcr_cli_format(why, whysz,
			       "%s is not pycache-redirect's library: it exports %zu symbol%s that "
			       "are not hooks (%s)%s",
			       label, x.others, x.others == 1 ? "" : "s", x.other, fix);
		return false;
	}
	for (size_t i = 0; i < NHOOKS; i++)
		if (!x.seen[i]) {
			pcr_cli_format(why, whysz,
				       "%s lacks the hook %s: another version's library%s", label,
				       hooks[i], fix);
			return false;
		}
	return true;
}

static bool from_environment(const char *value, char *out, size_t outsz, char *why, size_t whysz)
{
	if (pcr_cli_absolute(value, out, outsz) == 0) {
		pcr_cli_format(why, whysz, ENV_LIBRARY "='%s' cannot be made absolute: %s", value,
			       strerror(errno));
		return false;
	}
	if (usable(out) < 0) {
		pcr_cli_format(why, whysz,
			       ENV_LIBRARY "='%s' is not a readable file (%s); point it "
					   "at %s or unset it",
			       value, errno == EISDIR ? "not a regular file" : strerror(errno),
			       PCR_LIBRARY_NAME);
		return false;
	}
	char label[PATH_MAX + 64];
	pcr_cli_format(label, sizeof label, ENV_LIBRARY "='%s'", value);
	return pcr_cli_library_is_ours(label, out,
				       "; point it at " PCR_LIBRARY_NAME
				       " of this version (" PCR_VERSION ") or unset it",
				       why, whysz) &&
	       preloadable(out, why, whysz);
}

struct candidates {
	char path[MAX_CANDIDATES][PATH_MAX];
	int count;
};

static void add(struct candidates *c, const char *path, size_t len)
{
	if (len == 0 || len >= PATH_MAX || c->count == MAX_CANDIDATES)
		return;
	for (int i = 0; i < c->count; i++)
		if (strcmp(c->path[i], path) == 0)
			return;
	memcpy(c->path[c->count++], path, len + 1);
}

/* dir/../libdir/pycache-redirect/<name>, for a relative libdir. The
 * program's directory is physical, so ".." leaves it. */
static void add_under(struct candidates *c, const char *dir, const char *libdir)
{
	if (!libdir[0] || libdir[0] == '/')
		return;
	char up[PATH_MAX], path[PATH_MAX];
	int len = snprintf(up, sizeof up, "../%s/" PCR_PLUGIN_DIR "/" PCR_LIBRARY_NAME, libdir);
	if (len <= 0 || (size_t)len >= sizeof up)
		return;
	add(c, path, pcr_normalize_dir(dir[0] ? dir : "/", up, (size_t)len, path, sizeof path));
}

/* Beside this program (the build tree has both files in one directory),
 * then in ../<libdir>/pycache-redirect from it (an installed prefix,
 * wherever it was moved; under /usr the libdir is the loader's, see
 * CMakeLists.txt), then where the build was configured to install it. */
static void collect(struct candidates *c)
{
	char dir[PATH_MAX], path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir);
	char *slash = n > 0 && (size_t)n < sizeof dir ? memrchr(dir, '/', (size_t)n) : NULL;
	if (slash) {
		*slash = '\0';
		int len = snprintf(path, sizeof path, "%s/%s", dir, PCR_LIBRARY_NAME);
		if (len > 0 && (size_t)len < sizeof path)
			add(c, path, (size_t)len);
		add_under(c, dir, PCR_RELATIVE_LIBDIR);
		add_under(c, dir, PCR_LOADER_LIB);
	}
	const char *installed = PCR_INSTALL_LIBDIR "/" PCR_PLUGIN_DIR "/" PCR_LIBRARY_NAME;
	add(c, installed, strlen(installed));
}

bool pcr_cli_find_library(char *out, size_t outsz, char *why, size_t whysz)
{
	const char *value = getenv(ENV_LIBRARY);
	if (value && *value)
		return from_environment(value, out, outsz, why, whysz);

	struct candidates c = { .count = 0 };
	collect(&c);
	for (int i = 0; i < c.count; i++) {
		size_t len = strlen(c.path[i]);
		if (usable(c.path[i]) < 0)
			continue;
		if (len >= outsz) {
			pcr_cli_format(why, whysz, "the library's path '%s' is too long",
				       c.path[i]);
			return false;
		}
		memcpy(out, c.path[i], len + 1);
		return preloadable(out, why, whysz);
	}

	char looked[MAX_CANDIDATES * (PATH_MAX + 2)] = "";
	size_t used = 0;
	for (int i = 0; i < c.count; i++) {
		int len =
		    snprintf(looked + used, sizeof looked - used, "%s%s", i ? ", " : "", c.path[i]);
		if (len < 0 || (size_t)len >= sizeof looked - used)
			break; /* cannot happen: room for every candidate */
		used += (size_t)len;
	}
	pcr_cli_format(why, whysz,
		       "cannot find %s (looked in: %s); set " ENV_LIBRARY " to its path",
		       PCR_LIBRARY_NAME, looked);
	return false;
}

bool pcr_cli_find_library_or_say(char *out, size_t outsz)
{
	char why[MAX_CANDIDATES * (PATH_MAX + 2) + 256];
	if (pcr_cli_find_library(out, outsz, why, sizeof why))
		return true;
	pcr_cli_error("%s", why);
	return false;
}

/* The suffix of every installed library's path. */
#define PLUGIN_TAIL "/" PCR_PLUGIN_DIR "/" PCR_LIBRARY_NAME

size_t pcr_cli_preload_spelling(const char *path, const char *loader_lib, char *out, size_t outsz)
{
	size_t n = strlen(path), lib = strlen(loader_lib), tail = strlen(PLUGIN_TAIL);
	size_t at = n > tail + lib ? n - tail - lib : 0; /* where loader_lib would start */
	int len;
	if (lib && at && path[at - 1] == '/' && memcmp(path + at, loader_lib, lib) == 0 &&
	    strcmp(path + n - tail, PLUGIN_TAIL) == 0)
		len = snprintf(out, outsz, "%.*s$LIB" PLUGIN_TAIL, (int)at, path);
	else
		len = snprintf(out, outsz, "%s", path);
	return len > 0 && (size_t)len < outsz ? (size_t)len : 0;
}

bool pcr_cli_find_preload_or_say(char *out, size_t outsz)
{
	char path[PATH_MAX];
	if (!pcr_cli_find_library_or_say(path, sizeof path))
		return false;
	if (pcr_cli_preload_spelling(path, PCR_LOADER_LIB, out, outsz))
		return true;
	pcr_cli_error("the library's path '%s' is too long", path);
	return false;
}

/* $LIB or ${LIB} at s: the length of the token, else 0. The loader takes
 * the bare form only where no name character follows. */
static size_t lib_token(const char *s)
{
	if (strncmp(s, "${LIB}", 6) == 0)
		return 6;
	if (strncmp(s, "$LIB", 4) == 0 && !(isalnum((unsigned char)s[4]) || s[4] == '_'))
		return 4;
	return 0;
}

size_t pcr_cli_loader_expand(const char *entry, const char *loader_lib, char *out, size_t outsz)
{
	size_t used = 0, lib = strlen(loader_lib);
	for (const char *p = entry; *p;) {
		size_t token = lib_token(p);
		const char *piece = token ? loader_lib : p;
		size_t piece_len = token ? lib : 1;
		if (token && !lib)
			return 0;
		if (used + piece_len >= outsz)
			return 0;
		memcpy(out + used, piece, piece_len);
		used += piece_len;
		p += token ? token : 1;
	}
	if (used >= outsz)
		return 0;
	out[used] = '\0';
	return used;
}

bool pcr_cli_preload_next(const char **list, struct pcr_cli_preload_entry *entry)
{
	const char *p = *list + strspn(*list, " :");
	if (!*p)
		return false;
	size_t n = strcspn(p, " :");
	const char *slash = memrchr(p, '/', n);
	const char *name = slash ? slash + 1 : p;
	size_t name_len = n - (size_t)(name - p);
	*entry = (struct pcr_cli_preload_entry){
		.start = p,
		.len = n,
		.ours = name_len == strlen(PCR_LIBRARY_NAME) &&
			memcmp(name, PCR_LIBRARY_NAME, name_len) == 0,
	};
	*list = p + n;
	return true;
}
