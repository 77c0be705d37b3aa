/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c -- the benchmark binary: register every bench file's cases, then
 * declare the summary table's rows (rows.c), and hand over to Google
 * Benchmark (gbench.cc), which runs the cases and prints the table; then
 * the priority-inversion benchmark (inversion.c) adds its block.
 *
 * --mipc_isolate (BENCH_ISOLATE=1, make bench's default as root): run in a
 * session of our own whose autogroup has nice -20.  On the shared 2-CPU
 * VM other sessions' builds otherwise preempt the pinned threads of the
 * cross-core cases, and a pair of spinning threads loses a whole time
 * slice each time one of them is descheduled: RPC spinning measured
 * 12.9-57 us a round trip with the load of two compilers, 1.9-2.0 us
 * isolated, the same minutes (issue 15's bimodal rows).  Every case, mipc
 * or peer, runs under the same isolation, so the comparison stays fair;
 * the table says whether it took effect.  The parent stays in the
 * caller's session only to wait and to pass Ctrl-C (SIGINT, SIGTERM,
 * SIGHUP) on to the run, which has no controlling terminal.
 */
#include "gbench.h"
#include "inversion.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t isolated_child;

static void
pass_on(int sig)
{
	if (isolated_child > 0)
		kill(isolated_child, sig);
}

/* Set our new session's autogroup to nice -20; false when it cannot be. */
static bool
autogroup_nice_min(void)
{
	FILE *f = fopen("/proc/self/autogroup", "w");
	bool ok;

	if (f == NULL)
		return false;
	ok = fputs("-20", f) >= 0;
	ok = fclose(f) == 0 && ok;
	return ok;
}

/*
 * Take --mipc_isolate out of argv; with it, fork, and return (in the
 * child, the run) a note for the table.  The parent only waits and exits
 * with the child's status.
 */
static const char *
isolate(int *argc, char **argv)
{
	bool want = false;
	int i, j = 1, status;
	pid_t pid;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--mipc_isolate") == 0)
			want = true;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	if (!want)
		return "not isolated: other processes' load reaches the pinned "
		       "threads (BENCH_ISOLATE=1 as root isolates the run)";
	fflush(NULL);
	if ((pid = fork()) < 0)
		return "not isolated: fork failed";
	if (pid == 0) {
		if (setsid() < 0 || !autogroup_nice_min())
			return "not isolated: no session and autogroup of our "
			       "own at nice -20 (root, "
			       "CONFIG_SCHED_AUTOGROUP)";
		return "isolated: the run had a session whose autogroup has "
		       "nice -20 (BENCH_ISOLATE=1), so other sessions' load "
		       "barely reached its CPUs";
	}
	isolated_child = pid;
	/* A signal the caller ignores (a background job's SIGINT) stays so. */
	for (i = 0; i < 3; i++) {
		static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
		struct sigaction old;

		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			signal(sigs[i], pass_on);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			exit(1);
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int
main(int argc, char **argv)
{
	const char *iso = isolate(&argc, argv);
	int rc;

	bench_inversion_flags(&argc, argv);
	bench_base_register();
	bench_rights_register();
	bench_msg_register();
	bench_peers_register();
	bench_notify_register();
	bench_mq_register();
	bench_rows_register();
	gb_note(iso);
	rc = gb_main(argc, argv);
	if (rc == 0)
		rc = bench_inversion_run();
	return rc;
}
