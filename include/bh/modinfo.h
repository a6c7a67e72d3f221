/* SPDX-License-Identifier: MIT */
/*
 * What a kernel-style module built against bh-compat tells its loader.
 *
 * <linux/module.h>, <linux/init.h> and <linux/moduleparam.h> turn
 * module_init(), module_exit(), module_param() and MODULE_*() into
 * descriptors: each is a struct bh_modinfo, and a pointer to it is placed
 * in the ELF section BH_MODINFO_SECTION of the module's shared object. The
 * static linker gathers the pointers of every object file into one array
 * and defines __start_bh_modinfo and __stop_bh_modinfo around it (as it
 * does for any section whose name is a C identifier, when referred to);
 * the module's bh_modinfo_table() (defined weak by <linux/moduleparam.h>)
 * returns that array, and bh-modrun(1) finds the function with dlsym(). The
 * descriptors themselves have internal linkage, so two modules loaded into one
 * process never collide.
 *
 * The layout is versioned by BH_MODINFO_MAGIC: a loader rejects entries
 * with another value (a module built against an incompatible libbh).
 */
#ifndef BH_MODINFO_H
#define BH_MODINFO_H

#ifdef __cplusplus
extern "C" {
#endif

#define BH_MODINFO_SECTION "bh_modinfo"
/* "bhm" and layout version 1 */
#define BH_MODINFO_MAGIC 0x62686d01u

enum bh_modinfo_kind {
	BH_MODINFO_INIT = 1,   /* module_init(fn): .init */
	BH_MODINFO_EXIT,       /* module_exit(fn): .exit */
	BH_MODINFO_PARAM,      /* module_param*(): .name, .type, .addr ... */
	BH_MODINFO_PARAM_DESC, /* MODULE_PARM_DESC(): .name, .value */
	BH_MODINFO_TAG,	       /* MODULE_LICENSE() etc.: .name = .value */
};

/* Parameter types, as the kernel's param_ops_<type>. */
enum bh_modparam_type {
	BH_PARAM_BYTE = 1, /* unsigned char */
	BH_PARAM_SHORT,
	BH_PARAM_USHORT,
	BH_PARAM_INT,
	BH_PARAM_UINT,
	BH_PARAM_LONG,
	BH_PARAM_ULONG,
	BH_PARAM_ULLONG,
	BH_PARAM_HEXINT, /* unsigned int, shown in hex */
	BH_PARAM_BOOL,
	BH_PARAM_INVBOOL,
	BH_PARAM_CHARP,	 /* char *: points at the loader's copy */
	BH_PARAM_STRING, /* char[maxlen], module_param_string() */
};

struct bh_modinfo {
	unsigned int magic; /* BH_MODINFO_MAGIC */
	unsigned int kind;  /* enum bh_modinfo_kind */
	const char *name;   /* parameter name, or tag key ("license") */
	const char *value;  /* tag value, or parameter description */
	int (*init)(void);  /* BH_MODINFO_INIT */
	void (*exit)(void); /* BH_MODINFO_EXIT */
	void *addr;	    /* the parameter's variable (array: element 0) */
	unsigned int type;  /* enum bh_modparam_type */
	unsigned int perm;  /* sysfs mode, recorded only */
	/* module_param_array(): element count (elements in the array) and
	 * where to store how many were given (NULL: not stored).
	 * module_param_string(): the buffer size in `size`. */
	unsigned int size;
	unsigned int *nump;
};

#ifdef __cplusplus
}
#endif

#endif
