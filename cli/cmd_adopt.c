/* adopt [DIR] [--remove] [--dry-run]: the real __pycache__ directories a
 * tree kept from before the redirect (Python still reads them, editors and
 * git status --ignored still show them) moved into the cache, each pyc to
 * the central name the library gives it (copied, as a file of this user's),
 * and the emptied directory removed.
 * --remove deletes them instead. A __pycache__ that holds anything but
 * pycs is left as it is, and said so. Run without the library active in
 * this process: it reads and moves the real files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/atomic.h"
#include "../core/config.h"
#include "../core/entry.h"
#include "../core/fs.h"
#include "../core/grow.h"
#include "../core/ident.h"
#include "../core/map.h"
#include "../core/path.h"
#include "../core/store.h"
#include "cli.h"

enum { OPT_REMOVE = PCR_CLI_OPT_HELP + 1, OPT_DRY_RUN };

static const struct option options[] = {
	PCR_CLI_HELP_OPTION,
	{ "remove", no_argument, NULL, OPT_REMOVE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ NULL, 0, NULL, 0 },
};

static struct {
	const struct pcr_config *config;
	bool remove, dry_run;
	size_t dirs, pycs, kept_dirs, failed;
	uint64_t bytes;
} adopt;

/* Whether dir holds regular pyc files only (and at least one); what else is
 * there goes into other for the message. */
static bool only_pycs(const char *dir, char *other, size_t size)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(other, size, "cannot be read: %s", strerror(errno));
		return false;
	}
	size_t pycs = 0;
	bool ok = true;
	for (struct dirent *de; ok && (de = readdir(d));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || !pcr_is_pyc_name(de->d_name)) {
			snprintf(other, size, "it holds %s, which is not a pyc", de->d_name);
			ok = false;
		}
		pycs++;
	}
	closedir(d);
	if (ok && pycs == 0) {
		snprintf(other, size, "it is empty");
		ok = false;
	}
	return ok;
}

/* The pyc file into the cache at m's central name: its bytes, read from
 * what was opened (never through a link), written as a file of this user's
 * (with its mode, under a temporary name, then renamed into place), then the in-tree
 * name removed. Never a rename: a file another user owns, or one with a
 * second link, would come into the cache still theirs to write. 0, or -1
 * with errno. */
static int move_into_cache(const char *from, struct pcr_mapping *m)
{
	int in = open(from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return -1;
	struct stat st;
	char *data = NULL;
	int r = -1;
	errno = EINVAL;
	if (fstat(in, &st) == 0 && S_ISREG(st.st_mode) &&
	    (data = malloc((size_t)st.st_size + 1)) != NULL &&
	    read(in, data, (size_t)st.st_size) == st.st_size) {
		char tmp[PATH_MAX + 64];
		r = pcr_atomic_write(&pcr_fs_libc, m->central, tmp, sizeof tmp, data,
				     (size_t)st.st_size, st.st_mode & 0777);
	}
	int e = errno;
	free(data);
	close(in);
	if (r == 0 && unlink(from) < 0)
		return -1;
	errno = e;
	return r;
}

/* One pyc of a __pycache__: moved (or removed), counted. */
static void adopt_pyc(const char *pycache, const char *name)
{
	char from[PATH_MAX];
	if (snprintf(from, sizeof from, "%s/%s", pycache, name) >= (int)sizeof from)
		return;
	struct stat st;
	if (lstat(from, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	adopt.pycs++;
	adopt.bytes += (uint64_t)st.st_size;
	if (adopt.dry_run)
		return;
	if (adopt.remove) {
		if (unlink(from) < 0) {
			pcr_cli_error("adopt: cannot remove %s: %s", from, strerror(errno));
			adopt.failed++;
		}
		return;
	}
	struct pcr_mapping *m = malloc(sizeof *m);
	if (!m) {
		adopt.failed++;
		return;
	}
	const struct pcr_ident_keyer keyer = PCR_IDENT_KEYER(&pcr_fs_libc, NULL);
	const struct pcr_config *c = adopt.config;
	int r = -1;
	if (pcr_map_path(c->root, c->root_len, NULL, from, &keyer.keyer, m) == PCR_MAP_OK) {
		/* The entry as the library makes it (0700, its record). */
		if (pcr_entry_create(&pcr_fs_libc, m) == 0 || errno == EEXIST) {
			/* One already in the cache is what Python reads first: the
			 * in-tree copy goes. */
			struct stat central;
			r = lstat(m->central, &central) == 0 ? unlink(from)
							     : move_into_cache(from, m);
		}
	} else {
		errno = EINVAL;
	}
	if (r < 0) {
		pcr_cli_error("adopt: cannot move %s into the cache: %s", from, strerror(errno));
		adopt.failed++;
	}
	free(m);
}

static void adopt_pycache(const char *pycache)
{
	char other[NAME_MAX + 64];
	if (!only_pycs(pycache, other, sizeof other)) {
		adopt.kept_dirs++;
		fputs("left ", stdout);
		pcr_cli_print_name(stdout, pycache);
		printf(": %s\n", other);
		return;
	}
	size_t before = adopt.pycs;
	uint64_t bytes = adopt.bytes;
	DIR *d = opendir(pycache);
	if (!d)
		return;
	/* The names first: the moves change the directory being read. */
	char(*names)[NAME_MAX + 1] = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (!pcr_is_pyc_name(de->d_name))
			continue;
		char(*grown)[NAME_MAX + 1] = pcr_grow(names, n, &cap, sizeof *names, 16);
		if (!grown)
			break;
		names = grown;
		snprintf(names[n++], sizeof *names, "%s", de->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		adopt_pyc(pycache, names[i]);
	free(names);
	adopt.dirs++;
	char size[PCR_CLI_HUMAN_SIZE];
	printf("%s ", adopt.dry_run ? (adopt.remove ? "would remove" : "would adopt")
				    : (adopt.remove ? "removed" : "adopted"));
	pcr_cli_print_name(stdout, pycache);
	printf(": %zu pyc%s, %s\n", adopt.pycs - before, adopt.pycs - before == 1 ? "" : "s",
	       pcr_cli_human_size(adopt.bytes - bytes, size));
	if (!adopt.dry_run && rmdir(pycache) < 0 && errno != ENOENT) {
		pcr_cli_error("adopt: cannot remove %s: %s", pycache, strerror(errno));
		adopt.failed++;
	}
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (type != FTW_D)
		return FTW_CONTINUE;
	const struct pcr_config *c = adopt.config;
	/* Never the cache itself, if it lies in the tree. */
	if (pcr_store_within(path, c->root, c->root_len))
		return FTW_SKIP_SUBTREE;
	if (strcmp(path + ftw->base, PCR_PYCACHE) != 0)
		return FTW_CONTINUE;
	adopt_pycache(path);
	return FTW_SKIP_SUBTREE;
}

int pcr_cli_adopt(int argc, char **argv)
{
	optind = 0;
	int c;
	adopt.remove = adopt.dry_run = false;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (c == OPT_REMOVE)
			adopt.remove = true;
		else if (c == OPT_DRY_RUN)
			adopt.dry_run = true;
		else
			return pcr_cli_common_option(argv[0], c, argv);
	}
	if (argc - optind > 1)
		return pcr_cli_usage_error("adopt: give at most one directory");
	const char *arg = optind < argc ? argv[optind] : ".";
	struct pcr_config config;
	char dir[PATH_MAX];
	if (!pcr_cli_load_config(&config) || !pcr_cli_tree_arg("adopt", arg, dir, sizeof dir))
		return PCR_CLI_FAILURE;
	/* With the library active here, these calls would see the cache. */
	bool preloaded = false;
	const char *list = getenv("LD_PRELOAD");
	struct pcr_cli_preload_entry entry;
	for (list = list ? list : ""; !preloaded && pcr_cli_preload_next(&list, &entry);)
		preloaded = entry.ours;
	if (preloaded && getenv(PCR_ENV_SCOPE) && strcmp(getenv(PCR_ENV_SCOPE), "all") == 0) {
		pcr_cli_error("adopt: the library is preloaded here with " PCR_ENV_SCOPE
			      "=all, so this command would see the cache, not the tree; "
			      "run it with " PCR_ENV_SCOPE " unset");
		return PCR_CLI_FAILURE;
	}
	if (!adopt.remove && !adopt.dry_run && !pcr_cli_root_made("adopt", &config))
		return PCR_CLI_FAILURE;
	adopt.config = &config;
	adopt.dirs = adopt.pycs = adopt.kept_dirs = adopt.failed = 0;
	adopt.bytes = 0;
	if (nftw(dir, visit, 32, FTW_PHYS | FTW_ACTIONRETVAL) < 0) {
		pcr_cli_error("adopt: cannot walk %s: %s", dir, strerror(errno));
		return PCR_CLI_FAILURE;
	}
	/* What went in is counted as the library counts its writes: the
	 * growth counter starts again from a count of the whole cache. */
	if (!adopt.remove && !adopt.dry_run && adopt.pycs) {
		struct pcr_store_stats s;
		struct pcr_store_error e;
		if (pcr_store_stats(&(struct pcr_store){ .root = config.root }, NULL, &s, &e) == 0)
			pcr_store_counter_reset(config.root, s.bytes);
	}
	char size[PCR_CLI_HUMAN_SIZE];
	printf("%s %zu pyc%s from %zu __pycache__ director%s, %s",
	       adopt.dry_run ? (adopt.remove ? "would remove" : "would adopt")
			     : (adopt.remove ? "removed" : "adopted"),
	       adopt.pycs, adopt.pycs == 1 ? "" : "s", adopt.dirs, adopt.dirs == 1 ? "y" : "ies",
	       pcr_cli_human_size(adopt.bytes, size));
	if (adopt.kept_dirs)
		printf("; left %zu that hold%s more than pycs", adopt.kept_dirs,
		       adopt.kept_dirs == 1 ? "s" : "");
	putchar('\n');
	return adopt.failed ? PCR_CLI_FAILURE : PCR_CLI_OK;
}
