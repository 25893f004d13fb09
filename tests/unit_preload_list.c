/* pcr_preload_list_names (core/preload_list.c): whether LD_PRELOAD names
 * the library, as the loader splits the list. */
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
