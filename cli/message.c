/* Messages on stderr: errors, and usage errors with the hint to --help. */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

static void verror(const char *fmt, va_list ap)
{
	fputs(PCR_CLI_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pcr_cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
}

void pcr_cli_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[0] = '\0';
}

int pcr_cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
	fputs("see " PCR_CLI_NAME " --help\n", stderr);
	return PCR_CLI_USAGE;
}
