/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * model.h -- the reference model of Mach port IPC that the differential
 * tests and fuzzers drive in lock step with the engine (DESIGN §8).
 *
 * The model is written from ../../shared/MACH.md alone, never from core/:
 * several spaces, names, ports with receive / send / send-once rights and
 * user references (saturating at 65535, B13), lazily converted dead names
 * (D4), port sets, make-send / send-right / send-once counts, qlimit,
 * seqno, context and guards, and message queues holding messages whose
 * rights are port pointers.  It is single-threaded, uses plain linked
 * lists and recomputes counters by scanning, so that it is obviously
 * right rather than fast.
 *
 * Lock step.  The engine chooses names itself (randomised).  Every call
 * that creates a name therefore takes the name the engine returned as an
 * input ("this new entry is called N"): the model checks that N is legal
 * and not already in use in that space, then binds it.  Where the model
 * knows the name in advance (a send right merging into an existing name,
 * K8), it checks that the engine reported that name.  Such consistency
 * failures are recorded and read back with model_error(); every call
 * returns the code MACH.md prescribes, which the caller compares with the
 * engine's.
 *
 * Notifications are not modelled, except MACH_NOTIFY_SEND_ONCE (P25): no
 * request is ever registered by the drivers, so a send-once right
 * destroyed unused is the only source of kernel messages.  They can be
 * switched off (model_set_notify_send_once) for an engine that does not
 * deliver them.
 */
#ifndef MIPC_TESTS_MODEL_H
#define MIPC_TESTS_MODEL_H

#include <mipc/mipc.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * For helpers whose branches and comparisons follow list lengths, pointer
 * values or whether two answers agree, not Mach behaviour (the model's
 * scans, model_ops.c's state comparison): with clang, libFuzzer's coverage
 * leaves them out, which spares fuzz/fuzz_ops.c per-step tracing work and
 * coverage features that would steer nothing.  Checks are unaffected.
 */
#if defined(__clang__)
#define MODEL_NO_COVERAGE __attribute__((no_sanitize("coverage"), noinline))
#else
#define MODEL_NO_COVERAGE
#endif

#define MODEL_MAX_SPACES 4
#define MODEL_MAX_DESC   8 /* port descriptors per modelled message */

/*
 * User-chosen names (allocate_name, insert_right) with an index at or
 * above this are "beyond the maximum table size" (KERN_NO_SPACE, A6).  The
 * drivers only use indices below 0x10000 or exactly 0xFFFFFF.
 */
#define MODEL_INDEX_LIMIT 0x10000u

typedef struct model model_t;

model_t *model_create(int nspaces);
void model_free(model_t *m);
/* Deliver MACH_NOTIFY_SEND_ONCE for send-once rights destroyed unused. */
void model_set_notify_send_once(model_t *m, bool on);

/* First lock-step inconsistency recorded, or NULL. */
const char *model_error(const model_t *m);
void model_clear_error(model_t *m);

/* ---- spaces ------------------------------------------------------------ */

bool model_space_alive(const model_t *m, int sp);
void model_space_create(model_t *m, int sp);
/* Task termination (W1). */
void model_space_destroy(model_t *m, int sp);

/* ---- calls, each returning the code MACH.md prescribes ------------------ */

/* engine_name: what the engine returned (used only on success). */
kern_return_t model_allocate(
    model_t *m, int sp, mach_port_right_t right, mach_port_name_t engine_name);
/* engine_dead_name: the name the engine picked for A7 (DEAD_NAME). */
kern_return_t model_allocate_name(model_t *m, int sp, mach_port_right_t right,
    mach_port_name_t name, mach_port_name_t engine_dead_name);
kern_return_t model_construct(model_t *m, int sp,
    const mach_port_options_t *opts, mach_port_context_t context,
    mach_port_name_t engine_name);
kern_return_t model_destruct(model_t *m, int sp, mach_port_name_t name,
    mach_port_delta_t srdelta, mach_port_context_t guard);
kern_return_t model_deallocate(model_t *m, int sp, mach_port_name_t name);
kern_return_t model_destroy(model_t *m, int sp, mach_port_name_t name);
kern_return_t model_mod_refs(model_t *m, int sp, mach_port_name_t name,
    mach_port_right_t right, mach_port_delta_t delta);
kern_return_t model_get_refs(model_t *m, int sp, mach_port_name_t name,
    mach_port_right_t right, mach_port_urefs_t *refs);
kern_return_t model_type(
    model_t *m, int sp, mach_port_name_t name, mach_port_type_t *type);
/* mipc_port_insert_right(space=sp, name, from, poly, polyPoly). */
kern_return_t model_insert_right(model_t *m, int sp, mach_port_name_t name,
    int from, mach_port_name_t poly, mach_msg_type_name_t polyPoly);
/*
 * After a model_insert_right that failed: the code another order of checks
 * would have given (else KERN_SUCCESS) -- for a dead right (E15) the
 * malformed target name's code (E6), for a name whose slot is used under
 * another generation (A6: KERN_FAILURE) KERN_RIGHT_EXISTS (E8).
 */
kern_return_t model_insert_diag(const model_t *m);
/*
 * mipc_port_extract_right(space=sp, name, msgt_name, to): the engine's
 * results are checked (the name binding) and the expected ones returned.
 */
kern_return_t model_extract_right(model_t *m, int sp, mach_port_name_t name,
    mach_msg_type_name_t msgt_name, int to, mach_port_name_t engine_poly,
    mach_msg_type_name_t *polyPoly);

kern_return_t model_insert_member(
    model_t *m, int sp, mach_port_name_t name, mach_port_name_t pset);
kern_return_t model_extract_member(
    model_t *m, int sp, mach_port_name_t name, mach_port_name_t pset);
kern_return_t model_move_member(
    model_t *m, int sp, mach_port_name_t member, mach_port_name_t after);
/* Members sorted ascending; *n in: capacity, out: count. */
kern_return_t model_get_set_status(model_t *m, int sp, mach_port_name_t name,
    mach_port_name_t *members, unsigned *n);

kern_return_t model_set_attributes(model_t *m, int sp, mach_port_name_t name,
    mach_port_flavor_t flavor, const integer_t *info,
    mach_msg_type_number_t cnt);
/* RECEIVE_STATUS (count 10) and LIMITS_INFO (count 1). */
kern_return_t model_get_attributes(model_t *m, int sp, mach_port_name_t name,
    mach_port_flavor_t flavor, integer_t *info, mach_msg_type_number_t *cnt);
kern_return_t model_set_mscount(
    model_t *m, int sp, mach_port_name_t name, mach_port_mscount_t mscount);
kern_return_t model_set_seqno(
    model_t *m, int sp, mach_port_name_t name, mach_port_seqno_t seqno);
kern_return_t model_get_srights(
    model_t *m, int sp, mach_port_name_t name, mach_port_rights_t *srights);
kern_return_t model_get_context(
    model_t *m, int sp, mach_port_name_t name, mach_port_context_t *context);
kern_return_t model_set_context(
    model_t *m, int sp, mach_port_name_t name, mach_port_context_t context);
kern_return_t model_guard(model_t *m, int sp, mach_port_name_t name,
    mach_port_context_t guard, uint64_t mpg_flags);
kern_return_t model_unguard(
    model_t *m, int sp, mach_port_name_t name, mach_port_context_t guard);
kern_return_t model_swap_guard(model_t *m, int sp, mach_port_name_t name,
    mach_port_context_t old_guard, mach_port_context_t new_guard);
kern_return_t model_assert_attributes(model_t *m, int sp, mach_port_name_t name,
    mach_port_flavor_t flavor, uint64_t guard, mach_msg_type_number_t cnt);

/* ---- messages ----------------------------------------------------------- */

/*
 * A send as the driver built it: the buffer holds this header, and when
 * `bits` has MACH_MSGH_BITS_COMPLEX a body with `ndesc` descriptors of 12
 * bytes each (type byte as given: port descriptors are type 0; any value
 * above 4 is an invalid type).  send_size may be anything.
 */
struct model_msg_args {
	mach_msg_size_t send_size;
	mach_msg_bits_t bits;
	mach_port_name_t remote, local, voucher;
	mach_msg_id_t id;
	uint32_t ndesc;
	struct {
		mach_port_name_t name;
		mach_msg_type_name_t disp;
		uint8_t type;
	} desc[MODEL_MAX_DESC];
};

/*
 * mach_msg(MACH_SEND_MSG | MACH_SEND_TIMEOUT, timeout 0).  engine_rc and
 * engine_buf (the send buffer after the call) are used to bind the names
 * of a pseudo-receive (M3) when both sides agree on MACH_SEND_TIMED_OUT.
 */
mach_msg_return_t model_msg_send(model_t *m, int sp,
    const struct model_msg_args *a, mach_msg_return_t engine_rc,
    const void *engine_buf);

/*
 * For the last model_msg_send that got as far as the header rights: which
 * of them were bad on their own.  (More than one: XNU's order of checks
 * decides which error is reported.)
 */
#define MODEL_BAD_VOUCHER 0x1u /* would be MACH_SEND_INVALID_VOUCHER */
#define MODEL_BAD_DEST    0x2u /* would be MACH_SEND_INVALID_DEST */
#define MODEL_BAD_REPLY   0x4u /* would be MACH_SEND_INVALID_REPLY */
unsigned model_send_diag(const model_t *m);

/*
 * Names of the members of port set `pset` that hold messages, in sp (the
 * ones a receive on the set may pick, G7).  Returns the count.
 */
int model_pset_ready_members(
    model_t *m, int sp, mach_port_name_t pset, mach_port_name_t *out, int max);

/*
 * mach_msg(MACH_RCV_MSG | MACH_RCV_TIMEOUT | option, rcv_size, rcv_name,
 * timeout 0).  For a port set, member is the member the engine took the
 * message from (0: let the model choose a consistent one).  When both
 * sides agree on success, the received buffer is checked field by field
 * and its new names bound.
 */
mach_msg_return_t model_msg_receive(model_t *m, int sp,
    mach_port_name_t rcv_name, mach_msg_option_t option,
    mach_msg_size_t rcv_size, mach_port_name_t member,
    mach_msg_return_t engine_rc, const void *engine_buf);

/* ---- inspection for the drivers ----------------------------------------- */

/*
 * One name: `type` as mach_port_names reports it (no conversion);
 * `lazy_dead` for a send / send-once right whose port died and that is not
 * yet converted (type queries would convert it, D4); `held` the rights the
 * entry holds, unconverted.
 */
struct model_name_info {
	mach_port_name_t name;
	mach_port_type_t type;
	bool lazy_dead;
	mach_port_type_t held;
};

/* Every name of sp; returns the count (at most max filled). */
int model_names(const model_t *m, int sp, struct model_name_info *out, int max);
/* The one name `name` of sp, as model_names would report it; false if none. */
bool model_name(const model_t *m, int sp, mach_port_name_t name,
    struct model_name_info *out);
/*
 * Where the receive right of the port that `name` (a send, send-once or
 * receive right of sp) denotes is held: space and name.  False if the
 * name holds no port, the port died or its receive right is in transit.
 */
bool model_receiver(const model_t *m, int sp, mach_port_name_t name, int *rsp,
    mach_port_name_t *rname);
/*
 * Convert every send / send-once name of sp whose port died into a dead
 * name, as mach_port_type on each would.  For drivers that must follow an
 * engine whose mach_port_names converts (XNU's does not).
 */
void model_convert_dead_names(model_t *m, int sp);
/* Port seqno of the receive right `name` in sp, or -1. */
int64_t model_port_seqno(const model_t *m, int sp, mach_port_name_t name);
/* Number of live ports / port sets / queued messages in the model. */
void model_counts(
    const model_t *m, unsigned *ports, unsigned *psets, unsigned *messages);

#endif /* MIPC_TESTS_MODEL_H */
