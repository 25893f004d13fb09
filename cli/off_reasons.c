/* Never silently off: every reason Python started with this environment
 * would not be redirected, said on stderr before it is too late (cli.h's
 * pcr_cli_warn_if_off), one line each with the fix. The library itself says
 * nothing unless PYCACHE_REDIRECT_LOG asks, so this is where a user of
 * `eval "$(pycache-redirect env)"` learns why a tree fills up. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/fs.h"
#include "cli.h"
#include "off_reasons.h"

/* A line CPython's configuration reads in every build: a static program
 * that holds it embeds Python. */
#define PYTHON_RUNTIME_MARK "PYTHONDONTWRITEBYTECODE"
/* Scripts followed to their interpreter, at most (a script run by a
 * script run by ...). */
#define MAX_SCRIPT_DEPTH 4

static const char *environment(const char *name) { return getenv(name); }

static void say(const char *who, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(const char *who, const char *level, const char *fmt, ...)
{
	char line[4 * PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	pcr_cli_vformat(line, sizeof line, fmt, ap);
	va_end(ap);
	if (who)
		pcr_cli_error("%s: %s: %s", who, level, line);
	else
		pcr_cli_error("%s: %s", level, line);
}

/* ---- the root ---- */

void pcr_cli_root_fix(const char *root, enum pcr_root_status s, const char *where, char *fix,
		      size_t size)
{
	struct stat st;
	bool have = lstat(root, &st) == 0;
	switch (s) {
	case PCR_ROOT_SYMLINK:
		pcr_cli_format(fix, size,
			       "replace the link with a real directory (rm %s && mkdir -m 700 %s) "
			       "or set " PCR_ENV_DIR " to the directory it points to",
			       root, root);
		return;
	case PCR_ROOT_NOT_DIR:
		pcr_cli_format(fix, size,
			       "move the file away, or set " PCR_ENV_DIR " to another directory");
		return;
	case PCR_ROOT_FOREIGN:
		pcr_cli_format(fix, size,
			       "it belongs to uid %lu: set " PCR_ENV_DIR " to a directory of your "
			       "own, or have its owner remove it",
			       have ? (unsigned long)st.st_uid : 0ul);
		return;
	case PCR_ROOT_UNSAFE_MODE:
		pcr_cli_format(fix, size, "chmod 700 %s (now %04o)", root,
			       have ? (unsigned)(st.st_mode & 07777) : 0u);
		return;
	case PCR_ROOT_UNWRITABLE:
		pcr_cli_format(fix, size,
			       "chmod u+rwx %s (a root that is to be read alone is mounted "
			       "read-only)",
			       root);
		return;
	case PCR_ROOT_IS_TOP:
		pcr_cli_format(fix, size,
			       "set " PCR_ENV_DIR " to a directory of its own, such as "
			       "~/.cache/pycache-redirect");
		return;
	case PCR_ROOT_UNSAFE_PARENT:
		pcr_cli_format(
		    fix, size,
		    "make %s yours or root's and writable by no one else, or set " PCR_ENV_DIR
		    " to a directory of your own",
		    where && *where ? where : "each directory on the way");
		return;
	default:
		pcr_cli_format(fix, size,
			       "set " PCR_ENV_DIR " to a directory of your own, or create %s "
			       "(mkdir -p -m 700)",
			       root);
		return;
	}
}

/* "is writable by group or others", and what failed on the way. */
static void root_state(enum pcr_root_status s, int err, const char *where, char *out, size_t size)
{
	if (s == PCR_ROOT_UNSAFE_PARENT && *where)
		pcr_cli_format(out, size, "%s (%s)", pcr_root_status_str(s), where);
	else if (err)
		pcr_cli_format(out, size, "%s (%s)", pcr_root_status_str(s), strerror(err));
	else
		pcr_cli_format(out, size, "%s", pcr_root_status_str(s));
}

bool pcr_cli_root_usable(void)
{
	struct pcr_config c;
	pcr_config_load(&c, environment, (unsigned long)geteuid());
	if (c.root_len == 0)
		return false;
	enum pcr_root_status st;
	int err;
	return pcr_root_choose(&pcr_fs_libc, &c, (unsigned long)geteuid(), false, &st, &err, NULL,
			       0) != PCR_ROOT_USE_NONE;
}

static int root_reasons(const char *who, const struct pcr_config *c)
{
	enum pcr_root_status st;
	int err;
	char where[PATH_MAX] = "", state[PATH_MAX + 128], fix[2 * PATH_MAX];
	enum pcr_root_use use = pcr_root_choose(&pcr_fs_libc, c, (unsigned long)geteuid(), false,
						&st, &err, where, sizeof where);
	/* A bit, tested as one: the use may carry flags (how it is used). */
	bool to_fallback = (use & PCR_ROOT_USE_FALLBACK) != 0;
	if (use & PCR_ROOT_USE_READ_ONLY)
		say(who, "note",
		    "the cache root %s is on a read-only mount: its pycs are read, new ones are "
		    "not written (nor put into the source trees)",
		    to_fallback ? c->fallback : c->root);
	if (use != PCR_ROOT_USE_NONE && !to_fallback)
		return 0;
	root_state(st, err, where, state, sizeof state);
	pcr_cli_root_fix(c->root, st, where, fix, sizeof fix);
	if (to_fallback) {
		say(who, "note", "the cache root %s %s: the library uses %s instead; %s", c->root,
		    state, c->fallback, fix);
		return 0;
	}
	if (c->fallback_len == 0) {
		say(who, "warning", "the cache root %s %s: Python will not be redirected; %s",
		    c->root, state, fix);
		return 1;
	}
	char fallback[PATH_MAX + 128];
	err = 0;
	enum pcr_root_status f = pcr_root_check(&pcr_fs_libc, c->fallback, (unsigned long)geteuid(),
						false, &err, where, sizeof where);
	root_state(f, err, where, fallback, sizeof fallback);
	say(who, "warning",
	    "the cache root %s %s, and its fallback %s %s: Python will not be redirected; %s",
	    c->root, state, c->fallback, fallback, fix);
	return 1;
}

static int config_reasons(const char *who)
{
	struct pcr_config c;
	pcr_config_load(&c, environment, (unsigned long)geteuid());
	if (c.root_len == 0) {
		say(who, "warning", "%s; set " PCR_ENV_DIR " to an absolute directory, or unset it",
		    c.problem ? c.problem : PCR_ENV_DIR " is refused: the redirect is off");
		return 1;
	}
	int n = 0;
	if (c.problem) /* a setting that keeps its default: not off */
		say(who, "warning", "%s; the library ignores that setting", c.problem);
	if (c.package_script) {
		say(who, "note",
		    PCR_ENV_DPKG_SCRIPT " is set: in dpkg's maintainer scripts the redirect is "
					"off, so that a package's pycs go where it ships them");
		n++;
	} else if (!c.enabled) {
		say(who, "note",
		    PCR_ENV_SWITCH "=%s switches the redirect off; unset " PCR_ENV_SWITCH
				   " to switch it on",
		    getenv(PCR_ENV_SWITCH) ? getenv(PCR_ENV_SWITCH) : "");
		n++;
	}
	return n + root_reasons(who, &c);
}

/* ---- the library, Python's own variables ---- */

static int library_reasons(const char *who)
{
	char library[PATH_MAX], why[8 * PATH_MAX];
	if (!pcr_cli_find_library(library, sizeof library, why, sizeof why)) {
		say(who, "warning", "%s", why);
		return 1;
	}
	if (!pcr_cli_library_is_ours(library, library,
				     ": Python will not be redirected; rebuild or reinstall "
				     "pycache-redirect " PCR_VERSION,
				     why, sizeof why)) {
		say(who, "warning", "%s", why);
		return 1;
	}
	return 0;
}

static int python_reasons(const char *who)
{
	int n = 0;
	const char *dont = getenv("PYTHONDONTWRITEBYTECODE");
	const char *prefix = getenv("PYTHONPYCACHEPREFIX");
	if (dont && *dont) {
		say(who, "warning",
		    "PYTHONDONTWRITEBYTECODE=%s: Python writes no bytecode at all, so "
		    "nothing is redirected (and every import compiles); unset "
		    "PYTHONDONTWRITEBYTECODE",
		    dont);
		n++;
	}
	if (prefix && *prefix) {
		say(who, "warning",
		    "PYTHONPYCACHEPREFIX=%s: Python writes its bytecode under it, never into "
		    "__pycache__, so nothing is redirected; unset PYTHONPYCACHEPREFIX",
		    prefix);
		n++;
	}
	return n;
}

/* ---- the program ---- */

bool pcr_cli_on_path(const char *name, char *out, size_t size)
{
	if (strchr(name, '/')) {
		int len = snprintf(out, size, "%s", name);
		return len > 0 && (size_t)len < size;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin"; /* execvp's default */
	for (const char *p = path;; p++) {
		size_t n = strcspn(p, ":");
		int len = n ? snprintf(out, size, "%.*s/%s", (int)n, p, name)
			    : snprintf(out, size, "%s", name); /* "": the current directory */
		struct stat st;
		if (len > 0 && (size_t)len < size && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(out, X_OK) == 0)
			return true;
		p += n;
		if (!*p)
			return false;
	}
}

/* The program a "#!" line runs, into out: its interpreter, or for
 * /usr/bin/env, the command env looks up. false when head is no such line
 * or it cannot be followed. */
static bool script_interpreter(const char *head, char *out, size_t size)
{
	if (strncmp(head, "#!", 2) != 0)
		return false;
	const char *p = head + 2 + strspn(head + 2, " \t");
	size_t n = strcspn(p, " \t\n");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	const char *base = strrchr(out, '/');
	if (strcmp(base ? base + 1 : out, "env") != 0)
		return true;
	/* env [-S] NAME ...: NAME on PATH. */
	p += n;
	p += strspn(p, " \t");
	if (strncmp(p, "-S", 2) == 0)
		p += 2 + strspn(p + 2, " \t");
	n = strcspn(p, " \t\n");
	if (n == 0 || *p == '-' || n >= NAME_MAX)
		return false;
	char name[NAME_MAX + 1];
	memcpy(name, p, n);
	name[n] = '\0';
	return pcr_cli_on_path(name, out, size);
}

/* Read, not mapped: a file that shrinks meanwhile would kill a mapping's
 * reader with SIGBUS. Chunks overlap by the mark's length. */
static bool holds_python(int fd)
{
	enum { CHUNK = 1 << 16 };
	static char buf[CHUNK];
	size_t mark = strlen(PYTHON_RUNTIME_MARK), kept = 0;
	off_t at = 0;
	for (;;) {
		ssize_t n = pread(fd, buf + kept, CHUNK - kept, at);
		if (n <= 0)
			return false;
		size_t have = kept + (size_t)n;
		if (memmem(buf, have, PYTHON_RUNTIME_MARK, mark))
			return true;
		at += n;
		kept = have < mark - 1 ? have : mark - 1;
		memmove(buf, buf + have - kept, kept);
	}
}

/* The set-user-ID or set-group-ID bit that takes effect for this user, or
 * NULL: not on a nosuid mount, and not already this user's or group. */
static const char *secure_bit(const char *path, const struct stat *st)
{
	struct statvfs v;
	if (statvfs(path, &v) == 0 && (v.f_flag & ST_NOSUID))
		return NULL;
	if ((st->st_mode & S_ISUID) && st->st_uid != getuid())
		return "set-user-ID";
	if ((st->st_mode & S_ISGID) && st->st_gid != getgid())
		return "set-group-ID";
	return NULL;
}

/* One file of the chain: 1 unreachable (why filled), 0 reachable, 2 a
 * script whose interpreter is in next. */
static int examine(const char *shown, const char *path, char *next, size_t nextsz, char *why,
		   size_t whysz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	struct stat st;
	char head[256] = "";
	ssize_t got = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		got = pread(fd, head, sizeof head - 1, 0);
	int verdict = 0;
	const char *bit = got > 0 ? secure_bit(path, &st) : NULL;
	if (bit) {
		pcr_cli_format(
		    why, whysz,
		    "%s is %s: the loader drops LD_PRELOAD for it and for everything "
		    "it starts, so Python will not be redirected; run Python without it (for "
		    "sudo: sudo " PCR_CLI_NAME " run -- ...)",
		    shown, bit);
		verdict = 1;
	} else if (got >= (ssize_t)sizeof(Elf64_Ehdr) && memcmp(head, ELFMAG, SELFMAG) == 0 &&
		   head[EI_CLASS] == ELFCLASS64) {
		char loader[PATH_MAX];
		int interp = pcr_cli_elf_interpreter(fd, loader, sizeof loader);
		if (interp == 0 && holds_python(fd)) {
			pcr_cli_format(why, whysz,
				       "%s is statically linked: LD_PRELOAD cannot reach the "
				       "Python in it, so it will not be redirected; use a "
				       "dynamically linked Python (Debian's python3, a pyenv "
				       "build)",
				       shown);
			verdict = 1;
		}
#ifdef __GLIBC__ /* this command, and so the library beside it, is glibc's */
		else if (interp == 1 && pcr_cli_loader_is_musl(loader)) {
			pcr_cli_format(why, whysz,
				       "%s runs on musl (%s): it cannot load this glibc build "
				       "of the library, and fails to start (exit 127) with it "
				       "in LD_PRELOAD; preload a musl build of the library "
				       "into it (README: Alpine and musl)",
				       shown, loader);
			verdict = 1;
		}
#endif
	} else if (got > 2) {
		head[got] = '\0';
		if (script_interpreter(head, next, nextsz))
			verdict = 2;
	}
	close(fd);
	return verdict;
}

bool pcr_cli_unreachable(const char *program, char *why, size_t whysz)
{
	char path[PATH_MAX], next[PATH_MAX], shown[2 * PATH_MAX + 16];
	if (!pcr_cli_on_path(program, path, sizeof path))
		return false;
	pcr_cli_format(shown, sizeof shown, "%s", path);
	for (int depth = 0; depth <= MAX_SCRIPT_DEPTH; depth++) {
		int v = examine(shown, path, next, sizeof next, why, whysz);
		if (v != 2)
			return v == 1;
		/* The script runs next: name both. */
		pcr_cli_format(shown, sizeof shown, "%s (run by %s)", next, program);
		memcpy(path, next, sizeof path);
	}
	return false;
}

static int program_reasons(const char *who, const char *command)
{
	char why[4 * PATH_MAX];
	if (!pcr_cli_unreachable(command ? command : "python3", why, sizeof why))
		return 0;
	say(who, "warning", "%s", why);
	return 1;
}

int pcr_cli_warn_if_off(const char *who, const char *command)
{
	int n = config_reasons(who);
	n += library_reasons(who);
	n += python_reasons(who);
	n += program_reasons(who, command);
	return n;
}
