/* SPDX-License-Identifier: MIT */
/*
 * The small module-environment headers: <linux/sort.h> (kernel argument
 * order, custom swap, sort_r), <linux/utsname.h> (uname(2)'s names),
 * the printk _ratelimited forms, and the <linux/kernel.h> helpers added
 * for drivers (ALIGN, roundup, upper/lower_32_bits, the *_MAX limits).
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/printk.h>
#include <linux/sort.h>
#include <linux/utsname.h>

#include <sys/utsname.h>

#include "harness.h"

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int cmp_int_desc_r(const void *a, const void *b, const void *priv)
{
	(*(int *)(uintptr_t)priv)++;
	return cmp_int(b, a);
}

struct rec {
	char pad[3];
	int key;
	char tail[5];
};

static int cmp_rec(const void *a, const void *b)
{
	return cmp_int(&((const struct rec *)a)->key,
		       &((const struct rec *)b)->key);
}

static unsigned int swaps;

static void swap_int(void *a, void *b, int size)
{
	assert_int_equal(size, sizeof(int));
	int t = *(int *)a;
	*(int *)a = *(int *)b;
	*(int *)b = t;
	swaps++;
}

static void test_sort(void **state)
{
	(void)state;
	int v[100];
	for (int i = 0; i < 100; i++)
		v[i] = (i * 37) % 101;
	sort(v, 100, sizeof(int), cmp_int, NULL);
	for (int i = 1; i < 100; i++)
		assert_true(v[i - 1] <= v[i]);

	/* A given swap function is used. */
	int w[5] = {5, 1, 4, 2, 3};
	sort(w, 5, sizeof(int), cmp_int, swap_int);
	assert_true(swaps > 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(w[i], i + 1);

	int calls = 0;
	sort_r(w, 5, sizeof(int), cmp_int_desc_r, NULL, &calls);
	assert_true(calls > 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(w[i], 5 - i);

	/* Records of an odd size, sorted on a key. */
	struct rec r[4] = {
		{"a", 3, "x"}, {"b", 1, "y"}, {"c", 2, "z"}, {"d", 0, "w"}};
	sort(r, 4, sizeof(r[0]), cmp_rec, NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r[i].key, i);
	assert_string_equal(r[0].pad, "d");
	assert_string_equal(r[3].tail, "x");
	sort(NULL, 0, sizeof(int), cmp_int, NULL); /* nothing to do */
}

static void test_utsname(void **state)
{
	(void)state;
	struct utsname u;
	assert_int_equal(uname(&u), 0);
	struct new_utsname *k = init_utsname();
	assert_string_equal(k->sysname, u.sysname);
	assert_string_equal(k->release, u.release);
	assert_string_equal(k->machine, u.machine);
	assert_string_equal(k->nodename, u.nodename);
	assert_string_equal(k->version, u.version);
	assert_string_equal(utsname()->release, u.release);
	assert_int_equal(sizeof(k->release), __NEW_UTS_LEN + 1);
}

static void test_printk_ratelimited(void **state)
{
	(void)state;
	th_init(1, true);
	th_log_clear();
	for (int i = 0; i < 50; i++)
		pr_info_ratelimited("burst %d\n", i);
	/* DEFAULT_RATELIMIT_BURST: 10 in the window, then silence. */
	assert_int_equal(th_log.messages, 10);
	assert_true(th_log_has("burst 9\n"));
	assert_false(th_log_has("burst 10\n"));
	th_shutdown();
}

static void test_kernel_helpers(void **state)
{
	(void)state;
	assert_int_equal(ALIGN(13, 8), 16);
	assert_int_equal(ALIGN(16, 8), 16);
	assert_true(IS_ALIGNED(64, 16));
	assert_false(IS_ALIGNED(65, 16));
	assert_int_equal(round_up(9, 4), 12);
	assert_int_equal(round_down(9, 4), 8);
	assert_int_equal(roundup(10, 3), 12);
	assert_int_equal(rounddown(10, 3), 9);
	assert_int_equal(DIV_ROUND_CLOSEST(7, 2), 4);
	assert_int_equal(upper_32_bits(0x123456789abcdef0ULL), 0x12345678u);
	assert_int_equal(lower_32_bits(0x123456789abcdef0ULL), 0x9abcdef0u);
	assert_int_equal(U8_MAX, 255);
	assert_int_equal(S16_MIN, -32768);
	assert_true(U32_MAX == 0xffffffffu);
	assert_true(S64_MAX == 0x7fffffffffffffffLL);
	assert_string_equal(__stringify(HZ_TEXT), "HZ_TEXT");
	struct s {
		int a;
		char b[7];
	};
	assert_int_equal(sizeof_field(struct s, b), 7);
}

/* The timekeeping additions: timespec64 conversions (floored, as the
 * kernel's) and the other clocks. */
static void test_ktime_extras(void **state)
{
	(void)state;
	struct timespec64 ts = ns_to_timespec64(1500000000LL);
	assert_true(ts.tv_sec == 1 && ts.tv_nsec == 500000000);
	ts = ns_to_timespec64(-1);
	assert_true(ts.tv_sec == -1 && ts.tv_nsec == 999999999);
	assert_true(timespec64_to_ktime(ts) == -1);
	ts = ktime_to_timespec64(ktime_set(7, 3));
	assert_true(timespec64_to_ns(&ts) == 7000000003LL);
	ktime_get_real_ts64(&ts);
	time_t now = time(NULL);
	assert_true(ts.tv_sec >= now - 1 && ts.tv_sec <= now + 1);
	assert_true(ktime_get_real_seconds() >= now - 1);
	ktime_get_ts64(&ts);
	assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < NSEC_PER_SEC);
	assert_true(ktime_get_boottime() >= ktime_get() - NSEC_PER_SEC);
	assert_true(ktime_get_raw_ns() > 0);
	assert_true(ktime_get_clocktai() > ktime_get_real() - NSEC_PER_SEC);
	assert_true(ktime_get_seconds() >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_utsname),
		cmocka_unit_test_teardown(test_printk_ratelimited, th_teardown),
		cmocka_unit_test(test_kernel_helpers),
		cmocka_unit_test(test_ktime_extras),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
