/* domctl for dom0's domain builder: create, destroy, max_mem, vCPU context, hypercall page, rings, list. */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/domctl_toolstack.h>
#include <hv/event.h>
#include <hv/frame.h>
#include <hv/grant_table.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/spinlock.h>
#include <public/errno.h>
#include <public/grant_table.h>
#include <public/sched.h>

#define MAX_PAGES_LIMIT (1ull << 36)

/* Names are unique among the domains that have a record; create checks and claims under this lock. */
static DEFINE_SPINLOCK(create_lock);

static bool name_valid(const uint8_t *name, size_t size)
{
    size_t n = 0;
    while (n < size && name[n])
        if (name[n] < 0x21 || name[n] > 0x7e)
            return false;
        else
            n++;
    return n > 0 && n < size;
}

static bool name_taken(const char *name)
{
    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        if (!domain_get(d))
            continue;
        bool same = d->state != DOMAIN_CREATING && !strcmp(d->name, name);
        domain_put(d);
        if (same)
            return true;
    }
    return false;
}

static int64_t createdomain(struct pv_domctl *op)
{
    const struct pv_domctl_create *c = &op->u.create;
    if (op->domain || c->_pad || !name_valid(c->name, sizeof(c->name)) || c->max_vcpus < 1 ||
        c->max_vcpus > MAX_VCPUS || c->max_pages < 1 || c->max_pages > MAX_PAGES_LIMIT)
        return -XEN_EINVAL;
    spin_lock(&create_lock);
    if (name_taken((const char *)c->name)) {
        spin_unlock(&create_lock);
        return -XEN_EEXIST;
    }
    struct domain *d = domain_create((const char *)c->name, 0, c->max_vcpus);
    spin_unlock(&create_lock);
    if (!d)
        return -XEN_ENOMEM;
    struct vcpu *v;
    /* Created paused, as Xen's: unpausedomain lets it run once its builder is done. */
    for_each_vcpu(d, v)
        vcpu_pause(v);
    d->max_pages = c->max_pages;
    if (arch_domain_shared_info_init(d)) {
        domain_shutdown(d, SHUTDOWN_crash);
        return -XEN_ENOMEM;
    }
    op->domain = d->id;
    printk("domain %u (%s): created by dom0 (%u vCPUs, at most %llu pages)\n", d->id, d->name, c->max_vcpus,
           (unsigned long long)c->max_pages);
    return 0;
}

/* Shuts d down if it runs; once its memory is back, kills it (its id is free with the last reference). */
static int64_t destroydomain(struct domain *caller, struct domain *d)
{
    if (d == caller || is_dom0(d))
        return -XEN_EINVAL;
    if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == DOMAIN_RUNNING) {
        printk("domain %u (%s): destroyed by dom0\n", d->id, d->name);
        domain_shutdown(d, SHUTDOWN_poweroff);
    }
    if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != DOMAIN_SHUTDOWN)
        return -XEN_EAGAIN;
    domain_kill(d);
    return 0;
}

static int64_t vcpucontext(struct domain *caller, struct domain *d, struct pv_domctl *op)
{
    static struct vcpu_guest_context ctx[NR_CPUS];     /* 5 KiB each: off the stack, one per CPU */
    struct vcpu_guest_context *c = &ctx[smp_processor_id()];
    const struct pv_domctl_vcpucontext *vc = &op->u.vcpucontext;
    if (vc->_pad || vc->vcpu >= d->max_vcpus || d == caller)
        return -XEN_EINVAL;
    struct vcpu *v = d->vcpu[vc->vcpu];
    if (op->cmd == PV_DOMCTL_getvcpucontext) {
        if (!v->initialised)
            return -XEN_ENODATA;
        memset(c, 0, sizeof(*c));
        frame_lock();
        arch_get_vcpu_context(v, c);
        frame_unlock();
        return copy_to_guest(vc->ctxt, c, sizeof(*c)) ? -XEN_EFAULT : 0;
    }
    if (copy_from_guest(c, vc->ctxt, sizeof(*c)))
        return -XEN_EFAULT;
    frame_lock();
    /* Under the frame lock: a domain shut down meanwhile is relinquished only after us, and drops what we take. */
    int rc = __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != DOMAIN_RUNNING ? -XEN_ESRCH :
             v->initialised ? -XEN_EEXIST : arch_set_vcpu_context(v, c);
    if (!rc)
        v->initialised = true;
    frame_unlock();
    if (rc == -XEN_ERESTART)
        rc = -XEN_EAGAIN;               /* a long validation: the builder calls again */
    if (rc)
        return rc;
    /* Up now (the domain's pause still keeps it off the CPUs), as the boot builder starts vCPU 0. */
    if (v->id == 0) {
        vcpu_timers_init(v);
        sched_vcpu_start(v);
    }
    return 0;
}

/* A frame d owns, that is not shared_info and not a table: for rings. */
static bool plain_frame_of(const struct domain *d, uint64_t mfn)
{
    frame_lock();
    const struct page_info *pg = pfn_to_page(mfn);
    bool ok = pg && pg->state == PGS_ALLOCATED && pg->owner == d->id && mfn != d->shared_info_mfn &&
              !page_is_pagetable(pg) && (pg->type_info & PGT_TYPE_MASK) != PGT_seg_desc;
    frame_unlock();
    return ok;
}

static bool port_for(const struct domain *d, uint32_t port, domid_t remote)
{
    return evtchn_port_valid(d, port) && d->evtchn[port].state == ECS_UNBOUND && d->evtchn[port].remote_dom == remote;
}

static int64_t setrings(struct domain *caller, struct domain *d, const struct pv_domctl_rings *r)
{
    if (d == caller || is_dom0(d))
        return -XEN_EINVAL;
    if (d->store.mfn || d->console.mfn)
        return -XEN_EEXIST;
    if (r->store_mfn == r->console_mfn || r->store_port == r->console_port || !plain_frame_of(d, r->store_mfn) ||
        !plain_frame_of(d, r->console_mfn) || !port_for(d, r->store_port, caller->id) ||
        !port_for(d, r->console_port, caller->id))
        return -XEN_EINVAL;
    int err_con = gnttab_seed_entry(d, GNTTAB_RESERVED_CONSOLE, caller->id, r->console_mfn, false);
    int err_xs = err_con ? 0 : gnttab_seed_entry(d, GNTTAB_RESERVED_XENSTORE, caller->id, r->store_mfn, false);
    if (err_con || err_xs)
        return err_con ? err_con : err_xs;
    d->console = (struct domain_ring){ r->console_mfn, r->console_port };
    /* Published last: xenstored and the console back end look for a store frame. */
    __atomic_store_n(&d->store.port, r->store_port, __ATOMIC_RELAXED);
    __atomic_store_n(&d->store.mfn, r->store_mfn, __ATOMIC_RELEASE);
    return 0;
}

int64_t domctl_createdomain(struct pv_domctl *op)
{
    return createdomain(op);
}

int64_t domctl_toolstack_on(struct domain *caller, struct domain *d, struct pv_domctl *op)
{
    switch (op->cmd) {
    case PV_DOMCTL_destroydomain:
        return destroydomain(caller, d);
    case PV_DOMCTL_max_mem:
        if (op->u.max_mem.max_pages < 1 || op->u.max_mem.max_pages > MAX_PAGES_LIMIT)
            return -XEN_EINVAL;
        d->max_pages = op->u.max_mem.max_pages;
        return 0;
    case PV_DOMCTL_setvcpucontext:
    case PV_DOMCTL_getvcpucontext:
        return vcpucontext(caller, d, op);
    case PV_DOMCTL_hypercall_init:
        return d == caller ? -XEN_EINVAL : arch_domain_hypercall_page(d, op->u.hypercall_init.mfn);
    case PV_DOMCTL_setrings:
        return setrings(caller, d, &op->u.rings);
    default:
        return -XEN_ENOSYS;
    }
}
