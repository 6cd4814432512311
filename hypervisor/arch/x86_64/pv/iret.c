/* HYPERVISOR_iret: the guest's return from a bounce frame, to kernel or user mode. */
#include <hv/hypercall.h>
#include <asm/cpu.h>
#include <asm/guest_access.h>
#include <asm/pv.h>

/* HYPERVISOR_iret: the guest jumped to the iret stub, which pushed rax, r11, rcx. */
int64_t do_iret(void)
{
    struct vcpu *v = current;
    struct cpu_regs *regs = guest_regs();
    const struct iret_context *f = (const struct iret_context *)regs->rsp;
    uint64_t rax, flags, w;

    /*
     * Each word is read once (another vCPU may be rewriting the frame) and goes
     * straight where it belongs: a fault part-way crashes the domain, so a half
     * changed frame is never run.
     */
    if (!guest_range_ok((uint64_t)f, sizeof(*f)))
        goto unreadable;
    guest_get_u64(rax, &f->rax, unreadable);
    guest_get_u64(flags, &f->flags, unreadable);
    guest_get_u64(w, &f->cs, unreadable);
    /* To user mode: its page tables must exist; switched to last, as they do not map this frame. */
    bool to_user = (w & 3) == 3 && v->arch.kernel_mode;
    if (to_user && !v->arch.guest_table_user) {
        domain_crash(v->domain, "iret to user mode without user page tables");
        return 0;
    }
    regs->cs = w | 3;
    guest_get_u64(w, &f->rip, unreadable);
    regs->rip = w;
    guest_get_u64(w, &f->rsp, unreadable);
    regs->rsp = w;
    guest_get_u64(w, &f->ss, unreadable);
    regs->ss = w | 3;
    guest_get_u64(w, &f->rflags, unreadable);
    /* Under architectural_iopl the frame's IOPL is the new virtual IOPL, as on Xen; never the CPU's. */
    if (v->domain->vm_assist & (1ull << VMASST_TYPE_architectural_iopl))
        v->arch.iopl = (uint32_t)(w & X86_EFLAGS_IOPL);
    regs->rflags = (w & ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
    v->vcpu_info->evtchn_upcall_mask = !(w & X86_EFLAGS_IF);
    if (flags & VGCF_in_syscall) {
        regs->r11 = regs->rflags;
        regs->rcx = regs->rip;
    } else {
        guest_get_u64(w, &f->r11, unreadable);
        regs->r11 = w;
        guest_get_u64(w, &f->rcx, unreadable);
        regs->rcx = w;
    }
    if (to_user)
        pv_toggle_guest_mode(v);
    return (int64_t)rax;

unreadable:
    domain_crash(v->domain, "fault reading the iret frame at %#llx", (unsigned long long)f);
    return 0;
}
