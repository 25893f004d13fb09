/* The cache's cheap signals (core/counter.h, core/entry.h): where the counter lives, what a
 * file adds to it, and when an entry's last use is touched again. */
#include "unit.h"

#include "core/counter.h"
#include "core/entry.h"

Test(counter, the_counter_is_in_the_layout_directory)
{
	char out[64];
	cr_assert_eq(pcr_counter_path("/c", 2, out, sizeof out), strlen("/c/v2/usage"));
	cr_assert_str_eq(out, "/c/v2/usage");
	/* Exactly fitting (with its NUL), and one byte short. */
	cr_assert_eq(pcr_counter_path("/c", 2, out, 12), 11);
	cr_assert_eq(pcr_counter_path("/c", 2, out, 11), 0);
}

Test(counter, a_file_adds_the_kib_of_its_4_kib_blocks)
{
	cr_assert_eq(pcr_counter_units(0), 0);
	cr_assert_eq(pcr_counter_units(1), 4, "a 1-byte pyc takes a block");
	cr_assert_eq(pcr_counter_units(4096), 4);
	cr_assert_eq(pcr_counter_units(4097), 8);
	cr_assert_eq(pcr_counter_units(UINT64_MAX), (UINT64_MAX / 4096 + 1) * 4);
	cr_assert_eq(pcr_counter_units(PCR_COUNTER_ENTRY_BYTES), 8, "an entry: two blocks");
}

Test(counter, a_scan_sets_it_in_kib_rounded_up)
{
	cr_assert_eq(pcr_counter_kib(0), 0);
	cr_assert_eq(pcr_counter_kib(512), 1);
	cr_assert_eq(pcr_counter_kib(1024), 1);
	cr_assert_eq(pcr_counter_kib(1025), 2);
	cr_assert_eq(pcr_counter_kib(UINT64_MAX), UINT64_MAX / 1024 + 1);
}

Test(counter, an_entry_is_touched_again_after_an_hour)
{
	struct timespec now = { .tv_sec = 1800000000, .tv_nsec = 5 };
	struct timespec t = now;
	cr_assert(!pcr_entry_touch_due(t, now), "just used");
	t.tv_sec = now.tv_sec - 3599;
	cr_assert(!pcr_entry_touch_due(t, now), "59:59 ago");
	t.tv_sec = now.tv_sec - 3600;
	cr_assert(pcr_entry_touch_due(t, now), "an hour ago");
	t.tv_sec = 0;
	cr_assert(pcr_entry_touch_due(t, now));
	t.tv_sec = now.tv_sec + 86400;
	cr_assert(!pcr_entry_touch_due(t, now), "a future mtime (a skewed clock) is left");
}
