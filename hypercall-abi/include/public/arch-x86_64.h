/*
 * x86-64 PV specifics of the guest ABI: flat selectors, the hypervisor hole,
 * trap table entries, saved register frames and the per-vCPU guest context.
 */
#ifndef PUBLIC_ARCH_X86_64_H
#define PUBLIC_ARCH_X86_64_H

#if !defined(__x86_64__)
#error "hypercall-abi describes the x86-64 PV ABI only"
#endif

#include <stddef.h>
#include <stdint.h>

/* Native word of the ABI ("unsigned long" in Xen's headers). */
typedef uint64_t xen_ulong_t;
/* A frame number: machine (MFN) or pseudo-physical (PFN/GFN). */
typedef uint64_t xen_pfn_t;
/* A callback entry point: guest virtual address. */
typedef uint64_t xen_callback_t;

#define XEN_PAGE_SHIFT 12
#define XEN_PAGE_SIZE  (1u << XEN_PAGE_SHIFT)

/* Number of vcpu_info slots in shared_info (more vCPUs need VCPUOP_register_vcpu_info). */
#define XEN_LEGACY_MAX_VCPUS 32

/*
 * Selectors in the hypervisor's GDT that every guest may use. Kernel and user
 * both run in ring 3 on x86-64, so they share the same flat descriptors.
 * 64-bit data segments are the null selector.
 */
#define FLAT_RING3_CS32 0xe023 /* GDT entry 7172 (0x1c04) */
#define FLAT_RING3_CS64 0xe033 /* GDT entry 7174 (0x1c06) */
#define FLAT_RING3_DS32 0xe02b /* GDT entry 7173 (0x1c05) */
#define FLAT_RING3_DS64 0x0000
#define FLAT_RING3_SS32 0xe02b
#define FLAT_RING3_SS64 0xe02b

#define FLAT_KERNEL_CS64 FLAT_RING3_CS64
#define FLAT_KERNEL_CS32 FLAT_RING3_CS32
#define FLAT_KERNEL_CS   FLAT_KERNEL_CS64
#define FLAT_KERNEL_DS64 FLAT_RING3_DS64
#define FLAT_KERNEL_DS32 FLAT_RING3_DS32
#define FLAT_KERNEL_DS   FLAT_KERNEL_DS64
#define FLAT_KERNEL_SS64 FLAT_RING3_SS64
#define FLAT_KERNEL_SS32 FLAT_RING3_SS32
#define FLAT_KERNEL_SS   FLAT_KERNEL_SS64

#define FLAT_USER_CS64 FLAT_RING3_CS64
#define FLAT_USER_CS32 FLAT_RING3_CS32
#define FLAT_USER_CS   FLAT_USER_CS64
#define FLAT_USER_DS64 FLAT_RING3_DS64
#define FLAT_USER_DS32 FLAT_RING3_DS32
#define FLAT_USER_DS   FLAT_USER_DS64
#define FLAT_USER_SS64 FLAT_RING3_SS64
#define FLAT_USER_SS32 FLAT_RING3_SS32
#define FLAT_USER_SS   FLAT_USER_SS64

/*
 * Guest GDTs (set_gdt) may use pages 0..13 only; page 14 onwards of the
 * GDT belongs to the hypervisor (it holds the FLAT_* descriptors).
 */
#define FIRST_RESERVED_GDT_PAGE  14
#define FIRST_RESERVED_GDT_BYTE  (FIRST_RESERVED_GDT_PAGE * 4096)
#define FIRST_RESERVED_GDT_ENTRY (FIRST_RESERVED_GDT_BYTE / 8)

/*
 * Virtual range reserved by the hypervisor in every guest address space
 * (L4 slots 256..271). Its first 256 GiB hold the read-only machine-to-phys
 * table: one 8-byte PFN per machine frame, indexed by MFN.
 */
#define HYPERVISOR_VIRT_START UINT64_C(0xFFFF800000000000)
#define HYPERVISOR_VIRT_END   UINT64_C(0xFFFF880000000000)
#define MACH2PHYS_VIRT_START  UINT64_C(0xFFFF800000000000)
#define MACH2PHYS_VIRT_END    UINT64_C(0xFFFF804000000000)
#define MACH2PHYS_NR_ENTRIES  ((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) >> 3)

/* CR3 holds a frame number shifted into place; no PCID bits on PV. */
static inline uint64_t xen_pfn_to_cr3(uint64_t pfn) { return pfn << 12; }
static inline uint64_t xen_cr3_to_pfn(uint64_t cr3) { return cr3 >> 12; }

/*
 * Forced-emulation prefix: "ud2; .ascii 'xen'" before an instruction makes
 * the hypervisor emulate it (used for CPUID, which PV guests otherwise run
 * natively). Strings for inline assembly.
 */
#define XEN_EMULATE_PREFIX ".byte 0x0f,0x0b,0x78,0x65,0x6e ; "
#define XEN_CPUID          XEN_EMULATE_PREFIX "cpuid"

/*
 * set_segment_base(which, base)                        hypercall 25
 *   rdi  which: SEGBASE_*
 *   rsi  base: 64-bit canonical base, or for SEGBASE_GS_USER_SEL a selector
 *        in bits 15:0 that is loaded into the user %gs
 * Caller: a 64-bit PV guest kernel, for the calling vCPU.
 * Returns 0; -EINVAL for an unknown 'which' or a non-canonical base;
 * -ENOSYS from 32-bit guests. A faulting GS_USER_SEL selector is replaced by
 * the null selector and still returns 0 (re-read %gs to detect it).
 */
#define SEGBASE_FS          0
#define SEGBASE_GS_USER     1
#define SEGBASE_GS_KERNEL   2
#define SEGBASE_GS_USER_SEL 3

/*
 * set_trap_table(traps)                                hypercall 0
 *   rdi  guest virtual address of struct trap_info[], ended by an entry whose
 *        address is 0; rdi == 0 clears the whole virtual IDT
 * Caller: PV guest kernel; applies to the calling vCPU.
 * Returns 0; -EFAULT (table unreadable); -EINVAL (non-canonical handler).
 * Entries are installed in order, so a failure part-way leaves the earlier
 * entries set.
 */
struct trap_info {
    uint8_t  vector;   /* IN: exception/interrupt vector 0..255 */
    uint8_t  flags;    /* IN: TI_DPL_MASK, TI_MASK_EVENTS */
    uint16_t cs;       /* IN: code selector, normally FLAT_KERNEL_CS */
    uint32_t _pad0;
    uint64_t address;  /* IN: handler entry (guest VA); 0 ends the table */
};
_Static_assert(sizeof(struct trap_info) == 16, "trap_info size");
_Static_assert(offsetof(struct trap_info, flags) == 1, "trap_info.flags");
_Static_assert(offsetof(struct trap_info, cs) == 2, "trap_info.cs");
_Static_assert(offsetof(struct trap_info, address) == 8, "trap_info.address");

/*
 * trap_info.flags. DPL: the lowest privilege allowed to raise the vector with
 * INT n (0 none, 1-2 guest kernel, 3 anyone). TI_MASK_EVENTS: set the vCPU's
 * evtchn_upcall_mask when entering the handler (an "interrupt gate").
 */
#define TI_DPL_MASK    0x3
#define TI_MASK_EVENTS 0x4

/*
 * Frame for the iret hypercall (23), built by the guest on its stack; the
 * lowest address (the %rsp at the call) holds rax. The guest jumps (not
 * calls) to hypercall page slot 23, whose stub pushes rcx, r11 and rax.
 * The hypercall does not return on success; a frame that cannot be read
 * crashes the domain.
 *   flags & VGCF_in_syscall: restore rax, rip, rflags, rsp only, as SYSRET
 *                            would (r11, rcx, cs, ss are dropped).
 *   otherwise:               restore everything in the frame.
 * A cs with RPL 3 returns to guest user mode, RPL 0-2 to guest kernel mode.
 */
struct iret_context {
    uint64_t rax;
    uint64_t r11;
    uint64_t rcx;
    uint64_t flags;   /* VGCF_in_syscall or 0 */
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
};
_Static_assert(sizeof(struct iret_context) == 72, "iret_context size");
_Static_assert(offsetof(struct iret_context, flags) == 24, "iret_context.flags");
_Static_assert(offsetof(struct iret_context, rip) == 32, "iret_context.rip");
_Static_assert(offsetof(struct iret_context, ss) == 64, "iret_context.ss");

/*
 * Saved general-purpose registers, as found in vcpu_guest_context and as the
 * hypervisor's entry code lays them out. Xen wraps each 64-bit register in a
 * union to also name its eax/ax/al parts; only the 64-bit names exist here.
 */
struct cpu_user_regs {
    uint64_t r15;
    uint64_t r14;
    uint64_t r13;
    uint64_t r12;
    uint64_t rbp;
    uint64_t rbx;
    uint64_t r11;
    uint64_t r10;
    uint64_t r9;
    uint64_t r8;
    uint64_t rax;
    uint64_t rcx;
    uint64_t rdx;
    uint64_t rsi;
    uint64_t rdi;
    uint32_t error_code;        /* hypervisor-private */
    uint32_t entry_vector;      /* hypervisor-private */
    uint64_t rip;
    uint16_t cs;
    uint16_t _pad0;
    uint8_t  saved_upcall_mask; /* event mask at entry; rflags.IF is its inverse */
    uint8_t  _pad1[3];
    uint64_t rflags;
    uint64_t rsp;
    uint16_t ss;
    uint16_t _pad2[3];
    uint16_t es;
    uint16_t _pad3[3];
    uint16_t ds;
    uint16_t _pad4[3];
    uint16_t fs;
    uint16_t _pad5[3];
    uint16_t gs;
    uint16_t _pad6[3];
};
_Static_assert(sizeof(struct cpu_user_regs) == 200, "cpu_user_regs size");
_Static_assert(offsetof(struct cpu_user_regs, rbp) == 32, "cpu_user_regs.rbp");
_Static_assert(offsetof(struct cpu_user_regs, rax) == 80, "cpu_user_regs.rax");
_Static_assert(offsetof(struct cpu_user_regs, rdi) == 112, "cpu_user_regs.rdi");
_Static_assert(offsetof(struct cpu_user_regs, error_code) == 120, "cpu_user_regs.error_code");
_Static_assert(offsetof(struct cpu_user_regs, entry_vector) == 124, "cpu_user_regs.entry_vector");
_Static_assert(offsetof(struct cpu_user_regs, rip) == 128, "cpu_user_regs.rip");
_Static_assert(offsetof(struct cpu_user_regs, cs) == 136, "cpu_user_regs.cs");
_Static_assert(offsetof(struct cpu_user_regs, saved_upcall_mask) == 140, "cpu_user_regs.saved_upcall_mask");
_Static_assert(offsetof(struct cpu_user_regs, rflags) == 144, "cpu_user_regs.rflags");
_Static_assert(offsetof(struct cpu_user_regs, rsp) == 152, "cpu_user_regs.rsp");
_Static_assert(offsetof(struct cpu_user_regs, ss) == 160, "cpu_user_regs.ss");
_Static_assert(offsetof(struct cpu_user_regs, es) == 168, "cpu_user_regs.es");
_Static_assert(offsetof(struct cpu_user_regs, ds) == 176, "cpu_user_regs.ds");
_Static_assert(offsetof(struct cpu_user_regs, fs) == 184, "cpu_user_regs.fs");
_Static_assert(offsetof(struct cpu_user_regs, gs) == 192, "cpu_user_regs.gs");

/* vcpu_guest_context.flags */
#define VGCF_i387_valid               (1u << 0) /* fpu_ctxt holds valid state */
#define VGCF_in_kernel                (1u << 2) /* start in guest kernel mode */
#define VGCF_failsafe_disables_events (1u << 3) /* failsafe callback masks events */
#define VGCF_syscall_disables_events  (1u << 4) /* syscall callback masks events */
#define VGCF_online                   (1u << 5) /* vCPU is up (read back only) */
/* iret_context.flags: the guest was entered through SYSCALL; leave via SYSRET. */
#define VGCF_in_syscall               (1u << 8)

/*
 * Complete initial state of a PV vCPU: VCPUOP_initialise input (IN, all
 * fields) and the domctl get/set vcpucontext payload. Frame numbers are
 * machine frames of the guest, addresses are guest virtual addresses.
 */
struct vcpu_guest_context {
    uint8_t  fpu_ctxt[512];         /* FXSAVE image, used if VGCF_i387_valid */
    uint64_t flags;                 /* VGCF_* */
    struct cpu_user_regs user_regs; /* initial registers */
    struct trap_info trap_ctxt[256];/* virtual IDT, indexed by vector */
    uint64_t ldt_base;              /* LDT linear address (page aligned) */
    uint64_t ldt_ents;              /* LDT entries, 0 for none */
    uint64_t gdt_frames[16];        /* GDT machine frames, as set_gdt */
    uint64_t gdt_ents;              /* GDT entries */
    uint64_t kernel_ss;             /* kernel stack, as stack_switch */
    uint64_t kernel_sp;
    uint64_t ctrlreg[8];            /* cr3 = kernel top-level table, as
                                       xen_pfn_to_cr3(mfn); ctrlreg[1] = user
                                       top-level table in the same format */
    uint64_t debugreg[8];           /* dr0-dr7 */
    uint64_t event_callback_eip;    /* CALLBACKTYPE_event entry */
    uint64_t failsafe_callback_eip; /* CALLBACKTYPE_failsafe entry */
    uint64_t syscall_callback_eip;  /* CALLBACKTYPE_syscall entry */
    uint64_t vm_assist;             /* bitmap of VMASST_TYPE_* enabled */
    uint64_t fs_base;
    uint64_t gs_base_kernel;
    uint64_t gs_base_user;
};
_Static_assert(sizeof(struct vcpu_guest_context) == 5168, "vcpu_guest_context size");
_Static_assert(offsetof(struct vcpu_guest_context, flags) == 512, "vgc.flags");
_Static_assert(offsetof(struct vcpu_guest_context, user_regs) == 520, "vgc.user_regs");
_Static_assert(offsetof(struct vcpu_guest_context, trap_ctxt) == 720, "vgc.trap_ctxt");
_Static_assert(offsetof(struct vcpu_guest_context, ldt_base) == 4816, "vgc.ldt_base");
_Static_assert(offsetof(struct vcpu_guest_context, gdt_frames) == 4832, "vgc.gdt_frames");
_Static_assert(offsetof(struct vcpu_guest_context, gdt_ents) == 4960, "vgc.gdt_ents");
_Static_assert(offsetof(struct vcpu_guest_context, kernel_ss) == 4968, "vgc.kernel_ss");
_Static_assert(offsetof(struct vcpu_guest_context, ctrlreg) == 4984, "vgc.ctrlreg");
_Static_assert(offsetof(struct vcpu_guest_context, debugreg) == 5048, "vgc.debugreg");
_Static_assert(offsetof(struct vcpu_guest_context, event_callback_eip) == 5112, "vgc.event_callback_eip");
_Static_assert(offsetof(struct vcpu_guest_context, syscall_callback_eip) == 5128, "vgc.syscall_callback_eip");
_Static_assert(offsetof(struct vcpu_guest_context, vm_assist) == 5136, "vgc.vm_assist");
_Static_assert(offsetof(struct vcpu_guest_context, fs_base) == 5144, "vgc.fs_base");
_Static_assert(offsetof(struct vcpu_guest_context, gs_base_user) == 5160, "vgc.gs_base_user");

/* Arch part of vcpu_info (rounds vcpu_info up to 64 bytes). */
struct arch_vcpu_info {
    uint64_t cr2;   /* OUT: faulting address of the last #PF delivered */
    uint64_t _pad;
};
_Static_assert(sizeof(struct arch_vcpu_info) == 16, "arch_vcpu_info size");
_Static_assert(offsetof(struct arch_vcpu_info, cr2) == 0, "arch_vcpu_info.cr2");

/* Arch part of shared_info: where tools and dom0 find the guest's P2M. */
struct arch_shared_info {
    uint64_t max_pfn;                    /* guest: entries in its P2M */
    xen_pfn_t pfn_to_mfn_frame_list_list;/* guest: MFN of the 3-level P2M root;
                                            0 unset, ~0 use p2m_vaddr */
    uint64_t nmi_reason;                 /* hypervisor: NMI cause bits */
    uint64_t p2m_cr3;                    /* guest: address space of p2m_vaddr,
                                            0 when the fields below are unused */
    uint64_t p2m_vaddr;                  /* guest: VA of the linear P2M list */
    uint64_t p2m_generation;             /* guest: odd while the P2M changes */
};
_Static_assert(sizeof(struct arch_shared_info) == 48, "arch_shared_info size");
_Static_assert(offsetof(struct arch_shared_info, nmi_reason) == 16, "arch_shared_info.nmi_reason");
_Static_assert(offsetof(struct arch_shared_info, p2m_generation) == 40, "arch_shared_info.p2m_generation");

#endif /* PUBLIC_ARCH_X86_64_H */
