/* Values a person types: sizes ("2G") and ages ("30d"), for options, the
 * environment and the config file alike. */
#include <stdint.h>
#include <string.h>

#include "cli.h"

/* The leading decimal digits of s in *n; the rest in *end. false when
 * there are none, or the number overflows. */
static bool leading_number(const char *s, uint64_t *n, const char **end)
{
	*n = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (*n > (UINT64_MAX - d) / 10)
			return false;
		*n = *n * 10 + d;
	}
	*end = p;
	return p != s;
}

bool pcr_cli_parse_size(const char *s, uint64_t *bytes, char *why, size_t whysz)
{
	/* B, then 1024 steps; a bare number is in G, as ccache's sizes are. */
	static const char units[] = "BKMGT";
	uint64_t n;
	const char *end;
	if (!leading_number(s, &n, &end) || (end[0] && end[1])) {
		pcr_cli_format(why, whysz,
			       "give a whole number of GiB, or with B, K, M, G or T "
			       "(500M, 2G, 4096B)");
		return false;
	}
	unsigned shift = 30;
	if (end[0]) {
		const char *u = strchr(units, end[0] >= 'a' ? end[0] - 'a' + 'A' : end[0]);
		if (!u) {
			pcr_cli_format(why, whysz, "unknown unit; use B, K, M, G or T");
			return false;
		}
		shift = 10 * (unsigned)(u - units);
	}
	if (shift && n > UINT64_MAX >> shift) {
		pcr_cli_format(why, whysz, "too large");
		return false;
	}
	*bytes = n << shift;
	return true;
}

bool pcr_cli_parse_age(const char *s, uint64_t *seconds, char *why, size_t whysz)
{
	static const struct {
		char unit;
		uint64_t seconds;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
	uint64_t n;
	const char *end;
	if (!leading_number(s, &n, &end) || (end[0] && end[1])) {
		pcr_cli_format(why, whysz,
			       "give a whole number and a unit, s, m, h, d or w "
			       "(30d, 12h)");
		return false;
	}
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (end[0] == units[i].unit) {
			/* Beyond a time_t, or before 1970: every entry is younger. */
			if (n > (uint64_t)INT64_MAX / units[i].seconds) {
				pcr_cli_format(why, whysz, "too large");
				return false;
			}
			*seconds = n * units[i].seconds;
			return true;
		}
	pcr_cli_format(why, whysz, "%s; use s, m, h, d or w (30d, 12h)",
		       end[0] ? "unknown unit" : "the unit is missing");
	return false;
}
