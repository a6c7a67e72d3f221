// SPDX-License-Identifier: MIT
/*
 * The runtime: configuration, bh_init()/bh_shutdown(), the ksoftirqd/N
 * threads, and what happens across fork().
 */
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workqueue_internal.h"

struct bh__runtime bh__rt = {.hz = 250};
struct bh__cpu bh__cpus[BH_MAX_CPUS];

/* Bumped at each bh_init(): "once" warnings are once per runtime. */
static unsigned long warn_generation = 1; /* A */

unsigned long bh__warn_generation(void)
{
	return __atomic_load_n(&warn_generation, __ATOMIC_RELAXED);
}

const char *bh_version(void)
{
	return BH_VERSION_STRING;
}

void bh_config_init(struct bh_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->hz = 250;
	cfg->log_level = BH_LOG_DEBUG;
}

bool bh_running(void)
{
	return bh__live();
}

int bh_nr_cpus(void)
{
	return bh__live() ? bh__rt.nr_cpus : 0;
}

unsigned int bh_hz(void)
{
	return bh__rt.hz ? bh__rt.hz : 250;
}

int bh__dead_error(const char *what)
{
	if (__atomic_load_n(&bh__rt.forked, __ATOMIC_RELAXED)) {
		BH_WARN_ONCE(1,
			     "bh: %s() in a child forked from a process whose "
			     "runtime was running: the parent's runtime is not "
			     "usable here; call bh_shutdown() and bh_init() in "
			     "the child",
			     what);
		return -ECHILD;
	}
	BH_WARN_ONCE(1,
		     "bh: %s() while the runtime is not running (before "
		     "bh_init() or after bh_shutdown())",
		     what);
	return -ENXIO;
}

int bh_thread_set_cpu(int cpu)
{
	struct bh__thread *s = &bh__self;
	if (cpu == -1) {
		s->override_cpu1 = 0;
		return 0;
	}
	if (!bh__live())
		return bh__dead_error("bh_thread_set_cpu");
	if (cpu < 0 || cpu >= bh__rt.nr_cpus)
		return -EINVAL;
	if (s->preempt_count || s->irqs_off) {
		BH_WARN(1, "bh: bh_thread_set_cpu(%d) inside an atomic section",
			cpu);
		return -EBUSY;
	}
	s->override_cpu1 = cpu + 1;
	return 0;
}

/* ---- ksoftirqd/N ------------------------------------------------------ */

/* "ksoftirqd/N", cut to the 15 characters a thread name may have. */
static void ksoftirqd_name(int id, char name[16])
{
	char buf[32];
	snprintf(buf, sizeof(buf), "ksoftirqd/%d", id);
	memcpy(name, buf, 15);
	name[15] = '\0';
}

static void *ksoftirqd_main(void *arg)
{
	bh__spawned();
	struct bh__cpu *c = arg;
	struct bh__thread *s = &bh__self;
	char name[16];

	ksoftirqd_name(c->id, name);
	pthread_setname_np(pthread_self(), name);
	s->is_ksoftirqd = true;
	s->override_cpu1 = c->id + 1;
	__atomic_store_n(&c->tid, bh__gettid(), __ATOMIC_RELAXED);

	for (;;) {
		uint32_t v = __atomic_load_n(&c->pending, __ATOMIC_ACQUIRE);
		/* smp.c: a cross-CPU call is this CPU's hardirq; it comes
		 * before softirqs, as an IPI interrupts them. */
		if (v & BH__PENDING_IPI) {
			bh__smp_ipi(c);
			continue;
		}
		if (v & BH__PENDING_MASK) {
			bh__do_softirq(c);
			/*
			 * S19: cond_resched() between loops. Still pending
			 * means the budget ran out or a tasklet runs on
			 * another CPU: let others have the CPU first.
			 */
			if (__atomic_load_n(&c->pending, __ATOMIC_RELAXED) &
			    BH__PENDING_MASK)
				sched_yield();
			continue;
		}
		if (v & BH__PENDING_STOP)
			break;
		if (v & BH__PENDING_REPROGRAM) {
			__atomic_fetch_and(&c->pending, ~BH__PENDING_REPROGRAM,
					   __ATOMIC_ACQ_REL);
			continue;
		}
		/*
		 * The CPU is awake: run what is due, deferrable timers
		 * included (K8), before going to sleep.
		 */
		if (bh__timer_check(c, true))
			continue;
		/* No tick: sleep until the earliest non-deferrable expiry. */
		unsigned long when;
		long timeout_ns = -1;
		if (bh__timer_program(c, &when)) {
			int64_t left = (int64_t)(bh__jiffy_start_ns(when) -
						 bh__monotonic_ns());
			timeout_ns = left > 0 ? (long)left : 0;
		}
		/*
		 * Announce sleep only from an empty mask: a raise (or a kick
		 * for an earlier timer) after this CAS sees SLEEPING in its
		 * fetch_or result and wakes us; one before it makes the CAS
		 * fail.
		 */
		if (!(v & BH__PENDING_SLEEPING)) {
			uint32_t expect = v;
			if (!__atomic_compare_exchange_n(
				    &c->pending, &expect,
				    v | BH__PENDING_SLEEPING, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
				continue;
			v |= BH__PENDING_SLEEPING;
		}
		if (timeout_ns != 0)
			bh__futex_wait(&c->pending, v, timeout_ns);
		__atomic_fetch_and(&c->pending, ~BH__PENDING_SLEEPING,
				   __ATOMIC_RELAXED);
	}
	__atomic_store_n(&c->tid, 0, __ATOMIC_RELAXED);
	return NULL;
}

static void stop_threads(int n)
{
	for (int i = 0; i < n; i++) {
		struct bh__cpu *c = &bh__cpus[i];
		if (!c->has_thread)
			continue;
		__atomic_fetch_or(&c->pending, BH__PENDING_STOP,
				  __ATOMIC_SEQ_CST);
		bh__futex_wake(&c->pending, 1);
		pthread_join(c->thread, NULL);
		c->has_thread = false;
		__atomic_fetch_and(&c->pending, ~BH__PENDING_STOP,
				   __ATOMIC_RELAXED);
	}
}

static int start_threads(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	for (int i = 0; i < bh__rt.nr_cpus; i++) {
		struct bh__cpu *c = &bh__cpus[i];
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		if (bh__rt.pin_threads && i < online) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(i, &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		int err =
			bh__spawn(&c->thread, &attr, ksoftirqd_main, c, false);
		pthread_attr_destroy(&attr);
		if (err) {
			bh_printk(BH_LOG_ERR,
				  "bh: cannot create ksoftirqd/%d: %s\n", i,
				  strerror(err));
			stop_threads(i);
			return -err;
		}
		c->has_thread = true;
		/*
		 * Name it from here too, so `ps -L` shows ksoftirqd/N as soon
		 * as bh_init() returns (the thread names itself as well).
		 */
		char name[16];
		ksoftirqd_name(i, name);
		pthread_setname_np(c->thread, name);
	}
	return 0;
}

/* ---- fork ------------------------------------------------------------- */

static void atfork_child(void)
{
	/*
	 * SPEC U7: the child has none of the parent's threads; make every
	 * call fail with -ECHILD until it shuts the copy down and starts its
	 * own. The one lock held across fork is the spawn lock (so that no
	 * thread of the library is half-started at fork time); it is
	 * released here. Pool locks are not held across fork: the child's
	 * bh_shutdown() does not take them while it is a fork copy.
	 */
	bh__spawn_fork_child();
	bh__slab_fork_child();
	bh__hrtimer_fork_child();
	bh__self.tid = 0;
	if (__atomic_load_n(&bh__rt.state, __ATOMIC_RELAXED) == BH__RUNNING) {
		__atomic_store_n(&bh__rt.forked, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&bh__rt.live, 0, __ATOMIC_RELAXED);
	}
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void register_atfork(void)
{
	pthread_atfork(bh__spawn_fork_prepare, bh__spawn_fork_parent,
		       atfork_child);
	/* Load the unwinder now, not inside a signal handler later. */
	void *frames[2];
	backtrace(frames, 2);
}

/* ---- init / shutdown -------------------------------------------------- */

static int check_config(const struct bh_config *cfg, int *nr_cpus)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (online < 1)
		online = 1;
	*nr_cpus = cfg->nr_cpus
			   ? cfg->nr_cpus
			   : (int)(online < BH_MAX_CPUS ? online : BH_MAX_CPUS);
	if (cfg->nr_cpus < 0 || *nr_cpus > BH_MAX_CPUS)
		return -EINVAL;
	if (cfg->hz && (cfg->hz < 10 || cfg->hz > 10000))
		return -EINVAL;
	if (cfg->log_level < BH_LOG_EMERG || cfg->log_level > BH_LOG_DEBUG)
		return -EINVAL;
	return 0;
}

int bh_init(const struct bh_config *cfg)
{
	struct bh_config defaults;
	int nr_cpus, err;

	pthread_once(&atfork_once, register_atfork);
	if (__atomic_load_n(&bh__rt.forked, __ATOMIC_RELAXED))
		return -ECHILD;
	if (__atomic_load_n(&bh__rt.state, __ATOMIC_RELAXED) == BH__RUNNING)
		return -EALREADY;
	if (!cfg) {
		bh_config_init(&defaults);
		cfg = &defaults;
	}
	err = check_config(cfg, &nr_cpus);
	if (err)
		return err;

	unsigned int hz = cfg->hz ? cfg->hz : 250;
	bh__rt.nr_cpus = nr_cpus;
	bh__cpumask_set_online(nr_cpus);
	bh__rt.hz = hz;
	bh__rt.tick_ns = 1000000000u / hz;
	bh__rt.deterministic = cfg->deterministic;
	bh__rt.warn_fatal = cfg->warn_fatal;
	bh__rt.pin_threads = cfg->pin_threads;
	bh__rt.log = cfg->log;
	bh__rt.log_arg = cfg->log_arg;
	bh__rt.log_level = cfg->log_level;
	/* Before the first allocation, and reporting through cfg->log. */
	bh__fault_from_env();
	bh__rt.wq_intensive_ns =
		1000ull * (cfg->wq_cpu_intensive_thresh_us
				   ? cfg->wq_cpu_intensive_thresh_us
				   : 10000u);
	bh__rt.wq_watchdog_ns =
		1000000ull * (cfg->wq_watchdog_thresh_ms
				      ? cfg->wq_watchdog_thresh_ms
				      : 30000u);
	bh__rt.wq_idle_ns =
		1000000ull *
		(cfg->wq_idle_timeout_ms ? cfg->wq_idle_timeout_ms : 300000u);
	/* The kernel's INITIAL_JIFFIES: low 32 bits wrap 300 s after boot. */
	bh__rt.initial_jiffies =
		cfg->initial_jiffies
			? cfg->initial_jiffies
			: (unsigned long)(unsigned int)(-300 * (int)hz);
	bh__rt.clock_base_ns = bh__monotonic_ns();
	__atomic_store_n(&bh__rt.virtual_ticks, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&bh__rt.warn_count, 0, __ATOMIC_RELAXED);
	/* S13: MAX_SOFTIRQ_TIME is msecs_to_jiffies(2). */
	bh__rt.max_softirq_time = bh_msecs_to_jiffies(BH_MAX_SOFTIRQ_TIME_MS);
	for (size_t i = 0;
	     i < sizeof(bh__rt.cpu_map) / sizeof(bh__rt.cpu_map[0]); i++)
		bh__rt.cpu_map[i] = (uint16_t)(i % (size_t)nr_cpus);
	for (int i = 0; i < nr_cpus; i++) {
		memset(&bh__cpus[i], 0, sizeof(bh__cpus[i]));
		bh__cpus[i].id = i;
	}
	for (int i = 0; i < nr_cpus; i++)
		bh__timer_base_init(&bh__cpus[i]);
	__atomic_fetch_add(&warn_generation, 1, __ATOMIC_RELAXED);
	bh__log_reset_clock();
	bh__softirq_install(BH_HI_SOFTIRQ, bh__bh_vector);
	bh__softirq_install(BH_TASKLET_SOFTIRQ, bh__bh_vector);
	bh__softirq_install(BH_TIMER_SOFTIRQ, bh__timer_action);
	bh__hrtimer_install();
	bh__irq_init();
	bh__smp_init(); /* smp.c: empty cross-CPU call queues */
	bh__defer_reset();

	__atomic_store_n(&bh__rt.state, BH__RUNNING, __ATOMIC_RELEASE);
	__atomic_store_n(&bh__rt.live, 1, __ATOMIC_RELEASE);
	if (!cfg->deterministic) {
		err = start_threads();
		if (err) {
			__atomic_store_n(&bh__rt.live, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&bh__rt.state, BH__STOPPED,
					 __ATOMIC_RELEASE);
			return err;
		}
	}
	/* Workers exist in both modes: work items run in process context. */
	err = bh__wq_init();
	if (err) {
		bh_shutdown();
		return err;
	}
	return 0;
}

/* Rounds of draining at shutdown before a tasklet that keeps rescheduling
 * itself is declared unstoppable and cancelled. */
#define BH__SHUTDOWN_ROUNDS 100

int bh_shutdown(void)
{
	if (__atomic_load_n(&bh__rt.forked, __ATOMIC_RELAXED)) {
		/* A fork child forgets the parent's runtime: nothing to join.
		 */
		__atomic_store_n(&bh__rt.forked, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&bh__rt.state, BH__STOPPED, __ATOMIC_RELEASE);
		return 0;
	}
	if (__atomic_load_n(&bh__rt.state, __ATOMIC_RELAXED) != BH__RUNNING)
		return -ENXIO;
	if (!bh_might_sleep())
		return -EDEADLK;
	/* Top halves first: what they queue is then drained below. */
	bh__irq_shutdown();
	/* Then the hrtimers: their callbacks queue bottom halves too.
	 * Those still armed are cancelled and counted (U6). */
	int hrtimers_left = bh__hrtimer_shutdown();

	/* U6: queued work runs first, while the softirq threads still
	 * run BH items and fire timers for delayed work. */
	bh__wq_quiesce();
	stop_threads(bh__rt.nr_cpus);

	/*
	 * U6: nothing is dropped silently. Run what is pending, including
	 * what the bottom halves schedule while we drain, then cancel and
	 * report what still cannot run (disabled, or rescheduling itself
	 * without end).
	 */
	for (int round = 0; round < BH__SHUTDOWN_ROUNDS; round++) {
		int ran = 0;
		for (int i = 0; i < bh__rt.nr_cpus; i++) {
			ran += bh__smp_flush(i); /* smp.c: calls left queued */
			bh__timer_check(&bh__cpus[i],
					true); /* due timers run */
			ran += bh__do_softirq(&bh__cpus[i]);
		}
		ran += (int)bh__wq_quiesce();
		if (!ran)
			break;
	}
	int left = hrtimers_left;
	for (int i = 0; i < bh__rt.nr_cpus; i++) {
		left += bh__tasklet_cancel_leftovers(&bh__cpus[i]);
	}
	/* Before the timers: armed delayed work is reported as such. */
	left += bh__wq_shutdown();
	for (int i = 0; i < bh__rt.nr_cpus; i++)
		left += bh__timer_cancel_leftovers(&bh__cpus[i]);

	__atomic_store_n(&bh__rt.live, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&bh__rt.state, BH__STOPPED, __ATOMIC_RELEASE);
	return left;
}
