/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/mach_traps.h> -- mipc's Mach overlay: mach_reply_port(), mach_msg().
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_MACH_TRAPS_H
#define MIPC_OVERLAY_MACH_MACH_TRAPS_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_MACH_TRAPS_H */
