/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watchport.c -- watchports: ports whose pushes land on a thread (send
 * case 3 of the seed's ipc_port_send_update_inheritor), XNU's
 * posix_spawn importance watch ports made in-process: until a port's
 * receive right reaches its final owner, a thread blocked on it boosts
 * the thread that will serve it.
 *
 * Owns:      struct ipc_watchports (one set per thread, th_watchports) and
 *            the element each watched port points to (ip_watchport).
 * Locking:   a port's ip_watchport is under the port lock; an element's
 *            wp_port, and th_watchports, under the set's thread's th_lock.
 *            Port lock, then thread lock.  Detaching takes both: the port
 *            side (death, transit) holds the port and takes the thread;
 *            the thread side (clear, exit) holds a port reference from its
 *            element, drops the thread lock and takes the port.
 * Lifetime:  an element holds a reference on its port until whoever
 *            detaches it (under th_lock) releases it; the set holds its
 *            thread, and is freed by the thread side once every element
 *            is detached.
 *            wp_calls_lock (IPC_RANK_GLOBAL) serialises the calls that
 *            build and tear down sets (add, clear, exit), so a set is
 *            never torn down while it is being attached; the port side
 *            never takes it.
 * Choices:   XNU's rules (task.c, kern_exec.c): at most 128 ports; a
 *            thread with watchports already gets KERN_INVALID_ARGUMENT;
 *            ineligible ports (dead, special reply ports, receive rights
 *            not in a space) are skipped, and so are MACH_PORT_NULL,
 *            MACH_PORT_DEAD and dead names (COPY_SEND copies dead rights
 *            in as IO_DEAD); a port already watched moves to
 *            the new thread; extract and insert keep a port watched; its
 *            death, its receive right entering transit, the thread's exit
 *            and mipc_thread_clear_watchports end it.  A name that is not
 *            a send right fails the whole call (posix_spawn's copyin).
 */
#include "watchport.h"

#include "cache.h"
#include "guard.h"
#include "lock.h"
#include "port.h"
#include "reply.h"
#include "space.h"
#include "thread.h"
#include "turnstile.h"

#include <mipc/sync.h>

static ipc_lock_t wp_calls_lock =
    IPC_LOCK_INITIALIZER(IPC_RANK_GLOBAL, "watchport calls");

/* fork(): the lock may have been held by a thread the child lacks. */
void
ipc_watchport_atfork_child(void)
{
	ipc_lock_init(&wp_calls_lock, IPC_RANK_GLOBAL, "watchport calls");
}

static size_t
set_bytes(uint32_t n)
{
	return sizeof(struct ipc_watchports) +
	    (size_t)n * sizeof(struct ipc_watchport);
}

struct ipc_thread *
ipc_watchport_thread_locked(struct ipc_port *port)
{
	struct ipc_watchport *wp;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	if (port->ip_cflags & IP_F_SPECIAL_REPLY)
		return NULL; /* the union holds the receive turnstile */
	wp = port->ip_watchport;
	return wp != NULL ? wp->wp_set->tw_thread : NULL;
}

/*
 * Detach wp's port reference under its thread's lock; returns the port
 * whose reference the caller now owns, or NULL if someone else had it.
 */
static struct ipc_port *
elem_take(struct ipc_watchport *wp, struct ipc_port *port)
{
	struct ipc_thread *th = wp->wp_set->tw_thread;
	struct ipc_port *taken = NULL;

	ipc_lock(&th->th_lock);
	if (wp->wp_port == port) {
		wp->wp_port = NULL;
		taken = port;
	}
	ipc_unlock(&th->th_lock);
	return taken;
}

struct ipc_port *
ipc_watchport_clear_slow(struct ipc_port *port)
{
	struct ipc_watchport *wp;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	wp = port->ip_watchport;
	port->ip_watchport = NULL;
	return elem_take(wp, port);
}

/*
 * Attach element wp to its port, if eligible; a port watched by another
 * thread moves to ours.  Conditions: nothing locked; wp_port referenced.
 */
static void
elem_attach(struct ipc_watchport *wp, struct ipc_port *port)
{
	struct ipc_ts_ctx ctx;
	struct ipc_link_old lo = { 0 };
	struct ipc_port *drop = NULL, *old_drop = NULL;

	ipc_ts_ctx_init(&ctx);
	ip_lock(port);
	if (!ip_active(port) || port->ip_state != IP_IN_SPACE ||
	    (port->ip_cflags & IP_F_SPECIAL_REPLY)) {
		drop = elem_take(wp, port); /* ineligible: skipped */
	} else {
		old_drop = ipc_watchport_clear_locked(port);
		port->ip_watchport = wp;
		/* Adding severs a workloop's stash link (state ANY). */
		ipc_port_sync_reset_locked(port, &lo);
		ipc_port_send_turnstile_recompute_locked(port, &ctx);
	}
	ip_unlock(port);
	ipc_ts_ctx_finish(&ctx);
	ipc_link_old_release(&lo);
	if (drop != NULL)
		ip_release(drop);
	if (old_drop != NULL)
		ip_release(old_drop);
}

kern_return_t
mipc_thread_add_watchports(mipc_thread_t handle, mipc_space_t task,
    const mach_port_name_t *names, uint32_t count)
{
	struct ipc_thread *th = (struct ipc_thread *)(void *)handle;
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_watchports *ws;
	kern_return_t kr = KERN_SUCCESS;
	uint32_t i, n = 0;

	if (th == NULL || count > MIPC_MAX_WATCHPORTS ||
	    (names == NULL && count != 0))
		return KERN_INVALID_ARGUMENT;
	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (count == 0)
		return KERN_SUCCESS;
	ws = ipc_zalloc(IPC_KIND_TABLE, set_bytes(count));
	if (ws == NULL)
		return KERN_RESOURCE_SHORTAGE;
	ws->tw_count = count;
	ipc_lock(&wp_calls_lock);
	/* Copy the send rights in as port references (kern_exec.c). */
	is_lock(space);
	kr = ipc_space_check(space);
	for (i = 0; kr == KERN_SUCCESS && i < count; i++) {
		struct ipc_entry *e;
		uint32_t type;

		/*
		 * kern_exec.c copies valid names in with COPY_SEND, which
		 * allows dead rights (IO_DEAD), and keeps valid ports only:
		 * NULL, DEAD, a dead name, a send-once right to a dead port
		 * are skipped, not errors.
		 */
		if (!MACH_PORT_VALID(names[i]))
			continue;
		e = ipc_entry_lookup(space, names[i]);
		type = e != NULL ? IE_BITS_TYPE(e->ie_bits) : 0;
		if (e == NULL) {
			kr = KERN_INVALID_NAME;
		} else if (type == MACH_PORT_TYPE_DEAD_NAME ||
		    (type == MACH_PORT_TYPE_SEND_ONCE &&
		        !ip_active(ip_from_object(e->ie_object)))) {
			continue;
		} else if (!(type & MACH_PORT_TYPE_SEND)) {
			kr = KERN_INVALID_RIGHT;
		} else {
			ws->tw_elem[n].wp_set = ws;
			ws->tw_elem[n].wp_port = ip_from_object(e->ie_object);
			ip_reference(ws->tw_elem[n].wp_port);
			n++;
		}
	}
	is_unlock(space);
	if (kr == KERN_SUCCESS) {
		ipc_lock(&th->th_lock);
		if (th->th_dead)
			kr = KERN_TERMINATED;
		else if (th->th_watchports != NULL)
			kr = KERN_INVALID_ARGUMENT;
		else {
			ipc_thread_reference(th);
			ws->tw_thread = th;
			th->th_watchports = ws;
		}
		ipc_unlock(&th->th_lock);
	}
	if (kr != KERN_SUCCESS) {
		ipc_unlock(&wp_calls_lock);
		while (n-- > 0)
			ip_release(ws->tw_elem[n].wp_port);
		ipc_free(IPC_KIND_TABLE, ws, set_bytes(count));
		return kr;
	}
	for (i = 0; i < n; i++)
		elem_attach(&ws->tw_elem[i], ws->tw_elem[i].wp_port);
	ipc_unlock(&wp_calls_lock);
	return KERN_SUCCESS;
}

void
ipc_watchports_clear(struct ipc_thread *th)
{
	struct ipc_port *ports[MIPC_MAX_WATCHPORTS];
	struct ipc_watchports *ws;
	uint32_t i;

	ipc_lock(&wp_calls_lock);
	ipc_lock(&th->th_lock);
	ws = th->th_watchports;
	th->th_watchports = NULL;
	/* Our own references: elements may be detached by the port side. */
	for (i = 0; ws != NULL && i < ws->tw_count; i++) {
		ports[i] = ws->tw_elem[i].wp_port;
		if (ports[i] != NULL)
			ip_reference(ports[i]);
	}
	ipc_unlock(&th->th_lock);
	if (ws == NULL) {
		ipc_unlock(&wp_calls_lock);
		return;
	}
	for (i = 0; i < ws->tw_count; i++) {
		struct ipc_ts_ctx ctx;
		struct ipc_port *port = ports[i], *drop;

		ipc_ts_ctx_init(&ctx);
		if (port == NULL)
			continue;
		ip_lock(port);
		if (!(port->ip_cflags & IP_F_SPECIAL_REPLY) &&
		    port->ip_watchport == &ws->tw_elem[i]) {
			port->ip_watchport = NULL;
			ipc_port_send_turnstile_recompute_locked(port, &ctx);
		}
		ip_unlock(port);
		ipc_ts_ctx_finish(&ctx);
		drop = elem_take(&ws->tw_elem[i], port);
		if (drop != NULL)
			ip_release(drop);
		ip_release(port);
	}
	ipc_unlock(&wp_calls_lock);
	ipc_thread_release(ws->tw_thread);
	ipc_free(IPC_KIND_TABLE, ws, set_bytes(ws->tw_count));
}

kern_return_t
mipc_thread_clear_watchports(mipc_thread_t handle)
{
	struct ipc_thread *th = (struct ipc_thread *)(void *)handle;
	bool dead;

	if (th == NULL)
		return KERN_INVALID_ARGUMENT;
	ipc_lock(&th->th_lock);
	dead = th->th_dead;
	ipc_unlock(&th->th_lock);
	if (dead)
		return KERN_TERMINATED;
	ipc_watchports_clear(th);
	return KERN_SUCCESS;
}
