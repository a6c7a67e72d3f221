/* SPDX-License-Identifier: MIT */
/*
 * Wait queues, against the kernel wait_event() contract: a waiter sleeps
 * until its condition is true, re-checks it after every wake-up, and sees
 * what the waker stored before bh_wake_up(); a wake-up is never lost
 * between the waiter's test and its sleep; the timed forms return the
 * kernel's values (0, 1, the jiffies left, or the whole timeout); the
 * interruptible forms end with -ERESTARTSYS when a signal handler runs on
 * the waiting thread. bh_wake_up() is async-signal-safe and allowed in
 * softirq context (SPEC U1) and makes no system call when nobody sleeps;
 * every waiting macro checks the context (SPEC U8).
 *
 * Timing logic runs in deterministic mode: a waiter thread sleeps on the
 * virtual clock and the test steps it with bh_advance_jiffies(), after
 * seeing (from /proc) that the waiter is asleep, so no step is taken
 * before the waiter has read the clock.
 */
#include "harness.h"
#include "seccomp_child.h"

#include <pthread.h>
#include <signal.h>

static struct bh_wait_queue_head wq;
static unsigned long cond;

static bool cond_true(void)
{
	return th_ld(&cond) != 0;
}

static int setup_det(void **state)
{
	(void)state;
	bh_init_waitqueue_head(&wq);
	th_st(&cond, 0);
	th_init_cpu0(1, true);
	return 0;
}

static int setup_real(void **state)
{
	(void)state;
	bh_init_waitqueue_head(&wq);
	th_st(&cond, 0);
	th_init(2, false);
	return 0;
}

/* ---- a waiter thread running one of the waiting macros ---------------- */

enum wait_kind {
	W_PLAIN,
	W_TIMEOUT,
	W_INTR,
	W_INTR_TIMEOUT,
	W_AT_DEADLINE, /* timed, on a condition that the deadline makes true */
};

struct waiter {
	pthread_t th;
	enum wait_kind kind;
	unsigned long timeout;
	unsigned long start; /* jiffies when the test created the waiter */
	unsigned long tid;   /* set once running */
	unsigned long done;  /* set after the wait returned */
	long ret;
};

/* True exactly from the deadline of w's timed wait on. */
static bool deadline_reached(const struct waiter *w)
{
	return bh_time_after_eq(bh_jiffies(), w->start + w->timeout);
}

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	long r = 0;

	th_st(&w->tid, th_tid());
	switch (w->kind) {
	case W_PLAIN:
		bh_wait_event(wq, cond_true());
		break;
	case W_TIMEOUT:
		r = bh_wait_event_timeout(wq, cond_true(), w->timeout);
		break;
	case W_INTR:
		r = bh_wait_event_interruptible(wq, cond_true());
		break;
	case W_INTR_TIMEOUT:
		r = bh_wait_event_interruptible_timeout(wq, cond_true(),
							w->timeout);
		break;
	case W_AT_DEADLINE:
		r = bh_wait_event_timeout(wq, deadline_reached(w), w->timeout);
		break;
	}
	w->ret = r;
	th_st(&w->done, 1);
	return NULL;
}

/*
 * Waiters are never reused: one that a failed test leaves asleep may still
 * return later and must not write into another test's waiter (or stack).
 */
static struct waiter waiters[64];
static unsigned int nr_waiters;

/* Starts a waiter and returns once it sleeps inside the macro. */
static struct waiter *start_waiter(enum wait_kind kind, unsigned long timeout)
{
	assert_true(nr_waiters < sizeof(waiters) / sizeof(waiters[0]));
	struct waiter *w = &waiters[nr_waiters++];
	w->kind = kind;
	w->timeout = timeout;
	w->start = bh_jiffies();
	assert_int_equal(pthread_create(&w->th, NULL, waiter_fn, w), 0);
	assert_true(th_wait_ge(&w->tid, 1));
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

/* ---- wake-up and ordering --------------------------------------------- */

#define ORDER_ROUNDS  (TH_TSAN ? 100ul : 300ul)
#define PAYLOAD_WORDS 16

static unsigned long flag;		     /* relaxed on purpose, see below */
static unsigned long payload[PAYLOAD_WORDS]; /* plain memory */
static unsigned long ack, order_errors;

static void *order_waiter(void *arg)
{
	unsigned long *tid = arg;

	th_st(tid, th_tid());
	for (unsigned long i = 1; i <= ORDER_ROUNDS; i++) {
		/*
		 * A relaxed load: nothing but the wait queue orders the
		 * payload before the flag, so a missing acquire in the
		 * library shows (as a wrong payload, or a TSan report).
		 */
		bh_wait_event(wq,
			      __atomic_load_n(&flag, __ATOMIC_RELAXED) >= i);
		for (int k = 0; k < PAYLOAD_WORDS; k++)
			if (payload[k] != i * PAYLOAD_WORDS + (unsigned long)k)
				th_inc(&order_errors);
		th_st(&ack, i);
	}
	return NULL;
}

/*
 * Kernel wait_event() contract: a waiter woken by wake_up() sees the
 * stores made before it (wait.h: "Stores made before the call are visible
 * to a waiter that sees the wake-up"). The waker writes only once the
 * waiter is asleep, so the waiter cannot see the flag without a wake-up.
 */
static void test_wait_event_sees_wakers_stores(void **state)
{
	(void)state;
	pthread_t th;
	unsigned long tid = 0;

	th_st(&flag, 0);
	th_st(&ack, 0);
	th_st(&order_errors, 0);
	assert_int_equal(pthread_create(&th, NULL, order_waiter, &tid), 0);
	assert_true(th_wait_ge(&tid, 1));
	for (unsigned long i = 1; i <= ORDER_ROUNDS; i++) {
		/* Registered on wq and blocked: asleep in the futex. */
		uint64_t deadline = th_now_ns() + TH_WAIT_NS;
		while (!bh_waitqueue_active(&wq) ||
		       th_thread_state(tid) != 'S') {
			assert_true(th_now_ns() < deadline);
			sched_yield();
		}
		for (int k = 0; k < PAYLOAD_WORDS; k++)
			payload[k] = i * PAYLOAD_WORDS + (unsigned long)k;
		__atomic_store_n(&flag, i, __ATOMIC_RELAXED);
		bh_wake_up(&wq);
		assert_true(th_wait_ge(&ack, i));
	}
	assert_true(th_join(th));
	assert_int_equal(th_ld(&order_errors), 0);
}

/* A waiter whose condition is already true returns without sleeping. */
static void test_wait_event_true_at_start(void **state)
{
	(void)state;
	th_st(&cond, 1);
	bh_wait_event(wq, cond_true());
	assert_int_equal(bh_wait_event_interruptible(wq, cond_true()), 0);
	assert_false(bh_waitqueue_active(&wq));
	assert_int_equal(th_log.messages, 0);
}

/* The simplest wake-up: another thread sets the condition and wakes. */
static void test_wait_event_woken(void **state)
{
	(void)state;
	struct waiter *w;

	w = start_waiter(W_PLAIN, 0);
	th_st(&cond, 1);
	bh_wake_up(&wq);
	join_waiter(w);
	assert_false(bh_waitqueue_active(&wq));
}

/*
 * Kernel wait_event() contract: a wake-up with the condition still false
 * is not a return; the waiter re-checks and sleeps again.
 */
static void test_wait_event_rechecks_after_wake(void **state)
{
	(void)state;
	struct waiter *w;

	w = start_waiter(W_PLAIN, 0);
	long before = th_thread_blocks(th_ld(&w->tid));
	assert_true(before >= 0);
	bh_wake_up(&wq);
	bh_wake_up_all(&wq);
	/* It woke, found the condition false, and went back to sleep. */
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (th_thread_blocks(th_ld(&w->tid)) < before + 1 ||
	       th_thread_state(th_ld(&w->tid)) != 'S') {
		assert_true(th_now_ns() < deadline);
		sched_yield();
	}
	assert_false(th_ld(&w->done));
	th_st(&cond, 1);
	bh_wake_up_interruptible(&wq);
	join_waiter(w);
}

/* ---- no lost wake-up -------------------------------------------------- */

#define PINGPONG_ROUNDS (TH_TSAN ? 10000ul : 100000ul)

static struct bh_wait_queue_head pp_wq[2];
static unsigned long turn; /* whose turn: round * 2 + side */
static unsigned long pp_stop;

struct pp_side {
	int side;
	unsigned long rounds;
};

static void *pp_fn(void *arg)
{
	struct pp_side *s = arg;

	uint32_t rnd = 2463534242u + (uint32_t)s->side;

	for (unsigned long i = 0; i < PINGPONG_ROUNDS; i++) {
		unsigned long mine = 2 * i + (unsigned long)s->side;
		/*
		 * Watch for the turn a random while first: both threads then
		 * often run at once, and a turn handed over lands anywhere
		 * in the other's wait, the race window included; without
		 * it the partner is always slower than the window is wide.
		 */
		rnd ^= rnd << 13;
		rnd ^= rnd >> 17;
		rnd ^= rnd << 5;
		for (uint32_t k = rnd % 256; k && th_ld(&turn) != mine; k--)
			continue;
		bh_wait_event(pp_wq[s->side],
			      th_ld(&turn) == mine || th_ld(&pp_stop));
		if (th_ld(&pp_stop))
			break;
		th_st(&turn, mine + 1);
		bh_wake_up(&pp_wq[!s->side]);
		s->rounds = i + 1;
	}
	return NULL;
}

/*
 * Kernel wait_event() contract: no lost wake-up. Two threads hand a turn
 * back and forth through two wait queues; a wake-up lost between a
 * waiter's test and its sleep stalls both for good. The join is bounded;
 * on a stall the test reports which side was stuck with its condition
 * true, then frees both.
 */
static void test_wait_event_pingpong_no_lost_wakeup(void **state)
{
	(void)state;
	pthread_t th[2];
	struct pp_side sides[2] = {{0, 0}, {1, 0}};

	bh_init_waitqueue_head(&pp_wq[0]);
	bh_init_waitqueue_head(&pp_wq[1]);
	th_st(&turn, 0);
	th_st(&pp_stop, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, pp_fn, &sides[i]),
				 0);

	/*
	 * Bounded on progress, not on the whole run: on a loaded machine
	 * every hand-over may wait for a CPU. Only a turn that stays put for
	 * TH_WAIT_NS is a stall.
	 */
	unsigned long last = th_ld(&turn);
	uint64_t moved = th_now_ns();
	for (int i = 0; i < 2;) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(th[i], NULL, &ts) == 0) {
			i++;
			continue;
		}
		unsigned long t = th_ld(&turn);
		if (t != last) {
			last = t;
			moved = th_now_ns();
			continue;
		}
		if (th_now_ns() - moved < TH_WAIT_NS)
			continue;
		/* Free both if wake-ups work at all, then report. */
		th_st(&pp_stop, 1);
		bh_wake_up(&pp_wq[0]);
		bh_wake_up(&pp_wq[1]);
		for (; i < 2; i++)
			th_join(th[i]);
		fail_msg("ping-pong stalled at turn %lu: side %lu slept with "
			 "its condition true (lost wake-up)",
			 t, t % 2);
	}
	assert_int_equal(sides[0].rounds, PINGPONG_ROUNDS);
	assert_int_equal(sides[1].rounds, PINGPONG_ROUNDS);
	assert_int_equal(th_ld(&turn), 2 * PINGPONG_ROUNDS);
}

/* ---- no system call without sleepers ---------------------------------- */

enum { CHILD_OK = 0, CHILD_SETUP = 2, CHILD_SYSCALL = 3 };

static void on_sigsys(int sig)
{
	(void)sig;
	th_exit_raw(CHILD_SYSCALL);
}

static int nosys_child(void *arg)
{
	static const int allow[] = {__NR_write, __NR_exit, __NR_exit_group,
				    __NR_rt_sigreturn};
	static BH_DECLARE_WAIT_QUEUE_HEAD(q);
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
		bh_wake_up(&q);
		bh_wake_up_interruptible(&q);
		bh_wake_up_all(&q);
		if (bh_waitqueue_active(&q))
			return th_exit_raw(CHILD_SETUP);
	}
	return th_exit_raw(CHILD_OK);
}

/* wait.h: "no system call when nobody sleeps" (seccomp child, as U3). */
static void test_wake_up_without_sleeper_no_syscall(void **state)
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

/* ---- wake-ups from a signal handler and from a tasklet ----------------- */

#define SIG_ROUNDS (TH_TSAN ? 300ul : 2000ul)

static unsigned long sig_cond, sig_ack;

static void on_usr1_wake(int sig)
{
	int saved = errno;
	(void)sig;
	__atomic_fetch_add(&sig_cond, 1, __ATOMIC_SEQ_CST);
	bh_wake_up(&wq);
	errno = saved;
}

static void *sig_waiter(void *arg)
{
	unsigned long *tid = arg;

	th_st(tid, th_tid());
	for (unsigned long i = 1; i <= SIG_ROUNDS; i++) {
		bh_wait_event(wq, th_ld(&sig_cond) >= i);
		th_st(&sig_ack, i);
	}
	return NULL;
}

/*
 * SPEC U1: wake_up from a signal handler. Each round one signal is sent,
 * in turn to the waiting thread itself, so that the handler lands
 * anywhere in it (before the test, between registering and sleeping,
 * inside the sleep), and to this thread. Every round must end (a lost
 * wake-up stalls it). TSan defers a handler until the thread next enters
 * an intercepted call, which a thread asleep in a raw futex never does,
 * so under TSan the handler always runs here.
 */
static void test_u1_wake_up_from_signal_handler(void **state)
{
	(void)state;
	pthread_t th;
	unsigned long tid = 0;

	th_st(&sig_cond, 0);
	th_st(&sig_ack, 0);
	th_set_handler(SIGUSR1, on_usr1_wake);
	assert_int_equal(pthread_create(&th, NULL, sig_waiter, &tid), 0);
	assert_true(th_wait_ge(&tid, 1));
	for (unsigned long i = 1; i <= SIG_ROUNDS; i++) {
		th_signal_round(th, SIGUSR1, i);
		if (!th_wait_ge(&sig_ack, i)) {
			bool stuck = th_ld(&sig_cond) >= i;
			/* Free the waiter, if wake-ups work at all. */
			__atomic_fetch_add(&sig_cond, SIG_ROUNDS,
					   __ATOMIC_SEQ_CST);
			bh_wake_up(&wq);
			th_join(th);
			fail_msg("round %lu stalled (condition %s)", i,
				 stuck ? "true: lost wake-up" : "false");
		}
	}
	assert_true(th_join(th));
	/* And from a handler on another thread (this one). */
	struct waiter *w;
	w = start_waiter(W_PLAIN, 0);
	assert_int_equal(raise(SIGUSR1), 0);
	/* The handler bumped sig_cond, not cond: the waiter sleeps on. */
	th_st(&cond, 1);
	assert_int_equal(raise(SIGUSR1), 0);
	join_waiter(w);
	th_set_handler(SIGUSR1, SIG_DFL);
	assert_int_equal(bh_warn_count(), 0);
}

static unsigned long tasklet_ran, tasklet_in_softirq;

static void waking_tasklet(struct bh_tasklet *t)
{
	(void)t;
	th_st(&tasklet_in_softirq, bh_in_serving_softirq());
	th_st(&cond, 1);
	bh_wake_up(&wq);
	th_inc(&tasklet_ran);
}

/* SPEC U1: wake_up from softirq context (a tasklet), with no splat. */
static void test_u1_wake_up_from_tasklet(void **state)
{
	(void)state;
	struct bh_tasklet t;
	struct waiter *w;

	th_st(&tasklet_ran, 0);
	bh_tasklet_setup(&t, waking_tasklet);
	w = start_waiter(W_PLAIN, 0);
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(th_ld(&tasklet_ran), 1);
	assert_int_equal(th_ld(&tasklet_in_softirq), 1);
	join_waiter(w);
	assert_int_equal(bh_warn_count(), 0);
	assert_int_equal(th_log.messages, 0);
}

/* ---- timed waits: the kernel's return values -------------------------- */

/*
 * Kernel wait_event_timeout() contract: 0 when the condition is still
 * false once `timeout` jiffies have passed; the waiter is still asleep
 * one jiffy before.
 */
static void test_wait_event_timeout_expires_returns_0(void **state)
{
	(void)state;
	struct waiter *w;
	const unsigned long timeout = 5;

	w = start_waiter(W_TIMEOUT, timeout);
	for (unsigned long k = 1; k < timeout; k++) {
		assert_int_equal(bh_advance_jiffies(1), 0);
		assert_true(th_wait_polled(th_ld(&w->tid), &w->done));
		assert_false(th_ld(&w->done));
	}
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_int_equal(join_waiter(w), 0);
	assert_false(bh_waitqueue_active(&wq));
}

/*
 * Kernel wait_event_timeout() contract: 1 when the timeout elapsed but
 * the condition is true then. The condition here becomes true exactly at
 * the deadline, so there is no race between the two.
 */
static void test_wait_event_timeout_true_at_deadline_returns_1(void **state)
{
	(void)state;
	struct waiter *w;
	const unsigned long timeout = 4;

	w = start_waiter(W_AT_DEADLINE, timeout);
	assert_int_equal(bh_advance_jiffies(timeout - 1), 0);
	assert_true(th_wait_polled(th_ld(&w->tid), &w->done));
	assert_false(th_ld(&w->done));
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_int_equal(join_waiter(w), 1);
}

/*
 * Kernel wait_event_timeout() contract: the jiffies left (at least 1)
 * when the condition came true before the deadline.
 */
static void test_wait_event_timeout_true_before_returns_left(void **state)
{
	(void)state;
	struct waiter *w;

	w = start_waiter(W_TIMEOUT, 10);
	assert_int_equal(bh_advance_jiffies(3), 0);
	assert_true(th_wait_polled(th_ld(&w->tid), &w->done));
	th_st(&cond, 1);
	bh_wake_up(&wq);
	assert_int_equal(join_waiter(w), 7);

	/* One jiffy before the deadline leaves exactly 1. */
	th_st(&cond, 0);
	w = start_waiter(W_TIMEOUT, 10);
	assert_int_equal(bh_advance_jiffies(9), 0);
	assert_true(th_wait_polled(th_ld(&w->tid), &w->done));
	th_st(&cond, 1);
	bh_wake_up(&wq);
	assert_int_equal(join_waiter(w), 1);
}

/*
 * Kernel wait_event_timeout() contract: a condition true at the start
 * returns `timeout` itself (no time passed), or 1 for a zero timeout; a
 * false condition with a zero timeout returns 0 at once.
 */
static void test_wait_event_timeout_true_at_start(void **state)
{
	(void)state;
	th_st(&cond, 1);
	assert_int_equal(bh_wait_event_timeout(wq, cond_true(), 17), 17);
	assert_int_equal(
		bh_wait_event_interruptible_timeout(wq, cond_true(), 17), 17);
	assert_int_equal(bh_wait_event_timeout(wq, cond_true(), 0), 1);
	th_st(&cond, 0);
	assert_int_equal(bh_wait_event_timeout(wq, cond_true(), 0), 0);
	assert_int_equal(
		bh_wait_event_interruptible_timeout(wq, cond_true(), 0), 0);
	assert_false(bh_waitqueue_active(&wq));
}

/* ---- interruptible waits ---------------------------------------------- */

static unsigned long usr1_handled;

static void on_usr1_count(int sig)
{
	(void)sig;
	__atomic_fetch_add(&usr1_handled, 1, __ATOMIC_RELAXED);
}

/*
 * wait.h: interruptible waits end with -ERESTARTSYS when a signal handler
 * runs on the waiting thread (the user-space reading of the kernel's
 * signal_pending()); the condition stays false.
 */
static void test_wait_event_interruptible_signal(void **state)
{
	(void)state;
	struct waiter *w;

	th_set_interrupting_handler(SIGUSR1, on_usr1_count);
	w = start_waiter(W_INTR, 0);
	assert_true(th_kill_until(w->th, SIGUSR1, &w->done));
	assert_int_equal(join_waiter(w), -BH_ERESTARTSYS);
	assert_true(th_ld(&usr1_handled) >= 1);
	assert_false(bh_waitqueue_active(&wq));

	w = start_waiter(W_INTR_TIMEOUT, 100);
	assert_true(th_kill_until(w->th, SIGUSR1, &w->done));
	assert_int_equal(join_waiter(w), -BH_ERESTARTSYS);
	th_set_handler(SIGUSR1, SIG_DFL);
}

/*
 * The same with a handler installed with SA_RESTART (glibc's signal()
 * default, and th_set_handler()'s): the kernel restarts an untimed futex
 * wait after such a handler without telling the caller, so the library
 * must still see the interruption.
 */
static void test_wait_event_interruptible_sa_restart(void **state)
{
	(void)state;
	struct waiter *w;

	th_set_handler(SIGUSR1, on_usr1_count);
	w = start_waiter(W_INTR, 0);
	assert_true(th_kill_until(w->th, SIGUSR1, &w->done));
	assert_int_equal(join_waiter(w), -BH_ERESTARTSYS);
	assert_false(bh_waitqueue_active(&wq));
	th_set_handler(SIGUSR1, SIG_DFL);
}

/* 0 (or the jiffies left) when the condition, not a signal, ends it. */
static void test_wait_event_interruptible_condition(void **state)
{
	(void)state;
	struct waiter *w;

	w = start_waiter(W_INTR, 0);
	th_st(&cond, 1);
	bh_wake_up_interruptible(&wq);
	assert_int_equal(join_waiter(w), 0);

	th_st(&cond, 0);
	w = start_waiter(W_INTR_TIMEOUT, 20);
	assert_int_equal(bh_advance_jiffies(5), 0);
	assert_true(th_wait_polled(th_ld(&w->tid), &w->done));
	th_st(&cond, 1);
	bh_wake_up_interruptible(&wq);
	assert_int_equal(join_waiter(w), 15);

	th_st(&cond, 0);
	w = start_waiter(W_INTR_TIMEOUT, 2);
	assert_int_equal(bh_advance_jiffies(2), 0);
	assert_int_equal(join_waiter(w), 0);
}

/* ---- waitqueue_active -------------------------------------------------- */

static void test_waitqueue_active(void **state)
{
	(void)state;
	struct waiter *w;
	BH_DECLARE_WAIT_QUEUE_HEAD(fresh);

	assert_false(bh_waitqueue_active(&fresh));
	assert_false(bh_waitqueue_active(&wq));
	bh_wake_up(&wq);
	assert_false(bh_waitqueue_active(&wq));
	w = start_waiter(W_PLAIN, 0);
	assert_true(bh_waitqueue_active(&wq));
	th_st(&cond, 1);
	bh_wake_up(&wq);
	join_waiter(w);
	assert_false(bh_waitqueue_active(&wq));
}

/* ---- might_sleep ------------------------------------------------------- */

/* Clear the log and step past any once-a-second splat limit. */
static void fresh_log(void)
{
	assert_int_equal(bh_advance_jiffies(bh_hz() + 1), 0);
	th_log_clear();
}

#define SPLAT "BUG: sleeping function called from invalid context"

/*
 * SPEC U8, M15: every waiting macro checks the context before it tests
 * the condition (as the kernel's might_sleep() in wait_event()), so even
 * a wait that would not sleep splats in atomic context.
 */
static void test_u8_wait_macros_in_atomic_context_splat(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(lock);

	th_st(&cond, 1);
	fresh_log();
	bh_local_bh_disable();
	bh_wait_event(wq, cond_true());
	bh_local_bh_enable();
	assert_true(th_log_has(SPLAT));

	fresh_log();
	bh_spin_lock(&lock);
	assert_int_equal(bh_wait_event_interruptible(wq, cond_true()), 0);
	bh_spin_unlock(&lock);
	assert_true(th_log_has(SPLAT));

	fresh_log();
	bh_irq_enter();
	assert_int_equal(bh_wait_event_timeout(wq, cond_true(), 3), 3);
	bh_irq_exit();
	assert_true(th_log_has(SPLAT));

	fresh_log();
	unsigned long flags = bh_local_irq_save();
	assert_int_equal(
		bh_wait_event_interruptible_timeout(wq, cond_true(), 3), 3);
	bh_local_irq_restore(flags);
	assert_true(th_log_has(SPLAT));

	/* Waking is fine anywhere: no report. */
	fresh_log();
	bh_local_bh_disable();
	bh_wake_up(&wq);
	bh_local_bh_enable();
	bh_irq_enter();
	bh_wake_up_all(&wq);
	bh_irq_exit();
	assert_int_equal(th_log.messages, 0);
}

#define DET(f)	cmocka_unit_test_setup_teardown(f, setup_det, th_teardown)
#define REAL(f) cmocka_unit_test_setup_teardown(f, setup_real, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		DET(test_wait_event_sees_wakers_stores),
		DET(test_wait_event_true_at_start),
		DET(test_wait_event_woken),
		DET(test_wait_event_rechecks_after_wake),
		REAL(test_wait_event_pingpong_no_lost_wakeup),
		DET(test_wake_up_without_sleeper_no_syscall),
		DET(test_u1_wake_up_from_signal_handler),
		DET(test_u1_wake_up_from_tasklet),
		DET(test_wait_event_timeout_expires_returns_0),
		DET(test_wait_event_timeout_true_at_deadline_returns_1),
		DET(test_wait_event_timeout_true_before_returns_left),
		DET(test_wait_event_timeout_true_at_start),
		DET(test_wait_event_interruptible_signal),
		DET(test_wait_event_interruptible_sa_restart),
		DET(test_wait_event_interruptible_condition),
		DET(test_waitqueue_active),
		DET(test_u8_wait_macros_in_atomic_context_splat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
