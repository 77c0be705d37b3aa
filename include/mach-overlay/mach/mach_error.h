/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/mach_error.h> -- mipc's Mach overlay: mach_error_string(),
 * mach_error(), mach_error_type().
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_MACH_ERROR_H
#define MIPC_OVERLAY_MACH_MACH_ERROR_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_MACH_ERROR_H */
