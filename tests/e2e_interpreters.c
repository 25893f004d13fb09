/* Which interpreters every end-to-end test runs against, and which it skips:
 * said once, here (`ctest -V` shows it). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/harness.h"

Test(interpreters, found)
{
	const struct pcr_interp *list;
	cr_assert_gt(pcr_interpreters(&list), 0);
	fprintf(stderr, "e2e: %s\n", pcr_interpreters_report());
}
