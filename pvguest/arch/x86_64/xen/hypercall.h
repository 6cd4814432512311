/*
 * pvguest's hypercalls: the shared guest convention (lib/pv_hypercall.h), each
 * call counted as a hypervisor entry (counters.h) before it is made.
 */
#ifndef XEN_HYPERCALL_H
#define XEN_HYPERCALL_H

#include <counters.h>
#include <public/xen.h>

#define PV_HYPERCALL_HOOK(nr) counter_entry(nr)
#include <lib/pv_hypercall.h>

#endif /* XEN_HYPERCALL_H */
