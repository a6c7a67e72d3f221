/* SPDX-License-Identifier: MIT */
/*
 * Softirqs: an application vector (NET_RX, opened with bh_open_softirq)
 * raised from threads and from the signal storm.
 *
 * Checks:
 *  - S7: on one bh CPU the handler never nests or overlaps itself (a flag
 *    per bh CPU, taken by exchange).
 *  - S2, S3, S9: no raise is lost. Each raiser bumps its bh CPU's `seq`
 *    before raising there, and each handler run records the largest seq it
 *    saw at its start; at the end, every bh CPU's handler has seen its
 *    last raise (a raise that never runs is a stall the watchdog reports).
 */
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>

#define VEC BH_NET_RX_SOFTIRQ

struct percpu {
	unsigned long seq;	/* A: bumped before each raise here */
	unsigned long max_seen; /* A: handler only (one at a time per CPU) */
	unsigned long runs;	/* A */
	int running;		/* A */
	char pad[64 - 3 * sizeof(unsigned long) - sizeof(int)];
} __attribute__((aligned(64)));

static struct percpu cpus[BH_MAX_CPUS];

static void action(void)
{
	int c = bh_smp_processor_id();
	struct percpu *p;
	unsigned long seq;

	if (c < 0 || c >= BH_MAX_CPUS) {
		tt_violation("softirq handler on no bh CPU (SPEC S2)",
			     "vector %d: cpu %d", VEC, c);
		return;
	}
	p = &cpus[c];
	tt_checked(1);
	if (__atomic_exchange_n(&p->running, 1, __ATOMIC_ACQ_REL))
		tt_violation("softirq handler nested or overlapped on one "
			     "bh CPU (SPEC S7)",
			     "vector %d on cpu %d", VEC, c);
	seq = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE);
	if (seq > __atomic_load_n(&p->max_seen, __ATOMIC_RELAXED))
		__atomic_store_n(&p->max_seen, seq, __ATOMIC_RELEASE);
	__atomic_fetch_add(&p->runs, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&p->running, 0, __ATOMIC_RELEASE);
}

static int init(void)
{
	int r = bh_open_softirq(VEC, action);

	if (r < 0)
		fprintf(stderr, "bh-torture: bh_open_softirq: %d\n", r);
	return r;
}

/* Async-signal-safe: the thread's bh CPU is fixed (bh_thread_set_cpu), so
 * the raise lands where the bump was made. */
static void raise_here(void)
{
	int c = bh_smp_processor_id();
	int r;

	if (c < 0 || c >= BH_MAX_CPUS)
		return;
	__atomic_fetch_add(&cpus[c].seq, 1, __ATOMIC_SEQ_CST);
	r = bh_raise_softirq(VEC);
	if (r < 0)
		tt_violation("raise_softirq failed", "vector %d: %d", VEC, r);
	tt_count_op(TK_SOFTIRQ);
}

static void op(uint64_t *rng)
{
	(void)rng;
	raise_here();
}

static void sig(uint64_t *rng)
{
	(void)rng;
	raise_here();
}

static void fini(void)
{
	tt_op_begin("waiting for the last softirq raises to run (SPEC S9)");
	for (int c = 0; c < bh_nr_cpus(); c++) {
		while (__atomic_load_n(&cpus[c].max_seen, __ATOMIC_ACQUIRE) <
		       __atomic_load_n(&cpus[c].seq, __ATOMIC_ACQUIRE))
			tt_pause_us(200);
		tt_checked(1);
	}
	tt_op_end();
}

const struct tt_torturer tt_softirqs = {
	.name = "softirqs",
	.init = init,
	.op = op,
	.sig = sig,
	.fini = fini,
};
