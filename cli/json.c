/* JSON output: strings escaped as RFC 8259 asks. */
#include <stdio.h>

#include "cli.h"

void pcr_cli_json_string(FILE *out, const char *s)
{
	putc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else /* bytes of a non-UTF-8 path pass as they are */
			putc(c, out);
	}
	putc('"', out);
}
