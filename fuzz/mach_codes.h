/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mach_codes.h -- which return codes are Mach's (MACH.md 1.2), for the
 * harnesses: a code outside these sets is a finding.
 */
#ifndef MIPC_FUZZ_MACH_CODES_H
#define MIPC_FUZZ_MACH_CODES_H

#include <mipc/mach.h>

#include <stdbool.h>
#include <stdint.h>

/* A mach_msg code, the space bits (MACH_MSG_MASK) aside. */
static inline bool
mach_msg_code_ok(mach_msg_return_t mr)
{
	uint32_t c = (uint32_t)mr & ~(uint32_t)MACH_MSG_MASK;

	if (mr == MACH_MSG_SUCCESS)
		return true;
	if (c >= MACH_SEND_IN_PROGRESS && c <= MACH_SEND_AUX_TOO_LARGE &&
	    c != 0x10000006 && c != 0x10000014)
		return true;
	return c >= MACH_RCV_IN_PROGRESS && c <= MACH_RCV_INVALID_ARGUMENTS &&
	    c != 0x10004010;
}

/* A kern_return_t of a mach_port_* call. */
static inline bool
kern_code_ok(kern_return_t kr)
{
	return kr >= KERN_SUCCESS && kr <= KERN_NOT_FOUND;
}

#endif /* MIPC_FUZZ_MACH_CODES_H */
