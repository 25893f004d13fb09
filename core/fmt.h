/* Number formatting without stdio or allocation, for code that runs in hooks. */
#ifndef PCR_FMT_H
#define PCR_FMT_H

#include <stddef.h>

/* Writes v in decimal at out (no NUL); returns the digits written (at most 20). */
size_t pcr_put_uint(char *out, unsigned long v);

#endif
