/* SPDX-License-Identifier: MIT */
/*
 * bh-modrun's parts: the loader (bh-modrun.c), parameters (params.c), the
 * leak report at unload (leaks.c) and symbol names from the module's own
 * ELF symbol table (elfsym.c).
 */
#ifndef BH_MODRUN_H
#define BH_MODRUN_H

#include <stdbool.h>
#include <stddef.h>

#include <bh/modinfo.h>

struct module_image {
	const char *path;
	char name[64]; /* the module's name: file name, '-' -> '_' */
	void *handle;  /* dlopen() */
	const struct bh_modinfo *const *info;
	size_t nr_info;
	const void *base; /* load address (dli_fbase) */
};

/* Set `name=value` arguments; returns 0 or a negative errno (reported). */
int modrun_set_params(struct module_image *m, int argc, char **argv);
/* Free the strings given to charp parameters (after unload). */
void modrun_free_params(void);

/* Snapshot the live objects before loading; report the module's after
 * unloading. Returns how many things were left behind. */
void modrun_snapshot(void);
int modrun_report_leftovers(struct module_image *m);
/* Then free, cancel and destroy what was reported. */
void modrun_clean_leftovers(void);

/* "func+0x1a/0x40" for an address inside the module (its .symtab, so
 * static functions too), else what dladdr() knows; into buf. */
const char *modrun_symbol(const struct module_image *m, const void *addr,
			  char *buf, size_t len);
/* Whether addr lies in the module's mapped object. */
bool modrun_in_module(const struct module_image *m, const void *addr);
void modrun_symbols_free(void);

#endif
