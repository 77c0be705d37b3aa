/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/message.h> -- mipc's Mach overlay: message layout, descriptors,
 * trailers, options and mach_msg().
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_MESSAGE_H
#define MIPC_OVERLAY_MACH_MESSAGE_H

#include <mipc/message.h>
#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_MESSAGE_H */
