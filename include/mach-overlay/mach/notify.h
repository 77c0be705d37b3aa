/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/notify.h> -- mipc's Mach overlay: notification messages.
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_NOTIFY_H
#define MIPC_OVERLAY_MACH_NOTIFY_H

#include <mipc/notify.h>

#endif /* MIPC_OVERLAY_MACH_NOTIFY_H */
