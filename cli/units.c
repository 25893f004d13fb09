/* Numbers a person reads: sizes in 1024 steps, times in ISO 8601 UTC. */
#include <stdio.h>
#include <time.h>

#include "cli.h"

const char *pcr_cli_human_size(uint64_t bytes, char buf[PCR_CLI_HUMAN_SIZE])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	if (bytes < 1024) {
		snprintf(buf, PCR_CLI_HUMAN_SIZE, "%u B", (unsigned)bytes);
		return buf;
	}
	double v = (double)bytes / 1024;
	size_t u = 0;
	/* 1023.97 KiB would print as "1024.0 KiB": that is 1.0 MiB. */
	while (v >= 1023.95 && u + 1 < sizeof units / sizeof *units) {
		v /= 1024;
		u++;
	}
	snprintf(buf, PCR_CLI_HUMAN_SIZE, "%.1f %s", v, units[u]);
	return buf;
}

const char *pcr_cli_iso8601(time_t t, char buf[PCR_CLI_ISO8601])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(buf, PCR_CLI_ISO8601, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, PCR_CLI_ISO8601, "%lld", (long long)t);
	return buf;
}
