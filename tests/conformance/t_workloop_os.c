/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_workloop_os.c -- what a workloop servicer's OS thread is given while
 * it serves (issue 14's inversion target, bench/inversion.c's workloop
 * kind), counted with a CUSTOM OS policy that records every priority
 * applied:
 *   * the priority it served a request at stays with the OS thread until
 *     the servicer parks again or returns with no delivery, although the
 *     engine's books drop it as soon as its client leaves the special
 *     reply port (WL_os_*_until_it_parks);
 *   * a servicer lowering its own priority does not make other threads'
 *     raises of it wait for it to run again (WL_os_raise_*);
 *   * a servicer waiting for its next request never yields the CPU
 *     (WL_os_servicer_waits_without_yielding).
 * The engine's priorities themselves are t_sync_cases.c's (receive cases
 * 2 and 3) and t_workloop.c's; here only what reaches the OS.
 *
 * Names: WL_os_<what>.  Every test ends with every priority at base and
 * only the threads' own turnstiles alive (turnstile_helpers.h).
 */
#include "turnstile_helpers.h"

#include <sched.h>
#include <sys/syscall.h>

/* A client of P at UI (ACT_CMD: each wl_cmd_call is one RPC, id a_id). */
static void
client_start(struct actor *c, mach_port_name_t p)
{
	actor_init(c, ACT_CMD, UI);
	c->a_dest = p;
	c->a_id = 10;
	actor_start(c);
}

/* The OS priorities applied to tid so far, as a message. */
static const char *
seq_text(struct apply_log *log, pid_t tid, char *b, size_t size)
{
	int seq[16];
	unsigned n = applied_to(log, tid, seq, NELEM(seq)), i;
	size_t len = 0;

	b[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(
		    b + len, size - len, i ? ", %d" : "%d", seq[i]);
	return b;
}

/*
 * applied_to without repeats: an applier that held th_os_busy while the
 * servicer lowered itself applies the lowering again after it (it cannot
 * tell which call landed last, turnstile.c os_apply), a second call that
 * changes nothing at the OS.
 */
static unsigned
applied_changes(struct apply_log *log, pid_t tid, int *seq, unsigned max)
{
	unsigned n = applied_to(log, tid, seq, max), i, k = 0;

	for (i = 0; i < n; i++)
		if (k == 0 || seq[i] != seq[k - 1])
			seq[k++] = seq[i];
	return k;
}

/* Wait (bounded) until the last priority applied to tid is `want`. */
static int
wait_applied(struct apply_log *log, pid_t tid, int want)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < ACT_BOUND_MS && last_applied(log, tid) != want; i++)
		nanosleep(&ms, NULL);
	return last_applied(log, tid);
}

/*
 * The servicer S, parked, is raised by C's RPC (UI applied).  S replies
 * and parks again in one call: the reply wakes C, whose leaving its
 * special reply port drops S to base in the books at once -- but the OS
 * is not told: S is still running its reply, and lowered there it would
 * sit runnable at its own base beside other load (EEVDF keeps the debt of
 * its boosted run at the low weight), then be raised for the next
 * request too late.  Parked, it stays at UI.  A message that pushes on
 * nothing then wakes it: it lowers itself, once, to serve that one.
 */
START_TEST(WL_os_servicer_keeps_its_request_priority_until_it_parks)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	struct apply_log log = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { 0 } };
	int seq[16];
	unsigned n;
	char b[128];

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, record_apply, &log));
	client_start(c, sc.p);
	actor_post(s, wl_cmd_recv);
	WAIT_BLOCKED(s, MIPC_WAIT_RECEIVE);
	actor_post(c, wl_cmd_call);
	VAL_EQ(WAIT_DONE(s), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 10);
	/*
	 * S may take the request before C blocks on its reply port (C's
	 * block then pushes through S's stash; ARM64 under qemu, once):
	 * either way S is raised once C waits.
	 */
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(s->a_th, UI);
	VAL_EQ(wait_applied(&log, s->a_tid, UI), UI);
	/* Reply and park, one call; C wakes and leaves. */
	s->a_id = 11;
	actor_post(s, wl_cmd_reply_recv);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, 11);
	WAIT_BLOCKED(s, MIPC_WAIT_RECEIVE);
	AT_BASE(s->a_th); /* the books: at base at once */
	ck_assert_msg(last_applied(&log, s->a_tid) == UI,
	    "servicer lowered at the OS before it parked: %s",
	    seq_text(&log, s->a_tid, b, sizeof(b)));
	/* A request that pushes on nothing: served at base. */
	SEND_OK(sc.sp, sc.p, MACH_MSG_TYPE_COPY_SEND, 1);
	VAL_EQ(WAIT_DONE(s), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 1);
	AT_BASE(s->a_th);
	VAL_EQ(last_applied(&log, s->a_tid), LOW);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	n = applied_to(&log, s->a_tid, seq, NELEM(seq));
	/* A LOW first if S lowered itself at a delivery C had not pushed. */
	if (n == 3 && seq[0] == LOW) {
		seq[0] = seq[1];
		seq[1] = seq[2];
		n = 2;
	}
	ck_assert_msg(n == 2 && seq[0] == UI && seq[1] == LOW,
	    "servicer: applied %s, want %d, %d",
	    seq_text(&log, s->a_tid, b, sizeof(b)), UI, LOW);
	wscene_end(&sc, 2);
}
END_TEST

/*
 * A reply with no receive: the call returns with no delivery, and the
 * servicer lowers itself before it returns (once), whatever the order of
 * its client's wake-up and its re-enable -- even while its client, woken
 * by the reply, holds its th_os_busy walking it (which then applies LOW
 * again: applied_changes).
 */
START_TEST(WL_os_servicer_lowers_itself_returning_without_a_delivery)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	struct apply_log log = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { 0 } };
	int seq[16];
	unsigned n;
	char b[128];

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, record_apply, &log));
	client_start(c, sc.p);
	actor_post(c, wl_cmd_call);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	s->a_id = 11;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(last_applied(&log, s->a_tid), LOW);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	n = applied_changes(&log, s->a_tid, seq, NELEM(seq));
	ck_assert_msg(n == 2 && seq[0] == UI && seq[1] == LOW,
	    "servicer: applied %s, want %d, %d",
	    seq_text(&log, s->a_tid, b, sizeof(b)), UI, LOW);
	wscene_end(&sc, 2);
}
END_TEST

/* ---- a lowering of itself in flight -------------------------------------- */

/*
 * A CUSTOM policy whose call by one thread (g_tid) lowering itself to
 * LOW stops until the test lets it go -- the OS preempting a thread that
 * has just lowered itself, before it returns from the call -- and
 * records every call when it returns (when it "lands").  Only the
 * thread's own call: another thread applying its fall is not lowered by
 * it, and gated, it would sit in the gate instead of the servicer.
 */
struct gated_log {
	struct apply_log log;
	atomic_int g_tid; /* 0: no gate */
	sem_t g_in, g_go;
};

static int
gated_apply(pid_t tid, int pri, void *ctx)
{
	struct gated_log *g = ctx;

	if (pri == LOW && atomic_load(&g->g_tid) == (int)tid &&
	    (pid_t)syscall(SYS_gettid) == tid) {
		atomic_store(&g->g_tid, 0); /* once */
		sem_post(&g->g_in);
		(void)act_sem_wait(&g->g_go, 4 * ACT_LONG_MS);
	}
	return record_apply(tid, pri, &g->log);
}

/*
 * S lowers itself and the OS call stops there, as a thread preempted the
 * moment it lowered itself.  Meanwhile C's next request, queued on P,
 * pushes on S (send case 7): C applies the raise itself, at once -- it
 * does not leave it to S, which at its lowered priority beside other
 * load may not run for many ms.  When S's call lands, after C's, S puts
 * UI back: the last word is the push's.
 *
 * The lowering is S's own for certain: S, parked holding UI after its
 * reply (C gone, its fall kept from the OS), wakes to a message that
 * pushes on nothing, and nobody else applies its priority then.  (A
 * reply returning with no delivery would not do: S's client, slow to
 * wake, may leave its reply port after S let go and apply S's fall
 * itself -- a third thread's call, which the gate must not stop; ARM64
 * under qemu, 1 run in 8-16, when it did.)
 */
START_TEST(WL_os_raise_does_not_wait_for_a_thread_lowering_itself)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	struct gated_log g;
	int seq[16];
	unsigned n;
	char b[128];

	memset(&g, 0, sizeof(g));
	g.log.mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	MIPC_REQUIRE(sem_init(&g.g_in, 0, 0) == 0, "sem_init");
	MIPC_REQUIRE(sem_init(&g.g_go, 0, 0) == 0, "sem_init");
	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, gated_apply, &g));
	client_start(c, sc.p);
	actor_post(c, wl_cmd_call);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(last_applied(&g.log, s->a_tid), UI);
	/* Reply and park, one call: S keeps UI at the OS. */
	s->a_id = 11;
	actor_post(s, wl_cmd_reply_recv);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, 11);
	WAIT_BLOCKED(s, MIPC_WAIT_RECEIVE);
	/* A request that pushes on nothing: S lowers itself, its call
	 * stops. */
	atomic_store(&g.g_tid, (int)s->a_tid);
	SEND_OK(sc.sp, sc.p, MACH_MSG_TYPE_COPY_SEND, 1);
	ck_assert_msg(act_sem_wait(&g.g_in, ACT_BOUND_MS),
	    "the servicer did not lower itself: %s",
	    seq_text(&g.log, s->a_tid, b, sizeof(b)));
	/* Landed so far: UI, the first request's (LOW is in flight). */
	n = applied_to(&g.log, s->a_tid, seq, NELEM(seq));
	ck_assert_msg(n == 1 && seq[0] == UI, "servicer: applied %s",
	    seq_text(&g.log, s->a_tid, b, sizeof(b)));
	/* C's next request pushes on S (queued on P, S bound). */
	actor_post(c, wl_cmd_call);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(s->a_th, UI);
	ck_assert_msg(!actor_done(s), "the servicer's call went on");
	n = applied_to(&g.log, s->a_tid, seq, NELEM(seq));
	ck_assert_msg(n == 2 && seq[1] == UI,
	    "the raise waited for the servicer: applied %s, want %d, %d",
	    seq_text(&g.log, s->a_tid, b, sizeof(b)), UI, UI);
	/* S's lowering lands after C's raise: S puts the raise back. */
	sem_post(&g.g_go);
	VAL_EQ(WAIT_DONE(s), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 1);
	n = applied_to(&g.log, s->a_tid, seq, NELEM(seq));
	ck_assert_msg(n == 4 && seq[2] == LOW && seq[3] == UI,
	    "a stale lowering had the last word: applied %s",
	    seq_text(&g.log, s->a_tid, b, sizeof(b)));
	/* Serve the request; at the end, S lowers itself for good. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 10);
	s->a_id = 12;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, 12);
	AT_BASE(s->a_th);
	VAL_EQ(last_applied(&g.log, s->a_tid), LOW);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	wscene_end(&sc, 2);
	sem_destroy(&g.g_in);
	sem_destroy(&g.g_go);
}
END_TEST

/* ---- waiting for the next request ---------------------------------------- */

/*
 * The process's sched_yield, counted for one thread: this definition is
 * the one libmipc's objects link against in this test.
 */
static atomic_int yield_tid;
static atomic_uint yield_count;

int
sched_yield(void)
{
	if ((pid_t)syscall(SYS_gettid) == (pid_t)atomic_load(&yield_tid))
		atomic_fetch_add(&yield_count, 1);
	return (int)syscall(SYS_sched_yield);
}

/*
 * A servicer waiting for its next request spins, then sleeps; it never
 * yields.  Under a fair scheduler (EEVDF) each yield moves its deadline a
 * slice later, so once the request comes and raises it, the CPU hogs it
 * yielded to keep the CPU until the next tick (bench/inversion.c's
 * workloop kind: p99 4 ms for 500 us of work).  A plain receiver still
 * yields (the control: the count works).
 */
START_TEST(WL_os_servicer_waits_without_yielding)
{
	struct wscene sc;
	struct actor *s = &sc.as[0];
	mach_port_name_t q;
	msg_buf_t b;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	atomic_store(&yield_count, 0);
	atomic_store(&yield_tid, (int)s->a_tid);
	s->a_timeout = 20;
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_RCV_TIMED_OUT);
	VAL_EQ(atomic_load(&yield_count), 0);
	/* The control: a plain receive of this thread's yields. */
	q = tport_new(sc.sp, MACH_PORT_QLIMIT_DEFAULT);
	atomic_store(&yield_tid, (int)thread_tid());
	msg_fill(&b, MSG_FILL);
	KR_EQ(msg_call(sc.sp, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	          (mach_msg_size_t)sizeof(b), q, 20, MACH_PORT_NULL),
	    MACH_RCV_TIMED_OUT);
	atomic_store(&yield_tid, 0);
	ck_assert_msg(atomic_load(&yield_count) > 0,
	    "a plain receiver did not yield: the count does not work");
	KR_OK(mipc_port_destroy(sc.sp, q));
	wscene_end(&sc, 1);
}
END_TEST

static Suite *
workloop_os_suite(void)
{
	Suite *s = suite_create("workloop_os");
	TCase *tc = conf_tcase("WL_os_servicer");

	tcase_set_timeout(tc, 60);
	tcase_add_test(
	    tc, WL_os_servicer_keeps_its_request_priority_until_it_parks);
	tcase_add_test(
	    tc, WL_os_servicer_lowers_itself_returning_without_a_delivery);
	tcase_add_test(
	    tc, WL_os_raise_does_not_wait_for_a_thread_lowering_itself);
	tcase_add_test(tc, WL_os_servicer_waits_without_yielding);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(workloop_os_suite)
