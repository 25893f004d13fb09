/* Whether a file that the start-up files or /etc/ld.so.preload will name,
 * or a directory they will be written in, can be changed by no one but
 * root and the user: else whoever can change it runs their code as the
 * user (as root, for root's files), at every shell or in every program. The
 * directories are walked as the cache root's are (core/root.c): root's or
 * the user's, writable by no one else, but for a sticky one (/tmp) whose
 * next component is root's or the user's, links followed. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/root.h"
#include "cli.h"
#include "enable.h"

#define TRUST_WHY                                                                             \
	": anyone who can change it could run their code as this user (as root, for root's) " \
	"every time it is used"

static bool walk_passes(const char *dir, unsigned long uid, bool may_be_missing, char *why,
			size_t whysz)
{
	int err;
	char where[PATH_MAX];
	enum pcr_root_status s =
	    pcr_root_check(&pcr_fs_libc, dir, uid, false, &err, where, sizeof where);
	if (s == PCR_ROOT_OK || s == PCR_ROOT_READ_ONLY || s == PCR_ROOT_UNWRITABLE ||
	    (may_be_missing && s == PCR_ROOT_MISSING))
		return true;
	struct stat st;
	bool have = stat(dir, &st) == 0;
	/* The walk asks for the user's own directory; root's serves too. */
	if (s == PCR_ROOT_FOREIGN && have && st.st_uid == 0 && !(st.st_mode & 022))
		return true;
	if (s == PCR_ROOT_FOREIGN && have) {
		pcr_cli_format(why, whysz,
			       "%s belongs to uid %lu, not to this user (uid %lu)" TRUST_WHY, dir,
			       (unsigned long)st.st_uid, uid);
		return false;
	}
	bool parent = s == PCR_ROOT_UNSAFE_PARENT && *where;
	pcr_cli_format(why, whysz, "%s %s%s%s%s" TRUST_WHY, dir, pcr_root_status_str(s),
		       parent ? " (" : "", parent ? where : "", parent ? ")" : "");
	return false;
}

static void parent_of(const char *path, char *out, size_t size)
{
	pcr_cli_format(out, size, "%s", path);
	char *slash = strrchr(out, '/');
	if (slash)
		slash[slash == out] = '\0';
}

bool pcr_cli_dir_trusted(const char *dir, unsigned long uid, bool may_be_missing, char *why,
			 size_t whysz)
{
	struct stat st;
	if (lstat(dir, &st) < 0 || !S_ISLNK(st.st_mode))
		return walk_passes(dir, uid, may_be_missing, why, whysz);
	/* A link at the end (a dotfiles repository): where it is, and where it
	 * leads. */
	char parent[PATH_MAX], real[PATH_MAX];
	parent_of(dir, parent, sizeof parent);
	if (!walk_passes(parent, uid, false, why, whysz))
		return false;
	if (!realpath(dir, real)) {
		pcr_cli_format(why, whysz, "cannot follow %s: %s", dir, strerror(errno));
		return false;
	}
	return walk_passes(real, uid, false, why, whysz);
}

/* Every directory of real (absolute, resolved) searchable by others. */
static bool others_reach(const char *real, char *why, size_t whysz)
{
	char dir[PATH_MAX];
	parent_of(real, dir, sizeof dir);
	for (;;) {
		struct stat st;
		if (stat(dir, &st) < 0 || !(st.st_mode & S_IXOTH)) {
			pcr_cli_format(why, whysz,
				       "%s cannot be searched by other users: every program of "
				       "theirs would fail to load the library",
				       dir);
			return false;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || dir[1] == '\0')
			return true;
		slash[slash == dir] = '\0';
	}
}

bool pcr_cli_file_trusted(const char *path, unsigned long uid, bool for_everyone, char *why,
			  size_t whysz)
{
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		pcr_cli_format(why, whysz, "cannot resolve %s: %s", path, strerror(errno));
		return false;
	}
	/* The path as named, then as resolved: a link on the way is in a
	 * directory of the one, its target among the other. */
	const char *paths[] = { path, real };
	for (size_t i = 0; i < 2; i++) {
		struct stat st;
		if (stat(paths[i], &st) < 0) {
			pcr_cli_format(why, whysz, "cannot look at %s: %s", paths[i],
				       strerror(errno));
			return false;
		}
		if ((st.st_uid != 0 && st.st_uid != uid) || (st.st_mode & 022)) {
			pcr_cli_format(
			    why, whysz, "%s is %s" TRUST_WHY, paths[i],
			    st.st_uid != 0 && st.st_uid != uid
				? (uid ? "neither root's nor this user's" : "not owned by root")
				: "writable by group or others");
			return false;
		}
		char dir[PATH_MAX];
		parent_of(paths[i], dir, sizeof dir);
		if (!pcr_cli_dir_trusted(dir, uid, false, why, whysz))
			return false;
	}
	struct stat st;
	if (for_everyone && stat(real, &st) == 0 && !(st.st_mode & S_IROTH)) {
		pcr_cli_format(why, whysz,
			       "%s cannot be read by other users: every program of theirs would "
			       "fail to load it",
			       real);
		return false;
	}
	return !for_everyone || others_reach(real, why, whysz);
}

bool pcr_cli_named_files_trusted(bool with_command, char *why, size_t whysz)
{
	unsigned long uid = (unsigned long)geteuid();
	char library[PATH_MAX];
	if (!pcr_cli_find_library(library, sizeof library, why, whysz))
		return false;
	if (strpbrk(library, " \t\n:")) {
		pcr_cli_format(why, whysz,
			       "the library's path %s holds whitespace or ':', which LD_PRELOAD "
			       "takes for separators: install it at a plain path",
			       library);
		return false;
	}
	if (!pcr_cli_file_trusted(library, uid, false, why, whysz))
		return false;
	if (!with_command)
		return true;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		pcr_cli_format(why, whysz, "cannot tell where this program is: %s",
			       strerror(errno));
		return false;
	}
	self[n] = '\0';
	return pcr_cli_file_trusted(self, uid, false, why, whysz);
}
