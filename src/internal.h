/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces shared between the library's source files (and
 * reachable by the tests, which link the static library). Not installed.
 */
#ifndef BH_INTERNAL_H
#define BH_INTERNAL_H

#include <stdbool.h>

#include "bh.h"

/*
 * A top half as the dispatchers see it: one per interrupt source (line).
 * bh__hardirq_run() runs fn(arg) in hardirq context on the calling thread,
 * between bh_irq_enter() and bh_irq_exit(), unless the thread has
 * interrupts off (SPEC U4): then the top half is held, once per source
 * however many times it fires (a pending bit, as in an interrupt
 * controller), and run at the bh_local_irq_restore() that turns them on.
 * `in_signal` says the caller is a signal handler, so bh_irq_exit() must
 * hand softirqs to ksoftirqd/N instead of running them inline.
 * Returns 1 if it ran now, 0 if it was held. Async-signal-safe.
 */
struct bh__hardirq {
	void (*fn)(void *arg);
	void *arg;
	int held; /* private: pending on the holding thread */
};
int bh__hardirq_run(struct bh__hardirq *h, bool in_signal);

#endif
