/* SPDX-License-Identifier: MIT */
/*
 * The library's only door to the allocator, to thread creation and to
 * descriptor creation: each wrapper first asks bh__fault() whether this
 * call is to fail (see <bh/fault.h>). tests/fault_sites.sh fails the build's
 * tests if a source file calls one of the wrapped functions directly, so a
 * new site cannot forget the check.
 *
 * Cost when off: bh__fault_armed is read with one relaxed load and the
 * branch is marked unlikely; the counting lives out of line in fault.c.
 */
#ifndef BH_SRC_FAULT_H
#define BH_SRC_FAULT_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <bh/compiler.h>
#include <bh/fault.h>

/* The armed classes (0: off). Written by bh_fault_inject() only. */
extern unsigned int bh__fault_armed;

bool bh__fault_slow(unsigned int cls) __attribute__((cold, noinline));

/* Whether this call of class `cls` is to fail. Async-signal-safe. */
static inline bool bh__fault(unsigned int cls)
{
	/* Relaxed: a call racing with arming may or may not be counted;
	 * the slow path orders itself against the arming (acquire). */
	if (bh_unlikely(__atomic_load_n(&bh__fault_armed, __ATOMIC_RELAXED)))
		return bh__fault_slow(cls);
	return false;
}

/* Read BH_FAIL_NTH, once per process (first bh_init()). */
void bh__fault_from_env(void);

static inline void *bh__malloc(size_t n)
{
	if (bh__fault(BH_FAULT_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc(n);
}

static inline void *bh__calloc(size_t n, size_t size)
{
	if (bh__fault(BH_FAULT_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(n, size);
}

static inline void *bh__aligned_alloc(size_t align, size_t size)
{
	if (bh__fault(BH_FAULT_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return aligned_alloc(align, size);
}

static inline FILE *bh__open_memstream(char **buf, size_t *len)
{
	if (bh__fault(BH_FAULT_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return open_memstream(buf, len);
}

static inline int bh__eventfd(unsigned int initval, int flags)
{
	if (bh__fault(BH_FAULT_FD)) {
		errno = EMFILE;
		return -1;
	}
	return eventfd(initval, flags);
}

static inline int bh__timerfd_create(int clockid, int flags)
{
	if (bh__fault(BH_FAULT_FD)) {
		errno = EMFILE;
		return -1;
	}
	return timerfd_create(clockid, flags);
}

static inline int bh__epoll_create1(int flags)
{
	if (bh__fault(BH_FAULT_FD)) {
		errno = EMFILE;
		return -1;
	}
	return epoll_create1(flags);
}

static inline int bh__signalfd(int fd, const sigset_t *mask, int flags)
{
	if (bh__fault(BH_FAULT_FD)) {
		errno = EMFILE;
		return -1;
	}
	return signalfd(fd, mask, flags);
}

static inline int bh__pipe2(int fds[2], int flags)
{
	if (bh__fault(BH_FAULT_FD)) {
		errno = EMFILE;
		return -1;
	}
	return pipe2(fds, flags);
}

#endif
