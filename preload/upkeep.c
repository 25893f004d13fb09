/* The cleanup of a cache that only the library writes to (a system-wide
 * preload, an IDE's test runner, a container): when this process's writes
 * carried the growth counter past a multiple of PCR_UPKEEP_EVERY_UNITS
 * (64 MiB), the command's `prune --auto` is started as the process exits,
 * detached (a session of its own, /dev/null for its standard files, no
 * other descriptor), to compare the count with the limit (which only the
 * command reads) and clean up past it. At most one start for each 64 MiB
 * the cache grows: the host pays nothing else, and never waits for it. */
#include "upkeep.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

extern char **environ;

static pid_t due_pid; /* the process whose writes made it due; 0: none */

void pcr_upkeep_note(uint64_t before, uint64_t units)
{
	if (before / PCR_UPKEEP_EVERY_UNITS != (before + units) / PCR_UPKEEP_EVERY_UNITS)
		__atomic_store_n(&due_pid, getpid(), __ATOMIC_RELAXED);
}

/* dir/name when it is a program that only its owner, root or this user, may
 * change: the command beside the library would run with the user's rights. */
static bool command_at(char *out, size_t size, const char *dir, size_t dir_len, const char *name)
{
	size_t name_len = strlen(name);
	if (dir_len + 1 + name_len + 1 > size)
		return false;
	memcpy(out, dir, dir_len);
	out[dir_len] = '/';
	memcpy(out + dir_len + 1, name, name_len + 1);
	struct stat st;
	return pcr_fs_real.stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR) &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH)) && (st.st_uid == 0 || st.st_uid == pcr_euid);
}

/* The command: beside the library (the build tree), else where an install
 * puts it relative to the library's directory, <libdir>/pycache-redirect
 * (PCR_LIBRARY_TO_COMMAND), or the loader's libdir under /usr
 * (PCR_LOADER_LIBRARY_TO_COMMAND). */
static bool find_command(char *out, size_t size)
{
	Dl_info info;
	if (!dladdr((void *)find_command, &info) || !info.dli_fname || info.dli_fname[0] != '/')
		return false;
	const char *slash = strrchr(info.dli_fname, '/');
	size_t dir_len = (size_t)(slash - info.dli_fname);
	return command_at(out, size, info.dli_fname, dir_len, PCR_COMMAND_NAME) ||
	       command_at(out, size, info.dli_fname, dir_len, PCR_LIBRARY_TO_COMMAND) ||
	       command_at(out, size, info.dli_fname, dir_len, PCR_LOADER_LIBRARY_TO_COMMAND);
}

/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34) when this libc has
 * it: without it, a descriptor the host left inheritable stays open in the
 * cleanup (Python's are not inheritable). */
typedef int (*closefrom_fn)(posix_spawn_file_actions_t *, int);

void pcr_upkeep_start_if_due(void)
{
	if (__atomic_load_n(&due_pid, __ATOMIC_RELAXED) != getpid())
		return;
	__atomic_store_n(&due_pid, 0, __ATOMIC_RELAXED);
	int saved = errno;
	char command[PATH_MAX];
	posix_spawn_file_actions_t files;
	posix_spawnattr_t attr;
	if (!find_command(command, sizeof command) || posix_spawn_file_actions_init(&files) != 0)
		goto out;
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&files);
		goto out;
	}
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	closefrom_fn closefrom =
	    (closefrom_fn)dlsym(RTLD_DEFAULT, "posix_spawn_file_actions_addclosefrom_np");
	char *const argv[] = { command, "prune", "--auto", NULL };
	pid_t pid;
	if (posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDWR, 0) == 0 &&
	    posix_spawn_file_actions_adddup2(&files, 0, 1) == 0 &&
	    posix_spawn_file_actions_adddup2(&files, 0, 2) == 0 &&
	    (!closefrom || closefrom(&files, 3) == 0) &&
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF) == 0 &&
	    posix_spawnattr_setsigmask(&attr, &none) == 0 &&
	    posix_spawnattr_setsigdefault(&attr, &all) == 0)
		posix_spawn(&pid, command, &files, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&files);
out:
	errno = saved;
}
