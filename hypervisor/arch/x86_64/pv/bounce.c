/* Bounce frames: how control enters a guest kernel's handler (exceptions, events, user SYSCALL). */
#include <hv/domain.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/guest_access.h>
#include <asm/pv.h>

static __noinline bool unwritable(struct vcpu *v, uint64_t sp)
{
    domain_crash(v->domain, "fault writing a bounce frame at %#llx (stack unusable)", (unsigned long long)sp);
    return false;
}

#define BOUNCE_MASK_EVENTS  1u      /* set the upcall mask on the way in */
#define BOUNCE_FROM_USER    2u      /* v came from user mode (already switched to kernel mode) */

/*
 * pv_bounce's frame, with v in kernel mode by now: BOUNCE_FROM_USER says where
 * it was (its stack is then the kernel's, and its CS keeps RPL 3); error is
 * the error code, or negative for none. A function of its own with no call
 * but the tail one to crash, its words worked out before the stores, so that
 * the common case, a bounce from kernel mode, saves few registers.
 */
static __noinline bool bounce_frame(struct vcpu *v, struct cpu_regs *regs, uint64_t handler, int64_t error,
                                    unsigned int how)
{
    uint8_t saved_mask = v->vcpu_info->evtchn_upcall_mask;
    /* IF shows the upcall mask; IOPL the virtual one under architectural_iopl (else 0), as Xen's frame. */
    uint64_t iopl = v->domain->vm_assist & (1ull << VMASST_TYPE_architectural_iopl) ? v->arch.iopl : 0;
    uint64_t rflags = (regs->rflags & ~(uint64_t)(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) |
                      (saved_mask ? 0 : X86_EFLAGS_IF) | iopl;
    uint64_t cs = how & BOUNCE_FROM_USER ? regs->cs : regs->cs & ~3ull;     /* kernel mode shows as RPL 0 */
    cs = (cs & 0xffff) | ((uint64_t)saved_mask << 32);

    /* The frame, from its lowest word: rcx, r11, [error code], rip, cs, rflags, rsp, ss; written from the top. */
    uint64_t *top = (uint64_t *)((how & BOUNCE_FROM_USER ? v->arch.kernel_sp : regs->rsp) & ~15ull);
    uint64_t *f = top - (error >= 0 ? 8 : 7);
    if (!guest_range_ok((uint64_t)f, (uint64_t)top - (uint64_t)f))
        return unwritable(v, (uint64_t)f);
    guest_put_u64(&top[-1], regs->ss, fault);
    guest_put_u64(&top[-2], regs->rsp, fault);
    guest_put_u64(&top[-3], rflags, fault);
    guest_put_u64(&top[-4], cs, fault);
    guest_put_u64(&top[-5], regs->rip, fault);
    if (error >= 0)
        guest_put_u64(&top[-6], (uint32_t)error, fault);
    guest_put_u64(&f[1], regs->r11, fault);
    guest_put_u64(&f[0], regs->rcx, fault);
    if (how & BOUNCE_MASK_EVENTS)
        v->vcpu_info->evtchn_upcall_mask = 1;
    regs->rip = handler;
    regs->cs = RING3_CS64;
    regs->ss = RING3_DS;
    regs->rsp = (uint64_t)f;
    regs->rflags &= ~(uint64_t)(X86_EFLAGS_AC | X86_EFLAGS_VM | X86_EFLAGS_RF | X86_EFLAGS_NT | X86_EFLAGS_TF);
    /* Xen enters handlers with SYSRET: RCX and R11 hold the handler and RFLAGS. */
    regs->rcx = handler;
    regs->r11 = regs->rflags;
    return true;

fault:
    return unwritable(v, (uint64_t)f);
}

static __noinline bool no_handler(struct vcpu *v)
{
    domain_crash(v->domain, "no handler registered for the event");
    return false;
}

static __noinline bool bounce_from_user(struct vcpu *v, struct cpu_regs *regs, uint64_t handler, int64_t error,
                                        unsigned int how)
{
    pv_toggle_guest_mode(v);
    return bounce_frame(v, regs, handler, error, how | BOUNCE_FROM_USER);
}

/*
 * Delivers control to a guest handler the way Xen does: on the kernel stack
 * (switching from user mode if needed), push RCX, R11, [error code], RIP,
 * CS with the old upcall mask in bits 32-39, RFLAGS with IF = !mask, RSP,
 * SS; then enter the handler. Returns false (domain crashed) if the frame
 * cannot be written. Only tail calls here: the bounce from kernel mode, the
 * common one, saves no register on its way.
 */
bool pv_bounce(struct vcpu *v, struct cpu_regs *regs, uint64_t handler, bool has_error,
               uint32_t error_code, bool mask_events)
{
    if (!handler)
        return no_handler(v);
    int64_t error = has_error ? (int64_t)error_code : -1;
    unsigned int how = mask_events ? BOUNCE_MASK_EVENTS : 0;
    if (v->arch.kernel_mode)
        return bounce_frame(v, regs, handler, error, how);
    return bounce_from_user(v, regs, handler, error, how);
}
