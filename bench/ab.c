/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ab.c -- `make bench-ab`: is B (this tree's libmipc) slower than A (a
 * previous commit's)?  Both builds are loaded into one process and timed
 * case by case, chunk against chunk, so that the drift of a shared VM
 * (5x between minutes, PERF.md 1) falls on both alike.
 *
 * Owns:      the driver: its cases (each spelled as bench/msg.c and
 *            bench/rights.c spell theirs), the interleaved timing, the
 *            callgrind mode and its report.
 * Choices:   * Each libmipc is a shared library of its own, dlopen'ed
 *              RTLD_LOCAL: each has its own globals and thread state, and
 *              its internal calls bind to itself.  We call it only through
 *              the function table struct lib, filled by dlsym.  Plain C:
 *              no Google Benchmark, whose one-case-at-a-time runs are
 *              what the drift defeats.
 *            * Timing: a calibration (which also warms both) picks, per
 *              case, the operation count that takes A about --chunk-ms;
 *              then every round runs one chunk of each case with A and
 *              one with B, back to back, in the order A,B on even rounds
 *              and B,A on odd ones.  A chunk's figure is the median ns/op
 *              of its AB_SUBS sub-chunks, so one preemption costs one
 *              sub-chunk.  Reported per case: the medians and ranges of
 *              the chunks, and the median and range of the per-round
 *              ratios B/A, the number to trust.  An A/A run (BASE=HEAD
 *              with a clean tree) shows the noise floor: about +-4% on
 *              the shared 2-vCPU VM with BENCH_ISOLATE=1.
 *            * Threads as make bench places them (team.c): the main thread
 *              (client, receiver) on the first CPU of the mask, a partner
 *              (server, sender) on the second, started per chunk outside
 *              the timed part.
 *            * RPC: the client sends with its special reply port as the
 *              MAKE_SEND_ONCE reply in one SEND|RCV call (MACH.md S3, the
 *              path issue 13's turnstiles sit beside); the server replies
 *              MOVE_SEND_ONCE.  rpc_spin polls both sides with timeout 0,
 *              rpc_block blocks both; rpc_server's server is
 *              mach_msg_server on a workloop (make bench's "RPC
 *              mach_msg_server"), timed only: its loop is inside the
 *              library, where no phase wrapper reaches.
 *            * --callgrind: instruction counts, run under `valgrind
 *              --tool=callgrind --collect-atstart=no
 *              --toggle-collect=counted_*`.  Each operation is one call
 *              of a noinline counted_cg_<op>_<A|B> wrapper (one per
 *              library, so callgrind keeps them apart; -fno-ipa-icf keeps
 *              gcc from folding the twins); a wrapper's inclusive count
 *              divided by its calls is the count per operation.
 *              Cross-thread cases count each phase alone, the two threads
 *              alternating strictly through semaphores outside the
 *              wrappers (PERF.md 1), so no spin enters a count:
 *              deterministic.  rpc_block's client call is counted whole
 *              (send, its bounded spin, sleep, wake, receive) against a
 *              server that is not in a receive when the request comes (a
 *              woken server would race the client's spin) and takes it
 *              once /proc shows the client in futex(); its reply, which
 *              wakes the client, is counted.  Not counted: a send waking
 *              a sleeping receiver.  --callgrind-report=FILE reads
 *              callgrind's output (callgrind_annotate) and prints the
 *              table.  Valgrind has no rseq: both libraries take their
 *              caches' fallback paths.
 */
#include "team.h"

#include <mipc/mach.h>
#include <mipc/mipc.h>

#include <ck_pr.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MSG_BYTES     64
#define REQ_ID        4000
#define REPLY_ID      (REQ_ID + 100)
#define STOP_ID       (-1)
#define STREAM_QLIMIT 1024

#define NOINLINE __attribute__((noinline, noipa, used))

struct msg64 {
	mach_msg_header_t m_header;
	uint8_t m_body[MSG_BYTES - sizeof(mach_msg_header_t)];
};

struct msg64_rcv {
	struct msg64 r_msg;
	mach_msg_max_trailer_t r_trailer;
};

/* One libmipc: its handle, its calls, and the objects the cases use. */
struct lib {
	char l_tag;          /* 'A' or 'B' */
	const char *l_path;  /* the .so */
	const char *l_label; /* what it was built from */
	void *l_dl;
	__typeof__(mach_msg) *msg;
	__typeof__(mipc_space_create) *space_create;
	__typeof__(mipc_space_destroy) *space_destroy;
	__typeof__(mipc_thread_set_space) *set_space;
	__typeof__(mipc_port_construct) *construct;
	__typeof__(mipc_port_insert_right) *insert_right;
	__typeof__(mipc_port_allocate) *allocate;
	__typeof__(mipc_port_destroy) *destroy;
	__typeof__(mipc_port_get_refs) *get_refs;
	__typeof__(mipc_port_set_attributes) *set_attributes;
	__typeof__(thread_get_special_reply_port) *get_srp;
	__typeof__(mipc_quiesce) *quiesce;
	__typeof__(mipc_port_mod_refs) *mod_refs;
	__typeof__(mach_msg_server) *msg_server;
	kern_return_t (*get_stats)(struct mipc_stats *);

	mipc_space_t l_cs;          /* the client's (main thread's current) */
	mipc_space_t l_ss;          /* the server's, the sender's */
	mipc_space_t l_prev;        /* the main thread's before */
	mach_port_name_t l_self;    /* same thread: receive + send, in l_cs */
	mach_port_name_t l_service; /* receive in l_ss, send in l_cs */
	mach_port_name_t l_srp;     /* the main thread's special reply port */
	mach_port_name_t l_stream;  /* receive in l_cs, send in l_ss */
	uint64_t l_errors;          /* (A) any thread's */
};

static struct lib libs[2];

static void
lib_error(struct lib *l, uint64_t n)
{
	__atomic_add_fetch(&l->l_errors, n, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Loading and setup                                                   */

static const char *
lib_load(struct lib *l)
{
	static char why[512];

	l->l_dl = dlopen(l->l_path, RTLD_NOW | RTLD_LOCAL);
	if (l->l_dl == NULL) {
		snprintf(
		    why, sizeof(why), "dlopen %s: %s", l->l_path, dlerror());
		return why;
	}
#define SYM(field, name)                                                      \
	do {                                                                  \
		*(void **)&l->field = dlsym(l->l_dl, name);                   \
		if (l->field == NULL) {                                       \
			snprintf(why, sizeof(why), "%s has no %s", l->l_path, \
			    name);                                            \
			return why;                                           \
		}                                                             \
	} while (0)
	SYM(msg, "mach_msg");
	SYM(space_create, "mipc_space_create");
	SYM(space_destroy, "mipc_space_destroy");
	SYM(set_space, "mipc_thread_set_space");
	SYM(construct, "mipc_port_construct");
	SYM(insert_right, "mipc_port_insert_right");
	SYM(allocate, "mipc_port_allocate");
	SYM(destroy, "mipc_port_destroy");
	SYM(get_refs, "mipc_port_get_refs");
	SYM(set_attributes, "mipc_port_set_attributes");
	SYM(get_srp, "thread_get_special_reply_port");
	SYM(quiesce, "mipc_quiesce");
	SYM(mod_refs, "mipc_port_mod_refs");
	SYM(msg_server, "mach_msg_server");
	SYM(get_stats, "mipc_get_stats");
#undef SYM
	return NULL;
}

static kern_return_t
port_make(struct lib *l, mipc_space_t sp, bool send, mach_port_name_t *name)
{
	mach_port_options_t o;

	memset(&o, 0, sizeof(o));
	o.flags = send ? MPO_INSERT_SEND_RIGHT : 0;
	return l->construct(sp, &o, 0, name);
}

/*
 * A port whose receive right is rcv's and whose send right snd holds
 * under the same name.  The name may be taken in snd (its own ports, its
 * task name): try again with another port, keeping the refused ones until
 * the end -- a port destroyed at once gives its entry back, and the next
 * try would get the same index, refused again (the setup failed about one
 * run in three that way).
 */
static kern_return_t
port_shared(
    struct lib *l, mipc_space_t rcv, mipc_space_t snd, mach_port_name_t *name)
{
	mach_port_name_t refused[8];
	kern_return_t kr = KERN_FAILURE;
	int i, n;

	for (n = 0; n < 8; n++) {
		if ((kr = port_make(l, rcv, false, name)) != KERN_SUCCESS)
			break;
		kr = l->insert_right(
		    snd, *name, rcv, *name, MACH_MSG_TYPE_MAKE_SEND);
		if (kr == KERN_SUCCESS)
			break;
		refused[n] = *name;
	}
	for (i = 0; i < n; i++)
		(void)l->destroy(rcv, refused[i]);
	return kr;
}

static const char *
lib_setup(struct lib *l)
{
	mach_port_limits_t lim = { .mpl_qlimit = STREAM_QLIMIT };

	if (l->space_create(&l->l_cs) != KERN_SUCCESS ||
	    l->space_create(&l->l_ss) != KERN_SUCCESS)
		return "mipc_space_create";
	l->l_prev = l->set_space(l->l_cs);
	if (port_make(l, l->l_cs, true, &l->l_self) != KERN_SUCCESS)
		return "the same-thread port";
	if (port_shared(l, l->l_ss, l->l_cs, &l->l_service) != KERN_SUCCESS)
		return "the service port";
	if ((l->l_srp = l->get_srp()) == MACH_PORT_NULL)
		return "thread_get_special_reply_port";
	if (port_shared(l, l->l_cs, l->l_ss, &l->l_stream) != KERN_SUCCESS ||
	    l->set_attributes(l->l_cs, l->l_stream, MACH_PORT_LIMITS_INFO,
	        (mach_port_info_t)&lim,
	        MACH_PORT_LIMITS_INFO_COUNT) != KERN_SUCCESS)
		return "the stream port";
	return NULL;
}

static void
lib_teardown(struct lib *l)
{
	if (l->l_dl == NULL || l->l_cs == NULL)
		return;
	l->set_space(l->l_prev);
	l->space_destroy(l->l_cs);
	if (l->l_ss != NULL)
		l->space_destroy(l->l_ss);
	l->quiesce();
}

/* ------------------------------------------------------------------ */
/* The operations, spelled as bench/msg.c and bench/rights.c do        */

static void
header(mach_msg_header_t *h, mach_msg_bits_t bits, mach_port_name_t remote,
    mach_port_name_t local, mach_msg_id_t id)
{
	h->msgh_bits = bits;
	h->msgh_size = MSG_BYTES;
	h->msgh_remote_port = remote;
	h->msgh_local_port = local;
	h->msgh_voucher_port = MACH_PORT_NULL;
	h->msgh_id = id;
}

static mach_msg_return_t
op_send(struct lib *l, mach_port_name_t dest, struct msg64 *m)
{
	header(&m->m_header, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), dest,
	    MACH_PORT_NULL, REQ_ID);
	return l->msg(&m->m_header, MACH_SEND_MSG, MSG_BYTES, 0, MACH_PORT_NULL,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

static mach_msg_return_t
op_recv(struct lib *l, mach_port_name_t port, struct msg64_rcv *b, bool poll)
{
	return l->msg(&b->r_msg.m_header,
	    MACH_RCV_MSG | (poll ? MACH_RCV_TIMEOUT : 0), 0, sizeof(*b), port,
	    0, MACH_PORT_NULL);
}

static bool
op_port(struct lib *l)
{
	mach_port_name_t n = MACH_PORT_NULL;

	return l->allocate(l->l_cs, MACH_PORT_RIGHT_RECEIVE, &n) ==
	    KERN_SUCCESS &&
	    l->destroy(l->l_cs, n) == KERN_SUCCESS;
}

/* get_refs on a hot name (the name lookup row): l_self's send right. */
static bool
op_get_refs(struct lib *l)
{
	mach_port_urefs_t refs = 0;

	return l->get_refs(l->l_cs, l->l_self, MACH_PORT_RIGHT_SEND, &refs) ==
	    KERN_SUCCESS &&
	    refs == 1;
}

/* The client's SEND|RCV; with poll, a timeout-0 receive (may time out). */
static mach_msg_return_t
op_call(struct lib *l, struct msg64_rcv *b, bool poll)
{
	mach_msg_header_t *h = &b->r_msg.m_header;

	header(h,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    l->l_service, l->l_srp, REQ_ID);
	return l->msg(h,
	    MACH_SEND_MSG | MACH_RCV_MSG | (poll ? MACH_RCV_TIMEOUT : 0),
	    MSG_BYTES, sizeof(*b), l->l_srp, 0, MACH_PORT_NULL);
}

/* The server's reply to the request in b (MIG's msgh_id + 100). */
static mach_msg_return_t
op_reply(struct lib *l, struct msg64_rcv *b)
{
	mach_msg_header_t *h = &b->r_msg.m_header;

	header(h, MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
	    h->msgh_remote_port, MACH_PORT_NULL, REPLY_ID);
	return l->msg(h, MACH_SEND_MSG, MSG_BYTES, 0, MACH_PORT_NULL,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* ------------------------------------------------------------------ */
/* Timed cases                                                         */

/*
 * A chunk of n operations is timed as AB_SUBS sub-chunks, and its figure
 * is their median: a preemption or a neighbour's burst then costs one
 * sub-chunk, not the chunk.
 */
#define AB_SUBS 9

static uint64_t
sub_ops(uint64_t n)
{
	return n / AB_SUBS > 0 ? n / AB_SUBS : 1;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(const double *v, int n)
{
	double s[n];

	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(double), cmp_d);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static uint64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void
relax(void)
{
	ck_pr_stall();
}

struct partner {
	struct lib *p_lib;
	bool p_spin;      /* RPC: poll */
	uint64_t p_count; /* stream: messages to send */
	uint32_t p_gate;  /* stream: 1 go */
};

static void *
rpc_server(void *arg)
{
	struct partner *p = arg;
	struct lib *l = p->p_lib;
	struct msg64_rcv b;
	mach_msg_return_t mr;

	l->set_space(l->l_ss);
	for (;;) {
		while ((mr = op_recv(l, l->l_service, &b, p->p_spin)) ==
		    MACH_RCV_TIMED_OUT)
			relax();
		if (mr != MACH_MSG_SUCCESS) {
			lib_error(l, 1);
			break;
		}
		if (b.r_msg.m_header.msgh_id == STOP_ID)
			break;
		if (op_reply(l, &b) != MACH_MSG_SUCCESS)
			lib_error(l, 1);
	}
	l->set_space(NULL);
	return NULL;
}

static bool
rpc_once(struct lib *l, struct msg64_rcv *b, bool spin)
{
	mach_msg_return_t mr = op_call(l, b, spin);

	while (mr == MACH_RCV_TIMED_OUT) { /* spin: the request is sent */
		relax();
		mr = op_recv(l, l->l_srp, b, true);
	}
	return mr == MACH_MSG_SUCCESS && b->r_msg.m_header.msgh_id == REPLY_ID;
}

static double
run_rpc_on(struct lib *l, uint64_t n, bool spin, int rank)
{
	struct partner p = { .p_lib = l, .p_spin = spin };
	struct msg64 stop = { .m_body = { 0 } };
	struct msg64_rcv b;
	struct team t;
	uint64_t i, t0, bad = 0, m = sub_ops(n);
	double v[AB_SUBS];
	int k;

	if (team_pin_self(&t) != NULL ||
	    team_start(&t, rank, rpc_server, &p) != NULL) {
		team_join(&t);
		return -1;
	}
	for (i = 0; i < 64; i++)
		bad += !rpc_once(l, &b, spin);
	for (k = 0; k < AB_SUBS; k++) {
		t0 = now_ns();
		for (i = 0; i < m; i++)
			bad += !rpc_once(l, &b, spin);
		v[k] = (double)(now_ns() - t0) / (double)m;
	}
	header(&stop.m_header, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    l->l_service, MACH_PORT_NULL, STOP_ID);
	bad +=
	    l->msg(&stop.m_header, MACH_SEND_MSG, MSG_BYTES, 0, MACH_PORT_NULL,
	        MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL) != MACH_MSG_SUCCESS;
	team_join(&t);
	lib_error(l, bad);
	return median(v, AB_SUBS);
}

static double
run_rpc_spin(struct lib *l, uint64_t n)
{
	return run_rpc_on(l, n, true, TEAM_CROSS_CORE);
}

static double
run_rpc_block(struct lib *l, uint64_t n)
{
	return run_rpc_on(l, n, false, TEAM_CROSS_CORE);
}

/* make bench's "RPC blocking, 1 CPU": client and server share a CPU. */
static double
run_rpc_block_1cpu(struct lib *l, uint64_t n)
{
	return run_rpc_on(l, n, false, TEAM_SAME_CORE);
}

/*
 * rpc_server: make bench's "RPC mach_msg_server" -- the partner runs
 * mach_msg_server on a workloop, on a service port of the chunk's own,
 * which its demux destroys on STOP_ID (the loop then returns
 * MACH_RCV_PORT_CHANGED), as bench/msg.c's rpc_demux does.  The client's
 * calls are rpc_block's.  One case runs at a time: the demux finds its
 * library and port here.
 */
static struct lib *served_lib;
static mach_port_name_t served_port;

static boolean_t
served_demux(mach_msg_header_t *in, mach_msg_header_t *out)
{
	mig_reply_error_t *e = (mig_reply_error_t *)out;

	header(out, MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in->msgh_bits), 0),
	    in->msgh_remote_port, MACH_PORT_NULL, in->msgh_id + 100);
	if (in->msgh_id == STOP_ID) {
		(void)served_lib->mod_refs(
		    served_lib->l_ss, served_port, MACH_PORT_RIGHT_RECEIVE, -1);
		e->RetCode = MIG_NO_REPLY;
		return TRUE;
	}
	e->RetCode = in->msgh_id == REQ_ID ? KERN_SUCCESS : MIG_BAD_ID;
	return in->msgh_id == REQ_ID;
}

static void *
msg_server_main(void *arg)
{
	struct lib *l = arg;

	l->set_space(l->l_ss);
	if (l->msg_server(served_demux, MSG_BYTES, served_port, 0) !=
	    MACH_RCV_PORT_CHANGED)
		lib_error(l, 1);
	l->set_space(NULL);
	return NULL;
}

static double
run_rpc_server(struct lib *l, uint64_t n)
{
	struct msg64 stop = { .m_body = { 0 } };
	mach_port_name_t kept = l->l_service;
	struct msg64_rcv b;
	struct team t;
	uint64_t i, t0, bad = 0, m = sub_ops(n);
	double v[AB_SUBS], res = -1;
	int k;

	if (port_shared(l, l->l_ss, l->l_cs, &served_port) != KERN_SUCCESS) {
		lib_error(l, 1);
		return -1;
	}
	served_lib = l;
	l->l_service = served_port; /* op_call's destination */
	if (team_pin_self(&t) != NULL ||
	    team_start(&t, TEAM_CROSS_CORE, msg_server_main, l) != NULL) {
		team_join(&t);
		goto out;
	}
	for (i = 0; i < 64; i++)
		bad += !rpc_once(l, &b, false);
	for (k = 0; k < AB_SUBS; k++) {
		t0 = now_ns();
		for (i = 0; i < m; i++)
			bad += !rpc_once(l, &b, false);
		v[k] = (double)(now_ns() - t0) / (double)m;
	}
	header(&stop.m_header, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    served_port, MACH_PORT_NULL, STOP_ID);
	bad +=
	    l->msg(&stop.m_header, MACH_SEND_MSG, MSG_BYTES, 0, MACH_PORT_NULL,
	        MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL) != MACH_MSG_SUCCESS;
	team_join(&t);
	res = median(v, AB_SUBS);
out:
	/* The client's send right, now a dead name. */
	(void)l->mod_refs(l->l_cs, served_port, MACH_PORT_RIGHT_DEAD_NAME, -1);
	l->l_service = kept;
	lib_error(l, bad);
	return res;
}

static double
run_same(struct lib *l, uint64_t n)
{
	struct msg64 msg = { .m_body = { 1 } };
	struct msg64_rcv b;
	struct team t;
	uint64_t i, t0, bad = 0, m = sub_ops(n);
	double v[AB_SUBS];
	int k;

	team_pin_self(&t);
	for (k = 0; k < AB_SUBS; k++) {
		t0 = now_ns();
		for (i = 0; i < m; i++) {
			bad += op_send(l, l->l_self, &msg) != MACH_MSG_SUCCESS;
			bad += op_recv(l, l->l_self, &b, false) !=
			    MACH_MSG_SUCCESS;
		}
		v[k] = (double)(now_ns() - t0) / (double)m;
	}
	team_join(&t);
	lib_error(l, bad);
	return median(v, AB_SUBS);
}

/*
 * A case of one same-thread operation, timed in AB_SUBS sub-chunks.
 * Inlined with its constant op, so the timed loop calls op directly, as
 * each case's own loop did.
 */
static inline __attribute__((always_inline)) double
run_each(struct lib *l, uint64_t n, bool (*op)(struct lib *))
{
	struct team t;
	uint64_t i, t0, bad = 0, m = sub_ops(n);
	double v[AB_SUBS];
	int k;

	team_pin_self(&t);
	for (k = 0; k < AB_SUBS; k++) {
		t0 = now_ns();
		for (i = 0; i < m; i++)
			bad += !op(l);
		v[k] = (double)(now_ns() - t0) / (double)m;
	}
	team_join(&t);
	lib_error(l, bad);
	return median(v, AB_SUBS);
}

static double
run_port(struct lib *l, uint64_t n)
{
	return run_each(l, n, op_port);
}

static double
run_get_refs(struct lib *l, uint64_t n)
{
	return run_each(l, n, op_get_refs);
}

/*
 * The port row's baseline: jemalloc's malloc + free of a port's size,
 * the same code for A and B (their ratio shows the noise); the port
 * case's time over this one's is the ratio issue 15 sets a target for.
 */
#define PORT_BYTES 256 /* IPC_PORT_SIZE */

static bool
op_malloc_free(struct lib *l)
{
	(void)l; /* the same for A and B */
	void *p = malloc(PORT_BYTES);

	__asm__ volatile("" : : "r"(p) : "memory");
	free(p);
	return p != NULL;
}

static double
run_malloc_free(struct lib *l, uint64_t n)
{
	return run_each(l, n, op_malloc_free);
}

static void *
stream_sender(void *arg)
{
	struct partner *p = arg;
	struct lib *l = p->p_lib;
	struct msg64 m = { .m_body = { 1 } };
	uint64_t k;

	l->set_space(l->l_ss);
	while (__atomic_load_n(&p->p_gate, __ATOMIC_ACQUIRE) == 0)
		relax();
	for (k = 0; k < p->p_count; k++)
		while (op_send(l, l->l_stream, &m) != MACH_MSG_SUCCESS)
			lib_error(l, 1);
	l->set_space(NULL);
	return NULL;
}

/*
 * The receiver's side of the stream cases: n messages off the stream
 * port, counting failed receives in *bad (it gives up past 1000).
 */
static void
stream_take(struct lib *l, uint64_t n, uint64_t *bad)
{
	struct msg64_rcv b;
	uint64_t i;

	for (i = 0; i < n && *bad < 1000;)
		if (op_recv(l, l->l_stream, &b, false) == MACH_MSG_SUCCESS)
			i++;
		else
			(*bad)++;
}

static double
run_stream(struct lib *l, uint64_t n)
{
	uint64_t t0, bad = 0, m = sub_ops(n);
	struct partner p = { .p_lib = l, .p_count = m * AB_SUBS };
	struct team t;
	double v[AB_SUBS];
	int k;

	if (team_pin_self(&t) != NULL ||
	    team_start(&t, TEAM_CROSS_CORE, stream_sender, &p) != NULL) {
		team_join(&t);
		return -1;
	}
	__atomic_store_n(&p.p_gate, 1, __ATOMIC_RELEASE);
	for (k = 0; k < AB_SUBS; k++) {
		t0 = now_ns();
		/* All of them: the sender waits for room otherwise. */
		stream_take(l, m, &bad);
		v[k] = (double)(now_ns() - t0) / (double)m;
	}
	team_join(&t);
	lib_error(l, bad);
	return median(v, AB_SUBS);
}

/*
 * Two senders (the second on its own CPU when there is a third, else
 * beside the first, as make bench's stream_2to1) to one receiver.
 */
static double
run_stream2(struct lib *l, uint64_t n)
{
	uint64_t t0, bad = 0, m = sub_ops(n);
	struct partner p[2] = {
		{ .p_lib = l, .p_count = m * AB_SUBS / 2 },
		{ .p_lib = l, .p_count = m * AB_SUBS - m * AB_SUBS / 2 },
	};
	struct team t;
	double v[AB_SUBS];
	int k;

	if (team_pin_self(&t) != NULL ||
	    team_start(&t, TEAM_CROSS_CORE, stream_sender, &p[0]) != NULL ||
	    team_start(&t, team_second_sender_rank(), stream_sender, &p[1]) !=
	        NULL) {
		/* What the started ones send, taken so that they end. */
		uint64_t sent = (t.tm_n > 0 ? p[0].p_count : 0) +
		    (t.tm_n > 1 ? p[1].p_count : 0);

		__atomic_store_n(&p[0].p_gate, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&p[1].p_gate, 1, __ATOMIC_RELEASE);
		stream_take(l, sent, &bad);
		team_join(&t);
		return -1;
	}
	__atomic_store_n(&p[0].p_gate, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&p[1].p_gate, 1, __ATOMIC_RELEASE);
	for (k = 0; k < AB_SUBS; k++) {
		t0 = now_ns();
		stream_take(l, m, &bad);
		v[k] = (double)(now_ns() - t0) / (double)m;
	}
	team_join(&t);
	lib_error(l, bad);
	return median(v, AB_SUBS);
}

struct ab_case {
	const char *c_name;
	const char *c_what;
	double (*c_run)(struct lib *l, uint64_t n);
	bool c_cross; /* needs two CPUs */
};

static const struct ab_case cases[] = {
	{ "send_recv_64", "same thread: send 64 B to own port, receive",
	    run_same, false },
	{ "rpc_spin", "RPC cross core, SRP reply, both sides polling",
	    run_rpc_spin, true },
	{ "rpc_block", "RPC cross core, SRP reply, both sides blocking",
	    run_rpc_block, true },
	{ "rpc_block_1cpu", "RPC on one CPU, SRP reply, both sides blocking",
	    run_rpc_block_1cpu, false },
	{ "rpc_server", "RPC cross core, SRP reply, mach_msg_server (workloop)",
	    run_rpc_server, true },
	{ "port_alloc_destroy", "mach_port_allocate RECEIVE + destroy",
	    run_port, false },
	{ "malloc_free", "jemalloc malloc + free of 256 B (port's baseline)",
	    run_malloc_free, false },
	{ "stream_1to1", "one sender -> one receiver, cross core, qlimit 1024",
	    run_stream, true },
	{ "stream_2to1", "two senders -> one receiver, qlimit 1024",
	    run_stream2, true },
	{ "get_refs", "mach_port_get_refs SEND on a hot name (lock-free)",
	    run_get_refs, false },
};
#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* ------------------------------------------------------------------ */
/* Statistics and the timing mode                                      */

static void
range(const double *v, int n, double *lo, double *hi)
{
	int i;

	*lo = *hi = v[0];
	for (i = 1; i < n; i++) {
		if (v[i] < *lo)
			*lo = v[i];
		if (v[i] > *hi)
			*hi = v[i];
	}
}

/* "56.7 ns", "1.36 µs" */
static const char *
fmt_ns(char *b, size_t size, double ns)
{
	if (ns >= 999.5)
		snprintf(b, size, ns >= 9995 ? "%.1f µs" : "%.2f µs", ns / 1e3);
	else
		snprintf(b, size, ns >= 99.95 ? "%.0f ns" : "%.1f ns", ns);
	return b;
}

/* Display columns of a UTF-8 string (µ, ×, – are one). */
static int
width(const char *s)
{
	int w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void
col(FILE *f, const char *s, int w, bool right)
{
	int pad = w > width(s) ? w - width(s) : 0;

	fprintf(f, "%*s%s%*s", right ? pad : 0, "", s, right ? 0 : pad, "");
}

struct opts {
	int rounds;
	double chunk_ms;
	double limit;
	const char *cases; /* comma-separated, or "all" */
	const char *json;
};

static bool
case_selected(const struct opts *o, const char *name)
{
	const char *p = o->cases;
	size_t n = strlen(name);

	if (p == NULL || *p == '\0' || strcmp(p, "all") == 0)
		return true;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == o->cases || p[-1] == ',' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

/*
 * What a chunk cost beyond time: the library's own counts (waits, sleeps,
 * wake system calls; both threads, the partner's folded in when it exits)
 * and the process's context switches.
 */
struct events {
	double ev_ops, ev_slow, ev_blocks, ev_wakes, ev_cs;
};

static void
events_read(struct lib *l, struct events *e)
{
	struct mipc_stats st;
	struct rusage ru;

	memset(&st, 0, sizeof(st));
	st.size = (uint32_t)sizeof(st);
	memset(e, 0, sizeof(*e));
	if (l->get_stats(&st) == KERN_SUCCESS) {
		e->ev_slow = (double)st.slow_paths;
		e->ev_blocks = (double)st.blocks;
		e->ev_wakes = (double)st.wakes;
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		e->ev_cs = (double)(ru.ru_nvcsw + ru.ru_nivcsw);
}

static void
events_add(struct events *sum, const struct events *e0, const struct events *e1,
    uint64_t ops)
{
	sum->ev_ops += (double)ops;
	sum->ev_slow += e1->ev_slow - e0->ev_slow;
	sum->ev_blocks += e1->ev_blocks - e0->ev_blocks;
	sum->ev_wakes += e1->ev_wakes - e0->ev_wakes;
	sum->ev_cs += e1->ev_cs - e0->ev_cs;
}

static int
run_timing(const struct opts *o)
{
	int ncpu = team_cpus(), c, r, k, nsel = 0;
	uint64_t n[NCASES];
	double(*t)[2] = calloc((size_t)(NCASES * o->rounds), sizeof(*t));
	struct events ev[NCASES][2];
	bool sel[NCASES];
	FILE *js = NULL;
	char b1[32], b2[32], b3[32], b4[80];

	if (t == NULL)
		return 1;
	for (c = 0; c < NCASES; c++) {
		sel[c] = case_selected(o, cases[c].c_name) &&
		    (!cases[c].c_cross || ncpu >= 2);
		nsel += sel[c];
		if (case_selected(o, cases[c].c_name) && !sel[c])
			printf("%s: skipped, needs 2 CPUs\n", cases[c].c_name);
	}
	if (nsel == 0) {
		fprintf(stderr, "bench-ab: no case selected (CASES=%s)\n",
		    o->cases);
		free(t);
		return 1;
	}
	/* Calibrate on A (and warm both): n such that A takes chunk_ms. */
	for (c = 0; c < NCASES; c++) {
		double ns = -1;

		if (!sel[c])
			continue;
		for (n[c] = 256;; n[c] *= 4) {
			ns = cases[c].c_run(&libs[0], n[c]);
			cases[c].c_run(&libs[1], n[c]);
			if (ns < 0 || ns * (double)n[c] > 5e6 ||
			    n[c] > 1u << 28)
				break;
		}
		n[c] = ns > 0 ? (uint64_t)(o->chunk_ms * 1e6 / ns) : 1000;
		if (n[c] < 100)
			n[c] = 100;
	}
	fprintf(stderr,
	    "bench-ab: %d rounds of %d cases x 2 libraries, "
	    "chunks of ~%g ms\n",
	    o->rounds, nsel, o->chunk_ms);
	memset(ev, 0, sizeof(ev));
	for (r = 0; r < o->rounds; r++) {
		for (c = 0; c < NCASES; c++) {
			if (!sel[c])
				continue;
			for (k = 0; k < 2; k++) {
				int v = (r % 2 == 0) ? k : 1 - k;
				struct events e0, e1;

				events_read(&libs[v], &e0);
				t[c * o->rounds + r][v] =
				    cases[c].c_run(&libs[v], n[c]);
				events_read(&libs[v], &e1);
				events_add(&ev[c][v], &e0, &e1, n[c]);
			}
		}
	}

	printf("\nA = %s\n    %s\nB = %s\n    %s\n", libs[0].l_label,
	    libs[0].l_path, libs[1].l_label, libs[1].l_path);
	printf("%d rounds; per round each case runs one chunk (~%g ms) with "
	       "A and one with B,\nA first on even rounds, B first on odd; "
	       "main thread on CPU %d, partner on CPU %d\n\n",
	    o->rounds, o->chunk_ms, team_cpu_of_rank(0), team_cpu_of_rank(1));
	col(stdout, "case", 20, false);
	col(stdout, "A median", 11, true);
	col(stdout, "B median", 11, true);
	col(stdout, "B/A", 8, true);
	col(stdout, "B/A range", 14, true);
	col(stdout, "A range", 20, true);
	col(stdout, "B range", 20, true);
	printf("  ≤%g\n", o->limit);
	if (o->json != NULL && (js = fopen(o->json, "w")) != NULL)
		fprintf(js,
		    "{\n  \"schema\": \"mipc-bench-ab/1\",\n  \"A\": "
		    "{\"label\": "
		    "\"%s\", \"path\": \"%s\"},\n  \"B\": {\"label\": \"%s\", "
		    "\"path\": \"%s\"},\n  \"rounds\": %d, \"chunk_ms\": %g, "
		    "\"limit\": %g,\n  \"cases\": [",
		    libs[0].l_label, libs[0].l_path, libs[1].l_label,
		    libs[1].l_path, o->rounds, o->chunk_ms, o->limit);
	k = 0;
	for (c = 0; c < NCASES; c++) {
		double a[o->rounds], bb[o->rounds], q[o->rounds];
		double ma, mb, mq, alo, ahi, blo, bhi, qlo, qhi;
		bool bad = false;

		if (!sel[c])
			continue;
		for (r = 0; r < o->rounds; r++) {
			a[r] = t[c * o->rounds + r][0];
			bb[r] = t[c * o->rounds + r][1];
			q[r] = bb[r] / a[r];
			bad = bad || a[r] <= 0 || bb[r] <= 0;
		}
		col(stdout, cases[c].c_name, 20, false);
		if (bad) {
			printf(" could not run (threads)\n");
			continue;
		}
		ma = median(a, o->rounds);
		mb = median(bb, o->rounds);
		mq = median(q, o->rounds);
		range(a, o->rounds, &alo, &ahi);
		range(bb, o->rounds, &blo, &bhi);
		range(q, o->rounds, &qlo, &qhi);
		col(stdout, fmt_ns(b1, sizeof(b1), ma), 11, true);
		col(stdout, fmt_ns(b1, sizeof(b1), mb), 11, true);
		snprintf(b1, sizeof(b1), "%.3f", mq);
		col(stdout, b1, 8, true);
		snprintf(b1, sizeof(b1), "%.3f–%.3f", qlo, qhi);
		col(stdout, b1, 14, true);
		snprintf(b4, sizeof(b4), "%s–%s", fmt_ns(b2, sizeof(b2), alo),
		    fmt_ns(b3, sizeof(b3), ahi));
		col(stdout, b4, 20, true);
		snprintf(b4, sizeof(b4), "%s–%s", fmt_ns(b2, sizeof(b2), blo),
		    fmt_ns(b3, sizeof(b3), bhi));
		col(stdout, b4, 20, true);
		printf("  %s\n", mq <= o->limit ? "ok" : "OVER");
		if (js != NULL)
			fprintf(js,
			    "%s\n    {\"case\": \"%s\", \"what\": \"%s\", "
			    "\"ops_per_chunk\": %llu, \"a_median_ns\": %.4g, "
			    "\"b_median_ns\": %.4g, \"ratio_median\": %.4f, "
			    "\"ratio_min\": %.4f, \"ratio_max\": %.4f, "
			    "\"a_min_ns\": %.4g, \"a_max_ns\": %.4g, "
			    "\"b_min_ns\": %.4g, \"b_max_ns\": %.4g, \"ok\": "
			    "%s}",
			    k++ ? "," : "", cases[c].c_name, cases[c].c_what,
			    (unsigned long long)n[c], ma, mb, mq, qlo, qhi, alo,
			    ahi, blo, bhi, mq <= o->limit ? "true" : "false");
	}
	printf("\nper operation, all rounds (mipc_get_stats, getrusage): "
	       "waits (receives that found nothing, sends declined by the "
	       "fast path),\nsleeps (futex waits), wake system calls, "
	       "context switches (voluntary + involuntary)\n");
	for (c = 0; c < NCASES; c++) {
		if (!sel[c])
			continue;
		col(stdout, cases[c].c_name, 20, false);
		for (k = 0; k < 2; k++) {
			const struct events *e = &ev[c][k];
			double ops = e->ev_ops > 0 ? e->ev_ops : 1;

			printf(
			    "  %c: waits %.3f sleeps %.4f wakes %.4f cs %.4f",
			    'A' + k, e->ev_slow / ops, e->ev_blocks / ops,
			    e->ev_wakes / ops, e->ev_cs / ops);
		}
		printf("\n");
	}
	printf("\nB/A: median of the per-round ratios (B's chunk / A's chunk "
	       "of the same round),\nthe figure to trust; ≤%g: the gate "
	       "(AB_LIMIT).  Errors: A %llu, B %llu.\n",
	    o->limit, (unsigned long long)libs[0].l_errors,
	    (unsigned long long)libs[1].l_errors);
	for (c = 0; c < NCASES; c++)
		if (sel[c])
			printf(
			    "  %-20s %s\n", cases[c].c_name, cases[c].c_what);
	if (js != NULL) {
		fprintf(js,
		    "\n  ],\n  \"errors\": {\"A\": %llu, \"B\": %llu}\n}\n",
		    (unsigned long long)libs[0].l_errors,
		    (unsigned long long)libs[1].l_errors);
		fclose(js);
		printf("JSON: %s\n", o->json);
	}
	free(t);
	return libs[0].l_errors + libs[1].l_errors ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Callgrind mode: one noinline wrapper per operation and library      */

/* Iterations counted per phase; warm-up runs are not counted. */
#define CG_SAME     2000
#define CG_CROSS    1000
#define CG_BLOCK    40
#define CG_WARM     200
#define CG_BATCH    16         /* stream: messages per turn */
#define CG_DELAY_NS 5000000ull /* rpc_block: the server's polls */

/* The state of one operation's call (the wrappers pass it through). */
struct cg {
	struct lib *g_lib;
	struct msg64 g_m;
	struct msg64_rcv g_b;
	mach_msg_return_t g_mr;
};

static void
cg_sr_send(struct cg *g)
{
	g->g_mr = op_send(g->g_lib, g->g_lib->l_self, &g->g_m);
}

static void
cg_sr_recv(struct cg *g)
{
	g->g_mr = op_recv(g->g_lib, g->g_lib->l_self, &g->g_b, false);
}

static void
cg_port(struct cg *g)
{
	g->g_mr = op_port(g->g_lib) ? MACH_MSG_SUCCESS : KERN_FAILURE;
}

static void
cg_malloc_free(struct cg *g)
{
	g->g_mr = op_malloc_free(g->g_lib) ? MACH_MSG_SUCCESS : KERN_FAILURE;
}

static void
cg_get_refs(struct cg *g)
{
	g->g_mr = op_get_refs(g->g_lib) ? MACH_MSG_SUCCESS : KERN_FAILURE;
}

static void
cg_rpc_call_poll(struct cg *g)
{
	g->g_mr = op_call(g->g_lib, &g->g_b, true);
}

/* One more empty poll of the client's: what each spin costs. */
static void
cg_rpc_poll_again(struct cg *g)
{
	g->g_mr = op_recv(g->g_lib, g->g_lib->l_srp, &g->g_b, true);
}

static void
cg_rpc_srv_recv(struct cg *g)
{
	g->g_mr = op_recv(g->g_lib, g->g_lib->l_service, &g->g_b, true);
}

static void
cg_rpc_srv_reply(struct cg *g)
{
	g->g_mr = op_reply(g->g_lib, &g->g_b);
}

static void
cg_rpc_cli_recv(struct cg *g)
{
	g->g_mr = op_recv(g->g_lib, g->g_lib->l_srp, &g->g_b, true);
}

static void
cg_rpcb_call(struct cg *g)
{
	g->g_mr = op_call(g->g_lib, &g->g_b, false);
}

/* The server's reply to a blocked client (rpc_block): the wake. */
static void
cg_rpc_srv_reply_wake(struct cg *g)
{
	g->g_mr = op_reply(g->g_lib, &g->g_b);
}

static void
cg_stream_send(struct cg *g)
{
	g->g_mr = op_send(g->g_lib, g->g_lib->l_stream, &g->g_m);
}

static void
cg_stream_recv(struct cg *g)
{
	g->g_mr = op_recv(g->g_lib, g->g_lib->l_stream, &g->g_b, true);
}

/* cg_<op>_A and cg_<op>_B: what callgrind counts, inclusive. */
#define CG_WRAP(op)                                                   \
	static NOINLINE void counted_##op##_A(struct cg *g)           \
	{                                                             \
		op(g);                                                \
		__asm__ volatile("" : : "r"(g), "i"('A') : "memory"); \
	}                                                             \
	static NOINLINE void counted_##op##_B(struct cg *g)           \
	{                                                             \
		op(g);                                                \
		__asm__ volatile("" : : "r"(g), "i"('B') : "memory"); \
	}
CG_WRAP(cg_sr_send)
CG_WRAP(cg_sr_recv)
CG_WRAP(cg_port)
CG_WRAP(cg_malloc_free)
CG_WRAP(cg_get_refs)
CG_WRAP(cg_rpc_call_poll)
CG_WRAP(cg_rpc_poll_again)
CG_WRAP(cg_rpc_srv_recv)
CG_WRAP(cg_rpc_srv_reply)
CG_WRAP(cg_rpc_cli_recv)
CG_WRAP(cg_rpcb_call)
CG_WRAP(cg_rpc_srv_reply_wake)
CG_WRAP(cg_stream_send)
CG_WRAP(cg_stream_recv)

typedef void (*cg_fn)(struct cg *g);

/* One counted phase: its wrappers and how many calls count. */
struct cg_phase {
	const char *p_case; /* the timing case it belongs to */
	const char *p_name; /* the wrapper's stem: cg_sr_send */
	const char *p_what;
	cg_fn p_op, p_fn[2];
	int p_calls;
};

#define PHASE(c, op, what, calls)                                         \
	{                                                                 \
		c, #op, what, op, { counted_##op##_A, counted_##op##_B }, \
		    calls                                                 \
	}

static const struct cg_phase phases[] = {
	PHASE("send_recv_64", cg_sr_send, "mach_msg SEND 64 B", CG_SAME),
	PHASE("send_recv_64", cg_sr_recv, "mach_msg RCV", CG_SAME),
	PHASE("rpc_spin", cg_rpc_call_poll,
	    "client SEND|RCV|RCV_TIMEOUT(0), SRP reply: send + empty poll",
	    CG_CROSS),
	PHASE("rpc_spin", cg_rpc_poll_again,
	    "client RCV|RCV_TIMEOUT(0) again: one more empty poll", CG_CROSS),
	PHASE("rpc_spin", cg_rpc_srv_recv, "server RCV (request there)",
	    CG_CROSS),
	PHASE("rpc_spin", cg_rpc_srv_reply,
	    "server SEND MOVE_SEND_ONCE (client not asleep)", CG_CROSS),
	PHASE("rpc_spin", cg_rpc_cli_recv, "client RCV of the reply", CG_CROSS),
	PHASE("rpc_block", cg_rpcb_call,
	    "client SEND|RCV, blocking: send, spin, sleep, woken, receive",
	    CG_BLOCK),
	PHASE("rpc_block", cg_rpc_srv_reply_wake,
	    "server reply to the sleeping client: send + wake", CG_BLOCK),
	PHASE("port_alloc_destroy", cg_port, "allocate RECEIVE + destroy",
	    CG_SAME),
	PHASE("malloc_free", cg_malloc_free, "jemalloc malloc + free, 256 B",
	    CG_SAME),
	PHASE("get_refs", cg_get_refs, "mach_port_get_refs SEND, hot name",
	    CG_SAME),
	PHASE("stream_1to1", cg_stream_send, "sender SEND (batches of 16)",
	    CG_CROSS),
	PHASE("stream_1to1", cg_stream_recv, "receiver RCV (batches of 16)",
	    CG_CROSS),
};
#define NPHASES ((int)(sizeof(phases) / sizeof(phases[0])))

static const struct cg_phase *
phase(const char *stem)
{
	int i;

	for (i = 0; i < NPHASES; i++)
		if (strcmp(phases[i].p_name, stem) == 0)
			return &phases[i];
	return NULL;
}

/* Call a phase: counted (through the library's wrapper) or warm-up. */
static void
cg_call(const char *stem, struct cg *g, bool counted)
{
	const struct cg_phase *p = phase(stem);

	if (counted)
		p->p_fn[g->g_lib->l_tag - 'A'](g);
	else
		p->p_op(g);
	if (g->g_mr != MACH_MSG_SUCCESS &&
	    !(g->g_mr == MACH_RCV_TIMED_OUT &&
	        (strcmp(stem, "cg_rpc_call_poll") == 0 ||
	            strcmp(stem, "cg_rpc_poll_again") == 0)))
		lib_error(g->g_lib, 1);
}

/* Two threads taking turns: each waits for its semaphore. */
struct cg_pair {
	struct lib *c_lib;
	sem_t c_to_partner, c_to_main;
	int c_iters; /* turns, warm-up included */
	int c_warm;
	bool c_block;       /* rpc_block's server */
	pid_t c_client_tid; /* the main thread */
};

static void
sem_wait_(sem_t *s)
{
	while (sem_wait(s) != 0 && errno == EINTR)
		;
}

/*
 * Is thread tid sleeping in futex()?  Under valgrind a runnable thread
 * waiting for valgrind's lock looks asleep too ('S'), but not in futex:
 * /proc's syscall file names the guest's own call.
 */
static bool
in_futex(pid_t tid)
{
	char path[64], line[128];
	bool yes = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(line, sizeof(line), f) != NULL)
		yes = atol(line) == SYS_futex && line[0] != '-';
	fclose(f);
	return yes;
}

static void *
cg_rpc_partner(void *arg)
{
	struct cg_pair *x = arg;
	struct cg g = { .g_lib = x->c_lib };
	struct timespec d = { 0, (long)CG_DELAY_NS };
	int i;

	x->c_lib->set_space(x->c_lib->l_ss);
	for (i = 0; i < x->c_iters; i++) {
		bool counted = i >= x->c_warm;

		if (!x->c_block) {
			sem_wait_(&x->c_to_partner);
			cg_call("cg_rpc_srv_recv", &g, counted);
			cg_call("cg_rpc_srv_reply", &g, counted);
			sem_post(&x->c_to_main);
			continue;
		}
		/*
		 * rpc_block: not in a receive when the request comes (its
		 * wake-up would race the client's spin); the client asleep
		 * in its futex before we take the request and reply.
		 */
		do
			nanosleep(&d, NULL);
		while (!in_futex(x->c_client_tid));
		if (op_recv(x->c_lib, x->c_lib->l_service, &g.g_b, true) !=
		    MACH_MSG_SUCCESS) {
			lib_error(x->c_lib, 1);
			break;
		}
		cg_call("cg_rpc_srv_reply_wake", &g, counted);
	}
	x->c_lib->set_space(NULL);
	return NULL;
}

static void *
cg_stream_partner(void *arg)
{
	struct cg_pair *x = arg;
	struct cg g = { .g_lib = x->c_lib, .g_m = { .m_body = { 1 } } };
	int i, j;

	x->c_lib->set_space(x->c_lib->l_ss);
	for (i = 0; i < x->c_iters; i++) {
		sem_wait_(&x->c_to_partner);
		for (j = 0; j < CG_BATCH; j++)
			cg_call("cg_stream_send", &g, i >= x->c_warm);
		sem_post(&x->c_to_main);
	}
	x->c_lib->set_space(NULL);
	return NULL;
}

static bool
cg_pair_start(struct cg_pair *x, struct team *t, void *(*fn)(void *))
{
	sem_init(&x->c_to_partner, 0, 0);
	sem_init(&x->c_to_main, 0, 0);
	if (team_pin_self(t) != NULL ||
	    team_start(t, TEAM_CROSS_CORE, fn, x) != NULL) {
		team_join(t);
		return false;
	}
	return true;
}

static void
cg_pair_end(struct cg_pair *x, struct team *t)
{
	team_join(t);
	sem_destroy(&x->c_to_partner);
	sem_destroy(&x->c_to_main);
}

static void
cg_run_lib(const struct opts *o, struct lib *l)
{
	struct cg g = { .g_lib = l, .g_m = { .m_body = { 1 } } };
	struct cg_pair x;
	struct team t;
	int i, j;

	if (case_selected(o, "send_recv_64"))
		for (i = 0; i < CG_WARM + CG_SAME; i++) {
			cg_call("cg_sr_send", &g, i >= CG_WARM);
			cg_call("cg_sr_recv", &g, i >= CG_WARM);
		}
	if (case_selected(o, "port_alloc_destroy"))
		for (i = 0; i < CG_WARM + CG_SAME; i++)
			cg_call("cg_port", &g, i >= CG_WARM);
	if (case_selected(o, "malloc_free"))
		for (i = 0; i < CG_WARM + CG_SAME; i++)
			cg_call("cg_malloc_free", &g, i >= CG_WARM);
	if (case_selected(o, "get_refs"))
		for (i = 0; i < CG_WARM + CG_SAME; i++)
			cg_call("cg_get_refs", &g, i >= CG_WARM);
	if (team_cpus() < 2)
		return;
	if (case_selected(o, "rpc_spin")) {
		memset(&x, 0, sizeof(x));
		x.c_lib = l;
		x.c_warm = CG_WARM;
		x.c_iters = CG_WARM + CG_CROSS;
		if (cg_pair_start(&x, &t, cg_rpc_partner)) {
			for (i = 0; i < x.c_iters; i++) {
				cg_call("cg_rpc_call_poll", &g, i >= CG_WARM);
				cg_call("cg_rpc_poll_again", &g, i >= CG_WARM);
				sem_post(&x.c_to_partner);
				sem_wait_(&x.c_to_main);
				cg_call("cg_rpc_cli_recv", &g, i >= CG_WARM);
			}
			cg_pair_end(&x, &t);
		}
	}
	if (case_selected(o, "rpc_block")) {
		memset(&x, 0, sizeof(x));
		x.c_lib = l;
		x.c_block = true;
		x.c_client_tid = (pid_t)syscall(SYS_gettid);
		x.c_warm = 4;
		x.c_iters = 4 + CG_BLOCK;
		if (cg_pair_start(&x, &t, cg_rpc_partner)) {
			for (i = 0; i < x.c_iters; i++)
				cg_call("cg_rpcb_call", &g, i >= x.c_warm);
			cg_pair_end(&x, &t);
		}
	}
	if (case_selected(o, "stream_1to1")) {
		memset(&x, 0, sizeof(x));
		x.c_lib = l;
		x.c_warm = CG_WARM / CG_BATCH;
		x.c_iters = x.c_warm + CG_CROSS / CG_BATCH;
		if (cg_pair_start(&x, &t, cg_stream_partner)) {
			for (i = 0; i < x.c_iters; i++) {
				sem_post(&x.c_to_partner);
				sem_wait_(&x.c_to_main);
				for (j = 0; j < CG_BATCH; j++)
					cg_call("cg_stream_recv", &g,
					    i >= x.c_warm);
			}
			cg_pair_end(&x, &t);
		}
	}
}

/* Calls counted of a phase (what cg_run_lib makes). */
static int
cg_calls(const struct cg_phase *p)
{
	if (strcmp(p->p_case, "stream_1to1") == 0)
		return CG_CROSS / CG_BATCH * CG_BATCH;
	return p->p_calls;
}

/* Read callgrind_annotate's inclusive counts of the wrappers. */
static int
cg_report(const struct opts *o, const char *file)
{
	char cmd[1024], line[4096];
	double ir[NPHASES][2];
	FILE *f;
	int i, k;

	memset(ir, 0, sizeof(ir));
	snprintf(cmd, sizeof(cmd),
	    "callgrind_annotate --inclusive=yes --threshold=100 '%s' 2>&1",
	    file);
	if ((f = popen(cmd, "r")) == NULL)
		return 1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, ":counted_cg_"), *q;
		double v = 0;

		if (p == NULL)
			continue;
		for (q = line; *q == ' '; q++)
			;
		for (; (*q >= '0' && *q <= '9') || *q == ','; q++)
			if (*q != ',')
				v = v * 10 + (*q - '0');
		p += sizeof(":counted_") - 1;
		for (q = p; *q != '\0' && *q != ' ' && *q != '\n' && *q != '[';
		     q++)
			;
		if (q - p < 3 || q[-2] != '_' || (q[-1] != 'A' && q[-1] != 'B'))
			continue;
		k = q[-1] - 'A';
		q[-2] = '\0';
		for (i = 0; i < NPHASES; i++)
			if (strcmp(phases[i].p_name, p) == 0)
				ir[i][k] = v;
	}
	pclose(f);
	printf("\ninstructions per operation (callgrind, inclusive, "
	       "deterministic)\nA = %s\nB = %s\n\n",
	    libs[0].l_label, libs[1].l_label);
	col(stdout, "case", 19, false);
	col(stdout, "phase", 23, false);
	col(stdout, "A", 9, true);
	col(stdout, "B", 9, true);
	col(stdout, "B−A", 8, true);
	col(stdout, "B/A", 8, true);
	printf("\n");
	for (i = 0; i < NPHASES; i++) {
		const struct cg_phase *p = &phases[i];
		double n = cg_calls(p), a = ir[i][0] / n, b = ir[i][1] / n;
		char s[64];

		if (!case_selected(o, p->p_case))
			continue;
		col(stdout, p->p_case, 19, false);
		col(stdout, p->p_name + 3, 23, false);
		if (ir[i][0] == 0 || ir[i][1] == 0) {
			printf("  (no count: not run, or callgrind_annotate "
			       "found no counted_%s_A/_B)\n",
			    p->p_name);
			continue;
		}
		snprintf(s, sizeof(s), "%.1f", a);
		col(stdout, s, 9, true);
		snprintf(s, sizeof(s), "%.1f", b);
		col(stdout, s, 9, true);
		snprintf(s, sizeof(s), "%+.1f", b - a);
		col(stdout, s, 8, true);
		snprintf(s, sizeof(s), "%.3f", b / a);
		col(stdout, s, 8, true);
		printf("  %s\n", p->p_what);
	}
	printf("\nper operation: the wrapper's inclusive instructions / its "
	       "calls (after %d warm-up calls);\nvalgrind has no rseq, so "
	       "both take the per-CPU caches' fallback (PERF.md 1).\n",
	    CG_WARM);
	return 0;
}

/* ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: mipc_ab --a=LIB.so --b=LIB.so [--a-label=S] [--b-label=S]\n"
	    "               [--rounds=N] [--chunk-ms=MS] [--limit=X] "
	    "[--cases=a,b] [--json=FILE]\n"
	    "               [--callgrind | --callgrind-report=FILE]\n"
	    "cases: send_recv_64 rpc_spin rpc_block rpc_block_1cpu rpc_server "
	    "port_alloc_destroy malloc_free stream_1to1 stream_2to1 "
	    "get_refs\n");
}

/* "--flag=value": value, else NULL. */
static const char *
flag_value(const char *arg, const char *flag)
{
	size_t n = strlen(flag);

	return strncmp(arg, flag, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

int
main(int argc, char **argv)
{
	struct opts o = {
		.rounds = 15, .chunk_ms = 50, .limit = 1.03, .cases = "all"
	};
	const char *report = NULL, *err;
	bool callgrind = false;
	int i, rc;

	libs[0].l_tag = 'A';
	libs[1].l_tag = 'B';
	libs[0].l_label = "A";
	libs[1].l_label = "B";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if ((v = flag_value(a, "--a")) != NULL)
			libs[0].l_path = v;
		else if ((v = flag_value(a, "--b")) != NULL)
			libs[1].l_path = v;
		else if ((v = flag_value(a, "--a-label")) != NULL)
			libs[0].l_label = v;
		else if ((v = flag_value(a, "--b-label")) != NULL)
			libs[1].l_label = v;
		else if ((v = flag_value(a, "--rounds")) != NULL)
			o.rounds = atoi(v);
		else if ((v = flag_value(a, "--chunk-ms")) != NULL)
			o.chunk_ms = atof(v);
		else if ((v = flag_value(a, "--limit")) != NULL)
			o.limit = atof(v);
		else if ((v = flag_value(a, "--cases")) != NULL)
			o.cases = v;
		else if ((v = flag_value(a, "--json")) != NULL)
			o.json = v;
		else if ((v = flag_value(a, "--callgrind-report")) != NULL)
			report = v;
		else if (strcmp(a, "--callgrind") == 0)
			callgrind = true;
		else {
			usage();
			return 2;
		}
	}
	if (report != NULL)
		return cg_report(&o, report);
	if (libs[0].l_path == NULL || libs[1].l_path == NULL || o.rounds < 1 ||
	    o.chunk_ms <= 0) {
		usage();
		return 2;
	}
	for (i = 0; i < 2; i++)
		if ((err = lib_load(&libs[i])) != NULL ||
		    (err = lib_setup(&libs[i])) != NULL) {
			fprintf(
			    stderr, "bench-ab: %c: %s\n", libs[i].l_tag, err);
			return 1;
		}
	if (callgrind) {
		for (i = 0; i < 2; i++)
			cg_run_lib(&o, &libs[i]);
		rc = libs[0].l_errors + libs[1].l_errors ? 1 : 0;
		if (rc)
			fprintf(stderr, "bench-ab: errors: A %llu, B %llu\n",
			    (unsigned long long)libs[0].l_errors,
			    (unsigned long long)libs[1].l_errors);
	} else {
		rc = run_timing(&o);
	}
	for (i = 0; i < 2; i++)
		lib_teardown(&libs[i]);
	return rc;
}
