/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: make the library's own resource acquisitions fail on
 * purpose, to prove that every failure becomes a clean error return or a
 * documented fallback, never a crash, a hang, a leak or lost work. It is
 * modelled on the kernel's fault-injection framework (failslab, fail-nth):
 * after arming, the calls of the chosen classes are counted, and the
 * `nth` one fails, as do the `times - 1` after it.
 *
 * Classes (a mask):
 *   BH_FAULT_ALLOC   every allocation the library makes (malloc, calloc,
 *                    aligned_alloc, open_memstream): the call returns NULL
 *                    with errno ENOMEM.
 *   BH_FAULT_THREAD  every thread the library starts (ksoftirqd, kworkers,
 *                    rescuers, the watchdog, hardirq and irq threads):
 *                    creation fails with EAGAIN.
 *   BH_FAULT_FD      every descriptor the library opens (eventfd,
 *                    timerfd_create, epoll_create1, signalfd, pipe2): the
 *                    call fails with EMFILE.
 *
 * Off (the default), a check costs one relaxed load of a global and a
 * branch predicted not taken. Checks are async-signal-safe (atomics only).
 *
 * The environment variable BH_FAIL_NTH arms it at the first bh_init() of
 * the process, before that call's first allocation:
 *   BH_FAIL_NTH=CLASSES:NTH[:TIMES]
 * with CLASSES a comma-separated list of alloc, thread, fd, all (or a
 * number: the mask), e.g. BH_FAIL_NTH=alloc,fd:3 fails the third
 * allocation or descriptor creation. A malformed value is reported and
 * ignored. See bh_fault_inject(3).
 */
#ifndef BH_FAULT_H
#define BH_FAULT_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum bh_fault_class {
	BH_FAULT_ALLOC = 1u << 0,
	BH_FAULT_THREAD = 1u << 1,
	BH_FAULT_FD = 1u << 2,
	BH_FAULT_ALL = (1u << 3) - 1,
};

/*
 * Arm (or, with classes 0, disarm) fault injection and reset its counters.
 * From now on the checked calls of `classes` are counted from 1; call
 * number `nth` fails, and so do the `times - 1` calls after it; times 0
 * means every call from the nth on fails, until disarmed. Returns 0, or
 * -EINVAL for an unknown class bit, or for nth 0 with classes set.
 * Callable from any thread at any time; not from a signal handler.
 */
BH_API int bh_fault_inject(unsigned int classes, unsigned long nth,
			   unsigned long times);

/* Faults injected since the last bh_fault_inject(). Async-signal-safe. */
BH_API unsigned long bh_fault_injected(void);

/* Checked calls of the armed classes since the last bh_fault_inject(),
 * failed or not. Async-signal-safe. */
BH_API unsigned long bh_fault_calls(void);

#ifdef __cplusplus
}
#endif

#endif
