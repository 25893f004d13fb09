/* pcr_put_uint: decimal digits without stdio, no NUL. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/fmt.h"

/* Formats v into a buffer pre-filled with 'Z' and checks the digits, their
 * count, and that nothing (not even a NUL) is written after them. */
static void check(unsigned long v, const char *expect)
{
	char buf[32];
	memset(buf, 'Z', sizeof buf);
	size_t n = pcr_put_uint(buf, v);
	cr_assert_eq(n, strlen(expect), "%lu: %zu digits, expected %zu", v, n, strlen(expect));
	cr_assert_arr_eq(buf, expect, n, "%lu: wrong digits", v);
	for (size_t i = n; i < sizeof buf; i++)
		cr_assert_eq(buf[i], 'Z', "%lu: byte %zu written past the digits", v, i);
}

Test(put_uint, zero_is_one_digit) { check(0, "0"); }

Test(put_uint, single_digit) { check(7, "7"); }

Test(put_uint, ten_has_two_digits) { check(10, "10"); }

Test(put_uint, ulong_max_is_twenty_digits)
{
	char expect[32];
	snprintf(expect, sizeof expect, "%lu", ULONG_MAX);
	check(ULONG_MAX, expect);
	if (sizeof(unsigned long) == 8)
		check(ULONG_MAX, "18446744073709551615");
}

/* Every digit count: 10^k and 10^k - 1 are where a carry goes wrong. */
Test(put_uint, powers_of_ten_and_nines)
{
	char expect[32];
	for (unsigned long p = 1;; p *= 10) {
		snprintf(expect, sizeof expect, "%lu", p);
		check(p, expect);
		snprintf(expect, sizeof expect, "%lu", p - 1);
		check(p - 1, expect);
		if (p > ULONG_MAX / 10)
			break;
	}
}

Test(put_uint, pid_sized_values)
{
	check(140234567, "140234567");
	check(4194304, "4194304");
	check(65534, "65534");
}
