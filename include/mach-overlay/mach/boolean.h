/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/boolean.h> -- mipc's Mach overlay: boolean_t, TRUE and FALSE.
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_BOOLEAN_H
#define MIPC_OVERLAY_MACH_BOOLEAN_H

#include <mipc/types.h>

#endif /* MIPC_OVERLAY_MACH_BOOLEAN_H */
