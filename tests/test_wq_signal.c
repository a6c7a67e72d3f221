/* SPDX-License-Identifier: MIT */
/*
 * SPEC U1 for workqueues: queue_work, queue_delayed_work, mod_delayed_work,
 * cancel_work, cancel_delayed_work and disable_work are async-signal-safe:
 * correct from a signal handler that interrupted any thread, including one
 * inside the library at that moment (queueing, cancelling, flushing,
 * sleeping in a _sync call).
 *
 * The storm: producer threads (two per bh CPU) run the same operations as
 * the handlers on shared items, and a sync thread sits in the sleeping
 * calls (flush_work, flush_workqueue, cancel_work_sync,
 * cancel_delayed_work_sync, disable_work_sync). SIGUSR1 reaches all of
 * them from themselves and from a signaller, installed without SA_RESTART
 * so that a library sleep it interrupts ends with EINTR and must be
 * resumed; SIGALRM from an interval timer reaches any thread, kworkers and
 * ksoftirqd included. Half the items are on a BH workqueue.
 *
 * What is checked, once everything is quiet, is an exact count per item:
 * an item goes from idle to pending only by a queueing that returns true
 * (or a mod_delayed_work that returns false: it found the item idle and
 * queued it), and back only by the start of a run, or a cancel or disable
 * that returns true. So
 *     queued-from-idle == runs + cancels/disables that returned true.
 * A queueing lost in the library shows as a missing run; a wrong return
 * value shows in the count. Items that nobody cancels also carry a
 * sequence number bumped before each queueing and sampled at the start of
 * each run (SPEC W5: some run starts after every queueing), which the
 * sync thread also checks right after each flush. And: no crash, no
 * deadlock (every wait is bounded), no warning, no item running
 * concurrently with itself (W6).
 */
#include "wq_harness.h"

#include <signal.h>
#include <sys/time.h>

#define NPROD 4
#define NPER  4 /* items per kind: two on each workqueue */
#define NITER (TH_TSAN ? 6000ul : 100000ul)
/* The storm takes about a second (ten under TSan); far past that, threads
 * are stuck in the library. */
#define STORM_LIMIT_S (TH_TSAN ? 240 : 60)
#define NSIGNALS      (TH_TSAN ? 2000ul : 20000ul)

/*
 * Kinds of item, by what may happen to them:
 *   F  queue_work only (flushed by the sync thread: W5 is checked)
 *   Q  delayed: queue_work, queue_delayed_work, mod_delayed_work (W5)
 *   C  queue_work, cancel_work; cancel_work_sync by the sync thread
 *   CD delayed: queue_delayed_work, cancel_delayed_work;
 *      cancel_delayed_work_sync by the sync thread (no mod_delayed_work:
 *      during a _sync call it fails and returns false, the same value as
 *      for an idle item it queued, so its count would be ambiguous)
 *   D  queue_work, disable_work (enabled again by threads only: one
 *      enable owed per disable, per item)
 */
enum { K_F, K_Q, K_C, K_CD, K_D, NKINDS };

struct sitem {
	struct bh_delayed_work dw; /* plain kinds use dw.work only */
	struct bh_workqueue *wq;
	unsigned long seq, max_seen; /* W5 witness (F, Q) */
	unsigned long from_idle;     /* A: idle -> pending transitions */
	unsigned long taken;	     /* A: cancels/disables returning true */
	unsigned long runs, inside;
	unsigned long owed; /* D: disables not yet enabled again */
};

static struct bh_workqueue *wq, *bhwq;
static struct sitem items[NKINDS][NPER];
static unsigned long overlap, handler_calls, sig_done;
static unsigned long sync_checks, sync_violations, sync_stop;
static pthread_t producers[NPROD], sync_th;

static void sitem_fn(struct bh_work *w)
{
	struct sitem *s =
		bh_container_of(bh_to_delayed_work(w), struct sitem, dw);

	if (__atomic_exchange_n(&s->inside, 1, __ATOMIC_ACQ_REL))
		th_inc(&overlap);
	th_atomic_max(&s->max_seen, th_ld(&s->seq));
	th_inc(&s->runs);
	__atomic_store_n(&s->inside, 0, __ATOMIC_RELEASE);
}

static void count(bool r, unsigned long *if_true)
{
	if (r)
		th_inc(if_true);
}

/*
 * One operation on item (kind, n): the same set for threads and handlers
 * (enable_work, not async-signal-safe, excepted).
 */
static void op(int kind, unsigned long n)
{
	struct sitem *s = &items[kind][n % NPER];
	unsigned long d = (n / NPER) % 3;
	bool choose = (n / (NPER * 3)) & 1;

	switch (kind) {
	case K_F:
		__atomic_fetch_add(&s->seq, 1, __ATOMIC_SEQ_CST);
		count(bh_queue_work(s->wq, &s->dw.work), &s->from_idle);
		break;
	case K_Q:
		__atomic_fetch_add(&s->seq, 1, __ATOMIC_SEQ_CST);
		if (d == 0)
			count(bh_queue_work(s->wq, &s->dw.work), &s->from_idle);
		else if (choose)
			count(bh_queue_delayed_work(s->wq, &s->dw, d - 1),
			      &s->from_idle);
		else
			count(!bh_mod_delayed_work(s->wq, &s->dw, d - 1),
			      &s->from_idle);
		break;
	case K_C:
		if (choose)
			count(bh_queue_work(s->wq, &s->dw.work), &s->from_idle);
		else
			count(bh_cancel_work(&s->dw.work), &s->taken);
		break;
	case K_CD:
		if (choose)
			count(bh_cancel_delayed_work(&s->dw), &s->taken);
		else
			count(bh_queue_delayed_work(s->wq, &s->dw, d),
			      &s->from_idle);
		break;
	case K_D:
		if (d != 0) {
			count(bh_queue_work(s->wq, &s->dw.work), &s->from_idle);
		} else {
			count(bh_disable_work(&s->dw.work), &s->taken);
			th_inc(&s->owed); /* after the disable: see below */
		}
		break;
	}
}

/*
 * Threads only (enable_work is not async-signal-safe): enable the D items
 * as many times as they were disabled. An owed enable is counted after
 * its disable returned, so taking one from the count never enables an
 * item below the depth its disables gave it.
 */
static void pay_enables(void)
{
	for (int i = 0; i < NPER; i++) {
		struct sitem *s = &items[K_D][i];
		unsigned long owed = th_ld(&s->owed);

		while (owed > 0) {
			if (__atomic_compare_exchange_n(
				    &s->owed, &owed, owed - 1, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				bh_enable_work(&s->dw.work);
		}
	}
}

static void on_signal(int sig)
{
	int saved = errno;
	unsigned long n =
		__atomic_fetch_add(&handler_calls, 1, __ATOMIC_RELAXED);

	(void)sig;
	op((int)(n % NKINDS), n / NKINDS);
	errno = saved;
}

static void *producer(void *arg)
{
	long id = (long)arg;

	bh_thread_set_cpu((int)(id % 2));
	for (unsigned long i = 0; i < NITER || !th_ld(&sig_done); i++) {
		unsigned long n = i * NPROD + (unsigned long)id;

		op((int)(n % NKINDS), n / NKINDS);
		if (i % 64 == 0)
			pthread_kill(pthread_self(), SIGUSR1);
		if (i % 8 == 0)
			pay_enables();
	}
	bh_thread_set_cpu(-1);
	return NULL;
}

/* Sleeps in the library's waits, with signals landing in them. */
static void *syncer(void *arg)
{
	(void)arg;
	bh_thread_set_cpu(1);
	for (unsigned long i = 0; !th_ld(&sync_stop); i++) {
		struct sitem *f = &items[K_F][i % NPER];
		unsigned long stamp =
			__atomic_add_fetch(&f->seq, 1, __ATOMIC_SEQ_CST);

		count(bh_queue_work(f->wq, &f->dw.work), &f->from_idle);
		if (i % 2)
			bh_flush_work(&f->dw.work);
		else
			bh_flush_workqueue(f->wq);
		if (th_ld(&f->max_seen) < stamp)
			th_inc(&sync_violations);
		th_inc(&sync_checks);

		struct sitem *c = &items[K_C][i % NPER];
		count(bh_cancel_work_sync(&c->dw.work), &c->taken);
		struct sitem *cd = &items[K_CD][i % NPER];
		count(bh_cancel_delayed_work_sync(&cd->dw), &cd->taken);
		struct sitem *d = &items[K_D][i % NPER];
		count(bh_disable_work_sync(&d->dw.work), &d->taken);
		bh_enable_work(&d->dw.work);
	}
	bh_thread_set_cpu(-1);
	return NULL;
}

/* SIGUSR1 without SA_RESTART: library sleeps see EINTR. */
static void install_interrupting(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static void *signaller(void *arg)
{
	(void)arg;
	install_interrupting();
	for (unsigned long i = 0; i < NSIGNALS; i++) {
		pthread_t t = i % 5 == 4 ? sync_th : producers[i % NPROD];

		if (TH_TSAN)
			raise(SIGUSR1);
		else
			pthread_kill(t, SIGUSR1);
		if (i % 16 == 0)
			sched_yield();
	}
	th_st(&sig_done, 1);
	return NULL;
}

static void init_items(void)
{
	for (int k = 0; k < NKINDS; k++) {
		for (int i = 0; i < NPER; i++) {
			struct sitem *s = &items[k][i];

			memset(s, 0, sizeof(*s));
			bh_delayed_work_init(&s->dw, sitem_fn);
			s->wq = i % 2 ? bhwq : wq;
		}
	}
}

/* Bring every item to rest, then check its count. */
static void settle_and_check(void)
{
	for (int i = 0; i < NPER; i++) {
		struct sitem *s;

		/* F, Q: never cancelled. Run whatever is pending. */
		for (int k = K_F; k <= K_Q; k++) {
			s = &items[k][i];
			uint64_t deadline = th_now_ns() + TH_WAIT_NS;
			while (bh_delayed_work_pending(&s->dw) ||
			       bh_work_busy(&s->dw.work)) {
				bh_flush_delayed_work(&s->dw);
				assert_true(th_now_ns() < deadline);
			}
			if (th_ld(&s->max_seen) < th_ld(&s->seq))
				fail_msg("kind %d item %d: last queueing "
					 "%lu never ran (last run saw %lu)",
					 k, i, th_ld(&s->seq),
					 th_ld(&s->max_seen));
		}
		s = &items[K_C][i];
		count(bh_cancel_work_sync(&s->dw.work), &s->taken);
		s = &items[K_CD][i];
		count(bh_cancel_delayed_work_sync(&s->dw), &s->taken);
		s = &items[K_D][i];
		count(bh_disable_work_sync(&s->dw.work), &s->taken);
	}
	/*
	 * D items: each is disabled once by the disable_work_sync above
	 * and once per enable still owed; the last enable brings it to 0.
	 */
	for (int i = 0; i < NPER; i++) {
		struct sitem *s = &items[K_D][i];

		for (unsigned long n = th_ld(&s->owed); n > 0; n--)
			assert_false(bh_enable_work(&s->dw.work));
		assert_true(bh_enable_work(&s->dw.work));
	}

	for (int k = 0; k < NKINDS; k++) {
		for (int i = 0; i < NPER; i++) {
			struct sitem *s = &items[k][i];
			unsigned long q = th_ld(&s->from_idle),
				      r = th_ld(&s->runs), t = th_ld(&s->taken);

			assert_false(bh_delayed_work_pending(&s->dw));
			assert_int_equal(bh_work_busy(&s->dw.work), 0);
			if (q != r + t)
				fail_msg("kind %d item %d: %lu queued from "
					 "idle, but %lu runs + %lu taken back",
					 k, i, q, r, t);
		}
	}
}

static unsigned long storm_done;
static pthread_t storm_wd;
static bool storm_wd_started;

/*
 * A thread stuck in the library (a handler spinning on a state its own
 * interrupted thread holds, say) cannot be timed out from the test: the
 * storm's joins would hang until ctest kills the program without a word.
 * This turns that into a failure that says what happened.
 */
static void *watchdog(void *arg)
{
	(void)arg;
	uint64_t deadline = th_now_ns() + STORM_LIMIT_S * 1000000000ull;
	sigset_t all;

	/* Its handlers could get stuck like the others'. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	while (!th_ld(&storm_done)) {
		if (th_now_ns() > deadline) {
			static const char msg[] =
				"test_u1_signal_storm: no end after the time "
				"limit: threads are stuck in the library "
				"(deadlock)\n";
			if (write(2, msg, sizeof(msg) - 1) < 0)
				_exit(2);
			abort();
		}
		/* A poll for the flag, not a wait for the storm. */
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Also when an assertion ended the test early. */
static int storm_teardown(void **state)
{
	th_st(&storm_done, 1);
	if (storm_wd_started)
		pthread_join(storm_wd, NULL);
	storm_wd_started = false;
	return th_teardown(state);
}

/* SPEC U1 (with W5, W6, C9-C11, D7, D10, X1 under signals) */
static void test_u1_signal_storm(void **state)
{
	(void)state;
	struct bh_config cfg;

	storm_done = 0;
	assert_int_equal(pthread_create(&storm_wd, NULL, watchdog, NULL), 0);
	storm_wd_started = true;
	th_log_clear();
	th_config(&cfg, 2, false);
	cfg.hz = 1000;
	assert_int_equal(bh_init(&cfg), 0);
	wq = bh_alloc_workqueue("u1wq", BH_WQ_PERCPU, 0);
	bhwq = bh_alloc_workqueue("u1bh", BH_WQ_BH, 0);
	assert_non_null(wq);
	assert_non_null(bhwq);
	init_items();
	overlap = handler_calls = sig_done = 0;
	sync_checks = sync_violations = sync_stop = 0;

	th_set_handler(SIGUSR1, on_signal);
	assert_int_equal(pthread_create(&sync_th, NULL, syncer, NULL), 0);
	th_signal_storm(on_signal, 250, producers, NPROD, producer, signaller);
	th_st(&sync_stop, 1);
	assert_true(th_join(sync_th));

	th_set_handler(SIGUSR1, SIG_IGN);
	th_set_handler(SIGALRM, SIG_IGN);

	assert_true(th_ld(&handler_calls) > 0);
	assert_true(th_ld(&sync_checks) > 0);
	assert_int_equal(th_ld(&sync_violations), 0);
	settle_and_check();
	assert_int_equal(th_ld(&overlap), 0);
	wqt_assert_no_warnings();
	bh_destroy_workqueue(bhwq);
	bh_destroy_workqueue(wq);
	th_shutdown();
}

/*
 * The exact form: one thread sleeps in a _sync call or a flush, waiting
 * for a held callback, while SIGUSR1 (no SA_RESTART) lands on it again and
 * again. Each handler queues, mod-queues, cancels and disables side items;
 * the 20th releases the held callback (complete() is async-signal-safe).
 * The call must return only after the callback finished: an EINTR taken
 * for a wake-up would end it early.
 */
#define KILLS 20

static struct wqt_item held_it;
static struct wqt_ditem held_dw;
static struct sitem side[3];
static unsigned long kill_calls, side_disables;
static struct bh_completion *release_on_kill;

static void on_kill(int sig)
{
	int saved = errno;
	unsigned long n = __atomic_add_fetch(&kill_calls, 1, __ATOMIC_RELAXED);

	(void)sig;
	count(bh_queue_work(bhwq, &side[0].dw.work), &side[0].from_idle);
	count(!bh_mod_delayed_work(wq, &side[1].dw, n % 2), &side[1].from_idle);
	count(bh_cancel_delayed_work(&side[1].dw), &side[1].taken);
	count(bh_cancel_work(&side[0].dw.work), &side[0].taken);
	count(bh_queue_work(wq, &side[2].dw.work), &side[2].from_idle);
	count(bh_disable_work(&side[2].dw.work), &side[2].taken);
	th_inc(&side_disables);
	if (n == KILLS)
		bh_complete(release_on_kill);
	errno = saved;
}

struct sleeper {
	const char *name;
	bool (*call)(void *arg);
	bool delayed; /* waits on held_dw rather than held_it */
};

static bool s_flush_work(void *a)
{
	(void)a;
	return bh_flush_work(&held_it.w);
}
static bool s_flush_workqueue(void *a)
{
	(void)a;
	bh_flush_workqueue(wq);
	return true;
}
static bool s_cancel_work_sync(void *a)
{
	(void)a;
	return bh_cancel_work_sync(&held_it.w);
}
static bool s_disable_work_sync(void *a)
{
	(void)a;
	bool r = bh_disable_work_sync(&held_it.w);
	bh_enable_work(&held_it.w);
	return r;
}
static bool s_cancel_delayed_work_sync(void *a)
{
	(void)a;
	return bh_cancel_delayed_work_sync(&held_dw.dw);
}
static bool s_flush_delayed_work(void *a)
{
	(void)a;
	return bh_flush_delayed_work(&held_dw.dw);
}

static unsigned long finished_at_return;

static bool call_and_sample(void *a)
{
	const struct sleeper *sl = a;
	bool r = sl->call(NULL);

	finished_at_return = sl->delayed ? th_ld(&held_dw.finished)
					 : th_ld(&held_it.finished);
	return r;
}

/* SPEC U1: handlers interrupting a thread asleep in a flush or _sync. */
static void test_u1_handlers_interrupt_sleeping_calls(void **state)
{
	(void)state;
	static const struct sleeper sleepers[] = {
		{"flush_work", s_flush_work, false},
		{"flush_workqueue", s_flush_workqueue, false},
		{"cancel_work_sync", s_cancel_work_sync, false},
		{"disable_work_sync", s_disable_work_sync, false},
		{"cancel_delayed_work_sync", s_cancel_delayed_work_sync, true},
		{"flush_delayed_work", s_flush_delayed_work, true},
	};

	/*
	 * ThreadSanitizer holds an asynchronous signal back until the thread
	 * passes one of its interception points, which a thread asleep in a
	 * raw futex does not: the handlers would run only after the wait,
	 * not inside it, which is what this test is about.
	 */
	if (TH_TSAN) {
		skip();
		return;
	}
	th_init(2, false);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	wq = bh_alloc_workqueue("u1wq", BH_WQ_PERCPU, 0);
	bhwq = bh_alloc_workqueue("u1bh", BH_WQ_BH, 0);
	assert_non_null(wq);
	assert_non_null(bhwq);
	for (int i = 0; i < 3; i++) {
		memset(&side[i], 0, sizeof(side[i]));
		bh_delayed_work_init(&side[i].dw, sitem_fn);
	}
	th_set_interrupting_handler(SIGUSR1, on_kill);

	for (size_t k = 0; k < sizeof(sleepers) / sizeof(sleepers[0]); k++) {
		const struct sleeper *sl = &sleepers[k];
		struct wqt_call ca;

		kill_calls = 0;
		finished_at_return = 0;
		if (sl->delayed) {
			wqt_ditem_init(&held_dw, wq);
			th_st(&held_dw.held, 1);
			release_on_kill = &held_dw.go;
			assert_true(bh_queue_delayed_work(wq, &held_dw.dw, 0));
			assert_true(th_wait_ge(&held_dw.started, 1));
		} else {
			wqt_item_init(&held_it, wq);
			release_on_kill = &held_it.go;
			wqt_start_held(&held_it, 0);
		}
		wqt_call_start(&ca, call_and_sample, (void *)sl);
		assert_true(th_wait_ge(&ca.tid, 1));
		if (!th_kill_until(ca.th, SIGUSR1, &ca.done))
			fail_msg("%s: no return after %lu signals", sl->name,
				 th_ld(&kill_calls));
		wqt_call_join(&ca);
		if (finished_at_return != 1)
			fail_msg("%s returned before the callback finished "
				 "(after %lu signals)",
				 sl->name, th_ld(&kill_calls));
		assert_true(th_ld(&kill_calls) >= KILLS);
		assert_int_equal(th_ld(sl->delayed ? &held_dw.timeouts
						   : &held_it.timeouts),
				 0);
	}
	th_set_handler(SIGUSR1, SIG_IGN);

	/* Side items: settle, pay the disables back, check the counts. */
	for (unsigned long n = th_ld(&side_disables); n > 0; n--)
		bh_enable_work(&side[2].dw.work);
	bh_flush_delayed_work(&side[1].dw);
	bh_flush_work(&side[0].dw.work);
	bh_flush_work(&side[2].dw.work);
	bh_flush_workqueue(wq);
	bh_flush_workqueue(bhwq);
	for (int i = 0; i < 3; i++) {
		unsigned long q = th_ld(&side[i].from_idle),
			      r = th_ld(&side[i].runs),
			      t = th_ld(&side[i].taken);

		assert_int_equal(bh_work_busy(&side[i].dw.work), 0);
		if (q != r + t)
			fail_msg("side item %d: %lu queued from idle, but "
				 "%lu runs + %lu taken back",
				 i, q, r, t);
	}
	assert_int_equal(th_ld(&overlap), 0);
	wqt_assert_no_warnings();
	bh_destroy_workqueue(bhwq);
	bh_destroy_workqueue(wq);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_u1_signal_storm, storm_teardown),
		cmocka_unit_test_teardown(
			test_u1_handlers_interrupt_sleeping_calls, th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
