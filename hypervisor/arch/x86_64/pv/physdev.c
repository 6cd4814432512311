/*
 * physdev_op (public/physdev.h): what a PV kernel asks about physical
 * devices: its virtual IOPL, and its physical IRQs (decoded here, done by
 * pirq.c).
 */
#include <hv/domain.h>
#include <hv/hypercall.h>
#include <public/errno.h>
#include <public/physdev.h>
#include <asm/cpu.h>
#include <asm/pirq.h>

/* The domain a map/unmap names: the caller, or one it controls (Xen's XSM default: the device model's right). */
static int64_t target(domid_t domid, struct domain **out)
{
    return domain_lookup_held(current->domain, domid, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_SELF_ID, out);
}

static int64_t map_pirq(uint64_t arg)
{
    struct physdev_map_pirq op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    struct domain *d;
    int64_t rc = target(op.domid, &d);
    if (rc)
        return rc;
    switch (op.type) {
    case MAP_PIRQ_TYPE_GSI:
        rc = pirq_map_gsi(current->domain, d, op.index, &op.pirq);
        break;
    case MAP_PIRQ_TYPE_MSI:
    case MAP_PIRQ_TYPE_MSI_SEG:
    case MAP_PIRQ_TYPE_MULTI_MSI:
        rc = -XEN_EOPNOTSUPP;               /* MSI and MSI-X: not yet (docs/differences-from-xen.md) */
        break;
    default:
        rc = -XEN_EINVAL;
        break;
    }
    domain_put_held(current->domain, d);
    if (!rc && copy_to_guest(arg + offsetof(struct physdev_map_pirq, pirq), &op.pirq, sizeof(op.pirq)))
        return -XEN_EFAULT;
    return rc;
}

static int64_t unmap_pirq(uint64_t arg)
{
    struct physdev_unmap_pirq op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -XEN_EFAULT;
    struct domain *d;
    int64_t rc = target(op.domid, &d);
    if (rc)
        return rc;
    rc = pirq_unmap(current->domain, d, op.pirq);
    domain_put_held(current->domain, d);
    return rc;
}

int64_t do_physdev_op(unsigned int cmd, uint64_t arg)
{
    struct domain *cd = current->domain;
    switch (cmd) {
    case PHYSDEVOP_set_iopl: {
        struct physdev_set_iopl op;
        if (copy_from_guest(&op, arg, sizeof(op)))
            return -XEN_EFAULT;
        if (op.iopl > 3)
            return -XEN_EINVAL;
        current->arch.iopl = op.iopl << 12;     /* kept where EFLAGS.IOPL sits */
        return 0;
    }
    case PHYSDEVOP_map_pirq:
        return map_pirq(arg);
    case PHYSDEVOP_unmap_pirq:
        return unmap_pirq(arg);
    case PHYSDEVOP_setup_gsi: {
        struct physdev_setup_gsi op;
        if (copy_from_guest(&op, arg, sizeof(op)))
            return -XEN_EFAULT;
        return pirq_setup_gsi(cd, op.gsi, op.triggering != 0, op.polarity != 0);
    }
    case PHYSDEVOP_eoi: {
        struct physdev_eoi op;
        if (copy_from_guest(&op, arg, sizeof(op)))
            return -XEN_EFAULT;
        return pirq_eoi(cd, op.irq);
    }
    case PHYSDEVOP_irq_status_query: {
        struct physdev_irq_status_query op;
        if (copy_from_guest(&op, arg, sizeof(op)))
            return -XEN_EFAULT;
        int rc = pirq_status(cd, op.irq, &op.flags);
        if (!rc && copy_to_guest(arg, &op, sizeof(op)))
            return -XEN_EFAULT;
        return rc;
    }
    case PHYSDEVOP_pirq_eoi_gmfn_v2: {
        struct physdev_pirq_eoi_gmfn op;
        if (copy_from_guest(&op, arg, sizeof(op)))
            return -XEN_EFAULT;
        return pirq_set_eoi_frame(cd, op.gmfn);
    }
    default:
        return -XEN_ENOSYS;                 /* v1 of the EOI page (it auto-unmasks ports) among them */
    }
}
