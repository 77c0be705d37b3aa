/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * signal_reentry.c -- mipc called from a signal handler that interrupted a
 * mipc call on the same thread (issue 12, item 9).  mipc calls are not
 * async-signal-safe; what a re-entered call must never do is hang or fail
 * silently: it stops the process with a report that names the cause.
 *
 *   - test builds: the lock witness reports it, saying that mipc is not
 *     async-signal-safe, instead of a bare lock-order message;
 *   - with the witness silenced (as in a release build, where it is
 *     compiled out) the re-entered call finds a lock its own thread holds
 *     and reports the same instead of spinning for ever.
 *
 * The signal is raised from the yield hook (IPC_YIELD_LOCK) at every lock
 * the outer call takes, so the handler runs at a point where the outer
 * call holds a lock; the scenario runs in a forked child whose stderr the
 * test reads, bounded by alarm().  Includes core/internal.h for the yield
 * and witness hooks.
 */
#include "check_mipc.h"

#include "internal.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static mipc_space_t sp;
static mach_port_name_t recv_name;
static volatile sig_atomic_t armed, in_handler;

static void
reenter(int sig)
{
	mach_port_name_t n;

	(void)sig;
	in_handler = 1;
	/* The nested call: a space lock, as most calls take. */
	(void)mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n);
	in_handler = 0;
}

static void
raise_at_locks(enum ipc_yield_point point)
{
	if (point == IPC_YIELD_LOCK && armed && !in_handler)
		raise(SIGUSR1);
}

static void
witness_silent(const ipc_lock_t *held, const ipc_lock_t *taking)
{
	(void)held;
	(void)taking;
}

/*
 * In a child: arm the hook, make one call that takes a space lock and then
 * a port lock (a send right made from a receive right), and exit 0 if it
 * returns.  Its stderr goes to `fd`.
 */
static void
child(int fd, bool silence_witness)
{
	mach_port_name_t n;

	dup2(fd, 2);
	signal(SIGALRM, SIG_DFL); /* Check's handler kills the group */
	alarm(5);
	signal(SIGUSR1, reenter);
	if (mipc_space_create(&sp) != KERN_SUCCESS ||
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &recv_name) !=
	        KERN_SUCCESS)
		_exit(3);
	n = recv_name;
	if (silence_witness)
		ipc_witness_hook = witness_silent;
	ipc_yield_hook = raise_at_locks;
	armed = 1;
	(void)mipc_port_insert_right(
	    sp, n, sp, recv_name, MACH_MSG_TYPE_MAKE_SEND);
	armed = 0;
	_exit(0);
}

/* Run the child; its stderr in buf, its wait status returned. */
static int
run_child(bool silence_witness, char *buf, size_t cap)
{
	int p[2], status;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		child(p[1], silence_witness);
	}
	close(p[1]);
	while (got + 1 < cap && (r = read(p[0], buf + got, cap - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		;
	return status;
}

static void
expect_report(int status, const char *out)
{
	ck_assert_msg(!(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM),
	    "the re-entered call hung; stderr: %s", out);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	    "the re-entered call was not stopped (status %#x); stderr: %s",
	    status, out);
	ck_assert_msg(strstr(out, "signal handler") != NULL &&
	        strstr(out, "async-signal-safe") != NULL,
	    "the report does not name the cause: %s", out);
}

/*
 * The same inside the erasing hold of a flat destroy (right.c), which
 * takes the space lock by a try, and a nested receive on another port of
 * that space, which takes no lock: its lock-free reference
 * (ipc_port_reference_try_found, space.h) waits for erasing holds of the
 * space's lock to end (ipc_port_reference_settle) -- one its own thread
 * holds, which never ends.  Found, it is reported as a lock re-entered.
 */
static mach_port_name_t erase_other;

static void
reenter_receive(int sig)
{
	union {
		mach_msg_header_t h;
		char b[256];
	} m;

	(void)sig;
	in_handler = 1;
	memset(&m, 0, sizeof(m));
	/* Not a poll (a poll takes no reference): a wait of 1 ms. */
	(void)mipc_msg(sp, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	    erase_other, 1, MACH_PORT_NULL);
	in_handler = 0;
}

static void
raise_in_erasing_hold(enum ipc_yield_point point)
{
	/* The flat destroy's first DESTROY point is inside its hold. */
	if (point == IPC_YIELD_DESTROY && armed && !in_handler) {
		armed = 0;
		raise(SIGUSR1);
	}
}

static void
child_erasing(int fd)
{
	mach_port_name_t victim;
	uint64_t flat;

	dup2(fd, 2);
	signal(SIGALRM, SIG_DFL); /* Check's handler kills the group */
	alarm(5);
	signal(SIGUSR1, reenter_receive);
	if (mipc_space_create(&sp) != KERN_SUCCESS ||
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &victim) !=
	        KERN_SUCCESS ||
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &erase_other) !=
	        KERN_SUCCESS)
		_exit(3);
	flat = ipc_port_flat_ops;
	ipc_yield_hook = raise_in_erasing_hold;
	armed = 1;
	(void)mipc_port_destroy(sp, victim);
	ipc_yield_hook = NULL;
	/* Not the flat path, or no hold reached: the case tests nothing. */
	_exit(ipc_port_flat_ops == flat || armed ? 4 : 0);
}

START_TEST(signal_reentry_in_erasing_hold_reported_not_hung)
{
	char out[4096];
	size_t got = 0;
	ssize_t r;
	int p[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		child_erasing(p[1]);
	}
	close(p[1]);
	while (got + 1 < sizeof(out) &&
	    (r = read(p[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		;
	expect_report(status, out);
}
END_TEST

START_TEST(signal_reentry_witness_report_names_async_signal_safety)
{
	char out[4096];
	int status = run_child(false, out, sizeof(out));

	expect_report(status, out);
}
END_TEST

START_TEST(signal_reentry_self_deadlock_reported_not_hung)
{
	char out[4096];
	int status = run_child(true, out, sizeof(out));

	expect_report(status, out);
}
END_TEST

static Suite *
signal_reentry_suite(void)
{
	Suite *s = suite_create("signal_reentry");
	TCase *tc = mipc_tcase("reentry");

	tcase_set_timeout(tc, 30);
	tcase_add_test(
	    tc, signal_reentry_witness_report_names_async_signal_safety);
	tcase_add_test(tc, signal_reentry_self_deadlock_reported_not_hung);
	tcase_add_test(tc, signal_reentry_in_erasing_hold_reported_not_hung);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(signal_reentry_suite)
