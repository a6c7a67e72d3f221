/* SPDX-License-Identifier: MIT */
/*
 * bottomhalf: the Linux kernel's deferred-work model in user space.
 * One include for the whole native API; see docs/ and the man pages.
 */
#ifndef BH_H
#define BH_H

#include "bh/compiler.h"
#include "bh/completion.h"
#include "bh/context.h"
#include "bh/debug.h"
#include "bh/delay.h"
#include "bh/export.h"
#include "bh/fault.h"
#include "bh/hrtimer.h"
#include "bh/irq.h"
#include "bh/jiffies.h"
#include "bh/log.h"
#include "bh/mutex.h"
#include "bh/runtime.h"
#include "bh/slab.h"
#include "bh/smp.h"
#include "bh/softirq.h"
#include "bh/spinlock.h"
#include "bh/task.h"
#include "bh/tasklet.h"
#include "bh/timer.h"
#include "bh/version.h"
#include "bh/wait.h"
#include "bh/workqueue.h"

#endif
