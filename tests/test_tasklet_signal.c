/* SPDX-License-Identifier: MIT */
/*
 * SPEC U1: tasklet schedule and hi_schedule are async-signal-safe: correct
 * from a signal handler that interrupted any thread, including one that was
 * inside the library (scheduling the same tasklets, onto the same lists) at
 * that moment.
 *
 * Producer threads schedule three tasklets on both bh CPUs, mixing schedule
 * and hi_schedule so that a handler often pushes onto the very list the
 * interrupted code was pushing onto. SIGUSR1 arrives at them from
 * themselves and from a signaller thread, and at the ksoftirqd threads
 * while they run callbacks (if the library leaves the signal unblocked
 * there); SIGALRM comes from an interval timer. Every handler schedules.
 * Checked: no crash, no error, no tasklet running concurrently with itself,
 * and no lost event (SPEC T3), with a sequence number per tasklet bumped
 * before every schedule and sampled at the start of every run.
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#define NPROD	 4
#define NT	 3
#define NITER	 (TH_TSAN ? 10000ul : 100000ul)
#define NSIGNALS (TH_TSAN ? 2000ul : 20000ul)

static struct bh_tasklet tl[NT];
static unsigned long seq[NT], max_seen[NT], runs[NT], inside[NT];
static unsigned long overlap, errors, handler_calls, sig_done;
static pthread_t producers[NPROD];
static pthread_t ksoft[2];
static unsigned long ksoft_known[2];

static void storm_cb(struct bh_tasklet *t)
{
	unsigned long k = t->data;
	int cpu = bh_smp_processor_id();

	if (__atomic_exchange_n(&inside[k], 1, __ATOMIC_SEQ_CST) != 0)
		__atomic_fetch_add(&overlap, 1, __ATOMIC_RELAXED);
	th_atomic_max(&max_seen[k], th_ld(&seq[k]));
	__atomic_fetch_add(&runs[k], 1, __ATOMIC_RELAXED);
	/* Learn the softirq threads, so the signaller can hit them too. */
	if ((cpu == 0 || cpu == 1) && !th_ld(&ksoft_known[cpu])) {
		ksoft[cpu] = pthread_self();
		__atomic_store_n(&ksoft_known[cpu], 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&inside[k], 0, __ATOMIC_SEQ_CST);
}

/* One schedule, with the sequence bumped first (SPEC T3's witness). */
static void bump_and_schedule(unsigned long n)
{
	unsigned long k = n % NT;
	int r;

	__atomic_fetch_add(&seq[k], 1, __ATOMIC_SEQ_CST);
	r = (n / NT) & 1 ? bh_tasklet_hi_schedule(&tl[k])
			 : bh_tasklet_schedule(&tl[k]);
	if (r < 0)
		__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
}

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	bump_and_schedule(
		__atomic_fetch_add(&handler_calls, 1, __ATOMIC_RELAXED));
	errno = saved;
}

static void *producer(void *arg)
{
	long id = (long)arg;

	bh_thread_set_cpu((int)(id % 2));
	for (unsigned long i = 0; i < NITER || !th_ld(&sig_done); i++) {
		bump_and_schedule(i + (unsigned long)id);
		if (i % 64 == 0)
			pthread_kill(pthread_self(), SIGUSR1);
	}
	return NULL;
}

static void *signaller(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < NSIGNALS; i++) {
		unsigned long c = i & 1;

		if (i % 8 == 7 && th_ld(&ksoft_known[c]))
			pthread_kill(ksoft[c], SIGUSR1);
		else
			pthread_kill(producers[i % NPROD], SIGUSR1);
	}
	__atomic_store_n(&sig_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* SPEC U1 (and T3, T9 under signals) */
static void test_u1_signal_storm(void **state)
{
	(void)state;
	unsigned long final[NT];

	th_init(2, false);
	for (unsigned long k = 0; k < NT; k++) {
		bh_tasklet_setup(&tl[k], storm_cb);
		tl[k].data = k;
	}
	th_signal_storm(on_signal, 200, producers, NPROD, producer, signaller);

	/*
	 * Every bump is followed by a schedule in the same thread or handler,
	 * so each tasklet must be seen to run after the last bump made so far
	 * (signals still in flight only bump further).
	 */
	for (int k = 0; k < NT; k++)
		final[k] = th_ld(&seq[k]);
	for (int k = 0; k < NT; k++) {
		assert_true(th_wait_ge(&max_seen[k], final[k]));
		assert_true(th_ld(&runs[k]) > 0);
	}
	th_set_handler(SIGUSR1, SIG_IGN);
	th_set_handler(SIGALRM, SIG_IGN);

	assert_true(th_ld(&handler_calls) > 0);
	assert_int_equal(th_ld(&errors), 0);
	assert_int_equal(th_ld(&overlap), 0);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u1_signal_storm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
