/* SPDX-License-Identifier: MIT */
/*
 * Top halves: from the moment an event is sent to the start of the bottom
 * half its top half schedules, for two real event sources.
 *
 *   signal  the measuring thread reads the clock and sends a POSIX signal
 *           to itself (pthread_kill, i.e. tgkill): the handler runs as the
 *           system call returns, on the thread the "interrupt" hit, and
 *           must get work done on the target CPU's thread.
 *   eventfd the measuring thread reads the clock and writes 1 to an
 *           eventfd that a thread of the target CPU waits on.
 *
 * Implementations, measured in the same run and rotated sample by sample:
 *
 *   raw          the plain wake-up, the physical limit. signal: a thread of
 *                the target CPU blocked in sigwaitinfo() on a signal
 *                everyone else blocks, sent with pthread_kill() to it;
 *                eventfd: a thread blocked in read() on the eventfd;
 *   raw_epoll    (eventfd only) a thread blocked in epoll_wait() on it;
 *   bh_tasklet   a bh interrupt line bound to the signal (bh_irq_bind_
 *                signal: its handler runs inside the library's signal
 *                handler) or to the eventfd (bh_irq_bind_fd: hardirq/N
 *                waits in epoll); its affinity is the target CPU, and its
 *                handler (which drains the eventfd) schedules a tasklet:
 *                the figure ends at the tasklet's first instruction;
 *   bh_work      the same line and handler, scheduling a work item
 *                (bh_schedule_work(), the handler's bh CPU) instead: the
 *                figure ends at the item's first instruction;
 *   uv           libuv. signal: uv_async_send() called from a signal
 *                handler of our own, ending at the async callback on the
 *                loop thread; eventfd: a uv_poll handle on it, ending at
 *                the poll callback (which drains it);
 *   uv_work      libuv's way to run something that may block: the same
 *                async or poll callback calls uv_queue_work(), ending at
 *                the work callback's first instruction, on the threadpool
 *                (UV_THREADPOOL_SIZE=1, its thread pinned to the target
 *                CPU): the peer of a work item, which may sleep, where
 *                uv's loop callback is the peer of a tasklet.
 *
 * Every figure runs from just before the send (CLOCK_MONOTONIC, stored
 * where the receiver reads it) to the receiver's first instruction. Each
 * sample also records when the top half began (the handler's first
 * instruction; for raw and uv, the receiver itself). Before every sample
 * the measuring thread waits until every other thread of the process is
 * asleep, then pauses PAUSE_US (50), so each one is a real wake-up.
 *
 * Placement (as bench_wake): the measuring thread on CPU C (-c); the raw
 * threads, the uv loop, ksoftirqd/T, the workers of bh CPU T and
 * hardirq/T on CPU T: the other CPU with "cross" (the default), C with
 * "same". The library pins ksoftirqd and workers (cfg.pin_threads), not
 * hardirq/N: this program pins it by its tid, for a like-for-like
 * comparison, and says whether it could.
 *
 *   bench_irq [same|cross] [-c CPU] [-n SAMPLES] [-r ROUNDS] [-p PAUSE_US]
 *             [-P sig|fd|both] [-i IMPL,...]
 *
 * -i keeps only the named implementations (for profiling one of them);
 * the ratio lines then give only the ratios among those.
 *
 * Output, per round: BENCH irq_<path>_<placement> <impl> lat_med_ns=...
 * lat_p99_ns=... top_med_ns=... ret_med_ns=... (top: sender to the top
 * half's first instruction; ret: to the handler's return, after it
 * scheduled the bottom half; for raw and the uv callbacks both are the
 * receiver's start) and a ratio line (bh over raw, bh over libuv); after
 * the last round, "#" lines with the medians over rounds. First, one line
 * BENCH irq_syscalls_<placement> ref with the cost of the system calls the
 * fd path makes (read of an eventfd, epoll_ctl EPOLL_CTL_MOD), measured on
 * the measuring thread.
 */
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "bench_common.h"

#define LINE_SIG 3
#define LINE_FD	 4
#define SIG_BH	 SIGUSR1
#define SIG_UV	 SIGUSR2
#define SIG_RAW	 (SIGRTMIN + 1)

enum path { PATH_SIG, PATH_FD, NR_PATH };
static const char *const path_name[NR_PATH] = {"sig", "fd"};

enum impl {
	I_RAW,
	I_RAW_EPOLL,
	I_BH_TASKLET,
	I_BH_WORK,
	I_UV,
	I_UV_WORK,
	NR_IMPL
};
static const char *const impl_name[NR_IMPL] = {
	"raw", "raw_epoll", "bh_tasklet", "bh_work", "uv", "uv_work"};

static bool has_impl(enum path p, enum impl i)
{
	return p == PATH_FD || i != I_RAW_EPOLL;
}

/*
 * What the receiver writes before it raises `done` (release), and the
 * measuring thread reads after it sees `done` (acquire).
 */
static uint64_t t_top, t_ret, t_cb;
static int cb_cpu;
static unsigned int done;
static bool stopping;

static void stamp_done(uint64_t t)
{
	t_cb = t;
	cb_cpu = sched_getcpu();
	bench_flag_raise(&done);
}

/* ---- raw receivers ---- */

static int efd_raw, efd_raw_ep, efd_bh, efd_uv;
static struct bench_thread raw_sig_th, raw_read_th, raw_ep_th;

static void *raw_sig_main(void *arg)
{
	sigset_t set;
	siginfo_t si;
	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIG_RAW);
	for (;;) {
		if (sigwaitinfo(&set, &si) < 0)
			continue;
		uint64_t t = bench_now_ns();
		if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
			return NULL;
		t_top = t_ret = t;
		stamp_done(t);
	}
}

static void *raw_read_main(void *arg)
{
	uint64_t v;
	(void)arg;
	for (;;) {
		if (read(efd_raw, &v, sizeof(v)) != sizeof(v))
			continue;
		uint64_t t = bench_now_ns();
		if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
			return NULL;
		t_top = t_ret = t;
		stamp_done(t);
	}
}

static void *raw_epoll_main(void *arg)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	uint64_t v;
	(void)arg;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd_raw_ep, &ev) < 0)
		bench_die("raw epoll", errno);
	for (;;) {
		if (epoll_wait(ep, &ev, 1, -1) != 1)
			continue;
		uint64_t t = bench_now_ns();
		if (read(efd_raw_ep, &v, sizeof(v)) < 0)
			bench_die("raw epoll read", errno);
		if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
			break;
		t_top = t_ret = t;
		stamp_done(t);
	}
	close(ep);
	return NULL;
}

/* ---- bh ---- */

static struct bh_tasklet bh_t;
static struct bh_work bh_w;
static int bh_mode; /* I_BH_TASKLET or I_BH_WORK: what the handler does */

static void bh_tasklet_fn(struct bh_tasklet *t)
{
	(void)t;
	stamp_done(bench_now_ns());
}

static void bh_work_fn(struct bh_work *w)
{
	(void)w;
	stamp_done(bench_now_ns());
}

static void bh_bottom(void)
{
	/* Relaxed: written by the measuring thread before it sends. */
	if (__atomic_load_n(&bh_mode, __ATOMIC_RELAXED) == I_BH_WORK)
		bh_schedule_work(&bh_w);
	else
		bh_tasklet_schedule(&bh_t);
}

static bh_irqreturn_t bh_sig_top(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	t_top = bench_now_ns();
	bh_bottom();
	t_ret = bench_now_ns();
	return BH_IRQ_HANDLED;
}

static bh_irqreturn_t bh_fd_top(int irq, void *dev)
{
	uint64_t v;
	(void)irq;
	(void)dev;
	t_top = bench_now_ns();
	/* Drain it, as a driver acks its device: the line is level-like. */
	if (read(efd_bh, &v, sizeof(v)) != sizeof(v))
		return BH_IRQ_NONE;
	bh_bottom();
	t_ret = bench_now_ns();
	return BH_IRQ_HANDLED;
}

/* ---- libuv ---- */

static uv_loop_t uv_loop;
static uv_async_t uv_as;
static uv_poll_t uv_po;
static uv_work_t uv_req, uv_pin_req;
static struct bench_thread uv_th;
static int uv_target_cpu;

static void on_uv_work(uv_work_t *req)
{
	(void)req;
	stamp_done(bench_now_ns());
}

static void on_uv_after_work(uv_work_t *req, int status)
{
	(void)req;
	(void)status;
}

/* The loop callback's bottom half: done here, or on the threadpool. */
static void uv_bottom(uint64_t t)
{
	/* Relaxed: written by the measuring thread before it sends. */
	if (__atomic_load_n(&bh_mode, __ATOMIC_RELAXED) == I_UV_WORK) {
		int err = uv_queue_work(&uv_loop, &uv_req, on_uv_work,
					on_uv_after_work);
		if (err)
			bench_die("uv_queue_work", err);
	} else {
		stamp_done(t);
	}
}

static void on_uv_pin(uv_work_t *req)
{
	(void)req;
	if (bench_pin_self(uv_target_cpu))
		printf("# uv threadpool could NOT be pinned to CPU %d\n",
		       uv_target_cpu);
}

static void uv_sig_handler(int sig)
{
	int saved = errno;
	(void)sig;
	t_top = bench_now_ns();
	uv_async_send(&uv_as); /* async-signal-safe, as libuv documents */
	t_ret = bench_now_ns();
	errno = saved;
}

static void on_uv_async(uv_async_t *a)
{
	uint64_t t = bench_now_ns();
	if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		uv_close((uv_handle_t *)a, NULL);
		uv_poll_stop(&uv_po);
		uv_close((uv_handle_t *)&uv_po, NULL);
		return;
	}
	uv_bottom(t);
}

static void on_uv_poll(uv_poll_t *p, int status, int events)
{
	uint64_t t = bench_now_ns(), v;
	(void)p;
	(void)status;
	(void)events;
	if (read(efd_uv, &v, sizeof(v)) < 0)
		return;
	t_top = t_ret = t;
	uv_bottom(t);
}

static void *uv_main(void *arg)
{
	(void)arg;
	/* The threadpool's one thread starts here and pins itself. */
	int err = uv_queue_work(&uv_loop, &uv_pin_req, on_uv_pin,
				on_uv_after_work);
	if (err)
		bench_die("uv_queue_work", err);
	uv_run(&uv_loop, UV_RUN_DEFAULT);
	return NULL;
}

/* ---- the other threads asleep ---- */

/* True once no other thread of the process is runnable (at most ~200 ms). */
static bool others_idle(void)
{
	char self[16];
	snprintf(self, sizeof(self), "%d", (int)bench_gettid());
	for (int tries = 0; tries < 10000; tries++) {
		bool idle = true;
		DIR *d = opendir("/proc/self/task");
		if (!d)
			return false;
		struct dirent *e;
		while (idle && (e = readdir(d)) != NULL)
			if (e->d_name[0] != '.' && strcmp(e->d_name, self) &&
			    bench_thread_state((pid_t)atoi(e->d_name)) == 'R')
				idle = false;
		closedir(d);
		if (idle)
			return true;
		bench_sleep_us(20);
	}
	return false;
}

/* ---- measurement ---- */

struct series {
	uint64_t *lat, *top, *ret;
	size_t n;
	unsigned long not_idle, on_target;
};

static int target_cpu;

static void send_one(enum path p, enum impl i)
{
	static const uint64_t one = 1;
	int fd = -1;
	if (p == PATH_SIG) {
		switch (i) {
		case I_RAW:
			pthread_kill(raw_sig_th.th, SIG_RAW);
			break;
		case I_UV:
		case I_UV_WORK:
			pthread_kill(pthread_self(), SIG_UV);
			break;
		default:
			pthread_kill(pthread_self(), SIG_BH);
			break;
		}
		return;
	}
	switch (i) {
	case I_RAW:
		fd = efd_raw;
		break;
	case I_RAW_EPOLL:
		fd = efd_raw_ep;
		break;
	case I_UV:
	case I_UV_WORK:
		fd = efd_uv;
		break;
	default:
		fd = efd_bh;
		break;
	}
	if (write(fd, &one, sizeof(one)) != sizeof(one))
		bench_die("write eventfd", errno);
}

static void sample(enum path p, enum impl i, struct series *s,
		   unsigned int pause_us)
{
	if (!others_idle())
		s->not_idle++;
	bench_sleep_us(pause_us);
	__atomic_store_n(&done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&bh_mode, (int)i, __ATOMIC_RELAXED);
	t_top = t_ret = 0;

	uint64_t t0 = bench_now_ns();
	send_one(p, i);
	bench_flag_wait(&done);

	s->lat[s->n] = t_cb - t0;
	s->top[s->n] = t_top ? t_top - t0 : 0;
	s->ret[s->n] = t_ret ? t_ret - t0 : 0;
	if (cb_cpu == target_cpu)
		s->on_target++;
	s->n++;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [same|cross] [-c CPU] [-n SAMPLES] [-r ROUNDS] "
		"[-p PAUSE_US] [-P sig|fd|both] [-i IMPL,...]\n",
		argv0);
	exit(2);
}

static void setup_signals(void)
{
	/* The raw signal is blocked everywhere: only sigwaitinfo takes it.
	 * Threads made from now on (the library's too) inherit the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIG_RAW);
	int err = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (err)
		bench_die("pthread_sigmask", err);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = uv_sig_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG_UV, &sa, NULL) < 0)
		bench_die("sigaction", errno);
}

static void setup_bh(const struct bench_place *pl, bool want_sig, bool want_fd)
{
	int err;
	bh_tasklet_setup(&bh_t, bh_tasklet_fn);
	bh_work_init(&bh_w, bh_work_fn);
	if (want_sig) {
		if ((err = bh_request_irq(LINE_SIG, bh_sig_top, 0, "bench-sig",
					  NULL)) ||
		    (err = bh_irq_set_affinity(LINE_SIG, pl->target_cpu)) ||
		    (err = bh_irq_bind_signal(LINE_SIG, SIG_BH)))
			bench_die("bh signal line", err);
	}
	if (want_fd) {
		if ((err = bh_request_irq(LINE_FD, bh_fd_top, 0, "bench-fd",
					  NULL)) ||
		    (err = bh_irq_set_affinity(LINE_FD, pl->target_cpu)) ||
		    (err = bh_irq_bind_fd(LINE_FD, efd_bh, EPOLLIN)))
			bench_die("bh fd line", err);
		/* hardirq/T is not pinned by the library: pin it here. */
		char comm[32];
		snprintf(comm, sizeof(comm), "hardirq/%d", pl->target_cpu);
		pid_t tid = bench_find_thread(comm);
		cpu_set_t cs;
		CPU_ZERO(&cs);
		CPU_SET(pl->target_cpu, &cs);
		bool pinned =
			tid && sched_setaffinity(tid, sizeof(cs), &cs) == 0;
		printf("# %s (tid %d) %s to CPU %d\n", comm, (int)tid,
		       pinned ? "pinned" : "could NOT be pinned",
		       pl->target_cpu);
	}
}

static void setup_uv(int cpu)
{
	int err;
	uv_target_cpu = cpu;
	/* One threadpool thread, pinned like the other receivers. */
	setenv("UV_THREADPOOL_SIZE", "1", 1);
	if ((err = uv_loop_init(&uv_loop)) ||
	    (err = uv_async_init(&uv_loop, &uv_as, on_uv_async)) ||
	    (err = uv_poll_init(&uv_loop, &uv_po, efd_uv)) ||
	    (err = uv_poll_start(&uv_po, UV_READABLE, on_uv_poll)))
		bench_die("libuv setup", err);
	bench_thread_start(&uv_th, "uv-loop", cpu, uv_main, NULL);
}

/*
 * What the fd path's system calls cost here, for reading its figures: a
 * read() of a ready eventfd and an EPOLL_CTL_MOD of an EPOLLONESHOT
 * registration (the re-arm), median of 2000 each.
 */
static void syscall_costs(const char *place)
{
	enum { N = 2000 };
	static uint64_t v[N];
	static const uint64_t one = 1;
	uint64_t x;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT};
	if (efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0)
		bench_die("syscall_costs", errno);
	for (int k = 0; k < N; k++) {
		if (write(efd, &one, sizeof(one)) != sizeof(one))
			bench_die("syscall_costs write", errno);
		uint64_t t0 = bench_now_ns();
		if (read(efd, &x, sizeof(x)) != sizeof(x))
			bench_die("syscall_costs read", errno);
		v[k] = bench_now_ns() - t0;
	}
	double rd = (double)bench_quantile(v, N, 0.5);
	for (int k = 0; k < N; k++) {
		uint64_t t0 = bench_now_ns();
		if (epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev) < 0)
			bench_die("syscall_costs epoll_ctl", errno);
		v[k] = bench_now_ns() - t0;
	}
	double mod = (double)bench_quantile(v, N, 0.5);
	printf("BENCH irq_syscalls_%s ref eventfd_read_ns=%.0f "
	       "epoll_ctl_mod_ns=%.0f\n",
	       place, rd, mod);
	close(ep);
	close(efd);
}

/* Medians over rounds, kept per path and impl (and ratio). */
#define MAX_ROUNDS 256
static double r_med[NR_PATH][NR_IMPL][MAX_ROUNDS],
	r_p99[NR_PATH][NR_IMPL][MAX_ROUNDS],
	r_top[NR_PATH][NR_IMPL][MAX_ROUNDS],
	r_ret[NR_PATH][NR_IMPL][MAX_ROUNDS];

struct ratio {
	const char *name;
	enum impl num, den;
};
static const struct ratio ratios[] = {
	{"bh_tasklet_over_raw", I_BH_TASKLET, I_RAW},
	{"bh_work_over_raw", I_BH_WORK, I_RAW},
	{"bh_tasklet_over_uv", I_BH_TASKLET, I_UV},
	{"bh_work_over_uv", I_BH_WORK, I_UV},
	{"uv_over_raw", I_UV, I_RAW},
	{"bh_work_over_uv_work", I_BH_WORK, I_UV_WORK},
	{"uv_work_over_raw", I_UV_WORK, I_RAW},
	{"bh_tasklet_over_raw_epoll", I_BH_TASKLET, I_RAW_EPOLL},
	{"bh_work_over_raw_epoll", I_BH_WORK, I_RAW_EPOLL},
	{"uv_over_raw_epoll", I_UV, I_RAW_EPOLL},
};
#define NR_RATIOS (sizeof(ratios) / sizeof(ratios[0]))
static double r_ratio[NR_PATH][NR_RATIOS][2][MAX_ROUNDS];

int main(int argc, char **argv)
{
	struct bench_place pl = {.cross = true, .rounds = 5};
	size_t samples = 1000;
	unsigned int pause_us = 50;
	bool want[NR_PATH] = {true, true};
	unsigned int impls = (1u << NR_IMPL) - 1;
	for (int a = 1; a < argc; a++) {
		if (bench_place_arg(argc, argv, &a, &pl))
			continue;
		if (strcmp(argv[a], "-n") == 0 && a + 1 < argc)
			samples = (size_t)atol(argv[++a]);
		else if (strcmp(argv[a], "-p") == 0 && a + 1 < argc)
			pause_us = (unsigned int)atoi(argv[++a]);
		else if (strcmp(argv[a], "-P") == 0 && a + 1 < argc) {
			const char *w = argv[++a];
			want[PATH_SIG] =
				!strcmp(w, "sig") || !strcmp(w, "both");
			want[PATH_FD] = !strcmp(w, "fd") || !strcmp(w, "both");
		} else if (strcmp(argv[a], "-i") == 0 && a + 1 < argc) {
			char *l = strdup(argv[++a]), *save = NULL;
			impls = 0;
			for (char *t = strtok_r(l, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				int i = 0;
				while (i < NR_IMPL && strcmp(t, impl_name[i]))
					i++;
				if (i == NR_IMPL)
					usage(argv[0]);
				impls |= 1u << i;
			}
			free(l);
		} else
			usage(argv[0]);
	}
	if (samples == 0 || impls == 0 || pl.rounds > MAX_ROUNDS ||
	    !(want[PATH_SIG] || want[PATH_FD]) || !bench_place_check(&pl))
		usage(argv[0]);
	target_cpu = pl.target_cpu;
	const char *place = pl.cross ? "cross" : "same";
	setvbuf(stdout, NULL, _IOLBF, 0);

	setup_signals();
	syscall_costs(place);
	if ((efd_raw = eventfd(0, EFD_CLOEXEC)) < 0 ||
	    (efd_raw_ep = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (efd_bh = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (efd_uv = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		bench_die("eventfd", errno);
	bench_place_start(&pl, "pin the measuring thread");
	setup_bh(&pl, want[PATH_SIG], want[PATH_FD]);
	bench_thread_start(&raw_sig_th, "raw-sigwait", pl.target_cpu,
			   raw_sig_main, NULL);
	bench_thread_start(&raw_read_th, "raw-read", pl.target_cpu,
			   raw_read_main, NULL);
	bench_thread_start(&raw_ep_th, "raw-epoll", pl.target_cpu,
			   raw_epoll_main, NULL);
	setup_uv(pl.target_cpu);

	struct series s[NR_PATH][NR_IMPL];
	for (int p = 0; p < NR_PATH; p++)
		for (int i = 0; i < NR_IMPL; i++) {
			s[p][i] = (struct series){0};
			s[p][i].lat = calloc(samples, sizeof(uint64_t));
			s[p][i].top = calloc(samples, sizeof(uint64_t));
			s[p][i].ret = calloc(samples, sizeof(uint64_t));
			if (!s[p][i].lat || !s[p][i].top || !s[p][i].ret)
				bench_die("calloc", ENOMEM);
		}

	/* The (path, impl) pairs measured, rotated sample by sample. */
	struct {
		enum path p;
		enum impl i;
	} order[NR_PATH * NR_IMPL];
	int n_order = 0;
	for (int p = 0; p < NR_PATH; p++)
		for (int i = 0; i < NR_IMPL; i++)
			if (want[p] && has_impl((enum path)p, (enum impl)i) &&
			    (impls & (1u << i)))
				order[n_order++].p = (enum path)p,
				order[n_order - 1].i = (enum impl)i;

	printf("# sender to bottom-half start: measuring thread on CPU %d, "
	       "receivers on CPU %d; %zu samples per impl per round, %d "
	       "rounds, ns\n",
	       pl.cpu, pl.target_cpu, samples, pl.rounds);
	/* Unrecorded: page faults, lazy binding, threads made. */
	for (int k = 0; k < 20; k++)
		for (int j = 0; j < n_order; j++) {
			struct series w = s[order[j].p][order[j].i];
			w.n = 0;
			sample(order[j].p, order[j].i, &w, pause_us);
		}

	for (int r = 0; r < pl.rounds; r++) {
		for (int p = 0; p < NR_PATH; p++)
			for (int i = 0; i < NR_IMPL; i++)
				s[p][i].n = s[p][i].not_idle =
					s[p][i].on_target = 0;
		for (size_t k = 0; k < samples; k++)
			for (int j = 0; j < n_order; j++) {
				int o = (int)((j + k) % (size_t)n_order);
				sample(order[o].p, order[o].i,
				       &s[order[o].p][order[o].i], pause_us);
			}
		for (int j = 0; j < n_order; j++) {
			enum path p = order[j].p;
			enum impl i = order[j].i;
			struct series *x = &s[p][i];
			size_t n = x->n;
			r_med[p][i][r] = (double)bench_quantile(x->lat, n, 0.5);
			r_p99[p][i][r] =
				(double)bench_quantile(x->lat, n, 0.99);
			r_top[p][i][r] = (double)bench_quantile(x->top, n, 0.5);
			r_ret[p][i][r] = (double)bench_quantile(x->ret, n, 0.5);
			printf("BENCH irq_%s_%s %s round=%d samples=%zu "
			       "not_idle=%lu on_target_pct=%.1f "
			       "lat_med_ns=%.0f lat_p99_ns=%.0f "
			       "top_med_ns=%.0f ret_med_ns=%.0f\n",
			       path_name[p], place, impl_name[i], r, n,
			       x->not_idle,
			       n ? 100.0 * (double)x->on_target / (double)n
				 : 0.0,
			       r_med[p][i][r], r_p99[p][i][r], r_top[p][i][r],
			       r_ret[p][i][r]);
		}
		for (int p = 0; p < NR_PATH; p++) {
			if (!want[p])
				continue;
			bool any = false;
			for (size_t q = 0; q < NR_RATIOS; q++) {
				const struct ratio *x = &ratios[q];
				if (!has_impl((enum path)p, x->den) ||
				    !(impls & (1u << x->num)) ||
				    !(impls & (1u << x->den)))
					continue;
				if (!any)
					printf("BENCH irq_%s_%s ratio round=%d",
					       path_name[p], place, r);
				any = true;
				double m = r_med[p][x->num][r] /
					   r_med[p][x->den][r];
				double t = r_p99[p][x->num][r] /
					   r_p99[p][x->den][r];
				r_ratio[p][q][0][r] = m;
				r_ratio[p][q][1][r] = t;
				printf(" %s_med=%.3f %s_p99=%.3f", x->name, m,
				       x->name, t);
			}
			if (any)
				printf("\n");
		}
	}

	/* Medians over rounds (the arrays are sorted in place). */
	printf("# medians over %d rounds (%s): impl lat_med lat_p99 top_med "
	       "ret_med (ns)\n",
	       pl.rounds, place);
	for (int j = 0; j < n_order; j++) {
		enum path p = order[j].p;
		enum impl i = order[j].i;
		printf("#   %-3s %-10s %8.0f %8.0f %8.0f %8.0f\n", path_name[p],
		       impl_name[i], bench_median_d(r_med[p][i], pl.rounds),
		       bench_median_d(r_p99[p][i], pl.rounds),
		       bench_median_d(r_top[p][i], pl.rounds),
		       bench_median_d(r_ret[p][i], pl.rounds));
	}
	for (int p = 0; p < NR_PATH; p++) {
		if (!want[p])
			continue;
		for (size_t q = 0; q < NR_RATIOS; q++) {
			if (!has_impl((enum path)p, ratios[q].den) ||
			    !(impls & (1u << ratios[q].num)) ||
			    !(impls & (1u << ratios[q].den)))
				continue;
			printf("#   %-3s %-26s med %.3f  p99 %.3f\n",
			       path_name[p], ratios[q].name,
			       bench_median_d(r_ratio[p][q][0], pl.rounds),
			       bench_median_d(r_ratio[p][q][1], pl.rounds));
		}
	}

	/* Stop everything. */
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	pthread_kill(raw_sig_th.th, SIG_RAW);
	send_one(PATH_FD, I_RAW);
	send_one(PATH_FD, I_RAW_EPOLL);
	uv_async_send(&uv_as);
	pthread_join(raw_sig_th.th, NULL);
	pthread_join(raw_read_th.th, NULL);
	pthread_join(raw_ep_th.th, NULL);
	pthread_join(uv_th.th, NULL);
	uv_loop_close(&uv_loop);
	for (int line = LINE_SIG; line <= LINE_FD; line++) {
		if (!want[line == LINE_SIG ? PATH_SIG : PATH_FD])
			continue;
		bh_irq_unbind((unsigned int)line);
		bh_free_irq((unsigned int)line, NULL);
	}
	bh_tasklet_kill(&bh_t);
	bh_flush_work(&bh_w);
	int left = bh_shutdown();
	if (left != 0)
		fprintf(stderr, "bench: bh_shutdown() returned %d\n", left);
	for (int p = 0; p < NR_PATH; p++)
		for (int i = 0; i < NR_IMPL; i++) {
			free(s[p][i].lat);
			free(s[p][i].top);
			free(s[p][i].ret);
		}
	return 0;
}
