/* SPDX-License-Identifier: MIT */
/*
 * <linux/errno.h>: the UAPI error numbers plus the kernel-internal ones
 * (512 and up) that kernel code returns between its own layers and that
 * never reach user space in the kernel. libbh itself never returns them;
 * they are here so that kernel-style code that names them compiles.
 *
 * glibc's <errno.h> includes <linux/errno.h>, so with the compat directory
 * on the include path this file is read by every <errno.h>: it adds macros
 * only.
 */
#ifndef BH_COMPAT_LINUX_ERRNO_H
#define BH_COMPAT_LINUX_ERRNO_H

#include_next <linux/errno.h>

#define ERESTARTSYS	      512
#define ERESTARTNOINTR	      513
#define ERESTARTNOHAND	      514
#define ENOIOCTLCMD	      515
#define ERESTART_RESTARTBLOCK 516
#define EPROBE_DEFER	      517
#define EOPENSTALE	      518
#define ENOPARAM	      519
#define EBADHANDLE	      521
#define ENOTSYNC	      522
#define EBADCOOKIE	      523
#define ENOTSUPP	      524
#define ETOOSMALL	      525
#define ESERVERFAULT	      526
#define EBADTYPE	      527
#define EJUKEBOX	      528
#define EIOCBQUEUED	      529
#define ERECALLCONFLICT	      530
#define ENOGRACE	      531

#endif
