/* A child process run for its output, so that whatever it does (crash,
 * hang, a library that will not load) happens to it and never to the
 * command: its stdin /dev/null, its stdout and stderr merged through one
 * pipe, killed once its deadline passes. doctor's tool (cli/child.c). */
#ifndef PCR_CLI_CHILD_H
#define PCR_CLI_CHILD_H

#include <stdbool.h>
#include <stddef.h>

struct pcr_cli_child {
	int status; /* exit code, 128 + signal, or -1: could not start / timed out */
	bool timed_out;
	char out[8192]; /* stdout and stderr as written, cut to fit; or why it did not start */
};

/* fn(arg) in a child process, waited for at most timeout_ms. fn never
 * returns to the caller: it runs in the child, which exits 127 if it does. */
void pcr_cli_child_call(struct pcr_cli_child *r, void (*fn)(const void *arg), const void *arg,
			int timeout_ms);

/* argv (argv[0] a path, no PATH search) with envp in cwd (NULL: this one),
 * waited for at most timeout_ms. A cwd it cannot enter exits 126. */
void pcr_cli_child_exec(struct pcr_cli_child *r, const char *cwd, char *const *argv,
			char *const *envp, int timeout_ms);

/* The first line of s (leading newlines skipped) in buf, for a message.
 * Returns buf. */
const char *pcr_cli_first_line(const char *s, char *buf, size_t size);

#endif
