/* The size limit, kept without a scan in any host process: the library
 * counts what it writes (core/counter.h); run and env compare the count with
 * the limit before they start Python and, past the limit, remove orphans and
 * then the least recently used entries down to 90 % of it in a detached
 * process (so that they start at once); config max-size and prune do it
 * there and then. One cleanup at a time: the one holding the lock on the
 * counter file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/root.h"
#include "../core/fs.h"
#include "../core/store.h"
#include "cli.h"

uint64_t pcr_cli_cleanup_target(uint64_t limit) { return limit / 10 * 9 + limit % 10 * 9 / 10; }

int pcr_cli_cleanup(const char *root, uint64_t limit, bool only_when_over,
		    struct pcr_store_removed *r, struct pcr_store_error *e)
{
	*r = (struct pcr_store_removed){ 0 };
	int lock = pcr_store_counter_open(root, O_RDONLY);
	if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) < 0) {
		close(lock);
		return 1; /* another cleanup is at it */
	}
	/* Under the lock, again: the cleanup that held it may have done it all. */
	if (only_when_over && pcr_store_counter_estimate(root) <= limit) {
		if (lock >= 0)
			close(lock);
		return 1;
	}
	struct pcr_prune_rules rules = { .orphans = true,
					 .by_size = limit != 0,
					 .max_bytes = pcr_cli_cleanup_target(limit),
					 .only_above = limit };
	int status = pcr_store_prune(&(struct pcr_store){ .root = root }, &rules, r, NULL, NULL, e);
	if (status == 0)
		pcr_store_counter_reset(root, r->left_disk);
	if (lock >= 0)
		close(lock);
	return status;
}

void pcr_cli_report_cleanup(const struct pcr_cli_limit *l, const struct pcr_store_removed *r)
{
	char limit[PCR_CLI_HUMAN_SIZE], gone[PCR_CLI_HUMAN_SIZE], left[PCR_CLI_HUMAN_SIZE];
	pcr_cli_error("the cache passed its size limit of %s (%s): removed %zu entr%s, "
		      "%zu file%s, %s on disk; %s left",
		      pcr_cli_human_size(l->bytes, limit), pcr_cli_limit_origin_str(l->origin),
		      r->entries, r->entries == 1 ? "y" : "ies", r->files, r->files == 1 ? "" : "s",
		      pcr_cli_human_size(r->disk, gone), pcr_cli_human_size(r->left_disk, left));
}

/* The cleanup, in a grandchild that nobody waits for: the caller goes on
 * (or execs its command) at once, and never gets a child it did not make. */
static void detach_cleanup(const char *root, uint64_t limit)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return;
	if (pid > 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	if (setsid() < 0 || fork() != 0)
		_exit(0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0)
		for (int fd = 0; fd < 3; fd++)
			dup2(null, fd);
	setpriority(PRIO_PROCESS, 0, 10);
	struct pcr_store_removed r;
	struct pcr_store_error e;
	pcr_cli_cleanup(root, limit, true, &r, &e);
	pcr_store_counts_fold(root, PCR_CLI_FOLD_AT, PCR_CLI_FOLD_GRACE_MS);
	_exit(0);
}

static const char *environment(const char *name) { return getenv(name); }

/* Whether the configuration's root is one the library would use: a walk of
 * every level, so asked last. */
static bool root_ok(const struct pcr_config *c)
{
	int err;
	return c->root_len && pcr_root_prepare(&pcr_fs_libc, c->root, (unsigned long)geteuid(),
					       false, &err) == PCR_ROOT_OK;
}

/* Whether the counter says that the cache passed its limit, which is then
 * in *limit. Quietly: the command says what is wrong with the
 * configuration. */
static bool over_limit(const struct pcr_config *c, uint64_t *limit)
{
	struct pcr_cli_limit l;
	char why[PATH_MAX + 128];
	if (c->root_len == 0 || !pcr_cli_size_limit(c, &l, why, sizeof why) ||
	    l.origin == PCR_CLI_LIMIT_NONE || pcr_store_counter_estimate(c->root) <= l.bytes)
		return false;
	*limit = l.bytes;
	return true;
}

void pcr_cli_upkeep(void)
{
	struct pcr_config c;
	pcr_config_load(&c, environment, (unsigned long)geteuid());
	uint64_t limit;
	if (over_limit(&c, &limit) && root_ok(&c))
		detach_cleanup(c.root, limit);
}

void pcr_cli_upkeep_now(void)
{
	struct pcr_config c;
	pcr_config_load(&c, environment, (unsigned long)geteuid());
	if (!root_ok(&c))
		return;
	uint64_t limit;
	bool due = over_limit(&c, &limit);
	setpriority(PRIO_PROCESS, 0, 10);
	struct pcr_store_removed r;
	struct pcr_store_error e;
	/* Under the limit, the orphans go all the same: an entry whose source
	 * directory is gone (pytest's tmp_path, pip's build directories) is
	 * never read again, and a cache that grew 64 MiB has some. */
	pcr_cli_cleanup(c.root, due ? limit : 0, due, &r, &e);
	pcr_store_counts_fold(c.root, PCR_CLI_FOLD_AT, PCR_CLI_FOLD_GRACE_MS);
}
