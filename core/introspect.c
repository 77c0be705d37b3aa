/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * introspect.c -- what a person reads about mipc's state: a space's names
 * in the manner of lsmp (mipc_space_dump), and with MIPC_DEBUG=leaks in
 * the environment, every live space, port and set at exit with the stack
 * that made it.
 *
 * Owns:      the dump's format; the leak records (a table keyed by object
 *            address) and the report.
 * Locking:   the dump snapshots blocked threads under the thread registry
 *            lock (a leaf), then takes the space lock and, per
 *            receive right, the port lock -- formatting into memory, so
 *            that the user's stream is written with nothing held.
 *            leak_lock (IPC_RANK_LEAF) covers the leak records; objects
 *            are forgotten before their memory goes, so the report, which
 *            holds it, reads only live memory.
 * Choices:   * The report reads objects without their locks (racy snapshot
 *              at exit, a debugging aid); objects whose last reference went
 *              (pending a grace period) are not leaks and are skipped.
 *            * Leak records and the report's strings live in the C
 *              library's heap, outside the counted kinds, so that turning
 *              the report on changes no count it reports.
 *            * "Where it was made" is a raw stack (backtrace(3)); frames
 *              are named as backtrace_symbols names them (dynamic symbols:
 *              addr2line resolves the rest).
 *
 * The dump's format (a parser's contract; columns only ever appended):
 *
 *	mipc space #<serial> <address> <active|destroyed> names <n>
 *	name rights urefs msgs qlimit seqno srights sorights reqs flags
 *	    blocked detail
 *	then one line per name, fields separated by blanks, "-" where a
 *	field does not apply:
 *	  name      0x%08x
 *	  rights    comma list of recv, send, sonce, set, dead
 *	  urefs     the name's user references
 *	  msgs qlimit seqno srights sorights
 *	            a receive right's queue length, queue limit, next sequence
 *	            number, send and send-once rights outstanding
 *	  reqs      three letters or '-': D a dead-name (or send-possible)
 *	            request on the name, N a no-senders request, P a
 *	            port-destroyed request (both on a receive right)
 *	  flags     three letters or '-': G guarded, I immovable receive,
 *	            S special reply port (R: another reply port)
 *	  blocked   comma list of <what>:<tid>, the OS threads blocked on the
 *	            port or set: rcv receiving, srp waiting for a reply on its
 *	            special reply port, snd sending to a full queue
 *	  detail    a set's members=<name>,...; a send or send-once right's
 *	            dest=#<serial>:<name> (the space and name of its receive
 *	            right), dest=transit (in a message), dest=limbo, or
 *	            dest=dead
 */
#include "introspect.h"

#include "cache.h"
#include "lock.h"
#include "mqueue.h"
#include "object.h"
#include "port.h"
#include "pset.h"
#include "right.h"
#include "space.h"
#include "thread.h"

#include <execinfo.h>
#include <mipc/mipc.h>
#include <mipc/sync.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* mipc_space_dump                                                     */

/* A thread blocked in mipc, as the registry showed it. */
struct blocked {
	const void *b_obj;
	uint32_t b_kind;
	pid_t b_tid;
};

#define DUMP_BLOCKED_MAX 512u

struct blocked_set {
	struct blocked *bs_v;
	uint32_t bs_n;
};

static void
blocked_collect(struct ipc_thread *th, void *arg)
{
	struct blocked_set *bs = arg;
	const void *o = ck_pr_load_ptr(&th->th_wait_obj);
	uint32_t kind = ck_pr_load_32(&th->th_wait_kind);

	if (o == NULL || kind == MIPC_WAIT_NONE || bs->bs_n >= DUMP_BLOCKED_MAX)
		return;
	bs->bs_v[bs->bs_n].b_obj = o;
	bs->bs_v[bs->bs_n].b_kind = kind;
	bs->bs_v[bs->bs_n].b_tid = th->th_tid;
	bs->bs_n++;
}

static void
put_blocked(FILE *m, const struct blocked_set *bs, const void *o)
{
	static const char *const what[] = {
		[MIPC_WAIT_SEND_FULL] = "snd",
		[MIPC_WAIT_SRP_REPLY] = "srp",
		[MIPC_WAIT_RECEIVE] = "rcv",
	};
	bool any = false;
	uint32_t i;

	for (i = 0; i < bs->bs_n; i++) {
		const struct blocked *b = &bs->bs_v[i];

		if (b->b_obj != o || b->b_kind > MIPC_WAIT_RECEIVE)
			continue;
		fprintf(m, "%s%s:%d", any ? "," : " ", what[b->b_kind],
		    (int)b->b_tid);
		any = true;
	}
	if (!any)
		fputs(" -", m);
}

static void
put_rights(FILE *m, mach_port_type_t type)
{
	static const struct {
		mach_port_type_t t;
		const char *s;
	} names[] = {
		{ MACH_PORT_TYPE_RECEIVE, "recv" },
		{ MACH_PORT_TYPE_SEND, "send" },
		{ MACH_PORT_TYPE_SEND_ONCE, "sonce" },
		{ MACH_PORT_TYPE_PORT_SET, "set" },
		{ MACH_PORT_TYPE_DEAD_NAME, "dead" },
	};
	const char *sep = "";
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (type & names[i].t) {
			fprintf(m, "%s%s", sep, names[i].s);
			sep = ",";
		}
	}
	if (*sep == '\0')
		fputs("?", m);
}

/* Conditions: space locked; e holds a receive right. */
static void
put_receive(
    FILE *m, struct mipc_space *space, struct ipc_port *port, bool dnreq)
{
	mach_port_status_t st;
	uint32_t srights, cflags, flags;

	ipc_lock_assert_held(&space->is_lock);
	ip_lock(port);
	ipc_port_status_locked(port, &st);
	srights = ipc_port_srights_total(port);
	cflags = port->ip_cflags;
	flags = port->ip_flags;
	ip_unlock(port);
	fprintf(m, " %u %u %u %u %u %c%c%c %c%c%c", st.mps_msgcount,
	    st.mps_qlimit, st.mps_seqno, srights, st.mps_sorights,
	    dnreq ? 'D' : '-', st.mps_nsrequest ? 'N' : '-',
	    st.mps_pdrequest ? 'P' : '-', (flags & IP_F_GUARDED) ? 'G' : '-',
	    (flags & IP_F_IMMOVABLE_RECEIVE) ? 'I' : '-',
	    (cflags & IP_F_SPECIAL_REPLY)                           ? 'S'
	        : (cflags & (IP_F_REPLY_PORT | IP_F_ENFORCE_REPLY)) ? 'R'
	                                                            : '-');
}

/* Where a send right's receive right is.  Conditions: space locked. */
static void
put_dest(FILE *m, struct ipc_port *port)
{
	struct mipc_space *rs;
	mach_port_name_t rn;
	uint32_t state;

	ip_lock(port);
	state = port->ip_state;
	rs = ip_receiver(port);
	rn = port->ip_receiver_name;
	ip_unlock(port);
	switch (state) {
	case IP_IN_SPACE:
		fprintf(m, " dest=#%u:0x%08x", rs->is_serial, rn);
		break;
	case IP_IN_TRANSIT:
		fputs(" dest=transit", m);
		break;
	case IP_IN_LIMBO:
		fputs(" dest=limbo", m);
		break;
	default:
		fputs(" dest=dead", m);
		break;
	}
}

/* Conditions: space locked. */
static void
put_members(FILE *m, struct ipc_pset *ps)
{
	struct ipc_pset_link *l;
	const char *sep = "=";

	fputs(" members", m);
	for (l = ps->ips_members; l != NULL; l = l->pl_next_in_pset) {
		fprintf(m, "%s0x%08x", sep, l->pl_port->ip_receiver_name);
		sep = ",";
	}
	if (*sep == '=')
		fputs("=-", m);
}

/* One line per name.  Conditions: space locked and active. */
static void
dump_names_locked(
    FILE *m, struct mipc_space *space, const struct blocked_set *bs)
{
	struct ipc_table *t = space->is_table;
	uint32_t i, n = 0;

	ipc_lock_assert_held(&space->is_lock);
	for (i = 1; i < t->it_size; i++)
		n += IE_BITS_TYPE(t->it_entries[i].ie_bits) != 0;
	fprintf(m, "mipc space #%u %p active names %u\n", space->is_serial,
	    (void *)ipc_space_handle(space), n);
	fputs("name rights urefs msgs qlimit seqno srights sorights reqs flags "
	      "blocked detail\n",
	    m);
	for (i = 1; i < t->it_size; i++) {
		struct ipc_entry *e = &t->it_entries[i];
		struct ipc_object *o = e->ie_object;
		mach_port_name_t name;
		mach_port_type_t type;

		if (IE_BITS_TYPE(e->ie_bits) == 0)
			continue;
		name = MACH_PORT_MAKE(i, IE_BITS_GEN(e->ie_bits));
		ipc_right_peek_locked(space, name, e, &type);
		fprintf(m, "0x%08x ", name);
		put_rights(m, type);
		fprintf(m, " %u", IE_BITS_UREFS(e->ie_bits));
		if (o != NULL && (type & MACH_PORT_TYPE_RECEIVE)) {
			put_receive(m, space, ip_from_object(o),
			    (type & MACH_PORT_TYPE_DNREQUEST) != 0);
		} else {
			fprintf(m, " - - - - - %c-- ---",
			    (type & MACH_PORT_TYPE_DNREQUEST) ? 'D' : '-');
		}
		put_blocked(m, bs, o);
		if (o != NULL && (type & MACH_PORT_TYPE_PORT_SET))
			put_members(m, ips_from_object(o));
		else if (o != NULL && !(type & MACH_PORT_TYPE_RECEIVE) &&
		    (type & MACH_PORT_TYPE_SEND_RIGHTS))
			put_dest(m, ip_from_object(o));
		else
			fputs(" -", m);
		fputc('\n', m);
	}
}

/* A destroyed space's header line; serial 0 once its slot is gone. */
static kern_return_t
dump_destroyed(mipc_space_t task, uint32_t serial, FILE *out)
{
	fprintf(
	    out, "mipc space #%u %p destroyed names 0\n", serial, (void *)task);
	fflush(out);
	return KERN_INVALID_TASK;
}

kern_return_t
mipc_space_dump(mipc_space_t task, FILE *out)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct blocked_set bs = { NULL, 0 };
	kern_return_t kr;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (out == NULL)
		return KERN_INVALID_ARGUMENT;
	kr = ipc_space_acquire(task, &space);
	if (kr == KERN_INVALID_TASK)
		return dump_destroyed(task, 0, out);
	if (kr != KERN_SUCCESS)
		return kr;
	bs.bs_v = ipc_alloc(IPC_KIND_MISC, DUMP_BLOCKED_MAX * sizeof(*bs.bs_v));
	if (bs.bs_v == NULL)
		return KERN_RESOURCE_SHORTAGE;
	m = open_memstream(&buf, &len);
	if (m == NULL) {
		ipc_free(IPC_KIND_MISC, bs.bs_v,
		    DUMP_BLOCKED_MAX * sizeof(*bs.bs_v));
		return KERN_RESOURCE_SHORTAGE;
	}
	ipc_thread_foreach(blocked_collect, &bs);
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		dump_names_locked(m, space, &bs);
	else
		fprintf(m, "mipc space #%u %p destroyed names 0\n",
		    space->is_serial, (void *)task);
	is_unlock(space);
	ipc_free(IPC_KIND_MISC, bs.bs_v, DUMP_BLOCKED_MAX * sizeof(*bs.bs_v));
	if (fclose(m) != 0) {
		free(buf);
		return KERN_RESOURCE_SHORTAGE;
	}
	fwrite(buf, 1, len, out);
	fflush(out);
	free(buf);
	return kr;
}

/* ------------------------------------------------------------------ */
/* MIPC_DEBUG=leaks                                                    */

#define LEAK_FRAMES  8
#define LEAK_BUCKETS 1024u

struct leak_rec {
	struct leak_rec *lr_next; /* (leak_lock) hash chain */
	const void *lr_obj;       /* (C) the object */
	enum ipc_kind lr_kind;    /* (C) SPACE, PORT or PSET */
	int lr_nframes;           /* (C) */
	void *lr_frames[LEAK_FRAMES];
};

bool ipc_debug_leaks;

static ipc_lock_t leak_lock = IPC_LOCK_INITIALIZER(IPC_RANK_LEAF, "leaks");
static struct leak_rec *leak_table[LEAK_BUCKETS]; /* (leak_lock) */

/*
 * fork(): the parent's objects are abandoned in the child, and none of
 * them is the child's leak: the records are dropped (not freed: another
 * thread may have been changing the table), the lock made anew.
 * Conditions: the only thread of a fresh child; takes no lock.
 */
void
ipc_leak_atfork_child(void)
{
	ipc_lock_init(&leak_lock, IPC_RANK_LEAF, "leaks");
	memset(leak_table, 0, sizeof(leak_table));
}

static unsigned int
leak_hash(const void *obj)
{
	return (unsigned int)(((uintptr_t)obj >> 4) * 0x9e3779b97f4a7c15ull >>
	           54) %
	    LEAK_BUCKETS;
}

void
ipc_leak_note_slow(enum ipc_kind kind, const void *obj)
{
	/* The C library's heap: outside the counted kinds (Choices). */
	struct leak_rec *r = calloc(1, sizeof(*r));
	unsigned int h = leak_hash(obj);

	if (r == NULL)
		return; /* unrecorded: the report counts it all the same */
	r->lr_obj = obj;
	r->lr_kind = kind;
	r->lr_nframes = backtrace(r->lr_frames, LEAK_FRAMES);
	ipc_lock(&leak_lock);
	r->lr_next = leak_table[h];
	leak_table[h] = r;
	ipc_unlock(&leak_lock);
}

void
ipc_leak_forget_slow(const void *obj)
{
	struct leak_rec **pp, *r = NULL;

	ipc_lock(&leak_lock);
	for (pp = &leak_table[leak_hash(obj)]; *pp != NULL;
	     pp = &(*pp)->lr_next) {
		if ((*pp)->lr_obj == obj) {
			r = *pp;
			*pp = r->lr_next;
			break;
		}
	}
	ipc_unlock(&leak_lock);
	free(r);
}

static void
leak_put_stack(const struct leak_rec *r)
{
	char **sym = backtrace_symbols(r->lr_frames, r->lr_nframes);
	int i;

	/* Frame 0 is ipc_leak_note_slow itself. */
	for (i = 1; i < r->lr_nframes; i++)
		fprintf(stderr, "mipc:     %s\n",
		    sym != NULL ? sym[i] : "(no symbols)");
	free(sym);
}

/* One record.  Conditions: leak_lock held (the object is alive). */
static bool
leak_put_locked(const struct leak_rec *r)
{
	ipc_lock_assert_held(&leak_lock);
	switch (r->lr_kind) {
	case IPC_KIND_SPACE: {
		const struct mipc_space *s = r->lr_obj;

		if (ck_pr_load_32(&s->is_refs) == 0)
			return false; /* destroyed, its slot being reclaimed */
		fprintf(stderr, "mipc: leak: space #%u %p%s%s, made at:\n",
		    s->is_serial, (void *)ipc_space_handle(s),
		    ipc_space_is_default(s) ? " (the default space, "
		                              "mach_task_self)"
		                            : "",
		    ck_pr_load_32(&s->is_active) ? ""
		                                 : " (destroyed, still held "
		                                   "by a call in progress)");
		break;
	}
	case IPC_KIND_PORT: {
		const struct ipc_port *p = r->lr_obj;
		struct mipc_space *rs = ck_pr_load_ptr(&p->ip_receiver);

		if (ck_pr_load_32(&p->ip_object.io_refs) == 0)
			return false; /* retired, waiting for a grace period */
		fprintf(stderr, "mipc: leak: port %p ", r->lr_obj);
		switch (ck_pr_load_32(&p->ip_state)) {
		case IP_IN_SPACE:
			fprintf(stderr,
			    "receive right name 0x%08x in space #%u",
			    ck_pr_load_32(&p->ip_receiver_name),
			    rs != NULL ? rs->is_serial : 0);
			break;
		case IP_IN_TRANSIT:
			fputs("receive right in transit (in a queued message)",
			    stderr);
			break;
		case IP_IN_LIMBO:
			fputs("receive right held by a call", stderr);
			break;
		default:
			fputs("dead, still referenced (send rights, dead names "
			      "or messages)",
			    stderr);
			break;
		}
		fprintf(stderr,
		    ", %u send, %u send-once rights, %u messages; made at:\n",
		    ck_pr_load_32(&p->ip_srights),
		    ck_pr_load_32(&p->ip_sorights), ipc_mqueue_count(p));
		break;
	}
	default: {
		const struct ipc_pset *ps = r->lr_obj;
		struct mipc_space *s = ck_pr_load_ptr(&ps->ips_space);

		if (ck_pr_load_32(&ps->ips_object.io_refs) == 0)
			return false;
		if (ps->ips_unnamed)
			fprintf(stderr, "mipc: leak: port set %p of a workloop",
			    r->lr_obj);
		else
			fprintf(stderr,
			    "mipc: leak: port set %p name 0x%08x in space #%u",
			    r->lr_obj, ck_pr_load_32(&ps->ips_name),
			    s != NULL ? s->is_serial : 0);
		fputs("; made at:\n", stderr);
		break;
	}
	}
	leak_put_stack(r);
	return true;
}

/* atexit: the counts, then every live object made while recording. */
static void
leak_report(void)
{
	struct mipc_stats st;
	unsigned int i, listed = 0;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	(void)(mipc_get_stats)(&st);
	fprintf(stderr,
	    "mipc: MIPC_DEBUG=leaks: live at exit: %llu spaces, %llu ports, "
	    "%llu port sets, %llu messages, %llu OOL bytes, %llu tables\n",
	    (unsigned long long)st.spaces, (unsigned long long)st.ports,
	    (unsigned long long)st.psets, (unsigned long long)st.messages,
	    (unsigned long long)st.ool_bytes, (unsigned long long)st.tables);
	ipc_lock(&leak_lock);
	for (i = 0; i < LEAK_BUCKETS; i++) {
		const struct leak_rec *r;

		for (r = leak_table[i]; r != NULL; r = r->lr_next)
			listed += leak_put_locked(r);
	}
	ipc_unlock(&leak_lock);
	fprintf(stderr, "mipc: MIPC_DEBUG=leaks: %u objects listed\n", listed);
	if (listed != 0)
		fputs("mipc: MIPC_DEBUG=leaks: a frame file(+0xoff) without a "
		      "name resolves with: addr2line -f -e file 0xoff\n",
		    stderr);
}

/* MIPC_DEBUG is a comma list of words; "leaks" turns the report on. */
__attribute__((constructor)) static void
introspect_init(void)
{
	const char *v = getenv("MIPC_DEBUG");
	void *frame;

	if (v == NULL || strstr(v, "leaks") == NULL)
		return;
	/* backtrace's first call loads the unwinder: not under our locks. */
	(void)backtrace(&frame, 1);
	ipc_debug_leaks = true;
	atexit(leak_report);
}
