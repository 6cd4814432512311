/* domctl: dom0 asks about (and later controls) other domains. Our interface, public/domctl.h. */
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <public/domctl.h>
#include <public/errno.h>
#include <hv/arch.h>
#include <hv/domctl_toolstack.h>

/* What a domain is doing, stopped ones too until they are killed (d held by the caller). */
static void getdomaininfo(const struct domain *d, struct pv_domctl *op)
{
    struct pv_domctl_info *info = &op->u.info;
    enum domain_state state = __atomic_load_n(&d->state, __ATOMIC_ACQUIRE);

    memset(info, 0, sizeof(*info));
    info->flags = (state == DOMAIN_RUNNING ? PV_DOMINF_running : 0) |
                  (state == DOMAIN_RELINQUISHING ? PV_DOMINF_stopping : 0) |
                  (state == DOMAIN_SHUTDOWN ? PV_DOMINF_shutdown : 0) |
                  (domain_has_rights(d, DOMAIN_RIGHT_CONTROL) ? PV_DOMINF_privileged : 0);
    info->shutdown_reason = state != DOMAIN_RUNNING ? d->shutdown_reason : 0;
    info->shutdown_code = d->shutdown_code;
    info->tot_pages = domain_reservation(d);
    info->max_pages = d->max_pages;
    str_copy((char *)info->name, d->name, sizeof(info->name));
    const struct vcpu *v;
    for_each_vcpu(d, v)
        info->cpu_time += vcpu_running_time(v);
    info->weight = d->vcpu[0]->unit.weight;
    info->cap = d->vcpu[0]->unit.cap;
    info->store_mfn = d->store.mfn;
    info->store_port = d->store.port;
    info->console_mfn = d->console.mfn;
    info->console_port = d->console.port;
    info->shared_info_mfn = d->shared_info_mfn == INVALID_PFN ? 0 : d->shared_info_mfn;
    info->nr_vcpus = d->max_vcpus;
    info->free_pages = page_alloc_free_count();
    bool paused = false, blocked = state == DOMAIN_RUNNING, any_up = false;
    for_each_vcpu(d, v) {
        paused |= (v->pause_flags & VPF_paused) != 0;
        if (!(v->pause_flags & VPF_down)) {
            any_up = true;
            blocked &= v->state == VCPU_BLOCKED;
        }
    }
    info->flags |= (paused ? PV_DOMINF_paused : 0) | (blocked && any_up ? PV_DOMINF_blocked : 0);
}

#define IOPORT_COUNT 0x10000u

/*
 * The *_permission commands, one shape as Xen's: d gets or loses the range
 * [first, first + nr) of I/O ports, I/O memory frames or GSIs. It must be
 * non-empty and below the kind's limit (<= 2^32), with allow 0 or 1 and zero
 * padding (-EINVAL); the caller must hold all of it itself, so a driver
 * domain can pass on only what it was given (-EPERM).
 */
static int64_t permission(struct domain *d, const struct pv_domctl *op)
{
    uint64_t first, nr, limit;
    uint8_t allow;
    const uint8_t *pad;
    size_t pad_len;
    switch (op->cmd) {
    case PV_DOMCTL_ioport_permission:
        first = op->u.ioport.first_port, nr = op->u.ioport.nr_ports, limit = IOPORT_COUNT;
        allow = op->u.ioport.allow, pad = op->u.ioport._pad, pad_len = sizeof(op->u.ioport._pad);
        break;
    case PV_DOMCTL_iomem_permission:
        first = op->u.iomem.first_mfn, nr = op->u.iomem.nr_mfns, limit = arch_iomem_frames();
        allow = op->u.iomem.allow, pad = op->u.iomem._pad, pad_len = sizeof(op->u.iomem._pad);
        break;
    default:                    /* PV_DOMCTL_irq_permission: one GSI */
        first = op->u.irq.gsi, nr = 1, limit = arch_irqs_count();
        allow = op->u.irq.allow, pad = op->u.irq._pad, pad_len = sizeof(op->u.irq._pad);
        break;
    }
    for (size_t i = 0; i < pad_len; i++)
        if (pad[i])
            return -XEN_EINVAL;
    if (nr == 0 || first >= limit || nr > limit - first || allow > 1)
        return -XEN_EINVAL;
    uint32_t f = (uint32_t)first, l = (uint32_t)(first + nr - 1);
    struct domain *caller = current->domain;
    switch (op->cmd) {
    case PV_DOMCTL_ioport_permission:
        return arch_ioports_held(caller, f, l) ? arch_ioports_set(d, f, l, allow) : -XEN_EPERM;
    case PV_DOMCTL_iomem_permission:
        return arch_iomem_held(caller, f, l) ? arch_iomem_set(d, f, l, allow) : -XEN_EPERM;
    default:
        return arch_irqs_held(caller, f, l) ? arch_irqs_set(d, f, l, allow) : -XEN_EPERM;
    }
}

/* One command on d (held by the caller); op goes back to the guest on success. */
static int64_t domctl_on(struct domain *d, struct pv_domctl *op)
{
    struct vcpu *v;
    switch (op->cmd) {
    case PV_DOMCTL_getdomaininfo:
        getdomaininfo(d, op);
        return 0;
    case PV_DOMCTL_pausedomain:
    case PV_DOMCTL_unpausedomain:
        if (d == current->domain)
            return -XEN_EINVAL;
        if (op->cmd == PV_DOMCTL_pausedomain)
            for_each_vcpu(d, v)
                vcpu_pause(v);
        else
            for_each_vcpu(d, v)
                vcpu_unpause(v);
        return 0;
    case PV_DOMCTL_setschedparams:
        if (op->u.sched.weight < 1 || op->u.sched.weight > 65535 || op->u.sched.cap > 100)
            return -XEN_EINVAL;
        for_each_vcpu(d, v)
            sched_set_params(v, op->u.sched.weight, op->u.sched.cap);
        return 0;
    case PV_DOMCTL_ioport_permission:
    case PV_DOMCTL_iomem_permission:
    case PV_DOMCTL_irq_permission:
        return permission(d, op);
    case PV_DOMCTL_assign_device:
    case PV_DOMCTL_deassign_device:
        if (op->u.assign._pad)
            return -XEN_EINVAL;
        return op->cmd == PV_DOMCTL_assign_device ? arch_pci_assign(current->domain, d, op->u.assign.bdf)
                                                  : arch_pci_deassign(d, op->u.assign.bdf);
    case PV_DOMCTL_getvcpuinfo: {
        struct pv_domctl_vcpuinfo *vi = &op->u.vcpuinfo;
        if (vi->vcpu >= d->max_vcpus || vi->_pad || vi->_pad1)
            return -XEN_EINVAL;
        v = d->vcpu[vi->vcpu];
        if (!v)
            return -XEN_EINVAL;
        vi->online = v->initialised && !(v->pause_flags & VPF_down);
        vi->blocked = v->state == VCPU_BLOCKED;
        vi->running = v->is_running;
        vi->cpu_time = vcpu_running_time(v);
        vi->cpu = v->processor;
        return 0;
    }
    default:
        return domctl_toolstack_on(current->domain, d, op);
    }
}

int64_t do_domctl(uint64_t arg)
{
    struct domain *caller = current->domain, *d;
    struct pv_domctl op;

    /* Before anything else: a domain without the right learns nothing here, not even -EFAULT. */
    if (!domain_has_rights(caller, DOMAIN_RIGHT_CONTROL))
        return -XEN_EPERM;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != PV_DOMCTL_INTERFACE_VERSION)
        return -XEN_EACCES;
    if (op._pad0[0] || op._pad0[1] || op._pad0[2])
        return -XEN_EINVAL;

    switch (op.cmd) {
    case PV_DOMCTL_getdomaininfo:
    case PV_DOMCTL_pausedomain:
    case PV_DOMCTL_unpausedomain:
    case PV_DOMCTL_setschedparams:
    case PV_DOMCTL_ioport_permission:
    case PV_DOMCTL_iomem_permission:
    case PV_DOMCTL_irq_permission:
    case PV_DOMCTL_assign_device:
    case PV_DOMCTL_deassign_device:
    case PV_DOMCTL_destroydomain:
    case PV_DOMCTL_max_mem:
    case PV_DOMCTL_setvcpucontext:
    case PV_DOMCTL_getvcpucontext:
    case PV_DOMCTL_hypercall_init:
    case PV_DOMCTL_setrings:
    case PV_DOMCTL_getvcpuinfo:
        break;
    case PV_DOMCTL_physinfo:
        memset(&op.u.physinfo, 0, sizeof(op.u.physinfo));
        op.u.physinfo.nr_cpus = nr_cpus_online;
        op.u.physinfo.total_pages = page_alloc_total_count();
        op.u.physinfo.free_pages = page_alloc_free_count();
        return copy_to_guest(arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
    case PV_DOMCTL_createdomain: {
        int64_t rc = domctl_createdomain(&op);
        if (!rc && copy_to_guest(arg, &op, sizeof(op)))
            return -XEN_EFAULT;     /* the domain stays: list shows it, destroy removes it */
        return rc;
    }
    case PV_DOMCTL_getdomaininfo_next:
        /* As Xen's getdomaininfo: the first domain at or above the id asked for. */
        for (unsigned int id = op.domain; id < MAX_DOMAINS; id++) {
            if (domain_lookup(caller, (domid_t)id, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_STOPPED, &d))
                continue;
            getdomaininfo(d, &op);
            domain_put(d);
            op.domain = (domid_t)id;
            return copy_to_guest(arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
        }
        return -XEN_ESRCH;
    default:
        return -XEN_ENOSYS;
    }
    /* getdomaininfo and destroy look at a stopped domain; the others act on running ones. Permissions need their right, on oneself too. */
    bool stopped_too = op.cmd == PV_DOMCTL_getdomaininfo || op.cmd == PV_DOMCTL_destroydomain;
    unsigned int need = DOMAIN_RIGHT_CONTROL | (stopped_too ? DOMAIN_LOOKUP_STOPPED : 0);
    if (op.cmd == PV_DOMCTL_ioport_permission)
        need |= DOMAIN_RIGHT_IOPORT | DOMAIN_LOOKUP_RIGHTS_ON_SELF;
    if (op.cmd == PV_DOMCTL_iomem_permission)
        need |= DOMAIN_RIGHT_IOMEM | DOMAIN_LOOKUP_RIGHTS_ON_SELF;
    if (op.cmd == PV_DOMCTL_irq_permission)
        need |= DOMAIN_RIGHT_IRQ | DOMAIN_LOOKUP_RIGHTS_ON_SELF;
    if (op.cmd == PV_DOMCTL_assign_device || op.cmd == PV_DOMCTL_deassign_device)
        need |= DOMAIN_RIGHT_IOPORT | DOMAIN_RIGHT_IOMEM | DOMAIN_RIGHT_IRQ;
    int64_t rc = domain_lookup(caller, op.domain, need, &d);
    if (rc)
        return rc;
    rc = domctl_on(d, &op);
    domain_put(d);
    if (rc == 0 && (op.cmd == PV_DOMCTL_getdomaininfo || op.cmd == PV_DOMCTL_getvcpuinfo) && copy_to_guest(arg, &op, sizeof(op)))
        return -XEN_EFAULT;
    return rc;
}
