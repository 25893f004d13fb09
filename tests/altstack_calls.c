/* One call on a __pycache__ path made from a signal handler that runs on an
 * alternate stack of a given size, with a guard page below it: a hook that
 * needs more stack than is left dies with SIGSEGV instead of writing over
 * memory. Run in a directory holding pkg/__pycache__ and fresh/ (no
 * __pycache__); prints "<op> ret <r> errno <e>" and exits 0.
 *
 *   altstack_calls SIZE first|warm stat|create|mkdir|rename
 *
 * first: the handler's call is the process's first on a __pycache__ path
 * (the library decides scope and root then); warm: a stat in main comes
 * before it. Paths are relative, so the library also reads the working
 * directory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *op;
static volatile int ret = -2, err;

static void call(void)
{
	struct stat st;
	int r = -1;
	if (strcmp(op, "stat") == 0) {
		r = stat("pkg/__pycache__/m.cpython-311.pyc", &st);
	} else if (strcmp(op, "create") == 0) {
		r = open("pkg/__pycache__/new.cpython-311.pyc", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (r >= 0)
			close(r), r = 0;
	} else if (strcmp(op, "mkdir") == 0) {
		r = mkdir("fresh/__pycache__", 0777);
	} else if (strcmp(op, "rename") == 0) {
		r = rename("pkg/__pycache__/moved.tmp", "pkg/__pycache__/moved.cpython-311.pyc");
	}
	err = r < 0 ? errno : 0;
	ret = r;
}

static void handler(int sig)
{
	(void)sig;
	int saved = errno;
	call();
	errno = saved;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: altstack_calls SIZE first|warm stat|create|mkdir|rename\n");
		return 2;
	}
	size_t size = strtoul(argv[1], NULL, 0), page = (size_t)sysconf(_SC_PAGESIZE);
	op = argv[3];
	if (strcmp(argv[2], "warm") == 0 || strcmp(op, "rename") == 0) {
		struct stat st;
		stat("pkg/__pycache__/warm.cpython-311.pyc", &st);
	}
	if (strcmp(op, "rename") == 0) {
		int fd = open("pkg/__pycache__/moved.tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, "pyc", 3) != 3 || close(fd) != 0) {
			perror("altstack_calls: the file to rename");
			return 1;
		}
	}
	/* The guard page just below the stack's lowest byte. */
	size_t pages = (size + page - 1) / page;
	char *m = mmap(NULL, (pages + 1) * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m, page, PROT_NONE) != 0) {
		perror("altstack_calls: mmap");
		return 1;
	}
	stack_t ss = { .ss_sp = m + page, .ss_size = size };
	if (sigaltstack(&ss, NULL) != 0) {
		perror("altstack_calls: sigaltstack");
		return 1;
	}
	struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_ONSTACK };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("%s ret %d errno %d\n", op, ret, err);
	return 0;
}
