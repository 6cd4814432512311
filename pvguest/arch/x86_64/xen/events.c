/*
 * PV interrupts: event channels. VIRQ_TIMER, IPIs and physical IRQs are
 * bound to ports (a device line: PHYSDEVOP_map_pirq, EVTCHNOP_bind_pirq,
 * and PHYSDEVOP_eoi after each handler); the upcall (2-level ABI) scans the pending bits of the
 * vCPU it runs on and calls each port's handler with events masked. Per-vCPU
 * sources have a port per vCPU: VIRQ_TIMER (each CPU binds its own) and IPIs
 * (bind_ipi binds one on every online vCPU; the channel is the caller's port).
 */
#include <sched.h>
#include <public/callback.h>
#include <public/event_channel.h>
#include <public/physdev.h>
#include <lib/pv_evtchn.h>
#include "xen.h"

#define MAX_PORTS 1024
#define MAX_IPIS  8

/* An IPI channel: its port on each vCPU. */
static struct {
    int port[MAX_CPUS];
} ipis[MAX_IPIS];
static unsigned int nr_ipis;

static struct {
    irq_handler_t fn;
    void *arg;
} ports[MAX_PORTS];

static int64_t evtchn_op(unsigned int cmd, void *arg) { return hypercall2(__HYPERVISOR_event_channel_op, cmd, arg); }

static void handle_port(unsigned int port)
{
    counter_event(port);
    if (port < MAX_PORTS && ports[port].fn)
        ports[port].fn(ports[port].arg);
}

/* The ports each vCPU is notified of (bound to it): a pending word also holds other vCPUs' ports. */
static uint64_t vcpu_ports[MAX_CPUS][MAX_PORTS / 64];

void xen_evtchn_do_upcall(void)
{
    struct vcpu_info *v = xen_vcpu();
    const uint64_t *mine = vcpu_ports[smp_processor_id()];
    do
        evtchn_2l_scan_ports(xen_shared_info, v, mine, MAX_PORTS / 64, handle_port);
    while (READ_ONCE(v->evtchn_upcall_pending));
}

/* Port port notifies vCPU vcpu: handlers run there. */
static int bind_port(unsigned int port, unsigned int vcpu, irq_handler_t fn, void *arg)
{
    if (port >= MAX_PORTS) {
        struct evtchn_close c = { .port = port };
        evtchn_op(EVTCHNOP_close, &c);
        return -ENOSPC;
    }
    unsigned long f = irq_save();
    ports[port].fn = fn;
    ports[port].arg = arg;
    __atomic_or_fetch(&vcpu_ports[vcpu][port / 64], 1ull << (port % 64), __ATOMIC_SEQ_CST);
    __atomic_and_fetch(&xen_shared_info->evtchn_mask[port / 64], ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
    irq_restore(f);
    return (int)port;
}

static void xen_irq_init(void)
{
    int64_t rc = hypercall3(__HYPERVISOR_set_callbacks, xen_event_entry, xen_failsafe_entry, 0);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_set_callbacks, rc, "%p, %p, 0", (void *)xen_event_entry,
                             (void *)xen_failsafe_entry);
}

/*
 * VIRQ_TIMER is per vCPU: bound for the calling one. Serial input reaches
 * only the initial domain (VIRQ_CONSOLE is a global VIRQ, bound on vCPU 0);
 * a domU's console input comes over its console ring, whose channel (the
 * builder's start_info.console.domU.evtchn) dom0's back end notifies.
 */
static int xen_bind_virq(unsigned int virq, irq_handler_t fn, void *arg)
{
    uint32_t xen_virq, vcpu = 0;
    if (virq == PV_VIRQ_TIMER) {
        xen_virq = VIRQ_TIMER;
        vcpu = smp_processor_id();
    } else if (virq == PV_VIRQ_CONSOLE && (xen_start_info->flags & SIF_INITDOMAIN)) {
        xen_virq = VIRQ_CONSOLE;
    } else if (virq == PV_VIRQ_CONSOLE && xen_start_info->console.domU.evtchn) {
        return bind_port(xen_start_info->console.domU.evtchn, 0, fn, arg);
    } else {
        return -ENOENT;
    }
    struct evtchn_bind_virq b = { .virq = xen_virq, .vcpu = vcpu };
    int64_t rc = evtchn_op(EVTCHNOP_bind_virq, &b);
    if (rc) {
        printk("pvguest: event_channel_op(EVTCHNOP_bind_virq, {virq %u, vcpu %u}) failed: %lld (%s)\n",
               xen_virq, vcpu, (long long)rc, xen_errno_name(rc));
        return (int)rc;
    }
    return bind_port(b.port, vcpu, fn, arg);
}

#define MAX_PIRQS 8

/* A device line's pirq and its driver's handler: the port's handler runs it, then EOIs the pirq. */
static struct pirq_line {
    uint32_t pirq;
    irq_handler_t fn;
    void *arg;
} pirq_lines[MAX_PIRQS];
static unsigned int nr_pirq_lines;

static int64_t physdev_op(unsigned int cmd, void *arg) { return hypercall2(__HYPERVISOR_physdev_op, cmd, arg); }

/*
 * After the driver's handler, which has quietened its device: a level line
 * stays masked in the hypervisor until this EOI (irq_status_query says every
 * pirq of a PV domain needs it, so it is always sent).
 */
static void pirq_handler(void *arg)
{
    struct pirq_line *l = arg;
    l->fn(l->arg);
    struct physdev_eoi e = { .irq = l->pirq };
    int64_t rc = physdev_op(PHYSDEVOP_eoi, &e);
    if (rc)
        printk("pvguest: physdev_op(PHYSDEVOP_eoi, {pirq %u}) failed: %lld (%s)\n", l->pirq, (long long)rc,
               xen_errno_name(rc));
}

/* irq is the line's GSI (an ISA IRQ or an I/O APIC input); its trigger and polarity are the hypervisor's (ACPI). */
static int xen_bind_irq(unsigned int irq, irq_handler_t fn, void *arg)
{
    unsigned long f = irq_save();
    if (nr_pirq_lines == MAX_PIRQS) {
        irq_restore(f);
        return -ENOSPC;
    }
    struct pirq_line *l = &pirq_lines[nr_pirq_lines++];
    irq_restore(f);
    struct physdev_map_pirq m = { .domid = DOMID_SELF, .type = MAP_PIRQ_TYPE_GSI, .index = (int32_t)irq, .pirq = -1 };
    int64_t rc = physdev_op(PHYSDEVOP_map_pirq, &m);
    if (rc) {
        printk("pvguest: physdev_op(PHYSDEVOP_map_pirq, {GSI %u}) failed: %lld (%s)\n", irq, (long long)rc,
               xen_errno_name(rc));
        return (int)rc;
    }
    *l = (struct pirq_line){ .pirq = (uint32_t)m.pirq, .fn = fn, .arg = arg };
    struct evtchn_bind_pirq b = { .pirq = l->pirq, .flags = BIND_PIRQ__WILL_SHARE };
    rc = evtchn_op(EVTCHNOP_bind_pirq, &b);
    if (rc) {
        printk("pvguest: event_channel_op(EVTCHNOP_bind_pirq, {pirq %u}) failed: %lld (%s)\n", l->pirq,
               (long long)rc, xen_errno_name(rc));
        struct physdev_unmap_pirq u = { .domid = DOMID_SELF, .pirq = m.pirq };
        physdev_op(PHYSDEVOP_unmap_pirq, &u);
        return (int)rc;
    }
    printk("pvguest: GSI %u is pirq %u on port %u\n", irq, l->pirq, b.port);
    return bind_port(b.port, 0, pirq_handler, l);      /* a new channel notifies vCPU 0 */
}

static int bind_ipi_on(unsigned int vcpu, irq_handler_t fn, void *arg)
{
    struct evtchn_bind_ipi b = { .vcpu = vcpu };
    int64_t rc = evtchn_op(EVTCHNOP_bind_ipi, &b);
    if (rc) {
        printk("pvguest: event_channel_op(EVTCHNOP_bind_ipi, {vcpu %u}) failed: %lld (%s)\n", vcpu, (long long)rc,
               xen_errno_name(rc));
        return (int)rc;
    }
    return bind_port(b.port, vcpu, fn, arg);
}

static int xen_bind_ipi(irq_handler_t fn, void *arg)
{
    if (nr_ipis == MAX_IPIS)
        return -ENOSPC;
    unsigned int n = nr_cpus_online, me = smp_processor_id();
    for (unsigned int c = 0; c < n; c++) {
        int port = bind_ipi_on(c, fn, arg);
        if (port < 0)
            return port;                /* the ports bound so far stay bound, unused */
        ipis[nr_ipis].port[c] = port;
    }
    return ipis[nr_ipis++].port[me];
}

static void send(int port)
{
    struct evtchn_send s = { .port = (uint32_t)port };
    int64_t rc = evtchn_op(EVTCHNOP_send, &s);
    if (rc)
        xen_hypercall_failed(__HYPERVISOR_event_channel_op, rc, "EVTCHNOP_send, {port %d}", port);
}

/* The IPI channel whose port on some vCPU is port, or NULL. */
static int *ipi_ports(int port)
{
    for (unsigned int i = 0; i < nr_ipis; i++)
        for (unsigned int c = 0; c < MAX_CPUS; c++)
            if (ipis[i].port[c] == port)
                return ipis[i].port;
    return NULL;
}

static void xen_notify_cpu(int channel, unsigned int cpu)
{
    int *p = ipi_ports(channel);
    if (p && cpu < nr_cpus_online)
        send(p[cpu]);
}

static void xen_notify(int channel)
{
    unsigned long f = irq_save();
    int *p = ipi_ports(channel);
    send(p ? p[smp_processor_id()] : channel);
    irq_restore(f);
}

const struct pv_irq_ops xen_irq_ops = {
    .init = xen_irq_init,
    .bind_virq = xen_bind_virq,
    .bind_irq = xen_bind_irq,
    .bind_ipi = xen_bind_ipi,
    .notify = xen_notify,
    .notify_cpu = xen_notify_cpu,
};

/* ---- interdomain channels for the split drivers (xen/services.h) ---- */

int xenpv_evtchn_alloc_unbound(domid_t remote)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = remote };
    int64_t rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
    return rc ? (int)rc : (int)a.port;
}

int xenpv_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, irq_handler_t fn, void *arg)
{
    struct evtchn_bind_interdomain b = { .remote_dom = remote, .remote_port = remote_port };
    int64_t rc = evtchn_op(EVTCHNOP_bind_interdomain, &b);
    if (rc)
        return (int)rc;
    return bind_port(b.local_port, 0, fn, arg);     /* a new channel notifies vCPU 0 */
}

/* VIRQ_DOM_EXC's subscribers: one port, every handler called (dom0's xenstored, console back end, xl). */
#define MAX_DOM_EXC 4
static struct {
    irq_handler_t fn;
    void *arg;
} dom_exc[MAX_DOM_EXC];
static unsigned int nr_dom_exc;
static spinlock_t dom_exc_lock = SPINLOCK_INIT;

static void dom_exc_event(void *unused)
{
    (void)unused;
    unsigned int n = __atomic_load_n(&nr_dom_exc, __ATOMIC_ACQUIRE);
    for (unsigned int i = 0; i < n; i++)
        dom_exc[i].fn(dom_exc[i].arg);
}

int xenpv_dom_exc_subscribe(irq_handler_t fn, void *arg)
{
    unsigned long f = spin_lock_irqsave(&dom_exc_lock);
    int rc = 0;
    if (nr_dom_exc == MAX_DOM_EXC) {
        rc = -ENOSPC;
    } else if (!nr_dom_exc) {
        /* A global VIRQ: bound once, on vCPU 0. */
        struct evtchn_bind_virq b = { .virq = VIRQ_DOM_EXC, .vcpu = 0 };
        int64_t e = evtchn_op(EVTCHNOP_bind_virq, &b);
        rc = e ? (int)e : bind_port(b.port, 0, dom_exc_event, NULL);
    }
    if (rc >= 0) {
        dom_exc[nr_dom_exc].fn = fn;
        dom_exc[nr_dom_exc].arg = arg;
        __atomic_store_n(&nr_dom_exc, nr_dom_exc + 1, __ATOMIC_RELEASE);
        rc = 0;
    }
    spin_unlock_irqrestore(&dom_exc_lock, f);
    return rc;
}

int xenpv_evtchn_bind(evtchn_port_t port, irq_handler_t fn, void *arg)
{
    return bind_port(port, 0, fn, arg);
}

void xenpv_evtchn_notify(evtchn_port_t port)
{
    send((int)port);
}

void xenpv_evtchn_close(evtchn_port_t port)
{
    if (port >= MAX_PORTS)
        return;
    unsigned long f = irq_save();
    __atomic_or_fetch(&xen_shared_info->evtchn_mask[port / 64], 1ull << (port % 64), __ATOMIC_SEQ_CST);
    for (unsigned int c = 0; c < MAX_CPUS; c++)
        __atomic_and_fetch(&vcpu_ports[c][port / 64], ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
    ports[port].fn = NULL;
    irq_restore(f);
    struct evtchn_close c = { .port = port };
    evtchn_op(EVTCHNOP_close, &c);
}
