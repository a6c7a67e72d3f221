/* SPDX-License-Identifier: MIT */
/*
 * Timer API semantics (SPEC K4-K10, the timer parts of U6 and U9), in
 * deterministic mode: no library thread, virtual jiffies, the test picks
 * the bh CPU it acts from with bh_thread_set_cpu(). bh_advance_jiffies(1)
 * is one tick, which raises TIMER_SOFTIRQ on every bh CPU with a
 * non-deferrable timer due; bh_run_all() then runs it. So which CPU ran a
 * callback, in which context and at which jiffy is exact.
 *
 * Callbacks never assert (a cmocka failure would longjmp out of the
 * library mid-softirq); they record, the test asserts afterwards.
 */
#include "harness.h"

struct tt {
	struct bh_timer t;
	unsigned int runs;
	unsigned long fired; /* jiffies seen by the last run */
	int cpu;
	bool serving, hardirq, irqs_off;
	/* extra behaviour inside the callback, for the test at hand */
	void (*hook)(struct tt *o);
	int ret[4]; /* what the hook's calls returned */
	bool pending_in_cb;
	unsigned int rearm_until;
	unsigned long fired_at[32];
};

static struct tt objs[4];

static void tt_cb(struct bh_timer *t)
{
	struct tt *o = bh_from_timer(o, t, t);

	o->fired = bh_jiffies();
	if (o->runs < 32)
		o->fired_at[o->runs] = o->fired;
	o->runs++;
	o->cpu = bh_smp_processor_id();
	o->serving = bh_in_serving_softirq();
	o->hardirq = bh_in_hardirq();
	o->irqs_off = bh_irqs_disabled();
	o->pending_in_cb = bh_timer_pending(t);
	if (o->hook)
		o->hook(o);
}

static void tt_setup(struct tt *o, unsigned int flags)
{
	memset(o, 0, sizeof(*o));
	bh_timer_setup(&o->t, tt_cb, flags);
}

static void tick(void)
{
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(bh_run_all(0) >= 0);
}

static void ticks(unsigned int n)
{
	while (n--)
		tick();
}

static int setup_det2(void **state)
{
	(void)state;
	th_init_cpu0(2, true);
	for (int i = 0; i < 4; i++)
		tt_setup(&objs[i], 0);
	return 0;
}

#define TIMER_BIT (1u << BH_TIMER_SOFTIRQ)

/*
 * SPEC K4: the callback runs in TIMER_SOFTIRQ (serving softirq, the
 * vector's count goes up) on the bh CPU whose base holds the timer, the
 * one it was armed from; irqs on, unless the timer is TIMER_IRQSAFE.
 */
static void test_k4_context_and_cpu(void **state)
{
	(void)state;
	struct tt *n = &objs[0], *s = &objs[1];
	unsigned long long c0 = bh_softirq_count(0, BH_TIMER_SOFTIRQ);
	unsigned long long c1 = bh_softirq_count(1, BH_TIMER_SOFTIRQ);

	tt_setup(s, BH_TIMER_IRQSAFE);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	unsigned long j = bh_jiffies();
	assert_int_equal(bh_mod_timer(&n->t, j + 2), 0);
	assert_int_equal(bh_mod_timer(&s->t, j + 2), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);

	tick();
	assert_int_equal(n->runs + s->runs, 0);
	assert_int_equal(bh_advance_jiffies(1), 0);
	/* The tick raised TIMER on CPU 1 only. */
	assert_int_equal(bh_softirq_pending(1) & TIMER_BIT, TIMER_BIT);
	assert_int_equal(bh_softirq_pending(0) & TIMER_BIT, 0);
	assert_true(bh_run_all(0) > 0);

	assert_int_equal(n->runs, 1);
	assert_int_equal(s->runs, 1);
	assert_int_equal(n->cpu, 1);
	assert_int_equal(s->cpu, 1);
	assert_true(n->serving);
	assert_true(s->serving);
	assert_false(n->hardirq);
	assert_false(s->hardirq);
	assert_false(n->irqs_off);
	assert_true(s->irqs_off);
	assert_false(n->pending_in_cb);
	assert_true(bh_softirq_count(1, BH_TIMER_SOFTIRQ) > c1);
	assert_int_equal(bh_softirq_count(0, BH_TIMER_SOFTIRQ), c0);
	assert_false(bh_irqs_disabled());
	assert_int_equal(bh_warn_count(), 0);
}

/*
 * SPEC K5: timer_delete returns 1 for a pending timer, which then never
 * runs, and 0 for one that is not pending (never armed, already deleted,
 * already fired).
 */
static void test_k5_delete_return_and_effect(void **state)
{
	(void)state;
	struct tt *o = &objs[0];

	assert_int_equal(bh_timer_delete(&o->t), 0); /* never armed */
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 3), 0);
	assert_true(bh_timer_pending(&o->t));
	tick();
	assert_int_equal(bh_timer_delete(&o->t), 1);
	assert_false(bh_timer_pending(&o->t));
	assert_int_equal(bh_timer_delete(&o->t), 0);
	ticks(10);
	assert_int_equal(o->runs, 0);

	/* Deleted on the very tick it is due, before the softirq runs. */
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_int_equal(bh_timer_delete(&o->t), 1);
	assert_true(bh_run_all(0) >= 0);
	ticks(3);
	assert_int_equal(o->runs, 0);

	/* After it fired: not pending, 0. */
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(o->runs, 1);
	assert_int_equal(bh_timer_delete(&o->t), 0);
	assert_int_equal(bh_timer_delete_sync(&o->t), 0);
	assert_int_equal(bh_warn_count(), 0);
}

static void hook_delete_sync_self(struct tt *o)
{
	o->ret[0] = bh_timer_delete_sync(&o->t);
	o->ret[1] = bh_timer_shutdown_sync(&o->t);
}

/*
 * SPEC K6: timer_delete_sync from the timer's own callback would wait for
 * itself: it warns and returns -EDEADLK instead of hanging. (So does
 * timer_shutdown_sync.)
 */
static void test_k6_delete_sync_from_own_callback(void **state)
{
	(void)state;
	struct tt *o = &objs[0];

	o->hook = hook_delete_sync_self;
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(o->runs, 1);
	assert_int_equal(o->ret[0], -EDEADLK);
	assert_int_equal(o->ret[1], -EDEADLK);
	assert_true(th_log_has("own callback"));
	assert_true(bh_warn_count() >= 2);
}

/*
 * SPEC K6: timer_delete_sync from hardirq context warns for a timer that
 * is not TIMER_IRQSAFE (its callback runs with irqs on and could be
 * interrupted by this very top half); an IRQSAFE timer is fine there. The
 * delete itself still happens.
 */
static void test_k6_delete_sync_from_hardirq(void **state)
{
	(void)state;
	struct tt *n = &objs[0], *s = &objs[1];
	int r;

	tt_setup(s, BH_TIMER_IRQSAFE);
	assert_int_equal(bh_mod_timer(&n->t, bh_jiffies() + 5), 0);
	assert_int_equal(bh_mod_timer(&s->t, bh_jiffies() + 5), 0);

	bh_irq_enter();
	r = bh_timer_delete_sync(&s->t);
	bh_irq_exit();
	assert_int_equal(r, 1);
	assert_int_equal(bh_warn_count(), 0);

	bh_irq_enter();
	r = bh_timer_delete_sync(&n->t);
	bh_irq_exit();
	assert_int_equal(r, 1);
	assert_int_equal(bh_warn_count(), 1);
	assert_true(th_log_has("hardirq"));
	assert_true(th_log_has("TIMER_IRQSAFE"));

	ticks(8);
	assert_int_equal(n->runs + s->runs, 0);
}

static struct tt *other;

static void hook_delete_sync_other(struct tt *o)
{
	o->ret[0] = bh_timer_delete_sync(&other->t);
}

/*
 * SPEC K6 names the contexts timer_delete_sync must not be called from:
 * the timer's own callback, and hardirq unless the timer is IRQSAFE.
 * Softirq context is not among them (the kernel's timer_delete_sync()
 * checks in_hardirq() only, and busy-waits for a running callback there).
 * So a timer callback and a bh-disabled section may delete another timer
 * synchronously, IRQSAFE or not, without a warning.
 */
static void check_delete_sync_from_softirq(unsigned int flags)
{
	struct tt *a = &objs[0], *s = &objs[1];

	tt_setup(a, 0);
	tt_setup(s, flags);
	other = s;
	a->hook = hook_delete_sync_other;
	assert_int_equal(bh_mod_timer(&s->t, bh_jiffies() + 5), 0);
	assert_int_equal(bh_mod_timer(&a->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(a->runs, 1);
	assert_int_equal(a->ret[0], 1);
	assert_false(bh_timer_pending(&s->t));

	assert_int_equal(bh_mod_timer(&s->t, bh_jiffies() + 5), 0);
	bh_local_bh_disable();
	int r = bh_timer_delete_sync(&s->t);
	bh_local_bh_enable();
	assert_int_equal(r, 1);
	ticks(8);
	assert_int_equal(s->runs, 0);
	if (bh_warn_count() != 0)
		fail_msg("%lu warning(s), the first: %.80s", bh_warn_count(),
			 th_log.text);
}

static void test_k6_delete_sync_irqsafe_from_softirq(void **state)
{
	(void)state;
	check_delete_sync_from_softirq(BH_TIMER_IRQSAFE);
}

static void test_k6_delete_sync_from_softirq(void **state)
{
	(void)state;
	check_delete_sync_from_softirq(0);
}

/*
 * SPEC K7: mod_timer returns whether the timer was pending and moves the
 * expiry later or earlier; the timer fires once, at the last expiry set.
 */
static void test_k7_mod_timer_moves(void **state)
{
	(void)state;
	struct tt *o = &objs[0];
	unsigned long j = bh_jiffies();

	assert_int_equal(bh_mod_timer(&o->t, j + 10), 0);
	assert_int_equal(bh_mod_timer(&o->t, j + 20), 1); /* later */
	ticks(19);
	assert_int_equal(o->runs, 0);
	tick();
	assert_int_equal(o->runs, 1);
	assert_int_equal(o->fired, j + 20);

	j = bh_jiffies();
	assert_int_equal(bh_mod_timer(&o->t, j + 30), 0);
	assert_int_equal(bh_mod_timer(&o->t, j + 5), 1); /* earlier */
	assert_int_equal(bh_mod_timer(&o->t, j + 5), 1); /* same */
	ticks(40);
	assert_int_equal(o->runs, 2);
	assert_int_equal(o->fired, j + 5);

	/* An expiry already past fires at the next tick. */
	j = bh_jiffies();
	assert_int_equal(bh_mod_timer(&o->t, j - 5), 0);
	tick();
	assert_int_equal(o->runs, 3);
	assert_int_equal(o->fired, j + 1);
	assert_int_equal(bh_warn_count(), 0);
}

/*
 * SPEC K7: timer_reduce moves a pending timer only earlier (returning 1
 * either way) and arms an idle one like mod_timer (returning 0).
 */
static void test_k7_timer_reduce(void **state)
{
	(void)state;
	struct tt *o = &objs[0];
	unsigned long j = bh_jiffies();

	assert_int_equal(bh_timer_reduce(&o->t, j + 20), 0); /* idle: arms */
	assert_true(bh_timer_pending(&o->t));
	assert_int_equal(bh_timer_reduce(&o->t, j + 30), 1); /* not later */
	ticks(19);
	assert_int_equal(o->runs, 0);
	tick();
	assert_int_equal(o->runs, 1);
	assert_int_equal(o->fired, j + 20);

	j = bh_jiffies();
	assert_int_equal(bh_mod_timer(&o->t, j + 20), 0);
	assert_int_equal(bh_timer_reduce(&o->t, j + 10), 1); /* earlier */
	ticks(30);
	assert_int_equal(o->runs, 2);
	assert_int_equal(o->fired, j + 10);
	assert_int_equal(bh_warn_count(), 0);
}

/*
 * SPEC K8: a TIMER_DEFERRABLE timer that is due does not raise
 * TIMER_SOFTIRQ at the tick (it does not wake the CPU); it runs when that
 * CPU serves timers anyway: when a non-deferrable timer is due there, or
 * when TIMER_SOFTIRQ is raised there for another reason. A due timer on
 * another CPU does not make it run.
 */
static void test_k8_deferrable(void **state)
{
	(void)state;
	struct tt *d = &objs[0], *n = &objs[1], *d1 = &objs[2], *n0 = &objs[3];
	unsigned long j = bh_jiffies();

	tt_setup(d, BH_TIMER_DEFERRABLE);
	tt_setup(d1, BH_TIMER_DEFERRABLE);
	assert_int_equal(bh_mod_timer(&d->t, j + 3), 0);
	ticks(2);
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_int_equal(bh_softirq_pending(0) & TIMER_BIT, 0);
	assert_true(bh_run_all(0) >= 0);
	ticks(20);
	assert_int_equal(d->runs, 0);
	assert_true(bh_timer_pending(&d->t));

	/* A due timer on CPU 1 does not wake CPU 0. */
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_mod_timer(&n->t, bh_jiffies() + 1), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_int_equal(bh_softirq_pending(0) & TIMER_BIT, 0);
	assert_int_equal(bh_softirq_pending(1) & TIMER_BIT, TIMER_BIT);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(n->runs, 1);
	assert_int_equal(n->cpu, 1);
	assert_int_equal(d->runs, 0);

	/* A non-deferrable timer due on CPU 0: both run there, same tick. */
	assert_int_equal(bh_mod_timer(&n0->t, bh_jiffies() + 1), 0);
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_int_equal(bh_softirq_pending(0) & TIMER_BIT, TIMER_BIT);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(n0->runs, 1);
	assert_int_equal(d->runs, 1);
	assert_int_equal(d->cpu, 0);
	assert_int_equal(d->fired, n0->fired);
	assert_true(d->serving);
	assert_false(bh_timer_pending(&d->t));

	/* TIMER_SOFTIRQ raised by hand on CPU 1 runs CPU 1's deferrable. */
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_mod_timer(&d1->t, bh_jiffies() + 2), 0);
	ticks(5);
	assert_int_equal(d1->runs, 0);
	assert_int_equal(bh_raise_softirq(BH_TIMER_SOFTIRQ), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(d1->runs, 1);
	assert_int_equal(d1->cpu, 1);
	assert_int_equal(bh_thread_set_cpu(0), 0);

	/* Not yet due, the same raise does not run it early. */
	assert_int_equal(bh_mod_timer(&d->t, bh_jiffies() + 5), 0);
	assert_int_equal(bh_raise_softirq(BH_TIMER_SOFTIRQ), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(d->runs, 1);
	assert_true(bh_timer_pending(&d->t));
	assert_int_equal(bh_timer_delete(&d->t), 1);
	assert_int_equal(bh_warn_count(), 0);
}

/*
 * SPEC K9, add_timer_on: from a thread on CPU 0, the timer runs on CPU 1.
 * As in the kernel (its TIMER_PINNED comment: enqueue functions like
 * mod_timer() and add_timer() always use the local CPU; only
 * add_timer_on() chooses one), a later mod_timer or timer_reduce moves it
 * to the arming CPU, idle or pending.
 */
static void test_k9_add_timer_on_pins(void **state)
{
	(void)state;
	struct tt *o = &objs[0];

	o->t.expires = bh_jiffies() + 2;
	assert_int_equal(bh_add_timer_on(&o->t, 1), 0);
	ticks(2);
	assert_int_equal(o->runs, 1);
	assert_int_equal(o->cpu, 1);

	/* Idle, re-armed from CPU 0: it runs on CPU 0. */
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 2), 0);
	ticks(2);
	assert_int_equal(o->runs, 2);
	assert_int_equal(o->cpu, 0);

	/* Pending, re-armed from CPU 0, then CPU 1: it follows the caller. */
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 4), 0);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 2), 1);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 3), 1);
	assert_int_equal(bh_timer_reduce(&o->t, bh_jiffies() + 2), 1);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	ticks(2);
	assert_int_equal(o->runs, 3);
	assert_int_equal(o->cpu, 1);

	/* add_timer_on() moves it to the CPU it names, from any CPU. */
	o->t.expires = bh_jiffies() + 1;
	assert_int_equal(bh_add_timer_on(&o->t, 1), 0);
	tick();
	assert_int_equal(o->runs, 4);
	assert_int_equal(o->cpu, 1);
	assert_int_equal(bh_warn_count(), 0);
}

/*
 * SPEC K9/U5, unpinned timers. Observed placement:
 * - an idle timer goes to the base of the CPU that arms it (armed from
 *   CPU 1 it runs on CPU 1, re-armed idle from CPU 0 it runs on CPU 0);
 * - a pending timer re-armed from another CPU moves to that CPU, as in
 *   the kernel;
 * - a callback that re-arms its own timer keeps it on its base.
 */
static void hook_rearm_once(struct tt *o)
{
	if (o->runs < o->rearm_until)
		o->ret[0] = bh_mod_timer(&o->t, bh_jiffies() + 1);
}

static void test_k9_unpinned_placement(void **state)
{
	(void)state;
	struct tt *o = &objs[0];

	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(o->runs, 1);
	assert_int_equal(o->cpu, 1);

	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(o->runs, 2);
	assert_int_equal(o->cpu, 0);

	/* Pending on CPU 0, re-armed from CPU 1: moves to CPU 1. */
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 5), 0);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 2), 1);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	ticks(2);
	assert_int_equal(o->runs, 3);
	assert_int_equal(o->cpu, 1);

	/* Re-armed by its own callback on CPU 1: runs on CPU 1 again. */
	o->hook = hook_rearm_once;
	o->rearm_until = 5;
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	tick();
	assert_int_equal(o->runs, 4);
	assert_int_equal(o->cpu, 1);
	assert_int_equal(o->ret[0], 0);
	tick();
	assert_int_equal(o->runs, 5);
	assert_int_equal(o->cpu, 1);
	assert_false(bh_timer_pending(&o->t));
	assert_int_equal(bh_warn_count(), 0);
}

static void hook_shutdown_then_arm(struct tt *o)
{
	o->ret[0] = bh_timer_shutdown(&o->t);
	o->ret[1] = bh_mod_timer(&o->t, bh_jiffies() + 1);
	o->ret[2] = bh_timer_pending(&o->t);
}

/*
 * SPEC K10: timer_shutdown[_sync] deletes the timer (returning whether it
 * was pending) and every later arm (mod_timer, add_timer, add_timer_on,
 * timer_reduce) returns 0 and does nothing: the timer never becomes
 * pending and never fires. timer_setup() makes it usable again, as in the
 * kernel.
 */
static void test_k10_shutdown(void **state)
{
	(void)state;
	struct tt *a = &objs[0], *b = &objs[1], *c = &objs[2];

	assert_int_equal(bh_mod_timer(&a->t, bh_jiffies() + 3), 0);
	assert_int_equal(bh_timer_shutdown(&a->t), 1);
	assert_int_equal(bh_timer_shutdown_sync(&b->t), 0); /* idle */

	for (int i = 0; i < 2; i++) {
		struct tt *o = i ? b : a;

		assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
		o->t.expires = bh_jiffies() + 1;
		assert_int_equal(bh_add_timer(&o->t), 0);
		assert_int_equal(bh_add_timer_on(&o->t, 1), 0);
		assert_int_equal(bh_timer_reduce(&o->t, bh_jiffies() + 1), 0);
		assert_false(bh_timer_pending(&o->t));
		assert_int_equal(bh_timer_delete(&o->t), 0);
		assert_int_equal(bh_timer_shutdown_sync(&o->t), 0);
	}
	ticks(10);
	assert_int_equal(a->runs + b->runs, 0);

	/* shutdown_sync of a pending timer: 1, and it never fires. */
	assert_int_equal(bh_mod_timer(&c->t, bh_jiffies() + 2), 0);
	assert_int_equal(bh_timer_shutdown_sync(&c->t), 1);
	assert_int_equal(bh_mod_timer(&c->t, bh_jiffies() + 1), 0);
	ticks(5);
	assert_int_equal(c->runs, 0);

	/* From its own callback: the re-arm after it is ignored. */
	tt_setup(c, 0);
	c->hook = hook_shutdown_then_arm;
	assert_int_equal(bh_mod_timer(&c->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(c->runs, 1);
	assert_int_equal(c->ret[0], 0);
	assert_int_equal(c->ret[1], 0);
	assert_int_equal(c->ret[2], 0);
	ticks(5);
	assert_int_equal(c->runs, 1);

	/* Set up again: armable. */
	tt_setup(a, 0);
	assert_int_equal(bh_mod_timer(&a->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(a->runs, 1);
	assert_int_equal(bh_warn_count(), 0);
}

static void hook_rearm_each_tick(struct tt *o)
{
	if (o->runs < o->rearm_until)
		o->ret[0] = bh_mod_timer(&o->t, bh_jiffies() + 1);
}

/*
 * A callback that re-arms its own timer for the next jiffy runs once per
 * tick (SPEC K2 for a timer armed from its callback; mod_timer there
 * returns 0, as the timer stopped being pending when it was run).
 */
static void test_self_rearm_each_tick(void **state)
{
	(void)state;
	struct tt *o = &objs[0];
	unsigned long j = bh_jiffies();

	o->hook = hook_rearm_each_tick;
	o->rearm_until = 20;
	o->ret[0] = -1;
	assert_int_equal(bh_mod_timer(&o->t, j + 1), 0);
	ticks(30);
	assert_int_equal(o->runs, 20);
	for (unsigned int i = 0; i < 20; i++)
		assert_int_equal(o->fired_at[i], j + 1 + i);
	assert_int_equal(o->ret[0], 0);
	assert_false(bh_timer_pending(&o->t));
}

/*
 * Two timers due on the same tick, each of whose callbacks re-arms the
 * other one for 10 jiffies later if the other has not run yet: whichever
 * runs first moves the other, which is still pending (mod_timer returns
 * 1), so the other runs 10 jiffies later, once. The second timer is at
 * that moment already taken off the wheel for this tick's expiry, which is
 * where a re-arm must not get lost or linked twice. Run in a child: a
 * corrupted bucket list crashes or loops. Exit codes say what went wrong.
 */
static struct tt *pair[2];

static void hook_rearm_other(struct tt *o)
{
	struct tt *x = pair[o == pair[0]];

	if (x->runs == 0 && o->ret[1] == 0) {
		o->ret[1] = 1;
		o->ret[0] = bh_mod_timer(&x->t, bh_jiffies() + 10);
	}
}

static int child_rearm_other_same_tick(void *arg)
{
	struct bh_config cfg;

	(void)arg;
	alarm(10); /* a looping bucket list ends as SIGALRM */
	th_child_config(&cfg, 1, true);
	if (bh_init(&cfg) || bh_thread_set_cpu(0))
		return 10;
	for (int i = 0; i < 2; i++) {
		pair[i] = &objs[i];
		tt_setup(pair[i], 0);
		pair[i]->hook = hook_rearm_other;
	}
	unsigned long j = bh_jiffies();
	if (bh_mod_timer(&pair[0]->t, j + 1) ||
	    bh_mod_timer(&pair[1]->t, j + 1))
		return 11;
	bh_advance_jiffies(1);
	bh_run_all(0);
	struct tt *first = pair[0]->runs ? pair[0] : pair[1];
	struct tt *second = pair[first == pair[0]];
	if (first->runs != 1 || second->runs != 0)
		return 1; /* both ran on the first tick, or neither */
	if (first->ret[0] != 1)
		return 2; /* mod_timer did not see the other pending */
	for (int k = 0; k < 20; k++) {
		bh_advance_jiffies(1);
		bh_run_all(0);
	}
	if (second->runs != 1)
		return 3; /* the moved timer was lost, or ran twice */
	if (second->fired != j + 11)
		return 4;
	if (bh_shutdown() != 0)
		return 5;
	return 0;
}

static void test_rearm_other_expiring_same_tick(void **state)
{
	(void)state;
	char out[4096];

	/* The child makes its own runtime. */
	assert_int_equal(bh_shutdown(), 0);
	bh_thread_set_cpu(-1);
	int status = th_run_child(child_rearm_other_same_tick, NULL, out,
				  sizeof(out));
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status) != 0)
		fail_msg("child failed with code %d; log: %.300s",
			 WEXITSTATUS(status), out);
}

static void hook_delete_other(struct tt *o)
{
	o->ret[0] = bh_timer_delete(&pair[o == pair[0]]->t);
}

/*
 * The same with timer_delete: each callback deletes the other timer, due
 * on the same tick. Whichever runs first finds the other pending (1), and
 * the other never runs.
 */
static void test_delete_other_expiring_same_tick(void **state)
{
	(void)state;

	for (int i = 0; i < 2; i++) {
		pair[i] = &objs[i];
		pair[i]->hook = hook_delete_other;
	}
	unsigned long j = bh_jiffies();
	assert_int_equal(bh_mod_timer(&pair[0]->t, j + 1), 0);
	assert_int_equal(bh_mod_timer(&pair[1]->t, j + 1), 0);
	ticks(4);
	assert_int_equal(pair[0]->runs + pair[1]->runs, 1);
	struct tt *first = pair[0]->runs ? pair[0] : pair[1];
	assert_int_equal(first->ret[0], 1);
	assert_false(bh_timer_pending(&pair[0]->t));
	assert_false(bh_timer_pending(&pair[1]->t));
	assert_int_equal(bh_warn_count(), 0);
}

/*
 * add_timer() on a pending timer is a bug in the kernel (BUG_ON); here it
 * warns and re-arms for t->expires: it returns 1 and fires once.
 */
static void test_add_timer_on_pending_warns(void **state)
{
	(void)state;
	struct tt *o = &objs[0];
	unsigned long j = bh_jiffies();

	o->t.expires = j + 5;
	assert_int_equal(bh_add_timer(&o->t), 0);
	assert_int_equal(bh_warn_count(), 0);
	o->t.expires = j + 2;
	assert_int_equal(bh_add_timer(&o->t), 1);
	assert_int_equal(bh_warn_count(), 1);
	assert_true(th_log_has("add_timer"));
	assert_true(th_log_has("pending"));
	ticks(10);
	assert_int_equal(o->runs, 1);
	assert_int_equal(o->fired, j + 2);
}

/*
 * timer_setup() on a pending timer: the kernel's debug objects report
 * "init active" and deactivate it; here it warns, and the old arming is
 * gone (it never fires, nothing in the wheel points at it).
 */
static void test_setup_on_pending_warns(void **state)
{
	(void)state;
	struct tt *o = &objs[0];

	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 2), 0);
	bh_timer_setup(&o->t, tt_cb, 0);
	assert_int_equal(bh_warn_count(), 1);
	assert_true(th_log_has("timer_setup"));
	assert_false(bh_timer_pending(&o->t));
	ticks(5);
	assert_int_equal(o->runs, 0);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(o->runs, 1);
}

/* One warning more than before, naming `what`. */
#define EXPECT_WARNED(before, what)                                            \
	do {                                                                   \
		assert_int_equal(bh_warn_count(), (before) + 1);               \
		assert_true(th_log_has(what));                                 \
		(before)++;                                                    \
	} while (0)

/*
 * SPEC U9: NULL, a timer never set up and a bad CPU get -EINVAL and a
 * warning naming the call, and never crash.
 */
static void test_u9_bad_input(void **state)
{
	(void)state;
	struct bh_timer zero;
	struct tt *o = &objs[0];
	unsigned long w = bh_warn_count();

	memset(&zero, 0, sizeof(zero));
	assert_int_equal(bh_mod_timer(NULL, 1), -EINVAL);
	EXPECT_WARNED(w, "mod_timer(NULL)");
	assert_int_equal(bh_add_timer(NULL), -EINVAL);
	EXPECT_WARNED(w, "add_timer(NULL)");
	assert_int_equal(bh_add_timer_on(NULL, 0), -EINVAL);
	EXPECT_WARNED(w, "add_timer_on(NULL)");
	assert_int_equal(bh_timer_reduce(NULL, 1), -EINVAL);
	EXPECT_WARNED(w, "timer_reduce(NULL)");
	assert_int_equal(bh_timer_delete(NULL), -EINVAL);
	EXPECT_WARNED(w, "timer_delete(NULL)");
	assert_int_equal(bh_timer_delete_sync(NULL), -EINVAL);
	EXPECT_WARNED(w, "timer_delete_sync(NULL)");
	assert_int_equal(bh_timer_shutdown(NULL), -EINVAL);
	EXPECT_WARNED(w, "timer_shutdown(NULL)");
	assert_int_equal(bh_timer_shutdown_sync(NULL), -EINVAL);
	EXPECT_WARNED(w, "timer_shutdown_sync(NULL)");
	bh_timer_setup(NULL, tt_cb, 0);
	EXPECT_WARNED(w, "timer_setup(NULL)");
	assert_false(bh_timer_pending(NULL));

	th_log_clear();
	assert_int_equal(bh_mod_timer(&zero, 1), -EINVAL);
	EXPECT_WARNED(w, "never set up");
	assert_int_equal(bh_add_timer(&zero), -EINVAL);
	w++;
	assert_int_equal(bh_add_timer_on(&zero, 0), -EINVAL);
	w++;
	assert_int_equal(bh_timer_reduce(&zero, 1), -EINVAL);
	w++;
	assert_int_equal(bh_timer_delete(&zero), -EINVAL);
	w++;
	assert_int_equal(bh_timer_delete_sync(&zero), -EINVAL);
	w++;
	assert_int_equal(bh_timer_shutdown(&zero), -EINVAL);
	w++;
	assert_int_equal(bh_timer_shutdown_sync(&zero), -EINVAL);
	w++;
	assert_int_equal(bh_warn_count(), w);
	assert_false(bh_timer_pending(&zero));

	/* Set up with no callback: nothing to run, refused likewise. */
	bh_timer_setup(&zero, NULL, 0);
	assert_int_equal(bh_mod_timer(&zero, bh_jiffies() + 1), -EINVAL);
	assert_true(bh_warn_count() > w);
	w = bh_warn_count();

	th_log_clear();
	o->t.expires = bh_jiffies() + 1;
	assert_int_equal(bh_add_timer_on(&o->t, -1), -EINVAL);
	EXPECT_WARNED(w, "no such bh CPU");
	assert_int_equal(bh_add_timer_on(&o->t, 2), -EINVAL);
	EXPECT_WARNED(w, "add_timer_on");
	assert_int_equal(bh_add_timer_on(&o->t, BH_MAX_CPUS), -EINVAL);
	w++;
	assert_false(bh_timer_pending(&o->t));
	ticks(3);
	assert_int_equal(o->runs, 0);
	assert_int_equal(bh_warn_count(), w);

	/* Flags out of range warn and are dropped; the known ones stay. */
	th_log_clear();
	bh_timer_setup(&o->t, tt_cb, BH_TIMER_IRQSAFE | 0x1u);
	EXPECT_WARNED(w, "unknown flags 0x1 ignored");
	assert_true(o->t.flags & BH_TIMER_IRQSAFE);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(o->runs, 1);
	assert_int_equal(bh_warn_count(), w);
}

/*
 * SPEC U9/U7: before bh_init() and after bh_shutdown() every call that
 * needs the runtime fails with -ENXIO (setup needs none).
 */
static void expect_enxio(struct bh_timer *t)
{
	assert_int_equal(bh_mod_timer(t, 1), -ENXIO);
	assert_int_equal(bh_add_timer(t), -ENXIO);
	assert_int_equal(bh_add_timer_on(t, 0), -ENXIO);
	assert_int_equal(bh_timer_reduce(t, 1), -ENXIO);
	assert_int_equal(bh_timer_delete(t), -ENXIO);
	assert_int_equal(bh_timer_delete_sync(t), -ENXIO);
	assert_int_equal(bh_timer_shutdown(t), -ENXIO);
	assert_int_equal(bh_timer_shutdown_sync(t), -ENXIO);
	assert_false(bh_timer_pending(t));
}

static void test_enxio_without_runtime(void **state)
{
	(void)state;
	struct tt *o = &objs[0];

	assert_false(bh_running());
	tt_setup(o, 0);
	expect_enxio(&o->t);

	th_init_cpu0(1, true);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	tick();
	assert_int_equal(o->runs, 1);
	assert_int_equal(bh_shutdown(), 0);
	bh_thread_set_cpu(-1);
	expect_enxio(&o->t);
	assert_int_equal(o->runs, 1);
}

static void hook_rearm_far(struct tt *o)
{
	if (o->runs == 1)
		o->ret[0] = bh_mod_timer(&o->t, bh_jiffies() + 1000);
}

/*
 * SPEC U6 for timers: bh_shutdown() runs every timer already due (on any
 * CPU, deferrable ones included, even if the tick's softirq has not run
 * yet), then cancels the ones armed for later, warns "cancelled" naming
 * each, and counts them in its return value.
 */
static void test_u6_shutdown_runs_due_cancels_rest(void **state)
{
	(void)state;
	struct tt *due = &objs[0], *dd = &objs[1], *later = &objs[2],
		  *re = &objs[3];
	char name[32];

	th_init_cpu0(2, true);
	tt_setup(due, 0);
	tt_setup(dd, BH_TIMER_DEFERRABLE);
	tt_setup(later, 0);
	tt_setup(re, 0);
	re->hook = hook_rearm_far;
	unsigned long j = bh_jiffies();
	assert_int_equal(bh_mod_timer(&due->t, j + 2), 0);
	assert_int_equal(bh_mod_timer(&re->t, j + 1), 0);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_mod_timer(&dd->t, j + 1), 0);
	assert_int_equal(bh_mod_timer(&later->t, j + 100), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_advance_jiffies(2), 0); /* due; softirq not run */
	assert_int_equal(bh_warn_count(), 0);

	/* `later`, and `re` re-armed by its run at shutdown. */
	assert_int_equal(bh_shutdown(), 2);
	bh_thread_set_cpu(-1);
	assert_int_equal(due->runs, 1);
	assert_int_equal(dd->runs, 1);
	assert_int_equal(re->runs, 1);
	assert_int_equal(re->ret[0], 0);
	assert_int_equal(later->runs, 0);
	assert_false(bh_timer_pending(&later->t));
	assert_false(bh_timer_pending(&re->t));
	assert_int_equal(bh_warn_count(), 2);
	assert_true(th_log_has("cancelled"));
	snprintf(name, sizeof(name), "%p", (void *)&later->t);
	assert_true(th_log_has(name));
	snprintf(name, sizeof(name), "%p", (void *)&re->t);
	assert_true(th_log_has(name));
}

/* SPEC U6: nothing armed, nothing cancelled: shutdown returns 0, quietly. */
static void test_u6_shutdown_idle_timers(void **state)
{
	(void)state;
	struct tt *o = &objs[0];

	th_init_cpu0(2, true);
	tt_setup(o, 0);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 10), 0);
	assert_int_equal(bh_timer_delete(&o->t), 1);
	assert_int_equal(bh_shutdown(), 0);
	bh_thread_set_cpu(-1);
	assert_int_equal(bh_warn_count(), 0);
	assert_false(th_log_has("cancelled"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_det2, th_teardown)
	const struct CMUnitTest tests[] = {
		T(test_k4_context_and_cpu),
		T(test_k5_delete_return_and_effect),
		T(test_k6_delete_sync_from_own_callback),
		T(test_k6_delete_sync_from_hardirq),
		T(test_k6_delete_sync_irqsafe_from_softirq),
		T(test_k6_delete_sync_from_softirq),
		T(test_k7_mod_timer_moves),
		T(test_k7_timer_reduce),
		T(test_k8_deferrable),
		T(test_k9_add_timer_on_pins),
		T(test_k9_unpinned_placement),
		T(test_k10_shutdown),
		T(test_self_rearm_each_tick),
		T(test_rearm_other_expiring_same_tick),
		T(test_delete_other_expiring_same_tick),
		T(test_add_timer_on_pending_warns),
		T(test_setup_on_pending_warns),
		T(test_u9_bad_input),
		cmocka_unit_test_teardown(test_enxio_without_runtime,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_u6_shutdown_runs_due_cancels_rest, th_teardown),
		cmocka_unit_test_teardown(test_u6_shutdown_idle_timers,
					  th_teardown),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
