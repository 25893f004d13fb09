/* Calls every hook of preload/hooks.def with a NULL path, each in a child of
 * its own, and prints one line a call: its name, then "ret R errno E" or
 * "signal S". e2e_library runs it with and without the library and compares
 * the lines: a NULL path must get libc's answer, whatever that is.
 *
 * The functions are reached through dlsym, never by name, so that no
 * nonnull attribute of libc's headers reaches this file's calls. Two-path
 * calls are made twice: NULL on either side, a __pycache__ path on the
 * other (which the library would map), run in the directory given as the
 * only argument. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef intptr_t (*any_fn)(intptr_t, intptr_t, intptr_t, intptr_t, intptr_t);

/* The arguments of a call, one letter each: N the NULL path, P a __pycache__
 * path, D AT_FDCWD, B a scratch buffer, Z zero, S a size, R the mode "r",
 * W the mode "w", F a FILE *, V the stat version of the __xstat family;
 * the directory stream calls get a NULL stream (N). */
static const struct call {
	const char *name, *args;
} calls[] = {
	{ "open", "NZ" },         { "open64", "NZ" },        { "openat", "DNZ" },
	{ "openat64", "DNZ" },    { "__open_2", "NZ" },      { "__open64_2", "NZ" },
	{ "__openat_2", "DNZ" },  { "__openat64_2", "DNZ" }, { "fopen", "NR" },
	{ "fopen64", "NR" },      { "fopen", "NW" },         { "freopen", "NRF" },
	{ "freopen64", "NRF" },   { "opendir", "N" },        { "stat", "NB" },
	{ "stat64", "NB" },       { "lstat", "NB" },         { "lstat64", "NB" },
	{ "fstatat", "DNBZ" },    { "fstatat64", "DNBZ" },   { "statx", "DNZZB" },
	{ "__xstat", "VNB" },     { "__xstat64", "VNB" },    { "__lxstat", "VNB" },
	{ "__lxstat64", "VNB" },  { "__fxstatat", "VDNBZ" }, { "__fxstatat64", "VDNBZ" },
	{ "access", "NZ" },       { "faccessat", "DNZZ" },   { "readlink", "NBS" },
	{ "readlinkat", "DNBS" }, { "mkdir", "NZ" },         { "mkdirat", "DNZ" },
	{ "rmdir", "N" },         { "unlink", "N" },         { "unlinkat", "DNZ" },
	{ "symlink", "PN" },      { "symlinkat", "PDN" },    { "symlink", "NP" },
	{ "symlinkat", "NDP" },   { "rename", "NP" },        { "rename", "PN" },
	{ "renameat", "DNDP" },   { "renameat", "DPDN" },    { "renameat2", "DNDPZ" },
	{ "renameat2", "DPDNZ" }, { "link", "NP" },          { "link", "PN" },
	{ "linkat", "DNDPZ" },    { "linkat", "DPDNZ" },     { "chmod", "NZ" },
	{ "fchmodat", "DNZZ" },   { "chown", "NZZ" },        { "lchown", "NZZ" },
	{ "fchownat", "DNZZZ" },  { "utime", "NZ" },         { "utimes", "NZ" },
	{ "utimensat", "DNZZ" },  { "truncate", "NZ" },      { "truncate64", "NZ" },
	{ "listxattr", "NBS" },   { "llistxattr", "NBS" },   { "getxattr", "NRBS" },
	{ "lgetxattr", "NRBS" },  { "setxattr", "NRBSZ" },   { "lsetxattr", "NRBSZ" },
	{ "removexattr", "NR" },  { "lremovexattr", "NR" },  { "execve", "NZZ" },
	{ "execv", "NZ" },        { "execvp", "NZ" },        { "execvpe", "NZZ" },
	{ "execveat", "DNZZZ" },  { "execl", "NZ" },         { "execlp", "NZ" },
	{ "execle", "NZZ" },      { "fdopendir", "Z" },      { "readdir", "N" },
	{ "readdir64", "N" },     { "closedir", "N" },       { "rewinddir", "N" },
	{ "seekdir", "NZ" },
};

static char scratch[4096] __attribute__((aligned(64)));

static intptr_t arg(char kind, FILE *stream)
{
	switch (kind) {
	case 'N': return 0;
	case 'P': return (intptr_t) "pkg/__pycache__/mod.cpython-311.pyc";
	case 'D': return AT_FDCWD;
	case 'B': return (intptr_t)scratch;
	case 'S': return (intptr_t)sizeof scratch;
	case 'R': return (intptr_t) "r";
	case 'W': return (intptr_t) "w";
	case 'F': return (intptr_t)stream;
	case 'V': return 1; /* _STAT_VER_LINUX on x86-64 */
	default: return 0;
	}
}

int main(int argc, char **argv)
{
	if (argc != 2 || chdir(argv[1]) != 0) {
		fprintf(stderr, "usage: null_calls DIR (a directory holding pkg/__pycache__)\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
		const struct call *c = &calls[i];
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			any_fn f = (any_fn)(uintptr_t)dlsym(RTLD_DEFAULT, c->name);
			if (!f) {
				printf("%s(%s) absent\n", c->name, c->args);
				fflush(stdout);
				_exit(0);
			}
			FILE *stream = fopen("/dev/null", "r");
			intptr_t a[5] = { 0 };
			for (size_t k = 0; c->args[k] && k < 5; k++)
				a[k] = arg(c->args[k], stream);
			errno = 0;
			intptr_t r = f(a[0], a[1], a[2], a[3], a[4]);
			int e = errno;
			/* A FILE * or DIR * is compared as NULL or not. */
			bool pointer = strncmp(c->name, "fopen", 5) == 0 ||
				       strncmp(c->name, "freopen", 7) == 0 ||
				       strcmp(c->name, "opendir") == 0 ||
				       strcmp(c->name, "fdopendir") == 0 ||
				       strncmp(c->name, "readdir", 7) == 0;
			printf("%s(%s) ret %ld errno %d\n", c->name, c->args,
			       pointer                                ? (long)(r != 0)
			       : strncmp(c->name, "readlink", 8) == 0 ? (long)r
								      : (long)(int)r,
			       e);
			fflush(stdout);
			_exit(0);
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			return 1;
		if (WIFSIGNALED(status))
			printf("%s(%s) signal %d\n", c->name, c->args, WTERMSIG(status));
	}
	return 0;
}
