/* Event channels: ports, binding, sending, and 2-level delivery into shared_info. */
#include <hv/event.h>
#include <hv/spinlock.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/arch.h>
#include <public/errno.h>
#include <public/event_channel.h>

#define TABLE_ORDER 3           /* 8 pages: 4096 ports of 8 bytes */
_Static_assert((PAGE_SIZE << TABLE_ORDER) == EVTCHN_PORTS * sizeof(struct evtchn), "port table size");

/* Global VIRQs: bound by one domain (dom0 in practice), vCPU 0 only. */
static bool virq_is_global(unsigned int virq)
{
    return virq != VIRQ_TIMER && virq != VIRQ_DEBUG && virq != VIRQ_XENOPROF && virq != VIRQ_XENPMU;
}

int evtchn_init(struct domain *d)
{
    pfn_t pfn = alloc_frames(TABLE_ORDER);
    if (pfn == INVALID_PFN)
        return -XEN_ENOMEM;
    d->evtchn = __va(pfn << PAGE_SHIFT);
    memset(d->evtchn, 0, PAGE_SIZE << TABLE_ORDER);
    d->evtchn[0].state = ECS_RESERVED;
    d->evtchn_valid = EVTCHN_BUCKET;
    struct vcpu *v;
    for_each_vcpu(d, v)
        memset(v->virq_to_port, 0, sizeof(v->virq_to_port));
    return 0;
}

bool evtchn_port_valid(const struct domain *d, unsigned int port)
{
    return port < EVTCHN_PORTS && d->evtchn[port].state != ECS_FREE && d->evtchn[port].state != ECS_RESERVED;
}

static int alloc_port(struct domain *d)
{
    for (unsigned int p = 1; p < EVTCHN_PORTS; p++) {
        if (d->evtchn[p].state != ECS_FREE)
            continue;
        if (p >= d->evtchn_valid)
            d->evtchn_valid += EVTCHN_BUCKET;
        return (int)p;
    }
    return -XEN_ENOSPC;
}

/*
 * The bitmaps and selectors are shared with the guest, whose vCPUs change
 * them on other CPUs while we do: every read-modify-write is atomic.
 */
static bool test_and_set(uint64_t *words, unsigned int bit)
{
    uint64_t m = 1ull << (bit % 64);
    return __atomic_fetch_or(&words[bit / 64], m, __ATOMIC_SEQ_CST) & m;
}

static void clear_bit64(uint64_t *words, unsigned int bit)
{
    __atomic_fetch_and(&words[bit / 64], ~(1ull << (bit % 64)), __ATOMIC_SEQ_CST);
}

static bool test_bit64(const uint64_t *words, unsigned int bit)
{
    return __atomic_load_n(&words[bit / 64], __ATOMIC_SEQ_CST) & (1ull << (bit % 64));
}

/* Every port table and every port's state, all domains (lock order: above sched_lock, hv/spinlock.h). */
static DEFINE_SPINLOCK(evtchn_lock);

static uint64_t evtchn_lock_irqsave(void)
{
    uint64_t flags = local_irq_save();
    spin_lock(&evtchn_lock);
    return flags;
}

static void evtchn_unlock_irqrestore(uint64_t flags)
{
    spin_unlock(&evtchn_lock);
    local_irq_restore(flags);
}

bool evtchn_port_pending(const struct domain *d, unsigned int port)
{
    return test_bit64(d->shared_info->evtchn_pending, port);
}

/* The upcall itself: selector bit, upcall_pending, and a wake-up if the vCPU waits. */
static void notify_vcpu(struct vcpu *v, unsigned int port)
{
    if (!test_and_set(&v->vcpu_info->evtchn_pending_sel, port / 64))
        v->vcpu_info->evtchn_upcall_pending = 1;
    vcpu_kick(v);
}

/* Inline into its callers, EVTCHNOP_send above all: one call less on the path every notification takes. */
static __force_inline void set_pending(struct domain *d, unsigned int port)
{
    ASSERT(spin_is_locked_by_me(&evtchn_lock));
    struct shared_info *s = d->shared_info;

    if (d->state != DOMAIN_RUNNING || !d->evtchn || test_and_set(s->evtchn_pending, port))
        return;
    if (!test_bit64(s->evtchn_mask, port))
        notify_vcpu(d->vcpu[d->evtchn[port].notify_vcpu], port);
    /* Every vCPU polling on this port wakes, even when the port is masked. */
    for (uint64_t pollers = __atomic_load_n(&d->poll_mask, __ATOMIC_RELAXED); pollers; pollers &= pollers - 1) {
        struct vcpu *v = d->vcpu[__builtin_ctzll(pollers)];
        if (v->state == VCPU_BLOCKED && v->polling && sched_poll_matches(v, port))
            vcpu_wake(v);
    }
}

void evtchn_set_pending(struct domain *d, unsigned int port)
{
    uint64_t flags = evtchn_lock_irqsave();
    set_pending(d, port);
    evtchn_unlock_irqrestore(flags);
}

bool vcpu_should_wake(const struct vcpu *v)
{
    if (vcpu_events_pending(v))
        return true;
    if (v->polling)
        for (unsigned int i = 0; i < v->nr_poll_ports; i++)
            if (evtchn_port_pending(v->domain, v->poll_ports[i]))
                return true;
    return false;
}

void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq)
{
    uint64_t flags = evtchn_lock_irqsave();
    unsigned int port = v->virq_to_port[virq];
    if (port && v->domain->evtchn)
        set_pending(v->domain, port);
    evtchn_unlock_irqrestore(flags);
}

void send_global_virq(unsigned int virq)
{
    if (dom0 && dom0->state == DOMAIN_RUNNING)
        send_guest_vcpu_virq(dom0->vcpu[0], virq);       /* global VIRQs are bound on vCPU 0 */
}

void evtchn_send_pirq(struct domain *d, unsigned int pirq)
{
    uint64_t flags = evtchn_lock_irqsave();
    unsigned int port = d->evtchn ? arch_pirq_port(d, pirq) : 0;
    if (port && port < EVTCHN_PORTS && d->evtchn[port].state == ECS_PIRQ && d->evtchn[port].pirq == pirq)
        set_pending(d, port);
    evtchn_unlock_irqrestore(flags);
}

/* ---- event_channel_op ------------------------------------------------ */

int evtchn_alloc_unbound_port(struct domain *d, domid_t remote)
{
    int port = alloc_port(d);
    if (port >= 0)
        d->evtchn[port] = (struct evtchn){ .state = ECS_UNBOUND, .remote_dom = remote };
    return port;
}

/* A port of d offered to remote_dom (d held by the caller). */
static int64_t alloc_unbound_in(struct domain *d, struct evtchn_alloc_unbound *a)
{
    int port = evtchn_alloc_unbound_port(d, a->remote_dom == DOMID_SELF ? current->domain->id : a->remote_dom);
    if (port < 0)
        return port;
    a->port = (evtchn_port_t)port;
    return 0;
}

static int64_t alloc_unbound(struct evtchn_alloc_unbound *a)
{
    struct domain *d;
    int rc = domain_lookup(current->domain, a->dom, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_SELF_ID, &d);
    if (rc)
        return rc;
    int64_t ret = alloc_unbound_in(d, a);
    domain_put(d);
    return ret;
}

/* Connects a new port of the caller to rd's port offered to it (rd held by the caller). */
static int64_t bind_interdomain_to(struct domain *rd, struct evtchn_bind_interdomain *b)
{
    struct domain *ld = current->domain;
    int lport = alloc_port(ld);
    if (lport < 0)
        return lport;
    unsigned int rport = b->remote_port;
    if (rport >= EVTCHN_PORTS || (rd == ld && rport == (unsigned int)lport))
        return -XEN_EINVAL;
    struct evtchn *r = &rd->evtchn[rport];
    /* The port must be waiting for exactly us. */
    if (r->state != ECS_UNBOUND || r->remote_dom != ld->id)
        return -XEN_EINVAL;
    ld->evtchn[lport] = (struct evtchn){ .state = ECS_INTERDOMAIN, .remote_dom = rd->id, .remote_port = (uint16_t)rport };
    *r = (struct evtchn){ .state = ECS_INTERDOMAIN, .remote_dom = ld->id, .remote_port = (uint16_t)lport };
    b->local_port = (evtchn_port_t)lport;
    /* As Xen: a notification on connect, so a peer that sent early is not lost. */
    set_pending(ld, (unsigned int)lport);
    return 0;
}

/* Any domain may bind a port offered to it: no right is needed, only the offer. */
static int64_t bind_interdomain(struct evtchn_bind_interdomain *b)
{
    struct domain *rd;
    int rc = domain_lookup(current->domain, b->remote_dom, DOMAIN_LOOKUP_SELF_ID, &rd);
    if (rc)
        return rc;
    int64_t ret = bind_interdomain_to(rd, b);
    domain_put(rd);
    return ret;
}

static int64_t bind_virq(struct evtchn_bind_virq *b)
{
    struct domain *d = current->domain;
    if (b->virq >= NR_VIRQS)
        return -XEN_EINVAL;
    if (virq_is_global(b->virq) && b->vcpu != 0)
        return -XEN_EINVAL;
    if (b->vcpu >= d->max_vcpus)
        return -XEN_ENOENT;
    struct vcpu *v = d->vcpu[b->vcpu];
    if (v->virq_to_port[b->virq])
        return -XEN_EEXIST;
    int port = alloc_port(d);
    if (port < 0)
        return port;
    d->evtchn[port] = (struct evtchn){ .state = ECS_VIRQ, .virq = (uint8_t)b->virq, .notify_vcpu = (uint8_t)b->vcpu };
    v->virq_to_port[b->virq] = (uint16_t)port;
    b->port = (evtchn_port_t)port;
    return 0;
}

static int64_t bind_ipi(struct evtchn_bind_ipi *b)
{
    struct domain *d = current->domain;
    if (b->vcpu >= d->max_vcpus)
        return -XEN_ENOENT;
    int port = alloc_port(d);
    if (port < 0)
        return port;
    d->evtchn[port] = (struct evtchn){ .state = ECS_IPI, .notify_vcpu = (uint8_t)b->vcpu };
    b->port = (evtchn_port_t)port;
    return 0;
}

/* A physical IRQ the caller mapped, on a fresh port: the source starts delivering. */
static int64_t bind_pirq(struct evtchn_bind_pirq *b)
{
    struct domain *d = current->domain;
    if (b->pirq >= NR_PIRQS)
        return -XEN_EINVAL;
    int port = alloc_port(d);
    if (port < 0)
        return port;
    /* Under evtchn_lock: a delivery racing with us waits until the port below says ECS_PIRQ. */
    int rc = arch_pirq_bind(d, b->pirq, (unsigned int)port, b->flags & BIND_PIRQ__WILL_SHARE);
    if (rc)
        return rc;
    d->evtchn[port] = (struct evtchn){ .state = ECS_PIRQ, .pirq = (uint16_t)b->pirq };
    b->port = (evtchn_port_t)port;
    return 0;
}

/* Closes port of d; an interdomain peer goes back to waiting for us. */
static int64_t close_port(struct domain *d, unsigned int port)
{
    if (!evtchn_port_valid(d, port))
        return -XEN_EINVAL;
    struct evtchn *c = &d->evtchn[port];
    switch (c->state) {
    case ECS_VIRQ:
        /* A global VIRQ stays bound on vCPU 0 wherever it notifies, as on Xen. */
        d->vcpu[virq_is_global(c->virq) ? 0 : c->notify_vcpu]->virq_to_port[c->virq] = 0;
        break;
    case ECS_INTERDOMAIN: {
        struct domain *rd = &domains[c->remote_dom];
        if (rd->evtchn && rd->evtchn[c->remote_port].state == ECS_INTERDOMAIN)
            rd->evtchn[c->remote_port] = (struct evtchn){ .state = ECS_UNBOUND, .remote_dom = d->id };
        break;
    }
    case ECS_PIRQ:
        arch_pirq_unbind(d, c->pirq, port);
        break;
    default:
        break;
    }
    *c = (struct evtchn){ .state = ECS_FREE };
    clear_bit64(d->shared_info->evtchn_pending, port);
    return 0;
}

static int64_t send(unsigned int port)
{
    struct domain *d = current->domain;
    if (!evtchn_port_valid(d, port))
        return -XEN_EINVAL;
    const struct evtchn *c = &d->evtchn[port];
    switch (c->state) {
    case ECS_INTERDOMAIN:
        set_pending(&domains[c->remote_dom], c->remote_port);
        return 0;
    case ECS_IPI:
        set_pending(d, port);
        return 0;
    case ECS_UNBOUND:
        return 0;                           /* nobody there yet: dropped, as Xen */
    default:
        return -XEN_EINVAL;
    }
}

/* The state of d's port (d held by the caller). */
static int64_t status_of(const struct domain *d, struct evtchn_status *st)
{
    if (st->port >= d->evtchn_valid)
        return -XEN_EINVAL;
    const struct evtchn *c = &d->evtchn[st->port];
    memset(&st->u, 0, sizeof(st->u));
    st->vcpu = c->notify_vcpu;
    switch (c->state) {
    case ECS_FREE:
    case ECS_RESERVED:
        st->status = EVTCHNSTAT_closed;
        break;
    case ECS_UNBOUND:
        st->status = EVTCHNSTAT_unbound;
        st->u.unbound.dom = c->remote_dom;
        break;
    case ECS_INTERDOMAIN:
        st->status = EVTCHNSTAT_interdomain;
        st->u.interdomain.dom = c->remote_dom;
        st->u.interdomain.port = c->remote_port;
        break;
    case ECS_VIRQ:
        st->status = EVTCHNSTAT_virq;
        st->u.virq = c->virq;
        break;
    case ECS_IPI:
        st->status = EVTCHNSTAT_ipi;
        break;
    case ECS_PIRQ:
        st->status = EVTCHNSTAT_pirq;
        st->u.pirq = c->pirq;
        break;
    }
    return 0;
}

static int64_t status(struct evtchn_status *st)
{
    struct domain *d;
    int rc = domain_lookup(current->domain, st->dom, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_SELF_ID, &d);
    if (rc)
        return rc;
    int64_t ret = status_of(d, st);
    domain_put(d);
    return ret;
}

static int64_t unmask(unsigned int port)
{
    struct domain *d = current->domain;
    if (port >= d->evtchn_valid)
        return -XEN_EINVAL;                 /* as Xen: a closed port that exists is unmasked */
    clear_bit64(d->shared_info->evtchn_mask, port);
    /* Pending while masked: deliver now, as if just sent. */
    if (test_bit64(d->shared_info->evtchn_pending, port))
        notify_vcpu(d->vcpu[d->evtchn[port].notify_vcpu], port);
    return 0;
}

static int64_t bind_vcpu(const struct evtchn_bind_vcpu *b)
{
    struct domain *d = current->domain;
    if (b->vcpu >= d->max_vcpus)
        return -XEN_ENOENT;                 /* as Xen: the vCPU is checked before the port */
    if (!evtchn_port_valid(d, b->port))
        return -XEN_EINVAL;
    struct evtchn *c = &d->evtchn[b->port];
    if (c->state == ECS_IPI || (c->state == ECS_VIRQ && !virq_is_global(c->virq)))
        return -XEN_EINVAL;                 /* per-vCPU by nature */
    c->notify_vcpu = (uint8_t)b->vcpu;
    return 0;
}

/* Copies the command's structure in and (on success) back out around fn. */
#define WITH(type, call)                                                    \
    do {                                                                    \
        type a_;                                                            \
        if (copy_from_guest(&a_, arg, sizeof(a_)))                          \
            return -XEN_EFAULT;                                             \
        int64_t rc_ = call(&a_);                                            \
        if (rc_ == 0 && copy_to_guest(arg, &a_, sizeof(a_)))                \
            return -XEN_EFAULT;                                             \
        return rc_;                                                         \
    } while (0)

#define ARG_PORT(type, field, call)                                         \
    do {                                                                    \
        type a_;                                                            \
        if (copy_from_guest(&a_, arg, sizeof(a_)))                          \
            return -XEN_EFAULT;                                             \
        return call(a_.field);                                              \
    } while (0)

static int64_t close_own(unsigned int port) { return close_port(current->domain, port); }

/* EVTCHNOP_send, the op every notification takes. */
static __force_inline int64_t send_op(uint64_t arg)
{
    ARG_PORT(struct evtchn_send, port, send);
}

/* The other ops: out of line, so that a send pays for none of their frame. */
static __noinline int64_t event_channel_op(unsigned int cmd, uint64_t arg)
{
    switch (cmd) {
    case EVTCHNOP_alloc_unbound: WITH(struct evtchn_alloc_unbound, alloc_unbound);
    case EVTCHNOP_bind_interdomain: WITH(struct evtchn_bind_interdomain, bind_interdomain);
    case EVTCHNOP_bind_virq: WITH(struct evtchn_bind_virq, bind_virq);
    case EVTCHNOP_bind_ipi: WITH(struct evtchn_bind_ipi, bind_ipi);
    case EVTCHNOP_bind_pirq: WITH(struct evtchn_bind_pirq, bind_pirq);
    case EVTCHNOP_status: WITH(struct evtchn_status, status);
    case EVTCHNOP_close: ARG_PORT(struct evtchn_close, port, close_own);
    case EVTCHNOP_send: return send_op(arg);
    case EVTCHNOP_unmask: ARG_PORT(struct evtchn_unmask, port, unmask);
    case EVTCHNOP_bind_vcpu: {
        struct evtchn_bind_vcpu b;
        if (copy_from_guest(&b, arg, sizeof(b)))
            return -XEN_EFAULT;
        return bind_vcpu(&b);
    }
    default:
        return -XEN_ENOSYS;
    }
}

int64_t do_event_channel_op(unsigned int cmd, uint64_t arg)
{
    /* Only ever a hypercall, which runs with interrupts off: the lock needs no save and restore of them. */
    ASSERT(!local_irq_is_enabled());
    spin_lock(&evtchn_lock);
    int64_t rc = cmd == EVTCHNOP_send ? send_op(arg) : event_channel_op(cmd, arg);
    spin_unlock(&evtchn_lock);
    return rc;
}

/* The old form (hypercall 16): struct evtchn_op {cmd; union} in one block. */
int64_t do_event_channel_op_compat(uint64_t arg)
{
    uint32_t cmd;
    if (copy_from_guest(&cmd, arg, sizeof(cmd)))
        return -XEN_EFAULT;
    return do_event_channel_op(cmd, arg + 4);
}

void evtchn_destroy(struct domain *d)
{
    uint64_t flags = evtchn_lock_irqsave();
    if (!d->evtchn) {
        evtchn_unlock_irqrestore(flags);
        return;
    }
    for (unsigned int p = 1; p < EVTCHN_PORTS; p++)
        if (d->evtchn[p].state == ECS_INTERDOMAIN) {
            struct domain *rd = &domains[d->evtchn[p].remote_dom];
            if (rd->evtchn && rd->evtchn[d->evtchn[p].remote_port].state == ECS_INTERDOMAIN)
                rd->evtchn[d->evtchn[p].remote_port] = (struct evtchn){ .state = ECS_UNBOUND, .remote_dom = d->id };
        }
    struct evtchn *table = d->evtchn;
    d->evtchn = NULL;
    evtchn_unlock_irqrestore(flags);
    free_frames(__pa(table) >> PAGE_SHIFT, TABLE_ORDER);
}
