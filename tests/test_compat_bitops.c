/* SPDX-License-Identifier: MIT */
/*
 * <linux/bitops.h> and <linux/bits.h>: bit numbering across words, the
 * atomic and non-atomic forms, the test-and-* returns, the searches and
 * iterators, and atomicity of set_bit()/clear_bit() on one word from two
 * threads.
 */
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/kernel.h>

#include "harness.h"

_Static_assert(BITS_PER_LONG == 8 * sizeof(long), "BITS_PER_LONG");
_Static_assert(BIT(3) == 8UL && BIT_ULL(40) == 1ULL << 40, "BIT");
_Static_assert(GENMASK(7, 4) == 0xf0UL && GENMASK(63, 0) == ~0UL, "GENMASK");
_Static_assert(GENMASK_ULL(39, 32) == 0xff00000000ULL, "GENMASK_ULL");
_Static_assert(BITS_TO_LONGS(65) == 2 && BITS_TO_LONGS(64) == 1,
	       "BITS_TO_LONGS");

static void test_bit_ops(void **state)
{
	(void)state;
	DECLARE_BITMAP(map, 130);
	bitmap_zero(map, 130);
	set_bit(0, map);
	set_bit(64, map);
	set_bit(129, map);
	assert_true(map[0] == 1UL && map[1] == 1UL && map[2] == 2UL);
	assert_true(test_bit(64, map));
	assert_false(test_bit(65, map));
	clear_bit(64, map);
	assert_false(test_bit(64, map));
	change_bit(3, map);
	assert_true(test_bit(3, map));
	assert_true(test_and_clear_bit(3, map));
	assert_false(test_and_clear_bit(3, map));
	assert_false(test_and_set_bit(70, map));
	assert_true(test_and_set_bit(70, map));
	assert_true(test_and_change_bit(70, map));
	assert_false(test_bit(70, map));
	assert_false(test_and_set_bit_lock(5, map));
	assert_true(test_and_set_bit_lock(5, map));
	clear_bit_unlock(5, map);
	assert_false(test_bit(5, map));

	__set_bit(100, map);
	assert_true(test_bit(100, map));
	__clear_bit(100, map);
	__change_bit(101, map);
	assert_true(__test_and_clear_bit(101, map));
	assert_false(__test_and_set_bit(102, map));
	assert_true(__test_and_change_bit(102, map));
	assert_int_equal(bitmap_weight(map, 130), 2); /* 0 and 129 */
}

static void test_search(void **state)
{
	(void)state;
	DECLARE_BITMAP(map, 200);
	bitmap_zero(map, 200);
	assert_int_equal(find_first_bit(map, 200), 200);
	assert_true(bitmap_empty(map, 200));
	int want[] = {1, 63, 64, 127, 150, 199};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		set_bit(want[i], map);
	assert_int_equal(find_first_bit(map, 200), 1);
	assert_int_equal(find_next_bit(map, 200, 2), 63);
	assert_int_equal(find_next_bit(map, 200, 65), 127);
	assert_int_equal(find_next_bit(map, 150, 128), 150); /* size bound */
	assert_int_equal(find_next_bit(map, 149, 128), 149);
	assert_int_equal(find_last_bit(map, 200), 199);
	assert_int_equal(find_first_zero_bit(map, 200), 0);
	assert_int_equal(find_next_zero_bit(map, 200, 63), 65);

	unsigned int bit, n = 0;
	for_each_set_bit(bit, map, 200) assert_int_equal(bit, want[n++]);
	assert_int_equal(n, ARRAY_SIZE(want));
	n = 0;
	for_each_clear_bit(bit, map, 200) n++;
	assert_int_equal(n, 200 - ARRAY_SIZE(want));

	bitmap_fill(map, 70);
	assert_true(bitmap_full(map, 70));
	assert_int_equal(bitmap_weight(map, 70), 70);
	assert_false(test_bit(70, map)); /* fill stops at nbits */
}

static void test_words(void **state)
{
	(void)state;
	assert_int_equal(__ffs(0x18UL), 3);
	assert_int_equal(ffz(0x7UL), 3);
	assert_int_equal(__fls(0x18UL), 4);
	assert_int_equal(fls(0), 0);
	assert_int_equal(fls(1), 1);
	assert_int_equal(fls(0x80000000u), 32);
	assert_int_equal(fls64(1ULL << 40), 41);
	assert_int_equal(ffs(0x10), 5);
	assert_int_equal(hweight8(0x1ff), 8);
	assert_int_equal(hweight16(0xffff), 16);
	assert_int_equal(hweight32(0xf0f0f0f0u), 16);
	assert_int_equal(hweight64(~0ULL), 64);
	assert_int_equal(hweight_long(5UL), 2);
	assert_int_equal(rol32(0x80000001u, 1), 3);
	assert_int_equal(ror32(3u, 1), 0x80000001u);
	assert_int_equal(sign_extend32(0x80, 7), -128);
}

/* Each thread sets and clears its own bits of one shared word: atomic
 * set_bit()/clear_bit() lose none of the other thread's. */
#define ROUNDS (TH_TSAN ? 20000 : 500000)
static unsigned long word;

static void *flipper(void *arg)
{
	long base = (long)(intptr_t)arg;
	for (int i = 0; i < ROUNDS; i++) {
		set_bit(base + i % 8, &word);
		clear_bit(base + (i + 4) % 8, &word);
	}
	for (int b = 0; b < 8; b++)
		set_bit(base + b, &word);
	return NULL;
}

static void test_atomic_bits_two_threads(void **state)
{
	(void)state;
	pthread_t a, b;
	assert_int_equal(pthread_create(&a, NULL, flipper, (void *)0), 0);
	assert_int_equal(pthread_create(&b, NULL, flipper, (void *)32), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_true(word == 0xff000000ffUL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bit_ops),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_atomic_bits_two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
