/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server.c -- the server loop a user writes with a demux function:
 * mach_msg_server_once and mach_msg_server (libsyscall's mach/mach_msg.c
 * in xnu-6153, call for call), run on a workloop so the servicer inherits
 * its clients' priority, and mipc_server_run, a pool of such loops.
 *
 * Owns:      the loops' buffers; the registry of running loops (which
 *            loop serves which port, which joined it through which set).
 * Locking:   srv_registry_lock, a pthread mutex outside the engine's rank
 *            order: it is taken with no mipc lock held and held across
 *            mipc calls (attach, set creation and destruction), which never
 *            call back into this file.
 * Lifetime:  a loop's workloop, buffers and private set live for the call.
 *            A forked child starts with an empty registry (fork.c).
 * Choices:   * libsyscall's behaviour: options lose MACH_SEND_MSG,
 *              MACH_RCV_MSG and MACH_RCV_VOUCHER and go to both halves;
 *              buffers of max_size (+ the requested trailer, + a maximal
 *              one with MACH_SEND_TRAILER) rounded to pages; MIG_NO_REPLY
 *              sends nothing; an error RetCode in a simple reply destroys
 *              the request but its reply right (MIG moved it); a reply
 *              through a send right is sent with MACH_SEND_TIMEOUT 0, one
 *              through a send-once right without; MACH_SEND_INVALID_DEST,
 *              MACH_SEND_TIMED_OUT, MACH_SEND_INTERRUPTED are recoverable
 *              (the unsent reply is destroyed and the loop goes on), any
 *              other failure ends the loop with its code; MACH_RCV_LARGE
 *              grows the buffers to the waiting request's size.  The reply
 *              and the next receive are one call, as mach_msg_server's
 *              combined mach_msg; 6153 polls that receive and then blocks
 *              (for vouchers), which changes nothing observable here.
 *            * The workloop: made for the call in the caller's current
 *              space, rcv_name attached -- a port: its clients and blocked
 *              senders push on the servicer (send case 7), a request's
 *              reply right keeps pushing while it is served (receive case
 *              2); a set: received from, no push.  A loop ends when the
 *              port or set vanishes (the workloop's MACH_RCV_PORT_CHANGED,
 *              as a plain receive's).  Without a workloop (none can be
 *              made, or rcv_name is not something a workloop attaches --
 *              a special reply port, a bad name) the loop receives with
 *              plain mach_msg and returns its errors.
 *            * Several loops on one port (threads calling mach_msg_server
 *              on it, or mipc_server_run): a port attaches to one workloop,
 *              so the first loop (the primary) attaches it and every later
 *              one joins: it makes a port set of its own holding the port
 *              and attaches that set.  Whoever dequeues a request gets its
 *              client's push from then on (receive case 2, through its own
 *              knote); requests still queued, and senders blocked on a
 *              full queue, push on the primary only (case 7 has one
 *              inheritor) -- the one XNU gives too.  A joiner's set holds
 *              the port only, so when the primary ends it destroys the
 *              joiners' sets and they end too (MACH_RCV_PORT_CHANGED): a
 *              pool stops as one, and never outlives its port.
 */
#include "server.h"

#include "cache.h"
#include "kmsg.h"
#include "lock.h"

#include <errno.h>
#include <mipc/mach.h>
#include <mipc/sync.h>
#include <pthread.h>
#include <string.h>

#define SRV_PAGE       4096u
#define SRV_POOL_MAX   64u
#define SRV_MAX_BUFFER (MIPC_MSG_MAX_BODY + MAX_TRAILER_SIZE)

struct srv_pool;

/* One running loop.  (R) srv_registry_lock */
struct srv {
	struct srv_pool *sv_pool; /* the pool it serves in, or NULL */
	struct srv *sv_next;      /* (R) the registry */
	mipc_space_t sv_space;    /* the space it serves in */
	mach_port_name_t sv_rcv;  /* rcv_name */
	mipc_workloop_t sv_wl;    /* NULL: plain receive */
	struct srv *sv_primary;   /* (R) joined: the loop it joined */
	mach_port_name_t sv_set;  /* joined: its port set */
	bool sv_set_gone;         /* (R) joined: the primary destroyed it */
	void *sv_buf[2];          /* request, reply */
	mach_msg_size_t sv_alloc; /* bytes of each */
};

static pthread_mutex_t srv_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct srv *srv_registry; /* (R) */

/*
 * ipc_server_atfork_child
 *	fork(): the loops of the parent run on threads the child does not
 *	have, in spaces the child does not have: the registry starts empty
 *	(the records are abandoned) and its lock, which one of them may have
 *	held, starts unlocked.
 * Conditions: the only thread of a fresh child; takes no lock.
 */
void
ipc_server_atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	srv_registry_lock = fresh;
	srv_registry = NULL;
}

/* ------------------------------------------------------------------ */
/* Opening and closing a loop                                          */

static struct srv *
srv_primary_of(mipc_space_t space, mach_port_name_t rcv)
{
	struct srv *s;

	for (s = srv_registry; s != NULL; s = s->sv_next)
		if (s->sv_space == space && s->sv_rcv == rcv &&
		    s->sv_primary == NULL && s->sv_set == MACH_PORT_NULL)
			return s;
	return NULL;
}

/* Join `primary`'s port through a set of our own.  (R) held. */
static bool
srv_join(struct srv *sv, struct srv *primary)
{
	mach_port_name_t set = MACH_PORT_NULL;

	if (mipc_port_allocate(sv->sv_space, MACH_PORT_RIGHT_PORT_SET, &set) !=
	    KERN_SUCCESS)
		return false;
	if (mipc_port_insert_member(sv->sv_space, sv->sv_rcv, set) !=
	        KERN_SUCCESS ||
	    mipc_workloop_attach(sv->sv_wl, set) != KERN_SUCCESS) {
		(void)mipc_port_mod_refs(
		    sv->sv_space, set, MACH_PORT_RIGHT_PORT_SET, -1);
		return false;
	}
	sv->sv_set = set;
	sv->sv_primary = primary;
	return true;
}

struct srv_pool {
	mipc_space_t sp_space;
	boolean_t (*sp_demux)(mach_msg_header_t *, mach_msg_header_t *);
	mach_msg_size_t sp_max_size;
	mach_port_name_t sp_rcv;
	mach_msg_options_t sp_options;
	bool sp_stopped; /* (R) its primary ended: late joiners do not start */
};

/*
 * srv_open
 *	Make `sv` a loop on rcv: on a workloop of its own (registered), or
 *	joining the loop that has rcv's workloop (registered), or -- no
 *	workloop to be had -- a plain receive (sv_wl NULL, not registered).
 * Returns:
 *	false, `sv` neither registered nor holding anything, when its pool
 *	stopped before it began.
 */
static bool
srv_open(struct srv *sv, mipc_space_t space, mach_port_name_t rcv,
    struct srv_pool *pool)
{
	struct srv *primary;
	bool ok = false;

	memset(sv, 0, sizeof(*sv));
	sv->sv_space = space;
	sv->sv_rcv = rcv;
	sv->sv_pool = pool;
	if (mipc_workloop_create(space, 0, &sv->sv_wl) != KERN_SUCCESS) {
		sv->sv_wl = NULL;
		return true; /* plain receive: it reports what is wrong */
	}
	pthread_mutex_lock(&srv_registry_lock);
	if (pool != NULL && pool->sp_stopped) {
		pthread_mutex_unlock(&srv_registry_lock);
		(void)mipc_workloop_destroy(sv->sv_wl);
		sv->sv_wl = NULL;
		return false;
	}
	switch (mipc_workloop_attach(sv->sv_wl, rcv)) {
	case KERN_SUCCESS:
		ok = true;
		break;
	case KERN_INVALID_ARGUMENT: /* another workloop has it */
		primary = srv_primary_of(space, rcv);
		ok = primary != NULL && srv_join(sv, primary);
		break;
	default:
		break;
	}
	if (ok) {
		sv->sv_next = srv_registry;
		srv_registry = sv;
	}
	pthread_mutex_unlock(&srv_registry_lock);
	if (!ok) {
		(void)mipc_workloop_destroy(sv->sv_wl);
		sv->sv_wl = NULL;
	}
	return true;
}

static void
srv_close(struct srv *sv)
{
	struct srv **l, *s;

	if (sv->sv_wl == NULL)
		return;
	pthread_mutex_lock(&srv_registry_lock);
	for (l = &srv_registry; *l != sv; l = &(*l)->sv_next)
		ipc_require(*l != NULL, "a running loop is registered");
	*l = sv->sv_next;
	if (sv->sv_pool != NULL && sv->sv_set == MACH_PORT_NULL)
		sv->sv_pool->sp_stopped = true; /* the pool's primary */
	/* The primary goes: so do its joiners (their sets hold the port). */
	for (s = srv_registry; s != NULL; s = s->sv_next) {
		if (s->sv_primary != sv)
			continue;
		(void)mipc_port_mod_refs(
		    s->sv_space, s->sv_set, MACH_PORT_RIGHT_PORT_SET, -1);
		s->sv_set_gone = true;
		s->sv_primary = NULL;
	}
	if (sv->sv_set != MACH_PORT_NULL && !sv->sv_set_gone)
		(void)mipc_port_mod_refs(
		    sv->sv_space, sv->sv_set, MACH_PORT_RIGHT_PORT_SET, -1);
	pthread_mutex_unlock(&srv_registry_lock);
	(void)mipc_workloop_destroy(sv->sv_wl);
	sv->sv_wl = NULL;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

static mach_msg_return_t
srv_recv(struct srv *sv, mach_msg_header_t *msg, mach_msg_option_t options,
    mach_msg_size_t rcv_size)
{
	if (sv->sv_wl != NULL)
		return mipc_workloop_msg(sv->sv_wl, msg, MACH_RCV_MSG | options,
		    0, rcv_size, MACH_MSG_TIMEOUT_NONE);
	return mipc_msg(sv->sv_space, msg, MACH_RCV_MSG | options, 0, rcv_size,
	    sv->sv_rcv, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* Send `msg` (the reply); with MACH_RCV_MSG in options, then receive the
 * next request into the same buffer. */
static mach_msg_return_t
srv_send(struct srv *sv, mach_msg_header_t *msg, mach_msg_option_t options,
    mach_msg_size_t rcv_size)
{
	if (MACH_MSGH_BITS_REMOTE(msg->msgh_bits) !=
	    MACH_MSG_TYPE_MOVE_SEND_ONCE)
		options |= MACH_SEND_TIMEOUT;
	if (sv->sv_wl != NULL)
		return mipc_workloop_msg(sv->sv_wl, msg,
		    MACH_SEND_MSG | options, msg->msgh_size, rcv_size,
		    MACH_MSG_TIMEOUT_NONE);
	return mipc_msg(sv->sv_space, msg, MACH_SEND_MSG | options,
	    msg->msgh_size, rcv_size, sv->sv_rcv, MACH_MSG_TIMEOUT_NONE,
	    MACH_PORT_NULL);
}

/* libsyscall's mach_msg_server_is_recoverable_send_error. */
static bool
srv_recoverable(mach_msg_return_t mr)
{
	return mr == MACH_SEND_INVALID_DEST || mr == MACH_SEND_TIMED_OUT ||
	    mr == MACH_SEND_INTERRUPTED;
}

/* libsyscall's mach_msg_server_consume_unsent_message. */
static void
srv_consume_unsent(struct srv *sv, mach_msg_header_t *hdr)
{
	mach_msg_type_name_t lt = MACH_MSGH_BITS_LOCAL(hdr->msgh_bits);

	if (MACH_PORT_VALID(hdr->msgh_local_port) &&
	    (lt == MACH_MSG_TYPE_MOVE_SEND ||
	        lt == MACH_MSG_TYPE_MOVE_SEND_ONCE)) {
		(void)mipc_port_deallocate(sv->sv_space, hdr->msgh_local_port);
		hdr->msgh_local_port = MACH_PORT_NULL;
	}
	mipc_msg_destroy(sv->sv_space, hdr);
}

/* What the demux left in the reply; the request is destroyed on error. */
static void
srv_after_demux(struct srv *sv, mig_reply_error_t *req, mig_reply_error_t *rep)
{
	kern_return_t kr = (rep->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX)
	    ? KERN_SUCCESS
	    : rep->RetCode;

	if (kr == KERN_SUCCESS)
		return;
	if (kr == MIG_NO_REPLY) {
		rep->Head.msgh_remote_port = MACH_PORT_NULL;
		return;
	}
	/* Destroy the request, not its reply right (MIG moved it). */
	req->Head.msgh_remote_port = MACH_PORT_NULL;
	mipc_msg_destroy(sv->sv_space, &req->Head);
}

static mach_msg_size_t
srv_round(size_t n)
{
	if (n > SRV_MAX_BUFFER)
		n = SRV_MAX_BUFFER;
	return (mach_msg_size_t)((n + SRV_PAGE - 1) & ~(size_t)(SRV_PAGE - 1));
}

static void
srv_free_buffers(struct srv *sv)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (sv->sv_buf[i] != NULL)
			ipc_free(IPC_KIND_MISC, sv->sv_buf[i], sv->sv_alloc);
		sv->sv_buf[i] = NULL;
	}
}

/* Both buffers of `size` bytes (a request left queued needs no copy). */
static kern_return_t
srv_buffers(struct srv *sv, mach_msg_size_t size)
{
	srv_free_buffers(sv);
	sv->sv_alloc = size;
	sv->sv_buf[0] = ipc_alloc(IPC_KIND_MISC, size);
	sv->sv_buf[1] = ipc_alloc(IPC_KIND_MISC, size);
	if (sv->sv_buf[0] == NULL || sv->sv_buf[1] == NULL) {
		srv_free_buffers(sv);
		return KERN_RESOURCE_SHORTAGE;
	}
	return KERN_SUCCESS;
}

/*
 * The loop.  `once`: mach_msg_server_once -- one request, its reply sent
 * alone; else mach_msg_server.
 */
static mach_msg_return_t
srv_loop(struct srv *sv,
    boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_msg_options_t options, bool once)
{
	mach_msg_size_t trailer, alloc, request_size;
	mig_reply_error_t *req, *rep, *tmp;
	mach_msg_return_t mr;
	size_t want;

	options &= ~(MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_VOUCHER);
	trailer = ipc_trailer_size(options);
	want = (size_t)max_size + trailer;
	if ((options & MACH_SEND_TRAILER) &&
	    (size_t)max_size + MAX_TRAILER_SIZE > want)
		want = (size_t)max_size + MAX_TRAILER_SIZE;
	alloc = srv_round(want);
	if (srv_buffers(sv, alloc) != KERN_SUCCESS)
		return KERN_RESOURCE_SHORTAGE;
	req = sv->sv_buf[0];
	rep = sv->sv_buf[1];
	request_size = (options & MACH_RCV_LARGE) ? alloc : max_size + trailer;
	mr = srv_recv(sv, &req->Head, options, request_size);
	for (;;) {
		while (mr == MACH_MSG_SUCCESS) {
			memset(&rep->Head, 0, sizeof(rep->Head));
			(void)(*demux)(&req->Head, &rep->Head);
			srv_after_demux(sv, req, rep);
			if (once) {
				if (rep->Head.msgh_remote_port !=
				    MACH_PORT_NULL) {
					mr = srv_send(
					    sv, &rep->Head, options, 0);
					if (srv_recoverable(mr)) {
						srv_consume_unsent(
						    sv, &rep->Head);
						mr = MACH_MSG_SUCCESS;
					}
				}
				goto out;
			}
			if (rep->Head.msgh_remote_port != MACH_PORT_NULL) {
				/* Reply and receive in one call, into rep. */
				mr = srv_send(sv, &rep->Head,
				    MACH_RCV_MSG | options, request_size);
				tmp = req;
				req = rep;
				rep = tmp;
				if (!srv_recoverable(mr))
					continue; /* received, or a hard error */
				/* Not sent (nothing received): it is in req. */
				srv_consume_unsent(sv, &req->Head);
			}
			mr = srv_recv(sv, &req->Head, options, request_size);
		}
		if (mr == MACH_RCV_TOO_LARGE && (options & MACH_RCV_LARGE) &&
		    req->Head.msgh_size > request_size - trailer &&
		    (size_t)req->Head.msgh_size + trailer <= SRV_MAX_BUFFER) {
			/* The request waits in its queue for a larger buffer. */
			alloc =
			    srv_round((size_t)req->Head.msgh_size + trailer);
			if (srv_buffers(sv, alloc) != KERN_SUCCESS) {
				mr = KERN_RESOURCE_SHORTAGE;
				break;
			}
			req = sv->sv_buf[0];
			rep = sv->sv_buf[1];
			request_size = alloc;
			mr = srv_recv(sv, &req->Head, options, request_size);
			continue;
		}
		break;
	}
out:
	srv_free_buffers(sv);
	return mr;
}

static mach_msg_return_t
srv_serve(mipc_space_t space,
    boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_port_name_t rcv_name,
    mach_msg_options_t options, bool once, struct srv_pool *pool)
{
	struct srv sv;
	mach_msg_return_t mr;

	if (demux == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!srv_open(&sv, space, rcv_name, pool))
		return MACH_RCV_PORT_CHANGED; /* its pool stopped first */
	mr = srv_loop(&sv, demux, max_size, options, once);
	srv_close(&sv);
	return mr;
}

mach_msg_return_t
mach_msg_server_once(
    boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_port_t rcv_name, mach_msg_options_t options)
{
	return srv_serve(mipc_thread_space(), demux, max_size, rcv_name,
	    options, true, NULL);
}

mach_msg_return_t
mach_msg_server(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_port_t rcv_name, mach_msg_options_t options)
{
	return srv_serve(mipc_thread_space(), demux, max_size, rcv_name,
	    options, false, NULL);
}

/* ------------------------------------------------------------------ */
/* Pools                                                               */

static void *
srv_pool_main(void *arg)
{
	struct srv_pool *p = arg;

	(void)mipc_thread_set_space(p->sp_space);
	(void)srv_serve(p->sp_space, p->sp_demux, p->sp_max_size, p->sp_rcv,
	    p->sp_options, false, p);
	return NULL;
}

mach_msg_return_t
mipc_server_run(mipc_space_t space,
    boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_port_name_t rcv_name,
    mach_msg_options_t options, uint32_t nthreads)
{
	struct srv_pool pool = { space, demux, max_size, rcv_name, options,
		false };
	pthread_t threads[SRV_POOL_MAX];
	mach_msg_return_t mr = KERN_SUCCESS;
	struct srv sv;
	uint32_t i, started = 0;

	if (space == NULL)
		return MACH_RCV_INVALID_NAME;
	if (demux == NULL || nthreads == 0 || nthreads > SRV_POOL_MAX)
		return KERN_INVALID_ARGUMENT;
	/*
	 * The caller's loop first: it is the primary the others join.  One
	 * that got no workloop receives plainly, and so would the others,
	 * which nothing could then stop: it serves alone.
	 */
	(void)srv_open(&sv, space, rcv_name, &pool); /* nothing stopped it */
	for (i = 1; i < nthreads && sv.sv_wl != NULL; i++) {
		if (pthread_create(
		        &threads[started], NULL, srv_pool_main, &pool) != 0) {
			mr = KERN_RESOURCE_SHORTAGE;
			break;
		}
		started++;
	}
	if (mr == KERN_SUCCESS)
		mr = srv_loop(&sv, demux, max_size, options, false);
	srv_close(&sv); /* the joiners end with us */
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	return mr;
}
