/* Running a child for its output under a deadline (child.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

/* Reads fd into r->out until the child closes its end or the deadline
 * passes (then the child is killed). What does not fit is read and
 * dropped, so that a chatty child never blocks on a full pipe. */
static void collect_output(struct pcr_cli_child *r, pid_t pid, int fd, int timeout_ms)
{
	size_t used = 0;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed =
		    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= timeout_ms) {
			kill(pid, SIGKILL);
			r->timed_out = true;
			break;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, (int)(timeout_ms - elapsed));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		char buf[4096];
		ssize_t got = read(fd, buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		size_t keep = (size_t)got;
		if (keep > sizeof r->out - 1 - used)
			keep = sizeof r->out - 1 - used;
		memcpy(r->out + used, buf, keep);
		used += keep;
	}
	r->out[used] = '\0';
	close(fd);
}

static void wait_child(struct pcr_cli_child *r, pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r->timed_out)
		r->status = -1;
	else if (WIFEXITED(status))
		r->status = WEXITSTATUS(status);
	else
		r->status = 128 + WTERMSIG(status);
}

void pcr_cli_child_call(struct pcr_cli_child *r, void (*fn)(const void *arg), const void *arg,
			int timeout_ms)
{
	r->status = -1;
	r->timed_out = false;
	r->out[0] = '\0';
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(r->out, sizeof r->out, "cannot make a pipe: %s", strerror(errno));
		return;
	}
	fflush(NULL); /* or the child's exit would write our buffered output again */
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(r->out, sizeof r->out, "cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		fn(arg);
		_exit(127);
	}
	close(fds[1]);
	collect_output(r, pid, fds[0], timeout_ms);
	wait_child(r, pid);
}

struct command {
	const char *cwd;
	char *const *argv, *const *envp;
};

static void exec_command(const void *arg)
{
	const struct command *c = arg;
	if (c->cwd && chdir(c->cwd) < 0)
		_exit(126);
	execve(c->argv[0], c->argv, c->envp);
	dprintf(STDERR_FILENO, "cannot execute %s: %s\n", c->argv[0], strerror(errno));
}

void pcr_cli_child_exec(struct pcr_cli_child *r, const char *cwd, char *const *argv,
			char *const *envp, int timeout_ms)
{
	const struct command c = { .cwd = cwd, .argv = argv, .envp = envp };
	pcr_cli_child_call(r, exec_command, &c, timeout_ms);
}

const char *pcr_cli_first_line(const char *s, char *buf, size_t size)
{
	while (*s == '\n')
		s++;
	size_t n = strcspn(s, "\n");
	snprintf(buf, size, "%.*s", (int)n, s);
	return buf;
}
