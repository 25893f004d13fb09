/* A stat() that makes no syscall, for bench/run: preloaded after the library
 * (LD_PRELOAD="libpycache-redirect.so libpcr-bench-nosys.so"), it is the
 * "real" stat the library's hook calls, so that hookbench measures the hook's
 * own cost (the fast path, or the mapping of a __pycache__ path) without the
 * kernel's time and its noise. The reference run preloads the empty library
 * in the library's place. */
#include <sys/stat.h>

__attribute__((visibility("default"))) int stat(const char *path, struct stat *st)
{
	st->st_ino = (ino_t)(path[0] != '\0');
	st->st_size = 0;
	return 0;
}
