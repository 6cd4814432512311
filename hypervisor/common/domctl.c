/* domctl: dom0 asks about (and later controls) other domains. Our interface, public/domctl.h. */
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <hv/arch.h>
#include <public/domctl.h>
#include <public/errno.h>

static int64_t getdomaininfo(struct pv_domctl *op)
{
    if (op->domain >= MAX_DOMAINS || domains[op->domain].state == DOMAIN_FREE)
        return -XEN_ESRCH;
    const struct domain *d = &domains[op->domain];
    struct pv_domctl_info *info = &op->u.info;

    memset(info, 0, sizeof(*info));
    info->flags = (d->state == DOMAIN_RUNNING ? PV_DOMINF_running :
                   d->state == DOMAIN_DYING ? PV_DOMINF_dying : PV_DOMINF_shutdown) |
                  (d->privileged ? PV_DOMINF_privileged : 0);
    info->shutdown_reason = d->state == DOMAIN_SHUTDOWN ? d->shutdown_reason : 0;
    info->shutdown_code = d->shutdown_code;
    info->tot_pages = d->tot_pages;
    info->max_pages = d->max_pages;
    str_copy((char *)info->name, d->name, sizeof(info->name));
    struct vcpu *v;
    for_each_vcpu(d, v)
        info->cpu_time += vcpu_running_time(v);
    info->weight = d->vcpu[0]->unit.weight;
    info->cap = d->vcpu[0]->unit.cap;
    return 0;
}

static struct domain *other_domain(domid_t id)
{
    return id < MAX_DOMAINS && domains[id].state == DOMAIN_RUNNING ? &domains[id] : NULL;
}

int64_t do_domctl(uint64_t arg)
{
    struct pv_domctl op;
    int64_t rc;

    if (!current->domain->privileged)
        return -XEN_EPERM;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != PV_DOMCTL_INTERFACE_VERSION)
        return -XEN_EACCES;
    if (op._pad0[0] || op._pad0[1] || op._pad0[2])
        return -XEN_EINVAL;

    struct domain *d;
    struct vcpu *v;
    switch (op.cmd) {
    case PV_DOMCTL_getdomaininfo:
        rc = getdomaininfo(&op);
        break;
    case PV_DOMCTL_pausedomain:
    case PV_DOMCTL_unpausedomain:
        if (!(d = other_domain(op.domain)))
            return -XEN_ESRCH;
        if (d == current->domain)
            return -XEN_EINVAL;
        if (op.cmd == PV_DOMCTL_pausedomain)
            for_each_vcpu(d, v)
                vcpu_pause(v);
        else
            for_each_vcpu(d, v)
                vcpu_unpause(v);
        return 0;
    case PV_DOMCTL_setschedparams:
        if (!(d = other_domain(op.domain)))
            return -XEN_ESRCH;
        if (op.u.sched.weight < 1 || op.u.sched.weight > 65535 || op.u.sched.cap > 100)
            return -XEN_EINVAL;
        for_each_vcpu(d, v)
            sched_set_params(v, op.u.sched.weight, op.u.sched.cap);
        return 0;
    default:
        return -XEN_ENOSYS;
    }
    if (rc == 0 && copy_to_guest(arg, &op, sizeof(op)))
        return -XEN_EFAULT;
    return rc;
}
