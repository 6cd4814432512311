/* PV time: pvclock from vcpu_info for the clock, a one-shot VCPUOP timer raising VIRQ_TIMER. */
#include <public/vcpu.h>
#include <lib/pvclock.h>
#include "xen.h"

static void xen_time_init(void)
{
    /* The builder starts a 100 Hz periodic timer; we program every expiry ourselves. */
    int64_t rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_vcpu_op, rc, "VCPUOP_stop_periodic_timer, vcpu 0, NULL");
}

static uint64_t xen_clock_ns(void)
{
    return pvclock_read(&xen_vcpu->time);
}

static void xen_set_oneshot(uint64_t deadline)
{
    int64_t rc;
    if (!deadline) {
        rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0);
        if (rc)
            xen_hypercall_failed(__HYPERVISOR_vcpu_op, rc, "VCPUOP_stop_singleshot_timer, vcpu 0, NULL");
        return;
    }
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline };
    rc = hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &t);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_vcpu_op, rc, "VCPUOP_set_singleshot_timer, vcpu 0, {%llu ns, flags 0}",
                             (unsigned long long)deadline);
}

const struct pv_time_ops xen_time_ops = {
    .init = xen_time_init,
    .clock_ns = xen_clock_ns,
    .set_oneshot = xen_set_oneshot,
};
