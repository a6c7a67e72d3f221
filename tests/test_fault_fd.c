/* SPDX-License-Identifier: MIT */
/*
 * Fault injection sweep over BH_FAULT_FD (tests/fault_scenario.h,
 * docs/RELIABILITY.md): each failure is a clean error return or a
 * documented fallback, never a crash, a hang, a leak or lost work
 * (SPEC U6: shutdown runs or reports everything; U9: errors, not aborts).
 */
#include "fault_scenario.h"

/* SPEC U6, SPEC U9, SPEC F14 */
FS_SWEEP_MAIN(BH_FAULT_FD, "fd")
