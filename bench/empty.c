/* The reference preload of bench/run: a shared object with nothing in it, so
 * that loading libpycache-redirect.so is compared with loading any library. */
typedef int pcr_bench_empty_unit; /* ISO C wants a declaration in every unit */
