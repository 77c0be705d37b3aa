/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * internal.h -- the umbrella of core/'s headers, in dependency order, for
 * tests, benchmarks and fuzzers that look inside (never installed).
 *
 * core/ itself never includes it: each file of core/ includes the headers
 * of what it uses, so that its include list documents its dependencies.
 * Each header is self-contained (`make lint` compiles each alone).
 */
#ifndef MIPC_CORE_INTERNAL_H
#define MIPC_CORE_INTERNAL_H

#include "base.h"
#include "lock.h"
#include "cache.h"
#include "turnstile.h"
#include "thread.h"
#include "waitq.h"
#include "object.h"
#include "mqueue.h"
#include "kmsg.h"
#include "port_request.h"
#include "port.h"
#include "space.h"
#include "pset.h"
#include "right.h"
#include "notify.h"
#include "guard.h"
#include "vm.h"
#include "reply.h"
#include "watchport.h"
#include "workloop.h"
#include "kobject.h"
#include "task.h"
#include "waitfd.h"
#include "introspect.h"

#include <mipc/mach.h>
#include <mipc/mipc.h>

#endif /* MIPC_CORE_INTERNAL_H */
