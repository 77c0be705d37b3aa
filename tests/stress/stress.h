/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stress.h -- the shared template of the bounded multi-threaded tests:
 * pinning, a start barrier, and the bound (iterations, scaled down under
 * sanitizers and up by MIPC_STRESS_SECONDS in `make stress`); a port's
 * ring made before the threads start (stress_ring_warm).
 */
#ifndef MIPC_TESTS_STRESS_H
#define MIPC_TESTS_STRESS_H

#include "check_mipc.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

static inline int
stress_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/* Pin the calling thread to cpu modulo the online CPUs. */
static inline void
stress_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % stress_ncpu(), &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

/* Iterations: `base`, times MIPC_STRESS_SECONDS/2 when set (make stress). */
static inline long
stress_iters(long base)
{
	const char *s = getenv("MIPC_STRESS_SECONDS");
	long secs = s != NULL ? atol(s) : 0;

	return secs > 2 ? base * (secs / 2) : base;
}

/* Seconds a stress tcase may take before Check kills it. */
static inline int
stress_timeout(int base)
{
	const char *s = getenv("MIPC_STRESS_SECONDS");
	long secs = s != NULL ? atol(s) : 0;

	return secs > 2 ? (int)(base * (secs / 2)) : base;
}

/*
 * One message through rp's port (sp holds its receive and a send right)
 * and back, before the threads start: the first message's slow path makes
 * the port's ring, which a test then reads or sizes.
 */
static inline void
stress_ring_warm(mipc_space_t sp, mach_port_name_t rp)
{
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} b;
	mach_msg_header_t m = { .msgh_bits =
		                    MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
		.msgh_remote_port = rp };

	MIPC_REQUIRE(mipc_msg(sp, &m, MACH_SEND_MSG, sizeof(m), 0,
	                 MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
	    "warm-up send");
	MIPC_REQUIRE(mipc_msg(sp, &b.h, MACH_RCV_MSG, 0, sizeof(b), rp, 0,
	                 MACH_PORT_NULL) == MACH_MSG_SUCCESS,
	    "warm-up receive");
}

#endif /* MIPC_TESTS_STRESS_H */
