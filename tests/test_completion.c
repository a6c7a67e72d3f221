/* SPDX-License-Identifier: MIT */
/*
 * Completions, against the kernel's completion contract: complete() is
 * counted (it lets exactly one present or future waiter through),
 * complete_all() lets every waiter through until reinit_completion(),
 * try_wait_for_completion() consumes without sleeping, the timed waits
 * return 0 on timeout or the jiffies left (at least 1), and the
 * interruptible ones -ERESTARTSYS when a signal handler runs on the
 * waiting thread. complete() is async-signal-safe and allowed in softirq
 * context (SPEC U1) and makes no system call when nobody sleeps; the waits
 * check the context (SPEC U8). A waiter that gives up (timeout, signal) at
 * the moment a complete() arrives never swallows the wake-up meant for
 * another waiter.
 *
 * Timing runs in deterministic mode: waiter threads sleep on the virtual
 * clock and the test steps it once it has seen (from /proc) that they are
 * asleep, so they have read the clock before it moves.
 */
#include "harness.h"
#include "seccomp_child.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

static struct bh_completion c;

#include "alloc_count.h"

static int setup_det(void **state)
{
	(void)state;
	bh_init_completion(&c);
	th_init_cpu0(1, true);
	return 0;
}

/* ---- waiter threads ---------------------------------------------------- */

enum wait_kind { C_WAIT, C_TIMEOUT, C_INTR, C_INTR_TIMEOUT };

struct waiter {
	pthread_t th;
	enum wait_kind kind;
	unsigned long timeout;
	unsigned long tid;  /* set once running */
	unsigned long done; /* set after the wait returned */
	long ret;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	long r = 0;

	th_st(&w->tid, th_tid());
	switch (w->kind) {
	case C_WAIT:
		bh_wait_for_completion(&c);
		break;
	case C_TIMEOUT:
		r = (long)bh_wait_for_completion_timeout(&c, w->timeout);
		break;
	case C_INTR:
		r = bh_wait_for_completion_interruptible(&c);
		break;
	case C_INTR_TIMEOUT:
		r = bh_wait_for_completion_interruptible_timeout(&c,
								 w->timeout);
		break;
	}
	w->ret = r;
	th_st(&w->done, 1);
	return NULL;
}

/*
 * Never reused: a waiter that a failed test leaves asleep may return
 * later and must not write into another test's waiter.
 */
static struct waiter waiters[1024];
static unsigned int nr_waiters;

static struct waiter *spawn(enum wait_kind kind, unsigned long timeout)
{
	assert_true(nr_waiters < sizeof(waiters) / sizeof(waiters[0]));
	struct waiter *w = &waiters[nr_waiters++];
	w->kind = kind;
	w->timeout = timeout;
	assert_int_equal(pthread_create(&w->th, NULL, waiter_fn, w), 0);
	assert_true(th_wait_ge(&w->tid, 1));
	return w;
}

/* A waiter that must block: returns once it sleeps in the wait. */
static struct waiter *start_waiter(enum wait_kind kind, unsigned long timeout)
{
	struct waiter *w = spawn(kind, timeout);
	assert_true(th_wait_asleep(th_ld(&w->tid)));
	assert_false(th_ld(&w->done));
	return w;
}

static long join_waiter(struct waiter *w)
{
	assert_true(th_wait_ge(&w->done, 1));
	assert_int_equal(pthread_join(w->th, NULL), 0);
	return w->ret;
}

/* ---- counting ----------------------------------------------------------- */

/* Completions before any wait are carried: each lets one wait through. */
static void test_complete_before_wait_is_carried(void **state)
{
	(void)state;
	assert_false(bh_completion_done(&c));
	bh_complete(&c);
	bh_complete(&c);
	bh_complete(&c);
	assert_true(bh_completion_done(&c));
	for (int i = 0; i < 3; i++)
		join_waiter(spawn(C_WAIT, 0));
	assert_false(bh_completion_done(&c));
	/* The fourth waits for a fourth complete(). */
	struct waiter *w = start_waiter(C_WAIT, 0);
	bh_complete(&c);
	join_waiter(w);
	assert_false(bh_completion_done(&c));
	assert_int_equal(bh_warn_count(), 0);
}

#define N_THROUGH 3

/*
 * N complete() calls let exactly N of N+1 sleeping waiters through; the
 * last sleeps on (checked after it looked at the completion again) until
 * its timeout.
 */
static void test_n_completes_let_n_waiters_through(void **state)
{
	(void)state;
	struct waiter *w[N_THROUGH + 1];
	const unsigned long timeout = 10;

	for (int i = 0; i <= N_THROUGH; i++)
		w[i] = start_waiter(C_TIMEOUT, timeout);
	for (int i = 0; i < N_THROUGH; i++)
		bh_complete(&c);

	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	int through;
	for (;;) {
		through = 0;
		for (int i = 0; i <= N_THROUGH; i++)
			through += (int)th_ld(&w[i]->done);
		if (through >= N_THROUGH)
			break;
		assert_true(th_now_ns() < deadline);
		sched_yield();
	}
	/* Every one still waiting has looked again: still not through. */
	for (int i = 0; i <= N_THROUGH; i++)
		if (!th_ld(&w[i]->done))
			assert_true(
				th_wait_polled(th_ld(&w[i]->tid), &w[i]->done));
	through = 0;
	for (int i = 0; i <= N_THROUGH; i++)
		through += (int)th_ld(&w[i]->done);
	assert_int_equal(through, N_THROUGH);

	/* The woken got the whole timeout back (no time passed); the last
	 * one times out. */
	int last = -1;
	for (int i = 0; i <= N_THROUGH; i++) {
		if (th_ld(&w[i]->done))
			assert_int_equal(join_waiter(w[i]), timeout);
		else
			last = i;
	}
	assert_true(last >= 0);
	assert_int_equal(bh_advance_jiffies(timeout), 0);
	assert_int_equal(join_waiter(w[last]), 0);
	assert_false(bh_completion_done(&c));
}

/* complete_all() lets every waiter through, now and later, until reinit. */
static void test_complete_all_until_reinit(void **state)
{
	(void)state;
	struct waiter *w[3];

	for (int i = 0; i < 3; i++)
		w[i] = start_waiter(C_WAIT, 0);
	bh_complete_all(&c);
	for (int i = 0; i < 3; i++)
		join_waiter(w[i]);
	/* Later waits pass too, and nothing is consumed. */
	for (int i = 0; i < 3; i++)
		join_waiter(spawn(C_WAIT, 0));
	assert_int_equal(bh_wait_for_completion_timeout(&c, 5), 5);
	assert_int_equal(bh_wait_for_completion_interruptible(&c), 0);
	assert_int_equal(bh_wait_for_completion_interruptible_timeout(&c, 5),
			 5);
	assert_true(bh_try_wait_for_completion(&c));
	assert_true(bh_try_wait_for_completion(&c));
	/* A complete() on top changes nothing. */
	bh_complete(&c);
	assert_true(bh_try_wait_for_completion(&c));
	assert_true(bh_completion_done(&c));

	bh_reinit_completion(&c);
	assert_false(bh_completion_done(&c));
	assert_false(bh_try_wait_for_completion(&c));
	struct waiter *after = start_waiter(C_WAIT, 0);
	bh_complete(&c);
	join_waiter(after);
	assert_false(bh_completion_done(&c));
}

/* try_wait_for_completion() consumes one completion, never sleeps. */
static void test_try_wait_consumes(void **state)
{
	(void)state;
	assert_false(bh_try_wait_for_completion(&c));
	assert_false(bh_completion_done(&c));
	bh_complete(&c);
	bh_complete(&c);
	assert_true(bh_completion_done(&c));
	assert_true(bh_try_wait_for_completion(&c));
	assert_true(bh_completion_done(&c));
	assert_true(bh_try_wait_for_completion(&c));
	assert_false(bh_completion_done(&c));
	assert_false(bh_try_wait_for_completion(&c));

	/* A static initialiser and bh_init_completion() start empty. */
	BH_DECLARE_COMPLETION(s);
	assert_false(bh_completion_done(&s));
	bh_complete(&c);
	bh_init_completion(&c);
	assert_false(bh_completion_done(&c));
}

/* ---- timed waits -------------------------------------------------------- */

/*
 * Kernel wait_for_completion_timeout(): 0 once the timeout has passed
 * without a completion; still asleep one jiffy before.
 */
static void test_timeout_expires_returns_0(void **state)
{
	(void)state;
	const unsigned long timeout = 4;

	for (int intr = 0; intr < 2; intr++) {
		struct waiter *w = start_waiter(
			intr ? C_INTR_TIMEOUT : C_TIMEOUT, timeout);
		for (unsigned long k = 1; k < timeout; k++) {
			assert_int_equal(bh_advance_jiffies(1), 0);
			assert_true(th_wait_polled(th_ld(&w->tid), &w->done));
			assert_false(th_ld(&w->done));
		}
		assert_int_equal(bh_advance_jiffies(1), 0);
		assert_int_equal(join_waiter(w), 0);
	}
	/* A late complete() is kept for the next waiter. */
	bh_complete(&c);
	assert_true(bh_try_wait_for_completion(&c));
}

/* Kernel contract: the jiffies left (at least 1) when completed in time. */
static void test_timeout_completed_returns_left(void **state)
{
	(void)state;
	for (int intr = 0; intr < 2; intr++) {
		enum wait_kind k = intr ? C_INTR_TIMEOUT : C_TIMEOUT;
		struct waiter *w = start_waiter(k, 10);
		assert_int_equal(bh_advance_jiffies(3), 0);
		assert_true(th_wait_polled(th_ld(&w->tid), &w->done));
		bh_complete(&c);
		assert_int_equal(join_waiter(w), 7);

		w = start_waiter(k, 10);
		assert_int_equal(bh_advance_jiffies(9), 0);
		assert_true(th_wait_polled(th_ld(&w->tid), &w->done));
		bh_complete(&c);
		assert_int_equal(join_waiter(w), 1);
	}
	assert_false(bh_completion_done(&c));
}

/*
 * Already completed: the whole timeout back, or 1 for a zero timeout (the
 * kernel's "timeout ?: 1"); not completed with a zero timeout: 0 at once.
 */
static void test_timeout_already_done(void **state)
{
	(void)state;
	bh_complete(&c);
	assert_int_equal(bh_wait_for_completion_timeout(&c, 17), 17);
	bh_complete(&c);
	assert_int_equal(bh_wait_for_completion_interruptible_timeout(&c, 17),
			 17);
	bh_complete(&c);
	assert_int_equal(bh_wait_for_completion_timeout(&c, 0), 1);
	assert_int_equal(bh_wait_for_completion_timeout(&c, 0), 0);
	assert_int_equal(bh_wait_for_completion_interruptible_timeout(&c, 0),
			 0);
	assert_false(bh_completion_done(&c));
}

/* ---- interruptible waits ------------------------------------------------ */

static unsigned long usr1_handled;

static void on_usr1_count(int sig)
{
	(void)sig;
	__atomic_fetch_add(&usr1_handled, 1, __ATOMIC_RELAXED);
}

/*
 * completion.h: -ERESTARTSYS when a signal handler runs on the waiting
 * thread, without consuming anything; 0 when completed.
 */
static void test_interruptible_signal(void **state)
{
	(void)state;
	th_set_interrupting_handler(SIGUSR1, on_usr1_count);
	for (int timed = 0; timed < 2; timed++) {
		struct waiter *w =
			start_waiter(timed ? C_INTR_TIMEOUT : C_INTR, 100);
		assert_true(th_kill_until(w->th, SIGUSR1, &w->done));
		assert_int_equal(join_waiter(w), -BH_ERESTARTSYS);
	}
	assert_true(th_ld(&usr1_handled) >= 2);
	assert_false(bh_completion_done(&c));
	/* The next complete() goes to the next waiter. */
	struct waiter *w = start_waiter(C_INTR, 0);
	bh_complete(&c);
	assert_int_equal(join_waiter(w), 0);
	assert_false(bh_completion_done(&c));
	th_set_handler(SIGUSR1, SIG_DFL);
}

/* ---- complete() from a signal handler and from a tasklet --------------- */

#define SIG_ROUNDS (TH_TSAN ? 300ul : 2000ul)

static unsigned long sig_ack;

static void on_usr1_complete(int sig)
{
	int saved = errno;
	(void)sig;
	bh_complete(&c);
	errno = saved;
}

static void *sig_waiter(void *arg)
{
	unsigned long *tid = arg;

	th_st(tid, th_tid());
	for (unsigned long i = 1; i <= SIG_ROUNDS; i++) {
		bh_wait_for_completion(&c);
		th_st(&sig_ack, i);
	}
	return NULL;
}

/*
 * SPEC U1: complete() from a signal handler, in turn on the waiting
 * thread itself (landing anywhere in its wait) and on this thread. Under
 * TSan only here: TSan defers a handler until the thread next enters an
 * intercepted call, which a thread asleep in a raw futex never does.
 */
static void test_u1_complete_from_signal_handler(void **state)
{
	(void)state;
	pthread_t th;
	unsigned long tid = 0;

	th_st(&sig_ack, 0);
	th_set_handler(SIGUSR1, on_usr1_complete);
	assert_int_equal(pthread_create(&th, NULL, sig_waiter, &tid), 0);
	assert_true(th_wait_ge(&tid, 1));
	for (unsigned long i = 1; i <= SIG_ROUNDS; i++) {
		th_signal_round(th, SIGUSR1, i);
		if (!th_wait_ge(&sig_ack, i)) {
			/* Free the waiter, if complete_all() works. */
			bh_complete_all(&c);
			fail_msg("round %lu stalled: completion %s", i,
				 bh_completion_done(&c)
					 ? "pending (lost wake-up)"
					 : "lost");
		}
	}
	assert_true(th_join(th));
	assert_false(bh_completion_done(&c));
	th_set_handler(SIGUSR1, SIG_DFL);
	assert_int_equal(bh_warn_count(), 0);
}

static unsigned long tasklet_in_softirq;

static void completing_tasklet(struct bh_tasklet *t)
{
	(void)t;
	th_st(&tasklet_in_softirq, bh_in_serving_softirq());
	bh_complete(&c);
}

/* SPEC U1: complete() from softirq context (a tasklet), with no splat. */
static void test_u1_complete_from_tasklet(void **state)
{
	(void)state;
	struct bh_tasklet t;

	bh_tasklet_setup(&t, completing_tasklet);
	struct waiter *w = start_waiter(C_WAIT, 0);
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(th_ld(&tasklet_in_softirq), 1);
	join_waiter(w);
	assert_int_equal(bh_warn_count(), 0);
	assert_int_equal(th_log.messages, 0);
}

/* ---- a waiter giving up must not swallow another's wake-up ------------ */

#define RACE_ROUNDS  (TH_TSAN ? 30 : 100)
#define RACE_JIFFIES 2ul

static int setup_real(void **state)
{
	(void)state;
	bh_init_completion(&c);
	th_init(1, false);
	return 0;
}

static uint32_t xorshift(uint32_t *rnd)
{
	*rnd ^= *rnd << 13;
	*rnd ^= *rnd >> 17;
	*rnd ^= *rnd << 5;
	return *rnd;
}

/*
 * Waiter A gives up (`how`: its timeout passes, or a signal interrupts
 * it) at the moment complete() arrives, while B waits too. Either A took
 * the completion (and B sleeps on until a second complete()), or A gave
 * up and B must get through: one complete(), one waiter through, always.
 *
 * On the real clock, so that a timed A sleeps in one futex wait until its
 * deadline (in deterministic mode it would poll, and so would B, and the
 * polling would hide a swallowed wake-up). A sleeps first, so it is ahead
 * of B in the futex queue and complete()'s one wake-up goes to A while A
 * is still queued: that is the wake-up A must not take with it.
 */
static void race_round(enum wait_kind how, uint32_t *rnd)
{
	bh_reinit_completion(&c);
	unsigned long j0 = bh_jiffies();
	struct waiter *a = spawn(how, RACE_JIFFIES);
	/* A timed A may already have timed out if this thread was slow. */
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (th_thread_state(th_ld(&a->tid)) != 'S' && !th_ld(&a->done)) {
		assert_true(th_now_ns() < deadline);
		sched_yield();
	}
	struct waiter *b = start_waiter(C_WAIT, 0);

	if (how == C_INTR) {
		assert_int_equal(pthread_kill(a->th, SIGUSR1), 0);
	} else {
		/* A's futex timeout ends at the start of jiffy j0 + 2 (or
		 * one later); complete() near it, a little before or after. */
		while (bh_time_before(bh_jiffies(), j0 + RACE_JIFFIES))
			assert_true(th_now_ns() < deadline);
	}
	/* A varying head start for the giving-up side, up to ~100 us. */
	uint64_t until = th_now_ns() + xorshift(rnd) % 100000;
	while (th_now_ns() < until)
		;
	bh_complete(&c);

	long ra = join_waiter(a);
	bool gave_up = how == C_INTR ? ra == -BH_ERESTARTSYS : ra == 0;
	if (gave_up) {
		/* A gave up: the completion is B's. */
		if (!th_wait_ge(&b->done, 1)) {
			bh_complete_all(&c); /* free B before failing */
			fail_msg("waiter A gave up (%ld) and swallowed the "
				 "wake-up: B still asleep",
				 ra);
		}
		join_waiter(b);
	} else {
		/* A took it: B sleeps on, until its own complete(). */
		assert_true(how == C_INTR ? ra == 0 : ra >= 1);
		assert_false(th_ld(&b->done));
		bh_complete(&c);
		join_waiter(b);
	}
	assert_false(bh_completion_done(&c));
}

static void test_timeout_at_complete_does_not_swallow_wakeup(void **state)
{
	(void)state;
	uint32_t rnd = 2463534242u;

	for (int i = 0; i < RACE_ROUNDS; i++)
		race_round(C_TIMEOUT, &rnd);
}

static void test_interrupt_at_complete_does_not_swallow_wakeup(void **state)
{
	(void)state;
	uint32_t rnd = 88675123u;

	th_set_interrupting_handler(SIGUSR1, on_usr1_count);
	for (int i = 0; i < RACE_ROUNDS; i++)
		race_round(C_INTR, &rnd);
	th_set_handler(SIGUSR1, SIG_DFL);
}

/* ---- no allocation ------------------------------------------------------ */

#define U2_CALLS  1000000ul
#define U2_ROUNDS 10000ul

static struct bh_wait_queue_head u2_wq;
static unsigned long u2_turn;

static void *u2_waiter(void *arg)
{
	(void)arg;
	for (unsigned long i = 1; i <= U2_ROUNDS; i++) {
		bh_wait_for_completion(&c);
		bh_wait_event(u2_wq, th_ld(&u2_turn) >= i);
	}
	return NULL;
}

/*
 * SPEC U2: complete(), complete_all() and wake_up() never allocate: a
 * million calls with nobody asleep, then rounds that wake a sleeping
 * waiter (the futex path), counted on this thread only.
 */
static void test_u2_complete_and_wake_up_never_allocate(void **state)
{
	(void)state;
	if (TH_SANITIZED) {
		skip();
		return;
	}
	/* The counter works. */
	void *volatile p;
	set_counting(true);
	p = malloc(16);
	free(p);
	set_counting(false);
	assert_int_equal(allocated(), 2);
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);

	BH_DECLARE_WAIT_QUEUE_HEAD(idle);
	unsigned long took = 0;
	set_counting(true);
	for (unsigned long i = 0; i < U2_CALLS; i++) {
		bh_complete(&c);
		took += bh_try_wait_for_completion(&c);
		bh_wake_up(&idle);
	}
	bh_complete_all(&c);
	bh_reinit_completion(&c);
	set_counting(false);
	assert_int_equal(took, U2_CALLS);
	assert_int_equal(allocated(), 0);

	pthread_t th;
	bh_init_waitqueue_head(&u2_wq);
	th_st(&u2_turn, 0);
	assert_int_equal(pthread_create(&th, NULL, u2_waiter, NULL), 0);
	for (unsigned long i = 1; i <= U2_ROUNDS; i++) {
		set_counting(true);
		bh_complete(&c);
		th_st(&u2_turn, i);
		bh_wake_up(&u2_wq);
		set_counting(false);
	}
	assert_true(th_join(th));
	assert_int_equal(allocated(), 0);
	assert_false(bh_completion_done(&c));
}

/* ---- no system call without sleepers ----------------------------------- */

enum { CHILD_OK = 0, CHILD_SETUP = 2, CHILD_SYSCALL = 3, CHILD_WRONG = 4 };

static void on_sigsys(int sig)
{
	(void)sig;
	th_exit_raw(CHILD_SYSCALL);
}

static int nosys_child(void *arg)
{
	static const int allow[] = {__NR_write, __NR_exit, __NR_exit_group,
				    __NR_rt_sigreturn};
	static BH_DECLARE_COMPLETION(x);
	bool control = arg != NULL;
	struct bh_config cfg;

	th_config(&cfg, 1, true);
	if (bh_init(&cfg) != 0)
		return th_exit_raw(CHILD_SETUP);
	signal(SIGSYS, on_sigsys);
	if (th_forbid_syscalls(allow, sizeof(allow) / sizeof(allow[0]),
			       SECCOMP_RET_TRAP) != 0)
		return th_exit_raw(CHILD_SETUP);
	if (control)
		(void)!syscall(SYS_getppid); /* must trap: proves the filter */
	for (int i = 0; i < 100000; i++) {
		bh_complete(&x);
		if (!bh_completion_done(&x) || !bh_try_wait_for_completion(&x))
			return th_exit_raw(CHILD_WRONG);
	}
	for (int i = 0; i < 1000; i++)
		bh_complete(&x);
	bh_complete_all(&x);
	if (!bh_try_wait_for_completion(&x))
		return th_exit_raw(CHILD_WRONG);
	return th_exit_raw(CHILD_OK);
}

/*
 * completion.h: complete() and complete_all() make a system call only
 * when someone sleeps (seccomp child, as SPEC U3's test).
 */
static void test_complete_without_sleeper_no_syscall(void **state)
{
	(void)state;
#ifndef TH_AUDIT_ARCH
	skip();
#endif
	if (TH_TSAN) {
		/* TSan's runtime makes system calls of its own. */
		skip();
		return;
	}
	bh_shutdown(); /* the child starts its own runtime */
	th_assert_exit_code(th_run_child(nosys_child, NULL, NULL, 0), CHILD_OK);
	th_assert_exit_code(th_run_child(nosys_child, (void *)1, NULL, 0),
			    CHILD_SYSCALL);
}

/* ---- might_sleep -------------------------------------------------------- */

static void fresh_log(void)
{
	assert_int_equal(bh_advance_jiffies(bh_hz() + 1), 0);
	th_log_clear();
}

#define SPLAT "BUG: sleeping function called from invalid context"

/*
 * SPEC U8, M15: the waits check the context even when they would not
 * sleep (the kernel's might_sleep() comes first); complete(),
 * try_wait_for_completion() and completion_done() are fine anywhere.
 */
static void test_u8_waits_in_atomic_context_splat(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(lock);

	fresh_log();
	bh_complete(&c);
	bh_local_bh_disable();
	bh_wait_for_completion(&c);
	bh_local_bh_enable();
	assert_true(th_log_has(SPLAT));

	fresh_log();
	bh_complete(&c);
	bh_spin_lock(&lock);
	assert_int_equal(bh_wait_for_completion_timeout(&c, 3), 3);
	bh_spin_unlock(&lock);
	assert_true(th_log_has(SPLAT));

	fresh_log();
	bh_complete(&c);
	bh_irq_enter();
	assert_int_equal(bh_wait_for_completion_interruptible(&c), 0);
	bh_irq_exit();
	assert_true(th_log_has(SPLAT));

	fresh_log();
	bh_complete(&c);
	unsigned long flags = bh_local_irq_save();
	assert_int_equal(bh_wait_for_completion_interruptible_timeout(&c, 3),
			 3);
	bh_local_irq_restore(flags);
	assert_true(th_log_has(SPLAT));

	fresh_log();
	bh_irq_enter();
	bh_complete(&c);
	assert_true(bh_completion_done(&c));
	assert_true(bh_try_wait_for_completion(&c));
	bh_complete_all(&c);
	bh_irq_exit();
	assert_int_equal(th_log.messages, 0);
}

#define DET(f)	cmocka_unit_test_setup_teardown(f, setup_det, th_teardown)
#define REAL(f) cmocka_unit_test_setup_teardown(f, setup_real, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		DET(test_complete_before_wait_is_carried),
		DET(test_n_completes_let_n_waiters_through),
		DET(test_complete_all_until_reinit),
		DET(test_try_wait_consumes),
		DET(test_timeout_expires_returns_0),
		DET(test_timeout_completed_returns_left),
		DET(test_timeout_already_done),
		DET(test_interruptible_signal),
		DET(test_u1_complete_from_signal_handler),
		DET(test_u1_complete_from_tasklet),
		REAL(test_timeout_at_complete_does_not_swallow_wakeup),
		REAL(test_interrupt_at_complete_does_not_swallow_wakeup),
		DET(test_u2_complete_and_wake_up_never_allocate),
		DET(test_complete_without_sleeper_no_syscall),
		DET(test_u8_waits_in_atomic_context_splat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
