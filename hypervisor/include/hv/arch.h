/*
 * What common code asks of the architecture, and the only way it reaches
 * it: common files include this header (and hv/frame.h), never a PV- or
 * x86-specific one. The headers named below are the architecture's general
 * services (the running CPU and vCPU, interrupts, pages and the direct map,
 * guest memory access, the M2P table, the other CPUs); hv/domain.h adds asm/domain.h, the
 * architecture's half of struct vcpu.
 *
 * Contracts hold for x86-64 PV (arch/x86_64/pv/); each call names who may
 * make it and what it may assume.
 */
#ifndef HV_ARCH_H
#define HV_ARCH_H

#include <hv/lib.h>
#include <asm/cpu.h>            /* interrupts on/off, cpu_relax, rdtsc */
#include <asm/current.h>        /* current, smp_processor_id, guest_regs */
#include <asm/guest_access.h>   /* copy_to_guest / copy_from_guest */
#include <asm/mm.h>             /* the M2P table: set_gpfn_from_mfn */
#include <asm/page.h>           /* PAGE_SIZE, __va */
#include <asm/smp.h>            /* the online CPUs, event-check IPIs, TLB shootdowns */

struct domain;
struct range;
struct vcpu;
struct vcpu_guest_context;

/*
 * Zeroes `count` frames from machine frame `pfn`. Every frame a domain is
 * given passes through here first (domain_adopt_page and domain_alloc_extent,
 * common/domain.c), so no guest ever sees another owner's old contents. Any
 * CPU, interrupts on or off, holding at most locks above the heap lock.
 */
void arch_clear_frames(uint64_t pfn, uint64_t count);

/*
 * MMIO the hypervisor keeps for itself (interrupt controllers), sorted by
 * address: at most max ranges into out; returns how many.
 */
unsigned int arch_hypervisor_mmio(struct range *out, unsigned int max);

/* ---- domains ---------------------------------------------------------- */

/* Arch state of a new domain (nothing allocated yet). 0 or -XEN_ENOMEM. */
int arch_domain_create(struct domain *d);

/* What the builder needs: the kernel image and its start of day. */
struct domain_build_args {
    const void *kernel;                 /* the ELF image, through the direct map */
    size_t kernel_size;
    const void *initrd;                 /* optional ramdisk */
    size_t initrd_size;
    const char *cmdline;                /* for start_info.cmd_line */
    uint64_t nr_pages;                  /* memory of the domain */
    uint64_t max_pages;                 /* how far its reservation may grow (>= nr_pages) */
};

/*
 * Loads the kernel, lays out the start of day (start_info, page tables,
 * P2M, shared_info) and sets vCPU 0's registers through
 * arch_set_vcpu_context. Returns 0, or -1 with err naming the problem (the
 * domain keeps whatever memory it got; shut it down to return it).
 */
int arch_domain_build(struct domain *d, const struct domain_build_args *a, char *err, size_t errlen);

/* Gives d its shared_info frame (event masks set, wall clock, vcpu_info): 0 or -XEN_ENOMEM. */
int arch_domain_shared_info_init(struct domain *d);
/* Writes the hypercall page into mfn, a frame d owns that is no table: 0 or -XEN_EINVAL. */
int arch_domain_hypercall_page(struct domain *d, uint64_t mfn);

/*
 * Drops a stopped domain's own references to its frames: empties its page
 * tables level by level, drops pins, base pointers, descriptor tables and
 * vcpu_info frames, and returns its shared_info frame. None of its vCPUs is
 * loaded on a CPU. Does a bounded amount of work per call and resumes where
 * it stopped (d->arch): -XEN_ERESTART while there is more, 0 when done (then
 * again 0). Called under the frame lock; the frame audit holds between any
 * two calls.
 */
int arch_domain_relinquish(struct domain *d);

/* No CPU may use d's page tables any more (called before its frames are freed). */
void arch_domain_teardown(struct domain *d);

/* Recounts every guest frame's references and compares them with the frame table (logs AUDIT FAILED). */
void arch_audit_frames(const char *when);

/* ---- I/O ports -------------------------------------------------------- */

/* True when d holds every port of [first, last] (any domain; a leaf lock inside). */
bool arch_ioports_held(struct domain *d, uint32_t first, uint32_t last);
/*
 * Grants (allow) or takes away the ports [first, last], last <= 0xFFFF.
 * 0; -XEN_EPERM granting one the hypervisor keeps for itself; -XEN_ENOMEM
 * when d's set is too fragmented to hold the change (d unchanged).
 */
int arch_ioports_set(struct domain *d, uint32_t first, uint32_t last, bool allow);

/* ---- I/O memory (machine frames that are not RAM) ---------------------- */

/* Frames a domain can be granted: the machine's physical address width, at most 2^32 (a rangeset's values). */
uint64_t arch_iomem_frames(void);
/* True when d may map every frame of [first, last] (any domain; a leaf lock inside). */
bool arch_iomem_held(struct domain *d, uint64_t first, uint64_t last);
/*
 * Grants (allow) or takes away the frames [first, last], last below
 * arch_iomem_frames(). Mappings made already stay (as Xen). 0; -XEN_EPERM
 * granting the hypervisor's own device memory; -XEN_ENOMEM when d's set is
 * too fragmented (d unchanged).
 */
int arch_iomem_set(struct domain *d, uint32_t first, uint32_t last, bool allow);

/* ---- IRQ permissions (arch/x86_64/pirq.c) ------------------------------ */

/* GSIs that exist: a domain can be granted those below this. */
uint32_t arch_irqs_count(void);
/* True when d may map and bind every GSI of [first, last] (any domain). */
bool arch_irqs_held(struct domain *d, uint32_t first, uint32_t last);
/*
 * Grants (allow) or takes away the GSIs [first, last], last below
 * arch_irqs_count(). A pirq mapped or bound already stays (as Xen). 0;
 * -XEN_EPERM granting GSI 0 or one the hypervisor keeps; -XEN_ENOMEM when
 * d's set is too fragmented (d unchanged).
 */
int arch_irqs_set(struct domain *d, uint32_t first, uint32_t last, bool allow);

/* ---- PCI passthrough (arch/x86_64/pci.c) ------------------------------ */

/*
 * PV_DOMCTL_assign_device by caller (dom0): bdf goes to d with its ports,
 * frames and GSI, which the caller loses meanwhile. Validates everything
 * before changing anything. 0, or the errors listed in public/domctl.h.
 */
int arch_pci_assign(struct domain *caller, struct domain *d, uint32_t bdf);
/* PV_DOMCTL_deassign_device: bdf, assigned to d, goes back to dom0. 0; -XEN_EINVAL; -XEN_ENODEV. */
int arch_pci_deassign(struct domain *d, uint32_t bdf);

/* ---- physical IRQs (arch/x86_64/pirq.c; called under the event-channel lock) ---- */

/*
 * Binds d's pirq to its new port (EVTCHNOP_bind_pirq) and lets the source
 * deliver. 0; -XEN_EINVAL pirq out of range; -XEN_EPERM pirq not mapped or
 * its IRQ not held by d; -XEN_EEXIST a port is bound to it already.
 */
int arch_pirq_bind(struct domain *d, unsigned int pirq, unsigned int port, bool will_share);
/* Undoes arch_pirq_bind when port closes (the source is masked again); nothing if it no longer is bound there. */
void arch_pirq_unbind(struct domain *d, unsigned int pirq, unsigned int port);
/* The port bound to d's pirq, 0 if none. */
unsigned int arch_pirq_port(const struct domain *d, unsigned int pirq);

/* ---- vCPUs ------------------------------------------------------------ */

/* Arch state of a new, never-run vCPU (its FPU at reset). 0 or -XEN_ENOMEM. */
int arch_vcpu_create(struct vcpu *v);

/* Frees what arch_vcpu_create and the vCPU's life allocated. v is offline and holds no references. */
void arch_vcpu_destroy(struct vcpu *v);

/*
 * v's state as VCPUOP_initialise and domctl describe it. v is not running
 * (or is current, read from its live frame).
 */
void arch_get_vcpu_context(const struct vcpu *v, struct vcpu_guest_context *c);

/*
 * Sets a vCPU's state from c, validated as Xen's arch_set_info_guest does:
 * -XEN_EINVAL for a non-canonical address, a base table that is not a valid
 * L4 of v's domain, or bad GDT frames; selectors get RPL 3. Takes the
 * references the new state needs. v must be offline and never have run
 * since its last reset.
 */
int arch_set_vcpu_context(struct vcpu *v, const struct vcpu_guest_context *c);

/* Drops the references v's state holds (base tables, descriptor tables, vcpu_info): v goes down for good. */
void arch_vcpu_release(struct vcpu *v);

/*
 * Makes next's state live on this CPU in place of prev's (NULL: idle). The
 * guest frame at the top of the stack holds prev's registers and gets next's.
 */
void arch_context_switch(struct vcpu *prev, struct vcpu *next);

/* Logs v's registers and guest mode for a crash report. */
void arch_show_guest_state(const struct vcpu *v);

#endif
