/* SPDX-License-Identifier: MIT */
/*
 * Names in diagnostics (issue 5: a learner reads the call trace of a
 * splat): bh_debug_symbolize() and the "Call Trace:" of a WARN name static
 * functions too, kernel style ("func+0x1a/0x40 [object]"), from the
 * object's full symbol table; dladdr() alone gives only exported names.
 */
#include "harness.h"

#include <bh/debug.h>

static __attribute__((noinline)) int a_static_function(int x)
{
	/* Something the compiler cannot fold away. */
	return x * 3 + (int)th_now_ns() % 2;
}

static __attribute__((noinline)) void warns_from_static_code(void)
{
	BH_WARN(1, "symbolize test warning");
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

/* The test program's own static function, by address. */
static void test_static_function_named(void **state)
{
	char buf[256];

	(void)state;
	assert_true(a_static_function(1) > 0);
	assert_ptr_equal(bh_debug_symbolize((const void *)a_static_function,
					    buf, sizeof(buf)),
			 buf);
	assert_non_null(strstr(buf, "a_static_function+0x0/0x"));
	assert_non_null(strstr(buf, " [test_symbolize]"));
	/* Inside it: the offset counts from its start. */
	bh_debug_symbolize((const char *)a_static_function + 1, buf,
			   sizeof(buf));
	assert_non_null(strstr(buf, "a_static_function+0x1/0x"));
	/* No object: the bare address. */
	bh_debug_symbolize((const void *)0x10, buf, sizeof(buf));
	assert_string_equal(buf, "0x10");
	/* A short buffer is cut, not overrun. */
	char tiny[8];
	memset(tiny, 'x', sizeof(tiny));
	bh_debug_symbolize((const void *)a_static_function, tiny, 4);
	assert_int_equal(strlen(tiny), 3);
}

/* A WARN's call trace names the static function that warned. */
static void test_call_trace_names_static_frames(void **state)
{
	(void)state;
	th_init_cpu0(1, false);
	warns_from_static_code();
	assert_true(th_log_has("symbolize test warning"));
	assert_true(th_log_has("Call Trace:\n"));
	assert_true(th_log_has(" warns_from_static_code+0x"));
	assert_true(th_log_has(" test_call_trace_names_static_frames+0x"));
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_function_named),
		cmocka_unit_test_teardown(test_call_trace_names_static_frames,
					  th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
