/* SPDX-License-Identifier: MIT */
/*
 * The signal storm (SPEC U1): a signaller thread sends a real-time signal
 * (SIGRTMIN+2: queued, so none is absorbed by one already pending, as a
 * standard signal would be) with pthread_kill() to the worker threads,
 * --signal-hz times a second in all, so the handler lands anywhere in them,
 * inside the library included. The handler makes the calls U1 names
 * async-signal-safe: tasklet schedule and hi_schedule, raise_softirq,
 * queue_work, queue_delayed_work, mod_delayed_work, cancel_work,
 * cancel_delayed_work, mod_timer, timer_delete, complete and wake_up, on the
 * same objects the threads use (through the slots, whose entry never waits).
 *
 * It is installed without SA_RESTART, so a library sleep it
 * interrupts sees EINTR and must carry on by itself.
 */
#include "torture.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct bh_completion tt_sig_completion;
struct bh_wait_queue_head tt_sig_waitq;
int tt_sig_flag;

extern struct tt_thread *tt_workers;
extern int tt_nworkers;

unsigned long tt_signals_sent;
int tt_storm_sig;
static pthread_t signaller_th;
static int signaller_stop;
static struct tt_thread signaller_self;

static void on_storm(int sig)
{
	int saved = errno;
	struct tt_thread *me = tt_self;
	uint64_t *rng;

	(void)sig;
	if (!me)
		goto out;
	tt_in_handler++;
	rng = &me->sig_rng;
	tt_count_op(TK_SIGNAL);
	switch (tt_below(rng, 8)) {
	case 0:
		tt_tasklets.sig(rng);
		break;
	case 1:
		tt_softirqs.sig(rng);
		break;
	case 2:
		tt_timers.sig(rng);
		break;
	case 3:
		tt_wq_life.sig(rng);
		break;
	case 4:
		/* complete() and wake_up() for the waiters of main.c */
		bh_complete(&tt_sig_completion);
		__atomic_store_n(&tt_sig_flag, 1, __ATOMIC_RELEASE);
		bh_wake_up(&tt_sig_waitq);
		break;
	default:
		tt_works.sig(rng);
		break;
	}
	tt_in_handler--;
out:
	errno = saved;
}

static void *signaller(void *arg)
{
	unsigned long hz = tt_opts.signal_hz, sent = 0;
	uint64_t start = tt_now_ns();
	int next = 0;

	(void)arg;
	tt_thread_register(&signaller_self, -1);
	while (!__atomic_load_n(&signaller_stop, __ATOMIC_ACQUIRE)) {
		/* Pace by the clock: as many as are due, then ~1 ms off. */
		uint64_t due = (tt_now_ns() - start) / 1000 * hz / 1000000;

		tt_op_begin("sending signals");
		for (; sent < due; sent++) {
			if (pthread_kill(tt_workers[next].th, tt_storm_sig) ==
			    0)
				__atomic_fetch_add(&tt_signals_sent, 1,
						   __ATOMIC_RELAXED);
			next = (next + 1) % tt_nworkers;
			if (__atomic_load_n(&signaller_stop, __ATOMIC_RELAXED))
				break;
		}
		tt_op_end();
		tt_pause_us(1000);
	}
	tt_thread_unregister(&signaller_self);
	return NULL;
}

int tt_storm_start(void)
{
	struct sigaction sa;

	bh_init_completion(&tt_sig_completion);
	bh_init_waitqueue_head(&tt_sig_waitq);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_storm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: see above */
	if (sigaction(tt_storm_sig, &sa, NULL) < 0)
		return -errno;
	if (tt_opts.signal_hz == 0)
		return 0;
	return -pthread_create(&signaller_th, NULL, signaller, NULL);
}

void tt_storm_stop(void)
{
	if (tt_opts.signal_hz == 0)
		return;
	__atomic_store_n(&signaller_stop, 1, __ATOMIC_RELEASE);
	pthread_join(signaller_th, NULL);
}
