/* Hypercalls dom0's toolstack (pvdrivers/toolstack) makes on other domains: domctl, memory, pins, ports. */
#include <xen/toolstack.h>
#include <public/event_channel.h>
#include <public/memory.h>
#include <public/errno.h>
#include "xen.h"

int64_t xenpv_domctl(struct pv_domctl *op)
{
    op->interface_version = PV_DOMCTL_INTERFACE_VERSION;
    return hypercall1(__HYPERVISOR_domctl, op);
}

int64_t xenpv_xen_version(unsigned int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

int64_t xenpv_populate_physmap(domid_t dom, xen_pfn_t *frames, uint64_t nr)
{
    struct xen_memory_reservation r = { .nr_extents = nr, .extent_order = 0, .domid = dom };
    r.extent_start = (uint64_t)(uintptr_t)frames;
    return hypercall2(__HYPERVISOR_memory_op, XENMEM_populate_physmap, &r);
}

int xenpv_pin_l4(domid_t dom, uint64_t mfn)
{
    struct mmuext_op op = { .cmd = MMUEXT_PIN_L4_TABLE };
    op.arg1.mfn = mfn;
    uint32_t done = 0;
    return (int)hypercall4(__HYPERVISOR_mmuext_op, &op, 1, &done, dom);
}

int xenpv_evtchn_alloc_unbound_in(domid_t dom, domid_t remote)
{
    struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = remote };
    int64_t rc = hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &a);
    return rc ? (int)rc : (int)a.port;
}

int xenpv_remote_shutdown(domid_t dom, unsigned int reason)
{
    struct sched_remote_shutdown s = { .domain_id = dom, .reason = reason };
    return (int)hypercall2(__HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, &s);
}

int xenpv_evtchn_ports_in_use(void)
{
    int used = 0;
    for (evtchn_port_t p = 1; p < 4096; p++) {
        struct evtchn_status st = { .dom = DOMID_SELF, .port = p };
        int64_t rc = hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_status, &st);
        if (rc == -XEN_EINVAL)
            break;                      /* past the last bucket */
        if (!rc && st.status != EVTCHNSTAT_closed)
            used++;
    }
    return used;
}
