/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * turnstile_helpers.h -- what the priority-inheritance suites
 * (t_turnstile.c, t_priority.c) share on top of msg_helpers.h: "actors",
 * helper threads that do one blocking mipc call each and then park, and
 * the readers and assertions of priorities (sync.h).
 *
 * An actor starts, takes its mipc thread state (a retained handle),
 * optionally sets its base priority, does its job -- park, a blocking send,
 * an RPC through its special reply port, a receive, or a function -- and
 * then parks until the test lets it go, so that its priority can still be
 * read after its call returned.  A test waits for an actor to be blocked
 * by polling mipc_thread_wait_info (wait_kind), with a bound: after
 * ACT_BOUND_MS the test fails instead of hanging.  No sleep is used as
 * synchronisation; the short naps between polls only pace the polling.
 *
 * Every blocking call of an actor has a timeout (ACT_LONG_MS unless the
 * test sets a shorter one), so a test that goes wrong ends.
 *
 * Priorities are read through the API (mipc_thread_get_priority) with the
 * OS policy NONE: they are mipc's bookkeeping, no privilege needed.
 *
 * An ACT_CMD actor takes commands instead of doing one call: the test
 * posts them one at a time (actor_post, ACTOR_DO), so a thread can block,
 * return, and block again while the test watches -- a workloop's
 * servicer (wl_cmd_*: bind, receive, reply, re-enable, end, an RPC of its
 * own), or a client that sends, then receives.  The shared scenes below
 * (a port's receive right in transit, a request served, a workloop with a
 * port attached and a bound servicer) and the shape checks of a push
 * (CHAIN_IS, OWNER_IS: the hops of mipc_thread_push_chain, the first
 * owner of mipc_thread_wait_info) serve t_turnstile.c, t_priority.c,
 * t_workloop.c and t_sync_cases.c alike.
 */
#ifndef MIPC_TESTS_CONFORMANCE_TURNSTILE_HELPERS_H
#define MIPC_TESTS_CONFORMANCE_TURNSTILE_HELPERS_H

#include "msg_helpers.h"

#include <errno.h>
#include <mipc/sync.h>
#include <semaphore.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ACT_BOUND_MS 5000  /* how long a test waits for a state */
#define ACT_LONG_MS  20000 /* default timeout of an actor's call */

enum act_kind {
	ACT_PARK, /* nothing: park (a watcher, an inheritor) */
	ACT_SEND, /* a 24-byte send to a_dest, blocking up to a_timeout */
	ACT_RPC,  /* send to a_dest with a fresh special reply port as
	             MAKE_SEND_ONCE reply, then receive on it */
	ACT_RECV, /* receive on a_rcv */
	ACT_FN,   /* a_fn(a) */
	ACT_CMD,  /* the commands the test posts (actor_post), in turn */
};

struct actor {
	/* Set by the test before actor_start. */
	enum act_kind a_kind;
	int a_base;                   /* base priority first; -1: leave it */
	mipc_space_t a_space;         /* space of the call (NULL: current) */
	mipc_space_t a_cur_space;     /* current space to set (RPC), or NULL */
	mach_port_name_t a_dest;      /* SEND, RPC: destination send right */
	mach_port_name_t a_rcv;       /* RECV: receive name */
	mach_msg_id_t a_id;           /* SEND, RPC: message id */
	mach_msg_timeout_t a_timeout; /* ms; 0: ACT_LONG_MS */
	bool a_split;                 /* RPC: send, then receive (2 calls) */
	void (*a_fn)(struct actor *a);
	void *a_arg;
	mipc_workloop_t a_wl;           /* CMD: the workloop it services */
	void (*a_cmd)(struct actor *a); /* CMD: the posted command */

	/* Results. */
	pthread_t a_pt;
	bool a_started, a_joined;
	mipc_thread_t a_th; /* retained: valid after the thread exits */
	pid_t a_tid;
	atomic_uint a_srp; /* RPC: its special reply port */
	mach_msg_return_t a_mr;
	msg_buf_t a_buf; /* what RPC / RECV received */
	atomic_int a_done;
	mach_port_name_t a_so; /* CMD: the last request's reply right */
	int a_seen; /* CMD: its effective priority as its last call returned */
	sem_t a_ready, a_release, a_go;
};

/* ---- time-bounded waits ------------------------------------------------ */

static inline void
act_nap(void)
{
	struct timespec ts = { 0, 1000000 }; /* 1 ms: polling pace only */

	nanosleep(&ts, NULL);
}

static inline bool
act_sem_wait(sem_t *s, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_nsec -= 1000000000L;
		ts.tv_sec++;
	}
	while (sem_timedwait(s, &ts) != 0) {
		if (errno != EINTR)
			return false;
	}
	return true;
}

/* ---- priorities ---------------------------------------------------------- */

#define LOW 4  /* the pushed threads' base: MAXPRI_THROTTLE */
#define UI  47 /* USER_INTERACTIVE */
#define IN  37 /* USER_INITIATED */

static inline struct mipc_thread_priority
pri_of(mipc_thread_t th)
{
	struct mipc_thread_priority p;

	memset(&p, 0xee, sizeof(p));
	KR_OK(mipc_thread_get_priority(th, &p));
	return p;
}

static inline int
eff_of(mipc_thread_t th)
{
	return pri_of(th).effective;
}

/* Thread th's effective priority is `want`. */
#define EFF_EQ(th, want)                                                    \
	do {                                                                \
		struct mipc_thread_priority p_ = pri_of(th);                \
		ck_assert_msg(p_.effective == (want),                       \
		    "effective priority of %s is %u (base %u, promotion "   \
		    "%u), want %d",                                         \
		    #th, p_.effective, p_.base, p_.promotion, (int)(want)); \
	} while (0)

/* Thread th is back at its base: no push reaches it. */
#define AT_BASE(th)                                                         \
	do {                                                                \
		struct mipc_thread_priority p_ = pri_of(th);                \
		ck_assert_msg(p_.effective == p_.base && p_.promotion == 0, \
		    "%s not at base: effective %u, base %u, promotion %u",  \
		    #th, p_.effective, p_.base, p_.promotion);              \
	} while (0)

static inline struct mipc_wait_info
wait_of(mipc_thread_t th)
{
	struct mipc_wait_info w;

	memset(&w, 0xee, sizeof(w));
	KR_OK(mipc_thread_wait_info(th, &w));
	return w;
}

/* ---- actors ---------------------------------------------------------------- */

static inline mach_msg_timeout_t
act_timeout(const struct actor *a)
{
	return a->a_timeout != 0 ? a->a_timeout : ACT_LONG_MS;
}

static inline mipc_space_t
act_space(const struct actor *a)
{
	return a->a_space != NULL ? a->a_space : mipc_thread_space();
}

static inline void
act_rpc(struct actor *a)
{
	mipc_space_t sp;
	mach_port_name_t srp;
	mach_msg_option_t opt =
	    MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_MSG | MACH_RCV_TIMEOUT;

	if (a->a_cur_space != NULL)
		(void)mipc_thread_set_space(a->a_cur_space);
	sp = mipc_thread_space();
	srp = thread_get_special_reply_port();
	atomic_store(&a->a_srp, srp);
	msg_init(&a->a_buf,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    a->a_dest, srp, a->a_id);
	if (a->a_split) {
		a->a_mr = mipc_msg(sp, &a->a_buf.h,
		    MACH_SEND_MSG | MACH_SEND_TIMEOUT, HDR_SIZE, 0,
		    MACH_PORT_NULL, act_timeout(a), MACH_PORT_NULL);
		if (a->a_mr != MACH_MSG_SUCCESS)
			return;
		opt = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
	}
	a->a_mr =
	    mipc_msg(sp, &a->a_buf.h, opt, (opt & MACH_SEND_MSG) ? HDR_SIZE : 0,
	        (mach_msg_size_t)sizeof(a->a_buf), srp, act_timeout(a),
	        MACH_PORT_NULL);
}

static inline void *
actor_main(void *arg)
{
	struct actor *a = arg;

	a->a_th = mipc_thread_self();
	MIPC_REQUIRE(a->a_th != NULL, "thread state");
	mipc_thread_retain(a->a_th);
	a->a_tid = thread_tid();
	if (a->a_base >= 0)
		MIPC_REQUIRE(mipc_thread_set_base_priority(
		                 a->a_th, a->a_base) == KERN_SUCCESS,
		    "base priority %d", a->a_base);
	sem_post(&a->a_ready);
	switch (a->a_kind) {
	case ACT_PARK:
		break;
	case ACT_SEND:
		msg_init(&a->a_buf, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
		    a->a_dest, MACH_PORT_NULL, a->a_id);
		a->a_mr = mipc_msg(act_space(a), &a->a_buf.h,
		    MACH_SEND_MSG | MACH_SEND_TIMEOUT, HDR_SIZE, 0,
		    MACH_PORT_NULL, act_timeout(a), MACH_PORT_NULL);
		break;
	case ACT_RPC:
		act_rpc(a);
		break;
	case ACT_RECV:
		msg_fill(&a->a_buf, MSG_FILL);
		a->a_mr = mipc_msg(act_space(a), &a->a_buf.h,
		    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		    (mach_msg_size_t)sizeof(a->a_buf), a->a_rcv, act_timeout(a),
		    MACH_PORT_NULL);
		break;
	case ACT_FN:
		a->a_fn(a);
		break;
	case ACT_CMD:
		/* Each posted command runs, then reports done; NULL ends. */
		while (act_sem_wait(&a->a_go, 4 * ACT_LONG_MS) &&
		    a->a_cmd != NULL) {
			a->a_cmd(a);
			atomic_store(&a->a_done, 1);
		}
		break;
	}
	atomic_store(&a->a_done, 1);
	/* Parked: still alive, so its priority can be read. */
	(void)act_sem_wait(&a->a_release, 4 * ACT_LONG_MS);
	if (a->a_cur_space != NULL)
		(void)mipc_thread_set_space(NULL);
	return NULL;
}

/* An actor of `kind` at base priority `base` (-1: the OS's). */
static inline void
actor_init(struct actor *a, enum act_kind kind, int base)
{
	memset(a, 0, sizeof(*a));
	a->a_kind = kind;
	a->a_base = base;
	atomic_store(&a->a_srp, MACH_PORT_NULL);
	atomic_store(&a->a_done, 0);
	MIPC_REQUIRE(sem_init(&a->a_ready, 0, 0) == 0, "sem_init");
	MIPC_REQUIRE(sem_init(&a->a_release, 0, 0) == 0, "sem_init");
	MIPC_REQUIRE(sem_init(&a->a_go, 0, 0) == 0, "sem_init");
}

/* Start it; returns once it has its thread state and base priority. */
static inline void
actor_start(struct actor *a)
{
	MIPC_REQUIRE(pthread_create(&a->a_pt, NULL, actor_main, a) == 0,
	    "pthread_create");
	a->a_started = true;
	ck_assert_msg(
	    act_sem_wait(&a->a_ready, ACT_BOUND_MS), "an actor did not start");
}

/* A parked actor (a watcher) at `base`. */
static inline void
actor_park(struct actor *a, int base)
{
	actor_init(a, ACT_PARK, base);
	actor_start(a);
}

/* A blocking send from `sp` (NULL: default space) to dest, with id. */
static inline void
actor_send(struct actor *a, int base, mipc_space_t sp, mach_port_name_t dest,
    mach_msg_id_t id, mach_msg_timeout_t timeout)
{
	actor_init(a, ACT_SEND, base);
	a->a_space = sp;
	a->a_dest = dest;
	a->a_id = id;
	a->a_timeout = timeout;
	actor_start(a);
}

/* An RPC from the default space to dest, through the actor's SRP. */
static inline void
actor_rpc(struct actor *a, int base, mach_port_name_t dest, mach_msg_id_t id,
    mach_msg_timeout_t timeout)
{
	actor_init(a, ACT_RPC, base);
	a->a_dest = dest;
	a->a_id = id;
	a->a_timeout = timeout;
	actor_start(a);
}

static inline bool
actor_done(struct actor *a)
{
	return atomic_load(&a->a_done) != 0;
}

/*
 * Wait (bounded) until the actor is blocked in mipc with wait_kind `kind`;
 * fails the test if it returned instead or never blocks.
 */
#define WAIT_BLOCKED(a, kind) act_wait_blocked((a), (kind), #a, __LINE__)

static inline void
act_wait_blocked(struct actor *a, uint32_t kind, const char *what, int line)
{
	struct mipc_wait_info w;
	int i;

	for (i = 0; i < ACT_BOUND_MS; i++) {
		ck_assert_msg(!actor_done(a),
		    "line %d: %s returned %#x instead of blocking", line, what,
		    (unsigned)a->a_mr);
		KR_OK(mipc_thread_wait_info(a->a_th, &w));
		if (w.wait_kind == kind)
			return;
		act_nap();
	}
	ck_abort_msg("line %d: %s not blocked (wait_kind %u) after %d ms", line,
	    what, w.wait_kind, ACT_BOUND_MS);
}

/*
 * A test whose unwinding is a timeout reads its priorities while the
 * blocked thread must still be blocked and returns whether it was: if the
 * timeout fired first (a very slow machine), the attempt is void and runs
 * again with a longer one (1, 2, 4, 8 s); no assertion depends on timing.
 */
static inline void
retry_timeouts(bool (*attempt)(mach_msg_timeout_t tmo))
{
	mach_msg_timeout_t tmo;

	for (tmo = 1000; tmo <= 8000; tmo *= 2) {
		if (attempt(tmo))
			return;
	}
	ck_abort_msg("every attempt's timeout fired before its checks");
}

/* Wait (bounded) until the actor's call returned; its return code. */
#define WAIT_DONE(a) act_wait_done((a), #a, __LINE__)

static inline mach_msg_return_t
act_wait_done(struct actor *a, const char *what, int line)
{
	int i;

	for (i = 0; i < 4 * ACT_LONG_MS && !actor_done(a); i++)
		act_nap();
	ck_assert_msg(actor_done(a), "line %d: %s never returned", line, what);
	return a->a_mr;
}

/* Let the actor go and join it (its handle stays retained). */
static inline void
actor_finish(struct actor *a)
{
	if (!a->a_started || a->a_joined)
		return;
	if (a->a_kind == ACT_CMD) {
		a->a_cmd = NULL;
		sem_post(&a->a_go);
	}
	sem_post(&a->a_release);
	MIPC_REQUIRE(pthread_join(a->a_pt, NULL) == 0, "pthread_join");
	a->a_joined = true;
}

/* Finish and drop the handle: the end of an actor. */
static inline void
actor_end(struct actor *a)
{
	actor_finish(a);
	if (a->a_th != NULL)
		mipc_thread_release(a->a_th);
	a->a_th = NULL;
	sem_destroy(&a->a_ready);
	sem_destroy(&a->a_release);
	sem_destroy(&a->a_go);
}

/*
 * The end of a test: every live actor at base (none pushed), then all of
 * them gone; once quiesced, only the threads' own turnstiles are left.
 */
static inline void
actors_end(struct actor *as, unsigned n)
{
	struct mipc_stats s;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (as[i].a_started && !as[i].a_joined) {
			struct mipc_thread_priority p = pri_of(as[i].a_th);

			ck_assert_msg(p.effective == p.base && p.promotion == 0,
			    "actor %u not at base: effective %u base %u "
			    "promotion %u",
			    i, p.effective, p.base, p.promotion);
		}
	}
	for (i = 0; i < n; i++)
		actor_end(&as[i]);
	AT_BASE(mipc_thread_self());
	mipc_quiesce();
	mipc_get_stats(&s);
	ck_assert_msg(s.turnstiles == s.threads,
	    "%llu turnstiles for %llu threads",
	    (unsigned long long)s.turnstiles, (unsigned long long)s.threads);
}

/* ---- ports ----------------------------------------------------------------- */

/* A port of `sp` with a send right under its name and queue limit q. */
static inline mach_port_name_t
tport_new(mipc_space_t sp, mach_port_msgcount_t q)
{
	mach_port_name_t n = MACH_PORT_NULL;

	KR_OK(mipc_port_allocate_init(sp,
	    MIPC_PORT_INIT_MAKE_SEND_RIGHT | MIPC_PORT_INIT_MESSAGE_QUEUE, &n));
	set_qlimit(sp, n, q);
	return n;
}

/* Fill port n of sp up to its queue limit with messages of id `id`. */
static inline void
tport_fill(mipc_space_t sp, mach_port_name_t n, mach_msg_id_t id)
{
	mach_port_msgcount_t q = qlimit_of(sp, n), i;

	for (i = msgcount_of(sp, n); i < q; i++)
		SEND_OK(sp, n, MACH_MSG_TYPE_COPY_SEND, id);
	KR_EQ(send_to(sp, n, MACH_MSG_TYPE_COPY_SEND, id), MACH_SEND_TIMED_OUT);
}

/* Receive one message from n of sp, waiting (bounded); its id. */
static inline mach_msg_id_t
tport_take(mipc_space_t sp, mach_port_name_t n)
{
	msg_buf_t b;

	msg_fill(&b, MSG_FILL);
	KR_EQ(msg_call(sp, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	          (mach_msg_size_t)sizeof(b), n, ACT_BOUND_MS, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	mipc_msg_destroy(sp, &b.h);
	return b.h.msgh_id;
}

/* Thread th watches port n of sp (its only watchport set). */
static inline void
watch(mipc_thread_t th, mipc_space_t sp, mach_port_name_t n)
{
	KR_OK(mipc_thread_add_watchports(th, sp, &n, 1));
}

/* ---- what an OS policy applied ------------------------------------------- */

/* A CUSTOM OS policy's log of (tid, priority) applied, in order. */
struct apply_log {
	pthread_mutex_t mu;
	unsigned n;
	pid_t tid[64];
	int pri[64];
};

static inline int
record_apply(pid_t tid, int pri, void *ctx)
{
	struct apply_log *log = ctx;

	pthread_mutex_lock(&log->mu);
	if (log->n < NELEM(log->tid)) {
		log->tid[log->n] = tid;
		log->pri[log->n] = pri;
		log->n++;
	}
	pthread_mutex_unlock(&log->mu);
	return 0;
}

/* The last priority applied to tid, or -1. */
static inline int
last_applied(struct apply_log *log, pid_t tid)
{
	int pri = -1;
	unsigned i;

	pthread_mutex_lock(&log->mu);
	for (i = 0; i < log->n; i++)
		if (log->tid[i] == tid)
			pri = log->pri[i];
	pthread_mutex_unlock(&log->mu);
	return pri;
}

/* The priorities applied to tid, in order, into out[max]; how many. */
static inline unsigned
applied_to(struct apply_log *log, pid_t tid, int *out, unsigned max)
{
	unsigned i, n = 0;

	pthread_mutex_lock(&log->mu);
	for (i = 0; i < log->n; i++)
		if (log->tid[i] == tid && n < max)
			out[n++] = log->pri[i];
	pthread_mutex_unlock(&log->mu);
	return n;
}

/* ---- shared scenes: rights, requests, chains ----------------------------- */

/* The actor is still blocked as `kind` (its call has not returned). */
static inline bool
still_blocked(struct actor *a, uint32_t kind)
{
	return !actor_done(a) && wait_of(a->a_th).wait_kind == kind;
}

/* Send the receive right `r` of sp in a message to `dest` (transit). */
static inline void
send_receive_right(mipc_space_t sp, mach_port_name_t dest, mach_port_name_t r)
{
	mach_msg_port_descriptor_t d = port_desc(r, MACH_MSG_TYPE_MOVE_RECEIVE);
	msg_buf_t b;
	mach_msg_size_t size =
	    msg_init_ports(&b, dest, MACH_MSG_TYPE_COPY_SEND, 900, &d, 1);

	KR_EQ(msg_send(sp, &b, size), MACH_MSG_SUCCESS);
}

/*
 * Receive the message carrying a receive right from `from`; the name the
 * right landed on in sp.
 */
static inline mach_port_name_t
take_receive_right(mipc_space_t sp, mach_port_name_t from)
{
	msg_buf_t b;
	mach_msg_port_descriptor_t d;

	RECV_OK(sp, &b, from, 0);
	VAL_EQ(b.h.msgh_id, 900);
	d = rcv_port_desc(&b, 0);
	VAL_EQ(d.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
	return d.name;
}

/* The server's side of an RPC: take the request from p; its reply right. */
static inline mach_port_name_t
serve_request(mipc_space_t sp, mach_port_name_t p, mach_msg_id_t id)
{
	msg_buf_t b;

	RECV_OK(sp, &b, p, 0);
	VAL_EQ(b.h.msgh_id, id);
	VAL_EQ(
	    MACH_MSGH_BITS_REMOTE(b.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);
	return b.h.msgh_remote_port;
}

static inline void
reply_to(mipc_space_t sp, mach_port_name_t so, mach_msg_id_t id)
{
	KR_EQ(send_to(sp, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, id),
	    MACH_MSG_SUCCESS);
}

/* Only the threads' own turnstiles are alive now. */
#define TS_EQ_THREADS()                                    \
	do {                                               \
		struct mipc_stats s_;                      \
		mipc_quiesce();                            \
		mipc_get_stats(&s_);                       \
		ck_assert_msg(s_.turnstiles == s_.threads, \
		    "%llu turnstiles for %llu threads",    \
		    (unsigned long long)s_.turnstiles,     \
		    (unsigned long long)s_.threads);       \
	} while (0)

/* The chain of pushes from th into hops[]; how many. */
static inline uint32_t
chain_of(mipc_thread_t th, struct mipc_push_hop *hops, uint32_t max)
{
	memset(hops, 0, max * sizeof(*hops));
	return mipc_thread_push_chain(th, hops, max);
}

#define HOP_EQ(h, kind_, pri_)                                               \
	do {                                                                 \
		ck_assert_msg((h).kind == (kind_) && (h).priority == (pri_), \
		    "hop %s: kind %u priority %u, want %s %d", #h, (h).kind, \
		    (h).priority, #kind_, (int)(pri_));                      \
	} while (0)

/*
 * The shape of a push: th's chain is th itself, then hops of `kinds`
 * (MIPC_OWNER_* each), the first at `pri` and the rest at least that (a
 * turnstile holds the highest of its pushes), the last a thread of tid
 * last_tid (0: any, or none).
 */
static inline void
chain_is(mipc_thread_t th, const uint32_t *kinds, uint32_t n, int pri,
    pid_t last_tid, int line)
{
	struct mipc_push_hop hops[12];
	uint32_t got = chain_of(th, hops, NELEM(hops)), i;

	ck_assert_msg(got == n + 1, "line %d: chain of %u hops, want %u", line,
	    got, n + 1);
	for (i = 0; i < n; i++)
		ck_assert_msg(hops[i + 1].kind == kinds[i] &&
		        (i == 0 ? hops[1].priority == pri
		                : hops[i + 1].priority >= pri),
		    "line %d: hop %u kind %u pri %u, want kind %u pri %s%d",
		    line, i + 1, hops[i + 1].kind, hops[i + 1].priority,
		    kinds[i], i == 0 ? "" : ">= ", pri);
	if (last_tid != 0)
		ck_assert_msg(hops[n].tid == last_tid,
		    "line %d: chain ends on tid %d, want %d", line,
		    (int)hops[n].tid, (int)last_tid);
}

#define CHAIN_IS(th, pri, last_tid, ...)                                    \
	do {                                                                \
		static const uint32_t k_[] = { __VA_ARGS__ };               \
		chain_is((th), k_, NELEM(k_), (pri), (last_tid), __LINE__); \
	} while (0)

#define OWNER_IS(a, kind, tid)                                  \
	do {                                                    \
		struct mipc_wait_info ow_ = wait_of((a)->a_th); \
		VAL_EQ(ow_.owner_kind, (kind));                 \
		VAL_EQ(ow_.owner_tid, (tid));                   \
	} while (0)

#define PORT_   MIPC_OWNER_PORT
#define TRANS_  MIPC_OWNER_TRANSIT
#define WL_     MIPC_OWNER_WORKLOOP
#define THREAD_ MIPC_OWNER_THREAD

/* ---- actors that take commands: workloop servicers ----------------------- */

/*
 * An ACT_CMD actor runs, on its own thread, each command the test posts,
 * one at a time: actor_post returns at once (the command may block: wait
 * for it with WAIT_BLOCKED), ACTOR_DO waits for it to return and gives
 * its a_mr.  A servicer is an ACT_CMD actor with a workloop (a_wl); the
 * wl_cmd_* commands are the calls a server makes on its workloop.
 */
static inline void
actor_post(struct actor *a, void (*cmd)(struct actor *a))
{
	ck_assert_msg(a->a_kind == ACT_CMD, "commands go to ACT_CMD actors");
	atomic_store(&a->a_done, 0);
	a->a_cmd = cmd;
	sem_post(&a->a_go);
}

#define ACTOR_DO(a, cmd) (actor_post((a), (cmd)), WAIT_DONE(a))

/* A servicer of wl at `base` in the current space (started, idle). */
static inline void
actor_servicer(struct actor *a, int base, mipc_workloop_t wl)
{
	actor_init(a, ACT_CMD, base);
	a->a_wl = wl;
	actor_start(a);
}

/* Its own effective priority, read on its thread. */
static inline int
self_eff(void)
{
	return eff_of(mipc_thread_self());
}

/* Bind (and re-enable) without receiving: mipc_workloop_msg, no option. */
static inline void
wl_cmd_bind(struct actor *a)
{
	a->a_mr = mipc_workloop_msg(a->a_wl, NULL, 0, 0, 0, 0);
}

/* A poll through the workloop: nothing waits. */
static inline void
wl_cmd_recv_now(struct actor *a)
{
	msg_fill(&a->a_buf, MSG_FILL);
	a->a_mr = mipc_workloop_msg(a->a_wl, &a->a_buf.h,
	    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    (mach_msg_size_t)sizeof(a->a_buf), 0);
}

/* The reply right of the request in a_buf, if it carries one. */
static inline void
wl_took(struct actor *a)
{
	a->a_seen = self_eff();
	a->a_so = a->a_mr == MACH_MSG_SUCCESS &&
	        MACH_MSGH_BITS_REMOTE(a->a_buf.h.msgh_bits) ==
	            MACH_MSG_TYPE_PORT_SEND_ONCE
	    ? a->a_buf.h.msgh_remote_port
	    : MACH_PORT_NULL;
}

/* Receive the next message through the workloop (a_timeout). */
static inline void
wl_cmd_recv(struct actor *a)
{
	msg_fill(&a->a_buf, MSG_FILL);
	a->a_mr = mipc_workloop_msg(a->a_wl, &a->a_buf.h,
	    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    (mach_msg_size_t)sizeof(a->a_buf), act_timeout(a));
	wl_took(a);
}

/* The reply (id a_id) to a_so, in a_buf. */
static inline void
wl_reply_init(struct actor *a)
{
	msg_init(&a->a_buf, MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
	    a->a_so, MACH_PORT_NULL, a->a_id);
	a->a_so = MACH_PORT_NULL;
}

/* Reply through the workloop, no receive: the reply, then re-enable. */
static inline void
wl_cmd_reply(struct actor *a)
{
	wl_reply_init(a);
	a->a_mr = mipc_workloop_msg(
	    a->a_wl, &a->a_buf.h, MACH_SEND_MSG, HDR_SIZE, 0, 0);
}

/* Reply and receive the next message, one call (a_timeout). */
static inline void
wl_cmd_reply_recv(struct actor *a)
{
	wl_reply_init(a);
	a->a_mr = mipc_workloop_msg(a->a_wl, &a->a_buf.h,
	    MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, HDR_SIZE,
	    (mach_msg_size_t)sizeof(a->a_buf), act_timeout(a));
	wl_took(a);
}

/* Reply with a plain mach_msg: the workloop is not re-enabled. */
static inline void
wl_cmd_plain_reply(struct actor *a)
{
	wl_reply_init(a);
	a->a_mr = msg_send(act_space(a), &a->a_buf, HDR_SIZE);
}

/* Re-enable only (XNU's enable_kevent): msg with no send, no receive. */
#define wl_cmd_reenable wl_cmd_bind

/* Unbind: mipc_workloop_end. */
static inline void
wl_cmd_end(struct actor *a)
{
	mipc_workloop_end(a->a_wl);
	a->a_mr = MACH_MSG_SUCCESS;
}

/* mipc_workloop_destroy from the servicer's thread. */
static inline void
wl_cmd_destroy(struct actor *a)
{
	a->a_mr = mipc_workloop_destroy(a->a_wl);
}

/* An RPC to a_dest (id a_id) from the servicer's thread, as ACT_RPC. */
static inline void
wl_cmd_call(struct actor *a)
{
	act_rpc(a);
}

/* A workloop of sp (flags), checked. */
static inline mipc_workloop_t
wl_new(mipc_space_t sp, uint32_t flags)
{
	mipc_workloop_t wl = NULL;

	KR_OK(mipc_workloop_create(sp, flags, &wl));
	ck_assert_ptr_nonnull(wl);
	return wl;
}

/* ---- workloop scenes ----------------------------------------------------- */

/*
 * The common scene: workloop W of the task space with P (qlimit `q`)
 * attached, servicer S (LOW) bound without receiving.
 */
struct wscene {
	mipc_space_t sp;
	mipc_workloop_t wl;
	mach_port_name_t p;
	struct actor as[6];
};

static inline void
wscene_init(struct wscene *sc, mach_port_msgcount_t q, uint32_t flags)
{
	struct actor *s = &sc->as[0];

	memset(sc, 0, sizeof(*sc));
	sc->sp = mipc_thread_space();
	sc->wl = wl_new(sc->sp, flags);
	sc->p = tport_new(sc->sp, q);
	KR_OK(mipc_workloop_attach(sc->wl, sc->p));
	actor_servicer(s, LOW, sc->wl);
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
}

/* H (as[1]) at `hpri` blocked sending to the full P. */
static inline void
wscene_blocked_sender(struct wscene *sc, int hpri)
{
	struct actor *h = &sc->as[1];

	if (qlimit_of(sc->sp, sc->p) > 0)
		tport_fill(sc->sp, sc->p, 1);
	actor_send(h, hpri, NULL, sc->p, 2, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
}

/*
 * The push of blocked thread `a` reaches servicer `s` through P's send
 * turnstile and W's: [a, P, W, s], all at `pri`.
 */
static inline void
case7_shape(struct actor *a, struct actor *s, int pri)
{
	struct mipc_push_hop hops[8];
	struct mipc_wait_info w = wait_of(a->a_th);

	VAL_EQ(w.owner_kind, MIPC_OWNER_WORKLOOP);
	VAL_EQ(w.owner_tid, s->a_tid);
	VAL_EQ(w.push, pri);
	VAL_EQ(chain_of(a->a_th, hops, NELEM(hops)), 4);
	HOP_EQ(hops[0], MIPC_OWNER_THREAD, pri);
	HOP_EQ(hops[1], MIPC_OWNER_PORT, pri);
	HOP_EQ(hops[2], MIPC_OWNER_WORKLOOP, pri);
	HOP_EQ(hops[3], MIPC_OWNER_THREAD, pri);
	VAL_EQ(hops[3].tid, s->a_tid);
}

/* a's push stops at W: no servicer bound ([a, P, W]). */
static inline void
unbound_shape(struct actor *a, int pri)
{
	struct mipc_push_hop hops[8];
	struct mipc_wait_info w = wait_of(a->a_th);

	VAL_EQ(w.owner_kind, MIPC_OWNER_WORKLOOP);
	VAL_EQ(w.owner_tid, 0);
	VAL_EQ(chain_of(a->a_th, hops, NELEM(hops)), 3);
	HOP_EQ(hops[1], MIPC_OWNER_PORT, pri);
	HOP_EQ(hops[2], MIPC_OWNER_WORKLOOP, pri);
}

/* a's push goes nowhere ([a, P]). */
static inline void
nowhere_shape(struct actor *a)
{
	struct mipc_push_hop hops[8];
	struct mipc_wait_info w = wait_of(a->a_th);

	VAL_EQ(w.owner_kind, MIPC_OWNER_NONE);
	VAL_EQ(w.owner_tid, 0);
	VAL_EQ(chain_of(a->a_th, hops, NELEM(hops)), 2);
}

/* A port set of sp holding n (a fresh name). */
static inline mach_port_name_t
pset_with(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_name_t ps = MACH_PORT_NULL;

	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &ps));
	KR_OK(mipc_port_move_member(sp, n, ps));
	return ps;
}

/* A port of sp (qlimit 1, full) with actor a at pri blocked sending id. */
static inline mach_port_name_t
tport_pushed(mipc_space_t sp, struct actor *a, int pri, mach_msg_id_t id)
{
	mach_port_name_t r = tport_new(sp, 1);

	tport_fill(sp, r, 1);
	actor_send(a, pri, NULL, r, id, 0);
	WAIT_BLOCKED(a, MIPC_WAIT_SEND_FULL);
	return r;
}

/*
 * Let the sender `a` blocked on the full r in: take the message ahead
 * (id 1), a gets in, take a's (id).
 */
static inline void
tport_admit(
    mipc_space_t sp, mach_port_name_t r, struct actor *a, mach_msg_id_t id)
{
	VAL_EQ(tport_take(sp, r), 1);
	VAL_EQ(WAIT_DONE(a), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sp, r), id);
}

/* Receive right r sent to P, received through W by S: its name there. */
static inline mach_port_name_t
wscene_deliver(struct wscene *sc, mach_port_name_t r)
{
	struct actor *s = &sc->as[0];

	send_receive_right(sc->sp, sc->p, r);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(rcv_port_desc(&s->a_buf, 0).disposition,
	    MACH_MSG_TYPE_PORT_RECEIVE);
	return rcv_port_desc(&s->a_buf, 0).name;
}

/* The end of a scene: S unbinds, W goes, the n actors end. */
static inline void
wscene_end(struct wscene *sc, unsigned n)
{
	VAL_EQ(ACTOR_DO(&sc->as[0], wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(sc->wl));
	actors_end(sc->as, n);
}

#endif /* MIPC_TESTS_CONFORMANCE_TURNSTILE_HELPERS_H */
