/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_priority.c -- the thread, priority and watchport API of sync.h
 * (issue 13's contract), and the OS policies (TURNSTILES.md 4.6).
 *
 *   P_*   handles, base priorities, QoS classes (XNU's qos_pri table and
 *         thread_qos_scaled_relative_priority), get_priority's fields,
 *         handles of exited threads (KERN_TERMINATED), introspection of
 *         a thread that waits for nothing, the priority -> nice table;
 *   W_*   watchport rules: at most 128 ports, one set per thread, names
 *         that are not send rights fail the call and add nothing,
 *         ports that cannot be watched (dead, special reply ports, not in
 *         a space) are skipped as XNU's posix_spawn skips them;
 *   OS_*  the OS policies: CUSTOM everywhere; NICE and SCHED read back
 *         with getpriority / sched_getscheduler on the real thread, as
 *         root with CAP_SYS_NICE (CI), skipped with a message otherwise;
 *         the probe as uid 65534 without capabilities answers
 *         KERN_NO_ACCESS.
 *
 * Every OS_ test sets the policy back to NONE before it ends.
 */
#include "turnstile_helpers.h"

#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* ---- P: handles and priorities ------------------------------------------- */

START_TEST(P_self_is_stable_and_starts_at_default)
{
	mipc_thread_t me = mipc_thread_self();
	struct mipc_thread_priority pr;

	ck_assert_ptr_nonnull(me);
	ck_assert_ptr_eq(mipc_thread_self(), me);
	mipc_thread_retain(me);
	mipc_thread_release(me);
	mipc_thread_retain(NULL); /* harmless */
	mipc_thread_release(NULL);
	pr = pri_of(me);
	/* The test runs at nice 0 unless someone changed it: 31. */
	if (getpriority(PRIO_PROCESS, 0) == 0) {
		VAL_EQ(pr.base, MIPC_PRI_DEFAULT);
		VAL_EQ(pr.qos, MIPC_QOS_DEFAULT);
	}
	VAL_EQ(pr.promotion, 0);
	VAL_EQ(pr.effective, pr.base);
}
END_TEST

/* A thread's first base is the inverse of NICE's table of its nice. */
static void *
nice_then_register(void *arg)
{
	struct mipc_thread_priority pr;
	int *base = arg;

	/* Raising nice is always allowed. */
	if (setpriority(PRIO_PROCESS, (id_t)thread_tid(), 10) != 0) {
		*base = -2;
		return NULL;
	}
	*base =
	    mipc_thread_get_priority(mipc_thread_self(), &pr) == KERN_SUCCESS
	    ? pr.base
	    : -1;
	return NULL;
}

START_TEST(P_initial_base_from_the_os_nice)
{
	pthread_t pt;
	int base = -3;

	if (getpriority(PRIO_PROCESS, 0) != 0) {
		fprintf(stderr,
		    "P_initial_base_from_the_os_nice: skipped, "
		    "the test does not run at nice 0\n");
		return;
	}
	ck_assert_int_eq(
	    pthread_create(&pt, NULL, nice_then_register, &base), 0);
	ck_assert_int_eq(pthread_join(pt, NULL), 0);
	VAL_EQ(base, MIPC_PRI_UTILITY); /* nice 10 <-> 20 */
}
END_TEST

START_TEST(P_set_base_priority_range)
{
	mipc_thread_t me = mipc_thread_self();
	struct mipc_thread_priority pr;
	static const int ok[] = { 0, 1, 4, 20, 31, 63, 64, 96, 127 };
	unsigned i;

	for (i = 0; i < NELEM(ok); i++) {
		KR_OK(mipc_thread_set_base_priority(me, ok[i]));
		pr = pri_of(me);
		VAL_EQ(pr.base, ok[i]);
		VAL_EQ(pr.effective, ok[i]);
		VAL_EQ(pr.promotion, 0);
	}
	KR_OK(mipc_thread_set_base_priority(me, 40));
	KR_EQ(mipc_thread_set_base_priority(me, -1), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_set_base_priority(me, 128), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_set_base_priority(me, 1000), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_set_base_priority(NULL, 31), KERN_INVALID_ARGUMENT);
	VAL_EQ(pri_of(me).base, 40); /* unchanged by the refusals */
	KR_OK(mipc_thread_set_base_priority(me, MIPC_PRI_DEFAULT));
}
END_TEST

/* XNU's thread_user_promotion_qos_for_pri, with the 47 for UI. */
START_TEST(P_base_priority_gives_its_qos_class)
{
	static const struct {
		int pri;
		mipc_qos_t qos;
	} t[] = {
		{ 0, MIPC_QOS_MAINTENANCE },
		{ 3, MIPC_QOS_MAINTENANCE },
		{ 4, MIPC_QOS_BACKGROUND },
		{ 19, MIPC_QOS_BACKGROUND },
		{ 20, MIPC_QOS_UTILITY },
		{ 30, MIPC_QOS_UTILITY },
		{ 31, MIPC_QOS_DEFAULT },
		{ 36, MIPC_QOS_DEFAULT },
		{ 37, MIPC_QOS_USER_INITIATED },
		{ 46, MIPC_QOS_USER_INITIATED },
		{ 47, MIPC_QOS_USER_INTERACTIVE },
		{ 63, MIPC_QOS_USER_INTERACTIVE },
		{ 127, MIPC_QOS_USER_INTERACTIVE },
	};
	mipc_thread_t me = mipc_thread_self();
	struct mipc_thread_priority pr;
	unsigned i;

	for (i = 0; i < NELEM(t); i++) {
		KR_OK(mipc_thread_set_base_priority(me, t[i].pri));
		pr = pri_of(me);
		ck_assert_msg(
		    pr.qos == t[i].qos && pr.effective_qos == t[i].qos,
		    "base %d: qos %u effective_qos %u, want %u", t[i].pri,
		    pr.qos, pr.effective_qos, t[i].qos);
	}
	KR_OK(mipc_thread_set_base_priority(me, MIPC_PRI_DEFAULT));
}
END_TEST

START_TEST(P_set_qos_maps_to_xnu_base_priorities)
{
	static const struct {
		mipc_qos_t qos;
		int pri;
	} t[] = {
		{ MIPC_QOS_UNSPECIFIED, 31 },
		{ MIPC_QOS_MAINTENANCE, 4 },
		{ MIPC_QOS_BACKGROUND, 4 },
		{ MIPC_QOS_UTILITY, 20 },
		{ MIPC_QOS_DEFAULT, 31 },
		{ MIPC_QOS_USER_INITIATED, 37 },
		{ MIPC_QOS_USER_INTERACTIVE, 47 },
	};
	mipc_thread_t me = mipc_thread_self();
	struct mipc_thread_priority pr;
	unsigned i;

	for (i = 0; i < NELEM(t); i++) {
		KR_OK(mipc_thread_set_qos(me, t[i].qos, 0));
		pr = pri_of(me);
		ck_assert_msg(pr.base == t[i].pri && pr.effective == t[i].pri,
		    "qos %u: base %u effective %u, want %d", t[i].qos, pr.base,
		    pr.effective, t[i].pri);
		VAL_EQ(pr.qos, t[i].qos);
	}
	KR_OK(mipc_thread_set_base_priority(me, MIPC_PRI_DEFAULT));
}
END_TEST

/*
 * thread_qos_scaled_relative_priority: relpri -15..0 scaled into (the
 * next lower class's priority, the class's], -(range * -relpri) >> 4.
 */
START_TEST(P_set_qos_scales_the_relative_priority)
{
	static const struct {
		mipc_qos_t qos;
		int relpri, pri;
	} t[] = {
		{ MIPC_QOS_USER_INTERACTIVE, -1,
		    47 }, /* (37,47]: 10*1>>4 = 0 */
		{ MIPC_QOS_USER_INTERACTIVE, -2, 46 },  /* 20>>4 = 1 */
		{ MIPC_QOS_USER_INTERACTIVE, -8, 42 },  /* 80>>4 = 5 */
		{ MIPC_QOS_USER_INTERACTIVE, -15, 38 }, /* 150>>4 = 9 */
		{ MIPC_QOS_USER_INITIATED, -15, 32 },   /* (31,37]: 90>>4 */
		{ MIPC_QOS_USER_INITIATED, -3, 36 },    /* 18>>4 = 1 */
		{ MIPC_QOS_DEFAULT, -15, 21 },          /* (20,31]: 165>>4 */
		{ MIPC_QOS_DEFAULT, -5, 28 },           /* 55>>4 = 3 */
		{ MIPC_QOS_UTILITY, -15, 5 },           /* (4,20]: 240>>4 */
		{ MIPC_QOS_UTILITY, -1, 19 },
		{ MIPC_QOS_BACKGROUND, -15, 1 }, /* (0,4]: 60>>4 = 3 */
		{ MIPC_QOS_BACKGROUND, -4, 3 },
		{ MIPC_QOS_MAINTENANCE, -15, 1 },
		{ MIPC_QOS_MAINTENANCE, -3, 4 }, /* 12>>4 = 0 */
	};
	mipc_thread_t me = mipc_thread_self();
	struct mipc_thread_priority pr;
	unsigned i;

	for (i = 0; i < NELEM(t); i++) {
		KR_OK(mipc_thread_set_qos(me, t[i].qos, t[i].relpri));
		pr = pri_of(me);
		ck_assert_msg(pr.base == t[i].pri,
		    "qos %u relpri %d: base %u, want %d", t[i].qos, t[i].relpri,
		    pr.base, t[i].pri);
		VAL_EQ(pr.qos, t[i].qos);
	}
	KR_OK(mipc_thread_set_base_priority(me, MIPC_PRI_DEFAULT));
}
END_TEST

START_TEST(P_set_qos_rejects_bad_arguments)
{
	mipc_thread_t me = mipc_thread_self();

	KR_OK(mipc_thread_set_base_priority(me, 40));
	KR_EQ(mipc_thread_set_qos(me, 7, 0), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_set_qos(me, 255, 0), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_set_qos(me, MIPC_QOS_DEFAULT, 1),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_set_qos(me, MIPC_QOS_DEFAULT, -16),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_set_qos(me, MIPC_QOS_UNSPECIFIED, -1),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_set_qos(NULL, MIPC_QOS_DEFAULT, 0),
	    KERN_INVALID_ARGUMENT);
	VAL_EQ(pri_of(me).base, 40);
	KR_OK(mipc_thread_set_base_priority(me, MIPC_PRI_DEFAULT));
}
END_TEST

START_TEST(P_null_arguments)
{
	struct mipc_thread_priority pr;
	struct mipc_wait_info w;
	struct mipc_push_hop h;

	KR_EQ(mipc_thread_get_priority(NULL, &pr), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_get_priority(mipc_thread_self(), NULL),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_wait_info(NULL, &w), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_wait_info(mipc_thread_self(), NULL),
	    KERN_INVALID_ARGUMENT);
	VAL_EQ(mipc_thread_push_chain(NULL, &h, 1), 0);
	VAL_EQ(mipc_thread_push_chain(mipc_thread_self(), NULL, 1), 0);
	VAL_EQ(mipc_thread_push_chain(mipc_thread_self(), &h, 0), 0);
	KR_EQ(mipc_thread_add_watchports(NULL, mipc_thread_space(), NULL, 0),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_thread_clear_watchports(NULL), KERN_INVALID_ARGUMENT);
}
END_TEST

/* A thread waiting for nothing: no wait, a one-hop chain. */
START_TEST(P_introspection_of_a_running_thread)
{
	mipc_thread_t me = mipc_thread_self();
	struct mipc_wait_info w = wait_of(me);
	struct mipc_push_hop h[4];

	VAL_EQ(w.wait_kind, MIPC_WAIT_NONE);
	VAL_EQ(w.name, MACH_PORT_NULL);
	VAL_EQ(w.owner_kind, MIPC_OWNER_NONE);
	VAL_EQ(w.owner_tid, 0);
	VAL_EQ(w.push, 0);
	memset(h, 0, sizeof(h));
	VAL_EQ(mipc_thread_push_chain(me, h, NELEM(h)), 1);
	VAL_EQ(h[0].kind, MIPC_OWNER_THREAD);
	VAL_EQ(h[0].tid, thread_tid());
	ck_assert_ptr_eq(h[0].object, me);
	VAL_EQ(h[0].priority, pri_of(me).effective);
}
END_TEST

/* A plain receiver shows as receiving, and pushes on nobody (T1). */
START_TEST(P_plain_receiver_waits_without_push)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[1], *r = &as[0];
	struct mipc_wait_info w;

	actor_init(r, ACT_RECV, 47);
	r->a_rcv = p;
	actor_start(r);
	WAIT_BLOCKED(r, MIPC_WAIT_RECEIVE);
	w = wait_of(r->a_th);
	VAL_EQ(w.name, p);
	VAL_EQ(w.owner_kind, MIPC_OWNER_NONE);
	VAL_EQ(w.push, 0);
	SEND_OK(task, p, MACH_MSG_TYPE_COPY_SEND, 1);
	VAL_EQ(WAIT_DONE(r), MACH_MSG_SUCCESS);
	VAL_EQ(wait_of(r->a_th).wait_kind, MIPC_WAIT_NONE);
	actors_end(as, 1);
}
END_TEST

/* wait_info names what the thread waits on now, not what it did before. */
START_TEST(P_wait_name_is_the_current_wait)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1), q = tport_new(task, 1);
	struct actor as[2], *r = &as[0], *h = &as[1];

	/* A receive that blocked on q, then a blocked send to p. */
	actor_init(r, ACT_RECV, 20);
	r->a_rcv = q;
	actor_start(r);
	WAIT_BLOCKED(r, MIPC_WAIT_RECEIVE);
	VAL_EQ(wait_of(r->a_th).name, q);
	SEND_OK(task, q, MACH_MSG_TYPE_COPY_SEND, 1);
	VAL_EQ(WAIT_DONE(r), MACH_MSG_SUCCESS);
	actor_end(r);
	tport_fill(task, p, 2);
	actor_send(h, 20, NULL, p, 3, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	VAL_EQ(wait_of(h->a_th).name, p);
	VAL_EQ(tport_take(task, p), 2);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(task, p), 3);
	actors_end(as + 1, 1);
}
END_TEST

/* A handle retained past its thread's exit: KERN_TERMINATED everywhere. */
START_TEST(P_handle_of_exited_thread_terminated)
{
	struct actor as[1], *a = &as[0];
	struct mipc_thread_priority pr;
	struct mipc_wait_info w;
	mach_port_name_t p = tport_new(mipc_thread_space(), 1);

	actor_park(a, 40);
	VAL_EQ(pri_of(a->a_th).base, 40);
	actor_finish(a);
	KR_EQ(mipc_thread_get_priority(a->a_th, &pr), KERN_TERMINATED);
	KR_EQ(mipc_thread_set_base_priority(a->a_th, 31), KERN_TERMINATED);
	KR_EQ(
	    mipc_thread_set_qos(a->a_th, MIPC_QOS_DEFAULT, 0), KERN_TERMINATED);
	KR_EQ(mipc_thread_wait_info(a->a_th, &w), KERN_TERMINATED);
	KR_EQ(mipc_thread_add_watchports(a->a_th, mipc_thread_space(), &p, 1),
	    KERN_TERMINATED);
	KR_EQ(mipc_thread_clear_watchports(a->a_th), KERN_TERMINATED);
	/* Argument checks come first, as for a live thread. */
	KR_EQ(
	    mipc_thread_set_base_priority(a->a_th, 128), KERN_INVALID_ARGUMENT);
	actors_end(as, 1);
}
END_TEST

/* TURNSTILES.md 2.4: anchors, linear between, 19 below 4, -20 above 63. */
START_TEST(P_priority_to_nice_table)
{
	static const struct {
		int pri, nice;
	} anchors[] = { { -5, 19 }, { 0, 19 }, { 2, 19 }, { 4, 19 }, { 20, 10 },
		{ 31, 0 }, { 37, -5 }, { 47, -10 }, { 63, -20 }, { 64, -20 },
		{ 95, -20 }, { 127, -20 }, { 300, -20 } };
	int pri, prev;
	unsigned i;

	for (i = 0; i < NELEM(anchors); i++)
		ck_assert_msg(
		    mipc_priority_to_nice(anchors[i].pri) == anchors[i].nice,
		    "nice(%d) = %d, want %d", anchors[i].pri,
		    mipc_priority_to_nice(anchors[i].pri), anchors[i].nice);
	/* Monotonic, within -20..19, and strictly between distinct anchors. */
	prev = mipc_priority_to_nice(0);
	for (pri = 1; pri <= 127; pri++) {
		int n = mipc_priority_to_nice(pri);

		ck_assert_msg(n <= prev && n >= -20 && n <= 19,
		    "nice(%d) = %d after %d", pri, n, prev);
		prev = n;
	}
	for (pri = 21; pri < 31; pri++)
		ck_assert_msg(mipc_priority_to_nice(pri) < 10 &&
		        mipc_priority_to_nice(pri) > 0,
		    "nice(%d) = %d", pri, mipc_priority_to_nice(pri));
	for (pri = 48; pri < 63; pri++)
		ck_assert_msg(mipc_priority_to_nice(pri) < -10 &&
		        mipc_priority_to_nice(pri) > -20,
		    "nice(%d) = %d", pri, mipc_priority_to_nice(pri));
}
END_TEST

/* ---- W: watchport rules -------------------------------------------------- */

/*
 * Does thread t receive the push of a sender blocked on port p of sp?
 * (A sender at 47 blocks on p, full; t is read; the sender is let in.)
 */
static bool
pushes_on(mipc_space_t sp, mach_port_name_t p, struct actor *t)
{
	struct actor as[1], *h = &as[0];
	mach_port_msgcount_t q = qlimit_of(sp, p);
	int e;

	VAL_EQ(msgcount_of(sp, p), 0);
	set_qlimit(sp, p, 1);
	tport_fill(sp, p, 77);
	actor_send(h, 47, sp, p, 78, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	e = eff_of(t->a_th);
	set_qlimit(sp, p, 2);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	actors_end(as, 1);
	VAL_EQ(tport_take(sp, p), 77);
	VAL_EQ(tport_take(sp, p), 78);
	set_qlimit(sp, p, q);
	return e == 47;
}

START_TEST(W_at_most_128_ports)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[1], *t = &as[0];
	mach_port_name_t names[MIPC_MAX_WATCHPORTS + 1];
	unsigned i;

	actor_park(t, 4);
	for (i = 0; i < NELEM(names); i++)
		names[i] = tport_new(task, 1);
	KR_EQ(mipc_thread_add_watchports(
	          t->a_th, task, names, MIPC_MAX_WATCHPORTS + 1),
	    KERN_INVALID_ARGUMENT);
	ck_assert(!pushes_on(task, names[0], t));
	KR_OK(mipc_thread_add_watchports(
	    t->a_th, task, names, MIPC_MAX_WATCHPORTS));
	ck_assert(pushes_on(task, names[0], t));
	ck_assert(pushes_on(task, names[MIPC_MAX_WATCHPORTS - 1], t));
	ck_assert(!pushes_on(task, names[MIPC_MAX_WATCHPORTS], t));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	ck_assert(!pushes_on(task, names[0], t));
	actors_end(as, 1);
}
END_TEST

START_TEST(W_second_add_is_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[1], *t = &as[0];
	mach_port_name_t p1 = tport_new(task, 1), p2 = tport_new(task, 1);

	actor_park(t, 4);
	watch(t->a_th, task, p1);
	KR_EQ(mipc_thread_add_watchports(t->a_th, task, &p2, 1),
	    KERN_INVALID_ARGUMENT);
	ck_assert(pushes_on(task, p1, t));
	ck_assert(!pushes_on(task, p2, t));
	/* Cleared: a new set may come. */
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	watch(t->a_th, task, p2);
	ck_assert(pushes_on(task, p2, t));
	ck_assert(!pushes_on(task, p1, t));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 1);
}
END_TEST

START_TEST(W_count_zero_adds_nothing)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[1], *t = &as[0];
	mach_port_name_t p = tport_new(task, 1);

	actor_park(t, 4);
	KR_OK(mipc_thread_add_watchports(t->a_th, task, NULL, 0));
	KR_EQ(mipc_thread_add_watchports(t->a_th, task, NULL, 1),
	    KERN_INVALID_ARGUMENT);
	watch(t->a_th, task, p); /* nothing was there */
	ck_assert(pushes_on(task, p, t));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 1);
}
END_TEST

START_TEST(W_space_arguments)
{
	mipc_space_t task = mipc_thread_space(), s;
	struct actor as[1], *t = &as[0];
	mach_port_name_t p = tport_new(task, 1);

	actor_park(t, 4);
	KR_EQ(mipc_thread_add_watchports(t->a_th, NULL, &p, 1),
	    MACH_SEND_INVALID_DEST);
	KR_OK(mipc_space_create(&s));
	KR_OK(mipc_space_destroy(s));
	KR_EQ(mipc_thread_add_watchports(t->a_th, s, &p, 1), KERN_INVALID_TASK);
	ck_assert(!pushes_on(task, p, t));
	watch(t->a_th, task, p);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 1);
}
END_TEST

/* A name that is no send right fails the whole call: nothing is added. */
START_TEST(W_name_without_send_right_fails_and_adds_nothing)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[1], *t = &as[0];
	mach_port_name_t p = tport_new(task, 1);
	mach_port_name_t r = recv_new(task), ps = pset_new(task);
	mach_port_name_t helper = tport_new(task, 5), so;
	mach_port_name_t bad[2];
	msg_buf_t b;

	/* A send-once right, made by a message's reply. */
	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	          helper, helper, 1),
	    MACH_MSG_SUCCESS);
	RECV_OK(task, &b, helper, 0);
	so = b.h.msgh_remote_port;
	actor_park(t, 4);
	bad[0] = p;
	bad[1] = r;
	KR_EQ(mipc_thread_add_watchports(t->a_th, task, bad, 2),
	    KERN_INVALID_RIGHT);
	bad[1] = ps;
	KR_EQ(mipc_thread_add_watchports(t->a_th, task, bad, 2),
	    KERN_INVALID_RIGHT);
	bad[1] = so;
	KR_EQ(mipc_thread_add_watchports(t->a_th, task, bad, 2),
	    KERN_INVALID_RIGHT);
	bad[1] = free_name(task);
	KR_EQ(mipc_thread_add_watchports(t->a_th, task, bad, 2),
	    KERN_INVALID_NAME);
	/* p was not added by any of them, and t has no set yet. */
	ck_assert(!pushes_on(task, p, t));
	watch(t->a_th, task, p);
	ck_assert(pushes_on(task, p, t));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	KR_OK(mipc_port_deallocate(task, so));
	conf_take_send_once_notification(task, helper);
	actors_end(as, 1);
}
END_TEST

/*
 * Dead ports are skipped, as XNU skips them: kern_exec.c copies each
 * valid name in with COPY_SEND, and ipc_object_copyin always allows dead
 * rights (IPC_OBJECT_COPYIN_FLAGS_DEADOK: a dead name, or a send or
 * send-once right whose port died, comes in as IO_DEAD, KERN_SUCCESS);
 * MACH_PORT_NULL and MACH_PORT_DEAD are not copied in at all; only valid
 * ports are kept (IPC_PORT_VALID).  So: a port that died, its name still
 * a send right or already reported as a dead name, a send-once right to a
 * dead port, MACH_PORT_DEAD and MACH_PORT_NULL are all skipped, and the
 * live port after them is watched.
 */
START_TEST(W_dead_ports_skipped)
{
	mipc_space_t task = mipc_thread_space(), s;
	struct actor as[1], *t = &as[0];
	mach_port_name_t p = tport_new(task, 1), r1, r2, r3, d1, d2, d3;
	mach_msg_type_name_t ty;
	mach_port_name_t names[6];

	KR_OK(mipc_space_create(&s));
	r1 = tport_new(s, 1);
	r2 = tport_new(s, 1);
	r3 = tport_new(s, 1);
	KR_OK(mipc_port_extract_right(
	    s, r1, MACH_MSG_TYPE_MAKE_SEND, task, &d1, &ty));
	KR_OK(mipc_port_extract_right(
	    s, r2, MACH_MSG_TYPE_MAKE_SEND, task, &d2, &ty));
	KR_OK(mipc_port_extract_right(
	    s, r3, MACH_MSG_TYPE_MAKE_SEND_ONCE, task, &d3, &ty));
	KR_OK(mipc_space_destroy(s));                /* the three ports die */
	TYPE_EQ(task, d2, MACH_PORT_TYPE_DEAD_NAME); /* d2 is reported */
	actor_park(t, 4);
	names[0] = d1;
	names[1] = d2;
	names[2] = d3;
	names[3] = MACH_PORT_DEAD;
	names[4] = MACH_PORT_NULL;
	names[5] = p;
	KR_OK(mipc_thread_add_watchports(t->a_th, task, names, 6));
	ck_assert(pushes_on(task, p, t));
	/* Nothing was consumed: the dead names are still there. */
	TYPE_EQ(task, d1, MACH_PORT_TYPE_DEAD_NAME);
	TYPE_EQ(task, d2, MACH_PORT_TYPE_DEAD_NAME);
	TYPE_EQ(task, d3, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 1);
}
END_TEST

/* Only dead names and null names: the call succeeds, nothing is watched. */
START_TEST(W_only_dead_names_watch_nothing)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[1], *t = &as[0];
	mach_port_name_t p = tport_new(task, 1);
	mach_port_name_t names[2] = { MACH_PORT_DEAD, MACH_PORT_NULL };

	actor_park(t, 4);
	KR_OK(mipc_thread_add_watchports(t->a_th, task, names, 2));
	ck_assert(!pushes_on(task, p, t));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	watch(t->a_th, task, p);
	ck_assert(pushes_on(task, p, t));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 1);
}
END_TEST

/*
 * Does t receive the push of a sender blocked on a port in transit to
 * `dst`?  The message carrying the port's receive right goes to dst
 * through a send right, or (a special reply port's send right cannot
 * send, MACH.md R1) through the send-once reply right of a request: the
 * S1 shape, a reply that carries a receive right.  For an SRP that is the
 * only way anything pushes on its send turnstile: send-once messages
 * never block.
 */
static bool
transit_pushes_on(
    mipc_space_t sp, mach_port_name_t dst, struct actor *t, bool via_reply)
{
	mach_port_name_t p = tport_new(sp, 1), helper, to = dst;
	mach_msg_type_name_t disp = MACH_MSG_TYPE_COPY_SEND;
	mach_msg_port_descriptor_t d;
	struct actor as[1], *h = &as[0];
	mach_msg_size_t size;
	msg_buf_t b;
	int e;

	if (via_reply) {
		helper = tport_new(sp, 5);
		msg_init(&b,
		    MACH_MSGH_BITS(
		        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
		    helper, dst, 1);
		KR_EQ(msg_send(sp, &b, HDR_SIZE), MACH_MSG_SUCCESS);
		RECV_OK(sp, &b, helper, 0);
		to = b.h.msgh_remote_port;
		disp = MACH_MSG_TYPE_MOVE_SEND_ONCE;
		KR_OK(mipc_port_destroy(sp, helper));
	}
	tport_fill(sp, p, 77);
	actor_send(h, 47, sp, p, 78, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	d = port_desc(p, MACH_MSG_TYPE_MOVE_RECEIVE);
	size = msg_init_ports(&b, to, disp, 2, &d, 1);
	KR_EQ(msg_send(sp, &b, size), MACH_MSG_SUCCESS);
	e = eff_of(t->a_th);
	/* The message taken: p is back (under its name: the send right). */
	RECV_OK(sp, &b, dst, 0);
	VAL_EQ(rcv_port_desc(&b, 0).name, p);
	VAL_EQ(tport_take(sp, p), 77);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sp, p), 78);
	actors_end(as, 1);
	KR_OK(mipc_port_destroy(sp, p));
	return e == 47;
}

START_TEST(W_special_reply_port_skipped)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[1], *t = &as[0];
	mach_port_name_t srp = thread_get_special_reply_port();
	mach_port_name_t q = tport_new(task, 5);
	mach_port_name_t names[2] = { srp, q };

	TYPE_EQ(task, srp, MACH_PORT_TYPE_SEND_RECEIVE);
	actor_park(t, 4);
	KR_OK(mipc_thread_add_watchports(t->a_th, task, names, 2));
	ck_assert(!transit_pushes_on(task, srp, t, true));
	/* The same shape on the ordinary port of the set pushes. */
	ck_assert(transit_pushes_on(task, q, t, true));
	ck_assert(transit_pushes_on(task, q, t, false));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	ck_assert(!transit_pushes_on(task, q, t, false));
	actors_end(as, 1);
}
END_TEST

START_TEST(W_port_not_in_a_space_skipped)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[1], *t = &as[0];
	mach_port_name_t p = tport_new(task, 1);
	mach_port_name_t q = tport_new(task, MACH_PORT_QLIMIT_DEFAULT);
	mach_port_msgcount_t before;
	mach_msg_port_descriptor_t d = port_desc(p, MACH_MSG_TYPE_MOVE_RECEIVE);
	msg_buf_t b;
	mach_msg_size_t size =
	    msg_init_ports(&b, q, MACH_MSG_TYPE_COPY_SEND, 900, &d, 1);

	/* p's receive right in a message: in transit, not in a space. */
	KR_EQ(msg_send(task, &b, size), MACH_MSG_SUCCESS);
	TYPE_EQ(task, p, MACH_PORT_TYPE_SEND);
	actor_park(t, 4);
	KR_OK(mipc_thread_add_watchports(t->a_th, task, &p, 1));
	before = msgcount_of(task, q);
	VAL_EQ(before, 1);
	RECV_OK(task, &b, q, 0);
	VAL_EQ(rcv_port_desc(&b, 0).name, p);
	/* Back in the space, still not watched: skipped for good. */
	ck_assert(!pushes_on(task, p, t));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 1);
}
END_TEST

/* ---- OS policies ---------------------------------------------------------- */

START_TEST(OS_policy_arguments)
{
	KR_EQ(mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, NULL, NULL),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_set_os_policy((enum mipc_os_policy)99, NULL, NULL),
	    KERN_INVALID_ARGUMENT);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
}
END_TEST

START_TEST(OS_custom_policy_calls_the_function)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[2], *t = &as[0], *h = &as[1];
	struct apply_log log = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { 0 } };
	struct mipc_stats s0, s1;

	actor_park(t, 4);
	watch(t->a_th, task, p);
	tport_fill(task, p, 1);
	mipc_get_stats(&s0);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, record_apply, &log));
	actor_send(h, 47, NULL, p, 2, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	VAL_EQ(last_applied(&log, t->a_tid), 47);
	VAL_EQ(tport_take(task, p), 1);
	VAL_EQ(last_applied(&log, t->a_tid), 4);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	/* A base change applies too. */
	KR_OK(mipc_thread_set_base_priority(t->a_th, 20));
	VAL_EQ(last_applied(&log, t->a_tid), 20);
	mipc_get_stats(&s1);
	ck_assert_msg(s1.os_applies >= s0.os_applies + 3,
	    "os_applies %llu -> %llu", (unsigned long long)s0.os_applies,
	    (unsigned long long)s1.os_applies);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	KR_OK(mipc_thread_set_base_priority(t->a_th, 4));
	VAL_EQ(last_applied(&log, t->a_tid), 20); /* NONE: nothing called */
	VAL_EQ(tport_take(task, p), 2);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 2);
}
END_TEST

/* NICE or SCHED may be set here; else the test says why it is skipped. */
static bool
os_policy_allowed(enum mipc_os_policy pol, const char *test)
{
	kern_return_t kr = mipc_set_os_policy(pol, NULL, NULL);

	if (kr == KERN_NO_ACCESS) {
		fprintf(stderr,
		    "%s: skipped: this process may not raise a thread's "
		    "priority (no CAP_SYS_NICE, RLIMIT_NICE/RTPRIO too low)\n",
		    test);
		return false;
	}
	KR_OK(kr);
	return true;
}

static int
nice_of(pid_t tid)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, (id_t)tid);
}

START_TEST(OS_nice_policy_moves_the_real_thread)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[2], *t = &as[0], *h = &as[1];

	actor_park(t, -1);
	if (!os_policy_allowed(MIPC_OS_POLICY_NICE, __func__)) {
		actors_end(as, 1);
		return;
	}
	KR_OK(mipc_thread_set_base_priority(t->a_th, 4));
	VAL_EQ(nice_of(t->a_tid), 19);
	watch(t->a_th, task, p);
	tport_fill(task, p, 1);
	actor_send(h, 47, NULL, p, 2, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	VAL_EQ(nice_of(t->a_tid), -10);
	KR_OK(mipc_thread_set_base_priority(h->a_th, 37));
	VAL_EQ(nice_of(t->a_tid), -5);
	VAL_EQ(tport_take(task, p), 1);
	VAL_EQ(nice_of(t->a_tid), 19); /* restored */
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	KR_OK(mipc_thread_set_base_priority(t->a_th, 31));
	VAL_EQ(nice_of(t->a_tid), 0);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	VAL_EQ(tport_take(task, p), 2);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 2);
}
END_TEST

START_TEST(OS_sched_policy_fifo_from_64)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[2], *t = &as[0], *h = &as[1];
	struct sched_param sp;

	actor_park(t, -1);
	VAL_EQ(sched_getscheduler(t->a_tid), SCHED_OTHER);
	if (!os_policy_allowed(MIPC_OS_POLICY_SCHED, __func__)) {
		actors_end(as, 1);
		return;
	}
	KR_OK(mipc_thread_set_base_priority(t->a_th, 80));
	VAL_EQ(sched_getscheduler(t->a_tid), SCHED_FIFO);
	ck_assert_int_eq(sched_getparam(t->a_tid, &sp), 0);
	VAL_EQ(sp.sched_priority, 17); /* 64..95 -> FIFO 1..32 */
	KR_OK(mipc_thread_set_base_priority(t->a_th, 100));
	ck_assert_int_eq(sched_getparam(t->a_tid, &sp), 0);
	VAL_EQ(sp.sched_priority, 37); /* 96..127 -> FIFO 33..64 */
	/* Back below 64: SCHED_OTHER at the nice of the table. */
	KR_OK(mipc_thread_set_base_priority(t->a_th, 4));
	VAL_EQ(sched_getscheduler(t->a_tid), SCHED_OTHER);
	VAL_EQ(nice_of(t->a_tid), 19);
	/* A push is capped at 63: never FIFO, nice -20 at most. */
	watch(t->a_th, task, p);
	tport_fill(task, p, 1);
	actor_send(h, 90, NULL, p, 2, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	VAL_EQ(sched_getscheduler(t->a_tid), SCHED_OTHER);
	VAL_EQ(nice_of(t->a_tid), -20);
	VAL_EQ(tport_take(task, p), 1);
	VAL_EQ(nice_of(t->a_tid), 19);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	KR_OK(mipc_thread_set_base_priority(t->a_th, 31));
	VAL_EQ(sched_getscheduler(t->a_tid), SCHED_OTHER);
	VAL_EQ(nice_of(t->a_tid), 0);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	VAL_EQ(tport_take(task, p), 2);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 2);
}
END_TEST

/*
 * Unprivileged, the probe refuses: a child lowers its RLIMIT_NICE and
 * RLIMIT_RTPRIO to 0, empties its capability bounding set, becomes uid
 * and gid 65534 (which clears its capabilities), and must get
 * KERN_NO_ACCESS for NICE and SCHED; NONE is still allowed.
 */
static int
child_unprivileged_probe(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
		0 };
	struct __user_cap_data_struct data[2];
	struct rlimit zero = { 0, 0 };
	int cap;

	if (setpriority(PRIO_PROCESS, 0, 0) != 0 ||
	    setrlimit(RLIMIT_NICE, &zero) != 0 ||
	    setrlimit(RLIMIT_RTPRIO, &zero) != 0)
		return 10;
	/* No capability can come back: empty the bounding set first. */
	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
		    errno != EINVAL)
			return 11;
	}
	if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0)
		return 12;
	/* Leaving uid 0 clears the permitted and effective sets. */
	if (setresuid(65534, 65534, 65534) != 0)
		return 13;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 14;
	if (data[0].effective != 0 || data[1].effective != 0 ||
	    data[0].permitted != 0 || data[1].permitted != 0)
		return 15;
	if (mipc_set_os_policy(MIPC_OS_POLICY_NICE, NULL, NULL) !=
	    KERN_NO_ACCESS)
		return 20;
	if (mipc_set_os_policy(MIPC_OS_POLICY_SCHED, NULL, NULL) !=
	    KERN_NO_ACCESS)
		return 21;
	/* Still at nice 0: the probe left nothing it could not undo. */
	if (getpriority(PRIO_PROCESS, 0) != 0)
		return 22;
	if (mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL) != KERN_SUCCESS)
		return 23;
	return 0;
}

START_TEST(OS_probe_refuses_an_unprivileged_process)
{
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		fprintf(stderr, "%s: skipped: needs root to become uid 65534\n",
		    __func__);
		return;
	}
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(child_unprivileged_probe());
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "unprivileged probe child: status %#x (exit %d)", st,
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *
priority_suite(void)
{
	Suite *s = suite_create("priority");
	TCase *tc;

	tc = conf_tcase("P_priorities");
	tcase_add_test(tc, P_self_is_stable_and_starts_at_default);
	tcase_add_test(tc, P_initial_base_from_the_os_nice);
	tcase_add_test(tc, P_set_base_priority_range);
	tcase_add_test(tc, P_base_priority_gives_its_qos_class);
	tcase_add_test(tc, P_set_qos_maps_to_xnu_base_priorities);
	tcase_add_test(tc, P_set_qos_scales_the_relative_priority);
	tcase_add_test(tc, P_set_qos_rejects_bad_arguments);
	tcase_add_test(tc, P_null_arguments);
	tcase_add_test(tc, P_introspection_of_a_running_thread);
	tcase_add_test(tc, P_plain_receiver_waits_without_push);
	tcase_add_test(tc, P_wait_name_is_the_current_wait);
	tcase_add_test(tc, P_handle_of_exited_thread_terminated);
	tcase_add_test(tc, P_priority_to_nice_table);
	suite_add_tcase(s, tc);

	tc = conf_tcase("W_watchports");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, W_at_most_128_ports);
	tcase_add_test(tc, W_second_add_is_invalid_argument);
	tcase_add_test(tc, W_count_zero_adds_nothing);
	tcase_add_test(tc, W_space_arguments);
	tcase_add_test(tc, W_name_without_send_right_fails_and_adds_nothing);
	tcase_add_test(tc, W_dead_ports_skipped);
	tcase_add_test(tc, W_only_dead_names_watch_nothing);
	tcase_add_test(tc, W_special_reply_port_skipped);
	tcase_add_test(tc, W_port_not_in_a_space_skipped);
	suite_add_tcase(s, tc);

	tc = conf_tcase("OS_policies");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, OS_policy_arguments);
	tcase_add_test(tc, OS_custom_policy_calls_the_function);
	tcase_add_test(tc, OS_nice_policy_moves_the_real_thread);
	tcase_add_test(tc, OS_sched_policy_fifo_from_64);
	tcase_add_test(tc, OS_probe_refuses_an_unprivileged_process);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(priority_suite)
