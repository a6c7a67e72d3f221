// SPDX-License-Identifier: MIT
/*
 * Names for addresses inside the module, kernel style ("func+0x1a/0x40").
 * dladdr() only knows dynamic symbols, and a module's functions are
 * mostly static; the full symbol table (.symtab, present unless the
 * object was stripped) knows them all, so we read it from the file.
 */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modrun.h"

static const unsigned char *image; /* the module file, mapped */
static size_t image_len;
static const Elf64_Sym *syms;
static size_t nr_syms;
static const char *strtab;
static size_t strtab_len;
static bool tried;

static void load(const struct module_image *m)
{
	tried = true;
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return;
	image = p;
	image_len = (size_t)st.st_size;
	const Elf64_Ehdr *eh = p;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > image_len)
		return;
	const Elf64_Shdr *sh = (const void *)(image + eh->e_shoff);
	/* .symtab if there is one, else .dynsym. */
	for (int want = SHT_SYMTAB; want && !syms;
	     want = want == SHT_SYMTAB ? SHT_DYNSYM : 0)
		for (unsigned int i = 0; i < eh->e_shnum; i++) {
			if (sh[i].sh_type != (Elf64_Word)want ||
			    sh[i].sh_link >= eh->e_shnum)
				continue;
			const Elf64_Shdr *str = &sh[sh[i].sh_link];
			if (sh[i].sh_offset + sh[i].sh_size > image_len ||
			    str->sh_offset + str->sh_size > image_len)
				continue;
			syms = (const void *)(image + sh[i].sh_offset);
			nr_syms = sh[i].sh_size / sizeof(Elf64_Sym);
			strtab = (const char *)(image + str->sh_offset);
			strtab_len = str->sh_size;
			break;
		}
}

bool modrun_in_module(const struct module_image *m, const void *addr)
{
	Dl_info info;
	return addr && dladdr(addr, &info) && info.dli_fbase == m->base;
}

const char *modrun_symbol(const struct module_image *m, const void *addr,
			  char *buf, size_t len)
{
	if (!tried)
		load(m);
	if (modrun_in_module(m, addr) && syms) {
		uintptr_t off = (uintptr_t)addr - (uintptr_t)m->base;
		const Elf64_Sym *best = NULL;
		for (size_t i = 0; i < nr_syms; i++) {
			const Elf64_Sym *s = &syms[i];
			int type = ELF64_ST_TYPE(s->st_info);
			if ((type != STT_FUNC && type != STT_OBJECT) ||
			    s->st_name >= strtab_len || off < s->st_value ||
			    off >= s->st_value + (s->st_size ? s->st_size : 1))
				continue;
			best = s;
			break;
		}
		if (best) {
			snprintf(buf, len, "%s+0x%lx/0x%lx [%s]",
				 strtab + best->st_name,
				 (unsigned long)(off - best->st_value),
				 (unsigned long)best->st_size, m->name);
			return buf;
		}
		snprintf(buf, len, "%s+0x%lx", m->name, (unsigned long)off);
		return buf;
	}
	Dl_info info;
	if (addr && dladdr(addr, &info) && info.dli_sname)
		snprintf(buf, len, "%s+0x%lx", info.dli_sname,
			 (unsigned long)((const char *)addr -
					 (const char *)info.dli_saddr));
	else
		snprintf(buf, len, "%p", addr);
	return buf;
}

void modrun_symbols_free(void)
{
	if (image)
		munmap((void *)image, image_len);
	image = NULL;
	syms = NULL;
	tried = false;
}
