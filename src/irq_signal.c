// SPDX-License-Identifier: MIT
/*
 * Signal sources: a line bound to a POSIX signal runs its handlers inside
 * the library's own SA_SIGINFO handler, on whichever thread the signal
 * lands (the library's threads block every signal), in true asynchronous
 * context. The flow is bh__irq_deliver(d, true): on a thread that has
 * interrupts off the event is held and run at the restore (SPEC U4), and
 * the softirqs the handlers raise go to ksoftirqd/N, never inside the
 * signal handler (bh_signal_irq_exit() semantics).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "irq_internal.h"

#define NSIGS 65

/* Line + 1 bound to each signal, 0 for none. A: read by the handler. */
static int sig_line[NSIGS];
/* The application's handler, put back at unbind (under the line's D). */
static struct sigaction sig_old[NSIGS];

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)info;
	(void)uctx;
	int saved_errno = errno;
	/* Acquire: pairs with the bind's release store of the line. */
	int line1 = sig > 0 && sig < NSIGS
			    ? __atomic_load_n(&sig_line[sig], __ATOMIC_ACQUIRE)
			    : 0;
	if (line1 && bh__live())
		bh__irq_deliver(&bh__irq_descs[line1 - 1], true);
	errno = saved_errno;
}

int bh_irq_bind_signal(unsigned int irq, int signo)
{
	if (bh_unlikely(!bh__live()))
		return bh__dead_error("irq_bind_signal");
	if (irq >= BH_NR_IRQS || signo <= 0 || signo >= NSIGS ||
	    signo == SIGKILL || signo == SIGSTOP)
		return -EINVAL;
	if (!bh_might_sleep())
		return -EDEADLK;
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	int err = 0;
	pthread_mutex_lock(&d->lock);
	int none = 0;
	/* Relaxed: written under D, which we hold. */
	if (__atomic_load_n(&d->src, __ATOMIC_RELAXED)) {
		err = -EBUSY;
		goto out;
	}
	/* SEQ_CST CAS: one line per signal, whoever binds first. */
	if (!__atomic_compare_exchange_n(&sig_line[signo], &none, (int)irq + 1,
					 false, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED)) {
		err = -EBUSY;
		goto out;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(signo, &sa, &sig_old[signo]) < 0) {
		err = -errno;
		__atomic_store_n(&sig_line[signo], 0, __ATOMIC_RELEASE);
		goto out;
	}
	d->signo = signo;
	/* Release: signo is set before src says so. */
	__atomic_store_n(&d->src, BH__IRQ_SRC_SIGNAL, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&d->lock);
	return err;
}

int bh__irq_signal_unbind(struct bh__irq_desc *d)
{
	int signo = d->signo;
	sigaction(signo, &sig_old[signo], NULL);
	/* Release: a handler that still finds the line runs it fully; the
	 * sync below waits for such a run in progress. */
	__atomic_store_n(&sig_line[signo], 0, __ATOMIC_RELEASE);
	__atomic_store_n(&d->src, BH__IRQ_SRC_NONE, __ATOMIC_RELEASE);
	bh__irq_sync(d, false);
	return 0;
}

void bh__irq_signal_reset(void)
{
	/* A fork child inherits the handlers: give the signals back. */
	for (int s = 1; s < NSIGS; s++) {
		/* Relaxed: bh_init() runs alone (documented). */
		if (__atomic_load_n(&sig_line[s], __ATOMIC_RELAXED)) {
			sigaction(s, &sig_old[s], NULL);
			__atomic_store_n(&sig_line[s], 0, __ATOMIC_RELAXED);
		}
	}
}
