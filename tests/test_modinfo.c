/* SPDX-License-Identifier: MIT */
/*
 * Module descriptors (issue 5): two modules loaded into one process, as
 * bh-modrun loads them (RTLD_LOCAL), each give their own table through
 * their own bh_modinfo_table(): no symbol of one is seen through the
 * other, and each table holds exactly what its source declared. The
 * module paths come from the environment (tests/modules.cmake); without
 * them the test is skipped.
 */
#include "harness.h"

#include <dlfcn.h>

#include <bh/modinfo.h>

typedef const struct bh_modinfo *const *(*table_fn)(unsigned long *n);

static void *load(const char *env, table_fn *table)
{
	const char *path = getenv(env);
	if (!path || !*path)
		return NULL;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	*table = (table_fn)dlsym(h, "bh_modinfo_table");
	assert_non_null(*table);
	return h;
}

static const struct bh_modinfo *find(const struct bh_modinfo *const *t,
				     unsigned long n, unsigned int kind,
				     const char *name)
{
	for (unsigned long i = 0; i < n; i++) {
		assert_int_equal(t[i]->magic, BH_MODINFO_MAGIC);
		if (t[i]->kind == kind && (!name || !strcmp(t[i]->name, name)))
			return t[i];
	}
	return NULL;
}

static void test_two_modules_keep_their_own_tables(void **state)
{
	(void)state;
	table_fn ta, tb;
	void *a = load("BH_TASKLET_MODULE", &ta);
	void *b = load("BH_WORKQUEUE_MODULE", &tb);
	if (!a || !b)
		skip();
	assert_ptr_not_equal((void *)ta, (void *)tb);
	unsigned long na, nb;
	const struct bh_modinfo *const *A = ta(&na), *const *B = tb(&nb);
	assert_ptr_not_equal(A, B);
	/* irq, devname, init, exit, license: each its own. */
	assert_int_equal(na, 5);
	assert_int_equal(nb, 5);
	const struct bh_modinfo *ia = find(A, na, BH_MODINFO_INIT, NULL);
	const struct bh_modinfo *ib = find(B, nb, BH_MODINFO_INIT, NULL);
	assert_string_equal(ia->name, "mytasklet_init");
	assert_string_equal(ib->name, "mywork_init");
	const struct bh_modinfo *pa = find(A, na, BH_MODINFO_PARAM, "irq");
	const struct bh_modinfo *pb = find(B, nb, BH_MODINFO_PARAM, "irq");
	assert_non_null(pa);
	assert_non_null(pb);
	assert_int_equal(pa->type, BH_PARAM_INT);
	/* Same name, two variables. */
	assert_ptr_not_equal(pa->addr, pb->addr);
	assert_non_null(find(A, na, BH_MODINFO_PARAM, "devname"));
	assert_int_equal(find(A, na, BH_MODINFO_PARAM, "devname")->type,
			 BH_PARAM_CHARP);
	assert_string_equal(find(A, na, BH_MODINFO_TAG, "license")->value,
			    "GPL");
	assert_null(find(A, na, BH_MODINFO_PARAM_DESC, NULL));
	dlclose(b);
	dlclose(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_modules_keep_their_own_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
