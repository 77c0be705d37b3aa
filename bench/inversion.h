/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * inversion.h -- issue 13's priority-inversion benchmark (inversion.c),
 * run by the benchmark binary after Google Benchmark's cases (main.c).
 *
 * Owns:      its flags and its part of `make bench`'s output: a block
 *            under the summary table, the same block appended to the log,
 *            and an "inversion" member added to the summary JSON.
 * Choices:   Not a Google Benchmark case: one measurement is 2 s of a
 *            latency distribution (p50/p99/max), which the shim's
 *            "median time per iteration over repetitions" cannot carry,
 *            and repetitions would multiply its 10 s.
 */
#ifndef MIPC_BENCH_INVERSION_H
#define MIPC_BENCH_INVERSION_H

/*
 * Take our flags out of argv (before gb_main sees it) and note the
 * shared ones we follow:
 *   --mipc_inversion_seconds=S  measured time per case (default 2; 0 skips
 *                               the benchmark);
 *   --benchmark_filter=REGEX    (left in argv) a case runs when its name,
 *                               "inversion/<server>/<policy>/<W>us",
 *                               matches, as Google Benchmark's do;
 *   --mipc_summary=FILE, --mipc_log=FILE  (left in argv) where
 *                               bench_inversion_run() adds its results.
 */
void bench_inversion_flags(int *argc, char **argv);

/*
 * Run every selected case and report: stdout, the log, the summary JSON.
 * Returns 0, or 1 when an output file could not be written.
 */
int bench_inversion_run(void);

#endif /* MIPC_BENCH_INVERSION_H */
