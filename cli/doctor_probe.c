/* doctor's test of one interpreter (doctor.h): a package in a temporary
 * tree, imported with the library preloaded and a temporary cache root;
 * then whether the bytecode is where the library would have put it. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/fs.h"
#include "../core/ident.h"
#include "../core/map.h"
#include "child.h"
#include "doctor.h"

extern char **environ;

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rmtree(const char *dir) { nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS); }

static bool write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

/* A temporary directory (physical path) holding tree/pkg/{__init__,mod}.py;
 * false with the reason in why. */
static bool make_probe_tree(char *dir, size_t size, char *why, size_t whysize)
{
	const char *tmp = getenv("TMPDIR");
	char templ[PATH_MAX], path[PATH_MAX + 64];
	snprintf(templ, sizeof templ, "%s/pcr-doctor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(templ) || !realpath(templ, dir) || strlen(dir) >= size - 64) {
		snprintf(why, whysize, "cannot create a temporary directory like %s: %s", templ,
			 strerror(errno));
		return false;
	}
	snprintf(path, sizeof path, "%s/tree", dir);
	bool ok = mkdir(path, 0700) == 0;
	snprintf(path, sizeof path, "%s/tree/pkg", dir);
	ok = ok && mkdir(path, 0700) == 0;
	snprintf(path, sizeof path, "%s/tree/pkg/__init__.py", dir);
	ok = ok && write_text(path, "");
	snprintf(path, sizeof path, "%s/tree/pkg/mod.py", dir);
	ok = ok && write_text(path, "VALUE = 42\n");
	if (!ok) {
		snprintf(why, whysize, "cannot write the test package in %s: %s", dir,
			 strerror(errno));
		rmtree(dir);
	}
	return ok;
}

static bool steers_bytecode(const char *entry)
{
	static const char *const names[] = {
		"LD_PRELOAD=", "PYTHONDONTWRITEBYTECODE=", "PYTHONPYCACHEPREFIX=",
		"PYCACHE_REDIRECT", /* every one of ours */
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/* This environment minus everything that steers bytecode or the redirect,
 * plus the library and the temporary root. free() it (the strings in
 * extra are the caller's). */
static char **probe_environment(char *const *extra)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	while (extra[k])
		k++;
	char **env = malloc((n + k + 1) * sizeof *env);
	if (!env)
		return NULL;
	size_t used = 0;
	for (size_t i = 0; i < n; i++)
		if (!steers_bytecode(environ[i]))
			env[used++] = environ[i];
	for (size_t i = 0; i < k; i++)
		env[used++] = extra[i];
	env[used] = NULL;
	return env;
}

#define PROBE_TAG "pcr-doctor-tag:"
/* Python 2 has no sys.implementation: "py2", whose pycs sit beside the
 * sources (pcr_map_sidecar). */
#define PROBE_TAG_PY2 "py2"
#define PROBE_CODE                                                            \
	"import sys; sys.path.insert(0, sys.argv[1]); import pkg.mod; "       \
	"print('" PROBE_TAG "' + str(getattr(getattr(sys, 'implementation', " \
	"None), 'cache_tag', '" PROBE_TAG_PY2 "' if sys.version_info[0] == 2 else None)))"

/* What the probe's run says: the interpreter's cache tag, or a problem. */
static bool probe_tag(struct pcr_cli_probe *p, const struct pcr_cli_child *r, char *tag,
		      size_t size)
{
	char line[1024];
	if (r->timed_out) {
		snprintf(p->detail, sizeof p->detail, "the test import did not finish in %d s",
			 PCR_CLI_DOCTOR_TIMEOUT_MS / 1000);
		return false;
	}
	const char *found = strstr(r->out, PROBE_TAG);
	if (r->status != 0 || !found) {
		snprintf(p->detail, sizeof p->detail,
			 "the test import failed (exit %d) under the library: %s", r->status,
			 pcr_cli_first_line(r->out, line, sizeof line));
		snprintf(p->fix, sizeof p->fix,
			 "run it by hand with " PCR_ENV_LOG "=2 to see the library's messages");
		return false;
	}
	found += strlen(PROBE_TAG);
	snprintf(tag, size, "%.*s", (int)strcspn(found, "\n"), found);
	if (strcmp(tag, "None") == 0) {
		snprintf(p->detail, sizeof p->detail,
			 "this interpreter caches no bytecode (sys.implementation.cache_tag "
			 "is None): nothing to redirect");
		return false;
	}
	return true;
}

/* Whether the import wrote into the tree, and whether the pyc is central. */
static void probe_verdict(struct pcr_cli_probe *p, const char *dir, const char *tag)
{
	char pycache[PATH_MAX + 32], pyc[PATH_MAX + 128], root[PATH_MAX + 8];
	bool py2 = strcmp(tag, PROBE_TAG_PY2) == 0;
	snprintf(pycache, sizeof pycache, "%s/tree/pkg/__pycache__", dir);
	if (py2) /* the sidecar beside mod.py */
		snprintf(pyc, sizeof pyc, "%s/tree/pkg/mod.pyc", dir);
	else
		snprintf(pyc, sizeof pyc, "%s/mod.%s.pyc", pycache, tag);
	snprintf(root, sizeof root, "%s/cache", dir);
	struct stat st;
	if (lstat(py2 ? pyc : pycache, &st) == 0) {
		snprintf(p->detail, sizeof p->detail,
			 "the import wrote %s into the source tree: the library did not "
			 "redirect this interpreter",
			 py2 ? "pkg/mod.pyc" : "__pycache__");
		snprintf(p->fix, sizeof p->fix,
			 "run it with " PCR_ENV_LOG "=1 and " PCR_ENV_SCOPE "=all to see why; "
			 "a statically linked or setuid interpreter cannot be preloaded");
		return;
	}
	struct pcr_mapping *m = malloc(sizeof *m);
	if (!m) {
		snprintf(p->detail, sizeof p->detail, "out of memory");
		return;
	}
	const struct pcr_ident_keyer keyer = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	enum pcr_map_status mapped =
	    py2 ? pcr_map_sidecar(root, strlen(root), NULL, pyc, &keyer.keyer, m)
		: pcr_map_path(root, strlen(root), NULL, pyc, &keyer.keyer, m);
	if (mapped != PCR_MAP_OK) {
		snprintf(p->detail, sizeof p->detail, "cannot map %s", pyc);
	} else if (stat(m->central, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(p->detail, sizeof p->detail,
			 "the import left no bytecode in the tree, but none in the cache "
			 "either (expected %s)",
			 m->central);
		snprintf(p->fix, sizeof p->fix,
			 "run it with " PCR_ENV_LOG "=2 to see the "
			 "library's rewrites");
	} else {
		p->ok = true;
		snprintf(p->detail, sizeof p->detail,
			 "an import through the library landed in the cache (%s)", tag);
	}
	free(m);
}

void pcr_cli_probe_interpreter(const struct pcr_cli_interpreter *py, const char *library,
			       struct pcr_cli_probe *result)
{
	result->ok = false;
	snprintf(result->detail, sizeof result->detail, "out of memory");
	result->fix[0] = '\0';
	char dir[PATH_MAX], tree[PATH_MAX + 8], preload[PATH_MAX + 16], root[PATH_MAX + 32];
	if (!make_probe_tree(dir, sizeof dir, result->detail, sizeof result->detail)) {
		snprintf(result->fix, sizeof result->fix, "set TMPDIR to a writable directory");
		return;
	}
	snprintf(tree, sizeof tree, "%s/tree", dir);
	snprintf(preload, sizeof preload, "LD_PRELOAD=%s", library);
	snprintf(root, sizeof root, PCR_ENV_DIR "=%s/cache", dir);
	char *extra[] = { preload, root, PCR_ENV_LOG "=1", NULL };
	char **env = probe_environment(extra);
	struct pcr_cli_child *r = malloc(sizeof *r);
	char tag[64];
	if (env && r) {
		char *argv[] = { (char *)py->real, "-c", PROBE_CODE, tree, NULL };
		pcr_cli_child_exec(r, tree, argv, env, PCR_CLI_DOCTOR_TIMEOUT_MS);
		if (probe_tag(result, r, tag, sizeof tag))
			probe_verdict(result, dir, tag);
	}
	free(r);
	free(env);
	rmtree(dir);
}
