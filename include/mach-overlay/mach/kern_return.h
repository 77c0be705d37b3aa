/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/kern_return.h> -- mipc's Mach overlay: kern_return_t and the KERN_*
 * codes.
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_KERN_RETURN_H
#define MIPC_OVERLAY_MACH_KERN_RETURN_H

#include <mipc/types.h>

#endif /* MIPC_OVERLAY_MACH_KERN_RETURN_H */
