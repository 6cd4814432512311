/* Xen PV backend internals: start_info, P2M/M2P, vcpu_info, and what the xen/ files share. */
#ifndef XEN_XEN_H
#define XEN_XEN_H

#include <paravirt.h>
#include <sched.h>
#include <asm/layout.h>
#include <asm/trap.h>
#include <public/xen.h>
#include "hypercall.h"

extern struct start_info *xen_start_info;
extern struct shared_info *xen_shared_info;     /* NULL until mm_init maps it */
/* Each CPU's vcpu_info (vCPU n's slot in shared_info); CPU 0's is a masked stand-in until mm_init. */
extern struct vcpu_info *xen_vcpu_info[MAX_CPUS];
/* The calling CPU's: callers have events masked or preemption off. */
static inline struct vcpu_info *xen_vcpu(void) { return xen_vcpu_info[smp_processor_id()]; }
extern const uint64_t *xen_p2m;

static inline uint64_t pfn_to_mfn(uint64_t pfn) { return xen_p2m[pfn]; }
static inline uint64_t mfn_to_pfn(uint64_t mfn) { return ((const uint64_t *)MACH2PHYS_VIRT_START)[mfn]; }
/* Machine address of a direct-map address. */
static inline uint64_t virt_to_maddr(const void *p)
{
    return (pfn_to_mfn(virt_to_pfn(p)) << PAGE_SHIFT) | ((uint64_t)p & (PAGE_SIZE - 1));
}

/* xen.c: the name of hypercall nr and of a Xen error code. */
const char *xen_hypercall_name(unsigned int nr);
const char *xen_errno_name(int64_t rc);
/* Panics with the hypercall, its arguments and the error code. */
__noreturn void xen_hypercall_failed(unsigned int nr, int64_t rc, const char *args_fmt, ...) __printf(3, 4);

/* cpu.c */
extern const struct pv_cpu_ops xen_cpu_ops;
void xen_force_upcall(void);
/* The trap table set_trap_table installed, as a vcpu_guest_context's trap_ctxt (indexed by vector). */
void xen_fill_trap_ctxt(struct trap_info *ctxt);
extern char xen_event_entry[], xen_failsafe_entry[];   /* entry.S */
/* mmu.c */
extern const struct pv_mmu_ops xen_mmu_ops;
void xen_mm_init(void);
extern uint64_t xen_mapped_pfns;                /* the builder's initial mapping: pfns [0, this) */
/* events.c */
extern const struct pv_irq_ops xen_irq_ops;
void xen_evtchn_do_upcall(void);
/* time.c */
extern const struct pv_time_ops xen_time_ops;
/* smp.c */
extern const struct pv_smp_ops xen_smp_ops;
/* console.c */
extern const struct pv_console_ops xen_console_ops;
/* domctl.c: waits for the domains named by wait=; false if one did not power off. */
bool xen_wait_domains(void);

#endif /* XEN_XEN_H */
