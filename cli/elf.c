/* The symbols a shared object exports, and the loader an executable names,
 * read from their files: nothing of them runs (no dlopen, no exec), so the
 * command can tell its own library from any other file before it names it
 * in LD_PRELOAD, and a program that cannot load it. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The n bytes at off lie inside the file of size bytes. */
static bool inside(size_t size, uint64_t off, uint64_t n) { return off <= size && n <= size - off; }

static bool each_export(const unsigned char *file, size_t size,
			bool (*fn)(const char *name, void *arg), void *arg)
{
	if (size < sizeof(Elf64_Ehdr) || memcmp(file, ELFMAG, SELFMAG) != 0 ||
	    file[EI_CLASS] != ELFCLASS64 ||
	    file[EI_DATA] !=
		(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB))
		return false;
	Elf64_Ehdr eh;
	memcpy(&eh, file, sizeof eh);
	if (eh.e_type != ET_DYN || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    !inside(size, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr)))
		return false;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh, str;
		memcpy(&sh, file + eh.e_shoff + (uint64_t)i * sizeof sh, sizeof sh);
		if (sh.sh_type != SHT_DYNSYM || sh.sh_entsize != sizeof(Elf64_Sym) ||
		    sh.sh_link >= eh.e_shnum || !inside(size, sh.sh_offset, sh.sh_size))
			continue;
		memcpy(&str, file + eh.e_shoff + (uint64_t)sh.sh_link * sizeof str, sizeof str);
		if (!inside(size, str.sh_offset, str.sh_size) || str.sh_size == 0 ||
		    file[str.sh_offset + str.sh_size - 1] != '\0')
			return false;
		for (uint64_t k = 1; k < sh.sh_size / sizeof(Elf64_Sym); k++) {
			Elf64_Sym sym;
			memcpy(&sym, file + sh.sh_offset + k * sizeof sym, sizeof sym);
			unsigned bind = ELF64_ST_BIND(sym.st_info);
			if (sym.st_shndx == SHN_UNDEF || sym.st_name >= str.sh_size ||
			    (bind != STB_GLOBAL && bind != STB_WEAK))
				continue;
			if (!fn((const char *)file + str.sh_offset + sym.st_name, arg))
				return true;
		}
		return true;
	}
	return false;
}

bool pcr_cli_elf_exports(const char *path, bool (*fn)(const char *name, void *arg), void *arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	void *map = MAP_FAILED;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return (errno = errno ? errno : EINVAL), false;
	bool ok = each_export(map, (size_t)st.st_size, fn, arg);
	munmap(map, (size_t)st.st_size);
	if (!ok)
		errno = ENOEXEC;
	return ok;
}

int pcr_cli_elf_interpreter(int fd, char *out, size_t size)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] !=
		(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
		return -1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t at = (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph);
		if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
			return -1;
		if (ph.p_type != PT_INTERP)
			continue;
		if (size == 0 || ph.p_filesz >= size ||
		    pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			return -1;
		out[ph.p_filesz] = '\0';
		return 1;
	}
	return 0;
}

bool pcr_cli_loader_is_musl(const char *interpreter)
{
	const char *name = strrchr(interpreter, '/');
	return strncmp(name ? name + 1 : interpreter, "ld-musl-", 8) == 0;
}

bool pcr_cli_system_is_musl(char *loader, size_t size)
{
	int fd = open("/bin/sh", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	bool musl =
	    pcr_cli_elf_interpreter(fd, loader, size) == 1 && pcr_cli_loader_is_musl(loader);
	close(fd);
	return musl;
}
