/* in_root ROOT PROGRAM [ARG...]: runs PROGRAM, a path inside ROOT, with ROOT
 * as its /, the working directory and the environment kept: how the
 * end-to-end tests run the interpreters of a newer distribution's root
 * (tests/setup --newest) with the library built on this machine. Called by
 * another name, as the launchers DIR/bin/NAME that tests/setup makes (links
 * to this program), it runs /usr/bin/NAME of DIR/root.
 *
 * Inside, the host's /tmp (the fixtures), /dev and /proc, and the project's
 * source and build directories (the library, the tests' scripts) are bind
 * mounts at their own paths, in a private mount namespace: nothing shows
 * outside, and nothing is left when the program ends. Run by root, that is
 * all; run by another user (a test's setpriv), an unprivileged user
 * namespace first, which maps only that user and group onto themselves, so
 * that the program's files are owned as they would be outside.
 *
 * It is linked statically: LD_PRELOAD reaches the program, never this
 * launcher, so the library runs in one process, as with the host's
 * interpreters. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("in_root: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(125);
}

static void write_to(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die("%s", path);
	close(fd);
}

/* An unprivileged user's own namespace: uid and gid mapped onto themselves. */
static void own_user_namespace(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		die("unshare(CLONE_NEWUSER | CLONE_NEWNS)");
	char map[64];
	snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	write_to("/proc/self/uid_map", map);
	write_to("/proc/self/setgroups", "deny");
	snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	write_to("/proc/self/gid_map", map);
}

/* mkdir -p of path (absolute, under the root), mode 0755. */
static void make_dirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir %s", path);
		*p = c;
		if (!c)
			return;
	}
}

/* The host's dir at the same path under root, recursively. */
static void bind_in(const char *root, const char *dir)
{
	char resolved[PATH_MAX], target[PATH_MAX * 2];
	if (!realpath(dir, resolved))
		return; /* nothing there to show */
	snprintf(target, sizeof target, "%s%s", root, resolved);
	make_dirs(target);
	if (mount(resolved, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		die("bind %s", resolved);
}

/* A launcher's root and program, from the name it was called by:
 * DIR/bin/NAME runs /usr/bin/NAME of DIR/root. */
static void launcher(const char *self, char *root, size_t root_size, char *program,
		     size_t program_size)
{
	const char *name = strrchr(self, '/');
	if (!name) {
		errno = EINVAL;
		die("%s: call a launcher by its path", self);
	}
	int dir_len = (int)(name - self);
	snprintf(program, program_size, "/usr/bin/%s", name + 1);
	if (snprintf(root, root_size, "%.*s/../root", dir_len, self) >= (int)root_size) {
		errno = ENAMETOOLONG;
		die("%s", self);
	}
}

int main(int argc, char **argv)
{
	char given[PATH_MAX + 16], launched[PATH_MAX];
	const char *self = strrchr(argv[0], '/');
	self = self ? self + 1 : argv[0];
	char **args = argv + 2;
	if (strcmp(self, "in_root") != 0) {
		launcher(argv[0], given, sizeof given, launched, sizeof launched);
		argv[0] = launched;
		args = argv;
	} else if (argc < 3) {
		fputs("usage: in_root ROOT PROGRAM [ARG...]\n", stderr);
		return 125;
	} else {
		snprintf(given, sizeof given, "%s", argv[1]);
	}
	char root[PATH_MAX], cwd[PATH_MAX];
	if (!realpath(given, root))
		die("%s", given);
	if (!getcwd(cwd, sizeof cwd))
		die("getcwd");
	if (geteuid() != 0)
		own_user_namespace();
	else if (unshare(CLONE_NEWNS) < 0)
		die("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("making / private");
	const char *const dirs[] = { "/tmp", "/dev", "/proc", PCR_TEST_SOURCE_DIR,
				     PCR_TEST_BUILD_DIR };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		bind_in(root, dirs[i]);
	if (chroot(root) < 0)
		die("chroot %s", root);
	if (chdir(cwd) < 0 && chdir("/") < 0)
		die("chdir %s", cwd);
	execv(args[0], args);
	die("%s in %s", args[0], root);
}
