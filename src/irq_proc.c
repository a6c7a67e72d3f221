// SPDX-License-Identifier: MIT
/*
 * bh_show_interrupts(): the lines with handlers, as /proc/interrupts
 * shows the kernel's. Reads the lists under each line's mutex, so it is
 * process context only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "irq_internal.h"

static const char *source(struct bh__irq_desc *d, char *buf, size_t len)
{
	/* Relaxed: called under D, where src is written. */
	switch (__atomic_load_n(&d->src, __ATOMIC_RELAXED)) {
	case BH__IRQ_SRC_FD:
		snprintf(buf, len, "fd:%d", d->fd);
		return buf;
	case BH__IRQ_SRC_TIMER:
		return "timer";
	case BH__IRQ_SRC_SIGNAL:
		snprintf(buf, len, "sig:%d", d->signo);
		return buf;
	default:
		return "soft";
	}
}

/* One line, to `f`; under D. */
static void show_line(FILE *f, unsigned int irq, struct bh__irq_desc *d)
{
	char src[32];
	fprintf(f, "%3u: ", irq);
	for (int cpu = 0; cpu < bh__rt.nr_cpus; cpu++)
		fprintf(f, "%10llu ", bh_irq_count(irq, cpu));
	fprintf(f, " bh-irq  %-8s", source(d, src, sizeof(src)));
	const char *sep = "  ";
	for (struct bh__irq_action *a = d->action; a; a = a->next) {
		fprintf(f, "%s%s", sep, a->name ? a->name : "");
		sep = ", ";
	}
	fputc('\n', f);
}

int bh_show_interrupts(FILE *f)
{
	if (!bh__live())
		return bh__dead_error("show_interrupts");
	if (!f)
		return -EINVAL;
	/* Build it in memory first, so the caller's stream gets it whole. */
	char *text = NULL;
	size_t len = 0;
	FILE *m = bh__open_memstream(&text, &len);
	if (!m)
		return -ENOMEM;
	fprintf(m, "%11s", ""); /* labels end over the counts */
	for (int cpu = 0; cpu < bh__rt.nr_cpus; cpu++)
		fprintf(m, "CPU%-8d", cpu);
	fputc('\n', m);
	for (unsigned int i = 0; i < BH_NR_IRQS; i++) {
		struct bh__irq_desc *d = &bh__irq_descs[i];
		pthread_mutex_lock(&d->lock);
		if (d->action)
			show_line(m, i, d);
		pthread_mutex_unlock(&d->lock);
	}
	if (fclose(m) != 0) {
		free(text);
		return -ENOMEM;
	}
	int r = fputs(text, f) < 0 ? -EIO : (int)len;
	free(text);
	return r;
}
