/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm.c -- tests of core/vm.c that need an interleaving or its internals:
 * an out-of-line copy from a region the sender holds reads it with a
 * plain memcpy, the region pinned, and a vm_deallocate of that region by
 * another thread at any point of the send (tests/interleave.h) must leave
 * the copy whole -- the release waits for the last pin -- or, before the
 * copy begins, answer as a send from released memory does.  Nothing may
 * leak either way: the region ends released, its bytes counted nowhere.
 *
 * Includes core/internal.h for the yield hook and the region cache.
 */
#include "check_mipc.h"

#include "internal.h"

#include "interleave.h"

#include <string.h>

#define BYTES (64 * 1024)

struct ool_send {
	mipc_space_t os_space;
	mach_port_name_t os_port;
	vm_address_t os_region;
	mach_msg_return_t os_mr;
};

struct ool_msg {
	mach_msg_header_t h;
	mach_msg_body_t body;
	mach_msg_ool_descriptor_t ool;
};

static void
send_copy(void *arg)
{
	struct ool_send *s = arg;
	struct ool_msg m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits =
	    MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_remote_port = s->os_port;
	m.body.msgh_descriptor_count = 1;
	m.ool.address = (void *)s->os_region;
	m.ool.size = BYTES;
	m.ool.copy = MACH_MSG_PHYSICAL_COPY;
	m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
	s->os_mr = mipc_msg(s->os_space, &m.h, MACH_SEND_MSG, sizeof(m), 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static void
release_source(void *arg)
{
	struct ool_send *s = arg;

	MIPC_REQUIRE(mipc_vm_deallocate(s->os_space, s->os_region, BYTES) ==
	        KERN_SUCCESS,
	    "the other thread's vm_deallocate");
}

START_TEST(vm_copy_from_region_released_meanwhile_stays_whole)
{
	unsigned int nth, copies_pinned = 0;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		struct ool_send s = { 0 };
		struct {
			struct ool_msg m;
			mach_msg_max_trailer_t t;
		} r;
		struct mipc_stats st;
		size_t k;

		ck_assert_int_eq(mipc_space_create(&s.os_space), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_allocate(s.os_space,
		                     MACH_PORT_RIGHT_RECEIVE, &s.os_port),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_vm_allocate(s.os_space, &s.os_region,
		                     BYTES, VM_FLAGS_ANYWHERE),
		    KERN_SUCCESS);
		memset((void *)s.os_region, 0x6b, BYTES);
		reached = interleave_at(nth, send_copy, &s, release_source, &s);
		/* Released before the copy began, the region may be cached
		 * (mapped) or gone: either a copy or INVALID_MEMORY. */
		ck_assert_msg(s.os_mr == MACH_MSG_SUCCESS ||
		        s.os_mr == MACH_SEND_INVALID_MEMORY,
		    "yield point %u: 0x%x", nth, s.os_mr);
		if (s.os_mr == MACH_MSG_SUCCESS) {
			unsigned char *p;

			ck_assert_int_eq(
			    mipc_msg(s.os_space, &r.m.h,
			        MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r),
			        s.os_port, 0, MACH_PORT_NULL),
			    MACH_MSG_SUCCESS);
			ck_assert_uint_eq(r.m.ool.size, BYTES);
			p = r.m.ool.address;
			for (k = 0; k < BYTES; k++) {
				if (p[k] != 0x6b)
					break;
			}
			/* Pinned while it was released: every byte. */
			if (k == BYTES)
				copies_pinned++;
			ck_assert_msg(k == BYTES || nth == 1,
			    "yield point %u: byte %zu is %#x", nth, k, p[k]);
			ck_assert_int_eq(mipc_vm_deallocate(s.os_space,
			                     (vm_address_t)p, BYTES),
			    KERN_SUCCESS);
		}
		/* The source is released whatever the order. */
		ck_assert_int_eq(
		    mipc_vm_deallocate(s.os_space, s.os_region, BYTES),
		    KERN_INVALID_ADDRESS);
		mipc_get_stats(&st);
		ck_assert_uint_eq(st.ool_bytes, 0);
		ck_assert_int_eq(mipc_space_destroy(s.os_space), KERN_SUCCESS);
	}
	/* Some point fell inside the pinned copy (IPC_YIELD_COPY). */
	ck_assert_uint_ge(copies_pinned, 1);
}
END_TEST

/*
 * A region handed out again is zeroed, even where a copy into a message
 * does not overwrite it: the tail of its last page.
 */
START_TEST(vm_copy_destination_tail_is_zeroed)
{
	mipc_space_t sp;
	mach_port_name_t port;
	vm_address_t a = 0;
	struct {
		struct ool_msg m;
		mach_msg_max_trailer_t t;
	} r;
	struct ool_msg m;
	char src[100];
	size_t page = (size_t)sysconf(_SC_PAGESIZE), k;
	const unsigned char *p;
	struct mipc_stats st;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &port),
	    KERN_SUCCESS);
	/* A one-page region full of 0xff, released: cached. */
	ck_assert_int_eq(
	    mipc_vm_allocate(sp, &a, page, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
	memset((void *)a, 0xff, page);
	ck_assert_int_eq(mipc_vm_deallocate(sp, a, page), KERN_SUCCESS);
	ck_assert_uint_ge(ipc_vm_cached_bytes(), page);
	/* The stats say what the cache keeps, and its budget. */
	ck_assert_int_eq(mipc_get_stats(&st), KERN_SUCCESS);
	ck_assert_uint_eq(st.ool_cached_bytes, ipc_vm_cached_bytes());
	ck_assert_uint_eq(st.ool_cache_budget, ipc_vm_cache_budget());
	ck_assert_uint_ge(st.ool_cache_budget, 4u << 20);
	/* 100 bytes copied into a message take that page again. */
	memset(src, 0x11, sizeof(src));
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits =
	    MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_remote_port = port;
	m.body.msgh_descriptor_count = 1;
	m.ool.address = src;
	m.ool.size = sizeof(src);
	m.ool.copy = MACH_MSG_PHYSICAL_COPY;
	m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
	ck_assert_int_eq(mipc_msg(sp, &m.h, MACH_SEND_MSG, sizeof(m), 0,
	                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(mipc_msg(sp, &r.m.h, MACH_RCV_MSG, 0, sizeof(r), port,
	                     0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	p = r.m.ool.address;
	ck_assert_ptr_eq(p, (void *)a);
	for (k = 0; k < page; k++)
		ck_assert_msg(p[k] == (k < sizeof(src) ? 0x11 : 0),
		    "byte %zu is %#x", k, p[k]);
	ck_assert_int_eq(
	    mipc_vm_deallocate(sp, (vm_address_t)p, page), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

/*
 * A region whose protection vm_protect changed is not handed out again
 * as it is: the next allocation of that size writes its pages (zeroes
 * them) and gives them to a caller who expects read and write.
 */
START_TEST(vm_reprotected_region_is_not_reused_as_it_is)
{
	static const vm_prot_t prots[] = { VM_PROT_READ, VM_PROT_NONE };
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	mipc_space_t sp;
	unsigned int i;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	for (i = 0; i < 2; i++) {
		vm_address_t a = 0, b = 0;

		ck_assert_int_eq(
		    mipc_vm_allocate(sp, &a, 3 * page, VM_FLAGS_ANYWHERE),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_vm_protect(sp, a, 3 * page, false, prots[i]),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_vm_deallocate(sp, a, 3 * page), KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_vm_allocate(sp, &b, 3 * page, VM_FLAGS_ANYWHERE),
		    KERN_SUCCESS);
		memset((void *)b, 0x5a, 3 * page); /* writable, all of it */
		ck_assert_int_eq(
		    mipc_vm_deallocate(sp, b, 3 * page), KERN_SUCCESS);
	}
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

static Suite *
vm_suite(void)
{
	Suite *s = suite_create("vm");
	TCase *tc = mipc_tcase("ool_copy");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vm_copy_from_region_released_meanwhile_stays_whole);
	tcase_add_test(tc, vm_copy_destination_tail_is_zeroed);
	tcase_add_test(tc, vm_reprotected_region_is_not_reused_as_it_is);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(vm_suite)
