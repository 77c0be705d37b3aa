/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.h -- what the libFuzzer harnesses share: which return codes are
 * Mach's (MACH.md 1.2; a code outside these sets is a finding), a guard
 * handler that lets fatal flavors pass, and the final leak check.
 */
#ifndef MIPC_FUZZ_HARNESS_H
#define MIPC_FUZZ_HARNESS_H

#include <mipc/mach.h>
#include <mipc/mipc.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

/*
 * Guard exceptions are expected of fuzzed calls (each is checked by its
 * return code); a handler keeps the fatal flavors from aborting.
 */
static inline void
harness_guard_ignore(mipc_space_t space, mach_port_name_t name, uint64_t flavor,
    uint64_t payload, void *ctx)
{
	(void)space;
	(void)name;
	(void)flavor;
	(void)payload;
	(void)ctx;
}

/*
 * After the input's spaces are destroyed: release the default space (the
 * arrays a query hands out are the caller's memory, and a thread with no
 * space of its own calls from the default one), wait for every deferred
 * free and abort, naming `who`, unless no space, port, set, message, OOL
 * byte or table is left.
 */
static inline void
harness_check_no_leaks(const char *who)
{
	struct mipc_stats st;

	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&st);
	if (st.spaces || st.ports || st.psets || st.messages || st.ool_bytes ||
	    st.tables) {
		fprintf(stderr,
		    "%s: leak: spaces %llu ports %llu psets %llu "
		    "messages %llu ool_bytes %llu tables %llu\n",
		    who, (unsigned long long)st.spaces,
		    (unsigned long long)st.ports, (unsigned long long)st.psets,
		    (unsigned long long)st.messages,
		    (unsigned long long)st.ool_bytes,
		    (unsigned long long)st.tables);
		abort();
	}
}

#endif /* MIPC_FUZZ_HARNESS_H */
