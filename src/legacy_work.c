// SPDX-License-Identifier: MIT
/*
 * Legacy (up to 2.6.19) work items: the side table behind the three-argument
 * INIT_WORK()/DECLARE_WORK()/PREPARE_WORK() and queue_delayed_work() on a
 * plain work_struct (SPEC L1-L3). See include/bh/legacy_work.h for the
 * contract.
 *
 * The table maps an item's address to its entry (function, data, timer,
 * target, legacy PENDING bit). Lookups come from every context the queue
 * calls may be made in, signal handlers included, so they take no lock:
 *
 *   - open addressing with linear probing over an array of slots, each a
 *     key (the item's address) and an entry pointer. A key goes from
 *     empty to an address, and from an address to a tombstone when the
 *     item is forgotten; a tombstone is reused by a later insert whose
 *     probe passes it. A slot never becomes empty again, so probe chains
 *     never break under a reader;
 *   - writers fill the entry and the slot's entry pointer before storing
 *     the key with release; readers load the key with acquire;
 *   - entries are never freed while the process runs: a forgotten one goes
 *     on a spare list for the next insert, so a reader that raced with a
 *     forget never touches freed memory;
 *   - the array is replaced by a larger one (or a clean one, rid of
 *     tombstones) when it is half full; the old arrays are kept, since a
 *     reader may still be probing one, and cost less than the last one
 *     together.
 *
 * Inserts and forgets are serialised by a lock that only they take. It is
 * a spin lock that records its owner's thread id, so that a signal handler
 * that interrupts the owner and tries to take it fails instead of
 * deadlocking. Inserting a new address allocates in task context. In
 * atomic context (hardirq, softirq, bh or irqs off, a spinlock held) it
 * must not: it takes a spare entry or one from a static reserve, and the
 * array is not replaced there (it may fill to 3/4).
 *
 * The legacy PENDING bit. In 2.6 one bit covered both the timer and the
 * worklist. Here `pending` in the entry is that bit: a queue takes it
 * with an atomic fetch-or (one winner), then either queues the item
 * natively or arms the entry's timer, whose callback queues it natively.
 * The trampoline clears it just before calling the function (W3), with an
 * exchange that acquires from the last queuer's release, so every caller
 * whose queue was refused as "pending" has its stores seen by the run
 * that follows (W5). While the bit is set, the item is on the timer, in
 * the timer's callback, natively pending, or between the worker clearing
 * the native PENDING bit and the trampoline clearing this one.
 *
 * Exit. A destructor frees every allocated entry and array unless the
 * runtime is still running (its threads could still look entries up), so
 * valgrind finds no leak after bh_shutdown().
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bh/compiler.h"
#include "bh/context.h"
#include "bh/jiffies.h"
#include "bh/legacy_work.h"
#include "bh/log.h"
#include "bh/runtime.h"
#include "bh/timer.h"
#include "bh/workqueue.h"

#include "fault.h"

/* The first array is static, so that constructors and atomic contexts can
 * insert before anything was allocated. */
#define LW_INITIAL_SLOTS 256
/* Entries for inserts in atomic context, where malloc() is not allowed. */
#define LW_RESERVE 32
/* The key of a slot whose item was forgotten. */
#define LW_TOMB ((struct bh_work *)(uintptr_t)1)

struct lw_entry {
	struct bh_work *work;	     /* A: the item (NULL while spare) */
	bh_legacy_work_func_t func;  /* A (relaxed): set at init/prepare */
	void *data;		     /* A (relaxed) */
	unsigned int pending;	     /* A: the legacy PENDING bit */
	unsigned int disable;	     /* A: legacy disable depth */
	struct bh_workqueue *wq;     /* A (relaxed): the timer's target */
	int cpu;		     /* A (relaxed) */
	struct bh_timer timer;	     /* queues the item at expiry */
	struct lw_entry *next_spare; /* L: the spare list */
	struct lw_entry *next_alloc; /* L: every malloc()ed entry */
};

struct lw_slot {
	struct bh_work *key;	/* A: NULL (empty), LW_TOMB or the item */
	struct lw_entry *entry; /* A: valid while key is the item */
};

struct lw_table {
	size_t mask;		/* slots - 1 (a power of two minus one) */
	size_t used;		/* L: slots not empty (items, tombstones) */
	struct lw_slot *slots;	/* A */
	struct lw_table *older; /* L: replaced arrays, freed at exit */
};

static struct lw_slot lw_initial_slots[LW_INITIAL_SLOTS];
static struct lw_table lw_initial = {
	.mask = LW_INITIAL_SLOTS - 1,
	.slots = lw_initial_slots,
};
static struct lw_table *lw_current = &lw_initial; /* A (acquire/release) */

static struct lw_entry lw_reserve[LW_RESERVE];
static unsigned int lw_reserve_used;  /* L (atomic for the stats) */
static struct lw_entry *lw_spare;     /* L */
static struct lw_entry *lw_allocated; /* L */
static unsigned long lw_live;	      /* L (atomic for the stats) */
static unsigned long lw_nspare;	      /* L (atomic for the stats) */
static int lw_owner;		      /* A: the lock: owner's tid or 0 */

/* ---- lookup (any context, no lock) ----------------------------------- */

static size_t lw_hash(const struct bh_work *w)
{
	uint64_t h = (uint64_t)(uintptr_t)w * 0x9e3779b97f4a7c15ull;
	return (size_t)(h ^ (h >> 29));
}

static struct lw_entry *lw_lookup(const struct bh_work *w)
{
	/* Pairs with the release that published the array. */
	struct lw_table *t = __atomic_load_n(&lw_current, __ATOMIC_ACQUIRE);

	for (size_t n = 0, i = lw_hash(w) & t->mask; n <= t->mask;
	     n++, i = (i + 1) & t->mask) {
		/* Pairs with the release that stored the key. */
		struct bh_work *k =
			__atomic_load_n(&t->slots[i].key, __ATOMIC_ACQUIRE);
		if (!k)
			return NULL;
		if (k == w)
			return __atomic_load_n(&t->slots[i].entry,
					       __ATOMIC_RELAXED);
	}
	return NULL;
}

/* ---- the table lock (writers only) ----------------------------------- */

static bool lw_atomic_context(void)
{
	return bh_in_interrupt() || bh_in_atomic() || bh_irqs_disabled();
}

/*
 * 0, or -EBUSY if this thread holds the lock already: a signal handler
 * interrupted its own thread inside the table code, and waiting would
 * deadlock. Holders only do a few stores and perhaps a malloc(), so other
 * threads' sections end soon; waiting for them is allowed in any context.
 */
static int lw_lock(void)
{
	int self = gettid();

	if (__atomic_load_n(&lw_owner, __ATOMIC_RELAXED) == self)
		return -EBUSY;
	for (;;) {
		int expected = 0;
		if (__atomic_compare_exchange_n(&lw_owner, &expected, self,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 0;
		sched_yield();
	}
}

static void lw_unlock(void)
{
	__atomic_store_n(&lw_owner, 0, __ATOMIC_RELEASE);
}

/* ---- inserting (lock held) ------------------------------------------- */

static void lw_timer_fn(struct bh_timer *t);

/* A spare entry, or a new one (the reserve only, in atomic context). */
static struct lw_entry *lw_new_entry(bool atomic)
{
	struct lw_entry *e = lw_spare;

	if (e) {
		lw_spare = e->next_spare;
		__atomic_fetch_sub(&lw_nspare, 1, __ATOMIC_RELAXED);
		return e;
	}
	if (!atomic) {
		e = bh__calloc(1, sizeof(*e));
		if (e) {
			e->next_alloc = lw_allocated;
			lw_allocated = e;
		}
		return e;
	}
	unsigned int used = __atomic_load_n(&lw_reserve_used, __ATOMIC_RELAXED);
	if (used < LW_RESERVE) {
		__atomic_store_n(&lw_reserve_used, used + 1, __ATOMIC_RELAXED);
		return &lw_reserve[used];
	}
	return NULL;
}

/*
 * Replace the current array by one at most 1/4 full of the live items
 * (the same size if only tombstones filled it). Task context only
 * (allocates). The old array stays readable.
 */
static int lw_grow(void)
{
	struct lw_table *old = lw_current;
	size_t size = LW_INITIAL_SLOTS;
	struct lw_table *t;

	while ((lw_live + 1) * 4 > size)
		size *= 2;
	t = bh__calloc(1, sizeof(*t) + size * sizeof(t->slots[0]));
	if (!t)
		return -ENOMEM;
	t->mask = size - 1;
	t->slots = (struct lw_slot *)(t + 1);
	for (size_t i = 0; i <= old->mask; i++) {
		struct bh_work *k = old->slots[i].key;
		if (!k || k == LW_TOMB)
			continue;
		size_t j = lw_hash(k) & t->mask;
		while (t->slots[j].key)
			j = (j + 1) & t->mask;
		t->slots[j] = old->slots[i];
		t->used++;
	}
	t->older = old;
	/* Pairs with the acquire in lw_lookup(): the slots are filled. */
	__atomic_store_n(&lw_current, t, __ATOMIC_RELEASE);
	return 0;
}

/* Make `e` the idle entry of `w`; the caller publishes it. */
static void lw_fill(struct lw_entry *e, struct bh_work *w,
		    bh_legacy_work_func_t f, void *data)
{
	/* The timer of a new or spare entry is idle (forget waited). */
	e->timer = (struct bh_timer)BH_TIMER_INITIALIZER(lw_timer_fn,
							 BH_TIMER_IRQSAFE);
	__atomic_store_n(&e->work, w, __ATOMIC_RELAXED);
	__atomic_store_n(&e->func, f, __ATOMIC_RELAXED);
	__atomic_store_n(&e->data, data, __ATOMIC_RELAXED);
	__atomic_store_n(&e->pending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->disable, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->wq, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&e->cpu, BH_WORK_CPU_UNBOUND, __ATOMIC_RELAXED);
}

/*
 * The entry of `w`, made if it has none; *made says which. Lock held.
 * -ENOMEM if no entry or slot could be had.
 */
static int lw_get_locked(struct bh_work *w, bh_legacy_work_func_t f, void *data,
			 bool atomic, struct lw_entry **out, bool *made)
{
	for (;;) {
		struct lw_table *t = lw_current;
		struct lw_slot *slot = NULL;
		size_t i = lw_hash(w) & t->mask;

		for (size_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
			struct bh_work *k = t->slots[i].key;
			if (k == w) {
				*out = t->slots[i].entry;
				*made = false;
				return 0;
			}
			if (!k || (k == LW_TOMB && !slot))
				slot = &t->slots[i];
			if (!k)
				break;
		}
		if (slot && !slot->key) {
			/* A new slot: keep the array at most half full (3/4
			 * where it cannot be replaced). */
			size_t size = t->mask + 1;
			if ((t->used + 1) * 2 > size) {
				if (!atomic) {
					if (lw_grow() < 0)
						return -ENOMEM;
					continue;
				}
				if ((t->used + 1) * 4 > size * 3)
					return -ENOMEM;
			}
		}
		if (!slot)
			return -ENOMEM; /* full of items: cannot happen */
		struct lw_entry *e = lw_new_entry(atomic);
		if (!e)
			return -ENOMEM;
		lw_fill(e, w, f, data);
		if (!slot->key)
			t->used++;
		__atomic_store_n(&slot->entry, e, __ATOMIC_RELAXED);
		/* Pairs with the acquire in lw_lookup(): entry is filled. */
		__atomic_store_n(&slot->key, w, __ATOMIC_RELEASE);
		__atomic_fetch_add(&lw_live, 1, __ATOMIC_RELAXED);
		*out = e;
		*made = true;
		return 0;
	}
}

/* Drop `w`'s slot and keep `e` for reuse. Lock held. */
static void lw_remove_locked(struct bh_work *w, struct lw_entry *e)
{
	struct lw_table *t = lw_current;
	size_t i = lw_hash(w) & t->mask;

	for (size_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		struct bh_work *k = t->slots[i].key;
		if (!k)
			return;
		if (k == w && t->slots[i].entry == e) {
			__atomic_store_n(&t->slots[i].key, LW_TOMB,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&e->work, NULL, __ATOMIC_RELAXED);
			e->next_spare = lw_spare;
			lw_spare = e;
			__atomic_fetch_sub(&lw_live, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&lw_nspare, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

/*
 * The entry of `w`, made if needed. `what` names the caller in warnings.
 */
static int lw_get(struct bh_work *w, bh_legacy_work_func_t f, void *data,
		  const char *what, struct lw_entry **out, bool *made)
{
	bool atomic = lw_atomic_context();
	int ret;

	*made = false;
	if (!w || !f) {
		BH_WARN(1, "bh: %s(%p, %p): NULL work item or function", what,
			(void *)w, (void *)f);
		return -EINVAL;
	}
	*out = lw_lookup(w);
	if (*out)
		return 0;
	ret = lw_lock();
	if (ret == 0) {
		ret = lw_get_locked(w, f, data, atomic, out, made);
		lw_unlock();
	}
	if (ret == -EBUSY)
		BH_WARN(1,
			"bh: %s(%p): called from a signal handler that "
			"interrupted this thread inside the legacy work table; "
			"initialise the item in task context first",
			what, (void *)w);
	else if (ret == -ENOMEM)
		BH_WARN(1, "bh: %s(%p): no memory for the legacy work table%s",
			what, (void *)w,
			atomic ? " (atomic context: the static reserve is "
				 "spent; initialise the item once in task "
				 "context first)"
			       : "");
	return ret;
}

/* ---- the public calls ------------------------------------------------- */

void bh_legacy_work_fn(struct bh_work *w)
{
	struct lw_entry *e = lw_lookup(w);

	if (!e) {
		BH_WARN_ONCE(1,
			     "bh: legacy work item %p ran without a table "
			     "entry (forgotten while queued?); not called",
			     (void *)w);
		return;
	}
	/*
	 * W3: not pending from here on. Acquires from the release of every
	 * queue that found the item pending (W5), and of the one that
	 * queued it, so f and data as they stood then are read below.
	 */
	__atomic_exchange_n(&e->pending, 0, __ATOMIC_ACQ_REL);
	bh_legacy_work_func_t f = __atomic_load_n(&e->func, __ATOMIC_RELAXED);
	void *data = __atomic_load_n(&e->data, __ATOMIC_RELAXED);
	f(data);
	/* W10: `w` and `e` are not touched again; f may forget or free. */
}

/* The timer of a legacy delayed queue: queue the item where recorded. */
static void lw_timer_fn(struct bh_timer *t)
{
	struct lw_entry *e = bh_container_of(t, struct lw_entry, timer);
	struct bh_work *w = __atomic_load_n(&e->work, __ATOMIC_RELAXED);
	struct bh_workqueue *wq = __atomic_load_n(&e->wq, __ATOMIC_RELAXED);
	int cpu = __atomic_load_n(&e->cpu, __ATOMIC_RELAXED);

	/*
	 * The native queue refuses a disabled item (X2); the legacy bit must
	 * not then stay set for good.
	 */
	if (!w || !bh_queue_work_on(cpu, wq, w))
		__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
}

int bh_legacy_init_work(struct bh_work *w, bh_legacy_work_func_t f, void *data)
{
	struct lw_entry *e;
	bool made;
	int ret = lw_get(w, f, data, "INIT_WORK", &e, &made);

	if (ret < 0)
		return ret;
	/* M6: reinitialising an item whose timer is armed. */
	if (!made && bh_timer_pending(&e->timer)) {
		BH_WARN(1,
			"ODEBUG: init active (active state 0) object: %p "
			"object type: work_struct (legacy, on its timer)",
			(void *)w);
		bh_timer_delete(&e->timer);
	}
	/* The native item: idle, running the trampoline (cancels and warns
	 * if it was natively pending or running, M6). */
	bh_work_init(w, bh_legacy_work_fn);
	__atomic_store_n(&e->func, f, __ATOMIC_RELAXED);
	__atomic_store_n(&e->data, data, __ATOMIC_RELAXED);
	__atomic_store_n(&e->disable, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
	return 0;
}

int bh_legacy_work_register(struct bh_work *w, bh_legacy_work_func_t f,
			    void *data)
{
	struct lw_entry *e;
	bool made;
	int ret = lw_get(w, f, data, "DECLARE_WORK", &e, &made);

	if (ret < 0)
		return ret;
	__atomic_store_n(&e->func, f, __ATOMIC_RELAXED);
	__atomic_store_n(&e->data, data, __ATOMIC_RELAXED);
	return 0;
}

int bh_legacy_prepare_work(struct bh_work *w, bh_legacy_work_func_t f,
			   void *data)
{
	struct lw_entry *e;
	bool made;
	int ret = lw_get(w, f, data, "PREPARE_WORK", &e, &made);

	if (ret < 0)
		return ret;
	__atomic_store_n(&e->func, f, __ATOMIC_RELAXED);
	__atomic_store_n(&e->data, data, __ATOMIC_RELAXED);
	/* An item initialised in the modern form becomes a legacy one. */
	__atomic_store_n(&w->func, bh_legacy_work_fn, __ATOMIC_RELAXED);
	return 0;
}

/* The entry of a legacy item, or a warning naming `what`. */
static struct lw_entry *lw_entry_of(const struct bh_work *w, const char *what)
{
	struct lw_entry *e = w ? lw_lookup(w) : NULL;

	if (!e)
		BH_WARN(1,
			"bh: %s(%p): not a legacy work item (initialise it "
			"with INIT_WORK(w, f, data) or DECLARE_WORK(n, f, "
			"data))",
			what, (const void *)w);
	return e;
}

int bh_legacy_work_forget(struct bh_work *w)
{
	struct lw_entry *e;
	int ret;

	if (!w) {
		BH_WARN(1, "bh: bh_legacy_work_forget(NULL)");
		return -EINVAL;
	}
	if (lw_atomic_context()) {
		BH_WARN(1,
			"bh: bh_legacy_work_forget(%p) from atomic context; it "
			"may wait, call it in task context",
			(void *)w);
		return -EBUSY;
	}
	e = lw_lookup(w);
	if (!e)
		return -ENOENT;
	/* M6: like freeing an active item: report, then cancel it. */
	if (__atomic_load_n(&e->pending, __ATOMIC_ACQUIRE) ||
	    bh_timer_pending(&e->timer)) {
		BH_WARN(1,
			"ODEBUG: free active (active state 0) object: %p "
			"object type: work_struct (legacy)",
			(void *)w);
		bh_legacy_cancel_work_sync(w);
	}
	/* A callback that is running would still read the entry's fields. */
	bh_timer_delete_sync(&e->timer);
	ret = lw_lock();
	if (ret < 0)
		return ret;
	lw_remove_locked(w, e);
	lw_unlock();
	return 0;
}

bh_legacy_work_func_t bh_legacy_work_func(const struct bh_work *w)
{
	struct lw_entry *e = w ? lw_lookup(w) : NULL;
	return e ? __atomic_load_n(&e->func, __ATOMIC_RELAXED) : NULL;
}

void *bh_legacy_work_data(const struct bh_work *w)
{
	struct lw_entry *e = w ? lw_lookup(w) : NULL;
	return e ? __atomic_load_n(&e->data, __ATOMIC_RELAXED) : NULL;
}

/*
 * Take the legacy PENDING bit for a queue. The fetch-or is a release (so
 * the run that follows sees the caller's stores, also when the bit was set
 * already) and an acquire (so a winner sees the previous run's reads of
 * wq and cpu finished). False if the item was pending or is disabled.
 */
static bool lw_claim(struct lw_entry *e)
{
	if (__atomic_fetch_or(&e->pending, 1u, __ATOMIC_ACQ_REL) & 1u)
		return false;
	if (__atomic_load_n(&e->disable, __ATOMIC_ACQUIRE)) {
		/* X2: refused, and not remembered. */
		__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
		return false;
	}
	return true;
}

bool bh_legacy_queue_work_on(int cpu, struct bh_workqueue *wq,
			     struct bh_work *w)
{
	struct lw_entry *e = lw_entry_of(w, "queue_work");

	if (!e || !lw_claim(e))
		return false;
	if (bh_queue_work_on(cpu, wq, w))
		return true;
	/* Refused natively (disabled, bad arguments: already reported). */
	__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
	return false;
}

int bh_legacy_queue_delayed_work_on(int cpu, struct bh_workqueue *wq,
				    struct bh_work *w, unsigned long delay)
{
	struct lw_entry *e = lw_entry_of(w, "queue_delayed_work");
	int ret;

	if (!e)
		return -EINVAL;
	if (!wq) {
		BH_WARN(1, "bh: queue_delayed_work(NULL, %p)", (void *)w);
		return -EINVAL;
	}
	/* 2.6: a delay of 0 is queue_work(). */
	if (delay == 0)
		return bh_legacy_queue_work_on(cpu, wq, w) ? 1 : 0;
	if (!lw_claim(e))
		return 0;
	__atomic_store_n(&e->wq, wq, __ATOMIC_RELAXED);
	__atomic_store_n(&e->cpu, cpu, __ATOMIC_RELAXED);
	/*
	 * The timer is idle: the bit was clear, so no earlier arm is left.
	 * Arming publishes wq and cpu to the callback. D6: unpinned on the
	 * local CPU for BH_WORK_CPU_UNBOUND, else pinned to `cpu`.
	 */
	if (cpu == BH_WORK_CPU_UNBOUND) {
		ret = bh_mod_timer(&e->timer, bh_jiffies() + delay);
	} else {
		e->timer.expires = bh_jiffies() + delay;
		ret = bh_add_timer_on(&e->timer, cpu);
	}
	if (ret < 0) {
		/* No runtime, bad cpu: the timer call has warned. */
		__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
		return 0;
	}
	return 1;
}

int bh_legacy_cancel_delayed_work(struct bh_work *w)
{
	struct lw_entry *e = lw_entry_of(w, "cancel_delayed_work");

	if (!e)
		return 0;
	/* L3: del_timer_sync(); the bit goes with the timer it covered. */
	if (bh_timer_delete_sync(&e->timer) > 0) {
		__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
		return 1;
	}
	return 0;
}

bool bh_legacy_cancel_work(struct bh_work *w)
{
	struct lw_entry *e = lw_entry_of(w, "cancel_work");
	bool ret;

	if (!e)
		return false;
	ret = bh_timer_delete(&e->timer) > 0;
	ret |= bh_cancel_work(w);
	/* Whichever instance held the bit is gone. */
	if (ret)
		__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
	return ret;
}

/*
 * The _sync forms hold legacy queueing off meanwhile (C11). A running
 * callback may still arm the timer before it sees that (it started
 * earlier), and the native wait returns only once it has finished, so the
 * timer is looked at again after it.
 */
bool bh_legacy_cancel_work_sync(struct bh_work *w)
{
	struct lw_entry *e = lw_entry_of(w, "cancel_work_sync");
	bool ret = false;

	if (!e)
		return false;
	__atomic_fetch_add(&e->disable, 1, __ATOMIC_SEQ_CST);
	do {
		ret |= bh_timer_delete_sync(&e->timer) > 0;
		ret |= bh_cancel_work_sync(w);
	} while (bh_timer_pending(&e->timer));
	if (ret)
		__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&e->disable, 1, __ATOMIC_RELEASE);
	return ret;
}

bool bh_legacy_disable_work(struct bh_work *w)
{
	struct lw_entry *e = lw_entry_of(w, "disable_work");
	bool ret;

	if (!e)
		return false;
	__atomic_fetch_add(&e->disable, 1, __ATOMIC_SEQ_CST);
	ret = bh_timer_delete(&e->timer) > 0;
	ret |= bh_disable_work(w);
	if (ret)
		__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
	return ret;
}

bool bh_legacy_disable_work_sync(struct bh_work *w)
{
	struct lw_entry *e = lw_entry_of(w, "disable_work_sync");
	bool ret;

	if (!e)
		return false;
	__atomic_fetch_add(&e->disable, 1, __ATOMIC_SEQ_CST);
	ret = bh_timer_delete_sync(&e->timer) > 0;
	ret |= bh_disable_work_sync(w);
	/* A callback that ran during the wait may have armed the timer. */
	ret |= bh_timer_delete_sync(&e->timer) > 0;
	if (ret)
		__atomic_store_n(&e->pending, 0, __ATOMIC_RELEASE);
	return ret;
}

bool bh_legacy_enable_work(struct bh_work *w)
{
	struct lw_entry *e = lw_entry_of(w, "enable_work");
	unsigned int depth;

	if (!e)
		return false;
	depth = __atomic_load_n(&e->disable, __ATOMIC_RELAXED);
	while (depth > 0 && !__atomic_compare_exchange_n(
				    &e->disable, &depth, depth - 1, false,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	/* The native depth is the one that counts (and warns, X3). */
	return bh_enable_work(w);
}

bool bh_legacy_work_pending(const struct bh_work *w)
{
	struct lw_entry *e = lw_entry_of(w, "work_pending");

	return e && __atomic_load_n(&e->pending, __ATOMIC_ACQUIRE) != 0;
}

unsigned int bh_legacy_work_busy(struct bh_work *w)
{
	struct lw_entry *e = lw_entry_of(w, "work_busy");
	unsigned int busy = bh_work_busy(w);

	if (e && __atomic_load_n(&e->pending, __ATOMIC_ACQUIRE))
		busy |= BH_WORK_BUSY_PENDING;
	return busy;
}

void bh_legacy_work_get_stats(struct bh_legacy_work_stats *st)
{
	if (!st)
		return;
	st->entries = __atomic_load_n(&lw_live, __ATOMIC_RELAXED);
	st->spare = __atomic_load_n(&lw_nspare, __ATOMIC_RELAXED);
	st->reserve = LW_RESERVE -
		      __atomic_load_n(&lw_reserve_used, __ATOMIC_RELAXED);
	st->capacity = __atomic_load_n(&lw_current, __ATOMIC_ACQUIRE)->mask + 1;
}

/*
 * Process exit: free what was allocated, unless library threads may still
 * look entries up (the runtime was not shut down). Leaves an empty table,
 * in case a later destructor initialises a legacy item again.
 */
__attribute__((destructor)) static void lw_exit(void)
{
	if (bh_running() || lw_lock() < 0)
		return;
	struct lw_table *t = lw_current;
	while (t && t != &lw_initial) {
		struct lw_table *older = t->older;
		free(t);
		t = older;
	}
	while (lw_allocated) {
		struct lw_entry *next = lw_allocated->next_alloc;
		free(lw_allocated);
		lw_allocated = next;
	}
	memset(lw_initial_slots, 0, sizeof(lw_initial_slots));
	memset(lw_reserve, 0, sizeof(lw_reserve));
	lw_initial.used = 0;
	lw_reserve_used = 0;
	lw_spare = NULL;
	lw_live = 0;
	lw_nspare = 0;
	__atomic_store_n(&lw_current, &lw_initial, __ATOMIC_RELEASE);
	lw_unlock();
}
