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
 */
#ifndef MIPC_TESTS_CONFORMANCE_TURNSTILE_HELPERS_H
#define MIPC_TESTS_CONFORMANCE_TURNSTILE_HELPERS_H

#include "msg_helpers.h"

#include <errno.h>
#include <mipc/sync.h>
#include <semaphore.h>

#define ACT_BOUND_MS 5000  /* how long a test waits for a state */
#define ACT_LONG_MS  20000 /* default timeout of an actor's call */

enum act_kind {
	ACT_PARK, /* nothing: park (a watcher, an inheritor) */
	ACT_SEND, /* a 24-byte send to a_dest, blocking up to a_timeout */
	ACT_RPC,  /* send to a_dest with a fresh special reply port as
	             MAKE_SEND_ONCE reply, then receive on it */
	ACT_RECV, /* receive on a_rcv */
	ACT_FN,   /* a_fn(a) */
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

	/* Results. */
	pthread_t a_pt;
	bool a_started, a_joined;
	mipc_thread_t a_th; /* retained: valid after the thread exits */
	pid_t a_tid;
	atomic_uint a_srp; /* RPC: its special reply port */
	mach_msg_return_t a_mr;
	msg_buf_t a_buf; /* what RPC / RECV received */
	atomic_int a_done;
	sem_t a_ready, a_release;
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

#endif /* MIPC_TESTS_CONFORMANCE_TURNSTILE_HELPERS_H */
