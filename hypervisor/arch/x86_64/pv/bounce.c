/* Bounce frames: how control enters a guest kernel's handler (exceptions, events, user SYSCALL). */
#include <hv/domain.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/guest_access.h>
#include <asm/pv.h>

/*
 * Delivers control to a guest handler the way Xen does: on the kernel stack
 * (switching from user mode if needed), push RCX, R11, [error code], RIP,
 * CS with the old upcall mask in bits 32-39, RFLAGS with IF = !mask, RSP,
 * SS; then enter the handler. Returns false (domain crashed) if the frame
 * cannot be written.
 */
bool pv_bounce(struct vcpu *v, struct cpu_regs *regs, uint64_t handler, bool has_error,
                   uint32_t error_code, bool mask_events)
{
    struct domain *d = v->domain;
    uint8_t saved_mask = v->vcpu_info->evtchn_upcall_mask;
    uint64_t cs = regs->cs, sp;

    if (!handler) {
        domain_crash(d, "no handler registered for the event");
        return false;
    }
    if (v->arch.kernel_mode) {
        sp = regs->rsp;
        cs &= ~3ull;                        /* kernel mode shows as RPL 0 in the frame */
    } else {
        pv_toggle_guest_mode(v);
        sp = v->arch.kernel_sp;
    }
    sp &= ~15ull;

    uint64_t frame[8];
    unsigned int n = 0;
    frame[n++] = regs->rcx;
    frame[n++] = regs->r11;
    if (has_error)
        frame[n++] = error_code;
    frame[n++] = regs->rip;
    frame[n++] = (cs & 0xffff) | ((uint64_t)saved_mask << 32);
    /* IF shows the upcall mask; IOPL the virtual one under architectural_iopl (else 0), as Xen's frame. */
    uint64_t iopl = d->vm_assist & (1ull << VMASST_TYPE_architectural_iopl) ? v->arch.iopl : 0;
    frame[n++] = (regs->rflags & ~(uint64_t)(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) | (saved_mask ? 0 : X86_EFLAGS_IF) | iopl;
    frame[n++] = regs->rsp;
    frame[n++] = regs->ss;
    sp -= n * 8;
    if (copy_to_guest(sp, frame, n * 8)) {
        domain_crash(d, "fault writing a bounce frame at %#llx (stack unusable)", (unsigned long long)sp);
        return false;
    }
    if (mask_events)
        v->vcpu_info->evtchn_upcall_mask = 1;
    regs->rip = handler;
    regs->cs = RING3_CS64;
    regs->ss = RING3_DS;
    regs->rsp = sp;
    regs->rflags &= ~(uint64_t)(X86_EFLAGS_AC | X86_EFLAGS_VM | X86_EFLAGS_RF | X86_EFLAGS_NT | X86_EFLAGS_TF);
    /* Xen enters handlers with SYSRET: RCX and R11 hold the handler and RFLAGS. */
    regs->rcx = handler;
    regs->r11 = regs->rflags;
    return true;
}

