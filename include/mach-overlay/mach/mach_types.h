/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/mach_types.h> -- mipc's Mach overlay: task_t, ipc_space_t, vm_map_t
 * and the port types.
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_MACH_TYPES_H
#define MIPC_OVERLAY_MACH_MACH_TYPES_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_MACH_TYPES_H */
