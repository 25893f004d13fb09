/* hookbench: the cost of one hooked libc call, from outside the library.
 *
 *     hookbench [-o] [-b BATCHES] [-w WARMUP] PATH CALLS
 *
 * Calls stat(PATH) (with -o: open(PATH, O_RDONLY) and close) CALLS times, in
 * BATCHES batches (default 100) timed with CLOCK_MONOTONIC, after WARMUP
 * untimed calls (default 100: the first call of a hook resolves the real
 * function). Prints the median over the batches of the ns per call.
 *
 * The number of clock reads, the warm-up and the median do not depend on
 * CALLS, so that under valgrind the difference between two runs with
 * different CALLS is the cost of the extra calls alone. Every call must
 * succeed (a benchmark of a path that does not exist measures something
 * else): any failure is reported and the exit status is 1.
 *
 * Not linked with the library: bench/run preloads it, or not. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What the calls returned, folded together and stored, so that no call can
 * be dropped. */
static volatile unsigned long sink;

static int usage(void)
{
	fputs("usage: hookbench [-o] [-b BATCHES] [-w WARMUP] PATH CALLS\n"
	      "  stat (-o: open+close) PATH CALLS times; prints the median ns per call\n",
	      stderr);
	return 2;
}

static int parse_count(const char *s, long min, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min)
		return -1;
	*out = v;
	return 0;
}

/* n calls; returns the number that failed, the first errno in *err. */
static long run(const char *path, int do_open, long n, int *err)
{
	unsigned long acc = 0;
	long failed = 0;
	for (long i = 0; i < n; i++) {
		if (do_open) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || close(fd) < 0) {
				if (!failed++)
					*err = errno;
				continue;
			}
			acc += (unsigned long)fd;
		} else {
			struct stat st;
			if (stat(path, &st) < 0) {
				if (!failed++)
					*err = errno;
				continue;
			}
			acc += (unsigned long)st.st_ino ^ (unsigned long)st.st_size;
		}
	}
	sink += acc;
	return failed;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int do_open = 0, opt;
	long batches = 100, warmup = 100, calls;
	while ((opt = getopt(argc, argv, "ob:w:")) != -1) {
		switch (opt) {
		case 'o': do_open = 1; break;
		case 'b':
			if (parse_count(optarg, 1, &batches) < 0)
				return usage();
			break;
		case 'w':
			if (parse_count(optarg, 0, &warmup) < 0)
				return usage();
			break;
		default: return usage();
		}
	}
	if (argc - optind != 2 || parse_count(argv[optind + 1], 1, &calls) < 0)
		return usage();
	const char *path = argv[optind];
	if (calls < batches) {
		fprintf(stderr, "hookbench: CALLS (%ld) must be at least BATCHES (%ld)\n", calls,
			batches);
		return 2;
	}

	double *per_call = malloc((size_t)batches * sizeof *per_call);
	if (!per_call) {
		perror("hookbench: malloc");
		return 1;
	}
	int err = 0;
	long failed = run(path, do_open, warmup, &err);
	/* The first calls % batches batches make one call more. */
	for (long b = 0; b < batches; b++) {
		long n = calls / batches + (b < calls % batches);
		double t0 = now_ns();
		failed += run(path, do_open, n, &err);
		double t1 = now_ns();
		per_call[b] = (t1 - t0) / (double)n;
	}
	if (failed) {
		fprintf(stderr, "hookbench: %s %s: %ld of %ld calls failed: %s\n",
			do_open ? "open" : "stat", path, failed, warmup + calls, strerror(err));
		free(per_call);
		return 1;
	}
	qsort(per_call, (size_t)batches, sizeof *per_call, cmp_double);
	double median = batches % 2 ? per_call[batches / 2]
				    : (per_call[batches / 2 - 1] + per_call[batches / 2]) / 2;
	printf("%.1f\n", median);
	free(per_call);
	return 0;
}
