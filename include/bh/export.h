/* SPDX-License-Identifier: MIT */
/*
 * Symbol visibility. The library is built with -fvisibility=hidden; only
 * declarations marked BH_API are exported from libbh.so (and listed in the
 * version script src/libbh.map). Internal helpers shared between source files
 * use the bh__ prefix and stay hidden.
 */
#ifndef BH_EXPORT_H
#define BH_EXPORT_H

#if defined(BH_BUILDING_LIBRARY)
#define BH_API __attribute__((visibility("default")))
#else
#define BH_API
#endif

#endif
