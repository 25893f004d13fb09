#include "entry.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"

/* mkdir of the first len bytes of m->central, which is restored afterwards. */
static int mkdir_prefix(const struct pcr_fs *fs, struct pcr_mapping *m, size_t len)
{
	char c = m->central[len];
	m->central[len] = '\0';
	int r = fs->mkdir(m->central, 0700);
	m->central[len] = c;
	return r;
}

int pcr_entry_create_parents(const struct pcr_fs *fs, struct pcr_mapping *m)
{
	/* central is <root>/v2/<k0k1>/<key>...: the parents end before the key's
	 * slash and before the fan-out's slash. */
	size_t fanout_end = m->entry_len - PCR_KEY_HEX - 1;
	size_t layout_end = fanout_end - 3;
	if ((mkdir_prefix(fs, m, layout_end) < 0 && errno != EEXIST) ||
	    (mkdir_prefix(fs, m, fanout_end) < 0 && errno != EEXIST))
		return -1;
	return 0;
}

int pcr_entry_create(const struct pcr_fs *fs, struct pcr_mapping *m)
{
	int r = mkdir_prefix(fs, m, m->entry_len);
	if (r < 0 && errno == ENOENT) {
		if (pcr_entry_create_parents(fs, m) < 0)
			return -1;
		r = mkdir_prefix(fs, m, m->entry_len);
	}
	if (r == 0) {
		int saved = errno;
		pcr_entry_record_source(fs, m); /* best effort: prune keeps unrecorded entries */
		errno = saved;
	}
	return r;
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

/* "<entry>.src" spelled in place, in the room the mapping keeps before the
 * source; *saved keeps the bytes it covers, for record_name_undo. */
static const char *record_name(struct pcr_mapping *m, char saved[sizeof PCR_SOURCE_SUFFIX])
{
	memcpy(saved, m->central + m->entry_len, sizeof PCR_SOURCE_SUFFIX);
	memcpy(m->central + m->entry_len, PCR_SOURCE_SUFFIX, sizeof PCR_SOURCE_SUFFIX);
	return m->central;
}

static void record_name_undo(struct pcr_mapping *m, const char saved[sizeof PCR_SOURCE_SUFFIX])
{
	memcpy(m->central + m->entry_len, saved, sizeof PCR_SOURCE_SUFFIX);
}

bool pcr_entry_record_missing(const struct pcr_fs *fs, struct pcr_mapping *m)
{
	char saved[sizeof PCR_SOURCE_SUFFIX];
	struct stat st;
	bool missing = fs->lstat(record_name(m, saved), &st) < 0 && errno == ENOENT;
	record_name_undo(m, saved);
	return missing;
}

int pcr_entry_record_source(const struct pcr_fs *fs, struct pcr_mapping *m)
{
	/* The temporary name, "<entry>.src.<pid>", in the buffer's free part. */
	char *tmp;
	size_t suffix = sizeof PCR_SOURCE_SUFFIX - 1;
	if (pcr_map_free(m, &tmp) < m->entry_len + suffix + 1 + 24 + 1)
		return (errno = ENAMETOOLONG), -1;
	size_t n = m->entry_len + suffix;
	memcpy(tmp, m->central, m->entry_len);
	memcpy(tmp + m->entry_len, PCR_SOURCE_SUFFIX, suffix);
	tmp[n++] = '.';
	tmp[n + pcr_put_uint(tmp + n, (unsigned long)getpid())] = '\0';

	/* Only the process whose mkdir made the entry writes its record, so a
	 * temporary name of this pid is a crashed writer's that had the same pid. */
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = fs->open(tmp, flags, 0600);
	if (fd < 0 && errno == EEXIST && fs->unlink(tmp) == 0)
		fd = fs->open(tmp, flags, 0600);
	if (fd < 0)
		return -1;
	char *source = pcr_map_source(m);
	source[m->source_len] = '\n'; /* the record's line, written at once */
	bool ok = write_all(fd, source, m->source_len + 1);
	source[m->source_len] = '\0';
	ok = close(fd) == 0 && ok;
	char saved[sizeof PCR_SOURCE_SUFFIX];
	if (ok && fs->rename(tmp, record_name(m, saved)) == 0) {
		record_name_undo(m, saved);
		return 0;
	}
	if (ok)
		record_name_undo(m, saved);
	int e = errno;
	fs->unlink(tmp);
	errno = e;
	return -1;
}
