// SPDX-License-Identifier: MIT
/*
 * Requesting and freeing interrupt handlers, affinity, and the lines'
 * part of bh_init()/bh_shutdown(). Process context only: these take the
 * line's mutex, allocate, start and join threads.
 *
 * Freeing is safe against a flow running the handlers on another thread
 * (or in a signal handler) without any lock on the flow's side: the
 * action is unlinked with a SEQ_CST store, then free_irq waits until no
 * flow holds INPROGRESS (bh__irq_sync(), SEQ_CST loads). A flow that
 * takes INPROGRESS after that check loads the list after the unlink
 * (its CAS and load are SEQ_CST too), so it cannot see the action.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irq_internal.h"

struct bh__irq_desc bh__irq_descs[BH_NR_IRQS];

#define KNOWN_FLAGS                                                            \
	(BH_IRQF_TRIGGER_MASK | BH_IRQF_SHARED | BH_IRQF_PROBE_SHARED |        \
	 BH_IRQF_NOBALANCING | BH_IRQF_ONESHOT | BH_IRQF_NO_SUSPEND |          \
	 BH_IRQF_NO_THREAD | BH_IRQF_NO_AUTOEN)

/* The primary handler of a request with handler NULL, as the kernel's. */
static bh_irqreturn_t default_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return BH_IRQ_WAKE_THREAD;
}

static int check_line(unsigned int irq, const char *what)
{
	if (bh_unlikely(!bh__live()))
		return bh__dead_error(what);
	if (irq >= BH_NR_IRQS)
		return -EINVAL;
	return 0;
}

static int check_request(unsigned int irq, bh_irq_handler_t *handler,
			 bh_irq_handler_t thread_fn, unsigned long flags,
			 const char *name, void *dev_id)
{
	int err = check_line(irq, "request_irq");
	if (err)
		return err;
	if (!bh_might_sleep())
		return -EDEADLK;
	if (flags & ~KNOWN_FLAGS)
		return -EINVAL;
	/* The kernel's checks, in its order. */
	if ((flags & BH_IRQF_SHARED) && !dev_id)
		return -EINVAL;
	if ((flags & BH_IRQF_SHARED) && (flags & BH_IRQF_NO_AUTOEN))
		return -EINVAL;
	if (!*handler) {
		if (!thread_fn)
			return -EINVAL;
		if (!(flags & BH_IRQF_ONESHOT)) {
			bh_printk(BH_LOG_ERR,
				  "genirq: Threaded irq requested with "
				  "handler=NULL and !ONESHOT for %s (irq %u)\n",
				  name ? name : "", irq);
			return -EINVAL;
		}
		*handler = default_primary;
	}
	return 0;
}

/* Under D: may `a` join the handlers already on the line? */
static int check_share(unsigned int irq, const struct bh__irq_action *old,
		       const struct bh__irq_action *a)
{
	if (!old)
		return 0;
	if ((old->flags & a->flags & BH_IRQF_SHARED) &&
	    !((old->flags ^ a->flags) &
	      (BH_IRQF_ONESHOT | BH_IRQF_TRIGGER_MASK)))
		return 0;
	if (!(a->flags & BH_IRQF_PROBE_SHARED))
		bh_printk(BH_LOG_ERR,
			  "genirq: Flags mismatch irq %u. %08lx (%s) vs. "
			  "%08lx (%s)\n",
			  irq, a->flags, a->name ? a->name : "", old->flags,
			  old->name ? old->name : "");
	return -EBUSY;
}

/* Under D: a free bit of the state word's ONESHOT field, or 0. */
static uint64_t alloc_oneshot_bit(struct bh__irq_desc *d)
{
	for (unsigned int i = 0; i < 32; i++) {
		if (!(d->oneshot_bits & (1u << i))) {
			d->oneshot_bits |= 1u << i;
			return 1ull << (BH__IRQS_ONESHOT_SHIFT + i);
		}
	}
	return 0;
}

/* Under D: the first handler of a line starts it afresh, as the kernel. */
static void first_action(struct bh__irq_desc *d, unsigned long flags)
{
	d->irq_count = 0;
	d->irqs_unhandled = 0;
	d->thread_verdict_owed = false;
	/* Relaxed: the CAS below checks it. */
	uint64_t old = __atomic_load_n(&d->state, __ATOMIC_RELAXED);
	uint64_t want;
	do {
		want = old & ~(BH__IRQS_PENDING | BH__IRQS_DEPTH_MASK);
		if (flags & BH_IRQF_NO_AUTOEN)
			want += BH__IRQS_DEPTH_ONE;
		/* SEQ_CST: against the flows' RMWs on this word. */
	} while (!__atomic_compare_exchange_n(&d->state, &old, want, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
}

int bh_request_threaded_irq(unsigned int irq, bh_irq_handler_t handler,
			    bh_irq_handler_t thread_fn, unsigned long flags,
			    const char *name, void *dev_id)
{
	int err = check_request(irq, &handler, thread_fn, flags, name, dev_id);
	if (err)
		return err;
	struct bh__irq_action *a = bh__calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct bh__irq_action){.handler = handler,
				     .thread_fn = thread_fn,
				     .dev_id = dev_id,
				     .name = name,
				     .flags = flags,
				     .irq = irq};
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	pthread_mutex_lock(&d->lock);
	struct bh__irq_action *old = d->action, **tail = &d->action;
	err = check_share(irq, old, a);
	if (!err && thread_fn && (flags & BH_IRQF_ONESHOT)) {
		a->thread_mask = alloc_oneshot_bit(d);
		if (!a->thread_mask)
			err = -EBUSY;
	}
	if (!err && thread_fn)
		err = bh__irq_thread_start(d, a);
	if (err) {
		d->oneshot_bits &=
			(uint32_t) ~(a->thread_mask >> BH__IRQS_ONESHOT_SHIFT);
		pthread_mutex_unlock(&d->lock);
		free(a);
		return err;
	}
	if (!old)
		first_action(d, flags);
	while (*tail)
		tail = &(*tail)->next;
	/* Release: a flow that finds the action sees its fields. */
	__atomic_store_n(tail, a, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->lock);
	/* A bound fd waits, disarmed, for its first handler. */
	bh__irq_fd_rearm(d, false);
	return 0;
}

int bh_request_irq(unsigned int irq, bh_irq_handler_t handler,
		   unsigned long flags, const char *name, void *dev_id)
{
	if (!handler) {
		int err = check_line(irq, "request_irq");
		return err ? err : -EINVAL;
	}
	return bh_request_threaded_irq(irq, handler, NULL, flags, name, dev_id);
}

/* Under D: the action of `dev_id` and the link that points to it. */
static struct bh__irq_action **find_action(struct bh__irq_desc *d,
					   const void *dev_id)
{
	struct bh__irq_action **link = &d->action;
	while (*link && (*link)->dev_id != dev_id)
		link = &(*link)->next;
	return *link ? link : NULL;
}

static void warn_already_free(struct bh__irq_desc *d, unsigned int irq,
			      const void *dev_id)
{
	if (d->last_freed_name && d->last_freed_dev == dev_id)
		BH_WARN(1, "Trying to free already-free IRQ %u (%s)", irq,
			d->last_freed_name);
	else
		BH_WARN(1, "Trying to free already-free IRQ %u", irq);
}

const void *bh_free_irq(unsigned int irq, void *dev_id)
{
	if (check_line(irq, "free_irq"))
		return NULL;
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	if (bh__irq_is_own(d)) {
		/* No lock here: the caller may be in hardirq context. The
		 * list cannot change under a running handler of the line
		 * (frees wait for it), so reading the names is safe. */
		const char *name = "?";
		/* Acquire: pairs with the request's release link. */
		for (struct bh__irq_action *a =
			     __atomic_load_n(&d->action, __ATOMIC_ACQUIRE);
		     a; a = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE))
			if (a->dev_id == dev_id && a->name)
				name = a->name;
		BH_WARN(1,
			"bh: free_irq(%u) of %s from a handler or thread "
			"function of IRQ %u: it would wait for itself forever; "
			"not freed",
			irq, name, irq);
		return NULL;
	}
	if (!bh_might_sleep())
		return NULL;
	pthread_mutex_lock(&d->lock);
	struct bh__irq_action **link = find_action(d, dev_id);
	if (!link) {
		warn_already_free(d, irq, dev_id);
		pthread_mutex_unlock(&d->lock);
		return NULL;
	}
	struct bh__irq_action *a = *link;
	/* SEQ_CST: the unlink comes before the INPROGRESS check below. */
	__atomic_store_n(link, a->next, __ATOMIC_SEQ_CST);
	bh__irq_sync(d, false);
	if (a->has_thread)
		bh__irq_thread_stop(a);
	if (a->thread_mask) {
		d->oneshot_bits &=
			(uint32_t) ~(a->thread_mask >> BH__IRQS_ONESHOT_SHIFT);
		/* SEQ_CST: against the flows' RMWs on this word. */
		__atomic_fetch_and(&d->state, ~a->thread_mask,
				   __ATOMIC_SEQ_CST);
	}
	d->last_freed_name = a->name;
	d->last_freed_dev = dev_id;
	const char *name = a->name;
	pthread_mutex_unlock(&d->lock);
	free(a);
	bh__irq_fd_rearm(d, false);
	return name;
}

int bh_irq_set_affinity(unsigned int irq, int cpu)
{
	int err = check_line(irq, "irq_set_affinity");
	if (err)
		return err;
	if (cpu < 0 || cpu >= bh__rt.nr_cpus)
		return -EINVAL;
	if (!bh_might_sleep())
		return -EDEADLK;
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	pthread_mutex_lock(&d->lock);
	/* Relaxed: written under D, which we hold. */
	int src = __atomic_load_n(&d->src, __ATOMIC_RELAXED);
	if (src == BH__IRQ_SRC_FD || src == BH__IRQ_SRC_TIMER)
		err = bh__irq_fd_move(d, cpu);
	else
		/* Relaxed: the next event reads it; no data hangs on it. */
		__atomic_store_n(&d->cpu, cpu, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&d->lock);
	return err;
}

int bh_irq_get_affinity(unsigned int irq)
{
	int err = check_line(irq, "irq_get_affinity");
	if (err)
		return err;
	/* Relaxed: a snapshot. */
	return __atomic_load_n(&bh__irq_descs[irq].cpu, __ATOMIC_RELAXED);
}

int bh_irq_unbind(unsigned int irq)
{
	int err = check_line(irq, "irq_unbind");
	if (err)
		return err;
	if (!bh_might_sleep())
		return -EDEADLK;
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	pthread_mutex_lock(&d->lock);
	/* Relaxed: written under D, which we hold. */
	switch (__atomic_load_n(&d->src, __ATOMIC_RELAXED)) {
	case BH__IRQ_SRC_FD:
	case BH__IRQ_SRC_TIMER:
		err = bh__irq_fd_unbind(d);
		break;
	case BH__IRQ_SRC_SIGNAL:
		err = bh__irq_signal_unbind(d);
		break;
	default:
		err = -ENOENT;
	}
	pthread_mutex_unlock(&d->lock);
	return err;
}

/* ---- bh_init() / bh_shutdown() ---------------------------------------- */

void bh__irq_init(void)
{
	/*
	 * Normally bh__irq_shutdown() left every line empty. In a fork
	 * child the table is the parent's: its threads do not exist here,
	 * so only the memory and the source fds are let go.
	 */
	bh__irq_signal_reset();
	bh__irq_fd_reset();
	for (unsigned int i = 0; i < BH_NR_IRQS; i++) {
		struct bh__irq_desc *d = &bh__irq_descs[i];
		struct bh__irq_action *a = d->action;
		while (a) {
			struct bh__irq_action *next = a->next;
			free(a);
			a = next;
		}
		memset(d, 0, sizeof(*d));
		pthread_mutex_init(&d->lock, NULL);
		d->fd = -1;
		d->epfd = -1;
		bh__irq_desc_init(d);
	}
}

void bh__irq_shutdown(void)
{
	for (unsigned int i = 0; i < BH_NR_IRQS; i++) {
		struct bh__irq_desc *d = &bh__irq_descs[i];
		/* Relaxed: no other caller during shutdown (documented). */
		if (__atomic_load_n(&d->src, __ATOMIC_RELAXED))
			bh_irq_unbind(i);
	}
	bh__irq_fd_shutdown();
	for (unsigned int i = 0; i < BH_NR_IRQS; i++) {
		struct bh__irq_desc *d = &bh__irq_descs[i];
		struct bh__irq_action *a;
		/* Acquire: pairs with the request's release link. */
		while ((a = __atomic_load_n(&d->action, __ATOMIC_ACQUIRE))) {
			bh_printk(BH_LOG_WARNING,
				  "bh: shutdown: IRQ %u (%s) still requested; "
				  "freeing it\n",
				  i, a->name ? a->name : "");
			bh_free_irq(i, a->dev_id);
		}
	}
}

/*
 * The requested handlers, for bh_debug_for_each_live_object(): each line
 * under its D lock, which requests and frees take, so the action list is
 * still.
 */
void bh__irq_walk(void (*fn)(const struct bh_debug_object *o, void *arg),
		  void *arg)
{
	for (unsigned int i = 0; i < BH_NR_IRQS; i++) {
		struct bh__irq_desc *d = &bh__irq_descs[i];
		/* Relaxed: a quick skip; the list is read under D. */
		if (!__atomic_load_n(&d->action, __ATOMIC_RELAXED))
			continue;
		pthread_mutex_lock(&d->lock);
		for (struct bh__irq_action *a = d->action; a; a = a->next) {
			struct bh_debug_object o = {
				.kind = BH_DEBUG_IRQ,
				.obj = a,
				.fn = a->handler ? (const void *)a->handler
						 : (const void *)a->thread_fn,
				.name = a->name,
				.dev_id = a->dev_id,
				.irq = i,
			};
			fn(&o, arg);
		}
		pthread_mutex_unlock(&d->lock);
	}
}
