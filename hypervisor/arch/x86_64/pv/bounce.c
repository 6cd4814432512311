/* Bounce frames: how control enters a guest kernel's handler (exceptions, events, user SYSCALL). */
#include <hv/domain.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/guest_access.h>
#include <asm/pv.h>

static __noinline bool unwritable(struct domain *d, uint64_t sp)
{
    domain_crash(d, "fault writing a bounce frame at %#llx (stack unusable)", (unsigned long long)sp);
    return false;
}

/*
 * pv_bounce's frame, with v in kernel mode by now: from_user says where it
 * was (its stack is then the kernel's, and its CS keeps RPL 3); error is the
 * error code, or negative for none. A function of its own with no call but the
 * tail one to crash, so that the common case, a bounce from kernel mode, is cheap.
 */
static __noinline bool bounce_frame(struct vcpu *v, struct cpu_regs *regs, uint64_t handler, int64_t error,
                                    bool mask_events, bool from_user)
{
    struct domain *d = v->domain;
    uint8_t saved_mask = v->vcpu_info->evtchn_upcall_mask;
    uint64_t cs = from_user ? regs->cs : regs->cs & ~3ull;      /* kernel mode shows as RPL 0 */
    uint64_t sp = (from_user ? v->arch.kernel_sp : regs->rsp) & ~15ull;

    /* The frame, from its lowest word: rcx, r11, [error code], rip, cs, rflags, rsp, ss; written from the top. */
    unsigned int words = error >= 0 ? 8 : 7;
    uint64_t *top = (uint64_t *)sp;
    sp -= words * 8;
    if (!guest_range_ok(sp, words * 8))
        return unwritable(d, sp);
    guest_put_u64(&top[-1], regs->ss, fault);
    guest_put_u64(&top[-2], regs->rsp, fault);
    /* IF shows the upcall mask; IOPL the virtual one under architectural_iopl (else 0), as Xen's frame. */
    uint64_t iopl = d->vm_assist & (1ull << VMASST_TYPE_architectural_iopl) ? v->arch.iopl : 0;
    guest_put_u64(&top[-3], (regs->rflags & ~(uint64_t)(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) |
                            (saved_mask ? 0 : X86_EFLAGS_IF) | iopl, fault);
    guest_put_u64(&top[-4], (cs & 0xffff) | ((uint64_t)saved_mask << 32), fault);
    guest_put_u64(&top[-5], regs->rip, fault);
    if (error >= 0)
        guest_put_u64(&top[-6], (uint32_t)error, fault);
    guest_put_u64((uint64_t *)sp + 1, regs->r11, fault);
    guest_put_u64((uint64_t *)sp, regs->rcx, fault);
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

fault:
    return unwritable(d, sp);
}

/*
 * Delivers control to a guest handler the way Xen does: on the kernel stack
 * (switching from user mode if needed), push RCX, R11, [error code], RIP,
 * CS with the old upcall mask in bits 32-39, RFLAGS with IF = !mask, RSP,
 * SS; then enter the handler. Returns false (domain crashed) if the frame
 * cannot be written.
 */
static __noinline bool no_handler(struct vcpu *v)
{
    domain_crash(v->domain, "no handler registered for the event");
    return false;
}

static __noinline bool bounce_from_user(struct vcpu *v, struct cpu_regs *regs, uint64_t handler, int64_t error,
                                        bool mask_events)
{
    pv_toggle_guest_mode(v);
    return bounce_frame(v, regs, handler, error, mask_events, true);
}

/* Only tail calls here: the bounce from kernel mode, the common one, saves no register on its way. */
bool pv_bounce(struct vcpu *v, struct cpu_regs *regs, uint64_t handler, bool has_error,
               uint32_t error_code, bool mask_events)
{
    if (!handler)
        return no_handler(v);
    int64_t error = has_error ? (int64_t)error_code : -1;
    if (v->arch.kernel_mode)
        return bounce_frame(v, regs, handler, error, mask_events, false);
    return bounce_from_user(v, regs, handler, error, mask_events);
}
