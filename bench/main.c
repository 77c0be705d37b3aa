/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c -- the benchmark binary: register every bench file's cases, then
 * declare the summary table's rows (rows.c), and hand over to Google
 * Benchmark (gbench.cc), which runs the cases and prints the table; then
 * the priority-inversion benchmark (inversion.c) adds its block.
 */
#include "gbench.h"
#include "inversion.h"

int
main(int argc, char **argv)
{
	int rc;

	bench_inversion_flags(&argc, argv);
	bench_base_register();
	bench_rights_register();
	bench_msg_register();
	bench_peers_register();
	bench_notify_register();
	bench_mq_register();
	bench_rows_register();
	rc = gb_main(argc, argv);
	if (rc == 0)
		rc = bench_inversion_run();
	return rc;
}
