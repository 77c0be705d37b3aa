/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_sched.c -- two threads' calls interleaved by a schedule the input
 * chooses, replayed deterministically (STYLE Rule 13's yield injection).
 *
 * Two persistent worker threads each run a program of operations on two
 * shared spaces: allocate, destroy, deallocate, mod_refs, extract and
 * insert rights across the spaces, set membership, messages carrying
 * rights (send, receive, send+receive, destroy), notification requests,
 * attributes, guards, destruct and space destruction; and priority
 * inheritance (issue 13): an RPC through the worker's special reply port
 * that blocks (with a timeout) in its send and its receive, base priority
 * and QoS changes of either worker, and watchports added and cleared; and
 * workloops (issue 14), one per space: attach, detach, receive and reply
 * through it (a bounded wait), re-enable, end, a floor, and destroy under
 * the other worker's binding.
 * Only one worker
 * runs at a time: it holds the baton, and at every yield point of the
 * engine (ipc_debug_yield: before a lock, inside a lock-free lookup,
 * between a ring reservation and its publication, between a dequeue's
 * copy and its claim, between a port's death and its drain, and between
 * operations) the schedule decides whether it passes the baton.  A point
 * that waits for the other thread (a busy lock, an earlier producer, a
 * grace period: IPC_YIELD_SPIN) always passes it.  The interleaving is
 * therefore a function of the input alone, and libFuzzer explores
 * interleavings as it explores programs.  A worker that blocks (an RPC's
 * bounded waits) keeps the baton while it sleeps: the other worker cannot
 * run, so the wait ends by its timeout, and the replies and admissions it
 * could get are those the other worker gave while it spun.
 *
 * Checked: every code is one of Mach's; no crash, sanitizer report or
 * broken engine invariant (ipc_require); no deadlock (both threads
 * waiting on each other aborts; a wait nobody can end aborts).  At the end,
 * with both threads done, every queue is drained into its space (received
 * rights land as names) and the rights are audited against the ports:
 * each port's send-right count equals the names holding a send right to
 * it (MACH.md H9), its send-once count equals the send-once names plus
 * the notification requests that name it, each receive right's port says
 * it lives under that name in that space, each set member is a receive
 * right of the set's space; neither worker waits for anything, and both
 * are at their base priority, pushed by nothing (a worker stops servicing
 * its workloop when its program ends).  Then the watchports are
 * cleared, both spaces are destroyed and, after mipc_quiesce(), no space,
 * port, set, message or table is left, and only the threads' own
 * turnstiles.
 *
 * Input layout (missing bytes read as zero):
 *   [0]      setup: qlimit of the first ports (bit 0: 1, else 5), which
 *            thread runs first (bit 1), a no-senders request armed at
 *            start (bit 2)
 *   [1], [2] program lengths of threads 0 and 1 (each mod MAX_OPS + 1)
 *   then     4-byte operations of thread 0, then of thread 1 (op_run;
 *            kind 15 with a high nibble 1-3 is an RPC, a base change, a
 *            watchport change: op_sync; 5, a workloop call: op_workloop)
 *   then     the schedule: each byte is how many yield points run before
 *            the baton passes (0 = at the next one); when it ends, the
 *            running thread keeps the baton until it finishes
 *
 * Includes core/internal.h for the yield hook and to audit the spaces'
 * tables and ports' counters at the end.
 */
#include "internal.h"
#include "harness.h"

#include <mipc/notify.h>
#include <mipc/sync.h>

#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS   24
#define NSLOTS    8
#define MAIN      2
#define MAX_SPINS 100000 /* baton passes with no progress: a deadlock */

struct op {
	uint8_t kind, a, b, c;
};

/* The world both programs act on; touched only by the baton holder. */
static mipc_space_t spaces[2];
static mach_port_name_t names[2][NSLOTS];

/* The scheduler. */
static __thread int self = -1;     /* 0, 1 in the workers; -1 elsewhere */
static uint32_t turn = MAIN;       /* (A) futex word: who holds the baton */
static uint32_t finished[2];       /* (baton) the worker's program ended */
static struct op prog[2][MAX_OPS]; /* (baton) the programs */
static unsigned int prog_n[2];     /* (baton) */
static const uint8_t *sched_bytes; /* (baton) the schedule */
static size_t sched_n, sched_pos;  /* (baton) */
static unsigned int countdown;     /* (baton) points before next switch */
static unsigned long spins_in_row; /* (baton) forced passes, no progress */
static pthread_t workers[2];
static mipc_thread_t worker_th[2];  /* (A) published before they run */
static uint32_t bounded[2];         /* (baton) in a wait with a timeout */
static mach_port_name_t srps[2][2]; /* (baton) worker x space: its SRP */
static mipc_workloop_t wls[2];      /* (baton) a workloop per space */
static int trace = -1;

static void
fail(const char *what, unsigned long value)
{
	fprintf(stderr, "fuzz_sched: %s (%#lx)\n", what, value);
	abort();
}

static long
futex(uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* Wait until the baton is ours. */
static void
baton_wait(uint32_t me)
{
	unsigned int spins = 0;
	uint32_t t;

	while ((t = ck_pr_load_32(&turn)) != me) {
		if (++spins < 64)
			ck_pr_stall();
		else
			(void)futex(&turn, FUTEX_WAIT_PRIVATE, t);
	}
	/* A: pairs with R in baton_pass: the previous holder's writes. */
	ck_pr_fence_acquire();
}

static void
baton_pass(uint32_t to)
{
	ck_pr_fence_release(); /* R: our writes before the next holder's */
	ck_pr_store_32(&turn, to);
	(void)futex(&turn, FUTEX_WAKE_PRIVATE, 3);
}

static void
switch_to_other(void)
{
	int me = self;

	baton_pass((uint32_t)(1 - me));
	baton_wait((uint32_t)me);
}

static unsigned int
next_countdown(void)
{
	if (sched_pos < sched_n)
		return sched_bytes[sched_pos++];
	return UINT32_MAX; /* the schedule ended: run to completion */
}

/* The engine's yield points, and ours between operations. */
static void
yield_hook(enum ipc_yield_point point)
{
	int me = self;

	if (me < 0)
		return; /* the main thread sets up and tears down alone */
	if (point == IPC_YIELD_SPIN) {
		/* A bounded wait (an RPC's) may outlive the other worker. */
		if (finished[1 - me] && bounded[me])
			return;
		if (finished[1 - me])
			fail("waits for a thread that has finished",
			    (unsigned)me);
		if (++spins_in_row > MAX_SPINS)
			fail("both threads wait for each other", (unsigned)me);
		if (trace)
			fprintf(stderr, "t%d waits for the other\n", me);
		switch_to_other();
		return;
	}
	spins_in_row = 0;
	if (finished[1 - me] || countdown == UINT32_MAX)
		return;
	if (countdown-- == 0) {
		countdown = next_countdown();
		if (trace)
			fprintf(stderr, "t%d yields at point %d\n", me, point);
		switch_to_other();
	}
}

/* ------------------------------------------------------------------ */
/* Return codes                                                        */

static void
check_kr(const char *call, kern_return_t kr)
{
	if (trace)
		fprintf(stderr, "t%d   %s: %#x\n", self, call, (unsigned)kr);
	if (!kern_code_ok(kr))
		fail(call, (unsigned long)(uint32_t)kr);
}

static void
check_mr(const char *call, mach_msg_return_t mr)
{
	if (trace)
		fprintf(stderr, "t%d   %s: %#x\n", self, call, (unsigned)mr);
	if (!mach_msg_code_ok(mr))
		fail(call, (unsigned long)(uint32_t)mr);
}

/* mipc_workloop_msg: mach_msg's codes, or the workloop's own (sync.h). */
static void
check_wl(const char *call, mach_msg_return_t mr)
{
	if (trace)
		fprintf(stderr, "t%d   %s: %#x\n", self, call, (unsigned)mr);
	if (!mach_msg_code_ok(mr) && mr != KERN_ALREADY_WAITING &&
	    mr != KERN_INVALID_ARGUMENT)
		fail(call, (unsigned long)(uint32_t)mr);
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */

static const mach_msg_type_name_t dest_disp[] = { MACH_MSG_TYPE_COPY_SEND,
	MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MOVE_SEND,
	MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_SEND_ONCE };
static const mach_msg_type_name_t reply_disp[] = { 0,
	MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_COPY_SEND,
	MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MOVE_SEND,
	MACH_MSG_TYPE_MOVE_SEND_ONCE };
static const mach_msg_type_name_t any_disp[] = { MACH_MSG_TYPE_MOVE_RECEIVE,
	MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND,
	MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	MACH_MSG_TYPE_MOVE_SEND_ONCE };
static const mach_msg_id_t notify_ids[] = { MACH_NOTIFY_DEAD_NAME,
	MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_PORT_DESTROYED,
	MACH_NOTIFY_SEND_POSSIBLE };
static const mach_port_right_t rights[] = { MACH_PORT_RIGHT_SEND,
	MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_SEND_ONCE,
	MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_DEAD_NAME };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct msgbuf {
	mach_msg_header_t h;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t d;
	uint8_t tail[96]; /* payload and the receive trailer */
};

/* Keep a received message's rights as names of the receiving space. */
static void
keep_received(int sp, const struct msgbuf *m, const struct op *o)
{
	if (MACH_PORT_VALID(m->h.msgh_remote_port))
		names[sp][o->b & (NSLOTS - 1)] = m->h.msgh_remote_port;
	if ((m->h.msgh_bits & MACH_MSGH_BITS_COMPLEX) &&
	    m->body.msgh_descriptor_count != 0 && MACH_PORT_VALID(m->d.name))
		names[sp][o->c & (NSLOTS - 1)] = m->d.name;
}

static void
op_send(int sp, const struct op *o, bool rcv_too)
{
	mipc_space_t s = spaces[sp];
	struct msgbuf m;
	mach_msg_type_name_t rd = reply_disp[(o->b >> 4) % NELEM(reply_disp)];
	mach_msg_option_t opt = MACH_SEND_MSG | MACH_SEND_TIMEOUT;
	mach_msg_size_t size = sizeof(m.h) + 8;
	mach_msg_return_t mr;

	memset(&m, 0, sizeof(m));
	m.h.msgh_remote_port = names[sp][(o->a >> 1) & (NSLOTS - 1)];
	m.h.msgh_local_port =
	    rd != 0 ? names[sp][o->b & (NSLOTS - 1)] : MACH_PORT_NULL;
	m.h.msgh_bits =
	    MACH_MSGH_BITS(dest_disp[(o->a >> 4) % NELEM(dest_disp)], rd);
	m.h.msgh_id = o->c;
	if (o->c & 0x80) {
		m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
		m.body.msgh_descriptor_count = 1;
		m.d.name = names[sp][o->c & (NSLOTS - 1)];
		m.d.disposition = any_disp[((o->c >> 3) & 7) % NELEM(any_disp)];
		m.d.type = MACH_MSG_PORT_DESCRIPTOR;
		size = sizeof(m.h) + sizeof(m.body) + sizeof(m.d);
	}
	if (o->c & 0x40)
		opt |= MACH_SEND_NOTIFY;
	if (rcv_too) {
		/* Send, then receive on the reply name, in one call. */
		opt |= MACH_RCV_MSG | MACH_RCV_TIMEOUT;
		mr = mipc_msg(s, &m.h, opt, size, sizeof(m),
		    names[sp][o->b & (NSLOTS - 1)], 0, MACH_PORT_NULL);
		check_mr("send+receive", mr);
		if (mr == MACH_MSG_SUCCESS)
			keep_received(sp, &m, o);
		return;
	}
	mr = mipc_msg(s, &m.h, opt, size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
	check_mr("send", mr);
}

static void
op_receive(int sp, const struct op *o)
{
	struct msgbuf m;
	mach_msg_option_t opt = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
	mach_msg_size_t rcv_size = sizeof(m);
	mach_msg_return_t mr;

	if (o->a & 0x10)
		rcv_size = sizeof(m.h) + 4; /* too small for most */
	if (o->a & 0x20)
		opt |= MACH_RCV_LARGE;
	memset(&m, 0, sizeof(m));
	mr = mipc_msg(spaces[sp], &m.h, opt, 0, rcv_size,
	    names[sp][(o->a >> 1) & (NSLOTS - 1)], 0, MACH_PORT_NULL);
	check_mr("receive", mr);
	if (mr != MACH_MSG_SUCCESS)
		return;
	if (o->a & 0x40)
		mipc_msg_destroy(spaces[sp], &m.h);
	else
		keep_received(sp, &m, o);
}

/* Priorities a base change picks from (XNU's bands, and beyond 63). */
static const int op_bases[] = { 4, 20, 31, 37, 47, 60, 63, 80 };

/*
 * The worker's special reply port in space sp, made in that space (its
 * current space for the call), or a fresh one when `fresh`.  The name also
 * goes to a slot, for the other operations to act on (destroy, move...).
 */
static mach_port_name_t
worker_srp(int sp, bool fresh, mach_port_name_t *slot)
{
	mipc_space_t prev;
	mach_port_name_t n = srps[self][sp];

	if (fresh || n == MACH_PORT_NULL) {
		prev = mipc_thread_set_space(spaces[sp]);
		n = thread_get_special_reply_port();
		(void)mipc_thread_set_space(prev);
		srps[self][sp] = n;
		*slot = n;
	}
	return n;
}

/*
 * The priority-inheritance operations (kind 15, high nibble 1-3):
 *   1  an RPC: send to a slot's right with the worker's SRP as
 *      MAKE_SEND_ONCE reply, then receive on it; send and receive wait
 *      1-4 ms (a full queue: a blocked sender; no reply yet: a client on
 *      its SRP, pushing);
 *   2  a base priority (or QoS) change of either worker;
 *   3  watchports of either worker: add one or two slots' rights, or
 *      clear.
 */
static void
op_sync(const struct op *o)
{
	int sp = o->a & 1;
	mipc_space_t s = spaces[sp];
	mipc_thread_t th = worker_th[o->b & 1];
	mach_port_name_t *slot = &names[sp][(o->a >> 1) & (NSLOTS - 1)];
	struct msgbuf m;
	mach_port_name_t srp, w[2];
	mach_msg_return_t mr;

	switch (o->kind >> 4) {
	case 1:
		srp = worker_srp(
		    sp, (o->c & 0x40) != 0, &names[sp][o->b & (NSLOTS - 1)]);
		memset(&m, 0, sizeof(m));
		m.h.msgh_remote_port = *slot;
		m.h.msgh_local_port = srp;
		m.h.msgh_bits =
		    MACH_MSGH_BITS((o->c & 0x80) ? MACH_MSG_TYPE_MAKE_SEND
		                                 : MACH_MSG_TYPE_COPY_SEND,
		        MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.h.msgh_id = o->c;
		bounded[self] = 1;
		mr = mipc_msg(s, &m.h,
		    MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_MSG |
		        MACH_RCV_TIMEOUT,
		    sizeof(m.h), sizeof(m), srp, 1 + (o->c & 3),
		    MACH_PORT_NULL);
		bounded[self] = 0;
		check_mr("rpc", mr);
		if (mr == MACH_MSG_SUCCESS)
			keep_received(sp, &m, o);
		break;
	case 2:
		if (o->c & 0x80)
			check_kr("set_qos",
			    mipc_thread_set_qos(th, (mipc_qos_t)(o->c % 7),
			        -(int)((o->c >> 3) & 0xf)));
		else
			check_kr("set_base_priority",
			    mipc_thread_set_base_priority(
			        th, op_bases[o->c % NELEM(op_bases)]));
		break;
	default:
		if (o->c & 1) {
			check_kr("clear_watchports",
			    mipc_thread_clear_watchports(th));
			break;
		}
		w[0] = *slot;
		w[1] = names[sp][o->c >> 5];
		check_kr("add_watchports",
		    mipc_thread_add_watchports(
		        th, s, w, 1 + ((o->c >> 1) & 1)));
		break;
	}
}

/*
 * The workloop operations (kind 0x5f).  The workloop is the space's, or
 * the one this worker services (a destroyed one stays its until it ends:
 * ipc_thread_self()->th_bound_wl).  c's low 3 bits choose:
 *   0, 1  attach, detach a slot's name
 *   2, 3  receive through it (3: after a reply to a slot's send-once
 *         right), waiting 0-3 ms (bit 3 of c: bounded)
 *   4     end
 *   5     destroy it -- only while the other worker services it (its
 *         binding keeps the handle valid for the other's interrupted
 *         calls) -- and make another (flags: b's bit 0)
 *   6     a floor    7  bind and re-enable only
 */
static void
op_workloop(const struct op *o)
{
	int sp = o->a & 1;
	mach_port_name_t *slot = &names[sp][(o->a >> 1) & (NSLOTS - 1)];
	struct ipc_workloop *bound = ipc_thread_self()->th_bound_wl, *other;
	mipc_workloop_t wl =
	    bound != NULL ? (mipc_workloop_t)(void *)bound : wls[sp];
	mach_msg_option_t opt = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
	mach_msg_timeout_t tmo = (o->c & 8) ? (o->c >> 4) & 3 : 0;
	struct msgbuf m;
	mach_msg_return_t mr;

	if (wl == NULL)
		return;
	memset(&m, 0, sizeof(m));
	switch (o->c & 7) {
	case 0:
		check_kr(
		    "workloop_attach", mipc_workloop_attach(wls[sp], *slot));
		break;
	case 1:
		check_kr(
		    "workloop_detach", mipc_workloop_detach(wls[sp], *slot));
		break;
	case 3:
		m.h.msgh_remote_port = names[sp][o->b & (NSLOTS - 1)];
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.h.msgh_size = sizeof(m.h);
		opt |= MACH_SEND_MSG | MACH_SEND_TIMEOUT;
		/* FALLTHROUGH */
	case 2:
		bounded[self] = tmo != 0;
		mr = mipc_workloop_msg(
		    wl, &m.h, opt, sizeof(m.h), sizeof(m), tmo);
		bounded[self] = 0;
		check_wl("workloop_msg", mr);
		if (mr == MACH_MSG_SUCCESS)
			keep_received(sp, &m, o);
		break;
	case 4:
		mipc_workloop_end(wl);
		break;
	case 5:
		/*
		 * Only under the other worker's binding, which keeps the
		 * handle valid for whatever call of its we interrupted; the
		 * slot is cleared before we call in (no yield point comes
		 * between), so it is destroyed once.
		 */
		other = ((struct ipc_thread *)(void *)worker_th[1 - self])
		            ->th_bound_wl;
		if (wls[sp] == NULL ||
		    (mipc_workloop_t)(void *)other != wls[sp])
			break;
		wl = wls[sp];
		wls[sp] = NULL;
		check_kr("workloop_destroy", mipc_workloop_destroy(wl));
		wl = NULL;
		check_kr("workloop_create",
		    mipc_workloop_create(spaces[sp],
		        (o->b & 1) ? MIPC_WORKLOOP_INHERIT_RT : 0, &wl));
		wls[sp] = wl;
		break;
	case 6:
		check_kr("workloop_set_min_priority",
		    mipc_workloop_set_min_priority(wls[sp], o->b & 63));
		break;
	default:
		check_wl(
		    "workloop_msg", mipc_workloop_msg(wl, NULL, 0, 0, 0, 0));
		break;
	}
}

static void
op_run(const struct op *o)
{
	int sp = o->a & 1, sp2 = (o->b >> 3) & 1;
	mipc_space_t s = spaces[sp], s2 = spaces[sp2];
	mach_port_name_t *slot = &names[sp][(o->a >> 1) & (NSLOTS - 1)];
	mach_port_name_t *slot2 = &names[sp2][o->b & (NSLOTS - 1)];
	mach_port_name_t n = MACH_PORT_NULL;
	mach_msg_type_name_t t;
	kern_return_t kr;

	switch (o->kind % 16) {
	case 0:
		kr = mipc_port_allocate(s,
		    (o->c & 1) ? MACH_PORT_RIGHT_PORT_SET
		               : MACH_PORT_RIGHT_RECEIVE,
		    &n);
		check_kr("allocate", kr);
		if (kr == KERN_SUCCESS)
			*slot = n;
		break;
	case 1:
		check_kr("destroy", mipc_port_destroy(s, *slot));
		break;
	case 2:
		check_kr("deallocate", mipc_port_deallocate(s, *slot));
		break;
	case 3:
		check_kr("mod_refs",
		    mipc_port_mod_refs(s, *slot,
		        rights[(o->c & 7) % NELEM(rights)],
		        (mach_port_delta_t)(int8_t)o->c >> 3));
		break;
	case 4:
		kr = mipc_port_extract_right(s, *slot,
		    any_disp[(o->a >> 4) % NELEM(any_disp)], s2, &n, &t);
		check_kr("extract_right", kr);
		if (kr == KERN_SUCCESS)
			*slot2 = n;
		break;
	case 5:
		check_kr("insert_right",
		    mipc_port_insert_right(s2, *slot2, s, *slot,
		        any_disp[(o->a >> 4) % NELEM(any_disp)]));
		break;
	case 6:
		if (o->c & 1)
			check_kr("extract_member",
			    mipc_port_extract_member(
			        s, *slot, names[sp][o->b & (NSLOTS - 1)]));
		else if (o->c & 2)
			check_kr("move_member",
			    mipc_port_move_member(
			        s, *slot, names[sp][o->b & (NSLOTS - 1)]));
		else
			check_kr("insert_member",
			    mipc_port_insert_member(
			        s, *slot, names[sp][o->b & (NSLOTS - 1)]));
		break;
	case 7:
		op_send(sp, o, false);
		break;
	case 8:
		op_receive(sp, o);
		break;
	case 9: {
		mach_port_name_t prev = MACH_PORT_NULL;

		kr = mipc_port_request_notification(s, *slot,
		    notify_ids[(o->a >> 4) % NELEM(notify_ids)], o->c & 3,
		    names[sp][o->b & (NSLOTS - 1)],
		    (o->b & 0x80) ? MACH_MSG_TYPE_MOVE_SEND_ONCE
		                  : MACH_MSG_TYPE_MAKE_SEND_ONCE,
		    &prev);
		check_kr("request_notification", kr);
		if (kr == KERN_SUCCESS && MACH_PORT_VALID(prev))
			names[sp][o->c & (NSLOTS - 1)] = prev;
		break;
	}
	case 10: {
		mach_port_urefs_t refs;
		mach_port_type_t type;
		mach_port_name_array_t nv;
		mach_port_type_array_t tv;
		mach_msg_type_number_t nn, nt;

		check_kr("get_refs",
		    mipc_port_get_refs(
		        s, *slot, rights[(o->c & 7) % NELEM(rights)], &refs));
		check_kr("type", mipc_port_type(s, *slot, &type));
		if (!(o->c & 8))
			break;
		kr = mipc_port_names(s, &nv, &nn, &tv, &nt);
		check_kr("names", kr);
		/* The arrays are the caller's memory (vm.c). */
		if (kr == KERN_SUCCESS && nn != 0) {
			mipc_vm_deallocate(mipc_thread_space(),
			    (vm_address_t)nv, nn * sizeof(*nv));
			mipc_vm_deallocate(mipc_thread_space(),
			    (vm_address_t)tv, nt * sizeof(*tv));
		}
		break;
	}
	case 11: {
		mach_port_limits_t lim = { .mpl_qlimit = (o->c & 7) };

		if (o->c & 8)
			check_kr("set_mscount",
			    mipc_port_set_mscount(s, *slot, o->c >> 4));
		else if (o->c & 16)
			check_kr("set_seqno",
			    mipc_port_set_seqno(s, *slot, o->c >> 5));
		else
			check_kr("set_attributes",
			    mipc_port_set_attributes(s, *slot,
			        MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
			        MACH_PORT_LIMITS_INFO_COUNT));
		break;
	}
	case 12:
		if (o->c & 1)
			check_kr("guard",
			    mipc_port_guard(s, *slot, 0x100 + (o->c >> 2),
			        (o->c >> 1) & 1));
		else
			check_kr("unguard",
			    mipc_port_unguard(s, *slot, 0x100 + (o->c >> 2)));
		break;
	case 13:
		check_kr("destruct",
		    mipc_port_destruct(s, *slot, -(mach_port_delta_t)(o->c & 3),
		        (o->c & 4) ? 0x100 + (o->c >> 3) : 0));
		break;
	case 14:
		op_send(sp, o, true);
		break;
	default:
		if (o->kind >= 0x10 && o->kind < 0x40) {
			op_sync(o);
			break;
		}
		if (o->kind == 0x5f) {
			op_workloop(o);
			break;
		}
		/* Rare on purpose: a space's death ends most of the game. */
		if (o->c == 0xd1)
			check_kr("space_destroy", mipc_space_destroy(s));
		else
			op_send(sp, o, false);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Workers                                                             */

static void *
worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	unsigned int i;

	/* Before self is set: its yield points are not the schedule's. */
	ck_pr_store_ptr(&worker_th[me], mipc_thread_self());
	self = me;
	for (;;) {
		baton_wait((uint32_t)me);
		for (i = 0; i < prog_n[me]; i++) {
			if (trace)
				fprintf(stderr, "t%d op %u: %u %#x %#x %#x\n",
				    me, i, prog[me][i].kind % 16, prog[me][i].a,
				    prog[me][i].b, prog[me][i].c);
			op_run(&prog[me][i]);
			yield_hook(IPC_YIELD_BETWEEN);
		}
		/* A servicer stops servicing when its program ends. */
		if (ipc_thread_self()->th_bound_wl != NULL)
			mipc_workloop_end(
			    (mipc_workloop_t)(void *)ipc_thread_self()
			        ->th_bound_wl);
		finished[me] = 1;
		baton_pass(finished[1 - me] ? MAIN : (uint32_t)(1 - me));
	}
	return NULL;
}

static void
start_workers(void)
{
	static bool started;
	int i;

	if (started)
		return;
	started = true;
	trace = getenv("MIPC_FUZZ_TRACE") != NULL;
	mipc_set_guard_handler(harness_guard_ignore, NULL);
	ipc_yield_hook = yield_hook;
	for (i = 0; i < 2; i++) {
		if (pthread_create(
		        &workers[i], NULL, worker, (void *)(intptr_t)i) != 0)
			fail("pthread_create", (unsigned long)i);
		(void)pthread_detach(workers[i]);
	}
	for (i = 0; i < 2; i++) {
		while (ck_pr_load_ptr(&worker_th[i]) == NULL)
			sched_yield();
		/* A: the worker's state before we use its handle. */
		ck_pr_fence_acquire();
	}
}

/* ------------------------------------------------------------------ */
/* World setup and the final audit                                     */

static void
setup(uint8_t flags)
{
	mach_port_limits_t lim = { .mpl_qlimit = (flags & 1) ? 1 : 5 };
	mach_port_name_t prev;
	mach_msg_type_name_t t;
	int sp, i;

	memset(names, 0, sizeof(names));
	memset(srps, 0, sizeof(srps));
	/* The same start every replay: both workers at the default base. */
	for (i = 0; i < 2; i++) {
		if (mipc_thread_set_base_priority(worker_th[i], 31) !=
		    KERN_SUCCESS)
			fail("reset base priority", (unsigned long)i);
	}
	for (sp = 0; sp < 2; sp++) {
		if (mipc_space_create(&spaces[sp]) != KERN_SUCCESS)
			fail("mipc_space_create", 0);
		/* Slots 0-2: receive rights with a send right; 3: a set. */
		for (i = 0; i < 3; i++) {
			if (mipc_port_allocate_init(spaces[sp],
			        MIPC_PORT_INIT_MAKE_SEND_RIGHT |
			            MIPC_PORT_INIT_MESSAGE_QUEUE,
			        &names[sp][i]) != KERN_SUCCESS)
				fail("allocate_init", 0);
		}
		(void)mipc_port_set_attributes(spaces[sp], names[sp][0],
		    MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
		    MACH_PORT_LIMITS_INFO_COUNT);
		if (mipc_port_allocate(spaces[sp], MACH_PORT_RIGHT_PORT_SET,
		        &names[sp][3]) != KERN_SUCCESS)
			fail("allocate set", 0);
		(void)mipc_port_insert_member(
		    spaces[sp], names[sp][2], names[sp][3]);
	}
	/* Slots 4-5: send rights to the other space's first two ports. */
	for (sp = 0; sp < 2; sp++) {
		for (i = 0; i < 2; i++) {
			if (mipc_port_extract_right(spaces[1 - sp],
			        names[1 - sp][i], MACH_MSG_TYPE_MAKE_SEND,
			        spaces[sp], &names[sp][4 + i],
			        &t) != KERN_SUCCESS)
				fail("extract_right", 0);
		}
	}
	for (sp = 0; sp < 2; sp++) {
		if (mipc_workloop_create(spaces[sp], 0, &wls[sp]) !=
		    KERN_SUCCESS)
			fail("workloop_create", (unsigned long)sp);
	}
	if (flags & 4) {
		/* A no-senders request on space 0's port 1, told to port 2. */
		if (mipc_port_request_notification(spaces[0], names[0][1],
		        MACH_NOTIFY_NO_SENDERS, 0, names[0][2],
		        MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev) != KERN_SUCCESS)
			fail("request_notification", 0);
	}
}

/*
 * The name table of space sp, NULL once destroyed.  Both threads are done:
 * the space cannot change under us, so no epoch section is needed.
 */
static struct ipc_table *
table_of(int sp)
{
	struct mipc_space *s = ipc_space_lookup(spaces[sp]);

	return s != NULL ? s->is_table : NULL;
}

/* Receive every queued message into its space, until none is left. */
static void
drain_all(void)
{
	bool any = true;
	int rounds = 0, sp;
	uint32_t i;

	while (any) {
		if (++rounds > 1000)
			fail("messages keep coming while draining", 0);
		any = false;
		for (sp = 0; sp < 2; sp++) {
			struct ipc_table *tb = table_of(sp);

			if (tb == NULL)
				continue;
			for (i = 1; i < tb->it_size; i++) {
				uint32_t bits = tb->it_entries[i].ie_bits;
				struct msgbuf m;
				mach_msg_return_t mr;

				if (!(IE_BITS_TYPE(bits) &
				        MACH_PORT_TYPE_RECEIVE))
					continue;
				memset(&m, 0, sizeof(m));
				mr = mipc_msg(spaces[sp], &m.h,
				    MACH_RCV_MSG | MACH_RCV_TIMEOUT |
				        MACH_RCV_LARGE,
				    0, sizeof(m),
				    MACH_PORT_MAKE(i, IE_BITS_GEN(bits)), 0,
				    MACH_PORT_NULL);
				if (mr == MACH_RCV_TIMED_OUT)
					continue;
				if (mr != MACH_MSG_SUCCESS)
					fail("drain receive", (uint32_t)mr);
				any = true;
				/* The table may have grown: start over. */
				tb = table_of(sp);
			}
		}
	}
}

#define MAX_PORTS 256

struct tally {
	struct ipc_port *port;
	uint32_t send_names, sonce;
};

static struct tally tallies[MAX_PORTS];
static unsigned int ntallies;

static struct tally *
tally_of(struct ipc_port *p)
{
	unsigned int i;

	for (i = 0; i < ntallies; i++) {
		if (tallies[i].port == p)
			return &tallies[i];
	}
	if (ntallies == MAX_PORTS)
		fail("too many ports to audit", ntallies);
	tallies[ntallies].port = p;
	tallies[ntallies].send_names = 0;
	tallies[ntallies].sonce = 0;
	return &tallies[ntallies++];
}

static void
tally_requests(struct ipc_port *p)
{
	struct ipc_request_table *rt = p->ip_requests;
	uint32_t i;

	if (p->ip_nsrequest != NULL)
		tally_of(p->ip_nsrequest->inr_port)->sonce++;
	if (p->ip_pdrequest != NULL)
		tally_of(p->ip_pdrequest->inr_port)->sonce++;
	if (rt == NULL)
		return;
	for (i = 1; i < rt->irt_size; i++) {
		const struct ipc_port_request *r = &rt->irt_req[i];

		if (!(r->ipr_flags & IPR_FREE) && r->ipr_req.inr_port != NULL)
			tally_of(r->ipr_req.inr_port)->sonce++;
	}
}

/* Both threads are done and the queues are empty: audit every right. */
static void
audit(void)
{
	int sp;
	uint32_t i;

	ntallies = 0;
	for (sp = 0; sp < 2; sp++) {
		struct ipc_table *tb = table_of(sp);

		if (tb == NULL)
			continue;
		for (i = 1; i < tb->it_size; i++) {
			const struct ipc_entry *e = &tb->it_entries[i];
			uint32_t type = IE_BITS_TYPE(e->ie_bits);
			mach_port_name_t name =
			    MACH_PORT_MAKE(i, IE_BITS_GEN(e->ie_bits));
			struct ipc_port *p;

			if (type == 0 || (type & MACH_PORT_TYPE_PORT_SET))
				continue;
			if (type & MACH_PORT_TYPE_DEAD_NAME) {
				if (e->ie_object != NULL)
					fail("a dead name holds an object",
					    name);
				continue;
			}
			p = ip_from_object(e->ie_object);
			if (p == NULL)
				fail("a right without its port", name);
			if ((type & MACH_PORT_TYPE_SEND) &&
			    IE_BITS_UREFS(e->ie_bits) == 0)
				fail("a send right with no user reference",
				    name);
			if (type & MACH_PORT_TYPE_SEND)
				tally_of(p)->send_names++;
			if (type & MACH_PORT_TYPE_SEND_ONCE)
				tally_of(p)->sonce++;
			if (type & MACH_PORT_TYPE_RECEIVE) {
				(void)tally_of(p);
				if (p->ip_receiver !=
				        ipc_space_lookup(spaces[sp]) ||
				    p->ip_receiver_name != name)
					fail("a receive right's port lives "
					     "elsewhere",
					    name);
			}
		}
	}
	/* Requests hold send-once rights too; count them before checking. */
	for (i = 0; i < ntallies; i++)
		tally_requests(tallies[i].port);
	for (i = 0; i < ntallies; i++) {
		struct ipc_port *p = tallies[i].port;

		if (p->ip_srights != tallies[i].send_names) {
			fprintf(stderr, "port %p: srights %u, send names %u\n",
			    (void *)p, p->ip_srights, tallies[i].send_names);
			fail("send-right count differs from the names (H9)",
			    p->ip_srights);
		}
		if (p->ip_sorights != tallies[i].sonce) {
			fprintf(stderr, "port %p: sorights %u, holders %u\n",
			    (void *)p, p->ip_sorights, tallies[i].sonce);
			fail("send-once count differs from its holders",
			    p->ip_sorights);
		}
	}
}

/*
 * Both workers are idle (waiting for the baton, in no mipc call): neither
 * waits on anything, and no push is left on either -- nor on us.
 */
static void
audit_priorities(void)
{
	struct mipc_thread_priority p;
	struct mipc_wait_info w;
	int i;

	for (i = 0; i < 3; i++) {
		mipc_thread_t th = i < 2 ? worker_th[i] : mipc_thread_self();

		if (mipc_thread_get_priority(th, &p) != KERN_SUCCESS ||
		    mipc_thread_wait_info(th, &w) != KERN_SUCCESS)
			fail("a live thread's handle", (unsigned long)i);
		if (w.wait_kind != MIPC_WAIT_NONE)
			fail(
			    "an idle thread waits", (unsigned long)w.wait_kind);
		if (p.effective != p.base || p.promotion != 0) {
			fprintf(stderr,
			    "thread %d: effective %u base %u promotion %u\n", i,
			    p.effective, p.base, p.promotion);
			fail("a push outlived its reason", (unsigned long)i);
		}
	}
}

static void
teardown(void)
{
	struct mipc_stats st;
	int sp;

	/* The workers keep running: their watchports must not. */
	for (sp = 0; sp < 2; sp++) {
		if (mipc_thread_clear_watchports(worker_th[sp]) != KERN_SUCCESS)
			fail("clear watchports", (unsigned long)sp);
	}
	for (sp = 0; sp < 2; sp++) {
		kern_return_t kr = mipc_space_destroy(spaces[sp]);

		if (kr != KERN_SUCCESS && kr != KERN_INVALID_TASK)
			fail("mipc_space_destroy", (uint32_t)kr);
		/* Nobody services it any more: destroy frees it. */
		if (wls[sp] != NULL &&
		    mipc_workloop_destroy(wls[sp]) != KERN_SUCCESS)
			fail("workloop_destroy", (unsigned long)sp);
		wls[sp] = NULL;
	}
	/* Switching spaces (worker_srp) makes the default space exist. */
	mipc_default_space_reset();
	harness_check_no_leaks("fuzz_sched");
	mipc_get_stats(&st);
	if (trace)
		fprintf(stderr, "turnstile walks so far %llu\n",
		    (unsigned long long)st.ts_walks);
	if (st.turnstiles != st.threads) {
		fprintf(stderr, "fuzz_sched: %llu turnstiles, %llu threads\n",
		    (unsigned long long)st.turnstiles,
		    (unsigned long long)st.threads);
		fail("turnstiles left beyond the threads' own", st.turnstiles);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[3] = { 0, 0, 0 };
	size_t pos, k;
	int t;
	unsigned int i;

	start_workers();
	memcpy(hdr, data, size < 3 ? size : 3);
	pos = 3;
	for (t = 0; t < 2; t++) {
		prog_n[t] = hdr[1 + t] % (MAX_OPS + 1);
		memset(prog[t], 0, sizeof(prog[t]));
		for (i = 0; i < prog_n[t]; i++) {
			for (k = 0; k < 4; k++, pos++) {
				((uint8_t *)&prog[t][i])[k] =
				    pos < size ? data[pos] : 0;
			}
		}
	}
	sched_bytes = data + (pos < size ? pos : size);
	sched_n = pos < size ? size - pos : 0;
	sched_pos = 0;
	countdown = next_countdown();
	spins_in_row = 0;
	finished[0] = finished[1] = 0;

	ipc_space_seed_set(0x9e3779b9u); /* the same names every replay */
	setup(hdr[0]);
	baton_pass((hdr[0] & 2) ? 1 : 0);
	baton_wait(MAIN);

	drain_all();
	audit();
	audit_priorities();
	teardown();
	return 0;
}
