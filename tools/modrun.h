/* SPDX-License-Identifier: MIT */
/*
 * bh-modrun's parts: the loader (bh-modrun.c), parameters (params.c) and
 * the leak report at unload (leaks.c), whose names come from libbh's
 * bh_debug_symbolize().
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

/* Whether addr lies in the module's mapped object. Addresses are named
 * with bh_debug_symbolize(), which reads the module's .symtab, so static
 * functions have names too. */
bool modrun_in_module(const struct module_image *m, const void *addr);

#endif
