/* Test-guest hypercall wrappers over lib/pv_hypercall.h. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdint.h>
#include <lib/pv_hypercall.h>
#include <public/xen.h>
#include <public/sched.h>
#include <public/version.h>
#include <public/callback.h>
#include <public/vcpu.h>

static inline int64_t hyp_console_write(const char *s, uint64_t len)
{
    return hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len, s);
}

static inline int64_t hyp_sched_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline int64_t hyp_xen_version(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

#endif
