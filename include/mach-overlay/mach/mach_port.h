/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/mach_port.h> -- mipc's Mach overlay: the mach_port_* routines (MIG's
 * mach_port.defs).
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_MACH_PORT_H
#define MIPC_OVERLAY_MACH_MACH_PORT_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_MACH_PORT_H */
