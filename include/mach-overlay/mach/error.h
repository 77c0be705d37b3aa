/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/error.h> -- mipc's Mach overlay: mach_error_t and the err_*
 * composition macros.
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_ERROR_H
#define MIPC_OVERLAY_MACH_ERROR_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_ERROR_H */
