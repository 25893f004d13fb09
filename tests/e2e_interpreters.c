/* Which interpreters every end-to-end test runs against, and which it skips:
 * said once, here (`ctest -V` shows it). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/harness.h"

Test(interpreters, found)
{
	const struct harness_interp *list;
	cr_assert_gt(harness_interpreters(&list), 0);
	fprintf(stderr, "e2e: %s\n", harness_interpreters_report());
}
