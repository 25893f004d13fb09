/* A musl program that calls stat64 by that name, as binaries built against
 * musl before 1.2.4 can (Rust's libc crate did): built with musl-gcc
 * (tests/CMakeLists.txt), run by e2e_library under the library's musl build
 * with the scope "all". In its working directory it makes pkg/, then
 * pkg/__pycache__ and pkg/__pycache__/m.pyc, which the library sends to the
 * cache, and prints what stat64 and stat say of the pyc: "0" when they
 * found it there, else the errno. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#undef stat64 /* musl before 1.2.4: a macro for stat under _GNU_SOURCE */
int stat64(const char *path, struct stat *st);

int main(void)
{
	struct stat st;
	if (mkdir("pkg", 0755) < 0 || mkdir("pkg/__pycache__", 0755) < 0)
		return perror("mkdir"), 1;
	int fd = open("pkg/__pycache__/m.pyc", O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || close(fd) < 0)
		return perror("open"), 1;
	int r64 = stat64("pkg/__pycache__/m.pyc", &st), e64 = errno;
	int r = stat("pkg/__pycache__/m.pyc", &st), e = errno;
	printf("stat64 %d stat %d\n", r64 == 0 ? 0 : e64, r == 0 ? 0 : e);
	return 0;
}
