/* SPDX-License-Identifier: MIT */
/*
 * <linux/uaccess.h>: the user copies copy (one address space), return what
 * the kernel's return, and keep the rule that they run in process context
 * only: from a tasklet or a top half they give the might_sleep splat naming
 * the call (SPEC U8, M15; the seed notes' "copy_to_user in a tasklet").
 *
 * Callbacks never assert: they record, and the tests assert afterwards.
 */
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>

#include "harness.h"

#define SPLAT "BUG: sleeping function called from invalid context at "

static void test_copies_in_process_context(void **state)
{
	(void)state;
	char kbuf[16] = "kernel data";
	char ubuf[16] = {0};
	th_log_clear();
	assert_int_equal(copy_to_user(ubuf, kbuf, sizeof(kbuf)), 0);
	assert_string_equal(ubuf, "kernel data");
	strcpy(ubuf, "user data");
	assert_int_equal(copy_from_user(kbuf, ubuf, sizeof(ubuf)), 0);
	assert_string_equal(kbuf, "user data");

	int uval = 42, kval = 0;
	assert_int_equal(get_user(kval, &uval), 0);
	assert_int_equal(kval, 42);
	assert_int_equal(put_user(7, &uval), 0);
	assert_int_equal(uval, 7);
	long big = 0;
	assert_int_equal(put_user(1L << 40, &big), 0); /* size from *ptr */
	assert_true(big == 1L << 40);

	assert_int_equal(clear_user(ubuf, 4), 0);
	assert_int_equal(ubuf[0], 0);
	assert_int_equal(ubuf[3], 0);
	assert_int_equal(ubuf[4], ' ');

	char dst[8];
	assert_int_equal(strncpy_from_user(dst, "abc", sizeof(dst)), 3);
	assert_string_equal(dst, "abc");
	/* Too long: count returned, not terminated. */
	assert_int_equal(strncpy_from_user(dst, "abcdefghij", 4), 4);
	assert_memory_equal(dst, "abcd", 4);
	assert_int_equal(strnlen_user("abc", 10), 4);

	assert_true(access_ok(ubuf, sizeof(ubuf)));
	assert_true(access_ok(VERIFY_WRITE, ubuf, sizeof(ubuf))); /* < 5.0 */
	assert_true(access_ok(NULL, 0));
	assert_false(access_ok(NULL, 4));
	assert_int_equal(th_log.messages, 0);
}

/* A faulting user pointer (NULL here): nothing copied, the kernel's
 * returns, and copy_from_user() zeroes the destination. */
static void test_faults(void **state)
{
	(void)state;
	char kbuf[8];
	memset(kbuf, 'x', sizeof(kbuf));
	assert_int_equal(copy_to_user(NULL, kbuf, sizeof(kbuf)), sizeof(kbuf));
	assert_int_equal(copy_from_user(kbuf, NULL, sizeof(kbuf)),
			 sizeof(kbuf));
	for (size_t i = 0; i < sizeof(kbuf); i++)
		assert_int_equal(kbuf[i], 0);
	int *uptr = NULL, v = 5;
	assert_int_equal(get_user(v, uptr), -EFAULT);
	assert_int_equal(v, 0);
	assert_int_equal(put_user(1, uptr), -EFAULT);
	assert_int_equal(clear_user(NULL, 9), 9);
	assert_int_equal(strncpy_from_user(kbuf, NULL, 8), -EFAULT);
	assert_int_equal(copy_to_user(NULL, kbuf, 0), 0);
}

/* ---- from atomic context (SPEC U8, M15) ---------------------------------- */

static char user_buffer[32];
static struct {
	unsigned long to_left, from_left;
	int get_err, got;
	bool ran;
} seen;

static void copying_tasklet(struct tasklet_struct *t)
{
	(void)t;
	char k[8] = "tasklet";
	seen.to_left = copy_to_user(user_buffer, k, sizeof(k));
	seen.ran = true;
}

static DECLARE_TASKLET(copy_tasklet, copying_tasklet);

static irqreturn_t copying_top_half(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	char k[8];
	seen.from_left = copy_from_user(k, user_buffer, sizeof(k));
	seen.get_err = get_user(seen.got, (int *)user_buffer);
	seen.ran = true;
	return IRQ_HANDLED;
}

/* The seed notes: copy_to_user in a tasklet is a bug; here it splats,
 * naming copy_to_user, then copies. */
static void test_copy_to_user_in_tasklet_splats(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	th_log_clear();
	tasklet_schedule(&copy_tasklet);
	assert_true(bh_run_all(0) > 0);
	assert_true(seen.ran);
	assert_int_equal(seen.to_left, 0);
	assert_string_equal(user_buffer, "tasklet");
	assert_true(th_log_has(SPLAT "copy_to_user\n"));
	assert_true(th_log_has("Context: softirq"));
}

static void test_copy_from_user_in_top_half_splats(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(request_irq(9, copying_top_half, 0, "uacc", NULL), 0);
	th_log_clear();
	assert_int_equal(bh_raise_irq(9), 0);
	assert_true(seen.ran);
	assert_int_equal(seen.from_left, 0);
	assert_int_equal(seen.get_err, 0);
	assert_true(th_log_has(SPLAT "copy_from_user\n"));
	assert_true(th_log_has(SPLAT "get_user\n"));
	assert_true(th_log_has("Context: hardirq"));
	free_irq(9, NULL);
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
		T(test_copies_in_process_context),
		T(test_faults),
		T(test_copy_to_user_in_tasklet_splats),
		T(test_copy_from_user_in_top_half_splats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
