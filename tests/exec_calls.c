/* Reads a pyc through the library (a hit, when the cache holds it), then
 * ends through one member of the exec family, or without any: e2e_store
 * checks that the hit is counted whichever way the process went on. Run
 * with PYCACHE_REDIRECT_SCOPE=all, as it is no Python.
 *
 *   exec_calls HOW PYC
 *
 * HOW: execve, execv, execvp, execvpe, execl, execlp, execle, fexecve,
 * execveat (each of /bin/true), vfork (a vfork child's execv, then the
 * parent's _exit), exit (exit 0: the exit handlers), _exit (none). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: exec_calls HOW PYC\n");
		return 2;
	}
	const char *how = argv[1];
	int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	close(fd);
	char *const args[] = { "true", NULL };
	const char *true_path = "/bin/true";
	if (!strcmp(how, "execve"))
		execve(true_path, args, environ);
	else if (!strcmp(how, "execv"))
		execv(true_path, args);
	else if (!strcmp(how, "execvp"))
		execvp("true", args);
	else if (!strcmp(how, "execvpe"))
		execvpe("true", args, environ);
	else if (!strcmp(how, "execl"))
		execl(true_path, "true", (char *)NULL);
	else if (!strcmp(how, "execlp"))
		execlp("true", "true", (char *)NULL);
	else if (!strcmp(how, "execle"))
		execle(true_path, "true", (char *)NULL, environ);
	else if (!strcmp(how, "fexecve")) {
		int exe = open(true_path, O_RDONLY | O_CLOEXEC);
		if (exe >= 0)
			fexecve(exe, args, environ);
	} else if (!strcmp(how, "execveat"))
		execveat(AT_FDCWD, true_path, args, environ, 0);
	else if (!strcmp(how, "vfork")) {
		pid_t pid = vfork();
		if (pid == 0) {
			execv(true_path, args);
			_exit(127);
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
			return 1;
		_exit(0);
	} else if (!strcmp(how, "exit"))
		return 0;
	else if (!strcmp(how, "_exit"))
		_exit(0);
	else {
		fprintf(stderr, "exec_calls: unknown HOW %s\n", how);
		return 2;
	}
	perror(how);
	return 1;
}
