/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <servers/bootstrap.h> -- mipc's Mach overlay: the bootstrap name service
 * (bootstrap_check_in, bootstrap_look_up ...).
 * Maps the Mach header of this name onto mipc's (see ../README.md).
 */
#ifndef MIPC_OVERLAY_SERVERS_BOOTSTRAP_H
#define MIPC_OVERLAY_SERVERS_BOOTSTRAP_H

#include <mipc/mach.h>

#endif /* MIPC_OVERLAY_SERVERS_BOOTSTRAP_H */
