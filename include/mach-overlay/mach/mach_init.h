/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/mach_init.h> -- mipc's Mach overlay: mach_task_self(),
 * mach_host_self().
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_MACH_INIT_H
#define MIPC_OVERLAY_MACH_MACH_INIT_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_MACH_INIT_H */
