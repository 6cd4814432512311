/*
 * What dom0's toolstack (pvdrivers/toolstack) asks of the hypervisor about
 * other domains (xen/toolstack.c). Each returns 0 (or what it names) or a
 * negative Xen errno.
 */
#ifndef PVGUEST_XEN_TOOLSTACK_H
#define PVGUEST_XEN_TOOLSTACK_H

#include <public/domctl.h>
#include <public/sched.h>
#include <public/xen.h>

/* Fills in interface_version and issues the domctl (op is read and written back). */
int64_t xenpv_domctl(struct pv_domctl *op);
/* xen_version(cmd, arg): what the hypervisor returns (XENVER_version: major << 16 | minor). */
int64_t xenpv_xen_version(unsigned int cmd, void *arg);
/* XENMEM_populate_physmap for dom: frames[i] holds PFN i's number in, its MFN out; how many were done. */
int64_t xenpv_populate_physmap(domid_t dom, xen_pfn_t *frames, uint64_t nr);
/* MMUEXT_PIN_L4_TABLE of dom's frame mfn (validated then, as the domain's). */
int xenpv_pin_l4(domid_t dom, uint64_t mfn);
/* EVTCHNOP_alloc_unbound in dom for remote: the port, or an error. */
int xenpv_evtchn_alloc_unbound_in(domid_t dom, domid_t remote);
/* SCHEDOP_remote_shutdown. */
int xenpv_remote_shutdown(domid_t dom, unsigned int reason);
/* dom0's own event channels that are not closed (the leak check's count). */
int xenpv_evtchn_ports_in_use(void);

#endif
