/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lsmp.c -- an lsmp-style dumper of a task's port space over
 * mach_port_space_info, as macOS's lsmp(1) reads it: every name with its
 * rights and user references, the kernel object behind it
 * (mach_port_kobject), a receive right's queue (RECEIVE_STATUS), and
 * which send rights name a port whose receive right this task holds
 * (ipc_info_name_t.iin_object pairs them).
 *
 * It builds a small space first (a port with queued messages and a send
 * right to it, a send-once right to another, a set with a member, a dead
 * name, the host port), dumps it, and checks the dump.  Written for <mach/mach.h>
 * as on macOS; on Linux:
 *   cc lsmp.c $(pkg-config --cflags --libs mipc-mach)
 * Exits nonzero on any surprise; make test runs it.
 */
#include <mach/mach.h>
#include <mach/mach_error.h>
#include <mach_debug/ipc_info.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUST(call)                                  \
	do {                                        \
		kern_return_t kr_ = (call);         \
		if (kr_ != KERN_SUCCESS) {          \
			mach_error(#call ":", kr_); \
			exit(EXIT_FAILURE);         \
		}                                   \
	} while (0)

struct counts {
	unsigned names, recv, send, sonce, set, dead, paired, kobjects;
};

static const char *
rights_of(mach_port_type_t t)
{
	static char buf[64];

	buf[0] = '\0';
	if (t & MACH_PORT_TYPE_RECEIVE)
		strcat(buf, "recv,");
	if (t & MACH_PORT_TYPE_SEND)
		strcat(buf, "send,");
	if (t & MACH_PORT_TYPE_SEND_ONCE)
		strcat(buf, "sonce,");
	if (t & MACH_PORT_TYPE_PORT_SET)
		strcat(buf, "set,");
	if (t & MACH_PORT_TYPE_DEAD_NAME)
		strcat(buf, "dead,");
	if (buf[0] != '\0')
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

static struct counts
dump(mach_port_t task)
{
	ipc_info_space_t info;
	ipc_info_name_array_t table = NULL;
	ipc_info_tree_name_array_t tree = NULL;
	mach_msg_type_number_t n = 0, tn = 0, i, j;
	struct counts c;

	memset(&c, 0, sizeof(c));
	MUST(mach_port_space_info(task, &info, &table, &n, &tree, &tn));
	printf("task 0x%x: table size %u, generation mask 0x%x\n", task,
	    info.iis_table_size, info.iis_genno_mask);
	printf("  %-10s %-10s %-16s %5s %6s %6s  %s\n", "name", "object",
	    "rights", "urefs", "msgs", "qlimit", "detail");
	for (i = 0; i < n; i++) {
		const ipc_info_name_t *e = &table[i];
		mach_port_type_t t = e->iin_type & ~MACH_PORT_TYPE_DNREQUEST;
		char msgs[16] = "-", qlimit[16] = "-", detail[64] = "";
		natural_t kotype = 0;
		mach_vm_address_t kaddr = 0;

		if (t == 0)
			continue;
		c.names++;
		if (t & MACH_PORT_TYPE_RECEIVE) {
			mach_port_status_t st;
			mach_msg_type_number_t cnt =
			    MACH_PORT_RECEIVE_STATUS_COUNT;

			c.recv++;
			MUST(mach_port_get_attributes(task, e->iin_name,
			    MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st,
			    &cnt));
			snprintf(msgs, sizeof(msgs), "%u", st.mps_msgcount);
			snprintf(qlimit, sizeof(qlimit), "%u", st.mps_qlimit);
		}
		if (t & MACH_PORT_TYPE_SEND)
			c.send++;
		if (t & MACH_PORT_TYPE_SEND_ONCE)
			c.sonce++;
		if (t & MACH_PORT_TYPE_PORT_SET)
			c.set++;
		if (t & MACH_PORT_TYPE_DEAD_NAME)
			c.dead++;
		if ((t & MACH_PORT_TYPE_SEND_RECEIVE) &&
		    mach_port_kobject(task, e->iin_name, &kotype, &kaddr) ==
		        KERN_SUCCESS &&
		    kotype != 0) {
			c.kobjects++;
			snprintf(detail, sizeof(detail), "%s",
			    kotype == 2       ? "(task)"
			        : kotype == 3 ? "(host)"
			                      : "(kernel object)");
		}
		/* A send right to a port whose receive right is here. */
		if ((t & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE)) &&
		    !(t & MACH_PORT_TYPE_RECEIVE)) {
			for (j = 0; j < n; j++) {
				if (j != i &&
				    table[j].iin_object == e->iin_object &&
				    (table[j].iin_type &
				        MACH_PORT_TYPE_RECEIVE)) {
					snprintf(detail, sizeof(detail),
					    "-> 0x%x", table[j].iin_name);
					c.paired++;
				}
			}
		}
		printf("  0x%08x 0x%08x %-16s %5u %6s %6s  %s\n", e->iin_name,
		    e->iin_object, rights_of(t), e->iin_urefs, msgs, qlimit,
		    detail);
	}
	MUST(vm_deallocate(
	    mach_task_self(), (vm_address_t)table, n * sizeof(*table)));
	return c;
}

int
main(void)
{
	mach_port_t task = mach_task_self(), host = mach_host_self();
	mach_port_t port, other, set, member, dead, sonce, snd;
	mach_msg_type_name_t pt;
	mach_msg_header_t h;
	struct counts c;
	int i, bad = 0;

	MUST(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port));
	MUST(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &other));
	MUST(mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &set));
	MUST(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &member));
	MUST(mach_port_move_member(task, member, set));
	MUST(mach_port_allocate(task, MACH_PORT_RIGHT_DEAD_NAME, &dead));
	MUST(mach_port_insert_right(task, port, port, MACH_MSG_TYPE_MAKE_SEND));
	MUST(mach_port_extract_right(
	    task, other, MACH_MSG_TYPE_MAKE_SEND, &snd, &pt));
	MUST(mach_port_extract_right(
	    task, other, MACH_MSG_TYPE_MAKE_SEND_ONCE, &sonce, &pt));
	for (i = 0; i < 2; i++) {
		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		h.msgh_size = sizeof(h);
		h.msgh_remote_port = port;
		MUST(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL,
		    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL));
	}
	c = dump(task);
	/*
	 * task, host, port, other (its send right merged into the receive
	 * name: one name per port in a space), set, member, dead, sonce (to
	 * other: paired).
	 */
	if (snd != other || c.names != 8 || c.recv != 3 || c.send != 4 ||
	    c.sonce != 1 || c.set != 1 || c.dead != 1 || c.paired != 1 ||
	    c.kobjects != 2) {
		fprintf(stderr,
		    "lsmp: names %u recv %u send %u sonce %u set %u dead %u "
		    "paired %u kobjects %u\n",
		    c.names, c.recv, c.send, c.sonce, c.set, c.dead, c.paired,
		    c.kobjects);
		bad = 1;
	}
	MUST(mach_port_destroy(task, port));
	MUST(mach_port_destroy(task, other));
	MUST(mach_port_destroy(task, member));
	MUST(mach_port_destroy(task, set));
	MUST(mach_port_deallocate(task, dead));
	MUST(mach_port_deallocate(task, sonce));
	MUST(mach_port_deallocate(task, host));
	c = dump(task);
	if (c.names != 1) {
		fprintf(stderr, "lsmp: %u names left, want the task's own\n",
		    c.names);
		bad = 1;
	}
	printf("lsmp: %s\n", bad ? "FAILED" : "ok");
	return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
