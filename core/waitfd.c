/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitfd.c -- event-loop descriptors: mipc_port_get_fd hands out an
 * eventfd that polls readable while a message can be received on a port
 * or a port set (level-triggered, as nng's NNG_OPT_RECVFD), so that a
 * server waits for mipc in the epoll / poll / libuv / libevent loop that
 * also waits for its sockets, with no pump thread.
 *
 * Owns:      struct ipc_waitfd and the table that finds one from the
 *            waitq it mirrors (a port's receive waitq, a set's).
 * Locking:   wf_table_lock (IPC_RANK_LEAF) covers the table and the
 *            table's reference; wf_lock (IPC_RANK_LEAF) serialises the
 *            eventfd's reads and writes, wf_fd and wf_dead.  Never both
 *            at once.  Arming and membership changes run under the space
 *            lock of the port's receiver / the set's holder, which orders
 *            the hook bits (IPC_WAITQ_FD, IP_RCV_HOOK_FD).
 * Ordering:  [F1] (waitq.c): arming counts the descriptor in wq_waiters
 *            (IPC_WAITQ_FD), fences, then looks at the queue, as a waiter
 *            does; a sender publishes, fences, then reads wq_waiters.
 *            [F34]: lowering stores wf_raised = 0, fences, then looks at
 *            the queue; a raiser publishes, fences ([F1]), then reads
 *            wf_raised.  Either the lowerer sees the message (and keeps
 *            the descriptor readable) or the raiser sees 0 (and raises).
 * Lifetime:  a descriptor is armed by the first mipc_port_get_fd on its
 *            receive right or set and stays armed until that right leaves
 *            the space (moved in a message, destroyed, the space
 *            destroyed) or the set is destroyed: then it vanishes.  The
 *            table holds one reference; callers in flight hold one each
 *            (a vanished one is dead and does nothing).  A waitfd's object
 *            pointer is weak: vanishing comes before the object can die,
 *            and is read only under wf_lock while not dead.
 * Choices:   * Who closes what.  mipc keeps one eventfd per armed port or
 *              set and hands each caller a dup (F_DUPFD_CLOEXEC) of it:
 *              the caller owns that descriptor and closes it when done --
 *              before or after the port dies, whenever it likes; mipc
 *              closes its own when the descriptor vanishes.  So mipc never
 *              writes to a descriptor number the user may have closed and
 *              reused, and a user's epoll registration (keyed by the
 *              open file) outlives the port, to see it vanish.  (nng and
 *              ZeroMQ keep the descriptor theirs until the socket closes;
 *              a Mach port can go away under its holder's feet -- a
 *              receive right sent in a message -- so the user's copy must
 *              stay valid.)  The descriptor is not to be read or written.
 *            * Vanishing (XNU's EVFILT_MACHPORT delivers EV_EOF or
 *              EV_VANISHED, "the last thing delivered ever", when
 *              ipc_mqueue_changed runs): the eventfd is left readable for
 *              good with its counter at its maximum, 2^64 - 2, where
 *              POLLOUT drops -- so a loop polling POLLIN | POLLOUT can tell
 *              a vanished port from a ready one, and any loop finds out
 *              at its next receive on the name (MACH_RCV_INVALID_NAME,
 *              or MACH_RCV_PORT_CHANGED for a receiver that was waiting).
 *              A receive right that comes back (a failed send's
 *              pseudo-receive, a port-destroyed notification) needs a new
 *              mipc_port_get_fd, as a knote needs a new kevent.
 *            * Readiness is "a message is queued" (ring or overflow), for
 *              a set "a member whose receive right the set's space holds
 *              has one"; a message too large for the next receive counts.
 *            * An armed port costs each send to it a table lookup under a
 *              leaf lock and a load of wf_raised; the eventfd is written
 *              only when it goes from unreadable to readable, and read
 *              (to lower it) by the receive that empties the queue.
 *
 * Theory of operation
 *
 * The message paths already decide, with one load each, whether anyone
 * must hear of a message: a sender reads the receive waitq's waiter count
 * after publishing ([F1]) and wakes only if it is non-zero; a receiver
 * reads the port's ip_rcv_hooks after dequeuing and calls out only if it
 * is non-zero (send-possible requests).  An armed descriptor makes itself
 * one of those: IPC_WAITQ_FD in the waiter count of the waitq it mirrors
 * -- a waiter that never leaves -- and IP_RCV_HOOK_FD in the hook word of
 * the port, or of every member of the set.  Unarmed, the fast paths run
 * the very instructions they ran before.
 *
 *	sender                            receiver
 *	publish, [F1]                     dequeue, fence
 *	wq_waiters & FD?                  ip_rcv_hooks & FD?
 *	  raise: wf_raised?                 lower (each armed descriptor
 *	    no: lock, look, write 1           of the port and its sets):
 *	                                    lock; if wf_raised: wf_raised = 0,
 *	                                    [F34], look: empty -> read
 *	                                    (counter 0); else wf_raised = 1
 *
 * Every change of the queue is followed by one of these under wf_lock, so
 * the last one to take the lock sees the last change; [F34] lets a raiser
 * skip the lock while the descriptor is raised.
 */
#include "waitfd.h"

#include "cache.h"
#include "lock.h"
#include "mqueue.h"
#include "object.h"
#include "port.h"
#include "pset.h"
#include "space.h"
#include "thread.h"

#include <errno.h>
#include <fcntl.h>
#include <mipc/port.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct ipc_waitfd {
	struct ipc_waitfd *wf_next; /* (wf_table_lock) hash chain */
	struct ipc_waitq *wf_wq;    /* (C) the waitq it mirrors: the key */
	struct ipc_object *wf_obj;  /* (C, weak) its port or set */
	uint32_t wf_refs;           /* (A) the table's, callers' in flight */
	uint32_t wf_raised;         /* (A; written under wf_lock) the eventfd
	                               counter is non-zero */
	ipc_lock_t wf_lock;         /* IPC_RANK_LEAF */
	int wf_fd;                  /* (wf_lock) ours; -1 once closed */
	bool wf_dead;               /* (wf_lock) vanished */
};

/* The counter a vanished descriptor is left at: the largest writable. */
#define WF_VANISHED 0xfffffffffffffffeull

#define WF_BUCKETS 256u

static ipc_lock_t wf_table_lock =
    IPC_LOCK_INITIALIZER(IPC_RANK_LEAF, "waitfd table");
static struct ipc_waitfd *wf_table[WF_BUCKETS]; /* (wf_table_lock) */
static uint64_t wf_live;                        /* (wf_table_lock) */

/*
 * ipc_waitfd_atfork_child
 *	fork(): the child has none of its parent's ports, so no descriptor
 *	is armed: the table starts empty.  The parent's eventfds are left
 *	open in the child, never written (they are close-on-exec; the
 *	table, which another thread may have been changing, is not walked
 *	to close them): a child that must not keep them closes them itself.
 * Conditions: the only thread of a fresh child; takes no lock.
 */
void
ipc_waitfd_atfork_child(void)
{
	ipc_lock_init(&wf_table_lock, IPC_RANK_LEAF, "waitfd table");
	memset(wf_table, 0, sizeof(wf_table));
	wf_live = 0;
}

static unsigned int
wf_hash(const struct ipc_waitq *wq)
{
	return (unsigned int)(((uintptr_t)wq >> 3) * 0x9e3779b97f4a7c15ull >>
	           56) %
	    WF_BUCKETS;
}

/* Conditions: wf_table_lock held. */
static struct ipc_waitfd *
wf_find_locked(const struct ipc_waitq *wq)
{
	struct ipc_waitfd *wf;

	ipc_lock_assert_held(&wf_table_lock);
	for (wf = wf_table[wf_hash(wq)]; wf != NULL; wf = wf->wf_next) {
		if (wf->wf_wq == wq)
			return wf;
	}
	return NULL;
}

/* The descriptor mirroring wq, referenced; NULL if none. */
static struct ipc_waitfd *
wf_lookup(const struct ipc_waitq *wq)
{
	struct ipc_waitfd *wf;

	ipc_lock(&wf_table_lock);
	wf = wf_find_locked(wq);
	if (wf != NULL)
		ck_pr_inc_32(&wf->wf_refs); /* Relaxed: the table's is held */
	ipc_unlock(&wf_table_lock);
	return wf;
}

static void
wf_release(struct ipc_waitfd *wf)
{
	bool zero;

	/* [R35]: our accesses before the free (pairs with [A35]). */
	ipc_tsan_release(wf);
	ck_pr_fence_release();
	ck_pr_dec_32_zero(&wf->wf_refs, &zero);
	if (!zero)
		return;
	ck_pr_fence_acquire(); /* [A35]: every releaser's accesses first */
	ipc_tsan_acquire(wf);
	ipc_require(wf->wf_dead && wf->wf_fd < 0,
	    "a freed event-loop descriptor vanished first");
	ipc_free(IPC_KIND_MISC, wf, sizeof(*wf));
}

/*
 * A read section without reclamation at its end (we may run under any
 * lock): set links and member ports stay valid inside it.  NULL when the
 * thread has no state (out of memory) or no record (exiting): then sets
 * read as ready.
 */
static struct ipc_thread *
wf_section_enter(void)
{
	struct ipc_thread *th = ipc_thread_cur;

	/* An exiting thread gave its record back: no section either. */
	if (th == NULL || th->th_epoch == NULL)
		return NULL;
	ck_epoch_begin(th->th_epoch, NULL);
	return th;
}

static void
wf_section_exit(struct ipc_thread *th)
{
	if (th != NULL) {
		ipc_tsan_release(&ipc_epoch); /* as ipc_epoch_exit */
		ck_epoch_end(th->th_epoch, NULL);
	}
}

/*
 * Can a message be received there now?
 * Conditions: wf_lock held, not dead (so wf_obj lives); inside a section
 * (th non-NULL) for a set.
 */
static bool
wf_ready_locked(struct ipc_waitfd *wf, const struct ipc_thread *th)
{
	struct ipc_pset_link *l;
	struct mipc_space *space;
	struct ipc_pset *ps;

	ipc_lock_assert_held(&wf->wf_lock);
	if (wf->wf_obj->io_kind == IOT_PORT)
		return ipc_mqueue_has_message(ip_from_object(wf->wf_obj));
	if (th == NULL)
		return true; /* cannot walk: readable, a receive will tell */
	ps = ips_from_object(wf->wf_obj);
	space = ck_pr_load_ptr(&ps->ips_space);
	/* [A12]: each link read through its pointer ([R12] in pset.c). */
	for (l = ck_pr_load_ptr(&ps->ips_members); l != NULL;
	     l = ck_pr_load_ptr(&l->pl_next_in_pset)) {
		struct ipc_port *p = ck_pr_load_ptr(&l->pl_port);

		if (ip_receiver(p) == space && ipc_mqueue_has_message(p))
			return true;
	}
	return false;
}

static void
wf_write(struct ipc_waitfd *wf, uint64_t v)
{
	ssize_t n;

	do
		n = write(wf->wf_fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
}

static void
wf_drain(struct ipc_waitfd *wf)
{
	uint64_t v;
	ssize_t n;

	do
		n = read(wf->wf_fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
}

/*
 * Make the eventfd say what the queue holds: raise it (write 1) if a
 * message can be received and it is not raised, lower it (read) if none
 * can and it is.
 * Conditions: wf_lock held, not dead.
 */
static void
wf_sync_locked(struct ipc_waitfd *wf)
{
	struct ipc_thread *th;

	ipc_lock_assert_held(&wf->wf_lock);
	th = wf_section_enter();
	if (ck_pr_load_32(&wf->wf_raised) != 0) {
		/* Lower first, then look (the essay's [F34]). */
		ck_pr_store_32(&wf->wf_raised, 0);
		arch_fence_full(); /* [F34]: pairs with the raiser's [F1] */
		if (wf_ready_locked(wf, th))
			ck_pr_store_32(
			    &wf->wf_raised, 1); /* counter untouched */
		else
			wf_drain(wf);
	} else if (wf_ready_locked(wf, th)) {
		wf_write(wf, 1);
		ipc_stat_note(IPC_STAT_FD_SIGNALS, 1);
		ck_pr_store_32(&wf->wf_raised, 1);
	}
	wf_section_exit(th);
}

/*
 * Sync the descriptor of wq, if any, under its lock.  A lowerer may not
 * skip the lock on seeing wf_raised == 0: another lowerer may be between
 * its store of 0 and its store of 1, having looked before our dequeue.
 */
static void
wf_sync_wq(struct ipc_waitq *wq)
{
	struct ipc_waitfd *wf = wf_lookup(wq);

	if (wf == NULL)
		return;
	ipc_lock(&wf->wf_lock);
	if (!wf->wf_dead)
		wf_sync_locked(wf);
	ipc_unlock(&wf->wf_lock);
	wf_release(wf);
}

void
ipc_waitfd_raise(struct ipc_waitq *wq)
{
	struct ipc_waitfd *wf = wf_lookup(wq);

	if (wf == NULL)
		return;
	/* [F34]: raised already (the usual case of a busy port): done. */
	if (ck_pr_load_32(&wf->wf_raised) == 0) {
		ipc_lock(&wf->wf_lock);
		if (!wf->wf_dead)
			wf_sync_locked(wf);
		ipc_unlock(&wf->wf_lock);
	}
	wf_release(wf);
}

void
ipc_waitfd_dequeued(struct ipc_port *port)
{
	struct ipc_pset_link *l;
	struct ipc_thread *th;

	/* Relaxed: the dequeue's fence ordered it (mqueue.c). */
	if (ck_pr_load_32(&port->ip_mq.imq_rcv_wq.wq_waiters) & IPC_WAITQ_FD)
		wf_sync_wq(&port->ip_mq.imq_rcv_wq);
	th = wf_section_enter();
	/* [A12]: each link read through its pointer ([R12] in pset.c). */
	for (l = ck_pr_load_ptr(&port->ip_psets); l != NULL;
	     l = ck_pr_load_ptr(&l->pl_next_in_port)) {
		struct ipc_pset *ps = ck_pr_load_ptr(&l->pl_pset);

		if (ck_pr_load_32(&ps->ips_rcv_wq.wq_waiters) & IPC_WAITQ_FD)
			wf_sync_wq(&ps->ips_rcv_wq);
	}
	wf_section_exit(th);
}

void
ipc_waitfd_vanish(struct ipc_waitq *wq)
{
	struct ipc_waitfd *wf;

	ipc_lock(&wf_table_lock);
	wf = wf_find_locked(wq);
	if (wf != NULL) {
		struct ipc_waitfd **pp = &wf_table[wf_hash(wq)];

		while (*pp != wf)
			pp = &(*pp)->wf_next;
		*pp = wf->wf_next;
		wf_live--;
		/* Relaxed: wakers that still see the bit find no entry. */
		ck_pr_and_32(&wq->wq_waiters, ~IPC_WAITQ_FD);
		if (wf->wf_obj->io_kind == IOT_PORT)
			ck_pr_and_32(&ip_from_object(wf->wf_obj)->ip_rcv_hooks,
			    ~IP_RCV_HOOK_FD); /* Relaxed: in no set now */
	}
	ipc_unlock(&wf_table_lock);
	if (wf == NULL)
		return;
	ipc_lock(&wf->wf_lock);
	wf->wf_dead = true;
	wf_drain(wf);
	wf_write(wf, WF_VANISHED);
	ipc_stat_note(IPC_STAT_FD_SIGNALS, 1);
	close(wf->wf_fd);
	wf->wf_fd = -1;
	ck_pr_store_32(&wf->wf_raised, 1);
	ipc_unlock(&wf->wf_lock);
	wf_release(wf); /* the table's */
}

/* Does anything armed want to hear of port's dequeues?  Space locked. */
static bool
port_wants_hook(struct ipc_port *port)
{
	struct ipc_pset_link *l;

	if (ck_pr_load_32(&port->ip_mq.imq_rcv_wq.wq_waiters) & IPC_WAITQ_FD)
		return true;
	for (l = port->ip_psets; l != NULL; l = l->pl_next_in_port) {
		if (ck_pr_load_32(&l->pl_pset->ips_rcv_wq.wq_waiters) &
		    IPC_WAITQ_FD)
			return true;
	}
	return false;
}

static void
port_hook_set(struct ipc_port *port, bool on)
{
	/* Relaxed: the space lock orders writers; [F1] the readers. */
	if (on)
		ck_pr_or_32(&port->ip_rcv_hooks, IP_RCV_HOOK_FD);
	else
		ck_pr_and_32(&port->ip_rcv_hooks, ~IP_RCV_HOOK_FD);
}

void
ipc_waitfd_link_changed_slow(struct ipc_port *port, struct ipc_waitq *set_wq)
{
	port_hook_set(port, port_wants_hook(port));
	if (ck_pr_load_32(&set_wq->wq_waiters) & IPC_WAITQ_FD) {
		/* [F1]: the hook bit before we look (pairs with dequeues). */
		arch_fence_full();
		wf_sync_wq(set_wq);
	}
}

uint64_t
ipc_waitfd_live(void)
{
	uint64_t n;

	ipc_lock(&wf_table_lock);
	n = wf_live;
	ipc_unlock(&wf_table_lock);
	return n;
}

/* ------------------------------------------------------------------ */
/* mipc_port_get_fd                                                    */

/*
 * Arm a descriptor on wq (object o) if none is: the table entry, then the
 * bits, then [F1], then the first sync.  Returns it referenced, or NULL
 * when out of memory.  efd: a fresh eventfd it takes (or leaves, -1).
 * Conditions: the space holding o locked.
 */
static struct ipc_waitfd *
wf_arm_locked(struct mipc_space *space, struct ipc_object *o,
    struct ipc_waitq *wq, int *efd)
{
	struct ipc_pset_link *l;
	struct ipc_waitfd *wf;

	ipc_lock_assert_held(&space->is_lock);
	wf = wf_lookup(wq);
	if (wf != NULL)
		return wf;
	wf = ipc_zalloc(IPC_KIND_MISC, sizeof(*wf));
	if (wf == NULL)
		return NULL;
	wf->wf_wq = wq;
	wf->wf_obj = o;
	wf->wf_refs = 2; /* the table's and ours */
	wf->wf_fd = *efd;
	*efd = -1;
	ipc_lock_init(&wf->wf_lock, IPC_RANK_LEAF, "waitfd");
	ipc_lock(&wf_table_lock);
	wf->wf_next = wf_table[wf_hash(wq)];
	wf_table[wf_hash(wq)] = wf;
	wf_live++;
	ipc_unlock(&wf_table_lock);
	/* Relaxed: [F1] below orders both bits before our first look. */
	ck_pr_or_32(&wq->wq_waiters, IPC_WAITQ_FD);
	if (o->io_kind == IOT_PORT) {
		port_hook_set(ip_from_object(o), true);
	} else {
		for (l = ips_from_object(o)->ips_members; l != NULL;
		     l = l->pl_next_in_pset)
			port_hook_set(l->pl_port, true);
	}
	/* [F1]: counted as a waiter before we look, as a waiter does. */
	arch_fence_full();
	ipc_lock(&wf->wf_lock);
	wf_sync_locked(wf);
	ipc_unlock(&wf->wf_lock);
	return wf;
}

kern_return_t
mipc_port_get_fd(mipc_space_t task, mach_port_name_t name, int *fdp)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_waitfd *wf = NULL;
	struct ipc_object *o = NULL;
	struct ipc_waitq *wq = NULL;
	struct ipc_entry *e;
	kern_return_t kr;
	int efd, fd = -1;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (fdp == NULL)
		return KERN_INVALID_ARGUMENT;
	if (ipc_thread_self() == NULL)
		return KERN_RESOURCE_SHORTAGE;
	/* Made outside the lock; closed below if the port had one. */
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return KERN_RESOURCE_SHORTAGE;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr != KERN_SUCCESS)
		goto out;
	e = MACH_PORT_VALID(name) ? ipc_entry_lookup(space, name) : NULL;
	if (e == NULL) {
		kr = KERN_INVALID_NAME;
		goto out;
	}
	if (IE_BITS_TYPE(e->ie_bits) == MACH_PORT_TYPE_PORT_SET) {
		o = e->ie_object;
		wq = &ips_from_object(o)->ips_rcv_wq;
	} else if (IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_RECEIVE) {
		o = e->ie_object;
		wq = &ip_from_object(o)->ip_mq.imq_rcv_wq;
	} else {
		kr = KERN_INVALID_RIGHT; /* send, send-once, dead name */
		goto out;
	}
	wf = wf_arm_locked(space, o, wq, &efd);
	if (wf == NULL) {
		kr = KERN_RESOURCE_SHORTAGE;
		goto out;
	}
	/* The caller's own descriptor: a dup, while ours is open. */
	ipc_lock(&wf->wf_lock);
	if (!wf->wf_dead)
		fd = fcntl(wf->wf_fd, F_DUPFD_CLOEXEC, 0);
	ipc_unlock(&wf->wf_lock);
	kr = fd >= 0 ? KERN_SUCCESS : KERN_RESOURCE_SHORTAGE;
out:
	is_unlock(space);
	if (wf != NULL)
		wf_release(wf);
	if (efd >= 0)
		close(efd);
	if (kr == KERN_SUCCESS)
		*fdp = fd;
	return kr;
}
