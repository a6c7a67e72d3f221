/* SPDX-License-Identifier: MIT */
/*
 * Timers under concurrent use, threaded mode, HZ 1000 so that timers armed
 * a few jiffies ahead fire all the time.
 *
 * Four threads run a seeded random mix of mod_timer, timer_reduce,
 * timer_delete, timer_delete_sync, timer_pending and bh CPU switches on one
 * shared set of 64 timers (idle ones move to the arming CPU's base), while
 * ksoftirqd/0 and /1 expire them; the callbacks re-arm themselves or another
 * timer now and then. Checked:
 * - every call returns 0 or 1 (K5, K6, K7), never an error or warning,
 *   and the values add up: a timer goes from idle to pending only by an
 *   arm returning 0, and back only by a run or a delete returning 1, so
 *   at the end, for each timer, arms returning 0 == runs + deletes
 *   returning 1;
 * - no callback ever runs concurrently with itself (K4: a timer runs on one
 *   base at a time, even while it moves between bases);
 * - afterwards every timer still works: re-armed, each fires (the state
 *   word and the wheel did not drift apart: nothing pending but unlinked);
 * - after delete_sync of all of them nothing runs any more, and
 *   bh_shutdown() finds nothing to cancel (U6).
 */
#include "harness.h"

#include <pthread.h>

#define NTIMERS	 64
#define NWORKERS 4
#define NOPS	 (TH_TSAN ? 50000u : 1000000u)

struct ct {
	struct bh_timer t;
	unsigned long inside; /* A: 1 while the callback runs */
	unsigned long runs;   /* A */
	unsigned long arm0;   /* A: arms that returned 0 (idle -> pending) */
	unsigned long del1;   /* A: deletes that returned 1 */
};

static struct ct timers[NTIMERS];
static unsigned long overlaps, errors, stopping;
static unsigned long ops_done[NWORKERS];

/* xorshift64*, per thread. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static void check_ret(int r)
{
	if (r != 0 && r != 1)
		th_inc(&errors);
}

static struct ct *ct_of(struct bh_timer *t)
{
	return bh_container_of(t, struct ct, t);
}

/* mod_timer or timer_reduce: a 0 took the timer from idle to pending. */
static void armed(struct bh_timer *t, int r)
{
	check_ret(r);
	if (r == 0)
		th_inc(&ct_of(t)->arm0);
}

/* A delete that returned 1 took it from pending to idle. */
static void deleted(struct bh_timer *t, int r)
{
	check_ret(r);
	if (r == 1)
		th_inc(&ct_of(t)->del1);
}

static void ct_cb(struct bh_timer *t)
{
	struct ct *c = bh_from_timer(c, t, t);

	if (__atomic_exchange_n(&c->inside, 1, __ATOMIC_ACQ_REL))
		th_inc(&overlaps);
	unsigned long n = __atomic_add_fetch(&c->runs, 1, __ATOMIC_ACQ_REL);
	if (!th_ld(&stopping)) {
		unsigned long k = (unsigned long)(c - timers);

		if (n % 4 == 0) /* itself, on the base it runs on */
			armed(t, bh_mod_timer(t, bh_jiffies() + 1));
		else if (n % 4 == 1) { /* another, onto this CPU's base */
			struct bh_timer *o = &timers[(k * 7 + n) % NTIMERS].t;

			armed(o, bh_mod_timer(o, bh_jiffies() + n % 3));
		}
	}
	__atomic_store_n(&c->inside, 0, __ATOMIC_RELEASE);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1);

	bh_thread_set_cpu((int)(id % 2));
	for (unsigned int i = 0; i < NOPS; i++) {
		uint64_t r = rng_next(&s);
		struct bh_timer *t = &timers[r % NTIMERS].t;
		unsigned int op = (unsigned int)(r >> 32) % 100;
		unsigned long d = (r >> 16) % 4;

		if (op < 40) {
			armed(t, bh_mod_timer(t, bh_jiffies() + d));
		} else if (op < 50) {
			armed(t, bh_timer_reduce(t, bh_jiffies() + d));
		} else if (op < 75) {
			deleted(t, bh_timer_delete(t));
		} else if (op < 85) {
			deleted(t, bh_timer_delete_sync(t));
		} else if (op < 93) {
			(void)bh_timer_pending(t);
		} else {
			bh_thread_set_cpu((int)(r >> 40) % 2);
		}
		__atomic_store_n(&ops_done[id], i + 1, __ATOMIC_RELAXED);
	}
	bh_thread_set_cpu(-1);
	return NULL;
}

static unsigned long total_runs(void)
{
	unsigned long n = 0;

	for (int i = 0; i < NTIMERS; i++)
		n += th_ld(&timers[i].runs);
	return n;
}

static struct ct barrier[2];

/*
 * Wait until ksoftirqd/cpu has expired a timer armed now for +5: every
 * timer of that base due earlier has been run by then.
 */
static void barrier_on(int cpu)
{
	struct ct *b = &barrier[cpu];
	unsigned long before = th_ld(&b->runs);

	assert_int_equal(bh_thread_set_cpu(cpu), 0);
	assert_int_equal(bh_mod_timer(&b->t, bh_jiffies() + 5), 0);
	assert_true(th_wait_ge(&b->runs, before + 1));
}

static void test_random_ops_on_shared_timers(void **state)
{
	(void)state;
	struct bh_config cfg;
	pthread_t th[NWORKERS];
	unsigned long before[NTIMERS];

	th_log_clear();
	th_config(&cfg, 2, false);
	cfg.hz = 1000;
	assert_int_equal(bh_init(&cfg), 0);
	for (int i = 0; i < NTIMERS; i++)
		bh_timer_setup(&timers[i].t, ct_cb, 0);
	for (int i = 0; i < 2; i++)
		bh_timer_setup(&barrier[i].t, ct_cb, 0);

	for (long i = 0; i < NWORKERS; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, worker, (void *)i), 0);
	for (int i = 0; i < NWORKERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < NWORKERS; i++)
		assert_int_equal(ops_done[i], NOPS);
	assert_true(total_runs() > 0);

	/* Every timer still fires when armed. */
	for (int i = 0; i < NTIMERS; i++) {
		before[i] = th_ld(&timers[i].runs);
		assert_int_equal(bh_thread_set_cpu(i % 2), 0);
		armed(&timers[i].t,
		      bh_mod_timer(&timers[i].t, bh_jiffies() + 1));
	}
	for (int i = 0; i < NTIMERS; i++)
		if (!th_wait_ge(&timers[i].runs, before[i] + 1))
			fail_msg("timer %d armed but never fired (pending %d)",
				 i, bh_timer_pending(&timers[i].t));

	/*
	 * Stop callbacks from arming, then delete_sync everything twice: the
	 * first pass waits out every callback that began before `stopping`
	 * (one of them may have armed a timer the pass had already done),
	 * the second removes what those armed.
	 */
	th_st(&stopping, 1);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < NTIMERS; i++)
			deleted(&timers[i].t,
				bh_timer_delete_sync(&timers[i].t));
	for (int i = 0; i < NTIMERS; i++)
		assert_false(bh_timer_pending(&timers[i].t));
	unsigned long runs = total_runs();
	barrier_on(0);
	barrier_on(1);
	assert_int_equal(total_runs(), runs);
	for (int i = 0; i < NTIMERS; i++) {
		struct ct *c = &timers[i];

		if (c->arm0 != c->runs + c->del1)
			fail_msg("timer %d: %lu arms from idle, but %lu runs + "
				 "%lu deletes of a pending timer",
				 i, c->arm0, c->runs, c->del1);
	}

	assert_int_equal(th_ld(&overlaps), 0);
	assert_int_equal(th_ld(&errors), 0);
	if (bh_warn_count())
		fail_msg("%lu warning(s), the first: %.200s", bh_warn_count(),
			 th_log.text);
	assert_int_equal(bh_shutdown(), 0);
	bh_thread_set_cpu(-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_random_ops_on_shared_timers,
					  th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
