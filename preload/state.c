#include "state.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../core/libc_compat.h"
#include "../core/root.h"
#include "real.h"

struct pcr_config pcr_cfg;
int pcr_active;
unsigned long pcr_euid;

static int scope_state; /* 0 unknown, 1 hosts Python, -1 does not */
static int root_state;  /* 0 unchecked, -1 refused, else the pcr_root_use */

/* Records a decision; true for the one thread whose decision it was (two
 * threads may decide at once: the same answer, said once). */
static bool decide(int *state, int value)
{
	int unknown = 0;
	return __atomic_compare_exchange_n(state, &unknown, value, false, __ATOMIC_RELAXED,
					   __ATOMIC_RELAXED);
}

/* The configured log file, opened for one line: never through a symlink,
 * never blocking (a planted FIFO), and only a regular file of this user's
 * (another user's could hand the list of every imported path to them);
 * anything else falls back to stderr, with one warning a process. */
static int log_file_open(void)
{
	static int warned;
	if (!pcr_cfg.log_file)
		return 2;
	int fd = pcr_fs_real.open(
	    pcr_cfg.log_file,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
	struct stat st;
	const char *why = fd < 0 ? pcr_errno_name(errno) : NULL;
	if (fd >= 0 && fstat(fd, &st) < 0)
		why = pcr_errno_name(errno);
	else if (fd >= 0 && !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (fd >= 0 && st.st_uid != geteuid())
		why = "another user's file";
	if (!why)
		return fd;
	if (fd >= 0)
		close(fd);
	if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED)) {
		const char *parts[] = { "pycache-redirect: warning: log file ", pcr_cfg.log_file,
					" not used (", why ? why : "?", "); logging to stderr\n" };
		struct iovec iov[5];
		for (int i = 0; i < 5; i++)
			iov[i] = (struct iovec){ .iov_base = (void *)parts[i],
						 .iov_len = strlen(parts[i]) };
		ssize_t w = writev(2, iov, 5);
		(void)w;
	}
	return 2;
}

void pcr_log(enum pcr_log_level level, const char *const *parts, int n)
{
	if (pcr_cfg.log_level < level)
		return;
	struct iovec iov[16];
	int k = 0;
	iov[k++] = (struct iovec){ .iov_base = (void *)"pycache-redirect: ", .iov_len = 18 };
	for (int i = 0; i < n && k < 15; i++)
		iov[k++] =
		    (struct iovec){ .iov_base = (void *)parts[i], .iov_len = strlen(parts[i]) };
	iov[k++] = (struct iovec){ .iov_base = (void *)"\n", .iov_len = 1 };

	int saved = errno;
	int fd = log_file_open();
	ssize_t w = writev(fd, iov, k);
	(void)w; /* nowhere to report a failed log line */
	if (fd != 2)
		close(fd);
	errno = saved;
}

/* dl_iterate_phdr's callback: nonzero, which ends the walk, for a loaded
 * object whose file name is a Python runtime's (libpython3.11.so.1.0,
 * libpypy3.9-c.so). */
static int is_python_runtime(struct dl_phdr_info *info, size_t size, void *data)
{
	static const char *const libs[] = { "libpython", "libpypy" };
	(void)size, (void)data;
	if (!info->dlpi_name)
		return 0;
	const char *slash = strrchr(info->dlpi_name, '/');
	const char *base = slash ? slash + 1 : info->dlpi_name;
	for (size_t i = 0; i < sizeof libs / sizeof *libs; i++)
		if (strncmp(base, libs[i], strlen(libs[i])) == 0)
			return 1;
	return 0;
}

/* A process hosts Python when its name says so, or when a Python runtime's
 * entry points are loaded (an embedding program, libpython dlopen'ed before
 * its first import). Entry points of a library dlopen'ed RTLD_LOCAL are
 * hidden from dlsym(RTLD_DEFAULT): then the runtime is found by its file
 * name, in one walk of the loaded objects (only when the lookups failed). */
static bool hosts_python(void)
{
	static const char *const names[] = { "python", "pypy" };
	static const char *const symbols[] = { "Py_Initialize", "PyPy_IsInitialized",
					       "pypy_main_startup" };
	const char *self = program_invocation_short_name;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strncmp(self, names[i], strlen(names[i])) == 0)
			return true;
	for (size_t i = 0; i < sizeof symbols / sizeof *symbols; i++)
		if (dlsym(RTLD_DEFAULT, symbols[i]))
			return true;
	return dl_iterate_phdr(is_python_runtime, NULL) != 0;
}

bool pcr_wants(const char *path)
{
	int active = __atomic_load_n(&pcr_active, __ATOMIC_RELAXED);
	PCR_OPAQUE(path);
	return active && path &&
	       (pcr_might_be_pycache(path) ||
		((active & PCR_ACTIVE_SIDECARS) && pcr_might_be_sidecar(path)));
}

/* Python 2, which writes its pycs beside the sources: decided once, here,
 * because a Python 2 process never makes the __pycache__ call that decides
 * the scope. Only for a program named python*, so that no other process
 * pays for the symbol lookup; Py_InitModule4_64 exists in Python 2 alone. */
static bool runs_python2(void)
{
	return strncmp(program_invocation_short_name, "python", 6) == 0 &&
	       dlsym(RTLD_DEFAULT, "Py_InitModule4_64") != NULL;
}

bool pcr_in_scope(void)
{
	if (pcr_cfg.scope == PCR_SCOPE_ALL)
		return true;
	int s = __atomic_load_n(&scope_state, __ATOMIC_RELAXED);
	if (s == 0) {
		int saved = errno;
		s = hosts_python() ? 1 : -1;
		errno = saved;
		if (decide(&scope_state, s) && s < 0)
			pcr_log(PCR_LOG_EVERY,
				(const char *[]){
				    program_invocation_short_name,
				    ": not a Python process; passing __pycache__ through "
				    "(PYCACHE_REDIRECT_SCOPE=all redirects every process)" },
				2);
	}
	return s > 0;
}

bool pcr_root_usable(void)
{
	int s = __atomic_load_n(&root_state, __ATOMIC_RELAXED);
	if (s != 0)
		return s > 0;
	int saved = errno, err;
	unsigned long euid = (unsigned long)geteuid();
	__atomic_store_n(&pcr_euid, euid, __ATOMIC_RELAXED);
	enum pcr_root_status st;
	char where[256]; /* for the warning: the walk's own buffer is the stack's PATH_MAX */
	enum pcr_root_use use =
	    pcr_root_choose(&pcr_fs_real, &pcr_cfg, euid, true, &st, &err, where, sizeof where);
	s = use == PCR_ROOT_USE_NONE ? -1 : (int)use;
	bool fallback = s > 0 && (s & PCR_ROOT_USE_FALLBACK);
	bool decided = decide(&root_state, s);
	if (decided && (s < 0 || fallback)) {
		const char *why = err ? pcr_errno_name(err) : "";
		bool parent = st == PCR_ROOT_UNSAFE_PARENT,
		     other = pcr_cfg.fallback_len && !fallback;
		const char *outcome = fallback ? "" : "; the redirect is off in this process";
		pcr_log(PCR_LOG_WARN,
			(const char *[]){ "warning: cache root ", pcr_cfg.root, " ",
					  pcr_root_status_str(st), parent ? " (" : "",
					  parent ? where : "", parent ? ")" : "", err ? " (" : "",
					  why, err ? ")" : "",
					  fallback ? "; using "
					  : other  ? "; the fallback "
						   : "",
					  fallback || other ? pcr_cfg.fallback : "",
					  other ? " is refused too" : "", outcome },
			14);
	}
	if (decided && s > 0 && (s & PCR_ROOT_USE_READ_ONLY))
		pcr_log(PCR_LOG_EVERY,
			(const char *[]){ "cache root ", fallback ? pcr_cfg.fallback : pcr_cfg.root,
					  " is on a read-only file system: read from, never "
					  "written (Python's writes of pycs fail with EROFS)" },
			3);
	errno = saved;
	return s > 0;
}

bool pcr_root_read_only(void)
{
	int s = __atomic_load_n(&root_state, __ATOMIC_RELAXED);
	return s > 0 && (s & PCR_ROOT_USE_READ_ONLY);
}

const char *pcr_root(size_t *len)
{
	int s = __atomic_load_n(&root_state, __ATOMIC_RELAXED);
	bool fallback = s > 0 && (s & PCR_ROOT_USE_FALLBACK);
	*len = fallback ? pcr_cfg.fallback_len : pcr_cfg.root_len;
	return fallback ? pcr_cfg.fallback : pcr_cfg.root;
}

static const char *env(const char *name) { return getenv(name); }

__attribute__((constructor)) static void pcr_init(void)
{
	/* setuid and setgid programs keep their own files: nothing is redirected. */
	if (getauxval(AT_SECURE))
		return;
	int saved = errno;
	/* The euid the kernel started the process with: no syscall in a
	 * process that never calls a hook (the root's check asks again). */
	pcr_config_load(&pcr_cfg, env, getauxval(AT_EUID));
	if (pcr_cfg.problem)
		pcr_log(PCR_LOG_WARN, (const char *[]){ "warning: ", pcr_cfg.problem }, 2);
	int active = pcr_cfg.enabled ? PCR_ACTIVE_ON : 0;
	if (active && runs_python2())
		active |= PCR_ACTIVE_SIDECARS;
	__atomic_store_n(&pcr_active, active, __ATOMIC_RELEASE);
	errno = saved;
}
