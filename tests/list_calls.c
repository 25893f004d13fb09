/* list_calls DIR...: each directory listed every way glibc offers, a line a
 * way: readdir, readdir64, readdir again after rewinddir, readdir_r,
 * fdopendir, and getdents64 on a descriptor. Each line holds the names
 * (without . and ..) sorted, with their d_type (d directory, f regular,
 * ? unknown, o other). e2e_listing runs it in scope all, under the library
 * and with in-tree caching, and compares. Exit 1 when a call fails. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_NAMES = 256, NAME_SIZE = 260 };
static char names[MAX_NAMES][NAME_SIZE];
static size_t count;

static void add(const char *name, unsigned char type)
{
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || count == MAX_NAMES)
		return;
	char t = type == DT_DIR ? 'd' : type == DT_REG ? 'f' : type == DT_UNKNOWN ? '?' : 'o';
	snprintf(names[count++], NAME_SIZE, "%s/%c", name, t);
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

static void print(const char *dir, const char *how)
{
	qsort(names, count, NAME_SIZE, by_name);
	printf("%s %s:", dir, how);
	for (size_t i = 0; i < count; i++)
		printf(" %s", names[i]);
	printf("\n");
	count = 0;
}

static int fail(const char *what, const char *dir)
{
	fprintf(stderr, "list_calls: %s %s: %s\n", what, dir, strerror(errno));
	return 1;
}

static int list(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return fail("opendir", dir);
	for (struct dirent *e; (e = readdir(d));)
		add(e->d_name, e->d_type);
	print(dir, "readdir");
	rewinddir(d);
	for (struct dirent *e; (e = readdir(d));)
		add(e->d_name, e->d_type);
	print(dir, "rewinddir");
	closedir(d);

	if (!(d = opendir(dir)))
		return fail("opendir", dir);
	for (struct dirent64 *e; (e = readdir64(d));)
		add(e->d_name, e->d_type);
	print(dir, "readdir64");
	closedir(d);

	if (!(d = opendir(dir)))
		return fail("opendir", dir);
		/* Deprecated, and still called by old programs. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	struct dirent entry, *e;
	while (readdir_r(d, &entry, &e) == 0 && e)
		add(e->d_name, e->d_type);
#pragma GCC diagnostic pop
	print(dir, "readdir_r");
	closedir(d);

	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || !(d = fdopendir(fd)))
		return fail("fdopendir", dir);
	for (struct dirent *e2; (e2 = readdir(d));)
		add(e2->d_name, e2->d_type);
	print(dir, "fdopendir");
	closedir(d);

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return fail("open", dir);
	char buf[8192];
	ssize_t n;
	while ((n = getdents64(fd, buf, sizeof buf)) > 0)
		for (ssize_t at = 0; at < n;) {
			struct dirent64 *e3 = (struct dirent64 *)(buf + at);
			add(e3->d_name, e3->d_type);
			at += e3->d_reclen;
		}
	close(fd);
	if (n < 0)
		return fail("getdents64", dir);
	print(dir, "getdents64");
	return 0;
}

int main(int argc, char **argv)
{
	int status = 0;
	for (int i = 1; i < argc; i++)
		status |= list(argv[i]);
	return status;
}
