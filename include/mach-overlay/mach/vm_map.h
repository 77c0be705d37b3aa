/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/vm_map.h> -- mipc's Mach overlay: vm_allocate(), vm_deallocate(),
 * vm_protect().
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_VM_MAP_H
#define MIPC_OVERLAY_MACH_VM_MAP_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_VM_MAP_H */
