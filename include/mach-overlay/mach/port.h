/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/port.h> -- mipc's Mach overlay: port names, rights, types and
 * attributes.
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_PORT_H
#define MIPC_OVERLAY_MACH_PORT_H

#include <mipc/types.h>

#endif /* MIPC_OVERLAY_MACH_PORT_H */
