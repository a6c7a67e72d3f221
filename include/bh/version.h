/* SPDX-License-Identifier: MIT */
#ifndef BH_VERSION_H
#define BH_VERSION_H

#include "export.h"

#define BH_VERSION_MAJOR  0
#define BH_VERSION_MINOR  1
#define BH_VERSION_PATCH  0
#define BH_VERSION_STRING "0.1.0"

/* The version of the library actually loaded, e.g. "0.1.0". */
BH_API const char *bh_version(void);

#endif
