/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/mig.h> -- mipc's Mach overlay: MIG's run-time conventions (reply
 * ports).
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_MIG_H
#define MIPC_OVERLAY_MACH_MIG_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_MIG_H */
