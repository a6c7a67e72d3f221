/* SPDX-License-Identifier: MIT */
/*
 * <linux/interrupt.h>: softirqs and tasklets, in every spelling from 2.6 to
 * 6.x (SPEC L7, T11).
 *
 * struct tasklet_struct is struct bh_tasklet under its kernel name, with the
 * kernel's field names (next, state, count, use_callback, func/callback,
 * data) and its 40-byte size. A tasklet is either
 *   - new style (5.9+): DECLARE_TASKLET(name, callback), tasklet_setup();
 *     the callback gets the tasklet and finds its object with
 *     from_tasklet(), or
 *   - old style (every version; the only one up to 5.8):
 *     DECLARE_TASKLET(name, func, data) as 2.6-5.8 spelled it,
 *     DECLARE_TASKLET_OLD(name, func) as 5.9+ spells it (data 0), and
 *     tasklet_init(t, func, data); func gets `data`.
 * DECLARE_TASKLET and DECLARE_TASKLET_DISABLED pick the form by their
 * number of arguments. The designated initialisers check the function's
 * type: passing an old-style func to the new form fails to compile.
 *
 * Where the kernel's call returns void and the native one reports an error
 * (a NULL or uninitialised tasklet, no runtime), the error is dropped here;
 * the library has already warned about it (SPEC U9).
 *
 * Top halves (request_irq, irqreturn_t, IRQF_*) are at the end: see
 * <bh/irq.h> for what a line is bound to and how it fires.
 */
#ifndef BH_COMPAT_LINUX_INTERRUPT_H
#define BH_COMPAT_LINUX_INTERRUPT_H

#include <stdbool.h>

#include <bh/context.h>
#include <bh/irq.h>
#include <bh/runtime.h>
#include <bh/softirq.h>
#include <bh/tasklet.h>

#include <linux/bottom_half.h>
#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/types.h>

/* ---- softirqs ---------------------------------------------------------- */

enum {
	HI_SOFTIRQ = BH_HI_SOFTIRQ,
	TIMER_SOFTIRQ = BH_TIMER_SOFTIRQ,
	NET_TX_SOFTIRQ = BH_NET_TX_SOFTIRQ,
	NET_RX_SOFTIRQ = BH_NET_RX_SOFTIRQ,
	BLOCK_SOFTIRQ = BH_BLOCK_SOFTIRQ,
	IRQ_POLL_SOFTIRQ = BH_IRQ_POLL_SOFTIRQ,
	TASKLET_SOFTIRQ = BH_TASKLET_SOFTIRQ,
	SCHED_SOFTIRQ = BH_SCHED_SOFTIRQ,
	HRTIMER_SOFTIRQ = BH_HRTIMER_SOFTIRQ,
	RCU_SOFTIRQ = BH_RCU_SOFTIRQ,
	NR_SOFTIRQS = BH_NR_SOFTIRQS
};

#define softirq_to_name bh_softirq_to_name

/*
 * The handler argument of the pre-6.11 form, open_softirq(nr, void
 * (*)(struct softirq_action *)), and, with `data`, of the 2.6.x form
 * open_softirq(nr, action, data) (removed in 2.6.28).
 */
struct softirq_action {
	void (*action)(struct softirq_action *);
	void *data;
};

/*
 * The native handler takes no argument, so an old-style handler is reached
 * through a per-vector trampoline that passes it its softirq_action. The
 * table is per translation unit (a static in a static inline function), and
 * so is each trampoline: a handler always finds the entry its own unit's
 * open_softirq() filled in. It is written before bh_open_softirq()
 * publishes the trampoline, and read only by the handler, which the
 * library runs after that publication.
 */
static inline struct softirq_action *bh__compat_softirq_vec(unsigned int nr)
{
	static struct softirq_action vec[NR_SOFTIRQS];
	return &vec[nr < NR_SOFTIRQS ? nr : 0];
}

#define BH__COMPAT_SOFTIRQ_TRAMPOLINE(n)                                       \
	static inline void bh__compat_softirq_trampoline_##n(void)             \
	{                                                                      \
		struct softirq_action *a = bh__compat_softirq_vec(n);          \
		a->action(a);                                                  \
	}
BH__COMPAT_SOFTIRQ_TRAMPOLINE(0)
BH__COMPAT_SOFTIRQ_TRAMPOLINE(1)
BH__COMPAT_SOFTIRQ_TRAMPOLINE(2)
BH__COMPAT_SOFTIRQ_TRAMPOLINE(3)
BH__COMPAT_SOFTIRQ_TRAMPOLINE(4)
BH__COMPAT_SOFTIRQ_TRAMPOLINE(5)
BH__COMPAT_SOFTIRQ_TRAMPOLINE(6)
BH__COMPAT_SOFTIRQ_TRAMPOLINE(7)
BH__COMPAT_SOFTIRQ_TRAMPOLINE(8)
BH__COMPAT_SOFTIRQ_TRAMPOLINE(9)
_Static_assert(NR_SOFTIRQS == 10, "one trampoline per softirq vector");

static inline void bh__compat_open_softirq(int nr, void (*action)(void))
{
	(void)bh_open_softirq((unsigned int)nr, action);
}

static inline void
bh__compat_open_softirq_data(int nr, void (*action)(struct softirq_action *),
			     void *data)
{
	static void (*const trampolines[NR_SOFTIRQS])(void) = {
		bh__compat_softirq_trampoline_0,
		bh__compat_softirq_trampoline_1,
		bh__compat_softirq_trampoline_2,
		bh__compat_softirq_trampoline_3,
		bh__compat_softirq_trampoline_4,
		bh__compat_softirq_trampoline_5,
		bh__compat_softirq_trampoline_6,
		bh__compat_softirq_trampoline_7,
		bh__compat_softirq_trampoline_8,
		bh__compat_softirq_trampoline_9,
	};
	if (nr < 0 || nr >= NR_SOFTIRQS || !action) {
		/* Let the native call report the bad argument. */
		(void)bh_open_softirq((unsigned int)nr, NULL);
		return;
	}
	struct softirq_action *a = bh__compat_softirq_vec((unsigned int)nr);
	a->action = action;
	a->data = data;
	(void)bh_open_softirq((unsigned int)nr, trampolines[nr]);
}

static inline void
bh__compat_open_softirq_old(int nr, void (*action)(struct softirq_action *))
{
	bh__compat_open_softirq_data(nr, action, NULL);
}

/*
 * open_softirq(nr, action): the handler's type picks the form, so a handler
 * of any other type fails to compile. open_softirq(nr, action, data) is the
 * 2.6.x form.
 */
#define bh__compat_open_softirq2(nr, action)                                   \
	_Generic((action), void (*)(void)                                      \
		 : bh__compat_open_softirq, void (*)(struct softirq_action *)  \
		 : bh__compat_open_softirq_old)(nr, action)
#define bh__compat_open_softirq3(nr, action, data)                             \
	bh__compat_open_softirq_data(nr, action, data)
#define bh__compat_pick3(_1, _2, _3, name, ...) name
#define open_softirq(...)                                                      \
	bh__compat_pick3(__VA_ARGS__, bh__compat_open_softirq3,                \
			 bh__compat_open_softirq2,                             \
			 bh__compat_bad_arity)(__VA_ARGS__)

static inline void raise_softirq(unsigned int nr)
{
	(void)bh_raise_softirq(nr);
}

static inline void raise_softirq_irqoff(unsigned int nr)
{
	(void)bh_raise_softirq_irqoff(nr);
}

/*
 * The kernel's __raise_softirq_irqoff() only marks the vector pending and
 * leaves the wake-up to its caller; here it is raise_softirq_irqoff(),
 * which also wakes ksoftirqd/N from task context, so a raise is never left
 * without a runner.
 */
static inline void __raise_softirq_irqoff(unsigned int nr)
{
	(void)bh_raise_softirq_irqoff(nr);
}

/* Mask of the vectors pending on this context's bh CPU. */
static inline unsigned int local_softirq_pending(void)
{
	return bh_softirq_pending(bh_smp_processor_id());
}

/* ---- tasklets ---------------------------------------------------------- */

#define tasklet_struct bh_tasklet

enum {
	TASKLET_STATE_SCHED = BH_TASKLET_STATE_SCHED,
	TASKLET_STATE_RUN = BH_TASKLET_STATE_RUN
};

#define BH__COMPAT_DECLARE_TASKLET_2(name, callback)                           \
	struct tasklet_struct name = BH_TASKLET_INIT(callback)
#define BH__COMPAT_DECLARE_TASKLET_3(name, func, data)                         \
	struct tasklet_struct name = BH_TASKLET_INIT_OLD(func, data)
#define BH__COMPAT_DECLARE_TASKLET_DISABLED_2(name, callback)                  \
	struct tasklet_struct name = BH_TASKLET_INIT_DISABLED(callback)
#define BH__COMPAT_DECLARE_TASKLET_DISABLED_3(name, func, data)                \
	struct tasklet_struct name = BH_TASKLET_INIT_OLD_DISABLED(func, data)

/* (name, callback) as 5.9+, or (name, func, data) as up to 5.8 (L7). */
#define DECLARE_TASKLET(...)                                                   \
	bh__compat_pick3(__VA_ARGS__, BH__COMPAT_DECLARE_TASKLET_3,            \
			 BH__COMPAT_DECLARE_TASKLET_2,                         \
			 bh__compat_bad_arity)(__VA_ARGS__)
/* The same two forms, starting with count 1 (T18). */
#define DECLARE_TASKLET_DISABLED(...)                                          \
	bh__compat_pick3(__VA_ARGS__, BH__COMPAT_DECLARE_TASKLET_DISABLED_3,   \
			 BH__COMPAT_DECLARE_TASKLET_DISABLED_2,                \
			 bh__compat_bad_arity)(__VA_ARGS__)
/* 5.9+ names of the old form; data is 0. */
#define DECLARE_TASKLET_OLD(name, func)                                        \
	struct tasklet_struct name = BH_TASKLET_INIT_OLD(func, 0)
#define DECLARE_TASKLET_DISABLED_OLD(name, func)                               \
	struct tasklet_struct name = BH_TASKLET_INIT_OLD_DISABLED(func, 0)

/* The object that embeds tasklet `t` as `field`, typed like `var`. */
#define from_tasklet(var, callback_tasklet, tasklet_fieldname)                 \
	bh_from_tasklet(var, callback_tasklet, tasklet_fieldname)

static inline void tasklet_init(struct tasklet_struct *t,
				void (*func)(unsigned long), unsigned long data)
{
	bh_tasklet_init(t, func, data);
}

static inline void tasklet_setup(struct tasklet_struct *t,
				 void (*callback)(struct tasklet_struct *))
{
	bh_tasklet_setup(t, callback);
}

static inline void tasklet_schedule(struct tasklet_struct *t)
{
	(void)bh_tasklet_schedule(t);
}

static inline void tasklet_hi_schedule(struct tasklet_struct *t)
{
	(void)bh_tasklet_hi_schedule(t);
}

static inline void tasklet_disable_nosync(struct tasklet_struct *t)
{
	(void)bh_tasklet_disable_nosync(t);
}

static inline void tasklet_disable_in_atomic(struct tasklet_struct *t)
{
	(void)bh_tasklet_disable_in_atomic(t);
}

/* May sleep, as since 5.13 (before, it spun: SPEC L8). */
static inline void tasklet_disable(struct tasklet_struct *t)
{
	(void)bh_tasklet_disable(t);
}

static inline void tasklet_enable(struct tasklet_struct *t)
{
	(void)bh_tasklet_enable(t);
}

static inline void tasklet_kill(struct tasklet_struct *t)
{
	(void)bh_tasklet_kill(t);
}

static inline void tasklet_unlock_wait(struct tasklet_struct *t)
{
	(void)bh_tasklet_unlock_wait(t);
}

static inline void tasklet_unlock_spin_wait(struct tasklet_struct *t)
{
	(void)bh_tasklet_unlock_spin_wait(t);
}

static inline bool tasklet_trylock(struct tasklet_struct *t)
{
	return bh_tasklet_trylock(t);
}

static inline void tasklet_unlock(struct tasklet_struct *t)
{
	bh_tasklet_unlock(t);
}

/* ---- top halves -------------------------------------------------------- */

typedef bh_irqreturn_t irqreturn_t;
typedef bh_irq_handler_t irq_handler_t;

#define IRQ_NONE	BH_IRQ_NONE
#define IRQ_HANDLED	BH_IRQ_HANDLED
#define IRQ_WAKE_THREAD BH_IRQ_WAKE_THREAD
#define IRQ_RETVAL(x)	((x) ? IRQ_HANDLED : IRQ_NONE)

#define IRQF_TRIGGER_NONE    BH_IRQF_TRIGGER_NONE
#define IRQF_TRIGGER_RISING  BH_IRQF_TRIGGER_RISING
#define IRQF_TRIGGER_FALLING BH_IRQF_TRIGGER_FALLING
#define IRQF_TRIGGER_HIGH    BH_IRQF_TRIGGER_HIGH
#define IRQF_TRIGGER_LOW     BH_IRQF_TRIGGER_LOW
#define IRQF_TRIGGER_MASK    BH_IRQF_TRIGGER_MASK
#define IRQF_SHARED	     BH_IRQF_SHARED
#define IRQF_PROBE_SHARED    BH_IRQF_PROBE_SHARED
#define IRQF_NOBALANCING     BH_IRQF_NOBALANCING
#define IRQF_ONESHOT	     BH_IRQF_ONESHOT
#define IRQF_NO_SUSPEND	     BH_IRQF_NO_SUSPEND
#define IRQF_NO_THREAD	     BH_IRQF_NO_THREAD
#define IRQF_NO_AUTOEN	     BH_IRQF_NO_AUTOEN

static inline int request_threaded_irq(unsigned int irq, irq_handler_t handler,
				       irq_handler_t thread_fn,
				       unsigned long flags, const char *name,
				       void *dev)
{
	return bh_request_threaded_irq(irq, handler, thread_fn, flags, name,
				       dev);
}

static inline int request_irq(unsigned int irq, irq_handler_t handler,
			      unsigned long flags, const char *name, void *dev)
{
	return bh_request_irq(irq, handler, flags, name, dev);
}

/* Returns the name given at request time, or NULL (with a WARN). */
static inline const void *free_irq(unsigned int irq, void *dev_id)
{
	return bh_free_irq(irq, dev_id);
}

/* The kernel's are void; a bad line has been reported (SPEC U9). */
static inline void disable_irq(unsigned int irq)
{
	(void)bh_disable_irq(irq);
}

static inline void disable_irq_nosync(unsigned int irq)
{
	(void)bh_disable_irq_nosync(irq);
}

static inline void enable_irq(unsigned int irq)
{
	(void)bh_enable_irq(irq);
}

static inline void synchronize_irq(unsigned int irq)
{
	(void)bh_synchronize_irq(irq);
}

/*
 * irq_set_affinity(): the kernel's takes a mask, and an interrupt
 * controller that delivers to one CPU (x86's, for a line that is not
 * managed) picks one online CPU of it as the effective affinity. A line
 * here is delivered by one bh CPU, so the lowest online bh CPU of the mask
 * is that CPU; a mask with none is -EINVAL, as the kernel's. The native
 * spelling is bh_irq_set_affinity(irq, cpu).
 */
static inline int irq_set_affinity(unsigned int irq, const struct cpumask *m)
{
	unsigned int cpu;
	for_each_cpu(cpu, m)
	{
		if (cpu_online(cpu))
			return bh_irq_set_affinity(irq, (int)cpu);
	}
	return -EINVAL;
}

/* The hint is for irqbalance, which user space does not have: a non-NULL
 * hint is applied as the affinity, as the kernel's _and_hint spelling. */
static inline int irq_set_affinity_and_hint(unsigned int irq,
					    const struct cpumask *m)
{
	return m ? irq_set_affinity(irq, m) : 0;
}

static inline int irq_update_affinity_hint(unsigned int irq,
					   const struct cpumask *m)
{
	(void)irq;
	(void)m;
	return 0;
}

#endif
