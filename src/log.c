// SPDX-License-Identifier: MIT
/*
 * printk and the kernel-style WARN/BUG reports.
 *
 * Reports are formatted on the stack (no allocation, so they work from a
 * signal handler and under a failing malloc) and handed to the sink as one
 * message. The backtrace comes from glibc's backtrace(), symbolised with
 * dladdr(); backtrace() is called once at bh_init() so that its lazy
 * loading of the unwinder does not happen inside a signal handler later.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"

#define BH__MSG_MAX	3072
#define BH__TRACE_DEPTH 24

static uint64_t log_clock_base; /* A */

void bh__log_reset_clock(void)
{
	__atomic_store_n(&log_clock_base, bh__monotonic_ns(), __ATOMIC_RELAXED);
}

static void default_sink(int level, const char *text, size_t len)
{
	(void)level;
	/* write(2) is async-signal-safe; stdio is not. */
	while (len) {
		ssize_t n = write(STDERR_FILENO, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

void bh__log_write(int level, const char *text, size_t len)
{
	int max = bh__rt.log ? bh__rt.log_level : BH_LOG_DEBUG;
	if (level > max)
		return;
	if (bh__rt.log)
		bh__rt.log(bh__rt.log_arg, level, text, len);
	else
		default_sink(level, text, len);
}

/* Append to a bounded buffer; the result is always NUL-terminated. */
struct msgbuf {
	char *buf;
	size_t len, cap;
};

static void vappend(struct msgbuf *m, const char *fmt, va_list ap)
{
	if (m->len >= m->cap - 1)
		return;
	int n = vsnprintf(m->buf + m->len, m->cap - m->len, fmt, ap);
	if (n < 0)
		return;
	m->len += (size_t)n;
	if (m->len > m->cap - 1)
		m->len = m->cap - 1;
}

static void append(struct msgbuf *m, const char *fmt, ...)
	bh_printf_format(2, 3);
static void append(struct msgbuf *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vappend(m, fmt, ap);
	va_end(ap);
}

static void append_timestamp(struct msgbuf *m)
{
	uint64_t base = __atomic_load_n(&log_clock_base, __ATOMIC_RELAXED);
	uint64_t ns = bh__monotonic_ns() - base;
	append(m, "[%5llu.%06llu] ", (unsigned long long)(ns / 1000000000u),
	       (unsigned long long)(ns % 1000000000u / 1000u));
}

static void finish_line(struct msgbuf *m)
{
	if (m->len == 0 || m->buf[m->len - 1] != '\n') {
		if (m->len >= m->cap - 1)
			m->len = m->cap - 2;
		m->buf[m->len++] = '\n';
		m->buf[m->len] = '\0';
	}
}

void bh_vprintk(int level, const char *fmt, va_list ap)
{
	char buf[1024];
	struct msgbuf m = {buf, 0, sizeof(buf)};
	if (level < 0 || level > BH_LOG_DEBUG)
		level = BH_LOG_WARNING;
	append_timestamp(&m);
	vappend(&m, fmt, ap);
	finish_line(&m);
	bh__log_write(level, m.buf, m.len);
}

void bh_printk(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bh_vprintk(level, fmt, ap);
	va_end(ap);
}

int bh_kprintf(const char *fmt, ...)
{
	char buf[1024];
	struct msgbuf m = {buf, 0, sizeof(buf)};
	int level = BH_LOG_WARNING; /* the kernel's default message level */
	bool cont = false;
	/* KERN_* levels are "\001" + a digit; KERN_CONT is "\001c". */
	while (fmt[0] == '\001' && fmt[1]) {
		if (fmt[1] >= '0' && fmt[1] <= '7')
			level = fmt[1] - '0';
		else if (fmt[1] == 'c')
			cont = true;
		fmt += 2;
	}
	if (!cont)
		append_timestamp(&m);
	size_t start = m.len;
	va_list ap;
	va_start(ap, fmt);
	vappend(&m, fmt, ap);
	va_end(ap);
	bh__log_write(level, m.buf, m.len);
	return (int)(m.len - start);
}

const char *bh__symbol_name(const void *addr, char *buf, size_t len)
{
	Dl_info info;
	unsigned long off, size;
	if (!addr)
		return NULL;
	/* A static function has no dynamic symbol: the object's full
	 * symbol table has it; failing that, the address, which addr2line
	 * and gdb resolve. */
	if (dladdr(addr, &info) && info.dli_sname)
		snprintf(buf, len, "%s", info.dli_sname);
	else if (!bh__symtab_lookup(addr, buf, len, &off, &size, NULL, 0))
		snprintf(buf, len, "%p", addr);
	return buf;
}

static void append_backtrace(struct msgbuf *m, int skip)
{
	void *frames[BH__TRACE_DEPTH];
	int n = backtrace(frames, BH__TRACE_DEPTH);
	append(m, "Call Trace:\n");
	for (int i = skip; i < n; i++) {
		Dl_info info;
		char name[128], oname[64];
		unsigned long off, size;
		/* A return address: look up the call's own byte, which is
		 * in the caller even when the call ends its function. */
		const char *at = (const char *)frames[i] - 1;
		if (bh__symtab_lookup(at, name, sizeof(name), &off, &size,
				      oname, sizeof(oname))) {
			append(m, " %s+0x%lx/0x%lx [%s]\n", name, off + 1, size,
			       oname);
		} else if (dladdr(frames[i], &info) && info.dli_fname) {
			const char *obj = strrchr(info.dli_fname, '/');
			obj = obj ? obj + 1 : info.dli_fname;
			if (info.dli_sname)
				append(m, " %s+0x%lx [%s]\n", info.dli_sname,
				       (unsigned long)((char *)frames[i] -
						       (char *)info.dli_saddr),
				       obj);
			else
				append(m, " %s+0x%lx\n", obj,
				       (unsigned long)((char *)frames[i] -
						       (char *)info.dli_fbase));
		} else {
			append(m, " %p\n", frames[i]);
		}
	}
}

static const char *context_name(void)
{
	unsigned int pc = bh__self.preempt_count;
	if (pc & BH_NMI_MASK)
		return "nmi";
	if (pc & BH_HARDIRQ_MASK)
		return "hardirq";
	if (pc & BH_SOFTIRQ_OFFSET)
		return "softirq";
	if (pc & BH_SOFTIRQ_MASK)
		return "task, bh disabled";
	if (pc || bh__self.irqs_off)
		return "task, atomic";
	return "task";
}

static void append_cpu_line(struct msgbuf *m)
{
	char comm[16] = "?";
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	append(m, "CPU: %d PID: %d Comm: %s Context: %s preempt_count: %x%s\n",
	       bh__this_cpu(), bh__gettid(), comm, context_name(),
	       bh__self.preempt_count,
	       bh__self.irqs_off ? " irqs_disabled" : "");
}

static void report(bool bug, const char *file, int line, const char *func,
		   const char *fmt, va_list ap)
{
	char buf[BH__MSG_MAX];
	struct msgbuf m = {buf, 0, sizeof(buf)};
	int saved_errno = errno;

	__atomic_fetch_add(&bh__rt.warn_count, 1, __ATOMIC_RELAXED);
	if (bug) {
		append(&m, "BUG: ");
		vappend(&m, fmt, ap);
		finish_line(&m);
	} else {
		append(&m, "------------[ cut here ]------------\n");
		append(&m, "WARNING: CPU: %d PID: %d at %s:%d %s\n",
		       bh__this_cpu(), bh__gettid(), file, line, func);
		vappend(&m, fmt, ap);
		finish_line(&m);
	}
	append_cpu_line(&m);
	append_backtrace(&m, 2);
	if (!bug)
		append(&m, "---[ end trace 0000000000000000 ]---\n");
	if (m.len >= sizeof(buf) - 1) {
		/* Truncated: still end with a newline. */
		buf[sizeof(buf) - 2] = '\n';
		m.len = sizeof(buf) - 1;
	}
	bh__log_write(bug ? BH_LOG_ERR : BH_LOG_WARNING, buf, m.len);
	if (bh__rt.warn_fatal) {
		static const char panic[] =
			"Kernel panic - not syncing: bh: warn_fatal set, "
			"aborting\n";
		bh__log_write(BH_LOG_EMERG, panic, sizeof(panic) - 1);
		abort();
	}
	errno = saved_errno;
}

bool bh__warn(const char *file, int line, const char *func, const char *fmt,
	      ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(false, file, line, func, fmt, ap);
	va_end(ap);
	return true;
}

bool bh__bug(const char *file, int line, const char *func, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(true, file, line, func, fmt, ap);
	va_end(ap);
	return true;
}

int bh__bad_object(const void *obj, const char *what, const char *kind,
		   const char *setup)
{
	if (!obj)
		BH_WARN(1, "bh: %s(NULL)", what);
	else
		BH_WARN(1, "bh: %s(%p) on %s (use %s)", what, obj, kind, setup);
	return -EINVAL;
}

unsigned long bh_warn_count(void)
{
	return __atomic_load_n(&bh__rt.warn_count, __ATOMIC_RELAXED);
}
