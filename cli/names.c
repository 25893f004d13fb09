/* Names as the command prints them, whatever bytes a file name holds: JSON
 * strings that are valid UTF-8 (RFC 8259), and text that cannot steer a
 * terminal. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_length(const unsigned char *s)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned min, cp;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Whether the sequence of n bytes at s is a control character: C0, DEL, or
 * C1 (U+0080 to U+009F, which some terminals obey). */
static bool is_control(const unsigned char *s, size_t n)
{
	return (n == 1 && (s[0] < 0x20 || s[0] == 0x7f)) || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0);
}

void pcr_cli_json_string(FILE *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	putc('"', out);
	while (*s) {
		size_t n = utf8_length(s);
		if (n == 0) {
			/* A byte that is not UTF-8 as the lone surrogate Python's
			 * surrogateescape gives it (PEP 383): os.fsencode of the
			 * decoded string gives the name's bytes back. */
			fprintf(out, "\\udc%02x", *s);
			s++;
			continue;
		}
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else if (n == 1 && is_control(s, 1))
			fprintf(out, "\\u%04x", *s);
		else
			fwrite(s, 1, n, out);
		s += n;
	}
	putc('"', out);
}

void pcr_cli_print_name(FILE *out, const char *text)
{
	if (isatty(fileno(out)))
		pcr_cli_escape_name(out, text);
	else
		fputs(text, out);
}

void pcr_cli_escape_name(FILE *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	while (*s) {
		size_t n = utf8_length(s);
		if (n == 0 || is_control(s, n)) {
			/* \xHH for each byte: an escape sequence in a name is shown,
			 * never obeyed; a backslash doubles so that it stays plain. */
			for (size_t i = 0; i < (n ? n : 1); i++)
				fprintf(out, "\\x%02x", s[i]);
			s += n ? n : 1;
			continue;
		}
		if (*s == '\\')
			putc('\\', out);
		fwrite(s, 1, n, out);
		s += n;
	}
}
