/*
 * Waiting for one port with events masked (xen/services.h): SCHEDOP_poll
 * blocks the vCPU until the port is pending or the deadline, whatever the
 * upcall mask, so a driver can wait inside printk or an event handler; a
 * notification the wait took from the port's handler is given back after.
 */
#include <public/event_channel.h>
#include <public/sched.h>
#include <xen/services.h>
#include "xen.h"

#define NR_PORTS (64 * ARRAY_SIZE(((struct shared_info *)0)->evtchn_pending))

bool xenpv_evtchn_wait(evtchn_port_t port, uint64_t deadline_ns)
{
    if (port >= NR_PORTS) {
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
        return false;
    }
    /* Pending already: poll would return at once. Take it (the caller looks again), and owe it to the handler. */
    uint64_t bit = 1ull << (port % 64);
    if (__atomic_fetch_and(&xen_shared_info->evtchn_pending[port / 64], ~bit, __ATOMIC_SEQ_CST) & bit)
        return true;
    struct sched_poll p = { .ports = (uint64_t)(uintptr_t)&port, .nr_ports = 1, .timeout = deadline_ns };
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, &p);
    return false;
}

/* Pending again and unmasked by hypercall, which (on Xen only for a masked port) delivers it to its vCPU. */
void xenpv_evtchn_repend(evtchn_port_t port)
{
    if (port >= NR_PORTS)
        return;
    uint64_t bit = 1ull << (port % 64);
    __atomic_or_fetch(&xen_shared_info->evtchn_mask[port / 64], bit, __ATOMIC_SEQ_CST);
    __atomic_or_fetch(&xen_shared_info->evtchn_pending[port / 64], bit, __ATOMIC_SEQ_CST);
    struct evtchn_unmask u = { .port = port };
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, &u);
}

bool xenpv_evtchn_connected(evtchn_port_t port)
{
    struct evtchn_status s = { .dom = DOMID_SELF, .port = port };
    return !hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_status, &s) && s.status == EVTCHNSTAT_interdomain;
}
