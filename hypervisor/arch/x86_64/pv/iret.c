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
    uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;

    /* Each word read once: another vCPU may be rewriting the frame meanwhile. */
    if (!guest_range_ok(regs->rsp, sizeof(*f)))
        goto unreadable;
    guest_get_u64(rax, &f->rax, unreadable);
    guest_get_u64(r11, &f->r11, unreadable);
    guest_get_u64(rcx, &f->rcx, unreadable);
    guest_get_u64(flags, &f->flags, unreadable);
    guest_get_u64(rip, &f->rip, unreadable);
    guest_get_u64(cs, &f->cs, unreadable);
    guest_get_u64(rflags, &f->rflags, unreadable);
    guest_get_u64(rsp, &f->rsp, unreadable);
    guest_get_u64(ss, &f->ss, unreadable);

    if ((cs & 3) == 3 && v->arch.kernel_mode) {
        if (!v->arch.guest_table_user) {
            domain_crash(v->domain, "iret to user mode without user page tables");
            return 0;
        }
        pv_toggle_guest_mode(v);
    }
    regs->rip = rip;
    regs->cs = cs | 3;
    regs->ss = ss | 3;
    regs->rsp = rsp;
    /* Under architectural_iopl the frame's IOPL is the new virtual IOPL, as on Xen; never the CPU's. */
    if (v->domain->vm_assist & (1ull << VMASST_TYPE_architectural_iopl))
        v->arch.iopl = (uint32_t)(rflags & X86_EFLAGS_IOPL);
    regs->rflags = (rflags & ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
    if (!(flags & VGCF_in_syscall)) {
        regs->r11 = r11;
        regs->rcx = rcx;
    } else {
        regs->r11 = regs->rflags;
        regs->rcx = regs->rip;
    }
    v->vcpu_info->evtchn_upcall_mask = !(rflags & X86_EFLAGS_IF);
    return (int64_t)rax;

unreadable:
    domain_crash(v->domain, "fault reading the iret frame at %#llx", (unsigned long long)regs->rsp);
    return 0;
}
