/* Helpers shared by the unit tests (header only: the unit_*.c glob makes one
 * executable per file). Expected keys and cache paths come from the one
 * layout oracle, tests/layout.h. */
#ifndef PCR_UNIT_H
#define PCR_UNIT_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "layout.h"

/* A fresh directory under /tmp, mode 0700. */
static inline void unit_mkdtemp(char *out, size_t size)
{
	cr_assert(size > sizeof "/tmp/pcr-unit-XXXXXX");
	strcpy(out, "/tmp/pcr-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(out), "mkdtemp: %s", strerror(errno));
}

static inline int unit_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf, never following links. */
static inline void unit_rm_rf(const char *path)
{
	if (path[0])
		nftw(path, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes s to path (created 0600, truncated). */
static inline void unit_write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "fopen %s: %s", path, strerror(errno));
	cr_assert_eq(fputs(s, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

/* The whole content of path into buf (NUL-terminated); its length, or -1. */
static inline long unit_read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

/* Mode bits (07777) of path, lstat'ed; -1 when it is missing. */
static inline int unit_mode(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* path joined from a printf format, asserted to fit PATH_MAX. */
#define unit_path(buf, ...)                                                     \
	do {                                                                    \
		int n_ = snprintf((buf), sizeof(buf), __VA_ARGS__);             \
		cr_assert(n_ > 0 && (size_t)n_ < sizeof(buf), "path too long"); \
	} while (0)

#endif
