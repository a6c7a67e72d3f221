// SPDX-License-Identifier: MIT
/*
 * Names for code addresses, kernel style: "func+0x1a/0x40 [object]", as
 * the kernel's %pS and its call traces print them. dladdr() knows only
 * the dynamic symbols, and most functions of a module, of a test program
 * and of libbh itself are static; the full symbol table (.symtab, there
 * unless the object was stripped) knows them all. So the object's file is
 * mapped, once, and its table searched.
 *
 * Diagnostics come from any context, a signal handler included, so
 * nothing here allocates or locks: the mapped objects sit in a fixed
 * table whose slots are claimed with one CAS (FREE -> FILLING) and
 * published with a release store (-> READY); a reader uses READY slots
 * only, and a lookup that finds its object being filled by another thread
 * (or the table full) falls back to dladdr(). open(), fstat(), mmap() and
 * close() are async-signal-safe system calls. The mappings stay for the
 * life of the process; a slot is keyed by load address and path, so an
 * object unloaded and another loaded at its address is not confused.
 */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define NOBJ	  16
#define PATH_MAX_ 256

enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_NONE };

struct symobj {
	uint32_t state;	       /* A: SLOT_* */
	const void *base;      /* load address (dli_fbase) */
	char path[PATH_MAX_];  /* dli_fname */
	bool absolute;	       /* ET_EXEC: st_value is an address */
	const Elf64_Sym *syms; /* NULL: no table (SLOT_NONE) */
	size_t nr_syms;
	const char *strtab;
	size_t strtab_len;
};

static struct symobj objs[NOBJ];

/* Map `path` and find its symbol table; false if it has none. */
static bool load(struct symobj *o, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	void *p = MAP_FAILED;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(Elf64_Ehdr))
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			 0);
	close(fd);
	if (p == MAP_FAILED)
		return false;
	const unsigned char *image = p;
	size_t len = (size_t)st.st_size;
	const Elf64_Ehdr *eh = p;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > len) {
		munmap(p, len);
		return false;
	}
	o->absolute = eh->e_type == ET_EXEC;
	const Elf64_Shdr *sh = (const void *)(image + eh->e_shoff);
	/* .symtab if there is one, else .dynsym. */
	for (Elf64_Word want = SHT_SYMTAB; want && !o->syms;
	     want = want == SHT_SYMTAB ? SHT_DYNSYM : 0)
		for (unsigned int i = 0; i < eh->e_shnum; i++) {
			if (sh[i].sh_type != want ||
			    sh[i].sh_link >= eh->e_shnum)
				continue;
			const Elf64_Shdr *str = &sh[sh[i].sh_link];
			if (sh[i].sh_offset + sh[i].sh_size > len ||
			    str->sh_offset + str->sh_size > len)
				continue;
			o->syms = (const void *)(image + sh[i].sh_offset);
			o->nr_syms = sh[i].sh_size / sizeof(Elf64_Sym);
			o->strtab = (const char *)(image + str->sh_offset);
			o->strtab_len = str->sh_size;
			break;
		}
	if (!o->syms)
		munmap(p, len);
	return o->syms != NULL;
}

/* The READY (or NONE) slot of this object, mapped now if need be. */
static const struct symobj *object_of(const void *base, const char *path)
{
	if (strlen(path) >= PATH_MAX_)
		return NULL;
	for (unsigned int i = 0; i < NOBJ; i++) {
		struct symobj *o = &objs[i];
		/* Acquire: pairs with the filler's release of the fields. */
		uint32_t st = __atomic_load_n(&o->state, __ATOMIC_ACQUIRE);
		if ((st == SLOT_READY || st == SLOT_NONE) && o->base == base &&
		    !strcmp(o->path, path))
			return o;
		if (st != SLOT_FREE)
			continue;
		uint32_t expect = SLOT_FREE;
		if (!__atomic_compare_exchange_n(
			    &o->state, &expect, SLOT_FILLING, false,
			    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		o->base = base;
		memcpy(o->path, path, strlen(path) + 1);
		bool ok = load(o, path);
		/* Release: the fields before the state that publishes them.
		 * An object without a table is remembered too (NONE), so it
		 * is not opened again for every frame. */
		__atomic_store_n(&o->state, ok ? SLOT_READY : SLOT_NONE,
				 __ATOMIC_RELEASE);
		return o;
	}
	return NULL;
}

/* "libbh.so.0" -> "libbh", "/x/mod.so" -> "mod", as the kernel's [mod]. */
static void object_name(const char *path, char *buf, size_t len)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	const char *so = strstr(b, ".so");
	size_t n = so ? (size_t)(so - b) : strlen(b);
	snprintf(buf, len, "%.*s", (int)n, b);
}

bool bh__symtab_lookup(const void *addr, char *name, size_t name_len,
		       unsigned long *off, unsigned long *size, char *obj,
		       size_t obj_len)
{
	Dl_info info;
	if (!addr || !dladdr(addr, &info) || !info.dli_fname)
		return false;
	/* The main program may have no name in the link map. */
	const char *path =
		info.dli_fname[0] ? info.dli_fname : "/proc/self/exe";
	if (obj)
		object_name(path[0] == '/' && !strcmp(path, "/proc/self/exe")
				    ? program_invocation_short_name
				    : path,
			    obj, obj_len);
	const struct symobj *o = object_of(info.dli_fbase, path);
	if (!o || !o->syms)
		return false;
	uintptr_t at = (uintptr_t)addr;
	if (!o->absolute)
		at -= (uintptr_t)info.dli_fbase;
	/* The function that contains it; a symbol without a size (some
	 * assembly) counts if nothing sized does. */
	const Elf64_Sym *best = NULL;
	for (size_t i = 0; i < o->nr_syms; i++) {
		const Elf64_Sym *s = &o->syms[i];
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC ||
		    s->st_name >= o->strtab_len || at < s->st_value ||
		    s->st_shndx == SHN_UNDEF)
			continue;
		if (s->st_size && at < s->st_value + s->st_size) {
			best = s;
			break;
		}
		if (!s->st_size && (!best || s->st_value > best->st_value))
			best = s;
	}
	if (!best)
		return false;
	snprintf(name, name_len, "%s", o->strtab + best->st_name);
	*off = (unsigned long)(at - best->st_value);
	*size = (unsigned long)best->st_size;
	return true;
}

const char *bh_debug_symbolize(const void *addr, char *buf, size_t len)
{
	char name[128], obj[64];
	unsigned long off, size;
	Dl_info info;
	if (!buf || !len)
		return NULL;
	if (bh__symtab_lookup(addr, name, sizeof(name), &off, &size, obj,
			      sizeof(obj)))
		snprintf(buf, len, "%s+0x%lx/0x%lx [%s]", name, off, size, obj);
	else if (addr && dladdr(addr, &info) && info.dli_sname)
		snprintf(buf, len, "%s+0x%lx", info.dli_sname,
			 (unsigned long)((const char *)addr -
					 (const char *)info.dli_saddr));
	else
		snprintf(buf, len, "%p", addr);
	return buf;
}
