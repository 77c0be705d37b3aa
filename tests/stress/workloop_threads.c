/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * workloop_threads.c -- workloop servers under concurrency (issue 14):
 * clients at changing priorities do RPCs through their special reply
 * ports (some carrying a receive right) to service ports served by
 * workloops, while a chaos thread attaches and detaches those ports,
 * moves their receive rights through a message and back, destroys and
 * remakes them, sets servicer floors, and destroys workloops under their
 * bound or parked servicers and makes new ones.  Servicers reply, drop
 * the reply right, or move on without replying (lost links), and
 * sometimes end and bind again; a servicer may call the other slot's
 * backend port before replying (a two-hop chain, or, both at once, a
 * cycle that their timeouts undo).
 *
 * Bounded: each client does a fixed number of RPCs (every call has a
 * timeout), so the run ends on a loaded 2-core machine too.  At the end
 * every servicer and client is back at its base priority before it
 * exits, every workloop is gone, and the teardown finds no object left
 * (turnstiles included: only the main thread's own).
 *
 * Handles: a workloop handle is used by the chaos thread and, while
 * unbound, by its servicer only under the slot's mutex; a bound servicer
 * may use it freely (its binding keeps it valid, sync.h).
 */
#include "stress.h"

#include <mipc/sync.h>
#include <string.h>
#include <time.h>

enum { NSLOTS = 2, NPORTS = 4, NCLIENTS = 3, REQ_ID = 500, REPLY_ID = 600 };

typedef struct {
	mach_msg_header_t h;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t d;
	mach_msg_max_trailer_t t;
} wt_msg_t;

struct slot {
	pthread_mutex_t mu;
	mipc_workloop_t wl; /* (mu) the current one, or NULL */
};

static mipc_space_t srv, cli;
static struct slot slots[NSLOTS];
static mach_port_name_t srv_port[NPORTS]; /* chaos thread's names */
static mach_port_name_t backend[NSLOTS];  /* srv: send+receive, fixed */
static mach_port_name_t cli_port[NPORTS]; /* (A) clients' send rights */
static int stop;                          /* (A) */
static int clients_left;                  /* (A) */
static long replies, lost;                /* (A) counters */

static void
guard_ignore(
    mipc_space_t s, mach_port_name_t n, uint64_t f, uint64_t p, void *c)
{
	(void)s;
	(void)n;
	(void)f;
	(void)p;
	(void)c;
}

static void
nap_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

/* The calling thread is at its base priority: nothing pushes on it. */
static void
require_at_base(const char *who)
{
	struct mipc_thread_priority p;

	MIPC_REQUIRE(
	    mipc_thread_get_priority(mipc_thread_self(), &p) == KERN_SUCCESS,
	    "priority");
	MIPC_REQUIRE(p.effective == p.base && p.promotion == 0,
	    "%s not at base: effective %u base %u promotion %u", who,
	    p.effective, p.base, p.promotion);
}

/* ---- clients ------------------------------------------------------------- */

static void *
client(void *arg)
{
	static const int pris[] = { 4, 20, 31, 37, 47, 60, 90 };
	long id = (long)(intptr_t)arg, i, n = stress_iters(1000);
	unsigned int seed = (unsigned int)id * 7919u + 11;
	mach_port_name_t srp;

	stress_pin((int)id);
	(void)mipc_thread_set_space(cli);
	srp = mig_get_special_reply_port();
	MIPC_REQUIRE(MACH_PORT_VALID(srp), "special reply port");
	for (i = 0; i < n; i++) {
		int k = (int)(rand_r(&seed) % NPORTS);
		mach_port_name_t dest =
		    __atomic_load_n(&cli_port[k], __ATOMIC_RELAXED);
		mach_msg_return_t mr;
		mach_port_name_t carried = MACH_PORT_NULL;
		wt_msg_t m;

		(void)mipc_thread_set_base_priority(mipc_thread_self(),
		    pris[rand_r(&seed) % (sizeof(pris) / sizeof(pris[0]))]);
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(
		    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.h.msgh_remote_port = dest;
		m.h.msgh_local_port = srp;
		m.h.msgh_id = REQ_ID;
		m.h.msgh_size = sizeof(m.h);
		if (rand_r(&seed) % 8 == 0 &&
		    mipc_port_allocate(cli, MACH_PORT_RIGHT_RECEIVE,
		        &carried) == KERN_SUCCESS) {
			/* A receive right in the request (cases 4, 5). */
			m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
			m.body.msgh_descriptor_count = 1;
			m.d.name = carried;
			m.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
			m.d.type = MACH_MSG_PORT_DESCRIPTOR;
			m.h.msgh_size = (mach_msg_size_t)offsetof(wt_msg_t, t);
		}
		mr = mipc_msg(cli, &m.h,
		    MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_MSG |
		        MACH_RCV_TIMEOUT | MACH_RCV_SYNC_WAIT,
		    m.h.msgh_size, sizeof(m), srp, 30, MACH_PORT_NULL);
		/* A right a failed send left behind is cli's, freed with it. */
		if (mr == MACH_MSG_SUCCESS) {
			__atomic_fetch_add(&replies, 1, __ATOMIC_RELAXED);
			mipc_msg_destroy(cli, &m.h);
		}
		/* Not waiting: nothing of ours pushes anywhere. */
		if (i % 16 == 0) {
			boolean_t was_lost = FALSE;

			(void)mach_port_special_reply_port_reset_link(
			    mach_task_self(), srp, &was_lost);
			if (was_lost)
				__atomic_fetch_add(&lost, 1, __ATOMIC_RELAXED);
		}
	}
	(void)mipc_thread_set_base_priority(mipc_thread_self(), 31);
	require_at_base("client");
	(void)mipc_thread_set_space(NULL);
	__atomic_fetch_sub(&clients_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- servicers ----------------------------------------------------------- */

/* Bind to the slot's current workloop, under its mutex; NULL: none. */
static mipc_workloop_t
servicer_bind(struct slot *sl)
{
	mipc_workloop_t wl;

	pthread_mutex_lock(&sl->mu);
	wl = sl->wl;
	if (wl != NULL &&
	    mipc_workloop_msg(wl, NULL, 0, 0, 0, 0) != MACH_MSG_SUCCESS)
		wl = NULL; /* another thread's, or just destroyed */
	pthread_mutex_unlock(&sl->mu);
	return wl;
}

static void
servicer_end(struct slot *sl, mipc_workloop_t wl)
{
	pthread_mutex_lock(&sl->mu);
	mipc_workloop_end(wl);
	pthread_mutex_unlock(&sl->mu);
}

/* An RPC from the servicer's thread through its own SRP. */
static void
servicer_call(mach_port_name_t dest)
{
	mach_port_name_t srp = mig_get_special_reply_port();
	wt_msg_t c;
	mach_msg_return_t mr;

	memset(&c, 0, sizeof(c));
	c.h.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	c.h.msgh_remote_port = dest;
	c.h.msgh_local_port = srp;
	c.h.msgh_id = REQ_ID;
	c.h.msgh_size = sizeof(c.h);
	mr = mipc_msg(srv, &c.h,
	    MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	    sizeof(c.h), sizeof(c), srp, 5, MACH_PORT_NULL);
	if (mr == MACH_MSG_SUCCESS)
		mipc_msg_destroy(srv, &c.h);
}

static void *
servicer(void *arg)
{
	long id = (long)(intptr_t)arg;
	struct slot *sl = &slots[id];
	unsigned int seed = (unsigned int)id * 104729u + 5;
	mipc_workloop_t wl = NULL;
	mach_port_name_t held = MACH_PORT_NULL, carried = MACH_PORT_NULL;
	wt_msg_t m;
	int reply = 0;

	stress_pin((int)id + 1);
	(void)mipc_thread_set_space(srv);
	(void)mipc_thread_set_base_priority(mipc_thread_self(), 4);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE) || wl != NULL) {
		mach_msg_option_t opt = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
		mach_msg_return_t mr;

		if (wl == NULL) {
			wl = servicer_bind(sl);
			if (wl == NULL)
				nap_us(500);
			continue;
		}
		if (reply) {
			opt |= MACH_SEND_MSG;
			m.h.msgh_bits =
			    MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
			m.h.msgh_local_port = MACH_PORT_NULL;
			m.h.msgh_id = REPLY_ID;
			m.h.msgh_size = sizeof(m.h);
		}
		mr =
		    mipc_workloop_msg(wl, &m.h, opt, sizeof(m.h), sizeof(m), 5);
		reply = 0;
		/* A right received through the last delivery: gone now. */
		if (carried != MACH_PORT_NULL)
			(void)mipc_port_destroy(srv, carried);
		carried = MACH_PORT_NULL;
		if (held != MACH_PORT_NULL) /* a reply never sent */
			(void)mipc_port_deallocate(srv, held);
		held = MACH_PORT_NULL;
		if (mr == MACH_RCV_PORT_CHANGED) {
			servicer_end(sl, wl); /* destroyed under us */
			wl = NULL;
			require_at_base("servicer");
			continue;
		}
		if (mr != MACH_MSG_SUCCESS) {
			if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE) &&
			    __atomic_load_n(&clients_left, __ATOMIC_ACQUIRE) ==
			        0 &&
			    mr == MACH_RCV_TIMED_OUT &&
			    rand_r(&seed) % 4 == 0) {
				servicer_end(sl, wl);
				wl = NULL;
			}
			continue;
		}
		if ((m.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) &&
		    m.d.disposition == MACH_MSG_TYPE_PORT_RECEIVE)
			carried = m.d.name;
		if (MACH_MSGH_BITS_REMOTE(m.h.msgh_bits) !=
		    MACH_MSG_TYPE_PORT_SEND_ONCE)
			continue;
		switch (rand_r(&seed) % 8) {
		case 7: /* call the other slot's backend first, then reply */
			servicer_call(backend[(id + 1) % NSLOTS]);
			reply = 1;
			break;
		case 0: /* move on without replying: a lost link */
			held = m.h.msgh_remote_port;
			break;
		case 1: /* drop the reply right: a send-once notification */
			(void)mipc_port_deallocate(srv, m.h.msgh_remote_port);
			break;
		case 2: /* reply, then end and bind again */
			m.h.msgh_bits =
			    MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
			m.h.msgh_local_port = MACH_PORT_NULL;
			m.h.msgh_id = REPLY_ID;
			m.h.msgh_size = sizeof(m.h);
			(void)mipc_msg(srv, &m.h, MACH_SEND_MSG, sizeof(m.h), 0,
			    MACH_PORT_NULL, 0, MACH_PORT_NULL);
			servicer_end(sl, wl);
			wl = NULL;
			break;
		default: /* reply with the next receive */
			reply = 1;
			break;
		}
	}
	if (held != MACH_PORT_NULL)
		(void)mipc_port_deallocate(srv, held);
	require_at_base("servicer");
	(void)mipc_thread_set_space(NULL);
	return NULL;
}

/* ---- chaos --------------------------------------------------------------- */

/* A new service port k: receive right in srv, send right in cli. */
static void
port_make(int k)
{
	mach_port_name_t n = MACH_PORT_NULL, c = MACH_PORT_NULL;
	mach_msg_type_name_t t;

	MIPC_REQUIRE(mipc_port_allocate(srv, MACH_PORT_RIGHT_RECEIVE, &n) ==
	        KERN_SUCCESS,
	    "allocate");
	MIPC_REQUIRE(mipc_port_extract_right(srv, n, MACH_MSG_TYPE_MAKE_SEND,
	                 cli, &c, &t) == KERN_SUCCESS,
	    "send right for the clients");
	srv_port[k] = n;
	__atomic_store_n(&cli_port[k], c, __ATOMIC_RELAXED);
}

/* The receive right of port k through a message and back (transit). */
static void
port_move(int k, mach_port_name_t holder)
{
	wt_msg_t m;
	mach_msg_return_t mr;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits =
	    MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_remote_port = holder;
	m.h.msgh_size = (mach_msg_size_t)offsetof(wt_msg_t, t);
	m.body.msgh_descriptor_count = 1;
	m.d.name = srv_port[k];
	m.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	m.d.type = MACH_MSG_PORT_DESCRIPTOR;
	mr = mipc_msg(srv, &m.h, MACH_SEND_MSG, m.h.msgh_size, 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
	MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "move out: 0x%x", mr);
	nap_us(200); /* in transit a while: pushes land on the holder */
	mr = mipc_msg(srv, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	    holder, 1000, MACH_PORT_NULL);
	MIPC_REQUIRE(mr == MACH_MSG_SUCCESS &&
	        m.d.disposition == MACH_MSG_TYPE_PORT_RECEIVE,
	    "move back: 0x%x", mr);
	srv_port[k] = m.d.name;
}

static void
chaos(void)
{
	unsigned int seed = 977;
	mach_port_name_t holder = MACH_PORT_NULL;
	int k, s;

	MIPC_REQUIRE(mipc_port_allocate(
	                 srv, MACH_PORT_RIGHT_RECEIVE, &holder) == KERN_SUCCESS,
	    "holder");
	while (__atomic_load_n(&clients_left, __ATOMIC_ACQUIRE) > 0) {
		struct slot *sl = &slots[rand_r(&seed) % NSLOTS];

		k = (int)(rand_r(&seed) % NPORTS);
		pthread_mutex_lock(&sl->mu);
		switch (rand_r(&seed) % 10) {
		case 0:
		case 1:
		case 2: /* attach (another slot's port moves: refused) */
			if (sl->wl != NULL)
				(void)mipc_workloop_attach(sl->wl, srv_port[k]);
			break;
		case 3:
			if (sl->wl != NULL)
				(void)mipc_workloop_detach(sl->wl, srv_port[k]);
			break;
		case 4: /* through a message and back: detached */
			port_move(k, holder);
			break;
		case 5: /* destroyed: clients' rights die; a new one */
			(void)mipc_port_destroy(srv, srv_port[k]);
			port_make(k);
			break;
		case 6: /* the workloop destroyed under its servicer */
			if (sl->wl != NULL) {
				MIPC_REQUIRE(mipc_workloop_destroy(sl->wl) ==
				        KERN_SUCCESS,
				    "destroy");
				sl->wl = NULL;
			}
			break;
		case 7:
			if (sl->wl == NULL) {
				MIPC_REQUIRE(mipc_workloop_create(srv, 0,
				                 &sl->wl) == KERN_SUCCESS,
				    "create");
				(void)mipc_workloop_attach(
				    sl->wl, backend[sl - slots]);
			}
			break;
		case 8:
			if (sl->wl != NULL)
				(void)mipc_workloop_set_min_priority(
				    sl->wl, (int)(rand_r(&seed) % 40));
			break;
		default:
			break;
		}
		pthread_mutex_unlock(&sl->mu);
		nap_us(300);
	}
	for (s = 0; s < NSLOTS; s++) {
		pthread_mutex_lock(&slots[s].mu);
		if (slots[s].wl != NULL)
			MIPC_REQUIRE(
			    mipc_workloop_destroy(slots[s].wl) == KERN_SUCCESS,
			    "destroy at the end");
		slots[s].wl = NULL;
		pthread_mutex_unlock(&slots[s].mu);
	}
	(void)mipc_port_destroy(srv, holder);
}

START_TEST(workloop_servers_clients_and_chaos)
{
	pthread_t ct[NCLIENTS], st[NSLOTS];
	struct mipc_stats s;
	long i;

	mipc_set_guard_handler(guard_ignore, NULL);
	ck_assert_int_eq(mipc_space_create(&srv), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&cli), KERN_SUCCESS);
	stop = 0;
	clients_left = NCLIENTS;
	for (i = 0; i < NPORTS; i++)
		port_make((int)i);
	for (i = 0; i < NSLOTS; i++) {
		ck_assert_int_eq(
		    mipc_port_allocate_init(
		        srv, MIPC_PORT_INIT_MAKE_SEND_RIGHT, &backend[i]),
		    KERN_SUCCESS);
		pthread_mutex_init(&slots[i].mu, NULL);
		ck_assert_int_eq(
		    mipc_workloop_create(srv,
		        i == 0 ? 0 : MIPC_WORKLOOP_INHERIT_RT, &slots[i].wl),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_workloop_attach(slots[i].wl, srv_port[i]),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_workloop_attach(slots[i].wl, backend[i]),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    pthread_create(&st[i], NULL, servicer, (void *)(intptr_t)i),
		    0);
	}
	for (i = 0; i < NCLIENTS; i++)
		ck_assert_int_eq(
		    pthread_create(&ct[i], NULL, client, (void *)(intptr_t)i),
		    0);
	chaos();
	for (i = 0; i < NCLIENTS; i++)
		pthread_join(ct[i], NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NSLOTS; i++)
		pthread_join(st[i], NULL);
	for (i = 0; i < NSLOTS; i++)
		pthread_mutex_destroy(&slots[i].mu);
	ck_assert_int_eq(mipc_space_destroy(srv), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(cli), KERN_SUCCESS);
	mipc_quiesce();
	mipc_get_stats(&s);
	/* Every workloop and send turnstile went: the main thread's own. */
	ck_assert_msg(s.turnstiles == s.threads,
	    "%llu turnstiles for %llu threads",
	    (unsigned long long)s.turnstiles, (unsigned long long)s.threads);
	ck_assert_msg(replies > 0, "no RPC ever completed");
	fprintf(stderr, "workloop_threads: %ld replies, %ld lost links seen\n",
	    replies, lost);
}
END_TEST

static Suite *
workloop_threads_suite(void)
{
	Suite *s = suite_create("workloop_threads");
	TCase *tc = mipc_tcase("servers_clients_chaos");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, workloop_servers_clients_and_chaos);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(workloop_threads_suite)
