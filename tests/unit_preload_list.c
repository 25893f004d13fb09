/* pcr_preload_list_names and the decision for root's own processes when the
 * library comes from /etc/ld.so.preload (core/preload_list.c). */
#include <criterion/criterion.h>

#include "core/preload_list.h"

#define LIB "libpycache-redirect.so"

Test(preload_list, names_the_library_in_any_directory_and_spelling)
{
	cr_assert(pcr_preload_list_names("/usr/lib/pycache-redirect/" LIB, LIB));
	cr_assert(pcr_preload_list_names("/usr/$LIB/pycache-redirect/" LIB, LIB));
	cr_assert(pcr_preload_list_names(LIB, LIB));
	cr_assert(pcr_preload_list_names("/a.so:/b/" LIB, LIB));
	cr_assert(pcr_preload_list_names("/a.so /b/" LIB " /c.so", LIB));
	cr_assert(pcr_preload_list_names("::/b/" LIB "::", LIB));
}

Test(preload_list, other_libraries_and_near_names_are_not_it)
{
	cr_assert_not(pcr_preload_list_names(NULL, LIB));
	cr_assert_not(pcr_preload_list_names("", LIB));
	cr_assert_not(pcr_preload_list_names(" : ", LIB));
	cr_assert_not(pcr_preload_list_names("/usr/lib/libfaketime.so.1", LIB));
	cr_assert_not(pcr_preload_list_names("/x/" LIB ".bak", LIB));
	cr_assert_not(pcr_preload_list_names("/x/old-" LIB, LIB));
	cr_assert_not(pcr_preload_list_names("/x/" LIB "/y.so", LIB));
}

Test(preload_list, root_passes_through_only_without_ld_preload_naming_it)
{
	/* The system file alone: root passes through, every other uid redirects. */
	cr_assert(pcr_preload_root_passes(0, NULL, LIB));
	cr_assert(pcr_preload_root_passes(0, "/usr/lib/libfaketime.so.1", LIB));
	cr_assert_not(pcr_preload_root_passes(1000, NULL, LIB));
	cr_assert_not(pcr_preload_root_passes(4242, "", LIB));
	/* Root asked for it: pycache-redirect run, or env's lines. */
	cr_assert_not(pcr_preload_root_passes(0, "/usr/$LIB/pycache-redirect/" LIB, LIB));
	cr_assert_not(pcr_preload_root_passes(0, "/a.so:/build/" LIB, LIB));
}
