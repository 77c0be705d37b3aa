/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/ndr.h> -- mipc's Mach overlay: NDR_record_t and NDR_record.
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_NDR_H
#define MIPC_OVERLAY_MACH_NDR_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_NDR_H */
