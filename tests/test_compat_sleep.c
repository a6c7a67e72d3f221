/* SPDX-License-Identifier: MIT */
/*
 * The sleeping primitives in their kernel spellings (<linux/wait.h>,
 * <linux/completion.h>, <linux/mutex.h>, <linux/delay.h>, <linux/ktime.h>),
 * used as driver code uses them.
 *
 * The first half is a "driver" written against <linux/...> only:
 *   - a scull-style pipe: a FIFO under a mutex, readers sleeping on one
 *     wait queue with wait_event_interruptible() and writers on another;
 *   - the classic interrupt path: the top half schedules a tasklet, the
 *     tasklet complete()s, the process sleeping in wait_for_completion()
 *     wakes and reads the status the tasklet left;
 *   - a mutex-protected counter, and timing with ktime.
 * The second half is the test host. Threaded tests run on the real clock;
 * the timeout tests run in deterministic mode, where a waiter thread sleeps
 * on the virtual clock and the test moves it with bh_advance_jiffies(), so
 * every jiffy count asserted is exact. The only wall-clock assertions are
 * the lower bounds that msleep(), usleep_range(), udelay() and friends
 * guarantee.
 *
 * Callbacks never assert (a failure would longjmp out of the library in
 * the middle of a softirq): they record, and the tests assert afterwards.
 */
#define pr_fmt(fmt) "sleepmod: " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/types.h>
#include <linux/wait.h>

/* ---- the driver: kernel spellings only ------------------------------- */

/* A pipe in the style of LDD3's scullpipe, one int per "byte". */
#define PIPE_SIZE 8

struct pipedev {
	struct mutex lock;
	wait_queue_head_t inq;	/* readers wait for data */
	wait_queue_head_t outq; /* writers wait for room */
	int buf[PIPE_SIZE];	/* under lock */
	/* Written under lock; read without it by the wait conditions. */
	unsigned int rp, wp;
};

static struct pipedev pipedev = {
	.lock = __MUTEX_INITIALIZER(pipedev.lock),
	.inq = __WAIT_QUEUE_HEAD_INITIALIZER(pipedev.inq),
	.outq = __WAIT_QUEUE_HEAD_INITIALIZER(pipedev.outq),
};

static bool pipe_has_data(struct pipedev *d)
{
	return READ_ONCE(d->rp) != READ_ONCE(d->wp);
}

static bool pipe_has_room(struct pipedev *d)
{
	return READ_ONCE(d->wp) - READ_ONCE(d->rp) < PIPE_SIZE;
}

/* scull_p_read: drop the lock, sleep until there is data, retake it. */
static int pipe_read(struct pipedev *d, int *val)
{
	if (mutex_lock_interruptible(&d->lock))
		return -ERESTARTSYS;
	while (d->rp == d->wp) {
		mutex_unlock(&d->lock);
		if (wait_event_interruptible(d->inq, pipe_has_data(d)))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&d->lock))
			return -ERESTARTSYS;
	}
	*val = d->buf[d->rp % PIPE_SIZE];
	WRITE_ONCE(d->rp, d->rp + 1);
	mutex_unlock(&d->lock);
	wake_up_interruptible(&d->outq);
	return 0;
}

static int pipe_write(struct pipedev *d, int val)
{
	if (mutex_lock_interruptible(&d->lock))
		return -ERESTARTSYS;
	while (d->wp - d->rp == PIPE_SIZE) {
		mutex_unlock(&d->lock);
		if (wait_event_interruptible(d->outq, pipe_has_room(d)))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&d->lock))
			return -ERESTARTSYS;
	}
	d->buf[d->wp % PIPE_SIZE] = val;
	WRITE_ONCE(d->wp, d->wp + 1);
	mutex_unlock(&d->lock);
	wake_up_interruptible(&d->inq);
	return 0;
}

/*
 * A device whose interrupt is handled in two halves: the top half only
 * schedules the tasklet, the tasklet reads the "hardware" status and
 * completes the request the process is sleeping on.
 */
struct irqdev {
	struct tasklet_struct tasklet;
	struct completion done;
	int hw_status;	       /* the register the top half latched */
	int status;	       /* what the tasklet reports to the process */
	bool top_in_hardirq;   /* seen by the top half */
	bool bh_in_softirq;    /* seen by the tasklet */
	bool bh_may_not_sleep; /* in_atomic() in the tasklet */
};

static void irqdev_tasklet(struct tasklet_struct *t)
{
	struct irqdev *d = from_tasklet(d, t, tasklet);

	d->bh_in_softirq = in_serving_softirq() && !in_hardirq();
	d->bh_may_not_sleep = in_atomic();
	d->status = d->hw_status;
	complete(&d->done);
}

static int irqdev_interrupt(int irq, void *dev_id)
{
	struct irqdev *d = dev_id;

	(void)irq;
	d->top_in_hardirq = in_hardirq() && in_interrupt();
	d->hw_status = 0x5a;
	tasklet_schedule(&d->tasklet);
	return 1;
}

static struct irqdev irqdev;

static void irqdev_setup(struct irqdev *d)
{
	tasklet_setup(&d->tasklet, irqdev_tasklet);
	init_completion(&d->done);
	d->status = 0;
}

/* Process context: wait for the interrupt the request will raise. */
static int irqdev_wait_request(struct irqdev *d)
{
	wait_for_completion(&d->done);
	return d->status;
}

/* A counter under a statically defined mutex. */
static DEFINE_MUTEX(counter_lock);
static unsigned long locked_count;

static void counter_add(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		mutex_lock(&counter_lock);
		locked_count++;
		mutex_unlock(&counter_lock);
	}
}

/* How long an operation took, as a driver times its hardware. */
static s64 time_udelay_us(unsigned long usecs)
{
	ktime_t start = ktime_get();

	udelay(usecs);
	return ktime_us_delta(ktime_get(), start);
}

/* ---- the test host ----------------------------------------------------- */

#include <pthread.h>
#include <signal.h>
#include <stdlib.h> /* before harness.h, which uses getenv() */
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define NITEMS	 (TH_TSAN ? 2000 : 20000)
#define NCOUNTER (TH_TSAN ? 5000ul : 50000ul)

/* The return types are the kernel's (checked without evaluating). */
static void check_types(void)
{
	DECLARE_WAIT_QUEUE_HEAD(wq);
	DECLARE_COMPLETION(c);
	DEFINE_MUTEX(m);
	int cond = 0;

	_Static_assert(
		__builtin_types_compatible_p(
			__typeof__(wait_event_interruptible(wq, cond)), int),
		"wait_event_interruptible() is an int");
	_Static_assert(
		__builtin_types_compatible_p(
			__typeof__(wait_event_timeout(wq, cond, 1)), long),
		"wait_event_timeout() is a long");
	_Static_assert(__builtin_types_compatible_p(
			       __typeof__(wait_event_interruptible_timeout(
				       wq, cond, 1)),
			       long),
		       "wait_event_interruptible_timeout() is a long");
	_Static_assert(__builtin_types_compatible_p(
			       __typeof__(wait_for_completion_timeout(&c, 1)),
			       unsigned long),
		       "wait_for_completion_timeout() is an unsigned long");
	_Static_assert(
		__builtin_types_compatible_p(
			__typeof__(wait_for_completion_interruptible_timeout(
				&c, 1)),
			long),
		"wait_for_completion_interruptible_timeout() is a long");
	_Static_assert(
		__builtin_types_compatible_p(
			__typeof__(msleep_interruptible(1)), unsigned long),
		"msleep_interruptible() is an unsigned long");
	_Static_assert(__builtin_types_compatible_p(
			       __typeof__(mutex_trylock(&m)), int),
		       "mutex_trylock() is an int");
	_Static_assert(__builtin_types_compatible_p(ktime_t, s64),
		       "ktime_t is s64");
	_Static_assert(
		__builtin_types_compatible_p(__typeof__(ktime_get_ns()), u64),
		"ktime_get_ns() is a u64");
	_Static_assert(
		__builtin_types_compatible_p(__typeof__(ktime_to_us(0)), s64),
		"ktime_to_us() is an s64");
	_Static_assert(__builtin_types_compatible_p(struct completion,
						    struct bh_completion),
		       "struct completion is the native one");
	_Static_assert(
		__builtin_types_compatible_p(struct mutex, struct bh_mutex),
		"struct mutex is the native one");
	_Static_assert(__builtin_types_compatible_p(struct wait_queue_head,
						    wait_queue_head_t),
		       "both names of a wait queue head");
	(void)cond;
}

/* ---- pipe: producer thread, sleeping consumer ------------------------ */

static int producer_err;

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < NITEMS && !producer_err; i++)
		producer_err = pipe_write(&pipedev, i);
	return NULL;
}

/*
 * A reader and a writer on the wait queues and the mutex, each sleeping
 * whenever the 8-slot FIFO is empty or full: every item arrives, once, in
 * order, and no uninterrupted wait reports -ERESTARTSYS.
 */
static void test_pipe_producer_consumer(void **state)
{
	pthread_t th;
	int err = 0;

	(void)state;
	th_init_cpu0(1, false);
	assert_int_equal(pthread_create(&th, NULL, producer, NULL), 0);
	for (int i = 0; i < NITEMS && !err; i++) {
		int v = -1;
		err = pipe_read(&pipedev, &v);
		if (!err && v != i)
			fail_msg("item %d read as %d", i, v);
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(err, 0);
	assert_int_equal(producer_err, 0);
	assert_false(pipe_has_data(&pipedev));
	assert_false(mutex_is_locked(&pipedev.lock));
	assert_false(waitqueue_active(&pipedev.inq));
	assert_false(wq_has_sleeper(&pipedev.outq));
	th_shutdown();
}

/* ---- top half -> tasklet -> complete() -> sleeping process ------------ */

static struct completion *device_waits_for; /* fire once someone sleeps */

/* The device: raises its interrupt once the request is being waited on. */
static void *device(void *arg)
{
	(void)arg;
	bh_thread_set_cpu(0);
	/* Sleepers is the native count; the kernel's test would be the wait
	 * list. Bounded, so a waiter that never sleeps cannot hang us. */
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (!__atomic_load_n(&device_waits_for->sleepers,
				__ATOMIC_ACQUIRE) &&
	       !completion_done(device_waits_for) && th_now_ns() < deadline)
		sched_yield();
	irq_enter();
	irqdev_interrupt(17, &irqdev);
	irq_exit(); /* runs the tasklet, here or in ksoftirqd/0 */
	return NULL;
}

static void test_completion_from_tasklet(void **state)
{
	pthread_t th;

	(void)state;
	th_init_cpu0(1, false);
	for (int round = 0; round < 3; round++) {
		irqdev_setup(&irqdev);
		device_waits_for = &irqdev.done;
		assert_false(completion_done(&irqdev.done));
		assert_int_equal(pthread_create(&th, NULL, device, NULL), 0);
		assert_int_equal(irqdev_wait_request(&irqdev), 0x5a);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_true(irqdev.top_in_hardirq);
		assert_true(irqdev.bh_in_softirq);
		assert_true(irqdev.bh_may_not_sleep);
		/* complete() lets one waiter through: it was consumed. */
		assert_false(completion_done(&irqdev.done));
		assert_false(try_wait_for_completion(&irqdev.done));
		tasklet_kill(&irqdev.tasklet);
	}
	/* Nothing here may sleep in atomic context: no splat was logged. */
	assert_false(th_log_has("BUG:"));
	th_shutdown();
}

/* complete() counts; complete_all() opens the gate until reinit. */
static void test_completion_counting(void **state)
{
	DECLARE_COMPLETION_ONSTACK(c);
	struct completion onstack = COMPLETION_INITIALIZER_ONSTACK(onstack);
	struct {
		struct completion done;
	} s = {.done = COMPLETION_INITIALIZER(s.done)};

	(void)state;
	th_init_cpu0(1, true);
	assert_false(completion_done(&onstack));
	assert_false(try_wait_for_completion(&s.done));

	complete(&c);
	complete(&c);
	assert_true(completion_done(&c));
	wait_for_completion(&c); /* consumes one; does not sleep */
	assert_true(try_wait_for_completion(&c));
	assert_false(try_wait_for_completion(&c));
	assert_int_equal(wait_for_completion_interruptible_timeout(&c, 0), 0);

	complete_all(&c);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(wait_for_completion_interruptible(&c), 0);
		assert_int_equal(wait_for_completion_killable(&c), 0);
		wait_for_completion_io(&c);
	}
	assert_true(completion_done(&c));
	reinit_completion(&c);
	assert_false(completion_done(&c));
	complete(&c);
	INIT_COMPLETION(c); /* the 2.6-era name of reinit */
	assert_false(completion_done(&c));

	/* A completed wait with time left returns the time left. */
	complete(&c);
	assert_int_equal(wait_for_completion_timeout(&c, 10), 10);
	complete(&c);
	assert_int_equal(wait_for_completion_io_timeout(&c, 3), 3);
	complete(&c);
	assert_int_equal(wait_for_completion_killable_timeout(&c, 4), 4);
	assert_false(th_log_has("BUG:"));
	th_shutdown();
}

/* ---- the mutex ---------------------------------------------------------- */

static void *counter_thread(void *arg)
{
	counter_add(*(unsigned long *)arg);
	return NULL;
}

static void *try_from_other_thread(void *arg)
{
	return (void *)(intptr_t)mutex_trylock(arg);
}

static void *unlock_from_other_thread(void *arg)
{
	mutex_unlock(arg);
	return NULL;
}

static void test_mutex_counter(void **state)
{
	pthread_t th[2];
	unsigned long n = NCOUNTER;
	void *ret;

	(void)state;
	th_init_cpu0(1, false);
	locked_count = 0;
	for (int i = 0; i < 2; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, counter_thread, &n), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(locked_count, 2 * NCOUNTER);
	assert_false(mutex_is_locked(&counter_lock));

	/* Held here: another thread cannot take it without sleeping. */
	mutex_lock(&counter_lock);
	assert_true(mutex_is_locked(&counter_lock));
	assert_int_equal(pthread_create(&th[0], NULL, try_from_other_thread,
					&counter_lock),
			 0);
	assert_int_equal(pthread_join(th[0], &ret), 0);
	assert_int_equal((intptr_t)ret, 0);
	mutex_unlock(&counter_lock);

	assert_int_equal(mutex_trylock(&counter_lock), 1);
	mutex_unlock(&counter_lock);
	assert_int_equal(mutex_lock_interruptible(&counter_lock), 0);
	mutex_unlock(&counter_lock);
	assert_int_equal(mutex_lock_killable(&counter_lock), 0);
	mutex_unlock(&counter_lock);
	mutex_lock_nested(&counter_lock, 1);
	mutex_unlock(&counter_lock);
	assert_false(th_log_has("WARNING"));
	th_shutdown();
}

/* The CONFIG_DEBUG_MUTEXES-style reports, through the kernel spellings. */
static void test_mutex_debug_reports(void **state)
{
	struct {
		int x;
		struct mutex lock;
	} dev;
	pthread_t th;

	(void)state;
	th_init_cpu0(1, true);
	mutex_init(&dev.lock);
	assert_false(mutex_is_locked(&dev.lock));

	/* mutex_init() names the lock by its expression, as lockdep does. */
	mutex_lock(&dev.lock);
	mutex_destroy(&dev.lock);
	assert_true(th_log_has("mutex_destroy(&dev.lock"));
	assert_true(th_log_has("while held"));

	th_log_clear();
	assert_int_equal(
		pthread_create(&th, NULL, unlock_from_other_thread, &dev.lock),
		0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(th_log_has("mutex_unlock(&dev.lock"));
	assert_true(th_log_has("holds it"));
	assert_false(mutex_is_locked(&dev.lock)); /* it unlocks anyway */

	th_log_clear();
	mutex_unlock(&dev.lock);
	assert_true(th_log_has("is not locked"));

	/* SPEC U8: taking a mutex under a spinlock splats; trylock does not. */
	DEFINE_SPINLOCK(lock);
	th_log_clear();
	spin_lock(&lock);
	assert_int_equal(mutex_trylock(&dev.lock), 1);
	mutex_unlock(&dev.lock);
	assert_false(th_log_has("sleeping function called"));
	mutex_lock(&dev.lock);
	spin_unlock(&lock);
	assert_true(
		th_log_has("sleeping function called from invalid context"));
	mutex_unlock(&dev.lock);
	mutex_destroy(&dev.lock);
	th_shutdown();
}

/* ---- SPEC U8 from a tasklet: sleeping calls splat, wake-ups do not ----- */

static DECLARE_WAIT_QUEUE_HEAD(atomic_wq);
static DECLARE_COMPLETION(atomic_done);
static unsigned long atomic_step;

static void atomic_tasklet(struct tasklet_struct *t)
{
	(void)t;
	/* Any context: no splat. */
	wake_up(&atomic_wq);
	wake_up_all(&atomic_wq);
	wake_up_interruptible(&atomic_wq);
	complete(&atomic_done);
	(void)completion_done(&atomic_done);
	(void)try_wait_for_completion(&atomic_done);
	(void)waitqueue_active(&atomic_wq);
	ndelay(100);
	udelay(1);
	(void)ktime_get();
	th_st(&atomic_step, 1);
	/* May sleep: splats even though neither needs to sleep here. */
	wait_event(atomic_wq, true);
	th_st(&atomic_step, 2);
}

static DECLARE_TASKLET(atomic_tl, atomic_tasklet);

static void test_sleep_in_tasklet_splats(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	tasklet_schedule(&atomic_tl);
	assert_int_equal(bh_run_all(0), 1);
	assert_int_equal(th_ld(&atomic_step), 2);
	assert_true(
		th_log_has("sleeping function called from invalid context"));
	/* Exactly one splat: the wake-ups, complete() and udelay() made none.
	 */
	char *first = strstr(th_log.text, "sleeping function called");
	assert_non_null(first);
	assert_null(strstr(first + 1, "sleeping function called"));
	th_shutdown();
}

/* ---- timeouts on the virtual clock ------------------------------------ */

static DECLARE_WAIT_QUEUE_HEAD(vq);
static int vq_cond;
static struct completion vdone;

enum vwait_kind { V_EVENT, V_EVENT_INTR, V_COMPLETION, V_MSLEEP };

struct vwaiter {
	enum vwait_kind kind;
	unsigned long timeout; /* jiffies, or msecs for V_MSLEEP */
	pthread_t th;
	unsigned long start, end; /* jiffies before and after */
	long ret;
	unsigned long done;
};

static void *vwaiter_main(void *arg)
{
	struct vwaiter *w = arg;

	w->start = jiffies;
	switch (w->kind) {
	case V_EVENT:
		w->ret = wait_event_timeout(vq, READ_ONCE(vq_cond), w->timeout);
		break;
	case V_EVENT_INTR:
		w->ret = wait_event_interruptible_timeout(
			vq, READ_ONCE(vq_cond), w->timeout);
		break;
	case V_COMPLETION:
		w->ret = (long)wait_for_completion_timeout(&vdone, w->timeout);
		break;
	case V_MSLEEP:
		w->ret = (long)msleep_interruptible((unsigned int)w->timeout);
		break;
	}
	w->end = jiffies;
	th_st(&w->done, 1);
	return NULL;
}

static void vwaiter_start(struct vwaiter *w, enum vwait_kind kind,
			  unsigned long timeout)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->timeout = timeout;
	assert_int_equal(pthread_create(&w->th, NULL, vwaiter_main, w), 0);
	/* The start time is fixed once the waiter sleeps: only this thread
	 * moves the virtual clock. */
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	bool asleep = false;
	while (!asleep && th_now_ns() < deadline) {
		sched_yield();
		asleep = kind == V_COMPLETION
				 ? __atomic_load_n(&vdone.sleepers,
						   __ATOMIC_ACQUIRE) != 0
				 : waitqueue_active(&vq);
	}
	assert_true(asleep);
	assert_false(th_ld(&w->done));
}

static void vwaiter_join(struct vwaiter *w)
{
	assert_true(th_wait_ge(&w->done, 1));
	assert_int_equal(pthread_join(w->th, NULL), 0);
}

static void vstart(void)
{
	th_init_cpu0(1, true);
	WRITE_ONCE(vq_cond, 0);
	init_completion(&vdone);
}

/* wait_event_timeout(): 0 only once the whole timeout has passed. */
static void test_wait_event_timeout_virtual(void **state)
{
	struct vwaiter w;

	(void)state;
	vstart();
	vwaiter_start(&w, V_EVENT, 10);
	assert_int_equal(bh_advance_jiffies(9), 0);
	/* A waiter that gave up now would record start + 9. */
	assert_int_equal(bh_advance_jiffies(1), 0);
	vwaiter_join(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.end - w.start, 10);
	th_shutdown();
}

/* The condition coming true first: the jiffies left, exactly. */
static void test_wait_event_woken_virtual(void **state)
{
	struct vwaiter w;

	(void)state;
	vstart();
	vwaiter_start(&w, V_EVENT, 10);
	assert_int_equal(bh_advance_jiffies(4), 0);
	WRITE_ONCE(vq_cond, 1);
	wake_up(&vq);
	vwaiter_join(&w);
	assert_int_equal(w.ret, 6);
	assert_int_equal(w.end - w.start, 4);

	/* Already true: the whole timeout is left, and no sleep. */
	assert_int_equal(wait_event_timeout(vq, READ_ONCE(vq_cond), 7), 7);
	assert_int_equal(
		wait_event_interruptible_timeout(vq, READ_ONCE(vq_cond), 7), 7);
	assert_int_equal(wait_event_idle_timeout(vq, READ_ONCE(vq_cond), 7), 7);
	wait_event(vq, READ_ONCE(vq_cond));
	wait_event_idle(vq, READ_ONCE(vq_cond));
	assert_int_equal(wait_event_interruptible(vq, READ_ONCE(vq_cond)), 0);
	assert_int_equal(wait_event_killable(vq, READ_ONCE(vq_cond)), 0);
	th_shutdown();
}

static void test_completion_timeout_virtual(void **state)
{
	struct vwaiter w;

	(void)state;
	vstart();
	vwaiter_start(&w, V_COMPLETION, 10);
	assert_int_equal(bh_advance_jiffies(7), 0);
	complete(&vdone);
	vwaiter_join(&w);
	assert_int_equal(w.ret, 3);
	assert_int_equal(w.end - w.start, 7);

	vwaiter_start(&w, V_COMPLETION, 5);
	assert_int_equal(bh_advance_jiffies(4), 0);
	assert_int_equal(bh_advance_jiffies(1), 0);
	vwaiter_join(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.end - w.start, 5);
	th_shutdown();
}

/*
 * msleep() sleeps at least msecs_to_jiffies(msecs) + 1 jiffies, as the
 * kernel's, on the virtual clock: advance one jiffy at a time until it
 * wakes.
 */
static void test_msleep_virtual(void **state)
{
	struct vwaiter w;

	(void)state;
	vstart();
	memset(&w, 0, sizeof(w));
	w.kind = V_MSLEEP;
	w.timeout = 20;
	assert_int_equal(pthread_create(&w.th, NULL, vwaiter_main, &w), 0);
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (!th_ld(&w.done) && th_now_ns() < deadline) {
		assert_int_equal(bh_advance_jiffies(1), 0);
		sched_yield();
	}
	vwaiter_join(&w);
	assert_int_equal(w.ret, 0); /* not interrupted: nothing left */
	assert_true(w.end - w.start >= msecs_to_jiffies(20) + 1);
	th_shutdown();
}

/* ---- interruptible: a signal handler ran on the waiting thread ------- */

static unsigned long handled;

static void count_signal(int sig)
{
	(void)sig;
	th_inc(&handled);
}

/*
 * Send `sig` to `th` until *done: a handler that runs just before the
 * thread blocks cannot end a wait that has not begun, so one signal is
 * not enough; the storm ends when the wait does.
 */
static void signal_until(pthread_t th, const unsigned long *done)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (!th_ld(done) && th_now_ns() < deadline) {
		pthread_kill(th, SIGUSR1);
		sched_yield();
	}
}

/* A handler without SA_RESTART, as a program that wants EINTR installs. */
static void set_interrupting_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_signal;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
}

static int intr_ret;
static unsigned long intr_done;

static void *intr_reader(void *arg)
{
	int v;

	(void)arg;
	intr_ret = pipe_read(&pipedev, &v); /* the pipe stays empty */
	th_st(&intr_done, 1);
	return NULL;
}

static void *intr_locker(void *arg)
{
	intr_ret = mutex_lock_interruptible(arg);
	th_st(&intr_done, 1);
	return NULL;
}

static void *intr_completion(void *arg)
{
	intr_ret = wait_for_completion_interruptible(arg);
	th_st(&intr_done, 1);
	return NULL;
}

static void run_interrupted(void *(*fn)(void *), void *arg)
{
	pthread_t th;

	th_st(&intr_done, 0);
	th_st(&handled, 0);
	intr_ret = 1;
	assert_int_equal(pthread_create(&th, NULL, fn, arg), 0);
	signal_until(th, &intr_done);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(th_ld(&intr_done));
	assert_true(th_ld(&handled) >= 1);
}

static void test_interruptible_waits(void **state)
{
	DEFINE_MUTEX(held);
	DECLARE_COMPLETION(never);

	(void)state;
	th_init_cpu0(1, false);
	set_interrupting_handler();

	/* wait_event_interruptible() in the reader: -ERESTARTSYS up. */
	run_interrupted(intr_reader, NULL);
	assert_int_equal(intr_ret, -ERESTARTSYS);

	run_interrupted(intr_completion, &never);
	assert_int_equal(intr_ret, -ERESTARTSYS);
	assert_false(completion_done(&never));

	mutex_lock(&held);
	run_interrupted(intr_locker, &held);
	assert_int_equal(intr_ret, -EINTR);
	mutex_unlock(&held);
	assert_false(mutex_is_locked(&held));

	th_set_handler(SIGUSR1, SIG_IGN);
	th_shutdown();
}

/* Timed interruptible forms, in deterministic mode. */
static void test_interruptible_timeout_virtual(void **state)
{
	struct vwaiter w;

	(void)state;
	vstart();
	set_interrupting_handler();
	th_st(&handled, 0);
	vwaiter_start(&w, V_EVENT_INTR, 10);
	signal_until(w.th, &w.done);
	vwaiter_join(&w);
	assert_int_equal(w.ret, -ERESTARTSYS);
	assert_int_equal(w.end, w.start); /* no time has passed */

	th_st(&handled, 0);
	memset(&w, 0, sizeof(w));
	w.kind = V_MSLEEP;
	w.timeout = 40;
	assert_int_equal(pthread_create(&w.th, NULL, vwaiter_main, &w), 0);
	signal_until(w.th, &w.done);
	vwaiter_join(&w);
	/* Ended early with the time left: all of it, as no jiffy passed. */
	assert_int_equal(w.end, w.start);
	assert_int_equal(w.ret, jiffies_to_msecs(msecs_to_jiffies(40) + 1));
	th_set_handler(SIGUSR1, SIG_IGN);
	th_shutdown();
}

/* ---- delays and ktime on the real clock ------------------------------ */

static void test_delays_real_clock(void **state)
{
	(void)state;
	th_init_cpu0(1, false);

	/* The lower bounds each call guarantees, in ktime. */
	assert_true(time_udelay_us(200) >= 200);

	ktime_t t0 = ktime_get();
	ndelay(5000);
	assert_true(ktime_to_ns(ktime_sub(ktime_get(), t0)) >= 5000);

	t0 = ktime_get();
	mdelay(1);
	assert_true(ktime_us_delta(ktime_get(), t0) >= 1000);

	t0 = ktime_get();
	usleep_range(300, 400);
	assert_true(ktime_us_delta(ktime_get(), t0) >= 300);

	t0 = ktime_get();
	fsleep(5);  /* spins */
	fsleep(50); /* usleep_range(50, 100) */
	assert_true(ktime_us_delta(ktime_get(), t0) >= 55);

	unsigned long j0 = jiffies;
	t0 = ktime_get();
	msleep(2);
	assert_true(ktime_ms_delta(ktime_get(), t0) >= 2);
	/* Rounded up to a jiffy, plus one: two jiffy boundaries passed. */
	assert_true(time_after_eq(jiffies, j0 + msecs_to_jiffies(2) + 1));
	assert_int_equal(msleep_interruptible(1), 0);
	assert_false(th_log_has("BUG:"));
	th_shutdown();
}

static void test_ktime(void **state)
{
	(void)state;
	check_types();

	assert_int_equal(ktime_set(1, 500), NSEC_PER_SEC + 500);
	assert_int_equal(ktime_set(KTIME_SEC_MAX, 0), KTIME_MAX);
	assert_int_equal(ktime_to_ns(ns_to_ktime(123456789)), 123456789);
	assert_int_equal(ktime_to_us(ns_to_ktime(123456789)), 123456);
	assert_int_equal(ktime_to_ms(ns_to_ktime(123456789)), 123);
	assert_int_equal(ms_to_ktime(7), 7 * NSEC_PER_MSEC);
	assert_int_equal(us_to_ktime(7), 7 * NSEC_PER_USEC);
	assert_int_equal(ktime_add(ms_to_ktime(2), us_to_ktime(3)), 2003000);
	assert_int_equal(ktime_sub(ms_to_ktime(2), us_to_ktime(3)), 1997000);
	assert_int_equal(ktime_add_ns(0, 5), 5);
	assert_int_equal(ktime_sub_ns(0, 5), -5);
	assert_int_equal(ktime_add_us(0, 5), 5000);
	assert_int_equal(ktime_sub_us(0, 5), -5000);
	assert_int_equal(ktime_add_ms(0, 5), 5000000);
	assert_int_equal(ktime_sub_ms(0, 5), -5000000);
	assert_int_equal(ktime_divns(ms_to_ktime(3), NSEC_PER_MSEC), 3);
	/* Truncation toward zero, as the kernel's 64-bit division. */
	assert_int_equal(ktime_to_us(-1999), -1);
	assert_int_equal(ktime_us_delta(ms_to_ktime(5), ms_to_ktime(2)), 3000);
	assert_int_equal(ktime_ms_delta(ms_to_ktime(2), ms_to_ktime(5)), -3);

	assert_true(ktime_compare(1, 2) < 0);
	assert_true(ktime_compare(2, 1) > 0);
	assert_int_equal(ktime_compare(2, 2), 0);
	assert_true(ktime_after(2, 1));
	assert_false(ktime_after(1, 1));
	assert_true(ktime_before(1, 2));
	assert_false(ktime_before(2, 2));
	assert_true(ktime_before(KTIME_MIN, KTIME_MAX));

	/* Monotonic and consistent between the ns and ktime reads. */
	ktime_t a = ktime_get();
	u64 ns = ktime_get_ns();
	ktime_t b = ktime_get();
	assert_true(a <= (s64)ns && (s64)ns <= b);
	assert_false(ktime_before(b, a));
	/* The real clock is after 2020-01-01 (1577836800 s). */
	assert_true(ktime_get_real_ns() > 1577836800ull * NSEC_PER_SEC);
	assert_true(ktime_get_real() > ktime_set(1577836800, 0));
	assert_int_equal(MSEC_PER_SEC * USEC_PER_MSEC, USEC_PER_SEC);
	assert_int_equal(USEC_PER_SEC * NSEC_PER_USEC, NSEC_PER_SEC);
	assert_int_equal(NSEC_PER_MSEC * MSEC_PER_SEC, NSEC_PER_SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ktime),
		cmocka_unit_test_teardown(test_pipe_producer_consumer,
					  th_teardown),
		cmocka_unit_test_teardown(test_completion_from_tasklet,
					  th_teardown),
		cmocka_unit_test_teardown(test_completion_counting,
					  th_teardown),
		cmocka_unit_test_teardown(test_mutex_counter, th_teardown),
		cmocka_unit_test_teardown(test_mutex_debug_reports,
					  th_teardown),
		cmocka_unit_test_teardown(test_sleep_in_tasklet_splats,
					  th_teardown),
		cmocka_unit_test_teardown(test_wait_event_timeout_virtual,
					  th_teardown),
		cmocka_unit_test_teardown(test_wait_event_woken_virtual,
					  th_teardown),
		cmocka_unit_test_teardown(test_completion_timeout_virtual,
					  th_teardown),
		cmocka_unit_test_teardown(test_msleep_virtual, th_teardown),
		cmocka_unit_test_teardown(test_interruptible_waits,
					  th_teardown),
		cmocka_unit_test_teardown(test_interruptible_timeout_virtual,
					  th_teardown),
		cmocka_unit_test_teardown(test_delays_real_clock, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
