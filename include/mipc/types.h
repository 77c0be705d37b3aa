/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * types.h -- Mach's user-space scalar types and constants, with Mach's
 * widths and numeric values (osfmk/mach/kern_return.h, port.h,
 * message.h, mach_types.h; 64-bit user layout), and the export marker of
 * the mipc API.
 */
#ifndef MIPC_TYPES_H
#define MIPC_TYPES_H

#include <stdint.h>

/* Marks the library's exported API; everything else is hidden. */
#ifndef MIPC_API
#define MIPC_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- scalar types ---------------------------------------------------- */

typedef int kern_return_t;
typedef int boolean_t;
typedef uintptr_t vm_address_t;
typedef uintptr_t vm_offset_t;
typedef uintptr_t vm_size_t;
typedef uint32_t natural_t;
typedef int32_t integer_t;

typedef natural_t mach_port_name_t;
typedef mach_port_name_t mach_port_t; /* a name, 32 bits, as in user space */
typedef mach_port_name_t *mach_port_name_array_t;
typedef natural_t mach_port_right_t;
typedef natural_t mach_port_type_t;
typedef mach_port_type_t *mach_port_type_array_t;
typedef natural_t mach_port_urefs_t;
typedef integer_t mach_port_delta_t;
typedef natural_t mach_port_seqno_t;
typedef natural_t mach_port_mscount_t;
typedef natural_t mach_port_msgcount_t;
typedef natural_t mach_port_rights_t;
typedef unsigned int mach_port_srights_t;
typedef uint64_t mach_port_context_t;
typedef int mach_port_flavor_t;
typedef integer_t *mach_port_info_t;
typedef natural_t mach_msg_type_name_t;
typedef natural_t mach_msg_type_number_t;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* ---- kern_return_t ---------------------------------------------------- */

#define KERN_SUCCESS                  0
#define KERN_INVALID_ADDRESS          1
#define KERN_PROTECTION_FAILURE       2
#define KERN_NO_SPACE                 3
#define KERN_INVALID_ARGUMENT         4
#define KERN_FAILURE                  5
#define KERN_RESOURCE_SHORTAGE        6
#define KERN_NOT_RECEIVER             7
#define KERN_NO_ACCESS                8
#define KERN_MEMORY_FAILURE           9
#define KERN_MEMORY_ERROR             10
#define KERN_ALREADY_IN_SET           11
#define KERN_NOT_IN_SET               12
#define KERN_NAME_EXISTS              13
#define KERN_ABORTED                  14
#define KERN_INVALID_NAME             15
#define KERN_INVALID_TASK             16
#define KERN_INVALID_RIGHT            17
#define KERN_INVALID_VALUE            18
#define KERN_UREFS_OVERFLOW           19
#define KERN_INVALID_CAPABILITY       20
#define KERN_RIGHT_EXISTS             21
#define KERN_INVALID_HOST             22
#define KERN_MEMORY_PRESENT           23
#define KERN_MEMORY_DATA_MOVED        24
#define KERN_MEMORY_RESTART_COPY      25
#define KERN_INVALID_PROCESSOR_SET    26
#define KERN_POLICY_LIMIT             27
#define KERN_INVALID_POLICY           28
#define KERN_INVALID_OBJECT           29
#define KERN_ALREADY_WAITING          30
#define KERN_DEFAULT_SET              31
#define KERN_EXCEPTION_PROTECTED      32
#define KERN_INVALID_LEDGER           33
#define KERN_INVALID_MEMORY_CONTROL   34
#define KERN_INVALID_SECURITY         35
#define KERN_NOT_DEPRESSED            36
#define KERN_TERMINATED               37
#define KERN_LOCK_SET_DESTROYED       38
#define KERN_LOCK_UNSTABLE            39
#define KERN_LOCK_OWNED               40
#define KERN_LOCK_OWNED_SELF          41
#define KERN_SEMAPHORE_DESTROYED      42
#define KERN_RPC_SERVER_TERMINATED    43
#define KERN_RPC_TERMINATE_ORPHAN     44
#define KERN_RPC_CONTINUE_ORPHAN      45
#define KERN_NOT_SUPPORTED            46
#define KERN_NODE_DOWN                47
#define KERN_NOT_WAITING              48
#define KERN_OPERATION_TIMED_OUT      49
#define KERN_CODESIGN_ERROR           50
#define KERN_POLICY_STATIC            51
#define KERN_INSUFFICIENT_BUFFER_SIZE 52
#define KERN_DENIED                   53
#define KERN_MISSING_KC               54
#define KERN_INVALID_KC               55
#define KERN_NOT_FOUND                56
#define KERN_RETURN_MAX               0x100

/* MIG errors (osfmk/mach/mig_errors.h). */
#define MIG_TYPE_ERROR      (-300)
#define MIG_REPLY_MISMATCH  (-301)
#define MIG_REMOTE_ERROR    (-302)
#define MIG_BAD_ID          (-303)
#define MIG_BAD_ARGUMENTS   (-304)
#define MIG_NO_REPLY        (-305)
#define MIG_EXCEPTION       (-306)
#define MIG_ARRAY_TOO_LARGE (-307)
#define MIG_SERVER_DIED     (-308)
#define MIG_TRAILER_ERROR   (-309)

/* ---- mach_msg return codes (osfmk/mach/message.h) ---------------------- */

typedef kern_return_t mach_msg_return_t;

#define MACH_MSG_SUCCESS    0x00000000
#define MACH_MSG_MASK       0x00003e00
#define MACH_MSG_IPC_SPACE  0x00002000
#define MACH_MSG_VM_SPACE   0x00001000
#define MACH_MSG_IPC_KERNEL 0x00000800
#define MACH_MSG_VM_KERNEL  0x00000400

#define MACH_SEND_IN_PROGRESS         0x10000001
#define MACH_SEND_INVALID_DATA        0x10000002
#define MACH_SEND_INVALID_DEST        0x10000003
#define MACH_SEND_TIMED_OUT           0x10000004
#define MACH_SEND_INVALID_VOUCHER     0x10000005
#define MACH_SEND_INTERRUPTED         0x10000007
#define MACH_SEND_MSG_TOO_SMALL       0x10000008
#define MACH_SEND_INVALID_REPLY       0x10000009
#define MACH_SEND_INVALID_RIGHT       0x1000000a
#define MACH_SEND_INVALID_NOTIFY      0x1000000b
#define MACH_SEND_INVALID_MEMORY      0x1000000c
#define MACH_SEND_NO_BUFFER           0x1000000d
#define MACH_SEND_TOO_LARGE           0x1000000e
#define MACH_SEND_INVALID_TYPE        0x1000000f
#define MACH_SEND_INVALID_HEADER      0x10000010
#define MACH_SEND_INVALID_TRAILER     0x10000011
#define MACH_SEND_INVALID_CONTEXT     0x10000012
#define MACH_SEND_INVALID_OPTIONS     0x10000013
#define MACH_SEND_INVALID_RT_OOL_SIZE 0x10000015
#define MACH_SEND_NO_GRANT_DEST       0x10000016
#define MACH_SEND_MSG_FILTERED        0x10000017
#define MACH_SEND_AUX_TOO_SMALL       0x10000018
#define MACH_SEND_AUX_TOO_LARGE       0x10000019

#define MACH_RCV_IN_PROGRESS       0x10004001
#define MACH_RCV_INVALID_NAME      0x10004002
#define MACH_RCV_TIMED_OUT         0x10004003
#define MACH_RCV_TOO_LARGE         0x10004004
#define MACH_RCV_INTERRUPTED       0x10004005
#define MACH_RCV_PORT_CHANGED      0x10004006
#define MACH_RCV_INVALID_NOTIFY    0x10004007
#define MACH_RCV_INVALID_DATA      0x10004008
#define MACH_RCV_PORT_DIED         0x10004009
#define MACH_RCV_IN_SET            0x1000400a
#define MACH_RCV_HEADER_ERROR      0x1000400b
#define MACH_RCV_BODY_ERROR        0x1000400c
#define MACH_RCV_INVALID_TYPE      0x1000400d
#define MACH_RCV_SCATTER_SMALL     0x1000400e
#define MACH_RCV_INVALID_TRAILER   0x1000400f
#define MACH_RCV_IN_PROGRESS_TIMED 0x10004011
#define MACH_RCV_INVALID_REPLY     0x10004012
#define MACH_RCV_INVALID_ARGUMENTS 0x10004013

/* ---- port names ------------------------------------------------------- */

#define MACH_PORT_NULL ((mach_port_name_t)0)
#define MACH_PORT_DEAD ((mach_port_name_t)~0u)
#define MACH_PORT_VALID(name) \
	(((name) != MACH_PORT_NULL) && ((name) != MACH_PORT_DEAD))

#define MACH_PORT_INDEX(name)      ((name) >> 8)
#define MACH_PORT_GEN(name)        (((name)&0xff) << 24)
#define MACH_PORT_MAKE(index, gen) (((index) << 8) | ((gen) >> 24))

/* ---- rights and types ------------------------------------------------- */

#define MACH_PORT_RIGHT_SEND      ((mach_port_right_t)0)
#define MACH_PORT_RIGHT_RECEIVE   ((mach_port_right_t)1)
#define MACH_PORT_RIGHT_SEND_ONCE ((mach_port_right_t)2)
#define MACH_PORT_RIGHT_PORT_SET  ((mach_port_right_t)3)
#define MACH_PORT_RIGHT_DEAD_NAME ((mach_port_right_t)4)
#define MACH_PORT_RIGHT_LABELH    ((mach_port_right_t)5)
#define MACH_PORT_RIGHT_NUMBER    ((mach_port_right_t)6)

#define MACH_PORT_TYPE(right)                     \
	((mach_port_type_t)(((mach_port_type_t)1) \
	    << ((right) + ((mach_port_right_t)16))))
#define MACH_PORT_TYPE_NONE      ((mach_port_type_t)0L)
#define MACH_PORT_TYPE_SEND      MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND)
#define MACH_PORT_TYPE_RECEIVE   MACH_PORT_TYPE(MACH_PORT_RIGHT_RECEIVE)
#define MACH_PORT_TYPE_SEND_ONCE MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND_ONCE)
#define MACH_PORT_TYPE_PORT_SET  MACH_PORT_TYPE(MACH_PORT_RIGHT_PORT_SET)
#define MACH_PORT_TYPE_DEAD_NAME MACH_PORT_TYPE(MACH_PORT_RIGHT_DEAD_NAME)
#define MACH_PORT_TYPE_LABELH    MACH_PORT_TYPE(MACH_PORT_RIGHT_LABELH)

#define MACH_PORT_TYPE_DNREQUEST         0x80000000u
#define MACH_PORT_TYPE_SPREQUEST         0x40000000u
#define MACH_PORT_TYPE_SPREQUEST_DELAYED 0x20000000u

#define MACH_PORT_TYPE_SEND_RECEIVE \
	(MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE)
#define MACH_PORT_TYPE_SEND_RIGHTS \
	(MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE)
#define MACH_PORT_TYPE_PORT_RIGHTS \
	(MACH_PORT_TYPE_SEND_RIGHTS | MACH_PORT_TYPE_RECEIVE)
#define MACH_PORT_TYPE_PORT_OR_DEAD \
	(MACH_PORT_TYPE_PORT_RIGHTS | MACH_PORT_TYPE_DEAD_NAME)
#define MACH_PORT_TYPE_ALL_RIGHTS \
	(MACH_PORT_TYPE_PORT_OR_DEAD | MACH_PORT_TYPE_PORT_SET)

#define MACH_PORT_UREFS_MAX ((mach_port_urefs_t)0xffff)
#define MACH_PORT_UREFS_OVERFLOW(urefs, delta)   \
	(((delta) > 0) &&                        \
	    ((((urefs) + (delta)) <= (urefs)) || \
	        (((urefs) + (delta)) >= MACH_PORT_UREFS_MAX)))
#define MACH_PORT_UREFS_UNDERFLOW(urefs, delta) \
	(((delta) < 0) && (((mach_port_urefs_t) - (delta)) > (urefs)))

#define MACH_PORT_SRIGHTS_NONE    0
#define MACH_PORT_SRIGHTS_PRESENT 1

/* ---- dispositions (mach_msg_type_name_t) ------------------------------ */

#define MACH_MSG_TYPE_PORT_NONE         0
#define MACH_MSG_TYPE_PORT_NAME         15
#define MACH_MSG_TYPE_MOVE_RECEIVE      16
#define MACH_MSG_TYPE_MOVE_SEND         17
#define MACH_MSG_TYPE_MOVE_SEND_ONCE    18
#define MACH_MSG_TYPE_COPY_SEND         19
#define MACH_MSG_TYPE_MAKE_SEND         20
#define MACH_MSG_TYPE_MAKE_SEND_ONCE    21
#define MACH_MSG_TYPE_COPY_RECEIVE      22
#define MACH_MSG_TYPE_DISPOSE_RECEIVE   24
#define MACH_MSG_TYPE_DISPOSE_SEND      25
#define MACH_MSG_TYPE_DISPOSE_SEND_ONCE 26
#define MACH_MSG_TYPE_PORT_RECEIVE      MACH_MSG_TYPE_MOVE_RECEIVE
#define MACH_MSG_TYPE_PORT_SEND         MACH_MSG_TYPE_MOVE_SEND
#define MACH_MSG_TYPE_PORT_SEND_ONCE    MACH_MSG_TYPE_MOVE_SEND_ONCE
#define MACH_MSG_TYPE_LAST              22
#define MACH_MSG_TYPE_POLYMORPHIC       ((mach_msg_type_name_t)-1)

#define MACH_MSG_TYPE_PORT_ANY(x)               \
	(((x) >= MACH_MSG_TYPE_MOVE_RECEIVE) && \
	    ((x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE))
#define MACH_MSG_TYPE_PORT_ANY_SEND(x)       \
	(((x) >= MACH_MSG_TYPE_MOVE_SEND) && \
	    ((x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE))
#define MACH_MSG_TYPE_PORT_ANY_SEND_ONCE(x)       \
	(((x) == MACH_MSG_TYPE_MOVE_SEND_ONCE) || \
	    ((x) == MACH_MSG_TYPE_MAKE_SEND_ONCE))
#define MACH_MSG_TYPE_PORT_ANY_RIGHT(x)         \
	(((x) >= MACH_MSG_TYPE_MOVE_RECEIVE) && \
	    ((x) <= MACH_MSG_TYPE_MOVE_SEND_ONCE))

/* ---- attributes -------------------------------------------------------- */

#define MACH_PORT_LIMITS_INFO         1
#define MACH_PORT_RECEIVE_STATUS      2
#define MACH_PORT_DNREQUESTS_SIZE     3
#define MACH_PORT_TEMPOWNER           4
#define MACH_PORT_IMPORTANCE_RECEIVER 5
#define MACH_PORT_DENAP_RECEIVER      6
#define MACH_PORT_INFO_EXT            7
#define MACH_PORT_GUARD_INFO          8
#define MACH_PORT_SERVICE_THROTTLED   9

#define MACH_PORT_QLIMIT_ZERO    0
#define MACH_PORT_QLIMIT_BASIC   5
#define MACH_PORT_QLIMIT_SMALL   16
#define MACH_PORT_QLIMIT_LARGE   1024
#define MACH_PORT_QLIMIT_KERNEL  65534
#define MACH_PORT_QLIMIT_MIN     MACH_PORT_QLIMIT_ZERO
#define MACH_PORT_QLIMIT_DEFAULT MACH_PORT_QLIMIT_BASIC
#define MACH_PORT_QLIMIT_MAX     MACH_PORT_QLIMIT_LARGE

typedef struct mach_port_limits {
	mach_port_msgcount_t mpl_qlimit;
} mach_port_limits_t;

typedef struct mach_port_status {
	mach_port_rights_t mps_pset;
	mach_port_seqno_t mps_seqno;
	mach_port_mscount_t mps_mscount;
	mach_port_msgcount_t mps_qlimit;
	mach_port_msgcount_t mps_msgcount;
	mach_port_rights_t mps_sorights;
	boolean_t mps_srights;
	boolean_t mps_pdrequest;
	boolean_t mps_nsrequest;
	natural_t mps_flags;
} mach_port_status_t;

typedef struct mach_port_info_ext {
	mach_port_status_t mpie_status;
	mach_port_msgcount_t mpie_boost_cnt;
	uint32_t reserved[6];
} mach_port_info_ext_t;

typedef struct mach_port_guard_info {
	uint64_t mpgi_guard;
} mach_port_guard_info_t;

#define MACH_PORT_LIMITS_INFO_COUNT                            \
	((mach_msg_type_number_t)(sizeof(mach_port_limits_t) / \
	    sizeof(natural_t)))
#define MACH_PORT_RECEIVE_STATUS_COUNT                         \
	((mach_msg_type_number_t)(sizeof(mach_port_status_t) / \
	    sizeof(natural_t)))
#define MACH_PORT_DNREQUESTS_SIZE_COUNT 1
#define MACH_PORT_INFO_EXT_COUNT                                 \
	((mach_msg_type_number_t)(sizeof(mach_port_info_ext_t) / \
	    sizeof(natural_t)))
#define MACH_PORT_GUARD_INFO_COUNT                                 \
	((mach_msg_type_number_t)(sizeof(mach_port_guard_info_t) / \
	    sizeof(natural_t)))
#define MACH_PORT_SERVICE_THROTTLED_COUNT 1

/* mps_flags */
#define MACH_PORT_STATUS_FLAG_TEMPOWNER               0x01
#define MACH_PORT_STATUS_FLAG_GUARDED                 0x02
#define MACH_PORT_STATUS_FLAG_STRICT_GUARD            0x04
#define MACH_PORT_STATUS_FLAG_IMP_DONATION            0x08
#define MACH_PORT_STATUS_FLAG_REVIVE                  0x10
#define MACH_PORT_STATUS_FLAG_TASKPTR                 0x20
#define MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE 0x40
#define MACH_PORT_STATUS_FLAG_NO_GRANT                0x80

/* ---- construct options (MPO_*) and guard flags (MPG_*) ---------------- */

#define MPO_CONTEXT_AS_GUARD             0x01
#define MPO_QLIMIT                       0x02
#define MPO_TEMPOWNER                    0x04
#define MPO_IMPORTANCE_RECEIVER          0x08
#define MPO_INSERT_SEND_RIGHT            0x10
#define MPO_STRICT                       0x20
#define MPO_DENAP_RECEIVER               0x40
#define MPO_IMMOVABLE_RECEIVE            0x80
#define MPO_FILTER_MSG                   0x100
#define MPO_TG_BLOCK_TRACKING            0x200
#define MPO_SERVICE_PORT                 0x400
#define MPO_CONNECTION_PORT              0x800
#define MPO_REPLY_PORT                   0x1000
#define MPO_ENFORCE_REPLY_PORT_SEMANTICS 0x2000
#define MPO_PROVISIONAL_REPLY_PORT       0x4000
#define MPO_EXCEPTION_PORT               0x8000

typedef struct mach_port_options {
	uint32_t flags;
	mach_port_limits_t mpl;
	union {
		uint64_t reserved[2];
		mach_port_name_t work_interval_port;
		void *service_port_info;
		mach_port_name_t service_port_name;
	};
} mach_port_options_t;
typedef mach_port_options_t *mach_port_options_ptr_t;

#define MPG_FLAGS_NONE        0x00ull
#define MPG_STRICT            0x01
#define MPG_IMMOVABLE_RECEIVE 0x02

/* ---- guard exceptions (enum mach_port_guard_exception_codes) ---------- */

#define GUARD_TYPE_MACH_PORT 0x1

#define kGUARD_EXC_DESTROY                          1u
#define kGUARD_EXC_MOD_REFS                         2u
#define kGUARD_EXC_INVALID_OPTIONS                  3u
#define kGUARD_EXC_SET_CONTEXT                      4u
#define kGUARD_EXC_THREAD_SET_STATE                 5u
#define kGUARD_EXC_EXCEPTION_BEHAVIOR_ENFORCE       6u
#define kGUARD_EXC_SERVICE_PORT_VIOLATION_FATAL     7u
#define kGUARD_EXC_UNGUARDED                        8u
#define kGUARD_EXC_INCORRECT_GUARD                  16u
#define kGUARD_EXC_IMMOVABLE                        32u
#define kGUARD_EXC_STRICT_REPLY                     64u
#define kGUARD_EXC_MSG_FILTERED                     128u
#define kGUARD_EXC_INVALID_RIGHT                    256u
#define kGUARD_EXC_INVALID_NAME                     512u
#define kGUARD_EXC_INVALID_VALUE                    (1u << 10)
#define kGUARD_EXC_INVALID_ARGUMENT                 (1u << 11)
#define kGUARD_EXC_RIGHT_EXISTS                     (1u << 12)
#define kGUARD_EXC_KERN_NO_SPACE                    (1u << 13)
#define kGUARD_EXC_KERN_FAILURE                     (1u << 14)
#define kGUARD_EXC_KERN_RESOURCE                    (1u << 15)
#define kGUARD_EXC_SEND_INVALID_REPLY               (1u << 16)
#define kGUARD_EXC_SEND_INVALID_VOUCHER             (1u << 17)
#define kGUARD_EXC_SEND_INVALID_RIGHT               (1u << 18)
#define kGUARD_EXC_RCV_INVALID_NAME                 (1u << 19)
#define kGUARD_EXC_RCV_GUARDED_DESC                 0x00100000u
#define kGUARD_EXC_SERVICE_PORT_VIOLATION_NON_FATAL 0x00100001u
#define kGUARD_EXC_PROVISIONAL_REPLY_PORT           0x00100002u
#define kGUARD_EXC_MOD_REFS_NON_FATAL               (1u << 21)
#define kGUARD_EXC_IMMOVABLE_NON_FATAL              (1u << 22)
#define kGUARD_EXC_REQUIRE_REPLY_PORT_SEMANTICS     (1u << 23)
#define MAX_FATAL_kGUARD_EXC_CODE                   kGUARD_EXC_MSG_FILTERED
#define MAX_OPTIONAL_kGUARD_EXC_CODE                kGUARD_EXC_RCV_INVALID_NAME

/* Guard payload flags. */
#define MPG_FLAGS_STRICT_REPLY_INVALID_REPLY_DISP (0x01ull << 56)
#define MPG_FLAGS_STRICT_REPLY_INVALID_REPLY_PORT (0x02ull << 56)
#define MPG_FLAGS_STRICT_REPLY_INVALID_VOUCHER    (0x04ull << 56)
#define MPG_FLAGS_STRICT_REPLY_NO_BANK_ATTR       (0x08ull << 56)
#define MPG_FLAGS_STRICT_REPLY_MISMATCHED_PERSONA (0x10ull << 56)
#define MPG_FLAGS_MOD_REFS_PINNED_DEALLOC         (0x01ull << 56)
#define MPG_FLAGS_MOD_REFS_PINNED_DESTROY         (0x02ull << 56)
#define MPG_FLAGS_MOD_REFS_PINNED_COPYIN          (0x04ull << 56)
#define MPG_FLAGS_IMMOVABLE_PINNED                (0x01ull << 56)

#ifdef __cplusplus
}
#endif

#endif /* MIPC_TYPES_H */
