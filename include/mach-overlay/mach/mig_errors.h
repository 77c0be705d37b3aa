/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <mach/mig_errors.h> -- mipc's Mach overlay: the MIG_* codes and
 * mig_reply_error_t.
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_MACH_MIG_ERRORS_H
#define MIPC_OVERLAY_MACH_MIG_ERRORS_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_MACH_MIG_ERRORS_H */
