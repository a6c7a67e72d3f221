/* SPDX-License-Identifier: MIT */
/*
 * <linux/atomic.h> and <linux/refcount.h>: the operations' results, the
 * three types, the conditional forms, atomicity under two threads, and
 * refcount_t's saturation warnings. (The ordering classes are a property
 * of which builtin each maps to; documented in the header.)
 */
#include <linux/atomic.h>
#include <linux/refcount.h>

#include "harness.h"

static void test_atomic_t_ops(void **state)
{
	(void)state;
	atomic_t v = ATOMIC_INIT(5);
	assert_int_equal(atomic_read(&v), 5);
	atomic_set(&v, 10);
	atomic_inc(&v);
	atomic_add(4, &v);
	atomic_sub(2, &v);
	atomic_dec(&v);
	assert_int_equal(atomic_read(&v), 12);
	assert_int_equal(atomic_inc_return(&v), 13);
	assert_int_equal(atomic_dec_return(&v), 12);
	assert_int_equal(atomic_add_return(8, &v), 20);
	assert_int_equal(atomic_sub_return(5, &v), 15);
	assert_int_equal(atomic_fetch_add(1, &v), 15);
	assert_int_equal(atomic_fetch_sub(1, &v), 16);
	assert_int_equal(atomic_fetch_inc(&v), 15);
	assert_int_equal(atomic_fetch_dec(&v), 16);
	assert_int_equal(atomic_fetch_or(0x100, &v), 15);
	assert_int_equal(atomic_fetch_and(0xff, &v), 0x10f);
	assert_int_equal(atomic_fetch_xor(1, &v), 15);
	assert_int_equal(atomic_fetch_andnot(4, &v), 14);
	assert_int_equal(atomic_read(&v), 10);
	atomic_or(1, &v);
	atomic_and(~2, &v);
	atomic_xor(8, &v);
	atomic_andnot(1, &v);
	assert_int_equal(atomic_read(&v), 0);

	atomic_set(&v, 3);
	assert_int_equal(atomic_xchg(&v, 4), 3);
	assert_int_equal(atomic_cmpxchg(&v, 4, 9), 4); /* succeeded */
	assert_int_equal(atomic_cmpxchg(&v, 4, 1), 9); /* failed */
	assert_int_equal(atomic_read(&v), 9);
	int old = 1;
	assert_false(atomic_try_cmpxchg(&v, &old, 2));
	assert_int_equal(old, 9); /* updated to what was found */
	assert_true(atomic_try_cmpxchg(&v, &old, 2));
	assert_int_equal(atomic_read(&v), 2);

	assert_false(atomic_dec_and_test(&v));
	assert_true(atomic_dec_and_test(&v));
	assert_true(atomic_inc_and_test(&(atomic_t)ATOMIC_INIT(-1)));
	assert_true(atomic_sub_and_test(3, &(atomic_t)ATOMIC_INIT(3)));
	assert_true(atomic_add_negative(-5, &(atomic_t)ATOMIC_INIT(2)));

	/* The conditional forms. */
	atomic_set(&v, 0);
	assert_false(atomic_inc_not_zero(&v));
	assert_int_equal(atomic_read(&v), 0);
	atomic_set(&v, 1);
	assert_true(atomic_inc_not_zero(&v));
	assert_int_equal(atomic_read(&v), 2);
	assert_false(atomic_add_unless(&v, 5, 2));
	assert_true(atomic_add_unless(&v, 5, 3));
	assert_int_equal(atomic_fetch_add_unless(&v, 1, 7), 7);
	assert_int_equal(atomic_read(&v), 7);
	atomic_set(&v, 1);
	assert_int_equal(atomic_dec_if_positive(&v), 0);
	assert_int_equal(atomic_dec_if_positive(&v), -1);
	assert_int_equal(atomic_read(&v), 0); /* not stored */
	assert_true(atomic_inc_unless_negative(&v));
	assert_false(atomic_dec_unless_positive(&v));
	atomic_set(&v, -1);
	assert_false(atomic_inc_unless_negative(&v));
	assert_true(atomic_dec_unless_positive(&v));
	assert_int_equal(atomic_read(&v), -2);

	/* The ordered variants give the same values. */
	assert_int_equal(atomic_add_return_relaxed(2, &v), 0);
	assert_int_equal(atomic_fetch_add_acquire(1, &v), 0);
	assert_int_equal(atomic_fetch_sub_release(1, &v), 1);
	assert_int_equal(atomic_read_acquire(&v), 0);
	atomic_set_release(&v, 6);
	assert_int_equal(atomic_cmpxchg_acquire(&v, 6, 7), 6);
	assert_int_equal(atomic_cmpxchg_release(&v, 7, 8), 7);
	assert_int_equal(atomic_cmpxchg_relaxed(&v, 8, 9), 8);
	assert_int_equal(atomic_xchg_relaxed(&v, 1), 9);
}

static void test_atomic64_and_long(void **state)
{
	(void)state;
	atomic64_t a = ATOMIC64_INIT(1LL << 40);
	atomic64_add(1, &a);
	assert_true(atomic64_read(&a) == (1LL << 40) + 1);
	assert_true(atomic64_cmpxchg(&a, (1LL << 40) + 1, 1LL << 50) ==
		    (1LL << 40) + 1);
	assert_true(atomic64_inc_return(&a) == (1LL << 50) + 1);
	atomic_long_t l = ATOMIC_LONG_INIT(-3);
	assert_int_equal(atomic_long_add_return(3, &l), 0);
	assert_true(
		atomic_long_inc_and_test(&(atomic_long_t)ATOMIC_LONG_INIT(-1)));
	_Static_assert(sizeof(atomic64_t) == 8, "atomic64_t holds an s64");

	/* Plain-variable xchg()/cmpxchg(). */
	unsigned long w = 5;
	assert_int_equal(xchg(&w, 6), 5);
	assert_int_equal(cmpxchg(&w, 6, 7), 6);
	assert_int_equal(cmpxchg(&w, 6, 8), 7);
	assert_int_equal(w, 7);
	smp_mb();
	smp_store_release(&w, 9);
	assert_int_equal(smp_load_acquire(&w), 9);
}

/* Two threads, a million increments each: none lost. */
#define PER_THREAD (TH_TSAN ? 20000 : 1000000)
static atomic_t shared = ATOMIC_INIT(0);
static atomic64_t shared64 = ATOMIC64_INIT(0);

static void *incrementer(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		atomic_inc(&shared);
		atomic64_fetch_add(2, &shared64);
	}
	return NULL;
}

static void test_atomicity(void **state)
{
	(void)state;
	pthread_t t1, t2;
	assert_int_equal(pthread_create(&t1, NULL, incrementer, NULL), 0);
	assert_int_equal(pthread_create(&t2, NULL, incrementer, NULL), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(atomic_read(&shared), 2 * PER_THREAD);
	assert_true(atomic64_read(&shared64) == 4LL * PER_THREAD);
}

static void test_refcount(void **state)
{
	(void)state;
	th_init(1, true);
	refcount_t r = REFCOUNT_INIT(1);
	refcount_inc(&r);
	assert_int_equal(refcount_read(&r), 2);
	assert_true(refcount_inc_not_zero(&r));
	assert_false(refcount_dec_and_test(&r));
	refcount_dec(&r);
	assert_true(refcount_dec_and_test(&r));
	assert_int_equal(th_log.messages, 0);

	/* 0 stays 0 for inc_not_zero; a plain inc from 0 is a use after
	 * free: warned, and the count saturates instead of reviving. */
	assert_false(refcount_inc_not_zero(&r));
	refcount_inc(&r);
	assert_true(th_log_has("refcount_t: addition on 0; use-after-free."));
	assert_int_equal((int)refcount_read(&r), REFCOUNT_SATURATED);
	assert_false(refcount_dec_and_test(&r)); /* saturated: never freed */

	th_log_clear();
	refcount_set(&r, REFCOUNT_MAX);
	refcount_inc(&r);
	assert_true(th_log_has("refcount_t: saturated; leaking memory."));
	assert_int_equal((int)refcount_read(&r), REFCOUNT_SATURATED);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomic_t_ops),
		cmocka_unit_test(test_atomic64_and_long),
		cmocka_unit_test(test_atomicity),
		cmocka_unit_test_teardown(test_refcount, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
