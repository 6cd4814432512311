/*
 * A PV vCPU's architectural state as a whole: created, described as a
 * vcpu_guest_context (VCPUOP_initialise, domctl, the boot-time builder),
 * validated and installed as Xen's arch_set_info_guest does, and released.
 */
#include <hv/domain.h>
#include <hv/frame.h>
#include <public/errno.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/pagetable.h>
#include <asm/pv.h>

#define X86_EFLAGS_MBS  (1ull << 1)         /* reads as one */

int arch_vcpu_create(struct vcpu *v)
{
    arch_vcpu_fpu_init(&v->arch);
    pv_debugreg_init(&v->arch);
    return 0;
}

void arch_vcpu_release(struct vcpu *v)
{
    struct arch_vcpu *a = &v->arch;
    pv_release_gdt(v);
    pv_release_ldt(v);
    if (v->vcpu_info_mfn) {
        put_page_type(v->vcpu_info_mfn);
        v->vcpu_info_mfn = 0;
        v->vcpu_info = NULL;
    }
    if (a->guest_table)
        put_page_type(a->guest_table >> PAGE_SHIFT);
    if (a->guest_table_user)
        put_page_type(a->guest_table_user >> PAGE_SHIFT);
    a->guest_table = a->guest_table_user = 0;
}

void arch_vcpu_destroy(struct vcpu *v)
{
    ASSERT(!v->arch.guest_table && !v->vcpu_info_mfn && !v->arch.gdt_ents);
    pv_release_ldt(v);
}

/* Registers a guest may hand us: the general ones, rip, rsp; selectors get RPL 3 (the guest kernel's ring). */
static uint16_t guest_selector(uint16_t sel)
{
    return sel ? (uint16_t)(sel | 3) : 0;
}

void arch_get_vcpu_context(const struct vcpu *v, struct vcpu_guest_context *c)
{
    const struct arch_vcpu *a = &v->arch;
    const struct cpu_regs *r = v == current ? guest_regs() : &a->regs;

    memset(c, 0, sizeof(*c));
    memcpy(c->fpu_ctxt, a->fpu, sizeof(c->fpu_ctxt));
    c->flags = VGCF_i387_valid | (a->kernel_mode ? VGCF_in_kernel : 0) |
               (a->failsafe_masks_events ? VGCF_failsafe_disables_events : 0) |
               (a->syscall_masks_events ? VGCF_syscall_disables_events : 0) |
               (!(v->pause_flags & VPF_down) ? VGCF_online : 0);
    struct cpu_user_regs *u = &c->user_regs;
    u->r15 = r->r15; u->r14 = r->r14; u->r13 = r->r13; u->r12 = r->r12; u->rbp = r->rbp; u->rbx = r->rbx;
    u->r11 = r->r11; u->r10 = r->r10; u->r9 = r->r9; u->r8 = r->r8; u->rax = r->rax; u->rcx = r->rcx;
    u->rdx = r->rdx; u->rsi = r->rsi; u->rdi = r->rdi;
    /* The virtual IOPL shows in the context's RFLAGS, as Xen merges it back. */
    u->rip = r->rip; u->cs = (uint16_t)r->cs; u->rflags = (r->rflags & ~(uint64_t)X86_EFLAGS_IOPL) | a->iopl;
    u->rsp = r->rsp; u->ss = (uint16_t)r->ss;
    u->ds = a->ds; u->es = a->es; u->fs = a->fs; u->gs = a->gs;
    u->saved_upcall_mask = v->vcpu_info ? v->vcpu_info->evtchn_upcall_mask : 1;
    for (unsigned int i = 0; i < 256; i++)
        c->trap_ctxt[i] = (struct trap_info){ .vector = (uint8_t)i, .flags = a->traps[i].flags,
                                              .cs = a->traps[i].cs, .address = a->traps[i].address };
    c->ldt_base = a->ldt_base;
    c->ldt_ents = a->ldt_ents;
    for (unsigned int f = 0; f * 512 < a->gdt_ents; f++)
        c->gdt_frames[f] = a->gdt_frames[f];
    c->gdt_ents = a->gdt_ents;
    c->kernel_ss = FLAT_KERNEL_SS;
    c->kernel_sp = a->kernel_sp;
    c->ctrlreg[3] = a->guest_table;         /* xen_pfn_to_cr3(mfn) is the machine address on x86-64 */
    c->ctrlreg[1] = a->guest_table_user;
    c->event_callback_eip = a->event_callback;
    c->failsafe_callback_eip = a->failsafe_callback;
    c->syscall_callback_eip = a->syscall_callback;
    c->vm_assist = v->domain->vm_assist;
    c->fs_base = a->fs_base;
    c->gs_base_kernel = a->gs_base_kernel;
    c->gs_base_user = a->gs_base_user;
    pv_get_debugregs_for_context(v, c->debugreg);
}

/* Every address of c the CPU or a bounce will use must be canonical (Xen's list). */
static bool context_addresses_ok(const struct vcpu_guest_context *c)
{
    const uint64_t addrs[] = {
        c->user_regs.rip, c->user_regs.rsp, c->kernel_sp, c->ldt_ents ? c->ldt_base : 0, c->fs_base,
        c->gs_base_kernel, c->gs_base_user, c->event_callback_eip, c->syscall_callback_eip,
        c->failsafe_callback_eip,
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(addrs); i++)
        if (!is_canonical_address(addrs[i]))
            return false;
    for (unsigned int i = 0; i < 256; i++)
        if (!is_canonical_address(c->trap_ctxt[i].address))
            return false;
    return true;
}

/* A base table from a context: the frame must be an L4 of d (typed reference taken). */
static int take_base_table(struct domain *d, uint64_t cr3, uint64_t *out)
{
    *out = 0;
    if (!cr3)
        return 0;
    uint64_t mfn = cr3 >> PAGE_SHIFT;
    if (cr3 & (PAGE_SIZE - 1))
        return -XEN_EINVAL;
    int rc = get_page_type(mfn, PGT_l4, d);     /* refuses a frame that is not d's */
    if (rc)
        return rc == -XEN_ERESTART ? rc : -XEN_EINVAL;
    *out = mfn << PAGE_SHIFT;
    return 0;
}

int arch_set_vcpu_context(struct vcpu *v, const struct vcpu_guest_context *c)
{
    struct domain *d = v->domain;
    struct arch_vcpu *a = &v->arch;
    uint64_t kernel_table, user_table;

    ASSERT(v != current && v->state == VCPU_OFFLINE && !v->initialised);
    if (!context_addresses_ok(c))
        return -XEN_EINVAL;
    if ((c->ldt_base & (PAGE_SIZE - 1)) || c->ldt_ents > 8192 || c->gdt_ents > FIRST_RESERVED_GDT_ENTRY)
        return -XEN_EINVAL;
    if (!c->ctrlreg[3])
        return -XEN_EINVAL;                 /* a PV vCPU cannot run without page tables */

    int rc = take_base_table(d, c->ctrlreg[3], &kernel_table);
    if (rc)
        return rc;
    rc = take_base_table(d, c->ctrlreg[1], &user_table);
    if (rc)
        goto put_kernel;
    rc = pv_set_gdt(v, c->gdt_frames, (unsigned int)c->gdt_ents);
    if (rc)
        goto put_user;
    if (c->ldt_ents) {
        if (current->domain != d) {
            rc = -XEN_EINVAL;               /* read through the caller's page tables: only its own LDT */
            goto put_gdt;
        }
        rc = pv_set_ldt(v, c->ldt_base, (unsigned int)c->ldt_ents);
        if (rc)
            goto put_gdt;
    }

    /*
     * Accepted: the old base tables go, the new ones are v's. v is loaded
     * nowhere (a CPU that ran it switched CR3 since); stamped all the same,
     * as set_base does, in case a CPU still walks them.
     */
    if (a->guest_table)
        pv_put_base_table(a->guest_table);
    if (a->guest_table_user)
        pv_put_base_table(a->guest_table_user);
    a->guest_table = kernel_table;
    a->guest_table_user = user_table;

    const struct cpu_user_regs *u = &c->user_regs;
    struct cpu_regs *r = &a->regs;
    memset(r, 0, sizeof(*r));
    r->r15 = u->r15; r->r14 = u->r14; r->r13 = u->r13; r->r12 = u->r12; r->rbp = u->rbp; r->rbx = u->rbx;
    r->r11 = u->r11; r->r10 = u->r10; r->r9 = u->r9; r->r8 = u->r8; r->rax = u->rax; r->rcx = u->rcx;
    r->rdx = u->rdx; r->rsi = u->rsi; r->rdi = u->rdi;
    r->rip = u->rip;
    r->rsp = u->rsp;
    r->cs = guest_selector(u->cs) ? guest_selector(u->cs) : RING3_CS64;
    r->ss = guest_selector(u->ss) ? guest_selector(u->ss) : RING3_DS;
    r->rflags = (u->rflags & ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF | X86_EFLAGS_MBS;
    a->iopl = (uint32_t)(u->rflags & X86_EFLAGS_IOPL);     /* virtualised, as Xen: Linux starts its APs at IOPL 1 */
    a->ds = guest_selector(u->ds);
    a->es = guest_selector(u->es);
    a->fs = guest_selector(u->fs);
    a->gs = guest_selector(u->gs);

    if (c->flags & VGCF_i387_valid)
        memcpy(a->fpu, c->fpu_ctxt, sizeof(a->fpu));
    else
        arch_vcpu_fpu_init(a);
    a->kernel_mode = c->flags & VGCF_in_kernel;
    a->failsafe_masks_events = c->flags & VGCF_failsafe_disables_events;
    a->syscall_masks_events = c->flags & VGCF_syscall_disables_events;
    for (unsigned int i = 0; i < 256; i++)
        a->traps[i] = (struct guest_trap){ c->trap_ctxt[i].address, guest_selector(c->trap_ctxt[i].cs),
                                           c->trap_ctxt[i].flags };
    a->kernel_sp = c->kernel_sp;
    a->event_callback = c->event_callback_eip;
    a->failsafe_callback = c->failsafe_callback_eip;
    a->syscall_callback = c->syscall_callback_eip;
    a->fs_base = c->fs_base;
    a->gs_base_kernel = c->gs_base_kernel;
    a->gs_base_user = c->gs_base_user;
    a->fpu_ts = false;
    pv_set_debugregs_from_context(v, c->debugreg);
    return 0;

put_gdt:
    pv_release_gdt(v);
put_user:
    if (user_table)
        put_page_type(user_table >> PAGE_SHIFT);
put_kernel:
    put_page_type(kernel_table >> PAGE_SHIFT);
    return rc;
}
