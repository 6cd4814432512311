/* sched_op: yield, block, poll, shutdown, the shutdown code and watchdogs, for the calling domain. */
#include <hv/event.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/watchdog.h>
#include <hv/arch.h>
#include <public/errno.h>
#include <public/sched.h>

static void block_current(void)
{
    struct vcpu *v = current;
    /* Blocking turns events on, as Xen does, so the wake-up can be delivered. */
    v->vcpu_info->evtchn_upcall_mask = 0;
    vcpu_block(v);                          /* not if an upcall is due (checked against racing senders) */
}

/* Blocks until one of the ports is pending (masked or not), an upcall is due, or the timeout. */
static int64_t poll(uint64_t arg)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    struct sched_poll p;

    if (copy_from_guest(&p, arg, sizeof(p)))
        return -XEN_EFAULT;
    if (p.nr_ports > ARRAY_SIZE(v->poll_ports))
        return -XEN_EINVAL;
    if (copy_from_guest(v->poll_ports, p.ports, p.nr_ports * sizeof(uint32_t)))
        return -XEN_EFAULT;
    int64_t rc = 0;
    if (vcpu_events_pending(v))
        goto out;
    for (unsigned int i = 0; i < p.nr_ports; i++) {
        if (!evtchn_port_valid(d, v->poll_ports[i])) {
            rc = -XEN_EINVAL;
            goto out;
        }
        if (evtchn_port_pending(d, v->poll_ports[i]))
            goto out;
    }
    v->nr_poll_ports = p.nr_ports;
    v->poll_deadline = (s_time_t)p.timeout;    /* written before polling: poll_timeout reads them in turn */
    vcpu_set_polling(v, true);
    /* As Xen's do_poll: the deadline is an s_time_t; 2^63 or more is in the past and ends the poll at once. */
    if (p.timeout)
        set_timer(&v->poll_timer, (s_time_t)p.timeout);
    else
        stop_timer(&v->poll_timer);         /* no earlier poll's timeout may end this one */
    vcpu_block(v);
out:
    return rc;
}

int64_t do_sched_op(unsigned int cmd, uint64_t arg)
{
    struct domain *d = current->domain;

    switch (cmd) {
    case SCHEDOP_yield:
        sched_yield();
        return 0;
    case SCHEDOP_block:
        block_current();
        return 0;
    case SCHEDOP_poll:
        return poll(arg);
    case SCHEDOP_shutdown: {
        struct sched_shutdown sd;
        if (copy_from_guest(&sd, arg, sizeof(sd)))
            return -XEN_EFAULT;
        domain_shutdown(d, sd.reason);
        return 0;
    }
    case SCHEDOP_shutdown_code: {
        struct sched_shutdown sd;
        if (copy_from_guest(&sd, arg, sizeof(sd)))
            return -XEN_EFAULT;
        if (d->shutdown_code < 0)
            d->shutdown_code = (int)(sd.reason & 0xff);
        return 0;
    }
    case SCHEDOP_remote_shutdown: {
        struct sched_remote_shutdown rs;
        if (copy_from_guest(&rs, arg, sizeof(rs)))
            return -XEN_EFAULT;
        /* As Xen: by id only (DOMID_SELF is no domain here), and the caller needs the right even for itself. */
        struct domain *t;
        int rc = domain_lookup(d, rs.domain_id, DOMAIN_RIGHT_CONTROL | DOMAIN_LOOKUP_RIGHTS_ON_SELF, &t);
        if (rc)
            return rc;
        domain_shutdown(t, rs.reason);
        domain_put(t);
        return 0;
    }
    case SCHEDOP_watchdog: {
        struct sched_watchdog w;
        if (copy_from_guest(&w, arg, sizeof(w)))
            return -XEN_EFAULT;
        return watchdog_op(d, w.id, w.timeout);
    }
    default:
        return -XEN_ENOSYS;
    }
}

/* The old form (hypercall 6): the shutdown reason is passed by value. */
int64_t do_sched_op_compat(unsigned int cmd, uint64_t arg)
{
    switch (cmd) {
    case SCHEDOP_yield:
    case SCHEDOP_block:
        return do_sched_op(cmd, 0);
    case SCHEDOP_shutdown:
        domain_shutdown(current->domain, (unsigned int)arg);
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}
