#include "entry.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

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
	/* Only the process whose mkdir made the entry writes its record (or the
	 * first that finds it missing): its temporary name goes in the
	 * buffer's free part, the record's name is spelled in place. */
	char *tmp;
	size_t room = pcr_map_free(m, &tmp);
	char *source = pcr_map_source(m);
	char saved[sizeof PCR_SOURCE_SUFFIX];
	source[m->source_len] = '\n'; /* the record's line, written at once */
	int r =
	    pcr_atomic_write(fs, record_name(m, saved), tmp, room, source, m->source_len + 1, 0600);
	int e = errno;
	source[m->source_len] = '\0';
	record_name_undo(m, saved);
	errno = e;
	return r;
}

int pcr_entry_remove_record(const struct pcr_fs *fs, struct pcr_mapping *m)
{
	char saved[sizeof PCR_SOURCE_SUFFIX];
	int r = fs->unlink(record_name(m, saved));
	int e = errno;
	record_name_undo(m, saved);
	errno = e;
	return r;
}

int pcr_entry_read_record(const struct pcr_fs *fs, char *entry, size_t len, char *buf, size_t size)
{
	char saved[sizeof PCR_SOURCE_SUFFIX];
	memcpy(saved, entry + len, sizeof saved);
	memcpy(entry + len, PCR_SOURCE_SUFFIX, sizeof PCR_SOURCE_SUFFIX);
	int fd = fs->open(entry, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
	memcpy(entry + len, saved, sizeof saved);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size);
	int e = errno;
	close(fd);
	if (n < 0)
		return (errno = e), -1;
	/* One absolute line, and nothing after it. */
	if (n < 2 || (size_t)n == size || buf[0] != '/' || buf[n - 1] != '\n' ||
	    memchr(buf, '\n', (size_t)n - 1) || memchr(buf, '\0', (size_t)n))
		return (errno = EINVAL), -1;
	buf[n - 1] = '\0';
	return 0;
}
