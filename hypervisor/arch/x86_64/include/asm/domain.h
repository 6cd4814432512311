/* x86-64 PV state of a vCPU: registers, guest mode, page tables, traps, callbacks. */
#ifndef ASM_DOMAIN_H
#define ASM_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <hv/rangeset.h>
#include <hv/spinlock.h>
#include <asm/pirq.h>
#include <asm/regs.h>

struct guest_trap {
    uint64_t address;       /* handler VA, 0 = none */
    uint16_t cs;
    uint8_t flags;          /* trap_info flags: DPL bits 0-1, mask-events bit 2 */
};

/*
 * Where arch_domain_relinquish stopped: a pass over the page list (tables
 * of each level from L1 up, then pins and the vCPUs' references) and the
 * next frame in it. Zero before destruction starts.
 */
enum relmem { RELMEM_l1 = 1, RELMEM_l2, RELMEM_l3, RELMEM_l4, RELMEM_pins, RELMEM_vcpus, RELMEM_done };

struct arch_domain {
    unsigned int relmem;            /* enum relmem; 0: not started */
    uint64_t relmem_next;           /* next frame of the pass; INVALID_PFN: from the head */
    volatile uint64_t dirty_cpus;   /* cpumask: CPUs whose TLB may hold the domain's guest entries */
    spinlock_t ioports_lock;        /* a leaf lock: ioports and pci_cf8 */
    struct rangeset ioports;        /* I/O ports it holds (pv/ioport.c) */
    spinlock_t iomem_lock;          /* a leaf lock: iomem */
    struct rangeset iomem;          /* I/O memory frames granted to it by domctl (pv/mm.c) */
    uint32_t pci_cf8;               /* its last dword write to 0xCF8 (PCI config address) */
    struct rangeset irqs;           /* GSIs it may map and bind (pirq.c, under pirq_lock) */
    struct pirq pirqs[NR_PIRQS];    /* its pirq table (pirq.c) */
    uint64_t pirq_eoi_mfn;          /* PHYSDEVOP_pirq_eoi_gmfn_v2 frame (a writable reference), 0 if none */
};

struct arch_vcpu {
    struct cpu_regs regs;           /* guest registers while the vCPU is not on the CPU */
    bool kernel_mode;               /* guest kernel (true) or guest user (false) */
    bool runstate_pending;          /* its runstate copy missed an update in user mode */
    uint64_t guest_table;           /* kernel L4 as a CR3 value (machine address) */
    uint64_t guest_table_user;      /* user L4, 0 if none registered */
    uint64_t kernel_sp;             /* stack_switch: stack for entering kernel mode */
    struct guest_trap traps[256];
    uint64_t event_callback, failsafe_callback, syscall_callback;
    bool syscall_masks_events, failsafe_masks_events;
    uint64_t fs_base, gs_base_kernel, gs_base_user;
    bool fpu_ts;                    /* virtual CR0.TS (fpu_taskswitch) */
    uint64_t cr4;                   /* the CR4 bits the guest chose (PV_CR4_GUEST_MASK) */
    uint32_t tsc_aux;               /* MSR_TSC_AUX as the guest wrote it (RDTSCP's ECX) */
    uint64_t mcg_status;            /* virtual MCG_STATUS (pv/msr.c: machine checks) */
    uint64_t mci_ctl2[2];           /* virtual MC0/MC1_CTL2 (Intel hosts) */
    uint64_t dr[4], dr6, dr7;       /* debug registers (set_debugreg); in the CPU while DR7 enables any */
    uint32_t dr7_emul;              /* DR7 enables of I/O breakpoints: emulated, never in the CPU */
    uint32_t iopl;                  /* virtual IOPL, in EFLAGS.IOPL's position (PHYSDEVOP_set_iopl) */
    uint64_t gdt_frames[14];        /* set_gdt: guest frames backing entries 0.. */
    unsigned int gdt_ents;
    uint64_t ldt_base;              /* MMUEXT_SET_LDT */
    unsigned int ldt_ents;
    uint64_t ldt_copy_mfn;          /* hypervisor frame holding the validated LDT, 0 until first set */
    uint16_t ds, es, fs, gs;        /* guest selectors, saved across switches */
    uint8_t fpu[512] __attribute__((aligned(16)));  /* FXSAVE image of x87/SSE state */
};

/* Sets a new vCPU's FPU image to the state FNINIT and a reset MXCSR give. */
void arch_vcpu_fpu_init(struct arch_vcpu *a);

#endif
