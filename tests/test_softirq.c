/* SPDX-License-Identifier: MIT */
/*
 * Softirq conformance (SPEC S1-S17, S19).
 *
 * Almost everything runs in deterministic mode: no library thread exists,
 * the test raises vectors and steps bh CPUs with bh_run_softirqs(), so the
 * order and count of handler runs are exact. Threaded mode is used only
 * where threads are the point: ksoftirqd/N (S11, S19) and two bh CPUs
 * running one vector at once (S6).
 *
 * Handlers never assert: a cmocka failure longjmps, and jumping out of the
 * library's softirq loop would leave its state half-updated. They record
 * what they saw; the test asserts afterwards.
 */
#include "harness.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

#define MAX_ORDER 64

/* Written by handlers (possibly on ksoftirqd threads); atomics for TSan. */
static unsigned long calls[BH_NR_SOFTIRQS];
static int order[MAX_ORDER];
static unsigned int order_len;
static pthread_t ran_on[BH_NR_SOFTIRQS];
static int cpu_seen[BH_NR_SOFTIRQS];
static unsigned int pc_seen[BH_NR_SOFTIRQS];
static bool irqs_off_seen;
static bool hardirq_seen;
static int depth;
static int max_depth;
/* Per-vector extra behaviour for the test at hand, run inside the handler. */
static void (*hook[BH_NR_SOFTIRQS])(void);

static void record(unsigned int nr)
{
	int d = __atomic_add_fetch(&depth, 1, __ATOMIC_RELAXED);
	int m = __atomic_load_n(&max_depth, __ATOMIC_RELAXED);
	while (d > m &&
	       !__atomic_compare_exchange_n(&max_depth, &m, d, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	unsigned int at = __atomic_fetch_add(&order_len, 1, __ATOMIC_RELAXED);
	if (at < MAX_ORDER)
		__atomic_store_n(&order[at], (int)nr, __ATOMIC_RELAXED);
	__atomic_store_n(&ran_on[nr], pthread_self(), __ATOMIC_RELAXED);
	__atomic_store_n(&cpu_seen[nr], bh_smp_processor_id(),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&pc_seen[nr], bh_preempt_count(), __ATOMIC_RELAXED);
	if (bh_irqs_disabled())
		__atomic_store_n(&irqs_off_seen, true, __ATOMIC_RELAXED);
	if (bh_in_hardirq())
		__atomic_store_n(&hardirq_seen, true, __ATOMIC_RELAXED);
	void (*h)(void) = __atomic_load_n(&hook[nr], __ATOMIC_RELAXED);
	if (h)
		h();
	__atomic_sub_fetch(&depth, 1, __ATOMIC_RELAXED);
	/* Release: a waiter that sees the count sees the fields above. */
	__atomic_add_fetch(&calls[nr], 1, __ATOMIC_RELEASE);
}

static void h_net_tx(void)
{
	record(BH_NET_TX_SOFTIRQ);
}
static void h_net_rx(void)
{
	record(BH_NET_RX_SOFTIRQ);
}
static void h_block(void)
{
	record(BH_BLOCK_SOFTIRQ);
}
static void h_irq_poll(void)
{
	record(BH_IRQ_POLL_SOFTIRQ);
}
static void h_sched(void)
{
	record(BH_SCHED_SOFTIRQ);
}
static void h_rcu(void)
{
	record(BH_RCU_SOFTIRQ);
}

static unsigned long ncalls(unsigned int nr)
{
	return __atomic_load_n(&calls[nr], __ATOMIC_ACQUIRE);
}

static void open_all(void)
{
	assert_int_equal(bh_open_softirq(BH_NET_TX_SOFTIRQ, h_net_tx), 0);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, h_net_rx), 0);
	assert_int_equal(bh_open_softirq(BH_BLOCK_SOFTIRQ, h_block), 0);
	assert_int_equal(bh_open_softirq(BH_IRQ_POLL_SOFTIRQ, h_irq_poll), 0);
	assert_int_equal(bh_open_softirq(BH_SCHED_SOFTIRQ, h_sched), 0);
	assert_int_equal(bh_open_softirq(BH_RCU_SOFTIRQ, h_rcu), 0);
}

/* Deterministic runtime with nr bh CPUs, this thread on CPU 0. */
static void det_init(int nr)
{
	th_init(nr, true);
	open_all();
	assert_int_equal(bh_thread_set_cpu(0), 0);
}

static int setup(void **state)
{
	(void)state;
	memset(calls, 0, sizeof(calls));
	memset(order, 0xff, sizeof(order));
	order_len = 0;
	memset(ran_on, 0, sizeof(ran_on));
	memset(cpu_seen, 0xff, sizeof(cpu_seen));
	memset(pc_seen, 0xff, sizeof(pc_seen));
	irqs_off_seen = false;
	hardirq_seen = false;
	depth = 0;
	max_depth = 0;
	memset(hook, 0, sizeof(hook));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	memset(hook, 0, sizeof(hook));
	return th_teardown(state);
}

static void assert_order(const int *want, unsigned int n)
{
	assert_int_equal(__atomic_load_n(&order_len, __ATOMIC_RELAXED), n);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(order[i], want[i]);
}

/* SPEC S1 */
static void test_s1_ten_vectors_named_as_kernel(void **state)
{
	(void)state;
	static const char *const names[] = {
		"HI",	    "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
		"IRQ_POLL", "TASKLET", "SCHED",	 "HRTIMER", "RCU",
	};
	assert_int_equal(BH_NR_SOFTIRQS, 10);
	assert_int_equal(BH_HI_SOFTIRQ, 0);
	assert_int_equal(BH_TIMER_SOFTIRQ, 1);
	assert_int_equal(BH_NET_TX_SOFTIRQ, 2);
	assert_int_equal(BH_NET_RX_SOFTIRQ, 3);
	assert_int_equal(BH_BLOCK_SOFTIRQ, 4);
	assert_int_equal(BH_IRQ_POLL_SOFTIRQ, 5);
	assert_int_equal(BH_TASKLET_SOFTIRQ, 6);
	assert_int_equal(BH_SCHED_SOFTIRQ, 7);
	assert_int_equal(BH_HRTIMER_SOFTIRQ, 8);
	assert_int_equal(BH_RCU_SOFTIRQ, 9);
	for (int i = 0; i < BH_NR_SOFTIRQS; i++)
		assert_string_equal(bh_softirq_to_name[i], names[i]);
	/* SPEC S12, S13: the kernel's budget numbers. */
	assert_int_equal(BH_MAX_SOFTIRQ_RESTART, 10);
	assert_int_equal(BH_MAX_SOFTIRQ_TIME_MS, 2);
}

/* SPEC S1: the vector number is the priority (U9 for the vector checks). */
static void test_open_softirq_library_vectors_are_busy(void **state)
{
	(void)state;
	th_init(1, true);
	assert_int_equal(bh_open_softirq(BH_HI_SOFTIRQ, h_net_rx), -EBUSY);
	assert_int_equal(bh_open_softirq(BH_TIMER_SOFTIRQ, h_net_rx), -EBUSY);
	assert_int_equal(bh_open_softirq(BH_TASKLET_SOFTIRQ, h_net_rx), -EBUSY);
	assert_int_equal(bh_open_softirq(BH_HRTIMER_SOFTIRQ, h_net_rx), -EBUSY);
	assert_int_equal(bh_open_softirq(BH_NR_SOFTIRQS, h_net_rx), -EINVAL);
	assert_int_equal(bh_open_softirq(UINT_MAX, h_net_rx), -EINVAL);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, NULL), -EINVAL);
	open_all();
	th_shutdown();
}

/* SPEC S2 */
static void test_s2_raise_marks_only_calling_cpu(void **state)
{
	(void)state;
	det_init(2);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_softirq_pending(1), 1u << BH_NET_RX_SOFTIRQ);
	assert_int_equal(bh_softirq_pending(0), 0);
	assert_int_equal(bh_run_softirqs(0), 0);
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(1), 1);
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 1);
	assert_int_equal(cpu_seen[BH_NET_RX_SOFTIRQ], 1);
	assert_int_equal(bh_softirq_pending(1), 0);

	/* The _irqoff spelling, with interrupts really off, does the same. */
	assert_int_equal(bh_thread_set_cpu(0), 0);
	unsigned long flags = bh_local_irq_save();
	assert_int_equal(bh_raise_softirq_irqoff(BH_BLOCK_SOFTIRQ), 0);
	bh_local_irq_restore(flags);
	assert_int_equal(bh_softirq_pending(0) & (1u << BH_BLOCK_SOFTIRQ),
			 1u << BH_BLOCK_SOFTIRQ);
	assert_int_equal(bh_softirq_pending(1), 0);
	assert_int_equal(bh_run_all(0), 1);
	assert_int_equal(cpu_seen[BH_BLOCK_SOFTIRQ], 0);
	th_shutdown();
}

/* SPEC S3 */
static void test_s3_raising_pending_vector_coalesces(void **state)
{
	(void)state;
	det_init(1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 1);
	assert_int_equal(bh_run_softirqs(0), 0);
	th_shutdown();
}

static void reraise_net_rx_until_3(void)
{
	if (__atomic_load_n(&calls[BH_NET_RX_SOFTIRQ], __ATOMIC_RELAXED) < 2)
		bh_raise_softirq(BH_NET_RX_SOFTIRQ);
}

/* SPEC S4 */
static void test_s4_reraise_from_own_handler_runs_again(void **state)
{
	(void)state;
	det_init(1);
	hook[BH_NET_RX_SOFTIRQ] = reraise_net_rx_until_3;
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	/* One loop, three passes, never nested. */
	assert_int_equal(bh_run_softirqs(0), 3);
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 3);
	assert_int_equal(max_depth, 1);
	assert_int_equal(bh_softirq_pending(0), 0);
	th_shutdown();
}

static unsigned int pending_in_first_handler = ~0u;
static bool net_tx_raised;

static void net_tx_note_pending(void)
{
	if (pending_in_first_handler == ~0u)
		pending_in_first_handler = bh_softirq_pending(0);
}

static void net_rx_raises_net_tx(void)
{
	if (!net_tx_raised) {
		net_tx_raised = true;
		bh_raise_softirq(BH_NET_TX_SOFTIRQ);
	}
}

/* SPEC S5 */
static void test_s5_snapshot_then_ascending_order(void **state)
{
	(void)state;
	det_init(1);
	pending_in_first_handler = ~0u;
	net_tx_raised = false;
	hook[BH_NET_TX_SOFTIRQ] = net_tx_note_pending;
	hook[BH_NET_RX_SOFTIRQ] = net_rx_raises_net_tx;
	/* Raised in scrambled order; they run by number. */
	assert_int_equal(bh_raise_softirq(BH_RCU_SOFTIRQ), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_raise_softirq(BH_SCHED_SOFTIRQ), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_TX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 5);
	/*
	 * NET_TX raised by NET_RX has a lower number but waits for the next
	 * pass: it runs after SCHED and RCU of the first pass.
	 */
	static const int want[] = {
		BH_NET_TX_SOFTIRQ, BH_NET_RX_SOFTIRQ, BH_SCHED_SOFTIRQ,
		BH_RCU_SOFTIRQ,	   BH_NET_TX_SOFTIRQ,
	};
	assert_order(want, 5);
	/* The mask was cleared when the pass started, before any handler. */
	assert_int_equal(pending_in_first_handler, 0);
	th_shutdown();
}

/* S6: a two-party barrier inside the handler, with a bounded wait. */
static unsigned long s6_arrived;
static unsigned long s6_met;
static int s6_cpus_mask;

static void net_rx_barrier(void)
{
	__atomic_or_fetch(&s6_cpus_mask, 1 << bh_smp_processor_id(),
			  __ATOMIC_RELAXED);
	__atomic_add_fetch(&s6_arrived, 1, __ATOMIC_ACQ_REL);
	if (th_wait_ge(&s6_arrived, 2))
		__atomic_add_fetch(&s6_met, 1, __ATOMIC_RELAXED);
}

/* SPEC S6 */
static void test_s6_same_vector_concurrently_on_two_cpus(void **state)
{
	(void)state;
	s6_arrived = 0;
	s6_met = 0;
	s6_cpus_mask = 0;
	th_init(2, false);
	open_all();
	hook[BH_NET_RX_SOFTIRQ] = net_rx_barrier;
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_thread_set_cpu(-1), 0);
	assert_true(th_wait_ge(&calls[BH_NET_RX_SOFTIRQ], 2));
	/* Both handlers were inside at once: each saw the other arrive. */
	assert_int_equal(__atomic_load_n(&s6_met, __ATOMIC_RELAXED), 2);
	assert_int_equal(__atomic_load_n(&s6_cpus_mask, __ATOMIC_RELAXED), 3);
	assert_int_equal(__atomic_load_n(&max_depth, __ATOMIC_RELAXED), 2);
	th_shutdown();
}

static bool s7_in_hardirq_in_handler;
static bool s7_serving_in_hardirq;

static void net_tx_takes_interrupt(void)
{
	bh_irq_enter();
	s7_in_hardirq_in_handler = bh_in_hardirq();
	s7_serving_in_hardirq = bh_in_serving_softirq();
	bh_raise_softirq(BH_NET_RX_SOFTIRQ);
	/* in_interrupt() is still true here: this exit must not run NET_RX. */
	bh_irq_exit();
	/* Nor may a bh-disabled section's enable inside a handler. */
	bh_local_bh_disable();
	bh_raise_softirq(BH_BLOCK_SOFTIRQ);
	bh_local_bh_enable();
}

/* SPEC S7 */
static void test_s7_interrupt_during_handler_does_not_nest(void **state)
{
	(void)state;
	det_init(1);
	hook[BH_NET_TX_SOFTIRQ] = net_tx_takes_interrupt;
	assert_int_equal(bh_raise_softirq(BH_NET_TX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 3);
	assert_true(s7_in_hardirq_in_handler);
	assert_true(s7_serving_in_hardirq);
	assert_int_equal(max_depth, 1);
	static const int want[] = {BH_NET_TX_SOFTIRQ, BH_NET_RX_SOFTIRQ,
				   BH_BLOCK_SOFTIRQ};
	assert_order(want, 3);
	th_shutdown();
}

/* SPEC S8, S9: not in hardirq; the outermost irq_exit runs them. */
static void test_s8_s9_hardirq_defers_to_outermost_irq_exit(void **state)
{
	(void)state;
	det_init(1);
	bh_irq_enter();
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 0);
	bh_irq_enter(); /* a nested top half */
	assert_int_equal(bh_raise_softirq(BH_NET_TX_SOFTIRQ), 0);
	bh_irq_exit();
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(ncalls(BH_NET_TX_SOFTIRQ), 0);
	bh_irq_exit();
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 1);
	assert_int_equal(ncalls(BH_NET_TX_SOFTIRQ), 1);
	assert_true(pthread_equal(ran_on[BH_NET_RX_SOFTIRQ], pthread_self()));
	assert_false(hardirq_seen);
	static const int want[] = {BH_NET_TX_SOFTIRQ, BH_NET_RX_SOFTIRQ};
	assert_order(want, 2);
	assert_int_equal(bh_softirq_pending(0), 0);
	assert_int_equal(bh_preempt_count(), 0);
	th_shutdown();
}

/* SPEC S8: not in a bh-disabled section, even at an irq_exit. */
static void test_s8_bh_disabled_holds_softirqs(void **state)
{
	(void)state;
	det_init(1);
	bh_local_bh_disable();
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	bh_irq_enter();
	assert_int_equal(bh_raise_softirq(BH_BLOCK_SOFTIRQ), 0);
	bh_irq_exit();
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(ncalls(BH_BLOCK_SOFTIRQ), 0);
	assert_int_equal(bh_softirq_pending(0),
			 (1u << BH_NET_RX_SOFTIRQ) | (1u << BH_BLOCK_SOFTIRQ));
	bh_local_bh_enable();
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 1);
	assert_int_equal(ncalls(BH_BLOCK_SOFTIRQ), 1);
	assert_true(pthread_equal(ran_on[BH_BLOCK_SOFTIRQ], pthread_self()));
	assert_int_equal(bh_softirq_pending(0), 0);
	th_shutdown();
}

/* SPEC S9, S10 */
static void test_s9_s10_only_outermost_bh_enable_runs(void **state)
{
	(void)state;
	det_init(1);
	bh_local_bh_disable();
	bh_local_bh_disable();
	bh_local_bh_disable();
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	bh_local_bh_enable();
	bh_local_bh_enable();
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_softirq_pending(0), 1u << BH_NET_RX_SOFTIRQ);
	assert_true(bh_in_softirq());
	bh_local_bh_enable();
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 1);
	assert_true(pthread_equal(ran_on[BH_NET_RX_SOFTIRQ], pthread_self()));
	assert_false(bh_in_softirq());
	assert_int_equal(bh_preempt_count(), 0);
	assert_int_equal(bh_softirq_pending(0), 0);
	th_shutdown();
}

/*
 * True once ksoftirqd/`cpu` has announced that it sleeps and the kernel
 * shows it blocked (state S): it can then only run softirqs if woken. This
 * reads the library's internal pending word, so the threaded test below is
 * not at the mercy of when the new thread first gets scheduled.
 */
static bool ksoftirqd_asleep(int cpu)
{
	struct bh__cpu *c = &bh__cpus[cpu];
	int tid = __atomic_load_n(&c->tid, __ATOMIC_RELAXED);
	if (!tid || !(__atomic_load_n(&c->pending, __ATOMIC_SEQ_CST) &
		      BH__PENDING_SLEEPING))
		return false;
	char path[64], buf[256] = "";
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] == 'S';
}

static bool wait_ksoftirqd_asleep(int cpu)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (!ksoftirqd_asleep(cpu)) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* SPEC S9, S10: in threaded mode too the enable runs them inline. */
static void test_s9_s10_threaded_bh_enable_runs_inline(void **state)
{
	(void)state;
	th_init(1, false);
	open_all();
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_true(wait_ksoftirqd_asleep(0));
	bh_local_bh_disable();
	bh_local_bh_disable();
	/* in_interrupt() is true: no ksoftirqd wake-up, as the kernel. */
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	bh_local_bh_enable();
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 0);
	bh_local_bh_enable();
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 1);
	assert_true(pthread_equal(ran_on[BH_NET_RX_SOFTIRQ], pthread_self()));
	th_shutdown();
}

static pthread_t s12_main;
static unsigned long s12_inline, s12_ksoftirqd;

static void net_rx_reraise_15(void)
{
	if (pthread_equal(pthread_self(), s12_main))
		__atomic_add_fetch(&s12_inline, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&s12_ksoftirqd, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&calls[BH_NET_RX_SOFTIRQ], __ATOMIC_RELAXED) < 14)
		bh_raise_softirq(BH_NET_RX_SOFTIRQ);
}

/*
 * SPEC S12: what one run leaves pending is handed to ksoftirqd/N. The
 * outermost bh enable runs at most 10 passes inline (fewer if a tick
 * boundary ends the 2 ms budget early: HZ 10 makes that rare, and the
 * assertions allow it); ksoftirqd/0, asleep until then, runs the rest.
 */
static void test_s12_leftover_goes_to_ksoftirqd(void **state)
{
	(void)state;
	struct bh_config cfg;
	th_log_clear();
	th_config(&cfg, 1, false);
	cfg.hz = 10;
	assert_int_equal(bh_init(&cfg), 0);
	open_all();
	assert_int_equal(bh_thread_set_cpu(0), 0);
	s12_main = pthread_self();
	s12_inline = s12_ksoftirqd = 0;
	hook[BH_NET_RX_SOFTIRQ] = net_rx_reraise_15;
	assert_true(wait_ksoftirqd_asleep(0));
	bh_local_bh_disable();
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	bh_local_bh_enable();
	unsigned long inline_runs =
		__atomic_load_n(&s12_inline, __ATOMIC_RELAXED);
	assert_true(inline_runs >= 1 && inline_runs <= 10);
	assert_true(th_wait_ge(&calls[BH_NET_RX_SOFTIRQ], 15));
	assert_int_equal(__atomic_load_n(&s12_inline, __ATOMIC_RELAXED),
			 inline_runs);
	assert_int_equal(__atomic_load_n(&s12_ksoftirqd, __ATOMIC_RELAXED),
			 15 - inline_runs);
	th_shutdown();
}

/* SPEC S11: a task-context raise does not run the handler there. */
static void test_s11_task_raise_is_not_synchronous(void **state)
{
	(void)state;
	det_init(1);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_softirq_pending(0), 1u << BH_NET_RX_SOFTIRQ);
	/* The ksoftirqd loop, stepped by hand. */
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 1);
	th_shutdown();
}

static char thread_name[2][32];
static int thread_policy[2];

static void net_rx_note_thread(void)
{
	int cpu = bh_smp_processor_id();
	if (cpu < 0 || cpu > 1)
		return;
	char name[32] = "";
	pthread_getname_np(pthread_self(), name, sizeof(name));
	memcpy(thread_name[cpu], name, sizeof(name));
	struct sched_param sp;
	int policy = -1;
	if (pthread_getschedparam(pthread_self(), &policy, &sp) == 0)
		thread_policy[cpu] = policy;
}

/* SPEC S11, S19: the raise wakes ksoftirqd/N, a SCHED_OTHER thread. */
static void test_s11_s19_task_raise_runs_on_ksoftirqd(void **state)
{
	(void)state;
	memset(thread_name, 0, sizeof(thread_name));
	thread_policy[0] = thread_policy[1] = -1;
	th_init(2, false);
	open_all();
	hook[BH_NET_RX_SOFTIRQ] = net_rx_note_thread;
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_true(th_wait_ge(&calls[BH_NET_RX_SOFTIRQ], 1));
	assert_false(pthread_equal(ran_on[BH_NET_RX_SOFTIRQ], pthread_self()));
	assert_string_equal(thread_name[0], "ksoftirqd/0");
	assert_int_equal(thread_policy[0], SCHED_OTHER);

	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_true(th_wait_ge(&calls[BH_NET_RX_SOFTIRQ], 2));
	assert_false(pthread_equal(ran_on[BH_NET_RX_SOFTIRQ], pthread_self()));
	assert_string_equal(thread_name[1], "ksoftirqd/1");
	assert_int_equal(thread_policy[1], SCHED_OTHER);
	assert_int_equal(cpu_seen[BH_NET_RX_SOFTIRQ], 1);
	th_shutdown();
}

static void net_rx_reraise_forever(void)
{
	bh_raise_softirq(BH_NET_RX_SOFTIRQ);
}

/* SPEC S12: at most MAX_SOFTIRQ_RESTART passes; the rest stays pending. */
static void test_s12_restart_limit_leaves_rest_pending(void **state)
{
	(void)state;
	det_init(1);
	hook[BH_NET_RX_SOFTIRQ] = net_rx_reraise_forever;
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 10);
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 10);
	assert_int_equal(bh_softirq_pending(0), 1u << BH_NET_RX_SOFTIRQ);
	/* The next ksoftirqd loop picks it up again. */
	assert_int_equal(bh_run_softirqs(0), 10);
	hook[BH_NET_RX_SOFTIRQ] = NULL;
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 21);
	assert_int_equal(bh_softirq_pending(0), 0);
	th_shutdown();
}

static void net_rx_reraise_and_tick(void)
{
	bh_raise_softirq(BH_NET_RX_SOFTIRQ);
	bh_advance_jiffies(1);
}

/*
 * SPEC S12, S13: with each pass taking one jiffy, the loop stops once
 * MAX_SOFTIRQ_TIME = msecs_to_jiffies(2) jiffies have passed: after one pass
 * at HZ 100/250/300, two at HZ 1000.
 */
static void test_s12_s13_time_budget_in_jiffies(void **state)
{
	(void)state;
	static const struct {
		unsigned int hz;
		int passes;
	} cases[] = {{100, 1}, {250, 1}, {300, 1}, {1000, 2}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_config cfg;
		th_log_clear();
		th_config(&cfg, 1, true);
		cfg.hz = cases[i].hz;
		assert_int_equal(bh_init(&cfg), 0);
		open_all();
		assert_int_equal(bh_thread_set_cpu(0), 0);
		assert_int_equal(bh_msecs_to_jiffies(BH_MAX_SOFTIRQ_TIME_MS),
				 (unsigned long)cases[i].passes);
		memset(calls, 0, sizeof(calls));
		hook[BH_NET_RX_SOFTIRQ] = net_rx_reraise_and_tick;
		assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
		unsigned long j0 = bh_jiffies();
		assert_int_equal(bh_run_softirqs(0), cases[i].passes);
		assert_int_equal(bh_jiffies() - j0,
				 (unsigned long)cases[i].passes);
		assert_int_equal(bh_softirq_pending(0),
				 1u << BH_NET_RX_SOFTIRQ);
		hook[BH_NET_RX_SOFTIRQ] = NULL;
		assert_int_equal(bh_run_softirqs(0), 1);
		th_shutdown();
	}
}

/* SPEC S14: handlers run with interrupts on, whoever runs them. */
static void test_s14_irqs_enabled_in_handlers(void **state)
{
	(void)state;
	det_init(1);
	/* ksoftirqd loop */
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 1);
	/* outermost bh enable */
	bh_local_bh_disable();
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	bh_local_bh_enable();
	/* irq_exit of a top half that ran with interrupts off inside */
	bh_irq_enter();
	unsigned long flags = bh_local_irq_save();
	assert_int_equal(bh_raise_softirq_irqoff(BH_NET_RX_SOFTIRQ), 0);
	bh_local_irq_restore(flags);
	bh_irq_exit();
	assert_int_equal(ncalls(BH_NET_RX_SOFTIRQ), 3);
	assert_false(irqs_off_seen);
	assert_false(bh_irqs_disabled());
	th_shutdown();
}

static void net_rx_leaks_preempt_disable(void)
{
	bh_preempt_disable();
}

/* SPEC S16 */
static void test_s16_preempt_count_leak_reported_and_restored(void **state)
{
	(void)state;
	det_init(1);
	hook[BH_NET_RX_SOFTIRQ] = net_rx_leaks_preempt_disable;
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_raise_softirq(BH_SCHED_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 2);
	char want[160];
	snprintf(want, sizeof(want),
		 "huh, entered softirq %u %s %p with preempt_count %08x, "
		 "exited with %08x?",
		 (unsigned int)BH_NET_RX_SOFTIRQ, "NET_RX", (void *)h_net_rx,
		 0x100u, 0x101u);
	if (!th_log_has(want))
		fprintf(stderr, "want: %s\nlog:\n%s\n", want, th_log.text);
	assert_true(th_log_has(want));
	/* Restored before the next handler and after the loop. */
	assert_int_equal(pc_seen[BH_NET_RX_SOFTIRQ], 0x100);
	assert_int_equal(pc_seen[BH_SCHED_SOFTIRQ], 0x100);
	assert_int_equal(bh_preempt_count(), 0);
	assert_false(bh_in_atomic());

	/* A balanced handler says nothing. */
	hook[BH_NET_RX_SOFTIRQ] = NULL;
	th_log_clear();
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_false(th_log_has("huh"));
	th_shutdown();
}

/* The kernel's show_softirqs() layout. */
static size_t proc_softirqs(char *buf, size_t len, int nr_cpus)
{
	size_t at = 0;
	at += (size_t)snprintf(buf + at, len - at, "                    ");
	for (int c = 0; c < nr_cpus; c++)
		at += (size_t)snprintf(buf + at, len - at, "CPU%-8d", c);
	at += (size_t)snprintf(buf + at, len - at, "\n");
	for (int v = 0; v < BH_NR_SOFTIRQS; v++) {
		at += (size_t)snprintf(buf + at, len - at,
				       "%12s:", bh_softirq_to_name[v]);
		for (int c = 0; c < nr_cpus; c++)
			at += (size_t)snprintf(buf + at, len - at, " %10llu",
					       bh_softirq_count(c, v));
		at += (size_t)snprintf(buf + at, len - at, "\n");
	}
	return at;
}

/* SPEC S17 */
static void test_s17_counters_and_proc_softirqs_text(void **state)
{
	(void)state;
	det_init(2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
		assert_int_equal(bh_run_softirqs(0), 1);
	}
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_raise_softirq(BH_BLOCK_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(1), 2);
	assert_int_equal(bh_raise_softirq(BH_BLOCK_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(1), 1);

	for (int c = 0; c < 2; c++) {
		for (unsigned int v = 0; v < BH_NR_SOFTIRQS; v++) {
			unsigned long long want = 0;
			if (v == BH_NET_RX_SOFTIRQ)
				want = c == 0 ? 3 : 1;
			if (v == BH_BLOCK_SOFTIRQ && c == 1)
				want = 2;
			assert_int_equal(bh_softirq_count(c, v), want);
		}
	}
	assert_int_equal(bh_softirq_count(2, BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_softirq_count(-1, BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_softirq_count(0, BH_NR_SOFTIRQS), 0);

	char want[2048], got[2048];
	size_t wlen = proc_softirqs(want, sizeof(want), 2);
	assert_true(wlen < sizeof(want));
	int n = bh_softirqs_snprint(got, sizeof(got));
	assert_int_equal(n, (int)wlen);
	assert_string_equal(got, want);
	assert_true(strstr(got, "      NET_RX:          3          1\n"));

	/* snprintf's contract: the needed length, a terminated prefix. */
	assert_int_equal(bh_softirqs_snprint(NULL, 0), n);
	char small[16];
	memset(small, 'x', sizeof(small));
	assert_int_equal(bh_softirqs_snprint(small, sizeof(small)), n);
	assert_int_equal(small[15], '\0');
	assert_memory_equal(small, want, 15);

	/* bh_softirqs_print writes the same text. */
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);
	assert_non_null(f);
	assert_int_equal(bh_softirqs_print(f), n);
	fclose(f);
	assert_string_equal(mem, want);
	free(mem);

	/* "since bh_init()": a new runtime starts from zero. */
	th_shutdown();
	det_init(2);
	assert_int_equal(bh_softirq_count(0, BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_softirq_count(1, BH_BLOCK_SOFTIRQ), 0);
	th_shutdown();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_s1_ten_vectors_named_as_kernel),
		T(test_open_softirq_library_vectors_are_busy),
		T(test_s2_raise_marks_only_calling_cpu),
		T(test_s3_raising_pending_vector_coalesces),
		T(test_s4_reraise_from_own_handler_runs_again),
		T(test_s5_snapshot_then_ascending_order),
		T(test_s6_same_vector_concurrently_on_two_cpus),
		T(test_s7_interrupt_during_handler_does_not_nest),
		T(test_s8_s9_hardirq_defers_to_outermost_irq_exit),
		T(test_s8_bh_disabled_holds_softirqs),
		T(test_s9_s10_only_outermost_bh_enable_runs),
		T(test_s9_s10_threaded_bh_enable_runs_inline),
		T(test_s11_task_raise_is_not_synchronous),
		T(test_s11_s19_task_raise_runs_on_ksoftirqd),
		T(test_s12_restart_limit_leaves_rest_pending),
		T(test_s12_s13_time_budget_in_jiffies),
		T(test_s12_leftover_goes_to_ksoftirqd),
		T(test_s14_irqs_enabled_in_handlers),
		T(test_s16_preempt_count_leak_reported_and_restored),
		T(test_s17_counters_and_proc_softirqs_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
