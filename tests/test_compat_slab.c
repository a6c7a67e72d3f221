/* SPDX-License-Identifier: MIT */
/*
 * <linux/slab.h>: kmalloc and friends as kernel code calls them, their
 * context checks (SPEC U8, M15), the signal-handler pool, the misuse
 * warnings and the live-block record the module host reports leaks from.
 *
 * Callbacks never assert (a failure would longjmp out of the library in
 * the middle of a softirq): they record, and the tests assert afterwards.
 */
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/slab.h>

#include "harness.h"

#define SPLAT "BUG: sleeping function called from invalid context"

/* ---- basic semantics ---------------------------------------------------- */

static void test_alloc_family(void **state)
{
	(void)state;
	size_t before = bh_kmalloc_live_count();
	char *p = kmalloc(100, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 16, 0);
	memset(p, 0xa5, 100);
	assert_int_equal(ksize(p), 100);

	unsigned char *z = kzalloc(64, GFP_KERNEL);
	assert_non_null(z);
	for (int i = 0; i < 64; i++)
		assert_int_equal(z[i], 0);

	int *c = kcalloc(10, sizeof(int), GFP_ATOMIC);
	assert_non_null(c);
	for (int i = 0; i < 10; i++)
		assert_int_equal(c[i], 0);
	/* n * size overflowing gives NULL, not a short block. */
	assert_null(kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL));
	assert_null(kmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));

	char *s = kstrdup("bottom half", GFP_KERNEL);
	assert_string_equal(s, "bottom half");
	assert_null(kstrdup(NULL, GFP_KERNEL));
	char *sn = kstrndup("bottom half", 6, GFP_KERNEL);
	assert_string_equal(sn, "bottom");
	int src[3] = {1, 2, 3};
	int *m = kmemdup(src, sizeof(src), GFP_KERNEL);
	assert_memory_equal(m, src, sizeof(src));

	/* krealloc keeps the contents; __GFP_ZERO zeroes the new tail. */
	p = krealloc(p, 200, GFP_KERNEL | __GFP_ZERO);
	assert_non_null(p);
	assert_int_equal((unsigned char)p[99], 0xa5);
	assert_int_equal(p[150], 0);
	assert_int_equal(ksize(p), 200);
	assert_int_equal(bh_kmalloc_live_count(), before + 6);

	/* The kernel's zero-size rules. */
	void *zp = kmalloc(0, GFP_KERNEL);
	assert_ptr_equal(zp, ZERO_SIZE_PTR);
	assert_true(ZERO_OR_NULL_PTR(zp));
	kfree(zp);
	kfree(NULL);
	assert_ptr_equal(krealloc(m, 0, GFP_KERNEL), ZERO_SIZE_PTR);

	kfree(p);
	kfree(z);
	kfree(c);
	kfree(s);
	kfree(sn);
	assert_int_equal(bh_kmalloc_live_count(), before);
	assert_int_equal(th_log.messages, 0);
}

/* ---- the live-block record ------------------------------------------------
 */

struct seen {
	const void *ptr[8];
	size_t size[8];
	const void *caller[8];
	size_t n;
};

static void collect(const void *ptr, size_t size, const void *caller, void *arg)
{
	struct seen *s = arg;
	if (s->n < 8) {
		s->ptr[s->n] = ptr;
		s->size[s->n] = size;
		s->caller[s->n] = caller;
	}
	s->n++;
}

static __attribute__((noinline)) const void *here(void)
{
	return __builtin_return_address(0);
}

/* Allocate and note where: the caller recorded for the block must be
 * within a few instructions of `*pc`, in this function. */
static __attribute__((noinline)) void *alloc_at(size_t n, const void **pc)
{
	void *p = kmalloc(n, GFP_KERNEL);
	*pc = here();
	return p;
}

static __attribute__((noinline)) void *zalloc_at(size_t n, const void **pc)
{
	void *p = kzalloc(n, GFP_KERNEL);
	*pc = here();
	return p;
}

static bool near(const void *a, const void *b)
{
	intptr_t d = (intptr_t)a - (intptr_t)b;
	return d > -128 && d < 128;
}

/* Issue 5: the walk reports exactly the live blocks, with sizes and
 * callers in the calling code; freed blocks drop out. */
static void test_live_blocks_reported(void **state)
{
	(void)state;
	struct seen s = {0};
	assert_int_equal(bh_kmalloc_for_each_live(collect, &s), 0);
	assert_int_equal(bh_kmalloc_live_count(), 0);

	const void *pc1, *pc2;
	void *a = alloc_at(24, &pc1);
	void *b = zalloc_at(4000, &pc2);
	void *c = kmalloc(8, GFP_KERNEL);
	kfree(c);

	assert_int_equal(bh_kmalloc_live_count(), 2);
	assert_int_equal(bh_kmalloc_for_each_live(collect, &s), 2);
	assert_int_equal(s.n, 2);
	/* Either order: the record is a set. */
	int ia = s.ptr[0] == a ? 0 : 1, ib = 1 - ia;
	assert_ptr_equal(s.ptr[ia], a);
	assert_ptr_equal(s.ptr[ib], b);
	assert_int_equal(s.size[ia], 24);
	assert_int_equal(s.size[ib], 4000);
	assert_true(near(s.caller[ia], pc1));
	assert_true(near(s.caller[ib], pc2));

	kfree(a);
	kfree(b);
	assert_int_equal(bh_kmalloc_live_count(), 0);
}

/* ---- misuse ----------------------------------------------------------------
 */

static void test_double_and_invalid_free_warn(void **state)
{
	(void)state;
	/* ThreadSanitizer reports the read of the freed header itself (as
	 * valgrind does), before the warning: not run there. */
	if (!TH_TSAN) {
		th_log_clear();
		char *p = kmalloc(32, GFP_KERNEL);
		kfree(p);
		kfree(p);
		assert_true(th_log_has("kfree("));
		assert_true(th_log_has(
			"double-free: the object was already freed"));
	}

	th_log_clear();
	static _Alignas(16) char not_kmalloc[256];
	kfree(not_kmalloc + 64);
	assert_true(th_log_has("invalid-free: not a pointer from kmalloc"));
	kfree(not_kmalloc + 3); /* misaligned: never read */
	assert_true(th_log.messages >= 2);
	assert_int_equal(bh_kmalloc_live_count(), 0);
}

/* ---- context (SPEC U8, M15) ------------------------------------------------
 */

struct ctx_probe {
	gfp_t gfp;
	void *p;
	bool ran;
};

static struct ctx_probe tl_probe, irq_probe;

static void probe_tasklet(struct tasklet_struct *t)
{
	(void)t;
	tl_probe.p = kmalloc(48, tl_probe.gfp);
	tl_probe.ran = true;
}

static DECLARE_TASKLET(slab_tasklet, probe_tasklet);

static irqreturn_t probe_top_half(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	irq_probe.p = kmalloc(48, irq_probe.gfp);
	irq_probe.ran = true;
	return IRQ_HANDLED;
}

static void run_tasklet_probe(gfp_t gfp)
{
	memset(&tl_probe, 0, sizeof(tl_probe));
	tl_probe.gfp = gfp;
	th_log_clear();
	tasklet_schedule(&slab_tasklet);
	assert_true(bh_run_all(0) > 0);
	assert_true(tl_probe.ran);
	/* It allocates after the splat, as the kernel's does. */
	assert_non_null(tl_probe.p);
	kfree(tl_probe.p);
}

/* SPEC M15: kmalloc(GFP_KERNEL) in a tasklet splats, naming kmalloc;
 * GFP_ATOMIC there does not. */
static void test_gfp_kernel_in_tasklet_splats(void **state)
{
	(void)state;
	run_tasklet_probe(GFP_KERNEL);
	assert_true(th_log_has(SPLAT " at kmalloc(GFP_KERNEL)"));
	assert_true(th_log_has("in_atomic(): 1"));

	run_tasklet_probe(GFP_ATOMIC);
	assert_int_equal(th_log.messages, 0);
	run_tasklet_probe(GFP_NOWAIT);
	assert_int_equal(th_log.messages, 0);
}

/* SPEC U8: the same in a top half (hardirq context). */
static void test_gfp_kernel_in_top_half_splats(void **state)
{
	(void)state;
	assert_int_equal(request_irq(7, probe_top_half, 0, "slabdev", NULL), 0);

	memset(&irq_probe, 0, sizeof(irq_probe));
	irq_probe.gfp = GFP_KERNEL;
	th_log_clear();
	assert_int_equal(bh_raise_irq(7), 0);
	assert_true(irq_probe.ran);
	assert_true(th_log_has(SPLAT " at kmalloc(GFP_KERNEL)"));
	assert_true(th_log_has("Context: hardirq"));
	kfree(irq_probe.p);

	memset(&irq_probe, 0, sizeof(irq_probe));
	irq_probe.gfp = GFP_ATOMIC;
	th_log_clear();
	assert_int_equal(bh_raise_irq(7), 0);
	assert_true(irq_probe.ran);
	assert_non_null(irq_probe.p);
	assert_int_equal(th_log.messages, 0);
	kfree(irq_probe.p);

	free_irq(7, NULL);
}

/* Task context: no splat for GFP_KERNEL; with bh off, a splat. */
static void test_gfp_kernel_task_context(void **state)
{
	(void)state;
	th_log_clear();
	kfree(kmalloc(10, GFP_KERNEL));
	assert_int_equal(th_log.messages, 0);
	local_bh_disable();
	void *p = kmalloc(10, GFP_KERNEL);
	local_bh_enable();
	assert_true(th_log_has(SPLAT " at kmalloc(GFP_KERNEL)"));
	kfree(p);
}

/* ---- inside a signal handler
 * --------------------------------------------------- */

static struct {
	void *small, *big, *many[BH_KMALLOC_SIGNAL_POOL_SLOTS + 1];
	void *to_free;
	unsigned int got;
} sig;

static void top_half_signal(int signo)
{
	(void)signo;
	bh_signal_irq_enter();
	sig.small = kmalloc(100, GFP_ATOMIC);
	sig.big = kmalloc(BH_KMALLOC_SIGNAL_MAX + 1, GFP_ATOMIC);
	kfree(sig.to_free); /* a malloc() block: freed later */
	bh_signal_irq_exit();
}

static void fill_pool_signal(int signo)
{
	(void)signo;
	bh_signal_irq_enter();
	for (unsigned int i = 0; i < BH_KMALLOC_SIGNAL_POOL_SLOTS + 1; i++) {
		sig.many[i] = kmalloc(16, GFP_ATOMIC | __GFP_NOWARN);
		if (sig.many[i])
			sig.got++;
	}
	bh_signal_irq_exit();
}

/* GFP_ATOMIC in a top half run by a signal handler takes the pool: no
 * malloc(); too big a request warns naming the rule; kfree() there of a
 * malloc() block is deferred, not lost. */
static void test_signal_handler_uses_pool(void **state)
{
	(void)state;
	struct sigaction sa = {.sa_handler = top_half_signal}, old;
	sigemptyset(&sa.sa_mask);
	memset(&sig, 0, sizeof(sig));
	sig.to_free = kmalloc(1000, GFP_KERNEL);
	size_t before = bh_kmalloc_live_count();
	th_log_clear();
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	raise(SIGUSR1);
	assert_non_null(sig.small);
	assert_null(sig.big);
	assert_true(th_log_has("inside a signal handler: malloc() is not "
			       "async-signal-safe"));
	memset(sig.small, 1, 100);
	/* to_free is gone (deferred then drained), small is live. */
	assert_int_equal(bh_kmalloc_live_count(), before);
	struct seen s = {0};
	bh_kmalloc_for_each_live(collect, &s);
	bool found = false;
	for (size_t i = 0; i < s.n && i < 8; i++)
		found |= s.ptr[i] == sig.small && s.size[i] == 100;
	assert_true(found);
	kfree(sig.small);
	assert_int_equal(bh_kmalloc_live_count(), before - 1);

	/* The pool is finite: GFP_ATOMIC may fail, as in the kernel. */
	sa.sa_handler = fill_pool_signal;
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	raise(SIGUSR1);
	assert_int_equal(sig.got, BH_KMALLOC_SIGNAL_POOL_SLOTS);
	assert_null(sig.many[BH_KMALLOC_SIGNAL_POOL_SLOTS]);
	for (unsigned int i = 0; i < BH_KMALLOC_SIGNAL_POOL_SLOTS; i++)
		kfree(sig.many[i]);
	assert_int_equal(bh_kmalloc_live_count(), before - 1);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
}

static int setup(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_alloc_family),
		T(test_live_blocks_reported),
		T(test_double_and_invalid_free_warn),
		T(test_gfp_kernel_in_tasklet_splats),
		T(test_gfp_kernel_in_top_half_splats),
		T(test_gfp_kernel_task_context),
		T(test_signal_handler_uses_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
