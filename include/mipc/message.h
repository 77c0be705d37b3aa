/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * message.h -- Mach messages: the 64-bit user layout of headers, bodies,
 * descriptors and trailers (osfmk/mach/message.h, #pragma pack(4)), the
 * option bits, and mach_msg / mipc_msg.  Static asserts pin every size and
 * offset of that layout.  Documented in mipc_msg(3) (doc/man/).
 */
#ifndef MIPC_MESSAGE_H
#define MIPC_MESSAGE_H

#include <mipc/types.h>
#include <mipc/port.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int mach_msg_bits_t;
typedef natural_t mach_msg_size_t;
typedef integer_t mach_msg_id_t;
typedef natural_t mach_msg_timeout_t;
typedef integer_t mach_msg_option_t;
typedef unsigned int mach_msg_descriptor_type_t;
typedef unsigned int mach_msg_copy_options_t;
typedef unsigned int mach_msg_guard_flags_t;
typedef unsigned int mach_msg_trailer_type_t;
typedef unsigned int mach_msg_trailer_size_t;
typedef char *mach_msg_trailer_info_t;
typedef unsigned int mach_msg_priority_t;
typedef boolean_t mach_msg_boolean_t;
typedef integer_t mach_msg_filter_id;

/* ---- header bits -------------------------------------------------------- */

#define MACH_MSGH_BITS_ZERO         0x00000000u
#define MACH_MSGH_BITS_REMOTE_MASK  0x0000001fu
#define MACH_MSGH_BITS_LOCAL_MASK   0x00001f00u
#define MACH_MSGH_BITS_VOUCHER_MASK 0x001f0000u
#define MACH_MSGH_BITS_PORTS_MASK                                 \
	(MACH_MSGH_BITS_REMOTE_MASK | MACH_MSGH_BITS_LOCAL_MASK | \
	    MACH_MSGH_BITS_VOUCHER_MASK)
#define MACH_MSGH_BITS_COMPLEX       0x80000000u
#define MACH_MSGH_BITS_USER          0x801f1f1fu
#define MACH_MSGH_BITS_RAISEIMP      0x20000000u
#define MACH_MSGH_BITS_DENAP         MACH_MSGH_BITS_RAISEIMP
#define MACH_MSGH_BITS_IMPHOLDASRT   0x10000000u
#define MACH_MSGH_BITS_DENAPHOLDASRT MACH_MSGH_BITS_IMPHOLDASRT
#define MACH_MSGH_BITS_CIRCULAR      0x10000000u
#define MACH_MSGH_BITS_USED          0xb01f1f1fu

#define MACH_MSGH_BITS(remote, local) ((remote) | ((local) << 8))
#define MACH_MSGH_BITS_SET_PORTS(remote, voucher_unused_local, voucher)   \
	(((remote)&MACH_MSGH_BITS_REMOTE_MASK) |                          \
	    (((voucher_unused_local) << 8) & MACH_MSGH_BITS_LOCAL_MASK) | \
	    (((voucher) << 16) & MACH_MSGH_BITS_VOUCHER_MASK))
#define MACH_MSGH_BITS_SET(remote, local, voucher, other)         \
	(MACH_MSGH_BITS_SET_PORTS((remote), (local), (voucher)) | \
	    ((other) & ~MACH_MSGH_BITS_PORTS_MASK))
#define MACH_MSGH_BITS_REMOTE(bits) ((bits)&MACH_MSGH_BITS_REMOTE_MASK)
#define MACH_MSGH_BITS_LOCAL(bits)  (((bits)&MACH_MSGH_BITS_LOCAL_MASK) >> 8)
#define MACH_MSGH_BITS_VOUCHER(bits) \
	(((bits)&MACH_MSGH_BITS_VOUCHER_MASK) >> 16)
#define MACH_MSGH_BITS_PORTS(bits)       ((bits)&MACH_MSGH_BITS_PORTS_MASK)
#define MACH_MSGH_BITS_OTHER(bits)       ((bits) & ~MACH_MSGH_BITS_PORTS_MASK)
#define MACH_MSGH_BITS_HAS_REMOTE(bits)  (MACH_MSGH_BITS_REMOTE(bits) != 0)
#define MACH_MSGH_BITS_HAS_LOCAL(bits)   (MACH_MSGH_BITS_LOCAL(bits) != 0)
#define MACH_MSGH_BITS_HAS_VOUCHER(bits) (MACH_MSGH_BITS_VOUCHER(bits) != 0)
#define MACH_MSGH_BITS_IS_COMPLEX(bits)  (((bits)&MACH_MSGH_BITS_COMPLEX) != 0)

/* ---- layouts (LP64 user, #pragma pack(4)) ------------------------------- */

#pragma pack(push, 4)

typedef struct {
	mach_msg_bits_t msgh_bits;
	mach_msg_size_t msgh_size;
	mach_port_t msgh_remote_port;
	mach_port_t msgh_local_port;
	mach_port_name_t msgh_voucher_port;
	mach_msg_id_t msgh_id;
} mach_msg_header_t;

typedef struct {
	mach_msg_size_t msgh_descriptor_count;
} mach_msg_body_t;

typedef struct {
	mach_msg_header_t header;
	mach_msg_body_t body;
} mach_msg_base_t;

#define MACH_MSG_PORT_DESCRIPTOR         0
#define MACH_MSG_OOL_DESCRIPTOR          1
#define MACH_MSG_OOL_PORTS_DESCRIPTOR    2
#define MACH_MSG_OOL_VOLATILE_DESCRIPTOR 3
#define MACH_MSG_GUARDED_PORT_DESCRIPTOR 4
#define MACH_MSG_DESCRIPTOR_MAX          MACH_MSG_GUARDED_PORT_DESCRIPTOR

#define MACH_MSG_PHYSICAL_COPY 0
#define MACH_MSG_VIRTUAL_COPY  1
#define MACH_MSG_ALLOCATE      2
#define MACH_MSG_OVERWRITE     3

#define MACH_MSG_GUARD_FLAGS_NONE              0x0000
#define MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE 0x0001
#define MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND 0x0002
#define MACH_MSG_GUARD_FLAGS_MASK              0x0003

typedef struct {
	natural_t pad1;
	mach_msg_size_t pad2;
	unsigned int pad3 : 24;
	mach_msg_descriptor_type_t type : 8;
} mach_msg_type_descriptor_t;

typedef struct {
	mach_port_t name;
	mach_msg_size_t pad1;
	unsigned int pad2 : 16;
	mach_msg_type_name_t disposition : 8;
	mach_msg_descriptor_type_t type : 8;
} mach_msg_port_descriptor_t;

typedef struct {
	void *address;
	mach_msg_boolean_t deallocate : 8;
	mach_msg_copy_options_t copy : 8;
	unsigned int pad1 : 8;
	mach_msg_descriptor_type_t type : 8;
	mach_msg_size_t size;
} mach_msg_ool_descriptor_t;

typedef struct {
	void *address;
	mach_msg_boolean_t deallocate : 8;
	mach_msg_copy_options_t copy : 8;
	mach_msg_type_name_t disposition : 8;
	mach_msg_descriptor_type_t type : 8;
	mach_msg_size_t count;
} mach_msg_ool_ports_descriptor_t;

typedef struct {
	mach_port_context_t context;
	mach_msg_guard_flags_t flags : 16;
	mach_msg_type_name_t disposition : 8;
	mach_msg_descriptor_type_t type : 8;
	mach_port_name_t name;
} mach_msg_guarded_port_descriptor_t;

typedef mach_msg_ool_descriptor_t mach_msg_ool_descriptor64_t;
typedef mach_msg_ool_ports_descriptor_t mach_msg_ool_ports_descriptor64_t;

typedef union {
	mach_msg_port_descriptor_t port;
	mach_msg_ool_descriptor_t out_of_line;
	mach_msg_ool_ports_descriptor_t ool_ports;
	mach_msg_type_descriptor_t type;
	mach_msg_guarded_port_descriptor_t guarded_port;
} mach_msg_descriptor_t;

/* ---- trailers ----------------------------------------------------------- */

#define MACH_MSG_TRAILER_FORMAT_0     0
#define MACH_MSG_TRAILER_MINIMUM_SIZE 8

typedef struct {
	unsigned int val[2];
} security_token_t;

typedef struct {
	unsigned int val[8];
} audit_token_t;

typedef struct {
	mach_msg_trailer_type_t msgh_trailer_type;
	mach_msg_trailer_size_t msgh_trailer_size;
} mach_msg_trailer_t;

typedef struct {
	mach_msg_trailer_type_t msgh_trailer_type;
	mach_msg_trailer_size_t msgh_trailer_size;
	mach_port_seqno_t msgh_seqno;
} mach_msg_seqno_trailer_t;

typedef struct {
	mach_msg_trailer_type_t msgh_trailer_type;
	mach_msg_trailer_size_t msgh_trailer_size;
	mach_port_seqno_t msgh_seqno;
	security_token_t msgh_sender;
} mach_msg_security_trailer_t;

typedef mach_msg_security_trailer_t mach_msg_format_0_trailer_t;

typedef struct {
	mach_msg_trailer_type_t msgh_trailer_type;
	mach_msg_trailer_size_t msgh_trailer_size;
	mach_port_seqno_t msgh_seqno;
	security_token_t msgh_sender;
	audit_token_t msgh_audit;
} mach_msg_audit_trailer_t;

typedef struct {
	mach_msg_trailer_type_t msgh_trailer_type;
	mach_msg_trailer_size_t msgh_trailer_size;
	mach_port_seqno_t msgh_seqno;
	security_token_t msgh_sender;
	audit_token_t msgh_audit;
	mach_port_context_t msgh_context;
} mach_msg_context_trailer_t;

typedef struct {
	mach_port_name_t sender;
} msg_labels_t;

typedef struct {
	mach_msg_trailer_type_t msgh_trailer_type;
	mach_msg_trailer_size_t msgh_trailer_size;
	mach_port_seqno_t msgh_seqno;
	security_token_t msgh_sender;
	audit_token_t msgh_audit;
	mach_port_context_t msgh_context;
	mach_msg_filter_id msgh_ad;
	msg_labels_t msgh_labels;
} mach_msg_mac_trailer_t;

typedef mach_msg_mac_trailer_t mach_msg_max_trailer_t;
#define MAX_TRAILER_SIZE ((mach_msg_size_t)sizeof(mach_msg_max_trailer_t))

typedef struct {
	unsigned char mig_vers;
	unsigned char if_vers;
	unsigned char reserved1;
	unsigned char mig_encoding;
	unsigned char int_rep;
	unsigned char char_rep;
	unsigned char float_rep;
	unsigned char reserved2;
} NDR_record_t;

#pragma pack(pop)

/* Pin the user layout (XNU's LP64 sizes and offsets). */
#ifdef __cplusplus
#define MIPC_MSG_ASSERT(what, expr) static_assert(expr, what)
#else
#define MIPC_MSG_ASSERT(what, expr) _Static_assert(expr, what)
#endif
MIPC_MSG_ASSERT("header is 24 bytes", sizeof(mach_msg_header_t) == 24);
MIPC_MSG_ASSERT("body is 4 bytes", sizeof(mach_msg_body_t) == 4);
MIPC_MSG_ASSERT("base is 28 bytes", sizeof(mach_msg_base_t) == 28);
MIPC_MSG_ASSERT("type descriptor 12", sizeof(mach_msg_type_descriptor_t) == 12);
MIPC_MSG_ASSERT("port descriptor 12", sizeof(mach_msg_port_descriptor_t) == 12);
MIPC_MSG_ASSERT("ool descriptor 16", sizeof(mach_msg_ool_descriptor_t) == 16);
MIPC_MSG_ASSERT(
    "ool ports descriptor 16", sizeof(mach_msg_ool_ports_descriptor_t) == 16);
MIPC_MSG_ASSERT("guarded port descriptor 16",
    sizeof(mach_msg_guarded_port_descriptor_t) == 16);
MIPC_MSG_ASSERT("trailer 8", sizeof(mach_msg_trailer_t) == 8);
MIPC_MSG_ASSERT("seqno trailer 12", sizeof(mach_msg_seqno_trailer_t) == 12);
MIPC_MSG_ASSERT(
    "security trailer 20", sizeof(mach_msg_security_trailer_t) == 20);
MIPC_MSG_ASSERT("audit trailer 52", sizeof(mach_msg_audit_trailer_t) == 52);
MIPC_MSG_ASSERT("context trailer 60", sizeof(mach_msg_context_trailer_t) == 60);
MIPC_MSG_ASSERT("max trailer 68", sizeof(mach_msg_max_trailer_t) == 68);
MIPC_MSG_ASSERT("NDR record 8", sizeof(NDR_record_t) == 8);
MIPC_MSG_ASSERT(
    "context at 52", offsetof(mach_msg_context_trailer_t, msgh_context) == 52);
MIPC_MSG_ASSERT(
    "msgh_ad at 60", offsetof(mach_msg_mac_trailer_t, msgh_ad) == 60);
MIPC_MSG_ASSERT(
    "labels at 64", offsetof(mach_msg_mac_trailer_t, msgh_labels) == 64);
MIPC_MSG_ASSERT(
    "ool size at 12", offsetof(mach_msg_ool_descriptor_t, size) == 12);
MIPC_MSG_ASSERT("ool ports count at 12",
    offsetof(mach_msg_ool_ports_descriptor_t, count) == 12);
MIPC_MSG_ASSERT("guarded name at 12",
    offsetof(mach_msg_guarded_port_descriptor_t, name) == 12);

/* ---- options ------------------------------------------------------------ */

#define MACH_MSG_OPTION_NONE             0x00000000
#define MACH_SEND_MSG                    0x00000001
#define MACH_RCV_MSG                     0x00000002
#define MACH_RCV_LARGE                   0x00000004
#define MACH_RCV_LARGE_IDENTITY          0x00000008
#define MACH_SEND_TIMEOUT                0x00000010
#define MACH_SEND_OVERRIDE               0x00000020
#define MACH_SEND_INTERRUPT              0x00000040
#define MACH_SEND_NOTIFY                 0x00000080
#define MACH_SEND_ALWAYS                 0x00010000
#define MACH_SEND_FILTER_NONFATAL        0x00010000
#define MACH_SEND_TRAILER                0x00020000
#define MACH_SEND_NOIMPORTANCE           0x00040000
#define MACH_SEND_NODENAP                MACH_SEND_NOIMPORTANCE
#define MACH_SEND_IMPORTANCE             0x00080000
#define MACH_SEND_SYNC_OVERRIDE          0x00100000
#define MACH_SEND_PROPAGATE_QOS          0x00200000
#define MACH_SEND_SYNC_USE_THRPRI        MACH_SEND_PROPAGATE_QOS
#define MACH_SEND_KERNEL                 0x00400000
#define MACH_SEND_SYNC_BOOTSTRAP_CHECKIN 0x00800000
#define MACH_RCV_TIMEOUT                 0x00000100
#define MACH_MSG_STRICT_REPLY            0x00000200
#define MACH_RCV_NOTIFY                  0x00000000
#define MACH_RCV_INTERRUPT               0x00000400
#define MACH_RCV_VOUCHER                 0x00000800
#define MACH_RCV_OVERWRITE               0x00000000
#define MACH_RCV_GUARDED_DESC            0x00001000
#define MACH_RCV_SYNC_WAIT               0x00004000
#define MACH_RCV_SYNC_PEEK               0x00008000
#define MACH_MSG_OPTION_LIB              (MACH_SEND_INTERRUPT | MACH_RCV_INTERRUPT)

#define MACH_RCV_TRAILER_NULL        0
#define MACH_RCV_TRAILER_SEQNO       1
#define MACH_RCV_TRAILER_SENDER      2
#define MACH_RCV_TRAILER_AUDIT       3
#define MACH_RCV_TRAILER_CTX         4
#define MACH_RCV_TRAILER_AV          7
#define MACH_RCV_TRAILER_LABELS      8
#define MACH_RCV_TRAILER_TYPE(x)     (((x)&0xf) << 28)
#define MACH_RCV_TRAILER_ELEMENTS(x) (((x)&0xf) << 24)
#define MACH_RCV_TRAILER_MASK        ((0xf << 24))
#define GET_RCV_ELEMENTS(y)          (((y) >> 24) & 0xf)

#define MACH_MSG_TIMEOUT_NONE  ((mach_msg_timeout_t)0)
#define MACH_MSG_SIZE_MAX      ((mach_msg_size_t)~0)
#define MACH_MSG_SIZE_RELIABLE ((mach_msg_size_t)256 * 1024)

/* Largest message body and port count. */
#define MIPC_MSG_MAX_BODY  (48u * 1024 * 1024 - 68)
#define MIPC_MSG_MAX_PORTS 16383u

/* ---- calls -------------------------------------------------------------- */

/*
 * Send and/or receive a message in `space`, with mach_msg's semantics and
 * return codes (mipc_msg(3)).  With MACH_RCV_MSG the same buffer
 * receives (rcv_size bytes, trailer included).  `notify` is the send
 * priority with MACH_SEND_OVERRIDE, else ignored for sends.
 */
MIPC_API mach_msg_return_t mipc_msg(mipc_space_t space, mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
    mach_msg_timeout_t timeout, mach_port_name_t notify);

/* Release what a received message carries (libsyscall's; mipc_msg(3)). */
MIPC_API void mipc_msg_destroy(mipc_space_t space, mach_msg_header_t *msg);

/*
 * Look at a queued message without receiving it: mach_port_peek's
 * semantics and codes (mipc_port_peek(3)).
 */
MIPC_API kern_return_t mipc_port_peek(mipc_space_t space, mach_port_name_t name,
    mach_msg_trailer_type_t trailer_type, mach_port_seqno_t *request_seqnop,
    mach_msg_size_t *msg_sizep, mach_msg_id_t *msg_idp,
    mach_msg_trailer_info_t trailer_infop,
    mach_msg_type_number_t *trailer_sizep);

#ifdef __cplusplus
}
#endif

#endif /* MIPC_MESSAGE_H */
