/* A progress line on stderr while a command walks a large cache, only when
 * stderr is a terminal: "stats: 12,345 entries...", redrawn at most ten
 * times a second, and wiped when the walk ends. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "../core/store.h"
#include "cli.h"

static struct {
	const char *what;
	struct timespec next; /* when to draw again */
	bool drawn;
} line;

static struct timespec later(struct timespec t, long ns)
{
	t.tv_nsec += ns;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static bool due(struct timespec now)
{
	return now.tv_sec > line.next.tv_sec ||
	       (now.tv_sec == line.next.tv_sec && now.tv_nsec >= line.next.tv_nsec);
}

static void draw(size_t entries, void *arg)
{
	(void)arg;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!due(now))
		return;
	line.next = later(now, 100000000);
	fprintf(stderr, "\r%s: %zu entr%s...", line.what, entries, entries == 1 ? "y" : "ies");
	line.drawn = true;
}

struct pcr_store pcr_cli_progress_start(const char *root, const char *what)
{
	struct pcr_store store = { .root = root };
	if (!isatty(STDERR_FILENO))
		return store;
	line.what = what;
	line.drawn = false;
	/* The first line after a quarter of a second: a small cache shows none. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	line.next = later(now, 250000000);
	store.progress = draw;
	return store;
}

void pcr_cli_progress_end(void)
{
	if (line.drawn)
		fputs("\r\033[K", stderr);
	line.drawn = false;
}
