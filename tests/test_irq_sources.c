/* SPDX-License-Identifier: MIT */
/*
 * Sources of interrupt lines (issue 4): an eventfd and a pty, delivered by
 * the bh CPU's hardirq/N thread in hardirq context (level-like: the line
 * fires while the fd stays ready); a periodic timer; an fd closed under a
 * bound line, which is reported and its line disabled while the rest of
 * the runtime keeps working; and a POSIX signal, whose handlers run inside
 * the library's signal handler in hardirq context and are held while the
 * thread has interrupts off, then run at the restore (SPEC U4), with their
 * softirqs handed to ksoftirqd (S9, S18).
 */
#include "harness.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

/*
 * The log sink, plus a flag for the closed-fd report: the test waits on
 * the flag (acquire) before reading the log, which the hardirq thread
 * writes (reading it while that thread may write would race).
 */
static unsigned long fd_report_seen;

static void flag_sink(void *arg, int level, const char *text, size_t len)
{
	th_log_sink(arg, level, text, len);
	if (memmem(text, len, "disabling IRQ #", 15))
		th_st(&fd_report_seen, 1);
}

static int setup(void **state)
{
	(void)state;
	struct bh_config cfg;
	th_log_clear();
	th_config(&cfg, 2, false);
	cfg.log = flag_sink;
	fd_report_seen = 0;
	assert_int_equal(bh_init(&cfg), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	return 0;
}

/* ---- eventfd ----------------------------------------------------------- */

static unsigned long ev_runs, ev_sum;
static bool ev_hardirq;
static int ev_cpu = -1;
static char ev_thread[16];

static bh_irqreturn_t ev_handler(int irq, void *dev_id)
{
	(void)irq;
	int fd = *(int *)dev_id;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return BH_IRQ_NONE;
	ev_hardirq = bh_in_hardirq() && bh_irqs_disabled();
	ev_cpu = bh_smp_processor_id();
	prctl(PR_GET_NAME, ev_thread, 0, 0, 0);
	__atomic_fetch_add(&ev_sum, (unsigned long)v, __ATOMIC_RELAXED);
	th_inc(&ev_runs);
	return BH_IRQ_HANDLED;
}

/* Issue 4: an eventfd line fires in hardirq context on the line's bh CPU,
 * delivered by hardirq/N; it keeps firing for each new write. */
static void test_eventfd_line_fires(void **state)
{
	(void)state;
	static int fd;
	uint64_t one = 1;
	ev_runs = ev_sum = 0;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(bh_irq_set_affinity(20, 1), 0);
	assert_int_equal(bh_irq_bind_fd(20, fd, 0), 0);
	assert_int_equal(bh_irq_bind_fd(20, fd, 0), -EBUSY);
	assert_int_equal(bh_request_irq(20, ev_handler, 0, "evfd", &fd), 0);
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
	assert_true(th_wait_ge(&ev_runs, 1));
	assert_true(ev_hardirq);
	assert_int_equal(ev_cpu, 1);
	assert_string_equal(ev_thread, "hardirq/1");
	for (int i = 0; i < 5; i++) {
		assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
		assert_true(th_wait_ge(&ev_sum, (unsigned long)i + 2));
	}
	/* Moving the line moves its delivery to hardirq/0. */
	assert_int_equal(bh_irq_set_affinity(20, 0), 0);
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
	assert_true(th_wait_ge(&ev_sum, 7));
	assert_int_equal(bh_synchronize_irq(20), 0);
	assert_string_equal(ev_thread, "hardirq/0");
	assert_int_equal(ev_cpu, 0);
	assert_int_equal(bh_irq_unbind(20), 0);
	assert_int_equal(bh_irq_unbind(20), -ENOENT);
	bh_free_irq(20, &fd);
	close(fd);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* ---- a pty ------------------------------------------------------------- */

static unsigned long pty_bytes;

static bh_irqreturn_t pty_handler(int irq, void *dev_id)
{
	(void)irq;
	char buf[64];
	ssize_t n = read(*(int *)dev_id, buf, sizeof(buf));
	if (n <= 0)
		return BH_IRQ_NONE;
	__atomic_fetch_add(&pty_bytes, (unsigned long)n, __ATOMIC_RELEASE);
	return BH_IRQ_HANDLED;
}

/* Issue 4: a pty master is a line: bytes written to the slave side
 * raise it until the handler has read them all (level-like). */
static void test_pty_line_fires(void **state)
{
	(void)state;
	static int master;
	pty_bytes = 0;
	master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	assert_int_equal(bh_request_irq(21, pty_handler, 0, "uart", &master),
			 0);
	assert_int_equal(bh_irq_bind_fd(21, master, 0), 0);
	/* 200 bytes, more than one handler run reads (level-like). */
	char text[200];
	memset(text, 'x', sizeof(text));
	for (size_t i = 0; i < sizeof(text); i += 50) {
		text[i + 49] = '\n';
		assert_int_equal(write(slave, text + i, 50), 50);
	}
	assert_true(th_wait_ge(&pty_bytes, 200));
	assert_int_equal(bh_irq_unbind(21), 0);
	bh_free_irq(21, &master);
	close(slave);
	close(master);
	th_shutdown();
}

/* ---- periodic timer ---------------------------------------------------- */

static unsigned long tick_runs;

static bh_irqreturn_t tick(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	th_inc(&tick_runs);
	return BH_IRQ_HANDLED;
}

/* Issue 4: a periodic timer line fires again and again. */
static void test_timer_line_fires(void **state)
{
	(void)state;
	tick_runs = 0;
	assert_int_equal(bh_irq_bind_timer(22, 0), -EINVAL);
	assert_int_equal(bh_request_irq(22, tick, 0, "tick", NULL), 0);
	assert_int_equal(bh_irq_bind_timer(22, 1000000), 0);
	assert_true(th_wait_ge(&tick_runs, 5));
	assert_int_equal(bh_irq_unbind(22), 0);
	assert_int_equal(bh_synchronize_irq(22), 0);
	bh_free_irq(22, NULL);
	th_shutdown();
}

/* ---- a source bound before the handler --------------------------------- */

static unsigned long early_runs;

static bh_irqreturn_t early(int irq, void *dev_id)
{
	(void)irq;
	uint64_t v;
	if (dev_id && read(*(int *)dev_id, &v, sizeof(v)) != sizeof(v))
		return BH_IRQ_NONE;
	th_inc(&early_runs);
	return BH_IRQ_HANDLED;
}

/*
 * Issue 5: bh-modrun wires a line to its source before the module's
 * init calls request_irq() on it, as hardware is wired before a driver
 * loads. An fd that became ready before the request (level) fires once
 * the handler is there; a timer line starts firing at the request; the
 * source stays bound across free_irq() and a later request.
 */
static void test_source_bound_before_request(void **state)
{
	(void)state;
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(fd >= 0);
	uint64_t one = 1;
	assert_int_equal(bh_irq_bind_fd(31, fd, 0), 0);
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
	early_runs = 0;
	assert_int_equal(bh_request_irq(31, early, 0, "early", &fd), 0);
	assert_true(th_wait_ge(&early_runs, 1));
	assert_int_equal(bh_irq_unbind(31), 0);
	assert_non_null(bh_free_irq(31, &fd));
	close(fd);

	assert_int_equal(bh_irq_bind_timer(32, 1000000), 0);
	early_runs = 0;
	assert_int_equal(bh_request_irq(32, early, 0, "early", NULL), 0);
	assert_true(th_wait_ge(&early_runs, 3));
	assert_non_null(bh_free_irq(32, NULL));
	/* Still bound: a new request gets the same timer. */
	early_runs = 0;
	assert_int_equal(bh_request_irq(32, early, 0, "again", NULL), 0);
	assert_true(th_wait_ge(&early_runs, 3));
	assert_int_equal(bh_irq_unbind(32), 0);
	assert_non_null(bh_free_irq(32, NULL));
	th_shutdown();
}

/* ---- an fd closed under its line --------------------------------------- */

static unsigned long soft_runs;

static bh_irqreturn_t soft(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	soft_runs++;
	return BH_IRQ_HANDLED;
}

/* Issue 4: closing the fd of a bound line is diagnosed (the fd gives no
 * event then: the hardirq thread's audit finds it), the line disabled;
 * other lines, unbind, free_irq and shutdown keep working. */
static void test_closed_fd_is_diagnosed(void **state)
{
	(void)state;
	static int fd;
	uint64_t one = 1;
	ev_runs = ev_sum = 0;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(bh_request_irq(23, ev_handler, 0, "doomed", &fd), 0);
	assert_int_equal(bh_irq_bind_fd(23, fd, 0), 0);
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
	assert_true(th_wait_ge(&ev_runs, 1));
	assert_int_equal(bh_synchronize_irq(23), 0);
	char expect[128];
	snprintf(expect, sizeof(expect),
		 "bh: irq 23 (doomed): fd %d is not "
		 "open",
		 fd);
	close(fd);
	assert_true(th_wait_ge(&fd_report_seen, 1));
	assert_true(th_log_has(expect));
	assert_true(th_log_has("disabling IRQ #23"));
	soft_runs = 0;
	assert_int_equal(bh_request_irq(24, soft, 0, "soft", NULL), 0);
	assert_int_equal(bh_raise_irq(24), 0);
	assert_int_equal(soft_runs, 1);
	assert_int_equal(bh_irq_unbind(23), 0);
	assert_string_equal(bh_free_irq(23, &fd), "doomed");
	bh_free_irq(24, NULL);
	th_shutdown();
}

/* Issue 4: a pty whose other side hangs up (EPOLLHUP) is reported and
 * its line disabled, after the handler has had the bytes that came
 * before the hang-up. */
static void test_hangup_is_diagnosed(void **state)
{
	(void)state;
	static int master;
	pty_bytes = 0;
	master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	assert_int_equal(bh_request_irq(30, pty_handler, 0, "hup", &master), 0);
	assert_int_equal(bh_irq_bind_fd(30, master, 0), 0);
	assert_int_equal(write(slave, "bye\n", 4), 4);
	assert_true(th_wait_ge(&pty_bytes, 4));
	close(slave);
	assert_true(th_wait_ge(&fd_report_seen, 1));
	char expect[96];
	snprintf(expect, sizeof(expect),
		 "bh: irq 30 (hup): fd %d hung up (EPOLLHUP); disabling IRQ "
		 "#30",
		 master);
	assert_true(th_log_has(expect));
	assert_int_equal(bh_irq_unbind(30), 0);
	assert_string_equal(bh_free_irq(30, &master), "hup");
	close(master);
	th_shutdown();
}

/* Bad fd arguments. */
static void test_bind_errors(void **state)
{
	(void)state;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(bh_irq_bind_fd(25, -1, 0), -EBADF);
	assert_int_equal(bh_irq_bind_fd(25, 1000000, 0), -EBADF);
	assert_int_equal(bh_irq_bind_fd(BH_NR_IRQS, 0, 0), -EINVAL);
	assert_int_equal(bh_irq_bind_fd(25, fd, EPOLLET), -EINVAL);
	assert_int_equal(bh_irq_bind_fd(25, fd, 0), -EPERM);
	assert_int_equal(bh_irq_bind_signal(25, SIGKILL), -EINVAL);
	assert_int_equal(bh_irq_bind_signal(25, 0), -EINVAL);
	close(fd);
	th_shutdown();
}

/* ---- a signal ---------------------------------------------------------- */

static unsigned long sig_runs, sig_in_section, sig_tasklet_runs;
static bool sig_hardirq, sig_irqs_off, sig_tasklet_ok;
static int in_section;
static pthread_t sig_thread;
static unsigned long sig_tasklet_not_here;

static void sig_tasklet_fn(struct bh_tasklet *t)
{
	(void)t;
	sig_tasklet_ok = bh_in_serving_softirq() && !bh_in_hardirq();
	if (!pthread_equal(pthread_self(), sig_thread))
		th_st(&sig_tasklet_not_here, 1);
	th_inc(&sig_tasklet_runs);
}

static BH_DECLARE_TASKLET(sig_tasklet, sig_tasklet_fn);

static bh_irqreturn_t sig_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	sig_hardirq = bh_in_hardirq();
	sig_irqs_off = bh_irqs_disabled();
	if (in_section)
		sig_in_section++;
	bh_tasklet_schedule(&sig_tasklet);
	th_inc(&sig_runs);
	return BH_IRQ_HANDLED;
}

/*
 * Issue 4 / SPEC U4, S9: a signal line runs its handler inside the
 * library's signal handler, in hardirq context with irqs off; its tasklet
 * runs afterwards in ksoftirqd, not in the signal handler. A signal that
 * lands while the thread has irqs off is held and run at the restore,
 * never inside the masked section.
 */
static void test_signal_line_and_irqs_off_holding(void **state)
{
	(void)state;
	sig_runs = sig_in_section = sig_tasklet_runs = 0;
	sig_tasklet_not_here = 0;
	sig_thread = pthread_self();
	assert_int_equal(bh_request_irq(26, sig_handler, 0, "sig", NULL), 0);
	assert_int_equal(bh_irq_bind_signal(26, SIGUSR1), 0);
	assert_int_equal(bh_irq_bind_signal(27, SIGUSR1), -EBUSY);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_true(th_wait_ge(&sig_runs, 1));
	assert_true(sig_hardirq);
	assert_true(sig_irqs_off);
	assert_true(th_wait_ge(&sig_tasklet_runs, 1));
	assert_true(sig_tasklet_ok);
	assert_int_equal(th_ld(&sig_tasklet_not_here), 1);

	unsigned long flags = bh_local_irq_save();
	in_section = 1;
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(th_ld(&sig_runs), 1); /* held */
	in_section = 0;
	bh_local_irq_restore(flags);
	assert_int_equal(th_ld(&sig_runs), 2); /* run once, at the restore */
	assert_int_equal(sig_in_section, 0);
	assert_true(th_wait_ge(&sig_tasklet_runs, 2));

	assert_int_equal(bh_irq_unbind(26), 0);
	bh_free_irq(26, NULL);
	/* The application's handler (default) is back: ignore it here. */
	th_set_handler(SIGUSR1, SIG_IGN);
	th_shutdown();
}

static unsigned long outer_done, b_runs, b_saw_outer_done;

static bh_irqreturn_t b_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	b_saw_outer_done = th_ld(&outer_done);
	th_inc(&b_runs);
	return BH_IRQ_HANDLED;
}

static bh_irqreturn_t a_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	raise(SIGUSR2); /* lands here, in hardirq with irqs off */
	raise(SIGUSR2);
	th_st(&outer_done, th_ld(&b_runs) ? 2 : 1);
	return BH_IRQ_HANDLED;
}

/*
 * Issue 4 / U4: a signal line that fires while this thread runs another
 * line's handler (interrupts off) is not run inside it, and not left held
 * until some later restore: it runs once that handler's delivery ends.
 */
static void test_signal_during_handler_runs_after_it(void **state)
{
	(void)state;
	outer_done = b_runs = b_saw_outer_done = 0;
	assert_int_equal(bh_request_irq(28, a_handler, 0, "outer", NULL), 0);
	assert_int_equal(bh_request_irq(29, b_handler, 0, "sig2", NULL), 0);
	assert_int_equal(bh_irq_bind_signal(29, SIGUSR2), 0);
	assert_int_equal(bh_raise_irq(28), 0);
	assert_int_equal(th_ld(&outer_done), 1);
	assert_int_equal(th_ld(&b_runs), 1);
	assert_int_equal(b_saw_outer_done, 1);
	assert_int_equal(bh_irq_unbind(29), 0);
	bh_free_irq(28, NULL);
	bh_free_irq(29, NULL);
	th_set_handler(SIGUSR2, SIG_IGN);
	th_shutdown();
}

static unsigned long pt_runs, b_done, b_runs_held, b_runs_after;

static bh_irqreturn_t pt_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	th_inc(&pt_runs);
	return BH_IRQ_HANDLED;
}

static void *irqs_off_thread(void *arg)
{
	(void)arg;
	unsigned long flags = bh_local_irq_save();
	pthread_kill(pthread_self(), SIGUSR1); /* delivered before it returns */
	th_st(&b_runs_held, th_ld(&pt_runs));
	bh_local_irq_restore(flags);
	th_st(&b_runs_after, th_ld(&pt_runs));
	th_st(&b_done, 1);
	return NULL;
}

/*
 * Issue 4 / SPEC U4: a signal held on one thread (irqs off) does not
 * swallow the same line's signal on another thread that also has irqs
 * off: each thread holds its own and runs it at its own restore.
 */
static void test_signal_held_per_thread(void **state)
{
	(void)state;
	pt_runs = b_done = b_runs_held = b_runs_after = 0;
	assert_int_equal(bh_request_irq(30, pt_handler, 0, "perthread", NULL),
			 0);
	assert_int_equal(bh_irq_bind_signal(30, SIGUSR1), 0);
	unsigned long flags = bh_local_irq_save();
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(th_ld(&pt_runs), 0); /* held here */
	pthread_t b;
	assert_int_equal(pthread_create(&b, NULL, irqs_off_thread, NULL), 0);
	assert_true(th_wait_ge(&b_done, 1));
	assert_true(th_join(b));
	assert_int_equal(th_ld(&b_runs_held), 0);
	assert_int_equal(th_ld(&b_runs_after), 1); /* B's own, at B's restore */
	bh_local_irq_restore(flags);
	assert_int_equal(th_ld(&pt_runs), 2); /* and ours, at ours */
	assert_int_equal(bh_irq_unbind(30), 0);
	bh_free_irq(30, NULL);
	th_set_handler(SIGUSR1, SIG_IGN);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_eventfd_line_fires, setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_pty_line_fires, setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_timer_line_fires, setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(
			test_source_bound_before_request, setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_closed_fd_is_diagnosed,
						setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_hangup_is_diagnosed, setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_bind_errors, setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(
			test_signal_line_and_irqs_off_holding, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_signal_during_handler_runs_after_it, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(test_signal_held_per_thread,
						setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
