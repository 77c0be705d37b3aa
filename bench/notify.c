/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.c -- notification benchmarks (issue 5), beside the peer they are
 * judged by, in the same run.
 *
 * Owns:      nosenders_rt/mipc     deallocate the last send right of a port
 *                                  with an armed no-senders request, then
 *                                  receive the notification (same thread);
 *            nosenders_rt/eventfd_8B  the same event through an eventfd:
 *                                  write, then read (same thread);
 *            dead_name/mipc/<N>    destroy a port that N spaces hold send
 *                                  rights to, each with a dead-name request,
 *                                  and receive the N notifications;
 *            (the row of issue 5 in the summary table: rows.c).
 * Choices:   * Arming (a fresh send right, the request) is outside the
 *              timed region: ports are armed in batches of NS_BATCH with
 *              the timer paused, so the pause costs little per iteration.
 *            * dead_name times the death and the N receives, one iteration
 *              per port death; the table shows ns per death, and its
 *              items/s column counts requests (divide for ns per request).
 *              The N spaces, each holding a send-once right to the common
 *              notify port, are made once per case; each death's dead names
 *              are released untimed.
 */
#include "gbench.h"

#include <mipc/mipc.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NS_BATCH 256 /* ports armed per paused stretch */

/* Big enough for any notification and the largest trailer. */
struct note_buf {
	mach_msg_header_t nb_header;
	uint8_t nb_rest[256];
} __attribute__((aligned(8)));

static mach_msg_return_t
note_receive(mipc_space_t sp, mach_port_name_t port, mach_msg_id_t want)
{
	struct note_buf b;
	mach_msg_return_t mr;

	mr = mipc_msg(sp, &b.nb_header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    sizeof(b), port, 1000, MACH_PORT_NULL);
	if (mr == MACH_MSG_SUCCESS && b.nb_header.msgh_id != want)
		return MACH_RCV_INVALID_DATA; /* not the notification we armed */
	return mr;
}

/* ------------------------------------------------------------------ */
/* nosenders_rt                                                        */

/* Give port a send right and arm its no-senders request (sync = mscount). */
static kern_return_t
ns_arm(mipc_space_t sp, mach_port_name_t port, mach_port_name_t notify)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	mach_port_name_t prev;
	kern_return_t kr;

	kr =
	    mipc_port_insert_right(sp, port, sp, port, MACH_MSG_TYPE_MAKE_SEND);
	if (kr == KERN_SUCCESS)
		kr = mipc_port_get_attributes(sp, port,
		    MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt);
	if (kr == KERN_SUCCESS)
		kr = mipc_port_request_notification(sp, port,
		    MACH_NOTIFY_NO_SENDERS, st.mps_mscount, notify,
		    MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
	return kr;
}

static void
bm_nosenders_mipc(gb_state *st, void *arg)
{
	mach_port_name_t ports[NS_BATCH], notify = MACH_PORT_NULL;
	mipc_space_t sp;
	kern_return_t kr;
	uint64_t done = 0;
	int i;

	(void)arg;
	if ((kr = mipc_space_create(&sp)) != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_space_create", kr);
		return;
	}
	kr = mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &notify);
	for (i = 0; i < NS_BATCH && kr == KERN_SUCCESS; i++)
		kr = mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &ports[i]);
	if (kr != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_port_allocate", kr);
		mipc_space_destroy(sp);
		return;
	}
	GB_LOOP(st, it)
	{
		mach_port_name_t p = ports[it % NS_BATCH];

		if (it % NS_BATCH == 0) {
			gb_pause_timing(st);
			for (i = 0; i < NS_BATCH && kr == KERN_SUCCESS; i++)
				kr = ns_arm(sp, ports[i], notify);
			gb_resume_timing(st);
			if (kr != KERN_SUCCESS) {
				gb_skip_code(st, "arming no-senders", kr);
				break;
			}
		}
		kr = mipc_port_deallocate(sp, p);
		if (kr == KERN_SUCCESS)
			kr = note_receive(sp, notify, MACH_NOTIFY_NO_SENDERS);
		if (kr != KERN_SUCCESS) {
			gb_skip_code(st, "deallocate + receive", kr);
			break;
		}
		done++;
	}
	/* A batch left armed: its requests die with the space, unfired. */
	mipc_space_destroy(sp);
	gb_do_not_optimize(&done);
}

static void
bm_nosenders_eventfd(gb_state *st, void *arg)
{
	int fd = eventfd(0, 0);
	uint64_t one = 1, got;

	(void)arg;
	if (fd < 0) {
		gb_skip_with_error(st, "eventfd failed");
		return;
	}
	GB_LOOP(st, it)
	{
		(void)it;
		if (write(fd, &one, sizeof(one)) != sizeof(one) ||
		    read(fd, &got, sizeof(got)) != sizeof(got) || got != 1) {
			gb_skip_with_error(st, "eventfd write/read failed");
			break;
		}
	}
	close(fd);
}

/* ------------------------------------------------------------------ */
/* dead_name                                                           */

struct dn_case {
	mipc_space_t dc_owner;      /* holds the receive right of the victim */
	mipc_space_t dc_collector;  /* holds the notify port */
	mach_port_name_t dc_notify; /* in dc_collector */
	int dc_n;
	mipc_space_t *dc_spaces;     /* the N requesters */
	mach_port_name_t *dc_so;     /* each one's send-once right to notify */
	mach_port_name_t *dc_victim; /* each one's name for the victim */
};

static void
dn_fini(struct dn_case *c)
{
	int i;

	for (i = 0; i < c->dc_n; i++)
		if (c->dc_spaces[i] != NULL)
			mipc_space_destroy(c->dc_spaces[i]);
	if (c->dc_collector != NULL)
		mipc_space_destroy(c->dc_collector);
	if (c->dc_owner != NULL)
		mipc_space_destroy(c->dc_owner);
	free(c->dc_spaces);
	free(c->dc_so);
	free(c->dc_victim);
}

static kern_return_t
dn_init(struct dn_case *c, int n)
{
	kern_return_t kr;
	int i;

	memset(c, 0, sizeof(*c));
	c->dc_n = n;
	c->dc_spaces = calloc((size_t)n, sizeof(*c->dc_spaces));
	c->dc_so = calloc((size_t)n, sizeof(*c->dc_so));
	c->dc_victim = calloc((size_t)n, sizeof(*c->dc_victim));
	if (c->dc_spaces == NULL || c->dc_so == NULL || c->dc_victim == NULL)
		return KERN_RESOURCE_SHORTAGE;
	kr = mipc_space_create(&c->dc_owner);
	if (kr == KERN_SUCCESS)
		kr = mipc_space_create(&c->dc_collector);
	if (kr == KERN_SUCCESS)
		kr = mipc_port_allocate(
		    c->dc_collector, MACH_PORT_RIGHT_RECEIVE, &c->dc_notify);
	if (kr == KERN_SUCCESS) {
		/* Room for every notification at once (they ignore it). */
		mach_port_limits_t lim = { MACH_PORT_QLIMIT_MAX };

		kr = mipc_port_set_attributes(c->dc_collector, c->dc_notify,
		    MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
		    MACH_PORT_LIMITS_INFO_COUNT);
	}
	for (i = 0; i < n && kr == KERN_SUCCESS; i++)
		kr = mipc_space_create(&c->dc_spaces[i]);
	return kr;
}

/* A new victim port, a send right and an armed request in every space. */
static kern_return_t
dn_arm(struct dn_case *c, mach_port_name_t *victim)
{
	mach_msg_type_name_t t;
	mach_port_name_t prev;
	kern_return_t kr;
	int i;

	kr = mipc_port_allocate(c->dc_owner, MACH_PORT_RIGHT_RECEIVE, victim);
	for (i = 0; i < c->dc_n && kr == KERN_SUCCESS; i++) {
		kr = mipc_port_extract_right(c->dc_owner, *victim,
		    MACH_MSG_TYPE_MAKE_SEND, c->dc_spaces[i], &c->dc_victim[i],
		    &t);
		if (kr == KERN_SUCCESS)
			kr = mipc_port_extract_right(c->dc_collector,
			    c->dc_notify, MACH_MSG_TYPE_MAKE_SEND_ONCE,
			    c->dc_spaces[i], &c->dc_so[i], &t);
		if (kr == KERN_SUCCESS)
			kr = mipc_port_request_notification(c->dc_spaces[i],
			    c->dc_victim[i], MACH_NOTIFY_DEAD_NAME, 0,
			    c->dc_so[i], MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev);
	}
	return kr;
}

/* Release the dead names a death left: one uref plus the request's. */
static kern_return_t
dn_clear(struct dn_case *c)
{
	kern_return_t kr = KERN_SUCCESS;
	int i;

	for (i = 0; i < c->dc_n && kr == KERN_SUCCESS; i++)
		kr = mipc_port_mod_refs(c->dc_spaces[i], c->dc_victim[i],
		    MACH_PORT_RIGHT_DEAD_NAME, -2);
	return kr;
}

static void
bm_dead_name(gb_state *st, void *arg)
{
	struct dn_case c;
	mach_port_name_t victim = MACH_PORT_NULL;
	kern_return_t kr;
	int n = (int)gb_range(st, 0), i;

	(void)arg;
	kr = dn_init(&c, n);
	if (kr == KERN_SUCCESS)
		kr = dn_arm(&c, &victim);
	if (kr != KERN_SUCCESS) {
		gb_skip_code(st, "dead_name setup", kr);
		dn_fini(&c);
		return;
	}
	GB_LOOP(st, it)
	{
		(void)it;
		kr = mipc_port_mod_refs(
		    c.dc_owner, victim, MACH_PORT_RIGHT_RECEIVE, -1);
		for (i = 0; i < n && kr == KERN_SUCCESS; i++)
			kr = note_receive(
			    c.dc_collector, c.dc_notify, MACH_NOTIFY_DEAD_NAME);
		if (kr != KERN_SUCCESS) {
			gb_skip_code(st, "death + receives", kr);
			break;
		}
		gb_pause_timing(st);
		kr = dn_clear(&c);
		if (kr == KERN_SUCCESS)
			kr = dn_arm(&c, &victim);
		gb_resume_timing(st);
		if (kr != KERN_SUCCESS) {
			gb_skip_code(st, "dead_name re-arm", kr);
			break;
		}
	}
	gb_set_items_processed(st, (int64_t)gb_max_iterations(st) * n);
	dn_fini(&c);
}

void
bench_notify_register(void)
{
	struct gb_opts dn = { .nargs = 3, .args = { 1, 100, 10000 } };

	gb_register("nosenders_rt/mipc", bm_nosenders_mipc, NULL, NULL);
	gb_register(
	    "nosenders_rt/eventfd_8B", bm_nosenders_eventfd, NULL, NULL);
	gb_register("dead_name/mipc", bm_dead_name, NULL, &dn);
}
