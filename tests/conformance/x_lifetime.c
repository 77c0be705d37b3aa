/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x_lifetime.c -- library level (MACH.md X): what a space handle is and
 * how long it is honoured, reclamation without the user's help, and what a
 * forked child gets (issue 12, items 7, 12 and 13).
 *
 * A destroyed space's handle is refused for ever (KERN_INVALID_TASK, W2),
 * even after mipc_quiesce() and after other spaces were created: it never
 * acts on another space.  A value that never was a handle is refused as
 * NULL is (X1), never dereferenced.  Destroyed spaces are reclaimed at safe points,
 * so create/destroy cycles leave the live count bounded with no
 * mipc_quiesce().  A forked child starts with a fresh, empty set of
 * spaces, as a Mach task forked by XNU gets a new IPC space: its parent's
 * handles are refused there, none of its services, descriptors or
 * counters are the child's, its mach_task_self() names the fresh default
 * space's own task port and none of the parent's task names is a task
 * there, and the library works.
 *
 * Public headers only.
 */
#include "conformance.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- item 12: stale handles ---------------------------------------------- */

START_TEST(api_stale_handle_refused_never_aliases_next_space)
{
	int round;

	for (round = 0; round < 20; round++) {
		mipc_space_t old = space_new(), fresh;
		mach_port_name_t n = MACH_PORT_NULL;

		recv_new(old);
		KR_OK(mipc_space_destroy(old));
		mipc_quiesce();
		fresh = space_new();
		/* Whatever memory the new space took, the old handle is
		 * refused and nothing lands in the new space. */
		KR_EQ(mipc_port_allocate(old, MACH_PORT_RIGHT_RECEIVE, &n),
		    KERN_INVALID_TASK);
		ck_assert_uint_eq(name_count(fresh), 0);
		KR_EQ(mipc_space_destroy(old), KERN_INVALID_TASK);
		ck_assert_uint_eq(name_count(fresh), 0);
		KR_OK(mipc_space_destroy(fresh));
	}
}
END_TEST

/*
 * Every kind of call through a stale handle gets a destroyed space's code,
 * however many spaces were made and destroyed since (the handle is never
 * reused).
 */
START_TEST(api_stale_handles_refused_forever)
{
	enum { STALE = 8, CYCLES = 2000, LIVE = 8 };
	mipc_space_t stale[STALE], live[LIVE], s;
	mach_port_name_t lr[LIVE];
	int i, k;

	for (i = 0; i < STALE; i++) {
		stale[i] = space_new();
		recv_new(stale[i]);
		KR_OK(mipc_space_destroy(stale[i]));
	}
	for (i = 0; i < CYCLES; i++) {
		KR_OK(mipc_space_create(&s));
		KR_OK(mipc_space_destroy(s));
		if (i % 256 == 0)
			mipc_quiesce();
	}
	mipc_quiesce();
	for (k = 0; k < LIVE; k++) {
		live[k] = space_new();
		lr[k] = recv_new(live[k]);
	}
	for (i = 0; i < STALE; i++) {
		mach_port_name_t n = MACH_PORT_NULL;
		mach_port_type_t type;
		mach_msg_header_t h;

		KR_EQ(mipc_port_allocate(stale[i], MACH_PORT_RIGHT_RECEIVE, &n),
		    KERN_INVALID_TASK);
		KR_EQ(mipc_port_type(stale[i], lr[i % LIVE], &type),
		    KERN_INVALID_TASK);
		KR_EQ(mipc_port_mod_refs(
		          stale[i], lr[i % LIVE], MACH_PORT_RIGHT_RECEIVE, -1),
		    KERN_INVALID_TASK);
		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
		h.msgh_size = sizeof(h);
		h.msgh_remote_port = lr[i % LIVE];
		KR_EQ(mipc_msg(stale[i], &h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		          sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_SEND_INVALID_DEST);
		KR_EQ(mipc_msg(stale[i], &h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		          sizeof(h), lr[i % LIVE], 0, MACH_PORT_NULL),
		    MACH_RCV_INVALID_NAME);
		KR_EQ(mipc_space_destroy(stale[i]), KERN_INVALID_TASK);
	}
	for (k = 0; k < LIVE; k++) {
		/* Untouched: one name, the receive right, nothing queued. */
		ck_assert_uint_eq(name_count(live[k]), 1);
		TYPE_EQ(live[k], lr[k], MACH_PORT_TYPE_RECEIVE);
		ck_assert_int_eq(status_of(live[k], lr[k]).mps_msgcount, 0);
		KR_OK(mipc_space_destroy(live[k]));
	}
}
END_TEST

/*
 * A value that was never a handle -- an address, a small integer, all
 * ones -- is refused as NULL is (MACH.md X1), and never dereferenced.
 */
START_TEST(api_garbage_handle_refused_never_dereferenced)
{
	int local;
	mipc_space_t live = space_new();
	mipc_space_t bad[] = { (mipc_space_t)(uintptr_t)1,
		(mipc_space_t)(void *)&local, (mipc_space_t)(uintptr_t)-1,
		(mipc_space_t)(void *)bad };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mach_port_name_t n = MACH_PORT_NULL;
		mach_msg_header_t h;
		mipc_space_t prev;

		KR_EQ(mipc_port_allocate(bad[i], MACH_PORT_RIGHT_RECEIVE, &n),
		    MACH_SEND_INVALID_DEST);
		KR_EQ(mipc_port_deallocate(bad[i], 0x103),
		    MACH_SEND_INVALID_DEST);
		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
		h.msgh_size = sizeof(h);
		h.msgh_remote_port = 0x103;
		KR_EQ(mipc_msg(bad[i], &h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		          sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_SEND_INVALID_DEST);
		KR_EQ(mipc_msg(bad[i], &h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		          sizeof(h), 0x103, 0, MACH_PORT_NULL),
		    MACH_RCV_INVALID_NAME);
		KR_EQ(mipc_space_destroy(bad[i]), KERN_INVALID_ARGUMENT);
		/* As a thread's current space too. */
		prev = mipc_thread_set_space(bad[i]);
		KR_EQ(mach_port_allocate(
		          mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n),
		    MACH_SEND_INVALID_DEST);
		mipc_thread_set_space(prev);
	}
	ck_assert_uint_eq(name_count(live), 0);
	KR_OK(mipc_space_destroy(live));
}
END_TEST

/* ---- item 13: reclamation without mipc_quiesce() -------------------------- */

/*
 * What reclamation at safe points may keep waiting for a grace period: far
 * below the cycles run, so a space left for mipc_quiesce() is caught.
 */
#define LIVE_SLACK 256

static struct mipc_stats
stats_peek(void)
{
	struct mipc_stats s;

	mipc_get_stats(&s);
	return s;
}

START_TEST(api_destroyed_spaces_reclaimed_without_quiesce)
{
	enum { CYCLES = 20000 };
	struct mipc_stats base, now;
	uint64_t max_spaces = 0, max_tables = 0;
	int i;

	(void)mach_task_self();
	mipc_quiesce();
	base = stats_peek();
	for (i = 0; i < CYCLES; i++) {
		mipc_space_t s;
		mach_port_name_t r;

		MIPC_REQUIRE(mipc_space_create(&s) == KERN_SUCCESS, "create");
		/* A right, so each space has a table and a port to free. */
		MIPC_REQUIRE(mipc_port_allocate(s, MACH_PORT_RIGHT_RECEIVE,
		                 &r) == KERN_SUCCESS,
		    "allocate");
		MIPC_REQUIRE(mipc_space_destroy(s) == KERN_SUCCESS, "destroy");
		now = stats_peek();
		if (now.spaces > max_spaces)
			max_spaces = now.spaces;
		if (now.tables > max_tables)
			max_tables = now.tables;
		MIPC_REQUIRE(now.spaces <= base.spaces + LIVE_SLACK,
		    "%llu spaces live after %d create/destroy cycles with no "
		    "mipc_quiesce()",
		    (unsigned long long)now.spaces, i + 1);
		MIPC_REQUIRE(now.tables <= base.tables + LIVE_SLACK,
		    "%llu tables live after %d cycles",
		    (unsigned long long)now.tables, i + 1);
		MIPC_REQUIRE(now.ports <= base.ports + LIVE_SLACK,
		    "%llu ports live after %d cycles",
		    (unsigned long long)now.ports, i + 1);
	}
	ck_assert_uint_le(max_spaces, base.spaces + LIVE_SLACK);
	ck_assert_uint_le(max_tables, base.tables + LIVE_SLACK);
}
END_TEST

/*
 * A space destroyed while it is some thread's current space is reclaimed
 * once that thread switches away, again with no mipc_quiesce().
 */
START_TEST(api_current_space_reclaimed_after_switch_without_quiesce)
{
	enum { CYCLES = 5000 };
	struct mipc_stats base, now;
	int i;

	(void)mach_task_self();
	mipc_quiesce();
	base = stats_peek();
	for (i = 0; i < CYCLES; i++) {
		mipc_space_t s, prev;

		MIPC_REQUIRE(mipc_space_create(&s) == KERN_SUCCESS, "create");
		prev = mipc_thread_set_space(s);
		MIPC_REQUIRE(mipc_space_destroy(s) == KERN_SUCCESS, "destroy");
		MIPC_REQUIRE(mipc_thread_set_space(prev) == s, "switch back");
		now = stats_peek();
		MIPC_REQUIRE(now.spaces <= base.spaces + LIVE_SLACK,
		    "%llu spaces live after %d cycles with no mipc_quiesce()",
		    (unsigned long long)now.spaces, i + 1);
	}
}
END_TEST

/*
 * The last reference on a destroyed space dropped by a thread's last
 * deferred free -- here a workloop's, which holds its space, freed by the
 * thread's exit -- retires the space's slot from inside that exit.  Found
 * by msg_server's servicer test after the merge with the workloop server
 * loops: ck_epoch_unregister emptied the exiting thread's pending frees,
 * the slot's retirement among them, and the space was counted live for
 * ever.  The teardown's count (spaces 0 after mipc_quiesce) is the check.
 */
static void *
last_reference_then_exit(void *arg)
{
	mipc_space_t s;
	mipc_workloop_t wl;
	mach_port_name_t r = MACH_PORT_NULL;

	(void)arg;
	if (mipc_space_create(&s) != KERN_SUCCESS ||
	    mipc_port_allocate(s, MACH_PORT_RIGHT_RECEIVE, &r) !=
	        KERN_SUCCESS ||
	    mipc_workloop_create(s, 0, &wl) != KERN_SUCCESS)
		return (void *)1;
	/* The workloop holds the space past its destruction ... */
	if (mipc_space_destroy(s) != KERN_SUCCESS)
		return (void *)2;
	/* ... and its free, run by this thread's exit, drops the last. */
	if (mipc_workloop_destroy(wl) != KERN_SUCCESS)
		return (void *)3;
	return NULL;
}

START_TEST(api_space_reclaimed_when_its_last_reference_goes_at_thread_exit)
{
	struct mipc_stats st;
	pthread_t t;
	void *rv;
	int i;

	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(
		    pthread_create(&t, NULL, last_reference_then_exit, NULL),
		    0);
		ck_assert_int_eq(pthread_join(t, &rv), 0);
		ck_assert_ptr_null(rv);
	}
	mipc_quiesce();
	memset(&st, 0, sizeof(st));
	mipc_get_stats(&st);
	ck_assert_uint_eq(st.spaces, 0);
	ck_assert_uint_eq(st.epoch_pending, 0);
}
END_TEST

/* ---- item 7: fork --------------------------------------------------------- */

/* Exit codes of the child: which check failed. */
enum {
	CHILD_OK = 0,
	CHILD_PARENT_SPACE_USABLE = 10,
	CHILD_PARENT_DEFAULT_USABLE,
	CHILD_STATS_NOT_FRESH,
	CHILD_TASK_SELF_NOT_EMPTY,
	CHILD_CALL_FAILED,
	CHILD_MESSAGE_LOST,
	CHILD_LEAK,
};

#define CHILD_CHECK(cond, code)      \
	do {                         \
		if (!(cond))         \
			_exit(code); \
	} while (0)

/*
 * What a child does with the library: refuses the parent's handles, finds
 * nothing live, and runs a full life cycle (spaces, rights, a message, the
 * default space, quiescence) that ends with every count at zero.
 */
static void
fork_child_body(mipc_space_t parent, mipc_space_t parent_default,
    mach_port_name_t parent_port)
{
	mipc_space_t s;
	mach_port_name_t r = MACH_PORT_NULL, n = MACH_PORT_NULL;
	mach_port_type_t type;
	mach_msg_header_t m[4];
	struct mipc_stats st;

	/* Check's own SIGALRM handler would kill the whole group. */
	signal(SIGALRM, SIG_DFL);
	alarm(10); /* a hang fails the test, never CI */
	CHILD_CHECK(
	    mipc_port_type(parent, parent_port, &type) == KERN_INVALID_TASK,
	    CHILD_PARENT_SPACE_USABLE);
	CHILD_CHECK(mipc_port_allocate(parent, MACH_PORT_RIGHT_RECEIVE, &r) ==
	        KERN_INVALID_TASK,
	    CHILD_PARENT_SPACE_USABLE);
	CHILD_CHECK(mipc_port_allocate(parent_default, MACH_PORT_RIGHT_RECEIVE,
	                &r) == KERN_INVALID_TASK,
	    CHILD_PARENT_DEFAULT_USABLE);
	mipc_get_stats(&st);
	CHILD_CHECK(st.spaces == 0 && st.ports == 0 && st.messages == 0,
	    CHILD_STATS_NOT_FRESH);

	/* The default space is the child's own, and empty. */
	CHILD_CHECK(
	    mipc_thread_space() != parent_default, CHILD_TASK_SELF_NOT_EMPTY);
	{
		mach_port_name_array_t names;
		mach_port_type_array_t types;
		mach_msg_type_number_t nc, tc;

		CHILD_CHECK(mipc_port_names(mipc_thread_space(), &names, &nc,
		                &types, &tc) == KERN_SUCCESS,
		    CHILD_CALL_FAILED);
		CHILD_CHECK(nc == 0, CHILD_TASK_SELF_NOT_EMPTY);
	}

	/* A life cycle. */
	CHILD_CHECK(mipc_space_create(&s) == KERN_SUCCESS, CHILD_CALL_FAILED);
	CHILD_CHECK(
	    mipc_port_allocate(s, MACH_PORT_RIGHT_RECEIVE, &r) == KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	CHILD_CHECK(mipc_port_insert_right(mipc_thread_space(), r, s, r,
	                MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	n = r;
	memset(m, 0, sizeof(m));
	m[0].msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m[0].msgh_size = sizeof(m[0]);
	m[0].msgh_remote_port = n;
	m[0].msgh_id = 4242;
	CHILD_CHECK(
	    mach_msg(&m[0], MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m[0]), 0,
	        MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
	    CHILD_CALL_FAILED);
	memset(m, 0, sizeof(m));
	CHILD_CHECK(mipc_msg(s, &m[0], MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                sizeof(m), r, 1000, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
	    CHILD_MESSAGE_LOST);
	CHILD_CHECK(m[0].msgh_id == 4242, CHILD_MESSAGE_LOST);
	CHILD_CHECK(mipc_space_destroy(s) == KERN_SUCCESS, CHILD_CALL_FAILED);
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&st);
	CHILD_CHECK(st.spaces == 0 && st.ports == 0 && st.messages == 0 &&
	        st.tables == 0 && st.epoch_pending == 0,
	    CHILD_LEAK);
	_exit(CHILD_OK);
}

/* Wait for child `pid`; its exit code, or 128 + signal. */
static int
child_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

START_TEST(api_fork_child_starts_with_fresh_empty_library)
{
	mipc_space_t s = space_new(), def = mipc_thread_space();
	mach_port_name_t r = recv_new(s), dr = recv_new(def);
	mach_port_name_t snd = conf_give_send(def, s, r, 1);
	pid_t pid;
	int code;

	/* Something queued, so the parent's state is not trivial. */
	{
		mach_msg_header_t h;

		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		h.msgh_size = sizeof(h);
		h.msgh_remote_port = snd;
		KR_EQ(mach_msg(&h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(h),
		          0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		fork_child_body(s, def, r);
	code = child_status(pid);
	ck_assert_msg(code == CHILD_OK,
	    "child: %d (10 parent space usable, 11 parent default space "
	    "usable, 12 counts not fresh, 13 task self not fresh, 14 a call "
	    "failed, 15 message lost, 16 leak, 142 hung)",
	    code);
	/* The parent is untouched. */
	TYPE_EQ(s, r, MACH_PORT_TYPE_RECEIVE);
	ck_assert_int_eq(status_of(s, r).mps_msgcount, 1);
	TYPE_EQ(def, dr, MACH_PORT_TYPE_RECEIVE);
	KR_OK(mipc_space_destroy(s));
}
END_TEST

/*
 * Task ports across fork: the child's mach_task_self() names its own fresh
 * default space's task port (a new kernel object, the only name in that
 * space), none of the parent's task names (its own self name, names for
 * other spaces' task ports) is a task in the child, a parent's space
 * handle gives no task port there, and the child's host port is its own.
 * Its mach_task_self() is not the parent's answer remembered (the forking
 * thread keeps its other state).
 */
enum { PARENT_TASKS = 4 };

static void
fork_child_task_ports_body(mipc_space_t parent_space,
    const mach_port_name_t *parent_names, unsigned n_names)
{
	mach_port_t self, again, host, tname = MACH_PORT_NULL;
	mach_port_name_t r = MACH_PORT_NULL, r2 = MACH_PORT_NULL;
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t nc, tc;
	mach_vm_address_t addr;
	mach_port_type_t type;
	natural_t kotype;
	struct mipc_stats st;
	unsigned i, foreign = 0;

	signal(SIGALRM, SIG_DFL);
	alarm(10);
	mipc_get_stats(&st);
	/* No task port (nor any port) of the parent is counted here. */
	CHILD_CHECK(st.spaces == 0 && st.ports == 0, CHILD_STATS_NOT_FRESH);
	self = mach_task_self();
	CHILD_CHECK(MACH_PORT_VALID(self), CHILD_CALL_FAILED);
	mipc_get_stats(&st);
	CHILD_CHECK(st.spaces == 1 && st.ports == 1, CHILD_TASK_SELF_NOT_EMPTY);
	/* A task port: a kernel object, the fresh space's only name. */
	CHILD_CHECK(
	    mach_port_kobject(self, self, &kotype, &addr) == KERN_SUCCESS &&
	        kotype == 2 /* IKOT_TASK_CONTROL */,
	    CHILD_TASK_SELF_NOT_EMPTY);
	CHILD_CHECK(mipc_port_names(mipc_thread_space(), &names, &nc, &types,
	                &tc) == KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	CHILD_CHECK(
	    nc == 1 && names[0] == self && types[0] == MACH_PORT_TYPE_SEND,
	    CHILD_TASK_SELF_NOT_EMPTY);
	CHILD_CHECK(vm_deallocate(self, (vm_address_t)names,
	                nc * sizeof(*names)) == KERN_SUCCESS &&
	        vm_deallocate(self, (vm_address_t)types, tc * sizeof(*types)) ==
	            KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	/* It acts on the child's default space. */
	CHILD_CHECK(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &r) ==
	            KERN_SUCCESS &&
	        mipc_port_type(mipc_thread_space(), r, &type) == KERN_SUCCESS &&
	        type == MACH_PORT_TYPE_RECEIVE,
	    CHILD_CALL_FAILED);
	/* The parent's task names: nothing here, so not a task (X1). */
	for (i = 0; i < n_names; i++) {
		if (parent_names[i] == self || parent_names[i] == r)
			continue; /* the child's own name, by chance */
		foreign++;
		CHILD_CHECK(mach_port_type(self, parent_names[i], &type) ==
		        KERN_INVALID_NAME,
		    CHILD_PARENT_SPACE_USABLE);
		CHILD_CHECK(
		    mach_port_allocate(parent_names[i], MACH_PORT_RIGHT_RECEIVE,
		        &r2) == MACH_SEND_INVALID_DEST,
		    CHILD_PARENT_SPACE_USABLE);
	}
	CHILD_CHECK(foreign > 0, CHILD_CALL_FAILED);
	/* A parent's handle gives no task port in the child. */
	CHILD_CHECK(
	    mipc_space_task_port(parent_space, &tname) == KERN_INVALID_TASK,
	    CHILD_PARENT_SPACE_USABLE);
	/* The host port is the child's own, made now. */
	host = mach_host_self();
	CHILD_CHECK(MACH_PORT_VALID(host) &&
	        mach_port_kobject(self, host, &kotype, &addr) == KERN_SUCCESS &&
	        kotype == 3 /* IKOT_HOST */,
	    CHILD_CALL_FAILED);
	again = mach_task_self();
	CHILD_CHECK(again == self, CHILD_TASK_SELF_NOT_EMPTY);
	CHILD_CHECK(mach_port_deallocate(self, host) == KERN_SUCCESS &&
	        mach_port_mod_refs(self, r, MACH_PORT_RIGHT_RECEIVE, -1) ==
	            KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	/* The reset takes the task port and the host port with it. */
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&st);
	CHILD_CHECK(st.spaces == 0 && st.ports == 0 && st.messages == 0 &&
	        st.tables == 0 && st.epoch_pending == 0,
	    CHILD_LEAK);
	_exit(CHILD_OK);
}

START_TEST(api_fork_child_task_self_names_its_own_fresh_task_port)
{
	mipc_space_t s[PARENT_TASKS - 1];
	mach_port_name_t names[PARENT_TASKS];
	mach_port_type_t type;
	unsigned i;
	pid_t pid;
	int code;

	names[0] = mach_task_self();
	ck_assert(MACH_PORT_VALID(names[0]));
	for (i = 0; i + 1 < PARENT_TASKS; i++) {
		s[i] = space_new();
		KR_OK(mipc_space_task_port(s[i], &names[i + 1]));
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		fork_child_task_ports_body(s[0], names, PARENT_TASKS);
	code = child_status(pid);
	ck_assert_msg(code == CHILD_OK,
	    "child: %d (10 a parent's task usable, 12 counts not fresh, "
	    "13 task self not the fresh space's, 14 a call failed, 16 leak, "
	    "142 hung)",
	    code);
	/* The parent's are untouched: its own task, the others'. */
	VAL_EQ(mach_task_self(), names[0]);
	for (i = 0; i + 1 < PARENT_TASKS; i++) {
		mach_port_name_t r = MACH_PORT_NULL;

		KR_OK(mach_port_allocate(
		    names[i + 1], MACH_PORT_RIGHT_RECEIVE, &r));
		TYPE_EQ(s[i], r, MACH_PORT_TYPE_RECEIVE);
		KR_OK(mipc_space_destroy(s[i]));
		KR_OK(mach_port_type(mach_task_self(), names[i + 1], &type));
		VAL_EQ(type, MACH_PORT_TYPE_DEAD_NAME);
		KR_OK(mach_port_mod_refs(mach_task_self(), names[i + 1],
		    MACH_PORT_RIGHT_DEAD_NAME, -1));
	}
}
END_TEST

/* Is fd readable now (a message queued, for a mipc_port_get_fd one)? */
static int
fd_readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

#define FORK_SERVICE "x_lifetime.fork.service"

/*
 * What the parent had beyond spaces: a bootstrap service, an armed
 * event-loop descriptor, counters.  None of it is the child's: its
 * namespace is empty, its counters start at zero, and what it arms is
 * its own (the library's globals were reset, not inherited half-held).
 */
static void
fork_child_globals_body(mipc_space_t parent_default)
{
	mach_port_t svc = MACH_PORT_NULL, p = MACH_PORT_NULL;
	mach_port_name_t r = MACH_PORT_NULL;
	struct mipc_stats st;
	int fd = -1;

	signal(SIGALRM, SIG_DFL);
	alarm(10);
	memset(&st, 0, sizeof(st));
	mipc_get_stats(&st);
	CHILD_CHECK(st.msgs_sent == 0 && st.msgs_received == 0 &&
	        st.fd_signals == 0 && st.queued_bytes == 0 &&
	        st.ool_cached_bytes == 0,
	    CHILD_STATS_NOT_FRESH);
	CHILD_CHECK(
	    mipc_thread_space() != parent_default, CHILD_TASK_SELF_NOT_EMPTY);
	/* The parent's service is not known here ... */
	CHILD_CHECK(bootstrap_look_up(bootstrap_port, FORK_SERVICE, &p) ==
	        BOOTSTRAP_UNKNOWN_SERVICE,
	    CHILD_TASK_SELF_NOT_EMPTY);
	/* ... so the child may check the name in itself. */
	CHILD_CHECK(bootstrap_check_in(bootstrap_port, FORK_SERVICE, &svc) ==
	        KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	CHILD_CHECK(
	    bootstrap_look_up(bootstrap_port, FORK_SERVICE, &p) == KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	/* An event-loop descriptor of the child's own follows its port. */
	CHILD_CHECK(mach_port_allocate(mach_task_self(),
	                MACH_PORT_RIGHT_RECEIVE, &r) == KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	CHILD_CHECK(
	    mipc_port_get_fd(mipc_thread_space(), r, &fd) == KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	CHILD_CHECK(!fd_readable(fd), CHILD_CALL_FAILED);
	{
		mach_msg_header_t h;

		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
		h.msgh_size = sizeof(h);
		h.msgh_remote_port = r;
		CHILD_CHECK(mach_msg(&h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		                sizeof(h), 0, MACH_PORT_NULL, 0,
		                MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    CHILD_CALL_FAILED);
	}
	CHILD_CHECK(fd_readable(fd), CHILD_MESSAGE_LOST);
	close(fd);
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&st);
	CHILD_CHECK(st.spaces == 0 && st.ports == 0 && st.messages == 0 &&
	        st.tables == 0 && st.epoch_pending == 0,
	    CHILD_LEAK);
	_exit(CHILD_OK);
}

START_TEST(api_fork_child_has_none_of_parents_services_fds_or_counts)
{
	mipc_space_t def = mipc_thread_space();
	mach_port_t svc = MACH_PORT_NULL, p = MACH_PORT_NULL;
	mach_port_name_t r = recv_new(def);
	pid_t pid;
	int code, fd = -1;

	KR_OK(bootstrap_check_in(bootstrap_port, FORK_SERVICE, &svc));
	KR_OK(mipc_port_get_fd(def, r, &fd));
	{
		mach_msg_header_t h;

		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
		h.msgh_size = sizeof(h);
		h.msgh_remote_port = r;
		KR_EQ(mach_msg(&h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(h),
		          0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
	}
	ck_assert(fd_readable(fd));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		fork_child_globals_body(def);
	code = child_status(pid);
	ck_assert_msg(code == CHILD_OK,
	    "child: %d (12 counts not fresh, 13 parent's default space or "
	    "service seen, 14 a call failed, 15 fd not raised, 16 leak, "
	    "142 hung)",
	    code);
	/* The parent is untouched: its service, its descriptor. */
	KR_OK(bootstrap_look_up(bootstrap_port, FORK_SERVICE, &p));
	ck_assert(fd_readable(fd));
	KR_OK(mipc_port_deallocate(def, p));
	close(fd);
}
END_TEST

static Suite *
x_lifetime_suite(void)
{
	Suite *s = suite_create("X_lifetime");
	TCase *tc = conf_tcase("X");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, api_stale_handle_refused_never_aliases_next_space);
	tcase_add_test(tc, api_stale_handles_refused_forever);
	tcase_add_test(tc, api_garbage_handle_refused_never_dereferenced);
	tcase_add_test(tc, api_destroyed_spaces_reclaimed_without_quiesce);
	tcase_add_test(
	    tc, api_current_space_reclaimed_after_switch_without_quiesce);
	tcase_add_test(tc,
	    api_space_reclaimed_when_its_last_reference_goes_at_thread_exit);
	tcase_add_test(tc, api_fork_child_starts_with_fresh_empty_library);
	tcase_add_test(
	    tc, api_fork_child_has_none_of_parents_services_fds_or_counts);
	tcase_add_test(
	    tc, api_fork_child_task_self_names_its_own_fresh_task_port);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(x_lifetime_suite)
