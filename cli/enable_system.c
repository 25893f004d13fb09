/* enable --system / disable --system: the library's line in glibc's
 * /etc/ld.so.preload, which the loader reads for every dynamically linked
 * program on the machine, whatever its environment (tox, sudo, env -i,
 * systemd services): no scrubber reaches it. musl's loader never reads it,
 * so enable refuses where the system's programs are musl's: where /bin/sh
 * runs on musl's loader (Alpine), which tells the system's C library
 * better than the library's own build (the command is glibc's either way).
 *
 * A broken line there breaks every program, and a library someone else can
 * replace would run their code in root's processes, so before writing:
 * the library and every directory above it must be root's and writable by
 * no one else, and it is loaded into a test process, which must exit 0 and
 * print nothing. The loader reads the file as entries separated by
 * whitespace and ':', with '#' comments; no quoting exists, so a path with
 * either is refused. Other entries and comments are kept as they are; the
 * file is replaced atomically (a temporary file in /etc, 0644 root:root).
 *
 * Every process is redirected then, root's too, but for dpkg's maintainer
 * scripts (core/config.c: DPKG_MAINTSCRIPT_PACKAGE), whose py3compile
 * writes the shipped pycs in the tree, where every user reads them. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "enable.h"

#define SEPARATORS " \t:"
#define LOAD_TIMEOUT_MS 30000

/* Whether the entry (len bytes) names a copy of the library: its file
 * name, in any directory. */
static bool ours(const char *entry, size_t len)
{
	const char *slash = memrchr(entry, '/', len);
	const char *name = slash ? slash + 1 : entry;
	size_t n = len - (size_t)(name - entry);
	return n == strlen(PCR_LIBRARY_NAME) && memcmp(name, PCR_LIBRARY_NAME, n) == 0;
}

/* text without the entries that name the library (a line left with no
 * entry and no comment goes too) into out, as big as text; how many went
 * in *removed, and whether one was exactly keep in *kept. */
static size_t without_ours(const char *text, size_t len, const char *keep, char *out,
			   size_t *removed, bool *kept)
{
	size_t o = 0;
	*removed = 0;
	*kept = false;
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *next = nl ? nl + 1 : end;
		const char *hash = memchr(p, '#', (size_t)(eol - p));
		const char *stop = hash ? hash : eol;
		size_t mine = 0, others = 0;
		for (const char *q = p; q < stop;) {
			size_t gap = strspn(q, SEPARATORS);
			q += gap;
			if (q >= stop)
				break;
			size_t n = strcspn(q, SEPARATORS "#\n");
			if (ours(q, n)) {
				mine++;
				*kept = *kept || (n == strlen(keep) && memcmp(q, keep, n) == 0);
			} else {
				others++;
			}
			q += n;
		}
		if (!mine) { /* the line as it is */
			memcpy(out + o, p, (size_t)(next - p));
			o += (size_t)(next - p);
		} else if (others || hash) { /* the others, and the comment */
			bool first = true;
			for (const char *q = p; q < stop;) {
				q += strspn(q, SEPARATORS);
				if (q >= stop)
					break;
				size_t n = strcspn(q, SEPARATORS "#\n");
				if (!ours(q, n)) {
					if (!first)
						out[o++] = ' ';
					memcpy(out + o, q, n);
					o += n;
					first = false;
				}
				q += n;
			}
			if (hash) {
				if (!first)
					out[o++] = ' ';
				memcpy(out + o, hash, (size_t)(eol - hash));
				o += (size_t)(eol - hash);
			}
			out[o++] = '\n';
		}
		*removed += mine;
		p = next;
	}
	return o;
}

/* Each entry of text that names the library, a line each, indented. */
static void print_ours(const char *text, size_t len)
{
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *hash = memchr(p, '#', (size_t)(eol - p));
		for (const char *q = p, *stop = hash ? hash : eol; q < stop;) {
			q += strspn(q, SEPARATORS);
			size_t n = q < stop ? strcspn(q, SEPARATORS "#\n") : 0;
			if (n && ours(q, n))
				printf("    %.*s\n", (int)n, q);
			q += n;
		}
		p = nl ? nl + 1 : end;
	}
}

/* /bin/true run with LD_PRELOAD set to entry (NULL: unset) into r. */
static void run_true(const char *entry, struct pcr_cli_child *r)
{
	extern char **environ;
	size_t n = 0;
	while (environ[n])
		n++;
	char **envp = calloc(n + 2, sizeof *envp);
	char *preload = malloc((entry ? strlen(entry) : 0) + sizeof "LD_PRELOAD=");
	if (!envp || !preload) {
		r->status = -1;
		pcr_cli_format(r->out, sizeof r->out, "out of memory");
	} else {
		size_t k = 0;
		if (entry) {
			sprintf(preload, "LD_PRELOAD=%s", entry);
			envp[k++] = preload;
		}
		for (size_t i = 0; i < n; i++)
			if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
				envp[k++] = environ[i];
		const char *program =
		    access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true";
		char *argv[] = { (char *)program, NULL };
		pcr_cli_child_exec(r, "/", argv, envp, LOAD_TIMEOUT_MS);
	}
	free(envp);
	free(preload);
}

/* The library loaded, as the line names it, into /bin/true: it must exit
 * 0 and print nothing more than /bin/true prints without it (a loader's
 * error would be printed by every program of the machine; one about
 * another line of the file is not ours to judge). false with why. */
static bool loads(const char *entry, char *why, size_t whysz)
{
	struct pcr_cli_child *plain = malloc(sizeof *plain), *with = malloc(sizeof *with);
	bool ok = false;
	if (plain && with) {
		run_true(NULL, plain);
		run_true(entry, with);
		char line[1024];
		ok = with->status == 0 && strcmp(with->out, plain->out) == 0;
		if (!ok)
			pcr_cli_format(
			    why, whysz,
			    "%s does not load cleanly: /bin/true with it preloaded %s%s", entry,
			    with->timed_out     ? "hung"
			    : with->status == 0 ? "printed: "
						: "failed: ",
			    with->timed_out ? ""
			    : with->out[0]  ? pcr_cli_first_line(with->out, line, sizeof line)
					    : "(no output)");
	} else {
		pcr_cli_format(why, whysz, "out of memory");
	}
	free(plain);
	free(with);
	return ok;
}

/* The line that names the library: its path, spelled as env spells it
 * (with the loader's $LIB where the install allows), into entry, after
 * every check. false with the reason on stderr. */
static bool our_entry(char *entry, size_t size)
{
	char library[PATH_MAX], why[8 * PATH_MAX + 256];
	if (!pcr_cli_find_library(library, sizeof library, why, sizeof why)) {
		pcr_cli_error("enable --system: %s; nothing changed", why);
		return false;
	}
	if (!pcr_cli_preload_spelling(library, PCR_LOADER_LIB, entry, size)) {
		pcr_cli_error("enable --system: the library's path %s is too long", library);
		return false;
	}
	for (const char *p = entry; *p; p++)
		if (isspace((unsigned char)*p) || *p == ':' || *p == '#') {
			pcr_cli_error("enable --system: the library's path '%s' holds whitespace, "
				      "':' or '#', which " PCR_CLI_SYSTEM_FILE
				      " takes for separators or a comment (it has no quoting); "
				      "install the library at a plain path; nothing changed",
				      entry);
			return false;
		}
	if (!pcr_cli_file_trusted(library, 0, true, why, sizeof why)) {
		pcr_cli_error("enable --system: %s; nothing changed", why);
		return false;
	}
	if (!loads(entry, why, sizeof why)) {
		pcr_cli_error("enable --system: %s; nothing changed", why);
		return false;
	}
	return true;
}

/* The file read, refusing what the loader would read otherwise than this
 * command does; false with the reason on stderr. */
static bool read_system(const char *verb, struct pcr_cli_text *t)
{
	char why[PATH_MAX + 128];
	struct stat st;
	if (lstat(PCR_CLI_SYSTEM_FILE, &st) == 0 && S_ISLNK(st.st_mode)) {
		pcr_cli_error("%s: " PCR_CLI_SYSTEM_FILE " is a symbolic link: edit it by hand; "
			      "nothing changed",
			      verb);
		return false;
	}
	if (!pcr_cli_text_read(PCR_CLI_SYSTEM_FILE, t, why, sizeof why)) {
		pcr_cli_error("%s: %s; fix it by hand; nothing changed", verb, why);
		return false;
	}
	return true;
}

bool pcr_cli_system_enabled(void)
{
	struct pcr_cli_text t;
	char why[PATH_MAX + 128];
	if (!pcr_cli_text_read(PCR_CLI_SYSTEM_FILE, &t, why, sizeof why) || !t.bytes)
		return false;
	char *scratch = malloc(t.len + 1);
	size_t removed = 0;
	bool kept;
	if (scratch)
		without_ours(t.bytes, t.len, "", scratch, &removed, &kept);
	free(scratch);
	pcr_cli_text_free(&t);
	return removed > 0;
}

int pcr_cli_switch_system(const struct pcr_cli_switch *sw)
{
	const char *verb = sw->on ? "enable --system" : "disable --system";
	if (!sw->dry_run && geteuid() != 0) {
		pcr_cli_error("%s: only root can change " PCR_CLI_SYSTEM_FILE " (sudo " PCR_CLI_NAME
			      " %s); nothing changed",
			      verb, verb);
		return PCR_CLI_FAILURE;
	}
	char loader[PATH_MAX];
	if (sw->on && pcr_cli_system_is_musl(loader, sizeof loader)) {
		pcr_cli_error("%s: this system's C library is musl (/bin/sh runs on %s), whose "
			      "loader reads no " PCR_CLI_SYSTEM_FILE
			      ", only LD_PRELOAD: set it where "
			      "the programs start (" PCR_CLI_NAME " env --shell docker prints a "
			      "Dockerfile's ENV lines; a musl build of the library: README, Alpine "
			      "and musl); nothing changed",
			      verb, loader);
		return PCR_CLI_FAILURE;
	}
	struct pcr_cli_text t;
	if (!read_system(verb, &t))
		return PCR_CLI_FAILURE;
	char entry[PATH_MAX];
	if (sw->on && !our_entry(entry, sizeof entry)) {
		pcr_cli_text_free(&t);
		return PCR_CLI_FAILURE;
	}
	size_t old_len = t.bytes ? t.len : 0;
	char *out = malloc(old_len + sizeof entry + 2);
	if (!out) {
		pcr_cli_text_free(&t);
		pcr_cli_error("out of memory");
		return PCR_CLI_FAILURE;
	}
	size_t removed;
	bool kept;
	size_t len = without_ours(t.bytes ? t.bytes : "", old_len, sw->on ? entry : "", out,
				  &removed, &kept);
	int status = PCR_CLI_OK;
	if (sw->on ? kept && removed == 1 : removed == 0) {
		printf("already %s: " PCR_CLI_SYSTEM_FILE " %s\n", sw->on ? "enabled" : "disabled",
		       sw->on ? "names the library" : "does not name the library");
		goto done;
	}
	if (sw->on) {
		if (len && out[len - 1] != '\n')
			out[len++] = '\n';
		len += (size_t)sprintf(out + len, "%s\n", entry);
	}
	out[len] = '\0';
	/* An empty file and no file are the same to the loader. */
	bool remove = !sw->on && strspn(out, " \t\n") >= len;
	if (!sw->dry_run) {
		char why[PATH_MAX + 256];
		struct stat owner = { .st_uid = 0, .st_gid = 0, .st_mode = 0644 };
		bool ok = remove ? unlink(PCR_CLI_SYSTEM_FILE) == 0 ||
				       (pcr_cli_format(why, sizeof why, "cannot remove it: %s",
						       strerror(errno)),
					false)
				 : pcr_cli_text_replace(PCR_CLI_SYSTEM_FILE, out, len, &owner, 0644,
							why, sizeof why);
		if (!ok) {
			pcr_cli_error("%s: %s; nothing changed", verb, why);
			status = PCR_CLI_FAILURE;
			goto done;
		}
	}
	const char *would = sw->dry_run ? "would be " : "";
	if (removed) {
		printf("%sremoved from " PCR_CLI_SYSTEM_FILE "%s:\n", would,
		       remove ? " (and the file, which held nothing else)" : "");
		print_ours(t.bytes, old_len);
	}
	if (sw->on)
		printf("%sadded to " PCR_CLI_SYSTEM_FILE "%s:\n    %s\n", would,
		       t.bytes ? "" : " (a new file)", entry);
	if (sw->dry_run)
		printf("dry run: nothing changed\n");
	else if (sw->on)
		printf("every program started from now on loads it, root's too; dpkg's maintainer "
		       "scripts pass everything through (py3compile's pycs go in the tree, where "
		       "every user reads them)\n");
	printf("to undo: " PCR_CLI_NAME " %s --system\n", sw->on ? "disable" : "enable");
done:
	free(out);
	pcr_cli_text_free(&t);
	return status;
}
