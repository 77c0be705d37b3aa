/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rights_threads.c -- the mach_port_* calls from several threads at once on
 * shared names and ports across two spaces: receive rights are destroyed
 * and recreated while other threads make, copy, move and release send
 * rights to them, change their references, put them in sets and list the
 * spaces.  Every call must return a code from its documented set; at the
 * end the right counters of every port must match the names that hold its
 * rights, and every object must be released when the spaces go.
 *
 * Includes core/internal.h to check ip_srights against the entries.
 */
#include "stress.h"

#include "internal.h"

#include <string.h>

enum { NPORTS = 12, NSLOTS = 32, THREADS = 3 };

static mipc_space_t s0, s1;
/*
 * (A) Receive rights in s0, one per slot; MACH_PORT_NULL while a worker
 * that claimed the slot replaces its port (case 5).  Any worker may use a
 * slot's name, stale or not, for the other calls: a name whose right went
 * may already name another (names recur, space.c), and every call on it
 * must still be answered and counted right.  Only destroying one needs
 * the slot's claim: a stale name destroyed could be another slot's port.
 */
static mach_port_name_t recv_names[NPORTS];
static mach_port_name_t send_names[NSLOTS]; /* (A) names in s1 */
static mach_port_name_t pset;               /* a set in s0 */

static void
ok_or(kern_return_t kr, const kern_return_t *allowed, const char *what)
{
	int i;

	for (i = 0; allowed[i] != -1; i++) {
		if (kr == allowed[i])
			return;
	}
	ck_abort_msg("%s returned 0x%x", what, kr);
}

static const kern_return_t any_name_err[] = { KERN_SUCCESS, KERN_INVALID_NAME,
	KERN_INVALID_RIGHT, KERN_INVALID_VALUE, KERN_INVALID_CAPABILITY,
	KERN_NOT_IN_SET, KERN_ALREADY_IN_SET, -1 };

static void
guard_ignore(mipc_space_t space, mach_port_name_t name, uint64_t flavor,
    uint64_t payload, void *ctx)
{
	(void)space;
	(void)name;
	(void)flavor;
	(void)payload;
	(void)ctx;
}

static void *
worker(void *arg)
{
	long id = (long)(intptr_t)arg, i, rounds = stress_iters(20000);
	unsigned int seed = (unsigned int)id * 2654435761u + 7;

	stress_pin((int)id);
	for (i = 0; i < rounds; i++) {
		int p = (int)(rand_r(&seed) % NPORTS);
		int k = (int)(rand_r(&seed) % NSLOTS);
		mach_port_name_t r = ck_pr_load_32(&recv_names[p]);
		mach_port_name_t sn = ck_pr_load_32(&send_names[k]);
		mach_port_name_t n;
		mach_msg_type_name_t t;
		mach_port_urefs_t refs;
		kern_return_t kr;

		switch (rand_r(&seed) % 10) {
		case 0: /* make a send right in s1 */
		case 1:
			kr = mipc_port_extract_right(
			    s0, r, MACH_MSG_TYPE_MAKE_SEND, s1, &n, &t);
			ok_or(kr, any_name_err, "extract MAKE_SEND");
			if (kr == KERN_SUCCESS)
				ck_pr_store_32(&send_names[k], n);
			break;
		case 2: /* release one reference in s1 */
			ok_or(mipc_port_deallocate(s1, sn), any_name_err,
			    "deallocate");
			break;
		case 3:
			ok_or(mipc_port_mod_refs(s1, sn, MACH_PORT_RIGHT_SEND,
			          (rand_r(&seed) & 1) ? 1 : -1),
			    any_name_err, "mod_refs");
			break;
		case 4:
			ok_or(mipc_port_get_refs(
			          s1, sn, MACH_PORT_RIGHT_SEND, &refs),
			    any_name_err, "get_refs");
			break;
		case 5: /* kill a port and make a new one in its slot */
			/*
			 * Claim the slot first: r is its port's name only
			 * while the slot still holds it.  Another worker's
			 * case 5 may have replaced it since we read it, and
			 * r may name another slot's port by now (the index
			 * reused 16-64 times: its generation rolled over).
			 */
			if (r == MACH_PORT_NULL ||
			    !ck_pr_cas_32(&recv_names[p], r, MACH_PORT_NULL))
				break;
			kr = mipc_port_destroy(s0, r);
			MIPC_REQUIRE(kr == KERN_SUCCESS,
			    "destroy of a claimed receive right: 0x%x", kr);
			kr =
			    mipc_port_allocate(s0, MACH_PORT_RIGHT_RECEIVE, &n);
			MIPC_REQUIRE(kr == KERN_SUCCESS, "allocate: 0x%x", kr);
			ck_pr_store_32(&recv_names[p], n);
			break;
		case 6: /* copy a send right back into s0 */
			kr = mipc_port_extract_right(
			    s1, sn, MACH_MSG_TYPE_COPY_SEND, s0, &n, &t);
			ok_or(kr, any_name_err, "extract COPY_SEND");
			if (kr == KERN_SUCCESS && n != MACH_PORT_DEAD)
				ok_or(mipc_port_deallocate(s0, n), any_name_err,
				    "deallocate copy");
			break;
		case 7:
			ok_or(mipc_port_insert_member(s0, r, pset),
			    any_name_err, "insert_member");
			break;
		case 8: {
			mach_port_name_array_t names;
			mach_port_type_array_t types;
			mach_msg_type_number_t nn, nt;

			kr = mipc_port_names(s1, &names, &nn, &types, &nt);
			MIPC_REQUIRE(kr == KERN_SUCCESS && nn == nt,
			    "mach_port_names: 0x%x, %u names, %u types", kr, nn,
			    nt);
			/* The caller's memory (vm.c), not s1's. */
			if (nn != 0) {
				vm_deallocate(mach_task_self(),
				    (vm_address_t)names, nn * sizeof(*names));
				vm_deallocate(mach_task_self(),
				    (vm_address_t)types, nt * sizeof(*types));
			}
			break;
		}
		default: { /* move a send right within s1: MOVE_SEND */
			kr = mipc_port_extract_right(
			    s1, sn, MACH_MSG_TYPE_MOVE_SEND, s1, &n, &t);
			ok_or(kr, any_name_err, "extract MOVE_SEND");
			break;
		}
		}
	}
	return NULL;
}

/* Count the send-right names per port in one space (internal view). */
static void
count_send_names(
    struct mipc_space *space, struct ipc_port **ports, int *counts, int nports)
{
	struct ipc_table *t = space->is_table;
	uint32_t i;
	int p;

	for (i = 1; i < t->it_size; i++) {
		struct ipc_entry *e = &t->it_entries[i];

		if (!(IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_SEND))
			continue;
		for (p = 0; p < nports; p++) {
			if (e->ie_object == &ports[p]->ip_object)
				counts[p]++;
		}
	}
}

START_TEST(rights_threads_random_ops_keep_counts)
{
	struct ipc_port *ports[NPORTS];
	struct mipc_space *sp0, *sp1;
	int counts[NPORTS];
	pthread_t t[THREADS];
	long i;
	int p;

	mipc_set_guard_handler(guard_ignore, NULL);
	ck_assert_int_eq(mipc_space_create(&s0), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&s1), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(s0, MACH_PORT_RIGHT_PORT_SET, &pset),
	    KERN_SUCCESS);
	for (p = 0; p < NPORTS; p++)
		ck_assert_int_eq(mipc_port_allocate(s0, MACH_PORT_RIGHT_RECEIVE,
		                     &recv_names[p]),
		    KERN_SUCCESS);
	memset(send_names, 0, sizeof(send_names));
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i),
		    0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	/* Invariant: each port's send-right count is the number of names
	 * holding a send right for it, across both spaces (MACH.md H9).
	 * The workers are done and we hold both spaces: their structs are
	 * read without an epoch section. */
	sp0 = ipc_space_lookup(s0);
	sp1 = ipc_space_lookup(s1);
	memset(counts, 0, sizeof(counts));
	for (p = 0; p < NPORTS; p++) {
		struct ipc_entry *e;

		is_lock(sp0);
		e = ipc_entry_lookup(sp0, recv_names[p]);
		ck_assert_ptr_nonnull(e);
		ck_assert(IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_RECEIVE);
		ports[p] = ip_from_object(e->ie_object);
		is_unlock(sp0);
	}
	is_lock(sp0);
	count_send_names(sp0, ports, counts, NPORTS);
	is_unlock(sp0);
	is_lock(sp1);
	count_send_names(sp1, ports, counts, NPORTS);
	is_unlock(sp1);
	for (p = 0; p < NPORTS; p++) {
		mach_port_rights_t sr;

		ck_assert_int_eq(mipc_port_get_srights(s0, recv_names[p], &sr),
		    KERN_SUCCESS);
		ck_assert_msg((int)sr == counts[p],
		    "port %d: %u send rights, %d names", p, sr, counts[p]);
	}
	ck_assert_int_eq(mipc_space_destroy(s1), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(s0), KERN_SUCCESS);
}
END_TEST

static Suite *
rights_threads_suite(void)
{
	Suite *s = suite_create("rights_threads");
	TCase *tc = mipc_tcase("random_ops");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, rights_threads_random_ops_keep_counts);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(rights_threads_suite)
