/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * model_ops.h -- bytes to a program of Mach port operations, run on the
 * engine and on the reference model (model.h) in lock step.  Shared by
 * fuzz/fuzz_ops.c (libFuzzer) and tests/model/engine_vs_model.c (Check,
 * fixed seeds).
 *
 * A program works on MOPS_NSPACES spaces and, per space, MOPS_NSLOTS
 * "slots" holding names the engine returned (or user-chosen ones); the
 * bytes pick operations, slots, special names (NULL, DEAD, stale, never
 * allocated, malformed) and arguments.  After every step the return code
 * and the observable state are compared (see model_ops.c; by default all
 * of it, or only what the step touched between full comparisons every
 * n-th step, mops_set_full_every); at the end the whole state is
 * compared, every space is destroyed and the engine's live-object
 * counters must be back to zero.
 */
#ifndef MIPC_TESTS_MODEL_OPS_H
#define MIPC_TESTS_MODEL_OPS_H

#include <stddef.h>
#include <stdint.h>

#define MOPS_NSPACES   3
#define MOPS_NSLOTS    16
#define MOPS_MAX_STEPS 192
#define MOPS_RECORD    32 /* bytes per step */

struct mops_stats {
	unsigned long runs, steps;
	unsigned long sends, sends_ok, receives, receives_ok;
	unsigned long guard_exceptions;
};

/*
 * Run the program `data`.  Returns 0 when engine and model agreed at
 * every step and nothing leaked; otherwise -1 with a description of the
 * diverging step (and the steps before it) in err.  Not reentrant: uses
 * the process-wide guard handler and the calling thread's current space.
 */
int mops_run(const uint8_t *data, size_t size, char *err, size_t errlen);

/*
 * A structured random program for seed: a prologue that gives every space
 * ports with send rights and a port set, then operations weighted toward
 * messages.  Fills at most cap bytes (whole records); returns the size.
 */
size_t mops_generate(uint64_t seed, uint8_t *out, size_t cap);

/*
 * Compare the whole state after every n-th step of a program and only
 * what the step touched after the others (model_ops.c, "Comparison");
 * the end of a program is always compared in full.  0 or 1, the default:
 * the whole state after every step.  MIPC_FUZZ_FULL_EVERY in the
 * environment, when set, overrides n.
 */
void mops_set_full_every(unsigned n);

/* Counters accumulated over every mops_run of the process. */
void mops_get_stats(struct mops_stats *out);

#endif /* MIPC_TESTS_MODEL_OPS_H */
