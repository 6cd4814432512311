/* The domctl commands of dom0's domain builder (common/domctl_toolstack.c), called by do_domctl. */
#ifndef HV_DOMCTL_TOOLSTACK_H
#define HV_DOMCTL_TOOLSTACK_H

#include <hv/domain.h>
#include <public/domctl.h>

/* PV_DOMCTL_createdomain: the caller is privileged (checked by do_domctl); op->domain gets the new id. */
int64_t domctl_createdomain(struct pv_domctl *op);
/* destroydomain, max_mem, set/getvcpucontext, hypercall_init, setrings on d (held by the caller). */
int64_t domctl_toolstack_on(struct domain *caller, struct domain *d, struct pv_domctl *op);

#endif
