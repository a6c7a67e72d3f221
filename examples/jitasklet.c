/* SPDX-License-Identifier: MIT */
/*
 * jitasklet: the /proc/jitasklet and /proc/jitasklethi files of the "jit"
 * module from Linux Device Drivers, 3rd edition (section 7.5), rebuilt on
 * libbh's native API.
 *
 * Reading /proc/jitasklet in the book gives a header and six lines. The
 * first line describes the process that read the file; that process
 * schedules a tasklet and sleeps. The tasklet writes one line each time it
 * runs and reschedules itself until it has written the other five, then
 * wakes the reader. Each line says when it was written (jiffies), how long
 * after the previous one, whether it was in interrupt context, and which
 * task and CPU it ran on. /proc/jitasklethi does the same with a
 * high-priority tasklet.
 *
 * Here the "process" is this program's main thread. The tasklet runs in
 * softirq context on a bh CPU: in that CPU's "ksoftirqd/N" thread, or in
 * whichever thread left a top half when softirqs were pending. The book's
 * wait queue becomes a semaphore, since wait queues are not part of libbh
 * yet. A third table shows the case the book comes back to in chapter 10:
 * a top half (here a signal handler) schedules the tasklet.
 *
 * Read main() first, then jit_table() and the two handlers above it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <bh.h>

/* The book's tables: a header and six data lines (JIT_ASYNC_LOOPS + 1). */
#define JIT_DEFAULT_LINES 6
#define JIT_MAX_LINES	  1000
/* The kernel's TASK_COMM_LEN: thread names are at most 15 characters. */
#define JIT_COMM_LEN 16
/*
 * A bound on each wait, only so that a broken runtime makes the demo fail
 * instead of hang; a correct one finishes each table in well under 1 ms.
 */
#define JIT_WAIT_SECONDS 10

/* glibc < 2.37 spells the SIGEV_THREAD_ID target field only privately. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* One line of a table: who was running, where, and in which context. */
struct jit_line {
	unsigned long time;	 /* jiffies when the line was written */
	unsigned long delta;	 /* jiffies since the previous line */
	int inirq;		 /* in_interrupt() */
	pid_t pid;		 /* the thread's id, as a kernel task's pid */
	int cpu;		 /* smp_processor_id(): the bh CPU */
	char comm[JIT_COMM_LEN]; /* current->comm: the thread's name */
};

/* What the jit module keeps per open file: the tasklet and its output. */
struct jit_data {
	struct bh_tasklet tlet;
	bool hi;		   /* reschedule with hi_schedule */
	int loops;		   /* tasklet runs still to come */
	unsigned long prevjiffies; /* time of the previous line */
	sem_t done;		   /* the reader sleeps here */
	int nlines;
	struct jit_line lines[JIT_MAX_LINES];
};

/*
 * One instance, reused table after table: the signal handler below needs to
 * find it, and a tasklet must outlive every run of its callback anyway.
 */
static struct jit_data jit;

/*
 * Write one line describing the calling context. Called from task, softirq
 * and hardirq context, the last two possibly inside a signal handler (see
 * jit_top_half()): everything here is async-signal-safe (prctl and gettid
 * are plain system calls).
 */
static void jit_record(struct jit_data *data, unsigned long j)
{
	struct jit_line *l = &data->lines[data->nlines++];

	l->time = j;
	l->delta = j - data->prevjiffies;
	l->inirq = bh_in_interrupt() ? 1 : 0;
	l->pid = gettid();
	l->cpu = bh_smp_processor_id();
	prctl(PR_GET_NAME, l->comm);
}

/*
 * The tasklet: runs in softirq context, so it must not sleep. It records a
 * line and reschedules itself; rescheduling from the callback is allowed
 * because SCHED is cleared just before the callback is called (SPEC T8), so
 * the tasklet runs again after this call returns, never nested inside it.
 * sem_post() is async-signal-safe, which matters in the third table.
 */
static void jit_tasklet_fn(struct bh_tasklet *t)
{
	struct jit_data *data = bh_from_tasklet(data, t, tlet);
	unsigned long j = bh_jiffies();

	jit_record(data, j);
	if (--data->loops > 0) {
		data->prevjiffies = j;
		if (data->hi)
			bh_tasklet_hi_schedule(t);
		else
			bh_tasklet_schedule(t);
	} else {
		/* wake_up_interruptible(&data->wait) in the book */
		sem_post(&data->done);
	}
}

/*
 * The top half of the third table: a signal handler standing in for an
 * interrupt handler. bh_signal_irq_enter()/bh_signal_irq_exit() bracket it
 * as the kernel's irq_enter()/irq_exit() bracket a hardware interrupt:
 * inside, in_interrupt() is true and nothing may sleep. Scheduling a
 * tasklet is async-signal-safe (SPEC U1), as tasklet_schedule() is
 * hardirq-safe.
 *
 * At the exit the pending softirqs would run inline (SPEC S9); inside a
 * signal handler that would put bottom halves where only async-signal-safe
 * calls are allowed, so the signal variant hands them to ksoftirqd/N, as
 * the kernel does under threadirqs (S18). The tasklet lines therefore come
 * from ksoftirqd/N, after the handler has returned.
 */
static void jit_top_half(int sig)
{
	int saved_errno = errno;
	unsigned long j;

	(void)sig;
	bh_signal_irq_enter();
	j = bh_jiffies();
	jit.prevjiffies = j;
	jit_record(&jit, j);
	bh_tasklet_schedule(&jit.tlet);
	bh_signal_irq_exit();
	errno = saved_errno;
}

/* Sleep until the tasklet's last run posts `done`, with a safety bound. */
static int jit_wait(struct jit_data *data)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += JIT_WAIT_SECONDS;
	while (sem_timedwait(&data->done, &deadline) != 0) {
		if (errno == EINTR)
			continue; /* our own signal, in the third table */
		fprintf(stderr, "jitasklet: the tasklet did not finish: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Start a table: a fresh tasklet that will run `lines - 1` times. */
static void jit_start(struct jit_data *data, bool hi, int lines)
{
	bh_tasklet_setup(&data->tlet, jit_tasklet_fn);
	data->hi = hi;
	data->loops = lines - 1;
	data->nlines = 0;
}

/*
 * End a table. The last callback posts `done` before it returns, and the
 * library touches the tasklet after that (it clears RUN, SPEC T24), so wait
 * with kill until the tasklet is idle before reusing it.
 */
static int jit_finish(struct jit_data *data)
{
	int ret = bh_tasklet_kill(&data->tlet);

	if (ret < 0) {
		fprintf(stderr, "jitasklet: bh_tasklet_kill: %s\n",
			strerror(-ret));
		return -1;
	}
	return 0;
}

/*
 * /proc/jitasklet (hi false) or /proc/jitasklethi (hi true): what the jit
 * module's read function does, from the reader's side.
 */
static int jit_table(struct jit_data *data, bool hi, int lines)
{
	unsigned long j0;
	int ret;

	jit_start(data, hi, lines);

	/*
	 * Describe ourselves, then schedule. Preemption is off around the
	 * two so that the CPU printed is the one whose list the tasklet goes
	 * on: smp_processor_id() is only stable while it is off, in the
	 * kernel as here. It does not make this interrupt context (inirq 0).
	 * From task context the schedule wakes ksoftirqd/N (SPEC S11).
	 */
	bh_preempt_disable();
	j0 = bh_jiffies();
	data->prevjiffies = j0;
	jit_record(data, j0);
	ret = hi ? bh_tasklet_hi_schedule(&data->tlet)
		 : bh_tasklet_schedule(&data->tlet);
	bh_preempt_enable();
	if (ret < 0) {
		fprintf(stderr, "jitasklet: scheduling the tasklet: %s\n",
			strerror(-ret));
		return -1;
	}

	if (jit_wait(data) != 0)
		return -1;
	return jit_finish(data);
}

/*
 * The third table: a one-shot timer sends SIGALRM to this thread while it
 * sleeps, as a device would raise an interrupt, and the handler is the top
 * half that schedules the tasklet.
 */
static int jit_table_from_top_half(struct jit_data *data, int lines)
{
	struct sigaction sa = {.sa_handler = jit_top_half};
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGALRM,
	};
	struct itimerspec in_1ms = {.it_value = {.tv_nsec = 1000000}};
	timer_t timer;
	int ret;

	jit_start(data, false, lines);

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGALRM, &sa, NULL) != 0) {
		perror("jitasklet: sigaction");
		return -1;
	}
	sev.sigev_notify_thread_id = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) {
		perror("jitasklet: timer_create");
		return -1;
	}
	if (timer_settime(timer, 0, &in_1ms, NULL) != 0) {
		perror("jitasklet: timer_settime");
		timer_delete(timer);
		return -1;
	}

	ret = jit_wait(data);
	timer_delete(timer);
	signal(SIGALRM, SIG_DFL);
	if (ret != 0)
		return -1;
	return jit_finish(data);
}

/* The table as the book prints it, with columns aligned. */
static void jit_print(const struct jit_data *data)
{
	printf("%10s %6s %6s %7s %4s  %s\n", "time", "delta", "inirq", "pid",
	       "cpu", "command");
	for (int i = 0; i < data->nlines; i++) {
		const struct jit_line *l = &data->lines[i];

		printf("%10lu %6lu %6d %7d %4d  %s\n", l->time, l->delta,
		       l->inirq, (int)l->pid, l->cpu, l->comm);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: jitasklet [--cpus N] [--lines N] [--hz N]\n"
		"Print LDD3's /proc/jitasklet and /proc/jitasklethi tables, "
		"and the same\ntable for a tasklet scheduled from a top "
		"half, using libbh.\n"
		"  --cpus N   number of bh CPUs (default: online CPUs)\n"
		"  --lines N  data lines per table, 2..%d (default %d)\n"
		"  --hz N     jiffies per second, 10..10000 (default 250)\n"
		"  --help     show this text\n",
		JIT_MAX_LINES, JIT_DEFAULT_LINES);
}

/* A whole decimal number in [min, max], or exit with a usage error. */
static int parse_int(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "jitasklet: %s wants a number in %ld..%ld\n",
			opt, min, max);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"cpus", required_argument, NULL, 'c'},
		{"lines", required_argument, NULL, 'l'},
		{"hz", required_argument, NULL, 'z'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bh_config cfg;
	int lines = JIT_DEFAULT_LINES;
	int opt, ret, status = 1;

	bh_config_init(&cfg);
	while ((opt = getopt_long(argc, argv, "c:l:z:h", options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			cfg.nr_cpus =
				parse_int("--cpus", optarg, 1, BH_MAX_CPUS);
			break;
		case 'l':
			lines = parse_int("--lines", optarg, 2, JIT_MAX_LINES);
			break;
		case 'z':
			cfg.hz = (unsigned int)parse_int("--hz", optarg, 10,
							 10000);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	if (sem_init(&jit.done, 0, 0) != 0) {
		perror("jitasklet: sem_init");
		return 1;
	}
	ret = bh_init(&cfg);
	if (ret < 0) {
		fprintf(stderr, "jitasklet: bh_init: %s\n", strerror(-ret));
		return 1;
	}

	printf("jitasklet: LDD3's jit tasklet tables (section 7.5) on libbh "
	       "%s\nbh CPUs: %d, HZ: %u; time and delta are in jiffies\n",
	       bh_version(), bh_nr_cpus(), bh_hz());

	/* Each table is printed once complete, as the module's read does. */
	if (jit_table(&jit, false, lines) != 0)
		goto out;
	printf("\n$ cat /proc/jitasklet    "
	       "# bh_tasklet_schedule(): TASKLET_SOFTIRQ\n"
	       "# line 1: this process scheduling the tasklet (task context, "
	       "inirq 0)\n"
	       "# lines 2-%d: the tasklet rescheduling itself, in softirq "
	       "context (inirq 1)\n",
	       lines);
	jit_print(&jit);

	if (jit_table(&jit, true, lines) != 0)
		goto out;
	printf("\n$ cat /proc/jitasklethi  "
	       "# bh_tasklet_hi_schedule(): HI_SOFTIRQ\n"
	       "# the same with a high-priority tasklet; HI runs before every "
	       "other vector,\n"
	       "# which makes no visible difference here (as the book "
	       "notes)\n");
	jit_print(&jit);

	if (jit_table_from_top_half(&jit, lines) != 0)
		goto out;
	printf("\n$ # from a top half: a SIGALRM handler schedules the "
	       "tasklet\n"
	       "# line 1: the top half, hardirq context (inirq 1), on the "
	       "thread it interrupted\n"
	       "# lines 2-%d: the tasklet, in softirq context, handed to "
	       "ksoftirqd/N as the top half exits\n",
	       lines);
	jit_print(&jit);
	status = 0;

out:
	ret = bh_shutdown();
	if (ret != 0) {
		fprintf(stderr, "jitasklet: bh_shutdown: %d\n", ret);
		status = 1;
	}
	sem_destroy(&jit.done);
	return status;
}
