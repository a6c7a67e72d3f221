/* SPDX-License-Identifier: MIT */
/*
 * <linux/utsname.h>: struct new_utsname and init_utsname()/utsname(),
 * filled from uname(2): the machine's kernel release, version, machine
 * and node name, as the running kernel's init_uts_ns gives a module.
 *
 * Where user space differs: there are no UTS namespaces, so both calls
 * return the same host's names; the node name is read again at each
 * call (sethostname() shows), into one buffer per thread, so a pointer
 * kept from an earlier call still reads the names as of the thread's
 * latest call. Async-signal-safe (uname(2) is).
 */
#ifndef BH_COMPAT_LINUX_UTSNAME_H
#define BH_COMPAT_LINUX_UTSNAME_H

#include <string.h>
#include <sys/utsname.h>

#include <linux/types.h>

#define __NEW_UTS_LEN 64

struct new_utsname {
	char sysname[__NEW_UTS_LEN + 1];
	char nodename[__NEW_UTS_LEN + 1];
	char release[__NEW_UTS_LEN + 1];
	char version[__NEW_UTS_LEN + 1];
	char machine[__NEW_UTS_LEN + 1];
	char domainname[__NEW_UTS_LEN + 1];
};

/* glibc's fields are the kernel's 65 bytes, NUL-terminated. */
_Static_assert(sizeof(((struct utsname *)0)->release) == __NEW_UTS_LEN + 1,
	       "struct utsname has the kernel's field size");

static inline void bh__uts_copy(char *dst, const char *src)
{
	memcpy(dst, src, __NEW_UTS_LEN + 1);
	dst[__NEW_UTS_LEN] = '\0';
}

static inline struct new_utsname *init_utsname(void)
{
	static __thread struct new_utsname uts;
	struct utsname u;
	if (uname(&u) == 0) {
		bh__uts_copy(uts.sysname, u.sysname);
		bh__uts_copy(uts.nodename, u.nodename);
		bh__uts_copy(uts.release, u.release);
		bh__uts_copy(uts.version, u.version);
		bh__uts_copy(uts.machine, u.machine);
#ifdef _GNU_SOURCE
		bh__uts_copy(uts.domainname, u.domainname);
#else
		bh__uts_copy(uts.domainname, u.__domainname);
#endif
	}
	return &uts;
}

static inline struct new_utsname *utsname(void)
{
	return init_utsname();
}

#endif
