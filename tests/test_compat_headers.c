/* SPDX-License-Identifier: MIT */
/*
 * The compat headers as headers: each compiles in a unit that includes it
 * (each is also checked alone; see docs/COMPAT.md), they coexist with the
 * system headers that include <linux/types.h>, <linux/errno.h>,
 * <linux/kernel.h> or define HZ themselves, and their constants, types and
 * helper macros are the kernel's.
 *
 * The order below puts each header before anything that would pull it in
 * indirectly, where it can: the chained ones first, then from the leaves up.
 */
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/typecheck.h>
#include <linux/printk.h>
#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/irqflags.h>
#include <linux/preempt.h>
#include <linux/bottom_half.h>
#include <linux/hardirq.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <sys/param.h> /* defines HZ 100 unless defined: jiffies.h wins */
#include <linux/jiffies.h>
#include <linux/interrupt.h>
/* The module environment (issue 5). */
#include <linux/bits.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/sched.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/sort.h>
#include <linux/utsname.h>
/* The module environment's loader side (bh-modrun). */
#include <linux/export.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sprintf.h>
#include <linux/string.h>

/* System headers that include <linux/...> themselves, after the compat
 * ones. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

#include <stdlib.h> /* before harness.h, which uses getenv() */

#include "harness.h"

/* ---- types and layouts ------------------------------------------------- */

_Static_assert(sizeof(u8) == 1 && sizeof(s8) == 1, "8-bit types");
_Static_assert(sizeof(u16) == 2 && sizeof(s16) == 2, "16-bit types");
_Static_assert(sizeof(u32) == 4 && sizeof(s32) == 4, "32-bit types");
_Static_assert(sizeof(u64) == 8 && sizeof(s64) == 8, "64-bit types");
_Static_assert((s8)-1 < 0 && (u8)-1 > 0, "signedness");
_Static_assert(__builtin_types_compatible_p(u64, unsigned long long),
	       "u64 is unsigned long long, as in the kernel");
_Static_assert(__builtin_types_compatible_p(atomic_t, bh_atomic_t), "atomic_t");

/* The 5.9+ struct tasklet_struct, field for field (LP64). */
_Static_assert(sizeof(void *) != 8 || sizeof(struct tasklet_struct) == 40,
	       "tasklet_struct size");
_Static_assert(sizeof(void *) != 8 ||
		       (offsetof(struct tasklet_struct, next) == 0 &&
			offsetof(struct tasklet_struct, state) == 8 &&
			offsetof(struct tasklet_struct, count) == 16 &&
			offsetof(struct tasklet_struct, use_callback) == 20 &&
			offsetof(struct tasklet_struct, func) == 24 &&
			offsetof(struct tasklet_struct, callback) == 24 &&
			offsetof(struct tasklet_struct, data) == 32),
	       "tasklet_struct layout");
_Static_assert(__builtin_types_compatible_p(
		       __typeof__(((struct tasklet_struct *)0)->count),
		       atomic_t),
	       "count is an atomic_t");
_Static_assert(TASKLET_STATE_SCHED == 0 && TASKLET_STATE_RUN == 1,
	       "tasklet state bits");

/* ---- constants ----------------------------------------------------------*/

/* The kernel's GFP masks (6.x bit values) and the uaccess/sched types. */
_Static_assert(GFP_KERNEL == 0xcc0 && GFP_ATOMIC == 0x820 &&
		       GFP_NOWAIT == 0x2800 && __GFP_ZERO == 0x100,
	       "GFP masks");
_Static_assert(__builtin_types_compatible_p(gfp_t, unsigned int), "gfp_t");
_Static_assert(TASK_RUNNING == 0 && TASK_INTERRUPTIBLE == 1 &&
		       TASK_UNINTERRUPTIBLE == 2 && TASK_COMM_LEN == 16,
	       "task states");
_Static_assert(sizeof(((struct task_struct *)0)->comm) == TASK_COMM_LEN,
	       "comm");
_Static_assert(sizeof(atomic_long_t) == sizeof(long), "atomic_long_t");
_Static_assert(sizeof(refcount_t) == sizeof(int), "refcount_t");
_Static_assert(NR_CPUS == BH_MAX_CPUS, "NR_CPUS");
_Static_assert(HRTIMER_MODE_ABS == 0 && HRTIMER_MODE_REL == 1 &&
		       HRTIMER_MODE_PINNED == 2 && HRTIMER_MODE_SOFT == 4 &&
		       HRTIMER_MODE_HARD == 8 &&
		       HRTIMER_MODE_REL_PINNED_HARD == 0xb,
	       "hrtimer modes");
_Static_assert(HRTIMER_NORESTART == 0 && HRTIMER_RESTART == 1,
	       "hrtimer_restart");

_Static_assert(HI_SOFTIRQ == 0 && TIMER_SOFTIRQ == 1 && NET_TX_SOFTIRQ == 2 &&
		       NET_RX_SOFTIRQ == 3 && BLOCK_SOFTIRQ == 4 &&
		       IRQ_POLL_SOFTIRQ == 5 && TASKLET_SOFTIRQ == 6 &&
		       SCHED_SOFTIRQ == 7 && HRTIMER_SOFTIRQ == 8 &&
		       RCU_SOFTIRQ == 9 && NR_SOFTIRQS == 10,
	       "SPEC S1: the ten vectors, numbered as the kernel's");

_Static_assert(PREEMPT_OFFSET == 0x1 && PREEMPT_MASK == 0xff &&
		       SOFTIRQ_OFFSET == 0x100 &&
		       SOFTIRQ_DISABLE_OFFSET == 0x200 &&
		       SOFTIRQ_MASK == 0xff00 && HARDIRQ_OFFSET == 0x10000 &&
		       HARDIRQ_MASK == 0xf0000 && NMI_OFFSET == 0x100000 &&
		       NMI_MASK == 0xf00000,
	       "the kernel's preempt-count layout");
_Static_assert(PREEMPT_SHIFT == 0 && SOFTIRQ_SHIFT == 8 &&
		       HARDIRQ_SHIFT == 16 && NMI_SHIFT == 20,
	       "preempt-count shifts");

_Static_assert(ERESTARTSYS == 512 && EPROBE_DEFER == 517 && ENOTSUPP == 524 &&
		       ENOGRACE == 531,
	       "kernel-internal errnos");
_Static_assert(EINVAL == 22 && EAGAIN == 11, "the UAPI errnos are still there");

/* ARRAY_SIZE is an integer constant expression. */
static int sized[7];
_Static_assert(ARRAY_SIZE(sized) == 7, "ARRAY_SIZE");
static char sized_again[ARRAY_SIZE(sized) * 2];

static void test_kern_levels(void **state)
{
	(void)state;
	static const char *const levels[] = {
		KERN_EMERG,   KERN_ALERT,  KERN_CRIT, KERN_ERR,
		KERN_WARNING, KERN_NOTICE, KERN_INFO, KERN_DEBUG,
	};
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		assert_int_equal(strlen(levels[i]), 2);
		assert_int_equal(levels[i][0], KERN_SOH_ASCII);
		assert_int_equal(levels[i][1], '0' + (int)i);
	}
	assert_string_equal(KERN_CONT, "\001c");
	assert_string_equal(KERN_DEFAULT, "");
	assert_int_equal(LOGLEVEL_INFO, BH_LOG_INFO);
	assert_int_equal(LOGLEVEL_DEBUG, BH_LOG_DEBUG);
	sized[6] = 6;
	sized_again[13] = 13;
	assert_int_equal(sized[ARRAY_SIZE(sized) - 1], 6);
	assert_int_equal(sized_again[ARRAY_SIZE(sized_again) - 1], 13);
}

/* ---- kernel.h helpers -------------------------------------------------- */

static int calls;
static int once(int v)
{
	calls++;
	return v;
}

struct outer {
	int a;
	long member;
	char c;
};

static void test_kernel_helpers(void **state)
{
	(void)state;
	calls = 0;
	assert_int_equal(min(once(3), once(5)), 3);
	assert_int_equal(max(once(3), once(5)), 5);
	assert_int_equal(calls, 4); /* each argument evaluated once */
	assert_int_equal(min(-1, 2), -1);
	assert_int_equal(max(2.5, 1) * 2, 5);
	assert_int_equal(min_t(int, 300, (u8)7), 7);
	int big = 300;
	assert_int_equal(max_t(u8, big, 7), 44); /* 300 as u8 */
	assert_int_equal(min3(4, 2, 3), 2);
	assert_int_equal(max3(4, 2, 9), 9);
	calls = 0;
	assert_int_equal(clamp(once(15), once(0), once(10)), 10);
	assert_int_equal(calls, 3);
	assert_int_equal(clamp(-5, 0, 10), 0);
	assert_int_equal(clamp(5, 0, 10), 5);
	int bigger = 500, little = 0x105;
	assert_int_equal(clamp_t(u8, bigger, 0, 100), 100); /* 500 as u8: 244 */
	assert_int_equal(clamp_t(u8, little, 0, 100), 5);   /* 0x105 as u8: 5 */
	assert_int_equal(clamp_val((u8)200, 10, 100), 100);
	size_t len = 40;
	assert_int_equal(min(len, sizeof(struct outer)), sizeof(struct outer));
	assert_int_equal(DIV_ROUND_UP(7, 2), 4);

	struct outer o;
	long *m = &o.member;
	assert_ptr_equal(container_of(m, struct outer, member), &o);

	assert_true(likely(1));
	assert_false(unlikely(0));

	BUILD_BUG_ON(sizeof(u32) != 4);
	assert_int_equal(typecheck(unsigned long, len), 1);
}

static void test_once_accessors(void **state)
{
	(void)state;
	int x = 1;
	const int cx = 7;
	volatile unsigned char vc = 9;
	struct outer o = {.member = 5};
	const struct outer *po = &o;
	void *p = &x;

	assert_int_equal(READ_ONCE(x), 1);
	WRITE_ONCE(x, 2);
	assert_int_equal(x, 2);
	assert_int_equal(READ_ONCE(cx), 7);
	assert_int_equal(READ_ONCE(vc), 9);
	WRITE_ONCE(vc, 10);
	assert_int_equal(vc, 10);
	assert_int_equal(READ_ONCE(po->member), 5);
	assert_ptr_equal(READ_ONCE(p), &x);
	WRITE_ONCE(p, NULL);
	assert_null(p);
	_Static_assert(__builtin_types_compatible_p(__typeof__(READ_ONCE(vc)),
						    unsigned char),
		       "READ_ONCE keeps the type, drops the qualifiers");
	ACCESS_ONCE(x) = 3;
	assert_int_equal(ACCESS_ONCE(x), 3);
	barrier();
}

/* ---- run-time values that headers define ------------------------------- */

static void test_runtime_constants(void **state)
{
	(void)state;
	/* <sys/param.h> came first with its HZ 100: the runtime's wins. */
	assert_int_equal(HZ, 250);
	th_init(1, true);
	assert_int_equal(HZ, (int)bh_hz());
	assert_int_equal(INITIAL_JIFFIES,
			 (unsigned long)(unsigned int)(-300 * 250));
	assert_int_equal(jiffies, INITIAL_JIFFIES);
	th_shutdown();

	struct bh_config cfg;
	th_log_clear();
	th_config(&cfg, 1, true);
	cfg.hz = 1000;
	assert_int_equal(bh_init(&cfg), 0);
	assert_int_equal(HZ, 1000);
	assert_int_equal(msecs_to_jiffies(1), 1);
	assert_int_equal(jiffies, INITIAL_JIFFIES);
	assert_int_equal((u32)(jiffies + 300ul * 1000), 0);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kern_levels),
		cmocka_unit_test(test_kernel_helpers),
		cmocka_unit_test(test_once_accessors),
		cmocka_unit_test_teardown(test_runtime_constants, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
