/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * turnstile.c -- priority inheritance against the other side at every
 * yield point (tests/interleave.h; TURNSTILES.md 3.2 races 2 and 5):
 *
 *   - a client blocking on its special reply port (setting W, computing
 *     its inheritor from the link) against the server copying the request
 *     out (the link PORT -> NO_LINKAGE): whenever the server's receive
 *     returns, the push is gone -- never a stale push on the destination;
 *   - a sender blocking on a full port against a receiver dequeuing: the
 *     sender gets in, and the push is gone once the receive returns.
 *
 * The push is observed on a thread T watching the destination (send case
 * 3).  Each interleaving ends with every priority at base and only the
 * threads' own turnstiles alive.
 *
 * The blocking call cannot end without the other side, so when the sweep
 * has passed the last yield point before the call sleeps, a rescuer
 * thread runs the other side once the call is asleep (its wait_info says
 * blocked and /proc says it sleeps); the other side runs once, whoever
 * starts it.  Either order is an interleaving the engine must handle:
 * the assertions do not depend on which.
 *
 * Includes core/internal.h for the yield hook (interleave.h).
 */
#include "check_mipc.h"

#include "internal.h"

#include "interleave.h"

#include <errno.h>
#include <mipc/sync.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOW               4
#define UI                47
#define CLIENT_TIMEOUT_MS 20000 /* a bound only: the other side always runs */

typedef struct {
	mach_msg_header_t h;
	char body[16];
	mach_msg_max_trailer_t t;
} msgbuf_t;

/* ---- the watcher ---------------------------------------------------------- */

static struct {
	pthread_t pt;
	mipc_thread_t th;
	sem_t ready, release;
} watcher;

static void *
watcher_main(void *arg)
{
	(void)arg;
	watcher.th = mipc_thread_self();
	mipc_thread_retain(watcher.th);
	(void)mipc_thread_set_base_priority(watcher.th, LOW);
	sem_post(&watcher.ready);
	while (sem_wait(&watcher.release) != 0 && errno == EINTR)
		;
	return NULL;
}

static void
watcher_start(void)
{
	ck_assert_int_eq(sem_init(&watcher.ready, 0, 0), 0);
	ck_assert_int_eq(sem_init(&watcher.release, 0, 0), 0);
	ck_assert_int_eq(
	    pthread_create(&watcher.pt, NULL, watcher_main, NULL), 0);
	while (sem_wait(&watcher.ready) != 0 && errno == EINTR)
		;
}

static void
watcher_end(void)
{
	sem_post(&watcher.release);
	ck_assert_int_eq(pthread_join(watcher.pt, NULL), 0);
	mipc_thread_release(watcher.th);
	sem_destroy(&watcher.ready);
	sem_destroy(&watcher.release);
}

static struct mipc_thread_priority
pri_of(mipc_thread_t th)
{
	struct mipc_thread_priority p;

	ck_assert_int_eq(mipc_thread_get_priority(th, &p), KERN_SUCCESS);
	return p;
}

/* Nothing pushes on th. */
static bool
at_base(mipc_thread_t th)
{
	struct mipc_thread_priority p = pri_of(th);

	return p.effective == p.base && p.promotion == 0;
}

static void
turnstiles_are_threads(unsigned nth)
{
	struct mipc_stats s;

	mipc_quiesce();
	mipc_get_stats(&s);
	ck_assert_msg(s.turnstiles == s.threads,
	    "yield %u: %llu turnstiles for %llu threads", nth,
	    (unsigned long long)s.turnstiles, (unsigned long long)s.threads);
}

static mach_port_name_t
port_new(mach_port_msgcount_t qlimit)
{
	mach_port_options_t o = { .flags = MPO_INSERT_SEND_RIGHT | MPO_QLIMIT,
		.mpl = { .mpl_qlimit = qlimit } };
	mach_port_name_t n = MACH_PORT_NULL;

	ck_assert_int_eq(
	    mach_port_construct(mach_task_self(), &o, 0, &n), KERN_SUCCESS);
	return n;
}

/* ---- the other side, run once by whoever comes first ---------------------- */

struct once {
	void (*o_fn)(void *);
	void *o_arg;
	uint32_t o_state; /* (A) 0: not started */
};

static void
once_run(void *arg)
{
	struct once *o = arg;

	if (ck_pr_fas_32(&o->o_state, 1) == 0)
		o->o_fn(o->o_arg);
}

static bool
tid_sleeping(pid_t tid)
{
	char path[64], line[512];
	const char *p;
	FILE *f;
	bool r = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fgets(line, sizeof(line), f) != NULL) {
		p = strrchr(line, ')');
		r = p != NULL && p[1] == ' ' && (p[2] == 'S' || p[2] == 'D');
	}
	fclose(f);
	return r;
}

/* The rescuer: runs the other side once the blocking call sleeps. */
struct rescue {
	pthread_t r_pt;
	struct once *r_once;
	mipc_thread_t r_th;
	pid_t r_tid;
	uint32_t r_kind;
};

static bool
asleep_in(struct rescue *r)
{
	struct mipc_wait_info w;

	return mipc_thread_wait_info(r->r_th, &w) == KERN_SUCCESS &&
	    w.wait_kind == r->r_kind && tid_sleeping(r->r_tid);
}

static void *
rescuer_main(void *arg)
{
	struct rescue *r = arg;
	struct timespec nap = { 0, 1000000 };
	int i;

	for (i = 0; i < 20000 && !ck_pr_load_32(&r->r_once->o_state); i++) {
		if (asleep_in(r)) {
			nanosleep(&nap, NULL);
			if (asleep_in(r)) {
				once_run(r->r_once);
				break;
			}
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

static void
rescuer_start(struct rescue *r, struct once *o, uint32_t kind)
{
	r->r_once = o;
	r->r_th = mipc_thread_self();
	r->r_tid = (pid_t)syscall(SYS_gettid);
	r->r_kind = kind;
	ck_assert_int_eq(pthread_create(&r->r_pt, NULL, rescuer_main, r), 0);
}

static void
rescuer_join(struct rescue *r)
{
	ck_assert_int_eq(pthread_join(r->r_pt, NULL), 0);
}

/* ---- race 2: the client blocks on its SRP / the server copies out ---------- */

struct rpc {
	mach_port_name_t p, srp;
	mach_msg_return_t client_mr, server_mr, reply_mr;
	mach_msg_id_t reply_id;
	bool pushed_before, server_saw_base;
};

static void
client_call(void *arg)
{
	struct rpc *x = arg;
	msgbuf_t m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_remote_port = x->p;
	m.h.msgh_local_port = x->srp;
	m.h.msgh_id = 1;
	x->client_mr =
	    mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	        sizeof(m.h) + sizeof(m.body), sizeof(m), x->srp,
	        CLIENT_TIMEOUT_MS, MACH_PORT_NULL);
	x->reply_id = m.h.msgh_id;
}

/* The server: takes the request (waiting for it if need be), replies. */
static void
server_copyout(void *arg)
{
	struct rpc *x = arg;
	mach_port_name_t so;
	msgbuf_t m;

	x->pushed_before = !at_base(watcher.th);
	memset(&m, 0, sizeof(m));
	x->server_mr = mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    sizeof(m), x->p, 5000, MACH_PORT_NULL);
	if (x->server_mr != MACH_MSG_SUCCESS)
		return;
	/* The link is broken now: no push may be left on T (N1). */
	x->server_saw_base = at_base(watcher.th);
	so = m.h.msgh_remote_port;
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_remote_port = so;
	m.h.msgh_id = 2;
	x->reply_mr = mach_msg(&m.h, MACH_SEND_MSG, sizeof(m.h), 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

START_TEST(srp_block_races_server_copyout)
{
	mipc_space_t task = mipc_thread_space();
	mipc_thread_t me = mipc_thread_self();
	unsigned int nth, reached_n = 0, pushed_n = 0;
	bool reached = true;

	watcher_start();
	ck_assert_int_eq(mipc_thread_set_base_priority(me, UI), KERN_SUCCESS);
	for (nth = 1; reached; nth++) {
		struct rescue r;
		struct once o;
		struct rpc x;

		memset(&x, 0, sizeof(x));
		x.p = port_new(MACH_PORT_QLIMIT_DEFAULT);
		x.srp = thread_get_special_reply_port();
		ck_assert_int_eq(
		    mipc_thread_add_watchports(watcher.th, task, &x.p, 1),
		    KERN_SUCCESS);
		o.o_fn = server_copyout;
		o.o_arg = &x;
		o.o_state = 0;
		rescuer_start(&r, &o, MIPC_WAIT_SRP_REPLY);
		reached = interleave_at(nth, client_call, &x, once_run, &o);
		rescuer_join(&r);
		reached_n += reached;
		pushed_n += x.pushed_before;
		ck_assert_msg(x.server_mr == MACH_MSG_SUCCESS,
		    "yield %u: server receive %#x", nth, x.server_mr);
		ck_assert_msg(x.server_saw_base,
		    "yield %u: a push outlived the server's copy-out", nth);
		ck_assert_int_eq(x.reply_mr, MACH_MSG_SUCCESS);
		ck_assert_msg(
		    x.client_mr == MACH_MSG_SUCCESS && x.reply_id == 2,
		    "yield %u: client %#x, reply id %d", nth, x.client_mr,
		    x.reply_id);
		ck_assert_msg(
		    at_base(watcher.th), "yield %u: T still pushed", nth);
		ck_assert_int_eq(pri_of(me).effective, UI);
		ck_assert_int_eq(
		    mipc_thread_clear_watchports(watcher.th), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_destroy(task, x.p), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_destroy(task, x.srp), KERN_SUCCESS);
		turnstiles_are_threads(nth);
	}
	ck_assert_msg(reached_n > 5, "only %u yield points", reached_n);
	/* The other side found the push in place at least once. */
	ck_assert_msg(pushed_n > 0, "never pushed in %u interleavings", nth);

	ck_assert_int_eq(mipc_thread_set_base_priority(me, 31), KERN_SUCCESS);
	watcher_end();
}
END_TEST

/* ---- race 5: a sender blocks on a full port / a receiver dequeues ---------- */

struct full {
	mach_port_name_t p;
	mach_msg_return_t send_mr, rcv_mr;
	mach_msg_id_t rcv_id;
	bool pushed_before, receiver_saw_base;
};

#define SENDER_TIMEOUT_MS 20000

static void
sender_call(void *arg)
{
	struct full *x = arg;
	msgbuf_t m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = x->p;
	m.h.msgh_id = 2;
	x->send_mr = mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	    sizeof(m.h) + sizeof(m.body), 0, MACH_PORT_NULL, SENDER_TIMEOUT_MS,
	    MACH_PORT_NULL);
}

static void
receiver_dequeue(void *arg)
{
	struct full *x = arg;
	msgbuf_t m;

	x->pushed_before = !at_base(watcher.th);
	memset(&m, 0, sizeof(m));
	x->rcv_mr = mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    sizeof(m), x->p, 0, MACH_PORT_NULL);
	x->rcv_id = m.h.msgh_id;
	/* The room went to the sender (blocked or not): no push left. */
	x->receiver_saw_base = at_base(watcher.th);
}

START_TEST(sender_block_races_receiver_dequeue)
{
	mipc_space_t task = mipc_thread_space();
	mipc_thread_t me = mipc_thread_self();
	unsigned int nth, reached_n = 0, pushed_n = 0;
	bool reached = true;

	watcher_start();
	ck_assert_int_eq(mipc_thread_set_base_priority(me, UI), KERN_SUCCESS);
	for (nth = 1; reached; nth++) {
		struct rescue r;
		struct once o;
		struct full x;
		msgbuf_t m;

		memset(&x, 0, sizeof(x));
		x.p = port_new(1);
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m.h.msgh_remote_port = x.p;
		m.h.msgh_id = 1;
		ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m.h), 0,
		                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert_int_eq(
		    mipc_thread_add_watchports(watcher.th, task, &x.p, 1),
		    KERN_SUCCESS);
		o.o_fn = receiver_dequeue;
		o.o_arg = &x;
		o.o_state = 0;
		rescuer_start(&r, &o, MIPC_WAIT_SEND_FULL);
		reached = interleave_at(nth, sender_call, &x, once_run, &o);
		rescuer_join(&r);
		reached_n += reached;
		pushed_n += x.pushed_before;
		ck_assert_msg(x.rcv_mr == MACH_MSG_SUCCESS && x.rcv_id == 1,
		    "yield %u: receive %#x id %d", nth, x.rcv_mr, x.rcv_id);
		ck_assert_msg(x.receiver_saw_base,
		    "yield %u: a push outlived the dequeue", nth);
		ck_assert_msg(x.send_mr == MACH_MSG_SUCCESS,
		    "yield %u: send %#x", nth, x.send_mr);
		memset(&m, 0, sizeof(m));
		ck_assert_int_eq(mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		                     0, sizeof(m), x.p, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert_int_eq(m.h.msgh_id, 2);
		ck_assert_msg(
		    at_base(watcher.th), "yield %u: T still pushed", nth);
		ck_assert_int_eq(
		    mipc_thread_clear_watchports(watcher.th), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_destroy(task, x.p), KERN_SUCCESS);
		turnstiles_are_threads(nth);
	}
	ck_assert_msg(reached_n > 5, "only %u yield points", reached_n);
	/* The other side found the push in place at least once. */
	ck_assert_msg(pushed_n > 0, "never pushed in %u interleavings", nth);

	ck_assert_int_eq(mipc_thread_set_base_priority(me, 31), KERN_SUCCESS);
	watcher_end();
}
END_TEST

/* ---- the OS policy: a thread letting go of its hold ------------------------- */

/* The CUSTOM policy's calls: for whom, by whom, what. */
static struct os_call {
	pid_t oc_tid, oc_by;
	int oc_pri;
} os_calls[8];
static unsigned int os_ncalls;

static int
os_record(pid_t tid, int pri, void *ctx)
{
	(void)ctx;
	if (os_ncalls < 8)
		os_calls[os_ncalls++] =
		    (struct os_call){ tid, (pid_t)syscall(SYS_gettid), pri };
	return 0;
}

/*
 * Found by t_workloop_os under qemu: a workloop servicer letting go of
 * its hold (ipc_thread_os_hold, its reply returning with no delivery)
 * while another applier held its th_os_busy -- its client, woken by the
 * reply, walking it -- left its fall to that applier and returned still
 * raised at the OS, for as long as the applier took to run again.  It
 * lowers itself before it returns: its own call, made without
 * th_os_busy, leaving th_os_stale for the holder (whose own call may
 * land after it).  Here the holder is the test, th_os_busy set by hand.
 */
START_TEST(os_letgo_lowers_itself_while_another_applier_is_busy)
{
	struct ipc_thread *th = ipc_thread_self();
	uint8_t want = th->th_os_want, applied = th->th_os_applied;

	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, os_record, NULL),
	    KERN_SUCCESS);
	ipc_thread_os_hold(th, true);
	/* Raised at the OS; its effective has fallen meanwhile (held). */
	th->th_os_applied = UI;
	ck_pr_store_8(&th->th_os_want, LOW);
	/* Another applier's call is in flight. */
	ck_pr_store_32(&th->th_os_busy, 1);
	os_ncalls = 0;
	ipc_thread_os_hold(th, false);
	ck_assert_uint_eq(os_ncalls, 1);
	ck_assert_int_eq(os_calls[0].oc_tid, th->th_tid);
	ck_assert_int_eq(os_calls[0].oc_by, (pid_t)syscall(SYS_gettid));
	ck_assert_int_eq(os_calls[0].oc_pri, LOW);
	/* The holder will apply afresh after its release. */
	ck_assert_uint_eq(ck_pr_load_32(&th->th_os_stale), 1);
	ck_pr_store_32(&th->th_os_busy, 0);
	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL), KERN_SUCCESS);
	ck_pr_store_32(&th->th_os_stale, 0);
	ck_pr_store_8(&th->th_os_want, want);
	th->th_os_applied = applied;
}
END_TEST

static Suite *
turnstile_suite(void)
{
	Suite *s = suite_create("turnstile");
	TCase *tc = mipc_tcase("srp_block_vs_copyout");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, srp_block_races_server_copyout);
	suite_add_tcase(s, tc);
	tc = mipc_tcase("sender_block_vs_dequeue");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sender_block_races_receiver_dequeue);
	suite_add_tcase(s, tc);
	tc = mipc_tcase("os_policy");
	tcase_add_test(
	    tc, os_letgo_lowers_itself_while_another_applier_is_busy);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(turnstile_suite)
