/* domctl: dom0 asks about (and later controls) other domains. Our interface, public/domctl.h. */
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <public/domctl.h>
#include <public/errno.h>
#include <hv/arch.h>

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
    info->tot_pages = d->tot_pages;
    info->max_pages = d->max_pages;
    str_copy((char *)info->name, d->name, sizeof(info->name));
    const struct vcpu *v;
    for_each_vcpu(d, v)
        info->cpu_time += vcpu_running_time(v);
    info->weight = d->vcpu[0]->unit.weight;
    info->cap = d->vcpu[0]->unit.cap;
}

#define IOPORT_COUNT 0x10000u

/*
 * Grants or takes away a range of d's I/O ports. As Xen: the caller must
 * hold the whole range itself (a driver domain can pass on only what it
 * was given); ports the hypervisor keeps are never granted.
 */
static int64_t ioport_permission(struct domain *d, const struct pv_domctl_ioport *io)
{
    uint32_t first = io->first_port, nr = io->nr_ports;
    for (unsigned int i = 0; i < sizeof(io->_pad); i++)
        if (io->_pad[i])
            return -XEN_EINVAL;
    if (nr == 0 || first >= IOPORT_COUNT || nr > IOPORT_COUNT - first || io->allow > 1)
        return -XEN_EINVAL;
    if (!arch_ioports_held(current->domain, first, first + nr - 1))
        return -XEN_EPERM;
    return arch_ioports_set(d, first, first + nr - 1, io->allow);
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
        return ioport_permission(d, &op->u.ioport);
    default:
        return -XEN_ENOSYS;
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
        break;
    default:
        return -XEN_ENOSYS;
    }
    /* Only getdomaininfo looks at a stopped domain; the others act on running ones. Ports need their right, on oneself too. */
    unsigned int need = DOMAIN_RIGHT_CONTROL | (op.cmd == PV_DOMCTL_getdomaininfo ? DOMAIN_LOOKUP_STOPPED : 0);
    if (op.cmd == PV_DOMCTL_ioport_permission)
        need |= DOMAIN_RIGHT_IOPORT | DOMAIN_LOOKUP_RIGHTS_ON_SELF;
    int64_t rc = domain_lookup(caller, op.domain, need, &d);
    if (rc)
        return rc;
    rc = domctl_on(d, &op);
    domain_put(d);
    if (rc == 0 && op.cmd == PV_DOMCTL_getdomaininfo && copy_to_guest(arg, &op, sizeof(op)))
        return -XEN_EFAULT;
    return rc;
}
