/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks (include/bh/spinlock.h): mutual exclusion under contention,
 * the context each variant enters (PREEMPT count, bh disabled, irqs off),
 * trylock, and the "BUG: spinlock recursion" report for a thread that
 * re-takes a lock it holds (in a forked child, since the call then blocks
 * as the kernel's would).
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int setup(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	return 0;
}

#define ITERS 50000

static BH_DEFINE_SPINLOCK(counter_lock);
static unsigned long counter; /* protected by counter_lock only */
static int inside;	      /* must never be seen above 1 */
static int overlap;

static void critical_section(unsigned long i)
{
	if (__atomic_add_fetch(&inside, 1, __ATOMIC_RELAXED) != 1)
		__atomic_store_n(&overlap, 1, __ATOMIC_RELAXED);
	counter++;
	/* Now and then yield while holding it, so waiters go to sleep. */
	if (i % 512 == 0)
		sched_yield();
	__atomic_sub_fetch(&inside, 1, __ATOMIC_RELAXED);
}

static void *plain_locker(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < ITERS; i++) {
		bh_spin_lock(&counter_lock);
		critical_section(i);
		bh_spin_unlock(&counter_lock);
	}
	return NULL;
}

static void *bh_locker(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < ITERS; i++) {
		bh_spin_lock_bh(&counter_lock);
		critical_section(i);
		bh_spin_unlock_bh(&counter_lock);
	}
	return NULL;
}

static void *irqsave_locker(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < ITERS; i++) {
		unsigned long flags = bh_spin_lock_irqsave(&counter_lock);
		critical_section(i);
		bh_spin_unlock_irqrestore(&counter_lock, flags);
	}
	return NULL;
}

static void *try_locker(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < ITERS;) {
		if (!bh_spin_trylock(&counter_lock)) {
			sched_yield();
			continue;
		}
		critical_section(i);
		bh_spin_unlock(&counter_lock);
		i++;
	}
	return NULL;
}

/* Mutual exclusion: no lost increment, never two holders at once. */
static void test_spinlock_mutual_exclusion_under_contention(void **state)
{
	(void)state;
	void *(*fns[])(void *) = {plain_locker, bh_locker, irqsave_locker,
				  try_locker};
	const int n = (int)(sizeof(fns) / sizeof(fns[0]));
	pthread_t t[4];
	counter = 0;
	inside = 0;
	overlap = 0;
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fns[i], NULL), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(counter, (unsigned long)n * ITERS);
	assert_int_equal(overlap, 0);
	assert_false(bh_spin_is_locked(&counter_lock));
}

/* spin_lock raises the PREEMPT count: in_atomic(), still in_task(). */
static void test_spin_lock_is_atomic(void **state)
{
	(void)state;
	bh_spinlock_t a, b;
	bh_spin_lock_init(&a);
	bh_spin_lock_init(&b);
	assert_false(bh_spin_is_locked(&a));
	bh_spin_lock(&a);
	assert_true(bh_spin_is_locked(&a));
	assert_int_equal(bh_preempt_count(), 1);
	assert_true(bh_in_atomic());
	assert_true(bh_in_task());
	assert_false(bh_in_interrupt());
	assert_false(bh_irqs_disabled());
	bh_spin_lock(&b);
	assert_int_equal(bh_preempt_count(), 2);
	bh_spin_unlock(&b);
	bh_spin_unlock(&a);
	assert_false(bh_spin_is_locked(&a));
	assert_int_equal(bh_preempt_count(), 0);
	assert_false(bh_in_atomic());
}

static unsigned long net_rx_calls;
static void net_rx(void)
{
	net_rx_calls++;
}

/* spin_lock_bh disables bottom halves; unlock_bh runs what was held. */
static void test_spin_lock_bh_disables_bh(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(l);
	net_rx_calls = 0;
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx), 0);
	bh_spin_lock_bh(&l);
	assert_true(bh_in_softirq());
	assert_false(bh_in_serving_softirq());
	assert_true(bh_in_interrupt());
	assert_true(bh_in_atomic());
	assert_int_equal(bh_preempt_count(), BH_SOFTIRQ_DISABLE_OFFSET + 1);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	bh_irq_enter();
	bh_irq_exit();
	assert_int_equal(net_rx_calls, 0);
	bh_spin_unlock_bh(&l);
	assert_int_equal(net_rx_calls, 1); /* SPEC S9 */
	assert_false(bh_in_softirq());
	assert_int_equal(bh_preempt_count(), 0);
	assert_false(bh_spin_is_locked(&l));
}

/* _irq/_irqsave turn interrupts off; irqrestore puts back what was. */
static void test_spin_lock_irqsave_and_irq(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(l);
	unsigned long flags = bh_spin_lock_irqsave(&l);
	assert_true(bh_irqs_disabled());
	assert_int_equal(bh_preempt_count(), 1);
	bh_spin_unlock_irqrestore(&l, flags);
	assert_false(bh_irqs_disabled());
	assert_int_equal(bh_preempt_count(), 0);

	/* Taken with interrupts already off: the restore leaves them off. */
	bh_local_irq_disable();
	flags = bh_spin_lock_irqsave(&l);
	assert_true(bh_irqs_disabled());
	bh_spin_unlock_irqrestore(&l, flags);
	assert_true(bh_irqs_disabled());
	bh_local_irq_enable();
	assert_false(bh_irqs_disabled());

	/* Nested irqsave locks restore in order. */
	BH_DEFINE_SPINLOCK(m);
	unsigned long f1 = bh_spin_lock_irqsave(&l);
	unsigned long f2 = bh_spin_lock_irqsave(&m);
	assert_int_equal(bh_preempt_count(), 2);
	bh_spin_unlock_irqrestore(&m, f2);
	assert_true(bh_irqs_disabled());
	bh_spin_unlock_irqrestore(&l, f1);
	assert_false(bh_irqs_disabled());

	bh_spin_lock_irq(&l);
	assert_true(bh_irqs_disabled());
	assert_int_equal(bh_preempt_count(), 1);
	bh_spin_unlock_irq(&l);
	assert_false(bh_irqs_disabled());
	assert_int_equal(bh_preempt_count(), 0);
}

static BH_DEFINE_SPINLOCK(try_lock);
static bool other_try_result = true;
static unsigned int other_pc_after_failed_try = ~0u;

static void *try_from_other_thread(void *arg)
{
	(void)arg;
	other_try_result = bh_spin_trylock(&try_lock);
	other_pc_after_failed_try = bh_preempt_count();
	if (other_try_result)
		bh_spin_unlock(&try_lock);
	return NULL;
}

static void test_spin_trylock(void **state)
{
	(void)state;
	pthread_t t;
	assert_true(bh_spin_trylock(&try_lock));
	assert_int_equal(bh_preempt_count(), 1);
	assert_true(bh_spin_is_locked(&try_lock));
	assert_int_equal(pthread_create(&t, NULL, try_from_other_thread, NULL),
			 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_false(other_try_result);
	/* A failed trylock leaves the caller's context as it was. */
	assert_int_equal(other_pc_after_failed_try, 0);
	bh_spin_unlock(&try_lock);
	assert_int_equal(bh_preempt_count(), 0);

	/* Free again: the other thread gets it. */
	assert_int_equal(pthread_create(&t, NULL, try_from_other_thread, NULL),
			 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(other_try_result);
	assert_false(bh_spin_is_locked(&try_lock));
}

static BH_DEFINE_SPINLOCK(recursive_lock);

static void take_recursive_lock(void)
{
	bh_spin_lock(&recursive_lock);
}

/* Re-taking a held lock is reported, not a silent hang; then it blocks,
 * as the kernel's would, until the child's alarm ends it. */
static void test_spinlock_recursion_reported(void **state)
{
	(void)state;
	th_expect_recursion_report(take_recursive_lock,
				   "BUG: spinlock recursion", NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_spinlock_mutual_exclusion_under_contention),
		T(test_spin_lock_is_atomic),
		T(test_spin_lock_bh_disables_bh),
		T(test_spin_lock_irqsave_and_irq),
		T(test_spin_trylock),
		T(test_spinlock_recursion_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
