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
    struct iret_context f;

    if (copy_from_guest(&f, regs->rsp, sizeof(f))) {
        domain_crash(v->domain, "fault reading the iret frame at %#llx", (unsigned long long)regs->rsp);
        return 0;
    }
    if ((f.cs & 3) == 3 && v->arch.kernel_mode) {
        if (!v->arch.guest_table_user) {
            domain_crash(v->domain, "iret to user mode without user page tables");
            return 0;
        }
        pv_toggle_guest_mode(v);
    }
    regs->rip = f.rip;
    regs->cs = f.cs | 3;
    regs->ss = f.ss | 3;
    regs->rsp = f.rsp;
    /* Under architectural_iopl the frame's IOPL is the new virtual IOPL, as on Xen; never the CPU's. */
    if (v->domain->vm_assist & (1ull << VMASST_TYPE_architectural_iopl))
        v->arch.iopl = (uint32_t)(f.rflags & X86_EFLAGS_IOPL);
    regs->rflags = (f.rflags & ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
    if (!(f.flags & VGCF_in_syscall)) {
        regs->r11 = f.r11;
        regs->rcx = f.rcx;
    } else {
        regs->r11 = regs->rflags;
        regs->rcx = regs->rip;
    }
    v->vcpu_info->evtchn_upcall_mask = !(f.rflags & X86_EFLAGS_IF);
    return (int64_t)f.rax;
}

