/* SPDX-License-Identifier: MIT */
/*
 * Fault injection sweep over BH_FAULT_ALLOC (tests/fault_scenario.h,
 * docs/RELIABILITY.md): each failure is a clean error return or a
 * documented fallback, never a crash, a hang, a leak or lost work
 * (SPEC U6: shutdown runs or reports everything; U9: errors, not aborts).
 */
#include "fault_scenario.h"

/* SPEC U6, SPEC U9 */
static void test_sweep_alloc(void **state)
{
	(void)state;
	fs_sweep(BH_FAULT_ALLOC, 1, "alloc");
}

/* SPEC U6, SPEC U9, SPEC F14: every call from the Nth on fails, until
 * the flushes; WQ_MEM_RECLAIM queues make progress meanwhile. */
static void test_sweep_alloc_persistent(void **state)
{
	(void)state;
	fs_sweep(BH_FAULT_ALLOC, 0, "alloc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sweep_alloc, th_teardown),
		cmocka_unit_test_teardown(test_sweep_alloc_persistent,
					  th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
