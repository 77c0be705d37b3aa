/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * types.h -- Mach's user-space scalar types and constants, with Mach's
 * widths and numeric values, and the export marker of the mipc API.
 */
#ifndef MIPC_TYPES_H
#define MIPC_TYPES_H

#include <stdint.h>

/* Marks the library's exported API; everything else is hidden. */
#ifndef MIPC_API
#define MIPC_API __attribute__((visibility("default")))
#endif

typedef int kern_return_t;

#define KERN_SUCCESS 0

#endif /* MIPC_TYPES_H */
