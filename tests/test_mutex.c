/* SPDX-License-Identifier: MIT */
/*
 * Mutexes: mutual exclusion (with the holder's stores visible to the next
 * holder), trylock, interruptible locking, and the kernel's
 * CONFIG_DEBUG_MUTEXES / lockdep reports: unlock by a thread that does not
 * hold it, unlock of an unlocked mutex, destroy while held, recursive
 * locking (in a forked child, since the call then blocks as the kernel's
 * would), and the might_sleep splat from atomic context (SPEC U8, M15).
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>

static int setup(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	return 0;
}

/* ---- mutual exclusion -------------------------------------------------- */

#define NLOCKERS 4
#define ITERS	 (TH_TSAN ? 2000ul : 20000ul)

static BH_DEFINE_MUTEX(counter_lock);
static unsigned long counter; /* plain: protected by counter_lock only */
static unsigned long inside, overlap, lock_errors;

static void *locker(void *arg)
{
	unsigned long id = (unsigned long)arg;

	for (unsigned long i = 0; i < ITERS; i++) {
		/* All three ways in, from every thread. */
		switch ((i + id) % 3) {
		case 0:
			bh_mutex_lock(&counter_lock);
			break;
		case 1:
			if (bh_mutex_lock_interruptible(&counter_lock) != 0)
				th_inc(&lock_errors);
			break;
		default:
			while (!bh_mutex_trylock(&counter_lock))
				sched_yield();
			break;
		}
		if (__atomic_add_fetch(&inside, 1, __ATOMIC_RELAXED) != 1)
			th_st(&overlap, 1);
		/* A read-modify-write that any overlap would break. */
		unsigned long v = counter;
		if (i % 256 == 0)
			sched_yield(); /* held across a yield: others sleep */
		counter = v + 1;
		__atomic_sub_fetch(&inside, 1, __ATOMIC_RELAXED);
		bh_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static void test_mutex_mutual_exclusion_under_contention(void **state)
{
	(void)state;
	pthread_t th[NLOCKERS];

	for (unsigned long i = 0; i < NLOCKERS; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, locker, (void *)i), 0);
	for (int i = 0; i < NLOCKERS; i++)
		assert_true(th_join(th[i]));
	assert_int_equal(th_ld(&overlap), 0);
	assert_int_equal(th_ld(&lock_errors), 0);
	assert_int_equal(counter, NLOCKERS * ITERS);
	assert_false(bh_mutex_is_locked(&counter_lock));
	assert_int_equal(bh_warn_count(), 0);
}

/* ---- a second thread acting on a mutex --------------------------------- */

enum op { OP_LOCK, OP_LOCK_INTR, OP_TRYLOCK, OP_UNLOCK };

struct actor {
	pthread_t th;
	struct bh_mutex *m;
	enum op op;
	bool unlock_after; /* release what it took before returning */
	unsigned long tid, done;
	int ret;
};

static void *actor_fn(void *arg)
{
	struct actor *a = arg;
	int r = 0;

	th_st(&a->tid, th_tid());
	switch (a->op) {
	case OP_LOCK:
		bh_mutex_lock(a->m);
		break;
	case OP_LOCK_INTR:
		r = bh_mutex_lock_interruptible(a->m);
		break;
	case OP_TRYLOCK:
		r = bh_mutex_trylock(a->m);
		break;
	case OP_UNLOCK:
		bh_mutex_unlock(a->m);
		break;
	}
	bool took = a->op == OP_LOCK || (a->op == OP_LOCK_INTR && r == 0) ||
		    (a->op == OP_TRYLOCK && r == 1);
	if (a->unlock_after && took)
		bh_mutex_unlock(a->m);
	a->ret = r;
	th_st(&a->done, 1);
	return NULL;
}

/* Never reused, so a thread a failed test leaves behind writes nowhere. */
static struct actor actors[32];
static unsigned int nr_actors;

static struct actor *act(struct bh_mutex *m, enum op op, bool unlock_after)
{
	assert_true(nr_actors < sizeof(actors) / sizeof(actors[0]));
	struct actor *a = &actors[nr_actors++];
	a->m = m;
	a->op = op;
	a->unlock_after = unlock_after;
	assert_int_equal(pthread_create(&a->th, NULL, actor_fn, a), 0);
	assert_true(th_wait_ge(&a->tid, 1));
	return a;
}

static int finish(struct actor *a)
{
	assert_true(th_wait_ge(&a->done, 1));
	assert_int_equal(pthread_join(a->th, NULL), 0);
	return a->ret;
}

/* ---- trylock ------------------------------------------------------------ */

static void test_mutex_trylock(void **state)
{
	(void)state;
	struct bh_mutex m;

	bh_mutex_init(&m);
	assert_false(bh_mutex_is_locked(&m));
	assert_int_equal(bh_mutex_trylock(&m), 1);
	assert_true(bh_mutex_is_locked(&m));
	/* Held: 0, from another thread and from the holder (no report). */
	assert_int_equal(finish(act(&m, OP_TRYLOCK, true)), 0);
	assert_int_equal(bh_mutex_trylock(&m), 0);
	assert_true(bh_mutex_is_locked(&m));
	bh_mutex_unlock(&m);
	assert_false(bh_mutex_is_locked(&m));
	/* Free again: another thread takes it (and gives it back). */
	assert_int_equal(finish(act(&m, OP_TRYLOCK, true)), 1);
	assert_false(bh_mutex_is_locked(&m));
	/* A trylock-taken mutex is a held one: lock waits for it. */
	assert_int_equal(bh_mutex_trylock(&m), 1);
	struct actor *a = act(&m, OP_LOCK, true);
	assert_true(th_wait_asleep(th_ld(&a->tid)));
	assert_false(th_ld(&a->done));
	bh_mutex_unlock(&m);
	finish(a);
	assert_false(bh_mutex_is_locked(&m));
	bh_mutex_destroy(&m);
	assert_int_equal(bh_warn_count(), 0);
	assert_int_equal(th_log.messages, 0);
}

/* ---- interruptible ------------------------------------------------------ */

static unsigned long usr1_handled;

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_fetch_add(&usr1_handled, 1, __ATOMIC_RELAXED);
}

/*
 * mutex.h: lock_interruptible returns -EINTR if a signal handler ran on
 * the thread while it waited, without the mutex; 0 once it holds it.
 */
static void test_mutex_lock_interruptible(void **state)
{
	(void)state;
	BH_DEFINE_MUTEX(m);

	th_set_interrupting_handler(SIGUSR1, on_usr1);
	bh_mutex_lock(&m);
	struct actor *a = act(&m, OP_LOCK_INTR, true);
	assert_true(th_wait_asleep(th_ld(&a->tid)));
	assert_true(th_kill_until(a->th, SIGUSR1, &a->done));
	assert_int_equal(finish(a), -EINTR);
	assert_true(th_ld(&usr1_handled) >= 1);
	/* Still this thread's: it unlocks without a report. */
	assert_true(bh_mutex_is_locked(&m));

	/* Not interrupted: it gets the mutex once released. */
	a = act(&m, OP_LOCK_INTR, true);
	assert_true(th_wait_asleep(th_ld(&a->tid)));
	bh_mutex_unlock(&m);
	assert_int_equal(finish(a), 0);
	assert_false(bh_mutex_is_locked(&m));
	assert_int_equal(bh_warn_count(), 0);

	/* Uncontended, it just takes the mutex. */
	assert_int_equal(bh_mutex_lock_interruptible(&m), 0);
	assert_true(bh_mutex_is_locked(&m));
	bh_mutex_unlock(&m);
	assert_int_equal(bh_warn_count(), 0);
	th_set_handler(SIGUSR1, SIG_DFL);
}

/* ---- misuse reports ----------------------------------------------------- */

/*
 * The kernel's DEBUG_LOCKS_WARN_ON(owner != current) in mutex_unlock:
 * a warning naming the threads; the mutex is released all the same.
 */
static void test_mutex_unlock_by_non_owner_warns(void **state)
{
	(void)state;
	BH_DEFINE_MUTEX(owned_elsewhere);

	finish(act(&owned_elsewhere, OP_LOCK, false));
	assert_true(bh_mutex_is_locked(&owned_elsewhere));
	th_log_clear();
	unsigned long warns = bh_warn_count();
	bh_mutex_unlock(&owned_elsewhere);
	assert_int_equal(bh_warn_count(), warns + 1);
	if (!th_log_has("by thread"))
		fprintf(stderr, "log:\n%s\n", th_log.text);
	assert_true(th_log_has("by thread"));
	assert_true(th_log_has("owned_elsewhere"));
	assert_true(th_log_has("WARNING:"));
	assert_false(bh_mutex_is_locked(&owned_elsewhere));
}

static void test_mutex_unlock_unlocked_warns(void **state)
{
	(void)state;
	BH_DEFINE_MUTEX(never_taken);

	th_log_clear();
	unsigned long warns = bh_warn_count();
	bh_mutex_unlock(&never_taken);
	assert_int_equal(bh_warn_count(), warns + 1);
	if (!th_log_has("is not locked"))
		fprintf(stderr, "log:\n%s\n", th_log.text);
	assert_true(th_log_has("is not locked"));
	assert_true(th_log_has("never_taken"));
	assert_false(bh_mutex_is_locked(&never_taken));
	/* Still usable: the bad unlock did not corrupt the state. */
	assert_int_equal(bh_mutex_trylock(&never_taken), 1);
	bh_mutex_unlock(&never_taken);
	assert_int_equal(bh_warn_count(), warns + 1);
}

static void test_mutex_destroy_while_held_warns(void **state)
{
	(void)state;
	BH_DEFINE_MUTEX(doomed);

	bh_mutex_destroy(&doomed); /* free: silent */
	assert_int_equal(bh_warn_count(), 0);
	bh_mutex_lock(&doomed);
	th_log_clear();
	bh_mutex_destroy(&doomed);
	assert_int_equal(bh_warn_count(), 1);
	if (!th_log_has("mutex_destroy"))
		fprintf(stderr, "log:\n%s\n", th_log.text);
	assert_true(th_log_has("mutex_destroy"));
	assert_true(th_log_has("doomed"));
	bh_mutex_unlock(&doomed);
}

static BH_DEFINE_MUTEX(twice);

static void take_twice(void)
{
	bh_mutex_lock(&twice);
}

/* Lockdep's report for a thread re-taking a mutex it holds; then it
 * blocks, as the kernel's would. */
static void test_mutex_recursive_lock_reported(void **state)
{
	(void)state;
	th_expect_recursion_report(
		take_twice, "possible recursive locking detected", "twice");
}

/* ---- might_sleep -------------------------------------------------------- */

#define SPLAT "BUG: sleeping function called from invalid context"

static void fresh_log(void)
{
	assert_int_equal(bh_advance_jiffies(bh_hz() + 1), 0);
	th_log_clear();
}

static BH_DEFINE_MUTEX(tasklet_mutex);
static unsigned long tasklet_locked;

static void locking_tasklet(struct bh_tasklet *t)
{
	(void)t;
	bh_mutex_lock(&tasklet_mutex);
	th_inc(&tasklet_locked);
	bh_mutex_unlock(&tasklet_mutex);
}

/*
 * SPEC U8, M15: mutex_lock may sleep, so from atomic context (bh
 * disabled, a spinlock held, a tasklet, a top half, irqs off) it reports
 * the might_sleep splat, even when the mutex is free.
 */
static void test_u8_mutex_lock_in_atomic_context_splats(void **state)
{
	(void)state;
	BH_DEFINE_MUTEX(m);
	BH_DEFINE_SPINLOCK(lock);

	fresh_log();
	bh_local_bh_disable();
	bh_mutex_lock(&m);
	bh_mutex_unlock(&m);
	bh_local_bh_enable();
	assert_true(th_log_has(SPLAT));

	fresh_log();
	bh_spin_lock(&lock);
	assert_int_equal(bh_mutex_lock_interruptible(&m), 0);
	bh_mutex_unlock(&m);
	bh_spin_unlock(&lock);
	assert_true(th_log_has(SPLAT));

	fresh_log();
	bh_irq_enter();
	bh_mutex_lock(&m);
	bh_mutex_unlock(&m);
	bh_irq_exit();
	assert_true(th_log_has(SPLAT));

	fresh_log();
	unsigned long flags = bh_local_irq_save();
	bh_mutex_lock(&m);
	bh_mutex_unlock(&m);
	bh_local_irq_restore(flags);
	assert_true(th_log_has(SPLAT));

	struct bh_tasklet t;
	bh_tasklet_setup(&t, locking_tasklet);
	fresh_log();
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	assert_true(bh_run_softirqs(0) >= 1);
	assert_int_equal(th_ld(&tasklet_locked), 1);
	if (!th_log_has(SPLAT))
		fprintf(stderr, "log:\n%s\n", th_log.text);
	assert_true(th_log_has(SPLAT));
	assert_true(th_log_has("in tasklet"));

	/* Task context: silent. trylock never sleeps: silent anywhere. */
	fresh_log();
	bh_mutex_lock(&m);
	bh_mutex_unlock(&m);
	bh_local_bh_disable();
	assert_int_equal(bh_mutex_trylock(&m), 1);
	bh_mutex_unlock(&m);
	bh_local_bh_enable();
	assert_int_equal(th_log.messages, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mutex_mutual_exclusion_under_contention),
		T(test_mutex_trylock),
		T(test_mutex_lock_interruptible),
		T(test_mutex_unlock_by_non_owner_warns),
		T(test_mutex_unlock_unlocked_warns),
		T(test_mutex_destroy_while_held_warns),
		T(test_mutex_recursive_lock_reported),
		T(test_u8_mutex_lock_in_atomic_context_splats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
