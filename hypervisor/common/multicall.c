/* multicall: many hypercalls for one entry into the hypervisor, each with its own result. */
#include <hv/continuation.h>
#include <hv/hypercall.h>
#include <hv/arch.h>
#include <public/errno.h>

int64_t do_multicall(uint64_t list, unsigned int nr)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    struct vcpu_hypercall_state *hc = &v->hc;

    if (hc->in_multicall)
        return -XEN_EINVAL;                 /* a multicall inside a multicall */
    for (unsigned int i = 0; i < nr; i++) {
        if (hypercall_preempt_point(i))
            return hypercall_continue(__HYPERVISOR_multicall, list + (uint64_t)i * sizeof(struct multicall_entry),
                                      nr - i, 0, 0, 0);
        uint64_t at = list + (uint64_t)i * sizeof(struct multicall_entry);
        struct multicall_entry e;
        if (copy_from_guest(&e, at, sizeof(e)))
            return -XEN_EFAULT;
        hc->in_multicall = true;
        hc->mc.pending = false;
        int64_t rc = hypercall_dispatch(d, e.args[0], e.args[1], e.args[2], e.args[3], e.args[4], e.op);
        hc->in_multicall = false;
        /* The call may have ended the domain (shutdown): nothing more to run or report. */
        if (d->state != DOMAIN_RUNNING)
            return 0;
        /*
         * iret has replaced the guest's registers, maybe with user mode and
         * its page tables: the batch ends here, as in Xen, and rax is the
         * value iret restored.
         */
        if (e.op == __HYPERVISOR_iret)
            return rc;
        if (hc->mc.pending) {
            /* It stopped part-way: its entry now says how to go on, and the multicall resumes there. */
            hc->mc.pending = false;
            e.op = hc->mc.op;
            memcpy(e.args, hc->mc.args, sizeof(hc->mc.args));
            if (copy_to_guest(at + offsetof(struct multicall_entry, op), &e.op, sizeof(e.op)) ||
                copy_to_guest(at + offsetof(struct multicall_entry, args), e.args, sizeof(hc->mc.args)))
                return -XEN_EFAULT;
            return hypercall_continue(__HYPERVISOR_multicall, at, nr - i, 0, 0, 0);
        }
        e.result = (uint64_t)rc;
        if (copy_to_guest(at + offsetof(struct multicall_entry, result), &e.result, sizeof(e.result)))
            return -XEN_EFAULT;
    }
    return 0;
}
