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

    /* The frame, from its lowest word: rcx, r11, [error code], rip, cs, rflags, rsp, ss. */
    unsigned int words = has_error ? 8 : 7;
    sp -= words * 8;
    if (!guest_range_ok(sp, words * 8))
        goto unwritable;
    uint64_t *f = (uint64_t *)sp;
    guest_put_u64(&f[0], regs->rcx, unwritable);
    guest_put_u64(&f[1], regs->r11, unwritable);
    if (has_error) {
        guest_put_u64(&f[2], error_code, unwritable);
        f++;
    }
    guest_put_u64(&f[2], regs->rip, unwritable);
    guest_put_u64(&f[3], (cs & 0xffff) | ((uint64_t)saved_mask << 32), unwritable);
    /* IF shows the upcall mask; IOPL the virtual one under architectural_iopl (else 0), as Xen's frame. */
    uint64_t iopl = d->vm_assist & (1ull << VMASST_TYPE_architectural_iopl) ? v->arch.iopl : 0;
    guest_put_u64(&f[4], (regs->rflags & ~(uint64_t)(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) |
                         (saved_mask ? 0 : X86_EFLAGS_IF) | iopl, unwritable);
    guest_put_u64(&f[5], regs->rsp, unwritable);
    guest_put_u64(&f[6], regs->ss, unwritable);
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

unwritable:
    domain_crash(d, "fault writing a bounce frame at %#llx (stack unusable)", (unsigned long long)sp);
    return false;
}

