/*
 * PV time: pvclock from the calling vCPU's vcpu_info for the clock (kept
 * monotonic across vCPUs, whose copies may differ slightly), a one-shot
 * VCPUOP timer per vCPU raising its VIRQ_TIMER.
 */
#include <public/vcpu.h>
#include <lib/pvclock.h>
#include "xen.h"

static uint64_t last_ns;                /* the clock never goes back, whichever vCPU reads it */

/* The builder (or VCPUOP_up) starts a 100 Hz periodic timer; we program every expiry ourselves. */
static void xen_time_init(void)
{
    unsigned int me = smp_processor_id();
    int64_t rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, me, 0);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_vcpu_op, rc, "VCPUOP_stop_periodic_timer, vcpu %u, NULL", me);
}

static uint64_t xen_clock_ns(void)
{
    uint64_t now = pvclock_read(&xen_vcpu()->time);
    uint64_t last = __atomic_load_n(&last_ns, __ATOMIC_RELAXED);
    while (now > last && !__atomic_compare_exchange_n(&last_ns, &last, now, true, __ATOMIC_RELAXED,
                                                      __ATOMIC_RELAXED))
        ;
    return MAX(now, last);
}

/* With interrupts off (timer.c): the vCPU is the caller's, the only one these calls accept. */
static void xen_set_oneshot(uint64_t deadline)
{
    int64_t rc;
    unsigned int me = smp_processor_id();
    if (!deadline) {
        rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, me, 0);
        if (rc)
            xen_hypercall_failed(__HYPERVISOR_vcpu_op, rc, "VCPUOP_stop_singleshot_timer, vcpu %u, NULL", me);
        return;
    }
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline };
    rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, me, &t);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_vcpu_op, rc, "VCPUOP_set_singleshot_timer, vcpu %u, {%llu ns, flags 0}",
                             me, (unsigned long long)deadline);
}

const struct pv_time_ops xen_time_ops = {
    .init = xen_time_init,
    .clock_ns = xen_clock_ns,
    .set_oneshot = xen_set_oneshot,
    .init_cpu = xen_time_init,
};
