/* Stands for a statically linked Python (e2e_warn): a static program that
 * holds the line CPython's configuration reads, as one with CPython's
 * runtime in it does. LD_PRELOAD cannot reach it. */
#include <stdio.h>

int main(void)
{
	puts("static python ran (it reads PYTHONDONTWRITEBYTECODE)");
	return 0;
}
