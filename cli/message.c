/* Messages: into a buffer for later, errors on stderr, and usage errors
 * with the hint to --help. */
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

void pcr_cli_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	if (vsnprintf(buf, size, fmt, ap) < 0)
		buf[0] = '\0';
}

void pcr_cli_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pcr_cli_vformat(buf, size, fmt, ap);
	va_end(ap);
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
