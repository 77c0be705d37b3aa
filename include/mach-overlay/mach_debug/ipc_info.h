/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach_debug/ipc_info.h> -- mipc's Mach overlay: ipc_info_space_t,
 * ipc_info_name_t (mach_port_space_info).
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_DEBUG_IPC_INFO_H
#define MIPC_OVERLAY_MACH_DEBUG_IPC_INFO_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_DEBUG_IPC_INFO_H */
