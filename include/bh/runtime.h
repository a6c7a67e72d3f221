/* SPDX-License-Identifier: MIT */
/*
 * The runtime: bh CPUs, their softirq threads, and the process-wide settings.
 *
 * A "bh CPU" is the library's stand-in for a kernel CPU. Each has its own
 * pending-softirq mask, tasklet lists and softirq thread, named
 * "ksoftirqd/N" so that `ps -L` and `top -H` show what it is. Work scheduled
 * from a thread goes to the bh CPU of the CPU that thread runs on (SPEC U5).
 *
 * Deterministic mode starts no thread at all and reads jiffies from a virtual
 * clock: a test steps each bh CPU with bh_run_softirqs() and moves time with
 * bh_advance_jiffies(), so state-machine tests never depend on the scheduler.
 */
#ifndef BH_RUNTIME_H
#define BH_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Upper bound on bh CPUs; the per-CPU state is static, so no allocation. */
#define BH_MAX_CPUS 256

/* Log levels, numbered as the kernel's KERN_EMERG .. KERN_DEBUG. */
enum bh_log_level {
	BH_LOG_EMERG = 0,
	BH_LOG_ALERT = 1,
	BH_LOG_CRIT = 2,
	BH_LOG_ERR = 3,
	BH_LOG_WARNING = 4,
	BH_LOG_NOTICE = 5,
	BH_LOG_INFO = 6,
	BH_LOG_DEBUG = 7,
};

/*
 * Log sink. Called with one complete message (possibly several lines, always
 * ending in '\n'). It may be called from any context the library runs code
 * in, a signal handler included, so it must be async-signal-safe if top
 * halves can warn. The default sink write(2)s to standard error.
 */
typedef void (*bh_log_fn)(void *arg, int level, const char *text, size_t len);

struct bh_config {
	/* Number of bh CPUs; 0 means the number of online CPUs. */
	int nr_cpus;
	/* Pin ksoftirqd/N to CPU N (when N is an online CPU). */
	bool pin_threads;
	/* No threads, virtual jiffies: tests step the runtime by hand. */
	bool deterministic;
	/* Ticks per second for jiffies, 10..10000; 0 means 250 (Kconfig's). */
	unsigned int hz;
	/*
	 * jiffies at bh_init(); 0 means the kernel's INITIAL_JIFFIES, five
	 * minutes before the low 32 bits wrap, so truncation bugs show early.
	 */
	unsigned long initial_jiffies;
	/* Make every WARN fatal (abort after the report), like panic_on_warn.
	 */
	bool warn_fatal;
	/* Where diagnostics and printk go; NULL means standard error. */
	bh_log_fn log;
	void *log_arg;
	/* Messages above this level are dropped; default BH_LOG_DEBUG (all). */
	int log_level;
	/*
	 * Workqueue tuning; 0 means the kernel's default. A per-CPU work item
	 * that runs this long without sleeping is marked CPU-intensive (F12;
	 * workqueue.cpu_intensive_thresh_us, 10000).
	 */
	unsigned int wq_cpu_intensive_thresh_us;
	/* A pool whose first item makes no progress this long is reported
	 * as a lockup (M13; workqueue.watchdog_thresh, 30 s). */
	unsigned int wq_watchdog_thresh_ms;
	/* Idle workers beyond the kernel's ratio retire after this long
	 * (IDLE_WORKER_TIMEOUT, 300 s). */
	unsigned int wq_idle_timeout_ms;
};

/* Fill *cfg with the defaults described above. */
BH_API void bh_config_init(struct bh_config *cfg);

/*
 * Start the runtime. cfg may be NULL for the defaults.
 * Returns 0, or: -EINVAL (a field out of range), -EALREADY (already running),
 * -ECHILD (called in a forked child while the parent's runtime was live: call
 * bh_shutdown() first, which in a child only forgets the parent's state),
 * -EAGAIN or another negative errno if a thread could not be created (the
 * runtime is then left stopped).
 * Not async-signal-safe. Must not be called concurrently with itself or
 * bh_shutdown().
 */
BH_API int bh_init(const struct bh_config *cfg);

/*
 * Stop the runtime. Everything pending is run first: softirqs, every
 * scheduled, enabled tasklet and every timer already due (repeatedly,
 * until nothing is pending). What still cannot run is cancelled, reported
 * with a warning naming it, and counted in the return value: a tasklet
 * scheduled but disabled (or rescheduling itself without end), and a timer
 * armed for later.
 * After return no library thread is left and every bh call fails with
 * -ENXIO until the next bh_init(). The caller must make sure no other thread
 * is still calling into the library.
 * Returns the number of tasklets and timers cancelled (>= 0), -ENXIO if
 * the runtime was not running, -EDEADLK from atomic context. May sleep.
 */
BH_API int bh_shutdown(void);

/* True between a successful bh_init() and bh_shutdown(). */
BH_API bool bh_running(void);

/* Number of bh CPUs of the running runtime (0 when stopped). */
BH_API int bh_nr_cpus(void);

/* The configured HZ (250 when stopped). */
BH_API unsigned int bh_hz(void);

/*
 * Make the calling thread behave as if it ran on bh CPU `cpu` (work it
 * schedules goes there, smp_processor_id() answers it), or pass -1 to go
 * back to following the real CPU (-1 is accepted at any time).
 * Returns 0, -EINVAL (cpu out of range), -EBUSY (inside an atomic section,
 * with a warning), -ENXIO (runtime not running), -ECHILD (forked child).
 */
BH_API int bh_thread_set_cpu(int cpu);

/*
 * Do one ksoftirqd loop for bh CPU `cpu` in the calling thread: if softirqs
 * are pending there, run them with the kernel's restart budget (SPEC S12).
 * Serialised with every other runner of that CPU. Callable in both modes;
 * this is how deterministic tests make bottom halves run.
 * Returns the number of softirq handler invocations, 0 if nothing was pending
 * (or another thread was running that CPU's softirqs), or -ENXIO, -ECHILD,
 * -EINVAL (bad cpu), -EDEADLK (called from atomic context).
 */
BH_API int bh_run_softirqs(int cpu);

/*
 * Run bh_run_softirqs() over every bh CPU until none has a softirq pending
 * that can make progress, at most `max_loops` rounds (0 means 1000).
 * Returns the total number of handler invocations or a negative errno.
 */
BH_API int bh_run_all(unsigned int max_loops);

/* Mask of softirq vectors pending on `cpu` (0 if out of range or stopped). */
BH_API unsigned int bh_softirq_pending(int cpu);

#ifdef __cplusplus
}
#endif

#endif
