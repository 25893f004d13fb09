/* The start-up files enable and disable edit: read whole, and replaced
 * atomically with the owner and mode they had, so that a reader (a shell
 * starting, the loader of every program for /etc/ld.so.preload) sees the
 * old file or the new one, never half of one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/atomic.h"
#include "cli.h"
#include "enable.h"

bool pcr_cli_text_read(const char *path, struct pcr_cli_text *t, char *why, size_t whysz)
{
	t->bytes = NULL;
	t->len = 0;
	/* O_NONBLOCK: a FIFO planted at the path does not hang the command. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return true;
	const char *problem = NULL;
	int err = fd < 0 ? errno : 0;
	if (!err && fstat(fd, &t->st) < 0)
		err = errno;
	else if (!err && !S_ISREG(t->st.st_mode))
		problem =
		    S_ISDIR(t->st.st_mode) ? "is a directory, not a file" : "is not a regular file";
	else if (!err && (size_t)t->st.st_size >= PCR_CLI_TEXT_MAX)
		problem = "is too big to be a start-up file (1 MiB or more)";
	else if (!err && !(t->bytes = malloc((size_t)t->st.st_size + 1)))
		err = ENOMEM;
	if (t->bytes) {
		ssize_t n = read(fd, t->bytes, (size_t)t->st.st_size + 1);
		if (n < 0)
			err = errno;
		else if ((size_t)n != (size_t)t->st.st_size)
			problem = "changed while it was read; try again";
		else if (memchr(t->bytes, '\0', (size_t)n))
			problem = "holds a NUL byte: it is not a text file";
		else
			t->bytes[t->len = (size_t)n] = '\0';
	}
	if (fd >= 0)
		close(fd);
	if (!err && !problem)
		return true;
	pcr_cli_text_free(t);
	if (problem)
		pcr_cli_format(why, whysz, "%s %s", path, problem);
	else
		pcr_cli_format(why, whysz, "cannot read %s: %s", path, strerror(err));
	return false;
}

void pcr_cli_text_free(struct pcr_cli_text *t)
{
	free(t->bytes);
	t->bytes = NULL;
	t->len = 0;
}

bool pcr_cli_text_replace(const char *path, const char *bytes, size_t len, const struct stat *like,
			  mode_t mode, char *why, size_t whysz)
{
	char tmp[PATH_MAX];
	if (!pcr_tmp_name(path, (unsigned long)getpid(), tmp, sizeof tmp)) {
		pcr_cli_format(why, whysz, "%s: the path is too long", path);
		return false;
	}
	unlink(tmp); /* a crashed run's of this pid */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		pcr_cli_format(why, whysz, "cannot write beside %s (%s): %s", path, tmp,
			       strerror(errno));
		return false;
	}
	const char *step = "write";
	bool ok = pcr_write_all(fd, bytes, len);
	/* The owner first: fchown clears the set-id bits a mode may have. */
	if (ok && like && (like->st_uid != geteuid() || like->st_gid != getegid()))
		ok = (step = "give the owner of", fchown(fd, like->st_uid, like->st_gid) == 0);
	if (ok)
		ok = (step = "set the mode of",
		      fchmod(fd, like ? like->st_mode & 07777 : mode) == 0);
	if (ok)
		ok = (step = "sync", fsync(fd) == 0);
	int err = errno;
	if (close(fd) < 0 && ok)
		ok = (step = "write", err = errno, false);
	if (ok && rename(tmp, path) < 0)
		ok = (step = "replace", err = errno, false);
	if (ok)
		return true;
	unlink(tmp);
	pcr_cli_format(why, whysz, "cannot %s %s: %s", step,
		       strcmp(step, "replace") == 0 ? path : tmp, strerror(err));
	return false;
}

bool pcr_cli_make_parents(const char *path, char *why, size_t whysz)
{
	char dir[PATH_MAX];
	pcr_cli_format(dir, sizeof dir, "%s", path);
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
			pcr_cli_format(why, whysz, "cannot create %s: %s", dir, strerror(errno));
			return false;
		}
		*p = '/';
	}
	return true;
}

void pcr_cli_print_indented(const char *text, size_t len)
{
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		printf("    %.*s\n", (int)n, p);
		p += n + 1;
	}
}

bool pcr_cli_text_ours(const char *path, const struct pcr_cli_text *t, char *why, size_t whysz)
{
	uid_t me = geteuid();
	/* Where it is (or would be made): the user's alone, all the way up, so
	 * that no one else's link (a ~/.config/environment.d of theirs, under
	 * sudo -E) leads root to write where every user reads. */
	char dir[PATH_MAX];
	pcr_cli_format(dir, sizeof dir, "%s", path);
	char *last = strrchr(dir, '/');
	if (last && last != dir) {
		*last = '\0';
		if (!pcr_cli_dir_trusted(dir, me, true, why, whysz))
			return false;
	}
	if (t->bytes) {
		if (t->st.st_uid == me)
			return true;
		pcr_cli_format(why, whysz,
			       "%s belongs to uid %lu, not to this user (uid %lu): edit it as its "
			       "owner",
			       path, (unsigned long)t->st.st_uid, (unsigned long)me);
		return false;
	}
	pcr_cli_format(dir, sizeof dir, "%s", path);
	struct stat st = { .st_uid = (uid_t)-1 };
	for (char *slash; (slash = strrchr(dir, '/'));) {
		slash[slash == dir] = '\0';
		if (stat(dir, &st) == 0)
			break;
		if (slash == dir)
			return true;
	}
	if (st.st_uid == me)
		return true;
	pcr_cli_format(why, whysz,
		       "%s would be made in %s, which belongs to uid %lu, not to this user (uid "
		       "%lu): run it as that user",
		       path, dir, (unsigned long)st.st_uid, (unsigned long)me);
	return false;
}
