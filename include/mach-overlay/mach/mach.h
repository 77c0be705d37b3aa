/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/mach.h> -- mipc's Mach overlay: what a Mach program includes: ports,
 * messages, notifications, tasks, vm_allocate, MIG conventions, error strings.
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_MACH_H
#define MIPC_OVERLAY_MACH_MACH_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_MACH_H */
