// SPDX-License-Identifier: MIT
/*
 * What a module left behind at unload, reported as the kernel would
 * complain (or, for most of these, crash later: a timer or tasklet whose
 * code was unloaded runs into freed memory).
 *
 * An object is the module's when it is new since the snapshot taken
 * before loading and its callback or its own storage lies in the
 * module's mapped object; a line request or a workqueue is the module's
 * when it is new (bh-modrun makes none). Memory is the module's when
 * the code that called kmalloc() lies in the module.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bh/debug.h>
#include <bh/hrtimer.h>
#include <bh/delay.h>
#include <bh/irq.h>
#include <bh/tasklet.h>
#include <bh/timer.h>
#include <bh/workqueue.h>
#include <bh/jiffies.h>
#include <bh/log.h>
#include <bh/runtime.h>

#include <bh/slab.h>

#include "modrun.h"

bool modrun_in_module(const struct module_image *m, const void *addr)
{
	Dl_info info;
	return addr && dladdr(addr, &info) && info.dli_fbase == m->base;
}

#define MAX_OBJECTS 4096

static const void *before[MAX_OBJECTS];
static size_t nr_before;

static struct bh_debug_object after[MAX_OBJECTS];
static size_t nr_after;

/* What was reported, for modrun_clean_leftovers(). */
static struct bh_debug_object reported[MAX_OBJECTS];
static size_t nr_reported;
static void *blocks[MAX_OBJECTS];
static size_t nr_blocks;

static void snap_one(const struct bh_debug_object *o, void *arg)
{
	(void)arg;
	if (nr_before < MAX_OBJECTS)
		before[nr_before++] = o->obj;
}

static void collect_one(const struct bh_debug_object *o, void *arg)
{
	(void)arg;
	if (nr_after < MAX_OBJECTS)
		after[nr_after++] = *o;
}

void modrun_snapshot(void)
{
	nr_before = 0;
	bh_debug_for_each_live_object(snap_one, NULL);
}

static bool was_there(const void *obj)
{
	for (size_t i = 0; i < nr_before; i++)
		if (before[i] == obj)
			return true;
	return false;
}

struct mem_walk {
	struct module_image *m;
	size_t blocks, bytes;
	bool print;
};

static void mem_one(const void *ptr, size_t size, const void *caller, void *arg)
{
	struct mem_walk *w = arg;
	if (!modrun_in_module(w->m, caller))
		return;
	if (!w->print) {
		w->blocks++;
		w->bytes += size;
		if (nr_blocks < MAX_OBJECTS)
			blocks[nr_blocks++] = (void *)ptr;
		return;
	}
	char sym[256];
	/* kmemleak's words for each block */
	bh_printk(BH_LOG_ERR,
		  "bh-modrun: %s:   unreferenced object %p (size %zu): "
		  "kmalloc() from %s\n",
		  w->m->name, ptr, size,
		  bh_debug_symbolize(caller, sym, sizeof(sym)));
}

static int report_memory(struct module_image *m)
{
	struct mem_walk w = {m, 0, 0, false};
	bh_kmalloc_for_each_live(mem_one, &w);
	if (!w.blocks)
		return 0;
	bh_printk(BH_LOG_ERR,
		  "bh-modrun: %s: %zu block%s (%zu bytes) of kmalloc() "
		  "memory not freed:\n",
		  m->name, w.blocks, w.blocks == 1 ? "" : "s", w.bytes);
	w.print = true;
	bh_kmalloc_for_each_live(mem_one, &w);
	return 1;
}

int modrun_report_leftovers(struct module_image *m)
{
	int left = 0;
	char sym[256];

	nr_reported = nr_blocks = 0;
	nr_after = 0;
	bh_debug_for_each_live_object(collect_one, NULL);
	for (size_t i = 0; i < nr_after; i++) {
		const struct bh_debug_object *o = &after[i];
		if (was_there(o->obj))
			continue;
		bool mine = modrun_in_module(m, o->fn) ||
			    modrun_in_module(m, o->obj);
		const char *fn = bh_debug_symbolize(o->fn, sym, sizeof(sym));
		switch (o->kind) {
		case BH_DEBUG_TIMER:
		case BH_DEBUG_DELAYED_WORK:
			if (!mine)
				continue;
			bh_printk(BH_LOG_ERR,
				  "bh-modrun: %s: %s %p (%s) still armed at "
				  "unload, due in %ld jiffies on CPU %d (%s "
				  "not called?)\n",
				  m->name,
				  o->kind == BH_DEBUG_TIMER ? "timer"
							    : "delayed work",
				  o->obj, fn, (long)(o->expires - bh_jiffies()),
				  o->cpu,
				  o->kind == BH_DEBUG_TIMER
					  ? "timer_delete_sync()"
					  : "cancel_delayed_work_sync()");
			break;
		case BH_DEBUG_WORK:
			if (!mine)
				continue;
			bh_printk(BH_LOG_ERR,
				  "bh-modrun: %s: work %p (%s) still queued at "
				  "unload%s%s (cancel_work_sync() or "
				  "flush_work() not called?)\n",
				  m->name, o->obj, fn, o->name ? " on " : "",
				  o->name ? o->name : "");
			break;
		case BH_DEBUG_HRTIMER:
			if (!mine)
				continue;
			bh_printk(BH_LOG_ERR,
				  "bh-modrun: %s: hrtimer %p (%s) still armed "
				  "at unload, due in %lld ns (hrtimer_cancel() "
				  "not called?)\n",
				  m->name, o->obj, fn,
				  o->expires_ns - (long long)bh_ktime_get_ns());
			break;
		case BH_DEBUG_TASKLET:
			if (!mine)
				continue;
			bh_printk(BH_LOG_ERR,
				  "bh-modrun: %s: tasklet %p (%s) still "
				  "scheduled%s at unload on CPU %d "
				  "(tasklet_kill() not called?)\n",
				  m->name, o->obj, fn,
				  o->disabled ? " and disabled" : "", o->cpu);
			break;
		case BH_DEBUG_IRQ:
			bh_printk(BH_LOG_ERR,
				  "bh-modrun: %s: left irq %u (\"%s\") "
				  "requested, handler %s (free_irq() not "
				  "called?)\n",
				  m->name, o->irq, o->name ? o->name : "", fn);
			break;
		case BH_DEBUG_WORKQUEUE:
			bh_printk(BH_LOG_ERR,
				  "bh-modrun: %s: workqueue \"%s\" not "
				  "destroyed (destroy_workqueue() not "
				  "called?)\n",
				  m->name, o->name ? o->name : "?");
			break;
		default:
			continue;
		}
		if (nr_reported < MAX_OBJECTS)
			reported[nr_reported++] = *o;
		left++;
	}
	left += report_memory(m);
	if (left)
		bh_printk(BH_LOG_ERR,
			  "bh-modrun: %s: %d leftover%s at unload\n", m->name,
			  left, left == 1 ? "" : "s");
	return left;
}

/*
 * Undo what was reported, in the order a correct exit would have: lines
 * first (no new top halves), then tasklets, timers, delayed work, the
 * workqueues, the memory. The kernel cannot do this for a module; we do,
 * so that the runtime's shutdown does not report the same things again.
 * A tasklet left disabled and scheduled cannot be killed (tasklet_kill()
 * would wait for ever, as in the kernel): the shutdown cancels it, and
 * says so.
 */
void modrun_clean_leftovers(void)
{
	static const int order[] = {BH_DEBUG_IRQ,	   BH_DEBUG_TASKLET,
				    BH_DEBUG_TIMER,	   BH_DEBUG_HRTIMER,
				    BH_DEBUG_DELAYED_WORK, BH_DEBUG_WORK,
				    BH_DEBUG_WORKQUEUE};
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (size_t i = 0; i < nr_reported; i++) {
			struct bh_debug_object *o = &reported[i];
			if (o->kind != order[k])
				continue;
			switch (o->kind) {
			case BH_DEBUG_IRQ:
				bh_free_irq(o->irq, (void *)o->dev_id);
				break;
			case BH_DEBUG_TASKLET:
				if (!o->disabled)
					bh_tasklet_kill((void *)o->obj);
				break;
			case BH_DEBUG_TIMER:
				bh_timer_shutdown_sync((void *)o->obj);
				break;
			case BH_DEBUG_HRTIMER:
				bh_hrtimer_cancel((void *)o->obj);
				break;
			case BH_DEBUG_DELAYED_WORK:
				bh_cancel_delayed_work_sync((void *)o->obj);
				break;
			case BH_DEBUG_WORK:
				bh_cancel_work_sync((void *)o->obj);
				break;
			case BH_DEBUG_WORKQUEUE:
				bh_destroy_workqueue((void *)o->obj);
				break;
			}
		}
	for (size_t i = 0; i < nr_blocks; i++)
		bh_kfree(blocks[i]);
	nr_reported = nr_blocks = 0;
}
