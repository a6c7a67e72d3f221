/* SPDX-License-Identifier: MIT */
/*
 * The UART demo (examples/uart), run as a user runs it. tests/
 * demo_uart.cmake passes the executable's path in UART_DEMO; without it
 * (examples not built) the tests are skipped.
 *
 *  - Another program types into the pty (this test, as `screen` would):
 *    paced lines, then a fast burst of several KB. Every byte must reach
 *    the driver's read() in order (the demo's byte count and FNV-1a
 *    checksum of what its reader got), none lost to the fast writer, and
 *    the log file the work item wrote must hold exactly the lines sent.
 *    Again with a slow reader, so that the driver's flow control (the top
 *    half masking its own line while the ring is full) has to work.
 *  - On defaults, with no terminal on stdin, it feeds itself, finishes by
 *    itself, exits 0 and prints its trace and summary.
 *  - --interactive without a terminal does not wait for input.
 *
 * Every wait is bounded: poll() with a deadline, and the demo is killed if
 * it runs past it.
 */
#include <poll.h>
#include <sys/stat.h>

#include "harness.h"
#include "spawn_demo.h"

#define OUT_SIZE (512 * 1024)
/* Generous: sanitizer builds are slow, and the machine may be loaded. */
#define DEADLINE_S 120

struct demo {
	pid_t pid;
	int out;    /* read end of the demo's standard output */
	size_t len; /* bytes of output so far */
	int status; /* as waitpid() reports it */
	char text[OUT_SIZE];
};

static struct demo demo;

static uint64_t deadline_ns(void)
{
	return th_now_ns() + (uint64_t)DEADLINE_S * 1000000000u;
}

/* Milliseconds left before `deadline` for poll(); fails past it. */
static int ms_left(uint64_t deadline)
{
	uint64_t now = th_now_ns();

	if (now >= deadline) {
		kill(demo.pid, SIGKILL);
		fail_msg("the demo did not finish in %d s; output so far:\n%s",
			 DEADLINE_S, demo.text);
	}
	return (int)((deadline - now) / 1000000u) + 1;
}

/* Start the demo with `args` (NULL-terminated); stdin is /dev/null. */
static void start_demo(const char *const *args)
{
	memset(&demo, 0, sizeof(demo));
	demo.out = th_spawn_demo("UART_DEMO", args, &demo.pid);
}

/* Read what is there, waiting at most until `deadline`; false at EOF. */
static bool read_some(uint64_t deadline)
{
	struct pollfd p = {.fd = demo.out, .events = POLLIN};
	ssize_t r;

	if (poll(&p, 1, ms_left(deadline)) < 0) {
		assert_int_equal(errno, EINTR);
		return true;
	}
	if (p.revents == 0)
		return true;
	r = read(demo.out, demo.text + demo.len, OUT_SIZE - 1 - demo.len);
	if (r < 0 && errno == EINTR)
		return true;
	assert_true(r >= 0);
	demo.len += (size_t)r;
	demo.text[demo.len] = '\0';
	assert_true(demo.len < OUT_SIZE - 1);
	return r > 0;
}

/* Wait until the output has a whole line starting with `prefix`; return
 * what follows the prefix on it (a pointer into demo.text). */
static const char *wait_line(const char *prefix, uint64_t deadline)
{
	for (;;) {
		const char *at = demo.text;

		while ((at = strstr(at, prefix)) != NULL) {
			if ((at == demo.text || at[-1] == '\n') &&
			    strchr(at, '\n'))
				return at + strlen(prefix);
			at++;
		}
		if (!read_some(deadline))
			fail_msg("no \"%s\" line in:\n%s", prefix, demo.text);
	}
}

/* Read to the end, reap the demo, and expect exit status 0. */
static void finish_demo(uint64_t deadline)
{
	while (read_some(deadline))
		;
	close(demo.out);
	assert_int_equal(waitpid(demo.pid, &demo.status, 0), demo.pid);
	if (!WIFEXITED(demo.status) || WEXITSTATUS(demo.status) != 0)
		fail_msg("the demo ended with status 0x%x; output:\n%s",
			 demo.status, demo.text);
}

static uint32_t fnv1a(uint32_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

/* Write all of `p` to the non-blocking `fd`, waiting (bounded) for room. */
static void write_all(int fd, const char *p, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			/* Wait for room, and keep the demo's output pipe
			 * from filling up meanwhile. */
			struct pollfd p2[2] = {
				{.fd = fd, .events = POLLOUT},
				{.fd = demo.out, .events = POLLIN},
			};

			assert_true(poll(p2, 2, ms_left(deadline)) >= 0 ||
				    errno == EINTR);
			if (p2[1].revents && !read_some(deadline))
				fail_msg("the demo ended before reading it "
					 "all; output:\n%s",
					 demo.text);
			continue;
		}
		assert_true(w > 0);
		p += w;
		len -= (size_t)w;
	}
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static char buf[256 * 1024];

	assert_non_null(f);
	*len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* The numbers on a summary line "  <name> <bytes> bytes, fnv-1a 0x..". */
static void summary_bytes(const char *name, unsigned long long *bytes,
			  unsigned int *fnv)
{
	char key[32];
	const char *at;

	snprintf(key, sizeof(key), "\n  %s ", name);
	at = strstr(demo.text, key);
	assert_non_null(at);
	assert_int_equal(sscanf(at + strlen(key),
				" %llu bytes%*[^f]fnv-1a 0x%x", bytes, fnv),
			 2);
}

/*
 * Type into the demo's pty as another program would: 30 lines, one
 * write() each, then a burst of 24 KB written as fast as the pty takes it.
 * `option` and `delay` are --reader-delay or --log-delay and its value in
 * ms ("0" for none). Checks that
 * every byte arrived in order, none was lost, and the log holds the lines
 * sent. Returns how many times the driver masked its line (flow control).
 */
static unsigned long drive_through_pty(const char *option, const char *delay)
{
	static char text[64 * 1024];
	char log_path[64], expect[32], slave_path[64];
	size_t len = 0, paced, log_len;
	unsigned long long bytes;
	unsigned long masked;
	unsigned int fnv;
	uint64_t deadline = deadline_ns();
	const char *at;
	int slave;

	for (int i = 0; i < 30; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"line %02d: the quick brown fox "
					"jumps over the lazy dog\n",
					i);
	paced = len;
	for (int i = 0; len < paced + 24 * 1024; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"burst %05d %.*s\n", i, i % 97,
					"0123456789abcdefghijklmnopqrstuvwxyzAB"
					"CDEFGHIJKLMNOPQRSTUVWXYZ0123456789abc"
					"defghijklmnopqrstuvwxyz");

	snprintf(log_path, sizeof(log_path), "/tmp/bh-test-uart-%d.log",
		 (int)getpid());
	snprintf(expect, sizeof(expect), "%zu", len);
	start_demo((const char *[]){"--expect", expect, "--log", log_path,
				    "--cpus", "2", option, delay, NULL});
	at = wait_line("slave: ", deadline);
	assert_int_equal(sscanf(at, "%63s", slave_path), 1);
	slave = open(slave_path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	assert_true(slave >= 0);

	for (size_t off = 0; off < paced;) {
		const char *nl = memchr(text + off, '\n', paced - off);
		size_t n = (size_t)(nl - (text + off)) + 1;

		write_all(slave, text + off, n, deadline);
		off += n;
	}
	write_all(slave, text + paced, len - paced, deadline);
	finish_demo(deadline);
	close(slave);

	summary_bytes("received", &bytes, &fnv);
	assert_int_equal(bytes, len);
	assert_int_equal(fnv, fnv1a(2166136261u, text, len));
	/* Nothing lost on the way to the log either. */
	const char *log = slurp(log_path, &log_len);
	assert_int_equal(log_len, len);
	assert_memory_equal(log, text, len);
	unlink(log_path);

	at = strstr(demo.text, "line masked ");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "line masked %lu times", &masked), 1);
	return masked;
}

/* Issue 4: another program types into the pty, with a fast burst at the
 * end: every byte arrives in order, none is lost, the log matches. */
static void test_external_writer(void **state)
{
	(void)state;
	drive_through_pty("--reader-delay", "0");
}

/* The same with a reader that takes 20 ms per read() of 512 bytes (25
 * KB/s, against a writer and top half far faster): the 4 KiB ring fills,
 * the top half masks its line, the writer waits in the pty, and still no
 * byte is lost or reordered. */
static void test_slow_reader_throttles(void **state)
{
	(void)state;
	assert_true(drive_through_pty("--reader-delay", "20") > 0);
}

/* The same with a log work item that sleeps 100 ms per run (msleep, as a
 * slow disk): its 16 KiB queue fills before the 24 KB burst is through,
 * the tasklet leaves bytes in the FIFO, the top half masks its line, and
 * the log work's next run lets the bytes move on. Nothing is lost. */
static void test_slow_log_throttles(void **state)
{
	(void)state;
	assert_true(drive_through_pty("--log-delay", "100") > 0);
}

/* Issue 4: on defaults, with no terminal, the demo feeds itself, ends by
 * itself with status 0, and prints its trace and summary. */
static void test_selftest_defaults(void **state)
{
	uint64_t deadline = deadline_ns();
	unsigned long long sent, received;
	unsigned int sent_fnv, received_fnv;
	char log_path[256];

	(void)state;
	start_demo((const char *[]){NULL});
	finish_demo(deadline);

	assert_int_equal(
		sscanf(strstr(demo.text, "\nlog: ") + 6, "%255s", log_path), 1);
	summary_bytes("sent", &sent, &sent_fnv);
	summary_bytes("received", &received, &received_fnv);
	assert_true(sent > 8192);
	assert_int_equal(received, sent);
	assert_int_equal(received_fnv, sent_fnv);
	assert_non_null(strstr(demo.text, "every byte arrived, in order"));
	assert_non_null(strstr(demo.text, ": matches the lines sent"));
	/* The trace: each stage in its context. */
	assert_non_null(strstr(demo.text, "top half   hardirq"));
	assert_non_null(strstr(demo.text, "tasklet    softirq"));
	assert_non_null(strstr(demo.text, "read()     task"));
	assert_non_null(strstr(demo.text, "work item  task"));
	/* /proc/interrupts has line 4, the pty. */
	assert_non_null(strstr(demo.text, "  4: "));
	assert_non_null(strstr(demo.text, "uart-pty"));
	/* The latency table: a median and a p99 for every stage. */
	static const char *const rows[] = {"byte written -> top half",
					   "top half -> tasklet start",
					   "tasklet wake_up -> reader runs",
					   "line complete -> work item start"};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *at = strstr(demo.text, rows[i]);
		unsigned int n;
		double median, p99;

		assert_non_null(at);
		assert_int_equal(sscanf(at + strlen(rows[i]), "%u %lf %lf", &n,
					&median, &p99),
				 3);
		assert_true(n > 0);
		assert_true(median <= p99);
	}
	unlink(log_path);
}

/* --help, and --interactive with no terminal: it must not wait. */
static void test_options(void **state)
{
	char log_path[64];

	(void)state;
	start_demo((const char *[]){"--help", NULL});
	finish_demo(deadline_ns());
	assert_non_null(strstr(demo.text, "--interactive"));

	snprintf(log_path, sizeof(log_path), "/tmp/bh-test-uart-i-%d.log",
		 (int)getpid());
	start_demo((const char *[]){"--interactive", "--rate", "0", "--burst",
				    "1000", "--quiet", "--log", log_path,
				    NULL});
	finish_demo(deadline_ns());
	assert_non_null(strstr(demo.text, "every byte arrived, in order"));
	unlink(log_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_external_writer),
		cmocka_unit_test(test_slow_reader_throttles),
		cmocka_unit_test(test_slow_log_throttles),
		cmocka_unit_test(test_selftest_defaults),
		cmocka_unit_test(test_options),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
