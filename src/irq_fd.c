// SPDX-License-Identifier: MIT
/*
 * File-descriptor and periodic-timer sources. Each bh CPU that has such a
 * line gets a delivery thread, "hardirq/N" (started at the first bind),
 * that waits in its own epoll instance and delivers the events of the
 * lines bound to CPU N, in hardirq context (bh__irq_deliver()).
 *
 * Level-like: an fd stays registered, level-triggered, while its line may
 * run, so an event costs no epoll_ctl() at all: the handlers run, and if
 * they left the fd ready it is reported again by the next epoll_wait().
 * Masking is lazy, as the kernel's disable_irq() is (it masks at the
 * controller only when an interrupt arrives while the line is disabled):
 * an event that finds its line blocked (disabled, its ONESHOT threads
 * running, no handler, or running on another thread) deletes the
 * registration, so a ready fd does not spin this thread; what it had to
 * say stays in the fd until the line is runnable again. ARMED in the state word
 * says "registered"; only this thread clears it (mask()), with the registration
 * already gone, and whoever makes the line runnable again (enable, the ONESHOT
 * unmask, the first request, the flow that held it) re-adds it, decided
 * by one CAS on ARMED, so two re-armers never both make the call and
 * none is missed.
 *
 * A closed fd gives no epoll event at all (its registration goes with
 * the file), so the thread also checks its lines' fds every
 * AUDIT_MS while it has any: an fd that is no longer open, or is now
 * another file, is reported and its line disabled, as is a hang-up or an
 * error; the rest of the runtime is not affected. The period comes from a
 * timerfd in the same epoll set, not from epoll_wait()'s timeout, which
 * would arm and cancel a kernel timer around every wait: the event path
 * then waits as a plain epoll loop does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "irq_internal.h"

#define AUDIT_MS     200
#define CONTROL_DATA UINT32_MAX	      /* epoll data of the control eventfd */
#define AUDIT_DATA   (UINT32_MAX - 1) /* epoll data of the audit timerfd */

struct irq_cpu {
	int epfd;	  /* -1: no thread yet */
	int ctlfd;	  /* eventfd: wakes the thread (stop, audit on) */
	int auditfd;	  /* timerfd: AUDIT_MS while nr_fds > 0 */
	uint32_t stop;	  /* A */
	uint32_t nr_fds;  /* A: lines bound here (audit while > 0) */
	pthread_t thread; /* under cpus_lock */
};

static struct irq_cpu cpus[BH_MAX_CPUS];
static pthread_mutex_t cpus_lock = PTHREAD_MUTEX_INITIALIZER;
static bool cpus_ready; /* under cpus_lock: epfd fields are set */

static unsigned int desc_irq(const struct bh__irq_desc *d)
{
	return (unsigned int)(d - bh__irq_descs);
}

static const char *line_name(struct bh__irq_desc *d)
{
	/* Acquire: pairs with the request's release link (its name). */
	struct bh__irq_action *a =
		__atomic_load_n(&d->action, __ATOMIC_ACQUIRE);
	return a && a->name ? a->name : "no handler";
}

/* Report once, disable the line (it stays so until unbound). */
static void broken(struct bh__irq_desc *d, const char *why, int err)
{
	/* SEQ_CST exchange: exactly one reporter. */
	if (__atomic_exchange_n(&d->fd_broken, 1, __ATOMIC_SEQ_CST))
		return;
	unsigned int irq = desc_irq(d);
	/* Relaxed: only printed. */
	int fd = __atomic_load_n(&d->fd, __ATOMIC_RELAXED);
	if (err)
		BH_WARN(1,
			"bh: irq %u (%s): fd %d %s (%s): was it closed while "
			"bound? unbind the line first; disabling IRQ #%u",
			irq, line_name(d), fd, why, strerror(err), irq);
	else
		bh_printk(BH_LOG_ERR,
			  "bh: irq %u (%s): fd %d %s; disabling IRQ #%u\n", irq,
			  line_name(d), fd, why, irq);
	bh__irq_disable_nosync(d);
}

void bh__irq_fd_rearm(struct bh__irq_desc *d, bool holder)
{
	uint64_t busy = holder ? BH__IRQS_ARMED | BH__IRQS_DEPTH_MASK |
					 BH__IRQS_ONESHOT_MASK
			       : BH__IRQS_ARMED | BH__IRQS_BLOCKED;
	/* Acquire: pairs with the bind's release of src (fd, events). */
	int src = __atomic_load_n(&d->src, __ATOMIC_ACQUIRE);
	if (src != BH__IRQ_SRC_FD && src != BH__IRQ_SRC_TIMER)
		return;
	/* Relaxed: early outs; a stale answer costs one MOD or one miss
	 * that the request or enable that changes them re-arms. */
	if (__atomic_load_n(&d->fd_broken, __ATOMIC_RELAXED) ||
	    !__atomic_load_n(&d->action, __ATOMIC_RELAXED))
		return;
	uint64_t old = __atomic_load_n(&d->state, __ATOMIC_RELAXED);
	do {
		if (old & busy)
			return;
		/* SEQ_CST: one winner among re-armers, ordered with the
		 * enable/release RMWs that made the line runnable. */
	} while (!__atomic_compare_exchange_n(
		&d->state, &old, old | BH__IRQS_ARMED, false, __ATOMIC_SEQ_CST,
		__ATOMIC_RELAXED));
	struct epoll_event ev = {.events = d->events, .data.u32 = desc_irq(d)};
	/* Acquire: pairs with attach()'s release of epfd; fd was set
	 * before src, which we acquired. */
	int epfd = __atomic_load_n(&d->epfd, __ATOMIC_ACQUIRE);
	int fd = __atomic_load_n(&d->fd, __ATOMIC_RELAXED);
	/*
	 * EEXIST: a registration outlived a mask that raced with a move's
	 * attach (mask() deletes before it clears ARMED, a move adds after
	 * it set it); it is the same fd and events, so it is armed already.
	 */
	int r = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	if (r < 0 && errno == EEXIST)
		r = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
	if (r < 0) {
		int err = errno;
		/* Unbound meanwhile: its registration is gone, say nothing.
		 * Acquire: as above. */
		if (__atomic_load_n(&d->src, __ATOMIC_ACQUIRE) == src)
			broken(d, "cannot be re-armed", err);
	}
}

/*
 * hardirq/N, after an event: if the line may not run now, take its fd
 * out of epoll, or a ready fd would be reported again at once, for as
 * long as the line stays blocked. What the event had to say stays in the
 * fd, or was latched PENDING by a flow that found the line running on
 * another thread; the enable, unmask, request or release that ends the
 * block re-adds the fd (and runs the latch).
 */
static void mask(struct bh__irq_desc *d)
{
	/* SEQ_CST: ordered after the flow's claim and release RMWs. */
	uint64_t old = __atomic_load_n(&d->state, __ATOMIC_SEQ_CST);
	/* Acquire: as in bh__irq_fd_rearm(). */
	bool runnable = !(old & BH__IRQS_BLOCKED) &&
			!__atomic_load_n(&d->fd_broken, __ATOMIC_RELAXED) &&
			__atomic_load_n(&d->action, __ATOMIC_ACQUIRE);
	if (runnable || !(old & BH__IRQS_ARMED))
		return;
	/* Relaxed: as in bh__irq_fd_rearm(); ENOENT is a move's window. */
	epoll_ctl(__atomic_load_n(&d->epfd, __ATOMIC_RELAXED), EPOLL_CTL_DEL,
		  d->fd, NULL);
	/*
	 * Deleted, so ARMED may go. If another thread holds INPROGRESS it
	 * may have consumed the latch already and be about to release
	 * without re-adding (ARMED was still set when it looked): latch
	 * again, so its release runs the handlers once more and re-adds.
	 * SEQ_CST: one order with the flows' and the enables' RMWs.
	 */
	old = __atomic_load_n(&d->state, __ATOMIC_RELAXED);
	uint64_t want;
	do {
		want = old & ~BH__IRQS_ARMED;
		if (old & BH__IRQS_INPROGRESS)
			want |= BH__IRQS_PENDING;
	} while (!__atomic_compare_exchange_n(&d->state, &old, want, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	/* An enable that saw ARMED still set left the re-add to us. */
	bh__irq_fd_rearm(d, false);
}

/* hardirq/N: one event of line `irq`. */
static void fd_event(unsigned int irq, uint32_t events)
{
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	/* SEQ_CST: Dekker with unbind, which clears src, then waits while
	 * fd_busy: either it sees us busy, or we see the line unbound. */
	__atomic_store_n(&d->fd_busy, 1, __ATOMIC_SEQ_CST);
	int src = __atomic_load_n(&d->src, __ATOMIC_SEQ_CST);
	if (src != BH__IRQ_SRC_FD && src != BH__IRQ_SRC_TIMER)
		goto out;
	/*
	 * A disabled or ONESHOT-masked line is not delivered to: the event
	 * is not latched but left in the fd, which mask() takes out of epoll
	 * and the unmask adds back, to be reported again if it is still
	 * ready. That is a level interrupt's behaviour (the kernel does not
	 * resend those at enable_irq(): the line asserts again), and it
	 * spares a ONESHOT line a replay of an event its thread has already
	 * consumed. A timer is not acked meanwhile, so a tick during the
	 * disable still comes, once, after it. SEQ_CST: after the src load.
	 */
	if (!(__atomic_load_n(&d->state, __ATOMIC_SEQ_CST) &
	      (BH__IRQS_DEPTH_MASK | BH__IRQS_ONESHOT_MASK))) {
		if (src == BH__IRQ_SRC_TIMER) {
			uint64_t expirations;
			/* Ack: overruns coalesce into this one event. */
			if (read(d->fd, &expirations, sizeof(expirations)) <
				    0 &&
			    errno != EAGAIN)
				broken(d, "cannot be read", errno);
		}
		/* The data before a hang-up too. */
		if (events & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP) &
		    d->events)
			bh__irq_deliver(d, false);
	}
	if (events & EPOLLERR)
		broken(d, "reported an error (EPOLLERR)", 0);
	else if (events & EPOLLHUP)
		broken(d, "hung up (EPOLLHUP)", 0);
	mask(d);
out:
	/* Release: our reads of the line are done before unbind goes on. */
	__atomic_store_n(&d->fd_busy, 0, __ATOMIC_RELEASE);
}

/*
 * The identity of the file behind `fd`, or an errno. A raw statx system
 * call: this probe races with the application's close() by design (it
 * exists to catch one), and a sanitizer that models fd lifetimes (TSan
 * intercepts fstat) would report the very race it detects.
 */
static int probe_fd(int fd, dev_t *dev, ino_t *ino)
{
	struct statx stx;
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_INO, &stx) < 0)
		return errno;
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	*ino = (ino_t)stx.stx_ino;
	return 0;
}

/* Lines of this CPU whose fd is gone or is now another file. */
static void audit(int epfd)
{
	for (unsigned int i = 0; i < BH_NR_IRQS; i++) {
		struct bh__irq_desc *d = &bh__irq_descs[i];
		/* Acquire: pair with attach() and the bind (fd, identity);
		 * relaxed fd_broken: a report already made is not redone. */
		if (__atomic_load_n(&d->epfd, __ATOMIC_ACQUIRE) != epfd ||
		    __atomic_load_n(&d->src, __ATOMIC_ACQUIRE) !=
			    BH__IRQ_SRC_FD ||
		    __atomic_load_n(&d->fd_broken, __ATOMIC_RELAXED))
			continue;
		/* As fd_event(): unbind waits for us to finish. */
		__atomic_store_n(&d->fd_busy, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&d->src, __ATOMIC_SEQ_CST) ==
		    BH__IRQ_SRC_FD) {
			dev_t dev = 0; /* set when probe_fd() succeeds */
			ino_t ino = 0;
			int err = probe_fd(d->fd, &dev, &ino);
			if (err)
				broken(d, "is not open", err);
			else if (dev != d->fd_dev || ino != d->fd_ino)
				broken(d, "is now another file", EBADF);
		}
		__atomic_store_n(&d->fd_busy, 0, __ATOMIC_RELEASE);
	}
}

static void *hardirq_main(void *arg)
{
	bh__spawned();
	struct irq_cpu *c = arg;
	int cpu = (int)(c - cpus);
	char name[16];
	snprintf(name, sizeof(name), "hardirq/%d", cpu);
	pthread_setname_np(pthread_self(), name);
	bh_thread_set_cpu(cpu);
	bh__pin_self(cpu); /* with ksoftirqd/N and the kworkers */
	struct epoll_event evs[32];
	bool auditing = false;
	/* Acquire: pairs with the stopper's release store. */
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		/* Relaxed: attach() pokes ctlfd when it bound the first fd,
		 * so a stale 0 here is corrected by the next wake-up. */
		bool want = __atomic_load_n(&c->nr_fds, __ATOMIC_RELAXED);
		if (want != auditing) {
			struct timespec p = {AUDIT_MS / 1000,
					     (AUDIT_MS % 1000) * 1000000L};
			struct itimerspec its = {
				want ? p : (struct timespec){0},
				want ? p : (struct timespec){0}};
			if (timerfd_settime(c->auditfd, 0, &its, NULL) == 0)
				auditing = want;
		}
		int n = epoll_wait(c->epfd, evs, 32, -1);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			uint64_t v;
			switch (evs[i].data.u32) {
			case CONTROL_DATA:
				if (read(c->ctlfd, &v, sizeof(v)) < 0) {
					/* EAGAIN: drained already */
				}
				break;
			case AUDIT_DATA:
				if (read(c->auditfd, &v, sizeof(v)) > 0)
					audit(c->epfd);
				break;
			default:
				fd_event(evs[i].data.u32, evs[i].events);
			}
		}
	}
	return NULL;
}

/* Close a CPU's delivery fds (those that were opened) and mark it
 * thread-less. */
static void close_cpu_fds(struct irq_cpu *c)
{
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->ctlfd >= 0)
		close(c->ctlfd);
	if (c->auditfd >= 0)
		close(c->auditfd);
	c->epfd = c->ctlfd = c->auditfd = -1;
	c->nr_fds = 0;
}

/* The epoll instance of `cpu`'s delivery thread, started on first use. */
static int cpu_epfd(int cpu)
{
	struct irq_cpu *c = &cpus[cpu];
	int err = 0;
	pthread_mutex_lock(&cpus_lock);
	if (c->epfd >= 0)
		goto out;
	c->epfd = bh__epoll_create1(EPOLL_CLOEXEC);
	c->ctlfd = bh__eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->auditfd =
		bh__timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = CONTROL_DATA};
	struct epoll_event aev = {.events = EPOLLIN, .data.u32 = AUDIT_DATA};
	if (c->epfd < 0 || c->ctlfd < 0 || c->auditfd < 0 ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->ctlfd, &ev) < 0 ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->auditfd, &aev) < 0) {
		err = -errno;
		goto fail;
	}
	/* Relaxed: the thread is created after it (pthread_create orders). */
	__atomic_store_n(&c->stop, 0, __ATOMIC_RELAXED);
	/* Signals blocked: signal-bound lines never land here. */
	err = -bh__spawn(&c->thread, NULL, hardirq_main, c, true);
	if (!err)
		goto out;
	bh_printk(BH_LOG_ERR, "bh: cannot create hardirq/%d: %s\n", cpu,
		  strerror(-err));
fail:
	close_cpu_fds(c);
out:
	pthread_mutex_unlock(&cpus_lock);
	return err ? err : c->epfd;
}

/*
 * Under D: register d's fd with `cpu`'s thread, armed. The caller has set
 * ARMED already, so no re-armer touches the registration before it
 * exists. A line with no handler is not dispatched (the flow finds no
 * action): its first event masks it, and its first request re-adds it.
 */
static int attach(struct bh__irq_desc *d, int cpu)
{
	int epfd = cpu_epfd(cpu);
	if (epfd < 0)
		return epfd;
	struct epoll_event ev = {.events = d->events, .data.u32 = desc_irq(d)};
	/* Release: a re-armer that loads this epfd sees its setup. */
	__atomic_store_n(&d->epfd, epfd, __ATOMIC_RELEASE);
	/* Relaxed: the next event reads it; nothing hangs on it. */
	__atomic_store_n(&d->cpu, cpu, __ATOMIC_RELAXED);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, d->fd, &ev) < 0)
		return -errno;
	/* Relaxed: only decides whether the thread audits. The first fd
	 * wakes the thread to start its audit timer. */
	if (__atomic_fetch_add(&cpus[cpu].nr_fds, 1, __ATOMIC_RELAXED) == 0) {
		uint64_t one = 1;
		if (write(cpus[cpu].ctlfd, &one, sizeof(one)) < 0) {
			/* EAGAIN: a wake-up is pending already */
		}
	}
	return 0;
}

/* Under D: take d's fd off its thread, and wait until that thread is
 * done with any event of it it already had in hand. */
static void detach(struct bh__irq_desc *d)
{
	/* Relaxed: written under D, which we hold. */
	int epfd = __atomic_load_n(&d->epfd, __ATOMIC_RELAXED);
	epoll_ctl(epfd, EPOLL_CTL_DEL, d->fd, NULL);
	/* SEQ_CST: the other half of fd_event()'s Dekker pair (the caller
	 * cleared src before); its release store ends its reads. */
	while (__atomic_load_n(&d->fd_busy, __ATOMIC_SEQ_CST))
		sched_yield();
	/* SEQ_CST: against the re-armers' CAS on the word. */
	__atomic_fetch_and(&d->state, ~BH__IRQS_ARMED, __ATOMIC_SEQ_CST);
	/* Relaxed: only decides whether the thread audits. */
	__atomic_sub_fetch(
		&cpus[__atomic_load_n(&d->cpu, __ATOMIC_RELAXED)].nr_fds, 1,
		__ATOMIC_RELAXED);
}

static int bind_common(unsigned int irq, int fd, uint32_t events, int src)
{
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -EBADF;
	pthread_mutex_lock(&d->lock);
	int err = -EBUSY;
	/* Relaxed: written under D, which we hold. */
	if (__atomic_load_n(&d->src, __ATOMIC_RELAXED))
		goto out;
	d->fd = fd;
	d->events = events;
	d->fd_dev = st.st_dev;
	d->fd_ino = st.st_ino;
	/* Relaxed: published by the release of src below. */
	__atomic_store_n(&d->fd_broken, 0, __ATOMIC_RELAXED);
	/* SEQ_CST: ARMED before the source is visible (see attach()). */
	__atomic_fetch_or(&d->state, BH__IRQS_ARMED, __ATOMIC_SEQ_CST);
	/* Release: fd and events are set before src says so; and src is
	 * set before the first event can reach fd_event(). */
	__atomic_store_n(&d->src, src, __ATOMIC_RELEASE);
	err = attach(d, __atomic_load_n(&d->cpu, __ATOMIC_RELAXED));
	if (err) {
		/* SEQ_CST: as the unbind's (no registration was made). */
		__atomic_store_n(&d->src, BH__IRQ_SRC_NONE, __ATOMIC_SEQ_CST);
		__atomic_fetch_and(&d->state, ~BH__IRQS_ARMED,
				   __ATOMIC_SEQ_CST);
	}
out:
	pthread_mutex_unlock(&d->lock);
	return err;
}

static int check_bind(unsigned int irq, const char *what)
{
	if (bh_unlikely(!bh__live()))
		return bh__dead_error(what);
	if (irq >= BH_NR_IRQS)
		return -EINVAL;
	if (!bh_might_sleep())
		return -EDEADLK;
	return 0;
}

int bh_irq_bind_fd(unsigned int irq, int fd, uint32_t events)
{
	int err = check_bind(irq, "irq_bind_fd");
	if (err)
		return err;
	if (fd < 0)
		return -EBADF;
	if (events & (EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE))
		return -EINVAL;
	return bind_common(irq, fd, events ? events : EPOLLIN, BH__IRQ_SRC_FD);
}

int bh_irq_bind_timer(unsigned int irq, uint64_t period_ns)
{
	int err = check_bind(irq, "irq_bind_timer");
	if (err)
		return err;
	if (!period_ns)
		return -EINVAL;
	int fd =
		bh__timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct timespec ts = {(time_t)(period_ns / 1000000000u),
			      (long)(period_ns % 1000000000u)};
	struct itimerspec its = {ts, ts};
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	err = bind_common(irq, fd, EPOLLIN, BH__IRQ_SRC_TIMER);
	if (err)
		close(fd);
	return err;
}

int bh__irq_fd_unbind(struct bh__irq_desc *d)
{
	/* Relaxed: written under D, which we hold. */
	int src = __atomic_load_n(&d->src, __ATOMIC_RELAXED);
	/* SEQ_CST: Dekker with fd_event()/audit() (see there). */
	__atomic_store_n(&d->src, BH__IRQ_SRC_NONE, __ATOMIC_SEQ_CST);
	detach(d);
	/* The line may be running handlers from the last event. */
	bh__irq_sync(d, false);
	if (src == BH__IRQ_SRC_TIMER)
		close(d->fd);
	/* Relaxed: the delivering thread is done with the line (detach). */
	if (__atomic_exchange_n(&d->fd_broken, 0, __ATOMIC_RELAXED))
		bh_enable_irq(desc_irq(d)); /* the disable of broken() */
	__atomic_store_n(&d->fd, -1, __ATOMIC_RELAXED);
	return 0;
}

int bh__irq_fd_move(struct bh__irq_desc *d, int cpu)
{
	/* Relaxed: written under D (or by attach() under it). */
	if (__atomic_load_n(&d->cpu, __ATOMIC_RELAXED) == cpu)
		return 0;
	/* Held off while it moves: an event on either side stays in the fd,
	 * reported again once the enable below re-adds it. */
	bh__irq_disable_nosync(d);
	bh__irq_sync(d, false);
	detach(d);
	/* SEQ_CST: as in bind_common(); the line is off, none re-arms. */
	__atomic_fetch_or(&d->state, BH__IRQS_ARMED, __ATOMIC_SEQ_CST);
	int err = attach(d, cpu);
	if (err)
		broken(d, "cannot move to another bh CPU", -err);
	bh_enable_irq(desc_irq(d));
	return err;
}

void bh__irq_fd_shutdown(void)
{
	pthread_mutex_lock(&cpus_lock);
	for (int i = 0; cpus_ready && i < BH_MAX_CPUS; i++) {
		struct irq_cpu *c = &cpus[i];
		if (c->epfd < 0)
			continue;
		/* Release: pairs with the thread's acquire load. */
		__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
		uint64_t one = 1;
		if (write(c->ctlfd, &one, sizeof(one)) < 0)
			bh_printk(BH_LOG_ERR, "bh: cannot stop hardirq/%d\n",
				  i);
		pthread_join(c->thread, NULL);
		close_cpu_fds(c);
	}
	pthread_mutex_unlock(&cpus_lock);
}

void bh__irq_fd_reset(void)
{
	/* A fork child: the threads are the parent's; only the fds are
	 * ours to close. A fresh process: mark every CPU thread-less. */
	pthread_mutex_init(&cpus_lock, NULL);
	for (int i = 0; i < BH_MAX_CPUS; i++) {
		struct irq_cpu *c = &cpus[i];
		if (!cpus_ready)
			c->epfd = c->ctlfd = c->auditfd = -1;
		close_cpu_fds(c);
	}
	for (unsigned int i = 0; cpus_ready && i < BH_NR_IRQS; i++)
		if (bh__irq_descs[i].src == BH__IRQ_SRC_TIMER)
			close(bh__irq_descs[i].fd);
	cpus_ready = true;
}
